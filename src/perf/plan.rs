//! A load run resolved before it starts: the flags, then `[perf]` in gate.toml, then the
//! defaults, merged once into what the driver, the summary and the checks need. The CLI hands
//! over its flags as plain values and gets a plan or the first usage error back.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::image::arch::Arch;
use crate::model::perf::{ComparisonKind, Mode, PerfReport, PlanRecord};
use crate::model::{Check, FixedCheck, Report, Status};

use super::budget::Budget;
use super::cfg::{parse_duration, PerfConfig};
use super::compare;
use super::driver;
use super::invoke::Invoke;
use super::pricing;
use super::response_checks::Checks;
use super::shard::{self, Shard};
use super::stats::Stats;
use super::target::{Http, Target};
use super::threshold::{self, Threshold};

/// The flags of a load run as given on the command line, unparsed: `gate perf`'s, and the
/// ones `gate check --perf-url` fills. Flags win over `[perf]` in gate.toml.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Args {
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
    /// A report stored earlier (its perf section), compared without driving it: `gate perf
    /// --baseline`, read by the CLI.
    #[arg(skip)]
    pub baseline: Option<PerfReport>,
}

/// What this run is compared with.
pub enum Reference {
    /// Driven in the same run, interleaved; with what the report calls it.
    Target(Box<Target>, String),
    Baseline(Box<PerfReport>),
}

/// Everything a run needs, resolved.
pub struct Plan {
    pub target: Target,
    /// What the report calls the target: the URL as given, or the Invoke API's URL.
    pub label: String,
    pub mode: Mode,
    /// This runner's share of the load.
    pub load: driver::Plan,
    pub thresholds: Vec<Threshold>,
    pub required_headers: Vec<String>,
    pub shard: Option<Shard>,
    /// The whole run's settings, before the shard's share, for the merge to compare.
    pub record: Option<PlanRecord>,
    /// Named in the report when the run is one of several.
    pub runner: Option<String>,
    pub arch: Arch,
    pub reference: Option<Reference>,
    /// Change budgets, held to the comparison (a warning each when there is none).
    pub budgets: Vec<Budget>,
    pub compare_name: String,
    pub seed: u64,
}

const DEFAULT_REQUESTS: u64 = 100;
const DEFAULT_CONCURRENCY: usize = 10;
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// With no duration to bound it, how long a run may take at most.
const DEFAULT_DEADLINE: Duration = Duration::from_secs(600);

