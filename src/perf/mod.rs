//! Performance: drive the deployed function with a bounded load and measure it.
//!
//! (Stub: the performance issue fills this module; the report schema below is the contract.)

pub mod cfg;

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
    #[serde(default)]
    pub missing_headers: std::collections::BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Latency {
    pub avg: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}
