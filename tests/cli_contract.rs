//! The command-line contract: exit codes, rule errors, options, output destinations.

mod common;

use std::io::Read;
use std::process::Stdio;

use common::*;

#[test]
fn exit_0_when_everything_was_scanned_and_nothing_found() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "index.php", b"<?php echo 'hello';\n");
    let out = run(["scan".as_ref(), dir.path().as_os_str()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn exit_1_on_findings() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.php", PHP_SHELL);
    assert_eq!(code(&run(["scan".as_ref(), dir.path().as_os_str()])), 1);
}

#[test]
fn exit_2_when_nothing_found_but_something_was_not_scanned() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "index.php", b"<?php echo 'hello';\n");
    let missing = dir.path().join("no-such-folder");
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        dir.path().as_os_str(),
        missing.as_os_str(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no-such-folder"), "{}", stderr(&out));
    let (_, summary) = findings_and_summary(&out);
    assert_eq!(summary["shellsweep"]["summary"]["errors"], 1);
    assert_eq!(summary["shellsweep"]["summary"]["complete"], false);
}

#[test]
fn too_large_files_are_skipped_counted_and_make_the_run_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let mut big = PHP_SHELL.to_vec();
    big.extend(vec![b' '; 4096]);
    write(dir.path(), "big.php", &big);
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--max-filesize".as_ref(),
        "2K".as_ref(),
        dir.path().as_os_str(),
    ]);
    assert_eq!(code(&out), 2);
    let (findings, summary) = findings_and_summary(&out);
    assert!(findings.is_empty());
    assert_eq!(
        summary["shellsweep"]["summary"]["files_skipped"]["too_large"],
        1
    );
    assert!(stderr(&out).contains("max-filesize"), "{}", stderr(&out));
}

#[test]
fn findings_with_errors_exit_1_and_the_summary_counts_the_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.php", PHP_SHELL);
    let missing = dir.path().join("gone");
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        dir.path().as_os_str(),
        missing.as_os_str(),
    ]);
    assert_eq!(code(&out), 1);
    let (findings, summary) = findings_and_summary(&out);
    assert_eq!(findings.len(), 2);
    assert_eq!(summary["shellsweep"]["summary"]["errors"], 1);
    assert!(stderr(&out).starts_with("shellsweep: "), "{}", stderr(&out));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(code(&run(["scan"])), 2);
    assert_eq!(code(&run(["scan", "--format", "xml", "fixtures"])), 2);
    assert_eq!(
        code(&run(["scan", "--max-filesize", "lots", "fixtures"])),
        2
    );
    assert_eq!(code(&run(["frobnicate"])), 2);
    assert_eq!(code(&run(["--version"])), 0);
}

const BROKEN_RULE: &str =
    "rules:\n  - id: BAD-1\n    name: broken\n    severity: severe\n    patterns:\n      a: abc\n";

#[test]
fn rules_check_names_file_line_and_column_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "bad.yml", BROKEN_RULE.as_bytes());
    let out = run(["rules".as_ref(), "check".as_ref(), p.as_os_str()]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}:4:15: error: unknown severity `severe`",
            p.display()
        )),
        "{err}"
    );
    assert!(err.contains("    severity: severe\n"), "{err}");
}

#[test]
fn rules_check_passes_the_bundled_rules_and_warns_about_slow_regexes() {
    let out = run(["rules", "check"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "slow.yml",
        b"rules:\n  - id: SLOW-1\n    name: slow\n    severity: low\n    patterns:\n      b64: { regex: '[A-Za-z0-9+/]{200,}' }\n",
    );
    let out = run(["rules".as_ref(), "check".as_ref(), p.as_os_str()]);
    assert_eq!(code(&out), 0);
    assert!(stderr(&out).contains(":6:21: warning:"), "{}", stderr(&out));
}

#[test]
fn a_scan_with_a_broken_rule_file_exits_2_before_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "bad.yml", BROKEN_RULE.as_bytes());
    let out = run([
        "scan".as_ref(),
        "--rules".as_ref(),
        p.as_os_str(),
        "fixtures".as_ref(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("bad.yml:4:15"));
}

#[test]
fn rules_list_shows_every_loaded_rule() {
    let out = run(["rules", "list"]);
    assert_eq!(code(&out), 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() >= 6);
    for id in [
        "SSW-TOOLSHELL-001",
        "SSW-WEBSHELL-002",
        "SSW-WEBSHELL-004",
        "SSW-WEBSHELL-005",
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id} missing"));
        assert!(line.contains(" file "), "{line}");
    }
}

