//! `gate security REPORT…` and the scanner flags of `gate check`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use lambda_gate::policy::{Flags, Policy};
use lambda_gate::report::Report;
use lambda_gate::security::{self, Severity};

fn severity(s: &str) -> Result<Severity, String> {
    match Severity::parse(s) {
        Some(sev) if sev != Severity::Unknown => Ok(sev),
        _ => Err(format!("{s:?}: expected critical, high, medium or low")),
    }
}

/// The policy flags shared by `gate check` and `gate security`; they win over gate.toml.
#[derive(Args, Debug, Default)]
pub struct PolicyFlags {
    /// Fail on findings at or above this severity (default: high; all are reported).
    #[arg(long, value_name = "SEVERITY", value_parser = severity)]
    pub fail_on: Option<Severity>,

    /// Only findings with a fixed version fail the gate.
    #[arg(long)]
    pub only_fixed: bool,

    /// With --baseline, only findings new since the baseline fail the gate.
    #[arg(long)]
    pub new_only: bool,

    /// Honour a .trivyignore file (ids, `exp:YYYY-MM-DD`).
    #[arg(long, value_name = "FILE")]
    pub trivyignore: Option<PathBuf>,
}

impl PolicyFlags {
    pub fn flags(&self) -> Flags {
        Flags {
            fail_on: self.fail_on,
            only_fixed: self.only_fixed,
            new_only: self.new_only,
            trivyignore: self.trivyignore.clone(),
            ..Flags::default()
        }
    }
}

/// Scanner reports to aggregate into `gate check`'s report.
#[derive(Args, Debug, Default)]
pub struct SecurityArgs {
    /// Trivy JSON report (or Trivy CycloneDX).
    #[arg(long, value_name = "FILE")]
    pub trivy: Vec<PathBuf>,
    /// cargo-audit JSON report.
    #[arg(long, value_name = "FILE")]
    pub audit: Vec<PathBuf>,
    /// CycloneDX SBOM or VEX (JSON).
    #[arg(long, value_name = "FILE")]
    pub sbom: Vec<PathBuf>,
    /// Grype JSON report.
    #[arg(long, value_name = "FILE")]
    pub grype: Vec<PathBuf>,
    /// SARIF 2.1.0 from any tool (Semgrep, Bandit, CodeQL, …); repeatable.
    #[arg(long, value_name = "FILE")]
    pub sarif: Vec<PathBuf>,
    /// RustSec advisory database (a checkout of github.com/rustsec/advisory-db) to audit the
    /// crates of the image's Rust binaries against, as cargo-audit does; never fetched.
    #[arg(long, value_name = "DIR", conflicts_with = "no_packages")]
    pub rustsec_db: Option<PathBuf>,
    #[command(flatten)]
    pub policy: PolicyFlags,
}

impl SecurityArgs {
    /// The scanner reports, each with the format its flag names (Trivy's is read from it).
    pub fn files(&self) -> Vec<(PathBuf, Option<&'static str>)> {
        let mut out = Vec::new();
        // Trivy may be JSON or CycloneDX: its content decides.
        out.extend(self.trivy.iter().map(|p| (p.clone(), None)));
        out.extend(self.audit.iter().map(|p| (p.clone(), Some("cargo-audit"))));
        out.extend(self.sbom.iter().map(|p| (p.clone(), Some("sbom"))));
        out.extend(self.grype.iter().map(|p| (p.clone(), Some("grype"))));
        out.extend(self.sarif.iter().map(|p| (p.clone(), Some("sarif"))));
        out
    }
}

#[derive(Args, Debug)]
pub struct SecurityCmd {
    /// Scanner reports; the format of each is read from its content.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,

    #[command(flatten)]
    pub policy_flags: PolicyFlags,

    /// Policy file (default: ./gate.toml when present).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    #[command(flatten)]
    pub output: super::output::OutputArgs,
}

pub fn run(cmd: SecurityCmd) -> Result<i32> {
    let policy = Policy::resolve(cmd.policy.as_deref(), &cmd.policy_flags.flags())?;
    let baseline = cmd.output.load_baseline()?;
    let files: Vec<(PathBuf, Option<&str>)> =
        cmd.reports.iter().map(|p| (p.clone(), None)).collect();
    let (sec, checks) = security::evaluate(&files, &policy.security, baseline.as_ref())?;
    let mut report = Report {
        security: Some(sec),
        checks,
        ..Report::default()
    };
    report = report.finalize();
    cmd.output.emit(&report)?;
    Ok(report.verdict.exit_code())
}
