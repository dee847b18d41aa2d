//! Registry credentials where people already keep them, and the challenges registries send.
//!
//! Lookup order is Podman's (containers-auth.json(5)): `REGISTRY_AUTH_FILE`, then
//! `$XDG_RUNTIME_DIR/containers/auth.json`, `~/.config/containers/auth.json`, then Docker's
//! `$DOCKER_CONFIG/config.json` (or `~/.docker/config.json`). In each file a `credHelpers`
//! entry for the host wins, then `auths`, then the file's `credsStore`; helpers are the
//! `docker-credential-<name> get` programs Docker runs (server URL on stdin, JSON out).
//! Hand-written: the `docker_credential` crate reads Docker's file only, not Podman's.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{anyhow, bail, Result};
use base64::Engine;
use serde::Deserialize;

#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    pub secret: String,
    /// Where they came from, for error messages (never the secret itself).
    pub source: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({} from {})", self.username, self.source)
    }
}

impl Credentials {
    pub fn basic_header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.secret);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }

    /// Docker stores an OAuth refresh token as username `<token>`.
    pub fn is_identity_token(&self) -> bool {
        self.username == "<token>"
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default)]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// The credential files to look in, in order (only those that exist are read).
pub fn files() -> Vec<PathBuf> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut out = Vec::new();
    if let Some(f) = env("REGISTRY_AUTH_FILE") {
        out.push(PathBuf::from(f));
    }
    if let Some(d) = env("XDG_RUNTIME_DIR") {
        out.push(PathBuf::from(d).join("containers/auth.json"));
    }
    let home = env("HOME").map(PathBuf::from);
    if let Some(h) = &home {
        out.push(h.join(".config/containers/auth.json"));
    }
    match env("DOCKER_CONFIG") {
        Some(d) => out.push(PathBuf::from(d).join("config.json")),
        None => {
            if let Some(h) = &home {
                out.push(h.join(".docker/config.json"));
            }
        }
    }
    out
}

/// Credentials for `registry` (as in the image name: `ghcr.io`, `127.0.0.1:5000`,
/// `docker.io`), or None for anonymous access. A file that exists but cannot be read or
/// parsed is an error naming it: silently pulling anonymously would hide the mistake.
pub fn lookup(registry: &str) -> Result<Option<Credentials>> {
    for path in files() {
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => bail!("{}: {}", path.display(), e),
        };
        let file: ConfigFile = serde_json::from_slice(&text)
            .map_err(|e| anyhow!("{}: not a valid auth file: {e}", path.display()))?;
        if let Some(c) = from_file(&file, registry, &path.display().to_string())? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

fn from_file(file: &ConfigFile, registry: &str, shown: &str) -> Result<Option<Credentials>> {
    if let Some(helper) = file
        .cred_helpers
        .iter()
        .find(|(k, _)| same_registry(k, registry))
        .map(|(_, v)| v)
    {
        return helper_get(helper, registry);
    }
    if let Some((key, entry)) = file.auths.iter().find(|(k, _)| same_registry(k, registry)) {
        let source = format!("{shown} (auths.{key})");
        if let Some(tok) = entry.identitytoken.as_ref().filter(|t| !t.is_empty()) {
            return Ok(Some(Credentials {
                username: "<token>".into(),
                secret: tok.clone(),
                source,
            }));
        }
        if let Some(auth) = entry.auth.as_ref().filter(|a| !a.is_empty()) {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| anyhow!("{source}: `auth` is not base64"))?;
            let raw =
                String::from_utf8(raw).map_err(|_| anyhow!("{source}: `auth` is not UTF-8"))?;
            let (u, p) = raw
                .split_once(':')
                .ok_or_else(|| anyhow!("{source}: `auth` is not base64 of user:password"))?;
            return Ok(Some(Credentials {
                username: u.into(),
                secret: p.into(),
                source,
            }));
        }
        if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
            return Ok(Some(Credentials {
                username: u.clone(),
                secret: p.clone(),
                source,
            }));
        }
    }
    if let Some(store) = file.creds_store.as_ref().filter(|s| !s.is_empty()) {
        return helper_get(store, registry);
    }
    Ok(None)
}

