//! `docker://`: an image read from a registry over the OCI distribution API.
//!
//! Manifest (or index, then the platform's manifest) and config are small and read whole,
//! each checked against its digest. Layers are not fetched here: each becomes a streamed
//! blob the scan opens on its worker threads (largest first, a bounded number at once), so a
//! layer goes from the socket through the hasher and the decompressor into the layer walk
//! without touching the disk. Every byte is checked against the descriptor's digest and size.

pub mod auth;
pub mod client;
pub mod manifest;
pub mod trust;

use std::io::{self, Read};
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use sha2::{Digest as _, Sha256};

use crate::image::index::{EntryKind, MAX_ATTESTATIONS_READ};
use crate::image::resolve::{refuse_artifact, Selection, MAX_INDEX_DEPTH, MAX_MANIFESTS};
use crate::image::source::{Blob, Remote};
use crate::image::{Config, Format, Image, LayerRef};

use super::reference::{check_digest, Name};
use client::{read_limited, Repo};
use manifest::Doc;

pub use client::Options;

/// Configs can carry thousands of history entries; the archive reader allows the same.
const MAX_CONFIG_BYTES: u64 = crate::image::archive::MAX_METADATA_BYTES;

/// Resolves `name` to one image whose layers stream from the registry.
pub fn open(name: &Name, sel: &Selection, opts: &Options) -> Result<Image> {
    let repo = Repo::new(&name.registry, name.api_host(), &name.repository, opts)?;
    let shown = format!("docker://{name}");
    let (bytes, ctype, digest) = fetch_manifest(&repo, name.reference(), name.digest.as_deref())
        .map_err(|e| anyhow!("{shown}: {e:#}"))?;
    let mut notes = Vec::new();
    // An index may list indexes (the same cap as for archives); the platforms shown are the
    // outermost index's that name any.
    let (mut bytes, mut ctype, mut digest) = (bytes, ctype, digest);
    let mut platforms = Vec::new();
    let mut index = None;
    let mut depth = 0;
    let (manifest, manifest_digest) = loop {
        match manifest::parse(&bytes, ctype.as_deref(), &format!("manifest {digest}"))
            .map_err(|e| anyhow!("{shown}: {e:#}"))?
        {
            Doc::Manifest(m) => break (m, digest),
            Doc::Index(idx) => {
                if idx.manifests().len() > MAX_MANIFESTS {
                    bail!(
                        "{shown}: index {digest} lists {} entries, more than {MAX_MANIFESTS} manifests; no real image has that many",
                        idx.manifests().len()
                    );
                }
                if index.is_none() {
                    index = Some(manifest::facts(&idx, &digest, ctype.as_deref()));
                }
                depth += 1;
                if depth > MAX_INDEX_DEPTH {
                    bail!("{shown}: indexes nested more than {MAX_INDEX_DEPTH} deep");
                }
                let (d, listed) = manifest::choose(&idx, sel.platform.as_deref())
                    .map_err(|e| anyhow!("{shown}: {e:#}"))?;
                if platforms.is_empty() {
                    platforms = listed;
                }
                let want = d.digest().to_string();
                (bytes, ctype, digest) = fetch_manifest(&repo, &want, Some(&want))
                    .map_err(|e| anyhow!("{shown}: {e:#}"))?;
            }
        }
    };
    if let Some(facts) = index.as_mut() {
        name_attestations(&repo, facts);
    }
    if sel.image.is_some() {
        notes.push(
            "--image chooses among the images of an archive; a registry reference names one image"
                .into(),
        );
    }
    let cdesc = manifest.config();
    let cdigest = cdesc.digest().to_string();
    check_digest(&cdigest).map_err(|e| anyhow!("{shown}: config: {e}"))?;
    if cdesc.size() > MAX_CONFIG_BYTES {
        bail!(
            "{shown}: config {cdigest} declares {} bytes, more than an image config should be",
            cdesc.size()
        );
    }
    let resp = repo
        .get(
            &repo.url("blobs", &cdigest),
            None,
            &format!("config {cdigest}"),
        )
        .map_err(|e| anyhow!("{shown}: {e:#}"))?;
    let config_bytes = read_limited(resp, MAX_CONFIG_BYTES, "config")
        .map_err(|e| anyhow!("{shown}: config {cdigest}: {e:#}"))?;
    let actual = format!("sha256:{}", hex::encode(Sha256::digest(&config_bytes)));
    if actual != cdigest {
        bail!("{shown}: config {cdigest}: digest mismatch: the registry sent {actual}");
    }
    let config = Config::parse(&config_bytes)
        .map_err(|e| anyhow!("{shown}: config {cdigest}: not a valid image config: {e:#}"))?;
    let kind = manifest::kind_of(&manifest);
    refuse_artifact(&kind, &config, &manifest_digest).map_err(|e| anyhow!("{shown}: {e:#}"))?;

    let mut layers = Vec::new();
    for (i, l) in manifest.layers().iter().enumerate() {
        let digest = l.digest().to_string();
        check_digest(&digest).map_err(|e| anyhow!("{shown}: layer {i}: {e}"))?;
        let remote = RemoteLayer {
            repo: Arc::clone(&repo),
            digest: digest.clone(),
            size: l.size(),
        };
        layers.push(LayerRef {
            digest: Some(digest),
            diff_id: config.diff_ids.get(i).cloned(),
            media_type: l.media_type().to_string(),
            declared_size: Some(l.size() as i64),
            region: Blob::remote(l.size(), Arc::new(remote)),
        });
    }
    let platform = config.platform();
    Ok(Image {
        format: Format::Registry,
        reference: Some(format!(
            "{}/{}@{manifest_digest}",
            name.registry, name.repository
        )),
        platforms: if platforms.is_empty() {
            vec![platform.clone()]
        } else {
            platforms
        },
        platform,
        config_digest: Some(cdigest),
        manifest_digest: Some(manifest_digest.clone()),
        index,
        manifest: kind,
        config,
        layers,
        notes,
    })
}

