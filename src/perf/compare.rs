//! This run (A) against a reference (B): the table of every statistic both measured — A, B,
//! the relative change and its 95% interval (bootstrap.rs) — and the checks of the regression
//! budgets (budget.rs). Point values are the report's own (percentiles from the full HDR
//! histograms, counts over every request); only the intervals come from the bounded samples.

use anyhow::{anyhow, Result};
use strum::IntoEnumIterator;

use crate::image::arch::Arch;
use crate::model::perf::{BudgetVerdict, Comparison, ComparisonKind, MetricChange, PerfReport};
use crate::model::{Check, CheckName, Status, Unit};

use super::bootstrap::{self, Side, Stat, StatUnit};
use super::budget::{Budget, Verdict};
use super::samples::Reservoir;

/// The figure the report itself gives for a statistic (None: not measured).
fn point(p: &PerfReport, s: Stat) -> Option<f64> {
    let l = &p.latency_ms;
    let measured = p.requests > 0;
    match s {
        Stat::P50 => measured.then_some(l.p50),
        Stat::P90 => measured.then_some(l.p90),
        Stat::P95 => measured.then_some(l.p95),
        Stat::P99 => measured.then_some(l.p99),
        Stat::Mean => measured.then_some(l.avg),
        Stat::SuccessRate => measured.then_some(p.success_rate),
        Stat::ColdStartRate => measured.then_some(p.cold_start_rate),
        Stat::InitDuration => p.init_ms.as_ref().map(|i| i.avg),
        Stat::BilledDuration => p.billed_avg_ms,
        Stat::CostPerMillion => p.cost_per_million_usd,
    }
}

/// The samples a report keeps (refused when malformed; an error when it kept none).
pub fn reservoir_of(p: &PerfReport, seed: u64) -> Result<Reservoir> {
    let s = p.samples.as_ref().ok_or_else(|| {
        anyhow!(
            "the report keeps no per-request samples (written by a gate before 0.x's comparisons?)"
        )
    })?;
    Reservoir::from_model(s, seed)
}

fn unit_name(u: StatUnit) -> &'static str {
    match u {
        StatUnit::Ms => "ms",
        StatUnit::Ratio => "ratio",
        StatUnit::Usd => "usd",
    }
}

/// What a comparison needs besides the two sides.
pub struct Setup<'a> {
    pub kind: ComparisonKind,
    pub name: &'a str,
    pub seed: u64,
    pub resamples: usize,
    pub arch: Arch,
    pub budgets: &'a [Budget],
}

/// A against B, every statistic both measured, with the budgets' verdicts filled in.
pub fn compare(
    a: &PerfReport,
    a_samples: &Reservoir,
    b: &PerfReport,
    b_samples: &Reservoir,
    s: &Setup,
) -> Comparison {
    let price = |p: &PerfReport| p.memory_size_mb.map(|m| (m, s.arch));
    let sa = Side::new(a_samples.items(), price(a));
    let sb = Side::new(b_samples.items(), price(b));
    let intervals = bootstrap::intervals(&sa, &sb, s.seed, s.resamples);
    let n = a.requests + b.requests;
    let mut metrics = Vec::new();
    for stat in Stat::iter() {
        let (Some(va), Some(vb)) = (point(a, stat), point(b, stat)) else {
            continue;
        };
        let i = intervals.get(&stat);
        let mut m = MetricChange {
            metric: stat.name().into(),
            unit: unit_name(stat.unit()).into(),
            a: va,
            b: vb,
            change: (vb > 0.0).then(|| va / vb - 1.0),
            change_ci: i.and_then(|i| i.rel).map(|(l, h)| [l, h]),
            diff: va - vb,
            diff_ci: i.map(|i| [i.abs.0, i.abs.1]),
            ..MetricChange::default()
        };
        if let Some(budget) = s.budgets.iter().find(|b| b.stat == stat) {
            let ci = if budget.relative {
                m.change_ci
            } else {
                m.diff_ci
            };
            m.budget = Some(budget.to_string());
            if let Some([lo, hi]) = ci {
                let v = budget.judge((lo, hi), n);
                m.verdict = Some(v.kind());
                if let Verdict::Inconclusive { more } = v {
                    m.more_requests = more;
                }
            }
        }
        metrics.push(m);
    }
    Comparison {
        kind: s.kind,
        name: s.name.to_string(),
        seed: s.seed,
        resamples: s.resamples as u64,
        confidence: bootstrap::CONFIDENCE,
        method: format!(
            "percentile bootstrap, {} resamples of up to {} requests per side (uniform reservoir), seed {}; point values from the full HDR histograms",
            s.resamples,
            super::samples::CAP,
            s.seed
        ),
        reference: b.clone(),
        metrics,
    }
}

