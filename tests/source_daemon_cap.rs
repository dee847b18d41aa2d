//! Issue 24: the export of `docker-daemon:`/`podman:` is spooled to `$TMPDIR`, and an engine
//! (or whatever listens on DOCKER_HOST) could stream without end and fill the runner's disk.
//! The spool is capped; past the cap the run is refused, names the flag that raises it, and
//! leaves no file behind. The engine here is a fake on a unix socket in a temp dir: it answers
//! `/version` as the Engine API does and then streams 3 MB for the export.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::process::Command;

/// Serves every connection on `listener`: `/version`, then an export of `export_bytes`.
fn fake_engine(listener: UnixListener, export_bytes: usize) {
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // The rest of the request head.
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
            }
            if line.contains("/version") {
                let body = br#"{"ApiVersion":"1.41","Version":"24.0.0"}"#;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(body);
            } else {
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nContent-Length: {export_bytes}\r\nConnection: close\r\n\r\n"
                );
                let chunk = vec![0u8; 64 << 10];
                let mut left = export_bytes;
                while left > 0 {
                    let n = left.min(chunk.len());
                    if stream.write_all(&chunk[..n]).is_err() {
                        break;
                    }
                    left -= n;
                }
            }
        }
    });
}

#[test]
fn an_export_past_max_export_size_is_refused_and_leaves_no_spool() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("engine.sock");
    fake_engine(UnixListener::bind(&sock).unwrap(), 3_000_000);
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(["check", "docker-daemon:app:1", "--max-export-size", "1MB"])
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .env("TMPDIR", &tmp)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("docker-daemon:app:1"), "{stderr}");
    assert!(
        stderr.contains("--max-export-size"),
        "names the flag: {stderr}"
    );
    assert!(stderr.contains("1000000 bytes"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "the spool is removed: {left:?}");
}
