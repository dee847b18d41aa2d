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
//!
//! One file per section of the page, in the order `render` lists them; this file holds the
//! page around them.

mod changes;
mod charts;
mod checks;
mod deployed;
mod findings;
mod header;
mod layers;
mod map;
mod packages;
mod perf;
mod security;
mod treemap;

use base64::Engine;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use sha2::{Digest, Sha256};

use super::Report;

/// The treemap's canvas, in SVG user units (the picture scales with the window).
pub const TREEMAP_W: f64 = 960.0;
pub const TREEMAP_H: f64 = 520.0;

/// Rows of the long tables (security findings, packages) before the rest is left to the JSON.
const MAX_ROWS: usize = 300;

const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("script.js");

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
                (header::section(report, &title))
                input #search type="search" placeholder="Filter findings, layers, packages…" hidden;
                (checks::section(report))
                (super::policy_section::html(report))
                (deployed::section(report))
                (map::section(report))
                (layers::section(report))
                (findings::section(report))
                (security::section(report))
                (perf::section(report))
                (super::trend::html(report))
                (changes::section(report))
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

fn num(v: f64) -> String {
    let s = format!("{:.2}", v);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
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
