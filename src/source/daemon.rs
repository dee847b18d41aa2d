//! `docker-daemon:` and `podman:`: an image in an engine's store, read through the Engine API
//! on its unix socket (`DOCKER_HOST` / `CONTAINER_HOST` honoured): version negotiation
//! (`GET /version`), then `GET /v{api}/images/{name}/get`, the export as a docker-archive tar.
//!
//! The export cannot be scanned as it streams: Podman (and Docker) write `manifest.json`
//! after the layers, and which tar member is which layer is only known from it. So the stream
//! is spooled once to a temporary file (in `$TMPDIR`) and read as an archive from there; the
//! report's notes say so. The spool is capped (`--max-export-size`, 20 GB by default: twice
//! the largest image Lambda runs, 10 GB uncompressed): an engine that streams without end
//! must not fill the runner's disk.
//!
//! HTTP over a unix socket with hyper's HTTP/1 client connection (already a dependency, as
//! is tokio's `UnixStream`); no engine client crate, since one GET and one export is all.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

use super::reference::Engine;

/// The newest API version we speak; the engine's own is used when it is older.
const MAX_API: (u32, u32) = (1, 41);
/// The oldest an engine may be (Docker 1.13 / 2017): older ones lack the image endpoints' shape.
const MIN_API: (u32, u32) = (1, 25);

/// The spool's default cap, bytes (`--max-export-size`).
pub const DEFAULT_MAX_EXPORT: u64 = 20_000_000_000;

/// The socket an engine listens on, as its CLI would find it.
pub fn socket(engine: Engine) -> Result<PathBuf> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (var, default) = match engine {
        Engine::Docker => ("DOCKER_HOST", PathBuf::from("/var/run/docker.sock")),
        Engine::Podman => (
            "CONTAINER_HOST",
            env("XDG_RUNTIME_DIR")
                .filter(|_| current_uid() != 0)
                .map(|d| PathBuf::from(d).join("podman/podman.sock"))
                .unwrap_or_else(|| PathBuf::from("/run/podman/podman.sock")),
        ),
    };
    let host = env(var).or_else(|| match engine {
        // podman's docker-compatible socket is also found through DOCKER_HOST.
        Engine::Podman => env("DOCKER_HOST"),
        Engine::Docker => None,
    });
    match host {
        None => Ok(default),
        Some(h) => match h.strip_prefix("unix://") {
            Some(p) if !p.is_empty() => Ok(PathBuf::from(p)),
            _ => bail!(
                "{var}={h}: only unix:// sockets are supported (for a remote engine, push to a registry and use docker://)"
            ),
        },
    }
}

/// The uid without libc: /proc/self/status's `Uid:` line (root uses the system socket).
fn current_uid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|r| r.split_whitespace().next().and_then(|u| u.parse().ok()))
        })
        .unwrap_or(0)
}

