//! The image as read: its summary, layers, what later layers hide, and where the bytes sit.

use serde::{Deserialize, Serialize};

use crate::image::blob::Compression;
use crate::image::dive::DiveScore;
use crate::image::index::IndexFacts;
use crate::image::overlay::HideReason;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageSummary {
    /// The path the user gave.
    pub source: String,
    /// The image's name where the archive records one (`repo:tag`), else its digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Where the image was read from: "docker-archive", "oci-archive", "oci-layout", "registry".
    pub format: crate::image::Format,
    /// e.g. "linux/amd64" or "linux/arm64/v8"
    pub platform: String,
    /// Every platform the index offered (one for a single-platform image).
    #[serde(default)]
    pub platforms: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    /// The digest of the image manifest (what a registry and Lambda know the image by), when
    /// the source records one: a registry, an OCI layout or archive; not a docker-archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    /// The index (OCI image index or Docker manifest list) the reference or layout resolves
    /// to, when it is one: its digest, media type and every entry (image, attestation, index,
    /// other) with its platform. Absent when the source is the image manifest itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<IndexFacts>,
    pub size_bytes: u64,
    pub compressed_bytes: u64,
    pub final_bytes: u64,
    pub wasted_bytes: u64,
    pub efficiency: f64,
    pub file_count: u64,
    pub layers: Vec<LayerSummary>,
    /// The largest hidden paths, biggest first.
    #[serde(default)]
    pub top_wasted: Vec<WastedPath>,
    /// dive's own figures, for `--dive-ci` and people comparing with `dive --ci`.
    pub dive: DiveScore,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cmd: Vec<String>,
    /// The config's WorkingDir: where the function's code lives when it is not /var/task.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub workdir: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayerSummary {
    pub index: usize,
    /// Digest of the blob as stored (compressed), or of the layer tar for docker-archive.
    pub digest: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<String>,
    pub media_type: String,
    /// From the blob's magic bytes.
    pub compression: Compression,
    pub size_bytes: u64,
    pub compressed_bytes: u64,
    #[serde(default)]
    pub created_by: String,
    pub wasted_bytes: u64,
    pub file_count: u64,
    /// The largest files this layer wrote, biggest first (at most [`LAYER_LARGEST`]), whether
    /// still visible or hidden later: what the HTML report shows when a layer is opened.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub largest: Vec<LayerFile>,
}

/// How many of a layer's files `LayerSummary.largest` keeps.
pub const LAYER_LARGEST: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerFile {
    pub path: String,
    pub bytes: u64,
    /// A later layer hid it (its bytes are waste).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
    /// An executable: what it was built with (`Rust, cargo-auditable`, `Go go1.22.1`), or
    /// `unknown binary` when it says neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WastedPath {
    pub path: String,
    pub bytes: u64,
    /// Index of the layer that wrote the bytes.
    pub layer: usize,
    /// Index of the layer that hid them.
    pub hidden_by: usize,
    pub reason: HideReason,
}

/// Regular-file bytes visible under one directory of the final filesystem, recursively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirSize {
    /// Absolute, no trailing slash (`/usr/lib`).
    pub path: String,
    pub bytes: u64,
    /// Non-directory entries below it.
    pub files: u64,
}
