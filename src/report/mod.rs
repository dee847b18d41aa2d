//! The Report model and the renderers that turn it into text, JSON, Markdown, SARIF, HTML
//! and JUnit XML.
//!
//! Renderers read a `Report` and nothing else, so each can be tested from a value.

pub mod changes;
pub mod deployed_md;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod sarif;
pub mod sbom;
pub mod shards;
pub mod text;
pub mod words;

pub use model::*;
