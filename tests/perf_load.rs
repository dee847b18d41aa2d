//! `gate perf` against servers started here on 127.0.0.1 (ports the OS picks): chosen
//! latency, errors, resets, hangs, cold-start headers, and a server that answers as the
//! Lambda Invoke API does.

mod support;

use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use base64::Engine;
use support::{check, gate_json};

#[derive(Clone)]
enum Reply {
    Ok {
        status: u16,
        delay_ms: u64,
        headers: Vec<(String, String)>,
        body: String,
    },
    Reset,
    Hang,
}

struct Seen {
    headers: Vec<(String, String)>,
}

/// Serves HTTP/1.1 with keep-alive; `behave(n)` decides the reply to the n-th request.
fn server(
    behave: impl Fn(usize) -> Reply + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let behave = Arc::new(behave);
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (behave, count, seen) = (behave.clone(), count.clone(), s2.clone());
            thread::spawn(move || serve(stream, &*behave, &count, &seen));
        }
    });
    (format!("http://{addr}"), seen)
}

fn serve(
    stream: TcpStream,
    behave: &(dyn Fn(usize) -> Reply + Send + Sync),
    count: &AtomicUsize,
    seen: &Mutex<Vec<Seen>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    while let Some(support::Request { headers, .. }) = support::read_request(&mut reader) {
        seen.lock().unwrap().push(Seen { headers });
        let n = count.fetch_add(1, Ordering::SeqCst);
        match behave(n) {
            Reply::Reset => {
                let _ = stream.shutdown(std::net::Shutdown::Both);
                return;
            }
            Reply::Hang => {
                thread::sleep(Duration::from_secs(30));
                return;
            }
            Reply::Ok {
                status,
                delay_ms,
                headers,
                body,
            } => {
                thread::sleep(Duration::from_millis(delay_ms));
                let mut resp = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\ncontent-type: application/json\r\n", body.len());
                for (k, v) in headers {
                    resp.push_str(&format!("{k}: {v}\r\n"));
                }
                resp.push_str("\r\n");
                resp.push_str(&body);
                if stream.write_all(resp.as_bytes()).is_err() {
                    return;
                }
            }
        }
    }
}

fn ok(status: u16, delay_ms: u64) -> Reply {
    Reply::Ok {
        status,
        delay_ms,
        headers: vec![("x-request-id".into(), "r".into())],
        body: "{}".into(),
    }
}

#[test]
fn every_request_is_counted_once_and_5xx_is_not_success() {
    let (url, seen) = server(|n| if n % 10 == 9 { ok(503, 0) } else { ok(200, 0) });
    let (code, r) = gate_json(&[
        "perf",
        "--url",
        &url,
        "--requests",
        "200",
        "--concurrency",
        "5",
        "--threshold",
        "success_rate >= 95%",
    ]);
    let p = &r["perf"];
    assert_eq!(p["requests"], 200);
    assert_eq!(
        seen.lock().unwrap().len(),
        200,
        "the server saw each request once"
    );
    assert_eq!(p["statuses"]["200"], 180);
    assert_eq!(p["statuses"]["503"], 20);
    assert_eq!(p["success_rate"], 0.9);
    assert_eq!(code, 1);
    assert_eq!(check(&r, "perf-success_rate")["status"], "fail");
}

#[test]
fn latency_percentiles_reflect_the_servers_delay() {
    // Every 5th request is slow: p50 fast, p95 slow.
    let (url, _) = server(|n| {
        if n % 5 == 4 {
            ok(200, 120)
        } else {
            ok(200, 10)
        }
    });
    let (code, r) = gate_json(&[
        "perf",
        "--url",
        &url,
        "--requests",
        "100",
        "--concurrency",
        "4",
        "--threshold",
        "p95 < 50ms",
    ]);
    let l = &r["perf"]["latency_ms"];
    let (p50, p95, max) = (
        l["p50"].as_f64().unwrap(),
        l["p95"].as_f64().unwrap(),
        l["max"].as_f64().unwrap(),
    );
    assert!((10.0..60.0).contains(&p50), "p50 {p50}");
    assert!(p95 >= 120.0, "p95 {p95}");
    assert!((120.0..2000.0).contains(&max), "max {max}");
    assert_eq!(code, 1, "p95 < 50ms fails");
}

