//! Replays every committed fuzz corpus (fuzz/corpus/<target>/*) through the same harness the
//! fuzzer runs, on stable, so that a crash the fuzzer once found stays fixed. The harnesses
//! live in fuzz/harness/ and hold the invariants; `scripts/fuzz.sh` runs the fuzzers.

use std::path::Path;

#[path = "../fuzz/harness/tarfix.rs"]
mod tarfix;

#[path = "../fuzz/harness/archive.rs"]
mod archive;
#[path = "../fuzz/harness/layer.rs"]
mod layer;
#[path = "../fuzz/harness/packages.rs"]
mod packages;
#[path = "../fuzz/harness/policy.rs"]
mod policy;
#[path = "../fuzz/harness/render.rs"]
mod render;
#[path = "../fuzz/harness/scanners.rs"]
mod scanners;
#[path = "../fuzz/harness/threshold.rs"]
mod threshold;

/// Runs `run` on every input of the target's corpus; the corpus must not be empty, or this
/// test would pass on nothing.
fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target}: {} fails", path.display());
        n += 1;
    }
    assert!(n > 0, "{}: empty corpus", dir.display());
}

#[test]
fn archive_corpus() {
    replay("archive", archive::run);
}

#[test]
fn layer_corpus() {
    replay("layer", layer::run);
}

#[test]
fn scanners_corpus() {
    replay("scanners", scanners::run);
}

#[test]
fn policy_corpus() {
    replay("policy", policy::run);
}

#[test]
fn threshold_corpus() {
    replay("threshold", threshold::run);
}

#[test]
fn render_corpus() {
    replay("render", render::run);
}

#[test]
fn packages_corpus() {
    replay("packages", packages::run);
}
