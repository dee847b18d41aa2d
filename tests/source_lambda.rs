//! `gate check --function`: Lambda `GetFunction` → the deployed image's digest, ECR
//! `GetAuthorizationToken` → the registry's credentials, the image read by digest.
//!
//! Against moto (the AWS API emulator from PyPI, in server mode) paired with Debian's
//! docker-registry (moto serves no registry). moto does not check signatures, so the same run
//! also goes through a small fake of both APIs written here that recomputes every SigV4
//! signature independently (its own HMAC-SHA256, the canonical request from the bytes it
//! received) and refuses a wrong one, as AWS would.

mod support;

use std::collections::HashMap;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::http::{Fake, Reply};
use support::{free_port, image, require_tools, run, tied, Request};

const KEY_ID: &str = "AKIDGATETEST";
const SECRET: &str = "gate/secret/key";
const REGION: &str = "eu-west-1";

fn wait_for(addr: &str, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what} did not listen on {addr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Env {
    dir: PathBuf,
    moto: String,
    registry: String,
    /// The pushed image's manifest digest, as skopeo wrote it.
    digest: String,
    ecr_password: String,
    _children: Vec<Child>,
}

fn env() -> Option<&'static Env> {
    static E: OnceLock<Option<Env>> = OnceLock::new();
    E.get_or_init(|| {
        if !require_tools(&["moto_server", "docker-registry", "skopeo", "htpasswd"]) {
            return None;
        }
        let dir = support::static_dir("source_lambda");
        let moto = format!("127.0.0.1:{}", free_port());
        let (host, port) = moto.split_once(':').unwrap();
        let moto_child = tied("moto_server")
            .args(["-H", host, "-p", port])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server");
        wait_for(&moto, "moto_server");
        // moto's ECR token, asked for directly (moto does not check signatures): the
        // registry's htpasswd gets exactly the password the gate must obtain itself.
        let resp = reqwest::blocking::Client::new()
            .post(format!("http://{moto}/"))
            .header("x-amz-target", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken")
            .header("content-type", "application/x-amz-json-1.1")
            .header("authorization", format!("AWS4-HMAC-SHA256 Credential={KEY_ID}/20260101/{REGION}/ecr/aws4_request, SignedHeaders=host, Signature=00"))
            .body("{}")
            .send()
            .unwrap()
            .bytes()
            .unwrap();
        let resp: Value = serde_json::from_slice(&resp).unwrap();
        let tok = resp["authorizationData"][0]["authorizationToken"].as_str().unwrap();
        let raw = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(tok).unwrap()).unwrap();
        let (user, ecr_password) = raw.split_once(':').unwrap();
        assert_eq!(user, "AWS");

        let registry = format!("127.0.0.1:{}", free_port());
        let htpasswd = dir.join("htpasswd");
        std::fs::write(&htpasswd, run(Command::new("htpasswd").args(["-Bbn", "AWS", ecr_password]))).unwrap();
        let storage = dir.join("storage");
        std::fs::create_dir_all(&storage).unwrap();
        let cfg = dir.join("registry.yml");
        std::fs::write(
            &cfg,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {registry}\nauth:\n  htpasswd:\n    realm: ecr\n    path: {}\n",
                storage.display(),
                htpasswd.display()
            ),
        )
        .unwrap();
        let reg_child = tied("docker-registry")
            .arg("serve")
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("registry.err")).unwrap())
            .spawn()
            .unwrap();
        wait_for(&registry, "docker-registry");
        let digest_file = dir.join("digest");
        run(Command::new("skopeo")
            .args(["copy", "-q", "--dest-tls-verify=false"])
            .arg("--dest-creds")
            .arg(format!("AWS:{ecr_password}"))
            .arg("--digestfile")
            .arg(&digest_file)
            .arg(format!("oci-archive:{}", image("dive-test-oci-gzip-image.tar").display()))
            .arg(format!("docker://{registry}/app:v1")));
        let digest = std::fs::read_to_string(&digest_file).unwrap().trim().to_string();
        Some(Env {
            dir,
            moto,
            registry,
            digest,
            ecr_password: ecr_password.to_string(),
            _children: vec![moto_child, reg_child],
        })
    })
    .as_ref()
}

