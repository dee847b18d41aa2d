//! `gate perf` against servers started here on 127.0.0.1 (ports the OS picks): chosen
//! latency, errors, resets, hangs, cold-start headers, and a server that answers as the
//! Lambda Invoke API does.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
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
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = Vec::new();
        let mut len = 0;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
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
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
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
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
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
            "2",
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
    // Every request signed: SigV4 Authorization, date and session token present and well-formed.
    for s in seen.lock().unwrap().iter() {
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
