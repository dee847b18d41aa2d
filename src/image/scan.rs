//! Reads every layer once — in parallel, since layers are independent — then merges them in
//! order into the overlay filesystem and dive's score.

use std::io::{BufReader, Read, Seek, SeekFrom};

use anyhow::{anyhow, Result};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use super::blob::{Ceiling, Compression, Hashing, CEILING_MARK};
use super::dive::{DiveAccumulator, DiveScore};
use super::layer::{walk_with, Change, LayerContents, UNPACKABLE_MARK};
use super::overlay::Fs;
use super::pipe;
use super::spare_cpu::{self, SpareCpu};
use super::{Image, LayerRef};

#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Hash every blob and every decompressed layer and compare with the digests the image
    /// declares. Off, uncompressed layers are read header by header, seeking past contents.
    pub verify: bool,
    /// A layer may expand to at most this many times its compressed size (with a floor of
    /// `MIN_CEILING`), so a decompression bomb stops early.
    pub max_expansion: u64,
    /// File contents to keep while walking (the package databases); none by default.
    pub capture: Option<std::sync::Arc<super::capture::Capture>>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            verify: true,
            max_expansion: 200,
            capture: None,
        }
    }
}

/// Small layers may legitimately compress far better than the ratio (a file of zeros):
/// every layer may expand to at least this much.
pub const MIN_CEILING: u64 = 64 << 20;

/// What one layer holds and whether its bytes are what the image says they are.
#[derive(Debug, Clone)]
pub struct LayerScan {
    pub index: usize,
    pub compression: Compression,
    pub compressed_bytes: u64,
    pub size_bytes: u64,
    pub file_count: u64,
    /// Bytes of this layer's files hidden by later layers.
    pub wasted_bytes: u64,
    pub created_by: String,
    /// The digest the image declares for the blob (or, where it gives none, the computed one).
    pub digest: String,
    pub diff_id: Option<String>,
    pub media_type: String,
    /// With verification: the blob's actual sha256 when it differs from the declared one.
    pub digest_mismatch: Option<String>,
    /// With verification: the layer tar's actual sha256 when it differs from the diff_id.
    pub diff_id_mismatch: Option<String>,
    /// The declared blob size when it differs from the stored size.
    pub size_mismatch: Option<i64>,
    pub escaping_paths: Vec<String>,
    /// Contents kept by `ScanOptions::capture`: (path, bytes) in tar order; shared by every
    /// listing of the same blob.
    pub captured: Arc<Vec<(String, Vec<u8>)>>,
}

#[derive(Debug)]
pub struct Scan {
    pub layers: Vec<LayerScan>,
    pub fs: Fs,
    pub dive: DiveScore,
    pub size_bytes: u64,
    pub compressed_bytes: u64,
    pub final_bytes: u64,
    pub wasted_bytes: u64,
    pub file_count: u64,
}

pub fn scan(image: &Image, opts: &ScanOptions) -> Result<Scan> {
    let instructions = image.config.layer_instructions(image.layers.len());
    let mut merge = Merge::new(image.layers.len());
    read_all(image, &instructions, opts, |scan, changes| {
        merge.add(scan, changes)
    })?;
    Ok(merge.finish())
}

/// The layers merged in order into the overlay and dive's score, each as soon as it and
/// every layer below it are read: the merge of a big early layer overlaps the reading of
/// the others instead of waiting for the slowest.
struct Merge {
    layers: Vec<LayerScan>,
    fs: Fs,
    dive: Option<DiveAccumulator>,
    score: Option<DiveScore>,
    last: usize,
}

impl Merge {
    fn new(n: usize) -> Merge {
        Merge {
            layers: Vec::with_capacity(n),
            fs: Fs::new(),
            dive: Some(DiveAccumulator::new()),
            score: None,
            last: n.saturating_sub(1),
        }
    }

    fn add(&mut self, scan: LayerScan, changes: Vec<Change>) {
        if let Some(d) = self.dive.as_mut() {
            d.add_layer(&changes, scan.size_bytes);
        }
        if scan.index == self.last {
            // dive's tree is done with: free it before the last layer grows the overlay.
            self.score = self.dive.take().map(|d| d.finish());
        }
        self.fs.apply_layer(scan.index, changes);
        self.layers.push(scan);
    }

