//! `cargo bench --bench registry`: `gate check docker://…` beside `skopeo copy docker://…
//! oci:DIR` of the same image from the same local registry, in the same run. Both read the
//! same bytes over the same loopback HTTP; skopeo also writes them to disk, gate writes
//! nothing. skopeo's exit code and the blobs it wrote are checked before its time counts.
//!
//! The image (~330 MB uncompressed, 4 gzip layers: many small text files, half-compressible
//! binaries, an app) is generated here, deterministically, and cached under `build/bench/`.
//! Needs docker-registry and skopeo (scripts/tools/50-registry.sh, scripts/tools/10-image-tools.sh).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const WORDS: &[&str] = &[
    "def", "return", "import", "self", "class", "lambda", "None", "for", "in", "if", "else",
    "value", "data", "request", "response", "handler", "event", "context", "json", "bytes",
];

fn text(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        out.extend_from_slice(WORDS[(rng.next() % WORDS.len() as u64) as usize].as_bytes());
        out.push(if rng.next() % 9 == 0 { b'\n' } else { b' ' });
    }
    out.truncate(len);
    out
}

fn binary(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let chunk = 4096.min(len - out.len());
        if rng.next() % 2 == 0 {
            out.extend((0..chunk).map(|_| rng.next() as u8));
        } else {
            let b = rng.next() as u8;
            out.extend(std::iter::repeat_n(b, chunk));
        }
    }
    out
}

fn gzip_layer(files: Vec<(String, Vec<u8>)>) -> (Vec<u8>, String, u64) {
    let mut b = tar::Builder::new(Vec::new());
    let file_bytes: u64 = files.iter().map(|f| f.1.len() as u64).sum();
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let diff_id = format!("sha256:{}", hex::encode(Sha256::digest(&tar)));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(3));
    gz.write_all(&tar).unwrap();
    (gz.finish().unwrap(), diff_id, file_bytes)
}

