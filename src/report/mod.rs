//! `shellsweep report`: one self-contained HTML page from the JSON lines of one or more scans.
//!
//! The report reads only the wire form (`docs/FIELDS.md`, the lines `scan --format jsonl`
//! writes), never the scanner's own types: a responder collects JSON lines from many hosts and
//! runs, perhaps of other shellsweep versions, and the page must be made from what they hold.
//! So the reader is lenient (unknown lines and fields are passed over, a missing field is
//! shown as absent, a broken line is named and counted) and the view below is deliberately
//! small and stringly: it says what a line claimed, not what the scanner meant.

mod escape;
mod findings;
mod html;
mod incident;
mod read;
mod svg;
mod timeline;

use std::collections::BTreeSet;

pub(crate) use html::{Options, render};
pub(crate) use read::read_files;

/// Everything the page shows, gathered from all inputs.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Input names as given, in order.
    pub(crate) inputs: Vec<String>,
    /// Runs in order of first appearance; findings refer to them by index.
    pub(crate) runs: Vec<Run>,
    pub(crate) files: Vec<FileFinding>,
    pub(crate) baseline: Vec<FileFinding>,
    pub(crate) logs: Vec<LogFinding>,
    pub(crate) requested: Vec<Requested>,
    pub(crate) dropped: Vec<Dropped>,
    pub(crate) pivots: Vec<Pivot>,
    /// The first [`read::MALFORMED_KEPT`] broken lines; `malformed_total` counts them all.
    pub(crate) malformed: Vec<Malformed>,
    pub(crate) malformed_total: u64,
    /// Valid lines of kinds the page does not show (other tools' lines, future kinds).
    pub(crate) ignored: u64,
    /// Lines seen twice (the same event of the same run in two inputs), shown once.
    pub(crate) duplicates: u64,
}

/// One scan run on one host: the lines sharing `agent.ephemeral_id` and `host.name`.
#[derive(Debug, Default)]
pub(crate) struct Run {
    pub(crate) id: String,
    pub(crate) host: String,
    pub(crate) inputs: BTreeSet<String>,
    pub(crate) summary: Option<RunSummary>,
    /// Errors and skips (`shellsweep.scan` events).
    pub(crate) gaps: Vec<Gap>,
    /// Earliest `@timestamp` of its lines: the run's time when the summary is missing.
    pub(crate) first_seen: Option<String>,
    pub(crate) lines: u64,
}

/// Whether a run can be trusted to have looked at everything it was asked to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Complete,
    /// The summary says it was not complete; the reasons it gives.
    Incomplete(Vec<String>),
    /// No summary line: the run was killed, or its output was cut short.
    NoSummary,
}

impl Run {
    /// A run is complete only when its summary says so; anything else (no summary, a
    /// summary without the field, an interruption, gaps) is reported as not complete, so
    /// that a page can never look clean for a run that did not finish.
    pub(crate) fn verdict(&self) -> Verdict {
        let Some(s) = &self.summary else {
            return Verdict::NoSummary;
        };
        let mut why = Vec::new();
        if s.interrupted == Some(true) {
            why.push("interrupted".to_owned());
        }
        if s.complete != Some(true) {
            why.push(match s.complete {
                None => "the summary does not say it was complete".to_owned(),
                _ => "not everything could be scanned".to_owned(),
            });
        }
        let gaps = self.gaps.iter().filter(|g| g.gap).count();
        if gaps > 0 && s.complete == Some(true) {
            why.push(format!("{gaps} error or skip line(s) mark gaps"));
        }
        if why.is_empty() {
            Verdict::Complete
        } else {
            Verdict::Incomplete(why)
        }
    }
}

/// The summary line's counters, each absent when the line lacks it.
#[derive(Debug, Default)]
pub(crate) struct RunSummary {
    pub(crate) message: Option<String>,
    pub(crate) start: Option<String>,
    pub(crate) duration_ms: Option<u64>,
    pub(crate) paths: Vec<String>,
    pub(crate) files_scanned: Option<u64>,
    pub(crate) findings: Vec<(String, u64)>,
    pub(crate) findings_total: Option<u64>,
    pub(crate) skipped: Vec<(String, u64)>,
    pub(crate) errors: Option<u64>,
    pub(crate) logs_scanned: Option<u64>,
    pub(crate) records: Option<u64>,
    /// Pivot events the run found but did not write (past what its pivot holds).
    pub(crate) pivot_events_not_shown: Option<u64>,
    pub(crate) complete: Option<bool>,
    pub(crate) interrupted: Option<bool>,
}

