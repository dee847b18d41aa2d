//! Every check, with its limit, what was measured, and the base's value.

use maud::{html, Markup};

use super::super::words::show_value;
use super::super::Report;

pub(super) fn section(r: &Report) -> Markup {
    if r.checks.is_empty() {
        return html! {};
    }
    let base = r.baseline.as_ref().map(|b| &b.checks);
    html! {
        section #checks {
            h2 { "Checks" }
            table {
                thead { tr { th { "" } th { "check" } th { "limit" } th { "actual" }
                    @if base.is_some() { th { "base" } } th { "detail" } } }
                tbody {
                    @for c in &r.checks {
                        tr.check.(c.status.as_str()) data-search {
                            td { span.badge.(c.status.as_str()) { (c.status.as_str()) } }
                            td { code { (c.name) } }
                            td { (show_value(&c.limit, c.unit)) }
                            td { (show_value(&c.actual, c.unit)) }
                            @if let Some(b) = base {
                                td { @if let Some(v) = b.get(&c.name.to_string()) { (show_value(v, c.unit)) } }
                            }
                            td { (c.detail.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    }
}
