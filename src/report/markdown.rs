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
//! The comment is the sections in `SECTIONS`, top to bottom; a new section is one function
//! returning `Option<String>` (None: nothing to say) and one line there. What a rule is (its
//! description, what its bytes are) is looked up from `model::RuleId`.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::markdown_escape::{code, inline, text};
use super::security::{FindingStatus, Severity as VulnSeverity};
use super::words::{check_figures, count, dive_efficiency, fix_after, index_line, share};
use super::{Check, Report, RuleKind, Severity, Status, Unit, Verdict};
use crate::image::history::{cut, shorten};
use crate::units::{format_delta, format_percent, format_size};

/// GitHub rejects comments over 65,536 characters; leave room for the marker and a note.
pub const MAX_CHARS: usize = 64_000;

/// Rows in the long tables before the rest is left to the JSON report.
const MAX_ROWS: usize = 30;

/// Images with at most this many layers list them all; larger ones fold the small layers.
const ALL_LAYERS: usize = 8;

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
        render: headline,
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
        render: checks,
    },
    Part {
        trim: Some("findings"),
        render: findings,
    },
    Part {
        trim: Some("image"),
        render: image,
    },
    Part {
        trim: Some("security findings"),
        render: security,
    },
    Part {
        trim: None,
        render: perf,
    },
    Part {
        trim: Some("trend"),
        render: super::trend::markdown,
    },
    Part {
        trim: None,
        render: |r| Some(super::deployed_md::section(r)).filter(|s| !s.is_empty()),
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

fn verdict_mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✅",
        Verdict::Warn => "⚠️",
        Verdict::Fail => "❌",
    }
}

fn status_mark(s: Status) -> &'static str {
    match s {
        Status::Pass => "✅ pass",
        Status::Warn => "⚠️ warn",
        Status::Fail => "❌ fail",
    }
}

fn headline(r: &Report) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(img) = &r.image {
        let b = r.baseline.as_ref();
        let whole = img.final_bytes + img.wasted_bytes;
        parts.push(format!(
            "**{}**{}",
            format_size(img.size_bytes),
            delta(img.size_bytes, b.and_then(|b| b.size_bytes))
        ));
        parts.push(format!(
            "{} visible · {} hidden by later layers ({}){}",
            share(img.final_bytes, whole),
            format_size(img.wasted_bytes),
            share(img.wasted_bytes, whole),
            delta(img.wasted_bytes, b.and_then(|b| b.wasted_bytes))
        ));
        parts.push(format!(
            "{} stored{}",
            format_size(img.compressed_bytes),
            delta(img.compressed_bytes, b.and_then(|b| b.compressed_bytes))
        ));
    }
    let (errors, warnings) = severities(r);
    match (errors, warnings) {
        (0, 0) => {}
        (e, 0) => parts.push(count(e, "error", "errors")),
        (0, w) => parts.push(count(w, "warning", "warnings")),
        (e, w) => parts.push(format!(
            "{}, {}",
            count(e, "error", "errors"),
            count(w, "warning", "warnings")
        )),
    }
    if let Some(sec) = &r.security {
        let crit = sec.counts.by_severity.get(VulnSeverity::Critical);
        let high = sec.counts.by_severity.get(VulnSeverity::High);
        parts.push(if crit + high == 0 {
            "no critical or high vulnerabilities".to_string()
        } else {
            format!("{crit} critical / {high} high vulnerabilities")
        });
    }
    if let Some(p) = &r.perf {
        parts.push(format!("p95 {:.0} ms", p.latency_ms.p95));
    }
    let failed = r.checks.iter().filter(|c| c.status == Status::Fail).count();
    if failed > 0 {
        parts.push(format!(
            "{} failed",
            count(failed as u64, "check", "checks")
        ));
    }
    let name = r
        .image
        .as_ref()
        .map(|i| format!(" {}", code(i.reference.as_deref().unwrap_or(&i.source))))
        .unwrap_or_default();
    Some(format!(
        "### {} lambda-gate: **{}**{name}\n\n{}\n",
        verdict_mark(r.verdict),
        r.verdict.as_str().to_uppercase(),
        parts.join(" · ")
    ))
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

