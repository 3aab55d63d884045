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
pub fn decoded<R: Read + Send + 'static>(raw: R, gzip: bool) -> Box<dyn Read + Send> {
    let builder = {
        let mut b = DecodeReaderBytesBuilder::new();
        b.utf8_passthru(true).strip_bom(true).bom_sniffing(true);
        b
    };
    if gzip {
        Box::new(builder.build(MultiGzDecoder::new(raw)))
    } else {
        Box::new(builder.build(raw))
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

/// One physical line of a log.
#[derive(Debug)]
pub struct Line<'a> {
    /// 1-based.
    pub number: u64,
    /// Byte offset of the line's start in the decoded stream.
    pub offset: u64,
    /// Without the line terminator (`\n` or `\r\n`).
    pub bytes: &'a [u8],
    /// The line was longer than the limit and is cut there.
    pub truncated: bool,
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
    next_number: u64,
    next_offset: u64,
    max_line: usize,
    /// Skipping the rest of an over-long line.
    skipping: bool,
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
            next_number: 1,
            next_offset: 0,
            max_line: max_line.max(1),
            skipping: false,
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
    /// search per line). A chunk starts at a line start (or inside an over-long line being
    /// skipped) and may end inside a line, which the next chunk then holds again whole.
    pub fn for_each_in_chunks(
        &mut self,
        mut chunk: impl FnMut(&[u8], u64),
        mut f: impl FnMut(Line<'_>) -> bool,
    ) -> io::Result<()> {
        chunk(&self.buf[self.start..self.end], self.next_offset);
        loop {
            // Hand out every complete line in the buffer.
            loop {
                let from = self.searched.max(self.start);
                let Some(nl) = memchr::memchr(b'\n', &self.buf[from..self.end]) else {
                    self.searched = self.end;
                    break;
                };
                let line_end = from + nl;
                let consumed = line_end + 1 - self.start;
                if self.skipping {
                    self.skipping = false;
                } else {
                    let bytes = &self.buf[self.start..line_end];
                    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
                    let line = Line {
                        number: self.next_number,
                        offset: self.next_offset,
                        bytes,
                        truncated: false,
                    };
                    self.next_number += 1;
                    if !f(line) {
                        return Ok(());
                    }
                }
                self.next_offset += consumed as u64;
                self.start += consumed;
            }
            let pending = self.end - self.start;
            if self.eof {
                if pending > 0 && !self.skipping && !self.hold_partial {
                    let bytes = &self.buf[self.start..self.end];
                    let line = Line {
                        number: self.next_number,
                        offset: self.next_offset,
                        bytes: bytes.strip_suffix(b"\r").unwrap_or(bytes),
                        truncated: false,
                    };
                    self.next_number += 1;
                    self.next_offset += pending as u64;
                    self.start = self.end;
                    f(line);
                }
                return Ok(());
            }
            if pending >= self.max_line && !self.skipping {
                // An over-long line: report its head, then skip to its end.
                let line = Line {
                    number: self.next_number,
                    offset: self.next_offset,
                    bytes: &self.buf[self.start..self.start + self.max_line],
                    truncated: true,
                };
                self.next_number += 1;
                if !f(line) {
                    return Ok(());
                }
                self.skipping = true;
            }
            if self.skipping {
                self.next_offset += pending as u64;
                self.start = self.end;
            }
            self.fill()?;
            chunk(&self.buf[self.start..self.end], self.next_offset);
        }
    }

    fn fill(&mut self) -> io::Result<()> {
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
                Err(e) => return Err(e),
            }
        }
        Ok(())
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
    fn long_lines_are_cut_and_counted_once() {
        let mut data = vec![b'x'; 700_000];
        data.extend_from_slice(b"\nnext\n");
        let got = lines(&data, 0, 300_000);
        assert_eq!(got.len(), 2);
        assert!(got[0].3);
        assert_eq!(got[0].2.len(), 300_000);
        assert_eq!(
            (got[1].0, got[1].1, &got[1].2[..]),
            (2, 700_001, &b"next"[..])
        );
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
