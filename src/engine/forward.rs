//! Verification's search with small reverse automata.
//!
//! A `meta::Regex` finds where a match ends with a forward DFA and where it starts with a
//! reverse one built from its own reverse NFA. For the bundled rules those reverse NFAs were
//! half of all compiled regex memory (7.4 of 15.8 MB), and their DFAs' states a good part
//! of what the regex caches held (issue 18, peak memory). Most of that size is counted
//! repetition (`[^\n]{0,300}?`, `(?:[^;()]|\([^;()]{0,100}\)){0,60}`), one NFA state per
//! count. Here the start is found with the reverse DFA of the relaxed regex (see
//! [`super::filter`]: long counted repetitions unbounded), which has few states: its
//! leftmost start is at or before the exact one, as every exact match is a relaxed one, and
//! the exact start is then the first position from there at which the forward DFA matches
//! anchored, nearly always the first one tried.

use std::ops::Range;

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::{Anchored, Input, MatchKind};
use regex_syntax::hir::Hir;

/// The reverse DFA that finds where a match ending at a known place starts, or starts at
/// the earliest: of the relaxed `hir` when it has long counted repetitions (then true),
/// else of `hir` itself. All matches, so that an anchored reverse search runs back to the
/// leftmost start. `None` when it does not build. (The forward DFA is `forward_dfa`'s, as
/// for the filters and suffix checks.)
pub(crate) fn build_reverse(hir: &Hir) -> Option<(DFA, bool)> {
    let relaxed = super::filter::relaxed(hir);
    let nfa = super::nfa(relaxed.as_ref().unwrap_or(hir), true)?;
    let dfa = DFA::builder()
        .configure(
            DFA::config()
                .match_kind(MatchKind::All)
                .specialize_start_states(false)
                .skip_cache_capacity_check(true),
        )
        .build_from_nfa(nfa)
        .ok()?;
    Some((dfa, relaxed.is_some()))
}

/// What a search found: where a match ends (or starts), none, or nothing known (a DFA gave
/// up; the meta regex searches again).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found<T> {
    Match(T),
    None,
    Unknown,
}

/// Where the leftmost-first match in `range` of `buf` ends, if there is one.
pub(crate) fn end(dfa: &DFA, cache: &mut Cache, buf: &[u8], range: Range<usize>) -> Found<usize> {
    match dfa.try_search_fwd(cache, &Input::new(buf).range(range)) {
        Ok(Some(m)) => Found::Match(m.offset()),
        Ok(None) => Found::None,
        Err(_) => Found::Unknown,
    }
}