fn gate(e: &Env, args: &[&str]) -> (i32, Value, String) {
    let home = e.dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .arg("check")
        .args(args)
        .args(["--format", "json", "--plain-http", "--region", REGION])
        .env("HOME", &home)
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("DOCKER_CONFIG")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_ECR")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// The image figures must be those of the archive the registry was filled from.
fn assert_same_image(r: &Value) {
    let (_, archive) = support::gate_json(&[
        "check",
        image("dive-test-oci-gzip-image.tar").to_str().unwrap(),
    ]);
    for f in [
        "size_bytes",
        "compressed_bytes",
        "final_bytes",
        "wasted_bytes",
        "file_count",
        "config_digest",
        "layers",
        "platform",
    ] {
        assert_eq!(r["image"][f], archive["image"][f], "image.{f}");
    }
}

fn moto_json(e: &Env, method: &str, path: &str, body: Value) -> Value {
    let c = reqwest::blocking::Client::new();
    let url = format!("http://{}{path}", e.moto);
    let auth = format!("AWS4-HMAC-SHA256 Credential={KEY_ID}/20260101/{REGION}/lambda/aws4_request, SignedHeaders=host, Signature=00");
    let r = match method {
        "POST" => c
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string()),
        _ => c.get(url),
    }
    .header("authorization", auth)
    .send()
    .unwrap();
    let status = r.status();
    let v: Value = serde_json::from_slice(&r.bytes().unwrap()).unwrap_or(Value::Null);
    assert!(status.is_success(), "{method} {path}: {status} {v}");
    v
}

#[test]
fn the_deployed_image_is_read_by_digest_through_moto() {
    let Some(e) = env() else { return };
    // IAM role, function pinned to the pushed digest, version 1 and alias `live`.
    let form = [
        ("Action", "CreateRole"),
        ("Version", "2010-05-08"),
        ("RoleName", "gate-fn"),
        ("AssumeRolePolicyDocument", "{}"),
    ];
    let iam = reqwest::blocking::Client::new()
        .post(format!("http://{}/", e.moto))
        .header("authorization", format!("AWS4-HMAC-SHA256 Credential={KEY_ID}/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00"))
        .form(&form)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let role = iam
        .split("<Arn>")
        .nth(1)
        .and_then(|s| s.split("</Arn>").next())
        .unwrap_or_else(|| panic!("{iam}"))
        .to_string();
    let uri = format!("{}/app@{}", e.registry, e.digest);
    moto_json(
        e,
        "POST",
        "/2015-03-31/functions",
        json!({"FunctionName": "gate-fn", "Role": role, "PackageType": "Image", "Code": {"ImageUri": uri}}),
    );
    let v = moto_json(
        e,
        "POST",
        "/2015-03-31/functions/gate-fn/versions",
        json!({}),
    );
    let version = v["Version"].as_str().unwrap().to_string();
    moto_json(
        e,
        "POST",
        "/2015-03-31/functions/gate-fn/aliases",
        json!({"Name": "live", "FunctionVersion": version}),
    );
    let endpoint = format!("http://{}", e.moto);
    let (code, r, err) = gate(
        e,
        &[
            "--function",
            "gate-fn:live",
            "--lambda-endpoint",
            &endpoint,
            "--ecr-endpoint",
            &endpoint,
        ],
    );
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    let d = &r["deployed"];
    assert_eq!(d["function"], "gate-fn");
    assert_eq!(d["qualifier"], "live");
    assert_eq!(d["digest"], e.digest.as_str());
    assert_eq!(d["image_uri"], uri.as_str());
    assert_eq!(r["image"]["source"], format!("docker://{}", uri).as_str());
    assert!(
        r["notes"]
            .to_string()
            .contains("the deployed image of gate-fn:live"),
        "{}",
        r["notes"]
    );
    assert_same_image(&r);

    let (code, _, err) = gate(
        e,
        &["--function", "no-such-fn", "--lambda-endpoint", &endpoint],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("GetFunction answered HTTP 404"), "{err}");
}

