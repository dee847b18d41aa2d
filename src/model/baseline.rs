//! The base branch's figures, kept in the report so every delta renders from it alone.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Report;

/// What the base branch measured, kept in the report so deltas render from it alone.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Baseline {
    /// Where the baseline came from (the path given to --baseline).
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compressed_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasted_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency: Option<f64>,
    /// Each check's `actual` in the baseline, by check name.
    #[serde(default)]
    pub checks: std::collections::BTreeMap<String, Value>,
    /// Bytes per finding rule (caches, waste …) in the baseline.
    #[serde(default)]
    pub finding_bytes: std::collections::BTreeMap<String, u64>,
    /// Layer sizes by digest, then by instruction, to match layers.
    #[serde(default)]
    pub layers: Vec<(String, String, u64)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_rate: Option<f64>,
}

impl Baseline {
    /// The figures of a previous report (the base branch's `--format json` output).
    pub fn from_report(source: &str, base: &Report) -> Baseline {
        let img = base.image.as_ref();
        let mut finding_bytes = std::collections::BTreeMap::new();
        for f in &base.findings {
            *finding_bytes.entry(f.rule.id().to_string()).or_insert(0) += f.bytes;
        }
        Baseline {
            source: source.to_string(),
            size_bytes: img.map(|i| i.size_bytes),
            compressed_bytes: img.map(|i| i.compressed_bytes),
            final_bytes: img.map(|i| i.final_bytes),
            wasted_bytes: img.map(|i| i.wasted_bytes),
            efficiency: img.map(|i| i.efficiency),
            checks: base
                .checks
                .iter()
                .map(|c| (c.name.to_string(), c.actual.clone()))
                .collect(),
            finding_bytes,
            layers: img
                .map(|i| {
                    i.layers
                        .iter()
                        .map(|l| (l.digest.clone(), l.created_by.clone(), l.size_bytes))
                        .collect()
                })
                .unwrap_or_default(),
            p95_ms: base.perf.as_ref().map(|p| p.latency_ms.p95),
            success_rate: base.perf.as_ref().map(|p| p.success_rate),
        }
    }

    /// The baseline size of a layer: same digest, else same instruction.
    pub fn layer_size(&self, digest: &str, created_by: &str) -> Option<u64> {
        self.layers
            .iter()
            .find(|l| l.0 == digest)
            .or_else(|| {
                self.layers
                    .iter()
                    .find(|l| !created_by.is_empty() && l.1 == created_by)
            })
            .map(|l| l.2)
    }
}
