//! The HTML report (`--html`): one self-contained page a browser opens from a CI artifact.
//!
//! A picture of the image (a treemap of the final filesystem coloured by what the bytes are,
//! and beside it the bytes later layers hide), the layers with their instructions, then
//! findings with fixes, checks, security, performance and what changed against the baseline.
//!
//! Safety: every string from an image or a scanner is hostile (file names can hold `<script>`).
//! The page is written with maud, which escapes every interpolated value; nothing from the
//! report is ever passed through `PreEscaped`. A Content-Security-Policy lets the page fetch
//! nothing and run only its own inline script (by hash), and the page works without it
//! (folding is `<details>`; the script only adds search and expand-all).

mod charts;
mod deployed;
mod treemap;

use std::collections::BTreeMap;

use base64::Engine;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use sha2::{Digest, Sha256};

use super::words::show_value;
use super::{Finding, LayerSummary, Report, Severity};
use crate::image::history::shorten;
use crate::model::bytes::{ByteKind, Classifier};

use crate::units::{format_delta, format_percent, format_size};

/// The treemap's canvas, in SVG user units (the picture scales with the window).
pub const TREEMAP_W: f64 = 960.0;
pub const TREEMAP_H: f64 = 520.0;

/// Rows of the long tables (security findings, packages) before the rest is left to the JSON.
const MAX_ROWS: usize = 300;

const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("script.js");

/// `deployed_rules` are the `[lambda]` rules in their order (they live above the renderers),
/// for the deployment-configuration table; empty, the page has no such table.
pub fn render(report: &Report) -> String {
    let script_hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SCRIPT));
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'; \
         img-src data:; base-uri 'none'; form-action 'none'"
    );
    let title = report
        .image
        .as_ref()
        .map(|i| i.reference.clone().unwrap_or_else(|| i.source.clone()))
        .or_else(|| report.perf.as_ref().map(|p| p.target.clone()))
        .unwrap_or_default();
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(csp);
                meta name="referrer" content="no-referrer";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "lambda-gate: " (report.verdict.as_str()) " · " (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                (header(report, &title))
                input #search type="search" placeholder="Filter findings, layers, packages…" hidden;
                (checks(report))
                (super::policy_section::html(report))
                (deployed::section(report))
                (image_map(report))
                (layers(report))
                (findings(report))
                (security(report))
                (perf(report))
                (super::trend::html(report))
                (changes(report))
                (notes(report))
                footer {
                    "lambda-gate " (report.tool.version) " · schema " (report.schema)
                    " · this page fetches nothing; the JSON report has every field"
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    page.into_string()
}

/// A Markdown link to the HTML report, `None` unless `url` is a plain http(s) URL. The URL
/// comes from the workflow's environment, so it is held to what an artifact URL looks like
/// rather than escaped.
pub fn link_line(url: &str) -> Option<String> {
    let url = url.trim();
    let plain = url.chars().all(|c| {
        c.is_ascii_graphic() && !matches!(c, '<' | '>' | '(' | ')' | '[' | ']' | '"' | '`' | '\\')
    });
    if !(url.starts_with("https://") || url.starts_with("http://")) || !plain {
        return None;
    }
    Some(format!(
        "📊 [The full HTML report: treemap, layers, every finding]({url})\n"
    ))
}

fn delta_text(now: u64, base: Option<u64>) -> Option<String> {
    base.map(|b| format_delta(now as i128 - b as i128))
}

fn header(r: &Report, title: &str) -> Markup {
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
                    @if let Some(line) = super::words::index_line(img) { " · " (line) }
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

fn checks(r: &Report) -> Markup {
    if r.checks.is_empty() {
        return html! {};
    }
    let base = r.baseline.as_ref().map(|b| &b.checks);
    html! {
        section #checks {
            h2 { "Checks" }
            table {
                thead { tr { th { "" } th { "check" } th { "limit" } th { "actual" }
                    @if base.is_some() { th { "base" } } th { "detail" } } }
                tbody {
                    @for c in &r.checks {
                        tr.check.(c.status.as_str()) data-search {
                            td { span.badge.(c.status.as_str()) { (c.status.as_str()) } }
                            td { code { (c.name) } }
                            td { (show_value(&c.limit, c.unit)) }
                            td { (show_value(&c.actual, c.unit)) }
                            @if let Some(b) = base {
                                td { @if let Some(v) = b.get(&c.name.to_string()) { (show_value(v, c.unit)) } }
                            }
                            td { (c.detail.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    }
}

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

fn num(v: f64) -> String {
    let s = format!("{:.2}", v);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
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

fn image_map(r: &Report) -> Markup {
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

fn layers(r: &Report) -> Markup {
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
                        @if !hides.is_empty() {
                            h4 { "What it hides (of the largest hidden paths)" }
                            table.files { tbody {
                                @for h in &hides {
                                    tr { td.size { (format_size(h.bytes)) } td { code { (h.path) } }
                                        td { (h.reason) ", written by layer " (h.layer) } }
                                }
                            } }
                        }
                        @if !lost.is_empty() {
                            h4 { "Its bytes that later layers hide" }
                            table.files { tbody {
                                @for h in &lost {
                                    tr { td.size { (format_size(h.bytes)) } td { code { (h.path) } }
                                        td { (h.reason) " by layer " (h.hidden_by) } }
                                }
                            } }
                        }
                    }
                }
            }
        }
    }
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Error => "fail",
        Severity::Warning => "warn",
        Severity::Info => "info",
    }
}

fn findings(r: &Report) -> Markup {
    if r.findings.is_empty() {
        return html! {};
    }
    html! {
        section #findings {
            h2 { "Findings (" (r.findings.len()) ")" }
            @for f in &r.findings { (finding(f)) }
        }
    }
}

fn finding(f: &Finding) -> Markup {
    html! {
        article.finding.(severity_class(f.severity)) data-rule=(f.rule) data-search {
            h3 {
                span.badge.(severity_class(f.severity)) { (f.severity.as_str()) }
                " " code { (f.rule) }
                @if f.bytes > 0 { " · " (format_size(f.bytes)) }
                @if let Some(l) = f.layer { " · layer #" (l) }
            }
            p.message { (f.message) }
            @if let Some(c) = &f.created_by { p.meta { "Instruction: " code.wrap { (shorten(c, 300)) } } }
            @if !f.paths.is_empty() {
                ul.paths { @for p in &f.paths { li { code { (p) } } } }
            }
            p.fix { strong { "Fix: " } (f.fix) }
            @if !f.references.is_empty() {
                p.meta { "See also: " @for (i, x) in f.references.iter().enumerate() {
                    @if i > 0 { ", " } code { (x) } } }
            }
        }
    }
}

fn sec_class(s: crate::model::security::Severity) -> &'static str {
    s.as_str()
}

/// Only plain web links from a scanner become links (never `javascript:` or `data:`).
fn safe_link(url: &str) -> Option<&str> {
    (url.starts_with("https://") || url.starts_with("http://")).then_some(url)
}

fn security(r: &Report) -> Markup {
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
            (packages(r))
        }
    }
}

