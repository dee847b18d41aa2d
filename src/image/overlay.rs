//! The merged filesystem: layers applied in order with overlay semantics, and a record of
//! every byte a later layer hid.
//!
//! Semantics (OCI image spec, "Applying changesets"): a layer's whiteouts apply only to the
//! layers beneath it, so they run before the layer's own entries; a non-directory replaces
//! whatever was at its path, including a whole directory tree; a directory over a directory
//! merges. Works on `Change` values, so it is tested without any tar file.

use std::collections::BTreeMap;
use std::ops::Bound;

use super::layer::{Change, Entry, Kind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: Kind,
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// The layer that wrote this node.
    pub layer: usize,
    pub link: Option<Box<str>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HideReason {
    /// A later layer wrote the same path (or replaced a directory above it).
    Overwritten,
    /// A whiteout of the file or of an ancestor directory.
    Removed,
    /// An opaque whiteout on an ancestor directory.
    Opaque,
}

impl HideReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HideReason::Overwritten => "overwritten",
            HideReason::Removed => "removed",
            HideReason::Opaque => "opaque",
        }
    }
}

/// Regular-file bytes that are in a layer but not in the merged filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hidden {
    pub path: String,
    pub bytes: u64,
    /// The layer that wrote the bytes.
    pub layer: usize,
    /// The layer that hid them.
    pub hidden_by: usize,
    pub reason: HideReason,
}

#[derive(Debug, Default)]
pub struct Fs {
    nodes: BTreeMap<String, Node>,
    hidden: Vec<Hidden>,
}

impl Fs {
    pub fn new() -> Fs {
        Fs::default()
    }

    /// Applies layer `layer`'s changes on top of what is there.
    pub fn apply_layer(&mut self, layer: usize, changes: Vec<Change>) {
        let (removals, adds): (Vec<Change>, Vec<Change>) = changes
            .into_iter()
            .partition(|c| !matches!(c, Change::Add(_)));
        for change in removals {
            match change {
                Change::Whiteout(path) => {
                    self.hide(&path, layer, HideReason::Removed);
                    self.hide_below(&path, layer, HideReason::Removed);
                }
                Change::Opaque(dir) => self.hide_below(&dir, layer, HideReason::Opaque),
                Change::Add(_) => unreachable!(),
            }
        }
        for change in adds {
            if let Change::Add(entry) = change {
                self.add(layer, entry);
            }
        }
    }

    fn add(&mut self, layer: usize, e: Entry) {
        // A directory can only exist below directories: a file or link on an ancestor path
        // is replaced by the directory the new entry implies.
        let mut cut = 0;
        while let Some(i) = e.path[cut..].find('/') {
            let ancestor = &e.path[..cut + i];
            if self
                .nodes
                .get(ancestor)
                .is_some_and(|n| n.kind != Kind::Dir)
            {
                let a = ancestor.to_string();
                self.hide(&a, layer, HideReason::Overwritten);
            }
            cut += i + 1;
        }
        let new_is_dir = e.kind == Kind::Dir;
        if let Some(old_kind) = self.nodes.get(&e.path).map(|n| n.kind) {
            if old_kind == Kind::Dir && !new_is_dir {
                self.hide_below(&e.path, layer, HideReason::Overwritten);
            }
            if old_kind != Kind::Dir || !new_is_dir {
                self.hide(&e.path, layer, HideReason::Overwritten);
            }
        }
        self.nodes.insert(
            e.path,
            Node {
                kind: e.kind,
                size: e.size,
                mode: e.mode,
                uid: e.uid,
                gid: e.gid,
                layer,
                link: e.link,
            },
        );
    }

    fn hide(&mut self, path: &str, by: usize, reason: HideReason) {
        if let Some(node) = self.nodes.remove(path) {
            self.record(path.to_string(), node, by, reason);
        }
    }

    fn hide_below(&mut self, dir: &str, by: usize, reason: HideReason) {
        let keys: Vec<String> = self.below(dir).map(|(k, _)| k.to_string()).collect();
        for k in keys {
            if let Some(node) = self.nodes.remove(&k) {
                self.record(k, node, by, reason);
            }
        }
    }

    fn record(&mut self, path: String, node: Node, by: usize, reason: HideReason) {
        if node.kind == Kind::File && node.size > 0 {
            self.hidden.push(Hidden {
                path,
                bytes: node.size,
                layer: node.layer,
                hidden_by: by,
                reason,
            });
        }
    }

