//! Lambda readiness: what Lambda itself requires of a container image, checked before a deploy
//! finds out — one platform, the right architecture, something to run, files the non-root
//! runtime user can read, and a runtime interface to talk to the Runtime API. The size limit
//! is a budget, checked with the others in `budget.rs`.

use super::{Ctx, Draft, Sink};
use crate::image::arch::Arch;
use crate::image::index::{self, EntryKind, IndexFacts};
use crate::image::layer::Kind;
use crate::image::Image;
use crate::model::RuleId;

/// Where Lambda's non-root user must be able to read: the task root and the runtime's paths.
const RUNTIME_DIRS: &[&str] = &["opt", "var/runtime", "var/lang"];

pub fn check(ctx: &Ctx, sink: &mut Sink) {
    platforms(ctx, sink);
    manifest_format(ctx, sink);
    entrypoint(ctx, sink);
    unreadable(ctx, sink);
    runtime_interface(ctx, sink);
}

/// Lambda's words when it refuses an index or a manifest format, quoted so a user searching
/// for the deploy error finds the finding.
const REFUSAL: &str =
    "\"The image manifest, config or layer media type for the source image … is not supported\"";

/// One finding per cause: several real platforms are `lambda-multi-arch` (its message
/// names the attestations beside them); an index of one platform, whatever else it holds,
/// is `lambda-image-index`.
fn platforms(ctx: &Ctx, sink: &mut Sink) {
    let image = ctx.image;
    let platforms = &image.platforms;
    if platforms.len() > 1 {
        let list = platforms
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        // Attestations and artifacts beside the platforms, not the nesting: a tag that
        // resolves through an extra index level says the same as the index inside it.
        let beside = image
            .index
            .as_ref()
            .map(|i| non_images(i, false))
            .unwrap_or_default();
        let by_digest = own_digest(image, |d| {
            format!(
                ", or deploy one platform's manifest by its own digest ({} is {})",
                image.platform,
                deploy_name(d)
            )
        });
        sink.push(Draft::whole(
            RuleId::LambdaMultiArch,
            format!("the image is a multi-platform index ({list}){beside}; Lambda accepts only a single-platform image"),
            format!("build one platform: `docker buildx build --platform linux/arm64 --provenance=false` (or linux/amd64) and push that{by_digest}"),
        ));
    } else if let Some(idx) = &image.index {
        image_index(image, idx, sink);
    }
    let arch = &ctx.image.platform.architecture;
    let actual = Arch::parse(arch);
    let wanted = ctx.cfg.architecture().and_then(Arch::parse);
    let problem = match (actual, wanted) {
        (None, _) => Some(format!(
            "the image is built for {}, which Lambda does not run (x86_64 or arm64 only)",
            ctx.image.platform
        )),
        (Some(a), Some(w)) if a != w => Some(format!(
            "the image is built for {} but the function's architecture is {}",
            ctx.image.platform,
            ctx.cfg.architecture().unwrap_or(w.oci_name())
        )),
        _ => None,
    };
    if let Some(message) = problem {
        let target = wanted.map_or("amd64", Arch::oci_name);
        sink.push(Draft::whole(
            RuleId::LambdaArchitecture,
            message,
            format!("build with `--platform linux/{target}` (or change the function's Architectures to match the image)"),
        ));
    }
}

/// An index of one platform: what buildx pushes by default since 0.10 (the image and its
/// provenance attestation), or a manifest list of one image (`buildah manifest push --all`,
/// `skopeo copy --all`). Lambda refuses it all the same.
fn image_index(image: &Image, idx: &IndexFacts, sink: &mut Sink) {
    let attested = idx.entries.iter().any(|e| e.kind == EntryKind::Attestation);
    let own = own_digest(image, |d| {
        format!(
            "; the image manifest's own digest is {d} ({})",
            image.platform
        )
    });
    let by_digest = own_digest(image, |d| {
        format!(
            "; or deploy the image by its own digest: {}",
            deploy_name(d)
        )
    });
    let fix = if attested {
        let sbom = idx.entries.iter().any(|e| {
            e.predicate_types
                .iter()
                .any(|t| index::predicate_name(t).ends_with("SBOM"))
        });
        let (flag, input) = if sbom {
            (
                "--provenance=false --sbom=false",
                "`provenance: false` and `sbom: false`",
            )
        } else {
            ("--provenance=false", "`provenance: false`")
        };
        format!("build without attestations: `docker buildx build {flag}`, {input} in docker/build-push-action, or `BUILDX_NO_DEFAULT_ATTESTATIONS=1` in the build's environment{by_digest}")
    } else {
        format!("push the image, not a list holding it: `buildah push IMAGE` rather than `buildah manifest push --all`, `skopeo copy` without `--all`, `docker buildx build --provenance=false`{by_digest}")
    };
    sink.push(Draft::whole(
        RuleId::LambdaImageIndex,
        format!(
            "the image to deploy is {}, not an image manifest: Lambda refuses every index ({REFUSAL}){}{own}",
            describe(idx),
            idx.digest
                .as_ref()
                .map(|d| format!("; the index is {d}"))
                .unwrap_or_default()
        ),
        fix,
    ));
}

