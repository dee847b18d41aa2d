//! Compiled binaries in the inventory, held to the tools that made them and the tools our
//! users trust. `scripts/tools/80-binaries.sh` builds, at install time: a Rust program with
//! `cargo auditable build` (smallvec 1.6.0, a build-only `cc`), the same program stripped
//! without auditable data, a Go program with Debian's Go (a `replace` onto Debian's uuid
//! sources), and an image holding them and a C executable (`/usr/bin/true`) with buildah.
//! The oracles: the `.dep-v0` section dumped by `objcopy` and inflated here, the program's
//! Cargo.lock, `cargo audit bin`, `go version -m`, and Trivy's CycloneDX of the image.

mod support;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{gate, gate_json, run};

fn built(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("build/binaries")
        .join(name);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI: {} missing; scripts/install-tools.sh builds it",
            p.display()
        );
    }
    eprintln!(
        "skipping: {} missing (run scripts/tools/80-binaries.sh)",
        p.display()
    );
    None
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn report() -> Option<serde_json::Value> {
    let tar = built("binaries.tar")?;
    let (code, r) = gate_json(&["check", s(&tar)]);
    assert!(code < 2, "{r}");
    Some(r)
}

/// (name, version) of each entry: the report's packages, `.dep-v0`'s, Cargo.lock's.
fn name_versions<'a>(
    items: impl Iterator<Item = &'a serde_json::Value>,
) -> BTreeSet<(String, String)> {
    items
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// (name, version) of the report's packages of `eco` found in the binary at `location`.
fn packages(r: &serde_json::Value, eco: &str, location: &str) -> BTreeSet<(String, String)> {
    name_versions(
        r["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["ecosystem"] == eco && p["location"] == location),
    )
}

/// The `.dep-v0` section as cargo-auditable wrote it: dumped by binutils, inflated by zlib,
/// parsed as JSON — no code shared with the gate's reader (auditable-info).
fn dep_v0(bin: &Path) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let section = dir.path().join("dep-v0");
    run(Command::new("objcopy")
        .arg(format!("--dump-section=.dep-v0={}", section.display()))
        .arg(bin)
        .arg(dir.path().join("copy")));
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(&std::fs::read(&section).unwrap()[..])
        .read_to_end(&mut json)
        .unwrap();
    serde_json::from_slice(&json).unwrap()
}

#[test]
fn cargo_inventory_is_the_dep_v0_section_and_the_lock_file() {
    let (Some(bin), Some(r)) = (built("rust-auditable"), report()) else {
        return;
    };
    let ours = packages(&r, "cargo", "/var/runtime/bootstrap");
    let section = dep_v0(&bin);
    let theirs = name_versions(section["packages"].as_array().unwrap().iter());
    assert_eq!(ours, theirs);
    assert!(ours.contains(&("smallvec".into(), "1.6.0".into())));
    // The program's Cargo.lock lists the same crates (its root included): the binary is
    // what was built from it.
    let lock: serde_json::Value = toml::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/binaries/rust/Cargo.lock"),
        )
        .unwrap(),
    )
    .unwrap();
    let locked = name_versions(lock["package"].as_array().unwrap().iter());
    assert_eq!(ours, locked);
    // Every crate is found in the binary; its own crate owns the binary's bytes.
    let root = r["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "gate-rust-fixture")
        .unwrap();
    assert_eq!(root["bytes"], std::fs::metadata(&bin).unwrap().len());
    assert_eq!(root["purl"], "pkg:cargo/gate-rust-fixture@0.1.0");
}

/// A reader that hands out at most `.1` bytes per read, as a layer's tar reader may.
struct Chunked<'a>(&'a [u8], usize);

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.len().min(self.1).min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// The layer walk streams each ELF executable by (`binary::stream`), keeping only a few
/// ranges of it: what it says is what the whole file says, on every binary built here, read in
/// chunks of odd sizes so that every matcher's carry-over across a boundary is exercised.
#[test]
fn the_streamed_record_is_the_whole_files_record() {
    use lambda_gate::packages::binary;
    let names = [
        "rust-auditable",
        "rust-stripped",
        "go-uuid",
        "elf-other",
        "rust-big",
        "go-big",
    ];
    let mut seen = 0;
    for name in names {
        let Some(path) = built(name) else { continue };
        let data = std::fs::read(&path).unwrap();
        let whole = binary::record(&data);
        let (head, rest) = data.split_at(binary::SNIFF);
        let small = data.len() < 4 << 20;
        let chunks: &[usize] = if small {
            &[1, 7, 4096, 65_536 + 13]
        } else {
            &[7, 4096, 65_536 + 13]
        };
        for &chunk in chunks {
            let streamed =
                binary::read(head, data.len() as u64, &mut Chunked(rest, chunk)).unwrap();
            assert_eq!(streamed, whole, "{name}, chunks of {chunk}");
        }
        seen += 1;
    }
    if seen > 0 {
        assert_eq!(seen, names.len(), "some binaries were not built");
    }
}

