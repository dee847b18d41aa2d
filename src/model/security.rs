//! The `security` part of the report: findings merged across scanners, as the JSON carries
//! them. Filled by `security`, read by the renderers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" | "error" => Severity::High,
            "medium" | "moderate" | "warning" => Severity::Medium,
            "low" | "negligible" | "note" | "info" | "informational" => Severity::Low,
            "unknown" | "none" | "" => Severity::Unknown,
            _ => return None,
        })
    }

    /// Lenient: what a scanner writes that we do not know is "unknown", not an error.
    pub fn from_scanner(s: &str) -> Severity {
        Severity::parse(s).unwrap_or(Severity::Unknown)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// GitHub's bands for a CVSS-like score (SARIF `security-severity`).
    pub fn from_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Unknown
        }
    }

    /// The severity of a CVSS vector (3.0, 3.1 or 4.0), via the `cvss` crate.
    pub fn from_cvss_vector(vector: &str) -> Option<Severity> {
        let c: cvss::Cvss = vector.parse().ok()?;
        Some(Severity::from_score(c.score()))
    }
}

/// One finding of one kind, as the report lists it (DESIGN.md: id, source, severity, package,
/// installed, fixed, title).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SecurityFinding {
    pub id: String,
    /// Other ids of the same vulnerability (a GHSA and its CVE are one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The tool(s) that reported it.
    pub source: Vec<String>,
    /// "vulnerability" | "secret" | "misconfiguration" | "license" | "code" | "advisory"
    #[serde(default)]
    pub kind: String,
    pub severity: Severity,
    #[serde(default)]
    pub package: String,
    #[serde(default)]
    pub installed: String,
    #[serde(default)]
    pub fixed: String,
    #[serde(default)]
    pub title: String,
    /// Where: a file path, a target, a source location.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub location: String,
    /// The image layer (diff_id) the scanner found it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub link: String,
    /// "new" | "existing", against a baseline report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Why it does not count: a VEX statement, a scanner's own suppression, an ignore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
    /// Things the user should know about this finding (an expired ignore, a guessed severity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl SecurityFinding {
    /// The key two tools agree on: the vulnerability (by its preferred id) in one package
    /// version. Secrets and code findings also key on their location.
    pub fn key(&self) -> (String, String, String, String) {
        let loc = if self.kind == "vulnerability" || self.kind == "advisory" {
            String::new()
        } else {
            self.location.clone()
        };
        (
            self.canonical_id(),
            self.package.to_ascii_lowercase(),
            self.installed.clone(),
            loc,
        )
    }

    /// A CVE among the ids if there is one (every tool knows CVEs), else the id.
    pub fn canonical_id(&self) -> String {
        std::iter::once(&self.id)
            .chain(self.aliases.iter())
            .find(|i| i.starts_with("CVE-"))
            .unwrap_or(&self.id)
            .clone()
    }

    pub fn fixable(&self) -> bool {
        !self.fixed.is_empty()
    }
}

/// Components an SBOM lists, counted for the report.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Inventory {
    pub components: u64,
    pub by_type: BTreeMap<String, u64>,
    pub by_ecosystem: BTreeMap<String, u64>,
}

/// The `security` part of the report.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SecurityReport {
    #[serde(default)]
    pub findings: Vec<SecurityFinding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<SecurityFinding>,
    #[serde(default)]
    pub counts: Counts,
    #[serde(default)]
    pub sources: Vec<SourceFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<Inventory>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Counts {
    pub by_severity: BTreeMap<String, u64>,
    pub by_source: BTreeMap<String, u64>,
    pub fixable: u64,
    pub unfixable: u64,
    #[serde(default)]
    pub new: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SourceFile {
    pub path: String,
    pub format: String,
    pub findings: u64,
}
