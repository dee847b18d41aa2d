//! What the image's bytes are: the function's code, a package of some ecosystem, a leftover a
//! rule found, or other. Decided here, from the report alone, so that every renderer paints
//! the same picture (the HTML treemap colours by it) and a report read back from JSON gives
//! the same answer as the run that wrote it.

use serde::{Deserialize, Serialize};

use super::{Ecosystem, Report, RuleId, RuleKind};

/// A directory that holds one package's files and nothing else, as the package inventory
/// found it (the report's `package_dirs`). Names what a package installs beside its import
/// directory — numpy's wheel ships its vendored libraries in `numpy.libs/` — which no rule
/// on names can guess.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageDir {
    /// Absolute, no trailing slash (`/var/task/numpy.libs`).
    pub path: String,
    pub ecosystem: Ecosystem,
    pub name: String,
}

/// What the bytes under a path are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ByteKind {
    /// The function's own code (under `/var/task` or the image's working directory).
    Code,
    /// Installed by a package manager of this ecosystem.
    Package(String),
    /// What this rule reported as a leftover.
    Leftover(String),
    Other,
}

/// Where each kind of byte lives, from the report alone: the function's code root(s), the
/// directories packages were installed into (longest prefix wins), and the directories of
/// the rules' leftovers.
pub struct Classifier {
    code: Vec<String>,
    packages: Vec<(String, String)>,
    leftovers: Vec<(String, String)>,
}

/// System directories the OS package manager owns (`/usr/local` is not among them).
const OS_DIRS: &[&str] = &[
    "/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc",
];

impl Classifier {
    pub fn new(r: &Report) -> Classifier {
        let mut code = vec!["/var/task".to_string()];
        if let Some(img) = &r.image {
            let w = img.workdir.trim_end_matches('/');
            if w.starts_with('/') && w.len() > 1 && !code.iter().any(|c| c == w) {
                code.push(w.to_string());
            }
        }
        let mut packages: Vec<(String, String)> = Vec::new();
        for p in &r.packages {
            let loc = p.location.trim_end_matches('/');
            let eco = p.ecosystem.as_str().to_string();
            match p.ecosystem {
                Ecosystem::Deb | Ecosystem::Rpm | Ecosystem::Apk => {
                    for d in OS_DIRS {
                        packages.push((d.to_string(), eco.clone()));
                    }
                }
                Ecosystem::Pypi => {
                    // `<site>/<name>-<version>.dist-info/METADATA`: the import package sits
                    // beside its metadata under its normalized name. Kept for reports without
                    // `package_dirs` (written by an older gate).
                    let meta_dir = parent(loc);
                    let site = parent(meta_dir);
                    if site.len() > 1 {
                        let name = p.name.to_ascii_lowercase().replace(['-', '.'], "_");
                        packages.push((format!("{site}/{name}"), eco.clone()));
                        packages.push((meta_dir.to_string(), eco));
                    }
                }
                Ecosystem::Npm => {
                    let dir = parent(loc);
                    if dir.contains("node_modules") {
                        packages.push((dir.to_string(), eco));
                    }
                }
                // The executable the crates or Go modules are compiled into; the map draws
                // directories, so its directory too (`/var/runtime` for a `bootstrap`),
                // unless that is a system directory others share.
                Ecosystem::Golang | Ecosystem::Cargo => {
                    if loc.starts_with('/') {
                        packages.push((loc.to_string(), eco.clone()));
                        let dir = parent(loc);
                        if !OS_DIRS.iter().any(|d| under(dir, d)) {
                            packages.push((dir.to_string(), eco));
                        }
                    }
                }
            }
        }
        for d in &r.package_dirs {
            packages.push((
                d.path.trim_end_matches('/').to_string(),
                d.ecosystem.as_str().to_string(),
            ));
        }
        packages.push(("/usr/local".into(), String::new()));
        packages.sort();
        packages.dedup();
        let mut leftovers = Vec::new();
        for f in &r.findings {
            // layer-waste lists hidden paths, drawn beside the map, not in it.
            if f.rule == RuleId::LayerWaste || f.paths.is_empty() {
                continue;
            }
            let common = common_dir(&f.paths);
            if depth(&common) >= 3 {
                leftovers.push((common, f.rule.id().to_string()));
            } else {
                for p in &f.paths {
                    let d = parent(p);
                    if depth(d) >= 4 {
                        leftovers.push((d.to_string(), f.rule.id().to_string()));
                    }
                }
            }
        }
        Classifier {
            code,
            packages,
            leftovers,
        }
    }

    pub fn kind(&self, path: &str) -> ByteKind {
        for (dir, rule) in &self.leftovers {
            if under(path, dir) {
                return ByteKind::Leftover(rule.clone());
            }
        }
        let package = self
            .packages
            .iter()
            .filter(|(dir, _)| under(path, dir))
            .max_by_key(|(dir, _)| dir.len());
        let code = self
            .code
            .iter()
            .filter(|dir| under(path, dir))
            .max_by_key(|dir| dir.len());
        match (package, code) {
            (Some((pdir, eco)), Some(cdir)) if pdir.len() > cdir.len() && !eco.is_empty() => {
                ByteKind::Package(eco.clone())
            }
            (_, Some(_)) => ByteKind::Code,
            (Some((_, eco)), None) if !eco.is_empty() => ByteKind::Package(eco.clone()),
            _ => ByteKind::Other,
        }
    }
}

