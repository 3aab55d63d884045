//! Stage one of the line filter's gate: finding the primary literals (each alternative's
//! most selective clause) in whole chunks of lowercased text. Long literals are found by
//! rare four-byte windows in packed (SIMD) searchers, checked at each hit; short ones, or
//! all when the windows would need too many passes, in one automaton.

use aho_corasick::{
    AhoCorasick, AhoCorasickKind, Anchored, Input, MatchKind, Span, StartKind, packed,
};

use super::rarity;

pub(super) struct Primary {
    pub(super) search: Search,
    pub(super) literals: Vec<Vec<u8>>,
    /// Per literal: the alternatives whose primary clause has a literal holding it.
    pub(super) rules: Vec<Vec<u32>>,
}

pub(super) enum Search {
    /// All literals in one automaton.
    Dfa {
        searcher: AhoCorasick,
        /// Per literal: the offsets inside it where another literal may start (its suffix
        /// there is a prefix of one).
        probes: Vec<Vec<usize>>,
    },
    /// Rare four-byte windows of the literals, few enough for a packed (SIMD) search; each
    /// window found is checked for the literals it stands for.
    Windows {
        searcher: packed::Searcher,
        /// Per window: the literals it stands for, with its offset in each.
        owners: Vec<Vec<(u32, usize)>>,
    },
}

/// Length of the windows searched for long primary literals.
pub(super) const WINDOW: usize = 4;

/// Windows per packed searcher, fewest first: Teddy puts them in 8 or 16 buckets, and a
/// bucket of several windows matches much ordinary text by their low and high half-bytes
/// (measured on the Sigma web rules over the IIS benchmark log: 16 per searcher cost fewer
/// instructions than 32 or 64, though it takes more passes).
const WINDOWS_PER_SEARCHER: [usize; 3] = [16, 32, 64];

/// Past this many passes over each chunk, one automaton for all literals is faster: with
/// the Sigma web rules over a 125 MB IIS log the automaton took 748 ms, 9 passes 499 ms
/// (about 25 ms a pass).
const MAX_SEARCHERS: usize = 12;

impl Primary {
    pub(super) fn dfa(group: Vec<(Vec<u8>, Vec<u32>)>) -> Option<Primary> {
        let (literals, rules) = unzip_rules(group);
        let probes = literals
            .iter()
            .map(|lit| {
                (1..lit.len())
                    .filter(|&j| literals.iter().any(|x| x.starts_with(&lit[j..])))
                    .collect()
            })
            .collect();
        Some(Primary {
            search: Search::Dfa {
                searcher: AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .start_kind(StartKind::Both)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&literals)
                    .ok()?,
                probes,
            },
            literals,
            rules,
        })
    }

    /// Searchers of windows for literals of at least `WINDOW` bytes. None when packed
    /// searching is not available here, or would take more than `MAX_SEARCHERS` passes.
    pub(super) fn windows(group: Vec<(Vec<u8>, Vec<u32>)>) -> Option<Vec<Primary>> {
        let (literals, rules) = unzip_rules(group);
        let (chosen, per) = choose_windows(&literals)?;
        let mut out = Vec::new();
        for part in chosen.chunks(per) {
            let mut lits = Vec::new();
            let mut lit_rules = Vec::new();
            let mut owners = Vec::new();
            for (_, owned) in part {
                owners.push(
                    owned
                        .iter()
                        .map(|&(lit, off)| {
                            lits.push(literals[lit].clone());
                            lit_rules.push(rules[lit].clone());
                            ((lits.len() - 1) as u32, off)
                        })
                        .collect(),
                );
            }
            let searcher = packed::Config::new()
                .match_kind(packed::MatchKind::LeftmostFirst)
                .builder()
                .extend(part.iter().map(|(w, _)| w))
                .build()?;
            out.push(Primary {
                search: Search::Windows { searcher, owners },
                literals: lits,
                rules: lit_rules,
            });
        }
        Some(out)
    }

    /// Every occurrence of every literal in `text`, as (start, literal). The automaton does
    /// not report overlapping matches, so the positions inside a match where another
    /// literal may start are also tried anchored: no literal is a prefix of another, so at
    /// most one starts at a position, and a line holding a rule's primary literal is always
    /// attributed to that rule. Windows are all of one length, so at most one starts at a
    /// position, and resuming one byte after each finds them all.
    pub(super) fn occurrences(&self, text: &[u8], mut f: impl FnMut(usize, usize)) {
        match &self.search {
            Search::Dfa { searcher, probes } => {
                for m in searcher.find_iter(text) {
                    let lit = m.pattern().as_usize();
                    f(m.start(), lit);
                    for &j in &probes[lit] {
                        let p = m.start() + j;
                        let input = Input::new(text).span(p..text.len()).anchored(Anchored::Yes);
                        if let Some(h) = searcher.find(input) {
                            f(p, h.pattern().as_usize());
                        }
                    }
                }
            }
            Search::Windows { searcher, owners } => {
                let mut at = 0;
                while let Some(m) = searcher.find_in(text, Span::from(at..text.len())) {
                    let p = m.start();
                    for &(lit, off) in &owners[m.pattern().as_usize()] {
                        let lit = lit as usize;
                        if p >= off && text[p - off..].starts_with(&self.literals[lit]) {
                            f(p - off, lit);
                        }
                    }
                    at = p + 1;
                }
            }
        }
    }
}

