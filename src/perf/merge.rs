//! `gate perf merge`: shard results back into one report, from their histograms, held to the
//! thresholds of the whole run. The CLI reads the files; this adds them up.

use std::time::Duration;

use anyhow::{anyhow, Result};

use crate::image::arch::Arch;
use crate::model::perf::{ComparisonKind, LoadModel, PerfReport};
use crate::model::Report;

use super::cfg::{parse_duration, PerfConfig};
use super::compare;
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
    let measured: Vec<&PerfReport> = inputs
        .iter()
        .map(|i| &i.perf)
        .filter(|p| p.failed.is_none())
        .collect();
    let f = measured.first().copied().unwrap_or(&first.perf);
    let (mut p, total) = merge_side(inputs, expect, max_skew, f, Some)?;
    let (thresholds, budgets) = threshold::resolve_rules(&c.thresholds, &a.thresholds)?;
    // A/B shards: the reference side merged as exactly as this one, then compared again.
    if let Some(fc) = f.compare.as_deref() {
        let reference = match fc.kind {
            ComparisonKind::Interleaved => {
                merge_side(inputs, expect, max_skew, &fc.reference, |p| {
                    p.compare.as_deref().map(|c| &c.reference)
                })?
                .0
            }
            // The same stored report in every shard: taken once.
            ComparisonKind::Baseline => fc.reference.clone(),
        };
        let ref_samples = compare::reservoir_of(&reference, fc.seed)
            .map_err(|e| anyhow!("the merged reference: {e}"))?;
        let setup = compare::Setup {
            kind: fc.kind,
            name: &fc.name,
            seed: fc.seed,
            // The shard files are read as given: the count is bounded.
            resamples: (fc.resamples as usize).clamp(1, 10 * super::bootstrap::RESAMPLES),
            arch: Arch::X86_64,
            budgets: &budgets,
        };
        p.compare = Some(Box::new(compare::compare(
            &p,
            &total.samples,
            &reference,
            &ref_samples,
            &setup,
        )));
    }
    let required: Vec<String> = c
        .required_headers
        .iter()
        .chain(&a.required_headers)
        .cloned()
        .collect();
    let mut checks = super::checks(&p, &total, &thresholds, &required);
    checks.extend(compare::checks(p.compare.as_deref(), &budgets));
    if expect.is_some() {
        checks.extend(shard::checks(&p.shards, max_skew));
    }
    Ok(Report {
        perf: Some(p),
        checks,
        ..Report::default()
    }
    .finalize())
}

/// One side of the shards merged: `side` picks it from each shard's result (the shard's own
/// figures, or its comparison's reference). `f`: the first measured shard's side.
fn merge_side<'a>(
    inputs: &'a [Input],
    expect: Option<u64>,
    max_skew: Duration,
    f: &PerfReport,
    side: impl Fn(&'a PerfReport) -> Option<&'a PerfReport>,
) -> Result<(PerfReport, Stats)> {
    let mut total = Stats::default();
    let mut sides = Vec::new();
    for i in inputs {
        // A shard that could not start has no reference side: it stands for itself.
        let s = match side(&i.perf) {
            Some(s) => s,
            None if i.perf.failed.is_some() => &i.perf,
            None => anyhow::bail!(
                "{}: not an A/B result, unlike the others: not shards of one run",
                i.file
            ),
        };
        let st = super::stats_of(s).map_err(|e| anyhow!("{}: {e}", i.file))?;
        total.merge(&st)?;
        sides.push(Input {
            file: i.file.clone(),
            perf: s.clone(),
        });
    }
    let measured: Vec<&PerfReport> = sides
        .iter()
        .map(|i| &i.perf)
        .filter(|p| p.failed.is_none())
        .collect();
    let requested_rate = match f.plan.as_ref() {
        Some(pl) => pl.rate,
        None => f.requested_rate.map(|r| r * sides.len() as f64),
    };
    // Shard results do not carry the architecture: priced as x86_64 (`gate check --function`
    // prices again at the function's).
    let mut p = super::summarize(
        &total,
        &f.target,
        f.mode,
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
    p.dropped = sides.iter().map(|i| i.perf.dropped).sum();
    p.max_in_flight = f.plan.as_ref().and_then(|pl| pl.max_in_flight);
    p.interrupted = sides.iter().any(|i| i.perf.interrupted);
    p.deadline_hit = sides.iter().any(|i| i.perf.deadline_hit);
    p.kept_up = (p.model == Some(LoadModel::Open))
        .then(|| measured.iter().all(|m| m.kept_up != Some(false)));
    p.plan = f.plan.clone();
    p.start_at = f.start_at.clone();
    p.shard = Some(format!("merged {} shards", sides.len()));
    if let Some(n) = expect {
        p.shards = shard::rows(&sides, n, max_skew);
        let ok = p
            .shards
            .iter()
            .filter(|r| r.status != shard::ShardStatus::Missing)
            .count();
        p.shard = Some(format!("merged {ok} of {n} shards"));
    }
    Ok((p, total))
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
