//! HTTP to one repository of one registry: authentication (anonymous, Basic, the Bearer token
//! flow from `WWW-Authenticate`), redirects followed by hand so a blob redirected to object
//! storage never carries our Authorization header and every hop passes `trust`'s rules,
//! timeouts, and retries with backoff for the GETs (429, 5xx, `Retry-After`, connection
//! failures; the schedule is `crate::retry`'s, shared with the GitHub comment). Only the registry's own origin is authenticated to: a 401 from wherever it
//! redirected us is that host's refusal, never a challenge we answer.
//!
//! Chosen: reqwest's blocking client (already a dependency, rustls) rather than a registry
//! client crate. oci-client (the maintained one) fits our reqwest 0.12/sha2 0.10, but it is
//! async only, has no credential helpers, no retries or `Retry-After`, and streams blobs as
//! futures; the scan reads layers on threads through `Read`, which a blocking response is.

use std::collections::BTreeSet;
use std::io::Read;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use anyhow::{anyhow, bail, Result};
use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, AUTHORIZATION, LOCATION, WWW_AUTHENTICATE};
use reqwest::StatusCode;

use super::auth::{self, Credentials};
use super::trust::{self, Reach};
use crate::retry::{self, Backoff};

/// Attempts for one GET (the first plus retries).
pub const ATTEMPTS: u32 = 4;
/// The longest pause between two tries, however many came before.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Redirect hops followed for one request.
const MAX_REDIRECTS: usize = 5;
/// The longest a `Retry-After` is honoured; longer waits are a failure, not a pause.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct Options {
    /// `http://` instead of `https://` for a registry on loopback (a local test registry).
    pub plain_http: bool,
    /// Registries (`host[:port]`, or a host for any port) read over plain HTTP wherever they
    /// are; credentials still travel in clear only to loopback.
    pub insecure_registries: Vec<String>,
    pub connect_timeout: Duration,
    /// The longest the registry may stay silent (no header, no body byte).
    pub read_timeout: Duration,
    /// Explicit credentials (ECR's token); else the auth files.
    pub credentials: Option<Credentials>,
    /// First backoff between retries; doubles each time, up to 8 s.
    pub backoff: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            plain_http: false,
            insecure_registries: Vec::new(),
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(60),
            credentials: None,
            backoff: Duration::from_millis(500),
        }
    }
}

/// Written by hand so that a `{:?}` can never print the credentials.
impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("plain_http", &self.plain_http)
            .field("insecure_registries", &self.insecure_registries)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("credentials", &self.credentials)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// One repository's endpoint and the authorization that works for it.
pub struct Repo {
    http: Client,
    /// `https://host[:port]`
    base: String,
    /// `base` parsed: the one origin that is authenticated to.
    origin: reqwest::Url,
    /// The kinds of network the registry is on (resolved on the first redirect elsewhere).
    reach: OnceLock<BTreeSet<Reach>>,
    /// The registry as named in the image reference (for messages and credentials).
    pub registry: String,
    pub repository: String,
    creds: Option<Credentials>,
    /// The Authorization header that last worked (Basic, or a Bearer token).
    authz: Mutex<Option<String>>,
    schedule: Backoff,
    /// Connect and read timeouts, for the clients pinned to a checked address.
    timeouts: (Duration, Duration),
}

/// Written by hand: the Authorization header that worked (a Basic password, a Bearer
/// token) and the credentials must never reach a `{:?}`.
impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let authz = self.authz.lock().unwrap_or_else(|e| e.into_inner());
        let scheme = authz
            .as_deref()
            .map(|a| a.split(' ').next().unwrap_or_default().to_string());
        f.debug_struct("Repo")
            .field("base", &self.base)
            .field("registry", &self.registry)
            .field("repository", &self.repository)
            .field("creds", &self.creds)
            .field("authz", &scheme.map(|s| format!("{s} <redacted>")))
            .finish_non_exhaustive()
    }
}

