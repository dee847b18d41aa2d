//! RustSec, natively: the crates the inventory read from the image's Rust binaries
//! (`packages[]` of ecosystem `cargo`) matched against a local RustSec advisory database with
//! the `rustsec` crate, the library cargo-audit is built on.
//!
//! The match is cargo-audit's own: the crates become a synthetic `Cargo.lock` (every crate
//! from crates.io, as `cargo audit bin` takes a binary's crates), and `rustsec::Report::generate`
//! runs with cargo-audit's default settings (informational warnings for unmaintained, unsound
//! and notice). That report is the very type cargo-audit serializes as its JSON, so it is read
//! by the cargo-audit JSON reader: one mapping of CVSS to severity and of warnings to
//! findings, and a finding that both a `--audit` file and the database report merges into one.
//!
//! What it cannot do offline: yanked crates (cargo-audit asks the crates.io index, which the
//! gate never fetches). The database is a directory the runner provides; nothing is fetched.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use anyhow::{anyhow, Result};
use rustsec::advisory::{Affected, Informational};
use rustsec::cargo_lock::{self, package::Name, Lockfile, ResolveVersion, SourceId};
use rustsec::platforms::{platform::PlatformReq, target::OS};

use super::{ParseOptions, Parsed};
use crate::model::{Check, Ecosystem, FixedCheck, Package, Status};

/// The name findings carry in `source`.
pub const SOURCE: &str = "RustSec";

/// The name of the check that says whether the audit ran.
pub const CHECK: FixedCheck = FixedCheck::RustsecAudit;

/// One crate version, wherever it was found: the binaries that carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crate {
    pub name: String,
    pub version: String,
    /// The binaries' paths (`Package::location`), sorted, each once.
    pub locations: Vec<String>,
    /// A build dependency only, in every binary that has it (`Package::build_only`).
    pub build_only: bool,
}

/// The crates of the inventory: packages of ecosystem `cargo`, one entry per name and version.
/// Only crates.io's, as `cargo audit bin` audits (rustsec's binary scanning gives every other
/// source no `SourceId`, and the report skips those): a crate whose `source` is `git`, `local`
/// or `registry`, or whose purl names another registry (`repository_url`) or a git source
/// (`vcs_url`), shares a name with a crates.io crate at most, and its advisories are not its.
pub fn crates(packages: &[Package]) -> Vec<Crate> {
    let mut by: BTreeMap<(String, String), (Vec<String>, bool)> = BTreeMap::new();
    for p in packages.iter().filter(|p| p.ecosystem == Ecosystem::Cargo) {
        let qualifiers = p.purl.split_once('?').map(|(_, q)| q).unwrap_or("");
        if p.source.is_some()
            || qualifiers
                .split('&')
                .any(|q| q.starts_with("repository_url=") || q.starts_with("vcs_url="))
        {
            continue;
        }
        let (at, build_only) = by
            .entry((p.name.clone(), p.version.clone()))
            .or_insert((Vec::new(), true));
        *build_only &= p.build_only;
        if !p.location.is_empty() && !at.contains(&p.location) {
            at.push(p.location.clone());
        }
    }
    by.into_iter()
        .map(|((name, version), (mut locations, build_only))| {
            locations.sort();
            Crate {
                name,
                version,
                locations,
                build_only,
            }
        })
        .collect()
}

/// What a finding in a build-only crate adds to its note: cargo-audit reports it (its binary
/// scan audits every crate `.dep-v0` lists), and so does the gate, saying what it is.
pub const BUILD_ONLY_NOTE: &str =
    "build-only crate: compiled into a build script or proc-macro, not into the binary that runs";

/// A loaded advisory database.
pub struct Database {
    db: rustsec::Database,
    path: String,
}

impl Database {
    /// Opens an advisory-db checkout (a plain directory with `crates/`). A database that is
    /// missing or does not parse is unreadable input: one line naming the path.
    pub fn open(path: &Path) -> Result<Database> {
        if !path.is_dir() {
            return Err(anyhow!(
                "{}: not a RustSec advisory database (expected a directory holding a checkout of github.com/rustsec/advisory-db)",
                path.display()
            ));
        }
        let db = rustsec::Database::open(path).map_err(|e| {
            anyhow!(
                "{}: not a readable RustSec advisory database: {e}",
                path.display()
            )
        })?;
        Ok(Database {
            db,
            path: path.display().to_string(),
        })
    }

    pub fn advisories(&self) -> usize {
        self.db.iter().count()
    }
}

/// What the audit found, and the check that says it ran.
pub struct Audit {
    pub parsed: Parsed,
    pub check: Check,
}

