//! Scanning one log: stream its lines, parse records in its format, match log rules and IOC
//! lists on each record, and turn hits into findings.
//!
//! A [`LogScanner`] is built once per run with a [`LogScannerBuilder`] (the options, the
//! reporting policy, whether lines go through the prefilter, when a log is split across
//! threads) and shared by every thread. Findings go to a [`Sink`] in batches; what the scan
//! did comes back as a [`LogOutcome`].

mod addresses;
mod filter;
mod lines;
mod split;
#[cfg(test)]
mod tester;

use addresses::AddressGate;
use filter::LineFilter;
pub use split::SplitInput;

use std::io::{self, Read};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use jiff::tz::TimeZone;

use crate::engine::{Engine, Scratch};
use crate::finding::Finding;
use crate::ioc::IocSet;
use crate::logs::{IisColumns, LogFormat, Window};
use crate::policy::Policy;
use crate::read::LineReader;
use crate::state::TAIL_LEN;

use lines::{Ctx, Lines};

/// How logs are read.
#[derive(Clone, Debug)]
pub struct LogOptions {
    pub window: Window,
    /// The zone ULS local times are read in, and its name for findings (`event.timezone`:
    /// an IANA name or an offset such as `+02:00`).
    pub uls_zone: TimeZone,
    pub uls_zone_label: String,
    /// The zone is the scanning host's, not one given with `--uls-utc-offset`.
    pub uls_zone_assumed: bool,
    /// Longer lines are cut here (and counted).
    pub max_line: usize,
}

impl Default for LogOptions {
    fn default() -> LogOptions {
        LogOptions {
            window: Window::default(),
            uls_zone: TimeZone::UTC,
            uls_zone_label: "UTC".into(),
            uls_zone_assumed: false,
            max_line: 1 << 20,
        }
    }
}

/// A line's number and decoded offset.
pub type Position = (u64, u64);

/// Where findings go, in batches, as the scan makes them (ripgrep's `Sink` plays this part
/// for matches).
pub trait Sink {
    fn findings(&mut self, batch: Vec<Finding>);
}

impl<F: FnMut(Vec<Finding>)> Sink for F {
    fn findings(&mut self, batch: Vec<Finding>) {
        self(batch);
    }
}

/// Why a log was not read to its end.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The text broke off (a damaged archive, a failing disk): the findings before were
    /// delivered.
    #[error("{0} (findings up to this point were reported)")]
    Broken(#[source] io::Error),
    /// Getting to where the scan starts failed.
    #[error("{0}")]
    Start(#[source] io::Error),
    /// A transcoded log could not be opened again to resume inside it.
    #[error("cannot read it again")]
    Reopen,
    #[error("a log-scanning thread panicked")]
    ThreadPanicked,
}

/// Whether log lines go through the [`LineFilter`] before they are parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prefilter {
    /// Lines no rule or indicator can match are counted, not parsed.
    Lines,
    /// Every line is parsed: what scanning was before the filter, and the reference it is
    /// tested against.
    Off,
}

/// Logs smaller than this are read by one thread: splitting would not pay for the pass.
pub const SPLIT_MIN: u64 = 32 << 20;

/// Builds a [`LogScanner`] (ripgrep's `SearcherBuilder` is the model).
#[derive(Clone, Debug)]
pub struct LogScannerBuilder {
    options: LogOptions,
    policy: Policy,
    prefilter: Prefilter,
    threads: usize,
    split_min: u64,
}

impl Default for LogScannerBuilder {
    fn default() -> LogScannerBuilder {
        LogScannerBuilder {
            options: LogOptions::default(),
            policy: Policy::default(),
            prefilter: Prefilter::Lines,
            threads: 1,
            split_min: SPLIT_MIN,
        }
    }
}

impl LogScannerBuilder {
    #[must_use]
    pub fn new() -> LogScannerBuilder {
        LogScannerBuilder::default()
    }

    #[must_use]
    pub fn options(mut self, options: LogOptions) -> LogScannerBuilder {
        self.options = options;
        self
    }

    #[must_use]
    pub fn policy(mut self, policy: Policy) -> LogScannerBuilder {
        self.policy = policy;
        self
    }

    #[must_use]
    pub fn prefilter(mut self, prefilter: Prefilter) -> LogScannerBuilder {
        self.prefilter = prefilter;
        self
    }

    /// Threads a large plain log is split across (1: never split).
    #[must_use]
    pub fn threads(mut self, threads: usize) -> LogScannerBuilder {
        self.threads = threads.max(1);
        self
    }

    /// Plain logs with at least this much text left to read are split (when there is more
    /// than one thread); [`SPLIT_MIN`] unless set.
    #[must_use]
    pub fn split_min(mut self, bytes: u64) -> LogScannerBuilder {
        self.split_min = bytes;
        self
    }

