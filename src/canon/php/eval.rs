//! String functions of php evaluated on literal arguments, with php's semantics for the
//! inputs obfuscators feed them.

use super::lex::{Kind, Tok, hex};

/// A function's result is only folded when it is at most this long: the functions that can
/// grow their input (`str_replace`) must not turn a small file into a huge view.
const MAX_RESULT: usize = 1 << 20;

const KNOWN: [&str; 20] = [
    "chr",
    "strrev",
    "str_rot13",
    "strtolower",
    "strtoupper",
    "ucfirst",
    "lcfirst",
    "trim",
    "ltrim",
    "rtrim",
    "strval",
    "base64_decode",
    "hex2bin",
    "urldecode",
    "rawurldecode",
    "implode",
    "join",
    "str_replace",
    "str_ireplace",
    "substr",
];

enum Arg<'a> {
    Str(&'a [u8]),
    Num(i64),
    List(Vec<&'a [u8]>),
}

/// A called function's name as the folding passes compare it: lowercased, without a
/// leading `\\`, on the stack. Every call in a file is looked up, and a heap copy of each
/// name was a tenth of the allocations of a web root sweep (issue 18).
pub(super) struct Name {
    bytes: [u8; Name::MAX],
    len: usize,
}

impl Name {
    /// The longest name any pass looks for (`create_function`).
    const MAX: usize = 15;

    /// `None` for a name longer than any the passes know.
    pub(super) fn of(name: &[u8]) -> Option<Name> {
        let name = name.strip_prefix(b"\\").unwrap_or(name);
        let mut bytes = [0; Name::MAX];
        bytes.get_mut(..name.len())?.copy_from_slice(name);
        bytes.make_ascii_lowercase();
        Some(Name {
            bytes,
            len: name.len(),
        })
    }

    pub(super) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Whether [`call`] or [`call_num`] evaluate calls of `name`: the fold triggers take a call
/// of any other function for one whose result is never a literal.
pub(super) fn evaluated(name: &[u8]) -> bool {
    Name::of(name).is_some_and(|n| {
        let n = n.as_slice();
        KNOWN.iter().any(|k| k.as_bytes() == n) || NUMERIC.contains(&n)
    })
}

/// The functions [`call_num`] evaluates.
const NUMERIC: [&[u8]; 2] = [b"ord", b"strlen"];

/// The value of `name(args)` when every argument is a literal and the result is worth showing.
pub(super) fn call(raw: &[u8], name: &[u8], args: &[Tok]) -> Option<Vec<u8>> {
    let lower = Name::of(name)?;
    let name = lower.as_slice();
    if !KNOWN.iter().any(|k| k.as_bytes() == name) {
        return None;
    }
    let args = parse_args(raw, args)?;
    let v = match (name, args.as_slice()) {
        (b"chr", [Arg::Num(n)]) => vec![n.rem_euclid(256) as u8],
        (b"chr", [Arg::Str(s)]) => vec![number(s.trim_ascii())?.rem_euclid(256) as u8],
        (b"strrev", [Arg::Str(s)]) => s.iter().rev().copied().collect(),
        (b"str_rot13", [Arg::Str(s)]) => s.iter().map(|&b| rot13(b)).collect(),
        (b"strtolower", [Arg::Str(s)]) => s.to_ascii_lowercase(),
        (b"strtoupper", [Arg::Str(s)]) => s.to_ascii_uppercase(),
        (b"ucfirst" | b"lcfirst", [Arg::Str(s)]) => {
            let mut v = s.to_vec();
            if let Some(b) = v.first_mut() {
                if name == b"ucfirst" {
                    b.make_ascii_uppercase();
                } else {
                    b.make_ascii_lowercase();
                }
            }
            v
        }
        (b"trim" | b"ltrim" | b"rtrim", [Arg::Str(s)]) => {
            let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0 | 0x0b);
            let mut s: &[u8] = s;
            if name != b"rtrim" {
                s = &s[s.iter().position(|b| !blank(b)).unwrap_or(s.len())..];
            }
            if name != b"ltrim" {
                s = &s[..s.iter().rposition(|b| !blank(b)).map_or(0, |k| k + 1)];
            }
            s.to_vec()
        }
        (b"strval", [Arg::Str(s)]) => s.to_vec(),
        (b"base64_decode", [Arg::Str(s)] | [Arg::Str(s), _]) => printable(base64(s))?,
        (b"hex2bin", [Arg::Str(s)]) => printable(unhex(s)?)?,
        (b"urldecode" | b"rawurldecode", [Arg::Str(s)]) => {
            printable(unpercent(s, name == b"urldecode"))?
        }
        (b"implode" | b"join", [Arg::Str(glue), Arg::List(l)] | [Arg::List(l), Arg::Str(glue)]) => {
            join(l, glue)?
        }
        (b"implode" | b"join", [Arg::List(l)]) => join(l, b"")?,
        (b"str_replace" | b"str_ireplace", [search, Arg::Str(rep), Arg::Str(subject)]) => {
            let nocase = name == b"str_ireplace";
            let searches = match search {
                Arg::Str(s) => vec![*s],
                Arg::List(l) => l.clone(),
                Arg::Num(_) => return None,
            };
            let mut v = subject.to_vec();
            for s in searches {
                v = replace(&v, s, rep, nocase)?;
            }
            v
        }
        (b"substr", [Arg::Str(s), Arg::Num(start)]) => substr(s, *start, None),
        (b"substr", [Arg::Str(s), Arg::Num(start), Arg::Num(len)]) => substr(s, *start, Some(*len)),
        _ => return None,
    };
    (v.len() <= MAX_RESULT).then_some(v)
}

/// Literal arguments: strings, integers and arrays of strings (`[...]` or `array(...)`).
fn parse_args<'a>(raw: &'a [u8], toks: &'a [Tok]) -> Option<Vec<Arg<'a>>> {
    let mut args = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        let (arg, used) = match t.kind {
            Kind::Str => (Arg::Str(t.text(raw)), 1),
            Kind::Num | Kind::Punct if t.kind == Kind::Num || t.text(raw) == b"-" => {
                let (n, used) = sum(raw, &toks[i..])?;
                (Arg::Num(n), used)
            }
            Kind::Punct if t.text(raw) == b"[" => list(raw, &toks[i + 1..], b"]")?,
            Kind::Ident if t.text(raw).eq_ignore_ascii_case(b"array") => {
                toks.get(i + 1).filter(|p| p.punct(raw, b"("))?;
                let (l, used) = list(raw, &toks[i + 2..], b")")?;
                (l, used + 1)
            }
            _ => return None,
        };
        args.push(arg);
        i += used;
        match toks.get(i) {
            None => break,
            Some(c) if c.punct(raw, b",") => i += 1,
            Some(_) => return None,
        }
    }
    Some(args)
}

