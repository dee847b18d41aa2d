//! The `[security]` table of gate.toml: the one policy every scanner's findings are held to.

use std::path::PathBuf;

use anyhow::{bail, Result};
use serde::Deserialize;

use super::Severity;

/// `[security]` as the jobs read it: ignores checked, dates parsed.
pub type SecurityConfig = SecurityTable<Ignore>;

/// `[security]` as written; `SecurityConfig::try_from` checks it once.
pub type RawSecurity = SecurityTable<RawIgnore>;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityTable<I> {
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
    #[serde(default = "Vec::new")]
    pub ignore: Vec<I>,
}

/// `[[security.ignore]] id = "CVE-…", reason = "…", expires = "2027-01-31", package = "…"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIgnore {
    pub id: String,
    pub reason: String,
    #[serde(default)]
    pub expires: Option<String>,
    #[serde(default)]
    pub package: Option<String>,
}

/// An ignore, from gate.toml or a .trivyignore: its date already parsed.
#[derive(Debug, Clone)]
pub struct Ignore {
    pub id: String,
    pub reason: String,
    pub expires: Option<Expiry>,
    pub package: Option<String>,
}

/// When an ignore stops applying: the date compared with today, and the text as the user wrote
/// it, which messages quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    pub date: time::Date,
    pub text: String,
}

impl Expiry {
    pub fn parse(text: &str) -> Result<Expiry> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        Ok(Expiry {
            date: time::Date::parse(text.trim(), &format)?,
            text: text.to_string(),
        })
    }
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

impl<I> Default for SecurityTable<I> {
    fn default() -> Self {
        SecurityTable {
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

impl TryFrom<RawSecurity> for SecurityConfig {
    type Error = anyhow::Error;

    fn try_from(raw: RawSecurity) -> Result<SecurityConfig> {
        let mut ignore = Vec::with_capacity(raw.ignore.len());
        for i in raw.ignore {
            if i.reason.trim().is_empty() {
                bail!("[[security.ignore]] {}: an ignore needs a reason", i.id);
            }
            let expires = match &i.expires {
                Some(e) => Some(Expiry::parse(e).map_err(|_| {
                    anyhow::anyhow!(
                        "[[security.ignore]] {}: expires = {e:?} is not a YYYY-MM-DD date",
                        i.id
                    )
                })?),
                None => None,
            };
            ignore.push(Ignore {
                id: i.id,
                reason: i.reason,
                expires,
                package: i.package,
            });
        }
        Ok(SecurityTable {
            fail_on: raw.fail_on,
            only_fixed: raw.only_fixed,
            secrets: raw.secrets,
            new_only: raw.new_only,
            default_severity: raw.default_severity,
            trivyignore: raw.trivyignore,
            ignore,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SecurityConfig> {
        SecurityConfig::try_from(toml::from_str::<RawSecurity>(text)?)
    }

    #[test]
    fn expiry_dates_are_parsed_once_and_keep_their_text() {
        let cfg = parse("[[ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpires = \"2027-01-31\"\n")
            .unwrap();
        let e = cfg.ignore[0].expires.as_ref().unwrap();
        assert_eq!(e.date, time::macros::date!(2027 - 01 - 31));
        assert_eq!(e.text, "2027-01-31");
    }

    #[test]
    fn a_bad_date_or_an_empty_reason_names_the_ignore() {
        let err = parse("[[ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpires = \"31/01/2027\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "[[security.ignore]] CVE-1: expires = \"31/01/2027\" is not a YYYY-MM-DD date"
        );
        let err = parse("[[ignore]]\nid = \"CVE-2\"\nreason = \" \"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "[[security.ignore]] CVE-2: an ignore needs a reason");
    }
}