/// Exports `name` from the engine into a temporary file of at most `max_bytes`; the file goes
/// when the path drops (or when the export is refused).
pub fn export(engine: Engine, name: &str, max_bytes: u64) -> Result<tempfile::TempPath> {
    let sock = socket(engine)?;
    let shown = format!("{}:{name}", engine.transport());
    let rt = crate::runtime::current_thread().map_err(|e| anyhow!("{shown}: {e}"))?;
    rt.block_on(async {
        let version = negotiate(&sock)
            .await
            .map_err(|e| anyhow!("{shown}: {e:#}"))?;
        let path = format!("/v{}.{}/images/{}/get", version.0, version.1, encode(name));
        let mut spool = tempfile::Builder::new()
            .prefix("gate-export-")
            .suffix(".tar")
            .tempfile()
            .map_err(|e| anyhow!("{shown}: cannot create a temporary file: {e}"))?;
        let (status, mut body) = request(&sock, &path)
            .await
            .map_err(|e| anyhow!("{shown}: {e:#}"))?;
        if status == 404 {
            bail!(
                "{shown}: no such image in the engine at {} (check the name with `{} images`)",
                sock.display(),
                if engine == Engine::Podman {
                    "podman"
                } else {
                    "docker"
                }
            );
        }
        if status != 200 {
            let msg = collect_small(&mut body).await;
            bail!(
                "{shown}: the engine answered HTTP {status}: {}",
                message(&msg)
            );
        }
        let mut written = 0u64;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| anyhow!("{shown}: the export stream broke off: {e}"))?;
            if let Ok(data) = frame.into_data() {
                written = written.saturating_add(data.len() as u64);
                if written > max_bytes {
                    bail!(
                        "{shown}: the engine's export is larger than {} ({max_bytes} bytes), the most spooled to $TMPDIR; raise it with --max-export-size if the image is genuine",
                        crate::units::format_size(max_bytes)
                    );
                }
                spool.write_all(&data).map_err(|e| {
                    anyhow!(
                        "{shown}: writing the export to {}: {e}",
                        spool.path().display()
                    )
                })?;
            }
        }
        spool.flush()?;
        Ok(spool.into_temp_path())
    })
}

/// `GET /version` → the API version both sides speak.
async fn negotiate(sock: &std::path::Path) -> Result<(u32, u32)> {
    let (status, mut body) = request(sock, "/version").await?;
    let text = collect_small(&mut body).await;
    if status != 200 {
        bail!("GET /version answered HTTP {status}: {}", message(&text));
    }
    #[derive(serde::Deserialize)]
    struct V {
        #[serde(rename = "ApiVersion")]
        api: String,
    }
    let v: V = serde_json::from_slice(&text)
        .map_err(|e| anyhow!("the engine's /version is not what the Engine API returns: {e}"))?;
    let theirs = parse_version(&v.api)
        .ok_or_else(|| anyhow!("the engine reports API version {:?}", v.api))?;
    if theirs < MIN_API {
        bail!(
            "the engine speaks API {}.{}, older than {}.{}",
            theirs.0,
            theirs.1,
            MIN_API.0,
            MIN_API.1
        );
    }
    Ok(theirs.min(MAX_API))
}

fn parse_version(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.trim().split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

async fn request(sock: &std::path::Path, path: &str) -> Result<(u16, hyper::body::Incoming)> {
    let stream = tokio::net::UnixStream::connect(sock).await.map_err(|e| {
        anyhow!(
            "cannot connect to the engine socket {}: {} (is the daemon running? DOCKER_HOST / CONTAINER_HOST)",
            sock.display(),
            crate::image::archive::io_reason(&e)
        )
    })?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| anyhow!("{}: {e}", sock.display()))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = hyper::Request::get(path)
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| anyhow!("{} {path}: {e}", sock.display()))?;
    Ok((resp.status().as_u16(), resp.into_body()))
}

/// Up to 64 KiB of a (small) response body.
async fn collect_small(body: &mut hyper::body::Incoming) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(d) = frame.into_data() {
            out.extend_from_slice(&d);
            if out.len() > 64 << 10 {
                break;
            }
        }
    }
    out
}

/// The engine's `{"message": …}`, else the text.
fn message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct M {
        message: String,
    }
    serde_json::from_slice::<M>(body)
        .map(|m| m.message)
        .unwrap_or_else(|_| {
            String::from_utf8_lossy(body)
                .trim()
                .chars()
                .take(200)
                .collect()
        })
}

/// Percent-encodes an image name for the path (`/` and `:` included, as the engines accept).
fn encode(name: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.');
    percent_encoding::utf8_percent_encode(name, KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_encoded_and_versions_compared() {
        assert_eq!(encode("localhost/app:1"), "localhost%2Fapp%3A1");
        assert_eq!(parse_version("1.41"), Some((1, 41)));
        assert!(parse_version("1.24").unwrap() < MIN_API);
        assert_eq!(parse_version("1.45").unwrap().min(MAX_API), (1, 41));
    }
}
