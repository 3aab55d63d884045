//! `scan --timeline FILE`: the run as a Timesketch CSV, one row per finding or pivot event,
//! sorted by time.
//!
//! Rows are made from the ECS documents the writer thread produces for the JSON lines, not
//! from the finding model: the timeline then cannot say something the JSONL does not, and a
//! new kind of line needs a row rule here, not a second path through the model. The rows are
//! held until the run ends because a timeline is only useful sorted, and findings arrive in
//! the order threads finish; each cell is capped, so a row stays small whatever the input.
//!
//! Every cell is text an attacker may have chosen (file names, user agents, URLs), and the
//! file is meant to be opened in spreadsheets as well as imported: control characters are
//! shown as visible escapes so that no value can break a row, and a cell that a spreadsheet
//! would run as a formula is defused. docs/TIMELINE.md describes the columns.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::bytes::rfc3339;
use crate::output::for_terminal;

/// The header, in order. Timesketch requires `message`, `datetime` and `timestamp_desc`;
/// the rest become attributes a responder filters on.
pub(crate) const COLUMNS: [&str; 20] = [
    "message",
    "datetime",
    "timestamp_desc",
    "event_kind",
    "severity",
    "rule_id",
    "rule_name",
    "host",
    "source_ip",
    "http_method",
    "url_path",
    "status",
    "user_agent",
    "file_path",
    "sha256",
    "log_path",
    "log_line",
    "event_id",
    "pivot_reason",
    "correlation",
];

/// Characters kept of one cell (after escaping). Beyond it the cell is cut and says so: the
/// JSON line keeps the whole value, the timeline is for finding the line.
pub(crate) const CELL_MAX: usize = 1024;

/// What a cell cut at [`CELL_MAX`] ends with.
const CUT_NOTE: &str = "[cut]";

/// Lists (the clients of a webshell, its methods) are joined with this: commas and
/// semicolons occur in user agents, so they would make the parts ambiguous.
const LIST_SEP: &str = " | ";

/// Why the timeline could not be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TimelineError {
    #[error("{path}: the timeline must name a file, not a folder")]
    IsFolder { path: String },
    #[error("{path}: the timeline is also the output (-o); give it a file of its own")]
    SameAsOutput { path: String },
    #[error(
        "{folder}: the timeline could not be written there (checked before scanning): {source}"
    )]
    FolderNotWritable {
        folder: String,
        source: std::io::Error,
    },
    #[error("writing the timeline {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

fn shown(path: &Path) -> String {
    crate::output::path_for_terminal(path)
}

/// Checked before scanning, as `-o` is opened before it: a timeline that cannot be written
/// must stop the run now, not after an hour of sweeping. Tries what the final write does (a
/// new temporary file beside the target) and removes it.
pub(crate) fn check_writable(path: &Path, output: Option<&Path>) -> Result<(), TimelineError> {
    // `--timeline ""` or `--timeline dir/..` name no file a rename could replace.
    if path.is_dir() || path.file_name().is_none() {
        return Err(TimelineError::IsFolder { path: shown(path) });
    }
    if let Some(out) = output {
        let same_file = match (crate::read::file_id(path), crate::read::file_id(out)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        };
        if same_file || path == out {
            return Err(TimelineError::SameAsOutput { path: shown(path) });
        }
    }
    let folder = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut probe = path.as_os_str().to_owned();
    probe.push(format!(".tmp{}", std::process::id()));
    let probe = PathBuf::from(probe);
    let not_writable = |source| TimelineError::FolderNotWritable {
        folder: shown(folder),
        source,
    };
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(not_writable)?;
    std::fs::remove_file(&probe).map_err(not_writable)
}

