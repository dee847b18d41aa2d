//! The Markdown renderer (GitHub-flavoured): the pull-request comment and the job summary.
//!
//! Headline first (verdict and the numbers people look for), then checks, image, findings,
//! security, performance; long parts folded in `<details>`. Everything that comes from an
//! image or a scanner (paths, instructions, titles, ids) is untrusted: it is rendered inside
//! code spans or escaped, so it cannot break a table, inject HTML, links or images, or
//! @-mention anyone. Charts (Mermaid) use only labels the gate writes itself.

use std::fmt::Write;

use super::{text::shorten, Check, Report, Severity, Status, Verdict};
use crate::units::{format_delta, format_percent, format_size};

/// GitHub rejects comments over 65,536 characters; leave room for the marker and a note.
pub const MAX_CHARS: usize = 64_000;

/// Rows in the long tables before the rest is left to the JSON report.
const MAX_ROWS: usize = 30;

pub fn render(report: &Report) -> String {
    let mut sections: Vec<Section> = Vec::new();
    sections.push(Section::fixed(headline(report)));
    sections.extend(super::html::comment_link().map(Section::fixed));
    if report.delta.is_some() {
        sections.push(Section::trimmable(
            "what changed",
            super::changes::markdown(report),
        ));
    }
    if !report.checks.is_empty() {
        sections.push(Section::fixed(checks(report)));
    }
    if report.image.is_some() {
        sections.push(Section::trimmable("layers", image(report)));
    }
    if !report.findings.is_empty() {
        sections.push(Section::trimmable("findings", findings(report)));
    }
    if report.security.is_some() {
        sections.push(Section::trimmable("security findings", security(report)));
    }
    if report.perf.is_some() {
        sections.push(Section::fixed(perf(report)));
    }
    if report.function.is_some() {
        sections.push(Section::fixed(super::deployed_md::section(report)));
    }
    if !report.notes.is_empty() {
        let mut s = String::new();
        for n in &report.notes {
            if super::deployed_md::shown_here(report, n) {
                continue;
            }
            let _ = writeln!(s, "> {}", text(n));
        }
        if !s.is_empty() {
            sections.push(Section::fixed(s));
        }
    }
    sections.push(Section::fixed(format!(
        "<sub>lambda-gate {} · schema {}</sub>\n",
        report.tool.version, report.schema
    )));
    fit(sections, MAX_CHARS)
}

struct Section {
    name: Option<&'static str>,
    body: String,
}

impl Section {
    fn fixed(body: String) -> Section {
        Section { name: None, body }
    }
    fn trimmable(name: &'static str, body: String) -> Section {
        Section {
            name: Some(name),
            body,
        }
    }
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

fn headline(r: &Report) -> String {
    let mut parts = Vec::new();
    if let Some(img) = &r.image {
        let b = r.baseline.as_ref();
        parts.push(format!(
            "{}{}",
            format_size(img.size_bytes),
            delta(img.size_bytes, b.and_then(|b| b.size_bytes))
        ));
        parts.push(format!(
            "{} stored{}",
            format_size(img.compressed_bytes),
            delta(img.compressed_bytes, b.and_then(|b| b.compressed_bytes))
        ));
        parts.push(format!(
            "{} wasted{}",
            format_size(img.wasted_bytes),
            delta(img.wasted_bytes, b.and_then(|b| b.wasted_bytes))
        ));
    }
    let (errors, warnings) = (
        r.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        r.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count(),
    );
    if errors + warnings > 0 {
        parts.push(format!("{errors} errors, {warnings} warnings"));
    }
    if let Some(sec) = &r.security {
        let crit = sec.counts.by_severity.get("critical").copied().unwrap_or(0);
        let high = sec.counts.by_severity.get("high").copied().unwrap_or(0);
        parts.push(format!("{crit} critical / {high} high vulnerabilities"));
    }
    if let Some(p) = &r.perf {
        parts.push(format!("p95 {:.0} ms", p.latency_ms.p95));
    }
    let failed = r.checks.iter().filter(|c| c.status == Status::Fail).count();
    if failed > 0 {
        parts.push(format!("{failed} failed checks"));
    }
    let name = r
        .image
        .as_ref()
        .map(|i| format!(" {}", code(i.reference.as_deref().unwrap_or(&i.source))))
        .unwrap_or_default();
    format!(
        "### {} lambda-gate: **{}**{name}\n\n{}\n",
        verdict_mark(r.verdict),
        r.verdict.as_str().to_uppercase(),
        parts.join(" · ")
    )
}

fn delta(now: u64, base: Option<u64>) -> String {
    match base {
        Some(b) if b != now => format!(" ({})", format_delta(now as i128 - b as i128)),
        Some(_) => " (±0)".into(),
        None => String::new(),
    }
}

fn checks(r: &Report) -> String {
    let mut s =
        String::from("| check | limit | actual | status | vs base |\n|---|---|---|---|---|\n");
    for c in &r.checks {
        let base = r.baseline.as_ref().and_then(|b| b.checks.get(&c.name));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            code(&c.name),
            text(&super::text::show_value(&c.limit, c.unit.as_deref())),
            text(&super::text::show_value(&c.actual, c.unit.as_deref())),
            status_mark(c.status),
            check_delta(c, base)
        );
    }
    let failing: Vec<&Check> = r
        .checks
        .iter()
        .filter(|c| c.status != Status::Pass && c.detail.is_some())
        .collect();
    for c in failing.iter().take(10) {
        let _ = writeln!(
            s,
            "\n{} {}: {}",
            status_mark(c.status),
            code(&c.name),
            text(c.detail.as_deref().unwrap_or(""))
        );
    }
    s
}

