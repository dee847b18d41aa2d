//! Images a user will one day hand us: each gets exit 2 and one line naming the file and the
//! problem (or, for a digest mismatch, exit 1 and a failed check naming the layer). Never a
//! panic, never a path outside the archive.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use support::{gate, gate_json, image};

fn sha(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

/// Asserts exit 2 with one stderr line that names `path` and contains `needle`.
fn assert_input_error(args: &[&str], path: &Path, needle: &str) {
    let out = gate(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: stderr {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("gate: error: "), "{err}");
    assert!(
        err.contains(&path.display().to_string()),
        "names the file: {err}"
    );
    assert!(
        err.to_lowercase().contains(needle),
        "says {needle:?}: {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

fn tar_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// An OCI archive with the given layer blobs; `declared` overrides a layer's digest.
fn oci_archive(
    dir: &Path,
    name: &str,
    layers: &[Vec<u8>],
    diff_ids: &[String],
    declared: Option<(usize, String)>,
) -> PathBuf {
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["app.handler"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": layers.iter().enumerate().map(|(i, _)| serde_json::json!({"created_by": format!("RUN step {i}")})).collect::<Vec<_>>(),
    });
    let config = serde_json::to_vec(&config).unwrap();
    let mut descs = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let digest = match &declared {
            Some((j, d)) if *j == i => d.clone(),
            _ => sha(l),
        };
        descs.push(serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": l.len()}));
    }
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len()},
        "layers": descs,
    }))
    .unwrap();
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&manifest), "size": manifest.len()}],
    }))
    .unwrap();
    let mut entries: Vec<(String, Vec<u8>)> = vec![
        (
            "oci-layout".into(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
        ("index.json".into(), index),
        (
            format!("blobs/{}", sha(&manifest).replace(':', "/")),
            manifest.clone(),
        ),
        (
            format!("blobs/{}", sha(&config).replace(':', "/")),
            config.clone(),
        ),
    ];
    for l in layers {
        entries.push((format!("blobs/{}", sha(l).replace(':', "/")), l.clone()));
    }
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, tar_bytes(&refs)).unwrap();
    path
}

fn simple_layer() -> (Vec<u8>, String) {
    let t = tar_bytes(&[("var/task/app.py", b"def handler(e, c):\n    return {}\n")]);
    let id = sha(&t);
    (gzip(&t), id)
}

#[test]
fn broken_archives_from_ggcr() {
    let p = image("ggcr-no_manifest.tar");
    assert_input_error(&["check", p.to_str().unwrap()], &p, "manifest.json");
    let p = image("ggcr-null_manifest.tar");
    assert_input_error(&["check", p.to_str().unwrap()], &p, "null");
}

#[test]
fn a_bare_layer_is_called_a_layer() {
    let p = image("regclient-layer-wh.tar");
    assert_input_error(
        &["check", p.to_str().unwrap()],
        &p,
        "layer tar, not an image",
    );
}

#[test]
fn missing_empty_and_random_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.tar");
    assert_input_error(
        &["check", missing.to_str().unwrap()],
        &missing,
        "no such file",
    );
    let empty = dir.path().join("empty.tar");
    std::fs::write(&empty, b"").unwrap();
    assert_input_error(&["check", empty.to_str().unwrap()], &empty, "empty");
    let random = dir.path().join("random.tar");
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let bytes: Vec<u8> = (0..100_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(&random, bytes).unwrap();
    assert_input_error(
        &["check", random.to_str().unwrap()],
        &random,
        "not a tar archive",
    );
    let gz = dir.path().join("image.tar.gz");
    std::fs::write(
        &gz,
        gzip(&std::fs::read(image("ggcr-test_image_1.tar")).unwrap()),
    )
    .unwrap();
    assert_input_error(&["check", gz.to_str().unwrap()], &gz, "gzip-compressed");
}

#[test]
fn a_truncated_archive() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read(image("dive-test-docker-image.tar")).unwrap();
    let p = dir.path().join("truncated.tar");
    std::fs::write(&p, &full[..full.len() / 2]).unwrap();
    assert_input_error(&["check", p.to_str().unwrap()], &p, "truncated");
}

#[test]
fn a_gzip_stream_that_ends_early() {
    let dir = tempfile::tempdir().unwrap();
    let (layer, id) = simple_layer();
    let cut = layer[..layer.len() - 20].to_vec();
    let p = oci_archive(dir.path(), "short-gzip.tar", &[cut], &[id], None);
    assert_input_error(
        &["check", p.to_str().unwrap()],
        &p,
        "gzip stream is corrupt or ends early",
    );
}

#[test]
fn a_digest_mismatch_is_a_failed_check_naming_the_layer() {
    let dir = tempfile::tempdir().unwrap();
    let (layer, id) = simple_layer();
    let (other, other_id) = {
        let t = tar_bytes(&[("var/task/lib.py", b"x = 1\n")]);
        let id = sha(&t);
        (gzip(&t), id)
    };
    let lie = sha(b"something else");
    let p = oci_archive(
        dir.path(),
        "tampered.tar",
        &[layer, other],
        &[id, other_id],
        Some((1, lie.clone())),
    );
    // The blob is stored under its real digest name; make the manifest's claim resolvable by
    // storing the same bytes under the claimed name as well.
    let real = std::fs::read(&p).unwrap();
    let mut entries = Vec::new();
    let mut ar = tar::Archive::new(&real[..]);
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        entries.push((name, data));
    }
    let second = entries.last().unwrap().1.clone();
    entries.push((format!("blobs/{}", lie.replace(':', "/")), second));
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    std::fs::write(&p, tar_bytes(&refs)).unwrap();

    let (code, r) = gate_json(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(r["verdict"], "fail");
    let c = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "layer-digest")
        .expect("layer-digest check")
        .clone();
    assert_eq!(c["status"], "fail");
    assert_eq!(c["limit"], lie);
    let detail = c["detail"].as_str().unwrap();
    assert!(detail.starts_with("layer 1 `RUN step 1`"), "{detail}");
    // Verification off: the same archive passes, and says nothing was verified.
    let (code, r) = gate_json(&["check", p.to_str().unwrap(), "--no-verify"]);
    assert_eq!(code, 0);
    assert!(r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["name"] != "layer-digests"));
}

