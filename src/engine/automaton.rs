//! One Aho-Corasick automaton over a set of atoms, and who listens to each atom's hits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aho_corasick::automaton::{Automaton, OverlappingState};
use aho_corasick::dfa::DFA;
use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};

use super::ids::PatternId;
use super::lanes::{self, Hit, Hits, Table};

/// Above this many atoms the automaton kind is left to aho-corasick (a DFA's memory grows
/// with the number of states).
const DFA_MAX_ATOMS: usize = 5_000;

/// One consumer of an automaton hit.
#[derive(Clone, Debug)]
pub(crate) struct Listener {
    pub(crate) pattern: PatternId,
    /// The exact bytes, compared when the automaton is case-insensitive but this atom is not.
    pub(crate) exact: Option<Vec<u8>>,
    pub(crate) wide: bool,
    /// True for regex atoms: a hit only says where to verify.
    pub(crate) trigger: bool,
    /// For atoms of a regex's other required clauses: a hit only says that clause `n`
    /// holds somewhere in the input.
    pub(crate) gate: Option<u8>,
}

pub(crate) struct AtomSetBuilder {
    nocase: bool,
    index: HashMap<Vec<u8>, usize>,
    atoms: Vec<Vec<u8>>,
    listeners: Vec<Vec<Listener>>,
    pub(crate) unfiltered: Vec<PatternId>,
}

impl AtomSetBuilder {
    /// `nocase`: compare ASCII case-insensitively (when any atom needs it; the others are
    /// then checked exactly at each hit).
    pub(crate) fn new(nocase: bool) -> AtomSetBuilder {
        AtomSetBuilder {
            nocase,
            index: HashMap::new(),
            atoms: Vec::new(),
            listeners: Vec::new(),
            unfiltered: Vec::new(),
        }
    }

    /// Adds an atom for `pattern`. Equal atoms share one automaton entry.
    pub(crate) fn add(
        &mut self,
        bytes: Vec<u8>,
        pattern: PatternId,
        nocase: bool,
        wide: bool,
        trigger: bool,
    ) {
        self.add_listener(bytes, pattern, nocase, wide, trigger, None);
    }

    /// Adds an atom of a regex's required clause `clause` (see [`Listener::gate`]).
    pub(crate) fn add_gate(
        &mut self,
        bytes: Vec<u8>,
        pattern: PatternId,
        nocase: bool,
        clause: u8,
    ) {
        self.add_listener(bytes, pattern, nocase, false, false, Some(clause));
    }

    fn add_listener(
        &mut self,
        bytes: Vec<u8>,
        pattern: PatternId,
        nocase: bool,
        wide: bool,
        trigger: bool,
        gate: Option<u8>,
    ) {
        let exact = (self.nocase && !nocase).then(|| bytes.clone());
        let key = if self.nocase {
            bytes.to_ascii_lowercase()
        } else {
            bytes
        };
        let id = match self.index.get(&key) {
            Some(&id) => id,
            None => {
                self.atoms.push(key.clone());
                self.listeners.push(Vec::new());
                self.index.insert(key, self.atoms.len() - 1);
                self.atoms.len() - 1
            }
        };
        self.listeners[id].push(Listener {
            pattern,
            exact,
            wide,
            trigger,
            gate,
        });
    }

