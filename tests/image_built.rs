//! Images built in the test with real tools (buildah, skopeo, umoci), in every format they
//! write, checked against an independent walk: multi-layer zstd, 1000+ files, a directory
//! deleted then recreated, file whiteouts, opaque whiteouts.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use support::{buildah, expected, gate_json, require_tools, run};

const DOCKERFILE: &str = r#"FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /app/many /data/keep /data/gone && i=0; while [ $i -lt 1200 ]; do echo "file $i" > /app/many/f$i.txt; i=$((i+1)); done; head -c 300000 /dev/urandom > /data/gone/big.bin; head -c 1000 /dev/urandom > /data/keep/a
RUN rm -rf /data/gone && mkdir -p /data/gone && echo new > /data/gone/new.txt
RUN head -c 50000 /dev/urandom > /app/many/f7.txt && rm -rf /data/keep
"#;

struct Built {
    docker: PathBuf,
    oci_gzip: PathBuf,
    oci_zstd: PathBuf,
    layout: PathBuf,
}

/// Builds the image once for every test in this file.
fn built() -> Option<&'static Built> {
    static BUILT: OnceLock<Option<Built>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if !require_tools(&["buildah", "skopeo", "busybox"]) {
                return None;
            }
            let dir = support::static_dir("image_built");
            let ctx = dir.join("ctx");
            std::fs::create_dir(&ctx).unwrap();
            let busybox = ["/bin/busybox", "/usr/bin/busybox"]
                .into_iter()
                .find(|p| Path::new(p).exists())
                .unwrap();
            std::fs::copy(busybox, ctx.join("busybox")).unwrap();
            std::fs::write(ctx.join("Dockerfile"), DOCKERFILE).unwrap();
            let tag = format!("localhost/gate-test-built:{}", std::process::id());
            run(buildah()
                .args(["bud", "--layers", "--isolation", "chroot", "-q", "-t", &tag])
                .arg(&ctx));
            let docker = dir.join("docker.tar");
            let oci_gzip = dir.join("oci-gzip.tar");
            let oci_zstd = dir.join("oci-zstd.tar");
            let layout = dir.join("layout");
            run(buildah()
                .args(["push", "-q", &tag])
                .arg(format!("docker-archive:{}", docker.display())));
            run(buildah()
                .args(["push", "-q", &tag])
                .arg(format!("oci-archive:{}", oci_gzip.display())));
            run(buildah()
                .args(["push", "-q", "--compression-format", "zstd", &tag])
                .arg(format!("oci-archive:{}", oci_zstd.display())));
            // skopeo writes the OCI layout directory from the docker archive.
            run(Command::new("skopeo")
                .arg("copy")
                .arg("-q")
                .arg(format!("docker-archive:{}", docker.display()))
                .arg(format!("oci:{}:latest", layout.display())));
            let _ = buildah().args(["rmi", "-f", &tag]).output();
            Some(Built {
                docker,
                oci_gzip,
                oci_zstd,
                layout,
            })
        })
        .as_ref()
}

fn check(path: &Path) -> serde_json::Value {
    let (code, r) = gate_json(&["check", path.to_str().unwrap()]);
    assert!(code == 0 || code == 1, "{}: {r}", path.display());
    r
}

fn assert_matches_walk(path: &Path, format: &str) -> serde_json::Value {
    let want = expected(path);
    let r = check(path);
    let img = &r["image"];
    assert_eq!(img["format"], format);
    assert_eq!(img["size_bytes"], want.size, "{format}");
    assert_eq!(img["compressed_bytes"], want.compressed, "{format}");
    assert_eq!(img["final_bytes"], want.final_bytes, "{format}");
    assert_eq!(img["wasted_bytes"], want.wasted, "{format}");
    assert_eq!(img["file_count"], want.file_count, "{format}");
    let layers = img["layers"].as_array().unwrap();
    for (i, l) in layers.iter().enumerate() {
        assert_eq!(l["size_bytes"], want.layer_sizes[i], "{format} layer {i}");
        assert_eq!(
            l["wasted_bytes"], want.layer_wasted[i],
            "{format} layer {i}"
        );
    }
    assert!(r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "layer-digests" && c["status"] == "pass"));
    r
}