/// Failed and warning checks in a table; the ones that pass folded into one line.
fn checks(r: &Report) -> Option<String> {
    if r.checks.is_empty() {
        return None;
    }
    let base = r.baseline.is_some();
    let mut open: Vec<&Check> = r
        .checks
        .iter()
        .filter(|c| c.status != Status::Pass)
        .collect();
    open.sort_by_key(|c| std::cmp::Reverse(c.status));
    let passing: Vec<&Check> = r
        .checks
        .iter()
        .filter(|c| c.status == Status::Pass)
        .collect();
    let mut s = String::new();
    if !open.is_empty() {
        check_table(&mut s, r, &open, base);
        for c in open.iter().filter(|c| c.detail.is_some()).take(10) {
            let _ = writeln!(
                s,
                "\n{} {}: {}",
                status_mark(c.status),
                code(&c.name.to_string()),
                inline(c.detail.as_deref().unwrap_or(""))
            );
        }
        s.push('\n');
    }
    if !passing.is_empty() {
        let all = if open.is_empty() { "All " } else { "" };
        let _ = writeln!(
            s,
            "<details><summary>✅ {all}{} pass</summary>\n",
            count(passing.len() as u64, "check", "checks")
        );
        check_table(&mut s, r, &passing, base);
        let _ = writeln!(s, "\n</details>\n");
    }
    Some(s)
}

fn check_table(s: &mut String, r: &Report, checks: &[&Check], base: bool) {
    if base {
        let _ = writeln!(
            s,
            "| | check | limit | actual | vs base |\n|---|---|---|---|---|"
        );
    } else {
        let _ = writeln!(s, "| | check | limit | actual |\n|---|---|---|---|");
    }
    for c in checks {
        let (limit, actual) = check_figures(c, r);
        let _ = write!(
            s,
            "| {} | {} | {} | {} |",
            status_mark(c.status),
            code(&c.name.to_string()),
            text(&limit),
            text(&actual)
        );
        if base {
            let then = r
                .baseline
                .as_ref()
                .and_then(|b| b.checks.get(&c.name.to_string()));
            let _ = write!(s, " {} |", check_delta(c, then));
        }
        s.push('\n');
    }
}

fn check_delta(c: &Check, base: Option<&serde_json::Value>) -> String {
    let (Some(now), Some(then)) = (c.actual.as_f64(), base.and_then(|b| b.as_f64())) else {
        return String::new();
    };
    let d = now - then;
    if d == 0.0 {
        return "±0".into();
    }
    match c.unit {
        Some(Unit::Bytes) => format_delta(d as i128),
        Some(Unit::Ratio) => format!("{:+.1} pts", d * 100.0),
        _ => format!("{d:+}"),
    }
}

/// What to fix, most severe and largest first.
fn findings(r: &Report) -> Option<String> {
    if r.findings.is_empty() {
        return None;
    }
    let (errors, warnings) = severities(r);
    let infos = r.findings.len() as u64 - errors - warnings;
    let mut tally = Vec::new();
    for (n, one, many) in [
        (errors, "error", "errors"),
        (warnings, "warning", "warnings"),
        (infos, "note", "notes"),
    ] {
        if n > 0 {
            tally.push(count(n, one, many));
        }
    }
    let mut s = format!(
        "#### Findings: {}\n\n| | rule | what | bytes | fix |\n|---|---|---|---|---|\n",
        tally.join(", ")
    );
    let mut sorted: Vec<&super::Finding> = r.findings.iter().collect();
    sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.bytes.cmp(&a.bytes)));
    for f in sorted.iter().take(MAX_ROWS) {
        let mark = match f.severity {
            Severity::Error => "❌",
            Severity::Warning => "⚠️",
            Severity::Info => "ℹ️",
        };
        let base = r
            .baseline
            .as_ref()
            .map(|b| b.finding_bytes.get(f.rule.id()).copied().unwrap_or(0));
        let bytes = if f.bytes == 0 {
            "–".into()
        } else {
            format!("{}{}", format_size(f.bytes), delta(f.bytes, base))
        };
        let _ = writeln!(
            s,
            "| {mark} | {} | {} | {bytes} | {} |",
            code(f.rule.id()),
            inline(&f.message),
            inline(fix_after(&f.message, &f.fix))
        );
    }
    if r.findings.len() > MAX_ROWS {
        let _ = writeln!(
            s,
            "\n…and {} more in the JSON report.",
            r.findings.len() - MAX_ROWS
        );
    }
    Some(s)
}

