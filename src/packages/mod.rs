//! The package inventory: what software is installed in the image, read from its package
//! databases in the same single pass over the layers, with the bytes each package occupies.
//!
//! Shaped like Trivy's analyzers: each reader (one file per database kind) declares the paths
//! it wants; the layer walk keeps those files' contents (`image::capture`), and the reader sees
//! only them. This module then does what is common to all of them:
//!
//! - **visibility**: only what is visible in the final filesystem counts. A database copy is
//!   read only when the overlay's node at its path was written by that copy's layer.
//! - **layer**: a package's layer is the layer that installed that version. dpkg, rpm and apk
//!   rewrite their whole database on every install, so the database's top copy says nothing
//!   about when a record came in; the record is looked up in the older copies of the same
//!   file, from the top down, and the lowest layer of the unbroken run of copies holding the
//!   same name and version is the one that installed it (a copy without it breaks the run:
//!   the version was removed and installed again).
//! - **bytes**: a package's files (from its file list) that are regular files visible in the
//!   final filesystem, each path resolved through symlinked directories (`/bin` → `usr/bin`).
//!   Each file counts once: packages claim files in the order of `READERS` (system package
//!   managers first, then language packages), and within a reader in name order, so a file two
//!   packages list (pip's own files listed by Debian's `python3-pip` and by pip's RECORD) goes
//!   to the system package that installed it.

mod apk;
pub mod binary;
mod cargo;
mod dirs;
mod dpkg;
mod golang;
mod node;
mod os;
mod python;
mod rpm;

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::image::layer::Kind;
use crate::image::overlay::{Fs, Node};
use crate::image::Scan;
use crate::model::Package;

pub use os::OsRelease;
pub use python::normalize as pep503;

/// One record a reader found in a visible database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub name: String,
    pub version: String,
    pub purl: String,
    pub license: Option<String>,
    /// The database file the record was read from (no leading `/`); its older copies decide
    /// the layer.
    pub db: String,
    /// The package's files as its database lists them, normalized, no leading `/`.
    pub files: Vec<String>,
    /// [`Package::source`](crate::model::Package::source).
    pub source: Option<String>,
    /// [`Package::build_only`](crate::model::Package::build_only).
    pub build_only: bool,
}

/// A reader of one kind of package database.
pub trait Reader: Sync {
    /// `deb`, `rpm`, `apk`, `pypi`, `npm` (the report's `ecosystem`).
    fn ecosystem(&self) -> crate::model::Ecosystem;
    /// Whether the file at `path` (normalized, no leading `/`) is one this reader reads.
    /// Called for every regular file of every layer: keep it to a few string comparisons.
    fn wants(&self, path: &str) -> bool;
    /// The packages in the visible copies of the wanted files.
    fn read(&self, files: &Files, os: &OsRelease, notes: &mut Vec<String>) -> Vec<Found>;
    /// (name, version) of every record in one copy of database `path`, for the layer
    /// attribution; copies that do not parse hold nothing.
    fn records(&self, path: &str, data: &[u8]) -> Vec<(String, String)>;
}

/// Every reader, in the order they claim files (see the module doc).
pub static READERS: &[&dyn Reader] = &[
    &dpkg::Dpkg,
    &rpm::Rpm,
    &apk::Apk,
    &python::Python,
    &node::Node,
    &cargo::Cargo,
    &golang::Golang,
];

/// The capture predicate the scan is given: any reader's file, or the os-release.
pub fn wanted(path: &str) -> bool {
    os::wants(path) || READERS.iter().any(|r| r.wants(path))
}

/// A `Capture` for `ScanOptions::capture`: the readers' files by path, executables by magic.
pub fn capture() -> std::sync::Arc<crate::image::capture::Capture> {
    std::sync::Arc::new(
        crate::image::capture::Capture::new(wanted).with_executables(binary::executables()),
    )
}

/// The captured files of one scan, by path, every layer's copy.
pub struct Files<'a> {
    fs: &'a Fs,
    /// path → [(layer, bytes)], lowest layer first; a layer's last copy wins (tar semantics).
    copies: BTreeMap<&'a str, Vec<(usize, &'a [u8])>>,
}

