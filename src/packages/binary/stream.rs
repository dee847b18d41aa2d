//! One ELF executable read as the layer walk streams it by, keeping only the bytes a
//! [`Record`] is made of — the same record [`super::record`] makes from the whole file.
//!
//! What is kept, and the bound (per reading thread, one executable at a time):
//! - the ELF header and program header table (at the start of the file; at most [`MAX_HEAD`]);
//! - the section header table, whose place the header gives (at most 65,535 entries, 4 MiB);
//! - the bytes no loadable segment covers, before the section header table (where the linker
//!   puts `.comment`, cargo-auditable's `.dep-v0`, `.symtab`, `.shstrtab` and debug info), and
//!   after it only those inside a section: at most [`MAX_UNLOADED`] in all. A `.dep-v0` or
//!   `.shstrtab` in bytes past that bound makes the executable an unknown binary with the reason;
//! - from Go's build-info magic on, the header and the two strings it holds (at most
//!   [`MAX_GO_STRING`] each), and for Go before 1.18 the rest of the segment holding it (the
//!   string headers its pointers lead to are there) from the start of the chunk it is in;
//! - until a Go 1.18+ build info is seen, in the loadable segments that are not executable
//!   (`.rodata`), what pre-1.18 build info points back at: Go's module text, from cmd/go's
//!   opening sentinel to its closing one (at most [`MAX_GO_STRING`] in all), and a window of a
//!   few dozen bytes after each `go1.` (the version; at most [`MAX_GO_VERSION_WINDOWS`]).
//!
//! The loadable segments (code, read-only data: most of the file) are scanned as they pass for
//! Go's build-info magic and Rust's standard-library paths, and not kept. The scanners carry
//! the last few bytes of each chunk over to the next, so a match across a chunk boundary is
//! found as in one buffer.
//!
//! What a stream cannot do: Go before 1.18 points from the build info at strings anywhere in
//! the file. The ones its linker writes (in `.rodata`, before `.go.buildinfo`) are caught by
//! what they start with, as above; one elsewhere before the build info (in code, or not
//! starting so), or past the bounds, has gone by, and makes the build info unreadable, saying
//! so.

use std::io::{self, Read};

use memchr::memmem;

use super::{
    elf_loads, elf_segments, go_extent, go_parse, rust_std_path, Record, GO_HEADER, GO_MAGIC,
    MAX_GO_STRING,
};

/// Largest ELF header and program header table kept (real ones are under 1 kB).
pub const MAX_HEAD: u64 = 64 << 10;
/// Most bytes kept from outside the loadable segments (see the module doc).
pub const MAX_UNLOADED: u64 = 64 << 20;
/// `p_flags`' bit for an executable segment.
const PF_X: u64 = 1;
/// How much is read from the layer at a time.
const CHUNK: usize = 64 << 10;
/// Bytes from the start of `/rustc/` a std path needs (`/rustc/`, 40 hex, `/library/`, one more).
const RUST_EXTENT: usize = 57;

/// Reads the rest of an ELF executable (`head` is what the walk sniffed, `size` the whole
/// file's length) from `rest` and says what it is. `None` when the header is not one this
/// reader follows (then the caller buffers the file whole).
pub fn read(head: &[u8], size: u64, rest: &mut dyn Read) -> io::Result<Option<Record>> {
    let Some(mut s) = Stream::new(head, size) else {
        return Ok(None);
    };
    s.feed(head);
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = rest.read(&mut buf)?;
        if n == 0 {
            break;
        }
        s.feed(&buf[..n]);
    }
    Ok(Some(s.finish()))
}

/// What the ELF header says about the file's layout.
#[derive(Debug, Clone, Copy)]
struct Layout {
    wide: bool,
    big: bool,
    /// End of the program header table (and start of what is not header).
    head_end: u64,
    /// The section header table as binfarce reads it: `shnum` entries of 64 (40) bytes.
    sht: (u64, u64),
    shnum: u64,
    shstrndx: u64,
}

impl Layout {
    fn read(h: &[u8], size: u64) -> Option<Layout> {
        if h.get(..4)? != b"\x7fELF" {
            return None;
        }
        let wide = match h.get(4)? {
            1 => false,
            2 => true,
            _ => return None,
        };
        let big = match h.get(5)? {
            1 => false,
            2 => true,
            _ => return None,
        };
        let num = |o: usize, n: usize| uint(h.get(o..o + n)?, big);
        let (phoff, phentsize, phnum, shoff, shnum, shstrndx) = if wide {
            (
                num(0x20, 8)?,
                num(0x36, 2)?,
                num(0x38, 2)?,
                num(0x28, 8)?,
                num(0x3c, 2)?,
                num(0x3e, 2)?,
            )
        } else {
            (
                num(0x1c, 4)?,
                num(0x2a, 2)?,
                num(0x2c, 2)?,
                num(0x20, 4)?,
                num(0x30, 2)?,
                num(0x32, 2)?,
            )
        };
        let head_end = phoff.checked_add(phentsize * phnum)?.max(64);
        if head_end > MAX_HEAD.min(size) {
            return None;
        }
        let entry = if wide { 64 } else { 40 };
        let sht_end = shoff.checked_add(shnum * entry)?.min(size);
        Some(Layout {
            wide,
            big,
            head_end,
            sht: (shoff.min(sht_end), sht_end),
            shnum,
            shstrndx,
        })
    }

    fn entry(&self) -> u64 {
        if self.wide {
            64
        } else {
            40
        }
    }
}

