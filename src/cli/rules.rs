//! The rule flags of `gate check` (`--dive-ci`) and `gate init`.
//!
//! (Stub: the rules issue fills this file.)

use anyhow::Result;
use clap::Args;

use lambda_gate::policy::Policy;

#[derive(Args, Debug, Default)]
pub struct RulesArgs {}

impl RulesArgs {
    /// Applies rule flags to the policy before the image job runs.
    pub fn apply(&self, _policy: &mut Policy) -> Result<()> {
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct InitCmd {}

pub fn run_init(_cmd: InitCmd) -> Result<i32> {
    anyhow::bail!("`gate init` is not implemented yet")
}
