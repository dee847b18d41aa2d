//! An image built in memory, for the rules' unit tests: layers of files, removals and RUN
//! instructions, merged by the overlay the real scan uses. A rule gets a test that can fail
//! without buildah, an archive or a registry.

use crate::image::dive::DiveScore;
use crate::image::index::{IndexEntry, IndexFacts, ManifestKind};
use crate::image::layer::{Change, Entry, Kind};
use crate::image::overlay::Fs;
use crate::image::scan::LayerScan;
use crate::image::{Config, Format, Image, Platform, Scan};
use crate::model::Finding;

use super::cfg::{RawRules, RulesConfig};

/// `ImageBuilder::new().layer("RUN pip install x").file("root/.cache/pip/a", 2_000_000)…`
pub struct ImageBuilder {
    config: Config,
    platforms: Vec<Platform>,
    layers: Vec<(String, Vec<Change>)>,
    size: Option<u64>,
    manifest_digest: Option<String>,
    index: Option<IndexFacts>,
    manifest: ManifestKind,
}

impl Default for ImageBuilder {
    fn default() -> Self {
        ImageBuilder::new()
    }
}

impl ImageBuilder {
    /// linux/amd64 with a CMD and no layers (so no runtime interface either).
    pub fn new() -> ImageBuilder {
        let config = Config {
            architecture: "amd64".into(),
            os: "linux".into(),
            cmd: vec!["app.handler".into()],
            ..Config::default()
        };
        ImageBuilder {
            config,
            platforms: Vec::new(),
            layers: Vec::new(),
            size: None,
            manifest_digest: None,
            index: None,
            manifest: ManifestKind::default(),
        }
    }

    /// Starts a layer made by `created_by` ("RUN …", "COPY …").
    pub fn layer(mut self, created_by: &str) -> Self {
        self.layers.push((created_by.into(), Vec::new()));
        self
    }

    fn add(mut self, change: Change) -> Self {
        if self.layers.is_empty() {
            self = self.layer("");
        }
        self.layers.last_mut().expect("a layer").1.push(change);
        self
    }

    /// A root-owned, world-readable file of `size` bytes (`path` without the leading `/`).
    pub fn file(self, path: &str, size: u64) -> Self {
        self.entry(path, Kind::File, size, 0o644)
    }

    pub fn entry(self, path: &str, kind: Kind, size: u64, mode: u32) -> Self {
        self.add(Change::Add(Entry {
            path: path.into(),
            kind,
            size: if kind == Kind::File { size } else { 0 },
            mode,
            uid: 0,
            gid: 0,
            link: None,
        }))
    }

    /// `rm -rf path`: a whiteout in the current layer.
    pub fn remove(self, path: &str) -> Self {
        self.add(Change::Whiteout(path.into()))
    }

