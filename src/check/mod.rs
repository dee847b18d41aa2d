//! `gate check` as one library call. The CLI resolves its flags into [`Inputs`] (the policy
//! resolved, the baseline read, the image scanned, the other files named) and [`run`] holds
//! everything to the policy in one defined order, each family writing through a sink:
//!
//! 1. the image: its facts, the integrity of its blobs, the budgets (`budget`), the rules;
//! 2. the growth budgets against the baseline; dive's CI rules;
//! 3. security (the scanners' reports, the native RustSec audit);
//! 4. the perf run (run now, or read from `gate perf`'s report);
//! 5. the function's configuration: from a template (`--deployment`) or the deployed one;
//! 6. the delta against the baseline, what the failed size budgets are made of, `[packages]`;
//! 7. the policy's own changes, the baseline's figures, main's history.
//!
//! Later steps read what earlier ones put in the report (the deployed rules the perf run and
//! the image, the package policy the delta), so the order is the pipeline's, not the caller's.

pub mod image;

pub use image::{dir_summary, facts, inspect, integrity_checks, summarize, ImageFacts, TOP_WASTED};

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Result};

use crate::deployed::{self, iac};
use crate::model::{DeployedFunction, DeployedImage, Report, Sink};
use crate::perf::plan::{self, Plan};
use crate::policy::base::Resolved;
use crate::policy::Policy;
use crate::rules::dive_ci::DiveCi;

