//! Scanning one log: stream its lines, parse records in its format, match log rules and IOC
//! lists on each record, and turn hits into findings.

mod filter;

pub use filter::LineFilter;

use std::cell::{Cell, RefCell};
use std::io::{self, Read};
use std::net::IpAddr;
use std::path::Path;

use jiff::tz::TimeZone;

use crate::common::net::parse_logged_addr;
use crate::common::severity::Severity;
use crate::engine::{Engine, Scratch};
use crate::finding::{Finding, IndicatorHit, LogSubject, ORIGINAL_MAX, Subject};
use crate::ioc::IocSet;
use crate::logs::{
    DETECT_RUN, Field, IisColumns, LogFormat, Record, Stitcher, UlsRecord, Window, line_format,
    parse_combined,
};
use crate::read::LineReader;
use crate::state::TAIL_LEN;

use filter::{Lookup, Marks, Verdict};

/// How logs are read and matched.
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
    pub ioc_severity: Severity,
    pub min_severity: Severity,
}

/// A line's number and decoded offset.
pub type Position = (u64, u64);

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
    pub fn resume_point(&self) -> ((u64, u64), Option<&[u8]>) {
        match &self.resume {
            Some((at, fields)) => (*at, fields.as_deref()),
            None => (self.next, self.iis_fields.as_deref()),
        }
    }
}

