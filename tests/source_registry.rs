//! `docker://` against a real registry: Debian's docker-registry (CNCF distribution) on
//! 127.0.0.1 with TLS from a CA made here and htpasswd Basic auth, images pushed with skopeo.
//! The report read from the registry must equal the one read from the archive, field by
//! field, except the fields that say where the image was read from — and, where skopeo had to
//! compress a docker-archive's plain tar layers on push, the fields of the stored blobs.
//!
//! A second registry (plain HTTP, anonymous) sits behind small servers written here: one that
//! demands the Bearer token flow and redirects blobs to an "object storage" server (which
//! records whether our Authorization header followed), and faults (a manifest whose digest is
//! wrong, a blob cut short, a 503 to retry).

mod support;

use std::collections::HashMap;
use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::http::{Fake, Reply};
use support::{free_port, image, require_tools, run, tied, Request};

const USER: &str = "gate";
const PASS: &str = "s3cret-pw";

/// A registry process; it stops when the test binary exits (see [`tied`]).
struct Registry {
    addr: String,
    _child: Child,
}

fn wait_for_port(addr: &str, child: &mut Child, log: &Path) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if TcpStream::connect(addr).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "docker-registry exited ({status}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "docker-registry did not listen on {addr}: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

struct Env {
    dir: PathBuf,
    ca: PathBuf,
    cert_dir: PathBuf,
    auth_file: PathBuf,
    secure: Registry,
    plain: Registry,
}

fn start_registry(dir: &Path, name: &str, tls_auth: Option<(&Path, &Path, &Path)>) -> Registry {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let storage = dir.join(format!("{name}-storage"));
    std::fs::create_dir_all(&storage).unwrap();
    let mut yaml = format!(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n",
        storage.display()
    );
    if let Some((cert, key, htpasswd)) = tls_auth {
        yaml.push_str(&format!(
            "  tls:\n    certificate: {}\n    key: {}\nauth:\n  htpasswd:\n    realm: gate-test\n    path: {}\n",
            cert.display(),
            key.display(),
            htpasswd.display()
        ));
    }
    let cfg = dir.join(format!("{name}.yml"));
    std::fs::write(&cfg, yaml).unwrap();
    let log = dir.join(format!("{name}.log"));
    let mut child = tied("docker-registry")
        .arg("serve")
        .arg(&cfg)
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(dir.join(format!("{name}.err"))).unwrap())
        .spawn()
        .expect("docker-registry");
    wait_for_port(&addr, &mut child, &dir.join(format!("{name}.err")));
    Registry {
        addr,
        _child: child,
    }
}

/// The CA, the server certificate for 127.0.0.1, htpasswd, both registries, and every test
/// image pushed: once for all tests in this file.
fn env() -> Option<&'static Env> {
    static ENV: OnceLock<Option<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        if !require_tools(&["docker-registry", "skopeo", "htpasswd", "openssl"]) {
            return None;
        }
        let dir = support::static_dir("source_registry");
        let ca = dir.join("ca.crt");
        let ca_key = dir.join("ca.key");
        let cert = dir.join("server.crt");
        let key = dir.join("server.key");
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        run(Command::new("openssl")
            .args(["req", "-x509", "-days", "2", "-subj", "/CN=gate test CA"])
            .args(ec)
            .arg("-keyout")
            .arg(&ca_key)
            .arg("-out")
            .arg(&ca));
        let csr = dir.join("server.csr");
        run(Command::new("openssl")
            .args(["req", "-subj", "/CN=127.0.0.1"])
            .args(ec)
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&csr));
        let ext = dir.join("san.ext");
        std::fs::write(&ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n").unwrap();
        run(Command::new("openssl")
            .args(["x509", "-req", "-days", "2", "-CAcreateserial"])
            .arg("-in")
            .arg(&csr)
            .arg("-CA")
            .arg(&ca)
            .arg("-CAkey")
            .arg(&ca_key)
            .arg("-extfile")
            .arg(&ext)
            .arg("-out")
            .arg(&cert));
        // skopeo's cert dir must hold CA files only (NOTES.md).
        let cert_dir = dir.join("certs.d");
        std::fs::create_dir_all(&cert_dir).unwrap();
        std::fs::copy(&ca, cert_dir.join("ca.crt")).unwrap();
        let htpasswd = dir.join("htpasswd");
        let line = run(Command::new("htpasswd").args(["-Bbn", USER, PASS]));
        std::fs::write(&htpasswd, line).unwrap();
        let secure = start_registry(&dir, "secure", Some((&cert, &key, &htpasswd)));
        let plain = start_registry(&dir, "plain", None);

        let auth_file = dir.join("auth.json");
        write_auth(&auth_file, &secure.addr, USER, PASS);
        let e = Env {
            dir,
            ca,
            cert_dir,
            auth_file,
            secure,
            plain,
        };
        for (src, name, all) in IMAGES {
            push(&e, &source_of(src), name, *all, true);
            push(&e, &source_of(src), name, *all, false);
        }
        Some(e)
    })
    .as_ref()
}

