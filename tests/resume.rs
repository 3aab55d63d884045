//! Incremental sweeps (`--state`) that must not lose a record: logs that start alike,
//! rotation and copytruncate together; a ULS record continued after a sweep; an unterminated
//! last line; a time window that changes between sweeps.
#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;

/// A combined-format access log line; an attack one (`cmd=whoami`) carries its marker in the
/// query string.
fn line(marker: &str, attack: bool, second: u32) -> String {
    let q = if attack {
        format!("cmd=whoami&m={marker}")
    } else {
        format!("page={marker}")
    };
    format!(
        "198.51.100.7 - - [19/Jul/2025:10:00:{second:02} +0000] \"GET /x.php?{q} HTTP/1.1\" 200 30 \"-\" \"curl/8\""
    )
}

/// One `--state` sweep over `root` with `extra` options: the markers of the attack lines
/// reported (with their counts), the summary's log counters, stderr.
fn sweep(
    root: &Path,
    state: &Path,
    extra: &[&str],
) -> (BTreeMap<String, usize>, serde_json::Value, String) {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "-j".as_ref(),
        "1".as_ref(),
        "--state".as_ref(),
        state.as_os_str(),
    ];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    args.push(root.as_os_str());
    let out = run(args);
    assert!(code(&out) <= 1, "{}", stderr(&out));
    let (findings, summary) = findings_and_summary(&out);
    let seen = planted_markers(&findings);
    (
        seen,
        summary["shellsweep"]["summary"]["logs"].clone(),
        stderr(&out),
    )
}

fn markers(list: &[&str]) -> BTreeMap<String, usize> {
    list.iter().map(|m| (m.to_string(), 1)).collect()
}

/// The same health-check lines at the start of two logs: more than the first KiB alike.
fn health_checks() -> String {
    (0..12)
        .map(|i| format!("{}\n", line(&format!("hc{i}"), false, 0)))
        .collect()
}

#[test]
fn logs_that_start_alike_keep_their_own_place_through_rotation_and_copytruncate() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("logs");
    let (a, b) = (root.join("a/access.log"), root.join("b/access.log"));
    std::fs::create_dir_all(a.parent().unwrap()).unwrap();
    std::fs::create_dir_all(b.parent().unwrap()).unwrap();
    let state = dir.path().join("state.json");
    assert!(health_checks().len() > 1024);

    // Sweep 1: both logs start with the same health checks; `a` has read further.
    append(&a, &health_checks());
    append(
        &a,
        &format!("{}\n{}\n", line("A1", true, 1), line("a", false, 1)),
    );
    append(&a, &format!("{}\n", line("A2", true, 2)));
    append(&b, &health_checks());
    append(&b, &format!("{}\n", line("B1", true, 1)));
    let (s1, _, _) = sweep(&root, &state, &[]);
    assert_eq!(s1, markers(&["A1", "A2", "B1"]));

    // Sweep 2: new lines in both; `b` must not resume at `a`'s offset.
    append(&a, &format!("{}\n", line("A3", true, 3)));
    append(
        &b,
        &format!("{}\n{}\n", line("B2", true, 2), line("B3", true, 3)),
    );
    let (s2, _, _) = sweep(&root, &state, &[]);
    assert_eq!(s2, markers(&["A3", "B2", "B3"]));

    // Sweep 3: `a` is rotated by renaming after one more line, and a new `a` starts with the
    // same health checks; `b` is copy-truncated after one more line and written anew, with
    // the same health checks, past its old length.
    append(&a, &format!("{}\n", line("A4", true, 4)));
    std::fs::rename(&a, root.join("a/access.log.1")).unwrap();
    append(&a, &health_checks());
    append(&a, &format!("{}\n", line("A5", true, 5)));
    append(&b, &format!("{}\n", line("B4", true, 4)));
    std::fs::copy(&b, root.join("b/access.log.1")).unwrap();
    std::fs::write(&b, b"").unwrap();
    append(&b, &health_checks());
    for i in 0..6 {
        append(&b, &format!("{}\n", line(&format!("b{i}"), false, 5)));
    }
    append(&b, &format!("{}\n", line("B5", true, 6)));
    let (s3, _, _) = sweep(&root, &state, &[]);
    assert_eq!(s3, markers(&["A4", "A5", "B4", "B5"]));

    // Sweep 4: one line more in each live log, nothing else.
    append(&a, &format!("{}\n", line("A6", true, 6)));
    append(&b, &format!("{}\n", line("B6", true, 7)));
    let (s4, _, _) = sweep(&root, &state, &[]);
    assert_eq!(s4, markers(&["A6", "B6"]));
}

