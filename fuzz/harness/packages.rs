//! Every package-database reader on arbitrary bytes: the first byte picks where in a layer the
//! bytes go (an rpmdb in SQLite or Berkeley DB, dpkg's status or a list, apk's database, a
//! RECORD, a package.json), beside fixed companions where the reader needs two files. The
//! invariant is the issue 24 bound: the file lists read are never more than 16 times the
//! input's bytes (counting each path's `String`), plus the 1 MiB every budget starts with.
//! First byte 7: the bytes are an executable (`packages::binary`): cargo-auditable's
//! `.dep-v0` and Go's build info read from it as the layer walk streams it, held to their limits
//! (no panic; what is kept is at most the 8 MiB JSON limit plus the input's own strings) and
//! saying what the whole file says.

use lambda_gate::packages::read_layer;

const STATUS: &[u8] =
    b"Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n";
const METADATA: &[u8] = b"Metadata-Version: 2.1\nName: a\nVersion: 1\n\n";

pub fn run(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    if which % 8 == 7 {
        use lambda_gate::packages::binary;
        let kept = binary::extract(body);
        // Streamed as the layer walk reads it, or read whole: the same record.
        assert_eq!(binary::decode(&kept), Some(binary::record(body)));
        assert!(
            kept.len() <= 2 * (8 << 20) + 8 * body.len() + 4096,
            "{} bytes kept from {} bytes",
            kept.len(),
            body.len()
        );
        return;
    }
    let files: Vec<(&str, &[u8])> = match which % 8 {
        0 => vec![("var/lib/rpm/rpmdb.sqlite", body)],
        1 => vec![("var/lib/rpm/Packages", body)],
        2 => vec![("var/lib/dpkg/status", body)],
        3 => vec![
            ("var/lib/dpkg/status", STATUS),
            ("var/lib/dpkg/info/a.list", body),
        ],
        4 => vec![("lib/apk/db/installed", body)],
        5 => vec![
            (
                "usr/lib/python3/site-packages/a-1.dist-info/METADATA",
                METADATA,
            ),
            ("usr/lib/python3/site-packages/a-1.dist-info/RECORD", body),
        ],
        _ => vec![("node_modules/a/package.json", body)],
    };
    let (found, _notes) = read_layer(&files);
    let listed: usize = found
        .iter()
        .flat_map(|f| &f.files)
        .map(|p| p.len() + std::mem::size_of::<String>())
        .sum();
    let input: usize = files.iter().map(|(_, d)| d.len()).sum();
    assert!(
        listed <= 16 * input + (1 << 20),
        "{listed} bytes of file lists from {input} bytes"
    );
}