/// The kinds of row, as the `event_kind` column names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    File,
    Baseline,
    Log,
    WebshellRequested,
    DroppedAfterExploit,
    Pivot,
    /// An alert of a dataset this version has no rule for: kept, so nothing reported is
    /// missing from the timeline.
    Alert,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Baseline => "baseline",
            Kind::Log => "log",
            Kind::WebshellRequested => "webshell_requested",
            Kind::DroppedAfterExploit => "dropped_after_exploit",
            Kind::Pivot => "pivot",
            Kind::Alert => "alert",
        }
    }

    /// The row kind of a document, or `None` for lines that are not findings or pivot
    /// events (errors, skips, the summary).
    fn of(doc: &Value) -> Option<Kind> {
        let dataset = doc["event"]["dataset"].as_str().unwrap_or_default();
        if dataset == "shellsweep.pivot" {
            return Some(Kind::Pivot);
        }
        if doc["event"]["kind"] != "alert" {
            return None;
        }
        Some(match dataset {
            "shellsweep.correlation" => match doc["shellsweep"]["correlation"]["type"].as_str() {
                Some("webshell_requested") => Kind::WebshellRequested,
                Some("dropped_after_exploit") => Kind::DroppedAfterExploit,
                _ => Kind::Alert,
            },
            "shellsweep.file" if is_baseline(doc) => Kind::Baseline,
            "shellsweep.file" => Kind::File,
            "shellsweep.log" => Kind::Log,
            _ => Kind::Alert,
        })
    }
}

fn is_baseline(doc: &Value) -> bool {
    doc["rule"]["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("SSW-BASELINE-"))
}

/// One row: its time (compared as a timestamp, not as text) and its cells, neutralised.
#[derive(Debug)]
struct Row {
    time: jiff::Timestamp,
    cells: [String; COLUMNS.len()],
}

impl Row {
    fn cell(&self, name: &str) -> &str {
        COLUMNS
            .iter()
            .position(|c| *c == name)
            .map_or("", |i| &self.cells[i])
    }

    /// Time first; rows at the same time by event id and then by their text, so the file
    /// is the same whichever thread reported first.
    fn order(&self, other: &Row) -> Ordering {
        self.time
            .cmp(&other.time)
            .then_with(|| self.cell("event_id").cmp(other.cell("event_id")))
            .then_with(|| self.cells.cmp(&other.cells))
    }
}

/// The rows of one run, written sorted when it ends.
#[derive(Debug)]
pub(crate) struct Timeline {
    path: PathBuf,
    /// For a document without any time of its own (none the scanner writes): the run's.
    started: jiff::Timestamp,
    rows: Vec<Row>,
}

impl Timeline {
    pub(crate) fn new(path: PathBuf) -> Timeline {
        Timeline {
            path,
            started: jiff::Timestamp::now(),
            rows: Vec::new(),
        }
    }

    /// Takes any document the writer produces; lines that are not a finding or a pivot
    /// event are passed over, so the writer need not sort them out first.
    pub(crate) fn add(&mut self, doc: &Value) {
        if let Some(kind) = Kind::of(doc) {
            let row = row(kind, doc, self.started);
            self.rows.push(row);
        }
    }

    /// Sorts the rows and writes the file whole or not at all (a half-written timeline
    /// imported into Timesketch would look like a quiet end of the incident).
    pub(crate) fn finish(mut self) -> Result<usize, TimelineError> {
        let bytes = self.csv();
        crate::common::atomic::write_atomically(&self.path, &bytes).map_err(|source| {
            TimelineError::Write {
                path: shown(&self.path),
                source,
            }
        })?;
        Ok(self.rows.len())
    }

    fn csv(&mut self) -> Vec<u8> {
        self.rows.sort_by(Row::order);
        let mut out = String::new();
        push_record(&mut out, COLUMNS.iter().copied());
        for r in &self.rows {
            push_record(&mut out, r.cells.iter().map(String::as_str));
        }
        out.into_bytes()
    }
}

/// One CSV record, RFC 4180: a field is quoted when it holds a comma, a quote or a line
/// break, quotes doubled; records end in CRLF.
fn push_record<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>) {
    for (i, c) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if c.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&c.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(c);
        }
    }
    out.push_str("\r\n");
}

/// A value made safe for a cell. Control characters (line breaks, escapes, bidi controls)
/// become visible escapes, as on the terminal, so no value can end a row or hide text. A
/// value that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is one a
/// spreadsheet would run as a formula (`=cmd|' /C calc'!A0`): it gets a leading `'`, which
/// spreadsheets take as "text" and Timesketch keeps as a visible character.
pub(crate) fn neutralise(value: &str) -> String {
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let mut s = for_terminal(value.as_bytes());
    if let Some((cut, _)) = s.char_indices().nth(CELL_MAX) {
        s.truncate(cut);
        s.push_str(CUT_NOTE);
    }
    if formula {
        s.insert(0, '\'');
    }
    s
}