fn uint(b: &[u8], big: bool) -> Option<u64> {
    if b.len() > 8 {
        return None;
    }
    Some(b.iter().enumerate().fold(0u64, |v, (i, _)| {
        v << 8 | if big { b[i] } else { b[b.len() - 1 - i] } as u64
    }))
}

/// Kept byte ranges of the file, in file order, contiguous ones joined.
#[derive(Default)]
struct Kept {
    pieces: Vec<(u64, Vec<u8>)>,
}

impl Kept {
    fn add(&mut self, at: u64, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        match self.pieces.last_mut() {
            Some((start, v)) if *start + v.len() as u64 == at => v.extend_from_slice(bytes),
            _ => self.pieces.push((at, bytes.to_vec())),
        }
    }

    /// The `len` bytes at `off`, if they were all kept.
    fn get(&self, off: u64, len: u64) -> Option<&[u8]> {
        let i = self
            .pieces
            .partition_point(|(s, _)| *s <= off)
            .checked_sub(1)?;
        let (start, v) = &self.pieces[i];
        let from = usize::try_from(off - start).ok()?;
        v.get(from..from.checked_add(usize::try_from(len).ok()?)?)
    }
}

/// Occurrences of a needle in a stream, each handed over with the `extent` bytes from its start
/// once they have all arrived; the last `extent - 1` bytes are carried to the next chunk (when
/// it starts where the last one ended: a stream fed in pieces with gaps matches within each).
struct Finder {
    needle: memmem::Finder<'static>,
    extent: usize,
    carry: Vec<u8>,
    /// Where the carry ends: the offset the next chunk must start at to continue it.
    next: u64,
    done: bool,
}

impl Finder {
    fn new(needle: &'static [u8], extent: usize) -> Finder {
        Finder {
            needle: memmem::Finder::new(needle),
            extent,
            carry: Vec::new(),
            next: 0,
            done: false,
        }
    }

    /// `chunk` starts at file offset `at`; `hit(bytes, offset)` returns true to stop.
    fn feed(&mut self, at: u64, chunk: &[u8], mut hit: impl FnMut(&[u8], u64) -> bool) {
        if self.done {
            return;
        }
        if at != self.next {
            self.carry.clear();
        }
        self.next = at + chunk.len() as u64;
        let k = self.extent - 1;
        if !self.carry.is_empty() {
            // Starts in the carry run into this chunk.
            let mut w = std::mem::take(&mut self.carry);
            let carried = w.len();
            w.extend_from_slice(&chunk[..chunk.len().min(k)]);
            let base = at - carried as u64;
            for s in overlapping(&self.needle, &w) {
                if s >= carried || s + self.extent > w.len() {
                    break;
                }
                if hit(&w[s..s + self.extent], base + s as u64) {
                    self.done = true;
                    return;
                }
            }
            if chunk.len() < k {
                // Too short to hold a whole extent: the carry is the last k bytes of both.
                let drop = w.len().saturating_sub(k);
                w.drain(..drop);
                self.carry = w;
                return;
            }
        }
        for s in overlapping(&self.needle, chunk) {
            if s + self.extent > chunk.len() {
                break;
            }
            if hit(&chunk[s..s + self.extent], at + s as u64) {
                self.done = true;
                return;
            }
        }
        if chunk.len() >= k {
            self.carry = chunk[chunk.len() - k..].to_vec();
        } else {
            self.carry = chunk.to_vec();
        }
    }
}

/// Where pre-1.18 Go's build info may point: the strings `runtime.buildVersion` and
/// `runtime.modinfo`, whose bytes the linker puts in `.rodata` — before `.go.buildinfo`, which
/// opens the writable data segment — so gone by when the build info's pointers are read.
/// Both are caught as they pass, in the loadable segments that are not executable (`.rodata`
/// is read-only; code is not searched), by what they start with: the module text is framed by
/// cmd/go's 16-byte sentinels ([`INFO_START`] … [`INFO_END`]) and kept whole up to the closing
/// one, and the version is kept as a [`VERSION_WINDOW`]-byte window after each `go1.`. The
/// pointers, resolved at the end, are looked up among the windows.
struct GoStrings {
    /// File ranges searched: the loadable segments without `PF_X`, sorted.
    ranges: Vec<(u64, u64)>,
    modinfo: Windows,
    version: Windows,
}

/// cmd/go's sentinels around `runtime.modinfo` (cmd/go/internal/modload, `infoStart`/`infoEnd`).
const INFO_START: &[u8] = b"\x30\x77\xaf\x0c\x92\x74\x08\x02\x41\xe1\xc1\x07\xe6\xd6\x18\xe6";
const INFO_END: &[u8] = b"\xf9\x32\x43\x31\x86\x18\x20\x72\x00\x82\x42\x10\x41\x16\xd8\xf2";
/// Bytes kept from each `go1.` (`go1.16.15`; room for a suffix such as ` X:framepointer`).
const VERSION_WINDOW: usize = 64;
/// Most bytes kept of all version windows (a thousand or more `go1.`s; real binaries have few).
pub const MAX_GO_VERSION_WINDOWS: usize = 64 << 10;

impl GoStrings {
    fn new() -> GoStrings {
        GoStrings {
            ranges: Vec::new(),
            modinfo: Windows::new(
                INFO_START,
                Some(INFO_END),
                MAX_GO_STRING as usize,
                MAX_GO_STRING as usize,
            ),
            version: Windows::new(b"go1.", None, VERSION_WINDOW, MAX_GO_VERSION_WINDOWS),
        }
    }

