//! Security: read what scanners already wrote, turn it into one list of findings (one per
//! vulnerability and package, whichever tools saw it), and hold it to one policy.
//!
//! Each scanner format is one file with a `detect` (from the content, never the file name)
//! and a `parse` that streams the file into typed structs; `FORMATS` registers them.

pub mod cargo_audit;
pub mod cfg;
pub mod cyclonedx;
pub mod grype;
pub mod policy;
pub mod rustsec;
pub mod sarif;
pub mod trivy;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use anyhow::{anyhow, bail, Result};

pub use crate::model::security::{
    BySeverity, Counts, FindingKind, FindingStatus, Inventory, SecurityFinding, SecurityReport,
    Severity, SourceFile,
};

/// What one scanner file said.
#[derive(Debug, Default)]
pub struct Parsed {
    pub findings: Vec<SecurityFinding>,
    /// Findings the scanner itself suppressed (VEX, ignore files), kept with their reason.
    pub suppressed: Vec<SecurityFinding>,
    pub inventory: Option<Inventory>,
}

/// Options the parsers need from the policy.
#[derive(Debug, Clone, Copy)]
pub struct ParseOptions {
    /// For advisories that carry no severity and no CVSS (most RustSec advisories).
    pub default_severity: Severity,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            default_severity: Severity::Medium,
        }
    }
}

pub struct Format {
    pub name: &'static str,
    /// Looks at the first bytes of the file.
    pub detect: fn(&str) -> bool,
    pub parse: fn(&mut dyn Read, &ParseOptions) -> Result<Parsed>,
}

/// Every scanner format, most specific first.
pub const FORMATS: &[Format] = &[
    Format {
        name: "sarif",
        detect: sarif::detect,
        parse: sarif::parse,
    },
    Format {
        name: "cyclonedx",
        detect: cyclonedx::detect,
        parse: cyclonedx::parse,
    },
    Format {
        name: "trivy",
        detect: trivy::detect,
        parse: trivy::parse,
    },
    Format {
        name: "grype",
        detect: grype::detect,
        parse: grype::parse,
    },
    Format {
        name: "cargo-audit",
        detect: cargo_audit::detect,
        parse: cargo_audit::parse,
    },
];

