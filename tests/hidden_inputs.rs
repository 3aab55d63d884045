//! Logs whose form could hide what they hold (issue 13, cases 9 to 12): damaged gzip, junk
//! before the log, an over-long line, `\r`-only line ends and UTF-16LE without a BOM. Each is
//! either matched in full or reported as a gap (`complete: false`, exit 2 when nothing else
//! was found).

mod common;

use std::io::Write;
use std::path::Path;

use common::*;
use serde_json::Value;

/// Lines the bundled rules find: SSW-LOG-WEBSHELL-001 and -002 on each.
fn attack(i: usize) -> String {
    format!(
        "192.0.2.50 - - [21/Jul/2025:06:00:{:02} +0000] \"GET /wp-content/uploads/2025/07/x{i}.php?cmd=id;uname+-a HTTP/1.1\" 200 88 \"-\" \"curl/8.5.0\"\n",
        i % 60
    )
}

fn ordinary(i: usize) -> String {
    format!(
        "198.51.100.7 - - [21/Jul/2025:06:01:{:02} +0000] \"GET /blog/{i}.html HTTP/1.1\" 200 5120 \"-\" \"Mozilla/5.0\"\n",
        i % 60
    )
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

struct Run {
    code: i32,
    /// (rule id, line) of each finding.
    found: Vec<(String, u64)>,
    summary: Value,
    stderr: String,
}

fn scan(dir: &Path) -> Run {
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        dir.as_os_str(),
    ]);
    let (findings, summary) = findings_and_summary(&out);
    Run {
        code: code(&out),
        found: findings
            .iter()
            .map(|f| {
                (
                    f["rule"]["id"].as_str().unwrap().to_owned(),
                    f["shellsweep"]["log"]["line"].as_u64().unwrap(),
                )
            })
            .collect(),
        summary: summary["shellsweep"]["summary"].clone(),
        stderr: stderr(&out),
    }
}

/// The lines with a finding, in order, once each.
fn lines_found(r: &Run) -> Vec<u64> {
    let mut v: Vec<u64> = r.found.iter().map(|(_, l)| *l).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Case 9: a gzip stream that does not end cleanly is an error at every size, and the text
/// decoded before the damage is matched as a log.
#[test]
fn a_damaged_gzip_log_is_an_error_and_its_intact_part_is_matched() {
    for lines in [1usize, 6, 40] {
        let text: String = (0..lines).map(attack).collect();
        let gz = gzip(text.as_bytes());
        let mut bad_crc = gz.clone();
        let crc = bad_crc.len() - 8;
        bad_crc[crc] ^= 0x55;
        let mut trailing = gz.clone();
        trailing.push(0);
        let cut = gz[..gz.len() - 20].to_vec();
        for (what, data) in [
            ("bad CRC", bad_crc),
            ("trailing byte", trailing),
            ("cut", cut),
        ] {
            let dir = tempfile::tempdir().unwrap();
            write(dir.path(), "logs/access.log.1.gz", &data);
            let r = scan(dir.path());
            let ctx = format!("{lines} lines, {what}: {:?} {}", r.found, r.stderr);
            assert_eq!(r.summary["errors"], 1, "{ctx}");
            assert_eq!(r.summary["complete"], false, "{ctx}");
            assert!(r.stderr.contains("access.log.1.gz"), "{ctx}");
            assert_eq!(r.summary["logs"]["logs_scanned"], 1, "{ctx}");
            // Matched as a log, not as a file's raw bytes: every finding is a log finding at
            // a line of the intact part.
            assert!(!r.found.is_empty(), "{ctx}");
            assert_eq!(r.code, 1, "{ctx}");
            let found = lines_found(&r);
            if what != "cut" {
                assert_eq!(found, (1..=lines as u64).collect::<Vec<_>>(), "{ctx}");
            }
        }
    }
}

#[test]
fn a_damaged_gzip_log_with_nothing_found_exits_2() {
    let text: String = (0..30).map(ordinary).collect();
    let mut gz = gzip(text.as_bytes());
    let crc = gz.len() - 8;
    gz[crc] ^= 0x55;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "logs/access.log.2.gz", &gz);
    let r = scan(dir.path());
    assert_eq!(r.summary["errors"], 1, "{}", r.stderr);
    assert_eq!(r.summary["complete"], false);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // The intact copy is clean and complete.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "logs/access.log.2.gz", &gzip(text.as_bytes()));
    let r = scan(dir.path());
    assert_eq!(
        (r.code, r.summary["complete"].clone()),
        (0, Value::Bool(true))
    );
}

