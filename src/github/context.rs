//! Which repository, pull request, API and token: from the standard GitHub Actions
//! environment, each overridable by a flag.

use anyhow::{anyhow, bail, Result};

use crate::source::registry::trust::is_loopback_host;

#[derive(Clone, Default)]
pub struct Overrides {
    pub repository: Option<String>,
    pub api_url: Option<String>,
    pub pr: Option<u64>,
    pub token: Option<String>,
}

/// Written by hand: the token is never printed.
impl std::fmt::Debug for Overrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overrides")
            .field("repository", &self.repository)
            .field("api_url", &self.api_url)
            .field("pr", &self.pr)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

#[derive(Clone, Debug)]
pub struct Context {
    pub owner: String,
    pub repo: String,
    pub api_url: String,
    /// None outside a pull request (push, schedule): nothing to comment on.
    pub pr: Option<u64>,
    pub token: Option<Secret>,
}

/// A token, which `{:?}` never prints: whatever holds one may derive `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(token: impl Into<String>) -> Secret {
        Secret(token.into())
    }
}

impl std::ops::Deref for Secret {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Context {
    pub fn resolve(o: &Overrides) -> Result<Context> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let repository = o
            .repository
            .clone()
            .or_else(|| env("GITHUB_REPOSITORY"))
            .ok_or_else(|| {
                anyhow!("no repository: set GITHUB_REPOSITORY or --github-repository owner/repo")
            })?;
        // Owner and repository names are made of these (GitHub's own rule); anything else
        // would change the path of the API call it is put in.
        let name_ok = |s: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        let (owner, repo) = repository
            .split_once('/')
            .filter(|(o, r)| name_ok(o) && name_ok(r))
            .ok_or_else(|| anyhow!("--github-repository {repository:?}: expected owner/repo"))?;
        let api_url = o
            .api_url
            .clone()
            .or_else(|| env("GITHUB_API_URL"))
            .unwrap_or_else(|| "https://api.github.com".into());
        check_api_url(&api_url)?;
        let pr =
            o.pr.or_else(|| env("GITHUB_EVENT_PATH").and_then(|p| pr_from_event(&p)));
        let token = match o.token.clone().or_else(|| env("GITHUB_TOKEN")) {
            Some(t) => Some(token(&t)?).filter(|t| !t.is_empty()).map(Secret),
            None => None,
        };
        Ok(Context {
            owner: owner.to_string(),
            repo: repo.to_string(),
            api_url,
            pr,
            token,
        })
    }
}

/// The API's URL: https, or plain HTTP only to this machine (a local fake or proxy), since
/// the token rides on every call.
pub fn check_api_url(api_url: &str) -> Result<()> {
    match reqwest::Url::parse(api_url) {
        Ok(u) if u.scheme() == "https" && u.has_host() => Ok(()),
        Ok(u) if u.scheme() == "http" && u.host_str().is_some_and(is_loopback_host) => Ok(()),
        Ok(u) if u.scheme() == "http" && u.has_host() => bail!(
            "--github-api-url {api_url:?} (or GITHUB_API_URL): plain HTTP would send the token in clear; use https (plain HTTP is allowed only to localhost)"
        ),
        _ => bail!(
            "--github-api-url {api_url:?}: expected an http(s) URL such as https://api.github.com"
        ),
    }
}

/// The token as it must be sent: surrounding whitespace trimmed (a secret file's trailing
/// newline is the common case), then nothing but printable ASCII — anything else cannot be an
/// HTTP header value and is no GitHub token. The error never repeats the value.
pub fn token(raw: &str) -> Result<String> {
    let t = raw.trim();
    if let Some(pos) = t.bytes().position(|b| !(b'!'..=b'~').contains(&b)) {
        bail!(
            "the GitHub token (--github-token or $GITHUB_TOKEN) is not valid: character {} of \
             {} is a space, a control character or not ASCII, so it cannot be sent as an HTTP \
             header (the value is not printed)",
            t[..pos].chars().count() + 1,
            t.chars().count()
        );
    }
    Ok(t.to_string())
}

/// Events whose runs check a pull request's files: their policy comes from the base commit.
pub const PULL_REQUEST_EVENTS: &[&str] = &["pull_request", "pull_request_target"];

/// An event payload is tens of kilobytes; past this it is not one.
const MAX_EVENT_BYTES: u64 = 32 << 20;

