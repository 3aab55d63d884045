//! Constant folding on a token list. Folded, when every operand is a literal: concatenation
//! (`+`, VB `&`) of strings and chars; `(char)N`, `Convert.ToChar(N)`, VB `Chr/ChrW/ChrB(N)`
//! and JScript `String.fromCharCode(N, ...)` with N a constant integer expression;
//! `new String(...)` of a literal, a char or byte array, `"..".getBytes()` or literal Base64
//! (when the bytes are printable text), likewise `Encoding.X.GetString(...)`;
//! `String.valueOf`, `string.Concat`, `String.join`; `new StringBuilder(..).append(..)
//! .reverse().toString()`; VB `StrReverse`, `Replace`, `LCase`, `UCase`, `Mid`, `Left`,
//! `Right`; `unescape`; method calls on literals (see `methods`); parentheses around a lone
//! literal; JScript `[..].join(..)`. Each round is one streaming pass, in place; a few rounds
//! reach nested forms.

use super::consts::{
    base64, int_args, int_atom, int_expr, parse_num, printable, replace, unescape,
};
use super::tok::{Dialect, Kind, Tok, push_cp};

/// Rounds of folding; each catches one more level of nesting (`new String(("a"+"b"))`).
const ROUNDS: usize = 6;
/// Longest qualified name / call chain looked at (`System.Text.Encoding.UTF8.GetString`).
const MAX_CHAIN: usize = 12;

/// Folds until nothing changes (bounded); says whether anything did.
pub(crate) fn fold(mut toks: Vec<Tok>, d: Dialect) -> (Vec<Tok>, bool) {
    let mut any = false;
    for _ in 0..ROUNDS {
        if !pass(&mut toks, d) {
            break;
        }
        any = true;
    }
    (toks, any)
}

/// One round, in place: the output is a prefix of the list, never longer than what was read.
fn pass(toks: &mut Vec<Tok>, d: Dialect) -> bool {
    let mut changed = false;
    let (mut i, mut w) = (0, 0);
    while i < toks.len() {
        let (tok, j) = match rewrite(toks, i, &toks[..w], d) {
            Some(r) => {
                changed = true;
                r
            }
            None => (std::mem::take(&mut toks[i]), i + 1),
        };
        let tight = toks
            .get(j)
            .is_some_and(|x| x.is_p(b'.') || x.is_p(b'[') || x.is_p(b'('));
        changed |= push(toks, &mut w, tok, tight, d);
        i = j;
    }
    toks.truncate(w);
    changed
}

fn is_concat(t: &Tok, d: Dialect) -> bool {
    t.is_p(b'+') || (d == Dialect::Vb && t.is_p(b'&'))
}

/// Writes `t` at `w`, joining it to a literal string before it across a concatenation
/// operator when nothing binds tighter on either side (`tight`: a member access or index
/// follows).
fn push(out: &mut [Tok], w: &mut usize, t: Tok, tight: bool, d: Dialect) -> bool {
    let n = *w;
    let lit = |k: Kind| k == Kind::Str || k == Kind::Char;
    let joinable = n >= 2
        && !tight
        && lit(t.kind)
        && lit(out[n - 2].kind)
        && (t.kind == Kind::Str || out[n - 2].kind == Kind::Str)
        && is_concat(&out[n - 1], d);
    if joinable {
        let pre = n.checked_sub(3).map(|k| &out[k]);
        let tight: &[u8] = if out[n - 1].is_p(b'&') {
            b".-*/%\\^+"
        } else {
            b".-*/%\\^"
        };
        let ok = match pre {
            None => true,
            Some(p) if p.kind == Kind::Punct => {
                !tight.contains(&p.p)
                    && (out[n - 2].kind == Kind::Str || b"(=,;{?:[".contains(&p.p))
            }
            Some(p) => out[n - 2].kind == Kind::Str && !p.is_id("mod"),
        };
        if ok {
            *w -= 1;
            let l = &mut out[n - 2];
            l.kind = Kind::Str;
            l.text.extend_from_slice(&t.text);
            return true;
        }
    }
    out[n] = t;
    *w += 1;
    false
}

