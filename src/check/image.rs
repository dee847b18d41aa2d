//! The image's facts for `gate check`: open the image, scan it, read its packages, and
//! summarize it for the Report (layers, largest files, hidden paths, directory sizes), with
//! the integrity checks of its blobs.

use std::path::Path;

use anyhow::Result;

use crate::image::{self, resolve::Selection, scan::short, Image, Scan, ScanOptions};
use crate::model::{
    Check, DirSize, FixedCheck, ImageSummary, LayerFile, LayerSummary, Status, Unit, WastedPath,
    LAYER_LARGEST,
};
use crate::policy::ImagePolicy;

/// How many hidden paths the report keeps (largest first).
pub const TOP_WASTED: usize = 20;

/// Everything the image job learnt, for the rules and for tests.
pub struct ImageFacts {
    pub image: Image,
    pub scan: Scan,
    /// The packages installed in the image, read in the same pass (`packages`).
    pub inventory: crate::packages::Inventory,
}

pub fn inspect(
    path: &Path,
    policy: &ImagePolicy,
    image_ref: Option<String>,
    opts: &ScanOptions,
) -> Result<ImageFacts> {
    let sel = Selection {
        platform: policy.platform.clone(),
        image: image_ref,
    };
    let image = image::open(path, &sel)?;
    let scan =
        image::scan(&image, opts).map_err(|e| anyhow::anyhow!("{}: {e:#}", path.display()))?;
    Ok(facts(image, scan, opts))
}

/// The image's facts from its scan: the package databases, when asked for, were captured in
/// the same pass over the layers; they are read here and their bytes freed.
pub fn facts(image: Image, mut scan: Scan, opts: &ScanOptions) -> ImageFacts {
    let inventory = match &opts.capture {
        Some(capture) => crate::packages::inventory(&scan, &capture.skipped()),
        None => crate::packages::Inventory::default(),
    };
    for l in &mut scan.layers {
        l.captured = Default::default();
    }
    ImageFacts {
        image,
        scan,
        inventory,
    }
}

/// The directory-size summary of the final filesystem, paths absolute.
pub fn dir_summary(scan: &Scan) -> Vec<DirSize> {
    image::dirs::dir_sizes(&scan.fs, image::dirs::MAX_DEPTH, image::dirs::MAX_DIRS)
        .into_iter()
        .map(|d| DirSize {
            path: format!("/{}", d.path),
            bytes: d.bytes,
            files: d.files,
        })
        .collect()
}

pub fn summarize(source: &Path, facts: &ImageFacts) -> ImageSummary {
    let (image, scan) = (&facts.image, &facts.scan);
    let mut hidden: Vec<_> = scan.fs.hidden().iter().collect();
    hidden.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.path.cmp(&b.path)));
    let mut largest = largest_files(scan);
    // Executables are named by what they are ("unknown binary" too), not dropped.
    for files in largest.values_mut() {
        for f in files.iter_mut().filter(|f| !f.hidden) {
            f.binary = facts
                .inventory
                .executables
                .iter()
                .find(|e| e.path == f.path)
                .map(|e| e.record.label());
        }
    }
    ImageSummary {
        source: source.display().to_string(),
        reference: image
            .reference
            .clone()
            .or_else(|| image.config_digest.clone()),
        format: image.format,
        platform: image.platform.to_string(),
        platforms: image.platforms.iter().map(|p| p.to_string()).collect(),
        config_digest: image.config_digest.clone(),
        manifest_digest: image.manifest_digest.clone(),
        index: image.index.clone(),
        size_bytes: scan.size_bytes,
        compressed_bytes: scan.compressed_bytes,
        final_bytes: scan.final_bytes,
        wasted_bytes: scan.wasted_bytes,
        efficiency: scan.dive.efficiency,
        file_count: scan.file_count,
        layers: scan
            .layers
            .iter()
            .map(|l| LayerSummary {
                index: l.index,
                digest: l.digest.clone(),
                diff_id: l.diff_id.clone(),
                media_type: l.media_type.clone(),
                compression: l.compression,
                size_bytes: l.size_bytes,
                compressed_bytes: l.compressed_bytes,
                created_by: l.created_by.clone(),
                wasted_bytes: l.wasted_bytes,
                file_count: l.file_count,
                largest: largest.remove(&l.index).unwrap_or_default(),
            })
            .collect(),
        top_wasted: hidden
            .into_iter()
            .take(TOP_WASTED)
            .map(|h| WastedPath {
                path: format!("/{}", h.path),
                bytes: h.bytes,
                layer: h.layer,
                hidden_by: h.hidden_by,
                reason: h.reason,
            })
            .collect(),
        dive: scan.dive,
        entrypoint: image.config.entrypoint.clone(),
        cmd: image.config.cmd.clone(),
        workdir: image.config.working_dir.clone(),
    }
}

