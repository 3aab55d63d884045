//! Lines to records: each line goes to its format's parser (the format may change as lines
//! go: junk before the log, a log of unknown format that turns out to be one), records are
//! kept to the time window and to what an earlier sweep reported, and matched.

use std::path::Path;

use crate::engine::{Engine, Scratch};
use crate::finding::{Finding, LogSubject, ORIGINAL_MAX, Subject};
use crate::ioc::IocSet;
use crate::logs::{
    DETECT_RUN, IisColumns, LogFormat, Record, Stitcher, UlsRecord, Window, line_format,
    parse_combined,
};
use crate::policy::{Policy, indicator_hit};
use crate::read::{Line, LineVisitor};

use super::addresses::{AddressGate, any_in};
use super::filter::{LineFilter, Lookup, Marks, Verdict};
use super::{LogOptions, LogOutcome, LogScanner, Sink, Start};

/// Hands each line to its format's parser, and tells the format from the lines when the
/// log starts with junk or was not recognised at its head.
pub(super) struct Lines<'a, 'c> {
    ctx: Ctx<'c>,
    filter: &'a LineFilter,
    sink: &'a mut dyn Sink,
    /// The gate literals found in the current chunk.
    marks: Marks,
    /// The filter marked the current chunk (for the format then in force).
    marked: bool,
    /// The current chunk may hold an atom of a log rule's patterns.
    may_match: bool,
    /// The format lines are read in now.
    current: LogFormat,
    /// Decoded offset the scan started at.
    start_offset: u64,
    /// The IIS `#Fields` directive line in force, and its columns.
    fields_line: Option<Vec<u8>>,
    columns: IisColumns,
    /// The directive in force at the first record after `--until`, once one was seen.
    resume_fields: Option<Option<Vec<u8>>>,
    stitcher: Stitcher,
    uls_done: Vec<UlsRecord>,
    /// Lines that no parser of the current format took but `candidate`'s does, held until
    /// [`DETECT_RUN`] of them in a row switch the log to it (or a line breaks the run, and
    /// they are matched as unparsed text).
    candidate: Option<LogFormat>,
    held: Vec<(u64, u64, Vec<u8>)>,
    /// The address gate, when the scanner has one (see `addresses`), the decoded range of
    /// the chunk it searched last (an IIS chunk the filter applies to), and where it found
    /// an address there.
    addresses: Option<&'a AddressGate>,
    gated: Option<(u64, u64)>,
    address_hits: Vec<u64>,
}

impl LineVisitor for Lines<'_, '_> {
    fn chunk(&mut self, chunk: &[u8], base: u64) {
        let filtered = self.filter.applies(self.current);
        // The filter's literals include the raw patterns' atoms: lines it passes are
        // searched one by one.
        self.may_match = filtered || self.ctx.engine.record_atoms_may_match(chunk);
        self.gated = None;
        if let Some(gate) = self.addresses.filter(|_| filtered)
            && self.current == LogFormat::Iis
        {
            gate.mark(chunk, base, &mut self.address_hits);
            self.gated = Some((base, base + chunk.len() as u64));
        }
        // A chunk without an address has no line the filter need look at: its lines are
        // passed over by the gate (or, outside it, parsed).
        self.marked = filtered && (self.gated.is_none() || !self.address_hits.is_empty());
        if self.marked {
            self.filter
                .mark_chunk(chunk, base, self.current, &mut self.marks);
        }
    }

    fn line(&mut self, line: Line<'_>) -> bool {
        let ctx = &mut self.ctx;
        ctx.atoms_possible = self.may_match;
        ctx.outcome.bytes = line.at + line.bytes.len() as u64 - self.start_offset;
        let bytes = line.bytes;
        if line.continuation {
            // A stretch from inside an over-long line: no parser can make fields of it,
            // but the rules that match the line as logged, and IOC tokens, can.
            ctx.stretch(bytes, line.number, line.offset);
            ctx.flush_if_full(self.sink);
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
        let cut = if line.truncated {
            Cut::Truncated
        } else {
            Cut::Whole
        };
        self.take(bytes, line.number, line.offset, cut);
        if self.ctx.after_until.is_some() && self.resume_fields.is_none() {
            self.resume_fields = Some(self.fields_line.clone());
        }
        self.ctx.flush_if_full(self.sink);
        true
    }
}

/// Whether a line came whole or was cut at the line limit (then no parser can tell its
/// format, and the filter cannot rule it out).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cut {
    Whole,
    Truncated,
}

