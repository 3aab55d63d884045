//! The fixture incident (fixtures/incident/, all written here): a SharePoint-like web root
//! with an IIS site config, and two days of IIS logs behind a load balancer (clients in
//! X-Forwarded-For). On 2025-07-19 at 10:02:13 UTC 203.0.113.45 sends the ToolShell exploit
//! POST; `spinstall0.aspx` appears in LAYOUTS two seconds later; 203.0.113.45 requests it
//! and looks around; the next night 198.51.100.77 uses it too. A scanner probed the name
//! before it existed (404). One `shellsweep scan` must answer the responder's four questions.
//!
//! The test stages the fixture in a temporary folder, as a responder's copy would be: the
//! baseline is taken of the web root before the drop, the webshell gets the time it was
//! written, and the second day's log is rotated into `.gz`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

const ATTACKER: &str = "203.0.113.45";
const SECOND: &str = "198.51.100.77";
const PROBE: &str = "192.0.2.99";
const LAYOUTS: &str =
    "Program Files/Common Files/microsoft shared/Web Server Extensions/16/TEMPLATE/LAYOUTS";

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn set_mtime(path: &Path, rfc3339: &str) {
    let t: jiff::Timestamp = rfc3339.parse().unwrap();
    let when = std::time::SystemTime::try_from(t).unwrap();
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

/// The staged incident: `(temp dir, web root, logs, baseline)`.
fn stage() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("fixtures/incident"), dir.path());
    let webroot = dir.path().join("webroot");
    let logs = dir.path().join("logs");
    let shell = webroot.join(LAYOUTS).join("spinstall0.aspx");
    // The known-good baseline, taken before the drop.
    let aside = dir.path().join("spinstall0.aspx.aside");
    std::fs::rename(&shell, &aside).unwrap();
    let base = dir.path().join("known-good.jsonl");
    let out = run([
        "baseline".as_ref(),
        "create".as_ref(),
        webroot.as_os_str(),
        "-o".as_ref(),
        base.as_os_str(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    std::fs::rename(&aside, &shell).unwrap();
    set_mtime(&shell, "2025-07-19T10:02:15Z");
    // The second day's log, rotated.
    let day2 = logs.join("W3SVC1/u_ex250720.log");
    let text = std::fs::read(&day2).unwrap();
    let gz = std::fs::File::create(logs.join("W3SVC1/u_ex250720.log.gz")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(gz, flate2::Compression::default());
    enc.write_all(&text).unwrap();
    enc.finish().unwrap();
    std::fs::remove_file(&day2).unwrap();
    (dir, webroot, logs, base)
}

/// The records of the fixture logs, as the test reads them: (log name, line) -> client
/// address (X-Forwarded-For, the last field).
fn fixture_records() -> BTreeMap<(String, u64), String> {
    let mut out = BTreeMap::new();
    for name in ["u_ex250719.log", "u_ex250720.log"] {
        let text = std::fs::read_to_string(repo().join("fixtures/incident/logs/W3SVC1").join(name))
            .unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.starts_with('\u{feff}') {
                continue;
            }
            let client = line.split(' ').next_back().unwrap().to_owned();
            out.insert((name.to_owned(), i as u64 + 1), client);
        }
    }
    out
}

fn time(v: &Value) -> jiff::Timestamp {
    v.as_str()
        .unwrap_or_else(|| panic!("a time: {v}"))
        .parse()
        .unwrap()
}

fn log_name(v: &Value) -> String {
    let p = v["log"]["file"]["path"].as_str().unwrap();
    Path::new(p)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .trim_end_matches(".gz")
        .to_owned()
}

#[test]
fn one_scan_answers_the_four_questions() {
    let (dir, webroot, logs, base) = stage();
    let timeline = dir.path().join("timeline.csv");
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--baseline".as_ref(),
        base.as_os_str(),
        "--timeline".as_ref(),
        timeline.as_os_str(),
        webroot.as_os_str(),
        logs.as_os_str(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let lines = json_lines(&out);
    let shell_path = std::fs::canonicalize(webroot.join(LAYOUTS).join("spinstall0.aspx")).unwrap();
    let is_shell = |v: &Value| {
        v["file"]["path"]
            .as_str()
            .is_some_and(|p| std::fs::canonicalize(p).ok().as_deref() == Some(&*shell_path))
    };
    let rule = |v: &Value| v["rule"]["id"].as_str().unwrap_or_default().to_owned();

    // 1. Which files are webshells.
    let file_findings: Vec<&Value> = lines
        .iter()
        .filter(|v| v["event"]["dataset"] == "shellsweep.file" && is_shell(v))
        .collect();
    assert!(
        file_findings.iter().any(|v| rule(v) == "SSW-TOOLSHELL-001"),
        "the webshell is found: {file_findings:?}"
    );

    // 2. Which clients requested it.
    let requested: Vec<&Value> = lines
        .iter()
        .filter(|v| rule(v) == "SSW-CORR-REQUESTED")
        .collect();
    assert_eq!(requested.len(), 1, "{requested:?}");
    let req = requested[0];
    assert!(is_shell(req));
    assert_eq!(req["event"]["kind"], "alert");
    assert_eq!(req["shellsweep"]["severity_name"], "critical");
    let c = &req["shellsweep"]["correlation"];
    assert_eq!(c["type"], "webshell_requested");
    assert_eq!(
        c["join"], "webroot",
        "joined through applicationHost.config: {c}"
    );
    assert!(
        c["join_source"]
            .as_str()
            .unwrap()
            .contains("applicationHost.config"),
        "{c}"
    );
    let r = &c["requests"];
    // 203.0.113.45 once, 198.51.100.77 twice (once in capitals: IIS paths are not
    // case-sensitive); the scanner's probe answered 404 and is counted apart.
    assert_eq!(r["count"], 3, "{r}");
    assert_eq!(r["not_found"], 1, "{r}");
    let clients: BTreeSet<&str> = r["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(clients, BTreeSet::from([ATTACKER, SECOND, PROBE]));
    assert_eq!(time(&r["first"]), time(&"2025-07-19T09:58:40Z".into()));
    assert_eq!(time(&r["last"]), time(&"2025-07-20T03:14:09Z".into()));
    assert!(
        r["user_agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u == "curl/8.5.0")
    );

    // 3. What else those clients did: every record of theirs, in both logs, as pivot
    // events; nobody else's but the probe's request for the webshell.
    let pivots: Vec<&Value> = lines
        .iter()
        .filter(|v| v["event"]["dataset"] == "shellsweep.pivot")
        .collect();
    for p in &pivots {
        assert_eq!(p["event"]["kind"], "event");
        assert!(p.get("rule").is_none(), "an event has no rule: {p}");
    }
    let got: BTreeMap<(String, u64), String> = pivots
        .iter()
        .map(|p| {
            (
                (
                    log_name(p),
                    p["shellsweep"]["log"]["line"].as_u64().unwrap(),
                ),
                p["shellsweep"]["pivot"]["address"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    let want: BTreeMap<(String, u64), String> = fixture_records()
        .into_iter()
        .filter(|(_, client)| [ATTACKER, SECOND, PROBE].contains(&client.as_str()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(pivots.len(), want.len(), "each record once");
    // The request ids named by the correlation are pivot events.
    let pivot_ids: BTreeSet<&str> = pivots
        .iter()
        .map(|p| p["event"]["id"].as_str().unwrap())
        .collect();
    let named = r["event_ids"].as_array().unwrap();
    assert_eq!(named.len(), 4);
    for id in named {
        assert!(
            pivot_ids.contains(id.as_str().unwrap()),
            "{id} is a pivot event"
        );
    }
    let reasons: BTreeMap<&str, &str> = pivots
        .iter()
        .map(|p| {
            (
                p["shellsweep"]["pivot"]["address"].as_str().unwrap(),
                p["shellsweep"]["pivot"]["via"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(reasons[ATTACKER], "exploit");
    assert_eq!(reasons[SECOND], "webshell_requested");
    // In time order.
    let times: Vec<&str> = pivots
        .iter()
        .map(|p| p["event"]["start"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);

    // The drop: the exploit POST, then the file two seconds later, in the folder the
    // exploited URL is served from.
    let dropped: Vec<&Value> = lines
        .iter()
        .filter(|v| rule(v) == "SSW-CORR-DROPPED")
        .collect();
    assert_eq!(dropped.len(), 1, "{dropped:?}");
    let d = dropped[0];
    assert!(is_shell(d));
    assert_eq!(d["shellsweep"]["severity_name"], "critical");
    assert_eq!(d["source"]["ip"], ATTACKER);
    let dc = &d["shellsweep"]["correlation"];
    assert_eq!(dc["type"], "dropped_after_exploit");
    assert_eq!(dc["exploit"]["rule_id"], "SSW-LOG-TOOLSHELL-001");
    assert_eq!(dc["exploit"]["url_path"], "/_layouts/15/ToolPane.aspx");
    assert_eq!(
        time(&dc["exploit"]["time"]),
        time(&"2025-07-19T10:02:13Z".into())
    );
    assert_eq!(dc["file_time_kind"], "modified");
    assert_eq!(dc["delay_seconds"], 2);
    assert_eq!(dc["join"], "webroot");
    let exploit_id = dc["exploit"]["event_id"].as_str().unwrap();
    assert!(
        lines
            .iter()
            .any(|v| v["event"]["id"] == exploit_id && rule(v) == "SSW-LOG-TOOLSHELL-001"),
        "the exploit finding is the one named"
    );

    // 4. What changed since the web root was known good.
    let new: Vec<&Value> = lines
        .iter()
        .filter(|v| rule(v) == "SSW-BASELINE-NEW")
        .collect();
    assert_eq!(new.len(), 1, "only the webshell is new: {new:?}");
    assert!(
        !lines
            .iter()
            .any(|v| rule(v).starts_with("SSW-BASELINE-") && !is_shell(v)),
        "the log folder is not compared with the web root's baseline"
    );
    assert!(is_shell(new[0]));
    assert_eq!(new[0]["shellsweep"]["severity_name"], "critical");

    // The timeline, as Timesketch's importer reads it (Python's csv): every line above, in
    // time order; the drop at the file's time, two seconds after the exploit's request.
    let rows = timeline_rows(&timeline);
    let alerts_and_events = lines
        .iter()
        .filter(|v| v["event"]["kind"] == "alert" || v["event"]["dataset"] == "shellsweep.pivot")
        .count();
    assert_eq!(rows.len(), alerts_and_events);
    let times: Vec<jiff::Timestamp> = rows.iter().map(|r| time(&r["datetime"])).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");
    let at = |rule: &str| {
        rows.iter()
            .position(|r| r["rule_id"] == rule)
            .unwrap_or_else(|| panic!("{rule} in the timeline"))
    };
    assert!(at("SSW-LOG-TOOLSHELL-001") < at("SSW-CORR-DROPPED"));
    let drop_row = &rows[at("SSW-CORR-DROPPED")];
    assert_eq!(
        time(&drop_row["datetime"]),
        time(&"2025-07-19T10:02:15Z".into())
    );
    assert_eq!(drop_row["source_ip"], ATTACKER);
    let pivot_rows: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r["event_kind"] == "pivot")
        .map(|r| r["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(pivot_rows, pivot_ids);
    drop(dir);
}

/// The timeline's rows, read by Python's csv module (as Timesketch's importer would), as
/// JSON objects keyed by column.
fn timeline_rows(path: &Path) -> Vec<Value> {
    let script = "import csv, json, sys\n\
                  rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))\n\
                  for k in ('message', 'datetime', 'timestamp_desc'):\n\
                  \x20   assert k in rows[0], k\n\
                  print(json.dumps(rows))\n";
    serde_json::from_value(common::python_json(script, path, "python's csv module")).unwrap()
}

#[test]
fn nothing_is_joined_without_correlation() {
    let (_dir, webroot, logs, _base) = stage();
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--no-correlation".as_ref(),
        webroot.as_os_str(),
        logs.as_os_str(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let lines = json_lines(&out);
    assert!(lines.iter().all(|v| {
        v["event"]["dataset"] != "shellsweep.pivot"
            && v["event"]["dataset"] != "shellsweep.correlation"
    }));
}

#[test]
fn a_second_hop_follows_the_webshell_to_its_other_users() {
    // 198.51.100.77 POSTs to a second shell only it knows; 192.0.2.150 POSTs to it later.
    let (dir, webroot, logs, _base) = stage();
    append(
        &logs.join("W3SVC1/u_ex250721.log"),
        "#Software: Microsoft Internet Information Services 10.0\n\
         #Fields: date time cs-method cs-uri-stem cs-uri-query c-ip cs(User-Agent) sc-status\n\
         2025-07-21 01:00:00 POST /_layouts/15/help2.aspx - 198.51.100.77 curl/8.5.0 200\n\
         2025-07-21 01:05:00 GET /_layouts/15/start.aspx - 10.1.4.21 Mozilla/5.0 200\n\
         2025-07-21 02:00:00 POST /_layouts/15/help2.aspx - 192.0.2.150 curl/8.5.0 200\n\
         2025-07-21 02:01:00 GET /_layouts/15/viewlsts.aspx - 192.0.2.150 curl/8.5.0 200\n",
    );
    let scan = |hops: &str| {
        let out = run([
            "scan".as_ref(),
            "--format".as_ref(),
            "jsonl".as_ref(),
            "--pivot-hops".as_ref(),
            hops.as_ref(),
            webroot.as_os_str(),
            logs.as_os_str(),
        ]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        json_lines(&out)
            .into_iter()
            .filter(|v| v["event"]["dataset"] == "shellsweep.pivot")
            .map(|v| {
                (
                    v["shellsweep"]["pivot"]["address"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                    v["shellsweep"]["pivot"]["hop"].as_u64().unwrap(),
                    v["shellsweep"]["pivot"]["reason"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                )
            })
            .collect::<BTreeSet<_>>()
    };
    let one = scan("1");
    assert!(!one.iter().any(|(a, ..)| a == "192.0.2.150"), "{one:?}");
    let two = scan("2");
    assert_eq!(two, scan("2"), "the same every run");
    assert!(
        two.contains(&(
            "192.0.2.150".to_owned(),
            2,
            "hop 2: used /_layouts/15/help2.aspx like 198.51.100.77".to_owned()
        )),
        "{two:?}"
    );
    assert!(!two.iter().any(|(a, ..)| a == "10.1.4.21"), "{two:?}");
    drop(dir);
}

#[test]
fn the_report_draws_the_incident() {
    let (dir, webroot, logs, base) = stage();
    let jsonl = dir.path().join("findings.jsonl");
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "-o".as_ref(),
        jsonl.as_os_str(),
        "--baseline".as_ref(),
        base.as_os_str(),
        webroot.as_os_str(),
        logs.as_os_str(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let page = dir.path().join("report.html");
    let out = run([
        "report".as_ref(),
        jsonl.as_os_str(),
        "-o".as_ref(),
        page.as_os_str(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    for want in [
        "SSW-CORR-REQUESTED",
        "SSW-CORR-DROPPED",
        "SSW-BASELINE-NEW",
        "SSW-LOG-TOOLSHELL-001",
        "spinstall0.aspx",
        ATTACKER,
        SECOND,
        PROBE,
    ] {
        assert!(html.contains(want), "{want} is on the page");
    }
    // The attacker timeline has a row for each address the pivot followed.
    let rows = html.matches("<g class=\"row\"").count();
    assert!(rows >= 3, "{rows} rows in the chart");
}

#[test]
fn a_forged_forwarded_for_pulls_no_one_else_in() {
    // Behind the balancer, a client writes a colleague's address first in
    // X-Forwarded-For; the balancer appends what it saw (198.18.0.66).
    let (dir, webroot, logs, _base) = stage();
    append(
        &logs.join("W3SVC1/u_ex250722.log"),
        "#Software: Microsoft Internet Information Services 10.0\n\
         #Fields: date time cs-method cs-uri-stem cs-uri-query c-ip cs(User-Agent) sc-status X-Forwarded-For\n\
         2025-07-22 01:00:00 GET /_layouts/15/spinstall0.aspx - 10.20.0.2 curl/8.5.0 200 10.1.4.21,198.18.0.66\n",
    );
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        webroot.as_os_str(),
        logs.as_os_str(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let pivots: BTreeSet<String> = json_lines(&out)
        .iter()
        .filter(|v| v["event"]["dataset"] == "shellsweep.pivot")
        .map(|v| {
            v["shellsweep"]["pivot"]["address"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(pivots.contains("198.18.0.66"), "{pivots:?}");
    assert!(
        !pivots.contains("10.1.4.21"),
        "the forged address is not followed: {pivots:?}"
    );
    assert!(
        !pivots.contains("10.20.0.2"),
        "nor the balancer: {pivots:?}"
    );
    drop(dir);
}