impl Plan {
    /// Flags win over `[perf]`, which wins over the defaults. Errors are usage errors, named
    /// by the flag (a bad gate.toml value was refused when the file was read).
    pub fn resolve(a: &Args, c: &PerfConfig) -> Result<Plan> {
        let timeout = match &a.timeout {
            Some(t) => parse_duration(t).map_err(|e| anyhow!("--timeout: {e}"))?,
            None => c.timeout.unwrap_or(DEFAULT_TIMEOUT),
        };
        let duration = match &a.duration {
            Some(d) => Some(parse_duration(d).map_err(|e| anyhow!("--duration: {e}"))?),
            None => c.duration,
        };
        let mut requests = a.requests.or(c.requests);
        let mut rate = a.rate.or(c.rate);
        if rate.is_some() && duration.is_none() && requests.is_none() {
            bail!("--rate needs --duration or --requests: an open-model run must be bounded");
        }
        if requests.is_none() && duration.is_none() {
            requests = Some(DEFAULT_REQUESTS);
        }
        if let Some(r) = rate {
            if !(r > 0.0 && r.is_finite()) {
                bail!("--rate {r}: expected requests per second above 0");
            }
        }
        let mut concurrency = a
            .concurrency
            .or(c.concurrency)
            .unwrap_or(DEFAULT_CONCURRENCY);
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
        let method = a
            .method
            .clone()
            .or(c.method.clone())
            .unwrap_or_else(|| "GET".into());
        let record = shard.map(|s| PlanRecord {
            shards: s.of,
            requests,
            rate,
            concurrency: concurrency as u64,
            duration_s: duration.map(|d| d.as_secs_f64()),
            timeout_s: timeout.as_secs_f64(),
            max_in_flight: rate.map(|_| max_in_flight as u64),
            method: method.to_ascii_uppercase(),
        });
        if let Some(s) = shard {
            requests = requests.map(|r| s.share(r));
            rate = rate.map(|r| s.share_rate(r));
            if rate.is_some() {
                max_in_flight = s.share(max_in_flight as u64).max(1) as usize;
            } else {
                let all = concurrency;
                concurrency = s.share(concurrency as u64) as usize;
                if concurrency == 0 {
                    bail!(
                        "--concurrency {all} over {} shards: fewer connections than shards",
                        s.of
                    );
                }
            }
        }
        let deadline = match &a.deadline {
            Some(d) => parse_duration(d).map_err(|e| anyhow!("--deadline: {e}"))?,
            None => duration
                .map(|d| d + timeout * 2 + Duration::from_secs(30))
                .unwrap_or(DEFAULT_DEADLINE),
        };
        let (thresholds, budgets) = threshold::resolve_rules(&c.thresholds, &a.thresholds)?;
        let required_headers: Vec<String> = c
            .required_headers
            .iter()
            .chain(&a.required_headers)
            .cloned()
            .collect();
        let checks = Checks {
            success: match (&a.success_statuses, &c.success_statuses) {
                (Some(s), _) => Checks::parse_statuses(s)?,
                (None, Some(s)) => s.clone(),
                (None, None) => Checks::default().success,
            },
            cold_header: a
                .cold_start_header
                .clone()
                .or(c.cold_start_header.clone())
                .unwrap_or_else(|| Checks::default().cold_header)
                .to_ascii_lowercase(),
            required_headers: required_headers.clone(),
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
        let compare_invoke = a.compare_qualifier.is_some() || a.compare_endpoint.is_some();
        let several_references = [
            a.compare_url.is_some(),
            compare_invoke,
            a.baseline.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if several_references > 1 {
            bail!("--compare-url, --compare-qualifier (or --compare-endpoint) and --baseline: give one reference");
        }
        if compare_invoke && a.function.is_none() {
            let flag = if a.compare_qualifier.is_some() {
                "--compare-qualifier"
            } else {
                "--compare-endpoint"
            };
            bail!("{flag} needs --function (Invoke mode); in URL mode give --compare-url");
        }
        if a.compare_url.is_some() && a.function.is_some() {
            bail!("--compare-url is for URL mode; with --function give --compare-qualifier");
        }
        let invoke = |endpoint: Option<&str>,
                      qualifier: Option<&str>,
                      body: Option<Vec<u8>>|
         -> Result<(Target, String)> {
            let f = a.function.as_deref().unwrap_or_default();
            let inv = Invoke::new(
                f,
                a.region.as_deref(),
                endpoint,
                qualifier,
                body.unwrap_or_else(|| b"{}".to_vec()),
                client.clone(),
            )?;
            let label = inv.url.clone();
            Ok((Target::Invoke(inv, checks.clone()), label))
        };
        let http = |flag: &str, u: &str| -> Result<Target> {
            // Parsed once here (a bad URL is a usage error), not again on every request.
            let url = reqwest::Url::parse(u).map_err(|e| anyhow!("{flag} {u:?}: {e}"))?;
            if !matches!(url.scheme(), "http" | "https") {
                bail!("{flag} {u:?}: expected an http or https URL");
            }
            let headers = headers(c, &a.headers)?;
            let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .map_err(|_| anyhow!("--method {method:?}: not an HTTP method"))?;
            let http = Http {
                client: client.clone(),
                method,
                url,
                headers,
                body: body.clone(),
            };
            Ok(Target::Http(http, checks.clone()))
        };
        let (target, label, mode) = match (&a.function, a.url.as_ref().or(c.url.as_ref())) {
            (Some(_), _) => {
                let (t, label) =
                    invoke(a.endpoint.as_deref(), a.qualifier.as_deref(), body.clone())?;
                (t, label, Mode::Invoke)
            }
            (None, Some(u)) => (http("--url", u)?, u.clone(), Mode::Url),
            (None, None) => {
                bail!("nothing to drive: give --url or --function (or [perf] url in gate.toml)")
            }
        };
        let reference = if let Some(u) = &a.compare_url {
            Some(Reference::Target(
                Box::new(http("--compare-url", u)?),
                u.clone(),
            ))
        } else if compare_invoke {
            // The other endpoint defaults to this one, the other qualifier to none: each flag
            // alone names a second target, together they name it on a second endpoint.
            let endpoint = a.compare_endpoint.as_deref().or(a.endpoint.as_deref());
            let (t, label) = invoke(endpoint, a.compare_qualifier.as_deref(), body.clone())?;
            Some(Reference::Target(Box::new(t), label))
        } else {
            a.baseline.clone().map(|b| Reference::Baseline(Box::new(b)))
        };
        let seed = a.seed.unwrap_or_else(random_seed);
        let several = shard.is_some() || start_at.is_some() || a.runner.is_some();
        Ok(Plan {
            target,
            label,
            mode,
            load: driver::Plan {
                requests,
                duration,
                concurrency,
                rate,
                timeout,
                deadline,
                max_in_flight,
                start_at,
            },
            thresholds,
            required_headers,
            shard,
            record,
            runner: several.then(|| shard::runner_name(a.runner.as_deref())),
            arch: pricing::arch_of(&a.architecture),
            reference,
            budgets,
            compare_name: a.compare_name.clone().unwrap_or_else(|| "main".into()),
            seed,
        })
    }

    /// Runs the load; returns the report section and its checks.
    pub fn run(self) -> Result<(PerfReport, Vec<Check>)> {
        let load = self.load;
        let mut targets = vec![self.target];
        let mut baseline = None;
        let mut reference_label = String::new();
        match self.reference {
            Some(Reference::Target(t, label)) => {
                targets.push(*t);
                reference_label = label;
            }
            Some(Reference::Baseline(b)) => baseline = Some(b),
            None => {}
        }
        let run = driver::run(targets, load.clone(), self.seed)?;
        let mut p = super::summarize(
            &run.stats,
            &self.label,
            Some(self.mode),
            Some(&run),
            load.rate,
            self.arch,
        );
        p.shard = self.shard.map(|s| s.to_string());
        p.plan = self.record;
        p.start_at = load.start_at.map(shard::rfc3339);
        p.max_in_flight = load.rate.map(|_| load.max_in_flight as u64);
        p.runner = self.runner;
        let setup = |kind| compare::Setup {
            kind,
            name: &self.compare_name,
            seed: self.seed,
            resamples: super::bootstrap::RESAMPLES,
            arch: self.arch,
            budgets: &self.budgets,
        };
        if let Some(b) = &run.reference {
            let mut r = super::summarize(
                b,
                &reference_label,
                Some(self.mode),
                Some(&run),
                load.rate,
                self.arch,
            );
            r.shard = p.shard.clone();
            r.plan = p.plan.clone();
            r.start_at = p.start_at.clone();
            r.max_in_flight = p.max_in_flight;
            r.runner = p.runner.clone();
            let c = compare::compare(
                &p,
                &run.stats.samples,
                &r,
                &b.samples,
                &setup(ComparisonKind::Interleaved),
            );
            p.compare = Some(Box::new(c));
        } else if let Some(mut b) = baseline {
            b.compare = None;
            let samples =
                compare::reservoir_of(&b, self.seed).map_err(|e| anyhow!("--baseline: {e}"))?;
            let c = compare::compare(
                &p,
                &run.stats.samples,
                &b,
                &samples,
                &setup(ComparisonKind::Baseline),
            );
            p.compare = Some(Box::new(c));
        }
        let mut checks = super::checks(&p, &run.stats, &self.thresholds, &self.required_headers);
        checks.extend(compare::checks(p.compare.as_deref(), &self.budgets));
        Ok((p, checks))
    }
}

/// A seed when none was given: from the OS, printed in the report so the run can be repeated.
fn random_seed() -> u64 {
    let mut b = [0u8; 8];
    if getrandom::getrandom(&mut b).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        return t.as_nanos() as u64;
    }
    // Kept below 2^53 so the JSON number reads back exactly in any language.
    u64::from_le_bytes(b) >> 11
}

/// The request headers: gate.toml's, then the flags' ("Name: value").
fn headers(c: &PerfConfig, flags: &[String]) -> Result<HeaderMap> {
    let mut out = HeaderMap::new();
    for h in c
        .headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .chain(flags.iter().cloned())
    {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| anyhow!("--header {h:?}: expected \"Name: value\""))?;
        out.insert(
            HeaderName::from_bytes(k.trim().as_bytes())
                .map_err(|_| anyhow!("--header {h:?}: invalid name"))?,
            HeaderValue::from_str(v.trim())
                .map_err(|_| anyhow!("--header {h:?}: invalid value"))?,
        );
    }
    Ok(out)
}

