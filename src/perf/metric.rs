//! The metrics a threshold can hold a run to. Each one owns its name (as a threshold writes it,
//! and in its check's name, `perf-<name>`), its unit, and where its value comes from, so a new
//! metric is one variant here and its arms below, nowhere else.

use strum::{EnumIter, IntoEnumIterator, IntoStaticStr};

use super::stats::Stats;
use crate::model::perf::PerfReport;
use crate::model::Unit;

#[derive(Debug, Clone, PartialEq, EnumIter, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Metric {
    Avg,
    Min,
    Max,
    /// The median of the report's latency summary.
    Med,
    /// `pNN` with 0 < NN ≤ 100, read from the histogram; `name` as written ("p99.9").
    Percentile {
        q: f64,
        name: String,
    },
    SuccessRate,
    ErrorRate,
    ColdStartRate,
    Rps,
    InitP95,
    InitAvg,
    BilledAvg,
    MaxMemoryUsed,
}

/// What unit a metric's values are in; a threshold's value is converted to it once, at parse.
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

impl Metric {
    /// A metric by its name: one of the named ones, or a percentile `pNN`.
    pub fn parse(name: &str) -> Option<Metric> {
        let named = Metric::iter().find(|m| !m.is_percentile() && m.name() == name);
        if named.is_some() {
            return named;
        }
        let q: f64 = name.strip_prefix('p')?.parse().ok()?;
        (q > 0.0 && q <= 100.0).then(|| Metric::Percentile {
            q,
            name: name.to_string(),
        })
    }

    fn is_percentile(&self) -> bool {
        matches!(self, Metric::Percentile { .. })
    }

    pub fn name(&self) -> &str {
        match self {
            Metric::Percentile { name, .. } => name,
            m => m.into(),
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Metric::Avg
            | Metric::Min
            | Metric::Max
            | Metric::Med
            | Metric::Percentile { .. }
            | Metric::InitP95
            | Metric::InitAvg
            | Metric::BilledAvg => Kind::Latency,
            Metric::SuccessRate | Metric::ErrorRate | Metric::ColdStartRate => Kind::Rate,
            Metric::Rps => Kind::Throughput,
            Metric::MaxMemoryUsed => Kind::Memory,
        }
    }

    /// Its value in this report (None: not measured in this mode).
    pub fn value(&self, p: &PerfReport, stats: &Stats) -> Option<f64> {
        Some(match self {
            Metric::Avg => p.latency_ms.avg,
            Metric::Min => p.latency_ms.min,
            Metric::Max => p.latency_ms.max,
            Metric::Med => p.latency_ms.p50,
            Metric::Percentile { q, .. } => stats.ms(q / 100.0),
            Metric::SuccessRate => p.success_rate,
            Metric::ErrorRate => 1.0 - p.success_rate,
            Metric::ColdStartRate => p.cold_start_rate,
            Metric::Rps => p.rps,
            Metric::InitP95 => p.init_ms.as_ref()?.p95,
            Metric::InitAvg => p.init_ms.as_ref()?.avg,
            Metric::BilledAvg => p.billed_avg_ms?,
            Metric::MaxMemoryUsed => p.max_memory_used_mb?,
        })
    }

    /// Every metric's name, for messages: "avg, min, max, med, p50…p99.9, success_rate, …".
    pub fn names() -> String {
        Metric::iter()
            .map(|m| match m {
                Metric::Percentile { .. } => "p50…p99.9",
                m => m.into(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Kind {
    /// The unit a check of this kind carries in the report.
    pub fn check_unit(self) -> Unit {
        match self {
            Kind::Latency => Unit::Ms,
            Kind::Rate => Unit::Ratio,
            Kind::Memory => Unit::Megabytes,
            Kind::Throughput => Unit::Count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_metric_parses_back_from_its_name() {
        for m in Metric::iter().filter(|m| !m.is_percentile()) {
            assert_eq!(Metric::parse(m.name()), Some(m.clone()), "{m:?}");
        }
    }

    #[test]
    fn percentiles_keep_the_name_as_written() {
        let m = Metric::parse("p99.9").unwrap();
        assert_eq!((m.name(), m.kind()), ("p99.9", Kind::Latency));
        assert_eq!(Metric::parse("p100").map(|m| m.kind()), Some(Kind::Latency));
        assert_eq!(Metric::parse("p0"), None);
        assert_eq!(Metric::parse("p100.1"), None);
        assert_eq!(Metric::parse("percentile"), None);
        assert_eq!(Metric::parse(""), None);
    }

    #[test]
    fn the_list_names_med_and_init_avg() {
        assert_eq!(
            Metric::names(),
            "avg, min, max, med, p50…p99.9, success_rate, error_rate, cold_start_rate, rps, \
             init_p95, init_avg, billed_avg, max_memory_used"
        );
    }
}
