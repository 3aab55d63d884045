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
    let mut counts = [0u64; 256];
    for &b in buf {
        counts[b as usize] += 1;
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
    for &b in buf {
        if inside(b) {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
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
    use super::*;

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
