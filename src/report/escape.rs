//! The one way a string from the JSON lines reaches the page. Everything in those lines can
//! come from an attacker (file names, excerpts of the files, user agents, URLs), so no caller
//! builds markup from them by hand: text and attribute values both go through [`html`].

use std::fmt::Write as _;

/// Escapes `s` for HTML text and for quoted attribute values alike (`"` and `'` are escaped
/// too, so the same output is safe in either). Control characters would vanish or reflow the
/// text, and bidirectional overrides can make `gpj.php` read as `php.jpg`; both are shown as
/// visible codes instead, so what the analyst reads is what the file or log holds.
pub(crate) fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_invisible_format(c) => {
                let _ = write!(out, "[U+{:04X}]", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Characters that change how text around them is shown without being seen: bidirectional
/// embeddings, overrides, isolates and marks, zero-width joiners and spaces, the BOM.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::html;

    #[test]
    fn markup_is_inert_in_text_and_attributes() {
        assert_eq!(
            html(r#""><img src=x onerror='alert(1)'>&"#),
            "&quot;&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;&amp;"
        );
    }

    #[test]
    fn controls_and_bidi_overrides_become_visible() {
        assert_eq!(html("a\u{1b}[31mb"), "a\\x1b[31mb");
        assert_eq!(html("x\u{202E}gpj.php"), "x[U+202E]gpj.php");
        assert_eq!(html("a\u{85}b\u{7f}"), "a\\x85b\\x7f");
        assert_eq!(html("tab\tand\nnewline é"), "tab\tand\nnewline é");
    }
}
