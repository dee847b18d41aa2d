//! `gate check --deployment FILE|DIR`: the function's configuration read from the template or
//! plan that will deploy it, held to `[lambda]` before the deploy — beside the image when the
//! same run checks one (architecture, drift), and the perf run when `--perf-report` brings it
//! (timeout margin).

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;

use lambda_gate::deployed::iac;
use lambda_gate::policy::Policy;
use lambda_gate::report::Report;

#[derive(Args, Debug, Default)]
pub struct DeploymentArgs {
    /// Before the deploy: read the function's configuration from a SAM/CloudFormation
    /// template (YAML or JSON), a Terraform plan (`terraform show -json`) or a Terraform
    /// module directory, and hold it to `[lambda]` with the image (when given) and
    /// --perf-report (when given).
    #[arg(long, value_name = "FILE|DIR")]
    pub deployment: Option<PathBuf>,

    /// A template parameter (or pseudo parameter, e.g. AWS::StackName) or Terraform variable,
    /// as the deploy will set it; repeatable.
    #[arg(long = "parameter", value_name = "NAME=VALUE", value_parser = iac::parse_param, requires = "deployment")]
    pub parameters: Vec<(String, String)>,

    /// Which function of the file to check (name, logical id or resource address; default:
    /// every image function).
    #[arg(long, value_name = "NAME", requires = "deployment")]
    pub deployment_function: Option<String>,
}

impl DeploymentArgs {
    pub fn add_to_report(&self, policy: &Policy, report: &mut Report) -> Result<()> {
        let Some(path) = &self.deployment else {
            return Ok(());
        };
        // One report holds one configuration's table: the template's would replace the
        // deployed one and leave the deployed findings beside it unlabelled.
        if let Some(f) = report.function.as_ref().filter(|f| f.source.is_deployed()) {
            bail!(
                "--deployment {}: the perf report already holds the deployed function {} (after the deploy); check the template and the deployed function in two gate check steps",
                path.display(),
                f.name
            );
        }
        let params: iac::Params = self.parameters.iter().cloned().collect();
        let functions = iac::read(path, &params, self.deployment_function.as_deref())?;
        let digests = report
            .image
            .as_ref()
            .and_then(|i| i.manifest_digest.clone())
            .into_iter()
            .collect();
        lambda_gate::deployed::evaluate_all(report, functions, &policy.lambda, digests);
        Ok(())
    }
}

/// `gate check --deployment FILE` with no image: the configuration alone (and the perf run
/// when `--perf-report` gives one), through the same outputs as an image check.
pub fn run_alone(
    deployment: &DeploymentArgs,
    perf: &super::perf::PerfCheckArgs,
    output: &super::output::OutputArgs,
    github: &super::github::GithubArgs,
    policy: Policy,
) -> Result<i32> {
    let mut report = Report::default();
    perf.add_to_report(&policy, &mut report)?;
    deployment.add_to_report(&policy, &mut report)?;
    let report = report.finalize();
    output.emit(&report)?;
    let path = output.output.as_ref().map(|p| p.display().to_string());
    github.publish(&report, path.as_deref())?;
    Ok(report.verdict.exit_code())
}
