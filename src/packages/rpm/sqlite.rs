//! `rpmdb.sqlite`: table `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`, one header blob per
//! row. Read with SQLite itself (rusqlite, bundled) from memory: SQLite is built to survive
//! corrupt files, and nothing is written to disk.
//!
//! But a database file is a program as much as data: `Packages` could be a view over a
//! recursive query (20 million rows from a few kB), a generated column could build a blob of
//! any size. So only a real table is read (`sqlite_master.type = 'table'`, with a root page: not
//! a view, not a virtual table), the schema's functions are untrusted (`trusted_schema` off),
//! SQLite's own limits are set to the file's size, a progress handler stops a query that runs
//! longer than the file could need, and the rows and their blob bytes together may not exceed
//! the file: a real table stores every byte it returns.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{bail, ensure, Context, Result};
use rusqlite::limits::Limit;
use rusqlite::{Connection, OpenFlags};

/// Virtual-machine steps a query may take per byte of the file, on top of `BASE_STEPS`: a real
/// table costs a few dozen steps per row, and every row takes bytes of the file.
const STEPS_PER_BYTE: u64 = 16;
const BASE_STEPS: u64 = 10_000_000;
/// How often (in steps) SQLite calls the progress handler.
const CHECK_EVERY: i32 = 10_000;

pub fn blobs(data: &[u8]) -> Result<Vec<Vec<u8>>> {
    let mut db = data.to_vec();
    // rpm leaves its database in WAL mode (file format bytes 18 and 19 = 2); an in-memory
    // database cannot open a WAL database, and the image holds no WAL worth replaying (rpm
    // checkpoints on close). Mark it a rollback-journal database, as it then is.
    if db.len() >= 100 && db.starts_with(b"SQLite format 3\0") {
        db[18] = 1;
        db[19] = 1;
    }
    let mut conn = Connection::open_with_flags(
        ":memory:",
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let len = db.len();
    let cap = i32::try_from(len.max(1 << 20)).unwrap_or(i32::MAX);
    for (limit, value) in [
        (Limit::SQLITE_LIMIT_LENGTH, cap),
        (Limit::SQLITE_LIMIT_SQL_LENGTH, cap),
        (Limit::SQLITE_LIMIT_EXPR_DEPTH, 100),
        (Limit::SQLITE_LIMIT_COMPOUND_SELECT, 10),
        (Limit::SQLITE_LIMIT_ATTACHED, 0),
        (Limit::SQLITE_LIMIT_TRIGGER_DEPTH, 1),
        (Limit::SQLITE_LIMIT_WORKER_THREADS, 0),
    ] {
        conn.set_limit(limit, value)?;
    }
    let budget = BASE_STEPS + STEPS_PER_BYTE * len as u64;
    let steps = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&steps);
    conn.progress_handler(
        CHECK_EVERY,
        Some(move || {
            counted.fetch_add(CHECK_EVERY as u64, Ordering::Relaxed) + CHECK_EVERY as u64 > budget
        }),
    )?;
    let over = |e: rusqlite::Error| {
        if steps.load(Ordering::Relaxed) > budget {
            anyhow::anyhow!(
                "a query ran past {budget} steps, more than a {len}-byte database needs"
            )
        } else {
            anyhow::Error::new(e)
        }
    };
    conn.deserialize_read_exact("main", &db[..], len, true)
        .context("not an SQLite database")?;
    conn.pragma_update(None, "trusted_schema", "OFF")?;
    conn.query_row("PRAGMA schema_version", [], |r| r.get::<_, i64>(0))
        .map_err(over)
        .context("not an SQLite database")?;
    let kind: Option<(String, i64)> = conn
        .query_row(
            "SELECT type, rootpage FROM main.sqlite_master WHERE name = 'Packages' COLLATE NOCASE",
            [],
            |r| Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0))),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(over(e)),
        })?;
    match kind {
        None => bail!("no Packages table"),
        Some((t, root)) if t == "table" && root > 0 => {}
        Some((t, _)) => bail!("Packages is a {t}, not a table (only a real table is read)"),
    }
    let mut stmt = conn
        .prepare("SELECT blob FROM main.Packages ORDER BY hnum")
        .map_err(over)
        .context("no Packages table")?;
    let mut rows = stmt.query([]).map_err(over)?;
    let mut out = Vec::new();
    let mut total = 0usize;
    while let Some(row) = rows
        .next()
        .map_err(over)
        .context("reading the Packages table")?
    {
        let blob: Vec<u8> = row.get(0).context("reading the Packages table")?;
        total += blob.len() + 1;
        ensure!(
            total <= len,
            "the Packages table returns more bytes than the {len}-byte file holds"
        );
        out.push(blob);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_blobs_from_an_in_memory_copy() {
        let src = Connection::open_in_memory().unwrap();
        src.execute_batch(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);
             INSERT INTO Packages (blob) VALUES (x'0102'), (x'03');",
        )
        .unwrap();
        let bytes = src.serialize("main").unwrap().to_vec();
        assert_eq!(blobs(&bytes).unwrap(), vec![vec![1, 2], vec![3]]);
        assert!(blobs(b"not a database at all, not at all").is_err());
        assert!(blobs(&bytes[..bytes.len() / 2]).is_err() || bytes.len() <= 8192);
    }

    fn db(sql: &str) -> Vec<u8> {
        let src = Connection::open_in_memory().unwrap();
        src.execute_batch(sql).unwrap();
        src.serialize("main").unwrap().to_vec()
    }

    /// A few kB whose `Packages` is a view of 20 million rows took 2 GB before; it is refused
    /// now without running the view.
    #[test]
    fn a_view_named_packages_is_refused() {
        let bytes = db("CREATE VIEW Packages AS WITH RECURSIVE n(hnum) AS (SELECT 1 UNION ALL SELECT hnum + 1 FROM n WHERE hnum < 20000000) SELECT hnum, zeroblob(100) AS blob FROM n;");
        assert!(bytes.len() < 16 << 10);
        let err = blobs(&bytes).unwrap_err().to_string();
        assert!(err.contains("Packages is a view"), "{err}");
    }

    /// A real table whose `blob` is a generated column: each row computes a blob larger than
    /// the file. SQLite's length limit (the file's size) stops it.
    #[test]
    fn a_generated_blob_larger_than_the_file_is_refused() {
        let bytes = db("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, n INTEGER, blob BLOB AS (zeroblob(n)) VIRTUAL);
             INSERT INTO Packages (n) VALUES (100000000), (100000000);");
        let err = format!("{:#}", blobs(&bytes).unwrap_err());
        assert!(
            err.contains("too big") || err.contains("more bytes"),
            "{err}"
        );
    }

    /// Rows of a real table whose blobs together exceed the file (a generated column within
    /// the length limit): refused once past the file's bytes.
    #[test]
    fn rows_returning_more_bytes_than_the_file_are_refused() {
        let bytes = db("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, n INTEGER, blob BLOB AS (zeroblob(n)) VIRTUAL);
             WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 2000) INSERT INTO Packages (n) SELECT 4000 FROM k;");
        let err = format!("{:#}", blobs(&bytes).unwrap_err());
        assert!(err.contains("more bytes than"), "{err}");
    }
}