impl<'a> Files<'a> {
    pub fn new(scan: &'a Scan) -> Files<'a> {
        Files::from_captures(
            &scan.fs,
            scan.layers.iter().flat_map(|l| {
                l.captured
                    .iter()
                    .map(move |(p, d)| (l.index, p.as_str(), d.as_slice()))
            }),
        )
    }

    /// From (layer, path, bytes) in layer order and the merged filesystem.
    pub fn from_captures(
        fs: &'a Fs,
        captures: impl IntoIterator<Item = (usize, &'a str, &'a [u8])>,
    ) -> Files<'a> {
        let mut copies: BTreeMap<&str, Vec<(usize, &[u8])>> = BTreeMap::new();
        for (layer, path, data) in captures {
            let v = copies.entry(path).or_default();
            match v.last_mut() {
                Some(last) if last.0 == layer => last.1 = data,
                _ => v.push((layer, data)),
            }
        }
        Files { fs, copies }
    }

    /// The copy the final filesystem shows at `path`, and the layer that wrote it.
    pub fn visible(&self, path: &str) -> Option<(usize, &'a [u8])> {
        let node = self.fs.get(path).filter(|n| n.kind == Kind::File)?;
        self.copies
            .get(path)?
            .iter()
            .find(|(l, _)| *l == node.layer)
            .copied()
    }

    /// Every visible captured file for which `pred` holds: (path, bytes).
    pub fn visible_matching<'s>(
        &'s self,
        pred: impl Fn(&str) -> bool + 's,
    ) -> impl Iterator<Item = (&'a str, &'a [u8])> + 's {
        self.copies
            .keys()
            .filter(move |p| pred(p))
            .filter_map(|p| self.visible(p).map(|(_, d)| (*p, d)))
    }

    /// Every copy of `path` in the layers, lowest first.
    pub fn copies(&self, path: &str) -> &[(usize, &'a [u8])] {
        self.copies.get(path).map(|v| v.as_slice()).unwrap_or(&[])
    }

    pub fn fs(&self) -> &'a Fs {
        self.fs
    }
}

/// What the inventory adds to the report.
#[derive(Debug, Default)]
pub struct Inventory {
    pub packages: Vec<Package>,
    pub notes: Vec<String>,
    /// Regular-file bytes visible in the final filesystem that no package lists.
    pub unpackaged_bytes: u64,
    /// Directories one Python distribution fills alone (the report's `package_dirs`).
    pub package_dirs: Vec<crate::model::bytes::PackageDir>,
    /// The executables visible in the final filesystem (ELF, PE, Mach-O with an execute bit)
    /// and what each told about its build, by path.
    pub executables: Vec<Executable>,
}

/// One visible executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executable {
    /// Absolute (`/var/runtime/bootstrap`).
    pub path: String,
    pub layer: usize,
    pub bytes: u64,
    pub record: binary::Record,
}

/// Reads every package database the scan captured. `skipped` are the capture's over-limit
/// files, turned into a note.
pub fn inventory(scan: &Scan, skipped: &[String]) -> Inventory {
    read_all(&Files::new(scan), skipped)
}

fn read_all(files: &Files, skipped: &[String]) -> Inventory {
    let os = OsRelease::read(files);
    let mut inv = Inventory::default();
    if !skipped.is_empty() {
        inv.notes.push(format!(
            "{} package database file(s) were too large to read, so the inventory may be incomplete (e.g. {})",
            skipped.len(),
            skipped[0]
        ));
    }
    // Each claimed file's package (its index in `inv.packages`).
    let mut claimed: HashMap<String, usize> = HashMap::new();
    for reader in READERS {
        let mut found = reader.read(files, &os, &mut inv.notes);
        found.sort_by(|a, b| {
            (a.name.as_str(), a.version.as_str(), a.db.as_str()).cmp(&(
                b.name.as_str(),
                b.version.as_str(),
                b.db.as_str(),
            ))
        });
        found.dedup_by(|a, b| a.name == b.name && a.version == b.version && a.db == b.db);
        let mut record_cache: HashMap<(usize, &str), HashSet<(String, String)>> = HashMap::new();
        for f in found {
            let layer = install_layer(files, *reader, &f, &mut record_cache);
            let (bytes, count) = claim(files.fs(), &f.files, inv.packages.len(), &mut claimed);
            inv.packages.push(Package {
                ecosystem: reader.ecosystem(),
                name: f.name,
                version: f.version,
                purl: f.purl,
                bytes,
                files: count,
                layer,
                license: f.license,
                location: format!("/{}", f.db),
                source: f.source,
                build_only: f.build_only,
            });
        }
    }
    for (path, record) in binary::visible(files) {
        if let Some(node) = files.fs().get(path) {
            inv.executables.push(Executable {
                path: format!("/{path}"),
                layer: node.layer,
                bytes: node.size,
                record,
            });
        }
    }
    let packaged: u64 = inv.packages.iter().map(|p| p.bytes).sum();
    inv.unpackaged_bytes = files.fs().final_bytes().saturating_sub(packaged);
    inv.package_dirs = dirs::python_dirs(files.fs(), &inv.packages, &claimed);
    inv
}

