//! Markdown for untrusted strings: the escaping every Markdown section shares.
//!
//! Its own file so the sections that write Markdown (the comment, what changed, the deployed
//! function, the shard table) all lean on it rather than on one another.

/// One line of text with control characters and bidi overrides shown as escapes: what a
/// table cell or a code span can hold. Newlines and tabs fold to spaces.
fn visible_line(raw: &str) -> String {
    let one_line: String = raw
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    crate::term::escape(&one_line).into_owned()
}

/// Untrusted text in a code span: no Markdown, HTML, links or mentions are interpreted inside
/// one. The fence is one backtick longer than the longest run inside (CommonMark), newlines
/// fold to spaces, other control characters and bidi overrides show as escapes, and `|` is
/// escaped so a table cell stays one cell (GFM removes that backslash before the span).
pub fn code(raw: &str) -> String {
    let visible = visible_line(raw);
    let cell = visible.replace('|', "\\|");
    let longest_run = cell.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if cell.starts_with('`') || cell.ends_with('`') || cell.trim().is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{cell}{pad}{fence}")
}

/// Untrusted prose: HTML and Markdown specials escaped, mentions and autolinks defused,
/// control characters and bidi overrides shown as escapes.
pub fn text(raw: &str) -> String {
    let visible = visible_line(raw);
    let mut out = String::with_capacity(visible.len() + 8);
    for c in visible.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' => out.push_str("\\|"),
            // `$` too: GitHub renders `$…$` and `$$…$$` as math (MathJax), so an image's or a
            // scanner's text could otherwise typeset, or hide, what the comment says.
            '\\' | '*' | '_' | '[' | ']' | '`' | '#' | '!' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            // A zero-width joiner after @ keeps the text readable but stops the mention.
            '@' => out.push_str("@\u{200d}"),
            c => out.push(c),
        }
    }
    // Bare URLs autolink on GitHub: break the scheme separator.
    out.replace("://", ":\u{200d}//")
        .replace("www.", "www\u{200d}.")
}

/// Prose whose backtick-quoted parts are code, as the rules write their messages: each code
/// span (a run of n backticks up to the next run of exactly n, as CommonMark reads it) is
/// rendered with [`code`], the rest with [`text`]. A backtick run that closes nothing stays a
/// literal backtick.
pub fn inline(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    let mut plain = String::new();
    let mut rest = raw;
    while let Some(open) = rest.find('`') {
        let run = rest[open..].len() - rest[open..].trim_start_matches('`').len();
        let after = &rest[open + run..];
        match closing(after, run) {
            Some(end) => {
                plain.push_str(&rest[..open]);
                out.push_str(&text(&plain));
                plain.clear();
                let content = &after[..end];
                // CommonMark strips one space each side when both are there.
                let content = match content.strip_prefix(' ').and_then(|c| c.strip_suffix(' ')) {
                    Some(inner) if !content.trim().is_empty() => inner,
                    _ => content,
                };
                out.push_str(&code(content));
                rest = &after[end + run..];
            }
            None => {
                plain.push_str(&rest[..open + run]);
                rest = after;
            }
        }
    }
    plain.push_str(rest);
    out.push_str(&text(&plain));
    out
}

/// Where in `s` a backtick run of exactly `n` starts, if one does.
fn closing(s: &str, n: usize) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let start = i;
            while i < bytes.len() && bytes[i] == b'`' {
                i += 1;
            }
            if i - start == n {
                return Some(start);
            }
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks_pipes_and_newlines() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x ` y"), "``x ` y``");
        assert_eq!(code("`edge`"), "`` `edge` ``");
        assert_eq!(code("two\nlines"), "`two lines`");
        assert_eq!(code("\x1b[2J"), "`\\x1b[2J`");
    }

    #[test]
    fn prose_cannot_inject_html_links_or_mentions() {
        let t = text("<img src=x onerror=alert(1)> [click](https://evil) @octocat | **bold**");
        assert!(!t.contains("<img"));
        assert!(!t.contains("](https://"));
        assert!(!t.contains("@octocat"));
        assert!(t.contains("\\|"));
        assert!(!t.contains("**"));
    }

    /// Issue 24: GitHub typesets `$…$`, `$$…$$` and `` $`…`$ `` as math. Checked with comrak's
    /// `math_dollars`, the same dollar syntax: before, `text` left the dollars alone and comrak
    /// made math of them.
    #[test]
    fn dollars_in_untrusted_text_are_not_math() {
        let mut opts = comrak::Options::default();
        opts.extension.math_dollars = true;
        for raw in [
            "costs $5 and $10",
            "$\\color{red}{FAIL}$",
            "$$\\text{pass}$$",
            "x $`y`$ z",
        ] {
            let md = inline(raw);
            let html = comrak::markdown_to_html(&md, &opts);
            assert!(!html.contains("data-math"), "{raw:?} → {md} → {html}");
            assert!(html.contains('$'), "the dollar still shows: {html}");
        }
    }

    #[test]
    fn quoted_code_in_messages_becomes_code_spans() {
        assert_eq!(
            inline("layer 4 `RUN eval \"$X\"` left 1 B in ~/.cache (2 files)"),
            "layer 4 `RUN eval \"$X\"` left 1 B in \\~/.cache (2 files)"
        );
        assert_eq!(
            inline("add `--no-cache-dir` or *not*"),
            "add `--no-cache-dir` or \\*not\\*"
        );
        // A span that holds a backtick is fenced with two, as the rules quote it.
        assert_eq!(inline("run `` echo `id` `` now"), "run `` echo `id` `` now");
        // An unmatched backtick is text, escaped.
        assert_eq!(inline("it`s <b>"), "it\\`s &lt;b&gt;");
        assert_eq!(inline("a `x|y` b"), "a `x\\|y` b");
    }
}
