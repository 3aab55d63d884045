//! Routing a file to the log scanner: its head (decoded as `read` decides) says whether it
//! is a log; an incremental sweep resumes where the last one stopped; a large plain log is
//! split across threads. What the scan did goes to the counters and the sweep's state.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use crate::logs::{LogFormat, sniff};
use crate::logscan::{LogError, LogInput, LogOutcome, Partial, SplitInput, Start};
use crate::output::Message;
use crate::read::{Encoding, FileMeta, TextBefore, decode_head, decoded_from_start};
use crate::state::{LogProgress, TAIL_LEN};

use super::{HEAD, RouteError, Worker};

/// A log to scan from its start (or resume point): the file, how it is named, its format,
/// and the decoded text of its head (what the state fingerprints).
struct LogFile<'a> {
    path: &'a Path,
    meta: &'a FileMeta,
    format: LogFormat,
    text_head: &'a [u8],
}

impl Worker {
    /// Routes the file to the log scanner when its decoded head says it is a log. Returns
    /// whether it was (and so is done).
    pub(super) fn try_log(
        &mut self,
        path: &Path,
        file: &mut File,
        meta: &FileMeta,
    ) -> Result<bool, RouteError> {
        let cfg = Arc::clone(&self.config);
        let encoding = Encoding::of(&self.buf);
        let partial = if cfg.state.is_some() && encoding.may_grow() {
            Partial::Hold
        } else {
            Partial::Read
        };
        if let Encoding::Plain { bom } = encoding {
            let Some(format) = sniff(&self.buf, path) else {
                return Ok(false);
            };
            let head = std::mem::take(&mut self.buf);
            let log = LogFile {
                path,
                meta,
                format,
                // A UTF-8 BOM (IIS writes one) is not part of the first line.
                text_head: &head[usize::from(bom)..],
            };
            let result = self.plain_log(&log, file, u64::from(bom), partial);
            self.buf = head;
            return result.map(|()| true);
        }
        let rest = file.try_clone()?;
        let decoded = decode_head(encoding, self.buf.clone(), rest, cfg.max_decompressed, HEAD);
        let mut stream = decoded.stream;
        let head = decoded.head;
        let sniffed = sniff(&head, path);
        if let Some(e) = decoded.error
            && sniffed.is_none()
        {
            // The limit or damage cut the head short of telling: this is a gap, not a file
            // to pass on to the file engine as raw compressed bytes.
            return Err(RouteError::Compressed(e));
        }
        // A head that is a log despite a read error goes on to the log scanner, which meets
        // the error again (the decoded stream repeats it) and reports it with the findings
        // made until then.
        let Some(format) = sniffed else {
            // Not a log after all: back to the start, for the file engine.
            file.seek(SeekFrom::Start(0))?;
            self.buf.clear();
            return Ok(false);
        };
        // The decoded text before an offset: decoded again from the start (the stream is
        // made anew below, as this moves the file's position).
        let max = cfg.max_decompressed;
        let before = TextBefore::Decoded {
            file,
            encoding,
            max,
        };
        let log = LogFile {
            path,
            meta,
            format,
            text_head: &head,
        };
        let start = self.resume_point(&log, u64::MAX, partial, &before);
        let prefix = if cfg.state.is_some() {
            // The tail checks move the file's position: the stream is made anew, and read
            // up to where this sweep starts.
            stream = decoded_from_start(file, encoding, max).ok_or(LogError::Reopen)?;
            io::copy(&mut (&mut stream).take(start.offset), &mut io::sink())
                .map_err(LogError::Start)?;
            Vec::new()
        } else {
            head.clone()
        };
        self.log(&log, &prefix, stream, &start, &before)?;
        Ok(true)
    }

    /// A plain log (its text after a BOM of `bom` bytes): read in place, from where an
    /// earlier sweep stopped, split across threads when large.
    fn plain_log(
        &mut self,
        log: &LogFile<'_>,
        mut file: &File,
        bom: u64,
        partial: Partial,
    ) -> Result<(), RouteError> {
        let text = log.text_head;
        let size = log.meta.stamp.size;
        let before = TextBefore::Plain { file, text, bom };
        let start = self.resume_point(log, size.saturating_sub(bom), partial, &before);
        let offset = start.offset;
        let remaining = size.saturating_sub(bom + offset);
        if self.logs.splits(log.format, remaining) {
            return self.log_split(log, file, bom, &start, &before);
        }
        let prefix = match usize::try_from(offset).ok().and_then(|o| text.get(o..)) {
            Some(rest) => rest,
            None => {
                file.seek(SeekFrom::Start(bom + offset))?;
                &[][..]
            }
        };
        // Read what the log held when it was opened: lines written meanwhile belong to
        // the next sweep, and a writer faster than the reader cannot keep it busy forever.
        let position = file.stream_position()?;
        let rest = file.take(size.saturating_sub(position));
        self.log(log, prefix, rest, &start, &before)
    }