    fn finish(self) -> Scan {
        let Merge {
            mut layers,
            fs,
            score,
            ..
        } = self;
        for h in fs.hidden() {
            layers[h.layer].wasted_bytes += h.bytes;
        }
        Scan {
            size_bytes: layers.iter().map(|l| l.size_bytes).sum(),
            compressed_bytes: layers.iter().map(|l| l.compressed_bytes).sum(),
            final_bytes: fs.final_bytes(),
            wasted_bytes: fs.wasted_bytes(),
            file_count: fs.file_count(),
            dive: score.unwrap_or_else(|| DiveAccumulator::new().finish()),
            layers,
            fs,
        }
    }
}

/// How many streamed (registry) blobs are read at once at most, when the cores have time.
pub const FETCH_PARALLEL: usize = 4;

/// What makes two layers the same blob.
#[derive(PartialEq, Eq, Hash)]
enum BlobKey<'a> {
    Region(&'a std::path::Path, u64, u64),
    Digest(&'a str, u64),
    Layer(usize),
}

/// What reading one blob gave, shared by every layer that lists the same blob.
struct BlobRead {
    compression: Compression,
    stored: u64,
    size_bytes: u64,
    file_count: u64,
    escaping_paths: Vec<String>,
    changes: Vec<Change>,
    captured: Arc<Vec<(String, Vec<u8>)>>,
    blob_digest: Option<String>,
    tar_digest: Option<String>,
}

/// What a reader thread tells the merging thread.
enum Event {
    /// A blob is read (or failed): the layers waiting on it may be merged.
    Read,
    /// No blob is left to start: the thread ended.
    Ended,
}

/// Says `Ended` when a reader thread ends, even by a panic: the merging thread waits for
/// every reader, and a panic then surfaces from the scope instead of hanging it.
struct Ended(mpsc::Sender<Event>);

impl Drop for Ended {
    fn drop(&mut self) {
        let _ = self.0.send(Event::Ended);
    }
}

/// Reads each distinct blob once, on every core, largest first: the layers are independent,
/// and taking the big ones first keeps one huge layer from starting last and running alone.
/// A manifest listing one 50 MB blob 2,000 times reads 50 MB, not 100 GB. Meanwhile this
/// thread hands each layer to `merge`, in order, as soon as it can; the first layer that
/// fails (in order) stops the reading and is the error.
fn read_all(
    image: &Image,
    instructions: &[String],
    opts: &ScanOptions,
    mut merge: impl FnMut(LayerScan, Vec<Change>),
) -> Result<()> {
    let n = image.layers.len();
    // The first layer of each distinct blob (same bytes of the same file, or the same
    // digest from a registry) reads it; the last one to list it takes its change list.
    let mut first_of: HashMap<BlobKey, usize> = HashMap::new();
    let source: Vec<usize> = (0..n)
        .map(|i| {
            let l = &image.layers[i];
            let key = match (l.region.region(), &l.digest) {
                (Some(r), _) => BlobKey::Region(r.file.as_path(), r.offset, r.len),
                (None, Some(d)) => BlobKey::Digest(d.as_str(), l.region.len),
                (None, None) => BlobKey::Layer(i),
            };
            *first_of.entry(key).or_insert(i)
        })
        .collect();
    let mut last_use: Vec<usize> = (0..n).collect();
    for (i, &s) in source.iter().enumerate() {
        last_use[s] = i;
    }
    let mut order: Vec<usize> = (0..n).filter(|&i| source[i] == i).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(image.layers[i].region.len));
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<BlobRead>>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let cores = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(1);
    let jobs = order.len().max(1);
    let remote = image.layers.iter().any(|l| l.region.is_remote());
    let (tx, rx) = mpsc::channel::<Event>();
    let (next, order, filled) = (&next, &order, &slots);
    let worker = |tx: mpsc::Sender<Event>| {
        move || {
            let ended = Ended(tx);
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = order.get(k) else { break };
                let r = read_blob(i, &image.layers[i], opts);
                *filled[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                let _ = ended.0.send(Event::Read);
            }
        }
    };
    // The next layer to merge, and the first failure in layer order.
    let mut merged = 0;
    let mut failed: Option<anyhow::Error> = None;
    let mut merge_ready = |merged: &mut usize, failed: &mut Option<anyhow::Error>| {
        while *merged < n && failed.is_none() {
            let i = *merged;
            let mut slot = slots[source[i]].lock().unwrap_or_else(|e| e.into_inner());
            let b = match slot.as_ref() {
                None => return,
                Some(Ok(b)) => b,
                Some(Err(_)) => {
                    *failed = slot.take().and_then(Result::err);
                    // Every layer below this one is merged: the rest cannot change the answer.
                    next.store(order.len(), Ordering::Relaxed);
                    return;
                }
            };
            let scan = layer_scan(i, &image.layers[i], &instructions[i], b);
            // A blob listed again is applied again (it is a layer like any other); only its
            // last listing takes the list, earlier ones copy it.
            let changes = if last_use[source[i]] == i {
                slot.take()
                    .and_then(Result::ok)
                    .map(|b| b.changes)
                    .unwrap_or_default()
            } else {
                b.changes.clone()
            };
            drop(slot);
            merge(scan, changes);
            *merged += 1;
        }
    };
    std::thread::scope(|s| {
        let mut running = cores.min(jobs);
        for _ in 0..running {
            s.spawn(worker(tx.clone()));
        }
        let mut ended = 0;
        // Streamed blobs: one more stream at a time while cores sit idle (the network is
        // the limit), up to FETCH_PARALLEL; none while they are busy (the CPU is).
        let mut spare = SpareCpu::new();
        while ended < running {
            let may_grow = remote
                && running < FETCH_PARALLEL.min(jobs)
                && next.load(Ordering::Relaxed) < order.len();
            let event = if may_grow {
                rx.recv_timeout(spare_cpu::INTERVAL)
            } else {
                rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected)
            };
            match event {
                Ok(Event::Read) => merge_ready(&mut merged, &mut failed),
                Ok(Event::Ended) => ended += 1,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if spare.idle_since_last() {
                        s.spawn(worker(tx.clone()));
                        running += 1;
                    }
                }
                // This thread holds a sender: only a bug gets here.
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
    });
    merge_ready(&mut merged, &mut failed);
    match failed {
        Some(e) => Err(e),
        None if merged < n => Err(anyhow!("a layer reader stopped unexpectedly")),
        None => Ok(()),
    }
}