/// The base commit of the pull request this run checks (`pull_request.base.sha` of the event
/// payload), when the workflow runs on a pull request ($GITHUB_EVENT_NAME); `None` on any other
/// event or outside Actions. A pull-request event without a readable base is an error: the
/// gate must not fall back to the pull request's own policy without saying so.
pub fn pull_request_base() -> Result<Option<String>> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let Some(event) = env("GITHUB_EVENT_NAME") else {
        return Ok(None);
    };
    if !PULL_REQUEST_EVENTS.contains(&event.as_str()) {
        return Ok(None);
    }
    let path = env("GITHUB_EVENT_PATH").ok_or_else(|| {
        anyhow!("a {event} event without $GITHUB_EVENT_PATH: the pull request's base commit is unknown, so its policy cannot be read (give --policy-base REF, or --policy-from head)")
    })?;
    base_sha(std::path::Path::new(&path)).map(Some)
}

/// `pull_request.base.sha` of the payload at `path`, checked to be an object id.
pub fn base_sha(path: &std::path::Path) -> Result<String> {
    use std::io::Read;
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_EVENT_BYTES + 1).read_to_end(&mut text))
        .map_err(|e| anyhow!("{}: cannot read the event payload: {e}", path.display()))?;
    if text.len() as u64 > MAX_EVENT_BYTES {
        bail!(
            "{}: the event payload is over {} MiB",
            path.display(),
            MAX_EVENT_BYTES >> 20
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| anyhow!("{}: the event payload is not JSON: {e}", path.display()))?;
    let sha = v["pull_request"]["base"]["sha"]
        .as_str()
        .unwrap_or_default();
    let hex = sha.bytes().all(|b| b.is_ascii_hexdigit());
    if !(hex && matches!(sha.len(), 40 | 64)) {
        bail!(
            "{}: the event payload has no pull_request.base.sha commit id, so the base's policy cannot be read (give --policy-base REF, or --policy-from head)",
            path.display()
        );
    }
    Ok(sha.to_ascii_lowercase())
}

/// The pull request number of a `pull_request`/`pull_request_target` event, or of an
/// `issue_comment` on a pull request.
fn pr_from_event(path: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    if let Some(n) = v["pull_request"]["number"].as_u64() {
        return Some(n);
    }
    if v["issue"]["pull_request"].is_object() {
        return v["issue"]["number"].as_u64();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_url_is_https_or_local() {
        assert!(check_api_url("https://api.github.com").is_ok());
        assert!(check_api_url("https://ghe.example/api/v3").is_ok());
        assert!(check_api_url("http://127.0.0.1:8080").is_ok());
        assert!(check_api_url("http://localhost:8080/api/v3").is_ok());
        assert!(check_api_url("http://[::1]:8080").is_ok());
        for bad in [
            "http://api.github.com",
            "http://ghe.example/api/v3",
            "http://10.0.0.1",
            "http://localhost.evil.example",
        ] {
            let e = check_api_url(bad).unwrap_err().to_string();
            assert!(e.contains("in clear") && !e.contains('\n'), "{bad}: {e}");
        }
        assert!(check_api_url("ftp://x").is_err());
    }

    #[test]
    fn no_debug_prints_the_token() {
        let secret = "ghs_S3CR3T_TOKEN_VALUE";
        let o = Overrides {
            token: Some(secret.into()),
            api_url: Some("https://api.github.com".into()),
            ..Default::default()
        };
        let c = Context {
            owner: "o".into(),
            repo: "r".into(),
            api_url: "https://api.github.com".into(),
            pr: Some(1),
            token: Some(Secret::new(secret)),
        };
        let api = super::super::api::Api::new(
            "https://api.github.com",
            secret,
            super::super::api::Limits::default(),
        )
        .unwrap();
        for shown in [format!("{o:?}"), format!("{c:?}"), format!("{api:?}")] {
            assert!(!shown.contains("S3CR3T"), "{shown}");
        }
        assert!(format!("{o:?}").contains("api.github.com"));
    }

    #[test]
    fn a_token_is_trimmed_and_checked_without_being_repeated() {
        assert_eq!(token("ghs_abc\n").unwrap(), "ghs_abc");
        assert_eq!(token(" \tghs_abc\r\n").unwrap(), "ghs_abc");
        assert_eq!(token("  ").unwrap(), "");
        for bad in [
            "ghs_S3CR3T\nX",
            "ghs_S3CR3T X",
            "ghs_S3CR3T\u{7f}",
            "ghs_S3CR3T\u{e9}",
        ] {
            let e = token(bad).unwrap_err().to_string();
            assert!(!e.contains("S3CR3T") && e.contains("token"), "{e}");
        }
        assert!(token("ghs_ab\ncd")
            .unwrap_err()
            .to_string()
            .contains("character 7 of 9"));
    }
}
