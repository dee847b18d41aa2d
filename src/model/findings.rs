//! The gate's own findings, and the two scales they are weighed on: the level gate.toml
//! sets for a rule and the severity a finding carries into the verdict.

use serde::{Deserialize, Serialize};

use super::RuleId;

/// A finding of the gate's own rules: what is wrong in the image and what to change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    /// Stable kebab-case rule id (DESIGN.md).
    pub rule: RuleId,
    pub severity: Severity,
    pub message: String,
    #[serde(default)]
    pub bytes: u64,
    /// Index of the layer that caused it, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// The Dockerfile instruction of that layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    pub fix: String,
    /// Related rules of other tools a user may know (e.g. hadolint `DL3042`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}

/// The level a finding carries in the verdict: `error` fails the gate, `warning` warns,
/// `info` only informs. Rules map their lint level (deny/warn/allow) onto it.
/// A scanner's vulnerability severity is another scale with its own type
/// (`model::security::Severity`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// cargo-deny's levels, as gate.toml spells them: `deny` fails the gate, `warn` warns, `allow`
/// drops the finding. Kept beside `Severity` because every rule table (image rules, deployed
/// rules, package policy) maps one onto the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::IntoStaticStr, strum::EnumIter)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    /// As gate.toml spells it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The severity a finding at this level carries; `None` for `allow`, which drops it.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Allow => None,
            Level::Warn => Some(Severity::Warning),
            Level::Deny => Some(Severity::Error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    /// The renderers print `as_str` where the JSON (and gate.toml) has serde's name: one
    /// spelling.
    #[test]
    fn names_are_the_json_names() {
        for s in Severity::iter() {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for l in Level::iter() {
            let read: Level = serde_json::from_value(l.as_str().into()).unwrap();
            assert_eq!(read, l);
        }
    }
}
