//! Writers: one thread owns the output, so a file's findings are never interleaved with
//! another's and no scanning thread waits on a slow terminal longer than a channel send.

pub mod carried;
pub mod ecs;
mod escape;
mod progress;
pub(crate) mod syslog;
mod text;
mod text_joins;
pub(crate) mod timeline;

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

pub use escape::{for_terminal, path_for_terminal};
pub(crate) use text::wrap as wrap_text;

use crate::common::bytes::path_bytes;
use crate::common::severity::Severity;
use crate::finding::{Finding, Subject};
use crate::summary::{ScanEvent, Stats, Summary};
use carried::Carried;
use ecs::Observer;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: a block per file (or log record) with every finding on it, sorted by
    /// path and line, and a summary.
    Text,
    /// One ECS-shaped JSON object per line; the last line is the summary.
    Jsonl,
}

/// Where and how to write.
#[derive(Clone, Debug)]
pub struct OutputConfig {
    pub format: Format,
    /// Append to this file instead of writing to stdout.
    pub file: Option<PathBuf>,
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
        let (dest, is_tty) = match &config.file {
            Some(path) => (Dest::File(open_append(path)?), false),
            None => {
                if STDOUT_CLOSED_AT_START.load(Ordering::Relaxed) {
                    return Err(io::Error::other(
                        "standard output is closed: the findings would be lost (use -o FILE)",
                    ));
                }
                let tty = io::stdout().is_terminal();
                (Dest::Stdout(io::stdout()), tty)
            }
        };
        let sink = LineSink::new(dest);
        let stderr_tty = io::stderr().is_terminal();
        let color =
            is_tty && config.format == Format::Text && std::env::var_os("NO_COLOR").is_none();
        let progress = (!config.quiet && stderr_tty).then(|| progress::Progress::new(stats));
        let (tx, rx) = mpsc::sync_channel::<Message>(1024);
        let (summary_tx, summary_rx) = mpsc::channel::<Summary>();
        let buffered = config.files_only || config.format == Format::Text || config.sort;
        let syslog = match config.syslog {
            Some(c) => Some(syslog::Syslog::start(c, &observer.host.hostname)?),
            None => None,
        };
        let mut w = Writer {
            sink,
            format: config.format,
            color,
            quiet: config.quiet,
            observer,
            progress,
            broken: false,
            buffered,
            pending: Vec::new(),
            pending_bytes: 0,
            with_findings: BTreeMap::new(),
            files_only: config.files_only,
            summary_to_stderr: !config.quiet && (config.file.is_some() || config.files_only),
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
                    w.sink.flush()?;
                    w.sink.inner.sync()?;
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

/// `--output` appends, so a SIEM shipper that tails the file never sees it shrink. A file
/// left ending in a torn line (a writer killed or out of space mid-line) first gets the
/// newline it lacks, so the torn line stays alone and the next ones parse.
fn open_append(path: &Path) -> io::Result<File> {
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    // Another run's write in progress can show as a torn line (the size grows page by page
    // while it copies), and two runs starting on a torn file would each add a newline: the
    // lock waits out writes (each takes it shared) and makes the second see the first's.
    let locked = lock(&file, Lock::Exclusive);
    if ends_in_torn_line(path) {
        file.write_all(b"\n")?;
    }
    if locked {
        unlock(&file);
    }
    Ok(file)
}

/// True when the file is not empty and its last byte is not a newline. A file this process
/// may append to but not read is taken as whole.
fn ends_in_torn_line(path: &Path) -> bool {
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    let mut last = [0u8; 1];
    f.seek(SeekFrom::End(-1)).is_ok() && f.read_exact(&mut last).is_ok() && last[0] != b'\n'
}

#[derive(Clone, Copy)]
enum Lock {
    /// While appending (runs append at once; the kernel keeps each write whole).
    Shared,
    /// While looking for a torn line and mending it.
    Exclusive,
}

/// Best effort: on a file system without locks, output is written unlocked.
#[cfg(unix)]
fn lock(file: &File, how: Lock) -> bool {
    use std::os::fd::AsRawFd;
    let op = match how {
        Lock::Shared => libc::LOCK_SH,
        Lock::Exclusive => libc::LOCK_EX,
    };
    // SAFETY: flock on a descriptor this process owns; no memory is passed.
    unsafe { libc::flock(file.as_raw_fd(), op) == 0 }
}

#[cfg(unix)]
fn unlock(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: as above.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
}

#[cfg(not(unix))]
fn lock(file: &File, how: Lock) -> bool {
    match how {
        Lock::Shared => file.lock_shared().is_ok(),
        Lock::Exclusive => file.lock().is_ok(),
    }
}

#[cfg(not(unix))]
fn unlock(file: &File) {
    let _ = file.unlock();
}

/// Where the output goes.
enum Dest {
    Stdout(io::Stdout),
    File(File),
}

impl Dest {
    /// Puts what was written on disk, when it is a file (a pipe or terminal has nothing to
    /// sync).
    fn sync(&mut self) -> io::Result<()> {
        match self {
            Dest::File(f) => f.sync_data(),
            Dest::Stdout(s) => {
                s.flush()?;
                match stdout_file(s) {
                    Some(f) if f.metadata().is_ok_and(|m| m.is_file()) => f.sync_data(),
                    _ => Ok(()),
                }
            }
        }
    }
}

/// A second handle on standard output, to sync it when it was redirected to a file.
#[cfg(unix)]
fn stdout_file(s: &io::Stdout) -> Option<File> {
    use std::os::fd::AsFd;
    s.as_fd().try_clone_to_owned().ok().map(File::from)
}

#[cfg(windows)]
fn stdout_file(s: &io::Stdout) -> Option<File> {
    use std::os::windows::io::AsHandle;
    s.as_handle().try_clone_to_owned().ok().map(File::from)
}

#[cfg(not(any(unix, windows)))]
fn stdout_file(_: &io::Stdout) -> Option<File> {
    None
}

impl Write for Dest {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Dest::Stdout(s) => s.write(buf),
            Dest::File(f) => f.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Dest::Stdout(s) => s.write_all(buf),
            Dest::File(f) => {
                let locked = lock(f, Lock::Shared);
                let result = f.write_all(buf);
                if locked {
                    unlock(f);
                }
                result
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Dest::Stdout(s) => s.flush(),
            Dest::File(f) => f.flush(),
        }
    }
}

/// Hands whole lines to the destination, each batch in one `write`: with `O_APPEND`, runs
/// appending to one file at once then never interleave parts of their lines, and a writer
/// killed between writes leaves no half line. (Serializers write a line in many small
/// pieces; a plain buffer would pass a line's head and tail in two writes when it fills.)
struct LineSink<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

/// Whole lines held beyond this go out without waiting for a flush.
const LINE_BATCH: usize = 64 * 1024;

impl<W: Write> LineSink<W> {
    fn new(inner: W) -> LineSink<W> {
        LineSink {
            inner,
            buf: Vec::with_capacity(LINE_BATCH),
        }
    }