/// The image in two lines, its layers in one table, and the largest hidden files folded.
fn image(r: &Report) -> Option<String> {
    let img = r.image.as_ref()?;
    let b = r.baseline.as_ref();
    let mut s = String::from("#### Image\n\n");
    let _ = writeln!(
        s,
        "{} · {} · {} · {} · {} ({} stored)\n",
        code(img.format.as_str()),
        code(&img.platform),
        count(img.layers.len() as u64, "layer", "layers"),
        count(img.file_count, "file", "files"),
        format_size(img.size_bytes),
        format_size(img.compressed_bytes)
    );
    if let Some(line) = index_line(img) {
        let _ = writeln!(s, "Resolved through {}\n", code(&line));
    }
    // What the bytes are. The parts are the gate's own findings, never image content.
    let whole = img.final_bytes + img.wasted_bytes;
    let rule_bytes = |kind: RuleKind| -> u64 {
        r.findings
            .iter()
            .filter(|f| f.rule.kind() == kind)
            .map(|f| f.bytes)
            .sum()
    };
    let caches = rule_bytes(RuleKind::Cache);
    let tools = rule_bytes(RuleKind::BuildTools);
    let mut of_which = Vec::new();
    if caches > 0 {
        of_which.push(format!("{} leftover caches", format_size(caches)));
    }
    if tools > 0 {
        of_which.push(format!("{} build tools", format_size(tools)));
    }
    let _ = writeln!(
        s,
        "**{} visible** ({}){} · **{} hidden by later layers** ({}) · {}\n",
        format_size(img.final_bytes),
        share(img.final_bytes, whole),
        if of_which.is_empty() {
            String::new()
        } else {
            format!(", of which {}", of_which.join(" and "))
        },
        format_size(img.wasted_bytes),
        share(img.wasted_bytes, whole),
        dive_efficiency(img)
    );
    if let Some(b) = b {
        let _ = writeln!(s, "| | now | base | change |\n|---|---|---|---|");
        let rows: [(&str, u64, Option<u64>); 4] = [
            ("uncompressed", img.size_bytes, b.size_bytes),
            ("stored", img.compressed_bytes, b.compressed_bytes),
            ("visible", img.final_bytes, b.final_bytes),
            ("hidden by later layers", img.wasted_bytes, b.wasted_bytes),
        ];
        for (name, now, then) in rows {
            let _ = writeln!(
                s,
                "| {name} | {} | {} | {} |",
                format_size(now),
                then.map(format_size).unwrap_or_else(|| "–".into()),
                delta(now, then)
                    .trim()
                    .trim_matches(|c| c == '(' || c == ')')
            );
        }
        if let Some(e) = b.efficiency {
            let _ = writeln!(
                s,
                "| dive's efficiency score | {} | {} | {:+.1} pts |",
                format_percent(img.efficiency),
                format_percent(e),
                (img.efficiency - e) * 100.0
            );
        }
        s.push('\n');
    }
    layers(&mut s, r);
    hidden_files(&mut s, img);
    Some(s)
}

/// One table of layers in build order. On a tall image the small layers (not among the five
/// largest, under 1% of the bytes, hiding nothing) fold into one `<details>` after it.
fn layers(s: &mut String, r: &Report) {
    let Some(img) = &r.image else { return };
    let b = r.baseline.as_ref();
    let mut by_size: Vec<&super::LayerSummary> = img.layers.iter().collect();
    by_size.sort_by_key(|l| std::cmp::Reverse(l.size_bytes));
    let top: Vec<usize> = by_size.iter().take(5).map(|l| l.index).collect();
    let (shown, folded): (Vec<&super::LayerSummary>, Vec<&super::LayerSummary>) =
        img.layers.iter().partition(|l| {
            img.layers.len() <= ALL_LAYERS
                || top.contains(&l.index)
                || l.wasted_bytes > 0
                || l.size_bytes * 100 >= img.size_bytes
        });
    let table = |s: &mut String, rows: &[&super::LayerSummary]| {
        if b.is_some() {
            let _ = writeln!(
                s,
                "| layer | size | vs base | hidden later | instruction |\n|---|---|---|---|---|"
            );
        } else {
            let _ = writeln!(
                s,
                "| layer | size | hidden later | instruction |\n|---|---|---|---|"
            );
        }
        for l in rows.iter().take(MAX_ROWS * 3) {
            let vs_base = match b {
                Some(b) => match b.layer_size(&l.digest, &l.created_by) {
                    Some(x) => format!(" {} |", format_delta(l.size_bytes as i128 - x as i128)),
                    None => " new |".into(),
                },
                None => String::new(),
            };
            let instr = if l.created_by.is_empty() {
                code(&crate::image::scan::short(&l.digest))
            } else {
                code(&shorten(&l.created_by, 90))
            };
            let _ = writeln!(
                s,
                "| {} | {} |{vs_base} {} | {} |",
                l.index,
                format_size(l.size_bytes),
                if l.wasted_bytes == 0 {
                    "–".into()
                } else {
                    format_size(l.wasted_bytes)
                },
                instr
            );
        }
    };
    table(s, &shown);
    s.push('\n');
    if !folded.is_empty() {
        let bytes: u64 = folded.iter().map(|l| l.size_bytes).sum();
        let _ = writeln!(
            s,
            "<details><summary>{} more small {} ({} in all)</summary>\n",
            folded.len(),
            if folded.len() == 1 { "layer" } else { "layers" },
            format_size(bytes)
        );
        table(s, &folded);
        let _ = writeln!(s, "\n</details>\n");
    }
}

