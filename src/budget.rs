//! Budgets: the limits a team sets on the image's measured numbers (`[image]` in gate.toml,
//! or the same-named flags), Lambda's own size limit, and the growth allowed against the
//! base branch's report, all checked here. Each budget is defined once, in `image_policy!`
//! below: its field, its flag (clap) and its gate.toml key (serde) are one declaration; its
//! check is one line of `image` or `increase`, and the policy diff compares it by its kind
//! (`side_by_side`). A failed size budget says what it is made of (`explain`).

use anyhow::Result;
use serde::Deserialize;

use crate::image::Scan;
use crate::model::{
    Check, CheckName, DirSize, FixedCheck, ImageSummary, Package, Report, RuleId, Severity, Sink,
    Status, Unit,
};
use crate::rules::cfg::RulesConfig;
use crate::rules::Draft;
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

            /// Every budget of `base` beside the same one of `head`, by its gate.toml key:
            /// what the policy diff compares.
            pub fn side_by_side(base: &ImagePolicy, head: &ImagePolicy) -> Vec<(&'static str, Pair)> {
                vec![$( (stringify!($name), Pair::from((base.$name, head.$name))), )*]
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

/// One budget in two policies, by what kind of limit it is (which says which way is looser).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pair {
    /// An upper bound on bytes.
    Size(Option<u64>, Option<u64>),
    /// An upper bound on a count.
    Count(Option<usize>, Option<usize>),
    /// A lower bound on a ratio.
    Ratio(Option<f64>, Option<f64>),
    /// Growth allowed against the baseline.
    Increase(Option<Increase>, Option<Increase>),
}

/// A budget's field type says its kind: bytes are sizes, `usize` counts, `f64` ratios.
macro_rules! pair_from {
    ($($ty:ty => $kind:ident),*) => {$(
        impl From<(Option<$ty>, Option<$ty>)> for Pair {
            fn from((base, head): (Option<$ty>, Option<$ty>)) -> Pair {
                Pair::$kind(base, head)
            }
        }
    )*};
}

pair_from!(u64 => Size, usize => Count, f64 => Ratio, Increase => Increase);

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

/// Lambda's limit on the uncompressed image, all layers included (10 GiB).
pub const SIZE_LIMIT: u64 = 10 * (1 << 30);

/// The image's budgets held to its scan: the `[image]` limits set (and their flags), then
/// Lambda's own size limit, a check every report lists and, over it, a finding.
pub fn image(
    scan: &Scan,
    layer_count: usize,
    p: &ImagePolicy,
    rules: &RulesConfig,
    sink: &mut Sink,
) {
    use FixedCheck::{MaxCompressed, MaxLayers, MaxSize, MaxWasted, MinEfficiency};
    let at_most = |name: FixedCheck, limit: Option<u64>, actual: u64, unit: Unit| {
        limit.map(|max| Check::at_most(name, max, actual, unit))
    };
    let set = [
        at_most(MaxSize, p.max_size, scan.size_bytes, Unit::Bytes),
        at_most(
            MaxCompressed,
            p.max_compressed,
            scan.compressed_bytes,
            Unit::Bytes,
        ),
        at_most(MaxWasted, p.max_wasted, scan.wasted_bytes, Unit::Bytes),
        p.min_efficiency
            .map(|min| Check::at_least_f64(MinEfficiency, min, scan.dive.efficiency, Unit::Ratio)),
        at_most(
            MaxLayers,
            p.max_layers.map(|n| n as u64),
            layer_count as u64,
            Unit::Count,
        ),
    ];
    sink.checks.extend(set.into_iter().flatten());
    lambda_size(scan.size_bytes, rules, sink);
}

