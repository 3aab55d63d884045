//! Counting what a scan did, and the summary record that ends every run.
//!
//! The counters are shared by all scanning threads. The summary says what was skipped and
//! why, so a run that could not look at everything never reads as "clean".

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::common::severity::Severity;
use crate::walk::SkipReason;

/// Why a file was not scanned, beyond what the walker passes over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    Walk(SkipReason),
    /// Above `--max-filesize`.
    TooLarge,
    /// One of the scanner's own files (output, rules, binary).
    OwnFile,
    /// A path argument that does not exist, with `--skip-missing`.
    Missing,
    /// The rules took longer than `--file-timeout` on it.
    TimedOut,
    /// The YARA rules took longer than `--yara-timeout` on it (its other findings stand).
    YaraTimedOut,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Walk(r) => r.as_str(),
            Skip::TooLarge => "too_large",
            Skip::OwnFile => "own_file",
            Skip::Missing => "missing",
            Skip::TimedOut => "timed_out",
            Skip::YaraTimedOut => "yara_timed_out",
        }
    }

    const ALL: [Skip; 10] = [
        Skip::Walk(SkipReason::Excluded),
        Skip::Walk(SkipReason::Symlink),
        Skip::Walk(SkipReason::SymlinkLoop),
        Skip::Walk(SkipReason::DanglingSymlink),
        Skip::Walk(SkipReason::Special),
        Skip::TooLarge,
        Skip::OwnFile,
        Skip::Missing,
        Skip::TimedOut,
        Skip::YaraTimedOut,
    ];

    fn index(self) -> usize {
        Skip::ALL.iter().position(|s| *s == self).expect("listed")
    }

    /// Skips that leave content unexamined that should have been examined. A link not
    /// followed may lead to the web root's real files (a deploy folder, an upload share).
    pub fn leaves_gap(self) -> bool {
        matches!(
            self,
            Skip::TooLarge | Skip::TimedOut | Skip::YaraTimedOut | Skip::Walk(SkipReason::Symlink)
        )
    }
}

/// Counters shared by the scanning threads.
#[derive(Debug, Default)]
pub struct Stats {
    pub files_scanned: AtomicU64,
    pub bytes_scanned: AtomicU64,
    /// Files to which no loaded rule applies (by extension or path); not read.
    pub files_without_rules: AtomicU64,
    skipped: [AtomicU64; 10],
    pub errors: AtomicU64,
    findings: [AtomicU64; 4],
    pub findings_below_min_severity: AtomicU64,
    /// Findings an allowlist entry silenced.
    pub findings_allowed: AtomicU64,
    /// Findings of unchanged files reported again from the state (`--state`); also counted
    /// by severity.
    pub findings_carried_over: AtomicU64,
    pub logs_scanned: AtomicU64,
    /// Files skipped by an incremental sweep as unchanged since the last one.
    pub files_unchanged: AtomicU64,
    /// Logs an incremental sweep resumed where the last one stopped.
    pub logs_resumed: AtomicU64,
    /// Decoded (decompressed) bytes of logs.
    pub log_bytes: AtomicU64,
    pub log_records: AtomicU64,
    pub log_records_outside_window: AtomicU64,
    pub log_lines_truncated: AtomicU64,
    /// Lines and ULS records an incremental sweep left to the next one (see [`LogCounts`]).
    pub log_lines_pending: AtomicU64,
    pub log_lines_unparsed: AtomicU64,
    /// Pivot events written, and found but not written (past the bound on what the pivot
    /// holds): every one found is in one of the two.
    pub pivot_events: AtomicU64,
    pub pivot_events_not_shown: AtomicU64,
    /// Clients of exploit requests the server all refused: not followed by the pivot.
    pub pivot_addresses_refused: AtomicU64,
    /// The first [`LISTED_SYMLINKS`] links not followed, for the summary.
    symlinks_not_followed: Mutex<Vec<String>>,
    /// Event lines for gaps (errors, skips that leave content unexamined) and for other
    /// skips, each bounded by [`MAX_EVENTS`]; what is over the bound is only counted.
    gap_events: AtomicU64,
    other_events: AtomicU64,
}

/// Event lines of one kind (gaps, other skips) written per run; the rest are counted in the
/// summary. Two budgets, so that thousands of excluded paths cannot crowd out an error.
pub const MAX_EVENTS: u64 = 1000;

/// How many links not followed the summary names; the rest are counted.
pub const LISTED_SYMLINKS: usize = 100;

impl Stats {
    pub fn skip(&self, why: Skip) {
        self.skipped[why.index()].fetch_add(1, Relaxed);
    }

