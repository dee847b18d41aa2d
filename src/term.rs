//! Text bound for a terminal: what an image, a scanner report or a file name says is shown,
//! never executed.
//!
//! Image metadata (RepoTags, `created_by`), file names inside layers, scanner titles and ids,
//! and error messages quoting any of them are written by someone else. A raw ESC starts a
//! control sequence (colours, cursor moves, window titles, OSC 8 links, on some terminals
//! clipboard writes), BEL rings, C1 codes act as ESC on 8-bit terminals, CR rewrites the line
//! already printed, and bidi overrides (Trojan Source) make text read in another order than
//! it is. Every such character is printed as a visible escape instead (`\x1b`, `\r`,
//! `\u{202e}`), so the reader sees that something odd was there and what.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal raw: C0 controls (newline and tab included), DEL,
/// C1 controls, and the bidi embedding, override and isolate characters.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `raw` with every unsafe character written as a visible escape; borrowed when it had none.
/// For one field or one line: a newline becomes `\n` too, so untrusted text cannot start a
/// line of its own (a forged `verdict: PASS`).
pub fn escape(raw: &str) -> Cow<'_, str> {
    if !raw.chars().any(is_unsafe) {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len() + 8);
    for c in raw.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// Like [`escape`] but keeps newlines: for text the gate laid out in lines itself (a rendered
/// report), as a last guard after each field was escaped.
pub fn escape_lines(raw: &str) -> Cow<'_, str> {
    if !raw.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len() + 8);
    for c in raw.chars() {
        if c == '\n' {
            out.push(c);
        } else {
            push_escaped(&mut out, c);
        }
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write;
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if is_unsafe(c) && (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if is_unsafe(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_become_visible_escapes() {
        assert_eq!(escape("plain text, ünïcode ✓"), "plain text, ünïcode ✓");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(escape("\x1b[31mred\x07"), "\\x1b[31mred\\x07");
        assert_eq!(escape("a\rb\nc\td"), "a\\rb\\nc\\td");
        assert_eq!(escape("\u{9b}2J \u{7f}"), "\\x9b2J \\x7f");
        assert_eq!(escape("abc\u{202e}fed\u{2066}"), "abc\\u{202e}fed\\u{2066}");
        assert_eq!(
            escape_lines("one\ntwo\x1b]0;t\x07\n"),
            "one\ntwo\\x1b]0;t\\x07\n"
        );
        for c in [
            '\u{202a}', '\u{202d}', '\u{2067}', '\u{2069}', '\u{85}', '\0',
        ] {
            assert!(is_unsafe(c), "{c:?}");
        }
        // Marks that only hint a direction, and joiners, stay: they cannot reorder text.
        for c in ['\u{200e}', '\u{200d}', '\u{2070}', 'é'] {
            assert!(!is_unsafe(c), "{c:?}");
        }
    }
}
