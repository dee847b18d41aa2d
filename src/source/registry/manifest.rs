//! What a registry serves for a tag or digest: an image manifest or an index (OCI, or
//! Docker's v2 schema 2 and manifest list, which have the same shape), parsed with the
//! oci-spec crate's types. Which one it is comes from the document (`manifests` vs `layers`)
//! as much as from its media type, since registries mislabel both ways.

use anyhow::{anyhow, bail, Result};
use oci_spec::image::{Descriptor, ImageIndex, ImageManifest};

use crate::image::Platform;

/// Every manifest media type we can read, for the `Accept` header.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// Manifests are small; distribution itself refuses more than 4 MiB.
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;

pub enum Doc {
    Index(Box<ImageIndex>),
    Manifest(Box<ImageManifest>),
}

pub fn parse(bytes: &[u8], content_type: Option<&str>, what: &str) -> Result<Doc> {
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| anyhow!("{what}: the registry sent a manifest that is not JSON: {e}"))?;
    if v.get("schemaVersion").and_then(|s| s.as_u64()) == Some(1)
        || content_type.is_some_and(|c| c.contains("distribution.manifest.v1"))
    {
        bail!("{what}: a Docker schema 1 manifest (deprecated since 2017) is not supported; push the image again with a current tool");
    }
    if v.get("manifests").is_some() {
        let idx: ImageIndex = serde_json::from_value(v)
            .map_err(|e| anyhow!("{what}: not a valid image index: {e}"))?;
        return Ok(Doc::Index(Box::new(idx)));
    }
    if v.get("layers").is_some() || v.get("config").is_some() {
        let m: ImageManifest = serde_json::from_value(v)
            .map_err(|e| anyhow!("{what}: not a valid image manifest: {e}"))?;
        return Ok(Doc::Manifest(Box::new(m)));
    }
    bail!(
        "{what}: neither an image manifest nor an index (content type {})",
        content_type.unwrap_or("none")
    )
}

pub fn platform_of(d: &Descriptor) -> Option<Platform> {
    d.platform().as_ref().map(|p| Platform {
        os: p.os().to_string(),
        architecture: p.architecture().to_string(),
        variant: p.variant().clone().filter(|v| !v.is_empty()),
    })
}

/// buildx's provenance/SBOM attestations (platform unknown/unknown, or the reference-type
/// annotation) are not images to run.
fn is_attestation(d: &Descriptor) -> bool {
    d.annotations()
        .as_ref()
        .is_some_and(|a| a.contains_key("vnd.docker.reference.type"))
        || platform_of(d).is_some_and(|p| p.os == "unknown" && p.architecture == "unknown")
}

fn is_index(d: &Descriptor) -> bool {
    let t = d.media_type().to_string();
    t.contains("image.index") || t.contains("manifest.list")
}

/// The index's runnable entries, and which one to read: the requested platform, else
/// linux/amd64, else the only one — as for archives.
pub fn choose(idx: &ImageIndex, want: Option<&str>) -> Result<(Descriptor, Vec<Platform>)> {
    let entries: Vec<&Descriptor> = idx
        .manifests()
        .iter()
        .filter(|d| !is_attestation(d))
        .collect();
    if entries.is_empty() {
        bail!("the index lists no runnable image");
    }
    let platforms: Vec<Platform> = entries.iter().filter_map(|d| platform_of(d)).collect();
    let list = || {
        entries
            .iter()
            .map(|d| {
                platform_of(d)
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "unspecified".into())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    // An entry that is itself an index and names no platform (an index of indexes) may hold
    // any platform: it is descended into when no entry names the one wanted.
    let pick = |want: &Platform| {
        entries
            .iter()
            .find(|d| platform_of(d).is_some_and(|p| p.matches(want)))
            .or_else(|| {
                entries
                    .iter()
                    .find(|d| platform_of(d).is_none() && is_index(d))
            })
            .map(|d| (*d).clone())
    };
    if let Some(w) = want {
        let w = Platform::parse(w)?;
        let d = pick(&w)
            .ok_or_else(|| anyhow!("platform {w} is not in the image; it has: {}", list()))?;
        return Ok((d, platforms));
    }
    if entries.len() == 1 {
        return Ok((entries[0].clone(), platforms));
    }
    let d = pick(&Platform::parse("linux/amd64")?).ok_or_else(|| {
        anyhow!(
            "the image has several platforms ({}); choose one with --platform",
            list()
        )
    })?;
    Ok((d, platforms))
}
