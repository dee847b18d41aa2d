//! The whole pipeline on the bundled function, as CI runs it: the images built here from
//! `function/` with mmdebstrap and buildah (scripts/build-function-images.sh), gated, scanned
//! offline by Trivy, the function run under the real Lambda Runtime Interface Emulator and
//! driven by `gate perf` through the Invoke API, then the PR comment for the whole run.
//!
//! Every figure asserted here comes from somewhere else than the gate: the independent walk
//! in tests/support, Trivy's own files, the emulator's own log.

mod support;

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{check, expected, gate_json, require_tools};

const TOOLS: &[&str] = &[
    "buildah",
    "skopeo",
    "mmdebstrap",
    "trivy",
    "aws-lambda-rie",
    "python3",
];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn team_policy() -> String {
    repo().join("function/gate.toml").display().to_string()
}

struct Images {
    optimized: PathBuf,
    naive: PathBuf,
    optimized_oci: PathBuf,
    naive_oci: PathBuf,
}

/// Builds both images once per test run (the base rootfs is cached under build/).
fn images() -> Option<&'static Images> {
    static BUILT: OnceLock<Option<Images>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if !require_tools(TOOLS) {
                return None;
            }
            let out = Command::new("bash")
                .arg(repo().join("scripts/build-function-images.sh"))
                .output()
                .expect("run build-function-images.sh");
            assert!(
                out.status.success(),
                "build-function-images.sh: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let dir = repo().join("build/function");
            Some(Images {
                optimized: dir.join("optimized.tar"),
                naive: dir.join("naive.tar"),
                optimized_oci: dir.join("optimized-oci.tar"),
                naive_oci: dir.join("naive-oci.tar"),
            })
        })
        .as_ref()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// The layer whose instruction contains `needle`, from the image's own history.
fn layer_of(report: &Value, needle: &str) -> u64 {
    let layers = report["image"]["layers"].as_array().unwrap();
    let hits: Vec<&Value> = layers
        .iter()
        .filter(|l| l["created_by"].as_str().unwrap().contains(needle))
        .collect();
    assert_eq!(hits.len(), 1, "one layer made by {needle:?}: {layers:#?}");
    hits[0]["index"].as_u64().unwrap()
}

#[test]
fn optimized_image_passes_the_default_and_the_team_policy_without_a_warning() {
    let Some(img) = images() else { return };
    let empty = tempfile::tempdir().unwrap();
    let default_policy = empty.path().join("gate.toml");
    std::fs::write(&default_policy, "").unwrap();
    for policy in [s(&default_policy), &team_policy()] {
        let (code, r) = gate_json(&["check", s(&img.optimized), "--policy", policy]);
        let loud: Vec<&Value> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] != "info")
            .collect();
        assert_eq!(code, 0, "policy {policy}: {:#}", r["checks"]);
        assert!(loud.is_empty(), "policy {policy}: {loud:#?}");
        assert_eq!(r["verdict"], "pass");
    }

    // The numbers are the independent walk's, and the OCI archive of the same image agrees.
    let (_, r) = gate_json(&["check", s(&img.optimized)]);
    let e = expected(&img.optimized);
    assert_eq!(r["image"]["size_bytes"], e.size);
    assert_eq!(r["image"]["final_bytes"], e.final_bytes);
    assert_eq!(r["image"]["wasted_bytes"], e.wasted);
    assert_eq!(r["image"]["file_count"], e.file_count);
    let (_, oci) = gate_json(&["check", s(&img.optimized_oci)]);
    for k in [
        "size_bytes",
        "final_bytes",
        "wasted_bytes",
        "file_count",
        "efficiency",
    ] {
        assert_eq!(oci["image"][k], r["image"][k], "{k}: OCI vs docker-archive");
    }
    assert_eq!(oci["image"]["format"], "oci-archive");

    // What the multi-stage build promises: bytecode for the runtime's Python, no tests, no
    // compiler, and the function's own files in one layer on top of the base.
    let task: Vec<&String> = e
        .files
        .keys()
        .filter(|p| p.starts_with("var/task/"))
        .collect();
    assert!(
        task.iter()
            .any(|p| p.ends_with("__pycache__/app.cpython-311.pyc")),
        "{task:?}"
    );
    assert!(!task.iter().any(|p| p.contains("/tests/")), "{task:?}");
    assert!(!e.files.keys().any(|p| p.ends_with("bin/gcc")));
    let task_layers: Vec<usize> = e.bytes_under("var/task/").into_keys().collect();
    assert_eq!(task_layers, vec![e.layer_sizes.len() - 1]);
}

