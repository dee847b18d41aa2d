//! `gate check` on every real fixture image: the numbers match an independent walk of the
//! same archive, and dive's own published figures where dive gives them.

mod support;

use support::{expected, gate_json, image};

/// Every fixture that is a readable image, with its expected format and platform.
const READABLE: &[(&str, &str, &str)] = &[
    (
        "dive-test-docker-image.tar",
        "docker-archive",
        "linux/amd64",
    ),
    (
        "dive-test-kaniko-image.tar",
        "docker-archive",
        "linux/amd64",
    ),
    (
        "dive-test-oci-uncompressed-image.tar",
        "oci-archive",
        "linux/arm64",
    ),
    ("dive-test-oci-gzip-image.tar", "oci-archive", "linux/arm64"),
    ("dive-test-oci-zstd-image.tar", "oci-archive", "linux/arm64"),
    (
        "dive-test-oci-estargz-image.tar",
        "oci-archive",
        "linux/arm64",
    ),
    ("ggcr-hello-world-v25.tar", "docker-archive", "linux/arm64"),
    ("ggcr-test_bundle.tar", "docker-archive", "linux/amd64"),
    ("ggcr-test_image_1.tar", "docker-archive", "linux/amd64"),
    ("ggcr-test_link.tar", "docker-archive", "linux/amd64"),
    ("ggcr-whiteout_image.tar", "docker-archive", "linux/amd64"),
    ("ggcr-overwritten_file.tar", "docker-archive", "linux/amd64"),
    ("ggcr-whiteout_dir.tar", "docker-archive", "linux/amd64"),
    (
        "containers-image-almostempty.tar",
        "docker-archive",
        "linux/amd64",
    ),
    ("stereoscope-valid-oci.tar", "oci-archive", "linux/amd64"),
    (
        "stereoscope-multiplatform_oci_dir",
        "oci-layout",
        "linux/amd64",
    ),
    ("ggcr-layout-test_index", "oci-layout", "linux/amd64"),
];

#[test]
fn every_fixture_matches_an_independent_walk() {
    for (name, format, platform) in READABLE {
        let path = image(name);
        let want = expected(&path);
        let (code, report) = gate_json(&["check", path.to_str().unwrap()]);
        // Not Lambda images: the Lambda rules may fail them; the numbers are what is tested.
        assert!(code == 0 || code == 1, "{name}: {report}");
        let img = &report["image"];
        assert_eq!(img["format"], *format, "{name}");
        assert_eq!(img["platform"], *platform, "{name}");
        assert_eq!(img["size_bytes"], want.size, "{name} size");
        assert_eq!(
            img["compressed_bytes"], want.compressed,
            "{name} compressed"
        );
        assert_eq!(img["final_bytes"], want.final_bytes, "{name} final");
        assert_eq!(img["wasted_bytes"], want.wasted, "{name} wasted");
        assert_eq!(img["file_count"], want.file_count, "{name} file count");
        let layers = img["layers"].as_array().unwrap();
        assert_eq!(layers.len(), want.layer_sizes.len(), "{name} layers");
        for (i, l) in layers.iter().enumerate() {
            assert_eq!(l["index"], i);
            assert_eq!(
                l["size_bytes"], want.layer_sizes[i],
                "{name} layer {i} size"
            );
            assert_eq!(
                l["compressed_bytes"], want.layer_compressed[i],
                "{name} layer {i} compressed"
            );
            assert_eq!(
                l["wasted_bytes"], want.layer_wasted[i],
                "{name} layer {i} wasted"
            );
        }
        // Every regular-file byte is either visible or hidden.
        assert_eq!(want.final_bytes + want.wasted, want.size, "{name}");
        assert_eq!(report["schema"], "lambda-gate/report/v1");
    }
}

/// dive's own test (dive/image/docker/image_archive_analysis_test.go) asserts these for this
/// image; the fixtures README repeats the sizes.
#[test]
fn dive_test_image_has_dives_published_numbers() {
    let (_, r) = gate_json(&[
        "check",
        image("dive-test-docker-image.tar").to_str().unwrap(),
    ]);
    let img = &r["image"];
    assert_eq!(img["size_bytes"], 1_220_598);
    assert_eq!(img["layers"].as_array().unwrap().len(), 14);
    assert_eq!(img["efficiency"], 0.9844212134184309);
    assert_eq!(img["dive"]["efficiency"], 0.9844212134184309);
    assert_eq!(img["dive"]["user_size_bytes"], 66_237);
    assert_eq!(img["dive"]["wasted_bytes"], 32_025);
    assert_eq!(img["dive"]["user_wasted_percent"], 0.4834911001404049);
}

