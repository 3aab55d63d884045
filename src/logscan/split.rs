//! Splitting one large uncompressed log into line-aligned ranges that threads scan side by
//! side, so a single 10 GB log uses every core.
//!
//! The log is cut into several ranges per thread, which threads take one at a time as they
//! finish the last, so they all finish close together. A quick pass (newline counting and a
//! search for `#Fields:` directives, both memchr-speed) gives each range the line number it
//! starts at and, for IIS logs, the column layout in force there, as it goes: the first
//! range is scanned at once, and each next one as soon as the pass has reached it. The
//! ranges are read with positioned reads, independently.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc;

use crate::logs::LogFormat;

use super::{LogError, LogInput, LogOutcome, LogScanner, Partial, Sink, Start};

/// Ranges per thread: enough that one slow range does not leave the other threads idle at
/// the end, few enough that each is megabytes long.
const PARTS_PER_THREAD: usize = 4;

/// Ranges are at least this share of the split threshold (4 MiB of the default
/// [`super::SPLIT_MIN`]): each is megabytes long.
const PART_SHARE: u64 = 8;

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

const BLOCK: usize = 256 << 10;

/// Where a plain log is cut, and what the first range starts with.
#[derive(Clone, Debug)]
pub struct SplitPlan {
    /// The file's byte range to scan, and where the ranges after the first start.
    begin: u64,
    end: u64,
    cuts: Vec<u64>,
    /// Number of the line at `begin`, and the directive in force there.
    first_line: u64,
    fields: Option<Vec<u8>>,
    /// Length of the byte-order mark before the text: file offsets less this are decoded
    /// offsets.
    bom: u64,
}

impl SplitPlan {
    /// Cuts the text of `file` from `start` (a decoded offset, after `bom` bytes) to `end`
    /// into ranges for `threads` threads, none shorter than `part_min` bytes.
    fn new(
        file: &File,
        bom: u64,
        start: &Start,
        end: u64,
        threads: usize,
        part_min: u64,
    ) -> io::Result<SplitPlan> {
        let begin = bom + start.offset;
        let parts = part_count(end.saturating_sub(begin), threads, part_min);
        let cuts = cuts(file, begin, end, parts)?;
        Ok(SplitPlan {
            begin,
            end,
            cuts,
            first_line: start.line,
            fields: start.iis_fields.clone(),
            bom,
        })
    }

    /// How many ranges the log is cut into.
    #[must_use]
    pub fn parts(&self) -> usize {
        self.cuts.len() + 1
    }
}

/// Cuts `[begin, end)` of `file` into at most `parts` line-aligned ranges. `first_line` is
/// the number of the line at `begin`; `fields` the directive in force there.
#[cfg(test)]
fn plan(
    file: &File,
    begin: u64,
    end: u64,
    parts: usize,
    first_line: u64,
    fields: Option<Vec<u8>>,
) -> io::Result<Vec<Part>> {
    let plan = SplitPlan {
        begin,
        end,
        cuts: cuts(file, begin, end, parts)?,
        first_line,
        fields,
        bom: 0,
    };
    let mut out = Vec::new();
    number(file, &plan, BLOCK, |p| out.push(p))?;
    Ok(out)
}

/// How many ranges to cut a log of `len` bytes into for `threads` threads.
fn part_count(len: u64, threads: usize, part_min: u64) -> usize {
    let by_size = usize::try_from(len / part_min.max(1)).unwrap_or(usize::MAX);
    (threads * PARTS_PER_THREAD).min(by_size).max(1)
}

/// Where to cut `[begin, end)` into at most `parts` line-aligned ranges: the first line
/// start at or after each even share. Only a few small reads.
fn cuts(file: &File, begin: u64, end: u64, parts: usize) -> io::Result<Vec<u64>> {
    let parts = parts.max(1) as u64;
    let len = end.saturating_sub(begin);
    let mut cuts: Vec<u64> = Vec::new();
    for k in 1..parts {
        let t = begin + len * k / parts;
        if let Some(p) = next_line_start(file, t, end)?
            && p < end
            && cuts.last().is_none_or(|&last| p > last)
        {
            cuts.push(p);
        }
    }
    Ok(cuts)
}

