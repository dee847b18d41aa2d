//! From an archive to one image: which format, which image, which platform, which layers.
//!
//! The JSON models here are our own, deliberately lenient (every field optional, unknown media
//! types kept as strings): real archives carry Docker v2 manifests inside OCI layouts, media
//! types like `application/vnd.oci.descriptor.v1+json`, and legacy `manifest.json` files that
//! no OCI model describes. What a blob is, is decided by its content, not its label.

use std::collections::{BTreeMap, HashSet};

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;

use super::archive::Archive;
use super::index::{self, EntryKind, IndexEntry, IndexFacts, ManifestKind};
use super::{Config, Format, Image, LayerRef, Platform};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifestEntry {
    config: Option<String>,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(default)]
    media_type: Option<String>,
    digest: String,
    #[serde(default)]
    size: Option<i64>,
    #[serde(default)]
    platform: Option<DescPlatform>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    artifact_type: Option<String>,
}

impl Descriptor {
    fn platform(&self) -> Option<Platform> {
        self.platform.as_ref().map(|p| Platform {
            os: p.os.clone(),
            architecture: p.architecture.clone(),
            variant: p.variant.clone().filter(|v| !v.is_empty()),
        })
    }

    /// What this descriptor is, as an entry of an index.
    fn entry(&self) -> IndexEntry {
        IndexEntry::new(
            self.media_type.as_deref().unwrap_or(""),
            &self.digest,
            self.platform().as_ref(),
            self.annotations.as_ref(),
            self.artifact_type.as_deref(),
        )
    }
}

#[derive(Debug, Deserialize, Clone)]
struct DescPlatform {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    variant: Option<String>,
}

/// An index or a manifest: which one is decided by which fields are present.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManifestOrIndex {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    artifact_type: Option<String>,
}

/// How deep indexes may nest (buildx writes 1 level, a registry mirror 2).
pub const MAX_INDEX_DEPTH: usize = 8;
/// How many distinct manifests and indexes one resolution may read.
pub const MAX_MANIFESTS: usize = 1024;

/// The most an attestation manifest read only to name its predicates may be (a registry's
/// own limit on a manifest).
const MAX_ATTESTATION_BYTES: u64 = 4 << 20;

/// Options that choose among images and platforms.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub platform: Option<String>,
    pub image: Option<String>,
}

pub fn resolve(archive: &Archive, sel: &Selection) -> Result<Image> {
    let has_manifest_json = archive.contains("manifest.json");
    let has_index = archive.contains("index.json");
    if has_manifest_json {
        // Docker 25+ writes both; manifest.json names the image(s) docker loads, so prefer it,
        // but a platform request can only be honoured through the index.
        // The index is docker's own bookkeeping here: what `docker load` and `docker push`
        // take is the one image manifest.json names, never an index.
        if has_index && sel.platform.is_some() {
            let mut image = resolve_oci(archive, sel)?;
            image.index = None;
            return Ok(image);
        }
        return resolve_docker(archive, sel);
    }
    if has_index {
        return resolve_oci(archive, sel);
    }
    let names = archive.member_names();
    if !names.is_empty()
        && names
            .iter()
            .all(|n| !n.ends_with(".json") && !n.contains("/layer.tar"))
    {
        bail!(
            "{}: this is a single layer tar, not an image (no manifest.json or index.json); give the image archive (`docker save`, `skopeo copy … docker-archive:`)",
            archive.display()
        );
    }
    bail!(
        "{}: not an image archive: neither manifest.json (docker save) nor index.json (OCI layout) found",
        archive.display()
    )
}

fn parse_json<T: serde::de::DeserializeOwned>(
    archive: &Archive,
    name: &str,
    what: &str,
) -> Result<T> {
    let bytes = archive.read_metadata(name)?;
    serde_json::from_slice(&bytes).map_err(|e| anyhow!("{name}: not a valid {what}: {e}"))
}

