//! `gate perf` (and `gate perf merge`), and the perf flags of `gate check`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Result};
use clap::{Args, Subcommand};

use lambda_gate::perf::plan::{self, Plan};
use lambda_gate::perf::{merge, shard, PerfReport};
use lambda_gate::policy::Policy;
use lambda_gate::report::{Check, Report};

/// How the load is shaped; flags win over `[perf]` in gate.toml.
#[derive(Args, Debug, Default, Clone)]
pub struct LoadArgs {
    /// URL to drive (a Function URL, API Gateway stage, or any HTTP endpoint).
    #[arg(long)]
    pub url: Option<String>,
    /// Lambda function to invoke through the Invoke API (name or ARN).
    #[arg(long, conflicts_with = "url")]
    pub function: Option<String>,
    #[arg(long)]
    pub region: Option<String>,
    /// Invoke API endpoint (e.g. a local emulator on http://127.0.0.1:PORT).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Alias or version to invoke.
    #[arg(long)]
    pub qualifier: Option<String>,
    /// Event JSON sent to the function (Invoke mode) or request body (URL mode).
    #[arg(long, value_name = "FILE")]
    pub payload: Option<PathBuf>,
    #[arg(long)]
    pub method: Option<String>,
    /// Request header, "Name: value"; repeatable.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Closed model: total requests (default 100).
    #[arg(long)]
    pub requests: Option<u64>,
    /// Run for this long (e.g. 60s).
    #[arg(long)]
    pub duration: Option<String>,
    /// Closed model: connections in parallel (default 10).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Open model: requests per second, whatever the latency.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Per-request timeout (default 10s).
    #[arg(long)]
    pub timeout: Option<String>,
    /// Hard limit on the whole run, from the first request (after any --start-at wait):
    /// requests still in flight then are cut off and counted as `deadline` (default: duration
    /// + 2 × timeout + 30s, or 10m).
    #[arg(long)]
    pub deadline: Option<String>,
    /// Open model: most requests in flight at once; a request due past it is dropped and
    /// counted (default 1000, Lambda's default concurrency quota; split over shards).
    #[arg(long, value_name = "N")]
    pub max_in_flight: Option<usize>,
    /// k6-like threshold, e.g. 'p95 < 800ms'; repeatable. With a reference (--compare-url,
    /// --compare-qualifier, --baseline), a regression budget: 'p95 change < +10%',
    /// 'init_duration change < +100ms', 'cost_per_million change < +5%': fails only when the
    /// whole 95% interval of the change is past it, warns when the interval straddles it.
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<String>,
    /// Header every response must carry; repeatable.
    #[arg(long = "require-header", value_name = "NAME")]
    pub required_headers: Vec<String>,
    /// Response header that marks a cold start with "true" (default x-cold-start).
    #[arg(long)]
    pub cold_start_header: Option<String>,
    /// Statuses that count as success (default 200-299).
    #[arg(long)]
    pub success_statuses: Option<String>,
    /// This runner's share of the load, I/N (1-based), for distributed runs: 1/N of the
    /// requests, rate, concurrency and in-flight bound (remainders to the first shards).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Start the load at this time (RFC 3339 or Unix seconds), so every shard starts together;
    /// a runner that is late starts at once and records how late.
    #[arg(long, value_name = "TIME")]
    pub start_at: Option<String>,
    /// This runner's name in a merged report (default: $RUNNER_NAME, else the host name).
    #[arg(long, value_name = "NAME")]
    pub runner: Option<String>,
    /// The function's architecture, for cost (x86_64 or arm64).
    #[arg(long, default_value = "x86_64")]
    pub architecture: String,
    /// A/B in one run: drive this URL too (main's deployment), interleaved with --url in a
    /// seeded random order, and report every metric's change with a 95% interval.
    #[arg(long, value_name = "URL", conflicts_with = "function")]
    pub compare_url: Option<String>,
    /// A/B in one run, Invoke mode: the same function's other alias or version (e.g. live).
    #[arg(long, value_name = "ALIAS")]
    pub compare_qualifier: Option<String>,
    /// A/B in one run, Invoke mode: the Invoke API endpoint of the reference, when it is not
    /// --endpoint's (two local emulators, which ignore the qualifier: one per build).
    #[arg(long, value_name = "URL", requires = "function")]
    pub compare_endpoint: Option<String>,
    /// What the reference is called in the comment (default main).
    #[arg(long, value_name = "NAME")]
    pub compare_name: Option<String>,
    /// Seeds the A/B order, the samples kept and the bootstrap (default: random; the report
    /// gives the one used, so a run can be repeated).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

impl LoadArgs {
    /// The flags as the library's plain values.
    fn plan_args(&self) -> plan::Args {
        let a = self.clone();
        plan::Args {
            url: a.url,
            function: a.function,
            region: a.region,
            endpoint: a.endpoint,
            qualifier: a.qualifier,
            payload: a.payload,
            method: a.method,
            headers: a.headers,
            requests: a.requests,
            duration: a.duration,
            concurrency: a.concurrency,
            rate: a.rate,
            timeout: a.timeout,
            deadline: a.deadline,
            max_in_flight: a.max_in_flight,
            thresholds: a.thresholds,
            required_headers: a.required_headers,
            cold_start_header: a.cold_start_header,
            success_statuses: a.success_statuses,
            shard: a.shard,
            start_at: a.start_at,
            runner: a.runner,
            architecture: a.architecture,
            compare_url: a.compare_url,
            compare_qualifier: a.compare_qualifier,
            compare_endpoint: a.compare_endpoint,
            baseline: None,
            compare_name: a.compare_name,
            seed: a.seed,
        }
    }
}

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
    a: &LoadArgs,
    policy: &Policy,
    baseline_file: Option<&std::path::Path>,
) -> Result<(PerfReport, Vec<Check>)> {
    let mut args = a.plan_args();
    if let Some(path) = baseline_file {
        if a.compare_url.is_none() && a.compare_qualifier.is_none() && a.compare_endpoint.is_none()
        {
            args.baseline = baseline(path)?;
        }
    }
    let (p, checks) = Plan::resolve(&args, &policy.perf)?.run()?;
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
    Ok((p, checks))
}

