//! A pull request cannot buy its own PASS: on a `pull_request` event the gate obeys gate.toml
//! and the .trivyignore of the base commit, read from real git objects, and shows what the
//! pull request's own files would change.
//!
//! Every test builds a real repository (`git init`, a base commit on `main`, the pull
//! request's commit on `pr`), writes an event payload in the shape GitHub documents for
//! `pull_request` (trimmed to the fields a runner's payload always has), and runs the real
//! binary in the checkout. Nothing leaves the machine: the shallow clone's origin is a
//! `file://` repository.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The image: 1.22 MB uncompressed, one `lambda-runtime-interface` warning by default.
fn image() -> String {
    support::image("dive-test-docker-image.tar")
        .to_string_lossy()
        .into_owned()
}

/// Trivy's report of debian:buster: CVE-2019-18224 (libidn2-0) is CRITICAL, fails at `high`.
fn trivy() -> String {
    support::fixtures()
        .join("reports/trivy/debian-buster.json")
        .to_string_lossy()
        .into_owned()
}

const CRITICAL: &str = "CVE-2019-18224";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Base Author",
            "-c",
            "user.email=base@example.test",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Files of one side: `(path, Some(text))` writes, `(path, None)` deletes.
type Files<'a> = &'a [(&'a str, Option<&'a str>)];

struct Repo {
    _tmp: tempfile::TempDir,
    /// The repository, `pr` checked out: the pull request's working tree.
    dir: PathBuf,
    base: String,
    head: String,
    event: PathBuf,
}

fn write(dir: &Path, files: Files) {
    for (path, text) in files {
        let p = dir.join(path);
        match text {
            Some(t) => {
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(&p, t).unwrap();
            }
            None => {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
}

/// A repository whose `main` holds `base` and whose `pr` branch (checked out) changes it to
/// `head`, and a `pull_request` event for it.
fn repo(base: Files, head: Files) -> Repo {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    std::fs::create_dir(&dir).unwrap();
    git(&dir, &["init", "-q"]);
    write(&dir, &[("README.md", Some("# function\n"))]);
    write(&dir, base);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "base"]);
    let base_sha = git(&dir, &["rev-parse", "HEAD"]);
    git(&dir, &["checkout", "-qb", "pr"]);
    write(&dir, head);
    write(
        &dir,
        &[("handler.py", Some("def handler(e, c):\n    return 1\n"))],
    );
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "the pull request"]);
    let head_sha = git(&dir, &["rev-parse", "HEAD"]);
    let event = tmp.path().join("event.json");
    std::fs::write(&event, payload(&base_sha, &head_sha).to_string()).unwrap();
    Repo {
        _tmp: tmp,
        dir,
        base: base_sha,
        head: head_sha,
        event,
    }
}

/// A `pull_request` event as GitHub documents it ("Webhook events and payloads"), with the
/// fields a runner's payload always carries; the gate reads `pull_request.base.sha`.
fn payload(base: &str, head: &str) -> Value {
    let repository = serde_json::json!({
        "id": 1296269, "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5", "name": "function",
        "full_name": "octo-org/function", "private": false,
        "owner": { "login": "octo-org", "id": 1, "type": "Organization" },
        "html_url": "https://github.com/octo-org/function", "default_branch": "main"
    });
    serde_json::json!({
        "action": "synchronize",
        "number": 42,
        "before": "0000000000000000000000000000000000000000",
        "after": head,
        "pull_request": {
            "url": "https://api.github.com/repos/octo-org/function/pulls/42",
            "id": 1, "node_id": "MDExOlB1bGxSZXF1ZXN0MQ==", "number": 42, "state": "open",
            "locked": false, "title": "Raise the budget", "draft": false,
            "user": { "login": "contributor", "id": 2, "type": "User" },
            "head": { "label": "contributor:pr", "ref": "pr", "sha": head,
                      "user": { "login": "contributor", "id": 2 }, "repo": repository },
            "base": { "label": "octo-org:main", "ref": "main", "sha": base,
                      "user": { "login": "octo-org", "id": 1 }, "repo": repository },
            "author_association": "CONTRIBUTOR", "merged": false, "commits": 1
        },
        "repository": repository,
        "sender": { "login": "contributor", "id": 2, "type": "User" }
    })
}

