//! The sticky comment against a local server that answers as GitHub's REST API does
//! (paginated list with a Link header, create, update, 403), asserting the exact requests.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;

#[derive(Debug, Clone)]
struct Req {
    method: String,
    path: String,
    auth: String,
    body: String,
}

fn comment_json(base: &str, id: u64, body: &str, login: &str) -> serde_json::Value {
    let u = |p: &str| format!("{base}/{p}");
    serde_json::json!({
        "id": id, "node_id": format!("IC_{id}"),
        "url": u(&format!("repos/o/r/issues/comments/{id}")),
        "html_url": format!("https://github.com/o/r/pull/7#issuecomment-{id}"),
        "issue_url": u("repos/o/r/issues/7"),
        "body": body,
        "user": {
            "login": login, "id": 41898282, "node_id": "MDM6Qm90NDE4OTgyODI=",
            "avatar_url": "https://avatars.githubusercontent.com/in/15368?v=4", "gravatar_id": "",
            "url": u(&format!("users/{login}")), "html_url": format!("https://github.com/{login}"),
            "followers_url": u("users/x/followers"), "following_url": u("users/x/following"),
            "gists_url": u("users/x/gists"), "starred_url": u("users/x/starred"),
            "subscriptions_url": u("users/x/subscriptions"), "organizations_url": u("users/x/orgs"),
            "repos_url": u("users/x/repos"), "events_url": u("users/x/events"),
            "received_events_url": u("users/x/received_events"), "type": "Bot", "site_admin": false
        },
        "author_association": "NONE",
        "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:00:00Z"
    })
}

/// Serves GitHub-like answers until told to stop; `existing` is the page-2 comment body (the
/// gate's own comment) or None; `forbid` answers every request with 403.
fn fake_github(existing: Option<&'static str>, forbid: bool) -> (String, Arc<Mutex<Vec<Req>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let (b, l) = (base.clone(), log.clone());
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                continue;
            }
            let mut parts = line.split_whitespace();
            let method = parts.next().unwrap_or("").to_string();
            let path = parts.next().unwrap_or("").to_string();
            let (mut len, mut auth) = (0usize, String::new());
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                let (k, v) = h.split_once(':').unwrap_or((&h, ""));
                match k.to_ascii_lowercase().as_str() {
                    "content-length" => len = v.trim().parse().unwrap_or(0),
                    "authorization" => auth = v.trim().to_string(),
                    _ => {}
                }
            }
            let mut body = vec![0u8; len];
            reader.read_exact(&mut body).unwrap();
            let body = String::from_utf8_lossy(&body).to_string();
            l.lock().unwrap().push(Req {
                method: method.clone(),
                path: path.clone(),
                auth,
                body: body.clone(),
            });
            let (status, link, json) = if forbid {
                (
                    "403 Forbidden",
                    None,
                    serde_json::json!({"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest"}),
                )
            } else if method == "GET" && path.contains("page=2") {
                let items: Vec<serde_json::Value> = existing
                    .map(|e| vec![comment_json(&b, 3, e, "github-actions[bot]")])
                    .unwrap_or_default();
                ("200 OK", None, serde_json::Value::Array(items))
            } else if method == "GET" {
                let next = format!("<{b}/repositories/1/issues/7/comments?per_page=100&page=2>; rel=\"next\", <{b}/repositories/1/issues/7/comments?per_page=100&page=2>; rel=\"last\"");
                (
                    "200 OK",
                    Some(next),
                    serde_json::json!([
                        comment_json(&b, 1, "looks good to me", "alice"),
                        comment_json(&b, 2, "<!-- other-bot -->\nCoverage 80%", "other-bot")
                    ]),
                )
            } else if path.contains("/issues/comments/") {
                // octocrab sends the update as POST, which GitHub accepts as PATCH.
                let sent: serde_json::Value = serde_json::from_str(&body).unwrap();
                (
                    "200 OK",
                    None,
                    comment_json(&b, 3, sent["body"].as_str().unwrap(), "github-actions[bot]"),
                )
            } else {
                let sent: serde_json::Value = serde_json::from_str(&body).unwrap();
                (
                    "201 Created",
                    None,
                    comment_json(&b, 4, sent["body"].as_str().unwrap(), "github-actions[bot]"),
                )
            };
            let payload = json.to_string();
            let link = link.map(|l| format!("link: {l}\r\n")).unwrap_or_default();
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json; charset=utf-8\r\n{link}content-length: {}\r\nconnection: close\r\n\r\n{payload}",
                payload.len()
            );
        }
    });
    (base, log)
}

