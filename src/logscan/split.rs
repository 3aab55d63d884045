//! Splitting one large uncompressed log into line-aligned parts that threads scan side by
//! side, so a single 10 GB log uses every core.
//!
//! The log is cut at line starts (a short read after each even share finds the next
//! newline) into several parts per thread, which threads take in order as they finish the
//! last, so they all finish close together. Nothing reads the text ahead of them: a part is
//! scanned with line numbers counted from its own start and with the IIS `#Fields` layout it
//! assumes is in force there (known for a part whose predecessors are all done; else the
//! last directive known so far). Its findings are held until every part before it is done:
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
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::engine::Scratch;
use crate::finding::{Finding, Subject};
use crate::logs::{IisColumns, LogFormat};

use super::{LogError, LogInput, LogOutcome, LogScanner, Partial, Sink, Start};

/// Parts per thread: enough that one slow part does not leave the other threads idle at
/// the end, few enough that each is megabytes long.
const PARTS_PER_THREAD: usize = 4;

/// Parts are at least this share of the split threshold (4 MiB of the default
/// [`super::SPLIT_MIN`]): each is megabytes long.
const PART_SHARE: u64 = 8;

/// Parts are at most this long (a 10 GB log is cut into more than `PARTS_PER_THREAD` per
/// thread): what one part's held findings can grow to stays bounded.
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

/// How many parts to cut a log of `len` bytes into for `threads` threads.
fn part_count(len: u64, threads: usize, part_min: u64) -> usize {
    let by_size = usize::try_from(len / part_min.max(1)).unwrap_or(usize::MAX);
    let by_max = usize::try_from(len.div_ceil(PART_MAX)).unwrap_or(usize::MAX);
    (threads * PARTS_PER_THREAD).max(by_max).min(by_size).max(1)
}

/// Where to cut `[begin, end)` into at most `parts` line-aligned parts: the first line
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

/// What a part is scanned with: the number given its first line, the directive assumed in
/// force at its start, and whether both are known (then its findings need not wait).
struct Assumed {
    line: u64,
    fields: Option<Vec<u8>>,
    known: bool,
}

/// Which directive a part whose start is not known yet assumes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Guess {
    /// The last one known: from the latest part done before it, or the first part's head.
    Latest,
    /// Always the first part's (tests: makes every part after a change scan again).
    #[cfg(test)]
    FirstOnly,
}

/// A part scanned, waiting for the parts before it.
struct Done {
    assumed: Option<Vec<u8>>,
    line: u64,
    /// The part's length, unless it is the last: a part counts the bytes read up to the
    /// end of its last line, and its line end belongs to the text read too.
    span: Option<u64>,
    result: Result<LogOutcome, LogError>,
    held: Vec<Finding>,
}

/// What to do next to release parts in order.
enum Next {
    /// Deliver these findings (line numbers final).
    Deliver(Vec<Finding>),
    /// Scan part `k` again from line `line` with directive `fields`, delivering as found.
    Rescan {
        k: usize,
        line: u64,
        fields: Option<Vec<u8>>,
    },
}

/// The parts' progress, shared by the threads.
struct Board {
    parts: usize,
    /// Parts before this one are released...
    released: usize,
    /// ...the number of the first line of the next, and the directive in force there.
    line: u64,
    fields: Option<Vec<u8>>,
    /// Parts done, not released yet.
    done: Vec<Option<Done>>,
    /// The directive in the first part's head, for parts that start before anything is
    /// known.
    head_fields: Option<Vec<u8>>,
    guess: Guess,
    /// See [`HOLD_MAX`].
    hold_max: usize,
    total: LogOutcome,
    /// Parts scanned twice because their assumed directive was not the one in force.
    rescans: usize,
    failed: Option<LogError>,
}

