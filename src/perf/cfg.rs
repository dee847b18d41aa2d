//! The `[perf]` table of gate.toml.
//!
//! (Stub: its issue fills the fields and their validation.)

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PerfConfig {}
