//! The `security` part of the report: findings merged across scanners, as the JSON carries
//! them. Filled by `security`, read by the renderers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How bad a scanner says an issue in the image's software is (CVSS-like bands). Not the
/// gate's own finding level (`model::Severity`: info/warning/error): a vulnerability's
/// severity counts toward the verdict only through `[security] fail_on`, which turns it into
/// a check. Code that sees both names this one through `security::` (or `VulnSeverity`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Default,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Severity {
    #[default]
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The order every renderer lists them in.
    pub const MOST_SEVERE_FIRST: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Unknown,
    ];

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
        self.into()
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
    /// None (written "") when a report does not say.
    #[serde(default, with = "super::empty_is_none")]
    pub kind: Option<FindingKind>,
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
    /// Against a baseline report; none without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<FindingStatus>,
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
        let loc = if matches!(
            self.kind,
            Some(FindingKind::Vulnerability | FindingKind::Advisory)
        ) {
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

/// What a scanner reported: a known vulnerability in a package version, an advisory that is
/// not one (cargo-audit's unmaintained, unsound, yanked), a secret, a misconfiguration, a
/// license, or a finding in source code (SARIF).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum FindingKind {
    Vulnerability,
    Advisory,
    Secret,
    Misconfiguration,
    License,
    Code,
}

/// Whether the baseline report already had a finding.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum FindingStatus {
    New,
    Existing,
}

impl FindingStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
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
    pub by_severity: BySeverity,
    pub by_source: BTreeMap<String, u64>,
    pub fixable: u64,
    pub unfixable: u64,
    #[serde(default)]
    pub new: u64,
}

/// Findings per severity: a field per severity rather than a map keyed by strings, so a
/// renderer cannot ask for one that does not exist. The JSON is the map it replaced: the
/// fields are in its (alphabetical) key order, and a severity without findings is left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BySeverity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    critical: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    high: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    low: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    medium: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unknown: Option<u64>,
}

impl BySeverity {
    fn slot(&self, s: Severity) -> Option<u64> {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Low => self.low,
            Severity::Medium => self.medium,
            Severity::Unknown => self.unknown,
        }
    }

    /// Findings of severity `s` (0 when there are none).
    pub fn get(&self, s: Severity) -> u64 {
        self.slot(s).unwrap_or(0)
    }

    pub fn add(&mut self, s: Severity) {
        let slot = match s {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Low => &mut self.low,
            Severity::Medium => &mut self.medium,
            Severity::Unknown => &mut self.unknown,
        };
        *slot.get_or_insert(0) += 1;
    }

    /// The severities the report counts, most severe first.
    pub fn present(&self) -> impl Iterator<Item = (Severity, u64)> + '_ {
        Severity::MOST_SEVERE_FIRST
            .into_iter()
            .filter_map(|s| self.slot(s).map(|n| (s, n)))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SourceFile {
    pub path: String,
    pub format: String,
    pub findings: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_counts_serialize_as_the_map_they_replaced() {
        let mut c = BySeverity::default();
        for s in [
            Severity::Unknown,
            Severity::High,
            Severity::Critical,
            Severity::High,
        ] {
            c.add(s);
        }
        // Keys in alphabetical order (the old BTreeMap<String, _>), absent ones left out.
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#"{"critical":1,"high":2,"unknown":1}"#);
        assert_eq!(serde_json::from_str::<BySeverity>(&json).unwrap(), c);
        assert_eq!(c.get(Severity::Medium), 0);
        let present: Vec<_> = c.present().collect();
        assert_eq!(
            present,
            [
                (Severity::Critical, 1),
                (Severity::High, 2),
                (Severity::Unknown, 1)
            ]
        );
    }

    #[test]
    fn finding_status_keeps_its_json_names() {
        for (s, name) in [
            (FindingStatus::New, "new"),
            (FindingStatus::Existing, "existing"),
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), name);
            assert_eq!(s.as_str(), name);
        }
    }

    /// The renderers print `as_str` where the JSON has serde's name: one spelling.
    #[test]
    fn names_are_the_json_names() {
        use strum::IntoEnumIterator;
        for s in Severity::iter() {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(Severity::parse(s.as_str()), Some(s));
        }
        for s in FindingStatus::iter() {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for k in FindingKind::iter() {
            assert_eq!(serde_json::to_value(k).unwrap(), <&str>::from(k));
        }
    }
}
