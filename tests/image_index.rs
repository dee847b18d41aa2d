//! What Lambda refuses before it reads a layer: an image index (or Docker manifest list) where
//! one image manifest should be, and a manifest that is not a Docker v2 schema 2 or OCI image
//! manifest.
//!
//! Made with real tools where they can: buildah writes the image, its OCI layout and the
//! manifest lists (`buildah manifest push --all`, one platform and two), skopeo writes the
//! docker-archive and pushes everything to Debian's docker-registry on 127.0.0.1 (with
//! `--all --preserve-digests`, so the registry holds the same index), and writes a schema 1
//! manifest there (`--format v2s1`). By hand where no tool here can: buildx's attestation
//! manifests (BuildKit's attestation storage: the descriptor's `vnd.docker.reference.type:
//! attestation-manifest`, `vnd.docker.reference.digest`, platform `unknown/unknown`; in-toto
//! layers annotated `in-toto.io/predicate-type`), written as `buildx build --output type=oci`
//! lays them out; an OCI artifact manifest and an image manifest carrying an `artifactType`
//! (oras is not installed).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use support::{buildah, free_port, require_tools, run, tied};

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const SLSA: &str = "https://slsa.dev/provenance/v0.2";
const SPDX: &str = "https://spdx.dev/Document";
const LAMBDA_ACCEPTS: &str =
    "Lambda accepts only a Docker image manifest v2 schema 2 or an OCI image manifest";

struct Built {
    dir: PathBuf,
    /// `buildah push oci:` of one linux/amd64 image: index.json points at the manifest.
    layout: PathBuf,
    /// Its manifest's digest.
    image_digest: String,
    /// `buildah manifest push --all` of a list holding that one image.
    one_list: PathBuf,
    /// `buildah manifest push --all … oci-archive:` of linux/amd64 + linux/arm64.
    multi: PathBuf,
    /// The layout as buildx writes an attested build: index.json → index (image +
    /// provenance attestation).
    attested: Attested,
    /// The same as an oci-archive (a tar of the layout).
    attested_tar: PathBuf,
    /// Provenance and SBOM in one attestation manifest.
    attested_sbom: Attested,
    /// The two-platform list with an attestation for each platform.
    multi_attested: Attested,
    /// `skopeo copy` of the attested layout to a docker-archive.
    docker_archive: PathBuf,
    registry: Registry,
}

struct Attested {
    path: PathBuf,
    index_digest: String,
}

struct Registry {
    addr: String,
    _child: Child,
}