#[test]
fn naive_image_fails_the_team_policy_with_each_finding_at_its_instruction() {
    let Some(img) = images() else { return };
    let (code, r) = gate_json(&["check", s(&img.naive), "--policy", &team_policy()]);
    assert_eq!(code, 1, "{:#}", r["checks"]);
    assert_eq!(r["verdict"], "fail");
    let e = expected(&img.naive);

    // pip's cache: the visible bytes under /root/.cache/pip, from the layer that last wrote
    // them (`pip wheel` rewrites the wheel `pip install` cached).
    let pip = findings(&r, "pip-cache");
    assert_eq!(pip.len(), 1, "{pip:#?}");
    let cache = e.bytes_under("root/.cache/pip/");
    assert_eq!(pip[0]["bytes"], cache.values().sum::<u64>());
    let wheel = layer_of(&r, "pip wheel");
    assert_eq!(
        cache.keys().copied().collect::<Vec<_>>(),
        vec![wheel as usize]
    );
    assert_eq!(pip[0]["layer"], wheel);
    assert!(pip[0]["fix"].as_str().unwrap().contains("--no-cache-dir"));

    // The compiler and make, denied by the team policy, from the layer that installed them.
    let tools = findings(&r, "build-toolchain");
    assert_eq!(tools.len(), 1, "{tools:#?}");
    assert_eq!(tools[0]["severity"], "error");
    assert_eq!(tools[0]["layer"], layer_of(&r, "eval \"$INSTALL_TOOLS\""));
    assert!(tools[0]["fix"].as_str().unwrap().contains("multi-stage"));

    // apt's lists, left by the same `apt-get update`.
    let lists = findings(&r, "apt-lists");
    assert_eq!(lists.len(), 1, "{lists:#?}");
    assert_eq!(
        lists[0]["bytes"],
        e.bytes_under("var/lib/apt/lists/").values().sum::<u64>()
    );

    // The wheels written by `pip wheel` and deleted two layers later: the finding sits at
    // the deleting layer, names the writer, and counts every byte the writer lost.
    let waste = findings(&r, "layer-waste");
    let wheel = wheel as usize;
    let rm = layer_of(&r, "rm -rf /tmp/wheels");
    let wheels: Vec<&&Value> = waste.iter().filter(|f| f["layer"] == rm).collect();
    assert_eq!(wheels.len(), 1, "{waste:#?}");
    assert_eq!(wheels[0]["bytes"], e.layer_wasted[wheel]);
    assert!(e.layer_wasted[wheel] > 1_000_000);
    let message = wheels[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("written by layer {wheel}")),
        "{message}"
    );
    assert_eq!(r["image"]["wasted_bytes"], e.wasted);
    assert_eq!(check(&r, "max-wasted")["status"], "fail");
}

struct Scans {
    secrets: PathBuf,
    sbom: PathBuf,
}

