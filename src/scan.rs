//! One scan: walk the paths, read each file once, route it to the file engine or the log
//! scanner, match IOC lists, and hand findings to the writer.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::mpsc::SyncSender;

use crate::allow::Allowlist;
use crate::common::bytes::{hex, sha256_hex};
use crate::common::severity::Severity;
use crate::engine::{Engine, Scratch};
use crate::finding::{FileSubject, Finding, IndicatorHit, Subject, score_combined};
use crate::ioc::{IocSet, Kind};
use crate::logs::{LogFormat, looks_like_log_path, sniff};
use crate::logscan::{LineFilter, LogOptions, LogOutcome, Start, scan_log};
use crate::output::Message;
use crate::read::{
    Bounded, FileMeta, NotRead, ReadPolicy, decoded_as, is_bare_utf16le, is_gzip, open_file,
    read_head, read_rest,
};
use crate::split::{self, SPLIT_MIN};
use crate::state::{Carried, Collector, LogProgress, Previous, TAIL_LEN, to_carry};
use crate::summary::{ScanEvent, Skip, Stats};
use crate::walk::{self, Entry, Flow, SkipReason, WalkConfig};

/// Everything a scan needs besides the engine and the writer.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    pub roots: Vec<PathBuf>,
    pub walk: WalkConfig,
    pub read: ReadPolicy,
    /// Findings below this are counted but not reported.
    pub min_severity: Severity,
    pub iocs: Arc<IocSet>,
    pub logs: LogOptions,
    /// Decoded bytes of one compressed or transcoded log beyond which reading stops.
    pub max_decompressed: u64,
    pub allow: Arc<Allowlist>,
    /// `--hash`: MD5 and SHA-1 on every file finding, beside the SHA-256.
    pub hash_all: bool,
    /// For incremental sweeps (`--state`).
    pub state: Option<Arc<Sweep>>,
    /// `--skip-missing`: a root that does not exist is a skip, not an error.
    pub skip_missing: bool,
    /// `--stdin-name`: the name standard input (a `-` root) goes by, for the rules and in
    /// findings. Without it, every file rule sees it and findings name it [`STDIN`].
    pub stdin_name: Option<PathBuf>,
    /// `--file-timeout`: how long the rules may take on one file.
    pub file_timeout: Option<std::time::Duration>,
}

/// How findings name standard input read without `--stdin-name`.
pub const STDIN: &str = "<stdin>";

/// A root of `-` is standard input, as for clamscan, grep and rg (`./-` names a file `-`).
pub fn is_stdin(root: &Path) -> bool {
    root.as_os_str() == "-"
}

/// The previous sweep's state and what this one learns.
#[derive(Debug, Default)]
pub struct Sweep {
    pub previous: Previous,
    pub collector: Collector,
}

/// `len` bytes of `file` at `at`, leaving its position as it was.
fn read_at(mut file: &File, at: u64, len: usize) -> Option<Vec<u8>> {
    let was = file.stream_position().ok()?;
    let got = (|| {
        file.seek(SeekFrom::Start(at)).ok()?;
        let mut v = Vec::with_capacity(len);
        file.take(len as u64).read_to_end(&mut v).ok()?;
        (v.len() == len).then_some(v)
    })();
    file.seek(SeekFrom::Start(was)).ok()?;
    got
}

/// A compressed or transcoded file's decoded text from its start (moves its position).
fn decoded_from_start(
    file: &File,
    gzip: bool,
    bare_utf16: bool,
    max: u64,
) -> Option<Bounded<Box<dyn Read + Send>>> {
    let mut f = file.try_clone().ok()?;
    f.seek(SeekFrom::Start(0)).ok()?;
    Some(Bounded::new(decoded_as(f, gzip, bare_utf16), max))
}

/// How much of a file is read first, to tell logs from other files.
const HEAD: usize = 64 * 1024;

/// Scans `config.roots`, sending findings and per-file problems to `sink`. Returns when the
/// walk is done or `stop` was raised.
pub fn run(
    engine: &Arc<Engine>,
    config: &Arc<ScanConfig>,
    sink: &SyncSender<Message>,
    stats: &Arc<Stats>,
    stop: &Arc<AtomicBool>,
) {
    let filter = Arc::new(LineFilter::new(engine, &config.iocs));
    let (stdin, roots): (Vec<&PathBuf>, Vec<&PathBuf>) =
        config.roots.iter().partition(|r| is_stdin(r));
    let roots = present_roots(&roots, config, sink, stats);
    let worker = || Worker {
        engine: Arc::clone(engine),
        filter: Arc::clone(&filter),
        config: Arc::clone(config),
        stats: Arc::clone(stats),
        sink: sink.clone(),
        scratch: engine.scratch(),
        buf: Vec::new(),
    };
    walk::walk(&roots, &config.walk, || {
        let mut worker = worker();
        let stop = Arc::clone(stop);
        move |entry: Entry<'_>| {
            if stop.load(Relaxed) {
                return Flow::Quit;
            }
            worker.entry(entry);
            Flow::Continue
        }
    });
    // Read once, however often `-` was named: a second read would find it empty.
    if !stdin.is_empty() && !stop.load(Relaxed) {
        worker().stdin();
    }
}