#[test]
fn a_hanging_server_times_out_and_the_run_ends() {
    let (url, _) = server(|_| Reply::Hang);
    let (code, r) = gate_json(&[
        "perf",
        "--url",
        &url,
        "--requests",
        "4",
        "--concurrency",
        "2",
        "--timeout",
        "300ms",
    ]);
    assert_eq!(r["perf"]["requests"], 4);
    assert_eq!(r["perf"]["errors"]["timeout"], 4);
    assert_eq!(code, 1);
}

#[test]
fn resets_and_refused_connections_are_named() {
    let (url, _) = server(|n| if n % 2 == 0 { Reply::Reset } else { ok(200, 0) });
    let (_, r) = gate_json(&[
        "perf",
        "--url",
        &url,
        "--requests",
        "20",
        "--concurrency",
        "1",
    ]);
    let errors = &r["perf"]["errors"];
    assert_eq!(r["perf"]["requests"], 20);
    assert!(
        errors["reset"].as_u64().unwrap_or(0) + errors["bad-response"].as_u64().unwrap_or(0) >= 1,
        "{errors}"
    );
    // A port nobody listens on.
    let port = support::free_port();
    let (_, r) = gate_json(&[
        "perf",
        "--url",
        &format!("http://127.0.0.1:{port}/"),
        "--requests",
        "3",
    ]);
    assert_eq!(r["perf"]["errors"]["connect"], 3);
}

#[test]
fn cold_starts_and_required_headers() {
    let (url, _) = server(|n| Reply::Ok {
        status: 200,
        delay_ms: 0,
        headers: if n == 0 {
            vec![("x-cold-start".into(), "true".into())]
        } else {
            vec![
                ("x-cold-start".into(), "false".into()),
                ("x-request-id".into(), "a".into()),
            ]
        },
        body: "{}".into(),
    });
    let (_, r) = gate_json(&[
        "perf",
        "--url",
        &url,
        "--requests",
        "10",
        "--concurrency",
        "1",
        "--require-header",
        "x-request-id",
    ]);
    let p = &r["perf"];
    assert_eq!(p["cold_starts"], 1);
    assert_eq!(p["cold_start_rate"], 0.1);
    assert_eq!(p["missing_headers"]["x-request-id"], 1);
    assert_eq!(check(&r, "perf-header-x-request-id")["status"], "fail");
}

#[test]
fn the_open_model_holds_its_rate() {
    let (url, seen) = server(|_| ok(200, 5));
    let (_, r) = gate_json(&["perf", "--url", &url, "--rate", "50", "--duration", "1s"]);
    let p = &r["perf"];
    assert_eq!(p["model"], "open");
    let n = p["requests"].as_u64().unwrap();
    assert!((45..=51).contains(&n), "{n} requests at 50/s for 1s");
    assert_eq!(seen.lock().unwrap().len() as u64, n);
}

#[test]
fn shards_merge_into_one_result() {
    let (url, _) = server(|n| ok(200, (n % 7) as u64 * 3));
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut total = 0;
    for i in 1..=3 {
        let f = dir.path().join(format!("shard{i}.json"));
        let (_, r) = gate_json(&[
            "perf",
            "--url",
            &url,
            "--requests",
            "100",
            "--concurrency",
            "6",
            "--shard",
            &format!("{i}/3"),
            "--output",
            f.to_str().unwrap(),
        ]);
        total += r["perf"]["requests"].as_u64().unwrap();
        files.push(f.to_str().unwrap().to_string());
    }
    assert_eq!(total, 100, "shares add up to the whole");
    let mut args = vec!["perf", "merge"];
    args.extend(files.iter().map(|s| s.as_str()));
    let (code, r) = gate_json(&args);
    assert_eq!(code, 0);
    assert_eq!(r["perf"]["requests"], 100);
    let max_shard = files
        .iter()
        .map(|f| {
            serde_json::from_slice::<serde_json::Value>(&std::fs::read(f).unwrap()).unwrap()["perf"]
                ["latency_ms"]["max"]
                .as_f64()
                .unwrap()
        })
        .fold(0.0, f64::max);
    assert_eq!(
        r["perf"]["latency_ms"]["max"].as_f64().unwrap(),
        max_shard,
        "max of the merged histogram"
    );
}