fn built() -> Option<&'static Built> {
    static BUILT: OnceLock<Option<Built>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if !require_tools(&["buildah", "skopeo", "docker-registry"]) {
                return None;
            }
            let dir = support::static_dir("image_index");
            let app = dir.join("app.py");
            std::fs::write(&app, "def handler(event, context):\n    return 1\n").unwrap();
            let tag = |arch: &str| format!("localhost/gate-index-{}:{arch}", std::process::id());
            for arch in ["amd64", "arm64"] {
                let c = String::from_utf8(run(buildah().args(["from", "scratch"])))
                    .unwrap()
                    .trim()
                    .to_string();
                run(buildah()
                    .args(["copy", "-q", &c])
                    .arg(&app)
                    .arg("/var/task/app.py"));
                run(buildah().args([
                    "config",
                    "--cmd",
                    "app.handler",
                    "--os",
                    "linux",
                    "--arch",
                    arch,
                    &c,
                ]));
                run(buildah().args(["commit", "-q", &c, &tag(arch)]));
                run(buildah().args(["rm", &c]));
            }
            let layout = dir.join("layout");
            run(buildah()
                .args(["push", "-q", &tag("amd64")])
                .arg(format!("oci:{}:latest", layout.display())));
            let list = |name: &str, archs: &[&str], dest: String| {
                let list = format!("localhost/gate-index-{name}-{}", std::process::id());
                let _ = buildah().args(["manifest", "rm", &list]).output();
                run(buildah().args(["manifest", "create", &list]));
                for a in archs {
                    run(buildah().args(["manifest", "add", &list, &tag(a)]));
                }
                run(buildah()
                    .args(["manifest", "push", "-q", "--all", &list])
                    .arg(dest));
                let _ = buildah().args(["manifest", "rm", &list]).output();
            };
            let one_list = dir.join("one-list");
            list(
                "one",
                &["amd64"],
                format!("oci:{}:latest", one_list.display()),
            );
            let multi = dir.join("multi.tar");
            list(
                "multi",
                &["amd64", "arm64"],
                format!("oci-archive:{}", multi.display()),
            );
            let multi_dir = dir.join("multi-layout");
            run(Command::new("skopeo")
                .args(["copy", "-q", "--all", "--preserve-digests"])
                .arg(format!("oci-archive:{}", multi.display()))
                .arg(format!("oci:{}:latest", multi_dir.display())));
            for a in ["amd64", "arm64"] {
                let _ = buildah().args(["rmi", "-f", &tag(a)]).output();
            }
            let image_digest = top_descriptor(&layout)["digest"]
                .as_str()
                .unwrap()
                .to_string();

            let attested = attest(&layout, &dir.join("attested"), &[SLSA]);
            let attested_tar = dir.join("attested.tar");
            run(Command::new("tar")
                .arg("-C")
                .arg(&attested.path)
                .arg("-cf")
                .arg(&attested_tar)
                .arg("."));
            let attested_sbom = attest(&layout, &dir.join("attested-sbom"), &[SLSA, SPDX]);
            let multi_attested = attest(&multi_dir, &dir.join("multi-attested"), &[SLSA]);
            let docker_archive = dir.join("attested-docker.tar");
            run(Command::new("skopeo")
                .args(["copy", "-q"])
                .arg(format!("oci:{}:latest", attested.path.display()))
                .arg(format!("docker-archive:{}", docker_archive.display())));

            let registry = start_registry(&dir);
            let push = |args: &[&str], src: String, name: &str| {
                run(Command::new("skopeo")
                    .args(["copy", "-q", "--dest-tls-verify=false"])
                    .args(args)
                    .arg(src)
                    .arg(format!("docker://{}/fn:{name}", registry.addr)));
            };
            let oci = |p: &Path| format!("oci:{}:latest", p.display());
            push(
                &["--all", "--preserve-digests"],
                oci(&attested.path),
                "attested",
            );
            push(
                &["--all", "--format", "v2s2"],
                format!("oci-archive:{}", multi.display()),
                "multi-list",
            );
            push(&["--all", "--format", "v2s2"], oci(&one_list), "one-list");
            push(&["--format", "v2s1"], oci(&layout), "schema1");
            Some(Built {
                dir,
                layout,
                image_digest,
                one_list,
                multi,
                attested,
                attested_tar,
                attested_sbom,
                multi_attested,
                docker_archive,
                registry,
            })
        })
        .as_ref()
}

