//! `scan --syslog`: the findings reach a real rsyslog over UDP, TCP and TLS (with and
//! without a client certificate) exactly as the JSONL output holds them, with the RFC 5424
//! header the docs promise; a receiver killed mid-run and started again misses nothing (or
//! the run says how many it missed); no receiver at all makes the run exit 2, counting every
//! finding, while `-o` holds them all.
//!
//! rsyslog runs in the foreground on free loopback ports with a configuration written here
//! (its own work directory, no system inputs), and writes each message's MSG to a file. The
//! test CA, server and client certificates are made with the `openssl` command. Without
//! `rsyslogd` (Debian: rsyslog, rsyslog-gnutls) or `openssl` on this machine the rsyslog
//! tests print a skip line, unless `SHELLSWEEP_REQUIRE_RSYSLOG` is set (as `.ci/run` does),
//! when they fail.

#[path = "../common/mod.rs"]
mod common;
mod rsyslog;

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{bin, code, repo, run, stderr};
use rsyslog::{INPUTS, Input, Rsyslog, tools};
use serde_json::Value;

/// The lines of `-o` that go to syslog (findings, pivot events), as written, and the summary.
fn sent_lines(output: &Path) -> (Vec<String>, Value) {
    let text = std::fs::read_to_string(output).unwrap();
    let mut lines = Vec::new();
    let mut summary = Value::Null;
    for l in text.lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        match v["event"]["dataset"].as_str().unwrap() {
            "shellsweep.summary" => summary = v,
            "shellsweep.scan" => {}
            _ => lines.push(l.to_owned()),
        }
    }
    (lines, summary)
}

fn parsed(lines: &[String]) -> BTreeSet<String> {
    lines
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:.300}"));
            v.to_string()
        })
        .collect()
}

fn scan_to(dir: &Path, name: &str, extra: &[&str]) -> (std::process::Output, PathBuf) {
    let out_file = dir.join(format!("{name}.jsonl"));
    let mut args: Vec<String> = ["scan", "fixtures", "--format", "jsonl", "-q", "-o"]
        .map(str::to_owned)
        .into();
    args.push(out_file.display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    (run(&args), out_file)
}

/// RFC 5424 severity of a finding line: critical 2, high 3, medium 4, low 5, pivot event 6.
fn severity(v: &Value) -> &'static str {
    if v["event"]["kind"] == "event" {
        return "6";
    }
    match v["shellsweep"]["severity_name"].as_str().unwrap() {
        "critical" => "2",
        "high" => "3",
        "medium" => "4",
        "low" => "5",
        other => panic!("severity {other}"),
    }
}