fn write_auth(path: &Path, registry: &str, user: &str, pass: &str) {
    use base64::Engine;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    std::fs::write(
        path,
        serde_json::json!({ "auths": { registry: { "auth": auth } } }).to_string(),
    )
    .unwrap();
}

/// (skopeo source, repository:tag, copy every platform)
const IMAGES: &[(&str, &str, bool)] = &[
    (
        "docker-archive:dive-test-docker-image.tar",
        "dive/docker:1",
        false,
    ),
    (
        "oci-archive:dive-test-oci-gzip-image.tar",
        "dive/oci-gzip:1",
        false,
    ),
    (
        "oci-archive:dive-test-oci-zstd-image.tar",
        "dive/oci-zstd:1",
        false,
    ),
    (
        "oci:stereoscope-multiplatform_oci_dir",
        "multi:latest",
        true,
    ),
];

fn source_of(src: &str) -> String {
    let (transport, file) = src.split_once(':').unwrap();
    format!("{transport}:{}", image(file).display())
}

fn push(e: &Env, src: &str, name: &str, all: bool, secure: bool) {
    let mut c = Command::new("skopeo");
    c.args(["copy", "-q"]);
    if all {
        c.arg("--all");
    }
    if secure {
        c.arg("--dest-creds")
            .arg(format!("{USER}:{PASS}"))
            .arg("--dest-cert-dir")
            .arg(&e.cert_dir);
        c.arg(src).arg(format!("docker://{}/{name}", e.secure.addr));
    } else {
        c.arg("--dest-tls-verify=false");
        c.arg(src).arg(format!("docker://{}/{name}", e.plain.addr));
    }
    run(&mut c);
}

/// `gate check … --format json` with only the credentials and CA this test gives it.
fn gate(e: &Env, args: &[&str], auth_file: Option<&Path>) -> (i32, Value, String) {
    let home = e.dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_gate"));
    c.arg("check").args(args).args(["--format", "json"]);
    c.env("NO_COLOR", "1")
        .env("HOME", &home)
        .env("SSL_CERT_FILE", &e.ca)
        .env_remove("DOCKER_CONFIG")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("REGISTRY_AUTH_FILE");
    if let Some(a) = auth_file {
        c.env("REGISTRY_AUTH_FILE", a);
    }
    let out = c.output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (code, v, stderr)
}

/// Fields that say where the image came from, and so differ between an archive and a
/// registry by design.
const SOURCE_FIELDS: &[&str] = &["source", "format", "reference"];
/// Fields of the stored blobs, which differ only where skopeo re-compressed the layers on
/// push (a docker-archive's layers are plain tars; a registry stores them gzip-compressed),
/// and the manifest skopeo wrote for them (a docker-archive has none).
const BLOB_FIELDS: &[&str] = &["compressed_bytes", "manifest_digest"];
const LAYER_BLOB_FIELDS: &[&str] = &["digest", "media_type", "compression", "compressed_bytes"];

