//! Rules: one file per family; each sees the image's facts and emits findings with a fix.
//!
//! (Stub: the rules issue fills this module.)

pub mod cfg;

use crate::image::{Image, Scan};
use crate::policy::Policy;
use crate::report::Finding;

/// Runs every rule family over the image's facts.
pub fn run(_image: &Image, _scan: &Scan, _policy: &Policy) -> Vec<Finding> {
    Vec::new()
}
