//! The text output a responder reads: one block per file with every reason, the summary,
//! a stable order, `rules show` and `-l`. Each test parses the text the binary prints.
//!
//! `SHELLSWEEP_TEST_BIN` runs these against another build (to check that a test fails on
//! the binary from before a change).

mod common;

use std::collections::BTreeSet;
use std::process::{Command, Output};

use common::{findings_and_summary, rel, repo, stderr, write};
use serde_json::Value;

fn bin() -> Command {
    let exe = std::env::var_os("SHELLSWEEP_TEST_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_shellsweep").into());
    let mut c = Command::new(exe);
    c.current_dir(repo());
    c
}

fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    bin().args(args).output().expect("run shellsweep")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// A text block: its header line and the lines under it (up to the blank line).
struct Block {
    header: String,
    body: Vec<String>,
}

/// The finding blocks of a text run (the summary, which starts `shellsweep:`, left out).
fn blocks(text: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        if line.starts_with("shellsweep:") {
            break;
        }
        if line.is_empty() {
            open = false;
        } else if !open {
            out.push(Block {
                header: line.to_owned(),
                body: Vec::new(),
            });
            open = true;
        } else {
            out.last_mut().unwrap().body.push(line.to_owned());
        }
    }
    out
}

/// The path a block header names: `[SEVERITY] PATH` (`PATH:LINE` for a log record;
/// `[EVENT] PATH:LINE` for a pivot event, a record of an address the scan points at).
fn header_path(header: &str) -> &str {
    let (sev, path) = header.split_once(' ').expect("`[SEVERITY] PATH`");
    assert!(
        ["[CRITICAL]", "[HIGH]", "[MEDIUM]", "[LOW]", "[EVENT]"].contains(&sev),
        "{header}"
    );
    path
}

/// The summary lines: from the one that starts `shellsweep: scanned` to the end.
fn summary_lines(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("shellsweep: scanned"))
        .unwrap_or_else(|| panic!("no summary in {text}"));
    lines[at..].iter().map(|l| (*l).to_owned()).collect()
}

const UTILS: &str = "fixtures/webroot/var/www/html/wp-includes/js/tinymce/utils.php";

