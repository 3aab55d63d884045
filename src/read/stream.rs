//! Streaming a log: gzip (multi-member) decompressed on the fly, a UTF-8 BOM dropped,
//! UTF-16 with a BOM transcoded to UTF-8, and the text handed out line by line from a
//! bounded, reused buffer, so a 10 GB log scans in the memory of a 10 MB one.

use std::io::{self, Read};

use encoding_rs_io::DecodeReaderBytesBuilder;
use flate2::read::MultiGzDecoder;

/// Gzip's magic bytes.
pub fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// A reader that gives the decoded text of `raw`: decompressed when it is gzip, transcoded
/// when it starts with a UTF-16 BOM, with any BOM removed. Invalid UTF-8 passes unchanged.
/// A read error (a damaged gzip stream) is returned by every read after it too: the gzip
/// decoder reports a bad checksum once and then reads as a clean end, which would let a
/// caller that met the error while sniffing the head take the rest for a whole log.
pub fn decoded<R: Read + Send + 'static>(raw: R, gzip: bool) -> Box<dyn Read + Send> {
    decoded_as(raw, gzip, false)
}

/// As [`decoded`]; `utf16le` reads text without a BOM as UTF-16LE (see [`is_bare_utf16le`]).
pub fn decoded_as<R: Read + Send + 'static>(
    raw: R,
    gzip: bool,
    utf16le: bool,
) -> Box<dyn Read + Send> {
    let builder = {
        let mut b = DecodeReaderBytesBuilder::new();
        b.utf8_passthru(true).strip_bom(true).bom_sniffing(true);
        b
    };
    if gzip {
        Box::new(Sticky::new(builder.build(MultiGzDecoder::new(raw))))
    } else if utf16le {
        // The BOM the writer left out, so the text is transcoded as if it had one.
        let raw = io::Cursor::new([0xFF, 0xFE]).chain(raw);
        Box::new(Sticky::new(builder.build(raw)))
    } else {
        Box::new(Sticky::new(builder.build(raw)))
    }
}

/// Whether `head` reads as UTF-16LE text without a BOM: in (nearly) every pair of bytes the
/// second is 0 and the first an ASCII character, as Windows tools that write "Unicode" text
/// give it, and no pair is two zeros (binary data).
pub fn is_bare_utf16le(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(4096) & !1];
    if sample.len() < 16 || sample.starts_with(&[0xFF, 0xFE]) {
        return false;
    }
    let pairs = sample.len() / 2;
    // Every ASCII pair holds a NUL: text with too few of them (all text files) is told
    // apart by one vector count, not a loop over pairs (it runs for every file scanned).
    if memchr::memchr_iter(0, sample).count() * 10 < pairs * 9 {
        return false;
    }
    let mut ascii = 0;
    for p in sample.chunks_exact(2) {
        match (p[0], p[1]) {
            (0, 0) => return false,
            (1..=0x7F, 0) => ascii += 1,
            _ => {}
        }
    }
    ascii * 10 >= pairs * 9
}

/// Whether text whose start is `head` ends its lines with `\r` alone: no `\n` in it, and
/// `\r`s as often as lines come (one stray `\r` in a long first line does not make an LF
/// log read as one line per `\r`).
pub fn lines_end_in_cr(head: &[u8]) -> bool {
    memchr::memchr(b'\n', head).is_none() && {
        let crs = memchr::memchr_iter(b'\r', head).count();
        crs > 0 && crs * CR_LINE_MAX >= head.len()
    }
}

/// A `\r`-ended log has a `\r` at least this often, on average.
const CR_LINE_MAX: usize = 8 * 1024;

/// Repeats the first read error (other than an interruption) on every later read.
pub struct Sticky<R> {
    inner: R,
    failed: Option<(io::ErrorKind, String)>,
}

impl<R> Sticky<R> {
    pub fn new(inner: R) -> Sticky<R> {
        Sticky {
            inner,
            failed: None,
        }
    }
}

impl<R: Read> Read for Sticky<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, msg)) = &self.failed {
            return Err(io::Error::new(*kind, msg.clone()));
        }
        self.inner.read(buf).inspect_err(|e| {
            if e.kind() != io::ErrorKind::Interrupted {
                self.failed = Some((e.kind(), e.to_string()));
            }
        })
    }
}

