//! Searching an atom DFA over several stretches of one buffer at once.
//!
//! A web application's rules give a DFA of a few thousand states, and code is full of bytes
//! that start some atom, so the DFA is rarely in its start state and no prefilter skips
//! anything. Each byte's step is a table load that waits on the one before it, and the
//! search runs at the latency of that load and at the number of instructions around it.
//! Cutting the buffer into [`LANES`] stretches and stepping the DFA through all of them in
//! turn gives the core independent loads to overlap; a [`Table`] of its own, with one
//! class per atom byte, match states first and one branch per step for all lanes, keeps
//! the step to a few instructions.
//!
//! Each stretch after the first starts `max_pattern_len - 1` bytes early, so its state is
//! exact again by the time it reaches its own first byte (an Aho-Corasick state stands for
//! at most the last `max_pattern_len` bytes), and reports only the hits ending inside it.
//! The stretches' hits, taken in order, are the hits of one search from the start, in the
//! same order: by end, then in the DFA's order among those ending at one byte.

use aho_corasick::Anchored;
use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;

/// foldhash: the table's build looks up every entry's target state once.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Stretches searched together. Measured on the PHP and JSON files of a web root of real
/// code, the DFA alone (ns per byte, PHP's 507 atoms): 2 lanes 1.27, 3 lanes 1.15, 4 lanes
/// 1.07, 5 and 6 no better.
pub(crate) const LANES: usize = 4;

/// Below this many bytes per stretch, the early starts would cost more than the overlap
/// saves, and the buffer is searched in one stretch. 512 beat 4096 by 5 to 7% on the same
/// files (half of a web root's files are under 12 KiB, which 4096 left to one stretch);
/// below 512 it made no difference.
const MIN_STRETCH: usize = 512;

/// An Aho-Corasick DFA laid out for [`search`]: a byte's class is its own among the bytes
/// the atoms hold (both cases of a letter share one when the automaton ignores case), every
/// other byte is class 0, and a row has one entry per class. aho-corasick rounds its rows up
/// to a power of two: for PHP's 507 case-folded atoms, 73 classes took rows of 128 entries
/// (2.0 MB against 1.1 MB here). State ids are row offsets; the match states come first,
/// so that one comparison says whether a step ended in one.
pub(crate) struct Table {
    classes: [u8; 256],
    trans: Vec<u32>,
    start: u32,
    /// The match states are the ids below this.
    match_end: u32,
    stride: u32,
    /// Per match state (by id / stride): its atoms, in the DFA's order, as
    /// `match_atoms[match_at[i]..match_at[i + 1]]`.
    match_at: Vec<u32>,
    match_atoms: Vec<u32>,
    atom_len: Vec<u32>,
    max_len: usize,
}

