//! `--yara`: YARA rules (ours, inert) through yara-x beside the bundled rules, on the same
//! read of each file: findings and their fields, the Loki/THOR externals, diagnostics and
//! exit codes, and the per-file time limit.
#![cfg(feature = "yara")]

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

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

/// (file, rule id, ruleset, severity) of each YARA finding, sorted: what must not change
/// between compiling at each scan and loading a compiled file.
fn yara_pairs(lines: &[Value]) -> Vec<String> {
    let mut pairs: Vec<String> = yara_findings(lines)
        .iter()
        .map(|l| {
            format!(
                "{} {} {} {} {}",
                l["file"]["path"],
                l["rule"]["id"],
                l["rule"]["ruleset"],
                l["shellsweep"]["severity_name"],
                l["shellsweep"]["matches"]
            )
        })
        .collect();
    pairs.sort();
    pairs
}

#[test]
fn compiled_rules_find_what_the_sources_find() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(dir.path(), "inert.yar", RULES.as_bytes());
    let www = dir.path().join("www");
    write(&www, "page.txt", b"x\nsome inert_marker_one here\n");
    write(&www, "plain.txt", b"inert_no_meta_marker\n");
    write(
        &www,
        "uploads/upload1.jpg",
        b"MZ\x90\x00 not a real program",
    );
    let compiled = dir.path().join("out/rules.sswyara");
    std::fs::create_dir_all(compiled.parent().unwrap()).unwrap();
    let out = run([
        "rules",
        "compile",
        "--yara",
        rules.to_str().unwrap(),
        "-o",
        compiled.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("4 YARA rules from 1 file(s)"),
        "{}",
        stderr(&out)
    );

    let from_source = scan(&["--yara", rules.to_str().unwrap(), www.to_str().unwrap()]);
    let from_compiled = scan(&[
        "--yara-compiled",
        compiled.to_str().unwrap(),
        www.to_str().unwrap(),
    ]);
    assert_eq!(code(&from_compiled), 1, "{}", stderr(&from_compiled));
    let (source_lines, _) = findings_and_summary(&from_source);
    let (compiled_lines, summary) = findings_and_summary(&from_compiled);
    let want = yara_pairs(&source_lines);
    // Three files, three rules (one through the externals): the comparison is not empty.
    assert_eq!(want.len(), 3, "{want:#?}");
    assert_eq!(yara_pairs(&compiled_lines), want);
    assert_eq!(summary["shellsweep"]["summary"]["rules_loaded"], 4);

    // --yara-severity still applies to compiled rules.
    let out = scan(&[
        "--yara-compiled",
        compiled.to_str().unwrap(),
        "--yara-severity",
        "low",
        www.join("plain.txt").to_str().unwrap(),
    ]);
    let (lines, _) = findings_and_summary(&out);
    assert_eq!(
        by_id(&yara_findings(&lines), "Inert_No_Meta")["shellsweep"]["severity_name"],
        "low"
    );

    // A compile error writes nothing.
    let broken = write(dir.path(), "broken.yar", b"rule b { condition: $nope }\n");
    let nothing = dir.path().join("nothing.sswyara");
    let out = run([
        "rules",
        "compile",
        "--yara",
        broken.to_str().unwrap(),
        "-o",
        nothing.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("[SSW-E039]"), "{}", stderr(&out));
    assert!(!nothing.exists());
}

/// `rules compile --yara RULES -o COMPILED`, which must succeed.
fn compile(rules: &Path, compiled: &Path) {
    let out = run([
        "rules".as_ref(),
        "compile".as_ref(),
        "--yara".as_ref(),
        rules.as_os_str(),
        "-o".as_ref(),
        compiled.as_os_str(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn a_damaged_or_foreign_compiled_file_is_ssw_e042_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(dir.path(), "inert.yar", RULES.as_bytes());
    let compiled = dir.path().join("rules.sswyara");
    compile(&rules, &compiled);
    let good = std::fs::read(&compiled).unwrap();
    let www = dir.path().join("www");
    write(&www, "a.txt", b"inert_no_meta_marker\n");

    let mut flipped = good.clone();
    let last = flipped.len() - 10;
    flipped[last] ^= 0x01;
    let mut other_format = good.clone();
    other_format[8] = 7;
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            "damaged (truncated)",
        ),
        ("flipped", flipped, "damaged (checksum differs)"),
        ("format", other_format, "compiled-file format 7"),
        ("source", RULES.as_bytes().to_vec(), "not a file written by"),
        ("empty", Vec::new(), "not a file written by"),
    ];
    for (name, bytes, says) in cases {
        let bad = write(dir.path(), name, &bytes);
        let out = scan(&[
            "--yara-compiled",
            bad.to_str().unwrap(),
            www.to_str().unwrap(),
        ]);
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{name}: {err}");
        assert!(
            err.contains(&format!("{}:1:1: error: ", bad.display()))
                && err.contains(says)
                && err.contains("[SSW-E042]"),
            "{name}: {err}"
        );
        assert!(json_lines(&out).is_empty(), "{name}: no scan");
        let out = run(["rules", "check", "--yara-compiled", bad.to_str().unwrap()]);
        assert_eq!(code(&out), 2, "{name}");
        assert!(stderr(&out).contains("[SSW-E042]"), "{name}");
    }
    let missing = dir.path().join("missing.sswyara");
    let out = scan(&[
        "--yara-compiled",
        missing.to_str().unwrap(),
        www.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("[SSW-E042]"), "{}", stderr(&out));
    // A compiled file given to --yara is told where it belongs.
    let out = scan(&["--yara", compiled.to_str().unwrap(), www.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("give it to --yara-compiled"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rules_list_and_show_include_yara_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(dir.path(), "inert.yar", RULES.as_bytes());
    let compiled = dir.path().join("rules.sswyara");
    compile(&rules, &compiled);
    for source in [
        ["--yara", rules.to_str().unwrap()],
        ["--yara-compiled", compiled.to_str().unwrap()],
    ] {
        let out = run(["rules", "list"].into_iter().chain(source));
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let text = String::from_utf8(out.stdout).unwrap();
        let yara: Vec<&str> = text.lines().filter(|l| l.contains("  yara  ")).collect();
        assert_eq!(yara.len(), 4, "{text}");
        let marker = yara
            .iter()
            .find(|l| l.starts_with("Inert_Marker "))
            .unwrap();
        assert!(
            marker.contains("high")
                && marker.ends_with("an inert marker of the shellsweep tests [inert.yar]"),
            "{marker}"
        );
        // The bundled rules are listed too.
        assert!(text.lines().count() > 4);

        let out = run(["rules", "show", "Inert_Upload_Name", "--no-bundled-rules"]
            .into_iter()
            .chain(source));
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("severity:    medium"), "{text}");
        assert!(text.contains("ruleset:     inert.yar"), "{text}");
        // The source line of `rule Inert_Upload_Name`.
        assert!(
            text.contains(&format!("source:      {}:16", rules.display())),
            "{text}"
        );
        let out = run(["rules", "show", "Inert_Upload", "--no-bundled-rules"]
            .into_iter()
            .chain(source));
        assert_eq!(code(&out), 2);
        assert!(
            stderr(&out).contains("did you mean Inert_Upload_Name?"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn warnings_are_counted_in_a_scan_listed_by_check_and_slow_rules_named() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(
        dir.path(),
        "noisy.yar",
        b"rule Inert_Dup {\n  strings:\n    $a = \"inert_dup\"\n    $b = \"inert_dup\"\n  condition:\n    $a and $b\n}\nrule Inert_Slow {\n  strings:\n    $s = /a\\w{0,100}/\n  condition:\n    $s\n}\n",
    );
    let www = dir.path().join("www");
    write(&www, "a.txt", b"nothing here");
    let out = scan(&["--yara", rules.to_str().unwrap(), www.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "YARA: 2 warning(s) (duplicate_pattern_value 1, slow_pattern 1); each slow rule is named above"
        ),
        "{err}"
    );
    // The slow rule in full; the other warning only counted.
    assert!(
        err.contains(&format!(
            "{}:10:5: warning: rule Inert_Slow: slow pattern",
            rules.display()
        )),
        "{err}"
    );
    assert!(!err.contains("duplicate of pattern"), "{err}");
    let out = scan(&[
        "-q",
        "--yara",
        rules.to_str().unwrap(),
        www.to_str().unwrap(),
    ]);
    assert_eq!(stderr(&out), "", "quiet");
    let out = run([
        "rules",
        "check",
        "--no-bundled-rules",
        "--yara",
        rules.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert!(err.contains("duplicate of pattern `$a`"), "{err}");
    assert!(err.contains("rule Inert_Slow: slow pattern"), "{err}");
    assert!(
        err.contains("2 rules checked, 0 errors, 2 warnings"),
        "{err}"
    );
}

/// yara-x's parser recurses per nesting level: a hostile rule file must not abort the
/// process (it did at 2,000 levels on a normal stack), nor load as an empty rule set.
#[test]
fn a_deeply_nested_rule_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    for depth in [3_000, 20_000] {
        let text = format!(
            "rule deep {{ condition: {}true{} }}\n",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        let rules = write(dir.path(), &format!("deep{depth}.yar"), text.as_bytes());
        let out = run([
            "rules".as_ref(),
            "check".as_ref(),
            "--no-bundled-rules".as_ref(),
            "--yara".as_ref(),
            rules.as_os_str(),
        ]);
        assert_eq!(code(&out), 2, "{depth}: {}", stderr(&out));
        assert!(stderr(&out).contains("[SSW-E039]"), "{}", stderr(&out));
    }
}