    /// Writes the held whole lines; a line not finished yet stays.
    fn write_lines(&mut self) -> io::Result<()> {
        let Some(end) = memchr::memrchr(b'\n', &self.buf).map(|i| i + 1) else {
            return Ok(());
        };
        let result = self.inner.write_all(&self.buf[..end]);
        // After a failure nothing is written again: the run is stopping on the error.
        self.buf.drain(..end);
        result
    }
}

impl<W: Write> Write for LineSink<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= LINE_BATCH {
            self.write_lines()?;
        }
        Ok(data.len())
    }

    /// Writes everything held; callers flush at the end of a line.
    fn flush(&mut self) -> io::Result<()> {
        self.write_lines()?;
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            self.inner.write_all(&rest)?;
        }
        self.inner.flush()
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
    sink: LineSink<Dest>,
    format: Format,
    color: bool,
    quiet: bool,
    observer: Observer,
    progress: Option<progress::Progress>,
    broken: bool,
    /// Findings are held and written sorted at the end (text, `--sort`, `-l`), so that the
    /// order does not depend on which thread finished first.
    buffered: bool,
    pending: Vec<text::Block>,
    pending_bytes: usize,
    /// Every path with findings, and whether it is a log.
    with_findings: BTreeMap<PathBuf, bool>,
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

/// Held output beyond this is written out as it stands and the rest streamed unsorted, so a
/// run with millions of findings cannot exhaust memory (said on stderr when it happens).
const PENDING_MAX: usize = 256 << 20;

