//! The parts of the perf section that say how the load itself went: requests dropped by the
//! bound on requests in flight, a run cut short (deadline, Ctrl-C), and after `gate perf
//! merge` a row per shard. Kept apart from the Markdown and text renderers, which each call
//! it once.

use std::fmt::Write;

use crate::model::perf::{PerfReport, ShardStatus};

/// A string from a shard's environment (the runner name) made safe for a terminal.
fn plain(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn errors(e: &std::collections::BTreeMap<String, u64>) -> String {
    if e.is_empty() {
        return "0".into();
    }
    e.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn skew(ms: Option<f64>) -> String {
    ms.map_or("–".into(), |s| format!("{:+.1} s", s / 1000.0))
}

/// Notes on the run as a whole, one line each.
fn notes(p: &PerfReport) -> Vec<String> {
    let mut out = Vec::new();
    if p.dropped > 0 {
        out.push(format!(
            "{} requests dropped (not sent): {} were already in flight, the most allowed (--max-in-flight)",
            p.dropped,
            p.max_in_flight.map_or("as many".into(), |m| m.to_string())
        ));
    }
    if p.deadline_hit {
        let cut = p.errors.get("deadline").copied().unwrap_or(0);
        out.push(format!(
            "the run reached its deadline: {cut} requests in flight were cut off (errors: deadline)"
        ));
    }
    if p.interrupted {
        out.push(
            "interrupted (Ctrl-C or SIGTERM): the figures are those measured until then".into(),
        );
    }
    out
}

/// For the Markdown perf section (the PR comment): notes, then the shard table.
pub fn markdown(p: &PerfReport) -> String {
    use super::markdown_escape::{code, text};
    let mut s = String::new();
    for n in notes(p) {
        let _ = writeln!(s, "\n> {}", text(&n));
    }
    if p.shards.is_empty() {
        return s;
    }
    let _ = writeln!(
        s,
        "\n| shard | runner | requests | req/s | errors | p95 | start skew | status |\n|---|---|---|---|---|---|---|---|"
    );
    for r in &p.shards {
        let status = match r.status {
            ShardStatus::Ok => "✅ ok".to_string(),
            other => format!(
                "❌ {}{}",
                <&str>::from(other),
                r.detail
                    .as_deref()
                    .map(|d| format!(": {}", text(d)))
                    .unwrap_or_default()
            ),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.0} | {} | {} | {} | {status} |",
            r.shard,
            r.runner.as_deref().map_or("–".into(), code),
            r.requests,
            r.rps,
            text(&errors(&r.errors)),
            r.p95_ms.map_or("–".into(), |v| format!("{v:.0} ms")),
            skew(r.start_skew_ms),
        );
    }
    s
}

/// For the terminal perf section: indented lines under it.
pub fn text(p: &PerfReport) -> String {
    let mut s = String::new();
    for n in notes(p) {
        let _ = writeln!(s, "         {n}");
    }
    if p.shards.is_empty() {
        return s;
    }
    let w = p
        .shards
        .iter()
        .filter_map(|r| r.runner.as_deref())
        .map(|r| plain(r).chars().count().min(30))
        .max()
        .unwrap_or(1)
        .max(6);
    let _ = writeln!(
        s,
        "         {:<7} {:<w$} {:>9} {:>8} {:>9} {:>10}  {:<8} errors",
        "shard", "runner", "requests", "req/s", "p95 ms", "skew", "status"
    );
    for r in &p.shards {
        let runner: String = plain(r.runner.as_deref().unwrap_or("–"))
            .chars()
            .take(30)
            .collect();
        let _ = writeln!(
            s,
            "         {:<7} {:<w$} {:>9} {:>8.0} {:>9} {:>10}  {:<8} {}{}",
            r.shard,
            runner,
            r.requests,
            r.rps,
            r.p95_ms.map_or("–".into(), |v| format!("{v:.1}")),
            skew(r.start_skew_ms),
            <&str>::from(r.status),
            errors(&r.errors),
            r.detail
                .as_deref()
                .map(|d| format!(" · {}", plain(d)))
                .unwrap_or_default()
        );
    }
    s
}
