//! Hostile and strange images (issue 11): small archives an attacker, or an odd build tool,
//! could hand `gate check`. Each is generated here, run under an address-space and CPU cap,
//! and held to what it may cost (peak RSS, bytes read) as well as to what it must say.

#[path = "support/guarded.rs"]
mod guarded;
mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use guarded::gate_guarded;
use sha2::{Digest, Sha256};

fn sha(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

fn blob_name(digest: &str) -> String {
    format!("blobs/{}", digest.replace(':', "/"))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A tar of regular files (ustar headers, GNU long names where a path needs one).
fn tar_files(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// A PAX extended header entry (`x`) carrying `records`, as the tar crate writes none.
fn pax_header(records: &[(&str, &[u8])]) -> Vec<u8> {
    let mut data = Vec::new();
    for (k, v) in records {
        // "LEN key=value\n", LEN counting its own digits.
        let body = k.len() + v.len() + 3;
        let mut len = body + 1;
        while len.to_string().len() + body != len {
            len += 1;
        }
        data.extend_from_slice(format!("{len} {k}=").as_bytes());
        data.extend_from_slice(v);
        data.push(b'\n');
    }
    let mut h = tar::Header::new_ustar();
    h.set_path("PaxHeaders/x").unwrap();
    h.set_entry_type(tar::EntryType::XHeader);
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&h, &data[..]).unwrap();
    let mut out = b.into_inner().unwrap();
    out.truncate(out.len() - 1024); // drop the end-of-archive blocks: more entries follow
    out
}

/// An OCI archive from blobs: `layers` are the blobs, `listed` the order the manifest lists
/// them in (repeats allowed). Returns the path.
fn oci_archive(dir: &Path, name: &str, layers: &[Vec<u8>], listed: &[usize]) -> PathBuf {
    let diff_ids: Vec<String> = listed.iter().map(|&i| sha(&plain(&layers[i]))).collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["app.handler"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap();
    let descs: Vec<serde_json::Value> = listed
        .iter()
        .map(|&i| serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(&layers[i]), "size": layers[i].len()}))
        .collect();
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
        (blob_name(&sha(&manifest)), manifest),
        (blob_name(&sha(&config)), config),
    ];
    for l in layers {
        entries.push((blob_name(&sha(l)), l.clone()));
    }
    write_tar(&dir.join(name), &entries)
}

/// The layer tar inside a blob (gzip, zstd with or without a leading skippable frame, plain).
fn plain(blob: &[u8]) -> Vec<u8> {
    if blob.len() > 4 && blob[0] & 0xf0 == 0x50 && blob[1..4] == [0x2a, 0x4d, 0x18] {
        return zstd::decode_all(blob).unwrap();
    }
    support::decompress(blob)
}

fn write_tar(path: &Path, entries: &[(String, Vec<u8>)]) -> PathBuf {
    let f = std::fs::File::create(path).unwrap();
    let mut b = tar::Builder::new(std::io::BufWriter::new(f));
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    b.into_inner().unwrap().flush().unwrap();
    path.to_path_buf()
}

fn assert_refused(r: &guarded::Guarded, path: &Path, needles: &[&str]) {
    assert_eq!(
        r.code,
        Some(2),
        "exit 2; signal {:?}; stderr {}",
        r.signal,
        r.stderr
    );
    assert_eq!(
        r.stderr.trim_end().lines().count(),
        1,
        "one line: {}",
        r.stderr
    );
    assert!(r.stderr.starts_with("gate: error: "), "{}", r.stderr);
    assert!(
        r.stderr.contains(&path.display().to_string()),
        "names the file: {}",
        r.stderr
    );
    for n in needles {
        assert!(r.stderr.contains(n), "says {n:?}: {}", r.stderr);
    }
}

fn small_layer() -> Vec<u8> {
    gzip(&tar_files(&[(
        "var/task/app.py",
        b"def handler(e, c):\n    return {}\n",
    )]))
}