/// Where to start reading a log, for incremental sweeps.
#[derive(Clone, Debug)]
pub struct Start {
    /// Number and decoded offset of the first line `src` delivers.
    pub line: u64,
    pub offset: u64,
    /// The log is still being written: leave an unterminated last line, and ULS records
    /// whose continuation may still come, to a later sweep.
    pub hold_partial: bool,
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
            hold_partial: false,
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

/// Streams `head` (bytes already read from the decoded stream) and the rest of `src`,
/// calling `emit` with each batch of findings.
#[allow(clippy::too_many_arguments)]
pub fn scan_log(
    engine: &Engine,
    filter: &LineFilter,
    iocs: &IocSet,
    opts: &LogOptions,
    scratch: &mut Scratch,
    path: &Path,
    format: LogFormat,
    head: &[u8],
    src: impl Read,
    start: Start,
    emit: &mut dyn FnMut(Vec<Finding>),
) -> io::Result<LogOutcome> {
    let ctx = Ctx {
        engine,
        iocs,
        opts,
        scratch,
        path,
        format,
        outcome: LogOutcome::default(),
        batch: Vec::new(),
        atoms_possible: true,
        long: None,
        read_to: start.read_to,
        reported: start.reported,
        pending: &start.pending,
        after_until: None,
    };
    let mut resume_fields: Option<Option<Vec<u8>>> = None;
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
    let mut reader = LineReader::new(&mut tally, head, opts.max_line)
        .starting_at(start.line, start.offset)
        .holding_partial_line(start.hold_partial);
    let engine_ref = engine;
    let may_match = Cell::new(true);
    // The format can change as lines go (junk before the log, a log of unknown format
    // that turns out to be one): the filter is used only in chunks marked for it.
    let current = Cell::new(format);
    let marked = Cell::new(false);
    let marks = RefCell::new(Marks::default());
    let mut lines = Lines {
        ctx,
        filter,
        marks: &marks,
        marked: &marked,
        current: &current,
        fields_line,
        columns,
        stitcher: Stitcher::new(opts.uls_zone.clone()),
        uls_done: Vec::new(),
        candidate: None,
        held: Vec::new(),
    };
    let result = reader.for_each_in_chunks(
        |chunk, base| {
            let filtered = filter.applies(current.get());
            // The filter's literals include the raw patterns' atoms: lines it passes are
            // searched one by one.
            may_match.set(filtered || engine_ref.record_atoms_may_match(chunk));
            marked.set(filtered);
            if filtered {
                filter.mark_chunk(chunk, base, &mut marks.borrow_mut());
            }
        },
        |line| {
            let ctx = &mut lines.ctx;
            ctx.atoms_possible = may_match.get();
            ctx.outcome.bytes = line.at + line.bytes.len() as u64 - start.offset;
            let bytes = line.bytes;
            if line.continuation {
                // A stretch from inside an over-long line: no parser can make fields of
                // it, but the rules that match the line as logged, and IOC tokens, can.
                ctx.stretch(bytes, line.number, line.offset);
                ctx.flush_if_full(emit);
                return true;
            }
            if line.truncated {
                ctx.outcome.truncated_lines += 1;
                ctx.long = Some(LongLine {
                    number: line.number,
                    outside: false,
                    reported: Vec::new(),
                });
            }
            lines.line(bytes, line.number, line.offset, line.truncated);
            if lines.ctx.after_until.is_some() && resume_fields.is_none() {
                resume_fields = Some(lines.fields_line.clone());
            }
            lines.ctx.flush_if_full(emit);
            true
        },
    );
    lines.finish_held();
    let Lines {
        mut ctx,
        mut stitcher,
        mut uls_done,
        fields_line,
        ..
    } = lines;
    let next = reader.position();
    drop(reader);
    let mut held: Vec<(u64, u64)> = Vec::new();
    if start.hold_partial {
        // Records already held open by the sweep before get no second wait.
        stitcher.finish_where(|r| r.offset < start.read_to, &mut uls_done);
        held = stitcher.pending_starts();
    } else {
        stitcher.finish(&mut uls_done);
    }
    for r in uls_done.drain(..) {
        ctx.record(&r.raw, &r.record, r.line, r.offset);
    }
    ctx.flush(emit);
    let end = start.offset + tally.total;
    ctx.outcome.next = next;
    ctx.outcome.iis_fields = fields_line;
    ctx.outcome.lines_pending = u64::from(end > next.1) + held.len() as u64;
    ctx.outcome.pending = held.iter().map(|&(_, o)| o).collect();
    ctx.outcome.reported_since = start.reported.map(|w| w.since);
    let resume = ctx
        .after_until
        .into_iter()
        .chain(held.iter().copied())
        .filter(|&(_, o)| o < next.1)
        .min_by_key(|&(_, o)| o);
    if let Some(at) = resume {
        // IIS records come in order: the directive in force at the first record after
        // `--until` was the one in force when it was read. (ULS logs have none.)
        ctx.outcome.resume = Some((at, resume_fields.flatten()));
    }
    let at = ctx.outcome.resume_point().0.1;
    let kept_from = end - tally.recent.len() as u64;
    let want = at.saturating_sub(TAIL_LEN as u64);
    if want >= kept_from && at <= end {
        let from = (want - kept_from) as usize;
        let to = (at - kept_from) as usize;
        ctx.outcome.tail = Some(tally.recent[from..to].to_vec());
    }
    result.map(|()| ctx.outcome)
}

/// Hands each line to its format's parser, and tells the format from the lines when the
/// log starts with junk or was not recognised at its head.
struct Lines<'a, 'c> {
    ctx: Ctx<'c>,
    filter: &'a LineFilter,
    marks: &'a RefCell<Marks>,
    /// The filter marked the current chunk (for the format then in force).
    marked: &'a Cell<bool>,
    current: &'a Cell<LogFormat>,
    /// The IIS `#Fields` directive line in force, and its columns.
    fields_line: Option<Vec<u8>>,
    columns: IisColumns,
    stitcher: Stitcher,
    uls_done: Vec<UlsRecord>,
    /// Lines that no parser of the current format took but `candidate`'s does, held until
    /// [`DETECT_RUN`] of them in a row switch the log to it (or a line breaks the run, and
    /// they are matched as unparsed text).
    candidate: Option<LogFormat>,
    held: Vec<(u64, u64, Vec<u8>)>,
}

impl Lines<'_, '_> {
    fn line(&mut self, bytes: &[u8], number: u64, offset: u64, truncated: bool) {
        let format = self.current.get();
        match format {
            LogFormat::Uls => self.uls(bytes, number, offset),
            LogFormat::Iis => {
                self.release_held();
                self.iis(bytes, number, offset, !truncated);
            }
            LogFormat::Combined => {
                if bytes.is_empty() {
                    return;
                }
                if !truncated && self.skip(bytes, offset) {
                    self.release_held();
                    return;
                }
                match parse_combined(bytes) {
                    Some(rec) => {
                        self.release_held();
                        self.ctx.record(bytes, &rec, number, offset);
                    }
                    None => self.not_taken(bytes, number, offset, truncated),
                }
            }
            LogFormat::Raw => {
                if !bytes.is_empty() {
                    self.not_taken(bytes, number, offset, truncated);
                }
            }
        }
    }

