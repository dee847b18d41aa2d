//! RustSec, natively (docs/rustsec.md): the crates of the inventory matched against the fixture advisory
//! database (../shared/fixtures/advisory-db, a plain directory) must say what cargo-audit
//! 0.22 says about the same crates, advisory by advisory, and join the security policy
//! (severity from CVSS, ignores with expiry, only-new, one finding when a cargo-audit JSON of
//! the same crates is given too).
//!
//! The oracle is `cargo audit bin` on a binary built here with `cargo auditable build` from
//! tests/data/binaries/rust-os, and the gate's `check` on an image holding it (buildah): its
//! crates have an advisory only for Windows (atty's RUSTSEC-2021-0145), which both leave out
//! for a Linux binary, one whose OS list names Linux (time's RUSTSEC-2020-0071) and one with
//! none (smallvec's RUSTSEC-2021-0003), which both keep. The policy tests use the crates of
//! ../shared/fixtures/reports/cargo-audit/vulnerable.Cargo.lock (hyper's critical advisories
//! among them), read with cargo-lock (re-exported by rustsec) and turned into `packages[]`
//! entries as the inventory writes them for a binary's crates.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use lambda_gate::model::{Package, Report, Status};
use lambda_gate::security::cfg::{Expiry, Ignore, SecurityConfig};
use lambda_gate::security::{
    self, rustsec, FindingKind, FindingStatus, ParseOptions, SecurityFinding,
};
use serde_json::Value;
use support::{fixtures, gate, require_tools, run};

const BINARY: &str = "/var/task/bootstrap";

/// Where the image built from tests/data/binaries/rust-os holds its binary.
const BOOTSTRAP: &str = "/var/runtime/bootstrap";

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

/// cargo-audit itself, offline: its exit code checked before its JSON is trusted. Written to
/// `out` when given. The database flags go before the subcommand's.
fn cargo_audit(args: &[&std::ffi::OsStr], out: Option<&Path>) -> Value {
    let o = Command::new("cargo")
        .args(["audit", "--db"])
        .arg(db())
        .args(["--no-fetch", "--json"])
        .args(args)
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
    v
}

/// cargo-audit on the lockfile's crates. --no-yanked: the yanked check asks crates.io's
/// index, which neither an offline run nor the gate does.
fn cargo_audit_lockfile() -> Option<Value> {
    if !require_tools(&["cargo-audit"]) {
        return None;
    }
    Some(cargo_audit(
        &[
            "--no-yanked".as_ref(),
            "--file".as_ref(),
            lockfile().as_os_str(),
        ],
        None,
    ))
}

/// The program of tests/data/binaries/rust-os, built once per test binary with `cargo
/// auditable build` (offline: its crates are in the cargo cache, fetched by
/// scripts/tools/80-binaries.sh), the image holding it as a `provided.al2023` function ships
/// it, `cargo audit bin`'s JSON of it (also as a file) and the gate's report of the image.
struct Built {
    bin_audit: Value,
    bin_audit_file: PathBuf,
    report: Value,
}

fn built() -> Option<&'static Built> {
    static BUILT: OnceLock<Option<Built>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if !require_tools(&["cargo-auditable", "cargo-audit", "buildah"]) {
                return None;
            }
            let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/binaries/rust-os");
            // Kept between runs (cargo rebuilds what changed): only the image is redone.
            let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rust-os-target");
            run(Command::new("cargo")
                .args(["auditable", "build", "--release", "--offline", "--locked"])
                .arg("--quiet")
                .current_dir(&src)
                .env("CARGO_TARGET_DIR", &target));
            let dir = support::static_dir("rustsec-os");
            let ctx = dir.join("ctx");
            std::fs::create_dir(&ctx).unwrap();
            let bin = ctx.join("bootstrap");
            std::fs::copy(target.join("release/gate-rust-os-fixture"), &bin).unwrap();
            std::fs::write(
                ctx.join("Dockerfile"),
                format!("FROM scratch\nCOPY bootstrap {BOOTSTRAP}\nENTRYPOINT [\"{BOOTSTRAP}\"]\n"),
            )
            .unwrap();
            let image = dir.join("image.tar");
            support::build_docker_archive(&ctx, "gate-tests/rustsec-os:latest", &image);
            let bin_audit_file = dir.join("bin-audit.json");
            let bin_audit = cargo_audit(&["bin".as_ref(), bin.as_os_str()], Some(&bin_audit_file));
            let (code, report) = support::gate_json(&[
                "check",
                image.to_str().unwrap(),
                "--rustsec-db",
                db().to_str().unwrap(),
            ]);
            assert!(code < 2, "{report}");
            Some(Built {
                bin_audit,
                bin_audit_file,
                report,
            })
        })
        .as_ref()
}

