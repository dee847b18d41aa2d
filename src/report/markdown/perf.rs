//! The load run: latency, cold starts, missing headers, the A/B comparison, the shards.

use std::fmt::Write;

use super::super::markdown_escape::code;
use super::super::words::count;
use super::super::Report;
use crate::units::format_percent;

pub(super) fn section(r: &Report) -> Option<String> {
    let p = r.perf.as_ref()?;
    let l = &p.latency_ms;
    let b = r.baseline.as_ref();
    let mut s = String::from("#### Performance\n\n| requests | success | p50 | p90 | p95 | p99 | max | cold starts |\n|---|---|---|---|---|---|---|---|\n");
    let p95_delta = b
        .and_then(|b| b.p95_ms)
        .map(|x| format!(" ({:+.0})", l.p95 - x))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "| {} | {} | {:.0} ms | {:.0} ms | {:.0} ms{p95_delta} | {:.0} ms | {:.0} ms | {} ({}) |",
        p.requests,
        format_percent(p.success_rate),
        l.p50,
        l.p90,
        l.p95,
        l.p99,
        l.max,
        p.cold_starts,
        format_percent(p.cold_start_rate)
    );
    if !p.missing_headers.is_empty() {
        let missing: Vec<String> = p
            .missing_headers
            .iter()
            .map(|(h, n)| {
                format!(
                    "{} missing in {} of {}",
                    code(h),
                    super::super::words::number(*n),
                    count(p.requests, "response", "responses")
                )
            })
            .collect();
        let _ = writeln!(s, "\n{}", missing.join(", "));
    }
    let _ = writeln!(s, "\n<details><summary>Latency chart</summary>\n\n```mermaid\nxychart-beta\n    title \"Latency percentiles (ms)\"\n    x-axis [p50, p90, p95, p99, max]\n    bar [{:.1}, {:.1}, {:.1}, {:.1}, {:.1}]\n```\n\n</details>", l.p50, l.p90, l.p95, l.p99, l.max);
    s.push_str(&super::super::perf_compare::markdown(p));
    s.push_str(&super::super::shards::markdown(p));
    Some(s)
}
