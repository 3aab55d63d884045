//! Limits that keep one hostile input from stalling a sweep (issue 13, cases 13 and 14):
//! regex size at rule load, the per-file time budget, large exclude lists, STIX bundles.

mod common;

use std::time::{Duration, Instant};

use common::*;

fn rule(id: &str, regex: &str) -> String {
    format!(
        "rules:\n  - id: {id}\n    name: limits test\n    severity: high\n    patterns:\n      a: {{ regex: '{regex}' }}\n"
    )
}

#[test]
fn rules_check_refuses_a_huge_counted_repetition_and_points_at_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "huge.yml",
        rule("HUGE-1", r"eval[\x00-\xff]{65000,65536}q").as_bytes(),
    );
    let out = run(["rules".as_ref(), "check".as_ref(), p.as_os_str()]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    // Line 6, column of the `{` of the repetition (the value starts at column 20, inside
    // quotes: `eval[\x00-\xff]` is 15 characters).
    assert!(
        err.contains(&format!(
            "{}:6:35: error: regex: repetition `{{65000,65536}}` is over the limit of 5000",
            p.display()
        )),
        "{err}"
    );
    // A scan with it stops before scanning, as for any broken rule.
    let target = write(dir.path(), "x.php", b"evalq");
    let out = run([
        "scan".as_ref(),
        "--no-bundled-rules".as_ref(),
        "--rules".as_ref(),
        p.as_os_str(),
        target.as_os_str(),
    ]);
    assert_eq!(code(&out), 2);
}

#[test]
fn nested_repetitions_are_refused_or_warned_by_their_written_out_size() {
    let dir = tempfile::tempdir().unwrap();
    let big = write(
        dir.path(),
        "nested.yml",
        rule("NEST-1", r"eval(?:[\x00-\xff]{0,200}){0,200}q").as_bytes(),
    );
    let out = run(["rules".as_ref(), "check".as_ref(), big.as_os_str()]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "error: regex: too large: its counted repetitions write out to 40005 positions"
        ),
        "{}",
        stderr(&out)
    );
    let large = write(
        dir.path(),
        "large.yml",
        rule("NEST-2", r"eval(?:[\x00-\xff]{0,100}){0,50}q").as_bytes(),
    );
    let out = run(["rules".as_ref(), "check".as_ref(), large.as_os_str()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("warning: rule NEST-2, pattern `a`: regex: large: its counted repetitions write out to 5005 positions"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_log_rule_field_regex_is_held_to_the_same_limit() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "log.yml",
        b"rules:\n  - id: LOG-HUGE\n    name: t\n    severity: high\n    scope: log\n    selections:\n      q:\n        cs-uri-query|re: 'a[\\x00-\\xff]{9000}b'\n    condition: q\n",
    );
    let out = run(["rules".as_ref(), "check".as_ref(), p.as_os_str()]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("error: regex: repetition `{9000}` is over the limit"),
        "{}",
        stderr(&out)
    );
}

/// A legal rule (no warning) that is slow on a crafted file: `eval` repeated 2 million times
/// keeps its 3,000 counted positions alive over the whole file (seconds per MB in a debug
/// build, 0.04 s per MB in a release build). With a budget of 0.2 s the file is given up,
/// named and counted, and the run is incomplete.
#[test]
fn a_slow_file_is_given_up_at_the_file_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(
        dir.path(),
        "slow.yml",
        rule("SLOW-1", r"eval[\x00-\xff]{0,3000}q").as_bytes(),
    );
    let check = run(["rules".as_ref(), "check".as_ref(), rules.as_os_str()]);
    assert!(
        stderr(&check).contains("0 errors, 0 warnings"),
        "{}",
        stderr(&check)
    );
    let mut slow = b"q".to_vec();
    slow.extend(b"eval".repeat(2_000_000));
    let slow = write(dir.path(), "web/slow.php", &slow);
    let scan = |targets: &[&std::path::Path]| {
        let started = Instant::now();
        let mut cmd = bin();
        cmd.args(["scan", "--no-bundled-rules", "--format", "jsonl", "-j", "1"])
            .args(["--file-timeout", "0.2", "--rules"])
            .arg(&rules)
            .args(targets);
        let out = cmd.output().unwrap();
        (out, started.elapsed())
    };

    let (out, took) = scan(&[&slow]);
    assert!(took < Duration::from_secs(60), "took {took:?}");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let lines = json_lines(&out);
    let event = lines
        .iter()
        .find(|l| l["event"]["reason"] == "timed_out")
        .unwrap_or_else(|| panic!("no timed_out event: {lines:?}"));
    assert_eq!(event["file"]["path"], slow.to_str().unwrap());
    assert!(
        event["message"]
            .as_str()
            .unwrap()
            .contains("--file-timeout (0.2s)")
    );
    let (findings, summary) = findings_and_summary(&out);
    assert!(findings.is_empty());
    let s = &summary["shellsweep"]["summary"];
    assert_eq!(s["files_skipped"]["timed_out"], 1, "{s}");
    assert_eq!(s["complete"], false);
    assert!(
        stderr(&out).contains("slow.php: skipped: the rules took longer than --file-timeout"),
        "{}",
        stderr(&out)
    );

    // A quick file beside it is still matched; the findings set the exit code.
    let quick = write(dir.path(), "web/quick.php", b"<?php evalq");
    let (out, _) = scan(&[&slow, &quick]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let (findings, summary) = findings_and_summary(&out);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["file"]["path"], quick.to_str().unwrap());
    assert_eq!(
        summary["shellsweep"]["summary"]["files_skipped"]["timed_out"],
        1
    );

    // With --state, a file given up is not recorded as seen: the next sweep tries it again
    // instead of passing it as unchanged.
    let state = dir.path().join("state.json");
    for _ in 0..2 {
        let out = bin()
            .args(["scan", "--no-bundled-rules", "--format", "jsonl", "-j", "1"])
            .args(["--file-timeout", "0.2", "--state"])
            .arg(&state)
            .arg("--rules")
            .arg(&rules)
            .args([&slow, &quick])
            .output()
            .unwrap();
        let (_, summary) = findings_and_summary(&out);
        let s = &summary["shellsweep"]["summary"];
        assert_eq!(s["files_skipped"]["timed_out"], 1, "{s}");
    }
    let out = bin()
        .args(["scan", "--no-bundled-rules", "--format", "jsonl", "-j", "1"])
        .args(["--file-timeout", "0.2", "--state"])
        .arg(&state)
        .arg("--rules")
        .arg(&rules)
        .arg(&quick)
        .output()
        .unwrap();
    let (_, summary) = findings_and_summary(&out);
    assert_eq!(summary["shellsweep"]["summary"]["files_unchanged"], 1);
}

