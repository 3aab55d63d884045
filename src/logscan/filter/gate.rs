//! The literal gate of the line filter: which lines hold, for some rule, a literal of every
//! one of its clauses (in the line as written, or percent-decoded up to three times).

use aho_corasick::AhoCorasick;

use crate::engine::selectivity;
use crate::logs::{LogFormat, percent_escapes};

use super::Marks;
use super::primary::{Primary, WINDOW, searcher};

/// Two stages, the second run only on what the first let through: a line must hold a
/// literal of every clause of some rule to be parsed.
pub(super) struct Gate {
    /// Stage one, over whole chunks: the literals of the most selective clause of each
    /// rule, none holding another. Short and long literals are searched apart (the search
    /// compares a fingerprint of as many leading bytes as the shortest literal has, so one
    /// short literal would make every long one slower to find), case-sensitively in
    /// lowercased text, which lets the search use its SIMD prefilter (it has none for ASCII
    /// case-insensitive searches).
    primary: Vec<Primary>,
    /// Per byte value: where it occurs in the primary literals, as (searcher, literal,
    /// offset). A literal that percent-decoding brings into a line holds a decoded byte, so
    /// decoded lines are checked only around those.
    by_byte: Vec<Vec<(u8, u32, usize)>>,
    /// Stage two, per alternative: the indices in `clauses` of every clause but its
    /// primary, most selective first, each searched in lines that hold the alternative's
    /// primary literal until one is missing; first the primary clause itself when a
    /// shorter literal stands for it in stage one (which then lets through lines that do
    /// not hold it). A line passes for the rules one of whose alternatives has every clause.
    checks: Vec<Vec<u32>>,
    /// The bytes of the primary literals: a line's escapes are decoded for stage one only
    /// when they decode to one of these (or to what could form another escape).
    primary_bytes: ByteSet,
    /// The distinct clauses of `checks`, each one searcher and the bytes of its literals.
    clauses: Vec<(AhoCorasick, ByteSet)>,
    /// Per alternative: the rule it is one of.
    owner: Vec<u32>,
}

/// Past this many places in the primary literals where a decoded byte occurs, the decoded
/// line is searched rather than compared at each.
const MAX_COMPARED: usize = 24;

impl Gate {
    /// Finds the primary literals in a chunk of text that starts at decoded offset `base`.
    pub(super) fn mark(&self, chunk: &[u8], base: u64, marks: &mut Marks) {
        if self.primary.is_empty() {
            return;
        }
        marks.lower.clear();
        marks.base = base;
        marks.lower.extend(chunk.iter().map(u8::to_ascii_lowercase));
        // Primary literals never span lines, so a search that resumes after each match
        // still finds one in every line that holds any.
        for (k, primary) in self.primary.iter().enumerate() {
            let hits = &mut marks.hits;
            primary.occurrences(&marks.lower, |at, lit| {
                hits.push((base + at as u64, k as u8, lit as u32));
            });
        }
        marks.hits.sort_unstable();
    }

