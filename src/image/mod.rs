//! Image: read an image exactly as the build tools write it, without a daemon and without
//! unpacking it, and measure it.
//!
//! `open` finds the image (format, platform, config, layer blobs); `scan` reads every layer
//! once, in parallel, and merges them into the filesystem Lambda would see. Everything the
//! rules and the report need comes out of `Scan`.

pub mod arch;
pub mod archive;
pub mod blob;
pub mod capture;
pub mod choose;
pub mod dirs;
pub mod dive;
pub mod history;
pub mod index;
pub mod layer;
pub mod overlay;
pub mod pipe;
pub mod resolve;
pub mod scan;
pub mod source;
pub mod spare_cpu;

use std::fmt;
use std::path::Path;

use anyhow::{bail, Result};
use serde::Deserialize;

pub use scan::{scan, LayerScan, Scan, ScanOptions};

/// Serialized as `image.format` spells it (strum gives `as_str` the same name).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    strum::IntoStaticStr,
    strum::Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Format {
    DockerArchive,
    OciArchive,
    OciLayout,
    /// Read from a registry over the distribution API (`docker://`).
    Registry,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    /// `linux/arm64`, `linux/arm64/v8`, or `arm64` (os defaults to linux).
    pub fn parse(text: &str) -> Result<Platform> {
        let parts: Vec<&str> = text.trim().split('/').collect();
        let p = match parts.as_slice() {
            [arch] if !arch.is_empty() => ("linux", *arch, None),
            [os, arch] if !os.is_empty() && !arch.is_empty() => (*os, *arch, None),
            [os, arch, v] if !os.is_empty() && !arch.is_empty() && !v.is_empty() => {
                (*os, *arch, Some(v.to_string()))
            }
            _ => bail!("invalid platform {text:?}: expected os/arch[/variant], e.g. linux/arm64"),
        };
        Ok(Platform {
            os: p.0.to_string(),
            architecture: p.1.to_string(),
            variant: p.2,
        })
    }

    /// A request without a variant matches any variant (`linux/arm64` matches `linux/arm64/v8`).
    pub fn matches(&self, want: &Platform) -> bool {
        self.os == want.os
            && self.architecture == want.architecture
            && (want.variant.is_none() || self.variant == want.variant)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// The parts of an image config the gate uses (OCI and Docker agree on these names).
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub architecture: String,
    pub os: String,
    pub variant: Option<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub working_dir: String,
    pub user: String,
    pub diff_ids: Vec<String>,
    pub history: Vec<History>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct History {
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub empty_layer: Option<bool>,
    #[serde(default)]
    pub comment: Option<String>,
}

impl Config {
    pub fn parse(bytes: &[u8]) -> Result<Config> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "PascalCase")]
        struct Inner {
            #[serde(default)]
            entrypoint: Option<Vec<String>>,
            #[serde(default)]
            cmd: Option<Vec<String>>,
            #[serde(default)]
            env: Option<Vec<String>>,
            #[serde(default)]
            working_dir: Option<String>,
            #[serde(default)]
            user: Option<String>,
        }
        #[derive(Deserialize, Default)]
        struct RootFs {
            #[serde(default)]
            diff_ids: Option<Vec<String>>,
        }
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            architecture: Option<String>,
            #[serde(default)]
            os: Option<String>,
            #[serde(default)]
            variant: Option<String>,
            #[serde(default)]
            config: Option<Inner>,
            #[serde(default)]
            rootfs: Option<RootFs>,
            #[serde(default)]
            history: Option<Vec<History>>,
        }
        let raw: Option<Raw> = serde_json::from_slice(bytes)?;
        let Some(raw) = raw else {
            bail!("the config is null")
        };
        let inner = raw.config.unwrap_or_default();
        Ok(Config {
            architecture: raw.architecture.unwrap_or_default(),
            os: raw.os.unwrap_or_default(),
            variant: raw.variant.filter(|v| !v.is_empty()),
            entrypoint: inner.entrypoint.unwrap_or_default(),
            cmd: inner.cmd.unwrap_or_default(),
            env: inner.env.unwrap_or_default(),
            working_dir: inner.working_dir.unwrap_or_default(),
            user: inner.user.unwrap_or_default(),
            diff_ids: raw.rootfs.and_then(|r| r.diff_ids).unwrap_or_default(),
            history: raw.history.unwrap_or_default(),
        })
    }

    pub fn platform(&self) -> Platform {
        Platform {
            os: if self.os.is_empty() {
                "linux".into()
            } else {
                self.os.clone()
            },
            architecture: if self.architecture.is_empty() {
                "unknown".into()
            } else {
                self.architecture.clone()
            },
            variant: self.variant.clone(),
        }
    }

    /// The `created_by` of each layer: history entries with `empty_layer` have no layer, so
    /// history and layers do not line up one to one.
    pub fn layer_instructions(&self, layer_count: usize) -> Vec<String> {
        let mut out: Vec<String> = self
            .history
            .iter()
            .filter(|h| !h.empty_layer.unwrap_or(false))
            .map(|h| h.created_by.clone().unwrap_or_default())
            .collect();
        // Some builders write no history or fewer entries than layers: leave those blank
        // rather than shift instructions onto the wrong layers.
        if out.len() != layer_count {
            out.resize(layer_count, String::new());
        }
        out
    }

    /// The value of an environment variable set in the image, e.g. `LAMBDA_TASK_ROOT`.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env.iter().find_map(|kv| {
            kv.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
        })
    }
}

/// One layer as the manifest names it.
#[derive(Debug, Clone)]
pub struct LayerRef {
    /// The blob's digest when the format gives it (OCI descriptors, `blobs/sha256/…` names).
    pub digest: Option<String>,
    /// The digest of the uncompressed tar, from the config's rootfs.
    pub diff_id: Option<String>,
    pub media_type: String,
    /// The size the manifest declares for the blob.
    pub declared_size: Option<i64>,
    /// Where the blob's bytes are: an archive region, or a stream (a registry).
    pub region: source::Blob,
}

/// One image, found and resolved, not yet read.
#[derive(Debug, Clone)]
pub struct Image {
    pub format: Format,
    pub reference: Option<String>,
    pub platform: Platform,
    /// Every runnable platform of the index the image came from.
    pub platforms: Vec<Platform>,
    pub config_digest: Option<String>,
    /// The manifest's digest, what a registry and Lambda know the image by: a registry or an
    /// OCI layout records it; a docker-archive does not.
    pub manifest_digest: Option<String>,
    /// The index the reference or layout resolves to, when it is one rather than the image
    /// manifest itself: what would be deployed (and what Lambda refuses).
    pub index: Option<index::IndexFacts>,
    /// The image manifest's labels (media type, config media type, artifactType), where the
    /// format has them (not a docker-archive).
    pub manifest: index::ManifestKind,
    pub config: Config,
    pub layers: Vec<LayerRef>,
    /// What the user should know about how the image was chosen.
    pub notes: Vec<String>,
}

/// Finds the image in `path` (an archive or an OCI layout directory). Errors name the path.
pub fn open(path: &Path, sel: &resolve::Selection) -> Result<Image> {
    let archive = archive::Archive::open(path)?;
    resolve::resolve(&archive, sel).map_err(|e| {
        let msg = format!("{e:#}");
        if msg.starts_with(&archive.display()) {
            e
        } else {
            anyhow::anyhow!("{}: {msg}", archive.display())
        }
    })
}