const ULS_HEADER: &str = "Timestamp              \tProcess                                 \tTID   \tArea                          \tCategory                      \tEventID\tLevel     \tMessage \tCorrelation\r\n";

fn uls(ts: &str, tid: &str, message: &str, corr: &str) -> String {
    format!(
        "07/19/2025 {ts}\tw3wp.exe (0x2A1C)                       \t{tid}\tSharePoint Foundation         \tClaims Authentication         \t????\tHigh      \t{message}\t{corr}\r\n"
    )
}

/// Sweeps over a ULS log (written by `put`, which gets the text so far) whose record is
/// continued only after the first sweep: the open record is matched once, whole, by the
/// second sweep; the record after it once, by the first.
fn uls_sweeps(put: &dyn Fn(&Path, &str)) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("LOGS");
    std::fs::create_dir_all(&root).unwrap();
    let log = root.join("SRV01-20250719-0900.log");
    let state = dir.path().join("state.json");
    let scan = || {
        let out = run([
            "scan".as_ref(),
            "--format".as_ref(),
            "jsonl".as_ref(),
            "--uls-utc-offset".as_ref(),
            "+00:00".as_ref(),
            "--state".as_ref(),
            state.as_os_str(),
            root.as_os_str(),
        ]);
        assert!(code(&out) <= 1, "{}", stderr(&out));
        let (findings, summary) = findings_and_summary(&out);
        let mut ids: Vec<String> = findings
            .iter()
            .map(|f| {
                assert_eq!(f["rule"]["id"], "SSW-LOG-TOOLSHELL-005", "{f}");
                f["event"]["original"]
                    .as_str()
                    .unwrap()
                    .rsplit('\t')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        ids.sort();
        (ids, summary["shellsweep"]["summary"]["logs"].clone())
    };
    let mut text = ULS_HEADER.to_owned();
    text += &uls("09:13:02.27 ", "0x3B40", "Request start", "c0");
    // The first segment of the record, cut where the rule's text is cut in two...
    text += &uls(
        "09:13:02.29 ",
        "0x3B40",
        "Risky bypass limited (Access Denied) - signout with ToolPa...",
        "c1",
    );
    // ...a whole record of another thread after it (found at once)...
    text += &uls(
        "09:13:02.30 ",
        "0x1111",
        "Risky bypass limited (Access Denied) - signout with ToolPane.aspx detected.",
        "c2",
    );
    put(&log, &text);
    let (first, logs1) = scan();
    // ...and the continuation, written after the sweep.
    text += &uls(
        "09:13:02.29*",
        "0x3B40",
        "...ne.aspx detected. request path: '/_layouts/15/ToolPane.aspx'.",
        "c1",
    );
    text += &uls("09:13:02.31 ", "0x3B40", "Request end", "c3");
    put(&log, &text);
    let (second, logs2) = scan();
    let (third, _) = scan();
    let found = vec![first, second, third];
    assert_eq!(found, vec![vec!["c2"], vec!["c1"], vec![]]);
    assert_eq!(logs1["lines_pending"], 1, "the open record waits: {logs1}");
    assert_eq!(logs2["lines_pending"], 0, "{logs2}");
}

#[test]
fn a_uls_record_continued_after_a_sweep_is_matched_once_whole() {
    let utf8 = |p: &Path, t: &str| std::fs::write(p, t).unwrap();
    uls_sweeps(&utf8);
    // SharePoint writes its ULS logs in UTF-16 with a byte-order mark.
    let utf16 = |p: &Path, t: &str| {
        let mut b = vec![0xFF, 0xFE];
        b.extend(t.encode_utf16().flat_map(u16::to_le_bytes));
        std::fs::write(p, b).unwrap();
    };
    uls_sweeps(&utf16);
}

#[test]
fn an_unterminated_last_line_is_reported_once_it_stops_changing_or_is_rotated() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("logs");
    std::fs::create_dir_all(&root).unwrap();
    let log = root.join("access.log");
    let state = dir.path().join("state.json");
    append(
        &log,
        &format!("{}\n{}", line("U0", true, 0), line("U1", true, 1)),
    );

    let (s1, l1, _) = sweep(&root, &state, &[]);
    assert_eq!(s1, markers(&["U0"]), "the line may still grow");
    // Not changed since: it is what it is.
    let (s2, l2, _) = sweep(&root, &state, &[]);
    assert_eq!(s2, markers(&["U1"]));
    assert_eq!(l1["lines_pending"], 1, "{l1}");
    assert_eq!(l2["lines_pending"], 0, "{l2}");
    let (s3, _, _) = sweep(&root, &state, &[]);
    assert_eq!(s3, markers(&[]), "reported once");

    // A line finished by the next sweep is reported whole, once.
    let whole = format!("{}\n", line("U2", true, 2));
    let (cut_a, cut_b) = whole.split_at(40);
    append(&log, &format!("\n{cut_a}"));
    let (s4, l4, _) = sweep(&root, &state, &[]);
    assert_eq!((s4, &l4["lines_pending"]), (markers(&[]), &1.into()));
    append(&log, cut_b);
    let (s5, _, _) = sweep(&root, &state, &[]);
    assert_eq!(s5, markers(&["U2"]));

    // Rotated with an unterminated line: reported by the next sweep.
    append(&log, &line("U3", true, 3));
    let (s6, _, _) = sweep(&root, &state, &[]);
    assert_eq!(s6, markers(&[]));
    std::fs::rename(&log, root.join("access.log.1")).unwrap();
    append(&log, &format!("{}\n", line("U4", true, 4)));
    let (s7, l7, _) = sweep(&root, &state, &[]);
    assert_eq!(s7, markers(&["U3", "U4"]));
    assert_eq!(l7["lines_pending"], 0, "{l7}");
}

