//! The VBScript / VB.NET lexer: `'` and `Rem` comments, `""` inside strings, `&H41` numbers,
//! `[name]` identifiers and ` _` line continuations.

use crate::canon::java::tok::{Kind, Src, Tok, Ws, lit_tok, punct};

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// A line continuation at `b[i] == '_'`: only blanks up to the line break. Returns the index
/// past the line break.
fn continuation(b: &[u8], i: usize) -> Option<usize> {
    if i > 0 && !matches!(b[i - 1], b' ' | b'\t' | b')' | b'"' | b'&' | b',' | b'+') {
        return None;
    }
    let mut j = i + 1;
    while j < b.len() && matches!(b[j], b' ' | b'\t' | b'\r') {
        j += 1;
    }
    (j < b.len() && b[j] == b'\n').then_some(j + 1)
}

pub(crate) fn lex(src: &Src) -> (Vec<Tok>, Ws) {
    let b = src.bytes;
    let n = b.len();
    let mut toks: Vec<Tok> = Vec::new();
    let mut ws = Ws::None;
    let mut i = 0;
    while i < n {
        let c = b[i];
        let next = b.get(i + 1).copied().unwrap_or(0);
        match c {
            b'\n' => {
                ws = Ws::Line;
                i += 1;
            }
            b' ' | b'\t' | b'\r' | 0 | 0x0b | 0x0c => {
                ws = ws.max(Ws::Space);
                i += 1;
            }
            b'\'' => {
                ws = ws.max(Ws::Space);
                i = crate::canon::java::tok::memchr(b'\n', b, i).unwrap_or(n);
            }
            b'_' if continuation(b, i).is_some() => {
                ws = ws.max(Ws::Space);
                i = continuation(b, i).unwrap_or(n);
            }
            b'"' => {
                let mut v = Vec::new();
                let mut j = i + 1;
                while j < n && b[j] != b'\n' {
                    if b[j] == b'"' {
                        if b.get(j + 1) == Some(&b'"') {
                            v.push(b'"');
                            j += 2;
                            continue;
                        }
                        j += 1;
                        break;
                    }
                    v.push(b[j]);
                    j += 1;
                }
                // VB.NET's char literal `"c"c` is a one-character string here.
                if b.get(j).is_some_and(|c| c.eq_ignore_ascii_case(&b'c'))
                    && !b.get(j + 1).is_some_and(|&c| is_ident(c))
                    && b[j - 1] == b'"'
                {
                    j += 1;
                }
                toks.push(lit_tok(src, Kind::Str, v, i, ws));
                ws = Ws::None;
                i = j;
            }
            b'&' if matches!(next, b'h' | b'H' | b'o' | b'O')
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit) =>
            {
                let mut j = i + 2;
                while j < n && b[j].is_ascii_hexdigit() {
                    j += 1;
                }
                if b.get(j).is_some_and(|&c| c.is_ascii_alphabetic()) {
                    // `"a"&Hex(x)`: a concatenation, not a number.
                    toks.push(punct(src, i, ws));
                    ws = Ws::None;
                    i += 1;
                    continue;
                }
                toks.push(src.word(Kind::Num, i, j, ws));
                ws = Ws::None;
                i = j;
            }
            b'[' if is_ident(next) => {
                let mut j = i + 1;
                while j < n && is_ident(b[j]) {
                    j += 1;
                }
                if b.get(j) == Some(&b']') {
                    toks.push(lit_tok(src, Kind::Ident, b[i + 1..j].to_vec(), i, ws));
                    i = j + 1;
                } else {
                    toks.push(punct(src, i, ws));
                    i += 1;
                }
                ws = Ws::None;
            }
            _ if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let mut j = i + 1;
                while j < n && is_ident(b[j]) {
                    j += 1;
                }
                if b.get(j) == Some(&b'$') {
                    j += 1;
                }
                let stmt_start =
                    toks.is_empty() || ws == Ws::Line || toks.last().is_some_and(|t| t.is_p(b':'));
                let rem = b[i..j].eq_ignore_ascii_case(b"rem")
                    && b.get(j).is_none_or(|c| c.is_ascii_whitespace());
                if rem && stmt_start {
                    ws = ws.max(Ws::Space);
                    i = crate::canon::java::tok::memchr(b'\n', b, j).unwrap_or(n);
                    continue;
                }
                toks.push(src.word(Kind::Ident, i, j, ws));
                ws = Ws::None;
                i = j;
            }
            b'0'..=b'9' => {
                let mut j = i + 1;
                while j < n && (b[j].is_ascii_digit() || b[j] == b'.') {
                    j += 1;
                }
                toks.push(src.word(Kind::Num, i, j, ws));
                ws = Ws::None;
                i = j;
            }
            _ => {
                toks.push(punct(src, i, ws));
                ws = Ws::None;
                i += 1;
            }
        }
    }
    (toks, ws)
}
