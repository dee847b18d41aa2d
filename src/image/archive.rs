//! Where an image's files live: inside a tar archive (read in place) or in a directory.
//!
//! Nothing is extracted. A tar archive is indexed once (member name → byte range); every
//! later read seeks into the original file, so layers can be read in parallel, each with its
//! own file handle. Symlinks and hard links between members (buildah and ggcr write
//! `layer.tar` as a link to another layer) are resolved inside the archive only.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

/// Metadata files (manifests, configs, indexes) are small; a "10 GB JSON" is an attack or a
/// mistake, never an image. 64 MiB leaves room for configs with thousands of history entries.
pub const MAX_METADATA_BYTES: u64 = 64 << 20;

/// How many links a member may go through before we call it a loop.
const MAX_LINK_HOPS: usize = 16;

#[derive(Debug, Clone)]
pub enum Member {
    File { offset: u64, len: u64 },
    Link { target: String },
}

/// A byte range of a file on disk: a blob stored in a tar archive, or a whole blob file.
#[derive(Debug, Clone)]
pub struct Region {
    pub file: PathBuf,
    pub offset: u64,
    pub len: u64,
}

impl Region {
    /// A reader over exactly this range, with its own file handle.
    pub fn open(&self) -> io::Result<RegionReader> {
        let mut file = File::open(&self.file)?;
        file.seek(SeekFrom::Start(self.offset))?;
        Ok(RegionReader {
            file,
            start: self.offset,
            len: self.len,
            pos: 0,
        })
    }
}

/// `Read + Seek` over a byte range of a file. Hand-written because no common crate offers a
/// seekable sub-range of a `File`, and seeking is what lets an uncompressed layer skip file
/// contents instead of reading them.
pub struct RegionReader {
    file: File,
    start: u64,
    len: u64,
    pos: u64,
}

impl Read for RegionReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len - self.pos;
        if left == 0 {
            return Ok(0);
        }
        let want = buf.len().min(left.min(usize::MAX as u64) as usize);
        let n = self.file.read(&mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for RegionReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => n as i128,
            SeekFrom::Current(d) => self.pos as i128 + d as i128,
            SeekFrom::End(d) => self.len as i128 + d as i128,
        };
        if target < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before start",
            ));
        }
        // A tar header that claims more data than the blob holds (a PAX `size` of 2^62 on a
        // 4-byte entry) makes the reader seek past the end: that is a truncated layer, not
        // the end of the archive, so it must fail as reading the same bytes would.
        if target > self.len as i128 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "an entry's data runs {} bytes past the end of the blob",
                    target - self.len as i128
                ),
            ));
        }
        let target = target as u64;
        self.file.seek(SeekFrom::Start(self.start + target))?;
        self.pos = target;
        Ok(target)
    }
}

/// The container of an image's files.
#[derive(Debug)]
pub enum Archive {
    Tar {
        path: PathBuf,
        members: HashMap<String, Member>,
    },
    Dir {
        root: PathBuf,
    },
}