fn resolve_docker(archive: &Archive, sel: &Selection) -> Result<Image> {
    let entries: Option<Vec<DockerManifestEntry>> =
        parse_json(archive, "manifest.json", "docker manifest.json")?;
    let entries =
        entries.ok_or_else(|| anyhow!("manifest.json is null: the archive lists no image"))?;
    if entries.is_empty() {
        bail!("manifest.json lists no image");
    }
    let mut notes = Vec::new();
    let index = pick_image(
        &entries
            .iter()
            .map(|e| e.repo_tags.clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        sel,
        &mut notes,
    )?;
    let entry = &entries[index];
    let config_name = entry
        .config
        .as_deref()
        .ok_or_else(|| anyhow!("manifest.json entry {index} has no Config"))?;
    let config_bytes = archive.read_metadata(config_name)?;
    let config = Config::parse(&config_bytes)
        .with_context(|| format!("{config_name}: not a valid image config"))?;
    let mut config_digest = None;
    if let Some(claimed) = digest_in_name(config_name) {
        let actual = super::blob::sha256_hex(&config_bytes);
        if actual != claimed {
            bail!("{config_name}: config digest mismatch: the name says sha256:{claimed}, the content is sha256:{actual}");
        }
        config_digest = Some(format!("sha256:{claimed}"));
    }
    let layer_names = entry.layers.clone().unwrap_or_default();
    let mut layers = Vec::new();
    for (i, name) in layer_names.iter().enumerate() {
        let region = archive
            .region(name)
            .map_err(|e| anyhow!("layer {i}: {e}"))?;
        layers.push(LayerRef {
            digest: digest_in_name(name).map(|h| format!("sha256:{h}")),
            diff_id: config.diff_ids.get(i).cloned(),
            media_type: String::new(),
            declared_size: None,
            region: region.into(),
        });
    }
    let platform = config.platform();
    Ok(Image {
        format: Format::DockerArchive,
        reference: entry.repo_tags.as_ref().and_then(|t| t.first().cloned()),
        platforms: vec![platform.clone()],
        platform,
        config_digest,
        manifest_digest: None,
        index: None,
        manifest: ManifestKind::default(),
        config,
        layers,
        notes,
    })
}

/// `blobs/sha256/<hex>`, `<hex>.tar.gz` (kaniko), `sha256:<hex>` (kaniko config): names that are
/// content digests, so the content can be verified against them.
fn digest_in_name(name: &str) -> Option<String> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let base = base.strip_prefix("sha256:").unwrap_or(base);
    let hex = base
        .strip_suffix(".tar.gz")
        .or_else(|| base.strip_suffix(".tar"))
        .unwrap_or(base);
    let is_blob_path =
        name.contains("sha256/") || name.contains("sha256:") || base.len() != hex.len();
    (is_blob_path && hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

fn blob_name(digest: &str) -> Result<String> {
    let (algo, hex) = digest
        .split_once(':')
        .ok_or_else(|| anyhow!("invalid digest {digest:?}"))?;
    if algo != "sha256" {
        bail!("unsupported digest algorithm {algo:?} in {digest:?} (only sha256)");
    }
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("invalid digest {digest:?}");
    }
    Ok(format!("blobs/sha256/{hex}"))
}

fn read_blob(archive: &Archive, desc: &Descriptor) -> Result<Vec<u8>> {
    let name = blob_name(&desc.digest)?;
    let bytes = archive
        .read_metadata(&name)
        .map_err(|e| anyhow!("blob {}: {e}", desc.digest))?;
    let actual = format!("sha256:{}", super::blob::sha256_hex(&bytes));
    if actual != desc.digest {
        bail!(
            "blob {}: digest mismatch: the content is {actual}",
            desc.digest
        );
    }
    Ok(bytes)
}

/// An OCI layout (directory or tar), following index → (nested index) → manifest.
fn resolve_oci(archive: &Archive, sel: &Selection) -> Result<Image> {
    let index: ManifestOrIndex = parse_json(archive, "index.json", "OCI index.json")?;
    let top = index
        .manifests
        .ok_or_else(|| anyhow!("index.json has no manifests"))?;
    if top.is_empty() {
        bail!("index.json lists no image");
    }
    if top.len() > MAX_MANIFESTS {
        bail!(
            "index.json lists {} entries, more than {MAX_MANIFESTS} manifests; no real image has that many",
            top.len()
        );
    }
    let mut notes = Vec::new();
    let refs: Vec<Vec<String>> = top
        .iter()
        .map(|d| {
            let a = d.annotations.clone().unwrap_or_default();
            a.get("io.containerd.image.name")
                .or_else(|| a.get("org.opencontainers.image.ref.name"))
                .cloned()
                .into_iter()
                .collect()
        })
        .collect();
    // Top-level entries that differ only by platform are one image, not several; index.json
    // is then itself the index (its attestations are not images to choose).
    let top_is_index = top.len() > 1 && top.iter().all(|d| d.platform.is_some());
    let candidates: Vec<Descriptor> = if top_is_index {
        top.iter()
            .filter(|d| d.entry().kind.runnable())
            .cloned()
            .collect()
    } else {
        let i = pick_image(&refs, sel, &mut notes)?;
        vec![top[i].clone()]
    };
    let reference = if candidates.len() == 1 {
        candidates[0]
            .annotations
            .as_ref()
            .and_then(|a| {
                a.get("io.containerd.image.name")
                    .or_else(|| a.get("org.opencontainers.image.ref.name"))
            })
            .cloned()
    } else {
        None
    };

    // index.json listing the platforms itself is the index that would be pushed; an entry
    // that is an index blob is recorded when it is read below.
    let mut index_facts = top_is_index.then(|| IndexFacts {
        digest: None,
        media_type: index
            .media_type
            .clone()
            .unwrap_or_else(|| index::OCI_INDEX.into()),
        entries: top.iter().map(Descriptor::entry).collect(),
    });

    // Flatten nested indexes into (platform, manifest) pairs. Each blob is read once: an
    // index listing the same child index 100 times, 5 levels deep, would otherwise be 10^10
    // visits. Past the caps the archive is hostile or broken, never a real image.
    let mut manifests: Vec<(Option<Platform>, Descriptor, ManifestOrIndex)> = Vec::new();
    let mut stack: Vec<(Descriptor, usize)> =
        candidates.into_iter().rev().map(|d| (d, 0)).collect();
    let mut seen: HashSet<(String, Option<String>)> =
        stack.iter().map(|(d, _)| visit_key(d)).collect();
    while let Some((desc, depth)) = stack.pop() {
        if depth > MAX_INDEX_DEPTH {
            bail!(
                "index nesting deeper than {MAX_INDEX_DEPTH} levels at {}",
                desc.digest
            );
        }
        let bytes = read_blob(archive, &desc)?;
        let doc: ManifestOrIndex = serde_json::from_slice(&bytes)
            .map_err(|e| anyhow!("blob {}: not a valid manifest or index: {e}", desc.digest))?;
        if let Some(children) = &doc.manifests {
            // Every entry is recorded in the report, attestations too: bounded like the
            // manifests followed.
            if children.len() > MAX_MANIFESTS {
                bail!(
                    "blob {}: an index of {} entries, more than {MAX_MANIFESTS} manifests; no real image has that many",
                    desc.digest,
                    children.len()
                );
            }
            if depth == 0 && index_facts.is_none() {
                index_facts = Some(IndexFacts {
                    digest: Some(desc.digest.clone()),
                    media_type: doc
                        .media_type
                        .clone()
                        .or_else(|| desc.media_type.clone())
                        .unwrap_or_else(|| index::OCI_INDEX.into()),
                    entries: children.iter().map(Descriptor::entry).collect(),
                });
            }
            for child in children.iter().rev() {
                if !child.entry().kind.runnable() || !seen.insert(visit_key(child)) {
                    continue;
                }
                if seen.len() > MAX_MANIFESTS {
                    bail!(
                        "index.json leads to more than {MAX_MANIFESTS} manifests and indexes; no real image has that many"
                    );
                }
                stack.push((child.clone(), depth + 1));
            }
        } else if doc.layers.is_some() || doc.config.is_some() {
            manifests.push((desc.platform(), desc, doc));
        } else {
            let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            if let Some(why) = index::unreadable_kind(&value, desc.media_type.as_deref()) {
                bail!("blob {}: {why}", desc.digest);
            }
            bail!(
                "blob {}: neither a manifest nor an index (media type {})",
                desc.digest,
                doc.media_type
                    .as_deref()
                    .or(desc.media_type.as_deref())
                    .unwrap_or("none")
            );
        }
    }
    if let Some(facts) = index_facts.as_mut() {
        name_attestations(archive, facts);
    }
    if manifests.is_empty() {
        bail!("index.json leads to no image manifest");
    }
    let platforms: Vec<Platform> = manifests.iter().filter_map(|(p, _, _)| p.clone()).collect();
    let listed: Vec<Option<Platform>> = manifests.iter().map(|(p, _, _)| p.clone()).collect();
    let chosen = super::choose::choose(&listed, |_| false, sel.platform.as_deref())?;
    let (_, mdesc, manifest) = &manifests[chosen];
    let cdesc = manifest
        .config
        .as_ref()
        .ok_or_else(|| anyhow!("manifest {} has no config", mdesc.digest))?;
    let config_bytes = read_blob(archive, cdesc)?;
    let config = Config::parse(&config_bytes)
        .with_context(|| format!("config {}: not a valid image config", cdesc.digest))?;
    let kind = ManifestKind {
        media_type: manifest.media_type.clone(),
        config_media_type: cdesc.media_type.clone(),
        artifact_type: manifest.artifact_type.clone(),
    };
    refuse_artifact(&kind, &config, &mdesc.digest)?;
    let mut layers = Vec::new();
    for (i, l) in manifest
        .layers
        .clone()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let name = blob_name(&l.digest).map_err(|e| anyhow!("layer {i}: {e}"))?;
        let region = archive.region(&name).map_err(|_| {
            anyhow!(
                "layer {i} ({}): the manifest references a blob missing from the archive",
                l.digest
            )
        })?;
        layers.push(LayerRef {
            digest: Some(l.digest.clone()),
            diff_id: config.diff_ids.get(i).cloned(),
            media_type: l.media_type.clone().unwrap_or_default(),
            declared_size: l.size,
            region: region.into(),
        });
    }
    let platform = config.platform();
    let format = if archive.is_dir() {
        Format::OciLayout
    } else {
        Format::OciArchive
    };
    Ok(Image {
        format,
        reference,
        platforms: if platforms.is_empty() {
            vec![platform.clone()]
        } else {
            platforms
        },
        platform,
        config_digest: Some(cdesc.digest.clone()),
        manifest_digest: Some(mdesc.digest.clone()),
        index: index_facts,
        manifest: kind,
        config,
        layers,
        notes,
    })
}

