//! The reference in docs/ is held to the code: what the code defines (subcommands and flags,
//! rule ids, gate.toml keys) must be documented, and what is documented must still exist.
//! Adding a flag, a rule or a key without its line in docs/ fails here.
//!
//! The CLI lives in the binary (src/cli/), not the library, so its flags are read from what
//! users read too: `gate --help` and each subcommand's help, walked recursively.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn help(path: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(path)
        .arg("--help")
        .output()
        .expect("run gate");
    assert!(out.status.success(), "gate {path:?} --help failed");
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

/// The lines of one section of clap's help ("Commands:", "Options:").
fn help_section<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| *l != name)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .collect()
}

/// Every subcommand, as the words typed after `gate` ("check", "perf merge"), leaves and
/// parents alike; `help` is clap's own.
fn subcommands() -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut todo = vec![Vec::<String>::new()];
    while let Some(path) = todo.pop() {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        let text = help(&args);
        for line in help_section(&text, "Commands:") {
            // A name is indented two spaces; wrapped descriptions are indented further.
            if line.starts_with("  ") && !line.starts_with("   ") {
                let name = line.split_whitespace().next().unwrap();
                if name != "help" {
                    let mut sub = path.clone();
                    sub.push(name.to_string());
                    todo.push(sub.clone());
                    found.push(sub);
                }
            }
        }
    }
    found.sort();
    found
}

/// The long flags of one subcommand (`--help` and `--version` are clap's own).
fn flags(sub: &[String]) -> BTreeSet<String> {
    let args: Vec<&str> = sub.iter().map(String::as_str).collect();
    let text = help(&args);
    help_section(&text, "Options:")
        .into_iter()
        .filter_map(|l| {
            // An option starts at an indent of 2 (`-o, --output`) or 6 (`      --format`);
            // deeper lines continue a description and may name other flags.
            let indent = l.len() - l.trim_start().len();
            let t = l.trim_start();
            let t = if t.starts_with('-') && !t.starts_with("--") {
                t.split_once(", ")?.1
            } else {
                t
            };
            (indent <= 6 && t.starts_with("--"))
                .then(|| t.split([' ', '=']).next().unwrap().to_string())
        })
        .filter(|f| f != "--help" && f != "--version")
        .collect()
}

/// A page cut at its `## ` headings: (heading line, body).
fn sections(page: &str) -> Vec<(String, String)> {
    page.split("\n## ")
        .skip(1)
        .map(|s| {
            let (head, body) = s.split_once('\n').unwrap_or((s, ""));
            (head.to_string(), body.to_string())
        })
        .collect()
}

