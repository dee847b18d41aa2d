//! Every rule id the gate's findings carry: the image rules, the package policy and the
//! function's configuration, one enum low in the layering so the report, gate.toml's levels,
//! the renderers and the docs all name a rule by the same type.
//!
//! Adding a rule is one variant here (its kebab-case id comes from the name; `message` is
//! what it finds, `detailed_message` its note in `gate init`'s template) plus one row in its
//! family's table: `rules::caches::row` for a cache, `deployed::RULES` for the function's
//! configuration, the family's `check` otherwise. Its family, kind and default level are one
//! row of `row`, an exhaustive match, so a variant without its row does not compile, and the
//! tests below hold the rest (a description, a template note, a unique id).

use serde::{Deserialize, Serialize};
use strum::{EnumMessage, IntoEnumIterator};

use super::Level;

/// A stable kebab-case rule id (DESIGN.md). serde and strum spell it the same (tested), so
/// `Finding.rule` is the same JSON string it always was.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumIter,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case")]
#[serde(rename_all = "kebab-case")]
pub enum RuleId {
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
    #[strum(message = "a package that [packages] deny names is installed")]
    PackageDenied,
    #[strum(message = "a package that [packages] warn names is installed")]
    PackageWarned,
    #[strum(
        message = "more new packages, or a package grew more, than [packages] allows against the baseline"
    )]
    PackageGrowth,
    // `[lambda]`, in the order the function's table lists them.
    #[strum(
        message = "the timeout is below the margin over the measured p99/max, or far above it"
    )]
    LambdaTimeoutMargin,
    #[strum(message = "max memory used is too close to the configured size, or far below it")]
    LambdaMemoryHeadroom,
    #[strum(message = "the configured architecture is not the image's")]
    LambdaArchitectureMismatch,
    #[strum(
        message = "asynchronous invocations with no dead-letter queue and no on-failure destination"
    )]
    LambdaNoDlq,
    #[strum(message = "X-Ray tracing is not Active")]
    LambdaTracingOff,
    #[strum(
        message = "no reserved concurrency: the function shares (and can drain) the account's pool"
    )]
    LambdaNoReservedConcurrency,
    #[strum(
        message = "the function's logs never expire, or are kept longer than the policy allows"
    )]
    LambdaLogRetention,
    #[strum(message = "the deployed image digest differs from the image gated in the same run")]
    LambdaImageDrift,
    #[strum(message = "an image function (PackageType Image) with no image URI")]
    LambdaImageUriMissing,
    #[strum(message = "the image URI is not an ECR repository, or not pinned by @sha256: digest")]
    LambdaImageUriUnpinned,
    #[strum(message = "Runtime, Handler or Layers set on an image function")]
    LambdaImageZipSettings,
}

/// Which gate.toml table sets a rule's level, and which part of the gate runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `[rules]`: the image's facts (and the policy's own loosening).
    Image,
    /// `[packages]`: the installed packages against the policy's lists and growth budget.
    Packages,
    /// `[lambda]`: the function's configuration, deployed or in a template or plan.
    Lambda,
}

/// What the bytes of a rule's findings are, for the line that says what the image holds
/// ("of which 40 MB leftover caches and 120 MB build tools").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// A package manager's or build tool's cache left in the image.
    Cache,
    /// Compilers and headers needed only to build.
    BuildTools,
    Other,
    /// A `[lambda]` rule only a template or plan can break (`gate check --deployment`).
    PreDeploy,
}

impl RuleId {
    /// Every rule, in the order the enum lists them.
    pub fn all() -> impl Iterator<Item = RuleId> {
        RuleId::iter()
    }

    /// The rules of one family, in the enum's order.
    pub fn of(family: Family) -> impl Iterator<Item = RuleId> {
        RuleId::iter().filter(move |r| r.family() == family)
    }