    /// The set for log records: an automaton that finds out fast whether a line holds
    /// any atom at all (see [`AtomSet::is_match`]).
    pub(crate) fn build(self) -> Result<AtomSet, aho_corasick::BuildError> {
        let automaton = if self.atoms.is_empty() {
            None
        } else {
            let dfa = (self.atoms.len() <= DFA_MAX_ATOMS).then_some(AhoCorasickKind::DFA);
            let builder = |kind| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .ascii_case_insensitive(self.nocase)
                    .kind(kind)
                    .build(&self.atoms)
            };
            // A DFA too large to build falls back to the automaton aho-corasick picks.
            Some(Arc::new(Searcher::Other(
                builder(dfa).or_else(|_| builder(None))?,
            )))
        };
        Ok(AtomSet {
            automaton,
            listeners: self.listeners,
            unfiltered: self.unfiltered,
        })
    }

    /// Checks that every atom set [`AtomSetBuilder::build_subset`] can give will build:
    /// the whole set as a non-contiguous NFA, which any subset's is no larger than.
    pub(crate) fn check(&self) -> Result<(), aho_corasick::BuildError> {
        if self.atoms.is_empty() {
            return Ok(());
        }
        AhoCorasick::builder()
            .ascii_case_insensitive(self.nocase)
            .kind(Some(AhoCorasickKind::NoncontiguousNFA))
            .build(&self.atoms)
            .map(drop)
    }

    /// The set of the listeners whose pattern `keep` accepts, for whole files, searching
    /// for the atoms of the patterns `cover` accepts (a superset of `keep`'s, so that groups
    /// alike can share one automaton; atoms only `cover` wants have no listeners here).
    /// Atoms nobody covers are not searched for. Subsets that search for the same atoms
    /// share one automaton through `shared` (see [`SharedAutomata`]).
    pub(crate) fn build_subset(
        &self,
        keep: impl Fn(PatternId) -> bool,
        cover: impl Fn(PatternId) -> bool,
        shared: &SharedAutomata,
    ) -> Result<AtomSet, aho_corasick::BuildError> {
        let mut kept_atoms = Vec::new();
        let mut listeners = Vec::new();
        for (id, all) in self.listeners.iter().enumerate() {
            if all.iter().any(|l| cover(l.pattern)) {
                kept_atoms.push(id);
                listeners.push(all.iter().filter(|l| keep(l.pattern)).cloned().collect());
            }
        }
        if listeners.iter().all(Vec::is_empty) {
            // Nothing to hear: no automaton to run, whatever the cluster searches for.
            kept_atoms.clear();
            listeners.clear();
        }
        let unfiltered = self
            .unfiltered
            .iter()
            .copied()
            .filter(|&p| keep(p))
            .collect();
        let automaton = match shared.get(&kept_atoms) {
            Some(found) => Some(found),
            None if kept_atoms.is_empty() => None,
            None => {
                let atoms: Vec<&[u8]> = kept_atoms.iter().map(|&i| &self.atoms[i][..]).collect();
                Some(shared.insert(kept_atoms, build_file_searcher(self.nocase, &atoms)?))
            }
        };
        Ok(AtomSet {
            automaton,
            listeners,
            unfiltered,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.atoms.len()
    }

    pub(crate) fn unfiltered(&self) -> &[PatternId] {
        &self.unfiltered
    }
}

/// The automata of file sets already built, by the atoms they search for (as indices into
/// the whole set). Extension groups whose rules differ only by patterns without atoms of
/// their own search for the same atoms (on a web root of real code, three pairs of the 22
/// groups built, one of them over 511 atoms), and a full DFA over a few hundred atoms is
/// 1 to 2 MB, so one is built and shared rather than one per group.
#[derive(Default)]
pub(crate) struct SharedAutomata(Mutex<HashMap<Vec<usize>, Arc<Searcher>>>);

impl SharedAutomata {
    fn get(&self, atoms: &[usize]) -> Option<Arc<Searcher>> {
        let built = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        built.get(atoms).cloned()
    }

    /// Keeps `searcher` for `atoms`, unless another thread built one first: then that one.
    fn insert(&self, atoms: Vec<usize>, searcher: Searcher) -> Arc<Searcher> {
        let mut built = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        built
            .entry(atoms)
            .or_insert_with(|| Arc::new(searcher))
            .clone()
    }
}

/// The automaton of a file set: every hit of every atom is wanted, so it is built for
/// [`AtomSet::find`].
fn build_file_searcher(
    nocase: bool,
    atoms: &[&[u8]],
) -> Result<Searcher, aho_corasick::BuildError> {
    if atoms.len() <= DFA_MAX_ATOMS
        && let Ok(dfa) = DFA::builder()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(nocase)
            .build(atoms)
    {
        // A full DFA is the fastest automaton to search with and, for the few thousand
        // atoms rule sets have, small enough to build when first needed. Without a
        // prefilter it is searched as a table of its own (see `lanes`), and aho-corasick's
        // copy is dropped.
        if dfa.prefilter().is_none()
            && let Some(table) = Table::new(&dfa, atoms, nocase)
        {
            return Ok(Searcher::Lanes(Box::new(table)));
        }
        Ok(Searcher::Dfa(Box::new(dfa)))
    } else {
        // A DFA too large to build: the automaton aho-corasick picks.
        Ok(Searcher::Other(
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(nocase)
                .build(atoms)?,
        ))
    }
}

/// How an atom set is searched.
pub(crate) enum Searcher {
    /// A full DFA with a prefilter (few atoms, or rare first bytes): through it.
    Dfa(Box<DFA>),
    /// A full DFA without one: over several stretches at once (see `lanes`).
    Lanes(Box<Table>),
    Other(AhoCorasick),
}

pub(crate) struct AtomSet {
    /// Shared by the file sets that search for the same atoms (see [`SharedAutomata`]).
    pub(crate) automaton: Option<Arc<Searcher>>,
    /// Per automaton pattern: who wants to hear about its hits.
    pub(crate) listeners: Vec<Vec<Listener>>,
    /// Regex patterns without atoms: verified over the whole input whenever their rule
    /// applies.
    pub(crate) unfiltered: Vec<PatternId>,
}

impl AtomSet {
    pub(crate) fn len(&self) -> usize {
        self.listeners.len()
    }

    /// Whether `hay` holds any atom.
    pub(crate) fn is_match(&self, hay: &[u8]) -> bool {
        match self.automaton.as_deref() {
            None => false,
            Some(Searcher::Dfa(dfa)) => dfa
                .try_find(&Input::new(hay).earliest(true))
                .is_ok_and(|m| m.is_some()),
            Some(Searcher::Lanes(table)) => table.is_match_in(hay),
            Some(Searcher::Other(ac)) => ac.is_match(hay),
        }
    }

    /// Every atom hit in `hay` (overlapping ones too), in the order of one overlapping
    /// search: by end, then in the automaton's order.
    pub(crate) fn find(&self, hay: &[u8], out: &mut Hits) {
        out.clear();
        match self.automaton.as_deref() {
            None => {}
            Some(Searcher::Lanes(table)) => lanes::search(table, hay, out),
            Some(Searcher::Dfa(dfa)) => overlapping(&**dfa, hay, out.first()),
            Some(Searcher::Other(ac)) => out.first().extend(
                ac.find_overlapping_iter(hay)
                    .map(|m| Hit::new(m.start(), m.end(), m.pattern().as_usize())),
            ),
        }
    }
}

/// An overlapping search from the start, as aho-corasick runs it.
fn overlapping(aut: &impl Automaton, hay: &[u8], out: &mut Vec<Hit>) {
    let input = Input::new(hay);
    let mut state = OverlappingState::start();
    loop {
        aut.try_find_overlapping(&input, &mut state)
            .expect("an unanchored search with standard semantics does not fail");
        let Some(m) = state.get_match() else { return };
        out.push(Hit::new(m.start(), m.end(), m.pattern().as_usize()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ids::Id;

    fn builder() -> AtomSetBuilder {
        let mut b = AtomSetBuilder::new(true);
        b.add(
            b"eval".to_vec(),
            PatternId::from_index(0),
            true,
            false,
            false,
        );
        b.add(
            b"eval".to_vec(),
            PatternId::from_index(1),
            true,
            false,
            false,
        );
        b.add(
            b"assert".to_vec(),
            PatternId::from_index(1),
            true,
            false,
            false,
        );
        b.add(
            b"system".to_vec(),
            PatternId::from_index(2),
            true,
            false,
            false,
        );
        b
    }

    fn found(set: &AtomSet, hay: &[u8]) -> Vec<(usize, Vec<PatternId>)> {
        let mut hits = Hits::default();
        set.find(hay, &mut hits);
        hits.iter()
            .map(|h| {
                (
                    h.start,
                    set.listeners[h.atom()].iter().map(|l| l.pattern).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn subsets_with_the_same_atoms_share_one_automaton_and_keep_their_listeners() {
        let b = builder();
        let shared = SharedAutomata::default();
        let p = PatternId::from_index;
        // Both keep `eval` and `assert`, through different patterns.
        let first = b
            .build_subset(|pi| pi != p(2), |pi| pi != p(2), &shared)
            .unwrap();
        let second = b
            .build_subset(|pi| pi == p(1), |pi| pi == p(1), &shared)
            .unwrap();
        let other = b
            .build_subset(|pi| pi == p(2), |pi| pi == p(2), &shared)
            .unwrap();
        let (a, c, o) = (
            first.automaton.as_ref().unwrap(),
            second.automaton.as_ref().unwrap(),
            other.automaton.as_ref().unwrap(),
        );
        assert!(Arc::ptr_eq(a, c));
        assert!(!Arc::ptr_eq(a, o));
        let hay = b"x eval(assert(system()))";
        assert_eq!(
            found(&first, hay),
            vec![(2, vec![p(0), p(1)]), (7, vec![p(1)])]
        );
        assert_eq!(found(&second, hay), vec![(2, vec![p(1)]), (7, vec![p(1)])]);
        assert_eq!(found(&other, hay), vec![(14, vec![p(2)])]);
        let none = b.build_subset(|_| false, |_| false, &shared).unwrap();
        assert!(none.automaton.is_none());
        assert!(found(&none, hay).is_empty());
    }

    #[test]
    fn a_set_covering_more_than_it_keeps_shares_the_wider_automaton_and_hears_only_its_own() {
        let b = builder();
        let shared = SharedAutomata::default();
        let p = PatternId::from_index;
        let all = b.build_subset(|_| true, |_| true, &shared).unwrap();
        let narrow = b.build_subset(|pi| pi == p(2), |_| true, &shared).unwrap();
        assert!(Arc::ptr_eq(
            all.automaton.as_ref().unwrap(),
            narrow.automaton.as_ref().unwrap()
        ));
        let hay = b"x eval(assert(system()))";
        // The atoms it does not keep are still found, with nobody listening.
        assert_eq!(
            found(&narrow, hay),
            vec![(2, vec![]), (7, vec![]), (14, vec![p(2)])]
        );
        // Covering atoms it keeps none of, a set searches for nothing.
        let deaf = b.build_subset(|_| false, |_| true, &shared).unwrap();
        assert!(deaf.automaton.is_none());
        assert!(found(&deaf, hay).is_empty());
    }
}