/// The roots to walk. With `--skip-missing`, a root that does not exist is left out with a
/// notice and a skip event (a schedule can list the log folders of both nginx and Apache and
/// run on a host that has one); when none exists at all, that is an error, so a sweep that
/// can look at nothing never passes as clean.
fn present_roots(
    roots: &[&PathBuf],
    config: &ScanConfig,
    sink: &SyncSender<Message>,
    stats: &Stats,
) -> Vec<PathBuf> {
    let roots: Vec<PathBuf> = roots.iter().map(|r| (*r).clone()).collect();
    if !config.skip_missing {
        return roots;
    }
    // Standard input (`-`) is split off before this.
    let missing = |r: &PathBuf| {
        std::fs::symlink_metadata(r).is_err_and(|e| e.kind() == io::ErrorKind::NotFound)
    };
    let (gone, present): (Vec<PathBuf>, Vec<PathBuf>) = roots.into_iter().partition(missing);
    for path in &gone {
        stats.skip(Skip::Missing);
        send_event(
            stats,
            sink,
            ScanEvent::skipped(
                path.clone(),
                Skip::Missing,
                "does not exist (--skip-missing)",
            ),
        );
        let _ = sink.send(Message::Notice(
            Some(path.clone()),
            "skipped: does not exist (--skip-missing)".into(),
        ));
    }
    if present.is_empty() && !gone.is_empty() {
        let message = "none of the paths to scan exist";
        stats.errors.fetch_add(1, Relaxed);
        send_event(stats, sink, ScanEvent::error(None, message));
        let _ = sink.send(Message::FileError(None, message.into()));
    }
    present
}

/// One scanning thread's state.
struct Worker {
    engine: Arc<Engine>,
    /// Which log lines need parsing (built once for the rules and IOC lists).
    filter: Arc<LineFilter>,
    config: Arc<ScanConfig>,
    stats: Arc<Stats>,
    sink: SyncSender<Message>,
    scratch: Scratch,
    buf: Vec<u8>,
}

impl Worker {
    fn send(&self, m: Message) {
        // The writer only goes away when output failed, and then `stop` is raised.
        let _ = self.sink.send(m);
    }

    fn error(&self, path: &Path, message: String) {
        self.stats.errors.fetch_add(1, Relaxed);
        self.event(ScanEvent::error(Some(path.to_path_buf()), message.clone()));
        self.send(Message::FileError(Some(path.to_path_buf()), message));
    }

    /// The JSON event line of an error or skip, while the run's budget for them lasts.
    fn event(&self, event: ScanEvent) {
        send_event(&self.stats, &self.sink, event);
    }

    fn entry(&mut self, entry: Entry<'_>) {
        match entry {
            Entry::Skipped(path, reason) => {
                self.stats.skip(Skip::Walk(reason));
                if reason == SkipReason::Symlink && self.stats.symlink_not_followed(path) {
                    self.send(Message::Notice(
                        Some(path.to_path_buf()),
                        "skipped: symlink not followed (--follow-symlinks follows links)".into(),
                    ));
                }
                self.event(ScanEvent::skipped(
                    path.to_path_buf(),
                    Skip::Walk(reason),
                    "",
                ));
                if matches!(
                    reason,
                    SkipReason::SymlinkLoop | SkipReason::DanglingSymlink
                ) {
                    self.send(Message::Notice(
                        Some(path.to_path_buf()),
                        format!("skipped: {}", reason.as_str().replace('_', " ")),
                    ));
                }
            }
            Entry::Error(path, message) => {
                self.stats.errors.fetch_add(1, Relaxed);
                self.event(ScanEvent::error(path.map(PathBuf::from), message.clone()));
                self.send(Message::FileError(path.map(PathBuf::from), message));
            }
            Entry::File(path) => self.file(path),
        }
    }