    pub fn id(self) -> &'static str {
        self.into()
    }

    pub fn from_id(id: &str) -> Option<RuleId> {
        id.parse().ok()
    }

    /// What the rule finds, for renderers.
    pub fn description(self) -> &'static str {
        self.get_message().unwrap_or_default()
    }

    /// The note beside the rule's line in `gate init`'s template (image rules; the other
    /// tables' templates are gate.toml fragments of their own).
    pub fn template_note(self) -> &'static str {
        self.get_detailed_message().unwrap_or_default()
    }

    /// The rule table: one row per rule — its family, what its findings' bytes are, its
    /// level when gate.toml does not set one. One exhaustive match, so a new variant does
    /// not compile until it has its row.
    fn row(self) -> (Family, RuleKind, Level) {
        use Family as F;
        use Level as L;
        use RuleId::*;
        use RuleKind as K;
        match self {
            PipCache => (F::Image, K::Cache, L::Warn),
            AptLists => (F::Image, K::Cache, L::Warn),
            AptArchives => (F::Image, K::Cache, L::Warn),
            DnfCache => (F::Image, K::Cache, L::Warn),
            ApkCache => (F::Image, K::Cache, L::Warn),
            NpmCache => (F::Image, K::Cache, L::Warn),
            YarnCache => (F::Image, K::Cache, L::Warn),
            CargoCache => (F::Image, K::Cache, L::Warn),
            GoBuildCache => (F::Image, K::Cache, L::Warn),
            StaleBytecode => (F::Image, K::Other, L::Warn),
            MissingBytecode => (F::Image, K::Other, L::Warn),
            PythonTests => (F::Image, K::Other, L::Warn),
            BuildToolchain => (F::Image, K::BuildTools, L::Warn),
            LayerWaste => (F::Image, K::Other, L::Warn),
            LambdaSizeLimit => (F::Image, K::Other, L::Deny),
            LambdaMultiArch => (F::Image, K::Other, L::Deny),
            LambdaImageIndex => (F::Image, K::Other, L::Deny),
            LambdaManifestFormat => (F::Image, K::Other, L::Deny),
            LambdaArchitecture => (F::Image, K::Other, L::Deny),
            LambdaEntrypoint => (F::Image, K::Other, L::Deny),
            LambdaUnreadableFiles => (F::Image, K::Other, L::Deny),
            LambdaRuntimeInterface => (F::Image, K::Other, L::Warn),
            PolicyLoosened => (F::Image, K::Other, L::Warn),
            RustNotAuditable => (F::Image, K::Other, L::Warn),
            PackageDenied => (F::Packages, K::Other, L::Deny),
            PackageWarned => (F::Packages, K::Other, L::Warn),
            PackageGrowth => (F::Packages, K::Other, L::Deny),
            LambdaTimeoutMargin => (F::Lambda, K::Other, L::Deny),
            LambdaMemoryHeadroom => (F::Lambda, K::Other, L::Warn),
            LambdaArchitectureMismatch => (F::Lambda, K::Other, L::Deny),
            LambdaNoDlq => (F::Lambda, K::Other, L::Warn),
            LambdaTracingOff => (F::Lambda, K::Other, L::Warn),
            LambdaNoReservedConcurrency => (F::Lambda, K::Other, L::Warn),
            LambdaLogRetention => (F::Lambda, K::Other, L::Warn),
            LambdaImageDrift => (F::Lambda, K::Other, L::Deny),
            // The Lambda API would have refused these: only a template or plan has them.
            LambdaImageUriMissing => (F::Lambda, K::PreDeploy, L::Deny),
            LambdaImageUriUnpinned => (F::Lambda, K::PreDeploy, L::Warn),
            LambdaImageZipSettings => (F::Lambda, K::PreDeploy, L::Deny),
        }
    }

    pub fn family(self) -> Family {
        self.row().0
    }

    pub fn kind(self) -> RuleKind {
        self.row().1
    }

    /// The level when gate.toml does not set one.
    pub fn default_level(self) -> Level {
        self.row().2
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for c in RuleId::all() {
            assert!(seen.insert(c.id()), "{}", c.id());
            assert!(c
                .id()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '-'));
            assert_eq!(RuleId::from_id(c.id()), Some(c));
            // The JSON spells it as the docs and gate.toml do.
            assert_eq!(serde_json::to_value(c).unwrap(), c.id());
            assert_eq!(serde_json::from_value::<RuleId>(c.id().into()).unwrap(), c);
        }
        assert_eq!(RuleId::GoBuildCache.id(), "go-build-cache");
        assert_eq!(RuleId::from_id("GoBuildCache"), None);
    }

    #[test]
    fn the_ids_design_md_fixes_are_these() {
        let of = |f| RuleId::of(f).map(RuleId::id).collect::<Vec<_>>();
        assert_eq!(
            of(Family::Packages),
            ["package-denied", "package-warned", "package-growth"]
        );
        assert_eq!(of(Family::Lambda)[0], "lambda-timeout-margin");
        assert!(of(Family::Image).contains(&"policy-loosened"));
    }

    /// A variant is a rule only with what every renderer and `gate init` show of it.
    #[test]
    fn every_rule_has_a_description_and_image_rules_a_template_note() {
        for c in RuleId::all() {
            assert!(!c.description().is_empty(), "{}", c.id());
            // (strum falls back on `message` without a `detailed_message`.)
            if c.family() == Family::Image {
                assert!(!c.template_note().is_empty(), "{}", c.id());
            }
        }
    }
}
