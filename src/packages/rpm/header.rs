//! An rpm header blob as rpmdb stores it: `il` and `dl` (big-endian u32), `il` index entries
//! of 16 bytes (tag, type, offset, count), then `dl` bytes of data.
//!
//! Written here rather than taken from the `rpm` crate: that crate parses headers only as part
//! of a whole `.rpm` file (its `Header::parse` is crate-private and `PackageMetadata::parse`
//! wants the lead and signature header first), and it indexes its data store with the offsets
//! as given, which a corrupt or hostile rpmdb can set anywhere. Every read here is bounds-checked,
//! and nothing is allocated in proportion to a number the header states: an entry whose `count`
//! needs more bytes than remain after its offset makes the header an error (as in rpm), and
//! the file list built from it is held to a budget of the blob's own length.

use anyhow::{bail, ensure, Result};

pub const NAME: u32 = 1000;
pub const VERSION: u32 = 1001;
pub const RELEASE: u32 = 1002;
pub const EPOCH: u32 = 1003;
pub const LICENSE: u32 = 1014;
pub const ARCH: u32 = 1022;
pub const OLDFILENAMES: u32 = 1027;
pub const DIRINDEXES: u32 = 1116;
pub const BASENAMES: u32 = 1117;
pub const DIRNAMES: u32 = 1118;

const CHAR: u32 = 1;
const INT8: u32 = 2;
const INT16: u32 = 3;
const INT32: u32 = 4;
const INT64: u32 = 5;
const BIN: u32 = 7;
const STRING: u32 = 6;
const STRING_ARRAY: u32 = 8;
const I18NSTRING: u32 = 9;

/// rpm's own limits (`hdrchkTags`, `hdrchkData`): anything larger is not a real header.
const MAX_TAGS: usize = 0xffff;
const MAX_DATA: usize = 256 << 20;
/// Longest path the file list keeps: Linux's PATH_MAX, which the layer walk enforces too, so a
/// longer one names no file of the image.
const PATH_MAX: usize = 4096;

/// The fewest data bytes one element of type `ty` takes (a string at least its NUL).
fn element_size(ty: u32) -> Option<usize> {
    match ty {
        CHAR | INT8 | BIN | STRING | STRING_ARRAY | I18NSTRING => Some(1),
        INT16 => Some(2),
        INT32 => Some(4),
        INT64 => Some(8),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy)]
struct Index {
    tag: u32,
    ty: u32,
    offset: usize,
    count: usize,
}