/// A scanner's description as a finding's title: its first line, at most 200 characters.
pub(crate) fn title(description: &str) -> String {
    description
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

/// How much of a file is looked at to tell its format: enough for every format's first keys.
const SNIFF_BYTES: usize = 64 * 1024;

/// Reads one scanner file: format from its content, findings streamed from it.
pub fn load(path: &Path, want: Option<&str>, opts: &ParseOptions) -> Result<(String, Parsed)> {
    let mut f = File::open(path).map_err(|e| {
        anyhow!(
            "{}: {}",
            path.display(),
            crate::image::archive::io_reason(&e)
        )
    })?;
    if f.metadata().is_ok_and(|m| m.is_dir()) {
        bail!(
            "{}: is a directory; expected a scanner report file (Trivy, Grype, cargo-audit JSON, CycloneDX, SARIF)",
            path.display()
        );
    }
    let mut head = vec![0u8; SNIFF_BYTES];
    let n = crate::image::archive::read_full(&mut f, &mut head).map_err(|e| {
        anyhow!(
            "{}: cannot read: {}",
            path.display(),
            crate::image::archive::io_reason(&e)
        )
    })?;
    head.truncate(n);
    let text = String::from_utf8_lossy(&head);
    if text.trim().is_empty() {
        bail!("{}: the file is empty; expected a scanner report (Trivy, Grype, cargo-audit JSON, CycloneDX, SARIF)", path.display());
    }
    let format = FORMATS
        .iter()
        .find(|fmt| (fmt.detect)(&text))
        .ok_or_else(|| anyhow!("{}: not a scanner report this gate reads (expected Trivy JSON, Grype JSON, cargo-audit JSON, CycloneDX JSON or SARIF 2.1.0)", path.display()))?;
    if let Some(w) = want {
        if w != format.name && !(w == "sbom" && format.name == "cyclonedx") {
            bail!(
                "{}: given as {w} but the content is {}",
                path.display(),
                format.name
            );
        }
    }
    let reader = head.as_slice().chain(f);
    let mut buffered = BufReader::with_capacity(1 << 16, reader);
    let parsed = (format.parse)(&mut buffered, opts).map_err(|e| {
        anyhow!(
            "{}: not a valid {} report: {e:#}",
            path.display(),
            format.name
        )
    })?;
    Ok((format.name.to_string(), parsed))
}

/// One list: findings from several files and tools merged by vulnerability and package.
pub fn aggregate(files: Vec<(String, String, Parsed)>) -> SecurityReport {
    let mut report = SecurityReport::default();
    let mut merged: Vec<SecurityFinding> = Vec::new();
    let mut index: BTreeMap<(String, String, String, String), usize> = BTreeMap::new();
    for (path, format, parsed) in files {
        report.sources.push(SourceFile {
            path,
            format,
            findings: parsed.findings.len() as u64,
        });
        if let Some(inv) = parsed.inventory {
            let into = report.inventory.get_or_insert_with(Inventory::default);
            into.components += inv.components;
            for (k, v) in inv.by_type {
                *into.by_type.entry(k).or_default() += v;
            }
            for (k, v) in inv.by_ecosystem {
                *into.by_ecosystem.entry(k).or_default() += v;
            }
        }
        report.suppressed.extend(parsed.suppressed);
        for f in parsed.findings {
            // Aliases make two ids one: look the finding up under each of its ids.
            let ids: Vec<String> = std::iter::once(f.canonical_id())
                .chain(f.aliases.iter().cloned())
                .chain([f.id.clone()])
                .collect();
            let (_, pkg, ver, loc) = f.key();
            let hit = ids.iter().find_map(|id| {
                index
                    .get(&(id.clone(), pkg.clone(), ver.clone(), loc.clone()))
                    .copied()
            });
            match hit {
                Some(i) => merge_into(&mut merged[i], f),
                None => {
                    let i = merged.len();
                    for id in &ids {
                        index.insert((id.clone(), pkg.clone(), ver.clone(), loc.clone()), i);
                    }
                    merged.push(f);
                }
            }
        }
    }
    merged.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.id.cmp(&b.id))
            .then(a.package.cmp(&b.package))
    });
    report.findings = merged;
    report
}

fn merge_into(into: &mut SecurityFinding, f: SecurityFinding) {
    for s in f.source {
        if !into.source.contains(&s) {
            into.source.push(s);
        }
    }
    for a in f.aliases.into_iter().chain([f.id]) {
        if a != into.id && !into.aliases.contains(&a) {
            into.aliases.push(a);
        }
    }
    into.severity = into.severity.max(f.severity);
    if into.fixed.is_empty() {
        into.fixed = f.fixed;
    }
    if into.title.is_empty() {
        into.title = f.title;
    }
    if into.layer.is_none() {
        into.layer = f.layer;
    }
    // A cargo-audit JSON names no place; the gate's own audit of the same crate names the
    // binary: keep whichever tool said where.
    if into.location.is_empty() {
        into.location = f.location;
    }
    if into.link.is_empty() {
        into.link = f.link;
    }
}

/// Counts by severity, by source, fixable or not, new — for the findings that count.
pub fn count(findings: &[SecurityFinding]) -> Counts {
    let mut c = Counts::default();
    for f in findings {
        c.by_severity.add(f.severity);
        for s in &f.source {
            *c.by_source.entry(s.clone()).or_default() += 1;
        }
        if f.fixable() {
            c.fixable += 1;
        } else {
            c.unfixable += 1;
        }
        if f.status == Some(FindingStatus::New) {
            c.new += 1;
        }
    }
    c
}

