//! What an index held, and whether a manifest is one Lambda takes: the facts the Lambda rules
//! need about the artifact that would be deployed, shared by the archive and registry readers.
//!
//! Lambda accepts one image manifest (Docker v2 schema 2 or OCI) and refuses every index,
//! even one holding a single image beside buildx's provenance attestation. The readers record
//! the index they passed through instead of silently stepping over it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Platform;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const OCI_ARTIFACT_MANIFEST: &str = "application/vnd.oci.artifact.manifest.v1+json";

/// buildx's attestation manifest descriptor (BuildKit's "attestation storage"): this
/// annotation set to exactly `attestation-manifest`, the attested manifest's digest in
/// `vnd.docker.reference.digest`, platform `unknown/unknown`.
pub const REFERENCE_TYPE: &str = "vnd.docker.reference.type";
pub const REFERENCE_DIGEST: &str = "vnd.docker.reference.digest";
pub const ATTESTATION_MANIFEST: &str = "attestation-manifest";
/// On each in-toto layer of an attestation manifest: the statement's `predicateType`.
pub const PREDICATE_TYPE: &str = "in-toto.io/predicate-type";

/// How many attestation manifests a reader opens to name their predicates: enough for any
/// real index (one per platform), few enough that a hostile one costs nothing.
pub const MAX_ATTESTATIONS_READ: usize = 16;

/// The index the deployed reference or layout resolves to, as the gate read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexFacts {
    /// The index's own digest; absent when the index is an OCI layout's `index.json`, which
    /// is not a blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// An OCI image index or a Docker manifest list.
    pub media_type: String,
    pub entries: Vec<IndexEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub kind: EntryKind,
    pub digest: String,
    #[serde(default)]
    pub media_type: String,
    /// `os/arch[/variant]` as the descriptor states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// For an attestation: the manifest it attests (`vnd.docker.reference.digest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attests: Option<String>,
    /// For an attestation: its in-toto layers' predicate types, as far as the manifest was
    /// read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub predicate_types: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A runnable image manifest.
    Image,
    /// buildx's attestation manifest (provenance, SBOM).
    Attestation,
    /// A nested index.
    Index,
    /// Anything else not to run: an artifact, an `unknown/unknown` platform without the
    /// attestation annotations.
    Other,
}

impl EntryKind {
    /// What a reader descends into when choosing the image.
    pub fn runnable(self) -> bool {
        matches!(self, EntryKind::Image | EntryKind::Index)
    }
}

pub fn is_index_type(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

/// Classifies one entry of an index from its descriptor alone: its media type, platform and
/// annotations, exactly as BuildKit writes them.
pub fn classify(
    media_type: &str,
    platform: Option<&Platform>,
    annotations: Option<&BTreeMap<String, String>>,
    artifact_type: Option<&str>,
) -> EntryKind {
    let reference_type = annotations.and_then(|a| a.get(REFERENCE_TYPE));
    if reference_type.is_some_and(|t| t == ATTESTATION_MANIFEST) {
        return EntryKind::Attestation;
    }
    if is_index_type(media_type) {
        return EntryKind::Index;
    }
    let unknown = platform.is_some_and(|p| p.os == "unknown" && p.architecture == "unknown");
    if unknown
        || reference_type.is_some()
        || artifact_type.is_some()
        || media_type == OCI_ARTIFACT_MANIFEST
    {
        return EntryKind::Other;
    }
    EntryKind::Image
}

impl IndexEntry {
    pub fn new(
        media_type: &str,
        digest: &str,
        platform: Option<&Platform>,
        annotations: Option<&BTreeMap<String, String>>,
        artifact_type: Option<&str>,
    ) -> IndexEntry {
        let kind = classify(media_type, platform, annotations, artifact_type);
        IndexEntry {
            kind,
            digest: digest.to_string(),
            media_type: media_type.to_string(),
            platform: platform.map(|p| p.to_string()),
            attests: (kind == EntryKind::Attestation)
                .then(|| annotations.and_then(|a| a.get(REFERENCE_DIGEST)).cloned())
                .flatten(),
            predicate_types: Vec::new(),
        }
    }
}

/// A predicate type as people know it ("SLSA provenance", "SPDX SBOM").
pub fn predicate_name(predicate_type: &str) -> &str {
    match predicate_type.trim_end_matches('/') {
        t if t.starts_with("https://slsa.dev/provenance/") => "SLSA provenance",
        "https://spdx.dev/Document" => "SPDX SBOM",
        t if t.starts_with("https://cyclonedx.org/bom") => "CycloneDX SBOM",
        _ => predicate_type,
    }
}

/// The labels of the image manifest the gate read, which Lambda checks before a layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestKind {
    /// The manifest's own `mediaType` field (absent in many OCI manifests).
    pub media_type: Option<String>,
    pub config_media_type: Option<String>,
    /// OCI 1.1's `artifactType`: set only on artifacts.
    pub artifact_type: Option<String>,
}

impl ManifestKind {
    /// Why Lambda would refuse this manifest, or None when it is a Docker v2 schema 2 or OCI
    /// image manifest with an image config. Only what the manifest states is judged: a
    /// missing label is not a wrong one.
    pub fn lambda_problem(&self) -> Option<String> {
        if let Some(t) = &self.artifact_type {
            return Some(format!(
                "the manifest declares artifactType {t}: it is an OCI artifact, not a container image"
            ));
        }
        if let Some(m) = &self.media_type {
            if m != OCI_MANIFEST && m != DOCKER_MANIFEST {
                return Some(format!("the manifest's media type is {m}"));
            }
        }
        if let Some(c) = &self.config_media_type {
            if c != OCI_CONFIG && c != DOCKER_CONFIG {
                return Some(format!(
                    "the manifest's config is {c}, not an image config ({OCI_CONFIG} or {DOCKER_CONFIG})"
                ));
            }
        }
        None
    }
}