/// A rewrite of the tokens from `i`: the literal they fold to and the index past them.
fn rewrite(t: &[Tok], i: usize, out: &[Tok], d: Dialect) -> Option<(Tok, usize)> {
    let prev = out.last();
    let at = |k: usize| t.get(k);
    let first = &t[i];
    match first.kind {
        // JScript: `["e", "val"].join("")`, `[...].reverse().join("")`.
        Kind::Punct
            if first.p == b'['
                && d == Dialect::JScript
                && !prev.is_some_and(|p| p.kind != Kind::Punct || p.is_p(b')') || p.is_p(b']')) =>
        {
            let mut items = Vec::new();
            let mut j = i + 1;
            loop {
                let a = at(j).filter(|a| a.kind == Kind::Str)?;
                items.push(a.text.as_slice());
                j += 2;
                match at(j - 1)? {
                    x if x.is_p(b']') => break,
                    x if x.is_p(b',') => {}
                    _ => return None,
                }
            }
            let (key, q) = chain_from(t, j)?;
            let (args, k) = lit_args(t, q)?;
            let sep = strs(&args, 1)?[0];
            match &key[..] {
                b".join" => {}
                b".reverse().join" => items.reverse(),
                _ => return None,
            }
            Some((Tok::lit(Kind::Str, items.join(sep), first), k))
        }
        Kind::Punct if first.p == b'(' => {
            // `("a")` where it is not a call argument list.
            let bare = match prev {
                None => true,
                Some(p) if p.kind == Kind::Punct => !matches!(p.p, b')' | b']'),
                Some(p) => ["return", "then", "case", "else"]
                    .iter()
                    .any(|k| p.is_id(k)),
            };
            let inner = at(i + 1)?;
            if bare && matches!(inner.kind, Kind::Str | Kind::Char) && at(i + 2)?.is_p(b')') {
                return Some((Tok::lit(inner.kind, inner.text.to_vec(), first), i + 3));
            }
            // `(char) N`, `(string) "a"`.
            if d == Dialect::Vb || at(i + 1)?.kind != Kind::Ident || !at(i + 2)?.is_p(b')') {
                return None;
            }
            let ty = at(i + 1)?;
            if ty.is_id("char") {
                let (v, j) = int_atom(t, i + 3, 0)?;
                let mut s = Vec::new();
                push_cp(&mut s, u32::try_from(v).ok()?);
                return Some((Tok::lit(Kind::Char, s, first), j));
            }
            if ty.is_id("string") && at(i + 3)?.kind == Kind::Str {
                return Some((Tok::lit(Kind::Str, at(i + 3)?.text.to_vec(), first), i + 4));
            }
            None
        }
        Kind::Str | Kind::Char if at(i + 1)?.is_p(b'.') => {
            let (v, j) = super::methods::methods(t, i, d)?;
            Some((Tok::lit(Kind::Str, v, first), j))
        }
        Kind::Ident if !prev.is_some_and(|p| p.is_p(b'.')) => {
            let (key, p) = chain(t, i)?;
            let (kind, v, j) = call(t, std::str::from_utf8(&key).ok()?, p, d)?;
            Some((Tok::lit(kind, v, first), j))
        }
        _ => None,
    }
}

/// A call chain's key, lower case and UTF-8: on the stack when it is short, as nearly all
/// are (one is built for every identifier of a file, and as a `String` they were the most
/// frequent allocation of a sweep: 2.2 M of 17.7 M on a web root of real code).
type Key = smallvec::SmallVec<[u8; 64]>;

/// A qualified name with empty calls, from an identifier: `new a.B().c` gives `new a.b().c`
/// (lower case) and the index after it, which must be an opening parenthesis or bracket.
fn chain(t: &[Tok], i: usize) -> Option<(Key, usize)> {
    let mut key = Key::new();
    let q = chain_onto(t, i, &mut key)?;
    Some((key, q))
}

/// [`chain`], appended to `key`.
fn chain_onto(t: &[Tok], mut i: usize, key: &mut Key) -> Option<usize> {
    let new = t[i].is_id("new");
    if new {
        key.extend_from_slice(b"new ");
        i += 1;
    }
    for n in 0..MAX_CHAIN {
        let id = t.get(i).filter(|x| x.kind == Kind::Ident)?;
        // Lowercased as it is appended.
        if std::str::from_utf8(&id.text).is_ok() {
            key.extend(id.text.iter().map(u8::to_ascii_lowercase));
        } else {
            let name = String::from_utf8_lossy(&id.text).to_ascii_lowercase();
            key.extend_from_slice(name.as_bytes());
        }
        i += 1;
        // `new A().b` is a call on the new object: the chain ends at the constructor.
        // A call with literal arguments inside the chain: `Encoding.GetEncoding(936).GetString`.
        while !new && t.get(i)?.is_p(b'(') {
            let Some((_, j)) =
                lit_args(t, i).filter(|&(_, j)| t.get(j).is_some_and(|x| x.is_p(b'.')))
            else {
                break;
            };
            key.extend_from_slice(b"()");
            i = j;
        }
        if !t.get(i)?.is_p(b'.') || n + 1 == MAX_CHAIN {
            return (t.get(i)?.is_p(b'(') || t.get(i)?.is_p(b'[')).then_some(i);
        }
        key.push(b'.');
        i += 1;
    }
    None
}

