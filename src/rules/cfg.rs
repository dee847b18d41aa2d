//! The `[rules]` table of gate.toml: a level per rule id, and what the rules leave out.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use serde::{Deserialize, Deserializer};

use super::diags::Code;
use crate::model::Level;

#[derive(Debug, Clone, Deserialize)]
pub struct RulesConfig {
    /// A cache, toolchain, test suite or hidden group smaller than this is not worth a finding.
    #[serde(default = "default_min_bytes", deserialize_with = "size")]
    pub min_bytes: u64,
    /// Globs (e.g. "/opt/models/**") left out of waste and cache accounting.
    #[serde(default)]
    pub ignore_paths: Vec<String>,
    /// The function's architecture ("x86_64"/"amd64" or "arm64"), for lambda-architecture.
    #[serde(default)]
    pub architecture: Option<String>,
    /// `rule-id = "deny" | "warn" | "allow"`.
    #[serde(flatten)]
    pub levels: BTreeMap<String, Level>,
}

fn default_min_bytes() -> u64 {
    1_000_000
}

fn size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(crate::policy::SizeVisitor)
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            min_bytes: default_min_bytes(),
            ignore_paths: Vec::new(),
            architecture: None,
            levels: BTreeMap::new(),
        }
    }
}

impl RulesConfig {
    /// Unknown rule ids are a typo the user wants to hear about, not a silent no-op.
    pub fn validate(&self) -> Result<()> {
        for id in self.levels.keys() {
            if Code::from_id(id).is_none() {
                bail!("[rules] {id:?} is not a rule id (see `gate init` for the list)");
            }
        }
        if let Some(a) = &self.architecture {
            if normalize_arch(a).is_none() {
                bail!("[rules] architecture = {a:?}: Lambda runs x86_64 (amd64) or arm64");
            }
        }
        for g in &self.ignore_paths {
            globset::Glob::new(g.trim_start_matches('/'))
                .map_err(|e| anyhow::anyhow!("[rules] ignore_paths {g:?}: {e}"))?;
        }
        Ok(())
    }

    pub fn level(&self, code: Code) -> Level {
        self.levels
            .get(code.id())
            .copied()
            .unwrap_or_else(|| code.default_level())
    }
}

/// Lambda's names and OCI's names for the two architectures it runs.
pub fn normalize_arch(a: &str) -> Option<&'static str> {
    match a.to_ascii_lowercase().as_str() {
        "x86_64" | "amd64" | "x86-64" => Some("amd64"),
        "arm64" | "aarch64" => Some("arm64"),
        _ => None,
    }
}