impl Writer {
    fn handle(&mut self, msg: Message) -> io::Result<()> {
        match msg {
            Message::Findings(findings) => {
                if let Some(s) = &mut self.syslog {
                    for f in &findings {
                        s.send(syslog::finding_entry(f, &self.observer).map_err(io::Error::other)?);
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
                let blocks = match self.format {
                    Format::Text => text::blocks(&findings, self.color),
                    Format::Jsonl => findings
                        .iter()
                        .enumerate()
                        .map(|(rank, f)| {
                            let mut line =
                                ecs::finding(f, &self.observer).map_err(io::Error::other)?;
                            line.push('\n');
                            Ok(text::Block {
                                path: path_bytes(f.subject.path()).into_owned(),
                                line: f.line().unwrap_or(0),
                                rank,
                                text: line,
                            })
                        })
                        .collect::<io::Result<Vec<_>>>()?,
                };
                if self.buffered {
                    self.pending_bytes += blocks.iter().map(|b| b.text.len()).sum::<usize>();
                    self.pending.extend(blocks);
                    if self.pending_bytes > PENDING_MAX {
                        self.stderr_line(
                            None,
                            "over 256 MiB of findings held for sorting: writing them now, and the rest as found (unsorted); --format jsonl streams without holding",
                        );
                        self.flush_pending()?;
                        self.buffered = false;
                    }
                    return Ok(());
                }
                self.clear_progress();
                for b in &blocks {
                    self.sink.write_all(b.text.as_bytes())?;
                }
                // Findings are rare and someone may be tailing: hand them over at once.
                self.sink.flush()
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
                // The JSON line is made once: its `@timestamp` is the time of writing, and
                // syslog gets the same bytes as the output.
                let want_line = self.format == Format::Jsonl
                    || self.timeline.is_some()
                    || self.syslog.is_some();
                if !self.broken {
                    self.clear_progress();
                }
                for c in &found {
                    // The timeline reads the line a JSON run writes, in text runs too.
                    let line = if want_line {
                        Some(
                            ecs::carried(&c.doc, &c.first_seen, &self.observer)
                                .map_err(io::Error::other)?,
                        )
                    } else {
                        None
                    };
                    if let (Some(s), Some(line)) = (&mut self.syslog, &line) {
                        s.send(syslog::carried_entry(c, line.clone()));
                    }
                    if self.broken {
                        continue;
                    }
                    if let (Some(t), Some(line)) = (&mut self.timeline, &line) {
                        t.add(&serde_json::from_str(line).map_err(io::Error::other)?);
                    }
                    match (self.format, line) {
                        (Format::Jsonl, Some(line)) => {
                            self.sink.write_all(line.as_bytes())?;
                            self.sink.write_all(b"\n")?;
                        }
                        _ => carried_text(&mut self.sink, &path, c)?,
                    }
                }
                if self.broken {
                    return Ok(());
                }
                self.sink.flush()
            }
            Message::Event(event) => {
                if self.broken || self.format != Format::Jsonl {
                    return Ok(());
                }
                let line = ecs::scan_event(&event, &self.observer).map_err(io::Error::other)?;
                self.sink.write_all(line.as_bytes())?;
                self.sink.write_all(b"\n")
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

    /// Writes what was held, sorted by path, then line (then the order within the file's
    /// message, then text, so that blocks of one path and line come in the same order
    /// every run).
    fn flush_pending(&mut self) -> io::Result<()> {
        let mut pending = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        if self.files_only {
            for (path, _) in self.with_findings_paths() {
                if self.broken {
                    break;
                }
                let line = text::path_line(&path);
                self.sink.write_all(line.as_bytes())?;
                self.sink.write_all(b"\n")?;
            }
            return self.sink.flush();
        }
        if pending.is_empty() || self.broken {
            return Ok(());
        }
        pending.sort_by(|a, b| {
            (&a.path, a.line, a.rank, &a.text).cmp(&(&b.path, b.line, b.rank, &b.text))
        });
        self.clear_progress();
        for b in &pending {
            self.sink.write_all(b.text.as_bytes())?;
        }
        self.sink.flush()
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
        if self.broken {
            return Ok(());
        }
        match self.format {
            _ if self.files_only => {}
            Format::Jsonl => {
                let line = ecs::summary(summary, &self.observer).map_err(io::Error::other)?;
                self.sink.write_all(line.as_bytes())?;
                self.sink.write_all(b"\n")?;
            }
            Format::Text if !self.quiet => text::write_summary(
                &mut self.sink,
                summary,
                self.min_severity,
                &seen,
                self.color,
            )?,
            Format::Text => {}
        }
        self.sink.flush()
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

    /// Keeps each `write` call apart.
    struct Calls(Vec<Vec<u8>>);

    impl Write for Calls {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn each_write_holds_only_whole_lines() {
        let mut sink = LineSink::new(Calls(Vec::new()));
        let mut expected = Vec::new();
        for i in 0..5000 {
            let line = format!("{{\"n\":{i},\"pad\":\"{}\"}}\n", "x".repeat(i % 300));
            // In small pieces, as a serializer writes them, and flushed now and then.
            for piece in line.as_bytes().chunks(7) {
                sink.write_all(piece).unwrap();
            }
            if i % 700 == 0 {
                sink.flush().unwrap();
            }
            expected.extend_from_slice(line.as_bytes());
        }
        sink.flush().unwrap();
        let calls = &sink.inner.0;
        assert!(calls.len() > 10, "{} writes", calls.len());
        for c in calls {
            assert!(c.ends_with(b"\n") && c.len() <= LINE_BATCH + 400);
        }
        assert_eq!(calls.concat(), expected);
    }

    #[test]
    fn only_a_file_ending_mid_line_is_torn() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("o.jsonl");
        assert!(!ends_in_torn_line(&p), "missing");
        std::fs::write(&p, b"").unwrap();
        assert!(!ends_in_torn_line(&p), "empty");
        std::fs::write(&p, b"{}\n").unwrap();
        assert!(!ends_in_torn_line(&p));
        std::fs::write(&p, b"{}\n{\"a\":").unwrap();
        assert!(ends_in_torn_line(&p));
        open_append(&p).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"{}\n{\"a\":\n");
        open_append(&p).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"{}\n{\"a\":\n", "mended once");
    }
}