/// Item 1: an index that lists the same child index 100 times, 5 levels deep, is 10^10
/// visits read naively (it took 3.8 GB before). Each blob is read once.
#[test]
fn an_index_listing_one_child_a_hundred_times_five_deep_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let layer = small_layer();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {"Cmd": ["app.handler"]},
        "rootfs": {"type": "layers", "diff_ids": [sha(&plain(&layer))]},
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(&layer), "size": layer.len()}],
    }))
    .unwrap();
    let mut entries: Vec<(String, Vec<u8>)> = vec![
        (blob_name(&sha(&manifest)), manifest.clone()),
        (blob_name(&sha(&config)), config),
        (blob_name(&sha(&layer)), layer),
    ];
    let mut child = (
        "application/vnd.oci.image.manifest.v1+json",
        sha(&manifest),
        manifest.len(),
    );
    for _ in 0..5 {
        let one = serde_json::json!({"mediaType": child.0, "digest": child.1, "size": child.2});
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": vec![one; 100],
        }))
        .unwrap();
        child = (
            "application/vnd.oci.image.index.v1+json",
            sha(&index),
            index.len(),
        );
        entries.push((blob_name(&sha(&index)), index));
    }
    let top = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": child.0, "digest": child.1, "size": child.2}],
    }))
    .unwrap();
    entries.push(("index.json".into(), top));
    entries.push((
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    ));
    let p = write_tar(&dir.path().join("index-bomb.tar"), &entries);
    assert!(std::fs::metadata(&p).unwrap().len() < 200_000);

    let r = gate_guarded(&["check", p.to_str().unwrap(), "--format", "json"]);
    assert!(
        matches!(r.code, Some(0 | 1)),
        "signal {:?}: {}",
        r.signal,
        r.stderr
    );
    let v = r.json();
    assert_eq!(v["image"]["layers"].as_array().unwrap().len(), 1);
    assert!(r.max_rss < 100 << 20, "peak RSS {} MB", r.max_rss >> 20);
}

/// Item 1, the caps: more distinct manifests than any image has, or nesting deeper than any
/// tool writes, is exit 2 naming the limit.
#[test]
fn too_many_manifests_or_too_deep_an_index_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // 1,100 distinct (tiny, never read) manifests listed by one index.
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    let mut descs = Vec::new();
    for i in 0..1100 {
        let m = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "layers": [], "annotations": {"n": i.to_string()}})).unwrap();
        descs.push(serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&m), "size": m.len(), "platform": {"os": "linux", "architecture": format!("arch{i}")}}));
        entries.push((blob_name(&sha(&m)), m));
    }
    let index =
        serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "manifests": descs})).unwrap();
    let top = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": sha(&index), "size": index.len()}]})).unwrap();
    entries.push((blob_name(&sha(&index)), index));
    entries.push(("index.json".into(), top));
    let p = write_tar(&dir.path().join("wide.tar"), &entries);
    let r = gate_guarded(&["check", p.to_str().unwrap()]);
    assert_refused(&r, &p, &["more than 1024 manifests"]);

    // Ten indexes, each the only child of the one above.
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    let leaf = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "layers": []})).unwrap();
    let mut child = sha(&leaf);
    entries.push((blob_name(&child), leaf));
    for _ in 0..10 {
        let idx = serde_json::to_vec(
            &serde_json::json!({"schemaVersion": 2, "manifests": [{"digest": child}]}),
        )
        .unwrap();
        child = sha(&idx);
        entries.push((blob_name(&child), idx));
    }
    let top = serde_json::to_vec(
        &serde_json::json!({"schemaVersion": 2, "manifests": [{"digest": child}]}),
    )
    .unwrap();
    entries.push(("index.json".into(), top));
    let p = write_tar(&dir.path().join("deep.tar"), &entries);
    let r = gate_guarded(&["check", p.to_str().unwrap()]);
    assert_refused(&r, &p, &["deeper than 8 levels"]);
}

/// Item 2: a path longer than PATH_MAX (a 64 KiB GNU long name of 32,767 components took
/// 2 GB; a 1 MiB PAX path passed 4 GB) is refused, cheaply.
#[test]
fn paths_longer_than_path_max_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let deep = "a/".repeat(32_767) + "f";
    let gnu = gzip(&tar_files(&[(deep.as_str(), b"x")]));
    let p = oci_archive(dir.path(), "gnu-long.tar", &[gnu], &[0]);
    let r = gate_guarded(&["check", p.to_str().unwrap()]);
    assert_refused(&r, &p, &["layer 0", "65535 bytes", "PATH_MAX (4096)"]);
    assert!(r.max_rss < 100 << 20, "peak RSS {} MB", r.max_rss >> 20);

    let long = "b/".repeat(1 << 19);
    let mut pax = pax_header(&[("path", long.as_bytes())]);
    pax.extend(tar_files(&[("short", b"x")]));
    let p = oci_archive(dir.path(), "pax-long.tar", &[gzip(&pax)], &[0]);
    let r = gate_guarded(&["check", p.to_str().unwrap()]);
    assert_refused(&r, &p, &["1048576 bytes", "PATH_MAX"]);
    assert!(r.max_rss < 100 << 20, "peak RSS {} MB", r.max_rss >> 20);
}

