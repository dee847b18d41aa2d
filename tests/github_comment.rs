//! The sticky comment against a local server that answers as GitHub's REST API does, asserting
//! the exact requests — and GitHub's faults: 5xx, a 502 after the comment was created, 429
//! with Retry-After, the secondary rate limit (403 with retry-after), 405, a bad token, a
//! server that accepts and never answers, pagination, a user's comment carrying our marker, a
//! token with a trailing newline. A failed post is a warning: the exit code stays the
//! verdict's (`gate comment` alone exits 2, posting being its whole job).

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;

use std::time::{Duration, Instant};
use support::{http, Request};

const MARKER: &str = "<!-- lambda-gate:comment -->";
/// The workflow's own token: `GET /user` is refused, its comments are github-actions[bot]'s.
const WORKFLOW_TOKEN: &str = "ghs_workflow";
/// A personal token: `GET /user` answers octo-user.
const USER_TOKEN: &str = "ghp_user";

#[derive(Debug, Clone)]
struct Req {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: String,
    at: Instant,
}

impl Req {
    fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// What a fault answers instead of the real thing.
#[derive(Debug, Clone)]
enum Answer {
    /// Accept the request and never answer.
    Hang,
    /// This status, these headers, this `message`.
    Status(u16, Vec<(&'static str, String)>, &'static str),
}

/// Answers the next `times` requests whose "METHOD path" starts with `on`. With `after_doing`,
/// the request is carried out first (GitHub created the comment, then the answer was lost).
#[derive(Debug, Clone)]
struct Fault {
    on: &'static str,
    times: usize,
    answer: Answer,
    after_doing: bool,
}

fn fault(on: &'static str, times: usize, answer: Answer) -> Fault {
    Fault {
        on,
        times,
        answer,
        after_doing: false,
    }
}

#[derive(Debug, Clone)]
struct Stored {
    id: u64,
    body: String,
    login: String,
    kind: &'static str,
}

#[derive(Default)]
struct State {
    comments: Vec<Stored>,
    next_id: u64,
    faults: Vec<Fault>,
    log: Vec<Req>,
    /// Every next-page URL handed out in a Link header (the client may only follow those).
    links: Vec<String>,
}

/// A GitHub on 127.0.0.1: issue 7 of o/r and its comments, two per page (GitHub's page size is
/// the client's `per_page`; two makes pagination visible with a handful of comments).
struct Fake {
    base: String,
    state: Arc<Mutex<State>>,
    /// Serves it, one request per connection, as GitHub's front end may close after each.
    _http: http::Fake,
}

const PAGE: usize = 2;

impl Fake {
    /// `comments`: (login, body) in order, ids from 1.
    fn start(comments: &[(&str, &str)], faults: Vec<Fault>) -> Fake {
        // The base URL is in the answers (links, urls), and known once the port is bound.
        let base: Arc<OnceLock<String>> = Arc::default();
        let state = Arc::new(Mutex::new(State {
            comments: comments
                .iter()
                .enumerate()
                .map(|(i, (login, body))| Stored {
                    id: i as u64 + 1,
                    body: body.to_string(),
                    login: login.to_string(),
                    kind: if login.ends_with("[bot]") {
                        "Bot"
                    } else {
                        "User"
                    },
                })
                .collect(),
            next_id: 100,
            faults,
            ..State::default()
        }));
        let (b, s) = (base.clone(), state.clone());
        let http =
            http::Fake::start(move |r: &Request| serve(b.get().expect("set once bound"), &s, r));
        base.set(http.url()).unwrap();
        Fake {
            base: http.url(),
            state,
            _http: http,
        }
    }

    fn requests(&self) -> Vec<Req> {
        self.state.lock().unwrap().log.clone()
    }

    fn lines(&self) -> Vec<String> {
        self.requests().iter().map(Req::line).collect()
    }

    fn comments(&self) -> Vec<Stored> {
        self.state.lock().unwrap().comments.clone()
    }

