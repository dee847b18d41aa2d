//! Issue 11, the hostile-input items that are not archives: scanner reports too large to
//! hold, ignore files too large to scan pairwise, stdout that is closed or full, outputs that
//! must not claim success after a failure, and configuration mistakes that must be named.

#[path = "support/guarded.rs"]
mod guarded;
mod support;

use std::io::{BufWriter, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};

use guarded::{gate_guarded, gate_guarded_with, Caps};
use support::{gate, image};

const IMAGE: &str = "dive-test-oci-gzip-image.tar";

/// Asserts exit 2 and one stderr line that contains every needle and none of `never`.
fn assert_error(out: &std::process::Output, needles: &[&str], never: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("gate: error: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "says {n:?}: {err}");
    }
    for n in never {
        assert!(!err.contains(n), "does not say {n:?}: {err}");
    }
}

/// Writes a Trivy SchemaVersion 2 report: `results` results of `per` items made by `item`.
fn trivy_report(
    path: &Path,
    results: usize,
    per: usize,
    key: &str,
    item: impl Fn(usize) -> serde_json::Value,
) {
    let mut w = BufWriter::new(std::fs::File::create(path).unwrap());
    write!(
        w,
        r#"{{"SchemaVersion": 2, "ArtifactName": "x", "Results": ["#
    )
    .unwrap();
    for r in 0..results {
        if r > 0 {
            w.write_all(b",").unwrap();
        }
        let items: Vec<serde_json::Value> = (0..per).map(|i| item(r * per + i)).collect();
        serde_json::to_writer(
            &mut w,
            &serde_json::json!({"Target": format!("t{r}"), "Class": "config", key: items}),
        )
        .unwrap();
    }
    w.write_all(b"]}").unwrap();
    w.flush().unwrap();
}

/// Item 5: a Trivy report is streamed: what it skips (here 80 MB of passed checks) is never
/// held. It took memory in proportion to the file before (233 MB for a 319 MB file).
#[test]
fn a_large_trivy_report_is_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("trivy.json");
    let long = "Enable the setting so that the resource is not exposed to the internet. ".repeat(4);
    trivy_report(&p, 100, 1_000, "Misconfigurations", |i| {
        serde_json::json!({
            "ID": format!("AVD-AWS-{:04}", i % 900), "Title": format!("check {i}: {long}"),
            "Resolution": long, "Severity": "HIGH", "Status": if i == 7 { "FAIL" } else { "PASS" },
            "PrimaryURL": format!("https://avd.aquasec.com/misconfig/{i}"),
        })
    });
    let size = std::fs::metadata(&p).unwrap().len();
    assert!(size > 70_000_000, "{size}");
    let r = gate_guarded(&["security", p.to_str().unwrap(), "--format", "json"]);
    assert_eq!(r.code, Some(1), "a HIGH failure: {}", r.stderr);
    let v = r.json();
    let findings = v["security"]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["location"], "t0");
    assert!(r.max_rss < 32 << 20, "peak RSS {} MB", r.max_rss >> 20);
}

/// Item 7: 5,000 ignores against 100,000 findings is a lookup per finding, not half a
/// billion comparisons (it did not finish in 60 s); a byte-order mark on the first line
/// does not hide the first id.
#[test]
fn trivyignore_is_a_set_and_survives_a_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("trivy.json");
    trivy_report(&report, 10, 10_000, "Vulnerabilities", |i| {
        serde_json::json!({
            "VulnerabilityID": format!("CVE-2024-{i}"), "PkgName": format!("p{}", i % 100),
            "InstalledVersion": "1", "Severity": "LOW",
        })
    });
    let ignore = dir.path().join(".trivyignore");
    let mut text = String::from("\u{feff}CVE-2024-0\n");
    for i in 1..5_000 {
        text.push_str(&format!("CVE-2024-{}\n", i * 20));
    }
    std::fs::write(&ignore, text).unwrap();
    let r = gate_guarded_with(
        &[
            "security",
            report.to_str().unwrap(),
            "--trivyignore",
            ignore.to_str().unwrap(),
            "--format",
            "json",
        ],
        Caps { cpu_seconds: 30 },
    );
    assert_eq!(r.code, Some(0), "signal {:?}: {}", r.signal, r.stderr);
    let v = r.json();
    let suppressed = v["security"]["suppressed"].as_array().unwrap();
    assert_eq!(suppressed.len(), 5_000);
    assert!(
        suppressed.iter().any(|f| f["id"] == "CVE-2024-0"),
        "the id after the BOM"
    );
    assert_eq!(v["security"]["findings"].as_array().unwrap().len(), 95_000);
}

/// A pipe whose reading end is already closed.
fn closed_pipe() -> Stdio {
    let mut fds = [0; 2];
    // SAFETY: pipe(2) fills two fresh descriptors we then own.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    drop(unsafe { OwnedFd::from_raw_fd(fds[0]) });
    Stdio::from(unsafe { OwnedFd::from_raw_fd(fds[1]) })
}

/// Item 11: `gate check … | head -c1` is a quiet exit with the verdict's code, as ripgrep
/// does; `> /dev/full` is exit 2 naming stdout. Neither is an "internal error".
#[test]
fn a_closed_pipe_is_quiet_and_a_full_disk_names_stdout() {
    let img = image(IMAGE);
    let verdict = gate(&["check", img.to_str().unwrap()]).status.code();
    assert!(matches!(verdict, Some(0 | 1)));
    for format in ["text", "json"] {
        let out = Command::new(env!("CARGO_BIN_EXE_gate"))
            .args(["check", img.to_str().unwrap(), "--format", format])
            .stdout(closed_pipe())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "",
            "quiet on a closed pipe"
        );
        assert_eq!(out.status.code(), verdict, "the verdict's exit code");
    }
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(["check", img.to_str().unwrap()])
        .stdout(full)
        .output()
        .unwrap();
    assert_error(
        &out,
        &["stdout", "no space left on device"],
        &["internal error"],
    );
}

