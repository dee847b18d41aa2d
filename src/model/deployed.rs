//! The deployed function: the image Lambda resolved, and the configuration the post-deploy
//! (or pre-deploy, from a template or plan) rules read.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The image a Lambda function runs, as `GetFunction` resolved it at deploy time.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeployedImage {
    pub function: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The image as deployed (`Code.ImageUri`, usually a tag).
    pub image_uri: String,
    /// The digest Lambda resolved and runs; the image was read by it.
    pub digest: String,
}

/// A deployed Lambda function's configuration (GetFunction, GetFunctionEventInvokeConfig,
/// GetProvisionedConcurrencyConfig and its log group), as the post-deploy checks saw it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeployedFunction {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    /// "$LATEST" or the version number the qualifier resolved to.
    #[serde(default)]
    pub version: String,
    pub memory_mb: u64,
    pub timeout_s: u64,
    /// "x86_64" | "arm64"
    pub architecture: String,
    /// "Active" | "PassThrough"
    pub tracing: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure_destination: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_concurrency: Option<u64>,
    /// Provisioned concurrency allocated to the qualifier, when there is any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioned_concurrency: Option<u64>,
    #[serde(default)]
    pub log_group: String,
    /// Whether the log group could be read (CloudWatch Logs may not be granted to the gate).
    #[serde(default)]
    pub log_group_read: bool,
    /// Days; absent when the logs never expire (or the group could not be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_retention_days: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_uri: Option<String>,
    /// The manifest digest Lambda resolved the image to (`sha256:…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_digest: Option<String>,
    /// Where this configuration was read: the Lambda API after the deploy, or a template, a
    /// Terraform plan or Terraform HCL before it (`gate check --deployment`).
    #[serde(default, skip_serializing_if = "ConfigSource::is_deployed")]
    pub source: ConfigSource,
    /// The template or plan read (as given on the command line), before a deploy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Where each value came from, by field name (`timeout_s`, `tracing`, …; `function` is the
    /// resource itself): what a finding on that value points at.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub locations: BTreeMap<String, SourceLocation>,
    /// Values a template or plan cannot tell before the deploy, by field name, with why
    /// ("known after apply", an unresolved `!Ref`): a rule reading one says "not checked".
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unknown: BTreeMap<String, String>,
    /// The place each finding on this configuration points at, by rule id (the value the
    /// rule read, else the resource): what SARIF and the comment show beside it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rule_locations: BTreeMap<String, SourceLocation>,
    /// "Image" | "Zip", as the template or plan says (the Lambda API's answer is not read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_type: Option<String>,
    /// Zip-only settings a template may also set on an image function, where they are errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<String>,
}

/// Where a function's configuration was read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfigSource {
    /// The Lambda API, after the deploy.
    #[default]
    Deployed,
    /// A SAM or CloudFormation template.
    Template,
    /// A Terraform plan (`terraform show -json`).
    Plan,
    /// Terraform HCL (`*.tf`), read without terraform.
    Hcl,
}

impl ConfigSource {
    pub fn is_deployed(&self) -> bool {
        *self == ConfigSource::Deployed
    }

    pub fn describe(&self) -> &'static str {
        match self {
            ConfigSource::Deployed => "the Lambda API",
            ConfigSource::Template => "the template",
            ConfigSource::Plan => "the Terraform plan",
            ConfigSource::Hcl => "the Terraform configuration",
        }
    }
}

/// A place in a template or plan: file and line, or a plan's resource address (plan JSON has
/// no line a person would edit).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLocation {
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl std::fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(a) = &self.address {
            write!(f, " ({a})")?;
        }
        Ok(())
    }
}
