//! Where the bytes are: the treemap of the final filesystem coloured by what the bytes are
//! (`model::bytes`), and beside it the bytes later layers hide.

use std::collections::BTreeMap;

use maud::{html, Markup};

use super::super::Report;
use super::treemap;
use super::{num, TREEMAP_H, TREEMAP_W};
use crate::model::bytes::{ByteKind, Classifier};
use crate::units::format_size;

/// A rectangle's CSS class, from what its bytes are.
fn kind_class(k: &ByteKind) -> String {
    match k {
        ByteKind::Code => "k-code".into(),
        ByteKind::Package(e) => format!("k-pkg k-{}", ecosystem_class(e)),
        ByteKind::Leftover(_) => "k-left".into(),
        ByteKind::Other => "k-other".into(),
    }
}

fn kind_label(k: &ByteKind) -> String {
    match k {
        ByteKind::Code => "the function's code".into(),
        ByteKind::Package(e) => format!("{e} packages"),
        ByteKind::Leftover(rule) => format!("leftover ({rule})"),
        ByteKind::Other => "other".into(),
    }
}

/// A CSS class from an ecosystem name, which comes from the report: only the known ones get
/// their own colour.
fn ecosystem_class(e: &str) -> &'static str {
    match e {
        "deb" => "deb",
        "rpm" => "rpm",
        "apk" => "apk",
        "pypi" => "pypi",
        "npm" => "npm",
        "golang" => "golang",
        "cargo" => "cargo",
        _ => "pkgother",
    }
}

/// Edges rounded once, so neighbours share them and the areas still add up.
fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn svg_rect(r: &treemap::Rect) -> (String, String, String, String) {
    let (x0, y0) = (round2(r.x), round2(r.y));
    let (x1, y1) = (round2(r.x + r.w), round2(r.y + r.h));
    (num(x0), num(y0), num(round2(x1 - x0)), num(round2(y1 - y0)))
}

/// The last component of a path, cut to fit `width` user units.
fn label_for(path: &str, width: f64) -> Option<String> {
    let name = path.rsplit('/').find(|s| !s.is_empty()).unwrap_or("/");
    let fits = (width / 7.0) as usize;
    if fits < 3 {
        return None;
    }
    if name.chars().count() <= fits {
        Some(name.to_string())
    } else {
        Some(format!(
            "{}…",
            name.chars().take(fits - 1).collect::<String>()
        ))
    }
}

