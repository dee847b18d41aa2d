//! The rule ids: stable kebab-case names (DESIGN.md), what each means, and its default level.
//!
//! One variant is one rule: strum derives the list and the id from it, and its `message`
//! (what it finds, for renderers) and `detailed_message` (its line in `gate init`'s template)
//! sit on it. A rule cannot be left out of the list that makes its level settable.

use strum::{EnumMessage, IntoEnumIterator};

use crate::model::Level;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    strum::EnumIter,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case")]
pub enum Code {
    #[strum(
        message = "pip's download cache (~/.cache/pip) shipped in the image",
        detailed_message = "~/.cache/pip left by pip install (hadolint DL3042)"
    )]
    PipCache,
    #[strum(
        message = "apt package lists (/var/lib/apt/lists) left after apt-get update",
        detailed_message = "/var/lib/apt/lists (DL3009)"
    )]
    AptLists,
    #[strum(
        message = "downloaded .deb files (/var/cache/apt/archives) left after apt-get install",
        detailed_message = "/var/cache/apt/archives"
    )]
    AptArchives,
    #[strum(
        message = "dnf/yum/microdnf metadata and packages (/var/cache/dnf, yum, libdnf5)",
        detailed_message = "/var/cache/dnf, yum, libdnf5 (DL3040, DL3032)"
    )]
    DnfCache,
    #[strum(
        message = "apk's package cache (/var/cache/apk)",
        detailed_message = "/var/cache/apk (DL3019)"
    )]
    ApkCache,
    #[strum(message = "npm's cache (~/.npm/_cacache)", detailed_message = "~/.npm")]
    NpmCache,
    #[strum(message = "yarn's cache", detailed_message = "yarn's cache (DL3060)")]
    YarnCache,
    #[strum(
        message = "cargo's registry and git checkouts (~/.cargo/registry, ~/.cargo/git)",
        detailed_message = "~/.cargo/registry and git"
    )]
    CargoCache,
    #[strum(
        message = "Go's build and module caches (~/.cache/go-build, /go/pkg/mod)",
        detailed_message = "~/.cache/go-build, /go/pkg/mod"
    )]
    GoBuildCache,
    #[strum(
        message = ".pyc files compiled for a Python the image does not have",
        detailed_message = ".pyc for a Python the image does not have"
    )]
    StaleBytecode,
    #[strum(
        message = "site-packages .py files with no bytecode: every cold start compiles them",
        detailed_message = "info only: site-packages without bytecode (cold starts compile it)"
    )]
    MissingBytecode,
    #[strum(
        message = "test suites shipped inside site-packages",
        detailed_message = "tests/ inside site-packages"
    )]
    PythonTests,
    #[strum(
        message = "compilers, build tools and headers in the final image",
        detailed_message = "gcc, make, headers, rustc, go in the final image"
    )]
    BuildToolchain,
    #[strum(
        message = "bytes a layer writes and a later layer hides",
        detailed_message = "bytes a layer writes and a later layer hides"
    )]
    LayerWaste,
    #[strum(
        message = "Lambda's 10 GiB limit on the uncompressed image",
        detailed_message = "over Lambda's 10 GiB uncompressed limit"
    )]
    LambdaSizeLimit,
    #[strum(
        message = "a multi-platform index: Lambda needs a single-platform image",
        detailed_message = "a multi-platform index"
    )]
    LambdaMultiArch,
    #[strum(
        message = "the deployed reference is an image index or manifest list (one platform, plus e.g. buildx's provenance attestation): Lambda refuses every index; an index of several platforms is lambda-multi-arch instead, never both",
        detailed_message = "an index of one image (+ attestations): --provenance=false"
    )]
    LambdaImageIndex,
    #[strum(
        message = "a manifest Lambda does not accept: not a Docker v2 schema 2 or OCI image manifest (an artifactType, a non-image config, another media type)",
        detailed_message = "not a Docker v2 schema 2 or OCI image manifest"
    )]
    LambdaManifestFormat,
    #[strum(
        message = "the image's architecture differs from the function's",
        detailed_message = "the image's architecture differs from `architecture`"
    )]
    LambdaArchitecture,
    #[strum(
        message = "no ENTRYPOINT and no CMD: Lambda has nothing to run",
        detailed_message = "no ENTRYPOINT and no CMD"
    )]
    LambdaEntrypoint,
    #[strum(
        message = "files Lambda's non-root user cannot read",
        detailed_message = "files Lambda's non-root user cannot read"
    )]
    LambdaUnreadableFiles,
    #[strum(
        message = "no Lambda runtime interface client, bootstrap or extension found",
        detailed_message = "no bootstrap, runtime interface client or extension"
    )]
    LambdaRuntimeInterface,
    #[strum(
        message = "the pull request loosens the gate's own policy (gate.toml or an ignore file)",
        detailed_message = "the pull request loosens the base's policy (deny: require a review)"
    )]
    PolicyLoosened,
    #[strum(
        message = "a Rust executable without cargo-auditable's dependency list (.dep-v0): its crates are missing from the inventory, the SBOM and the RustSec audit",
        detailed_message = "info only: a Rust binary not built with `cargo auditable`"
    )]
    RustNotAuditable,
}

impl Code {
    /// Every rule, in the order the enum lists them.
    pub fn all() -> impl Iterator<Item = Code> {
        Code::iter()
    }

    pub fn id(self) -> &'static str {
        self.into()
    }

    pub fn from_id(id: &str) -> Option<Code> {
        id.parse().ok()
    }

    pub fn description(self) -> &'static str {
        self.get_message().unwrap_or_default()
    }

    /// The note beside the rule's line in `gate init`'s template.
    pub fn template_note(self) -> &'static str {
        self.get_detailed_message().unwrap_or_default()
    }

    pub fn default_level(self) -> Level {
        match self {
            Code::LambdaSizeLimit
            | Code::LambdaMultiArch
            | Code::LambdaImageIndex
            | Code::LambdaManifestFormat
            | Code::LambdaEntrypoint
            | Code::LambdaUnreadableFiles
            | Code::LambdaArchitecture => Level::Deny,
            _ => Level::Warn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::all() {
            assert!(seen.insert(c.id()), "{}", c.id());
            assert!(c
                .id()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '-'));
            assert_eq!(Code::from_id(c.id()), Some(c));
        }
        assert_eq!(Code::GoBuildCache.id(), "go-build-cache");
        assert_eq!(Code::from_id("GoBuildCache"), None);
    }

    #[test]
    fn every_rule_has_a_description_and_a_template_note() {
        for c in Code::all() {
            assert!(!c.description().is_empty(), "{}", c.id());
            assert!(!c.template_note().is_empty(), "{}", c.id());
        }
    }
}