/// The `lambda-size-limit` check, pass or fail, and the finding when the image is over.
/// They are one fact, so the rule's level sets both: `warn` makes an over-limit image warn,
/// `allow` drops the check with the finding.
fn lambda_size(size: u64, cfg: &RulesConfig, sink: &mut Sink) {
    let code = RuleId::LambdaSizeLimit;
    let Some(severity) = cfg.level(code).severity() else {
        return;
    };
    let mut check = Check::at_most(FixedCheck::LambdaSizeLimit, SIZE_LIMIT, size, Unit::Bytes)
        .with_detail(format!(
            "Lambda accepts images up to 10 GiB uncompressed; {} left",
            format_size(SIZE_LIMIT.saturating_sub(size))
        ));
    if check.status == Status::Fail && severity == Severity::Warning {
        check.status = Status::Warn;
    }
    sink.checks.push(check);
    if size > SIZE_LIMIT {
        let finding = Draft::whole(
            code,
            format!(
                "the image is {} uncompressed, {} over Lambda's 10 GiB limit: the deploy will fail",
                format_size(size),
                format_size(size - SIZE_LIMIT)
            ),
            "shrink the image: remove caches and toolchains (see the other findings), use a multi-stage build, or move large data to S3/EFS".into(),
        );
        sink.findings.push(
            Draft {
                bytes: size - SIZE_LIMIT,
                ..finding
            }
            .finding(severity),
        );
    }
}

