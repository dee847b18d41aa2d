//! Checks: one budget or threshold held against one measured figure.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::Verdict;

/// One budget or threshold held against one measured figure.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    /// Stable name, e.g. `max-size`, `layer-digest`, `security-fail-on`, `perf-p95`.
    pub name: CheckName,
    /// The limit as configured: a number in `unit`, or a string for non-numeric checks.
    pub limit: Value,
    /// The measured value, in the same unit as `limit`.
    pub actual: Value,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    /// One line for people: what was compared and what to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A check's stable name, typed; in the JSON the string it displays as (`max-size`,
/// `perf-p95`), never renamed. Adding a check with one spelling is a variant of
/// [`FixedCheck`]; a family whose names carry data (a metric, a header) is a variant here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CheckName {
    Fixed(FixedCheck),
    /// A `[perf]` threshold on one metric: `perf-<metric>` (`perf-p95`, `perf-error_rate`).
    Perf(String),
    /// A header every response must carry: `perf-header-<name>`.
    PerfHeader(String),
    /// A regression budget against the reference run: `perf-change-<metric>`.
    PerfChange(String),
    /// The shards of a merged run in one state: `perf-shards-<state>`.
    PerfShards(String),
    /// One of dive's CI rules: `dive-<rule>`.
    Dive(String),
    /// A name this version does not know (a newer gate's report, read as a baseline): kept
    /// as written rather than refusing the report.
    Other(String),
}

/// The check names spelled one way.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, strum::Display, strum::EnumString, strum::IntoStaticStr,
)]
#[strum(serialize_all = "kebab-case")]
pub enum FixedCheck {
    MaxSize,
    MaxCompressed,
    MaxWasted,
    MinEfficiency,
    MaxLayers,
    MaxSizeIncrease,
    MaxCompressedIncrease,
    LambdaSizeLimit,
    LayerDigest,
    LayerDiffId,
    LayerSize,
    LayerDigests,
    SecurityFailOn,
    SecuritySecrets,
    RustsecAudit,
    PerfColdStartsProvisioned,
    PerfShardStarted,
    PerfStartSkew,
}

impl CheckName {
    /// The families whose names are a prefix and a part, longest prefix first, so that
    /// `perf-change-p95` is not the threshold `perf-` on a metric `change-p95`.
    const PREFIXED: [fn(String) -> CheckName; 5] = [
        CheckName::PerfHeader,
        CheckName::PerfChange,
        CheckName::PerfShards,
        CheckName::Dive,
        CheckName::Perf,
    ];

    /// The name as its prefix and the part after it (a fixed name is all prefix).
    fn parts(&self) -> (&'static str, &str) {
        match self {
            CheckName::Fixed(f) => (f.into(), ""),
            CheckName::Perf(m) => ("perf-", m),
            CheckName::PerfHeader(h) => ("perf-header-", h),
            CheckName::PerfChange(m) => ("perf-change-", m),
            CheckName::PerfShards(s) => ("perf-shards-", s),
            CheckName::Dive(r) => ("dive-", r),
            CheckName::Other(n) => ("", n),
        }
    }

    /// The checks of the perf job (its thresholds, budgets, shards and start), which a perf
    /// report brings into `gate check`'s.
    pub fn is_perf(&self) -> bool {
        match self {
            CheckName::Fixed(f) => matches!(
                f,
                FixedCheck::PerfColdStartsProvisioned
                    | FixedCheck::PerfShardStarted
                    | FixedCheck::PerfStartSkew
            ),
            CheckName::Perf(_)
            | CheckName::PerfHeader(_)
            | CheckName::PerfChange(_)
            | CheckName::PerfShards(_) => true,
            CheckName::Dive(_) => false,
            CheckName::Other(n) => n.starts_with("perf-"),
        }
    }
}

impl From<FixedCheck> for CheckName {
    fn from(f: FixedCheck) -> CheckName {
        CheckName::Fixed(f)
    }
}

impl fmt::Display for CheckName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (prefix, rest) = self.parts();
        write!(f, "{prefix}{rest}")
    }
}

impl FromStr for CheckName {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<CheckName, Infallible> {
        if let Ok(f) = s.parse::<FixedCheck>() {
            return Ok(CheckName::Fixed(f));
        }
        for make in CheckName::PREFIXED {
            let (prefix, _) = make(String::new()).parts();
            if let Some(rest) = s.strip_prefix(prefix).filter(|r| !r.is_empty()) {
                return Ok(make(rest.to_string()));
            }
        }
        Ok(CheckName::Other(s.to_string()))
    }
}

/// A name equals the string it is written as in the JSON.
impl PartialEq<&str> for CheckName {
    fn eq(&self, other: &&str) -> bool {
        let (prefix, rest) = self.parts();
        other.strip_prefix(prefix) == Some(rest)
    }
}

