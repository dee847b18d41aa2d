//! The real scanners, run here offline, read by the gate: Trivy (secret scanner and CycloneDX
//! SBOM) on an image buildah builds in the test with fake secrets made up at test time, and
//! cargo-audit against the copy of the RustSec advisory database in ../shared/fixtures.
//!
//! The secrets are random on every run, so no scanner or gate output can have them memorised;
//! the test also proves the gate never repeats a secret's value in any of its outputs.

mod support;

use std::io::Read;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::{buildah, fixtures, gate, gate_json, require_tools, run};

/// `n` characters of `alphabet`, from the OS's randomness.
fn random(alphabet: &[u8], n: usize) -> String {
    let mut bytes = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut bytes)
        .unwrap();
    bytes
        .iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect()
}

/// The diff_id of the layer whose history entry contains `needle` (buildah writes
/// `COPY file:<digest> in <dest>`), read from the archive's own config.
fn diff_id_made_by(archive: &Path, needle: &str) -> String {
    let mut members = std::collections::HashMap::new();
    let mut t = tar::Archive::new(std::fs::File::open(archive).unwrap());
    for e in t.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".json") {
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            members.insert(name, s);
        }
    }
    let manifest: Value = serde_json::from_str(&members["manifest.json"]).unwrap();
    let config: Value =
        serde_json::from_str(&members[manifest[0]["Config"].as_str().unwrap()]).unwrap();
    let made: Vec<&Value> = config["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["empty_layer"] != true)
        .collect();
    let i = made
        .iter()
        .position(|h| h["created_by"].as_str().unwrap_or("").contains(needle))
        .unwrap_or_else(|| panic!("no layer made by {needle}"));
    config["rootfs"]["diff_ids"][i]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn real_trivy_finds_planted_secrets_and_cargo_audit_a_real_advisory() {
    if !require_tools(&["buildah", "trivy", "cargo-audit"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ctx = dir.path().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    // Shapes Trivy's built-in rules know: a GitHub personal access token and an AWS key pair.
    let upper = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let alnum = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let github = format!("ghp_{}", random(alnum, 36));
    let aws_id = format!("AKIA{}", random(upper, 16));
    let aws_secret = random(alnum, 40);
    std::fs::write(
        ctx.join("config.env"),
        format!("# deploy settings\nLOG_LEVEL=info\nAWS_ACCESS_KEY_ID={aws_id}\nAWS_SECRET_ACCESS_KEY={aws_secret}\n"),
    )
    .unwrap();
    std::fs::write(
        ctx.join("handler.py"),
        format!("import os\n\nTOKEN = \"{github}\"\n\n\ndef handler(event, context):\n    return {{\"ok\": True}}\n"),
    )
    .unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM scratch\nCOPY handler.py /var/task/handler.py\nCOPY config.env /var/task/config.env\nCMD [\"handler.handler\"]\n",
    )
    .unwrap();
    let tag = format!("localhost/gate-secrets:{}", std::process::id());
    run(buildah()
        .args(["bud", "--layers", "--isolation", "chroot", "-q", "-t", &tag])
        .arg(&ctx));
    let img = dir.path().join("secrets.tar");
    run(buildah()
        .args(["push", "-q", &tag])
        .arg(format!("docker-archive:{}", img.display())));
    let _ = buildah().args(["rmi", "-f", &tag]).output();

    let trivy = |format: &str, out: &Path| {
        run(Command::new("trivy")
            .args([
                "image",
                "--quiet",
                "--scanners",
                "secret",
                "--format",
                format,
            ])
            .arg("--cache-dir")
            .arg(dir.path().join("trivy-cache"))
            .arg("--input")
            .arg(&img)
            .arg("--output")
            .arg(out));
    };
    let trivy_json = dir.path().join("trivy.json");
    let sbom = dir.path().join("bom.cdx.json");
    trivy("json", &trivy_json);
    trivy("cyclonedx", &sbom);

    // --no-yanked: the yanked check asks crates.io's index, which an offline run must not.
    let audit_json = dir.path().join("audit.json");
    let out = Command::new("cargo")
        .args(["audit", "--no-fetch", "--no-yanked", "--json", "--db"])
        .arg(fixtures().join("advisory-db"))
        .arg("-f")
        .arg(fixtures().join("reports/cargo-audit/vulnerable.Cargo.lock"))
        .output()
        .unwrap();
    // cargo-audit exits 1 when it finds vulnerabilities; its JSON is on stdout either way.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&audit_json, &out.stdout).unwrap();
    let audit: Value = serde_json::from_slice(&out.stdout).unwrap();
    let advisories: std::collections::BTreeSet<String> = audit["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["advisory"]["id"].as_str().unwrap().to_string())
        .collect();
    assert!(advisories.contains("RUSTSEC-2021-0003"), "{advisories:?}");

    let inputs = [
        img.to_str().unwrap(),
        "--trivy",
        trivy_json.to_str().unwrap(),
        "--sbom",
        sbom.to_str().unwrap(),
        "--audit",
        audit_json.to_str().unwrap(),
    ];
    let (code, r) = gate_json(&[&["check"], &inputs[..]].concat());
    assert_eq!(code, 1, "secrets fail the gate by default");
    let f = r["security"]["findings"].as_array().unwrap();
    let secret_at = |file: &str, rule: &str| -> &Value {
        f.iter()
            .find(|x| {
                x["kind"] == "secret"
                    && x["id"] == rule
                    && x["location"].as_str().unwrap_or("").contains(file)
            })
            .unwrap_or_else(|| panic!("no {rule} secret in {file}: {f:?}"))
    };
    let pat = secret_at("var/task/handler.py", "github-pat");
    assert_eq!(
        pat["layer"],
        diff_id_made_by(&img, "in /var/task/handler.py")
    );
    assert!(pat["location"].as_str().unwrap().ends_with(":3"), "line 3");
    let key = secret_at("var/task/config.env", "aws-access-key-id");
    assert_eq!(
        key["layer"],
        diff_id_made_by(&img, "in /var/task/config.env")
    );
    assert!(key["location"].as_str().unwrap().ends_with(":3"), "line 3");
    assert_eq!(support::check(&r, "security-secrets")["status"], "fail");

    // Every advisory cargo-audit reported is a finding from cargo-audit.
    for id in &advisories {
        assert!(
            f.iter()
                .any(|x| x["id"] == id.as_str() && x["source"][0] == "cargo-audit"),
            "{id} missing"
        );
    }
    // The SBOM inventory is Trivy's component list, counted here from the file itself.
    let bom: Value = serde_json::from_slice(&std::fs::read(&sbom).unwrap()).unwrap();
    let components = bom["components"].as_array().map_or(0, Vec::len);
    assert_eq!(r["security"]["inventory"]["components"], components);

    // No output of the gate repeats a secret's value.
    for format in ["json", "text", "markdown", "sarif"] {
        let out = gate(&[&["check"], &inputs[..], &["--format", format]].concat());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.len() > 100, "{format}: {text}");
        for s in [&github, &aws_id, &aws_secret] {
            assert!(!text.contains(s.as_str()), "{format} output leaks a secret");
        }
    }
}