    /// A line the current format's parser does not take: the start of another format, or
    /// text matched as it is.
    fn not_taken(&mut self, bytes: &[u8], number: u64, offset: u64, truncated: bool) {
        let format = self.current.get();
        let other = if truncated {
            None
        } else {
            line_format(bytes).filter(|(f, _)| *f != format)
        };
        let Some((other, alone)) = other else {
            self.release_held();
            self.unparsed(bytes, number, offset);
            return;
        };
        if alone {
            self.release_held();
            self.switch(other);
            self.line(bytes, number, offset, false);
            return;
        }
        if self.candidate != Some(other) {
            self.release_held();
            self.candidate = Some(other);
        }
        self.held.push((number, offset, bytes.to_vec()));
        if self.held.len() >= DETECT_RUN {
            self.switch(other);
            self.candidate = None;
            for (number, offset, bytes) in std::mem::take(&mut self.held) {
                self.line(&bytes, number, offset, false);
            }
        }
    }

    /// At the end of the text, a run cut short by the end (not broken by a line of another
    /// kind) is read as its format: a resumed sweep may get only a line or two of a log
    /// whose head is junk, and must not pass them over as text for good.
    fn finish_held(&mut self) {
        if let Some(format) = self.candidate.take() {
            self.switch(format);
            for (number, offset, bytes) in std::mem::take(&mut self.held) {
                self.line(&bytes, number, offset, false);
            }
        }
    }

    /// Lines held for a run that did not come. A combined line says all it is by itself (its
    /// parser took it, time included), so it is still matched by its fields; the others are
    /// lines no parser took.
    fn release_held(&mut self) {
        let candidate = self.candidate.take();
        for (number, offset, bytes) in std::mem::take(&mut self.held) {
            match parse_combined(&bytes).filter(|_| candidate == Some(LogFormat::Combined)) {
                Some(rec) => {
                    let format = std::mem::replace(&mut self.ctx.format, LogFormat::Combined);
                    self.ctx.record(&bytes, &rec, number, offset);
                    self.ctx.format = format;
                }
                None => self.unparsed(&bytes, number, offset),
            }
        }
    }

    fn unparsed(&mut self, bytes: &[u8], number: u64, offset: u64) {
        self.ctx.outcome.unparsed_lines += 1;
        self.ctx.record(bytes, &Record::default(), number, offset);
    }

    fn switch(&mut self, format: LogFormat) {
        self.current.set(format);
        self.ctx.format = format;
        // The chunk was not marked for this format: no filtering until the next one.
        self.marked.set(false);
    }

    fn iis(&mut self, bytes: &[u8], number: u64, offset: u64, filterable: bool) {
        if bytes.starts_with(b"#") {
            if let Some(c) = IisColumns::from_directive(bytes) {
                self.columns = c;
                self.fields_line = Some(bytes.to_vec());
            }
        } else if !(bytes.is_empty() || filterable && self.skip(bytes, offset)) {
            let rec = self.columns.parse(bytes);
            self.ctx.record(bytes, &rec, number, offset);
        }
    }

    fn uls(&mut self, bytes: &[u8], number: u64, offset: u64) {
        self.stitcher
            .push(bytes, number, offset, &mut self.uls_done);
        for r in self.uls_done.drain(..) {
            self.ctx.record(&r.raw, &r.record, r.line, r.offset);
        }
    }

    /// Whether the filter rules the line out (it is counted, never parsed).
    fn skip(&mut self, bytes: &[u8], offset: u64) -> bool {
        let format = self.current.get();
        if !self.marked.get() || !self.filter.applies(format) {
            return false;
        }
        let lookup = Lookup {
            format,
            columns: &self.columns,
            window: &self.ctx.opts.window,
            iocs: self.ctx.iocs,
        };
        let verdict = self
            .filter
            .needs_parse(bytes, offset, lookup, &mut self.marks.borrow_mut());
        if verdict == Verdict::Parse {
            return false;
        }
        if format == LogFormat::Combined && !combined_shaped(bytes) {
            // Junk the filter passes over is still a line no parser would take.
            self.ctx.outcome.unparsed_lines += 1;
        }
        self.ctx.outcome.records += 1;
        if verdict == Verdict::OutsideWindow {
            self.ctx.outcome.outside_window += 1;
        }
        true
    }
}

/// Whether a line has the bracketed time and quoted request every combined line has: cheap
/// enough for the lines the filter passes over, which are never parsed.
fn combined_shaped(line: &[u8]) -> bool {
    memchr::memchr(b'[', line)
        .is_some_and(|i| i > 0 && line[i - 1] == b' ' && memchr::memchr(b'"', &line[i..]).is_some())
}

/// Findings are handed to the writer in batches of this size.
const BATCH: usize = 256;

struct Ctx<'a> {
    engine: &'a Engine,
    iocs: &'a IocSet,
    opts: &'a LogOptions,
    scratch: &'a mut Scratch,
    path: &'a Path,
    format: LogFormat,
    outcome: LogOutcome,
    batch: Vec<Finding>,
    /// False when the current chunk holds no atom of any log rule's patterns.
    atoms_possible: bool,
    /// The last over-long line, whose later stretches are still to come.
    long: Option<LongLine>,
    /// What an earlier sweep reported (see [`Start`]).
    read_to: u64,
    reported: Option<Window>,
    pending: &'a [u64],
    /// The first record after `--until`: line number and offset.
    after_until: Option<(u64, u64)>,
}