/// The bytes the rules found left over, by what they are (`RuleId::kind`): the comment's
/// "of which 40 MB leftover caches and 120 MB build tools". Summed from the findings' own
/// byte counts, each file once, not from the directory summary: a toolchain's files are
/// scattered through shared directories (`/usr/bin`) that the treemap cannot paint as theirs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Leftovers {
    pub caches: u64,
    pub build_tools: u64,
}

impl Leftovers {
    pub fn of(r: &Report) -> Leftovers {
        let mut l = Leftovers::default();
        for f in &r.findings {
            match f.rule.kind() {
                RuleKind::Cache => l.caches += f.bytes,
                RuleKind::BuildTools => l.build_tools += f.bytes,
                RuleKind::Other | RuleKind::PreDeploy => {}
            }
        }
        l
    }
}

/// `path` is `dir` or below it.
fn under(path: &str, dir: &str) -> bool {
    dir == "/"
        || path == dir
        || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

fn depth(path: &str) -> usize {
    path.split('/').filter(|s| !s.is_empty()).count()
}

/// The deepest directory every path is in.
fn common_dir(paths: &[String]) -> String {
    let mut common: Vec<&str> = parent(&paths[0]).split('/').collect();
    for p in &paths[1..] {
        let parts: Vec<&str> = parent(p).split('/').collect();
        let n = common
            .iter()
            .zip(&parts)
            .take_while(|(a, b)| a == b)
            .count();
        common.truncate(n);
    }
    let joined = common.join("/");
    if joined.is_empty() {
        "/".into()
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Package;

    fn report() -> Report {
        serde_json::from_str(include_str!("../../tests/data/function-naive-report.json")).unwrap()
    }

    fn pypi(name: &str, location: &str) -> Package {
        Package {
            ecosystem: Ecosystem::Pypi,
            name: name.into(),
            version: "2".into(),
            purl: String::new(),
            bytes: 1,
            files: 1,
            layer: None,
            license: None,
            location: location.into(),
            source: None,
            build_only: false,
        }
    }

    #[test]
    fn paths_are_classified_by_what_the_bytes_are() {
        let mut r = report();
        r.packages = vec![pypi(
            "Pydantic-Core",
            "/var/task/pydantic_core-2.dist-info/METADATA",
        )];
        let c = Classifier::new(&r);
        assert_eq!(c.kind("/var/task"), ByteKind::Code);
        assert_eq!(
            c.kind("/var/task/pydantic_core"),
            ByteKind::Package("pypi".into())
        );
        assert_eq!(
            c.kind("/var/lib/apt/lists"),
            ByteKind::Leftover("apt-lists".into())
        );
        assert_eq!(c.kind("/usr/local/bin"), ByteKind::Other);
        // The toolchain's files are scattered: its deep directory is a leftover, /usr/bin not.
        assert_eq!(
            c.kind("/usr/lib/gcc/x86_64-linux-gnu/12"),
            ByteKind::Leftover("build-toolchain".into())
        );
        assert_eq!(c.kind("/usr/bin"), ByteKind::Other);
        // A shared directory that holds a few toolchain files is not a leftover.
        assert_eq!(c.kind("/usr/lib/x86_64-linux-gnu"), ByteKind::Other);
    }

    #[test]
    fn leftovers_are_the_cache_and_toolchain_findings_bytes() {
        let r = report();
        let sum = |rule: RuleId| -> u64 {
            r.findings
                .iter()
                .filter(|f| f.rule == rule)
                .map(|f| f.bytes)
                .sum()
        };
        let l = Leftovers::of(&r);
        assert_eq!(l.build_tools, sum(RuleId::BuildToolchain));
        assert!(l.build_tools > 0);
        assert!(l.caches >= sum(RuleId::AptLists) + sum(RuleId::PipCache));
        assert!(l.caches > 0);
        // Neither counts what is not a leftover: bytes later layers hide, bytecode.
        let all: u64 = r.findings.iter().map(|f| f.bytes).sum();
        assert!(l.caches + l.build_tools < all);
    }

    #[test]
    fn a_directory_a_package_fills_alone_is_that_package() {
        let mut r = report();
        r.packages = vec![pypi("numpy", "/var/task/numpy-2.4.6.dist-info/METADATA")];
        let c = Classifier::new(&r);
        // By name alone, numpy's vendored libraries look like the function's code…
        assert_eq!(c.kind("/var/task/numpy.libs"), ByteKind::Code);
        r.package_dirs = vec![PackageDir {
            path: "/var/task/numpy.libs".into(),
            ecosystem: Ecosystem::Pypi,
            name: "numpy".into(),
        }];
        // …the inventory says whose they are.
        let c = Classifier::new(&r);
        assert_eq!(
            c.kind("/var/task/numpy.libs"),
            ByteKind::Package("pypi".into())
        );
        assert_eq!(c.kind("/var/task/handler"), ByteKind::Code);
    }
}
