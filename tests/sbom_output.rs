//! `--sbom-output`: the CycloneDX 1.5 JSON the gate writes is valid under the official schema
//! (tests/data/cyclonedx-1.5, validated by Python's `jsonschema`), `gate security` reads it
//! back with the same component count.

mod support;

use std::path::Path;
use std::process::Command;

use lambda_gate::report::{Package, Report};
use support::{gate, gate_json, image};

fn schema_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cyclonedx-1.5")
}

/// Runs the schema validator; Err with its error lines when the document is invalid.
fn validate(doc: &Path) -> Result<(), String> {
    let out = Command::new("python3")
        .arg(schema_dir().join("validate.py"))
        .arg(doc)
        .output()
        .expect("python3");
    match out.status.code() {
        Some(0) => Ok(()),
        Some(1) => Err(String::from_utf8_lossy(&out.stdout).to_string()),
        _ => panic!(
            "the validator did not run: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

fn pkg(eco: &str, name: &str, version: &str, purl: &str, location: &str) -> Package {
    Package {
        ecosystem: eco.parse().unwrap(),
        name: name.into(),
        version: version.into(),
        purl: purl.into(),
        bytes: 12_345,
        files: 7,
        layer: Some(1),
        license: Some("MIT".into()),
        location: location.into(),
        source: None,
        build_only: false,
    }
}

/// One package per ecosystem the inventory reports, purls as the purl spec writes them,
/// nested npm copies of one version included.
fn inventory() -> Vec<Package> {
    vec![
        pkg(
            "deb",
            "curl",
            "7.88.1-10+deb12u5",
            "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12",
            "/var/lib/dpkg/status",
        ),
        pkg(
            "deb",
            "libc6",
            "2.36-9+deb12u4",
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
            "/var/lib/dpkg/status",
        ),
        pkg(
            "rpm",
            "python3",
            "3.9.16-1.amzn2023.0.9",
            "pkg:rpm/amazon/python3@3.9.16-1.amzn2023.0.9?arch=x86_64&distro=amazon-2023",
            "/var/lib/rpm/rpmdb.sqlite",
        ),
        pkg(
            "apk",
            "musl",
            "1.2.4-r2",
            "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64",
            "/lib/apk/db/installed",
        ),
        pkg(
            "pypi",
            "requests",
            "2.32.3",
            "pkg:pypi/requests@2.32.3",
            "/var/task/requests-2.32.3.dist-info/METADATA",
        ),
        pkg(
            "pypi",
            "boto3",
            "1.35.0",
            "pkg:pypi/boto3@1.35.0",
            "/var/runtime/boto3-1.35.0.dist-info/METADATA",
        ),
        pkg(
            "npm",
            "ms",
            "2.1.3",
            "pkg:npm/ms@2.1.3",
            "/var/task/node_modules/ms/package.json",
        ),
        pkg(
            "npm",
            "ms",
            "2.1.3",
            "pkg:npm/ms@2.1.3",
            "/var/task/node_modules/send/node_modules/ms/package.json",
        ),
        pkg(
            "npm",
            "@aws-sdk/client-s3",
            "3.600.0",
            "pkg:npm/%40aws-sdk/client-s3@3.600.0",
            "/var/task/node_modules/@aws-sdk/client-s3/package.json",
        ),
        pkg(
            "golang",
            "github.com/aws/aws-lambda-go",
            "v1.47.0",
            "pkg:golang/github.com/aws/aws-lambda-go@v1.47.0",
            "/var/task/bootstrap",
        ),
        pkg(
            "cargo",
            "serde",
            "1.0.210",
            "pkg:cargo/serde@1.0.210",
            "/var/task/bootstrap",
        ),
    ]
}

#[test]
fn the_validator_rejects_what_the_schema_forbids() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"box","name":"x"}]}"#,
    )
    .unwrap();
    let err = validate(&bad).unwrap_err();
    assert!(err.contains("$.components[0].type"), "{err}");
}