/// "an index of 1 image (linux/amd64) + 1 attestation manifest (SLSA provenance)".
pub fn describe(idx: &IndexFacts) -> String {
    let what = if idx.media_type == index::DOCKER_LIST {
        "a Docker manifest list"
    } else {
        "an index"
    };
    let images: Vec<&str> = idx
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Image)
        .map(|e| e.platform.as_deref().unwrap_or("platform unspecified"))
        .collect();
    format!(
        "{what} of {} ({}){}",
        crate::units::count(images.len() as u64, "image", "images"),
        images.join(", "),
        non_images(idx, true)
    )
}

/// " + 1 attestation manifest (SLSA provenance) + 1 nested index": what an index holds
/// besides images (nested indexes only when `nested`), or "" when nothing.
fn non_images(idx: &IndexFacts, nested: bool) -> String {
    let of = |k: EntryKind| idx.entries.iter().filter(move |e| e.kind == k);
    let mut out = String::new();
    let attestations = of(EntryKind::Attestation).count() as u64;
    if attestations > 0 {
        let mut names: Vec<&str> = Vec::new();
        for t in of(EntryKind::Attestation).flat_map(|e| &e.predicate_types) {
            let n = index::predicate_name(t);
            if !names.contains(&n) {
                names.push(n);
            }
        }
        out.push_str(&format!(
            " + {}",
            crate::units::count(
                attestations,
                "attestation manifest",
                "attestation manifests"
            )
        ));
        if !names.is_empty() {
            out.push_str(&format!(" ({})", names.join(", ")));
        }
    }
    for (kind, one, many) in [
        (EntryKind::Index, "nested index", "nested indexes"),
        (EntryKind::Other, "other manifest", "other manifests"),
    ] {
        if kind == EntryKind::Index && !nested {
            continue;
        }
        let n = of(kind).count() as u64;
        if n > 0 {
            out.push_str(&format!(" + {}", crate::units::count(n, one, many)));
        }
    }
    out
}

/// `say(digest)` when the image manifest's own digest is known, else nothing.
fn own_digest(image: &Image, say: impl FnOnce(&str) -> String) -> String {
    image
        .manifest_digest
        .as_deref()
        .map(say)
        .unwrap_or_default()
}

/// How to name the image manifest by digest. The same words whatever the source, so a
/// registry's report equals the archive's it was pushed from; the repository is the one the
/// function's ImageUri names.
fn deploy_name(digest: &str) -> String {
    format!("`REPOSITORY@{digest}`")
}

/// Lambda takes a Docker v2 schema 2 or OCI image manifest with an image config; an
/// artifact labelled otherwise is refused before a layer is read.
fn manifest_format(ctx: &Ctx, sink: &mut Sink) {
    let Some(why) = ctx.image.manifest.lambda_problem() else {
        return;
    };
    sink.push(Draft::whole(
        RuleId::LambdaManifestFormat,
        format!(
            "{why}: Lambda refuses it ({REFUSAL}); {}",
            index::LAMBDA_ACCEPTS
        ),
        "push the container image itself, built by docker/buildx, buildah or kaniko, not an artifact made from it; `skopeo copy --format v2s2 SRC docker://…` writes a Docker v2 schema 2 manifest".into(),
    ));
}

