//! A folding pass's input and output in one buffer.
//!
//! A pass reads tokens left to right and writes at most as many as it has read, except
//! where it inlines `eval`ed code. So the output can grow in the space its input leaves
//! behind: `buf[..w]` is the output, `buf[r..]` the input not read yet, and `buf[w..r]` a
//! gap of spent slots. A pass over a file of a million tokens (a font table) then holds one
//! stream, not two (issue 18: the two took 34 MB at the peak of a web root sweep).

use std::ops::{Deref, DerefMut};

use super::lex::{Gap, Kind, Tok};

/// A spent slot: no value, so dropping or overwriting it frees nothing.
const HOLE: Tok = Tok {
    kind: Kind::Raw,
    gap: Gap::None,
    exact: false,
    close: 0,
    gap_at: 0,
    start: 0,
    end: 0,
    val: None,
};

/// The output as a slice (`Deref`), grown with [`Stream::push`]; the input read with
/// [`Stream::next`].
pub(super) struct Stream {
    buf: Vec<Tok>,
    /// The output's length.
    w: usize,
    /// The next input token.
    r: usize,
}

impl Stream {
    pub(super) fn new(toks: Vec<Tok>) -> Stream {
        Stream {
            buf: toks,
            w: 0,
            r: 0,
        }
    }

    /// The next input token.
    #[inline]
    pub(super) fn next(&mut self) -> Option<Tok> {
        let t = std::mem::replace(self.buf.get_mut(self.r)?, HOLE);
        self.r += 1;
        Some(t)
    }

    /// The input token after the one being placed, which decides whether a literal may be
    /// joined yet (`'a' . 'b'[0]`).
    #[inline]
    pub(super) fn upcoming(&self) -> Option<&Tok> {
        self.buf.get(self.r)
    }

    #[inline]
    pub(super) fn push(&mut self, t: Tok) {
        if self.w == self.r {
            self.widen();
        }
        // The slot is spent (a `HOLE`): nothing to drop.
        std::mem::forget(std::mem::replace(&mut self.buf[self.w], t));
        self.w += 1;
    }

    #[inline]
    pub(super) fn pop(&mut self) -> Option<Tok> {
        self.w = self.w.checked_sub(1)?;
        Some(std::mem::replace(&mut self.buf[self.w], HOLE))
    }

    pub(super) fn truncate(&mut self, len: usize) {
        if len < self.w {
            self.buf[len..self.w].fill(HOLE);
            self.w = len;
        }
    }

    /// `Vec::swap_remove` on the output.
    pub(super) fn swap_remove(&mut self, i: usize) -> Tok {
        let last = self.pop().expect("an output token");
        if i == self.w {
            last
        } else {
            std::mem::replace(&mut self.buf[i], last)
        }
    }

    /// The output, once the input is read.
    pub(super) fn finish(mut self) -> Vec<Tok> {
        debug_assert_eq!(self.r, self.buf.len(), "the input is read");
        self.buf.truncate(self.w);
        // A pass that folded much away leaves most of the buffer spent.
        if self.buf.len() < self.buf.capacity() / 2 {
            self.buf.shrink_to_fit();
        }
        self.buf
    }

    /// Opens a gap between the output and the input when inlined code has filled it: a
    /// share of the stream at a time, so that inlining in a loop moves the input seldom.
    #[cold]
    #[inline(never)]
    fn widen(&mut self) {
        let by = (self.buf.len() / 8).max(16);
        self.buf
            .splice(self.r..self.r, std::iter::repeat_n(HOLE, by));
        self.r += by;
    }
}

impl Deref for Stream {
    type Target = [Tok];

    fn deref(&self) -> &[Tok] {
        &self.buf[..self.w]
    }
}

impl DerefMut for Stream {
    fn deref_mut(&mut self) -> &mut [Tok] {
        &mut self.buf[..self.w]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(i: u32) -> Tok {
        Tok {
            start: i,
            end: i + 1,
            ..HOLE
        }
    }

    fn starts(s: &[Tok]) -> Vec<u32> {
        s.iter().map(|t| t.start).collect()
    }

    /// The output behaves as a `Vec` would, whatever mix of writes the pass makes, and the
    /// input is read whole and in order, even when the output overtakes it.
    #[test]
    fn the_output_behaves_as_a_vec_and_the_input_is_read_in_order() {
        let mut seed = 7u32;
        let mut roll = move |n: u32| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 16) % n
        };
        let mut s = Stream::new((0..500).map(tok).collect());
        let mut model: Vec<Tok> = Vec::new();
        let mut read = Vec::new();
        let mut made = 1000;
        while let Some(t) = s.next() {
            let upcoming = (t.start < 499).then_some(t.start + 1);
            assert_eq!(s.upcoming().map(|p| p.start), upcoming);
            read.push(t.start);
            model.push(t.clone());
            s.push(t);
            match roll(6) {
                0 => {
                    // inlining: many more tokens than were read
                    for _ in 0..roll(40) {
                        model.push(tok(made));
                        s.push(tok(made));
                        made += 1;
                    }
                }
                1 => assert_eq!(s.pop().map(|t| t.start), model.pop().map(|t| t.start)),
                2 if !model.is_empty() => {
                    let i = roll(model.len() as u32) as usize;
                    assert_eq!(s.swap_remove(i).start, model.swap_remove(i).start);
                }
                3 => {
                    let k = model.len().saturating_sub(roll(4) as usize);
                    model.truncate(k);
                    s.truncate(k);
                }
                _ => {}
            }
            assert_eq!(starts(&s), starts(&model));
            // Whatever the writes moved, the input still waits at the same token.
            assert_eq!(s.upcoming().map(|p| p.start), upcoming);
        }
        assert_eq!(read, (0..500).collect::<Vec<_>>());
        assert_eq!(starts(&s.finish()), starts(&model));
    }
}
