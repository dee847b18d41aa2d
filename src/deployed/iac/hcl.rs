//! Terraform HCL (`*.tf` of one module directory), read without terraform: what is literal,
//! `var.x` from the variable's default or `--parameter x=…`, `local.x` when it evaluates from
//! those; anything else (another resource's attribute, a data source) is known only after
//! apply. A reference to a resource of the same module still says that resource exists: a
//! `dead_letter_config` pointing at `aws_sqs_queue.dlq.arn` is a DLQ.
//!
//! hcl-rs parses without positions, so a value's line is found by a plain search: the
//! `resource "TYPE" "NAME"` line, then the first line below it that assigns the key. Child
//! modules (`module` blocks) are not followed: their `source` is a path or registry address
//! the pull request chose.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use hcl::eval::{Context as EvalCtx, Evaluate};
use hcl::expr::{Expression, TraversalOperator};
use hcl::{Block, Body};
use serde_json::Value;

use super::{as_i64, Builder, Params, MAX_TF_FILES};
use crate::model::{ConfigSource, DeployedFunction};

struct File {
    name: String,
    text: String,
    body: Body,
}

struct Resource<'a> {
    kind: &'a str,
    name: &'a str,
    block: &'a Block,
    file: &'a File,
    line: Option<u64>,
}

pub fn read(path: &Path, params: &Params) -> Result<Vec<DeployedFunction>> {
    let files = load(path)?;
    let mut vars = hcl::Map::new();
    let mut unset = Vec::new();
    for f in &files {
        for b in f.body.blocks().filter(|b| b.identifier() == "variable") {
            let Some(name) = b.labels().first().map(|l| l.as_str().to_string()) else {
                continue;
            };
            if let Some(v) = params.get(&name) {
                vars.insert(name, hcl::Value::from(v.clone()));
            } else if let Some(d) = b.body().attributes().find(|a| a.key() == "default") {
                if let Ok(v) = d.expr().evaluate(&EvalCtx::new()) {
                    vars.insert(name, v);
                }
            } else {
                unset.push(name);
            }
        }
    }
    let mut ctx = EvalCtx::new();
    ctx.declare_var("var", hcl::Value::Object(vars));
    let mut locals = hcl::Map::new();
    for f in &files {
        for b in f.body.blocks().filter(|b| b.identifier() == "locals") {
            for a in b.body().attributes() {
                if let Ok(v) = a.expr().evaluate(&ctx) {
                    locals.insert(a.key().to_string(), v);
                }
            }
        }
    }
    ctx.declare_var("local", hcl::Value::Object(locals));
    let mut resources = Vec::new();
    for f in &files {
        for b in f.body.blocks().filter(|b| b.identifier() == "resource") {
            let [kind, name] = b.labels() else { continue };
            let (kind, name) = (kind.as_str(), name.as_str());
            let r = Resource {
                kind,
                name,
                block: b,
                file: f,
                line: block_line(&f.text, kind, name),
            };
            // `count = 0` (a condition that turned it off) deploys nothing.
            let count = attr(b.body(), "count").map(|e| e.evaluate(&ctx));
            if matches!(count, Some(Ok(ref v)) if json(v).as_i64() == Some(0)) {
                continue;
            }
            resources.push(r);
        }
    }
    let r = Reader {
        ctx,
        unset,
        resources: &resources,
    };
    Ok(resources
        .iter()
        .filter(|x| x.kind == "aws_lambda_function")
        .map(|x| r.function(x))
        .collect())
}

