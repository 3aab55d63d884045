//! `--yara`: YARA rules (ours, inert) through yara-x beside the bundled rules, on the same
//! read of each file: findings and their fields, the Loki/THOR externals, diagnostics and
//! exit codes, and the per-file time limit.
#![cfg(feature = "yara")]

mod common;

use common::*;
use serde_json::Value;

const RULES: &str = r#"
rule Inert_Marker : webshell probe {
  meta:
    description = "an inert marker of the shellsweep tests"
    author = "shellsweep tests"
    reference = "https://example.invalid/one"
    reference = "https://example.invalid/two"
    score = 65
  strings:
    $first = "inert_marker_one"
    $second = { 69 6e 65 72 74 5f 6d 61 72 6b 65 72 5f 74 77 6f }
  condition:
    any of them
}

rule Inert_Upload_Name {
  meta:
    severity = "medium"
  condition:
    extension == ".jpg" and filename startswith "up" and filepath endswith "uploads"
      and filetype == "EXE"
}

rule Inert_No_Meta {
  strings:
    $a = "inert_no_meta_marker"
  condition:
    $a
}

rule Inert_Low_Score {
  meta:
    score = 30
  strings:
    $a = "inert_low_marker"
  condition:
    $a
}
"#;

fn scan(args: &[&str]) -> std::process::Output {
    let mut all = vec!["scan", "--format", "jsonl", "--no-bundled-rules"];
    all.extend_from_slice(args);
    run(all)
}

fn yara_findings(lines: &[Value]) -> Vec<&Value> {
    lines
        .iter()
        .filter(|l| l["rule"]["ruleset"] == "inert.yar")
        .collect()
}

fn by_id<'a>(found: &[&'a Value], id: &str) -> &'a Value {
    found
        .iter()
        .find(|l| l["rule"]["id"] == id)
        .unwrap_or_else(|| panic!("no {id} finding in {found:#?}"))
}

