//! Reads a deployed function's configuration from the Lambda API (and its log group's
//! retention from CloudWatch Logs): the facts the post-deploy rules hold to the policy.
//!
//! GetFunction carries the configuration, the image and the reserved concurrency in one call;
//! the optional settings (event invoke config, provisioned concurrency) answer 404 when they
//! were never made, which is an answer, not an error.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;

use crate::aws::{is_not_found, segment, Aws};
use crate::model::DeployedFunction;

/// `name` may be `NAME:QUALIFIER` (as the Lambda CLI takes it) or an ARN; `qualifier`, when
/// given, wins.
pub async fn read_function(
    aws: &Aws,
    name: &str,
    qualifier: Option<&str>,
) -> Result<DeployedFunction> {
    let (name, qualifier) = split_qualifier(name, qualifier);
    let fname = segment(&name);
    let q = qualifier
        .as_deref()
        .map(|q| format!("?Qualifier={}", segment(q)))
        .unwrap_or_default();
    let got = aws
        .send(
            "GET",
            "lambda",
            &format!("/2015-03-31/functions/{fname}{q}"),
            &[],
            b"",
        )
        .await
        .with_context(|| format!("GetFunction {name}"))?;
    let v: Value = serde_json::from_slice(&got)
        .map_err(|e| anyhow!("GetFunction {name}: the answer is not JSON ({e})"))?;
    let c = &v["Configuration"];
    // Defaults for missing fields would hold a made-up function to the policy.
    if c["MemorySize"].as_u64().is_none() || c["Timeout"].as_u64().is_none() {
        bail!(
            "GetFunction {name}: the answer holds no function configuration (MemorySize, Timeout)"
        );
    }
    let s = |x: &Value| x.as_str().map(str::to_string);
    let mut f = DeployedFunction {
        name: s(&c["FunctionName"]).unwrap_or_else(|| name.clone()),
        qualifier: qualifier.clone(),
        version: s(&c["Version"]).unwrap_or_else(|| "$LATEST".into()),
        memory_mb: c["MemorySize"].as_u64().unwrap_or_default(),
        timeout_s: c["Timeout"].as_u64().unwrap_or_default(),
        architecture: c["Architectures"][0]
            .as_str()
            .unwrap_or("x86_64")
            .to_string(),
        tracing: s(&c["TracingConfig"]["Mode"]).unwrap_or_else(|| "PassThrough".into()),
        dead_letter_target: s(&c["DeadLetterConfig"]["TargetArn"]).filter(|t| !t.is_empty()),
        reserved_concurrency: v["Concurrency"]["ReservedConcurrentExecutions"].as_u64(),
        log_group: s(&c["LoggingConfig"]["LogGroup"])
            .unwrap_or_else(|| format!("/aws/lambda/{name}")),
        image_uri: s(&v["Code"]["ImageUri"]),
        image_digest: s(&v["Code"]["ResolvedImageUri"]).and_then(|u| digest_of(&u)),
        ..DeployedFunction::default()
    };
    if f.reserved_concurrency.is_none() {
        // Older answers (and emulators) leave Concurrency out of GetFunction.
        f.reserved_concurrency = optional(
            aws.send(
                "GET",
                "lambda",
                &format!("/2019-09-30/functions/{fname}/concurrency"),
                &[],
                b"",
            )
            .await,
        )?
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v["ReservedConcurrentExecutions"].as_u64());
    }
    let invoke_cfg = optional(
        aws.send(
            "GET",
            "lambda",
            &format!("/2019-09-25/functions/{fname}/event-invoke-config{q}"),
            &[],
            b"",
        )
        .await,
    )
    .with_context(|| format!("GetFunctionEventInvokeConfig {name}"))?;
    f.on_failure_destination = invoke_cfg
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| s(&v["DestinationConfig"]["OnFailure"]["Destination"]))
        .filter(|d| !d.is_empty());
    if qualifier.is_some() {
        let pc = optional(
            aws.send(
                "GET",
                "lambda",
                &format!("/2019-09-30/functions/{fname}/provisioned-concurrency{q}"),
                &[],
                b"",
            )
            .await,
        )
        .with_context(|| format!("GetProvisionedConcurrencyConfig {name}"))?;
        f.provisioned_concurrency = pc
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|v| v["AllocatedProvisionedConcurrentExecutions"].as_u64())
            .filter(|&n| n > 0);
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

/// A 404 for an optional setting means "not configured".
fn optional(r: Result<Vec<u8>>) -> Result<Option<Vec<u8>>> {
    match r {
        Ok(b) => Ok(Some(b)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

fn split_qualifier(name: &str, qualifier: Option<&str>) -> (String, Option<String>) {
    // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] has 7 or 8 parts.
    let parts: Vec<&str> = name.split(':').collect();
    let (base, q) = if name.starts_with("arn:") {
        if parts.len() == 8 {
            (parts[..7].join(":"), Some(parts[7].to_string()))
        } else {
            (name.to_string(), None)
        }
    } else if parts.len() == 2 {
        (parts[0].to_string(), Some(parts[1].to_string()))
    } else {
        (name.to_string(), None)
    };
    (base, qualifier.map(str::to_string).or(q))
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
    fn qualifiers_from_names_and_arns() {
        assert_eq!(split_qualifier("f", None), ("f".into(), None));
        assert_eq!(
            split_qualifier("f:live", None),
            ("f".into(), Some("live".into()))
        );
        assert_eq!(
            split_qualifier("arn:aws:lambda:us-east-1:123:function:f:7", None),
            (
                "arn:aws:lambda:us-east-1:123:function:f".into(),
                Some("7".into())
            )
        );
        assert_eq!(
            split_qualifier("f:live", Some("3")),
            ("f".into(), Some("3".into()))
        );
    }

    #[test]
    fn digest_only_from_a_digest_reference() {
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(digest_of(&format!("1.dkr.ecr.x/r@{d}")), Some(d));
        assert_eq!(digest_of("1.dkr.ecr.x/r:latest"), None);
        assert_eq!(digest_of("r@sha256:abc"), None);
    }
}
