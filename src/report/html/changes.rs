//! What changed against the baseline: layers, bytes per rule, packages, directories.

use maud::{html, Markup};

use super::super::Report;
use super::MAX_ROWS;
use crate::image::history::shorten;
use crate::units::{format_delta, format_size};

pub(super) fn section(r: &Report) -> Markup {
    let Some(b) = &r.baseline else {
        return html! {};
    };
    let img = r.image.as_ref();
    html! {
        section #changes {
            h2 { "What changed against the baseline" }
            @if let Some(img) = img {
                @if !b.layers.is_empty() {
                    table { thead { tr { th { "layer" } th { "now" } th { "base" } th { "change" } } }
                        tbody {
                            @for l in &img.layers {
                                @let was = b.layer_size(&l.digest, &l.created_by);
                                tr data-search {
                                    td { "#" (l.index) " " code { (shorten(&l.created_by, 80)) } }
                                    td { (format_size(l.size_bytes)) }
                                    td { @if let Some(w) = was { (format_size(w)) } @else { "new" } }
                                    td { @if let Some(w) = was { (format_delta(l.size_bytes as i128 - w as i128)) } }
                                }
                            }
                        }
                    }
                }
            }
            @if !b.finding_bytes.is_empty() {
                h3 { "Bytes per finding rule" }
                table { tbody {
                    @for (rule, was) in &b.finding_bytes {
                        @let now: u64 = r.findings.iter().filter(|f| f.rule.id() == rule).map(|f| f.bytes).sum();
                        tr { td { code { (rule) } } td { (format_size(now)) } td { "base " (format_size(*was)) }
                            td { (format_delta(now as i128 - *was as i128)) } }
                    }
                } }
            }
            @if let Some(d) = &r.delta {
                @for (name, list) in [("Added", &d.added), ("Removed", &d.removed), ("Upgraded", &d.upgraded), ("Downgraded", &d.downgraded)] {
                    @if !list.is_empty() {
                        h3 { (name) " packages (" (list.len()) ")" }
                        table { tbody {
                            @for c in list.iter().take(MAX_ROWS) {
                                tr data-search {
                                    td { (c.ecosystem) } td { code { (c.name) } }
                                    td { (c.old_version.as_deref().unwrap_or("")) " → " (c.new_version.as_deref().unwrap_or("")) }
                                    td { (format_delta(c.bytes_delta as i128)) }
                                }
                            }
                        } }
                    }
                }
                @if !d.dirs.is_empty() {
                    h3 { "Directories that grew or shrank most" }
                    table { tbody {
                        @for c in d.dirs.iter().take(MAX_ROWS) {
                            tr data-search { td { code { (c.path) } } td { (format_size(c.old_bytes)) " → " (format_size(c.new_bytes)) }
                                td { (format_delta(c.bytes_delta as i128)) } }
                        }
                    } }
                }
            }
        }
    }
}
