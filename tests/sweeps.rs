//! Incremental sweeps with --state: logs that grow and rotate between runs report every
//! planted line exactly once; unchanged files are skipped; one sweep at a time.
#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use common::*;

fn line(marker: &str, attack: bool) -> String {
    let q = if attack {
        format!("cmd=whoami&m={marker}")
    } else {
        format!("page={marker}")
    };
    format!(
        "198.51.100.7 - - [19/Jul/2025:10:00:00 +0200] \"GET /x.php?{q} HTTP/1.1\" 200 30 \"-\" \"curl/8\""
    )
}

fn append(path: &Path, text: &str) {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

/// Markers of the planted lines reported by one sweep, with their counts.
fn sweep(root: &Path, state: &Path) -> (BTreeMap<String, usize>, serde_json::Value) {
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--state".as_ref(),
        state.as_os_str(),
        root.as_os_str(),
    ]);
    assert!(code(&out) <= 1, "{}", stderr(&out));
    let (findings, summary) = findings_and_summary(&out);
    let mut seen = BTreeMap::new();
    for f in findings
        .iter()
        .filter(|f| f["rule"]["id"] == "SSW-LOG-WEBSHELL-001")
    {
        let q = f["url"]["query"].as_str().unwrap();
        let marker = q.rsplit("m=").next().unwrap().to_owned();
        *seen.entry(marker).or_insert(0) += 1;
    }
    (seen, summary)
}

#[test]
fn three_sweeps_over_growing_and_rotating_logs_report_each_line_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("srv");
    let logs = root.join("var/log/nginx");
    std::fs::create_dir_all(&logs).unwrap();
    let state = dir.path().join("state/sweep.json");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    let access = logs.join("access.log");
    let app = logs.join("app.log");
    write(&root, "www/index.php", b"<?php echo 'hello';\n");

    // Sweep 1: two planted lines and a partial line still being written.
    append(
        &access,
        &format!(
            "{}\n{}\n{}\n",
            line("a0", false),
            line("P1", true),
            line("a1", false)
        ),
    );
    let partial = line("P2", true);
    let (cut_a, cut_b) = partial.split_at(40);
    append(&access, cut_a);
    append(
        &app,
        &format!("{}\n{}\n", line("P3", true), line("b0", false)),
    );
    let (s1, sum1) = sweep(&root, &state);

    // Sweep 2: the partial line is finished, more lines arrive; the web root is unchanged.
    append(&access, &format!("{cut_b}\n{}\n", line("P4", true)));
    let (s2, sum2) = sweep(&root, &state);
    assert_eq!(sum2["shellsweep"]["summary"]["files_unchanged"], 1);
    assert_eq!(sum2["shellsweep"]["summary"]["logs"]["resumed"], 2);

    // Sweep 3: logrotate renames and compresses access.log after one more line, a new
    // access.log starts; app.log is copy-truncated and written anew.
    append(&access, &format!("{}\n", line("P5", true)));
    let rotated = logs.join("access.log.1.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&std::fs::read(&access).unwrap()).unwrap();
    std::fs::write(&rotated, gz.finish().unwrap()).unwrap();
    std::fs::remove_file(&access).unwrap();
    append(
        &access,
        &format!("{}\n{}\n", line("c0", false), line("P6", true)),
    );
    std::fs::write(&app, format!("{}\n", line("P7", true))).unwrap();
    write(&root, "www/index.php", b"<?php echo 'hello again';\n");
    let (s3, sum3) = sweep(&root, &state);
    assert_eq!(
        sum3["shellsweep"]["summary"]["files_unchanged"], 0,
        "a changed file is scanned again"
    );

    let mut all: BTreeMap<String, usize> = BTreeMap::new();
    for s in [&s1, &s2, &s3] {
        for (k, v) in s.iter() {
            *all.entry(k.clone()).or_insert(0) += v;
        }
    }
    let want: BTreeMap<String, usize> = ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]
        .iter()
        .map(|m| (m.to_string(), 1))
        .collect();
    assert_eq!(all, want, "sweep 1 {s1:?}, sweep 2 {s2:?}, sweep 3 {s3:?}");
    assert!(
        s1.contains_key("P1") && !s1.contains_key("P2"),
        "the partial line waits: {s1:?}"
    );
    assert!(s2.contains_key("P2"), "{s2:?}");
    assert!(
        sum1["shellsweep"]["summary"]["logs"]["bytes"]
            .as_u64()
            .unwrap()
            > sum2["shellsweep"]["summary"]["logs"]["bytes"]
                .as_u64()
                .unwrap()
    );
}