fn unzip_rules(group: Vec<(Vec<u8>, Vec<u32>)>) -> (Vec<Vec<u8>>, Vec<Vec<u32>>) {
    let (literals, mut rules): (Vec<Vec<u8>>, Vec<Vec<u32>>) = group.into_iter().unzip();
    for r in &mut rules {
        r.sort_unstable();
        r.dedup();
    }
    (literals, rules)
}

/// A window chosen, with the literals it stands for and its offset in each.
type ChosenWindow = (Vec<u8>, Vec<(usize, usize)>);

/// Expected share of positions in web-log text where `window` starts (for ranking windows).
fn window_share(window: &[u8]) -> f64 {
    (-f64::from(rarity::bits(window))).exp2()
}

/// Windows that together stand for every literal (each at least `WINDOW` bytes), with the
/// literals each stands for and where in them: a greedy weighted set cover that prefers rare
/// windows shared by many literals. Each window found costs its verification, and past
/// what a searcher takes another pass, so a fixed cost per window is raised until the cover
/// fits as few searchers as the most sharing allows. Also gives the windows per searcher;
/// None when even the most sharing needs more than `MAX_SEARCHERS`.
#[allow(clippy::type_complexity)]
fn choose_windows(literals: &[Vec<u8>]) -> Option<(Vec<ChosenWindow>, usize)> {
    // Per window: the literals holding it, at their first such offset.
    let mut holders: std::collections::BTreeMap<&[u8], Vec<(usize, usize)>> = Default::default();
    for (i, lit) in literals.iter().enumerate() {
        for (off, w) in lit.windows(WINDOW).enumerate() {
            let h = holders.entry(w).or_default();
            if h.last().map(|&(l, _)| l) != Some(i) {
                h.push((i, off));
            }
        }
    }
    let holders: Vec<(&[u8], Vec<(usize, usize)>, f64)> = holders
        .into_iter()
        .map(|(w, h)| (w, h, window_share(w)))
        .collect();
    let cover = |fixed: f64| {
        let mut covered = vec![false; literals.len()];
        let mut left = literals.len();
        let mut chosen = Vec::new();
        while left > 0 {
            let mut pick: Option<(f64, usize)> = None;
            for (k, (_, h, share)) in holders.iter().enumerate() {
                let gain = h.iter().filter(|&&(l, _)| !covered[l]).count();
                if gain == 0 {
                    continue;
                }
                let cost = (share + fixed) / gain as f64;
                if pick.is_none_or(|(c, _)| cost < c) {
                    pick = Some((cost, k));
                }
            }
            let Some((_, k)) = pick else { break };
            let (w, h, _) = &holders[k];
            let owned: Vec<(usize, usize)> =
                h.iter().copied().filter(|&(l, _)| !covered[l]).collect();
            for &(l, _) in &owned {
                covered[l] = true;
            }
            left -= owned.len();
            chosen.push((w.to_vec(), owned));
        }
        chosen
    };
    // Each cover, from the rarest windows to the most shared, costs a pass per searcher and
    // a verification per window found: the cheapest is kept.
    let fewest = cover(1.0);
    let per = WINDOWS_PER_SEARCHER
        .into_iter()
        .find(|&per| fewest.len() <= per * MAX_SEARCHERS)?;
    [0.0, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2]
        .into_iter()
        .map(cover)
        .chain([fewest])
        .filter(|chosen| chosen.len() <= per * MAX_SEARCHERS)
        .map(|chosen| (cover_cost(&chosen, per), chosen))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, chosen)| (chosen, per))
}

/// A pass of a packed searcher over a byte, against a window found there (the match
/// reported, the search resumed, the literals around it compared). With the Sigma web
/// rules over the IIS benchmark log, 9 passes finding 2,300 windows per MB beat 8 passes
/// finding 9,600 (`.asp` and `dows` among them) by 4 to 10%.
const PASS_COST: f64 = 1.0;
const FOUND_COST: f64 = 500.0;

/// The expected cost per byte of searching for `chosen`, `per` windows a searcher.
fn cover_cost(chosen: &[ChosenWindow], per: usize) -> f64 {
    let passes = chosen.len().div_ceil(per) as f64;
    let found: f64 = chosen.iter().map(|(w, _)| window_share(w)).sum();
    passes * PASS_COST + found * FOUND_COST
}