#[test]
fn one_block_per_file_with_score_every_rule_its_reason_and_every_match() {
    let out = run(["scan", UTILS]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    let bs = blocks(&text);
    assert_eq!(bs.len(), 1, "one block for the one file: {text}");
    let b = &bs[0];
    assert_eq!(b.header, format!("[CRITICAL] {UTILS}"));
    let json = run(["scan", "--format", "jsonl", UTILS]);
    let (findings, _) = findings_and_summary(&json);
    assert!(findings.len() >= 2, "several rules fire on the file");
    // The combined score and what it is made of.
    let score = findings[0]["shellsweep"]["score"].as_u64().unwrap();
    assert!(
        b.body[0].starts_with(&format!("  score {score} (")),
        "{}",
        b.body[0]
    );
    for f in &findings {
        let id = f["rule"]["id"].as_str().unwrap();
        assert!(b.body[0].contains(id), "{id} in the score line");
        // Each rule under the file, once, with its severity, name, reason and reference.
        let head = format!(
            "  [{}] {id}  {}",
            f["shellsweep"]["severity_name"]
                .as_str()
                .unwrap()
                .to_ascii_uppercase(),
            f["rule"]["name"].as_str().unwrap()
        );
        let at = b
            .body
            .iter()
            .position(|l| *l == head)
            .unwrap_or_else(|| panic!("{head:?} missing in {text}"));
        let next = b.body[at + 1..]
            .iter()
            .position(|l| l.starts_with("  ["))
            .map_or(b.body.len(), |n| at + 1 + n);
        let under = &b.body[at + 1..next];
        // Raised: from which severity and by which rule.
        let rule_sev = f["shellsweep"]["rule_severity"].as_str();
        if let Some(from) = rule_sev {
            let by: Vec<&str> = f["shellsweep"]["raised_by"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert!(
                under[0].starts_with(&format!("    raised from {from} by {}", by.join(", "))),
                "{under:?}"
            );
        }
        let description = f["rule"]["description"].as_str().unwrap();
        let first_words: String = description
            .split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            under
                .iter()
                .any(|l| l.trim_start().starts_with(&first_words)),
            "description of {id}: {under:?}"
        );
        // ECS takes one reference: the first; all are under `shellsweep.references`.
        let reference = f["rule"]["reference"].as_str().unwrap();
        assert_eq!(f["shellsweep"]["references"][0], reference);
        assert!(
            under.contains(&format!("    ref: {reference}")),
            "{under:?}"
        );
        // Every reported match: its line, its excerpt and its pattern at its offset.
        for m in f["shellsweep"]["matches"].as_array().unwrap() {
            let row = format!(
                "{} | {}",
                m["line"].as_u64().unwrap(),
                m["excerpt"].as_str().unwrap()
            );
            let tag = format!(
                "{} @{}",
                m["pattern"].as_str().unwrap(),
                m["offset"].as_u64().unwrap()
            );
            assert!(
                under
                    .iter()
                    .any(|l| l.trim_start().starts_with(&row) && l.contains(&tag)),
                "{row} ({tag}) under {id}: {under:?}"
            );
        }
    }
    assert!(
        findings
            .iter()
            .any(|f| f["shellsweep"]["raised_by"].is_array()),
        "the sample has a raised finding"
    );
}

#[test]
fn log_findings_form_one_block_per_record_without_phantom_matches() {
    let out = run([
        "scan",
        "--ioc",
        "fixtures/iocs/toolshell.txt",
        "fixtures/logs/apache2/access.log",
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    let json = run([
        "scan",
        "--format",
        "jsonl",
        "--ioc",
        "fixtures/iocs/toolshell.txt",
        "fixtures/logs/apache2/access.log",
    ]);
    let (findings, _) = findings_and_summary(&json);
    let records: BTreeSet<u64> = findings
        .iter()
        .map(|f| f["shellsweep"]["log"]["line"].as_u64().unwrap())
        .collect();
    // Pivot events (`[EVENT]`, the records of an exploit's client) are not findings.
    let bs: Vec<Block> = blocks(&text)
        .into_iter()
        .filter(|b| !b.header.starts_with("[EVENT]"))
        .collect();
    let headers: Vec<String> = bs
        .iter()
        .map(|b| header_path(&b.header).to_owned())
        .collect();
    let want: Vec<String> = records
        .iter()
        .map(|l| format!("fixtures/logs/apache2/access.log:{l}"))
        .collect();
    assert_eq!(headers, want, "one block per record, in line order");
    // A record with a rule finding and an IOC finding shows both under one header.
    let line1: Vec<&str> = findings
        .iter()
        .filter(|f| f["shellsweep"]["log"]["line"] == 1)
        .map(|f| f["rule"]["id"].as_str().unwrap())
        .collect();
    assert!(
        line1.len() >= 2 && line1.contains(&"SSW-IOC-IP"),
        "{line1:?}"
    );
    for id in line1 {
        assert!(
            bs[0].body.iter().any(|l| l.contains(&format!("] {id}  "))),
            "{id} under record 1"
        );
    }
    // An IOC finding has its indicator and no pattern matches: nothing is "more".
    assert!(
        bs[0]
            .body
            .iter()
            .any(|l| l.contains("indicator c-ip = 203.0.113.9")),
        "{text}"
    );
    assert!(!text.contains("more match"), "{text}");
}

#[test]
fn hidden_matches_are_counted_right_and_statistics_show_their_values() {
    // 25 escapes in one file: 8 reported, the rest counted.
    let out = run(["scan", "fixtures/webroot/opt/tomcat/webapps/ROOT/u.jsp"]);
    let text = stdout(&out);
    let json = run([
        "scan",
        "--format",
        "jsonl",
        "fixtures/webroot/opt/tomcat/webapps/ROOT/u.jsp",
    ]);
    let (findings, _) = findings_and_summary(&json);
    let f = &findings[0];
    let total = f["shellsweep"]["match_count"].as_u64().unwrap();
    let shown = f["shellsweep"]["matches"].as_array().unwrap().len() as u64;
    assert!(total > shown, "{f}");
    assert!(
        text.contains(&format!(
            "… {} more matches not shown ({total} in all)",
            total - shown
        )),
        "{text}"
    );

    // A statistics-only rule shows what it measured.
    let dir = tempfile::tempdir().unwrap();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let blob: Vec<u8> = (0..4000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % 64) as usize]
        })
        .collect();
    let mut body = b"<?php\nexit;\n$d = \"".to_vec();
    body.extend_from_slice(&blob);
    body.extend_from_slice(b"\";\n");
    let p = write(dir.path(), "blob.php", &body);
    let out = run(["scan".as_ref(), p.as_os_str()]);
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("measured: "))
        .unwrap_or_else(|| panic!("no measured values in {text}"));
    // The longest word is `"<blob>";`.
    assert!(
        line.contains(&format!(
            "longest word {},{:03} bytes",
            (blob.len() + 3) / 1000,
            (blob.len() + 3) % 1000
        )),
        "{line}"
    );
    let entropy: f64 = line
        .split("entropy ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|v| v.trim_end_matches(',').parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!((5.8..=6.1).contains(&entropy), "{line}");
    assert!(text.contains("SSW-HEUR-001"), "{text}");
}

