//! dive's efficiency score, computed exactly as dive computes it, so `gate` and `dive --ci`
//! agree on the same image.
//!
//! dive (filetree/efficiency.go) visits the *leaves* of each layer's own tree. Every visit of a
//! path adds the node's size to that path's cumulative size; a whiteout adds the size of the
//! whole directory it removes (0 when it removes a file) as found in the layers stacked below.
//! The score is Σ min(size seen) / Σ cumulative size over all paths; wasted bytes are the
//! whole cumulative size of every path seen at least twice (dive's `Analyze`). Its quirks are
//! kept on purpose: opaque markers are ignored, directories created implicitly carry no
//! "is dir" flag, and a whiteout of a path missing below stops the visit of that layer.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::layer::{Change, Kind, WHITEOUT_PREFIX};

/// dive's figures for one image, as `dive --ci` reports them. The report carries this value
/// itself (`image.dive`): one type from the scan to the JSON and back to the `.dive-ci` rules.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct DiveScore {
    pub efficiency: f64,
    pub wasted_bytes: u64,
    pub user_size_bytes: u64,
    pub user_wasted_percent: f64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Info {
    size: u64,
    is_dir: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct PathData {
    cumulative: u64,
    /// Meaningful once `visits` > 0.
    min: u64,
    visits: u32,
}

type Id = u32;
const ROOT: Id = 0;

/// Every path dive has seen, as a tree of names: each path is one node holding only its
/// last component, so memory grows with the names in the input, not with depth × length
/// (a path of 32,767 components would otherwise be 32,767 copies of its prefixes).
struct Trie {
    parent: Vec<Id>,
    /// Children by name, in name order: walking them is dive's visiting order.
    children: Vec<Kids>,
    /// For nodes named `.wh.x`: the node `x` beside them, the path the whiteout removes.
    whiteout_of: HashMap<Id, Id>,
}

impl Trie {
    fn new() -> Trie {
        Trie {
            parent: vec![ROOT],
            children: vec![Kids::default()],
            whiteout_of: HashMap::new(),
        }
    }

    fn len(&self) -> usize {
        self.parent.len()
    }

    fn child(&mut self, parent: Id, name: &str) -> Id {
        if let Some(id) = self.children[parent as usize].get(name) {
            return id;
        }
        let id = Id::try_from(self.parent.len()).expect("fewer than 2^32 paths");
        self.parent.push(parent);
        self.children.push(Kids::default());
        self.children[parent as usize].insert(name, id);
        if let Some(rest) = name.strip_prefix(WHITEOUT_PREFIX) {
            let target = self.child(parent, rest);
            self.whiteout_of.insert(id, target);
        }
        id
    }

    /// The node of a normalized path (no empty components but the root's "").
    fn intern(&mut self, path: &str) -> Id {
        path.split('/')
            .filter(|c| !c.is_empty())
            .fold(ROOT, |p, c| self.child(p, c))
    }

    /// `id` and its ancestors up to (not including) the root.
    fn ancestors(&self, id: Id) -> impl Iterator<Item = Id> + '_ {
        std::iter::successors(Some(id), |&i| Some(self.parent[i as usize]))
            .take_while(|&i| i != ROOT)
    }

    /// The nodes below `id` (not `id` itself) for which `keep` holds, descending only
    /// through kept nodes.
    fn subtree(&self, id: Id, keep: impl Fn(Id) -> bool) -> Vec<Id> {
        let mut out = Vec::new();
        let mut stack: Vec<Id> = vec![id];
        while let Some(n) = stack.pop() {
            for c in self.children[n as usize].ids() {
                if keep(c) {
                    out.push(c);
                    stack.push(c);
                }
            }
        }
        out
    }

    /// dive's VisitDepthChildFirst order over the nodes in `set` (which holds every
    /// ancestor of its members): names sorted within a directory, descendants first.
    fn post_order(&self, set: &HashMap<Id, Info>) -> Vec<Id> {
        let mut out = Vec::with_capacity(set.len());
        // (node, its children in set still to visit, reversed so pop gives name order)
        let kids = |n: Id| -> Vec<Id> {
            self.children[n as usize]
                .ids()
                .rev()
                .filter(|c| set.contains_key(c))
                .collect()
        };
        let mut stack: Vec<(Id, Vec<Id>)> = vec![(ROOT, kids(ROOT))];
        while let Some((n, pending)) = stack.last_mut() {
            match pending.pop() {
                Some(c) => {
                    let k = kids(c);
                    stack.push((c, k));
                }
                None => {
                    if *n != ROOT {
                        out.push(*n);
                    }
                    stack.pop();
                }
            }
        }
        out
    }
}

/// A directory's children, sorted by name. Most directories in a deep or ordinary tree have
/// a handful: a sorted vector costs one small allocation where a B-tree costs a 200-byte
/// node; past `SMALL` the B-tree keeps inserts cheap.
enum Kids {
    Small(Vec<(Box<str>, Id)>),
    Large(BTreeMap<Box<str>, Id>),
}