/// An artifact that only labels itself an image manifest (OCI 1.1: an artifactType, or a
/// config that is not an image config and lists no layers as an image's would) has no
/// filesystem to read: say what it is rather than fail on its first "layer".
pub fn refuse_artifact(kind: &ManifestKind, config: &Config, digest: &str) -> Result<()> {
    let not_image_config = kind
        .config_media_type
        .as_deref()
        .is_some_and(|c| c != index::OCI_CONFIG && c != index::DOCKER_CONFIG);
    if not_image_config && config.diff_ids.is_empty() {
        let why = kind.lambda_problem().unwrap_or_default();
        bail!(
            "manifest {digest} is not a container image: {why}; {}",
            index::LAMBDA_ACCEPTS
        );
    }
    Ok(())
}

/// Names what each attestation manifest of the index attests (its in-toto layers'
/// predicate types), reading at most [`index::MAX_ATTESTATIONS_READ`] of them. An
/// attestation blob missing or unreadable leaves its predicates unnamed: it is described,
/// never deployed.
fn name_attestations(archive: &Archive, facts: &mut IndexFacts) {
    let attestations = facts
        .entries
        .iter_mut()
        .filter(|e| e.kind == EntryKind::Attestation)
        .take(index::MAX_ATTESTATIONS_READ);
    for entry in attestations {
        let desc = Descriptor {
            media_type: None,
            digest: entry.digest.clone(),
            size: None,
            platform: None,
            annotations: None,
            artifact_type: None,
        };
        // A manifest is small (a registry refuses one over 4 MiB): a larger "attestation"
        // is not read at all.
        let small = blob_name(&desc.digest)
            .and_then(|n| archive.region(&n))
            .is_ok_and(|r| r.len <= MAX_ATTESTATION_BYTES);
        if !small {
            continue;
        }
        let Ok(bytes) = read_blob(archive, &desc) else {
            continue;
        };
        if let Ok(doc) = serde_json::from_slice::<ManifestOrIndex>(&bytes) {
            entry.predicate_types = predicate_types(doc.layers.as_deref().unwrap_or_default());
        }
    }
}