#[test]
fn an_inventory_becomes_a_valid_sbom_that_gate_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let report = Report {
        packages: inventory(),
        ..Report::default()
    };
    let bom = dir.path().join("bom.cdx.json");
    std::fs::write(&bom, lambda_gate::report::sbom::render(&report).unwrap()).unwrap();
    validate(&bom).unwrap_or_else(|e| panic!("invalid CycloneDX 1.5:\n{e}"));

    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&bom).unwrap()).unwrap();
    let comps = doc["components"].as_array().unwrap();
    assert_eq!(comps.len(), report.packages.len());
    for (c, p) in comps.iter().zip(&report.packages) {
        assert_eq!(
            (c["name"].as_str(), c["version"].as_str()),
            (Some(&*p.name), Some(&*p.version))
        );
        assert_eq!(c["purl"], p.purl.as_str());
    }

    // `gate security` reads it back: the same components, by ecosystem from the purls.
    let (code, r) = gate_json(&["security", bom.to_str().unwrap()]);
    assert_eq!(code, 0);
    let inv = &r["security"]["inventory"];
    assert_eq!(inv["components"], report.packages.len());
    assert_eq!(inv["by_ecosystem"]["npm"], 3);
    assert_eq!(inv["by_ecosystem"]["pypi"], 2);
    assert_eq!(inv["by_type"]["library"], report.packages.len());
    // Trivy is not asked: this build's `trivy sbom` scans for vulnerabilities only (no
    // --scanners), and refuses to run without downloading its database ("The first run
    // cannot skip downloading DB"); `trivy fs` does not read a `*.cdx.json` it finds.
}

#[test]
fn gate_check_writes_the_image_as_the_root_container() {
    let dir = tempfile::tempdir().unwrap();
    let img = image("dive-test-docker-image.tar");
    let bom = dir.path().join("bom.cdx.json");
    let report = dir.path().join("r.json");
    let o = gate(&[
        "check",
        img.to_str().unwrap(),
        "--sbom-output",
        bom.to_str().unwrap(),
        "--output",
        report.to_str().unwrap(),
    ]);
    assert!(
        o.status.code().unwrap() < 2,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    validate(&bom).unwrap_or_else(|e| panic!("invalid CycloneDX 1.5:\n{e}"));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&bom).unwrap()).unwrap();
    let root = &doc["metadata"]["component"];
    assert_eq!(root["type"], "container");
    assert_eq!(root["version"], r["image"]["config_digest"]);
    let props: Vec<(String, String)> = root["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().into(),
                p["value"].as_str().unwrap().into(),
            )
        })
        .collect();
    let prop = |n: &str| {
        props
            .iter()
            .filter(|p| p.0 == n)
            .map(|p| p.1.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        prop("lambda-gate:image:size_bytes"),
        [r["image"]["size_bytes"].to_string()]
    );
    let layers = r["image"]["layers"].as_array().unwrap();
    assert_eq!(prop("lambda-gate:image:layer").len(), layers.len());
    assert_eq!(
        prop("lambda-gate:image:layer")[0],
        format!(
            "0 {} {}",
            layers[0]["digest"].as_str().unwrap(),
            layers[0]["size_bytes"]
        )
    );
    let n = r["packages"].as_array().map_or(0, |p| p.len());
    assert_eq!(doc["components"].as_array().map_or(0, |c| c.len()), n);
    let (_, sec) = gate_json(&["security", bom.to_str().unwrap()]);
    assert_eq!(sec["security"]["inventory"]["components"], n);

    // An unwritable path is exit 2 with one line naming it.
    let o = gate(&[
        "check",
        img.to_str().unwrap(),
        "--sbom-output",
        "/nonexistent/dir/bom.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("/nonexistent/dir/bom.json") && err.lines().count() == 1,
        "{err}"
    );
}