/// Budgets relative to the base branch's report: how much the image may grow in one change.
/// Without a baseline there is nothing to compare, which the notes say rather than a pass.
pub fn increase(
    now: Option<&ImageSummary>,
    base: Option<&Report>,
    p: &ImagePolicy,
    sink: &mut Sink,
) {
    type Figure = fn(&ImageSummary) -> u64;
    let wanted: [(FixedCheck, Option<units::Increase>, Figure); 2] = [
        (FixedCheck::MaxSizeIncrease, p.max_size_increase, |s| {
            s.size_bytes
        }),
        (
            FixedCheck::MaxCompressedIncrease,
            p.max_compressed_increase,
            |s| s.compressed_bytes,
        ),
    ];
    let Some(now) = now else {
        return;
    };
    for (name, limit, figure) in wanted {
        let Some(limit) = limit else { continue };
        let Some(before) = base.and_then(|b| b.image.as_ref()) else {
            sink.note(format!(
                "{name} is set but there is no baseline image report (--baseline): not checked"
            ));
            continue;
        };
        let (was, is) = (figure(before), figure(now));
        let allowed = limit.allowance(was);
        let grew = is as i128 - was as i128;
        sink.checks.push(Check {
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

/// Names what a failed size budget is made of in its `detail`: the changes against the
/// baseline for the relative budgets (`growth`, the delta's words), else the largest
/// packages and directories of the image for the absolute ones.
pub fn explain(checks: &mut [Check], growth: &str, packages: &[Package], dirs: &[DirSize]) {
    let mut size = None;
    for c in checks.iter_mut().filter(|c| c.status != Status::Pass) {
        use FixedCheck::{
            LambdaSizeLimit, MaxCompressed, MaxCompressedIncrease, MaxSize, MaxSizeIncrease,
        };
        let CheckName::Fixed(name) = c.name else {
            continue;
        };
        let why = match name {
            MaxSizeIncrease | MaxCompressedIncrease if !growth.is_empty() => {
                format!(
                    "{}: {growth}",
                    format_delta(c.actual.as_i64().unwrap_or(0) as i128)
                )
            }
            MaxSize | MaxCompressed | LambdaSizeLimit if !growth.is_empty() => {
                format!("what grew since the base: {growth}")
            }
            MaxSize | MaxCompressed | LambdaSizeLimit => {
                let size = size.get_or_insert_with(|| largest(packages, dirs));
                if size.is_empty() {
                    continue;
                }
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

/// The largest packages and top-level directories of an image: what a failed absolute size
/// budget is made of when there is no baseline to say what changed.
fn largest(packages: &[Package], dirs: &[DirSize]) -> String {
    let mut pkgs: Vec<&Package> = packages.iter().collect();
    pkgs.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
    let mut parts: Vec<String> = pkgs
        .iter()
        .take(3)
        .filter(|p| p.bytes > 0)
        .map(|p| format!("{} {} ({})", p.name, p.version, format_size(p.bytes)))
        .collect();
    // Directories one level below the largest top-level ones: /var/task, /usr/lib.
    let mut dirs: Vec<&DirSize> = dirs
        .iter()
        .filter(|d| d.path.matches('/').count() == 2)
        .collect();
    dirs.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
    parts.extend(
        dirs.iter()
            .take(2)
            .map(|d| format!("{} ({})", d.path, format_size(d.bytes))),
    );
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Args, FromArgMatches};

    use crate::rules::testing::{rules, ImageBuilder};

    /// The size check and its finding for an image of `size` bytes under the rules `cfg`.
    fn size_limit(size: u64, cfg: &str) -> Sink {
        let built = ImageBuilder::new().size_bytes(size).build();
        let mut sink = Sink::default();
        image(&built.1, 1, &ImagePolicy::default(), &rules(cfg), &mut sink);
        sink
    }

    fn verdict(sink: Sink) -> crate::model::Verdict {
        let mut r = Report::default();
        r.absorb(sink);
        r.compute_verdict()
    }

    #[test]
    fn an_image_over_the_size_limit_fails_by_default() {
        let sink = size_limit(SIZE_LIMIT + 5, "");
        assert_eq!(sink.checks[0].status, Status::Fail);
        assert_eq!(sink.findings.len(), 1);
        assert_eq!(sink.findings[0].rule, RuleId::LambdaSizeLimit);
        // The check and the rule are one fact under one name.
        assert_eq!(sink.checks[0].name, RuleId::LambdaSizeLimit.id());
        assert_eq!(sink.findings[0].bytes, 5);
        assert_eq!(sink.findings[0].severity, Severity::Error);
        assert_eq!(verdict(sink), crate::model::Verdict::Fail);
    }

    #[test]
    fn lambda_size_limit_warn_makes_an_over_limit_image_warn_not_fail() {
        let sink = size_limit(SIZE_LIMIT + 1, "lambda-size-limit = \"warn\"");
        assert_eq!(sink.checks[0].status, Status::Warn);
        assert_eq!(sink.findings[0].severity, Severity::Warning);
        assert_eq!(verdict(sink), crate::model::Verdict::Warn);
    }

    #[test]
    fn lambda_size_limit_allow_drops_the_check_and_the_finding() {
        let sink = size_limit(SIZE_LIMIT + 1, "lambda-size-limit = \"allow\"");
        assert!(sink.checks.is_empty() && sink.findings.is_empty());
    }

    #[test]
    fn an_image_under_the_limit_passes_the_check_at_any_level() {
        for level in ["deny", "warn"] {
            let sink = size_limit(SIZE_LIMIT, &format!("lambda-size-limit = \"{level}\""));
            assert_eq!(sink.checks.len(), 1);
            assert_eq!(sink.checks[0].status, Status::Pass);
            assert!(sink.findings.is_empty());
        }
    }

    #[test]
    fn budget_details_name_what_grew() {
        let mut checks = vec![Check {
            name: FixedCheck::MaxSizeIncrease.into(),
            limit: 1_000_000.into(),
            actual: 38_000_000.into(),
            status: Status::Fail,
            unit: Some(Unit::Bytes),
            detail: None,
        }];
        let growth = "pyarrow 14.0 → 17.0 (+31.0 MB), /var/task/data (+6.0 MB)";
        explain(&mut checks, growth, &[], &[]);
        assert_eq!(
            checks[0].detail.as_deref(),
            Some("+38.0 MB: pyarrow 14.0 → 17.0 (+31.0 MB), /var/task/data (+6.0 MB)")
        );
    }

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
