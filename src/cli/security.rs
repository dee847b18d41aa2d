//! `gate security REPORT…` and the scanner flags of `gate check`.
//!
//! (Stub: the security issue fills this file.)

use anyhow::Result;
use clap::Args;

use lambda_gate::policy::Policy;
use lambda_gate::report::Report;

/// Scanner reports to aggregate into `gate check`'s report.
#[derive(Args, Debug, Default)]
pub struct SecurityArgs {}

impl SecurityArgs {
    /// Adds the `security` section, its checks, to `report`. `baseline` is the base branch's
    /// report when the user gave `--baseline`.
    pub fn add_to_report(
        &self,
        _policy: &Policy,
        _baseline: Option<&Report>,
        _report: &mut Report,
    ) -> Result<()> {
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct SecurityCmd {}

pub fn run(_cmd: SecurityCmd) -> Result<i32> {
    anyhow::bail!("`gate security` is not implemented yet")
}
