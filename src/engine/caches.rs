//! One thread's lazy-DFA caches for the verification regexes, kept within a memory budget.
//!
//! A `meta::Regex` keeps its search caches in a pool of its own, and a cache only grows:
//! each lazy DFA keeps up to its capacity (2 MiB forward, 2 MiB reverse) of the states it
//! met, and clearing a full one keeps the allocation. Over a sweep of a large tree the
//! regexes that meet much varied text fill theirs; with a few hundred regexes in use the
//! caches held some 75 MB at the end of a sweep of 1.2 GB of real code (about 450 regexes
//! searched, none above 2.5 MB: the memory is spread thin, not in one regex). Owning the
//! caches lets the scan see what they hold and give memory back: when one thread's caches
//! together pass [`BUDGET`], those searched longest ago are dropped and start afresh at
//! their next search. Before the thread reads a large file they are all dropped, when they
//! hold much ([`RegexCaches::make_room`]): a sweep's peak memory was where its largest file
//! (a 12.5 MB word list in the web root of issue 18) met full caches.
//!
//! The budget trades memory for warm-up, and the order of dropping decides the price.
//! Instructions for a `-j1` sweep of that tree (valgrind, issue 18), against no budget:
//!
//! | budget | largest first | longest unused first |
//! |---|---|---|
//! | 24 MiB | +1.4% | +0.6% |
//! | 16 MiB | +4.2% | +1.9% |
//! | 12 MiB | | +3.5% |
//!
//! The largest caches are those of the regexes searched most, so dropping them first
//! warms the busiest up again; a cache unused for long is most likely unused again.
//!
//! How far a shed goes matters as much. Down to half the budget, a shed also drops caches
//! that are still warm; down to three quarters, it drops fewer at a time, a little more
//! often. Against 16 MiB shed to half (62.27 G instructions for the same sweep; peak RSS
//! of a `-j2` sweep 132-135 MB over 5 runs): 12 MiB to three quarters +0.6% (126-128 MB),
//! 10 MiB to 80% +1.5% (121-123 MB), 8 MiB to three quarters +3.1% (118-119 MB).

use regex_automata::hybrid;
use regex_automata::meta::{Cache, Regex};

use super::ids::{Id, PatternId};

/// Bytes one thread's regex caches may hold before some are dropped.
pub(crate) const BUDGET: usize = 12 << 20;

/// Which of a pattern's automata a cache serves: the regex verified in windows, or the
/// part after its atom checked anchored at each hit (`Suffix`, a lazy DFA of its own).
/// Both kinds fill their caches over a sweep, so both count against the one budget (the
/// suffixes alone held 14 MB, not counted, at the peak of a `-j1` sweep of the web root
/// before they did).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Whole = 0,
    Suffix = 1,
    Filter = 2,
    Forward = 3,
    Reverse = 4,
}

const PARTS: usize = 5;

/// Per regex pattern and [`Part`]: its cache, created at its first search, and the bytes
/// it held when last measured.
pub(crate) struct RegexCaches {
    /// Per pattern.
    whole: Vec<Option<Box<Cache>>>,
    /// Per slot ([`slot`]) of the two kinds built as forward lazy DFAs: a suffix check's
    /// and a relaxed regex's ([`super::filter::Filter`]). A whole regex's slot stays empty.
    dfas: Vec<Option<Box<hybrid::dfa::Cache>>>,
    /// This and the rest per slot ([`slot`]).
    held: Vec<usize>,
    /// The slots searched since they were last measured, each once.
    unsettled: Vec<usize>,
    total: usize,
    budget: usize,
    /// Per slot: the [`RegexCaches::settle`] that measures it after its last search (the
    /// next one while it is in `unsettled`): its age, and whether it is listed already.
    used: Vec<u64>,
    settles: u64,
}

fn slot(pattern: PatternId, part: Part) -> usize {
    pattern.index() * PARTS + part as usize
}

impl RegexCaches {
    pub(crate) fn new(patterns: usize) -> RegexCaches {
        RegexCaches::with_budget(patterns, BUDGET)
    }

    fn with_budget(patterns: usize, budget: usize) -> RegexCaches {
        RegexCaches {
            whole: (0..patterns).map(|_| None).collect(),
            dfas: (0..patterns * PARTS).map(|_| None).collect(),
            held: vec![0; patterns * PARTS],
            unsettled: Vec::new(),
            total: 0,
            budget,
            used: vec![0; patterns * PARTS],
            settles: 0,
        }
    }

