//! Where the spaces of IIS log text are: the column separators `IisColumns::pick` counts to
//! cut a client address out of a line without parsing it.
//!
//! The line filter asks this of nearly every line, so the spaces of a whole chunk are found
//! in one vector pass ([`SpaceMask::fill`]) and each line then reads its bits, instead of
//! every line comparing its bytes again. Lines outside a marked chunk compare their own.

/// One bit per byte of a chunk of text, set where the byte is a space.
#[derive(Default)]
pub struct SpaceMask {
    words: Vec<u64>,
    len: usize,
}

impl SpaceMask {
    /// Marks the spaces of `text`, replacing what was marked before.
    pub fn fill(&mut self, text: &[u8]) {
        self.words.clear();
        self.len = text.len();
        let mut blocks = text.chunks_exact(64);
        for block in &mut blocks {
            let mut w = 0u64;
            for (k, part) in block.chunks_exact(16).enumerate() {
                w |= spaces16(part.try_into().unwrap_or(&[0; 16])) << (16 * k);
            }
            self.words.push(w);
        }
        let rest = blocks.remainder();
        if !rest.is_empty() {
            self.words.push(scalar(rest));
        }
    }

    /// The marked text is `len` bytes long.
    pub fn covers(&self, at: usize, len: usize) -> bool {
        at.checked_add(len).is_some_and(|end| end <= self.len)
    }
}

/// Where a line's spaces are read from: its own bytes, or a chunk's mask at the line's
/// offset in the chunk (which [`SpaceMask::covers`]).
#[derive(Clone, Copy)]
pub enum Spaces<'a> {
    Line,
    Masked(&'a SpaceMask, usize),
}

/// Counts the first spaces of `line`, up to `last + 1` of them, and says how many it found;
/// `None` when a column that far is past `spaces`. Sets `spaces[i]` to the position of
/// space `i` for each bit `i` of `need` (and maybe others): blocks without a needed space
/// are only counted.
pub(super) fn spaces_up_to(
    line: &[u8],
    from: Spaces<'_>,
    last: usize,
    need: u64,
    spaces: &mut [u32],
) -> Option<usize> {
    let want = last + 1;
    if want > spaces.len() || want > 64 {
        return None;
    }
    if let Spaces::Masked(m, start) = from {
        return Some(masked(m, start, line.len(), want, need, spaces));
    }
    let mut found = 0;
    let mut at = 0;
    while at < line.len() {
        let mut mask = match line.get(at..at + 32) {
            Some(block) => spaces_in_block(block.try_into().unwrap_or(&[0; 32])),
            None => scalar(&line[at..]),
        };
        let count = mask.count_ones() as usize;
        // `found < want <= 64` here; spaces `found..found + count` are in this block.
        let here = (need >> found) & (u64::MAX >> (64 - count.clamp(1, 64)));
        if count > 0 && here == 0 && found + count < want {
            found += count;
            at += 32;
            continue;
        }
        while mask != 0 {
            spaces[found] = at as u32 + mask.trailing_zeros();
            mask &= mask - 1;
            found += 1;
            if found == want {
                return Some(found);
            }
        }
        at += 32;
    }
    Some(found)
}

/// [`spaces_up_to`] for a line at `start` in a marked chunk: the mask's words are read in
/// place (the first and last cut to the line), and a word holding no needed space is only
/// counted.
fn masked(
    m: &SpaceMask,
    start: usize,
    len: usize,
    want: usize,
    need: u64,
    spaces: &mut [u32],
) -> usize {
    let end = start + len;
    let Some(words) = m.words.get(start / 64..end.div_ceil(64)) else {
        return 0;
    };
    let mut found = 0;
    for (k, &w) in words.iter().enumerate() {
        let word_at = (start / 64 + k) * 64;
        let mut mask = w;
        if word_at < start {
            mask &= u64::MAX << (start - word_at);
        }
        if end - word_at < 64 {
            mask &= (1u64 << (end - word_at)) - 1;
        }
        let count = mask.count_ones() as usize;
        if count == 0 {
            continue;
        }
        let here = (need >> found) & (u64::MAX >> (64 - count));
        if here == 0 && found + count < want {
            found += count;
            continue;
        }
        while mask != 0 {
            // Positions are relative to the line.
            spaces[found] = (word_at + mask.trailing_zeros() as usize - start) as u32;
            mask &= mask - 1;
            found += 1;
            if found == want {
                return found;
            }
        }
    }
    found
}

