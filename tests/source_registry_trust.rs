//! Credentials go only where they belong (issue 24): the registry is trusted for its own
//! origin and nothing more. Every server here is a small fake written in this file, on
//! 127.0.0.1 with a port the OS picks, recording each request it sees so that the tests can
//! assert exactly who was sent what. The manifest and config they serve are written by hand
//! (the smallest documents the gate reads): what is under test is where requests go, not the
//! image, and no tool can make a registry misbehave on purpose.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use base64::Engine;
use sha2::{Digest, Sha256};

const USER: &str = "gate-user";
const PASS: &str = "p4ss-from-config-json";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
    body: String,
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn reply(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    Reply {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.to_vec(),
    }
}

fn read_req(r: &mut impl BufRead) -> Option<Seen> {
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let mut body = Vec::new();
    if let Some(n) = headers
        .get("content-length")
        .and_then(|n| n.parse::<usize>().ok())
    {
        body = vec![0; n.min(1 << 20)];
        r.read_exact(&mut body).ok()?;
    }
    Some(Seen {
        method,
        path,
        authorization: headers.get("authorization").cloned(),
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// A fake server: records every request, answers with `handler`. Returns its address and log.
fn serve(handler: impl Fn(&Seen, &str) -> Reply + Send + Sync + 'static) -> (String, Log) {
    serve_on(None, handler)
}

/// `serve`, over TLS when given a server configuration.
fn serve_on(
    tls: Option<Arc<rustls::ServerConfig>>,
    handler: impl Fn(&Seen, &str) -> Reply + Send + Sync + 'static,
) -> (String, Log) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let log: Log = Arc::default();
    let h = Arc::new(handler);
    {
        let (log, addr) = (Arc::clone(&log), addr.clone());
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(s) = s else { continue };
                let (h, log, addr, tls) =
                    (Arc::clone(&h), Arc::clone(&log), addr.clone(), tls.clone());
                std::thread::spawn(move || match tls {
                    Some(cfg) => {
                        let Ok(conn) = rustls::ServerConnection::new(cfg) else {
                            return;
                        };
                        let mut stream = rustls::StreamOwned::new(conn, s);
                        exchange(&mut stream, &*h, &log, &addr);
                    }
                    None => {
                        let mut s = s;
                        exchange(&mut s, &*h, &log, &addr);
                    }
                });
            }
        });
    }
    (addr, log)
}

/// One request and its answer on `stream`.
fn exchange(
    stream: &mut (impl Read + Write),
    h: &(dyn Fn(&Seen, &str) -> Reply + Send + Sync),
    log: &Log,
    addr: &str,
) {
    let Some(req) = read_req(&mut BufReader::new(&mut *stream)) else {
        return;
    };
    log.lock().unwrap().push(req.clone());
    let r = h(&req, addr);
    let mut head = format!(
        "HTTP/1.1 {} X\r\nConnection: close\r\nContent-Length: {}\r\n",
        r.status,
        r.body.len()
    );
    for (k, v) in &r.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&r.body);
    let _ = stream.flush();
}

fn basic(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

fn sha256(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

/// The smallest image: a config and a manifest naming it (and one layer never fetched here).
fn image_docs() -> (Vec<u8>, Vec<u8>, String) {
    let config =
        br#"{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec();
    let cdigest = sha256(&config);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdigest, "size": config.len()},
        "layers": []
    })
    .to_string()
    .into_bytes();
    (manifest, config, cdigest)
}

fn write_auth(dir: &Path, registry: &str) -> PathBuf {
    let path = dir.join("auth.json");
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASS}"));
    std::fs::write(
        &path,
        serde_json::json!({"auths": {registry: {"auth": auth}}}).to_string(),
    )
    .unwrap();
    path
}

