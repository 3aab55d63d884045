//! Splitting one large uncompressed log into line-aligned parts that threads scan side by
//! side, so a single 10 GB log uses every core.
//!
//! The log is cut at line starts (a short read after each planned cut finds the next
//! newline) into parts that threads take in order as they finish the last. Parts shrink
//! towards the end (each is a share of what is left, as in guided self-scheduling), so
//! the threads finish close together: the last parts are a few megabytes, not a fixed
//! fraction of the log that one thread is left reading alone. Nothing reads the text ahead
//! of them: a part is scanned with line numbers counted from its own start and with the IIS
//! `#Fields` layout it assumes is in force there (known for a part whose predecessors are
//! all done; else the last directive known so far). Its findings are held until every part before it is done:
//! by then their line counts are known, which shift its line numbers, and the findings are
//! released in part order, so they leave in the order one thread would find them. A part
//! whose assumed layout is not the one in force at its start (a part before it changed it)
//! is scanned again, with what is then known. The ranges are read with positioned reads,
//! independently.
//!
//! Held findings are bounded: a part is at most [`PART_MAX`] bytes, and a thread starts a
//! part at most [`AHEAD_PER_THREAD`] parts per thread past the oldest one not yet released
//! (it waits otherwise), so at most that many parts' findings wait at any time; and a part
//! that has held [`HOLD_MAX`] findings waits for the parts before it, then delivers them
//! (or drops them, when it is to be scanned again) and goes on delivering as it finds.

use std::fs::File;
use std::io::{self, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Condvar, Mutex, PoisonError};

use crate::engine::Scratch;
use crate::logs::{IisColumns, LogFormat};

use super::{LogError, LogInput, LogOutcome, LogScanner, Partial, Sink, Start};

mod order;
#[cfg(test)]
mod tests;

use order::{Assumed, Board, Done, Guess, Hold, Mode, Next, lock};

/// Each part is what is left divided by this many per thread: the first parts are long
/// (few of them, little work per part), and the later ones shrink until the last are
/// [`PART_SHARE`]'s minimum, so no thread is left alone with a long part at the end.
const GUIDE_PER_THREAD: u64 = 2;

/// Parts are at least this share of the split threshold (4 MiB of the default
/// [`super::SPLIT_MIN`]): each is megabytes long.
const PART_SHARE: u64 = 8;

/// Parts are at most this long (the first parts of a 10 GB log are all this long): what
/// one part's held findings can grow to stays bounded.
const PART_MAX: u64 = 128 << 20;

/// How many parts per thread may be started past the oldest part not yet released.
const AHEAD_PER_THREAD: usize = 2;

/// How many findings a part holds before it waits for the parts before it to be released:
/// then, if the directive it assumed is the one in force, it delivers them and the rest as
/// found; if not, it drops them (it is scanned again). A flood of findings (a broad IOC
/// range, a noisy rule) is so never held more than this per thread.
const HOLD_MAX: usize = 4096;

/// How much of the first part is read to find the `#Fields` directive later parts assume
/// until they know better (IIS writes it in the first lines).
const PEEK: usize = 64 << 10;

/// Where a plain log is cut, and what the first part starts with.
#[derive(Clone, Debug)]
pub struct SplitPlan {
    /// The file's byte range to scan, and where the parts after the first start.
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
    /// into parts for `threads` threads, none shorter than `part_min` bytes.
    fn new(
        file: &File,
        bom: u64,
        start: &Start,
        end: u64,
        threads: usize,
        part_min: u64,
    ) -> io::Result<SplitPlan> {
        let begin = bom + start.offset;
        let targets: Vec<u64> = part_ends(end.saturating_sub(begin), threads, part_min)
            .into_iter()
            .map(|at| begin + at)
            .collect();
        let cuts = cuts(file, begin, end, &targets)?;
        Ok(SplitPlan {
            begin,
            end,
            cuts,
            first_line: start.line,
            fields: start.iis_fields.clone(),
            bom,
        })
    }

    /// How many parts the log is cut into.
    #[must_use]
    pub fn parts(&self) -> usize {
        self.cuts.len() + 1
    }

    /// The length of part `k`, unless it is the last.
    fn span(&self, k: usize) -> Option<u64> {
        let (begin, end) = self.range(k);
        (k + 1 < self.parts()).then_some(end - begin)
    }

