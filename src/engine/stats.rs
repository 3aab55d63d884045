//! File statistics for the obfuscation heuristics, computed only when a condition asks and
//! then once per buffer.

use std::cell::Cell;
use std::io::Write;

use crate::rules::{Cmp, Stat};

/// Compression is measured on at most this much of a buffer.
const COMPRESSION_SAMPLE: usize = 4 << 20;

pub(crate) struct StatCache<'a> {
    buf: &'a [u8],
    values: [Cell<Option<f64>>; 4],
    /// Compared without being measured (see [`StatCache::holds`]).
    compared: [Cell<bool>; 4],
}

impl<'a> StatCache<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> StatCache<'a> {
        StatCache {
            buf,
            values: Default::default(),
            compared: Default::default(),
        }
    }

    /// The value if something already asked for it, or compared it: a finding reports the
    /// statistics its condition looked at, so one that was only compared is measured now
    /// (only for the rules that hold, which are few).
    pub(crate) fn known(&self, stat: Stat) -> Option<f64> {
        if self.compared[stat as usize].get() {
            return Some(self.get(stat));
        }
        self.values[stat as usize].get()
    }

    /// Whether `stat cmp value` holds, as `cmp` on [`StatCache::get`] says. A longest run is
    /// compared with a bound by looking for one run that long, which on text reads a few
    /// bytes per bound's length instead of every byte (the obfuscation rules ask every
    /// script whether it has a 1,000-byte word).
    pub(crate) fn holds(&self, stat: Stat, cmp: Cmp, value: f64) -> bool {
        let slot = stat as usize;
        if let Some(x) = self.values[slot].get() {
            return cmp.holds_f64(x, value);
        }
        let inside: fn(u8) -> bool = match stat {
            Stat::LongestWord => |b| !b.is_ascii_whitespace(),
            Stat::LongestLine => |b| b != b'\n',
            Stat::Entropy | Stat::CompressionRatio => return cmp.holds_f64(self.get(stat), value),
        };
        // A run's length is a whole number: `x >= v` is `x >= ceil(v)`, `x > v` is
        // `x >= floor(v) + 1`, and `<`, `<=` are their negations.
        let (at_least, negate) = match cmp {
            Cmp::Ge => (value.ceil(), false),
            Cmp::Gt => (value.floor() + 1.0, false),
            Cmp::Lt => (value.ceil(), true),
            Cmp::Le => (value.floor() + 1.0, true),
            Cmp::Eq | Cmp::Ne => return cmp.holds_f64(self.get(stat), value),
        };
        // NaN compares false whatever the run; a bound the buffer cannot reach is decided
        // by its length (a run is at most the buffer), and one of 0 or less by any run.
        if value.is_nan() {
            return cmp.holds_f64(self.get(stat), value);
        }
        self.compared[slot].set(true);
        let found = if at_least <= 0.0 {
            true
        } else if at_least > self.buf.len() as f64 {
            false
        } else {
            has_run(self.buf, inside, at_least as usize)
        };
        found != negate
    }

    pub(crate) fn get(&self, stat: Stat) -> f64 {
        let slot = &self.values[stat as usize];
        if let Some(v) = slot.get() {
            return v;
        }
        let v = compute(stat, self.buf);
        slot.set(Some(v));
        v
    }
}

fn compute(stat: Stat, buf: &[u8]) -> f64 {
    match stat {
        Stat::Entropy => entropy(buf),
        Stat::LongestWord => longest_run(buf, |b| !b.is_ascii_whitespace()) as f64,
        Stat::LongestLine => longest_run(buf, |b| b != b'\n') as f64,
        Stat::CompressionRatio => compression_ratio(buf),
    }
}

