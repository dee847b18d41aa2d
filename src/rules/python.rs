//! Python in the image: bytecode for the wrong interpreter (dead weight), site-packages with no
//! bytecode (Lambda's filesystem is read-only, so every cold start compiles it again), and
//! test suites shipped inside site-packages.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::{sample_paths, Ctx, Draft, Sink};
use crate::image::layer::Kind;
use crate::model::RuleId;
use crate::units::count;
use crate::units::format_size;

/// Python versions the image can run, as bytecode tags: `python3.12` → "312".
pub fn interpreters(ctx: &Ctx) -> BTreeSet<String> {
    let mut tags = BTreeSet::new();
    for (path, node) in ctx.scan.fs.iter() {
        if node.kind == Kind::Dir || !path.contains("bin/python3.") {
            continue;
        }
        let base = path.rsplit('/').next().unwrap_or(path);
        if let Some(minor) = base.strip_prefix("python3.") {
            if !minor.is_empty() && minor.chars().all(|c| c.is_ascii_digit()) {
                tags.insert(format!("3{minor}"));
            }
        }
    }
    tags
}

/// `…/__pycache__/mod.cpython-311.opt-1.pyc` → ("…/mod", "311").
fn pyc_parts(path: &str) -> Option<(String, &str)> {
    let (dir, file) = path.rsplit_once("/__pycache__/")?;
    let stem_tag = file.strip_suffix(".pyc")?;
    let (stem, rest) = stem_tag.split_once(".cpython-")?;
    let tag = rest.split('.').next()?;
    Some((format!("{dir}/{stem}"), tag))
}

