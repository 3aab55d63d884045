//! The bundled rules against the bundled fixtures, through the built binary.

mod common;

use std::collections::BTreeSet;

use common::*;

/// (path, rule id, line, severity) rows.
fn expected() -> BTreeSet<(String, String, u64, String)> {
    let text = std::fs::read_to_string(repo().join("fixtures/expected.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (
                c[0].to_owned(),
                c[1].to_owned(),
                c[2].parse().unwrap(),
                c[3].to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_sample_is_found_by_its_rule_at_its_line_and_nothing_else() {
    let out = run(["scan", "--format", "jsonl", "fixtures/webroot"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let (findings, summary) = findings_and_summary(&out);
    let got: BTreeSet<(String, String, u64, String)> = findings
        .iter()
        .map(|f| {
            (
                rel(&f["file"]["path"]),
                f["rule"]["id"].as_str().unwrap().to_owned(),
                // Rules without patterns (location, statistics) have no line: 0 in the table.
                f["shellsweep"]["line"].as_u64().unwrap_or(0),
                f["shellsweep"]["severity_name"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(got, expected());
    assert_eq!(got.len(), findings.len(), "no duplicate findings");
    assert_eq!(
        summary["shellsweep"]["summary"]["findings_total"]
            .as_u64()
            .unwrap() as usize,
        findings.len()
    );
    assert_eq!(summary["shellsweep"]["summary"]["errors"], 0);
    assert_eq!(summary["shellsweep"]["summary"]["complete"], true);
    // The summary's sentence names severities most severe first.
    let message = summary["message"].as_str().unwrap();
    let at = |s: &str| {
        message
            .find(s)
            .unwrap_or_else(|| panic!("{s} in {message}"))
    };
    assert!(
        at(" critical") < at(" high") && at(" high") < at(" medium"),
        "{message}"
    );
}

#[test]
fn findings_carry_the_ecs_fields() {
    let out = run([
        "scan",
        "--format",
        "jsonl",
        "fixtures/webroot/var/www/html/wp-content/plugins",
    ]);
    let (findings, _) = findings_and_summary(&out);
    let f = findings
        .iter()
        .find(|f| {
            f["file"]["path"]
                .as_str()
                .unwrap()
                .ends_with("hello-cache/cache.php")
        })
        .expect("a finding on cache.php");
    let sev = f["event"]["severity"].as_u64().unwrap();
    assert!([21, 47, 73, 99].contains(&sev));
    assert_eq!(
        f["event"]["category"],
        serde_json::json!(["malware", "file"])
    );
    assert_eq!(f["event"]["id"].as_str().unwrap().len(), 32);
    assert!(f["@timestamp"].as_str().unwrap().ends_with('Z'));
    assert!(f["message"].as_str().unwrap().contains("cache.php"));
    for key in [
        "id",
        "name",
        "description",
        "reference",
        "author",
        "ruleset",
    ] {
        assert!(!f["rule"][key].is_null(), "rule.{key}");
    }
    assert_eq!(
        f["file"]["size"].as_u64().unwrap(),
        std::fs::metadata(repo().join(f["file"]["path"].as_str().unwrap()))
            .unwrap()
            .len()
    );
    assert_eq!(f["file"]["hash"]["sha256"].as_str().unwrap().len(), 64);
    assert!(f["file"]["mtime"].is_string());
    assert!(f["host"]["name"].is_string());
    assert_eq!(f["observer"]["product"], "shellsweep");
    assert_eq!(
        f["threat"]["technique"]["subtechnique"]["id"][0],
        "T1505.003"
    );
    let m = &f["shellsweep"]["matches"][0];
    assert!(m["pattern"].is_string() && m["offset"].is_u64() && m["line"].is_u64());
    assert!(m["excerpt"].as_str().unwrap().contains("system($_GET"));
}

#[test]
fn event_ids_are_stable_across_runs() {
    let ids = || -> Vec<String> {
        let (f, _) = findings_and_summary(&run([
            "scan",
            "--format",
            "jsonl",
            "--threads",
            "1",
            "fixtures/webroot",
        ]));
        let mut v: Vec<String> = f
            .iter()
            .map(|f| f["event"]["id"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let first = ids();
    assert_eq!(first, ids());
    let unique: BTreeSet<&String> = first.iter().collect();
    assert_eq!(unique.len(), first.len());
}

#[test]
fn benign_lookalikes_give_nothing_at_medium_or_above() {
    let out = run([
        "scan",
        "--format",
        "jsonl",
        "--min-severity",
        "medium",
        "fixtures/benign",
    ]);
    let (findings, summary) = findings_and_summary(&out);
    assert!(findings.is_empty(), "{findings:#?}");
    assert_eq!(code(&out), 0);
    assert!(
        summary["shellsweep"]["summary"]["files_scanned"]
            .as_u64()
            .unwrap()
            >= 5
    );
}

#[test]
fn absolute_arguments_give_absolute_paths() {
    let root = repo().join("fixtures/webroot/opt");
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        root.as_os_str(),
    ]);
    let (findings, _) = findings_and_summary(&out);
    assert!(!findings.is_empty());
    for f in findings {
        assert!(
            f["file"]["path"]
                .as_str()
                .unwrap()
                .starts_with(root.to_str().unwrap())
        );
    }
}

#[test]
fn text_format_names_rule_severity_path_and_line() {
    let out = run(["scan", "fixtures/webroot/opt"]);
    assert_eq!(code(&out), 1);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // One block for the file, headed by its combined severity and path; its rules under it.
    let path = "fixtures/webroot/opt/tomcat/webapps/ROOT/status.jsp";
    let headers: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].ends_with(&format!("] {path}")))
        .collect();
    assert_eq!(headers.len(), 1, "one block per file: {text}");
    let at = headers[0];
    assert_eq!(lines[at], format!("[CRITICAL] {path}"));
    assert!(lines[at + 1].starts_with("  score 100 ("), "{text}");
    let block: Vec<&str> = lines[at + 1..]
        .iter()
        .take_while(|l| !l.is_empty())
        .copied()
        .collect();
    let rule = block
        .iter()
        .position(|l| l.starts_with("  [CRITICAL] SSW-WEBSHELL-004  "))
        .unwrap_or_else(|| panic!("SSW-WEBSHELL-004 under {path}: {text}"));
    let rest = &block[rule + 1..];
    assert!(
        rest[0].starts_with("    raised from high by "),
        "why the severity changed: {rest:?}"
    );
    assert!(
        rest.iter()
            .take_while(|l| !l.starts_with("  ["))
            .any(|l| l.trim_start().starts_with("6 | ") && l.contains("exec(request.getParameter")),
        "the matching line 6: {rest:?}"
    );
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    let summary = lines
        .iter()
        .position(|l| l.starts_with("shellsweep: scanned"))
        .expect("summary");
    assert!(summary > at);
    assert!(lines.last().unwrap().ends_with("; complete"), "{text}");
}

#[test]
fn min_severity_filters_and_counts_the_rest() {
    let out = run([
        "scan",
        "--format",
        "jsonl",
        "--min-severity",
        "critical",
        "fixtures/webroot",
    ]);
    let (findings, summary) = findings_and_summary(&out);
    assert!(!findings.is_empty());
    assert!(findings.iter().all(|f| f["event"]["severity"] == 99));
    let below = summary["shellsweep"]["summary"]["findings_below_min_severity"]
        .as_u64()
        .unwrap();
    let below_critical = expected().iter().filter(|r| r.3 != "critical").count() as u64;
    assert_eq!(below, below_critical);
}

/// A tree's findings with the tree's own place cut from their paths and what differs from
/// run to run (ids, times) left out, sorted: what must not depend on where the tree is.
fn placeless(findings: &[serde_json::Value], root: &str) -> Vec<String> {
    let mut v: Vec<String> = findings
        .iter()
        .map(|f| {
            let mut f = f.clone();
            for key in ["@timestamp", "agent", "message"] {
                f.as_object_mut().unwrap().remove(key);
            }
            let event = f["event"].as_object_mut().unwrap();
            event.remove("id");
            event.remove("created");
            f["shellsweep"].as_object_mut().unwrap().remove("run_id");
            let path = f["file"]["path"].as_str().unwrap();
            let under = path
                .strip_prefix(root)
                .unwrap_or_else(|| panic!("{path} under {root}"))
                .to_owned();
            let file = f["file"].as_object_mut().unwrap();
            file.remove("directory");
            file.remove("mtime");
            file.insert("path".into(), under.into());
            f.to_string()
        })
        .collect();
    v.sort();
    v
}

/// Scripts are remembered by their contents (`engine::Memo`): copies of a tree, scanned
/// together on two threads, each get every finding the tree gets alone, with their own
/// paths, matches, lines and excerpts (those of the canonical view too).
#[test]
fn copies_of_a_tree_each_get_the_findings_of_the_tree() {
    let repo = repo();
    let fixtures = repo.join("fixtures/webroot");
    let alone = run([
        "scan",
        "--format",
        "jsonl",
        "--threads",
        "1",
        "fixtures/webroot",
    ]);
    let (findings, _) = findings_and_summary(&alone);
    let expected = placeless(&findings, &format!("{}/", fixtures.display()));
    assert!(
        expected.iter().any(|f| f.contains("view_excerpt")),
        "the fixtures hold findings of the canonical view"
    );

    let dir = tempfile::tempdir().unwrap();
    let copies = ["a", "b/deeper", "c"];
    for copy in copies {
        for entry in walk(&fixtures) {
            let rel = entry.strip_prefix(&fixtures).unwrap();
            let to = dir.path().join(copy).join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&entry, &to).unwrap();
        }
    }
    let out = bin()
        .args(["scan", "--format", "jsonl", "--threads", "2"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let (findings, summary) = findings_and_summary(&out);
    assert_eq!(findings.len(), expected.len() * copies.len());
    for copy in copies {
        let root = format!("{}/", dir.path().join(copy).display());
        let mine: Vec<serde_json::Value> = findings
            .iter()
            .filter(|f| f["file"]["path"].as_str().unwrap().starts_with(&root))
            .cloned()
            .collect();
        assert_eq!(placeless(&mine, &root), expected, "copy {copy}");
    }
    assert_eq!(summary["shellsweep"]["summary"]["complete"], true);
}

/// The files under `dir`, links left out.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            out.extend(walk(&entry.path()));
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
    out
}

/// A literal that names the function it calls (`'assert'($_POST[..])`) is found: the fold
/// trigger lets the file in and the view reads a plain call. Before, such a file with no
/// other fold form got no view and no finding at all. One with a called literal only in a
/// doc comment gets nothing.
#[test]
fn a_called_literal_is_found_through_the_view() {
    let dir = tempfile::tempdir().unwrap();
    let shells = [
        ("a.php", "<?php\n'assert'($_POST['x']);\n"),
        ("b.php", "<?php\n\"system\" ($_GET['c']);\n"),
    ];
    for (name, body) in shells {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    std::fs::write(
        dir.path().join("doc.php"),
        "<?php\n/**\n * Sorted 'ASC' (the default).\n */\necho $_GET['q'];\n",
    )
    .unwrap();
    let out = bin()
        .args(["scan", "--format", "jsonl"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let (findings, _) = findings_and_summary(&out);
    for (name, _) in shells {
        let found: Vec<&serde_json::Value> = findings
            .iter()
            .filter(|f| f["file"]["name"] == name)
            .collect();
        assert!(
            found.iter().any(|f| f["shellsweep"]["matches"]
                .as_array()
                .is_some_and(|m| m.iter().any(|m| m.get("view_excerpt").is_some()))),
            "{name}: {found:?}"
        );
    }
    assert!(!findings.iter().any(|f| f["file"]["name"] == "doc.php"));
}