/// Names what the index's attestation manifests attest (their layers' in-toto predicate
/// types): a few small GETs, at most [`MAX_ATTESTATIONS_READ`]. One that cannot be read
/// stays unnamed; it describes the image and is never deployed.
fn name_attestations(repo: &Repo, facts: &mut crate::image::index::IndexFacts) {
    let attestations = facts
        .entries
        .iter_mut()
        .filter(|e| e.kind == EntryKind::Attestation)
        .take(MAX_ATTESTATIONS_READ);
    for entry in attestations {
        let Ok((bytes, ctype, _)) = fetch_manifest(repo, &entry.digest, Some(&entry.digest)) else {
            continue;
        };
        if let Ok(Doc::Manifest(m)) = manifest::parse(&bytes, ctype.as_deref(), "attestation") {
            entry.predicate_types = manifest::predicate_types(&m);
        }
    }
}

/// GETs a manifest and checks it: against the digest asked for, else against the
/// `Docker-Content-Digest` the registry states. Returns (bytes, content type, digest).
fn fetch_manifest(
    repo: &Repo,
    reference: &str,
    want: Option<&str>,
) -> Result<(Vec<u8>, Option<String>, String)> {
    let what = format!("manifest {reference}");
    let resp = repo.get(
        &repo.url("manifests", reference),
        Some(manifest::ACCEPT),
        &what,
    )?;
    let ctype = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let stated = resp
        .headers()
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // A signed schema 1 manifest's digest leaves out its signatures, so it never matches
    // the bytes: say what it is before the digest check calls it tampered with.
    if let Some(why) = ctype
        .as_deref()
        .filter(|c| c.contains("distribution.manifest.v1"))
        .and_then(|c| crate::image::index::unreadable_kind(&serde_json::Value::Null, Some(c)))
    {
        bail!("{what}: {why}");
    }
    let bytes = read_limited(resp, manifest::MAX_MANIFEST_BYTES, "manifest")
        .map_err(|e| anyhow!("{what}: {e:#}"))?;
    let actual = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
    if let Some(w) = want {
        if actual != w {
            bail!("{what}: digest mismatch: asked for {w}, the registry sent content whose digest is {actual}");
        }
    } else if let Some(s) = stated.filter(|s| s.starts_with("sha256:")) {
        if s != actual {
            bail!("{what}: digest mismatch: the registry says {s}, the content is {actual}");
        }
    }
    Ok((bytes, ctype, actual))
}

/// A layer blob in a registry, opened by the scan.
#[derive(Debug)]
struct RemoteLayer {
    repo: Arc<Repo>,
    digest: String,
    size: u64,
}

impl Remote for RemoteLayer {
    fn checks_digest(&self) -> bool {
        true
    }

    fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        let inner = self.request(0).map_err(io::Error::other)?;
        Ok(Box::new(Checked {
            inner,
            hasher: Sha256::new(),
            digest: self.digest.clone(),
            size: self.size,
            count: 0,
            verified: false,
            resume: Some(Resume {
                layer: RemoteLayer {
                    repo: Arc::clone(&self.repo),
                    digest: self.digest.clone(),
                    size: self.size,
                },
                used: 0,
            }),
        }))
    }
}

