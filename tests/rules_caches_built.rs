//! The package-manager cache rules on a real image built here with buildah: a real `npm
//! install`, a real `yarn add`, a real `cargo fetch` from crates.io, a real `go build` and a
//! real `dnf install` each leave their cache in a layer of their own. The bytes each finding
//! reports are compared with an independent walk of the same archive, the finding must point
//! at the layer and name the instruction, and the clean variant of the same Dockerfile (each
//! RUN cleaning its cache) earns none of them.
//!
//! What the image is made of, and why:
//! - The tools come from Debian bookworm (`nodejs`, `golang-go`, `dnf`, `createrepo-c`,
//!   `rpm`) in one RUN that cleans apt after itself. npm and yarn 1 are the registry's own
//!   tarballs unpacked beside Debian's node (as the node images ship them): Debian's `npm` and
//!   `yarnpkg` packages pull in some 415 `node-*` packages, three more minutes of dpkg here.
//! - cargo is this machine's own toolchain (`rustc --print sysroot`), mounted read-only into
//!   the build at /opt/rust: Debian bookworm's cargo 0.66 only reaches crates.io through the
//!   git index on GitHub (not reachable here), and the toolchain would add 500 MB to every
//!   archive this file writes. The cache it leaves in /root/.cargo is the image's own.
//! - proxy.golang.org is not reachable either: the Go program has no dependencies
//!   (`GOPROXY=off`), so the cache is the build cache `go build` leaves in
//!   /root/.cache/go-build.
//! - dnf installs an rpm built in the image with rpmbuild from a local repository made with
//!   createrepo_c (Fedora's and Amazon Linux's mirrors are not reachable): what it leaves is
//!   the repository metadata it caches in /var/cache/dnf, as it does on Amazon Linux 2023.
//! - `apk-cache` is not covered here: Debian has no apk-tools and Alpine's mirrors are not
//!   reachable, and a cache put there by hand would test nothing the glob unit test does not.
//!
//! The tool layer makes the image about 1 GB (mostly Go). Images are built in buildah's overlay
//! storage, like every image the tests build: its vfs storage copied the whole root filesystem
//! for every step, 45 s a step here.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use support::{buildah, expected, gate_json, layer_of, run, Expected};

