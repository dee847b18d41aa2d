//! The PR comment for a real run, checked in as a snapshot a reviewer can read
//! (tests/snapshots/*.md); `UPDATE_SNAPSHOTS=1 cargo test --test report_markdown` rewrites it.

mod support;

use support::{fixtures, gate};

fn snapshot(name: &str, rendered: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() || !path.exists() {
        std::fs::write(&path, rendered).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        rendered,
        want,
        "{} changed; rerun with UPDATE_SNAPSHOTS=1 and review the diff",
        path.display()
    );
}

#[test]
fn dive_test_image_with_trivy_and_grype() {
    let r = fixtures().join("reports");
    let img = support::image("dive-test-docker-image.tar");
    let out = gate(&[
        "check",
        img.to_str().unwrap(),
        "--max-wasted",
        "10kB",
        "--trivy",
        r.join("trivy-local/planted-secrets.json").to_str().unwrap(),
        "--grype",
        r.join("grype/grype-image.json").to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.len() < 65_536);
    snapshot("dive-test-trivy-grype.md", &md);
}

/// The bundled function's naive image (caches, a toolchain, waste), Trivy's secret scan and
/// SBOM of it, and a perf run under the Lambda Runtime Interface Emulator: the JSON report
/// tests/e2e_pipeline.rs produces, kept in tests/data so that its comment is reviewable here.
#[test]
fn function_naive_image_with_trivy_sbom_and_perf() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/function-naive-report.json");
    let report = lambda_gate::report::json::read(&path, "the report").unwrap();
    let md = lambda_gate::report::markdown::render(&report);
    assert!(md.starts_with("### ❌ lambda-gate: **FAIL**"));
    for rule in ["pip-cache", "apt-lists", "build-toolchain", "layer-waste"] {
        assert!(md.contains(&format!("`{rule}`")), "{rule}");
    }
    assert!(md.contains("#### Performance") && md.contains("| 40 | 100.0% |"));
    snapshot("function-naive-trivy-perf.md", &md);
}

#[test]
fn a_hostile_image_cannot_break_the_comment() {
    // Build a report whose untrusted strings try every trick, and render it.
    let mut report: serde_json::Value = {
        let img = support::image("ggcr-test_image_1.tar");
        let out = gate(&["check", img.to_str().unwrap(), "--format", "json"]);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let evil = "x | y\n<script>alert(1)</script> @octocat [link](https://evil.example) ``` ![img](https://t)";
    report["image"]["layers"][0]["created_by"] = evil.into();
    report["image"]["top_wasted"] = serde_json::json!([{"path": evil, "bytes": 5, "layer": 0, "hidden_by": 0, "reason": "removed"}]);
    report["security"] = serde_json::json!({"findings": [{"id": evil, "source": ["trivy"], "severity": "high", "package": evil, "installed": "1", "fixed": "", "title": evil}], "counts": {"by_severity": {"high": 1}, "by_source": {"trivy": 1}, "fixable": 0, "unfixable": 1}, "sources": []});
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.json");
    std::fs::write(&p, report.to_string()).unwrap();
    // Render through the real binary: `gate comment` would post exactly this Markdown.
    let lib_md = {
        let r: lambda_gate::report::Report = serde_json::from_value(report).unwrap();
        lambda_gate::report::markdown::render(&r)
    };
    // Inside code spans nothing is interpreted; outside them nothing hostile may remain.
    let outside: String = lib_md
        .lines()
        .map(outside_code)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!outside.contains("<script>"), "{outside}");
    assert!(!outside.contains("@octocat"));
    assert!(!outside.contains("](https://"));
    assert!(!outside.contains("![img]"));
    for line in lib_md.lines().filter(|l| l.starts_with('|')) {
        // Every table row keeps its column count: escaped pipes are not separators.
        let cells = line.replace("\\|", "").matches('|').count();
        assert!(cells >= 3, "{line}");
    }
    let table_rows: Vec<&str> = lib_md.lines().filter(|l| l.contains("x \\| y")).collect();
    assert!(!table_rows.is_empty());
}

/// The line with its code spans removed (CommonMark: a run of n backticks opens a span that
/// the next run of exactly n backticks closes).
fn outside_code(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '`' {
            let start = i;
            while i < chars.len() && chars[i] == '`' {
                i += 1;
            }
            let n = i - start;
            // find the closing run of exactly n
            let mut j = i;
            let mut closed = None;
            while j < chars.len() {
                if chars[j] == '`' {
                    let s = j;
                    while j < chars.len() && chars[j] == '`' {
                        j += 1;
                    }
                    if j - s == n {
                        closed = Some(j);
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            match closed {
                Some(end) => i = end,
                None => out.extend(&chars[start..i]),
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}
