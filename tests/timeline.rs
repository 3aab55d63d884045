//! `scan --timeline FILE`: the CSV is read back with Python's csv module, as Timesketch's
//! importer reads it, and held against the JSON lines of the same run.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use serde_json::Value;

const COLUMNS: [&str; 20] = [
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

/// The CSV as Python's csv module reads it, each row as a map from column to cell, plus
/// each row's `datetime` as Python's ISO 8601 parser reads it (seconds since the epoch): the
/// timeline must be readable by other tools than ours.
fn python_rows(csv: &Path) -> (Vec<String>, Vec<BTreeMap<String, String>>, Vec<f64>) {
    let script = r#"
import csv, datetime, json, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f, strict=True))
header, body = rows[0], rows[1:]
for r in body:
    if len(r) != len(header):
        sys.exit(f"row with {len(r)} cells, header has {len(header)}: {r!r}")
times = [datetime.datetime.fromisoformat(r[header.index("datetime")]).timestamp() for r in body]
print(json.dumps({"header": header, "rows": body, "times": times}))
"#;
    let v = common::python_json(script, csv, "python's csv module");
    let header: Vec<String> = serde_json::from_value(v["header"].clone()).unwrap();
    let rows: Vec<Vec<String>> = serde_json::from_value(v["rows"].clone()).unwrap();
    let times: Vec<f64> = serde_json::from_value(v["times"].clone()).unwrap();
    let rows = rows
        .into_iter()
        .map(|r| header.iter().cloned().zip(r).collect())
        .collect();
    (header, rows, times)
}

/// The finding and pivot lines of a JSON lines file (not the summary, errors or skips).
fn finding_lines(jsonl: &Path) -> Vec<Value> {
    std::fs::read_to_string(jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|d| d["event"]["kind"] == "alert" || d["event"]["dataset"] == "shellsweep.pivot")
        .collect()
}

fn millis(t: &str) -> i64 {
    t.parse::<jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("{t}: {e}"))
        .as_millisecond()
}

#[test]
fn the_fixtures_timeline_is_sorted_complete_and_agrees_with_the_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("out.jsonl");
    let csv = dir.path().join("timeline.csv");
    let out = scan_to(&jsonl, &csv, "fixtures/");
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let docs = finding_lines(&jsonl);
    let (header, rows, times) = python_rows(&csv);
    assert_eq!(header, COLUMNS);
    assert!(docs.len() > 100, "the fixtures give many findings");
    assert_eq!(rows.len(), docs.len(), "one row per finding line");
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "datetimes are non-decreasing"
    );

    // Each row is its JSON line's, dated as docs/TIMELINE.md says.
    let mut by_id: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for d in &docs {
        by_id
            .entry(d["event"]["id"].as_str().unwrap())
            .or_default()
            .push(d);
    }
    let mut kinds = BTreeMap::new();
    for r in &rows {
        let candidates = by_id
            .get(r["event_id"].as_str())
            .unwrap_or_else(|| panic!("row without a JSON line: {r:?}"));
        let d = candidates[0];
        // Correlation and pivot rows come once the fixtures hold the incident of issue 16.
        let (want_time, want_desc) = match r["event_kind"].as_str() {
            "file" => (&d["file"]["mtime"], "File Modified"),
            "log" | "pivot" => (&d["event"]["start"], "Request Time"),
            "baseline" if d["rule"]["id"] == "SSW-BASELINE-GONE" => (&Value::Null, ""),
            "baseline" => (&d["file"]["mtime"], "File Modified"),
            "webshell_requested" => (&d["event"]["start"], "First Request"),
            "dropped_after_exploit" => (
                &d["shellsweep"]["correlation"]["file_time"],
                r["timestamp_desc"].as_str(),
            ),
            other => panic!("a row of unknown kind {other}: {r:?}"),
        };
        *kinds.entry(r["event_kind"].clone()).or_insert(0) += 1;
        match want_time.as_str() {
            Some(t) => {
                assert_eq!(millis(&r["datetime"]), millis(t), "{r:?}");
                assert_eq!(r["timestamp_desc"], want_desc, "{r:?}");
            }
            None => {
                assert_eq!(r["timestamp_desc"], "Scan Time", "{r:?}");
                assert_eq!(
                    millis(&r["datetime"]),
                    millis(d["@timestamp"].as_str().unwrap())
                );
            }
        }
        assert_eq!(r["rule_id"], d["rule"]["id"].as_str().unwrap_or_default());
        assert_eq!(
            r["severity"],
            d["shellsweep"]["severity_name"]
                .as_str()
                .unwrap_or_default()
        );
        match r["event_kind"].as_str() {
            "file" => {
                assert_eq!(r["file_path"], d["file"]["path"].as_str().unwrap());
                assert!(r["message"].starts_with("Webshell finding "), "{r:?}");
            }
            "log" | "pivot" => {
                assert_eq!(r["log_path"], d["log"]["file"]["path"].as_str().unwrap());
                assert_eq!(r["log_line"], d["shellsweep"]["log"]["line"].to_string());
            }
            _ => {}
        }
    }
    assert!(kinds.get("file").is_some_and(|n| *n > 50), "{kinds:?}");
    assert!(kinds.get("log").is_some_and(|n| *n > 10), "{kinds:?}");
}