    /// `gates`: alternatives, as (rule, clauses); a line passes for a rule when it
    /// satisfies every clause of one of the rule's alternatives.
    pub(super) fn new(gates: &[(u32, Vec<Vec<Vec<u8>>>)]) -> Option<Gate> {
        // Primary literals, with the alternative each stands for.
        let mut primary: Vec<(Vec<u8>, u32)> = Vec::new();
        let mut checks: Vec<Vec<u32>> = Vec::new();
        let mut clauses: Vec<(AhoCorasick, ByteSet)> = Vec::new();
        let mut clause_index: std::collections::HashMap<Vec<Vec<u8>>, u32> = Default::default();
        let mut clause_id = |clause: &Vec<Vec<u8>>| -> Option<u32> {
            Some(match clause_index.get(clause) {
                Some(&k) => k,
                None => {
                    clauses.push((searcher(clause)?, ByteSet::of(clause.iter())));
                    let k = (clauses.len() - 1) as u32;
                    clause_index.insert(clause.clone(), k);
                    k
                }
            })
        };
        let mut best_clauses = Vec::new();
        for (r, (_, alt)) in gates.iter().enumerate() {
            let mut ranked: Vec<&Vec<Vec<u8>>> = alt.iter().collect();
            ranked.sort_by_key(|c| std::cmp::Reverse(selectivity(c)));
            if let Some(best) = ranked.first() {
                primary.extend(best.iter().map(|l| (l.clone(), r as u32)));
            }
            best_clauses.push(ranked.first().copied());
            // The rest, each ruling out most of what the ones before let through: among
            // clauses equally weak by their common pieces, the one with the longest
            // literals first.
            let mut rest: Vec<&Vec<Vec<u8>>> = ranked.iter().skip(1).copied().collect();
            rest.sort_by_key(|c| {
                let (weakest, fewer, shortest) = selectivity(c);
                std::cmp::Reverse((weakest, shortest, fewer))
            });
            checks.push(
                rest.into_iter()
                    .map(&mut clause_id)
                    .collect::<Option<Vec<u32>>>()?,
            );
        }
        // A literal that holds another adds nothing to the search: the one it holds stands
        // for its rules too. Then no kept literal is a prefix of another.
        primary.sort_by_key(|(l, _)| l.len());
        let mut kept: Vec<(Vec<u8>, Vec<u32>)> = Vec::new();
        let mut stands_in = vec![false; gates.len()];
        for (lit, rule) in primary {
            let mut covered = false;
            for (k, k_rules) in &mut kept {
                if memchr::memmem::find(&lit, k).is_some() {
                    k_rules.push(rule);
                    covered = true;
                    stands_in[rule as usize] |= k.len() < lit.len();
                }
            }
            if !covered {
                kept.push((lit, vec![rule]));
            }
        }
        for (r, best) in best_clauses.into_iter().enumerate() {
            if let Some(best) = best.filter(|_| stands_in[r]) {
                let k = clause_id(best)?;
                checks[r].insert(0, k);
            }
        }
        let (short, long): (Vec<_>, Vec<_>) = kept.into_iter().partition(|(l, _)| l.len() < WINDOW);
        let mut stage_one = Vec::new();
        if !short.is_empty() {
            stage_one.push(Primary::dfa(short)?);
        }
        if !long.is_empty() {
            match Primary::windows(long.clone()) {
                Some(windows) => stage_one.extend(windows),
                None => stage_one.push(Primary::dfa(long)?),
            }
        }
        let mut by_byte = vec![Vec::new(); 256];
        for (k, p) in stage_one.iter().enumerate() {
            for (i, lit) in p.literals.iter().enumerate() {
                for (j, &b) in lit.iter().enumerate() {
                    by_byte[usize::from(b)].push((k as u8, i as u32, j));
                }
            }
        }
        let primary_bytes = ByteSet::of(stage_one.iter().flat_map(|p| &p.literals));
        Some(Gate {
            primary: stage_one,
            by_byte,
            primary_bytes,
            checks,
            clauses,
            owner: gates.iter().map(|(owner, _)| *owner).collect(),
        })
    }

    pub(super) fn passes(
        &self,
        line: &[u8],
        offset: u64,
        format: LogFormat,
        marks: &mut Marks,
    ) -> bool {
        if self.primary.is_empty() {
            return false;
        }
        // Apache and nginx unescape `\xhh` in quoted fields; such lines are always parsed.
        if format == LogFormat::Combined && memchr::memchr(b'\\', line).is_some() {
            marks.gated = false;
            return true;
        }
        marks.gated = true;
        marks.passed.clear();
        // Stage one: the rules whose primary clause the line holds.
        let end = offset + line.len() as u64;
        let mut candidates = std::mem::take(&mut marks.candidates);
        candidates.clear();
        while let Some(&(start, k, lit)) = marks.hits.get(marks.next_hit) {
            if start >= end {
                break;
            }
            marks.next_hit += 1;
            if start >= offset {
                candidates.extend_from_slice(&self.primary[k as usize].rules[lit as usize]);
            }
        }
        let escaped = memchr::memchr(b'%', line).is_some();
        if escaped {
            // A primary literal that only decoding brings into the line holds a byte
            // decoded in that round (earlier rounds and the chunk search found the rest):
            // compare the literals holding that byte around it, or when many literals hold
            // it, search the decoded line once and keep the literals over a decoded byte.
            self.in_decoded(line, &self.primary_bytes, marks, |view, decoded| {
                let mut search = false;
                for &d in decoded {
                    let d = d as usize;
                    let holding = &self.by_byte[usize::from(view[d])];
                    if holding.len() > MAX_COMPARED {
                        search = true;
                        break;
                    }
                    for &(k, lit, j) in holding {
                        let p = &self.primary[usize::from(k)];
                        let lit = lit as usize;
                        if d >= j && view[d - j..].starts_with(&p.literals[lit]) {
                            candidates.extend_from_slice(&p.rules[lit]);
                        }
                    }
                }
                if search {
                    for p in &self.primary {
                        p.occurrences(view, |at, lit| {
                            let end = at + p.literals[lit].len();
                            let first = decoded.partition_point(|&d| (d as usize) < at);
                            if decoded.get(first).is_some_and(|&d| (d as usize) < end) {
                                candidates.extend_from_slice(&p.rules[lit]);
                            }
                        });
                    }
                }
                false
            });
        }
        if candidates.is_empty() {
            marks.candidates = candidates;
            return false;
        }
        candidates.sort_unstable();
        candidates.dedup();
        // The line lowercased: from the marked chunk, which it normally lies in.
        let chunk = std::mem::take(&mut marks.lower);
        let copy;
        let lower = match offset
            .checked_sub(marks.base)
            .and_then(|at| usize::try_from(at).ok())
            .and_then(|at| chunk.get(at..at.checked_add(line.len())?))
        {
            Some(lower) => lower,
            None => {
                copy = line.to_ascii_lowercase();
                &copy
            }
        };
        let pass = self.confirm(line, lower, escaped, &candidates, marks);
        marks.lower = chunk;
        marks.candidates = candidates;
        pass
    }

