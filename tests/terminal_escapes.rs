//! Terminal injection: an image, a scanner report or a command line whose strings carry ESC,
//! BEL, C1 controls, CR or bidi overrides must never put them on the terminal raw — not in
//! the report on stdout, not in a line on stderr. Each case hands `gate` such strings where
//! a user's input would carry them and reads every byte it printed.

mod support;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use support::gate;

/// A window-title OSC, a bell, clear-screen, a CR that would overwrite the line, a C1 CSI,
/// a right-to-left override and an isolate.
const HOSTILE: &str = "\x1b]0;owned\x07\x1b[2J\rfake\u{9b}31m\u{202e}gpj.exe\u{2066}";

/// What must not reach a terminal raw (an independent list, not the gate's own predicate):
/// C0 controls but newline, DEL, C1, and the bidi embeddings, overrides and isolates.
fn raw_control(c: char) -> bool {
    let n = c as u32;
    (n < 0x20 && c != '\n')
        || (0x7f..=0x9f).contains(&n)
        || (0x202a..=0x202e).contains(&n)
        || (0x2066..=0x2069).contains(&n)
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let s = String::from_utf8_lossy(bytes);
    if let Some((i, c)) = s.chars().enumerate().find(|(_, c)| raw_control(*c)) {
        let around: String = s.chars().skip(i.saturating_sub(60)).take(80).collect();
        panic!("{what}: raw {c:?} at character {i}: {around:?}");
    }
}

fn sha(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

fn tar_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// A docker-archive whose tag, history and file names carry `HOSTILE`: layer 0 writes a
/// 1.2 MB file with it in its name (over the rules' 1 MB floor, so a layer-waste finding
/// quotes both instructions), layer 1 deletes it (so it is listed as hidden). `layers`
/// overrides the layer file names manifest.json lists.
fn hostile_archive(dir: &Path, name: &str, layers: Option<Vec<String>>) -> PathBuf {
    let evil_file = format!("tmp/{HOSTILE}.bin");
    let big = vec![0u8; 1_200_000];
    let l0 = tar_bytes(&[
        ("var/task/app.py", b"def handler(e, c):\n    return {}\n"),
        (&evil_file, &big),
    ]);
    let l1 = tar_bytes(&[(&format!("tmp/.wh.{HOSTILE}.bin"), b"")]);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["app.handler"], "Env": ["LAMBDA_TASK_ROOT=/var/task"]},
        "rootfs": {"type": "layers", "diff_ids": [sha(&l0), sha(&l1)]},
        "history": [
            {"created_by": format!("/bin/sh -c echo {HOSTILE} > '/tmp/{HOSTILE}.bin'")},
            {"created_by": format!("/bin/sh -c rm -f '/tmp/{HOSTILE}.bin'")},
        ],
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": "config.json",
        "RepoTags": [format!("evil{HOSTILE}:latest")],
        "Layers": layers.unwrap_or_else(|| vec!["l0/layer.tar".into(), "l1/layer.tar".into()]),
    }]))
    .unwrap();
    let archive = tar_bytes(&[
        ("manifest.json", &manifest),
        ("config.json", &config),
        ("l0/layer.tar", &l0),
        ("l1/layer.tar", &l1),
    ]);
    let path = dir.join(name);
    std::fs::write(&path, archive).unwrap();
    path
}

/// A Trivy report whose target, ids, package and title carry `HOSTILE`.
fn hostile_trivy(dir: &Path) -> PathBuf {
    let report = serde_json::json!({
        "SchemaVersion": 2,
        "ArtifactName": HOSTILE,
        "Results": [{
            "Target": HOSTILE,
            "Vulnerabilities": [{
                "VulnerabilityID": format!("CVE-2024-{HOSTILE}"),
                "PkgName": HOSTILE,
                "InstalledVersion": HOSTILE,
                "FixedVersion": HOSTILE,
                "Severity": "HIGH",
                "Title": HOSTILE,
            }],
        }],
    });
    let path = dir.join("trivy.json");
    std::fs::write(&path, report.to_string()).unwrap();
    path
}

