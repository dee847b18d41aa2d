//! SAM and CloudFormation templates: each `AWS::Serverless::Function` (with `Globals.Function`
//! unless `IgnoreGlobals` says not) and `AWS::Lambda::Function`, with the resources that
//! configure it from outside (`AWS::Lambda::EventInvokeConfig`, `AWS::Lambda::Alias`, the
//! `AWS::Logs::LogGroup` it logs to). Intrinsics are resolved as far as the template and
//! `--parameter` tell: `Ref` to a parameter (its value or Default), `Fn::Sub`, `Fn::If` on a
//! condition that resolves, `Fn::Join`, `Fn::Select`; a pseudo parameter, a `!GetAtt` or a
//! resource's physical id is known only at deploy and leaves the value unknown.

use anyhow::{bail, Result};
use serde_json::{json, Value};

use super::yaml::{self, Node, V};
use super::{as_i64, Builder, Params};
use crate::model::{ConfigSource, DeployedFunction};

/// Intrinsics, references and conditions resolved inside each other: deeper than this is a
/// cycle (`!Ref` of a log group whose name refers to itself, a condition on itself).
const MAX_DEPTH: usize = 64;

/// Nodes of `Globals.Function` copied into functions' merged properties, all functions
/// together: a small Globals times many functions, or a big Globals times a few, is a
/// template; past this it is a file made to make the gate allocate.
const MAX_MERGED_NODES: usize = 2_000_000;

pub fn read(file: &str, text: &str, params: &Params) -> Result<Vec<DeployedFunction>> {
    let root = yaml::parse(file, text)?;
    let Some(resources) = root.get("Resources").filter(|r| matches!(r.v, V::Map(_))) else {
        bail!(
            "{file}:{}: no Resources mapping: not a SAM or CloudFormation template",
            root.line
        );
    };
    let t = Template {
        root: &root,
        resources,
        params,
    };
    if let Some(g) = root.get("Globals").and_then(|g| g.get("Function")) {
        let sam = resources
            .entries()
            .iter()
            .filter(|(_, r)| {
                r.get("Type").and_then(Node::as_str) == Some("AWS::Serverless::Function")
            })
            .count();
        if nodes(g).saturating_mul(sam) > MAX_MERGED_NODES {
            bail!(
                "{file}:{}: Globals.Function of {} nodes merged into {sam} functions is more than \
                 this gate merges ({MAX_MERGED_NODES} nodes)",
                g.line,
                nodes(g)
            );
        }
    }
    let mut out = Vec::new();
    for (id, res) in resources.entries() {
        let kind = res.get("Type").and_then(Node::as_str).unwrap_or_default();
        let sam = match kind {
            "AWS::Serverless::Function" => true,
            "AWS::Lambda::Function" => false,
            _ => continue,
        };
        out.push(t.function(file, id, res, sam));
    }
    Ok(out)
}

/// Unknown, with why.
type R = std::result::Result<Value, String>;

struct Template<'a> {
    root: &'a Node,
    resources: &'a Node,
    params: &'a Params,
}

/// One function's properties, `Globals.Function` merged beneath them for a SAM function.
struct Props<'a> {
    own: Option<&'a Node>,
    globals: Option<&'a Node>,
    ignore: Vec<String>,
    /// The keys both set as maps or lists, merged as SAM merges them.
    merged: Vec<(String, Node)>,
}

impl<'a> Props<'a> {
    fn new(own: Option<&'a Node>, globals: Option<&'a Node>, ignore: Vec<String>) -> Props<'a> {
        let mut p = Props {
            own,
            globals,
            ignore,
            merged: Vec::new(),
        };
        if let (Some(o), Some(g)) = (own, globals) {
            p.merged = o
                .entries()
                .iter()
                .filter(|(k, _)| !p.ignored(k))
                .filter_map(|(k, local)| {
                    let global = g.get(k)?;
                    let both = |n: &Node| matches!(n.v, V::Seq(_)) || is_map(n);
                    (both(global) && both(local)).then(|| (k.clone(), merge(global, local)))
                })
                .collect();
        }
        p
    }

    fn ignored(&self, key: &str) -> bool {
        self.ignore.iter().any(|i| i == "*" || i == key)
    }

    fn get(&self, key: &str) -> Option<&Node> {
        if let Some((_, m)) = self.merged.iter().find(|(k, _)| k == key) {
            return Some(m);
        }
        self.own.and_then(|p| p.get(key)).or_else(|| {
            if self.ignored(key) {
                return None;
            }
            self.globals.and_then(|g| g.get(key))
        })
    }
}

