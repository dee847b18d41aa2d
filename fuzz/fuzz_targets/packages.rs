//! libFuzzer entry for the `packages` harness; the body lives in ../harness/packages.rs so
//! that tests/fuzz_corpus.rs replays the committed corpus through the same code on stable.
#![no_main]

#[path = "../harness/packages.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