/// Item 2: within the limit, memory grows with the input, not with depth × length. 300
/// entries of 4,000-byte paths of 2,000 components each (a 3 MB layer) cost 1.2 GB of
/// prefix copies in the dive tree before.
#[test]
fn deep_paths_within_the_limit_cost_memory_in_proportion_to_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<String> = (0..300)
        .map(|i| format!("d{i:03}/") + &"a/".repeat(1_996) + "f")
        .collect();
    let entries: Vec<(&str, &[u8])> = paths.iter().map(|p| (p.as_str(), &b"x"[..])).collect();
    let layer = gzip(&tar_files(&entries));
    let p = oci_archive(dir.path(), "deep-ok.tar", &[layer], &[0]);
    let r = gate_guarded(&["check", p.to_str().unwrap(), "--format", "json"]);
    assert!(
        matches!(r.code, Some(0 | 1)),
        "signal {:?}: {}",
        r.signal,
        r.stderr
    );
    assert_eq!(r.json()["image"]["file_count"], 300);
    assert!(r.max_rss < 200 << 20, "peak RSS {} MB", r.max_rss >> 20);
}

/// Item 4: one blob listed many times is read (inflated, hashed) once, and still applied as
/// many times as the manifest lists it.
#[test]
fn a_blob_listed_500_times_is_read_once_and_applied_500_times() {
    let dir = tempfile::tempdir().unwrap();
    let mut x: u64 = 0x2545f4914f6cdd1d;
    let noise: Vec<u8> = (0..2_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let layer = gzip(&tar_files(&[("var/task/blob.bin", &noise)]));
    let p = oci_archive(dir.path(), "repeated.tar", &[layer], &[0; 500]);
    let r = gate_guarded(&["check", p.to_str().unwrap(), "--format", "json"]);
    assert!(
        matches!(r.code, Some(0 | 1)),
        "signal {:?}: {}",
        r.signal,
        r.stderr
    );
    let v = r.json();
    let layers = v["image"]["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 500);
    // Every listing is a layer of the image: 500 copies of the file, 499 overwritten.
    assert_eq!(v["image"]["size_bytes"], 500 * 2_000_000u64);
    assert_eq!(v["image"]["final_bytes"], 2_000_000u64);
    assert_eq!(v["image"]["wasted_bytes"], 499 * 2_000_000u64);
    assert_eq!(layers[0]["wasted_bytes"], 2_000_000u64);
    assert_eq!(layers[499]["wasted_bytes"], 0);
    // Verified (the default), yet the blob was read about once: the archive is ~2 MB.
    let archive = std::fs::metadata(&p).unwrap().len();
    assert!(
        r.read_bytes < 10 * archive,
        "read {} MB of a {} MB archive",
        r.read_bytes >> 20,
        archive >> 20
    );
}

/// Item 6: a PAX `size` of 2^62 on a 4-byte entry is a truncated layer in both modes; the
/// seeking (`--no-verify`) path used to report "4611686 TB" and exit 1.
#[test]
fn a_pax_size_past_the_end_of_the_layer_is_exit_2_in_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    let mut layer = pax_header(&[("size", b"4611686018427387904")]);
    layer.extend(tar_files(&[("var/task/huge", b"abcd")]));
    let p = oci_archive(dir.path(), "pax-size.tar", &[layer], &[0]);
    for extra in [&[][..], &["--no-verify"][..]] {
        let mut args = vec!["check", p.to_str().unwrap()];
        args.extend(extra);
        let r = gate_guarded(&args);
        assert_refused(&r, &p, &["layer 0", "corrupt or truncated"]);
    }
}

/// Item 8: a valid layer of 1,000,000 empty files (1,000 directories of 1,000) peaked at
/// 612 MB. Built once under target/tmp.
#[test]
fn a_million_empty_files_stay_within_a_memory_budget() {
    static ARCHIVE: OnceLock<PathBuf> = OnceLock::new();
    let p = ARCHIVE.get_or_init(|| {
        let dir = support::static_dir("hostile-million");
        let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for d in 0..1000 {
            for f in 0..1000 {
                let mut h = tar::Header::new_ustar();
                h.set_size(0);
                h.set_mode(0o644);
                h.set_entry_type(tar::EntryType::Regular);
                b.append_data(&mut h, format!("srv/d{d:03}/f{f:03}"), std::io::empty())
                    .unwrap();
            }
        }
        let layer = b.into_inner().unwrap().finish().unwrap();
        oci_archive(&dir, "million.tar", &[layer], &[0])
    });
    let r = gate_guarded(&[
        "check",
        p.to_str().unwrap(),
        "--format",
        "json",
        "--max-expansion",
        "10000",
    ]);
    assert!(
        matches!(r.code, Some(0 | 1)),
        "signal {:?}: {}",
        r.signal,
        r.stderr
    );
    assert_eq!(r.json()["image"]["file_count"], 1_000_000);
    assert!(r.max_rss < 400 << 20, "peak RSS {} MB", r.max_rss >> 20);
}

/// Item 9: a file and a hard link to it in one layer, the file removed by a later layer: the
/// bytes are still in the image through the link.
#[test]
fn bytes_reachable_through_a_hard_link_are_not_waste() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(1000);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h, "var/task/data.bin", &[7u8; 1000][..])
        .unwrap();
    let mut l = tar::Header::new_gnu();
    l.set_entry_type(tar::EntryType::Link);
    l.set_size(0);
    l.set_mode(0o644);
    b.append_link(&mut l, "var/task/link.bin", "var/task/data.bin")
        .unwrap();
    let first = gzip(&b.into_inner().unwrap());
    let second = gzip(&tar_files(&[("var/task/.wh.data.bin", b"")]));
    let p = oci_archive(dir.path(), "hardlink.tar", &[first, second], &[0, 1]);
    let r = gate_guarded(&["check", p.to_str().unwrap(), "--format", "json"]);
    assert!(matches!(r.code, Some(0 | 1)), "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["image"]["final_bytes"], 1000);
    assert_eq!(v["image"]["wasted_bytes"], 0);
    assert_eq!(v["image"]["file_count"], 1);
}