pub(super) fn section(r: &Report) -> Markup {
    let Some(img) = &r.image else {
        return html! {};
    };
    let (leaves, groups) = treemap::layout(&r.dirs, TREEMAP_W, TREEMAP_H);
    let drawn: u64 = leaves.iter().map(|l| l.bytes).sum();
    let classifier = Classifier::new(r);
    let kinds: Vec<ByteKind> = leaves.iter().map(|l| classifier.kind(&l.path)).collect();
    let mut legend: BTreeMap<String, (String, u64)> = BTreeMap::new();
    for (l, k) in leaves.iter().zip(&kinds) {
        legend.entry(kind_label(k)).or_insert((kind_class(k), 0)).1 += l.bytes;
    }
    html! {
        section #map {
            h2 { "Where the bytes are" }
            @if leaves.is_empty() {
                p { "This report has no directory summary (a report from an older gate): the treemap needs `dirs`." }
            } @else {
                p.meta {
                    "Each rectangle is a directory of the final filesystem, its area its visible bytes ("
                    (format_size(drawn)) " in all"
                    @if drawn != img.final_bytes { "; the image's visible total is " (format_size(img.final_bytes)) }
                    "). Hover for the path and size."
                }
                div.legend {
                    @for (label, (class, bytes)) in &legend {
                        span { i class=(class) {} (label) " " (format_size(*bytes)) }
                    }
                    @if img.wasted_bytes > 0 { span { i.k-hidden {} "hidden by later layers " (format_size(img.wasted_bytes)) } }
                }
                div.maps {
                    svg #treemap xmlns="http://www.w3.org/2000/svg" role="img"
                        viewBox=(format!("0 0 {TREEMAP_W} {TREEMAP_H}"))
                        data-bytes=(drawn) data-final-bytes=(img.final_bytes)
                        data-width=(TREEMAP_W) data-height=(TREEMAP_H) {
                        @for (l, k) in leaves.iter().zip(&kinds) {
                            @let (x, y, w, h) = svg_rect(&l.rect);
                            rect class=(format!("leaf {}", kind_class(k))) x=(x) y=(y) width=(w) height=(h) data-bytes=(l.bytes) {
                                title {
                                    (l.path)
                                    @if l.own_files { " (files directly in it)" }
                                    " · " (format_size(l.bytes)) " · " (kind_label(k))
                                }
                            }
                        }
                        @for g in groups.iter().filter(|g| g.depth > 0) {
                            @let (x, y, w, h) = svg_rect(&g.rect);
                            rect.group x=(x) y=(y) width=(w) height=(h) stroke-width=(num((3.0 - g.depth as f64 * 0.6).max(0.4))) {}
                        }
                        // Top-level directories named in their corner, whole directories in
                        // their middle, so the two never share a spot.
                        @for g in groups.iter().filter(|g| g.depth == 1 && g.rect.h > 16.0) {
                            @if let Some(label) = label_for(&g.path, g.rect.w - 4.0) {
                                text.dir x=(num(g.rect.x + 3.0)) y=(num(g.rect.y + 12.0)) { (label) }
                            }
                        }
                        @for l in leaves.iter().filter(|l| !l.own_files && l.rect.h > 30.0) {
                            @if let Some(label) = label_for(&l.path, l.rect.w - 6.0) {
                                text.leaf x=(num(l.rect.x + l.rect.w / 2.0)) y=(num(l.rect.y + l.rect.h / 2.0 + 4.0)) { (label) }
                            }
                        }
                    }
                    (hidden_map(r, drawn))
                }
            }
        }
    }
}

/// The bytes later layers hide, drawn beside the treemap on the same scale when that fits.
fn hidden_map(r: &Report, drawn: u64) -> Markup {
    let Some(img) = &r.image else {
        return html! {};
    };
    if img.wasted_bytes == 0 || drawn == 0 {
        return html! {};
    }
    let per_byte = TREEMAP_W * TREEMAP_H / drawn as f64;
    let same_scale_w = img.wasted_bytes as f64 * per_byte / TREEMAP_H;
    let (w, scaled) = if same_scale_w <= 240.0 {
        (same_scale_w.max(6.0), true)
    } else {
        (240.0, false)
    };
    let listed: u64 = img.top_wasted.iter().map(|h| h.bytes).sum();
    let mut sizes: Vec<f64> = img.top_wasted.iter().map(|h| h.bytes as f64).collect();
    let rest = img.wasted_bytes.saturating_sub(listed);
    sizes.push(rest as f64);
    let rects = treemap::squarify(
        &sizes,
        treemap::Rect {
            x: 0.0,
            y: 0.0,
            w,
            h: TREEMAP_H,
        },
    );
    html! {
        figure.hidden {
            svg #hiddenmap xmlns="http://www.w3.org/2000/svg" role="img"
                viewBox=(format!("0 0 {} {TREEMAP_H}", num(w))) width=(num(w)) data-bytes=(img.wasted_bytes) {
                @for (h, rect) in img.top_wasted.iter().zip(&rects) {
                    @let (x, y, rw, rh) = svg_rect(rect);
                    rect.k-hidden x=(x) y=(y) width=(rw) height=(rh) {
                        title { (h.path) " · " (format_size(h.bytes)) " · written by layer " (h.layer)
                            ", " (h.reason) " by layer " (h.hidden_by) }
                    }
                }
                @if rest > 0 {
                    @let (x, y, rw, rh) = svg_rect(&rects[img.top_wasted.len()]);
                    rect.k-hidden.rest x=(x) y=(y) width=(rw) height=(rh) {
                        title { "other hidden files · " (format_size(rest)) }
                    }
                }
            }
            figcaption {
                "Hidden: " (format_size(img.wasted_bytes))
                @if !scaled { " (not to the treemap's scale)" }
            }
        }
    }
}