/// A tree of shells in several folders, so that threads finish in varying order.
fn shell_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..40 {
        write(
            dir.path(),
            &format!("d{}/s{i:02}.php", (i * 7) % 5),
            common::PHP_SHELL,
        );
    }
    dir
}

#[test]
fn text_is_sorted_by_path_whatever_the_thread_count_and_jsonl_with_sort() {
    let dir = shell_tree();
    let text_of = |threads: &str| {
        let out = run([
            "scan".as_ref(),
            "-j".as_ref(),
            threads.as_ref(),
            dir.path().as_os_str(),
        ]);
        assert_eq!(code(&out), 1);
        let text = stdout(&out);
        let headers: Vec<String> = blocks(&text)
            .iter()
            .map(|b| header_path(&b.header).to_owned())
            .collect();
        let body: String = text
            .lines()
            .take_while(|l| !l.starts_with("shellsweep:"))
            .collect::<Vec<_>>()
            .join("\n");
        (headers, body)
    };
    let (one, one_body) = text_of("1");
    let (four, four_body) = text_of("4");
    assert_eq!(one.len(), 40, "one block per file");
    let mut sorted = one.clone();
    sorted.sort();
    assert_eq!(one, sorted, "sorted by path");
    assert_eq!(four, one);
    assert_eq!(four_body, one_body, "the same text for any thread count");

    let jsonl_of = |threads: &str| {
        let out = run([
            "scan".as_ref(),
            "--format".as_ref(),
            "jsonl".as_ref(),
            "--sort".as_ref(),
            "-j".as_ref(),
            threads.as_ref(),
            dir.path().as_os_str(),
        ]);
        let (findings, _) = findings_and_summary(&out);
        findings
            .iter()
            .map(|f| {
                (
                    f["file"]["path"].as_str().unwrap().to_owned(),
                    f["shellsweep"]["line"].as_u64().unwrap_or(0),
                    f["rule"]["id"].as_str().unwrap().to_owned(),
                )
            })
            .collect::<Vec<_>>()
    };
    let j1 = jsonl_of("1");
    let j4 = jsonl_of("4");
    let paths: BTreeSet<&String> = j1.iter().map(|(p, _, _)| p).collect();
    assert_eq!(paths.len(), 40);
    let mut s = j1.clone();
    s.sort();
    assert_eq!(j1, s, "--sort sorts JSON lines by path and line");
    assert_eq!(j4, j1);
}

