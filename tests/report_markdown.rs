//! The PR comment for a real run, checked in as a snapshot a reviewer can read
//! (insta: tests/snapshots/report_markdown__*.snap); `cargo insta review` takes a change.

mod support;

use support::{fixtures, gate};

#[test]
fn dive_test_image_with_trivy_and_grype() {
    let r = fixtures().join("reports");
    let img = support::image("dive-test-docker-image.tar");
    let out = gate(&[
        "check",
        img.to_str().unwrap(),
        "--max-wasted",
        "10kB",
        "--trivy",
        r.join("trivy-local/planted-secrets.json").to_str().unwrap(),
        "--grype",
        r.join("grype/grype-image.json").to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.len() < 65_536);
    insta::assert_snapshot!("dive-test-trivy-grype", md);
}

/// The bundled function's naive image (caches, a toolchain, waste), Trivy's secret scan of it,
/// and a perf run under the Lambda Runtime Interface Emulator: `gate check
/// build/function/naive.tar --policy function/gate.toml --trivy … --perf-report …` as
/// tests/e2e_pipeline.rs runs it, kept in tests/data; its snapshot is in tests/report_snapshots.rs.
#[test]
fn function_naive_image_with_trivy_sbom_and_perf() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/function-naive-report.json");
    let report = lambda_gate::report::json::read(&path, "the report").unwrap();
    let md = lambda_gate::report::markdown::render(&report);
    assert!(md.starts_with("### ❌ lambda-gate: **FAIL**"));
    for rule in ["pip-cache", "apt-lists", "build-toolchain", "layer-waste"] {
        assert!(md.contains(&format!("`{rule}`")), "{rule}");
    }
    assert!(md.contains("#### Performance") && md.contains("| 40 | 100.0% |"));
}

/// The comment as GitHub shows it: rendered by comrak (a port of cmark-gfm, GitHub's own
/// renderer) with GFM's extensions, raw HTML passed through as GitHub passes `<details>`.
fn github_html(md: &str) -> String {
    let mut o = comrak::Options::default();
    o.extension.table = true;
    o.extension.autolink = true;
    o.extension.strikethrough = true;
    o.extension.tasklist = true;
    o.render.r#unsafe = true;
    comrak::markdown_to_html(md, &o)
}

/// `html` with every `<code>…</code>` element removed.
fn without_code(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("<code>") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find("</code>").expect("closed code element");
        rest = &rest[i + end + "</code>".len()..];
    }
    out.push_str(rest);
    out
}

