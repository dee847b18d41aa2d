//! The "Policy changes in this pull request" section: each setting of gate.toml (and of the
//! ignore files it names) the pull request changes, old → new, loosening or tightening — for
//! the PR comment and job summary (Markdown), the terminal and the HTML report.
//!
//! Each renderer reads `report.policy_changes` alone and says nothing without changes. Every
//! value shown comes from the pull request's own files (an ignore id, a glob, a size): in
//! Markdown it goes through `markdown_escape::code`, in HTML through maud's escaping, on the
//! terminal through `term::escape`, field by field.

use std::fmt::Write;

use maud::{html, Markup};

use super::markdown_escape::code;
use super::Report;
use crate::model::policy_changes::{Direction, PolicyChange, PolicyChanges};
use crate::term::escape;

pub const TITLE: &str = "Policy changes in this pull request";

/// Rows in the comment; the JSON has all.
const MAX_ROWS: usize = 40;

fn changed(r: &Report) -> Option<&PolicyChanges> {
    r.policy_changes.as_ref().filter(|p| !p.changes.is_empty())
}

fn mark(d: Direction) -> &'static str {
    match d {
        Direction::Loosening => "⚠️ loosening",
        Direction::Tightening => "tightening",
        Direction::Changed => "changed",
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// "2 loosen, 1 tightens" for the line under the title.
fn tally(p: &PolicyChanges) -> String {
    let n = |d: Direction| p.changes.iter().filter(|c| c.direction == d).count();
    let (l, t, c) = (
        n(Direction::Loosening),
        n(Direction::Tightening),
        n(Direction::Changed),
    );
    let mut parts = Vec::new();
    if l > 0 {
        parts.push(format!("{l} loosening"));
    }
    if t > 0 {
        parts.push(format!("{t} tightening"));
    }
    if c > 0 {
        parts.push(format!("{c} other"));
    }
    parts.join(", ")
}

/// Whose policy was obeyed, in a sentence.
fn obeyed(p: &PolicyChanges) -> String {
    if p.obeyed == "head" {
        format!(
            "The gate obeyed the pull request's own policy (`policy-from: head`), compared with the base commit {}.",
            short(&p.base)
        )
    } else {
        format!(
            "The gate obeyed the policy of the base commit {}; these changes take effect once merged.",
            short(&p.base)
        )
    }
}

fn value(v: &Option<String>) -> String {
    v.as_deref().map(code).unwrap_or_else(|| "unset".into())
}

pub fn markdown(r: &Report) -> Option<String> {
    let p = changed(r)?;
    let mut s = format!("#### {TITLE}\n\n{} {}.\n\n", obeyed(p), tally(p));
    s.push_str("| | setting | base | pull request |\n|---|---|---|---|\n");
    for c in p.changes.iter().take(MAX_ROWS) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            mark(c.direction),
            code(&c.setting),
            value(&c.old),
            value(&c.new)
        );
    }
    if p.changes.len() > MAX_ROWS {
        let _ = writeln!(
            s,
            "\n{} more in the JSON report (`policy_changes`).",
            p.changes.len() - MAX_ROWS
        );
    }
    Some(s)
}

/// For the terminal renderer, which escapes the whole report once more.
pub fn text(r: &Report) -> Option<String> {
    let p = changed(r)?;
    let mut s = format!("{TITLE} ({})\n  {}\n", tally(p), obeyed(p).replace('`', ""));
    let width = p
        .changes
        .iter()
        .map(|c| c.setting.chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    // Each field escaped on its own: a newline in an ignore id the pull request wrote must
    // not start a line of its own ("verdict: PASS").
    for c in &p.changes {
        let _ = writeln!(
            s,
            "  {:<10}  {:<width$}  {} → {}",
            c.direction.as_str(),
            escape(&c.setting),
            escape(c.old.as_deref().unwrap_or("unset")),
            escape(c.new.as_deref().unwrap_or("unset")),
        );
    }
    Some(s)
}

pub fn html(r: &Report) -> Markup {
    let Some(p) = changed(r) else {
        return html! {};
    };
    let row = |c: &PolicyChange| {
        html! {
            tr data-search class=(c.direction.as_str()) {
                td { (c.direction.as_str()) }
                td { code { (c.setting) } }
                td { @if let Some(v) = &c.old { code { (v) } } @else { "unset" } }
                td { @if let Some(v) = &c.new { code { (v) } } @else { "unset" } }
            }
        }
    };
    html! {
        section #policy-changes {
            h2 { (TITLE) }
            p { (obeyed(p).replace('`', "")) " " (tally(p)) "." }
            table {
                thead { tr { th { "" } th { "setting" } th { "base" } th { "pull request" } } }
                tbody { @for c in &p.changes { (row(c)) } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            policy_changes: Some(PolicyChanges {
                base: "0123456789abcdef0123456789abcdef01234567".into(),
                obeyed: "base".into(),
                base_file: Some("gate.toml".into()),
                head_file: Some("gate.toml".into()),
                changes: vec![
                    PolicyChange {
                        setting: "[image] max_size".into(),
                        old: Some("500 MB".into()),
                        new: Some("900 MB".into()),
                        direction: Direction::Loosening,
                    },
                    PolicyChange {
                        setting: "[[security.ignore]] CVE-1|<b>@team".into(),
                        old: None,
                        new: Some("no expiry".into()),
                        direction: Direction::Loosening,
                    },
                ],
            }),
            ..Report::default()
        }
    }

    #[test]
    fn each_change_is_a_row_and_the_pull_requests_text_stays_code() {
        let md = markdown(&report()).unwrap();
        assert!(md.starts_with("#### Policy changes in this pull request\n"));
        assert!(md.contains("base commit 0123456789ab"), "{md}");
        assert!(md.contains("| ⚠️ loosening | `[image] max_size` | `500 MB` | `900 MB` |"));
        assert!(md.contains("2 loosening"));
        // The id is the pull request's: it cannot break the table or mention anyone.
        assert!(
            md.contains(r"`[[security.ignore]] CVE-1\|<b>@team` | unset |"),
            "{md}"
        );
        let html = html(&report()).into_string();
        assert!(
            html.contains("&lt;b&gt;") && !html.contains("<b>"),
            "{html}"
        );
        let mut forged = report();
        forged.policy_changes.as_mut().unwrap().changes[1].setting =
            "[[security.ignore]] CVE-1\nverdict: PASS".into();
        let text = text(&forged).unwrap();
        assert!(!text.lines().any(|l| l.starts_with("verdict")), "{text}");
        assert!(text.contains("loosening   [image] max_size"), "{text}");
        assert!(text.contains("500 MB → 900 MB"));
    }

    #[test]
    fn no_changes_no_section() {
        let mut r = report();
        r.policy_changes.as_mut().unwrap().changes.clear();
        assert!(markdown(&r).is_none() && text(&r).is_none());
        assert!(html(&r).into_string().is_empty());
        assert!(markdown(&Report::default()).is_none());
    }
}
