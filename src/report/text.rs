//! The terminal renderer: what a person reads after `gate check` on a laptop or in a CI log.
//! Plain text that fits 100 columns.
//!
//! Every string an image, a scanner or a remote answer wrote goes through `term::escape`
//! (control characters and bidi overrides shown as escapes, never interpreted), and the whole
//! report once more before it is returned.
//!
//! The report is the sections in `SECTIONS`, top to bottom, separated by a blank line; a new
//! section is one function `fn(&Report) -> Option<String>` and one line there.

use std::fmt::Write;

use super::words::{
    check_figures, count, dive_efficiency, fix_after, index_line, listed, visible_and_hidden,
};
use super::{Report, Status};
use crate::image::history::{cut, shorten};
use crate::term::{escape, escape_lines};
use crate::units::{format_percent, format_size};

/// Width the tables are laid out for.
pub const WIDTH: usize = 100;

type SectionFn = fn(&Report) -> Option<String>;

/// The report, top to bottom: a new section plugs in as one line here.
const SECTIONS: &[SectionFn] = &[
    image,
    deployment,
    layers,
    hidden_files,
    |r| Some(super::changes::text(r)).filter(|s| !s.trim().is_empty()),
    super::policy_section::text,
    findings,
    security,
    perf,
    checks,
    notes,
    verdict,
];

pub fn render(report: &Report) -> String {
    let parts: Vec<String> = SECTIONS.iter().filter_map(|s| s(report)).collect();
    escape_lines(&parts.join("\n")).into_owned()
}

fn image(r: &Report) -> Option<String> {
    let img = r.image.as_ref()?;
    let mut out = String::new();
    let name = img.reference.as_deref().unwrap_or(&img.source);
    let _ = writeln!(out, "image    {}", escape(name));
    let _ = writeln!(
        out,
        "         {} · {} · {} · {}",
        img.format.as_str(),
        escape(&img.platform),
        count(img.layers.len() as u64, "layer", "layers"),
        count(img.file_count, "file", "files")
    );
    if let Some(line) = index_line(img) {
        let _ = writeln!(out, "         {}", escape(&line));
    }
    let _ = writeln!(
        out,
        "size     {} uncompressed, {} compressed",
        format_size(img.size_bytes),
        format_size(img.compressed_bytes),
    );
    let (visible, hidden) = visible_and_hidden(img);
    let _ = writeln!(
        out,
        "         {visible} · {hidden} · {}",
        dive_efficiency(img)
    );
    Some(out)
}

fn layers(r: &Report) -> Option<String> {
    let img = r.image.as_ref()?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>3}  {:>9}  {:>9}  {:>9}  instruction",
        "#", "size", "stored", "hidden"
    );
    for l in &img.layers {
        let instr = if l.created_by.is_empty() {
            crate::image::scan::short(&l.digest)
        } else {
            shorten(&l.created_by, WIDTH - 39)
        };
        let _ = writeln!(
            out,
            "{:>3}  {:>9}  {:>9}  {:>9}  {}",
            l.index,
            format_size(l.size_bytes),
            format_size(l.compressed_bytes),
            if l.wasted_bytes == 0 {
                "-".to_string()
            } else {
                format_size(l.wasted_bytes)
            },
            escape(&instr)
        );
    }
    Some(out)
}

fn hidden_files(r: &Report) -> Option<String> {
    let img = r.image.as_ref()?;
    if img.top_wasted.is_empty() {
        return None;
    }
    let mut out = String::from("largest hidden files\n");
    for w in img.top_wasted.iter().take(5) {
        let _ = writeln!(
            out,
            "  {:>9}  {}  (layer {}, {} by layer {})",
            format_size(w.bytes),
            escape(&cut(&w.path, 50)),
            w.layer,
            escape(w.reason.as_str()),
            w.hidden_by
        );
    }
    Some(out)
}

fn findings(r: &Report) -> Option<String> {
    if r.findings.is_empty() {
        return None;
    }
    let mut out = String::from("findings\n");
    // Errors first, then the largest.
    let mut sorted: Vec<&super::Finding> = r.findings.iter().collect();
    sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.bytes.cmp(&a.bytes)));
    for f in sorted {
        let _ = writeln!(
            out,
            "  {:<7} {:<24} {}",
            f.severity.as_str(),
            escape(f.rule.id()),
            escape(&f.message)
        );
        if !f.fix.is_empty() {
            let _ = writeln!(
                out,
                "          fix: {}",
                escape(fix_after(&f.message, &f.fix))
            );
        }
    }
    Some(out)
}

