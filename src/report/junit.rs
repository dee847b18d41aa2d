//! JUnit XML (`--junit`), for the test views of CI systems (GitLab, Jenkins, the JUnit report
//! actions), which read nothing else.
//!
//! One `<testsuite>` per job (image, security, perf); each check and each finding at level
//! error or warning is a `<testcase>`. A failed check or an error finding is a `<failure>`
//! (message, then the detail and the fix); a warning passes with its message and fix in
//! `<system-out>`: the check ran and did not fail, which is not what `<skipped>` means, and
//! the Jenkins schema (junit-4.xsd) gives `<skipped>` no message attribute. The shape follows
//! that schema: every attribute it requires, none it does not know.

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use super::words::show_value;
use super::{Check, Finding, Report, Severity, Status};
use crate::model::{CheckName, Family, FixedCheck, RuleId};

/// The job a check belongs to.
fn suite_of_check(name: &CheckName) -> &'static str {
    match name {
        CheckName::Fixed(FixedCheck::SecurityFailOn | FixedCheck::SecuritySecrets) => "security",
        n if n.is_perf() => "perf",
        _ => "image",
    }
}

/// DESIGN.md: the deployed-function rules come from the perf job, the package policy from
/// the security job; every other rule looks at the image.
fn suite_of_rule(rule: RuleId) -> &'static str {
    match rule.family() {
        Family::Lambda => "perf",
        Family::Packages => "security",
        Family::Image => "image",
    }
}

const SUITES: [&str; 3] = ["image", "security", "perf"];

/// One testcase before it is written.
struct Case {
    name: String,
    classname: String,
    outcome: Outcome,
}

enum Outcome {
    Pass(Option<String>),
    Warn(String),
    Fail { message: String, body: String },
}

fn check_case(c: &Check) -> Case {
    let unit = c.unit;
    let (limit, actual) = (show_value(&c.limit, unit), show_value(&c.actual, unit));
    let summary = format!("{}: {actual} (limit {limit})", c.name);
    let detail = c.detail.clone().unwrap_or_default();
    let body = if detail.is_empty() {
        summary.clone()
    } else {
        format!("{summary}\n{detail}")
    };
    Case {
        name: c.name.to_string(),
        classname: format!("lambda-gate.{}.checks", suite_of_check(&c.name)),
        outcome: match c.status {
            Status::Pass => Outcome::Pass(None),
            Status::Warn => Outcome::Warn(format!("warning: {body}")),
            Status::Fail => Outcome::Fail {
                message: summary,
                body,
            },
        },
    }
}

fn finding_case(f: &Finding) -> Case {
    let mut name = f.rule.id().to_string();
    if let Some(l) = f.layer {
        name.push_str(&format!(" (layer {l})"));
    }
    let mut body = f.message.clone();
    if let Some(c) = &f.created_by {
        body.push_str(&format!("\ninstruction: {c}"));
    }
    for p in &f.paths {
        body.push_str(&format!("\npath: {p}"));
    }
    body.push_str(&format!("\nfix: {}", f.fix));
    Case {
        name,
        classname: format!("lambda-gate.{}.findings", suite_of_rule(f.rule)),
        outcome: match f.severity {
            Severity::Error => Outcome::Fail {
                message: format!("{} Fix: {}", f.message, f.fix),
                body,
            },
            _ => Outcome::Warn(format!("warning: {body}")),
        },
    }
}

/// XML 1.0 cannot carry most control characters even escaped; file names can. They are
/// written as `\xNN`, so the document stays well-formed and the name stays recognisable.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let ok = matches!(c, '\t' | '\n' | '\r')
            || ('\u{20}'..='\u{D7FF}').contains(&c)
            || ('\u{E000}'..='\u{FFFD}').contains(&c)
            || c >= '\u{10000}';
        if ok {
            out.push(c);
        } else {
            out.push_str(&format!("\\x{:02x}", c as u32));
        }
    }
    out
}

/// Attribute values: one line (a parser folds newlines in attributes to spaces anyway).
fn attr(s: &str) -> String {
    clean(s).replace(['\n', '\r', '\t'], " ")
}

