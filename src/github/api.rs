//! The GitHub REST calls of the comment, each bounded in time, and GitHub's refusals told in
//! its own words (status and `message`).
//!
//! Over reqwest rather than octocrab: the comment needs four calls, and for them it needs what
//! octocrab hides — the answer's headers (`retry-after`, `x-ratelimit-*`) on a failure, a
//! retry policy that never repeats a create (octocrab's retry layer repeats any request on a
//! 5xx), PATCH for the update (its `update_comment` sent POST) and comment models that do not
//! reject an answer missing one of twenty author fields.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode, Url};

use super::retry;

/// Time bounds of the comment step.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Each call, from connecting to the last byte of the answer.
    pub request: Duration,
    /// The whole step: every call, retry and wait.
    pub total: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            request: Duration::from_secs(10),
            total: Duration::from_secs(60),
        }
    }
}

/// The largest answer read (a page of 100 comments of GitHub's maximum 65,536 characters is
/// under 27 MB).
const MAX_ANSWER: usize = 32 << 20;

pub struct Api {
    http: reqwest::Client,
    root: Url,
    auth: HeaderValue,
    limits: Limits,
    deadline: Instant,
}

/// Written by hand: the Authorization header is never printed.
impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("root", &self.root.as_str())
            .field("auth", &"<redacted>")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// A successful answer.
pub struct Reply {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// A call that did not succeed, said so a user can act on it.
#[derive(Debug)]
pub struct Failure {
    /// "POST /repos/o/r/issues/7/comments".
    pub call: String,
    pub kind: Kind,
    /// Why no further try was made, when that is not obvious.
    pub gave_up: Option<String>,
}

#[derive(Debug)]
pub enum Kind {
    /// GitHub answered with an error status.
    Status {
        status: StatusCode,
        message: String,
        /// Boxed: a HeaderMap is large, and a Failure travels in every Result.
        headers: Box<HeaderMap>,
    },
    /// No complete answer within `after`; `step` when the step's bound cut the call short.
    Timeout { after: Duration, step: bool },
    /// The connection failed (refused, reset, TLS, DNS) before an answer.
    Transport(String),
    /// The step's time was used up before this call.
    OutOfTime(Duration),
    /// An answer that is not what GitHub's REST description says.
    Malformed(String),
}

impl Failure {
    pub fn new(call: impl Into<String>, kind: Kind) -> Failure {
        Failure {
            call: call.into(),
            kind,
            gave_up: None,
        }
    }

