//! The rules' findings: what to fix.

use std::fmt::Write;

use super::super::markdown_escape::{code, inline};
use super::super::words::{count, fix_after};
use super::super::{Finding, Report, Severity};
use super::{delta, severities, MAX_ROWS};
use crate::units::format_size;

/// What to fix, most severe and largest first.
pub(super) fn section(r: &Report) -> Option<String> {
    if r.findings.is_empty() {
        return None;
    }
    let (errors, warnings) = severities(r);
    let infos = r.findings.len() as u64 - errors - warnings;
    let mut tally = Vec::new();
    for (n, one, many) in [
        (errors, "error", "errors"),
        (warnings, "warning", "warnings"),
        (infos, "note", "notes"),
    ] {
        if n > 0 {
            tally.push(count(n, one, many));
        }
    }
    let mut s = format!(
        "#### Findings: {}\n\n| | rule | what | bytes | fix |\n|---|---|---|---|---|\n",
        tally.join(", ")
    );
    let mut sorted: Vec<&Finding> = r.findings.iter().collect();
    sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.bytes.cmp(&a.bytes)));
    for f in sorted.iter().take(MAX_ROWS) {
        let mark = match f.severity {
            Severity::Error => "❌",
            Severity::Warning => "⚠️",
            Severity::Info => "ℹ️",
        };
        let base = r
            .baseline
            .as_ref()
            .map(|b| b.finding_bytes.get(f.rule.id()).copied().unwrap_or(0));
        let bytes = if f.bytes == 0 {
            "–".into()
        } else {
            format!("{}{}", format_size(f.bytes), delta(f.bytes, base))
        };
        let _ = writeln!(
            s,
            "| {mark} | {} | {} | {bytes} | {} |",
            code(f.rule.id()),
            inline(&f.message),
            inline(fix_after(&f.message, &f.fix))
        );
    }
    if r.findings.len() > MAX_ROWS {
        let _ = writeln!(
            s,
            "\n…and {} more in the JSON report.",
            r.findings.len() - MAX_ROWS
        );
    }
    Some(s)
}