    /// `chunk` starts at file offset `at`; only its parts inside `ranges` are searched.
    fn feed(&mut self, at: u64, chunk: &[u8]) {
        for (a, b) in overlaps((at, at + chunk.len() as u64), &self.ranges) {
            let piece = &chunk[(a - at) as usize..(b - at) as usize];
            self.modinfo.feed(a, piece);
            self.version.feed(a, piece);
        }
    }

    /// The `len` bytes at file offset `off`, if one window (closed or still open) holds them.
    fn get(&self, off: u64, len: u64) -> Option<&[u8]> {
        [&self.modinfo, &self.version]
            .into_iter()
            .flat_map(Windows::all)
            .find_map(|(start, v)| {
                let from = usize::try_from(off.checked_sub(start)?).ok()?;
                v.get(from..from.checked_add(usize::try_from(len).ok()?)?)
            })
    }
}

/// Windows of a stream that open where a needle starts: each runs `window` bytes from the last
/// needle inside it, or, with a `close` needle, up to the end of that (dropped when it does
/// not come within `window` bytes). One is open at a time; all together hold at most `budget`
/// bytes. A gap in what is fed closes the open window where the gap starts.
struct Windows {
    open: Finder,
    needle: &'static [u8],
    close: Option<memmem::Finder<'static>>,
    window: usize,
    budget: usize,
    /// The open window: its file offset, its bytes so far, the offset it runs to.
    current: Option<(u64, Vec<u8>, u64)>,
    /// Closed windows, in file order, with their file offsets.
    done: Vec<(u64, Vec<u8>)>,
    used: usize,
}

impl Windows {
    fn new(
        needle: &'static [u8],
        close: Option<&'static [u8]>,
        window: usize,
        budget: usize,
    ) -> Windows {
        Windows {
            open: Finder::new(needle, needle.len()),
            needle,
            close: close.map(memmem::Finder::new),
            window,
            budget,
            current: None,
            done: Vec::new(),
            used: 0,
        }
    }

    fn feed(&mut self, at: u64, piece: &[u8]) {
        let end = at + piece.len() as u64;
        if self
            .current
            .as_ref()
            .is_some_and(|(start, v, _)| start + v.len() as u64 != at)
        {
            self.finish(false);
        }
        let mut hits = Vec::new();
        self.open.feed(at, piece, |_, i| {
            hits.push(i);
            false
        });
        for h in hits {
            // The needle ends in this piece (it may start in the last one's carry).
            let needle_end = h + self.needle.len() as u64;
            self.extend(at, piece, needle_end);
            match &mut self.current {
                Some((_, _, until)) if self.close.is_none() => {
                    *until = (*until).max(h + self.window as u64);
                }
                Some(_) => {}
                None => {
                    let room = self.budget - self.used;
                    if room < self.needle.len() {
                        continue;
                    }
                    let until = h + self.window.min(room) as u64;
                    self.current = Some((h, self.needle.to_vec(), until));
                }
            }
        }
        self.extend(at, piece, end);
    }

    /// Adds the piece's bytes up to offset `to` to the open window, closing it at its end.
    fn extend(&mut self, at: u64, piece: &[u8], to: u64) {
        let Some((start, v, until)) = &mut self.current else {
            return;
        };
        let room = (self.budget - self.used) as u64;
        let until = (*until).min(*start + room);
        let from = *start + v.len() as u64;
        let to = to.min(until);
        if from >= at && from < to {
            let seen = v.len();
            v.extend_from_slice(&piece[(from - at) as usize..(to - at) as usize]);
            if let Some(close) = &self.close {
                // Search from where a sentinel ending in the new bytes could start, after the
                // opening one.
                let s = seen
                    .saturating_sub(close.needle().len() - 1)
                    .max(self.needle.len());
                if let Some(i) = v.get(s..).and_then(|t| close.find(t)) {
                    v.truncate(s + i + close.needle().len());
                    return self.finish(true);
                }
            }
        }
        if *start + v.len() as u64 >= until {
            self.finish(self.close.is_none());
        }
    }

    /// Every window, the open one last, with its file offset.
    fn all(&self) -> impl Iterator<Item = (u64, &[u8])> {
        let open = self.current.as_ref().map(|(s, v, _)| (*s, &v[..]));
        self.done.iter().map(|(s, v)| (*s, &v[..])).chain(open)
    }

    /// Ends the open window, keeping it if `keep`.
    fn finish(&mut self, keep: bool) {
        if let Some((start, v, _)) = self.current.take() {
            if keep || self.close.is_none() {
                self.used += v.len();
                self.done.push((start, v));
            }
        }
    }
}

/// Every start of `needle` in `hay`, overlapping ones included.
pub(super) fn overlapping<'h>(
    needle: &'h memmem::Finder<'_>,
    hay: &'h [u8],
) -> impl Iterator<Item = usize> + 'h {
    let mut from = 0;
    std::iter::from_fn(move || {
        let i = from + needle.find(hay.get(from..)?)?;
        from = i + 1;
        Some(i)
    })
}

