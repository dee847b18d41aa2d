//! Distributed runs: one load split over N runners (`--shard I/N`), started together
//! (`--start-at`), and merged back (`gate perf merge`) into the combined figures, a row per
//! shard, and checks that fail when a shard is missing, could not start, or started late.
//!
//! The combined latency figures are exact: every shard keeps its HDR histogram, and merging
//! adds bucket counts (stats.rs), so the merged percentiles are those of one histogram of
//! every sample. What a merge cannot know is left to the policy: how late a shard may start.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use anyhow::{anyhow, bail, Result};

use super::PerfReport;
pub use crate::model::perf::{PlanRecord, ShardRow, ShardStatus};
use crate::model::{Check, CheckName, FixedCheck, Status};

/// How late a shard may start, when the policy does not say (`[perf] max_start_skew`).
pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(10);

/// `--start-at` further ahead than this is refused: a shard would idle its runner for it.
const MAX_WAIT: Duration = Duration::from_secs(3600);

/// One runner's part of a distributed run: shard `index` of `of` (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub of: u64,
}

impl Shard {
    pub fn parse(s: &str) -> Result<Shard> {
        let bad = || anyhow!("--shard {s:?}: expected I/N with 1 <= I <= N, e.g. 2/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, of): (u64, u64) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || of == 0 || index > of || of > 1000 {
            return Err(bad());
        }
        Ok(Shard { index, of })
    }

    /// This shard's part of a count: the quotient, plus one for the first `total % N` shards,
    /// so the shares add up to the total (nothing dropped, no shard more than one above
    /// another).
    pub fn share(&self, total: u64) -> u64 {
        total / self.of + u64::from(self.index <= total % self.of)
    }

    /// This shard's part of a rate (requests per second: divides exactly).
    pub fn share_rate(&self, rate: f64) -> f64 {
        rate / self.of as f64
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.of)
    }
}

/// `--start-at`: RFC 3339 (`2026-12-01T18:30:00Z`) or Unix time in seconds (`1764613800`,
/// fractions allowed). A time more than an hour ahead is refused; one in the past is fine
/// (the shard starts at once and records how late it is).
pub fn parse_start_at(text: &str) -> Result<SystemTime> {
    let t = text.trim();
    let at = if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.') {
        let secs: f64 = t
            .parse()
            .map_err(|_| anyhow!("--start-at {text:?}: not a Unix time"))?;
        if !secs.is_finite() || secs > 1e11 {
            bail!("--start-at {text:?}: not a Unix time in seconds");
        }
        SystemTime::UNIX_EPOCH + Duration::from_secs_f64(secs)
    } else {
        let dt = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
            .map_err(|e| {
                anyhow!("--start-at {text:?}: expected RFC 3339 (2026-12-01T18:30:00Z) or Unix seconds ({e})")
            })?;
        let nanos = dt.unix_timestamp_nanos();
        if nanos < 0 {
            bail!("--start-at {text:?}: before 1970");
        }
        SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos as u64)
    };
    if let Ok(ahead) = at.duration_since(SystemTime::now()) {
        if ahead > MAX_WAIT {
            bail!(
                "--start-at {text:?} is {:.0} minutes ahead: expected within an hour",
                ahead.as_secs_f64() / 60.0
            );
        }
    }
    Ok(at)
}

/// A wall-clock time as RFC 3339 in UTC, to the millisecond.
pub fn rfc3339(t: SystemTime) -> String {
    let nanos = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as i128 * 1_000_000)
        .unwrap_or(0);
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Who ran a shard: `--runner`, else GitHub's `$RUNNER_NAME`, else the host name.
pub fn runner_name(flag: Option<&str>) -> String {
    let from_env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    flag.map(str::to_string)
        .or_else(|| from_env("RUNNER_NAME"))
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
        })
        .or_else(|| from_env("HOSTNAME"))
        .unwrap_or_else(|| "unknown".into())
}

/// A shard's result as `merge` read it.
pub struct Input {
    pub file: String,
    pub perf: PerfReport,
}