/// `gate ARGS` in `dir` with only the GitHub environment given (the test may itself run
/// inside Actions).
fn gate_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gate"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    for (k, _) in std::env::vars() {
        if k.starts_with("GITHUB_") || k.starts_with("INPUT_") || k == "RUNNER_TEMP" {
            cmd.env_remove(k);
        }
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1").env("HOME", dir);
    cmd.envs(env.iter().copied());
    cmd.output().expect("run gate")
}

/// `gate check IMAGE --trivy … --format json` on the pull request's event.
fn check_pr(r: &Repo, extra: &[&str]) -> (i32, Value, String) {
    let (img, trivy) = (image(), trivy());
    let mut args = vec!["check", &img, "--trivy", &trivy, "--format", "json"];
    args.extend(extra);
    let out = gate_in(
        &r.dir,
        &args,
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", r.event.to_str().unwrap()),
        ],
    );
    parse(out)
}

fn parse(out: Output) -> (i32, Value, String) {
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // Under Actions, workflow commands (`::warning …`) share stdout with the report.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: String = stdout
        .lines()
        .filter(|l| !l.starts_with("::"))
        .collect::<Vec<_>>()
        .join("\n");
    let v = serde_json::from_str(&json).unwrap_or(Value::Null);
    (code, v, stderr)
}

fn check<'a>(r: &'a Value, name: &str) -> Option<&'a Value> {
    r["checks"].as_array()?.iter().find(|c| c["name"] == name)
}

