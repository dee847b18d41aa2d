//! Terraform plans as `terraform show -json plan.out` writes them (format 0.1 to 1.x):
//! `resource_changes[].change.after` with `after_unknown` for what is known only after apply,
//! else `planned_values.root_module` and its nested `child_modules`. A value present only in
//! `after_unknown` is unknown, not missing: a rule on it says "not checked".
//!
//! A resource that belongs to a function (its log group, event-invoke config, alias,
//! provisioned concurrency) is matched by the literal `function_name` when the plan knows it,
//! and else by the plan's `configuration`: the resource's `function_name` (or a log group's
//! `name`) expression references the function's address, or an alias that points at it. A
//! name known only after apply (`random_pet`, a module output) is then still matched.
//!
//! Plan JSON has no line a person edits; findings point at the resource address (and the line
//! of that address in the plan file, so SARIF has somewhere to put them).

use std::collections::HashMap;

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
    /// The address without instance keys (`[0]`, `["a"]`), as `configuration` names it.
    cfg: String,
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
    let exprs = expressions(&doc);
    // The configuration addresses an expression of `o` references (resources only).
    let refs = |o: &Res, key: &str| -> Vec<String> {
        let Some((scope, e)) = exprs.get(&o.cfg) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        collect_refs(&e[key], scope, &mut out);
        out
    };
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
        let literal = |o: &Res| name_known && o.after["function_name"].as_str() == Some(name);
        // The aliases of this function, by their configuration address.
        let aliases: Vec<&Res> = resources
            .iter()
            .filter(|o| o.kind == "aws_lambda_alias")
            .filter(|o| literal(o) || refs(o, "function_name").contains(&r.cfg))
            .collect();
        let alias_names: Vec<&str> = aliases
            .iter()
            .filter_map(|a| a.after["name"].as_str())
            .collect();
        let targets = |o: &Res| {
            literal(o)
                || refs(o, "function_name")
                    .iter()
                    .chain(refs(o, "qualifier").iter())
                    .any(|x| *x == r.cfg || aliases.iter().any(|a| a.cfg == *x))
        };
        if let Some(a) = aliases.first() {
            b.f.qualifier = a.after["name"].as_str().map(str::to_string);
            b.at("qualifier", line_of(&a.address), Some(&a.address));
        }

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
                    let q = o.after["qualifier"].as_str();
                    // Provisioned concurrency on one of this function's aliases, or on a
                    // version: the qualifier it is allocated to.
                    if let Some(q) = q.filter(|q| alias_names.is_empty() || alias_names.contains(q))
                    {
                        b.f.qualifier = Some(q.to_string());
                    }
                    b.at(
                        "provisioned_concurrency",
                        line_of(&o.address),
                        Some(&o.address),
                    );
                }
                "aws_cloudwatch_log_group"
                    if o.after["name"].as_str() == Some(&log_group)
                        || refs(o, "name").contains(&r.cfg) =>
                {
                    if let Some(n) = o.after["name"].as_str() {
                        b.f.log_group = n.to_string();
                    }
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
                cfg: without_keys(c["address"].as_str().unwrap_or_default()),
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
                cfg: without_keys(r["address"].as_str().unwrap_or_default()),
                kind: r["type"].as_str().unwrap_or_default(),
                after: &r["values"],
                unknown: &NONE,
            });
        }
        stack.extend(m["child_modules"].as_array().into_iter().flatten());
    }
    out
}

/// Each resource's `expressions` in the plan's `configuration`, by its full configuration
/// address (`module.a.module.b.aws_lambda_function.this`), with the module prefix its own
/// references are relative to.
fn expressions(doc: &Value) -> HashMap<String, (String, &Value)> {
    let mut out = HashMap::new();
    let mut stack = vec![(String::new(), &doc["configuration"]["root_module"])];
    // Module calls nest as deep as the plan says; the plan's own size bounds the walk.
    while let Some((prefix, m)) = stack.pop() {
        for r in m["resources"].as_array().into_iter().flatten() {
            if let Some(a) = r["address"].as_str() {
                out.insert(format!("{prefix}{a}"), (prefix.clone(), &r["expressions"]));
            }
        }
        for (name, call) in m["module_calls"].as_object().into_iter().flatten() {
            stack.push((format!("{prefix}module.{name}."), &call["module"]));
        }
    }
    out
}

/// The resource addresses an expression references (`references` at any depth: nested
/// blocks are lists of objects), made absolute with the module's prefix; variables, locals,
/// module outputs and data sources are not resources of the plan and are left out.
fn collect_refs(e: &Value, scope: &str, out: &mut Vec<String>) {
    match e {
        Value::Object(o) => {
            for r in o
                .get("references")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let plain = without_keys(r);
                let mut parts = plain.split('.');
                if let (Some(kind), Some(name)) = (parts.next(), parts.next()) {
                    let other = matches!(
                        kind,
                        "var"
                            | "local"
                            | "module"
                            | "data"
                            | "path"
                            | "count"
                            | "each"
                            | "self"
                            | "terraform"
                    );
                    let full = format!("{scope}{kind}.{name}");
                    if !other && !out.contains(&full) {
                        out.push(full);
                    }
                }
            }
            o.iter()
                .filter(|(k, _)| *k != "references")
                .for_each(|(_, v)| collect_refs(v, scope, out));
        }
        Value::Array(a) => a.iter().for_each(|v| collect_refs(v, scope, out)),
        _ => {}
    }
}

/// An address without its instance keys: `module.a["x"].aws_s3_bucket.b[0]` is
/// `module.a.aws_s3_bucket.b` (a key may hold dots or brackets inside its quotes).
fn without_keys(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for c in address.chars() {
        if depth > 0 {
            match c {
                _ if escaped => escaped = false,
                '\\' if quoted => escaped = true,
                '"' => quoted = !quoted,
                '[' if !quoted => depth += 1,
                ']' if !quoted => depth -= 1,
                _ => {}
            }
        } else if c == '[' {
            depth = 1;
        } else {
            out.push(c);
        }
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
