//! Stage one of the line filter's gate: finding the primary literals (each alternative's
//! most selective clause) in whole chunks of lowercased text. Long literals are found by
//! rare four-byte windows, short ones by an automaton. When the windows fit in a few packed
//! (SIMD) searchers, each is a fast pass of its own; past that, one pass tests each
//! position against two bit tables: one of the hashes of the windows, one of the first two
//! bytes of the short literals. Each window found is checked for the literals it stands
//! for.

use std::collections::HashMap;

use foldhash::fast::FixedState;

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
    Packed {
        searcher: packed::Searcher,
        /// Per window: the literals it stands for, with its offset in each.
        owners: Vec<Vec<(u32, usize)>>,
    },
    /// Rare four-byte windows of the long literals and the first two bytes of the short
    /// ones; each found is checked for the literals it stands for.
    ///
    /// Positions whose four bytes hash to a clear bit of `quads` and whose two bytes are
    /// clear in `pairs` start no literal, which rules out nearly every position with two
    /// loads. (Packed SIMD searchers took one pass per 16 windows, and the 125 windows of
    /// the Sigma web rules matched much ordinary text by their half-bytes: eight passes plus
    /// an automaton for the short literals were a third of a scan with Sigma loaded.)
    Table {
        /// One bit per hash of a window ([`window_hash`]).
        quads: Box<[u64; TABLE_WORDS]>,
        /// Per window (as a little-endian `u32`): the literals it stands for, with its
        /// offset in each.
        quad_owners: HashMap<u32, Vec<(u32, usize)>, FixedState>,
        /// One bit per two-byte value (little-endian) a short literal starts with.
        pairs: Box<[u64; TABLE_WORDS]>,
        /// Per two-byte value: the short literals that start with it.
        pair_owners: HashMap<u16, Vec<u32>, FixedState>,
    },
}

/// Length of the windows searched for long primary literals.
pub(super) const WINDOW: usize = 4;

/// Windows per packed searcher, fewest first: Teddy puts them in 8 or 16 buckets, and a
/// bucket of several windows matches much ordinary text by their low and high half-bytes
/// (measured on the Sigma web rules over the IIS benchmark log: 16 per searcher cost fewer
/// instructions than 32 or 64, though it takes more passes).
const WINDOWS_PER_SEARCHER: [usize; 3] = [16, 32, 64];

/// Past this many passes over each chunk, one automaton for all literals is faster.
const MAX_SEARCHERS: usize = 8;

/// Bits of a window's hash: a table of 2^16 bits (8 KB) stays in the first-level cache, and
/// a few hundred windows set under one bit in a hundred, so few positions are looked up.
/// Two bytes index the pair table as they are, which has as many bits.
const HASH_BITS: u32 = 16;
const TABLE_WORDS: usize = (1 << HASH_BITS) / 64;

/// Past this many windows, the table lets through so many positions that one automaton for
/// all literals is faster.
const MAX_WINDOWS: usize = 1024;

