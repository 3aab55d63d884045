//! Nothing lost between runs (issue 13, cases 1, 6, 7 and 8): output lines are never torn
//! or interleaved, a failed output stops the state from advancing, signals end a scan with
//! a summary and no stray files, and a state that could not be saved stops the run before
//! it scans.
//!
//! `SHELLSWEEP_TEST_BIN=/path/to/shellsweep` runs these against another build (to see them
//! fail on one without the fixes).

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{PHP_SHELL, bin, exe, run, write};
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every line of a JSON lines file (or output), each parsed; panics naming the first line
/// that is not one whole JSON object.
fn parse_lines(text: &str) -> Vec<Value> {
    text.split_terminator('\n')
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str::<Value>(l)
                .unwrap_or_else(|e| panic!("line {}: not one JSON object ({e}): {l:.200}", i + 1))
        })
        .collect()
}

fn is_summary(v: &Value) -> bool {
    v["event"]["action"] == "scan_completed"
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Case 1: a run killed mid-line left a torn line at the end of `-o`; the next run ends it
/// with a newline before its own lines, so each of them parses.
#[test]
fn a_torn_last_line_in_the_output_file_is_ended_before_new_lines() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web");
    write(&web, "a.php", PHP_SHELL);
    let out = dir.path().join("findings.jsonl");
    std::fs::write(
        &out,
        b"{\"@timestamp\":\"2026-12-02T10:00:00Z\",\"event\":{\"ki",
    )
    .unwrap();
    let r = run(["scan", "-q", "--format", "jsonl", "-o", s(&out), s(&web)]);
    assert_eq!(r.status.code(), Some(1), "{}", common::stderr(&r));
    let text = std::fs::read_to_string(&out).unwrap();
    let (torn, rest) = text.split_once('\n').expect("the torn line was ended");
    assert_eq!(
        torn,
        "{\"@timestamp\":\"2026-12-02T10:00:00Z\",\"event\":{\"ki"
    );
    let lines = parse_lines(rest);
    assert!(lines.len() >= 2, "{rest}");
    assert_eq!(
        lines[0]["event"]["kind"], "alert",
        "the first new line is whole"
    );
    assert!(is_summary(lines.last().unwrap()));

    // A file that ends whole gets no extra (empty) line.
    let before = std::fs::read_to_string(&out).unwrap();
    let r = run(["scan", "-q", "--format", "jsonl", "-o", s(&out), s(&web)]);
    assert_eq!(r.status.code(), Some(1));
    let after = std::fs::read_to_string(&out).unwrap();
    parse_lines(&after[before.len()..]);
}

/// Case 1: runs appending to one `-o` file at once each write whole lines in one `write`,
/// so no line is split by another run's. Many event lines (one per excluded file) and a
/// summary, serialized in small pieces, are what used to tear.
#[test]
fn concurrent_runs_appending_to_one_file_never_interleave_lines() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web");
    write(&web, "a.php", PHP_SHELL);
    for i in 0..2500 {
        write(
            &web,
            &format!("skipped/file_with_a_longer_name_{i:05}.skip"),
            b"x\n",
        );
    }
    let out = dir.path().join("findings.jsonl");
    const RUNS: usize = 6;
    let children: Vec<Child> = (0..RUNS)
        .map(|_| {
            bin()
                .args(["scan", "-q", "--format", "jsonl", "--exclude", "*.skip"])
                .args(["-o", s(&out), s(&web)])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert_eq!(c.wait().unwrap().code(), Some(1));
    }
    let lines = parse_lines(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(lines.iter().filter(|l| is_summary(l)).count(), RUNS);
    let skips = lines
        .iter()
        .filter(|l| l["event"]["dataset"] == "shellsweep.scan")
        .count();
    assert!(skips >= RUNS * 1000, "{skips} event lines");
}

/// The log findings of a run, as rule, log and the request line, sorted.
fn log_findings(lines: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = lines
        .iter()
        .filter(|l| l["event"]["kind"] == "alert")
        .map(|l| {
            format!(
                "{} {} {}",
                l["rule"]["id"], l["log"]["file"]["path"], l["event"]["original"]
            )
        })
        .collect();
    v.sort();
    v
}

/// Case 6: with standard output closed nothing can be written, so the run fails before
/// scanning and the state does not move past what was never reported.
#[test]
fn a_closed_stdout_is_an_error_and_the_state_does_not_advance() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let logs = common::repo().join("fixtures/logs");
    let closed = Command::new("sh")
        .arg("-c")
        .arg(r#"exec "$0" scan --format jsonl --state "$1" "$2" >&-"#)
        .args([exe().as_os_str(), state.as_os_str(), logs.as_os_str()])
        .current_dir(common::repo())
        .output()
        .unwrap();
    assert_eq!(closed.status.code(), Some(2), "{}", common::stderr(&closed));
    assert!(
        common::stderr(&closed).contains("standard output is closed"),
        "{}",
        common::stderr(&closed)
    );
    assert!(!state.exists(), "no state saved");

    let fresh = run(["scan", "--format", "jsonl", s(&logs)]);
    let expected = log_findings(&parse_lines(&String::from_utf8_lossy(&fresh.stdout)));
    assert!(!expected.is_empty());
    let next = run(["scan", "--format", "jsonl", "--state", s(&state), s(&logs)]);
    assert_eq!(next.status.code(), Some(1), "{}", common::stderr(&next));
    let got = log_findings(&parse_lines(&String::from_utf8_lossy(&next.stdout)));
    assert_eq!(got, expected, "the next sweep reports every log finding");
}

/// Case 6: with `--state`, a reader that goes away early (`| head`) leaves findings
/// unwritten: the state is not saved and the run exits 2, saying why.
#[test]
fn a_reader_gone_early_with_state_is_trouble_and_saves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    // Far more output than a pipe holds, so the writer is still writing when it closes.
    let corpus = common::repo().join("tests/corpus/malicious");
    let mut child = bin()
        .args(["scan", "--format", "jsonl", "-j", "1", "--state", s(&state)])
        .arg(&corpus)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 512];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("the state was not saved"),
        "{}",
        common::stderr(&out)
    );
    assert!(!state.exists());
}

