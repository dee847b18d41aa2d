//! Terraform plans as `terraform show -json plan.out` writes them (format 0.1 to 1.x):
//! `resource_changes[].change.after` with `after_unknown` for what is known only after apply,
//! else `planned_values.root_module` and its nested `child_modules`. A value present only in
//! `after_unknown` is unknown, not missing: a rule on it says "not checked".
//!
//! Plan JSON has no line a person edits; findings point at the resource address (and the line
//! of that address in the plan file, so SARIF has somewhere to put them).

use anyhow::{anyhow, bail, Result};
use serde_json::Value;

use super::{as_i64, Builder};
use crate::model::{ConfigSource, DeployedFunction};

/// A JSON document with `format_version` and planned values or resource changes.
pub fn looks_like_plan(text: &str) -> bool {
    let head = &text[..text.len().min(4096)];
    text.trim_start().starts_with('{')
        && head.contains("\"format_version\"")
        && (text.contains("\"planned_values\"") || text.contains("\"resource_changes\""))
}

/// One resource as the plan will leave it.
struct Res<'a> {
    address: String,
    kind: &'a str,
    after: &'a Value,
    unknown: &'a Value,
}

pub fn read(file: &str, text: &str) -> Result<Vec<DeployedFunction>> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| anyhow!("{file}:{}: not a Terraform plan in JSON: {e}", e.line()))?;
    let version = doc["format_version"].as_str().unwrap_or_default();
    let major = version.split('.').next().unwrap_or_default();
    if !matches!(major, "0" | "1") {
        bail!("{file}:1: plan format_version {version:?}: this gate reads formats 0.1 to 1.x");
    }
    let resources = resources(&doc);
    let line_of = |address: &str| line_of_address(text, address);
    let mut out = Vec::new();
    for r in resources.iter().filter(|r| r.kind == "aws_lambda_function") {
        let name = r.after["function_name"].as_str().unwrap_or(&r.address);
        let mut b = Builder::new(ConfigSource::Plan, file, name);
        let line = line_of(&r.address);
        let at = |b: &mut Builder, field: &str| b.at(field, line, Some(&r.address));
        at(&mut b, "function");
        // Each attribute: known (after), known only after apply (after_unknown), or unset.
        let get = |b: &mut Builder, field: &str, key: &str| -> Option<&Value> {
            at(b, field);
            if contains_true(&r.unknown[key]) {
                b.unknown(field, format!("{key} is known only after apply"));
                return None;
            }
            Some(&r.after[key]).filter(|v| !v.is_null())
        };
        let s = |v: &Value| v.as_str().map(str::to_string);
        b.f.package_type = get(&mut b, "package_type", "package_type")
            .and_then(s)
            .or_else(|| Some("Zip".into()).filter(|_| !b.f.unknown.contains_key("package_type")));
        b.f.image_uri = get(&mut b, "image_uri", "image_uri")
            .and_then(s)
            .filter(|u| !u.is_empty());
        if let Some(m) = get(&mut b, "memory_mb", "memory_size").and_then(as_i64) {
            b.f.memory_mb = m.max(0) as u64;
        }
        if let Some(t) = get(&mut b, "timeout_s", "timeout").and_then(as_i64) {
            b.f.timeout_s = t.max(0) as u64;
        }
        if let Some(a) = get(&mut b, "architecture", "architectures").and_then(|v| v[0].as_str()) {
            b.f.architecture = a.to_string();
        }
        if let Some(m) =
            get(&mut b, "tracing", "tracing_config").and_then(|v| v[0]["mode"].as_str())
        {
            b.f.tracing = m.to_string();
        }
        b.f.dead_letter_target = get(&mut b, "dead_letter_target", "dead_letter_config")
            .and_then(|v| v[0]["target_arn"].as_str())
            .map(str::to_string)
            .filter(|t| !t.is_empty());
        if b.f.dead_letter_target.is_none() && contains_true(&r.unknown["dead_letter_config"]) {
            b.unknown(
                "dead_letter_target",
                "dead_letter_config is known only after apply",
            );
        }
        // -1 is "no reservation" (the provider's default), not a limit.
        b.f.reserved_concurrency = get(
            &mut b,
            "reserved_concurrency",
            "reserved_concurrent_executions",
        )
        .and_then(as_i64)
        .and_then(|n| u64::try_from(n).ok());
        b.f.runtime = get(&mut b, "runtime", "runtime")
            .and_then(s)
            .filter(|x| !x.is_empty());
        b.f.handler = get(&mut b, "handler", "handler")
            .and_then(s)
            .filter(|x| !x.is_empty());
        b.f.layers = get(&mut b, "layers", "layers")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(s).collect())
            .unwrap_or_default();
        let log_group = get(&mut b, "log_group", "logging_config")
            .and_then(|v| v[0]["log_group"].as_str())
            .filter(|g| !g.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("/aws/lambda/{name}"));
        b.f.log_group = log_group.clone();
        let name_known = !r.after["function_name"].is_null();
        let targets = |o: &Res| name_known && o.after["function_name"].as_str() == Some(name);

        for o in &resources {
            match o.kind {
                "aws_lambda_function_event_invoke_config" if targets(o) => {
                    b.f.on_failure_destination = o.after["destination_config"][0]["on_failure"][0]
                        ["destination"]
                        .as_str()
                        .map(str::to_string)
                        .filter(|d| !d.is_empty());
                    if b.f.on_failure_destination.is_none()
                        && contains_true(&o.unknown["destination_config"])
                    {
                        b.f.on_failure_destination =
                            Some(format!("{} (known after apply)", o.address));
                    }
                    b.at(
                        "on_failure_destination",
                        line_of(&o.address),
                        Some(&o.address),
                    );
                }
                "aws_lambda_provisioned_concurrency_config" if targets(o) => {
                    b.f.provisioned_concurrency =
                        as_i64(&o.after["provisioned_concurrent_executions"])
                            .and_then(|n| u64::try_from(n).ok())
                            .filter(|&n| n > 0);
                    b.f.qualifier = o.after["qualifier"].as_str().map(str::to_string);
                    b.at(
                        "provisioned_concurrency",
                        line_of(&o.address),
                        Some(&o.address),
                    );
                }
                "aws_cloudwatch_log_group" if o.after["name"].as_str() == Some(&log_group) => {
                    b.at("log_group", line_of(&o.address), Some(&o.address));
                    b.at("log_retention_days", line_of(&o.address), Some(&o.address));
                    if contains_true(&o.unknown["retention_in_days"]) {
                        b.unknown(
                            "log_retention_days",
                            "retention_in_days is known only after apply",
                        );
                    }
                    // 0 (the provider's default) is "never expire".
                    b.f.log_retention_days = as_i64(&o.after["retention_in_days"])
                        .and_then(|d| u64::try_from(d).ok())
                        .filter(|&d| d > 0);
                }
                _ => {}
            }
        }
        if !name_known && !b.f.locations.contains_key("log_retention_days") {
            b.unknown(
                "log_group",
                "the function's name is known only after apply, so its log group cannot be matched",
            );
        }
        out.push(b.finish());
    }
    Ok(out)
}

