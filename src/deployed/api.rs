//! Reads a deployed function's configuration from the Lambda API (and its log group's
//! retention from CloudWatch Logs): the facts the post-deploy rules hold to the policy.
//!
//! GetFunction carries the configuration, the image and the reserved concurrency in one call;
//! the optional settings (event invoke config, provisioned concurrency) answer 404 when they
//! were never made, which is an answer, not an error.

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::aws::lambda::{FunctionSpec, GetFunction};
use crate::aws::Aws;
use crate::model::DeployedFunction;

/// `name` may be `NAME:QUALIFIER` (as the Lambda CLI takes it) or an ARN; `qualifier`, when
/// given, wins.
pub async fn read_function(
    aws: &Aws,
    name: &str,
    qualifier: Option<&str>,
) -> Result<DeployedFunction> {
    let spec = FunctionSpec::parse(name, qualifier)?;
    let got = aws
        .get_function(&spec)
        .await
        .with_context(|| format!("GetFunction {}", spec.name))?;
    from_answer(aws, &spec, got).await
}

/// The configuration from a `GetFunction` answer already had (`gate check --function` read
/// it for the image), completed by the calls GetFunction does not cover.
pub async fn from_answer(
    aws: &Aws,
    spec: &FunctionSpec,
    got: GetFunction,
) -> Result<DeployedFunction> {
    let name = &spec.name;
    let c = got.configuration;
    // Defaults for missing fields would hold a made-up function to the policy.
    let (Some(memory_mb), Some(timeout_s)) = (c.memory_size, c.timeout) else {
        bail!(
            "GetFunction {name}: the answer holds no function configuration (MemorySize, Timeout)"
        );
    };
    let code = got.code.unwrap_or_default();
    let mut f = DeployedFunction {
        name: c.function_name.unwrap_or_else(|| name.clone()),
        qualifier: spec.qualifier.clone(),
        version: c.version.unwrap_or_else(|| "$LATEST".into()),
        memory_mb,
        timeout_s,
        architecture: c
            .architectures
            .first()
            .cloned()
            .unwrap_or_else(|| "x86_64".into()),
        tracing: c
            .tracing_config
            .and_then(|t| t.mode)
            .unwrap_or_else(|| "PassThrough".into()),
        dead_letter_target: c
            .dead_letter_config
            .and_then(|d| d.target_arn)
            .filter(|t| !t.is_empty()),
        reserved_concurrency: got
            .concurrency
            .and_then(|c| c.reserved_concurrent_executions),
        log_group: c
            .logging_config
            .and_then(|l| l.log_group)
            .unwrap_or_else(|| format!("/aws/lambda/{name}")),
        image_uri: code.image_uri,
        image_digest: code.resolved_image_uri.and_then(|u| digest_of(&u)),
        ..DeployedFunction::default()
    };
    if f.reserved_concurrency.is_none() {
        // Older answers (and emulators) leave Concurrency out of GetFunction.
        f.reserved_concurrency = aws.function_concurrency(spec).await?;
    }
    f.on_failure_destination = aws
        .on_failure_destination(spec)
        .await
        .with_context(|| format!("GetFunctionEventInvokeConfig {name}"))?;
    if spec.qualifier.is_some() {
        f.provisioned_concurrency = aws
            .provisioned_concurrency(spec)
            .await
            .with_context(|| format!("GetProvisionedConcurrencyConfig {name}"))?;
    }
    let body = serde_json::json!({ "logGroupNamePrefix": f.log_group }).to_string();
    let groups = aws
        .send(
            "POST",
            "logs",
            "/",
            &[
                ("content-type", "application/x-amz-json-1.1"),
                ("x-amz-target", "Logs_20140328.DescribeLogGroups"),
            ],
            body.as_bytes(),
        )
        .await;
    if let Ok(b) = groups {
        let v: Value = serde_json::from_slice(&b).unwrap_or_default();
        if let Some(g) = v["logGroups"].as_array().and_then(|gs| {
            gs.iter()
                .find(|g| g["logGroupName"] == f.log_group.as_str())
        }) {
            f.log_group_read = true;
            f.log_retention_days = g["retentionInDays"].as_u64();
        }
    }
    Ok(f)
}

/// `ACCOUNT.dkr.ecr.REGION.amazonaws.com/repo@sha256:…` → `sha256:…`.
pub(crate) fn digest_of(uri: &str) -> Option<String> {
    let (_, d) = uri.rsplit_once('@')?;
    let hex = d.strip_prefix("sha256:")?;
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_only_from_a_digest_reference() {
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(digest_of(&format!("1.dkr.ecr.x/r@{d}")), Some(d));
        assert_eq!(digest_of("1.dkr.ecr.x/r:latest"), None);
        assert_eq!(digest_of("r@sha256:abc"), None);
    }
}