/// docker-registry, plain HTTP, with schema 1 pushes allowed (distribution 2.8 refuses them
/// by default) so skopeo can write one.
fn start_registry(dir: &Path) -> Registry {
    let addr = format!("127.0.0.1:{}", free_port());
    let storage = dir.join("registry");
    std::fs::create_dir_all(&storage).unwrap();
    let cfg = dir.join("registry.yml");
    std::fs::write(
        &cfg,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\ncompatibility:\n  schema1:\n    enabled: true\n",
            storage.display()
        ),
    )
    .unwrap();
    let log = dir.join("registry.log");
    let mut child = tied("docker-registry")
        .arg("serve")
        .arg(&cfg)
        .stdout(std::fs::File::create(dir.join("registry.out")).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("docker-registry");
    let start = Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "docker-registry exited ({status}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "docker-registry did not listen on {addr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Registry {
        addr,
        _child: child,
    }
}

fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Writes a blob into a layout; returns its descriptor's digest and size.
fn put_blob(layout: &Path, bytes: &[u8]) -> (String, usize) {
    let digest = sha(bytes);
    let path = layout
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"));
    std::fs::write(path, bytes).unwrap();
    (digest, bytes.len())
}

fn blob(layout: &Path, digest: &str) -> Value {
    let path = layout
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn top_descriptor(layout: &Path) -> Value {
    let idx: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    idx["manifests"][0].clone()
}

/// Copies the layout at `src` to `dst` and makes it what `docker buildx build --output
/// type=oci` writes for an attested build: index.json names one image index, which lists
/// the image manifests (each with its platform) and then, for each, an attestation manifest
/// holding one in-toto statement per predicate type.
fn attest(src: &Path, dst: &Path, predicates: &[&str]) -> Attested {
    let _ = std::fs::remove_dir_all(dst);
    run(Command::new("cp").arg("-a").arg(src).arg(dst));
    let top = top_descriptor(dst);
    let top_doc = blob(dst, top["digest"].as_str().unwrap());
    let images: Vec<Value> = match top_doc["manifests"].as_array() {
        Some(list) => list.clone(),
        None => {
            let config = blob(dst, top_doc["config"]["digest"].as_str().unwrap());
            vec![json!({
                "mediaType": top["mediaType"],
                "digest": top["digest"],
                "size": top["size"],
                "platform": {"architecture": config["architecture"], "os": config["os"]},
            })]
        }
    };
    let mut entries = images.clone();
    for image in &images {
        let digest = image["digest"].as_str().unwrap();
        let platform = format!(
            "{}/{}",
            image["platform"]["os"].as_str().unwrap(),
            image["platform"]["architecture"].as_str().unwrap()
        );
        let mut layers = Vec::new();
        for p in predicates {
            let predicate = if *p == SLSA {
                json!({
                    "builder": {"id": ""},
                    "buildType": "https://mobyproject.org/buildkit@v1",
                    "materials": [],
                    "invocation": {"configSource": {}, "parameters": {"frontend": "dockerfile.v0"}},
                    "metadata": {"buildInvocationID": "h1", "completeness": {"parameters": true, "environment": true, "materials": false}, "reproducible": false}
                })
            } else {
                json!({"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "sbom", "packages": []})
            };
            let statement = json!({
                "_type": "https://in-toto.io/Statement/v0.1",
                "predicateType": p,
                "subject": [{
                    "name": format!("pkg:docker/fn@latest?platform={}", platform.replace('/', "%2F")),
                    "digest": {"sha256": digest.trim_start_matches("sha256:")},
                }],
                "predicate": predicate,
            });
            let (d, n) = put_blob(dst, &serde_json::to_vec(&statement).unwrap());
            layers.push(json!({
                "mediaType": "application/vnd.in-toto+json",
                "digest": d,
                "size": n,
                "annotations": {"in-toto.io/predicate-type": p},
            }));
        }
        let diff_ids: Vec<Value> = layers.iter().map(|l| l["digest"].clone()).collect();
        let config = json!({
            "architecture": "unknown",
            "os": "unknown",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        });
        let (cd, cn) = put_blob(dst, &serde_json::to_vec(&config).unwrap());
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
            "layers": layers,
        });
        let (md, mn) = put_blob(dst, &serde_json::to_vec(&manifest).unwrap());
        entries.push(json!({
            "mediaType": OCI_MANIFEST,
            "digest": md,
            "size": mn,
            "annotations": {
                "vnd.docker.reference.digest": digest,
                "vnd.docker.reference.type": "attestation-manifest",
            },
            "platform": {"architecture": "unknown", "os": "unknown"},
        }));
    }
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
    let (id, n) = put_blob(dst, &serde_json::to_vec(&index).unwrap());
    let layout_index = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [{
            "mediaType": OCI_INDEX,
            "digest": id,
            "size": n,
            "annotations": {
                "io.containerd.image.name": "docker.io/library/fn:latest",
                "org.opencontainers.image.ref.name": "latest",
            },
        }],
    });
    std::fs::write(
        dst.join("index.json"),
        serde_json::to_vec(&layout_index).unwrap(),
    )
    .unwrap();
    Attested {
        path: dst.to_path_buf(),
        index_digest: id,
    }
}

/// `gate check SRC --format json` (plus `args`): exit code, report, stderr.
fn check(src: &str, args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(["check", src, "--format", "json"])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (code, v, stderr)
}

fn path_check(p: &Path) -> (i32, Value, String) {
    let (code, v, err) = check(p.to_str().unwrap(), &[]);
    assert!(v.is_object(), "{}: exit {code}: {err}", p.display());
    (code, v, err)
}

/// The findings of the rules this file is about, by rule id.
fn of<'a>(r: &'a Value, rule: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

const INDEX_RULES: &[&str] = &[
    "lambda-image-index",
    "lambda-multi-arch",
    "lambda-manifest-format",
];

fn assert_none_of_the_index_rules(r: &Value, what: &str) {
    for rule in INDEX_RULES {
        assert!(of(r, rule).is_empty(), "{what}: {rule}: {}", r["findings"]);
    }
}