/// A fake of Lambda, ECR, CloudWatch Logs and STS on loopback: every signed request is checked
/// (and recorded in `seen`); STS hands out KEY_ID/SECRET with session token `web-session`
/// for the right token and role. Returns its address.
fn fake_aws(e: &Env, seen: &Arc<Mutex<Vec<Signed>>>) -> String {
    let seen = Arc::clone(seen);
    let registry = e.registry.clone();
    let digest = e.digest.clone();
    let password = e.ecr_password.clone();
    let fake = Fake::start(move |r: &Request| {
        let req = Req::from(r);
        if let Some((status, xml)) = sts(&req) {
            seen.lock()
                .unwrap()
                .push(("STS AssumeRoleWithWebIdentity".into(), Ok(())));
            return Reply::status(status)
                .header("Content-Type", "text/xml")
                .header("Connection", "close")
                .body(xml);
        }
        let target = req.headers.get("x-amz-target").cloned().unwrap_or_default();
        let service = if target.contains("ContainerRegistry") {
            "ecr"
        } else if target.starts_with("Logs_") {
            "logs"
        } else {
            "lambda"
        };
        let verdict = verify_sigv4(&req, service);
        let token = req
            .headers
            .get("x-amz-security-token")
            .map(|t| format!(" [session {t}]"))
            .unwrap_or_default();
        seen.lock().unwrap().push((
            format!("{} {} {target}{token}", req.method, req.path),
            verdict.clone(),
        ));
        let (status, body) = match (verdict, service) {
            (Err(why), _) => (403, json!({"message": why})),
            (Ok(()), "logs") => (200, json!({"logGroups": []})),
            (Ok(()), "ecr") => (
                200,
                json!({"authorizationData": [{
                "authorizationToken": base64::engine::general_purpose::STANDARD.encode(format!("AWS:{password}")),
                "proxyEndpoint": format!("https://{registry}")}]}),
            ),
            (Ok(()), _) => (
                200,
                json!({
                "Configuration": {"FunctionName": "app", "FunctionArn": format!("arn:aws:lambda:{REGION}:123456789012:function:app:7"),
                    "Version": "7", "PackageType": "Image", "MemorySize": 512, "Timeout": 10, "CodeSha256": digest.trim_start_matches("sha256:")},
                "Code": {"RepositoryType": "ECR", "ImageUri": format!("{registry}/app:v1"),
                    "ResolvedImageUri": format!("{registry}/app@{digest}")}}),
            ),
        };
        Reply::status(status)
            .header("Connection", "close")
            .json(&body)
    });
    fake.addr.to_string()
}

const WEB_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.gate-test-token.sig";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/gate-deploy";

/// STS `AssumeRoleWithWebIdentity` (a form POST, unsigned): (status, XML body), or None when
/// the request is not one.
fn sts(req: &Req) -> Option<(u16, String)> {
    let form: HashMap<String, String> = String::from_utf8_lossy(&req.body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (form_decode(k), form_decode(v)))
        .collect();
    if form.get("Action").map(String::as_str) != Some("AssumeRoleWithWebIdentity") {
        return None;
    }
    if req.headers.contains_key("authorization") {
        return Some((400, "<ErrorResponse><Error><Code>InvalidRequest</Code><Message>AssumeRoleWithWebIdentity is not signed</Message></Error></ErrorResponse>".into()));
    }
    if form.get("WebIdentityToken").map(String::as_str) != Some(WEB_TOKEN)
        || form.get("RoleArn").map(String::as_str) != Some(ROLE_ARN)
    {
        return Some((400, "<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>Couldn&apos;t retrieve verification key from your identity provider</Message></Error></ErrorResponse>".into()));
    }
    Some((200, format!("<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>{KEY_ID}</AccessKeyId><SecretAccessKey>{SECRET}</SecretAccessKey><SessionToken>web-session</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>")))
}

