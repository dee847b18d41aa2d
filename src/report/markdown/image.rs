//! The image: its size and what the bytes are, its layers, the largest hidden files.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::super::markdown_escape::{code, text};
use super::super::words::{count, dive_efficiency, index_line, share};
use super::super::{ImageSummary, LayerSummary, Report};
use super::{delta, MAX_ROWS};
use crate::image::history::shorten;
use crate::model::bytes::Leftovers;
use crate::units::{format_delta, format_percent, format_size};

/// Images with at most this many layers list them all; larger ones fold the small layers.
const ALL_LAYERS: usize = 8;

/// The image in two lines, its layers in one table, and the largest hidden files folded.
pub(super) fn section(r: &Report) -> Option<String> {
    let img = r.image.as_ref()?;
    let b = r.baseline.as_ref();
    let mut s = String::from("#### Image\n\n");
    let _ = writeln!(
        s,
        "{} · {} · {} · {} · {} ({} stored)\n",
        code(img.format.as_str()),
        code(&img.platform),
        count(img.layers.len() as u64, "layer", "layers"),
        count(img.file_count, "file", "files"),
        format_size(img.size_bytes),
        format_size(img.compressed_bytes)
    );
    if let Some(line) = index_line(img) {
        let _ = writeln!(s, "Resolved through {}\n", code(&line));
    }
    // What the bytes are. The parts are the gate's own findings, never image content.
    let whole = img.final_bytes + img.wasted_bytes;
    let left = Leftovers::of(r);
    let mut of_which = Vec::new();
    if left.caches > 0 {
        of_which.push(format!("{} leftover caches", format_size(left.caches)));
    }
    if left.build_tools > 0 {
        of_which.push(format!("{} build tools", format_size(left.build_tools)));
    }
    let _ = writeln!(
        s,
        "**{} visible** ({}){} · **{} hidden by later layers** ({}) · {}\n",
        format_size(img.final_bytes),
        share(img.final_bytes, whole),
        if of_which.is_empty() {
            String::new()
        } else {
            format!(", of which {}", of_which.join(" and "))
        },
        format_size(img.wasted_bytes),
        share(img.wasted_bytes, whole),
        dive_efficiency(img)
    );
    if let Some(b) = b {
        let _ = writeln!(s, "| | now | base | change |\n|---|---|---|---|");
        let rows: [(&str, u64, Option<u64>); 4] = [
            ("uncompressed", img.size_bytes, b.size_bytes),
            ("stored", img.compressed_bytes, b.compressed_bytes),
            ("visible", img.final_bytes, b.final_bytes),
            ("hidden by later layers", img.wasted_bytes, b.wasted_bytes),
        ];
        for (name, now, then) in rows {
            let _ = writeln!(
                s,
                "| {name} | {} | {} | {} |",
                format_size(now),
                then.map(format_size).unwrap_or_else(|| "–".into()),
                delta(now, then)
                    .trim()
                    .trim_matches(|c| c == '(' || c == ')')
            );
        }
        if let Some(e) = b.efficiency {
            let _ = writeln!(
                s,
                "| dive's efficiency score | {} | {} | {:+.1} pts |",
                format_percent(img.efficiency),
                format_percent(e),
                (img.efficiency - e) * 100.0
            );
        }
        s.push('\n');
    }
    layers(&mut s, r);
    hidden_files(&mut s, img);
    Some(s)
}