impl Repo {
    pub fn new(
        registry: &str,
        api_host: &str,
        repository: &str,
        opts: &Options,
    ) -> Result<Arc<Repo>> {
        let creds = match &opts.credentials {
            Some(c) => Some(c.clone()),
            None => auth::lookup(registry)?,
        };
        // The system's roots beside the bundled ones come from reqwest's
        // `rustls-tls-native-roots` (rustls-native-certs reads SSL_CERT_FILE / SSL_CERT_DIR,
        // which is how a private CA is trusted); loading them here too doubled the ~10 ms
        // the client takes to build.
        let timeouts = (opts.connect_timeout, opts.read_timeout);
        let http = client_builder(timeouts)
            .build()
            .map_err(|e| anyhow!("cannot set up the HTTP client: {e}"))?;
        let scheme = trust::scheme_for(registry, opts.plain_http, &opts.insecure_registries)
            .map_err(|e| anyhow!(e))?;
        let base = format!("{scheme}://{api_host}");
        let origin = reqwest::Url::parse(&base)
            .map_err(|e| anyhow!("{registry}: not a registry host: {e}"))?;
        Ok(Arc::new(Repo {
            http,
            base,
            origin,
            reach: OnceLock::new(),
            registry: registry.to_string(),
            repository: repository.to_string(),
            creds,
            authz: Mutex::new(None),
            schedule: Backoff {
                attempts: ATTEMPTS,
                first: opts.backoff,
                cap: MAX_BACKOFF,
            },
            timeouts,
        }))
    }

    pub fn url(&self, kind: &str, reference: &str) -> String {
        format!("{}/v2/{}/{kind}/{reference}", self.base, self.repository)
    }

    /// GETs `url`, authenticating as the registry asks, retrying what may be retried. Returns
    /// the successful response with its body not yet read; any other status is an error.
    pub fn get(&self, url: &str, accept: Option<&str>, what: &str) -> Result<Response> {
        self.get_from(url, accept, what, None)
    }

    /// `get`, asking for the bytes from `offset` on (`Range: bytes=offset-`) when given: how
    /// a blob download that broke off resumes instead of starting over.
    pub fn get_from(
        &self,
        url: &str,
        accept: Option<&str>,
        what: &str,
        offset: Option<u64>,
    ) -> Result<Response> {
        let mut attempt = 0;
        let mut authenticated_once = false;
        loop {
            attempt += 1;
            let authz = self.authz.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let sent = self.send_following(url, accept, authz.as_deref(), offset);
            let resp = match sent {
                Ok(r) => r,
                Err(Sent::Http(e)) if self.schedule.another(attempt) && retryable_error(&e) => {
                    std::thread::sleep(self.backoff_for(attempt, None));
                    continue;
                }
                Err(Sent::Http(e)) => bail!("{what}: {}", describe_error(&e, &self.base)),
                Err(Sent::Refused(why)) => bail!("{what}: {}: {why}", self.registry),
            };
            let status = resp.status();
            if status.is_success() {
                return Ok(resp);
            }
            // A challenge is answered only from the registry's own origin: storage it
            // redirected to may name any realm, and would be sent the user's credentials.
            let from_registry = origin_of(resp.url()) == origin_of(&self.origin);
            if status == StatusCode::UNAUTHORIZED && !authenticated_once && from_registry {
                authenticated_once = true;
                let header = self.authorize(resp.headers(), what)?;
                *self.authz.lock().unwrap_or_else(|e| e.into_inner()) = Some(header);
                attempt -= 1;
                continue;
            }
            if retry::transient(status) && self.schedule.another(attempt) {
                let wait = retry::retry_after(resp.headers(), SystemTime::now());
                if wait.is_some_and(|w| w > MAX_RETRY_AFTER) {
                    bail!(
                        "{what}: {} asks to retry after {}s (HTTP {}); giving up",
                        host_shown(resp.url()),
                        wait.unwrap_or_default().as_secs(),
                        status.as_u16()
                    );
                }
                drop(resp);
                std::thread::sleep(self.backoff_for(attempt, wait));
                continue;
            }
            return Err(self.status_error(resp, what, authz.is_some()));
        }
    }

