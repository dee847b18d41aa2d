//! Regression budgets: how much worse than the reference a run may be, held against the
//! change's confidence interval rather than its point value. `p95 change < +10%` (relative),
//! `init_duration change < +100ms` (absolute, ms or s), `success_rate change > -1pp`
//! (absolute, percentage points), `cost_per_million change < +0.05usd` (absolute, USD).
//!
//! A budget fails only when the whole interval is past it, passes only when the whole interval
//! is inside it, and otherwise is inconclusive (a warning naming about how many more requests
//! would settle it): noise never fails a pull request, and never passes one silently either.

use std::fmt;

use anyhow::{anyhow, bail, Result};

use super::bootstrap::{self, Stat, StatUnit};
use crate::model::perf::BudgetVerdict;

/// The comparison of a threshold, and of a relative budget (`perf::budget`, which takes all
/// but `==`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub enum Op {
    #[strum(serialize = "<")]
    Lt,
    #[strum(serialize = "<=")]
    Le,
    #[strum(serialize = ">")]
    Gt,
    #[strum(serialize = ">=")]
    Ge,
    #[strum(serialize = "==")]
    Eq,
}

impl Op {
    pub fn holds(self, actual: f64, limit: f64) -> bool {
        match self {
            Op::Lt => actual < limit,
            Op::Le => actual <= limit,
            Op::Gt => actual > limit,
            Op::Ge => actual >= limit,
            Op::Eq => (actual - limit).abs() < f64::EPSILON,
        }
    }
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The operator `text` starts with, and what follows it (trimmed). The two-character
    /// operators are tried first, so `<=` is not read as `<`.
    pub fn split_prefix(text: &str) -> Option<(Op, &str)> {
        [Op::Le, Op::Ge, Op::Eq, Op::Lt, Op::Gt]
            .into_iter()
            .find_map(|op| text.strip_prefix(op.as_str()).map(|v| (op, v.trim())))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    pub stat: Stat,
    pub op: Op,
    /// A ratio (0.10 for +10%) when `relative`, else in the statistic's unit (ms, ratio, USD).
    pub value: f64,
    pub relative: bool,
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// `more`: about how many more requests (both sides) would settle it.
    Inconclusive {
        more: Option<u64>,
    },
}

impl Verdict {
    /// As the report keeps it (`perf.compare.metrics[].verdict`, with `more_requests`).
    pub fn kind(self) -> BudgetVerdict {
        match self {
            Verdict::Pass => BudgetVerdict::Pass,
            Verdict::Fail => BudgetVerdict::Fail,
            Verdict::Inconclusive { .. } => BudgetVerdict::Inconclusive,
        }
    }
}

/// Whether a threshold's text is a budget (`METRIC change OP VALUE`) rather than a level.
pub fn is_budget(text: &str) -> bool {
    text.split_whitespace().nth(1) == Some("change")
}

impl Budget {
    pub fn parse(text: &str) -> Result<Budget> {
        let bad = |why: &str| anyhow!("threshold {text:?}: {why}");
        let t = text.trim();
        let (name, rest) = t
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad("expected METRIC change OP VALUE, e.g. 'p95 change < +10%'"))?;
        let rest = rest
            .trim_start()
            .strip_prefix("change")
            .ok_or_else(|| bad("expected METRIC change OP VALUE, e.g. 'p95 change < +10%'"))?
            .trim();
        let stat = Stat::parse(name).ok_or_else(|| {
            bad(&format!(
                "unknown metric {name:?} for a change ({})",
                Stat::names()
            ))
        })?;
        let (op, value) = Op::split_prefix(rest)
            .filter(|(op, _)| *op != Op::Eq)
            .ok_or_else(|| bad("expected <, <=, > or >= after \"change\""))?;
        let end = value
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-')))
            .unwrap_or(value.len());
        let (num, unit) = value.split_at(end);
        let n: f64 = num
            .parse()
            .map_err(|_| bad(&format!("{value:?} is not a signed number")))?;
        if !n.is_finite() {
            bail!("threshold {text:?}: {value:?} is not a number");
        }
        let (value, relative) = match (stat.unit(), unit.trim()) {
            (_, "%") => (n / 100.0, true),
            (StatUnit::Ms, "ms") => (n, false),
            (StatUnit::Ms, "s") => (n * 1000.0, false),
            (StatUnit::Ratio, "pp") => (n / 100.0, false),
            (StatUnit::Usd, "usd" | "USD" | "$") => (n, false),
            (u, unit) => bail!(
                "threshold {text:?}: unit {unit:?} does not fit a change of {name} (% or {})",
                match u {
                    StatUnit::Ms => "ms, s",
                    StatUnit::Ratio => "pp, percentage points",
                    StatUnit::Usd => "usd",
                }
            ),
        };
        Ok(Budget {
            stat,
            op,
            value,
            relative,
            source: text.trim().to_string(),
        })
    }

