//! File statistics for the obfuscation heuristics, computed only when a condition asks and
//! then once per buffer.

use std::cell::Cell;
use std::io::Write;

use crate::rules::Stat;

/// Compression is measured on at most this much of a buffer.
const COMPRESSION_SAMPLE: usize = 4 << 20;

pub(crate) struct StatCache<'a> {
    buf: &'a [u8],
    values: [Cell<Option<f64>>; 4],
}

impl<'a> StatCache<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> StatCache<'a> {
        StatCache {
            buf,
            values: Default::default(),
        }
    }

    /// The value if something already asked for it.
    pub(crate) fn known(&self, stat: Stat) -> Option<f64> {
        self.values[stat as usize].get()
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
