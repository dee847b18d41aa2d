//! The trend renderer: main's last builds (`Report::history`) as a Unicode sparkline and one
//! line per figure ("main grew +120 MB in 30 days"), for the comment and the HTML report.
//!
//! Text, not a chart: a sparkline survives the PR comment, a terminal and a screen reader's
//! "copy", and needs no script in the page.

use std::fmt::Write;

use maud::{html, Markup};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::model::history::{History, HistoryEntry};
use crate::model::Report;
use crate::units::{format_delta, format_size};

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The series as bars, lowest value `▁`, highest `█`, linear in between; a flat series is
/// drawn at the bottom.
pub fn sparkline(values: &[f64]) -> String {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    finite
        .iter()
        .map(|v| {
            let level = if max > min {
                ((v - min) / (max - min) * 7.0).round() as usize
            } else {
                0
            };
            BARS[level.min(7)]
        })
        .collect()
}

/// One figure's row: its name, the sparkline, the last value and the sentence.
pub struct Row {
    pub label: &'static str,
    pub spark: String,
    pub now: String,
    pub summary: String,
}

struct Figure {
    label: &'static str,
    value: fn(&HistoryEntry) -> Option<f64>,
    show: fn(f64) -> String,
    change: fn(f64) -> String,
    /// Words for "grew" and "shrank".
    up: &'static str,
    down: &'static str,
}

/// A figure in bytes, which grows and shrinks.
const fn bytes(label: &'static str, value: fn(&HistoryEntry) -> Option<f64>) -> Figure {
    Figure {
        label,
        value,
        show: |v| format_size(v as u64),
        change: |v| format_delta(v as i128),
        up: "grew",
        down: "shrank",
    }
}

fn ms(v: f64) -> String {
    format!("{v:.0} ms")
}

fn ms_delta(v: f64) -> String {
    format!("{v:+.0} ms")
}

fn usd(v: f64) -> String {
    format!("${v:.2}")
}

fn usd_delta(v: f64) -> String {
    if v < 0.0 {
        format!("-${:.2}", -v)
    } else {
        format!("+${v:.2}")
    }
}

const FIGURES: &[Figure] = &[
    bytes("image size", |e| e.size_bytes.map(|b| b as f64)),
    bytes("compressed", |e| e.compressed_bytes.map(|b| b as f64)),
    Figure {
        label: "packages",
        value: |e| e.packages.map(|n| n as f64),
        show: |v| format!("{v:.0}"),
        change: |v| format!("{v:+.0}"),
        up: "gained",
        down: "lost",
    },
    Figure {
        label: "p95",
        value: |e| e.p95_ms,
        show: ms,
        change: ms_delta,
        up: "rose",
        down: "fell",
    },
    Figure {
        label: "init duration",
        value: |e| e.init_ms,
        show: ms,
        change: ms_delta,
        up: "rose",
        down: "fell",
    },
    Figure {
        label: "cost per 1M",
        value: |e| e.cost_per_million_usd,
        show: usd,
        change: usd_delta,
        up: "rose",
        down: "fell",
    },
];

/// "in 30 days" from the first and last lines' times; "over 12 builds" when a time does not
/// parse or the span is under a day.
fn span(first: &HistoryEntry, last: &HistoryEntry, builds: usize) -> String {
    let parse = |t: &str| OffsetDateTime::parse(t, &Rfc3339).ok();
    match (parse(&first.time), parse(&last.time)) {
        (Some(a), Some(b)) if (b - a).whole_days() >= 1 => {
            let d = (b - a).whole_days();
            format!("in {d} day{}", if d == 1 { "" } else { "s" })
        }
        _ => format!("over {builds} builds"),
    }
}

/// A row per figure the history has at least one value of.
pub fn rows(h: &History) -> Vec<Row> {
    FIGURES
        .iter()
        .filter_map(|f| {
            let points: Vec<(&HistoryEntry, f64)> = h
                .entries
                .iter()
                .filter_map(|e| (f.value)(e).filter(|v| v.is_finite()).map(|v| (e, v)))
                .collect();
            let (first, last) = (points.first()?, points.last()?);
            let values: Vec<f64> = points.iter().map(|(_, v)| *v).collect();
            let diff = last.1 - first.1;
            let when = span(first.0, last.0, points.len());
            let summary = if points.len() < 2 {
                "one build so far".to_string()
            } else if (f.show)(last.1) == (f.show)(first.1) {
                format!("main held at {} {when}", (f.show)(last.1))
            } else {
                let word = if diff > 0.0 { f.up } else { f.down };
                format!("main {word} {} {when}", (f.change)(diff))
            };
            Some(Row {
                label: f.label,
                spark: sparkline(&values),
                now: (f.show)(last.1),
                summary,
            })
        })
        .collect()
}

/// The comment's section; `None` without `--history` or when no line has a figure.
pub fn markdown(r: &Report) -> Option<String> {
    let h = r.history.as_ref()?;
    let rows = rows(h);
    if rows.is_empty() {
        return None;
    }
    let mut s = format!(
        "#### Trend on main (last {})\n\n| | trend | last | |\n|---|---|---|---|\n",
        builds(h.entries.len())
    );
    for row in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            row.label, row.spark, row.now, row.summary
        );
    }
    Some(s)
}

fn builds(n: usize) -> String {
    if n == 1 {
        "build".into()
    } else {
        format!("{n} builds")
    }
}

/// The HTML report's section; empty without `--history`.
pub fn html(r: &Report) -> Markup {
    let Some(h) = r.history.as_ref() else {
        return html! {};
    };
    let rows = rows(h);
    if rows.is_empty() {
        return html! {};
    }
    html! {
        section #trend {
            h2 { "Trend on main" }
            p.meta { "The last " (builds(h.entries.len())) " of " code { (h.source) } }
            table.kv { tbody {
                @for row in &rows {
                    tr {
                        th { (row.label) }
                        td.spark { (row.spark) }
                        td { (row.now) }
                        td { (row.summary) }
                    }
                }
            } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_of_a_known_series() {
        assert_eq!(
            sparkline(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
            "▁▂▃▄▅▆▇█"
        );
        assert_eq!(sparkline(&[10.0, 80.0, 10.0, 45.0]), "▁█▁▅");
        assert_eq!(sparkline(&[3.0, 3.0, 3.0]), "▁▁▁");
        assert_eq!(sparkline(&[]), "");
    }

    #[test]
    fn the_summary_says_how_much_and_over_how_long() {
        let e = |day: u32, mb: u64, p95: f64| HistoryEntry {
            commit: format!("c{day}"),
            time: format!("2026-11-{day:02}T12:00:00Z"),
            size_bytes: Some(mb * 1_000_000),
            p95_ms: Some(p95),
            ..HistoryEntry::default()
        };
        let h = History {
            source: "h.jsonl".into(),
            entries: vec![e(1, 130, 60.0), e(16, 180, 55.0), e(30, 250, 40.0)],
        };
        let rows = rows(&h);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].label, "image size");
        assert_eq!(rows[0].spark, "▁▄█");
        assert_eq!(rows[0].summary, "main grew +120 MB in 29 days");
        assert_eq!(rows[1].summary, "main fell -20 ms in 29 days");
    }
}
