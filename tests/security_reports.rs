//! `gate security` on real scanner output: every fixture parses, with the findings counted
//! independently here (from the raw JSON) matching what the gate reports; detection by
//! content; broken and foreign files are exit 2. (The real scanners, run here offline, are in
//! tests/security_tools.rs.)

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{fixtures, gate, gate_json};

fn reports() -> PathBuf {
    fixtures().join("reports")
}

fn raw(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn security(p: &Path) -> Value {
    let (code, r) = gate_json(&["security", p.to_str().unwrap()]);
    assert!(code == 0 || code == 1, "{}: {r}", p.display());
    r["security"].clone()
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

/// Unique (id, package, version) of vulnerabilities, plus the other kinds, as Trivy lists them.
fn trivy_expected(doc: &Value) -> (usize, usize) {
    let mut vulns = BTreeSet::new();
    let mut others = 0;
    let mut suppressed = 0;
    for r in doc["Results"].as_array().into_iter().flatten() {
        for v in r["Vulnerabilities"].as_array().into_iter().flatten() {
            vulns.insert((
                s(&v["VulnerabilityID"]),
                s(&v["PkgName"]).to_lowercase(),
                s(&v["InstalledVersion"]),
            ));
        }
        others += r["Misconfigurations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["Status"] == "FAIL")
            .count();
        let mut secrets = BTreeSet::new();
        for x in r["Secrets"].as_array().into_iter().flatten() {
            secrets.insert((s(&x["RuleID"]), x["StartLine"].as_u64()));
        }
        others += secrets.len();
        others += r["Licenses"].as_array().map(|l| l.len()).unwrap_or(0);
        suppressed += r["ExperimentalModifiedFindings"]
            .as_array()
            .map(|l| l.len())
            .unwrap_or(0);
    }
    (vulns.len() + others, suppressed)
}

#[test]
fn every_trivy_json_fixture() {
    let dir = reports().join("trivy");
    let mut seen = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let doc = raw(&p);
        if p.extension().is_none_or(|x| x != "json") || doc.get("SchemaVersion").is_none() {
            continue;
        }
        let (want, want_suppressed) = trivy_expected(&doc);
        let sec = security(&p);
        assert_eq!(
            sec["findings"].as_array().unwrap().len(),
            want,
            "{}",
            p.display()
        );
        assert_eq!(
            sec["suppressed"].as_array().map(|a| a.len()).unwrap_or(0),
            want_suppressed,
            "{}",
            p.display()
        );
        assert_eq!(sec["sources"][0]["format"], "trivy");
        seen += 1;
    }
    assert!(seen >= 10, "{seen}");
}

#[test]
fn trivy_fields_layers_and_statuses() {
    let sec = security(&reports().join("trivy/debian-buster.json"));
    let f = sec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "CVE-2019-18276")
        .unwrap()
        .clone();
    assert_eq!(f["package"], "bash");
    assert_eq!(f["installed"], "5.0-4");
    assert_eq!(f["source"], serde_json::json!(["trivy"]));
    assert!(f["layer"].as_str().unwrap().starts_with("sha256:78c1b94"));
    let sec = security(&reports().join("trivy/npm-with-suppressed.json"));
    let sup = &sec["suppressed"][0];
    assert_eq!(sup["id"], "CVE-2017-16137");
    assert!(s(&sup["suppressed"]).contains("not_affected: vulnerable_code_not_in_execute_path"));
    // Misconfigurations: only FAIL, with the new-style id and its old spelling as an alias.
    let sec = security(&reports().join("trivy/dockerfile.json"));
    let m = &sec["findings"][0];
    assert_eq!(m["kind"], "misconfiguration");
    assert!(m["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "AVD-DS-0002" || a == "DS0002"));
}

#[test]
fn cargo_audit_severity_from_cvss_or_policy() {
    let p = reports().join("cargo-audit/vulnerable.audit.json");
    let doc = raw(&p);
    let list = doc["vulnerabilities"]["list"].as_array().unwrap();
    let warnings: usize = doc["warnings"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_array().unwrap().len())
        .sum();
    let sec = security(&p);
    let findings = sec["findings"].as_array().unwrap();
    assert_eq!(findings.len(), list.len() + warnings);
    for v in list {
        let id = s(&v["advisory"]["id"]);
        let f = findings.iter().find(|f| f["id"] == id.as_str()).unwrap();
        assert_eq!(f["package"], v["package"]["name"]);
        match v["advisory"]["cvss"].as_str() {
            Some(vec) => {
                // The band of the vector's base score, by the CVSS spec's own table.
                let score = vec.parse::<cvss::Cvss>().unwrap().score();
                let want = match score {
                    x if x >= 9.0 => "critical",
                    x if x >= 7.0 => "high",
                    x if x >= 4.0 => "medium",
                    x if x > 0.0 => "low",
                    _ => "unknown",
                };
                assert_eq!(f["severity"], want, "{id}");
            }
            None => {
                assert_eq!(f["severity"], "medium", "{id}: the policy's default");
                assert!(s(&f["note"]).contains("no CVSS"));
            }
        }
    }
    // The default for advisories without CVSS is the user's to set.
    let dir = tempfile::tempdir().unwrap();
    let pol = dir.path().join("gate.toml");
    std::fs::write(&pol, "[security]\ndefault_severity = \"critical\"\n").unwrap();
    let (_, r) = gate_json(&[
        "security",
        p.to_str().unwrap(),
        "--policy",
        pol.to_str().unwrap(),
    ]);
    let no_cvss: Vec<&Value> = list
        .iter()
        .filter(|v| v["advisory"]["cvss"].is_null())
        .collect();
    for v in no_cvss {
        let f = r["security"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == v["advisory"]["id"])
            .unwrap()
            .clone();
        assert_eq!(f["severity"], "critical");
    }
}

#[test]
fn grype_matches() {
    for name in [
        "grype-image.json",
        "defectdojo-check_all_fields.json",
        "defectdojo-fix_available.json",
        "defectdojo-many_vulns_with_epss_values.json",
        "defectdojo-no_vuln.json",
    ] {
        let p = reports().join("grype").join(name);
        let doc = raw(&p);
        let keys: BTreeSet<(String, String, String)> = doc["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    s(&m["vulnerability"]["id"]),
                    s(&m["artifact"]["name"]).to_lowercase(),
                    s(&m["artifact"]["version"]),
                )
            })
            .collect();
        let sec = security(&p);
        assert_eq!(
            sec["findings"].as_array().unwrap().len(),
            keys.len(),
            "{name}"
        );
    }
    let sec = security(&reports().join("grype/grype-image.json"));
    let f = sec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "CVE-1999-0001")
        .unwrap()
        .clone();
    assert_eq!(f["fixed"], "1.2.1, 2.1.3, 3.4.0");
    assert_eq!(f["severity"], "low");
}