impl Default for Kids {
    fn default() -> Self {
        Kids::Small(Vec::new())
    }
}

impl Kids {
    const SMALL: usize = 32;

    fn get(&self, name: &str) -> Option<Id> {
        match self {
            Kids::Small(v) => v
                .binary_search_by(|(n, _)| (**n).cmp(name))
                .ok()
                .map(|i| v[i].1),
            Kids::Large(m) => m.get(name).copied(),
        }
    }

    fn insert(&mut self, name: &str, id: Id) {
        match self {
            Kids::Small(v) if v.len() < Self::SMALL => {
                let at = v
                    .binary_search_by(|(n, _)| (**n).cmp(name))
                    .unwrap_or_else(|i| i);
                if v.capacity() == 0 {
                    v.reserve_exact(1);
                }
                v.insert(at, (name.into(), id));
            }
            Kids::Small(v) => {
                let mut m: BTreeMap<Box<str>, Id> = std::mem::take(v).into_iter().collect();
                m.insert(name.into(), id);
                *self = Kids::Large(m);
            }
            Kids::Large(m) => {
                m.insert(name.into(), id);
            }
        }
    }

    /// In name order.
    fn ids(&self) -> Box<dyn DoubleEndedIterator<Item = Id> + '_> {
        match self {
            Kids::Small(v) => Box::new(v.iter().map(|(_, id)| *id)),
            Kids::Large(m) => Box::new(m.values().copied()),
        }
    }
}

impl Default for Trie {
    fn default() -> Self {
        Trie::new()
    }
}

/// Folds layers in one at a time (bottom first), as the scan produces them.
#[derive(Default)]
pub struct DiveAccumulator {
    trie: Trie,
    /// dive's stacked tree of the layers seen so far, by node.
    stacked: Vec<Option<Info>>,
    paths: Vec<PathData>,
    layer_sizes: Vec<u64>,
    layers_seen: usize,
}

impl DiveAccumulator {
    pub fn new() -> Self {
        Self::default()
    }

    /// `size_bytes` is the layer's total of header sizes (dive's `tree.FileSize`).
    pub fn add_layer(&mut self, changes: &[Change], size_bytes: u64) {
        let tree = self.layer_tree(changes);
        let n = self.trie.len();
        self.stacked.resize(n, None);
        self.paths.resize(n, PathData::default());
        // Layer 0 is compared against itself (dive's StackTreeRange(trees, 0, -1) is a copy
        // of tree 0), every later layer against the stack of those below it.
        if self.layers_seen == 0 {
            for (&id, &info) in &tree {
                self.stacked[id as usize] = Some(info);
            }
        }
        let has_children: HashSet<Id> = tree
            .keys()
            .map(|&id| self.trie.parent[id as usize])
            .collect();
        let order = self.trie.post_order(&tree);
        // dive visits depth-first, children before parents, children sorted by name.
        for &id in order.iter().filter(|id| !has_children.contains(id)) {
            let info = tree[&id];
            let (path, whiteout) = match self.trie.whiteout_of.get(&id) {
                Some(&target) => (target, true),
                None => (id, false),
            };
            let size = if whiteout {
                match self.stacked[path as usize] {
                    None => break, // dive: "path does not exist" aborts this layer's visit
                    Some(prev) if prev.is_dir => {
                        prev.size
                            + self
                                .trie
                                .subtree(path, |c| self.stacked[c as usize].is_some())
                                .iter()
                                .filter_map(|&c| self.stacked[c as usize])
                                .map(|i| i.size)
                                .sum::<u64>()
                    }
                    Some(_) => 0,
                }
            } else {
                info.size
            };
            let d = &mut self.paths[path as usize];
            d.cumulative += size;
            d.min = if d.visits == 0 { size } else { d.min.min(size) };
            d.visits += 1;
        }
        // Stack this layer (dive's Stack: every node, children first; whiteouts remove).
        for &id in &order {
            match self.trie.whiteout_of.get(&id) {
                Some(&target) => {
                    let doomed = self
                        .trie
                        .subtree(target, |c| self.stacked[c as usize].is_some());
                    for k in doomed {
                        self.stacked[k as usize] = None;
                    }
                    self.stacked[target as usize] = None;
                }
                None => self.stacked[id as usize] = Some(tree[&id]),
            }
        }
        self.layer_sizes.push(size_bytes);
        self.layers_seen += 1;
    }

    pub fn finish(&self) -> DiveScore {
        let (mut min_sum, mut cum_sum, mut wasted) = (0u64, 0u64, 0u64);
        for d in self.paths.iter().filter(|d| d.visits > 0) {
            min_sum += d.min;
            cum_sum += d.cumulative;
            // dive counts the whole cumulative size of a path seen twice as wasted.
            if d.visits >= 2 {
                wasted += d.cumulative;
            }
        }
        let efficiency = if cum_sum == 0 {
            1.0
        } else {
            min_sum as f64 / cum_sum as f64
        };
        let user_size_bytes: u64 = self.layer_sizes.iter().skip(1).sum();
        DiveScore {
            efficiency,
            wasted_bytes: wasted,
            user_size_bytes,
            user_wasted_percent: if user_size_bytes == 0 {
                0.0
            } else {
                wasted as f64 / user_size_bytes as f64
            },
        }
    }

