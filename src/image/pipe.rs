//! One compressed layer on two cores: a thread of its own decompresses into a few
//! buffers, and the reader hashes each filled buffer (the diff_id) and walks the tar in it.
//!
//! Inflating a layer and hashing what comes out are two serial passes over the same bytes;
//! on one thread they add up, and the largest layer, read alone at the end, decides the wall
//! time. Buffers travel whole, in both directions, so no byte is copied on the way. Written
//! by hand: it is two std channels around `Read`, and the pipe crates copy through a buffer.

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::{Scope, ScopedJoinHandle};

use sha2::{Digest, Sha256};

use super::archive::read_full;

/// Big enough that handing a buffer over costs nothing beside filling it (inflating in
/// 8 KiB calls costs a third more than in 256 KiB ones), few enough to stay a few MB.
const BUF: usize = 1 << 18;
const BUFFERS: usize = 4;

type Filled = io::Result<(Vec<u8>, usize)>;

/// Starts decompressing `dec` on a thread of `scope`. The thread ends at the end of the
/// stream, at its first error (handed on to the reader), or when the reader is dropped,
/// and gives the decoder back through its handle so the caller can finish the blob.
pub fn spawn<'scope, D: Read + Send + 'scope>(
    scope: &'scope Scope<'scope, '_>,
    dec: D,
    hash: bool,
) -> (Piped, ScopedJoinHandle<'scope, D>) {
    let (full_tx, full_rx) = mpsc::sync_channel::<Filled>(BUFFERS);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..BUFFERS {
        let _ = empty_tx.send(vec![0; BUF]);
    }
    let handle = scope.spawn(move || fill(dec, full_tx, empty_rx));
    let piped = Piped {
        full: full_rx,
        empty: empty_tx,
        buf: Vec::new(),
        len: 0,
        pos: 0,
        hasher: hash.then(Sha256::new),
        count: 0,
        ended: false,
    };
    (piped, handle)
}

fn fill<D: Read>(mut dec: D, full: SyncSender<Filled>, empty: Receiver<Vec<u8>>) -> D {
    // `recv` fails once the reader is gone: nobody wants the rest.
    while let Ok(mut buf) = empty.recv() {
        match read_full(&mut dec, &mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if full.send(Ok((buf, n))).is_err() {
                    break;
                }
            }
            Err(e) => {
                let _ = full.send(Err(e));
                break;
            }
        }
    }
    dec
}

/// The decompressed stream, counted and (when asked) hashed a buffer at a time. Seeking
/// forward skips bytes without copying them: tar skips file contents that way.
pub struct Piped {
    full: Receiver<Filled>,
    empty: Sender<Vec<u8>>,
    buf: Vec<u8>,
    len: usize,
    pos: usize,
    hasher: Option<Sha256>,
    count: u64,
    ended: bool,
}

impl Piped {
    /// The next filled buffer, hashed; false at the end of the stream.
    fn next(&mut self) -> io::Result<bool> {
        if self.ended {
            return Ok(false);
        }
        let done = std::mem::take(&mut self.buf);
        if !done.is_empty() {
            let _ = self.empty.send(done);
        }
        match self.full.recv() {
            Ok(Ok((buf, len))) => {
                if let Some(h) = &mut self.hasher {
                    h.update(&buf[..len]);
                }
                self.count += len as u64;
                (self.buf, self.len, self.pos) = (buf, len, 0);
                Ok(true)
            }
            Ok(Err(e)) => {
                self.ended = true;
                Err(e)
            }
            Err(_) => {
                self.ended = true;
                self.len = 0;
                self.pos = 0;
                Ok(false)
            }
        }
    }

    /// Reads what is left (tar padding after the end-of-archive marker is part of the
    /// layer), then the byte count and the digest, if hashing.
    pub fn finish(mut self) -> io::Result<(u64, Option<String>)> {
        while self.next()? {}
        let digest = self
            .hasher
            .take()
            .map(|h| format!("sha256:{}", hex::encode(h.finalize())));
        Ok((self.count, digest))
    }
}

