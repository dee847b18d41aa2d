//! One file per post-deploy rule; `super::RULES` registers them.

pub mod architecture_mismatch;
pub mod image_drift;
pub mod image_uri_missing;
pub mod image_uri_unpinned;
pub mod image_zip_settings;
pub mod log_retention;
pub mod memory_headroom;
pub mod no_dlq;
pub mod no_reserved_concurrency;
#[cfg(test)]
mod testing;
pub mod timeout_margin;
pub mod tracing_off;