    /// One layer's tree as dive builds it: every entry (whiteouts under their `.wh.` names),
    /// plus the directories implied by the paths, which carry an empty payload.
    fn layer_tree(&mut self, changes: &[Change]) -> HashMap<Id, Info> {
        let mut tree: HashMap<Id, Info> = HashMap::new();
        // Parents are added from the node up and stop at the first one already there, so a
        // deep path costs its depth once, not once per entry below it.
        let ensure_parents = |trie: &Trie, tree: &mut HashMap<Id, Info>, id: Id| {
            for a in trie.ancestors(trie.parent[id as usize]) {
                if tree.contains_key(&a) {
                    break;
                }
                tree.insert(a, Info::default());
            }
        };
        for c in changes {
            match c {
                Change::Add(e) => {
                    let id = self.trie.intern(&e.path);
                    if id == ROOT {
                        continue;
                    }
                    ensure_parents(&self.trie, &mut tree, id);
                    tree.insert(
                        id,
                        Info {
                            size: e.size,
                            is_dir: e.kind == Kind::Dir,
                        },
                    );
                }
                Change::Whiteout(p) => {
                    let (dir, name) = match p.rsplit_once('/') {
                        Some((d, n)) => (d, n),
                        None => ("", p.as_str()),
                    };
                    let parent = self.trie.intern(dir);
                    let id = self.trie.child(parent, &format!("{WHITEOUT_PREFIX}{name}"));
                    ensure_parents(&self.trie, &mut tree, id);
                    tree.insert(id, Info::default());
                }
                // dive drops the marker itself but has already created the directories above it.
                Change::Opaque(dir) => {
                    if !dir.is_empty() {
                        let id = self.trie.intern(dir);
                        if id != ROOT {
                            ensure_parents(&self.trie, &mut tree, id);
                            tree.entry(id).or_default();
                        }
                    }
                }
            }
        }
        tree
    }
}

#[cfg(test)]
mod tests {
    use super::super::layer::Entry;
    use super::super::overlay::test_file as file;
    use super::*;

    #[test]
    fn duplicated_and_removed_files_cost_efficiency() {
        let mut acc = DiveAccumulator::new();
        acc.add_layer(&[file("base", 1000)], 1000);
        acc.add_layer(&[file("a", 100)], 100);
        acc.add_layer(&[file("a", 100)], 100); // written twice
        acc.add_layer(&[Change::Whiteout("a".into())], 0); // and removed: a file whiteout adds 0
        let s = acc.finish();
        // a: cumulative 200, min 0; score (1000 + 0) / (1000 + 200); dive's waste is the
        // whole cumulative size of "a".
        assert_eq!(s.wasted_bytes, 200);
        assert_eq!(s.user_size_bytes, 200);
        assert!((s.efficiency - 1000.0 / 1200.0).abs() < 1e-12);
        assert!((s.user_wasted_percent - 1.0).abs() < 1e-12);
    }

    #[test]
    fn large_directories_find_their_paths_again() {
        // 100 files in one directory (past the small-vector size of the name tree), written
        // twice: every path is seen twice, so half the bytes are dive's waste.
        let dir = Change::Add(Entry {
            path: "d".into(),
            kind: Kind::Dir,
            size: 0,
            mode: 0o755,
            uid: 0,
            gid: 0,
            link: None,
        });
        let files: Vec<Change> = std::iter::once(dir)
            .chain((0..100).map(|i| file(&format!("d/f{i:03}"), 10)))
            .collect();
        let mut acc = DiveAccumulator::new();
        acc.add_layer(&files, 1000);
        acc.add_layer(&files, 1000);
        let s = acc.finish();
        assert_eq!(s.wasted_bytes, 2000);
        assert!((s.efficiency - 0.5).abs() < 1e-12);
        // Removing the directory adds its whole stacked subtree (1000) to the path "d" once.
        acc.add_layer(&[Change::Whiteout("d".into())], 0);
        let s = acc.finish();
        assert_eq!(s.wasted_bytes, 2000);
        assert!((s.efficiency - 2000.0 / 3000.0).abs() < 1e-12);
    }

    #[test]
    fn a_missing_whiteout_target_stops_the_layer_visit() {
        let mut acc = DiveAccumulator::new();
        acc.add_layer(&[file("x", 10)], 10);
        // "b/ghost" sorts before "c": the visit stops there and "c" is never counted.
        acc.add_layer(&[Change::Whiteout("b/ghost".into()), file("c", 5)], 5);
        let s = acc.finish();
        assert!((s.efficiency - 1.0).abs() < 1e-12);
        assert_eq!(s.wasted_bytes, 0);
    }
}