fn entrypoint(ctx: &Ctx, sink: &mut Sink) {
    let c = &ctx.image.config;
    if c.entrypoint.is_empty() && c.cmd.is_empty() {
        sink.push(Draft::whole(
            RuleId::LambdaEntrypoint,
            "the image has no ENTRYPOINT and no CMD: Lambda has nothing to start".into(),
            "set the handler: `CMD [\"app.handler\"]` on an AWS base image, or an ENTRYPOINT that runs your runtime interface client".into(),
        ));
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
        code: RuleId::LambdaUnreadableFiles,
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
    sink.push(Draft::whole(
        RuleId::LambdaRuntimeInterface,
        "no Lambda runtime interface found (no AWS base image bootstrap, no runtime interface client such as awslambdaric, no extension in /opt/extensions, no custom ENTRYPOINT)".into(),
        "build FROM an AWS base image (public.ecr.aws/lambda/…), or install a runtime interface client (`pip install awslambdaric`) and set `ENTRYPOINT [\"python\", \"-m\", \"awslambdaric\"]`".into(),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Finding, Severity};
    use crate::rules::testing::{findings, of, rules, ImageBuilder};

    /// The one finding of `rule`, its message holding `text`.
    fn one_saying<'a>(f: &'a [Finding], rule: &str, text: &str) -> &'a Finding {
        let hits = of(f, rule);
        assert_eq!(hits.len(), 1, "{f:#?}");
        assert!(hits[0].message.contains(text), "{}", hits[0].message);
        hits[0]
    }

    fn lambda_image() -> ImageBuilder {
        ImageBuilder::new()
            .layer("ADD base.tar /")
            .file("var/runtime/bootstrap", 1_000)
    }

    #[test]
    fn a_multi_platform_index_is_denied() {
        let built = lambda_image()
            .platforms(&["linux/amd64", "linux/arm64"])
            .build();
        let f = findings(&built, &rules(""));
        let multi = of(&f, "lambda-multi-arch");
        assert_eq!(multi.len(), 1);
        assert!(multi[0].message.contains("linux/amd64, linux/arm64"));
        assert!(of(
            &findings(&lambda_image().build(), &rules("")),
            "lambda-multi-arch"
        )
        .is_empty());
    }

    #[test]
    fn an_index_of_one_image_and_its_attestation_is_lambda_image_index_only() {
        let built = lambda_image()
            .index(
                index::OCI_INDEX,
                &[("image", "linux/amd64"), ("attestation", "unknown/unknown")],
            )
            .build();
        let f = findings(&built, &rules(""));
        assert!(of(&f, "lambda-multi-arch").is_empty(), "{f:#?}");
        let idx = of(&f, "lambda-image-index");
        assert_eq!(idx.len(), 1);
        assert_eq!(idx[0].severity, Severity::Error);
        let m = &idx[0].message;
        assert!(
            m.contains(
                "an index of 1 image (linux/amd64) + 1 attestation manifest (SLSA provenance)"
            ),
            "{m}"
        );
        let own = format!("sha256:{:064x}", 1);
        assert!(
            m.contains(&format!("the image manifest's own digest is {own}")),
            "{m}"
        );
        for fix in [
            "--provenance=false",
            "`provenance: false`",
            "BUILDX_NO_DEFAULT_ATTESTATIONS=1",
        ] {
            assert!(idx[0].fix.contains(fix), "{}", idx[0].fix);
        }
        assert!(!idx[0].fix.contains("--sbom=false"), "no SBOM here");
        // The level is the team's, as for every rule.
        assert!(of(
            &findings(&built, &rules("lambda-image-index = \"allow\"")),
            "lambda-image-index"
        )
        .is_empty());
    }

    #[test]
    fn a_manifest_list_of_one_image_without_attestations_says_push_the_image() {
        let built = lambda_image()
            .index(index::DOCKER_LIST, &[("image", "linux/arm64")])
            .build();
        let f = findings(&built, &rules(""));
        let idx = one_saying(
            &f,
            "lambda-image-index",
            "a Docker manifest list of 1 image (linux/arm64), not an image manifest",
        );
        assert!(idx.fix.contains("without `--all`"), "{}", idx.fix);
    }

    #[test]
    fn several_platforms_with_attestations_are_lambda_multi_arch_only() {
        let built = lambda_image()
            .index(
                index::OCI_INDEX,
                &[
                    ("image", "linux/amd64"),
                    ("image", "linux/arm64"),
                    ("attestation", "unknown/unknown"),
                    ("attestation", "unknown/unknown"),
                ],
            )
            .build();
        let f = findings(&built, &rules(""));
        assert!(of(&f, "lambda-image-index").is_empty(), "{f:#?}");
        let multi = one_saying(
            &f,
            "lambda-multi-arch",
            "(linux/amd64, linux/arm64) + 2 attestation manifests (SLSA provenance)",
        );
        assert!(
            multi.fix.contains(&format!("sha256:{:064x}", 1)),
            "{}",
            multi.fix
        );
    }

    #[test]
    fn an_image_manifest_is_neither_and_the_format_rule_reads_its_labels() {
        let plain = lambda_image().build();
        let f = findings(&plain, &rules(""));
        assert!(of(&f, "lambda-image-index").is_empty());
        assert!(of(&f, "lambda-manifest-format").is_empty());
        let artifact = lambda_image()
            .manifest_kind(index::ManifestKind {
                media_type: Some(index::OCI_MANIFEST.into()),
                config_media_type: Some(index::OCI_CONFIG.into()),
                artifact_type: Some("application/vnd.example.thing".into()),
            })
            .build();
        let f = findings(&artifact, &rules(""));
        let fmt = of(&f, "lambda-manifest-format");
        assert_eq!(fmt.len(), 1);
        assert_eq!(fmt[0].severity, Severity::Error);
        assert!(
            fmt[0]
                .message
                .contains("artifactType application/vnd.example.thing"),
            "{}",
            fmt[0].message
        );
        assert!(fmt[0].message.contains(index::LAMBDA_ACCEPTS));
    }

    #[test]
    fn the_architecture_must_match_the_functions_in_either_spelling() {
        let arm = lambda_image().architecture("arm64").build();
        assert!(of(
            &findings(&arm, &rules("architecture = \"aarch64\"")),
            "lambda-architecture"
        )
        .is_empty());
        let f = findings(&arm, &rules("architecture = \"x86_64\""));
        let mismatch = of(&f, "lambda-architecture");
        assert_eq!(mismatch.len(), 1);
        assert!(mismatch[0]
            .message
            .contains("the function's architecture is x86_64"));
        assert!(mismatch[0].fix.contains("--platform linux/amd64"));
        let s390 = lambda_image().architecture("s390x").build();
        assert_eq!(
            of(&findings(&s390, &rules("")), "lambda-architecture").len(),
            1
        );
    }

    #[test]
    fn no_entrypoint_and_no_cmd_is_denied() {
        let built = lambda_image().cmd(&[]).build();
        let f = findings(&built, &rules(""));
        assert_eq!(of(&f, "lambda-entrypoint")[0].severity, Severity::Error);
        let with_entry = lambda_image().cmd(&[]).entrypoint(&["/app"]).build();
        assert!(of(&findings(&with_entry, &rules("")), "lambda-entrypoint").is_empty());
    }

    #[test]
    fn root_owned_files_others_cannot_read_under_the_task_root_are_found() {
        let built = lambda_image()
            .layer("COPY app /var/task")
            .entry("var/task/app.py", Kind::File, 300, 0o600)
            .entry("var/task/ok.py", Kind::File, 300, 0o644)
            .entry("srv/private.key", Kind::File, 300, 0o600)
            .build();
        let f = findings(&built, &rules(""));
        let bad = of(&f, "lambda-unreadable-files");
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].paths, vec!["/var/task/app.py"]);
        assert_eq!(bad[0].layer, Some(1));
        assert!(bad[0].message.contains("mode 600"), "{}", bad[0].message);
    }

    #[test]
    fn the_task_root_follows_lambda_task_root() {
        let built = lambda_image()
            .env("LAMBDA_TASK_ROOT=/app")
            .layer("COPY app /app")
            .entry("app/main.py", Kind::File, 300, 0o600)
            .build();
        assert_eq!(
            of(&findings(&built, &rules("")), "lambda-unreadable-files").len(),
            1
        );
    }

    #[test]
    fn a_runtime_interface_is_a_bootstrap_a_client_or_a_custom_entrypoint() {
        let bare = ImageBuilder::new()
            .layer("COPY app.py /")
            .file("app.py", 10)
            .build();
        let f = findings(&bare, &rules(""));
        assert_eq!(
            of(&f, "lambda-runtime-interface")[0].severity,
            Severity::Warning
        );
        let ric = ImageBuilder::new()
            .layer("RUN pip install awslambdaric")
            .file(
                "usr/lib/python3.12/site-packages/awslambdaric/__init__.py",
                10,
            )
            .build();
        assert!(of(&findings(&ric, &rules("")), "lambda-runtime-interface").is_empty());
        let custom = ImageBuilder::new().entrypoint(&["/main"]).build();
        assert!(of(&findings(&custom, &rules("")), "lambda-runtime-interface").is_empty());
        assert!(of(
            &findings(&lambda_image().build(), &rules("")),
            "lambda-runtime-interface"
        )
        .is_empty());
    }
}