#[test]
fn a_wrong_diff_id_is_a_failed_check() {
    let dir = tempfile::tempdir().unwrap();
    let (layer, _) = simple_layer();
    let p = oci_archive(
        dir.path(),
        "diffid.tar",
        &[layer],
        &[sha(b"not the tar")],
        None,
    );
    let (code, r) = gate_json(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "layer-diff-id" && c["status"] == "fail"));
}

#[test]
fn a_manifest_that_references_a_missing_blob() {
    let dir = tempfile::tempdir().unwrap();
    let (layer, id) = simple_layer();
    let p = oci_archive(
        dir.path(),
        "missing.tar",
        std::slice::from_ref(&layer),
        &[id],
        None,
    );
    let real = std::fs::read(&p).unwrap();
    let layer_name = format!("blobs/{}", sha(&layer).replace(':', "/"));
    let mut entries = Vec::new();
    for e in tar::Archive::new(&real[..]).entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        if name != layer_name {
            entries.push((name, data));
        }
    }
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    std::fs::write(&p, tar_bytes(&refs)).unwrap();
    assert_input_error(
        &["check", p.to_str().unwrap()],
        &p,
        "missing from the archive",
    );
}

#[test]
fn a_decompression_bomb_stops_and_the_limit_can_be_raised() {
    let dir = tempfile::tempdir().unwrap();
    // 100 MB of zeros in one file: about 100 kB of gzip, a 1000x expansion.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    {
        let mut b = tar::Builder::new(&mut enc);
        let mut h = tar::Header::new_ustar();
        h.set_size(100_000_000);
        h.set_mode(0o644);
        b.append_data(&mut h, "zeros", std::io::repeat(0).take_bytes(100_000_000))
            .unwrap();
        b.finish().unwrap();
    }
    let bomb = enc.finish().unwrap();
    let p = oci_archive(dir.path(), "bomb.tar", &[bomb], &[sha(b"unused")], None);
    assert_input_error(&["check", p.to_str().unwrap()], &p, "--max-expansion");
    let (_, r) = gate_json(&["check", p.to_str().unwrap(), "--max-expansion", "5000"]);
    assert_eq!(r["image"]["size_bytes"], 100_000_000);
}

trait TakeBytes: std::io::Read + Sized {
    fn take_bytes(self, n: u64) -> std::io::Take<Self> {
        self.take(n)
    }
}
impl<R: std::io::Read> TakeBytes for R {}

#[test]
fn layer_paths_never_leave_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let manifest =
        br#"[{"Config":"config.json","RepoTags":["evil:1"],"Layers":["../../../etc/passwd"]}]"#;
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let p = dir.path().join("escape.tar");
    std::fs::write(
        &p,
        tar_bytes(&[("manifest.json", manifest), ("config.json", config)]),
    )
    .unwrap();
    assert_input_error(&["check", p.to_str().unwrap()], &p, "outside the archive");
}

#[test]
fn a_symlink_loop_between_layers() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = br#"[{"Config":"config.json","Layers":["a/layer.tar"]}]"#;
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in [
        ("manifest.json", &manifest[..]),
        ("config.json", &config[..]),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data).unwrap();
    }
    for (name, target) in [
        ("a/layer.tar", "../b/layer.tar"),
        ("b/layer.tar", "../a/layer.tar"),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, name, target).unwrap();
    }
    let p = dir.path().join("loop.tar");
    std::fs::write(&p, b.into_inner().unwrap()).unwrap();
    assert_input_error(&["check", p.to_str().unwrap()], &p, "loop");
}

#[test]
fn layer_entries_climbing_out_of_the_root_are_ignored_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    // tar::Builder refuses `..` names, so write the header bytes ourselves.
    let mut layer = Vec::new();
    for (name, data) in [
        ("../../etc/cron.d/evil", &b"* * * * * root sh\n"[..]),
        ("app/ok.txt", &b"ok"[..]),
    ] {
        let mut h = tar::Header::new_old();
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        layer.extend_from_slice(h.as_bytes());
        layer.extend_from_slice(data);
        layer.resize(layer.len().div_ceil(512) * 512, 0);
    }
    layer.extend_from_slice(&[0u8; 1024]);
    let id = sha(&layer);
    let p = oci_archive(dir.path(), "climb.tar", &[layer], &[id], None);
    let (code, r) = gate_json(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["image"]["file_count"], 1);
    assert_eq!(r["image"]["final_bytes"], 2);
    let notes = r["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("../../etc/cron.d/evil")),
        "{notes:?}"
    );
}

#[test]
fn a_huge_metadata_file_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.tar");
    // A sparse 10 GB "index.json": the header says so; the disk holds almost nothing.
    let f = std::fs::File::create(&p).unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_path("index.json").unwrap();
    h.set_size(10_000_000_000);
    h.set_mode(0o644);
    h.set_cksum();
    let mut w = std::io::BufWriter::new(&f);
    w.write_all(h.as_bytes()).unwrap();
    w.write_all(b"{\"manifests\":[").unwrap();
    drop(w);
    f.set_len(512 + 10_000_000_000 + 1024).unwrap();
    assert_input_error(
        &["check", p.to_str().unwrap()],
        &p,
        "more than any image metadata",
    );
}
