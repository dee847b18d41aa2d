//! `--baseline`: the base branch's JSON report, and what a pull request is compared against:
//! layers matched by digest then instruction, relative budgets, findings new or existing.

mod support;

use std::path::Path;

use support::{check, fixtures, gate, gate_json, image};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Writes `gate check IMAGE [extra…]`'s JSON report into `dir/name` and returns its path.
fn report_of(dir: &Path, name: &str, img: &Path, extra: &[&str]) -> std::path::PathBuf {
    let out = dir.join(name);
    let mut args = vec!["check", s(img), "--output", s(&out)];
    args.extend(extra);
    let o = gate(&args);
    assert!(
        o.status.code().unwrap() < 2,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

#[test]
fn relative_budgets_compare_against_the_base_report() {
    let dir = tempfile::tempdir().unwrap();
    let base_img = image("containers-image-almostempty.tar");
    let new_img = image("dive-test-docker-image.tar");
    let base = report_of(dir.path(), "base.json", &base_img, &[]);
    let (_, b) = gate_json(&["check", s(&base_img)]);
    let (_, n) = gate_json(&["check", s(&new_img)]);
    let grew =
        n["image"]["size_bytes"].as_i64().unwrap() - b["image"]["size_bytes"].as_i64().unwrap();
    let was_c = b["image"]["compressed_bytes"].as_u64().unwrap();
    let grew_c = n["image"]["compressed_bytes"].as_u64().unwrap() - was_c;
    assert!(grew > 1000);

    // 1 kB of growth allowed: the image grew by more, so the gate fails and says by how much.
    let (code, r) = gate_json(&[
        "check",
        s(&new_img),
        "--baseline",
        s(&base),
        "--max-size-increase",
        "1kB",
    ]);
    assert_eq!(code, 1);
    let c = check(&r, "max-size-increase");
    assert_eq!(c["status"], "fail");
    assert_eq!(c["actual"], grew);
    assert_eq!(c["limit"], 1000);

    // A percent is of the base's figure: just above the growth passes, just below fails.
    let pct_needed = grew_c as f64 * 100.0 / was_c as f64;
    for (pct, want) in [(pct_needed * 1.01, "pass"), (pct_needed * 0.99, "fail")] {
        let (_, r) = gate_json(&[
            "check",
            s(&new_img),
            "--baseline",
            s(&base),
            "--max-compressed-increase",
            &format!("{pct}%"),
        ]);
        let c = check(&r, "max-compressed-increase");
        assert_eq!(c["status"], want, "{pct}%: {c:#}");
        assert_eq!(c["actual"], grew_c);
    }

    // Without a baseline the budget cannot be checked, and the report says so.
    let (code, r) = gate_json(&["check", s(&new_img), "--max-size-increase", "1kB"]);
    assert_eq!(code, 0);
    assert!(r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["name"] != "max-size-increase"));
    assert!(
        r["notes"].to_string().contains("no baseline"),
        "{}",
        r["notes"]
    );
}

#[test]
fn layers_match_by_instruction_across_formats_and_are_new_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    // The same image compressed with gzip and with zstd: other digests, same instruction,
    // same contents.
    let gzip = image("dive-test-oci-gzip-image.tar");
    let oci = image("dive-test-oci-zstd-image.tar");
    let base = report_of(dir.path(), "base.json", &gzip, &[]);
    let other = report_of(
        dir.path(),
        "other.json",
        &image("dive-test-docker-image.tar"),
        &[],
    );

    let layer_rows = |baseline: &Path| -> Vec<String> {
        let o = gate(&[
            "check",
            s(&oci),
            "--baseline",
            s(baseline),
            "--format",
            "markdown",
        ]);
        let md = String::from_utf8(o.stdout).unwrap();
        md.lines()
            .skip_while(|l| !l.starts_with("| layer | size | vs base |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(str::to_string)
            .collect()
    };
    let same = layer_rows(&base);
    assert_eq!(same.len(), 1, "{same:#?}");
    for row in &same {
        assert_eq!(row.split('|').nth(3).unwrap().trim(), "0 B", "{row}");
    }
    let unrelated = layer_rows(&other);
    assert_eq!(unrelated.len(), 1);
    for row in &unrelated {
        assert_eq!(row.split('|').nth(3).unwrap().trim(), "new", "{row}");
    }

    // The JSON records what it was compared with.
    let (_, r) = gate_json(&["check", s(&oci), "--baseline", s(&base)]);
    let (_, d) = gate_json(&["check", s(&gzip)]);
    assert_ne!(
        r["image"]["compressed_bytes"],
        d["image"]["compressed_bytes"]
    );
    assert_eq!(r["baseline"]["size_bytes"], d["image"]["size_bytes"]);
    assert_eq!(
        r["baseline"]["compressed_bytes"],
        d["image"]["compressed_bytes"]
    );
}

#[test]
fn security_findings_are_new_or_existing_against_the_base() {
    let dir = tempfile::tempdir().unwrap();
    let img = image("dive-test-docker-image.tar");
    let trivy = fixtures().join("reports/trivy/debian-buster.json");
    let base = report_of(dir.path(), "base.json", &img, &["--trivy", s(&trivy)]);
    let (_, r) = gate_json(&[
        "check",
        s(&img),
        "--trivy",
        s(&trivy),
        "--baseline",
        s(&base),
    ]);
    let sec = &r["security"];
    let total = sec["findings"].as_array().unwrap().len();
    assert!(total > 0);
    assert_eq!(sec["counts"]["new"], 0);
    assert!(sec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["status"] == "existing"));

    // Against a base without a scan, every finding is new; --new-only then fails on them.
    let bare = report_of(dir.path(), "bare.json", &img, &[]);
    let (code, r) = gate_json(&[
        "check",
        s(&img),
        "--trivy",
        s(&trivy),
        "--baseline",
        s(&bare),
        "--new-only",
        "--fail-on",
        "low",
    ]);
    assert_eq!(r["security"]["counts"]["new"], total);
    assert_eq!(code, 1);
}
