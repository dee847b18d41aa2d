//! `gate comment REPORT` and the GitHub flags of `gate check` (comment, summary, outputs).
//!
//! (Stub: the reports/GitHub issue fills this file.)

use anyhow::Result;
use clap::Args;

use lambda_gate::report::Report;

/// `gate check … --comment`: publish the finished report to GitHub.
#[derive(Args, Debug, Default)]
pub struct GithubArgs {}

impl GithubArgs {
    /// Sends the finished report where GitHub users look (comment, job summary, outputs,
    /// annotations). Failing to post is a warning, never a failed gate.
    pub fn publish(&self, _report: &Report) -> Result<()> {
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct CommentCmd {}

pub fn run(_cmd: CommentCmd) -> Result<i32> {
    anyhow::bail!("`gate comment` is not implemented yet")
}