#[test]
fn sarif_severity_from_security_severity_then_level_then_rule_default() {
    let sec = security(&reports().join("sarif/semgrep.sarif"));
    let by_id = |id: &str| {
        sec["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap()
            .clone()
    };
    let doc = raw(&reports().join("sarif/semgrep.sarif"));
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        let id = s(&rule["id"]);
        let want = match rule["properties"]["security-severity"]
            .as_str()
            .and_then(|x| x.parse::<f64>().ok())
        {
            Some(x) if x >= 9.0 => "critical",
            Some(x) if x >= 7.0 => "high",
            Some(x) if x >= 4.0 => "medium",
            Some(x) if x > 0.0 => "low",
            _ => match rule["defaultConfiguration"]["level"].as_str() {
                Some("error") => "high",
                Some("warning") => "medium",
                _ => "low",
            },
        };
        assert_eq!(by_id(&id)["severity"], want, "{id}");
        assert_eq!(by_id(&id)["source"][0], "semgrep");
    }
    // Results without a level take the rule's default configuration.
    let sec = security(&reports().join("sarif/semgrep-test_sarif_output_include_nosemgrep.sarif"));
    assert_eq!(
        sec["findings"].as_array().unwrap().len()
            + sec["suppressed"].as_array().map(|a| a.len()).unwrap_or(0),
        2
    );
    let doc = raw(&reports().join("sarif/bandit.sarif"));
    let sec = security(&reports().join("sarif/bandit.sarif"));
    assert_eq!(
        sec["findings"].as_array().unwrap().len(),
        doc["runs"][0]["results"].as_array().unwrap().len()
    );
}

