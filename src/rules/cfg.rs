//! The `[rules]` table of gate.toml: a level per rule id, and what the rules leave out.
//!
//! Read as `RawRules` (the file's spelling) and checked once into `RulesConfig`: rule ids become
//! `Code`s and globs a compiled set, so the rules never meet a string they must re-check.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Result};
use globset::{GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::diags::Code;
use crate::model::Level;

/// `[rules]` as written.
#[derive(Debug, Clone, Deserialize)]
pub struct RawRules {
    /// A cache, toolchain, test suite or hidden group smaller than this is not worth a finding.
    #[serde(
        default = "default_min_bytes",
        deserialize_with = "crate::units::de::size"
    )]
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

impl Default for RawRules {
    fn default() -> Self {
        RawRules {
            min_bytes: default_min_bytes(),
            ignore_paths: Vec::new(),
            architecture: None,
            levels: BTreeMap::new(),
        }
    }
}

/// `[rules]` checked: what the rule families read.
#[derive(Debug, Clone)]
pub struct RulesConfig {
    pub min_bytes: u64,
    /// `ignore_paths`, compiled (paths without their leading `/`).
    ignore: GlobSet,
    /// `ignore_paths` as written, for the comparison of a pull request's policy with its base's.
    ignore_paths: Vec<String>,
    /// As the user wrote it (messages quote it); known to be one Lambda runs.
    architecture: Option<String>,
    levels: BTreeMap<Code, Level>,
}

fn default_min_bytes() -> u64 {
    1_000_000
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig::try_from(RawRules::default()).expect("the defaults are valid")
    }
}

impl TryFrom<RawRules> for RulesConfig {
    type Error = anyhow::Error;

    /// Unknown rule ids are a typo the user wants to hear about, not a silent no-op.
    fn try_from(raw: RawRules) -> Result<RulesConfig> {
        let mut levels = BTreeMap::new();
        for (id, level) in raw.levels {
            let Some(code) = Code::from_id(&id) else {
                bail!("[rules] {id:?} is not a rule id (see `gate init` for the list)");
            };
            levels.insert(code, level);
        }
        let mut cfg = RulesConfig {
            min_bytes: raw.min_bytes,
            ignore: GlobSet::empty(),
            ignore_paths: raw.ignore_paths.clone(),
            architecture: None,
            levels,
        };
        if let Some(a) = raw.architecture {
            cfg.set_architecture(a)?;
        }
        let mut set = GlobSetBuilder::new();
        for g in &raw.ignore_paths {
            set.add(
                globset::Glob::new(g.trim_start_matches('/'))
                    .map_err(|e| anyhow!("[rules] ignore_paths {g:?}: {e}"))?,
            );
        }
        cfg.ignore = set
            .build()
            .map_err(|e| anyhow!("[rules] ignore_paths: {e}"))?;
        Ok(cfg)
    }
}

impl RulesConfig {
    pub fn level(&self, code: Code) -> Level {
        self.levels
            .get(&code)
            .copied()
            .unwrap_or_else(|| code.default_level())
    }

    /// The function's architecture (`--architecture` or the file's), checked like the file's.
    pub fn set_architecture(&mut self, a: String) -> Result<()> {
        if crate::image::arch::Arch::parse(&a).is_none() {
            bail!("[rules] architecture = {a:?}: Lambda runs x86_64 (amd64) or arm64");
        }
        self.architecture = Some(a);
        Ok(())
    }

    pub fn architecture(&self) -> Option<&str> {
        self.architecture.as_deref()
    }

    /// `ignore_paths` as the file wrote them.
    pub fn ignore_paths(&self) -> &[String] {
        &self.ignore_paths
    }

    /// Paths (without the leading `/`) the team asked to leave out of waste and cache
    /// accounting.
    pub fn ignored(&self, path: &str) -> bool {
        !self.ignore.is_empty() && self.ignore.is_match(path)
    }
}

