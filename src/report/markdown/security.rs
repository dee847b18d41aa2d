//! The security findings: counts by severity, what was read, the top findings.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::super::markdown_escape::{code, inline, text};
use super::super::security::{FindingStatus, Severity as VulnSeverity};
use super::super::words::{count, listed};
use super::super::Report;
use super::MAX_ROWS;
use crate::image::history::cut;

pub(super) fn section(r: &Report) -> Option<String> {
    let sec = r.security.as_ref()?;
    let mut s = String::from("#### Security\n\n");
    let has_status = sec.findings.iter().any(|f| f.status.is_some());
    if !sec.findings.is_empty() {
        if has_status {
            let _ = writeln!(s, "| severity | new | existing |\n|---|---|---|");
        } else {
            let _ = writeln!(s, "| severity | findings |\n|---|---|");
        }
        for sev in VulnSeverity::MOST_SEVERE_FIRST {
            let all: Vec<_> = sec.findings.iter().filter(|f| f.severity == sev).collect();
            let sev = sev.as_str();
            if all.is_empty() {
                continue;
            }
            if has_status {
                let new = all
                    .iter()
                    .filter(|f| f.status == Some(FindingStatus::New))
                    .count();
                let _ = writeln!(s, "| {sev} | {new} | {} |", all.len() - new);
            } else {
                let _ = writeln!(s, "| {sev} | {} |", all.len());
            }
        }
        s.push('\n');
    }
    // Which files were read, so "0 findings" cannot be mistaken for "not scanned".
    let sources: Vec<String> = sec
        .sources
        .iter()
        .map(|f| {
            // The file name: the runner's absolute paths mean nothing to a reviewer.
            let name = std::path::Path::new(&f.path)
                .file_name()
                .map_or(f.path.clone(), |n| n.to_string_lossy().into_owned());
            format!("{} ({} {})", code(&name), text(&f.format), f.findings)
        })
        .collect();
    let _ = writeln!(
        s,
        "{} from {} · {} fixable · {} suppressed\n",
        count(sec.findings.len() as u64, "finding", "findings"),
        listed(&sources, "no reports"),
        sec.counts.fixable,
        sec.suppressed.len()
    );
    if let Some(inv) = &sec.inventory {
        let top = |m: &BTreeMap<String, u64>| {
            let mut v: Vec<(&String, &u64)> = m.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            v.iter()
                .take(6)
                .map(|(k, n)| format!("{} {n}", code(k)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut line = format!("SBOM: {}", count(inv.components, "component", "components"));
        for (what, m) in [("type", &inv.by_type), ("ecosystem", &inv.by_ecosystem)] {
            if !m.is_empty() {
                let _ = write!(line, " · by {what} {}", top(m));
            }
        }
        let _ = writeln!(s, "{line}\n");
    }
    if !sec.findings.is_empty() {
        let _ = writeln!(s, "<details><summary>Top findings</summary>\n\n| severity | id | package | installed | fixed | title |\n|---|---|---|---|---|---|");
        for f in sec.findings.iter().take(MAX_ROWS) {
            let new = if f.status == Some(FindingStatus::New) {
                " 🆕"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "| {}{new} | {} | {} | {} | {} | {} |",
                f.severity.as_str(),
                code(&f.id),
                if f.package.is_empty() {
                    code(&f.location)
                } else {
                    code(&f.package)
                },
                code(&f.installed),
                if f.fixed.is_empty() {
                    "–".into()
                } else {
                    code(&f.fixed)
                },
                inline(&cut(&f.title, 100))
            );
        }
        let _ = writeln!(s, "\n</details>\n");
    }
    Some(s)
}
