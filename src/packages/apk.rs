//! Alpine: `/lib/apk/db/installed` — one paragraph per package of `K:value` lines: `P` name,
//! `V` version, `A` arch, `L` license, `F` a directory and `R` a file in the last `F`.

use super::{join, paragraphs, purl, Files, Found, OsRelease, PathBudget, Reader};
use crate::model::Ecosystem;

pub struct Apk;

const DB: &str = "lib/apk/db/installed";

impl Reader for Apk {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Apk
    }

    fn wants(&self, path: &str) -> bool {
        path == DB
    }

    fn read(&self, files: &Files, os: &OsRelease, notes: &mut Vec<String>) -> Vec<Found> {
        let Some((_, data)) = files.visible(DB) else {
            return Vec::new();
        };
        let distro = os.version_id.clone();
        let mut budget = PathBudget::for_file(data.len());
        let recs = parse(&String::from_utf8_lossy(data), &mut budget);
        notes.extend(budget.note(DB, data.len()));
        recs.into_iter()
            .map(|r| Found {
                purl: purl(
                    "apk",
                    Some(os.namespace("alpine")),
                    &r.name,
                    &r.version,
                    &[("arch", r.arch.as_str()), ("distro", distro.as_str())],
                ),
                name: r.name,
                version: r.version,
                license: r.license,
                db: DB.to_string(),
                files: r.files,
                source: None,
                build_only: false,
            })
            .collect()
    }

    fn records(&self, _path: &str, data: &[u8]) -> Vec<(String, String)> {
        parse(&String::from_utf8_lossy(data), &mut PathBudget::for_file(0))
            .into_iter()
            .map(|r| (r.name, r.version))
            .collect()
    }
}

struct Record {
    name: String,
    version: String,
    arch: String,
    license: Option<String>,
    files: Vec<String>,
}

fn parse(text: &str, budget: &mut PathBudget) -> Vec<Record> {
    paragraphs(text)
        .filter_map(|p| {
            let mut r = Record {
                name: String::new(),
                version: String::new(),
                arch: String::new(),
                license: None,
                files: Vec::new(),
            };
            let mut dir = String::new();
            for line in p.lines() {
                let Some((k, v)) = line.split_once(':') else {
                    continue;
                };
                match k {
                    "P" => r.name = v.to_string(),
                    "V" => r.version = v.to_string(),
                    "A" => r.arch = v.to_string(),
                    "L" if !v.is_empty() => r.license = Some(v.to_string()),
                    "F" => dir = v.to_string(),
                    // Past the budget not even joined: a join costs the directory's length.
                    "R" if !budget.over => r.files.extend(join(&dir, v).filter(|p| budget.keep(p))),
                    _ => {}
                }
            }
            (!r.name.is_empty() && !r.version.is_empty()).then_some(r)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_packages_and_their_files() {
        let recs = parse(
            "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\nP:busybox\nV:1.36.1-r15\nA:x86_64\nF:bin\nR:busybox\nF:etc\nR:securetty\n",
            &mut PathBudget::for_file(200),
        );
        assert_eq!(recs.len(), 2);
        assert_eq!(
            recs[0].files,
            ["lib/ld-musl-x86_64.so.1", "lib/libc.musl-x86_64.so.1"]
        );
        assert_eq!(recs[1].files, ["bin/busybox", "etc/securetty"]);
        assert_eq!(recs[0].license.as_deref(), Some("MIT"));
    }

    /// One 4,000-byte `F:` directory and 500,000 four-byte `R:` lines: 2 MB of database that
    /// joined naively is 2 GB of paths. The lists stop at the budget, and the budget says so.
    #[test]
    fn file_lists_are_held_to_the_database_size() {
        let db = format!(
            "P:x\nV:1\nF:{}\n{}",
            "d".repeat(4000),
            "R:f\n".repeat(500_000)
        );
        let mut budget = PathBudget::for_file(db.len());
        let recs = parse(&db, &mut budget);
        let bytes: usize = recs[0].files.iter().map(|f| f.len() + 24).sum();
        assert!(bytes <= 16 * db.len() + (1 << 20), "{bytes} bytes of paths");
        assert!(budget.over);
        assert!(budget
            .note(DB, db.len())
            .unwrap()
            .contains("/lib/apk/db/installed"));
    }
}
