//! Rust crates compiled into executables built with `cargo auditable` (cargo-lambda's
//! `cargo lambda build` too, with auditable on): the `.dep-v0` list `binary.rs` extracted in
//! the layer walk. Each crate is a package of ecosystem `cargo` found at the binary's path; the
//! binary's own (root) crate owns the binary's bytes.
//!
//! Where a crate came from: purl-spec's `pkg:cargo` is a crates.io crate; for one from git, a
//! path or another registry, purl-spec would add `vcs_url` or `repository_url`, but
//! cargo-auditable records only the kind of source (`git`, `local`, `registry`), not its URL.
//! Such a crate keeps `pkg:cargo/NAME@VERSION`, as syft and Trivy write every crate, and
//! `source` says where it came from (absent for crates.io): the RustSec audit skips it as
//! `cargo audit bin` does, and the SBOM carries it as a property. Build-only crates (build
//! scripts, proc-macros) are listed with `build_only` (syft and Trivy leave them out;
//! `cargo audit bin` audits them).

use super::binary::{self, Record};
use super::{purl, Files, Found, OsRelease, Reader};

pub struct Cargo;

/// cargo-auditable's name for crates.io, the registry `pkg:cargo` purls mean.
const CRATES_IO: &str = "crates.io";

impl Reader for Cargo {
    fn ecosystem(&self) -> crate::model::Ecosystem {
        crate::model::Ecosystem::Cargo
    }

    /// Executables are found by their magic bytes, not their paths (`binary::executables`).
    fn wants(&self, _path: &str) -> bool {
        false
    }

    fn read(&self, files: &Files, _os: &OsRelease, _notes: &mut Vec<String>) -> Vec<Found> {
        let mut out = Vec::new();
        for (path, rec) in binary::visible(files) {
            let Record::Rust { crates } = rec else {
                continue;
            };
            for c in crates {
                out.push(Found {
                    purl: purl("cargo", None, &c.name, &c.version, &[]),
                    name: c.name,
                    version: c.version,
                    license: None,
                    db: path.to_string(),
                    files: if c.root {
                        vec![path.to_string()]
                    } else {
                        vec![]
                    },
                    source: (c.source != CRATES_IO).then_some(c.source),
                    build_only: c.build_only,
                });
            }
        }
        out
    }

    /// The binary's layer is the one that wrote it: older copies are other builds.
    fn records(&self, _path: &str, _data: &[u8]) -> Vec<(String, String)> {
        Vec::new()
    }
}