/// Item 10: zstd that opens with a skippable frame is zstd; bzip2 and xz layers are named as
/// unsupported, not "corrupt". The bzip2 and xz blobs are made by the real tools.
#[test]
fn compression_is_named_right() {
    let dir = tempfile::tempdir().unwrap();
    let tar = tar_files(&[("var/task/app.py", b"print('hi')\n")]);
    // A skippable frame (magic 0x184D2A5E, little endian), 8 bytes of payload, then zstd.
    let mut zst = vec![0x5e, 0x2a, 0x4d, 0x18, 8, 0, 0, 0];
    zst.extend_from_slice(b"metadata");
    zst.extend(zstd::encode_all(&tar[..], 3).unwrap());
    // The reference decoder agrees it is valid zstd.
    let zpath = dir.path().join("layer.zst");
    std::fs::write(&zpath, &zst).unwrap();
    if support::require_tools(&["zstd"]) {
        let out = support::run(std::process::Command::new("zstd").args(["-dc"]).arg(&zpath));
        assert_eq!(out, tar);
    }
    let p = oci_archive(dir.path(), "zstd-skippable.tar", &[zst], &[0]);
    let r = gate_guarded(&["check", p.to_str().unwrap(), "--format", "json"]);
    assert!(matches!(r.code, Some(0 | 1)), "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["image"]["file_count"], 1);
    assert_eq!(v["image"]["final_bytes"], 12);
    // Verified: the blob's digest and the tar's diff_id both match.
    for name in ["layer-digest", "layer-diff-id"] {
        let failed = v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == name && c["status"] != "pass");
        assert!(!failed, "{name}: {}", v["checks"]);
    }

    if !support::require_tools(&["bzip2", "xz"]) {
        return;
    }
    for (tool, name) in [("bzip2", "bzip2"), ("xz", "xz")] {
        let tpath = dir.path().join("layer.tar");
        std::fs::write(&tpath, &tar).unwrap();
        let blob = support::run(std::process::Command::new(tool).arg("-c").arg(&tpath));
        let p = dir.path().join(format!("{name}-layer.tar"));
        let p = {
            // The manifest's diff_ids come from our own decompressor, which has no bzip2/xz:
            // write the archive by hand with the real diff_id.
            let config = serde_json::to_vec(&serde_json::json!({
                "architecture": "amd64", "os": "linux", "config": {"Cmd": ["x"]},
                "rootfs": {"type": "layers", "diff_ids": [sha(&tar)]},
            }))
            .unwrap();
            let manifest = serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2,
                "config": {"digest": sha(&config), "size": config.len()},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha(&blob), "size": blob.len()}],
            }))
            .unwrap();
            let index = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "manifests": [{"digest": sha(&manifest), "size": manifest.len()}]})).unwrap();
            write_tar(
                &p,
                &[
                    ("index.json".into(), index),
                    (blob_name(&sha(&manifest)), manifest),
                    (blob_name(&sha(&config)), config),
                    (blob_name(&sha(&blob)), blob),
                ],
            )
        };
        let r = gate_guarded(&["check", p.to_str().unwrap()]);
        assert_refused(&r, &p, &[&format!("unsupported compression ({name})")]);
    }
}