#[test]
fn a_second_sweep_on_the_same_state_is_refused_while_one_runs() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "www/index.php", b"<?php echo 1;\n");
    let state = dir.path().join("s.json");
    let held = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.path().join("s.json.lock"))
        .unwrap();
    held.try_lock().unwrap();
    let out = run([
        "scan".as_ref(),
        "--state".as_ref(),
        state.as_os_str(),
        dir.path().join("www").as_os_str(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("another shellsweep run holds"),
        "{}",
        stderr(&out)
    );
    drop(held);
    let out = run([
        "scan".as_ref(),
        "--state".as_ref(),
        state.as_os_str(),
        dir.path().join("www").as_os_str(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(state.exists());
}

#[test]
fn a_rule_change_rescans_everything() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "www/index.php", b"<?php echo 1;\n");
    let state = dir.path().join("s.json");
    let rules = write(
        dir.path(),
        "r/extra.yml",
        b"rules:\n  - id: X-1\n    name: x\n    severity: low\n    patterns: {a: zzzzqq}\n",
    );
    let scan = || {
        let out = run([
            "scan".as_ref(),
            "--format".as_ref(),
            "jsonl".as_ref(),
            "--state".as_ref(),
            state.as_os_str(),
            "--rules".as_ref(),
            rules.as_os_str(),
            dir.path().join("www").as_os_str(),
        ]);
        findings_and_summary(&out).1["shellsweep"]["summary"]["files_unchanged"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(scan(), 0);
    assert_eq!(scan(), 1);
    std::fs::write(
        &rules,
        b"rules:\n  - id: X-1\n    name: x\n    severity: low\n    patterns: {a: zzzzqr}\n",
    )
    .unwrap();
    assert_eq!(scan(), 0);
}

#[test]
fn a_resumed_iis_log_keeps_its_field_layout() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("LogFiles/W3SVC1");
    std::fs::create_dir_all(&logs).unwrap();
    let log = logs.join("u_ex250719.log");
    let state = dir.path().join("s.json");
    let list = write(dir.path(), "iocs/ips.txt", b"203.0.113.77\n");
    // Not the default layout: the client address is in column 4 and X-Forwarded-For last.
    append(
        &log,
        "#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time s-ip c-ip cs-method cs-uri-stem cs-uri-query sc-status X-Forwarded-For\r\n\
         2025-07-19 08:00:00 10.20.0.15 10.0.0.9 GET /a.aspx - 200 -\r\n",
    );
    let scan = || {
        let out = run([
            "scan".as_ref(),
            "--format".as_ref(),
            "jsonl".as_ref(),
            "--state".as_ref(),
            state.as_os_str(),
            "--ioc".as_ref(),
            list.as_os_str(),
            logs.as_os_str(),
        ]);
        findings_and_summary(&out).0
    };
    assert!(scan().is_empty());
    append(
        &log,
        "2025-07-19 08:00:05 10.20.0.15 10.0.0.9 GET /b.aspx - 200 203.0.113.77\r\n",
    );
    let found = scan();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["shellsweep"]["ioc"]["field"], "x-forwarded-for");
    assert_eq!(found[0]["shellsweep"]["log"]["line"], 4);
    assert_eq!(found[0]["url"]["path"], "/b.aspx");
}
