//! `--format csv`: one row per finding (and pivot event), for spreadsheets and for tools
//! that take a table.
//!
//! The header is written once per output: to standard output at the start of each run, to
//! an `-o` file only when the file is empty, so that runs appending to one file leave one
//! table (a file that already has lines is taken to hold this table: a different format
//! should go to a different file). There is no summary row; the summary goes to stderr.
//!
//! Every cell is text an attacker may have chosen. Cells are written as the timeline's are
//! (`timeline::neutralise`): control characters, line breaks and bidi controls become
//! visible escapes, so a record is always one physical line; a cell starting with `=`, `+`,
//! `-`, `@`, a tab or a carriage return gets a leading `'` so that no spreadsheet runs it
//! as a formula; then RFC 4180 quoting (by the `csv` crate). docs/OCSF.md (CSV section)
//! lists the columns.

use crate::common::bytes::{escape_bytes, rfc3339};
use crate::finding::{Correlation, Finding, Subject};
use crate::logs::Field;

use super::carried::Carried;
use super::ecs::{self, Observer};
use super::timeline::neutralise;

/// The columns, in order.
pub(crate) const COLUMNS: [&str; 15] = [
    "time",
    "host",
    "severity",
    "rule_id",
    "rule_name",
    "kind",
    "path",
    "line",
    "source_ip",
    "http_method",
    "url",
    "user_agent",
    "matched",
    "sha256",
    "event_id",
];

/// The header line (CRLF-terminated).
pub(crate) fn header() -> String {
    record(COLUMNS.iter().map(|c| c.to_string()).collect())
}

/// One finding's row (CRLF-terminated).
pub(crate) fn finding(f: &Finding, observer: &Observer) -> String {
    let path = observer.absolute(f.subject.path());
    let get = |want: Field| match &f.subject {
        Subject::Log(l) => l
            .fields
            .iter()
            .find(|(f, _)| *f == want)
            .map(|(_, v)| escape_bytes(v))
            .unwrap_or_default(),
        Subject::File(_) => String::new(),
    };
    let kind = match (&f.subject, &f.correlation) {
        _ if f.is_event() => "pivot",
        (_, Some(c)) => c.kind(),
        _ if f.indicator.is_some() => "ioc",
        (Subject::File(_), None) => "file",
        (Subject::Log(_), None) => "log",
    };
    let mut source = get(Field::ClientIp);
    let mut method = get(Field::Method);
    let mut url = get(Field::UriStem);
    let query = get(Field::UriQuery);
    if !query.is_empty() && query != "-" {
        url = format!("{url}?{query}");
    }
    if let Some(Correlation::Dropped(d)) = &f.correlation {
        source = d.exploit.client.clone().unwrap_or_default();
        method = d.exploit.method.clone().unwrap_or_default();
        url = d.exploit.url_path.clone().unwrap_or_default();
    }
    let matched = match (&f.indicator, f.matches.first()) {
        (Some(hit), _) => escape_bytes(&hit.matched),
        (None, Some(m)) => escape_bytes(&m.excerpt),
        (None, None) => f.selections.join(" "),
    };
    let time = match &f.subject {
        Subject::Log(l) => l.time.unwrap_or(f.timestamp),
        Subject::File(_) => f.timestamp,
    };
    let sha256 = match &f.subject {
        Subject::File(file) => file.sha256.clone(),
        Subject::Log(_) => String::new(),
    };
    record(vec![
        rfc3339(time),
        observer.host.name.clone(),
        if f.is_event() {
            String::new()
        } else {
            f.rule.severity.as_str().to_owned()
        },
        if f.is_event() {
            String::new()
        } else {
            f.rule.id.clone()
        },
        if f.is_event() {
            ecs::message_of(f)
        } else {
            f.rule.name.clone()
        },
        kind.to_owned(),
        path.to_string_lossy().into_owned(),
        f.line().map(|l| l.to_string()).unwrap_or_default(),
        source,
        method,
        url,
        get(Field::UserAgent),
        matched,
        sha256,
        ecs::event_id(f, &path),
    ])
}

/// A carried-over finding's row, from the document the state keeps.
pub(crate) fn carried(c: &Carried, observer: &Observer) -> String {
    let s = |ptr: &str| {
        c.doc
            .pointer(ptr)
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            })
            .unwrap_or_default()
    };
    record(vec![
        c.first_seen.clone(),
        observer.host.name.clone(),
        c.severity().as_str().to_owned(),
        c.rule_id().to_owned(),
        s("/rule/name"),
        "carried".to_owned(),
        s("/file/path"),
        s("/shellsweep/line"),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        c.sha256().unwrap_or_default().to_owned(),
        c.event_id().to_owned(),
    ])
}

/// One RFC 4180 record of neutralised cells.
fn record(cells: Vec<String>) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to memory cannot fail, and every cell is valid UTF-8.
    let _ = w.write_record(cells.iter().map(|c| neutralise(c)));
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_cells_stay_in_one_defused_record() {
        let row = record(vec![
            "=HYPERLINK(\"http://x/\",\"a\")".into(),
            "a\r\nb".into(),
            "-1".into(),
            "x\u{202e}y".into(),
            "\tcmd".into(),
            "plain".into(),
        ]);
        assert_eq!(row.matches("\r\n").count(), 1, "{row:?}");
        assert!(row.ends_with("\r\n"));
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(row.as_bytes());
        let rec = r.records().next().unwrap().unwrap();
        assert_eq!(&rec[0], "'=HYPERLINK(\"http://x/\",\"a\")");
        assert_eq!(&rec[1], "a\\r\\nb");
        assert_eq!(&rec[2], "'-1");
        assert_eq!(&rec[3], "x\\u{202e}y");
        assert_eq!(&rec[4], "'\\tcmd");
        assert_eq!(&rec[5], "plain");
    }
}