/// The table index of a window (its four bytes as a little-endian `u32`): multiplicative
/// hashing, the high bits of the product.
fn window_hash(w: u32) -> usize {
    (w.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
}

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
    pub(super) fn packed(group: Vec<(Vec<u8>, Vec<u32>)>) -> Option<Vec<Primary>> {
        let (literals, rules) = unzip_rules(group);
        let (chosen, per) = choose_packed(&literals)?;
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
                search: Search::Packed { searcher, owners },
                literals: lits,
                rules: lit_rules,
            });
        }
        Some(out)
    }

    /// The table search for literals of at least two bytes; None when some literal is
    /// shorter or the long ones would take more than `MAX_WINDOWS` windows.
    pub(super) fn table(group: Vec<(Vec<u8>, Vec<u32>)>) -> Option<Primary> {
        let (literals, rules) = unzip_rules(group);
        if literals.iter().any(|l| l.len() < 2) {
            return None;
        }
        let long: Vec<Vec<u8>> = literals
            .iter()
            .filter(|l| l.len() >= WINDOW)
            .cloned()
            .collect();
        let long_at: Vec<usize> = (0..literals.len())
            .filter(|&i| literals[i].len() >= WINDOW)
            .collect();
        let chosen = choose_table_windows(&long)?;
        let mut lits = Vec::new();
        let mut lit_rules = Vec::new();
        let mut quads = Box::new([0u64; TABLE_WORDS]);
        let mut quad_owners: HashMap<u32, Vec<(u32, usize)>, FixedState> = HashMap::default();
        for (w, owned) in chosen {
            let key = u32::from_le_bytes(w.as_slice().try_into().ok()?);
            set_bit(&mut quads, window_hash(key));
            let entry = quad_owners.entry(key).or_default();
            for (lit, off) in owned {
                lits.push(literals[long_at[lit]].clone());
                lit_rules.push(rules[long_at[lit]].clone());
                entry.push(((lits.len() - 1) as u32, off));
            }
        }
        let mut pairs = Box::new([0u64; TABLE_WORDS]);
        let mut pair_owners: HashMap<u16, Vec<u32>, FixedState> = HashMap::default();
        for (lit, lit_rules_of) in literals.iter().zip(&rules) {
            if lit.len() >= WINDOW {
                continue;
            }
            let key = u16::from_le_bytes([lit[0], lit[1]]);
            set_bit(&mut pairs, usize::from(key));
            lits.push(lit.clone());
            lit_rules.push(lit_rules_of.clone());
            pair_owners
                .entry(key)
                .or_default()
                .push((lits.len() - 1) as u32);
        }
        Some(Primary {
            search: Search::Table {
                quads,
                quad_owners,
                pairs,
                pair_owners,
            },
            literals: lits,
            rules: lit_rules,
        })
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
            Search::Packed { searcher, owners } => {
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
            Search::Table {
                quads,
                quad_owners,
                pairs,
                pair_owners,
            } => {
                let quad = |w: u32| has_bit(quads, window_hash(w));
                let pair = |w: u32| has_bit(pairs, (w & 0xffff) as usize);
                let literals = &self.literals;
                let mut check = |p: usize, w: u32, rest: usize| {
                    if rest >= WINDOW
                        && quad(w)
                        && let Some(owned) = quad_owners.get(&w)
                    {
                        for &(lit, off) in owned {
                            let lit = lit as usize;
                            if p >= off && text[p - off..].starts_with(&literals[lit]) {
                                f(p - off, lit);
                            }
                        }
                    }
                    if pair(w)
                        && let Some(owned) = pair_owners.get(&((w & 0xffff) as u16))
                    {
                        for &lit in owned {
                            let lit = lit as usize;
                            if text[p..].starts_with(&literals[lit]) {
                                f(p, lit);
                            }
                        }
                    }
                };
                // Eight bytes read at a time give the windows at four positions, tested
                // together: nearly always none is in either table.
                let mut p = 0;
                while let Some(eight) = text.get(p..p + 8) {
                    let x = u64::from_le_bytes(eight.try_into().unwrap_or_default());
                    let ws = [
                        x as u32,
                        (x >> 8) as u32,
                        (x >> 16) as u32,
                        (x >> 24) as u32,
                    ];
                    let any = ws.iter().fold(false, |any, &w| any | quad(w) | pair(w));
                    if any {
                        for (k, &w) in ws.iter().enumerate() {
                            check(p + k, w, WINDOW);
                        }
                    }
                    p += 4;
                }
                // The last positions, with the bytes there are (a pair needs two).
                while let Some(rest) = text.get(p..).filter(|r| r.len() >= 2) {
                    let mut four = [0u8; 4];
                    let n = rest.len().min(4);
                    four[..n].copy_from_slice(&rest[..n]);
                    check(p, u32::from_le_bytes(four), rest.len());
                    p += 1;
                }
            }
        }
    }
}

fn set_bit(table: &mut [u64; TABLE_WORDS], i: usize) {
    table[i / 64] |= 1 << (i % 64);
}

fn has_bit(table: &[u64; TABLE_WORDS], i: usize) -> bool {
    table[i / 64] & (1 << (i % 64)) != 0
}

fn unzip_rules(group: Vec<(Vec<u8>, Vec<u32>)>) -> (Vec<Vec<u8>>, Vec<Vec<u32>>) {
    let (literals, mut rules): (Vec<Vec<u8>>, Vec<Vec<u32>>) = group.into_iter().unzip();
    for r in &mut rules {
        r.sort_unstable();
        r.dedup();
    }
    (literals, rules)
}