/// A JSON value as cell text: strings as they are, numbers written out, lists joined.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(text)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(LIST_SEP),
        other => other.to_string(),
    }
}

fn time(v: &Value) -> Option<jiff::Timestamp> {
    v.as_str()?.parse().ok()
}

/// The first of `candidates` that is present and not empty.
fn first(candidates: &[&Value]) -> String {
    candidates
        .iter()
        .map(|v| text(v))
        .find(|s| !s.is_empty())
        .unwrap_or_default()
}

/// "POST /x.aspx 200 from 203.0.113.7", from what the record has.
fn request(method: &str, path: &str, status: &str, client: &str) -> String {
    let mut parts: Vec<String> = [method, path, status]
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if !client.is_empty() {
        parts.push(format!("from {client}"));
    }
    parts.join(" ")
}

fn row(kind: Kind, doc: &Value, started: jiff::Timestamp) -> Row {
    let corr = &doc["shellsweep"]["correlation"];
    let exploit = &corr["exploit"];
    let requests = &corr["requests"];
    let scan_time = || {
        let t = time(&doc["@timestamp"])
            .or_else(|| time(&doc["event"]["created"]))
            .unwrap_or(started);
        (t, "Scan Time")
    };
    let mtime = || time(&doc["file"]["mtime"]).map(|t| (t, "File Modified"));
    let start = |desc| time(&doc["event"]["start"]).map(|t| (t, desc));
    let (when, desc) = match kind {
        Kind::File => mtime(),
        Kind::Baseline if doc["rule"]["id"] == "SSW-BASELINE-GONE" => None,
        Kind::Baseline => mtime(),
        Kind::Log | Kind::Pivot => start("Request Time"),
        Kind::WebshellRequested => start("First Request")
            .or_else(|| time(&requests["first"]).map(|t| (t, "First Request"))),
        Kind::DroppedAfterExploit => time(&corr["file_time"])
            .map(|t| {
                let desc = match corr["file_time_kind"].as_str() {
                    Some("created") => "File Created",
                    Some("changed") => "File Changed",
                    _ => "File Modified",
                };
                (t, desc)
            })
            .or_else(mtime),
        Kind::Alert => start("Event Time").or_else(mtime),
    }
    .unwrap_or_else(scan_time);

    let rule_id = text(&doc["rule"]["id"]);
    let rule_name = text(&doc["rule"]["name"]);
    let file_path = text(&doc["file"]["path"]);
    let source_ip = match kind {
        Kind::WebshellRequested => first(&[&requests["clients"], &doc["related"]["ip"]]),
        Kind::DroppedAfterExploit => first(&[&doc["source"]["ip"], &exploit["client"]]),
        // The followed address: behind a proxy it is in X-Forwarded-For, not `source.ip`.
        Kind::Pivot => first(&[&doc["shellsweep"]["pivot"]["address"], &doc["source"]["ip"]]),
        // The client, as correlation reads it: the first X-Forwarded-For address, else the
        // peer.
        _ => {
            let forwarded = text(&doc["network"]["forwarded_ip"]);
            match forwarded.split([',', ' ']).find(|a| !a.is_empty()) {
                Some(a) => a.to_owned(),
                None => text(&doc["source"]["ip"]),
            }
        }
    };
    let method = match kind {
        Kind::WebshellRequested => text(&requests["methods"]),
        Kind::DroppedAfterExploit => {
            first(&[&doc["http"]["request"]["method"], &exploit["method"]])
        }
        _ => text(&doc["http"]["request"]["method"]),
    };
    let url_path = match kind {
        Kind::WebshellRequested => first(&[&corr["url_paths"], &doc["url"]["path"]]),
        Kind::DroppedAfterExploit => first(&[&doc["url"]["path"], &exploit["url_path"]]),
        _ => text(&doc["url"]["path"]),
    };
    let status = match kind {
        Kind::WebshellRequested => text(&requests["statuses"]),
        _ => text(&doc["http"]["response"]["status_code"]),
    };
    let user_agent = match kind {
        Kind::WebshellRequested => text(&requests["user_agents"]),
        _ => text(&doc["user_agent"]["original"]),
    };
    let (log_path, log_line) = match kind {
        Kind::DroppedAfterExploit => (text(&exploit["log_path"]), text(&exploit["log_line"])),
        _ => (
            text(&doc["log"]["file"]["path"]),
            text(&doc["shellsweep"]["log"]["line"]),
        ),
    };
    let correlation = match kind {
        Kind::WebshellRequested => requested_summary(corr),
        Kind::DroppedAfterExploit => dropped_summary(corr),
        _ => String::new(),
    };
    let message = match kind {
        Kind::File => format!("Webshell finding {rule_id}: {rule_name} in {file_path}"),
        Kind::Baseline => format!("Baseline {rule_id}: {rule_name}: {file_path}"),
        Kind::Log => format!(
            "Log finding {rule_id}: {rule_name}: {}",
            request(&method, &url_path, &status, &source_ip)
        ),
        Kind::Pivot => format!(
            "Pivot: {}",
            request(&method, &url_path, &status, &source_ip)
        ),
        Kind::WebshellRequested => format!(
            "Webshell requested: {url_path} ({} requests from {source_ip})",
            text(&requests["count"])
        ),
        Kind::DroppedAfterExploit => format!(
            "Script dropped after an exploit: {file_path}, {}s after {} from {source_ip}",
            text(&corr["delay_seconds"]),
            request(&method, &url_path, "", "")
        ),
        Kind::Alert => first(&[&doc["message"]]),
    };
    let cells = [
        message,
        rfc3339(when),
        desc.to_owned(),
        kind.as_str().to_owned(),
        text(&doc["shellsweep"]["severity_name"]),
        rule_id,
        rule_name,
        first(&[&doc["host"]["name"], &doc["host"]["hostname"]]),
        source_ip,
        method,
        url_path,
        status,
        user_agent,
        file_path,
        text(&doc["file"]["hash"]["sha256"]),
        log_path,
        log_line,
        text(&doc["event"]["id"]),
        text(&doc["shellsweep"]["pivot"]["reason"]),
        correlation,
    ];
    Row {
        time: when,
        cells: cells.map(|c| neutralise(&c)),
    }
}

