//! Leftover package-manager caches: bytes a build downloaded to install something and then
//! shipped. Each kind is a row: the paths it lives in, the hadolint rule a user may know, and
//! the fix for the instruction that left it.

use std::collections::BTreeMap;

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::{sample_paths, Ctx, Draft, Sink};
use crate::image::history::Program;
use crate::model::RuleId;
use crate::units::count;
use crate::units::format_size;

pub struct CacheKind {
    pub code: RuleId,
    /// Globs over paths without the leading `/`.
    pub globs: &'static [&'static str],
    /// Where it lives, as the message names it.
    pub place: &'static str,
    pub hadolint: &'static [&'static str],
    pub fix: &'static str,
    /// The commands that fill it: the message quotes the one in the layer's RUN.
    pub programs: &'static [Program],
}

const fn program(names: &'static [&'static str], subcommands: &'static [&'static str]) -> Program {
    Program { names, subcommands }
}

/// The cache table: one row per cache rule (`RuleId::kind` is `Cache`; a test fails for a
/// cache rule without its row here, or a row for a rule that is not one).
pub fn row(code: RuleId) -> Option<CacheKind> {
    use RuleId::*;
    Some(match code {
        PipCache => CacheKind {
            code,
        globs: &["root/.cache/pip/**", "home/*/.cache/pip/**", "**/.cache/pip/**"],
        place: "~/.cache/pip",
        hadolint: &["DL3042"],
        fix: "add `--no-cache-dir` to the `pip` command or set `PIP_NO_CACHE_DIR=1`",
        programs: const { &[program(&["pip"], &["install", "wheel", "download"])] },
    },
        AptLists => CacheKind {
            code,
        globs: &["var/lib/apt/lists/**"],
        place: "/var/lib/apt/lists",
        hadolint: &["DL3009"],
        fix: "end the same RUN with `&& rm -rf /var/lib/apt/lists/*`",
        programs: const { &[program(&["apt-get", "apt"], &["update"])] },
    },
        AptArchives => CacheKind {
            code,
        globs: &["var/cache/apt/archives/**", "var/cache/apt/*.bin"],
        place: "/var/cache/apt",
        hadolint: &["DL3009"],
        fix: "end the same RUN with `&& apt-get clean` (or install with `--no-install-recommends` and clean up)",
        programs: const { &[program(&["apt-get", "apt"], &["install", "upgrade", "dist-upgrade", "full-upgrade"])] },
    },
        DnfCache => CacheKind {
            code,
        globs: &["var/cache/dnf/**", "var/cache/yum/**", "var/cache/libdnf5/**", "var/lib/dnf/repos/**"],
        place: "/var/cache/dnf",
        hadolint: &["DL3040", "DL3032"],
        fix: "end the same RUN with `&& dnf clean all && rm -rf /var/cache/dnf` (microdnf: `microdnf clean all`; yum: `yum clean all`)",
        programs: const { &[program(&["dnf", "yum", "microdnf"], &["install", "update", "upgrade", "makecache", "groupinstall"])] },
    },
        ApkCache => CacheKind {
            code,
        globs: &["var/cache/apk/**", "etc/apk/cache/**"],
        place: "/var/cache/apk",
        hadolint: &["DL3019"],
        fix: "use `apk add --no-cache`",
        programs: const { &[program(&["apk"], &["add", "update", "upgrade"])] },
    },
        NpmCache => CacheKind {
            code,
        // The content store only: ~/.npm/_logs and the update notifier's stamp survive
        // `npm cache clean --force`, the fix this rule gives.
        globs: &["**/.npm/_cacache/**"],
        place: "~/.npm",
        hadolint: &[],
        fix: "end the same RUN with `&& npm cache clean --force`, or use `npm ci --cache /tmp/npm-cache` and remove it",
        programs: const { &[program(&["npm"], &["install", "i", "ci", "add"])] },
    },
        YarnCache => CacheKind {
            code,
        globs: &["usr/local/share/.cache/yarn/**", "root/.cache/yarn/**", "home/*/.cache/yarn/**", "**/.yarn/cache/**", "**/.yarn/berry/cache/**"],
        place: "the yarn cache",
        hadolint: &["DL3060"],
        fix: "end the same RUN with `&& yarn cache clean`",
        programs: const { &[program(&["yarn"], &[])] },
    },
        CargoCache => CacheKind {
            code,
        globs: &["**/.cargo/registry/**", "**/.cargo/git/**", "usr/local/cargo/registry/**", "usr/local/cargo/git/**"],
        place: "~/.cargo/registry",
        hadolint: &[],
        fix: "build in a builder stage and COPY only the binary into the final stage",
        programs: const { &[program(&["cargo"], &["build", "install", "fetch"])] },
    },
        GoBuildCache => CacheKind {
            code,
        globs: &["**/.cache/go-build/**", "go/pkg/mod/**", "root/go/pkg/mod/**"],
        place: "the Go build cache",
        hadolint: &[],
        fix: "build in a builder stage (or `go clean -cache -modcache` in the same RUN) and COPY only the binary",
        programs: const { &[program(&["go"], &["build", "install", "get", "mod", "test"])] },
    },
        // Not caches: `every_cache_rule_has_a_row_and_only_those` holds the two lists together.
        _ => return None,
    })
}