/// What was found in an over-long line's stretches so far: a rule or indicator that
/// matches in the overlap of two stretches is reported once.
struct LongLine {
    number: u64,
    /// Its head fell outside `--since`/`--until`: so do its stretches.
    outside: bool,
    /// Rule ids and indicator values reported for it.
    reported: Vec<String>,
}

impl Ctx<'_> {
    fn record(&mut self, raw: &[u8], rec: &Record<'_>, line: u64, offset: u64) {
        if offset < self.read_to
            && self.reported.is_some_and(|w| w.contains(rec.time))
            && !self.pending.contains(&offset)
        {
            // Read again only to get back to a record held for this sweep: reported before.
            return;
        }
        self.outcome.records += 1;
        if !self.opts.window.contains(rec.time) {
            self.outcome.outside_window += 1;
            if let (Some(since), Some(t)) = (self.opts.window.since, rec.time)
                && t < since
            {
                self.outcome.before_since += 1;
            }
            if let (Some(until), Some(t)) = (self.opts.window.until, rec.time)
                && t > until
                && self.after_until.is_none_or(|(_, o)| offset < o)
            {
                self.after_until = Some((line, offset));
            }
            if let Some(long) = self.long.as_mut().filter(|l| l.number == line) {
                long.outside = true;
            }
            return;
        }
        self.matches(raw, rec, line, offset);
    }

    /// Matches a later stretch of the over-long line `line` (not a record of its own).
    fn stretch(&mut self, raw: &[u8], line: u64, offset: u64) {
        if self
            .long
            .as_ref()
            .is_some_and(|l| l.number == line && l.outside)
        {
            return;
        }
        self.matches(raw, &Record::default(), line, offset);
    }

    fn matches(&mut self, raw: &[u8], rec: &Record<'_>, line: u64, offset: u64) {
        let mut hits = self
            .engine
            .scan_record(raw, rec, self.atoms_possible, self.scratch);
        let mut indicators = if self.iocs.is_empty() {
            Vec::new()
        } else {
            indicator_hits(self.iocs, rec, raw, self.format)
        };
        if let Some(long) = self.long.as_mut().filter(|l| l.number == line) {
            let mut fresh = |key: &str| {
                let new = !long.reported.iter().any(|k| k == key);
                if new {
                    long.reported.push(key.to_owned());
                }
                new
            };
            hits.retain(|h| fresh(&h.rule.id));
            indicators.retain(|i| fresh(&format!("ioc:{}", i.indicator.value)));
        }
        if hits.is_empty() && indicators.is_empty() {
            return;
        }
        let subject = LogSubject {
            path: self.path.to_path_buf(),
            format: self.format,
            line,
            offset,
            time: rec.time,
            time_zone: (self.format == LogFormat::Uls).then(|| self.opts.uls_zone_label.clone()),
            time_zone_assumed: self.opts.uls_zone_assumed,
            fields: rec.iter().map(|(f, v)| (f, v.to_vec())).collect(),
            original: raw[..raw.len().min(ORIGINAL_MAX)].to_vec(),
            original_cut: raw.len() > ORIGINAL_MAX,
        };
        for hit in hits {
            if hit.rule.severity < self.opts.min_severity {
                self.outcome.findings_below_min_severity += 1;
                continue;
            }
            self.batch
                .push(Finding::from_record_hit(hit, subject.clone()));
        }
        for ind in indicators {
            if ind.severity(self.opts.ioc_severity) < self.opts.min_severity {
                self.outcome.findings_below_min_severity += 1;
                continue;
            }
            self.batch.push(Finding::from_indicator(
                ind,
                self.opts.ioc_severity,
                Subject::Log(subject.clone()),
            ));
        }
    }

    fn flush_if_full(&mut self, emit: &mut dyn FnMut(Vec<Finding>)) {
        if self.batch.len() >= BATCH {
            self.flush(emit);
        }
    }

    fn flush(&mut self, emit: &mut dyn FnMut(Vec<Finding>)) {
        if !self.batch.is_empty() {
            emit(std::mem::take(&mut self.batch));
        }
    }
}