    pub fn entrypoint(mut self, args: &[&str]) -> Self {
        self.config.entrypoint = args.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn cmd(mut self, args: &[&str]) -> Self {
        self.config.cmd = args.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn env(mut self, kv: &str) -> Self {
        self.config.env.push(kv.into());
        self
    }

    pub fn architecture(mut self, arch: &str) -> Self {
        self.config.architecture = arch.into();
        self
    }

    /// The platforms of the index the image came from (more than one: a multi-arch index).
    pub fn platforms(mut self, list: &[&str]) -> Self {
        self.platforms = list
            .iter()
            .map(|p| Platform::parse(p).expect("a platform"))
            .collect();
        self
    }

    /// The image came out of an index with these entries (`(kind, platform)`, e.g.
    /// `("image", "linux/amd64")`, `("attestation", "unknown/unknown")`); entry `i` has digest
    /// `sha256:i…`, and the image read is the first image entry. The image's platforms follow
    /// from the image entries.
    pub fn index(mut self, media_type: &str, entries: &[(&str, &str)]) -> Self {
        let digest = |i: usize| format!("sha256:{:064x}", i + 1);
        let entries: Vec<IndexEntry> = entries
            .iter()
            .enumerate()
            .map(|(i, (kind, platform))| {
                let mut e = IndexEntry::new(
                    crate::image::index::OCI_MANIFEST,
                    &digest(i),
                    Some(&Platform::parse(platform).expect("a platform")),
                    None,
                    None,
                );
                e.kind = serde_json::from_value(serde_json::Value::from(*kind)).expect("a kind");
                if e.kind == crate::image::index::EntryKind::Attestation {
                    e.attests = Some(digest(0));
                    e.predicate_types = vec!["https://slsa.dev/provenance/v0.2".into()];
                }
                e
            })
            .collect();
        let images: Vec<&IndexEntry> = entries
            .iter()
            .filter(|e| e.kind == crate::image::index::EntryKind::Image)
            .collect();
        self.manifest_digest = images.first().map(|e| e.digest.clone());
        self.platforms = images
            .iter()
            .filter_map(|e| Platform::parse(e.platform.as_deref()?).ok())
            .collect();
        self.index = Some(IndexFacts {
            digest: Some(format!("sha256:{}", "f".repeat(64))),
            media_type: media_type.into(),
            entries,
        });
        self
    }

    /// The image manifest's labels, for the format rule.
    pub fn manifest_kind(mut self, kind: ManifestKind) -> Self {
        self.manifest = kind;
        self
    }

    /// The uncompressed size the scan reports, for sizes no test should write (10 GiB).
    pub fn size_bytes(mut self, n: u64) -> Self {
        self.size = Some(n);
        self
    }

    pub fn build(self) -> (Image, Scan) {
        let mut fs = Fs::new();
        let mut layers = Vec::new();
        let mut history = Vec::new();
        for (index, (created_by, changes)) in self.layers.into_iter().enumerate() {
            let files: Vec<&Entry> = changes
                .iter()
                .filter_map(|c| match c {
                    Change::Add(e) if e.kind == Kind::File => Some(e),
                    _ => None,
                })
                .collect();
            let size_bytes = files.iter().map(|e| e.size).sum();
            layers.push(LayerScan {
                index,
                compression: crate::image::blob::Compression::Gzip,
                compressed_bytes: size_bytes / 2,
                size_bytes,
                file_count: files.len() as u64,
                wasted_bytes: 0,
                created_by: created_by.clone(),
                digest: format!("sha256:{index:064}"),
                diff_id: None,
                media_type: String::new(),
                digest_mismatch: None,
                diff_id_mismatch: None,
                size_mismatch: None,
                escaping_paths: Vec::new(),
                captured: Default::default(),
            });
            history.push(crate::image::History {
                created_by: Some(created_by),
                ..Default::default()
            });
            fs.apply_layer(index, changes);
        }
        for h in fs.hidden() {
            layers[h.layer].wasted_bytes += h.bytes;
        }
        let mut config = self.config;
        config.history = history;
        let platform = Platform {
            os: config.os.clone(),
            architecture: config.architecture.clone(),
            variant: None,
        };
        let image = Image {
            format: Format::OciLayout,
            reference: None,
            platform,
            platforms: self.platforms,
            config_digest: None,
            manifest_digest: self.manifest_digest,
            index: self.index,
            manifest: self.manifest,
            config,
            layers: Vec::new(),
            notes: Vec::new(),
        };
        let scan = Scan {
            size_bytes: self
                .size
                .unwrap_or_else(|| layers.iter().map(|l| l.size_bytes).sum()),
            compressed_bytes: layers.iter().map(|l| l.compressed_bytes).sum(),
            final_bytes: fs.final_bytes(),
            wasted_bytes: fs.wasted_bytes(),
            file_count: fs.file_count(),
            dive: DiveScore {
                efficiency: 1.0,
                wasted_bytes: 0,
                user_size_bytes: 0,
                user_wasted_percent: 0.0,
            },
            layers,
            fs,
        };
        (image, scan)
    }
}

/// `[rules]` as gate.toml would hold it.
pub fn rules(toml_table: &str) -> RulesConfig {
    RulesConfig::try_from(toml::from_str::<RawRules>(toml_table).expect("valid TOML"))
        .expect("a valid [rules] table")
}

/// Every finding the rules make of a built image under `cfg`.
pub fn findings(built: &(Image, Scan), cfg: &RulesConfig) -> Vec<Finding> {
    super::run(&built.0, &built.1, cfg)
}

/// The findings of one rule id.
pub fn of<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule.id() == rule).collect()
}
