//! The `[perf]` table of gate.toml: what to drive, how hard, and the thresholds.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Deserialize;

use super::threshold::Threshold;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerfConfig {
    pub url: Option<String>,
    pub method: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
    pub requests: Option<u64>,
    /// e.g. "60s", "2m".
    pub duration: Option<String>,
    pub concurrency: Option<usize>,
    pub rate: Option<f64>,
    /// Per request, e.g. "10s".
    pub timeout: Option<String>,
    #[serde(default)]
    pub thresholds: Vec<String>,
    #[serde(default)]
    pub required_headers: Vec<String>,
    pub cold_start_header: Option<String>,
    /// e.g. "200-299,304".
    pub success_statuses: Option<String>,
    /// Open model: most requests in flight at once (default 1000).
    pub max_in_flight: Option<usize>,
    /// Distributed runs: how late a shard may start after `--start-at`, e.g. "10s".
    pub max_start_skew: Option<String>,
}

impl PerfConfig {
    pub fn validate(&self) -> Result<()> {
        for t in &self.thresholds {
            Threshold::parse(t).map_err(|e| anyhow::anyhow!("[perf] {e}"))?;
        }
        for d in self
            .duration
            .iter()
            .chain(self.timeout.iter())
            .chain(self.max_start_skew.iter())
        {
            parse_duration(d).map_err(|e| anyhow::anyhow!("[perf] {e}"))?;
        }
        Ok(())
    }
}

/// `500ms`, `10s`, `2m`, or a number of seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: f64 = n
        .parse()
        .map_err(|_| anyhow::anyhow!("duration {text:?}: expected e.g. 500ms, 10s, 2m"))?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        u => anyhow::bail!("duration {text:?}: unknown unit {u:?} (ms, s, m, h)"),
    };
    if !secs.is_finite() || !(0.0..=86_400.0).contains(&secs) {
        anyhow::bail!("duration {text:?}: out of range");
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}
