//! Searching an atom DFA over several stretches of one buffer at once.
//!
//! A web application's rules give a DFA of a few thousand states and some 2 MB, larger
//! than the core's L1 and L2 caches, and code is full of bytes that start some atom, so
//! the DFA is rarely in its start state and no prefilter skips anything. Each byte's step
//! is then a table load that waits on the one before it: the search runs at the latency of
//! the cache, not at the speed of the core. Cutting the buffer into [`LANES`] stretches
//! and stepping one DFA through all of them in turn gives the core independent loads to
//! overlap.
//!
//! Each stretch after the first starts `max_pattern_len - 1` bytes early, so its state is
//! exact again by the time it reaches its own first byte (an Aho-Corasick state stands for
//! at most the last `max_pattern_len` bytes), and reports only the hits ending inside it.
//! The stretches' hits, taken in order, are the hits of one search from the start, in the
//! same order: by end, then in the DFA's order among those ending at one byte.

use aho_corasick::Anchored;
use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;

/// Stretches searched together. Two already overlap most of the loads' wait; three
/// measured a little faster still on real PHP (see docs/ARCHITECTURE.md), more did not.
pub(crate) const LANES: usize = 3;

/// Below this many bytes per stretch, the early starts would cost more than the overlap
/// saves, and the buffer is searched in one stretch. Measured on the PHP and JSON files of
/// a web root of real code, the DFA in isolation: 512 bytes beat 4096 by 5 to 7% (half of
/// a web root's files are under 12 KiB, which 4096 left to one stretch); below 512 it
/// made no difference.
const MIN_STRETCH: usize = 512;

/// One atom hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// The atom, by its index in the automaton.
    pub(crate) atom: usize,
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

/// Every hit of `dfa`'s atoms in `hay`, as an overlapping search from the start reports
/// them. `dfa` must have an unanchored start state and should have no prefilter (this
/// search does not use one).
pub(crate) fn search(dfa: &DFA, hay: &[u8], out: &mut Hits) {
    out.clear();
    let warm = dfa.max_pattern_len().saturating_sub(1);
    let stretch = hay.len().div_ceil(LANES);
    if stretch < MIN_STRETCH.max(warm.saturating_mul(4)) {
        one(dfa, hay, 0, 0, hay.len(), out.first());
        return;
    }
    let start = dfa
        .start_state(Anchored::No)
        .expect("an unanchored DFA has an unanchored start state");
    // Stretch k owns the hits ending in (own[k], end[k]]; it reads from from[k].
    let own: [usize; LANES] = std::array::from_fn(|k| k * stretch);
    let end: [usize; LANES] = std::array::from_fn(|k| ((k + 1) * stretch).min(hay.len()));
    let from: [usize; LANES] = std::array::from_fn(|k| own[k].saturating_sub(warm));
    let mut sid = [start; LANES];
    let common = (0..LANES).map(|k| end[k] - from[k]).min().unwrap_or(0);
    for step in 0..common {
        for k in 0..LANES {
            let at = from[k] + step;
            sid[k] = dfa.next_state(Anchored::No, sid[k], hay[at]);
            if dfa.is_special(sid[k]) && at >= own[k] {
                push_matches(dfa, sid[k], at + 1, &mut out.lanes[k]);
            }
        }
    }
    for (k, lane) in out.lanes.iter_mut().enumerate() {
        let mut s = sid[k];
        for (at, &b) in hay.iter().enumerate().take(end[k]).skip(from[k] + common) {
            s = dfa.next_state(Anchored::No, s, b);
            if dfa.is_special(s) && at >= own[k] {
                push_matches(dfa, s, at + 1, lane);
            }
        }
    }
}

/// One stretch from the start state at `from`, keeping the hits that end past `own`.
fn one(dfa: &DFA, hay: &[u8], from: usize, own: usize, end: usize, out: &mut Vec<Hit>) {
    let mut s = dfa
        .start_state(Anchored::No)
        .expect("an unanchored DFA has an unanchored start state");
    for (at, &b) in hay.iter().enumerate().take(end).skip(from) {
        s = dfa.next_state(Anchored::No, s, b);
        if dfa.is_special(s) && at >= own {
            push_matches(dfa, s, at + 1, out);
        }
    }
}

#[inline]
fn push_matches(dfa: &DFA, sid: StateID, end: usize, out: &mut Vec<Hit>) {
    // Only match states are special here; checked all the same, since `match_len` must
    // not be asked of another.
    if !dfa.is_match(sid) {
        return;
    }
    for i in 0..dfa.match_len(sid) {
        let atom = dfa.match_pattern(sid, i);
        out.push(Hit {
            start: end - dfa.pattern_len(atom),
            end,
            atom: atom.as_usize(),
        });
    }
}