pub fn render(report: &Report) -> String {
    let mut cases: Vec<(&str, Case)> = Vec::new();
    for c in &report.checks {
        cases.push((suite_of_check(&c.name), check_case(c)));
    }
    for f in &report.findings {
        if f.severity != Severity::Info {
            cases.push((suite_of_rule(f.rule), finding_case(f)));
        }
    }
    let failures = |cs: &[&Case]| {
        cs.iter()
            .filter(|c| matches!(c.outcome, Outcome::Fail { .. }))
            .count()
    };
    let all: Vec<&Case> = cases.iter().map(|(_, c)| c).collect();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let result: quick_xml::Result<()> = (|| {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.create_element("testsuites")
            .with_attribute(("name", "lambda-gate"))
            .with_attribute(("tests", all.len().to_string().as_str()))
            .with_attribute(("failures", failures(&all).to_string().as_str()))
            .with_attribute(("errors", "0"))
            .with_attribute(("time", "0"))
            .write_inner_content(|w| {
                for (id, suite) in SUITES.iter().enumerate() {
                    let mine: Vec<&Case> = cases
                        .iter()
                        .filter(|(s, _)| s == suite)
                        .map(|(_, c)| c)
                        .collect();
                    w.create_element("testsuite")
                        .with_attribute(("name", *suite))
                        .with_attribute(("tests", mine.len().to_string().as_str()))
                        .with_attribute(("failures", failures(&mine).to_string().as_str()))
                        .with_attribute(("errors", "0"))
                        .with_attribute(("skipped", "0"))
                        .with_attribute(("time", "0"))
                        .with_attribute(("id", id.to_string().as_str()))
                        .with_attribute(("package", "lambda-gate"))
                        .write_inner_content(|w| {
                            for c in &mine {
                                write_case(w, c)?;
                            }
                            Ok(())
                        })?;
                }
                Ok(())
            })?;
        Ok(())
    })();
    result.expect("writing XML to memory cannot fail");
    let mut out = String::from_utf8(w.into_inner()).expect("written from UTF-8 strings");
    out.push('\n');
    out
}

fn write_case<W: std::io::Write>(w: &mut Writer<W>, c: &Case) -> std::io::Result<()> {
    let el = w
        .create_element("testcase")
        .with_attribute(("name", attr(&c.name.to_string()).as_str()))
        .with_attribute(("classname", attr(&c.classname).as_str()))
        .with_attribute(("time", "0"));
    match &c.outcome {
        Outcome::Pass(None) => {
            el.write_empty()?;
        }
        Outcome::Pass(Some(out)) | Outcome::Warn(out) => {
            el.write_inner_content(|w| {
                w.create_element("system-out")
                    .write_text_content(BytesText::new(&clean(out)))?;
                Ok(())
            })?;
        }
        Outcome::Fail { message, body } => {
            el.write_inner_content(|w| {
                w.create_element("failure")
                    .with_attribute(("message", attr(message).as_str()))
                    .with_attribute(("type", "lambda-gate"))
                    .write_text_content(BytesText::new(&clean(body)))?;
                Ok(())
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(clean("a\u{1b}[31mb\u{0}"), "a\\x1b[31mb\\x00");
        assert_eq!(clean("ok\tline\n"), "ok\tline\n");
        assert_eq!(attr("two\nlines"), "two lines");
    }

    #[test]
    fn failed_checks_and_error_findings_fail_warnings_pass_with_output() {
        let r: Report =
            serde_json::from_str(include_str!("../../tests/data/function-naive-report.json"))
                .unwrap();
        let xml = render(&r);
        // 15 checks + 7 findings (all warning or error), 2 checks and 1 finding failed.
        assert!(
            xml.contains(r#"<testsuites name="lambda-gate" tests="22" failures="3""#),
            "{xml}"
        );
        assert_eq!(xml.matches("<failure ").count(), 3);
        assert_eq!(xml.matches("<system-out>warning:").count(), 6);
        assert!(xml.contains("Fix: use a multi-stage build"), "{xml}");
    }
}
