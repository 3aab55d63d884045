//! How the command line takes its inputs (issue 12): times, stdin, symlinks, limits, rule
//! checks, error texts and thread counts. Each input is honoured or refused, never silently
//! narrowed.

mod common;

use common::*;
use serde_json::Value;

/// The distinct log lines with findings in the IIS fixture for a `--since`/`--until` window.
fn iis_lines(window: &[&str]) -> Vec<u64> {
    let mut args = vec![
        "scan",
        "--format",
        "jsonl",
        "--ioc",
        "fixtures/iocs/toolshell.txt",
    ];
    args.extend_from_slice(window);
    args.push("fixtures/logs/iis");
    let out = run(&args);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let (findings, _) = findings_and_summary(&out);
    let mut v: Vec<u64> = findings
        .iter()
        .map(|f| f["shellsweep"]["log"]["line"].as_u64().unwrap())
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn times_without_a_zone_keep_their_time_of_day_as_utc() {
    let zoned = iis_lines(&["--since", "2025-07-19T08:00:00Z"]);
    assert_eq!(zoned, [14, 16, 17]);
    assert_eq!(iis_lines(&["--since", "2025-07-19 08:00"]), zoned);
    assert_eq!(iis_lines(&["--since", "2025-07-19T08:00"]), zoned);
    let until = iis_lines(&["--until", "2025-07-19T07:13:03Z"]);
    assert_eq!(until, [6]);
    assert_eq!(iis_lines(&["--until", "2025-07-19 07:13:03"]), until);
    // A date alone as --until is the whole of that day.
    assert_eq!(
        iis_lines(&["--since", "2025-07-19", "--until", "2025-07-19"]),
        iis_lines(&[])
    );
}

#[test]
fn times_not_taken_whole_are_errors() {
    for (args, says) in [
        (&["--since", "2025-13-45"][..], "not a valid date"),
        (&["--until", "2025-07-19 25:00"][..], "not a valid date"),
        (
            &["--until", "2025-07-19 09:00 tomorrow"][..],
            "not a valid date",
        ),
        (
            &["--since", "2025-07-19T09:00[Europe/Paris]"][..],
            "not a valid date",
        ),
        (
            &["--since", "2025-07-20", "--until", "2025-07-19 12:00"][..],
            "after --until",
        ),
    ] {
        let mut all = vec!["scan", "-q"];
        all.extend_from_slice(args);
        all.push("fixtures/logs/iis");
        let out = run(&all);
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("unknown unit"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing scanned");
    }
}

/// Runs the binary with `input` on its standard input.
fn run_with_stdin(args: &[&str], input: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run shellsweep");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written from another thread: a scanner that does not read stdin must not block us.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn summary_of(out: &std::process::Output) -> Value {
    let (_, summary) = findings_and_summary(out);
    summary["shellsweep"]["summary"].clone()
}

#[test]
fn a_dash_reads_standard_input_as_one_file() {
    let out = run_with_stdin(&["scan", "--format", "jsonl", "-"], PHP_SHELL);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let (findings, summary) = findings_and_summary(&out);
    assert!(!findings.is_empty());
    assert!(
        findings.iter().all(|f| f["file"]["path"] == "<stdin>"),
        "{findings:?}"
    );
    let s = &summary["shellsweep"]["summary"];
    assert_eq!(s["files_scanned"], 1);
    assert_eq!(s["complete"], true);

    // --stdin-name: the rules for that name, and the name in findings.
    let out = run_with_stdin(
        &["scan", "--format", "jsonl", "--stdin-name", "up/x.php", "-"],
        PHP_SHELL,
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let (findings, _) = findings_and_summary(&out);
    assert!(findings.iter().all(|f| f["file"]["path"] == "up/x.php"));

    // A log on stdin (here still gzipped) is read as a log.
    let gz = std::fs::read(repo().join("fixtures/logs/apache2/access.log.2.gz")).unwrap();
    let out = run_with_stdin(&["scan", "--format", "jsonl", "-"], &gz);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let (findings, summary) = findings_and_summary(&out);
    assert!(
        findings
            .iter()
            .any(|f| f["log"]["file"]["path"] == "<stdin>")
    );
    assert_eq!(summary["shellsweep"]["summary"]["logs"]["logs_scanned"], 1);

    // Not read whole: incomplete, exit 2.
    let big = [b"x".repeat(4096), PHP_SHELL.to_vec()].concat();
    let out = run_with_stdin(
        &["scan", "--format", "jsonl", "--max-filesize", "1K", "-"],
        &big,
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_eq!(summary_of(&out)["complete"], false);
}

#[cfg(unix)]
#[test]
fn named_links_are_followed_and_links_in_trees_are_named_and_leave_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let target = write(dir.path(), "outside/shell.php", PHP_SHELL);
    let named = dir.path().join("named.php");
    std::os::unix::fs::symlink(&target, &named).unwrap();
    let out = run(["scan", "--format", "jsonl", named.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));

    let tree = dir.path().join("www");
    write(&tree, "index.html", b"<p>hello</p>\n");
    let link = tree.join("cache/shell.php");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = run(["scan", "--format", "jsonl", tree.to_str().unwrap()]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let s = summary_of(&out);
    assert_eq!(s["complete"], false);
    assert_eq!(s["symlinks_not_followed"]["count"], 1);
    assert_eq!(
        s["symlinks_not_followed"]["paths"][0],
        link.to_str().unwrap()
    );
    assert!(stderr(&out).contains(link.to_str().unwrap()));

    let out = run([
        "scan",
        "--format",
        "jsonl",
        "--follow-symlinks",
        tree.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
}

#[test]
fn a_log_cut_by_the_decompression_limit_is_an_error() {
    let out = run([
        "scan",
        "--format",
        "jsonl",
        "--max-decompressed-size",
        "200",
        "fixtures/logs/apache2/access.log.2.gz",
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let s = summary_of(&out);
    assert_eq!(s["errors"], 1);
    assert_eq!(s["complete"], false);
    let err = stderr(&out);
    assert!(err.contains("access.log.2.gz"), "{err}");
    assert!(err.contains("--max-decompressed-size"), "{err}");
}

#[test]
fn rules_check_finds_ids_that_repeat_bundled_ones() {
    let dir = tempfile::tempdir().unwrap();
    let bundled_id = {
        let out = run(["rules", "list"]);
        String::from_utf8(out.stdout)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    };
    let file = write(
        dir.path(),
        "dup.yml",
        format!(
            "rules:\n  - id: MY-OK-1\n    name: fine\n    severity: low\n    patterns:\n      m: {{ text: canary-marker }}\n  - id: {bundled_id}\n    name: mine\n    severity: low\n    patterns:\n      m: {{ text: canary-marker-2 }}\n"
        )
        .as_bytes(),
    );
    let out = run(["rules", "check", file.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("dup.yml:7:"), "{err}");
    assert!(
        err.contains(&format!("duplicate rule id `{bundled_id}`")),
        "{err}"
    );
    // What `rules check` passes, `scan --rules` runs with, and the other way round.
    let scan = run([
        "scan",
        "-q",
        "--rules",
        file.to_str().unwrap(),
        "fixtures/logs",
    ]);
    assert_eq!(code(&scan), 2);
    let out = run([
        "rules",
        "check",
        "--no-bundled-rules",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn errors_are_said_once_and_name_what_the_user_gave() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope/nope.txt");
    let out = run([
        "scan",
        "-q",
        "--ioc",
        missing.to_str().unwrap(),
        "fixtures/logs",
    ]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");

    let state = dir.path().join("no-such-folder/state.json");
    let out = run([
        "scan",
        "-q",
        "--state",
        state.to_str().unwrap(),
        "fixtures/logs",
    ]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("state.json"), "{err}");
    assert!(!err.contains(".lock"), "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");

    let big = write(dir.path(), "www/backup.php", PHP_SHELL);
    let out = run(["scan", "--max-filesize", "10", big.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("--max-filesize") && err.contains("--exclude"),
        "{err}"
    );
}

#[test]
fn thread_counts_are_capped_at_what_the_machine_can_use() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "index.php", b"<?php echo 'hello';\n");
    let out = run([
        "scan",
        "--format",
        "jsonl",
        "-j",
        "100000",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let threads = summary_of(&out)["threads"].as_u64().unwrap();
    assert!(threads <= 4 * cpus, "{threads} threads on {cpus} CPUs");
    assert!(stderr(&out).contains("-j 100000"), "{}", stderr(&out));
}

/// A page piped in under its name that opens like an IIS log is read as a log and by the
/// file rules for that name, as in a tree; under a log's name, or without a name, as a log
/// only (a piped log is the usual case there).
#[test]
fn a_page_dressed_as_a_log_on_stdin_is_matched_by_the_file_rules_for_its_name() {
    let page = "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n\
                #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken\r\n\
                2025-07-19 07:12:01 10.0.0.5 POST /_layouts/15/ToolPane.aspx DisplayMode=Edit&a=/ToolPane.aspx 443 - 192.0.2.66 Mozilla/5.0 200 0 0 12\r\n\
                <%@ Page Language=\"C#\" %>\r\n<% System.Diagnostics.Process.Start(\"cmd.exe\", \"/c \" + Request[\"c\"]); %>\r\n";
    let datasets = |name: Option<&str>| {
        let mut args = vec!["scan", "--format", "jsonl"];
        if let Some(n) = name {
            args.extend(["--stdin-name", n]);
        }
        args.push("-");
        let out = run_with_stdin(&args, page.as_bytes());
        assert_eq!(code(&out), 1, "{name:?}: {}", stderr(&out));
        let (findings, summary) = findings_and_summary(&out);
        let s = &summary["shellsweep"]["summary"];
        assert_eq!(s["logs"]["logs_scanned"], 1, "{name:?}: {s}");
        assert_eq!(s["complete"], true, "{name:?}: {s}");
        let mut d: Vec<String> = findings
            .iter()
            .map(|f| f["event"]["dataset"].as_str().unwrap().to_owned())
            .collect();
        d.sort();
        d.dedup();
        d
    };
    assert_eq!(
        datasets(Some("LAYOUTS/spinstall0.aspx")),
        ["shellsweep.file", "shellsweep.log"]
    );
    assert_eq!(datasets(Some("W3SVC1/u_ex250719.log")), ["shellsweep.log"]);
    assert_eq!(datasets(None), ["shellsweep.log"]);
}

/// The largest `--max-filesize` is no limit for standard input either: what lies past the
/// first 64 KiB is read (the room for the rest once wrapped around to nothing).
#[test]
fn the_largest_max_filesize_reads_all_of_standard_input() {
    let mut input = b"<?php\n".to_vec();
    input.extend(std::iter::repeat_n(b"// padding\n".as_slice(), 8_000).flatten());
    input.extend_from_slice(PHP_SHELL);
    assert!(input.len() > 80_000);
    let max = u64::MAX.to_string();
    let out = run_with_stdin(
        &[
            "scan",
            "--format",
            "jsonl",
            "--stdin-name",
            "up/x.php",
            "--max-filesize",
            &max,
            "-",
        ],
        &input,
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let (findings, summary) = findings_and_summary(&out);
    assert!(!findings.is_empty());
    assert_eq!(
        summary["shellsweep"]["summary"]["bytes_scanned"],
        input.len() as u64
    );
}
