//! What a scan did not look at reaches the JSON output, not only stderr: every error and
//! every skipped path is an `event.kind: "event"` line naming the path and the reason, and
//! the exit code and `complete` flag follow the README's exit-code table.
#![cfg(unix)]

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine as _;
use common::*;
use serde_json::Value;

/// The JSON lines of a run, sorted: event lines, findings and the summary (the last line).
struct Lines {
    events: Vec<Value>,
    findings: Vec<Value>,
    summary: Value,
}

fn lines(out: &Output) -> Lines {
    lines_of(json_lines(out))
}

fn lines_of(mut all: Vec<Value>) -> Lines {
    let summary = all.pop().expect("at least the summary line");
    assert_eq!(summary["event"]["action"], "scan_completed", "{summary}");
    let (events, findings): (Vec<Value>, Vec<Value>) =
        all.into_iter().partition(|l| l["event"]["kind"] == "event");
    for e in &events {
        assert_eq!(e["event"]["dataset"], "shellsweep.scan", "{e}");
        assert_eq!(e["event"]["module"], "shellsweep", "{e}");
        assert!(
            e["@timestamp"].is_string() && e["message"].is_string(),
            "{e}"
        );
        assert!(e["host"]["name"].is_string(), "{e}");
        let outcome = e["event"]["outcome"].as_str().unwrap();
        match e["event"]["action"].as_str().unwrap() {
            "file_error" => {
                assert_eq!(outcome, "failure", "{e}");
                assert!(!e["error"]["message"].as_str().unwrap().is_empty(), "{e}");
            }
            "file_skipped" => assert!(outcome == "failure" || outcome == "unknown", "{e}"),
            other => panic!("unexpected event.action {other}: {e}"),
        }
    }
    for f in &findings {
        assert_eq!(f["event"]["kind"], "alert", "{f}");
    }
    Lines {
        events,
        findings,
        summary,
    }
}

/// The README's exit-code table: 1 on findings; otherwise 0 when everything was scanned and
/// 2 when something was not. `complete` is false exactly when some event is a failure.
fn check_exit_code_table(out: &Output, l: &Lines) {
    let s = &l.summary["shellsweep"]["summary"];
    let complete = s["complete"].as_bool().unwrap();
    let want = if s["findings_total"].as_u64().unwrap() > 0 {
        1
    } else if complete {
        0
    } else {
        2
    };
    assert_eq!(code(out), want, "summary {s}\n{}", stderr(out));
    let failures = l.events.iter().any(|e| e["event"]["outcome"] == "failure");
    assert_eq!(complete, !failures, "complete vs failure events: {s}");
    assert_eq!(
        l.summary["event"]["outcome"],
        if complete { "success" } else { "failure" }
    );
    // Every error and every skip has its line: the counts agree.
    let errors = l
        .events
        .iter()
        .filter(|e| e["event"]["action"] == "file_error")
        .count() as u64;
    assert_eq!(s["errors"].as_u64().unwrap(), errors, "{s}");
    let skipped: u64 = s["files_skipped"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    let skip_lines = l
        .events
        .iter()
        .filter(|e| e["event"]["action"] == "file_skipped")
        .count() as u64;
    assert_eq!(skipped, skip_lines, "{s}");
    assert_eq!(s["events_left_out"], 0);
}

/// The event naming `path` (the exact bytes), with `reason`.
fn event_for<'a>(l: &'a Lines, path: &Path, reason: &str) -> &'a Value {
    let want = path.as_os_str().as_bytes();
    l.events
        .iter()
        .find(|e| {
            let raw = match e["shellsweep"]["path_bytes"].as_str() {
                Some(b) => base64::engine::general_purpose::STANDARD.decode(b).unwrap(),
                None => e["file"]["path"]
                    .as_str()
                    .unwrap_or_default()
                    .as_bytes()
                    .to_vec(),
            };
            raw == want && e["event"]["reason"] == reason
        })
        .unwrap_or_else(|| {
            panic!(
                "no event with reason {reason} for {}: {:#?}",
                path.display(),
                l.events
            )
        })
}

fn scan(args: &[&OsStr]) -> Output {
    let mut all: Vec<&OsStr> = vec!["scan".as_ref(), "--format".as_ref(), "jsonl".as_ref()];
    all.extend_from_slice(args);
    run(all)
}

/// A gzip log whose first part decodes (so it is read as a log) and whose end is cut off.
fn truncated_gzip_log(path: &Path) {
    use std::io::Write;
    let mut text = Vec::new();
    for i in 0..3000 {
        text.extend_from_slice(
            format!(
                "198.51.100.7 - - [19/Jul/2025:10:00:00 +0200] \"GET /p.php?page={i} HTTP/1.1\" 200 30 \"-\" \"curl/8\"\n"
            )
            .as_bytes(),
        );
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&text).unwrap();
    let bytes = gz.finish().unwrap();
    std::fs::write(path, &bytes[..bytes.len() * 2 / 3]).unwrap();
}

