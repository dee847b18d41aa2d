//! gate.toml: the team's budgets, thresholds, rule levels and ignores, in one file.
//!
//! Each family owns its table (`rules::cfg`, `security::cfg`, `perf::cfg`); this module only
//! composes them, finds the file and reports errors with the file's name. Flags override the
//! file: the CLI builds a `Policy` from the file and then applies what the user typed.
//!
//! On a pull request the file is the base commit's (`base`, read through `git`), and the pull
//! request's own is compared with it (`diff`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub mod base;
pub mod diff;
pub mod git;
use serde::Deserialize;

/// The file looked for in the working directory when `--policy` is not given.
pub const DEFAULT_FILE: &str = "gate.toml";

/// gate.toml checked: what the jobs read. Built only by `from_toml` (or `Default`), so every
/// table in it has been through its checks once.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub image: ImagePolicy,
    pub rules: crate::rules::cfg::RulesConfig,
    pub security: crate::security::cfg::SecurityConfig,
    pub perf: crate::perf::cfg::PerfConfig,
    pub packages: crate::package_policy::cfg::PackagesConfig,
    pub lambda: crate::deployed::cfg::LambdaConfig,
}

/// gate.toml as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    image: ImagePolicy,
    #[serde(default)]
    rules: crate::rules::cfg::RawRules,
    #[serde(default)]
    security: crate::security::cfg::RawSecurity,
    #[serde(default)]
    perf: crate::perf::cfg::PerfConfig,
    #[serde(default)]
    packages: crate::package_policy::cfg::PackagesConfig,
    #[serde(default)]
    lambda: crate::deployed::cfg::LambdaConfig,
}

/// `[image]`, and the flags that override it: `budget` defines each budget once.
pub use crate::budget::ImagePolicy;

/// What the command line may set over gate.toml, as typed: `None`/`false` is "not given".
/// The CLI fills it and `Policy::with_flags` decides, so precedence and the flag-named errors
/// are the library's, and tested here.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub platform: Option<String>,
    /// The budget flags (`--max-size` …), in `[image]`'s own type.
    pub budgets: ImagePolicy,
    /// The function's architecture, for lambda-architecture.
    pub architecture: Option<String>,
    pub fail_on: Option<crate::model::security::Severity>,
    /// Switches: given, they turn the file's setting on; absent, they leave it.
    pub only_fixed: bool,
    pub new_only: bool,
    pub trivyignore: Option<PathBuf>,
}

/// The commented gate.toml `gate init` writes: every table, every option, its default.
/// Each family documents its own table next to its code.
pub fn template() -> String {
    [
        include_str!("../image/gate.toml"),
        crate::rules::cfg::template().as_str(),
        include_str!("../security/gate.toml"),
        include_str!("../perf/gate.toml"),
        include_str!("../package_policy/gate.toml"),
        include_str!("../deployed/gate.toml"),
    ]
    .iter()
    .map(|s| s.trim())
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join("\n\n")
        + "\n"
}

/// The `[table] key` a TOML error points at, read from the line its span starts on: toml's
/// own message gives the line and column but not the key.
fn key_at(text: &str, span: Option<std::ops::Range<usize>>) -> Option<String> {
    let start = span?.start.min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next()?;
    let key = line.split_once('=')?.0.trim();
    if key.is_empty() || key.starts_with('[') {
        return None;
    }
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|t| format!("{t} "))
        .unwrap_or_default();
    Some(format!("{table}{key}"))
}

