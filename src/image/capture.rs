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

/// Executables kept by what they are, not where they are: a regular file with an execute bit
/// whose first [`SNIFF`] bytes `magic` accepts (ELF, PE, Mach-O) is handed to `read` with those
/// bytes, its declared size and a reader of the rest; `read` returns the little it keeps (a few
/// kB of build metadata) and says what it buffers meanwhile (`packages::binary`). What it
/// leaves unread the tar reader skips.
#[derive(Clone, Copy)]
pub struct Executables {
    pub magic: fn(&[u8]) -> bool,
    pub read: ReadExecutable,
}

/// (the first bytes, the declared size, the rest of the file) → what to keep.
pub type ReadExecutable = fn(&[u8], u64, &mut dyn Read) -> std::io::Result<Vec<u8>>;

/// How many leading bytes decide whether a file is an executable.
pub const SNIFF: usize = 64;

pub struct Capture {
    wanted: fn(&str) -> bool,
    executables: Option<Executables>,
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
            executables: None,
            max_file,
            max_total,
            used: AtomicU64::new(0),
            skipped: Mutex::new(Vec::new()),
        }
    }

    /// Also keeps what `executables` extracts from the executables (see [`Executables`]).
    pub fn with_executables(mut self, e: Executables) -> Capture {
        self.executables = Some(e);
        self
    }

    /// The contents of the file at `path` if it is wanted and fits, or what was extracted from
    /// it if it is an executable; `None` leaves the bytes to the tar reader, which skips them.
    /// A read error is the tar's and fails the layer.
    pub fn take(
        &self,
        path: &str,
        size: u64,
        mode: u32,
        r: &mut impl Read,
    ) -> Result<Option<Vec<u8>>> {
        if !(self.wanted)(path) {
            return match self.executables {
                Some(e) if mode & 0o111 != 0 && size >= SNIFF as u64 => {
                    self.executable(&e, path, size, r)
                }
                _ => Ok(None),
            };
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

    fn executable(
        &self,
        e: &Executables,
        path: &str,
        size: u64,
        r: &mut impl Read,
    ) -> Result<Option<Vec<u8>>> {
        let mut head = [0u8; SNIFF];
        r.read_exact(&mut head)?;
        if !(e.magic)(&head) {
            return Ok(None);
        }
        let kept = (e.read)(&head, size, &mut r.take(size - SNIFF as u64))?;
        // What is kept counts against the capture's total like any captured file.
        let fits = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                u.checked_add(kept.len() as u64)
                    .filter(|t| *t <= self.max_total)
            })
            .is_ok();
        if !fits {
            self.skipped
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!(
                    "/{path} (an executable's build metadata, {} bytes)",
                    kept.len()
                ));
        }
        Ok(fits.then_some(kept))
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
    fn executables_are_read_by_magic_within_their_cap() {
        // Reads the rest up to 100 bytes in all, as a reader with a cap would.
        let e = Executables {
            magic: |h| h.starts_with(b"\x7fELF"),
            read: |h, size, rest| {
                let mut n = h.len() as u64;
                if size <= 100 {
                    n += std::io::copy(rest, &mut std::io::sink())?;
                }
                Ok(format!("{n} of {size}").into_bytes())
            },
        };
        let c = Capture::with_limits(wants_db, 10, 1000).with_executables(e);
        let mut elf = b"\x7fELF".to_vec();
        elf.resize(80, 0);
        let take = |mode, data: &[u8]| {
            let mut r = data;
            let kept = c.take("opt/bin", data.len() as u64, mode, &mut r).unwrap();
            (
                kept.map(|k| String::from_utf8(k).unwrap()),
                data.len() - r.len(),
            )
        };
        assert_eq!(take(0o755, &elf), (Some("80 of 80".into()), 80));
        // No execute bit, or no magic: not read past the sniff (or at all).
        assert_eq!(take(0o644, &elf), (None, 0));
        assert_eq!(take(0o755, &[b'#'; 80]), (None, SNIFF));
        // Over the cap: only the first bytes are read and handed over, with the real size.
        elf.resize(150, 0);
        assert_eq!(take(0o755, &elf), (Some(format!("{SNIFF} of 150")), SNIFF));
    }

    #[test]
    fn keeps_wanted_files_within_the_limits() {
        let c = Capture::with_limits(wants_db, 10, 12);
        assert_eq!(
            c.take("var/lib/dpkg/status", 5, 0o644, &mut &b"hello"[..])
                .unwrap()
                .as_deref(),
            Some(&b"hello"[..])
        );
        assert_eq!(
            c.take("etc/passwd", 3, 0o644, &mut &b"abc"[..]).unwrap(),
            None
        );
        // Over the per-file cap, then over the total: listed, not read.
        assert_eq!(
            c.take("a/status", 11, 0o644, &mut &[0u8; 11][..]).unwrap(),
            None
        );
        assert_eq!(
            c.take("b/status", 10, 0o644, &mut &[0u8; 10][..]).unwrap(),
            None
        );
        // What still fits is kept.
        let kept = c.take("c/status", 7, 0o644, &mut &[1u8; 7][..]).unwrap();
        assert_eq!(kept.map(|d| d.len()), Some(7));
        assert_eq!(c.skipped().len(), 2);
        assert!(c.skipped()[0].starts_with("/a/status"));
    }
}