struct Stream {
    size: u64,
    pos: u64,
    layout: Layout,
    /// File ranges of the loadable segments, sorted; known once the header has passed.
    loads: Vec<(u64, u64)>,
    /// Once the section header table has passed: the file ranges still worth keeping —
    /// `.shstrtab`, and `.dep-v0` once the names are known (until then every section outside
    /// the loadable segments).
    wanted: Vec<(u64, u64)>,
    /// Whether `.shstrtab` has been kept whole, so `wanted` knows `.dep-v0` by name.
    names_known: bool,
    kept: Kept,
    /// Bytes kept from outside the loadable segments, against [`MAX_UNLOADED`].
    unloaded: u64,
    go: Finder,
    go_at: Option<u64>,
    go_blob: Vec<u8>,
    /// Pre-1.18 build info's strings, caught before the build info is seen.
    go_strings: GoStrings,
    rust: Finder,
    rust_seen: bool,
}

impl Stream {
    fn new(head: &[u8], size: u64) -> Option<Stream> {
        Some(Stream {
            size,
            pos: 0,
            layout: Layout::read(head, size)?,
            loads: Vec::new(),
            wanted: Vec::new(),
            names_known: false,
            kept: Kept::default(),
            unloaded: 0,
            go: Finder::new(GO_MAGIC, GO_MAGIC.len()),
            go_at: None,
            go_blob: Vec::new(),
            go_strings: GoStrings::new(),
            rust: Finder::new(b"/rustc/", RUST_EXTENT),
            rust_seen: false,
        })
    }

    fn feed(&mut self, chunk: &[u8]) {
        let at = self.pos;
        let end = at + chunk.len() as u64;
        if end > self.size {
            // More than the declared size: what is past it is not the file's.
            let n = (self.size.saturating_sub(at)) as usize;
            return self.feed(&chunk[..n]);
        }
        self.scan(at, chunk);
        // The keeping rules change at the end of the header and of the section header table.
        let mut cuts = vec![
            at,
            end,
            self.layout.head_end,
            self.layout.sht.0,
            self.layout.sht.1,
        ];
        cuts.retain(|&c| c >= at && c <= end);
        cuts.sort_unstable();
        cuts.dedup();
        for w in cuts.windows(2) {
            let piece = &chunk[(w[0] - at) as usize..(w[1] - at) as usize];
            self.keep(w[0], piece);
            if !self.go_inline() {
                self.go_strings.feed(w[0], piece);
            }
            self.pos = w[1];
            if w[1] == self.layout.head_end {
                self.loads = self.read_loads();
                self.go_strings.ranges = self.read_loads_where(|flags| flags & PF_X == 0);
            }
            if w[1] == self.layout.sht.1 {
                self.wanted = self.wanted_after_sht();
            }
        }
        self.pos = end;
    }

    fn scan(&mut self, at: u64, chunk: &[u8]) {
        let size = self.size;
        let mut found = None;
        self.go.feed(at, chunk, |_, i| {
            let ok = i % super::GO_ALIGN as u64 == 0 && size - i >= GO_HEADER as u64;
            if ok {
                found = Some(i);
            }
            ok
        });
        if let Some(i) = found {
            self.go_at = Some(i);
            self.go_blob = GO_MAGIC.to_vec();
            // Once Go's magic is found the executable is Go (or its build info is unreadable):
            // Rust's std paths no longer decide anything.
            self.rust.done = true;
        }
        self.capture_go(at, chunk);
        let seen = &mut self.rust_seen;
        self.rust.feed(at, chunk, |w, _| {
            *seen = rust_std_path(w);
            *seen
        });
    }

    /// The build info's bytes in this chunk: as many as the lengths read so far say it has.
    fn capture_go(&mut self, at: u64, chunk: &[u8]) {
        let Some(go_at) = self.go_at else { return };
        let end = at + chunk.len() as u64;
        loop {
            let from = go_at + self.go_blob.len() as u64;
            let need = go_extent(&self.go_blob).min(self.size - go_at);
            if self.go_blob.len() as u64 >= need || from < at || from >= end {
                break;
            }
            let take = (need - self.go_blob.len() as u64).min(end - from);
            let s = (from - at) as usize;
            self.go_blob.extend_from_slice(&chunk[s..s + take as usize]);
        }
    }

    fn keep(&mut self, at: u64, bytes: &[u8]) {
        let (sht_start, sht_end) = self.layout.sht;
        if at < self.layout.head_end || (at >= sht_start && at < sht_end) {
            return self.kept.add(at, bytes);
        }
        let end = at + bytes.len() as u64;
        let sht_read = sht_end > sht_start && at >= sht_end;
        let mut wanted = if sht_read {
            overlaps((at, end), &self.wanted)
        } else {
            gaps((at, end), &self.loads)
        };
        // Pre-1.18 Go: the rest of the segment that holds the build info (its string headers).
        let go_end = self.go_segment_end();
        if at < go_end {
            wanted.push((at, end.min(go_end)));
            wanted.sort_unstable();
            wanted = merge(wanted);
        }
        for (a, b) in wanted {
            if self.unloaded + (b - a) > MAX_UNLOADED {
                continue;
            }
            self.unloaded += b - a;
            self.kept
                .add(a, &bytes[(a - at) as usize..(b - at) as usize]);
        }
        if sht_read && !self.names_known && self.names().is_some() {
            self.names_known = true;
            self.wanted = self.wanted_after_sht();
        }
    }

    /// Where the segment holding pre-1.18 build info ends (0: none seen, or not that layout).
    fn go_segment_end(&self) -> u64 {
        match self.go_at {
            Some(go_at) if self.go_blob.len() >= GO_HEADER && self.go_blob[15] & 2 == 0 => self
                .loads
                .iter()
                .find(|(s, e)| *s <= go_at && go_at < *e)
                .map_or(0, |&(_, e)| e),
            _ => 0,
        }
    }