/// `[-]N (+|- N)*` from the start of `toks`: the value and the tokens used.
pub(super) fn sum(raw: &[u8], toks: &[Tok]) -> Option<(i64, usize)> {
    let mut total = 0i64;
    let mut i = 0;
    let mut sign = 1;
    loop {
        if toks.get(i)?.punct(raw, b"-") {
            sign = -sign;
            i += 1;
        }
        let n = toks.get(i).filter(|t| t.kind == Kind::Num)?;
        total = total.checked_add(number(n.text(raw))?.checked_mul(sign)?)?;
        i += 1;
        match toks.get(i) {
            Some(op) if op.punct(raw, b"+") => sign = 1,
            Some(op) if op.punct(raw, b"-") => sign = -1,
            _ => return Some((total, i)),
        }
        i += 1;
    }
}

/// The integer value of `name(args)` on literals (`ord`, `strlen`).
pub(super) fn call_num(raw: &[u8], name: &[u8], args: &[Tok]) -> Option<i64> {
    let lower = Name::of(name)?;
    let name = lower.as_slice();
    if !NUMERIC.contains(&name) {
        return None;
    }
    match (name, parse_args(raw, args)?.as_slice()) {
        (b"ord", [Arg::Str(s)]) => Some(i64::from(s.first().copied().unwrap_or(0))),
        (b"strlen", [Arg::Str(s)]) => i64::try_from(s.len()).ok(),
        _ => None,
    }
}

/// String elements up to `close`: the list and the tokens used, the opening one included.
fn list<'a>(raw: &'a [u8], toks: &'a [Tok], close: &[u8]) -> Option<(Arg<'a>, usize)> {
    let mut items = Vec::new();
    let mut i = 0;
    loop {
        let t = toks.get(i)?;
        if t.punct(raw, close) {
            return Some((Arg::List(items), i + 2));
        }
        if t.kind != Kind::Str {
            return None;
        }
        items.push(t.text(raw));
        i += 1;
        let t = toks.get(i)?;
        if t.punct(raw, b",") {
            i += 1;
        } else if !t.punct(raw, close) {
            return None;
        }
    }
}

/// An integer literal (decimal, `0x`, `0b`, `0o`, leading-zero octal); floats are not folded.
pub(super) fn number(s: &[u8]) -> Option<i64> {
    let s: Vec<u8> = s.iter().copied().filter(|&b| b != b'_').collect();
    let text = std::str::from_utf8(&s).ok()?;
    let (digits, radix) = match s.get(..2) {
        Some(b"0x" | b"0X") => (&text[2..], 16),
        Some(b"0b" | b"0B") => (&text[2..], 2),
        Some(b"0o" | b"0O") => (&text[2..], 8),
        _ if s.len() > 1 && s[0] == b'0' => (&text[1..], 8),
        _ => (text, 10),
    };
    i64::from_str_radix(digits, radix).ok()
}

fn rot13(b: u8) -> u8 {
    match b {
        b'a'..=b'z' => (b - b'a' + 13) % 26 + b'a',
        b'A'..=b'Z' => (b - b'A' + 13) % 26 + b'A',
        _ => b,
    }
}

