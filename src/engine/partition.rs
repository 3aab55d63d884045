//! The atoms of file rules, split by file extension.
//!
//! Rules name the extensions they apply to, and most atoms belong to rules of one
//! language: `list` or `String` for JSP, `request` for ASP.NET. In one automaton over all
//! of them, every PHP, JavaScript or HTML file pays for a hit at each such word, only for
//! the hit to be dropped because its rule does not apply. Each extension a rule names gets
//! its own automaton over the atoms of the rules that can apply to it, built the first
//! time a file with that extension is scanned, so start-up builds none and a sweep builds
//! only those its files need.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::automaton::{AtomSet, AtomSetBuilder, SharedAutomata};
use super::ids::{IdVec, PatternId, RuleId};

pub(crate) struct FileAtoms {
    /// The atoms of every file rule, given when the engine is built or, when every file
    /// rule came with shellsweep, when the first file is scanned (see `Engine::new`).
    all: OnceLock<AtomSetBuilder>,
    /// Per group, the rules it covers: group 0 is for extensions no rule names.
    rules: Vec<IdVec<RuleId, bool>>,
    sets: Vec<OnceLock<AtomSet>>,
    /// The groups' automata, one per distinct set of atoms.
    automata: SharedAutomata,
    group_of: HashMap<String, usize>,
}

impl FileAtoms {
    /// The groups; the atoms come later ([`FileAtoms::give`], [`FileAtoms::atoms`]).
    /// `any_extension`: the rules without an extension list; `by_extension`: the others.
    pub(crate) fn new(
        rule_count: usize,
        any_extension: &[RuleId],
        by_extension: &HashMap<String, Vec<RuleId>>,
    ) -> FileAtoms {
        let mut base = IdVec::from(vec![false; rule_count]);
        for &ri in any_extension {
            base[ri] = true;
        }
        let mut rules = vec![base.clone()];
        let mut group_of = HashMap::new();
        // Extensions that select the same rules share one automaton (php, php5, phtml).
        let mut seen: HashMap<IdVec<RuleId, bool>, usize> = HashMap::new();
        let mut names: Vec<&String> = by_extension.keys().collect();
        names.sort();
        for ext in names {
            let mut mask = base.clone();
            for &ri in &by_extension[ext] {
                mask[ri] = true;
            }
            let g = *seen.entry(mask.clone()).or_insert_with(|| {
                rules.push(mask);
                rules.len() - 1
            });
            group_of.insert(ext.clone(), g);
        }
        let sets = rules.iter().map(|_| OnceLock::new()).collect();
        FileAtoms {
            all: OnceLock::new(),
            rules,
            sets,
            automata: SharedAutomata::default(),
            group_of,
        }
    }

    /// Gives the atoms now. Whatever part of them a group builds, the whole set must
    /// build: checked here, so that a rule set that cannot be searched fails when it loads,
    /// not mid-sweep.
    pub(crate) fn give(&self, all: AtomSetBuilder) -> Result<(), aho_corasick::BuildError> {
        all.check()?;
        let _ = self.all.set(all);
        Ok(())
    }

    /// The atoms, made by `make` if not given yet: only for rules the test suite builds
    /// (the bundled ones), since a failure here is a panic.
    pub(crate) fn atoms(&self, make: impl FnOnce() -> AtomSetBuilder) -> &FileAtoms {
        self.all.get_or_init(|| {
            let all = make();
            all.check()
                .expect("the bundled rules' atoms are built by the test suite");
            all
        });
        self
    }

    /// Whether the atoms are there yet.
    #[cfg(test)]
    pub(crate) fn has_atoms(&self) -> bool {
        self.all.get().is_some()
    }

    fn all(&self) -> &AtomSetBuilder {
        self.all
            .get()
            .expect("the engine gives the file atoms before a file is scanned")
    }

    /// The group for a file's lowercased extension.
    pub(crate) fn group(&self, ext: &str) -> usize {
        self.group_of.get(ext).copied().unwrap_or(0)
    }

    /// The atom set of `group`, built on first use; `rule_of` maps a pattern to its rule.
    pub(crate) fn set(&self, group: usize, rule_of: impl Fn(PatternId) -> RuleId) -> &AtomSet {
        self.sets[group].get_or_init(|| {
            let rules = &self.rules[group];
            self.all()
                .build_subset(|pi| rules[rule_of(pi)], &self.automata)
                .expect("the whole set was checked to build when the rules loaded")
        })
    }

    /// The number of distinct atoms over all groups.
    pub(crate) fn len(&self) -> usize {
        self.all().len()
    }

    /// Regex patterns without atoms, over all groups.
    pub(crate) fn unfiltered(&self) -> &[PatternId] {
        self.all().unfiltered()
    }
}