    fn head(&self) -> &[u8] {
        self.kept.get(0, self.layout.head_end).unwrap_or(&[])
    }

    /// Whether the build info is known to be Go 1.18+'s, its strings inline (so none is
    /// elsewhere to catch).
    fn go_inline(&self) -> bool {
        self.go_blob.len() >= GO_HEADER && self.go_blob[15] & 2 != 0
    }

    fn read_loads(&self) -> Vec<(u64, u64)> {
        self.read_loads_where(|_| true)
    }

    /// The file ranges of the loadable segments whose `p_flags` pass `with`, sorted, joined.
    fn read_loads_where(&self, with: impl Fn(u64) -> bool) -> Vec<(u64, u64)> {
        let mut v: Vec<(u64, u64)> = elf_loads(self.head())
            .unwrap_or_default()
            .into_iter()
            .filter(|&(_, _, _, flags)| with(flags))
            .filter_map(|(_, off, filesz, _)| Some((off, off.checked_add(filesz)?)))
            .filter(|(s, e)| s < e)
            .collect();
        v.sort_unstable();
        merge(v)
    }

    /// The section header table's entries: (name offset, file offset, size, has file bytes).
    fn sections(&self) -> Vec<(u64, u64, u64)> {
        let l = &self.layout;
        let (start, end) = l.sht;
        let Some(t) = self.kept.get(start, end - start) else {
            return Vec::new();
        };
        let e = l.entry() as usize;
        t.chunks_exact(e)
            .map(|s| {
                let num = |o: usize, n: usize| uint(&s[o..o + n], l.big).unwrap_or(0);
                if l.wide {
                    (num(0, 4), num(24, 8), num(32, 8))
                } else {
                    (num(0, 4), num(16, 4), num(20, 4))
                }
            })
            .collect()
    }

    /// The `.shstrtab` section's entry and bytes, if it was kept whole.
    fn names(&self) -> Option<&[u8]> {
        let (_, off, size) = *self.sections().get(self.layout.shstrndx as usize)?;
        self.kept.get(off, size)
    }

    /// What is still worth keeping once the section header table is read (see `wanted`).
    fn wanted_after_sht(&self) -> Vec<(u64, u64)> {
        let sections = self.sections();
        let range = |&(_, off, size): &(u64, u64, u64)| Some((off, off.checked_add(size)?));
        let mut v: Vec<(u64, u64)> = sections
            .get(self.layout.shstrndx as usize)
            .and_then(range)
            .into_iter()
            .collect();
        match self.names() {
            Some(names) => v.extend(
                sections
                    .iter()
                    .filter(|&&(name, _, _)| {
                        let n = usize::try_from(name).unwrap_or(usize::MAX);
                        names.get(n..).is_some_and(|s| s.starts_with(DEP_V0))
                    })
                    .filter_map(range),
            ),
            None => v.extend(
                sections
                    .iter()
                    .filter_map(range)
                    .flat_map(|r| gaps(r, &self.loads)),
            ),
        }
        v.retain(|(s, e)| s < e);
        v.sort_unstable();
        merge(v)
    }

    fn finish(self) -> Record {
        let fmt = "ELF".to_string();
        match self.auditable() {
            Ok(Some(rec)) => return rec,
            Ok(None) => {}
            Err(reason) => {
                return Record::Unknown {
                    format: fmt,
                    reason: Some(reason),
                }
            }
        }
        if self.go_at.is_some() {
            let segs = elf_segments(self.head());
            let read = |off: u64, len: u64| {
                if off.checked_add(len).is_some_and(|e| e <= self.size) {
                    if len == 0 {
                        return Ok(&[][..]);
                    }
                    self.kept
                        .get(off, len)
                        .or_else(|| self.go_strings.get(off, len))
                        .ok_or(NOT_KEPT)
                } else {
                    Err("outside the file")
                }
            };
            return super::go_record(go_parse(&self.go_blob, segs.as_deref(), read), fmt);
        }
        if self.rust_seen {
            return Record::RustUnaudited { format: fmt };
        }
        Record::Unknown {
            format: fmt,
            reason: None,
        }
    }

