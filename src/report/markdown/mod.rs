//! The Markdown renderer (GitHub-flavoured): the pull-request comment and the job summary.
//!
//! Written for a reviewer with a minute: the verdict and the numbers people look for, then
//! what failed (checks that pass are folded into one line), what to fix, the image, security
//! and performance; long parts folded in `<details>`. Deltas ("vs base") appear only when a
//! baseline was given.
//!
//! Everything that comes from an image or a scanner (paths, instructions, titles, ids) is
//! untrusted: it is rendered inside code spans (fenced by more backticks than it holds) or
//! escaped, so it cannot break a table, inject HTML, links or images, or @-mention anyone.
//! Messages the rules write mark code with backticks; those become real code spans.
//!
//! The comment is the sections in `SECTIONS`, top to bottom, each in its own file; a new
//! section is one file with a function returning `Option<String>` (None: nothing to say) and
//! one line there. What a rule is (its
//! description) is looked up from `model::RuleId`, what the image's bytes are from
//! `model::bytes`.

mod checks;
mod deployed;
mod findings;
mod headline;
mod image;
mod perf;
mod security;

use std::fmt::Write;

use super::markdown_escape::{inline, text};
use super::{Report, Severity};
use crate::units::format_delta;

/// GitHub rejects comments over 65,536 characters; leave room for the marker and a note.
pub const MAX_CHARS: usize = 64_000;

/// Rows in the long tables before the rest is left to the JSON report.
const MAX_ROWS: usize = 30;

/// One section of the comment. `trim` names a section that may be replaced by a pointer to
/// the JSON report when the comment would pass GitHub's size limit.
struct Part {
    trim: Option<&'static str>,
    render: fn(&Report) -> Option<String>,
}

/// The comment, top to bottom: a new section plugs in as one line here.
const SECTIONS: &[Part] = &[
    Part {
        trim: None,
        render: headline::section,
    },
    Part {
        trim: None,
        render: super::policy_section::markdown,
    },
    Part {
        trim: Some("what changed"),
        render: |r| Some(super::changes::markdown(r)).filter(|s| !s.is_empty()),
    },
    Part {
        trim: None,
        render: checks::section,
    },
    Part {
        trim: Some("findings"),
        render: findings::section,
    },
    Part {
        trim: Some("image"),
        render: image::section,
    },
    Part {
        trim: Some("security findings"),
        render: security::section,
    },
    Part {
        trim: None,
        render: perf::section,
    },
    Part {
        trim: Some("trend"),
        render: super::trend::markdown,
    },
    Part {
        trim: None,
        render: |r| Some(deployed::section(r)).filter(|s| !s.is_empty()),
    },
    Part {
        trim: None,
        render: notes,
    },
    Part {
        trim: None,
        render: footer,
    },
];

pub fn render(report: &Report) -> String {
    render_linked(report, None)
}

/// [`render`], with a link to the HTML report at `html_url` under the headline (when it is a
/// plain http(s) URL: see [`super::html::link_line`]).
pub fn render_linked(report: &Report, html_url: Option<&str>) -> String {
    let mut sections: Vec<Section> = SECTIONS
        .iter()
        .filter_map(|p| {
            (p.render)(report).map(|body| Section {
                name: p.trim,
                // One blank line between sections, whatever each ends with.
                body: format!("{}\n", body.trim_end_matches('\n')),
            })
        })
        .collect::<Vec<_>>();
    if let Some(link) = html_url.and_then(super::html::link_line) {
        // Under the headline, which is always the first section.
        sections.insert(
            1.min(sections.len()),
            Section {
                name: None,
                body: format!("{}\n", link.trim_end_matches('\n')),
            },
        );
    }
    fit(sections, MAX_CHARS)
}

struct Section {
    name: Option<&'static str>,
    body: String,
}

/// Joins the sections, replacing the longest trimmable ones with a pointer to the full report
/// until the whole fits.
fn fit(mut sections: Vec<Section>, max: usize) -> String {
    loop {
        let total: usize = sections.iter().map(|s| s.body.len() + 1).sum();
        if total <= max {
            break;
        }
        let Some(longest) = sections
            .iter_mut()
            .filter(|s| s.name.is_some() && !s.body.starts_with("> ✂️"))
            .max_by_key(|s| s.body.len())
        else {
            break;
        };
        let name = longest.name.unwrap_or("section");
        longest.body = format!(
            "> ✂️ The {name} section ({} characters) was left out to stay under GitHub's comment size limit; the JSON report (`--output`) has everything.\n",
            longest.body.len()
        );
    }
    let mut out: String = sections
        .iter()
        .map(|s| s.body.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    if out.len() > max {
        // Fixed sections alone are too long: cut at a character boundary.
        let mut cut = max.saturating_sub(80);
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("\n\n> ✂️ Truncated to fit GitHub's comment size limit.\n");
    }
    out
}

fn severities(r: &Report) -> (u64, u64) {
    let n = |s| r.findings.iter().filter(|f| f.severity == s).count() as u64;
    (n(Severity::Error), n(Severity::Warning))
}

/// " (+1.2 MB)" against the baseline; nothing without one.
fn delta(now: u64, base: Option<u64>) -> String {
    match base {
        Some(b) if b != now => format!(" ({})", format_delta(now as i128 - b as i128)),
        Some(_) => " (±0)".into(),
        None => String::new(),
    }
}

fn notes(r: &Report) -> Option<String> {
    if r.notes.is_empty() {
        return None;
    }
    let mut s = String::new();
    for n in &r.notes {
        if deployed::shown_here(r, n) {
            continue;
        }
        let _ = writeln!(s, "> {}", inline(n));
    }
    (!s.is_empty()).then_some(s)
}

fn footer(r: &Report) -> Option<String> {
    Some(format!(
        "<sub>lambda-gate {} · schema {}</sub>\n",
        text(&r.tool.version),
        text(&r.schema)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_trims_the_longest_trimmable_section() {
        let sections = vec![
            Section {
                name: None,
                body: "headline\n".into(),
            },
            Section {
                name: Some("findings"),
                body: "x".repeat(5000),
            },
            Section {
                name: Some("layers"),
                body: "y".repeat(500),
            },
        ];
        let out = fit(sections, 2000);
        assert!(out.len() <= 2000);
        assert!(out.contains("The findings section (5000 characters) was left out"));
        assert!(out.contains(&"y".repeat(500)));
    }
}