/// A cap on decoded bytes: past it, reading fails with a clear error instead of filling the
/// disk cache or the CPU with a decompression bomb.
pub struct Bounded<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Bounded<R> {
    pub fn new(inner: R, limit: u64) -> Bounded<R> {
        Bounded {
            inner,
            left: limit,
            limit,
        }
    }
}

/// The error kind and message used when [`Bounded`] stops.
pub const DECOMPRESSED_LIMIT: &str = "decoded size is over --max-decompressed-size";

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // Reading one more byte tells a stream that ends exactly at the limit from one
            // that goes on.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::new(
                    io::ErrorKind::FileTooLarge,
                    format!("{DECOMPRESSED_LIMIT} ({} bytes)", self.limit),
                )),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// One physical line of a log, or one stretch of an over-long one.
#[derive(Debug)]
pub struct Line<'a> {
    /// 1-based.
    pub number: u64,
    /// Byte offset of the line's start in the decoded stream.
    pub offset: u64,
    /// Byte offset of `bytes` in the decoded stream: past `offset` in a continuation.
    pub at: u64,
    /// Without the line terminator (`\n`, `\r\n`, or `\r` in a log that ends its lines so).
    pub bytes: &'a [u8],
    /// The line was longer than the limit: `bytes` is its head, and its later stretches
    /// follow as continuations.
    pub truncated: bool,
    /// A later stretch of an over-long line (after its head), overlapping the stretch before
    /// by up to [`WINDOW_OVERLAP`] bytes so that a match across the cut is still seen whole.
    pub continuation: bool,
}

/// How much of an over-long line's stretch is handed out again at the start of the next.
pub const WINDOW_OVERLAP: usize = 64 * 1024;

/// The over-long line being handed out in stretches.
#[derive(Debug)]
struct Long {
    number: u64,
    offset: u64,
    /// Bytes at the start of the buffered text that the last stretch already held.
    seen: usize,
}

/// What [`LineReader::visit`] hands the text to.
pub trait LineVisitor {
    /// A stretch of buffered text about to be handed out line by line, with the decoded
    /// offset it starts at (see [`LineReader::for_each_in_chunks`]).
    fn chunk(&mut self, _chunk: &[u8], _base: u64) {}

    /// One line (or stretch of an over-long one). Returning false stops the reading.
    fn line(&mut self, line: Line<'_>) -> bool;
}

/// A visitor made of two closures.
struct Both<C, F> {
    chunk: C,
    line: F,
}

impl<C: FnMut(&[u8], u64), F: FnMut(Line<'_>) -> bool> LineVisitor for Both<C, F> {
    fn chunk(&mut self, chunk: &[u8], base: u64) {
        (self.chunk)(chunk, base);
    }

    fn line(&mut self, line: Line<'_>) -> bool {
        (self.line)(line)
    }
}

/// Reads lines from a stream through one reused buffer.
pub struct LineReader<R> {
    src: R,
    buf: Vec<u8>,
    /// Unconsumed bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    /// `buf[start..searched]` holds no line break: the search resumes there.
    searched: usize,
    eof: bool,
    /// A read error, returned once the text read before it has been handed out.
    error: Option<io::Error>,
    next_number: u64,
    next_offset: u64,
    max_line: usize,
    /// Handing out an over-long line in stretches.
    long: Option<Long>,
    /// What ends a line: `\n`, or `\r` for a log that has no `\n` at its start (old Mac
    /// line ends, which some IIS exports use).
    term: u8,
    term_known: bool,
    /// Leave an unterminated last line for a later sweep (the log is still being written).
    hold_partial: bool,
}

const CHUNK: usize = 256 * 1024;

/// A refill reads until it has this much (or the stream ends): a source that hands out a
/// few bytes per read (a pipe, a decoder) must not make every pass over the buffered text
/// run once per read.
const FILL_MIN: usize = 64 * 1024;

impl<R: Read> LineReader<R> {
    /// `prefix` holds bytes already read from the decoded stream (the sniffed head).
    pub fn new(src: R, prefix: &[u8], max_line: usize) -> LineReader<R> {
        let mut buf = Vec::with_capacity(CHUNK.max(prefix.len()) * 2);
        buf.extend_from_slice(prefix);
        LineReader {
            src,
            end: buf.len(),
            buf,
            start: 0,
            searched: 0,
            eof: false,
            error: None,
            next_number: 1,
            next_offset: 0,
            max_line: max_line.max(1),
            long: None,
            term: b'\n',
            term_known: false,
            hold_partial: false,
        }
    }

