//! `cargo bench --bench image`: how fast `gate check` reads a realistic Lambda image, beside
//! the references the issue names, in the same run on the same files.
//!
//! The image (~700 MB uncompressed, 6 layers) is generated here, deterministically: a base OS
//! layer, a Python site-packages layer of tens of thousands of small text-like files, a layer
//! of large half-compressible binaries, the app, and a clean-up layer that deletes some of it.
//! It is written twice: as a docker-archive with plain layers and as an OCI archive with gzip
//! layers, cached under `build/bench/`.
//!
//! Printed: wall time, throughput (MB/s of layer data) and peak RSS of `gate check`, next to
//! `gzip -dc` of the same layers on one core and, when `trivy` is on PATH, Trivy building an
//! SBOM of the same tarball.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

const WORDS: &[&str] = &[
    "def", "return", "import", "self", "class", "lambda", "None", "True", "False", "for", "in",
    "if", "else", "elif", "while", "yield", "async", "await", "with", "as", "try", "except",
    "raise", "from", "pass", "value", "data", "request", "response", "handler", "event", "context",
    "json", "dict", "list", "str", "int", "bytes", "os", "sys",
];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Source-code-like bytes (compress about 4x, like real .py files).
fn text(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        out.extend_from_slice(WORDS[rng.below(WORDS.len() as u64) as usize].as_bytes());
        out.push(if rng.below(9) == 0 { b'\n' } else { b' ' });
    }
    out.truncate(len);
    out
}

/// Binary-like bytes: half random, half repetitive (compress about 2x, like .so files).
fn binary(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let chunk = 4096.min(len - out.len());
        if rng.below(2) == 0 {
            for _ in 0..chunk {
                out.push(rng.next() as u8);
            }
        } else {
            let b = rng.next() as u8;
            out.extend(std::iter::repeat_n(b, chunk));
        }
    }
    out
}

enum Item {
    File(String, Vec<u8>),
    Whiteout(String),
}

fn layer_tar(items: Vec<Item>) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for item in items {
        let (name, data) = match item {
            Item::File(n, d) => (n, d),
            Item::Whiteout(p) => {
                let (dir, base) = p.rsplit_once('/').unwrap();
                (format!("{dir}/.wh.{base}"), Vec::new())
            }
        };
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, &name, &data[..]).unwrap();
    }
    b.into_inner().unwrap()
}

/// The package databases a real image carries, so that the inventory has work to do: a dpkg
/// status of 200 packages owning the 4,000 shared libraries (20 each, in `info/*.list`).
fn dpkg_db() -> Vec<Item> {
    let mut status = String::new();
    let mut out = Vec::new();
    for p in 0..200 {
        status.push_str(&format!(
            "Package: libbench{p}\nStatus: install ok installed\nVersion: 1.{p}-1\nArchitecture: amd64\n\n"
        ));
        let list: String = (p * 20..p * 20 + 20)
            .map(|i| format!("/usr/lib/x86_64-linux-gnu/lib{i}.so\n"))
            .collect();
        out.push(Item::File(
            format!("var/lib/dpkg/info/libbench{p}:amd64.list"),
            list.into_bytes(),
        ));
    }
    out.push(Item::File(
        "var/lib/dpkg/status".into(),
        status.into_bytes(),
    ));
    out
}

/// A `.dist-info` (METADATA and a RECORD of its 400 modules) for each of the 100 packages.
fn dist_infos() -> Vec<Item> {
    let site = "var/lang/lib/python3.12/site-packages";
    let mut out = Vec::new();
    for pkg in 0..100 {
        let info = format!("pkg{pkg}-1.0.dist-info");
        let record: String = (pkg * 400..pkg * 400 + 400)
            .map(|i| format!("pkg{pkg}/mod{i}.py,sha256=AAAA,1000\n"))
            .collect();
        out.push(Item::File(
            format!("{site}/{info}/METADATA"),
            format!(
                "Metadata-Version: 2.1\nName: pkg{pkg}\nVersion: 1.0\nLicense-Expression: MIT\n\n"
            )
            .into_bytes(),
        ));
        out.push(Item::File(
            format!("{site}/{info}/RECORD"),
            record.into_bytes(),
        ));
    }
    out
}