/// The text nodes of `html` (everything outside tags), entities left as written.
fn text_nodes(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The names of the HTML elements in `html`, as opened.
fn elements(html: &str) -> std::collections::BTreeSet<String> {
    html.split('<')
        .skip(1)
        .filter(|t| !t.starts_with('/') && !t.starts_with('!'))
        .map(|t| {
            t.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .collect()
}

/// Table rows (`<tr>`) that are not inside a `<details>` element: what a reviewer scrolls.
fn rows_outside_details(html: &str) -> usize {
    let mut depth = 0usize;
    let mut rows = 0;
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        if rest.starts_with("<details") {
            depth += 1;
        } else if rest.starts_with("</details") {
            depth = depth.saturating_sub(1);
        } else if rest.starts_with("<tr>") && depth == 0 {
            rows += 1;
        }
        rest = &rest[1..];
    }
    rows
}

/// "1 files", "1 errors" and the like in `text` (not "1651 files").
fn one_with_a_plural(text: &str) -> Option<String> {
    for noun in [
        "errors",
        "warnings",
        "files",
        "layers",
        "checks",
        "findings",
        "components",
    ] {
        let needle = format!("1 {noun}");
        for (i, _) in text.match_indices(&needle) {
            let before = text[..i].chars().next_back();
            if !before.is_some_and(|c| c.is_ascii_digit() || c == ',' || c == '.') {
                return Some(text[i.saturating_sub(40)..i + needle.len()].to_string());
            }
        }
    }
    None
}

fn naive_report() -> lambda_gate::report::Report {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/function-naive-report.json");
    lambda_gate::report::json::read(&path, "the report").unwrap()
}

/// The naive function's real comment, rendered as GitHub renders it and read as a reviewer
/// would: code is code, what failed comes first, nothing is said about a baseline that was
/// not given, and the image part fits on a screen.
#[test]
fn the_naive_comment_as_github_renders_it() {
    let report = naive_report();
    let html = github_html(&lambda_gate::report::markdown::render(&report));

    // Code spans are code: no backtick is left over as text.
    let prose = text_nodes(&without_code(&html));
    assert!(
        !prose.contains('`'),
        "literal backticks outside <code>:\n{prose}"
    );
    assert!(html.contains("<code>build-toolchain</code>"), "{html}");

    // Failing checks first; the ones that pass folded into one <details>.
    let status = |mark: &str| -> Vec<usize> {
        html.match_indices(&format!("<td>{mark}</td>"))
            .map(|(i, _)| i)
            .collect()
    };
    let (fail, pass) = (status("❌ fail"), status("✅ pass"));
    let failing = report
        .checks
        .iter()
        .filter(|c| c.status == lambda_gate::report::Status::Fail)
        .count();
    let passing = report
        .checks
        .iter()
        .filter(|c| c.status == lambda_gate::report::Status::Pass)
        .count();
    assert_eq!((fail.len(), pass.len()), (failing, passing), "{html}");
    assert!(failing > 0 && passing > 0);
    assert!(
        fail.iter().max() < pass.iter().min(),
        "a passing check before a failing one"
    );
    let folded = html[..pass[0]]
        .rfind("<details>")
        .expect("passing checks in <details>");
    assert!(folded > *fail.iter().max().unwrap());
    assert!(
        html.contains(&format!("<summary>✅ {passing} checks pass</summary>")),
        "{html}"
    );
    // Header checks say what they count.
    assert!(html.contains("missing in 0 of 40 responses"), "{html}");
    assert_eq!(one_with_a_plural(&prose), None, "{html}");

    // No baseline, so no column or figure compares with one.
    assert!(!html.contains("vs base") && !html.contains("±0"), "{html}");

    // Efficiency leads with the visible share; dive's score is labelled as dive's.
    let img = report.image.as_ref().unwrap();
    let visible = img.final_bytes as f64 * 100.0 / (img.final_bytes + img.wasted_bytes) as f64;
    let dive = format!("{:.1}%", img.efficiency * 100.0);
    assert!(
        html.contains(&format!("visible</strong> ({visible:.1}%)")),
        "{visible:.1}% visible: {html}"
    );
    // dive's score appears only labelled as dive's.
    let labelled = html
        .matches(&format!("dive's efficiency score {dive}"))
        .count()
        + html.matches(&format!("{dive} (dive's score)")).count();
    assert_eq!(html.matches(dive.as_str()).count(), labelled, "{html}");

    // The image part (no security, no perf) in under 60 table rows a reviewer scrolls past.
    let mut image_only = report.clone();
    image_only.security = None;
    image_only.perf = None;
    image_only.checks.retain(|c| {
        !c.name.to_string().starts_with("perf-") && !c.name.to_string().starts_with("security-")
    });
    let html = github_html(&lambda_gate::report::markdown::render(&image_only));
    let rows = rows_outside_details(&html);
    let before_first = html[..html.find("<details>").unwrap()]
        .matches("<tr>")
        .count();
    eprintln!("table rows outside <details>: {rows}; above the first <details>: {before_first}");
    assert!(rows < 60, "{rows} rows outside <details>:\n{html}");
}

/// With a baseline the deltas appear, in every table that has them, one cell per column.
#[test]
fn a_baseline_brings_the_vs_base_columns() {
    let report = naive_report();
    let mut base = report.clone();
    let img = base.image.as_mut().unwrap();
    img.size_bytes -= 12_000_000;
    img.wasted_bytes -= 1_000_000;
    img.layers[4].size_bytes -= 12_000_000;
    base.checks[1].actual = (report.image.as_ref().unwrap().size_bytes - 12_000_000).into();
    let mut with_base = report.clone();
    with_base.baseline = Some(lambda_gate::report::Baseline::from_report(
        "base.json",
        &base,
    ));
    let html = github_html(&lambda_gate::report::markdown::render(&with_base));
    assert!(html.contains("<th>vs base</th>"), "{html}");
    assert!(html.contains("+12.0 MB"), "{html}");
    // Each row of each table has as many cells as its header.
    for table in html.split("<table>").skip(1) {
        let table = &table[..table.find("</table>").unwrap()];
        let header = table.matches("<th>").count();
        for row in table.split("<tr>").skip(2) {
            assert_eq!(row.matches("<td>").count(), header, "{table}");
        }
    }
}

#[test]
fn a_hostile_image_cannot_break_the_comment() {
    // Build a report whose untrusted strings try every trick, and render it.
    let mut report: serde_json::Value = {
        let img = support::image("ggcr-test_image_1.tar");
        let out = gate(&["check", img.to_str().unwrap(), "--format", "json"]);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let evil = "x | y\n<script>alert(1)</script> @octocat [link](https://evil.example) ``` ![img](https://t)";
    report["image"]["layers"][0]["created_by"] = evil.into();
    report["image"]["top_wasted"] = serde_json::json!([{"path": evil, "bytes": 5, "layer": 0, "hidden_by": 0, "reason": "removed"}]);
    report["security"] = serde_json::json!({"findings": [{"id": evil, "source": ["trivy"], "severity": "high", "package": evil, "installed": "1", "fixed": "", "title": evil}], "counts": {"by_severity": {"high": 1}, "by_source": {"trivy": 1}, "fixable": 0, "unfixable": 1}, "sources": [{"path": evil, "format": evil, "findings": 1}]});
    // Messages mark code with backticks: a hostile instruction inside one, an unclosed span,
    // and raw HTML around them.
    report["findings"] = serde_json::json!([{
        "rule": "layer-waste", "severity": "warning", "bytes": 5, "paths": [],
        "message": format!("layer 0 `{evil}` hides `` ` `` <b>bold</b> `unclosed"),
        "fix": format!("in layer 0 `{evil}`: <img src=x onerror=alert(1)> do `it`"),
    }]);
    report["checks"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": evil, "limit": evil, "actual": evil, "status": "fail", "detail": evil}));
    report["notes"] = serde_json::json!([evil]);
    report["image"]["reference"] = evil.into();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.json");
    std::fs::write(&p, report.to_string()).unwrap();
    // Render through the real binary: `gate comment` would post exactly this Markdown.
    let lib_md = {
        let r: lambda_gate::report::Report = serde_json::from_value(report).unwrap();
        lambda_gate::report::markdown::render(&r)
    };
    // Inside code spans nothing is interpreted; outside them nothing hostile may remain.
    let outside: String = lib_md
        .lines()
        .map(outside_code)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!outside.contains("<script>"), "{outside}");
    assert!(!outside.contains("@octocat"));
    assert!(!outside.contains("](https://"));
    assert!(!outside.contains("![img]"));
    for line in lib_md.lines().filter(|l| l.starts_with('|')) {
        // Every table row keeps its column count: escaped pipes are not separators.
        let cells = line.replace("\\|", "").matches('|').count();
        assert!(cells >= 3, "{line}");
    }
    let table_rows: Vec<&str> = lib_md.lines().filter(|l| l.contains("x \\| y")).collect();
    assert!(!table_rows.is_empty());

    // As GitHub renders it: only the elements the gate writes itself, no link, no image, and
    // the hostile string whole inside one code element.
    let html = github_html(&lib_md);
    let allowed = [
        "h3",
        "h4",
        "p",
        "strong",
        "code",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "details",
        "summary",
        "sub",
        "pre",
        "blockquote",
    ];
    for e in elements(&html) {
        assert!(allowed.contains(&e.as_str()), "live <{e}> in\n{html}");
    }
    assert!(
        html.contains("<code>x | y &lt;script&gt;alert(1)&lt;/script&gt; @octocat"),
        "{html}"
    );
}

/// The line with its code spans removed (CommonMark: a run of n backticks opens a span that
/// the next run of exactly n backticks closes).
fn outside_code(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '`' {
            let start = i;
            while i < chars.len() && chars[i] == '`' {
                i += 1;
            }
            let n = i - start;
            // find the closing run of exactly n
            let mut j = i;
            let mut closed = None;
            while j < chars.len() {
                if chars[j] == '`' {
                    let s = j;
                    while j < chars.len() && chars[j] == '`' {
                        j += 1;
                    }
                    if j - s == n {
                        closed = Some(j);
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            match closed {
                Some(end) => i = end,
                None => out.extend(&chars[start..i]),
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}
