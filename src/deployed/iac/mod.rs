//! Before the deploy: a function's configuration read from the file that will deploy it — a
//! SAM/CloudFormation template, a Terraform plan (`terraform show -json`) or Terraform HCL —
//! into the same `DeployedFunction` the post-deploy rules hold to `[lambda]`, with where each
//! value came from and which values the file cannot tell (a parameter with no default,
//! "known after apply"). One reader per format; this module picks one and bounds the input.
//!
//! The file is the pull request's: it is read within a byte budget, never executed, and no
//! path it names is followed (a Terraform module's `source`, a template's `CodeUri`).

pub mod hcl;
pub mod plan;
pub mod template;
pub mod yaml;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::model::{ConfigSource, DeployedFunction, SourceLocation};

/// A template or plan larger than this is not a deployment file (the largest real plan in
/// the fixtures is 240 KB; a plan of a few thousand resources stays well under it).
pub const MAX_FILE_BYTES: u64 = 32 << 20;
/// Files of a Terraform module directory read at most (`*.tf` only).
pub const MAX_TF_FILES: usize = 200;

/// `--parameter K=V`: a template parameter (or pseudo parameter such as `AWS::StackName`), or
/// a Terraform variable, set as the deploy would set it.
pub type Params = BTreeMap<String, String>;

/// Parses `K=V`.
pub fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("{s:?}: expected NAME=VALUE")),
    }
}

/// Reads every Lambda function `path` deploys: a directory or `.tf` file is Terraform HCL, a
/// JSON document with `format_version` and planned values a Terraform plan, anything else a
/// SAM/CloudFormation template (YAML or JSON). `only` picks functions by name or logical id /
/// resource address; without it every image function is returned (every function, when the
/// file has no image function, so a Zip-only file is still checked).
pub fn read(path: &Path, params: &Params, only: Option<&str>) -> Result<Vec<DeployedFunction>> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).with_context(|| format!("{shown}: cannot read"))?;
    let all = if meta.is_dir() || path.extension().is_some_and(|e| e == "tf") {
        hcl::read(path, params)?
    } else {
        let text = read_bounded(path)?;
        if plan::looks_like_plan(&text) {
            plan::read(&shown, &text)?
        } else {
            template::read(&shown, &text, params)?
        }
    };
    select(all, only, &shown)
}

fn select(
    all: Vec<DeployedFunction>,
    only: Option<&str>,
    shown: &str,
) -> Result<Vec<DeployedFunction>> {
    if let Some(name) = only {
        let picked: Vec<_> = all
            .iter()
            .filter(|f| {
                f.name == name
                    || f.locations
                        .get("function")
                        .and_then(|l| l.address.as_deref())
                        .is_some_and(|a| a == name || a.rsplit('.').next() == Some(name))
            })
            .cloned()
            .collect();
        if picked.is_empty() {
            let names: Vec<_> = all.iter().map(|f| f.name.as_str()).collect();
            bail!(
                "{shown}: no Lambda function {name:?} (the file has: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            );
        }
        return Ok(picked);
    }
    if all.is_empty() {
        bail!("{shown}: no Lambda function in the file (AWS::Serverless::Function, AWS::Lambda::Function, aws_lambda_function)");
    }
    let images: Vec<_> = all
        .iter()
        .filter(|f| f.package_type.as_deref() == Some("Image"))
        .cloned()
        .collect();
    Ok(if images.is_empty() { all } else { images })
}

/// The file's bytes as UTF-8, refused past `MAX_FILE_BYTES` without reading them all.
pub fn read_bounded(path: &Path) -> Result<String> {
    use std::io::Read;
    let shown = path.display();
    let file = std::fs::File::open(path).with_context(|| format!("{shown}: cannot read"))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{shown}: cannot read"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        bail!(
            "{shown}: larger than {} MiB: not a deployment file",
            MAX_FILE_BYTES >> 20
        );
    }
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{shown}: not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// A function being read: the values with their places, and what could not be told. The
/// defaults are Lambda's (128 MB, 3 s, x86_64, PassThrough), which is what deploys when a
/// template leaves a setting out.
pub struct Builder {
    pub f: DeployedFunction,
    file: String,
}

impl Builder {
    pub fn new(source: ConfigSource, file: &str, name: &str) -> Builder {
        Builder {
            f: DeployedFunction {
                name: name.to_string(),
                version: "$LATEST".into(),
                memory_mb: 128,
                timeout_s: 3,
                architecture: "x86_64".into(),
                tracing: "PassThrough".into(),
                log_group_read: true,
                source,
                file: Some(file.to_string()),
                ..DeployedFunction::default()
            },
            file: file.to_string(),
        }
    }

    /// Records where `field` was read: a line, or a plan's resource address.
    pub fn at(&mut self, field: &str, line: Option<u64>, address: Option<&str>) {
        self.f.locations.insert(
            field.to_string(),
            SourceLocation {
                file: self.file.clone(),
                line,
                address: address.map(str::to_string),
            },
        );
    }

    pub fn unknown(&mut self, field: &str, why: impl Into<String>) {
        self.f.unknown.insert(field.to_string(), why.into());
    }

    /// Sets the digest the image URI pins, so drift against the gated image is checked before
    /// the deploy too.
    pub fn finish(mut self) -> DeployedFunction {
        if self.f.log_group.is_empty() {
            self.f.log_group = format!("/aws/lambda/{}", self.f.name);
        }
        self.f.image_digest = self.f.image_uri.as_deref().and_then(super::api::digest_of);
        self.f
    }
}

/// A count or size from a template or plan: an integer, or a string holding one (a CloudFormation
/// `Number` parameter's default is often a string).
pub fn as_i64(v: &serde_json::Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}
