//! The checks: failed and warning ones in a table, the ones that pass folded.

use std::fmt::Write;

use super::super::markdown_escape::{code, inline, text};
use super::super::words::{check_figures, count};
use super::super::{Check, Report, Status, Unit};
use crate::units::format_delta;

fn status_mark(s: Status) -> &'static str {
    match s {
        Status::Pass => "✅ pass",
        Status::Warn => "⚠️ warn",
        Status::Fail => "❌ fail",
    }
}

/// Failed and warning checks in a table; the ones that pass folded into one line.
pub(super) fn section(r: &Report) -> Option<String> {
    if r.checks.is_empty() {
        return None;
    }
    let base = r.baseline.is_some();
    let mut open: Vec<&Check> = r
        .checks
        .iter()
        .filter(|c| c.status != Status::Pass)
        .collect();
    open.sort_by_key(|c| std::cmp::Reverse(c.status));
    let passing: Vec<&Check> = r
        .checks
        .iter()
        .filter(|c| c.status == Status::Pass)
        .collect();
    let mut s = String::new();
    if !open.is_empty() {
        check_table(&mut s, r, &open, base);
        for c in open.iter().filter(|c| c.detail.is_some()).take(10) {
            let _ = writeln!(
                s,
                "\n{} {}: {}",
                status_mark(c.status),
                code(&c.name.to_string()),
                inline(c.detail.as_deref().unwrap_or(""))
            );
        }
        s.push('\n');
    }
    if !passing.is_empty() {
        let all = if open.is_empty() { "All " } else { "" };
        let _ = writeln!(
            s,
            "<details><summary>✅ {all}{} pass</summary>\n",
            count(passing.len() as u64, "check", "checks")
        );
        check_table(&mut s, r, &passing, base);
        let _ = writeln!(s, "\n</details>\n");
    }
    Some(s)
}

fn check_table(s: &mut String, r: &Report, checks: &[&Check], base: bool) {
    if base {
        let _ = writeln!(
            s,
            "| | check | limit | actual | vs base |\n|---|---|---|---|---|"
        );
    } else {
        let _ = writeln!(s, "| | check | limit | actual |\n|---|---|---|---|");
    }
    for c in checks {
        let (limit, actual) = check_figures(c, r);
        let _ = write!(
            s,
            "| {} | {} | {} | {} |",
            status_mark(c.status),
            code(&c.name.to_string()),
            text(&limit),
            text(&actual)
        );
        if base {
            let then = r
                .baseline
                .as_ref()
                .and_then(|b| b.checks.get(&c.name.to_string()));
            let _ = write!(s, " {} |", check_delta(c, then));
        }
        s.push('\n');
    }
}

fn check_delta(c: &Check, base: Option<&serde_json::Value>) -> String {
    let (Some(now), Some(then)) = (c.actual.as_f64(), base.and_then(|b| b.as_f64())) else {
        return String::new();
    };
    let d = now - then;
    if d == 0.0 {
        return "±0".into();
    }
    match c.unit {
        Some(Unit::Bytes) => format_delta(d as i128),
        Some(Unit::Ratio) => format!("{:+.1} pts", d * 100.0),
        _ => format!("{d:+}"),
    }
}