/// The security job: read every file (`(path, expected format)`), merge, apply the policy.
pub fn evaluate(
    files: &[(std::path::PathBuf, Option<&str>)],
    cfg: &cfg::SecurityConfig,
    baseline: Option<&crate::model::Report>,
) -> Result<(SecurityReport, Vec<crate::model::Check>)> {
    evaluate_with(files, Vec::new(), cfg, baseline)
}

/// [`evaluate`] with findings the gate made itself (`(origin, format, findings)`, e.g. the
/// RustSec audit of the image's crates), merged with the files' before the policy applies.
pub fn evaluate_with(
    files: &[(std::path::PathBuf, Option<&str>)],
    own: Vec<(String, String, Parsed)>,
    cfg: &cfg::SecurityConfig,
    baseline: Option<&crate::model::Report>,
) -> Result<(SecurityReport, Vec<crate::model::Check>)> {
    let opts = ParseOptions {
        default_severity: cfg.default_severity,
    };
    let mut parsed = Vec::new();
    for (path, want) in files {
        let (format, p) = load(path, *want, &opts)?;
        parsed.push((path.display().to_string(), format, p));
    }
    parsed.extend(own);
    let mut report = aggregate(parsed);
    let extra = match &cfg.trivyignore {
        Some(p) => policy::read_trivyignore(p)?,
        None => Vec::new(),
    };
    let today = time::OffsetDateTime::now_utc().date();
    let checks = policy::apply(&mut report, cfg, &extra, baseline, today);
    Ok((report, checks))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vuln(id: &str, aliases: &[&str], tool: &str, sev: Severity) -> SecurityFinding {
        SecurityFinding {
            id: id.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            source: vec![tool.into()],
            kind: Some(FindingKind::Vulnerability),
            severity: sev,
            package: "smallvec".into(),
            installed: "1.6.0".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_ghsa_and_its_cve_from_two_tools_are_one_finding() {
        let a = Parsed {
            findings: vec![vuln(
                "RUSTSEC-2021-0003",
                &["CVE-2021-25900", "GHSA-43w2-9j62-hq99"],
                "cargo-audit",
                Severity::Medium,
            )],
            ..Default::default()
        };
        let b = Parsed {
            findings: vec![vuln(
                "GHSA-43w2-9j62-hq99",
                &[],
                "grype",
                Severity::Critical,
            )],
            ..Default::default()
        };
        let c = Parsed {
            findings: vec![vuln("CVE-2021-25900", &[], "trivy", Severity::High)],
            ..Default::default()
        };
        let r = aggregate(vec![
            ("a".into(), "cargo-audit".into(), a),
            ("b".into(), "grype".into(), b),
            ("c".into(), "trivy".into(), c),
        ]);
        assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
        let f = &r.findings[0];
        assert_eq!(f.source, vec!["cargo-audit", "grype", "trivy"]);
        assert_eq!(
            f.severity,
            Severity::Critical,
            "the highest severity any tool gave"
        );
    }

    #[test]
    fn the_same_id_in_another_version_is_another_finding() {
        let mut other = vuln("CVE-1", &[], "trivy", Severity::High);
        other.installed = "2.0".into();
        let r = aggregate(vec![(
            "a".into(),
            "trivy".into(),
            Parsed {
                findings: vec![vuln("CVE-1", &[], "trivy", Severity::High), other],
                ..Default::default()
            },
        )]);
        assert_eq!(r.findings.len(), 2);
    }

    #[test]
    fn cvss_vectors_and_scores_map_to_githubs_bands() {
        assert_eq!(
            Severity::from_cvss_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Some(Severity::Critical)
        );
        assert_eq!(
            Severity::from_cvss_vector("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"),
            Some(Severity::Low)
        );
        assert_eq!(Severity::from_score(7.0), Severity::High);
        assert_eq!(Severity::from_score(4.0), Severity::Medium);
        assert_eq!(Severity::from_score(0.1), Severity::Low);
        assert_eq!(Severity::from_cvss_vector("nonsense"), None);
    }
}
