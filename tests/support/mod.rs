//! Test support shared by the image tests: where fixtures live, how to run `gate`, and an
//! independent reference walk of an image to compare the gate's numbers against.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod http;

/// `../shared/fixtures` beside the repo (as CI lays it out), or `$LAMBDA_GATE_FIXTURES`.
pub fn fixtures() -> PathBuf {
    if let Ok(p) = std::env::var("LAMBDA_GATE_FIXTURES") {
        return PathBuf::from(p);
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    if beside.is_dir() {
        return beside;
    }
    PathBuf::from("/work/shared/fixtures")
}

pub fn image(name: &str) -> PathBuf {
    fixtures().join("images").join(name)
}

pub fn gate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run gate")
}

/// The check named `name` in a JSON report; a missing one fails the test with the list.
pub fn check<'a>(r: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {}", r["checks"]))
}

pub fn gate_json(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = gate(&all);
    let code = out.status.code().unwrap_or(-1);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "gate {args:?} did not print JSON ({e}); exit {code}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, v)
}

/// The numbers DESIGN.md defines, computed the simple way: whole members read into memory,
/// a HashMap for the filesystem, whiteouts applied by scanning every key. Slow and obvious,
/// and sharing no code with the gate.
#[derive(Debug, Default, PartialEq)]
pub struct Expected {
    pub layer_sizes: Vec<u64>,
    pub layer_compressed: Vec<u64>,
    pub layer_wasted: Vec<u64>,
    pub size: u64,
    pub compressed: u64,
    pub final_bytes: u64,
    pub wasted: u64,
    pub file_count: u64,
    /// The merged filesystem: path (no leading `/`) → (size, is_dir, writer layer).
    pub files: HashMap<String, (u64, bool, usize)>,
}

impl Expected {
    /// Visible regular-file bytes under `prefix` (no leading `/`), by writer layer.
    pub fn bytes_under(&self, prefix: &str) -> HashMap<usize, u64> {
        let mut out = HashMap::new();
        for (p, (size, is_dir, layer)) in &self.files {
            if !is_dir && p.starts_with(prefix) {
                *out.entry(*layer).or_insert(0) += size;
            }
        }
        out
    }
}