/// The deployed function's configuration held to `[lambda]` in the same report, beside the
/// image when the report has one (its manifest digest is what drift compares). A function
/// the load test just invoked is readable with the same credentials, but the role may lack
/// lambda:GetFunction: then a note and a warning, never a failed job.
pub fn add_deployed(
    report: &mut Report,
    function: &str,
    qualifier: Option<&str>,
    region: Option<&str>,
    endpoint: Option<&str>,
    policy: &Policy,
    answered: Option<lambda_gate::aws::lambda::GetFunction>,
) {
    let read = lambda_gate::deployed::read(
        function,
        qualifier,
        region,
        endpoint,
        Duration::from_secs(10),
        answered,
    );
    match read {
        Ok(f) => {
            let digests = report
                .image
                .as_ref()
                .and_then(|i| i.manifest_digest.clone())
                .into_iter()
                .collect();
            lambda_gate::deployed::evaluate(report, f, &policy.lambda, digests)
        }
        Err(e) => {
            let msg = format!("the deployed configuration was not checked: {e:#}");
            eprintln!("gate: warning: {msg}");
            report.notes.push(msg);
        }
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
    pub fn add_to_report(&self, policy: &Policy, report: &mut Report) -> Result<()> {
        if let Some(path) = &self.report {
            let earlier = lambda_gate::report::json::read(path, "the perf report")?;
            let perf = earlier
                .perf
                .ok_or_else(|| anyhow!("{}: the report has no perf section", path.display()))?;
            report.perf = Some(perf);
            report.checks.extend(
                earlier
                    .checks
                    .into_iter()
                    .filter(|c| c.name.starts_with("perf-")),
            );
            // The deployed configuration the perf run read is held to the policy again, now
            // beside the image: architecture mismatch and drift need both.
            if let Some(function) = earlier.function {
                let digests = report
                    .image
                    .as_ref()
                    .and_then(|i| i.manifest_digest.clone())
                    .into_iter()
                    .collect();
                lambda_gate::deployed::evaluate(report, function, &policy.lambda, digests);
            }
            return Ok(());
        }
        let Some(url) = &self.url else { return Ok(()) };
        let load = LoadArgs {
            url: Some(url.clone()),
            requests: self.requests,
            concurrency: self.concurrency,
            thresholds: self.thresholds.clone(),
            required_headers: self.required_headers.clone(),
            architecture: "x86_64".into(),
            ..Default::default()
        };
        let (p, checks) = run_load(&load, policy, None)?;
        report.perf = Some(p);
        report.checks.extend(checks);
        Ok(())
    }
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct PerfCmd {
    #[command(subcommand)]
    pub sub: Option<PerfSub>,
    #[command(flatten)]
    pub load: LoadArgs,
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
                        if let Some(report) =
                            plan::failed_shard(&cmd.load.plan_args(), &policy.perf, &e)
                        {
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
                add_deployed(
                    &mut report,
                    function,
                    a.qualifier.as_deref(),
                    a.region.as_deref(),
                    a.endpoint.as_deref(),
                    &policy,
                    None,
                );
            }
            cmd.output.add_history(&mut report)?;
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