/// An image whose one layer holds `files`, run under the guard with a CPU cap many times what
/// the fixed code needs; returns the run and the archive's path.
fn gate_on_layer(name: &str, files: &[(&str, &[u8])]) -> (guarded::Guarded, PathBuf) {
    let dir = support::static_dir("hostile-packages");
    let layer = gzip(&tar_files(files));
    let p = oci_archive(&dir, name, &[layer], &[0]);
    let r = guarded::gate_guarded_with(
        &["check", p.to_str().unwrap(), "--format", "json"],
        guarded::Caps { cpu_seconds: 30 },
    );
    (r, p)
}

/// A run that got through (0 or 1), whose report notes a warning naming `db` and saying
/// `what`, within `rss_mb` of peak memory.
fn assert_warned(r: &guarded::Guarded, db: &str, what: &str, rss_mb: u64) {
    assert!(
        matches!(r.code, Some(0 | 1)),
        "exit {:?} signal {:?}: {}",
        r.code,
        r.signal,
        r.stderr
    );
    let v = r.json();
    let notes = v["notes"].as_array().cloned().unwrap_or_default();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains(db) && n.as_str().unwrap().contains(what)),
        "a note naming {db} and saying {what:?}: {notes:?}"
    );
    assert!(r.max_rss < rss_mb << 20, "peak RSS {} MB", r.max_rss >> 20);
}