    /// The scanner for these rules and lists. Its line filter is built once, when the
    /// first log is met: a sweep of a web root without logs never pays for it.
    #[must_use]
    pub fn build(self, engine: Arc<Engine>, iocs: Arc<IocSet>) -> LogScanner {
        LogScanner {
            engine,
            iocs,
            prefilter: self.prefilter,
            filter: OnceLock::new(),
            addresses: OnceLock::new(),
            options: self.options,
            policy: self.policy,
            threads: self.threads,
            split_min: self.split_min,
        }
    }
}

/// Scans logs; built once per run and shared by its threads.
pub struct LogScanner {
    engine: Arc<Engine>,
    iocs: Arc<IocSet>,
    prefilter: Prefilter,
    filter: OnceLock<LineFilter>,
    /// Built with the filter, when it applies (see `addresses`).
    addresses: OnceLock<Option<AddressGate>>,
    options: LogOptions,
    policy: Policy,
    threads: usize,
    split_min: u64,
}

/// One log's text to scan.
pub struct LogInput<'a, R> {
    /// How findings name the log.
    pub path: &'a Path,
    pub format: LogFormat,
    /// Text already read from the decoded stream, before `src`.
    pub head: &'a [u8],
    pub src: R,
}

/// What scanning one log did.
#[derive(Clone, Debug, Default)]
pub struct LogOutcome {
    pub records: u64,
    pub outside_window: u64,
    pub truncated_lines: u64,
    /// Lines no parser took: junk in a log, or every line of a log of no known format.
    pub unparsed_lines: u64,
    pub bytes: u64,
    pub findings_below_min_severity: u64,
    /// Where a later sweep resumes: the next line's number and decoded offset.
    pub next: (u64, u64),
    /// The IIS `#Fields` directive line in force at the end, for a later sweep.
    pub iis_fields: Option<Vec<u8>>,
    /// Where a later sweep must resume when that is before `next`: the first record after
    /// `--until` (it may be inside a later sweep's window) or a ULS record still waiting for
    /// its continuation. With the `#Fields` directive in force there.
    pub resume: Option<(Position, Option<Vec<u8>>)>,
    /// Start offsets of the ULS records held open for a later sweep.
    pub pending: Vec<u64>,
    /// Lines left to a later sweep: an unterminated last line, ULS records held open.
    pub lines_pending: u64,
    /// Records left out for being before `--since`...
    pub before_since: u64,
    /// ...and the `--since` of the sweeps before, if resumed (see [`LogOutcome::since`]).
    pub reported_since: Option<Option<jiff::Timestamp>>,
    /// The decoded text before the resume point (up to [`TAIL_LEN`] bytes), when this run
    /// still had it at hand.
    pub tail: Option<Vec<u8>>,
}

impl LogOutcome {
    /// The `--since` a later sweep may take as what was reported of the text before the
    /// resume point: the earlier sweeps' when this one left out nothing for being before
    /// its own (and that was earlier), else this one's.
    #[must_use]
    pub fn since(&self, now: Option<jiff::Timestamp>) -> Option<jiff::Timestamp> {
        match self.reported_since {
            Some(before) if self.before_since == 0 => match (before, now) {
                (Some(b), Some(n)) => Some(b.min(n)),
                _ => None,
            },
            _ => now,
        }
    }

    /// Where a later sweep resumes: line number, offset and `#Fields` directive.
    #[must_use]
    pub fn resume_point(&self) -> ((u64, u64), Option<&[u8]>) {
        match &self.resume {
            Some((at, fields)) => (*at, fields.as_deref()),
            None => (self.next, self.iis_fields.as_deref()),
        }
    }
}

/// Whether the reading holds back what a writer may still change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Partial {
    /// The log is complete as it is: its last line and open ULS records are matched.
    #[default]
    Read,
    /// The log is still being written: leave an unterminated last line, and ULS records
    /// whose continuation may still come, to a later sweep.
    Hold,
}

/// Where to start reading a log, for incremental sweeps.
#[derive(Clone, Debug)]
pub struct Start {
    /// Number and decoded offset of the first line `src` delivers.
    pub line: u64,
    pub offset: u64,
    pub partial: Partial,
    /// For IIS logs read from the middle: the `#Fields` directive line in force there.
    pub iis_fields: Option<Vec<u8>>,
    /// Records starting before this offset were looked at by an earlier sweep, and those
    /// inside `reported` were reported then (not again), except ULS records that were held
    /// open (starting at an offset in `pending`).
    pub read_to: u64,
    pub reported: Option<Window>,
    pub pending: Vec<u64>,
}

impl Default for Start {
    fn default() -> Start {
        Start {
            line: 1,
            offset: 0,
            partial: Partial::Read,
            iis_fields: None,
            read_to: 0,
            reported: None,
            pending: Vec::new(),
        }
    }
}