/// The `.tf` files of a directory (not its subdirectories, not symlinks), or one file.
fn load(path: &Path) -> Result<Vec<File>> {
    let shown = path.display();
    let mut paths = Vec::new();
    if path.is_dir() {
        for e in std::fs::read_dir(path).with_context(|| format!("{shown}: cannot list"))? {
            let e = e.with_context(|| format!("{shown}: cannot list"))?;
            let p = e.path();
            if p.extension().is_some_and(|x| x == "tf") && e.file_type()?.is_file() {
                paths.push(p);
            }
        }
        paths.sort();
        if paths.is_empty() {
            bail!("{shown}: no *.tf file: not a Terraform module directory");
        }
        if paths.len() > MAX_TF_FILES {
            bail!("{shown}: more than {MAX_TF_FILES} *.tf files");
        }
    } else {
        paths.push(path.to_path_buf());
    }
    paths
        .into_iter()
        .map(|p| {
            let name = p.display().to_string();
            let text = super::read_bounded(&p)?;
            let body = hcl::parse(&text).map_err(|e| match e {
                hcl::Error::Parse(pe) => anyhow!(
                    "{name}:{}: not Terraform HCL: {}",
                    pe.location().line(),
                    pe.message()
                ),
                e => anyhow!("{name}: not Terraform HCL: {e}"),
            })?;
            Ok(File { name, text, body })
        })
        .collect()
}

struct Reader<'a> {
    ctx: EvalCtx<'a>,
    unset: Vec<String>,
    resources: &'a [Resource<'a>],
}

