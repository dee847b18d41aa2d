//! `rpmdb.sqlite`: table `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`, one header blob per
//! row. Read with SQLite itself (rusqlite, bundled) from memory: SQLite is built to survive
//! corrupt files, and nothing is written to disk.

use anyhow::{Context, Result};
use rusqlite::{Connection, OpenFlags};

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
    conn.deserialize_read_exact("main", &db[..], len, true)
        .context("not an SQLite database")?;
    conn.query_row("PRAGMA schema_version", [], |r| r.get::<_, i64>(0))
        .context("not an SQLite database")?;
    let mut stmt = conn
        .prepare("SELECT blob FROM Packages ORDER BY hnum")
        .context("no Packages table")?;
    let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r.context("reading the Packages table")?);
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
}
