//! Compiled executables found in the layer walk by their magic bytes, and what they say about
//! how they were built: cargo-auditable's dependency tree (Rust) and Go's build info.
//!
//! What is buffered, and the bound: the walk reads the first [`SNIFF`] bytes of every regular
//! file with an execute bit. An ELF one is read as it streams by ([`stream`]): the loadable
//! segments (code and read-only data, most of the file) are scanned for Go's build-info magic
//! and Rust's std paths and not kept; what is kept is the headers, the section header table,
//! `.shstrtab` and `.dep-v0` (before the section header table is read, every byte outside the
//! loadable segments, at most [`stream::MAX_UNLOADED`], 64 MiB) and Go's build info — for a
//! Lambda binary a few hundred kB, whatever its size. A PE or Mach-O one (not what Lambda runs)
//! is read whole. Either way at most [`MAX_BINARY`] (256 MiB) is read, one file at a time per
//! reading thread, and freed as soon as the [`Record`] is made: a few kB (the crate list, the
//! Go module list). A larger file is not read past its first bytes and is listed as an unknown
//! binary too large to read. The stream says what [`record`] says of the whole file (tests
//! hold it to that on every binary the tests build, in chunks of 1, 7, 4096 … bytes), Go
//! before 1.18 included: its strings, which lie before the build info, are caught on the way
//! by what they start with; one the stream did not catch is said to be unreadable (see
//! [`stream`]).
//!
//! Within the file, every reader is held to the bytes it was given: cargo-auditable's zlib data
//! may inflate to at most [`MAX_AUDIT_JSON`] (the `auditable-info` crate's limit, so a zip bomb
//! stops there), and a Go build-info string to the file's own length and [`MAX_GO_STRING`].

use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::image::capture::Executables;
pub use crate::image::capture::SNIFF;

pub mod stream;

/// Largest executable read whole (see the module doc).
pub const MAX_BINARY: u64 = 256 << 20;
/// Largest cargo-auditable JSON inflated (auditable-info's own default: 8 MiB).
pub const MAX_AUDIT_JSON: usize = 8 << 20;
/// Largest Go build-info string read (Go's own reader stops at 64 MiB; real ones are a few kB).
pub const MAX_GO_STRING: u64 = 4 << 20;

/// Marks a captured entry as an executable's [`Record`] rather than a file's bytes.
const TAG: &[u8] = b"\0lambda-gate executable v1\0";

