//! The rules' findings, each with its paths and its fix.

use maud::{html, Markup};

use super::super::{Finding, Report, Severity};
use crate::image::history::shorten;
use crate::units::format_size;

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Error => "fail",
        Severity::Warning => "warn",
        Severity::Info => "info",
    }
}

pub(super) fn section(r: &Report) -> Markup {
    if r.findings.is_empty() {
        return html! {};
    }
    html! {
        section #findings {
            h2 { "Findings (" (r.findings.len()) ")" }
            @for f in &r.findings { (finding(f)) }
        }
    }
}

fn finding(f: &Finding) -> Markup {
    html! {
        article.finding.(severity_class(f.severity)) data-rule=(f.rule) data-search {
            h3 {
                span.badge.(severity_class(f.severity)) { (f.severity.as_str()) }
                " " code { (f.rule) }
                @if f.bytes > 0 { " · " (format_size(f.bytes)) }
                @if let Some(l) = f.layer { " · layer #" (l) }
            }
            p.message { (f.message) }
            @if let Some(c) = &f.created_by { p.meta { "Instruction: " code.wrap { (shorten(c, 300)) } } }
            @if !f.paths.is_empty() {
                ul.paths { @for p in &f.paths { li { code { (p) } } } }
            }
            p.fix { strong { "Fix: " } (f.fix) }
            @if !f.references.is_empty() {
                p.meta { "See also: " @for (i, x) in f.references.iter().enumerate() {
                    @if i > 0 { ", " } code { (x) } } }
            }
        }
    }
}
