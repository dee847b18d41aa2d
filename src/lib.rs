//! lambda-gate: stand between `docker build` and production for Lambda container images.
//!
//! Data flows one way: inputs (`image`, `source`, `security`, `perf`) → facts (`model`) →
//! `policy` → verdict (`model::Report`) → renderers (`report`) → sinks (`github`, files, the
//! terminal). The imports follow it, lowest first:
//!
//! - `units`, `term`: figures and escapes people read; `runtime`, `retry`: how async and HTTP
//!   calls are run and tried again;
//! - `image`, `aws`: bytes of an image, calls to AWS;
//! - `model`: the report's data, which every layer above fills or reads;
//! - `packages`, `security`, `perf`, `rules`, and the renderers in `report`;
//! - `budget`, `deployed`, `delta`, `package_policy`, `source`;
//! - `policy` (gate.toml and the flags over it), then `check` and `github`; the binary's `cli`.
//!
//! `tests/layers.rs` reads every file's imports and fails on one that points up, or on two
//! files of one module that use each other.

pub mod aws;
pub mod budget;
pub mod check;
pub mod delta;
pub mod deployed;
pub mod github;
pub mod image;
pub mod model;
pub mod package_policy;
pub mod packages;
pub mod perf;
pub mod policy;
pub mod report;
pub mod retry;
pub mod rules;
pub mod runtime;
pub mod security;
pub mod source;
pub mod term;
pub mod units;
