//! The trend: `gate history append` writes one line per main build, `--history` draws the
//! last of them in the comment and the HTML report. Reports of real images (shared fixtures).

mod support;

use std::path::Path;
use std::process::Command;

use support::{gate, image};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn report_of(dir: &Path, name: &str, img: &str) -> (std::path::PathBuf, serde_json::Value) {
    let out = dir.join(name);
    let o = gate(&["check", s(&image(img)), "--output", s(&out)]);
    assert!(
        o.status.code().unwrap() < 2,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    (out, v)
}

fn append(report: &Path, to: &Path, commit: &str, time: &str) {
    let o = gate(&[
        "history",
        "append",
        s(report),
        "--to",
        s(to),
        "--commit",
        commit,
        "--time",
        time,
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn appended_builds_come_back_as_a_sparkline_in_the_comment_and_the_html() {
    let dir = tempfile::tempdir().unwrap();
    let (small, s_json) = report_of(dir.path(), "small.json", "containers-image-almostempty.tar");
    let (big, b_json) = report_of(dir.path(), "big.json", "dive-test-docker-image.tar");
    let hist = dir.path().join("history.jsonl");
    append(&small, &hist, "aaa111", "2026-11-01T10:00:00Z");
    append(&small, &hist, "bbb222", "2026-11-15T10:00:00Z");
    append(&big, &hist, "ccc333", "2026-12-01T10:00:00Z");

    let text = std::fs::read_to_string(&hist).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["commit"], "ccc333");
    assert_eq!(lines[2]["size_bytes"], b_json["image"]["size_bytes"]);
    assert_eq!(
        lines[0]["compressed_bytes"],
        s_json["image"]["compressed_bytes"]
    );

    let md = dir.path().join("comment.md");
    let html = dir.path().join("report.html");
    let o = gate(&[
        "check",
        s(&image("dive-test-docker-image.tar")),
        "--history",
        s(&hist),
        "--markdown-output",
        s(&md),
        "--html",
        s(&html),
    ]);
    assert!(
        o.status.code().unwrap() < 2,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let md = std::fs::read_to_string(&md).unwrap();
    let grew = b_json["image"]["size_bytes"].as_i64().unwrap()
        - s_json["image"]["size_bytes"].as_i64().unwrap();
    let want = format!(
        "main grew {} in 30 days",
        lambda_gate::units::format_delta(grew as i128)
    );
    let row = md
        .lines()
        .find(|l| l.starts_with("| image size |"))
        .unwrap_or_else(|| panic!("no trend row in\n{md}"));
    assert!(row.contains("▁▁█"), "{row}");
    assert!(row.contains(&want), "{row} lacks {want}");
    assert!(md.contains("Trend on main (last 3 builds)"), "{md}");
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(html.contains("Trend on main") && html.contains("▁▁█") && html.contains(&want));
}

#[test]
fn a_malformed_history_line_is_a_note_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let (small, _) = report_of(dir.path(), "small.json", "containers-image-almostempty.tar");
    let hist = dir.path().join("history.jsonl");
    append(&small, &hist, "aaa111", "2026-11-01T10:00:00Z");
    // Invented by hand: what a conflicted merge of the history branch leaves behind.
    let mut text = std::fs::read_to_string(&hist).unwrap();
    text.push_str("<<<<<<< HEAD\n");
    std::fs::write(&hist, text).unwrap();
    append(&small, &hist, "bbb222", "2026-11-02T10:00:00Z");
    let out = dir.path().join("r.json");
    let o = gate(&[
        "check",
        s(&image("containers-image-almostempty.tar")),
        "--history",
        s(&hist),
        "--output",
        s(&out),
    ]);
    assert!(
        o.status.code().unwrap() < 2,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(r["history"]["entries"].as_array().unwrap().len(), 2);
    let notes = r["notes"].to_string();
    assert!(notes.contains("skipped 1 history line"), "{notes}");
}

#[test]
fn append_without_a_commit_is_bad_usage() {
    let dir = tempfile::tempdir().unwrap();
    let (small, _) = report_of(dir.path(), "small.json", "containers-image-almostempty.tar");
    let hist = dir.path().join("history.jsonl");
    let o = Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(["history", "append", s(&small), "--to", s(&hist)])
        .env_remove("GITHUB_SHA")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("GITHUB_SHA"));
    assert!(!hist.exists());
}
