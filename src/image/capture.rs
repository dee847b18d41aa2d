//! Which file contents the single pass over the layers keeps, and how much of them.
//!
//! The scan reads headers only; the package inventory also needs a few files' bytes (dpkg's
//! status, the rpmdb, `*.dist-info/METADATA` …). Rather than a second pass, the layer walk asks
//! a `Capture` about every regular file and keeps the ones it wants, per layer — all layers,
//! not only the top one, because a package's layer is found by comparing the database across
//! layers. Hostile images cannot make it hold much: each file and the whole capture are capped,
//! and what is over a cap is listed for a note instead of read.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use anyhow::Result;

/// Largest single file kept (an rpmdb of thousands of packages is tens of MB).
pub const MAX_FILE: u64 = 64 << 20;
/// Most bytes kept over all layers.
pub const MAX_TOTAL: u64 = 256 << 20;

pub struct Capture {
    wanted: fn(&str) -> bool,
    max_file: u64,
    max_total: u64,
    used: AtomicU64,
    skipped: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("max_file", &self.max_file)
            .field("max_total", &self.max_total)
            .field("used", &self.used.load(Ordering::Relaxed))
            .finish()
    }
}

impl Capture {
    /// Keeps the files whose normalized path (no leading `/`) `wanted` accepts.
    pub fn new(wanted: fn(&str) -> bool) -> Capture {
        Capture::with_limits(wanted, MAX_FILE, MAX_TOTAL)
    }

    pub fn with_limits(wanted: fn(&str) -> bool, max_file: u64, max_total: u64) -> Capture {
        Capture {
            wanted,
            max_file,
            max_total,
            used: AtomicU64::new(0),
            skipped: Mutex::new(Vec::new()),
        }
    }

    /// The contents of the file at `path` if it is wanted and fits; `None` leaves the bytes
    /// to the tar reader, which skips them. A read error is the tar's and fails the layer.
    pub fn take(&self, path: &str, size: u64, r: &mut impl Read) -> Result<Option<Vec<u8>>> {
        if !(self.wanted)(path) {
            return Ok(None);
        }
        let fits = size <= self.max_file
            && self
                .used
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                    u.checked_add(size).filter(|t| *t <= self.max_total)
                })
                .is_ok();
        if !fits {
            self.skipped
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("/{path} ({size} bytes)"));
            return Ok(None);
        }
        let mut data = Vec::with_capacity(size as usize);
        r.take(size).read_to_end(&mut data)?;
        Ok(Some(data))
    }

    /// Files that were wanted but over a limit, for a report note.
    pub fn skipped(&self) -> Vec<String> {
        self.skipped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wants_db(p: &str) -> bool {
        p.ends_with("status")
    }

    #[test]
    fn keeps_wanted_files_within_the_limits() {
        let c = Capture::with_limits(wants_db, 10, 12);
        assert_eq!(
            c.take("var/lib/dpkg/status", 5, &mut &b"hello"[..])
                .unwrap()
                .as_deref(),
            Some(&b"hello"[..])
        );
        assert_eq!(c.take("etc/passwd", 3, &mut &b"abc"[..]).unwrap(), None);
        // Over the per-file cap, then over the total: listed, not read.
        assert_eq!(c.take("a/status", 11, &mut &[0u8; 11][..]).unwrap(), None);
        assert_eq!(c.take("b/status", 10, &mut &[0u8; 10][..]).unwrap(), None);
        // What still fits is kept.
        let kept = c.take("c/status", 7, &mut &[1u8; 7][..]).unwrap();
        assert_eq!(kept.map(|d| d.len()), Some(7));
        assert_eq!(c.skipped().len(), 2);
        assert!(c.skipped()[0].starts_with("/a/status"));
    }
}
