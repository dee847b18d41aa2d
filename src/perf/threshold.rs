//! k6-like thresholds: `METRIC OP VALUE`, e.g. `p95 < 800ms`, `success_rate >= 99%`.
//! Latencies take ms or s (a bare number is ms), rates take % (or a ratio 0–1), memory MB.

use std::fmt;

use anyhow::{bail, Result};

use super::budget::{self, Budget};
use super::metric::{Kind, Metric};

pub use super::budget::Op;

/// A threshold as parsed from a flag or gate.toml (where it is read straight into this type,
/// so it is parsed once).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Threshold {
    pub metric: Metric,
    pub op: Op,
    /// In the metric's base unit: ms, ratio, req/s or MB.
    pub value: f64,
    pub source: String,
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = match self.metric.kind() {
            Kind::Latency => format!("{} ms", trim(self.value)),
            Kind::Rate => format!("{}%", trim(self.value * 100.0)),
            Kind::Memory => format!("{} MB", trim(self.value)),
            Kind::Throughput => trim(self.value),
        };
        write!(f, "{} {} {v}", self.metric.name(), self.op.as_str())
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl Threshold {
    pub fn parse(text: &str) -> Result<Threshold> {
        let t = text.trim();
        let op_at = t.find(['<', '>', '=']).ok_or_else(|| {
            anyhow::anyhow!("threshold {text:?}: expected METRIC OP VALUE, e.g. 'p95 < 800ms'")
        })?;
        let name = t[..op_at].trim();
        let rest = &t[op_at..];
        let (op, value) = Op::split_prefix(rest)
            .ok_or_else(|| anyhow::anyhow!("threshold {text:?}: unknown operator at {:?}", rest))?;
        let Some(metric) = Metric::parse(name) else {
            bail!(
                "threshold {text:?}: unknown metric {name:?} ({})",
                Metric::names()
            );
        };
        let k = metric.kind();
        let v = value.trim();
        let num_end = v
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(v.len());
        let (num, unit) = v.split_at(num_end);
        let n: f64 = num
            .parse()
            .map_err(|_| anyhow::anyhow!("threshold {text:?}: {v:?} is not a number"))?;
        let unit = unit.trim();
        let value = match (k, unit) {
            (Kind::Latency, "" | "ms") => n,
            (Kind::Latency, "s") => n * 1000.0,
            (Kind::Latency, "us" | "µs") => n / 1000.0,
            (Kind::Rate, "%") => n / 100.0,
            (Kind::Rate, "") if n <= 1.0 => n,
            (Kind::Throughput, "" | "/s" | "rps") => n,
            (Kind::Memory, "" | "MB") => n,
            _ => bail!(
                "threshold {text:?}: unit {unit:?} does not fit {name} ({})",
                match k {
                    Kind::Latency => "ms or s",
                    Kind::Rate => "% or a ratio 0-1",
                    Kind::Throughput => "requests per second",
                    Kind::Memory => "MB",
                }
            ),
        };
        Ok(Threshold {
            metric,
            op,
            value,
            source: text.to_string(),
        })
    }
}

impl TryFrom<String> for Threshold {
    type Error = anyhow::Error;
    fn try_from(text: String) -> Result<Threshold> {
        Threshold::parse(&text)
    }
}

/// A `thresholds` entry of gate.toml or a `--threshold` flag: a level this run is held to
/// (`p95 < 800ms`), or a budget for its change against a reference (`p95 change < +10%`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(try_from = "String")]
pub enum Rule {
    Level(Threshold),
    Change(Budget),
}

impl Rule {
    pub fn parse(text: &str) -> Result<Rule> {
        if budget::is_budget(text) {
            Budget::parse(text).map(Rule::Change)
        } else {
            Threshold::parse(text).map(Rule::Level)
        }
    }
}

impl TryFrom<String> for Rule {
    type Error = anyhow::Error;
    fn try_from(text: String) -> Result<Rule> {
        Rule::parse(&text)
    }
}

