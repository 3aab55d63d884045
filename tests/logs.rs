//! Web-server logs through the built binary: formats, line numbers, IOC lists, time windows.

mod common;

use std::collections::BTreeSet;
use std::io::Write;

use common::*;
use serde_json::Value;

const IOC: &str = "fixtures/iocs/toolshell.txt";

fn expected() -> BTreeSet<(String, String, u64, String)> {
    let text = std::fs::read_to_string(repo().join("fixtures/logs-expected.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c[0].into(), c[1].into(), c[2].parse().unwrap(), c[3].into())
        })
        .collect()
}

fn rows(findings: &[Value]) -> BTreeSet<(String, String, u64, String)> {
    findings
        .iter()
        .map(|f| {
            (
                f["log"]["file"]["path"].as_str().unwrap().to_owned(),
                f["rule"]["id"].as_str().unwrap().to_owned(),
                f["shellsweep"]["log"]["line"].as_u64().unwrap(),
                f["event"]["severity_name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn scan_logs(extra: &[&str]) -> (Vec<Value>, Value, std::process::Output) {
    let mut args = vec!["scan", "--format", "jsonl", "--ioc", IOC];
    args.extend_from_slice(extra);
    let out = run(&args);
    let (f, s) = findings_and_summary(&out);
    (f, s, out)
}

#[test]
fn every_planted_line_is_found_at_its_line_and_nothing_else() {
    // IIS: BOM, CRLF, a #Fields change mid-file; combined: vhost, escapes; gzip with two
    // members; ULS in UTF-16 with a continuation line.
    let (findings, summary, out) = scan_logs(&["fixtures/logs"]);
    assert_eq!(code(&out), 1);
    assert_eq!(rows(&findings), expected());
    assert_eq!(findings.len(), expected().len(), "no duplicates");
    let s = &summary["shellsweep"]["summary"];
    assert_eq!(s["logs"]["logs_scanned"], 4);
    assert_eq!(s["indicators_loaded"], 8);
    assert_eq!(s["ioc_lines_rejected"], 1);
    assert!(
        stderr(&out).contains("toolshell.txt:13: error: not a single indicator"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn log_findings_carry_the_request() {
    let (findings, _, _) = scan_logs(&["fixtures/logs/iis"]);
    let f = findings
        .iter()
        .find(|f| f["rule"]["id"] == "SSW-LOG-TOOLSHELL-001")
        .unwrap();
    assert_eq!(
        f["event"]["category"],
        serde_json::json!(["intrusion_detection", "web"])
    );
    assert_eq!(f["event"]["start"], "2025-07-19T07:13:02.000Z");
    assert_eq!(f["source"]["ip"], "107.191.58.76");
    assert_eq!(f["url"]["path"], "/_layouts/15/ToolPane.aspx");
    assert_eq!(f["url"]["query"], "DisplayMode=Edit&a=/ToolPane.aspx");
    assert_eq!(f["http"]["request"]["method"], "POST");
    assert_eq!(f["http"]["request"]["referrer"], "/_layouts/SignOut.aspx");
    assert_eq!(f["http"]["response"]["status_code"], 200);
    assert!(
        f["user_agent"]["original"]
            .as_str()
            .unwrap()
            .contains("Firefox/120.0")
    );
    assert!(
        f["event"]["original"]
            .as_str()
            .unwrap()
            .starts_with("2025-07-19 07:13:02 10.20.0.15 POST")
    );
    assert_eq!(f["shellsweep"]["log"]["format"], "iis_w3c");
    assert_eq!(f["shellsweep"]["log"]["line"], 6);
    assert_eq!(
        f["shellsweep"]["selections"],
        serde_json::json!(["toolpane", "signout_referer"])
    );
    // Offset of line 6 in the decoded file: the BOM is gone, lines end in CRLF.
    let text = std::fs::read(repo().join("fixtures/logs/iis/W3SVC1/u_ex250719.log")).unwrap();
    let body = &text[3..];
    let offset: usize = body
        .split(|&b| b == b'\n')
        .take(5)
        .map(|l| l.len() + 1)
        .sum();
    assert_eq!(f["shellsweep"]["log"]["offset"], offset as u64);

    let user = findings
        .iter()
        .find(|f| f["rule"]["id"] == "SSW-LOG-WEBSHELL-001")
        .unwrap();
    assert_eq!(user["url"]["domain"], "portal.contoso.test");

    let ioc = findings
        .iter()
        .find(|f| f["rule"]["id"] == "SSW-IOC-IP" && f["shellsweep"]["log"]["line"] == 14)
        .unwrap();
    assert_eq!(ioc["threat"]["indicator"]["type"], "ipv4-addr");
    assert_eq!(ioc["threat"]["indicator"]["ip"], "203.0.113.77");
    assert_eq!(ioc["threat"]["indicator"]["provider"], IOC);
    assert_eq!(ioc["shellsweep"]["ioc"]["line"], 8);
    assert_eq!(ioc["shellsweep"]["ioc"]["field"], "x-forwarded-for");
}

#[test]
fn uls_times_are_read_in_the_given_offset_and_say_so() {
    let (findings, _, _) = scan_logs(&["--uls-utc-offset", "+02:00", "fixtures/logs/sharepoint"]);
    let f = findings
        .iter()
        .find(|f| f["shellsweep"]["log"]["line"] == 2)
        .unwrap();
    assert_eq!(f["event"]["start"], "2025-07-19T07:13:02.270Z");
    assert!(
        f["shellsweep"]["log"]["time_zone"]
            .as_str()
            .unwrap()
            .contains("+02"),
        "{f}"
    );
    assert_eq!(f["shellsweep"]["log"]["format"], "sharepoint_uls");
}

fn lines_in_window(args: &[&str], path: &str) -> Vec<u64> {
    let mut all = args.to_vec();
    all.push(path);
    let (findings, _, _) = scan_logs(&all);
    let mut v: Vec<u64> = findings
        .iter()
        .map(|f| f["shellsweep"]["log"]["line"].as_u64().unwrap())
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn since_and_until_on_each_format() {
    // IIS times are UTC.
    assert_eq!(
        lines_in_window(&["--since", "2025-07-19T08:00:00Z"], "fixtures/logs/iis"),
        [14, 16, 17]
    );
    assert_eq!(
        lines_in_window(&["--until", "2025-07-19T07:13:03Z"], "fixtures/logs/iis"),
        [6]
    );
    // Combined times carry their offset: 20/Jul/2025:10:00:00 +0200 is 08:00Z.
    assert_eq!(
        lines_in_window(
            &["--since", "2025-07-20T07:59:59Z"],
            "fixtures/logs/apache2/access.log"
        ),
        [8]
    );
    assert_eq!(
        lines_in_window(
            &["--until", "2025-07-20T07:59:59Z"],
            "fixtures/logs/apache2/access.log"
        ),
        [1, 3, 4, 7, 9]
    );
    // ULS times are local; read at +02:00 the request record is 07:13:02.27Z.
    let uls = "fixtures/logs/sharepoint";
    assert_eq!(
        lines_in_window(
            &[
                "--uls-utc-offset",
                "+02:00",
                "--until",
                "2025-07-19T07:13:02.28Z"
            ],
            uls
        ),
        [2]
    );
    assert_eq!(
        lines_in_window(
            &[
                "--uls-utc-offset",
                "+02:00",
                "--since",
                "2025-07-19T07:13:02.28Z"
            ],
            uls
        ),
        [3]
    );
    let (_, summary, _) = scan_logs(&["--since", "2025-07-19T08:00:00Z", "fixtures/logs/iis"]);
    assert_eq!(
        summary["shellsweep"]["summary"]["logs"]["records_outside_window"],
        5
    );
    assert_eq!(
        code(&run(["scan", "--since", "last tuesday", "fixtures/logs"])),
        2
    );
}

#[test]
fn web_root_and_logs_in_one_run() {
    let out = run(["scan", "--format", "jsonl", "--ioc", IOC, "fixtures"]);
    let (findings, _) = findings_and_summary(&out);
    let file_hit = findings.iter().any(|f| {
        f["file"]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("LAYOUTS/spinstall0.aspx"))
            && f["rule"]["id"] == "SSW-TOOLSHELL-001"
    });
    let log_hit = findings.iter().any(|f| {
        f["url"]["path"] == "/_layouts/15/spinstall0.aspx"
            && f["rule"]["id"] == "SSW-LOG-TOOLSHELL-003"
    });
    assert!(file_hit && log_hit);
    // The IOC list sits inside the scanned tree and names a hash: it is never a finding.
    assert!(!findings.iter().any(|f| {
        f["file"]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("toolshell.txt"))
    }));
}

#[test]
fn logs_are_streamed_whatever_their_size_and_raw_logs_matched_by_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let mut big = Vec::new();
    for i in 0..40_000 {
        writeln!(big, "198.51.100.{} - - [19/Jul/2025:09:14:03 +0200] \"GET /p/{i}.html HTTP/1.1\" 200 43 \"-\" \"Mozilla/5.0\"", i % 200).unwrap();
    }
    writeln!(
        big,
        "96.9.125.147 - - [19/Jul/2025:09:14:04 +0200] \"GET /x HTTP/1.1\" 200 1 \"-\" \"-\""
    )
    .unwrap();
    write(dir.path(), "var/log/nginx/access.log", &big);
    write(dir.path(), "var/log/app/events.log", b"login ok from 10.0.0.1\nlogin failed from 104.238.159.149.\nlogin from 104.238.159.1499\n");
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--ioc".as_ref(),
        repo().join(IOC).as_os_str(),
        "--max-filesize".as_ref(),
        "64K".as_ref(),
        dir.path().as_os_str(),
    ]);
    let (findings, summary) = findings_and_summary(&out);
    let got: BTreeSet<(String, u64)> = findings
        .iter()
        .map(|f| {
            (
                f["shellsweep"]["log"]["format"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                f["shellsweep"]["log"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        BTreeSet::from([("combined".to_owned(), 40_001), ("raw".to_owned(), 2)])
    );
    assert_eq!(
        summary["shellsweep"]["summary"]["files_skipped"].get("too_large"),
        None
    );
    assert_eq!(summary["shellsweep"]["summary"]["logs"]["records"], 40_004);
}

#[test]
fn a_decompression_bomb_is_bounded_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(
        b"198.51.100.1 - - [19/Jul/2025:09:14:03 +0200] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n",
    )
    .unwrap();
    e.write_all(&vec![b'A'; 4 << 20]).unwrap();
    write(dir.path(), "access.log.1.gz", &e.finish().unwrap());
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--max-decompressed-size".as_ref(),
        "1M".as_ref(),
        dir.path().as_os_str(),
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("max-decompressed-size"),
        "{}",
        stderr(&out)
    );
    let (_, summary) = findings_and_summary(&out);
    assert_eq!(summary["shellsweep"]["summary"]["errors"], 1);
}

#[test]
fn a_missing_ioc_list_is_a_usage_error() {
    let out = run(["scan", "--ioc", "no/such/list.txt", "fixtures/logs"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no/such/list.txt"));
}

/// A log over the split size is scanned by several threads in line-aligned parts: the
/// findings, their line numbers and field layouts are the same as with one thread.
#[test]
fn a_large_log_split_across_threads_gives_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Vec::new();
    let header = |fields: &str| {
        format!("#Software: Microsoft Internet Information Services 10.0\r\n#Fields: {fields}\r\n")
    };
    log.extend(
        header("date time s-ip cs-method cs-uri-stem cs-uri-query c-ip sc-status").as_bytes(),
    );
    let mut n = 0u32;
    while log.len() < 33 << 20 {
        n += 1;
        if n == 200_000 {
            // Mid-file layout change: the client moves to the last column.
            log.extend(
                header("date time s-ip cs-method cs-uri-stem cs-uri-query sc-status c-ip")
                    .as_bytes(),
            );
        }
        let attack = n.is_multiple_of(25_000);
        let query = if attack { "cmd=whoami" } else { "id=4" };
        let line = if n >= 200_000 {
            let client = if n.is_multiple_of(1000) {
                "96.9.125.147".to_owned()
            } else {
                format!("198.51.100.{}", n % 250)
            };
            format!("2025-07-19 08:00:00 10.0.0.1 GET /p{n}.aspx {query} 200 {client}\r\n")
        } else {
            format!(
                "2025-07-19 08:00:00 10.0.0.1 GET /p{n}.aspx {query} 198.51.100.{} 200\r\n",
                n % 250
            )
        };
        log.extend(line.as_bytes());
    }
    write(dir.path(), "W3SVC1/u_ex250719.log", &log);
    let list = write(dir.path(), "iocs.txt", b"96.9.125.147\n");
    let findings = |threads: &str| {
        let out = run([
            "scan".as_ref(),
            "--format".as_ref(),
            "jsonl".as_ref(),
            "-j".as_ref(),
            threads.as_ref(),
            "--ioc".as_ref(),
            list.as_os_str(),
            dir.path().join("W3SVC1").as_os_str(),
        ]);
        let (f, s) = findings_and_summary(&out);
        let mut rows: Vec<(String, u64, String)> = f
            .iter()
            .map(|f| {
                (
                    f["rule"]["id"].as_str().unwrap().to_owned(),
                    f["shellsweep"]["log"]["line"].as_u64().unwrap(),
                    f["url"]["path"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        rows.sort();
        (
            rows,
            s["shellsweep"]["summary"]["logs"]["records"]
                .as_u64()
                .unwrap(),
        )
    };
    let (one, records_one) = findings("1");
    let (two, records_two) = findings("2");
    assert_eq!(records_one, records_two);
    assert_eq!(one, two);
    assert!(one.iter().any(|r| r.0 == "SSW-LOG-WEBSHELL-001"));
    let iocs = one.iter().filter(|r| r.0 == "SSW-IOC-IP").count() as u64;
    assert!(
        iocs > 50,
        "the second layout maps the client column: {iocs}"
    );
    // Line numbers count both directive blocks: p1 is on line 3.
    let first_attack = one.iter().find(|r| r.0 == "SSW-LOG-WEBSHELL-001").unwrap();
    assert_eq!(first_attack.2, "/p25000.aspx");
    assert_eq!(first_attack.1, 25_000 + 2);
}