/// The report without the fields that legitimately differ.
fn comparable(mut r: Value, recompressed: bool) -> Value {
    let img = r["image"].as_object_mut().unwrap();
    for f in SOURCE_FIELDS {
        img.remove(*f);
    }
    if recompressed {
        for f in BLOB_FIELDS {
            img.remove(*f);
        }
        for l in img["layers"].as_array_mut().unwrap() {
            for f in LAYER_BLOB_FIELDS {
                l.as_object_mut().unwrap().remove(*f);
            }
        }
    }
    // Checks whose figures are blob sizes (max-compressed is not set here) stay comparable.
    r
}

fn assert_same_fields(archive: &Value, registry: &Value, what: &str) {
    // Field by field, so a failure names the field.
    let (a, b) = (archive.as_object().unwrap(), registry.as_object().unwrap());
    for (k, v) in a {
        if k == "image" {
            let (ai, bi) = (v.as_object().unwrap(), b[k].as_object().unwrap());
            for (f, av) in ai {
                assert_eq!(Some(av), bi.get(f), "{what}: image.{f}");
            }
            assert_eq!(
                ai.len(),
                bi.len(),
                "{what}: image fields {:?} vs {:?}",
                ai.keys(),
                bi.keys()
            );
        } else {
            assert_eq!(Some(v), b.get(k), "{what}: {k}");
        }
    }
    assert_eq!(a.len(), b.len(), "{what}: top-level fields");
}

#[test]
fn the_registry_report_equals_the_archive_report() {
    let Some(e) = env() else { return };
    let auth = Some(e.auth_file.as_path());
    for (src, name, _) in IMAGES {
        let local = source_of(src);
        let (ca, archive, err) = gate(e, &[&local], None);
        assert!(ca == 0 || ca == 1, "{local}: exit {ca}: {err}");
        let remote = format!("docker://{}/{name}", e.secure.addr);
        let (cr, registry, err) = gate(e, &[&remote], auth);
        assert!(cr == 0 || cr == 1, "{remote}: exit {cr}: {err}");
        assert_eq!(registry["image"]["format"], "registry");
        assert_eq!(registry["image"]["source"], remote.as_str());
        assert!(
            registry["image"]["reference"]
                .as_str()
                .unwrap()
                .contains("@sha256:"),
            "{}",
            registry["image"]
        );
        let recompressed = src.starts_with("docker-archive:");
        let mut archive = archive;
        if archive["image"].get("config_digest").is_none() {
            // `docker save` names the config `<hex>.json`, which the archive reader does not
            // take as a digest; the registry knows it. Checked against the file itself.
            let want = config_digest_in_docker_archive(&image(src.split_once(':').unwrap().1));
            assert_eq!(
                registry["image"]["config_digest"],
                want.as_str(),
                "{remote}"
            );
            archive["image"]["config_digest"] = registry["image"]["config_digest"].clone();
        }
        assert_same_fields(
            &comparable(archive.clone(), recompressed),
            &comparable(registry.clone(), recompressed),
            &remote,
        );
        assert_eq!(ca, cr, "{remote}: same verdict");
        if recompressed {
            // The registry holds gzip blobs skopeo made from the plain tars; the tars inside
            // (diff_ids, sizes, files) are the same, which the comparison above checked.
            assert!(registry["image"]["layers"]
                .as_array()
                .unwrap()
                .iter()
                .all(|l| l["compression"] == "gzip"));
        } else {
            assert_eq!(
                archive["image"]["compressed_bytes"],
                registry["image"]["compressed_bytes"]
            );
        }
    }
}

