//! What a registry serves for a tag or digest: an image manifest or an index (OCI, or
//! Docker's v2 schema 2 and manifest list, which have the same shape), parsed with the
//! oci-spec crate's types. Which one it is comes from the document (`manifests` vs `layers`)
//! as much as from its media type, since registries mislabel both ways.

use anyhow::{anyhow, bail, Result};
use oci_spec::image::{Descriptor, ImageIndex, ImageManifest};

use crate::image::index::{self, IndexEntry, IndexFacts, ManifestKind};
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
        || v.get("blobs").is_some()
    {
        if let Some(why) = index::unreadable_kind(&v, content_type) {
            bail!("{what}: {why}");
        }
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

/// What an index entry is (image, buildx attestation, nested index, other), from its
/// descriptor as the archive reader judges it.
pub fn entry_of(d: &Descriptor) -> IndexEntry {
    let annotations = d.annotations().as_ref().map(|a| {
        a.iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<std::collections::BTreeMap<_, _>>()
    });
    IndexEntry::new(
        d.media_type().as_ref(),
        d.digest().as_ref(),
        platform_of(d).as_ref(),
        annotations.as_ref(),
        d.artifact_type().as_ref().map(|t| t.to_string()).as_deref(),
    )
}

/// The index a reference resolved to, for the report and the Lambda rules.
pub fn facts(idx: &ImageIndex, digest: &str, content_type: Option<&str>) -> IndexFacts {
    IndexFacts {
        digest: Some(digest.to_string()),
        media_type: idx
            .media_type()
            .as_ref()
            .map(|m| m.to_string())
            .or_else(|| content_type.map(str::to_string))
            .unwrap_or_else(|| index::OCI_INDEX.into()),
        entries: idx.manifests().iter().map(entry_of).collect(),
    }
}

/// The labels Lambda judges an image manifest by.
pub fn kind_of(m: &ImageManifest) -> ManifestKind {
    ManifestKind {
        media_type: m.media_type().as_ref().map(|t| t.to_string()),
        config_media_type: Some(m.config().media_type().to_string()),
        artifact_type: m.artifact_type().as_ref().map(|t| t.to_string()),
    }
}

/// The in-toto predicate types an attestation manifest's layers declare.
pub fn predicate_types(m: &ImageManifest) -> Vec<String> {
    let mut out: Vec<String> = m
        .layers()
        .iter()
        .filter_map(|l| {
            l.annotations()
                .as_ref()?
                .get(index::PREDICATE_TYPE)
                .cloned()
        })
        .collect();
    out.dedup();
    out
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
        .filter(|d| entry_of(d).kind.runnable())
        .collect();
    if entries.is_empty() {
        bail!("the index lists no runnable image");
    }
    let listed: Vec<Option<Platform>> = entries.iter().map(|d| platform_of(d)).collect();
    // An entry that is itself an index and names no platform (an index of indexes) may hold
    // any platform: it is descended into when no entry names the one wanted.
    let i = crate::image::choose::choose(&listed, |i| is_index(entries[i]), want)?;
    let platforms = listed.into_iter().flatten().collect();
    Ok((entries[i].clone(), platforms))
}