#[test]
fn a_yara_match_is_a_finding_with_the_rule_meta_and_matches() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(dir.path(), "inert.yar", RULES.as_bytes());
    let www = dir.path().join("www");
    write(
        &www,
        "page.txt",
        b"first line\nsome inert_marker_one here\nand inert_marker_two\n",
    );
    write(&www, "plain.txt", b"inert_no_meta_marker\n");
    write(&www, "low.txt", b"inert_low_marker\n");
    // The externals: a name, folder, extension and magic number the second rule asks for.
    write(
        &www,
        "uploads/upload1.jpg",
        b"MZ\x90\x00 not a real program",
    );
    write(&www, "uploads/other.jpg", b"MZ\x90\x00 not a real program");
    write(
        &www,
        "elsewhere/upload2.jpg",
        b"MZ\x90\x00 not a real program",
    );
    let out = scan(&["--yara", rules.to_str().unwrap(), www.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let (lines, summary) = findings_and_summary(&out);
    let found = yara_findings(&lines);

    let marker = by_id(&found, "Inert_Marker");
    assert_eq!(marker["rule"]["name"], "Inert_Marker");
    assert_eq!(
        marker["rule"]["description"],
        "an inert marker of the shellsweep tests"
    );
    assert_eq!(marker["rule"]["author"][0], "shellsweep tests");
    assert_eq!(marker["rule"]["reference"], "https://example.invalid/one");
    assert_eq!(
        marker["shellsweep"]["references"],
        serde_json::json!(["https://example.invalid/one", "https://example.invalid/two"])
    );
    assert_eq!(marker["shellsweep"]["severity_name"], "high");
    assert_eq!(marker["shellsweep"]["score"], 65);
    assert_eq!(marker["tags"], serde_json::json!(["webshell", "probe"]));
    let m = &marker["shellsweep"]["matches"];
    assert_eq!(m[0]["pattern"], "$first");
    assert_eq!(m[0]["offset"], 16);
    assert_eq!(m[0]["length"], 16);
    assert_eq!(m[0]["line"], 2);
    assert_eq!(m[0]["excerpt"], "some inert_marker_one here");
    assert_eq!(m[1]["pattern"], "$second");
    assert_eq!(m[1]["line"], 3);
    assert_eq!(marker["shellsweep"]["match_count"], 2);

    // Externals: only the file whose name, folder, extension and type all fit.
    let named: Vec<&str> = found
        .iter()
        .filter(|l| l["rule"]["id"] == "Inert_Upload_Name")
        .map(|l| l["file"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["upload1.jpg"]);
    assert_eq!(
        by_id(&found, "Inert_Upload_Name")["shellsweep"]["severity_name"],
        "medium"
    );
    // No meta: the default severity.
    let plain = by_id(&found, "Inert_No_Meta");
    assert_eq!(plain["shellsweep"]["severity_name"], "high");
    assert_eq!(plain["rule"]["description"], "");
    assert_eq!(
        by_id(&found, "Inert_Low_Score")["shellsweep"]["severity_name"],
        "low"
    );
    assert_eq!(summary["shellsweep"]["summary"]["rules_loaded"], 4);
    let sets = &summary["shellsweep"]["summary"]["rule_sets"];
    assert_eq!(sets["yara"], 4, "{sets}");
    assert!(sets.get("sigma").is_none(), "{sets}");

    // --yara-severity sets the default.
    let out = scan(&[
        "--yara",
        rules.to_str().unwrap(),
        "--yara-severity",
        "critical",
        www.join("plain.txt").to_str().unwrap(),
    ]);
    let (lines, _) = findings_and_summary(&out);
    assert_eq!(
        by_id(&yara_findings(&lines), "Inert_No_Meta")["shellsweep"]["severity_name"],
        "critical"
    );
}

#[test]
fn yara_runs_beside_the_bundled_rules_on_files_they_do_not_apply_to() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(dir.path(), "inert.yar", RULES.as_bytes());
    let www = dir.path().join("www");
    write(&www, "shell.php", PHP_SHELL);
    write(&www, "notes.bin", b"inert_no_meta_marker");
    let out = run([
        "scan",
        "--format",
        "jsonl",
        "--yara",
        rules.to_str().unwrap(),
        www.to_str().unwrap(),
    ]);
    let (lines, _) = findings_and_summary(&out);
    assert!(
        lines
            .iter()
            .any(|l| l["rule"]["ruleset"] != "inert.yar" && l["file"]["name"] == "shell.php"),
        "bundled finding"
    );
    assert_eq!(
        by_id(&yara_findings(&lines), "Inert_No_Meta")["file"]["name"],
        "notes.bin"
    );
}

#[test]
fn logs_are_not_fed_to_yara() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(dir.path(), "inert.yar", RULES.as_bytes());
    let log = write(
        dir.path(),
        "logs/access.log",
        b"203.0.113.9 - - [19/Jul/2025:07:13:01 +0000] \"GET /inert_no_meta_marker HTTP/1.1\" 200 12 \"-\" \"curl\"\n",
    );
    // With the bundled log rules loaded, the log goes to the log scanner, not to YARA.
    let out = run([
        "scan",
        "--format",
        "jsonl",
        "--yara",
        rules.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    let (lines, summary) = findings_and_summary(&out);
    assert!(yara_findings(&lines).is_empty(), "{lines:#?}");
    assert_eq!(
        summary["shellsweep"]["summary"]["logs"]["logs_scanned"], 1,
        "{summary}"
    );
}

#[test]
fn a_broken_rule_is_a_coded_diagnostic_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(
        dir.path(),
        "broken.yar",
        b"rule fine { strings: $a = \"inert_fine_marker\" condition: $a }\nrule broken {\n  condition:\n    $missing\n}\n",
    );
    let www = dir.path().join("www");
    write(&www, "a.txt", b"inert_fine_marker");
    let out = scan(&["--yara", rules.to_str().unwrap(), www.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("broken.yar:4:5: error: ") && err.contains("[SSW-E039]"),
        "{err}"
    );
    assert!(json_lines(&out).is_empty(), "no scan after a rule error");
    let out = run([
        "rules",
        "check",
        "--no-bundled-rules",
        "--yara",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("[SSW-E039]"));
    // A folder without YARA files.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = run(["rules", "check", "--yara", empty.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("[SSW-E040]"), "{}", stderr(&out));
}

#[test]
fn a_folder_is_loaded_and_the_same_identifier_in_two_files_is_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let rule = b"rule Inert_Twice { strings: $a = \"inert_twice_marker\" condition: $a }\n";
    write(dir.path(), "set/a/web.yar", rule);
    write(dir.path(), "set/b/web.yara", rule);
    write(dir.path(), "set/readme.txt", b"not a rule");
    let www = dir.path().join("www");
    write(&www, "x.txt", b"inert_twice_marker");
    let out = scan(&[
        "--yara",
        dir.path().join("set").to_str().unwrap(),
        www.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let (lines, summary) = findings_and_summary(&out);
    let mut ids: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["rule"]["id"].as_str())
        .collect();
    ids.sort();
    assert_eq!(ids, ["web.Inert_Twice", "web_2.Inert_Twice"]);
    assert_eq!(summary["shellsweep"]["summary"]["rules_loaded"], 2);
}

/// A rule whose loop over every byte of a large file takes far longer than the limit.
#[test]
fn a_slow_file_times_out_is_named_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(
        dir.path(),
        "slow.yar",
        b"rule Inert_Slow {\n  condition:\n    for all i in (0..filesize) : (\n      for all j in (0..filesize) : (uint8(i) != 0x7f or uint8(j) != 0x7e))\n}\n",
    );
    let www = dir.path().join("www");
    write(&www, "big.txt", &vec![b'a'; 1 << 20]);
    let out = scan(&[
        "--yara",
        rules.to_str().unwrap(),
        "--yara-timeout",
        "1",
        www.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("big.txt") && err.contains("--yara-timeout"),
        "{err}"
    );
    let (_, summary) = findings_and_summary(&out);
    let s = &summary["shellsweep"]["summary"];
    assert_eq!(s["files_skipped"]["yara_timed_out"], 1, "{s}");
    let lines = json_lines(&out);
    assert!(
        lines
            .iter()
            .any(|l| l["event"]["reason"] == "yara_timed_out"),
        "{lines:#?}"
    );
}

/// Standard input goes by `--stdin-name` for the externals, as for the bundled rules.
#[test]
fn standard_input_takes_its_externals_from_stdin_name() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let rules = write(dir.path(), "inert.yar", RULES.as_bytes());
    let mut child = bin()
        .args([
            "scan",
            "--format",
            "jsonl",
            "--no-bundled-rules",
            "--yara",
            rules.to_str().unwrap(),
            "--stdin-name",
            "/srv/www/uploads/upload7.jpg",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"MZ\x90\x00 not a real program")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let (lines, _) = findings_and_summary(&out);
    let found = yara_findings(&lines);
    assert_eq!(
        by_id(&found, "Inert_Upload_Name")["file"]["name"],
        "upload7.jpg"
    );
}

/// An unchanged file's YARA findings are carried over by an incremental sweep.
#[test]
fn yara_findings_are_carried_over_by_state() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(dir.path(), "inert.yar", RULES.as_bytes());
    let www = dir.path().join("www");
    write(&www, "a.txt", b"inert_no_meta_marker");
    let state = dir.path().join("state.json");
    for round in 0..2 {
        let out = scan(&[
            "--yara",
            rules.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            www.to_str().unwrap(),
        ]);
        assert_eq!(code(&out), 1, "round {round}: {}", stderr(&out));
        let (lines, summary) = findings_and_summary(&out);
        let found = yara_findings(&lines);
        assert_eq!(found.len(), 1, "round {round}: {lines:#?}");
        assert_eq!(found[0]["rule"]["id"], "Inert_No_Meta");
        assert_eq!(
            summary["shellsweep"]["summary"]["files_unchanged"], round,
            "{summary}"
        );
    }
}
