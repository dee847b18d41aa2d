//! The squarified treemap of the final filesystem, from the report's directory-size summary.
//!
//! Squarified layout after Bruls, Huizing and van Wijk (2000). Hand-written: the algorithm is
//! forty lines, and the crates that carry it bring their own node and rectangle types and no
//! guarantee this one needs: the leaves tile the canvas exactly, so their areas add up to the
//! bytes drawn (each row's last rectangle takes what is left, and edges are rounded once, as
//! coordinates, so neighbours share them).

use std::collections::HashMap;

use crate::report::DirSize;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn area(&self) -> f64 {
        self.w * self.h
    }
}

/// Lays `sizes` out in `r`, each area proportional to its size, largest first in rows whose
/// worst aspect ratio is kept low. Returns one rectangle per size, in the order given; a size
/// of zero gets an empty rectangle.
pub fn squarify(sizes: &[f64], r: Rect) -> Vec<Rect> {
    let mut out = vec![
        Rect {
            x: r.x,
            y: r.y,
            w: 0.0,
            h: 0.0
        };
        sizes.len()
    ];
    let total: f64 = sizes.iter().filter(|s| **s > 0.0).sum();
    if total <= 0.0 || r.w <= 0.0 || r.h <= 0.0 {
        return out;
    }
    let scale = r.w * r.h / total;
    let mut order: Vec<usize> = (0..sizes.len()).filter(|&i| sizes[i] > 0.0).collect();
    order.sort_by(|&a, &b| sizes[b].total_cmp(&sizes[a]).then(a.cmp(&b)));
    let areas: Vec<f64> = order.iter().map(|&i| sizes[i] * scale).collect();
    let mut rest = r;
    let mut start = 0;
    while start < areas.len() {
        let side = rest.w.min(rest.h);
        let mut end = start + 1;
        let mut best = worst(&areas[start..end], side);
        while end < areas.len() {
            let next = worst(&areas[start..=end], side);
            if next > best {
                break;
            }
            best = next;
            end += 1;
        }
        let last_row = end == areas.len();
        let row: f64 = areas[start..end].iter().sum();
        // A column on the left of a wide rectangle, a row along the top of a tall one: the
        // row is the column of the rectangle turned on its diagonal, so one piece of code
        // lays both (the same arithmetic, on swapped coordinates).
        let tall = rest.w < rest.h;
        let turn = move |r: Rect| {
            if !tall {
                r
            } else {
                Rect {
                    x: r.y,
                    y: r.x,
                    w: r.h,
                    h: r.w,
                }
            }
        };
        let wide = turn(rest);
        let cw = if last_row { wide.w } else { row / wide.h };
        let mut y = wide.y;
        for k in start..end {
            let h = if k + 1 == end {
                wide.y + wide.h - y
            } else {
                areas[k] / cw
            };
            out[order[k]] = turn(Rect {
                x: wide.x,
                y,
                w: cw,
                h,
            });
            y += h;
        }
        rest = turn(Rect {
            x: wide.x + cw,
            w: wide.w - cw,
            ..wide
        });
        start = end;
    }
    out
}

/// The worst aspect ratio of a row of `areas` laid along a side of length `side`.
fn worst(areas: &[f64], side: f64) -> f64 {
    let sum: f64 = areas.iter().sum();
    let max = areas.iter().cloned().fold(f64::MIN, f64::max);
    let min = areas.iter().cloned().fold(f64::MAX, f64::min);
    let (s2, w2) = (sum * sum, side * side);
    (w2 * max / s2).max(s2 / (w2 * min))
}

/// One drawn rectangle: a directory's whole subtree, or the files directly in a directory
/// (`own_files`), whose bytes are the directory's minus its listed children's.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub path: String,
    pub own_files: bool,
    pub bytes: u64,
    pub rect: Rect,
}

/// A directory that was split into children: drawn as an outline with its name.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub path: String,
    pub bytes: u64,
    pub depth: usize,
    pub rect: Rect,
}

/// Below this many square pixels a directory is drawn whole, not split: nobody can point at
/// its children, and it keeps the page small.
const MIN_SPLIT_AREA: f64 = 400.0;

/// The treemap of `dirs` (root "/" first, absolute paths, recursive bytes) on a `w` × `h`
/// canvas. The leaves tile the canvas: their areas add up to `w * h`, which stands for the
/// root's bytes.
pub fn layout(dirs: &[DirSize], w: f64, h: f64) -> (Vec<Leaf>, Vec<Group>) {
    let mut leaves = Vec::new();
    let mut groups = Vec::new();
    let Some(root) = dirs.iter().find(|d| d.path == "/") else {
        return (leaves, groups);
    };
    let known: HashMap<&str, &DirSize> = dirs.iter().map(|d| (d.path.as_str(), d)).collect();
    let mut children: HashMap<&str, Vec<&DirSize>> = HashMap::new();
    for d in dirs.iter().filter(|d| d.path != "/") {
        // The nearest listed ancestor (the summary keeps every kept directory's ancestors,
        // but a report is input: do not trust it).
        let mut parent = parent_of(&d.path);
        while !known.contains_key(parent) && parent != "/" {
            parent = parent_of(parent);
        }
        children.entry(parent).or_default().push(d);
    }
    let canvas = Rect {
        x: 0.0,
        y: 0.0,
        w,
        h,
    };
    split(root, canvas, 0, &children, &mut leaves, &mut groups);
    (leaves, groups)
}