    /// Records a link that was not followed; true when it is among those the summary names.
    pub fn symlink_not_followed(&self, path: &Path) -> bool {
        let Ok(mut list) = self.symlinks_not_followed.lock() else {
            return false;
        };
        if list.len() >= LISTED_SYMLINKS {
            return false;
        }
        list.push(path.to_string_lossy().into_owned());
        true
    }

    /// Whether an event line for `event` may still be written (and counts it either way).
    pub fn event_slot(&self, event: &ScanEvent) -> bool {
        let counter = if event.is_gap() {
            &self.gap_events
        } else {
            &self.other_events
        };
        counter.fetch_add(1, Relaxed) < MAX_EVENTS
    }

    fn events_left_out(&self) -> u64 {
        [&self.gap_events, &self.other_events]
            .iter()
            .map(|c| c.load(Relaxed).saturating_sub(MAX_EVENTS))
            .sum()
    }

    pub fn finding(&self, severity: Severity) {
        self.findings[severity as usize].fetch_add(1, Relaxed);
    }

    pub fn findings_total(&self) -> u64 {
        self.findings.iter().map(|f| f.load(Relaxed)).sum()
    }

    /// Something that should have been scanned was not: an error, a size skip, or a log line
    /// over the line limit (its fields were never parsed whole).
    pub fn incomplete(&self) -> bool {
        self.errors.load(Relaxed) > 0
            || self.log_lines_truncated.load(Relaxed) > 0
            || Skip::ALL
                .iter()
                .any(|s| s.leaves_gap() && self.skipped[s.index()].load(Relaxed) > 0)
    }

    pub fn snapshot(&self, run: RunInfo) -> Summary {
        let skipped = Skip::ALL
            .iter()
            .map(|s| (s.as_str(), self.skipped[s.index()].load(Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect();
        let findings = Severity::ALL
            .iter()
            .map(|s| (s.as_str(), self.findings[*s as usize].load(Relaxed)))
            .collect();
        Summary {
            files_scanned: self.files_scanned.load(Relaxed),
            bytes_scanned: self.bytes_scanned.load(Relaxed),
            files_without_rules: self.files_without_rules.load(Relaxed),
            files_skipped: skipped,
            errors: self.errors.load(Relaxed),
            findings,
            findings_total: self.findings_total(),
            findings_below_min_severity: self.findings_below_min_severity.load(Relaxed),
            findings_allowed: self.findings_allowed.load(Relaxed),
            findings_carried_over: self.findings_carried_over.load(Relaxed),
            files_unchanged: self.files_unchanged.load(Relaxed),
            events_left_out: self.events_left_out(),
            pivot: PivotCounts {
                events: self.pivot_events.load(Relaxed),
                events_not_shown: self.pivot_events_not_shown.load(Relaxed),
                addresses_refused: self.pivot_addresses_refused.load(Relaxed),
            },
            logs: LogCounts {
                logs_scanned: self.logs_scanned.load(Relaxed),
                resumed: self.logs_resumed.load(Relaxed),
                bytes: self.log_bytes.load(Relaxed),
                records: self.log_records.load(Relaxed),
                records_outside_window: self.log_records_outside_window.load(Relaxed),
                lines_truncated: self.log_lines_truncated.load(Relaxed),
                lines_pending: self.log_lines_pending.load(Relaxed),
                lines_unparsed: self.log_lines_unparsed.load(Relaxed),
            },
            // A run stopped early did not look at everything.
            complete: !self.incomplete() && !run.interrupted,
            symlinks_not_followed: {
                let mut list = self
                    .symlinks_not_followed
                    .lock()
                    .map(|l| l.clone())
                    .unwrap_or_default();
                list.sort();
                list
            },
            run,
            syslog: None,
        }
    }
}

/// Facts about the run that are not counters.
#[derive(Clone, Debug)]
pub struct RunInfo {
    pub started: jiff::Timestamp,
    pub duration_ms: u64,
    pub rules_loaded: usize,
    pub threads: usize,
    pub paths: Vec<String>,
    pub excludes: Vec<String>,
    /// Output stopped early because the reader went away (`| head`).
    pub interrupted: bool,
    pub indicators_loaded: usize,
    /// Indicators loaded, by kind (`ipv4`, `domain`, `sha256`, ...): what the lists gave.
    pub indicators: BTreeMap<&'static str, usize>,
    /// IOC list lines that could not be used (each reported on stderr).
    pub ioc_lines_rejected: usize,
    pub rule_sets: RuleSets,
}

/// `rules_loaded` by language, so that a SIEM can tell a run that had the Sigma or YARA
/// rules it was given from one that did not.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RuleSets {
    /// The bundled rules and those of `--rules`.
    pub shellsweep: usize,
    /// Only when `--sigma` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma: Option<SigmaSet>,
    /// Rules compiled from `--yara`; only when it was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yara: Option<usize>,
}

/// What became of the `--sigma` rule files (the stderr line says the same).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct SigmaSet {
    pub loaded: usize,
    /// Rules for other log sources than web servers.
    pub not_applicable: usize,
    /// Rules using something shellsweep does not evaluate (`SSW-W006`, each named).
    pub refused: usize,
    /// Files that are not well-formed Sigma rules.
    pub with_errors: usize,
}

/// A snapshot of the counters at the end of a run.
#[derive(Clone, Debug)]
pub struct Summary {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub files_without_rules: u64,
    pub files_skipped: BTreeMap<&'static str, u64>,
    pub errors: u64,
    pub findings: BTreeMap<&'static str, u64>,
    pub findings_total: u64,
    pub findings_below_min_severity: u64,
    pub findings_allowed: u64,
    pub findings_carried_over: u64,
    pub files_unchanged: u64,
    /// Error and skip event lines not written (over [`MAX_EVENTS`]); counted above.
    pub events_left_out: u64,
    pub pivot: PivotCounts,
    pub logs: LogCounts,
    pub complete: bool,
    /// The first links not followed, sorted (their count is `files_skipped["symlink"]`).
    pub symlinks_not_followed: Vec<String>,
    pub run: RunInfo,
    /// What `--syslog` delivered; set by the writer once the sender is done.
    pub syslog: Option<SyslogCounts>,
}

/// What became of the `--syslog` messages (findings, pivot events, carried-over findings).
/// Each message is counted once, as sent or as undelivered.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyslogCounts {
    /// Delivered, as far as the transport can tell: over TCP and TLS, read by the receiver
    /// before it closed the stream (or sent long enough before); over UDP, handed to the
    /// network.
    pub sent: u64,
    /// Not delivered (or not known to be): they are in the regular output, and the run
    /// exits 2.
    pub undelivered: u64,
    /// Sent again after a reconnection (the receiver may hold them twice: `event.id` tells).
    pub resent: u64,
    /// Over UDP, too large for one datagram (counted as undelivered too).
    pub oversized: u64,
}