/// Whether the results belong to one run. Returns the shard count they expect (None: plain
/// results without `--shard`, merged as given). The error names both files.
pub fn compatible(inputs: &[Input]) -> Result<Option<u64>> {
    let Some(first) = inputs.first() else {
        return Ok(None);
    };
    let sharded = |i: &Input| i.perf.shard.as_deref().and_then(|s| Shard::parse(s).ok());
    let mut seen: BTreeMap<u64, &str> = BTreeMap::new();
    let expect = sharded(first).map(|s| s.of);
    for i in inputs {
        let differ = |what: &str, a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| {
            anyhow!(
                "{} and {}: {what} differ ({a:?} and {b:?}): not shards of one run",
                first.file,
                i.file
            )
        };
        let (a, b) = (&first.perf, &i.perf);
        match (sharded(first), sharded(i)) {
            (Some(x), Some(y)) if x.of != y.of => {
                return Err(differ("shard counts", &x.to_string(), &y.to_string()))
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(differ("--shard settings", &a.shard, &b.shard))
            }
            _ => {}
        }
        if let Some(s) = sharded(i) {
            if let Some(other) = seen.insert(s.index, &i.file) {
                bail!("{other} and {}: both are shard {s}", i.file);
            }
        }
        if a.target != b.target && !a.target.is_empty() && !b.target.is_empty() {
            return Err(differ("targets", &a.target, &b.target));
        }
        // A shard that could not start knows little more than its target and shard.
        if a.failed.is_some() || b.failed.is_some() {
            continue;
        }
        if a.mode != b.mode {
            return Err(differ("modes", &a.mode_name(), &b.mode_name()));
        }
        if a.model != b.model {
            return Err(differ("load models", &a.model_name(), &b.model_name()));
        }
        if a.plan != b.plan {
            return Err(differ("load settings", &a.plan, &b.plan));
        }
        if a.start_at != b.start_at {
            return Err(differ("--start-at times", &a.start_at, &b.start_at));
        }
    }
    Ok(expect)
}

/// One row per shard expected (those without a result are "missing").
pub fn rows(inputs: &[Input], expect: u64, max_skew: Duration) -> Vec<ShardRow> {
    let mut by_index: BTreeMap<u64, &Input> = BTreeMap::new();
    for i in inputs {
        if let Some(s) = i.perf.shard.as_deref().and_then(|s| Shard::parse(s).ok()) {
            by_index.insert(s.index, i);
        }
    }
    let bound_ms = max_skew.as_secs_f64() * 1000.0;
    (1..=expect)
        .map(|index| {
            let shard = Shard { index, of: expect };
            let Some(i) = by_index.get(&index) else {
                return ShardRow {
                    shard: shard.to_string(),
                    status: ShardStatus::Missing,
                    detail: Some("no result".into()),
                    ..Default::default()
                };
            };
            let p = &i.perf;
            let planned_none = p
                .plan
                .as_ref()
                .and_then(|pl| pl.requests)
                .is_some_and(|r| shard.share(r) == 0);
            let (status, detail) = if let Some(why) = &p.failed {
                (ShardStatus::Failed, Some(format!("could not start: {why}")))
            } else if p.requests == 0 && !planned_none {
                (ShardStatus::Failed, Some("sent no request".to_string()))
            } else if p.start_skew_ms.is_some_and(|s| s > bound_ms) {
                (
                    ShardStatus::Late,
                    Some(format!(
                        "started {:.1} s late",
                        p.start_skew_ms.unwrap_or(0.0) / 1000.0
                    )),
                )
            } else {
                (ShardStatus::Ok, None)
            };
            ShardRow {
                shard: shard.to_string(),
                status,
                runner: p.runner.clone(),
                file: Some(i.file.clone()),
                requests: p.requests,
                rps: p.rps,
                errors: p.errors.clone(),
                p95_ms: (p.requests > 0).then_some(p.latency_ms.p95),
                start_skew_ms: p.start_skew_ms,
                dropped: p.dropped,
                detail,
            }
        })
        .collect()
}