fn layers() -> Vec<(Vec<u8>, &'static str)> {
    let mut rng = Rng(0x5eed);
    let mut out = Vec::new();
    // 0: base OS, ~100 MB in 4,000 files.
    let base = (0..4000)
        .map(|i| {
            Item::File(
                format!("usr/lib/x86_64-linux-gnu/lib{i}.so"),
                binary(&mut rng, 15_000 + (i % 20) * 1_000),
            )
        })
        .collect();
    let mut base: Vec<Item> = base;
    base.extend(dpkg_db());
    out.push((layer_tar(base), "ADD rootfs.tar.xz /"));
    // 1: site-packages, ~300 MB in 40,000 small files.
    let site = (0..40_000)
        .map(|i| {
            let pkg = i / 400;
            let len = 1_000 + rng.below(14_000) as usize;
            Item::File(
                format!("var/lang/lib/python3.12/site-packages/pkg{pkg}/mod{i}.py"),
                text(&mut rng, len),
            )
        })
        .collect();
    let mut site: Vec<Item> = site;
    site.extend(dist_infos());
    out.push((layer_tar(site), "RUN pip install -r requirements.txt"));
    // 2: large binaries, ~220 MB.
    let big = (0..4)
        .map(|i| {
            Item::File(
                format!("opt/models/model{i}.bin"),
                binary(&mut rng, 55_000_000),
            )
        })
        .collect();
    out.push((layer_tar(big), "COPY models /opt/models"));
    // 3: the app, ~10 MB.
    let app = (0..500)
        .map(|i| Item::File(format!("var/task/app/m{i}.py"), text(&mut rng, 20_000)))
        .collect();
    out.push((layer_tar(app), "COPY app /var/task/app"));
    // 4: pip cache then its removal, the usual waste: 60 MB written...
    let cache = (0..300)
        .map(|i| {
            Item::File(
                format!("root/.cache/pip/http/{i}"),
                binary(&mut rng, 200_000),
            )
        })
        .collect();
    out.push((
        layer_tar(cache),
        "RUN pip download -d /root/.cache/pip wheels",
    ));
    // 5: ...and removed.
    out.push((
        layer_tar(vec![Item::Whiteout("root/.cache/pip".into())]),
        "RUN rm -rf /root/.cache/pip",
    ));
    out
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn config(diff_ids: &[String], instrs: &[&str]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["app.handler"], "Env": ["LAMBDA_TASK_ROOT=/var/task"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids.iter().map(|d| format!("sha256:{d}")).collect::<Vec<_>>()},
        "history": instrs.iter().map(|c| serde_json::json!({"created_by": c})).collect::<Vec<_>>(),
    }))
    .unwrap()
}

fn append(b: &mut tar::Builder<BufWriter<File>>, name: &str, data: &[u8]) {
    let mut h = tar::Header::new_ustar();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    b.append_data(&mut h, name, data).unwrap();
}