/// Matches the crates against the database as `cargo audit` does, with its default settings.
pub fn audit(db: &Database, crates: &[Crate], opts: &ParseOptions) -> Result<Audit> {
    let mut lockfile = Lockfile {
        version: ResolveVersion::V3,
        packages: Vec::with_capacity(crates.len()),
        root: None,
        metadata: Default::default(),
        patch: Default::default(),
    };
    let mut unreadable = Vec::new();
    let mut locations: BTreeMap<(String, String), &Crate> = BTreeMap::new();
    for c in crates {
        // The versions come from the image: one cargo cannot read is reported, not matched.
        let (Ok(name), Ok(version)) = (Name::from_str(&c.name), c.version.parse()) else {
            unreadable.push(format!("{} {}", c.name, c.version));
            continue;
        };
        locations.insert((c.name.clone(), c.version.clone()), c);
        lockfile.packages.push(cargo_lock::Package {
            name,
            version,
            source: Some(SourceId::default()),
            checksum: None,
            dependencies: Vec::new(),
            replace: None,
        });
    }
    let settings = rustsec::report::Settings {
        informational_warnings: vec![
            Informational::Unmaintained,
            Informational::Unsound,
            Informational::Notice,
        ],
        ..Default::default()
    };
    let mut report = rustsec::Report::generate(&db.db, &lockfile, &settings);
    let other_os = for_linux(&mut report);
    let json = serde_json::to_vec(&report)?;
    let mut parsed = super::cargo_audit::parse(&mut json.as_slice(), opts)?;
    for f in &mut parsed.findings {
        f.source = vec![SOURCE.into()];
        if let Some(c) = locations.get(&(f.package.clone(), f.installed.clone())) {
            f.location = places(&c.locations);
            if c.build_only {
                f.note = Some(match f.note.take() {
                    Some(n) => format!("{n}; {BUILD_ONLY_NOTE}"),
                    None => BUILD_ONLY_NOTE.into(),
                });
            }
        }
    }
    let audited = lockfile.packages.len();
    let vulns = report.vulnerabilities.count;
    let warnings: usize = report.warnings.values().map(Vec::len).sum();
    let mut detail = format!(
        "{audited} crates from the image's Rust binaries against {} ({} advisories): vulnerabilities {vulns}, informational warnings {warnings} (unmaintained, unsound, notice); yanked crates not checked (needs the crates.io index)",
        db.path,
        db.advisories()
    );
    if other_os > 0 {
        detail.push_str(&format!(
            "; left out, as only for Windows or Apple's systems (Lambda runs Linux): {other_os}"
        ));
    }
    if !unreadable.is_empty() {
        detail.push_str(&format!(
            "; {} not audited, their versions are not semver: {}",
            unreadable.len(),
            unreadable
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(Audit {
        parsed,
        check: Check {
            name: CHECK.into(),
            limit: "audited".into(),
            actual: "audited".into(),
            status: if unreadable.is_empty() {
                Status::Pass
            } else {
                Status::Warn
            },
            unit: None,
            detail: Some(detail),
        },
    })
}

/// Leaves out of `report` the advisories that cannot apply to a Linux binary, and says how
/// many. Lambda runs Linux images only (every `provided.*` and container-image function, on
/// x86_64 or arm64), so an advisory whose `[affected] os` list names only Windows or Apple's
/// systems is a false positive for any crate in the image.
///
/// The rule is `cargo audit bin`'s for an ELF binary, so the two agree advisory by advisory:
/// cargo-audit 0.22 (`Auditor::audit`) calls rustsec 0.33's
/// `binary_scanning::filter_report_by_binary_type`, whose ELF arm keeps an advisory when its
/// `os` list is empty or `.any(|os| os != &OS::Windows && !apple_OSs().contains(os))`, the
/// Apple set being the `target_os` of every platform matching `*apple*`. It is written out
/// here because rustsec's copy sits behind its `binary-scanning` feature, which would build a
/// second binary reader (binfarce, and wasm parsing switched on in the inventory's
/// auditable-info). Like cargo-audit's, it keeps an advisory for another Unix only (the BSDs,
/// illumos): an ELF binary does not say which Unix it is for. The `[affected] arch` list is not
/// read, as cargo-audit does not read it for a binary.
fn for_linux(report: &mut rustsec::Report) -> usize {
    let apple = apple_systems();
    let vulns = &mut report.vulnerabilities;
    let before = vulns.list.len();
    vulns.list.retain(|v| may_run_on_linux(&v.affected, &apple));
    vulns.count = vulns.list.len();
    vulns.found = !vulns.list.is_empty();
    let mut left_out = before - vulns.count;
    for list in report.warnings.values_mut() {
        let before = list.len();
        list.retain(|w| may_run_on_linux(&w.affected, &apple));
        left_out += before - list.len();
    }
    left_out
}

/// The `target_os` of every platform matching `*apple*`, as rustsec's filter has it.
fn apple_systems() -> BTreeSet<OS> {
    PlatformReq::from_str("*apple*")
        .map(|req| req.matching_platforms().map(|p| p.target_os).collect())
        .unwrap_or_default()
}

/// Whether an advisory's `[affected]` section lets it apply to an ELF binary: no `os` list
/// (every system), or one naming a system other than Windows and Apple's.
fn may_run_on_linux(affected: &Option<Affected>, apple: &BTreeSet<OS>) -> bool {
    match affected {
        Some(a) if !a.os.is_empty() => {
            a.os.iter()
                .any(|os| *os != OS::Windows && !apple.contains(os))
        }
        _ => true,
    }
}

/// Most binaries a finding names; an image can hold thousands carrying the same crate.
const MAX_PLACES: usize = 5;

fn places(at: &[String]) -> String {
    let mut s = at[..at.len().min(MAX_PLACES)].join(", ");
    if at.len() > MAX_PLACES {
        s.push_str(&format!(" and {} more binaries", at.len() - MAX_PLACES));
    }
    s
}

/// The check for a run with crates in the image and no database: the audit did not run, and
/// the report must not read as "no vulnerabilities".
pub fn skipped(crates: usize) -> Check {
    Check {
        name: CHECK.into(),
        limit: "audited".into(),
        actual: "skipped".into(),
        status: Status::Warn,
        unit: None,
        detail: Some(format!(
            "RustSec audit skipped: {crates} crates in the image's Rust binaries were not checked for advisories (no advisory database; give --rustsec-db PATH, a checkout of github.com/rustsec/advisory-db)"
        )),
    }
}

/// What the RustSec part of a `gate check` run adds to the report.
#[derive(Default)]
pub struct Outcome {
    /// Findings to merge with the scanner files' (`(origin, format, findings)`), when a
    /// database was given.
    pub findings: Option<(String, String, Parsed)>,
    /// Whether the audit ran: none when there was neither a database nor a crate.
    pub check: Option<Check>,
}

/// The audit with a database; without one, a skipped check when the image has crates.
pub fn run(db: Option<&Path>, packages: &[Package], opts: &ParseOptions) -> Result<Outcome> {
    let crates = crates(packages);
    let Some(path) = db else {
        return Ok(Outcome {
            findings: None,
            check: (!crates.is_empty()).then(|| skipped(crates.len())),
        });
    };
    let db = Database::open(path)?;
    let audit = audit(&db, &crates, opts)?;
    Ok(Outcome {
        findings: Some((db.path.clone(), "rustsec".into(), audit.parsed)),
        check: Some(audit.check),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, version: &str, purl: &str, at: &str) -> Package {
        Package {
            ecosystem: Ecosystem::Cargo,
            name: name.into(),
            version: version.into(),
            purl: purl.into(),
            bytes: 0,
            files: 0,
            layer: None,
            license: None,
            location: at.into(),
            source: None,
            build_only: false,
        }
    }

    #[test]
    fn crates_are_crates_io_ones_once_per_version_with_every_binary() {
        let mut deb = pkg("smallvec", "1.6.0", "pkg:deb/debian/smallvec@1.6.0", "/x");
        deb.ecosystem = Ecosystem::Deb;
        let got = crates(&[
            pkg("smallvec", "1.6.0", "pkg:cargo/smallvec@1.6.0", "/b"),
            pkg("smallvec", "1.6.0", "pkg:cargo/smallvec@1.6.0", "/a"),
            pkg("smallvec", "1.6.0", "pkg:cargo/smallvec@1.6.0", "/a"),
            // Another registry, a git checkout: not what a crates.io advisory is about.
            pkg(
                "time",
                "0.1.43",
                "pkg:cargo/time@0.1.43?repository_url=https://my-registry.example/index",
                "/a",
            ),
            pkg(
                "hyper",
                "0.14.9",
                "pkg:cargo/hyper@0.14.9?vcs_url=git%2Bhttps://example.test/hyper",
                "/a",
            ),
            // A path dependency of the same name and version (cargo-auditable: `local`).
            {
                let mut p = pkg("time", "0.1.43", "pkg:cargo/time@0.1.43", "/a");
                p.source = Some("local".into());
                p
            },
            deb,
        ]);
        assert_eq!(
            got,
            [Crate {
                name: "smallvec".into(),
                version: "1.6.0".into(),
                locations: vec!["/a".into(), "/b".into()],
                build_only: false,
            }]
        );
    }

    /// cargo-audit's ELF rule: Windows-only and Apple-only advisories go, any list naming
    /// another system (Linux, or only a BSD: an ELF binary does not say which Unix) stays.
    #[test]
    fn advisories_only_for_windows_or_apple_do_not_apply_to_linux() {
        let apple = apple_systems();
        assert!(apple.contains(&OS::MacOS) && apple.contains(&OS::iOS));
        assert!(!apple.contains(&OS::Linux));
        let on = |os: &[OS]| {
            may_run_on_linux(
                &Some(Affected {
                    os: os.to_vec(),
                    ..Default::default()
                }),
                &apple,
            )
        };
        assert!(may_run_on_linux(&None, &apple));
        assert!(on(&[]));
        assert!(!on(&[OS::Windows]));
        assert!(!on(&[OS::Windows, OS::MacOS, OS::iOS]));
        assert!(on(&[OS::Linux]));
        assert!(on(&[OS::MacOS, OS::Linux]));
        assert!(on(&[OS::FreeBSD]));
    }

    #[test]
    fn a_finding_names_at_most_five_binaries() {
        let at: Vec<String> = (0..7).map(|i| format!("/bin/{i}")).collect();
        assert_eq!(
            places(&at),
            "/bin/0, /bin/1, /bin/2, /bin/3, /bin/4 and 2 more binaries"
        );
        assert_eq!(places(&at[..1]), "/bin/0");
    }
}