/// Every reader on one layer holding `files` (path, bytes): the records found (with their file
/// lists) and the notes. For the `packages` fuzz target, which holds the lists to their input.
pub fn read_layer(files: &[(&str, &[u8])]) -> (Vec<Found>, Vec<String>) {
    let fs = one_layer(files);
    let captured = Files::from_captures(&fs, files.iter().map(|(p, d)| (0, *p, *d)));
    let os = OsRelease::read(&captured);
    let mut notes = Vec::new();
    let mut found = Vec::new();
    for reader in READERS {
        found.extend(reader.read(&captured, &os, &mut notes));
        for (p, d) in files.iter().filter(|(p, _)| reader.wants(p)) {
            let _ = reader.records(p, d);
        }
    }
    (found, notes)
}

/// A filesystem of one layer holding `files` (path, bytes) as regular files.
fn one_layer(files: &[(&str, &[u8])]) -> Fs {
    let mut fs = Fs::new();
    fs.apply_layer(
        0,
        files
            .iter()
            .map(|(p, d)| {
                crate::image::layer::Change::Add(crate::image::layer::Entry {
                    path: p.to_string(),
                    kind: Kind::File,
                    size: d.len() as u64,
                    mode: 0o644,
                    uid: 0,
                    gid: 0,
                    link: None,
                })
            })
            .collect(),
    );
    fs
}

/// The layer that installed `f`'s version: see the module doc.
fn install_layer<'a>(
    files: &Files<'a>,
    reader: &dyn Reader,
    f: &Found,
    cache: &mut HashMap<(usize, &'a str), HashSet<(String, String)>>,
) -> Option<usize> {
    let (top, _) = files.visible(&f.db)?;
    let Some((path, copies)) = files.copies.get_key_value(f.db.as_str()) else {
        return Some(top);
    };
    let key = (f.name.clone(), f.version.clone());
    let mut layer = top;
    for (l, data) in copies.iter().rev().filter(|(l, _)| *l < top) {
        let held = cache
            .entry((*l, *path))
            .or_insert_with(|| reader.records(path, data).into_iter().collect());
        if held.contains(&key) {
            layer = *l;
        } else {
            break;
        }
    }
    Some(layer)
}

/// Bytes and count of the regular files among `paths` that are visible and not yet claimed;
/// those are claimed for package `index`.
fn claim(
    fs: &Fs,
    paths: &[String],
    index: usize,
    claimed: &mut HashMap<String, usize>,
) -> (u64, u64) {
    let (mut bytes, mut count) = (0, 0);
    for p in paths {
        let Some((real, node)) = resolve(fs, p) else {
            continue;
        };
        if node.kind != Kind::File {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(e) = claimed.entry(real) {
            e.insert(index);
            bytes += node.size;
            count += 1;
        }
    }
    (bytes, count)
}

/// Finds `path` in the final filesystem, following symlinks in its directories (not in its
/// last component: a listed symlink is the link itself, which has no bytes). Returns the real
/// path and its node.
pub fn resolve<'f>(fs: &'f Fs, path: &str) -> Option<(String, &'f Node)> {
    if let Some(n) = fs.get(path) {
        return Some((path.to_string(), n));
    }
    let mut parts: Vec<String> = Vec::new();
    let mut todo: Vec<String> = path.split('/').rev().map(String::from).collect();
    let mut hops = 0;
    while let Some(c) = todo.pop() {
        match c.as_str() {
            "" | "." => continue,
            ".." => {
                parts.pop();
                continue;
            }
            _ => {}
        }
        parts.push(c);
        if todo.is_empty() {
            break;
        }
        // A directory a tar never listed is still a directory; only links redirect.
        let here = parts.join("/");
        let Some(node) = fs.get(&here) else {
            continue;
        };
        if node.kind == Kind::Symlink {
            hops += 1;
            if hops > 40 {
                return None;
            }
            let target = node.link.as_deref().unwrap_or("");
            parts.pop();
            if target.starts_with('/') {
                parts.clear();
            }
            todo.extend(target.split('/').rev().map(String::from));
        }
    }
    let real = parts.join("/");
    let n = fs.get(&real)?;
    Some((real, n))
}