#[test]
fn a_time_window_never_moves_the_state_past_records_it_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("logs");
    std::fs::create_dir_all(&root).unwrap();
    let log = root.join("access.log");
    let state = dir.path().join("state.json");
    let all: Vec<String> = (0..7).map(|i| format!("W{i}")).collect();
    for (i, m) in all.iter().enumerate() {
        append(&log, &format!("{}\n", line(m, true, i as u32 * 10)));
    }
    let every: Vec<&str> = all.iter().map(String::as_str).collect();

    // A window in the future finds nothing; without it, every record is there.
    let (s1, l1, _) = sweep(&root, &state, &["--since", "2030-01-01"]);
    assert_eq!(
        (s1, &l1["records_outside_window"]),
        (markers(&[]), &7.into())
    );
    let (s2, _, _) = sweep(&root, &state, &[]);
    assert_eq!(s2, markers(&every));
    let (s3, _, _) = sweep(&root, &state, &[]);
    assert_eq!(s3, markers(&[]));

    // `--until` leaves the later records to a later sweep; a narrower `--since` then reads
    // on without repeating; a wider one reads again what it did not report.
    let log2 = root.join("other.log");
    for (i, m) in ["V0", "V1", "V2", "V3", "V4", "V5"].iter().enumerate() {
        append(&log2, &format!("{}\n", line(m, true, i as u32 * 10)));
    }
    let (s4, _, _) = sweep(
        &root,
        &state,
        &[
            "--since",
            "2025-07-19T10:00:10Z",
            "--until",
            "2025-07-19T10:00:30Z",
        ],
    );
    assert_eq!(s4, markers(&["V1", "V2", "V3"]));
    let (s5, _, _) = sweep(&root, &state, &["--since", "2025-07-19T10:00:20Z"]);
    assert_eq!(s5, markers(&["V4", "V5"]));
    let (s6, _, _) = sweep(&root, &state, &[]);
    assert_eq!(s6, markers(&["V0"]));
    let (s7, _, _) = sweep(&root, &state, &[]);
    assert_eq!(s7, markers(&[]));
}
