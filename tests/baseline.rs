//! Known-good baselines: `baseline create` records a web root; `scan --baseline` reports the
//! script and binary files that are new, changed or gone since, also with --state.

mod common;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;

use common::*;
use serde_json::Value;

/// A stock SharePoint-like web root, with a file that is not in the baseline's scope.
fn stock(root: &Path) {
    write(
        root,
        "default.aspx",
        b"<%@ Page Language=\"C#\" %>stock page\n",
    );
    write(root, "web.config", b"<configuration/>\n");
    write(root, "bin/App.dll", b"MZ stock assembly\n");
    write(
        root,
        "16/TEMPLATE/LAYOUTS/start.aspx",
        b"<%@ Page %>start\n",
    );
    write(root, "old/remove.php", b"<?php echo 'old';\n");
    write(root, "logo.png", b"\x89PNG\r\n");
}

fn create(roots: &[&Path], base: &Path) -> std::process::Output {
    let mut args: Vec<&OsStr> = vec!["baseline".as_ref(), "create".as_ref()];
    args.extend(roots.iter().map(|r| r.as_os_str()));
    args.extend(["-o".as_ref(), base.as_os_str()]);
    run(args)
}

fn scan(root: &Path, base: &Path, extra: &[&OsStr]) -> std::process::Output {
    let mut args: Vec<&OsStr> = vec![
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--baseline".as_ref(),
        base.as_os_str(),
    ];
    args.extend_from_slice(extra);
    args.push(root.as_os_str());
    run(args)
}

/// The baseline findings: path relative to `root` -> (rule id, severity label).
fn baseline_findings(findings: &[Value], root: &Path) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for f in findings {
        if f["rule"]["ruleset"] != "baseline" {
            continue;
        }
        let path = f["file"]["path"].as_str().unwrap();
        let root = std::fs::canonicalize(root).unwrap();
        let rel = Path::new(path)
            .strip_prefix(&root)
            .unwrap_or_else(|_| panic!("{path} under {}", root.display()));
        let before = out.insert(
            rel.to_string_lossy().into_owned(),
            (
                f["rule"]["id"].as_str().unwrap().to_owned(),
                f["shellsweep"]["severity_name"]
                    .as_str()
                    .unwrap_or_else(|| panic!("a severity label in {f}"))
                    .to_owned(),
            ),
        );
        assert!(before.is_none(), "{path} reported twice");
    }
    out
}

fn expected() -> BTreeMap<String, (String, String)> {
    [
        ("default.aspx", "SSW-BASELINE-CHANGED", "high"),
        (
            "16/TEMPLATE/LAYOUTS/spinstall0.aspx",
            "SSW-BASELINE-NEW",
            "critical",
        ),
        ("upload/cmd.ashx", "SSW-BASELINE-NEW", "high"),
        ("bin/Extra.dll", "SSW-BASELINE-NEW", "medium"),
        ("old/remove.php", "SSW-BASELINE-GONE", "low"),
    ]
    .into_iter()
    .map(|(p, id, s)| (p.to_owned(), (id.to_owned(), s.to_owned())))
    .collect()
}

/// Changes the stock root as an intruder would: one stock page changed with its size and
/// time kept, a shell dropped in LAYOUTS and another elsewhere, an assembly added, a file
/// removed, and a new file out of scope.
fn tamper(root: &Path) {
    let page = root.join("default.aspx");
    let time = std::fs::metadata(&page).unwrap().modified().unwrap();
    std::fs::write(&page, b"<%@ Page Language=\"C#\" %>stock pagX\n").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&page)
        .unwrap()
        .set_modified(time)
        .unwrap();
    write(
        root,
        "16/TEMPLATE/LAYOUTS/spinstall0.aspx",
        b"<%@ Page %>new\n",
    );
    write(root, "upload/cmd.ashx", b"<%@ WebHandler %>\n");
    write(root, "bin/Extra.dll", b"MZ extra\n");
    std::fs::remove_file(root.join("old/remove.php")).unwrap();
    write(root, "new.css", b"body{}\n");
}

