//! libFuzzer entry for the `threshold` harness; the body lives in ../harness/threshold.rs so that
//! tests/fuzz_corpus.rs replays the committed corpus through the same code on stable.
#![no_main]

#[path = "../harness/threshold.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