impl RemoteLayer {
    /// The blob from byte `offset` on: the whole of it, or (resuming) a 206 that starts
    /// exactly there.
    fn request(&self, offset: u64) -> Result<Box<dyn Read + Send>, String> {
        let what = format!("blob {}", self.digest);
        let url = self.repo.url("blobs", &self.digest);
        let resp = self
            .repo
            .get_from(&url, None, &what, (offset > 0).then_some(offset))
            .map_err(|e| format!("{e:#}"))?;
        let expect = self.size - offset;
        if offset > 0 {
            let range = resp
                .headers()
                .get(reqwest::header::CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if resp.status() != reqwest::StatusCode::PARTIAL_CONTENT
                || !range.starts_with(&format!("bytes {offset}-"))
            {
                return Err(format!(
                    "{what}: the registry cannot resume the download at byte {offset} (HTTP {}, Content-Range {range:?})",
                    resp.status().as_u16()
                ));
            }
        }
        if let Some(len) = resp.content_length() {
            if len != expect {
                return Err(format!(
                    "{what}: the registry sends {len} bytes, the manifest says {}",
                    self.size
                ));
            }
        }
        Ok(Box::new(resp))
    }
}

/// How a broken-off download goes on: the same blob asked for again from where it stopped,
/// a few times, with the registry client's backoff between tries. Every byte still passes
/// the one hasher, so the digest covers the joined stream.
struct Resume {
    layer: RemoteLayer,
    used: u32,
}

/// Resumes per blob: enough for a flaky link, few enough that a registry that always cuts
/// fails in seconds.
const RESUMES: u32 = 3;

/// Passes a blob through, refusing it when it is longer or shorter than declared or when
/// its sha256 is not the digest: the error surfaces in the scan as the layer's read error.
struct Checked {
    inner: Box<dyn Read + Send>,
    hasher: Sha256,
    digest: String,
    size: u64,
    count: u64,
    /// The end was reached and the digest matched; later reads stay at the end.
    verified: bool,
    /// None: the stream cannot be asked for again (tests), so a break is final.
    resume: Option<Resume>,
}

impl Checked {
    /// After a break at `self.count`: the rest of the blob on a new connection, or why not.
    fn resume(&mut self, why: &str) -> io::Result<()> {
        let broke = || {
            format!(
                "blob {}: the download broke off after {} of {} bytes: {why}",
                self.digest, self.count, self.size
            )
        };
        let Some(r) = self.resume.as_mut() else {
            return Err(io::Error::other(broke()));
        };
        if r.used >= RESUMES {
            return Err(io::Error::other(format!("{} ({RESUMES} resumes)", broke())));
        }
        r.used += 1;
        std::thread::sleep(r.layer.repo.backoff_for(r.used, None));
        self.inner = r
            .layer
            .request(self.count)
            .map_err(|e| io::Error::other(format!("{}; {e}", broke())))?;
        Ok(())
    }
}

impl Read for Checked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.verified {
            return Ok(0);
        }
        let n = loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => self.resume(&e.to_string())?,
                // The connection closed early: a cut, not the end.
                Ok(0) if self.count < self.size && self.resume.is_some() => {
                    self.resume("the connection closed early")?
                }
                Ok(n) => break n,
            }
        };
        self.count += n as u64;
        if self.count > self.size {
            return Err(io::Error::other(format!(
                "blob {}: the registry sent more than the {} bytes the manifest declares",
                self.digest, self.size
            )));
        }
        if n == 0 {
            if self.count < self.size {
                return Err(io::Error::other(format!(
                    "blob {}: cut short: {} of {} bytes arrived",
                    self.digest, self.count, self.size
                )));
            }
            let actual = format!(
                "sha256:{}",
                hex::encode(std::mem::take(&mut self.hasher).finalize())
            );
            if actual != self.digest {
                return Err(io::Error::other(format!(
                    "blob {}: digest mismatch: the registry sent content whose digest is {actual}",
                    self.digest
                )));
            }
            self.verified = true;
            return Ok(0);
        }
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(data: &[u8], size: u64, digest: String) -> Checked {
        Checked {
            inner: Box::new(io::Cursor::new(data.to_vec())),
            resume: None,
            hasher: Sha256::new(),
            digest,
            size,
            count: 0,
            verified: false,
        }
    }

    #[test]
    fn blobs_are_checked_for_length_and_digest() {
        let data = b"hello layer".to_vec();
        let good = format!("sha256:{}", hex::encode(Sha256::digest(&data)));
        let mut out = Vec::new();
        checked(&data, data.len() as u64, good.clone())
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
        let mut c = checked(&data, data.len() as u64, good.clone());
        c.read_to_end(&mut Vec::new()).unwrap();
        assert_eq!(c.read(&mut [0u8; 8]).unwrap(), 0, "the end stays the end");
        let e = checked(&data[..5], data.len() as u64, good.clone())
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(e.to_string().contains("cut short: 5 of 11 bytes"), "{e}");
        let e = checked(&data, 5, good)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(e.to_string().contains("more than the 5 bytes"), "{e}");
        let other = format!("sha256:{}", "0".repeat(64));
        let e = checked(&data, data.len() as u64, other)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(e.to_string().contains("digest mismatch"), "{e}");
    }
}
