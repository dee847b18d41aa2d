//! The deployed function's section of the PR comment, beside the latency figures: each
//! post-deploy rule in one row — what is configured, what the run measured, and the verdict
//! with its reason — so a reviewer sees why "fast in the load test" is or is not "ready".
//! The rules themselves live above the renderers; their ids arrive as data, in their order.

use std::fmt::Write;

use super::markdown_escape::{code, text};
use super::{Report, RuleDoc, Severity};
use crate::model::{DeployedFunction, RuleKind};
use crate::units::human_ms;

pub fn section(r: &Report, rules: &[RuleDoc]) -> String {
    let Some(f) = &r.function else {
        return String::new();
    };
    let several = !r.more_functions.is_empty();
    let mut s = table(r, f, rules, several);
    for more in &r.more_functions {
        s.push('\n');
        s.push_str(&table(r, more, rules, several));
    }
    let perf = r.perf.as_ref();
    if let Some(init) = perf.and_then(|p| p.init_ms.as_ref()) {
        let _ = writeln!(
            s,
            "\nInit Duration (cold starts): p50 {} · p95 {} · max {}",
            human_ms(init.p50),
            human_ms(init.p95),
            human_ms(init.max)
        );
    }
    s
}

/// One function's table. With several functions (a template with more than one), its
/// findings are the ones whose message names it, and its notes end with its name.
fn table(r: &Report, f: &DeployedFunction, rules: &[RuleDoc], several: bool) -> String {
    let mut s = heading(f);
    let mine = format!("{}: ", f.name);
    let suffix = format!(" ({})", f.name);
    for rule in rules {
        if rule.kind == RuleKind::PreDeploy && f.source.is_deployed() {
            continue;
        }
        let (configured, measured) = figures(rule.id, r, f);
        let status = match r
            .findings
            .iter()
            .find(|x| x.rule == rule.id && (!several || x.message.starts_with(&mine)))
        {
            Some(x) if x.severity == Severity::Error => format!("❌ {}", text(&x.message)),
            Some(x) => format!("⚠️ {}", text(&x.message)),
            None => match r.notes.iter().find_map(|n| {
                let why = n.strip_prefix(&format!("{}: not checked: ", rule.id))?;
                if several {
                    why.strip_suffix(&suffix)
                } else {
                    Some(why)
                }
            }) {
                Some(why) => format!("➖ not checked: {}", text(why)),
                None => "✅ pass".into(),
            },
        };
        let _ = writeln!(
            s,
            "| {} | {configured} | {measured} | {status} |",
            code(rule.id)
        );
    }
    s
}

/// After the deploy, the function and its version; before it, the file it was read from.
fn heading(f: &DeployedFunction) -> String {
    let cols = "| check | configured | measured | status |\n|---|---|---|---|\n";
    if f.source.is_deployed() {
        let q = f
            .qualifier
            .as_deref()
            .map(|q| format!(":{q}"))
            .unwrap_or_default();
        return format!(
            "#### Deployed function {} (version {})\n\n{cols}",
            code(&format!("{}{q}", f.name)),
            text(&f.version)
        );
    }
    format!(
        "#### Deployment configuration {}: read from {} ({}, before the deploy)\n\n{cols}",
        code(&f.name),
        code(f.file.as_deref().unwrap_or("?")),
        text(f.source.describe())
    )
}

/// The configured value and the measured one each rule compares, as table cells.
fn figures(id: &str, r: &Report, f: &DeployedFunction) -> (String, String) {
    let p = r.perf.as_ref();
    let dash = || "–".to_string();
    match id {
        "lambda-timeout-margin" => (
            format!("{} s", f.timeout_s),
            p.map(|p| {
                format!(
                    "p99 {} · max {}",
                    human_ms(p.latency_ms.p99),
                    human_ms(p.latency_ms.max)
                )
            })
            .unwrap_or_else(dash),
        ),
        "lambda-memory-headroom" => (
            format!("{} MB", f.memory_mb),
            p.and_then(|p| p.max_memory_used_mb)
                .map(|m| format!("max used {m:.0} MB"))
                .unwrap_or_else(dash),
        ),
        "lambda-architecture-mismatch" => (
            text(&f.architecture),
            r.image
                .as_ref()
                .map(|i| format!("image {}", text(&i.platform)))
                .unwrap_or_else(dash),
        ),
        "lambda-no-dlq" => (
            match (&f.dead_letter_target, &f.on_failure_destination) {
                (Some(d), _) => format!("DLQ {}", code(last(d))),
                (None, Some(d)) => format!("on failure {}", code(last(d))),
                (None, None) => "none".into(),
            },
            dash(),
        ),
        "lambda-tracing-off" => (text(&f.tracing), dash()),
        "lambda-no-reserved-concurrency" => (
            match (f.reserved_concurrency, f.provisioned_concurrency) {
                (Some(r), Some(pc)) => format!("{r} reserved, {pc} provisioned"),
                (Some(r), None) => format!("{r} reserved"),
                (None, _) => "none".into(),
            },
            dash(),
        ),
        "lambda-log-retention" => (
            match (f.log_group_read, f.log_retention_days) {
                (false, _) => "unreadable".into(),
                (true, Some(d)) => format!("{d} days"),
                (true, None) => "never expire".into(),
            },
            dash(),
        ),
        "lambda-image-drift" => (
            f.image_digest
                .as_deref()
                .map(|d| code(&d[..d.len().min(19)]))
                .unwrap_or_else(dash),
            r.image
                .as_ref()
                .and_then(|i| i.config_digest.as_deref())
                .map(|d| format!("gated config {}", code(&d[..d.len().min(19)])))
                .unwrap_or_else(dash),
        ),
        "lambda-image-uri-missing" | "lambda-image-uri-unpinned" => (
            match (&f.image_uri, f.unknown.contains_key("image_uri")) {
                (Some(u), _) => code(u),
                (None, true) => "unknown".into(),
                (None, false) => "none".into(),
            },
            dash(),
        ),
        "lambda-image-zip-settings" => {
            let set: Vec<String> = [("Runtime", &f.runtime), ("Handler", &f.handler)]
                .into_iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {}", code(v))))
                .chain((!f.layers.is_empty()).then(|| format!("{} layers", f.layers.len())))
                .collect();
            (
                if set.is_empty() {
                    "none".into()
                } else {
                    set.join(", ")
                },
                dash(),
            )
        }
        _ => (dash(), dash()),
    }
}

/// The resource name at the end of an ARN.
fn last(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// Notes this section already shows in its table (a rule that could not be checked), so
/// the comment does not say them twice.
pub fn shown_here(r: &Report, rules: &[RuleDoc], note: &str) -> bool {
    r.function.is_some()
        && rules
            .iter()
            .any(|rule| note.starts_with(&format!("{}: not checked: ", rule.id)))
}