/// The backticked words of the first cell of each table row in `body`.
fn first_cells(body: &str) -> Vec<String> {
    body.lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| {
            let cell = l[1..].split(" | ").next().unwrap_or("");
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The subcommands a docs/cli.md section applies to: those its heading names as `gate …`.
fn applies_to(heading: &str) -> Vec<String> {
    heading
        .split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|w| w.strip_prefix("gate "))
        .map(str::to_string)
        .collect()
}

fn mentions_flag(body: &str, flag: &str) -> bool {
    [" ", "`", "="]
        .iter()
        .any(|end| body.contains(&format!("`{flag}{end}")))
}

#[test]
fn cli_md_documents_every_flag_of_every_subcommand() {
    let page = read("docs/cli.md");
    let secs = sections(&page);
    let subs = subcommands();
    assert!(
        subs.len() >= 9,
        "the walk found too few subcommands: {subs:?}"
    );
    let mut missing = Vec::new();
    for sub in &subs {
        let name = sub.join(" ");
        let mine: Vec<&(String, String)> = secs
            .iter()
            .filter(|(h, _)| applies_to(h).contains(&name))
            .collect();
        // A parent (`gate history`) with no flags of its own needs no section.
        let own = flags(sub);
        if mine.is_empty() && !own.is_empty() {
            missing.push(format!("no section for `gate {name}`"));
        }
        for flag in own {
            if !mine.iter().any(|(_, body)| mentions_flag(body, &flag)) {
                missing.push(format!("gate {name} {flag}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/cli.md lacks: {}",
        missing.join(", ")
    );
}

#[test]
fn cli_md_documents_no_flag_or_subcommand_the_code_lacks() {
    let page = read("docs/cli.md");
    let subs: BTreeMap<String, BTreeSet<String>> = subcommands()
        .into_iter()
        .map(|s| (s.join(" "), flags(&s)))
        .collect();
    let mut stale = Vec::new();
    for (heading, body) in sections(&page) {
        let applies = applies_to(&heading);
        assert!(
            !applies.is_empty(),
            "section `{heading}` names no subcommand"
        );
        for sub in &applies {
            let Some(real) = subs.get(sub) else {
                stale.push(format!("`gate {sub}` (no such subcommand)"));
                continue;
            };
            for cell in first_cells(&body) {
                let flag = cell.split([' ', '=']).next().unwrap();
                if flag.starts_with("--") && !real.contains(flag) {
                    stale.push(format!("gate {sub} {flag}"));
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "docs/cli.md documents what the code lacks: {}",
        stale.join(", ")
    );
}

/// Every rule id the code defines, of every family (one type: `model::RuleId`).
fn code_rule_ids() -> BTreeSet<String> {
    lambda_gate::model::RuleId::all()
        .map(|c| c.id().to_string())
        .collect()
}

#[test]
fn rules_md_lists_every_rule_id_and_no_other() {
    let page = read("docs/rules.md");
    let ids = code_rule_ids();
    assert!(ids.len() >= 30, "too few rule ids: {ids:?}");
    let tabled: BTreeSet<String> = sections(&page)
        .iter()
        .flat_map(|(_, body)| first_cells(body))
        .collect();
    let missing: Vec<&String> = ids.iter().filter(|id| !tabled.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "docs/rules.md has no row for {missing:?}"
    );
    let unknown: Vec<&String> = tabled.iter().filter(|id| !ids.contains(*id)).collect();
    assert!(
        unknown.is_empty(),
        "docs/rules.md lists rules the code lacks: {unknown:?}"
    );
}

/// What `src/…` file `rel` holds, its test module cut (a rule raised only by a test is no rule).
fn source(rel: &str) -> String {
    let text = read(rel);
    match text.find("#[cfg(test)]") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// docs/rules.md's "Adding a rule" says where each family's rules live: every id is where it
/// says, and every file it names exists.
#[test]
fn every_rule_id_is_raised_where_adding_a_rule_says() {
    use lambda_gate::model::{Family, RuleId, RuleKind};
    let page = read("docs/rules.md");
    let (_, adding) = sections(&page)
        .into_iter()
        .find(|(h, _)| h == "Adding a rule")
        .expect("docs/rules.md has an \"Adding a rule\" section");
    for rel in adding.split('`').skip(1).step_by(2) {
        if rel.starts_with("src/") && !rel.contains("NAME") {
            assert!(
                root().join(rel).exists(),
                "\"Adding a rule\" names {rel}, which is not there"
            );
        }
    }
    let image_files: Vec<String> = std::fs::read_dir(root().join("src/rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| format!("src/rules/{}", p.file_name().unwrap().to_string_lossy()))
        .chain([
            "src/policy/base.rs".to_string(),
            "src/budget.rs".to_string(),
        ])
        .collect();
    for id in RuleId::all() {
        let variant = format!("RuleId::{id:?}");
        let raised_in = |files: &[String]| files.iter().any(|f| source(f).contains(&variant));
        match id.family() {
            Family::Image if id.kind() == RuleKind::Cache => assert!(
                lambda_gate::rules::caches::row(id).is_some(),
                "{id}: a cache rule without its caches::row arm"
            ),
            Family::Image => assert!(
                raised_in(&image_files),
                "{id}: an image rule no file of src/rules/ raises ({variant})"
            ),
            Family::Packages => assert!(
                raised_in(&["src/package_policy/mod.rs".to_string()]),
                "{id}: a package rule src/package_policy/mod.rs does not raise"
            ),
            Family::Lambda => {
                let name = id.id().strip_prefix("lambda-").unwrap().replace('-', "_");
                let file = format!("src/deployed/rules/{name}.rs");
                assert!(root().join(&file).exists(), "{id}: no {file}");
                let code = source(&file);
                assert!(
                    code.contains("pub const RULE: Rule") && code.contains(&variant),
                    "{file} is not {id}'s RULE"
                );
                assert!(
                    read("src/deployed/rules/mod.rs").contains(&format!("pub mod {name};")),
                    "{file} is not declared in src/deployed/rules/mod.rs"
                );
                assert!(
                    lambda_gate::deployed::rule(id).is_some(),
                    "{id}: not in deployed::RULES"
                );
            }
        }
    }
}

/// The keys `gate init` writes, by table: `# key = …` lines, and the keys of the inline
/// tables in its examples (`{ name = …, reason = … }`).
fn init_keys(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let file = dir.join("gate.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .arg("init")
        .arg(&file)
        .output()
        .expect("run gate init");
    assert!(out.status.success(), "gate init failed");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut keys: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut table = String::new();
    for line in text.lines() {
        if let Some(t) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = t.to_string();
            keys.entry(table.clone()).or_default();
            continue;
        }
        let Some(body) = line.strip_prefix('#') else {
            continue;
        };
        let body = body.trim_start();
        let key_of = |s: &str| -> Option<String> {
            let (k, _) = s.split_once(" = ")?;
            let k = k.trim().trim_matches('"');
            (!k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c)))
            .then(|| k.to_string())
        };
        if let Some(inline) = body.strip_prefix('{') {
            for part in inline.trim_end_matches(['}', ',', ' ']).split(", ") {
                keys.entry(table.clone())
                    .or_default()
                    .extend(key_of(part.trim()));
            }
        } else if let Some(k) = key_of(body) {
            keys.entry(table.clone()).or_default().insert(k);
        }
    }
    keys
}

#[test]
fn gate_toml_md_documents_every_key_gate_init_writes() {
    let dir = tempfile::tempdir().unwrap();
    let keys = init_keys(dir.path());
    assert!(keys.len() >= 5, "gate init wrote too few tables: {keys:?}");
    let page = read("docs/gate-toml.md");
    let secs = sections(&page);
    let mut missing = Vec::new();
    for (table, ks) in &keys {
        let head = format!("`[{table}]`");
        let Some((_, body)) = secs.iter().find(|(h, _)| *h == head) else {
            missing.push(format!("a section `## {head}`"));
            continue;
        };
        let documented: BTreeSet<String> = first_cells(body).into_iter().collect();
        for k in ks {
            if !documented.contains(k) {
                missing.push(format!("[{table}] {k}"));
            }
        }
        // And nothing in the table that gate init no longer writes.
        for d in &documented {
            if !ks.contains(d) {
                missing.push(format!(
                    "[{table}] {d} is documented but gate init does not write it"
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/gate-toml.md vs gate init: {}",
        missing.join(", ")
    );
}

#[test]
fn every_relative_link_in_the_readme_and_docs_resolves() {
    let mut pages = vec![root().join("README.md")];
    for e in std::fs::read_dir(root().join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            pages.push(p);
        }
    }
    let mut broken = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for target in text.split("](").skip(1).filter_map(|s| s.split(')').next()) {
            if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
                continue;
            }
            let file = target.split('#').next().unwrap();
            let path = page.parent().unwrap().join(file);
            if !path.exists() {
                broken.push(format!("{}: {target}", page.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links: {broken:?}");
}

#[test]
fn the_readme_test_command_is_the_one_ci_runs() {
    let readme = read("README.md");
    let ci = read(".ci/run");
    assert!(
        readme.contains("scripts/test.sh"),
        "the README names the test command"
    );
    let last = ci
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    assert!(
        last.contains("scripts/test.sh"),
        ".ci/run ends by running scripts/test.sh: {last}"
    );
}

/// Every key of an object, walked through arrays; the keys of maps whose keys are data (HTTP
/// statuses, error kinds, header names, tool names) are left out.
fn json_keys(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    const DATA_KEYED: &[&str] = &[
        "statuses",
        "errors",
        "missing_headers",
        "by_source",
        "by_type",
        "by_ecosystem",
    ];
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                out.insert(k.clone());
                if !DATA_KEYED.contains(&k.as_str()) {
                    json_keys(x, out);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_keys(x, out)),
        _ => {}
    }
}

#[test]
fn report_json_md_names_every_field_a_report_has() {
    // A report written now, from the image the repo ships, and the committed reports the
    // renderer tests read (with security and perf sections).
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .args([
            "check",
            "tests/data/dive-test-docker-image.tar",
            "--format",
            "json",
        ])
        .current_dir(root())
        .output()
        .expect("run gate check");
    assert_eq!(out.status.code(), Some(0));
    let mut keys = BTreeSet::new();
    json_keys(&serde_json::from_slice(&out.stdout).unwrap(), &mut keys);
    for f in [
        "tests/data/function-naive-report.json",
        "tests/data/function-naive-full-report.json",
    ] {
        json_keys(&serde_json::from_str(&read(f)).unwrap(), &mut keys);
    }
    assert!(keys.len() > 50, "too few keys: {keys:?}");
    let page = read("docs/report-json.md");
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| {
            // Named as `k`, `k[]`, `image.k`, `image.k[]` or `k.sub`.
            ![
                format!("`{k}`"),
                format!("`{k}[]"),
                format!(".{k}`"),
                format!(".{k}[]"),
                format!("`{k}."),
            ]
            .iter()
            .any(|p| page.contains(p.as_str()))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "docs/report-json.md does not name {missing:?}"
    );
}