    /// Stage two for a line (and `lower`, the line lowercased) that holds the primary
    /// literal of each alternative of `candidates` (sorted): which rules it passes for.
    fn confirm(
        &self,
        line: &[u8],
        lower: &[u8],
        escaped: bool,
        candidates: &[u32],
        marks: &mut Marks,
    ) -> bool {
        // Stage two: their other clauses, until one is missing. Alternatives are in rule
        // order, so a rule's alternatives are next to each other.
        for &r in candidates {
            let owner = self.owner[r as usize];
            if marks.passed.last() == Some(&owner) {
                continue;
            }
            let all = self.checks[r as usize].iter().all(|&k| {
                let (clause, bytes) = &self.clauses[k as usize];
                clause.is_match(lower)
                    || (escaped
                        && self.in_decoded(line, bytes, marks, |view, _| clause.is_match(view)))
            });
            if all {
                marks.passed.push(owner);
            }
        }
        !marks.passed.is_empty()
    }

    /// Calls `f` on the line percent-decoded once, twice and three times (while escapes
    /// remain) and lowercased, with the offsets of the bytes that round decoded, until it
    /// returns true. Apache paths are decoded once, and a `decoded` test decodes up to
    /// twice more.
    ///
    /// `f` looks for literals made of the bytes in `bytes`. Unless decoding gives one of
    /// those, or a `%` or hex digit that could form an escape for the next round, the
    /// decoded lines hold only what the line holds, and `f` is not called.
    fn in_decoded(
        &self,
        line: &[u8],
        bytes: &ByteSet,
        marks: &mut Marks,
        mut f: impl FnMut(&[u8], &[u32]) -> bool,
    ) -> bool {
        let matters = |b: u8| b == b'%' || b.is_ascii_hexdigit() || bytes.has(b);
        if !escapes(line).any(|(_, b)| matters(b)) {
            return false;
        }
        let [mut cur, mut next] = std::mem::take(&mut marks.views);
        let mut at = std::mem::take(&mut marks.decoded_at);
        let mut decoded = percent_decode_into(line, &mut cur, &mut at);
        let mut found = false;
        for round in 0..3 {
            if !decoded {
                break;
            }
            if f(&cur, &at) {
                found = true;
                break;
            }
            if round < 2 {
                decoded = percent_decode_into(&cur, &mut next, &mut at);
                std::mem::swap(&mut cur, &mut next);
            }
        }
        marks.views = [cur, next];
        marks.decoded_at = at;
        found
    }
}

/// Decodes `%hh` escapes of `from` into `to`, lowercased, and puts the offsets in `to` of
/// the decoded bytes in `at`; false (and `to` and `at` untouched) when there are none.
/// (Hex digits read the same in either case, so decoding lowercased text again gives the
/// lowercased second decoding.)
fn percent_decode_into(from: &[u8], to: &mut Vec<u8>, at: &mut Vec<u32>) -> bool {
    let mut escapes = escapes(from).peekable();
    if escapes.peek().is_none() {
        return false;
    }
    to.clear();
    at.clear();
    let mut copied = 0;
    for (i, b) in escapes {
        to.extend(from[copied..i].iter().map(u8::to_ascii_lowercase));
        at.push(to.len() as u32);
        to.push(b);
        copied = i + 3;
    }
    to.extend(from[copied..].iter().map(u8::to_ascii_lowercase));
    true
}

/// The `%hh` escapes of `text`, as (offset, decoded byte lowercased).
fn escapes(text: &[u8]) -> impl Iterator<Item = (usize, u8)> + '_ {
    percent_escapes(text).map(|(i, b)| (i, b.to_ascii_lowercase()))
}

/// A set of byte values.
struct ByteSet([bool; 256]);

impl ByteSet {
    fn of<'a>(literals: impl IntoIterator<Item = &'a Vec<u8>>) -> ByteSet {
        let mut set = [false; 256];
        for lit in literals {
            for &b in lit {
                set[usize::from(b)] = true;
            }
        }
        ByteSet(set)
    }

    fn has(&self, b: u8) -> bool {
        self.0[usize::from(b)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_rounds() {
        let (mut to, mut at) = (Vec::new(), Vec::new());
        assert!(!percent_decode_into(b"a%zz%4", &mut to, &mut at));
        assert!(percent_decode_into(b"x=%2541%41", &mut to, &mut at));
        assert_eq!(to, b"x=%41a");
        assert_eq!(at, [2, 5]);
        assert!(percent_decode_into(b"%%41%4%25%", &mut to, &mut at));
        assert_eq!(
            to,
            crate::logs::percent_decode(b"%%41%4%25%").to_ascii_lowercase()
        );
    }
}