#[test]
fn every_finding_reaches_rsyslog_as_the_jsonl_holds_it() {
    let Some((rsyslogd, openssl_bin)) = tools() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let rs = Rsyslog::start(&rsyslogd, &openssl_bin, dir);
    // Attacker-chosen names and contents that would end a newline-framed message, start a
    // forged one, or drive a terminal: each must still arrive as one message, unchanged.
    let hostile = dir.join("hostile");
    std::fs::create_dir(&hostile).unwrap();
    let shell = [
        common::PHP_SHELL,
        b"<?php // \n12 <13>1 - forged - - - -\x1b[2J\x07\r\n\x00 ?>\n",
    ]
    .concat();
    for name in [
        &b"new\n<13>1 2026-01-01T00:00:00Z forged app - - - hi.php"[..],
        b"esc\x1b]0;owned\x07.php",
        b"bad-\xff\xfe-utf8.php",
        b"34 <13>1 - - - - - -.php",
    ] {
        use std::os::unix::ffi::OsStrExt;
        std::fs::write(hostile.join(std::ffi::OsStr::from_bytes(name)), &shell).unwrap();
    }
    let hostile_arg = hostile.display().to_string();
    let ca = dir.join("ca.pem").display().to_string();
    let cert = dir.join("client.pem").display().to_string();
    let key = dir.join("client.key").display().to_string();
    for input in INPUTS {
        let url = rs.url(input);
        let mut extra = vec![hostile_arg.as_str(), "--syslog", url.as_str()];
        match input {
            Input::Udp => extra.extend(["--syslog-facility", "auth"]),
            Input::Tcp => {}
            Input::Tls => extra.extend(["--syslog-ca", &ca]),
            Input::MutualTls => extra.extend([
                "--syslog-ca",
                &ca,
                "--syslog-cert",
                &cert,
                "--syslog-key",
                &key,
            ]),
        }
        let (out, file) = scan_to(dir, input.name(), &extra);
        assert_eq!(code(&out), 1, "{input:?}: {}", stderr(&out));
        let (lines, summary) = sent_lines(&file);
        assert!(lines.len() > 100, "{input:?}: {} findings", lines.len());
        assert!(
            lines.iter().any(|l| l.contains("\"shellsweep.pivot\"")),
            "pivot events go too"
        );
        assert!(
            lines.iter().filter(|l| l.contains("/hostile/")).count() >= 4,
            "{input:?}: the hostile files were found"
        );
        assert_eq!(
            summary["shellsweep"]["summary"]["syslog"],
            serde_json::json!({"sent": lines.len(), "undelivered": 0, "resent": 0, "oversized": 0}),
            "{input:?}"
        );
        let got = rs.wait_for(input, lines.len());
        // Byte for byte, and as JSON; once each.
        assert_eq!(got.len(), lines.len(), "{input:?}: {}", rs.log());
        let want: BTreeSet<&String> = lines.iter().collect();
        let have: BTreeSet<&String> = got.iter().collect();
        assert_eq!(have, want, "{input:?}");
        assert_eq!(parsed(&got), parsed(&lines), "{input:?}");

        // The header, as rsyslog parsed it.
        let heads = rs.heads(input);
        assert_eq!(heads.len(), lines.len());
        let pids: BTreeSet<&str> = heads.iter().map(|h| h[3].as_str()).collect();
        assert_eq!(pids.len(), 1, "one PROCID per run");
        assert!(pids.iter().all(|p| p.parse::<u32>().is_ok()));
        for h in &heads {
            let v: Value = serde_json::from_str(&h[8]).unwrap();
            let facility = if input == Input::Udp { "4" } else { "16" };
            assert_eq!(h[0], facility, "{input:?} facility");
            assert_eq!(
                h[1],
                severity(&v),
                "{input:?} severity of {}",
                &h[8][..200.min(h[8].len())]
            );
            assert_eq!(h[2], "shellsweep");
            let msgid = if v["event"]["kind"] == "event" {
                "pivot"
            } else {
                v["rule"]["id"].as_str().unwrap()
            };
            assert_eq!(h[4], msgid);
            // TIMESTAMP is the finding's time (to the microsecond; @timestamp has millis).
            let t: jiff::Timestamp = h[5].parse().unwrap();
            assert_eq!(format!("{t:.3}"), v["@timestamp"].as_str().unwrap());
            assert_eq!(h[6], v["host"]["hostname"].as_str().unwrap());
            assert_eq!(h[7], "-", "no structured data");
        }
    }

    // A receiver whose certificate the given CA did not sign gets nothing: exit 2, counted.
    let other = dir.join("other-ca.pem").display().to_string();
    let url = rs.url(Input::Tls);
    let (out, file) = scan_to(
        dir,
        "wrong-ca",
        &[
            "--syslog",
            &url,
            "--syslog-ca",
            &other,
            "--syslog-retry",
            "0.5",
        ],
    );
    let (lines, summary) = sent_lines(&file);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_eq!(
        summary["shellsweep"]["summary"]["syslog"]["undelivered"],
        lines.len()
    );
    assert!(stderr(&out).contains("certificate"), "{}", stderr(&out));
    // Mutual TLS without a client certificate is refused by the receiver.
    let url = rs.url(Input::MutualTls);
    let (out, file) = scan_to(
        dir,
        "no-client-cert",
        &[
            "--syslog",
            &url,
            "--syslog-ca",
            &ca,
            "--syslog-retry",
            "0.5",
        ],
    );
    let (lines, _) = sent_lines(&file);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("{} of {} messages", lines.len(), lines.len())),
        "{}",
        stderr(&out)
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        rs.messages(Input::MutualTls).len(),
        parsed(&sent_lines(&dir.join("mtls.jsonl")).0).len(),
        "nothing more arrived without the client certificate"
    );
}

