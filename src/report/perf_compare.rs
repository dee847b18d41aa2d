//! The A/B table of the perf section: this run against its reference (`gate perf
//! --compare-url`, `--compare-qualifier`, `--baseline`), a metric a line, as
//! "p95 212 ms (main 180 ms, +18%, 95% CI +9…+27%) ❌ budget +10%". Kept apart from the
//! Markdown, text and HTML renderers, which each call it once. The strings come from a report
//! file that may be the pull request's (a stored baseline, a shard): each goes through the
//! output's escaper.

use std::fmt::Write;

use maud::{html, Markup};

use crate::model::perf::{BudgetVerdict, Comparison, ComparisonKind, MetricChange, PerfReport};

/// A value in its unit: "212 ms", "99.5%", "$0.41".
fn value(unit: &str, v: f64) -> String {
    match unit {
        "ratio" => format!("{:.1}%", v * 100.0),
        "usd" => format!("${v:.2}"),
        _ if v.abs() >= 10.0 => format!("{v:.0} ms"),
        _ => format!("{v:.1} ms"),
    }
}

/// Rates change in percentage points; everything else relatively.
fn change(m: &MetricChange) -> (String, Option<String>) {
    let pct = |x: f64| {
        let s = format!("{:+.0}", x * 100.0);
        if s == "-0" {
            "+0".to_string()
        } else {
            s
        }
    };
    if m.unit == "ratio" {
        let ci = m
            .diff_ci
            .map(|[l, h]| format!("{:+.1}…{:+.1} pp", l * 100.0, h * 100.0));
        return (format!("{:+.1} pp", m.diff * 100.0), ci);
    }
    match m.change {
        Some(c) => (
            format!("{}%", pct(c)),
            m.change_ci.map(|[l, h]| format!("{}…{}%", pct(l), pct(h))),
        ),
        None => (
            value(&m.unit, m.diff),
            m.diff_ci
                .map(|[l, h]| format!("{}…{}", value(&m.unit, l), value(&m.unit, h))),
        ),
    }
}

/// "✅ budget +10%", "❌ budget +10%", "⚠️ budget +10%: inconclusive, need about 800 more
/// requests"; empty without a budget.
fn budget(m: &MetricChange, marks: bool) -> String {
    let Some(b) = &m.budget else {
        return String::new();
    };
    let limit = b.split_once(" change ").map_or(b.as_str(), |(_, l)| l);
    let limit = limit
        .strip_prefix("<= ")
        .or_else(|| limit.strip_prefix("< "))
        .unwrap_or(limit);
    let (mark, word) = match m.verdict {
        Some(BudgetVerdict::Pass) => ("✅", "pass"),
        Some(BudgetVerdict::Fail) => ("❌", "FAIL"),
        _ => ("⚠️", "inconclusive"),
    };
    let more = match (m.verdict, m.more_requests) {
        (Some(BudgetVerdict::Pass | BudgetVerdict::Fail), _) => String::new(),
        (_, Some(n)) => format!(": inconclusive, need about {n} more requests"),
        (_, None) => ": inconclusive, the change sits at the budget".into(),
    };
    if marks {
        format!("{mark} budget {limit}{more}")
    } else {
        format!(
            "{word}: budget {limit}{}",
            more.replacen(": inconclusive", "", 1)
        )
    }
}

/// "212 ms (main 180 ms, +18%, 95% CI +9…+27%)"
fn line(m: &MetricChange, name: &str) -> String {
    let (ch, ci) = change(m);
    let ci = ci.map_or(String::new(), |c| format!(", 95% CI {c}"));
    format!(
        "{} ({name} {}, {ch}{ci})",
        value(&m.unit, m.a),
        value(&m.unit, m.b)
    )
}

