//! The JSON report, out and back in: the Report as schema `lambda-gate/report/v1`, fields in
//! model order; and the reader every command that takes an earlier report (a baseline, perf
//! shards, `gate comment`, `--perf-report`) shares.

use std::io::Read;
use std::path::Path;

use anyhow::{anyhow, Context, Result};

use super::Report;

/// A report is kilobytes; anything past this is not one, and is not read into memory.
const MAX_REPORT_BYTES: u64 = 64 << 20;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("a Report always serializes");
    s.push('\n');
    s
}

/// Reads a report `gate` wrote; `what` names its role in the error ("the baseline report").
pub fn read(path: &Path, what: &str) -> Result<Report> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("{}: cannot read {what}", path.display()))?;
    let mut text = Vec::new();
    file.take(MAX_REPORT_BYTES + 1)
        .read_to_end(&mut text)
        .with_context(|| format!("{}: cannot read {what}", path.display()))?;
    if text.len() as u64 > MAX_REPORT_BYTES {
        return Err(anyhow!(
            "{}: {what} is over {} MB: not a lambda-gate report",
            path.display(),
            MAX_REPORT_BYTES >> 20
        ));
    }
    serde_json::from_slice(&text).map_err(|e| {
        anyhow!(
            "{}: {what} is not a lambda-gate JSON report: {e}",
            path.display()
        )
    })
}