fn check_delta(c: &Check, base: Option<&serde_json::Value>) -> String {
    let (Some(now), Some(then)) = (c.actual.as_f64(), base.and_then(|b| b.as_f64())) else {
        return String::new();
    };
    let d = now - then;
    if d == 0.0 {
        return "±0".into();
    }
    match c.unit.as_deref() {
        Some("bytes") => format_delta(d as i128),
        Some("ratio") => format!("{:+.1} pts", d * 100.0),
        _ => format!("{d:+}"),
    }
}

fn image(r: &Report) -> String {
    let img = r.image.as_ref().expect("checked by the caller");
    let b = r.baseline.as_ref();
    let mut s = String::new();
    let _ = writeln!(s, "#### Image\n");
    let _ = writeln!(s, "| | now | vs base |\n|---|---|---|");
    let rows: [(&str, u64, Option<u64>); 4] = [
        ("uncompressed", img.size_bytes, b.and_then(|b| b.size_bytes)),
        (
            "compressed",
            img.compressed_bytes,
            b.and_then(|b| b.compressed_bytes),
        ),
        ("visible", img.final_bytes, b.and_then(|b| b.final_bytes)),
        ("wasted", img.wasted_bytes, b.and_then(|b| b.wasted_bytes)),
    ];
    for (name, now, base) in rows {
        let _ = writeln!(
            s,
            "| {name} | {} | {} |",
            format_size(now),
            delta(now, base)
                .trim()
                .trim_matches(|c| c == '(' || c == ')')
        );
    }
    let _ = writeln!(
        s,
        "| efficiency | {} | {} |",
        format_percent(img.efficiency),
        b.and_then(|b| b.efficiency)
            .map(|e| format!("{:+.1} pts", (img.efficiency - e) * 100.0))
            .unwrap_or_default()
    );
    let _ = writeln!(
        s,
        "\n{} · {} · {} layers · {} files\n",
        code(&img.format),
        code(&img.platform),
        img.layers.len(),
        img.file_count
    );

    // The biggest layers, by the instruction that made them.
    let mut by_size: Vec<&super::LayerSummary> = img.layers.iter().collect();
    by_size.sort_by_key(|l| std::cmp::Reverse(l.size_bytes));
    let _ = writeln!(
        s,
        "| layer | size | vs base | wasted | instruction |\n|---|---|---|---|---|"
    );
    for l in by_size.iter().take(5) {
        let base = b.and_then(|b| b.layer_size(&l.digest, &l.created_by));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            l.index,
            format_size(l.size_bytes),
            match base {
                Some(x) => format_delta(l.size_bytes as i128 - x as i128),
                None if b.is_some() => "new".into(),
                None => String::new(),
            },
            if l.wasted_bytes == 0 {
                "–".into()
            } else {
                format_size(l.wasted_bytes)
            },
            code(&shorten(&l.created_by, 80))
        );
    }

    // Composition: what the bytes are. Labels are the gate's own words, never image content.
    let _ = writeln!(
        s,
        "\n```mermaid\npie showData title Image bytes (uncompressed, MB)"
    );
    let mb = |b: u64| (b as f64 / 1e3).round() / 1e3;
    let cache: u64 = r
        .findings
        .iter()
        .filter(|f| f.rule.ends_with("-cache") || f.rule.starts_with("apt-"))
        .map(|f| f.bytes)
        .sum();
    let visible_other = img.final_bytes.saturating_sub(cache);
    let _ = writeln!(s, "    \"visible files\" : {}", mb(visible_other));
    if cache > 0 {
        let _ = writeln!(s, "    \"leftover caches\" : {}", mb(cache));
    }
    if img.wasted_bytes > 0 {
        let _ = writeln!(
            s,
            "    \"hidden by later layers\" : {}",
            mb(img.wasted_bytes)
        );
    }
    let _ = writeln!(s, "```\n");

    if img.layers.len() > 5 {
        let _ = writeln!(
            s,
            "<details><summary>All {} layers</summary>\n",
            img.layers.len()
        );
        let _ = writeln!(
            s,
            "| # | size | stored | wasted | instruction |\n|---|---|---|---|---|"
        );
        for l in img.layers.iter().take(MAX_ROWS * 3) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                l.index,
                format_size(l.size_bytes),
                format_size(l.compressed_bytes),
                if l.wasted_bytes == 0 {
                    "–".into()
                } else {
                    format_size(l.wasted_bytes)
                },
                code(&shorten(&l.created_by, 100))
            );
        }
        let _ = writeln!(s, "\n</details>\n");
    }
    if !img.top_wasted.is_empty() {
        let _ = writeln!(s, "<details><summary>Largest hidden files</summary>\n\n| file | size | written by | hidden by |\n|---|---|---|---|");
        for w in img.top_wasted.iter().take(MAX_ROWS) {
            let _ = writeln!(
                s,
                "| {} | {} | layer {} | layer {} ({}) |",
                code(&w.path),
                format_size(w.bytes),
                w.layer,
                w.hidden_by,
                w.reason
            );
        }
        let _ = writeln!(s, "\n</details>\n");
    }
    s
}