#[test]
fn every_skip_reason_and_error_kind_is_an_event_line_naming_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    write(&www, "index.php", b"<?php echo 'hello';\n");
    let excluded = write(&www, "cache/page.php", b"<?php echo 1;\n")
        .parent()
        .unwrap()
        .to_path_buf();
    let link = www.join("link.php");
    std::os::unix::fs::symlink("index.php", &link).unwrap();
    let fifo = www.join("pipe.php");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Over --max-filesize, with a name that is not UTF-8 and carries a control character.
    let big = www.join(OsStr::from_bytes(b"backup-\xff\x1b[31m.php"));
    std::fs::write(&big, vec![b'a'; 4096]).unwrap();
    let log = www.join("access.log.gz");
    truncated_gzip_log(&log);
    // An unreadable file is an error only for a user without CAP_DAC_READ_SEARCH; CI runs
    // as root, where it reads fine, so it is checked only when the mode keeps us out.
    let locked = write(&www, "locked.php", b"<?php echo 2;\n");
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    let locked_out = std::fs::File::open(&locked).is_err();
    let missing = dir.path().join("var/log/apache2");
    // A file named as a folder: ENOTDIR, which root gets too.
    let not_dir = PathBuf::from(format!("{}/", www.join("index.php").display()));

    let out = scan(&[
        "--exclude".as_ref(),
        "cache".as_ref(),
        "--max-filesize".as_ref(),
        "1K".as_ref(),
        www.as_os_str(),
        missing.as_os_str(),
        not_dir.as_os_str(),
    ]);
    let l = lines(&out);
    check_exit_code_table(&out, &l);
    assert_eq!(code(&out), 2, "nothing found, not everything scanned");
    assert!(l.findings.is_empty(), "{:?}", l.findings);

    assert_eq!(
        event_for(&l, &excluded, "excluded")["event"]["outcome"],
        "unknown"
    );
    assert_eq!(
        event_for(&l, &link, "symlink")["event"]["action"],
        "file_skipped"
    );
    assert_eq!(
        event_for(&l, &fifo, "special_file")["event"]["outcome"],
        "unknown"
    );
    let too_large = event_for(&l, &big, "too_large");
    assert_eq!(too_large["event"]["outcome"], "failure");
    assert_eq!(too_large["file"]["size"], 4096);
    assert!(
        too_large["message"]
            .as_str()
            .unwrap()
            .contains("--max-filesize"),
        "{too_large}"
    );
    let lossy = too_large["file"]["path"].as_str().unwrap();
    assert!(lossy.contains('\u{fffd}'), "{lossy:?}");
    for (path, what) in [
        (&missing, "No such file"),
        (&not_dir, "Not a directory"),
        (&log, "deflate"),
    ] {
        let e = event_for(&l, path, "error");
        assert_eq!(e["event"]["action"], "file_error");
        assert_eq!(e["event"]["outcome"], "failure");
        assert!(
            e["error"]["message"].as_str().unwrap().contains(what),
            "{e}"
        );
    }
    if locked_out {
        event_for(&l, &locked, "error");
    }

    // Followed links: a loop back to an ancestor and a link to nothing; and the scanner's
    // own output file inside the tree (written with -o, so read from there).
    let loop_link = www.join("loop");
    std::os::unix::fs::symlink("..", &loop_link).unwrap();
    let dead = www.join("dead.php");
    std::os::unix::fs::symlink("no-such-file.php", &dead).unwrap();
    let own = www.join("findings.php");
    let out = scan(&[
        "--follow-symlinks".as_ref(),
        "--exclude".as_ref(),
        "cache".as_ref(),
        "-o".as_ref(),
        own.as_os_str(),
        www.as_os_str(),
    ]);
    let written: Vec<Value> = std::fs::read_to_string(&own)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let l = lines_of(written);
    check_exit_code_table(&out, &l);
    event_for(&l, &loop_link, "symlink_loop");
    event_for(&l, &dead, "dangling_symlink");
    event_for(&l, &own, "own_file");
    event_for(&l, &log, "error");
}

#[test]
fn the_exit_code_table_holds_for_clean_runs_and_for_findings_with_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    write(&www, "index.php", b"<?php echo 'hello';\n");
    let excluded = write(&www, "vendor/lib.php", b"<?php echo 1;\n");
    // Skips the user asked for leave no gap: exit 0, complete, and still named.
    let out = scan(&["--exclude".as_ref(), "lib.php".as_ref(), www.as_os_str()]);
    let l = lines(&out);
    check_exit_code_table(&out, &l);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    event_for(&l, &excluded, "excluded");

    // A finding and a gap: exit 1, not complete, the gap named.
    write(&www, "shell.php", PHP_SHELL);
    let big = write(&www, "dump.php", &vec![b'x'; 4096]);
    let out = scan(&["--max-filesize".as_ref(), "1K".as_ref(), www.as_os_str()]);
    let l = lines(&out);
    check_exit_code_table(&out, &l);
    assert_eq!(code(&out), 1);
    assert_eq!(l.summary["shellsweep"]["summary"]["complete"], false);
    event_for(&l, &big, "too_large");
}