/// `[rules]` of `gate init`'s template: the file's prose around one commented line per rule,
/// made from `Code`, so a new rule is in the template (with its default) without an edit here.
pub fn template() -> String {
    let entries: Vec<(String, &str)> = Code::all()
        .map(|c| {
            let entry = format!("{} = \"{}\"", c.id(), c.default_level().as_str());
            (entry, c.template_note())
        })
        .collect();
    let width = entries.iter().map(|(e, _)| e.len()).max().unwrap_or(0) + 2;
    let levels: String = entries
        .iter()
        .map(|(entry, note)| format!("# {entry:<width$}# {note}\n"))
        .collect();
    include_str!("gate.toml").replace("# {levels}\n", &levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RulesConfig> {
        RulesConfig::try_from(toml::from_str::<RawRules>(text)?)
    }

    #[test]
    fn levels_are_read_by_code_and_defaults_fill_the_rest() {
        let cfg = parse("pip-cache = \"deny\"\nlambda-size-limit = \"warn\"\n").unwrap();
        assert_eq!(cfg.level(Code::PipCache), Level::Deny);
        assert_eq!(cfg.level(Code::LambdaSizeLimit), Level::Warn);
        assert_eq!(cfg.level(Code::AptLists), Level::Warn);
        assert_eq!(cfg.level(Code::LambdaEntrypoint), Level::Deny);
    }

    #[test]
    fn ignore_paths_are_compiled_once_without_the_leading_slash() {
        let cfg = parse("ignore_paths = [\"/opt/models/**\", \"tmp/*.bin\"]\n").unwrap();
        assert!(cfg.ignored("opt/models/a/b.onnx"));
        assert!(cfg.ignored("tmp/x.bin"));
        assert!(!cfg.ignored("opt/other/b.onnx"));
        assert!(!RulesConfig::default().ignored("opt/models/a"));
    }

    #[test]
    fn bad_ids_globs_and_architectures_name_the_key() {
        for (text, want) in [
            (
                "pip-cash = \"deny\"\n",
                "[rules] \"pip-cash\" is not a rule id",
            ),
            (
                "ignore_paths = [\"a/[b\"]\n",
                "[rules] ignore_paths \"a/[b\"",
            ),
            (
                "architecture = \"s390x\"\n",
                "[rules] architecture = \"s390x\"",
            ),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.starts_with(want), "{err}");
        }
    }

    #[test]
    fn the_template_lists_every_rule_with_its_default_and_sets_none() {
        let t = template();
        assert!(!t.contains("{levels}"));
        for c in Code::all() {
            let line = format!("# {} = \"{}\"", c.id(), c.default_level().as_str());
            assert_eq!(t.matches(&line).count(), 1, "{line}");
        }
        // Uncommented, each line is a valid setting of its own default.
        let uncommented: String = t
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| Code::all().any(|c| l.starts_with(&format!("{} =", c.id()))))
            .map(|l| format!("{}\n", l.split(" #").next().unwrap_or(l)))
            .collect();
        let cfg = parse(&uncommented).unwrap();
        assert_eq!(cfg.levels.len(), Code::all().count());
    }

    #[test]
    fn the_readme_names_every_rule_in_its_findings_table() {
        let readme = include_str!("../../README.md");
        let table = readme
            .split("## Findings: what to change")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .expect("the README's findings section");
        // The reference is moving to docs/: a rule a page there documents in its own
        // findings table counts too.
        let pages = [include_str!("../../docs/binaries.md")];
        let page_tables: Vec<&str> = pages
            .iter()
            .filter_map(|p| p.split("## Findings").nth(1))
            .map(|s| s.split("\n## ").next().unwrap_or(s))
            .collect();
        for c in Code::all() {
            let id = format!("`{}`", c.id());
            assert!(
                table.contains(&id) || page_tables.iter().any(|t| t.contains(&id)),
                "{} is not in the README's table",
                c.id()
            );
        }
    }

    #[test]
    fn min_bytes_takes_a_unit() {
        assert_eq!(parse("min_bytes = \"5MB\"\n").unwrap().min_bytes, 5_000_000);
        assert_eq!(parse("").unwrap().min_bytes, 1_000_000);
    }
}