/// How many security findings the terminal lists (the JSON has them all).
const SECURITY_ROWS: usize = 15;

fn security(r: &Report) -> Option<String> {
    let sec = r.security.as_ref()?;
    let mut out = String::new();
    let counts: Vec<String> = sec
        .counts
        .by_severity
        .present()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    let sources: Vec<String> = sec
        .sources
        .iter()
        .map(|s| escape(&s.format).into_owned())
        .collect();
    let _ = writeln!(
        out,
        "security {} ({}) from {} · {} fixable · {} suppressed{}",
        count(sec.findings.len() as u64, "finding", "findings"),
        listed(&counts, "none"),
        listed(&sources, "no reports"),
        sec.counts.fixable,
        sec.suppressed.len(),
        if sec.counts.new > 0 {
            format!(" · {} new", sec.counts.new)
        } else {
            String::new()
        }
    );
    for f in sec.findings.iter().take(SECURITY_ROWS) {
        // Escaped before they are cut, so the columns measure what is printed.
        let pkg = if f.package.is_empty() {
            escape(&f.location).into_owned()
        } else if f.fixed.is_empty() {
            format!("{} {}", escape(&f.package), escape(&f.installed))
        } else {
            format!(
                "{} {} → {}",
                escape(&f.package),
                escape(&f.installed),
                escape(&f.fixed)
            )
        };
        let _ = writeln!(
            out,
            "  {:<8} {:<22} {:<36} {}",
            f.severity.as_str(),
            cut(&escape(&f.id), 22),
            cut(&pkg, 36),
            cut(&escape(&f.title), WIDTH - 72)
        );
    }
    if sec.findings.len() > SECURITY_ROWS {
        let _ = writeln!(
            out,
            "  … {} more in the JSON report",
            sec.findings.len() - SECURITY_ROWS
        );
    }
    Some(out)
}

fn perf(r: &Report) -> Option<String> {
    let p = r.perf.as_ref()?;
    let mut out = String::new();
    let l = &p.latency_ms;
    let _ = writeln!(
        out,
        "perf     {} ({} mode, {} model) · {} in {:.1} s · {:.0} req/s",
        escape(&cut(&p.target, 50)),
        escape(p.mode_name()),
        escape(p.model_name()),
        count(p.requests, "request", "requests"),
        p.duration_s,
        p.rps
    );
    let _ = writeln!(
        out,
        "         latency ms avg {:.1} · p50 {:.1} · p90 {:.1} · p95 {:.1} · p99 {:.1} · max {:.1}",
        l.avg, l.p50, l.p90, l.p95, l.p99, l.max
    );
    let statuses: Vec<String> = p.statuses.iter().map(|(k, v)| format!("{k}×{v}")).collect();
    let errors: Vec<String> = p
        .errors
        .iter()
        .map(|(k, v)| format!("{}×{v}", escape(k)))
        .collect();
    let _ = writeln!(
        out,
        "         success {} · cold starts {} ({}) · statuses {}{}",
        format_percent(p.success_rate),
        p.cold_starts,
        format_percent(p.cold_start_rate),
        if statuses.is_empty() {
            "none".into()
        } else {
            escape(&statuses.join(" ")).into_owned()
        },
        if errors.is_empty() {
            String::new()
        } else {
            format!(" · errors {}", errors.join(" "))
        }
    );
    if let Some(i) = &p.init_ms {
        let _ = writeln!(
            out,
            "         init ms p50 {:.0} · p95 {:.0} · max {:.0}",
            i.p50, i.p95, i.max
        );
    }
    if let (Some(b), Some(m), Some(u)) = (p.billed_avg_ms, p.memory_size_mb, p.max_memory_used_mb) {
        let _ = writeln!(
            out,
            "         billed avg {b:.1} ms · memory {u:.0}/{m:.0} MB · ${:.2} per million invocations",
            p.cost_per_million_usd.unwrap_or(0.0)
        );
    }
    if let Some(h) = &p.right_sizing {
        let _ = writeln!(out, "         {}", escape(h));
    }
    if p.kept_up == Some(false) {
        let _ = writeln!(
            out,
            "         the client fell behind the requested rate: latencies include its lateness"
        );
    }
    out.push_str(&super::perf_compare::text(p));
    out.push_str(&super::shards::text(p));
    Some(out)
}

