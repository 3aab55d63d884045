//! A cheap superset of a regex, searched in a verification window before the regex itself.
//!
//! Counted repetitions (`[^\n]{0,300}?`, `(?:[^;{}()]|\([^;{}()]{0,100}\)){0,60}`) are what
//! make some rules' lazy DFAs expensive: an unanchored search has to follow every start a
//! count could have begun at, so nearly every window of ordinary code builds new states.
//! The worst of the bundled regexes verified at 10 to 30 MB/s and held 2 MB of states each
//! per thread (issue 18). With every long counted repetition `{n,m}` made `{min(n,1),}`
//! (see [`RELAX_SPAN`]), the language only grows, so a window in which the relaxed regex
//! finds nothing holds no match of the exact one either; its DFA has few states, built once.
//! Most windows of ordinary code match neither, and only those the relaxed regex accepts
//! are searched exactly: the matches, and so the findings, are the same.

use regex_automata::{Input, hybrid};
use regex_syntax::hir::{Hir, HirKind, Repetition};

use super::caches::RegexCaches;
use super::ids::PatternId;

/// Repetitions with this many optional copies or more are relaxed. Shorter ones
/// (`\s{0,10}`, `\w{1,20}`) add few states, and a filter in front of every regex with one
/// would be a second pass over the windows that match. Instructions for a `-j1` sweep of the
/// web root of issue 18 against 64 (valgrind): 60 -0.3%, 40 -0.6%, 32 -0.1%, 24 -0.2%, 16
/// -0.3%. At 40 the callback rules' `(?:[^;{}()]|\([^;{}()]{0,100}\)){0,60}` is relaxed at
/// both levels: their filters held up to 1.7 MB of states per thread and were rebuilt
/// over a thousand times a sweep; `\$\w{1,40}` (39 optional copies) stays exact.
const RELAX_SPAN: u32 = 40;

pub(crate) struct Filter {
    /// `None` when it does not build: then every window is searched exactly.
    dfa: Option<Box<hybrid::dfa::DFA>>,
}

impl Filter {
    /// A filter for `hir`, when it has a repetition worth relaxing. Made, and its DFA
    /// built, for the first window that needs it, so the relaxed HIR is not kept (see
    /// `hir_text`).
    pub(crate) fn of(hir: &Hir) -> Option<Filter> {
        relaxed(hir).map(|hir| Filter {
            dfa: super::forward_dfa(&hir).map(Box::new),
        })
    }

    fn dfa(&self) -> Option<&hybrid::dfa::DFA> {
        self.dfa.as_deref()
    }

    /// False only when no match of the exact regex lies within `from..to` of `buf`.
    /// `pattern` names the regex in this thread's `caches`.
    pub(crate) fn may_match(
        &self,
        pattern: PatternId,
        caches: &mut RegexCaches,
        buf: &[u8],
        (from, to): (usize, usize),
    ) -> bool {
        let Some(dfa) = self.dfa() else {
            return true;
        };
        let input = Input::new(buf).range(from..to).earliest(true);
        // A search that gives up or quits says nothing: the window is searched exactly.
        dfa.try_search_fwd(caches.filter(pattern, dfa), &input)
            .map_or(true, |m| m.is_some())
    }
}

/// `hir` relaxed ([`relax`]), or `None` when it has no repetition to relax. Its matches
/// are a superset of `hir`'s: a window or an anchored check it rejects, `hir` rejects too.
pub(crate) fn relaxed(hir: &Hir) -> Option<Hir> {
    let mut changed = false;
    let relaxed = relax(hir, &mut changed);
    changed.then_some(relaxed)
}