#[test]
fn a_layout_pointing_at_its_manifest_and_a_docker_archive_are_never_an_index() {
    let Some(b) = built() else { return };
    let (code, r, _) = path_check(&b.layout);
    assert!(r["image"].get("index").is_none(), "{}", r["image"]);
    assert_eq!(r["image"]["manifest_digest"], b.image_digest.as_str());
    assert_none_of_the_index_rules(&r, "buildah's layout");
    // The buildah image has a CMD and a handler file: nothing here fails it.
    assert_eq!(code, 0, "{}", r["findings"]);

    // skopeo copies the attested index's amd64 image into a docker-archive: one manifest.
    let (code, r, _) = path_check(&b.docker_archive);
    assert_eq!(r["image"]["format"], "docker-archive");
    assert!(r["image"].get("index").is_none());
    assert_none_of_the_index_rules(&r, "docker-archive");
    assert_eq!(code, 0);
}

#[test]
fn buildx_provenance_beside_the_image_is_lambda_image_index_only() {
    let Some(b) = built() else { return };
    for (src, format) in [
        (&b.attested.path, "oci-layout"),
        (&b.attested_tar, "oci-archive"),
    ] {
        let (code, r, _) = path_check(src);
        assert_eq!(r["image"]["format"], format);
        assert_eq!(code, 1, "{format}: {}", r["findings"]);
        assert_eq!(r["verdict"], "fail");
        assert!(of(&r, "lambda-multi-arch").is_empty(), "{format}");
        let f = of(&r, "lambda-image-index");
        assert_eq!(f.len(), 1, "{format}: {}", r["findings"]);
        assert_eq!(f[0]["severity"], "error");
        let m = text(&f[0]["message"]);
        assert!(
            m.contains(
                "an index of 1 image (linux/amd64) + 1 attestation manifest (SLSA provenance)"
            ),
            "{m}"
        );
        assert!(
            m.contains(&format!(
                "the image manifest's own digest is {}",
                b.image_digest
            )),
            "{m}"
        );
        assert!(m.contains(&b.attested.index_digest), "{m}");
        let fix = text(&f[0]["fix"]);
        for want in [
            "--provenance=false",
            "`provenance: false`",
            "BUILDX_NO_DEFAULT_ATTESTATIONS=1",
        ] {
            assert!(fix.contains(want), "{fix}");
        }
        // What the gate saw, in the JSON.
        let idx = &r["image"]["index"];
        assert_eq!(idx["digest"], b.attested.index_digest.as_str());
        assert_eq!(idx["media_type"], OCI_INDEX);
        let e = idx["entries"].as_array().unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0]["kind"], "image");
        assert_eq!(e[0]["platform"], "linux/amd64");
        assert_eq!(e[0]["digest"], b.image_digest.as_str());
        assert_eq!(e[1]["kind"], "attestation");
        assert_eq!(e[1]["platform"], "unknown/unknown");
        assert_eq!(e[1]["attests"], b.image_digest.as_str());
        assert_eq!(e[1]["predicate_types"], json!([SLSA]));
        // The image read is the image, not the attestation.
        assert_eq!(r["image"]["platform"], "linux/amd64");
        assert_eq!(r["image"]["platforms"], json!(["linux/amd64"]));
    }

    let (_, r, _) = path_check(&b.attested_sbom.path);
    let f = of(&r, "lambda-image-index");
    assert!(
        text(&f[0]["message"]).contains("1 attestation manifest (SLSA provenance, SPDX SBOM)"),
        "{}",
        f[0]["message"]
    );
    assert!(
        text(&f[0]["fix"]).contains("--provenance=false --sbom=false"),
        "{}",
        f[0]["fix"]
    );
}

#[test]
fn a_manifest_list_of_one_image_says_push_the_image_not_the_list() {
    let Some(b) = built() else { return };
    let (code, r, _) = path_check(&b.one_list);
    assert_eq!(code, 1);
    assert!(of(&r, "lambda-multi-arch").is_empty());
    let f = of(&r, "lambda-image-index");
    assert_eq!(f.len(), 1, "{}", r["findings"]);
    let m = text(&f[0]["message"]);
    assert!(m.contains("an index of 1 image (linux/amd64), not"), "{m}");
    assert!(!m.contains("attestation"), "{m}");
    assert!(m.contains(&b.image_digest), "{m}");
    assert!(text(&f[0]["fix"]).contains("without `--all`"));
}

