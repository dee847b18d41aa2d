//! The installed software, and what changed in it (and in the directories) against the
//! baseline.

use serde::{Deserialize, Serialize};

/// A package's ecosystem, as `packages[].ecosystem` spells it (DESIGN.md). Adding one is:
/// - a variant here (its JSON and `gate.toml` name derived from it);
/// - its reader, `src/packages/NAME.rs` (a `packages::Reader` whose `ecosystem()` is the
///   variant), and one row in `packages::READERS` (the order in which readers claim files);
/// - the arms the compiler then asks for: which of its files count as its bytes
///   (`model/bytes.rs`); and, by name, its version ordering (`delta/version.rs`; without one
///   it falls back to the generic ordering) and its purl type (the reader writes the purl);
/// - its name in the two docs lists: `packages[].ecosystem` in docs/report-json.md and the
///   `[packages]` lists' `ecosystem` in docs/gate-toml.md.
///
/// `tests/packages_ecosystems.rs` holds the reader row and the two docs lists to this enum.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumIter,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::Display,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Ecosystem {
    Deb,
    Rpm,
    Apk,
    Pypi,
    Npm,
    Golang,
    Cargo,
}

impl Ecosystem {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One installed package, as its package database (or metadata file) records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    /// Package URL (github.com/package-url/purl-spec), e.g.
    /// `pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64`.
    pub purl: String,
    /// Bytes of this package's files visible in the final filesystem, each file counted once.
    pub bytes: u64,
    /// How many of its files are visible in the final filesystem.
    pub files: u64,
    /// The layer that installed this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// As the metadata states it (SPDX expression where the metadata gives one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Where the record was read, e.g. `/var/lib/dpkg/status` or
    /// `/var/task/requests-2.32.3.dist-info/METADATA`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub location: String,
    /// Where a crate came from when not crates.io (`git`, `local`, `registry`, as
    /// cargo-auditable records it); absent for crates.io's and every other ecosystem's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Only a build dependency (a build script's or a proc-macro's): compiled into the build,
    /// not into the binary that runs. Present only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub build_only: bool,
}

/// What changed against the baseline report: the software, and where the bytes went.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    #[serde(default)]
    pub added: Vec<PackageChange>,
    #[serde(default)]
    pub removed: Vec<PackageChange>,
    #[serde(default)]
    pub upgraded: Vec<PackageChange>,
    #[serde(default)]
    pub downgraded: Vec<PackageChange>,
    /// The directories that grew or shrank most, largest change first.
    #[serde(default)]
    pub dirs: Vec<DirChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageChange {
    pub ecosystem: Ecosystem,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_version: Option<String>,
    pub old_bytes: u64,
    pub new_bytes: u64,
    pub bytes_delta: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirChange {
    pub path: String,
    pub old_bytes: u64,
    pub new_bytes: u64,
    pub bytes_delta: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn ecosystems_keep_their_json_names() {
        let names: Vec<&str> = Ecosystem::iter().map(Ecosystem::as_str).collect();
        assert_eq!(
            names,
            ["deb", "rpm", "apk", "pypi", "npm", "golang", "cargo"]
        );
        for e in Ecosystem::iter() {
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
            assert_eq!(e.as_str().parse::<Ecosystem>().unwrap(), e);
        }
    }
}