    /// The cache for `pattern`'s regex `re`. What it grows to is measured at the next
    /// [`RegexCaches::settle`].
    pub(crate) fn whole(&mut self, pattern: PatternId, re: &Regex) -> &mut Cache {
        self.touch(slot(pattern, Part::Whole));
        self.whole[pattern.index()].get_or_insert_with(|| Box::new(re.create_cache()))
    }

    /// The cache for `pattern`'s suffix DFA `dfa`; measured as [`RegexCaches::whole`]'s.
    pub(crate) fn suffix(
        &mut self,
        pattern: PatternId,
        dfa: &hybrid::dfa::DFA,
    ) -> &mut hybrid::dfa::Cache {
        self.dfa(slot(pattern, Part::Suffix), dfa)
    }

    /// The cache for `pattern`'s forward DFA `dfa` (see `forward`); measured as
    /// [`RegexCaches::whole`]'s.
    pub(crate) fn forward(
        &mut self,
        pattern: PatternId,
        dfa: &hybrid::dfa::DFA,
    ) -> &mut hybrid::dfa::Cache {
        self.dfa(slot(pattern, Part::Forward), dfa)
    }

    /// The caches for `pattern`'s forward DFA `fwd` and reverse DFA `rev` (see `forward`),
    /// both at once for a search that needs both; measured as [`RegexCaches::whole`]'s.
    pub(crate) fn forward_and_reverse(
        &mut self,
        pattern: PatternId,
        fwd: &hybrid::dfa::DFA,
        rev: &hybrid::dfa::DFA,
    ) -> (&mut hybrid::dfa::Cache, &mut hybrid::dfa::Cache) {
        let (f, r) = (slot(pattern, Part::Forward), slot(pattern, Part::Reverse));
        self.touch(f);
        self.touch(r);
        // The two slots are next to each other: one split gives both.
        let (low, high) = self.dfas.split_at_mut(r);
        (
            low[f].get_or_insert_with(|| Box::new(fwd.create_cache())),
            high[0].get_or_insert_with(|| Box::new(rev.create_cache())),
        )
    }

    /// The cache for `pattern`'s filter DFA `dfa`; measured as [`RegexCaches::whole`]'s.
    pub(crate) fn filter(
        &mut self,
        pattern: PatternId,
        dfa: &hybrid::dfa::DFA,
    ) -> &mut hybrid::dfa::Cache {
        self.dfa(slot(pattern, Part::Filter), dfa)
    }

    fn dfa(&mut self, i: usize, dfa: &hybrid::dfa::DFA) -> &mut hybrid::dfa::Cache {
        self.touch(i);
        self.dfas[i].get_or_insert_with(|| Box::new(dfa.create_cache()))
    }

    fn touch(&mut self, i: usize) {
        if self.used[i] != self.settles + 1 {
            self.used[i] = self.settles + 1;
            self.unsettled.push(i);
        }
    }

    fn memory_usage(&self, i: usize) -> usize {
        if i % PARTS == Part::Whole as usize {
            self.whole[i / PARTS]
                .as_ref()
                .map_or(0, |c| c.memory_usage())
        } else {
            self.dfas[i].as_ref().map_or(0, |c| c.memory_usage())
        }
    }

    fn drop_cache(&mut self, i: usize) {
        if i % PARTS == Part::Whole as usize {
            self.whole[i / PARTS] = None;
        } else {
            self.dfas[i] = None;
        }
    }

    /// Drops every cache before the thread reads a file of `size` bytes, when the file
    /// and the caches (as last measured) both pass a third of the budget: a sweep's peak
    /// memory is where its largest file meets full caches. True when it dropped them. They
    /// warm up again in a few files, and are dropped again only once they hold as much
    /// again, so a run of large files costs at most what refilling them costs.
    pub(crate) fn make_room(&mut self, size: u64) -> bool {
        let room = (self.budget / 3) as u64;
        if size < room || (self.total as u64) < room {
            return false;
        }
        self.whole.iter_mut().for_each(|c| *c = None);
        self.dfas.iter_mut().for_each(|c| *c = None);
        self.held.fill(0);
        self.unsettled.clear();
        self.total = 0;
        true
    }

