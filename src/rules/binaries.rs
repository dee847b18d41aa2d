//! Compiled executables: a Rust binary that does not say what it was built from.
//!
//! The inventory reads cargo-auditable's `.dep-v0` from Rust executables; one built without
//! it leaves every crate out of the inventory, the SBOM and the RustSec audit, and nothing
//! else in the report would say so. Informational (a `note` in SARIF): the binary works, the
//! audit is blind to it. The executables come from the inventory, which `check` hands over
//! (the rules sit beside `packages`, not above it).

use super::{Ctx, Draft, Sink};
use crate::model::{Finding, RuleId};
use crate::units::format_size;

/// One Rust executable without the dependency list: (absolute path, layer, bytes).
pub type Unaudited = (String, usize, u64);

pub fn check(ctx: &Ctx, bins: &[Unaudited]) -> Vec<Finding> {
    let mut sink = Sink::new(ctx.cfg);
    for (path, layer, bytes) in bins {
        sink.inform(Draft {
            code: RuleId::RustNotAuditable,
            message: format!(
                "{} writes the Rust executable {path} ({}) without cargo-auditable's dependency list: its crates are not in the inventory, the SBOM or the RustSec audit",
                ctx.layer_name(*layer),
                format_size(*bytes)
            ),
            bytes: *bytes,
            layer: Some(*layer),
            created_by: ctx.created_by(*layer),
            paths: vec![path.clone()],
            fix: "build it with `cargo auditable build --release` (`cargo install cargo-auditable`): \
                  the crates it was built from are then recorded in the binary, where this gate, \
                  `cargo audit bin`, Trivy and syft read them; a cargo-lambda build needs the same \
                  (cargo-auditable's wrapper around the cargo it runs)"
                .into(),
            references: vec!["https://github.com/rust-secure-code/cargo-auditable".into()],
        });
    }
    sink.findings
}
