//! Lambda readiness: what Lambda itself requires of a container image, checked before a deploy
//! finds out — size limit, one platform, the right architecture, something to run, files the
//! non-root runtime user can read, and a runtime interface to talk to the Runtime API.

use super::cfg::{normalize_arch, RulesConfig};
use super::diags::Code;
use super::{Ctx, Draft, Sink};
use crate::image::layer::Kind;
use crate::image::Scan;
use crate::model::{Check, Level, Status};
use crate::units::format_size;

/// Lambda's limit on the uncompressed image, all layers included (10 GiB).
pub const SIZE_LIMIT: u64 = 10 * (1 << 30);

/// Where Lambda's non-root user must be able to read: the task root and the runtime's paths.
const RUNTIME_DIRS: &[&str] = &["opt", "var/runtime", "var/lang"];

pub fn check(ctx: &Ctx, sink: &mut Sink) {
    size_limit(ctx, sink);
    platforms(ctx, sink);
    entrypoint(ctx, sink);
    unreadable(ctx, sink);
    runtime_interface(ctx, sink);
}

/// The `lambda-size-limit` check every report lists, pass or fail. It and the finding below are
/// one fact, so the rule's level sets both: `warn` makes an over-limit image warn, `allow`
/// drops the check with the finding.
pub fn size_check(scan: &Scan, cfg: &RulesConfig) -> Option<Check> {
    let code = Code::LambdaSizeLimit;
    let mut check =
        Check::at_most(code.id(), SIZE_LIMIT, scan.size_bytes, "bytes").with_detail(format!(
            "Lambda accepts images up to 10 GiB uncompressed; {} left",
            format_size(SIZE_LIMIT.saturating_sub(scan.size_bytes))
        ));
    match cfg.level(code) {
        Level::Allow => return None,
        Level::Warn if check.status == Status::Fail => check.status = Status::Warn,
        Level::Warn | Level::Deny => {}
    }
    Some(check)
}

fn size_limit(ctx: &Ctx, sink: &mut Sink) {
    let size = ctx.scan.size_bytes;
    if size > SIZE_LIMIT {
        sink.push(Draft {
            code: Code::LambdaSizeLimit,
            message: format!(
                "the image is {} uncompressed, {} over Lambda's 10 GiB limit: the deploy will fail",
                format_size(size),
                format_size(size - SIZE_LIMIT)
            ),
            bytes: size - SIZE_LIMIT,
            layer: None,
            created_by: None,
            paths: Vec::new(),
            fix: "shrink the image: remove caches and toolchains (see the other findings), use a multi-stage build, or move large data to S3/EFS".into(),
            references: Vec::new(),
        });
    }
}

fn platforms(ctx: &Ctx, sink: &mut Sink) {
    let platforms = &ctx.image.platforms;
    if platforms.len() > 1 {
        let list = platforms
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        sink.push(Draft {
            code: Code::LambdaMultiArch,
            message: format!("the image is a multi-platform index ({list}); Lambda accepts only a single-platform image"),
            bytes: 0,
            layer: None,
            created_by: None,
            paths: Vec::new(),
            fix: "build one platform: `docker buildx build --platform linux/arm64 --provenance=false` (or linux/amd64) and push that".into(),
            references: Vec::new(),
        });
    }
    let arch = &ctx.image.platform.architecture;
    let actual = normalize_arch(arch);
    let wanted = ctx.cfg.architecture().and_then(normalize_arch);
    let problem = match (actual, wanted) {
        (None, _) => Some(format!(
            "the image is built for {}, which Lambda does not run (x86_64 or arm64 only)",
            ctx.image.platform
        )),
        (Some(a), Some(w)) if a != w => Some(format!(
            "the image is built for {} but the function's architecture is {}",
            ctx.image.platform,
            ctx.cfg.architecture().unwrap_or(w)
        )),
        _ => None,
    };
    if let Some(message) = problem {
        let target = wanted.unwrap_or("amd64");
        sink.push(Draft {
            code: Code::LambdaArchitecture,
            message,
            bytes: 0,
            layer: None,
            created_by: None,
            paths: Vec::new(),
            fix: format!("build with `--platform linux/{target}` (or change the function's Architectures to match the image)"),
            references: Vec::new(),
        });
    }
}