    pub fn status(&self) -> Option<StatusCode> {
        match &self.kind {
            Kind::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_rate_limit(&self) -> bool {
        matches!(&self.kind, Kind::Status { status, message, headers }
            if retry::is_rate_limit(*status, headers, message))
    }

    fn fault(&self) -> retry::Fault<'_> {
        match &self.kind {
            Kind::Status {
                status,
                message,
                headers,
            } => retry::Fault::Status {
                status: *status,
                headers,
                message,
            },
            Kind::Timeout { .. } | Kind::Transport(_) => retry::Fault::Lost,
            Kind::OutOfTime(_) | Kind::Malformed(_) => retry::Fault::Final,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let call = &self.call;
        match &self.kind {
            Kind::Status {
                status,
                message,
                headers,
            } => {
                if retry::is_secondary(*status, headers, message) {
                    write!(
                        f,
                        "GitHub's secondary rate limit: {status} to {call}: {message}"
                    )?;
                } else if retry::is_rate_limit(*status, headers, message) {
                    write!(f, "GitHub's rate limit: {status} to {call}: {message}")?;
                } else {
                    write!(f, "GitHub answered {status} to {call}: {message}")?;
                    match status.as_u16() {
                        401 => write!(f, " (the token is wrong, expired or revoked)")?,
                        403 | 404 => write!(
                            f,
                            " (the token cannot comment on this pull request: a fork's \
                             read-only token, or no `pull-requests: write` permission)"
                        )?,
                        _ => {}
                    }
                }
                if let Some(id) = headers
                    .get("x-github-request-id")
                    .and_then(|v| v.to_str().ok())
                {
                    write!(f, " [request id {}]", clean(id, 80))?;
                }
            }
            Kind::Timeout { after, step } => {
                write!(f, "GitHub gave no answer to {call} within {}", secs(*after))?;
                if *step {
                    write!(
                        f,
                        " (the comment step's bound, --github-timeout, was reached)"
                    )?;
                }
            }
            Kind::Transport(e) => write!(f, "could not reach GitHub for {call}: {e}")?,
            Kind::OutOfTime(total) => write!(
                f,
                "the comment step reached its bound of {} (--github-timeout) before {call}",
                secs(*total)
            )?,
            Kind::Malformed(e) => write!(f, "GitHub's answer to {call} is not usable: {e}")?,
        }
        if let Some(why) = &self.gave_up {
            write!(f, "; {why}")?;
        }
        Ok(())
    }
}

fn secs(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Text from GitHub shown to a user: one line, no control characters (it reaches a terminal
/// and a workflow command), and not a whole HTML error page.
fn clean(text: &str, max: usize) -> String {
    let one: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let one = one.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > max {
        let cut: String = one.chars().take(max).collect();
        format!("{cut}…")
    } else {
        one
    }
}

/// GitHub's `message` (and the first of its `errors`, which says which field), or the start
/// of whatever else the body holds.
fn message_of(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(m) = v["message"].as_str() {
            let mut m = clean(m, 300);
            let detail = &v["errors"][0];
            if let Some(d) = detail["message"]
                .as_str()
                .or_else(|| detail["code"].as_str())
            {
                m = format!("{m} ({})", clean(d, 200));
            }
            return m;
        }
    }
    let text = clean(&String::from_utf8_lossy(body), 200);
    if text.is_empty() {
        "(no message)".into()
    } else {
        text
    }
}

/// The error and its causes, which is where reqwest says what happened.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        cur = s.source();
    }
    clean(&parts.join(": "), 400)
}

/// GitHub redirects a renamed repository's calls on its own host; reqwest's default policy
/// would follow any host (dropping the token, but still going there) and https → http. Here
/// a redirect is followed only to the origin the call was made to, five hops at most.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().map(|u| u.origin());
        if attempt.previous().len() > 5 {
            attempt.error("more than 5 redirects")
        } else if first.is_some_and(|o| o == attempt.url().origin()) {
            attempt.follow()
        } else {
            let to = attempt.url().origin().ascii_serialization();
            attempt.error(format!("redirected to another host ({to}): not followed"))
        }
    })
}