    /// Every request is one GitHub's REST description defines, in the shape it defines.
    fn assert_described(&self) {
        let links = self.state.lock().unwrap().links.clone();
        for r in self.requests() {
            assert_described(&r, &links);
        }
    }
}

/// The operations the comment uses, as GitHub's REST description
/// (github/rest-api-description, descriptions/api.github.com/api.github.com.json) defines them:
/// `users/get-authenticated` GET /user; `issues/list-comments` GET
/// /repos/{owner}/{repo}/issues/{issue_number}/comments with query `since`, `per_page` (max
/// 100), `page`; `issues/create-comment` POST on the same path and `issues/update-comment`
/// PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}, both with a JSON body whose only
/// property is `body` (a string, required). Requests must send a User-Agent; the description's
/// recommended `Accept: application/vnd.github+json` and version header are checked too.
fn assert_described(r: &Req, links: &[String]) {
    assert!(
        r.headers.get("user-agent").is_some_and(|v| !v.is_empty()),
        "{} without a User-Agent",
        r.line()
    );
    assert_eq!(
        r.headers.get("accept").map(String::as_str),
        Some("application/vnd.github+json"),
        "{}",
        r.line()
    );
    assert_eq!(
        r.headers.get("x-github-api-version").map(String::as_str),
        Some("2022-11-28"),
        "{}",
        r.line()
    );
    let (path, query) = r.path.split_once('?').unwrap_or((&r.path, ""));
    let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let op = match (r.method.as_str(), seg.as_slice()) {
        ("GET", ["user"]) => "users/get-authenticated",
        ("GET", ["repos", _, _, "issues", n, "comments"]) if numeric(n) => "issues/list-comments",
        ("POST", ["repos", _, _, "issues", n, "comments"]) if numeric(n) => "issues/create-comment",
        ("PATCH", ["repos", _, _, "issues", "comments", id]) if numeric(id) => {
            "issues/update-comment"
        }
        // A next page: exactly a URL GitHub handed out in a Link header.
        ("GET", ["repositories", ..]) => {
            assert!(
                links.iter().any(|l| l.ends_with(&r.path)),
                "{} was never a Link",
                r.line()
            );
            "issues/list-comments"
        }
        _ => panic!("{} is not in GitHub's REST description", r.line()),
    };
    for kv in query.split('&').filter(|kv| !kv.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        assert_eq!(op, "issues/list-comments", "query on {}", r.line());
        assert!(matches!(k, "since" | "per_page" | "page"), "{}", r.line());
        if k == "per_page" {
            assert!(v.parse::<u32>().is_ok_and(|n| (1..=100).contains(&n)));
        }
    }
    if op.ends_with("-comment") {
        let body: serde_json::Value = serde_json::from_str(&r.body)
            .unwrap_or_else(|e| panic!("{}: body is not JSON: {e}", r.line()));
        let obj = body.as_object().expect("a JSON object");
        assert_eq!(obj.keys().collect::<Vec<_>>(), vec!["body"], "{}", r.line());
        assert!(obj["body"].is_string());
        assert_eq!(
            r.headers.get("content-type").map(String::as_str),
            Some("application/json"),
            "{}",
            r.line()
        );
    } else {
        assert!(r.body.is_empty(), "{} carries a body", r.line());
    }
}

fn user_json(base: &str, login: &str, kind: &str) -> serde_json::Value {
    let u = |p: &str| format!("{base}/{p}");
    serde_json::json!({
        "login": login, "id": 41898282, "node_id": "MDM6Qm90NDE4OTgyODI=",
        "avatar_url": "https://avatars.githubusercontent.com/in/15368?v=4", "gravatar_id": "",
        "url": u(&format!("users/{login}")), "html_url": format!("https://github.com/{login}"),
        "followers_url": u("users/x/followers"), "following_url": u("users/x/following"),
        "gists_url": u("users/x/gists"), "starred_url": u("users/x/starred"),
        "subscriptions_url": u("users/x/subscriptions"), "organizations_url": u("users/x/orgs"),
        "repos_url": u("users/x/repos"), "events_url": u("users/x/events"),
        "received_events_url": u("users/x/received_events"), "type": kind, "site_admin": false
    })
}

fn comment_json(base: &str, c: &Stored) -> serde_json::Value {
    let u = |p: &str| format!("{base}/{p}");
    serde_json::json!({
        "id": c.id, "node_id": format!("IC_{}", c.id),
        "url": u(&format!("repos/o/r/issues/comments/{}", c.id)),
        "html_url": format!("https://github.com/o/r/pull/7#issuecomment-{}", c.id),
        "issue_url": u("repos/o/r/issues/7"),
        "body": c.body,
        "user": user_json(base, &c.login, c.kind),
        "author_association": "NONE",
        "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:00:00Z"
    })
}

fn message(text: &str) -> serde_json::Value {
    serde_json::json!({"message": text, "documentation_url": "https://docs.github.com/rest"})
}

fn serve(base: &str, state: &Arc<Mutex<State>>, r: &Request) -> http::Answer {
    let (method, path) = (r.method().to_string(), r.path().to_string());
    let headers: HashMap<String, String> = r.headers.iter().cloned().collect();
    let body = String::from_utf8_lossy(&r.body).into_owned();
    if path == "/health" {
        // The perf target of `gate perf --comment`: not GitHub, not logged.
        return http::Reply::ok("ok").header("connection", "close").into();
    }
    let mut st = state.lock().unwrap();
    let req = Req {
        method: method.clone(),
        path: path.clone(),
        headers: headers.clone(),
        body: body.clone(),
        at: r.at,
    };
    let line = req.line();
    st.log.push(req);
    let hit = st
        .faults
        .iter_mut()
        .find(|f| f.times > 0 && line.starts_with(f.on))
        .map(|f| {
            f.times -= 1;
            f.clone()
        });
    let mut answer = match &hit {
        Some(Fault {
            answer: Answer::Hang,
            ..
        }) => return http::Answer::Hang,
        Some(f) if !f.after_doing => None,
        _ => Some(github(base, &mut st, &method, &path, &headers, &body)),
    };
    if let Some(Fault {
        answer: Answer::Status(code, hs, msg),
        ..
    }) = hit
    {
        answer = Some((code, hs, message(msg)));
    }
    drop(st);
    let (code, extra, json) = answer.unwrap();
    let mut reply = http::Reply::status(code)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-github-request-id", "0400:1:2:3:4");
    for (k, v) in extra {
        reply = reply.header(k, v);
    }
    reply
        .header("connection", "close")
        .body(json.to_string())
        .into()
}

type Reply = (u16, Vec<(&'static str, String)>, serde_json::Value);

/// The real answer, as GitHub gives it.
fn github(
    base: &str,
    st: &mut State,
    method: &str,
    path: &str,
    headers: &HashMap<String, String>,
    body: &str,
) -> Reply {
    if headers.get("user-agent").is_none_or(|v| v.is_empty()) {
        return (403, vec![], message("Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required)."));
    }
    let (login, kind) = match headers.get("authorization").map(String::as_str) {
        Some(a) if a == format!("Bearer {WORKFLOW_TOKEN}") => ("github-actions[bot]", "Bot"),
        Some(a) if a == format!("Bearer {USER_TOKEN}") => ("octo-user", "User"),
        _ => return (401, vec![], message("Bad credentials")),
    };
    let (p, query) = path.split_once('?').unwrap_or((path, ""));
    let page: usize = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("page="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let comment_id = p
        .strip_prefix("/repos/o/r/issues/comments/")
        .and_then(|id| id.parse::<u64>().ok());
    match (method, p) {
        ("GET", "/user") if kind == "Bot" => (
            403,
            vec![],
            message("Resource not accessible by integration"),
        ),
        ("GET", "/user") => (200, vec![], user_json(base, login, kind)),
        ("GET", "/repos/o/r/issues/7/comments" | "/repositories/1/issues/7/comments") => {
            let items: Vec<serde_json::Value> = st
                .comments
                .iter()
                .skip((page - 1) * PAGE)
                .take(PAGE)
                .map(|c| comment_json(base, c))
                .collect();
            let pages = st.comments.len().div_ceil(PAGE).max(1);
            let mut hs = vec![];
            if page < pages {
                let url = |n: usize| {
                    format!("{base}/repositories/1/issues/7/comments?per_page=100&page={n}")
                };
                st.links.push(url(page + 1));
                hs.push((
                    "link",
                    format!(
                        "<{}>; rel=\"next\", <{}>; rel=\"last\"",
                        url(page + 1),
                        url(pages)
                    ),
                ));
            }
            (200, hs, serde_json::Value::Array(items))
        }
        ("POST", "/repos/o/r/issues/7/comments") => {
            let sent: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
            let Some(text) = sent["body"].as_str() else {
                return (
                    422,
                    vec![],
                    message("Invalid request.\n\n\"body\" wasn't supplied."),
                );
            };
            st.next_id += 1;
            let c = Stored {
                id: st.next_id,
                body: text.to_string(),
                login: login.into(),
                kind,
            };
            st.comments.push(c.clone());
            (201, vec![], comment_json(base, &c))
        }
        ("PATCH", _) if comment_id.is_some() => {
            let sent: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
            let id = comment_id.unwrap();
            match st.comments.iter_mut().find(|c| c.id == id) {
                Some(c) => {
                    // A token with write access may edit anyone's comment: that is the harm.
                    c.body = sent["body"].as_str().unwrap_or_default().to_string();
                    let c = c.clone();
                    (200, vec![], comment_json(base, &c))
                }
                None => (404, vec![], message("Not Found")),
            }
        }
        // Not in the REST description (POST on a comment's path included): GitHub says 404.
        _ => (404, vec![], message("Not Found")),
    }
}

// ---------------------------------------------------------------------------------------------

fn report() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/function-naive-report.json")
}

fn image() -> String {
    support::image("dive-test-docker-image.tar")
        .to_string_lossy()
        .into_owned()
}

/// `gate ARGS` with a clean GitHub environment plus `env`, killed (and the test failed) if it
/// is still running after a minute: a hang is the fault some of these tests look for.
fn gate(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gate"));
    cmd.args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for k in [
        "GITHUB_ACTIONS",
        "GITHUB_TOKEN",
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_EVENT_PATH",
        "GITHUB_REPOSITORY",
        "GITHUB_API_URL",
        "GATE_GITHUB_TIMEOUT",
        "GATE_GITHUB_REQUEST_TIMEOUT",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let pid = child.id();
    let done = Arc::new(Mutex::new(false));
    let d = done.clone();
    thread::spawn(move || {
        thread::sleep(Duration::from_secs(60));
        if !*d.lock().unwrap() {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    });
    let out = child.wait_with_output().unwrap();
    *done.lock().unwrap() = true;
    assert!(
        out.status.code().is_some(),
        "gate {args:?} was still running after 60 s (killed); stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn github_flags<'a>(base: &'a str, token: &'a str) -> Vec<&'a str> {
    vec![
        "--github-repository",
        "o/r",
        "--github-api-url",
        base,
        "--pr",
        "7",
        "--github-token",
        token,
    ]
}

fn comment(fake: &Fake, token: &str, extra: &[&str]) -> Output {
    let report = report();
    let mut args = vec!["comment", report.to_str().unwrap()];
    args.extend(github_flags(&fake.base, token));
    args.extend_from_slice(extra);
    gate(&args, &[])
}

/// `gate check --comment` in a workflow (so `::warning::` lines are printed); `max_size`
/// decides the verdict: "1MB" fails (exit 1), None passes or warns (exit 0).
fn check(fake: &Fake, max_size: Option<&str>, extra: &[&str]) -> Output {
    check_env(fake, max_size, extra, &[])
}

fn check_env(fake: &Fake, max_size: Option<&str>, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let img = image();
    let mut args = vec!["check", img.as_str(), "--comment"];
    args.extend(github_flags(&fake.base, WORKFLOW_TOKEN));
    if let Some(m) = max_size {
        args.extend(["--max-size", m]);
    }
    args.extend_from_slice(extra);
    let summary = dir.path().join("summary.md");
    let outputs = dir.path().join("outputs");
    let mut all = vec![
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
    ];
    all.extend_from_slice(env);
    gate(&args, &all)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The `::warning::` workflow command about the comment, from stdout.
fn warning(o: &Output) -> String {
    stdout(o)
        .lines()
        .find(|l| l.starts_with("::warning title=lambda-gate comment::"))
        .unwrap_or_else(|| {
            panic!(
                "no ::warning:: about the comment; stdout: {}; stderr: {}",
                stdout(o),
                stderr(o)
            )
        })
        .to_string()
}

fn ours(fake: &Fake) -> Vec<Stored> {
    fake.comments()
        .into_iter()
        .filter(|c| c.body.starts_with(MARKER))
        .collect()
}

/// The time between the first two requests whose line is `line`.
fn gap(fake: &Fake, line: &str) -> Duration {
    let at: Vec<Instant> = fake
        .requests()
        .iter()
        .filter(|r| r.line() == line)
        .map(|r| r.at)
        .collect();
    assert!(at.len() >= 2, "{line} once only: {:?}", fake.lines());
    at[1] - at[0]
}

const LIST: &str = "GET /repos/o/r/issues/7/comments?per_page=100";
const PAGE2: &str = "GET /repositories/1/issues/7/comments?per_page=100&page=2";
const CREATE: &str = "POST /repos/o/r/issues/7/comments";

/// The verdict's exit code of `gate check` on the test image, without any comment.
fn verdict_exit(max_size: Option<&str>) -> i32 {
    let img = image();
    let mut args = vec!["check", img.as_str()];
    if let Some(m) = max_size {
        args.extend(["--max-size", m]);
    }
    gate(&args, &[]).status.code().unwrap()
}

// --- the ordinary path ----------------------------------------------------------------------

#[test]
fn creates_when_no_marker_exists_reading_every_page() {
    let fake = Fake::start(
        &[
            ("alice", "looks good to me"),
            ("other-bot[bot]", "<!-- other-bot -->\nCoverage 80%"),
            ("bob", "nit: typo"),
        ],
        vec![],
    );
    let out = comment(&fake, WORKFLOW_TOKEN, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fake.lines(), ["GET /user", LIST, PAGE2, CREATE]);
    fake.assert_described();
    let reqs = fake.requests();
    assert!(reqs
        .iter()
        .all(|r| r.headers["authorization"] == "Bearer ghs_workflow"));
    let body: serde_json::Value = serde_json::from_str(&reqs[3].body).unwrap();
    let text = body["body"].as_str().unwrap();
    assert!(
        text.starts_with("<!-- lambda-gate:comment -->\n### "),
        "{text}"
    );
    assert!(
        stderr(&out).contains("posted comment 101"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("ghs_workflow"));
    assert_eq!(ours(&fake).len(), 1);
    assert_eq!(ours(&fake)[0].login, "github-actions[bot]");
}

#[test]
fn updates_its_own_comment_with_patch_and_leaves_others_alone() {
    let fake = Fake::start(
        &[
            ("alice", "looks good to me"),
            ("other-bot[bot]", "<!-- other-bot -->\nCoverage 80%"),
            (
                "github-actions[bot]",
                "<!-- lambda-gate:comment -->\nold result",
            ),
        ],
        vec![],
    );
    let out = comment(&fake, WORKFLOW_TOKEN, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // GitHub's REST description defines PATCH for the update (POST there is a 404).
    assert_eq!(
        fake.lines(),
        [
            "GET /user",
            LIST,
            PAGE2,
            "PATCH /repos/o/r/issues/comments/3"
        ]
    );
    fake.assert_described();
    let c = fake.comments();
    assert!(c[2].body.starts_with(MARKER) && !c[2].body.contains("old result"));
    assert_eq!(c[0].body, "looks good to me");
    assert_eq!(c[1].body, "<!-- other-bot -->\nCoverage 80%");
    assert!(
        stderr(&out).contains("updated comment 3"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_comment_id_keeps_matrix_gates_apart() {
    // The existing comment belongs to the gate without an id: gate "arm64" must not take it.
    let fake = Fake::start(
        &[(
            "github-actions[bot]",
            "<!-- lambda-gate:comment -->\nold result",
        )],
        vec![],
    );
    let out = comment(&fake, WORKFLOW_TOKEN, &["--comment-id", "arm64"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fake.lines(), ["GET /user", LIST, CREATE]);
    fake.assert_described();
    assert!(fake.requests()[2]
        .body
        .contains("<!-- lambda-gate:comment:arm64 -->"));
    assert!(fake.comments()[0].body.ends_with("old result"));
}

#[test]
fn outside_a_pull_request_the_comment_is_skipped_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("event.json");
    std::fs::write(&event, r#"{"ref":"refs/heads/main","commits":[]}"#).unwrap();
    let report = report();
    let out = gate(
        &["comment", report.to_str().unwrap()],
        &[
            ("GITHUB_REPOSITORY", "o/r"),
            ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
            ("GITHUB_TOKEN", "t"),
            ("GITHUB_API_URL", "http://127.0.0.1:9"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("not a pull request"));
}

#[test]
fn in_actions_the_summary_outputs_and_annotations_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let outputs = dir.path().join("outputs");
    let img = image();
    let out = gate(
        &["check", &img, "--max-size", "1MB"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
            ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("lambda-gate: **FAIL**"));
    let o = runner_outputs(&std::fs::read_to_string(&outputs).unwrap());
    assert_eq!(o["verdict"], "fail");
    assert_eq!(o["size-bytes"], "1220598");
    assert!(stdout(&out)
        .lines()
        .any(|l| l.starts_with("::error title=lambda-gate max-size::")));
}

#[test]
fn a_job_summary_that_cannot_be_written_is_a_warning_too() {
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("outputs");
    let img = image();
    // A directory where the summary file should be: the append fails.
    let out = gate(
        &["check", &img, "--max-size", "1MB"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", dir.path().to_str().unwrap()),
            ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out)
        .lines()
        .any(|l| l.starts_with("::warning title=lambda-gate summary::")
            && l.contains("GITHUB_STEP_SUMMARY")));
    let o = runner_outputs(&std::fs::read_to_string(&outputs).unwrap());
    assert_eq!(o["verdict"], "fail");
}

// --- 5: only the token's own comment counts ---------------------------------------------------

#[test]
fn a_users_comment_carrying_the_marker_is_not_taken_for_ours() {
    let fake = Fake::start(
        &[
            (
                "alice",
                "<!-- lambda-gate:comment -->\nI copied the bot's comment to quote it",
            ),
            (
                "github-actions[bot]",
                "<!-- other-gate -->\nnot ours either",
            ),
        ],
        vec![],
    );
    let out = comment(&fake, WORKFLOW_TOKEN, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fake.lines(), ["GET /user", LIST, CREATE]);
    fake.assert_described();
    assert!(
        fake.comments()[0].body.contains("I copied"),
        "alice's comment untouched"
    );
}

#[test]
fn with_a_user_token_only_that_users_comment_counts() {
    let fake = Fake::start(
        &[
            (
                "github-actions[bot]",
                "<!-- lambda-gate:comment -->\nthe workflow's",
            ),
            ("alice", "<!-- lambda-gate:comment -->\nalice's"),
            ("octo-user", "<!-- lambda-gate:comment -->\nmine"),
        ],
        vec![],
    );
    let out = comment(&fake, USER_TOKEN, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        fake.lines(),
        [
            "GET /user",
            LIST,
            PAGE2,
            "PATCH /repos/o/r/issues/comments/3"
        ]
    );
    fake.assert_described();
    let c = fake.comments();
    assert!(c[0].body.ends_with("the workflow's") && c[1].body.ends_with("alice's"));
    assert!(!c[2].body.ends_with("mine"));
}

#[test]
fn an_explicit_comment_author_skips_the_identity_lookup() {
    // A GitHub App's installation token: `GET /user` cannot say who it is, the user can.
    let fake = Fake::start(
        &[
            (
                "github-actions[bot]",
                "<!-- lambda-gate:comment -->\nthe workflow's",
            ),
            ("octo-user", "<!-- lambda-gate:comment -->\nmine"),
        ],
        vec![],
    );
    let out = comment(&fake, USER_TOKEN, &["--comment-author", "octo-user"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fake.lines(), [LIST, "PATCH /repos/o/r/issues/comments/2"]);
    fake.assert_described();
}

// --- 1, 4, 8: faults are warnings; only idempotent calls retry; no blind create ---------------

#[test]
fn a_500_on_create_warns_keeps_the_verdict_and_creates_at_most_twice() {
    let fake = Fake::start(
        &[],
        vec![fault(
            CREATE,
            9,
            Answer::Status(500, vec![], "Server Error"),
        )],
    );
    let out = check(&fake, Some("1MB"), &[]);
    assert_eq!(verdict_exit(Some("1MB")), 1);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the verdict's code: {}",
        stderr(&out)
    );
    // After a failed create, look again before creating once more; never a third time.
    assert_eq!(fake.lines(), ["GET /user", LIST, CREATE, LIST, CREATE]);
    fake.assert_described();
    let w = warning(&out);
    assert!(w.contains("500") && w.contains("Server Error"), "{w}");
    assert!(w.contains("POST /repos/o/r/issues/7/comments"), "{w}");
    assert!(!w.contains("fork"), "{w}");
    assert!(stderr(&out).contains("gate: warning:"), "{}", stderr(&out));
}

#[test]
fn a_502_after_the_comment_was_created_leaves_exactly_one() {
    let fake = Fake::start(
        &[("alice", "hello")],
        vec![Fault {
            after_doing: true,
            ..fault(CREATE, 9, Answer::Status(502, vec![], "Server Error"))
        }],
    );
    let out = comment(&fake, WORKFLOW_TOKEN, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fake.lines(), ["GET /user", LIST, CREATE, LIST]);
    fake.assert_described();
    assert_eq!(ours(&fake).len(), 1, "{:#?}", fake.comments());
    assert!(
        stderr(&out).contains("posted comment 101"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_502_while_listing_is_retried_after_a_backoff() {
    let fake = Fake::start(
        &[("alice", "a"), ("bob", "b"), ("carol", "c")],
        vec![fault(PAGE2, 1, Answer::Status(502, vec![], "Server Error"))],
    );
    let out = comment(&fake, WORKFLOW_TOKEN, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        gap(&fake, PAGE2) >= Duration::from_millis(950),
        "a backoff, not at once"
    );
    assert_eq!(fake.lines(), ["GET /user", LIST, PAGE2, PAGE2, CREATE]);
    fake.assert_described();
}

#[test]
fn a_429_with_retry_after_is_honoured() {
    let fake = Fake::start(
        &[],
        vec![fault(
            LIST,
            1,
            Answer::Status(
                429,
                vec![("retry-after", "1".into())],
                "API rate limit exceeded for installation ID 1.",
            ),
        )],
    );
    let out = comment(&fake, WORKFLOW_TOKEN, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        gap(&fake, LIST) >= Duration::from_millis(950),
        "Retry-After: 1 honoured"
    );
    assert_eq!(fake.lines(), ["GET /user", LIST, LIST, CREATE]);
    fake.assert_described();
}

#[test]
fn a_primary_rate_limit_waits_for_the_reset() {
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 2;
    let fake = Fake::start(
        &[],
        vec![fault(
            LIST,
            1,
            Answer::Status(
                403,
                vec![
                    ("x-ratelimit-limit", "1000".into()),
                    ("x-ratelimit-remaining", "0".into()),
                    ("x-ratelimit-reset", reset.to_string()),
                ],
                "API rate limit exceeded for installation ID 1.",
            ),
        )],
    );
    let out = comment(&fake, WORKFLOW_TOKEN, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        gap(&fake, LIST) >= Duration::from_millis(950),
        "waited for the reset"
    );
    assert_eq!(fake.lines(), ["GET /user", LIST, LIST, CREATE]);
    fake.assert_described();
}

#[test]
fn a_secondary_rate_limit_on_create_waits_looks_again_and_creates_once() {
    let fake = Fake::start(
        &[],
        vec![fault(
            CREATE,
            1,
            Answer::Status(
                403,
                vec![("retry-after", "1".into())],
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            ),
        )],
    );
    let out = comment(&fake, WORKFLOW_TOKEN, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(ours(&fake).len(), 1);
    assert!(
        gap(&fake, CREATE) >= Duration::from_millis(950),
        "retry-after: 1 honoured"
    );
    assert_eq!(fake.lines(), ["GET /user", LIST, CREATE, LIST, CREATE]);
    fake.assert_described();
}

#[test]
fn a_secondary_rate_limit_past_the_bound_is_a_rate_limit_warning_not_a_fork() {
    let fake = Fake::start(
        &[],
        vec![fault(
            LIST,
            99,
            Answer::Status(
                403,
                vec![("retry-after", "3600".into())],
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            ),
        )],
    );
    let out = check(&fake, None, &[]);
    assert_eq!(
        out.status.code(),
        Some(verdict_exit(None)),
        "{}",
        stderr(&out)
    );
    let w = warning(&out);
    assert!(
        w.contains("secondary rate limit") && w.contains("403"),
        "{w}"
    );
    assert!(w.contains("3600"), "{w}");
    assert!(!w.contains("fork"), "{w}");
    // Waiting an hour is past the step's bound: no wait, no retry, no create.
    assert_eq!(fake.lines(), ["GET /user", LIST]);
}

#[test]
fn a_405_names_the_status_and_githubs_message() {
    let fake = Fake::start(
        &[],
        vec![fault(
            CREATE,
            9,
            Answer::Status(405, vec![], "Comments are locked on this pull request"),
        )],
    );
    let out = check(&fake, None, &[]);
    assert_eq!(
        out.status.code(),
        Some(verdict_exit(None)),
        "{}",
        stderr(&out)
    );
    // A 405 is an answer, not a lost one: nothing was created, nothing to look up again.
    assert_eq!(fake.lines(), ["GET /user", LIST, CREATE]);
    let w = warning(&out);
    assert!(w.contains("405 Method Not Allowed"), "{w}");
    assert!(
        w.contains("Comments are locked on this pull request"),
        "{w}"
    );
}

#[test]
fn a_bad_token_is_a_warning_naming_401_and_never_the_token() {
    let fake = Fake::start(&[], vec![]);
    let img = image();
    let mut args = vec!["check", img.as_str(), "--comment", "--max-size", "1MB"];
    args.extend(github_flags(&fake.base, "ghp_revoked_token"));
    let out = gate(&args, &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let w = warning(&out);
    assert!(w.contains("401") && w.contains("Bad credentials"), "{w}");
    assert_eq!(fake.lines(), ["GET /user"], "a 401 is not retried");
    assert!(!stdout(&out).contains("ghp_revoked_token"));
    assert!(!stderr(&out).contains("ghp_revoked_token"));
}

#[test]
fn a_refused_token_fails_the_standalone_comment_command_only() {
    let fake = Fake::start(
        &[],
        vec![fault(
            CREATE,
            9,
            Answer::Status(403, vec![], "Resource not accessible by integration"),
        )],
    );
    let out = comment(&fake, WORKFLOW_TOKEN, &[]);
    // Posting is `gate comment`'s whole job: a post that did not happen is exit 2.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning") && err.contains("403") && err.contains("Resource not accessible"),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.contains("403")).count(),
        1,
        "{err}"
    );
    assert_eq!(fake.lines(), ["GET /user", LIST, CREATE]);
}

// --- 2: bounded time --------------------------------------------------------------------------

#[test]
fn a_server_that_never_answers_is_bounded_and_a_warning() {
    let fake = Fake::start(&[], vec![fault("", 999, Answer::Hang)]);
    let out = check_env(
        &fake,
        Some("1MB"),
        &[],
        &[
            ("GATE_GITHUB_REQUEST_TIMEOUT", "1s"),
            ("GATE_GITHUB_TIMEOUT", "3s"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let w = warning(&out);
    assert!(w.contains("GET /user") && w.contains("no answer"), "{w}");
    let lines = fake.lines();
    assert!(
        !lines.is_empty() && lines.iter().all(|l| l == "GET /user"),
        "{lines:?}"
    );
}

#[test]
fn the_comment_command_times_out_too() {
    let fake = Fake::start(&[], vec![fault(CREATE, 999, Answer::Hang)]);
    let report = report();
    let mut args = vec!["comment", report.to_str().unwrap()];
    args.extend(github_flags(&fake.base, WORKFLOW_TOKEN));
    let out = gate(
        &args,
        &[
            ("GATE_GITHUB_REQUEST_TIMEOUT", "1s"),
            ("GATE_GITHUB_TIMEOUT", "6s"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no answer"), "{}", stderr(&out));
    // An unanswered create may have happened: look again, create once more, never a third.
    assert_eq!(fake.lines(), ["GET /user", LIST, CREATE, LIST, CREATE]);
}

#[test]
fn the_time_bounds_are_flags_too_and_the_step_bound_wins() {
    let fake = Fake::start(&[], vec![fault(LIST, 999, Answer::Hang)]);
    let out = comment(
        &fake,
        WORKFLOW_TOKEN,
        &["--github-request-timeout", "5s", "--github-timeout", "2s"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("no answer to GET /repos/o/r/issues/7/comments"),
        "{err}"
    );
    assert!(err.contains("--github-timeout"), "{err}");
    assert_eq!(fake.lines(), ["GET /user", LIST]);
}

// --- 1: perf and the Action keep their exit codes ---------------------------------------------

#[test]
fn perf_with_a_failing_comment_keeps_its_verdict() {
    let fake = Fake::start(
        &[],
        vec![fault(
            CREATE,
            9,
            Answer::Status(502, vec![], "Server Error"),
        )],
    );
    let url = format!("{}/health", fake.base);
    let mut args = vec![
        "perf",
        "--url",
        url.as_str(),
        "--requests",
        "3",
        "--concurrency",
        "1",
        "--comment",
    ];
    args.extend(github_flags(&fake.base, WORKFLOW_TOKEN));
    let out = gate(&args, &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(warning(&out).contains("502"));
    assert_eq!(fake.lines(), ["GET /user", LIST, CREATE, LIST, CREATE]);
}

#[test]
fn the_action_with_a_failing_comment_keeps_its_verdict() {
    let fake = Fake::start(
        &[],
        vec![fault(
            CREATE,
            9,
            Answer::Status(500, vec![], "Server Error"),
        )],
    );
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("event.json");
    std::fs::write(&event, r#"{"pull_request":{"number":7}}"#).unwrap();
    let outputs = dir.path().join("outputs");
    let summary = dir.path().join("summary.md");
    let img = image();
    let out = gate(
        &["action"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "o/r"),
            ("GITHUB_API_URL", &fake.base),
            ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
            ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
            ("INPUT_IMAGE", &img),
            ("INPUT_MAX-SIZE", "1MB"),
            ("INPUT_COMMENT", "true"),
            ("INPUT_GITHUB-TOKEN", WORKFLOW_TOKEN),
            ("INPUT_FAIL-ON-FINDINGS", "true"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(warning(&out).contains("500"));
    assert_eq!(fake.lines(), ["GET /user", LIST, CREATE, LIST, CREATE]);
    let o = runner_outputs(&std::fs::read_to_string(&outputs).unwrap());
    assert_eq!(o["verdict"], "fail");
}

// --- 6: the token -----------------------------------------------------------------------------

#[test]
fn a_token_with_a_trailing_newline_is_trimmed() {
    let fake = Fake::start(&[], vec![]);
    let report = report();
    let out = gate(
        &[
            "comment",
            report.to_str().unwrap(),
            "--github-repository",
            "o/r",
            "--github-api-url",
            &fake.base,
            "--pr",
            "7",
        ],
        &[("GITHUB_TOKEN", "ghs_workflow\n")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fake.lines(), ["GET /user", LIST, CREATE]);
    assert!(fake
        .requests()
        .iter()
        .all(|r| r.headers["authorization"] == "Bearer ghs_workflow"));
    let out = comment(&fake, " ghs_workflow\r\n", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_token_that_is_not_a_header_value_is_exit_2_and_never_printed() {
    let fake = Fake::start(&[], vec![]);
    let img = image();
    for token in [
        "ghs_S3CR3T\nX",
        "ghs_S3CR3T\u{7f}X",
        "ghs_S3CR3T X",
        "ghs_S3CR3T\u{e9}",
    ] {
        let out = comment(&fake, token, &[]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("token") && !err.contains("S3CR3T"), "{err}");
        assert!(!err.contains("internal error"), "{err}");
        let mut args = vec!["check", img.as_str(), "--comment"];
        args.extend(github_flags(&fake.base, token));
        let out = gate(&args, &[]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(!stderr(&out).contains("S3CR3T"), "{}", stderr(&out));
        assert!(!stdout(&out).contains("S3CR3T"));
    }
    assert!(fake.lines().is_empty(), "nothing was sent");
}

// --- 7: $GITHUB_OUTPUT ------------------------------------------------------------------------

/// $GITHUB_OUTPUT read as the runner reads it (actions/runner, FileCommandManager's
/// SetOutputFileCommand): `name=value` lines, or `name<<DELIMITER`, the value's lines, and a
/// line equal to DELIMITER. Returns (name, delimiter, value) in order.
fn runner_blocks(text: &str) -> Vec<(String, Option<String>, String)> {
    let mut out = Vec::new();
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        if line.is_empty() && lines.peek().is_none() {
            break;
        }
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            loop {
                let l = lines.next().expect("the value ends with its delimiter");
                if l == delim {
                    break;
                }
                value.push(l);
            }
            out.push((name.to_string(), Some(delim.to_string()), value.join("\n")));
        } else {
            let (name, value) = line.split_once('=').expect("name=value");
            out.push((name.to_string(), None, value.to_string()));
        }
    }
    out
}

/// The outputs a later step sees: a later value for a name replaces the earlier one.
fn runner_outputs(text: &str) -> HashMap<String, String> {
    runner_blocks(text)
        .into_iter()
        .map(|(name, _, value)| (name, value))
        .collect()
}

#[test]
fn a_crafted_value_cannot_set_another_output() {
    // The report path is written as the `report` output. A path made to close the heredoc with
    // the delimiter the gate used to write (its pid: `exec` keeps the shell's) and set
    // `verdict` to pass after the real, failing one.
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("outputs");
    let crafted =
        "r\nLAMBDA_GATE_EOF_$$\nverdict<<EOF\npass\nEOF\nnote<<LAMBDA_GATE_EOF_$$\nx.json";
    let script = format!("exec \"$0\" check \"$1\" --max-size 1MB --output \"$2/{crafted}\"");
    let img = image();
    let out = Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_gate"), &img])
        .arg(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &outputs)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = std::fs::read_to_string(&outputs).unwrap();
    let o = runner_outputs(&text);
    assert_eq!(o["verdict"], "fail", "{text}");
    assert!(o["report"].ends_with("x.json") && o["report"].contains("verdict<<EOF"));
    assert!(!o.contains_key("note"), "{text}");
    // And the delimiters are not a guessable function of anything: each block draws its own.
    let delims: Vec<String> = runner_blocks(&text)
        .into_iter()
        .filter_map(|(_, d, _)| d)
        .collect();
    let distinct: std::collections::HashSet<&String> = delims.iter().collect();
    assert_eq!(distinct.len(), delims.len(), "{delims:?}");
    assert!(delims
        .iter()
        .all(|d| d.starts_with("ghadelimiter_") && d.len() >= 45));
}
