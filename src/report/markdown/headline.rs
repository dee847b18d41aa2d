//! The first lines: the verdict and the numbers people look for.

use super::super::markdown_escape::code;
use super::super::security::Severity as VulnSeverity;
use super::super::words::{count, share};
use super::super::{Report, Status, Verdict};
use super::{delta, severities};
use crate::units::format_size;

fn verdict_mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✅",
        Verdict::Warn => "⚠️",
        Verdict::Fail => "❌",
    }
}

pub(super) fn section(r: &Report) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(img) = &r.image {
        let b = r.baseline.as_ref();
        let whole = img.final_bytes + img.wasted_bytes;
        parts.push(format!(
            "**{}**{}",
            format_size(img.size_bytes),
            delta(img.size_bytes, b.and_then(|b| b.size_bytes))
        ));
        parts.push(format!(
            "{} visible · {} hidden by later layers ({}){}",
            share(img.final_bytes, whole),
            format_size(img.wasted_bytes),
            share(img.wasted_bytes, whole),
            delta(img.wasted_bytes, b.and_then(|b| b.wasted_bytes))
        ));
        parts.push(format!(
            "{} stored{}",
            format_size(img.compressed_bytes),
            delta(img.compressed_bytes, b.and_then(|b| b.compressed_bytes))
        ));
    }
    let (errors, warnings) = severities(r);
    match (errors, warnings) {
        (0, 0) => {}
        (e, 0) => parts.push(count(e, "error", "errors")),
        (0, w) => parts.push(count(w, "warning", "warnings")),
        (e, w) => parts.push(format!(
            "{}, {}",
            count(e, "error", "errors"),
            count(w, "warning", "warnings")
        )),
    }
    if let Some(sec) = &r.security {
        let crit = sec.counts.by_severity.get(VulnSeverity::Critical);
        let high = sec.counts.by_severity.get(VulnSeverity::High);
        parts.push(if crit + high == 0 {
            "no critical or high vulnerabilities".to_string()
        } else {
            format!("{crit} critical / {high} high vulnerabilities")
        });
    }
    if let Some(p) = &r.perf {
        parts.push(format!("p95 {:.0} ms", p.latency_ms.p95));
    }
    let failed = r.checks.iter().filter(|c| c.status == Status::Fail).count();
    if failed > 0 {
        parts.push(format!(
            "{} failed",
            count(failed as u64, "check", "checks")
        ));
    }
    let name = r
        .image
        .as_ref()
        .map(|i| format!(" {}", code(i.reference.as_deref().unwrap_or(&i.source))))
        .unwrap_or_default();
    Some(format!(
        "### {} lambda-gate: **{}**{name}\n\n{}\n",
        verdict_mark(r.verdict),
        r.verdict.as_str().to_uppercase(),
        parts.join(" · ")
    ))
}