/// One layer's numbers from the blob it lists, checked against what the image declares for
/// this layer (its digest, diff_id and size may differ between two listings of one blob).
fn layer_scan(index: usize, layer: &LayerRef, created_by: &str, b: &BlobRead) -> LayerScan {
    let declared = layer.digest.clone();
    let digest_mismatch = match (&declared, &b.blob_digest) {
        (Some(want), Some(got)) if want != got => Some(got.clone()),
        _ => None,
    };
    let diff_id_mismatch = match (&layer.diff_id, &b.tar_digest) {
        (Some(want), Some(got)) if want != got => Some(got.clone()),
        _ => None,
    };
    let size_mismatch = layer.declared_size.filter(|s| *s != b.stored as i64);
    LayerScan {
        index,
        compression: b.compression,
        compressed_bytes: b.stored,
        size_bytes: b.size_bytes,
        file_count: b.file_count,
        wasted_bytes: 0,
        created_by: created_by.to_string(),
        digest: declared
            .or_else(|| b.blob_digest.clone())
            .or_else(|| layer.diff_id.clone())
            .unwrap_or_default(),
        diff_id: layer.diff_id.clone(),
        media_type: layer.media_type.clone(),
        digest_mismatch,
        diff_id_mismatch,
        size_mismatch,
        escaping_paths: b.escaping_paths.clone(),
        captured: Arc::clone(&b.captured),
    }
}

