//! What a response must show to count: a success status, the cold-start header, the required
//! headers. Shared by every target (URL and Invoke mode), so it sits below both.

use std::collections::BTreeSet;

use super::stats::Sample;

#[derive(Debug, Clone)]
pub struct Checks {
    /// Status codes that count as success (default 2xx). oha counts 5xx as success: we do not.
    pub success: BTreeSet<u16>,
    /// The header the function sets on a cold start (value "true").
    pub cold_header: String,
    pub required_headers: Vec<String>,
}

impl Default for Checks {
    fn default() -> Self {
        Checks {
            success: (200..300).collect(),
            cold_header: "x-cold-start".into(),
            required_headers: Vec::new(),
        }
    }
}

impl Checks {
    /// Parses `200-299,304` style lists.
    pub fn parse_statuses(text: &str) -> anyhow::Result<BTreeSet<u16>> {
        let mut out = BTreeSet::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || {
                anyhow::anyhow!(
                    "success statuses {text:?}: {part:?} is not a status or a range like 200-299"
                )
            };
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b): (u16, u16) = (
                        a.trim().parse().map_err(|_| bad())?,
                        b.trim().parse().map_err(|_| bad())?,
                    );
                    if a > b || b > 599 {
                        return Err(bad());
                    }
                    out.extend(a..=b);
                }
                None => {
                    out.insert(part.parse().map_err(|_| bad())?);
                }
            }
        }
        Ok(out)
    }

    /// Cold start and required headers; `get` looks a response header up (borrowed values on
    /// the hot path, no allocation per request).
    pub fn record_headers<V: AsRef<str>>(&self, s: &mut Sample, get: impl Fn(&str) -> Option<V>) {
        s.cold |=
            get(&self.cold_header).is_some_and(|v| v.as_ref().trim().eq_ignore_ascii_case("true"));
        for h in &self.required_headers {
            if get(h).is_none() {
                s.missing_headers.push(h.clone());
            }
        }
    }
}