/// sha256 of the config member a docker-archive's manifest.json names.
fn config_digest_in_docker_archive(path: &Path) -> String {
    use sha2::Digest;
    let data = std::fs::read(path).unwrap();
    let mut members = HashMap::new();
    for entry in tar::Archive::new(&data[..]).entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = String::from_utf8_lossy(&entry.path_bytes()).to_string();
        let mut buf = Vec::new();
        entry.read_to_end(&mut buf).unwrap();
        members.insert(name, buf);
    }
    let m: Value = serde_json::from_slice(&members["manifest.json"]).unwrap();
    let config = &members[m[0]["Config"].as_str().unwrap()];
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(config)))
}

#[test]
fn a_platform_is_chosen_from_a_registry_index_as_from_an_archive() {
    let Some(e) = env() else { return };
    let local = source_of("oci:stereoscope-multiplatform_oci_dir");
    let remote = format!("docker://{}/multi:latest", e.secure.addr);
    let (_, archive, err) = gate(e, &[&local, "--platform", "linux/arm64"], None);
    assert!(archive.is_object(), "{err}");
    let (_, registry, err) = gate(
        e,
        &[&remote, "--platform", "linux/arm64"],
        Some(&e.auth_file),
    );
    assert!(registry.is_object(), "{err}");
    assert!(archive["image"]["platform"]
        .as_str()
        .unwrap()
        .starts_with("linux/arm64"));
    assert_same_fields(
        &comparable(archive, false),
        &comparable(registry, false),
        "arm64",
    );
    let (code, _, err) = gate(
        e,
        &[&remote, "--platform", "linux/s390x"],
        Some(&e.auth_file),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("platform linux/s390x is not in the image"),
        "{err}"
    );
}

/// An index whose entry is another index (no platform of its own), as some build pipelines
/// push: the platform is chosen in the inner one, and the report is the archive's.
#[test]
fn an_index_of_indexes_is_descended() {
    let Some(e) = env() else { return };
    push(
        e,
        &source_of("oci:stereoscope-multiplatform_oci_dir"),
        "nested:inner",
        true,
        false,
    );
    let inner = upstream(
        e,
        &Req {
            method: "GET".into(),
            path: "/v2/nested/manifests/inner".into(),
            headers: HashMap::from([(
                "accept".into(),
                "application/vnd.oci.image.index.v1+json".into(),
            )]),
        },
    );
    let digest = inner
        .headers
        .iter()
        .find(|(k, _)| k == "docker-content-digest")
        .map(|(_, v)| v.clone())
        .unwrap();
    let outer = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": digest,
            "size": inner.body.len(),
        }],
    });
    let put = reqwest::blocking::Client::new()
        .put(format!("http://{}/v2/nested/manifests/outer", e.plain.addr))
        .header("content-type", "application/vnd.oci.image.index.v1+json")
        .body(outer.to_string())
        .send()
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());

    let (_, archive, err) = gate(
        e,
        &[
            &source_of("oci:stereoscope-multiplatform_oci_dir"),
            "--platform",
            "linux/arm64",
        ],
        None,
    );
    assert!(archive.is_object(), "{err}");
    let (code, nested, err) = gate(
        e,
        &[
            &format!("docker://{}/nested:outer", e.plain.addr),
            "--plain-http",
            "--platform",
            "linux/arm64",
        ],
        None,
    );
    assert!(code == 0 || code == 1, "{err}");
    // The one fact that differs by design: the tag resolves to the outer index, which lists
    // the archive's index as its entry.
    let mut nested = nested;
    let outer = nested["image"]
        .as_object_mut()
        .unwrap()
        .remove("index")
        .unwrap();
    assert_eq!(outer["entries"][0]["kind"], "index", "{outer}");
    assert_eq!(outer["entries"][0]["digest"], digest.as_str());
    let mut archive = archive;
    archive["image"].as_object_mut().unwrap().remove("index");
    assert_same_fields(
        &comparable(archive, false),
        &comparable(nested, false),
        "nested",
    );
}

