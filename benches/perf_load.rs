//! `cargo bench --bench perf_load`: how much load `gate perf` (its URL-mode driver) puts on a
//! server, beside wrk and oha, in the same run against the same local nginx on loopback.
//!
//! nginx runs from a config written into a temp dir (one worker, no access log) and answers
//! every request with `200 ok` and `x-cold-start: false`. Every tool runs for the same time
//! (`SECS`) with the same connections (closed model, keep-alive, HTTP/1.1), and gets the same
//! budget of one thread, so that on a small machine the tools compete alike with nginx:
//!
//! - gate: its driver's single thread (a current-thread tokio runtime; its default);
//! - wrk: `-t1` (one thread, its epoll loop);
//! - oha: `--worker-threads 1` (its tokio runtime on one thread; its default is one per core).
//!
//! The machine may be busy, so the runs are interleaved (gate, wrk, oha, gate, wrk, oha, …),
//! `REPS` of each at each concurrency, and the table shows each tool's median. The target,
//! from the issue: at 20 connections gate reaches at least 0.8× wrk's and 1.1× oha's
//! requests per second; the bench prints PASS or MISS for each.
//!
//! A last row prices the A/B run (`--compare-url`): gate against the same nginx twice,
//! interleaved, beside gate against it once, at 20 connections, `REPS` runs of each
//! (alternating), medians compared. The target, from issue 25: interleaving costs at most 5%
//! of the single-target request rate (both sides' requests counted). The bench prints PASS or
//! MISS.
//!
//! nginx, wrk and oha come from `scripts/install-bench-tools.sh`; without nginx the bench says so
//! and exits 0, and a missing wrk or oha is left out of the table.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CONCURRENCY: &[usize] = &[1, 20, 50];
/// The concurrency the targets are set at.
const TARGET_CONCURRENCY: usize = 20;
/// Runs of each tool at each concurrency (interleaved); the median is reported.
const REPS: usize = 5;
/// Length of each run.
const SECS: u32 = 3;
/// gate's requests per second over wrk's and over oha's, at least.
const TARGET_VS_WRK: f64 = 0.8;
const TARGET_VS_OHA: f64 = 1.1;
/// An A/B run's requests per second (both sides) may fall short of a single target's by this
/// share, at most.
const TARGET_AB_COST: f64 = 0.05;

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

#[derive(Clone)]
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
    run_gate_ab(gate, cwd, url, None, c)
}

/// With `compare`: an A/B run (`--compare-url`), its rate and latencies over both sides.
fn run_gate_ab(gate: &Path, cwd: &Path, url: &str, compare: Option<&str>, c: usize) -> Row {
    let mut cmd = Command::new(gate);
    cmd.args(["perf", "--url", url]);
    if let Some(b) = compare {
        cmd.args(["--compare-url", b]);
    }
    let out = cmd
        .arg("--duration")
        .arg(format!("{SECS}s"))
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
    let reference = &p["compare"]["reference"];
    let requests =
        p["requests"].as_u64().unwrap_or(0) + reference["requests"].as_u64().unwrap_or(0);
    let successes =
        p["successes"].as_u64().unwrap_or(0) + reference["successes"].as_u64().unwrap_or(0);
    if successes != requests {
        eprintln!(
            "gate perf at concurrency {c}: {successes} of {requests} succeeded; errors {}",
            p["errors"]
        );
    }
    let rps = f(&p["rps"], "rps") + reference["rps"].as_f64().unwrap_or(0.0);
    Row {
        tool: if compare.is_some() {
            "gate A/B"
        } else {
            "gate perf"
        },
        concurrency: c,
        requests,
        rps,
        p50_ms: f(&p["latency_ms"]["p50"], "latency_ms.p50"),
        p99_ms: f(&p["latency_ms"]["p99"], "latency_ms.p99"),
        avg_ms: f(&p["latency_ms"]["avg"], "latency_ms.avg"),
    }
}