/// Hands `to` the ranges between the plan's cuts in order, each with its first line's
/// number and the directive in force there, from one pass to the last cut that counts
/// newlines and looks for `#Fields:`, reading `block_size` bytes at a time. The first range
/// is handed over before the pass starts, each next one as soon as the pass reaches it.
fn number(
    file: &File,
    plan: &SplitPlan,
    block_size: usize,
    mut to: impl FnMut(Part),
) -> io::Result<()> {
    let SplitPlan {
        begin,
        end,
        ref cuts,
        first_line,
        ref fields,
        ..
    } = *plan;
    let fields = fields.clone();
    to(Part {
        begin,
        end: cuts.first().copied().unwrap_or(end),
        line: first_line,
        iis_fields: fields.clone(),
    });
    let (mut pos, mut line, mut last_fields) = (begin, first_line, fields);
    // The first line itself may be a directive: it rules the lines after it.
    if !cuts.is_empty() && peek_is_fields(file, begin)? {
        last_fields = Some(read_line(file, begin, end)?);
    }
    let mut buf = vec![0u8; block_size];
    for (k, &cut) in cuts.iter().enumerate() {
        while pos < cut {
            let want = ((cut - pos) as usize).min(block_size);
            let n = read_at(file, &mut buf[..want], pos)?;
            if n == 0 {
                break;
            }
            let block = &buf[..n];
            line += memchr::memchr_iter(b'\n', block).count() as u64;
            // Directives start lines and lines start after a newline: `\n#` inside the
            // block, or a newline that ends it (the next byte is read).
            let mut starts: Vec<u64> = memchr::memmem::find_iter(block, b"\n#")
                .map(|nl| pos + nl as u64 + 1)
                .collect();
            if block.last() == Some(&b'\n') {
                starts.push(pos + n as u64);
            }
            for at in starts {
                if at < end && peek_is_fields(file, at)? {
                    last_fields = Some(read_line(file, at, end)?);
                }
            }
            pos += n as u64;
        }
        to(Part {
            begin: cut,
            end: cuts.get(k + 1).copied().unwrap_or(end),
            line,
            iis_fields: last_fields.clone(),
        });
    }
    Ok(())
}

/// A plain log's file, and how findings name it.
#[derive(Clone, Copy)]
pub struct SplitInput<'a> {
    pub file: &'a File,
    pub path: &'a Path,
    pub format: LogFormat,
}

impl LogScanner {
    /// Where to cut a plain log (of `end` bytes, its text after `bom` bytes) that
    /// [`LogScanner::splits`] says to split, reading from `start`.
    ///
    /// # Errors
    ///
    /// When the file cannot be read where it is cut ([`LogError::Start`]).
    pub fn plan_split(
        &self,
        file: &File,
        bom: u64,
        start: &Start,
        end: u64,
    ) -> Result<SplitPlan, LogError> {
        let part_min = self.split_min / PART_SHARE;
        SplitPlan::new(file, bom, start, end, self.threads, part_min).map_err(LogError::Start)
    }

