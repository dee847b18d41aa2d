//! Where and how a Report is written: `--format`, `--output`, `--baseline`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use lambda_gate::report::{self, Report};

#[derive(Args, Debug)]
pub struct OutputArgs {
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// Also write the JSON report to this file.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also write the Markdown (the PR comment) to this file.
    #[arg(long, value_name = "FILE")]
    pub markdown_output: Option<PathBuf>,

    /// Also write SARIF 2.1.0 of the gate's findings to this file (for code scanning).
    #[arg(long, value_name = "FILE")]
    pub sarif_output: Option<PathBuf>,

    /// Also write the HTML report to this file: one self-contained page (treemap, layers,
    /// findings, security, perf) that fetches nothing.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Also write JUnit XML to this file, for CI test views: a testcase per check and per
    /// error/warning finding.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// The Dockerfile SARIF results point at.
    #[arg(long, value_name = "PATH", default_value = "Dockerfile")]
    pub dockerfile: String,

    /// The JSON report of the base branch, to compare against.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Markdown,
    Sarif,
}

impl OutputArgs {
    pub fn load_baseline(&self) -> Result<Option<Report>> {
        let Some(path) = &self.baseline else {
            return Ok(None);
        };
        report::json::read(path, "the baseline report").map(Some)
    }

    /// Writes the report to stdout in the chosen format, and the JSON to `--output`.
    pub fn emit(&self, report: &Report) -> Result<()> {
        let files = [
            (&self.output, report::json::render(report)),
            (&self.markdown_output, report::markdown::render(report)),
            (
                &self.sarif_output,
                report::sarif::render(report, &self.dockerfile),
            ),
            (&self.html, report::html::render(report)),
            (&self.junit, report::junit::render(report)),
        ];
        for (path, body) in files {
            if let Some(path) = path {
                std::fs::write(path, body)
                    .with_context(|| format!("{}: cannot write the report", path.display()))?;
            }
        }
        let rendered = match self.format {
            OutputFormat::Text => report::text::render(report),
            OutputFormat::Json => report::json::render(report),
            OutputFormat::Markdown => report::markdown::render(report),
            OutputFormat::Sarif => report::sarif::render(report, &self.dockerfile),
        };
        print!("{rendered}");
        Ok(())
    }
}