fn predicate_types(layers: &[Descriptor]) -> Vec<String> {
    let mut out: Vec<String> = layers
        .iter()
        .filter_map(|l| l.annotations.as_ref()?.get(index::PREDICATE_TYPE).cloned())
        .collect();
    out.dedup();
    out
}

/// A descriptor is visited once per digest and platform: the same manifest listed twice for
/// one platform is one image.
fn visit_key(d: &Descriptor) -> (String, Option<String>) {
    let platform = d.platform.as_ref().map(|p| {
        format!(
            "{}/{}/{}",
            p.os,
            p.architecture,
            p.variant.as_deref().unwrap_or("")
        )
    });
    (d.digest.clone(), platform)
}

/// Picks one image from an archive holding several: by `--image`, else the first (with a note).
fn pick_image(refs: &[Vec<String>], sel: &Selection, notes: &mut Vec<String>) -> Result<usize> {
    if let Some(want) = &sel.image {
        let want_norm = normalize_ref(want);
        if let Some(i) = refs.iter().position(|tags| {
            tags.iter()
                .any(|t| t == want || normalize_ref(t) == want_norm)
        }) {
            return Ok(i);
        }
        // An index into the list also works (`--image 2`), for archives without names.
        if let Ok(n) = want.parse::<usize>() {
            if n >= 1 && n <= refs.len() {
                return Ok(n - 1);
            }
        }
        let names: Vec<String> = refs
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if t.is_empty() {
                    format!("#{}", i + 1)
                } else {
                    t.join(" ")
                }
            })
            .collect();
        bail!(
            "image {want:?} is not in the archive; it holds: {}",
            names.join(", ")
        );
    }
    if refs.len() > 1 {
        let first = refs[0].first().cloned().unwrap_or_else(|| "#1".into());
        notes.push(format!(
            "the archive holds {} images; checked the first ({first}); choose another with --image",
            refs.len()
        ));
    }
    Ok(0)
}

