//! GitHub: the sticky PR comment, job summary, step outputs and annotations.
//!
//! (Stub: the reports/GitHub issue fills this module.)
