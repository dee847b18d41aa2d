//! k6-like thresholds: `METRIC OP VALUE`, e.g. `p95 < 800ms`, `success_rate >= 99%`.
//! Latencies take ms or s (a bare number is ms), rates take % (or a ratio 0–1), memory MB.

use std::fmt;

use anyhow::{bail, Result};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
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
    fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// milliseconds
    Latency,
    /// ratio 0–1
    Rate,
    /// per second
    Throughput,
    /// MB as Lambda reports memory
    Memory,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub metric: String,
    pub op: Op,
    /// In the metric's base unit: ms, ratio, req/s or MB.
    pub value: f64,
    pub source: String,
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = match kind(&self.metric) {
            Some(Kind::Latency) => format!("{} ms", trim(self.value)),
            Some(Kind::Rate) => format!("{}%", trim(self.value * 100.0)),
            Some(Kind::Memory) => format!("{} MB", trim(self.value)),
            _ => trim(self.value),
        };
        write!(f, "{} {} {v}", self.metric, self.op.as_str())
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Which metrics exist, and what unit their values are in.
pub fn kind(metric: &str) -> Option<Kind> {
    match metric {
        "avg" | "min" | "max" | "med" | "init_p95" | "init_avg" | "billed_avg" => {
            Some(Kind::Latency)
        }
        "success_rate" | "error_rate" | "cold_start_rate" => Some(Kind::Rate),
        "rps" => Some(Kind::Throughput),
        "max_memory_used" => Some(Kind::Memory),
        m => {
            let p = m.strip_prefix('p')?;
            let v: f64 = p.parse().ok()?;
            (v > 0.0 && v < 100.0 || v == 100.0).then_some(Kind::Latency)
        }
    }
}

impl Threshold {
    pub fn parse(text: &str) -> Result<Threshold> {
        let t = text.trim();
        let op_at = t.find(['<', '>', '=']).ok_or_else(|| {
            anyhow::anyhow!("threshold {text:?}: expected METRIC OP VALUE, e.g. 'p95 < 800ms'")
        })?;
        let metric = t[..op_at].trim().to_string();
        let rest = &t[op_at..];
        let (op, value) = [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("==", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ]
        .iter()
        .find_map(|(s, op)| rest.strip_prefix(s).map(|v| (*op, v.trim())))
        .ok_or_else(|| anyhow::anyhow!("threshold {text:?}: unknown operator at {:?}", rest))?;
        let Some(k) = kind(&metric) else {
            bail!("threshold {text:?}: unknown metric {metric:?} (avg, min, max, p50…p99.9, success_rate, error_rate, cold_start_rate, rps, init_p95, billed_avg, max_memory_used)");
        };
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
                "threshold {text:?}: unit {unit:?} does not fit {metric} ({})",
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
        .filter(|d| !user.iter().any(|u| u.metric == d.metric))
        .collect();
    out.extend(user.iter().cloned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_operators() {
        let t = Threshold::parse("p95 < 800ms").unwrap();
        assert_eq!((t.metric.as_str(), t.op, t.value), ("p95", Op::Lt, 800.0));
        assert_eq!(Threshold::parse("avg<=2s").unwrap().value, 2000.0);
        assert_eq!(Threshold::parse("success_rate >= 99%").unwrap().value, 0.99);
        assert_eq!(Threshold::parse("error_rate < 0.01").unwrap().value, 0.01);
        assert_eq!(Threshold::parse("p99.9 < 1s").unwrap().metric, "p99.9");
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
    fn user_thresholds_replace_defaults_per_metric() {
        let m = merged(&[Threshold::parse("p95 < 800ms").unwrap()]);
        assert_eq!(m.iter().filter(|t| t.metric == "p95").count(), 1);
        assert_eq!(m.len(), 4);
    }
}
