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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;

use super::layer::{Change, Kind, WHITEOUT_PREFIX};

#[derive(Debug, Clone, Copy, PartialEq)]
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

#[derive(Default)]
struct PathData {
    cumulative: u64,
    min: Option<u64>,
    visits: u32,
}

/// Folds layers in one at a time (bottom first), as the scan produces them.
#[derive(Default)]
pub struct DiveAccumulator {
    /// dive's stacked tree of the layers seen so far: path → payload.
    stacked: BTreeMap<String, Info>,
    paths: HashMap<String, PathData>,
    layer_sizes: Vec<u64>,
    layers_seen: usize,
}

impl DiveAccumulator {
    pub fn new() -> Self {
        Self::default()
    }

    /// `size_bytes` is the layer's total of header sizes (dive's `tree.FileSize`).
    pub fn add_layer(&mut self, changes: &[Change], size_bytes: u64) {
        let tree = layer_tree(changes);
        // Layer 0 is compared against itself (dive's StackTreeRange(trees, 0, -1) is a copy
        // of tree 0), every later layer against the stack of those below it.
        if self.layers_seen == 0 {
            self.stacked = tree.iter().map(|(k, v)| (k.clone(), *v)).collect();
        }
        let has_children: BTreeSet<&str> = tree
            .keys()
            .filter_map(|k| k.rsplit_once('/').map(|(p, _)| p))
            .collect();
        // dive visits depth-first, children before parents, children sorted by name: for the
        // leaves that is the order of their paths compared component by component.
        let mut leaves: Vec<&String> = tree
            .keys()
            .filter(|k| !has_children.contains(k.as_str()))
            .collect();
        leaves.sort_by(|a, b| post_order(a, b));
        for raw in leaves {
            let info = tree[raw];
            let (path, whiteout) = strip_whiteout(raw);
            let size = if whiteout {
                match self.stacked.get(&path) {
                    None => break, // dive: "path does not exist" aborts this layer's visit
                    Some(prev) if prev.is_dir => {
                        prev.size
                            + subtree(&self.stacked, &path)
                                .map(|(_, i)| i.size)
                                .sum::<u64>()
                    }
                    Some(_) => 0,
                }
            } else {
                info.size
            };
            let d = self.paths.entry(path).or_default();
            d.cumulative += size;
            d.min = Some(d.min.map_or(size, |m| m.min(size)));
            d.visits += 1;
        }
        // Stack this layer (dive's Stack: every node, children first; whiteouts remove).
        {
            let mut nodes: Vec<(&String, &Info)> = tree.iter().collect();
            nodes.sort_by(|a, b| post_order(a.0, b.0));
            for (raw, info) in nodes {
                let (path, whiteout) = strip_whiteout(raw);
                if whiteout {
                    let doomed: Vec<String> = subtree(&self.stacked, &path)
                        .map(|(k, _)| k.clone())
                        .collect();
                    for k in doomed {
                        self.stacked.remove(&k);
                    }
                    self.stacked.remove(&path);
                } else {
                    self.stacked.insert(path, *info);
                }
            }
        }
        self.layer_sizes.push(size_bytes);
        self.layers_seen += 1;
    }

    pub fn finish(&self) -> DiveScore {
        let (mut min_sum, mut cum_sum, mut wasted) = (0u64, 0u64, 0u64);
        for d in self.paths.values() {
            let min = d.min.unwrap_or(0);
            min_sum += min;
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
}

/// One layer's tree as dive builds it: every entry (whiteouts under their `.wh.` names),
/// plus the directories implied by the paths, which carry an empty payload.
fn layer_tree(changes: &[Change]) -> BTreeMap<String, Info> {
    let mut tree: BTreeMap<String, Info> = BTreeMap::new();
    let ensure_parents = |tree: &mut BTreeMap<String, Info>, path: &str, include_self: bool| {
        let mut cut = 0;
        while let Some(i) = path[cut..].find('/') {
            tree.entry(path[..cut + i].to_string()).or_default();
            cut += i + 1;
        }
        if include_self {
            tree.entry(path.to_string()).or_default();
        }
    };
    for c in changes {
        match c {
            Change::Add(e) => {
                ensure_parents(&mut tree, &e.path, false);
                tree.insert(
                    e.path.clone(),
                    Info {
                        size: e.size,
                        is_dir: e.kind == Kind::Dir,
                    },
                );
            }
            Change::Whiteout(p) => {
                let raw = match p.rsplit_once('/') {
                    Some((d, n)) => format!("{d}/{WHITEOUT_PREFIX}{n}"),
                    None => format!("{WHITEOUT_PREFIX}{p}"),
                };
                ensure_parents(&mut tree, &raw, false);
                tree.insert(raw, Info::default());
            }
            // dive drops the marker itself but has already created the directories above it.
            Change::Opaque(dir) => {
                if !dir.is_empty() {
                    ensure_parents(&mut tree, dir, true);
                }
            }
        }
    }
    tree
}

/// dive's VisitDepthChildFirst order: names sorted within a directory, descendants before
/// their ancestors.
fn post_order(a: &str, b: &str) -> std::cmp::Ordering {
    let mut ai = a.split('/');
    let mut bi = b.split('/');
    loop {
        match (ai.next(), bi.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (Some(x), Some(y)) => return x.cmp(y),
            (Some(_), None) => return std::cmp::Ordering::Less, // a is below b: first
            (None, Some(_)) => return std::cmp::Ordering::Greater,
            (None, None) => return std::cmp::Ordering::Equal,
        }
    }
}

fn strip_whiteout(raw: &str) -> (String, bool) {
    let (dir, name) = match raw.rsplit_once('/') {
        Some((d, n)) => (Some(d), n),
        None => (None, raw),
    };
    match name.strip_prefix(WHITEOUT_PREFIX) {
        Some(rest) => (
            match dir {
                Some(d) => format!("{d}/{rest}"),
                None => rest.to_string(),
            },
            true,
        ),
        None => (raw.to_string(), false),
    }
}

fn subtree<'a>(
    map: &'a BTreeMap<String, Info>,
    dir: &str,
) -> impl Iterator<Item = (&'a String, &'a Info)> {
    map.range::<String, _>((
        Bound::Included(format!("{dir}/")),
        Bound::Excluded(format!("{dir}0")),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::layer::Entry;
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