/// Case 11: an over-long line makes the run incomplete, and its tail is still searched by
/// the rules that match lines as logged.
#[test]
fn the_tail_of_an_over_long_line_is_searched_and_the_run_is_incomplete() {
    let raw_rule = "signout with ToolPane.aspx detected";
    let long_line = |tail: &str| {
        // The rule's text three times: across the first cut (1 MiB), in the middle, and at
        // the end of a 5 MB request; one finding for the line.
        let mut q = "A".repeat(5 << 20);
        q.replace_range((1 << 20) - 10..(1 << 20) - 10 + raw_rule.len(), raw_rule);
        q.replace_range(3 << 20..(3 << 20) + raw_rule.len(), raw_rule);
        format!(
            "203.0.113.9 - - [19/Jul/2025:09:14:04 +0200] \"GET /x?q={q}{tail} HTTP/1.1\" 200 43 \"-\" \"Mozilla/5.0\"\n"
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}{}{}{}",
        ordinary(1),
        ordinary(2),
        long_line(&format!("+{raw_rule}")),
        attack(4)
    );
    write(dir.path(), "logs/access.log", text.as_bytes());
    let r = scan(dir.path());
    assert_eq!(r.summary["logs"]["lines_truncated"], 1);
    assert_eq!(r.summary["complete"], false);
    // Which log made the run incomplete is said.
    assert!(
        r.stderr
            .contains("access.log: 1 line(s) over the line limit"),
        "{}",
        r.stderr
    );
    let on_long: Vec<&String> = r
        .found
        .iter()
        .filter(|(_, l)| *l == 3)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(on_long, ["SSW-LOG-TOOLSHELL-005"], "{:?}", r.found);
    // The line after it is read as usual.
    assert!(r.found.iter().any(|(_, l)| *l == 4), "{:?}", r.found);
    assert_eq!(r.code, 1);

    // Nothing found: the gap alone makes it exit 2.
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}{}{}", ordinary(1), long_line(""), ordinary(3))
        .replace(raw_rule, "signout with nothing at all detected");
    write(dir.path(), "logs/access.log", text.as_bytes());
    let r = scan(dir.path());
    assert!(r.found.is_empty(), "{:?}", r.found);
    assert_eq!(r.summary["logs"]["lines_truncated"], 1);
    assert_eq!(r.summary["complete"], false);
    assert_eq!(r.code, 2);
}

const IIS_HEADER: [&str; 4] = [
    "#Software: Microsoft Internet Information Services 10.0",
    "#Version: 1.0",
    "#Date: 2025-07-21 06:00:00",
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken",
];

fn iis_lines() -> Vec<String> {
    let mut v: Vec<String> = IIS_HEADER.iter().map(|s| (*s).to_owned()).collect();
    v.push("2025-07-21 06:00:00 10.0.0.5 GET /default.aspx - 443 - 192.0.2.50 Mozilla/5.0 - 200 0 0 15".into());
    v.push("2025-07-21 06:00:01 10.0.0.5 GET /up/x.aspx cmd=whoami%26%26ipconfig+/all 443 - 192.0.2.50 curl/8.5.0 - 200 0 0 15".into());
    v.push("2025-07-21 06:00:02 10.0.0.5 GET /default.aspx - 443 - 192.0.2.50 Mozilla/5.0 - 200 0 0 15".into());
    v
}

/// Reads `data` as `W3SVC1/u_ex250721.log`: it must give what the `\r\n` log gives.
fn reads_as_the_iis_log(what: &str, data: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "W3SVC1/u_ex250721.log", data);
    let r = scan(dir.path());
    assert_eq!(r.summary["logs"]["logs_scanned"], 1, "{what}");
    assert_eq!(r.summary["logs"]["records"], 3, "{what}");
    let mut found = r.found.clone();
    found.sort();
    assert_eq!(
        found,
        [
            ("SSW-LOG-WEBSHELL-001".to_owned(), 6),
            ("SSW-LOG-WEBSHELL-002".to_owned(), 6)
        ],
        "{what}"
    );
    assert_eq!(r.code, 1, "{what}");
}

/// Case 12: an IIS log with `\r` alone between lines is read line by line, not as one
/// directive.
#[test]
fn a_cr_only_iis_log_is_read_line_by_line() {
    let lines = iis_lines();
    reads_as_the_iis_log("crlf", (lines.join("\r\n") + "\r\n").as_bytes());
    reads_as_the_iis_log("cr", (lines.join("\r") + "\r").as_bytes());
}

/// Case 12: UTF-16LE without a BOM is transcoded as with one.
#[test]
fn a_utf16le_iis_log_without_a_bom_is_transcoded() {
    let crlf = iis_lines().join("\r\n") + "\r\n";
    let wide: Vec<u8> = crlf.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut with_bom = vec![0xFF, 0xFE];
    with_bom.extend(&wide);
    reads_as_the_iis_log("utf16le with a BOM", &with_bom);
    reads_as_the_iis_log("utf16le without a BOM", &wide);
}

