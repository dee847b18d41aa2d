//! build-toolchain: compilers, build tools and headers in the final image. A function needs
//! what they built, not them.

use std::collections::BTreeMap;

use globset::{Glob, GlobSetBuilder};

use super::{sample_paths, Ctx, Draft, Sink};
use crate::image::history::Program;
use crate::model::RuleId;
use crate::units::count;
use crate::units::format_size;

/// Commands that install a toolchain: the one a message quotes when the chain has several.
const INSTALLERS: &[Program] = &[
    Program {
        names: &["apt-get", "apt"],
        subcommands: &["install"],
    },
    Program {
        names: &["dnf", "yum", "microdnf"],
        subcommands: &["install", "groupinstall"],
    },
    Program {
        names: &["apk"],
        subcommands: &["add"],
    },
    Program {
        names: &["rustup", "rustup-init"],
        subcommands: &[],
    },
];

/// Paths (without the leading `/`) that only a build needs.
pub const TOOLCHAIN: &[&str] = &[
    "usr/bin/gcc*",
    "usr/bin/g++*",
    "usr/bin/*-linux-gnu-gcc*",
    "usr/bin/*-linux-gnu-g++*",
    "usr/bin/*-linux-gnu-cpp*",
    "usr/bin/cc",
    "usr/bin/c++",
    "usr/bin/clang*",
    "usr/bin/make",
    "usr/bin/cmake",
    "usr/bin/ld",
    "usr/bin/ld.*",
    "usr/bin/*-linux-gnu-ld*",
    "usr/bin/as",
    "usr/bin/*-linux-gnu-as",
    "usr/lib/gcc/**",
    "usr/libexec/gcc/**",
    "usr/lib/gcc-cross/**",
    "usr/include/**",
    "usr/local/include/**",
    "usr/lib/llvm-*/**",
    "**/.rustup/toolchains/**",
    "**/.cargo/bin/cargo",
    "**/.cargo/bin/rustc",
    "usr/local/cargo/bin/**",
    "usr/local/rustup/toolchains/**",
    "usr/local/go/**",
    // Distribution packages of Go and Rust (Debian/Ubuntu golang-go and rustc/cargo, Fedora
    // and Amazon Linux golang and rust): hundreds of MB no function runs.
    "usr/lib/go-*/**",
    "usr/share/go-*/**",
    "usr/lib/golang/**",
    "usr/bin/rustc",
    "usr/bin/rustdoc",
    "usr/bin/cargo",
    "usr/lib/rustlib/**",
    "usr/lib/librustc_driver-*",
    "usr/lib/*-linux-gnu/librustc_driver-*",
    "usr/lib64/librustc_driver-*",
];

pub fn check(ctx: &Ctx, sink: &mut Sink) {
    let mut b = GlobSetBuilder::new();
    for g in TOOLCHAIN {
        b.add(Glob::new(g).expect("toolchain globs are valid"));
    }
    let set = b.build().expect("toolchain globs build");
    let mut by_layer: BTreeMap<usize, Vec<(&str, u64)>> = BTreeMap::new();
    for (path, node) in ctx.files() {
        if set.is_match(path) {
            by_layer
                .entry(node.layer)
                .or_default()
                .push((path, node.size));
        }
    }
    for (layer, files) in by_layer {
        let bytes: u64 = files.iter().map(|f| f.1).sum();
        if bytes < ctx.cfg.min_bytes {
            continue;
        }
        let tools = tool_names(&files);
        let first = files
            .iter()
            .max_by_key(|f| f.1)
            .map(|f| format!("/{}", f.0));
        let paths: Vec<&str> = first.iter().map(String::as_str).collect();
        let name = ctx.layer_command(layer, INSTALLERS, &paths);
        sink.push(Draft {
            code: RuleId::BuildToolchain,
            message: format!("{name} ships build tools ({tools}): {} in {}", format_size(bytes), count(files.len() as u64, "file", "files")),
            bytes,
            layer: Some(layer),
            created_by: ctx.created_by(layer),
            paths: sample_paths(files, 5),
            fix: format!("use a multi-stage build: install the toolchain and build in a builder stage, then COPY only the results into the final stage (leave {name} out of it)"),
            references: Vec::new(),
        });
    }
}

/// "gcc, make, headers" — what a person recognises in the file list.
fn tool_names(files: &[(&str, u64)]) -> String {
    let mut names: Vec<&str> = Vec::new();
    let mut add = |n: &'static str| {
        if !names.contains(&n) {
            names.push(n);
        }
    };
    for (p, _) in files {
        let base = p.rsplit('/').next().unwrap_or(p);
        if p.starts_with("usr/include/") || p.starts_with("usr/local/include/") {
            add("headers");
        } else if p.contains("/gcc")
            || base.starts_with("gcc")
            || base.starts_with("g++")
            || base == "cc"
            || base.contains("cc1")
        {
            add("gcc");
        } else if base == "make" || base == "cmake" {
            add("make");
        } else if p.contains("rustup") || p.contains("cargo") {
            add("rust");
        } else if p.starts_with("usr/local/go/") {
            add("go");
        } else if base.starts_with("clang") || p.contains("llvm") {
            add("clang");
        } else {
            add("binutils");
        }
    }
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use crate::model::Severity;
    use crate::rules::testing::{findings, of, rules, ImageBuilder};

    fn with_gcc() -> ImageBuilder {
        ImageBuilder::new()
            .layer("RUN apt-get update && apt-get install -y gcc libc6-dev && pip install x")
            .file("usr/bin/gcc-12", 1_500_000)
            .file("usr/include/stdio.h", 600_000)
            .file("usr/bin/python3.12", 5_000_000)
    }

    #[test]
    fn compilers_and_headers_are_one_finding_per_layer_quoting_the_install() {
        let f = findings(&with_gcc().build(), &rules(""));
        let tc = of(&f, "build-toolchain");
        assert_eq!(tc.len(), 1);
        assert_eq!(tc[0].bytes, 2_100_000);
        assert_eq!(tc[0].severity, Severity::Warning);
        assert!(
            tc[0].message.contains("(gcc, headers)"),
            "{}",
            tc[0].message
        );
        assert!(
            tc[0].message.contains("apt-get install -y gcc libc6-dev"),
            "{}",
            tc[0].message
        );
        assert!(!tc[0].paths.iter().any(|p| p.contains("python")));
    }

    #[test]
    fn a_toolchain_removed_later_or_too_small_is_not_reported() {
        let removed = with_gcc()
            .layer("RUN apt-get purge gcc")
            .remove("usr/bin/gcc-12")
            .remove("usr/include")
            .build();
        assert!(of(&findings(&removed, &rules("")), "build-toolchain").is_empty());
        assert!(of(
            &findings(&with_gcc().build(), &rules("min_bytes = \"3MB\"")),
            "build-toolchain"
        )
        .is_empty());
    }

    #[test]
    fn allow_turns_it_off_and_deny_fails() {
        let built = with_gcc().build();
        assert!(of(
            &findings(&built, &rules("build-toolchain = \"allow\"")),
            "build-toolchain"
        )
        .is_empty());
        let f = findings(&built, &rules("build-toolchain = \"deny\""));
        assert_eq!(of(&f, "build-toolchain")[0].severity, Severity::Error);
    }
}
