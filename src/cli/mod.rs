//! Subcommands, one file each; this file dispatches and owns the exit-code contract.

use std::panic;

use clap::{Parser, Subcommand};
use lambda_gate::term::{escape, escape_lines};

mod action;
mod check;
mod deployment;
mod github;
mod history;
mod output;
mod perf;
mod rules;
mod security;

/// Exit code for bad usage or unreadable input.
pub const EXIT_INPUT: i32 = 2;

#[derive(Parser)]
#[command(
    name = "gate",
    version,
    about = "Gate AWS Lambda container images: size, waste, Lambda readiness, security and performance, one verdict",
    after_help = "Exit codes: 0 pass (warnings allowed), 1 the gate failed, 2 bad usage or unreadable input."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check an image archive or OCI layout: size, waste, findings, budgets (and, when given,
    /// scanner reports and a perf run), one verdict.
    Check(Box<check::CheckArgs>),
    /// Aggregate scanner reports (Trivy, Grype, cargo-audit, CycloneDX, SARIF) under one policy.
    Security(security::SecurityCmd),
    /// Drive a deployed function (URL or Lambda Invoke API) with a bounded load and hold it to
    /// thresholds.
    Perf(Box<perf::PerfCmd>),
    /// Post or update the sticky pull-request comment for a JSON report.
    Comment(github::CommentCmd),
    /// Keep main's trend: append a report's headline figures to a JSON Lines file, which
    /// `--history` draws in the comment and the HTML report.
    History(history::HistoryCmd),
    /// Write a commented gate.toml with every option and its default.
    Init(rules::InitCmd),
    /// Run as the GitHub Action: read the INPUT_* variables the runner sets and run `check`
    /// (or `perf` when no image is given) with them.
    Action(action::ActionCmd),
}

pub fn main() -> i32 {
    // A bug must still honour the contract: one line on stderr and exit 2, no backtrace.
    panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "gate: internal error: {}{at} (please report this)",
            escape(&msg)
        );
    }));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            if !e.use_stderr() {
                let _ = e.print();
                return 0;
            }
            // clap quotes the argument it rejects: the plain text, escaped, never raw.
            eprint!("{}", escape_lines(&e.render().to_string()));
            return EXIT_INPUT;
        }
    };
    let outcome = panic::catch_unwind(|| run(cli.command));
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            eprintln!("gate: error: {}", escape(&one_line(&format!("{e:#}"))));
            EXIT_INPUT
        }
        Err(_) => EXIT_INPUT,
    }
}

fn run(command: Command) -> anyhow::Result<i32> {
    match command {
        Command::Check(args) => check::run(*args),
        Command::Security(cmd) => security::run(cmd),
        Command::Perf(cmd) => perf::run(*cmd),
        Command::Comment(cmd) => github::run(cmd),
        Command::History(cmd) => history::run(cmd),
        Command::Init(cmd) => rules::run_init(cmd),
        Command::Action(cmd) => run_action(cmd),
    }
}

/// The Action's inputs parsed exactly as the same flags typed on a command line would be.
fn run_action(cmd: action::ActionCmd) -> anyhow::Result<i32> {
    let fail_on_findings = action::fail_on_findings()?;
    let args = action::argv()?;
    eprintln!("gate: running {}", escape(&action::shown(&args)));
    if cmd.dry_run {
        return Ok(0);
    }
    let mut argv = vec![std::ffi::OsString::from("gate")];
    argv.extend(args);
    let cli = Cli::try_parse_from(&argv).map_err(|e| {
        let text = e.render().to_string();
        let first = text.lines().next().unwrap_or_default();
        anyhow::anyhow!(
            "the action's inputs: {}",
            first.trim_start_matches("error: ")
        )
    })?;
    let code = run(cli.command)?;
    if code == 1 && !fail_on_findings {
        eprintln!("gate: the gate failed; fail-on-findings is false, so the step passes");
        return Ok(0);
    }
    Ok(code)
}

/// The contract is one line: fold whatever a library wrote over several.
fn one_line(msg: &str) -> String {
    msg.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}