/// Item 12: when any output fails, no output file claiming success is left behind (and no
/// temporary file either); when all succeed, every file is complete.
#[test]
fn outputs_are_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let sarif = dir.path().join("r.sarif");
    let img = image(IMAGE);
    let out = gate(&[
        "check",
        img.to_str().unwrap(),
        "--output",
        json.to_str().unwrap(),
        "--markdown-output",
        "/dev/full",
        "--sarif-output",
        sarif.to_str().unwrap(),
    ]);
    assert_error(&out, &["/dev/full", "no space left on device"], &[]);
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    // A report into a missing directory fails the same way, after the others were written.
    let out = gate(&[
        "check",
        img.to_str().unwrap(),
        "--output",
        json.to_str().unwrap(),
        "--sarif-output",
        dir.path().join("no/such/dir/r.sarif").to_str().unwrap(),
    ]);
    assert_error(&out, &["no/such/dir/r.sarif", "no such file"], &[]);
    assert!(!json.exists());

    // And when everything can be written, everything is.
    let out = gate(&[
        "check",
        img.to_str().unwrap(),
        "--output",
        json.to_str().unwrap(),
        "--sarif-output",
        sarif.to_str().unwrap(),
    ]);
    assert!(matches!(out.status.code(), Some(0 | 1)));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert!(r["verdict"].is_string());
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    assert_eq!(s["version"], "2.1.0");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

/// Item 13: each configuration mistake names the file, the key and what is expected.
#[test]
fn configuration_mistakes_name_the_file_the_key_and_what_is_expected() {
    let dir = tempfile::tempdir().unwrap();
    let out = gate(&["security", dir.path().to_str().unwrap()]);
    assert_error(
        &out,
        &[
            dir.path().to_str().unwrap(),
            "is a directory",
            "scanner report",
        ],
        &["os error"],
    );

    let img = image(IMAGE);
    let cases: [(&str, &[&str], &[&str]); 4] = [
        (
            "[image]\nmin_efficiency = nan\n",
            &["[image] min_efficiency", "between 0 and 1"],
            &["--min-efficiency"],
        ),
        (
            "[image]\nmax_size = true\n",
            &["[image] max_size", "a size", "500MB"],
            &["untagged", "variant"],
        ),
        (
            "[image]\nplatform = \"////\"\n",
            &["[image] platform", "os/arch"],
            &[],
        ),
        (
            "[rules]\nmin_bytes = [1]\n",
            &["[rules] min_bytes", "a size"],
            &["untagged"],
        ),
    ];
    for (text, needles, never) in cases {
        let policy = dir.path().join("gate.toml");
        std::fs::write(&policy, text).unwrap();
        let out = gate(&[
            "check",
            img.to_str().unwrap(),
            "--policy",
            policy.to_str().unwrap(),
        ]);
        let mut all = vec![policy.to_str().unwrap()];
        all.extend(needles);
        assert_error(&out, &all, never);
    }
    let out = gate(&["check", img.to_str().unwrap(), "--platform", "////"]);
    assert_error(&out, &["--platform", "os/arch"], &[]);
}

/// Issue 24: `gate check img.tar -o r.json` with `r.json` a symlink (committed to the pull
/// request's workspace) wrote through it, over the file it names. Every output now refuses
/// a link at its path, exit 2 naming it, and the link's target is left as it was.
#[test]
fn an_output_path_that_is_a_symlink_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("event.json");
    std::fs::write(&victim, b"{\"secret\": true}\n").unwrap();
    let img = image(IMAGE);
    for flag in [
        "-o",
        "--markdown-output",
        "--sarif-output",
        "--html",
        "--junit",
        "--sbom-output",
    ] {
        let link = dir.path().join("r.out");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_gate"))
            .current_dir(dir.path())
            .args(["check", img.to_str().unwrap(), flag, "r.out"])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_error(&out, &["r.out", "symbolic link"], &[]);
        assert_eq!(
            std::fs::read(&victim).unwrap(),
            b"{\"secret\": true}\n",
            "{flag}: the link's target is unchanged"
        );
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink(),
            "{flag}: the link itself is left alone"
        );
    }
    // A dangling link (which would create the file it names) is refused the same way.
    let link = dir.path().join("dangling.json");
    std::os::unix::fs::symlink(dir.path().join("created.json"), &link).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .current_dir(dir.path())
        .args(["check", img.to_str().unwrap(), "-o", "dangling.json"])
        .output()
        .unwrap();
    assert_error(&out, &["dangling.json", "symbolic link"], &[]);
    assert!(!dir.path().join("created.json").exists());
    // No temporary file is left behind either.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

/// A directory link committed to the workspace (`reports -> /elsewhere`) would take
/// `-o reports/r.json` out of the checkout: refused, and nothing is written where it points.
#[test]
fn an_output_under_a_directory_link_in_the_workspace_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(work.join("real")).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, work.join("reports")).unwrap();
    let img = image(IMAGE);
    for path in ["reports/r.json", "real/../reports/r.json"] {
        let out = Command::new(env!("CARGO_BIN_EXE_gate"))
            .current_dir(&work)
            .args(["check", img.to_str().unwrap(), "-o", path])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_error(&out, &["reports", "symbolic link"], &[]);
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0, "{path}");
    }
    // A real directory in the workspace is written as before.
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .current_dir(&work)
        .args(["check", img.to_str().unwrap(), "-o", "real/r.json"])
        .output()
        .unwrap();
    assert!(out.status.code().unwrap() < 2, "{out:?}");
    assert!(work.join("real/r.json").is_file());
}