impl Serialize for CheckName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CheckName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<CheckName, D::Error> {
        let s = String::deserialize(d)?;
        Ok(s.parse().unwrap_or_else(|e: Infallible| match e {}))
    }
}

/// What a check's `limit` and `actual` count, so renderers format them (`1.2 MB`, `98.4%`)
/// without matching strings. The serialized names are the JSON's: never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    #[serde(rename = "bytes")]
    Bytes,
    /// 0–1, shown as a percentage.
    #[serde(rename = "ratio")]
    Ratio,
    #[serde(rename = "ms")]
    Ms,
    /// Memory as Lambda reports it (10^6 bytes).
    #[serde(rename = "MB")]
    Megabytes,
    #[serde(rename = "count")]
    Count,
    /// 0–100.
    #[serde(rename = "percent")]
    Percent,
    /// A unit this version does not know (a report written by a newer gate, read as a
    /// baseline): shown as a plain number rather than refusing the whole report.
    #[serde(other, rename = "other")]
    Other,
}

/// A check's outcome is a verdict on one figure: the same three values, ordered the same way,
/// so the report's verdict is the worst of its checks' statuses.
pub type Status = Verdict;

impl Check {
    /// A check that fails when `actual > limit`.
    pub fn at_most(name: impl Into<CheckName>, limit: u64, actual: u64, unit: Unit) -> Check {
        Check {
            name: name.into(),
            limit: limit.into(),
            actual: actual.into(),
            status: if actual > limit {
                Status::Fail
            } else {
                Status::Pass
            },
            unit: Some(unit),
            detail: None,
        }
    }

    /// A check that fails when `actual < limit`.
    pub fn at_least_f64(name: impl Into<CheckName>, limit: f64, actual: f64, unit: Unit) -> Check {
        Check {
            name: name.into(),
            limit: limit.into(),
            actual: actual.into(),
            status: if actual < limit {
                Status::Fail
            } else {
                Status::Pass
            },
            unit: Some(unit),
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Check {
        self.detail = Some(detail.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name reads back as itself, and its JSON is the string it displays as.
    #[test]
    fn check_names_keep_their_json_strings() {
        for (name, text) in [
            (CheckName::from(FixedCheck::MaxSize), "max-size"),
            (FixedCheck::LayerDiffId.into(), "layer-diff-id"),
            (FixedCheck::RustsecAudit.into(), "rustsec-audit"),
            (FixedCheck::PerfShardStarted.into(), "perf-shard-started"),
            (FixedCheck::PerfStartSkew.into(), "perf-start-skew"),
            (
                FixedCheck::PerfColdStartsProvisioned.into(),
                "perf-cold-starts-provisioned",
            ),
            (CheckName::Perf("p95".into()), "perf-p95"),
            (CheckName::Perf("error_rate".into()), "perf-error_rate"),
            (
                CheckName::PerfHeader("x-trace".into()),
                "perf-header-x-trace",
            ),
            (CheckName::PerfChange("p95".into()), "perf-change-p95"),
            (CheckName::PerfShards("failed".into()), "perf-shards-failed"),
            (
                CheckName::Dive("lowest-efficiency".into()),
                "dive-lowest-efficiency",
            ),
            (CheckName::Other("furlongs".into()), "furlongs"),
            (CheckName::Other("perf-".into()), "perf-"),
        ] {
            assert_eq!(name.to_string(), text);
            assert_eq!(text.parse::<CheckName>().unwrap(), name, "{text}");
            assert_eq!(serde_json::to_value(&name).unwrap(), text);
            assert_eq!(
                serde_json::from_value::<CheckName>(text.into()).unwrap(),
                name
            );
        }
        assert!(CheckName::Perf("p95".into()).is_perf());
        assert!(CheckName::from(FixedCheck::PerfStartSkew).is_perf());
        assert!(!CheckName::from(FixedCheck::SecurityFailOn).is_perf());
    }

    #[test]
    fn units_keep_their_json_names() {
        for (u, name) in [
            (Unit::Bytes, "bytes"),
            (Unit::Ratio, "ratio"),
            (Unit::Ms, "ms"),
            (Unit::Megabytes, "MB"),
            (Unit::Count, "count"),
            (Unit::Percent, "percent"),
        ] {
            assert_eq!(serde_json::to_value(u).unwrap(), name);
            assert_eq!(serde_json::from_value::<Unit>(name.into()).unwrap(), u);
        }
        // A newer gate's unit does not make its report unreadable as a baseline.
        assert_eq!(
            serde_json::from_value::<Unit>("furlongs".into()).unwrap(),
            Unit::Other
        );
    }
}