fn findings(r: &Report) -> String {
    let mut s = format!(
        "#### Findings ({})\n\n| | rule | what | bytes | fix |\n|---|---|---|---|---|\n",
        r.findings.len()
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
            .and_then(|b| b.finding_bytes.get(&f.rule))
            .copied();
        let bytes = if f.bytes == 0 {
            "–".into()
        } else {
            format!("{}{}", format_size(f.bytes), delta(f.bytes, base))
        };
        let _ = writeln!(
            s,
            "| {mark} | {} | {} | {bytes} | {} |",
            code(&f.rule),
            text(&f.message),
            text(&f.fix)
        );
    }
    if r.findings.len() > MAX_ROWS {
        let _ = writeln!(
            s,
            "\n…and {} more in the JSON report.",
            r.findings.len() - MAX_ROWS
        );
    }
    s
}

fn security(r: &Report) -> String {
    let sec = r.security.as_ref().expect("checked by the caller");
    let mut s = String::from("#### Security\n\n");
    let order = ["critical", "high", "medium", "low", "unknown"];
    let has_status = sec.findings.iter().any(|f| f.status.is_some());
    if !sec.findings.is_empty() {
        if has_status {
            let _ = writeln!(s, "| severity | new | existing |\n|---|---|---|");
        } else {
            let _ = writeln!(s, "| severity | findings |\n|---|---|");
        }
    }
    for sev in order {
        let all: Vec<_> = sec
            .findings
            .iter()
            .filter(|f| f.severity.as_str() == sev)
            .collect();
        if all.is_empty() {
            continue;
        }
        if has_status {
            let new = all
                .iter()
                .filter(|f| f.status.as_deref() == Some("new"))
                .count();
            let _ = writeln!(s, "| {sev} | {new} | {} |", all.len() - new);
        } else {
            let _ = writeln!(s, "| {sev} | {} |", all.len());
        }
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
            format!("{} ({} {})", code(&name), f.format, f.findings)
        })
        .collect();
    let _ = writeln!(
        s,
        "\n{} findings from {} · {} fixable · {} suppressed\n",
        sec.findings.len(),
        if sources.is_empty() {
            "no reports".to_string()
        } else {
            sources.join(", ")
        },
        sec.counts.fixable,
        sec.suppressed.len()
    );
    if let Some(inv) = &sec.inventory {
        let top = |m: &std::collections::BTreeMap<String, u64>| {
            let mut v: Vec<(&String, &u64)> = m.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            v.iter()
                .take(6)
                .map(|(k, n)| format!("{} {n}", code(k)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut line = format!("SBOM: {} components", inv.components);
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
            let new = if f.status.as_deref() == Some("new") {
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
                text(&shorten(&f.title, 100))
            );
        }
        let _ = writeln!(s, "\n</details>\n");
    }
    s
}

fn perf(r: &Report) -> String {
    let p = r.perf.as_ref().expect("checked by the caller");
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
    let _ = writeln!(s, "\n```mermaid\nxychart-beta\n    title \"Latency percentiles (ms)\"\n    x-axis [p50, p90, p95, p99, max]\n    bar [{:.1}, {:.1}, {:.1}, {:.1}, {:.1}]\n```", l.p50, l.p90, l.p95, l.p99, l.max);
    if !p.missing_headers.is_empty() {
        let missing: Vec<String> = p
            .missing_headers
            .iter()
            .map(|(h, n)| format!("{} on {n}", code(h)))
            .collect();
        let _ = writeln!(s, "\nmissing headers: {}", missing.join(", "));
    }
    s.push_str(&super::shards::markdown(p));
    s
}

/// Untrusted text in a code span: no Markdown, HTML, links or mentions are interpreted inside
/// one. Newlines fold to spaces and `|` is escaped so a table cell stays one cell.
pub fn code(raw: &str) -> String {
    let one_line: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cell = one_line.replace('|', "\\|");
    let longest_run = cell.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if cell.starts_with('`') || cell.ends_with('`') || cell.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{cell}{pad}{fence}")
}

/// Untrusted prose: HTML and Markdown specials escaped, mentions and autolinks defused.
pub fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    for c in raw.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' => out.push_str("\\|"),
            '\\' | '*' | '_' | '[' | ']' | '`' | '#' | '!' | '~' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            // A zero-width joiner after @ keeps the text readable but stops the mention.
            '@' => out.push_str("@\u{200d}"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    // Bare URLs autolink on GitHub: break the scheme separator.
    out.replace("://", ":\u{200d}//")
        .replace("www.", "www\u{200d}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks_pipes_and_newlines() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x ` y"), "``x ` y``");
        assert_eq!(code("`edge`"), "`` `edge` ``");
        assert_eq!(code("two\nlines"), "`two lines`");
    }

    #[test]
    fn prose_cannot_inject_html_links_or_mentions() {
        let t = text("<img src=x onerror=alert(1)> [click](https://evil) @octocat | **bold**");
        assert!(!t.contains("<img"));
        assert!(!t.contains("](https://"));
        assert!(!t.contains("@octocat"));
        assert!(t.contains("\\|"));
        assert!(!t.contains("**"));
    }

    #[test]
    fn fit_trims_the_longest_trimmable_section() {
        let sections = vec![
            Section::fixed("headline\n".into()),
            Section::trimmable("findings", "x".repeat(5000)),
            Section::trimmable("layers", "y".repeat(500)),
        ];
        let out = fit(sections, 2000);
        assert!(out.len() <= 2000);
        assert!(out.contains("The findings section (5000 characters) was left out"));
        assert!(out.contains(&"y".repeat(500)));
    }
}
