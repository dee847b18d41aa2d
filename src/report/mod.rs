//! The renderers that turn the report (`crate::model`) into text, JSON, Markdown, SARIF, HTML
//! and JUnit XML.
//!
//! Renderers read a `Report` and nothing else, so each can be tested from a value. The model
//! is re-exported here so callers above (the binary, the tests) keep one path for both.

pub mod changes;
pub mod deployed_rows;
pub mod history;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod markdown_escape;
pub mod perf_compare;
pub mod policy_section;
pub mod sarif;
pub mod sbom;
pub mod shards;
pub mod text;
pub mod trend;
pub mod words;

pub use crate::model::*;