/// The globs of every row, and the rule each belongs to. The enum's order is the rows'
/// order: the first glob that matches a path owns it.
fn matcher() -> (GlobSet, Vec<RuleId>) {
    let mut b = GlobSetBuilder::new();
    let mut owner = Vec::new();
    for kind in RuleId::all().filter_map(row) {
        for g in kind.globs {
            b.add(Glob::new(g).expect("cache globs are valid"));
            owner.push(kind.code);
        }
    }
    (b.build().expect("cache globs build"), owner)
}

pub fn check(ctx: &Ctx, sink: &mut Sink) {
    let (set, owner) = matcher();
    // (kind, writer layer) → files
    let mut groups: BTreeMap<(RuleId, usize), Vec<(&str, u64)>> = BTreeMap::new();
    let mut hits = Vec::new();
    for (path, node) in ctx.files() {
        set.matches_into(path, &mut hits);
        if let Some(&g) = hits.first() {
            groups
                .entry((owner[g], node.layer))
                .or_default()
                .push((path, node.size));
        }
    }
    for ((code, layer), files) in groups {
        let kind = row(code).expect("the matcher only names rules with a row");
        let bytes: u64 = files.iter().map(|f| f.1).sum();
        if bytes < ctx.cfg.min_bytes {
            continue;
        }
        let first = format!("/{}", files[0].0);
        let layer_name = ctx.layer_command(layer, kind.programs, &[&first]);
        let refs: Vec<String> = kind.hadolint.iter().map(|s| s.to_string()).collect();
        let hint = if refs.is_empty() {
            String::new()
        } else {
            format!(" (hadolint {})", refs.join(", "))
        };
        sink.push(Draft {
            code: kind.code,
            message: format!(
                "{layer_name} left {} in {} ({}){hint}",
                format_size(bytes),
                kind.place,
                count(files.len() as u64, "file", "files")
            ),
            bytes,
            layer: Some(layer),
            created_by: ctx.created_by(layer),
            paths: sample_paths(files, 5),
            fix: format!("in {layer_name}: {}", kind.fix),
            references: refs,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RuleKind;

    /// The model's kind and this table agree: a cache rule has a row, and only cache rules.
    #[test]
    fn every_cache_rule_has_a_row_and_only_those() {
        for c in RuleId::all() {
            assert_eq!(row(c).is_some(), c.kind() == RuleKind::Cache, "{c}");
            assert!(row(c).is_none_or(|k| k.code == c), "{c}");
        }
    }

    #[test]
    fn every_kind_matches_its_usual_paths_and_not_others() {
        let (set, owner) = matcher();
        let kind_of = |p: &str| set.matches(p).first().map(|&g| owner[g]);
        assert_eq!(
            kind_of("root/.cache/pip/http-v2/a/b"),
            Some(RuleId::PipCache)
        );
        assert_eq!(
            kind_of("home/app/.cache/pip/wheels/x.whl"),
            Some(RuleId::PipCache)
        );
        assert_eq!(
            kind_of("var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease"),
            Some(RuleId::AptLists)
        );
        assert_eq!(
            kind_of("var/cache/apt/archives/gcc_12.deb"),
            Some(RuleId::AptArchives)
        );
        assert_eq!(
            kind_of("var/cache/dnf/amazonlinux-1/packages/x.rpm"),
            Some(RuleId::DnfCache)
        );
        assert_eq!(kind_of("var/cache/libdnf5/repo/x"), Some(RuleId::DnfCache));
        assert_eq!(
            kind_of("var/cache/apk/APKINDEX.tar.gz"),
            Some(RuleId::ApkCache)
        );
        assert_eq!(
            kind_of("root/.npm/_cacache/content-v2/sha512/aa"),
            Some(RuleId::NpmCache)
        );
        assert_eq!(
            kind_of("usr/local/share/.cache/yarn/v6/x"),
            Some(RuleId::YarnCache)
        );
        assert_eq!(
            kind_of("root/.cargo/registry/cache/x.crate"),
            Some(RuleId::CargoCache)
        );
        assert_eq!(
            kind_of("root/.cache/go-build/aa/bb"),
            Some(RuleId::GoBuildCache)
        );
        assert_eq!(kind_of("var/task/app.py"), None);
        assert_eq!(
            kind_of("usr/lib/python3/dist-packages/pip/_internal/cache.py"),
            None
        );
    }
}

#[cfg(test)]
mod built {
    use crate::model::Severity;
    use crate::rules::testing::{findings, of, rules, ImageBuilder};

    #[test]
    fn a_pip_cache_names_the_command_the_place_and_hadolint() {
        let built = ImageBuilder::new()
            .layer("RUN apt-get update && pip install -r requirements.txt")
            .file("root/.cache/pip/http-v2/a", 1_200_000)
            .file("root/.cache/pip/http-v2/b", 300_000)
            .build();
        let f = findings(&built, &rules(""));
        let pip = of(&f, "pip-cache");
        assert_eq!(pip.len(), 1);
        assert_eq!(pip[0].bytes, 1_500_000);
        assert_eq!(pip[0].severity, Severity::Warning);
        assert_eq!(pip[0].references, vec!["DL3042"]);
        assert!(
            pip[0].message.contains("`pip install -r requirements.txt`"),
            "{}",
            pip[0].message
        );
        assert!(
            pip[0].message.contains("~/.cache/pip (2 files)"),
            "{}",
            pip[0].message
        );
        let deny = findings(&built, &rules("pip-cache = \"deny\""));
        assert_eq!(of(&deny, "pip-cache")[0].severity, Severity::Error);
        assert!(of(
            &findings(&built, &rules("ignore_paths = [\"/root/.cache/**\"]")),
            "pip-cache"
        )
        .is_empty());
    }
}
