//! What one family of `gate check` adds to the Report's lists: findings, checks and notes,
//! each in the order the family found them.
//!
//! The families (budgets, deployed rules, package policy, security, perf) write here rather
//! than into a `&mut Report`: each sees its context read-only, and the pipeline
//! (`check::run`) appends every sink in one defined order, so the order of the lists is the
//! pipeline's and not that of the calls a caller happened to make.

use super::{Check, Finding, Report};

#[derive(Debug, Default)]
pub struct Sink {
    pub findings: Vec<Finding>,
    pub checks: Vec<Check>,
    pub notes: Vec<String>,
}

impl Sink {
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Appends another sink's lists after this one's.
    pub fn append(&mut self, other: Sink) {
        self.findings.extend(other.findings);
        self.checks.extend(other.checks);
        self.notes.extend(other.notes);
    }
}

impl Report {
    /// Appends what a family found to the report's lists.
    pub fn absorb(&mut self, sink: Sink) {
        self.findings.extend(sink.findings);
        self.checks.extend(sink.checks);
        self.notes.extend(sink.notes);
    }
}
