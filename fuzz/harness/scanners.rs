//! Each scanner format's parser on arbitrary bytes; the first byte picks the parser, so one
//! corpus (seeded with every real report in the fixtures) serves them all.

use lambda_gate::security::{cargo_audit, cyclonedx, grype, sarif, trivy, ParseOptions};

type Parser =
    fn(&mut dyn std::io::Read, &ParseOptions) -> anyhow::Result<lambda_gate::security::Parsed>;

const PARSERS: [Parser; 5] = [
    trivy::parse,
    grype::parse,
    cargo_audit::parse,
    cyclonedx::parse,
    sarif::parse,
];

pub fn run(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let parse = PARSERS[which as usize % PARSERS.len()];
    let _ = parse(&mut &body[..], &ParseOptions::default());
}
