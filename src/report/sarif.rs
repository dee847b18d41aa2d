//! SARIF 2.1.0 of the gate's own findings, for GitHub code scanning: one rule per rule id
//! (with its description), one result per finding, the fix and the Dockerfile instruction in
//! the message. Findings point at the Dockerfile, the closest file a person would change.

use serde_json::{json, Value};

use super::{Report, Severity};
use crate::rules::diags::Code;

pub fn render(report: &Report, dockerfile: &str) -> String {
    let mut rule_ids: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    rule_ids.sort();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let description = Code::from_id(id).map(|c| c.description()).unwrap_or(id);
            json!({
                "id": id,
                "name": id,
                "shortDescription": {"text": description},
                "helpUri": format!("https://github.com/org/lambda-gate#{id}"),
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
                msg.push_str(&format!(" (Dockerfile instruction: {})", super::text::shorten(c, 200)));
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
            "tool": {"driver": {"name": "lambda-gate", "version": report.tool.version, "informationUri": "https://github.com/org/lambda-gate", "rules": rules}},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("SARIF serializes");
    s.push('\n');
    s
}