/// What Lambda takes, for every message about a manifest it does not.
pub const LAMBDA_ACCEPTS: &str =
    "Lambda accepts only a Docker image manifest v2 schema 2 or an OCI image manifest";

/// The reason a document that is neither an image manifest nor an index cannot be deployed,
/// when it is a known kind (schema 1, an OCI artifact manifest); None for unknown JSON.
pub fn unreadable_kind(doc: &serde_json::Value, media_type: Option<&str>) -> Option<String> {
    let declared = doc.get("mediaType").and_then(|m| m.as_str()).or(media_type);
    if doc.get("schemaVersion").and_then(|s| s.as_u64()) == Some(1)
        || declared.is_some_and(|m| m.contains("distribution.manifest.v1"))
    {
        return Some(format!(
            "a Docker schema 1 manifest (deprecated since 2017): {LAMBDA_ACCEPTS}; push the image again with a current tool"
        ));
    }
    let artifact_type = doc.get("artifactType").and_then(|a| a.as_str());
    if declared == Some(OCI_ARTIFACT_MANIFEST) || doc.get("blobs").is_some() {
        return Some(format!(
            "an OCI artifact manifest ({OCI_ARTIFACT_MANIFEST}{}), not a container image: {LAMBDA_ACCEPTS}",
            artifact_type
                .map(|t| format!(", artifactType {t}"))
                .unwrap_or_default()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn entries_are_classified_by_buildkits_exact_descriptors() {
        let amd64 = Platform::parse("linux/amd64").unwrap();
        let unknown = Platform::parse("unknown/unknown").unwrap();
        let att = ann(&[
            (REFERENCE_TYPE, ATTESTATION_MANIFEST),
            (REFERENCE_DIGEST, "sha256:abc"),
        ]);
        let e = IndexEntry::new(OCI_MANIFEST, "sha256:1", Some(&unknown), Some(&att), None);
        assert_eq!(e.kind, EntryKind::Attestation);
        assert_eq!(e.attests.as_deref(), Some("sha256:abc"));
        assert_eq!(
            classify(OCI_MANIFEST, Some(&amd64), None, None),
            EntryKind::Image
        );
        assert_eq!(classify(DOCKER_LIST, None, None, None), EntryKind::Index);
        // unknown/unknown without the annotation, or another reference type: not runnable,
        // but not called an attestation either.
        assert_eq!(
            classify(OCI_MANIFEST, Some(&unknown), None, None),
            EntryKind::Other
        );
        let other = ann(&[(REFERENCE_TYPE, "signature")]);
        assert_eq!(
            classify(OCI_MANIFEST, Some(&amd64), Some(&other), None),
            EntryKind::Other
        );
        assert_eq!(
            classify(OCI_MANIFEST, None, None, Some("application/spdx+json")),
            EntryKind::Other
        );
        assert!(!EntryKind::Attestation.runnable());
        assert!(EntryKind::Index.runnable());
    }

    #[test]
    fn predicates_have_their_common_names() {
        assert_eq!(
            predicate_name("https://slsa.dev/provenance/v0.2"),
            "SLSA provenance"
        );
        assert_eq!(
            predicate_name("https://slsa.dev/provenance/v1"),
            "SLSA provenance"
        );
        assert_eq!(predicate_name("https://spdx.dev/Document"), "SPDX SBOM");
        assert_eq!(
            predicate_name("https://example.com/x"),
            "https://example.com/x"
        );
    }

    #[test]
    fn lambda_takes_image_manifests_with_image_configs_only() {
        let ok = ManifestKind {
            media_type: Some(DOCKER_MANIFEST.into()),
            config_media_type: Some(DOCKER_CONFIG.into()),
            artifact_type: None,
        };
        assert_eq!(ok.lambda_problem(), None);
        assert_eq!(ManifestKind::default().lambda_problem(), None);
        let artifact = ManifestKind {
            artifact_type: Some("application/vnd.example+json".into()),
            ..ok.clone()
        };
        assert!(artifact
            .lambda_problem()
            .unwrap()
            .contains("artifactType application/vnd.example+json"));
        let helm = ManifestKind {
            media_type: Some(OCI_MANIFEST.into()),
            config_media_type: Some("application/vnd.cncf.helm.config.v1+json".into()),
            artifact_type: None,
        };
        assert!(helm
            .lambda_problem()
            .unwrap()
            .contains("config is application/vnd.cncf.helm.config.v1+json"));
    }

    #[test]
    fn schema_1_and_artifact_manifests_are_named() {
        let s1 = serde_json::json!({"schemaVersion": 1, "name": "x", "fsLayers": []});
        assert!(unreadable_kind(&s1, None)
            .unwrap()
            .contains("Docker schema 1 manifest"));
        let art = serde_json::json!({"mediaType": OCI_ARTIFACT_MANIFEST, "artifactType": "application/example", "blobs": []});
        let why = unreadable_kind(&art, None).unwrap();
        assert!(why.contains("OCI artifact manifest"), "{why}");
        assert!(why.contains("artifactType application/example"), "{why}");
        assert!(why.contains(LAMBDA_ACCEPTS));
        assert_eq!(unreadable_kind(&serde_json::json!({"a": 1}), None), None);
    }
}