#[test]
fn file_timeout_values_are_checked() {
    for bad in ["-1", "soon", "NaN"] {
        let out = run(["scan", &format!("--file-timeout={bad}"), "fixtures/webroot"]);
        assert_eq!(code(&out), 2, "{bad}");
        assert!(stderr(&out).contains("number of seconds"), "{bad}");
    }
    // 0 turns the limit off.
    let out = run([
        "scan",
        "--file-timeout",
        "0",
        "--format",
        "jsonl",
        "fixtures/webroot",
    ]);
    let (_, summary) = findings_and_summary(&out);
    assert_eq!(summary["shellsweep"]["summary"]["complete"], true);
}

/// 20,000 `--exclude` globs with alternatives used to fail with "error building NFA".
#[test]
fn twenty_thousand_exclude_globs_work() {
    let dir = tempfile::tempdir().unwrap();
    let shell = b"<?php @eval($_POST['x']); ?>";
    write(dir.path(), "web/a.php", shell);
    write(dir.path(), "web/b.bak7", shell);
    write(dir.path(), "web/cache/c.php", shell);
    let mut cmd = bin();
    cmd.args(["scan", "--format", "jsonl"]);
    for i in 0..20_000 {
        cmd.arg("--exclude").arg(format!("*.{{php,bak,old}}{i}*"));
    }
    cmd.args(["--exclude", "a.php", "--exclude"])
        .arg(format!("{}/web/cache/**", dir.path().display()))
        .arg(dir.path().join("web"));
    let out = cmd.output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (findings, summary) = findings_and_summary(&out);
    assert!(findings.is_empty(), "{findings:?}");
    // a.php by name, b.bak7 by `*.{php,bak,old}7*`, the cache folder by path.
    assert_eq!(
        summary["shellsweep"]["summary"]["files_skipped"]["excluded"], 3,
        "{summary}"
    );
}

/// STIX bundles load in time linear in their size (issue 13 case 14: 5 MB took 33 s and
/// 10 MB 143 s while every indicator searched the text for its id). Issue 12 made the
/// loader stream; this keeps it so: a 10 MB bundle loads in seconds even in a debug build.
#[test]
fn a_ten_megabyte_stix_bundle_loads_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("{\"type\": \"bundle\", \"id\": \"bundle--1\", \"objects\": [\n");
    let mut i = 0;
    while text.len() < 10 << 20 {
        if i > 0 {
            text.push_str(",\n");
        }
        text.push_str(&format!(
            "  {{\n    \"type\": \"indicator\",\n    \"spec_version\": \"2.1\",\n    \"id\": \"indicator--{i:08}-0000-4000-8000-000000000000\",\n    \"created\": \"2025-07-20T00:00:00.000Z\",\n    \"modified\": \"2025-07-20T00:00:00.000Z\",\n    \"name\": \"indicator {i}\",\n    \"pattern_type\": \"stix\",\n    \"pattern\": \"[ipv4-addr:value = '10.{}.{}.{}'] OR [domain-name:value = 'h{i}.example.com']\",\n    \"valid_from\": \"2025-07-20T00:00:00Z\"\n  }}",
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        ));
        i += 1;
    }
    text.push_str("\n]}\n");
    let p = write(dir.path(), "feed.json", text.as_bytes());
    let started = Instant::now();
    let out = run(["ioc".as_ref(), "check".as_ref(), p.as_os_str()]);
    let took = started.elapsed();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("{} indicators", 2 * i))
            || stderr(&out).contains(&format!("{} indicators", 2 * i)),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
}
