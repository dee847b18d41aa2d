//! The layers: a bar of their sizes, then each one folded with its largest files and what it hides.

use maud::{html, Markup};

use super::super::{LayerSummary, Report, WastedPath};
use super::{num, TREEMAP_W};
use crate::image::history::shorten;
use crate::units::format_size;

pub(super) fn section(r: &Report) -> Markup {
    let Some(img) = &r.image else {
        return html! {};
    };
    // Each layer at least 2 units wide, the rest shared by size.
    let total: u64 = img.layers.iter().map(|l| l.size_bytes).sum();
    let min_w = 2.0;
    let spare = (TREEMAP_W - min_w * img.layers.len() as f64).max(0.0);
    let mut x = 0.0;
    let bars: Vec<(f64, f64, &LayerSummary)> = img
        .layers
        .iter()
        .map(|l| {
            let share = if total > 0 {
                spare * l.size_bytes as f64 / total as f64
            } else {
                0.0
            };
            let bar = (x, min_w + share, l);
            x += min_w + share;
            bar
        })
        .collect();
    html! {
        section #layers {
            h2 { "Layers" }
            svg #layerbar xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {TREEMAP_W} 28")) role="img" {
                @for (x0, w, l) in &bars {
                    rect class=(format!("layer l{}", l.index % 6)) x=(num(*x0)) y="0" width=(num(*w)) height="28" {
                        title { "#" (l.index) " · " (format_size(l.size_bytes)) " · " (shorten(&l.created_by, 200)) }
                    }
                }
            }
            p {
                button #expand type="button" hidden { "Open all layers" }
            }
            @for l in &img.layers {
                @let hides: Vec<_> = img.top_wasted.iter().filter(|h| h.hidden_by == l.index).collect();
                @let lost: Vec<_> = img.top_wasted.iter().filter(|h| h.layer == l.index).collect();
                details.layer data-search {
                    summary {
                        span.num { "#" (l.index) }
                        span.size { (format_size(l.size_bytes)) }
                        @if l.wasted_bytes > 0 { span.badge.warn { (format_size(l.wasted_bytes)) " hidden later" } }
                        " " code { (shorten(&l.created_by, 120)) }
                    }
                    div.body {
                        p { "Instruction: " code.wrap { (l.created_by) } }
                        p.meta { (l.file_count) " files · " (format_size(l.compressed_bytes)) " as stored ("
                            (l.compression.as_str()) ") · " code { (l.digest) } }
                        @if !l.largest.is_empty() {
                            h4 { "Largest files it wrote" }
                            table.files { tbody {
                                @for f in &l.largest {
                                    tr { td.size { (format_size(f.bytes)) } td { code { (f.path) } }
                                        td { @if f.hidden { span.badge.warn { "hidden later" } }
                                            @if let Some(b) = &f.binary { span.badge { (b) ", " (format_size(f.bytes)) } } } }
                                }
                            } }
                        }
                        (hidden("What it hides (of the largest hidden paths)", &hides,
                            |h| format!("{}, written by layer {}", h.reason, h.layer)))
                        (hidden("Its bytes that later layers hide", &lost,
                            |h| format!("{} by layer {}", h.reason, h.hidden_by)))
                    }
                }
            }
        }
    }
}

/// Hidden paths a layer is party to, under `title`, with `how` it hid them or they were hidden;
/// nothing when there are none.
fn hidden(title: &str, paths: &[&WastedPath], how: impl Fn(&WastedPath) -> String) -> Markup {
    if paths.is_empty() {
        return html! {};
    }
    html! {
        h4 { (title) }
        table.files { tbody {
            @for h in paths {
                tr { td.size { (format_size(h.bytes)) } td { code { (h.path) } } td { (how(h)) } }
            }
        } }
    }
}
