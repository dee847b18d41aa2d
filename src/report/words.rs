//! Figures as a person reads them, shared by the text and Markdown renderers: counts with
//! their noun ("1 file", "16,161 files"), shares of a whole that never round to a
//! contradiction, and each check's limit and measured value in the check's own terms.

use super::{Check, ImageSummary, Report, Unit};
use crate::model::{CheckName, FixedCheck};
pub use crate::units::{count, number, share};
use crate::units::{format_percent, format_size};

/// "an index (sha256:…) of 1 image + 1 attestation": what the reference resolved to when it
/// was an index, not an image manifest (the findings say what Lambda makes of it).
pub fn index_line(img: &ImageSummary) -> Option<String> {
    use crate::model::EntryKind;
    let ix = img.index.as_ref()?;
    let mut parts = Vec::new();
    for (kind, one, many) in [
        (EntryKind::Image, "image", "images"),
        (EntryKind::Attestation, "attestation", "attestations"),
        (EntryKind::Index, "nested index", "nested indexes"),
        (EntryKind::Other, "other manifest", "other manifests"),
    ] {
        let n = ix.entries.iter().filter(|e| e.kind == kind).count() as u64;
        if n > 0 {
            parts.push(count(n, one, many));
        }
    }
    Some(format!(
        "an index ({}) of {}",
        ix.digest.as_deref().unwrap_or("index.json"),
        parts.join(" + ")
    ))
}

/// "701.5 MB visible (99.6%) · 3.0 MB hidden by later layers (0.4%)": what the image really
/// holds, from the overlay's own accounting. dive's efficiency score misses files removed
/// with their directory, so it is never the lead figure.
pub fn visible_and_hidden(img: &ImageSummary) -> (String, String) {
    let whole = img.final_bytes + img.wasted_bytes;
    (
        format!(
            "{} visible ({})",
            format_size(img.final_bytes),
            share(img.final_bytes, whole)
        ),
        format!(
            "{} hidden by later layers ({})",
            format_size(img.wasted_bytes),
            share(img.wasted_bytes, whole)
        ),
    )
}

/// dive's score, labelled as dive's wherever it is shown.
pub fn dive_efficiency(img: &ImageSummary) -> String {
    format!("dive's efficiency score {}", format_percent(img.efficiency))
}

/// A check's limit and measured value, in its unit and its own terms: header checks read
/// "missing in 0 of 40 responses", the efficiency check says whose score it holds.
pub fn check_figures(c: &Check, report: &Report) -> (String, String) {
    let limit = show_value(&c.limit, c.unit);
    let actual = show_value(&c.actual, c.unit);
    if matches!(c.name, CheckName::PerfHeader(_)) {
        let missing = c.actual.as_u64().unwrap_or(0);
        let allowed = c.limit.as_u64().unwrap_or(0);
        let limit = if allowed == 0 {
            "none missing".to_string()
        } else {
            format!("at most {allowed} missing")
        };
        let actual = match report.perf.as_ref().map(|p| p.requests) {
            Some(n) => format!(
                "missing in {} of {}",
                number(missing),
                count(n, "response", "responses")
            ),
            None => format!("missing in {}", count(missing, "response", "responses")),
        };
        return (limit, actual);
    }
    if c.name == CheckName::Fixed(FixedCheck::MinEfficiency) {
        return (limit, format!("{actual} (dive's score)"));
    }
    (limit, actual)
}

/// "a, b, c", or `none` for an empty list: a count's parts, the reports read.
pub fn listed(items: &[String], none: &str) -> String {
    if items.is_empty() {
        none.to_string()
    } else {
        items.join(", ")
    }
}

/// A finding's fix without its opening "in layer 4 `…`: " when the message already names
/// that layer and command: the renderers show both side by side.
pub fn fix_after<'a>(message: &str, fix: &'a str) -> &'a str {
    let Some(rest) = fix.strip_prefix("in layer ") else {
        return fix;
    };
    // The longest "layer N `…`" the message also holds (the quote may contain "`: " itself).
    let mut best = None;
    for (i, _) in rest.match_indices("`: ") {
        let quoted = &fix[3..3 + "layer ".len() + i + 1];
        if message.contains(quoted) {
            best = Some(3 + "layer ".len() + i + 3);
        }
    }
    best.map_or(fix, |at| &fix[at..])
}

/// A check value as a person reads it, in the check's unit.
pub fn show_value(v: &serde_json::Value, unit: Option<Unit>) -> String {
    match (v, unit) {
        (serde_json::Value::Number(n), Some(Unit::Bytes)) => {
            n.as_u64().map(format_size).unwrap_or_else(|| n.to_string())
        }
        (serde_json::Value::Number(n), Some(Unit::Ratio)) => n
            .as_f64()
            .map(format_percent)
            .unwrap_or_else(|| n.to_string()),
        (serde_json::Value::Number(n), Some(Unit::Ms)) => format!("{} ms", n),
        (serde_json::Value::Number(n), Some(Unit::Percent)) => format!("{}%", n),
        (serde_json::Value::String(s), _) => s.clone(),
        (other, _) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(count(1, "file", "files"), "1 file");
        assert_eq!(count(0, "file", "files"), "0 files");
        assert_eq!(count(16161, "file", "files"), "16,161 files");
        assert_eq!(number(1_234_567), "1,234,567");
        assert_eq!(number(999), "999");
    }

    #[test]
    fn shares_never_round_to_none_or_all() {
        assert_eq!(share(0, 10), "0%");
        assert_eq!(share(10, 10), "100%");
        assert_eq!(share(1, 3), "33.3%");
        assert_eq!(share(1, 100_000), "<0.1%");
        assert_eq!(share(99_999, 100_000), ">99.9%");
        assert_eq!(share(5, 0), "0%");
    }

    #[test]
    fn a_fix_does_not_repeat_the_layer_its_message_names() {
        let m = "layer 7 `pip wheel -w /w` left 57.5 kB in ~/.cache/pip (2 files)";
        assert_eq!(
            fix_after(m, "in layer 7 `pip wheel -w /w`: add `--no-cache-dir`"),
            "add `--no-cache-dir`"
        );
        assert_eq!(
            fix_after(m, "in layer 6 `pip x`: add `--no-cache-dir`"),
            "in layer 6 `pip x`: add `--no-cache-dir`"
        );
        let tricky = "layer 1 `echo a`: b` left 1 B";
        assert_eq!(fix_after(tricky, "in layer 1 `echo a`: b`: do x"), "do x");
        assert_eq!(
            fix_after(m, "use a multi-stage build"),
            "use a multi-stage build"
        );
    }
}