/// What one executable says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Record {
    /// Built with `cargo auditable`: its crates as `.dep-v0` lists them.
    Rust { crates: Vec<Crate> },
    /// Rust (by the standard library's source paths in its panic messages), no `.dep-v0`.
    RustUnaudited { format: String },
    /// A Go executable's build info.
    Go(GoBuildInfo),
    /// Neither; `reason` says why when the file was not fully read or its data was corrupt.
    Unknown {
        format: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

impl Record {
    /// How the biggest-files view names the executable.
    pub fn label(&self) -> String {
        match self {
            Record::Rust { .. } => "Rust, cargo-auditable".into(),
            Record::RustUnaudited { .. } => "Rust, no dependency list".into(),
            Record::Go(bi) => format!("Go {}", bi.go_version),
            Record::Unknown { .. } => "unknown binary".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Crate {
    pub name: String,
    pub version: String,
    /// `crates.io`, `git`, `local`, `registry` or what a newer format says.
    pub source: String,
    /// Only a build dependency (build scripts, proc-macros): not in the running code.
    pub build_only: bool,
    /// The binary's own crate.
    pub root: bool,
}

/// What `go version -m` prints, as `runtime/debug.BuildInfo` holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoBuildInfo {
    /// `go1.19.8`.
    pub go_version: String,
    pub path: String,
    pub main: Option<GoModule>,
    pub deps: Vec<GoModule>,
    /// `build` lines, `key=value` as written.
    pub settings: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoModule {
    pub path: String,
    pub version: String,
    pub sum: String,
    pub replace: Option<Box<GoModule>>,
}

/// The hook the layer walk is given (`Capture::with_executables`).
pub fn executables() -> Executables {
    Executables {
        magic: |h| format(h).is_some(),
        read: |head, size, rest| Ok(keep(&read(head, size, rest)?)),
    }
}

/// What the executable whose first bytes are `head` (of `size` in all; `rest` reads the others)
/// says about itself: an ELF file as it streams by ([`stream`]), another format read whole, a
/// file over [`MAX_BINARY`] not read past `head`.
pub fn read(head: &[u8], size: u64, rest: &mut dyn std::io::Read) -> std::io::Result<Record> {
    if size > MAX_BINARY {
        return Ok(Record::Unknown {
            format: format(head).unwrap_or("?").into(),
            reason: Some(format!(
                "{size} bytes, over the {} MiB an executable is read to",
                MAX_BINARY >> 20
            )),
        });
    }
    if let Some(rec) = stream::read(head, size, rest)? {
        return Ok(rec);
    }
    let mut data = Vec::with_capacity(size as usize);
    data.extend_from_slice(head);
    rest.take(size - head.len() as u64).read_to_end(&mut data)?;
    Ok(record(&data))
}

/// The executable format named by the first bytes, if any.
pub fn format(head: &[u8]) -> Option<&'static str> {
    match head {
        [0x7f, b'E', b'L', b'F', ..] => Some("ELF"),
        [b'M', b'Z', ..] => Some("PE"),
        [0xfe, 0xed, 0xfa, 0xce | 0xcf, ..]
        | [0xce | 0xcf, 0xfa, 0xed, 0xfe, ..]
        | [0xca, 0xfe, 0xba, 0xbe, ..] => Some("Mach-O"),
        _ => None,
    }
}

/// What the capture keeps of the executable `data`, read as the layer walk reads it (for the
/// fuzz target, which holds it to [`record`] of the whole).
pub fn extract(data: &[u8]) -> Vec<u8> {
    let (head, mut rest) = data.split_at(SNIFF.min(data.len()));
    // Reading from a slice does not fail.
    keep(&read(head, data.len() as u64, &mut rest).unwrap_or_else(|_| record(data)))
}

/// The tagged [`Record`], as the capture keeps it.
fn keep(rec: &Record) -> Vec<u8> {
    let mut out = TAG.to_vec();
    // A Record always serializes (strings and numbers only).
    out.extend(serde_json::to_vec(rec).unwrap_or_default());
    out
}

/// A captured entry's [`Record`], if it is one.
pub fn decode(captured: &[u8]) -> Option<Record> {
    serde_json::from_slice(captured.strip_prefix(TAG)?).ok()
}

/// Every visible executable's record, by path (no leading `/`), in path order.
pub fn visible<'a>(files: &super::Files<'a>) -> Vec<(&'a str, Record)> {
    files
        .visible_matching(|_| true)
        .filter_map(|(p, d)| Some((p, decode(d)?)))
        .collect()
}

/// Whether `path` is named as a shared library (`.so`, `.so.1`, `.dylib`, `.dll`, `.pyd`): a
/// Python or Node extension module is Rust or Go as often as not (pydantic-core, orjson), but
/// it came in a wheel the function's team does not build, so no finding asks them to.
pub fn library_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.ends_with(".so")
        || name.contains(".so.")
        || [".dylib", ".dll", ".pyd", ".node"]
            .iter()
            .any(|e| name.ends_with(e))
}

/// What a whole executable says about itself: cargo-auditable's data first, then Go's build
/// info, then Rust's std paths. [`stream`] makes the same record from an ELF file's stream.
pub fn record(data: &[u8]) -> Record {
    let fmt = format(data).unwrap_or("?").to_string();
    if let Some(rec) = auditable(data) {
        return rec;
    }
    if let Some(bi) = go_build_info(data).transpose() {
        return go_record(bi, fmt);
    }
    if is_rust(data) {
        return Record::RustUnaudited { format: fmt };
    }
    Record::Unknown {
        format: fmt,
        reason: None,
    }
}

/// The record cargo-auditable's `.dep-v0` makes of `data`, read by `auditable-info`; `None`
/// when there is none (or the file's headers do not hold together: then it may be Go).
fn auditable(data: &[u8]) -> Option<Record> {
    match auditable_info::audit_info_from_slice(data, MAX_AUDIT_JSON) {
        Ok(info) => {
            let crates = info
                .packages
                .into_iter()
                .map(|p| Crate {
                    name: p.name,
                    version: p.version.to_string(),
                    source: source_name(&p.source),
                    build_only: matches!(p.kind, auditable_serde::DependencyKind::Build),
                    root: p.root,
                })
                .collect();
            Some(Record::Rust { crates })
        }
        Err(auditable_info::Error::NoAuditData | auditable_info::Error::BinaryParsing(_)) => None,
        Err(e) => Some(Record::Unknown {
            format: format(data).unwrap_or("?").into(),
            reason: Some(format!(
                "its cargo-auditable data (.dep-v0) is unreadable: {e}"
            )),
        }),
    }
}

fn go_record(bi: Result<GoBuildInfo, String>, format: String) -> Record {
    match bi {
        Ok(bi) => Record::Go(bi),
        Err(e) => Record::Unknown {
            format,
            reason: Some(format!("its Go build info is unreadable: {e}")),
        },
    }
}

fn source_name(s: &auditable_serde::Source) -> String {
    String::from(s.clone())
}

/// Rust's standard library is linked with its source paths remapped to
/// `/rustc/<40-hex commit>/library/`, and they stay in the panic locations of every Rust
/// executable that links std, stripped or not (`strip` removes symbols, not `.rodata`).
/// A `.rustc` section is only in dylibs and proc-macros, so it cannot tell executables.
pub fn is_rust(data: &[u8]) -> bool {
    let finder = memchr::memmem::Finder::new(b"/rustc/");
    let found = stream::overlapping(&finder, data).any(|i| rust_std_path(&data[i..]));
    found
}

/// Whether `b`, which starts with `/rustc/`, goes on as a std source path (and one byte more).
fn rust_std_path(b: &[u8]) -> bool {
    let rest = &b[7..];
    rest.len() > 49
        && rest[..40].iter().all(u8::is_ascii_hexdigit)
        && rest[40..].starts_with(b"/library/")
}

const GO_MAGIC: &[u8] = b"\xff Go buildinf:";
const GO_HEADER: usize = 32;
const GO_ALIGN: usize = 16;

/// Go's build info, read as `debug/buildinfo` reads it (Go's src/debug/buildinfo/buildinfo.go),
/// by hand: no maintained crate reads it (the ones on crates.io read the 1.18+ layout only, or
/// map whole files through `object`), and the format is two small layouts.
///
/// The blob starts with the 14-byte magic `\xff Go buildinf:` on a 16-byte boundary of the
/// data section (so also of the file: sections are loaded at file offsets congruent to their
/// addresses modulo the page size), then the pointer size and a flags byte. Since Go 1.18
/// (flag 2) the version and module strings follow the 32-byte header inline, each a uvarint
/// length and its bytes. Before it, the header holds two pointers (byte order from the flags)
/// to Go string headers (pointer, length) at virtual addresses, mapped to file offsets through
/// the ELF program headers; pre-1.18 PE and Mach-O files are said to be unreadable here.
///
/// `Ok(None)`: not a Go executable. `Err`: it is one, and its build info does not hold together.
pub fn go_build_info(data: &[u8]) -> Result<Option<GoBuildInfo>, String> {
    let Some(at) = go_magic(data) else {
        return Ok(None);
    };
    let read = |off: u64, len: u64| {
        let o = usize::try_from(off).map_err(|_| "outside the file")?;
        let n = usize::try_from(len).map_err(|_| "outside the file")?;
        data.get(o..o.checked_add(n).ok_or("outside the file")?)
            .ok_or("outside the file")
    };
    go_parse(&data[at..], elf_segments(data).as_deref(), read).map(Some)
}

/// Where Go's build info starts: its magic on a 16-byte boundary with a whole header after it.
fn go_magic(data: &[u8]) -> Option<usize> {
    memchr::memmem::find_iter(data, GO_MAGIC)
        .find(|&i| i % GO_ALIGN == 0 && data.len() - i >= GO_HEADER)
}

/// How many bytes from the magic the build info in `h` (its first bytes) takes: the header,
/// and in the inline layout the two strings, as far as the lengths read so far tell. A length
/// over [`MAX_GO_STRING`] ends it there (the parse then says so).
fn go_extent(h: &[u8]) -> u64 {
    if h.len() < GO_HEADER || h[15] & 2 == 0 {
        return GO_HEADER as u64;
    }
    let mut at = GO_HEADER;
    for _ in 0..2 {
        let (mut len, mut shift, mut i) = (0u64, 0u32, at);
        loop {
            let Some(&byte) = h.get(i) else {
                return i as u64 + 1;
            };
            if shift > 63 {
                return i as u64;
            }
            len |= ((byte & 0x7f) as u64) << shift;
            i += 1;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        if len > MAX_GO_STRING {
            return i as u64;
        }
        at = i + len as usize;
    }
    at as u64
}

/// The build info `h` (from the magic on) holds; `read(offset, len)` gives the file's bytes
/// the pre-1.18 layout points at, through the ELF segments `segs`.
fn go_parse<'a>(
    h: &[u8],
    segs: Option<&[(u64, u64, u64)]>,
    read: impl Fn(u64, u64) -> Result<&'a [u8], &'static str>,
) -> Result<GoBuildInfo, String> {
    let ptr_size = h[14] as usize;
    let flags = h[15];
    let (vers, modinfo) = if flags & 2 != 0 {
        let (vers, rest) = varint_string(&h[GO_HEADER..])?;
        let (modinfo, _) = varint_string(rest)?;
        (vers.to_vec(), modinfo.to_vec())
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return Err(format!("pointer size {ptr_size}, not 4 or 8"));
        }
        let big = flags != 0;
        let read_ptr = |b: &[u8]| -> u64 {
            let mut v = 0u64;
            for i in 0..ptr_size {
                let byte = if big { b[i] } else { b[ptr_size - 1 - i] };
                v = v << 8 | byte as u64;
            }
            v
        };
        let segs = segs.ok_or("pre-1.18 build info outside an ELF file")?;
        let at = |addr: u64, len: u64| -> Result<&'a [u8], String> {
            let off = segs
                .iter()
                .find_map(|&(vaddr, off, filesz)| {
                    let rel = addr.checked_sub(vaddr)?;
                    (rel.checked_add(len)? <= filesz).then_some(off.checked_add(rel)?)
                })
                .ok_or_else(|| format!("address {addr:#x} (+{len}) is outside the file"))?;
            read(off, len).map_err(|e| format!("address {addr:#x} (+{len}) is {e}"))
        };
        let string = |addr: u64| -> Result<Vec<u8>, String> {
            let hdr = at(addr, 2 * ptr_size as u64)?;
            let (p, n) = (read_ptr(hdr), read_ptr(&hdr[ptr_size..]));
            if n > MAX_GO_STRING {
                return Err(format!("a string of {n} bytes"));
            }
            Ok(at(p, n)?.to_vec())
        };
        (
            string(read_ptr(&h[16..]))?,
            string(read_ptr(&h[16 + ptr_size..]))?,
        )
    };
    // The module text is framed by 16-byte sentinels, newline before the closing one.
    let n = modinfo.len();
    let modinfo = if n >= 33 && modinfo[n - 17] == b'\n' {
        &modinfo[16..n - 16]
    } else {
        &[][..]
    };
    let mut bi = parse_modinfo(&String::from_utf8_lossy(modinfo));
    bi.go_version = String::from_utf8_lossy(&vers).into_owned();
    if bi.go_version.is_empty() {
        return Err("no Go version".into());
    }
    Ok(bi)
}