    /// Takes note of what the caches searched since the last call hold, and gives memory
    /// back when the caches together hold more than the budget. Called between searches
    /// (after each regex's windows, after a buffer's suffix checks), since measuring a
    /// cache at every one of a million anchored checks would cost more than the checks.
    pub(crate) fn settle(&mut self) {
        self.settles += 1;
        // The list keeps its allocation: this runs after every log record's atom search too.
        for &i in &self.unsettled {
            let now = self.memory_usage(i);
            self.total = self.total - self.held[i] + now;
            self.held[i] = now;
        }
        self.unsettled.clear();
        if self.total > self.budget {
            self.shed();
        }
    }

    /// Drops the caches searched longest ago until the rest hold at most three quarters of
    /// the budget.
    fn shed(&mut self) {
        let mut by_age: Vec<(u64, usize, usize)> = self
            .held
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b > 0)
            .map(|(i, &b)| (self.used[i], b, i))
            .collect();
        by_age.sort_unstable();
        for (_, bytes, i) in by_age {
            if self.total <= self.budget - self.budget / 4 {
                break;
            }
            self.drop_cache(i);
            self.held[i] = 0;
            self.total -= bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use regex_automata::{Anchored, Input};

    use super::*;

    fn hay() -> Vec<u8> {
        (0..20_000u32)
            .flat_map(|i| format!("w{i}x{}Y ", i * 7).into_bytes())
            .chain(*b"Qwerty12345zz ab")
            .collect()
    }

    fn used(re: &Regex, input: &Input<'_>) -> usize {
        let mut cache = re.create_cache();
        re.search_with(&mut cache, input);
        cache.memory_usage()
    }

    #[test]
    fn past_the_budget_caches_go_and_searches_still_match() {
        let re = Regex::new(r"(?i)[a-z]{2,40}[0-9]{1,20}zz").unwrap();
        let hay = hay();
        let p = PatternId::from_index(1);
        let expect = re.find(&hay);
        assert!(expect.is_some());
        let used = used(&re, &Input::new(&hay));
        // Within the budget the cache stays; past it, it goes and the next search starts
        // a new one that finds the same.
        for (budget, kept) in [(used, true), (used - 1, false)] {
            let mut c = RegexCaches::with_budget(2, budget);
            for round in 0..3 {
                let got = re.search_with(c.whole(p, &re), &Input::new(&hay));
                assert_eq!(got, expect, "budget {budget}, round {round}");
                c.settle();
                assert_eq!(c.whole[p.index()].is_some(), kept, "budget {budget}");
                assert_eq!(c.total, if kept { used } else { 0 });
                assert!(c.unsettled.is_empty());
                assert!(c.whole[0].is_none());
                assert!(c.dfas.iter().all(Option::is_none));
            }
        }
    }

    #[test]
    fn suffix_caches_count_against_the_same_budget() {
        let whole = Regex::new(r"(?i)[a-z]{2,40}[0-9]{1,20}zz").unwrap();
        let suffix = hybrid::dfa::DFA::new(r"[0-9]{1,20}zz").unwrap();
        let hay = hay();
        let at = hay.len() - 10;
        let anchored = || Input::new(&hay).range(at..).anchored(Anchored::Yes);
        let w = used(&whole, &Input::new(&hay));
        let s = {
            let mut cache = suffix.create_cache();
            suffix.try_search_fwd(&mut cache, &anchored()).unwrap();
            cache.memory_usage()
        };
        assert!(s < w / 4, "the suffix's cache ({s}) is the small one ({w})");
        let p = PatternId::from_index(0);
        // Each alone fits; together they pass the budget, and the one searched before goes.
        let mut c = RegexCaches::with_budget(1, w + s - 1);
        let found = whole.search_with(c.whole(p, &whole), &Input::new(&hay));
        assert!(found.is_some());
        c.settle();
        assert_eq!(c.total, w);
        let half = suffix.try_search_fwd(c.suffix(p, &suffix), &anchored());
        assert!(half.unwrap().is_some());
        assert_eq!(c.unsettled.len(), 1);
        c.settle();
        assert!(c.whole[0].is_none());
        assert!(c.dfas[slot(p, Part::Suffix)].is_some());
        assert_eq!(c.total, s);
        // The one dropped starts afresh and still finds the same.
        assert_eq!(
            whole.search_with(c.whole(p, &whole), &Input::new(&hay)),
            found
        );
    }

    /// A search's forward and reverse caches are handed out together, and are two slots,
    /// each measured on its own and both counted in the total.
    #[test]
    fn forward_and_reverse_caches_are_two_slots_counted_in_the_total() {
        let fwd = hybrid::dfa::DFA::new(r"(?i)[a-z]{2,40}[0-9]{1,20}zz").unwrap();
        let rev = hybrid::dfa::DFA::builder()
            .thompson(regex_automata::nfa::thompson::Config::new().reverse(true))
            .build(r"(?i)[a-z]{2,40}[0-9]{1,20}zz")
            .unwrap();
        let hay = hay();
        let p = PatternId::from_index(1);
        let mut c = RegexCaches::with_budget(2, usize::MAX);
        let end = fwd
            .try_search_fwd(c.forward(p, &fwd), &Input::new(&hay))
            .unwrap()
            .unwrap()
            .offset();
        let (f, r) = c.forward_and_reverse(p, &fwd, &rev);
        let input = Input::new(&hay).range(..end).anchored(Anchored::Yes);
        assert!(rev.try_search_rev(r, &input).unwrap().is_some());
        let (f_used, r_used) = (f.memory_usage(), r.memory_usage());
        assert_eq!(c.unsettled.len(), 2);
        c.settle();
        assert_eq!(c.total, f_used + r_used);
        assert_eq!(c.held[slot(p, Part::Forward)], f_used);
        assert_eq!(c.held[slot(p, Part::Reverse)], r_used);
        assert!(c.whole.iter().all(Option::is_none));
    }

    #[test]
    fn a_large_file_takes_the_room_of_full_caches_only() {
        let re = Regex::new(r"(?i)[a-z]{2,40}[0-9]{1,20}zz").unwrap();
        let hay = hay();
        let p = PatternId::from_index(0);
        let expect = re.find(&hay);
        let used = used(&re, &Input::new(&hay));
        // A budget whose third the one cache passes.
        let mut c = RegexCaches::with_budget(1, used * 3 - 3);
        let room = (used - 1) as u64;
        assert_eq!(re.search_with(c.whole(p, &re), &Input::new(&hay)), expect);
        c.settle();
        assert_eq!(c.total, used);
        // A small file leaves the caches.
        assert!(!c.make_room(room - 1));
        assert!(c.whole[0].is_some());
        // A large one takes their room, and the next search starts a new cache.
        assert!(c.make_room(room));
        assert!(c.whole[0].is_none());
        assert_eq!((c.total, c.held[slot(p, Part::Whole)]), (0, 0));
        assert!(!c.make_room(room), "nothing held: nothing to give back");
        assert_eq!(re.search_with(c.whole(p, &re), &Input::new(&hay)), expect);
        c.settle();
        assert_eq!(c.total, used);
    }

    #[test]
    fn past_the_budget_the_caches_searched_longest_ago_go_first() {
        let re = Regex::new("a").unwrap();
        let mut c = RegexCaches::with_budget(2, 80);
        // Slot by slot: bytes held and the settle that last measured it.
        let p = [PatternId::from_index(0), PatternId::from_index(1)];
        let slots = [
            (p[0], Part::Suffix, 10, 1),
            (p[0], Part::Whole, 40, 2),
            (p[1], Part::Whole, 45, 3),
        ];
        let dfa = hybrid::dfa::DFA::new("a").unwrap();
        for &(pattern, part, bytes, when) in &slots {
            let i = slot(pattern, part);
            match part {
                Part::Whole => c.whole[pattern.index()] = Some(Box::new(re.create_cache())),
                _ => c.dfas[i] = Some(Box::new(dfa.create_cache())),
            }
            (c.held[i], c.used[i]) = (bytes, when);
        }
        c.total = 95;
        c.shed();
        // Down to three quarters of the budget (60): the oldest two go, the small one first,
        // though dropping the largest alone would have been enough; the newest stays,
        // though it is over half the budget.
        let kept = [&c.whole[0], &c.whole[1]].map(Option::is_some);
        assert_eq!(kept, [false, true]);
        assert!(c.dfas.iter().all(Option::is_none));
        let mut held = vec![0; 2 * PARTS];
        held[slot(p[1], Part::Whole)] = 45;
        assert_eq!((c.total, &c.held), (45, &held));
    }
}