    fn file(&mut self, path: &Path) {
        let cfg = Arc::clone(&self.config);
        let iocs = &cfg.iocs;
        let rules_apply = self.engine.applies_to(path, &mut self.scratch);
        let name_hits = path_indicators(iocs, path);
        let want_hash = iocs.has_hashes();
        let logs_enabled = self.engine.has_log_rules() || !iocs.is_empty();
        let log_candidate = logs_enabled && (rules_apply || want_hash || looks_like_log_path(path));
        if !rules_apply && !log_candidate && !want_hash && name_hits.is_empty() {
            self.stats.files_without_rules.fetch_add(1, Relaxed);
            return;
        }
        // A path named on the command line is followed even when it is a link: the user
        // asked for it by name (links inside the trees are another matter).
        let opened = if !cfg.read.follow_symlinks && cfg.roots.iter().any(|r| r == path) {
            let policy = ReadPolicy {
                follow_symlinks: true,
                ..cfg.read.clone()
            };
            open_file(path, &policy)
        } else {
            open_file(path, &cfg.read)
        };
        let (mut file, meta) = match opened {
            Ok(x) => x,
            Err(e) => return self.not_read(path, e),
        };
        if let Some(state) = &cfg.state
            && let Some(previous) = state.previous.unchanged_file(path, &meta.stamp)
        {
            self.stats.files_unchanged.fetch_add(1, Relaxed);
            self.carry(path, &previous.findings);
            state
                .collector
                .file(path, meta.stamp, previous.findings.clone());
            return;
        }
        if let Err(e) = read_head(&file, HEAD, &mut self.buf) {
            return self.error(path, e.to_string());
        }
        if log_candidate {
            match self.try_log(path, &mut file, &meta) {
                Ok(true) => return,
                Ok(false) => {}
                Err(e) => return self.error(path, e),
            }
        }
        if !rules_apply && !want_hash && name_hits.is_empty() {
            self.stats.files_without_rules.fetch_add(1, Relaxed);
            return;
        }
        if let Err(e) = read_rest(&file, meta.size, cfg.read.max_size, &mut self.buf) {
            // A name on an IOC list is reported even when the contents are too large to read.
            if let NotRead::TooLarge(_) = e {
                for hit in name_hits {
                    self.emit_file_indicator(hit, path, &meta, String::new());
                }
            }
            return self.not_read(path, e);
        }
        self.stats.files_scanned.fetch_add(1, Relaxed);
        self.stats
            .bytes_scanned
            .fetch_add(self.buf.len() as u64, Relaxed);
        // A file given up at --file-timeout is not recorded: the next sweep looks again.
        if let Some(found) = self.match_file(path, &meta, name_hits)
            && let Some(state) = &cfg.state
        {
            state.collector.file(path, meta.stamp, found);
        }
    }

    /// Reports again what an earlier sweep found in a file that has not changed since: the
    /// webshell is still there. An allowlist applies as to new findings.
    fn carry(&self, path: &Path, found: &[Carried]) {
        let allow = &self.config.allow;
        let mut report = Vec::new();
        for c in found {
            if !allow.is_empty() && allow.allows_parts(path, c.sha256(), c.rule_id()) {
                self.stats.findings_allowed.fetch_add(1, Relaxed);
                continue;
            }
            self.stats.finding(c.severity());
            self.stats.findings_carried_over.fetch_add(1, Relaxed);
            report.push(c.clone());
        }
        if !report.is_empty() {
            self.send(Message::Carried(path.to_path_buf(), report));
        }
    }