    /// The pause before retry number `attempt` (1, 2, …).
    pub fn backoff_for(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        retry_after.unwrap_or_else(|| self.schedule.after(attempt))
    }

    /// Sends one GET and follows redirects; the Authorization header goes only to the
    /// registry's own host and port, never to wherever a redirect points, and every hop to
    /// another origin must pass `trust::hop_allowed` before anything is sent to it.
    fn send_following(
        &self,
        url: &str,
        accept: Option<&str>,
        authz: Option<&str>,
        offset: Option<u64>,
    ) -> Result<Response, Sent> {
        let registry = origin_of(&self.origin);
        let mut url = reqwest::Url::parse(url).map_err(|e| Sent::Refused(format!("{url}: {e}")))?;
        let mut client = self.http.clone();
        for _ in 0..=MAX_REDIRECTS {
            let mut req = client.get(url.clone());
            if let Some(a) = accept {
                req = req.header(reqwest::header::ACCEPT, a);
            }
            if let Some(o) = offset {
                req = req.header(reqwest::header::RANGE, format!("bytes={o}-"));
            }
            if let (Some(a), true) = (authz, origin_of(&url) == registry) {
                req = req.header(AUTHORIZATION, a);
            }
            let resp = req.send().map_err(Sent::Http)?;
            if !resp.status().is_redirection() {
                return Ok(resp);
            }
            let Some(next) = resp
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| resp.url().join(l).ok())
            else {
                return Ok(resp);
            };
            client = if origin_of(&next) == registry {
                self.http.clone()
            } else {
                let addrs = trust::addrs_of(&next);
                trust::hop_allowed(&url, &next, &addrs, self.reach())
                    .map_err(|e| Sent::Refused(format!("a redirect {e}: not followed")))?;
                self.pinned(&next, &addrs).map_err(Sent::Refused)?
            };
            url = next;
        }
        Err(Sent::Refused(format!(
            "more than {MAX_REDIRECTS} redirects (the last to {})",
            host_shown(&url)
        )))
    }

    /// The credentials, where they may be used at all: over TLS, or in clear to this machine.
    /// A registry named with `--insecure-registry` elsewhere is read anonymously (a token
    /// fetched with the credentials would travel in clear too).
    fn usable_creds(&self) -> Option<&Credentials> {
        self.creds
            .as_ref()
            .filter(|_| trust::may_carry_credentials(&self.origin))
    }

    /// A client that connects `url`'s host only to `addrs`, the addresses `trust` checked: a
    /// name that answers differently the second time (DNS rebinding) cannot move the request
    /// after the check. An address literal needs no pin.
    fn pinned(&self, url: &reqwest::Url, addrs: &[std::net::IpAddr]) -> Result<Client, String> {
        let host = url.host_str().unwrap_or_default();
        if host.starts_with('[') || host.parse::<std::net::IpAddr>().is_ok() {
            return Ok(self.http.clone());
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let to: Vec<std::net::SocketAddr> = addrs
            .iter()
            .map(|ip| std::net::SocketAddr::new(*ip, port))
            .collect();
        client_builder(self.timeouts)
            .resolve_to_addrs(host, &to)
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))
    }

    /// The kinds of network the registry is on, looked up once.
    fn reach(&self) -> &BTreeSet<Reach> {
        self.reach.get_or_init(|| {
            let host = self.origin.host_str().unwrap_or_default();
            trust::reach_of_host(host, self.origin.port_or_known_default().unwrap_or(443))
        })
    }

    /// Answers a 401: Basic with the credentials, or the Bearer token flow.
    fn authorize(&self, headers: &HeaderMap, what: &str) -> Result<String> {
        let challenge = headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(auth::parse_challenge)
            .max_by_key(|c| c.scheme == "bearer");
        let no_creds = || {
            anyhow!(
                "{what}: {} requires authentication and no credentials were found for it (docker login / podman login, or REGISTRY_AUTH_FILE)",
                self.registry
            )
        };
        match challenge {
            Some(c) if c.scheme == "bearer" => self.bearer(&c, what),
            Some(c) if c.scheme == "basic" => {
                let creds = self.creds.as_ref().ok_or_else(no_creds)?;
                if !trust::may_carry_credentials(&self.origin) {
                    bail!(
                        "{what}: {} asks for Basic credentials over plain HTTP; the credentials from {} are not sent in clear to a host that is not this machine",
                        self.registry,
                        creds.source
                    );
                }
                Ok(creds.basic_header())
            }
            Some(c) => bail!(
                "{what}: {} asks for {:?} authentication, which is not supported",
                self.registry,
                c.scheme
            ),
            None => bail!(
                "{what}: {} answered 401 without a WWW-Authenticate challenge",
                self.registry
            ),
        }
    }

    /// The token flow (distribution's token spec): GET realm?service=…&scope=… with Basic
    /// credentials when we have them (anonymous otherwise), or POST the OAuth2 refresh-token
    /// grant for an identity token.
    fn bearer(&self, c: &auth::Challenge, what: &str) -> Result<String> {
        let realm = c
            .params
            .get("realm")
            .ok_or_else(|| anyhow!("{what}: {}'s Bearer challenge has no realm", self.registry))?;
        let realm_url = reqwest::Url::parse(realm)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                anyhow!(
                    "{what}: {}'s token realm {realm:?} is not an http(s) URL",
                    self.registry
                )
            })?;
        // The realm is where the registry sends us, like a redirect: the same rules for
        // where it may point, and the credentials never in clear.
        let http = if origin_of(&realm_url) == origin_of(&self.origin) {
            self.http.clone()
        } else {
            let addrs = trust::addrs_of(&realm_url);
            trust::hop_allowed(&self.origin, &realm_url, &addrs, self.reach()).map_err(|e| {
                anyhow!(
                    "{what}: {}'s token realm {e}: nothing sent there",
                    self.registry
                )
            })?;
            self.pinned(&realm_url, &addrs)
                .map_err(|e| anyhow!("{what}: {e}"))?
        };
        if let Some(cr) = self.usable_creds() {
            trust::realm_may_carry_credentials(&self.origin, &realm_url).map_err(|e| {
                anyhow!(
                    "{what}: {}: {e} (the credentials from {})",
                    self.registry,
                    cr.source
                )
            })?;
        }
        let scope = c
            .params
            .get("scope")
            .cloned()
            .unwrap_or_else(|| format!("repository:{}:pull", self.repository));
        let service = c.params.get("service").cloned().unwrap_or_default();
        let mut last: Option<String> = None;
        for attempt in 1..=self.schedule.attempts {
            let req = match self.usable_creds() {
                Some(cr) if cr.is_identity_token() => http.post(realm_url.clone()).form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", cr.secret.as_str()),
                    ("service", service.as_str()),
                    ("scope", scope.as_str()),
                    ("client_id", "lambda-gate"),
                ]),
                other => {
                    let mut u = realm_url.clone();
                    {
                        let mut q = u.query_pairs_mut();
                        if !service.is_empty() {
                            q.append_pair("service", &service);
                        }
                        q.append_pair("scope", &scope);
                    }
                    let mut r = http.get(u);
                    if let Some(cr) = other {
                        r = r.header(AUTHORIZATION, cr.basic_header());
                    }
                    r
                }
            };
            let resp = match req.send() {
                Ok(r) => r,
                Err(e) if self.schedule.another(attempt) && retryable_error(&e) => {
                    std::thread::sleep(self.schedule.after(attempt));
                    continue;
                }
                Err(e) => bail!("{what}: token from {realm}: {}", describe_error(&e, realm)),
            };
            let status = resp.status();
            if retry::transient(status) && self.schedule.another(attempt) {
                let wait = self.backoff_for(
                    attempt,
                    retry::retry_after(resp.headers(), SystemTime::now()),
                );
                std::thread::sleep(wait.min(MAX_RETRY_AFTER));
                last = Some(format!("HTTP {}", status.as_u16()));
                continue;
            }
            if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                let who = self
                    .usable_creds()
                    .map(|c| format!("the credentials from {}", c.source))
                    .unwrap_or_else(|| "anonymous access".into());
                bail!(
                    "{what}: the token service {realm} refused {who} (HTTP {}): wrong user or password?",
                    status.as_u16()
                );
            }
            if !status.is_success() {
                bail!(
                    "{what}: the token service {realm} answered HTTP {}",
                    status.as_u16()
                );
            }
            #[derive(serde::Deserialize)]
            struct Token {
                #[serde(default)]
                token: Option<String>,
                #[serde(default)]
                access_token: Option<String>,
            }
            let body = read_limited(resp, 1 << 20, "token response")?;
            let t: Token = serde_json::from_slice(&body).map_err(|e| {
                anyhow!("{what}: the token service {realm} sent no JSON token: {e}")
            })?;
            let tok = t
                .token
                .or(t.access_token)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| anyhow!("{what}: the token service {realm} sent an empty token"))?;
            return Ok(format!("Bearer {tok}"));
        }
        bail!(
            "{what}: the token service {realm} kept failing ({})",
            last.unwrap_or_default()
        )
    }

    fn status_error(&self, resp: Response, what: &str, had_auth: bool) -> anyhow::Error {
        let status = resp.status();
        if origin_of(resp.url()) != origin_of(&self.origin) {
            // Storage the registry redirected to: name it, not the registry, and say that
            // nothing of ours was sent there.
            let host = host_shown(resp.url());
            let code = status.as_u16();
            let why = match status {
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    " (no credentials are sent to a host the registry redirects to)"
                }
                _ => "",
            };
            return anyhow!(
                "{what}: {host}, where {} redirected the download, answered HTTP {code}{why}",
                self.registry
            );
        }
        let body = read_limited(resp, 4096, "error body").unwrap_or_default();
        let detail = registry_error(&body);
        let code = status.as_u16();
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN if had_auth => {
                let who = self
                    .usable_creds()
                    .map(|c| format!("the credentials from {}", c.source))
                    .unwrap_or_else(|| "anonymous access".into());
                anyhow!("{what}: {} refused {who} (HTTP {code}{detail}): wrong user or password, or no pull access to {}", self.registry, self.repository)
            }
            StatusCode::NOT_FOUND => {
                anyhow!(
                    "{what}: not found in {}/{} (HTTP 404{detail})",
                    self.registry,
                    self.repository
                )
            }
            _ => anyhow!("{what}: {} answered HTTP {code}{detail}", self.registry),
        }
    }
}