#[test]
fn a_receiver_killed_mid_run_and_restarted_misses_nothing() {
    killed_mid_run(true);
}

#[test]
fn a_receiver_killed_mid_run_for_good_makes_the_run_say_what_it_missed() {
    killed_mid_run(false);
}

/// Kills rsyslog (SIGKILL: what it held is lost) while findings flow, and starts it again on
/// the same port or not. Every finding of `-o` must then be in rsyslog's files, before and
/// after the restart, or the run exits 2 and counts at least what is missing as undelivered
/// (messages that were not confirmed count too, though the receiver may have got them).
fn killed_mid_run(restart: bool) {
    let Some((rsyslogd, openssl_bin)) = tools() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut rs = Rsyslog::start(&rsyslogd, &openssl_bin, dir);
    // Enough copies of the fixtures that findings still flow when the receiver dies.
    let tree = dir.join("tree");
    for n in 0..12 {
        copy_tree(&repo().join("fixtures"), &tree.join(format!("copy{n}")));
    }
    let output = dir.join("killed.jsonl");
    let url = rs.url(Input::Tcp);
    let retry = if restart { "30" } else { "1" };
    let mut child = bin()
        .args([
            "scan", "--format", "jsonl", "-q", "-j", "1", "--syslog", &url,
        ])
        .args(["--syslog-retry", retry, "-o"])
        .arg(&output)
        .arg(&tree)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(&output)
        .unwrap_or_default()
        .lines()
        .count()
        < 300
    {
        assert!(Instant::now() < deadline, "the scan wrote too little");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "killed while the scan runs"
    );
    rs.kill();
    if restart {
        std::thread::sleep(Duration::from_millis(300));
        rs.spawn();
    }
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    let (lines, summary) = sent_lines(&output);
    let counts = &summary["shellsweep"]["summary"]["syslog"];
    let number = |k: &str| counts[k].as_u64().unwrap() as usize;
    assert_eq!(
        number("sent") + number("undelivered"),
        lines.len(),
        "{counts}"
    );
    let got = rs.wait_for(Input::Tcp, lines.len());
    let have: BTreeSet<&String> = got.iter().collect();
    let missing = lines.iter().filter(|l| !have.contains(l)).count();
    match code(&out) {
        1 => {
            assert!(restart, "{err}");
            assert_eq!(missing, 0, "{counts} {err}");
            assert!(number("resent") > 0, "the loss was noticed: {counts} {err}");
            assert!(
                err.contains("connection lost") || err.contains("did not confirm"),
                "{err}"
            );
        }
        2 => {
            assert!(!restart, "restarted within --syslog-retry: {counts} {err}");
            assert!(missing > 0, "it was killed early");
            assert!(
                number("undelivered") >= missing,
                "{counts}: {missing} missing"
            );
            assert!(
                err.contains(&format!(
                    "{} of {} messages",
                    number("undelivered"),
                    lines.len()
                )),
                "{err}"
            );
        }
        c => panic!("exit {c}: {err}"),
    }
    // Duplicates only from what was sent again.
    let extra = got.len() - (lines.len() - missing);
    assert!(extra <= number("resent"), "{extra} duplicates, {counts}");
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = e.file_type().unwrap();
        if t.is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else if t.is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn without_a_receiver_the_run_exits_2_and_counts_every_finding() {
    let tmp = tempfile::tempdir().unwrap();
    // A port nothing listens on.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("tcp://127.0.0.1:{port}");
    let started = Instant::now();
    let (out, file) = scan_to(
        tmp.path(),
        "none",
        &["--syslog", &url, "--syslog-retry", "1"],
    );
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    let (lines, summary) = sent_lines(&file);
    assert!(lines.len() > 100, "-o holds the findings");
    assert_eq!(
        summary["shellsweep"]["summary"]["syslog"],
        serde_json::json!({"sent": 0, "undelivered": lines.len(), "resent": 0, "oversized": 0})
    );
    assert!(
        err.contains(&format!(
            "{} of {} messages (findings and pivot events) were not delivered",
            lines.len(),
            lines.len()
        )),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the retry is bounded"
    );
}

#[test]
fn syslog_options_are_checked_before_scanning() {
    let tmp = tempfile::tempdir().unwrap();
    let out_file = tmp.path().join("o.jsonl");
    let o = out_file.display().to_string();
    for (args, says) in [
        (vec!["--syslog", "logs:514"], "udp://, tcp:// or tls://"),
        (
            vec!["--syslog", "tls://127.0.0.1:6514"],
            "needs --syslog-ca",
        ),
        (
            vec!["--syslog", "tcp://h:1", "--syslog-ca", "Cargo.toml"],
            "for tls:// only",
        ),
        (
            vec!["--syslog", "tls://h:1", "--syslog-ca", "Cargo.toml"],
            "no certificate",
        ),
        (
            vec!["--syslog", "tcp://h:1", "--syslog-facility", "nope"],
            "not a syslog facility",
        ),
        (vec!["--syslog-facility", "auth"], "--syslog"),
        (
            vec!["--syslog", "tls://h:1", "--syslog-cert", "Cargo.toml"],
            "--syslog-key",
        ),
    ] {
        let mut all = vec!["scan", "fixtures", "-q", "-o", &o];
        all.extend(&args);
        let out = run(&all);
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert!(!out_file.exists(), "{args:?}: refused before any output");
    }
}

/// `--syslog-format ocsf`: each message is the finding's OCSF line, the same bytes as the
/// `--format ocsf` output of the same run; the Scan Activity (the summary) is not sent.
#[test]
fn ocsf_lines_reach_rsyslog_as_the_ocsf_output_holds_them() {
    let Some((rsyslogd, openssl_bin)) = tools() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let rs = Rsyslog::start(&rsyslogd, &openssl_bin, dir);
    let url = rs.url(Input::Tcp);
    let ocsf = dir.join("run.ocsf.jsonl");
    let jsonl = dir.join("run.jsonl");
    let args: Vec<String> = [
        "scan",
        "fixtures",
        "--format",
        "ocsf",
        "-o",
        &ocsf.display().to_string(),
        "--format",
        "jsonl",
        "-o",
        &jsonl.display().to_string(),
        "--syslog",
        &url,
        "--syslog-format",
        "ocsf",
    ]
    .map(str::to_owned)
    .into();
    let out = run(&args);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = std::fs::read_to_string(&ocsf).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let last: Value = serde_json::from_str(&lines.pop().unwrap()).unwrap();
    assert_eq!(last["class_uid"], 6007, "the Scan Activity is last");
    for l in &lines {
        let v: Value = serde_json::from_str(l).unwrap();
        assert!(v["class_uid"] == 2004 || v["class_uid"] == 4002, "{l:.200}");
    }
    // As many messages as the JSONL of the same run has findings and pivot events.
    assert_eq!(lines.len(), sent_lines(&jsonl).0.len());
    let got = rs.wait_for(Input::Tcp, lines.len());
    assert_eq!(got.len(), lines.len(), "{}", rs.log());
    let want: BTreeSet<&String> = lines.iter().collect();
    let have: BTreeSet<&String> = got.iter().collect();
    assert_eq!(have, want);
    // Without -q, stderr says they were delivered.
    assert!(
        stderr(&out).contains(&format!("syslog {url}: {} messages delivered", lines.len())),
        "{}",
        stderr(&out)
    );
}
