//! The JSON renderer: the Report as schema `lambda-gate/report/v1`, fields in model order.

use super::Report;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("a Report always serializes");
    s.push('\n');
    s
}
