//! Line numbers and excerpts, computed only for the few matches that are reported.

/// The most bytes an excerpt holds (before escaping).
pub(crate) const EXCERPT_MAX: usize = 160;
/// How much context to show on each side of a match, in bytes (characters for wide matches).
const CONTEXT: usize = 48;

/// Counts lines forward from the last position asked for; restarts when asked for an
/// earlier one. Matches are reported in offset order, so each byte is counted about once.
pub(crate) struct LineCounter {
    offset: usize,
    line: u64,
}

impl LineCounter {
    pub(crate) fn new() -> LineCounter {
        LineCounter { offset: 0, line: 1 }
    }

    /// The 1-based line of `offset` in `buf`.
    pub(crate) fn line_at(&mut self, buf: &[u8], offset: usize) -> u64 {
        let offset = offset.min(buf.len());
        if offset < self.offset {
            *self = LineCounter::new();
        }
        self.line += memchr::memchr_iter(b'\n', &buf[self.offset..offset]).count() as u64;
        self.offset = offset;
        self.line
    }
}

/// The match with some context from its line, at most [`EXCERPT_MAX`] bytes. A NUL byte
/// ends a "line" too, so that excerpts from binary files stay on their string. A match that
/// spans lines is shown up to the end of its first line. Wide (UTF-16LE) matches are decoded
/// so that the excerpt reads as text.
pub(crate) fn excerpt(buf: &[u8], start: usize, end: usize, wide: bool) -> Vec<u8> {
    if wide {
        return wide_excerpt(buf, start, end);
    }
    let line_start = memchr::memrchr2(b'\n', 0, &buf[..start]).map_or(0, |i| i + 1);
    let line_end = memchr::memchr2(b'\n', 0, &buf[start..]).map_or(buf.len(), |i| start + i);
    let end = end.min(line_end).min(start + EXCERPT_MAX).max(start);
    let room = EXCERPT_MAX - (end - start);
    let before = CONTEXT.min(room / 2).min(start - line_start);
    let after = (room - before).min(line_end.saturating_sub(end));
    let mut out = buf[start - before..end + after].to_vec();
    while out.last() == Some(&b'\r') {
        out.pop();
    }
    out
}

/// Decodes the match and the printable ASCII code units around it.
fn wide_excerpt(buf: &[u8], start: usize, end: usize) -> Vec<u8> {
    let printable = |i: usize| buf.get(i + 1) == Some(&0) && matches!(buf[i], 0x20..=0x7e | b'\t');
    let mut from = start;
    while from >= 2 && start - from < CONTEXT * 2 && printable(from - 2) {
        from -= 2;
    }
    let mut to = end.min(buf.len());
    while to + 1 < buf.len() && to - end < CONTEXT * 2 && printable(to) {
        to += 2;
    }
    let units = buf[from..to]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    let text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    let mut out = text.into_bytes();
    out.truncate(EXCERPT_MAX);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_forward_and_backward() {
        let buf = b"a\nb\nc\nd";
        let mut lc = LineCounter::new();
        assert_eq!(lc.line_at(buf, 0), 1);
        assert_eq!(lc.line_at(buf, 2), 2);
        assert_eq!(lc.line_at(buf, 6), 4);
        assert_eq!(lc.line_at(buf, 1), 1);
        assert_eq!(lc.line_at(buf, 4), 3);
        assert_eq!(lc.line_at(buf, 100), 4);
    }

    #[test]
    fn excerpt_stays_on_the_line_and_is_bounded() {
        let buf = b"first line\r\n<?php @eval($_POST['x']); ?>\r\nlast";
        let at = 12 + 6;
        assert_eq!(
            excerpt(buf, at, at + 5, false),
            b"<?php @eval($_POST['x']); ?>"
        );
        let long = vec![b'A'; 10_000];
        let e = excerpt(&long, 5_000, 9_000, false);
        assert_eq!(e.len(), EXCERPT_MAX);
        assert_eq!(excerpt(b"\x00\x01MZ\x00abc\x00", 5, 8, false), b"abc");
        assert_eq!(excerpt(b"x = a(\n  b);", 4, 12, false), b"x = a(");
    }

    #[test]
    fn wide_excerpt_is_decoded() {
        let mut buf = vec![0x41u8, 0x42, 0x43, 0x44];
        buf.extend(
            "xMachineKeySectiony"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        buf.extend([0, 0, 0x41, 0x42]);
        let e = excerpt(&buf, 6, 6 + 2 * 17, true);
        assert_eq!(String::from_utf8_lossy(&e), "xMachineKeySectiony");
    }
}
