//! Small SVG charts for the HTML report, drawn from figures the gate computed itself.

use maud::{html, Markup};

use super::num;
use crate::model::perf::{Latency, PerfReport};

const W: f64 = 640.0;
const LABEL: f64 = 70.0;
const ROW: f64 = 22.0;

/// Latency percentiles as horizontal bars (and the cold starts' init durations when the
/// Lambda REPORT lines gave them). A log scale when the tail is far from the median, so
/// p50 stays visible beside a 100× max.
pub fn latency(p: &PerfReport) -> Markup {
    let mut rows: Vec<(&str, f64, &str)> = series(&p.latency_ms, "lat");
    if let Some(init) = &p.init_ms {
        rows.extend(
            series(init, "init")
                .into_iter()
                .map(|(n, v, _)| (n, v, "init")),
        );
    }
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    if max <= 0.0 {
        return html! {};
    }
    let min_pos = rows
        .iter()
        .map(|r| r.1)
        .filter(|v| *v > 0.0)
        .fold(f64::MAX, f64::min);
    let log = max / min_pos > 20.0;
    let (lo, hi) = if log {
        (min_pos.log10().floor(), max.log10().ceil())
    } else {
        (0.0, max)
    };
    let span = W - LABEL - 70.0;
    let scale = |v: f64| -> f64 {
        if log {
            if v <= 0.0 {
                0.0
            } else {
                ((v.log10() - lo) / (hi - lo)).clamp(0.0, 1.0) * span
            }
        } else {
            v / hi * span
        }
    };
    let h = ROW * rows.len() as f64 + 24.0;
    html! {
        figure.chart {
            svg #latency xmlns="http://www.w3.org/2000/svg" role="img" viewBox=(format!("0 0 {W} {}", num(h))) {
                @for (i, (name, v, class)) in rows.iter().enumerate() {
                    @let y = i as f64 * ROW;
                    text x="0" y=(num(y + 15.0)) {
                        @if *class == "init" { "init " } (name)
                    }
                    rect class=(format!("bar-{class}")) x=(num(LABEL)) y=(num(y + 3.0)) width=(num(scale(*v).max(1.0))) height=(num(ROW - 6.0)) {
                        title { (name) " " (format!("{v:.2}")) " ms" }
                    }
                    text x=(num(LABEL + scale(*v).max(1.0) + 4.0)) y=(num(y + 15.0)) { (format!("{v:.1} ms")) }
                }
                text.axis x=(num(LABEL)) y=(num(h - 4.0)) {
                    @if log { "log scale, " (format!("{}", 10f64.powf(lo))) " to " (format!("{}", 10f64.powf(hi))) " ms" }
                    @else { "0 to " (format!("{hi:.1}")) " ms" }
                }
            }
            figcaption { "Latency percentiles" @if p.init_ms.is_some() { " and cold-start init durations" } }
        }
    }
}

fn series(l: &Latency, class: &'static str) -> Vec<(&'static str, f64, &'static str)> {
    vec![
        ("min", l.min, class),
        ("p50", l.p50, class),
        ("avg", l.avg, class),
        ("p90", l.p90, class),
        ("p95", l.p95, class),
        ("p99", l.p99, class),
        ("max", l.max, class),
    ]
}