    /// Scans a plain log in the planned ranges, side by side: ranges go to the threads in
    /// order as the numbering pass reaches them, and each thread takes the next when it
    /// is done with one. Each thread hands findings to its own clone of `sink`. The
    /// outcomes add up to what one thread reading the whole would have found.
    ///
    /// # Errors
    ///
    /// When a range breaks off, the numbering pass fails, or a thread panicked; the
    /// findings of the ranges scanned have been delivered.
    pub fn scan_split<S: Sink + Clone + Send>(
        &self,
        input: SplitInput<'_>,
        plan: &SplitPlan,
        start: &Start,
        sink: &S,
    ) -> Result<LogOutcome, LogError> {
        let SplitInput { file, path, format } = input;
        let part_count = plan.parts();
        let hold = start.partial == Partial::Hold;
        let (tx, rx) = mpsc::channel::<(usize, Part)>();
        let rx = Mutex::new(rx);
        let mut numbering = Ok(());
        let mut results: Vec<(usize, Result<LogOutcome, LogError>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..self.threads.min(part_count))
                .map(|_| {
                    let mut sink = sink.clone();
                    let rx = &rx;
                    scope.spawn(move || {
                        let mut scratch = self.engine.scratch();
                        let mut done = Vec::new();
                        loop {
                            let next = rx
                                .lock()
                                .map_err(|_| ())
                                .and_then(|r| r.recv().map_err(|_| ()));
                            let Ok((k, part)) = next else { break };
                            let last = k + 1 == part_count;
                            let st = Start {
                                line: part.line,
                                offset: part.begin - plan.bom,
                                partial: if hold && last {
                                    Partial::Hold
                                } else {
                                    Partial::Read
                                },
                                iis_fields: part.iis_fields,
                                read_to: start.read_to,
                                reported: start.reported,
                                pending: Vec::new(),
                            };
                            let input = LogInput {
                                path,
                                format,
                                head: &[],
                                src: ReadAt::new(file, part.begin, part.end),
                            };
                            done.push((k, self.scan(&mut scratch, input, &st, &mut sink)));
                        }
                        done
                    })
                })
                .collect();
            let mut k = 0;
            numbering = number(file, plan, BLOCK, |part| {
                // The threads outlive the channel's sender, so this never fails.
                let _ = tx.send((k, part));
                k += 1;
            });
            drop(tx);
            // A thread that panicked loses its parts; the count below notices.
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        numbering.map_err(LogError::Numbering)?;
        if results.len() < part_count {
            return Err(LogError::ThreadPanicked);
        }
        results.sort_by_key(|(k, _)| *k);
        let mut total = LogOutcome::default();
        for (_, r) in results {
            let o = r?;
            total.records += o.records;
            total.outside_window += o.outside_window;
            total.truncated_lines += o.truncated_lines;
            total.unparsed_lines += o.unparsed_lines;
            total.bytes += o.bytes;
            total.findings_below_min_severity += o.findings_below_min_severity;
            total.next = o.next;
            total.iis_fields = o.iis_fields;
            total.lines_pending += o.lines_pending;
            total.before_since += o.before_since;
            total.reported_since = o.reported_since;
            // The first part that must be read again decides where the next sweep resumes
            // (and so which text before that point makes the fingerprint).
            if total.resume.is_none() {
                total.resume = o.resume;
                total.tail = o.tail;
            }
        }
        Ok(total)
    }
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
    fn numbering_does_not_depend_on_where_blocks_end() {
        let mut f = tempfile::tempfile().unwrap();
        let text = "#Fields: a\nx\n#Fields: b\n#Fields: c\ny\n#Other\n\n#Fields: d\nz\n";
        f.write_all(text.as_bytes()).unwrap();
        let end = text.len() as u64;
        let cuts: Vec<u64> = (1..end)
            .filter(|&i| text.as_bytes()[i as usize - 1] == b'\n')
            .collect();
        let numbered = |block| {
            let mut parts = Vec::new();
            let plan = SplitPlan {
                begin: 0,
                end,
                cuts: cuts.clone(),
                first_line: 1,
                fields: None,
                bom: 0,
            };
            number(&f, &plan, block, |p| parts.push(p)).unwrap();
            parts
        };
        let want = numbered(1 << 20);
        assert_eq!(want.len(), cuts.len() + 1);
        // Every line starts a part. Its directive is the last one that starts at or before
        // it (the first part's is the one given).
        for (p, line) in want.iter().zip(1..) {
            assert_eq!(p.line, line);
            let fields = text
                .match_indices("#Fields:")
                .map(|(i, _)| i)
                .filter(|&i| i <= p.begin as usize && p.begin > 0)
                .last()
                .map(|i| text[i..].lines().next().unwrap().as_bytes().to_vec());
            assert_eq!(p.iis_fields, fields, "{p:?}");
        }
        for block in 1..=12 {
            assert_eq!(numbered(block), want, "block size {block}");
        }
    }

    #[test]
    fn several_parts_per_thread_but_none_tiny() {
        let min = super::super::SPLIT_MIN;
        let part_min = min / PART_SHARE;
        assert_eq!(part_min, 4 << 20);
        assert_eq!(part_count(1 << 30, 2, part_min), 2 * PARTS_PER_THREAD);
        assert_eq!(part_count(min, 2, part_min), PART_SHARE as usize);
        assert_eq!(part_count(100, 2, part_min), 1);
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
