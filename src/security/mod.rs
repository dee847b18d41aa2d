//! Security: read what scanners wrote, one list of findings, one policy.
//!
//! (Stub: the security issue fills this module; the report schema below is the contract.)

pub mod cfg;

use serde::{Deserialize, Serialize};

/// The `security` part of the report (DESIGN.md: `security.findings[]` id, source, severity,
/// package, installed, fixed, title).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SecurityReport {
    #[serde(default)]
    pub findings: Vec<SecurityFinding>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SecurityFinding {
    pub id: String,
    /// The tool(s) that reported it.
    pub source: Vec<String>,
    /// "critical" | "high" | "medium" | "low" | "unknown"
    pub severity: String,
    #[serde(default)]
    pub package: String,
    #[serde(default)]
    pub installed: String,
    #[serde(default)]
    pub fixed: String,
    #[serde(default)]
    pub title: String,
}
