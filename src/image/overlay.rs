//! The merged filesystem: layers applied in order with overlay semantics, and a record of
//! every byte a later layer hid.
//!
//! Semantics (OCI image spec, "Applying changesets"): a layer's whiteouts apply only to the
//! layers beneath it, so they run before the layer's own entries; a non-directory replaces
//! whatever was at its path, including a whole directory tree; a directory over a directory
//! merges. Works on `Change` values, so it is tested without any tar file.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use super::archive::clean_member_name;
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

/// Serialized as `top_wasted[].reason` spells it (strum gives the same name to `as_str`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    strum::IntoStaticStr,
    strum::Display,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
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
        self.into()
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
    /// Boxed paths: a million-file layer costs 8 bytes less per entry than with `String`.
    nodes: BTreeMap<Box<str>, Node>,
    hidden: Vec<Hidden>,
    /// Only the paths that share their bytes through a hard link: the file and its links.
    /// Most images have none, so plain files pay nothing for this.
    inode_of: HashMap<Box<str>, usize>,
    inodes: Vec<Inode>,
}

/// The bytes several hard-linked paths share. They stay in the image while any of the paths
/// is visible, and become waste only when the last one is hidden.
#[derive(Debug, Clone)]
struct Inode {
    size: u64,
    layer: usize,
    visible_links: usize,
}

impl Fs {
    pub fn new() -> Fs {
        Fs::default()
    }

