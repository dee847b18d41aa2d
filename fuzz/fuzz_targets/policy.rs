//! libFuzzer entry for the `policy` harness; the body lives in ../harness/policy.rs so that
//! tests/fuzz_corpus.rs replays the committed corpus through the same code on stable.
#![no_main]

#[path = "../harness/policy.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