/// One check per budget, named `perf-change-<metric>`: pass, fail, or a warning when the
/// interval straddles the budget, when the metric was not measured, or when nothing was
/// compared.
pub fn checks(c: Option<&Comparison>, budgets: &[Budget]) -> Vec<Check> {
    budgets
        .iter()
        .map(|b| {
            let name = CheckName::PerfChange(b.stat.name().to_string());
            let unit = Some(if b.relative {
                Unit::Ratio
            } else {
                match b.stat.unit() {
                    StatUnit::Ms => Unit::Ms,
                    StatUnit::Ratio => Unit::Ratio,
                    StatUnit::Usd => Unit::Count,
                }
            });
            let warn = |detail: String| Check {
                name: name.clone(),
                limit: b.to_string().into(),
                actual: serde_json::Value::Null,
                status: Status::Warn,
                unit,
                detail: Some(detail),
            };
            let Some(c) = c else {
                return warn(
                    "nothing to compare with: give --compare-url, --compare-qualifier or --baseline"
                        .into(),
                );
            };
            let Some(m) = c.metrics.iter().find(|m| m.metric == b.stat.name()) else {
                return warn(format!("{} is not measured on both sides", b.stat.name()));
            };
            let (actual, ci) = if b.relative {
                (m.change, m.change_ci)
            } else {
                (Some(m.diff), m.diff_ci)
            };
            let Some([lo, hi]) = ci else {
                return warn(format!("no interval for {}", b.stat.name()));
            };
            let shown = format!(
                "{} {}, 95% CI {}…{}",
                c.kind.as_str(),
                c.name,
                show(b, lo),
                show(b, hi)
            );
            let (status, detail) = match m.verdict {
                Some(BudgetVerdict::Pass) => (Status::Pass, None),
                Some(BudgetVerdict::Fail) => (
                    Status::Fail,
                    Some(format!(
                        "budget {b}: the whole interval is past it (vs {shown})"
                    )),
                ),
                _ => (
                    Status::Warn,
                    Some(match m.more_requests {
                        Some(more) => {
                            format!("inconclusive: need about {more} more requests (vs {shown})")
                        }
                        None => format!("inconclusive: the change sits at the budget, more requests will not settle it (vs {shown})"),
                    }),
                ),
            };
            Check {
                name,
                limit: b.to_string().into(),
                actual: actual.map_or(serde_json::Value::Null, |v| {
                    serde_json::json!((v * 10000.0).round() / 10000.0)
                }),
                status,
                unit,
                detail,
            }
        })
        .collect()
}

/// A bound of an interval in the budget's terms.
fn show(b: &Budget, v: f64) -> String {
    if b.relative {
        return format!("{:+.1}%", v * 100.0);
    }
    match b.stat.unit() {
        StatUnit::Ms => format!("{v:+.1} ms"),
        StatUnit::Ratio => format!("{:+.2} pp", v * 100.0),
        StatUnit::Usd => format!("{v:+.4} USD"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::perf::Mode;
    use crate::perf::stats::{Sample, Stats};

    fn side(ms: impl Iterator<Item = u64>) -> (PerfReport, Reservoir) {
        let mut st = Stats::default();
        for l in ms {
            st.record(&Sample {
                latency_us: l * 1000,
                success: true,
                status: Some(200),
                ..Default::default()
            });
        }
        let p = crate::perf::summarize(&st, "t", Some(Mode::Url), None, None, Arch::X86_64);
        (p, st.samples.clone())
    }

    fn setup<'a>(budgets: &'a [Budget]) -> Setup<'a> {
        Setup {
            kind: ComparisonKind::Interleaved,
            name: "main",
            seed: 1,
            resamples: 300,
            arch: Arch::X86_64,
            budgets,
        }
    }

    #[test]
    fn a_slower_build_fails_its_budget_and_a_same_one_passes() {
        let (a, ra) = side((0..1000).map(|i| 24 + i % 5));
        let (b, rb) = side((0..1000).map(|i| 20 + i % 5));
        let budgets = [
            Budget::parse("p95 change < +10%").unwrap(),
            Budget::parse("p50 change < +50%").unwrap(),
            Budget::parse("init_duration change < +100ms").unwrap(),
        ];
        let c = compare(&a, &ra, &b, &rb, &setup(&budgets));
        let p95 = c.metrics.iter().find(|m| m.metric == "p95").unwrap();
        // From the HDR histograms (3 significant digits).
        assert!(
            (p95.a - 28.0).abs() < 0.05 && (p95.b - 24.0).abs() < 0.05,
            "{p95:?}"
        );
        assert_eq!(p95.verdict, Some(BudgetVerdict::Fail));
        let checks = checks(Some(&c), &budgets);
        let status: Vec<Status> = checks.iter().map(|c| c.status).collect();
        assert_eq!(status, [Status::Fail, Status::Pass, Status::Warn]);
        assert!(checks[2]
            .detail
            .as_deref()
            .unwrap()
            .contains("not measured"));
        let none = super::checks(None, &budgets[..1]);
        assert_eq!(none[0].status, Status::Warn);
        assert!(!c.method.is_empty() && c.seed == 1);
    }
}