    /// Routes the file to the log scanner when its decoded head says it is a log. Returns
    /// whether it was (and so is done).
    fn try_log(&mut self, path: &Path, file: &mut File, meta: &FileMeta) -> Result<bool, String> {
        let cfg = Arc::clone(&self.config);
        let gzip = is_gzip(&self.buf);
        let bare_utf16 = !gzip && is_bare_utf16le(&self.buf);
        let encoded = gzip
            || bare_utf16
            || self.buf.starts_with(&[0xFF, 0xFE])
            || self.buf.starts_with(&[0xFE, 0xFF]);
        let hold_partial = cfg.state.is_some() && !gzip;
        if !encoded {
            let Some(format) = sniff(&self.buf, path) else {
                return Ok(false);
            };
            let head = std::mem::take(&mut self.buf);
            // A UTF-8 BOM (IIS writes one) is not part of the first line.
            let bom = if head.starts_with(b"\xEF\xBB\xBF") {
                3
            } else {
                0
            };
            let text = &head[bom..];
            let before = |offset: u64, len: usize| -> Option<Vec<u8>> {
                let len = len.min(usize::try_from(offset).unwrap_or(usize::MAX));
                match usize::try_from(offset).ok().filter(|&o| o <= text.len()) {
                    Some(o) => Some(text[o - len..o].to_vec()),
                    None => read_at(file, bom as u64 + offset - len as u64, len),
                }
            };
            let start = self.resume_point(
                path,
                meta,
                text,
                meta.stamp.size.saturating_sub(bom as u64),
                hold_partial,
                &before,
            );
            let offset = start.offset;
            let remaining = meta.stamp.size.saturating_sub(bom as u64 + offset);
            if format != LogFormat::Uls && cfg.walk.threads > 1 && remaining >= SPLIT_MIN {
                let result =
                    self.log_split(path, meta, format, text, file, bom as u64, start, &before);
                self.buf = head;
                return result.map(|()| true);
            }
            let prefix = match usize::try_from(offset).ok().and_then(|o| text.get(o..)) {
                Some(rest) => rest,
                None => {
                    (&*file)
                        .seek(SeekFrom::Start(bom as u64 + offset))
                        .map_err(|e| e.to_string())?;
                    &[][..]
                }
            };
            // Read what the log held when it was opened: lines written meanwhile belong to
            // the next sweep, and a writer faster than the reader cannot keep it busy forever.
            let position = (&*file).stream_position().map_err(|e| e.to_string())?;
            let rest = (&*file).take(meta.stamp.size.saturating_sub(position));
            let result = self.log(path, meta, format, text, prefix, rest, start, &before);
            self.buf = head;
            return result.map(|()| true);
        }
        let reopened = file.try_clone().map_err(|e| e.to_string())?;
        let raw = Cursor::new(self.buf.clone()).chain(reopened);
        let mut stream = Bounded::new(decoded_as(raw, gzip, bare_utf16), cfg.max_decompressed);
        let mut head = Vec::new();
        let head_read = (&mut stream).take(HEAD as u64).read_to_end(&mut head);
        let sniffed = sniff(&head, path);
        if let Err(e) = &head_read
            && sniffed.is_none()
        {
            // The limit or damage cut the head short of telling: this is a gap, not a file
            // to pass on to the file engine as raw compressed bytes.
            return Err(format!("reading compressed file: {e}"));
        }
        // A head that is a log despite a read error goes on to the log scanner, which meets
        // the error again (the decoded stream repeats it) and reports it with the findings
        // made until then.
        let Some(format) = sniffed else {
            // Not a log after all: back to the start, for the file engine.
            file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
            self.buf.clear();
            return Ok(false);
        };
        // The decoded text before an offset: decoded again from the start (the stream is
        // made anew below, as this moves the file's position).
        let max = cfg.max_decompressed;
        let before = |offset: u64, len: usize| -> Option<Vec<u8>> {
            let len = len.min(usize::try_from(offset).unwrap_or(usize::MAX));
            let mut s = decoded_from_start(file, gzip, bare_utf16, max)?;
            io::copy(&mut (&mut s).take(offset - len as u64), &mut io::sink()).ok()?;
            let mut v = Vec::with_capacity(len);
            (&mut s).take(len as u64).read_to_end(&mut v).ok()?;
            (v.len() == len).then_some(v)
        };
        let start = self.resume_point(path, meta, &head, u64::MAX, hold_partial, &before);
        let prefix = if cfg.state.is_some() {
            // The tail checks move the file's position: the stream is made anew, and read
            // up to where this sweep starts.
            stream = decoded_from_start(file, gzip, bare_utf16, max)
                .ok_or_else(|| "reading log: cannot read it again".to_string())?;
            io::copy(&mut (&mut stream).take(start.offset), &mut io::sink())
                .map_err(|e| format!("reading log: {e}"))?;
            Vec::new()
        } else {
            head.clone()
        };
        self.log(path, meta, format, &head, &prefix, stream, start, &before)
            .map(|()| true)
    }