fn entrypoint(ctx: &Ctx, sink: &mut Sink) {
    let c = &ctx.image.config;
    if c.entrypoint.is_empty() && c.cmd.is_empty() {
        sink.push(Draft {
            code: Code::LambdaEntrypoint,
            message: "the image has no ENTRYPOINT and no CMD: Lambda has nothing to start".into(),
            bytes: 0,
            layer: None,
            created_by: None,
            paths: Vec::new(),
            fix: "set the handler: `CMD [\"app.handler\"]` on an AWS base image, or an ENTRYPOINT that runs your runtime interface client".into(),
            references: Vec::new(),
        });
    }
}

/// Lambda runs the function as a non-root user: a root-owned file without read for others
/// is "Permission denied" at the first invoke.
fn unreadable(ctx: &Ctx, sink: &mut Sink) {
    let task_root = ctx
        .image
        .config
        .env_var("LAMBDA_TASK_ROOT")
        .unwrap_or("/var/task")
        .trim_matches('/')
        .to_string();
    let mut roots: Vec<&str> = vec![task_root.as_str()];
    roots.extend_from_slice(RUNTIME_DIRS);
    let mut bad: Vec<(String, u64)> = Vec::new();
    for root in roots {
        if root.is_empty() {
            continue;
        }
        for (path, node) in ctx.scan.fs.below(root) {
            let others = node.mode & 0o007;
            let unreadable = match node.kind {
                Kind::File => others & 0o4 == 0,
                Kind::Dir => others & 0o5 != 0o5,
                _ => false,
            };
            // Lambda's user is never uid 0; a file it does not own needs the "other" bits.
            if unreadable && node.uid == 0 {
                bad.push((path.to_string(), node.size));
            }
        }
    }
    if bad.is_empty() {
        return;
    }
    bad.sort();
    bad.dedup();
    let bytes = bad.iter().map(|b| b.1).sum();
    let first = ctx.scan.fs.get(&bad[0].0).map(|n| n.layer);
    sink.push(Draft {
        code: Code::LambdaUnreadableFiles,
        message: format!(
            "{} under the task root and runtime paths {} not readable by Lambda's non-root user (e.g. {} mode {:o})",
            crate::units::count(bad.len() as u64, "file or directory", "files or directories"),
            if bad.len() == 1 { "is" } else { "are" },
            super::quote(&format!("/{}", bad[0].0)),
            ctx.scan.fs.get(&bad[0].0).map(|n| n.mode & 0o7777).unwrap_or(0)
        ),
        bytes,
        layer: first,
        created_by: first.and_then(|l| ctx.created_by(l)),
        paths: bad.iter().take(5).map(|(p, _)| format!("/{p}")).collect(),
        fix: "make them world-readable: `COPY --chmod=644` for files (755 for directories and executables), or `RUN chmod -R o+rX /var/task`".into(),
        references: Vec::new(),
    });
}

/// Something must speak the Lambda Runtime API: the AWS base image's bootstrap, a runtime
/// interface client, or an extension such as the Lambda Web Adapter.
fn runtime_interface(ctx: &Ctx, sink: &mut Sink) {
    let fs = &ctx.scan.fs;
    let direct = [
        "lambda-entrypoint.sh",
        "var/runtime/bootstrap",
        "var/task/bootstrap",
        "opt/bootstrap",
        "usr/local/bin/aws-lambda-rie",
    ];
    if direct.iter().any(|p| fs.get(p).is_some()) {
        return;
    }
    if fs.below("opt/extensions").next().is_some() {
        return;
    }
    let found = fs.iter().any(|(p, _)| {
        p.ends_with("site-packages/awslambdaric/__init__.py")
            || p.ends_with("node_modules/aws-lambda-ric/package.json")
            || p.contains("/gems/aws_lambda_ric-")
            || p.ends_with("/aws-lambda-java-runtime-interface-client.jar")
            || p.contains("/Amazon.Lambda.RuntimeSupport.dll")
    });
    // Go and Rust functions embed the client in their binary: a custom entrypoint may be one.
    let custom = !ctx.image.config.entrypoint.is_empty();
    if found || custom {
        return;
    }
    sink.push(Draft {
        code: Code::LambdaRuntimeInterface,
        message: "no Lambda runtime interface found (no AWS base image bootstrap, no runtime interface client such as awslambdaric, no extension in /opt/extensions, no custom ENTRYPOINT)".into(),
        bytes: 0,
        layer: None,
        created_by: None,
        paths: Vec::new(),
        fix: "build FROM an AWS base image (public.ecr.aws/lambda/…), or install a runtime interface client (`pip install awslambdaric`) and set `ENTRYPOINT [\"python\", \"-m\", \"awslambdaric\"]`".into(),
        references: Vec::new(),
    });
}