    /// Every node strictly below directory `dir` ("" is the root), in path order.
    pub fn below<'a>(&'a self, dir: &str) -> impl Iterator<Item = (&'a str, &'a Node)> + 'a {
        let (lo, hi) = if dir.is_empty() {
            (Bound::Unbounded, Bound::Unbounded)
        } else {
            // '0' is the byte after '/', so [dir/, dir0) is exactly the subtree.
            (
                Bound::Included(format!("{dir}/")),
                Bound::Excluded(format!("{dir}0")),
            )
        };
        self.nodes
            .range::<String, _>((lo, hi))
            .map(|(k, v)| (k.as_str(), v))
    }

    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn hidden(&self) -> &[Hidden] {
        &self.hidden
    }

    /// Regular-file bytes visible in the merged filesystem.
    pub fn final_bytes(&self) -> u64 {
        self.nodes
            .values()
            .filter(|n| n.kind == Kind::File)
            .map(|n| n.size)
            .sum()
    }

    /// Non-directory entries visible in the merged filesystem.
    pub fn file_count(&self) -> u64 {
        self.nodes.values().filter(|n| n.kind != Kind::Dir).count() as u64
    }

    pub fn wasted_bytes(&self) -> u64 {
        self.hidden.iter().map(|h| h.bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, size: u64) -> Change {
        Change::Add(Entry {
            path: path.into(),
            kind: Kind::File,
            size,
            mode: 0o644,
            uid: 0,
            gid: 0,
            link: None,
        })
    }
    fn dir(path: &str) -> Change {
        Change::Add(Entry {
            path: path.into(),
            kind: Kind::Dir,
            size: 0,
            mode: 0o755,
            uid: 0,
            gid: 0,
            link: None,
        })
    }
    fn link(path: &str) -> Change {
        Change::Add(Entry {
            path: path.into(),
            kind: Kind::Symlink,
            size: 0,
            mode: 0o777,
            uid: 0,
            gid: 0,
            link: Some("elsewhere".into()),
        })
    }

    fn fs(layers: Vec<Vec<Change>>) -> Fs {
        let mut fs = Fs::new();
        for (i, l) in layers.into_iter().enumerate() {
            fs.apply_layer(i, l);
        }
        fs
    }

    #[test]
    fn overwrite_hides_the_lower_file() {
        let f = fs(vec![vec![file("a", 10)], vec![file("a", 3)]]);
        assert_eq!(f.final_bytes(), 3);
        assert_eq!(
            f.hidden(),
            &[Hidden {
                path: "a".into(),
                bytes: 10,
                layer: 0,
                hidden_by: 1,
                reason: HideReason::Overwritten
            }]
        );
    }

    #[test]
    fn whiteout_of_a_directory_hides_its_tree_but_not_its_neighbours() {
        let f = fs(vec![
            vec![
                dir("d"),
                file("d/x", 5),
                file("d/sub/y", 7),
                file("d.txt", 11),
                file("dx", 13),
            ],
            vec![Change::Whiteout("d".into())],
        ]);
        assert_eq!(f.wasted_bytes(), 12);
        assert_eq!(f.final_bytes(), 24);
        assert_eq!(f.file_count(), 2);
        assert!(f
            .hidden()
            .iter()
            .all(|h| h.reason == HideReason::Removed && h.hidden_by == 1));
    }

    #[test]
    fn whiteouts_apply_only_to_lower_layers() {
        // The same layer recreates what its whiteout removed: the new file stays visible.
        let f = fs(vec![
            vec![file("a", 10)],
            vec![file("a", 4), Change::Whiteout("a".into())],
        ]);
        assert_eq!(f.final_bytes(), 4);
        assert_eq!(f.wasted_bytes(), 10);
        assert_eq!(f.hidden()[0].reason, HideReason::Removed);
    }

    #[test]
    fn opaque_directory_hides_lower_children_and_keeps_its_own() {
        let f = fs(vec![
            vec![dir("c"), file("c/old", 100), file("keep", 1)],
            vec![dir("c"), Change::Opaque("c".into()), file("c/new", 9)],
        ]);
        assert_eq!(f.final_bytes(), 10);
        assert_eq!(f.hidden().len(), 1);
        assert_eq!(f.hidden()[0].reason, HideReason::Opaque);
        assert!(f.get("c").is_some(), "the directory itself stays");
    }

    #[test]
    fn a_file_replacing_a_directory_hides_the_tree() {
        let f = fs(vec![vec![dir("d"), file("d/x", 5)], vec![link("d")]]);
        assert_eq!(f.wasted_bytes(), 5);
        assert_eq!(f.get("d").unwrap().kind, Kind::Symlink);
        assert_eq!(f.file_count(), 1);
    }

    #[test]
    fn a_directory_replacing_a_file_hides_the_file() {
        let f = fs(vec![vec![file("d", 8)], vec![file("d/x", 1)]]);
        assert_eq!(f.wasted_bytes(), 8);
        assert_eq!(f.final_bytes(), 1);
    }

    #[test]
    fn a_directory_recreated_after_delete_is_fresh() {
        let f = fs(vec![
            vec![dir("d"), file("d/a", 5)],
            vec![Change::Whiteout("d".into())],
            vec![dir("d"), file("d/b", 2)],
        ]);
        assert_eq!(f.final_bytes(), 2);
        assert_eq!(f.wasted_bytes(), 5);
        assert_eq!(f.hidden()[0].hidden_by, 1);
    }

    #[test]
    fn size_is_final_plus_wasted() {
        let layers = vec![
            vec![dir("a"), file("a/1", 10), file("a/2", 20), file("b", 30)],
            vec![file("a/1", 11), Change::Whiteout("b".into())],
            vec![Change::Opaque("a".into()), file("a/3", 7)],
        ];
        let total: u64 = layers
            .iter()
            .flatten()
            .map(|c| match c {
                Change::Add(e) => e.size,
                _ => 0,
            })
            .sum();
        let f = fs(layers);
        assert_eq!(f.final_bytes() + f.wasted_bytes(), total);
        assert_eq!(f.final_bytes(), 7);
    }
}
