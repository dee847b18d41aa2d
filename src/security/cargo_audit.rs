//! cargo-audit JSON: `vulnerabilities.list` (advisory, aliases, package, patched versions,
//! CVSS vector) and `warnings` (unmaintained, unsound, yanked, notice) as lower-severity
//! findings. cargo-audit writes no severity: it comes from the CVSS vector (3.x or 4.0)
//! when the advisory has one, else from the policy's default.

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::Result;
use serde::Deserialize;

use super::{FindingKind, ParseOptions, Parsed, SecurityFinding, Severity};

pub fn detect(head: &str) -> bool {
    head.contains("\"vulnerabilities\"")
        && (head.contains("\"lockfile\"")
            || head.contains("\"database\"")
            || head.contains("\"warnings\""))
}

#[derive(Deserialize)]
struct Report {
    vulnerabilities: Vulns,
    #[serde(default)]
    warnings: BTreeMap<String, Vec<Warning>>,
}

#[derive(Deserialize)]
struct Vulns {
    #[serde(default)]
    list: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    advisory: Advisory,
    #[serde(default)]
    versions: Option<Versions>,
    package: Package,
}

#[derive(Deserialize)]
struct Advisory {
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize, Default)]
struct Versions {
    #[serde(default)]
    patched: Vec<String>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
}

#[derive(Deserialize)]
struct Warning {
    kind: String,
    package: Package,
    #[serde(default)]
    advisory: Option<Advisory>,
    #[serde(default)]
    versions: Option<Versions>,
}

fn finding(
    a: Advisory,
    p: Package,
    v: Option<Versions>,
    kind: FindingKind,
    severity: Severity,
    note: Option<String>,
) -> SecurityFinding {
    SecurityFinding {
        link: a
            .url
            .clone()
            .unwrap_or_else(|| format!("https://rustsec.org/advisories/{}", a.id)),
        id: a.id,
        aliases: a.aliases,
        source: vec!["cargo-audit".into()],
        kind: Some(kind),
        severity,
        package: p.name,
        installed: p.version,
        fixed: v.map(|v| v.patched.join(" or ")).unwrap_or_default(),
        title: a.title,
        note,
        ..Default::default()
    }
}

pub fn parse(r: &mut dyn Read, opts: &ParseOptions) -> Result<Parsed> {
    let report: Report = serde_json::from_reader(r)?;
    let mut out = Parsed::default();
    for e in report.vulnerabilities.list {
        let (severity, note) = match e.advisory.cvss.as_deref().map(|v| (v, Severity::from_cvss_vector(v))) {
            Some((_, Some(s))) => (s, None),
            Some((v, None)) => (opts.default_severity, Some(format!("CVSS vector {v:?} not understood; severity set by policy"))),
            None => (opts.default_severity, Some("the advisory has no CVSS score; severity set by policy (security.default_severity)".into())),
        };
        out.findings.push(finding(
            e.advisory,
            e.package,
            e.versions,
            FindingKind::Vulnerability,
            severity,
            note,
        ));
    }
    for (kind, list) in report.warnings {
        for w in list {
            let Some(a) = w.advisory else {
                // yanked crates come without an advisory
                out.findings.push(SecurityFinding {
                    id: format!("{}-{}", w.kind, w.package.name),
                    source: vec!["cargo-audit".into()],
                    kind: Some(FindingKind::Advisory),
                    severity: Severity::Low,
                    title: format!("{} {} is {}", w.package.name, w.package.version, w.kind),
                    package: w.package.name,
                    installed: w.package.version,
                    ..Default::default()
                });
                continue;
            };
            let sev = if kind == "unsound" {
                Severity::Medium
            } else {
                Severity::Low
            };
            out.findings.push(finding(
                a,
                w.package,
                w.versions,
                FindingKind::Advisory,
                sev,
                Some(format!("cargo-audit warning: {kind}")),
            ));
        }
    }
    Ok(out)
}
