//! Workflow-command annotations (`::error`/`::warning`) for failed checks and deny findings,
//! so they show in the run's summary and on the PR. Capped: a wall of annotations helps no one.

use crate::model::{Report, Severity, Status};

pub const MAX: usize = 10;

/// Workflow-command escaping: `%`, CR and LF in messages; also `:` and `,` in properties.
pub fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn lines(report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for c in report.checks.iter().filter(|c| c.status != Status::Pass) {
        let kind = if c.status == Status::Fail {
            "error"
        } else {
            "warning"
        };
        let msg = c
            .detail
            .clone()
            .unwrap_or_else(|| format!("{} is {} (limit {})", c.name, c.actual, c.limit));
        out.push(format!(
            "::{kind} title={}::{}",
            property(&format!("lambda-gate {}", c.name)),
            data(&msg)
        ));
    }
    for f in report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
    {
        out.push(format!(
            "::error title={}::{}",
            property(&format!("lambda-gate {}", f.rule)),
            data(&format!("{} Fix: {}", f.message, f.fix))
        ));
    }
    let total = out.len();
    out.truncate(MAX);
    if total > MAX {
        out.push(format!(
            "::warning title=lambda-gate::{} more problems in the report",
            total - MAX
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_and_percent_cannot_start_a_new_command() {
        assert_eq!(data("a\n::error::x 100%"), "a%0A::error::x 100%25");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