impl Table {
    /// `dfa` must be the unanchored DFA of `atoms` with `nocase` as its case folding, and
    /// must fit: states times classes below 2^32 (a DFA of the few thousand atoms it is
    /// built for has a few hundred thousand entries).
    pub(crate) fn new(dfa: &DFA, atoms: &[&[u8]], nocase: bool) -> Option<Table> {
        let mut classes = [0u8; 256];
        let mut reps = vec![0u8];
        let fold = |b: u8, classes: &mut [u8; 256], reps: &mut Vec<u8>| {
            if classes[usize::from(b)] != 0 {
                return Some(());
            }
            let class = u8::try_from(reps.len()).ok()?;
            reps.push(b);
            classes[usize::from(b)] = class;
            if nocase {
                classes[usize::from(b.to_ascii_lowercase())] = class;
                classes[usize::from(b.to_ascii_uppercase())] = class;
            }
            Some(())
        };
        for &b in atoms.iter().flat_map(|a| a.iter()) {
            fold(b, &mut classes, &mut reps)?;
        }
        // Class 0 stands for the bytes no atom holds; any one of them steps for all.
        reps[0] = (0..=255u8).find(|&b| classes[usize::from(b)] == 0)?;
        let stride = reps.len();
        let start = dfa.start_state(Anchored::No).ok()?;
        // Every state an unanchored search can reach, breadth first from the start, and
        // each one's row as indices into that order: one step and one lookup per entry (the
        // table is built when the first file of its extension is scanned).
        let mut order = vec![start];
        let mut seen: HashMap<StateID, u32> = HashMap::default();
        seen.insert(start, 0);
        let mut rows: Vec<u32> = Vec::new();
        let mut i = 0;
        while let Some(&s) = order.get(i) {
            i += 1;
            for &r in &reps {
                let t = dfa.next_state(Anchored::No, s, r);
                let next = u32::try_from(order.len()).ok()?;
                let k = *seen.entry(t).or_insert_with(|| {
                    order.push(t);
                    next
                });
                rows.push(k);
            }
        }
        // Match states first, each group in breadth-first order: `at[k]` is where state
        // `k` of that order goes.
        let mut at = vec![0u32; order.len()];
        let mut n = 0u32;
        for want in [true, false] {
            for (k, &s) in order.iter().enumerate() {
                if dfa.is_match(s) == want {
                    at[k] = n;
                    n += 1;
                }
            }
        }
        let id = |k: u32| u32::try_from((k as usize).checked_mul(stride)?).ok();
        id(n)?;
        let mut trans = vec![0u32; order.len() * stride];
        for (k, row) in rows.chunks_exact(stride).enumerate() {
            let to = at[k] as usize * stride;
            for (entry, &target) in trans[to..to + stride].iter_mut().zip(row) {
                *entry = id(at[target as usize])?;
            }
        }
        let mut by_place = vec![start; order.len()];
        for (k, &s) in order.iter().enumerate() {
            by_place[at[k] as usize] = s;
        }
        let (mut match_at, mut match_atoms) = (vec![0u32], Vec::new());
        for &s in by_place.iter().take_while(|&&s| dfa.is_match(s)) {
            match_atoms.extend((0..dfa.match_len(s)).map(|i| dfa.match_pattern(s, i).as_u32()));
            match_at.push(u32::try_from(match_atoms.len()).ok()?);
        }
        let matches = match_at.len() - 1;
        Some(Table {
            classes,
            trans,
            start: id(at[0])?,
            match_end: id(u32::try_from(matches).ok()?)?,
            stride: u32::try_from(stride).ok()?,
            match_at,
            match_atoms,
            atom_len: atoms
                .iter()
                .map(|a| u32::try_from(a.len()).ok())
                .collect::<Option<_>>()?,
            max_len: atoms.iter().map(|a| a.len()).max().unwrap_or(0),
        })
    }

    #[inline(always)]
    fn next(&self, s: u32, b: u8) -> u32 {
        self.trans[(s + u32::from(self.classes[usize::from(b)])) as usize]
    }

    #[inline(always)]
    fn is_match(&self, s: u32) -> bool {
        s < self.match_end
    }

    /// Whether `hay` holds any atom.
    pub(crate) fn is_match_in(&self, hay: &[u8]) -> bool {
        let mut s = self.start;
        hay.iter().any(|&b| {
            s = self.next(s, b);
            self.is_match(s)
        })
    }

    /// What the table holds, in bytes.
    #[cfg(test)]
    fn memory_usage(&self) -> usize {
        (self.trans.len() + self.match_at.len() + self.match_atoms.len() + self.atom_len.len())
            * size_of::<u32>()
    }

    fn push_matches(&self, s: u32, end: usize, out: &mut Vec<Hit>) {
        let m = (s / self.stride) as usize;
        let (from, to) = (self.match_at[m] as usize, self.match_at[m + 1] as usize);
        for &atom in &self.match_atoms[from..to] {
            let len = self.atom_len[atom as usize];
            out.push(Hit {
                start: end - len as usize,
                len,
                atom,
            });
        }
    }
}

/// One atom hit, in 16 bytes: a file dense with atoms (a word list, a font table) leaves
/// hundreds of thousands at once, and at 24 bytes they were 4.3 MB of the peak of a sweep
/// of the web root of issue 18.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) start: usize,
    len: u32,
    /// The atom, by its index in the automaton.
    atom: u32,
}

impl Hit {
    /// An atom is short and an automaton's atoms are few (aho-corasick numbers them in 31
    /// bits): both fit.
    pub(crate) fn new(start: usize, end: usize, atom: usize) -> Hit {
        Hit {
            start,
            len: (end - start) as u32,
            atom: atom as u32,
        }
    }

    pub(crate) fn end(&self) -> usize {
        self.start + self.len as usize
    }

    pub(crate) fn atom(&self) -> usize {
        self.atom as usize
    }
}

/// The hits of one search, per stretch; reused from buffer to buffer.
#[derive(Default)]
pub(crate) struct Hits {
    lanes: [Vec<Hit>; LANES],
}

impl Hits {
    pub(crate) fn clear(&mut self) {
        self.lanes.iter_mut().for_each(Vec::clear);
    }

