//! Debian and Ubuntu: `/var/lib/dpkg/status` (every installed package, rewritten by each
//! install), distroless's `/var/lib/dpkg/status.d/<name>` (one file per package, with
//! `<name>.md5sums` listing its files), and `/var/lib/dpkg/info/<name>[:arch].list`.

use crate::model::Ecosystem;
use std::collections::HashSet;

use super::{field, paragraphs, purl, Files, Found, OsRelease, Reader};

pub struct Dpkg;

const STATUS: &str = "var/lib/dpkg/status";
const STATUS_D: &str = "var/lib/dpkg/status.d/";
const INFO: &str = "var/lib/dpkg/info/";

impl Reader for Dpkg {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Deb
    }

    fn wants(&self, path: &str) -> bool {
        path == STATUS
            || path.starts_with(STATUS_D)
            || (path.starts_with(INFO) && path.ends_with(".list"))
    }

    fn read(&self, files: &Files, os: &OsRelease, notes: &mut Vec<String>) -> Vec<Found> {
        let mut out = Vec::new();
        // Each list (`info/*.list`, `status.d/*.md5sums`) is read for one record only: in a
        // real database every record has its own, and a status file naming one package a
        // million times would otherwise copy its list a million times.
        let mut read_lists: HashSet<String> = HashSet::new();
        let mut repeated = 0usize;
        if let Some((_, data)) = files.visible(STATUS) {
            for rec in installed(&String::from_utf8_lossy(data)) {
                let files_of = list_of(files, &rec, &mut read_lists).unwrap_or_else(|| {
                    repeated += 1;
                    Vec::new()
                });
                out.push(found(rec, STATUS, files_of, os));
            }
        }
        // Distroless: one paragraph per file, its file list beside it.
        let dbs: Vec<(&str, &[u8])> = files
            .visible_matching(|p| {
                p.strip_prefix(STATUS_D)
                    .is_some_and(|n| !n.contains('/') && !n.ends_with(".md5sums"))
            })
            .collect();
        for (path, data) in dbs {
            for rec in installed(&String::from_utf8_lossy(data)) {
                let sums = format!("{path}.md5sums");
                let mut listed: Vec<String> = Vec::new();
                if let Some((_, d)) = files.visible(&sums) {
                    if read_lists.insert(sums) {
                        listed = md5sums_paths(&String::from_utf8_lossy(d));
                    } else {
                        repeated += 1;
                    }
                }
                if listed.is_empty() {
                    listed = list_of(files, &rec, &mut read_lists).unwrap_or_else(|| {
                        repeated += 1;
                        Vec::new()
                    });
                }
                out.push(found(rec, path, listed, os));
            }
        }
        if repeated > 0 {
            notes.push(format!(
                "/{INFO}: {repeated} dpkg record(s) name a file list another record already used; they are listed without files (a hostile or corrupt database)"
            ));
        }
        out
    }

    fn records(&self, _path: &str, data: &[u8]) -> Vec<(String, String)> {
        installed(&String::from_utf8_lossy(data))
            .into_iter()
            .map(|r| (r.name, r.version))
            .collect()
    }
}

struct Record {
    name: String,
    version: String,
    arch: String,
}

/// The paragraphs whose package is installed (`Status: install ok installed`); removed
/// packages whose configuration files stay (`deinstall ok config-files`) are not software.
fn installed(text: &str) -> Vec<Record> {
    paragraphs(text)
        .filter_map(|p| {
            let name = field(p, "Package")?;
            let version = field(p, "Version")?;
            // Distroless status.d paragraphs carry no Status: they are installed by definition.
            if let Some(status) = field(p, "Status") {
                if status.split_whitespace().nth(2) != Some("installed") {
                    return None;
                }
            }
            Some(Record {
                name: name.to_string(),
                version: version.to_string(),
                arch: field(p, "Architecture").unwrap_or("").to_string(),
            })
        })
        .collect()
}

/// `info/<name>.list`, or `info/<name>:<arch>.list` for Multi-Arch: same packages.
/// The record's `info/*.list` paths; `None` when another record already took that list.
fn list_of(files: &Files, r: &Record, read: &mut HashSet<String>) -> Option<Vec<String>> {
    let plain = format!("{INFO}{}.list", r.name);
    let with_arch = format!("{INFO}{}:{}.list", r.name, r.arch);
    let Some((path, d)) = [plain, with_arch]
        .into_iter()
        .find_map(|p| files.visible(&p).map(|(_, d)| (p, d)))
    else {
        return Some(Vec::new());
    };
    if !read.insert(path) {
        return None;
    }
    Some(
        String::from_utf8_lossy(d)
            .lines()
            .filter_map(|l| super::join("", l.trim()))
            .filter(|p| !p.is_empty())
            .collect(),
    )
}

