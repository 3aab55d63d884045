//! The atoms of file rules, split by file extension.
//!
//! Rules name the extensions they apply to, and most atoms belong to rules of one
//! language: `list` or `String` for JSP, `request` for ASP.NET. In one automaton over all
//! of them, every PHP, JavaScript or HTML file pays for a hit at each such word, only for
//! the hit to be dropped because its rule does not apply. Each extension a rule names gets
//! its own automaton over the atoms of the rules that can apply to it, built the first
//! time a file with that extension is scanned, so start-up builds none and a sweep builds
//! only those its files need.
//!
//! Groups whose rules are nearly the same (the php extensions, the ASP.NET page kinds, jsp
//! and jspf) search with one automaton over the atoms of all their rules, each group
//! listening only to its own. A full DFA over a few hundred atoms is 1 to 2 MB, and a web
//! root of real code built 19 of them, 20 MB of a sweep's peak, most nearly alike; a few
//! atoms more cost a few hits more, which the group's listeners drop.

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
    /// Per group, the rules whose atoms its automaton searches for: its own and those of the
    /// groups like it (see [`clusters`]).
    cover: Vec<IdVec<RuleId, bool>>,
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
        let cover = clusters(&rules);
        FileAtoms {
            all: OnceLock::new(),
            rules,
            cover,
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
            let (rules, cover) = (&self.rules[group], &self.cover[group]);
            self.all()
                .build_subset(
                    |pi| rules[rule_of(pi)],
                    |pi| cover[rule_of(pi)],
                    &self.automata,
                )
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

/// Groups whose rule sets overlap at least this much (shared over either's whole) search
/// with one automaton.
const ALIKE: f64 = 0.85;

/// Per group, the rules of every group it is clustered with: groups are joined when their
/// rule sets are [`ALIKE`], and so are the groups joined to those.
fn clusters(rules: &[IdVec<RuleId, bool>]) -> Vec<IdVec<RuleId, bool>> {
    let n = rules.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut g: usize) -> usize {
        while parent[g] != g {
            parent[g] = parent[parent[g]];
            g = parent[g];
        }
        g
    }
    for a in 0..n {
        for b in a + 1..n {
            let (mut both, mut either) = (0usize, 0usize);
            for (&x, &y) in rules[a].iter().zip(rules[b].iter()) {
                both += usize::from(x && y);
                either += usize::from(x || y);
            }
            if either > 0 && both as f64 >= ALIKE * either as f64 {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let mut union: Vec<Option<IdVec<RuleId, bool>>> = vec![None; n];
    for (g, own) in rules.iter().enumerate() {
        let r = root(&mut parent, g);
        let u = union[r].get_or_insert_with(|| own.clone());
        for (dst, &src) in u.iter_mut().zip(own.iter()) {
            *dst |= src;
        }
    }
    (0..n)
        .map(|g| {
            let r = root(&mut parent, g);
            union[r].clone().expect("every root has its union")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ids::Id;

    fn mask(n: usize, on: impl IntoIterator<Item = usize>) -> IdVec<RuleId, bool> {
        let mut m = IdVec::from(vec![false; n]);
        for i in on {
            m[RuleId::from_index(i)] = true;
        }
        m
    }

    #[test]
    fn groups_alike_are_covered_by_their_union_and_the_others_by_their_own_rules() {
        let n = 40;
        let php = mask(n, 0..20);
        let php3 = mask(n, 0..19); // 19 of the 20 in either: alike
        // 18 of 21 with php (alike), 17 of 21 with php3 (not): joined through php.
        let phar = mask(n, 2..21);
        let asp = mask(n, (0..4).chain(22..36));
        let txt = mask(n, 0..10); // half of php: not alike
        let groups = vec![php, php3, phar, asp.clone(), txt.clone()];
        let cover = clusters(&groups);
        for (g, c) in cover.iter().enumerate().take(3) {
            assert_eq!(*c, mask(n, 0..21), "group {g}");
        }
        assert_eq!(cover[3], asp);
        assert_eq!(cover[4], txt);
        for (g, rules) in groups.iter().enumerate() {
            for (r, &on) in rules.iter_enumerated() {
                assert!(!on || cover[g][r], "group {g} covers its own rule {r:?}");
            }
        }
    }
}
