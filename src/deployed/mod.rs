//! The deployed function, after a deploy: its configuration read from the Lambda API and held
//! to `[lambda]` in gate.toml, beside what the load test measured. A function that is fast in
//! the load test but has no DLQ, a timeout below its p99 or 3 GB of memory it never uses is
//! not ready either.
//!
//! Each rule is one file in `rules/` with a `RULE` constant; `RULES` lists them. A rule sees
//! the configuration, the perf run and the gated image when the run has them, and says pass,
//! fail (with a fix) or why it could not tell.

pub mod api;
pub mod cfg;
pub mod iac;
pub mod rules;

use std::time::Duration;

use anyhow::Result;

use crate::model::{
    Check, DeployedFunction, Finding, FixedCheck, ImageSummary, Level, RuleId, RuleKind, Severity,
    Sink, Status,
};
use crate::perf::{pricing, PerfReport};
use crate::rules::Draft;
use cfg::LambdaConfig;

/// Formatting lives in `units` (the renderers use it too); the rules import it from here.
pub use crate::units::human_ms;

/// One post-deploy rule: its id (whose variant holds its default level, its description and
/// whether only a template or plan can break it) and what it checks.
pub struct Rule {
    pub id: RuleId,
    pub check: fn(&Ctx) -> Outcome,
    /// The `DeployedFunction` fields the verdict rests on: when a template or plan cannot tell
    /// one (`unknown`), the rule is "not checked", never a pass; a finding points at the
    /// first one's place in the file.
    pub fields: &'static [&'static str],
}

impl Rule {
    /// Only a template or plan can get this wrong (the Lambda API would have refused it):
    /// not run, nor listed, after the deploy.
    pub fn pre_deploy_only(&self) -> bool {
        self.id.kind() == RuleKind::PreDeploy
    }
}

pub enum Outcome {
    Pass,
    Fail {
        message: String,
        fix: String,
    },
    /// The run lacks what the rule needs (no perf run, no REPORT lines, no image).
    Unknown(String),
}

/// What a rule sees.
pub struct Ctx<'a> {
    pub function: &'a DeployedFunction,
    pub perf: Option<&'a PerfReport>,
    pub image: Option<&'a ImageSummary>,
    /// The manifest digests the gated image is known by (a registry or OCI archive gives one;
    /// a docker-archive none).
    pub image_digests: Vec<String>,
    pub cfg: &'a LambdaConfig,
}

/// Every `[lambda]` rule, in the order their findings are listed: the `RuleId` variants of
/// `Family::Lambda`, in their order (a test holds it), each with its check.
pub const RULES: &[Rule] = &[
    rules::timeout_margin::RULE,
    rules::memory_headroom::RULE,
    rules::architecture_mismatch::RULE,
    rules::no_dlq::RULE,
    rules::tracing_off::RULE,
    rules::no_reserved_concurrency::RULE,
    rules::log_retention::RULE,
    rules::image_drift::RULE,
    rules::image_uri_missing::RULE,
    rules::image_uri_unpinned::RULE,
    rules::image_zip_settings::RULE,
];

/// Reads the function's configuration; blocking (a runtime of its own), for the CLI. With
/// `answered`, the `GetFunction` answer the run already has (`gate check --function` read
/// the image from it): only the calls it does not cover are made.
pub fn read(
    name: &str,
    qualifier: Option<&str>,
    region: Option<&str>,
    endpoint: Option<&str>,
    timeout: Duration,
    answered: Option<crate::aws::lambda::GetFunction>,
) -> Result<DeployedFunction> {
    let aws = crate::aws::Aws::new(region, endpoint, timeout)?;
    crate::runtime::block_on(async {
        match answered {
            Some(got) => {
                let spec = crate::aws::lambda::FunctionSpec::parse(name, qualifier)?;
                api::from_answer(&aws, &spec, got).await
            }
            None => api::read_function(&aws, name, qualifier).await,
        }
    })?
}

/// The perf run priced at the function's real architecture (the load test alone assumed
/// one).
pub fn price(perf: &mut PerfReport, function: &DeployedFunction) {
    if let (Some(billed), Some(mb)) = (perf.billed_avg_ms, perf.memory_size_mb) {
        perf.cost_per_million_usd = Some(pricing::per_million(
            billed,
            mb,
            pricing::arch_of(&function.architecture),
        ));
    }
}