/// What the pivot wrote and what it left out (see `correlate`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PivotCounts {
    /// Pivot events written.
    pub events: u64,
    /// Pivot events found but not written: past the first of each address that the pivot
    /// holds. Written + not shown = found.
    pub events_not_shown: u64,
    /// Clients of exploit requests that the server all refused (400 or above): not
    /// followed.
    pub addresses_refused: u64,
}

/// What the log part of a scan did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct LogCounts {
    pub logs_scanned: u64,
    /// Logs resumed where the previous sweep stopped (`--state`).
    pub resumed: u64,
    /// Decoded (decompressed) bytes read in this run (only the new part of resumed logs).
    pub bytes: u64,
    pub records: u64,
    /// Records left out by `--since`/`--until`.
    pub records_outside_window: u64,
    /// Lines longer than the line limit: their fields are parsed from their head only (the
    /// rest is searched by the rules that match lines as logged), and the run is incomplete.
    pub lines_truncated: u64,
    /// Left to the next sweep (`--state`): an unterminated last line of a log still being
    /// written, a ULS record still waiting for its continuation. They are matched once
    /// finished, or by the next sweep that finds the log unchanged or rotated.
    pub lines_pending: u64,
    /// Lines of logs that no format's parser took (junk, or every line of a log of no known
    /// format): matched as text, by the rules that match lines as logged and IOC tokens.
    pub lines_unparsed: u64,
}