/// Where the leftmost-first match that ends at `range.end` starts: the leftmost position
/// in `range` from which a match reaches there (a match starting further left would have
/// been the leftmost one). `rev` is from [`build_reverse`]; when it is relaxed, its start
/// is at or before the exact one, which is the first position from there where `fwd`
/// matches anchored (no match starts between the two, or it would be the leftmost).
pub(crate) fn start(
    (fwd, fwd_cache): (&DFA, &mut Cache),
    (rev, rev_cache, relaxed): (&DFA, &mut Cache, bool),
    buf: &[u8],
    range: Range<usize>,
) -> Found<usize> {
    let input = Input::new(buf).range(range.clone()).anchored(Anchored::Yes);
    let from = match rev.try_search_rev(rev_cache, &input) {
        Ok(Some(m)) => m.offset(),
        // The forward DFA found a match ending there: only a bug gets here.
        Ok(None) | Err(_) => return Found::Unknown,
    };
    if !relaxed {
        return Found::Match(from);
    }
    for at in from..range.end {
        let probe = Input::new(buf)
            .range(at..range.end)
            .anchored(Anchored::Yes)
            .earliest(true);
        match fwd.try_search_fwd(fwd_cache, &probe) {
            Ok(Some(_)) => return Found::Match(at),
            Ok(None) => {}
            Err(_) => return Found::Unknown,
        }
    }
    Found::Unknown
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use regex_automata::meta::Regex;

    use super::super::atoms::tests::parse;
    use super::*;

    /// Searches `hay` from `from` as verification does, returning every match.
    fn all(re: &str, hay: &[u8], from: usize) -> Vec<(usize, usize)> {
        let hir = parse(re);
        let (fwd, (rev, relaxed)) = (
            super::super::forward_dfa(&hir).unwrap(),
            build_reverse(&hir).unwrap(),
        );
        let (mut fc, mut rc) = (fwd.create_cache(), rev.create_cache());
        let (mut at, mut out) = (from, Vec::new());
        while at < hay.len() {
            match end(&fwd, &mut fc, hay, at..hay.len()) {
                Found::Match(e) => {
                    let Found::Match(s) =
                        start((&fwd, &mut fc), (&rev, &mut rc, relaxed), hay, at..e)
                    else {
                        panic!("no start for a match ending at {e}");
                    };
                    out.push((s, e));
                    at = e.max(s + 1);
                }
                Found::None => break,
                Found::Unknown => panic!("gave up"),
            }
        }
        out
    }

    fn meta_all(re: &str, hay: &[u8], from: usize) -> Vec<(usize, usize)> {
        let meta = Regex::builder()
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .unicode(false)
                    .utf8(false),
            )
            .build(re)
            .unwrap();
        let (mut at, mut out) = (from, Vec::new());
        while at < hay.len() {
            match meta.search(&Input::new(hay).range(at..)) {
                Some(m) => {
                    out.push((m.start(), m.end()));
                    at = m.end().max(m.start() + 1);
                }
                None => break,
            }
        }
        out
    }

    /// Regexes of the shapes the rules use: alternations whose branches start at
    /// different places, lazy and greedy counted repetitions, line and word anchors, and
    /// unbounded ones.
    const REGEXES: [&str; 11] = [
        r"(?i)(?:eval|assert)\s{0,5}\(\s{0,5}\$\w{1,20}",
        r"(?m)^[ \t]{0,10}(?:[^ \t\n#][^\n]{0,30}?[^\w\n])?sys\s{0,3}\(",
        r"a{1,3}b|ab{2,4}c|b{0,2}cd",
        r"(?:^|[^\w$])f\w{0,4}\(\s{0,3}[x$]",
        r"\bx[yz]{0,6}\b",
        r"(?:[^;()]|\([^;()]{0,5}\)){0,8},\s{0,2}\$",
        r"ab|a|abc",
        r"[a-c]{2,5}?c",
        r"a[^;]*b|b+",
        r"(?m)^[ \t]{0,40}(?:[^ \t\n#][^\n]{0,300}?[^\w\n])?(?:eval|sys)\s{0,3}\(",
        r"f\((?:[^;()]|\([^;()]{0,100}\)){0,60},\s{0,2}\$",
    ];

    fn hay() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop::sample::select(vec![
            &b"a"[..],
            b"b",
            b"c",
            b"d",
            b"x",
            b"y",
            b"z",
            b"f",
            b"eval",
            b"sys",
            b"AsSeRt",
            b"$",
            b"$v",
            b"(",
            b")",
            b",",
            b";",
            b" ",
            b"\t",
            b"\n",
            b"#",
            b"_",
            b"f(",
            b"x(y)",
        ]);
        prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        /// Every match, start and end, is the meta regex's, from any starting point.
        #[test]
        fn finds_what_the_meta_regex_finds(
            hay in hay(),
            which in 0..REGEXES.len(),
            from in 0usize..8,
        ) {
            let from = from.min(hay.len());
            let re = REGEXES[which];
            prop_assert_eq!(all(re, &hay, from), meta_all(re, &hay, from), "{}", re);
        }
    }

    #[test]
    fn a_match_at_the_end_of_the_range_and_none() {
        assert_eq!(all(r"ab|a|abc", b"xxabc", 0), vec![(2, 4)]);
        assert_eq!(all(r"(?m)x$", b"ax\nbx", 0), vec![(1, 2), (4, 5)]);
        assert!(all(r"q{1,3}", b"abc", 0).is_empty());
        assert_eq!(all(r"a+b", b"xaaab aab", 0), vec![(1, 5), (6, 9)]);
    }
}
