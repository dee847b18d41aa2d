//! The rule flags of `gate check` (`--dive-ci`, `--architecture`) and `gate init`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;

use lambda_gate::policy;

/// dive's CI file, picked up from the working directory as `dive --ci` does.
use lambda_gate::policy::base::DIVE_CI_FILE;

#[derive(Args, Debug, Default)]
pub struct RulesArgs {
    /// Evaluate dive's CI rules from this file (default: ./.dive-ci when present).
    #[arg(long, value_name = "FILE")]
    pub dive_ci: Option<PathBuf>,

    /// The function's architecture (x86_64/amd64 or arm64), for lambda-architecture.
    #[arg(long, value_name = "ARCH")]
    pub architecture: Option<String>,
}

impl RulesArgs {
    /// dive's CI file to evaluate: `--dive-ci`, else `./.dive-ci` when present (`true`: found
    /// there, which the report notes).
    pub fn dive_ci_file(&self) -> Option<(PathBuf, bool)> {
        match &self.dive_ci {
            Some(p) => Some((p.clone(), false)),
            None if Path::new(DIVE_CI_FILE).is_file() => Some((PathBuf::from(DIVE_CI_FILE), true)),
            None => None,
        }
    }
}

#[derive(Args, Debug)]
pub struct InitCmd {
    /// Where to write the policy.
    #[arg(default_value = policy::DEFAULT_FILE)]
    pub path: PathBuf,

    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

pub fn run_init(cmd: InitCmd) -> Result<i32> {
    if cmd.path.exists() && !cmd.force {
        bail!(
            "{}: already exists; use --force to overwrite",
            cmd.path.display()
        );
    }
    std::fs::write(&cmd.path, policy::template())
        .with_context(|| format!("{}: cannot write", cmd.path.display()))?;
    eprintln!(
        "wrote {} (every option, commented, with its default)",
        lambda_gate::term::escape(&cmd.path.display().to_string())
    );
    Ok(0)
}