/// `key` is `name` or ends with `.name`.
fn named(key: &str, name: &str) -> bool {
    key == name || (key.ends_with(name) && key[..key.len() - name.len()].ends_with('.'))
}

/// Literal arguments `( a, b, ... )` from `t[p] == '('`: the tokens and the index past `)`.
pub(super) fn lit_args(t: &[Tok], p: usize) -> Option<(Vec<&Tok>, usize)> {
    if !t.get(p)?.is_p(b'(') {
        return None;
    }
    let mut args = Vec::new();
    let mut i = p + 1;
    if t.get(i)?.is_p(b')') {
        return Some((args, i + 1));
    }
    loop {
        let a = t.get(i)?;
        if !matches!(a.kind, Kind::Str | Kind::Char | Kind::Num) {
            return None;
        }
        args.push(a);
        let s = t.get(i + 1)?;
        i += 2;
        if s.is_p(b')') {
            return Some((args, i));
        }
        if !s.is_p(b',') {
            return None;
        }
    }
}

pub(super) fn strs<'a>(args: &[&'a Tok], n: usize) -> Option<Vec<&'a [u8]>> {
    (args.len() == n && args.iter().all(|a| a.kind == Kind::Str))
        .then(|| args.iter().map(|a| a.text.as_slice()).collect())
}

/// The call at `t[p]` (an opening parenthesis or bracket) of the chain `key`.
fn call(t: &[Tok], key: &str, p: usize, d: Dialect) -> Option<(Kind, Vec<u8>, usize)> {
    let str_ = |v: Vec<u8>, j: usize| Some((Kind::Str, v, j));
    if let Some(rest) = key.strip_prefix("new ") {
        if named(rest, "string") {
            return new_string(t, p);
        }
        if named(rest, "stringbuilder") || named(rest, "stringbuffer") {
            return builder(t, p).map(|(v, j)| (Kind::Str, v, j));
        }
        return None;
    }
    let vb_fn = |name: &str| {
        d == Dialect::Vb && (key == name || key.strip_prefix("strings.") == Some(name))
            || key.strip_prefix("microsoft.visualbasic.strings.") == Some(name)
    };
    if ["chr", "chrw", "chrb", "chr$", "chrw$", "chrb$"]
        .iter()
        .any(|n| vb_fn(n))
    {
        let (vals, j) = int_args(t, p)?;
        let &[v] = vals.as_slice() else { return None };
        let v = if key.contains("chrw") && v < 0 {
            v + 0x10000
        } else {
            v
        };
        let mut s = Vec::new();
        push_cp(&mut s, u32::try_from(v).ok().filter(|&v| v < 0x11_0000)?);
        return str_(s, j);
    }
    if named(key, "fromcharcode") {
        let (vals, j) = int_args(t, p)?;
        let mut s = Vec::new();
        for v in vals {
            push_cp(&mut s, u32::try_from(v & 0xffff).ok()?);
        }
        return str_(s, j);
    }
    if named(key, "convert.tochar") {
        let (vals, j) = int_args(t, p)?;
        let &[v] = vals.as_slice() else { return None };
        let mut s = Vec::new();
        push_cp(&mut s, u32::try_from(v).ok()?);
        return Some((Kind::Char, s, j));
    }
    if named(key, "getstring") && key.contains("encoding.") {
        let (v, j) = bytes(t, p + 1)?;
        return (t.get(j)?.is_p(b')') && printable(&v)).then_some((Kind::Str, v, j + 1));
    }
    if named(key, "string.valueof")
        || named(key, "string.copyvalueof")
        || named(key, "character.tostring")
    {
        if let Some((v, j)) = chars(t, p + 1) {
            return t.get(j)?.is_p(b')').then_some((Kind::Str, v, j + 1));
        }
        let (args, j) = lit_args(t, p)?;
        let [a] = args.as_slice() else { return None };
        return (a.kind != Kind::Num).then(|| (Kind::Str, a.text.to_vec(), j));
    }
    let known = named(key, "string.concat")
        || (d == Dialect::Vb && key == "concat")
        || named(key, "string.join")
        || [
            "strreverse",
            "replace",
            "lcase",
            "ucase",
            "mid",
            "left",
            "right",
        ]
        .iter()
        .any(|n| vb_fn(n))
        || key == "unescape";
    if !known {
        return None;
    }
    let (args, j) = lit_args(t, p)?;
    if named(key, "string.concat") || (d == Dialect::Vb && key == "concat") {
        let mut v = Vec::new();
        for a in &args {
            if a.kind == Kind::Num {
                return None;
            }
            v.extend_from_slice(&a.text);
        }
        return str_(v, j);
    }
    if named(key, "string.join") {
        let s = strs(&args, args.len())?;
        let (sep, items) = s.split_first()?;
        return str_(items.join(*sep), j);
    }
    if vb_fn("mid") || vb_fn("left") || vb_fn("right") {
        // 1-based start and a length; ASCII only, so that bytes are characters.
        let (s, n) = match args.as_slice() {
            [s, n] | [s, _, n] if s.kind == Kind::Str && s.text.is_ascii() => (&s.text, n),
            _ => return None,
        };
        let num = |a: &Tok| (a.kind == Kind::Num).then(|| parse_num(&a.text)).flatten();
        let len = usize::try_from(num(n)?).ok()?.min(s.len());
        let v = if key.ends_with("left") {
            s[..len].to_vec()
        } else if key.ends_with("right") {
            s[s.len() - len..].to_vec()
        } else {
            let start = usize::try_from(num(args.get(1).filter(|_| args.len() == 3)?)? - 1)
                .ok()?
                .min(s.len());
            s[start..(start + len).min(s.len())].to_vec()
        };
        return str_(v, j);
    }
    if vb_fn("strreverse") {
        let s = strs(&args, 1)?;
        return str_(s[0].iter().rev().copied().collect(), j);
    }
    if vb_fn("replace") {
        let s = strs(&args, 3)?;
        return str_(replace(s[0], s[1], s[2], usize::MAX)?, j);
    }
    if vb_fn("lcase") || vb_fn("ucase") {
        let s = strs(&args, 1)?;
        let low = key.ends_with("lcase");
        return str_(
            s[0].iter()
                .map(|c| {
                    if low {
                        c.to_ascii_lowercase()
                    } else {
                        c.to_ascii_uppercase()
                    }
                })
                .collect(),
            j,
        );
    }
    if key == "unescape" {
        let s = strs(&args, 1)?;
        return str_(unescape(s[0]), j);
    }
    None
}

