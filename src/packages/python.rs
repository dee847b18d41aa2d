//! Python distributions, anywhere in the image (site-packages, Lambda's `/var/task` and
//! `/var/lang`, `pip install --target` directories): `*.dist-info/METADATA` with its `RECORD`,
//! and setuptools' `*.egg-info` (a directory with `PKG-INFO`, or a single file) with
//! `installed-files.txt`. `SOURCES.txt` lists the source tree, not what was installed, so the
//! files of an egg-info without `installed-files.txt` are its own directory's.

use super::{join, purl, Files, Found, OsRelease, PathBudget, Reader};
use crate::model::Ecosystem;

pub struct Python;

impl Reader for Python {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Pypi
    }

    fn wants(&self, path: &str) -> bool {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        match name {
            "METADATA" | "RECORD" => dir.ends_with(".dist-info"),
            "PKG-INFO" | "installed-files.txt" => dir.ends_with(".egg-info"),
            _ => name.ends_with(".egg-info"),
        }
    }

    fn read(&self, files: &Files, _os: &OsRelease, notes: &mut Vec<String>) -> Vec<Found> {
        let mut out = Vec::new();
        let metas: Vec<(&str, &[u8])> = files
            .visible_matching(|p| {
                p.ends_with(".dist-info/METADATA")
                    || p.ends_with(".egg-info/PKG-INFO")
                    || p.ends_with(".egg-info")
            })
            .collect();
        for (path, data) in metas {
            let Some(meta) = Metadata::parse(&String::from_utf8_lossy(data)) else {
                continue;
            };
            // The directory that holds the metadata directory: RECORD's paths start there.
            let (info_dir, site) = if path.ends_with(".egg-info") {
                (None, parent(path))
            } else {
                let d = parent(path);
                (Some(d), parent(d))
            };
            let mut listed: Vec<String> = Vec::new();
            if let Some(d) = info_dir {
                if d.ends_with(".dist-info") {
                    let record = format!("{d}/RECORD");
                    if let Some((_, rec)) = files.visible(&record) {
                        let mut budget = PathBudget::for_file(rec.len());
                        listed = record_paths(&String::from_utf8_lossy(rec), site, &mut budget);
                        notes.extend(budget.note(&record, rec.len()));
                    }
                } else {
                    let inst_path = format!("{d}/installed-files.txt");
                    if let Some((_, inst)) = files.visible(&inst_path) {
                        let mut budget = PathBudget::for_file(inst.len());
                        for l in String::from_utf8_lossy(inst).lines() {
                            if budget.over {
                                break;
                            }
                            listed.extend(join(d, l.trim()).filter(|p| budget.keep(p)));
                        }
                        notes.extend(budget.note(&inst_path, inst.len()));
                    }
                }
                // The metadata directory itself belongs to the distribution in any case.
                listed.extend(files.fs().below(d).map(|(p, _)| p.to_string()));
            } else {
                listed.push(path.to_string());
            }
            let purl = purl("pypi", None, &normalize(&meta.name), &meta.version, &[]);
            out.push(Found {
                name: meta.name,
                version: meta.version,
                purl,
                license: meta.license,
                db: path.to_string(),
                files: listed,
                source: None,
                build_only: false,
            });
        }
        out
    }

    fn records(&self, _path: &str, data: &[u8]) -> Vec<(String, String)> {
        Metadata::parse(&String::from_utf8_lossy(data))
            .map(|m| vec![(m.name, m.version)])
            .unwrap_or_default()
    }
}

