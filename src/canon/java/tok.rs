//! Tokens shared by the Java, C#, JScript and VB lexers, the C-family lexer, and how a token
//! list is written into the view. White space and comments never become tokens: each token
//! remembers only whether white space (and a line break) came before it, so that folding can
//! look at neighbours without skipping anything.

use crate::canon::Builder;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Java,
    CSharp,
    JScript,
    Vb,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Kind {
    Ident,
    Num,
    /// A string literal; `text` holds its decoded value.
    Str,
    /// A Java/C# char literal; `text` holds the decoded character as UTF-8.
    Char,
    #[default]
    Punct,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) enum Ws {
    #[default]
    None,
    Space,
    Line,
}

/// A token's text: inline up to 16 bytes, as nearly every name, number and short string
/// is (a `Vec` each was the lexer's most frequent allocation).
pub(crate) type Text = smallvec::SmallVec<[u8; 16]>;

#[derive(Clone, Debug, Default)]
pub(crate) struct Tok {
    pub(crate) kind: Kind,
    /// Ident/Num: the (decoded) spelling; Str/Char: the value; Punct: empty.
    pub(crate) text: Text,
    /// The punctuation byte of a `Punct`.
    pub(crate) p: u8,
    /// Raw offset of the token's first byte.
    pub(crate) at: u32,
    /// `text` is the raw bytes from `at` on, so each byte can map to its own offset.
    pub(crate) exact: bool,
    pub(crate) ws: Ws,
}

impl Tok {
    pub(crate) fn is_p(&self, c: u8) -> bool {
        self.kind == Kind::Punct && self.p == c
    }
    pub(crate) fn is_id(&self, name: &str) -> bool {
        self.kind == Kind::Ident && self.text.eq_ignore_ascii_case(name.as_bytes())
    }
    pub(crate) fn lit(kind: Kind, text: Vec<u8>, from: &Tok) -> Tok {
        Tok {
            kind,
            text: Text::from_vec(text),
            p: 0,
            at: from.at,
            exact: false,
            ws: from.ws,
        }
    }
}

/// A code region: its bytes (after Java's `\u` decoding, if any) and where each came from.
pub(crate) struct Src<'a> {
    pub(crate) bytes: &'a [u8],
    /// Raw offset of each byte; `None` when byte `i` is raw byte `base + i`.
    pub(crate) map: Option<&'a [u32]>,
    pub(crate) base: usize,
}

impl Src<'_> {
    pub(crate) fn raw(&self, i: usize) -> usize {
        let i = i.min(self.bytes.len().saturating_sub(1));
        self.map.map_or(self.base + i, |m| m[i] as usize)
    }

    /// Whether `bytes[s..e]` are raw bytes copied one for one (no escape inside).
    pub(crate) fn contiguous(&self, s: usize, e: usize) -> bool {
        e <= s || self.raw(e - 1) - self.raw(s) == e - 1 - s
    }

    /// A token of spelling `bytes[s..e]`.
    pub(crate) fn word(&self, kind: Kind, s: usize, e: usize, ws: Ws) -> Tok {
        Tok {
            kind,
            text: Text::from_slice(&self.bytes[s..e]),
            p: 0,
            at: self.raw(s) as u32,
            exact: self.contiguous(s, e),
            ws,
        }
    }
}