fn scalar(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .take(64)
        .enumerate()
        .fold(0u64, |m, (i, &b)| m | (u64::from(b == b' ') << i))
}

/// Bit `i` set where `block[i]` is a space.
#[inline]
fn spaces_in_block(block: &[u8; 32]) -> u64 {
    let (lo, hi) = block.split_at(16);
    spaces16(lo.try_into().unwrap_or(&[0; 16])) | spaces16(hi.try_into().unwrap_or(&[0; 16])) << 16
}

/// SSE2 (part of every x86-64 CPU): one load, one compare and one mask move for 16 bytes.
#[cfg(target_arch = "x86_64")]
#[inline]
fn spaces16(b: &[u8; 16]) -> u64 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    // SAFETY: SSE2 is in the x86-64 baseline, so these instructions exist on every CPU the
    // binary runs on; the unaligned load reads exactly the 16 bytes `b` refers to.
    let mask = unsafe {
        let v = _mm_loadu_si128(b.as_ptr().cast());
        _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b' ' as i8)))
    };
    u64::from(mask as u16)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn spaces16(b: &[u8; 16]) -> u64 {
    scalar(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_masks() {
        let mut block = [b'a'; 32];
        for i in [0, 2, 3, 15, 16, 31] {
            block[i] = b' ';
        }
        block[5] = 0xa0;
        assert_eq!(
            spaces_in_block(&block),
            1 | 1 << 2 | 1 << 3 | 1 << 15 | 1 << 16 | 1 << 31
        );
        // Across block boundaries and in the tail, every space and only spaces.
        let line = b"a bb  ccc dddddddddddddddddddddddddddddddddd e f g h i j k";
        let mut spaces = [0; 64];
        let found = spaces_up_to(line, Spaces::Line, 63, u64::MAX, &mut spaces).unwrap();
        let want: Vec<u32> = (0..line.len() as u32)
            .filter(|&i| line[i as usize] == b' ')
            .collect();
        assert_eq!(spaces[..found], want[..]);
        let mut spaces = [0; 8];
        assert_eq!(
            spaces_up_to(b"a b  c", Spaces::Line, 7, u64::MAX, &mut spaces),
            Some(3)
        );
        assert_eq!(spaces[..3], [1, 3, 4]);
        assert_eq!(
            spaces_up_to(b"a b  c", Spaces::Line, 1, u64::MAX, &mut spaces),
            Some(2)
        );
        assert_eq!(
            spaces_up_to(b"a b  c", Spaces::Line, 8, u64::MAX, &mut spaces),
            None
        );
    }

    proptest::proptest! {
        /// A line read from a chunk's mask, at any offset in it, finds the spaces it finds
        /// by comparing its own bytes, whatever is needed and however far.
        #[test]
        fn masked_lines_agree_with_their_bytes(
            chunk in proptest::collection::vec(proptest::sample::select(&b"a b  c\xa0 "[..]), 0..400),
            cut in (0usize..400, 0usize..400),
            last in 0usize..70,
            need: u64,
        ) {
            let mut mask = SpaceMask::default();
            mask.fill(&chunk);
            let start = cut.0.min(chunk.len());
            let end = (start + cut.1).min(chunk.len());
            let line = &chunk[start..end];
            proptest::prop_assert!(mask.covers(start, line.len()));
            let (mut a, mut b) = ([0u32; 64], [0u32; 64]);
            let fa = spaces_up_to(line, Spaces::Line, last, need, &mut a);
            let fb = spaces_up_to(line, Spaces::Masked(&mask, start), last, need, &mut b);
            proptest::prop_assert_eq!(fa, fb);
            if let Some(found) = fa {
                for i in 0..found {
                    if need >> i & 1 == 1 {
                        proptest::prop_assert_eq!(a[i], b[i]);
                    }
                }
            }
        }
    }
}
