//! Splitting one large uncompressed log into line-aligned ranges that threads scan side by
//! side, so a single 10 GB log uses every core.
//!
//! A quick pass (newline counting and a search for `#Fields:` directives, both memchr-speed)
//! gives each range the line number it starts at and, for IIS logs, the column layout in
//! force there; the ranges are then read with positioned reads, independently.

use std::fs::File;
use std::io::{self, Read};

/// Logs smaller than this are read by one thread: splitting would not pay for the pass.
pub const SPLIT_MIN: u64 = 32 << 20;

/// One line-aligned stretch of a log file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// Byte range in the file.
    pub begin: u64,
    pub end: u64,
    /// Number of the first line of the range.
    pub line: u64,
    /// The last `#Fields:` directive line before the range, if any.
    pub iis_fields: Option<Vec<u8>>,
}

const BLOCK: usize = 4 << 20;

/// Cuts `[begin, end)` of `file` into at most `parts` line-aligned ranges. `first_line` is
/// the number of the line at `begin`; `fields` the directive in force there.
pub fn plan(
    file: &File,
    begin: u64,
    end: u64,
    parts: usize,
    first_line: u64,
    fields: Option<Vec<u8>>,
) -> io::Result<Vec<Part>> {
    let parts = parts.max(1) as u64;
    let len = end.saturating_sub(begin);
    // Split points: the first line start at or after each even cut.
    let mut cuts = Vec::new();
    for k in 1..parts {
        let t = begin + len * k / parts;
        if let Some(p) = next_line_start(file, t, end)?
            && p < end
            && cuts.last().is_none_or(|&last| p > last)
        {
            cuts.push(p);
        }
    }
    // One pass to the last cut: newlines and directives before each cut.
    let mut out = Vec::new();
    let (mut pos, mut line, mut last_fields) = (begin, first_line, fields);
    let mut range_begin = begin;
    let mut range_line = first_line;
    let mut range_fields = last_fields.clone();
    // The first line itself may be a directive: it rules the lines after it.
    if !cuts.is_empty() && peek_is_fields(file, begin)? {
        last_fields = Some(read_line(file, begin, end)?);
    }
    let mut buf = vec![0u8; BLOCK];
    for &cut in &cuts {
        while pos < cut {
            let want = ((cut - pos) as usize).min(BLOCK);
            let n = read_at(file, &mut buf[..want], pos)?;
            if n == 0 {
                break;
            }
            let block = &buf[..n];
            for nl in memchr::memchr_iter(b'\n', block) {
                line += 1;
                let line_start = pos + nl as u64 + 1;
                // Only a line that starts with `#` can be a directive; past the block's end
                // the byte is unknown and read.
                let maybe = block.get(nl + 1).is_none_or(|&b| b == b'#');
                if maybe && line_start < end && peek_is_fields(file, line_start)? {
                    last_fields = Some(read_line(file, line_start, end)?);
                }
            }
            pos += n as u64;
        }
        out.push(Part {
            begin: range_begin,
            end: cut,
            line: range_line,
            iis_fields: range_fields,
        });
        range_begin = cut;
        range_line = line;
        range_fields = last_fields.clone();
    }
    out.push(Part {
        begin: range_begin,
        end,
        line: range_line,
        iis_fields: range_fields,
    });
    Ok(out)
}

/// Whether the line at `at` is an IIS `#Fields:` directive (one positioned read of 8 bytes).
fn peek_is_fields(file: &File, at: u64) -> io::Result<bool> {
    let mut b = [0u8; 8];
    let n = read_at(file, &mut b, at)?;
    Ok(n == 8 && &b == b"#Fields:")
}

fn read_line(file: &File, at: u64, end: u64) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; ((end - at) as usize).min(64 << 10)];
    let n = read_at(file, &mut buf, at)?;
    buf.truncate(n);
    if let Some(nl) = memchr::memchr(b'\n', &buf) {
        buf.truncate(nl);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(buf)
}

fn next_line_start(file: &File, from: u64, end: u64) -> io::Result<Option<u64>> {
    let mut buf = vec![0u8; 64 << 10];
    let mut pos = from.saturating_sub(1);
    while pos < end {
        let n = read_at(file, &mut buf, pos)?;
        if n == 0 {
            return Ok(None);
        }
        if let Some(nl) = memchr::memchr(b'\n', &buf[..n]) {
            return Ok(Some(pos + nl as u64 + 1));
        }
        pos += n as u64;
    }
    Ok(None)
}

/// Reads a range of a file with positioned reads, so several readers share one handle.
pub struct ReadAt<'f> {
    file: &'f File,
    pos: u64,
    end: u64,
}

impl<'f> ReadAt<'f> {
    pub fn new(file: &'f File, begin: u64, end: u64) -> ReadAt<'f> {
        ReadAt {
            file,
            pos: begin,
            end,
        }
    }
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf
            .len()
            .min(usize::try_from(self.end.saturating_sub(self.pos)).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = read_at(self.file, &mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, at)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, at)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn parts_are_line_aligned_numbered_and_know_their_fields() {
        let mut f = tempfile::tempfile().unwrap();
        let mut text = String::from("#Fields: a b\n");
        for i in 0..1000 {
            if i == 600 {
                text.push_str("#Fields: c d e\n");
            }
            text.push_str(&format!("line {i}\n"));
        }
        f.write_all(text.as_bytes()).unwrap();
        let end = text.len() as u64;
        let parts = plan(&f, 0, end, 3, 1, None).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].begin, 0);
        assert_eq!(parts.last().unwrap().end, end);
        let mut line = 1;
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                assert_eq!(text.as_bytes()[p.begin as usize - 1], b'\n');
                assert_eq!(p.begin, parts[i - 1].end);
            }
            assert_eq!(p.line, line, "part {i}");
            let mut chunk = String::new();
            ReadAt::new(&f, p.begin, p.end)
                .read_to_string(&mut chunk)
                .unwrap();
            line += chunk.matches('\n').count() as u64;
            // The directive in force is the last one before the part.
            let before = &text[..p.begin as usize];
            let want = before
                .rfind("#Fields:")
                .map(|i| before[i..].lines().next().unwrap().as_bytes().to_vec());
            assert_eq!(p.iis_fields, want, "part {i}");
        }
    }

    #[test]
    fn small_or_single_line_inputs_stay_whole() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&[b'x'; 1000]).unwrap();
        let parts = plan(&f, 0, 1000, 4, 1, None).unwrap();
        assert_eq!(
            parts,
            vec![Part {
                begin: 0,
                end: 1000,
                line: 1,
                iis_fields: None
            }]
        );
    }
}
