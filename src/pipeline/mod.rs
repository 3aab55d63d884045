//! One scan: walk the paths and route each file to the file job or the log scanner; the
//! findings go to the writer.
//!
//! This module only routes. How bytes become text is `read`'s; matching a log, and
//! splitting a large one across threads, is `logscan`'s; what gets reported is `policy`'s.

mod evidence;
mod file;
mod log;
mod scripts;
mod stdin;

pub use evidence::{Evidence, FileHit, MAX_SEEDS, ScriptFile, Seed, one_above};

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::mpsc::SyncSender;

use crate::baseline::Baseline;
use crate::engine::{Engine, Memo, Scratch};
use crate::finding::Finding;
use crate::ioc::IocSet;
use crate::logscan::{LogError, LogOptions, LogScanner, Sink};
use crate::output::Message;
use crate::policy::Policy;
use crate::read::ReadPolicy;
use crate::state::{Collector, Previous};
use crate::summary::{ScanEvent, Skip, Stats};
use crate::walk::{self, Entry, Flow, SkipReason, WalkConfig};

/// Everything a scan needs besides the engine and the writer.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    pub roots: Vec<PathBuf>,
    pub walk: WalkConfig,
    pub read: ReadPolicy,
    /// Minimum severity, IOC severity and allowlists.
    pub policy: Policy,
    pub iocs: Arc<IocSet>,
    pub logs: LogOptions,
    /// Decoded bytes of one compressed or transcoded log beyond which reading stops.
    pub max_decompressed: u64,
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
    /// `--yara`: the YARA rules, compiled once for the program's run (they live as long
    /// as the process, so that each thread's scanner, which borrows them, can be kept in
    /// a thread-local: a yara-x scanner cannot move between threads).
    pub yara: Option<&'static crate::yara::YaraRules>,
    /// `--yara-timeout`: how long the YARA rules may take on one file.
    pub yara_timeout: Option<std::time::Duration>,
    /// `--baseline`: the known-good files each scanned folder is compared with.
    pub baseline: Option<Arc<Baseline>>,
    /// Notes for correlation after the walk (None when a pass must leave none: the
    /// correlation's own log passes).
    pub evidence: Option<Arc<Evidence>>,
}

pub(crate) use crate::read::STDIN;

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

/// How much of a file is read first, to tell logs from other files.
const HEAD: usize = 64 * 1024;

/// Why a file was not scanned to its end (the message of its error event).
#[derive(Debug, thiserror::Error)]
enum RouteError {
    #[error("reading log: {0}")]
    Log(#[from] LogError),
    /// The limit or damage cut a compressed file's head short of telling whether it is a
    /// log.
    #[error("reading compressed file: {0}")]
    Compressed(#[source] io::Error),
    #[error("reading standard input: {0}")]
    Stdin(#[source] io::Error),
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Scans `config.roots`, sending findings and per-file problems to `sink`. Returns when the
/// walk is done or `stop` was raised.
pub fn run(
    engine: &Arc<Engine>,
    config: &Arc<ScanConfig>,
    sink: &SyncSender<Message>,
    stats: &Arc<Stats>,
    stop: &Arc<AtomicBool>,
) {
    let logs = Arc::new(
        LogScanner::builder()
            .options(config.logs.clone())
            .policy(config.policy.clone())
            .threads(config.walk.threads)
            .build(Arc::clone(engine), Arc::clone(&config.iocs)),
    );
    let (stdin, roots): (Vec<&PathBuf>, Vec<&PathBuf>) =
        config.roots.iter().partition(|r| is_stdin(r));
    let roots = present_roots(&roots, config, sink, stats);
    let memo = Arc::new(Memo::new());
    let worker = || Worker {
        engine: Arc::clone(engine),
        memo: Arc::clone(&memo),
        logs: Arc::clone(&logs),
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
    if let Some(baseline) = &config.baseline {
        compare_baseline(baseline, &roots, &worker(), stop);
    }
}

/// Compares each scanned folder with the baseline, after the walk. The findings go through
/// the same sink as the others but never into the state (`--state`): they are computed
/// afresh on every run, as a changed file may have been put back, so a carried-over copy
/// could be stale and a recomputed one would double it.
fn compare_baseline(
    baseline: &Baseline,
    roots: &[PathBuf],
    worker: &Worker,
    stop: &Arc<AtomicBool>,
) {
    let mut sink = worker.findings_sink();
    let only_folder = roots.iter().filter(|r| r.is_dir()).count() == 1;
    for root in roots {
        if stop.load(Relaxed) || !root.is_dir() {
            continue;
        }
        match baseline.compare(root, only_folder, &worker.config.walk, stop) {
            Ok(None) => {}
            Ok(Some(crate::baseline::Compared { findings, errors })) => {
                for message in errors {
                    worker.stats.errors.fetch_add(1, Relaxed);
                    worker.event(ScanEvent::error(Some(root.clone()), message.clone()));
                    worker.send(Message::FileError(None, format!("baseline: {message}")));
                }
                let policy = &worker.config.policy;
                for f in findings {
                    // `--min-severity` applies as to every finding.
                    if policy.reports(f.severity()) {
                        sink.findings(vec![f]);
                    } else {
                        worker
                            .stats
                            .findings_below_min_severity
                            .fetch_add(1, Relaxed);
                    }
                }
            }
            Err(message) => worker.send(Message::Notice(
                None,
                format!("baseline: {message}; not compared"),
            )),
        }
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
    /// What the rules found in the scripts scanned so far, by contents (see `engine::Memo`).
    memo: Arc<Memo>,
    /// The log scanner, built once for the rules and IOC lists.
    logs: Arc<LogScanner>,
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

    fn error(&self, path: &Path, message: impl std::fmt::Display) {
        let message = message.to_string();
        self.stats.errors.fetch_add(1, Relaxed);
        self.event(ScanEvent::error(Some(path.to_path_buf()), message.clone()));
        self.send(Message::FileError(Some(path.to_path_buf()), message));
    }

    /// The JSON event line of an error or skip, while the run's budget for them lasts.
    fn event(&self, event: ScanEvent) {
        send_event(&self.stats, &self.sink, event);
    }

    /// Where the findings of this thread's files and logs go.
    fn findings_sink(&self) -> Deliver {
        Deliver {
            stats: Arc::clone(&self.stats),
            config: Arc::clone(&self.config),
            tx: self.sink.clone(),
        }
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
            Entry::File(path) => {
                if let Some(ev) = &self.config.evidence
                    && crate::webroot::WebrootMap::config_kind(path).is_some()
                {
                    ev.config(path);
                }
                self.file(path);
                crate::read::recycle(&mut self.buf);
            }
        }
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

/// The findings sink of the pipeline: counts findings and hands them to the writer, except
/// those an allowlist entry silences (counted apart).
#[derive(Clone)]
struct Deliver {
    stats: Arc<Stats>,
    config: Arc<ScanConfig>,
    tx: SyncSender<Message>,
}

impl Sink for Deliver {
    fn findings(&mut self, mut findings: Vec<Finding>) {
        let allowed = self.config.policy.drop_allowed(&mut findings);
        self.stats.findings_allowed.fetch_add(allowed, Relaxed);
        if let Some(ev) = &self.config.evidence {
            ev.findings(&findings);
        }
        for f in &findings {
            self.stats.finding(f.severity());
        }
        if !findings.is_empty() {
            // The writer only goes away when output failed, and then `stop` is raised.
            let _ = self.tx.send(Message::Findings(findings));
        }
    }
}