#[test]
fn custom_rules_add_to_or_replace_the_bundled_ones() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(
        dir.path(),
        "rules/mine.yml",
        b"rules:\n  - id: MY-1\n    name: marker\n    severity: medium\n    patterns:\n      m: { text: canary-marker, nocase: true }\n",
    );
    let tree = tempfile::tempdir().unwrap();
    write(tree.path(), "a.txt", b"xx CANARY-MARKER xx");
    write(tree.path(), "x.php", PHP_SHELL);
    let ids = |extra: &[&str]| -> Vec<String> {
        let mut args = vec![
            "scan".to_owned(),
            "--format".into(),
            "jsonl".into(),
            "--rules".into(),
            rules.parent().unwrap().display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(tree.path().display().to_string());
        let (f, _) = findings_and_summary(&run(args));
        let mut v: Vec<String> = f
            .iter()
            .map(|f| f["rule"]["id"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let with_bundled = ids(&[]);
    assert!(with_bundled.contains(&"MY-1".to_owned()));
    assert!(with_bundled.iter().any(|id| id.starts_with("SSW-")));
    assert_eq!(ids(&["--no-bundled-rules"]), ["MY-1"]);
}

#[test]
fn excludes_skip_names_and_folders_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/x.php", PHP_SHELL);
    write(dir.path(), "cache/y.php", PHP_SHELL);
    write(dir.path(), "b/skip-me.php", PHP_SHELL);
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--exclude".as_ref(),
        "cache".as_ref(),
        "--exclude".as_ref(),
        "skip-*.php".as_ref(),
        dir.path().as_os_str(),
    ]);
    let (findings, summary) = findings_and_summary(&out);
    let paths: Vec<&str> = findings
        .iter()
        .map(|f| f["file"]["path"].as_str().unwrap())
        .collect();
    assert!(paths.iter().all(|p| p.ends_with("a/x.php")), "{paths:?}");
    assert!(!paths.is_empty());
    assert_eq!(
        summary["shellsweep"]["summary"]["files_skipped"]["excluded"],
        2
    );
    assert_eq!(
        summary["shellsweep"]["summary"]["excludes"],
        serde_json::json!(["cache", "skip-*.php"])
    );
}

#[test]
fn output_file_is_appended_to_and_never_scanned() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.php", PHP_SHELL);
    // The output sits inside the scanned tree and quotes the shell: it must not be a finding.
    let out_file = dir.path().join("findings.php");
    for _ in 0..2 {
        let out = run([
            "scan".as_ref(),
            "--format".as_ref(),
            "jsonl".as_ref(),
            "-o".as_ref(),
            out_file.as_os_str(),
            dir.path().as_os_str(),
        ]);
        assert_eq!(code(&out), 1);
        assert!(out.stdout.is_empty());
    }
    let text = std::fs::read_to_string(&out_file).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summaries: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["event"]["action"] == "scan_completed")
        .collect();
    assert_eq!(summaries.len(), 2, "two runs appended");
    for s in summaries {
        assert_eq!(s["shellsweep"]["summary"]["files_skipped"]["own_file"], 1);
    }
    assert!(
        lines
            .iter()
            .filter(|l| l["event"]["kind"] == "alert")
            .all(|l| l["file"]["path"].as_str().unwrap().ends_with("x.php"))
    );
}

#[test]
fn a_closed_stdout_ends_the_scan_quietly() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3000 {
        write(dir.path(), &format!("d{}/s{i}.php", i % 30), PHP_SHELL);
    }
    let mut child = bin()
        .args([
            "scan".as_ref(),
            "--format".as_ref(),
            "jsonl".as_ref(),
            dir.path().as_os_str(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(
        !err.contains("panicked") && !err.to_lowercase().contains("broken pipe"),
        "{err}"
    );
    assert_eq!(code(&out), 1);
}

#[test]
fn thread_counts_give_the_same_findings() {
    let ids = |threads: &str| {
        let (f, _) = findings_and_summary(&run([
            "scan",
            "--format",
            "jsonl",
            "--threads",
            threads,
            "fixtures",
        ]));
        let mut v: Vec<String> = f
            .iter()
            .map(|f| f["event"]["id"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids("1"), ids("4"));
}

#[test]
fn allowlists_silence_findings_and_count_them() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app/admin/console.php", PHP_SHELL);
    write(dir.path(), "app/uploads/x.php", PHP_SHELL);
    let other = b"<?php\n// shellsweep test sample, inert\n<?php @eval($_POST['other']);?>\n";
    write(dir.path(), "app/vendor/y.php", other);
    let sha_other: String = {
        use sha2::Digest;
        sha2::Sha256::digest(other)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let lists = tempfile::tempdir().unwrap();
    let allow = write(
        lists.path(),
        "allow.yml",
        format!(
            "allow:\n  - path: '**/admin/*.php'\n    reason: our console\n  - sha256: {sha_other}\n    reason: audited vendor file\n"
        )
        .as_bytes(),
    );
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--allow".as_ref(),
        allow.as_os_str(),
        dir.path().as_os_str(),
    ]);
    assert_eq!(code(&out), 1);
    let (findings, summary) = findings_and_summary(&out);
    assert!(!findings.is_empty());
    assert!(findings.iter().all(|f| {
        f["file"]["path"]
            .as_str()
            .unwrap()
            .ends_with("uploads/x.php")
    }));
    let allowed = summary["shellsweep"]["summary"]["findings_allowed"]
        .as_u64()
        .unwrap();
    assert_eq!(
        allowed as usize,
        findings.len() * 2,
        "the same rules fired on the two allowed files"
    );

    let only_rule = write(
        lists.path(),
        "rule.yml",
        b"allow:\n  - rule: SSW-WEBSHELL-002\n    reason: r\n",
    );
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--allow".as_ref(),
        only_rule.as_os_str(),
        dir.path().as_os_str(),
    ]);
    let (findings, _) = findings_and_summary(&out);
    assert!(
        findings
            .iter()
            .all(|f| f["rule"]["id"] != "SSW-WEBSHELL-002")
    );

    let bad = write(lists.path(), "bad.yml", b"allow:\n  - path: /x\n");
    let out = run([
        "scan".as_ref(),
        "--allow".as_ref(),
        bad.as_os_str(),
        dir.path().as_os_str(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("bad.yml:2:5: error: every allowlist entry needs a `reason`"),
        "{}",
        stderr(&out)
    );
}
