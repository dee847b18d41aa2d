//! The history file (`gate history append`, `--history`): JSON Lines, one per main build.
//!
//! The file lives on a branch anyone with push rights to main writes to, and grows forever;
//! so it is read from its end, a bounded number of bytes for the lines asked for, and a line
//! that is not one (a merge gone wrong, a hand edit) is skipped with a note, never fatal.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{anyhow, Context, Result};

use crate::model::history::{History, HistoryEntry};
use crate::model::Report;

/// A line longer than this is not one `gate history append` wrote (about 400 bytes).
pub const MAX_LINE_BYTES: u64 = 4096;

/// The lines the trend draws by default: a month of daily builds.
pub const DEFAULT_LAST: u16 = 30;

/// The figures of `report` worth a trend.
pub fn entry(report: &Report, commit: &str, time: &str) -> HistoryEntry {
    let img = report.image.as_ref();
    let perf = report.perf.as_ref();
    HistoryEntry {
        commit: commit.to_string(),
        time: time.to_string(),
        size_bytes: img.map(|i| i.size_bytes),
        compressed_bytes: img.map(|i| i.compressed_bytes),
        packages: (!report.packages.is_empty()).then_some(report.packages.len() as u64),
        vulnerabilities: report.security.as_ref().map(|s| s.counts.by_severity),
        p95_ms: perf.map(|p| p.latency_ms.p95),
        init_ms: perf.and_then(|p| p.init_ms.as_ref()).map(|i| i.avg),
        cost_per_million_usd: perf.and_then(|p| p.cost_per_million_usd),
    }
}

/// Appends `entry` as one line. A file whose last line was cut short (no final newline) gets
/// one first, so the new line is never glued to the broken one.
pub fn append(path: &Path, entry: &HistoryEntry) -> Result<()> {
    if path.exists() {
        regular(path)?;
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
        .with_context(|| format!("{}: cannot open the history file", path.display()))?;
    let len = file
        .metadata()
        .with_context(|| format!("{}: cannot read the history file", path.display()))?
        .len();
    let mut line = String::new();
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1))
            .and_then(|_| file.read_exact(&mut last))
            .with_context(|| format!("{}: cannot read the history file", path.display()))?;
        if last[0] != b'\n' {
            line.push('\n');
        }
    }
    line.push_str(&serde_json::to_string(entry)?);
    line.push('\n');
    file.write_all(line.as_bytes())
        .with_context(|| format!("{}: cannot append to the history file", path.display()))
}

/// A FIFO would block the open, a device never end: only a plain file is a history file.
fn regular(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("{}: cannot read the history file", path.display()))?;
    if !meta.is_file() {
        return Err(anyhow!(
            "{}: the history file is not a regular file",
            path.display()
        ));
    }
    Ok(())
}

/// The last `last` well-formed lines of the file, oldest first, and a note per kind of line
/// skipped. Reads at most `(last + 1) × MAX_LINE_BYTES` bytes from the end.
pub fn read(path: &Path, last: usize) -> Result<(History, Vec<String>)> {
    regular(path)?;
    let mut file = std::fs::File::open(path)
        .with_context(|| format!("{}: cannot read the history file", path.display()))?;
    let len = file
        .metadata()
        .with_context(|| format!("{}: cannot read the history file", path.display()))?
        .len();
    let budget = (last as u64 + 1).saturating_mul(MAX_LINE_BYTES);
    let start = len.saturating_sub(budget);
    file.seek(SeekFrom::Start(start))
        .with_context(|| format!("{}: cannot read the history file", path.display()))?;
    let mut bytes = Vec::new();
    file.take(budget)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{}: cannot read the history file", path.display()))?;
    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    if start > 0 && !lines.is_empty() {
        // Began mid-line: the first piece is the tail of a line before the budget.
        lines.remove(0);
    }
    let (mut long, mut malformed, mut first_error) = (0u64, 0u64, None);
    let mut entries = Vec::new();
    for line in lines.iter().rev() {
        if entries.len() == last {
            break;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if line.len() as u64 > MAX_LINE_BYTES {
            long += 1;
            continue;
        }
        match serde_json::from_slice::<HistoryEntry>(line) {
            Ok(e) => entries.push(e),
            Err(e) => {
                malformed += 1;
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    entries.reverse();
    let name = path.display();
    let mut notes = Vec::new();
    if malformed > 0 {
        notes.push(format!(
            "{name}: skipped {malformed} history line(s) that are not history entries ({})",
            first_error.unwrap_or_default()
        ));
    }
    if long > 0 {
        notes.push(format!(
            "{name}: skipped {long} history line(s) over {MAX_LINE_BYTES} bytes"
        ));
    }
    if len > 0 && entries.is_empty() && notes.is_empty() {
        return Err(anyhow!("{name}: the history file holds no lines"));
    }
    Ok((
        History {
            source: path.display().to_string(),
            entries,
        },
        notes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(i: u64) -> HistoryEntry {
        HistoryEntry {
            commit: format!("c{i}"),
            time: format!("2026-11-{:02}T00:00:00Z", i + 1),
            size_bytes: Some(100_000_000 + i * 1_000_000),
            p95_ms: Some(50.0 + i as f64),
            ..HistoryEntry::default()
        }
    }

    #[test]
    fn a_directory_or_a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(dir.path(), 30).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let err = read(&fifo, 30).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        assert!(append(&fifo, &line(0)).is_err());
    }

    #[test]
    fn append_then_read_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.jsonl");
        for i in 0..3 {
            append(&path, &line(i)).unwrap();
        }
        let (h, notes) = read(&path, 30).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(h.entries, vec![line(0), line(1), line(2)]);
    }

    #[test]
    fn reads_only_the_last_lines_from_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.jsonl");
        // A large head the reader must not need: 2 MB of junk before the good lines.
        let mut junk = "x".repeat(2_000_000);
        junk.push('\n');
        std::fs::write(&path, junk).unwrap();
        for i in 0..50 {
            append(&path, &line(i)).unwrap();
        }
        let (h, notes) = read(&path, 5).unwrap();
        assert_eq!(h.entries, (45..50).map(line).collect::<Vec<_>>());
        // The junk line lies beyond the bytes read: no note about it.
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn malformed_and_long_lines_are_skipped_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.jsonl");
        append(&path, &line(0)).unwrap();
        // Invented by hand: what a botched merge leaves, and a line cut short (no newline).
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"<<<<<<< HEAD\n").unwrap();
        f.write_all(format!("{{\"commit\":\"{}\"}}\n", "a".repeat(5000)).as_bytes())
            .unwrap();
        f.write_all(b"{\"commit\":\"cut").unwrap();
        drop(f);
        append(&path, &line(1)).unwrap();
        let (h, notes) = read(&path, 30).unwrap();
        assert_eq!(h.entries, vec![line(0), line(1)]);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("skipped 2 history line(s)"), "{notes:?}");
        assert!(notes[1].contains("over 4096 bytes"), "{notes:?}");
    }
}