/// Every client of the registry: redirects are followed by hand (`send_following`), never by
/// reqwest, so that each hop is checked.
fn client_builder((connect, read): (Duration, Duration)) -> reqwest::blocking::ClientBuilder {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect)
        .timeout(read)
        .user_agent(concat!("lambda-gate/", env!("CARGO_PKG_VERSION")))
}

/// Why a GET got no answer: the connection, or a hop `trust` refused.
enum Sent {
    Http(reqwest::Error),
    Refused(String),
}

/// `host[:port]` of a URL, for messages.
fn host_shown(u: &reqwest::Url) -> String {
    match u.port() {
        Some(p) => format!("{}:{p}", u.host_str().unwrap_or_default()),
        None => u.host_str().unwrap_or_default().to_string(),
    }
}

/// scheme, host and port: a redirect to anything else is another origin.
fn origin_of(u: &reqwest::Url) -> (String, String, Option<u16>) {
    (
        u.scheme().to_string(),
        u.host_str().unwrap_or_default().to_string(),
        u.port_or_known_default(),
    )
}

/// `…: code MANIFEST_UNKNOWN: manifest unknown` from the distribution error body.
fn registry_error(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<E>,
    }
    #[derive(serde::Deserialize)]
    struct E {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    match serde_json::from_slice::<Errors>(body) {
        Ok(e) if !e.errors.is_empty() => {
            let parts: Vec<String> = e
                .errors
                .iter()
                .map(|e| format!("{} {}", e.code, e.message).trim().to_string())
                .collect();
            format!(": {}", parts.join("; "))
        }
        _ => String::new(),
    }
}

