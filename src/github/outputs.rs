//! Step outputs ($GITHUB_OUTPUT) for later steps: verdict, sizes, counts, p95, report path.

use std::io::Write;

use crate::model::{Report, Severity};

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
        use crate::model::security::Severity as Vuln;
        for (sev, name) in [
            (Vuln::Critical, "vulnerabilities-critical"),
            (Vuln::High, "vulnerabilities-high"),
            (Vuln::Medium, "vulnerabilities-medium"),
            (Vuln::Low, "vulnerabilities-low"),
        ] {
            out.push((name, sec.counts.by_severity.get(sev).to_string()));
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

/// Appends `name<<DELIMITER` blocks (GitHub's multiline form, safe for any value). The runner
/// ends a value at the first line equal to its delimiter, so a value that could hold the
/// delimiter could set other outputs (a crafted `--output` path setting `verdict`): each
/// block gets a fresh random delimiter, drawn again in the (astronomically unlikely) case
/// that the value holds it — as the runner's own toolkit, @actions/core, does.
pub fn write(report: &Report, report_path: Option<&str>) -> anyhow::Result<bool> {
    append(&values(report, report_path))
}

/// Appends these outputs (outside a workflow, where $GITHUB_OUTPUT is unset, nothing):
/// for outputs that are not in the Report, such as the SBOM's path.
pub fn append(pairs: &[(&str, String)]) -> anyhow::Result<bool> {
    let Some(path) = std::env::var_os("GITHUB_OUTPUT") else {
        return Ok(false);
    };
    let mut text = String::new();
    for (k, v) in pairs {
        text.push_str(&block(k, v, random_delimiter)?);
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    Ok(true)
}

/// One `name<<DELIMITER` block, with a delimiter from `draw` that the value does not hold.
fn block(
    name: &str,
    value: &str,
    mut draw: impl FnMut() -> anyhow::Result<String>,
) -> anyhow::Result<String> {
    for _ in 0..100 {
        let delim = draw()?;
        if !value.contains(&delim) && !name.contains(&delim) {
            return Ok(format!("{name}<<{delim}\n{value}\n{delim}\n"));
        }
    }
    anyhow::bail!("output {name}: no delimiter found that its value does not contain")
}

/// `ghadelimiter_` and 128 random bits, the form @actions/core writes.
fn random_delimiter() -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| anyhow::anyhow!("$GITHUB_OUTPUT: no random delimiter: {e}"))?;
    Ok(format!("ghadelimiter_{}", hex::encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_holding_the_delimiter_gets_another() {
        let mut drawn = vec!["ghadelimiter_b".to_string(), "ghadelimiter_a".to_string()];
        let b = block("report", "x\nghadelimiter_a\nverdict<<E\npass\nE", || {
            Ok(drawn.pop().unwrap())
        })
        .unwrap();
        assert_eq!(
            b,
            "report<<ghadelimiter_b\nx\nghadelimiter_a\nverdict<<E\npass\nE\nghadelimiter_b\n"
        );
    }

    #[test]
    fn delimiters_are_random() {
        let a = random_delimiter().unwrap();
        let b = random_delimiter().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), "ghadelimiter_".len() + 32);
    }
}
