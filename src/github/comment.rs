//! The sticky pull-request comment: one per gate (per `--comment-id`), found by a hidden
//! marker and updated in place, so a PR shows the latest result instead of a growing thread.
//!
//! A comment is ours when it starts with the marker *and* its author is the token's own
//! identity: anyone can paste the marker, and a user's comment must never be overwritten.
//! The identity is `GET /user`'s login for a user's token; the workflow's token (an
//! installation token) may not read `/user` (403 "Resource not accessible by integration"),
//! and its comments are `github-actions[bot]`'s. `--comment-author` names it outright (a
//! GitHub App's token, whose bot login `/user` cannot tell).
//!
//! Posting is a side effect of a gate: it is bounded in time (api.rs), retried only where
//! repeating is harmless, and any failure comes back as a sentence for a warning.

use anyhow::Result;
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use super::api::{Api, Failure, Kind, Limits};
use super::context::Context;

/// Longest `comment-id` kept in the marker.
const MAX_ID: usize = 64;

/// The hidden marker that identifies this gate's comment. The id is whitelisted, not escaped:
/// letters, digits, `.`, `_` and `-` (a run of `-` folded to one, so `--` never appears
/// inside the HTML comment), anything else `_`, at most 64 characters. An id such as `--->`
/// then cannot close the comment and put markup in the body.
pub fn marker(comment_id: Option<&str>) -> String {
    let Some(id) = comment_id else {
        return "<!-- lambda-gate:comment -->".to_string();
    };
    let mut safe = String::new();
    for c in id.chars().take(MAX_ID) {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            c
        } else {
            '_'
        };
        if !(c == '-' && safe.ends_with('-')) {
            safe.push(c);
        }
    }
    format!("<!-- lambda-gate:comment:{safe} -->")
}

/// The author of the workflow token's comments.
pub const ACTIONS_BOT: &str = "github-actions[bot]";

/// Pages of 100 comments read at most before giving up (10,000 comments).
const MAX_PAGES: usize = 100;

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Created(u64),
    Updated(u64),
    /// Nothing to do here (not a pull request, no token): said, not failed.
    Skipped(String),
    /// The comment could not be posted: why, with GitHub's status and message.
    Failed(String),
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The login whose comment counts as ours; None: the token's identity.
    pub author: Option<String>,
    pub limits: Limits,
}

/// Posts or updates the comment whose body carries `marker`. Errors are only for what no
/// call to GitHub could cause (no runtime); GitHub's faults are `Outcome::Failed`.
pub fn upsert(ctx: &Context, marker: &str, markdown: &str, opts: &Options) -> Result<Outcome> {
    let Some(pr) = ctx.pr else {
        return Ok(Outcome::Skipped(
            "not a pull request (push, schedule or manual run): no comment posted".into(),
        ));
    };
    let Some(token) = ctx.token.as_deref() else {
        return Ok(Outcome::Skipped(
            "no GitHub token (set GITHUB_TOKEN or --github-token): no comment posted".into(),
        ));
    };
    let body = format!("{marker}\n{markdown}");
    let api = Api::new(&ctx.api_url, token, opts.limits)?;
    let rt = crate::runtime::current_thread()?;
    let post = Post {
        api: &api,
        ctx,
        pr,
        marker,
        body: &body,
    };
    // Every call and wait is already bounded by the step's deadline; this is the backstop.
    let backstop = opts.limits.total + std::time::Duration::from_secs(2);
    Ok(
        match rt.block_on(async { tokio::time::timeout(backstop, post.run(opts)).await }) {
            Ok(Ok(o)) => o,
            Ok(Err(f)) => Outcome::Failed(f.to_string()),
            Err(_) => Outcome::Failed(format!(
                "the comment step passed its bound of {} s (--github-timeout)",
                opts.limits.total.as_secs()
            )),
        },
    )
}

/// An issue comment, as much of it as the gate reads.
#[derive(Deserialize)]
struct Comment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    user: Option<User>,
}

#[derive(Deserialize)]
struct User {
    login: String,
}

struct Post<'a> {
    api: &'a Api,
    ctx: &'a Context,
    pr: u64,
    marker: &'a str,
    body: &'a str,
}

