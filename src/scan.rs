//! One scan: walk the paths, read each file once, match it, and hand findings to the writer.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::mpsc::SyncSender;

use crate::engine::Engine;
use crate::finding::{Finding, sha256_hex};
use crate::output::Message;
use crate::read::{NotRead, ReadPolicy, read_file};
use crate::rules::Severity;
use crate::summary::{Skip, Stats};
use crate::walk::{self, Entry, Flow, WalkConfig};

/// Everything a scan needs besides the engine and the writer.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    pub roots: Vec<PathBuf>,
    pub walk: WalkConfig,
    pub read: ReadPolicy,
    /// Findings below this are counted but not reported.
    pub min_severity: Severity,
}

/// Scans `config.roots` with `engine`, sending findings and per-file problems to `sink`.
/// Returns when the walk is done or `stop` was raised.
pub fn run(
    engine: &Arc<Engine>,
    config: &ScanConfig,
    sink: &SyncSender<Message>,
    stats: &Arc<Stats>,
    stop: &Arc<AtomicBool>,
) {
    walk::walk(&config.roots, &config.walk, || {
        let engine = Arc::clone(engine);
        let stats = Arc::clone(stats);
        let stop = Arc::clone(stop);
        let sink = sink.clone();
        let read = config.read.clone();
        let min_severity = config.min_severity;
        let mut scratch = engine.scratch();
        let mut buf = Vec::new();
        move |entry: Entry<'_>| {
            if stop.load(Relaxed) {
                return Flow::Quit;
            }
            let send = |m: Message| {
                // The writer only goes away when output failed, and then `stop` is raised.
                let _ = sink.send(m);
            };
            match entry {
                Entry::Skipped(path, reason) => {
                    stats.skip(Skip::Walk(reason));
                    if matches!(
                        reason,
                        walk::SkipReason::SymlinkLoop | walk::SkipReason::DanglingSymlink
                    ) {
                        send(Message::Notice(
                            Some(path.to_path_buf()),
                            format!("skipped: {}", reason.as_str().replace('_', " ")),
                        ));
                    }
                }
                Entry::Error(path, message) => {
                    stats.errors.fetch_add(1, Relaxed);
                    send(Message::FileError(path.map(PathBuf::from), message));
                }
                Entry::File(path) => {
                    if !engine.applies_to(path, &mut scratch) {
                        stats.files_without_rules.fetch_add(1, Relaxed);
                        return Flow::Continue;
                    }
                    let meta = match read_file(path, &read, &mut buf) {
                        Ok(meta) => meta,
                        Err(NotRead::TooLarge(size)) => {
                            stats.skip(Skip::TooLarge);
                            send(Message::Notice(
                                Some(path.to_path_buf()),
                                format!(
                                    "skipped: {size} bytes is over --max-filesize ({} bytes)",
                                    read.max_size
                                ),
                            ));
                            return Flow::Continue;
                        }
                        Err(NotRead::NotRegular) => {
                            stats.skip(Skip::Walk(walk::SkipReason::Special));
                            return Flow::Continue;
                        }
                        Err(NotRead::Own) => {
                            stats.skip(Skip::OwnFile);
                            return Flow::Continue;
                        }
                        Err(NotRead::Io(e)) => {
                            stats.errors.fetch_add(1, Relaxed);
                            send(Message::FileError(Some(path.to_path_buf()), e.to_string()));
                            return Flow::Continue;
                        }
                    };
                    stats.files_scanned.fetch_add(1, Relaxed);
                    stats.bytes_scanned.fetch_add(buf.len() as u64, Relaxed);
                    let hits = engine.scan(path, &buf, &mut scratch);
                    if hits.is_empty() {
                        return Flow::Continue;
                    }
                    let sha256 = sha256_hex(&buf);
                    let mut findings = Vec::new();
                    for hit in hits {
                        if hit.rule.severity < min_severity {
                            stats.findings_below_min_severity.fetch_add(1, Relaxed);
                            continue;
                        }
                        stats.finding(hit.rule.severity);
                        findings.push(Finding::from_hit(hit, path, &buf, meta.modified, &sha256));
                    }
                    if !findings.is_empty() {
                        send(Message::Findings(findings));
                    }
                }
            }
            Flow::Continue
        }
    });
}
