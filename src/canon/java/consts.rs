//! Constant values: integer expressions of literals, Base64, `unescape`, literal replacement.

use super::tok::{Kind, Tok, hex_val, push_cp};

/// Nesting of parentheses in a constant integer expression.
const MAX_DEPTH: usize = 24;

pub(crate) fn replace(s: &[u8], from: &[u8], to: &[u8], max: usize) -> Option<Vec<u8>> {
    if from.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(s.len());
    let (mut i, mut n) = (0, 0);
    while i < s.len() {
        if n < max && s[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
            n += 1;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Some(out)
}

/// JScript/VBScript `unescape`: `%XX` and `%uXXXX`.
pub(crate) fn unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            if s.get(i + 1) == Some(&b'u') {
                if let Some(v) = s.get(i + 2..i + 6).and_then(hex_val) {
                    push_cp(&mut out, v);
                    i += 6;
                    continue;
                }
            } else if let Some(v) = s.get(i + 1..i + 3).and_then(hex_val) {
                push_cp(&mut out, v);
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// Decoded bytes are worth showing as a string: UTF-8 text without control bytes.
pub(crate) fn printable(v: &[u8]) -> bool {
    !v.is_empty()
        && std::str::from_utf8(v).is_ok()
        && v.iter()
            .all(|&c| c >= 0x20 && c != 0x7f || matches!(c, b'\t' | b'\n' | b'\r'))
}

/// Strict Base64, as Java's and .NET's decoders read it.
pub(crate) fn base64(s: &[u8]) -> Option<Vec<u8>> {
    crate::canon::base64(s, false)
}

pub(crate) fn parse_num(s: &[u8]) -> Option<i64> {
    let s: Vec<u8> = s.iter().copied().filter(|&c| c != b'_').collect();
    let s = s
        .strip_suffix(b"L")
        .or_else(|| s.strip_suffix(b"l"))
        .unwrap_or(&s);
    let lower = s.to_ascii_lowercase();
    let (digits, radix) = if let Some(h) = lower
        .strip_prefix(b"0x")
        .or_else(|| lower.strip_prefix(b"&h"))
    {
        (h, 16)
    } else if let Some(o) = lower.strip_prefix(b"&o") {
        (o, 8)
    } else if let Some(b) = lower.strip_prefix(b"0b") {
        (b, 2)
    } else if lower.len() > 1 && lower[0] == b'0' {
        (&lower[1..], 8)
    } else {
        (&lower[..], 10)
    };
    i64::from_str_radix(std::str::from_utf8(digits).ok()?, radix).ok()
}

/// Comma-separated constant integer arguments `(e, e, ...)` from `t[p] == '('`.
pub(crate) fn int_args(t: &[Tok], p: usize) -> Option<(Vec<i64>, usize)> {
    if !t.get(p)?.is_p(b'(') {
        return None;
    }
    let mut vals = Vec::new();
    let mut j = p + 1;
    loop {
        let (v, k) = int_expr(t, j, 0)?;
        vals.push(v);
        match t.get(k)? {
            x if x.is_p(b')') => return Some((vals, k + 1)),
            x if x.is_p(b',') => j = k + 1,
            _ => return None,
        }
    }
}

/// A constant integer expression of `+ - * / %`: its value and the index past it.
pub(crate) fn int_expr(t: &[Tok], i: usize, depth: usize) -> Option<(i64, usize)> {
    let (mut v, mut j) = int_term(t, i, depth)?;
    while let Some(op) = t.get(j).filter(|x| x.is_p(b'+') || x.is_p(b'-')) {
        let (r, k) = int_term(t, j + 1, depth)?;
        v = if op.p == b'+' {
            v.checked_add(r)?
        } else {
            v.checked_sub(r)?
        };
        j = k;
    }
    Some((v, j))
}

pub(crate) fn int_term(t: &[Tok], i: usize, depth: usize) -> Option<(i64, usize)> {
    let (mut v, mut j) = int_atom(t, i, depth)?;
    loop {
        let op = t.get(j)?;
        let div = op.is_p(b'/') || op.is_p(b'\\');
        if !(op.is_p(b'*') || div || op.is_p(b'%') || op.is_id("mod")) {
            return Some((v, j));
        }
        let (r, k) = int_atom(t, j + 1, depth)?;
        v = if op.is_p(b'*') {
            v.checked_mul(r)?
        } else if div {
            v.checked_div(r)?
        } else {
            v.checked_rem(r)?
        };
        j = k;
    }
}

pub(crate) fn int_atom(t: &[Tok], i: usize, depth: usize) -> Option<(i64, usize)> {
    if depth > MAX_DEPTH {
        return None;
    }
    let a = t.get(i)?;
    match a.kind {
        Kind::Num => Some((parse_num(&a.text)?, i + 1)),
        Kind::Char => {
            let c = std::str::from_utf8(&a.text).ok()?.chars().next()?;
            Some((i64::from(u32::from(c)), i + 1))
        }
        Kind::Punct if a.p == b'-' => {
            let (v, j) = int_atom(t, i + 1, depth + 1)?;
            Some((v.checked_neg()?, j))
        }
        Kind::Punct if a.p == b'(' => {
            // A cast such as `(byte)` or `(int)` is skipped.
            let ty = t.get(i + 1)?;
            let cast = ["char", "byte", "int", "short", "long"]
                .iter()
                .any(|n| ty.is_id(n));
            if cast && t.get(i + 2)?.is_p(b')') {
                return int_atom(t, i + 3, depth + 1);
            }
            let (v, j) = int_expr(t, i + 1, depth + 1)?;
            t.get(j)?.is_p(b')').then_some((v, j + 1))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_every_notation() {
        assert_eq!(parse_num(b"101"), Some(101));
        assert_eq!(parse_num(b"0x41"), Some(65));
        assert_eq!(parse_num(b"&H41"), Some(65));
        assert_eq!(parse_num(b"&o101"), Some(65));
        assert_eq!(parse_num(b"0101"), Some(65));
        assert_eq!(parse_num(b"0b1000001"), Some(65));
        assert_eq!(parse_num(b"1_000L"), Some(1000));
        assert_eq!(parse_num(b"1.5"), None);
        assert_eq!(parse_num(b"0x"), None);
        assert_eq!(parse_num(b"99999999999999999999"), None);
    }

    #[test]
    fn base64_unescape_and_replace() {
        assert_eq!(base64(b"Y21kLmV4ZQ==").as_deref(), Some(&b"cmd.exe"[..]));
        assert_eq!(base64(b"Y21k\nLmV4ZQ").as_deref(), Some(&b"cmd.exe"[..]));
        assert_eq!(base64(b"-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(base64(b"Y2*k"), None);
        assert_eq!(unescape(b"%65v%u0061l%"), b"eval%");
        assert_eq!(
            replace(b"axbxc", b"x", b"", usize::MAX),
            Some(b"abc".to_vec())
        );
        assert_eq!(replace(b"axbxc", b"x", b"", 1), Some(b"abxc".to_vec()));
        assert_eq!(replace(b"abc", b"", b"x", 1), None);
        assert!(printable(b"cmd /c dir\r\n"));
        assert!(!printable(b"\xca\xfe\xba\xbe"));
        assert!(!printable(b""));
    }
}