#[test]
fn cyclonedx_1_4_to_1_7_with_vex() {
    for name in [
        "trivy-pom-cyclonedx-1.6-with-vulns.json",
        "trivy-pom-cyclonedx-1.7-with-vulns.json",
        "grype-TestCycloneDxPresenterImage-1.7.golden.json",
        "bom-examples-VEX-CISA-case2-vex-1.4.json",
        "bom-examples-VEX-vex-1.4.json",
        "bom-examples-VEX-CISA-case1-not_affected-1.4.json",
    ] {
        let p = reports().join("cyclonedx").join(name);
        let doc = raw(&p);
        let (mut live, mut dead) = (0, 0);
        for v in doc["vulnerabilities"].as_array().into_iter().flatten() {
            let n = v["affects"].as_array().map(|a| a.len()).unwrap_or(0).max(1);
            match v["analysis"]["state"].as_str() {
                Some("not_affected" | "false_positive" | "resolved") => dead += n,
                _ => live += n,
            }
        }
        let sec = security(&p);
        assert_eq!(sec["findings"].as_array().unwrap().len(), live, "{name}");
        assert_eq!(
            sec["suppressed"].as_array().map(|a| a.len()).unwrap_or(0),
            dead,
            "{name}"
        );
    }
    let sec =
        security(&reports().join("cyclonedx/bom-examples-VEX-CISA-case1-not_affected-1.4.json"));
    assert!(s(&sec["suppressed"][0]["suppressed"]).starts_with("VEX not_affected"));
    // The SBOM's inventory, counted by type and ecosystem.
    let p = reports().join("trivy-local/fat-lambda.cdx.json");
    let sec = security(&p);
    let inv = &sec["inventory"];
    assert_eq!(inv["by_ecosystem"]["deb"], 120);
    assert_eq!(inv["by_ecosystem"]["pypi"], 14);
}

#[test]
fn one_list_across_tools_with_one_verdict() {
    let r = reports();
    let (code, rep) = gate_json(&[
        "security",
        r.join("trivy/debian-buster.json").to_str().unwrap(),
        r.join("grype/grype-image.json").to_str().unwrap(),
        r.join("cargo-audit/vulnerable.audit.json")
            .to_str()
            .unwrap(),
        "--fail-on",
        "critical",
    ]);
    assert_eq!(code, 1);
    let c = rep["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "security-fail-on")
        .unwrap()
        .clone();
    let crit = rep["security"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "critical")
        .count();
    assert_eq!(c["actual"], crit);
    let by_source = &rep["security"]["counts"]["by_source"];
    assert!(
        by_source["trivy"].as_u64().unwrap() > 0
            && by_source["grype"].as_u64().unwrap() > 0
            && by_source["cargo-audit"].as_u64().unwrap() > 0
    );
}

#[test]
fn foreign_and_broken_files_are_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "package.json",
            br#"{"name":"x","version":"1.0.0"}"#.to_vec(),
            "not a scanner report",
        ),
        ("empty.json", Vec::new(), "empty"),
        (
            "half.json",
            std::fs::read(reports().join("trivy/debian-buster.json")).unwrap()[..3000].to_vec(),
            "not a valid trivy report",
        ),
    ];
    for (name, bytes, needle) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let out = gate(&["security", p.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.contains(p.to_str().unwrap()) && err.contains(needle),
            "{name}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1);
    }
    // --audit given a Grype report: the content wins, and says so.
    let img = support::image("dive-test-docker-image.tar");
    let grype = reports().join("grype/grype-image.json");
    let out = gate(&[
        "check",
        img.to_str().unwrap(),
        "--audit",
        grype.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("given as cargo-audit but the content is grype"));
}

#[test]
fn a_large_report_is_streamed() {
    // 60 MB of Trivy JSON: 200,000 vulnerabilities across 2,000 packages.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.json");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    use std::io::Write;
    write!(w, r#"{{"SchemaVersion":2,"ArtifactName":"big","Results":[{{"Target":"big","Class":"os-pkgs","Vulnerabilities":["#).unwrap();
    for i in 0..200_000u32 {
        if i > 0 {
            w.write_all(b",").unwrap();
        }
        write!(w, r#"{{"VulnerabilityID":"CVE-2024-{i}","PkgName":"pkg{}","InstalledVersion":"1.0","FixedVersion":"","Severity":"LOW","Title":"{}","Description":"{}"}}"#, i % 2000, "t".repeat(60), "d".repeat(150)).unwrap();
    }
    w.write_all(b"]}]}").unwrap();
    drop(w);
    assert!(std::fs::metadata(&p).unwrap().len() > 50_000_000);
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(env!("CARGO_BIN_EXE_gate"))
        .args([
            "security",
            p.to_str().unwrap(),
            "--format",
            "json",
            "--output",
            dir.path().join("r.json").to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .output();
    let Ok(out) = out else { return };
    assert_eq!(out.status.code(), Some(0));
    let r: Value = raw(&dir.path().join("r.json"));
    assert_eq!(r["security"]["findings"].as_array().unwrap().len(), 200_000);
    let rss_kb: u64 = String::from_utf8_lossy(&out.stderr)
        .trim()
        .lines()
        .last()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Streaming into typed findings: well under the 10x a DOM of the whole file would take.
    assert!(rss_kb * 1024 < 400_000_000, "peak RSS {rss_kb} KiB");
}
