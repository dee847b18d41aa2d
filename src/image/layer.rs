//! One layer tar → the list of changes it makes to the filesystem below it.
//!
//! Only headers are kept: path, type, size, mode, owner, link target. Whiteouts are decoded
//! here (`.wh.name` removes `name`, `.wh..wh..opq` hides everything below its directory), so
//! the overlay never sees tar at all.

use std::io::Read;

use anyhow::{bail, Result};

use super::archive::clean_member_name;
pub use super::capture::Capture;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    Hardlink,
    /// Devices, fifos, sockets.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Normalized: no leading `/` or `./`, no `..`, no trailing `/`.
    pub path: String,
    pub kind: Kind,
    /// Header size: the file's bytes for regular files, 0 for the rest.
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub link: Option<Box<str>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Add(Entry),
    /// `.wh.name`: removes `name` (and everything below it) from the layers beneath.
    Whiteout(String),
    /// `.wh..wh..opq` in a directory: hides what the layers beneath put in that directory.
    Opaque(String),
}

/// What one layer tar contains.
#[derive(Debug, Default)]
pub struct LayerContents {
    pub changes: Vec<Change>,
    /// Sum of regular-file sizes (DESIGN.md `size_bytes`).
    pub size_bytes: u64,
    /// Non-directory entries added.
    pub file_count: u64,
    /// Entries whose path climbs out of the root (`../x`): never applied, reported.
    pub escaping_paths: Vec<String>,
    /// Contents of the regular files a [`Capture`] asked for (package databases), in tar order.
    pub captured: Vec<(String, Vec<u8>)>,
}

/// Linux's PATH_MAX: a longer entry path (or link target) cannot be unpacked by any
/// container runtime, so a layer holding one is refused rather than measured.
pub const MAX_PATH_BYTES: usize = 4096;

/// Ends the message of a layer refused for its shape (not for corrupt bytes), so the scan
/// can tell the two apart.
pub const UNPACKABLE_MARK: &str = "no container runtime can unpack it";

pub const WHITEOUT_PREFIX: &str = ".wh.";
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// Walks the entries of a layer tar. `entries` comes from `tar::Archive::entries` (reads past
/// file contents) or `entries_with_seek` (seeks past them); the walk is the same.
pub fn walk<R: Read>(entries: tar::Entries<'_, R>) -> Result<LayerContents> {
    walk_with(entries, None)
}

/// [`walk`], also keeping the contents of the regular files `capture` wants: the only bytes
/// of a layer the scan holds on to, bounded by the capture's limits.
pub fn walk_with<R: Read>(
    entries: tar::Entries<'_, R>,
    capture: Option<&Capture>,
) -> Result<LayerContents> {
    let mut out = LayerContents::default();
    for entry in entries {
        let mut entry = entry?;
        let header = entry.header().clone();
        let etype = header.entry_type();
        let kind = match etype {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                Kind::File
            }
            tar::EntryType::Directory => Kind::Dir,
            tar::EntryType::Symlink => Kind::Symlink,
            tar::EntryType::Link => Kind::Hardlink,
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => Kind::Other,
            // Metadata records (pax, GNU long names) describe the next entry, not a file.
            _ => continue,
        };
        let raw_bytes = entry.path_bytes();
        if raw_bytes.len() > MAX_PATH_BYTES {
            bail!(
                "an entry's path is {} bytes ({}…), longer than PATH_MAX ({MAX_PATH_BYTES}); {UNPACKABLE_MARK}",
                raw_bytes.len(),
                String::from_utf8_lossy(&raw_bytes[..60])
            );
        }
        let raw = String::from_utf8_lossy(&raw_bytes).into_owned();
        let Some(path) = clean_member_name(&raw) else {
            out.escaping_paths.push(raw);
            continue;
        };
        if path.is_empty() {
            continue; // the root directory itself
        }
        let (dir, name) = match path.rsplit_once('/') {
            Some((d, n)) => (d, n),
            None => ("", path.as_str()),
        };
        if let Some(rest) = name.strip_prefix(WHITEOUT_PREFIX) {
            if name == OPAQUE_MARKER {
                out.changes.push(Change::Opaque(dir.to_string()));
            } else if !rest.starts_with(WHITEOUT_PREFIX) && !rest.is_empty() {
                let target = if dir.is_empty() {
                    rest.to_string()
                } else {
                    format!("{dir}/{rest}")
                };
                out.changes.push(Change::Whiteout(target));
            }
            // Other `.wh..wh.*` names are AUFS bookkeeping (hard-link dirs): not files.
            continue;
        }
        let size = if kind == Kind::File { entry.size() } else { 0 };
        let link = if matches!(kind, Kind::Symlink | Kind::Hardlink) {
            let target = entry.link_name_bytes();
            if target.as_ref().is_some_and(|t| t.len() > MAX_PATH_BYTES) {
                bail!(
                    "{path:?}: the link target is longer than PATH_MAX ({MAX_PATH_BYTES} bytes); {UNPACKABLE_MARK}"
                );
            }
            target.map(|b| String::from_utf8_lossy(&b).into_owned().into_boxed_str())
        } else {
            None
        };
        if kind == Kind::File {
            out.size_bytes = out.size_bytes.saturating_add(size);
        }
        if kind != Kind::Dir {
            out.file_count += 1;
        }
        if let (Some(c), Kind::File) = (capture, kind) {
            let mode = header.mode().unwrap_or(0o644);
            if let Some(data) = c.take(&path, size, mode, &mut entry)? {
                out.captured.push((path.clone(), data));
            }
        }
        out.changes.push(Change::Add(Entry {
            path,
            kind,
            size,
            mode: header.mode().unwrap_or(0o644),
            uid: header.uid().unwrap_or(0),
            gid: header.gid().unwrap_or(0),
            link,
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, t, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(*t);
            h.set_size(data.len() as u64);
            h.set_mode(0o640);
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn decodes_whiteouts_and_sizes() {
        let t = tar_of(&[
            ("./app/", tar::EntryType::Directory, b""),
            ("./app/a.txt", tar::EntryType::Regular, b"hello"),
            ("app/.wh.old", tar::EntryType::Regular, b""),
            ("cache/.wh..wh..opq", tar::EntryType::Regular, b""),
            (".wh..wh.plnk", tar::EntryType::Regular, b""),
        ]);
        let c = walk(tar::Archive::new(&t[..]).entries().unwrap()).unwrap();
        assert_eq!(c.size_bytes, 5);
        assert_eq!(c.file_count, 1);
        assert_eq!(c.changes.len(), 4);
        assert!(
            matches!(&c.changes[1], Change::Add(e) if e.path == "app/a.txt" && e.size == 5 && e.mode == 0o640)
        );
        assert_eq!(c.changes[2], Change::Whiteout("app/old".into()));
        assert_eq!(c.changes[3], Change::Opaque("cache".into()));
    }
}
