//! Step outputs ($GITHUB_OUTPUT) for later steps: verdict, sizes, counts, p95, report path.

use std::io::Write;

use crate::report::{Report, Severity};

pub fn values(report: &Report, report_path: Option<&str>) -> Vec<(&'static str, String)> {
    let mut out = vec![("verdict", report.verdict.as_str().to_string())];
    if let Some(img) = &report.image {
        out.push(("size-bytes", img.size_bytes.to_string()));
        out.push(("compressed-bytes", img.compressed_bytes.to_string()));
        out.push(("wasted-bytes", img.wasted_bytes.to_string()));
    }
    let count = |s: Severity| {
        report
            .findings
            .iter()
            .filter(|f| f.severity == s)
            .count()
            .to_string()
    };
    out.push(("findings-error", count(Severity::Error)));
    out.push(("findings-warning", count(Severity::Warning)));
    out.push(("findings-info", count(Severity::Info)));
    if let Some(sec) = &report.security {
        for sev in ["critical", "high", "medium", "low"] {
            let n = sec.counts.by_severity.get(sev).copied().unwrap_or(0);
            out.push((
                match sev {
                    "critical" => "vulnerabilities-critical",
                    "high" => "vulnerabilities-high",
                    "medium" => "vulnerabilities-medium",
                    _ => "vulnerabilities-low",
                },
                n.to_string(),
            ));
        }
    }
    if let Some(p) = &report.perf {
        out.push(("p95-ms", format!("{:.1}", p.latency_ms.p95)));
    }
    if let Some(p) = report_path {
        out.push(("report", p.to_string()));
    }
    out
}

/// Appends `name<<DELIM` blocks (GitHub's multiline form, safe for any value).
pub fn write(report: &Report, report_path: Option<&str>) -> anyhow::Result<bool> {
    let Some(path) = std::env::var_os("GITHUB_OUTPUT") else {
        return Ok(false);
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    for (k, v) in values(report, report_path) {
        let delim = format!("LAMBDA_GATE_EOF_{}", std::process::id());
        writeln!(f, "{k}<<{delim}\n{v}\n{delim}")?;
    }
    Ok(true)
}
