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

/// Markers of the planted lines reported by one sweep, with their counts.
fn sweep(root: &Path, state: &Path) -> (BTreeMap<String, usize>, serde_json::Value) {
    let out = sweep_jsonl(state, root);
    assert!(code(&out) <= 1, "{}", stderr(&out));
    let (findings, summary) = findings_and_summary(&out);
    let seen = planted_markers(&findings);
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

/// One `--state` sweep of `paths` with extra `args`: exit code, findings, summary, stderr.
fn state_sweep(
    state: &Path,
    args: &[&std::ffi::OsStr],
    paths: &[&Path],
) -> (i32, Vec<serde_json::Value>, serde_json::Value, String) {
    let mut all: Vec<&std::ffi::OsStr> = vec![
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--state".as_ref(),
        state.as_os_str(),
    ];
    all.extend_from_slice(args);
    all.extend(paths.iter().map(|p| p.as_os_str()));
    let out = run(all);
    let (findings, summary) = findings_and_summary(&out);
    (code(&out), findings, summary, stderr(&out))
}

#[test]
fn a_webshell_found_before_is_reported_again_until_it_is_gone_or_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    write(&www, "index.php", b"<?php echo 'hello';\n");
    let shell = write(&www, "up/cache.php", PHP_SHELL);
    let state = dir.path().join("s.json");

    let (c1, first, sum1, _) = state_sweep(&state, &[], &[&www]);
    assert_eq!(c1, 1);
    assert!(!first.is_empty());
    assert!(
        first
            .iter()
            .all(|f| f["shellsweep"]["carried_over"].is_null())
    );

    // Nothing changed: nothing is read again, but the webshell is still there.
    let (c2, again, sum2, _) = state_sweep(&state, &[], &[&www]);
    let s2 = &sum2["shellsweep"]["summary"];
    assert_eq!(c2, 1, "{s2}");
    assert_eq!(s2["files_unchanged"], 2);
    assert_eq!(s2["files_scanned"], 0);
    assert_eq!(
        s2["findings_total"],
        sum1["shellsweep"]["summary"]["findings_total"]
    );
    assert_eq!(
        s2["findings_carried_over"].as_u64().unwrap(),
        again.len() as u64
    );
    assert_eq!(s2["complete"], true);
    assert_eq!(again.len(), first.len());
    for (old, new) in first.iter().zip(&again) {
        assert_eq!(new["event"]["id"], old["event"]["id"], "the same finding");
        assert_eq!(new["rule"]["id"], old["rule"]["id"]);
        assert_eq!(new["file"]["path"], shell.display().to_string());
        assert_eq!(new["shellsweep"]["carried_over"], true);
        assert_eq!(new["shellsweep"]["first_seen"], old["@timestamp"]);
        assert_ne!(new["@timestamp"], old["@timestamp"], "written now");
        assert_eq!(new["host"], old["host"]);
    }

    // An allowlist added later silences carried findings like new ones...
    let allow = write(
        dir.path(),
        "allow.yml",
        b"allow:\n  - path: '**/up/cache.php'\n    reason: test fixture\n",
    );
    let (c3, silenced, sum3, _) =
        state_sweep(&state, &["--allow".as_ref(), allow.as_os_str()], &[&www]);
    assert_eq!(c3, 0, "{sum3}");
    assert!(silenced.is_empty());
    assert_eq!(
        sum3["shellsweep"]["summary"]["findings_allowed"]
            .as_u64()
            .unwrap(),
        first.len() as u64
    );
    assert_eq!(
        sum3["shellsweep"]["summary"]["files_unchanged"], 2,
        "no rescan for it"
    );
    // ...and without it they are back.
    let (c4, back, _, _) = state_sweep(&state, &[], &[&www]);
    assert_eq!((c4, back.len()), (1, first.len()));

    // A changed file is scanned again and its old findings dropped.
    std::fs::write(&shell, b"<?php echo 'cleaned';\n").unwrap();
    let (c5, none, sum5, _) = state_sweep(&state, &[], &[&www]);
    assert_eq!(c5, 0, "{none:?}");
    assert_eq!(sum5["shellsweep"]["summary"]["files_scanned"], 1);

    // A file that is gone takes its findings along.
    std::fs::write(&shell, PHP_SHELL).unwrap();
    assert_eq!(state_sweep(&state, &[], &[&www]).0, 1);
    assert_eq!(state_sweep(&state, &[], &[&www]).0, 1);
    std::fs::remove_file(&shell).unwrap();
    let (c6, gone, _, _) = state_sweep(&state, &[], &[&www]);
    assert_eq!((c6, gone.len()), (0, 0));
}

#[test]
fn a_state_file_of_the_earlier_version_loads_with_a_notice_and_rescans_files() {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    write(&www, "shell.php", PHP_SHELL);
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    append(
        &logs.join("access.log"),
        &format!("{}\n{}\n", line("L1", true), line("l0", false)),
    );
    let state = dir.path().join("s.json");
    let (c1, _, _, _) = state_sweep(&state, &[], &[&www, &logs]);
    assert_eq!(c1, 1);
    // What version 1 wrote: the same entries, without findings.
    let mut old: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    old["version"] = 1.into();
    for f in old["files"].as_array_mut().unwrap() {
        f.as_object_mut().unwrap().remove("findings");
    }
    std::fs::write(&state, old.to_string()).unwrap();

    let (c2, found, sum2, err) = state_sweep(&state, &[], &[&www, &logs]);
    assert!(err.contains("earlier version"), "{err}");
    assert_eq!(c2, 1, "the webshell is reported again: {err}");
    let s = &sum2["shellsweep"]["summary"];
    assert_eq!(s["files_unchanged"], 0, "{s}");
    assert_eq!(s["logs"]["resumed"], 1, "logs keep their place: {s}");
    assert!(
        found
            .iter()
            .all(|f| f["event"]["dataset"] == "shellsweep.file"),
        "log lines are not reported twice: {found:?}"
    );
    // And it is a version-2 state again.
    let (c3, _, sum3, err) = state_sweep(&state, &[], &[&www, &logs]);
    assert_eq!(c3, 1);
    assert!(!err.contains("earlier version"), "{err}");
    let s3 = &sum3["shellsweep"]["summary"];
    assert!(s3["findings_carried_over"].as_u64().unwrap() > 0, "{s3}");
    assert_eq!(s3["findings_carried_over"], s3["findings_total"]);
}
