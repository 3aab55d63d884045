//! The canonical view of php code (see the module above): comments dropped, white space
//! collapsed (a run with a newline stays one newline so line anchors keep working), string
//! literals decoded and written one way (`'...'` with `\\` and `\'` escaped; strings with
//! variables stay `"..."`), literal expressions folded and variables that hold one literal
//! resolved where they are called, named or joined.

mod eval;
mod fold;
mod lex;
mod stream;
#[cfg(test)]
mod tests;
mod vars;

use super::{Builder, MAX_OUTPUT, View};
use lex::{Gap, Kind, Tok};

#[cfg(test)]
pub(super) fn view(raw: &[u8]) -> View {
    folded_view(raw, true).expect("rendered whether or not anything was folded")
}

/// The view of `raw`, or `None` when nothing was folded and `render_unfolded` is false: a
/// view that differs from the raw text only in layout is not scanned (see `canon::view`), so
/// rendering it (a push per byte) would be thrown away.
pub(super) fn folded_view(raw: &[u8], render_unfolded: bool) -> Option<View> {
    let (mut toks, folded) = fold::fold(raw, lex::lex_into(raw, SPARE.take()), MAX_OUTPUT);
    let view = (folded || render_unfolded).then(|| {
        let mut b = Builder::with_capacity(raw.len());
        if folded {
            b.mark_deobfuscated();
        }
        render(raw, &toks, &mut b);
        b.finish()
    });
    if toks.capacity() <= lex::SPARE_TOKENS {
        toks.clear();
        SPARE.set(toks);
    }
    view
}

thread_local! {
    /// This thread's token vector, kept between files (see [`lex::SPARE_TOKENS`]).
    static SPARE: std::cell::Cell<Vec<Tok>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Whether a fold evaluates a call of the function named `name` (on literal arguments):
/// a call of any other never becomes a literal, which the fold triggers use.
pub(super) fn evaluated(name: &[u8]) -> bool {
    eval::evaluated(name)
}

/// Whether a fold shows a decoder's result: only when it is text (see `eval::call`).
pub(super) fn shown(decoded: &[u8]) -> bool {
    eval::text(decoded)
}

/// Bytes that glue into one token with their neighbour, so a dropped comment between two of
/// them must leave a space.
fn wordy(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'\\' || b >= 0x80
}

fn render(raw: &[u8], toks: &[Tok], b: &mut Builder) {
    let mut last = b'\n';
    for t in toks {
        if b.is_full() {
            return;
        }
        let first = match t.kind {
            Kind::Str => b'\'',
            Kind::IStr => b'"',
            _ => t.text(raw).first().copied().unwrap_or(b' '),
        };
        match t.gap {
            Gap::Line => b.push(b'\n', t.gap_at as usize),
            Gap::Space => b.push(b' ', t.gap_at as usize),
            Gap::None if wordy(last) && wordy(first) => b.push(b' ', t.start as usize),
            Gap::None => {}
        }
        match t.kind {
            Kind::Str | Kind::IStr => {
                let quote = first;
                let start = t.start as usize;
                b.push(quote, start);
                let (val, base) = match t.val.as_deref() {
                    Some(v) => (&v.bytes[..], v.base),
                    None => (t.text(raw), t.start + 1),
                };
                let escaped = |c: u8| t.kind == Kind::Str && (c == b'\\' || c == b'\'');
                if t.val.is_none() && !val.iter().any(|&c| escaped(c)) {
                    // The raw bytes between the quotes, each from its own offset, in one copy.
                    b.copy(raw, base as usize, base as usize + val.len());
                } else {
                    // The bytes between escapes in one push each; a byte stands for its own
                    // offset when the token is exact, else for the literal's start, and an
                    // escape's backslash for what it escapes.
                    let base = base as usize;
                    let mut i = 0;
                    while i < val.len() {
                        let j = val[i..]
                            .iter()
                            .position(|&c| escaped(c))
                            .map_or(val.len(), |k| i + k);
                        if t.exact {
                            b.copy_from(&val[i..j], base + i);
                        } else {
                            b.push_all(&val[i..j], start);
                        }
                        if let Some(&c) = val.get(j) {
                            let at = if t.exact { base + j } else { start };
                            b.push(b'\\', at);
                            b.push(c, at);
                        }
                        i = j + 1;
                    }
                }
                let close = if t.exact {
                    (t.end as usize).saturating_sub(1).max(start)
                } else {
                    start
                };
                b.push(quote, close);
                last = quote;
            }
            _ => {
                match &t.val {
                    Some(v) => b.push_all(&v.bytes, t.start as usize),
                    None => b.copy(raw, t.start as usize, t.end as usize),
                }
                last = t.text(raw).last().copied().unwrap_or(last);
            }
        }
    }
}