/// `cargo audit bin --json` on one binary, offline against `db`. Exit 1 is checked before its
/// JSON is trusted: every fixture binary has an advisory (smallvec's RUSTSEC-2021-0003).
fn cargo_audit_bin(bin: &Path, db: &Path) -> serde_json::Value {
    let out = Command::new("cargo-audit")
        .arg("audit")
        .arg("--db")
        .arg(db)
        .args(["--no-fetch", "--json", "bin"])
        .arg(bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn cargo_audit_counts_the_same_crates() {
    if !support::require_tools(&["cargo-audit"]) {
        return;
    }
    let (Some(bin), Some(r)) = (built("rust-auditable"), report()) else {
        return;
    };
    let audit = cargo_audit_bin(&bin, &support::fixtures().join("advisory-db"));
    assert_eq!(
        audit["lockfile"]["dependency-count"],
        packages(&r, "cargo", "/var/runtime/bootstrap").len()
    );
    assert_eq!(
        audit["vulnerabilities"]["list"][0]["package"]["name"],
        "smallvec"
    );
}

/// The whole path a user takes: `gate check IMAGE --rustsec-db DB` audits the crates the
/// image's Rust binary was built from, and says what `cargo audit bin` says of that binary,
/// advisory by advisory (warnings included), against the same database, offline.
#[test]
fn rustsec_on_the_image_is_cargo_audit_bin_on_its_binary() {
    if !support::require_tools(&["cargo-audit"]) {
        return;
    }
    let (Some(bin), Some(tar)) = (built("rust-auditable"), built("binaries.tar")) else {
        return;
    };
    let db = support::fixtures().join("advisory-db");
    let audit = cargo_audit_bin(&bin, &db);
    let expected: BTreeSet<(String, String, String)> = audit["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .chain(
            audit["warnings"]
                .as_object()
                .unwrap()
                .values()
                .flat_map(|v| v.as_array().unwrap()),
        )
        .map(|v| {
            (
                v["advisory"]["id"].as_str().unwrap().to_string(),
                v["package"]["name"].as_str().unwrap().to_string(),
                v["package"]["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        !expected.is_empty(),
        "the fixture binary has an advisory: {audit}"
    );

    let (code, r) = gate_json(&["check", s(&tar), "--rustsec-db", s(&db)]);
    assert_eq!(code, 1, "a critical advisory fails the gate: {r}");
    let findings = r["security"]["findings"].as_array().unwrap();
    let got: BTreeSet<(String, String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["package"].as_str().unwrap().to_string(),
                f["installed"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    for f in findings {
        assert_eq!(f["location"], "/var/runtime/bootstrap", "{f}");
    }
    let check = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "rustsec-audit")
        .unwrap();
    assert_eq!(check["status"], "pass", "{check}");
}

#[test]
fn go_build_info_is_go_version_m_line_by_line() {
    if !support::require_tools(&["go"]) {
        return;
    }
    let Some(bin) = built("go-uuid") else { return };
    let printed =
        String::from_utf8(run(Command::new("go").args(["version", "-m"]).arg(&bin))).unwrap();
    let mut lines = printed.lines();
    let first = lines.next().unwrap();
    let bi = lambda_gate::packages::binary::go_build_info(&std::fs::read(&bin).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(first, format!("{}: {}", bin.display(), bi.go_version));
    // Go 1.19's BuildInfo.String writes an empty line after a replacement (`=>`), which `go
    // version -m` prints as a lone tab; it carries nothing, so it is left out here.
    let theirs: Vec<&str> = lines
        .map(|l| l.strip_prefix('\t').unwrap())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(bi.lines(), theirs);
    assert!(theirs.iter().any(|l| l.starts_with("=>\t")), "{printed}");
}

#[test]
fn go_inventory_is_the_modules_and_the_standard_library() {
    let Some(r) = report() else { return };
    let ours = packages(&r, "golang", "/opt/go/uuid");
    let want: BTreeSet<(String, String)> = [
        // `(devel)`: built from a checkout, no version of its own (none in the purl).
        ("example.com/gatefixture", "(devel)"),
        // Replaced by Debian's sources in a directory: the required module and version.
        ("github.com/google/uuid", "v1.3.0"),
        ("stdlib", "v1.19.8"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    // The Go version is Debian's: take it from the binary rather than pin the point release.
    let stdlib = ours.iter().find(|(n, _)| n == "stdlib").unwrap().1.clone();
    assert!(stdlib.starts_with("v1.19."), "{stdlib}");
    let want: BTreeSet<_> = want
        .into_iter()
        .map(|(n, v)| {
            if n == "stdlib" {
                (n, stdlib.clone())
            } else {
                (n, v)
            }
        })
        .collect();
    assert_eq!(ours, want);
    let uuid = r["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "github.com/google/uuid")
        .unwrap();
    assert_eq!(uuid["purl"], "pkg:golang/github.com/google/uuid@v1.3.0");
    let main = r["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "example.com/gatefixture")
        .unwrap();
    assert_eq!(main["purl"], "pkg:golang/example.com/gatefixture");
}

/// Trivy's components of the image: (purl type, name, version).
fn trivy(tar: &Path) -> BTreeSet<(String, String, String)> {
    let bom = support::trivy_cyclonedx(tar);
    bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| {
            let purl = c["purl"].as_str()?;
            let ty = purl.strip_prefix("pkg:")?.split('/').next()?.to_string();
            Some((
                ty,
                c["name"].as_str()?.to_string(),
                c["version"].as_str().unwrap_or("").to_string(),
            ))
        })
        .collect()
}

#[test]
fn trivy_lists_the_same_crates_and_modules_but_where_it_says_otherwise() {
    if !support::require_tools(&["trivy"]) {
        return;
    }
    let (Some(tar), Some(r)) = (built("binaries.tar"), report()) else {
        return;
    };
    let t = trivy(&tar);
    let of = |ty: &str| -> BTreeSet<(String, String)> {
        t.iter()
            .filter(|c| c.0 == ty)
            .map(|c| (c.1.clone(), c.2.clone()))
            .collect()
    };
    // Cargo: Trivy (purl type `rustbinary`, not purl-spec's `cargo`) leaves out the build-only
    // crates (`kind: build` in .dep-v0: cc and the libc it pulls in); we list them, as
    // cargo-audit counts them.
    let mut ours = packages(&r, "cargo", "/var/runtime/bootstrap");
    let build_only = [("cc", "1.0.83"), ("libc", "0.2.191")];
    for (n, v) in build_only {
        assert!(ours.remove(&(n.into(), v.into())), "{n} {v}");
    }
    assert_eq!(of("rustbinary"), ours);
    // Go: this Trivy lists neither the `(devel)` main module nor the standard library, and
    // names a module replaced by a local directory by the directory, version `(devel)`; we
    // name it by the module and version go.mod required (the directory has none).
    let ours = packages(&r, "golang", "/opt/go/uuid");
    let theirs = of("golang");
    assert_eq!(
        theirs,
        BTreeSet::from([(
            "/usr/share/gocode/src/github.com/google/uuid".to_string(),
            "(devel)".to_string()
        )]),
        "Trivy's Go components changed: {theirs:?}"
    );
    assert!(ours.contains(&("github.com/google/uuid".into(), "v1.3.0".into())));
    // Neither of us takes the stripped Rust binary or the C one for a package.
    assert!(t.iter().all(|c| !c.1.contains("stripped")));
}

#[test]
fn a_rust_binary_without_dep_v0_gets_a_note_and_others_are_unknown_binaries() {
    let Some(r) = report() else { return };
    let notes: Vec<&serde_json::Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "rust-not-auditable")
        .collect();
    assert_eq!(notes.len(), 1, "{}", r["findings"]);
    assert_eq!(notes[0]["severity"], "info");
    assert_eq!(notes[0]["paths"][0], "/opt/rust/stripped");
    assert!(notes[0]["fix"]
        .as_str()
        .unwrap()
        .contains("cargo auditable build"));
    // The layer's largest files name what each executable is; the C one is unknown.
    let largest: Vec<(String, String)> = r["image"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["largest"].as_array().unwrap())
        .filter_map(|f| {
            Some((
                f["path"].as_str()?.to_string(),
                f["binary"].as_str()?.to_string(),
            ))
        })
        .collect();
    let label = |p: &str| {
        largest
            .iter()
            .find(|(path, _)| path == p)
            .map(|(_, b)| b.as_str())
    };
    assert_eq!(label("/opt/other/true"), Some("unknown binary"));
    assert_eq!(
        label("/opt/rust/stripped"),
        Some("Rust, no dependency list")
    );
    assert_eq!(
        label("/var/runtime/bootstrap"),
        Some("Rust, cargo-auditable")
    );
    assert!(label("/opt/go/uuid").unwrap().starts_with("Go go1.19"));
    // The SARIF level of an info finding is `note`.
    let tar = built("binaries.tar").unwrap();
    let out = gate(&["check", s(&tar), "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["ruleId"] == "rust-not-auditable")
        .cloned()
        .unwrap();
    assert_eq!(result["level"], "note");
}

#[test]
fn the_sbom_the_diff_the_map_and_the_deny_list_see_them() {
    let Some(tar) = built("binaries.tar") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bom = dir.path().join("bom.json");
    let html = dir.path().join("r.html");
    let out = dir.path().join("r.json");
    let o = gate(&[
        "check",
        s(&tar),
        "--sbom-output",
        s(&bom),
        "--html",
        s(&html),
        "--format",
        "json",
        "--output",
        s(&out),
    ]);
    assert!(o.status.code().unwrap() < 2, "{o:?}");
    // The SBOM: schema-valid CycloneDX 1.5, the crates and modules with their purls.
    let v = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cyclonedx-1.5/validate.py"))
        .arg(&bom)
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&bom).unwrap()).unwrap();
    let purls: BTreeSet<&str> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    for p in [
        "pkg:cargo/smallvec@1.6.0",
        "pkg:golang/github.com/google/uuid@v1.3.0",
    ] {
        assert!(purls.contains(p), "{p} not in {purls:?}");
    }
    // The map colours the executables by their ecosystem.
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("k-pkg k-cargo"), "no cargo in the map");
    assert!(page.contains("k-pkg k-golang"), "no golang in the map");
    // The diff: against a baseline where smallvec was 1.5.0 and uuid v1.2.0 (the report edited:
    // no older toolchain output to build one from offline), both read as upgrades.
    let mut base: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    for p in base["packages"].as_array_mut().unwrap() {
        if p["name"] == "smallvec" {
            p["version"] = "1.5.0".into();
        }
        if p["name"] == "github.com/google/uuid" {
            p["version"] = "v1.2.0".into();
        }
    }
    let base_file = dir.path().join("base.json");
    std::fs::write(&base_file, base.to_string()).unwrap();
    let (_, r) = gate_json(&["check", s(&tar), "--baseline", s(&base_file)]);
    let upgraded: BTreeSet<(String, String, String, String)> = r["delta"]["upgraded"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r["delta"]))
        .iter()
        .map(|c| {
            (
                c["ecosystem"].as_str().unwrap().into(),
                c["name"].as_str().unwrap().into(),
                c["old_version"].as_str().unwrap().into(),
                c["new_version"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        upgraded,
        BTreeSet::from([
            (
                "cargo".into(),
                "smallvec".into(),
                "1.5.0".into(),
                "1.6.0".into()
            ),
            (
                "golang".into(),
                "github.com/google/uuid".into(),
                "v1.2.0".into(),
                "v1.3.0".into()
            ),
        ])
    );
    // The deny list: a crate by ecosystem, a module by glob.
    let policy = dir.path().join("gate.toml");
    std::fs::write(
        &policy,
        r#"
[packages]
deny = [{ name = "smallvec", ecosystem = "cargo", reason = "RUSTSEC-2021-0003" }]
warn = [{ name = "github.com/google/*", ecosystem = "golang", reason = "use the stdlib" }]
"#,
    )
    .unwrap();
    let (code, r) = gate_json(&["check", s(&tar), "--policy", s(&policy)]);
    assert_eq!(code, 1, "{}", r["findings"]);
    let by_rule = |rule: &str| -> Vec<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| f["paths"][0].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(by_rule("package-denied"), ["/var/runtime/bootstrap"]);
    assert_eq!(by_rule("package-warned"), ["/opt/go/uuid"]);
}

/// A docker-archive of one layer holding `files` (path, bytes) with mode 755, built here.
fn docker_archive(dir: &Path, files: &[(&str, &[u8])]) -> PathBuf {
    use sha2::{Digest, Sha256};
    let mut layer = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o755);
        h.set_entry_type(tar::EntryType::Regular);
        layer.append_data(&mut h, path, *data).unwrap();
    }
    let layer = layer.into_inner().unwrap();
    let diff_id = format!("sha256:{}", hex::encode(Sha256::digest(&layer)));
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Entrypoint": ["/var/runtime/bootstrap"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    })
    .to_string();
    let manifest = serde_json::json!([{
        "Config": "config.json",
        "RepoTags": ["gate-binaries/local:latest"],
        "Layers": ["layer.tar"],
    }])
    .to_string();
    let out = dir.join("image.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&out).unwrap());
    for (name, data) in [
        ("layer.tar", &layer[..]),
        ("config.json", config.as_bytes()),
        ("manifest.json", manifest.as_bytes()),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data).unwrap();
    }
    b.finish().unwrap();
    out
}

/// A path dependency named and versioned like a crates.io crate with an advisory (`time`
/// 0.1.43, RUSTSEC-2020-0071) is not that crate: `cargo audit bin` leaves it out (its binary
/// scan gives a non-crates.io source no registry, and the report skips it), and so does the
/// gate, which lists it with `source: local`; the crates.io crate beside it (smallvec 1.6.0)
/// is still reported by both. Built here with `cargo auditable build`, offline, from
/// tests/data/binaries/rust-local (smallvec from the local cargo cache, as
/// scripts/tools/80-binaries.sh builds the other fixture).
#[test]
fn a_path_dependency_named_like_a_vulnerable_crate_is_not_audited() {
    if !support::require_tools(&["cargo-auditable", "cargo-audit"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/binaries/rust-local");
    run(Command::new("cargo")
        .args([
            "auditable",
            "build",
            "--release",
            "--offline",
            "--locked",
            "--quiet",
        ])
        .current_dir(&src)
        .env("CARGO_TARGET_DIR", dir.path().join("target")));
    let bin = dir.path().join("target/release/gate-rust-local-fixture");
    let db = support::fixtures().join("advisory-db");
    let audit = cargo_audit_bin(&bin, &db);
    let theirs: BTreeSet<(String, String)> = audit["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["advisory"]["id"].as_str().unwrap().to_string(),
                v["package"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(theirs.contains(&("RUSTSEC-2021-0003".into(), "smallvec".into())));
    assert!(theirs.iter().all(|(_, p)| p != "time"), "{theirs:?}");

    let tar = docker_archive(
        dir.path(),
        &[("var/runtime/bootstrap", &std::fs::read(&bin).unwrap())],
    );
    let (code, r) = gate_json(&["check", s(&tar), "--rustsec-db", s(&db)]);
    assert!(code < 2, "{r}");
    let pkg = |name: &str| {
        r["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {}", r["packages"]))
    };
    assert_eq!(pkg("time")["version"], "0.1.43");
    assert_eq!(pkg("time")["source"], "local");
    assert!(
        pkg("smallvec").get("source").is_none(),
        "crates.io: no source"
    );
    let ours: BTreeSet<(String, String)> = r["security"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["package"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(ours, theirs);
}

/// The build-only crates (`kind: build` in `.dep-v0`: cc and the libc it pulls in) are marked
/// so in `packages[]` and have CycloneDX scope `excluded` in the SBOM; the others carry
/// neither, so their JSON is as it was.
#[test]
fn build_only_crates_are_marked_in_the_inventory_and_the_sbom() {
    let Some(tar) = built("binaries.tar") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bom = dir.path().join("bom.json");
    let (code, r) = gate_json(&["check", s(&tar), "--sbom-output", s(&bom)]);
    assert!(code < 2, "{r}");
    let build_only: BTreeSet<&str> = r["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["build_only"] == true)
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(build_only, BTreeSet::from(["cc", "libc"]));
    for p in r["packages"].as_array().unwrap() {
        assert!(
            p["build_only"] == true || p.get("build_only").is_none(),
            "{p}"
        );
    }
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&bom).unwrap()).unwrap();
    let excluded: BTreeSet<&str> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["scope"] == "excluded")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(excluded, build_only);
}