/// The `packages[]` the gate's inventory found in the built binary.
fn inventory(b: &Built) -> Vec<Package> {
    serde_json::from_value::<Vec<Package>>(b.report["packages"].clone())
        .unwrap()
        .into_iter()
        .filter(|p| p.location == BOOTSTRAP)
        .collect()
}

fn bin_gate_audit(b: &Built) -> rustsec::Audit {
    let db = rustsec::Database::open(&db()).unwrap();
    rustsec::audit(
        &db,
        &rustsec::crates(&inventory(b)),
        &ParseOptions::default(),
    )
    .unwrap()
}

type Key = (String, String, String);

fn key(id: &Value, p: &Value) -> Key {
    (
        id.as_str().unwrap().into(),
        p["name"].as_str().unwrap().into(),
        p["version"].as_str().unwrap().into(),
    )
}

/// A cargo-audit JSON's advisories: (kind, (id, crate, version)), its vulnerabilities of kind
/// "vulnerability", its warnings (informational advisories) of their own.
fn theirs(v: &Value) -> BTreeSet<(String, Key)> {
    let mut all = BTreeSet::new();
    for x in v["vulnerabilities"]["list"].as_array().unwrap() {
        all.insert((
            "vulnerability".to_string(),
            key(&x["advisory"]["id"], &x["package"]),
        ));
    }
    for (kind, list) in v["warnings"].as_object().unwrap() {
        for w in list.as_array().unwrap() {
            all.insert((kind.clone(), key(&w["advisory"]["id"], &w["package"])));
        }
    }
    all
}

/// The gate's findings the same way: a warning is an advisory whose note says its kind.
fn ours(found: &[SecurityFinding]) -> BTreeSet<(String, Key)> {
    found
        .iter()
        .map(|f| {
            let kind = match f.kind {
                Some(FindingKind::Vulnerability) => "vulnerability",
                _ => f
                    .note
                    .as_deref()
                    .unwrap()
                    .trim_start_matches("cargo-audit warning: "),
            };
            (
                kind.to_string(),
                (f.id.clone(), f.package.clone(), f.installed.clone()),
            )
        })
        .collect()
}

fn advisory(kind: &str, id: &str, name: &str, version: &str) -> (String, Key) {
    (kind.into(), (id.into(), name.into(), version.into()))
}

/// atty's RUSTSEC-2021-0145: `[affected] os = ["windows"]`.
fn windows_only() -> (String, Key) {
    advisory("unsound", "RUSTSEC-2021-0145", "atty", "0.2.14")
}

/// `gate check` on the image and `cargo audit bin` on its binary: the same advisories, one by
/// one. Neither reports atty's Windows-only one (the binary is an ELF, the function runs on
/// Linux); both report time's, whose OS list names Linux among others, smallvec's, which names
/// no system, and atty's unmaintained one.
#[test]
fn a_binarys_findings_equal_cargo_audit_bins_advisory_by_advisory() {
    let Some(b) = built() else {
        return;
    };
    let found: Vec<SecurityFinding> =
        serde_json::from_value(b.report["security"]["findings"].clone()).unwrap();
    let theirs = theirs(&b.bin_audit);
    assert_eq!(ours(&found), theirs);
    assert!(!theirs.contains(&windows_only()), "{theirs:?}");
    for kept in [
        advisory("vulnerability", "RUSTSEC-2020-0071", "time", "0.1.43"),
        advisory("vulnerability", "RUSTSEC-2021-0003", "smallvec", "1.6.0"),
        advisory("unmaintained", "RUSTSEC-2024-0375", "atty", "0.2.14"),
    ] {
        assert!(theirs.contains(&kept), "{kept:?} in {theirs:?}");
    }
    for f in &found {
        assert_eq!(f.source, ["RustSec"]);
        assert_eq!(f.location, BOOTSTRAP);
    }
    // The crates both read from the binary (cargo-audit's JSON gives their number;
    // tests/packages_binaries.rs holds the list to the `.dep-v0` section).
    assert_eq!(
        inventory(b).len() as u64,
        b.bin_audit["lockfile"]["dependency-count"]
            .as_u64()
            .unwrap(),
        "{}",
        b.report["packages"]
    );
    let c = support::check(&b.report, "rustsec-audit");
    assert_eq!(c["status"], "pass");
    let detail = c["detail"].as_str().unwrap();
    assert!(
        detail.ends_with("left out, as only for Windows or Apple's systems (Lambda runs Linux): 1"),
        "{detail}"
    );
}

