//! Making attacker-controlled bytes safe to print for people.
//!
//! File names and contents can carry terminal escape sequences (`ESC ]` can rewrite the
//! window title or worse), carriage returns that overwrite what was printed, and bidi
//! controls that reorder it. None of these reach the terminal raw: they are shown as
//! visible escapes, and invalid UTF-8 bytes as `\xNN`.

/// A printable rendering of `bytes`.
pub fn for_terminal(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// A printable rendering of a path.
pub fn path_for_terminal(path: &std::path::Path) -> String {
    for_terminal(&crate::common::bytes::path_bytes(path))
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
        // C1 controls (U+0080..U+009F) include the 8-bit CSI; bidi embeddings, overrides and
        // isolates reorder text; zero-width and line/paragraph separators hide or break it.
        '\u{80}'..='\u{9f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_control_byte_survives() {
        let hostile = b"a\x1b]0;pwned\x07b\r\nc\xc2\x9b31m\xe2\x80\xaed\xff";
        let shown = for_terminal(hostile);
        assert!(shown.chars().all(|c| !c.is_control()), "{shown:?}");
        assert_eq!(
            shown,
            "a\\x1b]0;pwned\\x07b\\r\\nc\\u{9b}31m\\u{202e}d\\xff"
        );
    }

    #[test]
    fn ordinary_text_is_unchanged() {
        assert_eq!(
            for_terminal("C:\\inetpub\\wwwroot\\é.aspx".as_bytes()),
            "C:\\inetpub\\wwwroot\\é.aspx"
        );
    }
}
