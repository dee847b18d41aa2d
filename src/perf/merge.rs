//! `gate perf merge`: shard results back into one report, from their histograms, held to the
//! thresholds of the whole run. The CLI reads the files; this adds them up.

use std::time::Duration;

use anyhow::{anyhow, Result};

use crate::image::arch::Arch;
use crate::model::perf::{LoadModel, PerfReport};
use crate::model::Report;

use super::cfg::{parse_duration, PerfConfig};
use super::shard::{self, Input};
use super::stats::Stats;
use super::threshold;

/// The merge's flags as given on the command line, unparsed.
#[derive(Debug, Default, Clone)]
pub struct Args {
    pub thresholds: Vec<String>,
    pub required_headers: Vec<String>,
}

/// How late a shard may start: the flag, else `[perf] max_start_skew`, else the default.
pub fn max_skew(flag: Option<&str>, c: &PerfConfig) -> Result<Duration> {
    match flag {
        Some(d) => parse_duration(d).map_err(|e| anyhow!("--max-start-skew: {e}")),
        None => Ok(c.max_start_skew.unwrap_or(shard::DEFAULT_MAX_SKEW)),
    }
}

/// One report from the shards' results (at least one); `max_skew` from `max_skew`, resolved
/// before the files are read so a bad flag is the error the user sees first.
pub fn merge(inputs: &[Input], max_skew: Duration, a: &Args, c: &PerfConfig) -> Result<Report> {
    let first = inputs
        .first()
        .ok_or_else(|| anyhow!("no shard results to merge"))?;
    let expect = shard::compatible(inputs)?;
    let mut total = Stats::default();
    for i in inputs {
        let s = super::stats_of(&i.perf).map_err(|e| anyhow!("{}: {e}", i.file))?;
        total.merge(&s)?;
    }
    let measured: Vec<&PerfReport> = inputs
        .iter()
        .map(|i| &i.perf)
        .filter(|p| p.failed.is_none())
        .collect();
    let f = measured.first().copied().unwrap_or(&first.perf);
    let requested_rate = match f.plan.as_ref() {
        Some(pl) => pl.rate,
        None => f.requested_rate.map(|r| r * inputs.len() as f64),
    };
    // Shard results do not carry the architecture: priced as x86_64 (`gate check --function`
    // prices again at the function's).
    let mut p = super::summarize(
        &total,
        &f.target,
        &f.mode,
        None,
        requested_rate,
        Arch::X86_64,
    );
    p.model = f.model;
    let duration = shard::span_s(&measured);
    p.duration_s = duration;
    p.rps = if duration > 0.0 {
        total.requests as f64 / duration
    } else {
        0.0
    };
    p.dropped = inputs.iter().map(|i| i.perf.dropped).sum();
    p.max_in_flight = f.plan.as_ref().and_then(|pl| pl.max_in_flight);
    p.interrupted = inputs.iter().any(|i| i.perf.interrupted);
    p.deadline_hit = inputs.iter().any(|i| i.perf.deadline_hit);
    p.kept_up = (p.model == Some(LoadModel::Open))
        .then(|| measured.iter().all(|m| m.kept_up != Some(false)));
    p.plan = f.plan.clone();
    p.start_at = f.start_at.clone();
    let mut shard_checks = Vec::new();
    p.shard = Some(format!("merged {} shards", inputs.len()));
    if let Some(n) = expect {
        p.shards = shard::rows(inputs, n, max_skew);
        shard_checks = shard::checks(&p.shards, max_skew);
        let ok = p.shards.iter().filter(|r| r.status != "missing").count();
        p.shard = Some(format!("merged {ok} of {n} shards"));
    }
    let thresholds = threshold::resolve(&c.thresholds, &a.thresholds)?;
    let required: Vec<String> = c
        .required_headers
        .iter()
        .chain(&a.required_headers)
        .cloned()
        .collect();
    let mut checks = super::checks(&p, &total, &thresholds, &required);
    checks.extend(shard_checks);
    Ok(Report {
        perf: Some(p),
        checks,
        ..Report::default()
    }
    .finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_skew_flag_wins_over_gate_toml_over_the_default() {
        let toml: PerfConfig = toml::from_str("max_start_skew = \"30s\"").unwrap();
        let none = PerfConfig::default();
        assert_eq!(max_skew(None, &none).unwrap(), shard::DEFAULT_MAX_SKEW);
        assert_eq!(max_skew(None, &toml).unwrap(), Duration::from_secs(30));
        assert_eq!(
            max_skew(Some("2m"), &toml).unwrap(),
            Duration::from_secs(120)
        );
        let e = max_skew(Some("later"), &toml).unwrap_err().to_string();
        assert!(e.starts_with("--max-start-skew: duration \"later\""), "{e}");
    }

    #[test]
    fn nothing_to_merge_is_an_error() {
        let e = merge(
            &[],
            shard::DEFAULT_MAX_SKEW,
            &Args::default(),
            &PerfConfig::default(),
        );
        assert!(e.is_err());
    }
}