    /// cargo-auditable's data, read by `auditable-info` from a file of the kept bytes: the
    /// header, `.shstrtab`, `.dep-v0` and the section header table, with the two sections'
    /// offsets moved to where they now are. `Err`: the bytes it needs were not kept.
    fn auditable(&self) -> Result<Option<Record>, String> {
        let l = &self.layout;
        let sections = self.sections();
        let in_file = |off: u64, size: u64| off.checked_add(size).is_some_and(|e| e <= self.size);
        let shstr = sections.get(l.shstrndx as usize).copied();
        let names = shstr
            .filter(|&(_, o, n)| in_file(o, n))
            .map(|(_, o, n)| self.kept.get(o, n).ok_or(".shstrtab"))
            .transpose()
            .map_err(|s| self.not_kept(s))?;
        // binfarce names each section in order until `.dep-v0`: the first so named.
        let dep = names.and_then(|names| {
            sections.iter().position(|&(name, _, _)| {
                let n = usize::try_from(name).unwrap_or(usize::MAX);
                names.get(n..).is_some_and(|s| s.starts_with(DEP_V0))
            })
        });
        let dep_bytes = dep
            .map(|i| sections[i])
            .filter(|&(_, o, n)| in_file(o, n))
            .map(|(_, o, n)| self.kept.get(o, n).ok_or(".dep-v0"))
            .transpose()
            .map_err(|s| self.not_kept(s))?;
        let mut file = self.head().get(..64).unwrap_or(&[]).to_vec();
        // Each of the two sections moves next to the header; one whose bytes are not in the
        // file (as binfarce finds too) moves out of the new file's reach, so it stays unread.
        const GONE: u64 = u32::MAX as u64;
        let mut moved = Vec::new();
        if let Some(i) = shstr.map(|_| l.shstrndx as usize) {
            moved.push((i, names.map_or(GONE, |_| file.len() as u64)));
            file.extend_from_slice(names.unwrap_or(&[]));
        }
        if let Some(i) = dep {
            moved.push((i, dep_bytes.map_or(GONE, |_| file.len() as u64)));
            file.extend_from_slice(dep_bytes.unwrap_or(&[]));
        }
        let shoff = file.len() as u64;
        let (start, end) = l.sht;
        let mut table = self.kept.get(start, end - start).unwrap_or(&[]).to_vec();
        let e = l.entry() as usize;
        for (i, off) in moved {
            let (at, n) = if l.wide {
                (i * e + 24, 8)
            } else {
                (i * e + 16, 4)
            };
            if let Some(field) = table.get_mut(at..at + n) {
                put(field, off, l.big);
            }
        }
        file.extend_from_slice(&table);
        if l.sht.0 == l.sht.1 && l.shnum > 0 {
            // No table in the file: leave the header's offset pointing past the end, as it did.
        } else {
            let (at, n) = if l.wide { (0x28, 8) } else { (0x20, 4) };
            if let Some(field) = file.get_mut(at..at + n) {
                put(field, shoff, l.big);
            }
        }
        Ok(super::auditable(&file))
    }

    fn not_kept(&self, what: &str) -> String {
        format!(
            "its {what} section is in bytes not kept as the file streamed by (inside a loadable segment, or past the {} MiB of unloaded sections kept)",
            MAX_UNLOADED >> 20
        )
    }
}

/// `.dep-v0`'s name as `.shstrtab` holds it.
const DEP_V0: &[u8] = b".dep-v0\0";

const NOT_KEPT: &str = "in bytes a stream does not keep (behind the build info)";

fn put(field: &mut [u8], v: u64, big: bool) {
    let n = field.len();
    for (i, b) in field.iter_mut().enumerate() {
        let shift = if big { (n - 1 - i) * 8 } else { i * 8 };
        *b = (v >> shift) as u8;
    }
}