/// What is left of a scan at its end.
pub(super) struct Finished<'c> {
    pub(super) ctx: Ctx<'c>,
    /// The `#Fields` directive in force at the first record after `--until`, if one came.
    pub(super) resume_fields: Option<Option<Vec<u8>>>,
    /// Line and offset of the ULS records held open for a later sweep.
    pub(super) held: Vec<(u64, u64)>,
}

impl<'a, 'c> Lines<'a, 'c> {
    pub(super) fn new(
        ctx: Ctx<'c>,
        filter: &'a LineFilter,
        fields_line: Option<Vec<u8>>,
        columns: IisColumns,
        start_offset: u64,
        sink: &'a mut dyn Sink,
    ) -> Lines<'a, 'c> {
        let stitcher = Stitcher::new(ctx.opts.uls_zone.clone());
        Lines {
            current: ctx.format,
            ctx,
            filter,
            sink,
            marks: Marks::default(),
            marked: false,
            may_match: true,
            start_offset,
            fields_line,
            columns,
            resume_fields: None,
            stitcher,
            uls_done: Vec::new(),
            candidate: None,
            held: Vec::new(),
            addresses: None,
            gated: None,
            address_hits: Vec::new(),
        }
    }

    /// Lines go through `gate` first, when given (see `addresses`).
    pub(super) fn with_addresses(mut self, gate: Option<&'a AddressGate>) -> Self {
        self.addresses = gate;
        self
    }

    /// Ends the scan: lines held for a format run, and ULS records still open (held for a
    /// later sweep when `hold`, except those an earlier sweep held already, which start
    /// before `read_to`), are matched and every finding delivered. Returns the state, the
    /// directive in force at the first record after `--until`, and the (line, offset) of
    /// the ULS records held.
    pub(super) fn finish(mut self, hold: bool, read_to: u64) -> Finished<'c> {
        self.finish_held();
        let Lines {
            mut ctx,
            mut stitcher,
            mut uls_done,
            fields_line,
            resume_fields,
            sink,
            ..
        } = self;
        let mut held: Vec<(u64, u64)> = Vec::new();
        if hold {
            // Records already held open by the sweep before get no second wait.
            stitcher.finish_where(|r| r.offset < read_to, &mut uls_done);
            held = stitcher.pending_starts();
        } else {
            stitcher.finish(&mut uls_done);
        }
        for r in uls_done.drain(..) {
            ctx.record(&r.raw, &r.record, r.line, r.offset);
        }
        ctx.flush(sink);
        ctx.outcome.iis_fields = fields_line;
        Finished {
            ctx,
            resume_fields,
            held,
        }
    }
}

impl Lines<'_, '_> {
    fn take(&mut self, bytes: &[u8], number: u64, offset: u64, cut: Cut) {
        let format = self.current;
        match format {
            LogFormat::Uls => self.uls(bytes, number, offset),
            LogFormat::Iis => {
                self.release_held();
                self.iis(bytes, number, offset, cut);
            }
            LogFormat::Combined => {
                if bytes.is_empty() {
                    return;
                }
                if cut == Cut::Whole && self.skip(bytes, offset) {
                    self.release_held();
                    return;
                }
                match parse_combined(bytes) {
                    Some(rec) => {
                        self.release_held();
                        let only = self.filtered(cut).then(|| self.filter.passed(&self.marks));
                        let only = only.flatten();
                        self.ctx.record_only(bytes, &rec, number, offset, only);
                    }
                    None => self.not_taken(bytes, number, offset, cut),
                }
            }
            LogFormat::Raw => {
                if !bytes.is_empty() {
                    self.not_taken(bytes, number, offset, cut);
                }
            }
        }
    }