/// Issue 24: a Berkeley DB `Packages` whose 16,000 items all point at one 3 MB overflow
/// chain. Each item was copied from the chain, 48 GB in all: the run aborted with "memory
/// allocation failed". Written byte by byte (little-endian hash file, 4 kB pages, as
/// go-rpmdb and `db5.3_dump` read them): no tool writes a shared chain.
#[test]
fn a_bdb_whose_items_share_one_overflow_chain_is_a_warning_not_48_gb() {
    const PAGE: usize = 4096;
    const ITEMS: usize = 16_000;
    // Pairs per hash page: two 2-byte offsets, a 5-byte key item and a 12-byte HOFFPAGE item.
    let per_page = (PAGE - 26) / 21;
    let hash_pages = ITEMS.div_ceil(per_page);
    let chain_pages = (3 << 20) / (PAGE - 26);
    let first_overflow = 1 + hash_pages;
    let pages = first_overflow + chain_pages;
    let mut f = vec![0u8; pages * PAGE];
    f[12..16].copy_from_slice(&0x0006_1561u32.to_le_bytes());
    f[20..24].copy_from_slice(&(PAGE as u32).to_le_bytes());
    f[25] = 8; // hash metadata
    f[32..36].copy_from_slice(&((pages - 1) as u32).to_le_bytes());
    for hp in 0..hash_pages {
        let o = (1 + hp) * PAGE;
        let n = per_page.min(ITEMS - hp * per_page);
        f[o + 25] = 13; // hash page
        f[o + 20..o + 22].copy_from_slice(&((2 * n) as u16).to_le_bytes());
        for i in 0..n {
            let key = PAGE - (i + 1) * 17;
            let data = key + 5;
            f[o + 26 + 4 * i..o + 28 + 4 * i].copy_from_slice(&(key as u16).to_le_bytes());
            f[o + 28 + 4 * i..o + 30 + 4 * i].copy_from_slice(&(data as u16).to_le_bytes());
            f[o + key] = 1; // H_KEYDATA, the key: a header number
            f[o + key + 1..o + key + 5]
                .copy_from_slice(&((hp * per_page + i) as u32).to_le_bytes());
            f[o + data] = 3; // H_OFFPAGE
            f[o + data + 4..o + data + 8].copy_from_slice(&(first_overflow as u32).to_le_bytes());
            f[o + data + 8..o + data + 12]
                .copy_from_slice(&((chain_pages * (PAGE - 26)) as u32).to_le_bytes());
        }
    }
    for c in 0..chain_pages {
        let o = (first_overflow + c) * PAGE;
        f[o + 25] = 7; // overflow
        let next = if c + 1 < chain_pages {
            first_overflow + c + 1
        } else {
            0
        };
        f[o + 16..o + 20].copy_from_slice(&(next as u32).to_le_bytes());
        f[o + 22..o + 24].copy_from_slice(&((PAGE - 26) as u16).to_le_bytes());
    }
    let (r, p) = gate_on_layer("bdb-shared-chain.tar", &[("var/lib/rpm/Packages", &f)]);
    assert!(std::fs::metadata(&p).unwrap().len() < 200_000);
    assert_warned(&r, "/var/lib/rpm/Packages", "reached twice", 150);
}

/// Issue 24: an `rpmdb.sqlite` of a few kB whose `Packages` is a view over a recursive query
/// of 20 million rows took 2 GB. Made by SQLite itself (rusqlite).
#[test]
fn an_rpmdb_sqlite_whose_packages_is_a_view_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rpmdb.sqlite");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(
        "CREATE VIEW Packages AS WITH RECURSIVE n(hnum) AS (SELECT 1 UNION ALL SELECT hnum + 1 FROM n WHERE hnum < 20000000) SELECT hnum, zeroblob(100) AS blob FROM n;",
    )
    .unwrap();
    drop(db);
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() < 16 << 10);
    let (r, _) = gate_on_layer("sqlite-view.tar", &[("var/lib/rpm/rpmdb.sqlite", &bytes)]);
    assert_warned(&r, "/var/lib/rpm/rpmdb.sqlite", "Packages is a view", 150);
}

/// Issue 24: a header whose file list claims 2^32-1 names over 32 MB of NUL bytes was one
/// String per NUL (768 MB of them). Now the header is refused as rpm refuses it, with a note.
/// The table is real (rusqlite); the header blob is written by hand: rpm writes no such thing.
#[test]
fn an_rpm_header_count_of_4_billion_is_a_warning() {
    let nuls = 32 << 20;
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (tag, ty, payload, count) in [
        (1000u32, 6u32, b"evil\0".to_vec(), 1u32),
        (1001, 6, b"1.0\0".to_vec(), 1),
        (1027, 8, vec![0u8; nuls], u32::MAX),
    ] {
        index.extend(tag.to_be_bytes());
        index.extend(ty.to_be_bytes());
        index.extend((data.len() as u32).to_be_bytes());
        index.extend(count.to_be_bytes());
        data.extend(payload);
    }
    let mut blob = Vec::new();
    blob.extend(3u32.to_be_bytes());
    blob.extend((data.len() as u32).to_be_bytes());
    blob.extend(index);
    blob.extend(data);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rpmdb.sqlite");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
    )
    .unwrap();
    db.execute("INSERT INTO Packages (blob) VALUES (?1)", [&blob])
        .unwrap();
    drop(db);
    let bytes = std::fs::read(&path).unwrap();
    let (r, _) = gate_on_layer("rpm-count.tar", &[("var/lib/rpm/rpmdb.sqlite", &bytes)]);
    assert_warned(&r, "/var/lib/rpm/rpmdb.sqlite", "1 package header(s)", 400);
}