/// Shannon entropy in bits per byte.
fn entropy(buf: &[u8]) -> f64 {
    if buf.is_empty() {
        return 0.0;
    }
    // Four tables, so that a run of one byte value does not wait on its own last
    // increment at every byte; summed before use, so the counts are the same.
    let mut tables = [[0u64; 256]; 4];
    let mut quads = buf.chunks_exact(4);
    for q in &mut quads {
        tables[0][usize::from(q[0])] += 1;
        tables[1][usize::from(q[1])] += 1;
        tables[2][usize::from(q[2])] += 1;
        tables[3][usize::from(q[3])] += 1;
    }
    for &b in quads.remainder() {
        tables[0][usize::from(b)] += 1;
    }
    let mut counts = [0u64; 256];
    for (i, c) in counts.iter_mut().enumerate() {
        *c = tables.iter().map(|t| t[i]).sum();
    }
    let n = buf.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

fn longest_run(buf: &[u8], inside: impl Fn(u8) -> bool) -> usize {
    let mut best = 0;
    let mut cur = 0;
    // Without a branch per byte: whether a byte is inside is unpredictable in text.
    for &b in buf {
        cur = (cur + 1) * usize::from(inside(b));
        best = best.max(cur);
    }
    best
}

/// Whether `buf` has `len` (at least 1) bytes in a row that are all `inside`. The last byte
/// of a window of `len` is looked at first: a byte outside there (or nearer the start) rules
/// out every run starting at or before it, so the next window starts after it. Each byte is
/// read at most twice, and on text with short words about one in `len / word length`.
fn has_run(buf: &[u8], inside: fn(u8) -> bool, len: usize) -> bool {
    let mut start = 0;
    while let Some(window) = buf.get(start..start + len) {
        match window.iter().rposition(|&b| !inside(b)) {
            None => return true,
            Some(outside) => start += outside + 1,
        }
    }
    false
}

fn compression_ratio(buf: &[u8]) -> f64 {
    let sample = &buf[..buf.len().min(COMPRESSION_SAMPLE)];
    if sample.is_empty() {
        return 1.0;
    }
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    if enc.write_all(sample).is_err() {
        return 1.0;
    }
    match enc.finish() {
        Ok(out) if !out.is_empty() => sample.len() as f64 / out.len() as f64,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The same values as the plain one-table, branching loops.
        #[test]
        fn entropy_and_runs_match_plain_loops(buf in proptest::collection::vec(prop_oneof![Just(b' '), Just(b'\n'), Just(b'a'), Just(b'b'), any::<u8>()], 0..600)) {
            let mut counts = [0u64; 256];
            for &b in &buf {
                counts[b as usize] += 1;
            }
            let n = buf.len() as f64;
            let plain: f64 = counts.iter().filter(|&&c| c > 0).map(|&c| { let p = c as f64 / n; -p * p.log2() }).sum();
            let got = entropy(&buf);
            prop_assert!(got == plain || (buf.is_empty() && got == 0.0), "{} {}", got, plain);
            let (mut best, mut cur) = (0, 0);
            for &b in &buf {
                if b.is_ascii_whitespace() { cur = 0 } else { cur += 1; best = best.max(cur) }
            }
            prop_assert_eq!(longest_run(&buf, |b| !b.is_ascii_whitespace()), best);
        }
    }

    fn cmp_of(i: u8) -> Cmp {
        [Cmp::Eq, Cmp::Ne, Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge][usize::from(i % 6)]
    }

    proptest! {
        /// A run compared with a bound gives what comparing the measured run gives, for
        /// whole, fractional, negative and out-of-reach bounds, and a statistic that was
        /// compared is then known with its measured value (a finding reports it).
        #[test]
        fn comparing_a_run_is_comparing_its_length(
            buf in proptest::collection::vec(prop_oneof![Just(b' '), Just(b'\n'), Just(b'\t'), Just(b'a'), any::<u8>()], 0..300),
            op in any::<u8>(),
            bound in prop_oneof![-3.0..320.0f64, (0..40u32).prop_map(f64::from)],
        ) {
            for stat in [Stat::LongestWord, Stat::LongestLine] {
                let (cmp, measured) = (cmp_of(op), compute(stat, &buf));
                let c = StatCache::new(&buf);
                prop_assert_eq!(c.holds(stat, cmp, bound), cmp.holds_f64(measured, bound));
                prop_assert_eq!(c.known(stat), Some(measured));
                prop_assert_eq!(StatCache::new(&buf).known(stat), None);
            }
        }
    }

    #[test]
    fn a_run_is_found_without_reading_every_byte_and_wherever_it_is() {
        let word = |b: u8| !b.is_ascii_whitespace();
        let mut text = b"ab cd ".repeat(1000);
        assert!(!has_run(&text, word, 3));
        assert!(has_run(&text, word, 2));
        for at in [0, 1, 2999, text.len()] {
            let mut t = text.clone();
            t.splice(at..at, vec![b'x'; 40]);
            // 40 alone at the end, 42 with the neighbouring word elsewhere.
            let longest = if at == text.len() { 40 } else { 42 };
            assert_eq!(longest_run(&t, word), longest);
            for len in 38..46 {
                assert_eq!(has_run(&t, word, len), len <= longest, "{at} {len}");
            }
        }
        text.clear();
        assert!(!has_run(&text, word, 1));
    }

    #[test]
    fn measures() {
        let c = StatCache::new(b"aaaa bb\ncccccc");
        assert_eq!(c.get(Stat::LongestWord), 6.0);
        assert_eq!(c.get(Stat::LongestLine), 7.0);
        assert!(StatCache::new(b"aaaa").get(Stat::Entropy).abs() < 1e-9);
        let all: Vec<u8> = (0..=255u8).collect();
        assert!((StatCache::new(&all).get(Stat::Entropy) - 8.0).abs() < 1e-9);
        let repetitive = vec![b'x'; 100_000];
        assert!(StatCache::new(&repetitive).get(Stat::CompressionRatio) > 50.0);
    }
}