#[test]
fn wrong_password_and_missing_tag_exit_2_with_one_clear_line() {
    let Some(e) = env() else { return };
    let bad = e.dir.join("bad-auth.json");
    write_auth(&bad, &e.secure.addr, USER, "not-the-password");
    let remote = format!("docker://{}/dive/oci-gzip:1", e.secure.addr);
    let (code, _, err) = gate(e, &[&remote], Some(&bad));
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("refused the credentials from") && err.contains("bad-auth.json"),
        "{err}"
    );

    let (code, _, err) = gate(e, &[&remote], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no credentials were found"), "{err}");

    let missing = format!("docker://{}/dive/oci-gzip:nope", e.secure.addr);
    let (code, _, err) = gate(e, &[&missing], Some(&e.auth_file));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("manifest nope") && err.contains("404"),
        "{err}"
    );

    // HTTPS to a registry without TLS says what to do, without retrying.
    let plain = format!("docker://{}/dive/oci-gzip:1", e.plain.addr);
    let (code, _, err) = gate(e, &[&plain], None);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("does not speak TLS") && err.contains("--plain-http"),
        "{err}"
    );

    // TLS is verified: without the test CA the registry's certificate is refused.
    let home = e.dir.join("home");
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(["check", &remote])
        .env("HOME", &home)
        .env("REGISTRY_AUTH_FILE", &e.auth_file)
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.to_lowercase().contains("certificate"), "{err}");
}

