//! The data flows one way (lib.rs): read from the imports of every source file, not taken on
//! trust. Each module has a rank; a file may use its own module and lower ranks only. And no
//! two files of one module use each other, directly or round a circle (a module's mod.rs, which
//! declares its files, is left out of that: it is their parent, not a sibling).
//!
//! Hand-parsed, not syn: `crate::x` / `lambda_gate::x` paths and `super::x` are all this needs,
//! and test code (after `#[cfg(test)]`) and comments are cut first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lowest first. `model` is the report's data; `report` is its renderers, which read that
/// data and nothing above it (`report` re-exports the model for the binary; below the
/// renderers, code names `crate::model`, so this test can tell which one it means).
const RANKS: &[(&str, u8)] = &[
    ("units", 0),
    ("term", 0),
    ("runtime", 0),
    ("retry", 0),
    ("image", 1),
    ("aws", 1),
    ("model", 2),
    ("packages", 3),
    ("security", 3),
    ("perf", 3),
    ("rules", 3),
    ("report", 3),
    ("budget", 4),
    ("deployed", 4),
    ("delta", 4),
    ("package_policy", 4),
    ("source", 4),
    ("policy", 5),
    ("check", 6),
    ("github", 6),
];

/// The module a `crate::` path or a file path names, as RANKS spells it.
fn module_of(path: &[&str]) -> Option<&'static str> {
    RANKS
        .iter()
        .map(|(m, _)| *m)
        .find(|m| path.first() == Some(m))
}

fn rank(module: &str) -> u8 {
    RANKS.iter().find(|(m, _)| *m == module).unwrap().1
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The file's code without comments and without its test module.
fn code(src: &str) -> String {
    let src = match src.find("#[cfg(test)]") {
        Some(i) => &src[..i],
        None => src,
    };
    src.lines()
        .map(|l| match l.find("//") {
            // A `//` inside a string ("https://…") is rare in use lines; cut anyway.
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `prefix` path in `code`, as its segments (`crate::perf::target::Invoke` →
/// ["perf", "target", "Invoke"]). `use crate::x::{a, b}` gives ["x"]: enough for modules.
fn paths<'a>(code: &'a str, prefix: &str) -> Vec<Vec<&'a str>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let segs: Vec<&str> = rest[..end].split("::").filter(|s| !s.is_empty()).collect();
        if !segs.is_empty() {
            out.push(segs);
        }
    }
    out
}

struct File {
    /// Path under src/ without ".rs", e.g. ["perf", "target"] or ["perf", "mod"].
    parts: Vec<String>,
    code: String,
}

fn files() -> Vec<File> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    rust_files(&src, &mut all);
    all.sort();
    all.into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap().with_extension("");
            File {
                parts: rel
                    .iter()
                    .map(|s| s.to_string_lossy().into_owned())
                    .collect(),
                code: code(&std::fs::read_to_string(&p).unwrap()),
            }
        })
        .collect()
}

#[test]
fn imports_only_go_down_the_layers() {
    let mut wrong = BTreeSet::new();
    for f in files() {
        let parts: Vec<&str> = f.parts.iter().map(String::as_str).collect();
        let Some(own) = module_of(&parts) else {
            continue; // main.rs, lib.rs and cli/: the top, they may use anything
        };
        for prefix in ["crate::", "lambda_gate::"] {
            for p in paths(&f.code, prefix) {
                let Some(used) = module_of(&p) else { continue };
                if used != own && rank(used) >= rank(own) {
                    wrong.insert(format!(
                        "src/{}.rs ({own}, rank {}) uses {prefix}{} (rank {})",
                        f.parts.join("/"),
                        rank(own),
                        p.join("::"),
                        rank(used)
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the flow of data:\n{}",
        wrong.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn no_two_files_of_a_module_use_each_other() {
    let files = files();
    // Sibling files (not mod.rs) by directory.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let known: BTreeSet<String> = files.iter().map(|f| f.parts.join("/")).collect();
    for f in &files {
        let (dir, name) = f.parts.split_at(f.parts.len() - 1);
        if name[0] == "mod" || dir.is_empty() {
            continue;
        }
        let me = f.parts.join("/");
        let mut targets = Vec::new();
        for p in paths(&f.code, "super::") {
            if p[0] != "super" {
                targets.push(format!("{}/{}", dir.join("/"), p[0]));
            }
        }
        for p in paths(&f.code, "crate::")
            .into_iter()
            .chain(paths(&f.code, "lambda_gate::"))
        {
            if p.len() > dir.len() && p[..dir.len()] == *dir {
                targets.push(p[..=dir.len()].join("/"));
            }
        }
        for t in targets {
            if t != me && known.contains(&t) {
                edges.entry(me.clone()).or_default().insert(t);
            }
        }
    }
    // Depth-first search for a circle.
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        circles: &mut Vec<String>,
    ) {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut c = stack[i..].to_vec();
            c.push(n.to_string());
            circles.push(c.join(" → "));
            return;
        }
        if !done.insert(n.to_string()) {
            return;
        }
        stack.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            visit(m, edges, stack, done, circles);
        }
        stack.pop();
    }
    let mut circles = Vec::new();
    let mut done = BTreeSet::new();
    for n in edges.keys() {
        visit(n, &edges, &mut Vec::new(), &mut done, &mut circles);
    }
    assert!(
        circles.is_empty(),
        "files that use each other:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_parser_sees_what_it_must() {
    let c = code("use crate::perf::target::{a, b}; // crate::rules::x\nfn f() { super::cfg::Level::Deny; }\n#[cfg(test)]\nmod tests { use crate::cli; }");
    assert_eq!(paths(&c, "crate::"), vec![vec!["perf", "target"]]);
    assert_eq!(paths(&c, "super::"), vec![vec!["cfg", "Level", "Deny"]]);
    assert_eq!(module_of(&["model", "perf"]), Some("model"));
    assert_eq!(module_of(&["report", "sarif"]), Some("report"));
    assert_eq!(module_of(&["cli", "perf"]), None);
}

/// docs/architecture.md lists the ranks as this test defines them: a module added here without
/// its place on that page (or moved) fails.
#[test]
fn the_architecture_page_lists_these_ranks() {
    let page =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/architecture.md"))
            .unwrap();
    let flat = page.split_whitespace().collect::<Vec<_>>().join(" ");
    let top = RANKS.iter().map(|(_, r)| *r).max().unwrap();
    let groups: Vec<String> = (0..=top)
        .map(|rank| {
            let names: Vec<String> = RANKS
                .iter()
                .filter(|(_, r)| *r == rank)
                .map(|(m, _)| format!("`{m}`"))
                .collect();
            format!("{} {rank}", names.join(", "))
        })
        .collect();
    let listed = format!("({})", groups.join("; "));
    assert!(
        flat.contains(&listed),
        "docs/architecture.md should list the ranks as {listed}"
    );
}
