//! Atoms: the literal byte strings that stand for patterns in the one shared automaton.
//!
//! A text or hex pattern is its own atom. A regex gets a set of literals one of which every
//! match must contain; the regex then runs only near places where one was found. A regex
//! without such a set (or with atoms too short to be selective) is reported as slow and runs
//! over every file its rule applies to.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Atoms shorter than this hit too often to be worth prefiltering on.
pub(crate) const MIN_ATOM_LEN: usize = 3;
/// More alternatives than this make a poor prefilter; the regex is treated as atom-less.
const MAX_ATOMS_PER_REGEX: usize = 64;

/// One literal; `nocase` asks for ASCII case-insensitive comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Atom {
    pub(crate) bytes: Vec<u8>,
    pub(crate) nocase: bool,
}

/// The UTF-16LE form of ASCII-oriented bytes: each byte followed by a zero.
pub(crate) fn widen(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().flat_map(|&b| [b, 0]).collect()
}

/// A set of literals such that every match of `hir` contains at least one of them, chosen
/// to be as selective as the expression allows. `None` when there is no such set of atoms of
/// at least [`MIN_ATOM_LEN`] bytes.
pub(crate) fn regex_atoms(hir: &Hir) -> Option<Vec<Atom>> {
    let set = required(hir)?;
    let shortest = set.iter().map(|a| a.bytes.len()).min()?;
    (shortest >= MIN_ATOM_LEN).then_some(set)
}

/// The best required set for a node, or `None`.
fn required(hir: &Hir) -> Option<Vec<Atom>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Literal(lit) => Some(vec![Atom {
            bytes: lit.0.to_vec(),
            nocase: false,
        }]),
        HirKind::Class(c) => unit(c).map(|(b, nocase)| {
            vec![Atom {
                bytes: vec![b],
                nocase,
            }]
        }),
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub),
        HirKind::Repetition(_) => None,
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for b in branches {
                all.extend(required(b)?);
                if all.len() > MAX_ATOMS_PER_REGEX {
                    return None;
                }
            }
            all.dedup();
            Some(all)
        }
        HirKind::Concat(children) => {
            // Runs of adjacent single-byte units form literals; other children may offer
            // their own sets. The most selective candidate wins.
            let mut best: Option<Vec<Atom>> = None;
            let mut run = Atom {
                bytes: Vec::new(),
                nocase: false,
            };
            let consider = |cand: Vec<Atom>, best: &mut Option<Vec<Atom>>| {
                if score(&cand) > best.as_ref().map_or((0, 0), |b| score(b)) {
                    *best = Some(cand);
                }
            };
            for child in children {
                match unit_run(child) {
                    Some((bytes, nocase)) => {
                        run.bytes.extend_from_slice(&bytes);
                        run.nocase |= nocase;
                    }
                    None => {
                        if !run.bytes.is_empty() {
                            consider(
                                vec![std::mem::replace(
                                    &mut run,
                                    Atom {
                                        bytes: Vec::new(),
                                        nocase: false,
                                    },
                                )],
                                &mut best,
                            );
                        }
                        if let Some(set) = required(child) {
                            consider(set, &mut best);
                        }
                    }
                }
            }
            if !run.bytes.is_empty() {
                consider(vec![run], &mut best);
            }
            best
        }
    }
}

/// Higher is better: first the shortest atom's length, then fewer atoms.
fn score(set: &[Atom]) -> (usize, usize) {
    let shortest = set.iter().map(|a| a.bytes.len()).min().unwrap_or(0);
    (shortest, usize::MAX - set.len())
}

/// A child of a concatenation that is a fixed run of bytes (a literal, or a class of one byte
/// or of one ASCII letter in both cases).
fn unit_run(hir: &Hir) -> Option<(Vec<u8>, bool)> {
    match hir.kind() {
        HirKind::Literal(lit) => Some((lit.0.to_vec(), false)),
        HirKind::Class(c) => unit(c).map(|(b, nocase)| (vec![b], nocase)),
        _ => None,
    }
}

/// A class that stands for one byte, or one ASCII letter in either case.
fn unit(class: &Class) -> Option<(u8, bool)> {
    let ranges: Vec<(u32, u32)> = match class {
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
    };
    match ranges.as_slice() {
        [(a, b)] if a == b && *a < 0x80 => Some((*a as u8, false)),
        [(a, b), (c, d)] if a == b && c == d && *c < 0x80 => {
            let (lo, hi) = (*a as u8, *c as u8);
            (lo.is_ascii_uppercase() && hi == lo.to_ascii_lowercase()).then_some((hi, true))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atoms(re: &str) -> Option<Vec<(String, bool)>> {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(re)
            .unwrap();
        regex_atoms(&hir).map(|v| {
            v.into_iter()
                .map(|a| (String::from_utf8(a.bytes).unwrap(), a.nocase))
                .collect()
        })
    }

    fn one(s: &str, nocase: bool) -> Option<Vec<(String, bool)>> {
        Some(vec![(s.to_owned(), nocase)])
    }

    #[test]
    fn prefix_inner_and_suffix_literals() {
        assert_eq!(atoms(r"eval\s*\(\s*\$_POST"), one("$_POST", false));
        assert_eq!(atoms(r"\w+\.ValidationKey"), one(".ValidationKey", false));
        assert_eq!(atoms(r"[a-z]{3}Runtime\d"), one("Runtime", false));
    }

    #[test]
    fn alternations_give_a_set() {
        let set = atoms(r"(system|passthru|shell_exec)\s*\(").unwrap();
        assert_eq!(set.len(), 3);
        assert!(set.contains(&("passthru".into(), false)));
        assert_eq!(atoms(r"(abc|x)"), None);
    }

    #[test]
    fn case_insensitive_regexes_give_nocase_atoms() {
        assert_eq!(atoms(r"(?i)eval\("), one("eval(", true));
        assert_eq!(atoms(r"Re(?i:quest)"), one("Request", true));
    }

    #[test]
    fn regexes_without_a_usable_literal() {
        assert_eq!(atoms(r"\w+\s+\d+"), None);
        assert_eq!(atoms(r"ab\d"), None);
        assert_eq!(atoms(r"(eval)?\("), None);
        assert_eq!(atoms(r"[A-Za-z0-9+/]{100,}"), None);
    }

    #[test]
    fn required_repetitions_keep_their_literal() {
        assert_eq!(atoms(r"(?:chr\(\d+\)\.){5}"), one("chr(", false));
    }

    #[test]
    fn widen_interleaves_zero_bytes() {
        assert_eq!(widen(b"MZ"), b"M\0Z\0");
    }
}