/// `new String(...)`: of a literal, of a char array, of bytes (Base64, byte array).
fn new_string(t: &[Tok], p: usize) -> Option<(Kind, Vec<u8>, usize)> {
    if !t.get(p)?.is_p(b'(') {
        return None;
    }
    let a = t.get(p + 1)?;
    if a.kind == Kind::Str && t.get(p + 2)?.is_p(b')') {
        return Some((Kind::Str, a.text.to_vec(), p + 3));
    }
    // C#: new string("dmc".Reverse().ToArray())
    if a.kind == Kind::Str {
        let (k, q) = chain_from(t, p + 2)?;
        if &k[..] == b".reverse().toarray"
            && t.get(q)?.is_p(b'(')
            && t.get(q + 1)?.is_p(b')')
            && t.get(q + 2)?.is_p(b')')
        {
            return Some((Kind::Str, a.text.iter().rev().copied().collect(), q + 3));
        }
    }
    if let Some((v, j)) = chars(t, p + 1) {
        return t.get(j)?.is_p(b')').then_some((Kind::Str, v, j + 1));
    }
    let (v, mut j) = bytes(t, p + 1)?;
    if t.get(j)?.is_p(b',') {
        // A charset: a literal or a constant such as `StandardCharsets.UTF_8`.
        j += 1;
        while t
            .get(j)
            .is_some_and(|x| x.kind != Kind::Punct || x.is_p(b'.'))
        {
            j += 1;
        }
    }
    (t.get(j)?.is_p(b')') && printable(&v)).then_some((Kind::Str, v, j + 1))
}

/// `.a().b` from `t[i] == '.'`, lower case, ending before a `(`.
pub(super) fn chain_from(t: &[Tok], i: usize) -> Option<(Key, usize)> {
    if !t.get(i)?.is_p(b'.') || t.get(i + 1)?.kind != Kind::Ident {
        return None;
    }
    let mut key = Key::from_slice(b".");
    let q = chain_onto(t, i + 1, &mut key)?;
    Some((key, q))
}