/// On a lockfile cargo-audit does not know which system the crates will run on and keeps
/// every advisory; the gate audits an image's binaries, which run on Linux. On the lockfile's
/// crates the one difference is atty's Windows-only advisory.
#[test]
fn on_a_lockfile_cargo_audit_keeps_the_windows_only_advisory_too() {
    let Some(expected) = cargo_audit_lockfile() else {
        return;
    };
    let audit = gate_audit();
    let found = &audit.parsed.findings;
    let (theirs, ours) = (theirs(&expected), ours(found));
    assert_eq!(
        theirs.difference(&ours).collect::<Vec<_>>(),
        [&windows_only()]
    );
    assert!(ours.is_subset(&theirs));
    let count = |kind: &str| ours.iter().filter(|(k, _)| k == kind).count();
    assert!(
        count("vulnerability") >= 3,
        "the fixture has several: {ours:?}"
    );
    assert!(
        count("unmaintained") > 0 && count("unsound") > 0,
        "{ours:?}"
    );
    assert_eq!(found.len(), ours.len());

    // Source and place: RustSec, the binary.
    for f in found {
        assert_eq!(f.source, ["RustSec"]);
        assert_eq!(f.location, BINARY);
    }
    assert_eq!(audit.check.status, Status::Pass);
    assert_eq!(audit.check.actual, "audited");
}

/// One mapping: the database's findings and the cargo-audit reader's findings of `cargo audit
/// bin`'s JSON are the same in everything but their source and place.
#[test]
fn severity_and_fix_come_out_as_the_cargo_audit_reader_maps_them() {
    let Some(b) = built() else {
        return;
    };
    let (_, parsed) = security::load(
        &b.bin_audit_file,
        Some("cargo-audit"),
        &ParseOptions::default(),
    )
    .unwrap();
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
    let mut a: Vec<_> = bin_gate_audit(b)
        .parsed
        .findings
        .iter()
        .map(shape)
        .collect();
    let mut b: Vec<_> = parsed.findings.iter().map(shape).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // smallvec 1.6.0: CVSS 9.8 → critical; its fix as RustSec's patched ranges.
    let smallvec = a.iter().find(|f| f.0 == "RUSTSEC-2021-0003").unwrap();
    assert_eq!(smallvec.4, security::Severity::Critical);
    assert_eq!(smallvec.5, ">=0.6.14, <1.0.0 or >=1.6.1");
}

fn evaluate_with(
    own: rustsec::Audit,
    files: &[(PathBuf, Option<&str>)],
    cfg: &SecurityConfig,
    baseline: Option<&Report>,
) -> (security::SecurityReport, Vec<lambda_gate::model::Check>) {
    let own = vec![(
        db().display().to_string(),
        "rustsec".to_string(),
        own.parsed,
    )];
    security::evaluate_with(files, own, cfg, baseline).unwrap()
}

/// The lockfile's crates through the policy.
fn evaluate(
    cfg: &SecurityConfig,
    baseline: Option<&Report>,
) -> (security::SecurityReport, Vec<lambda_gate::model::Check>) {
    evaluate_with(gate_audit(), &[], cfg, baseline)
}

fn fail_on(checks: &[lambda_gate::model::Check]) -> &lambda_gate::model::Check {
    checks
        .iter()
        .find(|c| c.name == "security-fail-on")
        .unwrap()
}

/// The database's findings and `cargo audit bin`'s JSON of the same binary merge one by one.
#[test]
fn a_cargo_audit_json_of_the_same_crates_is_not_counted_twice() {
    let Some(b) = built() else {
        return;
    };
    let file = b.bin_audit_file.clone();
    let cfg = SecurityConfig::default();
    let (alone, alone_checks) = evaluate_with(bin_gate_audit(b), &[], &cfg, None);
    let (both, both_checks) = evaluate_with(
        bin_gate_audit(b),
        &[(file, Some("cargo-audit"))],
        &cfg,
        None,
    );
    let total = theirs(&b.bin_audit).len();
    assert_eq!(alone.findings.len(), total);
    assert_eq!(both.findings.len(), total, "{:#?}", both.findings);
    for f in &both.findings {
        assert_eq!(f.source, ["cargo-audit", "RustSec"], "{}", f.id);
        assert_eq!(f.location, BOOTSTRAP, "the database's place is kept");
    }
    assert_eq!(both.counts.by_source["RustSec"], total as u64);
    assert_eq!(both.counts.by_source["cargo-audit"], total as u64);
    // Fails on high: smallvec's critical one, once (time's is medium: CVSS 6.2).
    assert_eq!(fail_on(&alone_checks).status, Status::Fail);
    assert_eq!(fail_on(&both_checks).actual, fail_on(&alone_checks).actual);
    assert_eq!(fail_on(&both_checks).actual, 1);
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
    let (r, checks) = evaluate(&cfg, None);
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
    let (r, checks) = evaluate(&cfg, None);
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
    let (old, _) = evaluate(&SecurityConfig::default(), None);
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
    let (r, checks) = evaluate(&cfg, Some(&base));
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