/// Writes the OCI archive once; returns its path and the bytes of its files (uncompressed).
fn build(dir: &Path) -> (PathBuf, u64) {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("bench-registry-oci.tar");
    let size_file = dir.join("bench-registry-oci.size");
    if let (true, Ok(s)) = (path.exists(), std::fs::read_to_string(&size_file)) {
        return (path, s.trim().parse().unwrap());
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut layers = Vec::new();
    layers.push(gzip_layer(
        (0..20_000)
            .map(|i| {
                let n = 500 + (rng.next() % 5000) as usize;
                (
                    format!("var/lang/lib/python3.12/site-packages/p{}/m{i}.py", i % 400),
                    text(&mut rng, n),
                )
            })
            .collect(),
    ));
    layers.push(gzip_layer(
        (0..12)
            .map(|i| (format!("opt/lib/lib{i}.so"), binary(&mut rng, 12 << 20)))
            .collect(),
    ));
    layers.push(gzip_layer(
        (0..400)
            .map(|i| (format!("var/task/app/f{i}.py"), text(&mut rng, 40_000)))
            .collect(),
    ));
    layers.push(gzip_layer(vec![(
        "var/task/model.bin".into(),
        binary(&mut rng, 40 << 20),
    )]));
    let total: u64 = layers.iter().map(|l| l.2).sum();
    let sha = |b: &[u8]| hex::encode(Sha256::digest(b));
    let cfg = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": ["/lambda-entrypoint.sh"], "Cmd": ["app.handler"]},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.1.clone()).collect::<Vec<_>>()},
    })
    .to_string()
    .into_bytes();
    let manifest = serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{}", sha(&cfg)), "size": cfg.len()},
        "layers": layers.iter().map(|l| serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": format!("sha256:{}", sha(&l.0)), "size": l.0.len()})).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes();
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": format!("sha256:{}", sha(&manifest)), "size": manifest.len()}]});
    let mut b = tar::Builder::new(BufWriter::new(File::create(&path).unwrap()));
    let mut add = |name: String, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data).unwrap();
    };
    add("oci-layout".into(), br#"{"imageLayoutVersion":"1.0.0"}"#);
    for l in &layers {
        add(format!("blobs/sha256/{}", sha(&l.0)), &l.0);
    }
    add(format!("blobs/sha256/{}", sha(&cfg)), &cfg);
    add(format!("blobs/sha256/{}", sha(&manifest)), &manifest);
    add("index.json".into(), index.to_string().as_bytes());
    b.into_inner().unwrap().flush().unwrap();
    std::fs::write(&size_file, total.to_string()).unwrap();
    (path, total)
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The registry, stopped even when an assertion fails.
struct Guard(std::process::Child);
impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Wall time and CPU time (user + system, from /usr/bin/time) of one run; the machine is
/// shared, so CPU time is the steadier figure.
struct Timed {
    wall: Duration,
    cpu: f64,
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

fn timed(cmd: &mut Command) -> Timed {
    let f = tempfile::NamedTempFile::new().unwrap();
    let mut c = Command::new("/usr/bin/time");
    c.arg("-f")
        .arg("%U %S")
        .arg("-o")
        .arg(f.path())
        .arg(cmd.get_program())
        .args(cmd.get_args());
    let t = Instant::now();
    let out = c.output().expect("/usr/bin/time (apt install time)");
    let wall = t.elapsed();
    let cpu = std::fs::read_to_string(f.path())
        .ok()
        .and_then(|s| {
            let l = s.lines().last()?.to_string();
            let mut it = l.split_whitespace().map(|x| x.parse::<f64>().ok());
            Some(it.next()?? + it.next()??)
        })
        .unwrap_or(f64::NAN);
    Timed {
        wall,
        cpu,
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

/// Best and median wall time, and best CPU time, of a command's runs.
struct Figures {
    best: Duration,
    median: Duration,
    cpu: f64,
}

fn figures(runs: &[(Duration, f64)]) -> Figures {
    let mut wall: Vec<Duration> = runs.iter().map(|r| r.0).collect();
    wall.sort();
    Figures {
        best: wall[0],
        median: wall[wall.len() / 2],
        cpu: runs.iter().map(|r| r.1).fold(f64::INFINITY, f64::min),
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if !have("docker-registry") || !have("skopeo") {
        eprintln!("skipping: docker-registry and skopeo are needed (scripts/tools/50-registry.sh)");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (archive, layer_bytes) = build(&root.join("build/bench"));
    let gate = root.join("target/release/gate");
    let gate = if gate.exists() {
        gate
    } else {
        PathBuf::from(env!("CARGO_BIN_EXE_gate"))
    };

    let tmp = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let storage = tmp.path().join("storage");
    let cfg = tmp.path().join("registry.yml");
    std::fs::write(
        &cfg,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n",
            storage.display()
        ),
    )
    .unwrap();
    let registry = Command::new("docker-registry")
        .arg("serve")
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let registry = Guard(registry);
    let start = Instant::now();
    while TcpStream::connect(&addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "docker-registry did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let image = format!("docker://{addr}/bench/app:1");
    let push = Command::new("skopeo")
        .args(["copy", "-q", "--dest-tls-verify=false"])
        .arg(format!("oci-archive:{}", archive.display()))
        .arg(&image)
        .status()
        .unwrap();
    assert!(push.success(), "skopeo could not push the bench image");
    let compressed: u64 = std::fs::metadata(&archive).unwrap().len();
    println!(
        "image: 4 gzip layers, {:.0} MB uncompressed, {:.0} MB as stored, from docker-registry on loopback",
        layer_bytes as f64 / 1e6,
        compressed as f64 / 1e6
    );

    // The two take turns, so a slow minute of a shared machine falls on both alike; the
    // median is the figure to compare, the best shows how far the noise reaches.
    let runs = 7;
    let (mut t_gate, mut t_skopeo) = (Vec::new(), Vec::new());
    let mut gate_report = None;
    for _ in 0..runs {
        let r =
            timed(Command::new(&gate).args(["check", &image, "--plain-http", "--format", "json"]));
        assert!(matches!(r.code, Some(0 | 1)), "gate failed: {}", r.stderr);
        gate_report = Some(r.stdout);
        t_gate.push((r.wall, r.cpu));

        let dest = tmp.path().join("skopeo-oci");
        let _ = std::fs::remove_dir_all(&dest);
        let r = timed(
            Command::new("skopeo")
                .args(["copy", "-q", "--src-tls-verify=false", &image])
                .arg(format!("oci:{}:app", dest.display())),
        );
        assert_eq!(r.code, Some(0), "skopeo copy failed: {}", r.stderr);
        // It wrote the whole image: every blob, as many bytes as the archive holds.
        let written: u64 = std::fs::read_dir(dest.join("blobs/sha256"))
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum();
        assert!(
            written >= compressed.saturating_sub(1 << 20),
            "skopeo wrote {written} of ~{compressed} bytes"
        );
        t_skopeo.push((r.wall, r.cpu));
    }
    let report: serde_json::Value = serde_json::from_slice(&gate_report.unwrap()).unwrap();
    assert_eq!(
        report["image"]["size_bytes"], layer_bytes,
        "gate read every layer"
    );
    drop(registry);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average {}",
        load.split_whitespace().next().unwrap_or("?")
    );
    let mbps = |t: Duration| compressed as f64 / 1e6 / t.as_secs_f64();
    println!(
        "{:<52} {:>9} {:>9} {:>9} {:>11}",
        "", "median", "best", "cpu", "MB/s stored"
    );
    let (gate, skopeo) = (figures(&t_gate), figures(&t_skopeo));
    for (name, f) in [
        (
            "gate check docker://… (verify + scan, writes nothing)",
            &gate,
        ),
        ("skopeo copy docker://… oci:DIR", &skopeo),
    ] {
        println!(
            "{name:<52} {:>8.2}s {:>8.2}s {:>8.2}s {:>11.0}",
            f.median.as_secs_f64(),
            f.best.as_secs_f64(),
            f.cpu,
            mbps(f.median)
        );
    }
    println!(
        "gate / skopeo, median wall time: {:.2}x (target: at most 1.00x)",
        gate.median.as_secs_f64() / skopeo.median.as_secs_f64()
    );
}
