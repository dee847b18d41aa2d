//! The page's head: the verdict, the image in one line, its sizes as cards.

use maud::{html, Markup};

use super::super::Report;
use crate::units::{format_delta, format_size};

fn delta_text(now: u64, base: Option<u64>) -> Option<String> {
    base.map(|b| format_delta(now as i128 - b as i128))
}

pub(super) fn section(r: &Report, title: &str) -> Markup {
    let base = r.baseline.as_ref();
    html! {
        header {
            h1 {
                span.badge.(r.verdict.as_str()) { (r.verdict.as_str().to_uppercase()) }
                " " (title)
            }
            @if let Some(img) = &r.image {
                p.meta {
                    (img.format) " · " (img.platform) " · " (img.layers.len()) " layers · "
                    (img.file_count) " files"
                    @if let Some(d) = &img.config_digest { " · config " code { (d) } }
                    @if let Some(line) = super::super::words::index_line(img) { " · " (line) }
                }
                div.cards {
                    (card("Size (uncompressed)", format_size(img.size_bytes),
                        delta_text(img.size_bytes, base.and_then(|b| b.size_bytes))))
                    (card("Compressed", format_size(img.compressed_bytes),
                        delta_text(img.compressed_bytes, base.and_then(|b| b.compressed_bytes))))
                    (card("Visible in the final filesystem", format_size(img.final_bytes),
                        delta_text(img.final_bytes, base.and_then(|b| b.final_bytes))))
                    (card("Hidden by later layers", format_size(img.wasted_bytes),
                        delta_text(img.wasted_bytes, base.and_then(|b| b.wasted_bytes))))
                    (card("Efficiency (dive)", format!("{:.2}%", img.efficiency * 100.0),
                        base.and_then(|b| b.efficiency).map(|e| format!("{:+.2} pts", (img.efficiency - e) * 100.0))))
                }
            }
            @if let Some(b) = base {
                p.meta { "Compared with the baseline " code { (b.source) } "." }
            }
        }
    }
}

fn card(label: &str, value: String, delta: Option<String>) -> Markup {
    html! {
        div.card {
            div.label { (label) }
            div.value { (value) }
            @if let Some(d) = delta { div.delta { (d) " vs base" } }
        }
    }
}
