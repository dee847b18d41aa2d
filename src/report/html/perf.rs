//! The load run: its figures, the latency chart, the A/B comparison, Lambda's own numbers.

use maud::{html, Markup};

use super::super::Report;
use super::charts;
use crate::units::format_percent;

pub(super) fn section(r: &Report) -> Markup {
    let Some(p) = &r.perf else {
        return html! {};
    };
    let base = r.baseline.as_ref();
    html! {
        section #perf {
            h2 { "Performance" }
            p.meta {
                (p.requests) " requests · " (format_percent(p.success_rate)) " succeeded · "
                (format!("{:.1}", p.rps)) " req/s over " (format!("{:.1}", p.duration_s)) " s · "
                (p.mode_name()) " mode, " (p.model_name()) " model · " (p.cold_starts) " cold starts ("
                (format_percent(p.cold_start_rate)) ")"
                @if let Some(b) = base.and_then(|b| b.p95_ms) { " · p95 on the base " (format!("{b:.1}")) " ms" }
            }
            p.meta { "Target: " code { (p.target) } }
            (charts::latency(p))
            (super::super::perf_compare::html(p))
            table.kv { tbody {
                @if let Some(b) = p.billed_avg_ms { tr { th { "billed (avg)" } td { (format!("{b:.1} ms")) } } }
                @if let Some(m) = p.memory_size_mb { tr { th { "memory size" } td { (format!("{m:.0} MB")) } } }
                @if let Some(m) = p.max_memory_used_mb { tr { th { "max memory used" } td { (format!("{m:.0} MB")) } } }
                @if let Some(c) = p.cost_per_million_usd { tr { th { "cost per million" } td { (format!("${c:.2}")) } } }
                @if let Some(s) = &p.right_sizing { tr { th { "right-sizing" } td { (s) } } }
                @for (k, v) in &p.statuses { tr { th { "HTTP " (k) } td { (v) } } }
                @for (k, v) in &p.errors { tr { th { "error: " (k) } td { (v) } } }
                @for (k, v) in &p.missing_headers { tr { th { "missing header " code { (k) } } td { (v) } } }
                @if p.interrupted { tr { th { "interrupted" } td { "yes: partial results" } } }
                @if p.deadline_hit { tr { th { "deadline" } td { "hit: partial results" } } }
            } }
        }
    }
}