impl Board {
    /// What part `k` is scanned with when it starts now.
    fn assume(&self, k: usize) -> Assumed {
        #[cfg(test)]
        let blind = self.guess == Guess::FirstOnly && k > 0;
        #[cfg(not(test))]
        let blind = false;
        if k == self.released && !blind {
            return Assumed {
                line: self.line,
                fields: self.fields.clone(),
                known: true,
            };
        }
        let latest = match self.guess {
            Guess::Latest => (self.released..k).rev().find_map(|j| {
                let done = self.done[j].as_ref()?;
                done.result.as_ref().ok().map(|o| o.iis_fields.clone())
            }),
            #[cfg(test)]
            Guess::FirstOnly => None,
        };
        let fields = latest.unwrap_or_else(|| {
            if self.released == 0 {
                self.head_fields.clone().or_else(|| self.fields.clone())
            } else {
                self.fields.clone()
            }
        });
        Assumed {
            line: 1,
            fields,
            known: false,
        }
    }

    /// The next step in releasing parts in order, if the oldest unreleased part is done.
    fn next(&mut self) -> Option<Next> {
        if self.failed.is_some() || self.released >= self.parts {
            return None;
        }
        let done = self.done[self.released].take()?;
        if done.assumed != self.fields {
            self.rescans += 1;
            return Some(Next::Rescan {
                k: self.released,
                line: self.line,
                fields: self.fields.clone(),
            });
        }
        Some(Next::Deliver(self.release(done)))
    }

    /// Releases the oldest unreleased part, scanned with the directive in force at its
    /// start: adds up what it did, and returns its findings, numbered from where it starts.
    fn release(&mut self, done: Done) -> Vec<Finding> {
        let Done {
            line,
            span,
            result,
            mut held,
            ..
        } = done;
        let shift = self.line - line;
        shift_lines(&mut held, shift);
        match result {
            Ok(mut o) => {
                if let Some(span) = span {
                    o.bytes = span;
                }
                o.next.0 += shift;
                if let Some(((l, _), _)) = &mut o.resume {
                    *l += shift;
                }
                self.line = o.next.0;
                self.fields.clone_from(&o.iis_fields);
                self.released += 1;
                add(&mut self.total, o);
            }
            // The lines after the break are not known: later parts cannot be numbered.
            Err(e) => self.failed = Some(e),
        }
        held
    }
}

/// What a part does with its findings.
#[derive(Clone, Copy)]
enum Mode {
    /// Keeps them until the parts before it are done.
    Hold,
    /// Delivers them at once, line numbers shifted by this much.
    Deliver(u64),
    /// Drops them: it will be scanned again.
    Drop,
}

/// The sink of a part: holds its findings, and when they are too many waits for its turn
/// (see [`HOLD_MAX`]).
struct Hold<'a> {
    k: usize,
    line: u64,
    fields: &'a Option<Vec<u8>>,
    board: &'a Mutex<Board>,
    turn: &'a Condvar,
    sink: &'a mut dyn Sink,
    held: Vec<Finding>,
    mode: Mode,
    hold_max: usize,
}

impl Sink for Hold<'_> {
    fn findings(&mut self, mut batch: Vec<Finding>) {
        match self.mode {
            Mode::Drop => {}
            Mode::Deliver(shift) => {
                shift_lines(&mut batch, shift);
                self.sink.findings(batch);
            }
            Mode::Hold => {
                self.held.append(&mut batch);
                if self.held.len() >= self.hold_max {
                    self.wait_turn();
                }
            }
        }
    }
}

impl Hold<'_> {
    /// Waits until every part before this one is released. Then no other part delivers
    /// until this one is done, so what it holds and finds next can go out at once, if the
    /// directive it assumed is the one in force; else it is to be scanned again.
    fn wait_turn(&mut self) {
        let mut b = lock(self.board);
        while b.failed.is_none() && b.released < self.k {
            b = self.turn.wait(b).unwrap_or_else(PoisonError::into_inner);
        }
        let ours = b.failed.is_none() && b.released == self.k && b.fields == *self.fields;
        let line = b.line;
        drop(b);
        let mut held = std::mem::take(&mut self.held);
        if ours {
            let shift = line - self.line;
            shift_lines(&mut held, shift);
            self.sink.findings(held);
            self.mode = Mode::Deliver(shift);
        } else {
            self.mode = Mode::Drop;
        }
    }
}