/// `docker.io/library/foo:latest`, `library/foo:latest` and `foo` name the same image.
fn normalize_ref(r: &str) -> String {
    let r = r.strip_prefix("docker.io/").unwrap_or(r);
    let r = r.strip_prefix("library/").unwrap_or(r);
    let last = r.rsplit('/').next().unwrap_or(r);
    if last.contains(':') || last.contains('@') {
        r.to_string()
    } else {
        format!("{r}:latest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_read_only_from_digest_shaped_names() {
        let hex = "5c4213be9af904dd74649d250f22023f532b2f9179ffcb15260b5eaa10d7a3b4";
        assert_eq!(
            digest_in_name(&format!("{hex}.tar.gz")).as_deref(),
            Some(hex)
        );
        assert_eq!(
            digest_in_name(&format!("blobs/sha256/{hex}")).as_deref(),
            Some(hex)
        );
        assert_eq!(
            digest_in_name(&format!("sha256:{hex}")).as_deref(),
            Some(hex)
        );
        // A legacy v1 layer id is not a content digest.
        assert_eq!(digest_in_name(&format!("{hex}/layer.tar")), None);
        assert_eq!(digest_in_name(&format!("{hex}.json")), None);
    }

    #[test]
    fn references_compare_after_docker_normalization() {
        assert_eq!(
            normalize_ref("docker.io/library/foo"),
            normalize_ref("foo:latest")
        );
        assert_ne!(normalize_ref("foo:1"), normalize_ref("foo:2"));
    }

    #[test]
    fn blob_names_reject_traversal() {
        assert!(blob_name("sha256:../../etc/passwd").is_err());
        assert!(blob_name("md5:abc").is_err());
    }
}