/// A searcher for the leftmost literals, anchored or not. Building one never fails for
/// plain literals; a gate that could not be built parses every line rather than none.
pub(super) fn searcher(lits: &[Vec<u8>]) -> Option<AhoCorasick> {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .start_kind(StartKind::Both)
        .build(lits)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Windows find every occurrence of every literal, overlapping ones too, and checking
    /// the literal around a window rules out text that holds only the window.
    #[test]
    fn windows_find_what_a_naive_search_finds() {
        let lits: Vec<Vec<u8>> = [
            "whoami",
            "hoami&",
            "/ecp/",
            "${jndi:ldap",
            "jndi:rmi",
            "cmd.exe",
            "d.exe?x",
            "union select",
            "select%20",
            "ipconfig",
            "ifconfig",
            "/etc/passwd",
        ]
        .iter()
        .map(|l| l.as_bytes().to_vec())
        .collect();
        let group = lits
            .iter()
            .enumerate()
            .map(|(r, l)| (l.clone(), vec![r as u32]))
            .collect();
        let searchers = Primary::windows(group).expect("Teddy builds here");
        assert!(
            searchers
                .iter()
                .all(|p| matches!(p.search, Search::Windows { .. }))
        );
        let text = b"x whoami& /ecp/${jndi:ldap://${jndi:rmi cmd.exe?x union select%20 \
            ipconfig;ifconfig /etc/passwd /etc/passw seleunion selec whoam jndi:rm";
        let mut found = Vec::new();
        for p in &searchers {
            p.occurrences(text, |at, lit| found.push((at, p.literals[lit].clone())));
        }
        found.sort();
        let mut naive = Vec::new();
        for lit in &lits {
            for at in 0..text.len() {
                if text[at..].starts_with(lit) {
                    naive.push((at, lit.clone()));
                }
            }
        }
        naive.sort();
        assert_eq!(found, naive);
        assert_eq!(naive.len(), 12);
    }

    /// Of the covers tried, the one kept costs least, and a window the counted table says
    /// fills log lines (`.asp`) is passed over when each literal has a rare one.
    #[test]
    fn the_cheapest_cover_is_kept() {
        let lits: Vec<Vec<u8>> = [
            "/human2.aspx",
            "/_vti_bin/x.aspx",
            "spinstall0.aspx",
            "/setupwizard.aspx/",
        ]
        .iter()
        .map(|l| l.as_bytes().to_vec())
        .collect();
        let (chosen, per) = choose_windows(&lits).unwrap();
        assert!(chosen.len() <= per, "one pass is enough: {chosen:?}");
        assert!(
            chosen.iter().all(|(w, _)| w != b".asp" && w != b"aspx"),
            "{chosen:?}"
        );
        let mut covered: Vec<usize> = chosen
            .iter()
            .flat_map(|(_, o)| o.iter().map(|&(l, _)| l))
            .collect();
        covered.sort();
        assert_eq!(covered, [0, 1, 2, 3]);
        // Many literals sharing one window: searching them one window each would take more
        // passes than `MAX_SEARCHERS`, so the shared window is the cheapest cover that fits.
        let many: Vec<Vec<u8>> = (0..300)
            .map(|k| format!("qz{k:03}jndi").into_bytes())
            .collect();
        let (chosen, per_many) = choose_windows(&many).unwrap();
        assert!(chosen.len() <= per_many * MAX_SEARCHERS);
        assert!(
            chosen.iter().any(|(w, o)| w == b"jndi" && o.len() > 1),
            "{chosen:?}"
        );
    }

    #[test]
    fn overlapping_primary_literals_are_all_found() {
        let lits = ["xcm", "cmd=", "d=c", "=q"];
        let primary = Primary::dfa(
            lits.iter()
                .enumerate()
                .map(|(r, l)| (l.as_bytes().to_vec(), vec![r as u32, r as u32]))
                .collect(),
        )
        .unwrap();
        assert_eq!(primary.rules[1], [1]);
        // Probes only where another literal can start: `xcm` at `cm`, `cmd=` at `d=` and
        // `=`, `d=c` at `c`; not `d=c` at `=c` (no literal starts so).
        let Search::Dfa { probes, .. } = &primary.search else {
            panic!("a DFA was asked for");
        };
        assert_eq!(*probes, [vec![1], vec![2, 3], vec![2], vec![]]);
        let mut found = Vec::new();
        primary.occurrences(b"a xcmd=c", |at, lit| found.push((at, lit)));
        assert_eq!(found, [(2, 0), (3, 1), (5, 2)]);
        found.clear();
        primary.occurrences(b"cmd=q", |at, lit| found.push((at, lit)));
        assert_eq!(found, [(0, 1), (3, 3)]);
    }
}
