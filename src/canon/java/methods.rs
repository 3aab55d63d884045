//! Method calls on a literal string: `"a".concat("b")`, `.replace(...)`, `.substring(...)`,
//! `.toLowerCase()`, JScript's `.split("").reverse().join("")`.

use super::consts::{parse_num, replace};
use super::fold::{chain_from, lit_args, reverse_chars, strs};
use super::tok::{Dialect, Kind, Tok};

/// Method calls on a literal: `"a".concat("b")`, `.replace`, `.toLowerCase()`, JScript's
/// `.split("").reverse().join("")`.
pub(super) fn methods(t: &[Tok], i: usize, d: Dialect) -> Option<(Vec<u8>, usize)> {
    let mut v = t[i].text.to_vec();
    let mut j = i + 1;
    let mut any = false;
    for _ in 0..64 {
        let Some(m) = t
            .get(j + 1)
            .filter(|x| t[j].is_p(b'.') && x.kind == Kind::Ident)
        else {
            break;
        };
        let Some((args, k)) = lit_args(t, j + 2) else {
            break;
        };
        let Some((r, k)) = method(t, &m.text.to_ascii_lowercase(), &args, k, &v, d) else {
            break;
        };
        v = r;
        j = k;
        any = true;
    }
    any.then_some((v, j))
}

fn method(
    t: &[Tok],
    name: &[u8],
    args: &[&Tok],
    k: usize,
    v: &[u8],
    d: Dialect,
) -> Option<(Vec<u8>, usize)> {
    let none = args.is_empty();
    let r = match name {
        b"concat" => {
            let mut r = v.to_vec();
            for a in strs(args, args.len())? {
                r.extend_from_slice(a);
            }
            r
        }
        b"replace" if args.len() == 2 && args.iter().all(|a| a.kind != Kind::Num) => {
            let once = if d == Dialect::JScript { 1 } else { usize::MAX };
            replace(v, &args[0].text, &args[1].text, once)?
        }
        b"replaceall" => {
            let a = strs(args, 2)?;
            let meta = a[0].iter().any(|c| b"\\^$.|?*+()[]{}".contains(c))
                || a[1].iter().any(|c| b"$\\".contains(c));
            if meta {
                return None;
            }
            replace(v, a[0], a[1], usize::MAX)?
        }
        b"tostring" | b"intern" if none => v.to_vec(),
        // Java/JScript `substring(begin[, end])`, C# `Substring(start[, length])`; ASCII only.
        b"substring" if v.is_ascii() && args.iter().all(|a| a.kind == Kind::Num) => {
            let n: Vec<usize> = args
                .iter()
                .map(|a| usize::try_from(parse_num(&a.text)?).ok())
                .collect::<Option<_>>()?;
            let cs = matches!(d, Dialect::CSharp | Dialect::Vb);
            let (from, to) = match n.as_slice() {
                [a] => (*a, v.len()),
                [a, l] if cs => (*a, a.checked_add(*l)?),
                [a, b] => (*a, *b),
                _ => return None,
            };
            v.get(from..to)?.to_vec()
        }
        b"tolowercase" | b"tolower" | b"tolowerinvariant" if none => v.to_ascii_lowercase(),
        b"touppercase" | b"toupper" | b"toupperinvariant" if none => v.to_ascii_uppercase(),
        b"split" if strs(args, 1)?[0].is_empty() => {
            let (k2, q) = chain_from(t, k)?;
            let (a2, q2) = lit_args(t, q)?;
            if &k2[..] != b".reverse().join" || !strs(&a2, 1)?[0].is_empty() {
                return None;
            }
            return Some((reverse_chars(v), q2));
        }
        _ => return None,
    };
    Some((r, k))
}