/// Reads an image archive (docker-archive or OCI layout in a tar, or an OCI directory).
pub fn expected(path: &Path) -> Expected {
    let members = read_members(path);
    let get = |name: &str| -> Vec<u8> {
        let mut n = name.trim_start_matches("./").to_string();
        for _ in 0..8 {
            match members.get(&n) {
                Some(Member::Data(d)) => return d.clone(),
                Some(Member::Link(t)) => n = t.clone(),
                None => panic!("{name} missing"),
            }
        }
        panic!("link loop at {name}")
    };
    let layer_blobs: Vec<Vec<u8>> = if members.contains_key("manifest.json") {
        let m: serde_json::Value = serde_json::from_slice(&get("manifest.json")).unwrap();
        m[0]["Layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| get(l.as_str().unwrap()))
            .collect()
    } else {
        let idx: serde_json::Value = serde_json::from_slice(&get("index.json")).unwrap();
        let mut desc = idx["manifests"][0].clone();
        loop {
            let blob = get(&format!(
                "blobs/{}",
                desc["digest"].as_str().unwrap().replace(':', "/")
            ));
            let doc: serde_json::Value = serde_json::from_slice(&blob).unwrap();
            if let Some(ms) = doc["manifests"].as_array() {
                desc = ms
                    .iter()
                    .find(|d| d["platform"]["architecture"] == "amd64")
                    .unwrap_or(&ms[0])
                    .clone();
                continue;
            }
            break doc["layers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    get(&format!(
                        "blobs/{}",
                        l["digest"].as_str().unwrap().replace(':', "/")
                    ))
                })
                .collect();
        }
    };

    // path -> (size, is_dir, writer layer)
    let mut fs: HashMap<String, (u64, bool, usize)> = HashMap::new();
    let mut e = Expected::default();
    for (i, blob) in layer_blobs.iter().enumerate() {
        e.layer_compressed.push(blob.len() as u64);
        let tar_bytes = decompress(blob);
        let mut adds = Vec::new();
        let mut removes = Vec::new();
        let mut opaques = Vec::new();
        let mut size = 0;
        for entry in tar::Archive::new(&tar_bytes[..]).entries().unwrap() {
            let entry = entry.unwrap();
            let t = entry.header().entry_type();
            // Every filesystem entry: devices and fifos too (mmdebstrap's /dev has them).
            let node = t.is_character_special() || t.is_block_special() || t.is_fifo();
            if !(t.is_file() || t.is_dir() || t.is_symlink() || t.is_hard_link() || node) {
                continue;
            }
            let p = String::from_utf8_lossy(&entry.path_bytes()).to_string();
            let p = p
                .trim_start_matches("./")
                .trim_start_matches('/')
                .trim_end_matches('/')
                .to_string();
            if p.is_empty() || p == "." {
                continue;
            }
            let (dir, name) = p
                .rsplit_once('/')
                .map(|(d, n)| (d.to_string(), n.to_string()))
                .unwrap_or((String::new(), p.clone()));
            if name == ".wh..wh..opq" {
                opaques.push(dir);
                continue;
            }
            if let Some(rest) = name.strip_prefix(".wh.") {
                removes.push(if dir.is_empty() {
                    rest.to_string()
                } else {
                    format!("{dir}/{rest}")
                });
                continue;
            }
            let sz = if t.is_file() { entry.size() } else { 0 };
            size += sz;
            adds.push((p, sz, t.is_dir()));
        }
        e.layer_sizes.push(size);
        let hide = |fs: &mut HashMap<String, (u64, bool, usize)>,
                    pred: &dyn Fn(&str) -> bool,
                    e: &mut Expected| {
            let keys: Vec<String> = fs.keys().filter(|k| pred(k)).cloned().collect();
            for k in keys {
                let (sz, _, w) = fs.remove(&k).unwrap();
                e.wasted += sz;
                e.layer_wasted[w] += sz;
            }
        };
        e.layer_wasted.push(0);
        for r in &removes {
            let prefix = format!("{r}/");
            hide(&mut fs, &|k: &str| k == r || k.starts_with(&prefix), &mut e);
        }
        for o in &opaques {
            let prefix = format!("{o}/");
            hide(&mut fs, &|k: &str| k.starts_with(&prefix), &mut e);
        }
        for (p, sz, is_dir) in adds {
            let prefix = format!("{p}/");
            let replaced_dir = fs.get(&p).is_some_and(|v| v.1);
            if !is_dir && replaced_dir {
                hide(&mut fs, &|k: &str| k.starts_with(&prefix), &mut e);
            }
            if fs.get(&p).is_some_and(|v| !(v.1 && is_dir)) {
                hide(&mut fs, &|k: &str| k == p, &mut e);
            }
            // ancestors that are not directories are replaced
            let parts: Vec<&str> = p.split('/').collect();
            for n in 1..parts.len() {
                let a = parts[..n].join("/");
                if fs.get(&a).is_some_and(|v| !v.1) {
                    hide(&mut fs, &|k: &str| k == a, &mut e);
                }
            }
            fs.insert(p, (sz, is_dir, i));
        }
    }
    e.size = e.layer_sizes.iter().sum();
    e.compressed = e.layer_compressed.iter().sum();
    e.final_bytes = fs.values().map(|v| v.0).sum();
    e.file_count = fs.values().filter(|v| !v.1).count() as u64;
    e.files = fs;
    e
}

enum Member {
    Data(Vec<u8>),
    Link(String),
}

fn read_members(path: &Path) -> HashMap<String, Member> {
    let mut out = HashMap::new();
    if path.is_dir() {
        for entry in walk_dir(path) {
            let rel = entry
                .strip_prefix(path)
                .unwrap()
                .to_string_lossy()
                .to_string();
            out.insert(rel, Member::Data(std::fs::read(&entry).unwrap()));
        }
        return out;
    }
    let data = std::fs::read(path).unwrap();
    for entry in tar::Archive::new(&data[..]).entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = String::from_utf8_lossy(&entry.path_bytes())
            .trim_start_matches("./")
            .to_string();
        let t = entry.header().entry_type();
        if t.is_symlink() || t.is_hard_link() {
            let target = String::from_utf8_lossy(&entry.link_name_bytes().unwrap()).to_string();
            let full = if t.is_symlink() {
                let dir = Path::new(&name).parent().unwrap().join(&target);
                normalize(&dir.to_string_lossy())
            } else {
                target
            };
            out.insert(name, Member::Link(full));
        } else if t.is_file() {
            let mut buf = Vec::new();
            entry.read_to_end(&mut buf).unwrap();
            out.insert(name, Member::Data(buf));
        }
    }
    out
}

fn normalize(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

fn walk_dir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk_dir(&p));
        } else {
            out.push(p);
        }
    }
    out
}

pub fn decompress(blob: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if blob.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(blob)
            .read_to_end(&mut out)
            .unwrap();
    } else if blob.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        out = zstd::decode_all(blob).unwrap();
    } else {
        out = blob.to_vec();
    }
    out
}

