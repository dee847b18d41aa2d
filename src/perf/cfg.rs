//! The `[perf]` table of gate.toml: what to drive, how hard, and the thresholds. Thresholds,
//! durations and statuses are read straight into their parsed types, so a bad one is an error
//! naming the file and key when gate.toml is loaded, and nothing parses them again.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::Result;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use super::response_checks::Checks;
use super::threshold::Rule;

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
    #[serde(default, deserialize_with = "duration")]
    pub duration: Option<Duration>,
    pub concurrency: Option<usize>,
    pub rate: Option<f64>,
    /// Per request, e.g. "10s".
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<Duration>,
    /// Levels (`p95 < 800ms`) and change budgets (`p95 change < +10%`).
    #[serde(default)]
    pub thresholds: Vec<Rule>,
    #[serde(default)]
    pub required_headers: Vec<String>,
    pub cold_start_header: Option<String>,
    /// e.g. "200-299,304".
    #[serde(default, deserialize_with = "statuses")]
    pub success_statuses: Option<BTreeSet<u16>>,
    /// Open model: most requests in flight at once (default 1000).
    pub max_in_flight: Option<usize>,
    /// Distributed runs: how late a shard may start after `--start-at`, e.g. "10s".
    #[serde(default, deserialize_with = "duration")]
    pub max_start_skew: Option<Duration>,
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(d)?;
    parse_duration(&text).map(Some).map_err(D::Error::custom)
}

fn statuses<'de, D: Deserializer<'de>>(d: D) -> Result<Option<BTreeSet<u16>>, D::Error> {
    let text = String::deserialize(d)?;
    Checks::parse_statuses(&text)
        .map(Some)
        .map_err(D::Error::custom)
}

/// `500ms`, `10s`, `2m`, or a number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration> {
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
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<PerfConfig, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn values_arrive_parsed() {
        let c = read(
            "thresholds = [\"p95 < 1s\"]\ntimeout = \"500ms\"\nsuccess_statuses = \"200,304\"\n",
        )
        .unwrap();
        assert!(matches!(&c.thresholds[0], Rule::Level(t) if t.value == 1000.0));
        assert_eq!(c.timeout, Some(Duration::from_millis(500)));
        assert_eq!(c.success_statuses, Some(BTreeSet::from([200, 304])));
    }

    #[test]
    fn a_bad_value_is_an_error_at_read() {
        let e = read("thresholds = [\"p96x < 1\"]").unwrap_err().to_string();
        assert!(e.contains("unknown metric \"p96x\""), "{e}");
        let e = read("duration = \"soon\"").unwrap_err().to_string();
        assert!(e.contains("duration \"soon\""), "{e}");
        let e = read("success_statuses = \"2xx\"").unwrap_err().to_string();
        assert!(e.contains("\"2xx\""), "{e}");
    }
}
