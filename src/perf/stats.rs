//! What a load run measured, kept mergeable: latencies in an HDR histogram (never a sorted
//! list of samples, never averaged percentiles), counts by status, error kind and header.
//! Shards from several runners merge into the same numbers one big run gives.

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use base64::Engine;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use hdrhistogram::Histogram;

use crate::aws::ErrorKind;

use super::samples::{Rec, Reservoir};

/// Latencies are recorded in microseconds, 1 µs to 10 minutes, 3 significant digits.
const MAX_US: u64 = 600_000_000;

pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_US, 3).expect("valid bounds")
}

/// One request's outcome, as the driver saw it.
#[derive(Debug, Default, Clone)]
pub struct Sample {
    pub latency_us: u64,
    pub status: Option<u16>,
    pub success: bool,
    pub error: Option<ErrorKind>,
    pub cold: bool,
    pub missing_headers: Vec<String>,
    pub init_ms: Option<f64>,
    pub billed_ms: Option<f64>,
    pub memory_size_mb: Option<f64>,
    pub max_memory_used_mb: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Stats {
    pub latency: Histogram<u64>,
    pub init: Histogram<u64>,
    pub requests: u64,
    pub successes: u64,
    pub cold_starts: u64,
    pub statuses: BTreeMap<String, u64>,
    pub errors: BTreeMap<String, u64>,
    pub missing_headers: BTreeMap<String, u64>,
    pub billed_ms_sum: f64,
    pub billed_count: u64,
    pub memory_size_mb: f64,
    pub max_memory_used_mb: f64,
    /// A bounded sample of the requests, for a comparison's bootstrap (samples.rs).
    pub samples: Reservoir,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            latency: new_histogram(),
            init: new_histogram(),
            requests: 0,
            successes: 0,
            cold_starts: 0,
            statuses: BTreeMap::new(),
            errors: BTreeMap::new(),
            missing_headers: BTreeMap::new(),
            billed_ms_sum: 0.0,
            billed_count: 0,
            memory_size_mb: 0.0,
            max_memory_used_mb: 0.0,
            samples: Reservoir::default(),
        }
    }
}

impl Stats {
    /// Empty, its reservoir drawing from `seed` (each worker its own, from the run's seed).
    pub fn seeded(seed: u64) -> Stats {
        Stats {
            samples: Reservoir::new(super::samples::CAP, seed),
            ..Stats::default()
        }
    }

    pub fn record(&mut self, s: &Sample) {
        self.samples.push(Rec {
            latency_us: s.latency_us.min(u64::from(u32::MAX)) as u32,
            success: s.success,
            cold: s.cold,
            init_us: s
                .init_ms
                .map_or(0, |i| (i * 1000.0).clamp(1.0, u32::MAX as f64) as u32),
            billed_us: s
                .billed_ms
                .map_or(0, |b| (b * 1000.0).clamp(1.0, u32::MAX as f64) as u32),
        });
        self.requests += 1;
        self.latency.saturating_record(s.latency_us.max(1));
        if s.success {
            self.successes += 1;
        }
        if let Some(code) = s.status {
            *self.statuses.entry(code.to_string()).or_default() += 1;
        }
        if let Some(e) = s.error {
            *self.errors.entry(e.as_str().to_string()).or_default() += 1;
        }
        if s.cold {
            self.cold_starts += 1;
        }
        for h in &s.missing_headers {
            *self.missing_headers.entry(h.clone()).or_default() += 1;
        }
        if let Some(i) = s.init_ms {
            self.init.saturating_record(((i * 1000.0) as u64).max(1));
        }
        if let Some(b) = s.billed_ms {
            self.billed_ms_sum += b;
            self.billed_count += 1;
        }
        if let Some(m) = s.memory_size_mb {
            self.memory_size_mb = m;
        }
        if let Some(m) = s.max_memory_used_mb {
            self.max_memory_used_mb = self.max_memory_used_mb.max(m);
        }
    }

    pub fn merge(&mut self, o: &Stats) -> Result<()> {
        self.latency
            .add(&o.latency)
            .map_err(|e| anyhow!("merging histograms: {e:?}"))?;
        self.init
            .add(&o.init)
            .map_err(|e| anyhow!("merging histograms: {e:?}"))?;
        self.requests += o.requests;
        self.successes += o.successes;
        self.cold_starts += o.cold_starts;
        for (src, dst) in [
            (&o.statuses, &mut self.statuses),
            (&o.errors, &mut self.errors),
            (&o.missing_headers, &mut self.missing_headers),
        ] {
            for (k, v) in src {
                *dst.entry(k.clone()).or_default() += v;
            }
        }
        self.billed_ms_sum += o.billed_ms_sum;
        self.billed_count += o.billed_count;
        self.memory_size_mb = self.memory_size_mb.max(o.memory_size_mb);
        self.max_memory_used_mb = self.max_memory_used_mb.max(o.max_memory_used_mb);
        self.samples.merge(&o.samples);
        Ok(())
    }

    /// A latency quantile in milliseconds (0 when nothing was recorded).
    pub fn ms(&self, q: f64) -> f64 {
        if self.latency.is_empty() {
            return 0.0;
        }
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }
}

/// A histogram as base64 of HdrHistogram's V2 encoding — the format every HDR library reads.
pub fn encode(h: &Histogram<u64>) -> String {
    let mut buf = Vec::new();
    V2Serializer::new()
        .serialize(h, &mut buf)
        .expect("serializing to memory");
    base64::engine::general_purpose::STANDARD.encode(buf)
}

pub fn decode(s: &str) -> Result<Histogram<u64>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|e| anyhow!("histogram is not base64: {e}"))?;
    Deserializer::new()
        .deserialize(&mut &bytes[..])
        .map_err(|e| anyhow!("histogram does not decode: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_merge_to_the_same_percentiles_as_one_run() {
        let latencies: Vec<u64> = (0..10_000u64)
            .map(|i| 1_000 + (i * 7919) % 250_000)
            .collect();
        let mut one = Stats::default();
        let mut shards = vec![Stats::default(), Stats::default(), Stats::default()];
        for (i, l) in latencies.iter().enumerate() {
            let s = Sample {
                latency_us: *l,
                success: true,
                status: Some(200),
                ..Default::default()
            };
            one.record(&s);
            shards[i % 3].record(&s);
        }
        let mut merged = Stats::default();
        for s in &shards {
            // Through the wire format, as `gate perf merge` reads shard files.
            let back = Stats {
                latency: decode(&encode(&s.latency)).unwrap(),
                requests: s.requests,
                ..Default::default()
            };
            merged.merge(&back).unwrap();
        }
        assert_eq!(merged.requests, 10_000);
        for q in [0.5, 0.9, 0.95, 0.99, 1.0] {
            assert_eq!(merged.ms(q), one.ms(q), "q{q}");
        }
    }

    #[test]
    fn percentiles_are_within_the_histograms_precision() {
        let mut s = Stats::default();
        for ms in 1..=1000u64 {
            s.record(&Sample {
                latency_us: ms * 1000,
                ..Default::default()
            });
        }
        assert!(
            (s.ms(0.95) - 950.0).abs() <= 950.0 * 0.001 + 1.0,
            "{}",
            s.ms(0.95)
        );
        assert!((s.ms(0.5) - 500.0).abs() <= 1.0);
    }
}