#[test]
fn several_platforms_are_lambda_multi_arch_only_with_or_without_attestations() {
    let Some(b) = built() else { return };
    let (code, r, _) = path_check(&b.multi);
    assert_eq!(code, 1);
    assert!(of(&r, "lambda-image-index").is_empty(), "{}", r["findings"]);
    let m = of(&r, "lambda-multi-arch");
    assert_eq!(m.len(), 1);
    assert!(text(&m[0]["message"]).contains("(linux/amd64, linux/arm64);"));
    // The amd64 manifest, by its own digest, is what to deploy instead.
    assert!(
        text(&m[0]["fix"]).contains(&b.image_digest),
        "{}",
        m[0]["fix"]
    );

    let (code, r, _) = path_check(&b.multi_attested.path);
    assert_eq!(code, 1);
    assert!(of(&r, "lambda-image-index").is_empty(), "{}", r["findings"]);
    let m = of(&r, "lambda-multi-arch");
    assert_eq!(m.len(), 1, "{}", r["findings"]);
    assert!(
        text(&m[0]["message"])
            .contains("(linux/amd64, linux/arm64) + 2 attestation manifests (SLSA provenance)"),
        "{}",
        m[0]["message"]
    );
    let kinds: Vec<&str> = r["image"]["index"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| text(&e["kind"]))
        .collect();
    assert_eq!(kinds, ["image", "image", "attestation", "attestation"]);
}