/// Decoded text is shown only when it is text: a binary blob (a compressed payload) stays
/// encoded, where the rules for encoded blobs look for it.
fn printable(v: Vec<u8>) -> Option<Vec<u8>> {
    text(&v).then_some(v)
}

/// Whether a decoded value is worth showing: printable ASCII and line breaks only.
pub(super) fn text(v: &[u8]) -> bool {
    v.iter()
        .all(|&b| (0x20..0x7f).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r'))
}

/// php's lenient `base64_decode`: characters outside the alphabet are skipped.
fn base64(s: &[u8]) -> Vec<u8> {
    crate::canon::base64(s, true).unwrap_or_default()
}

fn unhex(s: &[u8]) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    Some(s.chunks(2).map(|p| hex(p[0]) << 4 | hex(p[1])).collect())
}

fn unpercent(s: &[u8], plus: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' if s.len() > i + 2
                && s[i + 1].is_ascii_hexdigit()
                && s[i + 2].is_ascii_hexdigit() =>
            {
                out.push(hex(s[i + 1]) << 4 | hex(s[i + 2]));
                i += 3;
                continue;
            }
            b'+' if plus => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn join(items: &[&[u8]], glue: &[u8]) -> Option<Vec<u8>> {
    let len = items.iter().map(|i| i.len() + glue.len()).sum::<usize>();
    if len > MAX_RESULT {
        return None;
    }
    Some(items.join(glue))
}

fn replace(hay: &[u8], needle: &[u8], rep: &[u8], nocase: bool) -> Option<Vec<u8>> {
    if needle.is_empty() {
        return Some(hay.to_vec());
    }
    let (hay_l, needle_l);
    let (h, n) = if nocase {
        hay_l = hay.to_ascii_lowercase();
        needle_l = needle.to_ascii_lowercase();
        (hay_l.as_slice(), needle_l.as_slice())
    } else {
        (hay, needle)
    };
    let mut out = Vec::with_capacity(hay.len());
    let mut last = 0;
    for k in memchr::memmem::find_iter(h, n) {
        if k < last {
            continue;
        }
        out.extend_from_slice(&hay[last..k]);
        out.extend_from_slice(rep);
        last = k + needle.len();
        if out.len() > MAX_RESULT {
            return None;
        }
    }
    out.extend_from_slice(&hay[last..]);
    Some(out)
}

/// php 8's `substr`: negative offsets count from the end, out-of-range ones clamp.
fn substr(s: &[u8], start: i64, len: Option<i64>) -> Vec<u8> {
    let n = s.len() as i64;
    let from = if start < 0 {
        (n + start).max(0)
    } else {
        start.min(n)
    };
    let to = match len {
        None => n,
        Some(l) if l < 0 => (n + l).max(from),
        Some(l) => from.saturating_add(l).min(n),
    };
    s[from as usize..to.max(from) as usize].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `evaluated` names every function `call` or `call_num` gives a value for, whatever
    /// the literal arguments: the fold triggers pass over calls of any other.
    #[test]
    fn evaluated_names_every_function_that_gets_a_value() {
        let others = [
            "gzinflate",
            "gzuncompress",
            "eval",
            "assert",
            "system",
            "sprintf",
            "md5",
            "strtr",
            "str_pad",
            "ucwords",
            "substr_replace",
            "array",
            "pack",
            "convert_uudecode",
        ];
        let args = [
            "'YWJj'",
            "'6162'",
            "97",
            "'a', 'b', 'c'",
            "'', array('a', 'b')",
            "'abc', 1, 1",
        ];
        for name in KNOWN.iter().chain(&["ord", "strlen"]).chain(&others) {
            for a in args {
                let raw = format!("<?php {name}({a});");
                let toks = super::super::lex::lex(raw.as_bytes());
                let open = toks
                    .iter()
                    .position(|t| t.punct(raw.as_bytes(), b"("))
                    .unwrap();
                let inner = &toks[open + 1..toks.len() - 2];
                let got = call(raw.as_bytes(), name.as_bytes(), inner).is_some()
                    || call_num(raw.as_bytes(), name.as_bytes(), inner).is_some();
                assert!(!got || evaluated(name.as_bytes()), "{raw}");
                let upper = name.to_ascii_uppercase();
                assert_eq!(evaluated(upper.as_bytes()), evaluated(name.as_bytes()));
            }
            assert_eq!(evaluated(name.as_bytes()), !others.contains(name), "{name}");
        }
    }

    /// Every name a pass looks for fits, lowercased and without its namespace slash; a
    /// longer one is none of them.
    #[test]
    fn names_are_compared_lowercased_and_the_known_ones_fit() {
        for known in KNOWN
            .iter()
            .chain(&["eval", "assert", "create_function", "ord"])
        {
            let called = format!("\\{}", known.to_ascii_uppercase());
            let name = Name::of(called.as_bytes()).expect(known);
            assert_eq!(name.as_slice(), known.as_bytes());
        }
        assert!(Name::of(b"create_functions").is_none());
        assert_eq!(Name::of(b"").map(|n| n.len), Some(0));
    }
}
