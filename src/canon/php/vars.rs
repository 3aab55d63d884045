//! Variables that hold one literal: found in one pass over the tokens, then put where
//! they are called, named (`$$v`), joined, indexed or passed, so the next fold round can use
//! them. Scopes are not tracked; a name written in any other way anywhere is left alone.

/// foldhash, seeded per process: names come from hostile files, and SipHash (the default)
/// was a visible part of folding real code.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

use super::fold::{ASSIGN, expr_keyword, fn_name, str_tok, var_name};
use super::lex::{Kind, Tok};

/// A variable's literal is put where it is used only when it is this short: names and
/// pieces of names, not payloads copied into every use.
const MAX_VALUE: usize = 1024;

/// What the file does to one variable.
#[derive(Default)]
struct Uses {
    /// The literals it is given: by one `=`, then by `.=` before it is read.
    lits: Vec<usize>,
    /// Read since its first literal.
    read: bool,
    /// Written otherwise, or given literals in a way that has no single value.
    other: bool,
}

/// Puts the literal of every variable assigned exactly one literal (or one and appended
/// literals before any use) where the variable is called, named (`$$v`) or joined; true when
/// it changed something.
pub(super) fn resolve(raw: &[u8], toks: &mut Vec<Tok>, budget: &mut usize) -> bool {
    // Only a name given a literal somewhere can resolve: those are found first, and only
    // their uses are followed (every variable token of every lexed file was a map entry).
    let given = Given::of(raw, toks);
    if given.names.is_empty() {
        return false;
    }
    resolve_names(raw, toks, budget, |name| given.holds(name))
}

/// [`resolve`], following the uses of the names `tracked` takes (the others keep their
/// tokens): a name that is given no literal anywhere has no value to put in.
fn resolve_names(
    raw: &[u8],
    toks: &mut Vec<Tok>,
    budget: &mut usize,
    tracked: impl Fn(&[u8]) -> bool,
) -> bool {
    let mut uses: HashMap<&[u8], Uses> = HashMap::default();
    // Parameters, `list(...)` and `catch (...)` bind what is inside their parentheses.
    let mut binder_pending = false;
    let mut binder_depth = 0usize;
    for i in 0..toks.len() {
        let t = &toks[i];
        match t.kind {
            Kind::Ident => {
                let w = t.text(raw);
                let binders: [&[u8]; 4] = [b"function", b"fn", b"list", b"catch"];
                if binders.iter().any(|b| w.eq_ignore_ascii_case(b)) {
                    binder_pending = true;
                }
                continue;
            }
            Kind::Punct => {
                match t.text(raw) {
                    b"(" if binder_pending => {
                        binder_pending = false;
                        binder_depth = 1;
                    }
                    b"(" if binder_depth > 0 => binder_depth += 1,
                    b")" if binder_depth > 0 => binder_depth -= 1,
                    b"{" | b";" => binder_pending = false,
                    _ => {}
                }
                continue;
            }
            Kind::Var => {}
            _ => continue,
        }
        let prev = i.checked_sub(1).map(|k| &toks[k]);
        if prev.is_some_and(|p| p.punct(raw, b"$")) || !tracked(t.text(raw)) {
            continue;
        }
        let literal = |op: &[u8]| literal_after(raw, toks, i, op);
        let punct_at = |k: usize, s: &[&[u8]]| {
            toks.get(k)
                .is_some_and(|t| t.kind == Kind::Punct && s.contains(&t.text(raw)))
        };
        let write = binder_depth > 0
            || punct_at(i + 1, &ASSIGN)
            || (punct_at(i + 1, &[b"["]) && punct_at(i + 2, &[b"]"]))
            || (punct_at(i + 1, &[b"[", b"{"])
                && punct_at(i + 3, &[b"]", b"}"])
                && punct_at(i + 4, &ASSIGN))
            || prev.is_some_and(|p| {
                matches!(p.text(raw), b"++" | b"--" | b"&")
                    || (p.kind == Kind::Ident
                        && !expr_keyword(raw, p)
                        && ![&b"global"[..], b"static", b"new", b"instanceof"]
                            .iter()
                            .any(|k| p.text(raw).eq_ignore_ascii_case(k)))
            })
            || (prev.is_some_and(|p| p.punct(raw, b"=>"))
                && i >= 3
                && toks[i - 3].is(raw, Kind::Ident, b"as"));
        let u = uses.entry(t.text(raw)).or_default();
        if binder_depth > 0 {
            u.other = true;
        } else if literal(b"=") {
            u.other |= !u.lits.is_empty();
            u.lits.push(i + 2);
        } else if literal(b".=") {
            u.other |= u.lits.is_empty() || u.read;
            u.lits.push(i + 2);
        } else if write {
            u.other = true;
        } else if !u.lits.is_empty() {
            u.read = true;
        }
    }
    let values: HashMap<Vec<u8>, Vec<u8>> = uses
        .into_iter()
        .filter(|(_, u)| !u.other && !u.lits.is_empty())
        .filter_map(|(name, u)| {
            let v: Vec<u8> = u
                .lits
                .iter()
                .flat_map(|&k| toks[k].text(raw))
                .copied()
                .collect();
            (v.len() <= MAX_VALUE).then(|| (name.to_vec(), v))
        })
        .collect();
    if values.is_empty() {
        return false;
    }
    substitute(raw, toks, &values, budget)
}

