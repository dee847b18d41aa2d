//! GitHub: where pull-request users look. The sticky comment (updated in place), the job
//! summary, step outputs and annotations — all from the finished Report.

pub mod annotations;
pub mod api;
pub mod comment;
pub mod context;
pub mod outputs;
pub mod retry;

/// Appends the Markdown report to the job summary ($GITHUB_STEP_SUMMARY), when there is one.
pub fn append_summary(markdown: &str) -> anyhow::Result<bool> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
        return Ok(false);
    };
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    writeln!(f, "{markdown}")?;
    Ok(true)
}