/// `new StringBuilder("a").append("b").reverse().toString()`.
fn builder(t: &[Tok], p: usize) -> Option<(Vec<u8>, usize)> {
    let (args, mut j) = lit_args(t, p)?;
    let mut v = match args.as_slice() {
        [] => Vec::new(),
        [a] if a.kind == Kind::Str => a.text.to_vec(),
        _ => return None,
    };
    for _ in 0..256 {
        if !t.get(j)?.is_p(b'.') {
            return None;
        }
        let m = t.get(j + 1).filter(|x| x.kind == Kind::Ident)?;
        let (args, k) = lit_args(t, j + 2)?;
        j = k;
        match (m.text.to_ascii_lowercase().as_slice(), args.as_slice()) {
            (b"append", [a]) if a.kind != Kind::Num => v.extend_from_slice(&a.text),
            (b"reverse", []) => v = reverse_chars(&v),
            (b"tostring", []) => return Some((v, j)),
            _ => return None,
        }
    }
    None
}

pub(super) fn reverse_chars(v: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(v) {
        Ok(s) => s.chars().rev().collect::<String>().into_bytes(),
        Err(_) => v.iter().rev().copied().collect(),
    }
}

/// A `new T[] { ... }` array of constants from `t[i]` (`new`): its values and the index past it.
fn array(t: &[Tok], i: usize, ty: &str) -> Option<(Vec<i64>, usize)> {
    if !t.get(i)?.is_id("new") || !t.get(i + 1)?.is_id(ty) {
        return None;
    }
    if !t.get(i + 2)?.is_p(b'[') || !t.get(i + 3)?.is_p(b']') || !t.get(i + 4)?.is_p(b'{') {
        return None;
    }
    let mut vals = Vec::new();
    let mut j = i + 5;
    loop {
        if t.get(j)?.is_p(b'}') {
            return Some((vals, j + 1));
        }
        let (v, k) = int_expr(t, j, 0)?;
        vals.push(v);
        j = k;
        if t.get(j)?.is_p(b',') {
            j += 1;
        } else if !t.get(j)?.is_p(b'}') {
            return None;
        }
    }
}

/// A char array of constants: `new char[]{'a', 98}` or `"ab".toCharArray()`.
fn chars(t: &[Tok], i: usize) -> Option<(Vec<u8>, usize)> {
    if let Some((vals, j)) = array(t, i, "char") {
        let mut s = Vec::new();
        for v in vals {
            push_cp(&mut s, u32::try_from(v & 0xffff).ok()?);
        }
        return Some((s, j));
    }
    let a = t.get(i).filter(|a| a.kind == Kind::Str)?;
    let (k, q) = chain_from(t, i + 1)?;
    let (args, j) = lit_args(t, q)?;
    (&k[..] == b".tochararray" && args.is_empty()).then(|| (a.text.to_vec(), j))
}

/// A byte array of constants: a literal array, a literal's bytes, or decoded Base64.
fn bytes(t: &[Tok], i: usize) -> Option<(Vec<u8>, usize)> {
    if let Some((vals, j)) = array(t, i, "byte") {
        return Some((vals.iter().map(|&v| (v & 0xff) as u8).collect(), j));
    }
    let a = t.get(i)?;
    if a.kind == Kind::Str {
        let (k, q) = chain_from(t, i + 1)?;
        let (args, j) = lit_args(t, q)?;
        return (&k[..] == b".getbytes" && args.len() <= 1).then(|| (a.text.to_vec(), j));
    }
    if a.kind != Kind::Ident {
        return None;
    }
    let (mut key, mut q) = chain(t, i)?;
    if key.starts_with(b"new ") {
        // `new BASE64Decoder().decodeBuffer(...)`
        if !t.get(q)?.is_p(b'(') || !t.get(q + 1)?.is_p(b')') {
            return None;
        }
        let (k2, q2) = chain_from(t, q + 2)?;
        key.drain(..4);
        key.extend_from_slice(b"()");
        key.extend_from_slice(&k2);
        q = q2;
    }
    let key = std::str::from_utf8(&key).ok()?;
    let (args, j) = lit_args(t, q)?;
    let s = strs(&args, 1)?[0];
    let b64 = [
        "base64.getdecoder().decode",
        "base64.getmimedecoder().decode",
        "base64.geturldecoder().decode",
        "base64decoder().decodebuffer",
        "base64.decodebase64",
        "base64.decode",
        "datatypeconverter.parsebase64binary",
        "convert.frombase64string",
    ];
    if b64.iter().any(|n| named(key, n)) {
        return Some((base64(s)?, j));
    }
    (named(key, "getbytes") && key.contains("encoding.")).then(|| (s.to_vec(), j))
}
