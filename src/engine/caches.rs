//! One thread's lazy-DFA caches for the verification regexes, kept within a memory budget.
//!
//! A `meta::Regex` keeps its search caches in a pool of its own, and a cache only grows:
//! each lazy DFA keeps up to its capacity (2 MiB forward, 2 MiB reverse) of the states it
//! met, and clearing a full one keeps the allocation. Over a sweep of a large tree the
//! regexes that meet much varied text fill theirs; with a few hundred regexes in use the
//! caches held some 75 MB at the end of a sweep of 1.2 GB of real code (about 450 regexes
//! searched, none above 2.5 MB: the memory is spread thin, not in one regex). Owning the
//! caches lets the scan see what they hold and give memory back: when one thread's caches
//! together pass [`BUDGET`], the largest are dropped and start afresh at their next search.
//!
//! The budget trades memory for warm-up. On that tree (`scan -j2`), 24 MiB a thread took
//! about 25 MB off the peak for some 3% more CPU; 16 MiB took 45 MB for 9% more.

use regex_automata::meta::{Cache, Regex};

use super::ids::{IdVec, PatternId};

/// Bytes one thread's regex caches may hold before the largest are dropped.
pub(crate) const BUDGET: usize = 24 << 20;

/// Per regex pattern: its cache, created at its first search, and the bytes it held when
/// last measured.
pub(crate) struct RegexCaches {
    caches: IdVec<PatternId, Option<Box<Cache>>>,
    held: IdVec<PatternId, usize>,
    total: usize,
    budget: usize,
}

impl RegexCaches {
    pub(crate) fn new(patterns: usize) -> RegexCaches {
        RegexCaches::with_budget(patterns, BUDGET)
    }

    fn with_budget(patterns: usize, budget: usize) -> RegexCaches {
        RegexCaches {
            caches: IdVec::from((0..patterns).map(|_| None).collect::<Vec<_>>()),
            held: IdVec::from(vec![0; patterns]),
            total: 0,
            budget,
        }
    }

    /// The cache for `pattern`, whose regex is `re`.
    pub(crate) fn get(&mut self, pattern: PatternId, re: &Regex) -> &mut Cache {
        self.caches[pattern].get_or_insert_with(|| Box::new(re.create_cache()))
    }

    /// Takes note of what `pattern`'s cache holds after its searches in one buffer, and
    /// gives memory back when the caches together hold more than the budget.
    pub(crate) fn settle(&mut self, pattern: PatternId) {
        let now = self.caches[pattern]
            .as_ref()
            .map_or(0, |c| c.memory_usage());
        self.total = self.total - self.held[pattern] + now;
        self.held[pattern] = now;
        if self.total > self.budget {
            self.shed();
        }
    }

    /// Drops the largest caches until the rest hold at most half the budget.
    fn shed(&mut self) {
        let mut by_size: Vec<(usize, PatternId)> = self
            .held
            .iter_enumerated()
            .filter(|&(_, &b)| b > 0)
            .map(|(p, &b)| (b, p))
            .collect();
        by_size.sort_unstable_by(|a, b| b.cmp(a));
        for (bytes, p) in by_size {
            if self.total <= self.budget / 2 {
                break;
            }
            self.caches[p] = None;
            self.held[p] = 0;
            self.total -= bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use regex_automata::Input;

    use super::*;
    use crate::engine::ids::Id;

    #[test]
    fn past_the_budget_caches_go_and_searches_still_match() {
        let re = Regex::new(r"(?i)[a-z]{2,40}[0-9]{1,20}zz").unwrap();
        let hay: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("w{i}x{}Y ", i * 7).into_bytes())
            .chain(*b"Qwerty12345zz ab")
            .collect();
        let p = PatternId::from_index(1);
        let expect = re.find(&hay);
        assert!(expect.is_some());
        let used = {
            let mut cache = re.create_cache();
            re.search_with(&mut cache, &Input::new(&hay));
            cache.memory_usage()
        };
        // Within the budget the cache stays; past it, it goes and the next search starts
        // a new one that finds the same.
        for (budget, kept) in [(used, true), (used - 1, false)] {
            let mut c = RegexCaches::with_budget(2, budget);
            for round in 0..3 {
                let got = re.search_with(c.get(p, &re), &Input::new(&hay));
                assert_eq!(got, expect, "budget {budget}, round {round}");
                c.settle(p);
                assert_eq!(c.caches[p].is_some(), kept, "budget {budget}");
                assert_eq!(c.total, if kept { used } else { 0 });
                assert!(c.caches[PatternId::from_index(0)].is_none());
            }
        }
    }
}