    /// Numbers lines from `number` and offsets from `offset`: the source was positioned
    /// there (an incremental sweep resuming a log).
    pub fn starting_at(mut self, number: u64, offset: u64) -> LineReader<R> {
        self.next_number = number;
        self.next_offset = offset;
        self
    }

    /// Does not hand out an unterminated last line: it is read once complete, by a later
    /// sweep.
    pub fn holding_partial_line(mut self, hold: bool) -> LineReader<R> {
        self.hold_partial = hold;
        self
    }

    /// The next line's number and offset: after a run, where a later sweep resumes.
    pub fn position(&self) -> (u64, u64) {
        (self.next_number, self.next_offset)
    }

    /// Calls `f` for every line, in order. Stops early when `f` returns false.
    pub fn for_each(&mut self, f: impl FnMut(Line<'_>) -> bool) -> io::Result<()> {
        self.for_each_in_chunks(|_, _| {}, f)
    }

    /// As [`LineReader::for_each`], and shows `chunk` each stretch of buffered text, with
    /// the decoded offset it starts at, before its lines are handed out, so a caller can
    /// search a whole chunk at once (one pass that rules out most lines is cheaper than one
    /// search per line). A chunk starts at a line start (or inside an over-long line) and
    /// may end inside a line, which the next chunk then holds again whole.
    ///
    /// A read error ends the lines as the end of the stream would (the unterminated last
    /// one included: a damaged archive's text up to the damage is still looked at), and is
    /// returned after them.
    pub fn for_each_in_chunks(
        &mut self,
        chunk: impl FnMut(&[u8], u64),
        line: impl FnMut(Line<'_>) -> bool,
    ) -> io::Result<()> {
        self.visit(&mut Both { chunk, line })
    }

    /// As [`LineReader::for_each_in_chunks`], with one visitor for chunks and lines, so what
    /// a search of the chunk found is at hand for its lines without shared cells.
    pub fn visit(&mut self, v: &mut impl LineVisitor) -> io::Result<()> {
        if !self.term_known {
            self.detect_terminator();
        }
        let overlap = WINDOW_OVERLAP.min(self.max_line / 2);
        v.chunk(&self.buf[self.start..self.end], self.next_offset);
        loop {
            // Hand out every complete line in the buffer.
            loop {
                let from = self.searched.max(self.start);
                let Some(nl) = memchr::memchr(self.term, &self.buf[from..self.end]) else {
                    self.searched = self.end;
                    break;
                };
                let line_end = from + nl;
                if line_end - self.start > self.max_line {
                    if !self.next_stretch(overlap, v) {
                        return Ok(());
                    }
                    continue;
                }
                let consumed = line_end + 1 - self.start;
                let seen = self.long.as_ref().map(|l| l.seen);
                if seen.is_none_or(|seen| line_end - self.start > seen) {
                    let keep = v.line(self.line(self.start, line_end, false));
                    if seen.is_none() {
                        self.next_number += 1;
                    }
                    if !keep {
                        return Ok(());
                    }
                }
                self.long = None;
                self.next_offset += consumed as u64;
                self.start += consumed;
            }
            if self.eof {
                let pending = self.end - self.start;
                let seen = self.long.as_ref().map_or(0, |l| l.seen);
                if pending > seen && !self.hold_partial {
                    v.line(self.line(self.start, self.end, false));
                    if self.long.take().is_none() {
                        self.next_number += 1;
                    }
                    self.next_offset += pending as u64;
                    self.start = self.end;
                }
                return self.error.take().map_or(Ok(()), Err);
            }
            // An over-long line: hand out its head, then its later stretches, each but the
            // last keeping the end of the one before.
            while self.end - self.start >= self.max_line {
                if !self.next_stretch(overlap, v) {
                    return Ok(());
                }
            }
            self.fill();
            v.chunk(&self.buf[self.start..self.end], self.next_offset);
        }
    }

    /// Hands out the next `max_line` bytes of an over-long line (its head, or a later
    /// stretch) and moves past all but their last `overlap` bytes. Returns what `f` did.
    fn next_stretch(&mut self, overlap: usize, v: &mut impl LineVisitor) -> bool {
        let mut stretch = self.line(self.start, self.start + self.max_line, true);
        stretch.truncated = !stretch.continuation;
        let keep = v.line(stretch);
        if self.long.is_none() {
            self.long = Some(Long {
                number: self.next_number,
                offset: self.next_offset,
                seen: 0,
            });
            self.next_number += 1;
        }
        if keep {
            let step = self.max_line - overlap;
            self.start += step;
            self.next_offset += step as u64;
            if let Some(long) = &mut self.long {
                long.seen = overlap;
            }
        }
        keep
    }

    /// The line (or stretch) in `buf[from..to]`, `to` being at its terminator or the end of
    /// the text buffered so far (a `stretch` that is not all of a line).
    fn line(&self, from: usize, to: usize, stretch: bool) -> Line<'_> {
        let mut bytes = &self.buf[from..to];
        let mut skipped = 0;
        if stretch {
            // Cut at the limit, not at a terminator.
        } else if self.term == b'\n' {
            bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        } else if self.long.is_none()
            && let Some(rest) = bytes.strip_prefix(b"\n")
        {
            // The `\n` of a `\r\n` pair in a log read as `\r`-terminated.
            bytes = rest;
            skipped = 1;
        }
        match &self.long {
            Some(long) => Line {
                number: long.number,
                offset: long.offset,
                at: self.next_offset,
                bytes,
                truncated: false,
                continuation: true,
            },
            None => Line {
                number: self.next_number,
                offset: self.next_offset + skipped,
                at: self.next_offset + skipped,
                bytes,
                truncated: false,
                continuation: false,
            },
        }
    }

    /// Reads lines ending in a lone `\r` when the text at hand holds no `\n` but a `\r`.
    fn detect_terminator(&mut self) {
        self.term_known = true;
        if self.end - self.start < FILL_MIN && !self.eof {
            self.fill();
        }
        if lines_end_in_cr(&self.buf[self.start..self.end]) {
            self.term = b'\r';
        }
    }

    /// Reads more of the stream; an error is kept for the end, and ends the stream.
    fn fill(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.searched = self.searched.saturating_sub(self.start);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() < self.end + CHUNK {
            self.buf.resize(self.end + CHUNK, 0);
        }
        let before = self.end;
        while self.end - before < FILL_MIN && self.end < self.buf.len() {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.error = Some(e);
                    self.eof = true;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn lines(data: &[u8], prefix_len: usize, max: usize) -> Vec<(u64, u64, Vec<u8>, bool)> {
        let (prefix, rest) = data.split_at(prefix_len);
        let mut r = LineReader::new(rest, prefix, max);
        let mut out = Vec::new();
        r.for_each(|l| {
            out.push((l.number, l.offset, l.bytes.to_vec(), l.truncated));
            true
        })
        .unwrap();
        out
    }

    /// Hands out one byte per read.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn tiny_reads_are_gathered_before_the_text_is_looked_at() {
        let mut data = Vec::new();
        for i in 0..20_000 {
            data.extend(format!("line {i} {}\n", "x".repeat(i % 300)).as_bytes());
        }
        data.extend(b"last, unterminated");
        let mut chunks = 0;
        let mut got = Vec::new();
        LineReader::new(Trickle(&data), b"", 1 << 20)
            .for_each_in_chunks(
                |_, _| chunks += 1,
                |l| {
                    got.push((l.number, l.offset, l.bytes.to_vec()));
                    true
                },
            )
            .unwrap();
        let want: Vec<_> = lines(&data, 0, 1 << 20)
            .into_iter()
            .map(|(n, o, b, _)| (n, o, b))
            .collect();
        assert_eq!(got, want);
        // One look per 64 KiB gathered, not one per byte read.
        assert!(chunks <= data.len() / FILL_MIN + 2, "{chunks} chunks");
    }

    #[test]
    fn numbers_offsets_crlf_and_last_line() {
        let got = lines(b"a\r\nbb\n\nccc", 2, 1 << 20);
        assert_eq!(
            got,
            vec![
                (1, 0, b"a".to_vec(), false),
                (2, 3, b"bb".to_vec(), false),
                (3, 6, vec![], false),
                (4, 7, b"ccc".to_vec(), false)
            ]
        );
    }

    #[test]
    fn a_partial_last_line_can_wait_for_its_end() {
        let mut r = LineReader::new(&b"one\ntwo\nthr"[..], b"", 1 << 20).holding_partial_line(true);
        let mut seen = Vec::new();
        r.for_each(|l| {
            seen.push(l.bytes.to_vec());
            true
        })
        .unwrap();
        assert_eq!(seen, [b"one".to_vec(), b"two".to_vec()]);
        assert_eq!(r.position(), (3, 8));
        let mut r = LineReader::new(&b"three\nfour\n"[..], b"", 1 << 20).starting_at(3, 8);
        let mut seen = Vec::new();
        r.for_each(|l| {
            seen.push((l.number, l.offset));
            true
        })
        .unwrap();
        assert_eq!(seen, [(3, 8), (4, 14)]);
    }

    #[test]
    fn long_lines_are_cut_counted_once_and_handed_out_in_overlapping_stretches() {
        let mut data: Vec<u8> = (0..700_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        data.extend_from_slice(b"\nnext\n");
        let max = 300_000;
        let overlap = WINDOW_OVERLAP;
        let mut got = Vec::new();
        LineReader::new(&data[..], b"", max)
            .for_each(|l| {
                got.push((
                    l.number,
                    l.offset,
                    l.at,
                    l.bytes.to_vec(),
                    l.truncated,
                    l.continuation,
                ));
                true
            })
            .unwrap();
        // The head, then stretches that each start `overlap` bytes before the last ended.
        let step = max - overlap;
        let want_at = [0, step, 2 * step];
        assert_eq!(
            got.len(),
            4,
            "{:?}",
            got.iter()
                .map(|g| (g.0, g.2, g.3.len()))
                .collect::<Vec<_>>()
        );
        for (k, at) in want_at.iter().enumerate() {
            let (n, off, got_at, bytes, truncated, cont) = &got[k];
            assert_eq!((*n, *off, *got_at), (1, 0, *at as u64), "stretch {k}");
            assert_eq!((*truncated, *cont), (k == 0, k > 0), "stretch {k}");
            let end = (at + max).min(700_000);
            assert_eq!(&bytes[..], &data[*at..end], "stretch {k}");
        }
        // Every byte of the line was handed out.
        assert_eq!(2 * step + got[2].3.len(), 700_000);
        assert_eq!(
            (got[3].0, got[3].1, &got[3].3[..], got[3].4, got[3].5),
            (2, 700_001, &b"next"[..], false, false)
        );
    }

    #[test]
    fn lone_carriage_returns_end_lines_when_there_is_no_newline() {
        assert_eq!(
            lines(b"#Fields: a b\rone\r\rtwo", 3, 1 << 20),
            vec![
                (1, 0, b"#Fields: a b".to_vec(), false),
                (2, 13, b"one".to_vec(), false),
                (3, 17, vec![], false),
                (4, 18, b"two".to_vec(), false)
            ]
        );
        // One `\r` in a long line does not make a log `\r`-ended.
        let mut long = vec![b'x'; 100_000];
        long[50] = b'\r';
        long.extend_from_slice(b"\nnext\n");
        // Read a byte at a time: the first look sees 64 KiB without a `\n`.
        let mut got = Vec::new();
        LineReader::new(Trickle(&long), b"", 1 << 20)
            .for_each(|l| {
                got.push(l.bytes.to_vec());
                true
            })
            .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], b"next");
        // With a newline anywhere in the text at hand, a lone `\r` is part of a line.
        let got = lines(b"a\rb\nc\n", 0, 1 << 20);
        assert_eq!(got[0].2, b"a\rb");
        assert_eq!(got.len(), 2);
    }

    /// Gives `data`, then fails.
    struct Broken<'a>(&'a [u8]);