/// "5 requests, 1 not found, 2025-07-19T08:12:01Z to 2025-07-21T10:00:00Z; joined by
/// path_tail": what a responder reads before opening the JSON line.
fn requested_summary(corr: &Value) -> String {
    let r = &corr["requests"];
    let mut s = format!(
        "{} requests, {} not found",
        first(&[&r["count"]]),
        first(&[&r["not_found"]])
    );
    if let (Some(a), Some(b)) = (r["first"].as_str(), r["last"].as_str()) {
        s.push_str(&format!(", {a} to {b}"));
    }
    let join = text(&corr["join"]);
    if !join.is_empty() {
        s.push_str(&format!("; joined by {join}"));
        let source = text(&corr["join_source"]);
        if !source.is_empty() {
            s.push_str(&format!(" ({source})"));
        }
    }
    s
}

/// "exploit SSW-LOG-TOOLSHELL-001 at 2025-07-19T08:10:00Z (/logs/u_ex250719.log:12), file
/// modified 90s later".
fn dropped_summary(corr: &Value) -> String {
    let e = &corr["exploit"];
    let mut s = format!("exploit {}", text(&e["rule_id"]));
    if let Some(t) = e["time"].as_str() {
        s.push_str(&format!(" at {t}"));
    }
    let log = text(&e["log_path"]);
    if !log.is_empty() {
        s.push_str(&format!(" ({log}:{})", text(&e["log_line"])));
    }
    s.push_str(&format!(
        ", file {} {}s later",
        corr["file_time_kind"].as_str().unwrap_or("modified"),
        text(&corr["delay_seconds"])
    ));
    s
}

#[cfg(test)]
mod tests;
