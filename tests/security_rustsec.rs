//! RustSec, natively (docs/rustsec.md): the crates of the inventory matched against the fixture advisory
//! database (../shared/fixtures/advisory-db, a plain directory) must say what cargo-audit
//! 0.22 says about the same crates, advisory by advisory, and join the security policy
//! (severity from CVSS, ignores with expiry, only-new, one finding when a cargo-audit JSON of
//! the same crates is given too).
//!
//! The crates are those of ../shared/fixtures/reports/cargo-audit/vulnerable.Cargo.lock, read
//! with cargo-lock (re-exported by rustsec) and turned into `packages[]` entries as the
//! inventory writes them for a binary's crates. An end-to-end `gate check` on an image holding
//! a `cargo auditable` binary needs the binary inventory (another branch): the lead adds it.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use lambda_gate::model::{Package, Report, Status};
use lambda_gate::security::cfg::{Expiry, Ignore, SecurityConfig};
use lambda_gate::security::{
    self, rustsec, FindingKind, FindingStatus, ParseOptions, SecurityFinding,
};
use serde_json::Value;
use support::{fixtures, gate, require_tools};

const BINARY: &str = "/var/task/bootstrap";

fn db() -> PathBuf {
    fixtures().join("advisory-db")
}

fn lockfile() -> PathBuf {
    fixtures().join("reports/cargo-audit/vulnerable.Cargo.lock")
}

/// The lockfile's crates.io packages as the inventory lists a binary's crates.
fn packages() -> Vec<Package> {
    let lock = ::rustsec::Lockfile::load(lockfile()).unwrap();
    lock.packages
        .iter()
        .filter(|p| p.source.as_ref().is_some_and(|s| s.is_default_registry()))
        .map(|p| Package {
            ecosystem: lambda_gate::model::Ecosystem::Cargo,
            name: p.name.as_str().into(),
            version: p.version.to_string(),
            purl: format!("pkg:cargo/{}@{}", p.name, p.version),
            bytes: 0,
            files: 0,
            layer: None,
            license: None,
            location: BINARY.into(),
            source: None,
            build_only: false,
        })
        .collect()
}

fn gate_audit() -> rustsec::Audit {
    let db = rustsec::Database::open(&db()).unwrap();
    rustsec::audit(&db, &rustsec::crates(&packages()), &ParseOptions::default()).unwrap()
}

/// cargo-audit itself on the same lockfile, offline: its exit code checked before its JSON
/// is trusted. Written to `out` when given.
fn cargo_audit(out: Option<&Path>) -> Option<Value> {
    if !require_tools(&["cargo-audit"]) {
        return None;
    }
    // The database flags go before the subcommand's; --no-yanked: the yanked check asks
    // crates.io's index, which neither an offline run nor the gate does.
    let o = Command::new("cargo")
        .args(["audit", "--db"])
        .arg(db())
        .args(["--no-fetch", "--no-yanked", "--json", "--file"])
        .arg(lockfile())
        .output()
        .unwrap();
    // 1: vulnerabilities found (anything else is a failure to run).
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["vulnerabilities"]["found"], true, "{v}");
    if let Some(p) = out {
        std::fs::write(p, &o.stdout).unwrap();
    }
    Some(v)
}

type Key = (String, String, String);

fn key(id: &Value, p: &Value) -> Key {
    (
        id.as_str().unwrap().into(),
        p["name"].as_str().unwrap().into(),
        p["version"].as_str().unwrap().into(),
    )
}

