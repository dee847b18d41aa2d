//! The deployed function's section of the PR comment, beside the latency figures: each
//! post-deploy rule in one row — what is configured, what the run measured, and the verdict
//! with its reason — so a reviewer sees why "fast in the load test" is or is not "ready".
//! The rules themselves live above the renderers; their ids are `RuleId`'s `[lambda]` family, in
//! its order.

use std::fmt::Write;

use super::super::deployed_rows::{rows, Cell, Piece, Status};
use super::super::markdown_escape::{code, text};
use super::super::Report;
use crate::model::{DeployedFunction, Family, RuleId};
use crate::units::human_ms;

pub fn section(r: &Report) -> String {
    let Some(f) = &r.function else {
        return String::new();
    };
    let mut s = table(r, f);
    for more in &r.more_functions {
        s.push('\n');
        s.push_str(&table(r, more));
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

/// One function's table.
fn table(r: &Report, f: &DeployedFunction) -> String {
    let mut s = heading(f);
    for row in rows(r, f) {
        let status = match &row.status {
            Status::Fail(m) => format!("❌ {}", text(m)),
            Status::Warn(m) => format!("⚠️ {}", text(m)),
            Status::NotChecked(why) => format!("➖ not checked: {}", text(why)),
            Status::Pass => "✅ pass".into(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {status} |",
            code(row.rule),
            cell(&row.configured),
            cell(&row.measured)
        );
    }
    s
}

fn cell(c: &Cell) -> String {
    c.iter()
        .map(|p| match p {
            Piece::Text(t) => text(t),
            Piece::Code(c) => code(c),
        })
        .collect()
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

/// Notes this section already shows in its table (a rule that could not be checked), so
/// the comment does not say them twice.
pub fn shown_here(r: &Report, note: &str) -> bool {
    r.function.is_some()
        && RuleId::of(Family::Lambda)
            .any(|rule| note.starts_with(&format!("{}: not checked: ", rule.id())))
}
