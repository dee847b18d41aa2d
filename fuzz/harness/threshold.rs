//! k6-style thresholds (`p95 < 800ms`) as a user types them in a flag or gate.toml.

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = lambda_gate::perf::threshold::Threshold::parse(text);
}