/// The counts a JSON run gives, to hold the text summary to.
fn json_summary(args: &[&str]) -> Value {
    let mut a = vec!["scan", "--format", "jsonl"];
    a.extend_from_slice(args);
    let out = run(&a);
    findings_and_summary(&out).1["shellsweep"]["summary"].clone()
}

#[test]
fn the_summary_orders_severities_and_agrees_with_min_severity() {
    let out = run(["scan", "fixtures/webroot"]);
    let lines = summary_lines(&stdout(&out));
    let s = json_summary(&["fixtures/webroot"]);
    let by_sev: Vec<String> = ["critical", "high", "medium", "low"]
        .iter()
        .filter(|k| s["findings"][**k].as_u64().unwrap() > 0)
        .map(|k| format!("{} {k}", s["findings"][*k]))
        .collect();
    assert!(by_sev.len() >= 3, "{s}");
    let total = s["findings_total"].as_u64().unwrap();
    assert_eq!(
        lines[1].split(" in ").next().unwrap(),
        format!("  {total} findings shown ({})", by_sev.join(", ")),
        "{lines:?}"
    );

    let out = run(["scan", "--min-severity", "critical", "fixtures/webroot"]);
    let lines = summary_lines(&stdout(&out));
    let s = json_summary(&["--min-severity", "critical", "fixtures/webroot"]);
    let (shown, below) = (
        s["findings_total"].as_u64().unwrap(),
        s["findings_below_min_severity"].as_u64().unwrap(),
    );
    assert!(shown > 0 && below > 0);
    assert!(
        lines[1].starts_with(&format!("  {shown} findings shown ({shown} critical)")),
        "{lines:?}"
    );
    assert!(
        lines[1].ends_with(&format!(
            "; {below} below critical not shown (--min-severity)"
        )),
        "{lines:?}"
    );
}

#[test]
fn the_summary_counts_logs_as_logs_and_says_what_the_window_left_out() {
    let args = ["--since", "2025-07-19T08:00:00Z", "fixtures/logs"];
    let s = json_summary(&args);
    let outside = s["logs"]["records_outside_window"].as_u64().unwrap();
    let records = s["logs"]["records"].as_u64().unwrap();
    assert!(outside > 0);
    let out = run(["scan", args[0], args[1], args[2]]);
    let lines = summary_lines(&stdout(&out));
    assert!(
        lines[0].starts_with(&format!(
            "shellsweep: scanned {} logs ({records} records, ",
            s["logs"]["logs_scanned"]
        )),
        "logs counted as logs, no `0 files`: {lines:?}"
    );
    assert!(
        lines.contains(&format!(
            "  {outside} of {records} log records outside the --since/--until window, not examined"
        )),
        "{lines:?}"
    );

    // One file, one finding: singular.
    let out = run(["scan", UTILS]);
    let lines = summary_lines(&stdout(&out));
    assert!(
        lines[0].starts_with("shellsweep: scanned 1 file ("),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("in 1 file")), "{lines:?}");
    assert!(lines.last().unwrap() == "  0 errors; complete", "{lines:?}");
}

#[test]
fn with_output_to_a_file_the_summary_still_reaches_stderr() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["text", "jsonl"] {
        let file = dir.path().join(format!("out.{format}"));
        let out = run([
            "scan".as_ref(),
            "--format".as_ref(),
            format.as_ref(),
            "-o".as_ref(),
            file.as_os_str(),
            UTILS.as_ref(),
        ]);
        assert_eq!(code(&out), 1);
        assert!(out.stdout.is_empty());
        let err = stderr(&out);
        let lines = summary_lines(&err);
        assert!(lines[1].contains("findings shown"), "{err}");
        assert!(std::fs::read_to_string(&file).unwrap().contains(UTILS));
        // -q keeps stderr for errors only.
        let quiet = run([
            "scan".as_ref(),
            "-q".as_ref(),
            "--format".as_ref(),
            format.as_ref(),
            "-o".as_ref(),
            file.as_os_str(),
            UTILS.as_ref(),
        ]);
        assert_eq!(code(&quiet), 1);
        assert!(quiet.stderr.is_empty(), "{}", stderr(&quiet));
    }
}

