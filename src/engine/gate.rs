//! The record gate: for each log rule, literals one of which the line of every record the
//! rule can match must contain. A log line holding none of the gate's literals cannot match
//! any log rule, so it is not parsed at all (see `logscan::filter`); on a busy server that
//! is nearly every line.
//!
//! The literals are derived from the rules, never written by hand, and err on the side of
//! keeping lines: a rule whose condition can hold without any literal (a `not`, a `null`
//! test, a CIDR test, a regex without a required literal) gives no gate, and then every
//! line is parsed. Field values can differ from the bytes of the line in two ways, and the
//! literals allow for both:
//!
//! - IIS writes spaces as `+` in some fields, and `decoded` tests read `+` as a space: such
//!   a test's literal is the longest piece of its value without spaces or pluses, which
//!   the line holds in either form.
//! - `decoded` tests (and Apache paths) are percent-decoded: the caller also searches the
//!   line percent-decoded once and twice, the decodings those tests see.

use regex_syntax::ParserBuilder;

use super::atoms::{Atom, required_clauses, widen};
use crate::rules::{Expr, FieldName, FieldOp, FieldTest, PatternKind, Quantity, Rule, Selection};

/// Gate literals shorter than this are not taken; one byte is not selective at all.
const MIN_GATE_LEN: usize = 2;
/// A clause with more literals than this is dropped: the search would cost more than it saves.
const MAX_CLAUSE_LITERALS: usize = 512;

/// A set of lowercase literals one of which a line must hold.
pub type Clause = Vec<Vec<u8>>;

/// The clauses all of which the line of any record `rule` matches satisfies, or `None` when
/// the rule can match a line that holds none of its literals.
pub(crate) fn rule_gate(rule: &Rule) -> Option<Vec<Clause>> {
    normalize(need(rule, &rule.condition)?)
}

/// At most this many alternatives per rule: past it, the rule's `or`s are taken as unions
/// (see [`rule_gate`]) and the rule has one alternative.
const MAX_ALTERNATIVES: usize = 64;