/// `gate check ARGS --format json` with only the credentials and environment given here.
fn gate(args: &[&str], env: &[(&str, &str)], home: &Path) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gate"));
    c.arg("check").args(args).args(["--format", "json"]);
    c.env("NO_COLOR", "1").env("HOME", home);
    for k in [
        "DOCKER_CONFIG",
        "XDG_RUNTIME_DIR",
        "REGISTRY_AUTH_FILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_ECR",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        c.env_remove(k);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn log(l: &Log) -> Vec<(String, String, Option<String>)> {
    l.lock()
        .unwrap()
        .iter()
        .map(|s| (s.method.clone(), s.path.clone(), s.authorization.clone()))
        .collect()
}

fn get(path: &str, auth: Option<&str>) -> (String, String, Option<String>) {
    ("GET".into(), path.into(), auth.map(str::to_string))
}

/// The reproduction from the issue: the registry redirects a blob to storage on another
/// host, the storage answers 401 with a Bearer challenge naming a token host. Before the fix
/// the gate sent the user's Basic credentials from the auth file to that token host, then
/// blamed the registry ("refused the credentials"). Now the storage's challenge is not
/// answered: the token host sees nothing, and the error names the storage host.
#[test]
fn a_challenge_from_a_redirect_target_is_not_answered() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, config, cdigest) = image_docs();
    let _ = config;
    let (token_host, token_log) = serve(|_, _| {
        reply(
            200,
            &[("content-type", "application/json")],
            br#"{"token":"stolen"}"#,
        )
    });
    let storage_token_host = token_host.clone();
    let (storage, storage_log) = serve(move |_, _| {
        let challenge =
            format!(r#"Bearer realm="http://{storage_token_host}/token",service="storage""#);
        reply(401, &[("www-authenticate", &challenge)], b"")
    });
    let want_basic = basic(USER, PASS);
    let redirect_to = storage.clone();
    let (registry, registry_log) = serve(move |req, _| {
        if req.authorization.as_deref() != Some(want_basic.as_str()) {
            return reply(401, &[("www-authenticate", r#"Basic realm="reg""#)], b"");
        }
        if req.path.contains("/manifests/") {
            return reply(
                200,
                &[("content-type", "application/vnd.oci.image.manifest.v1+json")],
                &manifest,
            );
        }
        let d = req.path.rsplit('/').next().unwrap_or_default();
        let to = format!("http://{redirect_to}/bucket/{d}");
        reply(307, &[("location", &to)], b"")
    });
    let auth = write_auth(dir.path(), &registry);
    let out = gate(
        &[&format!("docker://{registry}/app:v1"), "--plain-http"],
        &[("REGISTRY_AUTH_FILE", auth.to_str().unwrap())],
        dir.path(),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(log(&token_log), [], "the token host must see no request");
    assert_eq!(
        log(&storage_log),
        [get(&format!("/bucket/{cdigest}"), None)],
        "storage: one GET, no Authorization"
    );
    let b = basic(USER, PASS);
    assert_eq!(
        log(&registry_log),
        [
            get("/v2/app/manifests/v1", None),
            get("/v2/app/manifests/v1", Some(&b)),
            get(&format!("/v2/app/blobs/{cdigest}"), Some(&b)),
        ]
    );
    assert!(
        err.contains(&storage) && err.contains("HTTP 401"),
        "the error names the host that refused: {err}"
    );
    assert!(!err.contains("refused the credentials"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// A registry that names a token realm on another host is answered (Docker Hub's realm is
/// auth.docker.io): only a challenge from somewhere else is not. The token host here gets
/// the credentials exactly once, and the registry then sees the token.
#[test]
fn the_registrys_own_challenge_still_gets_its_token() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, _, _) = image_docs();
    let want_basic = basic(USER, PASS);
    let (token_host, token_log) = serve(move |req, _| {
        if req.authorization.as_deref() != Some(want_basic.as_str()) {
            return reply(401, &[], b"");
        }
        reply(
            200,
            &[("content-type", "application/json")],
            br#"{"token":"t-1"}"#,
        )
    });
    let realm = format!("http://{token_host}/token");
    let (registry, registry_log) = serve(move |req, _| {
        if req.authorization.as_deref() != Some("Bearer t-1") {
            let c = format!(r#"Bearer realm="{realm}",service="reg",scope="repository:app:pull""#);
            return reply(401, &[("www-authenticate", &c)], b"");
        }
        if req.path.contains("/manifests/") {
            return reply(200, &[], &manifest);
        }
        reply(
            404,
            &[],
            br#"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}"#,
        )
    });
    let auth = write_auth(dir.path(), &registry);
    let out = gate(
        &[&format!("docker://{registry}/app:v1"), "--plain-http"],
        &[("REGISTRY_AUTH_FILE", auth.to_str().unwrap())],
        dir.path(),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("BLOB_UNKNOWN"), "{err}");
    assert_eq!(
        log(&token_log),
        [get(
            "/token?service=reg&scope=repository%3Aapp%3Apull",
            Some(&basic(USER, PASS))
        )]
    );
    let r = log(&registry_log);
    assert_eq!(r[0], get("/v2/app/manifests/v1", None));
    assert!(
        r[1..].iter().all(|s| s.2.as_deref() == Some("Bearer t-1")),
        "{r:?}"
    );
}

/// `--plain-http` is for registries on this machine: a registry elsewhere is refused before
/// any connection (before the fix the gate went on to connect in clear) (exit 2, one line naming the flag that would allow it).
#[test]
fn plain_http_is_refused_for_a_registry_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    for reference in [
        // `.invalid` never resolves (RFC 6761): were the check missing, nothing is reached.
        "docker://registry.invalid/app:v1",
        "docker://localhost.registry.invalid:5000/app:v1",
    ] {
        let out = gate(&[reference, "--plain-http"], &[], dir.path());
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("--plain-http") && err.contains("--insecure-registry"),
            "{err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    // A host named with --insecure-registry is read over plain HTTP without --plain-http.
    let (registry, registry_log) = serve(|_, _| {
        reply(
            404,
            &[],
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
        )
    });
    let port = registry.rsplit(':').next().unwrap();
    let named = format!("localhost:{port}");
    let out = gate(
        &[
            &format!("docker://{named}/app:v1"),
            "--insecure-registry",
            &format!("other.invalid,{named}"),
        ],
        &[],
        dir.path(),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("MANIFEST_UNKNOWN"), "{err}");
    assert_eq!(log(&registry_log), [get("/v2/app/manifests/v1", None)]);
}

/// A fake ECR API (GetAuthorizationToken) that records its calls.
fn fake_ecr(password: &'static str) -> (String, Log) {
    serve(move |_, _| {
        let tok = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{password}"));
        let body =
            serde_json::json!({"authorizationData": [{"authorizationToken": tok}]}).to_string();
        reply(
            200,
            &[("content-type", "application/x-amz-json-1.1")],
            body.as_bytes(),
        )
    })
}

/// With `AWS_ENDPOINT_URL_ECR` set, an ECR token is asked for (and sent) only for the
/// endpoint's own host, not for every registry: before the fix a registry named `localhost`
/// made the gate fetch an ECR token and hand it over.
#[test]
fn an_ecr_endpoint_gets_its_token_only_for_its_own_host() {
    let dir = tempfile::tempdir().unwrap();
    let (ecr, ecr_log) = fake_ecr("ecr-pw");
    let (registry, registry_log) = serve(|req, _| {
        if req.authorization.is_none() {
            return reply(401, &[("www-authenticate", r#"Basic realm="reg""#)], b"");
        }
        reply(
            404,
            &[],
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
        )
    });
    let port = registry.rsplit(':').next().unwrap();
    let endpoint = format!("http://{ecr}");
    let env = [
        ("AWS_ENDPOINT_URL_ECR", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "not-a-real-secret"),
        ("AWS_REGION", "eu-west-1"),
    ];
    // Another host than the endpoint's (localhost is not 127.0.0.1 by name): no ECR token.
    let out = gate(
        &[&format!("docker://localhost:{port}/app:v1"), "--plain-http"],
        &env,
        dir.path(),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(log(&ecr_log), [], "no ECR token for another host: {err}");
    assert!(err.contains("no credentials were found"), "{err}");
    let sent: Vec<_> = log(&registry_log);
    assert!(sent.iter().all(|s| s.2.is_none()), "{sent:?}");

    // The endpoint's own host: the token is fetched and sent there.
    let out = gate(
        &[&format!("docker://{registry}/app:v1"), "--plain-http"],
        &env,
        dir.path(),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("MANIFEST_UNKNOWN"), "{err}");
    assert_eq!(
        ecr_log.lock().unwrap().len(),
        1,
        "one GetAuthorizationToken"
    );
    assert_eq!(
        registry_log.lock().unwrap().last().unwrap().authorization,
        Some(basic("AWS", "ecr-pw"))
    );
}

/// A CA and a server certificate for 127.0.0.1 made with openssl (as tests/source_registry.rs
/// does for the real registry), and the rustls configuration serving it. None without openssl.
fn tls(dir: &Path) -> Option<(Arc<rustls::ServerConfig>, PathBuf)> {
    let openssl = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509", "-days", "2", "-subj", "/CN=trust test CA"][..],
            &ec,
            &["-keyout", "ca.key", "-out", "ca.crt"],
        ]
        .concat(),
    )?;
    openssl(
        &[
            &["req", "-subj", "/CN=127.0.0.1"][..],
            &ec,
            &["-keyout", "server.key", "-out", "server.csr"],
        ]
        .concat(),
    )?;
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-days",
        "2",
        "-CAcreateserial",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-extfile",
        "san.ext",
        "-outform",
        "DER",
        "-out",
        "server.der",
    ])?;
    openssl(&[
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-in",
        "server.key",
        "-outform",
        "DER",
        "-out",
        "server.key.der",
    ])?;
    let cert =
        rustls::pki_types::CertificateDer::from(std::fs::read(dir.join("server.der")).unwrap());
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(
        std::fs::read(dir.join("server.key.der")).unwrap().into(),
    );
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    Some((Arc::new(cfg), dir.join("ca.crt")))
}

/// A registry over TLS that redirects its blobs to plain HTTP on another port: the download
/// is not followed into the clear (before the fix it was, and the storage got the request).
#[test]
fn a_redirect_from_https_to_plain_http_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let Some((cfg, ca)) = tls(dir.path()) else {
        eprintln!("openssl is missing: skipped");
        return;
    };
    let (manifest, _, cdigest) = image_docs();
    let (storage, storage_log) = serve(|_, _| reply(200, &[], b"{}"));
    let to = storage.clone();
    let (registry, registry_log) = serve_on(Some(cfg), move |req, _| {
        if req.path.contains("/manifests/") {
            return reply(200, &[], &manifest);
        }
        let d = req.path.rsplit('/').next().unwrap_or_default();
        reply(
            307,
            &[("location", &format!("http://{to}/bucket/{d}"))],
            b"",
        )
    });
    let out = gate(
        &[&format!("docker://{registry}/app:v1")],
        &[("SSL_CERT_FILE", ca.to_str().unwrap())],
        dir.path(),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("a redirect goes from https to plain HTTP") && err.contains(&storage),
        "{err}"
    );
    assert_eq!(log(&storage_log), [], "nothing was sent in clear");
    assert_eq!(
        log(&registry_log),
        [
            get("/v2/app/manifests/v1", None),
            get(&format!("/v2/app/blobs/{cdigest}"), None)
        ]
    );
}

/// A registry over TLS whose Bearer challenge names a token realm over plain HTTP: the
/// user's credentials are not sent there (before the fix they were, as Basic).
#[test]
fn credentials_never_go_to_a_plain_http_realm_of_an_https_registry() {
    let dir = tempfile::tempdir().unwrap();
    let Some((cfg, ca)) = tls(dir.path()) else {
        eprintln!("openssl is missing: skipped");
        return;
    };
    let (token_host, token_log) = serve(|_, _| reply(200, &[], br#"{"token":"t"}"#));
    let realm = format!("http://{token_host}/token");
    let (registry, registry_log) = serve_on(Some(cfg), move |_, _| {
        let c = format!(r#"Bearer realm="{realm}",service="reg""#);
        reply(401, &[("www-authenticate", &c)], b"")
    });
    let auth = write_auth(dir.path(), &registry);
    let out = gate(
        &[&format!("docker://{registry}/app:v1")],
        &[
            ("SSL_CERT_FILE", ca.to_str().unwrap()),
            ("REGISTRY_AUTH_FILE", auth.to_str().unwrap()),
        ],
        dir.path(),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(
        log(&token_log),
        [],
        "the plain-HTTP realm got nothing: {err}"
    );
    assert_eq!(log(&registry_log), [get("/v2/app/manifests/v1", None)]);
    assert!(
        err.contains(&token_host) && err.contains("plain HTTP"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// The GitHub token rides on every API call: an API URL over plain HTTP is refused (exit 2,
/// one line) unless it is this machine, before any connection. Before the fix the gate went
/// on to call it (and failed only because `.invalid` does not resolve).
#[test]
fn a_github_api_url_over_plain_http_is_refused_off_loopback() {
    let report =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/function-naive-report.json");
    for (flag, env) in [
        (Some("http://api.github.invalid"), None),
        (None, Some("http://ghe.invalid/api/v3")),
    ] {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gate"));
        c.arg("comment")
            .arg(&report)
            .args(["--github-repository", "o/r", "--pr", "7"])
            .env("GITHUB_TOKEN", "ghs_S3CR3T")
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_EVENT_PATH")
            .env_remove("GITHUB_API_URL");
        if let Some(f) = flag {
            c.args(["--github-api-url", f]);
        }
        if let Some(e) = env {
            c.env("GITHUB_API_URL", e);
        }
        let out = c.output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("in clear") && !err.contains("S3CR3T"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

/// A registry on loopback may redirect to storage on loopback, named by host name (the
/// address it resolved to is checked, and the download pinned to it): the config arrives
/// from there, without our Authorization header.
#[test]
fn a_loopback_registry_may_redirect_to_loopback_storage_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, config, cdigest) = image_docs();
    let (storage, storage_log) = serve(move |_, _| reply(200, &[], &config));
    let port = storage.rsplit(':').next().unwrap().to_string();
    let want_basic = basic(USER, PASS);
    let (registry, _) = serve(move |req, _| {
        if req.authorization.as_deref() != Some(want_basic.as_str()) {
            return reply(401, &[("www-authenticate", r#"Basic realm="reg""#)], b"");
        }
        if req.path.contains("/manifests/") {
            return reply(200, &[], &manifest);
        }
        let d = req.path.rsplit('/').next().unwrap_or_default();
        reply(
            307,
            &[("location", &format!("http://localhost:{port}/bucket/{d}"))],
            b"",
        )
    });
    let auth = write_auth(dir.path(), &registry);
    let out = gate(
        &[&format!("docker://{registry}/app:v1"), "--plain-http"],
        &[("REGISTRY_AUTH_FILE", auth.to_str().unwrap())],
        dir.path(),
    );
    let err = stderr(&out);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{err}");
    assert_eq!(
        log(&storage_log),
        [get(&format!("/bucket/{cdigest}"), None)]
    );
}

/// The GitHub API's redirects are followed on its own origin only: one to another host is an
/// error, and that host sees nothing (reqwest's default policy, used before, went there).
#[test]
fn a_github_api_redirect_to_another_host_is_not_followed() {
    let report =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/function-naive-report.json");
    let (elsewhere, elsewhere_log) = serve(|_, _| reply(200, &[], b"[]"));
    let (api, api_log) = serve(move |req, _| {
        reply(
            301,
            &[("location", &format!("http://{elsewhere}{}", req.path))],
            b"",
        )
    });
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .arg("comment")
        .arg(&report)
        .args(["--github-repository", "o/r", "--pr", "7"])
        .args(["--github-api-url", &format!("http://{api}")])
        .args(["--github-timeout", "10s"])
        .env("GITHUB_TOKEN", "ghs_S3CR3T")
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_EVENT_PATH")
        .env_remove("GITHUB_API_URL")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(log(&elsewhere_log), [], "{err}");
    assert!(!api_log.lock().unwrap().is_empty(), "{err}");
    assert!(!err.contains("S3CR3T"), "{err}");
}