fn parent(p: &str) -> &str {
    p.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// PEP 503: lowercase, runs of `-`, `_`, `.` become one `-` (the purl spec's pypi name).
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

struct Metadata {
    name: String,
    version: String,
    license: Option<String>,
}

impl Metadata {
    /// The core metadata headers (RFC 822 style, up to the first blank line).
    fn parse(text: &str) -> Option<Metadata> {
        let (mut name, mut version) = (None, None);
        let (mut expr, mut license, mut classifier) = (None, None, None);
        for line in text.lines() {
            if line.trim().is_empty() {
                break;
            }
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let v = v.trim();
            match k {
                "Name" => name = Some(v.to_string()),
                "Version" => version = Some(v.to_string()),
                "License-Expression" => expr = Some(v.to_string()),
                "License" if !v.is_empty() && v != "UNKNOWN" => license = Some(v.to_string()),
                "Classifier" if v.starts_with("License ::") => {
                    classifier = v.rsplit(" :: ").next().map(str::to_string)
                }
                _ => {}
            }
        }
        Some(Metadata {
            name: name.filter(|n| !n.is_empty())?,
            version: version.filter(|v| !v.is_empty())?,
            license: expr.or(license).or(classifier),
        })
    }
}

/// RECORD is CSV (path, hash, size); paths are relative to the site directory and may
/// climb out of it (`../../../bin/pip`).
fn record_paths(text: &str, site: &str, budget: &mut PathBudget) -> Vec<String> {
    let mut out = Vec::new();
    // Lines past the budget are not even joined: a join costs the site's length.
    for l in text.lines() {
        if budget.over {
            break;
        }
        let p = if let Some(rest) = l.strip_prefix('"') {
            // A quoted path: `""` is a quote inside it.
            let mut out = String::new();
            let mut chars = rest.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        out.push('"');
                        chars.next();
                    } else {
                        break;
                    }
                } else {
                    out.push(c);
                }
            }
            out
        } else {
            l.split(',').next().unwrap_or("").to_string()
        };
        if let Some(p) = (!p.is_empty()).then(|| join(site, &p)).flatten() {
            if budget.keep(&p) {
                out.push(p);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_names_per_pep_503() {
        assert_eq!(normalize("Flask_SQLAlchemy"), "flask-sqlalchemy");
        assert_eq!(normalize("zope.interface"), "zope-interface");
        assert_eq!(normalize("a--b__c"), "a-b-c");
    }

    #[test]
    fn reads_metadata_and_record() {
        let m = Metadata::parse(
            "Metadata-Version: 2.1\nName: requests\nVersion: 2.32.3\nLicense: Apache-2.0\nClassifier: License :: OSI Approved :: Apache Software License\n\nName: not-a-header\n",
        )
        .unwrap();
        assert_eq!(
            (m.name.as_str(), m.version.as_str()),
            ("requests", "2.32.3")
        );
        assert_eq!(m.license.as_deref(), Some("Apache-2.0"));
        let paths = record_paths(
            "requests/__init__.py,sha256=x,100\n\"odd,name.py\",,\n../../../bin/req,,\nrequests-2.32.3.dist-info/RECORD,,\n",
            "usr/lib/python3/site-packages",
            &mut PathBudget::for_file(100),
        );
        assert_eq!(
            paths,
            [
                "usr/lib/python3/site-packages/requests/__init__.py",
                "usr/lib/python3/site-packages/odd,name.py",
                "usr/bin/req",
                "usr/lib/python3/site-packages/requests-2.32.3.dist-info/RECORD"
            ]
        );
    }

    /// 1,000,000 two-byte RECORD lines under a 4,000-byte site directory: 4 GB of paths joined
    /// naively from 2 MB. Held to the budget instead.
    #[test]
    fn record_paths_are_held_to_the_record_size() {
        let site = "s/".repeat(2000);
        let rec = "a\n".repeat(1_000_000);
        let mut budget = PathBudget::for_file(rec.len());
        let paths = record_paths(&rec, &site, &mut budget);
        let bytes: usize = paths.iter().map(|p| p.len() + 24).sum();
        assert!(
            bytes <= 16 * rec.len() + (1 << 20),
            "{bytes} bytes of paths"
        );
        assert!(budget.over);
    }
}