impl Reader<'_> {
    fn function(&self, r: &Resource) -> DeployedFunction {
        let body = r.block.body();
        let address = format!("{}.{}", r.kind, r.name);
        let name = attr(body, "function_name")
            .and_then(|e| e.evaluate(&self.ctx).ok())
            .and_then(|v| v.as_str().map(str::to_string));
        let mut b = Builder::new(
            ConfigSource::Hcl,
            &r.file.name,
            name.as_deref().unwrap_or(&address),
        );
        b.at("function", r.line, Some(&address));
        let s = |v: &Value| v.as_str().map(str::to_string);
        let n = |v: &Value| as_i64(v).and_then(|i| u64::try_from(i).ok());
        b.f.package_type = self
            .value(&mut b, At::new(r, "package_type", body, "package_type"), s)
            .or_else(|| Some("Zip".into()).filter(|_| !b.f.unknown.contains_key("package_type")));
        b.f.image_uri = self.value(&mut b, At::new(r, "image_uri", body, "image_uri"), s);
        if let Some(v) = self.value(&mut b, At::new(r, "memory_mb", body, "memory_size"), n) {
            b.f.memory_mb = v;
        }
        if let Some(v) = self.value(&mut b, At::new(r, "timeout_s", body, "timeout"), n) {
            b.f.timeout_s = v;
        }
        let first = |v: &Value| v.get(0).and_then(Value::as_str).map(str::to_string);
        if let Some(v) = self.value(
            &mut b,
            At::new(r, "architecture", body, "architectures"),
            first,
        ) {
            b.f.architecture = v;
        }
        if let Some(t) = block(body, "tracing_config") {
            if let Some(v) = self.value(&mut b, At::new(r, "tracing", t, "mode"), s) {
                b.f.tracing = v;
            }
        }
        if let Some(d) = block(body, "dead_letter_config") {
            b.f.dead_letter_target =
                self.target(&mut b, At::new(r, "dead_letter_target", d, "target_arn"));
        }
        // -1 (the provider's default) is no reservation.
        b.f.reserved_concurrency = self
            .value(
                &mut b,
                At::new(
                    r,
                    "reserved_concurrency",
                    body,
                    "reserved_concurrent_executions",
                ),
                as_i64,
            )
            .and_then(|i| u64::try_from(i).ok());
        b.f.runtime = self.value(&mut b, At::new(r, "runtime", body, "runtime"), s);
        b.f.handler = self.value(&mut b, At::new(r, "handler", body, "handler"), s);
        if let Some(l) = attr(body, "layers") {
            b.at("layers", attr_line(r, "layers"), None);
            b.f.layers = match (l, l.evaluate(&self.ctx)) {
                (_, Ok(v)) => json(&v)
                    .as_array()
                    .map(|a| a.iter().filter_map(s).collect())
                    .unwrap_or_default(),
                (Expression::Array(items), Err(_)) => vec!["(a layer)".to_string(); items.len()],
                _ => vec!["(layers)".to_string()],
            };
        }
        // The log group: logging_config's, else /aws/lambda/NAME; one this module does not
        // create is made by Lambda without retention.
        let configured = block(body, "logging_config").and_then(|l| attr(l, "log_group"));
        let by_ref = configured.and_then(resource_ref);
        let wanted = match configured {
            Some(e) => e
                .evaluate(&self.ctx)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string)),
            None => name.as_ref().map(|n| format!("/aws/lambda/{n}")),
        };
        let group = self.resources.iter().find(|g| {
            g.kind == "aws_cloudwatch_log_group"
                && (by_ref
                    .as_ref()
                    .is_some_and(|(k, n)| k == g.kind && n == g.name)
                    || wanted.is_some()
                        && attr(g.block.body(), "name")
                            .and_then(|e| e.evaluate(&self.ctx).ok())
                            .and_then(|v| v.as_str().map(str::to_string))
                            == wanted)
        });
        match group {
            Some(g) => {
                let gb = g.block.body();
                b.f.log_group = attr(gb, "name")
                    .and_then(|e| e.evaluate(&self.ctx).ok())
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("{}.{}", g.kind, g.name));
                b.at("log_group", g.line, Some(&format!("{}.{}", g.kind, g.name)));
                b.at("log_retention_days", g.line, None);
                b.f.log_retention_days = self
                    .value(
                        &mut b,
                        At::new(g, "log_retention_days", gb, "retention_in_days"),
                        n,
                    )
                    .filter(|&d| d > 0);
            }
            None => match (&wanted, configured) {
                (Some(w), _) => b.f.log_group = w.clone(),
                (None, Some(_)) => b.unknown(
                    "log_group",
                    "logging_config.log_group is known only after apply",
                ),
                (None, None) => b.unknown("log_group", "function_name is known only after apply"),
            },
        }
        let mine = |e: Option<&Expression>| {
            e.is_some_and(|e| {
                resource_ref(e).is_some_and(|(k, n)| k == r.kind && n == r.name)
                    || name.is_some()
                        && e.evaluate(&self.ctx)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            == name
            })
        };
        for o in self.resources.iter() {
            let ob = o.block.body();
            if !mine(attr(ob, "function_name")) {
                continue;
            }
            match o.kind {
                "aws_lambda_function_event_invoke_config" => {
                    if let Some(of) =
                        block(ob, "destination_config").and_then(|d| block(d, "on_failure"))
                    {
                        b.f.on_failure_destination = self.target(
                            &mut b,
                            At::new(o, "on_failure_destination", of, "destination"),
                        );
                    }
                }
                "aws_lambda_provisioned_concurrency_config" => {
                    b.f.provisioned_concurrency = self
                        .value(
                            &mut b,
                            At::new(
                                o,
                                "provisioned_concurrency",
                                ob,
                                "provisioned_concurrent_executions",
                            ),
                            n,
                        )
                        .filter(|&p| p > 0);
                    b.f.qualifier = attr(ob, "qualifier").and_then(|q| {
                        q.evaluate(&self.ctx)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .or_else(|| {
                                // `aws_lambda_alias.live.name`: that alias's literal name.
                                let (k, an) = resource_ref(q)?;
                                let a = self
                                    .resources
                                    .iter()
                                    .find(|a| a.kind == k && a.name == an)?;
                                attr(a.block.body(), "name")?
                                    .evaluate(&self.ctx)
                                    .ok()?
                                    .as_str()
                                    .map(str::to_string)
                            })
                    });
                }
                _ => {}
            }
        }
        b.finish()
    }

    /// One attribute into its field: located, evaluated, or unknown with why.
    fn value<T>(&self, b: &mut Builder, at: At, conv: impl Fn(&Value) -> Option<T>) -> Option<T> {
        let At {
            r,
            field,
            body,
            key,
        } = at;
        let e = attr(body, key)?;
        b.at(field, attr_line(r, key), None);
        match e.evaluate(&self.ctx) {
            Ok(v) => {
                let v = json(&v);
                if v.is_null() {
                    return None;
                }
                let out = conv(&v);
                if out.is_none() {
                    b.unknown(field, format!("{key} = {v} is not a value Lambda takes"));
                }
                out
            }
            Err(_) => {
                b.unknown(field, self.why_unknown(e));
                None
            }
        }
    }

    /// A DLQ or destination: a resource of this module exists whatever its ARN will be.
    fn target(&self, b: &mut Builder, at: At) -> Option<String> {
        let e = attr(at.body, at.key)?;
        if let Some((k, n)) = resource_ref(e)
            .filter(|(k, n)| self.resources.iter().any(|x| x.kind == k && x.name == n))
        {
            b.at(at.field, attr_line(at.r, at.key), None);
            return Some(format!("{k}.{n}"));
        }
        self.value(b, at, |v| v.as_str().map(str::to_string))
            .filter(|t| !t.is_empty())
    }

    fn why_unknown(&self, e: &Expression) -> String {
        let text = e.to_string();
        if let Some(v) = self
            .unset
            .iter()
            .find(|v| text.contains(&format!("var.{v}")))
        {
            return format!("var.{v} has no default (give it with --parameter {v}=…)");
        }
        format!("`{}` is known only after apply", shorten(&text))
    }
}