#[test]
fn bad_references_exit_2_naming_what_is_wrong() {
    for (reference, says) in [
        ("docker://Upper/Case:1", "repository component"),
        ("docker:app:1", "docker://NAME"),
        ("dockr-archive:x.tar", "unknown transport"),
        ("docker://app@sha256:123", "64 lowercase hex"),
        ("oci:", "needs a path"),
    ] {
        let out = support::gate(&["check", reference]);
        assert_eq!(out.status.code(), Some(2), "{reference}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{reference}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    // The Action's `function` input is `gate check --function`, with no image.
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(["action", "--dry-run"])
        .env("INPUT_FUNCTION", "app:live")
        .env("INPUT_REGION", "eu-west-1")
        .env_remove("INPUT_IMAGE")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("gate check --function app:live --region eu-west-1"),
        "{err}"
    );
    // The skopeo prefixes read the same archive the plain path does.
    let plain = image("dive-test-oci-gzip-image.tar");
    let (c1, a) = support::gate_json(&["check", plain.to_str().unwrap()]);
    let (c2, b) = support::gate_json(&["check", &format!("oci-archive:{}", plain.display())]);
    assert_eq!(
        (c1, a["image"]["size_bytes"].clone()),
        (c2, b["image"]["size_bytes"].clone())
    );
    let out = support::gate(&["check", &format!("oci:{}", plain.display())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("layout directory"));
}

// ---- servers in front of the plain registry -------------------------------------------

struct Req {
    method: String,
    path: String,
    headers: HashMap<String, String>,
}

impl From<&Request> for Req {
    fn from(r: &Request) -> Req {
        Req {
            method: r.method().to_string(),
            path: r.path().to_string(),
            headers: r.headers.iter().cloned().collect(),
        }
    }
}

/// An answer; each closes its connection, as a registry's may.
type Resp = Reply;

/// Serves `handler` on a port the OS picks, for the test binary's life.
fn serve(handler: impl Fn(Req) -> Resp + Send + Sync + 'static) -> String {
    Fake::start(move |r: &Request| handler(Req::from(r)).header("Connection", "close"))
        .addr
        .to_string()
}

/// Forwards a GET to the plain registry.
fn upstream(e: &Env, req: &Req) -> Resp {
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut r = client.get(format!("http://{}{}", e.plain.addr, req.path));
    for k in ["accept", "range"] {
        if let Some(v) = req.headers.get(k) {
            r = r.header(k, v);
        }
    }
    let resp = r.send().unwrap();
    let status = resp.status().as_u16();
    let mut headers = Vec::new();
    for k in ["content-type", "docker-content-digest", "content-range"] {
        if let Some(v) = resp.headers().get(k) {
            headers.push((k.to_string(), v.to_str().unwrap().to_string()));
        }
    }
    let body = resp.bytes().unwrap().to_vec();
    Resp {
        status,
        headers,
        body,
        cut_at: None,
    }
}

#[derive(Default)]
struct Seen {
    token_requests: Vec<(String, Option<String>)>,
    v2_authorized: usize,
    v2_unauthorized: usize,
    storage_requests: usize,
    storage_with_authorization: usize,
    manifest_gets: usize,
}

#[test]
fn bearer_token_flow_and_redirected_blobs_without_authorization() {
    let Some(e) = env() else { return };
    let seen = Arc::new(Mutex::new(Seen::default()));
    // "Object storage": serves blobs from the registry; records the Authorization header.
    let storage = {
        let seen = Arc::clone(&seen);
        serve(move |req| {
            let mut s = seen.lock().unwrap();
            s.storage_requests += 1;
            if req.headers.contains_key("authorization") {
                s.storage_with_authorization += 1;
            }
            drop(s);
            let digest = req.path.trim_start_matches("/bucket/");
            upstream(
                env().unwrap(),
                &Req {
                    method: "GET".into(),
                    path: format!("/v2/dive/oci-zstd/blobs/{digest}"),
                    headers: HashMap::new(),
                },
            )
        })
    };
    let token_user = "robot";
    let token_pass = "robot-pw";
    let first_503 = Arc::new(AtomicUsize::new(0));
    let proxy_addr: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let proxy = {
        let seen = Arc::clone(&seen);
        let storage = storage.clone();
        let first_503 = Arc::clone(&first_503);
        let proxy_addr = Arc::clone(&proxy_addr);
        serve(move |req| {
            let me = proxy_addr.get().unwrap();
            if req.path.starts_with("/token") {
                use base64::Engine;
                let want = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD
                        .encode(format!("{token_user}:{token_pass}"))
                );
                let auth = req.headers.get("authorization").cloned();
                seen.lock()
                    .unwrap()
                    .token_requests
                    .push((req.path.clone(), auth.clone()));
                if auth.as_deref() != Some(want.as_str()) {
                    return Resp {
                        status: 401,
                        headers: vec![],
                        body: b"{}".to_vec(),
                        cut_at: None,
                    };
                }
                return Resp {
                    status: 200,
                    headers: vec![("content-type".into(), "application/json".into())],
                    body: br#"{"token":"tok-123","expires_in":300}"#.to_vec(),
                    cut_at: None,
                };
            }
            if req.headers.get("authorization").map(String::as_str) != Some("Bearer tok-123") {
                seen.lock().unwrap().v2_unauthorized += 1;
                return Resp {
                    status: 401,
                    headers: vec![(
                        "www-authenticate".into(),
                        format!(r#"Bearer realm="http://{me}/token",service="gate-test",scope="repository:dive/oci-zstd:pull""#),
                    )],
                    body: br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.to_vec(),
                    cut_at: None,
                };
            }
            seen.lock().unwrap().v2_authorized += 1;
            if req.path.contains("/manifests/") {
                seen.lock().unwrap().manifest_gets += 1;
                // One 503 with Retry-After first: the client must wait and ask again.
                if first_503.fetch_add(1, Ordering::SeqCst) == 0 {
                    return Resp {
                        status: 503,
                        headers: vec![("retry-after".into(), "0".into())],
                        body: vec![],
                        cut_at: None,
                    };
                }
            }
            // Every blob (config and layers) is redirected to object storage.
            if let Some(d) = req
                .path
                .split("/blobs/")
                .nth(1)
                .filter(|d| !d.is_empty() && req.method == "GET")
            {
                return Resp {
                    status: 307,
                    headers: vec![("location".into(), format!("http://{storage}/bucket/{d}"))],
                    body: vec![],
                    cut_at: None,
                };
            }
            upstream(env().unwrap(), &req)
        })
    };
    proxy_addr.set(proxy.clone()).unwrap();

    let auth = e.dir.join("token-auth.json");
    write_auth(&auth, &proxy, token_user, token_pass);
    let (_, direct, err) = gate(
        e,
        &[
            &format!("docker://{}/dive/oci-zstd:1", e.plain.addr),
            "--plain-http",
        ],
        None,
    );
    assert!(direct.is_object(), "{err}");
    let (code, via, err) = gate(
        e,
        &[&format!("docker://{proxy}/dive/oci-zstd:1"), "--plain-http"],
        Some(&auth),
    );
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    assert_same_fields(
        &comparable(direct, false),
        &comparable(via.clone(), false),
        "through the proxy",
    );

    let s = seen.lock().unwrap();
    assert!(!s.token_requests.is_empty());
    let (path, _) = &s.token_requests[0];
    assert!(
        path.contains("service=gate-test")
            && path.contains("scope=repository%3Adive%2Foci-zstd%3Apull"),
        "{path}"
    );
    assert!(
        s.v2_unauthorized >= 1,
        "the first request went without a token"
    );
    assert!(
        s.v2_authorized >= 3,
        "manifest, config and more with the token"
    );
    assert_eq!(s.manifest_gets, 2, "the 503 was retried once");
    let blobs = via["image"]["layers"].as_array().unwrap().len() + 1;
    assert_eq!(
        s.storage_requests, blobs,
        "config and every layer came from storage"
    );
    assert_eq!(
        s.storage_with_authorization, 0,
        "the token must not follow a redirect to another host"
    );
}

/// Faults: the proxy alters one thing; each must be exit 2 with one line saying what.
#[test]
fn a_wrong_manifest_digest_and_a_cut_blob_exit_2() {
    let Some(e) = env() else { return };
    // The real digest of the pushed manifest, from the registry itself.
    let m = upstream(
        e,
        &Req {
            method: "GET".into(),
            path: "/v2/dive/oci-gzip/manifests/1".into(),
            headers: HashMap::from([(
                "accept".into(),
                "application/vnd.oci.image.manifest.v1+json".into(),
            )]),
        },
    );
    let digest = m
        .headers
        .iter()
        .find(|(k, _)| k == "docker-content-digest")
        .map(|(_, v)| v.clone())
        .unwrap();
    let manifest: Value = serde_json::from_slice(&m.body).unwrap();
    let layer = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();

    let altered = serve(move |req| {
        let mut r = upstream(env().unwrap(), &req);
        if req.path.contains("/manifests/") {
            r.body.extend_from_slice(b"\n ");
        }
        r
    });
    let (code, _, err) = gate(
        e,
        &[
            &format!("docker://{altered}/dive/oci-gzip@{digest}"),
            "--plain-http",
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("digest mismatch") && err.contains(&digest),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let cut = serve(move |req| {
        let mut r = upstream(env().unwrap(), &req);
        if req.path.ends_with(&layer) {
            r.cut_at = Some(r.body.len() / 2);
        }
        r
    });
    let (code, _, err) = gate(
        e,
        &[&format!("docker://{cut}/dive/oci-gzip:1"), "--plain-http"],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("layer 0") && (err.contains("cut short") || err.contains("broke off")),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// A download that breaks off resumes where it stopped (`Range`), once per break, and the
/// joined stream is checked against the digest like any other: the report is the one an
/// unbroken read gives. A registry that cannot resume still fails in one line.
#[test]
fn a_cut_download_resumes_with_a_range_request() {
    let Some(e) = env() else { return };
    let (code, whole, err) = gate(
        e,
        &[
            &format!("docker://{}/dive/oci-gzip:1", e.plain.addr),
            "--plain-http",
        ],
        None,
    );
    assert!(code == 0 || code == 1, "{err}");

    // Each layer's first GET is cut in the middle; every later GET must ask for the rest.
    // (The config is small and read whole, not resumed.)
    let config = whole["image"]["config_digest"]
        .as_str()
        .unwrap()
        .to_string();
    let config2 = config.clone();
    type Log = Vec<(String, Option<String>)>;
    let ranges: Arc<Mutex<Log>> = Arc::default();
    let log = Arc::clone(&ranges);
    let cutting = serve(move |req| {
        let mut r = upstream(env().unwrap(), &req);
        if req.path.contains("/blobs/") && r.body.len() > 1 {
            let mut log = log.lock().unwrap();
            let first = !log.iter().any(|(p, _)| *p == req.path);
            log.push((req.path.clone(), req.headers.get("range").cloned()));
            if first && !req.path.ends_with(&config) {
                r.cut_at = Some(r.body.len() / 2);
            }
        }
        r
    });
    let (code, resumed, err) = gate(
        e,
        &[
            &format!("docker://{cutting}/dive/oci-gzip:1"),
            "--plain-http",
        ],
        None,
    );
    assert!(code == 0 || code == 1, "{err}");
    assert_same_fields(
        &comparable(whole.clone(), false),
        &comparable(resumed, false),
        "resumed",
    );
    let log = ranges.lock().unwrap().clone();
    let layers = whole["image"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let again: Vec<_> = log.iter().filter(|(_, range)| range.is_some()).collect();
    assert_eq!(again.len(), layers, "one resume per cut layer: {log:?}");
    for (path, range) in again {
        let from: u64 = range
            .as_deref()
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{path}: Range {range:?}"));
        assert!(from > 0, "{path}: resumed from {from}");
    }

    // A registry that ignores Range (answers 200 with the whole blob again) cannot resume.
    let no_range = serve(move |mut req| {
        let cut = req.path.contains("/blobs/")
            && !req.path.ends_with(&config2)
            && !req.headers.contains_key("range");
        req.headers.remove("range");
        let mut r = upstream(env().unwrap(), &req);
        if cut {
            r.cut_at = Some(r.body.len() / 2);
        }
        r
    });
    let (code, _, err) = gate(
        e,
        &[
            &format!("docker://{no_range}/dive/oci-gzip:1"),
            "--plain-http",
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot resume the download"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// Docker's config.json with `credHelpers` (and, for another host, `credsStore`): the helper
/// is run as `docker-credential-<name> get` with the server on stdin, as Docker runs it.
#[test]
fn credentials_from_docker_config_credential_helpers() {
    use std::os::unix::fs::PermissionsExt;
    let Some(e) = env() else { return };
    let bin = e.dir.join("helper-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let asked = e.dir.join("helper-asked");
    let script = format!(
        "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\necho \"$server\" >> {}\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASS}\"}}' \"$server\"\n",
        asked.display()
    );
    let helper = bin.join("docker-credential-gatetest");
    std::fs::write(&helper, script).unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let remote = format!("docker://{}/dive/oci-gzip:1", e.secure.addr);
    for (i, config) in [
        serde_json::json!({ "credHelpers": { e.secure.addr.clone(): "gatetest" } }),
        serde_json::json!({ "auths": {}, "credsStore": "gatetest" }),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = e.dir.join(format!("docker-config-{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
        let _ = std::fs::remove_file(&asked);
        let out = Command::new(env!("CARGO_BIN_EXE_gate"))
            .args(["check", &remote, "--format", "json"])
            .env("HOME", e.dir.join("home"))
            .env("SSL_CERT_FILE", &e.ca)
            .env("DOCKER_CONFIG", &dir)
            .env(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )
            .env_remove("REGISTRY_AUTH_FILE")
            .env_remove("XDG_RUNTIME_DIR")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "config {i}: {err}"
        );
        assert_eq!(
            std::fs::read_to_string(&asked).unwrap().trim(),
            e.secure.addr,
            "config {i}: the helper was asked for this registry"
        );
    }
}