impl Archive {
    pub fn open(path: &Path) -> Result<Archive> {
        let meta = std::fs::metadata(path)
            .map_err(|e| anyhow!("{}: {}", path.display(), io_reason(&e)))?;
        if meta.is_dir() {
            return Ok(Archive::Dir {
                root: path.to_path_buf(),
            });
        }
        if meta.len() == 0 {
            bail!(
                "{}: the file is empty, not an image archive",
                path.display()
            );
        }
        let mut head = [0u8; 512];
        let mut f =
            File::open(path).map_err(|e| anyhow!("{}: {}", path.display(), io_reason(&e)))?;
        let n = read_full(&mut f, &mut head)?;
        if head.starts_with(&[0x1f, 0x8b]) {
            bail!(
                "{}: the archive is gzip-compressed; decompress it first (gunzip, or `docker save` without `| gzip`)",
                path.display()
            );
        }
        if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            bail!(
                "{}: the archive is zstd-compressed; decompress it first (zstd -d)",
                path.display()
            );
        }
        if n < 512 || !looks_like_tar_header(&head) {
            bail!(
                "{}: not a tar archive or OCI layout directory (expected `docker save`, `podman save`, skopeo or buildx output)",
                path.display()
            );
        }
        let members = index_tar(path)
            .with_context(|| format!("{}: cannot read the tar archive", path.display()))?;
        Ok(Archive::Tar {
            path: path.to_path_buf(),
            members,
        })
    }

    pub fn display(&self) -> String {
        match self {
            Archive::Tar { path, .. } => path.display().to_string(),
            Archive::Dir { root } => root.display().to_string(),
        }
    }

    pub fn is_dir(&self) -> bool {
        matches!(self, Archive::Dir { .. })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.region(name).is_ok()
    }

    /// Names of the regular members at the top of a tar archive (for format detection).
    pub fn member_names(&self) -> Vec<String> {
        match self {
            Archive::Tar { members, .. } => members.keys().cloned().collect(),
            Archive::Dir { root } => std::fs::read_dir(root)
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The byte range holding member `name`, links resolved, never outside the archive.
    pub fn region(&self, name: &str) -> Result<Region> {
        let clean = clean_member_name(name)
            .ok_or_else(|| anyhow!("{name:?} points outside the archive"))?;
        match self {
            Archive::Tar { path, members } => {
                let mut current = clean;
                for _ in 0..MAX_LINK_HOPS {
                    match members.get(&current) {
                        Some(Member::File { offset, len }) => {
                            return Ok(Region {
                                file: path.clone(),
                                offset: *offset,
                                len: *len,
                            })
                        }
                        Some(Member::Link { target }) => current = target.clone(),
                        None => bail!("{name} is missing from the archive"),
                    }
                }
                bail!("{name} is a link loop (more than {MAX_LINK_HOPS} links)")
            }
            Archive::Dir { root } => {
                let full = root.join(&clean);
                // A symlink in a layout directory must not lead us out of it.
                let real = full
                    .canonicalize()
                    .map_err(|e| anyhow!("{clean}: {}", io_reason(&e)))?;
                let real_root = root.canonicalize()?;
                if !real.starts_with(&real_root) {
                    bail!("{clean} resolves outside the layout directory");
                }
                let meta = std::fs::metadata(&real)?;
                if !meta.is_file() {
                    bail!("{clean} is not a regular file");
                }
                Ok(Region {
                    file: real,
                    offset: 0,
                    len: meta.len(),
                })
            }
        }
    }

    /// Reads a small metadata member (manifest, config, index) whole.
    pub fn read_metadata(&self, name: &str) -> Result<Vec<u8>> {
        let region = self.region(name)?;
        if region.len > MAX_METADATA_BYTES {
            bail!(
                "{name} is {} bytes, more than any image metadata file should be ({} max)",
                region.len,
                MAX_METADATA_BYTES
            );
        }
        let mut buf = Vec::with_capacity(region.len as usize);
        region.open()?.read_to_end(&mut buf)?;
        if (buf.len() as u64) < region.len {
            bail!("{name} is truncated");
        }
        Ok(buf)
    }
}

/// Fills `buf` unless the reader ends first; the count read. A single `read` may stop short
/// (pipes, decoders), which would misjudge a file's first bytes. The one such loop: scan.rs and
/// security use it too.
pub fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A ustar/gnu header has "ustar" at 257, or at least a valid octal checksum.
pub fn looks_like_tar_header(h: &[u8]) -> bool {
    if h.len() < 512 {
        return false;
    }
    if &h[257..262] == b"ustar" {
        return true;
    }
    let stored = std::str::from_utf8(&h[148..156])
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|s| u32::from_str_radix(s, 8).ok());
    let Some(stored) = stored else { return false };
    let sum: u32 = h
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                b' ' as u32
            } else {
                *b as u32
            }
        })
        .sum();
    sum == stored && h[0] != 0
}

/// Normalizes a member name: strips `./` and leading `/`, resolves `..` lexically, and
/// returns None when the name climbs out of the archive root.
pub fn clean_member_name(name: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

fn index_tar(path: &Path) -> Result<HashMap<String, Member>> {
    let file = File::open(path)?;
    let mut archive = tar::Archive::new(file);
    let mut members = HashMap::new();
    for entry in archive.entries_with_seek()? {
        let entry = entry?;
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(name) = clean_member_name(&raw_name) else {
            // A member named outside the archive can never be referenced safely: skip it.
            continue;
        };
        let kind = entry.header().entry_type();
        let member = if kind.is_symlink() || kind.is_hard_link() {
            let target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            // Symlink targets are relative to the member's directory; hard link targets are
            // archive paths.
            let joined = if kind.is_symlink() && !target.starts_with('/') {
                match name.rsplit_once('/') {
                    Some((dir, _)) => format!("{dir}/{target}"),
                    None => target,
                }
            } else {
                target
            };
            match clean_member_name(&joined) {
                Some(t) => Member::Link { target: t },
                None => continue,
            }
        } else if kind.is_file() || kind == tar::EntryType::Continuous {
            Member::File {
                offset: entry.raw_file_position(),
                len: entry.size(),
            }
        } else {
            continue;
        };
        members.insert(name, member);
    }
    // The tar crate stops at the end-of-archive marker or EOF; a member whose data runs past
    // the end of the file is a truncated archive.
    let file_len = std::fs::metadata(path)?.len();
    for (name, m) in &members {
        if let Member::File { offset, len } = m {
            if offset + len > file_len {
                bail!(
                    "{name} is truncated: the archive ends {} bytes early",
                    offset + len - file_len
                );
            }
        }
    }
    Ok(members)
}

/// An io::Error as a user reads it: "no such file or directory", not "os error 2".
pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_lowercase(),
                None => s,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_never_leave_the_root() {
        assert_eq!(clean_member_name("./a/b/../c").as_deref(), Some("a/c"));
        assert_eq!(
            clean_member_name("/blobs/sha256/x").as_deref(),
            Some("blobs/sha256/x")
        );
        assert_eq!(clean_member_name("../etc/passwd"), None);
        assert_eq!(clean_member_name("a/../../b"), None);
    }
}