    /// Where an incremental sweep resumes a log whose decoded text holds `available` bytes:
    /// after what an earlier sweep read of this text, found by the log's inode or, for a
    /// copy, by its first KiB, and only when the text before that point (`before`) is still
    /// what was read; otherwise at the start. A log still being written holds back what may
    /// still change (`partial`), unless the sweep before saw it at this size or under
    /// another name (rotated): then what was held is matched as it is.
    fn resume_point(
        &self,
        log: &LogFile<'_>,
        available: u64,
        partial: Partial,
        before: &TextBefore<'_>,
    ) -> Start {
        let fresh = Start {
            partial,
            ..Start::default()
        };
        let Some(state) = &self.config.state else {
            return fresh;
        };
        let (path, stamp) = (log.path, &log.meta.stamp);
        let found = state
            .previous
            .log_candidates(stamp, path, log.text_head)
            .into_iter()
            .find(|&(e, own)| {
                e.offset <= available
                    && ((own && (e.tail.is_none() || e.stamp == *stamp))
                        || before
                            .get(e.offset, e.tail_len)
                            .is_some_and(|t| e.tail_matches(&t)))
            });
        let Some((e, own)) = found else {
            return fresh;
        };
        self.stats.logs_resumed.fetch_add(1, Relaxed);
        let still_written = own && e.is_at(path) && e.stamp.size != stamp.size;
        let window = &self.config.logs.window;
        let reported = e.window();
        let start = Start {
            line: e.next_line,
            offset: e.offset,
            partial: if still_written {
                partial
            } else {
                Partial::Read
            },
            iis_fields: e.iis_fields.as_ref().map(|f| f.as_bytes().to_vec()),
            read_to: e.read_to(),
            reported: Some(reported),
            pending: e.pending.clone(),
        };
        // A window reaching further back than the one of the sweeps before: records before
        // their `--since` were never reported, so the log is read again from its start
        // (what they did report is not reported twice).
        if window
            .since
            .is_some_and(|s| reported.since.is_some_and(|r| s < r))
            || (window.since.is_none() && reported.since.is_some())
        {
            return Start {
                line: 1,
                offset: 0,
                iis_fields: None,
                ..start
            };
        }
        start
    }

    /// Scans a log on this thread, from `start`: `prefix` is text already read, `src` the
    /// rest.
    fn log(
        &mut self,
        log: &LogFile<'_>,
        prefix: &[u8],
        src: impl Read,
        start: &Start,
        before: &TextBefore<'_>,
    ) -> Result<(), RouteError> {
        let mut sink = self.findings_sink();
        self.stats.logs_scanned.fetch_add(1, Relaxed);
        let input = LogInput {
            path: log.path,
            format: log.format,
            head: prefix,
            src,
        };
        let outcome = self.logs.scan(&mut self.scratch, input, start, &mut sink)?;
        self.account(log, outcome, before);
        Ok(())
    }

    /// Scans a large plain log in line-aligned parts, side by side (see `logscan::split`).
    fn log_split(
        &mut self,
        log: &LogFile<'_>,
        file: &File,
        bom: u64,
        start: &Start,
        before: &TextBefore<'_>,
    ) -> Result<(), RouteError> {
        let plan = self
            .logs
            .plan_split(file, bom, start, log.meta.stamp.size)?;
        self.stats.logs_scanned.fetch_add(1, Relaxed);
        let input = SplitInput {
            file,
            path: log.path,
            format: log.format,
        };
        let total = self
            .logs
            .scan_split(input, &plan, start, &self.findings_sink())?;
        self.account(log, total, before);
        Ok(())
    }

    /// Adds what scanning a log did to the counters, and to the state of a sweep.
    fn account(&self, log: &LogFile<'_>, outcome: LogOutcome, before: &TextBefore<'_>) {
        self.count_log(log.path, &outcome);
        if let Some(state) = &self.config.state {
            let (next, fields) = outcome.resume_point();
            let tail = match &outcome.tail {
                // A part that started past the resume point saw too little of the text.
                Some(t) if t.len() >= TAIL_LEN.min(next.1 as usize) => Some(t.clone()),
                _ => before.get(next.1, TAIL_LEN),
            };
            let window = &self.config.logs.window;
            state.collector.log(
                log.path,
                log.meta.stamp,
                log.text_head,
                LogProgress {
                    next,
                    read_to: outcome.next.1,
                    iis_fields: fields.map(<[u8]>::to_vec),
                    pending: outcome.pending.clone(),
                    tail,
                    since: outcome.since(window.since),
                    until: window.until,
                },
            );
        }
    }

    pub(super) fn count_log(&self, path: &Path, outcome: &LogOutcome) {
        if outcome.truncated_lines > 0 {
            // The run is incomplete for it: say which log.
            self.send(Message::Notice(
                Some(path.to_path_buf()),
                format!(
                    "{} line(s) over the line limit ({} bytes): fields parsed from the head only",
                    outcome.truncated_lines, self.config.logs.max_line
                ),
            ));
        }
        self.stats.log_bytes.fetch_add(outcome.bytes, Relaxed);
        self.stats.log_records.fetch_add(outcome.records, Relaxed);
        self.stats
            .log_records_outside_window
            .fetch_add(outcome.outside_window, Relaxed);
        self.stats
            .log_lines_truncated
            .fetch_add(outcome.truncated_lines, Relaxed);
        self.stats
            .log_lines_pending
            .fetch_add(outcome.lines_pending, Relaxed);
        self.stats
            .log_lines_unparsed
            .fetch_add(outcome.unparsed_lines, Relaxed);
        self.stats
            .findings_below_min_severity
            .fetch_add(outcome.findings_below_min_severity, Relaxed);
    }
}