#[test]
fn findings_equal_cargo_audits_advisory_by_advisory() {
    let Some(expected) = cargo_audit(None) else {
        return;
    };
    let audit = gate_audit();
    let found = &audit.parsed.findings;

    let vulns: BTreeSet<Key> = expected["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| key(&v["advisory"]["id"], &v["package"]))
        .collect();
    let ours: BTreeSet<Key> = found
        .iter()
        .filter(|f| f.kind == Some(FindingKind::Vulnerability))
        .map(|f| (f.id.clone(), f.package.clone(), f.installed.clone()))
        .collect();
    assert_eq!(ours, vulns);
    assert!(vulns.len() >= 3, "the fixture has several: {vulns:?}");

    // cargo-audit's warnings (informational advisories: unmaintained, unsound, notice) are
    // advisories here, not vulnerabilities, of the same kind.
    let mut warnings = BTreeSet::new();
    for (kind, list) in expected["warnings"].as_object().unwrap() {
        for w in list.as_array().unwrap() {
            let k = key(&w["advisory"]["id"], &w["package"]);
            warnings.insert((kind.clone(), k));
        }
    }
    let ours: BTreeSet<(String, Key)> = found
        .iter()
        .filter(|f| f.kind == Some(FindingKind::Advisory))
        .map(|f| {
            let kind = f
                .note
                .as_deref()
                .unwrap()
                .trim_start_matches("cargo-audit warning: ");
            (
                kind.to_string(),
                (f.id.clone(), f.package.clone(), f.installed.clone()),
            )
        })
        .collect();
    assert_eq!(ours, warnings);
    assert!(
        warnings.iter().any(|(k, _)| k == "unmaintained")
            && warnings.iter().any(|(k, _)| k == "unsound"),
        "{warnings:?}"
    );
    assert_eq!(found.len(), vulns.len() + warnings.len());

    // Source and place: RustSec, the binary.
    for f in found {
        assert_eq!(f.source, ["RustSec"]);
        assert_eq!(f.location, BINARY);
    }
    assert_eq!(audit.check.status, Status::Pass);
    assert_eq!(audit.check.actual, "audited");
}

/// One mapping: the database's findings and the cargo-audit reader's findings of cargo-audit's
/// JSON are the same in everything but their source and place.
#[test]
fn severity_and_fix_come_out_as_the_cargo_audit_reader_maps_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.json");
    if cargo_audit(Some(&file)).is_none() {
        return;
    }
    let (_, parsed) = security::load(&file, Some("cargo-audit"), &ParseOptions::default()).unwrap();
    let shape = |f: &SecurityFinding| {
        (
            f.id.clone(),
            f.package.clone(),
            f.installed.clone(),
            f.kind,
            f.severity,
            f.fixed.clone(),
            f.title.clone(),
            f.aliases.clone(),
        )
    };
    let mut a: Vec<_> = gate_audit().parsed.findings.iter().map(shape).collect();
    let mut b: Vec<_> = parsed.findings.iter().map(shape).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // smallvec 1.6.0: CVSS 9.8 → critical; its fix as RustSec's patched ranges.
    let smallvec = a.iter().find(|f| f.0 == "RUSTSEC-2021-0003").unwrap();
    assert_eq!(smallvec.4, security::Severity::Critical);
    assert_eq!(smallvec.5, ">=0.6.14, <1.0.0 or >=1.6.1");
}

fn evaluate(
    files: &[(PathBuf, Option<&str>)],
    cfg: &SecurityConfig,
    baseline: Option<&Report>,
) -> (security::SecurityReport, Vec<lambda_gate::model::Check>) {
    let own = vec![(
        db().display().to_string(),
        "rustsec".to_string(),
        gate_audit().parsed,
    )];
    security::evaluate_with(files, own, cfg, baseline).unwrap()
}

fn fail_on(checks: &[lambda_gate::model::Check]) -> &lambda_gate::model::Check {
    checks
        .iter()
        .find(|c| c.name == "security-fail-on")
        .unwrap()
}

#[test]
fn a_cargo_audit_json_of_the_same_crates_is_not_counted_twice() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.json");
    let Some(expected) = cargo_audit(Some(&file)) else {
        return;
    };
    let (alone, alone_checks) = evaluate(&[], &SecurityConfig::default(), None);
    let (both, both_checks) = evaluate(
        &[(file, Some("cargo-audit"))],
        &SecurityConfig::default(),
        None,
    );
    let warnings: usize = expected["warnings"]
        .as_object()
        .unwrap()
        .values()
        .map(|l| l.as_array().unwrap().len())
        .sum();
    let total = expected["vulnerabilities"]["count"].as_u64().unwrap() as usize + warnings;
    assert_eq!(alone.findings.len(), total);
    assert_eq!(both.findings.len(), total, "{:#?}", both.findings);
    for f in &both.findings {
        assert_eq!(f.source, ["cargo-audit", "RustSec"], "{}", f.id);
        assert_eq!(f.location, BINARY, "the database's place is kept");
    }
    assert_eq!(both.counts.by_source["RustSec"], total as u64);
    assert_eq!(both.counts.by_source["cargo-audit"], total as u64);
    // Fails on high: smallvec's and hyper's critical ones, once each.
    assert_eq!(fail_on(&alone_checks).status, Status::Fail);
    assert_eq!(fail_on(&both_checks).actual, fail_on(&alone_checks).actual);
    assert_eq!(fail_on(&both_checks).actual, 2);
}