fn read_blob(index: usize, layer: &LayerRef, opts: &ScanOptions) -> Result<BlobRead> {
    let name = || match &layer.digest {
        Some(d) => format!("layer {index} ({})", short(d)),
        None => format!("layer {index}"),
    };
    let mut raw = layer
        .region
        .open()
        .map_err(|e| anyhow!("{}: {e}", name()))?;
    let mut magic = [0u8; 6];
    let got =
        super::archive::read_full(&mut raw, &mut magic).map_err(|e| anyhow!("{}: {e}", name()))?;
    raw.seek(SeekFrom::Start(0))?;
    let compression = Compression::detect(&magic[..got]);
    let stored = layer.region.len;
    let ceiling = stored.saturating_mul(opts.max_expansion).max(MIN_CEILING);

    let fail = |e: anyhow::Error| -> anyhow::Error {
        let msg = format!("{e:#}");
        if msg.contains(CEILING_MARK) {
            anyhow!(
                "{}: the layer {msg} — {}x its stored size; if the image is genuine, raise --max-expansion",
                name(),
                opts.max_expansion
            )
        } else if msg.contains(UNPACKABLE_MARK) {
            anyhow!("{}: {msg}", name())
        } else if compression == Compression::None {
            anyhow!("{}: the layer tar is corrupt or truncated: {msg}", name())
        } else {
            anyhow!(
                "{}: the {} stream is corrupt or ends early: {msg}",
                name(),
                compression.as_str()
            )
        }
    };

    let cap = opts.capture.as_deref();
    // A registry's reader already refuses bytes that miss the digest; hashing them again
    // here cost a tenth of a registry scan's CPU.
    let hash_blob = opts.verify && !layer.region.digest_checked_by_source();
    let (contents, blob_digest, tar_digest): (LayerContents, Option<String>, Option<String>) =
        match compression {
            Compression::None if !opts.verify => {
                let mut ar = tar::Archive::new(raw);
                let c = walk_with(ar.entries_with_seek().map_err(|e| fail(e.into()))?, cap)
                    .map_err(fail)?;
                (c, None, None)
            }
            Compression::None => {
                let mut ar =
                    tar::Archive::new(Hashing::new(BufReader::with_capacity(1 << 16, raw), true));
                let c = walk_with(ar.entries().map_err(|e| fail(e.into()))?, cap).map_err(fail)?;
                let (_, d, _) = ar.into_inner().finish().map_err(|e| fail(e.into()))?;
                (c, d.clone(), d)
            }
            Compression::Gzip => {
                // Hash below the buffer: every byte of the blob passes the hasher exactly once,
                // and `finish` reads whatever the decoder left (trailing data) into the digest.
                let buffered = BufReader::with_capacity(1 << 16, Hashing::new(raw, hash_blob));
                let dec = flate2::bufread::MultiGzDecoder::new(buffered);
                let (c, tar_digest, dec) =
                    walk_decoded(dec, ceiling, opts.verify, cap).map_err(fail)?;
                let (_, blob_digest, _) = dec
                    .into_inner()
                    .into_inner()
                    .finish()
                    .map_err(|e| fail(e.into()))?;
                (c, blob_digest, tar_digest)
            }
            Compression::Zstd => {
                let buffered = BufReader::with_capacity(1 << 16, Hashing::new(raw, hash_blob));
                let dec = zstd::stream::read::Decoder::with_buffer(buffered)
                    .map_err(|e| fail(e.into()))?;
                let (c, tar_digest, dec) =
                    walk_decoded(dec, ceiling, opts.verify, cap).map_err(fail)?;
                let (_, blob_digest, _) = dec
                    .finish()
                    .into_inner()
                    .finish()
                    .map_err(|e| fail(e.into()))?;
                (c, blob_digest, tar_digest)
            }
            Compression::Bzip2 | Compression::Xz => {
                return Err(anyhow!(
                "{}: unsupported compression ({}): image layers are gzip, zstd or uncompressed tar",
                name(),
                compression.as_str()
            ))
            }
        };

    Ok(BlobRead {
        compression,
        stored,
        size_bytes: contents.size_bytes,
        file_count: contents.file_count,
        escaping_paths: contents.escaping_paths,
        changes: contents.changes,
        captured: Arc::new(contents.captured),
        blob_digest,
        tar_digest,
    })
}

/// Walks the tar inside a decompressed stream, drains it (for the diff_id) and hands the
/// decoder back so the caller can finish the blob digest. The decoder runs on a second
/// thread (`pipe`), so inflating and hashing one layer take two cores.
fn walk_decoded<D: Read + Send>(
    dec: D,
    ceiling: u64,
    verify: bool,
    capture: Option<&super::capture::Capture>,
) -> Result<(LayerContents, Option<String>, D)> {
    std::thread::scope(|s| {
        let (piped, decoder) = pipe::spawn(s, Ceiling::new(dec, ceiling), verify);
        let mut ar = tar::Archive::new(piped);
        let walked = ar
            .entries_with_seek()
            .map_err(anyhow::Error::from)
            .and_then(|entries| walk_with(entries, capture));
        let piped = ar.into_inner();
        let finished = match walked {
            // Bytes after the end-of-archive marker count for the diff_id too.
            Ok(c) => piped.finish().map(|f| (c, f)).map_err(anyhow::Error::from),
            Err(e) => {
                drop(piped); // the decoding thread stops when nobody reads
                Err(e)
            }
        };
        let decoder = decoder
            .join()
            .map_err(|_| anyhow!("the decompressing thread stopped unexpectedly"));
        let (contents, (_, tar_digest)) = finished?;
        Ok((contents, tar_digest, decoder?.into_inner()))
    })
}

/// `sha256:0123456789ab` — enough to find a layer, short enough for one line.
pub fn short(digest: &str) -> String {
    match digest.split_once(':') {
        Some((a, h)) => format!("{a}:{}", &h[..h.len().min(12)]),
        None => digest.chars().take(19).collect(),
    }
}
