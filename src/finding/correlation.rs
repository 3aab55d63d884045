//! What a correlation finding joins, and why a log record is in the intruder's timeline.
//!
//! A file finding says "this is a webshell"; a log finding says "this request looks like an
//! exploit". The responder's next questions join the two (who requested the webshell, which
//! file appeared after the exploit, what else those addresses did), so these types carry the
//! join itself: the evidence on both sides, named by `event.id`, so every claim can be
//! checked against the lines it came from.

use crate::common::severity::Severity;

/// A finding made by joining other findings, not by matching a rule.
#[derive(Clone, Debug)]
pub enum Correlation {
    Requested(Box<Requested>),
    Dropped(Box<Dropped>),
}

impl Correlation {
    pub fn kind(&self) -> &'static str {
        match self {
            Correlation::Requested(_) => "webshell_requested",
            Correlation::Dropped(_) => "dropped_after_exploit",
        }
    }
}

/// A file finding the correlation stands on.
#[derive(Clone, Debug)]
pub struct FindingRef {
    pub event_id: String,
    pub rule_id: String,
    pub severity: Severity,
}

/// The requests for a file that has findings ("webshell requested").
#[derive(Clone, Debug, Default)]
pub struct Requested {
    /// How the request paths were joined with the file: `webroot`, `path_tail`, `file_name`.
    pub join: &'static str,
    /// Which mapping joined them (a server config, `--webroot`, the SharePoint hive).
    pub join_source: Option<String>,
    pub url_paths: Vec<String>,
    pub file_findings: Vec<FindingRef>,
    /// Requests the server answered other than with 404.
    pub count: u64,
    /// Requests answered with 404: the file was not there (yet), or someone probed for it.
    pub not_found: u64,
    pub first: Option<jiff::Timestamp>,
    pub last: Option<jiff::Timestamp>,
    pub clients: Vec<String>,
    pub methods: Vec<String>,
    pub statuses: Vec<u16>,
    pub user_agents: Vec<String>,
    /// The `event.id`s of the request lines (pivot events), the first [`MAX_EVENT_IDS`].
    pub event_ids: Vec<String>,
    pub event_ids_truncated: bool,
}

/// How many request ids one correlation finding names; the rest are counted.
pub const MAX_EVENT_IDS: usize = 1000;
/// How many distinct clients, methods, statuses and user agents one finding lists.
pub const MAX_DISTINCT: usize = 100;

impl Requested {
    /// Adds `value` to a list of distinct values, up to [`MAX_DISTINCT`].
    pub fn add_distinct<T: PartialEq>(list: &mut Vec<T>, value: T) {
        if list.len() < MAX_DISTINCT && !list.contains(&value) {
            list.push(value);
        }
    }
}

/// The exploit request a dropped file followed.
#[derive(Clone, Debug)]
pub struct ExploitRef {
    pub event_id: String,
    pub rule_id: String,
    pub time: jiff::Timestamp,
    pub client: Option<String>,
    pub method: Option<String>,
    pub url_path: Option<String>,
    pub log_path: String,
    pub log_line: u64,
}

/// A script written in a served folder minutes after an exploit request
/// ("dropped after exploit").
#[derive(Clone, Debug)]
pub struct Dropped {
    pub exploit: ExploitRef,
    pub file_time: jiff::Timestamp,
    /// `modified` (mtime) or `changed` (the inode's change time, which a timestomped mtime
    /// does not move).
    pub file_time_kind: &'static str,
    pub delay_seconds: i64,
    pub join: &'static str,
    pub join_source: Option<String>,
}

/// Why a log record is in the intruder's timeline (an `event.kind: event` line).
#[derive(Clone, Debug)]
pub struct Pivot {
    /// The pivot address the record came from.
    pub address: String,
    /// 1 for the addresses found by the scan itself; one more for each hop after.
    pub hop: u8,
    pub reason: String,
    /// `webshell_requested`, `ioc`, `exploit` or `hop`.
    pub via: &'static str,
}
