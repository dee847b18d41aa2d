//! The trend: one line per main build, as `gate history append` writes it and `--history`
//! reads the last of them back into the report, so the comment and the HTML draw them.

use serde::{Deserialize, Serialize};

use super::security::BySeverity;

/// One main build's headline figures. Every figure is optional: a perf-only run has no image,
/// an image-only run no latency; the trend draws what each line has.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The commit the build was of (`GITHUB_SHA` or `--commit`).
    pub commit: String,
    /// When the line was appended, RFC 3339 in UTC.
    pub time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compressed_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packages: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<BySeverity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_ms: Option<f64>,
    /// The mean init duration over the cold starts (Invoke mode only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_million_usd: Option<f64>,
}

/// The last lines of the history file, oldest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct History {
    /// The path given to `--history`.
    pub source: String,
    pub entries: Vec<HistoryEntry>,
}
