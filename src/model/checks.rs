//! Checks: one budget or threshold held against one measured figure.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Verdict;

/// One budget or threshold held against one measured figure.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    /// Stable name, e.g. `max-size`, `layer-digest`, `security-fail-on`, `perf-p95`.
    pub name: String,
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
    pub fn at_most(name: &str, limit: u64, actual: u64, unit: Unit) -> Check {
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
    pub fn at_least_f64(name: &str, limit: f64, actual: f64, unit: Unit) -> Check {
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