/// Whether `toks[i]` (a variable) is given a literal by `op` (`=` or `.=`): `$v = '...';`.
fn literal_after(raw: &[u8], toks: &[Tok], i: usize, op: &[u8]) -> bool {
    toks.get(i + 1).is_some_and(|n| n.punct(raw, op))
        && toks.get(i + 2).is_some_and(|v| v.kind == Kind::Str)
        && toks
            .get(i + 3)
            .is_none_or(|e| e.kind == Kind::Raw || matches!(e.text(raw), b";" | b")" | b","))
}

/// The names of the variables given a literal (by `=` or `.=`) anywhere in a file, and a
/// 64-bit sketch of them (a bit per name, by its length and last byte) that turns away most
/// other names before they are compared.
struct Given {
    names: Vec<Box<[u8]>>,
    sketch: u64,
}

impl Given {
    fn of(raw: &[u8], toks: &[Tok]) -> Given {
        let mut given = Given {
            names: Vec::new(),
            sketch: 0,
        };
        for (i, t) in toks.iter().enumerate() {
            if t.kind == Kind::Var
                && (literal_after(raw, toks, i, b"=") || literal_after(raw, toks, i, b".="))
            {
                let name = t.text(raw);
                if !given.holds(name) {
                    given.names.push(name.into());
                    given.sketch |= sketch(name);
                }
            }
        }
        given
    }

    fn holds(&self, name: &[u8]) -> bool {
        self.sketch & sketch(name) != 0 && self.names.iter().any(|n| **n == *name)
    }
}

fn sketch(name: &[u8]) -> u64 {
    let last = name.last().copied().unwrap_or(0);
    1 << ((name.len().wrapping_mul(7) ^ usize::from(last)) & 63)
}

/// What [`substitute`] does with the token at its read cursor.
enum Step {
    Keep,
    /// `$` and the variable after it become the variable this name is.
    Named(Vec<u8>),
    /// The variable becomes the function it holds the name of.
    Called(Vec<u8>),
    /// The variable becomes its literal.
    Literal(Vec<u8>),
}

/// Rewrites `toks` in place: a token becomes at most one token (`$` and its variable become
/// one), so the write cursor never passes the read cursor and what is read ahead is not yet
/// written. A second stream would double what a big file's tokens hold at once (a php font
/// table's 700k tokens are 17 MB).
fn substitute(
    raw: &[u8],
    toks: &mut Vec<Tok>,
    values: &HashMap<Vec<u8>, Vec<u8>>,
    budget: &mut usize,
) -> bool {
    let mut changed = false;
    let (mut w, mut i) = (0, 0);
    while i < toks.len() {
        let (new, used) = match next_step(raw, toks, (w, i), values, budget) {
            // Until a `$$v` joins two tokens, a kept token is already where it goes.
            Step::Keep if w == i => {
                (w, i) = (w + 1, i + 1);
                continue;
            }
            Step::Keep => (take(&mut toks[i]), 1),
            Step::Named(name) => {
                let end = toks[i + 1].end;
                let mut var = take(&mut toks[i]);
                var.kind = Kind::Var;
                var.set_val(name);
                var.end = end;
                (var, 2)
            }
            Step::Called(v) => {
                let mut new = take(&mut toks[i]);
                new.kind = Kind::Ident;
                new.set_val(v);
                (new, 1)
            }
            Step::Literal(v) => (str_tok(&toks[i], toks[i].end, v), 1),
        };
        changed |= used == 2 || new.kind != toks[i].kind;
        toks[w] = new;
        w += 1;
        i += used;
    }
    toks.truncate(w);
    changed
}

/// The token moved out of `t` (its literal taken, not copied); `t` keeps its kind and
/// place, for the comparison after.
fn take(t: &mut Tok) -> Tok {
    Tok {
        val: t.val.take(),
        ..*t
    }
}

