//! The Markdown (PR comment) and terminal renderers on a real report whose every free-text
//! string is replaced by fuzzer bytes. What must hold: no control character reaches either
//! output, and the comment, rendered as GitHub renders it (comrak, a port of cmark-gfm, raw
//! HTML passed through), holds no HTML element but the ones the same report with harmless
//! strings gives: text in a code span or escaped is not an element.

use lambda_gate::report::{markdown, text, Report};
use serde_json::Value;

const TEMPLATE: &str = include_str!("../../tests/data/function-naive-report.json");
/// Fields whose values are enums or fixed vocabularies, not text from the image or a scanner.
const KEEP: [&str; 6] = [
    "schema",
    "verdict",
    "severity",
    "status",
    "unit",
    "compression",
];

pub fn run(data: &[u8]) {
    let parts: Vec<String> = data
        .split(|&b| b == 0xff)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    let template: Value = serde_json::from_str(TEMPLATE).expect("template");
    let mut hostile = template.clone();
    let mut next = 0usize;
    replace(&mut hostile, None, &mut |_| {
        let s = parts[next % parts.len()].clone();
        next += 1;
        s
    });
    let mut benign = template;
    replace(&mut benign, None, &mut |_| "x".to_string());
    let (Ok(hostile), Ok(benign)) = (
        serde_json::from_value::<Report>(hostile),
        serde_json::from_value::<Report>(benign),
    ) else {
        return;
    };
    let allowed = tags(&github_html(&markdown::render(&benign)));
    for out in [markdown::render(&hostile), text::render(&hostile)] {
        if let Some(c) = out.chars().find(|&c| is_control(c)) {
            panic!("control character U+{:04X} in the output", c as u32);
        }
    }
    let html = github_html(&markdown::render(&hostile));
    for t in tags(&html) {
        assert!(
            allowed.contains(&t),
            "live HTML <{t}> from a hostile string"
        );
    }
}

fn replace(v: &mut Value, key: Option<&str>, with: &mut dyn FnMut(&str) -> String) {
    match v {
        Value::String(s) if !key.is_some_and(|k| KEEP.contains(&k)) => *s = with(s),
        Value::Array(a) => a.iter_mut().for_each(|x| replace(x, key, with)),
        Value::Object(o) => o.iter_mut().for_each(|(k, x)| replace(x, Some(k), with)),
        _ => {}
    }
}

fn github_html(md: &str) -> String {
    let mut o = comrak::Options::default();
    o.extension.table = true;
    o.extension.autolink = true;
    o.extension.strikethrough = true;
    o.extension.tasklist = true;
    o.render.r#unsafe = true;
    comrak::markdown_to_html(md, &o)
}

/// The names of the elements a HTML reader would see: `<` followed by a letter or `/`.
fn tags(s: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let b = s.as_bytes();
    for (i, _) in s.match_indices('<') {
        let rest = &b[i + 1..];
        let rest = rest.strip_prefix(b"/").unwrap_or(rest);
        let name: String = rest
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|&c| c as char)
            .collect();
        if !name.is_empty() && name.as_bytes()[0].is_ascii_alphabetic() {
            out.insert(name.to_ascii_lowercase());
        }
    }
    out
}

/// C0 but newline and tab, DEL, C1, and the bidirectional overrides and isolates.
fn is_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}