/// Each layer's largest files, visible or hidden later, biggest first (ties by path).
fn largest_files(scan: &Scan) -> std::collections::HashMap<usize, Vec<LayerFile>> {
    use image::layer::Kind;
    let mut by_layer: std::collections::HashMap<usize, Vec<LayerFile>> = Default::default();
    let visible = scan
        .fs
        .iter()
        .filter(|(_, n)| n.kind == Kind::File)
        .map(|(p, n)| (n.layer, p, n.size, false));
    let hidden = scan
        .fs
        .hidden()
        .iter()
        .map(|h| (h.layer, h.path.as_str(), h.bytes, true));
    for (layer, path, bytes, hidden) in visible.chain(hidden) {
        let files = by_layer.entry(layer).or_default();
        // Bounded: keep twice the quota, trim when it fills.
        files.push(LayerFile {
            path: format!("/{path}"),
            bytes,
            hidden,
            binary: None,
        });
        if files.len() >= 2 * LAYER_LARGEST {
            trim(files);
        }
    }
    for files in by_layer.values_mut() {
        trim(files);
    }
    by_layer
}

fn trim(files: &mut Vec<LayerFile>) {
    files.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.path.cmp(&b.path)));
    files.truncate(LAYER_LARGEST);
}

/// A blob that is not what the manifest says is a failed check naming the layer, never a
/// silent pass: the archive is corrupt, or someone changed it.
pub fn integrity_checks(scan: &Scan, verified: bool) -> Vec<Check> {
    let mut checks = Vec::new();
    for l in &scan.layers {
        let what = if l.created_by.is_empty() {
            String::new()
        } else {
            format!(" `{}`", crate::image::history::shorten(&l.created_by, 60))
        };
        if let Some(actual) = &l.digest_mismatch {
            checks.push(Check {
                name: FixedCheck::LayerDigest.into(),
                limit: l.digest.clone().into(),
                actual: actual.clone().into(),
                status: Status::Fail,
                unit: None,
                detail: Some(format!(
                    "layer {}{what}: the blob's sha256 is {} but the manifest says {}: the archive is corrupt or was altered",
                    l.index,
                    short(actual),
                    short(&l.digest)
                )),
            });
        }
        if let (Some(actual), Some(want)) = (&l.diff_id_mismatch, &l.diff_id) {
            checks.push(Check {
                name: FixedCheck::LayerDiffId.into(),
                limit: want.clone().into(),
                actual: actual.clone().into(),
                status: Status::Fail,
                unit: None,
                detail: Some(format!(
                    "layer {}{what}: the uncompressed tar's sha256 is {} but the config's diff_id is {}",
                    l.index,
                    short(actual),
                    short(want)
                )),
            });
        }
        if let Some(declared) = l.size_mismatch {
            checks.push(Check {
                name: FixedCheck::LayerSize.into(),
                limit: declared.into(),
                actual: l.compressed_bytes.into(),
                status: Status::Fail,
                unit: Some(Unit::Bytes),
                detail: Some(format!(
                    "layer {}{what}: the manifest declares {declared} bytes, the blob has {}",
                    l.index, l.compressed_bytes
                )),
            });
        }
    }
    if verified && checks.is_empty() {
        let n = scan.layers.len();
        checks.push(Check {
            name: FixedCheck::LayerDigests.into(),
            limit: "all match".into(),
            actual: format!("{n}/{n} verified").into(),
            status: Status::Pass,
            unit: None,
            detail: None,
        });
    }
    checks
}