/// A mapping that is not an intrinsic (`{"Ref": …}`, `{"Fn::Sub": …}`): SAM treats an
/// intrinsic as a single value, replaced whole.
fn is_map(n: &Node) -> bool {
    match &n.v {
        V::Map(m) => !(m.len() == 1 && (m[0].0 == "Ref" || m[0].0.starts_with("Fn::"))),
        _ => false,
    }
}

/// SAM's Globals merge (samtranslator `plugins/globals/globals.py`, `_do_merge`): maps are
/// merged key by key, the function's value over the global one, recursively; lists are
/// concatenated, the global entries first; anything else (a scalar, an intrinsic, two
/// different kinds) is the function's. A merged map keeps the function's line, so a finding
/// points at what the function wrote.
fn merge(global: &Node, local: &Node) -> Node {
    match (&global.v, &local.v) {
        (V::Map(g), V::Map(l)) if is_map(global) && is_map(local) => {
            let mut out = g.clone();
            for (k, v) in l {
                match out.iter_mut().find(|(gk, _)| gk == k) {
                    Some(slot) => slot.1 = merge(&slot.1, v),
                    None => out.push((k.clone(), v.clone())),
                }
            }
            Node {
                line: local.line,
                v: V::Map(out),
            }
        }
        (V::Seq(g), V::Seq(l)) => Node {
            line: local.line,
            v: V::Seq(g.iter().chain(l).cloned().collect()),
        },
        _ => local.clone(),
    }
}

/// How many nodes a tree holds (what merging it copies).
fn nodes(n: &Node) -> usize {
    1 + match &n.v {
        V::Seq(s) => s.iter().map(nodes).sum(),
        V::Map(m) => m.iter().map(|(_, v)| nodes(v)).sum(),
        V::Tag(_, t) => nodes(t),
        _ => 0,
    }
}