/// The steps both variants share (and buildah's layer cache builds once): the tools, and the
/// sources the later steps build from.
macro_rules! tools {
    () => {
        r#"FROM localhost/gate-base:bookworm
ENV CARGO_HTTP_CAINFO=${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt} \
    RUSTC=/opt/rust/bin/rustc GOFLAGS=-mod=mod GOPROXY=off
COPY . /src
RUN echo force-unsafe-io > /etc/dpkg/dpkg.cfg.d/docker-apt-speedup \
 && apt-get update && apt-get install -y --no-install-recommends nodejs golang-go dnf createrepo-c rpm \
 && rm -rf /var/lib/apt/lists/* && apt-get clean \
 && SSL_CERT_FILE=${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt} python3 -c 'import urllib.request as u; [u.urlretrieve("https://registry.npmjs.org/" + p, "/tmp/" + p.split("/")[0] + ".tgz") for p in ("npm/-/npm-10.8.2.tgz", "yarn/-/yarn-1.22.22.tgz")]' \
 && mkdir -p /opt/npm /opt/yarn && tar xzf /tmp/npm.tgz -C /opt/npm --strip-components=1 && tar xzf /tmp/yarn.tgz -C /opt/yarn --strip-components=1 \
 && rm /tmp/npm.tgz /tmp/yarn.tgz && ln -s /opt/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s /opt/yarn/bin/yarn.js /usr/local/bin/yarn \
 && rpmbuild -bb --quiet --define '_topdir /tmp/rpm' /src/hello-gate.spec && mkdir -p /srv/repo /etc/yum.repos.d \
 && cp /tmp/rpm/RPMS/noarch/*.rpm /srv/repo/ && rm -rf /tmp/rpm && createrepo_c -q /srv/repo \
 && printf '[local]\nname=local\nbaseurl=file:///srv/repo\ngpgcheck=0\n' > /etc/yum.repos.d/local.repo
"#
    };
}

const NAIVE: &str = concat!(
    tools!(),
    r#"RUN npm install --prefix /src/app --no-audit --no-fund is-number@7.0.0 ms@2.1.3
RUN yarn --cwd /src/web add --non-interactive is-number@7.0.0 ms@2.1.3
RUN /opt/rust/bin/cargo fetch --manifest-path /src/hello-rs/Cargo.toml
RUN cd /src/hello-go && go build -o /usr/local/bin/hello .
RUN dnf install -y --releasever=12 hello-gate
"#
);

const CLEAN: &str = concat!(
    tools!(),
    r#"RUN npm install --prefix /src/app --no-audit --no-fund is-number@7.0.0 ms@2.1.3 && npm cache clean --force
RUN yarn --cwd /src/web add --non-interactive is-number@7.0.0 ms@2.1.3 && yarn cache clean
RUN /opt/rust/bin/cargo fetch --manifest-path /src/hello-rs/Cargo.toml && rm -rf /root/.cargo/registry
RUN cd /src/hello-go && go build -o /usr/local/bin/hello . && go clean -cache
RUN dnf install -y --releasever=12 hello-gate && dnf clean all
"#
);

/// The build context: what each step builds.
const CONTEXT: &[(&str, &str)] = &[
    ("app/package.json", "{\"name\": \"app\", \"private\": true}\n"),
    ("web/package.json", "{\"name\": \"web\", \"private\": true}\n"),
    (
        "hello-rs/Cargo.toml",
        "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nitoa = \"=1.0.11\"\n",
    ),
    ("hello-rs/src/main.rs", "fn main() {}\n"),
    ("hello-go/go.mod", "module example.com/hello\n\ngo 1.19\n"),
    (
        "hello-go/main.go",
        "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n",
    ),
    (
        "hello-gate.spec",
        "Name: hello-gate\nVersion: 1.0\nRelease: 1\nSummary: A package for a local repository\n\
         License: MIT\nBuildArch: noarch\nAutoReqProv: no\n\n%description\nA package for a local repository.\n\n\
         %install\nmkdir -p %{buildroot}/usr/share/hello-gate\n\
         for i in $(seq 1 2000); do echo $i > %{buildroot}/usr/share/hello-gate/file-$i.txt; done\n\n\
         %files\n/usr/share/hello-gate\n",
    ),
];

/// These caches are small (two npm packages, one crate, one local rpm repository), so the
/// threshold is 10 kB rather than 1 MB.
const POLICY: &str = "[rules]\nmin_bytes = \"10kB\"\n";

const CACHE_RULES: &[&str] = &[
    "pip-cache",
    "apt-lists",
    "apt-archives",
    "dnf-cache",
    "apk-cache",
    "npm-cache",
    "yarn-cache",
    "cargo-cache",
    "go-build-cache",
];

struct Image {
    walk: Expected,
    report: serde_json::Value,
}

struct Built {
    naive: Image,
    clean: Image,
}

/// Builds `dockerfile` and pushes it to `{name}.tar`; returns the tag, for [`remove`] once
/// every variant is built (the variants share the tool layers, which `rmi` would take along).
fn build(dir: &Path, name: &str, dockerfile: &str) -> (String, PathBuf) {
    let file = dir.join(format!("{name}.Dockerfile"));
    std::fs::write(&file, dockerfile).unwrap();
    let tag = format!("localhost/gate-caches-{name}:{}", std::process::id());
    let started = std::time::Instant::now();
    run(buildah()
        .args([
            "bud",
            "--layers",
            "--isolation",
            "chroot",
            "-q",
            "-t",
            &tag,
            "--volume",
            &format!("{}:/opt/rust:ro", rust_sysroot()),
            "-f",
        ])
        .arg(&file)
        .arg(dir.join("context")));
    let path = dir.join(format!("{name}.tar"));
    run(buildah()
        .args(["push", "-q", &tag])
        .arg(format!("docker-archive:{}", path.display())));
    eprintln!("built {name} in {:.0?}", started.elapsed());
    (tag, path)
}

/// This machine's Rust toolchain, for the image's `cargo fetch`.
fn rust_sysroot() -> String {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .expect("rustc");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn remove(tag: &str) {
    let _ = buildah().args(["rmi", "-f", tag]).output();
}

fn scan(dir: &Path, path: PathBuf) -> Image {
    let policy = dir.join("gate.toml");
    let (_, report) = gate_json(&[
        "check",
        path.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ]);
    let walk = expected(&path);
    // About 1 GB each: the report and the walk are all the tests need.
    std::fs::remove_file(&path).unwrap();
    Image { walk, report }
}

fn built() -> Option<&'static Built> {
    static B: OnceLock<Option<Built>> = OnceLock::new();
    B.get_or_init(|| {
        if !support::base_image() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in CONTEXT {
            let p = dir.path().join("context").join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        std::fs::write(dir.path().join("gate.toml"), POLICY).unwrap();
        let (naive_tag, naive) = build(dir.path(), "naive", NAIVE);
        let clean = std::panic::catch_unwind(|| build(dir.path(), "clean", CLEAN));
        remove(&naive_tag);
        let (clean_tag, clean) = clean.unwrap_or_else(|e| std::panic::resume_unwind(e));
        remove(&clean_tag);
        let naive = scan(dir.path(), naive);
        let clean = scan(dir.path(), clean);
        Some(Built { naive, clean })
    })
    .as_ref()
}

fn findings<'a>(img: &'a Image, rule: &str) -> Vec<&'a serde_json::Value> {
    img.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// One finding of `rule`, from the layer whose instruction is `RUN {instruction}…`, holding
/// exactly the visible bytes the independent walk finds under `prefix`, all written by that
/// layer. Returns the finding for the rule's own assertions.
fn assert_cache<'a>(
    img: &'a Image,
    rule: &str,
    prefix: &str,
    instruction: &str,
    place: &str,
    references: &[&str],
) -> &'a serde_json::Value {
    let layer = layer_of(&img.report, instruction);
    let found = findings(img, rule);
    assert_eq!(found.len(), 1, "{rule}: {found:#?}");
    let f = found[0];
    let by_layer = img.walk.bytes_under(prefix);
    assert_eq!(
        by_layer.keys().copied().collect::<Vec<_>>(),
        vec![layer],
        "{rule}: only `RUN {instruction}` writes under /{prefix}: {by_layer:?}"
    );
    eprintln!("{rule}: {} bytes in layer {layer}", by_layer[&layer]);
    assert_eq!(f["bytes"], by_layer[&layer], "{rule}: bytes vs the walk");
    assert!(by_layer[&layer] >= 10_000, "{rule}: above min_bytes");
    assert_eq!(f["layer"], layer, "{rule}");
    assert_eq!(f["severity"], "warning", "{rule}");
    assert!(
        f["created_by"].as_str().unwrap().contains(instruction),
        "{rule}: {f:#}"
    );
    // A chain is quoted by the command that filled the cache (the `go build` of `cd … && go
    // build`); a single command by its whole instruction.
    let named = match instruction.rsplit_once("&& ") {
        Some((_, command)) => format!("layer {layer} `{command}"),
        None => format!("layer {layer} `RUN {instruction}"),
    };
    let msg = f["message"].as_str().unwrap();
    assert!(msg.starts_with(&named), "{rule}: {msg}");
    assert!(msg.contains(&format!(" in {place} (")), "{rule}: {msg}");
    let fix = f["fix"].as_str().unwrap();
    assert!(fix.starts_with(&format!("in {named}")), "{rule}: {fix}");
    assert_eq!(
        f["references"].as_array().map_or(0, Vec::len),
        references.len()
    );
    for (i, r) in references.iter().enumerate() {
        assert_eq!(f["references"][i], *r, "{rule}");
        assert!(msg.contains(r), "{rule}: {msg}");
    }
    let paths = f["paths"].as_array().unwrap();
    assert!(!paths.is_empty(), "{rule}");
    for p in paths {
        let p = p.as_str().unwrap();
        let size = img.walk.files[p.trim_start_matches('/')];
        assert!(
            p.starts_with(&format!("/{prefix}")) && !size.1 && size.2 == layer,
            "{p}"
        );
    }
    f
}

#[test]
fn npm_install_leaves_its_cache_in_root_npm() {
    let Some(b) = built() else { return };
    let f = assert_cache(
        &b.naive,
        "npm-cache",
        "root/.npm/_cacache/",
        "npm install --prefix /src/app",
        "~/.npm",
        &[],
    );
    assert!(f["fix"]
        .as_str()
        .unwrap()
        .contains("npm cache clean --force"));
    // The tarballs themselves are in the content store.
    let cacache = b.naive.walk.bytes_under("root/.npm/_cacache/content-v2/");
    assert!(cacache.values().sum::<u64>() > 1000, "{cacache:?}");
}

#[test]
fn yarn_add_leaves_its_cache_in_usr_local_share() {
    let Some(b) = built() else { return };
    let f = assert_cache(
        &b.naive,
        "yarn-cache",
        "usr/local/share/.cache/yarn/",
        "yarn --cwd /src/web add",
        "the yarn cache",
        &["DL3060"],
    );
    assert!(f["fix"].as_str().unwrap().contains("yarn cache clean"));
    assert!(b
        .naive
        .walk
        .files
        .keys()
        .any(|p| p.starts_with("usr/local/share/.cache/yarn/v6/npm-is-number-7.0.0-")));
}

#[test]
fn cargo_fetch_leaves_the_registry_in_root_cargo() {
    let Some(b) = built() else { return };
    let f = assert_cache(
        &b.naive,
        "cargo-cache",
        "root/.cargo/registry/",
        "/opt/rust/bin/cargo fetch --manifest-path",
        "~/.cargo/registry",
        &[],
    );
    assert!(f["fix"].as_str().unwrap().contains("builder stage"));
    // The crate as downloaded, and its sources unpacked.
    let files = &b.naive.walk.files;
    assert!(
        files
            .keys()
            .any(|p| p.starts_with("root/.cargo/registry/cache/")
                && p.ends_with("/itoa-1.0.11.crate"))
    );
    assert!(files
        .keys()
        .any(|p| p.starts_with("root/.cargo/registry/src/")
            && p.ends_with("/itoa-1.0.11/src/lib.rs")));
}

#[test]
fn go_build_leaves_the_build_cache() {
    let Some(b) = built() else { return };
    let f = assert_cache(
        &b.naive,
        "go-build-cache",
        "root/.cache/go-build/",
        "cd /src/hello-go && go build",
        "the Go build cache",
        &[],
    );
    assert!(f["fix"].as_str().unwrap().contains("go clean -cache"));
}

#[test]
fn dnf_install_leaves_repository_metadata_in_var_cache_dnf() {
    let Some(b) = built() else { return };
    let f = assert_cache(
        &b.naive,
        "dnf-cache",
        "var/cache/dnf/",
        "dnf install -y",
        "/var/cache/dnf",
        &["DL3040", "DL3032"],
    );
    assert!(f["fix"].as_str().unwrap().contains("dnf clean all"));
    assert!(
        b.naive
            .walk
            .files
            .keys()
            .any(|p| p.starts_with("var/cache/dnf/") && p.ends_with("/repodata/repomd.xml")),
        "the local repository's metadata"
    );
}

/// Debian's Go, installed by the tool layer, is a build toolchain in the final image: all of
/// it (/usr/lib/go-1.19, /usr/share/go-1.19), counted on that layer.
#[test]
fn distribution_go_is_a_build_toolchain() {
    let Some(b) = built() else { return };
    let layer = layer_of(&b.naive.report, "apt-get install");
    let go: u64 = ["usr/lib/go-", "usr/share/go-"]
        .iter()
        .map(|p| {
            b.naive
                .walk
                .bytes_under(p)
                .get(&layer)
                .copied()
                .unwrap_or(0)
        })
        .sum();
    assert!(go > 100_000_000, "Go is hundreds of MB: {go}");
    let f = findings(&b.naive, "build-toolchain");
    let f = f
        .iter()
        .find(|f| f["layer"] == layer)
        .unwrap_or_else(|| panic!("no build-toolchain finding on layer {layer}: {f:#?}"));
    // gcc comes with Go (cgo), so the finding is at least Go's bytes.
    assert!(f["bytes"].as_u64().unwrap() >= go, "{f:#}");
}

#[test]
fn no_other_cache_is_reported_on_the_naive_image() {
    let Some(b) = built() else { return };
    // The tool layer cleaned apt after itself, and nothing ran pip.
    for rule in ["pip-cache", "apt-lists", "apt-archives", "apk-cache"] {
        assert!(findings(&b.naive, rule).is_empty(), "{rule}");
    }
}

#[test]
fn the_clean_variant_has_no_cache_findings() {
    let Some(b) = built() else { return };
    let c = &b.clean;
    let noisy: Vec<_> = c.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| CACHE_RULES.contains(&f["rule"].as_str().unwrap()))
        .collect();
    assert!(noisy.is_empty(), "{noisy:#?}");
    // …and not because the steps did nothing: what they installed and built is there.
    let files = &c.walk.files;
    for p in [
        "src/app/node_modules/is-number/package.json",
        "src/web/node_modules/ms/package.json",
        "usr/local/bin/hello",
        "src/hello-rs/Cargo.lock",
        "usr/share/hello-gate/file-2000.txt",
    ] {
        assert!(files.contains_key(p), "{p} missing from the clean image");
    }
    // What is left of each cache: npm's logs, dnf's two bookkeeping files.
    for prefix in [
        "root/.npm/_cacache/",
        "usr/local/share/.cache/yarn/v6/npm-",
        "root/.cargo/registry/",
        "var/cache/dnf/local",
    ] {
        assert!(c.walk.bytes_under(prefix).is_empty(), "{prefix}");
    }
    let go: u64 = c.walk.bytes_under("root/.cache/go-build/").values().sum();
    assert!(go < 1000, "go clean -cache left {go} bytes");
    for (rule, instruction) in [
        ("npm-cache", "npm cache clean --force"),
        ("yarn-cache", "yarn cache clean"),
        ("cargo-cache", "rm -rf /root/.cargo/registry"),
        ("go-build-cache", "go clean -cache"),
        ("dnf-cache", "dnf clean all"),
    ] {
        layer_of(&c.report, instruction);
        assert!(findings(c, rule).is_empty(), "{rule}");
    }
}
