//! The terminal renderer: what a person reads after `gate check` on a laptop or in a CI log.
//! Plain text that fits 100 columns.

use std::fmt::Write;

use super::{Report, Status};
use crate::units::{format_percent, format_size};

/// Width the tables are laid out for.
pub const WIDTH: usize = 100;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    if let Some(img) = &report.image {
        let name = img.reference.as_deref().unwrap_or(&img.source);
        let _ = writeln!(out, "image    {name}");
        let _ = writeln!(
            out,
            "         {} · {} · {} layers",
            img.format,
            img.platform,
            img.layers.len()
        );
        let _ = writeln!(
            out,
            "size     {} uncompressed, {} compressed, {} visible",
            format_size(img.size_bytes),
            format_size(img.compressed_bytes),
            format_size(img.final_bytes)
        );
        let _ = writeln!(
            out,
            "waste    {} hidden by later layers · efficiency {} · {} files",
            format_size(img.wasted_bytes),
            format_percent(img.efficiency),
            img.file_count
        );
        out.push('\n');
        let _ = writeln!(
            out,
            "{:>3}  {:>9}  {:>9}  {:>9}  instruction",
            "#", "size", "stored", "wasted"
        );
        for l in &img.layers {
            let instr = if l.created_by.is_empty() {
                super::super::image::scan::short(&l.digest)
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
                instr
            );
        }
        if !img.top_wasted.is_empty() {
            out.push('\n');
            let _ = writeln!(out, "largest hidden files");
            for w in img.top_wasted.iter().take(5) {
                let _ = writeln!(
                    out,
                    "  {:>9}  {}  (layer {}, {} by layer {})",
                    format_size(w.bytes),
                    shorten(&w.path, 50),
                    w.layer,
                    w.reason,
                    w.hidden_by
                );
            }
        }
    }
    out.push_str(&super::changes::text(report));
    if !report.findings.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "findings");
        for f in &report.findings {
            let _ = writeln!(
                out,
                "  {:<7} {:<24} {}",
                f.severity.as_str(),
                f.rule,
                f.message
            );
            if !f.fix.is_empty() {
                let _ = writeln!(out, "          fix: {}", f.fix);
            }
        }
    }
    if let Some(sec) = &report.security {
        security(&mut out, sec);
    }
    if let Some(p) = &report.perf {
        perf(&mut out, p);
    }
    if !report.checks.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "checks");
        // One column for names, as wide as the longest (perf header checks are long).
        let w = report
            .checks
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(0)
            .clamp(18, 34);
        for c in &report.checks {
            let mark = match c.status {
                Status::Pass => "pass",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            let _ = writeln!(
                out,
                "  {mark}  {:<w$} {:>14} (limit {})",
                c.name,
                show_value(&c.actual, c.unit.as_deref()),
                show_value(&c.limit, c.unit.as_deref())
            );
            if let Some(d) = &c.detail {
                if c.status != Status::Pass {
                    let _ = writeln!(out, "        {d}");
                }
            }
        }
    }
    for n in &report.notes {
        let _ = writeln!(out, "note: {n}");
    }
    out.push('\n');
    let _ = writeln!(out, "verdict: {}", report.verdict.as_str().to_uppercase());
    out
}

/// How many security findings the terminal lists (the JSON has them all).
const SECURITY_ROWS: usize = 15;

fn security(out: &mut String, sec: &crate::security::SecurityReport) {
    out.push('\n');
    let order = ["critical", "high", "medium", "low", "unknown"];
    let counts: Vec<String> = order
        .iter()
        .filter_map(|s| sec.counts.by_severity.get(*s).map(|n| format!("{n} {s}")))
        .collect();
    let sources: Vec<String> = sec.sources.iter().map(|s| s.format.clone()).collect();
    let _ = writeln!(
        out,
        "security {} findings ({}) from {} · {} fixable · {} suppressed{}",
        sec.findings.len(),
        if counts.is_empty() {
            "none".into()
        } else {
            counts.join(", ")
        },
        sources.join(", "),
        sec.counts.fixable,
        sec.suppressed.len(),
        if sec.counts.new > 0 {
            format!(" · {} new", sec.counts.new)
        } else {
            String::new()
        }
    );
    for f in sec.findings.iter().take(SECURITY_ROWS) {
        let pkg = if f.package.is_empty() {
            shorten(&f.location, 30)
        } else if f.fixed.is_empty() {
            format!("{} {}", f.package, f.installed)
        } else {
            format!("{} {} → {}", f.package, f.installed, f.fixed)
        };
        let _ = writeln!(
            out,
            "  {:<8} {:<22} {:<36} {}",
            f.severity.as_str(),
            shorten(&f.id, 22),
            shorten(&pkg, 36),
            shorten(&f.title, WIDTH - 72)
        );
    }
    if sec.findings.len() > SECURITY_ROWS {
        let _ = writeln!(
            out,
            "  … {} more in the JSON report",
            sec.findings.len() - SECURITY_ROWS
        );
    }
}