impl Summary {
    /// One line for people.
    pub fn sentence(&self) -> String {
        let mut s = format!(
            "scanned {} files ({}) in {} ms with {} rules: {} findings",
            self.files_scanned,
            human_bytes(self.bytes_scanned),
            self.run.duration_ms,
            self.run.rules_loaded,
            self.findings_total
        );
        // Most severe first; the map itself is ordered by name.
        let by_sev: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .filter_map(|s| {
                let n = self.findings.get(s.as_str()).copied().unwrap_or(0);
                (n > 0).then(|| format!("{n} {}", s.as_str()))
            })
            .collect();
        if !by_sev.is_empty() {
            s.push_str(&format!(" ({})", by_sev.join(", ")));
        }
        if self.logs.logs_scanned > 0 {
            s.push_str(&format!(
                ", {} logs ({} records, {})",
                self.logs.logs_scanned,
                self.logs.records,
                human_bytes(self.logs.bytes)
            ));
        }
        if self.run.indicators_loaded > 0 {
            let kinds: Vec<String> = self
                .run
                .indicators
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            s.push_str(&format!(
                ", {} indicators ({})",
                self.run.indicators_loaded,
                kinds.join(", ")
            ));
        }
        if self.run.ioc_lines_rejected > 0 {
            s.push_str(&format!(
                ", {} IOC list {} rejected",
                self.run.ioc_lines_rejected,
                if self.run.ioc_lines_rejected == 1 {
                    "entry"
                } else {
                    "entries"
                }
            ));
        }
        if self.findings_allowed > 0 {
            s.push_str(&format!(", {} allowed by allowlist", self.findings_allowed));
        }
        if self.pivot.events_not_shown > 0 {
            s.push_str(&format!(
                ", {} pivot events ({} not shown)",
                self.pivot.events + self.pivot.events_not_shown,
                self.pivot.events_not_shown
            ));
        }
        s.push_str(&format!(", {} errors", self.errors));
        if self.files_unchanged > 0 {
            s.push_str(&format!(
                ", {} unchanged since the last sweep",
                self.files_unchanged
            ));
        }
        if self.findings_carried_over > 0 {
            s.push_str(&format!(
                " ({} findings in them carried over: still there)",
                self.findings_carried_over
            ));
        }
        if self.files_without_rules > 0 {
            s.push_str(&format!(
                ", {} files no rule applies to",
                self.files_without_rules
            ));
        }
        if !self.files_skipped.is_empty() {
            let parts: Vec<String> = self
                .files_skipped
                .iter()
                .map(|(k, n)| format!("{n} {}", k.replace('_', " ")))
                .collect();
            s.push_str(&format!(", skipped: {}", parts.join(", ")));
        }
        if !self.complete {
            s.push_str(" — INCOMPLETE: not everything could be scanned");
        }
        s
    }
}

/// What a scan could not look at, or chose not to: one JSON event line each, so that a SIEM
/// sees which paths a run left out and why, not only a count.
#[derive(Clone, Debug)]
pub struct ScanEvent {
    pub path: Option<PathBuf>,
    pub what: EventKind,
    /// The file's size, when it is why (`too_large`).
    pub size: Option<u64>,
}

#[derive(Clone, Debug)]
pub enum EventKind {
    /// Something could not be read or walked: the message says why.
    Error(String),
    /// Passed over, for this reason; `detail` says more for people (may be empty).
    Skipped { why: Skip, detail: String },
}

impl ScanEvent {
    pub fn error(path: Option<PathBuf>, message: impl Into<String>) -> ScanEvent {
        ScanEvent {
            path,
            what: EventKind::Error(message.into()),
            size: None,
        }
    }

    pub fn skipped(path: PathBuf, why: Skip, detail: impl Into<String>) -> ScanEvent {
        ScanEvent {
            path: Some(path),
            what: EventKind::Skipped {
                why,
                detail: detail.into(),
            },
            size: None,
        }
    }

    /// Errors, and skips that leave a gap, make a run incomplete: their outcome is a failure.
    pub fn is_gap(&self) -> bool {
        match &self.what {
            EventKind::Error(_) => true,
            EventKind::Skipped { why, .. } => why.leaves_gap(),
        }
    }
}

/// Bytes in binary units with one decimal.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_and_link_skips_make_a_run_incomplete_but_excludes_do_not() {
        let s = Stats::default();
        s.skip(Skip::Walk(SkipReason::Excluded));
        assert!(!s.incomplete());
        s.skip(Skip::TooLarge);
        assert!(s.incomplete());
        let s = Stats::default();
        s.skip(Skip::Walk(SkipReason::Symlink));
        assert!(s.incomplete());
    }

    #[test]
    fn errors_keep_their_own_event_budget() {
        let s = Stats::default();
        let skip = ScanEvent::skipped("a".into(), Skip::Walk(SkipReason::Excluded), "");
        let error = ScanEvent::error(None, "boom");
        for _ in 0..MAX_EVENTS + 5 {
            s.event_slot(&skip);
        }
        assert!(!s.event_slot(&skip));
        assert!(
            s.event_slot(&error),
            "skips do not use up the errors' budget"
        );
        assert_eq!(s.events_left_out(), 6);
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
    }
}