/// IOC matches on one record. Parsed formats are matched field by field (the server's own
/// address in the line is not a client); unparsed text by whole tokens.
fn indicator_hits(
    iocs: &IocSet,
    rec: &Record<'_>,
    raw: &[u8],
    format: LogFormat,
) -> Vec<IndicatorHit> {
    let mut out: Vec<IndicatorHit> = Vec::new();
    let mut add = |i: usize, field: &str, matched: &[u8]| {
        if !out.iter().any(|h| {
            std::ptr::eq(&h.indicator, &iocs.indicators[i])
                || h.indicator.value == iocs.indicators[i].value
        }) {
            out.push(IndicatorHit {
                indicator: iocs.indicators[i].clone(),
                field: field.to_owned(),
                matched: matched.to_vec(),
            });
        }
    };
    let parsed = matches!(format, LogFormat::Iis | LogFormat::Combined)
        && rec.get(Field::ClientIp).is_some();
    if !parsed {
        for (i, token) in ip_tokens(iocs, raw) {
            add(i, "line", token);
        }
        if let Some((i, range)) = iocs.domains.lookup_in_text(raw) {
            add(i, "line", &raw[range]);
        }
        for url in url_tokens(raw) {
            if let Some(i) = std::str::from_utf8(url)
                .ok()
                .and_then(|u| iocs.lookup_url(u))
            {
                add(i, "line", url);
            }
        }
        return out;
    }
    for (field, name) in [
        (Field::ClientIp, "c-ip"),
        (Field::ForwardedFor, "x-forwarded-for"),
    ] {
        let Some(v) = rec.get(field) else { continue };
        for a in v
            .split(|&b| b == b',' || b == b' ')
            .filter(|a| !a.is_empty())
        {
            if let Some(i) = parse_logged_addr(a).and_then(|ip| iocs.ips.lookup(ip)) {
                add(i, name, a);
            }
        }
    }
    let host = rec.get(Field::Host).map(|h| {
        h.rsplit_once_byte(b':').map_or(h, |(name, port)| {
            if port.iter().all(u8::is_ascii_digit) {
                name
            } else {
                h
            }
        })
    });
    if let Some(h) = host
        && let Some(i) = iocs.domains.lookup_host(h)
    {
        add(i, "cs-host", h);
    }
    for (field, name) in [
        (Field::Referer, "cs-referer"),
        (Field::UriStem, "cs-uri-stem"),
        (Field::UriQuery, "cs-uri-query"),
    ] {
        if let Some(v) = rec.get(field)
            && let Some((i, r)) = iocs.domains.lookup_in_text(v)
        {
            add(i, name, &v[r]);
        }
    }
    if !iocs.urls.is_empty() {
        if let Some(r) = rec
            .get(Field::Referer)
            .and_then(|r| std::str::from_utf8(r).ok())
            && let Some(i) = iocs.lookup_url(r)
        {
            add(i, "cs-referer", r.as_bytes());
        }
        if let (Some(h), Some(stem)) = (host, rec.get(Field::UriStem)) {
            let mut url = format!(
                "{}{}",
                String::from_utf8_lossy(h),
                String::from_utf8_lossy(stem)
            );
            if let Some(q) = rec.get(Field::UriQuery) {
                url.push('?');
                url.push_str(&String::from_utf8_lossy(q));
            }
            for scheme in ["http://", "https://"] {
                let full = format!("{scheme}{url}");
                if let Some(i) = iocs.lookup_url(&full) {
                    add(i, "url", full.as_bytes());
                }
            }
        }
    }
    if !iocs.file_names.is_empty()
        && let Some(stem) = rec.get(Field::UriStem)
    {
        let name = stem
            .rsplit(|&b| b == b'/' || b == b'\\')
            .find(|s| !s.is_empty())
            .unwrap_or(stem);
        if let Some(&i) = iocs
            .file_names
            .get(&String::from_utf8_lossy(name).to_ascii_lowercase())
        {
            add(i, "cs-uri-stem", stem);
        }
    }
    out
}