#[test]
fn every_format_buildah_and_skopeo_write_reads_the_same() {
    let Some(b) = built() else { return };
    let docker = assert_matches_walk(&b.docker, "docker-archive");
    let gzip = assert_matches_walk(&b.oci_gzip, "oci-archive");
    let zstd = assert_matches_walk(&b.oci_zstd, "oci-archive");
    let layout = assert_matches_walk(&b.layout, "oci-layout");
    for r in [&gzip, &zstd, &layout] {
        for field in [
            "size_bytes",
            "final_bytes",
            "wasted_bytes",
            "file_count",
            "efficiency",
        ] {
            assert_eq!(r["image"][field], docker["image"][field], "{field}");
        }
    }
    // zstd really is zstd, in every layer, detected from the bytes.
    let layers = zstd["image"]["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 5);
    assert!(
        layers.iter().all(|l| l["compression"] == "zstd"),
        "{layers:?}"
    );
    assert!(gzip["image"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["compression"] == "gzip"));
}

#[test]
fn many_files_deletes_and_recreates_are_counted_exactly() {
    let Some(b) = built() else { return };
    let r = check(&b.docker);
    let img = &r["image"];
    // 1200 generated files + busybox and its links + /data/gone/new.txt.
    assert!(
        img["file_count"].as_u64().unwrap() > 1200,
        "{}",
        img["file_count"]
    );
    let hidden = img["top_wasted"].as_array().unwrap();
    let find = |p: &str| {
        hidden
            .iter()
            .find(|h| h["path"] == p)
            .unwrap_or_else(|| panic!("{p} in {hidden:?}"))
            .clone()
    };
    let big = find("/data/gone/big.bin");
    assert_eq!(big["bytes"], 300_000);
    assert_eq!(big["layer"], 2);
    assert_eq!(big["hidden_by"], 3);
    // buildah's overlay storage records `rm -rf /data/gone && mkdir -p /data/gone` as an
    // opaque directory (`data/gone/.wh..wh..opq`), not as a whiteout of each file.
    assert_eq!(big["reason"], "opaque");
    let f7 = find("/app/many/f7.txt");
    assert_eq!(f7["bytes"], "file 7\n".len());
    assert_eq!(f7["hidden_by"], 4);
    assert_eq!(f7["reason"], "overwritten");
    let a = find("/data/keep/a");
    assert_eq!(a["hidden_by"], 4);
    // The instruction that wrote each layer is the Dockerfile's, in order.
    let layers = img["layers"].as_array().unwrap();
    assert!(layers[3]["created_by"]
        .as_str()
        .unwrap()
        .contains("rm -rf /data/gone"));
}

/// Opaque whiteouts of every shape (one beside ordinary whiteouts, an opaque directory that
/// comes back with new files), in layers written here since Debian's umoci 0.4.7 `insert`
/// writes truncated gzip layers (gate rejects them as corrupt); skopeo packs them into the
/// archives users get.
#[test]
fn opaque_whiteouts_through_skopeo() {
    if !require_tools(&["skopeo"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let layers: Vec<Vec<u8>> = vec![
        layer(&[
            ("opt/app/", None),
            ("opt/app/old.bin", Some(vec![1u8; 40_000])),
            ("opt/app/sub/deep.bin", Some(vec![2u8; 2_000])),
            ("tmp/gone/x.bin", Some(vec![3u8; 7_000])),
        ]),
        layer(&[
            ("opt/app/", None),
            ("opt/app/.wh..wh..opq", Some(vec![])),
            ("opt/app/new.txt", Some(b"fresh".to_vec())),
            ("tmp/.wh.gone", Some(vec![])),
        ]),
    ];
    write_layout(&layout, &layers);
    let docker = dir.path().join("docker.tar");
    let zstd = dir.path().join("zstd.tar");
    run(Command::new("skopeo")
        .args(["copy", "-q"])
        .arg(format!("oci:{}:t", layout.display()))
        .arg(format!("docker-archive:{}:opaque:t", docker.display())));
    run(Command::new("skopeo")
        .args(["copy", "-q", "--dest-compress-format", "zstd"])
        .arg(format!("oci:{}:t", layout.display()))
        .arg(format!("oci-archive:{}:t", zstd.display())));
    for (path, format) in [
        (&layout, "oci-layout"),
        (&docker, "docker-archive"),
        (&zstd, "oci-archive"),
    ] {
        let r = assert_matches_walk(path, format);
        let img = &r["image"];
        assert_eq!(img["final_bytes"], 5, "{format}");
        assert_eq!(img["wasted_bytes"], 49_000, "{format}");
        let hidden = img["top_wasted"].as_array().unwrap();
        let reason = |p: &str| {
            hidden
                .iter()
                .find(|h| h["path"] == p)
                .map(|h| h["reason"].clone())
        };
        assert_eq!(
            reason("/opt/app/old.bin"),
            Some("opaque".into()),
            "{format}"
        );
        assert_eq!(
            reason("/opt/app/sub/deep.bin"),
            Some("opaque".into()),
            "{format}"
        );
        assert_eq!(
            reason("/tmp/gone/x.bin"),
            Some("removed".into()),
            "{format}"
        );
    }
}

fn layer(entries: &[(&str, Option<Vec<u8>>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_ustar();
        match data {
            None => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                b.append_data(&mut h, name, &[][..]).unwrap();
            }
            Some(d) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(d.len() as u64);
                b.append_data(&mut h, name, &d[..]).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

fn write_layout(dir: &Path, layers: &[Vec<u8>]) {
    use sha2::{Digest, Sha256};
    let sha = |b: &[u8]| hex::encode(Sha256::digest(b));
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |b: &[u8]| {
        let h = sha(b);
        std::fs::write(blobs.join(&h), b).unwrap();
        format!("sha256:{h}")
    };
    let diff_ids: Vec<String> = layers.iter().map(|l| put(l)).collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "COPY app /opt/app"}, {"created_by": "COPY --replace app2 /opt/app"}],
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(&config), "size": config.len()},
        "layers": layers.iter().map(|l| serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": format!("sha256:{}", sha(l)), "size": l.len()})).collect::<Vec<_>>(),
    }))
    .unwrap();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(&manifest), "size": manifest.len(), "annotations": {"org.opencontainers.image.ref.name": "t"}}],
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}