/// Every field the text report shows, from a real image and a real scanner report, printed
/// with its control characters as visible escapes.
#[test]
fn the_report_shows_hostile_strings_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let img = hostile_archive(dir.path(), "evil.tar", None);
    let trivy = hostile_trivy(dir.path());
    for format in ["text", "markdown"] {
        let out = gate(&[
            "check",
            img.to_str().unwrap(),
            "--trivy",
            trivy.to_str().unwrap(),
            "--format",
            format,
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{format}: exit {:?}, stderr {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_clean(&format!("{format} stdout"), &out.stdout);
        assert_clean(&format!("{format} stderr"), &out.stderr);
        // The strings did reach the report, as escapes a reader can see.
        let shown = stdout.matches("\\x1b]0;owned\\x07").count();
        assert!(shown >= 4, "{format}: escaped {shown} times:\n{stdout}");
        assert!(stdout.contains("\\u{202e}gpj.exe"), "{stdout}");
    }
    // The scanner report alone, as `gate security` lists it.
    let out = gate(&["security", trivy.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a high finding fails the default policy"
    );
    assert_clean("security stdout", &out.stdout);
    assert_clean("security stderr", &out.stderr);
    assert!(String::from_utf8_lossy(&out.stdout).contains("\\x1b]0;owned"));
}

/// The text report of every string field of a real report, each made hostile in turn.
#[test]
fn every_string_of_a_report_is_escaped_in_the_text_report() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/function-naive-report.json");
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // Make every string hostile that the model accepts hostile (enums like `verdict` do not).
    let mut changed = 0;
    let mut pointers = Vec::new();
    collect_strings(&value, String::new(), &mut pointers);
    for p in pointers {
        let before = value.pointer(&p).unwrap().clone();
        *value.pointer_mut(&p).unwrap() = format!("{}{HOSTILE}", before.as_str().unwrap()).into();
        if serde_json::from_value::<lambda_gate::report::Report>(value.clone()).is_ok() {
            changed += 1;
        } else {
            *value.pointer_mut(&p).unwrap() = before;
        }
    }
    assert!(changed > 100, "{changed} strings made hostile");
    let report: lambda_gate::report::Report = serde_json::from_value(value).unwrap();
    let text = lambda_gate::report::text::render(&report);
    assert_clean("text report", text.as_bytes());
    assert!(text.contains("\\x1b]0;owned"), "{text}");
    let md = lambda_gate::report::markdown::render(&report);
    assert_clean("markdown report", md.as_bytes());
}

fn collect_strings(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(_) => out.push(at),
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                collect_strings(x, format!("{at}/{i}"), out);
            }
        }
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                let k = k.replace('~', "~0").replace('/', "~1");
                collect_strings(x, format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
}

/// Error lines quote what the user's input said: a layer manifest.json names, a flag value.
#[test]
fn error_lines_show_hostile_input_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("{HOSTILE}/layer.tar");
    let img = hostile_archive(
        dir.path(),
        "missing-layer.tar",
        Some(vec!["l0/layer.tar".into(), missing]),
    );
    let out = gate(&["check", img.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_clean("stderr of a missing layer", &out.stderr);
    assert!(err.contains("\\x1b]0;owned\\x07"), "names the layer: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");

    // A flag value clap rejects, quoted back in its error.
    let out = gate(&["check", "x.tar", "--format", HOSTILE]);
    assert_eq!(out.status.code(), Some(2));
    assert_clean("stderr of a bad flag", &out.stderr);
    // (clap itself drops ESC sequences; CR, C1 and bidi it passes on.)
    assert!(String::from_utf8_lossy(&out.stderr).contains("\\rfake\\x9b31m\\u{202e}"));

    // A file name in an unreadable-input error.
    let p = dir.path().join(format!("{HOSTILE}.json"));
    let out = gate(&["security", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_clean("stderr of a missing report", &out.stderr);
}