pub struct Header<'a> {
    index: Vec<Index>,
    data: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> Header<'a> {
    pub fn parse(blob: &'a [u8]) -> Result<Header<'a>> {
        let (Some(il), Some(dl)) = (be32(blob, 0), be32(blob, 4)) else {
            bail!("header shorter than 8 bytes");
        };
        let (il, dl) = (il as usize, dl as usize);
        ensure!(
            il <= MAX_TAGS && dl <= MAX_DATA,
            "header sizes out of range"
        );
        let start = 8 + il * 16;
        ensure!(blob.len() >= start + dl, "header truncated");
        let data = &blob[start..start + dl];
        let mut index = Vec::with_capacity(il);
        for i in 0..il {
            let at = 8 + i * 16;
            let e = |k: usize| be32(blob, at + 4 * k).unwrap_or(0);
            let (tag, ty, offset, count) = (e(0), e(1), e(2) as i32, e(3));
            if offset < 0 || offset as usize > dl {
                continue;
            }
            // A count the bytes after the offset cannot hold is a lie, and rpm refuses such a
            // header (`hdrchkRange`); believing it would loop or allocate up to 2^32 times.
            let room = dl - offset as usize;
            let fits = element_size(ty)
                .and_then(|size| (count as usize).checked_mul(size))
                .is_some_and(|need| need <= room);
            ensure!(
                fits || element_size(ty).is_none(),
                "entry {i} (tag {tag}): count {count} needs more than the {room} bytes left"
            );
            index.push(Index {
                tag,
                ty,
                offset: offset as usize,
                count: count as usize,
            });
        }
        Ok(Header { index, data })
    }

    fn entry(&self, tag: u32) -> Option<Index> {
        self.index.iter().find(|e| e.tag == tag).copied()
    }

    /// `count` NUL-terminated strings from the entry's offset, borrowed.
    fn raw_strings(&self, e: Index) -> Option<Vec<&'a [u8]>> {
        // `count` ≤ the bytes left (checked in `parse`): the vector is no larger than the data.
        let mut out = Vec::with_capacity(e.count);
        let mut at = e.offset;
        for _ in 0..e.count {
            let rest = self.data.get(at..)?;
            let end = rest.iter().position(|b| *b == 0)?;
            out.push(&rest[..end]);
            at += end + 1;
        }
        Some(out)
    }

    fn strings(&self, e: Index) -> Option<Vec<String>> {
        Some(
            self.raw_strings(e)?
                .into_iter()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .collect(),
        )
    }

    /// A STRING (or the first of an I18NSTRING / STRING_ARRAY).
    pub fn string(&self, tag: u32) -> Option<String> {
        let e = self.entry(tag)?;
        match e.ty {
            STRING | I18NSTRING | STRING_ARRAY => self.strings(Index { count: 1, ..e })?.pop(),
            _ => None,
        }
    }

    #[cfg(test)]
    pub fn string_array(&self, tag: u32) -> Option<Vec<String>> {
        let e = self.entry(tag)?;
        (e.ty == STRING_ARRAY || e.ty == I18NSTRING).then(|| self.strings(e))?
    }

    pub fn u32_array(&self, tag: u32) -> Option<Vec<u32>> {
        let e = self.entry(tag)?;
        if e.ty != INT32 {
            return None;
        }
        let bytes = self
            .data
            .get(e.offset..e.offset.checked_add(e.count.checked_mul(4)?)?)?;
        Some(
            bytes
                .chunks_exact(4)
                .map(|c| be32(c, 0).unwrap_or(0))
                .collect(),
        )
    }

    pub fn u32(&self, tag: u32) -> Option<u32> {
        self.u32_array(tag)?.first().copied()
    }

    /// The installed paths (no leading `/`): dirnames[dirindexes[i]] + basenames[i], or the
    /// old single list. `None` when the list would take more memory than `budget` bytes
    /// (counting each path's bytes and its `String`): many basenames indexing one long dirname
    /// would otherwise multiply the header's bytes.
    pub fn file_names(&self, budget: usize) -> Option<Vec<String>> {
        let mut left = budget;
        let mut out = Vec::new();
        let mut keep = |dir: &[u8], base: &[u8]| -> Option<()> {
            let dir = dir.strip_prefix(b"/").unwrap_or(dir);
            let len = dir.len() + base.len();
            if len > PATH_MAX {
                return Some(());
            }
            left = left.checked_sub(len + std::mem::size_of::<String>())?;
            let mut p = String::from_utf8_lossy(dir).into_owned();
            p.push_str(&String::from_utf8_lossy(base));
            out.push(p.trim_start_matches('/').to_string());
            Some(())
        };
        let entry = |tag| {
            self.entry(tag)
                .filter(|e| e.ty == STRING_ARRAY || e.ty == I18NSTRING)
        };
        if let (Some(base), Some(dirs), Some(idx)) =
            (entry(BASENAMES), entry(DIRNAMES), self.entry(DIRINDEXES))
        {
            let (Some(base), Some(dirs)) = (self.raw_strings(base), self.raw_strings(dirs)) else {
                return Some(out);
            };
            let idx = self.u32_array(idx.tag).unwrap_or_default();
            for (b, i) in base.into_iter().zip(idx) {
                if let Some(d) = dirs.get(i as usize) {
                    keep(d, b)?;
                }
            }
            return Some(out);
        }
        if let Some(old) = entry(OLDFILENAMES).and_then(|e| self.raw_strings(e)) {
            for p in old {
                keep(b"", p)?;
            }
        }
        Some(out)
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Builds a header blob from (tag, type, payload, count).
    pub fn blob(entries: &[(u32, u32, Vec<u8>, u32)]) -> Vec<u8> {
        let mut data = Vec::new();
        let mut index = Vec::new();
        for (tag, ty, payload, count) in entries {
            if *ty == INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            index.extend(tag.to_be_bytes());
            index.extend(ty.to_be_bytes());
            index.extend((data.len() as u32).to_be_bytes());
            index.extend(count.to_be_bytes());
            data.extend(payload);
        }
        let mut out = Vec::new();
        out.extend((entries.len() as u32).to_be_bytes());
        out.extend((data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    pub fn s(v: &str) -> Vec<u8> {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        b
    }

    #[test]
    fn reads_names_versions_and_files() {
        let b = blob(&[
            (NAME, STRING, s("bash"), 1),
            (VERSION, STRING, s("5.2.15"), 1),
            (RELEASE, STRING, s("1.amzn2023"), 1),
            (EPOCH, INT32, 1u32.to_be_bytes().to_vec(), 1),
            (BASENAMES, STRING_ARRAY, [s("bash"), s("sh")].concat(), 2),
            (DIRNAMES, STRING_ARRAY, [s("/usr/bin/")].concat(), 1),
            (
                DIRINDEXES,
                INT32,
                [0u32.to_be_bytes(), 0u32.to_be_bytes()].concat(),
                2,
            ),
        ]);
        let h = Header::parse(&b).unwrap();
        assert_eq!(h.string(NAME).as_deref(), Some("bash"));
        assert_eq!(h.u32(EPOCH), Some(1));
        assert_eq!(
            h.file_names(1 << 20).unwrap(),
            ["usr/bin/bash", "usr/bin/sh"]
        );
    }

    #[test]
    fn hostile_offsets_and_sizes_are_errors_not_panics() {
        assert!(Header::parse(&[0, 0]).is_err());
        assert!(Header::parse(&[0xff; 16]).is_err());
        let mut b = blob(&[
            (NAME, STRING, s("x"), 1),
            (DIRINDEXES, INT32, vec![0; 4], 1),
        ]);
        // Point the second entry's offset past the data: that entry is left out.
        let at = 8 + 16 + 8;
        b[at..at + 4].copy_from_slice(&1000u32.to_be_bytes());
        let h = Header::parse(&b).unwrap();
        assert_eq!(h.u32_array(DIRINDEXES), None);
        assert_eq!(h.string_array(BASENAMES), None);
    }

    /// A count of 2^32-1 over a few NUL bytes: before, `strings` reserved 65,536 slots and
    /// made one String per NUL; now the header is refused because its bytes cannot hold it.
    #[test]
    fn a_count_the_data_cannot_hold_is_an_error() {
        let mut b = blob(&[
            (NAME, STRING, s("x"), 1),
            (BASENAMES, STRING_ARRAY, vec![0; 64], 64),
        ]);
        let at = 8 + 16 + 12;
        b[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        let err = Header::parse(&b).err().unwrap().to_string();
        assert!(err.contains("count 4294967295"), "{err}");
        // The same entry with its real count reads.
        b[at..at + 4].copy_from_slice(&64u32.to_be_bytes());
        assert_eq!(
            Header::parse(&b)
                .unwrap()
                .string_array(BASENAMES)
                .unwrap()
                .len(),
            64
        );
    }

    /// 20,000 basenames of one byte each, all in one 3,000-byte directory: 60 MB of paths
    /// from a 100 kB header. Over the budget the list is refused, not built.
    #[test]
    fn a_file_list_larger_than_its_budget_is_refused() {
        let n = 20_000u32;
        let dir = format!("/{}/", "d".repeat(2998));
        let b = blob(&[
            (BASENAMES, STRING_ARRAY, [b'f', 0].repeat(n as usize), n),
            (DIRNAMES, STRING_ARRAY, s(&dir), 1),
            (DIRINDEXES, INT32, vec![0; 4 * n as usize], n),
        ]);
        let h = Header::parse(&b).unwrap();
        assert_eq!(h.file_names(16 * b.len()), None);
        assert_eq!(h.file_names(usize::MAX).unwrap().len(), n as usize);
    }
}