fn ignore(id: &str, expires: &str) -> Ignore {
    Ignore {
        id: id.into(),
        reason: "not reachable from the handler".into(),
        expires: Some(Expiry::parse(expires).unwrap()),
        package: None,
    }
}

#[test]
fn ignores_hold_until_they_expire() {
    // Live, by the CVE alias of smallvec's advisory: suppressed.
    let cfg = SecurityConfig {
        ignore: vec![ignore("CVE-2021-25900", "2999-12-31")],
        ..Default::default()
    };
    let (r, checks) = evaluate(&[], &cfg, None);
    assert!(r.findings.iter().all(|f| f.id != "RUSTSEC-2021-0003"));
    let s = r
        .suppressed
        .iter()
        .find(|f| f.id == "RUSTSEC-2021-0003")
        .unwrap();
    assert_eq!(
        s.suppressed.as_deref(),
        Some("ignored until 2999-12-31: not reachable from the handler")
    );
    assert_eq!(fail_on(&checks).actual, 1, "hyper's critical one is left");

    // Expired: it counts again, with a note.
    let cfg = SecurityConfig {
        ignore: vec![ignore("RUSTSEC-2021-0003", "2021-02-01")],
        ..Default::default()
    };
    let (r, checks) = evaluate(&[], &cfg, None);
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "RUSTSEC-2021-0003")
        .unwrap();
    assert!(f.note.as_deref().unwrap().contains("expired on 2021-02-01"));
    assert_eq!(fail_on(&checks).actual, 2);
}