fn perf(out: &mut String, p: &crate::perf::PerfReport) {
    out.push('\n');
    let l = &p.latency_ms;
    let _ = writeln!(
        out,
        "perf     {} ({} mode, {} model) · {} requests in {:.1} s · {:.0} req/s",
        shorten(&p.target, 50),
        p.mode,
        p.model,
        p.requests,
        p.duration_s,
        p.rps
    );
    let _ = writeln!(
        out,
        "         latency ms avg {:.1} · p50 {:.1} · p90 {:.1} · p95 {:.1} · p99 {:.1} · max {:.1}",
        l.avg, l.p50, l.p90, l.p95, l.p99, l.max
    );
    let statuses: Vec<String> = p.statuses.iter().map(|(k, v)| format!("{k}×{v}")).collect();
    let errors: Vec<String> = p.errors.iter().map(|(k, v)| format!("{k}×{v}")).collect();
    let _ = writeln!(
        out,
        "         success {} · cold starts {} ({}) · statuses {}{}",
        format_percent(p.success_rate),
        p.cold_starts,
        format_percent(p.cold_start_rate),
        if statuses.is_empty() {
            "none".into()
        } else {
            statuses.join(" ")
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
        let _ = writeln!(out, "         {h}");
    }
    if p.kept_up == Some(false) {
        let _ = writeln!(
            out,
            "         the client fell behind the requested rate: latencies include its lateness"
        );
    }
    out.push_str(&super::shards::text(p));
}

/// A check value as a person reads it, in the check's unit.
pub fn show_value(v: &serde_json::Value, unit: Option<&str>) -> String {
    match (v, unit) {
        (serde_json::Value::Number(n), Some("bytes")) => {
            n.as_u64().map(format_size).unwrap_or_else(|| n.to_string())
        }
        (serde_json::Value::Number(n), Some("ratio")) => n
            .as_f64()
            .map(format_percent)
            .unwrap_or_else(|| n.to_string()),
        (serde_json::Value::Number(n), Some("ms")) => format!("{} ms", n),
        (serde_json::Value::Number(n), Some("percent")) => format!("{}%", n),
        (serde_json::Value::String(s), _) => s.clone(),
        (other, _) => other.to_string(),
    }
}

/// A Dockerfile instruction from the config's `created_by`, shortened for a table cell:
/// `/bin/sh -c #(nop) COPY file:… in /app` → `COPY file:… in /app`, `/bin/sh -c pip …` →
/// `RUN pip …`, whitespace folded, cut at `max` characters with an ellipsis.
pub fn shorten(created_by: &str, max: usize) -> String {
    let mut s = created_by.trim();
    // BuildKit records build args as `|2 A=1 B=2 /bin/sh -c …`.
    if let Some(rest) = s.strip_prefix('|') {
        if let Some(i) = rest.find("/bin/sh -c") {
            s = &rest[i..];
        }
    }
    let s = if let Some(rest) = s.strip_prefix("/bin/sh -c #(nop)") {
        rest.trim().to_string()
    } else if let Some(rest) = s.strip_prefix("/bin/sh -c") {
        format!("RUN {}", rest.trim())
    } else {
        s.to_string()
    };
    let s = s.trim_end_matches("# buildkit").trim();
    let folded: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= max {
        folded
    } else {
        let cut: String = folded.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_read_like_the_dockerfile() {
        assert_eq!(
            shorten("/bin/sh -c #(nop) ADD file:abc in / ", 80),
            "ADD file:abc in /"
        );
        assert_eq!(
            shorten("/bin/sh -c pip install  -r\trequirements.txt", 80),
            "RUN pip install -r requirements.txt"
        );
        assert_eq!(
            shorten("RUN /bin/sh -c apt-get update # buildkit", 80),
            "RUN /bin/sh -c apt-get update"
        );
        assert_eq!(shorten("|1 PY=3.11 /bin/sh -c make", 80), "RUN make");
        assert_eq!(shorten("COPY . /var/task", 8), "COPY . …");
    }
}
