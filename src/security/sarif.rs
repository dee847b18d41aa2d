//! SARIF 2.1.0 from any tool (Semgrep, Bandit, CodeQL, Trivy, Grype, cargo-audit). Severity
//! comes from the rule's `security-severity` score when present (GitHub's bands), else the
//! result's `level`, else the rule's default level, else SARIF's default (warning).

use std::collections::HashMap;
use std::io::Read;

use anyhow::Result;
use serde::Deserialize;

use super::{FindingKind, ParseOptions, Parsed, SecurityFinding, Severity};

pub fn detect(head: &str) -> bool {
    head.contains("\"runs\"") && (head.contains("sarif") || head.contains("\"2.1.0\""))
}

#[derive(Deserialize)]
struct Log {
    #[serde(default)]
    runs: Vec<Run>,
}

#[derive(Deserialize)]
struct Run {
    tool: Tool,
    #[serde(default)]
    results: Vec<SResult>,
}

#[derive(Deserialize)]
struct Tool {
    driver: Driver,
}

#[derive(Deserialize)]
struct Driver {
    #[serde(default)]
    name: String,
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    #[serde(default)]
    short_description: Option<Text>,
    #[serde(default)]
    default_configuration: Option<Config>,
    #[serde(default)]
    properties: Option<HashMap<String, serde_json::Value>>,
    #[serde(default)]
    help_uri: Option<String>,
}

#[derive(Deserialize)]
struct Config {
    #[serde(default)]
    level: Option<String>,
}

#[derive(Deserialize)]
struct Text {
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SResult {
    #[serde(default)]
    rule_id: Option<String>,
    #[serde(default)]
    rule_index: Option<usize>,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    message: Option<Text>,
    #[serde(default)]
    locations: Vec<SLocation>,
    #[serde(default)]
    suppressions: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SLocation {
    #[serde(default)]
    physical_location: Option<Physical>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    #[serde(default)]
    artifact_location: Option<Artifact>,
    #[serde(default)]
    region: Option<Region>,
}

#[derive(Deserialize)]
struct Artifact {
    #[serde(default)]
    uri: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    #[serde(default)]
    start_line: Option<u64>,
}

fn level_severity(level: &str) -> Severity {
    match level {
        "error" => Severity::High,
        "warning" => Severity::Medium,
        "note" => Severity::Low,
        _ => Severity::Unknown,
    }
}

fn score(props: &Option<HashMap<String, serde_json::Value>>) -> Option<f64> {
    let v = props.as_ref()?.get("security-severity")?;
    v.as_f64().or_else(|| v.as_str()?.trim().parse().ok())
}

pub fn parse(r: &mut dyn Read, _opts: &ParseOptions) -> Result<Parsed> {
    let log: Log = serde_json::from_reader(r)?;
    let mut out = Parsed::default();
    for run in log.runs {
        let tool = run
            .tool
            .driver
            .name
            .split_whitespace()
            .next()
            .unwrap_or("sarif")
            .to_lowercase();
        let rules = &run.tool.driver.rules;
        let by_id: HashMap<&str, &Rule> = rules.iter().map(|r| (r.id.as_str(), r)).collect();
        for res in run.results {
            let rule = res
                .rule_id
                .as_deref()
                .and_then(|id| by_id.get(id).copied())
                .or_else(|| res.rule_index.and_then(|i| rules.get(i)));
            let id = res
                .rule_id
                .clone()
                .or_else(|| rule.map(|r| r.id.clone()))
                .unwrap_or_else(|| "unknown-rule".into());
            let severity = rule
                .and_then(|r| score(&r.properties))
                .map(Severity::from_score)
                .or_else(|| res.level.as_deref().map(level_severity))
                .or_else(|| {
                    rule.and_then(|r| {
                        r.default_configuration
                            .as_ref()?
                            .level
                            .as_deref()
                            .map(level_severity)
                    })
                })
                .unwrap_or(Severity::Medium);
            let loc = res
                .locations
                .first()
                .and_then(|l| l.physical_location.as_ref());
            let location = match loc {
                Some(p) => {
                    let uri = p
                        .artifact_location
                        .as_ref()
                        .map(|a| a.uri.clone())
                        .unwrap_or_default();
                    match p.region.as_ref().and_then(|r| r.start_line) {
                        Some(l) => format!("{uri}:{l}"),
                        None => uri,
                    }
                }
                None => String::new(),
            };
            let title = res
                .message
                .map(|m| m.text)
                .filter(|t| !t.is_empty())
                .or_else(|| rule.and_then(|r| r.short_description.as_ref().map(|d| d.text.clone())))
                .unwrap_or_default();
            let f = SecurityFinding {
                id,
                source: vec![tool.clone()],
                kind: Some(FindingKind::Code),
                severity,
                title: super::title(&title),
                location,
                link: rule.and_then(|r| r.help_uri.clone()).unwrap_or_default(),
                suppressed: (!res.suppressions.is_empty())
                    .then(|| "suppressed in the SARIF file".to_string()),
                ..Default::default()
            };
            if f.suppressed.is_some() {
                out.suppressed.push(f);
            } else {
                out.findings.push(f);
            }
        }
    }
    Ok(out)
}