/// Whether the tools a test needs are on PATH. In CI a missing tool is a failure; on a
/// laptop the test says what it skipped.
pub fn require_tools(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| {
            Command::new("sh")
                .arg("-c")
                .arg(format!("command -v {t}"))
                .output()
                .map(|o| !o.status.success())
                .unwrap_or(true)
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI: missing tools {missing:?}; scripts/install-tools.sh installs them");
    }
    eprintln!("skipping: missing tools {missing:?} (run scripts/install-tools.sh)");
    false
}

/// A directory for what a `static` keeps for the whole test binary (built images, scans),
/// under target/tmp and emptied by the next run: a `TempDir` held by a static is never
/// dropped, so it would leave its files in /tmp after every run.
pub fn static_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a command the test depends on; a failure fails the test with everything it printed.
/// Returns its stdout.
pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Trivy's CycloneDX BOM of an image archive, run offline with a fresh cache (NOTES.md: the
/// only way this Trivy build writes one), license scanner only: the inventory, no database.
pub fn trivy_cyclonedx(tar: &Path) -> serde_json::Value {
    let cache = tempfile::tempdir().unwrap();
    let out = cache.path().join("bom.json");
    run(Command::new("trivy")
        .args(["image", "--quiet", "--scanners", "license"])
        .args(["--format", "cyclonedx", "--cache-dir"])
        .arg(cache.path().join("cache"))
        .arg("--input")
        .arg(tar)
        .arg("--output")
        .arg(&out));
    serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
}

/// buildah on the storage every test image is built in (scripts/build-base-image.sh puts the
/// base there too). Overlay: vfs copied the whole root filesystem for every step.
pub fn buildah() -> Command {
    let mut c = Command::new("buildah");
    c.args(["--storage-driver", "overlay"]);
    c
}

/// Builds the Dockerfile in `ctx` as `tag` and saves the image to `out` as a docker-archive.
pub fn build_docker_archive(ctx: &Path, tag: &str, out: &Path) {
    run(buildah()
        .args(["bud", "--layers", "--isolation", "chroot", "-q", "-t", tag])
        .arg(ctx));
    run(buildah()
        .args(["push", "-q", tag])
        .arg(format!("docker-archive:{}", out.display())));
}

/// The index of the layer whose `created_by` contains `needle`, in a JSON report.
pub fn layer_of(report: &serde_json::Value, needle: &str) -> usize {
    report["image"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .position(|l| l["created_by"].as_str().unwrap_or("").contains(needle))
        .unwrap_or_else(|| panic!("no layer made by {needle}"))
}

/// Builds (once per machine) localhost/gate-base:bookworm, the Debian base test images start
/// FROM; false where buildah or mmdebstrap is missing off CI (see [`require_tools`]).
pub fn base_image() -> bool {
    if !require_tools(&["buildah", "mmdebstrap"]) {
        return false;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    run(Command::new("bash").arg(root.join("scripts/build-base-image.sh")));
    true
}

/// Runs `program args…` under a shell that kills it when this test binary exits: the shell
/// waits for EOF on a pipe only this process holds open, so a server started for a `static`
/// never outlives the tests (a static's Drop never runs).
pub fn tied(program: &str) -> Command {
    let mut c = Command::new("sh");
    c.args([
        "-c",
        r#""$@" </dev/null & c=$!; cat >/dev/null; kill $c 2>/dev/null; wait $c"#,
        "sh",
        program,
    ])
    .stdin(std::process::Stdio::piped());
    c
}

/// A port the OS picks: bind :0, read it, release it for a server to take.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One request as a loopback test server sees it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET /path?query HTTP/1.1`.
    pub line: String,
    /// Names lower-cased, values trimmed.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When its head was read.
    pub at: std::time::Instant,
}

impl Request {
    pub fn method(&self) -> &str {
        self.line.split_whitespace().next().unwrap_or_default()
    }

    /// The path with its query, as sent.
    pub fn path(&self) -> &str {
        self.line.split_whitespace().nth(1).unwrap_or_default()
    }

    /// The first header of that (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request off a keep-alive connection, as the loopback test servers read it:
/// its request line, headers and body (by Content-Length). `None` when the client
/// closed the connection or sent less than it announced.
pub fn read_request(reader: &mut impl std::io::BufRead) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return None;
    }
    let mut headers = Vec::new();
    let mut len = 0;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 {
            return None;
        }
        if h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let at = std::time::Instant::now();
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        line,
        headers,
        body,
        at,
    })
}
