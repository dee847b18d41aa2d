//! The "What changed" section: packages added, removed, upgraded and downgraded against the
//! baseline, and the directories that grew or shrank most — for the PR comment (Markdown,
//! near the top: the first thing a reviewer reads) and the terminal.
//!
//! Both renderers read `report.delta` alone and return an empty string without one, so the
//! main renderers place the section with one line each. Names, versions and paths come from
//! the image (or from a base report file): in Markdown they go through `markdown_escape::code`, on
//! the terminal control characters are replaced.

use std::fmt::Write;

use super::markdown_escape::code;
use super::{Delta, PackageChange, Report};
use crate::units::{format_delta, format_size};

/// Package rows shown (all four kinds together, largest change first); the JSON has more.
const PACKAGE_ROWS: usize = 15;
/// Directory rows shown.
const DIR_ROWS: usize = 8;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Added,
    Removed,
    Upgraded,
    Downgraded,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Added => "added",
            Kind::Removed => "removed",
            Kind::Upgraded => "upgraded",
            Kind::Downgraded => "downgraded",
        }
    }
}

/// Every package change with its kind, largest |bytes| first.
fn rows(d: &Delta) -> Vec<(Kind, &PackageChange)> {
    let mut all: Vec<(Kind, &PackageChange)> = [
        (Kind::Added, &d.added),
        (Kind::Removed, &d.removed),
        (Kind::Upgraded, &d.upgraded),
        (Kind::Downgraded, &d.downgraded),
    ]
    .into_iter()
    .flat_map(|(k, list)| list.iter().map(move |c| (k, c)))
    .collect();
    all.sort_by(|a, b| {
        b.1.bytes_delta
            .unsigned_abs()
            .cmp(&a.1.bytes_delta.unsigned_abs())
            .then_with(|| {
                (a.1.ecosystem.as_str(), &a.1.name).cmp(&(b.1.ecosystem.as_str(), &b.1.name))
            })
    });
    all
}

/// "2 added, 1 removed, 3 upgraded" (kinds with none left out).
fn counts(d: &Delta) -> String {
    let parts: Vec<String> = [
        (d.added.len(), Kind::Added),
        (d.removed.len(), Kind::Removed),
        (d.upgraded.len(), Kind::Upgraded),
        (d.downgraded.len(), Kind::Downgraded),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, k)| format!("{n} {}", k.word()))
    .collect();
    parts.join(", ")
}

/// The Markdown section, or "" when the report has no delta.
pub fn markdown(report: &Report) -> String {
    let Some(d) = &report.delta else {
        return String::new();
    };
    let mut s = String::from("#### What changed\n\n");
    let rows = rows(d);
    if rows.is_empty() && !report.packages.is_empty() {
        s.push_str("No packages added, removed or changed in version.\n");
    } else if !rows.is_empty() {
        let net: i64 = rows.iter().map(|(_, c)| c.bytes_delta).sum();
        let _ = writeln!(
            s,
            "Packages: {} ({} in package files)\n",
            counts(d),
            format_delta(net as i128)
        );
        s.push_str("| package | ecosystem | version | size | change |\n|---|---|---|---|---|\n");
        for (kind, c) in rows.iter().take(PACKAGE_ROWS) {
            let version = match (kind, &c.old_version, &c.new_version) {
                (Kind::Upgraded | Kind::Downgraded, Some(o), Some(n)) => {
                    format!("{} → {} ({})", code(o), code(n), kind.word())
                }
                (_, o, n) => format!(
                    "{} {}",
                    kind.word(),
                    code(n.as_deref().or(o.as_deref()).unwrap_or(""))
                ),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                code(&c.name),
                code(c.ecosystem.as_str()),
                version,
                format_size(c.new_bytes),
                format_delta(c.bytes_delta as i128)
            );
        }
        if rows.len() > PACKAGE_ROWS {
            let _ = writeln!(
                s,
                "\n…and {} more package changes in the JSON report (`delta`).",
                rows.len() - PACKAGE_ROWS
            );
        }
    }
    if !d.dirs.is_empty() {
        s.push_str("\n| directory | before | now | change |\n|---|---|---|---|\n");
        for c in d.dirs.iter().take(DIR_ROWS) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                code(&c.path),
                format_size(c.old_bytes),
                format_size(c.new_bytes),
                format_delta(c.bytes_delta as i128)
            );
        }
    }
    s
}