fn records(base: &Path) -> Vec<Value> {
    std::fs::read_to_string(base)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn create_records_scripts_and_binaries_sorted_with_a_header() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("www");
    stock(&root);
    let base = dir.path().join("base.jsonl");
    let out = create(&[&root], &base);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines = records(&base);
    assert_eq!(lines[0]["shellsweep_baseline"], 1);
    assert_eq!(lines[0]["roots"][0], root.to_str().unwrap());
    assert!(lines[0]["created"].as_str().unwrap().ends_with('Z'));
    let paths: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "16/TEMPLATE/LAYOUTS/start.aspx",
            "bin/App.dll",
            "default.aspx",
            "old/remove.php",
            "web.config"
        ]
    );
    let page = &lines[3];
    assert_eq!(page["root"], root.to_str().unwrap());
    assert_eq!(page["size"], 36);
    assert_eq!(
        page["sha256"].as_str().unwrap().len(),
        64,
        "a SHA-256 in hex: {page}"
    );
    assert!(
        page["mtime"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .is_ok()
    );
    // Same tree, same records: only the header's time differs.
    let again = dir.path().join("again.jsonl");
    assert_eq!(code(&create(&[&root], &again)), 0);
    assert_eq!(records(&again)[1..], lines[1..]);
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn scan_reports_new_changed_and_gone_files_with_their_severity() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("www");
    stock(&root);
    let base = dir.path().join("base.jsonl");
    assert_eq!(code(&create(&[&root], &base)), 0);
    // Nothing changed: no finding.
    let out = scan(&root, &base, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    tamper(&root);
    let out = scan(&root, &base, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let (findings, summary) = findings_and_summary(&out);
    assert_eq!(baseline_findings(&findings, &root), expected());
    let changed = findings
        .iter()
        .find(|f| f["rule"]["id"] == "SSW-BASELINE-CHANGED")
        .unwrap();
    let text = changed["rule"]["description"].as_str().unwrap();
    assert!(text.contains("size 36 -> 36 bytes"), "{text}");
    // The time was set back: only the hash tells.
    let times: Vec<&str> = text
        .split("modified ")
        .nth(1)
        .unwrap()
        .split(", SHA-256")
        .next()
        .unwrap()
        .split(" -> ")
        .collect();
    assert_eq!(times.len(), 2, "{text}");
    assert_eq!(times[0], times[1], "{text}");
    assert_eq!(changed["rule"]["ruleset"], "baseline");
    assert_eq!(summary["shellsweep"]["summary"]["errors"], 0, "{summary}");
}

#[test]
fn a_baseline_from_another_folder_compares_by_relative_path() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("install/clean");
    stock(&clean);
    let base = dir.path().join("base.jsonl");
    assert_eq!(code(&create(&[&clean], &base)), 0);
    let served = dir.path().join("inetpub/wwwroot");
    stock(&served);
    let out = scan(&served, &base, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    tamper(&served);
    let out = scan(&served, &base, &[]);
    let (findings, _) = findings_and_summary(&out);
    assert_eq!(baseline_findings(&findings, &served), expected());
}

#[test]
fn a_damaged_or_foreign_baseline_is_an_error_before_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("www");
    stock(&root);
    let base = dir.path().join("base.jsonl");
    assert_eq!(code(&create(&[&root], &base)), 0);
    let good = std::fs::read_to_string(&base).unwrap();
    let cases: [(&str, String, &str); 5] = [
        (
            "foreign",
            "{\"event\":{\"kind\":\"alert\"}}\n".into(),
            "not a shellsweep baseline",
        ),
        ("empty", String::new(), "not a shellsweep baseline"),
        (
            "binary",
            "\u{0}\u{1}PK\u{3}\u{4}".into(),
            "not a shellsweep baseline",
        ),
        (
            "version",
            good.replacen("\"shellsweep_baseline\":1", "\"shellsweep_baseline\":9", 1),
            "format version 9",
        ),
        (
            "truncated",
            good[..good.len() - 20].to_owned(),
            "line 6: not a file record",
        ),
    ];
    for (name, text, says) in cases {
        let bad = dir.path().join(name);
        std::fs::write(&bad, text).unwrap();
        let out = scan(&root, &bad, &[]);
        assert_eq!(code(&out), 2, "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{name}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{name}");
        assert!(out.stdout.is_empty(), "{name}: nothing scanned");
    }
    let out = scan(&root, &dir.path().join("missing"), &[]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("cannot read baseline"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn with_state_baseline_findings_come_every_run_once_beside_carried_ones() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("www");
    stock(&root);
    let base = dir.path().join("base.jsonl");
    assert_eq!(code(&create(&[&root], &base)), 0);
    tamper(&root);
    // A dropped shell the rules find too: its rule finding is carried over by the state on
    // the second run, its baseline finding recomputed.
    write(&root, "upload/shell.php", PHP_SHELL);
    let state = dir.path().join("state.json");
    let mut expect = expected();
    expect.insert(
        "upload/shell.php".into(),
        ("SSW-BASELINE-NEW".into(), "high".into()),
    );
    let mut ids = Vec::new();
    for run in 0..2 {
        let out = scan(&root, &base, &["--state".as_ref(), state.as_os_str()]);
        assert_eq!(code(&out), 1, "run {run}: {}", stderr(&out));
        let (findings, summary) = findings_and_summary(&out);
        assert_eq!(baseline_findings(&findings, &root), expect, "run {run}");
        let rule_findings: Vec<&Value> = findings
            .iter()
            .filter(|f| f["rule"]["ruleset"] != "baseline")
            .collect();
        assert!(
            rule_findings.iter().any(|f| f["file"]["path"]
                .as_str()
                .unwrap()
                .ends_with("upload/shell.php")),
            "run {run}: the rule finding of the shell stays"
        );
        let mut keys: Vec<String> = findings
            .iter()
            .map(|f| f["event"]["id"].as_str().unwrap().to_owned())
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "run {run}: no finding twice");
        if run == 1 {
            assert!(
                summary["shellsweep"]["summary"]["findings_carried_over"]
                    .as_u64()
                    .unwrap()
                    > 0,
                "the second run carries the rule finding over: {summary}"
            );
        }
        ids.push(keys);
    }
    assert_eq!(
        ids[0], ids[1],
        "the same findings, with the same ids, both runs"
    );
}

#[cfg(unix)]
#[test]
fn names_that_are_not_utf8_round_trip() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("www");
    stock(&root);
    let odd = root.join(OsStr::from_bytes(b"caf\xe9\n.aspx"));
    std::fs::write(&odd, b"<%@ Page %>\n").unwrap();
    let base = dir.path().join("base.jsonl");
    let out = create(&[&root], &base);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines = records(&base);
    let rec = lines
        .iter()
        .find(|l| l.get("path_hex").is_some())
        .expect("the odd name is recorded with its bytes");
    assert_eq!(rec["path_hex"], "636166e90a2e61737078");
    // Unchanged: the odd name matches itself.
    let out = scan(&root, &base, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // Removed: reported gone, under its own name.
    std::fs::remove_file(&odd).unwrap();
    let out = scan(&root, &base, &[]);
    let (findings, _) = findings_and_summary(&out);
    let gone: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"]["id"] == "SSW-BASELINE-GONE")
        .collect();
    assert_eq!(gone.len(), 1, "{findings:?}");
}

#[test]
fn create_honours_excludes_and_refuses_what_it_cannot_record() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("www");
    stock(&root);
    write(&root, "cache/tmp.php", b"<?php\n");
    let base = dir.path().join("base.jsonl");
    let out = run([
        "baseline".as_ref(),
        "create".as_ref(),
        "--exclude".as_ref(),
        "cache".as_ref(),
        root.as_os_str(),
        "-o".as_ref(),
        base.as_os_str(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines = records(&base);
    assert_eq!(lines.len(), 6, "header and the five stock files: {lines:?}");
    assert!(lines.iter().all(|l| l["path"] != "cache/tmp.php"));
    // A scan excluding the same folder does not call it new.
    let out = scan(&root, &base, &["--exclude".as_ref(), "cache".as_ref()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // A path that is not a folder, and an output that cannot be written: exit 2, no file.
    let missing = dir.path().join("missing");
    let out = create(&[&missing], &dir.path().join("m.jsonl"));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("not a folder"), "{}", stderr(&out));
    assert!(!dir.path().join("m.jsonl").exists());
    let out = create(&[&root], &dir.path().join("no/such/dir/b.jsonl"));
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("cannot write baseline"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_baseline_of_several_roots_compares_each_folder_with_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("clean/siteA");
    let b = dir.path().join("clean/siteB");
    stock(&a);
    write(&b, "index.jsp", b"<% out.print(1); %>\n");
    let base = dir.path().join("base.jsonl");
    assert_eq!(code(&create(&[&a, &b], &base)), 0);
    // Served elsewhere under the same names: matched by the last name.
    let served_b = dir.path().join("srv/siteB");
    write(&served_b, "index.jsp", b"<% out.print(1); %>\n");
    write(&served_b, "up.jsp", b"<% %>\n");
    let out = scan(&served_b, &base, &[]);
    let (findings, _) = findings_and_summary(&out);
    let got = baseline_findings(&findings, &served_b);
    assert_eq!(
        got,
        [(
            "up.jsp".to_owned(),
            ("SSW-BASELINE-NEW".to_owned(), "high".to_owned())
        )]
        .into_iter()
        .collect()
    );
    // A folder no root fits is not compared, and says so.
    let other = dir.path().join("srv/other");
    write(&other, "x.php", b"<?php\n");
    let out = scan(&other, &base, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("not compared"), "{}", stderr(&out));
}