    /// Where an incremental sweep resumes a log whose decoded text starts with `head` and
    /// holds `available` bytes: after what an earlier sweep read of this text, found by the
    /// log's inode or, for a copy, by its first KiB, and only when the text before that
    /// point (`before(offset, len)`) is still what was read; otherwise at the start. A log
    /// still being written holds back what may still change (`hold_partial`), unless the
    /// sweep before saw it at this size or under another name (rotated): then what was held
    /// is matched as it is.
    fn resume_point(
        &self,
        path: &Path,
        meta: &FileMeta,
        head: &[u8],
        available: u64,
        hold_partial: bool,
        before: &dyn Fn(u64, usize) -> Option<Vec<u8>>,
    ) -> Start {
        let fresh = Start {
            hold_partial,
            ..Start::default()
        };
        let Some(state) = &self.config.state else {
            return fresh;
        };
        let stamp = &meta.stamp;
        let found = state
            .previous
            .log_candidates(stamp, path, head)
            .into_iter()
            .find(|&(e, own)| {
                e.offset <= available
                    && ((own && (e.tail.is_none() || e.stamp == *stamp))
                        || before(e.offset, e.tail_len).is_some_and(|t| e.tail_matches(&t)))
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
            hold_partial: hold_partial && still_written,
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

    #[allow(clippy::too_many_arguments)]
    fn log(
        &mut self,
        path: &Path,
        meta: &FileMeta,
        format: LogFormat,
        text_head: &[u8],
        prefix: &[u8],
        src: impl Read,
        start: Start,
        before: &dyn Fn(u64, usize) -> Option<Vec<u8>>,
    ) -> Result<(), String> {
        let cfg = Arc::clone(&self.config);
        let sink = self.sink.clone();
        let stats = Arc::clone(&self.stats);
        let mut emit = |findings: Vec<Finding>| deliver(&stats, &cfg.allow, &sink, findings);
        self.stats.logs_scanned.fetch_add(1, Relaxed);
        let result = scan_log(
            &self.engine,
            &self.filter,
            &cfg.iocs,
            &cfg.logs,
            &mut self.scratch,
            path,
            format,
            prefix,
            src,
            start,
            &mut emit,
        );
        let outcome = result
            .map_err(|e| format!("reading log: {e} (findings up to this point were reported)"))?;
        self.account(path, meta, text_head, outcome, before);
        Ok(())
    }

    /// Scans a large plain log in line-aligned parts, one thread each (see `split`).
    #[allow(clippy::too_many_arguments)]
    fn log_split(
        &mut self,
        path: &Path,
        meta: &FileMeta,
        format: LogFormat,
        text_head: &[u8],
        file: &File,
        bom: u64,
        start: Start,
        before: &dyn Fn(u64, usize) -> Option<Vec<u8>>,
    ) -> Result<(), String> {
        let cfg = Arc::clone(&self.config);
        let (begin, end) = (bom + start.offset, meta.stamp.size);
        let threads = cfg.walk.threads;
        let cuts = split::cuts(
            file,
            begin,
            end,
            split::part_count(end.saturating_sub(begin), threads),
        )
        .map_err(|e| format!("reading log: {e}"))?;
        let part_count = cuts.len() + 1;
        self.stats.logs_scanned.fetch_add(1, Relaxed);
        let hold_partial = start.hold_partial;
        let (engine, filter, stats, cfg_ref) = (&self.engine, &self.filter, &self.stats, &cfg);
        let start_ref = &start;
        // Parts go to the threads in order as the numbering pass reaches them; each thread
        // takes the next when it is done with one.
        let (tx, rx) = std::sync::mpsc::channel::<(usize, split::Part)>();
        let rx = std::sync::Mutex::new(rx);
        let mut numbering = Ok(());
        let mut results: Vec<(usize, io::Result<LogOutcome>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads.min(part_count))
                .map(|_| {
                    let sink = self.sink.clone();
                    let rx = &rx;
                    scope.spawn(move || {
                        let mut scratch = engine.scratch();
                        let mut emit = |f: Vec<Finding>| deliver(stats, &cfg_ref.allow, &sink, f);
                        let mut done = Vec::new();
                        loop {
                            let next = rx
                                .lock()
                                .map_err(|_| ())
                                .and_then(|r| r.recv().map_err(|_| ()));
                            let Ok((k, part)) = next else { break };
                            let st = Start {
                                line: part.line,
                                offset: part.begin - bom,
                                hold_partial: hold_partial && k + 1 == part_count,
                                iis_fields: part.iis_fields,
                                read_to: start_ref.read_to,
                                reported: start_ref.reported,
                                pending: Vec::new(),
                            };
                            let src = split::ReadAt::new(file, part.begin, part.end);
                            let outcome = scan_log(
                                engine,
                                filter,
                                &cfg_ref.iocs,
                                &cfg_ref.logs,
                                &mut scratch,
                                path,
                                format,
                                &[],
                                src,
                                st,
                                &mut emit,
                            );
                            done.push((k, outcome));
                        }
                        done
                    })
                })
                .collect();
            let mut k = 0;
            numbering = split::number(
                file,
                begin,
                end,
                &cuts,
                start.line,
                start.iis_fields.clone(),
                |part| {
                    // The threads outlive the channel's sender, so this never fails.
                    let _ = tx.send((k, part));
                    k += 1;
                },
            );
            drop(tx);
            // A thread that panicked loses its parts; the count below notices.
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        numbering.map_err(|e| {
            format!("reading log: {e} (findings of the parts before were reported)")
        })?;
        if results.len() < part_count {
            return Err("reading log: a log-scanning thread panicked".to_string());
        }
        results.sort_by_key(|(k, _)| *k);
        let results = results.into_iter().map(|(_, r)| r);
        let mut total = LogOutcome::default();
        for r in results {
            let o = r.map_err(|e| {
                format!("reading log: {e} (findings up to this point were reported)")
            })?;
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
        self.account(path, meta, text_head, total, before);
        Ok(())
    }

    /// Adds what scanning a log did to the counters, and to the state of a sweep.
    fn account(
        &self,
        path: &Path,
        meta: &FileMeta,
        text_head: &[u8],
        outcome: LogOutcome,
        before: &dyn Fn(u64, usize) -> Option<Vec<u8>>,
    ) {
        self.count_log(path, &outcome);
        if let Some(state) = &self.config.state {
            let (next, fields) = outcome.resume_point();
            let tail = match &outcome.tail {
                // A part that started past the resume point saw too little of the text.
                Some(t) if t.len() >= TAIL_LEN.min(next.1 as usize) => Some(t.clone()),
                _ => before(next.1, TAIL_LEN),
            };
            let window = &self.config.logs.window;
            state.collector.log(
                path,
                meta.stamp,
                text_head,
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

    fn count_log(&self, path: &Path, outcome: &LogOutcome) {
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

    /// Standard input, scanned as one file: a log when its content says so (streamed, gzip
    /// and UTF-16 decoded), otherwise read whole (up to `--max-filesize`) and matched by the
    /// file rules for `--stdin-name`, or by every file rule without it. It is not part of an
    /// incremental sweep's state: it has no identity to compare with next time.
    fn stdin(&mut self) {
        let cfg = Arc::clone(&self.config);
        let named = cfg.stdin_name.is_some();
        let path = cfg
            .stdin_name
            .clone()
            .unwrap_or_else(|| PathBuf::from(STDIN));
        let mut head = Vec::new();
        if let Err(e) = io::stdin().take(HEAD as u64).read_to_end(&mut head) {
            return self.error(&path, format!("reading standard input: {e}"));
        }
        let gzip = is_gzip(&head);
        let bare_utf16 = !gzip && is_bare_utf16le(&head);
        let encoded = gzip
            || bare_utf16
            || head.starts_with(&[0xFF, 0xFE])
            || head.starts_with(&[0xFE, 0xFF]);
        let mut src: Box<dyn Read + Send> = if encoded {
            let raw = Cursor::new(std::mem::take(&mut head)).chain(io::stdin());
            let mut stream = Bounded::new(decoded_as(raw, gzip, bare_utf16), cfg.max_decompressed);
            if let Err(e) = (&mut stream).take(HEAD as u64).read_to_end(&mut head)
                && sniff(&head, &path).is_none()
            {
                return self.error(&path, format!("reading standard input: {e}"));
            }
            Box::new(stream)
        } else {
            Box::new(io::stdin())
        };
        let logs_enabled = self.engine.has_log_rules() || !cfg.iocs.is_empty();
        if logs_enabled && let Some(format) = sniff(&head, &path) {
            let bom = if head.starts_with(b"\xEF\xBB\xBF") {
                3
            } else {
                0
            };
            let sink = self.sink.clone();
            let stats = Arc::clone(&self.stats);
            let mut emit = |findings: Vec<Finding>| deliver(&stats, &cfg.allow, &sink, findings);
            self.stats.logs_scanned.fetch_add(1, Relaxed);
            let result = scan_log(
                &self.engine,
                &self.filter,
                &cfg.iocs,
                &cfg.logs,
                &mut self.scratch,
                &path,
                format,
                &head[bom..],
                src,
                Start::default(),
                &mut emit,
            );
            match result {
                Ok(outcome) => self.count_log(&path, &outcome),
                Err(e) => self.error(
                    &path,
                    format!("reading log: {e} (findings up to this point were reported)"),
                ),
            }
            return;
        }
        self.buf = head;
        let max = cfg.read.max_size;
        if let Err(e) = (&mut src)
            .take((max + 1).saturating_sub(self.buf.len() as u64))
            .read_to_end(&mut self.buf)
        {
            return self.error(&path, format!("reading standard input: {e}"));
        }
        if self.buf.len() as u64 > max {
            let size = self.buf.len() as u64;
            self.buf.clear();
            return self.not_read(&path, NotRead::TooLarge(size));
        }
        let meta = FileMeta {
            size: self.buf.len() as u64,
            modified: None,
            id: None,
            stamp: Default::default(),
        };
        self.stats.files_scanned.fetch_add(1, Relaxed);
        self.stats
            .bytes_scanned
            .fetch_add(self.buf.len() as u64, Relaxed);
        let names = if named {
            vec![path.clone()]
        } else {
            self.engine.nameless_input_names()
        };
        let name_hits = path_indicators(&cfg.iocs, &path);
        self.match_as(&path, &names, &meta, name_hits);
    }

    fn not_read(&self, path: &Path, e: NotRead) {
        match e {
            NotRead::TooLarge(size) => {
                self.stats.skip(Skip::TooLarge);
                let detail = format!(
                    "{size} bytes is over --max-filesize ({} bytes)",
                    self.config.read.max_size
                );
                let mut event = ScanEvent::skipped(path.to_path_buf(), Skip::TooLarge, &detail);
                event.size = Some(size);
                self.event(event);
                self.send(Message::Notice(
                    Some(path.to_path_buf()),
                    format!(
                        "skipped: {size} bytes is over --max-filesize ({} bytes); raise \
                         --max-filesize to scan it, or leave it out with --exclude",
                        self.config.read.max_size
                    ),
                ));
            }
            NotRead::NotRegular => {
                let why = Skip::Walk(SkipReason::Special);
                self.stats.skip(why);
                self.event(ScanEvent::skipped(path.to_path_buf(), why, ""));
            }
            NotRead::Own => {
                self.stats.skip(Skip::OwnFile);
                self.event(ScanEvent::skipped(path.to_path_buf(), Skip::OwnFile, ""));
            }
            NotRead::Io(e) => self.error(path, e.to_string()),
        }
    }

    /// File rules, hash and name IOCs over a file read whole into `self.buf`. Returns what an
    /// incremental sweep keeps of the findings (before any allowlist), to carry them over;
    /// `None` when the rules were given up at `--file-timeout`.
    fn match_file(
        &mut self,
        path: &Path,
        meta: &FileMeta,
        name_hits: Vec<IndicatorHit>,
    ) -> Option<Vec<Carried>> {
        self.match_as(path, &[path.to_path_buf()], meta, name_hits)
    }

    /// As [`Worker::match_file`], with the rules that apply to any of `names` (a rule that
    /// fires under several names is reported once).
    fn match_as(
        &mut self,
        path: &Path,
        names: &[PathBuf],
        meta: &FileMeta,
        name_hits: Vec<IndicatorHit>,
    ) -> Option<Vec<Carried>> {
        let cfg = Arc::clone(&self.config);
        let engine = Arc::clone(&self.engine);
        let mut hits: Vec<crate::engine::RuleHit<'_>> = Vec::new();
        self.scratch
            .set_deadline(cfg.file_timeout.map(|t| std::time::Instant::now() + t));
        for name in names {
            for hit in engine.scan_file(name, &self.buf, &mut self.scratch) {
                if !hits.iter().any(|h| std::ptr::eq(h.rule, hit.rule)) {
                    hits.push(hit);
                }
            }
            if self.scratch.timed_out() {
                break;
            }
        }
        let timed_out = self.scratch.timed_out();
        self.scratch.set_deadline(None);
        if timed_out {
            // Rules that held before the deadline may rest on patterns never verified (a
            // `not`), so none is reported; hash and name indicators do not depend on them.
            hits.clear();
            self.timed_out(path, cfg.file_timeout.unwrap_or_default());
        }
        let hash_hits = hash_indicators(&cfg.iocs, &self.buf);
        if hits.is_empty() && hash_hits.is_empty() && name_hits.is_empty() {
            return (!timed_out).then(Vec::new);
        }
        let sha256 = sha256_hex(&self.buf);
        let mut findings: Vec<Finding> = hits
            .into_iter()
            .map(|hit| Finding::from_hit(hit, path, &self.buf, meta.modified, &sha256))
            .collect();
        let size = self.buf.len() as u64;
        findings.extend(hash_hits.into_iter().chain(name_hits).map(|ind| {
            let subject = Subject::File(file_subject(path, meta, size, sha256.clone()));
            Finding::from_indicator(ind, cfg.logs.ioc_severity, subject)
        }));
        if cfg.hash_all && !findings.is_empty() {
            let more = vec![
                ("md5", digest(Kind::Md5, &self.buf)),
                ("sha1", digest(Kind::Sha1, &self.buf)),
            ];
            for f in &mut findings {
                if let Subject::File(subject) = &mut f.subject {
                    subject.more_hashes = more.clone();
                }
            }
        }
        // Score before filtering: weak signals together may lift a finding over
        // --min-severity.
        score_combined(&mut findings);
        findings.retain(|f| {
            let keep = f.severity() >= cfg.min_severity;
            if !keep {
                self.stats.findings_below_min_severity.fetch_add(1, Relaxed);
            }
            keep
        });
        let kept = if cfg.state.is_some() {
            to_carry(&findings)
        } else {
            Vec::new()
        };
        deliver(&self.stats, &cfg.allow, &self.sink, findings);
        (!timed_out).then_some(kept)
    }

    fn timed_out(&self, path: &Path, limit: std::time::Duration) {
        self.stats.skip(Skip::TimedOut);
        let detail = format!(
            "the rules took longer than --file-timeout ({}s); no rule findings are reported for it",
            limit.as_secs_f64()
        );
        self.event(ScanEvent::skipped(
            path.to_path_buf(),
            Skip::TimedOut,
            &detail,
        ));
        self.send(Message::Notice(
            Some(path.to_path_buf()),
            format!(
                "skipped: {detail}; scan it alone with a larger --file-timeout, or find the slow \
                 rule with `shellsweep rules check`"
            ),
        ));
    }

    fn emit_file_indicator(&self, hit: IndicatorHit, path: &Path, meta: &FileMeta, sha256: String) {
        let sev = hit.severity(self.config.logs.ioc_severity);
        if sev < self.config.min_severity {
            self.stats.findings_below_min_severity.fetch_add(1, Relaxed);
            return;
        }
        let f = Finding::from_indicator(
            hit,
            sev,
            Subject::File(file_subject(path, meta, meta.size, sha256)),
        );
        deliver(&self.stats, &self.config.allow, &self.sink, vec![f]);
    }
}

/// Hands an event line to the writer unless the run's budget for its kind is spent (then it
/// is only counted, and the summary says how many were left out).
fn send_event(stats: &Stats, sink: &SyncSender<Message>, event: ScanEvent) {
    if stats.event_slot(&event) {
        // The writer only goes away when output failed, and then `stop` is raised.
        let _ = sink.send(Message::Event(Box::new(event)));
    }
}

/// Counts findings and hands them to the writer, except those an allowlist entry silences
/// (counted apart).
fn deliver(
    stats: &Stats,
    allow: &Allowlist,
    sink: &SyncSender<Message>,
    mut findings: Vec<Finding>,
) {
    if !allow.is_empty() {
        findings.retain(|f| {
            let allowed = allow.allows(f);
            if allowed {
                stats.findings_allowed.fetch_add(1, Relaxed);
            }
            !allowed
        });
    }
    for f in &findings {
        stats.finding(f.severity());
    }
    if !findings.is_empty() {
        // The writer only goes away when output failed, and then `stop` is raised.
        let _ = sink.send(Message::Findings(findings));
    }
}

fn file_subject(path: &Path, meta: &FileMeta, size: u64, sha256: String) -> FileSubject {
    FileSubject {
        path: path.to_path_buf(),
        size,
        modified: meta.modified,
        sha256,
        more_hashes: Vec::new(),
    }
}

/// File-name IOCs for this path's last component, and path regexes and globs for the path.
fn path_indicators(iocs: &IocSet, path: &Path) -> Vec<IndicatorHit> {
    let mut out = Vec::new();
    let hit = |i: usize, field: &str, matched: &[u8]| IndicatorHit {
        indicator: iocs.indicators[i].clone(),
        field: field.into(),
        matched: matched.to_vec(),
    };
    if !iocs.file_names.is_empty()
        && let Some(name) = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
        && let Some(&i) = iocs.file_names.get(&name)
    {
        out.push(hit(i, "file.name", name.as_bytes()));
    }
    if !iocs.paths.is_empty() {
        let text = path.to_string_lossy();
        for i in iocs.paths.matches(&text) {
            out.push(hit(i, "file.path", text.as_bytes()));
        }
    }
    out
}

/// Hash IOCs of a file's contents: only the digests some loaded indicator uses are computed.
fn hash_indicators(iocs: &IocSet, buf: &[u8]) -> Vec<IndicatorHit> {
    if !iocs.has_hashes() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let kinds: Vec<Kind> = [Kind::Md5, Kind::Sha1, Kind::Sha256]
        .into_iter()
        .filter(|k| iocs.hashes.values().any(|&i| iocs.indicators[i].kind == *k))
        .collect();
    for kind in kinds {
        let digest = digest(kind, buf);
        if let Some(&i) = iocs.hashes.get(&digest) {
            out.push(IndicatorHit {
                indicator: iocs.indicators[i].clone(),
                field: format!("file.hash.{}", kind.as_str()),
                matched: digest.into_bytes(),
            });
        }
    }
    out
}

/// A digest of `buf` in lowercase hex (MD5, SHA-1 or SHA-256).
fn digest(kind: Kind, buf: &[u8]) -> String {
    match kind {
        Kind::Md5 => {
            use md5::Digest;
            hex(&md5::Md5::digest(buf))
        }
        Kind::Sha1 => {
            use sha1::Digest;
            hex(&sha1::Sha1::digest(buf))
        }
        _ => sha256_hex(buf),
    }
}
