//! `podman:` and `docker-daemon:` against a real Podman service (`podman system service` on a
//! unix socket in a temp dir, its own --root/--runroot so no other image leaks in), with an
//! image buildah built into that storage. The oracle is the same image pushed by buildah to a
//! docker-archive file and checked as a path: the reports must agree field by field.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{require_tools, run, tied};

const TAG: &str = "localhost/gate-daemon:1";

const DOCKERFILE: &str = "FROM scratch
COPY busybox /bin/busybox
COPY big.bin /data/big.bin
COPY small.txt /data/small.txt
COPY big2.bin /data/big.bin
";

struct Service {
    socket: PathBuf,
    archive: PathBuf,
    _child: ChildGuard,
}

/// Stops the service where a failed setup drops it; a static's is stopped by [`tied`].
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // Closing the pipe makes the shell of `tied` stop the server.
        drop(self.0.stdin.take());
        let _ = self.0.wait();
    }
}

fn storage<'a>(c: &'a mut Command, root: &Path) -> &'a mut Command {
    c.arg("--root")
        .arg(root.join("root"))
        .arg("--runroot")
        .arg(short_dir().join("run"))
        .args(["--storage-driver", "vfs"])
}

/// podman refuses a `--runroot` longer than 50 characters, and a unix socket's path is
/// limited to 108 bytes: both live in a short directory under /tmp, wherever the checkout
/// (and so `target/tmp`) happens to be.
fn short_dir() -> &'static Path {
    static D: OnceLock<PathBuf> = OnceLock::new();
    D.get_or_init(|| {
        let d = PathBuf::from(format!("/tmp/lg-podman-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

fn service() -> Option<&'static Service> {
    static S: OnceLock<Option<Service>> = OnceLock::new();
    S.get_or_init(|| {
        if !require_tools(&["podman", "buildah", "busybox"]) {
            return None;
        }
        let dir = support::static_dir("source_daemon");
        let ctx = dir.join("ctx");
        std::fs::create_dir_all(&ctx).unwrap();
        let busybox = ["/bin/busybox", "/usr/bin/busybox"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap();
        std::fs::copy(busybox, ctx.join("busybox")).unwrap();
        std::fs::write(ctx.join("big.bin"), vec![7u8; 300_000]).unwrap();
        std::fs::write(ctx.join("big2.bin"), vec![8u8; 200_000]).unwrap();
        std::fs::write(ctx.join("small.txt"), "hello\n").unwrap();
        std::fs::write(ctx.join("Dockerfile"), DOCKERFILE).unwrap();
        run(storage(&mut Command::new("buildah"), &dir)
            .args(["bud", "--layers", "--isolation", "chroot", "-q", "-t", TAG])
            .arg(&ctx));
        let archive = dir.join("oracle.tar");
        run(storage(&mut Command::new("buildah"), &dir)
            .args(["push", "-q", TAG])
            .arg(format!("docker-archive:{}:{TAG}", archive.display())));
        let socket = short_dir().join("podman.sock");
        let child = storage(&mut tied("podman"), &dir)
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("podman.err")).unwrap())
            .spawn()
            .expect("podman system service");
        let mut guard = ChildGuard(child);
        let start = Instant::now();
        while !socket.exists() {
            if let Ok(Some(st)) = guard.0.try_wait() {
                panic!(
                    "podman system service exited ({st}): {}",
                    std::fs::read_to_string(dir.join("podman.err")).unwrap_or_default()
                );
            }
            // `tied` keeps a shell around podman, so its exit shows in what it wrote.
            let err = std::fs::read_to_string(dir.join("podman.err")).unwrap_or_default();
            assert!(!err.contains("Error:"), "podman system service: {err}");
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no podman socket: {err}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Service {
            socket,
            archive,
            _child: guard,
        })
    })
    .as_ref()
}

fn gate(args: &[&str], env: &[(&str, String)]) -> (i32, Value, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gate"));
    c.arg("check").args(args).args(["--format", "json"]);
    c.env_remove("DOCKER_HOST").env_remove("CONTAINER_HOST");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn without(mut r: Value, fields: &[&str]) -> Value {
    for f in fields {
        r["image"].as_object_mut().unwrap().remove(*f);
    }
    r.as_object_mut().unwrap().remove("notes");
    r
}

#[test]
fn podman_and_docker_daemon_read_what_the_engine_exports() {
    let Some(s) = service() else { return };
    let (c0, oracle, err) = gate(&[s.archive.to_str().unwrap()], &[]);
    assert!(c0 == 0 || c0 == 1, "{err}");
    let sock = format!("unix://{}", s.socket.display());
    for (reference, var) in [
        (format!("podman:{TAG}"), "CONTAINER_HOST"),
        (format!("docker-daemon:{TAG}"), "DOCKER_HOST"),
    ] {
        let (code, r, err) = gate(&[&reference], &[(var, sock.clone())]);
        assert_eq!(code, c0, "{reference}: {err}");
        assert_eq!(r["image"]["source"], reference.as_str());
        assert_eq!(r["image"]["format"], "docker-archive");
        let notes = r["notes"].to_string();
        assert!(
            notes.contains("spooled once to a temporary file"),
            "{notes}"
        );
        // Each layer's file bytes, the waste (big.bin overwritten), and every figure match.
        assert_eq!(
            without(r.clone(), &["source", "reference"]),
            without(oracle.clone(), &["source", "reference"]),
            "{reference}"
        );
        assert!(r["image"]["wasted_bytes"].as_u64().unwrap() >= 300_000);
    }
    // The spool is gone after the run.
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("gate-export-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_missing_image_or_socket_is_exit_2() {
    let Some(s) = service() else { return };
    let sock = format!("unix://{}", s.socket.display());
    let (code, _, err) = gate(&["podman:localhost/nope:1"], &[("CONTAINER_HOST", sock)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no such image"), "{err}");
    let (code, _, err) = gate(
        &["docker-daemon:app:1"],
        &[("DOCKER_HOST", "unix:///nonexistent/docker.sock".into())],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/nonexistent/docker.sock"), "{err}");
    let (code, _, err) = gate(
        &["docker-daemon:app:1"],
        &[("DOCKER_HOST", "tcp://127.0.0.1:2375".into())],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("only unix://"), "{err}");
}
