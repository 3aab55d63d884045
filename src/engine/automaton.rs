//! One Aho-Corasick automaton over a set of atoms, and who listens to each atom's hits.

use std::collections::HashMap;

use aho_corasick::automaton::{Automaton, OverlappingState};
use aho_corasick::dfa::DFA;
use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};

use super::ids::PatternId;
use super::lanes::{self, Hit, Hits};

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
            Some(Searcher::Other(builder(dfa).or_else(|_| builder(None))?))
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

    /// The set of the listeners whose pattern `keep` accepts, for whole files; atoms
    /// nobody is left to listen to are not searched for.
    pub(crate) fn build_subset(
        &self,
        keep: impl Fn(PatternId) -> bool,
    ) -> Result<AtomSet, aho_corasick::BuildError> {
        let mut atoms = Vec::new();
        let mut listeners = Vec::new();
        for (atom, all) in self.atoms.iter().zip(&self.listeners) {
            let kept: Vec<Listener> = all.iter().filter(|l| keep(l.pattern)).cloned().collect();
            if !kept.is_empty() {
                atoms.push(atom.clone());
                listeners.push(kept);
            }
        }
        let unfiltered = self
            .unfiltered
            .iter()
            .copied()
            .filter(|&p| keep(p))
            .collect();
        build(self.nocase, atoms, listeners, unfiltered)
    }

    pub(crate) fn len(&self) -> usize {
        self.atoms.len()
    }

    pub(crate) fn unfiltered(&self) -> &[PatternId] {
        &self.unfiltered
    }
}

/// A file set: every hit of every atom is wanted, so the automaton is built for
/// [`AtomSet::find`].
fn build(
    nocase: bool,
    atoms: Vec<Vec<u8>>,
    listeners: Vec<Vec<Listener>>,
    unfiltered: Vec<PatternId>,
) -> Result<AtomSet, aho_corasick::BuildError> {
    let automaton = if atoms.is_empty() {
        None
    } else if atoms.len() <= DFA_MAX_ATOMS
        && let Ok(dfa) = DFA::builder()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(nocase)
            .build(&atoms)
    {
        // A full DFA is the fastest automaton to search with and, for the few thousand
        // atoms rule sets have, small enough to build when first needed.
        Some(Searcher::Dfa(Box::new(dfa)))
    } else {
        // A DFA too large to build: the automaton aho-corasick picks.
        Some(Searcher::Other(
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(nocase)
                .build(&atoms)?,
        ))
    };
    Ok(AtomSet {
        automaton,
        listeners,
        unfiltered,
    })
}

/// How an atom set is searched.
pub(crate) enum Searcher {
    /// A full DFA: through its prefilter when it has one (few atoms, or rare first
    /// bytes), else over several stretches at once (see `lanes`).
    Dfa(Box<DFA>),
    Other(AhoCorasick),
}

pub(crate) struct AtomSet {
    pub(crate) automaton: Option<Searcher>,
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
        match &self.automaton {
            None => false,
            Some(Searcher::Dfa(dfa)) => dfa
                .try_find(&Input::new(hay).earliest(true))
                .is_ok_and(|m| m.is_some()),
            Some(Searcher::Other(ac)) => ac.is_match(hay),
        }
    }

    /// Every atom hit in `hay` (overlapping ones too), in the order of one overlapping
    /// search: by end, then in the automaton's order.
    pub(crate) fn find(&self, hay: &[u8], out: &mut Hits) {
        out.clear();
        match &self.automaton {
            None => {}
            Some(Searcher::Dfa(dfa)) if dfa.prefilter().is_none() => lanes::search(dfa, hay, out),
            Some(Searcher::Dfa(dfa)) => overlapping(&**dfa, hay, out.first()),
            Some(Searcher::Other(ac)) => {
                out.first()
                    .extend(ac.find_overlapping_iter(hay).map(|m| Hit {
                        start: m.start(),
                        end: m.end(),
                        atom: m.pattern().as_usize(),
                    }))
            }
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
        out.push(Hit {
            start: m.start(),
            end: m.end(),
            atom: m.pattern().as_usize(),
        });
    }
}
