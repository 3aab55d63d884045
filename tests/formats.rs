//! `--format csv` and several `--format`/`-o` pairs in one run.
//!
//! CSV cells are attacker text (file names, user agents, matched bytes): every record must
//! stay one physical line that both the `csv` crate and Python's csv module read as the
//! same cells, and no cell may start as a spreadsheet formula.

mod common;

use std::path::Path;

use common::{PHP_SHELL, code, run, stderr, write};
use serde_json::Value;

const HEADER: [&str; 15] = [
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

/// A web root whose file names and a log whose user agents are hostile to spreadsheets.
fn hostile(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let www = dir.join("www");
    for name in [
        "=HYPERLINK(\"http:x.invalid\",\"open\").php",
        "a\"b,c;d.php",
        "new\nline\r.php",
        "rtl\u{202e}gnp.php",
        "-2+3.php",
        "@SUM(A1).php",
        "\ttab.php",
    ] {
        write(&www, name, PHP_SHELL);
    }
    // And one user agent longer than a spreadsheet cell holds (Excel: 32,767 characters).
    let long = format!(
        "203.0.113.9 - - [19/Jul/2025:09:14:07 +0200] \"GET /w.php HTTP/1.1\" 200 43 \"-\" \"={}\"\n",
        "A".repeat(100_000)
    );
    write(
        dir,
        "logs/access.log",
        [concat!(
            "203.0.113.9 - - [19/Jul/2025:09:14:03 +0200] \"GET /=cmd.php?a=1,2 HTTP/1.1\" 200 43 \"-\" \"=cmd|' /C calc'!A0\"\n",
            "203.0.113.9 - - [19/Jul/2025:09:14:04 +0200] \"POST /x.php HTTP/1.1\" 200 43 \"-\" \"Mozilla \\\"quoted\\\" \u{202e}evil\"\n",
            "203.0.113.9 - - [19/Jul/2025:09:14:05 +0200] \"GET /y.php HTTP/1.1\" 200 43 \"-\" \"@SUM(1+1)\x1b[31m\ttab\"\n",
            "203.0.113.9 - - [19/Jul/2025:09:14:06 +0200] \"GET /z.php HTTP/1.1\" 200 43 \"-\" \"+1-2\"\n",
        )
        .as_bytes(), long.as_bytes()]
        .concat()
        .as_slice(),
    );
    let iocs = write(dir, "iocs.txt", b"203.0.113.9\n");
    (www, iocs)
}

fn read_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// The rows as Python's csv module reads them.
fn python_csv(path: &Path) -> Vec<Vec<String>> {
    let script = "import csv, json, sys\n\
                  with open(sys.argv[1], newline='', encoding='utf-8') as f:\n\
                  \x20   print(json.dumps(list(csv.reader(f, strict=True))))";
    serde_json::from_value(common::python_json(script, path, "python's csv module")).unwrap()
}

#[test]
fn csv_rows_survive_hostile_names_and_fields() {
    let dir = tempfile::tempdir().unwrap();
    let (www, iocs) = hostile(dir.path());
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.csv"));
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "-o".as_ref(),
        a.as_os_str(),
        "--format".as_ref(),
        "csv".as_ref(),
        "-o".as_ref(),
        b.as_os_str(),
        "--ioc".as_ref(),
        iocs.as_os_str(),
        www.as_os_str(),
        dir.path().join("logs").as_os_str(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let bytes = std::fs::read(&b).unwrap();
    let rows = read_csv(&bytes);
    assert_eq!(rows[0], HEADER);
    // One physical line per record: no cell holds a line break.
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.matches("\r\n").count(), rows.len(), "{text}");
    assert_eq!(text.matches('\n').count(), rows.len());
    assert_eq!(python_csv(&b), rows, "python reads the same cells");
    for r in &rows {
        assert_eq!(r.len(), HEADER.len(), "{r:?}");
        for c in r {
            // Cells are capped as the timeline's are (1 KiB).
            assert!(
                c.chars().count() < 32_767,
                "a cell of {} characters",
                c.len()
            );
            assert!(!c.starts_with(['=', '+', '-', '@', '\t', '\r']), "{c:?}");
            assert!(!c.contains(['\n', '\r', '\u{202e}', '\x1b']), "{c:?}");
        }
    }
    // As many rows as the JSON lines of the same run have findings.
    let ecs: Vec<Value> = std::fs::read_to_string(&a)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<&str> = ecs
        .iter()
        .filter_map(|l| l["event"]["id"].as_str())
        .collect();
    assert_eq!(rows.len() - 1, ids.len());
    for r in &rows[1..] {
        assert!(ids.contains(&r[14].as_str()), "{r:?}");
    }
    let cells: Vec<&String> = rows.iter().flatten().collect();
    let has = |want: &str| assert!(cells.iter().any(|c| c.as_str() == want), "no {want:?}");
    has("'=cmd|' /C calc'!A0");
    has("'+1-2");
    has("'@SUM(1+1)\\x1b[31m\\ttab");
    has("Mozilla \"quoted\" \\u{202e}evil");
    has("/=cmd.php?a=1,2");
    assert!(
        cells
            .iter()
            .any(|c| c.starts_with("'=AAAA") && c.len() < 2 * 1024),
        "the long user agent is there, capped"
    );
    assert!(
        cells
            .iter()
            .any(|c| c.ends_with("/=HYPERLINK(\"http:x.invalid\",\"open\").php")),
        "the path keeps the name (not at the start of the cell)"
    );
    assert!(cells.iter().any(|c| c.ends_with("/new\\nline\\r.php")));
    assert!(cells.iter().any(|c| c.ends_with("/rtl\\u{202e}gnp.php")));
}

#[test]
fn the_csv_header_is_written_once_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    write(&www, "shell.php", PHP_SHELL);
    let b = dir.path().join("b.csv");
    let scan = |extra: &[&std::ffi::OsStr]| {
        let mut args: Vec<&std::ffi::OsStr> =
            vec!["scan".as_ref(), "--format".as_ref(), "csv".as_ref()];
        args.extend_from_slice(extra);
        args.push(www.as_os_str());
        run(args)
    };
    for _ in 0..2 {
        let out = scan(&["-o".as_ref(), b.as_os_str()]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        // The summary, which CSV has no row for, is on stderr.
        assert!(stderr(&out).contains("scanned 1 file"), "{}", stderr(&out));
    }
    let rows = read_csv(&std::fs::read(&b).unwrap());
    assert_eq!(rows.iter().filter(|r| r[..] == HEADER).count(), 1);
    assert_eq!(rows[0], HEADER);
    assert!(
        rows.len() >= 3 && (rows.len() - 1).is_multiple_of(2),
        "{rows:?}"
    );
    // To stdout, each run starts with the header.
    let out = scan(&[]);
    let rows = read_csv(&out.stdout);
    assert_eq!(rows[0], HEADER);
    assert!(stderr(&out).contains("scanned 1 file"), "{}", stderr(&out));
}

#[test]
fn each_format_goes_to_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    write(&www, "shell.php", PHP_SHELL);
    let a = dir.path().join("a.jsonl");
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "-o".as_ref(),
        a.as_os_str(),
        "--format".as_ref(),
        "text".as_ref(),
        www.as_os_str(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        text.contains("shell.php") && text.contains("scanned 1 file"),
        "{text}"
    );
    let lines: Vec<Value> = std::fs::read_to_string(&a)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.last().unwrap()["event"]["action"], "scan_completed");
    assert!(lines.len() >= 2);
    // Text on stdout carries the summary: it is not also on stderr.
    assert!(!stderr(&out).contains("scanned 1 file"), "{}", stderr(&out));
}

#[test]
fn formats_and_outputs_that_do_not_pair_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let cases: [(Vec<&std::ffi::OsStr>, &str); 3] = [
        (
            vec![
                "--format".as_ref(),
                "jsonl".as_ref(),
                "--format".as_ref(),
                "ocsf".as_ref(),
            ],
            "at most one format goes to standard output",
        ),
        (
            vec![
                "--format".as_ref(),
                "jsonl".as_ref(),
                "-o".as_ref(),
                a.as_os_str(),
                "-o".as_ref(),
                b.as_os_str(),
            ],
            "give one --format for each -o",
        ),
        (
            vec![
                "--format".as_ref(),
                "jsonl".as_ref(),
                "-o".as_ref(),
                a.as_os_str(),
                "--format".as_ref(),
                "csv".as_ref(),
                "-o".as_ref(),
                a.as_os_str(),
            ],
            "given twice",
        ),
    ];
    for (args, says) in cases {
        let mut all: Vec<&std::ffi::OsStr> = vec!["scan".as_ref()];
        all.extend(args);
        all.push(dir.path().as_os_str());
        let out = run(all);
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
        assert!(
            !a.exists() && !b.exists(),
            "nothing opened before the usage error"
        );
    }
}
