//! SARIF 2.1.0 of the gate's own findings, for GitHub code scanning: one rule per rule id
//! (with its description), one result per finding, the fix and the Dockerfile instruction in
//! the message. Findings point at the Dockerfile, the closest file a person would change.
//!
//! No `helpUri` and no `informationUri`: the project has no public home to link at yet, and a
//! placeholder URL (`github.com/org/…`) sends people to someone else's page.

use serde_json::{json, Value};

use super::{Report, Severity};
use crate::image::history::shorten;
use crate::model::{Family, RuleId};

/// The image rules (`[rules]`) are described; any other id is its own description, as the
/// SARIF of this version has always had it.
pub fn render(report: &Report, dockerfile: &str) -> String {
    let mut rule_ids: Vec<&str> = report.findings.iter().map(|f| f.rule.id()).collect();
    rule_ids.sort();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let description = RuleId::from_id(id)
                .filter(|r| r.family() == Family::Image)
                .map_or(*id, RuleId::description);
            json!({
                "id": id,
                "name": id,
                "shortDescription": {"text": description},
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let level = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "note",
            };
            let mut msg = format!("{} Fix: {}", f.message, f.fix);
            if let Some(c) = &f.created_by {
                msg.push_str(&format!(" (Dockerfile instruction: {})", shorten(c, 200)));
            }
            json!({
                "ruleId": f.rule,
                "ruleIndex": rule_ids.iter().position(|r| *r == f.rule.id()).unwrap_or(0),
                "level": level,
                "message": {"text": msg},
                "locations": [location(report, f, dockerfile)],
                "properties": {"bytes": f.bytes, "layer": f.layer, "paths": f.paths},
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "lambda-gate", "version": report.tool.version, "rules": rules}},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("SARIF serializes");
    s.push('\n');
    s
}

/// A finding on a template or plan (`gate check --deployment`) points at its file and line,
/// so GitHub shows it on the template in the pull request's diff; any other at the
/// Dockerfile. With several functions in the file, the finding's message names its function.
fn location(report: &Report, f: &super::Finding, dockerfile: &str) -> Value {
    let functions: Vec<_> = report
        .function
        .iter()
        .chain(report.more_functions.iter())
        .collect();
    let at = functions
        .iter()
        .filter(|func| functions.len() == 1 || f.message.starts_with(&format!("{}: ", func.name)))
        .find_map(|func| func.rule_locations.get(f.rule.id()));
    match at {
        Some(at) => json!({"physicalLocation": {
            "artifactLocation": {"uri": at.file.trim_start_matches("./")},
            "region": {"startLine": at.line.unwrap_or(1)},
        }}),
        None => {
            json!({"physicalLocation": {"artifactLocation": {"uri": dockerfile}, "region": {"startLine": 1}}})
        }
    }
}
