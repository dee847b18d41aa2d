//! The security findings: counts by severity, what was read, the findings, the SBOM's inventory.

use maud::{html, Markup};

use super::super::Report;
use super::MAX_ROWS;

fn sec_class(s: crate::model::security::Severity) -> &'static str {
    s.as_str()
}

/// Only plain web links from a scanner become links (never `javascript:` or `data:`).
fn safe_link(url: &str) -> Option<&str> {
    (url.starts_with("https://") || url.starts_with("http://")).then_some(url)
}

pub(super) fn section(r: &Report) -> Markup {
    let Some(s) = &r.security else {
        return html! {};
    };
    let max = s
        .counts
        .by_severity
        .present()
        .map(|(_, n)| n)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut top: Vec<&crate::model::security::SecurityFinding> = s.findings.iter().collect();
    top.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
    html! {
        section #security {
            h2 { "Security" }
            p.meta {
                (s.findings.len()) " findings · " (s.counts.fixable) " fixable · "
                (s.counts.unfixable) " without a fix"
                @if s.counts.new > 0 { " · " (s.counts.new) " new against the baseline" }
                @if !s.suppressed.is_empty() { " · " (s.suppressed.len()) " suppressed" }
            }
            table.bars { tbody {
                @for sev in crate::model::security::Severity::MOST_SEVERE_FIRST {
                    @let n = s.counts.by_severity.get(sev);
                    @let sev = sev.as_str();
                    tr { th { (sev) } td.n { (n) }
                        td { div class=(format!("bar sev-{sev}")) style=(format!("width:{:.1}%", n as f64 * 100.0 / max as f64)) {} } }
                }
            } }
            @if !s.sources.is_empty() {
                p.meta { "Read from: " @for (i, src) in s.sources.iter().enumerate() {
                    @if i > 0 { ", " } code { (src.path) } " (" (src.format) ", " (src.findings) ")" } }
            }
            @if !top.is_empty() {
                h3 { "Findings, most severe first" }
                table.sec { thead { tr { th { "severity" } th { "id" } th { "package" } th { "installed" }
                    th { "fixed in" } th { "title" } th { "source" } } }
                    tbody {
                        @for f in top.iter().take(MAX_ROWS) {
                            tr.secfinding data-search {
                                td { span class=(format!("badge sev-{}", sec_class(f.severity))) { (f.severity.as_str()) } }
                                td { @if let Some(l) = safe_link(&f.link) { a href=(l) rel="noreferrer noopener" { (f.id) } } @else { (f.id) }
                                    @if let Some(st) = f.status { " " span.meta { (st.as_str()) } } }
                                td { code { (f.package) } }
                                td { (f.installed) }
                                td { (f.fixed) }
                                td { (f.title) @if !f.location.is_empty() { " " span.meta { (f.location) } } }
                                td { (f.source.join(", ")) }
                            }
                        }
                    }
                }
                @if top.len() > MAX_ROWS { p.meta { (top.len() - MAX_ROWS) " more in the JSON report." } }
            }
            @if let Some(inv) = &s.inventory {
                h3 { "SBOM inventory: " (inv.components) " components" }
                p.meta {
                    @for (i, (e, n)) in inv.by_ecosystem.iter().enumerate() { @if i > 0 { " · " } (e) " " (n) }
                }
                p.meta {
                    @for (i, (t, n)) in inv.by_type.iter().enumerate() { @if i > 0 { " · " } (t) " " (n) }
                }
            }
            (super::packages::section(r))
        }
    }
}