/// One table of layers in build order. On a tall image the small layers (not among the five
/// largest, under 1% of the bytes, hiding nothing) fold into one `<details>` after it.
fn layers(s: &mut String, r: &Report) {
    let Some(img) = &r.image else { return };
    let b = r.baseline.as_ref();
    let mut by_size: Vec<&LayerSummary> = img.layers.iter().collect();
    by_size.sort_by_key(|l| std::cmp::Reverse(l.size_bytes));
    let top: Vec<usize> = by_size.iter().take(5).map(|l| l.index).collect();
    let (shown, folded): (Vec<&LayerSummary>, Vec<&LayerSummary>) =
        img.layers.iter().partition(|l| {
            img.layers.len() <= ALL_LAYERS
                || top.contains(&l.index)
                || l.wasted_bytes > 0
                || l.size_bytes * 100 >= img.size_bytes
        });
    let table = |s: &mut String, rows: &[&LayerSummary]| {
        if b.is_some() {
            let _ = writeln!(
                s,
                "| layer | size | vs base | hidden later | instruction |\n|---|---|---|---|---|"
            );
        } else {
            let _ = writeln!(
                s,
                "| layer | size | hidden later | instruction |\n|---|---|---|---|"
            );
        }
        for l in rows.iter().take(MAX_ROWS * 3) {
            let vs_base = match b {
                Some(b) => match b.layer_size(&l.digest, &l.created_by) {
                    Some(x) => format!(" {} |", format_delta(l.size_bytes as i128 - x as i128)),
                    None => " new |".into(),
                },
                None => String::new(),
            };
            let instr = if l.created_by.is_empty() {
                code(&crate::image::scan::short(&l.digest))
            } else {
                code(&shorten(&l.created_by, 90))
            };
            let _ = writeln!(
                s,
                "| {} | {} |{vs_base} {} | {} |",
                l.index,
                format_size(l.size_bytes),
                if l.wasted_bytes == 0 {
                    "–".into()
                } else {
                    format_size(l.wasted_bytes)
                },
                instr
            );
        }
    };
    table(s, &shown);
    s.push('\n');
    if !folded.is_empty() {
        let bytes: u64 = folded.iter().map(|l| l.size_bytes).sum();
        let _ = writeln!(
            s,
            "<details><summary>{} more small {} ({} in all)</summary>\n",
            folded.len(),
            if folded.len() == 1 { "layer" } else { "layers" },
            format_size(bytes)
        );
        table(s, &folded);
        let _ = writeln!(s, "\n</details>\n");
    }
}

/// The largest hidden files, grouped by directory, writer, hider and how: the six wheels one
/// layer built and a later one deleted are one row.
fn hidden_files(s: &mut String, img: &ImageSummary) {
    if img.top_wasted.is_empty() {
        return;
    }
    type Key<'a> = (&'a str, usize, usize, &'a str);
    let mut groups: BTreeMap<Key, (u64, Vec<&str>)> = BTreeMap::new();
    for w in &img.top_wasted {
        let dir = w.path.rfind('/').map_or("", |i| &w.path[..=i]);
        let g = groups
            .entry((dir, w.layer, w.hidden_by, w.reason.as_str()))
            .or_default();
        g.0 += w.bytes;
        g.1.push(w.path.as_str());
    }
    let mut rows: Vec<(Key, (u64, Vec<&str>))> = groups.into_iter().collect();
    rows.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    let listed: u64 = img.top_wasted.iter().map(|w| w.bytes).sum();
    let of = if format_size(listed) != format_size(img.wasted_bytes) {
        format!(
            "{} of the {} hidden",
            format_size(listed),
            format_size(img.wasted_bytes)
        )
    } else {
        format_size(listed)
    };
    let _ = writeln!(
        s,
        "<details><summary>Largest hidden files ({of})</summary>\n"
    );
    let _ = writeln!(s, "| path | size | written by → hidden by |\n|---|---|---|");
    for ((dir, layer, hider, reason), (bytes, paths)) in rows.iter().take(MAX_ROWS) {
        let what = match paths[..] {
            [one] => code(one),
            _ => format!(
                "{} · {}",
                code(dir),
                count(paths.len() as u64, "file", "files")
            ),
        };
        let _ = writeln!(
            s,
            "| {what} | {} | layer {layer} → {hider} ({}) |",
            format_size(*bytes),
            text(reason)
        );
    }
    let _ = writeln!(s, "\n</details>\n");
}
