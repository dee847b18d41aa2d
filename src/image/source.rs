//! Where a layer blob's bytes come from: a byte range of a file on disk (an archive member or
//! a layout's blob file), or a stream opened elsewhere (a registry's HTTP response).
//!
//! The scan needs `Read + Seek` only for two things: rewinding after it peeked the magic
//! bytes, and skipping file contents of an uncompressed layer. A stream can do both as long
//! as it keeps its first bytes and only skips forward, so a remote blob is read once, straight
//! into the scan, with nothing written to disk.

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

use super::archive::{Region, RegionReader};

/// Opens a blob that does not live in a local file. Each call starts a new read of the whole
/// blob (the scan opens every layer once; retries live inside the implementation).
pub trait Remote: Send + Sync + fmt::Debug {
    fn open(&self) -> io::Result<Box<dyn Read + Send>>;

    /// True when the reader `open` returns fails unless the bytes match the blob's digest,
    /// so the scan need not hash them a second time.
    fn checks_digest(&self) -> bool {
        false
    }
}

/// A layer blob and its stored length (for a remote blob, the length its descriptor declares,
/// which the remote reader enforces).
#[derive(Debug, Clone)]
pub struct Blob {
    pub len: u64,
    from: From,
}

#[derive(Debug, Clone)]
enum From {
    Region(Region),
    Remote(Arc<dyn Remote>),
}

impl std::convert::From<Region> for Blob {
    fn from(r: Region) -> Blob {
        Blob {
            len: r.len,
            from: From::Region(r),
        }
    }
}

impl Blob {
    pub fn remote(len: u64, remote: Arc<dyn Remote>) -> Blob {
        Blob {
            len,
            from: From::Remote(remote),
        }
    }

    /// The source itself refuses bytes that do not match the digest (see [`Remote::checks_digest`]).
    pub fn digest_checked_by_source(&self) -> bool {
        match &self.from {
            From::Region(_) => false,
            From::Remote(r) => r.checks_digest(),
        }
    }

    pub fn is_remote(&self) -> bool {
        matches!(self.from, From::Remote(_))
    }

    /// The archive region, for blobs that have one.
    pub fn region(&self) -> Option<&Region> {
        match &self.from {
            From::Region(r) => Some(r),
            From::Remote(_) => None,
        }
    }

    pub fn open(&self) -> io::Result<BlobReader> {
        Ok(match &self.from {
            From::Region(r) => BlobReader::Region(r.open()?),
            From::Remote(r) => BlobReader::Stream(Stream::new(r.open()?)),
        })
    }
}

pub enum BlobReader {
    Region(RegionReader),
    Stream(Stream),
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            BlobReader::Region(r) => r.read(buf),
            BlobReader::Stream(s) => s.read(buf),
        }
    }
}

impl Seek for BlobReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match self {
            BlobReader::Region(r) => r.seek(to),
            BlobReader::Stream(s) => s.seek(to),
        }
    }
}

/// How many leading bytes a stream keeps so it can be rewound (the magic-byte peek).
const KEEP: usize = 4096;

/// A forward-only stream that remembers its first [`KEEP`] bytes: it can rewind while it has
/// read no further than that, and seeks forward by reading and dropping. Hand-written: the
/// peek-then-rewind of a non-seekable reader is a dozen lines no crate offers in this shape.
pub struct Stream {
    inner: Box<dyn Read + Send>,
    head: Vec<u8>,
    /// Bytes taken from `inner` so far.
    pulled: u64,
    /// The position the next read returns.
    pos: u64,
}

impl Stream {
    pub fn new(inner: Box<dyn Read + Send>) -> Stream {
        Stream {
            inner,
            head: Vec::new(),
            pulled: 0,
            pos: 0,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.pulled {
            // Replaying the kept head after a rewind.
            let start = self.pos as usize;
            let n = buf.len().min(self.head.len() - start);
            buf[..n].copy_from_slice(&self.head[start..start + n]);
            self.pos += n as u64;
            return Ok(n);
        }
        let n = self.inner.read(buf)?;
        if self.head.len() as u64 == self.pulled && self.head.len() < KEEP {
            let keep = n.min(KEEP - self.head.len());
            self.head.extend_from_slice(&buf[..keep]);
        }
        self.pulled += n as u64;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Stream {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => n as i128,
            SeekFrom::Current(d) => self.pos as i128 + d as i128,
            SeekFrom::End(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "a streamed blob cannot seek from its end",
                ))
            }
        };
        if target < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before start",
            ));
        }
        let target = target as u64;
        if target < self.pos {
            // Backwards only within the kept head, and only while all pulled bytes are kept.
            if self.pulled > self.head.len() as u64 {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "a streamed blob cannot seek backwards",
                ));
            }
            self.pos = target;
            return Ok(target);
        }
        let mut skip = target - self.pos;
        // Inside the replayed head first, then from the stream.
        if self.pos < self.pulled {
            let k = skip.min(self.pulled - self.pos);
            self.pos += k;
            skip -= k;
        }
        if skip > 0 {
            let copied = io::copy(&mut (&mut *self).take(skip), &mut io::sink())?;
            if copied < skip {
                // Past the end, as a file would allow; the next read returns 0.
                self.pos += skip - copied;
            }
        }
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_rewinds_after_a_peek_and_skips_forward() {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let mut s = Stream::new(Box::new(io::Cursor::new(data.clone())));
        let mut magic = [0u8; 4];
        s.read_exact(&mut magic).unwrap();
        s.seek(SeekFrom::Start(0)).unwrap();
        let mut first = [0u8; 10];
        s.read_exact(&mut first).unwrap();
        assert_eq!(&first[..], &data[..10]);
        assert_eq!(s.seek(SeekFrom::Current(5000)).unwrap(), 5010);
        let mut next = [0u8; 3];
        s.read_exact(&mut next).unwrap();
        assert_eq!(&next[..], &data[5010..5013]);
        // Past the kept head, backwards is refused rather than silently wrong.
        assert!(s.seek(SeekFrom::Start(0)).is_err());
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        assert_eq!(&rest[..], &data[5013..]);
    }
}