impl Post<'_> {
    async fn run(&self, opts: &Options) -> Result<Outcome, Failure> {
        let me = match &opts.author {
            Some(a) => a.clone(),
            None => self.identity().await?,
        };
        if let Some(c) = self.find(&me).await? {
            self.update(c.id).await?;
            return Ok(Outcome::Updated(c.id));
        }
        let create = self.api.url(&format!(
            "/repos/{}/{}/issues/{}/comments",
            self.ctx.owner, self.ctx.repo, self.pr
        ));
        let json = serde_json::json!({ "body": self.body });
        let mut failure = match self.api.once(Method::POST, &create, Some(&json)).await {
            Ok(reply) => return created(&reply.body, &create),
            Err(f) => f,
        };
        // A create is not idempotent: after a 5xx, a lost answer or a rate limit it may or
        // may not have happened. Wait as GitHub asks, look again, and create once more only
        // if the comment is not there. A 4xx that is no rate limit is GitHub's final answer.
        if !self.api.wait(&mut failure, 1).await {
            return Err(failure);
        }
        if let Some(c) = self.find(&me).await? {
            if c.body.as_deref() != Some(self.body) {
                self.update(c.id).await?;
            }
            return Ok(Outcome::Created(c.id));
        }
        match self.api.once(Method::POST, &create, Some(&json)).await {
            Ok(reply) => created(&reply.body, &create),
            Err(f) => Err(f),
        }
    }

    /// The login whose comments are ours (see the module's doc).
    async fn identity(&self) -> Result<String, Failure> {
        let url = self.api.url("/user");
        match self.api.idempotent(Method::GET, &url, None).await {
            Ok(reply) => serde_json::from_slice::<User>(&reply.body)
                .map(|u| u.login)
                .map_err(|e| {
                    Failure::new(
                        format!("GET {}", url.path()),
                        Kind::Malformed(e.to_string()),
                    )
                }),
            Err(f) if f.status() == Some(StatusCode::FORBIDDEN) && !f.is_rate_limit() => {
                Ok(ACTIONS_BOT.to_string())
            }
            Err(f) => Err(f),
        }
    }

    /// Our comment: the first, on any page, that starts with the marker and is `me`'s.
    async fn find(&self, me: &str) -> Result<Option<Comment>, Failure> {
        let mut url = self.api.url(&format!(
            "/repos/{}/{}/issues/{}/comments?per_page=100",
            self.ctx.owner, self.ctx.repo, self.pr
        ));
        for _ in 0..MAX_PAGES {
            let call = || format!("GET {}", url.path());
            let reply = self.api.idempotent(Method::GET, &url, None).await?;
            let page: Vec<Comment> = serde_json::from_slice(&reply.body)
                .map_err(|e| Failure::new(call(), Kind::Malformed(e.to_string())))?;
            if let Some(c) = page.into_iter().find(|c| {
                c.body
                    .as_deref()
                    .is_some_and(|b| b.starts_with(self.marker))
                    && c.user
                        .as_ref()
                        .is_some_and(|u| u.login.eq_ignore_ascii_case(me))
            }) {
                return Ok(Some(c));
            }
            let Some(next) = next_link(&reply.headers) else {
                return Ok(None);
            };
            url = self
                .api
                .same_origin(&next)
                .map_err(|e| Failure::new(call(), Kind::Malformed(e)))?;
        }
        Err(Failure::new(
            format!("GET {}", url.path()),
            Kind::Malformed(format!(
                "more than {MAX_PAGES} pages of comments; not looking further"
            )),
        ))
    }

    /// `PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}`, as GitHub's REST
    /// description defines the update (idempotent: the same body twice is one edit).
    async fn update(&self, id: u64) -> Result<(), Failure> {
        let url = self.api.url(&format!(
            "/repos/{}/{}/issues/comments/{id}",
            self.ctx.owner, self.ctx.repo
        ));
        let json = serde_json::json!({ "body": self.body });
        self.api
            .idempotent(Method::PATCH, &url, Some(&json))
            .await
            .map(|_| ())
    }
}

fn created(body: &[u8], url: &reqwest::Url) -> Result<Outcome, Failure> {
    serde_json::from_slice::<Comment>(body)
        .map(|c| Outcome::Created(c.id))
        .map_err(|e| {
            Failure::new(
                format!("POST {}", url.path()),
                Kind::Malformed(e.to_string()),
            )
        })
}

/// The `rel="next"` URL of a Link header (RFC 8288), GitHub's pagination.
fn next_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
        });
        let url = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| url.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            "link",
            "<https://api.github.com/repositories/1/issues/7/comments?page=1>; rel=\"prev\", \
             <https://api.github.com/repositories/1/issues/7/comments?page=3>; rel=\"next\", \
             <https://api.github.com/repositories/1/issues/7/comments?page=9>; rel=\"last\""
                .parse()
                .unwrap(),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://api.github.com/repositories/1/issues/7/comments?page=3")
        );
        h.insert("link", "<https://x/?page=9>; rel=\"last\"".parse().unwrap());
        assert_eq!(next_link(&h), None);
    }

    #[test]
    fn markers_keep_gates_apart() {
        assert_eq!(marker(None), "<!-- lambda-gate:comment -->");
        assert_eq!(marker(Some("a--b")), "<!-- lambda-gate:comment:a-b -->");
        assert_eq!(
            marker(Some("function/app 1")),
            "<!-- lambda-gate:comment:function_app_1 -->"
        );
    }

    /// Issue 24: `replace("--", "-")` left `--->` as `-->`, which closes the HTML comment and
    /// lets the rest of the id render as markup in the PR comment.
    #[test]
    fn a_comment_id_cannot_close_the_marker() {
        for id in ["--->", "-->", "x--!>", "a-->b<img src=x>", "x\n-->"] {
            let m = marker(Some(id));
            let inner = m
                .strip_prefix("<!-- ")
                .and_then(|m| m.strip_suffix(" -->"))
                .unwrap();
            assert!(!inner.contains("--"), "{id:?} → {m}");
            assert!(!inner.contains('>') && !inner.contains('<'), "{id:?} → {m}");
        }
        assert_eq!(
            marker(Some(&"x".repeat(1000))).len(),
            "<!-- lambda-gate:comment: -->".len() + 64
        );
    }
}