fn split(
    dir: &DirSize,
    r: Rect,
    depth: usize,
    children: &HashMap<&str, Vec<&DirSize>>,
    leaves: &mut Vec<Leaf>,
    groups: &mut Vec<Group>,
) {
    let kids: Vec<&DirSize> = children
        .get(dir.path.as_str())
        .map(|k| k.iter().copied().filter(|d| d.bytes > 0).collect())
        .unwrap_or_default();
    // Children whose bytes exceed the parent's (a malformed report) are scaled into it.
    let kids_bytes: u64 = kids.iter().map(|d| d.bytes).sum();
    if kids.is_empty() || r.area() < MIN_SPLIT_AREA || kids_bytes > dir.bytes || depth > 16 {
        leaves.push(Leaf {
            path: dir.path.clone(),
            own_files: false,
            bytes: dir.bytes,
            rect: r,
        });
        return;
    }
    groups.push(Group {
        path: dir.path.clone(),
        bytes: dir.bytes,
        depth,
        rect: r,
    });
    let own = dir.bytes - kids_bytes;
    let mut sizes: Vec<f64> = kids.iter().map(|d| d.bytes as f64).collect();
    sizes.push(own as f64);
    let rects = squarify(&sizes, r);
    for (kid, rect) in kids.iter().zip(&rects) {
        split(kid, *rect, depth + 1, children, leaves, groups);
    }
    if own > 0 {
        leaves.push(Leaf {
            path: dir.path.clone(),
            own_files: true,
            bytes: own,
            rect: rects[kids.len()],
        });
    }
}

fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(path: &str, bytes: u64) -> DirSize {
        DirSize {
            path: path.into(),
            bytes,
            files: 1,
        }
    }

    #[test]
    fn squarified_rows_tile_the_rectangle_with_areas_in_proportion() {
        // The paper's example: a 6 × 4 rectangle, areas 6, 6, 4, 3, 2, 2, 1.
        let sizes = [6.0, 6.0, 4.0, 3.0, 2.0, 2.0, 1.0];
        let r = squarify(
            &sizes,
            Rect {
                x: 0.0,
                y: 0.0,
                w: 6.0,
                h: 4.0,
            },
        );
        for (s, r) in sizes.iter().zip(&r) {
            assert!((r.area() - s).abs() < 1e-9, "{s} got {r:?}");
        }
        // The first row is the two 6s stacked on the left, as in the paper's figure.
        assert_eq!((r[0].x, r[0].w), (0.0, 3.0));
        assert_eq!((r[1].x, r[1].y), (0.0, 2.0));
        // No two rectangles overlap.
        for i in 0..r.len() {
            for j in i + 1..r.len() {
                let (a, b) = (r[i], r[j]);
                let ox = (a.x + a.w).min(b.x + b.w) - a.x.max(b.x);
                let oy = (a.y + a.h).min(b.y + b.h) - a.y.max(b.y);
                assert!(ox <= 1e-9 || oy <= 1e-9, "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn leaves_cover_the_canvas_and_own_files_are_the_remainder() {
        let dirs = vec![
            dir("/", 1000),
            dir("/usr", 600),
            dir("/var", 300),
            dir("/usr/lib", 500),
            dir("/var/task", 250),
        ];
        let (leaves, groups) = layout(&dirs, 400.0, 300.0);
        let area: f64 = leaves.iter().map(|l| l.rect.area()).sum();
        assert!((area - 120_000.0).abs() < 1e-6, "{area}");
        let bytes: u64 = leaves.iter().map(|l| l.bytes).sum();
        assert_eq!(bytes, 1000);
        for l in &leaves {
            let want = l.bytes as f64 / 1000.0 * 120_000.0;
            assert!((l.rect.area() - want).abs() < 1e-6, "{l:?}");
        }
        let own: Vec<(&str, u64)> = leaves
            .iter()
            .filter(|l| l.own_files)
            .map(|l| (l.path.as_str(), l.bytes))
            .collect();
        assert!(own.contains(&("/", 100)));
        assert!(own.contains(&("/usr", 100)));
        assert!(own.contains(&("/var", 50)));
        assert_eq!(groups[0].path, "/");
    }

    #[test]
    fn a_malformed_summary_still_draws_the_root() {
        // Children larger than the parent, an orphan: drawn whole, never a panic.
        let dirs = vec![dir("/", 10), dir("/a", 50), dir("/x/y/z", 5)];
        let (leaves, _) = layout(&dirs, 100.0, 100.0);
        assert_eq!(leaves.len(), 1);
        assert_eq!(leaves[0].bytes, 10);
        assert!(layout(&[], 10.0, 10.0).0.is_empty());
    }
}