/// The terminal section, or "" when the report has no delta.
pub fn text(report: &Report) -> String {
    let Some(d) = &report.delta else {
        return String::new();
    };
    let mut s = String::from("\nwhat changed\n");
    let rows = rows(d);
    if rows.is_empty() && !report.packages.is_empty() {
        s.push_str("  no packages added, removed or changed in version\n");
    } else if !rows.is_empty() {
        let _ = writeln!(s, "  packages: {}", counts(d));
        for (kind, c) in rows.iter().take(PACKAGE_ROWS) {
            let version = match (&c.old_version, &c.new_version) {
                (Some(o), Some(n)) => format!("{} -> {}", clean(o), clean(n)),
                (o, n) => clean(n.as_deref().or(o.as_deref()).unwrap_or("")),
            };
            let _ = writeln!(
                s,
                "  {:>10}  {:<10} {:<6} {} {}",
                format_delta(c.bytes_delta as i128),
                kind.word(),
                clean(c.ecosystem.as_str()),
                clean(&c.name),
                version
            );
        }
        if rows.len() > PACKAGE_ROWS {
            let _ = writeln!(
                s,
                "  …and {} more in the JSON report",
                rows.len() - PACKAGE_ROWS
            );
        }
    }
    if !d.dirs.is_empty() {
        let _ = writeln!(s, "  directories:");
        for c in d.dirs.iter().take(DIR_ROWS) {
            let _ = writeln!(
                s,
                "  {:>10}  {}  ({} -> {})",
                format_delta(c.bytes_delta as i128),
                clean(&c.path),
                format_size(c.old_bytes),
                format_size(c.new_bytes)
            );
        }
    }
    s
}

/// A terminal shows control characters as commands (colours, cursor moves, titles): a name
/// from an image must not carry one to the reader's terminal.
fn clean(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::DirChange;

    fn change(name: &str, old: Option<&str>, new: Option<&str>, ob: u64, nb: u64) -> PackageChange {
        PackageChange {
            ecosystem: crate::model::Ecosystem::Pypi,
            name: name.into(),
            old_version: old.map(Into::into),
            new_version: new.map(Into::into),
            old_bytes: ob,
            new_bytes: nb,
            bytes_delta: nb as i64 - ob as i64,
        }
    }

    fn with_delta() -> Report {
        Report {
            delta: Some(Delta {
                added: vec![change("numpy", None, Some("2.1.0"), 0, 18_000_000)],
                removed: vec![change("six", Some("1.16.0"), None, 40_000, 0)],
                upgraded: vec![change(
                    "pyarrow",
                    Some("14.0.2"),
                    Some("17.0.0"),
                    90_000_000,
                    121_000_000,
                )],
                downgraded: vec![],
                dirs: vec![DirChange {
                    path: "/var/task/data".into(),
                    old_bytes: 0,
                    new_bytes: 6_000_000,
                    bytes_delta: 6_000_000,
                }],
            }),
            ..Report::default()
        }
    }

    #[test]
    fn no_delta_no_section() {
        assert_eq!(markdown(&Report::default()), "");
        assert_eq!(text(&Report::default()), "");
    }

    #[test]
    fn markdown_lists_changes_largest_first() {
        let md = markdown(&with_delta());
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines[0], "#### What changed");
        assert!(
            md.contains("Packages: 1 added, 1 removed, 1 upgraded (+49.0 MB in package files)"),
            "{md}"
        );
        let pyarrow = md.find("`pyarrow`").unwrap();
        let numpy = md.find("`numpy`").unwrap();
        let six = md.find("`six`").unwrap();
        assert!(pyarrow < numpy && numpy < six, "{md}");
        assert!(
            md.contains(
                "| `pyarrow` | `pypi` | `14.0.2` → `17.0.0` (upgraded) | 121 MB | +31.0 MB |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| `six` | `pypi` | removed `1.16.0` | 0 B | -40.0 kB |"),
            "{md}"
        );
        assert!(
            md.contains("| `/var/task/data` | 0 B | 6.0 MB | +6.0 MB |"),
            "{md}"
        );
    }

    #[test]
    fn names_from_the_image_cannot_break_the_comment_or_the_terminal() {
        let mut r = with_delta();
        let d = r.delta.as_mut().unwrap();
        d.added[0].name = "evil|<img src=x>@octocat\n| injected | row |".into();
        d.dirs[0].path = "/x`y\u{1b}[2J".into();
        let md = markdown(&r);
        let row = md.lines().find(|l| l.contains("evil")).unwrap();
        // One table row, five cells: every pipe from the name is escaped.
        let bars = row
            .char_indices()
            .filter(|(i, c)| *c == '|' && !row[..*i].ends_with('\\'))
            .count();
        assert_eq!(bars, 6, "{row}");
        assert!(!md.contains("\n| injected"), "{md}");
        let t = text(&r);
        assert!(!t.contains('\u{1b}'), "{t:?}");
        assert!(t.contains("/x`y?[2J"), "{t}");
    }

    #[test]
    fn text_section() {
        let t = text(&with_delta());
        assert!(
            t.contains("what changed\n  packages: 1 added, 1 removed, 1 upgraded\n"),
            "{t}"
        );
        assert!(
            t.contains("   +31.0 MB  upgraded   pypi   pyarrow 14.0.2 -> 17.0.0\n"),
            "{t}"
        );
        assert!(
            t.contains("   +6.0 MB  /var/task/data  (0 B -> 6.0 MB)"),
            "{t}"
        );
    }
}
