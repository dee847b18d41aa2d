//! `gate comment REPORT` and the GitHub flags of `gate check` (comment, summary, outputs,
//! annotations).
//!
//! Posting the comment or the summary is a side effect of a gate: when it fails, the gate
//! prints a warning (a `::warning::` workflow command in Actions) naming GitHub's status and
//! message, and keeps the verdict's exit code. `gate comment` alone exits 2 on a failed post:
//! posting is that command's whole job.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::Args;

use lambda_gate::github::{self, api::Limits, comment, context};
use lambda_gate::perf::cfg::parse_duration;
use lambda_gate::report::{markdown, Report};

#[derive(Args, Default, Clone)]
pub struct GithubArgs {
    /// Post or update the sticky pull-request comment.
    #[arg(long)]
    pub comment: bool,

    /// Keeps separate comments for several gates on one PR (a matrix over images).
    #[arg(long, value_name = "ID")]
    pub comment_id: Option<String>,

    /// owner/repo (default: $GITHUB_REPOSITORY).
    #[arg(long, value_name = "OWNER/REPO")]
    pub github_repository: Option<String>,

    /// API URL, for GitHub Enterprise (default: $GITHUB_API_URL or https://api.github.com).
    #[arg(long, value_name = "URL")]
    pub github_api_url: Option<String>,

    /// Pull request number (default: from $GITHUB_EVENT_PATH).
    #[arg(long, value_name = "N")]
    pub pr: Option<u64>,

    /// Token (default: $GITHUB_TOKEN). Surrounding whitespace (a trailing newline) is
    /// trimmed. Never printed.
    #[arg(long, value_name = "TOKEN", hide_env_values = true, value_parser = TokenParser)]
    pub github_token: Option<String>,

    /// Whose comment is this gate's: only a comment by this login that starts with the marker
    /// is updated (default: the token's own identity — GET /user, or github-actions[bot] for
    /// the workflow's token). Set it for a GitHub App's token (e.g. my-app[bot]).
    #[arg(long, value_name = "LOGIN")]
    pub comment_author: Option<String>,

    /// Bound on the whole comment step — every call, retry and wait (default 60s). On
    /// timeout the gate warns and keeps its verdict.
    #[arg(long, value_name = "DURATION", env = "GATE_GITHUB_TIMEOUT", value_parser = duration)]
    pub github_timeout: Option<Duration>,

    /// Bound on each call to GitHub, connecting included (default 10s).
    #[arg(
        long,
        value_name = "DURATION",
        env = "GATE_GITHUB_REQUEST_TIMEOUT",
        value_parser = duration
    )]
    pub github_request_timeout: Option<Duration>,
}

fn duration(text: &str) -> Result<Duration> {
    let d = parse_duration(text)?;
    if d.is_zero() {
        anyhow::bail!("a duration above zero, e.g. 10s");
    }
    Ok(d)
}

/// Written by hand: the token is never printed.
impl std::fmt::Debug for GithubArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubArgs")
            .field("comment", &self.comment)
            .field("comment_id", &self.comment_id)
            .field("github_repository", &self.github_repository)
            .field("github_api_url", &self.github_api_url)
            .field("pr", &self.pr)
            .field(
                "github_token",
                &self.github_token.as_ref().map(|_| "<redacted>"),
            )
            .field("comment_author", &self.comment_author)
            .field("github_timeout", &self.github_timeout)
            .field("github_request_timeout", &self.github_request_timeout)
            .finish()
    }
}

/// Trims and checks `--github-token` as clap reads it, so a bad one is exit 2 before any
/// work, with a message that never holds the value (clap's own "invalid value" message would
/// print it). $GITHUB_TOKEN is checked the same way when a comment is posted (context.rs).
#[derive(Clone)]
struct TokenParser;

impl clap::builder::TypedValueParser for TokenParser {
    type Value = String;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let text = value.to_str().ok_or_else(|| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                "the GitHub token (--github-token or $GITHUB_TOKEN) is not valid: it is not \
                 UTF-8 (the value is not printed)\n",
            )
        })?;
        context::token(text).map_err(|e| {
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("{e}\n"))
        })
    }
}