/// Longest path a file list keeps: the layer walk refuses longer ones (PATH_MAX), so a longer
/// joined path names no file of the image.
pub const PATH_MAX: usize = 4096;

/// The memory the file lists read from one database file may take. Paths are joined to a
/// directory the file names once (apk's `F:`, a RECORD's site-packages), so a list of short
/// lines under one long directory could multiply the file's bytes; real lists take a few times
/// their file at most, and this allows 16 times (counting each `String`) plus 1 MiB.
pub struct PathBudget {
    left: usize,
    /// Set once a path did not fit: the lists are cut short, and the reader says so.
    pub over: bool,
}

impl PathBudget {
    pub fn for_file(len: usize) -> PathBudget {
        PathBudget {
            left: len.saturating_mul(16).saturating_add(1 << 20),
            over: false,
        }
    }

    /// Whether `p` still fits; once one does not, none does.
    pub fn keep(&mut self, p: &str) -> bool {
        match self
            .left
            .checked_sub(p.len() + std::mem::size_of::<String>())
            .filter(|_| !self.over)
        {
            Some(l) => {
                self.left = l;
                true
            }
            None => {
                self.over = true;
                false
            }
        }
    }

    /// The note for a file whose lists were cut short.
    pub fn note(&self, path: &str, len: usize) -> Option<String> {
        self.over.then(|| {
            format!("/{path}: its file lists would take more than 16 times its {len} bytes; they are cut short there (a hostile or corrupt file)")
        })
    }
}

/// `base/rel` normalized: `.` and `..` resolved lexically, never above the root; `None` when
/// `rel` climbs out of the root or the result is longer than `PATH_MAX`.
pub fn join(base: &str, rel: &str) -> Option<String> {
    if base.len() + rel.len() > 2 * PATH_MAX + 1 {
        // Even with every `..` resolved it could not come back under PATH_MAX cheaply.
        return None;
    }
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|c| !c.is_empty()).collect()
    };
    for c in rel.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    let out = parts.join("/");
    (out.len() <= PATH_MAX).then_some(out)
}

/// Percent-encodes a purl component (purl-spec: everything but unreserved characters).
pub fn purl_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `pkg:TYPE/NAMESPACE/NAME@VERSION?k=v&…` with the qualifiers sorted by key and empty ones
/// left out, as the purl spec's canonical form has them.
///
/// By hand rather than with the `packageurl` crate (0.6 was tried: the golden capture was
/// byte-identical, but): it lowercases `golang` namespaces, while Go module paths are
/// case-sensitive and Trivy and Go's vulnerability data keep their case
/// (`github.com/Masterminds/semver`), so a scanner's finding would no longer meet its package;
/// and it leaves `:` in a version unencoded, which would change the purls of earlier reports
/// (`--baseline`) for every package with an epoch.
pub fn purl(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> String {
    let mut s = format!("pkg:{ty}/");
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        s.push_str(&ns.split('/').map(purl_encode).collect::<Vec<_>>().join("/"));
        s.push('/');
    }
    s.push_str(&purl_encode(name));
    if !version.is_empty() {
        s.push('@');
        s.push_str(&purl_encode(version));
    }
    let mut q: Vec<&(&str, &str)> = qualifiers.iter().filter(|(_, v)| !v.is_empty()).collect();
    q.sort();
    for (i, (k, v)) in q.iter().enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(k);
        s.push('=');
        s.push_str(&purl_encode(v));
    }
    s
}

/// The paragraphs of a Debian-control-style file (dpkg status, apk's installed): blank-line
/// separated, `Key: value` lines, continuation lines starting with a space.
pub fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n\n").filter(|p| !p.trim().is_empty())
}

