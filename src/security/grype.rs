//! Grype JSON: `matches[]`, each a vulnerability (id, severity, fix state and versions) found
//! in an artifact (name, version, type, locations).

use std::io::Read;

use anyhow::Result;
use serde::Deserialize;

use super::{FindingKind, ParseOptions, Parsed, SecurityFinding, Severity};

pub fn detect(head: &str) -> bool {
    head.contains("\"matches\"")
        && (head.contains("\"artifact\"")
            || head.contains("\"descriptor\"")
            || head.contains("\"source\""))
}

#[derive(Deserialize)]
struct Report {
    #[serde(default)]
    matches: Vec<Match>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Match {
    vulnerability: Vuln,
    #[serde(default)]
    related_vulnerabilities: Vec<Related>,
    artifact: Artifact,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vuln {
    id: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    fix: Option<Fix>,
    #[serde(default)]
    data_source: String,
}

#[derive(Deserialize)]
struct Fix {
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    state: String,
}

#[derive(Deserialize)]
struct Related {
    id: String,
}

#[derive(Deserialize)]
struct Artifact {
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    locations: Vec<Location>,
}

#[derive(Deserialize)]
struct Location {
    #[serde(default)]
    path: String,
}

pub fn parse(r: &mut dyn Read, _opts: &ParseOptions) -> Result<Parsed> {
    let report: Report = serde_json::from_reader(r)?;
    let mut out = Parsed::default();
    for m in report.matches {
        let v = m.vulnerability;
        let fixed = match &v.fix {
            Some(f) if f.state == "fixed" => f.versions.join(", "),
            _ => String::new(),
        };
        out.findings.push(SecurityFinding {
            aliases: m
                .related_vulnerabilities
                .into_iter()
                .map(|r| r.id)
                .filter(|i| i != &v.id)
                .collect(),
            id: v.id,
            source: vec!["grype".into()],
            kind: Some(FindingKind::Vulnerability),
            severity: Severity::from_scanner(&v.severity),
            package: m.artifact.name,
            installed: m.artifact.version,
            fixed,
            title: super::title(&v.description.unwrap_or_default()),
            location: m
                .artifact
                .locations
                .first()
                .map(|l| l.path.clone())
                .unwrap_or_else(|| m.artifact.kind.clone()),
            link: v.data_source,
            ..Default::default()
        });
    }
    Ok(out)
}