    /// Held to an interval of the change (relative or absolute, as this budget is written).
    /// `n`: the requests both sides measured, for the estimate of how many more are needed.
    pub fn judge(&self, interval: (f64, f64), n: u64) -> Verdict {
        let (lo, hi) = interval;
        if self.op.holds(lo, self.value) && self.op.holds(hi, self.value) {
            Verdict::Pass
        } else if !self.op.holds(lo, self.value) && !self.op.holds(hi, self.value) {
            Verdict::Fail
        } else {
            Verdict::Inconclusive {
                more: bootstrap::more_requests(n, interval, self.value),
            }
        }
    }

    /// The limit as the comment shows it: "+10%", "+100 ms", "-1 pp", "+0.05 USD".
    pub fn limit(&self) -> String {
        let v = self.value;
        if self.relative {
            return format!("{:+}%", round(v * 100.0));
        }
        match self.stat.unit() {
            StatUnit::Ms => format!("{:+} ms", round(v)),
            StatUnit::Ratio => format!("{:+} pp", round(v * 100.0)),
            StatUnit::Usd => format!("{:+} USD", round(v)),
        }
    }
}

fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} change {} {}",
            self.stat.name(),
            self.op.as_str(),
            self.limit()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_of_the_issue_parse() {
        let b = Budget::parse("p95 change < +10%").unwrap();
        assert_eq!(
            (b.stat, b.op, b.value, b.relative),
            (Stat::P95, Op::Lt, 0.1, true)
        );
        let b = Budget::parse("init_duration change < +100ms").unwrap();
        assert_eq!(
            (b.stat, b.value, b.relative),
            (Stat::InitDuration, 100.0, false)
        );
        let b = Budget::parse("cost_per_million change < +5%").unwrap();
        assert_eq!((b.stat, b.value), (Stat::CostPerMillion, 0.05));
        let b = Budget::parse("success_rate change >= -1pp").unwrap();
        assert_eq!((b.op, b.value, b.relative), (Op::Ge, -0.01, false));
        assert_eq!(Budget::parse("mean change < 0.5s").unwrap().value, 500.0);
        assert_eq!(
            Budget::parse("p95 change < +10%").unwrap().to_string(),
            "p95 change < +10%"
        );
        assert!(is_budget("p95 change < +10%") && !is_budget("p95 < 800ms"));
    }

    #[test]
    fn bad_budgets_name_what_is_wrong() {
        for (text, want) in [
            ("p96 change < 10%", "unknown metric \"p96\""),
            ("p95 change ~ 10%", "expected <, <=, > or >="),
            ("p95 change == 10%", "expected <, <=, > or >="),
            ("p95 change < ten%", "not a signed number"),
            ("p95 change < 10pp", "unit \"pp\" does not fit"),
            ("success_rate change > -1ms", "unit \"ms\" does not fit"),
        ] {
            let e = Budget::parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    /// A check's `limit` is written with these names.
    #[test]
    fn operators_are_spelled_as_the_report_writes_them() {
        for (op, name) in [
            (Op::Lt, "<"),
            (Op::Le, "<="),
            (Op::Gt, ">"),
            (Op::Ge, ">="),
            (Op::Eq, "=="),
        ] {
            assert_eq!(op.as_str(), name);
            assert_eq!(Op::split_prefix(&format!("{name} 5")), Some((op, "5")));
        }
    }

    #[test]
    fn the_whole_interval_decides() {
        let b = Budget::parse("p95 change < +10%").unwrap();
        assert_eq!(b.judge((0.02, 0.08), 1000), Verdict::Pass);
        assert_eq!(b.judge((0.12, 0.30), 1000), Verdict::Fail);
        // Straddling: centre 0.08, half-width 0.06, 0.02 from the budget: 1000·9 − 1000 more.
        assert_eq!(
            b.judge((0.02, 0.14), 1000),
            Verdict::Inconclusive { more: Some(8000) }
        );
        // A floor: success rate may drop at most 1 point.
        let f = Budget::parse("success_rate change > -1pp").unwrap();
        assert_eq!(f.judge((-0.005, 0.0), 100), Verdict::Pass);
        assert_eq!(f.judge((-0.05, -0.02), 100), Verdict::Fail);
        assert!(matches!(
            f.judge((-0.02, 0.0), 100),
            Verdict::Inconclusive { .. }
        ));
    }
}