#[test]
fn rules_show_prints_one_rule_in_full_and_refuses_an_unknown_id() {
    let out = run(["rules", "show", "SSW-HEUR-001"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::trim))
            .unwrap_or_else(|| panic!("no {name}: in {text}"))
            .to_owned()
    };
    assert_eq!(field("id"), "SSW-HEUR-001");
    assert_eq!(field("severity"), "low");
    assert!(field("score").starts_with(|c: char| c.is_ascii_digit()));
    assert_eq!(field("scope"), "file");
    assert_eq!(field("ruleset"), "heuristics");
    // The source is the line of the rule's id in its file.
    let source = field("source");
    let (file, line) = source.rsplit_once(':').unwrap();
    let file = file.strip_prefix("bundled:").unwrap();
    let yaml = std::fs::read_to_string(repo().join(file)).unwrap();
    let at: usize = line.parse().unwrap();
    assert!(
        yaml.lines()
            .nth(at - 1)
            .unwrap()
            .contains("id: SSW-HEUR-001"),
        "{source}"
    );
    assert!(field("condition").contains("entropy > 5.3"), "{text}");
    assert!(
        text.contains("Vendor code"),
        "the whole description: {text}"
    );
    assert!(text.contains("https://github.com/CiscoCXSecurity/NeoPI"));

    // A rule from a file: its patterns, with their lines.
    let dir = tempfile::tempdir().unwrap();
    let rules = write(
        dir.path(),
        "mine.yml",
        b"rules:\n  - id: MY-001\n    name: mine\n    severity: high\n    description: Mine.\n    patterns:\n      a: { text: evilmarker, nocase: true }\n      b: { regex: 'x[0-9]+y' }\n    condition: a and not b\n",
    );
    let out = run([
        "rules".as_ref(),
        "show".as_ref(),
        "MY-001".as_ref(),
        "--rules".as_ref(),
        rules.as_os_str(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("source:      {}:2", rules.display())),
        "{text}"
    );
    assert!(
        text.contains("  a: text 'evilmarker', nocase  (line 7)"),
        "{text}"
    );
    assert!(text.contains("  b: regex 'x[0-9]+y'  (line 8)"), "{text}");
    assert!(text.contains("condition:   a and not b"), "{text}");

    let out = run(["rules", "show", "SSW-NOPE-999"]);
    assert_eq!(code(&out), 2);
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("no loaded rule has the id `SSW-NOPE-999`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn files_with_findings_prints_one_path_per_file_and_nothing_else() {
    let out = run(["scan", "-l", "fixtures/webroot"]);
    assert_eq!(code(&out), 1, "exit code as without -l");
    let (findings, _) =
        findings_and_summary(&run(["scan", "--format", "jsonl", "fixtures/webroot"]));
    let mut want: Vec<String> = findings
        .iter()
        .map(|f| rel(&f["file"]["path"]))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    want.sort();
    let got: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(got, want);
    for p in &got {
        assert!(repo().join(p).is_file(), "{p} is a path, nothing else");
    }
    // A hostile name is shown escaped, never raw.
    let dir = tempfile::tempdir().unwrap();
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"esc\x1b]0;x\x07\nl.php");
        std::fs::write(dir.path().join(name), common::PHP_SHELL).unwrap();
    }
    let out = run(["scan".as_ref(), "-l".as_ref(), dir.path().as_os_str()]);
    assert_eq!(code(&out), 1);
    assert!(!out.stdout.contains(&0x1b) && !out.stdout.contains(&0x07));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.trim_end().ends_with("/esc\\x1b]0;x\\x07\\nl.php"),
        "{text}"
    );

    // Nothing found: nothing printed, exit 0.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ok.php", b"<?php echo 'hello';\n");
    let out = run(["scan".as_ref(), "-l".as_ref(), dir.path().as_os_str()]);
    assert_eq!(code(&out), 0);
    assert!(out.stdout.is_empty());
}