/// A side effect that did not happen: a line on stderr, and in a workflow a `::warning::`
/// so it shows on the run's summary.
fn warn(title: &str, msg: &str) {
    eprintln!("gate: warning: {msg}");
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        println!(
            "::warning title={}::{}",
            title.replace(':', "%3A").replace(',', "%2C"),
            github::annotations::data(msg)
        );
    }
}

impl GithubArgs {
    /// Sends the finished report where GitHub users look. Failing to post the comment or the
    /// summary is a warning, never a failed gate.
    pub fn publish(&self, report: &Report, report_path: Option<&str>) -> Result<()> {
        let in_actions = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
        if in_actions {
            let md = markdown::render_linked(report, super::output::html_report_url().as_deref());
            if let Err(e) = github::append_summary(&md) {
                warn(
                    "lambda-gate summary",
                    &format!("the job summary ($GITHUB_STEP_SUMMARY) was not written: {e}"),
                );
            }
            github::outputs::write(report, report_path)?;
            for line in github::annotations::lines(report) {
                println!("{line}");
            }
        }
        if self.comment {
            self.post(report)?;
        }
        Ok(())
    }

    /// Posts the comment; true when it was posted or there was nothing to post (not a pull
    /// request, no token). Errors are bad usage only (no repository, a bad API URL).
    fn post(&self, report: &Report) -> Result<bool> {
        let ctx = context::Context::resolve(&context::Overrides {
            repository: self.github_repository.clone(),
            api_url: self.github_api_url.clone(),
            pr: self.pr,
            token: self.github_token.clone(),
        })?;
        let marker = comment::marker(self.comment_id.as_deref());
        let defaults = Limits::default();
        let opts = comment::Options {
            author: self.comment_author.clone(),
            limits: Limits {
                request: self.github_request_timeout.unwrap_or(defaults.request),
                total: self.github_timeout.unwrap_or(defaults.total),
            },
        };
        let at = format!("{}/{}#{}", ctx.owner, ctx.repo, ctx.pr.unwrap_or(0));
        Ok(
            match comment::upsert(
                &ctx,
                &marker,
                &markdown::render_linked(report, super::output::html_report_url().as_deref()),
                &opts,
            )? {
                comment::Outcome::Created(id) => {
                    eprintln!("gate: posted comment {id} on {at}");
                    true
                }
                comment::Outcome::Updated(id) => {
                    eprintln!("gate: updated comment {id} on {at}");
                    true
                }
                comment::Outcome::Skipped(why) => {
                    eprintln!("gate: {why}");
                    true
                }
                comment::Outcome::Failed(why) => {
                    warn(
                        "lambda-gate comment",
                        &format!("the pull-request comment on {at} was not posted: {why}"),
                    );
                    false
                }
            },
        )
    }
}

#[derive(Args, Debug)]
#[command(
    after_help = "Exit codes: 0 the comment was posted or updated (or there was nothing to \
                  post: not a pull request, no token), 2 it could not be posted (GitHub \
                  refused or failed, or did not answer in time) or bad usage. `gate check \
                  --comment` only warns when the post fails and keeps the verdict's exit code."
)]
pub struct CommentCmd {
    /// A JSON report written by `gate check --output` (or `--format json`).
    pub report: PathBuf,

    #[command(flatten)]
    pub github: GithubArgs,
}

pub fn run(cmd: CommentCmd) -> Result<i32> {
    let report = lambda_gate::report::json::read(&cmd.report, "the report")?;
    let args = GithubArgs {
        comment: true,
        ..cmd.github
    };
    Ok(if args.post(&report)? {
        0
    } else {
        super::EXIT_INPUT
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_debug_prints_the_token() {
        let a = GithubArgs {
            github_token: Some("ghp_S3CR3T".into()),
            ..Default::default()
        };
        let shown = format!("{a:?}");
        assert!(
            !shown.contains("S3CR3T") && shown.contains("redacted"),
            "{shown}"
        );
    }
}