/// Everything one `gate check` needs, resolved from its flags.
pub struct Inputs {
    /// The policy obeyed, and what a policy base adds (its changes, `policy-loosened`, notes,
    /// the base's dive CI rules).
    pub policy: Resolved,
    /// `None`: `--deployment` alone, without an image.
    pub image: Option<Scanned>,
    /// `--baseline`: the file's name as given, and its report.
    pub baseline: Option<(String, Report)>,
    /// `--dive-ci`, or `./.dive-ci` found in the working directory (`true`: a note says so).
    pub dive_ci: Option<(PathBuf, bool)>,
    /// Scanner reports, each with its format when the flag names one (else read from it).
    pub security: Vec<(PathBuf, Option<&'static str>)>,
    /// `--rustsec-db`.
    pub rustsec_db: Option<PathBuf>,
    pub perf: Option<Perf>,
    pub deployment: Option<Deployment>,
    /// `--function`: the deployed configuration too.
    pub function: Option<Function>,
    /// `--history` and how many of its last lines.
    pub history: Option<(PathBuf, usize)>,
}

/// The image, scanned.
pub struct Scanned {
    /// Where it was read from, as the report names it.
    pub source: String,
    pub facts: ImageFacts,
    /// Whether the blobs' digests were verified.
    pub verified: bool,
    /// With `--function`: the function whose deployed image it is.
    pub deployed: Option<DeployedImage>,
}

/// The perf section of the report.
pub enum Perf {
    /// `--perf-report`: the report `gate perf --output` wrote after the deploy.
    Report(PathBuf),
    /// `--perf-url`: a load run now.
    Load(Box<plan::Args>),
}

/// `--deployment`: a template or plan, its parameters, which function of it.
pub struct Deployment {
    pub path: PathBuf,
    pub params: iac::Params,
    pub function: Option<String>,
}

/// A deployed function to read (GetFunction and the calls around it).
pub struct Function {
    pub name: String,
    pub qualifier: Option<String>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    /// The GetFunction answer the run already has (`--function` read the image from it).
    pub answered: Option<crate::aws::lambda::GetFunction>,
}

/// What the run says beside the report, for the CLI to print: "gate: warning: …" lines.
pub struct Checked {
    pub report: Report,
    pub warnings: Vec<String>,
}

/// Runs every family of `gate check` into one report, finalized (its verdict set).
pub fn run(inputs: Inputs) -> Result<Checked> {
    let Inputs {
        policy: resolved,
        image,
        baseline,
        dive_ci,
        security,
        rustsec_db,
        perf,
        deployment,
        function,
        history,
    } = inputs;
    let policy = &resolved.policy;
    let mut report = Report::default();
    let mut warnings = Vec::new();
    let Some(scanned) = image else {
        // The configuration alone (and the perf run it is held beside).
        add_perf(&mut report, perf, policy)?;
        add_deployment(&mut report, deployment, policy)?;
        return Ok(Checked {
            report: report.finalize(),
            warnings,
        });
    };
    let base = baseline.as_ref().map(|(_, b)| b);
    add_image(&mut report, &scanned, policy);
    drop(scanned.facts);
    report.deployed = scanned.deployed;
    let mut sink = Sink::default();
    crate::budget::increase(report.image.as_ref(), base, &policy.image, &mut sink);
    report.absorb(sink);
    // With a policy base, .dive-ci is the obeyed side's, already read; otherwise the file's.
    let dive = match (&resolved.changes, resolved.dive_ci, dive_ci) {
        (None, None, Some((path, found))) => {
            if found {
                report.notes.push(format!(
                    "evaluated dive's CI rules from ./{}",
                    path.display()
                ));
            }
            Some(DiveCi::load(&path)?)
        }
        (_, Some(ci), _) => Some(ci),
        _ => None,
    };
    if let (Some(ci), Some(img)) = (dive, &report.image) {
        report.checks.extend(ci.evaluate(&img.dive));
    }
    add_security(&mut report, &security, rustsec_db.as_deref(), policy, base)?;
    add_perf(&mut report, perf, policy)?;
    add_deployment(&mut report, deployment, policy)?;
    // `--function`: the deployed configuration too, unless a joined perf report brought it.
    if let (Some(f), None) = (&function, &report.function) {
        warnings.extend(add_function(&mut report, f, policy));
    }
    report.delta = base.map(|b| crate::delta::diff(b, &report));
    let growth = report
        .delta
        .as_ref()
        .map(crate::delta::explain_growth)
        .unwrap_or_default();
    crate::budget::explain(&mut report.checks, &growth, &report.packages, &report.dirs);
    let mut sink = Sink::default();
    crate::package_policy::check(&report, base, &policy.packages, &mut sink);
    report.absorb(sink);
    report.policy_changes = resolved.changes;
    report.findings.extend(resolved.finding);
    report.notes.extend(resolved.notes);
    if let Some((path, base)) = &baseline {
        report.baseline = Some(crate::model::Baseline::from_report(path, base));
    }
    if let Some((path, last)) = history {
        warnings.extend(add_history(&mut report, &path, last)?);
    }
    Ok(Checked {
        report: report.finalize(),
        warnings,
    })
}

/// `--history`: main's last `last` builds into the report, and a note for each kind of line
/// skipped; the notes come back as warnings too, escaped for a terminal.
pub fn add_history(report: &mut Report, path: &Path, last: usize) -> Result<Vec<String>> {
    let (history, notes) = crate::report::history::read(path, last)?;
    let warnings = notes
        .iter()
        .map(|n| crate::term::escape(n).into_owned())
        .collect();
    report.notes.extend(notes);
    report.history = Some(history);
    Ok(warnings)
}

/// The image's facts in the report, then what holds them to the policy: the blobs'
/// integrity, the budgets, the rules.
fn add_image(report: &mut Report, scanned: &Scanned, policy: &Policy) {
    let facts = &scanned.facts;
    // The rules, the longest part, run beside the summary and the directory totals.
    let findings = std::thread::scope(|s| {
        let rules = s.spawn(|| crate::rules::run(&facts.image, &facts.scan, &policy.rules));
        report.image = Some(summarize(Path::new(&scanned.source), facts));
        report.dirs = dir_summary(&facts.scan);
        rules
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    });
    report.packages = facts.inventory.packages.clone();
    report.package_dirs = facts.inventory.package_dirs.clone();
    report.notes.extend(facts.inventory.notes.iter().cloned());
    report.notes.extend(facts.image.notes.iter().cloned());
    for l in &facts.scan.layers {
        if !l.escaping_paths.is_empty() {
            report.notes.push(format!(
                "layer {} has {} entries whose path leaves the root (e.g. {:?}); they were ignored",
                l.index,
                l.escaping_paths.len(),
                l.escaping_paths[0]
            ));
        }
    }
    let mut sink = Sink::default();
    sink.checks
        .extend(integrity_checks(&facts.scan, scanned.verified));
    crate::budget::image(
        &facts.scan,
        facts.image.layers.len(),
        &policy.image,
        &policy.rules,
        &mut sink,
    );
    sink.findings.extend(findings);
    let unaudited: Vec<crate::rules::binaries::Unaudited> = facts
        .inventory
        .executables
        .iter()
        .filter(|e| {
            matches!(
                e.record,
                crate::packages::binary::Record::RustUnaudited { .. }
            )
        })
        .filter(|e| !crate::packages::binary::library_name(&e.path))
        .map(|e| (e.path.clone(), e.layer, e.bytes))
        .collect();
    let ctx = crate::rules::Ctx::new(&facts.image, &facts.scan, &policy.rules);
    sink.findings
        .extend(crate::rules::binaries::check(&ctx, &unaudited));
    report.absorb(sink);
}

/// The `security` section and its checks: the scanners' reports and the native RustSec audit
/// of the image's crates.
fn add_security(
    report: &mut Report,
    files: &[(PathBuf, Option<&'static str>)],
    rustsec_db: Option<&Path>,
    policy: &Policy,
    base: Option<&Report>,
) -> Result<()> {
    let opts = crate::security::ParseOptions {
        default_severity: policy.security.default_severity,
    };
    let rustsec = crate::security::rustsec::run(rustsec_db, &report.packages, &opts)?;
    report.checks.extend(rustsec.check);
    let own: Vec<_> = rustsec.findings.into_iter().collect();
    if files.is_empty() && own.is_empty() {
        return Ok(());
    }
    let (sec, checks) = crate::security::evaluate_with(files, own, &policy.security, base)?;
    report.security = Some(sec);
    report.checks.extend(checks);
    Ok(())
}

/// The perf section and its checks. A joined report's deployed configuration is held to the
/// policy again, now beside the image: architecture mismatch and drift need both.
fn add_perf(report: &mut Report, perf: Option<Perf>, policy: &Policy) -> Result<()> {
    match perf {
        None => {}
        Some(Perf::Report(path)) => {
            let earlier = crate::report::json::read(&path, "the perf report")?;
            let perf = earlier
                .perf
                .ok_or_else(|| anyhow!("{}: the report has no perf section", path.display()))?;
            report.perf = Some(perf);
            report
                .checks
                .extend(earlier.checks.into_iter().filter(|c| c.name.is_perf()));
            if let Some(function) = earlier.function {
                hold_function(report, function, policy);
            }
        }
        Some(Perf::Load(args)) => {
            let (p, checks) = Plan::resolve(&args, &policy.perf)?.run()?;
            report.perf = Some(p);
            report.checks.extend(checks);
        }
    }
    Ok(())
}

/// `--deployment`: the template's or plan's functions held to `[lambda]` before the deploy.
fn add_deployment(report: &mut Report, d: Option<Deployment>, policy: &Policy) -> Result<()> {
    let Some(d) = d else { return Ok(()) };
    // One report holds one configuration's table: the template's would replace the deployed
    // one and leave the deployed findings beside it unlabelled.
    if let Some(f) = report.function.as_ref().filter(|f| f.source.is_deployed()) {
        bail!(
            "--deployment {}: the perf report already holds the deployed function {} (after the deploy); check the template and the deployed function in two gate check steps",
            d.path.display(),
            f.name
        );
    }
    let functions = iac::read(&d.path, &d.params, d.function.as_deref())?;
    hold_functions(report, functions, policy);
    Ok(())
}

/// The deployed function's configuration held to `[lambda]` in the same report, beside the
/// image when the report has one (its manifest digest is what drift compares). A function
/// the load test just invoked is readable with the same credentials, but the role may lack
/// lambda:GetFunction: then a note, and the warning returned, never a failed job.
pub fn add_function(report: &mut Report, f: &Function, policy: &Policy) -> Option<String> {
    let read = deployed::read(
        &f.name,
        f.qualifier.as_deref(),
        f.region.as_deref(),
        f.endpoint.as_deref(),
        Duration::from_secs(10),
        f.answered.clone(),
    );
    match read {
        Ok(function) => {
            hold_function(report, function, policy);
            None
        }
        Err(e) => {
            let msg = format!("the deployed configuration was not checked: {e:#}");
            report.notes.push(msg.clone());
            Some(msg)
        }
    }
}

/// A configuration read from Lambda: the perf run priced at its architecture, then held to
/// the policy.
fn hold_function(report: &mut Report, function: DeployedFunction, policy: &Policy) {
    if let Some(p) = report.perf.as_mut() {
        deployed::price(p, &function);
    }
    hold_functions(report, vec![function], policy);
}

/// The deployed family on `functions`: the first is the report's `function`, the rest
/// `more_functions`.
fn hold_functions(report: &mut Report, functions: Vec<DeployedFunction>, policy: &Policy) {
    let mut sink = Sink::default();
    let held = deployed::evaluate(
        functions,
        report.perf.as_ref(),
        report.image.as_ref(),
        deployed::image_digests(report.image.as_ref()),
        &policy.lambda,
        &mut sink,
    );
    report.absorb(sink);
    let mut held = held.into_iter();
    report.function = held.next();
    report.more_functions.extend(held);
}