/// The levels (over the defaults, as `resolve`) and the change budgets a run is held to:
/// gate.toml's, then the flags'. A later budget for the same metric replaces an earlier one.
pub fn resolve_rules(config: &[Rule], flags: &[String]) -> Result<(Vec<Threshold>, Vec<Budget>)> {
    let mut levels = Vec::new();
    let mut budgets: Vec<Budget> = Vec::new();
    let parsed = flags
        .iter()
        .map(|t| Rule::parse(t))
        .collect::<Result<Vec<_>>>()?;
    for r in config.iter().chain(&parsed) {
        match r {
            Rule::Level(t) => levels.push(t.clone()),
            Rule::Change(b) => {
                budgets.retain(|x| x.stat != b.stat);
                budgets.push(b.clone());
            }
        }
    }
    Ok((merged(&levels), budgets))
}

/// The seed's defaults: success rate ≥ 95%, average ≤ 2 s, p95 ≤ 5 s, cold starts ≤ 20%.
pub fn defaults() -> Vec<Threshold> {
    [
        "success_rate >= 95%",
        "avg <= 2000ms",
        "p95 <= 5000ms",
        "cold_start_rate <= 20%",
    ]
    .iter()
    .map(|t| Threshold::parse(t).expect("defaults parse"))
    .collect()
}

/// Defaults, replaced metric by metric by what the user set.
pub fn merged(user: &[Threshold]) -> Vec<Threshold> {
    let mut out: Vec<Threshold> = defaults()
        .into_iter()
        .filter(|d| !user.iter().any(|u| u.metric.name() == d.metric.name()))
        .collect();
    out.extend(user.iter().cloned());
    out
}

/// The thresholds a run is held to: gate.toml's (parsed when it was read), then the flags',
/// over the defaults.
pub fn resolve(config: &[Threshold], flags: &[String]) -> Result<Vec<Threshold>> {
    let mut user = config.to_vec();
    for t in flags {
        user.push(Threshold::parse(t)?);
    }
    Ok(merged(&user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_operators() {
        let t = Threshold::parse("p95 < 800ms").unwrap();
        assert_eq!((t.metric.name(), t.op, t.value), ("p95", Op::Lt, 800.0));
        assert_eq!(Threshold::parse("avg<=2s").unwrap().value, 2000.0);
        assert_eq!(Threshold::parse("success_rate >= 99%").unwrap().value, 0.99);
        assert_eq!(Threshold::parse("error_rate < 0.01").unwrap().value, 0.01);
        assert_eq!(
            Threshold::parse("p99.9 < 1s").unwrap().metric.name(),
            "p99.9"
        );
        assert_eq!(Threshold::parse("rps > 50").unwrap().op, Op::Gt);
        assert_eq!(
            Threshold::parse("p95 < 800ms").unwrap().to_string(),
            "p95 < 800 ms"
        );
    }

    #[test]
    fn errors_point_at_the_token() {
        assert!(Threshold::parse("p95 ~ 800")
            .unwrap_err()
            .to_string()
            .contains("expected METRIC OP VALUE"));
        assert!(Threshold::parse("p96x < 800")
            .unwrap_err()
            .to_string()
            .contains("unknown metric \"p96x\""));
        assert!(Threshold::parse("p95 < fast")
            .unwrap_err()
            .to_string()
            .contains("\"fast\" is not a number"));
        assert!(Threshold::parse("success_rate > 5ms")
            .unwrap_err()
            .to_string()
            .contains("unit \"ms\""));
    }

    #[test]
    fn levels_and_budgets_are_told_apart() {
        let toml = [
            Rule::parse("p95 change < +20%").unwrap(),
            Rule::parse("p95 < 1s").unwrap(),
        ];
        let (levels, budgets) =
            resolve_rules(&toml, &["p95 change < +10%".into(), "avg < 1s".into()]).unwrap();
        assert_eq!(budgets.len(), 1);
        assert_eq!(budgets[0].value, 0.1, "the flag's budget wins");
        assert_eq!(
            levels.iter().filter(|t| t.metric.name() == "p95").count(),
            1
        );
        assert!(resolve_rules(&[], &["p95 change < fast".into()]).is_err());
    }

    #[test]
    fn user_thresholds_replace_defaults_per_metric() {
        let m = merged(&[Threshold::parse("p95 < 800ms").unwrap()]);
        assert_eq!(m.iter().filter(|t| t.metric.name() == "p95").count(), 1);
        assert_eq!(m.len(), 4);
    }
}
