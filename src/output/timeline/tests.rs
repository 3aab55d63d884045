//! Rows from hand-written documents of every kind, sorting, quoting and neutralising.
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
    doc["rule"] = json!({"id": "SSW-BASELINE-NEW", "name": "File not in the known-good baseline"});
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
