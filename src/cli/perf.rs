//! `gate perf` (and `gate perf merge`), and the perf flags of `gate check`.
//!
//! (Stub: the performance issue fills this file.)

use anyhow::Result;
use clap::Args;

use lambda_gate::policy::Policy;
use lambda_gate::report::Report;

/// `gate check … --perf-url …`: a perf run in the same report.
#[derive(Args, Debug, Default)]
pub struct PerfCheckArgs {}

impl PerfCheckArgs {
    /// Runs the load when asked and adds the `perf` section and its checks to `report`.
    pub fn add_to_report(&self, _policy: &Policy, _report: &mut Report) -> Result<()> {
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct PerfCmd {}

pub fn run(_cmd: PerfCmd) -> Result<i32> {
    anyhow::bail!("`gate perf` is not implemented yet")
}