#[test]
fn a_text_run_writes_the_same_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    for (format, csv) in [("jsonl", &a), ("text", &b)] {
        let out = run([
            "scan".as_ref(),
            "-q".as_ref(),
            "--format".as_ref(),
            format.as_ref(),
            "--timeline".as_ref(),
            csv.as_os_str(),
            "fixtures/webroot/var".as_ref(),
            "fixtures/logs/iis".as_ref(),
        ]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
    }
    let (_, rows_a, _) = python_rows(&a);
    let (_, rows_b, _) = python_rows(&b);
    assert!(!rows_a.is_empty());
    // Rows dated by the scan would differ in time; the fixtures have none.
    assert!(rows_a.iter().all(|r| r["timestamp_desc"] != "Scan Time"));
    assert_eq!(rows_a, rows_b);
}

/// A combined-format log line whose user agent holds an escaped line break and begins like
/// a spreadsheet formula.
const HOSTILE_LOG: &str = "203.0.113.7 - - [19/Jul/2025:09:14:03 +0200] \
    \"GET /up/s.php?cmd=whoami HTTP/1.1\" 200 43 \"-\" \
    \"=cmd|' /C calc'!A0\\x0a\\x0dinjected,\\\"row\\\"\"\n";

#[cfg(unix)]
#[test]
fn hostile_names_and_user_agents_stay_one_neutralised_row_each() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web");
    write(&web, "=cmd|' /C calc'!A0.php", PHP_SHELL);
    write(&web, "q\"uo,te\nnew.php", PHP_SHELL);
    write(&web, "access.log", HOSTILE_LOG.as_bytes());
    let (jsonl, csv) = (dir.path().join("o.jsonl"), dir.path().join("t.csv"));
    let out = scan_to(&jsonl, &csv, &web);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let docs = finding_lines(&jsonl);
    let (_, rows, _) = python_rows(&csv);
    assert_eq!(rows.len(), docs.len());
    let ua = docs
        .iter()
        .find_map(|d| d["user_agent"]["original"].as_str())
        .expect("the log finding");
    assert!(ua.starts_with("=cmd") && ua.contains('\n'), "{ua:?}");
    let log_rows: Vec<_> = rows.iter().filter(|r| r["event_kind"] == "log").collect();
    assert!(!log_rows.is_empty());
    for r in &log_rows {
        assert_eq!(
            r["user_agent"], "'=cmd|' /C calc'!A0\\n\\rinjected,\"row\"",
            "defused, the breaks visible"
        );
        assert_eq!(r["source_ip"], "203.0.113.7");
    }
    for name in ["=cmd|' /C calc'!A0.php", "q\"uo,te\\nnew.php"] {
        let n = rows
            .iter()
            .filter(|r| r["file_path"].ends_with(&format!("/{name}")))
            .count();
        assert!(n > 0, "{name} has its rows: {rows:?}");
    }
    let raw = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        raw.matches("\r\n").count(),
        rows.len() + 1,
        "no line break but at the end of a row"
    );
    assert!(
        !raw.contains('\n') || raw.split("\r\n").all(|l| !l.contains('\n')),
        "no bare line feed"
    );
    assert!(
        raw.lines()
            .skip(1)
            .all(|l| !l.starts_with(['=', '+', '-', '@'])),
        "no row begins like a formula"
    );
}