    /// The file's byte range of part `k`.
    fn range(&self, k: usize) -> (u64, u64) {
        let begin = if k == 0 { self.begin } else { self.cuts[k - 1] };
        (begin, self.cuts.get(k).copied().unwrap_or(self.end))
    }
}

/// Where the parts of a text of `len` bytes end, for `threads` threads (the last part's
/// end, `len`, left out): each part is [`GUIDE_PER_THREAD`] times `threads` shorter than
/// what is left before it, within `part_min` and [`PART_MAX`], and the last is never
/// shorter than `part_min`.
fn part_ends(len: u64, threads: usize, part_min: u64) -> Vec<u64> {
    let min = part_min.max(1);
    let divisor = GUIDE_PER_THREAD * threads.max(1) as u64;
    let mut ends = Vec::new();
    let mut at = 0;
    loop {
        let rest = len - at;
        let size = (rest / divisor).clamp(min, PART_MAX.max(min));
        if rest < size.saturating_add(min) {
            return ends;
        }
        at += size;
        ends.push(at);
    }
}

/// Where to cut `[begin, end)` into line-aligned parts: the first line start at or after
/// each of `targets` (in order). Only a few small reads.
fn cuts(file: &File, begin: u64, end: u64, targets: &[u64]) -> io::Result<Vec<u64>> {
    let mut cuts: Vec<u64> = Vec::new();
    for &t in targets {
        if let Some(p) = next_line_start(file, t.max(begin), end)?
            && p < end
            && cuts.last().is_none_or(|&last| p > last)
        {
            cuts.push(p);
        }
    }
    Ok(cuts)
}