fn packages(r: &Report) -> Markup {
    if r.packages.is_empty() {
        return html! {};
    }
    let mut by_eco: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for p in &r.packages {
        let e = by_eco.entry(p.ecosystem.as_str()).or_default();
        e.0 += 1;
        e.1 += p.bytes;
    }
    let mut biggest: Vec<&super::Package> = r.packages.iter().collect();
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

fn perf(r: &Report) -> Markup {
    let Some(p) = &r.perf else {
        return html! {};
    };
    let base = r.baseline.as_ref();
    html! {
        section #perf {
            h2 { "Performance" }
            p.meta {
                (p.requests) " requests · " (format_percent(p.success_rate)) " succeeded · "
                (format!("{:.1}", p.rps)) " req/s over " (format!("{:.1}", p.duration_s)) " s · "
                (p.mode) " mode, " (p.model_name()) " model · " (p.cold_starts) " cold starts ("
                (format_percent(p.cold_start_rate)) ")"
                @if let Some(b) = base.and_then(|b| b.p95_ms) { " · p95 on the base " (format!("{b:.1}")) " ms" }
            }
            p.meta { "Target: " code { (p.target) } }
            (charts::latency(p))
            (super::perf_compare::html(p))
            table.kv { tbody {
                @if let Some(b) = p.billed_avg_ms { tr { th { "billed (avg)" } td { (format!("{b:.1} ms")) } } }
                @if let Some(m) = p.memory_size_mb { tr { th { "memory size" } td { (format!("{m:.0} MB")) } } }
                @if let Some(m) = p.max_memory_used_mb { tr { th { "max memory used" } td { (format!("{m:.0} MB")) } } }
                @if let Some(c) = p.cost_per_million_usd { tr { th { "cost per million" } td { (format!("${c:.2}")) } } }
                @if let Some(s) = &p.right_sizing { tr { th { "right-sizing" } td { (s) } } }
                @for (k, v) in &p.statuses { tr { th { "HTTP " (k) } td { (v) } } }
                @for (k, v) in &p.errors { tr { th { "error: " (k) } td { (v) } } }
                @for (k, v) in &p.missing_headers { tr { th { "missing header " code { (k) } } td { (v) } } }
                @if p.interrupted { tr { th { "interrupted" } td { "yes: partial results" } } }
                @if p.deadline_hit { tr { th { "deadline" } td { "hit: partial results" } } }
            } }
        }
    }
}