    impl Read for Broken<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "damaged"));
            }
            let n = self.0.len().min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_read_error_comes_after_the_text_read_before_it() {
        let mut seen = Vec::new();
        let err = LineReader::new(Broken(b"one\ntw"), b"", 1 << 20)
            .for_each(|l| {
                seen.push(l.bytes.to_vec());
                true
            })
            .unwrap_err();
        assert_eq!(err.to_string(), "damaged");
        assert_eq!(seen, [b"one".to_vec(), b"tw".to_vec()]);
    }

    #[test]
    fn a_damaged_gzip_stays_an_error() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b"one\ntwo\n").unwrap();
        let mut gz = e.finish().unwrap();
        let crc = gz.len() - 8;
        gz[crc] ^= 0xFF;
        let mut r = decoded(std::io::Cursor::new(gz), true);
        let mut text = Vec::new();
        assert!(r.read_to_end(&mut text).is_err());
        assert_eq!(text, b"one\ntwo\n");
        // The decoder alone would now read as a clean end.
        assert!(r.read(&mut [0u8; 16]).is_err());
    }

    proptest::proptest! {
        /// The NUL count in front only says no where the pairs would say no.
        #[test]
        fn the_utf16_guess_is_what_its_pairs_say(
            pairs in proptest::collection::vec(
                (
                    proptest::sample::select([[b'a'; 17].as_slice(), &[b'\n', 0x80, 0]].concat()),
                    proptest::sample::select([[0u8; 19].as_slice(), &[0x41]].concat()),
                ),
                0..100,
            ),
            odd in proptest::bool::ANY,
        ) {
            let mut head: Vec<u8> = pairs.iter().flat_map(|&(a, b)| [a, b]).collect();
            if odd {
                head.push(b'x');
            }
            let sample = &head[..head.len().min(4096) & !1];
            let by_pairs = sample.len() >= 16
                && !sample.starts_with(&[0xFF, 0xFE])
                && sample.chunks_exact(2).all(|p| p != [0, 0])
                && sample.chunks_exact(2).filter(|p| (1..=0x7F).contains(&p[0]) && p[1] == 0).count() * 10
                    >= sample.len() / 2 * 9;
            proptest::prop_assert_eq!(is_bare_utf16le(&head), by_pairs);
        }
    }

    #[test]
    fn bare_utf16le_is_recognised_and_transcoded() {
        let text = "#Software: Microsoft Internet Information Services 10.0\r\n";
        let wide: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert!(is_bare_utf16le(&wide));
        assert!(!is_bare_utf16le(text.as_bytes()));
        assert!(!is_bare_utf16le(&[0u8; 64]));
        let mut out = String::new();
        decoded_as(std::io::Cursor::new(wide), false, true)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
    }

    #[test]
    fn gzip_multi_member_bom_and_utf16() {
        let gz = |s: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(s).unwrap();
            e.finish().unwrap()
        };
        let mut data = gz(b"\xEF\xBB\xBFone\ntwo\n");
        data.extend(gz(b"three\n"));
        let mut text = String::new();
        decoded(std::io::Cursor::new(data), true)
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "one\ntwo\nthree\n");

        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend("ULS\tline\r\n".encode_utf16().flat_map(u16::to_le_bytes));
        let mut text = String::new();
        decoded(std::io::Cursor::new(utf16), false)
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "ULS\tline\r\n");
    }

    #[test]
    fn bounded_reports_a_bomb() {
        let mut out = Vec::new();
        let err = Bounded::new(&[0u8; 100][..], 10)
            .read_to_end(&mut out)
            .unwrap_err();
        assert!(err.to_string().contains("max-decompressed-size"));
        let mut out = Vec::new();
        assert_eq!(
            Bounded::new(&[0u8; 10][..], 10)
                .read_to_end(&mut out)
                .unwrap(),
            10
        );
    }
}
