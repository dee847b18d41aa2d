//! `gate perf` (and `gate perf merge`), and the perf flags of `gate check`.

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use clap::{Args, Subcommand};

use lambda_gate::check;
use lambda_gate::perf::plan::{self, Plan};
use lambda_gate::perf::{merge, shard, PerfReport};
use lambda_gate::policy::Policy;
use lambda_gate::report::{Check, Report};

/// `gate perf --baseline FILE`: the stored run a comparison is made against (main's `gate
/// perf --output`), when its report has a perf section that kept its samples. One without
/// them (an older gate's) is said in a warning, and the budgets then warn too; a malformed
/// one is an error naming the file.
fn baseline(path: &std::path::Path) -> Result<Option<PerfReport>> {
    let r = lambda_gate::report::json::read(path, "the baseline report")?;
    let Some(p) = r.perf else {
        return Ok(None);
    };
    if p.samples.is_none() {
        eprintln!(
            "gate: warning: {}: the baseline's perf section keeps no per-request samples (an older gate wrote it): no comparison",
            path.display()
        );
        return Ok(None);
    }
    lambda_gate::perf::compare::reservoir_of(&p, 0)
        .map_err(|e| anyhow!("{}: the baseline report: {e}", path.display()))?;
    Ok(Some(p))
}

/// Runs the load described by flags and `[perf]`; returns the section and its checks.
///
/// `baseline_file`: `gate perf --baseline FILE`, compared against when it holds a perf run
/// (and no second target is driven).
pub fn run_load(
    a: &plan::Args,
    policy: &Policy,
    baseline_file: Option<&std::path::Path>,
) -> Result<(PerfReport, Vec<Check>)> {
    let mut args = a.clone();
    if let Some(path) = baseline_file {
        if a.compare_url.is_none() && a.compare_qualifier.is_none() && a.compare_endpoint.is_none()
        {
            args.baseline = baseline(path)?;
        }
    }
    let (p, checks) = Plan::resolve(&args, &policy.perf)?.run()?;
    say_how_it_ran(&p);
    Ok((p, checks))
}

/// What a load run that did not go as planned says on stderr: it started late, or a signal
/// cut it short.
pub fn say_how_it_ran(p: &PerfReport) {
    if let Some(skew) = p.start_skew_ms.filter(|s| *s > 1000.0) {
        eprintln!(
            "gate: started {:.1} s after --start-at: this shard's load ran late",
            skew / 1000.0
        );
    }
    if p.interrupted {
        eprintln!(
            "gate: interrupted: reporting the {} requests measured",
            p.requests
        );
    }
}

/// `gate check … --perf-url …`: a perf run in the same report.
#[derive(Args, Debug, Default)]
pub struct PerfCheckArgs {
    /// Drive this URL after checking the image, in the same report and verdict.
    #[arg(long = "perf-url", value_name = "URL")]
    pub url: Option<String>,
    #[arg(long = "perf-requests", value_name = "N")]
    pub requests: Option<u64>,
    #[arg(long = "perf-concurrency", value_name = "N")]
    pub concurrency: Option<usize>,
    #[arg(long = "perf-threshold", value_name = "EXPR")]
    pub thresholds: Vec<String>,
    #[arg(long = "perf-require-header", value_name = "NAME")]
    pub required_headers: Vec<String>,
    /// Take the perf section and its checks from a report `gate perf --output` wrote (the
    /// post-deploy run), so the image and the deployed function share one report and verdict.
    #[arg(long = "perf-report", value_name = "FILE", conflicts_with = "url")]
    pub report: Option<PathBuf>,
}

