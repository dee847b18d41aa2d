//! `gate check --deployment FILE|DIR`: the function's configuration read from the template or
//! plan that will deploy it, held to `[lambda]` before the deploy — beside the image when the
//! same run checks one (architecture, drift), and the perf run when `--perf-report` brings it
//! (timeout margin).

use std::path::PathBuf;

use clap::Args;

use lambda_gate::check::Deployment;
use lambda_gate::deployed::iac;

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
    /// The template or plan to read, for the library.
    pub fn input(&self) -> Option<Deployment> {
        Some(Deployment {
            path: self.deployment.clone()?,
            params: self.parameters.iter().cloned().collect(),
            function: self.deployment_function.clone(),
        })
    }
}
