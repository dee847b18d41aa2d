//! `cargo bench --bench perf_load`: how much load `gate perf` (its HTTP driver) can put on a
//! server, beside wrk, in the same run against the same local nginx on loopback.
//!
//! nginx runs from a config written into a temp dir (one worker, no access log) and answers
//! every request with `200 ok` and `x-cold-start: false`. For each concurrency, gate sends a
//! fixed number of requests (closed model) and wrk runs for a fixed time with one thread.
//!
//! Printed: requests/s, p50, p99 and average latency of each tool at each concurrency.
//! nginx and wrk come from `scripts/tools/50-bench.sh`; without them the bench says so and
//! exits 0.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CONCURRENCY: &[usize] = &[1, 10, 50];
/// Requests per gate run (closed model).
const REQUESTS: u64 = 20_000;
/// Length of each wrk run (wrk is duration-based).
const WRK_SECS: u32 = 5;

/// The nginx master; stopped (with its worker) when dropped, also on a panic.
struct Nginx {
    child: Child,
    dir: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        // SIGTERM: the master stops its worker before it exits (SIGKILL would orphan it).
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!("kill -TERM {}", self.child.id()))
            .status();
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        eprintln!(
            "nginx did not stop on SIGTERM; killed (logs in {})",
            self.dir.display()
        );
    }
}

fn on_path(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A port free a moment ago on 127.0.0.1.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

fn start_nginx(dir: &Path, port: u16) -> Nginx {
    let d = dir.display();
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            add_header x-cold-start false;
            return 200 'ok';
        }}
    }}
}}
"
        ),
    )
    .unwrap();
    let child = Command::new("nginx")
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .arg(dir)
        // Errors before the config is read go here too, not to /var/log/nginx.
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn nginx");
    let mut nginx = Nginx {
        child,
        dir: dir.to_path_buf(),
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return nginx;
        }
        if let Ok(Some(st)) = nginx.child.try_wait() {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            panic!("nginx exited ({st}) before accepting connections:\n{log}");
        }
        assert!(
            Instant::now() < until,
            "nginx did not accept connections on {addr} within 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

struct Row {
    tool: &'static str,
    concurrency: usize,
    requests: u64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    avg_ms: f64,
}

fn run_gate(gate: &Path, cwd: &Path, url: &str, c: usize) -> Row {
    let out = Command::new(gate)
        .args(["perf", "--url", url, "--requests"])
        .arg(REQUESTS.to_string())
        .arg("--concurrency")
        .arg(c.to_string())
        .args(["--format", "json"])
        // No ./gate.toml of the repo's is picked up from here.
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .expect("run gate perf");
    // gate exits non-zero when its verdict fails; the JSON is on stdout either way.
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "gate perf (exit {}): no JSON report on stdout ({e}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let p = &v["perf"];
    let f = |x: &serde_json::Value, what: &str| {
        x.as_f64()
            .unwrap_or_else(|| panic!("gate perf report: no {what} in {p}"))
    };
    let requests = p["requests"].as_u64().unwrap_or(0);
    let successes = p["successes"].as_u64().unwrap_or(0);
    if successes != requests {
        eprintln!(
            "gate perf at concurrency {c}: {successes} of {requests} succeeded; errors {}",
            p["errors"]
        );
    }
    Row {
        tool: "gate perf",
        concurrency: c,
        requests,
        rps: f(&p["rps"], "rps"),
        p50_ms: f(&p["latency_ms"]["p50"], "latency_ms.p50"),
        p99_ms: f(&p["latency_ms"]["p99"], "latency_ms.p99"),
        avg_ms: f(&p["latency_ms"]["avg"], "latency_ms.avg"),
    }
}

/// wrk's durations: "812.00us", "1.23ms", "2.00s", "1.00m".
fn wrk_ms(text: &str) -> Option<f64> {
    let split = text.find(|ch: char| ch.is_ascii_alphabetic())?;
    let (num, unit) = text.split_at(split);
    let n: f64 = num.parse().ok()?;
    Some(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        "h" => n * 3_600_000.0,
        _ => return None,
    })
}

fn run_wrk(url: &str, c: usize) -> Row {
    let out = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{c}"),
            &format!("-d{WRK_SECS}s"),
            "--latency",
            url,
        ])
        .stdin(Stdio::null())
        .output()
        .expect("run wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "wrk failed ({}):\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let (mut rps, mut avg, mut p50, mut p99, mut requests) = (None, None, None, None, 0);
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", v, ..] => rps = v.parse::<f64>().ok(),
            // "Latency  avg  stdev  max  +/-" (not the "Latency Distribution" heading).
            ["Latency", a, _, _, _] => avg = wrk_ms(a),
            ["50%", v, ..] => p50 = wrk_ms(v),
            ["99%", v, ..] => p99 = wrk_ms(v),
            [n, "requests", "in", ..] => requests = n.parse().unwrap_or(0),
            ["Non-2xx", ..] | ["Socket", "errors:", ..] => {
                eprintln!("wrk at concurrency {c}: {line}")
            }
            _ => {}
        }
    }
    let need = |x: Option<f64>, what: &str| {
        x.unwrap_or_else(|| panic!("wrk output has no {what}:\n{text}"))
    };
    Row {
        tool: "wrk",
        concurrency: c,
        requests,
        rps: need(rps, "Requests/sec"),
        p50_ms: need(p50, "50% latency"),
        p99_ms: need(p99, "99% latency"),
        avg_ms: need(avg, "Latency avg"),
    }
}

fn main() {
    let missing: Vec<&str> = ["nginx", "wrk"]
        .into_iter()
        .filter(|t| !on_path(t))
        .collect();
    if !missing.is_empty() {
        println!(
            "perf_load: {} not on PATH: nothing measured (run scripts/tools/50-bench.sh)",
            missing.join(" and ")
        );
        return;
    }

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let gate = root.join("target/release/gate");
    // A no-op when the binary is fresh; rebuilt otherwise, so the numbers are of this tree.
    let st = Command::new("cargo")
        .args(["build", "--release", "--quiet", "--bin", "gate"])
        .current_dir(root)
        .status()
        .expect("run cargo build");
    assert!(st.success(), "cargo build --release failed");

    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let nginx = start_nginx(tmp.path(), port);
    let url = format!("http://127.0.0.1:{port}/");

    println!(
        "machine: {} cores; nginx 1 worker on {url}; gate: {REQUESTS} requests per run; \
         wrk: 1 thread, {WRK_SECS} s per run",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let mut rows = Vec::new();
    for &c in CONCURRENCY {
        rows.push(run_gate(&gate, tmp.path(), &url, c));
        rows.push(run_wrk(&url, c));
    }
    drop(nginx);

    println!();
    println!(
        "{:<10} {:>11} {:>9} {:>12} {:>9} {:>9} {:>9}",
        "tool", "concurrency", "requests", "requests/s", "p50 ms", "p99 ms", "avg ms"
    );
    for r in &rows {
        println!(
            "{:<10} {:>11} {:>9} {:>12.0} {:>9.3} {:>9.3} {:>9.3}",
            r.tool, r.concurrency, r.requests, r.rps, r.p50_ms, r.p99_ms, r.avg_ms
        );
    }
    for &c in CONCURRENCY {
        let of = |tool: &str| rows.iter().find(|r| r.tool == tool && r.concurrency == c);
        if let (Some(g), Some(w)) = (of("gate perf"), of("wrk")) {
            println!(
                "concurrency {c}: gate perf reaches {:.0}% of wrk's requests/s",
                g.rps / w.rps * 100.0
            );
        }
    }
}