/// `hir` with every repetition of [`RELAX_SPAN`] optional copies or more made unbounded
/// and its minimum cut to at most one; `relaxed` is set when one was.
fn relax(hir: &Hir, relaxed: &mut bool) -> Hir {
    match hir.kind() {
        HirKind::Repetition(rep) => {
            let sub = relax(&rep.sub, relaxed);
            let span = rep.max.map(|max| max.saturating_sub(rep.min));
            let (min, max) = match span {
                Some(span) if span >= RELAX_SPAN => {
                    *relaxed = true;
                    (rep.min.min(1), None)
                }
                _ => (rep.min, rep.max),
            };
            Hir::repetition(Repetition {
                min,
                max,
                greedy: rep.greedy,
                sub: Box::new(sub),
            })
        }
        HirKind::Capture(cap) => relax(&cap.sub, relaxed),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(|h| relax(h, relaxed)).collect()),
        HirKind::Alternation(subs) => {
            Hir::alternation(subs.iter().map(|h| relax(h, relaxed)).collect())
        }
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => hir.clone(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use regex_automata::meta::Regex;

    use super::super::atoms::tests::parse;
    use super::super::ids::Id;
    use super::*;

    fn relaxed(re: &str) -> Option<String> {
        super::relaxed(&parse(re)).map(|h| h.to_string())
    }

    #[test]
    fn only_long_counted_repetitions_are_relaxed() {
        assert_eq!(relaxed(r"eval\s{0,10}\("), None);
        assert_eq!(relaxed(r"\$\w{1,40}"), None);
        // A fixed count adds states in a chain, not a product: it stays.
        assert_eq!(relaxed(r"['\x22][A-Za-z0-9+/]{300}"), None);
        let r = relaxed(r"x[^\n]{0,300}?y").expect("relaxed");
        assert!(r.contains("*?") && !r.contains("300"), "{r}");
        // The minimum is cut to one: `{2,80}` becomes `+`.
        let r = relaxed(r"a{2,80}").expect("relaxed");
        assert!(r.contains('+') && !r.contains('2'), "{r}");
        // Nested: both levels go; a short one beside them stays.
        let r = relaxed(r"\((?:[^;()]|\([^;()]{0,100}\)){0,60},\s{0,5}").expect("relaxed");
        assert!(!r.contains("60") && !r.contains("100"), "{r}");
        assert!(r.contains("{0,5}"), "{r}");
        assert!(relaxed(r"[\t ]{0,40}x").is_some());
    }

    /// Whether the relaxed regex finds a match in every window the exact one does.
    fn superset_holds(re: &str, hay: &[u8], from: usize, to: usize) -> Result<(), TestCaseError> {
        let hir = parse(re);
        let filter = Filter::of(&hir).expect("the test's regexes have long repetitions");
        let exact = Regex::builder()
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .unicode(false)
                    .utf8(false),
            )
            .build_from_hir(&hir)
            .expect("builds");
        let mut caches = RegexCaches::new(1);
        let p = PatternId::from_index(0);
        let (from, to) = (from.min(hay.len()), to.min(hay.len()));
        let (from, to) = (from.min(to), from.max(to));
        let found = exact.search(&Input::new(hay).range(from..to)).is_some();
        if found {
            prop_assert!(filter.may_match(p, &mut caches, hay, (from, to)));
        }
        Ok(())
    }

    proptest! {
        /// Wherever the exact regex matches in a window, the filter does too (it may also
        /// match where the exact one does not).
        #[test]
        fn the_filter_accepts_every_window_the_regex_matches_in(
            hay in proptest::collection::vec(prop_oneof![
                Just(b'a'), Just(b'b'), Just(b'('), Just(b')'), Just(b','), Just(b';'),
                Just(b'\n'), Just(b' '), Just(b'$'), any::<u8>()], 0..400),
            which in 0usize..4,
            from in 0usize..400,
            to in 0usize..400,
        ) {
            let re = [
                r"(?m)^[ \t]{0,40}(?:[^ \t\n#]|[^ \t\n#][^\n]{0,70}?[^\w$\n])?ab\s{0,3}\(",
                r"a\((?:[^;()]|\([^;()]{0,64}\)){0,70},\s{0,5}\$\w{1,40}[,)]",
                r"(?:b|a){3,80}\b",
                r"(?m)a[^\n]{2,90}b{1,2}$",
            ][which];
            superset_holds(re, &hay, from, to)?;
        }
    }
}