/// The checks a distributed run adds: every shard present, every shard started, and none
/// later than the bound.
pub fn checks(rows: &[ShardRow], max_skew: Duration) -> Vec<Check> {
    let named = |status: ShardStatus| -> Vec<String> {
        rows.iter()
            .filter(|r| r.status == status)
            .map(|r| r.shard.clone())
            .collect()
    };
    let count = |status: ShardStatus| {
        let (names, what): (_, &str) = (named(status), status.into());
        Check {
            name: CheckName::PerfShards(what.to_string()),
            limit: 0.into(),
            actual: names.len().into(),
            status: if names.is_empty() {
                Status::Pass
            } else {
                Status::Fail
            },
            unit: Some(crate::model::Unit::Count),
            detail: (!names.is_empty())
                .then(|| format!("shard {} of {} {what}", names.join(", "), rows.len(),)),
        }
    };
    let mut out = vec![count(ShardStatus::Missing), count(ShardStatus::Failed)];
    let skews: Vec<f64> = rows.iter().filter_map(|r| r.start_skew_ms).collect();
    if !skews.is_empty() {
        let worst = skews.iter().copied().fold(f64::MIN, f64::max);
        let bound_ms = max_skew.as_secs_f64() * 1000.0;
        let late = named(ShardStatus::Late);
        out.push(Check {
            name: FixedCheck::PerfStartSkew.into(),
            limit: serde_json::json!(bound_ms),
            actual: serde_json::json!((worst * 10.0).round() / 10.0),
            status: if late.is_empty() {
                Status::Pass
            } else {
                Status::Fail
            },
            unit: Some(crate::model::Unit::Ms),
            detail: (!late.is_empty()).then(|| format!("shard {} started late", late.join(", "))),
        });
    }
    out
}

/// The merged run's wall-clock span: from the earliest shard's start to the latest one's end
/// when every start is known (shards started late stretch it), else the longest shard.
pub fn span_s(inputs: &[&PerfReport]) -> f64 {
    let skews: Option<Vec<f64>> = inputs.iter().map(|p| p.start_skew_ms).collect();
    match skews {
        Some(s) if !s.is_empty() => {
            let first = s.iter().copied().fold(f64::MAX, f64::min) / 1000.0;
            let last = inputs
                .iter()
                .zip(&s)
                .map(|(p, k)| k / 1000.0 + p.duration_s)
                .fold(f64::MIN, f64::max);
            (last - first).max(0.0)
        }
        _ => inputs.iter().map(|p| p.duration_s).fold(0.0, f64::max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_and_differ_by_at_most_one() {
        for total in [0u64, 1, 7, 100, 1001] {
            for n in 1..=7 {
                let shares: Vec<u64> = (1..=n)
                    .map(|index| Shard { index, of: n }.share(total))
                    .collect();
                assert_eq!(shares.iter().sum::<u64>(), total, "{total} over {n}");
                let (lo, hi) = (shares.iter().min().unwrap(), shares.iter().max().unwrap());
                assert!(hi - lo <= 1, "{shares:?}");
            }
        }
    }

    #[test]
    fn start_at_reads_rfc3339_and_unix_time() {
        let unix = parse_start_at("1764613800").unwrap();
        let rfc = parse_start_at("2025-12-01T18:30:00Z").unwrap();
        assert_eq!(unix, rfc);
        assert_eq!(rfc3339(rfc), "2025-12-01T18:30:00Z");
        let offset = parse_start_at("2025-12-01T19:30:00+01:00").unwrap();
        assert_eq!(offset, rfc);
        let frac = parse_start_at("1764613800.25").unwrap();
        assert_eq!(
            frac.duration_since(unix).unwrap(),
            Duration::from_millis(250)
        );
        for bad in ["tomorrow", "2025-12-01 18:30", "", "99999999999999"] {
            let e = parse_start_at(bad).unwrap_err().to_string();
            assert!(e.starts_with("--start-at"), "{bad}: {e}");
        }
        let far = SystemTime::now() + Duration::from_secs(2 * 3600);
        let e = parse_start_at(&rfc3339(far)).unwrap_err().to_string();
        assert!(e.contains("ahead"), "{e}");
    }

    #[test]
    fn bad_shards_are_refused() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 2, of: 4 });
        for bad in ["0/4", "5/4", "1/0", "x/2", "3", "1/100000"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }
}