/// A shard that could not start still leaves a result, so the merge can say which shard failed
/// and why instead of only that one is missing. None when the run was not a shard.
pub fn failed_shard(a: &Args, c: &PerfConfig, error: &anyhow::Error) -> Option<Report> {
    let shard = Shard::parse(a.shard.as_deref()?).ok()?;
    let target = a
        .url
        .clone()
        .or_else(|| c.url.clone())
        .or_else(|| a.function.clone())
        .unwrap_or_default();
    let why = format!("{error:#}");
    let p = PerfReport {
        target,
        shard: Some(shard.to_string()),
        runner: Some(shard::runner_name(a.runner.as_deref())),
        failed: Some(why.clone()),
        start_at: a.start_at.clone(),
        histogram: super::stats::encode(&Stats::default().latency),
        ..PerfReport::default()
    };
    Some(
        Report {
            perf: Some(p),
            checks: vec![Check {
                name: FixedCheck::PerfShardStarted.into(),
                limit: "started".into(),
                actual: "failed".into(),
                status: Status::Fail,
                unit: None,
                detail: Some(why),
            }],
            ..Report::default()
        }
        .finalize(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_args() -> Args {
        Args {
            url: Some("http://127.0.0.1:9/".into()),
            architecture: "x86_64".into(),
            ..Args::default()
        }
    }

    fn config(text: &str) -> PerfConfig {
        toml::from_str(text).unwrap()
    }

    fn error(a: &Args, c: &PerfConfig) -> String {
        match Plan::resolve(a, c) {
            Ok(_) => panic!("resolved: {a:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let p = Plan::resolve(&url_args(), &PerfConfig::default()).unwrap();
        assert_eq!(p.load.requests, Some(DEFAULT_REQUESTS));
        assert_eq!(p.load.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(p.load.timeout, DEFAULT_TIMEOUT);
        assert_eq!(p.load.deadline, DEFAULT_DEADLINE);
        assert_eq!(p.load.max_in_flight, driver::DEFAULT_MAX_IN_FLIGHT);
        assert_eq!(
            (p.mode, p.label.as_str()),
            (Mode::Url, "http://127.0.0.1:9/")
        );
        assert_eq!(p.thresholds, threshold::defaults());
        assert!(p.runner.is_none() && p.record.is_none());
    }

    #[test]
    fn gate_toml_over_the_defaults_and_flags_over_gate_toml() {
        let c = config(
            "url = \"http://toml.invalid/\"\nconcurrency = 4\ntimeout = \"2s\"\nduration = \"5s\"\n\
             method = \"post\"\nthresholds = [\"p95 < 1s\"]\nrequired_headers = [\"x-a\"]\n",
        );
        let p = Plan::resolve(
            &Args {
                url: None,
                ..url_args()
            },
            &c,
        )
        .unwrap();
        assert_eq!(p.label, "http://toml.invalid/");
        assert_eq!(p.load.concurrency, 4);
        assert_eq!(p.load.timeout, Duration::from_secs(2));
        assert_eq!(p.load.duration, Some(Duration::from_secs(5)));
        // A duration bounds the run: no default request count; deadline = d + 2 × timeout + 30 s.
        assert_eq!(p.load.requests, None);
        assert_eq!(p.load.deadline, Duration::from_secs(5 + 4 + 30));
        let Target::Http(h, _) = &p.target else {
            panic!("not a URL target")
        };
        assert_eq!(h.method, reqwest::Method::POST);

        let flags = Args {
            concurrency: Some(7),
            timeout: Some("1s".into()),
            thresholds: vec!["p95 < 2s".into()],
            required_headers: vec!["x-b".into()],
            ..url_args()
        };
        let p = Plan::resolve(&flags, &c).unwrap();
        assert_eq!(p.label, "http://127.0.0.1:9/");
        assert_eq!(p.load.concurrency, 7);
        assert_eq!(p.load.timeout, Duration::from_secs(1));
        // Thresholds and required headers add up (both replace the default p95).
        let p95: Vec<f64> = p
            .thresholds
            .iter()
            .filter(|t| t.metric.name() == "p95")
            .map(|t| t.value)
            .collect();
        assert_eq!(p95, [1000.0, 2000.0]);
        assert_eq!(p.required_headers, ["x-a", "x-b"]);
    }

    #[test]
    fn a_shard_takes_its_share_and_records_the_whole() {
        let a = Args {
            shard: Some("1/3".into()),
            requests: Some(100),
            concurrency: Some(10),
            runner: Some("r1".into()),
            ..url_args()
        };
        let p = Plan::resolve(&a, &PerfConfig::default()).unwrap();
        assert_eq!(p.load.requests, Some(34));
        assert_eq!(p.load.concurrency, 4);
        let r = p.record.unwrap();
        assert_eq!((r.shards, r.requests, r.concurrency), (3, Some(100), 10));
        assert_eq!(p.runner.as_deref(), Some("r1"));
    }

    #[test]
    fn usage_errors_name_the_flag() {
        let c = PerfConfig::default();
        let rate = Args {
            rate: Some(5.0),
            ..url_args()
        };
        assert!(error(&rate, &c).starts_with("--rate needs --duration or --requests"));
        let zero = Args {
            concurrency: Some(0),
            ..url_args()
        };
        assert!(error(&zero, &c).starts_with("--concurrency 0"));
        let few = Args {
            concurrency: Some(2),
            shard: Some("3/3".into()),
            ..url_args()
        };
        assert!(error(&few, &c).starts_with("--concurrency 2 over 3 shards"));
        let timeout = Args {
            timeout: Some("soon".into()),
            ..url_args()
        };
        assert!(error(&timeout, &c).starts_with("--timeout: duration \"soon\""));
        let ftp = Args {
            url: Some("ftp://x/".into()),
            ..url_args()
        };
        assert!(error(&ftp, &c).contains("expected an http or https URL"));
        let header = Args {
            headers: vec!["no colon".into()],
            ..url_args()
        };
        assert!(error(&header, &c).starts_with("--header \"no colon\""));
        let threshold = Args {
            thresholds: vec!["p96x < 1".into()],
            ..url_args()
        };
        assert!(error(&threshold, &c).contains("unknown metric \"p96x\""));
        let nothing = Args {
            url: None,
            ..url_args()
        };
        assert!(error(&nothing, &c).starts_with("nothing to drive"));
    }

    #[test]
    fn a_reference_is_one_of_three_and_fits_the_mode() {
        let c = PerfConfig::default();
        let ab = Args {
            compare_url: Some("http://127.0.0.1:9/main".into()),
            thresholds: vec!["p95 change < +10%".into()],
            seed: Some(4),
            ..url_args()
        };
        let p = Plan::resolve(&ab, &c).unwrap();
        assert!(
            matches!(&p.reference, Some(Reference::Target(_, l)) if l == "http://127.0.0.1:9/main")
        );
        assert_eq!(
            (p.seed, p.budgets.len(), p.compare_name.as_str()),
            (4, 1, "main")
        );
        let qualifier = Args {
            compare_qualifier: Some("live".into()),
            ..url_args()
        };
        assert!(error(&qualifier, &c).starts_with("--compare-qualifier needs --function"));
        let both = Args {
            compare_qualifier: Some("live".into()),
            ..ab.clone()
        };
        assert!(error(&both, &c).contains("give one reference"));
        let bad = Args {
            compare_url: Some("ftp://x/".into()),
            ..url_args()
        };
        assert!(error(&bad, &c).starts_with("--compare-url \"ftp://x/\""));
        // Invoke mode: the reference on a second endpoint (two emulators), same function name.
        let invoke = Args {
            url: None,
            function: Some("function".into()),
            region: Some("us-east-1".into()),
            endpoint: Some("http://127.0.0.1:9001".into()),
            compare_endpoint: Some("http://127.0.0.1:9002/".into()),
            ..url_args()
        };
        let p = Plan::resolve(&invoke, &c).unwrap();
        assert_eq!(
            p.label,
            "http://127.0.0.1:9001/2015-03-31/functions/function/invocations"
        );
        assert!(matches!(&p.reference, Some(Reference::Target(_, l))
                if l == "http://127.0.0.1:9002/2015-03-31/functions/function/invocations"));
        let live = Args {
            compare_qualifier: Some("live".into()),
            ..invoke.clone()
        };
        assert!(
            matches!(&Plan::resolve(&live, &c).unwrap().reference, Some(Reference::Target(_, l))
                if l == "http://127.0.0.1:9002/2015-03-31/functions/function/invocations?Qualifier=live")
        );
        let no_function = Args {
            compare_endpoint: Some("http://127.0.0.1:9002".into()),
            ..url_args()
        };
        assert!(error(&no_function, &c).starts_with("--compare-endpoint needs --function"));
        // Without --seed one is drawn; budgets from gate.toml count as well.
        let toml = config("thresholds = [\"init_duration change < +100ms\"]\n");
        let p = Plan::resolve(&url_args(), &toml).unwrap();
        assert_eq!(p.budgets.len(), 1);
        assert!(p.reference.is_none());
    }

    #[test]
    fn a_failed_shard_leaves_a_failed_check() {
        let a = Args {
            shard: Some("2/4".into()),
            ..url_args()
        };
        let r = failed_shard(&a, &PerfConfig::default(), &anyhow!("boom")).unwrap();
        let p = r.perf.unwrap();
        assert_eq!(
            (p.shard.as_deref(), p.failed.as_deref()),
            (Some("2/4"), Some("boom"))
        );
        assert_eq!(r.checks[0].status, Status::Fail);
        assert!(failed_shard(&url_args(), &PerfConfig::default(), &anyhow!("x")).is_none());
    }
}
