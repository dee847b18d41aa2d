//! Trivy JSON (SchemaVersion 2): vulnerabilities of OS and language packages, failed
//! misconfigurations, secrets and licenses, from `Results[]` of every class. Findings Trivy
//! itself suppressed (`ExperimentalModifiedFindings`, from VEX or .trivyignore) are kept as
//! suppressed, with Trivy's statement.

use std::io::Read;

use anyhow::Result;
use serde::Deserialize;

use super::{ParseOptions, Parsed, SecurityFinding, Severity};

pub fn detect(head: &str) -> bool {
    head.contains("\"SchemaVersion\"")
        && (head.contains("\"Results\"") || head.contains("\"ArtifactName\""))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Report {
    schema_version: Option<u32>,
    #[serde(default)]
    results: Vec<TResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TResult {
    #[serde(default)]
    target: String,
    #[serde(default)]
    vulnerabilities: Option<Vec<Vuln>>,
    #[serde(default)]
    misconfigurations: Option<Vec<Misconf>>,
    #[serde(default)]
    secrets: Option<Vec<Secret>>,
    #[serde(default)]
    licenses: Option<Vec<License>>,
    #[serde(default)]
    experimental_modified_findings: Option<Vec<Modified>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Vuln {
    #[serde(rename = "VulnerabilityID")]
    vulnerability_id: String,
    #[serde(default)]
    pkg_name: String,
    #[serde(default)]
    installed_version: String,
    #[serde(default)]
    fixed_version: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    primary_url: String,
    #[serde(default)]
    layer: Option<Layer>,
    #[serde(default)]
    vendor_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Layer {
    #[serde(default, rename = "DiffID")]
    diff_id: Option<String>,
    #[serde(default)]
    digest: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Misconf {
    #[serde(rename = "ID", default)]
    id: String,
    #[serde(rename = "AVDID", default)]
    avd_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    primary_url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Secret {
    #[serde(rename = "RuleID", default)]
    rule_id: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    start_line: Option<u64>,
    #[serde(default)]
    layer: Option<Layer>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct License {
    #[serde(default)]
    name: String,
    #[serde(default)]
    pkg_name: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    category: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Modified {
    #[serde(default)]
    status: String,
    #[serde(default)]
    statement: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    finding: Option<Vuln>,
}

fn layer(l: Option<Layer>) -> Option<String> {
    l.and_then(|l| l.diff_id.or(l.digest))
        .filter(|s| !s.is_empty())
}

fn vuln(v: Vuln, target: &str) -> SecurityFinding {
    SecurityFinding {
        aliases: v
            .vendor_ids
            .into_iter()
            .filter(|a| a != &v.vulnerability_id)
            .collect(),
        id: v.vulnerability_id,
        source: vec!["trivy".into()],
        kind: "vulnerability".into(),
        severity: Severity::from_scanner(&v.severity),
        package: v.pkg_name,
        installed: v.installed_version,
        fixed: v.fixed_version,
        title: v.title,
        location: target.to_string(),
        layer: layer(v.layer),
        link: v.primary_url,
        ..Default::default()
    }
}

pub fn parse(r: &mut dyn Read, _opts: &ParseOptions) -> Result<Parsed> {
    let report: Report = serde_json::from_reader(r)?;
    if report.schema_version.is_some_and(|v| v != 2) {
        anyhow::bail!(
            "Trivy SchemaVersion {} (this gate reads SchemaVersion 2)",
            report.schema_version.unwrap_or(0)
        );
    }
    let mut out = Parsed::default();
    for res in report.results {
        let target = res.target;
        for v in res.vulnerabilities.unwrap_or_default() {
            out.findings.push(vuln(v, &target));
        }
        for m in res.misconfigurations.unwrap_or_default() {
            if !m.status.eq_ignore_ascii_case("FAIL") {
                continue;
            }
            let id = if m.id.is_empty() {
                m.avd_id.clone()
            } else {
                m.id.clone()
            };
            let mut aliases = Vec::new();
            if !m.avd_id.is_empty() && m.avd_id != id {
                aliases.push(m.avd_id.clone());
            }
            // Trivy ≥ 0.69 writes DS-0002 where older versions wrote DS002: keep both.
            let compact = id.replace('-', "");
            if compact != id {
                aliases.push(compact);
            }
            out.findings.push(SecurityFinding {
                id,
                aliases,
                source: vec!["trivy".into()],
                kind: "misconfiguration".into(),
                severity: Severity::from_scanner(&m.severity),
                title: if m.resolution.is_empty() {
                    m.title
                } else {
                    format!("{}: {}", m.title, m.resolution)
                },
                location: target.clone(),
                link: m.primary_url,
                ..Default::default()
            });
        }
        for s in res.secrets.unwrap_or_default() {
            let line = s.start_line.map(|l| format!(":{l}")).unwrap_or_default();
            out.findings.push(SecurityFinding {
                id: s.rule_id,
                source: vec!["trivy".into()],
                kind: "secret".into(),
                severity: Severity::from_scanner(&s.severity),
                title: s.title,
                location: format!("{target}{line}"),
                layer: layer(s.layer),
                ..Default::default()
            });
        }
        for l in res.licenses.unwrap_or_default() {
            out.findings.push(SecurityFinding {
                id: l.name.clone(),
                source: vec!["trivy".into()],
                kind: "license".into(),
                severity: Severity::from_scanner(&l.severity),
                package: l.pkg_name,
                title: format!("license {} ({})", l.name, l.category),
                location: target.clone(),
                ..Default::default()
            });
        }
        for m in res.experimental_modified_findings.unwrap_or_default() {
            if let Some(v) = m.finding {
                let mut f = vuln(v, &target);
                let why = [m.status.as_str(), m.statement.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(": ");
                f.suppressed = Some(format!(
                    "{why} (Trivy, {})",
                    if m.source.is_empty() {
                        "ignore"
                    } else {
                        &m.source
                    }
                ));
                out.suppressed.push(f);
            }
        }
    }
    Ok(out)
}
