//! The installed packages, by ecosystem, and the largest folded.

use std::collections::BTreeMap;

use maud::{html, Markup};

use super::super::{Package, Report};
use super::MAX_ROWS;
use crate::units::format_size;

pub(super) fn section(r: &Report) -> Markup {
    if r.packages.is_empty() {
        return html! {};
    }
    let mut by_eco: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for p in &r.packages {
        let e = by_eco.entry(p.ecosystem.as_str()).or_default();
        e.0 += 1;
        e.1 += p.bytes;
    }
    let mut biggest: Vec<&Package> = r.packages.iter().collect();
    biggest.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.name.cmp(&b.name)));
    html! {
        h3 { "Installed packages: " (r.packages.len()) }
        p.meta { @for (i, (e, (n, b))) in by_eco.iter().enumerate() { @if i > 0 { " · " } (e) " " (n) " (" (format_size(*b)) ")" } }
        details {
            summary { "The largest packages" }
            table { thead { tr { th { "ecosystem" } th { "name" } th { "version" } th { "bytes" } th { "layer" } th { "license" } } }
                tbody {
                    @for p in biggest.iter().take(MAX_ROWS) {
                        tr.package data-search {
                            td { (p.ecosystem) } td { code { (p.name) } } td { (p.version) }
                            td { (format_size(p.bytes)) } td { @if let Some(l) = p.layer { "#" (l) } }
                            td { (p.license.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
            @if biggest.len() > MAX_ROWS { p.meta { (biggest.len() - MAX_ROWS) " more in the JSON report." } }
        }
    }
}