impl Read for Piped {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.len {
            if out.is_empty() || !self.next()? {
                return Ok(0);
            }
        }
        let n = out.len().min(self.len - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Seek for Piped {
    /// Forward from here only (what tar asks for); past the end is a truncated stream.
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let SeekFrom::Current(mut skip) = to else {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a decompressed layer can only be skipped forward",
            ));
        };
        if skip < 0 {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a decompressed layer cannot be read backwards",
            ));
        }
        while skip > 0 {
            if self.pos == self.len && !self.next()? {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the layer ends inside a file",
                ));
            }
            let n = (skip as u64).min((self.len - self.pos) as u64) as usize;
            self.pos += n;
            skip -= n as i64;
        }
        Ok(self.count - (self.len - self.pos) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that gives a few bytes at a time, then fails, like a corrupt stream.
    struct Then {
        data: io::Cursor<Vec<u8>>,
        fail: bool,
    }
    impl Read for Then {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let len = buf.len().min(1000);
            let n = self.data.read(&mut buf[..len])?;
            if n == 0 && self.fail {
                return Err(io::Error::other("corrupt deflate stream"));
            }
            Ok(n)
        }
    }

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn every_byte_arrives_in_order_and_is_hashed_once() {
        let d = data(3 * BUF + 12_345);
        std::thread::scope(|s| {
            let src = Then {
                data: io::Cursor::new(d.clone()),
                fail: false,
            };
            let (mut p, h) = spawn(s, src, true);
            let mut head = vec![0; 5000];
            p.read_exact(&mut head).unwrap();
            assert_eq!(head, d[..5000]);
            // Skipping crosses two buffer boundaries.
            assert_eq!(
                p.seek(SeekFrom::Current(2 * BUF as i64)).unwrap(),
                5000 + 2 * BUF as u64
            );
            let mut next = [0; 10];
            p.read_exact(&mut next).unwrap();
            assert_eq!(next, d[5000 + 2 * BUF..5010 + 2 * BUF]);
            let (count, digest) = p.finish().unwrap();
            assert_eq!(count, d.len() as u64);
            assert_eq!(
                digest.unwrap(),
                format!("sha256:{}", hex::encode(Sha256::digest(&d)))
            );
            let back = h.join().unwrap();
            assert_eq!(
                back.data.position(),
                d.len() as u64,
                "the decoder comes back at its end"
            );
        });
    }

    #[test]
    fn a_decoder_error_reaches_the_reader_and_a_skip_past_the_end_is_refused() {
        std::thread::scope(|s| {
            let src = Then {
                data: io::Cursor::new(data(10)),
                fail: true,
            };
            let (mut p, h) = spawn(s, src, false);
            let e = p.read_to_end(&mut Vec::new()).unwrap_err();
            assert_eq!(e.to_string(), "corrupt deflate stream");
            drop(p);
            h.join().unwrap();

            let src = Then {
                data: io::Cursor::new(data(10)),
                fail: false,
            };
            let (mut p, _) = spawn(s, src, false);
            let e = p.seek(SeekFrom::Current(11)).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
            assert!(p.seek(SeekFrom::Start(0)).is_err(), "only forward");
        });
    }

    #[test]
    fn a_reader_that_stops_early_lets_the_decoder_thread_end() {
        std::thread::scope(|s| {
            let src = Then {
                data: io::Cursor::new(data(20 * BUF)),
                fail: false,
            };
            let (mut p, h) = spawn(s, src, true);
            p.read_exact(&mut [0; 100]).unwrap();
            drop(p);
            // Joins instead of hanging on a full channel: the test finishing is the check.
            let back = h.join().unwrap();
            assert!(back.data.position() < 20 * BUF as u64);
        });
    }
}