/// The value of field `key` in a control paragraph (first line only).
pub fn field<'t>(para: &'t str, key: &str) -> Option<&'t str> {
    para.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k == key).then(|| v.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::layer::{Change, Entry};

    fn add(path: &str, kind: Kind, size: u64, link: Option<&str>) -> Change {
        Change::Add(Entry {
            path: path.into(),
            kind,
            size,
            mode: 0o644,
            uid: 0,
            gid: 0,
            link: link.map(Into::into),
        })
    }

    #[test]
    fn resolves_through_merged_usr_symlinks() {
        let mut fs = Fs::new();
        fs.apply_layer(
            0,
            vec![
                add("usr/bin/bash", Kind::File, 10, None),
                add("bin", Kind::Symlink, 0, Some("usr/bin")),
                add("lib64", Kind::Symlink, 0, Some("/usr/lib")),
                add("usr/lib/ld.so", Kind::File, 3, None),
                add("usr/lib/sh", Kind::Symlink, 0, Some("../bin/bash")),
            ],
        );
        assert_eq!(resolve(&fs, "bin/bash").unwrap().0, "usr/bin/bash");
        assert_eq!(resolve(&fs, "lib64/ld.so").unwrap().0, "usr/lib/ld.so");
        // The last component is not followed: a listed link is the link.
        assert_eq!(resolve(&fs, "usr/lib/sh").unwrap().1.kind, Kind::Symlink);
        assert!(resolve(&fs, "bin/nothing").is_none());
        // Each file counts once, for the first package that lists it.
        let mut claimed = HashMap::new();
        assert_eq!(
            claim(
                &fs,
                &["bin/bash".into(), "usr/lib/sh".into()],
                0,
                &mut claimed
            ),
            (10, 1)
        );
        assert_eq!(
            claim(&fs, &["usr/bin/bash".into()], 1, &mut claimed),
            (0, 0)
        );
        assert_eq!(claimed.get("usr/bin/bash"), Some(&0));
    }

    fn status(pkgs: &[(&str, &str)]) -> Vec<u8> {
        pkgs.iter()
            .map(|(n, v)| {
                format!("Package: {n}\nStatus: install ok installed\nVersion: {v}\nArchitecture: all\n\n")
            })
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn the_installing_layer_is_the_bottom_of_the_unbroken_run() {
        const DB: &str = "var/lib/dpkg/status";
        // 0: a 1 · 1: a 1, b 1 · 2: b 1 (a removed) · 3: a 1, b 1 (a again) · 4: a 1, b 2.
        let copies = [
            status(&[("a", "1")]),
            status(&[("a", "1"), ("b", "1")]),
            status(&[("b", "1")]),
            status(&[("a", "1"), ("b", "1")]),
            status(&[("a", "1"), ("b", "2")]),
        ];
        let mut fs = Fs::new();
        for (i, c) in copies.iter().enumerate() {
            fs.apply_layer(i, vec![add(DB, Kind::File, c.len() as u64, None)]);
        }
        fn captured<'a>(fs: &'a Fs, copies: &'a [Vec<u8>]) -> Files<'a> {
            Files::from_captures(
                fs,
                copies
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (i, DB, c.as_slice())),
            )
        }
        let inv = read_all(&captured(&fs, &copies), &[]);
        let layer = |n: &str| {
            inv.packages
                .iter()
                .find(|p| p.name == n)
                .map(|p| (p.version.as_str(), p.layer))
        };
        assert_eq!(layer("a"), Some(("1", Some(3))), "reinstalled in layer 3");
        assert_eq!(layer("b"), Some(("2", Some(4))), "upgraded in layer 4");

        // Copies the final filesystem does not show are history only: once a later layer
        // removed the database, nothing is installed.
        fs.apply_layer(5, vec![Change::Whiteout(DB.into())]);
        assert!(read_all(&captured(&fs, &copies), &[]).packages.is_empty());
    }

    #[test]
    fn a_symlink_loop_ends() {
        let mut fs = Fs::new();
        fs.apply_layer(
            0,
            vec![
                add("a", Kind::Symlink, 0, Some("b")),
                add("b", Kind::Symlink, 0, Some("a")),
            ],
        );
        assert!(resolve(&fs, "a/x").is_none());
    }

    #[test]
    fn joins_and_encodes() {
        assert_eq!(
            join("usr/lib/python3/site-packages", "../../../bin/pip").as_deref(),
            Some("usr/bin/pip")
        );
        assert_eq!(join("a", "../../x"), None);
        assert_eq!(
            purl(
                "deb",
                Some("debian"),
                "curl",
                "7.88.1-10+deb12u5",
                &[("distro", "debian-12"), ("arch", "amd64"), ("epoch", "")]
            ),
            "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12"
        );
        assert_eq!(
            purl("npm", Some("@types"), "node", "20.1.0", &[]),
            "pkg:npm/%40types/node@20.1.0"
        );
        // A Go module path keeps its case; an epoch's colon is encoded.
        assert_eq!(
            purl(
                "golang",
                Some("github.com/Masterminds/semver"),
                "v3",
                "v3.2.1",
                &[]
            ),
            "pkg:golang/github.com/Masterminds/semver/v3@v3.2.1"
        );
        assert_eq!(
            purl("deb", Some("debian"), "tar", "1:1.34", &[]),
            "pkg:deb/debian/tar@1%3A1.34"
        );
    }
}
