//! RPM: Amazon Linux 2023 (the `public.ecr.aws/lambda/*` bases from python3.12 on), Fedora and
//! RHEL 9 keep an SQLite rpmdb (`rpmdb.sqlite`); Amazon Linux 2 (python3.11 and older) and
//! RHEL 7/8 a Berkeley DB hash (`Packages`). Both store the same thing: one header blob per
//! installed package, read by `header`.

mod bdb;
mod header;
mod sqlite;

use super::{purl, Files, Found, OsRelease, Reader};
use crate::model::Ecosystem;

pub struct Rpm;

/// Where rpm keeps its database: the classic path, and `/usr/lib/sysimage/rpm` (rpm ≥ 4.16
/// on Fedora, and what `/var/lib/rpm` links to there).
const DIRS: [&str; 2] = ["var/lib/rpm/", "usr/lib/sysimage/rpm/"];

impl Reader for Rpm {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Rpm
    }

    fn wants(&self, path: &str) -> bool {
        DIRS.iter().any(|d| {
            path.strip_prefix(d)
                .is_some_and(|n| n == "rpmdb.sqlite" || n == "Packages")
        })
    }

    fn read(&self, files: &Files, os: &OsRelease, notes: &mut Vec<String>) -> Vec<Found> {
        let mut out = Vec::new();
        let dbs: Vec<(&str, &[u8])> = files.visible_matching(|p| self.wants(p)).collect();
        for (path, data) in dbs {
            let headers = match blobs(path, data) {
                Ok(h) => h,
                Err(e) => {
                    notes.push(format!("/{path}: not read as an rpm database: {e:#}"));
                    continue;
                }
            };
            let mut bad = 0;
            for blob in headers {
                match header::Header::parse(&blob) {
                    Ok(h) => match found(&h, path, os, budget(&blob)) {
                        Ok(Some(f)) => out.push(f),
                        Ok(None) => {}
                        Err(()) => bad += 1,
                    },
                    Err(_) => bad += 1,
                }
            }
            if bad > 0 {
                notes.push(format!(
                    "/{path}: {bad} package header(s) could not be read (corrupt, or a file list larger than the header) and are left out"
                ));
            }
        }
        out
    }

    fn records(&self, path: &str, data: &[u8]) -> Vec<(String, String)> {
        blobs(path, data)
            .unwrap_or_default()
            .iter()
            .filter_map(|b| header::Header::parse(b).ok())
            .filter_map(|h| found(&h, path, &OsRelease::default(), 0).ok().flatten())
            .map(|f| (f.name, f.version))
            .collect()
    }
}

fn blobs(path: &str, data: &[u8]) -> anyhow::Result<Vec<Vec<u8>>> {
    if path.ends_with(".sqlite") {
        sqlite::blobs(data)
    } else {
        bdb::values(data)
    }
}

/// The memory a header's file list may take: a real header stores far more per file (sizes,
/// modes, digests, owners) than the path it names, so 16 times its bytes is never reached by
/// one rpm wrote. No constant on top: the database's lists together stay within 16 times the
/// file, however many small headers it holds.
fn budget(blob: &[u8]) -> usize {
    blob.len().saturating_mul(16)
}

/// The package a header describes; `Ok(None)` for what is not a package, `Err` for a file
/// list over `budget` (0 lists no files: the layer attribution needs names only).
fn found(h: &header::Header, db: &str, os: &OsRelease, budget: usize) -> Result<Option<Found>, ()> {
    let Some(name) = h.string(header::NAME) else {
        return Ok(None);
    };
    // The public keys rpm imports are pseudo-packages, not software (Trivy and syft skip them).
    if name == "gpg-pubkey" {
        return Ok(None);
    }
    let Some(version) = h.string(header::VERSION) else {
        return Ok(None);
    };
    let release = h.string(header::RELEASE).unwrap_or_default();
    let epoch = h.u32(header::EPOCH);
    let arch = h.string(header::ARCH).unwrap_or_default();
    let vr = if release.is_empty() {
        version.clone()
    } else {
        format!("{version}-{release}")
    };
    let full = match epoch {
        Some(e) if e > 0 => format!("{e}:{vr}"),
        _ => vr.clone(),
    };
    let epoch_q = epoch
        .filter(|e| *e > 0)
        .map(|e| e.to_string())
        .unwrap_or_default();
    let distro = os.distro();
    let purl = purl(
        "rpm",
        Some(os.namespace("redhat")),
        &name,
        &vr,
        &[
            ("arch", arch.as_str()),
            ("epoch", epoch_q.as_str()),
            ("distro", distro.as_str()),
        ],
    );
    let files = if budget == 0 {
        Vec::new()
    } else {
        h.file_names(budget).ok_or(())?
    };
    Ok(Some(Found {
        name,
        version: full,
        purl,
        license: h.string(header::LICENSE).filter(|l| !l.is_empty()),
        db: db.to_string(),
        files,
        source: None,
        build_only: false,
    }))
}
