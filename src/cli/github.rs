//! `gate comment REPORT` and the GitHub flags of `gate check` (comment, summary, outputs,
//! annotations).

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use lambda_gate::github::{self, comment, context};
use lambda_gate::report::{markdown, Report};

#[derive(Args, Debug, Default, Clone)]
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

    /// Token (default: $GITHUB_TOKEN). Never printed.
    #[arg(long, value_name = "TOKEN", hide_env_values = true)]
    pub github_token: Option<String>,
}

impl GithubArgs {
    /// Sends the finished report where GitHub users look. Failing to post is a warning,
    /// never a failed gate.
    pub fn publish(&self, report: &Report, report_path: Option<&str>) -> Result<()> {
        let in_actions = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
        if in_actions {
            let md = markdown::render(report);
            github::append_summary(&md)?;
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

    fn post(&self, report: &Report) -> Result<()> {
        let ctx = context::Context::resolve(&context::Overrides {
            repository: self.github_repository.clone(),
            api_url: self.github_api_url.clone(),
            pr: self.pr,
            token: self.github_token.clone(),
        })?;
        let marker = comment::marker(self.comment_id.as_deref());
        match comment::upsert(&ctx, &marker, &markdown::render(report))? {
            comment::Outcome::Created(id) => eprintln!(
                "gate: posted comment {id} on {}/{}#{}",
                ctx.owner,
                ctx.repo,
                ctx.pr.unwrap_or(0)
            ),
            comment::Outcome::Updated(id) => eprintln!(
                "gate: updated comment {id} on {}/{}#{}",
                ctx.owner,
                ctx.repo,
                ctx.pr.unwrap_or(0)
            ),
            comment::Outcome::Skipped(why) => eprintln!("gate: {why}"),
            comment::Outcome::Refused(why) => {
                eprintln!("gate: warning: {why}");
                if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
                    println!(
                        "::warning title=lambda-gate comment::{}",
                        why.replace('\n', " ")
                    );
                }
            }
        }
        Ok(())
    }
}

#[derive(Args, Debug)]
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
    args.post(&report)?;
    Ok(0)
}
