//! The rule ids: stable kebab-case names (DESIGN.md), what each means, and its default level.

use crate::model::Level;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    PipCache,
    AptLists,
    AptArchives,
    DnfCache,
    ApkCache,
    NpmCache,
    YarnCache,
    CargoCache,
    GoBuildCache,
    StaleBytecode,
    MissingBytecode,
    PythonTests,
    BuildToolchain,
    LayerWaste,
    LambdaSizeLimit,
    LambdaMultiArch,
    LambdaArchitecture,
    LambdaEntrypoint,
    LambdaUnreadableFiles,
    LambdaRuntimeInterface,
}

impl Code {
    pub const ALL: &'static [Code] = &[
        Code::PipCache,
        Code::AptLists,
        Code::AptArchives,
        Code::DnfCache,
        Code::ApkCache,
        Code::NpmCache,
        Code::YarnCache,
        Code::CargoCache,
        Code::GoBuildCache,
        Code::StaleBytecode,
        Code::MissingBytecode,
        Code::PythonTests,
        Code::BuildToolchain,
        Code::LayerWaste,
        Code::LambdaSizeLimit,
        Code::LambdaMultiArch,
        Code::LambdaArchitecture,
        Code::LambdaEntrypoint,
        Code::LambdaUnreadableFiles,
        Code::LambdaRuntimeInterface,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Code::PipCache => "pip-cache",
            Code::AptLists => "apt-lists",
            Code::AptArchives => "apt-archives",
            Code::DnfCache => "dnf-cache",
            Code::ApkCache => "apk-cache",
            Code::NpmCache => "npm-cache",
            Code::YarnCache => "yarn-cache",
            Code::CargoCache => "cargo-cache",
            Code::GoBuildCache => "go-build-cache",
            Code::StaleBytecode => "stale-bytecode",
            Code::MissingBytecode => "missing-bytecode",
            Code::PythonTests => "python-tests",
            Code::BuildToolchain => "build-toolchain",
            Code::LayerWaste => "layer-waste",
            Code::LambdaSizeLimit => "lambda-size-limit",
            Code::LambdaMultiArch => "lambda-multi-arch",
            Code::LambdaArchitecture => "lambda-architecture",
            Code::LambdaEntrypoint => "lambda-entrypoint",
            Code::LambdaUnreadableFiles => "lambda-unreadable-files",
            Code::LambdaRuntimeInterface => "lambda-runtime-interface",
        }
    }

    pub fn from_id(id: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.id() == id)
    }

    pub fn description(self) -> &'static str {
        match self {
            Code::PipCache => "pip's download cache (~/.cache/pip) shipped in the image",
            Code::AptLists => "apt package lists (/var/lib/apt/lists) left after apt-get update",
            Code::AptArchives => {
                "downloaded .deb files (/var/cache/apt/archives) left after apt-get install"
            }
            Code::DnfCache => {
                "dnf/yum/microdnf metadata and packages (/var/cache/dnf, yum, libdnf5)"
            }
            Code::ApkCache => "apk's package cache (/var/cache/apk)",
            Code::NpmCache => "npm's cache (~/.npm/_cacache)",
            Code::YarnCache => "yarn's cache",
            Code::CargoCache => {
                "cargo's registry and git checkouts (~/.cargo/registry, ~/.cargo/git)"
            }
            Code::GoBuildCache => "Go's build and module caches (~/.cache/go-build, /go/pkg/mod)",
            Code::StaleBytecode => ".pyc files compiled for a Python the image does not have",
            Code::MissingBytecode => {
                "site-packages .py files with no bytecode: every cold start compiles them"
            }
            Code::PythonTests => "test suites shipped inside site-packages",
            Code::BuildToolchain => "compilers, build tools and headers in the final image",
            Code::LayerWaste => "bytes a layer writes and a later layer hides",
            Code::LambdaSizeLimit => "Lambda's 10 GiB limit on the uncompressed image",
            Code::LambdaMultiArch => "a multi-platform index: Lambda needs a single-platform image",
            Code::LambdaArchitecture => "the image's architecture differs from the function's",
            Code::LambdaEntrypoint => "no ENTRYPOINT and no CMD: Lambda has nothing to run",
            Code::LambdaUnreadableFiles => "files Lambda's non-root user cannot read",
            Code::LambdaRuntimeInterface => {
                "no Lambda runtime interface client, bootstrap or extension found"
            }
        }
    }

    pub fn default_level(self) -> Level {
        match self {
            Code::LambdaSizeLimit
            | Code::LambdaMultiArch
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
        for c in Code::ALL {
            assert!(seen.insert(c.id()), "{}", c.id());
            assert!(c
                .id()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '-'));
            assert_eq!(Code::from_id(c.id()), Some(*c));
        }
    }
}