/// Trivy, offline, on the naive image: secrets as JSON and the inventory as CycloneDX.
fn scans() -> Option<&'static Scans> {
    static SCANNED: OnceLock<Option<Scans>> = OnceLock::new();
    SCANNED
        .get_or_init(|| {
            let img = images()?;
            let dir = support::static_dir("e2e_scans");
            let secrets = dir.join("trivy-secrets.json");
            let sbom = dir.join("bom.cdx.json");
            for (format, out) in [("json", &secrets), ("cyclonedx", &sbom)] {
                let o = Command::new("trivy")
                    .args(["image", "--quiet", "--input", s(&img.naive)])
                    .args(["--scanners", "secret", "--image-config-scanners", "secret"])
                    .args([
                        "--offline-scan",
                        "--skip-db-update",
                        "--skip-java-db-update",
                    ])
                    .arg("--cache-dir")
                    .arg(dir.join("trivy-cache"))
                    .args(["--format", format, "--output", s(out)])
                    .output()
                    .expect("run trivy");
                assert!(
                    o.status.success(),
                    "trivy: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
            }
            Some(Scans { secrets, sbom })
        })
        .as_ref()
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn trivy_secrets_and_sbom_join_the_image_report() {
    let Some(img) = images() else { return };
    let Some(t) = scans() else { return };
    let (code, r) = gate_json(&[
        "check",
        s(&img.naive_oci),
        "--policy",
        &team_policy(),
        "--trivy",
        s(&t.secrets),
        "--sbom",
        s(&t.sbom),
    ]);
    assert_eq!(code, 1);

    // Trivy's own counts: its secrets, and the components of its SBOM by type.
    let trivy = read_json(&t.secrets);
    let secrets: usize = trivy["Results"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .map(|x| x["Secrets"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0);
    let sec = &r["security"];
    let kinds = sec["findings"].as_array().unwrap();
    assert_eq!(
        kinds.iter().filter(|f| f["kind"] == "secret").count(),
        secrets
    );
    let bom = read_json(&t.sbom);
    let components = bom["components"].as_array().unwrap();
    assert_eq!(sec["inventory"]["components"], components.len());
    let libraries = components.iter().filter(|c| c["type"] == "library").count();
    assert_eq!(sec["inventory"]["by_type"]["library"], libraries);
    // The Debian packages of the base and the function's Python packages are both there.
    let purls: Vec<&str> = components
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    assert!(purls
        .iter()
        .any(|p| p.starts_with("pkg:deb/debian/python3")));
    assert!(purls
        .iter()
        .any(|p| p.starts_with("pkg:pypi/simplejson@3.20.1")));
    assert!(sec["inventory"]["by_ecosystem"]["pypi"].as_u64().unwrap() >= 2);
    assert!(sec["inventory"]["by_ecosystem"]["deb"].as_u64().unwrap() > 50);
    let sources: Vec<&str> = sec["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["format"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["trivy", "cyclonedx"]);
}

/// The emulator in front of awslambdaric and app.handler, as `function/run-local.sh` runs it.
struct Emulator {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Emulator {
    fn start(dir: &Path) -> Emulator {
        // The OS picks a free port; the emulator takes it a moment later.
        let port = support::free_port();
        let log = dir.join(format!("rie-{port}.log"));
        let child = Command::new("bash")
            .arg(repo().join("function/run-local.sh"))
            .env("PORT", port.to_string())
            .env("FUNCTION_VERSION", "e2e")
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("start function/run-local.sh");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the emulator did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Emulator { child, port, log }
    }

    /// `REPORT RequestId:` lines the emulator printed: one per invoke it served.
    fn reports(&self) -> usize {
        let mut text = String::new();
        std::fs::File::open(&self.log)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text.lines()
            .filter(|l| l.starts_with("REPORT RequestId:"))
            .count()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct PerfRun {
    report: PathBuf,
}

const REQUESTS: u64 = 40;

fn perf(dir: &Path, port: u16, output: &Path) -> (i32, Value) {
    let endpoint = format!("http://127.0.0.1:{port}");
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(["perf", "--function", "function", "--region", "us-east-1"])
        .args(["--endpoint", &endpoint, "--policy", &team_policy()])
        .arg("--payload")
        .arg(repo().join("function/events/health.json"))
        // The emulator serves one invoke at a time, as one execution environment does.
        .args(["--requests", &REQUESTS.to_string(), "--concurrency", "1"])
        .args(["--format", "json", "--output", s(output)])
        .env("AWS_ACCESS_KEY_ID", "AKIDLOCALEMULATOR")
        .env("AWS_SECRET_ACCESS_KEY", "local-emulator-secret")
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .output()
        .expect("run gate perf");
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "gate perf printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

/// Two runs against one fresh emulator: the first meets a cold environment, the second a warm one.
fn perf_run() -> Option<&'static PerfRun> {
    static RUN: OnceLock<Option<PerfRun>> = OnceLock::new();
    RUN.get_or_init(|| {
        if !require_tools(&["aws-lambda-rie", "python3"]) {
            return None;
        }
        let dir = support::static_dir("e2e_perf");
        let rie = Emulator::start(&dir);
        let first = dir.join("perf.json");
        let (code, cold) = perf(&dir, rie.port, &first);
        assert_eq!(code, 0, "{:#}", cold["checks"]);
        let p = &cold["perf"];
        assert_eq!(p["requests"], REQUESTS);
        assert_eq!(p["successes"], REQUESTS);
        assert_eq!(p["statuses"]["200"], REQUESTS);
        // The function's own x-cold-start: true on the first invoke of the environment only.
        assert_eq!(p["cold_starts"], 1);
        assert_eq!(p["mode"], "invoke");
        assert!(p["missing_headers"]
            .as_object()
            .unwrap()
            .values()
            .all(|n| n == 0));
        for h in [
            "x-request-id",
            "x-cold-start",
            "x-response-time-ms",
            "x-function-version",
        ] {
            assert_eq!(check(&cold, &format!("perf-header-{h}"))["status"], "pass");
        }
        let (_, warm) = perf(&dir, rie.port, &dir.join("warm.json"));
        assert_eq!(warm["perf"]["cold_starts"], 0);
        assert_eq!(warm["perf"]["successes"], REQUESTS);
        // Every request sent was served exactly once, by the emulator's count.
        assert_eq!(rie.reports() as u64, 2 * REQUESTS);
        drop(rie);
        Some(PerfRun { report: first })
    })
    .as_ref()
}

#[test]
fn the_function_under_the_emulator_meets_its_perf_policy() {
    let Some(run) = perf_run() else { return };
    let r = read_json(&run.report);
    let l = &r["perf"]["latency_ms"];
    let (p50, p95, max) = (
        l["p50"].as_f64().unwrap(),
        l["p95"].as_f64().unwrap(),
        l["max"].as_f64().unwrap(),
    );
    assert!(p50 <= p95 && p95 <= max, "{l}");
    assert_eq!(check(&r, "perf-p95")["status"], "pass");
    assert_eq!(
        check(&r, "perf-cold_start_rate")["actual"],
        1.0 / REQUESTS as f64
    );
}

#[test]
fn the_pr_comment_for_the_whole_run() {
    let Some(img) = images() else { return };
    let Some(t) = scans() else { return };
    let Some(run) = perf_run() else { return };
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(["check", s(&img.naive), "--policy", &team_policy()])
        .args(["--trivy", s(&t.secrets), "--sbom", s(&t.sbom)])
        .args(["--perf-report", s(&run.report)])
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8(out.stdout).unwrap();
    std::fs::write(repo().join("build/function/comment.md"), &md).unwrap();

    let first = md.lines().next().unwrap();
    assert!(first.contains("**FAIL**"), "{first}");
    // Each finding's rule and the instruction that caused it, escaped as code.
    for rule in ["pip-cache", "build-toolchain", "apt-lists", "layer-waste"] {
        assert!(md.contains(rule), "{rule} missing from the comment");
    }
    assert!(
        md.contains("`RUN rm -rf /tmp/wheels`"),
        "the instructions, shortened, as code"
    );
    // The perf row carries the run's own figures.
    let p = read_json(&run.report)["perf"].clone();
    let row = md
        .lines()
        .skip_while(|l| !l.starts_with("#### Performance"))
        .find(|l| l.starts_with(&format!("| {REQUESTS} |")))
        .unwrap_or_else(|| panic!("no perf row in\n{md}"));
    let p95 = format!("{:.0} ms", p["latency_ms"]["p95"].as_f64().unwrap());
    assert!(row.contains(&p95), "{row} vs p95 {p95}");
    assert!(row.contains("| 1 ("), "one cold start: {row}");
    assert_eq!(
        md.matches("```mermaid").count(),
        1,
        "the latency chart (the composition is one line of text)"
    );
    // The scans that were read, and the SBOM's inventory, even with no finding to show.
    let components = read_json(&t.sbom)["components"].as_array().unwrap().len();
    assert!(
        md.contains(&format!(
            "SBOM: {components} components · by type `library`"
        )),
        "{md}"
    );
    assert!(md.contains("`trivy-secrets.json` (trivy "), "{md}");
    assert!(md.contains("`bom.cdx.json` (cyclonedx "), "{md}");
    assert!(md.len() < 65_536);
}