/// Each metric as its name, its line and its budget (after a space in the comment, two in a
/// terminal; empty without one), the strings from the report escaped by `escape`. `marks`:
/// the budget's verdict as ✅/❌/⚠️ (the comment) or in words (a terminal).
fn rows<'a>(
    c: &'a Comparison,
    name: &'a str,
    marks: bool,
    escape: impl Fn(&str) -> String + 'a,
) -> impl Iterator<Item = (String, String, String)> + 'a {
    let gap = if marks { " " } else { "  " };
    c.metrics.iter().map(move |m| {
        let b = escape(&budget(m, marks));
        let b = if b.is_empty() { b } else { format!("{gap}{b}") };
        (escape(&m.metric), line(m, name), b)
    })
}

fn how(c: &Comparison, name: &str, requests: u64) -> String {
    let kind = match c.kind {
        ComparisonKind::Interleaved => format!(
            "interleaved: {name} driven in the same run, each request sent to one or the other in a seeded random order"
        ),
        ComparisonKind::Baseline => format!(
            "baseline: {name}'s stored report, run at another time (noisier than an interleaved comparison)"
        ),
    };
    format!(
        "{kind}; {requests} requests against {}; seed {}, {} bootstrap resamples",
        c.reference.requests, c.seed, c.resamples
    )
}

/// Reads as prose in the Markdown comment: the compare name goes through the escaper.
pub fn markdown(p: &PerfReport) -> String {
    let Some(c) = p.compare.as_deref() else {
        return String::new();
    };
    let name = super::markdown_escape::text(&c.name);
    let mut s = format!(
        "\n**Against {name}** ({})\n\n| metric | this run against {name} |\n|---|---|\n",
        how(c, &name, p.requests)
    );
    for (metric, line, budget) in rows(c, &name, true, super::markdown_escape::text) {
        let _ = writeln!(s, "| {metric} | {line}{budget} |");
    }
    s
}

/// Lines of the terminal report, indented as its perf section.
pub fn text(p: &PerfReport) -> String {
    let Some(c) = p.compare.as_deref() else {
        return String::new();
    };
    let name = crate::term::escape(&c.name).into_owned();
    let mut s = format!(
        "         against {name} ({} kind; {} requests against {}; seed {}, {} resamples)\n",
        c.kind.as_str(),
        p.requests,
        c.reference.requests,
        c.seed,
        c.resamples
    );
    let escape = |t: &str| crate::term::escape(t).into_owned();
    for (metric, line, budget) in rows(c, &name, false, escape) {
        let _ = writeln!(s, "         {metric:<17}{line}{budget}");
    }
    s
}

/// A table in the HTML report (maud escapes every value).
pub fn html(p: &PerfReport) -> Markup {
    let Some(c) = p.compare.as_deref() else {
        return html! {};
    };
    html! {
        h3 { "Against " (c.name) }
        p.meta {
            (c.kind.as_str()) " comparison · " (p.requests) " requests against "
            (c.reference.requests) " · seed " (c.seed) " · " (c.resamples) " bootstrap resamples · "
            (c.method)
        }
        table #perf-compare {
            thead { tr { th { "metric" } th { "this run" } th { (c.name) } th { "change" } th { "95% CI" } th { "budget" } } }
            tbody {
                @for m in &c.metrics {
                    @let (ch, ci) = change(m);
                    tr {
                        td { (m.metric) }
                        td { (value(&m.unit, m.a)) }
                        td { (value(&m.unit, m.b)) }
                        td { (ch) }
                        td { (ci.unwrap_or_default()) }
                        td { (budget(m, true)) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_reads_as_the_issue_asks() {
        let m = MetricChange {
            metric: "p95".into(),
            unit: "ms".into(),
            a: 212.0,
            b: 180.0,
            change: Some(212.0 / 180.0 - 1.0),
            change_ci: Some([0.09, 0.27]),
            diff: 32.0,
            diff_ci: Some([16.0, 48.0]),
            budget: Some("p95 change < +10%".into()),
            verdict: Some(BudgetVerdict::Fail),
            more_requests: None,
        };
        assert_eq!(
            format!("{} {} {}", m.metric, line(&m, "main"), budget(&m, true)),
            "p95 212 ms (main 180 ms, +18%, 95% CI +9…+27%) ❌ budget +10%"
        );
    }
}
