//! Where and how a Report is written: `--format`, `--output`, `--baseline`.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{anyhow, bail, Result};
use clap::{Args, ValueEnum};

use lambda_gate::image::archive::io_reason;
use lambda_gate::report::{self, Report};

/// The variable the workflow sets to where the uploaded HTML report opens (upload-artifact's
/// `artifact-url`); the PR comment links to it.
pub const HTML_URL_ENV: &str = "GATE_HTML_REPORT_URL";

/// Where the HTML report opens, from [`HTML_URL_ENV`]; `None` when unset, or (with a warning)
/// when it is not a plain http(s) URL the comment can link.
pub fn html_report_url() -> Option<String> {
    let url = std::env::var(HTML_URL_ENV).ok()?;
    if report::html::link_line(&url).is_none() {
        if !url.trim().is_empty() {
            eprintln!("warning: {HTML_URL_ENV} is not an http(s) URL without spaces or brackets: the comment does not link the HTML report");
        }
        return None;
    }
    Some(url)
}

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

    /// main's history (`gate history append`, JSON Lines): its last builds are drawn as a
    /// trend in the comment and the HTML report.
    #[arg(long, value_name = "FILE.jsonl")]
    pub history: Option<PathBuf>,

    /// How many of the history's last lines to draw.
    #[arg(long, value_name = "N", default_value_t = report::history::DEFAULT_LAST,
          value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub history_last: u16,
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

    /// `--history`, and how many of its last lines to draw.
    pub fn history_input(&self) -> Option<(PathBuf, usize)> {
        let path = self.history.clone()?;
        Some((path, usize::from(self.history_last)))
    }

    /// Writes the report to stdout in the chosen format, and the JSON to `--output`.
    ///
    /// All or nothing: each file is written to a temporary file beside it and renamed only
    /// once every file and stdout are written, so a failure (a full disk, a bad path) never
    /// leaves a complete-looking report saying "pass" behind. A reader that closed the pipe
    /// (`gate check … | head`) is not a failure: the rest of the output is dropped quietly
    /// and the exit code is still the verdict's, as ripgrep does.
    pub fn emit(&self, report: &Report) -> Result<()> {
        // Each body is rendered only when asked for and dropped once written: a report of
        // 300,000 findings is 100 MB of JSON.
        let files: [(&Option<PathBuf>, &dyn Fn() -> String); 5] = [
            (&self.output, &|| report::json::render(report)),
            (&self.markdown_output, &|| {
                report::markdown::render_linked(report, html_report_url().as_deref())
            }),
            (&self.sarif_output, &|| {
                report::sarif::render(report, &self.dockerfile)
            }),
            (&self.html, &|| report::html::render(report)),
            (&self.junit, &|| report::junit::render(report)),
        ];
        let mut staged: Vec<Staged> = Vec::new();
        let written = files
            .iter()
            .filter_map(|(path, render)| path.as_ref().map(|p| (p, render)))
            .try_for_each(|(path, render)| {
                staged.push(Staged::write(path, render().as_bytes())?);
                Ok(())
            })
            .and_then(|()| {
                let rendered = match self.format {
                    OutputFormat::Text => report::text::render(report),
                    OutputFormat::Json => report::json::render(report),
                    OutputFormat::Markdown => {
                        report::markdown::render_linked(report, html_report_url().as_deref())
                    }
                    OutputFormat::Sarif => report::sarif::render(report, &self.dockerfile),
                };
                write_stdout(rendered.as_bytes())
            });
        if let Err(e) = written {
            staged.into_iter().for_each(Staged::discard);
            return Err(e);
        }
        let mut done: Vec<PathBuf> = Vec::new();
        let mut rest = staged.into_iter();
        while let Some(s) = rest.next() {
            if let Err(e) = s.commit(&mut done) {
                rest.for_each(Staged::discard);
                for path in done {
                    let _ = std::fs::remove_file(path);
                }
                return Err(e);
            }
        }
        Ok(())
    }
}

/// Writes one more output file (the SBOM) as `emit` writes the reports: in place only once
/// complete, never through a symlink at `path`.
pub fn write_file(path: &Path, body: &[u8]) -> Result<()> {
    Staged::write(path, body)?.commit(&mut Vec::new())
}

/// Stdout, with the two failures a user meets named: a closed pipe is quiet, anything else
/// (`> /dev/full`) is an error that says "stdout".
fn write_stdout(body: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(body).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => bail!("stdout: cannot write the report: {}", io_reason(&e)),
    }
}