impl Api {
    /// `token` is already trimmed and checked (context::token).
    pub fn new(api_url: &str, token: &str, limits: Limits) -> anyhow::Result<Api> {
        super::context::check_api_url(api_url)?;
        let root = Url::parse(api_url.trim_end_matches('/'))
            .map_err(|e| anyhow::anyhow!("--github-api-url {api_url:?}: {e}"))?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            anyhow::anyhow!("the GitHub token cannot be sent as an HTTP header (not printed)")
        })?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/vnd.github+json"),
        );
        headers.insert(
            "x-github-api-version",
            HeaderValue::from_static("2022-11-28"),
        );
        let http = reqwest::Client::builder()
            .user_agent(concat!("lambda-gate/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .connect_timeout(limits.request)
            .redirect(same_origin_redirects())
            .build()?;
        Ok(Api {
            http,
            root,
            auth,
            limits,
            deadline: Instant::now() + limits.total,
        })
    }

    /// `path` under the API root ("/repos/o/r/…", with its query).
    pub fn url(&self, path: &str) -> Url {
        let mut u = self.root.clone();
        let (p, q) = path.split_once('?').unwrap_or((path, ""));
        u.set_path(&format!("{}{p}", self.root.path().trim_end_matches('/')));
        u.set_query(Some(q).filter(|q| !q.is_empty()));
        u
    }

    /// A URL from GitHub (a Link header) is followed only on the API's own host: the token
    /// goes nowhere else.
    pub fn same_origin(&self, link: &str) -> Result<Url, String> {
        let u = Url::parse(link).map_err(|e| format!("the next-page link is no URL: {e}"))?;
        if u.origin() != self.root.origin() {
            return Err(format!(
                "the next-page link points at {}, not at the API's host",
                u.origin().ascii_serialization()
            ));
        }
        Ok(u)
    }

    pub fn total(&self) -> Duration {
        self.limits.total
    }

    /// One call, no retry: for a create, which must not be sent twice blindly.
    pub async fn once(
        &self,
        method: Method,
        url: &Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, Failure> {
        let call = format!(
            "{method} {}{}",
            url.path(),
            url.query().map(|q| format!("?{q}")).unwrap_or_default()
        );
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left < Duration::from_millis(10) {
            return Err(Failure::new(call, Kind::OutOfTime(self.limits.total)));
        }
        let (limit, step) = if left < self.limits.request {
            (left, true)
        } else {
            (self.limits.request, false)
        };
        let lost = |e: reqwest::Error| {
            if e.is_timeout() {
                Kind::Timeout { after: limit, step }
            } else {
                Kind::Transport(chain(&e))
            }
        };
        let mut req = self
            .http
            .request(method.clone(), url.clone())
            .timeout(limit)
            .header(AUTHORIZATION, self.auth.clone());
        if let Some(b) = body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(b).expect("a JSON value serializes"));
        }
        let mut resp = req.send().await.map_err(|e| Failure::new(&call, lost(e)))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let mut bytes = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| Failure::new(&call, lost(e)))?
        {
            if bytes.len() + chunk.len() > MAX_ANSWER {
                return Err(Failure::new(
                    call,
                    Kind::Malformed(format!("an answer over {} MiB", MAX_ANSWER >> 20)),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        if status.is_success() {
            Ok(Reply {
                headers,
                body: bytes,
            })
        } else {
            Err(Failure::new(
                call,
                Kind::Status {
                    status,
                    message: message_of(&bytes),
                    headers: Box::new(headers),
                },
            ))
        }
    }

    /// An idempotent call (GET, PATCH): tried again after a server error, a lost answer or a
    /// rate limit, as retry.rs says, while the step's time allows.
    pub async fn idempotent(
        &self,
        method: Method,
        url: &Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, Failure> {
        let mut attempt = 1;
        loop {
            match self.once(method.clone(), url, body).await {
                Ok(r) => return Ok(r),
                Err(mut f) => {
                    if !retry::SCHEDULE.another(attempt) || !self.wait(&mut f, attempt).await {
                        return Err(f);
                    }
                    attempt += 1;
                }
            }
        }
    }

    /// Waits as the policy says after `f` on the `attempt`-th call and returns true, or
    /// returns false (saying why in `f` when it is the time) when another call cannot help.
    pub async fn wait(&self, f: &mut Failure, attempt: u32) -> bool {
        let Some(wait) = retry::delay(&f.fault(), attempt, SystemTime::now()) else {
            return false;
        };
        let left = self.deadline.saturating_duration_since(Instant::now());
        // The wait and at least a short call after it must fit in the step.
        if wait + Duration::from_millis(500) > left {
            f.gave_up = Some(if f.is_rate_limit() {
                format!(
                    "GitHub asks to wait {}, past the comment step's bound of {} \
                     (--github-timeout)",
                    secs(Duration::from_secs(wait.as_secs_f64().ceil() as u64)),
                    secs(self.limits.total)
                )
            } else {
                format!(
                    "no time left for another try within the comment step's bound of {} \
                     (--github-timeout)",
                    secs(self.limits.total)
                )
            });
            return false;
        }
        tokio::time::sleep(wait).await;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn githubs_message_is_one_clean_line() {
        let body = br#"{"message":"Validation Failed","errors":[{"resource":"IssueComment","code":"custom","field":"body","message":"body is too long (maximum is 65536 characters)"}],"documentation_url":"https://docs.github.com/rest"}"#;
        assert_eq!(
            message_of(body),
            "Validation Failed (body is too long (maximum is 65536 characters))"
        );
        assert_eq!(
            message_of(b"{\"message\":\"a\\u001b[31mb\\nc\"}"),
            "a [31mb c"
        );
        assert_eq!(message_of(b""), "(no message)");
        assert_eq!(
            message_of(b"<html>\n<h1>502 Bad Gateway</h1></html>"),
            "<html> <h1>502 Bad Gateway</h1></html>"
        );
    }

    #[test]
    fn urls_stay_under_the_api_root_and_on_its_host() {
        let api = Api::new("https://ghe.example/api/v3/", "t", Limits::default()).unwrap();
        assert_eq!(
            api.url("/repos/o/r/issues/7/comments?per_page=100")
                .as_str(),
            "https://ghe.example/api/v3/repos/o/r/issues/7/comments?per_page=100"
        );
        assert_eq!(api.url("/user").as_str(), "https://ghe.example/api/v3/user");
        assert!(api
            .same_origin("https://ghe.example/api/v3/repositories/1/issues/7/comments?page=2")
            .is_ok());
        assert!(api
            .same_origin("https://evil.example/api/v3/repositories/1/issues/7/comments")
            .is_err());
    }
}
