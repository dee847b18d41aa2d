//! Blob bytes: which compression (by magic bytes, never by name or media type), how to
//! decompress it, its sha256 as it streams past, and a ceiling on how far it may expand.

use std::io::{self, Read};

use sha2::{Digest, Sha256};

/// Serialized as `layers[].compression` spells it (strum gives the same name to `as_str`).
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
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    /// Recognised only to be refused by name: no image tool writes bzip2 or xz layers today
    /// (the OCI spec allows gzip and zstd), and "corrupt" would send the user hunting.
    Bzip2,
    Xz,
}

impl Compression {
    /// eStargz is gzip (many members) and is detected as such.
    pub fn detect(magic: &[u8]) -> Compression {
        if magic.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) || is_zstd_skippable(magic) {
            Compression::Zstd
        } else if magic.starts_with(b"BZh") {
            Compression::Bzip2
        } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else {
            Compression::None
        }
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A zstd stream may start with a skippable frame (magic 0x184D2A50..=0x184D2A5F, little
/// endian), e.g. seekable-zstd's or a metadata frame; libzstd skips it, so it is zstd.
fn is_zstd_skippable(magic: &[u8]) -> bool {
    magic.len() >= 4 && magic[0] & 0xf0 == 0x50 && magic[1..4] == [0x2a, 0x4d, 0x18]
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Counts (and, when asked, hashes) every byte read through it.
pub struct Hashing<R> {
    inner: R,
    hasher: Option<Sha256>,
    count: u64,
}

impl<R: Read> Hashing<R> {
    pub fn new(inner: R, hash: bool) -> Self {
        Hashing {
            inner,
            hasher: hash.then(Sha256::new),
            count: 0,
        }
    }

    /// Reads what is left (tar padding after the end-of-archive marker is part of the blob),
    /// then returns the byte count and the digest, if hashing.
    pub fn finish(mut self) -> io::Result<(u64, Option<String>, R)> {
        io::copy(&mut self, &mut io::sink())?;
        let digest = self
            .hasher
            .map(|h| format!("sha256:{}", hex::encode(h.finalize())));
        Ok((self.count, digest, self.inner))
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.count += n as u64;
        Ok(n)
    }
}

/// Fails the read once more than `limit` bytes have come out: a decompression bomb stops here
/// instead of filling memory or keeping a CI runner busy for an hour.
pub struct Ceiling<R> {
    inner: R,
    limit: u64,
    count: u64,
}

/// The error kind a ceiling breach carries, so callers can tell it from corrupt data.
pub const CEILING_MARK: &str = "expands past the decompression limit";

impl<R: Read> Ceiling<R> {
    pub fn new(inner: R, limit: u64) -> Self {
        Ceiling {
            inner,
            limit,
            count: 0,
        }
    }
}

impl<R> Ceiling<R> {
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for Ceiling<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if self.count > self.limit {
            return Err(io::Error::other(format!(
                "{CEILING_MARK} ({} bytes)",
                self.limit
            )));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn compression_is_detected_from_magic_bytes() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"hello").unwrap();
        assert_eq!(
            Compression::detect(&gz.finish().unwrap()),
            Compression::Gzip
        );
        let zs = zstd::encode_all(&b"hello"[..], 1).unwrap();
        assert_eq!(Compression::detect(&zs), Compression::Zstd);
        assert_eq!(Compression::detect(b"etc/\0\0\0"), Compression::None);
    }

    #[test]
    fn hashing_reads_to_the_end_and_digests_everything() {
        let data = vec![7u8; 100_000];
        let mut h = Hashing::new(&data[..], true);
        let mut first = [0u8; 10];
        h.read_exact(&mut first).unwrap();
        let (n, digest, _) = h.finish().unwrap();
        assert_eq!(n, 100_000);
        assert_eq!(digest.unwrap(), format!("sha256:{}", sha256_hex(&data)));
    }

    #[test]
    fn ceiling_stops_a_bomb() {
        let zeros = io::repeat(0).take(10_000_000);
        let mut c = Ceiling::new(zeros, 1_000_000);
        let err = io::copy(&mut c, &mut io::sink()).unwrap_err();
        assert!(err.to_string().contains(CEILING_MARK));
    }
}