/// application/x-www-form-urlencoded: `+` is a space, `%XX` a byte.
fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn credentials_from_a_web_identity_token_through_sts() {
    let Some(e) = env() else { return };
    let seen: Arc<Mutex<Vec<Signed>>> = Arc::default();
    let fake = fake_aws(e, &seen);
    let endpoint = format!("http://{fake}");
    let token_file = e.dir.join("web-identity-token");
    std::fs::write(&token_file, format!("{WEB_TOKEN}\n")).unwrap();
    let home = e.dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let run_with = |token: &Path| {
        Command::new(env!("CARGO_BIN_EXE_gate"))
            .args([
                "check",
                "--function",
                "app:7",
                "--format",
                "json",
                "--plain-http",
                "--region",
                REGION,
            ])
            .args(["--lambda-endpoint", &endpoint, "--ecr-endpoint", &endpoint])
            .env("HOME", &home)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_ENDPOINT_URL_ECR")
            .env_remove("REGISTRY_AUTH_FILE")
            .env_remove("DOCKER_CONFIG")
            .env_remove("XDG_RUNTIME_DIR")
            .env("AWS_WEB_IDENTITY_TOKEN_FILE", token)
            .env("AWS_ROLE_ARN", ROLE_ARN)
            .env("AWS_ENDPOINT_URL_STS", &endpoint)
            .output()
            .unwrap()
    };
    let out = run_with(&token_file);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{err}");
    let seen_now = seen.lock().unwrap().clone();
    assert_eq!(
        seen_now[0].0, "STS AssumeRoleWithWebIdentity",
        "{seen_now:?}"
    );
    assert_eq!(
        seen_now.iter().filter(|s| s.0.starts_with("STS")).count(),
        1,
        "one exchange per run, shared by every call: {seen_now:?}"
    );
    for (what, verdict) in &seen_now[1..] {
        assert_eq!(verdict, &Ok(()), "{what}");
        assert!(
            what.ends_with("[session web-session]"),
            "signed with STS's temporary credentials, session token included: {what}"
        );
    }
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["deployed"]["digest"], e.digest.as_str());
    assert_same_image(&r);

    // A token STS refuses: exit 2, STS's own reason, no fallback to another identity.
    let bad = e.dir.join("web-identity-token-bad");
    std::fs::write(&bad, "not-the-token").unwrap();
    let out = run_with(&bad);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("AssumeRoleWithWebIdentity") && err.contains("InvalidIdentityToken"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

// ---- a fake of Lambda and ECR that checks SigV4 -----------------------------------------

fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut k = if key.len() > 64 {
        Sha256::digest(key).to_vec()
    } else {
        key.to_vec()
    };
    k.resize(64, 0);
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::digest([&ipad[..], msg].concat());
    Sha256::digest([&opad[..], &inner[..]].concat()).to_vec()
}

