//! The directory-size summary: regular-file bytes visible under each directory of the merged
//! filesystem, down to a bounded depth. Diffs against a baseline ("/var/task/data grew 6 MB")
//! and the pictures of the image (a treemap) are drawn from it, so it lives beside the overlay
//! and sees only the final filesystem.

use std::collections::HashMap;

use super::layer::Kind;
use super::overlay::Fs;

/// Deep enough to name `/var/lang/lib/python3.12/site-packages` (depth 5); deeper trees are
/// summed into their ancestor at that depth.
pub const MAX_DEPTH: usize = 5;
/// A 16,000-file image has a few hundred directories at that depth; the cap keeps a hostile
/// image's report small. The largest are kept, so every kept directory's ancestors are kept.
pub const MAX_DIRS: usize = 2000;

/// One directory: path without a leading `/` ("" is the root), visible bytes and non-directory
/// entries below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirTotal {
    pub path: String,
    pub bytes: u64,
    pub files: u64,
}

/// Every directory down to `max_depth` with what is visible below it, the root first, then
/// largest first (ties by path), at most `max_dirs` of them.
pub fn dir_sizes(fs: &Fs, max_depth: usize, max_dirs: usize) -> Vec<DirTotal> {
    let mut totals: HashMap<&str, (u64, u64)> = HashMap::new();
    for (path, node) in fs.iter() {
        if node.kind == Kind::Dir {
            continue;
        }
        let bytes = if node.kind == Kind::File {
            node.size
        } else {
            0
        };
        let root = totals.entry("").or_default();
        root.0 += bytes;
        root.1 += 1;
        // Each ancestor directory up to max_depth: the prefixes ending before a '/'.
        for (depth, (i, _)) in path.match_indices('/').enumerate() {
            if depth >= max_depth {
                break;
            }
            let t = totals.entry(&path[..i]).or_default();
            t.0 += bytes;
            t.1 += 1;
        }
    }
    let mut out: Vec<DirTotal> = totals
        .into_iter()
        .map(|(p, (bytes, files))| DirTotal {
            path: p.to_string(),
            bytes,
            files,
        })
        .collect();
    // The root sorts first (it holds everything); among equals the shorter path (an
    // ancestor) comes before the longer, so the cap never keeps a child without its parent.
    out.sort_by(|a, b| {
        b.bytes
            .cmp(&a.bytes)
            .then(a.path.len().cmp(&b.path.len()))
            .then(a.path.cmp(&b.path))
    });
    out.truncate(max_dirs);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::layer::{Change, Entry};

    fn add(path: &str, kind: Kind, size: u64) -> Change {
        Change::Add(Entry {
            path: path.into(),
            kind,
            size,
            mode: 0o644,
            uid: 0,
            gid: 0,
            link: None,
        })
    }

    #[test]
    fn sums_visible_bytes_per_directory_and_stops_at_the_depth() {
        let mut fs = Fs::new();
        fs.apply_layer(
            0,
            vec![
                add("usr", Kind::Dir, 0),
                add("usr/lib", Kind::Dir, 0),
                add("usr/lib/a", Kind::File, 100),
                add("usr/lib/x/y/z", Kind::File, 7),
                add("usr/bin", Kind::Dir, 0),
                add("usr/bin/sh", Kind::Symlink, 0),
                add("top", Kind::File, 5),
            ],
        );
        // A later layer removes a file: it no longer counts anywhere.
        fs.apply_layer(1, vec![Change::Whiteout("usr/lib/a".into())]);
        let d = dir_sizes(&fs, 2, 100);
        let get = |p: &str| d.iter().find(|t| t.path == p).map(|t| (t.bytes, t.files));
        assert_eq!(get(""), Some((12, 3)));
        assert_eq!(get("usr"), Some((7, 2)));
        assert_eq!(get("usr/lib"), Some((7, 1)));
        assert_eq!(get("usr/bin"), Some((0, 1)));
        // depth 2 is the last level kept: usr/lib/x is summed into usr/lib.
        assert_eq!(get("usr/lib/x"), None);
        assert_eq!(d[0].path, "");
        let capped = dir_sizes(&fs, 2, 2);
        assert_eq!(
            capped.iter().map(|t| t.path.as_str()).collect::<Vec<_>>(),
            ["", "usr"]
        );
    }
}