/// Writes both archives; returns (docker-archive path, oci-archive path, gzip layer paths).
fn build(dir: &Path) -> (PathBuf, PathBuf, Vec<PathBuf>) {
    let docker = dir.join("bench-docker-v2.tar");
    let oci = dir.join("bench-oci-gzip-v2.tar");
    let gz_dir = dir.join("gz-v2");
    if docker.exists() && oci.exists() && gz_dir.exists() {
        let mut gz: Vec<PathBuf> = std::fs::read_dir(&gz_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        gz.sort();
        return (docker, oci, gz);
    }
    std::fs::create_dir_all(&gz_dir).unwrap();
    eprintln!(
        "generating the benchmark image under {} (once)…",
        dir.display()
    );
    let layers = layers();
    let instrs: Vec<&str> = layers.iter().map(|(_, c)| *c).collect();
    let diff_ids: Vec<String> = layers.iter().map(|(t, _)| sha(t)).collect();
    let cfg = config(&diff_ids, &instrs);

    // docker-archive, plain layers.
    let mut b = tar::Builder::new(BufWriter::new(File::create(&docker).unwrap()));
    let mut names = Vec::new();
    for (i, (t, _)) in layers.iter().enumerate() {
        let name = format!("{}/layer.tar", diff_ids[i]);
        append(&mut b, &name, t);
        names.push(name);
    }
    append(&mut b, "config.json", &cfg);
    let manifest = serde_json::json!([{"Config": "config.json", "RepoTags": ["bench:plain"], "Layers": names}]);
    append(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    b.finish().unwrap();

    // OCI archive, gzip layers (compressed on both cores).
    let gzs: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = layers
            .iter()
            .map(|(t, _)| s.spawn(move || gzip(t)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut b = tar::Builder::new(BufWriter::new(File::create(&oci).unwrap()));
    let mut descs = Vec::new();
    for (i, g) in gzs.iter().enumerate() {
        let d = sha(g);
        append(&mut b, &format!("blobs/sha256/{d}"), g);
        std::fs::write(gz_dir.join(format!("{i}.gz")), g).unwrap();
        descs.push(serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": format!("sha256:{d}"), "size": g.len()}));
    }
    append(&mut b, &format!("blobs/sha256/{}", sha(&cfg)), &cfg);
    let m = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{}", sha(&cfg)), "size": cfg.len()},
        "layers": descs,
    }))
    .unwrap();
    append(&mut b, &format!("blobs/sha256/{}", sha(&m)), &m);
    let idx = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": format!("sha256:{}", sha(&m)), "size": m.len()}]});
    append(&mut b, "index.json", &serde_json::to_vec(&idx).unwrap());
    append(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    b.finish().unwrap();
    let mut gz: Vec<PathBuf> = (0..gzs.len())
        .map(|i| gz_dir.join(format!("{i}.gz")))
        .collect();
    gz.sort();
    (docker, oci, gz)
}

/// Runs a command to completion under GNU time; returns wall time and the peak RSS (KiB) of
/// that command alone. (getrusage from this process would not do: a child spawned from a
/// process holding the generated image inherits its high-water mark until exec.)
fn measure(cmd: &mut Command) -> (Duration, i64, bool) {
    let (t, rss, code) = measure_status(cmd);
    (t, rss, code.is_some_and(|c| c <= 1))
}

/// [`measure`], with the command's exit code.
fn measure_status(cmd: &mut Command) -> (Duration, i64, Option<i32>) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(out.path())
        .arg(cmd.get_program())
        .args(cmd.get_args());
    let start = Instant::now();
    let status = timed
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run /usr/bin/time (apt install time)");
    let elapsed = start.elapsed();
    let rss = std::fs::read_to_string(out.path())
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(0);
    (elapsed, rss, status.code())
}

fn best_of<F: FnMut() -> (Duration, i64, bool)>(n: usize, mut f: F) -> (Duration, i64) {
    let mut best = Duration::MAX;
    let mut rss = 0;
    for _ in 0..n {
        let (t, r, ok) = f();
        assert!(ok, "a benchmarked command failed");
        best = best.min(t);
        rss = rss.max(r);
    }
    (best, rss)
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("build/bench");
    std::fs::create_dir_all(&dir).unwrap();
    let (docker, oci, gz) = build(&dir);
    let gate = root.join("target/release/gate");
    let st = Command::new("cargo")
        .args(["build", "--release", "--quiet", "--bin", "gate"])
        .current_dir(root)
        .status()
        .unwrap();
    assert!(st.success());

    let layer_bytes: u64 = std::fs::metadata(&docker).unwrap().len();
    let gz_bytes: u64 = gz.iter().map(|p| std::fs::metadata(p).unwrap().len()).sum();
    println!(
        "image: 6 layers, {:.0} MB uncompressed (docker-archive), {:.0} MB gzip (oci-archive)",
        layer_bytes as f64 / 1e6,
        gz_bytes as f64 / 1e6
    );
    println!(
        "machine: {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let runs = 3;

    let (t_gz, rss_gz) = best_of(runs, || measure(Command::new(&gate).arg("check").arg(&oci)));
    let (t_gz_nv, rss_gz_nv) = best_of(runs, || {
        measure(Command::new(&gate).args(["check", "--no-verify"]).arg(&oci))
    });
    let (t_gzip, _) = best_of(runs, || {
        let start = Instant::now();
        for p in &gz {
            let st = Command::new("taskset")
                .args(["-c", "0", "gzip", "-dc"])
                .arg(p)
                .stdout(Stdio::null())
                .status()
                .unwrap();
            assert!(st.success());
        }
        (start.elapsed(), 0, true)
    });
    let (t_plain, rss_plain) = best_of(runs, || {
        measure(Command::new(&gate).arg("check").arg(&docker))
    });
    let (t_seek, rss_seek) = best_of(runs, || {
        measure(
            Command::new(&gate)
                .args(["check", "--no-verify"])
                .arg(&docker),
        )
    });

    // The package inventory's cost: the same checks without it.
    let (t_gz_np, rss_gz_np) = best_of(runs, || {
        measure(
            Command::new(&gate)
                .args(["check", "--no-packages"])
                .arg(&oci),
        )
    });
    let (t_plain_np, rss_plain_np) = best_of(runs, || {
        measure(
            Command::new(&gate)
                .args(["check", "--no-packages"])
                .arg(&docker),
        )
    });
    let packages = {
        let out = Command::new(&gate)
            .args(["check", "--format", "json"])
            .arg(&docker)
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        r["packages"].as_array().map(|a| a.len()).unwrap_or(0)
    };
    assert_eq!(
        packages, 300,
        "the bench image's 200 debs and 100 Python packages"
    );

    let mb = layer_bytes as f64 / 1e6;
    println!();
    println!(
        "{:<44} {:>8} {:>10} {:>10}",
        "", "wall s", "MB/s", "peak RSS"
    );
    let row = |name: &str, t: Duration, rss: i64| {
        let rss = if rss > 0 {
            format!("{:.1} MB", rss as f64 * 1024.0 / 1e6)
        } else {
            "-".into()
        };
        println!(
            "{:<44} {:>8.3} {:>10.0} {:>10}",
            name,
            t.as_secs_f64(),
            mb / t.as_secs_f64(),
            rss
        );
    };
    row("gate check, gzip oci-archive (verified)", t_gz, rss_gz);
    row(
        "gate check, gzip oci-archive, --no-verify",
        t_gz_nv,
        rss_gz_nv,
    );
    row("gzip -dc of the same layers, one core", t_gzip, 0);
    row(
        "gate check, plain docker-archive (verified)",
        t_plain,
        rss_plain,
    );
    row(
        "gate check, plain docker-archive, --no-verify",
        t_seek,
        rss_seek,
    );
    row(
        "gate check, gzip oci-archive, --no-packages",
        t_gz_np,
        rss_gz_np,
    );
    row(
        "gate check, plain docker-archive, --no-packages",
        t_plain_np,
        rss_plain_np,
    );
    println!();
    let cost_gz = t_gz.as_secs_f64() / t_gz_np.as_secs_f64() - 1.0;
    let cost_plain = t_plain.as_secs_f64() / t_plain_np.as_secs_f64() - 1.0;
    println!(
        "inventory target: the {packages} packages add ≤ 10% → gzip {:+.1}% ({}), plain {:+.1}% ({})",
        cost_gz * 100.0,
        verdict(cost_gz <= 0.10),
        cost_plain * 100.0,
        verdict(cost_plain <= 0.10)
    );
    let r = t_gz.as_secs_f64() / t_gzip.as_secs_f64();
    let r_nv = t_gz_nv.as_secs_f64() / t_gzip.as_secs_f64();
    println!(
        "gzip target: gate ≤ 0.25 × gzip -dc → verified {r:.2}× ({}), --no-verify {r_nv:.2}× ({})",
        verdict(r <= 0.25),
        verdict(r_nv <= 0.25)
    );

    let trivy = Command::new("sh")
        .args(["-c", "command -v trivy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if trivy {
        // This Trivy build exits 1 without a word under `--cache-backend memory`, or offline
        // with its default scanners (no vulnerability DB): a time of that run measures a
        // failure. `--scanners license` with a fresh cache dir is the inventory alone; each run
        // is checked for exit 0 and a CycloneDX document with components before it counts.
        let (t_trivy, rss_trivy) = best_of(runs, || {
            let tmp = tempfile::tempdir().unwrap();
            let bom = tmp.path().join("bom.json");
            let (t, rss, code) = measure_status(
                Command::new("trivy")
                    .args([
                        "image",
                        "--quiet",
                        "--scanners",
                        "license",
                        "--format",
                        "cyclonedx",
                        "--cache-dir",
                    ])
                    .arg(tmp.path().join("cache"))
                    .arg("--input")
                    .arg(&docker)
                    .arg("--output")
                    .arg(&bom),
            );
            assert_eq!(
                code,
                Some(0),
                "trivy failed: its time would measure a failure"
            );
            let doc: serde_json::Value = std::fs::read(&bom)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_else(|| panic!("trivy wrote no SBOM: its time would measure a failure"));
            let components = doc["components"].as_array().map(|c| c.len()).unwrap_or(0);
            assert!(
                doc["bomFormat"] == "CycloneDX" && components > 0,
                "trivy's SBOM lists no components"
            );
            (t, rss, true)
        });
        row(
            "trivy image --scanners license --format cyclonedx",
            t_trivy,
            rss_trivy,
        );
        println!(
            "plain target: gate ≤ 0.25 × trivy → verified {:.2}× ({}), --no-verify {:.2}× ({})",
            t_plain.as_secs_f64() / t_trivy.as_secs_f64(),
            verdict(t_plain.as_secs_f64() / t_trivy.as_secs_f64() <= 0.25),
            t_seek.as_secs_f64() / t_trivy.as_secs_f64(),
            verdict(t_seek.as_secs_f64() / t_trivy.as_secs_f64() <= 0.25)
        );
    } else {
        println!("trivy not on PATH: the Trivy reference was not run (scripts/install-tools.sh installs it)");
    }
    println!(
        "memory target: peak RSS < 64 MB for a 700 MB image → {}",
        verdict(rss_gz.max(rss_plain) * 1024 < 64_000_000)
    );
    html_render(&gate, &docker, t_plain);

    // The per-entry cost: one layer of 1,000,000 empty files (issue 11: it peaked at 612 MB).
    let million = million_files(&dir);
    let (t_m, rss_m) = best_of(1, || {
        measure(
            Command::new(&gate)
                .args(["check", "--max-expansion", "10000"])
                .arg(&million),
        )
    });
    println!(
        "{:<44} {:>8.3} {:>10} {:>10}",
        "gate check, 1,000,000 empty files, 1 layer",
        t_m.as_secs_f64(),
        "-",
        format!("{:.1} MB", rss_m as f64 * 1024.0 / 1e6)
    );
    compiled_binaries(&gate, root, runs);
}

/// The cost of reading compiled binaries: scripts/tools/80-binaries.sh's image with a 30 MB
/// Rust (cargo-auditable) and a 20 MB Go executable, checked with the inventory and without
/// it (`--no-packages`: no executable is read past its first bytes). The image holds no
/// package database, so the difference is the executables' reading. Skipped, saying so, when
/// the install script has not built it.
fn compiled_binaries(gate: &Path, root: &Path, runs: usize) {
    let tar = root.join("build/binaries/binaries-big.tar");
    if !tar.exists() {
        println!(
            "(no {}: run scripts/tools/80-binaries.sh for the compiled-binaries row)",
            tar.display()
        );
        return;
    }
    // Trust the time only once the inventory is what the binaries hold.
    let out = Command::new(gate)
        .args(["check", "--format", "json"])
        .arg(&tar)
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let count = |eco: &str| {
        r["packages"]
            .as_array()
            .map(|a| a.iter().filter(|p| p["ecosystem"] == eco).count())
            .unwrap_or(0)
    };
    assert!(
        count("cargo") > 0 && count("golang") > 0,
        "no crates or modules read: {r}"
    );
    let (t_with, rss_with) = best_of(runs, || measure(Command::new(gate).arg("check").arg(&tar)));
    let (t_without, rss_without) = best_of(runs, || {
        measure(
            Command::new(gate)
                .args(["check", "--no-packages"])
                .arg(&tar),
        )
    });
    let mb = std::fs::metadata(&tar).unwrap().len() as f64 / 1e6;
    for (name, t, rss) in [
        (
            "gate check, 30 MB Rust + 20 MB Go binaries",
            t_with,
            rss_with,
        ),
        (
            "  the same, --no-packages (binaries unread)",
            t_without,
            rss_without,
        ),
    ] {
        println!(
            "{:<44} {:>8.3} {:>10.0} {:>10}",
            name,
            t.as_secs_f64(),
            mb / t.as_secs_f64(),
            format!("{:.1} MB", rss as f64 * 1024.0 / 1e6)
        );
    }
    println!(
        "reading the binaries: {:+.1}% wall time ({} crates, {} Go modules)",
        (t_with.as_secs_f64() / t_without.as_secs_f64() - 1.0) * 100.0,
        count("cargo"),
        count("golang")
    );
}

/// An OCI archive whose one gzip layer holds 1,000,000 empty files in 1,000 directories,
/// cached beside the other bench images.
fn million_files(dir: &Path) -> PathBuf {
    let path = dir.join("bench-million-empty.tar");
    if path.exists() {
        return path;
    }
    eprintln!("generating the 1,000,000-file layer (once)…");
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
    let tar = {
        let mut d = flate2::read::GzDecoder::new(&layer[..]);
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut d, &mut v).unwrap();
        v
    };
    let cfg = config(&[sha(&tar)], &["RUN touch a million files"]);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{}", sha(&cfg)), "size": cfg.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": format!("sha256:{}", sha(&layer)), "size": layer.len()}],
    }))
    .unwrap();
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": format!("sha256:{}", sha(&manifest)), "size": manifest.len()}],
    }))
    .unwrap();
    let mut b = tar::Builder::new(BufWriter::new(File::create(&path).unwrap()));
    append(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    append(&mut b, "index.json", &index);
    for blob in [&manifest, &cfg, &layer] {
        append(&mut b, &format!("blobs/sha256/{}", sha(blob)), blob);
    }
    b.into_inner().unwrap().flush().unwrap();
    path
}

/// The HTML report of the same image: rendering it (`--html`) against the check's own time.
/// Rendered here from the check's JSON report, so only the renderer is timed.
fn html_render(gate: &Path, image: &Path, check: Duration) {
    let json = tempfile::NamedTempFile::new().unwrap();
    let st = Command::new(gate)
        .arg("check")
        .arg(image)
        .arg("--output")
        .arg(json.path())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.code().is_some_and(|c| c <= 1), "gate check failed");
    let report: lambda_gate::report::Report =
        serde_json::from_slice(&std::fs::read(json.path()).unwrap()).unwrap();
    let mut best = Duration::MAX;
    let mut size = 0;
    for _ in 0..20 {
        let start = Instant::now();
        let html = lambda_gate::report::html::render(&report);
        best = best.min(start.elapsed());
        size = html.len();
    }
    let share = best.as_secs_f64() / check.as_secs_f64();
    println!(
        "html report: {} dirs, {size} bytes, rendered in {:.2} ms = {:.3}% of the check's {:.2} s → target < 5%: {}",
        report.dirs.len(),
        best.as_secs_f64() * 1e3,
        share * 100.0,
        check.as_secs_f64(),
        verdict(share < 0.05)
    );
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}