/// Failed checks first, then warnings, then the ones that pass.
fn checks(r: &Report) -> Option<String> {
    if r.checks.is_empty() {
        return None;
    }
    let mut out = String::from("checks\n");
    // One column for names, as wide as the longest (perf header checks are long).
    let w = r
        .checks
        .iter()
        .map(|c| c.name.to_string().chars().count())
        .max()
        .unwrap_or(0)
        .clamp(18, 34);
    let mut sorted: Vec<&super::Check> = r.checks.iter().collect();
    sorted.sort_by_key(|c| std::cmp::Reverse(c.status));
    for c in sorted {
        let mark = match c.status {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        };
        let (limit, actual) = check_figures(c, r);
        let _ = writeln!(
            out,
            "  {mark}  {:<w$} {} (limit {})",
            escape(&c.name.to_string()),
            escape(&actual),
            escape(&limit)
        );
        if let Some(d) = &c.detail {
            if c.status != Status::Pass {
                let _ = writeln!(out, "        {}", escape(d));
            }
        }
    }
    Some(out)
}

/// The function the report is about: after the deploy (`--function`, `gate perf
/// --function`), as the Lambda API reported it and, with `--function`, the image it runs;
/// before it (`--deployment`), which file each was read from. Their findings and "not
/// checked" notes follow in their own sections.
fn deployment(r: &Report) -> Option<String> {
    let mut out = String::new();
    for (i, f) in r.function.iter().chain(r.more_functions.iter()).enumerate() {
        let q = f
            .qualifier
            .as_deref()
            .map(|q| format!(":{q}"))
            .unwrap_or_default();
        if f.source.is_deployed() {
            let _ = writeln!(
                out,
                "function {}{} version {} ({}, deployed)",
                escape(&f.name),
                escape(&q),
                escape(&f.version),
                f.source.describe()
            );
            // `--function`: the image read, the same GetFunction answer's.
            if let Some(d) = r.deployed.as_ref().filter(|_| i == 0) {
                let _ = writeln!(
                    out,
                    "         runs {} at {}",
                    escape(&d.image_uri),
                    escape(&d.digest)
                );
            }
        } else {
            let _ = writeln!(
                out,
                "function {}{} read from {} ({}, before the deploy)",
                escape(&f.name),
                escape(&q),
                escape(f.file.as_deref().unwrap_or("?")),
                f.source.describe()
            );
        }
        let _ = writeln!(
            out,
            "         {} MB · {} s · {} · tracing {} · reserved {}",
            f.memory_mb,
            f.timeout_s,
            escape(&f.architecture),
            escape(&f.tracing),
            f.reserved_concurrency
                .map_or("none".to_string(), |n| n.to_string())
        );
    }
    (!out.is_empty()).then_some(out)
}

fn notes(r: &Report) -> Option<String> {
    if r.notes.is_empty() {
        return None;
    }
    let mut out = String::new();
    for n in &r.notes {
        let _ = writeln!(out, "note: {}", escape(n));
    }
    Some(out)
}

fn verdict(r: &Report) -> Option<String> {
    Some(format!("verdict: {}\n", r.verdict.as_str().to_uppercase()))
}

#[cfg(test)]
mod tests {
    use crate::model::{ConfigSource, DeployedFunction, DeployedImage, Report};

    /// After the deploy the text report names the function and the image it runs, as the
    /// Markdown and HTML do; before, the file it was read from.
    #[test]
    fn the_deployed_function_is_shown() {
        let r = Report {
            function: Some(DeployedFunction {
                name: "app".into(),
                qualifier: Some("live".into()),
                version: "7".into(),
                memory_mb: 512,
                timeout_s: 10,
                architecture: "arm64".into(),
                tracing: "Active".into(),
                source: ConfigSource::Deployed,
                ..DeployedFunction::default()
            }),
            deployed: Some(DeployedImage {
                function: "app".into(),
                image_uri: "1.dkr.ecr.x/app:v1".into(),
                digest: "sha256:ab".into(),
                ..DeployedImage::default()
            }),
            ..Report::default()
        };
        let text = super::deployment(&r).unwrap();
        assert!(
            text.contains("function app:live version 7 (the Lambda API, deployed)"),
            "{text}"
        );
        assert!(
            text.contains("runs 1.dkr.ecr.x/app:v1 at sha256:ab"),
            "{text}"
        );
        assert!(
            text.contains("512 MB · 10 s · arm64 · tracing Active"),
            "{text}"
        );
    }
}