/// Whole IP-address tokens of free text that are on the list: maximal runs of hex digits,
/// `.` and `:` that parse as an address (`10.1.2.3` never matches inside `110.1.2.34`).
fn ip_tokens<'t>(iocs: &IocSet, text: &'t [u8]) -> Vec<(usize, &'t [u8])> {
    if iocs.ips.is_empty() {
        return Vec::new();
    }
    let is_ip_byte = |b: u8| b.is_ascii_hexdigit() || b == b'.' || b == b':';
    let mut out = Vec::new();
    for r in crate::ioc::runs(text, is_ip_byte) {
        // A token glued to letters or digits beyond the hex range is not an address.
        let glued = r.start > 0 && text[r.start - 1].is_ascii_alphanumeric()
            || r.end < text.len() && text[r.end].is_ascii_alphanumeric();
        // Sentence punctuation after an address (`... from 10.1.2.3.`) is not part of it.
        let mut token = &text[r];
        while let [rest @ .., b'.' | b':'] = token {
            token = rest;
        }
        if glued || token.len() < 2 {
            continue;
        }
        let parsed = std::str::from_utf8(token)
            .ok()
            .and_then(|t| t.parse::<IpAddr>().ok());
        if let Some(i) = parsed.and_then(|ip| iocs.ips.lookup(ip)) {
            out.push((i, token));
        }
    }
    out
}

/// `http://` and `https://` URLs in free text, up to whitespace or a quote.
fn url_tokens(text: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    for start in memchr::memmem::find_iter(text, b"http") {
        let rest = &text[start..];
        if !(rest.starts_with(b"http://") || rest.starts_with(b"https://")) {
            continue;
        }
        let end = rest
            .iter()
            .position(|&b| b.is_ascii_whitespace() || b == b'"' || b == b'\'' || b == b')')
            .unwrap_or(rest.len());
        out.push(&rest[..end]);
    }
    out
}

trait RsplitOnceByte {
    fn rsplit_once_byte(&self, b: u8) -> Option<(&[u8], &[u8])>;
}

impl RsplitOnceByte for [u8] {
    fn rsplit_once_byte(&self, b: u8) -> Option<(&[u8], &[u8])> {
        let i = self.iter().rposition(|&c| c == b)?;
        Some((&self[..i], &self[i + 1..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iocs(text: &str) -> IocSet {
        let mut s = IocSet::default();
        assert!(s.load_text("list.txt", text).problems.is_empty());
        s
    }

    #[test]
    fn raw_ip_tokens_match_whole_addresses_only() {
        let s = iocs("10.1.2.3\n2001:db8::/32\n");
        let hits = |t: &str| ip_tokens(&s, t.as_bytes()).len();
        assert_eq!(hits("client 10.1.2.3 said"), 1);
        assert_eq!(hits("client 10.1.2.34 said"), 0);
        assert_eq!(hits("client 110.1.2.3 said"), 0);
        assert_eq!(hits("x=10.1.2.3."), 1);
        assert_eq!(hits("host10.1.2.3"), 0);
        assert_eq!(hits("from [2001:db8::7]:443"), 1);
    }

    #[test]
    fn parsed_records_match_by_field() {
        let s = iocs(
            "203.0.113.77\nevil.example\nspinstall0.aspx\nhttp://portal.contoso.test/_layouts/15/x.aspx\n",
        );
        let cols = IisColumns::from_directive(b"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query c-ip cs(Referer) cs-host X-Forwarded-For").unwrap();
        let line = b"2025-07-19 08:01:17 203.0.113.77 GET /_layouts/15/spinstall0.aspx - 10.20.0.2 https://a.evil.example/ portal.contoso.test:443 198.51.100.1,203.0.113.77";
        let rec = cols.parse(line);
        let hits = indicator_hits(&s, &rec, line, LogFormat::Iis);
        let got: Vec<(&str, &str)> = hits
            .iter()
            .map(|h| (h.indicator.value.as_str(), h.field.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("203.0.113.77", "x-forwarded-for"),
                ("evil.example", "cs-referer"),
                ("spinstall0.aspx", "cs-uri-stem")
            ],
            "the server address s-ip is not a client"
        );
        let line2 = b"2025-07-19 08:01:17 10.0.0.1 GET /_layouts/15/x.aspx - 10.20.0.2 - portal.contoso.test - ";
        let hits = indicator_hits(&s, &cols.parse(line2), line2, LogFormat::Iis);
        assert_eq!(hits.len(), 1);
        assert_eq!(
            hits[0].indicator.value,
            "http://portal.contoso.test/_layouts/15/x.aspx"
        );
    }
}