fn shift_lines(findings: &mut [Finding], by: u64) {
    for f in findings {
        if let Subject::Log(s) = &mut f.subject {
            s.line += by;
        }
    }
}

/// Adds what one part did to what the parts before it did.
fn add(total: &mut LogOutcome, o: LogOutcome) {
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
    // The first part that must be read again decides where the next sweep resumes (and
    // so which text before that point makes the fingerprint).
    if total.resume.is_none() {
        total.resume = o.resume;
        total.tail = o.tail;
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::logs::Window;
    use crate::logscan::LogOptions;
    use crate::logscan::tester::{describe, setup};

    /// Findings in the order they were delivered.
    #[derive(Clone, Default)]
    struct InOrder(Arc<Mutex<Vec<String>>>);

    impl Sink for InOrder {
        fn findings(&mut self, batch: Vec<Finding>) {
            lock(&self.0).extend(batch.iter().map(describe));
        }
    }

    const A: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query c-ip sc-status";
    const B: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query sc-status c-ip";

    /// An IIS log of `lines` requests, a new `#Fields` block every `every` lines, the
    /// layouts taking turns: attacks and listed clients at intervals, one second apart.
    fn generated(lines: usize, every: usize, eol: &str) -> Vec<u8> {
        let mut text = String::new();
        for n in 0..lines {
            let layout = if (n / every).is_multiple_of(2) { A } else { B };
            if n % every == 0 {
                text.push_str(&format!(
                    "#Software: Microsoft Internet Information Services 10.0{eol}#Fields: {layout}{eol}"
                ));
            }
            let t = jiff::Timestamp::from_second(1_752_912_000 + n as i64).unwrap();
            let when = t.strftime("%Y-%m-%d %H:%M:%S");
            let query = if n % 37 == 5 { "cmd=whoami" } else { "id=4" };
            let client = if n % 23 == 7 {
                "96.9.125.147".to_owned()
            } else {
                format!("198.51.100.{}", n % 250)
            };
            let (a, b) = if layout == A {
                (client.as_str(), "200")
            } else {
                ("200", client.as_str())
            };
            text.push_str(&format!(
                "{when} 10.0.0.1 GET /p{n}.aspx {query} {a} {b}{eol}"
            ));
        }
        text.into_bytes()
    }

    fn scanner(threads: usize, window: Window) -> LogScanner {
        let (engine, iocs) = setup();
        let options = LogOptions {
            window,
            ..LogOptions::default()
        };
        LogScanner::builder()
            .threads(threads)
            .split_min(64)
            .options(options)
            .build(Arc::clone(engine), Arc::clone(iocs))
    }

    fn file_of(bytes: &[u8]) -> File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    /// One thread reading the text after `bom` bytes, as the reference.
    fn whole(scanner: &LogScanner, text: &[u8], bom: usize) -> (Vec<String>, LogOutcome) {
        let sink = InOrder::default();
        let mut scratch = scanner.engine.scratch();
        let input = LogInput {
            path: Path::new("u_ex.log"),
            format: LogFormat::Iis,
            head: &[],
            src: &text[bom..],
        };
        let o = scanner
            .scan(&mut scratch, input, &Start::default(), &mut sink.clone())
            .unwrap();
        let seen = lock(&sink.0).clone();
        (seen, o)
    }

    /// The same text split at `cuts` (or as planned), each later part assuming `guess`.
    fn split(
        scanner: &LogScanner,
        text: &[u8],
        bom: usize,
        cuts: Option<Vec<u64>>,
        guess: (Guess, usize),
    ) -> (Vec<String>, LogOutcome, usize) {
        let file = file_of(text);
        let start = Start::default();
        let mut plan = scanner
            .plan_split(&file, bom as u64, &start, text.len() as u64)
            .unwrap();
        if let Some(cuts) = cuts {
            plan.cuts = cuts;
        }
        let input = SplitInput {
            file: &file,
            path: Path::new("u_ex.log"),
            format: LogFormat::Iis,
        };
        let sink = InOrder::default();
        let (o, rescans) = scanner
            .scan_parts(input, &plan, &start, &sink, guess)
            .unwrap();
        let seen = lock(&sink.0).clone();
        (seen, o, rescans)
    }

    /// Split scans find what one thread finds, in the same order, and end where it ends.
    fn agree(
        scanner: &LogScanner,
        text: &[u8],
        bom: usize,
        cuts: Option<Vec<u64>>,
        guess: Guess,
    ) -> usize {
        let (want, w) = whole(&scanner_like(scanner), text, bom);
        assert!(want.iter().any(|f| f.contains("SSW-IOC-")), "{want:?}");
        // A part that holds one finding already waits for its turn.
        let (seen, _, _) = split(scanner, text, bom, cuts.clone(), (guess, 1));
        assert_eq!(seen, want, "waiting parts");
        let (seen, o, rescans) = split(scanner, text, bom, cuts, (guess, HOLD_MAX));
        assert_eq!(seen, want);
        assert_eq!(
            (o.records, o.next, o.bytes, o.iis_fields.clone()),
            (w.records, w.next, w.bytes, w.iis_fields.clone())
        );
        assert_eq!(
            (
                o.outside_window,
                o.before_since,
                o.unparsed_lines,
                o.lines_pending
            ),
            (
                w.outside_window,
                w.before_since,
                w.unparsed_lines,
                w.lines_pending
            )
        );
        assert_eq!(o.resume, w.resume);
        rescans
    }

    /// A one-thread scanner with the same options.
    fn scanner_like(s: &LogScanner) -> LogScanner {
        scanner(1, s.options.window)
    }

    /// Every line start after the first.
    fn line_starts(text: &[u8], from: usize) -> Vec<u64> {
        (from + 1..text.len())
            .filter(|&i| text[i - 1] == b'\n')
            .map(|i| i as u64)
            .collect()
    }

    #[test]
    fn parts_are_line_aligned_and_cover_the_text() {
        let text = generated(1000, 300, "\n");
        let f = file_of(&text);
        let end = text.len() as u64;
        let plan = SplitPlan::new(&f, 0, &Start::default(), end, 1, 1).unwrap();
        assert_eq!(plan.parts(), PARTS_PER_THREAD);
        assert_eq!(plan.range(0).0, 0);
        assert_eq!(plan.range(plan.parts() - 1).1, end);
        for k in 1..plan.parts() {
            let (begin, _) = plan.range(k);
            assert_eq!(text[begin as usize - 1], b'\n');
            assert_eq!(begin, plan.range(k - 1).1);
        }
    }

    #[test]
    fn a_cut_exactly_at_a_line_start_stays_there() {
        let text = b"aaa\nbbb\nccc\n";
        let f = file_of(text);
        // The share ends right after a newline: the line starting there is not skipped.
        assert_eq!(cuts(&f, 0, 12, 3).unwrap(), vec![4, 8]);
        assert_eq!(next_line_start(&f, 4, 12).unwrap(), Some(4));
        assert_eq!(next_line_start(&f, 5, 12).unwrap(), Some(8));
        assert_eq!(next_line_start(&f, 9, 12).unwrap(), Some(12));
        // Parts starting exactly where the lines do, every line its own part.
        let text = generated(300, 40, "\n");
        let cuts = line_starts(&text, 0);
        agree(
            &scanner(2, Window::default()),
            &text,
            0,
            Some(cuts),
            Guess::Latest,
        );
    }

    #[test]
    fn findings_do_not_depend_on_where_parts_start() {
        let text = generated(400, 90, "\n");
        let s = scanner(3, Window::default());
        let starts = line_starts(&text, 0);
        for step in [1, 2, 7, 50] {
            let cuts: Vec<u64> = starts.iter().copied().step_by(step).collect();
            agree(&s, &text, 0, Some(cuts.clone()), Guess::Latest);
            agree(&s, &text, 0, Some(cuts), Guess::FirstOnly);
        }
        agree(&s, &text, 0, None, Guess::Latest);
    }

    #[test]
    fn a_layout_changed_in_an_earlier_part_makes_a_later_part_scan_again() {
        // Layout B comes in the second part and rules the parts after it.
        let text = generated(2000, 600, "\n");
        let s = scanner(2, Window::default());
        let rescans = agree(&s, &text, 0, None, Guess::FirstOnly);
        assert!(
            rescans > 0,
            "the parts after the change assumed the first layout"
        );
        // A log whose every directive is the same never scans a part twice.
        let same = String::from_utf8(generated(2000, 2001, "\n"))
            .unwrap()
            .repeat(2)
            .into_bytes();
        assert_eq!(agree(&s, &same, 0, None, Guess::FirstOnly), 0);
    }

    #[test]
    fn crlf_lines_a_bom_and_no_newline_at_the_end() {
        let s = scanner(2, Window::default());
        let crlf = generated(1500, 400, "\r\n");
        agree(&s, &crlf, 0, None, Guess::Latest);
        agree(&s, &crlf, 0, None, Guess::FirstOnly);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(&crlf);
        agree(&s, &bom, 3, None, Guess::Latest);
        let cuts: Vec<u64> = line_starts(&bom, 3).into_iter().step_by(97).collect();
        agree(&s, &bom, 3, Some(cuts), Guess::FirstOnly);
        let mut open = generated(1500, 400, "\n");
        // The last line, a listed client, has no newline.
        open.extend_from_slice(b"2025-07-19 12:00:00 10.0.0.1 GET /x.aspx id=1 200 96.9.125.147");
        agree(&s, &open, 0, None, Guess::Latest);
        let last = line_starts(&open, 0).last().copied().unwrap();
        agree(&s, &open, 0, Some(vec![last]), Guess::FirstOnly);
    }

    #[test]
    fn since_and_until_windows_agree() {
        let at = |s: i64| jiff::Timestamp::from_second(1_752_912_000 + s).ok();
        for window in [
            Window {
                since: at(500),
                until: None,
            },
            Window {
                since: None,
                until: at(1200),
            },
            Window {
                since: at(333),
                until: at(1444),
            },
        ] {
            let s = scanner(2, window);
            let text = generated(1800, 500, "\n");
            agree(&s, &text, 0, None, Guess::Latest);
            agree(&s, &text, 0, None, Guess::FirstOnly);
        }
    }

    #[test]
    fn two_threads_agree_with_one_on_a_generated_log() {
        let text = generated(20_000, 7_000, "\n");
        let s = scanner(2, Window::default());
        let plan = s
            .plan_split(&file_of(&text), 0, &Start::default(), text.len() as u64)
            .unwrap();
        assert_eq!(plan.parts(), 2 * PARTS_PER_THREAD);
        agree(&s, &text, 0, None, Guess::Latest);
    }

    #[test]
    fn several_parts_per_thread_but_none_tiny_or_huge() {
        let min = super::super::SPLIT_MIN;
        let part_min = min / PART_SHARE;
        assert_eq!(part_min, 4 << 20);
        assert_eq!(part_count(1 << 30, 2, part_min), 2 * PARTS_PER_THREAD);
        assert_eq!(part_count(min, 2, part_min), PART_SHARE as usize);
        assert_eq!(part_count(100, 2, part_min), 1);
        // Parts of a 10 GiB log stay within PART_MAX.
        assert_eq!(part_count(10 << 30, 2, part_min), 80);
    }

    #[test]
    fn small_or_single_line_inputs_stay_whole() {
        let f = file_of(&[b'x'; 1000]);
        let plan = SplitPlan::new(&f, 0, &Start::default(), 1000, 4, 1).unwrap();
        assert_eq!(plan.parts(), 1);
        assert_eq!(plan.range(0), (0, 1000));
    }
}