/// Sorted ranges with the touching or overlapping ones joined.
fn merge(v: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(v.len());
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// The parts of `r` outside every range of `sorted`.
fn gaps(r: (u64, u64), sorted: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut from = r.0;
    for &(s, e) in sorted {
        if e <= from {
            continue;
        }
        if s >= r.1 {
            break;
        }
        if s > from {
            out.push((from, s));
        }
        from = from.max(e);
    }
    if from < r.1 {
        out.push((from, r.1));
    }
    out
}

/// The parts of `r` inside ranges of `sorted`.
fn overlaps(r: (u64, u64), sorted: &[(u64, u64)]) -> Vec<(u64, u64)> {
    sorted
        .iter()
        .filter_map(|&(s, e)| {
            let (a, b) = (s.max(r.0), e.min(r.1));
            (a < b).then_some((a, b))
        })
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::record;
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(
            gaps((0, 100), &[(10, 20), (50, 60)]),
            [(0, 10), (20, 50), (60, 100)]
        );
        assert_eq!(gaps((15, 55), &[(10, 20), (50, 60)]), [(20, 50)]);
        assert_eq!(
            overlaps((15, 55), &[(10, 20), (50, 60)]),
            [(15, 20), (50, 55)]
        );
        assert_eq!(merge(vec![(0, 5), (5, 8), (10, 12)]), [(0, 8), (10, 12)]);
    }

    #[test]
    fn a_finder_sees_matches_across_chunks() {
        let mut data = vec![b'x'; 300];
        data[100..107].copy_from_slice(b"/rustc/");
        data[200..207].copy_from_slice(b"/rustc/");
        for chunk in [1, 2, 7, 56, 57, 64, 101, 300] {
            let mut f = Finder::new(b"/rustc/", 10);
            let mut hits = Vec::new();
            let mut at = 0;
            for c in data.chunks(chunk) {
                f.feed(at, c, |w, i| {
                    assert_eq!(&w[..7], b"/rustc/");
                    hits.push(i);
                    false
                });
                at += c.len() as u64;
            }
            assert_eq!(hits, [100, 200], "chunks of {chunk}");
        }
    }

    /// `data` read as the layer walk reads it: its first [`super::SNIFF`] bytes, then `rest`
    /// in reads of at most `chunk` bytes.
    pub(crate) fn streamed(data: &[u8], chunk: usize) -> Record {
        struct Chunked<'a>(&'a [u8], usize);
        impl Read for Chunked<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let (head, rest) = data.split_at(super::super::SNIFF.min(data.len()));
        super::super::read(head, data.len() as u64, &mut Chunked(rest, chunk)).unwrap()
    }

    /// A little-endian ELF64 file: one PT_LOAD segment (code) holding `loaded`, then the
    /// unloaded sections `.dep-v0` (when given) and `.shstrtab`, then the section header table.
    fn elf(loaded: &[u8], dep_v0: Option<&[u8]>) -> Vec<u8> {
        elf_loads(&[(PF_R | PF_X, loaded)], dep_v0)
    }

    const PF_R: u32 = 4;
    const PF_W: u32 = 2;
    const PF_X: u32 = super::PF_X as u32;
    /// Where [`elf_loads`] puts the first segment's bytes, and the segments' virtual base.
    const HEAD: usize = 0x100;
    const BASE: u64 = 0x400000;

    /// As [`elf`], with PT_LOAD segments (`p_flags`, bytes) one after the other from [`HEAD`],
    /// the first one starting at offset 0 (over the headers, as linkers make it), each at
    /// virtual address [`BASE`] + its file offset.
    fn elf_loads(segments: &[(u32, &[u8])], dep_v0: Option<&[u8]>) -> Vec<u8> {
        let mut d = vec![0u8; HEAD];
        d[..4].copy_from_slice(b"\x7fELF");
        d[4] = 2;
        d[5] = 1;
        d[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        d[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        d[0x38..0x3a].copy_from_slice(&(segments.len() as u16).to_le_bytes());
        for (i, (flags, bytes)) in segments.iter().enumerate() {
            let off = if i == 0 { 0 } else { d.len() as u64 };
            d.extend_from_slice(bytes);
            let ph = 64 + 56 * i;
            d[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes());
            d[ph + 4..ph + 8].copy_from_slice(&flags.to_le_bytes());
            d[ph + 8..ph + 16].copy_from_slice(&off.to_le_bytes());
            d[ph + 16..ph + 24].copy_from_slice(&(BASE + off).to_le_bytes());
            let filesz = d.len() as u64 - off;
            d[ph + 32..ph + 40].copy_from_slice(&filesz.to_le_bytes());
        }
        let names = b"\0.shstrtab\0.dep-v0\0";
        let mut sections = vec![(0u32, 0u64, 0u64)];
        if let Some(dep) = dep_v0 {
            sections.push((11, d.len() as u64, dep.len() as u64));
            d.extend_from_slice(dep);
        }
        sections.push((1, d.len() as u64, names.len() as u64));
        d.extend_from_slice(names);
        let shoff = d.len() as u64;
        for (name, off, size) in &sections {
            let mut e = [0u8; 64];
            e[..4].copy_from_slice(&name.to_le_bytes());
            e[24..32].copy_from_slice(&off.to_le_bytes());
            e[32..40].copy_from_slice(&size.to_le_bytes());
            d.extend_from_slice(&e);
        }
        d[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
        d[0x3c..0x3e].copy_from_slice(&(sections.len() as u16).to_le_bytes());
        d[0x3e..0x40].copy_from_slice(&((sections.len() - 1) as u16).to_le_bytes());
        // Bytes after the table that no section holds (as the bench's padded binaries have).
        d.extend_from_slice(&[0xaa; 100]);
        d
    }

    fn zlib(json: &str) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut z, json.as_bytes()).unwrap();
        z.finish().unwrap()
    }

    fn rust_path() -> Vec<u8> {
        let mut p = b"panicked at /rustc/".to_vec();
        p.extend_from_slice(&[b'a'; 40]);
        p.extend_from_slice(b"/library/core/src/option.rs");
        p
    }

    fn go_inline() -> Vec<u8> {
        let mut g = vec![0u8; 3];
        g.extend_from_slice(GO_MAGIC);
        g.extend_from_slice(&[8, 2]);
        g.extend_from_slice(&[0; 16]);
        let modinfo = format!(
            "{}path\texample.com/x\nmod\texample.com/x\t(devel)\t\n{}",
            "0123456789abcdef", "fedcba9876543210"
        );
        g.push(9);
        g.extend_from_slice(b"go1.22.10");
        g.push(modinfo.len() as u8);
        g.extend_from_slice(modinfo.as_bytes());
        // Put the magic on a 16-byte boundary of the file (the header is 0x100 bytes).
        let mut loaded = vec![b'.'; 16 - 3];
        loaded.extend(g);
        loaded
    }

    /// Go before 1.18 as its linker lays the file out: code, then `.rodata` (in the segment
    /// with flags `strings_in`) holding the version and module strings, then the writable data
    /// segment opening with `.go.buildinfo`, whose two pointers lead to string headers after
    /// it, which point back at the strings. `.rodata` also holds a `go1.` that is not the
    /// version and a stray opening sentinel before the module text.
    fn go_pointers(strings_in: u32, modinfo: &[u8]) -> Vec<u8> {
        let text = [0x90u8; 0x40];
        let mut rodata = b"needs go1.x or later; ".to_vec();
        rodata.extend_from_slice(INFO_START);
        rodata.extend_from_slice(b"\0\0");
        let vers_at = rodata.len();
        rodata.extend_from_slice(b"go1.16.15");
        let mod_at = rodata.len();
        rodata.extend_from_slice(modinfo);
        rodata.extend_from_slice(b"go1.16.15 again, after");
        // The data segment, and so the build info, starts on a 16-byte boundary.
        rodata.resize(
            (HEAD + text.len() + rodata.len()).next_multiple_of(16) - HEAD - text.len(),
            0,
        );
        let ro = (HEAD + text.len()) as u64;
        let data_at = BASE + ro + rodata.len() as u64;
        let mut data = GO_MAGIC.to_vec();
        data.extend_from_slice(&[8, 0]);
        data.extend_from_slice(&(data_at + 32).to_le_bytes());
        data.extend_from_slice(&(data_at + 48).to_le_bytes());
        data.extend_from_slice(&(BASE + ro + vers_at as u64).to_le_bytes());
        data.extend_from_slice(&9u64.to_le_bytes());
        data.extend_from_slice(&(BASE + ro + mod_at as u64).to_le_bytes());
        data.extend_from_slice(&(modinfo.len() as u64).to_le_bytes());
        data.extend_from_slice(&[0u8; 64]);
        elf_loads(
            &[
                (PF_R | PF_X, &text),
                (strings_in, &rodata),
                (PF_R | PF_W, &data),
            ],
            None,
        )
    }

    /// What cmd/go put in `runtime.modinfo` before 1.18: the module lines between sentinels.
    fn framed(lines: &str) -> Vec<u8> {
        let mut m = INFO_START.to_vec();
        m.extend_from_slice(lines.as_bytes());
        m.extend_from_slice(INFO_END);
        m
    }

    #[test]
    fn the_stream_reads_pre_1_18_strings_before_the_build_info() {
        let lines = "path\texample.com/old\nmod\texample.com/old\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.7\th1:abc=\n";
        let m = framed(lines);
        for (what, f) in [
            ("modules", go_pointers(PF_R, &m)),
            ("GOPATH mode: no module text", go_pointers(PF_R, b"")),
        ] {
            let whole = record(&f);
            let Record::Go(bi) = &whole else {
                panic!("{what}: {whole:?}")
            };
            assert_eq!(bi.go_version, "go1.16.15", "{what}");
            for chunk in [1, 7, 13, 4096, 1 << 20] {
                assert_eq!(streamed(&f, chunk), whole, "{what}, chunks of {chunk}");
            }
        }
        let Record::Go(bi) = record(&go_pointers(PF_R, &m)) else {
            unreachable!()
        };
        assert_eq!(bi.lines()[2], "dep\tgolang.org/x/text\tv0.3.7\th1:abc=");
        // Every prefix: no panic, and the stream says what the whole prefix says.
        let f = go_pointers(PF_R, &m);
        for i in (64..f.len()).step_by(5) {
            assert_eq!(streamed(&f[..i], 3), record(&f[..i]), "prefix {i}");
        }
        // Strings in code are not searched for: the stream says what it could not read (in
        // chunks of one byte, which leave nothing before the build info in its chunk).
        let f = go_pointers(PF_R | PF_X, &m);
        assert!(matches!(record(&f), Record::Go(_)));
        let r = streamed(&f, 1);
        assert!(
            matches!(&r, Record::Unknown { reason: Some(r), .. } if r.contains("does not keep")),
            "{r:?}"
        );
    }

    #[test]
    fn windows_keep_what_follows_their_needles_within_the_budget() {
        let mut data = vec![b'.'; 200];
        data[10..14].copy_from_slice(b"go1.");
        data[20..24].copy_from_slice(b"go1."); // inside the first window: it runs on
        data[150..154].copy_from_slice(b"go1.");
        for chunk in [1, 3, 50, 200] {
            let mut w = Windows::new(b"go1.", None, 16, 1000);
            for (i, c) in data.chunks(chunk).enumerate() {
                w.feed((i * chunk) as u64, c);
            }
            let all: Vec<(u64, usize)> = w.all().map(|(s, v)| (s, v.len())).collect();
            assert_eq!(all, [(10, 26), (150, 16)], "chunks of {chunk}");
        }
        // A gap closes the open window; the budget bounds what is kept.
        let mut w = Windows::new(b"go1.", None, 16, 20);
        w.feed(0, &data[..30]);
        w.feed(100, &data[140..170]);
        assert_eq!(
            w.all().map(|(s, v)| (s, v.len())).collect::<Vec<_>>(),
            [(10, 20)]
        );
        // A window that must close and does not within its length is dropped.
        let mut w = Windows::new(b"go1.", Some(b"END"), 16, 1000);
        w.feed(0, &data);
        assert_eq!(w.all().count(), 0);
        data[30..33].copy_from_slice(b"END");
        let mut w = Windows::new(b"go1.", Some(b"END"), 100, 1000);
        w.feed(0, &data);
        assert_eq!(
            w.all().map(|(s, v)| (s, v.len())).collect::<Vec<_>>(),
            [(10, 23), (150, 50)]
        );
    }

    #[test]
    fn the_stream_reads_what_the_whole_file_says() {
        let json = r#"{"packages":[{"name":"a","version":"1.0.0","source":"crates.io","root":true},{"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"}]}"#;
        let dep = zlib(json);
        let mut both = go_inline();
        both.extend(rust_path());
        let files = [
            ("rust, auditable", elf(&rust_path(), Some(&dep))),
            ("rust, not auditable", elf(&rust_path(), None)),
            ("go", elf(&go_inline(), None)),
            ("go and rust's paths", elf(&both, None)),
            ("nothing", elf(&[b'x'; 500], None)),
            ("corrupt .dep-v0", elf(&[], Some(&dep[..dep.len() / 2]))),
        ];
        for (what, f) in &files {
            let whole = record(f);
            assert!(
                !matches!(whole, Record::Unknown { reason: None, .. }) || *what == "nothing",
                "{what}: {whole:?}"
            );
            for chunk in [1, 7, 13, 64, 4096, 1 << 20] {
                assert_eq!(streamed(f, chunk), whole, "{what}, chunks of {chunk}");
            }
        }
        assert!(matches!(record(&files[0].1), Record::Rust { ref crates } if crates.len() == 2));
        // Every prefix: no panic, and the stream says what the whole prefix says.
        let f = &files[0].1;
        for i in (64..f.len()).step_by(7) {
            assert_eq!(streamed(&f[..i], 5), record(&f[..i]), "prefix {i}");
        }
    }
}