#[test]
fn only_new_against_a_baseline_that_had_smallvecs() {
    let (old, _) = evaluate(&[], &SecurityConfig::default(), None);
    let base = Report {
        security: Some(security::SecurityReport {
            findings: old
                .findings
                .into_iter()
                .filter(|f| f.package == "smallvec")
                .collect(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let cfg = SecurityConfig {
        new_only: true,
        ..Default::default()
    };
    let (r, checks) = evaluate(&[], &cfg, Some(&base));
    for f in &r.findings {
        let want = if f.package == "smallvec" {
            FindingStatus::Existing
        } else {
            FindingStatus::New
        };
        assert_eq!(f.status, Some(want), "{}", f.id);
    }
    let c = fail_on(&checks);
    assert_eq!(c.actual, 1, "only hyper's is new: {c:?}");
}

#[test]
fn without_a_database_the_audit_says_it_was_skipped() {
    let packages = packages();
    let out = rustsec::run(None, &packages, &ParseOptions::default()).unwrap();
    assert!(out.findings.is_none(), "no findings: not zero findings");
    let check = out.check.unwrap();
    assert_eq!(check.status, Status::Warn);
    let report = Report {
        packages,
        checks: vec![check],
        ..Default::default()
    }
    .finalize();
    assert_eq!(report.verdict, Status::Warn);

    let json: Value = serde_json::from_str(&lambda_gate::report::json::render(&report)).unwrap();
    let c = support::check(&json, "rustsec-audit");
    assert_eq!(c["actual"], "skipped");
    assert_eq!(c["status"], "warn");
    assert!(c["detail"]
        .as_str()
        .unwrap()
        .starts_with("RustSec audit skipped: 5 crates"));
    assert!(json.get("security").is_none(), "{json}");

    let md = lambda_gate::report::markdown::render(&report);
    assert!(md.contains("rustsec-audit"), "{md}");
    assert!(md.contains("RustSec audit skipped: 5 crates"), "{md}");
    let text = lambda_gate::report::text::render(&report);
    assert!(text.contains("RustSec audit skipped: 5 crates"), "{text}");

    // No crates, no database: nothing to say.
    let none = rustsec::run(None, &[], &ParseOptions::default()).unwrap();
    assert!(none.check.is_none() && none.findings.is_none());
}

#[test]
fn crates_found_in_two_binaries_are_one_finding_naming_both() {
    let mut packages = packages();
    let mut again = packages
        .iter()
        .find(|p| p.name == "smallvec")
        .unwrap()
        .clone();
    again.location = "/opt/extensions/agent".into();
    packages.push(again);
    let crates = rustsec::crates(&packages);
    assert_eq!(crates.len(), 5);
    let db = rustsec::Database::open(&db()).unwrap();
    let audit = rustsec::audit(&db, &crates, &ParseOptions::default()).unwrap();
    let f = audit
        .parsed
        .findings
        .iter()
        .find(|f| f.id == "RUSTSEC-2021-0003")
        .unwrap();
    assert_eq!(f.location, format!("/opt/extensions/agent, {BINARY}"));
}

/// A database that is not one is unreadable input: exit 2, one line naming it.
#[test]
fn a_corrupt_or_missing_database_is_exit_2_in_one_line() {
    let image = support::image("ggcr-hello-world-v25.tar");
    let dir = tempfile::tempdir().unwrap();
    let corrupt = dir.path().join("advisory-db");
    let crate_dir = corrupt.join("crates/smallvec");
    std::fs::create_dir_all(&crate_dir).unwrap();
    // Invented by hand: no tool writes a broken advisory.
    std::fs::write(
        crate_dir.join("RUSTSEC-2021-0003.md"),
        "```toml\n[advisory\nid = \n```\n# not an advisory\n",
    )
    .unwrap();
    let missing = dir.path().join("nowhere");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    for db in [&corrupt, &missing, &empty] {
        let out = gate(&[
            "check",
            image.to_str().unwrap(),
            "--rustsec-db",
            db.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", db.display());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!("gate: error: {}: ", db.display())),
            "{err}"
        );
    }
}

/// The crates come from the package inventory: turning it off while asking for the audit is
/// a contradiction, refused, rather than an audit of nothing that reads as clean.
#[test]
fn no_packages_and_a_database_are_refused() {
    let image = support::image("ggcr-hello-world-v25.tar");
    let out = gate(&[
        "check",
        image.to_str().unwrap(),
        "--no-packages",
        "--rustsec-db",
        db().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--no-packages"), "{err}");
}

/// The fixture database given to an image without Rust binaries: the audit ran over no crate
/// and says so; nothing else changes.
#[test]
fn an_image_without_crates_is_audited_over_none() {
    let image = support::image("ggcr-hello-world-v25.tar");
    let (code, r) = support::gate_json(&[
        "check",
        image.to_str().unwrap(),
        "--rustsec-db",
        db().to_str().unwrap(),
    ]);
    assert!(code == 0 || code == 1, "{r}");
    let c = support::check(&r, "rustsec-audit");
    assert_eq!(c["status"], "pass");
    assert!(c["detail"].as_str().unwrap().starts_with("0 crates"), "{c}");
}

/// A vulnerable crate that is only a build dependency (in every binary that has it) is still
/// reported, as `cargo audit bin` reports it (its binary scan audits every crate `.dep-v0`
/// lists, build-only or not), and the finding says what it is; a crate that one binary runs
/// is not build-only, whatever another binary does with it.
#[test]
fn a_build_only_crate_is_reported_and_said_to_be_build_only() {
    let db = rustsec::Database::open(&db()).unwrap();
    let runtime = packages();
    let build_only: Vec<Package> = runtime
        .iter()
        .cloned()
        .map(|mut p| {
            p.build_only = true;
            p
        })
        .collect();
    let ids = |a: &rustsec::Audit| -> BTreeSet<(String, String)> {
        a.parsed
            .findings
            .iter()
            .map(|f| (f.id.clone(), f.package.clone()))
            .collect()
    };
    let opts = ParseOptions::default();
    let plain = rustsec::audit(&db, &rustsec::crates(&runtime), &opts).unwrap();
    let built = rustsec::audit(&db, &rustsec::crates(&build_only), &opts).unwrap();
    assert!(!plain.parsed.findings.is_empty());
    assert_eq!(ids(&plain), ids(&built), "the same advisories");
    for f in &built.parsed.findings {
        assert!(
            f.note
                .as_deref()
                .is_some_and(|n| n.contains(rustsec::BUILD_ONLY_NOTE)),
            "{f:?}"
        );
    }
    for f in &plain.parsed.findings {
        assert!(
            !f.note
                .as_deref()
                .is_some_and(|n| n.contains(rustsec::BUILD_ONLY_NOTE)),
            "{f:?}"
        );
    }
    // The same crates also run in a second binary: not build-only.
    let mut both = build_only.clone();
    both.extend(runtime.iter().cloned().map(|mut p| {
        p.location = "/opt/other".into();
        p
    }));
    let mixed = rustsec::audit(&db, &rustsec::crates(&both), &opts).unwrap();
    assert!(mixed.parsed.findings.iter().all(|f| !f
        .note
        .as_deref()
        .unwrap_or("")
        .contains("build-only")));
}