struct Req {
    method: String,
    path: String,
    query: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl From<&Request> for Req {
    fn from(r: &Request) -> Req {
        let (path, query) = r.path().split_once('?').unwrap_or((r.path(), ""));
        Req {
            method: r.method().to_string(),
            path: path.to_string(),
            query: query.to_string(),
            headers: r.headers.iter().cloned().collect(),
            body: r.body.clone(),
        }
    }
}

/// Recomputes the request's SigV4 signature (AWS's published algorithm) and says what is
/// wrong, if anything.
fn verify_sigv4(req: &Req, service: &str) -> Result<(), String> {
    let auth = req
        .headers
        .get("authorization")
        .ok_or("no Authorization header")?;
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or("not AWS4-HMAC-SHA256")?;
    let mut parts = HashMap::new();
    for p in rest.split(", ") {
        let (k, v) = p.split_once('=').ok_or("malformed Authorization")?;
        parts.insert(k, v);
    }
    let cred = parts.get("Credential").ok_or("no Credential")?;
    let scope: Vec<&str> = cred.split('/').collect();
    if scope.len() != 5
        || scope[0] != KEY_ID
        || scope[2] != REGION
        || scope[3] != service
        || scope[4] != "aws4_request"
    {
        return Err(format!(
            "credential scope {cred:?} is not {KEY_ID}/<date>/{REGION}/{service}/aws4_request"
        ));
    }
    let amz_date = req.headers.get("x-amz-date").ok_or("no X-Amz-Date")?;
    if !amz_date.starts_with(scope[1]) {
        return Err("the scope date is not X-Amz-Date's".into());
    }
    let signed = parts.get("SignedHeaders").ok_or("no SignedHeaders")?;
    if !signed.split(';').any(|h| h == "host") || !signed.split(';').any(|h| h == "x-amz-date") {
        return Err(format!("SignedHeaders {signed:?} lacks host or x-amz-date"));
    }
    let mut q: Vec<&str> = req.query.split('&').filter(|s| !s.is_empty()).collect();
    q.sort();
    let canonical_headers: String = signed
        .split(';')
        .map(|h| {
            format!(
                "{h}:{}\n",
                req.headers.get(h).map(|v| v.trim()).unwrap_or("")
            )
        })
        .collect();
    let canonical = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed}\n{}",
        req.method,
        req.path,
        q.join("&"),
        hex::encode(Sha256::digest(&req.body))
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{}/{REGION}/{service}/aws4_request\n{}",
        scope[1],
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let k = hmac(format!("AWS4{SECRET}").as_bytes(), scope[1].as_bytes());
    let k = hmac(&k, REGION.as_bytes());
    let k = hmac(&k, service.as_bytes());
    let k = hmac(&k, b"aws4_request");
    let want = hex::encode(hmac(&k, to_sign.as_bytes()));
    if parts.get("Signature") != Some(&want.as_str()) {
        return Err("SignatureDoesNotMatch".into());
    }
    Ok(())
}

/// A request the fake received, and what its signature check said.
type Signed = (String, Result<(), String>);

#[test]
fn getfunction_and_the_ecr_token_are_signed_correctly() {
    let Some(e) = env() else { return };
    let seen: Arc<Mutex<Vec<Signed>>> = Arc::default();
    let fake = fake_aws(e, &seen);
    let endpoint = format!("http://{fake}");
    let (code, r, err) = gate(
        e,
        &[
            "--function",
            "app:7",
            "--lambda-endpoint",
            &endpoint,
            "--ecr-endpoint",
            &endpoint,
        ],
    );
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    let seen = seen.lock().unwrap().clone();
    // GetFunction and the ECR token to read the image; then the configuration checks' own
    // calls (concurrency, event invoke config, provisioned concurrency, logs): the one
    // GetFunction answer serves both the image and the configuration.
    assert_eq!(seen.len(), 6, "{seen:?}");
    assert_eq!(
        seen.iter()
            .filter(|s| s.0.starts_with("GET /2015-03-31/functions/app"))
            .count(),
        1,
        "GetFunction once per run: {seen:?}"
    );
    assert!(
        seen[0].0.starts_with("GET /2015-03-31/functions/app"),
        "{seen:?}"
    );
    assert!(seen[1].0.contains("GetAuthorizationToken"), "{seen:?}");
    for (what, verdict) in &seen {
        assert_eq!(verdict, &Ok(()), "{what}");
    }
    assert_eq!(r["deployed"]["version"], "7");
    assert_eq!(r["deployed"]["digest"], e.digest.as_str());
    assert_eq!(
        r["deployed"]["image_uri"],
        format!("{}/app:v1", e.registry).as_str()
    );
    assert_same_image(&r);

    // A wrong secret is refused by the fake, and the gate says so in one line.
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .args([
            "check",
            "--function",
            "app",
            "--region",
            REGION,
            "--lambda-endpoint",
            &endpoint,
        ])
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", "wrong")
        .env("HOME", e.dir.join("home"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("HTTP 403") && err.contains("SignatureDoesNotMatch"),
        "{err}"
    );
    let _ = Path::new("");
}