fn rules(r: &Value) -> Vec<(String, String)> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `(setting, old, new, direction)` of every policy change, as the JSON gives them.
fn changes(r: &Value) -> Vec<(String, Value, Value, String)> {
    r["policy_changes"]["changes"]
        .as_array()
        .unwrap_or_else(|| panic!("no policy_changes in {}", r["policy_changes"]))
        .iter()
        .map(|c| {
            (
                c["setting"].as_str().unwrap().to_string(),
                c["old"].clone(),
                c["new"].clone(),
                c["direction"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

const BASE_POLICY: &str = "[image]\nmax_size = \"1MB\"\n\n[security]\nfail_on = \"high\"\ntrivyignore = \".trivyignore\"\n";
const BASE_IGNORES: &str = "# accepted until the base image moves\nCVE-2019-18276 exp:2027-01-31\n";

/// The pull request raises max_size, turns a rule to allow, and ignores the critical CVE.
fn loosening_pr() -> Repo {
    repo(
        &[
            ("gate.toml", Some(BASE_POLICY)),
            (".trivyignore", Some(BASE_IGNORES)),
        ],
        &[
            (
                "gate.toml",
                Some("[image]\nmax_size = \"10MB\"\n\n[rules]\nlambda-runtime-interface = \"allow\"\n\n[security]\nfail_on = \"high\"\ntrivyignore = \".trivyignore\"\n"),
            ),
            (
                ".trivyignore",
                Some("# accepted until the base image moves\nCVE-2019-18276 exp:2028-12-31\nCVE-2019-18224\n"),
            ),
        ],
    )
}

#[test]
fn a_loosening_pull_request_is_held_to_its_bases_policy_and_shows_each_change() {
    let r = loosening_pr();
    // The pull request's own policy passes it: what a gate reading the working tree says.
    let (img, trivy) = (image(), trivy());
    let own = gate_in(
        &r.dir,
        &["check", &img, "--trivy", &trivy, "--format", "json"],
        &[],
    );
    assert_eq!(
        own.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&own.stderr)
    );

    let (code, v, err) = check_pr(&r, &[]);
    assert_eq!(code, 1, "{err}");
    // The base's budget and the base's ignores: the critical CVE still fails.
    assert_eq!(check(&v, "max-size").unwrap()["limit"], 1_000_000);
    assert_eq!(check(&v, "max-size").unwrap()["status"], "fail");
    let fail_on = check(&v, "security-fail-on").expect("security check");
    assert_eq!(fail_on["status"], "fail", "{fail_on}");
    let findings = rules(&v);
    assert!(findings.contains(&("lambda-runtime-interface".into(), "warning".into())));
    assert!(findings.contains(&("policy-loosened".into(), "warning".into())));

    let p = &v["policy_changes"];
    assert_eq!(p["base"], s(&r.base));
    assert_eq!(p["obeyed"], "base");
    assert_eq!(p["base_file"], "gate.toml");
    assert_eq!(
        changes(&v),
        [
            (
                "[image] max_size".into(),
                s("1.0 MB"),
                s("10.0 MB"),
                "loosening".into()
            ),
            (
                "[rules] lambda-runtime-interface".into(),
                s("warn"),
                s("allow"),
                "loosening".into()
            ),
            (
                "[[security.ignore]] CVE-2019-18224".into(),
                Value::Null,
                s("no expiry"),
                "loosening".into()
            ),
            (
                "[[security.ignore]] CVE-2019-18276".into(),
                s("2027-01-31"),
                s("2028-12-31"),
                "loosening".into()
            ),
        ]
    );
    assert_ne!(r.head, r.base);
}

#[test]
fn the_markdown_and_text_reports_carry_the_section() {
    let r = loosening_pr();
    let md_path = r.dir.join("../comment.md");
    let md_arg = md_path.to_str().unwrap().to_string();
    let (code, _, err) = check_pr(&r, &["--markdown-output", &md_arg]);
    assert_eq!(code, 1, "{err}");
    let md = std::fs::read_to_string(&md_path).unwrap();
    let section = md
        .split("#### Policy changes in this pull request")
        .nth(1)
        .unwrap_or_else(|| panic!("no policy section in {md}"));
    let section = section.split("\n#### ").next().unwrap();
    assert!(
        section.contains(&format!("base commit {}", &r.base[..12])),
        "{section}"
    );
    assert!(section.contains("| ⚠️ loosening | `[image] max_size` | `1.0 MB` | `10.0 MB` |"));
    assert!(section.contains(&format!(
        "| ⚠️ loosening | `[[security.ignore]] {CRITICAL}` | unset | `no expiry` |"
    )));
    assert!(section.contains("4 loosening"), "{section}");

    let (img, trivy) = (image(), trivy());
    let out = gate_in(
        &r.dir,
        &["check", &img, "--trivy", &trivy],
        &[
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", r.event.to_str().unwrap()),
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Policy changes in this pull request (4 loosening)"),
        "{text}"
    );
    assert!(text.contains("loosening   [image] max_size"), "{text}");
}

#[test]
fn a_tightening_pull_request_is_shown_and_not_yet_obeyed() {
    let r = repo(
        &[("gate.toml", Some("[image]\nmax_size = \"5MB\"\n"))],
        &[(
            "gate.toml",
            Some("[image]\nmax_size = \"1MB\"\n\n[rules]\nlambda-runtime-interface = \"deny\"\n"),
        )],
    );
    let (code, v, err) = check_pr(&r, &[]);
    // The CVE fails the run either way; the budget is the base's 5 MB, which passes.
    assert_eq!(code, 1, "{err}");
    assert_eq!(check(&v, "max-size").unwrap()["limit"], 5_000_000);
    assert_eq!(check(&v, "max-size").unwrap()["status"], "pass");
    assert!(!rules(&v).iter().any(|(r, _)| r == "policy-loosened"));
    assert_eq!(
        changes(&v),
        [
            (
                "[image] max_size".into(),
                s("5.0 MB"),
                s("1.0 MB"),
                "tightening".into()
            ),
            (
                "[rules] lambda-runtime-interface".into(),
                s("warn"),
                s("deny"),
                "tightening".into()
            ),
        ]
    );
}

#[test]
fn a_pull_request_that_deletes_gate_toml_still_gets_the_bases() {
    let r = repo(
        &[(
            "gate.toml",
            Some("[image]\nmax_size = \"1MB\"\n\n[rules]\nlambda-runtime-interface = \"allow\"\n"),
        )],
        &[("gate.toml", None)],
    );
    assert!(!r.dir.join("gate.toml").exists());
    let (code, v, err) = check_pr(&r, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(check(&v, "max-size").unwrap()["limit"], 1_000_000);
    // The base turned the rule off: its finding stays off.
    assert!(!rules(&v)
        .iter()
        .any(|(r, _)| r == "lambda-runtime-interface"));
    assert_eq!(v["policy_changes"]["head_file"], Value::Null);
    assert_eq!(
        changes(&v),
        [
            (
                "[image] max_size".into(),
                s("1.0 MB"),
                Value::Null,
                "loosening".into()
            ),
            (
                "[rules] lambda-runtime-interface".into(),
                s("allow"),
                s("warn"),
                "tightening".into()
            ),
        ]
    );
    assert!(rules(&v).contains(&("policy-loosened".into(), "warning".into())));
}

#[test]
fn a_pull_request_that_adds_gate_toml_is_compared_with_the_defaults() {
    let r = repo(
        &[],
        &[
            (
                "gate.toml",
                Some("[security]\nfail_on = \"critical\"\ntrivyignore = \".trivyignore\"\n"),
            ),
            (".trivyignore", Some("CVE-2019-18224\n")),
        ],
    );
    let (code, v, err) = check_pr(&r, &[]);
    // The defaults (fail on high, nothing ignored) apply: the critical CVE fails.
    assert_eq!(code, 1, "{err}");
    assert!(check(&v, "max-size").is_none());
    assert_eq!(v["policy_changes"]["base_file"], Value::Null);
    assert_eq!(v["policy_changes"]["head_file"], "gate.toml");
    assert_eq!(
        changes(&v),
        [
            (
                "[security] fail_on".into(),
                s("high"),
                s("critical"),
                "loosening".into()
            ),
            (
                format!("[[security.ignore]] {CRITICAL}"),
                Value::Null,
                s("no expiry"),
                "loosening".into()
            ),
        ]
    );
}

#[test]
fn policy_from_head_trusts_the_pull_request_and_still_shows_the_changes() {
    let r = loosening_pr();
    let (code, v, err) = check_pr(&r, &["--policy-from", "head"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(check(&v, "max-size").unwrap()["limit"], 10_000_000);
    assert_eq!(v["policy_changes"]["obeyed"], "head");
    assert_eq!(changes(&v).len(), 4);
    assert!(rules(&v).contains(&("policy-loosened".into(), "warning".into())));
    assert!(!rules(&v)
        .iter()
        .any(|(r, _)| r == "lambda-runtime-interface"));
}

#[test]
fn the_base_can_make_a_loosened_policy_fail_the_gate() {
    let base = "[image]\nmax_size = \"5MB\"\n\n[rules]\npolicy-loosened = \"deny\"\n";
    let r = repo(
        &[("gate.toml", Some(base))],
        &[(
            "gate.toml",
            Some("[image]\nmax_size = \"6MB\"\n\n[rules]\npolicy-loosened = \"allow\"\n"),
        )],
    );
    let (img, _) = (image(), ());
    let out = gate_in(
        &r.dir,
        &["check", &img, "--format", "json"],
        &[
            ("GITHUB_EVENT_NAME", "pull_request_target"),
            ("GITHUB_EVENT_PATH", r.event.to_str().unwrap()),
        ],
    );
    let (code, v, err) = parse(out);
    assert_eq!(code, 1, "{err}");
    assert_eq!(check(&v, "max-size").unwrap()["status"], "pass");
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "policy-loosened")
        .expect("policy-loosened");
    assert_eq!(f["severity"], "error");
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("`[image] max_size` 5.0 MB → 6.0 MB"));
}

#[test]
fn a_shallow_checkout_fetches_the_base_commit_from_origin() {
    let r = loosening_pr();
    let clone = r.dir.join("../clone");
    let url = format!("file://{}", r.dir.display());
    git(
        r.dir.parent().unwrap(),
        &[
            "clone", "-q", "--depth", "1", "--branch", "pr", &url, "clone",
        ],
    );
    // The clone holds the pull request's commit alone.
    let missing = Command::new("git")
        .args(["cat-file", "-e", &format!("{}^{{commit}}", r.base)])
        .current_dir(&clone)
        .output()
        .unwrap();
    assert!(!missing.status.success());
    let shallow = Repo {
        _tmp: tempfile::tempdir().unwrap(),
        dir: clone.clone(),
        base: r.base.clone(),
        head: r.head.clone(),
        event: r.event.clone(),
    };
    let (code, v, err) = check_pr(&shallow, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(check(&v, "max-size").unwrap()["limit"], 1_000_000);
    assert_eq!(changes(&v).len(), 4);
    assert_eq!(git(&clone, &["cat-file", "-t", &r.base]), "commit");
}

#[test]
fn a_base_that_cannot_be_had_exits_2_with_the_fix_and_never_reads_the_pull_requests_file() {
    let r = loosening_pr();
    let absent = "0123456789abcdef0123456789abcdef01234567";
    std::fs::write(&r.event, payload(absent, &r.head).to_string()).unwrap();
    let (code, v, err) = check_pr(&r, &[]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        v,
        Value::Null,
        "no report on a policy that could not be read"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(absent) && err.contains("fetch-depth: 0"),
        "{err}"
    );
    assert!(err.contains("policy-from: head"), "{err}");

    // A payload without a base, on a pull request event: no silent fallback either.
    std::fs::write(&r.event, r#"{"pull_request":{"number":42}}"#).unwrap();
    let (code, _, err) = check_pr(&r, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("pull_request.base.sha"), "{err}");

    // Not a git checkout at all.
    let bare = tempfile::tempdir().unwrap();
    std::fs::write(&r.event, payload(&r.base, &r.head).to_string()).unwrap();
    let not_repo = Repo {
        _tmp: tempfile::tempdir().unwrap(),
        dir: bare.path().to_path_buf(),
        base: r.base.clone(),
        head: r.head.clone(),
        event: r.event.clone(),
    };
    let (code, _, err) = check_pr(&not_repo, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a git repository"), "{err}");
}

#[test]
fn symbolic_links_are_refused_on_either_side() {
    // The base's gate.toml is a link (mode 120000) to a file the pull request could rewrite.
    let r = repo(&[("team/policy.toml", Some(BASE_POLICY))], &[]);
    git(&r.dir, &["checkout", "-q", "main"]);
    std::os::unix::fs::symlink("team/policy.toml", r.dir.join("gate.toml")).unwrap();
    git(&r.dir, &["add", "gate.toml"]);
    git(&r.dir, &["commit", "-qm", "link"]);
    let linked_base = git(&r.dir, &["rev-parse", "HEAD"]);
    assert_eq!(
        git(&r.dir, &["ls-tree", "HEAD", "gate.toml"])
            .split(' ')
            .next(),
        Some("120000")
    );
    git(&r.dir, &["checkout", "-q", "pr"]);
    std::fs::write(&r.event, payload(&linked_base, &r.head).to_string()).unwrap();
    let (code, _, err) = check_pr(&r, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a symbolic link in that commit"), "{err}");

    // The pull request's gate.toml a link to a file outside the repository.
    let r = repo(&[("gate.toml", Some(BASE_POLICY))], &[("gate.toml", None)]);
    let outside = r.dir.join("../secret.toml");
    std::fs::write(&outside, "[image]\nmax_size = \"9GB\"\n").unwrap();
    std::os::unix::fs::symlink(&outside, r.dir.join("gate.toml")).unwrap();
    let (code, _, err) = check_pr(&r, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("gate.toml: is a symbolic link"), "{err}");
}

#[test]
fn a_policy_over_a_mebibyte_at_the_base_is_an_error() {
    let big = format!("# {}\n", "x".repeat(1 << 20));
    let r = repo(
        &[("gate.toml", Some(&big))],
        &[("gate.toml", Some("[image]\n"))],
    );
    let (code, _, err) = check_pr(&r, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("over the 1 MiB a policy file may be"), "{err}");
}

#[test]
fn policy_base_names_any_ref_outside_actions() {
    let r = loosening_pr();
    let (img, trivy) = (image(), trivy());
    let out = gate_in(
        &r.dir,
        &[
            "check",
            &img,
            "--trivy",
            &trivy,
            "--format",
            "json",
            "--policy-base",
            "main",
        ],
        &[],
    );
    let (code, v, err) = parse(out);
    assert_eq!(code, 1, "{err}");
    assert_eq!(check(&v, "max-size").unwrap()["limit"], 1_000_000);
    assert_eq!(v["policy_changes"]["base"], s(&r.base));
    assert_eq!(changes(&v).len(), 4);

    // A ref that looks like an option is refused before git sees it.
    let out = gate_in(
        &r.dir,
        &["check", &img, "--policy-base=--upload-pack=touch pwned"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!r.dir.join("pwned").exists());
}

#[test]
fn the_action_reads_the_event_and_policy_from_head_opts_out() {
    let r = loosening_pr();
    let (img, trivy) = (image(), trivy());
    let summary = r.dir.join("../summary.md");
    let outputs = r.dir.join("../outputs");
    let env = |from: Option<&'static str>| {
        let mut e: Vec<(&str, String)> = vec![
            ("GITHUB_ACTIONS", "true".into()),
            ("GITHUB_EVENT_NAME", "pull_request".into()),
            ("GITHUB_EVENT_PATH", r.event.display().to_string()),
            ("GITHUB_STEP_SUMMARY", summary.display().to_string()),
            ("GITHUB_OUTPUT", outputs.display().to_string()),
            ("INPUT_IMAGE", img.clone()),
            ("INPUT_TRIVY-REPORT", trivy.clone()),
        ];
        if let Some(f) = from {
            e.push(("INPUT_POLICY-FROM", f.into()));
        }
        e
    };
    let run = |e: Vec<(&str, String)>| {
        let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
        gate_in(&r.dir, &["action"], &e)
    };
    let out = run(env(None));
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("#### Policy changes in this pull request"),
        "{md}"
    );
    assert!(md.contains("`[[security.ignore]] CVE-2019-18224`"), "{md}");

    let out = run(env(Some("head")));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--policy-from head"));
}

#[test]
fn dives_ci_file_is_the_bases_too() {
    let base_ci = "rules:\n  lowestEfficiency: 0.99\n  highestUserWastedPercent: disabled\n";
    let r = repo(&[(".dive-ci", Some(base_ci))], &[(".dive-ci", None)]);
    let img = image();
    // Without a base, the pull request has no .dive-ci: no dive checks.
    let own = parse(gate_in(&r.dir, &["check", &img, "--format", "json"], &[]));
    assert!(
        check(&own.1, "dive-lowest-efficiency").is_none(),
        "{}",
        own.2
    );

    let out = gate_in(
        &r.dir,
        &["check", &img, "--format", "json"],
        &[
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", r.event.to_str().unwrap()),
        ],
    );
    let (code, v, err) = parse(out);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        check(&v, "dive-lowest-efficiency").unwrap()["status"],
        "fail"
    );
    assert_eq!(
        changes(&v),
        [(
            "[.dive-ci] lowestEfficiency".into(),
            s("0.99"),
            Value::Null,
            "loosening".into()
        ),]
    );
}