    /// Applies layer `layer`'s changes on top of what is there.
    pub fn apply_layer(&mut self, layer: usize, changes: Vec<Change>) {
        // Two passes over the one list (removals, then additions) rather than splitting it
        // in two: a million-entry layer is not copied.
        for change in &changes {
            match change {
                Change::Whiteout(path) => {
                    self.hide(path, layer, HideReason::Removed);
                    self.hide_below(path, layer, HideReason::Removed);
                }
                Change::Opaque(dir) => self.hide_below(dir, layer, HideReason::Opaque),
                Change::Add(_) => {}
            }
        }
        for change in changes {
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
        if let Some(old_kind) = self.nodes.get(e.path.as_str()).map(|n| n.kind) {
            if old_kind == Kind::Dir && !new_is_dir {
                self.hide_below(&e.path, layer, HideReason::Overwritten);
            }
            if old_kind != Kind::Dir || !new_is_dir {
                self.hide(&e.path, layer, HideReason::Overwritten);
            }
        }
        if e.kind == Kind::Hardlink {
            if let Some(target) = e.link.as_deref().and_then(clean_member_name) {
                self.link_inode(&target, &e.path);
            }
        }
        self.nodes.insert(
            e.path.into_boxed_str(),
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

    /// `link` becomes one more name of the bytes at `target` (a regular file, or a hard link
    /// to one, visible now).
    fn link_inode(&mut self, target: &str, link: &str) {
        let id = match self.inode_of.get(target) {
            Some(&id) => id,
            None => match self.nodes.get(target) {
                Some(n) if n.kind == Kind::File => {
                    self.inodes.push(Inode {
                        size: n.size,
                        layer: n.layer,
                        visible_links: 1,
                    });
                    let id = self.inodes.len() - 1;
                    self.inode_of.insert(target.into(), id);
                    id
                }
                _ => return, // a dangling link holds no bytes
            },
        };
        self.inodes[id].visible_links += 1;
        self.inode_of.insert(link.into(), id);
    }

    fn hide(&mut self, path: &str, by: usize, reason: HideReason) {
        if let Some(node) = self.nodes.remove(path) {
            self.record(path.to_string(), node, by, reason);
        }
    }

    fn hide_below(&mut self, dir: &str, by: usize, reason: HideReason) {
        let keys: Vec<Box<str>> = self.below(dir).map(|(k, _)| k.into()).collect();
        for k in keys {
            if let Some(node) = self.nodes.remove(&k) {
                self.record(k.into_string(), node, by, reason);
            }
        }
    }

    fn record(&mut self, path: String, node: Node, by: usize, reason: HideReason) {
        if let Some(id) = self.inode_of.remove(path.as_str()) {
            // Hard-linked bytes are hidden only with their last visible name.
            let inode = &mut self.inodes[id];
            inode.visible_links -= 1;
            if inode.visible_links == 0 && inode.size > 0 {
                self.hidden.push(Hidden {
                    path,
                    bytes: inode.size,
                    layer: inode.layer,
                    hidden_by: by,
                    reason,
                });
            }
            return;
        }
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
        let (lo, hi): (Bound<Box<str>>, Bound<Box<str>>) = if dir.is_empty() {
            (Bound::Unbounded, Bound::Unbounded)
        } else {
            // '0' is the byte after '/', so [dir/, dir0) is exactly the subtree.
            (
                Bound::Included(format!("{dir}/").into()),
                Bound::Excluded(format!("{dir}0").into()),
            )
        };
        self.nodes.range((lo, hi)).map(|(k, v)| (&**k, v))
    }

    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes.iter().map(|(k, v)| (&**k, v))
    }

    pub fn hidden(&self) -> &[Hidden] {
        &self.hidden
    }

    /// Regular-file bytes visible in the merged filesystem.
    pub fn final_bytes(&self) -> u64 {
        let linked = |p: &str| !self.inode_of.is_empty() && self.inode_of.contains_key(p);
        let unlinked: u64 = self
            .nodes
            .iter()
            .filter(|(p, n)| n.kind == Kind::File && !linked(p))
            .map(|(_, n)| n.size)
            .sum();
        let linked: u64 = self
            .inodes
            .iter()
            .filter(|i| i.visible_links > 0)
            .map(|i| i.size)
            .sum();
        unlinked + linked
    }

    /// Non-directory entries visible in the merged filesystem.
    pub fn file_count(&self) -> u64 {
        self.nodes.values().filter(|n| n.kind != Kind::Dir).count() as u64
    }

    pub fn wasted_bytes(&self) -> u64 {
        self.hidden.iter().map(|h| h.bytes).sum()
    }
}

/// A regular file `path` of `size` bytes as a layer adds it (mode 644, root's): what the tests
/// of the overlay, the dive score and the package readers build their layers from.
#[cfg(test)]
pub(crate) fn test_file(path: &str, size: u64) -> Change {
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

#[cfg(test)]
mod tests {
    use super::test_file as file;
    use super::*;
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

    fn hardlink(path: &str, target: &str) -> Change {
        Change::Add(Entry {
            path: path.into(),
            kind: Kind::Hardlink,
            size: 0,
            mode: 0o644,
            uid: 0,
            gid: 0,
            link: Some(target.into()),
        })
    }

    #[test]
    fn hard_linked_bytes_stay_while_any_link_is_visible() {
        // One layer: a file and a link to it; a later layer removes the file.
        let f = fs(vec![
            vec![file("a", 1000), hardlink("b", "a")],
            vec![Change::Whiteout("a".into())],
        ]);
        assert_eq!((f.final_bytes(), f.wasted_bytes()), (1000, 0));
        // The link is in a later layer than the file.
        let f = fs(vec![
            vec![file("a", 1000)],
            vec![hardlink("b", "./a")],
            vec![Change::Whiteout("a".into())],
        ]);
        assert_eq!((f.final_bytes(), f.wasted_bytes()), (1000, 0));
        // Both removed, one layer after the other: waste once, charged to the writer.
        let f = fs(vec![
            vec![file("a", 1000), hardlink("b", "a")],
            vec![Change::Whiteout("a".into())],
            vec![Change::Whiteout("b".into())],
        ]);
        assert_eq!((f.final_bytes(), f.wasted_bytes()), (0, 1000));
        assert_eq!(f.hidden().len(), 1);
        assert_eq!((f.hidden()[0].layer, f.hidden()[0].hidden_by), (0, 2));
        // Both visible: the bytes count once.
        let f = fs(vec![vec![
            file("a", 1000),
            hardlink("b", "a"),
            hardlink("c", "b"),
        ]]);
        assert_eq!((f.final_bytes(), f.wasted_bytes()), (1000, 0));
        // The file is overwritten by new bytes: the link still holds the old ones.
        let f = fs(vec![
            vec![file("a", 1000), hardlink("b", "a")],
            vec![file("a", 10)],
        ]);
        assert_eq!((f.final_bytes(), f.wasted_bytes()), (1010, 0));
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