pub fn check(ctx: &Ctx, sink: &mut Sink) {
    let pythons = interpreters(ctx);
    if pythons.is_empty() {
        return;
    }
    let list = pythons
        .iter()
        .map(|t| format!("3.{}", &t[1..]))
        .collect::<Vec<_>>()
        .join(", ");

    let mut stale: BTreeMap<usize, Vec<(&str, u64)>> = BTreeMap::new();
    let mut compiled: HashSet<String> = HashSet::new();
    let mut tests: BTreeMap<usize, Vec<(&str, u64)>> = BTreeMap::new();
    let mut site_py: Vec<&str> = Vec::new();
    for (path, node) in ctx.files() {
        if let Some((_, inside)) = path.split_once("/site-packages/") {
            let mut parts = inside.split('/');
            let _package = parts.next();
            if let Some(second) = parts.next() {
                if (second == "tests" || second == "test") && parts.next().is_some() {
                    tests.entry(node.layer).or_default().push((path, node.size));
                }
            }
            if path.ends_with(".py") {
                site_py.push(path);
            }
        }
        if let Some((module, tag)) = pyc_parts(path) {
            if pythons.contains(tag) {
                compiled.insert(module);
            } else {
                stale.entry(node.layer).or_default().push((path, node.size));
            }
        }
    }

    for (layer, files) in stale {
        let bytes: u64 = files.iter().map(|f| f.1).sum();
        let name = ctx.layer_name(layer);
        sink.push(Draft {
            code: RuleId::StaleBytecode,
            message: format!(
                "{name} ships {} of bytecode ({}) for a Python the image does not have (it has {list})",
                format_size(bytes),
                count(files.len() as u64, ".pyc file", ".pyc files")
            ),
            bytes,
            layer: Some(layer),
            created_by: ctx.created_by(layer),
            paths: sample_paths(files, 5),
            fix: format!("compile with the image's own interpreter (`python{} -m compileall`) and do not copy __pycache__ from elsewhere", list.split(", ").next().unwrap_or("3")),
            references: Vec::new(),
        });
    }

    for (layer, files) in tests {
        let bytes: u64 = files.iter().map(|f| f.1).sum();
        if bytes < ctx.cfg.min_bytes {
            continue;
        }
        let name = ctx.layer_name(layer);
        sink.push(Draft {
            code: RuleId::PythonTests,
            message: format!("{name} ships {} of test suites inside site-packages ({})", format_size(bytes), count(files.len() as u64, "file", "files")),
            bytes,
            layer: Some(layer),
            created_by: ctx.created_by(layer),
            paths: sample_paths(files, 5),
            fix: "delete them in the same RUN that installs the packages (`find … -path '*/site-packages/*/tests' -prune -exec rm -rf {} +`), or in the builder stage".into(),
            references: Vec::new(),
        });
    }

    // Lambda images only: elsewhere a writable filesystem caches the compiled bytecode.
    let lambda = ctx.image.config.env_var("LAMBDA_TASK_ROOT").is_some()
        || ctx.scan.fs.get("var/runtime").is_some();
    if lambda && !site_py.is_empty() {
        let missing: Vec<&str> = site_py
            .iter()
            .copied()
            .filter(|p| !compiled.contains(p.trim_end_matches(".py")))
            .collect();
        if !missing.is_empty() {
            let bytes: u64 = missing
                .iter()
                .filter_map(|p| ctx.scan.fs.get(p))
                .map(|n| n.size)
                .sum();
            sink.inform(Draft {
                code: RuleId::MissingBytecode,
                message: format!(
                    "{} of {} have no bytecode for Python {list}: Lambda's filesystem is read-only, so every cold start compiles them",
                    crate::units::number(missing.len() as u64),
                    count(site_py.len() as u64, "site-packages .py file", "site-packages .py files")
                ),
                bytes,
                layer: None,
                created_by: None,
                paths: missing.iter().take(5).map(|p| format!("/{p}")).collect(),
                fix: "compile at build time with the runtime's Python: `python -m compileall -q <site-packages>` in the same stage".into(),
                references: Vec::new(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytecode_names_split_into_module_and_tag() {
        assert_eq!(
            pyc_parts("usr/lib/python3.11/site-packages/a/__pycache__/b.cpython-311.pyc"),
            Some(("usr/lib/python3.11/site-packages/a/b".into(), "311"))
        );
        assert_eq!(
            pyc_parts("x/__pycache__/m.cpython-39.opt-1.pyc").map(|p| p.1),
            Some("39")
        );
        assert_eq!(pyc_parts("x/m.pyc"), None);
    }
}

#[cfg(test)]
mod built {
    use crate::model::Severity;
    use crate::rules::testing::{findings, of, rules, ImageBuilder};

    const SITE: &str = "var/lang/lib/python3.12/site-packages";

    fn python() -> ImageBuilder {
        ImageBuilder::new()
            .layer("ADD python.tar /")
            .file("var/lang/bin/python3.12", 10_000)
    }

    #[test]
    fn bytecode_for_another_python_is_stale() {
        let built = python()
            .layer("COPY deps /var/lang")
            .file(&format!("{SITE}/a/__pycache__/m.cpython-311.pyc"), 4_000)
            .file(&format!("{SITE}/a/__pycache__/n.cpython-312.pyc"), 4_000)
            .build();
        let f = findings(&built, &rules(""));
        let stale = of(&f, "stale-bytecode");
        assert_eq!(stale.len(), 1);
        assert_eq!(stale[0].bytes, 4_000);
        assert_eq!(stale[0].layer, Some(1));
        assert!(
            stale[0].message.contains("(it has 3.12)"),
            "{}",
            stale[0].message
        );
    }

    #[test]
    fn without_a_python_the_python_rules_say_nothing() {
        let built = ImageBuilder::new()
            .layer("COPY deps /")
            .file(&format!("{SITE}/a/__pycache__/m.cpython-311.pyc"), 4_000)
            .file(&format!("{SITE}/a/tests/test_a.py"), 2_000_000)
            .build();
        assert!(findings(&built, &rules(""))
            .iter()
            .all(|f| !f.rule.id().contains("bytecode")
                && f.rule != crate::model::RuleId::PythonTests));
    }

    #[test]
    fn test_suites_inside_site_packages_over_min_bytes_are_found() {
        let built = python()
            .layer("RUN pip install numpy")
            .file(&format!("{SITE}/numpy/tests/test_a.py"), 1_500_000)
            .file(&format!("{SITE}/numpy/core.py"), 100)
            .build();
        let f = findings(&built, &rules(""));
        let tests = of(&f, "python-tests");
        assert_eq!(tests.len(), 1);
        assert_eq!(tests[0].bytes, 1_500_000);
        assert!(of(
            &findings(&built, &rules("min_bytes = \"2MB\"")),
            "python-tests"
        )
        .is_empty());
    }

    #[test]
    fn missing_bytecode_only_informs_and_only_on_lambda_images() {
        let image = |lambda: bool| {
            let b = python().layer("RUN pip install x");
            let b = if lambda {
                b.env("LAMBDA_TASK_ROOT=/var/task")
            } else {
                b
            };
            b.file(&format!("{SITE}/x/a.py"), 100)
                .file(&format!("{SITE}/x/b.py"), 100)
                .file(&format!("{SITE}/x/__pycache__/b.cpython-312.pyc"), 100)
                .build()
        };
        let f = findings(&image(true), &rules(""));
        let missing = of(&f, "missing-bytecode");
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].severity, Severity::Info);
        assert_eq!(missing[0].paths, vec![format!("/{SITE}/x/a.py")]);
        assert!(
            of(
                &findings(&image(true), &rules("missing-bytecode = \"deny\"")),
                "missing-bytecode"
            )[0]
            .severity
                == Severity::Info
        );
        assert!(of(&findings(&image(false), &rules("")), "missing-bytecode").is_empty());
    }
}