/// The alternatives one of which the line of any record `rule` matches satisfies, each a set
/// of clauses all of which hold: the rule's condition written as an `or` of `and`s, so that
/// `1 of selection_*` gates each selection by its own best literal instead of one union of
/// every selection's literals, in which the weakest literal lets many lines through.
/// `None` when the rule can match a line that holds none of its literals.
pub(crate) fn rule_gate_alternatives(rule: &Rule) -> Option<Vec<Vec<Clause>>> {
    let single = || rule_gate(rule).map(|clauses| vec![clauses]);
    let Some(alts) = expand(rule, &rule.condition) else {
        return single();
    };
    let mut out = Vec::with_capacity(alts.len());
    for clauses in alts {
        match normalize(clauses) {
            Some(clauses) => out.push(clauses),
            // An alternative without a literal: every line may match it.
            None => return single(),
        }
    }
    if out.is_empty() {
        return single();
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// The condition as alternatives of clauses (an alternative with no clause holds on any
/// line); `None` when there would be more than [`MAX_ALTERNATIVES`].
fn expand(rule: &Rule, e: &Expr) -> Option<Vec<Vec<Clause>>> {
    let either = |parts: Vec<Vec<Vec<Clause>>>| {
        let alts: Vec<Vec<Clause>> = parts.into_iter().flatten().collect();
        (alts.len() <= MAX_ALTERNATIVES).then_some(alts)
    };
    let both = |parts: Vec<Vec<Vec<Clause>>>| {
        let mut alts: Vec<Vec<Clause>> = vec![Vec::new()];
        for part in parts {
            if alts.len() * part.len() > MAX_ALTERNATIVES {
                return None;
            }
            alts = alts
                .iter()
                .flat_map(|a| {
                    part.iter().map(move |p| {
                        let mut both = a.clone();
                        both.extend(p.iter().cloned());
                        both
                    })
                })
                .collect();
        }
        Some(alts)
    };
    match e {
        Expr::Or(es) => either(es.iter().map(|e| expand(rule, e)).collect::<Option<_>>()?),
        Expr::And(es) => both(es.iter().map(|e| expand(rule, e)).collect::<Option<_>>()?),
        Expr::Of(Quantity::Any | Quantity::AtLeast(1..), items) if !items.is_empty() => either(
            items
                .iter()
                .map(|&i| expand_item(rule, i))
                .collect::<Option<_>>()?,
        ),
        Expr::Of(Quantity::All, items) if !items.is_empty() => both(
            items
                .iter()
                .map(|&i| expand_item(rule, i))
                .collect::<Option<_>>()?,
        ),
        Expr::Matched(i) | Expr::At(i, _) => expand_item(rule, *i),
        _ => Some(vec![need(rule, e).unwrap_or_default()]),
    }
}

/// A condition item's alternatives: one per mapping of a selection that is a list of them.
fn expand_item(rule: &Rule, i: usize) -> Option<Vec<Vec<Clause>>> {
    let selection = i
        .checked_sub(rule.patterns.len())
        .and_then(|k| rule.selections.get(k));
    let alts = match selection {
        Some(sel) => sel
            .alternatives
            .iter()
            .map(|tests| all(tests.iter().map(test)).unwrap_or_default())
            .collect(),
        None => vec![item(rule, i).unwrap_or_default()],
    };
    (alts.len() <= MAX_ALTERNATIVES).then_some(alts)
}

/// Clauses lowercased, sorted and without what no line can be searched for; `None` when
/// none is left.
fn normalize(mut clauses: Vec<Clause>) -> Option<Vec<Clause>> {
    for clause in &mut clauses {
        for lit in clause.iter_mut() {
            lit.make_ascii_lowercase();
        }
        clause.sort();
        clause.dedup();
    }
    // A log line never holds a line break, and an empty literal is no test.
    clauses.retain(|c| {
        c.iter()
            .all(|l| !l.is_empty() && !l.contains(&b'\n') && !l.contains(&b'\r'))
    });
    clauses.sort();
    clauses.dedup();
    (!clauses.is_empty()).then_some(clauses)
}

/// Pieces of text that ordinary web server logs are full of: methods, status codes, common
/// path parts and user-agent tokens, in two tiers. A literal made mostly of them would let
/// many lines through, so other clauses are preferred.
///
/// Held by a large share of all lines.
const EVERYWHERE: &[&str] = &[
    "get",
    "post",
    "http",
    "https",
    "www",
    "200",
    "304",
    "mozilla",
    "windows",
    "win64",
    "x64",
    "nt",
    "10.0",
    "5.0",
    "gecko",
    "like",
    "khtml",
    "applewebkit",
    "safari",
    "chrome",
    "compatible",
    "/_layouts/",
    ".aspx",
    ".js",
    ".css",
];

/// Held by a good share of lines, in some logs more than in others.
const COMMON: &[&str] = &[
    "head",
    "204",
    "206",
    "301",
    "302",
    "400",
    "401",
    "403",
    "404",
    "500",
    "6.1",
    "20100101",
    "firefox",
    "msie",
    "trident",
    "/_vti_bin/",
    "/sites/",
    ".asp",
    ".php",
    ".png",
    ".jpg",
    ".gif",
    ".htm",
    "image",
    "index",
    "/wp-content/",
    "/wp-admin/",
    "/api/",
    "/static/",
    "/assets/",
    "user",
    "id",
    "ls",
    "dir",
    "ver",
];

/// How selective a clause is likely to be in a web server log, as (weakest literal,
/// fewer literals, shortest literal); higher is better. A literal counts by its length once
/// common pieces of four bytes or more are taken out (none is left of a literal inside a
/// common piece; short pieces such as `get` are only weak alone, `wget` is rare), and
/// among literals with nothing left, one inside a merely [`COMMON`] piece beats one inside
/// a piece found [`EVERYWHERE`].
pub fn selectivity(clause: &[Vec<u8>]) -> Selectivity {
    let inside = |pieces: &[&str], lit: &[u8]| {
        pieces
            .iter()
            .any(|c| memchr::memmem::find(c.as_bytes(), lit).is_some())
    };
    let score = |lit: &[u8]| {
        if inside(EVERYWHERE, lit) {
            return (0, 0);
        }
        if inside(COMMON, lit) {
            return (0, 1);
        }
        let mut rest = lit.to_vec();
        for common in EVERYWHERE.iter().chain(COMMON).filter(|c| c.len() >= 4) {
            while let Some(i) = memchr::memmem::find(&rest, common.as_bytes()) {
                rest.drain(i..i + common.len());
            }
        }
        (rest.len(), 2)
    };
    let weakest = clause.iter().map(|l| score(l)).min().unwrap_or((0, 0));
    let shortest = clause.iter().map(Vec::len).min().unwrap_or(0);
    (weakest, usize::MAX - clause.len(), shortest)
}

/// See [`selectivity`].
pub type Selectivity = ((usize, u8), usize, usize);

/// Parts all of which hold (an `and`): every clause of every part that has one.
fn all(parts: impl Iterator<Item = Option<Vec<Clause>>>) -> Option<Vec<Clause>> {
    let clauses: Vec<Clause> = parts.flatten().flatten().collect();
    (!clauses.is_empty()).then_some(clauses)
}

/// Parts one of which holds (an `or`): one clause, the union of each part's best clause;
/// `None` if any part has none.
fn any(parts: impl ExactSizeIterator<Item = Option<Vec<Clause>>>) -> Option<Vec<Clause>> {
    let mut parts = parts.peekable();
    if parts.len() == 1 {
        return parts.next()?;
    }
    let mut union = Vec::new();
    for part in parts {
        let best = part?.into_iter().max_by_key(|c| selectivity(c))?;
        union.extend(best);
        if union.len() > MAX_CLAUSE_LITERALS {
            return None;
        }
    }
    Some(vec![union])
}

fn need(rule: &Rule, e: &Expr) -> Option<Vec<Clause>> {
    match e {
        // A condition that never holds is ruled out by an empty clause.
        Expr::Const(false) => Some(vec![Vec::new()]),
        Expr::Const(true) | Expr::Not(_) | Expr::Filesize(..) | Expr::Stat(..) => None,
        Expr::Matched(i) | Expr::At(i, _) => item(rule, *i),
        Expr::Count(i, cmp, n) => {
            if cmp.holds(0, *n) {
                None
            } else {
                item(rule, *i)
            }
        }
        Expr::Of(q, items) => match q {
            Quantity::Any | Quantity::AtLeast(1..) => any(items.iter().map(|&i| item(rule, i))),
            Quantity::All if !items.is_empty() => all(items.iter().map(|&i| item(rule, i))),
            Quantity::All | Quantity::AtLeast(0) => None,
        },
        Expr::And(es) => all(es.iter().map(|e| need(rule, e))),
        Expr::Or(es) => any(es.iter().map(|e| need(rule, e))),
    }
}

/// A condition item: the rule's patterns first, then its selections.
fn item(rule: &Rule, i: usize) -> Option<Vec<Clause>> {
    if let Some(p) = rule.patterns.get(i) {
        return match &p.kind {
            PatternKind::Literal(bytes) => {
                let mut forms = Vec::new();
                if p.ascii {
                    forms.push(bytes.clone());
                }
                if p.wide {
                    forms.push(widen(bytes));
                }
                Some(vec![forms])
            }
            PatternKind::Regex(src) => regex_literals(src, p.nocase, false),
        };
    }
    selection(rule.selections.get(i - rule.patterns.len())?)
}

fn selection(sel: &Selection) -> Option<Vec<Clause>> {
    any(sel
        .alternatives
        .iter()
        .map(|tests| all(tests.iter().map(test))))
}

fn test(t: &FieldTest) -> Option<Vec<Clause>> {
    if t.null {
        return None;
    }
    let split = t.decoded || matches!(&t.field, FieldName::Known(f) if f.plus_is_space());
    // `c-uri` joins stem and query with `?`, which IIS writes as a space between fields.
    let split = split || t.field == FieldName::Uri;
    let per_value = |v: &String| -> Option<Vec<Clause>> {
        match t.op {
            FieldOp::Equals | FieldOp::Contains | FieldOp::StartsWith | FieldOp::EndsWith => {
                let clauses: Vec<Clause> = pieces(v.as_bytes(), split)
                    .filter(|p| p.len() >= MIN_GATE_LEN)
                    .map(|p| vec![p.to_vec()])
                    .collect();
                (!clauses.is_empty()).then_some(clauses)
            }
            FieldOp::Regex => regex_literals(v, false, split),
            FieldOp::Cidr | FieldOp::Exists(_) | FieldOp::FieldRef => None,
        }
    };
    if t.values.is_empty() {
        return None;
    }
    if t.all {
        all(t.values.iter().map(per_value))
    } else {
        any(t.values.iter().map(per_value))
    }
}

/// The parts of `value` the line holds as they are: all of it, or when spaces may be
/// written as `+` (or `+` read as a space) each piece without either.
fn pieces(value: &[u8], split: bool) -> impl Iterator<Item = &[u8]> {
    let mut whole = Some(value);
    let mut parts = value.split(|&b| b == b' ' || b == b'+' || b == b'?');
    std::iter::from_fn(move || if split { parts.next() } else { whole.take() })
}

/// The longest of [`pieces`], when long enough to search for.
fn piece(value: &[u8], split: bool) -> Option<Vec<u8>> {
    let p = pieces(value, split).max_by_key(|p| p.len())?;
    (p.len() >= MIN_GATE_LEN).then(|| p.to_vec())
}

/// The clauses a regex requires; `None` when it requires no literal.
fn regex_literals(src: &str, nocase: bool, split: bool) -> Option<Vec<Clause>> {
    let hir = ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .case_insensitive(nocase)
        .build()
        .parse(src)
        .ok()?;
    let score = |set: &[Atom]| {
        let lits: Vec<Vec<u8>> = set.iter().map(|a| a.bytes.to_ascii_lowercase()).collect();
        let (weakest, fewer, shortest) = selectivity(&lits);
        // (Residual length and tier, in one number that orders the same.)
        let weakest = weakest.0 * 4 + usize::from(weakest.1);
        (shortest >= MIN_GATE_LEN, weakest, fewer, shortest)
    };
    let clauses: Vec<Clause> = required_clauses(&hir, MIN_GATE_LEN, &score)
        .into_iter()
        .filter_map(|set| {
            set.into_iter()
                .map(|Atom { bytes, .. }| piece(&bytes, split))
                .collect::<Option<Clause>>()
        })
        .collect();
    (!clauses.is_empty()).then_some(clauses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Loader;

    type Gate = Option<Vec<Vec<String>>>;

    /// Clauses of literals as text, to compare with what a test expects.
    fn strings(clauses: Vec<Vec<Vec<u8>>>) -> Vec<Vec<String>> {
        clauses
            .into_iter()
            .map(|c| {
                c.into_iter()
                    .map(|b| String::from_utf8(b).unwrap())
                    .collect()
            })
            .collect()
    }

    fn gates_of(l: Loader) -> Vec<(String, Gate)> {
        let (rules, _) = l.finish().unwrap_or_else(|e| panic!("{:?}", e.0));
        rules
            .iter()
            .filter(|r| r.scope == crate::rules::Scope::Log)
            .map(|r| {
                let g = rule_gate(r).map(strings);
                (r.id.clone(), g)
            })
            .collect()
    }

    fn gate(body: &str) -> Gate {
        let mut l = Loader::new();
        l.add_text(
            "t.yml",
            &format!("rules:\n  - id: L\n    name: n\n    severity: low\n    scope: log\n{body}"),
        );
        gates_of(l).remove(0).1
    }

    fn clauses(v: &[&[&str]]) -> Gate {
        Some(
            v.iter()
                .map(|c| c.iter().map(|s| s.to_string()).collect())
                .collect(),
        )
    }

    #[test]
    fn rarer_pieces_rank_higher() {
        let sel = |lits: &[&str]| {
            selectivity(
                &lits
                    .iter()
                    .map(|l| l.as_bytes().to_vec())
                    .collect::<Vec<_>>(),
            )
        };
        // A method in every other line < a path part in many < a word found in few.
        assert!(sel(&["post"]) < sel(&["image", "upload"]));
        assert!(sel(&["image", "upload"]) < sel(&["upload"]));
        // What is left once common pieces are taken out counts, not the whole length.
        assert!(sel(&["firefox/120.0"]) < sel(&["rv:120.0)"]));
        assert!(sel(&["wget"]) > sel(&["get"]));
    }

    #[test]
    fn and_keeps_every_part_or_takes_the_union() {
        let g = gate(
            "    selections:\n      a:\n        cs-method: POST\n        cs-uri-stem|endswith: [/ToolPane.aspx, /Other.aspx]\n      b:\n        cs-uri-query|contains: spinstall\n    condition: a and b\n",
        );
        assert_eq!(
            g,
            clauses(&[
                &["/other.aspx", "/toolpane.aspx"],
                &["post"],
                &["spinstall"]
            ])
        );
        let g = gate(
            "    selections:\n      a:\n        cs-method: POST\n        cs-uri-stem|endswith: [/ToolPane.aspx, /Other.aspx]\n      b:\n        cs-uri-query|contains: spinstall\n    condition: a or b\n",
        );
        assert_eq!(
            g,
            clauses(&[&["/other.aspx", "/toolpane.aspx", "spinstall"]])
        );
    }

    #[test]
    fn plus_fields_and_decoded_tests_keep_the_longest_piece() {
        let g = gate(
            "    selections:\n      ua:\n        cs-user-agent: 'Mozilla/5.0 (Windows NT 10.0; x64) Firefox/120.0'\n    condition: ua\n",
        );
        assert_eq!(
            g,
            clauses(&[
                &["(windows"],
                &["10.0;"],
                &["firefox/120.0"],
                &["mozilla/5.0"],
                &["nt"],
                &["x64)"]
            ])
        );
        let g = gate(
            "    selections:\n      q:\n        cs-uri-query|decoded|contains: 'cmd /c'\n    condition: q\n",
        );
        assert_eq!(g, clauses(&[&["/c"], &["cmd"]]));
    }

    #[test]
    fn rules_that_can_match_without_a_literal_have_no_gate() {
        for body in [
            "    selections:\n      a:\n        cs-referer: null\n    condition: a\n",
            "    selections:\n      a:\n        c-ip|cidr: 10.0.0.0/8\n    condition: a\n",
            "    selections:\n      a:\n        cs-method: POST\n    condition: not a\n",
            "    selections:\n      a:\n        cs-uri-query|re: '\\w+=\\d+'\n    condition: a\n",
            "    selections:\n      a:\n        cs-method: POST\n      b:\n        cs-referer|exists: true\n    condition: a or b\n",
        ] {
            assert_eq!(gate(body), None, "{body}");
        }
        // A part without literals does not spoil an `and`.
        let g = gate(
            "    selections:\n      a:\n        cs-method: POST\n      b:\n        cs-referer: null\n    condition: a and not b\n",
        );
        assert_eq!(g, clauses(&[&["post"]]));
    }

    #[test]
    fn regexes_and_raw_patterns() {
        let g = gate(
            "    selections:\n      q:\n        cs-uri-query|re: '(?i)(?:^|&)(?:cmd|exec)=(?:id|ls)'\n    condition: q\n",
        );
        assert_eq!(g, clauses(&[&["cmd=id", "cmd=ls", "exec=id", "exec=ls"]]));
        let g = gate(
            "    patterns:\n      t: { text: \"Signout With ToolPane\", nocase: true }\n      w: { text: \"abc\", wide: true }\n    condition: t or w\n",
        );
        assert_eq!(g, clauses(&[&["a\0b\0c\0", "signout with toolpane"]]));
    }

    fn alternatives(body: &str) -> Option<Vec<Vec<Vec<String>>>> {
        let mut l = Loader::new();
        l.add_text(
            "t.yml",
            &format!("rules:\n  - id: L\n    name: n\n    severity: low\n    scope: log\n{body}"),
        );
        let (rules, _) = l.finish().unwrap_or_else(|e| panic!("{:?}", e.0));
        rule_gate_alternatives(&rules[0]).map(|alts| alts.into_iter().map(strings).collect())
    }

    #[test]
    fn each_branch_of_an_or_is_gated_by_its_own_clauses() {
        let sels = "    selections:\n      a:\n        cs-method: POST\n        cs-uri-stem|endswith: /ToolPane.aspx\n      b:\n        cs-uri-query|contains: spinstall\n      c:\n        cs-referer|contains: [signout, logout]\n";
        let s = |v: &[&[&str]]| -> Vec<Vec<String>> {
            v.iter()
                .map(|c| c.iter().map(|l| l.to_string()).collect())
                .collect()
        };
        // Not one union clause of `/toolpane.aspx` (or `post`) and `spinstall`.
        assert_eq!(
            alternatives(&format!("{sels}    condition: a or b\n")),
            Some(vec![
                s(&[&["/toolpane.aspx"], &["post"]]),
                s(&[&["spinstall"]])
            ])
        );
        assert_eq!(
            alternatives(&format!("{sels}    condition: 1 of them\n")),
            Some(vec![
                s(&[&["/toolpane.aspx"], &["post"]]),
                s(&[&["logout", "signout"]]),
                s(&[&["spinstall"]])
            ])
        );
        // `and` distributes over the branches.
        assert_eq!(
            alternatives(&format!("{sels}    condition: c and (a or b)\n")),
            Some(vec![
                s(&[&["/toolpane.aspx"], &["logout", "signout"], &["post"]]),
                s(&[&["logout", "signout"], &["spinstall"]])
            ])
        );
        // A branch that can hold without a literal leaves the rule ungated, as before.
        assert_eq!(
            alternatives(&format!("{sels}    condition: a or not b\n")),
            None
        );
        // A part without literals only drops out of an `and`.
        assert_eq!(
            alternatives(&format!("{sels}    condition: b and not a\n")),
            Some(vec![s(&[&["spinstall"]])])
        );
    }

    #[test]
    fn every_bundled_log_rule_has_a_gate() {
        let mut l = Loader::new();
        l.add_bundled();
        for (id, g) in gates_of(l) {
            assert!(g.is_some(), "{id} has no gate");
            eprintln!("{id}: {g:?}");
        }
    }
}
