//! The `[security]` table of gate.toml: the one policy every scanner's findings are held to.

use std::path::PathBuf;

use anyhow::{bail, Result};
use serde::Deserialize;

use super::Severity;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    /// The gate fails on findings at or above this severity (all are reported).
    #[serde(default = "high")]
    pub fail_on: Severity,
    /// Findings with no fixed version do not fail the gate.
    #[serde(default)]
    pub only_fixed: bool,
    /// Any secret fails the gate.
    #[serde(default = "yes")]
    pub secrets: bool,
    /// With a baseline, only findings new since it fail the gate.
    #[serde(default)]
    pub new_only: bool,
    /// Severity of advisories that carry none (most RustSec advisories have no CVSS).
    #[serde(default = "medium")]
    pub default_severity: Severity,
    /// A .trivyignore file to honour (ids, one per line, optional `exp:YYYY-MM-DD`).
    #[serde(default)]
    pub trivyignore: Option<PathBuf>,
    #[serde(default)]
    pub ignore: Vec<Ignore>,
}

/// `[[security.ignore]] id = "CVE-…", reason = "…", expires = "2027-01-31", package = "…"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ignore {
    pub id: String,
    pub reason: String,
    #[serde(default)]
    pub expires: Option<String>,
    #[serde(default)]
    pub package: Option<String>,
}

fn high() -> Severity {
    Severity::High
}
fn medium() -> Severity {
    Severity::Medium
}
fn yes() -> bool {
    true
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            fail_on: high(),
            only_fixed: false,
            secrets: true,
            new_only: false,
            default_severity: medium(),
            trivyignore: None,
            ignore: Vec::new(),
        }
    }
}

impl SecurityConfig {
    pub fn validate(&self) -> Result<()> {
        for i in &self.ignore {
            if i.reason.trim().is_empty() {
                bail!("[[security.ignore]] {}: an ignore needs a reason", i.id);
            }
            if let Some(e) = &i.expires {
                parse_date(e).map_err(|_| {
                    anyhow::anyhow!(
                        "[[security.ignore]] {}: expires = {e:?} is not a YYYY-MM-DD date",
                        i.id
                    )
                })?;
            }
        }
        Ok(())
    }
}

pub fn parse_date(s: &str) -> Result<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Ok(time::Date::parse(s.trim(), &format)?)
}