fn changes(r: &Report) -> Markup {
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

fn notes(r: &Report) -> Markup {
    if r.notes.is_empty() {
        return html! {};
    }
    html! {
        section #notes {
            h2 { "Notes" }
            ul { @for n in &r.notes { li { (n) } } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{DirSize, ImageSummary};

    fn report() -> Report {
        let mut r: Report = serde_json::from_str(include_str!(
            "../../../tests/data/function-naive-report.json"
        ))
        .unwrap();
        r.dirs = vec![
            DirSize {
                path: "/".into(),
                bytes: 1000,
                files: 4,
            },
            DirSize {
                path: "/var".into(),
                bytes: 600,
                files: 3,
            },
            DirSize {
                path: "/var/task".into(),
                bytes: 500,
                files: 2,
            },
        ];
        r
    }

    #[test]
    fn strings_from_the_image_are_escaped_everywhere() {
        let mut r = report();
        let evil = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";
        r.findings[0].paths = vec![evil.into()];
        r.findings[0].message = evil.into();
        r.dirs[2].path = format!("/var/{evil}");
        let img: &mut ImageSummary = r.image.as_mut().unwrap();
        img.layers[0].created_by = evil.into();
        img.top_wasted[0].path = evil.into();
        let html = render(&r);
        assert_eq!(
            html.matches("<script").count(),
            1,
            "only the page's own script"
        );
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    }

    #[test]
    fn the_script_runs_by_its_hash_and_nothing_is_fetched() {
        let html = render(&report());
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SCRIPT));
        assert!(html.contains(&format!("script-src 'sha256-{hash}'")));
        assert!(html.contains("default-src 'none'"));
        for fetching in ["src=\"http", "href=\"http", "url(", "@import"] {
            assert!(!html.contains(fetching), "{fetching}");
        }
    }

    #[test]
    fn a_baseline_adds_deltas_and_what_changed() {
        let mut r = report();
        let mut base = report();
        base.image.as_mut().unwrap().size_bytes -= 1_000_000;
        base.image.as_mut().unwrap().layers[4].size_bytes -= 1_000_000;
        r.baseline = Some(crate::report::Baseline::from_report("base.json", &base));
        r.delta = Some(crate::report::Delta {
            added: vec![crate::report::PackageChange {
                ecosystem: crate::model::Ecosystem::Pypi,
                name: "<b>requests</b>".into(),
                old_version: None,
                new_version: Some("2.32.3".into()),
                old_bytes: 0,
                new_bytes: 500_000,
                bytes_delta: 500_000,
            }],
            ..Default::default()
        });
        let html = render(&r);
        assert!(html.contains("What changed against the baseline"));
        assert!(html.contains("+1.0 MB vs base"), "the size card's delta");
        assert!(html.contains("&lt;b&gt;requests&lt;/b&gt;"));
        assert!(html.contains("+500 kB"));
        // Every check shows its base value.
        assert!(html.contains("<th>base</th>"));
    }

    #[test]
    fn the_comment_links_only_plain_web_urls() {
        assert!(
            link_line("https://github.com/o/r/actions/runs/1/artifacts/2")
                .unwrap()
                .contains("(https://github.com/o/r/actions/runs/1/artifacts/2)")
        );
        for bad in [
            "javascript:alert(1)",
            "https://x/a b",
            "https://x/)[y](z",
            "",
        ] {
            assert_eq!(link_line(bad), None, "{bad}");
        }
    }
}