/// A combined log of 30 lines, an attack on every third: the lines (counted from 1) found.
fn combined_body() -> (String, Vec<u64>) {
    let mut text = String::new();
    let mut attacks = Vec::new();
    for i in 0..30 {
        if i % 3 == 0 {
            text.push_str(&attack(i));
            attacks.push(i as u64 + 1);
        } else {
            text.push_str(&ordinary(i));
        }
    }
    (text, attacks)
}

/// Scans `before` + the combined log at `rel`; the field rules must find every attack line.
fn finds_the_log_after(rel: &str, before: &str, junk_lines: u64) -> Run {
    let (body, attacks) = combined_body();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), rel, format!("{before}{body}").as_bytes());
    let r = scan(dir.path());
    let want: Vec<u64> = attacks.iter().map(|l| l + junk_lines).collect();
    assert_eq!(lines_found(&r), want, "{rel}: {:?}", r.found);
    // Field rules, not only text ones: both command rules on each line.
    assert_eq!(r.found.len(), 2 * want.len(), "{rel}: {:?}", r.found);
    assert_eq!(r.summary["logs"]["lines_unparsed"], junk_lines, "{rel}");
    assert_eq!(r.code, 1);
    r
}

/// Case 10: a log that starts with a 100 KB line is still read as its format.
#[test]
fn a_log_starting_with_a_100_kb_line_is_parsed() {
    let first = format!("{}\n", "X".repeat(100_000));
    finds_the_log_after("logs/access.log", &first, 1);
}

/// Case 10: junk lines before a log, few (the head tells) or many (the format is told as the
/// lines go), do not turn it into plain text; they are counted.
#[test]
fn junk_lines_before_a_log_are_counted_and_the_log_is_parsed() {
    let junk = |n: usize| -> String {
        (0..n)
            .map(|i| format!("junk line {i}: rotated by cron, see /etc/logrotate.d\n"))
            .collect()
    };
    finds_the_log_after("logs/access.log", &junk(40), 40);
    finds_the_log_after("logs/access.log", &junk(15), 15);
    finds_the_log_after("logs/access.log", &junk(5), 5);
    // Outside a log folder, content alone tells once the head holds a run of log lines.
    finds_the_log_after("data/export.txt", &junk(15), 15);
    // An IIS log after junk: its directives say so.
    let mut text = junk(40);
    for l in iis_lines() {
        text.push_str(&l);
        text.push_str("\r\n");
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "W3SVC1/u_ex250721.log", text.as_bytes());
    let r = scan(dir.path());
    let mut found = r.found.clone();
    found.sort();
    assert_eq!(
        found,
        [
            ("SSW-LOG-WEBSHELL-001".to_owned(), 46),
            ("SSW-LOG-WEBSHELL-002".to_owned(), 46)
        ]
    );
    assert_eq!(r.summary["logs"]["lines_unparsed"], 40);
}

/// Case 10 with `--state`: a sweep that gets only a line or two of a log whose head is junk
/// still reads them as the log's format (they are not passed over as text for good).
#[test]
fn a_resumed_log_after_junk_reads_its_new_lines_as_its_format() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let logs = dir.path().join("logs");
    let junk: String = (0..40).map(|i| format!("junk line {i}\n")).collect();
    let log = write(
        &logs,
        "access.log",
        format!("{junk}{}", ordinary(1)).as_bytes(),
    );
    let sweep = || {
        let out = sweep_jsonl(&state, &logs);
        let (findings, summary) = findings_and_summary(&out);
        let found: Vec<(String, u64)> = findings
            .iter()
            .map(|f| {
                (
                    f["rule"]["id"].as_str().unwrap().to_owned(),
                    f["shellsweep"]["log"]["line"].as_u64().unwrap(),
                )
            })
            .collect();
        (found, summary)
    };
    let (found, _) = sweep();
    assert!(found.is_empty(), "{found:?}");
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(attack(2).as_bytes()).unwrap();
    drop(f);
    let (mut found, summary) = sweep();
    assert_eq!(summary["shellsweep"]["summary"]["logs"]["resumed"], 1);
    found.sort();
    assert_eq!(
        found,
        [
            ("SSW-LOG-WEBSHELL-001".to_owned(), 42),
            ("SSW-LOG-WEBSHELL-002".to_owned(), 42)
        ]
    );
}

/// Case 10: log lines with junk between them, never three in a row, are still matched by
/// their fields.
#[test]
fn log_lines_among_junk_are_parsed_one_by_one() {
    let mut text: String = (0..40).map(|i| format!("junk line {i}\n")).collect();
    let mut want = Vec::new();
    for i in 0..5 {
        text.push_str(&attack(i));
        want.push(41 + 2 * i as u64);
        text.push_str(&format!("junk after {i}\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "logs/access.log", text.as_bytes());
    let r = scan(dir.path());
    assert_eq!(lines_found(&r), want, "{:?}", r.found);
    assert_eq!(r.found.len(), 2 * want.len(), "{:?}", r.found);
    assert_eq!(r.summary["logs"]["lines_unparsed"], 45);
}