fn run_oha(url: &str, c: usize) -> Row {
    let out = Command::new("oha")
        .args([
            "--no-tui",
            "--output-format",
            "json",
            "--worker-threads",
            "1",
        ])
        .arg("-z")
        .arg(format!("{SECS}s"))
        .arg("-c")
        .arg(c.to_string())
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("run oha");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "oha (exit {}): no JSON on stdout ({e}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // oha reports seconds.
    let secs = |x: &serde_json::Value, what: &str| {
        x.as_f64()
            .unwrap_or_else(|| panic!("oha output has no {what}:\n{v}"))
            * 1000.0
    };
    let requests = v["statusCodeDistribution"]
        .as_object()
        .map(|m| m.values().filter_map(|n| n.as_u64()).sum())
        .unwrap_or(0);
    // oha ends a duration run by aborting the requests in flight: that is not an error here.
    if let Some(errors) = v["errorDistribution"].as_object() {
        let other: Vec<_> = errors
            .iter()
            .filter(|(k, _)| !k.contains("deadline"))
            .collect();
        if !other.is_empty() {
            eprintln!("oha at concurrency {c}: errors {other:?}");
        }
    }
    Row {
        tool: "oha",
        concurrency: c,
        requests,
        rps: v["summary"]["requestsPerSec"]
            .as_f64()
            .unwrap_or_else(|| panic!("oha output has no summary.requestsPerSec:\n{v}")),
        p50_ms: secs(&v["latencyPercentiles"]["p50"], "latencyPercentiles.p50"),
        p99_ms: secs(&v["latencyPercentiles"]["p99"], "latencyPercentiles.p99"),
        avg_ms: secs(&v["summary"]["average"], "summary.average"),
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
            &format!("-d{SECS}s"),
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

/// The run with the median requests/s of a tool's runs at one concurrency.
fn median(runs: &[Row]) -> Row {
    let mut v = runs.to_vec();
    v.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    v[v.len() / 2].clone()
}

fn main() {
    if !on_path("nginx") {
        println!(
            "perf_load: nginx not on PATH: nothing measured (run scripts/install-bench-tools.sh)"
        );
        return;
    }
    let others: Vec<&'static str> = ["wrk", "oha"]
        .into_iter()
        .filter(|t| {
            let there = on_path(t);
            if !there {
                println!(
                    "perf_load: {t} not on PATH: left out (run scripts/install-bench-tools.sh)"
                );
            }
            there
        })
        .collect();

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
        "machine: {} cores; nginx 1 worker on {url}; {SECS} s per run, {REPS} runs of each tool \
         per concurrency, interleaved, median shown; one thread each: gate (current-thread \
         runtime), wrk -t1, oha --worker-threads 1",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let mut rows = Vec::new();
    for &c in CONCURRENCY {
        let mut runs: Vec<Vec<Row>> = vec![Vec::new(); 1 + others.len()];
        for _ in 0..REPS {
            runs[0].push(run_gate(&gate, tmp.path(), &url, c));
            for (i, tool) in others.iter().enumerate() {
                runs[i + 1].push(match *tool {
                    "wrk" => run_wrk(&url, c),
                    _ => run_oha(&url, c),
                });
            }
        }
        for r in &runs {
            let all: Vec<String> = r.iter().map(|x| format!("{:.0}", x.rps)).collect();
            eprintln!("{} at {c}: requests/s {}", r[0].tool, all.join(" "));
            rows.push(median(r));
        }
    }
    // The A/B run's price: single and interleaved runs alternating, at the target concurrency.
    let (mut single, mut ab) = (Vec::new(), Vec::new());
    for _ in 0..REPS {
        single.push(run_gate(&gate, tmp.path(), &url, TARGET_CONCURRENCY));
        ab.push(run_gate_ab(
            &gate,
            tmp.path(),
            &url,
            Some(&url),
            TARGET_CONCURRENCY,
        ));
    }
    let (single, ab) = (median(&single), median(&ab));
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
    println!();
    for &c in CONCURRENCY {
        let of = |tool: &str| rows.iter().find(|r| r.tool == tool && r.concurrency == c);
        let Some(g) = of("gate perf") else { continue };
        for (tool, target) in [("wrk", TARGET_VS_WRK), ("oha", TARGET_VS_OHA)] {
            let Some(o) = of(tool) else { continue };
            let ratio = g.rps / o.rps;
            let verdict = if c != TARGET_CONCURRENCY {
                String::new()
            } else if ratio >= target {
                format!("  PASS (target >= {target}x)")
            } else {
                format!("  MISS (target >= {target}x)")
            };
            println!("concurrency {c}: gate/{tool} = {ratio:.2}x{verdict}");
        }
    }
    let cost = 1.0 - ab.rps / single.rps;
    println!(
        "concurrency {TARGET_CONCURRENCY}: A/B (--compare-url, both sides) {:.0} req/s against          {:.0} single: interleaving costs {:.1}%  {} (target <= {:.0}%)",
        ab.rps,
        single.rps,
        cost * 100.0,
        if cost <= TARGET_AB_COST { "PASS" } else { "MISS" },
        TARGET_AB_COST * 100.0
    );
}