/// Waits for `child` at most `limit`; kills it and fails past that.
fn wait_for(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("shellsweep did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Case 7: SIGTERM, SIGINT and SIGHUP stop a scan in progress (here one reading a log from
/// a pipe that stays open) with the summary line marked interrupted; the state is not
/// saved and no temporary file is left beside it.
#[cfg(unix)]
#[test]
fn signals_end_a_scan_with_an_interrupted_summary_and_no_state() {
    let log = std::fs::read(common::repo().join("fixtures/logs/nginx/access.log")).unwrap();
    for signal in ["TERM", "INT", "HUP"] {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let mut child = bin()
            .args(["scan", "--format", "jsonl", "--state", s(&state), "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&log).unwrap();
        // The lock is taken after the rules are loaded and the signals are taken over.
        let lock = dir.path().join("state.json.lock");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !lock.exists() {
            assert!(Instant::now() < deadline, "no lock file");
            assert!(child.try_wait().unwrap().is_none(), "ended early");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(300));
        let kill = Command::new("kill")
            .args(["-s", signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let status = wait_for(&mut child, Duration::from_secs(30));
        drop(stdin);
        let mut stdout = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert_eq!(status.code(), Some(2), "SIG{signal}: {status:?} {stderr}");
        assert!(
            stderr.contains(&format!("interrupted by SIG{signal}")),
            "{stderr}"
        );
        let lines = parse_lines(&stdout);
        let summary = lines.last().expect("a summary line");
        assert!(is_summary(summary), "{summary}");
        let fields = &summary["shellsweep"]["summary"];
        assert_eq!(fields["interrupted"], true, "SIG{signal}");
        assert_eq!(fields["complete"], false, "SIG{signal}");
        assert_eq!(names_in(dir.path()), ["state.json.lock"], "SIG{signal}");
    }
}

/// Case 7: a temporary state file left by a run killed while saving (SIGKILL cannot be
/// caught) is removed by the next sweep on that state.
#[test]
fn a_state_temporary_file_left_by_a_killed_save_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web");
    write(&web, "a.php", PHP_SHELL);
    let state_dir = dir.path().join("state");
    std::fs::create_dir(&state_dir).unwrap();
    let state = state_dir.join("state.json");
    std::fs::write(state_dir.join("state.json.tmp.4242"), b"{\"version\":2,").unwrap();
    std::fs::write(state_dir.join("state.json.tmp.notes"), b"kept").unwrap();
    let r = run([
        "scan",
        "-q",
        "--format",
        "jsonl",
        "--state",
        s(&state),
        s(&web),
    ]);
    assert_eq!(r.status.code(), Some(1), "{}", common::stderr(&r));
    assert_eq!(
        names_in(&state_dir),
        ["state.json", "state.json.lock", "state.json.tmp.notes"]
    );
}

/// Case 8: a state that could not be saved stops the run before it scans (exit 2, nothing
/// written, the output file untouched), not after the whole scan.
#[test]
fn a_state_that_cannot_be_saved_stops_the_run_before_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web");
    write(&web, "a.php", PHP_SHELL);
    // A folder where the state file should be: even root cannot rename a file over it.
    let state = dir.path().join("state.json");
    std::fs::create_dir(&state).unwrap();
    let out = dir.path().join("findings.jsonl");
    for with_file in [false, true] {
        let mut args = vec!["scan", "--format", "jsonl", "--state", s(&state)];
        if with_file {
            args.extend(["-o", s(&out)]);
        }
        args.push(s(&web));
        let r = run(&args);
        assert_eq!(r.status.code(), Some(2), "{}", common::stderr(&r));
        assert!(r.stdout.is_empty(), "nothing scanned or written");
        assert!(
            common::stderr(&r).contains("could not be saved"),
            "{}",
            common::stderr(&r)
        );
        assert!(!out.exists(), "the output file is not created");
    }

    // A folder this user cannot write to (root can, so this part needs another user).
    // SAFETY: geteuid has no preconditions.
    #[cfg(unix)]
    if unsafe { libc::geteuid() } != 0 {
        use std::os::unix::fs::PermissionsExt;
        let ro = dir.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        let state = ro.join("state.json");
        let first = run([
            "scan",
            "-q",
            "--format",
            "jsonl",
            "--state",
            s(&state),
            s(&web),
        ]);
        assert_eq!(first.status.code(), Some(1));
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        let r = run(["scan", "--format", "jsonl", "--state", s(&state), s(&web)]);
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(r.status.code(), Some(2), "{}", common::stderr(&r));
        assert!(r.stdout.is_empty(), "nothing scanned or written");
    }
}