fn report_file(dir: &std::path::Path) -> std::path::PathBuf {
    let out = dir.join("report.json");
    let img = support::image("dive-test-docker-image.tar");
    let o = support::gate(&[
        "check",
        img.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.code().is_some_and(|c| c <= 1));
    out
}

fn comment(base: &str, report: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "comment",
        report.to_str().unwrap(),
        "--github-repository",
        "o/r",
        "--github-api-url",
        base,
        "--pr",
        "7",
        "--github-token",
        "s3cret-token",
    ];
    args.extend_from_slice(extra);
    std::process::Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(&args)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_TOKEN")
        .output()
        .unwrap()
}

#[test]
fn creates_when_no_marker_exists_reading_every_page() {
    let dir = tempfile::tempdir().unwrap();
    let report = report_file(dir.path());
    let (base, log) = fake_github(None, false);
    let out = comment(&base, &report, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reqs = log.lock().unwrap().clone();
    let shape: Vec<(String, String)> = reqs
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(
        shape,
        vec![
            (
                "GET".into(),
                "/repos/o/r/issues/7/comments?per_page=100".into()
            ),
            (
                "GET".into(),
                "/repositories/1/issues/7/comments?per_page=100&page=2".into()
            ),
            ("POST".into(), "/repos/o/r/issues/7/comments".into()),
        ]
    );
    assert!(reqs.iter().all(|r| r.auth == "Bearer s3cret-token"));
    let body: serde_json::Value = serde_json::from_str(&reqs[2].body).unwrap();
    let text = body["body"].as_str().unwrap();
    assert!(
        text.starts_with("<!-- lambda-gate:comment -->\n### "),
        "{text}"
    );
    assert!(text.contains("lambda-gate: **WARN**") || text.contains("lambda-gate: **PASS**"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("posted comment 4"));
    assert!(!stderr.contains("s3cret-token"));
}

#[test]
fn updates_its_own_comment_in_place_and_leaves_others_alone() {
    let dir = tempfile::tempdir().unwrap();
    let report = report_file(dir.path());
    let (base, log) = fake_github(Some("<!-- lambda-gate:comment -->\nold result"), false);
    let out = comment(&base, &report, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reqs = log.lock().unwrap().clone();
    let writes: Vec<&Req> = reqs.iter().filter(|r| r.method != "GET").collect();
    assert_eq!(writes.len(), 1, "{reqs:#?}");
    assert!(writes[0].method == "PATCH" || writes[0].method == "POST");
    assert_eq!(
        writes[0].path, "/repos/o/r/issues/comments/3",
        "the update endpoint, not create"
    );
    assert!(writes[0].body.contains("<!-- lambda-gate:comment -->"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("updated comment 3"));
}

#[test]
fn a_comment_id_keeps_matrix_gates_apart() {
    let dir = tempfile::tempdir().unwrap();
    let report = report_file(dir.path());
    // The existing comment belongs to the gate without an id: gate "arm64" must not take it.
    let (base, log) = fake_github(Some("<!-- lambda-gate:comment -->\nold result"), false);
    let out = comment(&base, &report, &["--comment-id", "arm64"]);
    assert_eq!(out.status.code(), Some(0));
    let reqs = log.lock().unwrap().clone();
    let post = reqs
        .iter()
        .find(|r| r.method == "POST" && r.path == "/repos/o/r/issues/7/comments")
        .expect("a new comment");
    assert!(post.body.contains("<!-- lambda-gate:comment:arm64 -->"));
    assert!(
        !reqs.iter().any(|r| r.path.contains("/issues/comments/")),
        "the other gate's comment is not touched"
    );
}

#[test]
fn a_token_without_permission_is_a_warning_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let report = report_file(dir.path());
    let (base, _) = fake_github(None, true);
    let out = comment(&base, &report, &[]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning") && err.contains("403"), "{err}");
}

#[test]
fn outside_a_pull_request_the_comment_is_skipped_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let report = report_file(dir.path());
    let event = dir.path().join("event.json");
    std::fs::write(&event, r#"{"ref":"refs/heads/main","commits":[]}"#).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(["comment", report.to_str().unwrap()])
        .env("GITHUB_REPOSITORY", "o/r")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_TOKEN", "t")
        .env("GITHUB_API_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a pull request"));
}

#[test]
fn in_actions_the_summary_outputs_and_annotations_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let outputs = dir.path().join("outputs");
    let img = support::image("dive-test-docker-image.tar");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(["check", img.to_str().unwrap(), "--max-size", "1MB"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("lambda-gate: **FAIL**"));
    let o = std::fs::read_to_string(&outputs).unwrap();
    assert!(o.contains("verdict<<") && o.contains("\nfail\n"), "{o}");
    assert!(o.contains("size-bytes<<") && o.contains("\n1220598\n"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("::error title=lambda-gate max-size::")),
        "{stdout}"
    );
}