/// Connection failures and timeouts may pass; a certificate the CA store refuses will not.
fn retryable_error(e: &reqwest::Error) -> bool {
    let mut chain = String::new();
    let mut src: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = src {
        chain.push_str(&s.to_string().to_ascii_lowercase());
        src = s.source();
    }
    (e.is_connect() || e.is_timeout() || e.is_request())
        && !chain.contains("certificate")
        && !speaks_plain_http(&chain)
}

/// rustls's words for a TLS handshake answered in plain HTTP.
fn speaks_plain_http(chain: &str) -> bool {
    chain.contains("invalidcontenttype") || chain.contains("corrupt message")
}

fn describe_error(e: &reqwest::Error, base: &str) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    if speaks_plain_http(&msg.to_ascii_lowercase()) {
        format!(
            "{base} does not speak TLS ({msg}); for a local registry without TLS, add --plain-http"
        )
    } else if e.is_timeout() {
        format!("{base} did not answer in time ({msg})")
    } else if e.is_connect() {
        format!("cannot connect to {base} ({msg})")
    } else {
        msg
    }
}

/// Reads a small body whole, refusing more than `max` bytes.
pub fn read_limited(resp: Response, max: u64, what: &str) -> Result<Vec<u8>> {
    if let Some(len) = resp.content_length() {
        if len > max {
            bail!("the {what} is {len} bytes, more than the {max} allowed");
        }
    }
    let mut buf = Vec::new();
    resp.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| anyhow!("reading the {what}: {e}"))?;
    if buf.len() as u64 > max {
        bail!("the {what} is more than the {max} bytes allowed");
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_is_the_options_backoff_doubled_up_to_8_s() {
        // Credentials given: no auth file is read.
        let opts = Options {
            plain_http: true,
            credentials: Some(Credentials {
                username: "u".into(),
                secret: "p".into(),
                source: "a test".into(),
            }),
            ..Options::default()
        };
        let repo = Repo::new("127.0.0.1:5000", "127.0.0.1:5000", "app", &opts).unwrap();
        assert_eq!(repo.backoff_for(1, None), Duration::from_millis(500));
        assert_eq!(repo.backoff_for(3, None), Duration::from_secs(2));
        assert_eq!(repo.backoff_for(9, None), Duration::from_secs(8));
        // The registry's own wait, when it names one, takes the backoff's place.
        let asked = Some(Duration::from_secs(7));
        assert_eq!(repo.backoff_for(1, asked), Duration::from_secs(7));
    }

    #[test]
    fn no_debug_prints_the_credentials_or_the_authorization() {
        let creds = Credentials {
            username: "user".into(),
            secret: "S3CR3T-pw".into(),
            source: "a test".into(),
        };
        let opts = Options {
            plain_http: true,
            credentials: Some(creds.clone()),
            ..Options::default()
        };
        let repo = Repo::new("127.0.0.1:5000", "127.0.0.1:5000", "app", &opts).unwrap();
        *repo.authz.lock().unwrap() = Some(creds.basic_header());
        let basic = creds.basic_header();
        let b64 = basic.trim_start_matches("Basic ");
        let shown_basic = format!("{repo:?}");
        *repo.authz.lock().unwrap() = Some("Bearer S3CR3T-token".into());
        for shown in [format!("{opts:?}"), shown_basic, format!("{repo:?}")] {
            assert!(!shown.contains("S3CR3T") && !shown.contains(b64), "{shown}");
            assert!(shown.contains("a test"), "{shown}");
        }
        assert!(format!("{repo:?}").contains("Bearer <redacted>"));
    }

    #[test]
    fn registry_errors_are_summarized() {
        let b =
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#;
        assert_eq!(registry_error(b), ": MANIFEST_UNKNOWN manifest unknown");
    }
}