/// An error or skip line of a run.
#[derive(Debug)]
pub(crate) struct Gap {
    pub(crate) message: String,
    /// The scanner's own judgement: this line leaves the run incomplete.
    pub(crate) gap: bool,
}

/// A line the reader could not use.
#[derive(Debug)]
pub(crate) struct Malformed {
    pub(crate) input: String,
    pub(crate) line: u64,
    pub(crate) why: String,
}

/// What every alert line has in common.
#[derive(Debug, Default)]
pub(crate) struct Meta {
    pub(crate) run: usize,
    pub(crate) event_id: Option<String>,
    pub(crate) severity: Option<String>,
    pub(crate) rule_id: Option<String>,
    pub(crate) rule_name: Option<String>,
    pub(crate) rule_description: Option<String>,
    pub(crate) message: Option<String>,
}

/// Sort rank of a severity name: critical first, unknown names last.
pub(crate) fn severity_rank(name: Option<&str>) -> u8 {
    match name {
        Some("critical") => 0,
        Some("high") => 1,
        Some("medium") => 2,
        Some("low") => 3,
        _ => 4,
    }
}

#[derive(Debug, Default)]
pub(crate) struct FileFinding {
    pub(crate) meta: Meta,
    pub(crate) path: Option<String>,
    pub(crate) size: Option<u64>,
    pub(crate) mtime: Option<String>,
    pub(crate) sha256: Option<String>,
    pub(crate) matches: Vec<MatchView>,
}

#[derive(Debug, Default)]
pub(crate) struct MatchView {
    pub(crate) pattern: Option<String>,
    pub(crate) line: Option<u64>,
    pub(crate) offset: Option<u64>,
    pub(crate) length: Option<u64>,
    pub(crate) excerpt: Option<String>,
    pub(crate) view_excerpt: Option<String>,
}

/// A log record as log findings and pivot events carry it.
#[derive(Debug, Default, Clone)]
pub(crate) struct Record {
    pub(crate) time: Option<String>,
    pub(crate) log_path: Option<String>,
    pub(crate) log_line: Option<u64>,
    pub(crate) client: Option<String>,
    pub(crate) forwarded: Option<String>,
    pub(crate) method: Option<String>,
    pub(crate) url_path: Option<String>,
    pub(crate) url_query: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) user_agent: Option<String>,
    pub(crate) user: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct LogFinding {
    pub(crate) meta: Meta,
    pub(crate) record: Record,
}

/// A pivot event: a record of an address the scan pivoted on. It is no alert, so it has
/// no rule and no severity.
#[derive(Debug, Default)]
pub(crate) struct Pivot {
    pub(crate) run: usize,
    pub(crate) event_id: Option<String>,
    pub(crate) record: Record,
    pub(crate) address: Option<String>,
    pub(crate) hop: Option<u64>,
    pub(crate) reason: Option<String>,
    pub(crate) via: Option<String>,
}

/// `webshell requested`: the log records that asked for a file finding's file.
#[derive(Debug, Default)]
pub(crate) struct Requested {
    pub(crate) meta: Meta,
    pub(crate) file_path: Option<String>,
    pub(crate) url_paths: Vec<String>,
    pub(crate) join: Option<String>,
    pub(crate) join_source: Option<String>,
    pub(crate) count: Option<u64>,
    pub(crate) not_found: Option<u64>,
    pub(crate) first: Option<String>,
    pub(crate) last: Option<String>,
    pub(crate) clients: Vec<String>,
    pub(crate) methods: Vec<String>,
    pub(crate) statuses: Vec<String>,
    pub(crate) user_agents: Vec<String>,
    pub(crate) event_ids: Vec<String>,
    pub(crate) event_ids_truncated: bool,
}

/// `dropped after exploit`: an exploit request, then a script written in the folder it served.
#[derive(Debug, Default)]
pub(crate) struct Dropped {
    pub(crate) meta: Meta,
    pub(crate) file_path: Option<String>,
    pub(crate) exploit_event_id: Option<String>,
    pub(crate) exploit_rule_id: Option<String>,
    pub(crate) exploit_time: Option<String>,
    pub(crate) client: Option<String>,
    pub(crate) method: Option<String>,
    pub(crate) url_path: Option<String>,
    pub(crate) log_path: Option<String>,
    pub(crate) log_line: Option<u64>,
    pub(crate) file_time: Option<String>,
    pub(crate) file_time_kind: Option<String>,
    pub(crate) delay_seconds: Option<i64>,
}