/// How much of the text last read is kept at hand, for the fingerprint before the resume
/// point (which may lie behind a held line or record).
const RECENT: usize = 64 * 1024;

/// Counts what passes through and keeps the last [`RECENT`] bytes of it.
struct Tally<R> {
    inner: R,
    total: u64,
    recent: Vec<u8>,
}

impl<R> Tally<R> {
    fn keep(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        if bytes.len() >= RECENT {
            self.recent.clear();
            self.recent
                .extend_from_slice(&bytes[bytes.len() - RECENT..]);
            return;
        }
        self.recent.extend_from_slice(bytes);
        if self.recent.len() > 2 * RECENT {
            self.recent.drain(..self.recent.len() - RECENT);
        }
    }
}

impl<R: Read> Read for Tally<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.keep(&buf[..n]);
        Ok(n)
    }
}

impl LogScanner {
    #[must_use]
    pub fn builder() -> LogScannerBuilder {
        LogScannerBuilder::new()
    }

    /// The line filter, built the first time a log is read.
    fn filter(&self) -> &LineFilter {
        self.filter.get_or_init(|| match self.prefilter {
            Prefilter::Lines => LineFilter::new(&self.engine, &self.iocs),
            Prefilter::Off => LineFilter::every_line(),
        })
    }

    /// The address gate, when the scanner looks for nothing but a few IPv4 addresses and
    /// lines go through the filter.
    fn addresses(&self) -> Option<&AddressGate> {
        self.addresses
            .get_or_init(|| match self.prefilter {
                Prefilter::Lines => {
                    AddressGate::new(&self.engine, &self.iocs, &self.options.window)
                }
                Prefilter::Off => None,
            })
            .as_ref()
    }

    /// Whether a plain log of `format` with `remaining` bytes to read is split across
    /// threads (ULS records span lines, so ULS logs never are).
    #[must_use]
    pub fn splits(&self, format: LogFormat, remaining: u64) -> bool {
        format != LogFormat::Uls && self.threads > 1 && remaining >= self.split_min
    }

    /// Streams `input.head` and the rest of `input.src` from `start`, handing findings to
    /// `sink` in batches.
    ///
    /// # Errors
    ///
    /// When the text breaks off ([`LogError::Broken`]); the findings made until then have
    /// been delivered.
    pub fn scan(
        &self,
        scratch: &mut Scratch,
        input: LogInput<'_, impl Read>,
        start: &Start,
        sink: &mut dyn Sink,
    ) -> Result<LogOutcome, LogError> {
        let LogInput {
            path,
            format,
            head,
            src,
        } = input;
        let hold = start.partial == Partial::Hold;
        let ctx = Ctx::new(self, scratch, path, format, start);
        let mut tally = Tally {
            inner: src,
            total: 0,
            recent: Vec::new(),
        };
        tally.keep(head);
        let fields_line = start.iis_fields.clone();
        let columns = fields_line
            .as_deref()
            .and_then(IisColumns::from_directive)
            .unwrap_or_default();
        let mut reader = LineReader::new(&mut tally, head, self.options.max_line)
            .starting_at(start.line, start.offset)
            .holding_partial_line(hold);
        let mut lines = Lines::new(ctx, self.filter(), fields_line, columns, start.offset, sink)
            .with_addresses(self.addresses());
        let result = reader.visit(&mut lines);
        let next = reader.position();
        drop(reader);
        let lines::Finished {
            ctx,
            resume_fields,
            held,
        } = lines.finish(hold, start.read_to);
        let end = start.offset + tally.total;
        let mut outcome = ctx.outcome;
        outcome.next = next;
        outcome.lines_pending = u64::from(end > next.1) + held.len() as u64;
        outcome.pending = held.iter().map(|&(_, o)| o).collect();
        outcome.reported_since = start.reported.map(|w| w.since);
        let resume = ctx
            .after_until
            .into_iter()
            .chain(held.iter().copied())
            .filter(|&(_, o)| o < next.1)
            .min_by_key(|&(_, o)| o);
        if let Some(at) = resume {
            // IIS records come in order: the directive in force at the first record after
            // `--until` was the one in force when it was read. (ULS logs have none.)
            outcome.resume = Some((at, resume_fields.flatten()));
        }
        let at = outcome.resume_point().0.1;
        let kept_from = end - tally.recent.len() as u64;
        let want = at.saturating_sub(TAIL_LEN as u64);
        if want >= kept_from && at <= end {
            let from = (want - kept_from) as usize;
            let to = (at - kept_from) as usize;
            outcome.tail = Some(tally.recent[from..to].to_vec());
        }
        result.map(|()| outcome).map_err(LogError::Broken)
    }
}
