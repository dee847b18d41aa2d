//! The text, Markdown and SARIF renderers, each checked against a reviewed snapshot (insta,
//! tests/snapshots/report_snapshots__*.snap) of real reports: the repo's tests/data JSON, as
//! `gate check` wrote it for the bundled function. A renderer change fails here until its
//! snapshot is reviewed (`cargo insta review`, or `INSTA_UPDATE=always` and read the diff).

use std::path::Path;

use lambda_gate::report::{self, Report};

fn report(name: &str) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    report::json::read(&path, "the report").unwrap()
}

fn markdown(r: &Report) -> String {
    report::markdown::render(r)
}

fn sarif(r: &Report) -> String {
    report::sarif::render(r, "function/Dockerfile")
}

/// The naive image with Trivy's secret scan and a perf run under the Runtime Interface
/// Emulator: every section of every renderer has something to say.
#[test]
fn naive_function_with_security_and_perf() {
    let r = report("function-naive-report.json");
    insta::assert_snapshot!("naive-text", report::text::render(&r));
    insta::assert_snapshot!("naive-markdown", markdown(&r));
    insta::assert_snapshot!("naive-sarif", sarif(&r));
}

/// The same image with its package and directory inventory, without scanners or perf.
#[test]
fn naive_function_image_only() {
    let r = report("function-naive-full-report.json");
    insta::assert_snapshot!("naive-full-text", report::text::render(&r));
    insta::assert_snapshot!("naive-full-markdown", markdown(&r));
    insta::assert_snapshot!("naive-full-sarif", sarif(&r));
}

/// SARIF names every rule the findings carry, with the description the rules hand down, and
/// no placeholder help link.
#[test]
fn sarif_rules_carry_their_descriptions() {
    let r = report("function-naive-report.json");
    let doc: serde_json::Value = serde_json::from_str(&sarif(&r)).unwrap();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(!rules.is_empty());
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        let text = rule["shortDescription"]["text"].as_str().unwrap();
        assert_ne!(text, id, "{id} has no description");
        assert!(rule.get("helpUri").is_none(), "{id}");
    }
}