#[test]
fn event_lines_are_bounded_and_the_rest_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    for i in 0..1100 {
        write(&www, &format!("f{i}.skip"), b"");
    }
    let missing = dir.path().join("gone");
    let out = scan(&[
        "--exclude".as_ref(),
        "*.skip".as_ref(),
        www.as_os_str(),
        missing.as_os_str(),
    ]);
    let l = lines(&out);
    let s = &l.summary["shellsweep"]["summary"];
    assert_eq!(s["files_skipped"]["excluded"], 1100);
    assert_eq!(s["events_left_out"], 100);
    assert_eq!(l.events.len(), 1001, "1,000 skips and the error");
    // Skips cannot crowd out an error: it has a budget of its own.
    event_for(&l, &missing, "error");
    assert_eq!(code(&out), 2);
}

#[test]
fn skip_missing_passes_over_a_missing_path_with_a_notice_and_an_event() {
    let dir = tempfile::tempdir().unwrap();
    let nginx = dir.path().join("var/log/nginx");
    write(&nginx, "access.log", b"");
    write(dir.path(), "var/www/index.php", b"<?php echo 1;\n");
    let www = dir.path().join("var/www");
    let apache = dir.path().join("var/log/apache2");
    let out = scan(&[
        "--skip-missing".as_ref(),
        www.as_os_str(),
        nginx.as_os_str(),
        apache.as_os_str(),
    ]);
    let l = lines(&out);
    check_exit_code_table(&out, &l);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let e = event_for(&l, &apache, "missing");
    assert_eq!(e["event"]["outcome"], "unknown");
    assert_eq!(
        l.summary["shellsweep"]["summary"]["files_skipped"]["missing"],
        1
    );
    assert!(
        stderr(&out).contains("apache2: skipped"),
        "{}",
        stderr(&out)
    );

    // Without the option it stays an error; with it, nothing at all to scan is one too.
    let out = scan(&[www.as_os_str(), apache.as_os_str()]);
    assert_eq!(code(&out), 2);
    let out = scan(&["--skip-missing".as_ref(), apache.as_os_str()]);
    let l = lines(&out);
    check_exit_code_table(&out, &l);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("none of the paths"),
        "{}",
        stderr(&out)
    );
}

/// The arguments of the shipped command, with `/var/...` moved under `root`.
fn shipped_args(command: &str, root: &Path) -> Vec<String> {
    let (_, after) = command
        .split_once("/usr/local/bin/shellsweep ")
        .expect("the shellsweep command");
    after
        .split_whitespace()
        .map(|a| match a.strip_prefix('/') {
            Some(rest) if a.starts_with("/var/") => root.join(rest).display().to_string(),
            _ => a.to_owned(),
        })
        .collect()
}

/// A host with nginx and no Apache (or the other way round) runs the shipped schedules
/// without a daily failure.
#[test]
fn the_shipped_schedules_pass_over_a_missing_web_server_log_folder() {
    let cron = std::fs::read_to_string(repo().join("contrib/shellsweep.cron")).unwrap();
    let cron_line = cron
        .lines()
        .find(|l| l.contains("/usr/local/bin/shellsweep scan"))
        .unwrap()
        .to_owned();
    let unit =
        std::fs::read_to_string(repo().join("contrib/systemd/shellsweep-sweep.service")).unwrap();
    let paths = unit
        .lines()
        .find_map(|l| l.strip_prefix("Environment=\"SHELLSWEEP_PATHS="))
        .unwrap()
        .trim_end_matches('"')
        .to_owned();
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap()
        .replace("$SHELLSWEEP_OPTS", "")
        .replace("$SHELLSWEEP_PATHS", &paths);
    for (name, command) in [("cron", cron_line), ("systemd", exec)] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "var/www/html/index.php", b"<?php echo 1;\n");
        write(root, "var/log/nginx/access.log", b"");
        std::fs::create_dir_all(root.join("var/lib/shellsweep")).unwrap();
        std::fs::create_dir_all(root.join("var/log/shellsweep")).unwrap();
        let args = shipped_args(&command, root);
        let out = run(&args);
        assert_eq!(code(&out), 0, "{name}: {args:?}\n{}", stderr(&out));
        let written =
            std::fs::read_to_string(root.join("var/log/shellsweep/findings.jsonl")).unwrap();
        let docs: Vec<Value> = written
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let apache = root.join("var/log/apache2").display().to_string();
        assert!(
            docs.iter()
                .any(|d| d["file"]["path"] == apache.as_str() && d["event"]["reason"] == "missing"),
            "{name}: {written}"
        );
        assert_eq!(
            docs.last().unwrap()["shellsweep"]["summary"]["complete"],
            true
        );
    }
    let task = std::fs::read_to_string(repo().join("contrib/windows/register-task.ps1")).unwrap();
    let arguments = task.lines().find(|l| l.starts_with("$arguments")).unwrap();
    assert!(arguments.contains("--skip-missing"), "{arguments}");
}