/// `https://index.docker.io/v1/`, `docker.io`, `registry-1.docker.io` are one registry; keys
/// may carry a scheme and a path (`https://ghcr.io/v2/`).
fn same_registry(key: &str, registry: &str) -> bool {
    fn norm(s: &str) -> &str {
        let s = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .unwrap_or(s);
        let host = s.split('/').next().unwrap_or(s);
        match host {
            "index.docker.io" | "registry-1.docker.io" | "docker.io" => "docker.io",
            h => h,
        }
    }
    norm(key) == norm(registry)
}

/// Runs `docker-credential-<helper> get`. "Not found" is no credentials, as Docker treats it.
fn helper_get(helper: &str, registry: &str) -> Result<Option<Credentials>> {
    if !helper
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        bail!("credential helper name {helper:?} is not valid");
    }
    let program = format!("docker-credential-{helper}");
    let server = if registry == "docker.io" {
        "https://index.docker.io/v1/"
    } else {
        registry
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow!("credential helper {program}: cannot run it: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| anyhow!("credential helper {program}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let msg = format!(
            "{}{}",
            text.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        if msg.to_ascii_lowercase().contains("credentials not found") {
            return Ok(None);
        }
        bail!("credential helper {program} failed for {registry}: {msg}");
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        username: String,
        secret: String,
    }
    let o: Out = serde_json::from_str(&text)
        .map_err(|e| anyhow!("credential helper {program}: unexpected output: {e}"))?;
    Ok(Some(Credentials {
        username: o.username,
        secret: o.secret,
        source: format!("credential helper {program}"),
    }))
}

/// One `WWW-Authenticate` challenge: its scheme and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: BTreeMap<String, String>,
}

/// Parses `Bearer realm="https://auth.example/token",service="reg",scope="repository:a:pull"`
/// (RFC 7235 auth-params, quoted strings with `\` escapes). Hand-written: the crates for this
/// header target old hyper versions.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = match header.find(' ') {
        Some(i) => (&header[..i], &header[i + 1..]),
        None => (header, ""),
    };
    if scheme.is_empty() {
        return None;
    }
    let mut params = BTreeMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ','))
            .collect::<String>()
            .trim()
            .to_ascii_lowercase();
        if key.is_empty() {
            break;
        }
        if chars.next() != Some('=') {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ','))
                .collect::<String>()
                .trim()
                .to_string();
        }
        params.insert(key, value);
    }
    Some(Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse_with_quotes_and_commas() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.params["realm"], "https://auth.docker.io/token");
        assert_eq!(c.params["service"], "registry.docker.io");
        assert_eq!(c.params["scope"], "repository:library/alpine:pull,push");
        let c = parse_challenge(r#"Basic realm="Registry Realm""#).unwrap();
        assert_eq!(c.scheme, "basic");
        assert_eq!(c.params["realm"], "Registry Realm");
    }

    #[test]
    fn no_debug_prints_a_password_or_token() {
        let file: ConfigFile = serde_json::from_str(
            r#"{"auths":{"a":{"auth":"dXNlcjpTM0NSM1Q="},"b":{"identitytoken":"S3CR3T-refresh"},"c":{"username":"u","password":"S3CR3T-pw"}}}"#,
        )
        .unwrap();
        for reg in ["a", "b", "c"] {
            let c = from_file(&file, reg, "f").unwrap().unwrap();
            assert!(c.secret.contains("S3CR3T"));
            let shown = format!("{c:?}");
            assert!(
                !shown.contains("S3CR3T") && shown.contains("from f"),
                "{shown}"
            );
        }
    }

    #[test]
    fn auth_entries_and_registry_keys() {
        assert!(same_registry("https://index.docker.io/v1/", "docker.io"));
        assert!(same_registry("https://ghcr.io/v2/", "ghcr.io"));
        assert!(!same_registry("ghcr.io", "127.0.0.1:5000"));
        let file: ConfigFile = serde_json::from_str(
            r#"{"auths":{"127.0.0.1:5000":{"auth":"dXNlcjpwYTpzcw=="},"ghcr.io":{"identitytoken":"tok"}}}"#,
        )
        .unwrap();
        let c = from_file(&file, "127.0.0.1:5000", "f").unwrap().unwrap();
        assert_eq!((c.username.as_str(), c.secret.as_str()), ("user", "pa:ss"));
        let c = from_file(&file, "ghcr.io", "f").unwrap().unwrap();
        assert!(c.is_identity_token());
        assert!(from_file(&file, "quay.io", "f").unwrap().is_none());
    }
}
