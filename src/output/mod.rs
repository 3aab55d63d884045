//! Writers: one thread owns the output, so a file's findings are never interleaved with
//! another's and no scanning thread waits on a slow terminal longer than a channel send.

pub mod carried;
mod csv_out;
mod dest;
pub mod ecs;
mod escape;
pub(crate) mod ocsf;
mod progress;
mod sink;
pub(crate) mod syslog;
mod text;
mod text_joins;
pub(crate) mod timeline;

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

pub use dest::Target;
pub use escape::{for_terminal, path_for_terminal};
pub(crate) use text::wrap as wrap_text;

use crate::common::bytes::path_bytes;
use crate::common::severity::Severity;
use crate::finding::{Finding, Subject};
use crate::summary::{ScanEvent, Stats, Summary};
use carried::Carried;
use dest::Destination;
use ecs::Observer;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: a block per file (or log record) with every finding on it, sorted by
    /// path and line, and a summary.
    Text,
    /// One ECS-shaped JSON object per line; the last line is the summary.
    Jsonl,
    /// One OCSF event per line (Detection Finding, HTTP Activity for pivot events); the
    /// last line is the Scan Activity of the run.
    Ocsf,
    /// One CSV row per finding under a header; the summary goes to stderr.
    Csv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Jsonl => "jsonl",
            Format::Ocsf => "ocsf",
            Format::Csv => "csv",
        }
    }
}

