//! Adding an ecosystem is the `Ecosystem` variant, its reader, its `READERS` row and its name in
//! the docs (the doc comment on `model::Ecosystem` lists the files): these tests fail when one
//! of them is missing.

use std::collections::BTreeSet;
use std::path::Path;

use lambda_gate::model::Ecosystem;
use lambda_gate::packages::READERS;
use strum::IntoEnumIterator;

fn names() -> BTreeSet<String> {
    Ecosystem::iter().map(|e| e.as_str().to_string()).collect()
}

#[test]
fn every_ecosystem_has_one_reader_registered() {
    let read: Vec<Ecosystem> = READERS.iter().map(|r| r.ecosystem()).collect();
    for e in Ecosystem::iter() {
        assert_eq!(
            read.iter().filter(|r| **r == e).count(),
            1,
            "{e}: one row in packages::READERS"
        );
    }
    assert_eq!(
        read.len(),
        Ecosystem::iter().count(),
        "a reader of no ecosystem"
    );
}

/// The backticked words of the line of `page` that starts with `row`.
fn listed(page: &str, row: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(page)).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(row))
        .unwrap_or_else(|| panic!("{page}: no line starting {row:?}"));
    line.split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| names().contains(*w))
        .map(String::from)
        .collect()
}

#[test]
fn the_docs_list_every_ecosystem() {
    assert_eq!(listed("docs/report-json.md", "| `packages[]`"), names());
    assert_eq!(listed("docs/gate-toml.md", "| `ecosystem`"), names());
}
