//! Performance: after a deploy, drive the function (its URL or the Lambda Invoke API) with a
//! bounded load, measure latency, success, cold starts and monitoring headers, and hold them
//! to thresholds. Results from several runners merge into one.

pub mod bootstrap;
pub mod budget;
pub mod cfg;
pub mod compare;
pub mod driver;
pub mod h1;
pub mod invoke;
pub mod merge;
pub mod metric;
pub mod plan;
pub mod pricing;
pub mod report_line;
pub mod response_checks;
pub mod samples;
pub mod shard;
pub mod stats;
pub mod target;
pub mod threshold;

use anyhow::Result;

use crate::image::arch::Arch;
use crate::model::{Check, CheckName, Status, Unit};
use stats::Stats;

pub use crate::model::perf::{Latency, LoadModel, Mode, PerfReport};
use threshold::Threshold;

fn latency(h: &hdrhistogram::Histogram<u64>) -> Latency {
    if h.is_empty() {
        return Latency::default();
    }
    let q = |x: f64| h.value_at_quantile(x) as f64 / 1000.0;
    Latency {
        avg: h.mean() / 1000.0,
        p50: q(0.5),
        p90: q(0.9),
        p95: q(0.95),
        p99: q(0.99),
        max: h.max() as f64 / 1000.0,
        min: h.min() as f64 / 1000.0,
    }
}

/// Turns what was measured into the report section.
pub fn summarize(
    stats: &Stats,
    target: &str,
    mode: Option<Mode>,
    run: Option<&driver::Run>,
    rate: Option<f64>,
    arch: Arch,
) -> PerfReport {
    let n = stats.requests.max(1) as f64;
    let elapsed = run.map(|r| r.elapsed.as_secs_f64()).unwrap_or(0.0);
    let billed_avg =
        (stats.billed_count > 0).then(|| stats.billed_ms_sum / stats.billed_count as f64);
    let memory = (stats.memory_size_mb > 0.0).then_some(stats.memory_size_mb);
    let used = (stats.max_memory_used_mb > 0.0).then_some(stats.max_memory_used_mb);
    let right_sizing = match (memory, used) {
        (Some(m), Some(u)) if u / m > 0.9 => Some(format!("memory is {:.0}% used ({u:.0} of {m:.0} MB): raise MemorySize before it runs out", u / m * 100.0)),
        (Some(m), Some(u)) if u / m < 0.3 && m > 128.0 => Some(format!("memory is {:.0}% used ({u:.0} of {m:.0} MB): a smaller MemorySize may cost less (CPU scales with memory: measure latency after)", u / m * 100.0)),
        _ => None,
    };
    PerfReport {
        requests: stats.requests,
        success_rate: stats.successes as f64 / n,
        latency_ms: latency(&stats.latency),
        cold_starts: stats.cold_starts,
        cold_start_rate: stats.cold_starts as f64 / n,
        missing_headers: stats.missing_headers.clone(),
        target: target.to_string(),
        mode,
        model: run.map(|r| r.model),
        duration_s: elapsed,
        rps: if elapsed > 0.0 {
            stats.requests as f64 / elapsed
        } else {
            0.0
        },
        requested_rate: rate,
        kept_up: run
            .filter(|r| r.model == LoadModel::Open)
            .map(|r| r.max_lag_ms < 100.0 && r.dropped == 0),
        statuses: stats.statuses.clone(),
        errors: stats.errors.clone(),
        init_ms: (!stats.init.is_empty()).then(|| latency(&stats.init)),
        billed_avg_ms: billed_avg,
        memory_size_mb: memory,
        max_memory_used_mb: used,
        cost_per_million_usd: billed_avg
            .zip(memory)
            .map(|(b, m)| pricing::per_million(b, m, arch)),
        right_sizing,
        interrupted: run.is_some_and(|r| r.interrupted),
        signal: run.and_then(|r| r.signal).map(str::to_string),
        deadline_hit: run.is_some_and(|r| r.deadline_hit),
        shard: None,
        dropped: run.map_or(0, |r| r.dropped),
        max_in_flight: None,
        peak_in_flight: run
            .filter(|r| r.model == LoadModel::Open)
            .map(|r| r.peak_in_flight),
        start_at: None,
        start_skew_ms: run.and_then(|r| r.start_skew_ms),
        runner: None,
        failed: None,
        plan: None,
        shards: Vec::new(),
        histogram: stats::encode(&stats.latency),
        init_histogram: if stats.init.is_empty() {
            String::new()
        } else {
            stats::encode(&stats.init)
        },
        successes: stats.successes,
        billed_ms_sum: stats.billed_ms_sum,
        billed_count: stats.billed_count,
        samples: Some(stats.samples.to_model()),
        compare: None,
    }
}

/// The stats a report carries, for merging shards.
pub fn stats_of(p: &PerfReport) -> Result<Stats> {
    let mut s = Stats {
        latency: stats::decode(&p.histogram)?,
        ..Stats::default()
    };
    if !p.init_histogram.is_empty() {
        s.init = stats::decode(&p.init_histogram)?;
    }
    s.requests = p.requests;
    s.successes = p.successes;
    s.cold_starts = p.cold_starts;
    s.statuses = p.statuses.clone();
    s.errors = p.errors.clone();
    s.missing_headers = p.missing_headers.clone();
    s.billed_ms_sum = p.billed_ms_sum;
    s.billed_count = p.billed_count;
    s.memory_size_mb = p.memory_size_mb.unwrap_or(0.0);
    s.max_memory_used_mb = p.max_memory_used_mb.unwrap_or(0.0);
    if let Some(samples) = &p.samples {
        s.samples = samples::Reservoir::from_model(samples, 0)?;
    }
    Ok(s)
}

/// One check per threshold, named `perf-<metric>`.
pub fn checks(
    p: &PerfReport,
    stats: &Stats,
    thresholds: &[Threshold],
    required_headers: &[String],
) -> Vec<Check> {
    let mut out = Vec::new();
    for t in thresholds {
        let unit = t.metric.kind().check_unit();
        let (actual, status, detail) = match t.metric.value(p, stats) {
            Some(v) if p.requests > 0 => {
                let ok = t.op.holds(v, t.value);
                (
                    serde_json::json!((v * 1000.0).round() / 1000.0),
                    if ok { Status::Pass } else { Status::Fail },
                    (!ok).then(|| format!("threshold {t} not met")),
                )
            }
            Some(_) => (
                serde_json::Value::Null,
                Status::Fail,
                Some("no request completed".to_string()),
            ),
            None => (
                serde_json::Value::Null,
                Status::Warn,
                Some(format!(
                    "{} is not measured in {} mode",
                    t.metric.name(),
                    p.mode_name()
                )),
            ),
        };
        out.push(Check {
            name: CheckName::Perf(t.metric.name().to_string()),
            limit: t.to_string().into(),
            actual,
            status,
            unit: Some(unit),
            detail,
        });
    }
    for h in required_headers {
        let missing = p.missing_headers.get(h).copied().unwrap_or(0);
        out.push(Check {
            name: CheckName::PerfHeader(h.to_ascii_lowercase()),
            limit: 0.into(),
            actual: missing.into(),
            status: if missing == 0 {
                Status::Pass
            } else {
                Status::Fail
            },
            unit: Some(Unit::Count),
            detail: (missing > 0)
                .then(|| format!("{missing} of {} responses lack the {h} header", p.requests)),
        });
    }
    out
}
