//! The Report model and the renderers that turn it into text, JSON, Markdown and SARIF.
//!
//! Renderers read a `Report` and nothing else, so each can be tested from a value.

pub mod json;
pub mod markdown;
pub mod model;
pub mod sarif;
pub mod text;
pub mod words;

pub use model::*;