#[test]
fn the_invoke_api_with_sigv4_report_lines_and_function_errors() {
    let report = |n: usize| {
        let init = if n == 0 {
            "\tInit Duration: 171.52 ms"
        } else {
            ""
        };
        let line = format!("START RequestId: r{n}\nEND RequestId: r{n}\nREPORT RequestId: r{n}\tDuration: 12.25 ms\tBilled Duration: 13 ms\tMemory Size: 512 MB\tMax Memory Used: 469 MB{init}\t\n");
        base64::engine::general_purpose::STANDARD.encode(line)
    };
    let (url, seen) = server(move |n| {
        let mut headers = vec![
            ("x-amz-log-result".to_string(), report(n)),
            ("x-amzn-requestid".to_string(), format!("r{n}")),
        ];
        if n == 3 {
            headers.push(("x-amz-function-error".into(), "Unhandled".into()));
        }
        Reply::Ok {
            status: 200,
            delay_ms: 0,
            headers,
            body: r#"{"statusCode":200,"headers":{"x-request-id":"a"},"body":"ok"}"#.into(),
        }
    });
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gate"))
        .args([
            "perf",
            "--function",
            "my-fn",
            "--region",
            "eu-west-1",
            "--endpoint",
            &url,
            "--requests",
            "10",
            "--concurrency",
            "1",
            "--format",
            "json",
            "--threshold",
            "init_p95 < 1s",
        ])
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        )
        .env("AWS_SESSION_TOKEN", "session-token")
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let p = &r["perf"];
    assert_eq!(p["mode"], "invoke");
    assert_eq!(p["requests"], 10);
    assert_eq!(p["success_rate"], 0.9, "one function error");
    assert_eq!(p["errors"]["function-error"], 1);
    assert_eq!(p["cold_starts"], 1, "from Init Duration, exactly");
    assert_eq!(p["init_ms"]["max"].as_f64().unwrap().round(), 172.0);
    assert_eq!(p["billed_avg_ms"], 13.0);
    assert_eq!(p["max_memory_used_mb"], 469.0);
    assert!(p["right_sizing"]
        .as_str()
        .unwrap()
        .contains("raise MemorySize"));
    assert!(p["cost_per_million_usd"].as_f64().unwrap() > 0.2);
    assert_eq!(check(&r, "perf-init_p95")["status"], "pass");
    // This fake answers every path like Invoke: the configuration read after the run finds no
    // function configuration, and says so instead of checking a made-up one.
    assert!(
        r["notes"]
            .to_string()
            .contains("the deployed configuration was not checked"),
        "{}",
        r["notes"]
    );
    assert!(r.get("function").is_none());
    // Every invocation (the first ten requests) signed: SigV4 Authorization, date and session
    // token present and well-formed.
    let seen = seen.lock().unwrap();
    assert!(seen.len() >= 10);
    for s in seen.iter().take(10) {
        let h = |k: &str| {
            s.headers
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let auth = h("authorization");
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
            "{auth}"
        );
        assert!(auth.contains("/eu-west-1/lambda/aws4_request"), "{auth}");
        assert!(auth.contains("SignedHeaders=") && auth.contains("Signature="));
        let sig = auth.rsplit("Signature=").next().unwrap();
        assert_eq!(sig.len(), 64);
        assert!(sig.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(h("x-amz-date").len(), 16);
        assert_eq!(h("x-amz-security-token"), "session-token");
        assert_eq!(h("x-amz-log-type"), "Tail");
    }
}

