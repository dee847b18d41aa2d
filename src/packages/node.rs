//! Node packages: `node_modules/<name>/package.json` and `node_modules/@scope/<name>/package.json`,
//! at any depth (nested dependencies have their own `node_modules`). Only a package.json directly
//! at a package's root counts: the ones deeper inside a package (test fixtures, sub-folders) are
//! not installed packages. A package's files are everything below its directory except its own
//! nested `node_modules`, which hold other packages.

use super::{purl, Files, Found, OsRelease, Reader};
use crate::model::Ecosystem;

pub struct Node;

impl Reader for Node {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Npm
    }

    fn wants(&self, path: &str) -> bool {
        package_dir(path).is_some()
    }

    fn read(&self, files: &Files, _os: &OsRelease, _notes: &mut Vec<String>) -> Vec<Found> {
        let mut out = Vec::new();
        let docs: Vec<(&str, &[u8])> = files
            .visible_matching(|p| package_dir(p).is_some())
            .collect();
        for (path, data) in docs {
            let Some(dir) = package_dir(path) else {
                continue;
            };
            let Some(m) = Manifest::parse(data) else {
                continue;
            };
            // Anything under a `node_modules` below the package is another package's, also
            // deeper than `{dir}/node_modules/`: else a chain of packages each nested in the
            // one above (`a/x/node_modules/a/x/node_modules/…`) lists every file once per
            // level, quadratic in the image.
            let listed = files
                .fs()
                .below(dir)
                .filter(|(p, _)| {
                    !p.get(dir.len()..)
                        .is_some_and(|rest| rest.contains("/node_modules/"))
                })
                .map(|(p, _)| p.to_string())
                .collect();
            let (ns, base) = match m.name.split_once('/') {
                Some((scope, n)) if scope.starts_with('@') => (Some(scope), n),
                _ => (None, m.name.as_str()),
            };
            let purl = purl("npm", ns, base, &m.version, &[]);
            out.push(Found {
                purl,
                name: m.name,
                version: m.version,
                license: m.license,
                db: path.to_string(),
                files: listed,
                source: None,
                build_only: false,
            });
        }
        out
    }

    fn records(&self, _path: &str, data: &[u8]) -> Vec<(String, String)> {
        Manifest::parse(data)
            .map(|m| vec![(m.name, m.version)])
            .unwrap_or_default()
    }
}

/// The package directory when `path` is `…/node_modules/<name>/package.json` or
/// `…/node_modules/@scope/<name>/package.json`.
fn package_dir(path: &str) -> Option<&str> {
    let dir = path.strip_suffix("/package.json")?;
    let (parent, name) = dir.rsplit_once('/')?;
    if name.starts_with('.') || name.starts_with('@') {
        return None;
    }
    let modules = match parent.rsplit_once('/') {
        Some((above, scope)) if scope.starts_with('@') => above,
        _ => parent,
    };
    (modules == "node_modules" || modules.ends_with("/node_modules")).then_some(dir)
}

struct Manifest {
    name: String,
    version: String,
    license: Option<String>,
}

impl Manifest {
    fn parse(data: &[u8]) -> Option<Manifest> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum License {
            Text(String),
            Object { r#type: String },
        }
        #[derive(serde::Deserialize)]
        struct Raw {
            name: Option<String>,
            version: Option<String>,
            license: Option<serde_json::Value>,
            licenses: Option<Vec<serde_json::Value>>,
        }
        let raw: Raw = serde_json::from_slice(data).ok()?;
        let as_license = |v: serde_json::Value| match serde_json::from_value::<License>(v) {
            Ok(License::Text(t)) => Some(t),
            Ok(License::Object { r#type }) => Some(r#type),
            Err(_) => None,
        };
        let license = raw.license.and_then(as_license).or_else(|| {
            let all: Vec<String> = raw
                .licenses
                .unwrap_or_default()
                .into_iter()
                .filter_map(as_license)
                .collect();
            (!all.is_empty()).then(|| all.join(" OR "))
        });
        Some(Manifest {
            name: raw.name.filter(|n| !n.is_empty())?,
            version: raw.version.filter(|v| !v.is_empty())?,
            license,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_roots_only() {
        assert_eq!(
            package_dir("app/node_modules/left-pad/package.json"),
            Some("app/node_modules/left-pad")
        );
        assert_eq!(
            package_dir("node_modules/@types/node/package.json"),
            Some("node_modules/@types/node")
        );
        assert_eq!(
            package_dir("a/node_modules/x/node_modules/@s/y/package.json"),
            Some("a/node_modules/x/node_modules/@s/y")
        );
        assert_eq!(package_dir("app/package.json"), None);
        assert_eq!(package_dir("node_modules/x/lib/package.json"), None);
        assert_eq!(package_dir("node_modules/@types/package.json"), None);
        assert_eq!(package_dir("node_modules/.bin/package.json"), None);
    }

    #[test]
    fn reads_name_version_license() {
        let m = Manifest::parse(br#"{"name":"@s/y","version":"1.0.0","license":{"type":"MIT"}}"#)
            .unwrap();
        assert_eq!(m.license.as_deref(), Some("MIT"));
        assert!(Manifest::parse(br#"{"name":"x"}"#).is_none());
        assert!(Manifest::parse(b"not json").is_none());
    }
}