/// The largest hidden files, grouped by directory, writer, hider and how: the six wheels one
/// layer built and a later one deleted are one row.
fn hidden_files(s: &mut String, img: &super::ImageSummary) {
    if img.top_wasted.is_empty() {
        return;
    }
    type Key<'a> = (&'a str, usize, usize, &'a str);
    let mut groups: BTreeMap<Key, (u64, Vec<&str>)> = BTreeMap::new();
    for w in &img.top_wasted {
        let dir = w.path.rfind('/').map_or("", |i| &w.path[..=i]);
        let g = groups
            .entry((dir, w.layer, w.hidden_by, w.reason.as_str()))
            .or_default();
        g.0 += w.bytes;
        g.1.push(w.path.as_str());
    }
    let mut rows: Vec<(Key, (u64, Vec<&str>))> = groups.into_iter().collect();
    rows.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    let listed: u64 = img.top_wasted.iter().map(|w| w.bytes).sum();
    let of = if format_size(listed) != format_size(img.wasted_bytes) {
        format!(
            "{} of the {} hidden",
            format_size(listed),
            format_size(img.wasted_bytes)
        )
    } else {
        format_size(listed)
    };
    let _ = writeln!(
        s,
        "<details><summary>Largest hidden files ({of})</summary>\n"
    );
    let _ = writeln!(s, "| path | size | written by → hidden by |\n|---|---|---|");
    for ((dir, layer, hider, reason), (bytes, paths)) in rows.iter().take(MAX_ROWS) {
        let what = match paths[..] {
            [one] => code(one),
            _ => format!(
                "{} · {}",
                code(dir),
                count(paths.len() as u64, "file", "files")
            ),
        };
        let _ = writeln!(
            s,
            "| {what} | {} | layer {layer} → {hider} ({}) |",
            format_size(*bytes),
            text(reason)
        );
    }
    let _ = writeln!(s, "\n</details>\n");
}

fn security(r: &Report) -> Option<String> {
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
        if sources.is_empty() {
            "no reports".to_string()
        } else {
            sources.join(", ")
        },
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

fn perf(r: &Report) -> Option<String> {
    let p = r.perf.as_ref()?;
    let l = &p.latency_ms;
    let b = r.baseline.as_ref();
    let mut s = String::from("#### Performance\n\n| requests | success | p50 | p90 | p95 | p99 | max | cold starts |\n|---|---|---|---|---|---|---|---|\n");
    let p95_delta = b
        .and_then(|b| b.p95_ms)
        .map(|x| format!(" ({:+.0})", l.p95 - x))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "| {} | {} | {:.0} ms | {:.0} ms | {:.0} ms{p95_delta} | {:.0} ms | {:.0} ms | {} ({}) |",
        p.requests,
        format_percent(p.success_rate),
        l.p50,
        l.p90,
        l.p95,
        l.p99,
        l.max,
        p.cold_starts,
        format_percent(p.cold_start_rate)
    );
    if !p.missing_headers.is_empty() {
        let missing: Vec<String> = p
            .missing_headers
            .iter()
            .map(|(h, n)| {
                format!(
                    "{} missing in {} of {}",
                    code(h),
                    super::words::number(*n),
                    count(p.requests, "response", "responses")
                )
            })
            .collect();
        let _ = writeln!(s, "\n{}", missing.join(", "));
    }
    let _ = writeln!(s, "\n<details><summary>Latency chart</summary>\n\n```mermaid\nxychart-beta\n    title \"Latency percentiles (ms)\"\n    x-axis [p50, p90, p95, p99, max]\n    bar [{:.1}, {:.1}, {:.1}, {:.1}, {:.1}]\n```\n\n</details>", l.p50, l.p90, l.p95, l.p99, l.max);
    s.push_str(&super::perf_compare::markdown(p));
    s.push_str(&super::shards::markdown(p));
    Some(s)
}

fn notes(r: &Report) -> Option<String> {
    if r.notes.is_empty() {
        return None;
    }
    let mut s = String::new();
    for n in &r.notes {
        if super::deployed_md::shown_here(r, n) {
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
