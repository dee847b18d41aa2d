//! libFuzzer entry for the `layer` harness; the body lives in ../harness/layer.rs so that
//! tests/fuzz_corpus.rs replays the committed corpus through the same code on stable.
#![no_main]

#[path = "../harness/tarfix.rs"]
mod tarfix;

#[path = "../harness/layer.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
