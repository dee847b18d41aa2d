//! The rows of the deployment-configuration table, the same in the PR comment and the HTML
//! page: per rule, what is configured, what the run measured, its verdict and where in the
//! template it points. Cells are pieces (plain text or code) so each renderer escapes them its
//! own way (Markdown by `markdown_escape`, HTML by maud) and neither trusts the other's output.

use super::{Report, Severity};
use crate::model::{DeployedFunction, Family, RuleId, RuleKind, SourceLocation};
use crate::units::human_ms;

/// A piece of a cell: `Code` is shown as code (an ARN, a URI, a digest), `Text` as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Code(String),
}

pub type Cell = Vec<Piece>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Fail(String),
    Warn(String),
    NotChecked(String),
    Pass,
}

pub struct Row<'a> {
    pub rule: &'a str,
    pub configured: Cell,
    pub measured: Cell,
    pub status: Status,
    /// The template's file and line the finding points at (before the deploy only).
    pub at: Option<&'a SourceLocation>,
}

/// The functions the table has: the report's, then any more a template declared.
pub fn functions(r: &Report) -> impl Iterator<Item = &DeployedFunction> {
    r.function.iter().chain(r.more_functions.iter())
}

/// One function's rows. With several functions (a template with more than one), its
/// findings are the ones whose message names it, and its notes end with its name.
pub fn rows<'a>(r: &'a Report, f: &'a DeployedFunction) -> Vec<Row<'a>> {
    let several = !r.more_functions.is_empty();
    let mine = format!("{}: ", f.name);
    let suffix = format!(" ({})", f.name);
    RuleId::of(Family::Lambda)
        .filter(|rule| !(rule.kind() == RuleKind::PreDeploy && f.source.is_deployed()))
        .map(|rule| {
            let (configured, measured) = figures(rule.id(), r, f);
            let status = match r
                .findings
                .iter()
                .find(|x| x.rule == rule && (!several || x.message.starts_with(&mine)))
            {
                Some(x) if x.severity == Severity::Error => Status::Fail(x.message.clone()),
                Some(x) => Status::Warn(x.message.clone()),
                None => match r.notes.iter().find_map(|n| {
                    let why = n.strip_prefix(&format!("{}: not checked: ", rule.id()))?;
                    if several {
                        why.strip_suffix(&suffix)
                    } else {
                        Some(why)
                    }
                }) {
                    Some(why) => Status::NotChecked(why.to_string()),
                    None => Status::Pass,
                },
            };
            let at = match status {
                Status::Fail(_) | Status::Warn(_) if !f.source.is_deployed() => {
                    f.rule_locations.get(rule.id())
                }
                _ => None,
            };
            Row {
                rule: rule.id(),
                configured,
                measured,
                status,
                at,
            }
        })
        .collect()
}

fn t(s: impl Into<String>) -> Cell {
    vec![Piece::Text(s.into())]
}

fn c(s: impl Into<String>) -> Cell {
    vec![Piece::Code(s.into())]
}

fn dash() -> Cell {
    t("–")
}

/// The configured value and the measured one each rule compares, as table cells.
fn figures(id: &str, r: &Report, f: &DeployedFunction) -> (Cell, Cell) {
    let p = r.perf.as_ref();
    match id {
        "lambda-timeout-margin" => (
            t(format!("{} s", f.timeout_s)),
            p.map(|p| {
                t(format!(
                    "p99 {} · max {}",
                    human_ms(p.latency_ms.p99),
                    human_ms(p.latency_ms.max)
                ))
            })
            .unwrap_or_else(dash),
        ),
        "lambda-memory-headroom" => (
            t(format!("{} MB", f.memory_mb)),
            p.and_then(|p| p.max_memory_used_mb)
                .map(|m| t(format!("max used {m:.0} MB")))
                .unwrap_or_else(dash),
        ),
        "lambda-architecture-mismatch" => (
            t(f.architecture.clone()),
            r.image
                .as_ref()
                .map(|i| t(format!("image {}", i.platform)))
                .unwrap_or_else(dash),
        ),
        "lambda-no-dlq" => (
            match (&f.dead_letter_target, &f.on_failure_destination) {
                (Some(d), _) => vec![Piece::Text("DLQ ".into()), Piece::Code(last(d).into())],
                (None, Some(d)) => vec![
                    Piece::Text("on failure ".into()),
                    Piece::Code(last(d).into()),
                ],
                (None, None) => t("none"),
            },
            dash(),
        ),
        "lambda-tracing-off" => (t(f.tracing.clone()), dash()),
        "lambda-no-reserved-concurrency" => (
            match (f.reserved_concurrency, f.provisioned_concurrency) {
                (Some(r), Some(pc)) => t(format!("{r} reserved, {pc} provisioned")),
                (Some(r), None) => t(format!("{r} reserved")),
                (None, _) => t("none"),
            },
            dash(),
        ),
        "lambda-log-retention" => (
            match (f.log_group_read, f.log_retention_days) {
                (false, _) => t("unreadable"),
                (true, Some(d)) => t(format!("{d} days")),
                (true, None) => t("never expire"),
            },
            dash(),
        ),
        "lambda-image-drift" => (
            f.image_digest
                .as_deref()
                .map(|d| c(short(d)))
                .unwrap_or_else(dash),
            r.image
                .as_ref()
                .and_then(|i| i.config_digest.as_deref())
                .map(|d| vec![Piece::Text("gated config ".into()), Piece::Code(short(d))])
                .unwrap_or_else(dash),
        ),
        "lambda-image-uri-missing" | "lambda-image-uri-unpinned" => (
            match (&f.image_uri, f.unknown.contains_key("image_uri")) {
                (Some(u), _) => c(u.clone()),
                (None, true) => t("unknown"),
                (None, false) => t("none"),
            },
            dash(),
        ),
        "lambda-image-zip-settings" => {
            let mut set: Cell = Vec::new();
            for (k, v) in [("Runtime", &f.runtime), ("Handler", &f.handler)] {
                if let Some(v) = v {
                    if !set.is_empty() {
                        set.push(Piece::Text(", ".into()));
                    }
                    set.push(Piece::Text(format!("{k} ")));
                    set.push(Piece::Code(v.clone()));
                }
            }
            if !f.layers.is_empty() {
                if !set.is_empty() {
                    set.push(Piece::Text(", ".into()));
                }
                set.push(Piece::Text(format!("{} layers", f.layers.len())));
            }
            (if set.is_empty() { t("none") } else { set }, dash())
        }
        _ => (dash(), dash()),
    }
}

fn short(d: &str) -> String {
    d.chars().take(19).collect()
}

/// The resource name at the end of an ARN.
fn last(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}