fn varint_string(b: &[u8]) -> Result<(&[u8], &[u8]), String> {
    let (mut len, mut shift, mut i) = (0u64, 0u32, 0usize);
    loop {
        let byte = *b.get(i).ok_or("a length runs past the end of the file")?;
        if shift > 63 {
            return Err("a length is not a varint".into());
        }
        len |= ((byte & 0x7f) as u64) << shift;
        i += 1;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let rest = &b[i..];
    if len > MAX_GO_STRING {
        return Err(format!(
            "a string of {len} bytes, over the {} MiB read",
            MAX_GO_STRING >> 20
        ));
    }
    if len > rest.len() as u64 {
        return Err(format!(
            "a string of {len} bytes where {} remain",
            rest.len()
        ));
    }
    Ok(rest.split_at(len as usize))
}

/// (virtual address, file offset, file size) of every PT_LOAD segment of an ELF file.
fn elf_segments(d: &[u8]) -> Option<Vec<(u64, u64, u64)>> {
    Some(
        elf_loads(d)?
            .into_iter()
            .map(|(vaddr, off, filesz, _)| (vaddr, off, filesz))
            .collect(),
    )
}

/// (virtual address, file offset, file size, `p_flags`) of every PT_LOAD segment.
fn elf_loads(d: &[u8]) -> Option<Vec<(u64, u64, u64, u64)>> {
    if d.get(..4)? != b"\x7fELF" {
        return None;
    }
    let wide = *d.get(4)? == 2;
    let big = *d.get(5)? == 2;
    let num = |o: usize, n: usize| -> Option<u64> {
        let b = d.get(o..o.checked_add(n)?)?;
        Some(b.iter().enumerate().fold(0u64, |v, (i, _)| {
            v << 8 | if big { b[i] } else { b[n - 1 - i] } as u64
        }))
    };
    let (phoff, phentsize, phnum) = if wide {
        (num(0x20, 8)?, num(0x36, 2)?, num(0x38, 2)?)
    } else {
        (num(0x1c, 4)?, num(0x2a, 2)?, num(0x2c, 2)?)
    };
    let mut out = Vec::new();
    for i in 0..phnum {
        let o = usize::try_from(phoff.checked_add(i.checked_mul(phentsize)?)?).ok()?;
        if num(o, 4)? != 1 {
            continue; // not PT_LOAD
        }
        out.push(if wide {
            (
                num(o + 16, 8)?,
                num(o + 8, 8)?,
                num(o + 32, 8)?,
                num(o + 4, 4)?,
            )
        } else {
            (
                num(o + 8, 4)?,
                num(o + 4, 4)?,
                num(o + 16, 4)?,
                num(o + 24, 4)?,
            )
        });
    }
    Some(out)
}

/// `runtime/debug.ParseBuildInfo`'s line format: `path`, `mod`, `dep`, `=>` (replaces the
/// module on the line before), `build`.
fn parse_modinfo(text: &str) -> GoBuildInfo {
    let mut bi = GoBuildInfo::default();
    let module = |rest: &str| {
        let mut f = rest.split('\t');
        GoModule {
            path: f.next().unwrap_or("").into(),
            version: f.next().unwrap_or("").into(),
            sum: f.next().unwrap_or("").into(),
            replace: None,
        }
    };
    // Whether the last module line was `mod` (false: the last dep).
    let mut last_main = false;
    for line in text.lines() {
        let Some((word, rest)) = line.split_once('\t') else {
            continue;
        };
        match word {
            "path" => bi.path = rest.into(),
            "mod" => {
                bi.main = Some(module(rest));
                last_main = true;
            }
            "dep" => {
                bi.deps.push(module(rest));
                last_main = false;
            }
            "=>" => {
                let target = if last_main {
                    bi.main.as_mut()
                } else {
                    bi.deps.last_mut()
                };
                if let Some(m) = target {
                    m.replace = Some(Box::new(module(rest)));
                }
            }
            "build" => bi.settings.push(rest.into()),
            _ => {}
        }
    }
    bi
}

impl GoBuildInfo {
    /// The lines `go version -m FILE` prints after its first (`FILE: go1.x`), tabs included:
    /// `runtime/debug.BuildInfo.String` without the `go` line.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.path.is_empty() {
            out.push(format!("path\t{}", self.path));
        }
        fn module(out: &mut Vec<String>, word: &str, m: &GoModule) {
            match &m.replace {
                None => out.push(format!("{word}\t{}\t{}\t{}", m.path, m.version, m.sum)),
                Some(r) => {
                    out.push(format!("{word}\t{}\t{}", m.path, m.version));
                    module(out, "=>", r);
                }
            }
        }
        if let Some(m) = &self.main {
            module(&mut out, "mod", m);
        }
        for d in &self.deps {
            module(&mut out, "dep", d);
        }
        for s in &self.settings {
            out.push(format!("build\t{s}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pre-1.18 layout, made by hand (no Go older than 1.18 installs here): one ELF64
    /// PT_LOAD segment at 0x400000 holding the header, two string headers and the strings.
    fn pointer_layout_elf(mod_len_override: Option<u64>) -> Vec<u8> {
        let mut d = vec![0u8; 0x400];
        d[..4].copy_from_slice(b"\x7fELF");
        d[4] = 2; // 64-bit
        d[5] = 1; // little-endian
        d[0x20..0x28].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        d[0x36..0x38].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
        d[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes()); // e_phnum
        let ph = 64;
        d[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        d[ph + 8..ph + 16].copy_from_slice(&0u64.to_le_bytes()); // p_offset
        d[ph + 16..ph + 24].copy_from_slice(&0x400000u64.to_le_bytes()); // p_vaddr
        d[ph + 32..ph + 40].copy_from_slice(&0x400u64.to_le_bytes()); // p_filesz
        let base = 0x400000u64;
        let at = 0x100;
        d[at..at + 14].copy_from_slice(GO_MAGIC);
        d[at + 14] = 8;
        d[at + 15] = 0; // little-endian, pointers
        d[at + 16..at + 24].copy_from_slice(&(base + 0x200).to_le_bytes());
        d[at + 24..at + 32].copy_from_slice(&(base + 0x210).to_le_bytes());
        let vers = b"go1.16.15";
        let modinfo = format!(
            "{}path\texample.com/old\nmod\texample.com/old\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.7\th1:abc=\n{}",
            "0123456789abcdef", "fedcba9876543210"
        );
        d[0x200..0x208].copy_from_slice(&(base + 0x300).to_le_bytes());
        d[0x208..0x210].copy_from_slice(&(vers.len() as u64).to_le_bytes());
        d[0x210..0x218].copy_from_slice(&(base + 0x320).to_le_bytes());
        let n = mod_len_override.unwrap_or(modinfo.len() as u64);
        d[0x218..0x220].copy_from_slice(&n.to_le_bytes());
        d[0x300..0x300 + vers.len()].copy_from_slice(vers);
        d[0x320..0x320 + modinfo.len()].copy_from_slice(modinfo.as_bytes());
        d
    }

    #[test]
    fn reads_the_pre_1_18_pointer_layout() {
        let bi = go_build_info(&pointer_layout_elf(None)).unwrap().unwrap();
        assert_eq!(bi.go_version, "go1.16.15");
        assert_eq!(bi.path, "example.com/old");
        assert_eq!(bi.deps.len(), 1);
        assert_eq!(bi.deps[0].path, "golang.org/x/text");
        assert_eq!(bi.deps[0].sum, "h1:abc=");
        assert_eq!(
            bi.lines()[2],
            "dep\tgolang.org/x/text\tv0.3.7\th1:abc=",
            "as go version -m prints it"
        );
    }

    #[test]
    fn the_stream_reads_the_pre_1_18_layout_as_the_whole_file() {
        for f in [pointer_layout_elf(None), pointer_layout_elf(Some(0x1000))] {
            let whole = record(&f);
            for chunk in [1, 7, 16, 4096] {
                assert_eq!(
                    stream::tests::streamed(&f, chunk),
                    whole,
                    "chunks of {chunk}"
                );
            }
        }
        assert!(matches!(record(&pointer_layout_elf(None)), Record::Go(_)));
    }

    #[test]
    fn hostile_build_info_is_an_error_not_a_panic() {
        // A string length pointing past the segment, and a huge one.
        for n in [0x1000, u64::MAX, 1 << 40] {
            assert!(go_build_info(&pointer_layout_elf(Some(n))).is_err(), "{n}");
        }
        // The inline layout with a length past the end, and a truncated varint.
        let mut d = vec![0u8; 16];
        d.extend_from_slice(GO_MAGIC);
        d.extend_from_slice(&[8, 2]);
        d.extend_from_slice(&[0; 16]);
        let mut long = d.clone();
        long.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f, b'g']);
        assert!(go_build_info(&long).is_err());
        let mut cut = d.clone();
        cut.extend_from_slice(&[0x80]);
        assert!(go_build_info(&cut).is_err());
        // A truncated header is not Go.
        assert_eq!(go_build_info(&d[..30]), Ok(None));
        // Every prefix of a good file: no panic.
        let good = pointer_layout_elf(None);
        for i in 0..good.len() {
            let _ = go_build_info(&good[..i]);
            let _ = record(&good[..i]);
        }
    }

    #[test]
    fn tells_libraries_by_name() {
        assert!(library_name(
            "/var/task/pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so"
        ));
        assert!(library_name("/usr/lib/libssl.so.3"));
        assert!(!library_name("/var/runtime/bootstrap"));
        assert!(!library_name("/opt/sonic"));
    }

    #[test]
    fn knows_rust_by_its_std_paths() {
        let mut d = b"\x7fELF....panicked at /rustc/".to_vec();
        d.extend_from_slice(&[b'a'; 40]);
        d.extend_from_slice(b"/library/core/src/option.rs");
        assert!(is_rust(&d));
        assert!(!is_rust(b"/rustc/short/library/"));
        assert_eq!(
            record(&d),
            Record::RustUnaudited {
                format: "ELF".into()
            }
        );
    }

    #[test]
    fn records_round_trip_through_the_capture() {
        let head = b"\x7fELF\x02\x01\x01";
        let kept = keep(&read(head, 300 << 20, &mut &[][..]).unwrap());
        assert!(matches!(
            decode(&kept),
            Some(Record::Unknown { reason: Some(r), .. }) if r.contains("256 MiB")
        ));
        assert_eq!(decode(b"Package: x"), None);
    }
}
