//! Go modules compiled into Go executables: the build info `binary.rs` extracted in the layer
//! walk (what `go version -m` prints). The main module owns the binary's bytes; each `dep` is a
//! package of ecosystem `golang`, and the standard library is one more, `stdlib` at the Go
//! version, as Trivy and syft list it (its vulnerabilities are Go's).

use super::binary::{self, GoModule, Record};
use super::{purl, Files, Found, OsRelease, Reader};

pub struct Golang;

/// Go's name for a main module built from a checkout without a version.
const DEVEL: &str = "(devel)";

impl Reader for Golang {
    fn ecosystem(&self) -> crate::model::Ecosystem {
        crate::model::Ecosystem::Golang
    }

    /// Executables are found by their magic bytes, not their paths (`binary::executables`).
    fn wants(&self, _path: &str) -> bool {
        false
    }

    fn read(&self, files: &Files, _os: &OsRelease, _notes: &mut Vec<String>) -> Vec<Found> {
        let mut out = Vec::new();
        for (path, rec) in binary::visible(files) {
            let Record::Go(bi) = rec else { continue };
            let found = |name: &str, version: &str, owns: bool| Found {
                purl: module_purl(name, version_of(version)),
                name: name.into(),
                version: version.into(),
                license: None,
                db: path.to_string(),
                files: if owns { vec![path.to_string()] } else { vec![] },
                source: None,
                build_only: false,
            };
            if let Some(m) = &bi.main {
                out.push(found(&m.path, &m.version, true));
            }
            for d in &bi.deps {
                let m = effective(d);
                out.push(found(&m.path, &m.version, false));
            }
            // `go1.22.1 X:boringcrypto` → `v1.22.1`, the form Go's vulnerability database uses.
            let go = bi.go_version.split_whitespace().next().unwrap_or("");
            let v = format!("v{}", go.trim_start_matches("go"));
            out.push(Found {
                purl: purl("golang", None, "stdlib", &v, &[]),
                ..found("stdlib", &v, false)
            });
        }
        out
    }

    /// The binary's layer is the one that wrote it: older copies are other builds.
    fn records(&self, _path: &str, _data: &[u8]) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// The module whose code was compiled in: a `replace` by another module is that module, as
/// `go version -m`'s `=>` line and Trivy have it; a `replace` by a local directory (go.mod
/// spells those `./…`, `../…` or absolute) has no version of its own (`(devel)`), so the
/// required module and version name it — Trivy lists the directory as the module instead.
fn effective(d: &GoModule) -> &GoModule {
    match &d.replace {
        Some(r) if !(r.path.starts_with('/') || r.path.starts_with('.')) => r,
        _ => d,
    }
}

/// The version a purl carries: none for `(devel)`, Go's word for a main module built from a
/// checkout (the report keeps the word, so the diff and the comment show it; Trivy leaves the
/// version empty).
fn version_of(v: &str) -> &str {
    if v == DEVEL {
        ""
    } else {
        v
    }
}

/// `pkg:golang/github.com/google/uuid@v1.3.0`: the module path's last element is the name,
/// the rest its namespace (purl-spec's golang type).
fn module_purl(path: &str, version: &str) -> String {
    match path.rsplit_once('/') {
        Some((ns, name)) => purl("golang", Some(ns), name, version, &[]),
        None => purl("golang", None, path, version, &[]),
    }
}