    /// Clears, and gives back the stretches' memory past `max` hits each.
    pub(crate) fn trim(&mut self, max: usize) {
        for lane in &mut self.lanes {
            if lane.capacity() > max {
                *lane = Vec::new();
            }
            lane.clear();
        }
    }

    /// The most hits a stretch has room for without growing.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.lanes.iter().map(Vec::capacity).max().unwrap_or(0)
    }

    /// Where the single-stretch searches put their hits.
    pub(crate) fn first(&mut self) -> &mut Vec<Hit> {
        &mut self.lanes[0]
    }

    /// Every hit, in search order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Hit> {
        self.lanes.iter().flatten()
    }
}

/// Every hit of the table's atoms in `hay`, as an overlapping search from the start
/// reports them.
// A step indexes every lane at one offset: a range loop says that plainly.
#[allow(clippy::needless_range_loop)]
// Inlined into its one caller, as it was until unrelated changes moved LLVM's choice: out
// of line, the step loop ran 2% more instructions (cachegrind, the web shell collections'
// PHP).
#[inline]
pub(crate) fn search(t: &Table, hay: &[u8], out: &mut Hits) {
    out.clear();
    let warm = t.max_len.saturating_sub(1);
    let stretch = hay.len().div_ceil(LANES);
    if stretch < MIN_STRETCH.max(warm.saturating_mul(4)) {
        one(t, t.start, hay, 0, 0, hay.len(), out.first());
        return;
    }
    // Stretch k owns the hits ending in (own[k], end[k]]; it reads from from[k].
    let own: [usize; LANES] = std::array::from_fn(|k| k * stretch);
    let end: [usize; LANES] = std::array::from_fn(|k| ((k + 1) * stretch).min(hay.len()));
    let from: [usize; LANES] = std::array::from_fn(|k| own[k].saturating_sub(warm));
    let common = (0..LANES).map(|k| end[k] - from[k]).min().unwrap_or(0);
    let lane: [&[u8]; LANES] = std::array::from_fn(|k| &hay[from[k]..from[k] + common]);
    let mut sid = [t.start; LANES];
    for step in 0..common {
        // One branch per step for all lanes: hits are rare next to steps.
        let mut hit = false;
        for k in 0..LANES {
            sid[k] = t.next(sid[k], lane[k][step]);
            hit |= t.is_match(sid[k]);
        }
        if hit {
            for k in 0..LANES {
                let at = from[k] + step;
                if t.is_match(sid[k]) && at >= own[k] {
                    t.push_matches(sid[k], at + 1, &mut out.lanes[k]);
                }
            }
        }
    }
    for (k, lane) in out.lanes.iter_mut().enumerate() {
        one(t, sid[k], hay, from[k] + common, own[k], end[k], lane);
    }
}

/// One stretch from state `s` at `from`, keeping the hits that end past `own`.
fn one(t: &Table, mut s: u32, hay: &[u8], from: usize, own: usize, end: usize, out: &mut Vec<Hit>) {
    for (at, &b) in hay.iter().enumerate().take(end).skip(from) {
        s = t.next(s, b);
        if t.is_match(s) && at >= own {
            t.push_matches(s, at + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Atoms over 70 distinct bytes: aho-corasick's rows are 128 entries, the table's 71.
    #[test]
    fn the_table_has_a_row_entry_per_class_and_finds_what_the_dfa_finds() {
        let alphabet: Vec<u8> = (b'!'..=b'~').filter(|b| !b.is_ascii_uppercase()).collect();
        let atoms: Vec<Vec<u8>> = alphabet.chunks(5).map(|c| [c, b"_x"].concat()).collect();
        let atoms: Vec<&[u8]> = atoms.iter().map(Vec::as_slice).collect();
        let dfa = DFA::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .ascii_case_insensitive(true)
            .prefilter(false)
            .build(&atoms)
            .unwrap();
        let table = Table::new(&dfa, &atoms, true).unwrap();
        assert_eq!(table.stride as usize, alphabet.len() + 1);
        assert!(table.memory_usage() * 3 < dfa.memory_usage() * 2);
        // Three atoms a line, one of them in upper case.
        let upper = atoms[9].to_ascii_uppercase();
        let line = [&b".."[..], atoms[8], b" ", &upper, b" ", atoms[0]].concat();
        let hay = line.repeat(300);
        let mut hits = Hits::default();
        search(&table, &hay, &mut hits);
        assert_eq!(hits.iter().count(), 3 * 300);
        assert!(
            hits.iter()
                .all(|h| hay[h.start..h.end()].eq_ignore_ascii_case(atoms[h.atom()]))
        );
    }
}