/// A server that accepts every connection and never answers, counting the connections open at
/// once (a thread per connection waits for the client to close it).
struct Silent {
    url: String,
    accepted: Arc<AtomicUsize>,
    open: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

fn silent_server() -> Silent {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let (accepted, open, peak) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let (a, o, p) = (accepted.clone(), open.clone(), peak.clone());
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            a.fetch_add(1, Ordering::SeqCst);
            let now = o.fetch_add(1, Ordering::SeqCst) + 1;
            p.fetch_max(now, Ordering::SeqCst);
            let o = o.clone();
            // Small stacks: a client without a bound would have this server run thousands.
            let _ = thread::Builder::new().stack_size(64 * 1024).spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 4096];
                while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
                o.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    Silent {
        url,
        accepted,
        open,
        peak,
    }
}

/// Runs gate to its end; returns its exit code, JSON report, wall time and peak RSS (VmHWM,
/// read from /proc while it runs: the high-water mark, so the last read holds the peak).
fn gate_measured(args: &[&str]) -> (i32, serde_json::Value, Duration, u64) {
    let started = std::time::Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(args)
        .args(["--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut hwm_kb = 0u64;
    while child.try_wait().unwrap().is_none() {
        if let Ok(s) = std::fs::read_to_string(&status) {
            if let Some(v) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            {
                hwm_kb = hwm_kb.max(v);
            }
        }
        thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    let elapsed = started.elapsed();
    let code = out.status.code().unwrap_or(-1);
    let r = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "gate {args:?}: no JSON ({e}), exit {code}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, r, elapsed, hwm_kb * 1024)
}

#[test]
fn the_deadline_is_hard_and_requests_in_flight_are_bounded() {
    // The open model against a server that never answers: without a bound, every scheduled
    // request opens a connection and waits out its 60 s timeout.
    let s = silent_server();
    let (code, r, wall, rss) = gate_measured(&[
        "perf",
        "--url",
        &s.url,
        "--rate",
        "400",
        "--duration",
        "30s",
        "--timeout",
        "60s",
        "--deadline",
        "1s",
        "--max-in-flight",
        "40",
    ]);
    let p = &r["perf"];
    let duration = p["duration_s"].as_f64().unwrap();
    assert!(
        (1.0..1.5).contains(&duration),
        "the run measured {duration} s against a 1 s deadline"
    );
    assert!(wall < Duration::from_secs(3), "the process took {wall:?}");
    assert_eq!(p["deadline_hit"], true);
    assert_eq!(p["requests"], 40, "{p}");
    assert_eq!(
        p["errors"]["deadline"], 40,
        "every request in flight was cut off"
    );
    assert_eq!(p["max_in_flight"], 40);
    let dropped = p["dropped"].as_u64().unwrap();
    assert!(
        (390..=401).contains(&(dropped + 40)),
        "400/s for 1 s: {dropped} dropped + 40 sent"
    );
    assert_eq!(p["kept_up"], false, "dropping requests is not keeping up");
    assert_eq!(s.accepted.load(Ordering::SeqCst), 40, "one connection each");
    assert!(
        s.peak.load(Ordering::SeqCst) <= 40,
        "{} connections open at once",
        s.peak.load(Ordering::SeqCst)
    );
    assert!(rss < 48 << 20, "peak RSS {} MB", rss >> 20);
    assert_eq!(code, 1);
    // Every connection is closed when the run ends.
    for _ in 0..200 {
        if s.open.load(Ordering::SeqCst) == 0 {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(s.open.load(Ordering::SeqCst), 0);
}

#[test]
fn the_open_model_bounds_in_flight_by_default() {
    let s = silent_server();
    let (_, r, wall, rss) = gate_measured(&[
        "perf",
        "--url",
        &s.url,
        "--rate",
        "3000",
        "--duration",
        "10s",
        "--timeout",
        "30s",
        "--deadline",
        "800ms",
    ]);
    let p = &r["perf"];
    assert_eq!(p["max_in_flight"], 1000);
    assert_eq!(p["requests"], 1000, "{}", p["errors"]);
    assert!(p["dropped"].as_u64().unwrap() > 1000, "{}", p["dropped"]);
    assert!(s.peak.load(Ordering::SeqCst) <= 1000);
    assert!(
        p["duration_s"].as_f64().unwrap() < 1.3,
        "{}",
        p["duration_s"]
    );
    assert!(wall < Duration::from_secs(3), "{wall:?}");
    assert!(rss < 64 << 20, "peak RSS {} MB", rss >> 20);
}

#[test]
fn ctrl_c_stops_within_a_second_and_reports_what_was_measured() {
    // Ctrl-C, and SIGTERM (what a runner sends a cancelled job).
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let s = silent_server();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r.json");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gate"))
            .args(["perf", "--url", &s.url, "--requests", "100"])
            .args(["--concurrency", "4", "--timeout", "60s", "--output"])
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Once all four requests are waiting on the server.
        while s.open.load(Ordering::SeqCst) < 4 {
            assert!(child.try_wait().unwrap().is_none(), "gate ended early");
            thread::sleep(Duration::from_millis(5));
        }
        let signalled = std::time::Instant::now();
        let kill = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let status = child.wait().unwrap();
        let took = signalled.elapsed();
        assert!(
            took < Duration::from_secs(1),
            "stopped {took:?} after SIG{signal}"
        );
        assert_eq!(status.code(), Some(code), "128 + the signal's number");
        let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        let p = &r["perf"];
        assert_eq!(p["interrupted"], true);
        assert_eq!(p["signal"], format!("SIG{signal}"));
        assert_eq!(p["requests"], 4);
        assert_eq!(p["errors"]["interrupted"], 4);
    }
}

fn spawn_gate(args: &[String]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn read_json(p: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn rfc3339(t: std::time::SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap();
    time::OffsetDateTime::from_unix_timestamp_nanos(d.as_millis() as i128 * 1_000_000)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

#[test]
fn a_distributed_run_starts_together_merges_exactly_and_reports_missing_and_late_shards() {
    use std::time::SystemTime;
    // The server notes when each request arrived; replies take 0–12 ms.
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let a2 = arrivals.clone();
    let (url, seen) = server(move |n| {
        a2.lock().unwrap().push(SystemTime::now());
        ok(200, (n % 5) as u64 * 3)
    });
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    // Far enough ahead that the shards are all waiting when it comes, on a loaded machine too.
    let now_ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let start = SystemTime::UNIX_EPOCH + Duration::from_millis(now_ms + 3000);
    let start_at = rfc3339(start);
    let shard_args = |i: u64, out: &str| -> Vec<String> {
        [
            "perf",
            "--url",
            &url,
            "--requests",
            "301",
            "--concurrency",
            "6",
            "--shard",
            &format!("{i}/3"),
            "--start-at",
            &start_at,
            "--runner",
            &format!("runner-{i}"),
            "--output",
            out,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let on_time: Vec<_> = [1u64, 3]
        .iter()
        .map(|&i| spawn_gate(&shard_args(i, &file(&format!("shard-{i}.json")))))
        .collect();
    // Shard 2 comes 2 s late (its runner was slow to start): it runs its share anyway.
    while SystemTime::now() < start + Duration::from_secs(2) {
        thread::sleep(Duration::from_millis(20));
    }
    let late = spawn_gate(&shard_args(2, &file("shard-2.json")));
    for c in on_time.into_iter().chain([late]) {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.code().unwrap() < 2,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let shards: Vec<serde_json::Value> = (1..=3)
        .map(|i| read_json(std::path::Path::new(&file(&format!("shard-{i}.json")))))
        .collect();
    let counts: Vec<u64> = shards
        .iter()
        .map(|s| s["perf"]["requests"].as_u64().unwrap())
        .collect();
    assert_eq!(
        counts,
        [101, 100, 100],
        "301 over 3: the remainder to shard 1"
    );
    let first = *arrivals.lock().unwrap().iter().min().unwrap();
    assert!(first >= start, "a request arrived before --start-at");
    for (i, s) in shards.iter().enumerate() {
        let skew = s["perf"]["start_skew_ms"].as_f64().unwrap();
        if i == 1 {
            assert!(skew >= 2000.0, "shard 2 skew {skew}");
        } else {
            assert!((0.0..500.0).contains(&skew), "shard {} skew {skew}", i + 1);
        }
        assert_eq!(s["perf"]["runner"], format!("runner-{}", i + 1));
        assert_eq!(s["perf"]["shard"], format!("{}/3", i + 1));
    }

    let merge = |files: &[&str], extra: &[&str]| {
        let mut args = vec!["perf", "merge"];
        args.extend(files);
        args.extend(extra);
        gate_json(&args)
    };
    let (f1, f2, f3) = (
        file("shard-1.json"),
        file("shard-2.json"),
        file("shard-3.json"),
    );
    let (code, r) = merge(&[&f1, &f2, &f3], &["--max-start-skew", "1s"]);
    let p = &r["perf"];
    assert_eq!(p["requests"], 301, "the sum of the shards");
    assert_eq!(seen.lock().unwrap().len(), 301, "what the server counted");
    // The oracle: one histogram into which every shard's samples are recorded again.
    let mut one = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).unwrap();
    for s in &shards {
        let h = lambda_gate::perf::stats::decode(s["perf"]["histogram"].as_str().unwrap()).unwrap();
        for v in h.iter_recorded() {
            one.record_n(v.value_iterated_to(), v.count_at_value())
                .unwrap();
        }
    }
    assert_eq!(one.len(), 301);
    for (q, key) in [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")] {
        assert_eq!(
            p["latency_ms"][key].as_f64().unwrap(),
            one.value_at_quantile(q) as f64 / 1000.0,
            "{key}"
        );
    }
    let rows = p["shards"].as_array().unwrap();
    let status: Vec<&str> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["ok", "late", "ok"]);
    assert_eq!(rows[1]["runner"], "runner-2");
    assert_eq!(rows[0]["requests"], 101);
    assert_eq!(check(&r, "perf-start-skew")["status"], "fail");
    assert_eq!(check(&r, "perf-shards-missing")["status"], "pass");
    assert_eq!(code, 1, "a late shard fails the gate");
    // The bound from the policy: 60 s lets the same shard pass.
    let policy = file("gate.toml");
    std::fs::write(&policy, "[perf]\nmax_start_skew = \"60s\"\n").unwrap();
    let (code, r) = merge(&[&f1, &f2, &f3], &["--policy", &policy]);
    assert_eq!(check(&r, "perf-start-skew")["status"], "pass");
    assert_eq!(check(&r, "perf-start-skew")["limit"], 60000.0);
    assert_eq!(code, 0);

    // A shard missing: the merge knows there were 3.
    let (code, r) = merge(&[&f1, &f3], &[]);
    let c = check(&r, "perf-shards-missing");
    assert_eq!(
        (c["status"].as_str(), c["actual"].as_u64()),
        (Some("fail"), Some(1))
    );
    assert!(c["detail"].as_str().unwrap().contains("2/3"), "{c}");
    assert_eq!(r["perf"]["requests"], 201);
    assert_eq!(code, 1);
    let (_, text) = {
        let out = support::gate(&["perf", "merge", &f1, &f3]);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    assert!(
        text.contains("runner-3") && text.contains("missing"),
        "{text}"
    );

    // A shard that could not start leaves a result saying why.
    let failed = file("shard-2-failed.json");
    let mut args = shard_args(2, &failed);
    args.extend(["--payload".into(), "/nonexistent/event.json".into()]);
    let out = spawn_gate(&args).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let (code, r) = merge(&[&f1, &failed, &f3], &[]);
    let c = check(&r, "perf-shards-failed");
    assert_eq!(c["status"], "fail", "{c}");
    assert!(r["perf"]["shards"][1]["detail"]
        .as_str()
        .unwrap()
        .contains("cannot read the payload"));
    assert_eq!(code, 1);

    // Results that do not belong together: exit 2, naming the files.
    let mut other = shards[2].clone();
    other["perf"]["target"] = "http://127.0.0.1:1/elsewhere".into();
    let f_other = file("other.json");
    std::fs::write(&f_other, serde_json::to_vec(&other).unwrap()).unwrap();
    for (files, says) in [
        (vec![f1.as_str(), f_other.as_str()], "targets differ"),
        (vec![f1.as_str(), f1.as_str()], "both are shard 1/3"),
    ] {
        let mut args = vec!["perf", "merge"];
        args.extend(&files);
        let out = support::gate(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(says) && err.contains(files[1]), "{err}");
    }
}
