//! `policy_changes`: what a pull request changes in the gate's own policy (gate.toml and the
//! ignore files it names), against the policy of its base commit.
//!
//! A pull request that loosens the policy would otherwise pass a gate it rewrote itself; the
//! gate obeys the base's policy and shows the reviewer each change, old → new, and which way
//! it moves the gate.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyChanges {
    /// The base commit the base's policy was read from (a full object id).
    pub base: String,
    /// Whose policy the gate obeyed: "base" (the default on pull requests) or "head"
    /// (`policy-from: head`, which trusts the pull request's own policy).
    pub obeyed: String,
    /// The policy file at the base, e.g. `gate.toml`; absent when the base has none (its
    /// policy is the defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_file: Option<String>,
    /// The policy file of the pull request; absent when it has none (deleted or never added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_file: Option<String>,
    /// Every setting that differs, in the file's order (image, rules, security, packages,
    /// lambda, perf).
    #[serde(default)]
    pub changes: Vec<PolicyChange>,
}

impl PolicyChanges {
    /// The changes that make the gate easier to pass: what `policy-loosened` reports.
    pub fn loosening(&self) -> impl Iterator<Item = &PolicyChange> {
        self.changes
            .iter()
            .filter(|c| c.direction == Direction::Loosening)
    }
}

/// One setting, old → new. Values are as gate.toml spells them (`"500MB"`, `"warn"`); `None`
/// is "not set" (the default applies, or for an ignore: not there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyChange {
    /// `[table] key`, e.g. `[image] max_size`, `[rules] pip-cache`,
    /// `[[security.ignore]] CVE-2024-1234`.
    pub setting: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    pub direction: Direction,
}

/// Which way a change moves the gate.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Direction {
    /// Easier to pass: a budget raised, a rule lowered, an ignore added or extended.
    Loosening,
    /// Harder to pass.
    Tightening,
    /// Neither, or not comparable (a platform, a reason reworded, a percent budget turned
    /// into a size).
    Changed,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    /// The comment prints `as_str` where the JSON has serde's name: one spelling.
    #[test]
    fn direction_names_are_the_json_names() {
        for d in Direction::iter() {
            assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
        }
    }
}
