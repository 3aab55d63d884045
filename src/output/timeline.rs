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
mod tests {
    use super::*;
    use serde_json::json;

    fn one_row(doc: Value) -> Row {
        let mut t = Timeline::new(PathBuf::from("unused.csv"));
        t.add(&doc);
        assert_eq!(t.rows.len(), 1, "one row for {doc}");
        t.rows.pop().unwrap()
    }

    /// The CSV as Python's csv module would read it: records of fields, quotes undone.
    fn parse_csv(text: &str) -> Vec<Vec<String>> {
        let mut records = Vec::new();
        let mut record = Vec::new();
        let mut field = String::new();
        let mut chars = text.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => field.push(c),
                (false, '"') if field.is_empty() => quoted = true,
                (false, ',') => record.push(std::mem::take(&mut field)),
                (false, '\r') if chars.peek() == Some(&'\n') => {}
                (false, '\n') => {
                    record.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut record));
                }
                (false, c) => field.push(c),
            }
        }
        assert!(field.is_empty() && record.is_empty(), "ends with a record");
        records
    }

    fn file_finding() -> Value {
        json!({
            "@timestamp": "2026-12-03T09:00:00.000Z",
            "message": "ignored: the timeline writes its own",
            "event": {"kind": "alert", "dataset": "shellsweep.file", "id": "f1"},
            "rule": {"id": "SSW-PHP-001", "name": "eval of request input"},
            "host": {"name": "web01"},
            "file": {"path": "/var/www/x.php", "mtime": "2025-07-19T10:11:12.000+02:00",
                     "hash": {"sha256": "ab12"}},
            "shellsweep": {"severity_name": "critical"}
        })
    }

    #[test]
    fn a_file_finding_is_dated_by_its_mtime() {
        let r = one_row(file_finding());
        assert_eq!(r.cell("datetime"), "2025-07-19T08:11:12.000Z", "in UTC");
        assert_eq!(r.cell("timestamp_desc"), "File Modified");
        assert_eq!(r.cell("event_kind"), "file");
        assert_eq!(
            r.cell("message"),
            "Webshell finding SSW-PHP-001: eval of request input in /var/www/x.php"
        );
        assert_eq!(r.cell("severity"), "critical");
        assert_eq!(r.cell("host"), "web01");
        assert_eq!(r.cell("sha256"), "ab12");
        assert_eq!(r.cell("event_id"), "f1");
        assert_eq!(r.cell("source_ip"), "");
    }

    #[test]
    fn without_an_mtime_the_scan_time_is_used_and_said() {
        let mut doc = file_finding();
        doc["file"].as_object_mut().unwrap().remove("mtime");
        let r = one_row(doc);
        assert_eq!(r.cell("datetime"), "2026-12-03T09:00:00.000Z");
        assert_eq!(r.cell("timestamp_desc"), "Scan Time");
    }

    #[test]
    fn baseline_findings_use_the_file_time_but_a_gone_file_the_scan_time() {
        let mut doc = file_finding();
        doc["rule"] =
            json!({"id": "SSW-BASELINE-NEW", "name": "File not in the known-good baseline"});
        let r = one_row(doc.clone());
        assert_eq!(r.cell("event_kind"), "baseline");
        assert_eq!(r.cell("timestamp_desc"), "File Modified");
        assert_eq!(r.cell("datetime"), "2025-07-19T08:11:12.000Z");
        // A gone file's mtime is the one the baseline recorded, long before it went.
        doc["rule"]["id"] = json!("SSW-BASELINE-GONE");
        let r = one_row(doc);
        assert_eq!(r.cell("timestamp_desc"), "Scan Time");
        assert_eq!(r.cell("datetime"), "2026-12-03T09:00:00.000Z");
    }

    fn log_finding() -> Value {
        json!({
            "@timestamp": "2026-12-03T09:00:00.000Z",
            "event": {"kind": "alert", "dataset": "shellsweep.log", "id": "l1",
                      "start": "2025-07-19T07:13:02.000Z"},
            "rule": {"id": "SSW-LOG-TOOLSHELL-001", "name": "ToolShell exploit request"},
            "host": {"name": "web01"},
            "source": {"ip": "203.0.113.7"},
            "url": {"path": "/_layouts/15/ToolPane.aspx"},
            "http": {"request": {"method": "POST"}, "response": {"status_code": 200}},
            "user_agent": {"original": "Mozilla/5.0 (X11; Linux), \"quoted\""},
            "log": {"file": {"path": "/logs/u_ex250719.log"}},
            "shellsweep": {"severity_name": "critical", "log": {"line": 12}}
        })
    }

    #[test]
    fn a_log_finding_is_dated_by_its_record() {
        let r = one_row(log_finding());
        assert_eq!(r.cell("datetime"), "2025-07-19T07:13:02.000Z");
        assert_eq!(r.cell("timestamp_desc"), "Request Time");
        assert_eq!(
            r.cell("message"),
            "Log finding SSW-LOG-TOOLSHELL-001: ToolShell exploit request: \
             POST /_layouts/15/ToolPane.aspx 200 from 203.0.113.7"
        );
        assert_eq!(r.cell("status"), "200");
        assert_eq!(r.cell("log_line"), "12");
        assert_eq!(r.cell("log_path"), "/logs/u_ex250719.log");
        let mut doc = log_finding();
        doc["event"].as_object_mut().unwrap().remove("start");
        assert_eq!(one_row(doc).cell("timestamp_desc"), "Scan Time");
    }

    /// As in ISSUE16-WIRE.md, section 1.
    fn requested() -> Value {
        json!({
            "@timestamp": "2026-12-03T09:00:00.000Z",
            "event": {"kind": "alert", "dataset": "shellsweep.correlation", "id": "c1",
                      "start": "2025-07-19T08:12:01Z", "end": "2025-07-21T10:00:00Z"},
            "rule": {"id": "SSW-CORR-REQUESTED", "name": "Webshell requested",
                     "ruleset": "correlation"},
            "file": {"path": "/sp/LAYOUTS/spinstall0.aspx", "mtime": "2025-07-19T08:11:30Z"},
            "related": {"ip": ["203.0.113.7", "198.51.100.20"]},
            "shellsweep": {"severity_name": "critical", "correlation": {
                "type": "webshell_requested", "join": "path_tail", "join_source": "--webroot",
                "url_paths": ["/_layouts/15/spinstall0.aspx"],
                "file_findings": [{"event_id": "f1", "rule_id": "SSW-ASPX-001", "severity": "high"}],
                "requests": {"count": 5, "not_found": 1,
                             "first": "2025-07-19T08:12:01Z", "last": "2025-07-21T10:00:00Z",
                             "clients": ["203.0.113.7", "198.51.100.20"],
                             "methods": ["GET", "POST"], "statuses": [200, 404],
                             "user_agents": ["Mozilla/5.0 (a; b)", "curl/8.0"],
                             "event_ids": ["p1", "p2"], "event_ids_truncated": false}}}
        })
    }

    #[test]
    fn webshell_requested_is_dated_by_the_first_request() {
        let r = one_row(requested());
        assert_eq!(r.cell("event_kind"), "webshell_requested");
        assert_eq!(r.cell("datetime"), "2025-07-19T08:12:01.000Z");
        assert_eq!(r.cell("timestamp_desc"), "First Request");
        assert_eq!(r.cell("source_ip"), "203.0.113.7 | 198.51.100.20");
        assert_eq!(r.cell("http_method"), "GET | POST");
        assert_eq!(r.cell("status"), "200 | 404");
        assert_eq!(r.cell("user_agent"), "Mozilla/5.0 (a; b) | curl/8.0");
        assert_eq!(r.cell("url_path"), "/_layouts/15/spinstall0.aspx");
        assert_eq!(
            r.cell("message"),
            "Webshell requested: /_layouts/15/spinstall0.aspx \
             (5 requests from 203.0.113.7 | 198.51.100.20)"
        );
        assert_eq!(
            r.cell("correlation"),
            "5 requests, 1 not found, 2025-07-19T08:12:01Z to 2025-07-21T10:00:00Z; \
             joined by path_tail (--webroot)"
        );
    }

    /// As in ISSUE16-WIRE.md, section 2.
    fn dropped() -> Value {
        json!({
            "@timestamp": "2026-12-03T09:00:00.000Z",
            "event": {"kind": "alert", "dataset": "shellsweep.correlation", "id": "c2"},
            "rule": {"id": "SSW-CORR-DROPPED", "name": "Script dropped after an exploit request"},
            "file": {"path": "/sp/LAYOUTS/spinstall0.aspx", "mtime": "2025-07-19T08:11:30Z"},
            "source": {"ip": "203.0.113.7"},
            "url": {"path": "/_layouts/15/ToolPane.aspx"},
            "shellsweep": {"severity_name": "critical", "correlation": {
                "type": "dropped_after_exploit",
                "exploit": {"event_id": "l1", "rule_id": "SSW-LOG-TOOLSHELL-001",
                            "time": "2025-07-19T08:10:00Z", "client": "203.0.113.7",
                            "method": "POST", "url_path": "/_layouts/15/ToolPane.aspx",
                            "log_path": "/logs/u_ex250719.log", "log_line": 12},
                "file_time": "2025-07-19T08:11:30Z", "file_time_kind": "modified",
                "delay_seconds": 90}}
        })
    }

    #[test]
    fn dropped_after_exploit_is_dated_by_the_file() {
        let r = one_row(dropped());
        assert_eq!(r.cell("event_kind"), "dropped_after_exploit");
        assert_eq!(r.cell("datetime"), "2025-07-19T08:11:30.000Z");
        assert_eq!(r.cell("timestamp_desc"), "File Modified");
        assert_eq!(r.cell("http_method"), "POST", "the exploit's");
        assert_eq!(r.cell("log_path"), "/logs/u_ex250719.log");
        assert_eq!(r.cell("log_line"), "12");
        assert_eq!(
            r.cell("message"),
            "Script dropped after an exploit: /sp/LAYOUTS/spinstall0.aspx, 90s after \
             POST /_layouts/15/ToolPane.aspx from 203.0.113.7"
        );
        assert_eq!(
            r.cell("correlation"),
            "exploit SSW-LOG-TOOLSHELL-001 at 2025-07-19T08:10:00Z \
             (/logs/u_ex250719.log:12), file modified 90s later"
        );
        let mut created = dropped();
        created["shellsweep"]["correlation"]["file_time_kind"] = json!("created");
        assert_eq!(one_row(created).cell("timestamp_desc"), "File Created");
    }

    /// As in ISSUE16-WIRE.md, section 3: an event, not an alert, with no rule.
    fn pivot() -> Value {
        json!({
            "@timestamp": "2026-12-03T09:00:00.000Z",
            "message": "Pivot 203.0.113.7: GET /about (200)",
            "event": {"kind": "event", "dataset": "shellsweep.pivot", "id": "p9",
                      "start": "2025-07-20T01:02:03+02:00", "original": "…"},
            "source": {"ip": "203.0.113.7"},
            "url": {"path": "/about"},
            "http": {"request": {"method": "GET"}, "response": {"status_code": 200}},
            "log": {"file": {"path": "/logs/u_ex250720.log"}},
            "shellsweep": {"log": {"line": 3}, "pivot": {
                "address": "203.0.113.7", "hop": 1,
                "reason": "requested webshell /_layouts/15/spinstall0.aspx",
                "via": "webshell_requested"}}
        })
    }

    #[test]
    fn a_pivot_event_is_dated_by_its_record() {
        let r = one_row(pivot());
        assert_eq!(r.cell("event_kind"), "pivot");
        assert_eq!(r.cell("datetime"), "2025-07-19T23:02:03.000Z");
        assert_eq!(r.cell("timestamp_desc"), "Request Time");
        assert_eq!(r.cell("message"), "Pivot: GET /about 200 from 203.0.113.7");
        assert_eq!(
            r.cell("pivot_reason"),
            "requested webshell /_layouts/15/spinstall0.aspx"
        );
        assert_eq!(r.cell("severity"), "");
        assert_eq!(r.cell("rule_id"), "");
    }

    #[test]
    fn lines_that_are_not_findings_make_no_row() {
        let mut t = Timeline::new(PathBuf::from("unused.csv"));
        t.add(&json!({"event": {"kind": "event", "dataset": "shellsweep.summary"}}));
        t.add(
            &json!({"event": {"kind": "event", "dataset": "shellsweep.scan",
                                "outcome": "failure"}}),
        );
        t.add(&json!("not even an object"));
        assert!(t.rows.is_empty());
    }

    #[test]
    fn rows_are_sorted_as_times_not_as_text() {
        let mut t = Timeline::new(PathBuf::from("unused.csv"));
        let mut a = log_finding();
        // 01:00 at +02:00 is 23:00 the day before: later than 22:30Z, though it sorts
        // first as text.
        a["event"]["start"] = json!("2025-07-20T01:00:00+02:00");
        a["event"]["id"] = json!("a");
        let mut b = log_finding();
        b["event"]["start"] = json!("2025-07-19T22:30:00Z");
        b["event"]["id"] = json!("b");
        let mut c = b.clone();
        c["event"]["id"] = json!("0-same-time");
        for d in [&a, &b, &c, &pivot(), &dropped()] {
            t.add(d);
        }
        let csv = String::from_utf8(t.csv()).unwrap();
        let records = parse_csv(&csv);
        let ids: Vec<&str> = records[1..].iter().map(|r| r[17].as_str()).collect();
        assert_eq!(ids, ["c2", "0-same-time", "b", "a", "p9"]);
        // Whatever order they came in.
        let mut t2 = Timeline::new(PathBuf::from("unused.csv"));
        for d in [&dropped(), &pivot(), &c, &a, &b] {
            t2.add(d);
        }
        assert_eq!(String::from_utf8(t2.csv()).unwrap(), csv);
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        let mut out = String::new();
        push_record(&mut out, ["plain", "a,b", "say \"hi\"", ""].into_iter());
        assert_eq!(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\r\n");
        assert_eq!(parse_csv(&out), [vec!["plain", "a,b", "say \"hi\"", ""]]);
    }

    #[test]
    fn no_value_breaks_a_row_or_runs_as_a_formula() {
        assert_eq!(neutralise("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        for lead in ["+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralise(lead).starts_with('\''), "{lead:?}");
        }
        assert_eq!(
            neutralise("a\nb\r\u{1b}[31m\u{202e}"),
            "a\\nb\\r\\x1b[31m\\u{202e}"
        );
        assert_eq!(neutralise("\tx"), "'\\tx");
        assert_eq!(
            neutralise("/var/www/=x.php"),
            "/var/www/=x.php",
            "only a leading ="
        );
        let mut doc = log_finding();
        doc["user_agent"]["original"] = json!("=HYPERLINK(\"http://x\")\r\nevil,\"q\"");
        doc["file"] = json!({"path": "/w/a\nb\",c.php"});
        let mut t = Timeline::new(PathBuf::from("unused.csv"));
        t.add(&doc);
        let csv = String::from_utf8(t.csv()).unwrap();
        assert_eq!(
            csv.matches("\r\n").count(),
            2,
            "header and one row: {csv:?}"
        );
        let records = parse_csv(&csv);
        assert_eq!(records.len(), 2);
        assert!(records.iter().all(|r| r.len() == COLUMNS.len()));
        assert_eq!(records[1][12], "'=HYPERLINK(\"http://x\")\\r\\nevil,\"q\"");
        assert_eq!(records[1][13], "/w/a\\nb\",c.php");
    }

    #[test]
    fn long_values_are_cut_and_say_so() {
        let long = "é".repeat(CELL_MAX + 10);
        let cell = neutralise(&long);
        assert_eq!(cell.chars().count(), CELL_MAX + CUT_NOTE.chars().count());
        assert!(cell.ends_with(CUT_NOTE));
        assert_eq!(neutralise(&"a".repeat(CELL_MAX)), "a".repeat(CELL_MAX));
    }

    #[test]
    fn the_file_is_written_whole_with_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        check_writable(&path, None).unwrap();
        assert!(
            std::fs::read_dir(dir.path()).unwrap().next().is_none(),
            "probe removed"
        );
        let mut t = Timeline::new(path.clone());
        t.add(&file_finding());
        assert_eq!(t.finish().unwrap(), 1);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(&format!("{}\r\n", COLUMNS.join(","))));
        assert_eq!(parse_csv(&text).len(), 2);
    }

    #[test]
    fn a_folder_or_the_output_itself_is_refused_before_scanning() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            check_writable(dir.path(), None),
            Err(TimelineError::IsFolder { .. })
        ));
        let out = dir.path().join("o.jsonl");
        assert!(matches!(
            check_writable(&out, Some(&out)),
            Err(TimelineError::SameAsOutput { .. })
        ));
        assert!(matches!(
            check_writable(&dir.path().join("no/such/t.csv"), None),
            Err(TimelineError::FolderNotWritable { .. })
        ));
    }
}