    /// A line the current format's parser does not take: the start of another format, or
    /// text matched as it is.
    fn not_taken(&mut self, bytes: &[u8], number: u64, offset: u64, cut: Cut) {
        let format = self.current;
        let other = if cut == Cut::Truncated {
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
            self.take(bytes, number, offset, Cut::Whole);
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
                self.take(&bytes, number, offset, Cut::Whole);
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
                self.take(&bytes, number, offset, Cut::Whole);
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
        self.current = format;
        self.ctx.format = format;
        // The chunk was not marked for this format: no filtering until the next one.
        self.marked = false;
    }

    fn iis(&mut self, bytes: &[u8], number: u64, offset: u64, cut: Cut) {
        if bytes.starts_with(b"#") {
            if let Some(c) = IisColumns::from_directive(bytes) {
                self.columns = c;
                self.fields_line = Some(bytes.to_vec());
            }
        } else if !(bytes.is_empty() || cut == Cut::Whole && self.skip(bytes, offset)) {
            let rec = self.columns.parse(bytes);
            let only = self.filtered(cut).then(|| self.filter.passed(&self.marks));
            let only = only.flatten();
            self.ctx.record_only(bytes, &rec, number, offset, only);
        }
    }

    fn uls(&mut self, bytes: &[u8], number: u64, offset: u64) {
        self.stitcher
            .push(bytes, number, offset, &mut self.uls_done);
        for r in self.uls_done.drain(..) {
            self.ctx.record(&r.raw, &r.record, r.line, r.offset);
        }
    }

    /// Whether the filter looked at the line just let through: then it knows which log rules
    /// can match it (see [`LineFilter::passed`]).
    fn filtered(&self, cut: Cut) -> bool {
        cut == Cut::Whole && self.marked && self.filter.applies(self.current)
    }

    /// Whether the filter rules the line out (it is counted, never parsed).
    fn skip(&mut self, bytes: &[u8], offset: u64) -> bool {
        let format = self.current;
        let end = offset + bytes.len() as u64;
        // An IIS line without any of the addresses' text can match nothing (see
        // `addresses`); parsed, it would be counted as a record and no more. A line an
        // earlier sweep read is left to the usual path, which may not count it.
        if format == LogFormat::Iis
            && let Some((from, to)) = self.gated
            && from <= offset
            && end <= to
            && offset >= self.ctx.read_to
            && !any_in(&self.address_hits, offset, end)
        {
            self.ctx.outcome.records += 1;
            return true;
        }
        if !self.marked || !self.filter.applies(format) {
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
            .needs_parse(bytes, offset, lookup, &mut self.marks);
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

/// What one scan of a log keeps between records.
pub(super) struct Ctx<'a> {
    engine: &'a Engine,
    iocs: &'a IocSet,
    opts: &'a LogOptions,
    policy: &'a Policy,
    scratch: &'a mut Scratch,
    path: &'a Path,
    format: LogFormat,
    pub(super) outcome: LogOutcome,
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
    pub(super) after_until: Option<(u64, u64)>,
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

impl<'a> Ctx<'a> {
    pub(super) fn new(
        scanner: &'a LogScanner,
        scratch: &'a mut Scratch,
        path: &'a Path,
        format: LogFormat,
        start: &'a Start,
    ) -> Ctx<'a> {
        Ctx {
            engine: &scanner.engine,
            iocs: &scanner.iocs,
            opts: &scanner.options,
            policy: &scanner.policy,
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
        }
    }

    fn record(&mut self, raw: &[u8], rec: &Record<'_>, line: u64, offset: u64) {
        self.record_only(raw, rec, line, offset, None);
    }

    /// [`Ctx::record`] evaluating only the log rules in `only` (indices among the engine's
    /// log rules) when given.
    fn record_only(
        &mut self,
        raw: &[u8],
        rec: &Record<'_>,
        line: u64,
        offset: u64,
        only: Option<&[u32]>,
    ) {
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
        self.matches(raw, rec, line, offset, only);
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
        self.matches(raw, &Record::default(), line, offset, None);
    }

    fn matches(
        &mut self,
        raw: &[u8],
        rec: &Record<'_>,
        line: u64,
        offset: u64,
        only: Option<&[u32]>,
    ) {
        let mut hits =
            self.engine
                .scan_record_only(raw, rec, self.atoms_possible, only, self.scratch);
        let mut indicators = if self.iocs.is_empty() {
            Vec::new()
        } else {
            self.iocs.record_matches(rec, raw, self.format)
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
            let iocs = self.iocs;
            indicators.retain(|m| fresh(&format!("ioc:{}", iocs.value(m.indicator))));
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
            if !self.policy.reports(hit.rule.severity) {
                self.outcome.findings_below_min_severity += 1;
                continue;
            }
            self.batch
                .push(Finding::from_record_hit(hit, subject.clone()));
        }
        for m in indicators {
            let hit = indicator_hit(self.iocs, m);
            match self
                .policy
                .indicator_finding(hit, || Subject::Log(subject.clone()))
            {
                Some(f) => self.batch.push(f),
                None => self.outcome.findings_below_min_severity += 1,
            }
        }
    }

    fn flush_if_full(&mut self, sink: &mut dyn Sink) {
        if self.batch.len() >= BATCH {
            self.flush(sink);
        }
    }

    fn flush(&mut self, sink: &mut dyn Sink) {
        if !self.batch.is_empty() {
            sink.findings(std::mem::take(&mut self.batch));
        }
    }
}
