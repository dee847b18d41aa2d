//! The `perf` part of the report: what a load run measured, as the JSON carries it. Filled by
//! `perf`, read by the renderers and by `perf merge`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The `perf` part of the report (DESIGN.md: requests, success_rate, latency_ms{avg,p50,p90,
/// p95,p99,max}, cold_starts, cold_start_rate, missing_headers).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PerfReport {
    pub requests: u64,
    pub success_rate: f64,
    pub latency_ms: Latency,
    pub cold_starts: u64,
    pub cold_start_rate: f64,
    /// Responses missing each required header.
    #[serde(default)]
    pub missing_headers: BTreeMap<String, u64>,
    #[serde(default)]
    pub target: String,
    /// None (written "") when nothing ran: a shard that could not start.
    #[serde(default, with = "super::empty_is_none")]
    pub mode: Option<Mode>,
    /// None (written "") when nothing ran, as `mode`.
    #[serde(default, with = "super::empty_is_none")]
    pub model: Option<LoadModel>,
    #[serde(default)]
    pub duration_s: f64,
    #[serde(default)]
    pub rps: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_rate: Option<f64>,
    /// Open model: whether the client kept to its schedule (fell behind by < 100 ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_up: Option<bool>,
    #[serde(default)]
    pub statuses: BTreeMap<String, u64>,
    #[serde(default)]
    pub errors: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_ms: Option<Latency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billed_avg_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_size_mb: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_memory_used_mb: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_million_usd: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right_sizing: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// What interrupted it: "SIGINT" (Ctrl-C) or "SIGTERM".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deadline_hit: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Open model: requests due while the bound on requests in flight was reached, not sent
    /// (k6's `dropped_iterations`).
    #[serde(default)]
    pub dropped: u64,
    /// Open model: the bound on requests in flight, and the most there were at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_in_flight: Option<u64>,
    /// Distributed runs: the agreed start (RFC 3339), and how late this run started (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_skew_ms: Option<f64>,
    /// The machine that ran it ($RUNNER_NAME, the host name, or `--runner`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<String>,
    /// Why a shard sent nothing: it could not start (the error, as printed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
    /// What the whole distributed run was asked for, so `merge` can refuse results that do not
    /// belong together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanRecord>,
    /// After `gate perf merge`: one row per expected shard.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<ShardRow>,
    /// The latency histogram (µs, HdrHistogram V2, base64), so shards merge exactly.
    #[serde(default)]
    pub histogram: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub init_histogram: String,
    /// Kept for merging: successes and billed totals.
    #[serde(default)]
    pub successes: u64,
    #[serde(default)]
    pub billed_ms_sum: f64,
    #[serde(default)]
    pub billed_count: u64,
    /// The requests a comparison resamples (bounded: src/perf/samples.rs), so a later run can
    /// use this report as its `--baseline`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<Samples>,
    /// This run against a reference (`--compare-url`, `--compare-qualifier`, `--baseline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare: Option<Box<Comparison>>,
}

/// A bounded uniform sample of the requests (at most 20k), as parallel columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Samples {
    /// Requests the sample was drawn from.
    pub seen: u64,
    pub latency_us: Vec<u32>,
    /// Positions (in `latency_us`) of the requests that failed.
    #[serde(default)]
    pub failed: Vec<u32>,
    /// Positions of the cold starts.
    #[serde(default)]
    pub cold: Vec<u32>,
    /// Empty, or one per request (0: none reported).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub init_us: Vec<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub billed_us: Vec<u32>,
}

/// "interleaved": both targets driven in one run, each request sent to one of them in a
/// seeded random order; "baseline": against a report stored earlier (`--baseline`), which
/// ran at another time and is noisier.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum ComparisonKind {
    #[default]
    Interleaved,
    Baseline,
}

impl ComparisonKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// This run (A, the report's own figures) against a reference (B).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Comparison {
    pub kind: ComparisonKind,
    /// What the reference is called in the comment ("main" unless `--compare-name`).
    pub name: String,
    /// Seeds the A/B order, the reservoirs and the bootstrap: `--seed` repeats the run.
    pub seed: u64,
    /// Bootstrap rounds, and the intervals' coverage.
    pub resamples: u64,
    pub confidence: f64,
    /// How the intervals were made, in a sentence.
    pub method: String,
    /// The reference's own figures, as a perf section (its histogram and samples included).
    pub reference: PerfReport,
    pub metrics: Vec<MetricChange>,
}

/// One statistic, A against B.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricChange {
    /// p50, p90, p95, p99, mean, success_rate, cold_start_rate, init_duration,
    /// billed_duration, cost_per_million.
    pub metric: String,
    /// "ms", "ratio" or "usd".
    pub unit: String,
    pub a: f64,
    pub b: f64,
    /// A/B − 1 (None when B is 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<f64>,
    /// 95% interval of A/B − 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_ci: Option<[f64; 2]>,
    /// A − B, in `unit`.
    pub diff: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff_ci: Option<[f64; 2]>,
    /// The budget this metric was held to (`p95 change < +10%`), and how it went.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<BudgetVerdict>,
    /// Inconclusive: about how many more requests would settle it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more_requests: Option<u64>,
}

/// How a metric went against its budget: within it, past it, or not settled by the requests
/// there were (src/perf/budget.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetVerdict {
    Pass,
    Fail,
    Inconclusive,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Latency {
    pub avg: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    #[serde(default)]
    pub min: f64,
}

/// What the whole distributed run was asked for (totals, before the split). Shards that
/// disagree on any of it were not started by one command and are not merged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRecord {
    pub shards: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    pub concurrency: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    pub timeout_s: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u64>,
    #[serde(default)]
    pub method: String,
}

/// One shard in the merged report.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ShardRow {
    /// "2/4"
    pub shard: String,
    pub status: ShardStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub requests: u64,
    pub rps: f64,
    #[serde(default)]
    pub errors: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_skew_ms: Option<f64>,
    #[serde(default)]
    pub dropped: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// How one shard of a distributed run went: started on time and sent its share, started late,
/// failed (could not start, or sent nothing it was due to send), or left no result.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum ShardStatus {
    Ok,
    Late,
    Failed,
    /// Also a row's default: nothing known of the shard.
    #[default]
    Missing,
}

/// How the load was shaped: "closed" (N requests over C connections) or "open" (a fixed rate,
/// whatever the latency).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum LoadModel {
    Closed,
    Open,
}

impl LoadModel {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What the load was sent to: "url" (HTTP requests to a URL) or "invoke" (Lambda's Invoke
/// API, the function named by `--function`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Mode {
    Url,
    Invoke,
}

impl PerfReport {
    /// The load model's name as the report writes it ("" when nothing ran).
    pub fn model_name(&self) -> &'static str {
        self.model.map_or("", LoadModel::as_str)
    }

    /// The mode's name as the report writes it ("" when nothing ran).
    pub fn mode_name(&self) -> &'static str {
        self.mode.map_or("", Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The renderers print `as_str` where the JSON has serde's name: one spelling.
    #[test]
    fn names_are_the_json_names() {
        use strum::IntoEnumIterator;
        for m in Mode::iter() {
            assert_eq!(serde_json::to_value(m).unwrap(), <&str>::from(m));
        }
        for m in LoadModel::iter() {
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        for k in ComparisonKind::iter() {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        for s in ShardStatus::iter() {
            assert_eq!(serde_json::to_value(s).unwrap(), <&str>::from(s));
        }
    }
}