#[test]
fn instructions_come_from_history_without_empty_layers() {
    let (_, r) = gate_json(&[
        "check",
        image("dive-test-docker-image.tar").to_str().unwrap(),
    ]);
    let layers = r["image"]["layers"].as_array().unwrap();
    // The Dockerfile (dive-Dockerfile.test-image) runs these, in this order, each a layer.
    assert!(layers[2]["created_by"]
        .as_str()
        .unwrap()
        .contains("mkdir -p /root/example/really/nested"));
    assert!(layers[9]["created_by"]
        .as_str()
        .unwrap()
        .contains("rm -rf /root/example/"));
    assert!(layers[13]["created_by"]
        .as_str()
        .unwrap()
        .contains("chmod +x /root/saved.txt"));
}

#[test]
fn top_wasted_names_the_writer_and_the_hider() {
    let (_, r) = gate_json(&["check", image("ggcr-whiteout_image.tar").to_str().unwrap()]);
    let w = &r["image"]["top_wasted"][0];
    assert_eq!(w["path"], "/foo.txt");
    assert_eq!(w["layer"], 0);
    assert_eq!(w["hidden_by"], 1);
    assert_eq!(w["reason"], "removed");
    let (_, r) = gate_json(&[
        "check",
        image("ggcr-overwritten_file.tar").to_str().unwrap(),
    ]);
    assert_eq!(r["image"]["top_wasted"][0]["reason"], "overwritten");
}

#[test]
fn every_layer_is_verified_against_its_digest() {
    for (name, _, _) in READABLE {
        let (_, r) = gate_json(&["check", image(name).to_str().unwrap()]);
        let checks = r["checks"].as_array().unwrap();
        let digests = checks
            .iter()
            .find(|c| c["name"] == "layer-digests")
            .unwrap_or_else(|| panic!("{name}: {checks:?}"));
        assert_eq!(digests["status"], "pass", "{name}");
    }
}

#[test]
fn platform_selection_in_a_multi_platform_index() {
    let dir = image("stereoscope-multiplatform_oci_dir");
    let d = dir.to_str().unwrap();
    let (_, r) = gate_json(&["check", d]);
    assert_eq!(r["image"]["platform"], "linux/amd64");
    assert_eq!(
        r["image"]["platforms"],
        serde_json::json!(["linux/amd64", "linux/arm64"])
    );
    let (_, r) = gate_json(&["check", d, "--platform", "linux/arm64"]);
    assert_eq!(r["image"]["platform"], "linux/arm64");
    assert!(r["image"]["layers"][0]["created_by"]
        .as_str()
        .unwrap()
        .contains("linux/arm64"));
    let out = support::gate(&["check", d, "--platform", "linux/s390x"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("linux/amd64") && err.contains("linux/arm64"),
        "lists the platforms: {err}"
    );
}

#[test]
fn several_images_in_one_archive_pick_the_first_and_say_so() {
    let bundle = image("ggcr-test_bundle.tar");
    let b = bundle.to_str().unwrap();
    let (_, r) = gate_json(&["check", b]);
    let notes = r["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("holds 2 images")),
        "{notes:?}"
    );
    let manifest: serde_json::Value = {
        let data = std::fs::read(&bundle).unwrap();
        let mut ar = tar::Archive::new(&data[..]);
        let mut e = ar
            .entries()
            .unwrap()
            .map(|e| e.unwrap())
            .find(|e| e.path().unwrap().to_str() == Some("manifest.json"))
            .unwrap();
        serde_json::from_reader(&mut e).unwrap()
    };
    let second = manifest[1]["RepoTags"][0].as_str().unwrap();
    let (_, r) = gate_json(&["check", b, "--image", second]);
    assert_eq!(r["image"]["reference"], second);
    let out = support::gate(&["check", b, "--image", "nope:1"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn budgets_fail_the_gate_with_exit_1() {
    let p = image("dive-test-docker-image.tar");
    let p = p.to_str().unwrap();
    let (code, r) = gate_json(&[
        "check",
        p,
        "--max-size",
        "1MB",
        "--min-efficiency",
        "0.99",
        "--max-wasted",
        "1MiB",
    ]);
    assert_eq!(code, 1);
    assert_eq!(r["verdict"], "fail");
    let check = |n: &str| {
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(check("max-size")["status"], "fail");
    assert_eq!(check("max-size")["limit"], 1_000_000);
    assert_eq!(check("max-size")["actual"], 1_220_598);
    assert_eq!(check("min-efficiency")["status"], "fail");
    assert_eq!(check("max-wasted")["status"], "pass");
    let (code, _) = gate_json(&["check", p, "--max-size", "1.3MB", "--max-layers", "14"]);
    assert_eq!(code, 0);
}

#[test]
fn gate_toml_budgets_apply_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("gate.toml");
    std::fs::write(&policy, "[image]\nmax_size = \"1MB\"\n").unwrap();
    let p = image("dive-test-docker-image.tar");
    let (code, _) = gate_json(&[
        "check",
        p.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let (code, _) = gate_json(&[
        "check",
        p.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
        "--max-size",
        "2MB",
    ]);
    assert_eq!(code, 0);
}
