//! The directories one Python distribution fills alone: every regular file visible below them
//! is one its RECORD lists. A function's `pip install --target /var/task` mixes the
//! distributions with the function's own code in one directory, and a wheel installs more
//! than its import package (numpy's vendored `numpy.libs/`, scripts in `bin/`), so the names
//! alone cannot say whose a directory is; the file lists can. Other ecosystems install where
//! the function's code is not (system directories, `node_modules/<name>`).

use std::collections::HashMap;

use crate::image::layer::Kind;
use crate::image::overlay::Fs;
use crate::model::bytes::PackageDir;
use crate::model::{Ecosystem, Package};

/// `owner` maps each claimed file (real path, no leading `/`) to its index in `packages`.
pub fn python_dirs(
    fs: &Fs,
    packages: &[Package],
    owner: &HashMap<String, usize>,
) -> Vec<PackageDir> {
    // Top directories under each distribution's site directory, by the files it claimed.
    let mut tops: HashMap<String, usize> = HashMap::new();
    let mut shared: Vec<String> = Vec::new();
    for (path, &i) in owner {
        let p = &packages[i];
        if p.ecosystem != Ecosystem::Pypi {
            continue;
        }
        // `/<site>/<name>-<version>.dist-info/METADATA`.
        let site = parent(parent(p.location.trim_start_matches('/')));
        let Some(rest) = path.strip_prefix(site).and_then(|r| r.strip_prefix('/')) else {
            continue;
        };
        let Some((first, _)) = rest.split_once('/') else {
            continue; // a file directly in the site directory
        };
        let top = format!("{site}/{first}");
        match tops.get(&top) {
            Some(&j) if j != i => shared.push(top),
            Some(_) => {}
            None => {
                tops.insert(top, i);
            }
        }
    }
    for top in shared {
        tops.remove(&top);
    }
    let mut dirs: Vec<PackageDir> = tops
        .into_iter()
        .filter(|(top, i)| {
            fs.below(top)
                .filter(|(_, n)| n.kind == Kind::File)
                .all(|(p, _)| owner.get(p) == Some(i))
        })
        .map(|(top, i)| PackageDir {
            path: format!("/{top}"),
            ecosystem: packages[i].ecosystem,
            name: packages[i].name.clone(),
        })
        .collect();
    dirs.sort_by(|a, b| a.path.cmp(&b.path));
    dirs
}

fn parent(p: &str) -> &str {
    p.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}