#[test]
fn a_registry_tag_resolving_to_an_index_is_found_and_its_digest_is_not() {
    let Some(b) = built() else { return };
    let reg = &b.registry.addr;
    let (code, r, err) = check(&format!("docker://{reg}/fn:attested"), &["--plain-http"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(r["image"]["format"], "registry");
    // skopeo kept the index byte for byte, so the registry's is the layout's.
    assert_eq!(
        r["image"]["index"]["digest"],
        b.attested.index_digest.as_str()
    );
    assert_eq!(
        r["image"]["index"]["entries"][1]["predicate_types"],
        json!([SLSA]),
        "the attestation manifest was read from the registry"
    );
    let f = of(&r, "lambda-image-index");
    assert_eq!(f.len(), 1, "{}", r["findings"]);
    assert!(text(&f[0]["message"])
        .contains("an index of 1 image (linux/amd64) + 1 attestation manifest (SLSA provenance)"));
    let by_digest = format!("{reg}/fn@{}", b.image_digest);
    let own = format!("REPOSITORY@{}", b.image_digest);
    assert!(text(&f[0]["fix"]).contains(&own), "{}", f[0]["fix"]);
    assert!(of(&r, "lambda-multi-arch").is_empty());

    // Deployed by the image manifest's own digest, there is no index.
    let (code, r, err) = check(&format!("docker://{by_digest}"), &["--plain-http"]);
    assert_eq!(code, 0, "{err} {}", r["findings"]);
    assert!(r["image"].get("index").is_none());
    assert_none_of_the_index_rules(&r, "by digest");

    // Docker manifest lists, as `skopeo copy --all --format v2s2` writes them.
    let (code, r, err) = check(&format!("docker://{reg}/fn:one-list"), &["--plain-http"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        r["image"]["index"]["media_type"],
        "application/vnd.docker.distribution.manifest.list.v2+json"
    );
    let f = of(&r, "lambda-image-index");
    assert!(
        text(&f[0]["message"]).contains("a Docker manifest list of 1 image (linux/amd64)"),
        "{}",
        r["findings"]
    );
    let (code, r, err) = check(&format!("docker://{reg}/fn:multi-list"), &["--plain-http"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(of(&r, "lambda-multi-arch").len(), 1);
    assert!(of(&r, "lambda-image-index").is_empty());
}

#[test]
fn a_schema_1_manifest_is_refused_with_the_reason() {
    let Some(b) = built() else { return };
    let (code, _, err) = check(
        &format!("docker://{}/fn:schema1", b.registry.addr),
        &["--plain-http"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("a Docker schema 1 manifest"), "{err}");
    assert!(err.contains(LAMBDA_ACCEPTS), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// A copy of buildah's layout whose index.json points at `manifest` (written as a blob).
fn layout_with_manifest(b: &Built, name: &str, manifest: &Value) -> PathBuf {
    let dst = b.dir.join(name);
    let _ = std::fs::remove_dir_all(&dst);
    run(Command::new("cp").arg("-a").arg(&b.layout).arg(&dst));
    let (d, n) = put_blob(&dst, &serde_json::to_vec(manifest).unwrap());
    let media_type = manifest["mediaType"].clone();
    std::fs::write(
        dst.join("index.json"),
        serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "manifests": [{"mediaType": media_type, "digest": d, "size": n,
                           "annotations": {"org.opencontainers.image.ref.name": "latest"}}],
        }))
        .unwrap(),
    )
    .unwrap();
    dst
}

#[test]
fn artifacts_are_refused_with_the_reason() {
    let Some(b) = built() else { return };
    let image = blob(&b.layout, &b.image_digest);

    // An image manifest that declares an artifactType (OCI 1.1): readable, and refused.
    let mut labelled = image.clone();
    labelled["artifactType"] = json!("application/vnd.example.function+tar");
    let p = layout_with_manifest(b, "artifact-type", &labelled);
    let (code, r, _) = path_check(&p);
    assert_eq!(code, 1);
    let f = of(&r, "lambda-manifest-format");
    assert_eq!(f.len(), 1, "{}", r["findings"]);
    assert_eq!(f[0]["severity"], "error");
    let m = text(&f[0]["message"]);
    assert!(
        m.contains("artifactType application/vnd.example.function+tar"),
        "{m}"
    );
    assert!(m.contains(LAMBDA_ACCEPTS), "{m}");
    // The unchanged manifest is fine (the same check on buildah's own layout finds nothing).
    assert!(of(&path_check(&b.layout).1, "lambda-manifest-format").is_empty());

    // An OCI artifact manifest: nothing to read as an image: exit 2 with the reason.
    let (cd, cn) = put_blob(&b.layout, b"{}");
    let artifact = json!({
        "mediaType": "application/vnd.oci.artifact.manifest.v1+json",
        "artifactType": "application/spdx+json",
        "blobs": [{"mediaType": "application/spdx+json", "digest": cd, "size": cn}],
    });
    let p = layout_with_manifest(b, "artifact-manifest", &artifact);
    let (code, _, err) = check(p.to_str().unwrap(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("an OCI artifact manifest"), "{err}");
    assert!(err.contains("artifactType application/spdx+json"), "{err}");
    assert!(err.contains(LAMBDA_ACCEPTS), "{err}");

    // An image manifest whose config is not an image's (OCI 1.1's empty config): exit 2.
    let mut empty = image;
    empty["artifactType"] = json!("application/vnd.example.thing");
    empty["config"] =
        json!({"mediaType": "application/vnd.oci.empty.v1+json", "digest": cd, "size": cn});
    let p = layout_with_manifest(b, "empty-config", &empty);
    let (code, _, err) = check(p.to_str().unwrap(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not a container image"), "{err}");
    assert!(err.contains(LAMBDA_ACCEPTS), "{err}");
}

#[test]
fn the_text_and_markdown_reports_say_what_the_reference_resolved_to() {
    let Some(b) = built() else { return };
    let src = b.attested.path.to_str().unwrap();
    let line = format!(
        "an index ({}) of 1 image + 1 attestation",
        b.attested.index_digest
    );
    for format in ["text", "markdown"] {
        let out = support::gate(&["check", src, "--format", format]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains(&line), "{format}: {stdout}");
    }
    let out = support::gate(&["check", b.layout.to_str().unwrap()]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("an index ("));
}

/// Every entry of the index is recorded in the report, attestations too, so an index of a
/// million attestations would be a report of a million entries: past the cap on manifests
/// followed, it is refused as no real image.
#[test]
fn an_index_of_endless_attestations_is_refused_not_recorded() {
    let Some(b) = built() else { return };
    let dst = b.dir.join("endless");
    let _ = std::fs::remove_dir_all(&dst);
    run(Command::new("cp").arg("-a").arg(&b.layout).arg(&dst));
    let attestation = json!({
        "mediaType": OCI_MANIFEST, "digest": b.image_digest, "size": 1,
        "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
        "platform": {"architecture": "unknown", "os": "unknown"},
    });
    let mut entries = vec![top_descriptor(&b.layout)];
    entries[0]["platform"] = json!({"architecture": "amd64", "os": "linux"});
    entries.extend(std::iter::repeat_n(attestation, 5000));
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
    let (d, n) = put_blob(&dst, &serde_json::to_vec(&index).unwrap());
    std::fs::write(
        dst.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [
            {"mediaType": OCI_INDEX, "digest": d, "size": n}]}))
        .unwrap(),
    )
    .unwrap();
    let (code, _, err) = check(dst.to_str().unwrap(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("an index of 5001 entries"), "{err}");
}
