//! The `[lambda]` table of gate.toml: a level per post-deploy rule, and the margins the
//! deployed configuration is held to.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use serde::Deserialize;

use crate::model::{Family, Level, RuleId};

/// No `deny_unknown_fields`: serde cannot combine it with `flatten` (every rule level would be
/// refused as unknown). A misspelt key is still refused: its value is not a level, or
/// `validate` finds no rule of that id.
#[derive(Debug, Clone, Deserialize)]
pub struct LambdaConfig {
    /// The timeout must be at least this many times the slowest measured call (p99 and max)…
    #[serde(default = "default_timeout_margin")]
    pub timeout_margin: f64,
    /// …and at most this many times it (a 900 s timeout on a 50 ms function bills 900 s for
    /// every hung call). Timeouts up to 30 s are never called too long.
    #[serde(default = "default_max_timeout_ratio")]
    pub max_timeout_ratio: f64,
    /// Share of the configured memory to keep free above the most the function used.
    #[serde(default = "default_memory_headroom")]
    pub memory_headroom: f64,
    /// Used memory below this share of the configured memory is paying for memory that is
    /// never used; the finding suggests the size that keeps `memory_headroom`.
    #[serde(default = "default_memory_overprovisioned")]
    pub memory_overprovisioned: f64,
    /// Logs kept longer than this (or forever) are a finding; unset, only "never expire" is.
    #[serde(default)]
    pub max_log_retention_days: Option<u64>,
    /// `rule-id = "deny" | "warn" | "allow"`.
    #[serde(flatten)]
    pub levels: BTreeMap<String, Level>,
}

fn default_timeout_margin() -> f64 {
    1.5
}
fn default_max_timeout_ratio() -> f64 {
    100.0
}
fn default_memory_headroom() -> f64 {
    0.2
}
fn default_memory_overprovisioned() -> f64 {
    0.25
}

impl Default for LambdaConfig {
    fn default() -> Self {
        LambdaConfig {
            timeout_margin: default_timeout_margin(),
            max_timeout_ratio: default_max_timeout_ratio(),
            memory_headroom: default_memory_headroom(),
            memory_overprovisioned: default_memory_overprovisioned(),
            max_log_retention_days: None,
            levels: BTreeMap::new(),
        }
    }
}

impl LambdaConfig {
    pub fn validate(&self) -> Result<()> {
        for id in self.levels.keys() {
            if RuleId::from_id(id).is_none_or(|r| r.family() != Family::Lambda) {
                bail!(
                    "[lambda] {id:?} is not a post-deploy rule id (see `gate init` for the list)"
                );
            }
        }
        let ratio = |key: &str, v: f64, lo: f64, hi: f64| -> Result<()> {
            if !(v.is_finite() && v >= lo && v <= hi) {
                bail!("[lambda] {key} = {v}: expected a number from {lo} to {hi}");
            }
            Ok(())
        };
        ratio("timeout_margin", self.timeout_margin, 1.0, 100.0)?;
        ratio("max_timeout_ratio", self.max_timeout_ratio, 1.0, 1e6)?;
        ratio("memory_headroom", self.memory_headroom, 0.0, 0.9)?;
        ratio(
            "memory_overprovisioned",
            self.memory_overprovisioned,
            0.0,
            1.0,
        )?;
        Ok(())
    }

    /// The level gate.toml sets for `id`, else its default. The map keeps the file's
    /// spelling (`validate` has refused any key that is not a `[lambda]` rule).
    pub fn level(&self, id: RuleId) -> Level {
        self.levels
            .get(id.id())
            .copied()
            .unwrap_or_else(|| id.default_level())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<LambdaConfig> {
        let c: LambdaConfig = toml::from_str(text)?;
        c.validate()?;
        Ok(c)
    }

    #[test]
    fn rule_levels_are_read_beside_the_margins() {
        let c = parse("timeout_margin = 2.0\nlambda-no-dlq = \"allow\"\n").unwrap();
        assert_eq!(c.level(RuleId::LambdaNoDlq), Level::Allow);
        assert_eq!(c.timeout_margin, 2.0);
    }

    #[test]
    fn a_misspelt_key_is_refused() {
        assert!(parse("timeout_margn = 2.0\n").is_err());
        let e = parse("lambda-no-dql = \"allow\"\n").unwrap_err();
        assert!(e.to_string().contains("not a post-deploy rule id"), "{e}");
    }
}
