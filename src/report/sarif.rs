//! SARIF 2.1.0 of the gate's own findings, for GitHub code scanning: one rule per rule id
//! (with its description), one result per finding, the fix and the Dockerfile instruction in
//! the message. Findings point at the Dockerfile, the closest file a person would change.
//!
//! No `helpUri` and no `informationUri`: the project has no public home to link at yet, and a
//! placeholder URL (`github.com/org/…`) sends people to someone else's page.

use serde_json::{json, Value};

use super::{Report, RuleDoc, Severity};
use crate::image::history::shorten;

/// `rules` describes the ids the findings may carry; an id it does not know is its own
/// description.
pub fn render(report: &Report, dockerfile: &str, rules: &[RuleDoc]) -> String {
    let mut rule_ids: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    rule_ids.sort();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let description = rules
                .iter()
                .find(|r| r.id == *id)
                .map_or(*id, |r| r.description);
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
                "ruleIndex": rule_ids.iter().position(|r| *r == f.rule).unwrap_or(0),
                "level": level,
                "message": {"text": msg},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": dockerfile}, "region": {"startLine": 1}}}],
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