/// The last IIS `#Fields` directive among the whole lines of the first [`PEEK`] bytes of
/// `[begin, end)`, as the scan keeps it (without its line end): what a later part assumes
/// is in force before anything else is known. Only a guess, checked later, so a failed
/// read gives none.
fn first_directive(file: &File, begin: u64, end: u64) -> Option<Vec<u8>> {
    let len = usize::try_from(end.saturating_sub(begin)).map_or(PEEK, |l| l.min(PEEK));
    let mut buf = vec![0u8; len];
    let n = read_at(file, &mut buf, begin).ok()?;
    buf[..n]
        .split_inclusive(|&b| b == b'\n')
        .filter_map(|l| l.strip_suffix(b"\n"))
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .rev()
        .find(|l| l.starts_with(b"#") && IisColumns::from_directive(l).is_some())
        .map(<[u8]>::to_vec)
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

    /// Scans a plain log in the planned parts, side by side: threads take the parts in
    /// order, each the next when done with one, and findings are delivered in the order
    /// one thread finds them (see the module's documentation), each thread handing them
    /// to its own clone of `sink`. The outcome adds up to what one thread reading the
    /// whole would have found.
    ///
    /// # Errors
    ///
    /// When a part breaks off (the findings before the break have been delivered, later
    /// parts' not: their line numbers are not known) or a thread panicked.
    pub fn scan_split<S: Sink + Clone + Send>(
        &self,
        input: SplitInput<'_>,
        plan: &SplitPlan,
        start: &Start,
        sink: &S,
    ) -> Result<LogOutcome, LogError> {
        self.scan_parts(input, plan, start, sink, (Guess::Latest, HOLD_MAX))
            .map(|(outcome, _)| outcome)
    }

    /// [`LogScanner::scan_split`], also returning how many parts were scanned twice.
    fn scan_parts<S: Sink + Clone + Send>(
        &self,
        input: SplitInput<'_>,
        plan: &SplitPlan,
        start: &Start,
        sink: &S,
        (guess, hold_max): (Guess, usize),
    ) -> Result<(LogOutcome, usize), LogError> {
        let parts = plan.parts();
        let head_fields = if input.format == LogFormat::Iis {
            let (begin, end) = plan.range(0);
            first_directive(input.file, begin, end)
        } else {
            None
        };
        let board = Mutex::new(Board {
            parts,
            released: 0,
            line: plan.first_line,
            fields: plan.fields.clone(),
            done: (0..parts).map(|_| None).collect(),
            head_fields,
            guess,
            hold_max,
            total: LogOutcome::default(),
            rescans: 0,
            failed: None,
        });
        let turn = Condvar::new();
        let taken = AtomicUsize::new(0);
        let threads = self.threads.min(parts);
        let ahead = AHEAD_PER_THREAD * threads;
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let mut sink = sink.clone();
                let (board, turn, taken) = (&board, &turn, &taken);
                scope.spawn(move || {
                    let mut scratch = self.engine.scratch();
                    loop {
                        let k = taken.fetch_add(1, Relaxed);
                        if k >= parts {
                            break;
                        }
                        let assumed = {
                            let mut b = lock(board);
                            while b.failed.is_none() && k >= b.released + ahead {
                                b = turn.wait(b).unwrap_or_else(PoisonError::into_inner);
                            }
                            if b.failed.is_some() {
                                break;
                            }
                            b.assume(k)
                        };
                        let step = catch_unwind(AssertUnwindSafe(|| {
                            self.part(
                                input,
                                plan,
                                start,
                                k,
                                assumed,
                                (board, turn),
                                &mut scratch,
                                &mut sink,
                            );
                        }));
                        if step.is_err() {
                            lock(board).failed.get_or_insert(LogError::ThreadPanicked);
                        }
                        turn.notify_all();
                        if step.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        let b = board.into_inner().unwrap_or_else(PoisonError::into_inner);
        if let Some(e) = b.failed {
            return Err(e);
        }
        if b.released < parts {
            return Err(LogError::ThreadPanicked);
        }
        Ok((b.total, b.rescans))
    }

    /// Scans part `k` as `assumed`, then releases every part it lets go, in order.
    #[allow(clippy::too_many_arguments)]
    fn part(
        &self,
        input: SplitInput<'_>,
        plan: &SplitPlan,
        start: &Start,
        k: usize,
        assumed: Assumed,
        (board, turn): (&Mutex<Board>, &Condvar),
        scratch: &mut Scratch,
        sink: &mut dyn Sink,
    ) {
        let Assumed {
            line,
            fields,
            known,
        } = assumed;
        let hold_max = lock(board).hold_max;
        let mut hold = Hold {
            k,
            line,
            fields: &fields,
            board,
            turn,
            sink: &mut *sink,
            held: Vec::new(),
            // Numbered from its true start: its findings go out as found.
            mode: if known { Mode::Deliver(0) } else { Mode::Hold },
            hold_max,
        };
        let result = self.scan_range(
            input,
            plan,
            start,
            k,
            line,
            fields.clone(),
            scratch,
            &mut hold,
        );
        let held = std::mem::take(&mut hold.held);
        drop(hold);
        let mut b = lock(board);
        b.done[k] = Some(Done {
            assumed: fields,
            line,
            span: plan.span(k),
            result,
            held,
        });
        // Delivered holding the board, so parts leave in order.
        while let Some(next) = b.next() {
            match next {
                Next::Deliver(findings) => {
                    if !findings.is_empty() {
                        sink.findings(findings);
                    }
                }
                Next::Rescan { k, line, fields } => {
                    // No later part is released until this one is: the board can be let go.
                    drop(b);
                    let result =
                        self.scan_range(input, plan, start, k, line, fields.clone(), scratch, sink);
                    b = lock(board);
                    let done = Done {
                        assumed: fields,
                        line,
                        span: plan.span(k),
                        result,
                        held: Vec::new(),
                    };
                    let rest = b.release(done);
                    debug_assert!(rest.is_empty());
                }
            }
        }
    }

    /// Scans part `k` of the plan, numbering its lines from `line`, with `fields` in force
    /// at its start.
    #[allow(clippy::too_many_arguments)]
    fn scan_range(
        &self,
        input: SplitInput<'_>,
        plan: &SplitPlan,
        start: &Start,
        k: usize,
        line: u64,
        fields: Option<Vec<u8>>,
        scratch: &mut Scratch,
        sink: &mut dyn Sink,
    ) -> Result<LogOutcome, LogError> {
        let (begin, end) = plan.range(k);
        let last = k + 1 == plan.parts();
        let st = Start {
            line,
            offset: begin - plan.bom,
            partial: if start.partial == Partial::Hold && last {
                Partial::Hold
            } else {
                Partial::Read
            },
            iis_fields: fields,
            read_to: start.read_to,
            reported: start.reported,
            pending: Vec::new(),
        };
        let log = LogInput {
            path: input.path,
            format: input.format,
            head: &[],
            src: ReadAt::new(input.file, begin, end),
        };
        self.scan(scratch, log, &st, sink)
    }
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