/// Expected share of positions in web-log text where `window` starts (for ranking windows).
fn window_share(window: &[u8]) -> f64 {
    (-f64::from(rarity::bits(window))).exp2()
}

/// [`choose_packed`] for the table search: each window chosen costs only its bit in the
/// table, so the rarest cover is taken. None past `MAX_WINDOWS`.
#[allow(clippy::type_complexity)]
fn choose_table_windows(literals: &[Vec<u8>]) -> Option<Vec<(Vec<u8>, Vec<(usize, usize)>)>> {
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
    // Each window chosen also sets a bit of the table, which lets through that share of the
    // positions that hold no window.
    let fixed = 1.0 / f64::from(1u32 << HASH_BITS);
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
        let owned: Vec<(usize, usize)> = h.iter().copied().filter(|&(l, _)| !covered[l]).collect();
        for &(l, _) in &owned {
            covered[l] = true;
        }
        left -= owned.len();
        chosen.push((w.to_vec(), owned));
    }
    (chosen.len() <= MAX_WINDOWS).then_some(chosen)
}

/// Windows that together stand for every literal (each at least `WINDOW` bytes), with the
/// literals each stands for and where in them: a greedy weighted set cover that prefers rare
/// windows shared by many literals. Each window found costs its verification, and past
/// what a searcher takes another pass, so a fixed cost per window is raised until the cover
/// fits as few searchers as the most sharing allows. Also gives the windows per searcher;
/// None when even the most sharing needs more than `MAX_SEARCHERS`.
#[allow(clippy::type_complexity)]
fn choose_packed(literals: &[Vec<u8>]) -> Option<(Vec<(Vec<u8>, Vec<(usize, usize)>)>, usize)> {
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
    // As few searchers as the most sharing allows, then the rarest windows that fit them.
    let fewest = cover(1.0);
    let per = WINDOWS_PER_SEARCHER
        .into_iter()
        .find(|&per| fewest.len() <= per * MAX_SEARCHERS)?;
    let fit = fewest.len().div_ceil(per) * per;
    for fixed in [0.0, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2] {
        let chosen = cover(fixed);
        if chosen.len() <= fit {
            return Some((chosen, per));
        }
    }
    Some((fewest, per))
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

    /// The tables (and the packed searchers, for the long literals) find every occurrence of
    /// every literal, short or long, overlapping ones too, up to the last bytes of the text;
    /// checking the literal around a window rules out text that holds only the window.
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
            "c=",
            "|id",
            "sh=",
        ]
        .iter()
        .map(|l| l.as_bytes().to_vec())
        .collect();
        let text = b"x whoami& /ecp/${jndi:ldap://${jndi:rmi cmd.exe?x union select%20 \
            ipconfig;ifconfig /etc/passwd /etc/passw seleunion selec whoam jndi:rm |i sh=x c=|id c=";
        let group = |long_only: bool| {
            lits.iter()
                .enumerate()
                .filter(|(_, l)| !long_only || l.len() >= WINDOW)
                .map(|(r, l)| (l.clone(), vec![r as u32]))
                .collect::<Vec<_>>()
        };
        let found = |searchers: &[Primary]| {
            let mut found = Vec::new();
            for p in searchers {
                p.occurrences(text, |at, lit| found.push((at, p.literals[lit].clone())));
            }
            found.sort();
            found
        };
        let naive = |long_only: bool| {
            let mut naive = Vec::new();
            for (lit, _) in group(long_only) {
                for at in 0..text.len() {
                    if text[at..].starts_with(&lit) {
                        naive.push((at, lit.clone()));
                    }
                }
            }
            naive.sort();
            naive
        };
        let table = Primary::table(group(false)).expect("few windows");
        assert!(matches!(table.search, Search::Table { .. }));
        assert_eq!(found(&[table]), naive(false));
        assert_eq!(naive(false).len(), 16);
        let packed = Primary::packed(group(true)).expect("Teddy builds here");
        assert!(
            packed
                .iter()
                .all(|p| matches!(p.search, Search::Packed { .. }))
        );
        assert_eq!(found(&packed), naive(true));
        assert_eq!(naive(true).len(), 12);
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