/// `md5sum  path` lines, paths relative to the root.
fn md5sums_paths(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_once(char::is_whitespace))
        .filter_map(|(_, p)| super::join("", p.trim()))
        .filter(|p| !p.is_empty())
        .collect()
}

fn found(r: Record, db: &str, files: Vec<String>, os: &OsRelease) -> Found {
    // purl-spec's deb type: the epoch goes to a qualifier, as Trivy and syft write it.
    let (epoch, upstream) = match r.version.split_once(':') {
        Some((e, v)) if e.chars().all(|c| c.is_ascii_digit()) => (e, v),
        _ => ("", r.version.as_str()),
    };
    let distro = os.distro();
    let purl = purl(
        "deb",
        Some(os.namespace("debian")),
        &r.name,
        upstream,
        &[
            ("arch", r.arch.as_str()),
            ("epoch", epoch),
            ("distro", distro.as_str()),
        ],
    );
    Found {
        name: r.name,
        version: r.version,
        purl,
        license: None,
        db: db.to_string(),
        files,
        source: None,
        build_only: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::layer::Change;
    use crate::image::overlay::Fs;

    #[test]
    fn reads_distroless_status_d_with_its_md5sums() {
        let para = b"Package: libssl3\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\n";
        let sums = b"0123abcd  usr/lib/x86_64-linux-gnu/libssl.so.3\n";
        let files = [
            ("var/lib/dpkg/status.d/libssl3", &para[..]),
            ("var/lib/dpkg/status.d/libssl3.md5sums", &sums[..]),
        ];
        let mut fs = Fs::new();
        let mut adds: Vec<Change> = files
            .iter()
            .map(|(p, d)| (p.to_string(), d.len() as u64))
            .chain([("usr/lib/x86_64-linux-gnu/libssl.so.3".to_string(), 700)])
            .map(|(path, size)| crate::image::overlay::test_file(&path, size))
            .collect();
        fs.apply_layer(0, std::mem::take(&mut adds));
        let files = Files::from_captures(&fs, files.iter().map(|(p, d)| (0, *p, *d)));
        let found = Dpkg.read(&files, &OsRelease::default(), &mut Vec::new());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].db, "var/lib/dpkg/status.d/libssl3");
        assert_eq!(found[0].files, ["usr/lib/x86_64-linux-gnu/libssl.so.3"]);
        assert_eq!(
            found[0].purl,
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64"
        );
    }

    #[test]
    fn reads_installed_paragraphs_only() {
        let text = "Package: tzdata\nStatus: install ok installed\nVersion: 2024a-0+deb12u1\nArchitecture: all\nDescription: x\n continuation: not a field\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\nPackage: perl-base\nStatus: install ok installed\nVersion: 1:5.36.0-7\nArchitecture: amd64\n";
        let recs = installed(text);
        assert_eq!(
            recs.iter()
                .map(|r| (r.name.as_str(), r.version.as_str()))
                .collect::<Vec<_>>(),
            [("tzdata", "2024a-0+deb12u1"), ("perl-base", "1:5.36.0-7")]
        );
        let f = found(
            installed(text).pop().unwrap(),
            STATUS,
            vec![],
            &OsRelease {
                id: "debian".into(),
                version_id: "12".into(),
            },
        );
        assert_eq!(
            f.purl,
            "pkg:deb/debian/perl-base@5.36.0-7?arch=amd64&distro=debian-12&epoch=1"
        );
        assert_eq!(f.version, "1:5.36.0-7");
    }

    /// One package's paragraph repeated 1,000 times over a 1,000-line list: the list was copied
    /// for each (a million paths from 40 kB); it is read for the first record only.
    #[test]
    fn a_list_is_read_for_one_record_only() {
        let status = "Package: a\nStatus: install ok installed\nVersion: 1\n\n".repeat(1000);
        let list: String = (0..1000).map(|i| format!("/usr/share/a/{i}\n")).collect();
        let files = [
            (STATUS, status.as_bytes()),
            ("var/lib/dpkg/info/a.list", list.as_bytes()),
        ];
        let fs = super::super::one_layer(&files);
        let files = Files::from_captures(&fs, files.iter().map(|(p, d)| (0, *p, *d)));
        let mut notes = Vec::new();
        let found = Dpkg.read(&files, &OsRelease::default(), &mut notes);
        assert_eq!(found.len(), 1000);
        let listed: usize = found.iter().map(|f| f.files.len()).sum();
        assert_eq!(listed, 1000, "the list counted once");
        assert!(notes[0].contains("999 dpkg record(s)"), "{notes:?}");
    }
}
