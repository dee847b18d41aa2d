//! `gate history append REPORT --to FILE.jsonl`: one line per main build, for the trend that
//! `--history` draws.

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use clap::{Args, Subcommand};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use lambda_gate::report::history;

#[derive(Args)]
pub struct HistoryCmd {
    #[command(subcommand)]
    command: HistoryAction,
}

#[derive(Subcommand)]
enum HistoryAction {
    /// Append the headline figures of a JSON report (image size, compressed size, packages,
    /// vulnerabilities by severity, p95, init duration, cost per 1M) as one line.
    Append(AppendArgs),
}

#[derive(Args)]
struct AppendArgs {
    /// The JSON report of the build (`gate check --output` or `gate perf --output`).
    report: PathBuf,
    /// The history file (JSON Lines); created when missing.
    #[arg(long, value_name = "FILE.jsonl")]
    to: PathBuf,
    /// The commit the report is of.
    #[arg(long, env = "GITHUB_SHA")]
    commit: Option<String>,
    /// The time to record (RFC 3339); now by default.
    #[arg(long, value_name = "RFC3339")]
    time: Option<String>,
}

pub fn run(cmd: HistoryCmd) -> Result<i32> {
    match cmd.command {
        HistoryAction::Append(a) => append(a),
    }
}

fn append(a: AppendArgs) -> Result<i32> {
    let report = lambda_gate::report::json::read(&a.report, "the report")?;
    let commit = a.commit.filter(|c| !c.trim().is_empty()).ok_or_else(|| {
        anyhow!("gate history append: no commit: pass --commit or set GITHUB_SHA")
    })?;
    // The line is read back by every later run: hold the commit to what one looks like.
    if commit.len() > 100 || !commit.chars().all(|c| c.is_ascii_graphic()) {
        return Err(anyhow!(
            "--commit: not a commit id (printable ASCII, at most 100 characters)"
        ));
    }
    let time = match a.time {
        Some(t) => {
            OffsetDateTime::parse(&t, &Rfc3339)
                .map_err(|e| anyhow!("--time: {t:?} is not an RFC 3339 time: {e}"))?;
            t
        }
        None => OffsetDateTime::now_utc()
            .replace_nanosecond(0)?
            .format(&Rfc3339)?,
    };
    let entry = history::entry(&report, &commit, &time);
    history::append(&a.to, &entry)?;
    eprintln!("gate: appended {commit} to {}", a.to.display());
    Ok(0)
}