/// The manifest digests the gated image is known by, for drift: a registry or OCI archive
/// gives one, a docker-archive none.
pub fn image_digests(image: Option<&ImageSummary>) -> Vec<String> {
    image
        .and_then(|i| i.manifest_digest.clone())
        .into_iter()
        .collect()
}

/// Holds each of `functions` to the policy beside the perf run and the image the run has:
/// their findings, notes and the provisioned cold-start check go to `sink`; the functions
/// come back with the places their findings point at. With several (a template of several
/// image functions), each finding and note names its function.
pub fn evaluate(
    functions: Vec<DeployedFunction>,
    perf: Option<&PerfReport>,
    image: Option<&ImageSummary>,
    image_digests: Vec<String>,
    cfg: &LambdaConfig,
    sink: &mut Sink,
) -> Vec<DeployedFunction> {
    let several = functions.len() > 1;
    functions
        .into_iter()
        .map(|mut function| {
            let ctx = Ctx {
                function: &function,
                perf,
                image,
                image_digests: image_digests.clone(),
                cfg,
            };
            let mut own = Sink::default();
            run(&ctx, &mut own);
            checks(&ctx, &mut own);
            let located = locate(&function, &mut own.findings);
            function.rule_locations.extend(located);
            if several {
                for f in &mut own.findings {
                    f.message = format!("{}: {}", function.name, f.message);
                }
                for n in &mut own.notes {
                    *n = format!("{n} ({})", function.name);
                }
            }
            sink.append(own);
            function
        })
        .collect()
}

/// Where each finding on a template or plan points: the place of the first value its rule
/// reads, else the function's resource. The message says it too, so every renderer (text,
/// Markdown, JUnit) shows the line to change; SARIF takes it from `rule_locations`.
fn locate(
    function: &DeployedFunction,
    findings: &mut [Finding],
) -> Vec<(String, crate::model::SourceLocation)> {
    findings
        .iter_mut()
        .filter_map(|f| {
            let rule = rule(f.rule)?;
            let at = rule
                .fields
                .iter()
                .find_map(|k| function.locations.get(*k))
                .or_else(|| function.locations.get("function"))?;
            f.message = format!("{} ({at})", f.message);
            Some((f.rule.id().to_string(), at.clone()))
        })
        .collect()
}

pub fn rule(id: RuleId) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Runs every rule at its level: findings for the failures, notes for what could not be told.
pub fn run(ctx: &Ctx, sink: &mut Sink) {
    let before_deploy = !ctx.function.source.is_deployed();
    for r in RULES {
        let severity = match ctx.cfg.level(r.id) {
            Level::Allow => continue,
            Level::Warn => Severity::Warning,
            Level::Deny => Severity::Error,
        };
        if r.pre_deploy_only() && !before_deploy {
            continue;
        }
        let unknown = r
            .fields
            .iter()
            .find_map(|k| ctx.function.unknown.get(*k).map(|why| (k, why)));
        let outcome = match unknown {
            Some((k, why)) => {
                Outcome::Unknown(format!("{k} is not known before the deploy: {why}"))
            }
            None => (r.check)(ctx),
        };
        match outcome {
            Outcome::Pass => {}
            Outcome::Fail { message, fix } => sink
                .findings
                .push(Draft::whole(r.id, message, fix).finding(severity)),
            Outcome::Unknown(why) => sink.note(format!("{}: not checked: {why}", r.id.id())),
        }
    }
}

/// Cold starts beside the configuration: with provisioned concurrency allocated, a run
/// within it should meet none.
pub fn checks(ctx: &Ctx, sink: &mut Sink) {
    let (Some(p), Some(pc)) = (ctx.perf, ctx.function.provisioned_concurrency) else {
        return;
    };
    sink.checks.push(Check {
        name: FixedCheck::PerfColdStartsProvisioned.into(),
        limit: 0.into(),
        actual: p.cold_starts.into(),
        status: if p.cold_starts > 0 {
            Status::Warn
        } else {
            Status::Pass
        },
        unit: Some(crate::model::Unit::Count),
        detail: Some(format!(
            "{pc} provisioned concurrency on {}: cold starts mean the load went past it or the qualifier invoked is not the one provisioned",
            ctx.function.qualifier.as_deref().unwrap_or("$LATEST")
        )),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Family;

    /// Adding a `[lambda]` rule is its variant plus its row in `RULES`: neither without the other.
    #[test]
    fn rules_are_the_lambda_family_in_order() {
        let ids: Vec<RuleId> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids, RuleId::of(Family::Lambda).collect::<Vec<_>>());
    }
}
