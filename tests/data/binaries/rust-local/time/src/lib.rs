//! Not crates.io's `time`: a local crate of the same name and version.
pub fn now() -> u32 {
    43
}
