//! The `[packages]` table of gate.toml, in the spirit of cargo-deny's `[bans]`: packages that
//! must not ship (`deny`) or that someone should look at (`warn`), each with its reason, and
//! budgets on how the software may grow against the baseline.

use anyhow::{bail, Result};
use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;

use crate::model::Level;
use crate::units::Increase;

/// The ecosystems the inventory reports (DESIGN.md `packages[].ecosystem`).
pub const ECOSYSTEMS: &[&str] = &["deb", "rpm", "apk", "pypi", "npm", "golang", "cargo"];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackagesConfig {
    /// Installed packages that fail the gate (`package-denied`).
    #[serde(default)]
    pub deny: Vec<Ban>,
    /// Installed packages that warn (`package-warned`).
    #[serde(default)]
    pub warn: Vec<Ban>,
    /// At most this many packages added since the baseline (`package-growth`).
    pub max_new_packages: Option<usize>,
    /// How much one package may grow against the baseline: a size ("10MB", which an added
    /// package's whole size counts against too) or a share of its size there ("50%").
    #[serde(default, deserialize_with = "crate::units::de::increase_opt")]
    pub max_package_growth: Option<Increase>,
    /// The level of `package-growth` findings: "deny" (default) fails the gate, "warn" warns,
    /// "allow" leaves the budgets unchecked.
    #[serde(default)]
    pub growth_level: Option<Level>,
}

/// One entry of `deny` or `warn`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ban {
    /// A glob over package names (`gcc*`, `*-dev`, `boto3`); case-insensitive, and for PyPI
    /// under PEP 503 normalization (`Foo_Bar` matches `foo-bar`).
    pub name: String,
    /// Only packages of this ecosystem (default: any).
    #[serde(default)]
    pub ecosystem: Option<String>,
    /// Why: shown in the finding, so the author of the pull request learns the rule.
    #[serde(default)]
    pub reason: String,
}

/// PEP 503: runs of `-`, `_` and `.` are one `-`, case does not matter (the inventory's own
/// normalization, so a policy names a package as the report does).
pub use crate::packages::pep503;

impl Ban {
    /// The glob as given (for every ecosystem) and PEP 503-normalized (for PyPI names).
    pub fn matchers(&self) -> Result<(GlobMatcher, GlobMatcher)> {
        let build = |pattern: &str| {
            GlobBuilder::new(pattern)
                .case_insensitive(true)
                .literal_separator(false)
                .build()
                .map(|g| g.compile_matcher())
        };
        // The pattern under PEP 503's separators too, so `*_dev` means what `*-dev` does.
        let mut normalized = String::with_capacity(self.name.len());
        for c in self.name.chars() {
            let c = if matches!(c, '_' | '.') { '-' } else { c };
            if !(c == '-' && normalized.ends_with('-')) {
                normalized.push(c);
            }
        }
        Ok((build(&self.name)?, build(&normalized)?))
    }

    pub fn applies_to(&self, ecosystem: &str) -> bool {
        self.ecosystem.as_deref().is_none_or(|e| e == ecosystem)
    }
}

impl PackagesConfig {
    /// Each mistake is named by its key and entry, so the user finds the line.
    pub fn validate(&self) -> Result<()> {
        for (list, entries) in [("deny", &self.deny), ("warn", &self.warn)] {
            for (i, b) in entries.iter().enumerate() {
                let at = format!("[packages] {list}[{i}] (name = {:?})", b.name);
                if b.name.trim().is_empty() {
                    bail!("{at}: name is empty; expected a package name or glob such as \"gcc*\"");
                }
                if let Err(e) = b.matchers() {
                    bail!("{at}: name is not a valid glob: {e}");
                }
                if let Some(e) = &b.ecosystem {
                    if !ECOSYSTEMS.contains(&e.as_str()) {
                        bail!(
                            "{at}: ecosystem = {e:?}; expected one of {}",
                            ECOSYSTEMS.join(", ")
                        );
                    }
                }
                if b.reason.trim().is_empty() {
                    bail!("{at}: reason is missing; say why, the finding shows it to the author");
                }
            }
        }
        Ok(())
    }

    pub fn growth_level(&self) -> Level {
        self.growth_level.unwrap_or(Level::Deny)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_names() {
        assert_eq!(pep503("Foo_Bar.baz"), "foo-bar-baz");
        assert_eq!(pep503("zope.interface"), "zope-interface");
        assert_eq!(pep503("a--_b"), "a-b");
    }

    #[test]
    fn globs_match_case_insensitively_and_pypi_names_normalized() {
        let ban = |name: &str| Ban {
            name: name.into(),
            ecosystem: None,
            reason: "r".into(),
        };
        let (raw, norm) = ban("gcc*").matchers().unwrap();
        assert!(raw.is_match("gcc-12") && raw.is_match("GCC") && !raw.is_match("libgcc-s1"));
        assert!(norm.is_match("gcc-12"));
        let (raw, norm) = ban("*-dev").matchers().unwrap();
        assert!(raw.is_match("libssl-dev") && !raw.is_match("devscripts"));
        assert!(norm.is_match("libssl-dev"));
        let (_, norm) = ban("Typing_Extensions").matchers().unwrap();
        assert!(norm.is_match(pep503("typing.extensions")));
        let (_, norm) = ban("*_dev").matchers().unwrap();
        assert!(norm.is_match(pep503("foo.dev")));
    }
}
