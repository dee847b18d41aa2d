//! The deployment-configuration section of the page: the same table as the PR comment's
//! (`deployed_rows`), after the deploy from the Lambda API, before it from a template, a plan
//! or Terraform HCL, marked as such, with the file and line each finding points at. Every
//! value (a function's name, an ARN, a file name) comes from the PR: maud escapes each.

use maud::{html, Markup};

use super::super::deployed_rows::{functions, rows, Cell, Piece, Status};
use super::super::Report;
use crate::model::DeployedFunction;

pub fn section(r: &Report) -> Markup {
    if r.function.is_none() {
        return html! {};
    }
    html! {
        section #deployment {
            h2 { "Deployment configuration" }
            @for f in functions(r) { (table(r, f)) }
        }
    }
}

fn table(r: &Report, f: &DeployedFunction) -> Markup {
    html! {
        h3 {
            @if f.source.is_deployed() {
                "Deployed function " code { (f.name) @if let Some(q) = &f.qualifier { ":" (q) } }
                " (version " (f.version) ")"
            } @else {
                "Function " code { (f.name) } ": read from "
                code { (f.file.as_deref().unwrap_or("?")) }
                " (" (f.source.describe()) ", before the deploy)"
            }
        }
        // `--function`: the image the function runs, from the same GetFunction answer.
        @if let Some(d) = r.deployed.as_ref().filter(|_| f.source.is_deployed() && r.function.as_ref().is_some_and(|first| std::ptr::eq(first, f))) {
            p.meta { "runs " code { (d.image_uri) } " at " code { (d.digest) } }
        }
        table.deployment {
            thead { tr { th { "check" } th { "configured" } th { "measured" } th { "status" } } }
            tbody {
                @for row in rows(r, f) {
                    tr data-rule=(row.rule) data-search {
                        td { code { (row.rule) } }
                        td { (cell(&row.configured)) }
                        td { (cell(&row.measured)) }
                        td {
                            @match &row.status {
                                Status::Fail(m) => { span.badge.fail { "error" } " " (m) }
                                Status::Warn(m) => { span.badge.warn { "warning" } " " (m) }
                                Status::NotChecked(why) => { span.badge.info { "not checked" } " " (why) }
                                Status::Pass => { span.badge.pass { "pass" } }
                            }
                            @if let Some(at) = row.at {
                                " " span.meta { "at " code.at { (at) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn cell(c: &Cell) -> Markup {
    html! {
        @for p in c {
            @match p {
                Piece::Text(t) => { (t) }
                Piece::Code(c) => { code { (c) } }
            }
        }
    }
}
