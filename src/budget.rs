//! Budgets: the limits a team sets on the image's measured numbers (`[image]` in gate.toml,
//! or the same-named flags), Lambda's own size limit, and the growth allowed against the
//! base branch's report. Each budget is defined once, in `image_policy!` below: its field,
//! its flag (clap) and its gate.toml key (serde) are one declaration; its check is one line
//! of `checks` or `increase_checks`. A failed size budget says what it is made of
//! (`explain`).

use anyhow::Result;
use serde::Deserialize;

use crate::image::Scan;
use crate::model::{Check, ImageSummary, Level, Report, RuleId, Status, Unit};
use crate::rules::cfg::RulesConfig;

use crate::rules::lambda::SIZE_LIMIT;
use crate::units::{self, format_delta, format_size, parse_size, Increase};

/// Declares `[image]` once: every budget is an optional field whose doc comment is the flag's
/// help, with its clap and serde attributes side by side; `overlay` (the flags over the file)
/// follows from the same list, so a new budget cannot be missed there.
macro_rules! image_policy {
    ($( $(#[$m:meta])* $name:ident: $ty:ty, )*) => {
        /// `[image]`: budgets on the measured numbers. Unset means unchecked. Also the
        /// budget flags of `gate check` (`--max-size` …), which `Policy::with_flags` lays
        /// over the file.
        #[derive(Debug, Clone, Default, Deserialize, clap::Args)]
        #[serde(deny_unknown_fields)]
        pub struct ImagePolicy {
            $( $(#[$m])* pub $name: Option<$ty>, )*
            /// Platform to pick from a multi-platform index, e.g. "linux/arm64" (its flag,
            /// `--platform`, serves more than the budgets and is `gate check`'s own).
            #[arg(skip)]
            pub platform: Option<String>,
        }

        impl ImagePolicy {
            /// The flags' budgets over the file's: a flag given wins, one absent keeps the
            /// file's value.
            pub fn overlay(&mut self, flags: &ImagePolicy) {
                $( if flags.$name.is_some() { self.$name = flags.$name.clone(); } )*
            }
        }
    };
}

image_policy! {
    /// Fail when the uncompressed size is above this (e.g. 500MB, 1GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    #[serde(default, deserialize_with = "units::de::size_opt")]
    max_size: u64,
    /// Fail when the compressed (stored) size is above this.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    #[serde(default, deserialize_with = "units::de::size_opt")]
    max_compressed: u64,
    /// Fail when the bytes hidden by later layers are above this.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    #[serde(default, deserialize_with = "units::de::size_opt")]
    max_wasted: u64,
    /// Fail when dive's efficiency score is below this ratio (0–1).
    #[arg(long, value_name = "RATIO")]
    #[serde(default)]
    min_efficiency: f64,
    /// Fail when the image has more layers than this.
    #[arg(long, value_name = "N")]
    #[serde(default)]
    max_layers: usize,
    /// Growth allowed against --baseline: a size ("5MB") or a share of the base ("2%").
    #[arg(long, value_name = "SIZE|PCT", value_parser = Increase::parse)]
    #[serde(default, deserialize_with = "units::de::increase_opt")]
    max_size_increase: Increase,
    /// Compressed growth allowed against --baseline: a size or a percent.
    #[arg(long, value_name = "SIZE|PCT", value_parser = Increase::parse)]
    #[serde(default, deserialize_with = "units::de::increase_opt")]
    max_compressed_increase: Increase,
}

impl ImagePolicy {
    /// What serde's types cannot say: a ratio is between 0 and 1 (NaN is not), a platform is
    /// os/arch[/variant].
    pub fn validate(&self) -> Result<()> {
        if let Some(e) = self.min_efficiency {
            if !(0.0..=1.0).contains(&e) {
                anyhow::bail!(
                    "[image] min_efficiency = {e}: expected a ratio between 0 and 1, e.g. 0.95"
                );
            }
        }
        if let Some(p) = &self.platform {
            crate::image::Platform::parse(p)
                .map_err(|e| anyhow::anyhow!("[image] platform = {p:?}: {e:#}"))?;
        }
        Ok(())
    }
}

/// The absolute budgets of `[image]` (and their flags) held to the scan.
pub fn checks(scan: &Scan, layer_count: usize, p: &ImagePolicy) -> Vec<Check> {
    let mut checks = Vec::new();
    if let Some(max) = p.max_size {
        checks.push(Check::at_most(
            "max-size",
            max,
            scan.size_bytes,
            Unit::Bytes,
        ));
    }
    if let Some(max) = p.max_compressed {
        checks.push(Check::at_most(
            "max-compressed",
            max,
            scan.compressed_bytes,
            Unit::Bytes,
        ));
    }
    if let Some(max) = p.max_wasted {
        checks.push(Check::at_most(
            "max-wasted",
            max,
            scan.wasted_bytes,
            Unit::Bytes,
        ));
    }
    if let Some(min) = p.min_efficiency {
        checks.push(Check::at_least_f64(
            "min-efficiency",
            min,
            scan.dive.efficiency,
            Unit::Ratio,
        ));
    }
    if let Some(max) = p.max_layers {
        checks.push(Check::at_most(
            "max-layers",
            max as u64,
            layer_count as u64,
            Unit::Count,
        ));
    }
    checks
}

/// Budgets relative to the base branch's report: how much the image may grow in one change.
/// Without a baseline there is nothing to compare, which the notes say rather than a pass.
pub fn increase_checks(report: &mut Report, base: Option<&Report>, p: &ImagePolicy) {
    type Figure = fn(&ImageSummary) -> u64;
    let wanted: [(&str, Option<units::Increase>, Figure); 2] = [
        ("max-size-increase", p.max_size_increase, |s| s.size_bytes),
        ("max-compressed-increase", p.max_compressed_increase, |s| {
            s.compressed_bytes
        }),
    ];
    let Some(now) = report.image.as_ref() else {
        return;
    };
    for (name, limit, figure) in wanted {
        let Some(limit) = limit else { continue };
        let Some(before) = base.and_then(|b| b.image.as_ref()) else {
            report.notes.push(format!(
                "{name} is set but there is no baseline image report (--baseline): not checked"
            ));
            continue;
        };
        let (was, is) = (figure(before), figure(now));
        let allowed = limit.allowance(was);
        let grew = is as i128 - was as i128;
        report.checks.push(Check {
            name: name.into(),
            limit: allowed.into(),
            actual: (grew as i64).into(),
            status: if grew > allowed as i128 {
                Status::Fail
            } else {
                Status::Pass
            },
            unit: Some(Unit::Bytes),
            detail: Some(format!(
                "{} on the base, {} now ({}; allowed {})",
                units::format_size(was),
                units::format_size(is),
                units::format_delta(grew),
                limit.describe()
            )),
        });
    }
}

/// The `lambda-size-limit` check every report lists, pass or fail. It and the finding below are
/// one fact, so the rule's level sets both: `warn` makes an over-limit image warn, `allow`
/// drops the check with the finding.
pub fn lambda_size(scan: &Scan, cfg: &RulesConfig) -> Option<Check> {
    let code = RuleId::LambdaSizeLimit;
    let mut check = Check::at_most(code.id(), SIZE_LIMIT, scan.size_bytes, Unit::Bytes)
        .with_detail(format!(
            "Lambda accepts images up to 10 GiB uncompressed; {} left",
            format_size(SIZE_LIMIT.saturating_sub(scan.size_bytes))
        ));
    match cfg.level(code) {
        Level::Allow => return None,
        Level::Warn if check.status == Status::Fail => check.status = Status::Warn,
        Level::Warn | Level::Deny => {}
    }
    Some(check)
}

/// Names what a failed size budget is made of in its `detail`: the changes against the
/// baseline for the relative budgets, the largest packages and directories for `max-size`.
/// `growth` and `size` are `delta`'s words for what changed against the base and what is
/// largest now.
pub fn explain(report: &mut Report, growth: &str, size: &str) {
    for c in &mut report.checks {
        if c.status == crate::model::Status::Pass {
            continue;
        }
        let why = match c.name.as_str() {
            "max-size-increase" | "max-compressed-increase" if !growth.is_empty() => {
                format!(
                    "{}: {growth}",
                    format_delta(c.actual.as_i64().unwrap_or(0) as i128)
                )
            }
            "max-size" | "max-compressed" | "lambda-size-limit" if !growth.is_empty() => {
                format!("what grew since the base: {growth}")
            }
            "max-size" | "max-compressed" | "lambda-size-limit" if !size.is_empty() => {
                format!("the largest: {size}")
            }
            _ => continue,
        };
        c.detail = Some(match c.detail.take() {
            Some(d) if !d.is_empty() => format!("{d} — {why}"),
            _ => why,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Args, FromArgMatches};

    /// Every budget is a flag, a gate.toml key and a line of `overlay`, from its one
    /// declaration: each flag given reaches the policy, each key is read.
    #[test]
    fn each_budget_is_a_flag_and_a_key_from_one_declaration() {
        let cmd = ImagePolicy::augment_args(clap::Command::new("gate"));
        let m = cmd.get_matches_from([
            "gate",
            "--max-size=1MB",
            "--max-compressed=2MB",
            "--max-wasted=3MB",
            "--min-efficiency=0.5",
            "--max-layers=4",
            "--max-size-increase=5%",
            "--max-compressed-increase=6MB",
        ]);
        let flags = ImagePolicy::from_arg_matches(&m).unwrap();
        let mut p = ImagePolicy::default();
        p.overlay(&flags);
        let shown = format!("{p:?}");
        assert_eq!(
            shown.matches("None").count(),
            1,
            "only the platform unset: {shown}"
        );
        let file: ImagePolicy = toml::from_str(
            "max_size = \"1MB\"\nmax_compressed = \"2MB\"\nmax_wasted = \"3MB\"\nmin_efficiency = 0.5\nmax_layers = 4\nmax_size_increase = \"5%\"\nmax_compressed_increase = \"6MB\"\n",
        )
        .unwrap();
        assert_eq!(format!("{file:?}"), shown);
        assert!(toml::from_str::<ImagePolicy>("max_sise = 1").is_err());
    }
}