pub(crate) fn push_cp(out: &mut Vec<u8>, cp: u32) {
    let c = char::from_u32(cp).unwrap_or('\u{fffd}');
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

pub(crate) fn hex_val(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 8 {
        return None;
    }
    let mut v = 0u32;
    for &c in b {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c >= 0x80
}

fn is_ident(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit()
}

/// A C# `\uXXXX` / `\UXXXXXXXX` escape at `i`: its code point and length.
fn cs_ident_escape(b: &[u8], i: usize) -> Option<(u32, usize)> {
    if b.get(i) != Some(&b'\\') {
        return None;
    }
    let n = match b.get(i + 1) {
        Some(b'u') => 4,
        Some(b'U') => 8,
        _ => return None,
    };
    let v = hex_val(b.get(i + 2..i + 2 + n)?)?;
    Some((v, 2 + n))
}

/// Decodes one backslash escape at `b[i] == '\\'`, appending to `out`; returns the new index.
fn escape(b: &[u8], i: usize, d: Dialect, out: &mut Vec<u8>) -> usize {
    let Some(&c) = b.get(i + 1) else {
        out.push(b'\\');
        return i + 1;
    };
    let simple = match c {
        b'n' => Some(b'\n'),
        b't' => Some(b'\t'),
        b'r' => Some(b'\r'),
        b'b' => Some(8),
        b'f' => Some(12),
        b'v' if d != Dialect::Java => Some(11),
        b'a' if d == Dialect::CSharp => Some(7),
        b's' if d == Dialect::Java => Some(b' '),
        b'"' | b'\'' | b'\\' => Some(c),
        b'\n' if d != Dialect::CSharp => return i + 2,
        _ => None,
    };
    if let Some(v) = simple {
        out.push(v);
        return i + 2;
    }
    let hex = |from: usize, min: usize, max: usize, out: &mut Vec<u8>| -> Option<usize> {
        let n = b[from.min(b.len())..]
            .iter()
            .take(max)
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        (n >= min).then(|| {
            push_cp(out, hex_val(&b[from..from + n]).unwrap_or(0xfffd));
            from + n
        })
    };
    let done = match (c, d) {
        (b'x', Dialect::CSharp) => hex(i + 2, 1, 4, out),
        (b'x', Dialect::JScript) => hex(i + 2, 2, 2, out),
        (b'u', Dialect::CSharp | Dialect::JScript) => hex(i + 2, 4, 4, out),
        (b'U', Dialect::CSharp) => hex(i + 2, 8, 8, out),
        (b'0'..=b'7', Dialect::Java | Dialect::JScript) => {
            let max = if c <= b'3' { 3 } else { 2 };
            let n = b[i + 1..]
                .iter()
                .take(max)
                .take_while(|c| (b'0'..=b'7').contains(c))
                .count();
            let v = b[i + 1..i + 1 + n]
                .iter()
                .fold(0u32, |v, &c| v * 8 + u32::from(c - b'0'));
            push_cp(out, v);
            Some(i + 1 + n)
        }
        (b'0', Dialect::CSharp) => {
            out.push(0);
            Some(i + 2)
        }
        _ => None,
    };
    done.unwrap_or_else(|| {
        // Unknown escape: JScript drops the backslash, the others keep both bytes.
        if d != Dialect::JScript {
            out.push(b'\\');
        }
        i + 1
    })
}

/// Lexes C-family code (Java, C#, JScript). Returns the tokens and the white space at the end.
pub(crate) fn lex_c(src: &Src, d: Dialect) -> (Vec<Tok>, Ws) {
    let b = src.bytes;
    let n = b.len();
    let mut toks = Vec::new();
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
            b'/' if next == b'/' => {
                ws = ws.max(Ws::Space);
                i = memchr(b'\n', b, i).unwrap_or(n);
            }
            b'/' if next == b'*' => {
                let end = find(b, b"*/", i + 2).map_or(n, |e| e + 2);
                let w = if b[i..end].contains(&b'\n') {
                    Ws::Line
                } else {
                    Ws::Space
                };
                ws = ws.max(w);
                i = end;
            }
            b'"' if d == Dialect::Java && b[i..].starts_with(b"\"\"\"") => {
                let mut v = Vec::new();
                let mut j = i + 3;
                while j < n && !b[j..].starts_with(b"\"\"\"") {
                    if b[j] == b'\\' {
                        j = escape(b, j, d, &mut v);
                    } else {
                        v.push(b[j]);
                        j += 1;
                    }
                }
                toks.push(lit_tok(src, Kind::Str, v, i, ws));
                ws = Ws::None;
                i = (j + 3).min(n);
            }
            b'"' => {
                let (v, j) = quoted(b, i, b'"', d);
                toks.push(lit_tok(src, Kind::Str, v, i, ws));
                ws = Ws::None;
                i = j;
            }
            b'\'' if d == Dialect::JScript => {
                let (v, j) = quoted(b, i, b'\'', d);
                toks.push(lit_tok(src, Kind::Str, v, i, ws));
                ws = Ws::None;
                i = j;
            }
            b'\'' => {
                let mut v = Vec::new();
                let j = if next == b'\\' {
                    escape(b, i + 1, d, &mut v)
                } else {
                    let len = utf8_len(next);
                    v.extend_from_slice(&b[(i + 1).min(n)..(i + 1 + len).min(n)]);
                    i + 1 + len
                };
                if j > i + 1 && b.get(j) == Some(&b'\'') && !v.is_empty() && next != b'\n' {
                    toks.push(lit_tok(src, Kind::Char, v, i, ws));
                    i = j + 1;
                } else {
                    toks.push(punct(src, i, ws));
                    i += 1;
                }
                ws = Ws::None;
            }
            b'@' if d == Dialect::CSharp && next == b'"' => {
                let mut v = Vec::new();
                let mut j = i + 2;
                while j < n {
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
                toks.push(lit_tok(src, Kind::Str, v, i, ws));
                ws = Ws::None;
                i = j;
            }
            // A C# verbatim identifier `@class` is the identifier itself.
            b'@' if d == Dialect::CSharp && is_ident_start(next) => i += 1,
            // `$` is a name character except in C#, where it starts an interpolated string.
            _ if (is_ident_start(c) && !(c == b'$' && d == Dialect::CSharp))
                || (d == Dialect::CSharp && cs_ident_escape(b, i).is_some()) =>
            {
                // Most names are plain: spelled by their bytes, copied once. Only a C#
                // `\u` escape in one makes its text differ from them.
                let mut j = i;
                while j < n && is_ident(b[j]) {
                    j += 1;
                }
                let escaped = |j| d == Dialect::CSharp && cs_ident_escape(b, j).is_some();
                if !escaped(j) {
                    toks.push(src.word(Kind::Ident, i, j, ws));
                } else {
                    let mut v = b[i..j].to_vec();
                    while j < n {
                        if is_ident(b[j]) {
                            v.push(b[j]);
                            j += 1;
                        } else if let Some((cp, len)) =
                            cs_ident_escape(b, j).filter(|_| d == Dialect::CSharp)
                        {
                            push_cp(&mut v, cp);
                            j += len;
                        } else {
                            break;
                        }
                    }
                    let mut t = src.word(Kind::Ident, i, j, ws);
                    t.exact = false;
                    t.text = Text::from_vec(v);
                    toks.push(t);
                }
                ws = Ws::None;
                i = j;
            }
            b'0'..=b'9' => {
                let mut j = i + 1;
                while j < n
                    && (b[j].is_ascii_alphanumeric()
                        || b[j] == b'_'
                        || (b[j] == b'.' && b.get(j + 1).is_some_and(u8::is_ascii_digit)))
                {
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

fn utf8_len(c: u8) -> usize {
    match c {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

pub(crate) fn punct(src: &Src, i: usize, ws: Ws) -> Tok {
    Tok {
        kind: Kind::Punct,
        text: Text::new(),
        p: src.bytes[i],
        at: src.raw(i) as u32,
        exact: true,
        ws,
    }
}

pub(crate) fn lit_tok(src: &Src, kind: Kind, text: Vec<u8>, i: usize, ws: Ws) -> Tok {
    Tok {
        kind,
        text: Text::from_vec(text),
        p: 0,
        at: src.raw(i) as u32,
        exact: false,
        ws,
    }
}

/// A single-line quoted string from `b[i] == q`: its value and the index past it. An
/// unterminated string ends at the line break.
fn quoted(b: &[u8], i: usize, q: u8, d: Dialect) -> (Vec<u8>, usize) {
    let mut v = Vec::new();
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            c if c == q => return (v, j + 1),
            b'\n' => return (v, j),
            b'\\' => j = escape(b, j, d, &mut v),
            c => {
                v.push(c);
                j += 1;
            }
        }
    }
    (v, j)
}

pub(crate) fn memchr(c: u8, b: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|&x| x == c)
        .map(|p| p + from)
}

pub(crate) fn find(b: &[u8], pat: &[u8], from: usize) -> Option<usize> {
    let hay = b.get(from..)?;
    hay.windows(pat.len())
        .position(|w| w == pat)
        .map(|p| p + from)
}

/// Writes a string value in the one canonical form: double quotes, `\"`, `\\`, and control
/// bytes as `\n`, `\r`, `\t` or `\xHH`.
fn quote(b: &mut Builder, q: u8, v: &[u8], at: usize) {
    b.push(q, at);
    for &c in v {
        match c {
            b'\n' => b.push_all(b"\\n", at),
            b'\r' => b.push_all(b"\\r", at),
            b'\t' => b.push_all(b"\\t", at),
            b'\\' => b.push_all(b"\\\\", at),
            _ if c == q => b.push_all(&[b'\\', q], at),
            _ if c < 0x20 || c == 0x7f => {
                let h = b"0123456789abcdef";
                b.push_all(
                    &[b'\\', b'x', h[usize::from(c >> 4)], h[usize::from(c & 15)]],
                    at,
                );
            }
            _ => b.push(c, at),
        }
        if b.is_full() {
            return;
        }
    }
    b.push(q, at);
}

fn wordy(t: &Tok) -> bool {
    t.kind != Kind::Punct
}

/// Writes tokens, turning the white space before each into nothing, one space or one line
/// break: none next to `.`, brackets and separators, a line break where there was one, a space
/// only between two words.
pub(crate) fn emit(toks: &[Tok], tail: Ws, tail_at: usize, b: &mut Builder) {
    let mut prev: Option<&Tok> = None;
    for t in toks {
        let at = t.at as usize;
        if b.is_full() {
            return;
        }
        let glue = prev.is_some_and(|p| matches!(p.p, b'.' | b'(' | b'[') && p.kind == Kind::Punct)
            || (t.kind == Kind::Punct && matches!(t.p, b'.' | b')' | b']' | b',' | b';'));
        let sep = match (t.ws, prev) {
            (Ws::None, Some(p)) if wordy(p) && wordy(t) => Some(b' '),
            (Ws::None, _) => None,
            (_, Some(_)) if glue => None,
            (Ws::Line, _) => Some(b'\n'),
            (Ws::Space, Some(p)) if wordy(p) && wordy(t) => Some(b' '),
            (Ws::Space, Some(_)) => None,
            (Ws::Space, None) => Some(b' '),
        };
        if let Some(s) = sep {
            b.push(s, at);
        }
        match t.kind {
            Kind::Punct => b.push(t.p, at),
            Kind::Str => quote(b, b'"', &t.text, at),
            Kind::Char => quote(b, b'\'', &t.text, at),
            _ if t.exact => {
                for (k, &c) in t.text.iter().enumerate() {
                    b.push(c, at + k);
                }
            }
            _ => b.push_all(&t.text, at),
        }
        prev = Some(t);
    }
    match tail {
        Ws::None => {}
        Ws::Space => b.push(b' ', tail_at),
        Ws::Line => b.push(b'\n', tail_at),
    }
}