/// The step for `toks[i]`, with `toks[..w]` already written (`toks[w - 1]` is the token
/// before it in the output).
fn next_step(
    raw: &[u8],
    toks: &[Tok],
    (w, i): (usize, usize),
    values: &HashMap<Vec<u8>, Vec<u8>>,
    budget: &mut usize,
) -> Step {
    let t = &toks[i];
    // Only a variable or the `$` of `$$v` can change: most tokens are neither.
    if t.kind != Kind::Var && !t.punct(raw, b"$") {
        return Step::Keep;
    }
    let prev = w.checked_sub(1).map(|k| &toks[k]);
    let next = toks.get(i + 1);
    let value = |t: &Tok| {
        (t.kind == Kind::Var)
            .then(|| values.get(t.text(raw)))
            .flatten()
    };
    // `$$v` names the variable whose name `$v` holds.
    if t.punct(raw, b"$")
        && let Some(v) = next
            .and_then(value)
            .filter(|v| var_name(v) && v.len() < *budget)
    {
        *budget -= v.len() + 1;
        let mut name = vec![b'$'];
        name.extend_from_slice(v);
        return Step::Named(name);
    }
    let v = if prev.is_some_and(|p: &Tok| p.punct(raw, b"$")) {
        None
    } else {
        value(t)
    };
    let Some(v) = v.filter(|v| v.len() <= *budget) else {
        return Step::Keep;
    };
    let is_p = |t: Option<&Tok>, s: &[&[u8]]| {
        t.is_some_and(|t| t.kind == Kind::Punct && s.contains(&t.text(raw)))
    };
    let after = |k: usize| toks.get(i + k);
    let assigned = is_p(next, &ASSIGN)
        || (is_p(next, &[b"["]) && is_p(after(2), &[b"]"]))
        || (is_p(next, &[b"[", b"{"]) && is_p(after(4), &ASSIGN));
    let indexed = is_p(next, &[b"[", b"{"])
        && after(2).is_some_and(|t| t.kind == Kind::Num)
        && is_p(after(3), &[b"]", b"}"]);
    if assigned {
        Step::Keep
    } else if is_p(next, &[b"("]) && fn_name(v) {
        *budget -= v.len();
        Step::Called(v.clone())
    } else if (is_p(prev, &[b".", b"^"]) || is_p(next, &[b".", b"^"]))
        && !is_p(next, &[b"[", b"->", b"?->", b"::", b"{"])
        || (is_p(prev, &[b"(", b","]) && is_p(next, &[b")", b","]))
        || (is_p(prev, &[b"["]) && is_p(next, &[b"]"]))
        || (is_p(prev, &[b"="]) && is_p(next, &[b";"]))
        || indexed
    {
        *budget -= v.len();
        Step::Literal(v.clone())
    } else {
        Step::Keep
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::lex;
    use super::*;

    fn texts(raw: &[u8], toks: &[Tok]) -> Vec<(Kind, Vec<u8>)> {
        toks.iter()
            .map(|t| (t.kind, t.text(raw).to_vec()))
            .collect()
    }

    proptest! {
        /// Following only the names given a literal resolves what following every name
        /// does: statements that give, append, copy, bind, write, call, name and join
        /// variables, in any order.
        #[test]
        fn following_the_given_names_resolves_as_following_all(
            stmts in prop::collection::vec((0usize..16, 0usize..4, 0usize..4), 0..30),
        ) {
            const VARS: [&str; 4] = ["$a", "$b", "$fn", "$A"];
            let mut src = String::from("<?php ");
            for (form, x, y) in stmts {
                let (x, y) = (VARS[x], VARS[y]);
                src += &match form {
                    0 => format!("{x} = 'system';"),
                    1 => format!("{x} .= 'ec';"),
                    2 => format!("{x} = {y};"),
                    3 => format!("{x}($_GET[1]);"),
                    4 => format!("echo {x} . 'y';"),
                    5 => format!("function g({x} = 'd') {{"),
                    6 => "}".to_string(),
                    7 => format!("list({x}) = [1];"),
                    8 => format!("{x}[] = 1;"),
                    9 => format!("${x} = 2;"),
                    10 => format!("foreach ($r as $k => {x}) {{"),
                    11 => format!("f({x}, {y});"),
                    12 => format!("{x} = 'pass' . 'thru';"),
                    13 => format!("global {x};"),
                    14 => format!("{x}++;"),
                    _ => format!("{x} = \"a\" ;"),
                };
            }
            let raw = src.as_bytes();
            let (mut given, mut every) = (lex::lex(raw), lex::lex(raw));
            let (mut b1, mut b2) = (1 << 20, 1 << 20);
            let a = resolve(raw, &mut given, &mut b1);
            let b = resolve_names(raw, &mut every, &mut b2, |_| true);
            prop_assert_eq!(a, b);
            prop_assert_eq!(b1, b2);
            prop_assert_eq!(texts(raw, &given), texts(raw, &every));
        }
    }
}
