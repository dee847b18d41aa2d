//! `gate perf` (and `gate perf merge`), and the perf flags of `gate check`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};

use lambda_gate::perf::cfg::parse_duration;
use lambda_gate::perf::shard::{self, Shard};
use lambda_gate::perf::target::{Checks, Http, Target};
use lambda_gate::perf::threshold::{self, Threshold};
use lambda_gate::perf::{self, driver, invoke::Invoke, stats::Stats, PerfReport};
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
    /// k6-like threshold, e.g. 'p95 < 800ms'; repeatable.
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
}

/// Runs the load described by flags and `[perf]`; returns the section and its checks.
pub fn run_load(a: &LoadArgs, policy: &Policy) -> Result<(PerfReport, Vec<Check>)> {
    let c = &policy.perf;
    let url = a.url.clone().or_else(|| c.url.clone());
    let timeout = parse_duration(
        a.timeout
            .as_deref()
            .or(c.timeout.as_deref())
            .unwrap_or("10s"),
    )
    .map_err(|e| anyhow!("--timeout: {e}"))?;
    let duration = a
        .duration
        .as_deref()
        .or(c.duration.as_deref())
        .map(parse_duration)
        .transpose()
        .map_err(|e| anyhow!("--duration: {e}"))?;
    let mut requests = a.requests.or(c.requests);
    let mut rate = a.rate.or(c.rate);
    if rate.is_some() && duration.is_none() && requests.is_none() {
        bail!("--rate needs --duration or --requests: an open-model run must be bounded");
    }
    if requests.is_none() && duration.is_none() {
        requests = Some(100);
    }
    if let Some(r) = rate {
        if !(r > 0.0 && r.is_finite()) {
            bail!("--rate {r}: expected requests per second above 0");
        }
    }
    let mut concurrency = a.concurrency.or(c.concurrency).unwrap_or(10);
    if concurrency == 0 {
        bail!("--concurrency 0: need at least one connection");
    }
    let mut max_in_flight = a
        .max_in_flight
        .or(c.max_in_flight)
        .unwrap_or(driver::DEFAULT_MAX_IN_FLIGHT);
    if max_in_flight == 0 {
        bail!("--max-in-flight 0: need at least one request in flight");
    }
    let start_at = a
        .start_at
        .as_deref()
        .map(shard::parse_start_at)
        .transpose()?;
    let shard = a.shard.as_deref().map(Shard::parse).transpose()?;
    let plan_record = shard.map(|s| shard::PlanRecord {
        shards: s.of,
        requests,
        rate,
        concurrency: concurrency as u64,
        duration_s: duration.map(|d| d.as_secs_f64()),
        timeout_s: timeout.as_secs_f64(),
        max_in_flight: rate.map(|_| max_in_flight as u64),
        method: a
            .method
            .clone()
            .or(c.method.clone())
            .unwrap_or_else(|| "GET".into())
            .to_ascii_uppercase(),
    });
    if let Some(s) = shard {
        requests = requests.map(|r| s.share(r));
        rate = rate.map(|r| s.share_rate(r));
        if rate.is_some() {
            max_in_flight = s.share(max_in_flight as u64).max(1) as usize;
        } else {
            concurrency = s.share(concurrency as u64) as usize;
            if concurrency == 0 {
                bail!(
                    "--concurrency {} over {} shards: fewer connections than shards",
                    plan_record.as_ref().map_or(0, |p| p.concurrency),
                    s.of
                );
            }
        }
    }
    let deadline = match &a.deadline {
        Some(d) => parse_duration(d).map_err(|e| anyhow!("--deadline: {e}"))?,
        None => duration
            .map(|d| d + timeout * 2 + Duration::from_secs(30))
            .unwrap_or(Duration::from_secs(600)),
    };
    let mut thresholds = Vec::new();
    for t in c.thresholds.iter().chain(a.thresholds.iter()) {
        thresholds.push(Threshold::parse(t)?);
    }
    let thresholds = threshold::merged(&thresholds);
    let required: Vec<String> = c
        .required_headers
        .iter()
        .chain(a.required_headers.iter())
        .cloned()
        .collect();
    let checks = Checks {
        success: match a
            .success_statuses
            .as_deref()
            .or(c.success_statuses.as_deref())
        {
            Some(s) => Checks::parse_statuses(s)?,
            None => Checks::default().success,
        },
        cold_header: a
            .cold_start_header
            .clone()
            .or(c.cold_start_header.clone())
            .unwrap_or_else(|| "x-cold-start".into())
            .to_ascii_lowercase(),
        required_headers: required.clone(),
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency.max(1))
        .timeout(timeout)
        .build()?;
    let body = match &a.payload {
        Some(p) => Some(
            std::fs::read(p)
                .with_context(|| format!("{}: cannot read the payload", p.display()))?,
        ),
        None => c.body.clone().map(String::into_bytes),
    };
    let (target, label, mode) = match (&a.function, url) {
        (Some(f), _) => {
            let inv = Invoke::new(
                f,
                a.region.as_deref(),
                a.endpoint.as_deref(),
                a.qualifier.as_deref(),
                body.unwrap_or_else(|| b"{}".to_vec()),
                client,
            )?;
            let label = inv.url.clone();
            (Target::Invoke(inv, checks), label, "invoke")
        }
        (None, Some(u)) => {
            let parsed = reqwest::Url::parse(&u).map_err(|e| anyhow!("--url {u:?}: {e}"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                bail!("--url {u:?}: expected an http or https URL");
            }
            let mut headers = reqwest::header::HeaderMap::new();
            for h in c
                .headers
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .chain(a.headers.iter().cloned())
            {
                let (k, v) = h
                    .split_once(':')
                    .ok_or_else(|| anyhow!("--header {h:?}: expected \"Name: value\""))?;
                headers.insert(
                    reqwest::header::HeaderName::from_bytes(k.trim().as_bytes())
                        .map_err(|_| anyhow!("--header {h:?}: invalid name"))?,
                    reqwest::header::HeaderValue::from_str(v.trim())
                        .map_err(|_| anyhow!("--header {h:?}: invalid value"))?,
                );
            }
            let method = a
                .method
                .clone()
                .or(c.method.clone())
                .unwrap_or_else(|| "GET".into());
            let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .map_err(|_| anyhow!("--method {method:?}: not an HTTP method"))?;
            // Parsed once here (a bad URL is a usage error), not again on every request.
            let url = reqwest::Url::parse(&u).map_err(|e| anyhow!("--url {u:?}: {e}"))?;
            (
                Target::Http(
                    Http {
                        client,
                        method,
                        url,
                        headers,
                        body,
                    },
                    checks,
                ),
                u,
                "url",
            )
        }
        (None, None) => {
            bail!("nothing to drive: give --url or --function (or [perf] url in gate.toml)")
        }
    };
    let run = driver::run(
        target,
        driver::Plan {
            requests,
            duration,
            concurrency,
            rate,
            timeout,
            deadline,
            max_in_flight,
            start_at,
        },
    )?;
    let mut p = perf::summarize(&run.stats, &label, mode, Some(&run), rate, &a.architecture);
    p.shard = shard.map(|s| s.to_string());
    p.plan = plan_record;
    p.start_at = start_at.map(shard::rfc3339);
    p.max_in_flight = rate.map(|_| max_in_flight as u64);
    if shard.is_some() || start_at.is_some() || a.runner.is_some() {
        p.runner = Some(shard::runner_name(a.runner.as_deref()));
    }
    if let Some(skew) = p.start_skew_ms.filter(|s| *s > 1000.0) {
        eprintln!(
            "gate: started {:.1} s after --start-at: this shard's load ran late",
            skew / 1000.0
        );
    }
    let checks = perf::checks(&p, &run.stats, &thresholds, &required);
    if run.interrupted {
        eprintln!(
            "gate: interrupted: reporting the {} requests measured",
            p.requests
        );
    }
    Ok((p, checks))
}

/// A shard that could not start still leaves a result (with `--output`), so the merge can say
/// which shard failed and why instead of only that one is missing.
fn failed_shard(a: &LoadArgs, policy: &Policy, error: &anyhow::Error) -> Option<Report> {
    let shard = Shard::parse(a.shard.as_deref()?).ok()?;
    let target = a
        .url
        .clone()
        .or_else(|| policy.perf.url.clone())
        .or_else(|| a.function.clone())
        .unwrap_or_default();
    let why = format!("{error:#}");
    let p = PerfReport {
        target,
        shard: Some(shard.to_string()),
        runner: Some(shard::runner_name(a.runner.as_deref())),
        failed: Some(why.clone()),
        start_at: a.start_at.clone(),
        histogram: lambda_gate::perf::stats::encode(&Stats::default().latency),
        ..PerfReport::default()
    };
    Some(
        Report {
            perf: Some(p),
            checks: vec![Check {
                name: "perf-shard-started".into(),
                limit: "started".into(),
                actual: "failed".into(),
                status: lambda_gate::report::Status::Fail,
                unit: None,
                detail: Some(why),
            }],
            ..Report::default()
        }
        .finalize(),
    )
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
) {
    let read = lambda_gate::deployed::read(
        function,
        qualifier,
        region,
        endpoint,
        Duration::from_secs(10),
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
        let (p, checks) = run_load(&load, policy)?;
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
            let (p, checks) = match run_load(&cmd.load, &policy) {
                Ok(r) => r,
                Err(e) => {
                    if cmd.output.output.is_some() {
                        if let Some(report) = failed_shard(&cmd.load, &policy, &e) {
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
                );
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
    let max_skew = match max_start_skew.or(policy.perf.max_start_skew.as_deref()) {
        Some(d) => parse_duration(d).map_err(|e| anyhow!("--max-start-skew: {e}"))?,
        None => shard::DEFAULT_MAX_SKEW,
    };
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
    let expect = shard::compatible(&inputs)?;
    let mut total = Stats::default();
    for i in &inputs {
        let s = perf::stats_of(&i.perf).map_err(|e| anyhow!("{}: {e}", i.file))?;
        total.merge(&s)?;
    }
    let measured: Vec<&PerfReport> = inputs
        .iter()
        .map(|i| &i.perf)
        .filter(|p| p.failed.is_none())
        .collect();
    let f = measured.first().copied().unwrap_or(&inputs[0].perf);
    let requested_rate = match f.plan.as_ref() {
        Some(pl) => pl.rate,
        None => f.requested_rate.map(|r| r * files.len() as f64),
    };
    let mut p = perf::summarize(&total, &f.target, &f.mode, None, requested_rate, "x86_64");
    p.model = f.model.clone();
    let duration = shard::span_s(&measured);
    p.duration_s = duration;
    p.rps = if duration > 0.0 {
        total.requests as f64 / duration
    } else {
        0.0
    };
    p.dropped = inputs.iter().map(|i| i.perf.dropped).sum();
    p.max_in_flight = f.plan.as_ref().and_then(|pl| pl.max_in_flight);
    p.interrupted = inputs.iter().any(|i| i.perf.interrupted);
    p.deadline_hit = inputs.iter().any(|i| i.perf.deadline_hit);
    p.kept_up = (p.model == "open").then(|| measured.iter().all(|m| m.kept_up != Some(false)));
    p.plan = f.plan.clone();
    p.start_at = f.start_at.clone();
    let mut shard_checks = Vec::new();
    p.shard = Some(format!("merged {} shards", files.len()));
    if let Some(n) = expect {
        p.shards = shard::rows(&inputs, n, max_skew);
        shard_checks = shard::checks(&p.shards, max_skew);
        let ok = p.shards.iter().filter(|r| r.status != "missing").count();
        p.shard = Some(format!("merged {ok} of {n} shards"));
    }
    let mut ts = Vec::new();
    for t in policy.perf.thresholds.iter().chain(user.iter()) {
        ts.push(Threshold::parse(t)?);
    }
    let req: Vec<String> = policy
        .perf
        .required_headers
        .iter()
        .chain(required.iter())
        .cloned()
        .collect();
    let mut checks = perf::checks(&p, &total, &threshold::merged(&ts), &req);
    checks.extend(shard_checks);
    Ok(Report {
        perf: Some(p),
        checks,
        ..Report::default()
    }
    .finalize())
}