/// Why a finding could not be rendered as one line.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("the {0} format is not one line per finding")]
    NotALineFormat(&'static str),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// One finding as one line (no line ending) in a line format: JSONL (ECS), OCSF or a CSV
/// record. The writer's destinations and `--syslog` both render through this, so a
/// finding reads the same wherever it is sent.
pub fn line_for(format: Format, f: &Finding, observer: &Observer) -> Result<String, LineError> {
    match format {
        Format::Jsonl => Ok(ecs::finding(f, observer)?),
        Format::Ocsf => Ok(ocsf::finding(f, observer)?),
        Format::Csv => {
            let mut row = csv_out::finding(f, observer);
            row.truncate(row.trim_end_matches(['\r', '\n']).len());
            Ok(row)
        }
        Format::Text => Err(LineError::NotALineFormat("text")),
    }
}

/// Where and how to write.
#[derive(Clone, Debug)]
pub struct OutputConfig {
    /// Each format and where it goes (files are appended to); at most one to stdout.
    pub targets: Vec<Target>,
    pub quiet: bool,
    /// Sort JSON lines by path and line too (text is always sorted).
    pub sort: bool,
    /// `-l`: only the path of each file with findings, once.
    pub files_only: bool,
    /// `--min-severity`, named in the summary beside what it left out.
    pub min_severity: Severity,
    /// Sync the output to disk before [`Output::finish`] returns: a `--state` sweep saves
    /// its state only once what it covers cannot be lost to a crash.
    pub sync: bool,
    /// `--timeline`: also write the findings and pivot events, sorted by time, as a
    /// Timesketch CSV when the run ends (whatever the format).
    pub timeline: Option<PathBuf>,
    /// `--syslog`: every finding also goes to a syslog receiver.
    pub syslog: Option<syslog::SyslogConfig>,
}

/// Set once, before `main`, when the process started with standard output closed (the
/// standard library then puts `/dev/null` there, so writes would "succeed" into nothing).
static STDOUT_CLOSED_AT_START: AtomicBool = AtomicBool::new(false);

/// For `main`: standard output was closed when the process started. Findings written there
/// would be lost, so a scan that writes to standard output refuses to start.
pub fn stdout_closed_at_start() {
    STDOUT_CLOSED_AT_START.store(true, Ordering::Relaxed);
}

/// What scanning threads send to the writer.
#[derive(Debug)]
pub enum Message {
    /// All findings of one file, written together.
    Findings(Vec<Finding>),
    /// A per-file problem: `shellsweep: PATH: MESSAGE` on stderr.
    FileError(Option<PathBuf>, String),
    /// A note on stderr (shown unless `--quiet`).
    Notice(Option<PathBuf>, String),
    /// An error or skip as a JSON event line (JSONL only; people read `FileError` and
    /// `Notice` on stderr). Senders respect [`Stats::event_slot`].
    Event(Box<ScanEvent>),
    /// Findings of an unchanged file, reported again from the state of an earlier sweep.
    Carried(PathBuf, Vec<Carried>),
    /// Write what is held and the summary now, even if scanning threads still hold senders
    /// (an interrupted run does not wait for a thread stuck reading a pipe).
    End,
}

/// How the writer ended.
#[derive(Debug, Default)]
pub struct WriterOutcome {
    /// The reader of stdout went away; output stopped early and quietly.
    pub broken_pipe: bool,
    /// What `--syslog` delivered.
    pub syslog: Option<crate::summary::SyslogCounts>,
}

/// A running writer thread.
pub struct Output {
    tx: Option<SyncSender<Message>>,
    summary_tx: mpsc::Sender<Summary>,
    handle: JoinHandle<io::Result<WriterOutcome>>,
}

impl Output {
    /// Opens the destination and starts the writer. `stop` is raised when output can no
    /// longer be written, so that scanning stops too.
    pub fn start(
        config: OutputConfig,
        observer: Observer,
        stats: Arc<Stats>,
        stop: Arc<AtomicBool>,
    ) -> io::Result<Output> {
        let many = config.targets.len() > 1;
        let dests = config
            .targets
            .iter()
            .map(|t| {
                Destination::open(t, config.sort, config.files_only).map_err(|e| match &t.file {
                    // With several outputs, the error says which.
                    Some(p) if many => io::Error::new(
                        e.kind(),
                        format!("cannot open output file {}: {e}", path_for_terminal(p)),
                    ),
                    _ => e,
                })
            })
            .collect::<io::Result<Vec<_>>>()?;
        let stderr_tty = io::stderr().is_terminal();
        let progress = (!config.quiet && stderr_tty).then(|| progress::Progress::new(stats));
        let (tx, rx) = mpsc::sync_channel::<Message>(1024);
        let (summary_tx, summary_rx) = mpsc::channel::<Summary>();
        // The person at the terminal gets the summary on stderr unless a format on stdout
        // carries it (CSV has no summary row).
        let stdout_has_summary = config
            .targets
            .iter()
            .any(|t| t.file.is_none() && t.format != Format::Csv);
        let syslog = match config.syslog {
            Some(c) => Some(syslog::Syslog::start(c, &observer.host.hostname)?),
            None => None,
        };
        let mut w = Writer {
            dests,
            quiet: config.quiet,
            observer,
            progress,
            broken: false,
            with_findings: HashMap::new(),
            files_only: config.files_only,
            summary_to_stderr: !config.quiet && (config.files_only || !stdout_has_summary),
            min_severity: config.min_severity,
            sync: config.sync,
            timeline: config.timeline.map(timeline::Timeline::new),
            syslog,
        };
        let handle = std::thread::Builder::new()
            .name("shellsweep-writer".into())
            .spawn(move || {
                let tick = Duration::from_millis(150);
                loop {
                    match rx.recv_timeout(tick) {
                        Ok(Message::End) => break,
                        Ok(msg) => {
                            if let Err(e) = w.handle(msg) {
                                stop.store(true, Ordering::Relaxed);
                                if !w.note_broken(&e) {
                                    w.clear_progress();
                                    return Err(e);
                                }
                            }
                        }
                        Err(RecvTimeoutError::Timeout) => w.tick(),
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
                w.clear_progress();
                if let Err(e) = w.flush_pending()
                    && !w.note_broken(&e)
                {
                    return Err(e);
                }
                // Before the summary, which counts what it delivered.
                let syslog = w.syslog.take().map(syslog::Syslog::finish);
                if let Ok(mut summary) = summary_rx.recv() {
                    summary.syslog = syslog.clone();
                    if let Err(e) = w.summary(&summary)
                        && !w.note_broken(&e)
                    {
                        return Err(e);
                    }
                }
                if w.sync && !w.broken {
                    for d in &mut w.dests {
                        d.sink.flush()?;
                        d.sink.inner.sync()?;
                    }
                }
                // Last, once the lines it mirrors are out: also after an interrupt or a
                // reader that went away, since what was found is worth a timeline.
                if let Some(t) = w.timeline.take() {
                    t.finish().map_err(io::Error::other)?;
                }
                Ok(WriterOutcome {
                    broken_pipe: w.broken,
                    syslog,
                })
            })?;
        Ok(Output {
            tx: Some(tx),
            summary_tx,
            handle,
        })
    }

    /// A sender for a scanning thread.
    pub fn sender(&self) -> SyncSender<Message> {
        self.tx.clone().expect("output is running")
    }

    /// Closes the findings stream and writes the summary last. Messages sent after this
    /// (by a scanning thread an interrupted run did not wait for) are not written.
    pub fn finish(mut self, summary: Summary) -> io::Result<WriterOutcome> {
        if let Some(tx) = self.tx.take() {
            // Fails only when the writer already stopped on an error, returned below.
            let _ = tx.send(Message::End);
        }
        let _ = self.summary_tx.send(summary);
        self.handle
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")))
    }
}

/// Text for a carried-over finding: what the state holds is its JSON document, not the
/// finding, so this says which rule, where and since when, and not the matches again.
fn carried_text(w: &mut dyn Write, path: &Path, c: &Carried) -> io::Result<()> {
    let name = c.doc["rule"]["name"].as_str().unwrap_or_default();
    let location = match c.doc["shellsweep"]["line"].as_u64() {
        Some(line) => format!("{}:{line}", path_for_terminal(path)),
        None => path_for_terminal(path),
    };
    writeln!(
        w,
        "[{}] {}  {}\n  {location}\n    (carried over: the file is unchanged since the sweep of {})\n",
        c.severity().as_str().to_ascii_uppercase(),
        for_terminal(c.rule_id().as_bytes()),
        for_terminal(name.as_bytes()),
        for_terminal(c.first_seen.as_bytes()),
    )
}

struct Writer {
    dests: Vec<Destination>,
    quiet: bool,
    observer: Observer,
    progress: Option<progress::Progress>,
    /// The reader of stdout went away: nothing more is written anywhere (the run is
    /// stopping; what the files got is whole).
    broken: bool,
    /// Every path with findings, and whether it is a log. Sorted only for `-l`: a tree
    /// looked up by `Path`'s order parsed two paths into components per comparison, some
    /// dozen per finding.
    with_findings: HashMap<PathBuf, bool>,
    files_only: bool,
    /// With `-o` (or `-l`) the person at the terminal still gets the summary, on stderr.
    summary_to_stderr: bool,
    min_severity: Severity,
    sync: bool,
    /// Every finding and pivot event document also goes here (`--timeline`): a new kind of
    /// line is hooked in by handing its document to [`timeline::Timeline::add`].
    timeline: Option<timeline::Timeline>,
    /// `--syslog`: findings, pivot events and carried-over findings are also queued here,
    /// whatever the format (and even after the reader of stdout went away).
    syslog: Option<syslog::Syslog>,
}

impl Writer {
    fn handle(&mut self, msg: Message) -> io::Result<()> {
        match msg {
            Message::Findings(findings) => {
                if let Some(s) = &mut self.syslog {
                    for f in &findings {
                        s.send(
                            syslog::finding_entry(f, s.format(), &self.observer)
                                .map_err(io::Error::other)?,
                        );
                    }
                }
                if self.broken {
                    return Ok(());
                }
                if let Some(t) = &mut self.timeline {
                    for f in &findings {
                        t.add(&ecs::finding_value(f, &self.observer).map_err(io::Error::other)?);
                    }
                }
                // Pivot events are not findings: `-l` and the summary's lists leave them out.
                for f in findings.iter().filter(|f| !f.is_event()) {
                    let is_log = matches!(f.subject, Subject::Log(_));
                    if !self.with_findings.contains_key(f.subject.path()) {
                        self.with_findings
                            .insert(f.subject.path().to_path_buf(), is_log);
                    }
                }
                if self.files_only {
                    return Ok(());
                }
                for i in 0..self.dests.len() {
                    let blocks = self.dests[i].blocks(&findings, &self.observer)?;
                    self.clear_progress();
                    if self.dests[i].add(blocks)? {
                        let format = self.dests[i].format.as_str();
                        self.stderr_line(
                            None,
                            &format!("over 256 MiB of findings held for sorting ({format}): writing them now, and the rest as found (unsorted); --format jsonl streams without holding"),
                        );
                    }
                }
                Ok(())
            }
            Message::FileError(path, message) => {
                self.stderr_line(path.as_deref(), &message);
                Ok(())
            }
            Message::Notice(path, message) => {
                if !self.quiet {
                    self.stderr_line(path.as_deref(), &message);
                }
                Ok(())
            }
            Message::Carried(path, found) => {
                // The ECS line is made once: its `@timestamp` is the time of writing, and
                // the timeline, syslog and the JSONL outputs get the same bytes.
                let want_ecs = self.timeline.is_some()
                    || self
                        .syslog
                        .as_ref()
                        .is_some_and(|s| s.format() == Format::Jsonl)
                    || (!self.broken && self.dests.iter().any(|d| d.format == Format::Jsonl));
                if !self.broken {
                    self.clear_progress();
                }
                for c in &found {
                    let ecs_line = if want_ecs {
                        Some(
                            ecs::carried(&c.doc, &c.first_seen, &self.observer)
                                .map_err(io::Error::other)?,
                        )
                    } else {
                        None
                    };
                    if let Some(s) = &mut self.syslog {
                        let line = match (s.format(), &ecs_line) {
                            (Format::Jsonl, Some(line)) => line.clone(),
                            _ => ocsf::carried(c, &self.observer).map_err(io::Error::other)?,
                        };
                        s.send(syslog::carried_entry(c, line));
                    }
                    if self.broken {
                        continue;
                    }
                    if let (Some(t), Some(line)) = (&mut self.timeline, &ecs_line) {
                        t.add(&serde_json::from_str(line).map_err(io::Error::other)?);
                    }
                    for d in &mut self.dests {
                        match (d.format, &ecs_line) {
                            (Format::Jsonl, line) => {
                                let made;
                                let line = match line {
                                    Some(line) => line,
                                    None => {
                                        made = ecs::carried(&c.doc, &c.first_seen, &self.observer)
                                            .map_err(io::Error::other)?;
                                        &made
                                    }
                                };
                                d.sink.write_all(line.as_bytes())?;
                                d.sink.write_all(b"\n")?;
                            }
                            (Format::Ocsf, _) => {
                                let line =
                                    ocsf::carried(c, &self.observer).map_err(io::Error::other)?;
                                d.sink.write_all(line.as_bytes())?;
                                d.sink.write_all(b"\n")?;
                            }
                            (Format::Csv, _) => {
                                d.sink
                                    .write_all(csv_out::carried(c, &self.observer).as_bytes())?;
                            }
                            (Format::Text, _) => carried_text(&mut d.sink, &path, c)?,
                        }
                    }
                }
                if self.broken {
                    return Ok(());
                }
                for d in &mut self.dests {
                    d.sink.flush()?;
                }
                Ok(())
            }
            Message::Event(event) => {
                // Error and skip lines are ECS only (docs/OCSF.md says why OCSF has none).
                if self.broken || !self.dests.iter().any(|d| d.format == Format::Jsonl) {
                    return Ok(());
                }
                let line = ecs::scan_event(&event, &self.observer).map_err(io::Error::other)?;
                for d in self.dests.iter_mut().filter(|d| d.format == Format::Jsonl) {
                    d.sink.write_all(line.as_bytes())?;
                    d.sink.write_all(b"\n")?;
                }
                Ok(())
            }
            Message::End => Ok(()),
        }
    }

    fn stderr_line(&mut self, path: Option<&Path>, message: &str) {
        self.clear_progress();
        let message = for_terminal(message.as_bytes());
        let line = match path {
            Some(p) => format!("shellsweep: {}: {message}\n", path_for_terminal(p)),
            None => format!("shellsweep: {message}\n"),
        };
        let _ = io::stderr().write_all(line.as_bytes());
    }

    /// Writes what each destination held (for `-l`, the paths, to the one destination).
    fn flush_pending(&mut self) -> io::Result<()> {
        if self.files_only {
            let paths = self.with_findings_paths();
            for d in &mut self.dests {
                for (path, _) in &paths {
                    let line = text::path_line(path);
                    d.sink.write_all(line.as_bytes())?;
                    d.sink.write_all(b"\n")?;
                }
                d.sink.flush()?;
            }
            return Ok(());
        }
        if self.broken {
            return Ok(());
        }
        if self.dests.iter().any(Destination::has_pending) {
            self.clear_progress();
        }
        for d in &mut self.dests {
            d.flush_pending()?;
        }
        Ok(())
    }

    /// The paths with findings in byte order, for `-l`.
    fn with_findings_paths(&self) -> Vec<(PathBuf, bool)> {
        let mut v: Vec<(PathBuf, bool)> = self
            .with_findings
            .iter()
            .map(|(p, l)| (p.clone(), *l))
            .collect();
        v.sort_by(|a, b| path_bytes(&a.0).cmp(&path_bytes(&b.0)));
        v
    }

    fn summary(&mut self, summary: &Summary) -> io::Result<()> {
        let seen = text::Seen {
            files: self.with_findings.values().filter(|l| !**l).count() as u64,
            logs: self.with_findings.values().filter(|l| **l).count() as u64,
        };
        if self.summary_to_stderr {
            let color = io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut buf = Vec::new();
            text::write_summary(&mut buf, summary, self.min_severity, &seen, color)?;
            let _ = io::stderr().write_all(&buf);
        }
        if self.broken || self.files_only {
            return Ok(());
        }
        for d in &mut self.dests {
            match d.format {
                Format::Jsonl => {
                    let line = ecs::summary(summary, &self.observer).map_err(io::Error::other)?;
                    d.sink.write_all(line.as_bytes())?;
                    d.sink.write_all(b"\n")?;
                }
                Format::Ocsf => {
                    let line = ocsf::summary(summary, &self.observer).map_err(io::Error::other)?;
                    d.sink.write_all(line.as_bytes())?;
                    d.sink.write_all(b"\n")?;
                }
                Format::Text if !self.quiet => {
                    text::write_summary(&mut d.sink, summary, self.min_severity, &seen, d.color)?
                }
                Format::Text | Format::Csv => {}
            }
            d.sink.flush()?;
        }
        Ok(())
    }

    /// True (and remembered) when `e` means the reader went away.
    fn note_broken(&mut self, e: &io::Error) -> bool {
        if e.kind() == io::ErrorKind::BrokenPipe {
            self.broken = true;
        }
        self.broken
    }

    fn tick(&mut self) {
        if let Some(p) = &mut self.progress {
            p.draw();
        }
    }

    fn clear_progress(&mut self) {
        if let Some(p) = &mut self.progress {
            p.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{FileSubject, RuleInfo};

    fn finding() -> Finding {
        let mut rule = RuleInfo::ioc(crate::ioc::Kind::FileName, Severity::High);
        rule.name = "=cmd|' /C calc'!A0\nsecond line".into();
        Finding::bare(
            rule,
            Subject::File(FileSubject {
                path: "/w/a\"b,\u{202e}.php".into(),
                size: 3,
                modified: None,
                sha256: "ab".repeat(32),
                more_hashes: Vec::new(),
            }),
        )
    }

    #[test]
    fn one_finding_is_one_line_in_each_line_format() {
        let (f, o) = (finding(), Observer::placeholder());
        for format in [Format::Jsonl, Format::Ocsf, Format::Csv] {
            let line = line_for(format, &f, &o).unwrap();
            assert!(!line.contains(['\n', '\r']), "{format:?}: {line:?}");
        }
        assert_eq!(
            line_for(Format::Jsonl, &f, &o).unwrap(),
            ecs::finding(&f, &o).unwrap()
        );
        let ocsf: serde_json::Value =
            serde_json::from_str(&line_for(Format::Ocsf, &f, &o).unwrap()).unwrap();
        assert_eq!(ocsf["class_uid"], 2004);
        assert_eq!(ocsf["severity_id"], 4);
        assert!(line_for(Format::Csv, &f, &o).unwrap().contains(",'=cmd|"));
        assert!(matches!(
            line_for(Format::Text, &f, &o),
            Err(LineError::NotALineFormat("text"))
        ));
    }
}