impl Policy {
    pub fn from_toml(text: &str, origin: &Path) -> Result<Policy> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            if let Some(key) = key_at(text, e.span()) {
                return anyhow::anyhow!("{}: {key}: {}", origin.display(), e.message().trim());
            }
            // toml's messages span several lines (a snippet of the file); keep the first,
            // which says what and where, to honour the one-line error contract.
            let msg = e.to_string();
            let first = msg
                .lines()
                .next()
                .unwrap_or("invalid TOML")
                .trim()
                .to_string();
            let detail = msg
                .lines()
                .skip(1)
                .map(str::trim)
                .filter(|l| {
                    !l.is_empty() && !l.starts_with('|') && !l.chars().all(|c| c == '^' || c == ' ')
                })
                .last()
                .unwrap_or("");
            anyhow::anyhow!("{}: {} {}", origin.display(), first, detail)
        })?;
        Policy::check(raw).map_err(|e| anyhow::anyhow!("{}: {e}", origin.display()))
    }

    /// Each table's checks, in the file's order, so the first error is the first in the file.
    fn check(raw: RawPolicy) -> Result<Policy> {
        raw.image.validate()?;
        let rules = crate::rules::cfg::RulesConfig::try_from(raw.rules)?;
        let security = crate::security::cfg::SecurityConfig::try_from(raw.security)?;
        raw.packages.validate()?;
        raw.lambda.validate()?;
        Ok(Policy {
            image: raw.image,
            rules,
            security,
            perf: raw.perf,
            packages: raw.packages,
            lambda: raw.lambda,
        })
    }

    /// The file's policy with the flags over it: a flag given wins, a flag absent keeps the
    /// file's value. A bad value is an error naming the flag.
    pub fn with_flags(mut self, f: &Flags) -> Result<Policy> {
        let p = &mut self.image;
        if let Some(want) = &f.platform {
            crate::image::Platform::parse(want)
                .map_err(|e| anyhow::anyhow!("--platform {want:?}: {e:#}"))?;
            p.platform = Some(want.clone());
        }
        p.overlay(&f.budgets);
        if let Some(e) = p.min_efficiency {
            anyhow::ensure!(
                (0.0..=1.0).contains(&e),
                "--min-efficiency {e}: expected a ratio between 0 and 1"
            );
        }
        if let Some(a) = &f.architecture {
            self.rules
                .set_architecture(a.clone())
                .map_err(|e| anyhow::anyhow!("--architecture: {e}"))?;
        }
        let s = &mut self.security;
        if let Some(sev) = f.fail_on {
            s.fail_on = sev;
        }
        s.only_fixed |= f.only_fixed;
        s.new_only |= f.new_only;
        if f.trivyignore.is_some() {
            s.trivyignore = f.trivyignore.clone();
        }
        Ok(self)
    }

    /// `load`, then the flags over it: what `gate check` and `gate security` run with.
    pub fn resolve(explicit: Option<&Path>, flags: &Flags) -> Result<Policy> {
        Policy::load(explicit)?.0.with_flags(flags)
    }

    /// Loads `explicit` if given (it must exist), else `gate.toml` in the working directory if
    /// present, else the defaults.
    pub fn load(explicit: Option<&Path>) -> Result<(Policy, Option<PathBuf>)> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let p = PathBuf::from(DEFAULT_FILE);
                if !p.is_file() {
                    return Ok((Policy::default(), None));
                }
                p
            }
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{}: cannot read policy file", path.display()))?;
        let policy = Policy::from_toml(&text, &path)?;
        Ok((policy, Some(path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_init_template_is_a_valid_policy() {
        Policy::from_toml(&template(), Path::new("gate.toml")).unwrap();
    }

    fn file(text: &str) -> Policy {
        Policy::from_toml(text, Path::new("gate.toml")).unwrap()
    }

    #[test]
    fn flags_win_over_the_file_and_absent_flags_keep_it() {
        let p = file("[image]\nmax_size = \"500MB\"\nmax_layers = 9\nplatform = \"linux/arm64\"\n[rules]\narchitecture = \"arm64\"\n[security]\nfail_on = \"critical\"\nonly_fixed = true\n");
        let kept = p.clone().with_flags(&Flags::default()).unwrap();
        assert_eq!(kept.image.max_size, Some(500_000_000));
        assert_eq!(kept.image.max_layers, Some(9));
        assert_eq!(kept.image.platform.as_deref(), Some("linux/arm64"));
        assert_eq!(kept.rules.architecture(), Some("arm64"));
        assert_eq!(
            kept.security.fail_on,
            crate::model::security::Severity::Critical
        );
        assert!(
            kept.security.only_fixed,
            "an absent switch keeps the file's true"
        );

        let flags = Flags {
            budgets: ImagePolicy {
                max_size: Some(1_000),
                min_efficiency: Some(0.5),
                ..ImagePolicy::default()
            },
            platform: Some("linux/amd64".into()),
            architecture: Some("x86_64".into()),
            fail_on: Some(crate::model::security::Severity::Low),
            new_only: true,
            ..Flags::default()
        };
        let over = p.with_flags(&flags).unwrap();
        assert_eq!(over.image.max_size, Some(1_000));
        assert_eq!(over.image.max_layers, Some(9));
        assert_eq!(over.image.platform.as_deref(), Some("linux/amd64"));
        assert_eq!(over.image.min_efficiency, Some(0.5));
        assert_eq!(over.rules.architecture(), Some("x86_64"));
        assert_eq!(over.security.fail_on, crate::model::security::Severity::Low);
        assert!(over.security.new_only && over.security.only_fixed);
    }

    #[test]
    fn bad_flag_values_are_one_line_errors_naming_the_flag() {
        for (flags, want) in [
            (
                Flags {
                    platform: Some("linux/".into()),
                    ..Flags::default()
                },
                "--platform \"linux/\": invalid platform",
            ),
            (
                Flags {
                    budgets: ImagePolicy {
                        min_efficiency: Some(1.5),
                        ..ImagePolicy::default()
                    },
                    ..Flags::default()
                },
                "--min-efficiency 1.5: expected a ratio between 0 and 1",
            ),
            (
                Flags {
                    architecture: Some("s390x".into()),
                    ..Flags::default()
                },
                "--architecture: [rules] architecture = \"s390x\": Lambda runs x86_64 (amd64) or arm64",
            ),
        ] {
            let err = Policy::default().with_flags(&flags).unwrap_err();
            let err = format!("{err:#}");
            assert!(err.starts_with(want), "{err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn sizes_take_units_or_bytes() {
        let p = Policy::from_toml(
            "[image]\nmax_size = \"500MB\"\nmax_compressed = 1000\nmin_efficiency = 0.95\n",
            Path::new("gate.toml"),
        )
        .unwrap();
        assert_eq!(p.image.max_size, Some(500_000_000));
        assert_eq!(p.image.max_compressed, Some(1000));
        assert_eq!(p.image.min_efficiency, Some(0.95));
        assert_eq!(p.image.max_wasted, None);
    }

    #[test]
    fn unknown_keys_and_bad_sizes_are_one_line_errors_naming_the_file() {
        for text in [
            "[image]\nmax_sise = 5\n",
            "[image]\nmax_size = \"5 parsecs\"\n",
            "[imag]\n",
        ] {
            let err = Policy::from_toml(text, Path::new("team/gate.toml"))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("team/gate.toml: "), "{err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }
}