/// The first directory of `path`, below the working directory, that is a symbolic link. The
/// working directory is the pull request's checkout, where a committed `reports -> /github/…`
/// would make `-o reports/r.json` land anywhere; directories above it (and absolute paths
/// elsewhere, such as `$RUNNER_TEMP`) are the runner's, and may be links of the system's own.
fn planted_directory_link(path: &Path) -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    let rel = if path.is_absolute() {
        path.strip_prefix(&cwd).ok()?
    } else {
        path
    };
    let mut walked = PathBuf::new();
    for part in rel.parent()?.components() {
        match part {
            std::path::Component::Normal(name) => walked.push(name),
            // Every directory walked so far is a real one (a link would have been refused), so
            // `..` is its parent; past the working directory, what lies there is not the
            // checkout's.
            std::path::Component::ParentDir => {
                if !walked.pop() {
                    return None;
                }
                continue;
            }
            _ => continue,
        }
        if std::fs::symlink_metadata(cwd.join(&walked)).is_ok_and(|m| m.file_type().is_symlink()) {
            return Some(walked);
        }
    }
    None
}

/// One output file, written but not yet in place.
enum Staged {
    /// A temporary file in the target's directory, to be renamed over the target.
    Temp { tmp: PathBuf, target: PathBuf },
    /// A device or pipe (`/dev/stdout`, `/dev/full`, a fifo): written in place, since a
    /// rename would replace the device node itself.
    Direct,
}

impl Staged {
    fn write(path: &Path, body: &[u8]) -> Result<Staged> {
        let fail = |e: io::Error| {
            anyhow!(
                "{}: cannot write the report: {}",
                path.display(),
                io_reason(&e)
            )
        };
        // Never through a symlink: the default paths sit in the pull request's workspace,
        // where a committed link could point the gate (root in the action's container) at
        // `/github/workflow/event.json` or any other mounted file. Race-free as written: the
        // temporary file is created with O_EXCL and renamed over the path, and rename(2)
        // replaces a link that appears meanwhile instead of following it; a device is opened
        // with O_NOFOLLOW. Only /dev's own links (`/dev/stdout`, `/dev/fd/1`) are followed:
        // nobody's workspace puts them there.
        let meta = std::fs::symlink_metadata(path);
        let system_link = path.starts_with("/dev/");
        if meta.as_ref().is_ok_and(|m| m.file_type().is_symlink()) && !system_link {
            bail!(
                "{}: is a symbolic link; the gate does not write through links (one in the workspace could point it at any file): remove it or choose another path",
                path.display()
            );
        }
        if let Some(link) = planted_directory_link(path) {
            bail!(
                "{}: {} is a symbolic link; the gate does not write through links in the working directory (one there could point it at any directory): remove it or choose another path",
                path.display(),
                link.display()
            );
        }
        let target = path.to_path_buf();
        if std::fs::metadata(&target).is_ok_and(|m| !m.is_file()) {
            if std::fs::metadata(&target).is_ok_and(|m| m.is_dir()) {
                bail!(
                    "{}: is a directory; expected a file name for the report",
                    path.display()
                );
            }
            let mut f = OpenOptions::new()
                .write(true)
                .custom_flags(if system_link { 0 } else { libc::O_NOFOLLOW })
                .open(&target)
                .map_err(fail)?;
            f.write_all(body).and_then(|()| f.flush()).map_err(fail)?;
            return Ok(Staged::Direct);
        }
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "report".into());
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let tmp = dir.join(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(fail)?;
        if let Err(e) = f.write_all(body).and_then(|()| f.sync_all()) {
            drop(f);
            let _ = std::fs::remove_file(&tmp);
            return Err(fail(e));
        }
        Ok(Staged::Temp { tmp, target })
    }

    fn commit(self, done: &mut Vec<PathBuf>) -> Result<()> {
        if let Staged::Temp { tmp, target } = self {
            if let Err(e) = std::fs::rename(&tmp, &target) {
                let _ = std::fs::remove_file(&tmp);
                bail!(
                    "{}: cannot write the report: {}",
                    target.display(),
                    io_reason(&e)
                );
            }
            done.push(target);
        }
        Ok(())
    }

    fn discard(self) {
        if let Staged::Temp { tmp, .. } = self {
            let _ = std::fs::remove_file(tmp);
        }
    }
}