#[test]
fn the_timeline_is_never_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web");
    write(&web, "a.php", PHP_SHELL);
    let csv = web.join("timeline.csv");
    let scan = |extra: &[&std::ffi::OsStr]| {
        let mut args: Vec<&std::ffi::OsStr> = ["scan", "-q", "--format", "jsonl"]
            .map(std::ffi::OsStr::new)
            .to_vec();
        args.extend_from_slice(extra);
        args.push(web.as_os_str());
        run(args)
    };
    assert_eq!(code(&scan(&["--timeline".as_ref(), csv.as_os_str()])), 1);
    // A hash IOC of the timeline left by that run: only being the scanner's own file keeps
    // it from a finding.
    let sha = {
        use sha2::Digest;
        let d = sha2::Sha256::digest(std::fs::read(&csv).unwrap());
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let iocs = write(dir.path(), "iocs.txt", format!("{sha}\n").as_bytes());
    let named = |out: &std::process::Output| {
        let (findings, _) = findings_and_summary(out);
        findings.iter().any(|f| {
            f["file"]["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("timeline.csv"))
        })
    };
    let with = scan(&[
        "--ioc".as_ref(),
        iocs.as_os_str(),
        "--timeline".as_ref(),
        csv.as_os_str(),
    ]);
    assert!(!named(&with), "{}", stderr(&with));
    let without = scan(&["--ioc".as_ref(), iocs.as_os_str()]);
    assert!(named(&without), "the IOC does find it when it is not ours");
}

#[test]
fn a_timeline_that_cannot_be_written_stops_the_run_before_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("o.jsonl");
    let cases: [(&Path, &str); 3] = [
        (dir.path(), "must name a file, not a folder"),
        (
            &dir.path().join("missing/t.csv"),
            "could not be written there",
        ),
        (&out_file, "also the output"),
    ];
    for (timeline, says) in cases {
        let out = run([
            "scan".as_ref(),
            "-o".as_ref(),
            out_file.as_os_str(),
            "--timeline".as_ref(),
            timeline.as_os_str(),
            "fixtures/webroot".as_ref(),
        ]);
        assert_eq!(code(&out), 2, "{timeline:?}");
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
        assert!(!out_file.exists(), "refused before the output was opened");
    }
}

#[test]
fn findings_carried_over_by_the_state_keep_their_rows() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web");
    write(&web, "a.php", PHP_SHELL);
    let state = dir.path().join("state.json");
    let csvs = [dir.path().join("1.csv"), dir.path().join("2.csv")];
    for (i, csv) in csvs.iter().enumerate() {
        // Text: carried-over findings are written as text, and still reach the timeline.
        let out = run([
            "scan".as_ref(),
            "-q".as_ref(),
            "--state".as_ref(),
            state.as_os_str(),
            "--timeline".as_ref(),
            csv.as_os_str(),
            web.as_os_str(),
        ]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let carried = String::from_utf8_lossy(&out.stdout).contains("carried over");
        assert_eq!(carried, i == 1, "the second run carries the findings over");
    }
    let (_, first, _) = python_rows(&csvs[0]);
    let (_, second, _) = python_rows(&csvs[1]);
    assert!(!first.is_empty());
    assert_eq!(first, second, "the same rows, dated by the file");
}

/// A quiet JSON-lines scan of `root` into `jsonl`, with its timeline in `csv`.
fn scan_to(
    jsonl: &std::path::Path,
    csv: &std::path::Path,
    root: impl AsRef<std::ffi::OsStr>,
) -> std::process::Output {
    run([
        "scan".as_ref(),
        "-q".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "-o".as_ref(),
        jsonl.as_os_str(),
        "--timeline".as_ref(),
        csv.as_os_str(),
        root.as_ref(),
    ])
}