impl<'a> Template<'a> {
    fn function(&self, file: &str, id: &str, res: &'a Node, sam: bool) -> DeployedFunction {
        let ignore = match res.get("IgnoreGlobals").map(|n| &n.v) {
            Some(V::Str(s)) => vec![s.clone()],
            Some(V::Seq(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let p = Props::new(
            res.get("Properties"),
            if sam {
                self.root.get("Globals").and_then(|g| g.get("Function"))
            } else {
                None
            },
            ignore,
        );
        let name = p
            .get("FunctionName")
            .and_then(|n| self.resolve(n).ok())
            .and_then(|v| v.as_str().map(str::to_string));
        let mut b = Builder::new(ConfigSource::Template, file, name.as_deref().unwrap_or(id));
        b.at("function", Some(res.line), Some(id));

        let s = |v: &Value| v.as_str().map(str::to_string);
        let n = |v: &Value| as_i64(v).and_then(|i| u64::try_from(i).ok());
        if let Some(v) = self.field(&mut b, "package_type", p.get("PackageType"), s) {
            b.f.package_type = Some(v);
        } else if !b.f.unknown.contains_key("package_type") {
            b.f.package_type = Some("Zip".into());
        }
        let image = if sam {
            p.get("ImageUri")
        } else {
            p.get("Code").and_then(|c| c.get("ImageUri"))
        };
        b.f.image_uri = self.field(&mut b, "image_uri", image, s);
        if image.is_none() && sam && b.f.package_type.as_deref() == Some("Image") {
            if let Some(m) = res
                .get("Metadata")
                .filter(|m| m.get("Dockerfile").is_some())
            {
                b.at("image_uri", Some(m.line), None);
                b.unknown(
                    "image_uri",
                    "`sam build` sets it from Metadata.Dockerfile: check the built template (.aws-sam/build/template.yaml)",
                );
            }
        }
        if let Some(v) = self.field(&mut b, "memory_mb", p.get("MemorySize"), n) {
            b.f.memory_mb = v;
        }
        if let Some(v) = self.field(&mut b, "timeout_s", p.get("Timeout"), n) {
            b.f.timeout_s = v;
        }
        let first = |v: &Value| v.get(0).and_then(Value::as_str).map(str::to_string);
        if let Some(v) = self.field(&mut b, "architecture", p.get("Architectures"), first) {
            b.f.architecture = v;
        }
        let tracing = if sam {
            p.get("Tracing")
        } else {
            p.get("TracingConfig").and_then(|t| t.get("Mode"))
        };
        if let Some(v) = self.field(&mut b, "tracing", tracing, s) {
            b.f.tracing = v;
        }
        let dlq = if sam {
            p.get("DeadLetterQueue")
        } else {
            p.get("DeadLetterConfig")
        }
        .and_then(|d| d.get("TargetArn"));
        b.f.dead_letter_target = self.target(&mut b, "dead_letter_target", dlq);
        let reserved = self.field(
            &mut b,
            "reserved_concurrency",
            p.get("ReservedConcurrentExecutions"),
            as_i64,
        );
        // -1 is no reservation, as in Terraform.
        b.f.reserved_concurrency = reserved.and_then(|r| u64::try_from(r).ok());
        b.f.runtime = self.field(&mut b, "runtime", p.get("Runtime"), s);
        b.f.handler = self.field(&mut b, "handler", p.get("Handler"), s);
        if let Some(l) = p.get("Layers") {
            b.at("layers", Some(l.line), None);
            // Set is what matters for an image function, resolved or not.
            if let V::Seq(items) = &l.v {
                b.f.layers = items
                    .iter()
                    .map(|i| match self.resolve(i) {
                        Ok(Value::String(s)) => s,
                        _ => format!("(line {})", i.line),
                    })
                    .collect();
            }
        }

        // Asynchronous failures: SAM's EventInvokeConfig, or a separate resource.
        let on_failure = p
            .get("EventInvokeConfig")
            .and_then(|e| e.get("DestinationConfig"))
            .and_then(|d| d.get("OnFailure"))
            .map(|o| o.get("Destination").unwrap_or(o));
        b.f.on_failure_destination = self.target(&mut b, "on_failure_destination", on_failure);
        if sam {
            b.f.qualifier = p
                .get("AutoPublishAlias")
                .and_then(|a| self.resolve(a).ok())
                .and_then(|v| s(&v));
            if let Some(pc) = p.get("ProvisionedConcurrencyConfig") {
                b.at("provisioned_concurrency", Some(pc.line), None);
                match self.resolve(pc) {
                    Ok(v) => {
                        b.f.provisioned_concurrency = v
                            .get("ProvisionedConcurrentExecutions")
                            .and_then(as_i64)
                            .and_then(|i| u64::try_from(i).ok())
                            .filter(|&i| i > 0)
                    }
                    Err(why) => b.unknown("provisioned_concurrency", why),
                }
            }
        }
        for (other_id, other) in self.resources.entries() {
            let kind = other.get("Type").and_then(Node::as_str).unwrap_or_default();
            let props = other.get("Properties");
            let targets_me = props.and_then(|p| p.get("FunctionName")).is_some_and(|f| {
                self.refers_to(f, id)
                    || name.as_deref().is_some_and(|n| {
                        self.resolve(f).ok().and_then(|v| s(&v)).as_deref() == Some(n)
                    })
            });
            if !targets_me {
                continue;
            }
            let props = props.expect("checked above");
            match kind {
                "AWS::Lambda::EventInvokeConfig" if b.f.on_failure_destination.is_none() => {
                    let d = props
                        .get("DestinationConfig")
                        .and_then(|d| d.get("OnFailure"))
                        .and_then(|o| o.get("Destination"));
                    b.f.on_failure_destination = self.target(&mut b, "on_failure_destination", d);
                    let _ = other_id;
                }
                "AWS::Lambda::Alias" => {
                    if let Some(pc) = props
                        .get("ProvisionedConcurrencyConfig")
                        .and_then(|c| c.get("ProvisionedConcurrentExecutions"))
                    {
                        b.f.qualifier = props
                            .get("Name")
                            .and_then(|a| self.resolve(a).ok())
                            .and_then(|v| s(&v));
                        b.f.provisioned_concurrency = self
                            .field(&mut b, "provisioned_concurrency", Some(pc), n)
                            .filter(|&i| i > 0);
                    }
                }
                _ => {}
            }
        }
        self.log_group(&mut b, id, &p, name.as_deref());
        b.finish()
    }

    /// Reads one value into `field`: absent is Lambda's default (None here), present is
    /// located, and resolved or unknown.
    fn field<T>(
        &self,
        b: &mut Builder,
        field: &str,
        node: Option<&Node>,
        conv: impl Fn(&Value) -> Option<T>,
    ) -> Option<T> {
        let node = node?;
        b.at(field, Some(node.line), None);
        match self.resolve(node) {
            Ok(Value::Null) => None,
            Ok(v) => {
                let out = conv(&v);
                if out.is_none() {
                    b.unknown(field, format!("{v} is not a value Lambda takes here"));
                }
                out
            }
            Err(why) => {
                b.unknown(field, why);
                None
            }
        }
    }

    /// A DLQ or destination: a resource of this template (`!GetAtt Queue.Arn`, `!Ref Topic`)
    /// exists whatever its ARN will be; anything else is resolved.
    fn target(&self, b: &mut Builder, field: &str, node: Option<&Node>) -> Option<String> {
        let node = node?;
        if let Some(r) = self.resource_named_by(node) {
            b.at(field, Some(node.line), None);
            b.f.unknown.remove(field);
            return Some(r);
        }
        let got = self.field(b, field, Some(node), |v| v.as_str().map(str::to_string));
        got.filter(|t| !t.is_empty())
    }

    /// `!GetAtt X.Arn`, `!Ref X` (or the long forms) with X a resource of this template:
    /// "X.Arn" / "X".
    fn resource_named_by(&self, node: &Node) -> Option<String> {
        let (f, arg) = intrinsic_of(node)?;
        let text = match (f.as_str(), &arg.v) {
            ("Fn::GetAtt", V::Str(s)) => s.clone(),
            ("Fn::GetAtt", V::Seq(items)) => items
                .iter()
                .filter_map(Node::as_str)
                .collect::<Vec<_>>()
                .join("."),
            ("Ref", V::Str(s)) => s.clone(),
            _ => return None,
        };
        let id = text.split('.').next().unwrap_or_default();
        self.resources.get(id).map(|_| text.clone())
    }

    /// Whether `node` names the resource `id` (`!Ref id`, `!GetAtt id.Arn`, `${id}` in a Sub).
    fn refers_to(&self, node: &Node, id: &str) -> bool {
        if let Some(r) = self.resource_named_by(node) {
            return r == id || r.starts_with(&format!("{id}."));
        }
        sub_text(node).is_some_and(|t| t.contains(&format!("${{{id}}}")))
    }

    /// The log group the function writes to and its retention: `LoggingConfig.LogGroup`,
    /// else `/aws/lambda/<FunctionName>`. One this template does not create is made by Lambda
    /// at the first invocation, without retention.
    fn log_group(&self, b: &mut Builder, id: &str, p: &Props, name: Option<&str>) {
        let configured = p.get("LoggingConfig").and_then(|l| l.get("LogGroup"));
        let expected = match configured {
            Some(c) => self
                .resolve(c)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string)),
            None => name.map(|n| format!("/aws/lambda/{n}")),
        };
        let fn_text = p.get("FunctionName").and_then(sub_text);
        let found = self.resources.entries().iter().find(|(gid, g)| {
            if g.get("Type").and_then(Node::as_str) != Some("AWS::Logs::LogGroup") {
                return false;
            }
            if configured.is_some_and(|c| self.refers_to(c, gid)) {
                return true;
            }
            let Some(gname) = g.get("Properties").and_then(|p| p.get("LogGroupName")) else {
                return false;
            };
            let resolved = self
                .resolve(gname)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string));
            (expected.is_some() && resolved == expected)
                || configured.is_none() && self.refers_to(gname, id)
                || configured.is_none()
                    && fn_text.as_ref().is_some_and(|f| {
                        sub_text(gname).as_deref() == Some(&format!("/aws/lambda/{f}"))
                    })
        });
        match found {
            Some((gid, g)) => {
                let props = g.get("Properties");
                let gname = props.and_then(|p| p.get("LogGroupName"));
                b.f.log_group = gname
                    .and_then(|n| self.resolve(n).ok())
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| gid.clone());
                b.at(
                    "log_group",
                    Some(gname.map_or(g.line, |n| n.line)),
                    Some(gid),
                );
                let days = props.and_then(|p| p.get("RetentionInDays"));
                b.at(
                    "log_retention_days",
                    Some(days.map_or(g.line, |d| d.line)),
                    Some(gid),
                );
                b.f.log_retention_days = self
                    .field(b, "log_retention_days", days, as_i64)
                    .and_then(|d| u64::try_from(d).ok())
                    .filter(|&d| d > 0);
            }
            None => {
                if let (Some(c), Some(e)) = (configured, &expected) {
                    // A group made elsewhere: its retention is not in this file.
                    b.at("log_group", Some(c.line), None);
                    b.f.log_group = e.clone();
                    b.unknown(
                        "log_retention_days",
                        format!("log group {e} is not created by this template"),
                    );
                } else if let Some(c) = configured {
                    b.at("log_group", Some(c.line), None);
                    b.unknown("log_group", "the log group's name is known only at deploy");
                } else if let Some(e) = expected {
                    b.f.log_group = e;
                } else {
                    b.f.log_group = format!("/aws/lambda/<{id}'s generated name>");
                }
            }
        }
    }

    fn resolve(&self, node: &Node) -> R {
        self.resolve_at(node, 0)
    }

    fn resolve_at(&self, node: &Node, depth: usize) -> R {
        if depth > MAX_DEPTH {
            return Err("intrinsics nested too deep (a reference to itself?)".into());
        }
        if let Some((f, arg)) = intrinsic_of(node) {
            return self.intrinsic(&f, arg, depth + 1);
        }
        Ok(match &node.v {
            V::Null => Value::Null,
            V::Bool(b) => json!(b),
            V::Int(i) => json!(i),
            V::Float(f) => json!(f),
            V::Str(s) => json!(s),
            V::Seq(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.resolve_at(i, depth + 1))
                    .collect::<std::result::Result<Vec<_>, _>>()?
                    .into_iter()
                    .filter(|v| !v.is_null())
                    .collect(),
            ),
            V::Map(m) => {
                let mut out = serde_json::Map::new();
                for (k, v) in m {
                    let v = self.resolve_at(v, depth + 1)?;
                    if !v.is_null() {
                        out.insert(k.clone(), v);
                    }
                }
                Value::Object(out)
            }
            V::Tag(..) => unreachable!("intrinsic_of takes every tag"),
        })
    }

    fn intrinsic(&self, f: &str, arg: &Node, depth: usize) -> R {
        match (f, &arg.v) {
            ("Ref", V::Str(name)) => self.reference(name, depth),
            ("Fn::GetAtt", _) => Err(format!(
                "!GetAtt {} is known only at deploy",
                match &arg.v {
                    V::Seq(i) => i
                        .iter()
                        .filter_map(Node::as_str)
                        .collect::<Vec<_>>()
                        .join("."),
                    V::Str(s) => s.clone(),
                    _ => "…".into(),
                }
            )),
            ("Fn::Sub", V::Str(s)) => self.sub(s, None, depth),
            ("Fn::Sub", V::Seq(items)) if items.len() == 2 => match &items[0].v {
                V::Str(s) => self.sub(s, Some(&items[1]), depth),
                _ => Err("!Sub with a template that is not a string".into()),
            },
            ("Fn::If", V::Seq(items)) if items.len() == 3 => {
                let Some(cond) = items[0].as_str() else {
                    return Err("!If without a condition name".into());
                };
                if self.condition(cond, depth)? {
                    self.resolve_at(&items[1], depth)
                } else {
                    self.resolve_at(&items[2], depth)
                }
            }
            ("Fn::Join", V::Seq(items)) if items.len() == 2 => {
                let delim = items[0].as_str().unwrap_or_default();
                let list = self.resolve_at(&items[1], depth)?;
                let parts: Option<Vec<String>> = list
                    .as_array()
                    .map(|a| a.iter().map(scalar_text).collect::<Option<Vec<_>>>())
                    .unwrap_or(None);
                parts
                    .map(|p| json!(p.join(delim)))
                    .ok_or_else(|| "!Join of values that are not strings".into())
            }
            ("Fn::Select", V::Seq(items)) if items.len() == 2 => {
                let i = as_i64(&self.resolve_at(&items[0], depth)?)
                    .ok_or("!Select with an index that is not a number")?;
                let list = self.resolve_at(&items[1], depth)?;
                list.get(usize::try_from(i).unwrap_or(usize::MAX))
                    .cloned()
                    .ok_or_else(|| "!Select past the end of its list".into())
            }
            (f, _) => Err(format!(
                "{} is not resolved before the deploy",
                f.strip_prefix("Fn::")
                    .map_or(f.to_string(), |s| format!("!{s}"))
            )),
        }
    }

    /// `Ref`: a `--parameter`, a parameter's Default, a resource's name when the template
    /// sets it; a pseudo parameter or a physical id is known only at deploy.
    fn reference(&self, name: &str, depth: usize) -> R {
        if let Some(v) = self.params.get(name) {
            return Ok(json!(v));
        }
        if name == "AWS::NoValue" {
            return Ok(Value::Null);
        }
        if let Some(p) = self.root.get("Parameters").and_then(|p| p.get(name)) {
            return match p.get("Default") {
                Some(d) => self.resolve_at(d, depth + 1),
                None => Err(format!(
                    "parameter {name} has no Default (give it with --parameter {name}=…)"
                )),
            };
        }
        if name.starts_with("AWS::") {
            return Err(format!(
                "{name} is known only at deploy (give it with --parameter {name}=…)"
            ));
        }
        if let Some(r) = self.resources.get(name) {
            let key = match r.get("Type").and_then(Node::as_str) {
                Some("AWS::Logs::LogGroup") => "LogGroupName",
                Some("AWS::Lambda::Function" | "AWS::Serverless::Function") => "FunctionName",
                _ => "",
            };
            if let Some(n) = r.get("Properties").and_then(|p| p.get(key)) {
                return self.resolve_at(n, depth + 1);
            }
            return Err(format!(
                "!Ref {name}: the resource's physical id is known only at deploy"
            ));
        }
        Err(format!("!Ref {name}: no such parameter or resource"))
    }

    fn sub(&self, s: &str, vars: Option<&Node>, depth: usize) -> R {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[i..]);
                rest = "";
                break;
            };
            let var = &after[..end];
            if let Some(lit) = var.strip_prefix('!') {
                out.push_str(&format!("${{{lit}}}"));
            } else if let Some(v) = vars.and_then(|m| m.get(var)) {
                let v = self.resolve_at(v, depth)?;
                out.push_str(&scalar_text(&v).ok_or("!Sub of a value that is not a string")?);
            } else if var.contains('.') && !var.starts_with("AWS::") {
                return Err(format!("${{{var}}} is known only at deploy"));
            } else {
                let v = self.reference(var, depth)?;
                out.push_str(&scalar_text(&v).ok_or("!Sub of a value that is not a string")?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(json!(out))
    }

    fn condition(&self, name: &str, depth: usize) -> std::result::Result<bool, String> {
        if depth > MAX_DEPTH {
            return Err(format!("condition {name} refers to itself"));
        }
        let node = self
            .root
            .get("Conditions")
            .and_then(|c| c.get(name))
            .ok_or_else(|| format!("no condition {name}"))?;
        self.truth(node, depth + 1)
    }

    fn truth(&self, node: &Node, depth: usize) -> std::result::Result<bool, String> {
        let Some((f, arg)) = intrinsic_of(node) else {
            return match &node.v {
                V::Bool(b) => Ok(*b),
                _ => Err("a condition that is not a condition function".into()),
            };
        };
        let items: &[Node] = match &arg.v {
            V::Seq(items) => items,
            _ => std::slice::from_ref(arg),
        };
        match f.as_str() {
            "Condition" => self.condition(arg.as_str().unwrap_or_default(), depth),
            "Fn::Equals" if items.len() == 2 => {
                let a = self.resolve_at(&items[0], depth + 1)?;
                let b = self.resolve_at(&items[1], depth + 1)?;
                Ok(scalar_text(&a) == scalar_text(&b))
            }
            "Fn::Not" if items.len() == 1 => Ok(!self.truth(&items[0], depth + 1)?),
            "Fn::And" => items
                .iter()
                .try_fold(true, |acc, i| Ok(acc & self.truth(i, depth + 1)?)),
            "Fn::Or" => items
                .iter()
                .try_fold(false, |acc, i| Ok(acc | self.truth(i, depth + 1)?)),
            _ => Err(format!("condition function {f} is not resolved")),
        }
    }
}

/// `{Ref: x}` / `{"Fn::Sub": …}` / `!Ref x` / `!Sub …` → ("Ref" | "Fn::Sub", argument).
fn intrinsic_of(node: &Node) -> Option<(String, &Node)> {
    match &node.v {
        V::Tag(t, inner) if t == "Ref" || t == "Condition" => Some((t.clone(), inner)),
        V::Tag(t, inner) => Some((format!("Fn::{t}"), inner)),
        V::Map(m) if m.len() == 1 => {
            let (k, v) = &m[0];
            (k == "Ref" || k == "Condition" || k.starts_with("Fn::")).then(|| (k.clone(), v))
        }
        _ => None,
    }
}

/// The text of a string or of a `!Sub` template, unresolved: what two resources naming the
/// same thing with the same expression share.
fn sub_text(node: &Node) -> Option<String> {
    match (&node.v, intrinsic_of(node)) {
        (V::Str(s), _) => Some(s.clone()),
        (_, Some((f, arg))) if f == "Fn::Sub" => match &arg.v {
            V::Str(s) => Some(s.clone()),
            V::Seq(items) => items.first().and_then(Node::as_str).map(str::to_string),
            _ => None,
        },
        _ => None,
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
