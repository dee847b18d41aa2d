//! lambda-gate: stand between `docker build` and production for Lambda container images.
//!
//! Data flows one way: inputs (`image`, `security`, `perf`) → facts → `policy` → verdict
//! (`report::Report`) → renderers (`report`) → sinks (`github`, files, the terminal).

pub mod aws;
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
pub mod rules;
pub mod security;
pub mod source;
pub mod term;
pub mod units;