/// Where a value of the function is read: attribute `key` of `body`, a block of resource `r`,
/// into the `DeployedFunction` field `field`.
#[derive(Clone, Copy)]
struct At<'a> {
    r: &'a Resource<'a>,
    field: &'a str,
    body: &'a Body,
    key: &'a str,
}

impl<'a> At<'a> {
    fn new(r: &'a Resource<'a>, field: &'a str, body: &'a Body, key: &'a str) -> At<'a> {
        At {
            r,
            field,
            body,
            key,
        }
    }
}

fn attr<'b>(body: &'b Body, key: &str) -> Option<&'b Expression> {
    body.attributes().find(|a| a.key() == key).map(|a| a.expr())
}

fn block<'b>(body: &'b Body, ident: &str) -> Option<&'b Body> {
    body.blocks()
        .find(|b| b.identifier() == ident)
        .map(|b| b.body())
}

/// `TYPE.NAME.attr…` → (TYPE, NAME), for a traversal that starts at a resource.
fn resource_ref(e: &Expression) -> Option<(String, String)> {
    let Expression::Traversal(t) = e else {
        return None;
    };
    let Expression::Variable(root) = &t.expr else {
        return None;
    };
    let Some(TraversalOperator::GetAttr(name)) = t.operators.first() else {
        return None;
    };
    let root = root.as_str();
    (!matches!(
        root,
        "var" | "local" | "data" | "module" | "each" | "count" | "path" | "terraform"
    ))
    .then(|| (root.to_string(), name.as_str().to_string()))
}

fn json(v: &hcl::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn shorten(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

/// The line of `resource "KIND" "NAME"`.
fn block_line(text: &str, kind: &str, name: &str) -> Option<u64> {
    let (k, n) = (format!("\"{kind}\""), format!("\"{name}\""));
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.starts_with("resource") && l.contains(&k) && l.contains(&n)
        })
        .map(|i| i as u64 + 1)
}

/// The first line below the resource's that assigns `key` (or opens a `key {` block), before
/// the next top-level block: the value's line, else the resource's.
fn attr_line(r: &Resource, key: &str) -> Option<u64> {
    let start = r.line? as usize;
    for (i, l) in r.file.text.lines().enumerate().skip(start) {
        if !l.starts_with([' ', '\t'])
            && !l.trim().is_empty()
            && !l.starts_with('}')
            && !l.starts_with('#')
        {
            break;
        }
        let t = l.trim_start();
        if let Some(rest) = t.strip_prefix(key) {
            let rest = rest.trim_start();
            if rest.starts_with('=') && !rest.starts_with("==") || rest.starts_with('{') {
                return Some(i as u64 + 1);
            }
        }
    }
    r.line
}