impl PerfCheckArgs {
    /// The perf section `gate check` asks for, for the library: a report to join, or a run.
    pub fn input(&self) -> Option<check::Perf> {
        if let Some(path) = &self.report {
            return Some(check::Perf::Report(path.clone()));
        }
        let load = plan::Args {
            url: Some(self.url.clone()?),
            requests: self.requests,
            concurrency: self.concurrency,
            thresholds: self.thresholds.clone(),
            required_headers: self.required_headers.clone(),
            architecture: "x86_64".into(),
            ..Default::default()
        };
        Some(check::Perf::Load(Box::new(load)))
    }
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct PerfCmd {
    #[command(subcommand)]
    pub sub: Option<PerfSub>,
    #[command(flatten)]
    pub load: plan::Args,
    /// Policy file (default: ./gate.toml when present).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    #[command(flatten)]
    pub output: super::output::OutputArgs,
    #[command(flatten)]
    pub github: super::github::GithubArgs,
}

#[derive(Subcommand, Debug)]
pub enum PerfSub {
    /// Merge shard results (from `--shard I/N --output …`) into one, from their histograms.
    Merge {
        #[arg(required = true, value_name = "RESULT")]
        files: Vec<PathBuf>,
        #[arg(long = "threshold", value_name = "EXPR")]
        thresholds: Vec<String>,
        #[arg(long = "require-header", value_name = "NAME")]
        required_headers: Vec<String>,
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// How late a shard may start after --start-at (default: [perf] max_start_skew, or 10s).
        #[arg(long, value_name = "DURATION")]
        max_start_skew: Option<String>,
        #[command(flatten)]
        output: super::output::OutputArgs,
        #[command(flatten)]
        github: super::github::GithubArgs,
    },
}

pub fn run(cmd: PerfCmd) -> Result<i32> {
    match cmd.sub {
        Some(PerfSub::Merge {
            files,
            thresholds,
            required_headers,
            policy,
            max_start_skew,
            output,
            github,
        }) => {
            let report = merge(
                &files,
                &thresholds,
                &required_headers,
                policy,
                max_start_skew.as_deref(),
            )?;
            output.emit(&report)?;
            let path = output.output.as_ref().map(|p| p.display().to_string());
            github.publish(&report, path.as_deref())?;
            Ok(report.verdict.exit_code())
        }
        None => {
            let (policy, _) = Policy::load(cmd.policy.as_deref())?;
            let (p, checks) = match run_load(&cmd.load, &policy, cmd.output.baseline.as_deref()) {
                Ok(r) => r,
                Err(e) => {
                    if cmd.output.output.is_some() {
                        if let Some(report) = plan::failed_shard(&cmd.load, &policy.perf, &e) {
                            // Best effort: the error below is what the user must see.
                            let _ = cmd.output.emit(&report);
                        }
                    }
                    return Err(e);
                }
            };
            let interrupted = p.interrupted.then(|| p.signal.clone());
            let mut report = Report {
                perf: Some(p),
                checks,
                ..Report::default()
            };
            if let Some(function) = &cmd.load.function {
                let a = &cmd.load;
                let f = check::Function {
                    name: function.clone(),
                    qualifier: a.qualifier.clone(),
                    region: a.region.clone(),
                    endpoint: a.endpoint.clone(),
                    answered: None,
                };
                if let Some(w) = check::add_function(&mut report, &f, &policy) {
                    eprintln!("gate: warning: {w}");
                }
            }
            if let Some((path, last)) = cmd.output.history_input() {
                for w in check::add_history(&mut report, &path, last)? {
                    eprintln!("gate: warning: {w}");
                }
            }
            let report = report.finalize();
            cmd.output.emit(&report)?;
            let path = cmd.output.output.as_ref().map(|p| p.display().to_string());
            cmd.github.publish(&report, path.as_deref())?;
            // Cut short by Ctrl-C or SIGTERM: the report says what was measured, and the exit
            // code says the run did not finish, as a shell reports a process a signal ended
            // (128 + 2 for SIGINT, 128 + 15 for SIGTERM), so a script does not take a
            // cancelled run for a passed one.
            if let Some(signal) = interrupted {
                return Ok(if signal.as_deref() == Some("SIGTERM") {
                    143
                } else {
                    130
                });
            }
            Ok(report.verdict.exit_code())
        }
    }
}

fn merge(
    files: &[PathBuf],
    user: &[String],
    required: &[String],
    policy: Option<PathBuf>,
    max_start_skew: Option<&str>,
) -> Result<Report> {
    let (policy, _) = Policy::load(policy.as_deref())?;
    let max_skew = merge::max_skew(max_start_skew, &policy.perf)?;
    let mut inputs = Vec::new();
    for f in files {
        let r = lambda_gate::report::json::read(f, "the shard result")?;
        let p = r
            .perf
            .ok_or_else(|| anyhow!("{}: the report has no perf section", f.display()))?;
        inputs.push(shard::Input {
            file: f.display().to_string(),
            perf: p,
        });
    }
    let args = merge::Args {
        thresholds: user.to_vec(),
        required_headers: required.to_vec(),
    };
    merge::merge(&inputs, max_skew, &args, &policy.perf)
}