/// Every resource the plan leaves, from `resource_changes` (deleted ones left out), else
/// from `planned_values` through its nested child modules.
fn resources(doc: &Value) -> Vec<Res<'_>> {
    static NONE: Value = Value::Null;
    if let Some(changes) = doc["resource_changes"].as_array().filter(|c| !c.is_empty()) {
        return changes
            .iter()
            .filter(|c| c["mode"].as_str() != Some("data") && !c["change"]["after"].is_null())
            .map(|c| Res {
                address: c["address"].as_str().unwrap_or_default().to_string(),
                kind: c["type"].as_str().unwrap_or_default(),
                after: &c["change"]["after"],
                unknown: &c["change"]["after_unknown"],
            })
            .collect();
    }
    let mut out = Vec::new();
    let mut stack = vec![&doc["planned_values"]["root_module"]];
    // Modules nest as deep as the plan says; the plan's own size bounds the walk.
    while let Some(m) = stack.pop() {
        for r in m["resources"].as_array().into_iter().flatten() {
            if r["mode"].as_str() == Some("data") {
                continue;
            }
            out.push(Res {
                address: r["address"].as_str().unwrap_or_default().to_string(),
                kind: r["type"].as_str().unwrap_or_default(),
                after: &r["values"],
                unknown: &NONE,
            });
        }
        stack.extend(m["child_modules"].as_array().into_iter().flatten());
    }
    out
}

/// Whether an `after_unknown` entry says any part of the value is unknown.
fn contains_true(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Array(a) => a.iter().any(contains_true),
        Value::Object(o) => o.values().any(contains_true),
        _ => false,
    }
}

/// The line of `"address": "<address>"` in the plan file (its first occurrence, in
/// `planned_values` or `resource_changes`).
fn line_of_address(text: &str, address: &str) -> Option<u64> {
    let quoted = serde_json::to_string(address).ok()?;
    let mut from = 0;
    while let Some(i) = text[from..].find(&quoted) {
        let at = from + i;
        let before = text[..at].trim_end();
        if before.ends_with(':')
            && before[..before.len() - 1]
                .trim_end()
                .ends_with("\"address\"")
        {
            return Some(text[..at].bytes().filter(|&b| b == b'\n').count() as u64 + 1);
        }
        from = at + quoted.len();
    }
    None
}
