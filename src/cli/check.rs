//! `gate check IMAGE`: the image job, plus security and perf when asked, in one Report.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use lambda_gate::check::{check_image, increase_checks, inspect};
use lambda_gate::image::ScanOptions;
use lambda_gate::policy::Policy;
use lambda_gate::report::Report;
use lambda_gate::units::{parse_size, Increase};

#[derive(Args)]
pub struct CheckArgs {
    /// Image archive (docker save, podman save, skopeo, buildah, kaniko) or OCI layout directory.
    pub image: PathBuf,

    /// Platform to check in a multi-platform image, e.g. linux/arm64 (default: linux/amd64,
    /// else the only one).
    #[arg(long)]
    pub platform: Option<String>,

    /// Which image of an archive holding several (a RepoTag or ref name, or 1, 2, …).
    #[arg(long = "image", value_name = "REF")]
    pub image_ref: Option<String>,

    #[command(flatten)]
    pub output: super::output::OutputArgs,

    /// Policy file (default: ./gate.toml when present).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// Fail when the uncompressed size is above this (e.g. 500MB, 1GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,

    /// Fail when the compressed (stored) size is above this.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_compressed: Option<u64>,

    /// Fail when the bytes hidden by later layers are above this.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_wasted: Option<u64>,

    /// Fail when dive's efficiency score is below this ratio (0–1).
    #[arg(long, value_name = "RATIO")]
    pub min_efficiency: Option<f64>,

    /// Fail when the image has more layers than this.
    #[arg(long, value_name = "N")]
    pub max_layers: Option<usize>,

    /// Growth allowed against --baseline: a size ("5MB") or a share of the base ("2%").
    #[arg(long, value_name = "SIZE|PCT", value_parser = Increase::parse)]
    pub max_size_increase: Option<Increase>,

    /// Compressed growth allowed against --baseline: a size or a percent.
    #[arg(long, value_name = "SIZE|PCT", value_parser = Increase::parse)]
    pub max_compressed_increase: Option<Increase>,

    /// Skip sha256 verification of blobs and layers (faster on uncompressed layers).
    #[arg(long)]
    pub no_verify: bool,

    /// Skip the package inventory (`packages[]`): the package databases are not read.
    #[arg(long)]
    pub no_packages: bool,

    /// How many times its stored size a layer may expand when decompressed.
    #[arg(long, value_name = "RATIO", default_value_t = ScanOptions::default().max_expansion)]
    pub max_expansion: u64,

    #[command(flatten)]
    pub rules: super::rules::RulesArgs,

    #[command(flatten)]
    pub security: super::security::SecurityArgs,

    #[command(flatten)]
    pub perf: super::perf::PerfCheckArgs,

    #[command(flatten)]
    pub github: super::github::GithubArgs,
}

pub fn run(args: CheckArgs) -> Result<i32> {
    let (mut policy, _) = Policy::load(args.policy.as_deref())?;
    apply_flags(&mut policy, &args)?;
    let opts = ScanOptions {
        verify: !args.no_verify,
        max_expansion: args.max_expansion.max(1),
        capture: (!args.no_packages).then(lambda_gate::packages::capture),
    };
    args.rules.apply(&mut policy)?;
    let baseline = args.output.load_baseline()?;
    let facts = inspect(&args.image, &policy.image, args.image_ref.clone(), &opts)?;
    let mut report = Report::default();
    check_image(&mut report, &args.image, &facts, &policy, opts.verify);
    increase_checks(&mut report, baseline.as_ref(), &policy.image);
    args.rules.add_dive_ci(&mut report)?;
    args.security
        .add_to_report(&policy, baseline.as_ref(), &mut report)?;
    args.perf.add_to_report(&policy, &mut report)?;
    if let (Some(base), Some(path)) = (&baseline, &args.output.baseline) {
        report.baseline = Some(lambda_gate::report::Baseline::from_report(
            &path.display().to_string(),
            base,
        ));
    }
    let report = report.finalize();
    args.output.emit(&report)?;
    let path = args.output.output.as_ref().map(|p| p.display().to_string());
    args.github.publish(&report, path.as_deref())?;
    Ok(report.verdict.exit_code())
}

/// Flags win over gate.toml.
fn apply_flags(policy: &mut Policy, args: &CheckArgs) -> Result<()> {
    let p = &mut policy.image;
    if args.platform.is_some() {
        p.platform = args.platform.clone();
    }
    p.max_size = args.max_size.or(p.max_size);
    p.max_compressed = args.max_compressed.or(p.max_compressed);
    p.max_wasted = args.max_wasted.or(p.max_wasted);
    p.min_efficiency = args.min_efficiency.or(p.min_efficiency);
    p.max_layers = args.max_layers.or(p.max_layers);
    p.max_size_increase = args.max_size_increase.or(p.max_size_increase);
    p.max_compressed_increase = args.max_compressed_increase.or(p.max_compressed_increase);
    if let Some(e) = p.min_efficiency {
        anyhow::ensure!(
            (0.0..=1.0).contains(&e),
            "--min-efficiency {e}: expected a ratio between 0 and 1"
        );
    }
    Ok(())
}
