//! Every bundled rule has a positive sample (fixtures/expected.tsv) and a near-miss negative
//! (fixtures/negatives.tsv), and the negatives stay silent.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;

/// The rule ids that `shellsweep rules list` prints (bundled rules), with their scope.
fn listed_rules() -> BTreeMap<String, String> {
    let out = run(["rules", "list"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let ids: BTreeMap<String, String> = text
        .lines()
        .filter_map(|l| {
            let mut cols = l.split_whitespace();
            let id = cols.next()?;
            let _severity = cols.next()?;
            Some((id.to_owned(), cols.next()?.to_owned()))
        })
        .collect();
    assert!(
        ids.len() >= 50,
        "expected the full bundled packs, got {ids:?}"
    );
    ids
}

/// The rows of a TSV file under fixtures/, header checked and skipped.
fn tsv(name: &str, header: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(repo().join("fixtures").join(name)).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(header), "{name} header");
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect::<Vec<_>>())
        .inspect(|c| assert!(c.len() >= 2, "{name}: short row {c:?}"))
        .collect()
}

fn expected_rows() -> Vec<Vec<String>> {
    tsv("expected.tsv", "path\trule_id\tline\tseverity")
}

fn negative_rows() -> Vec<Vec<String>> {
    tsv("negatives.tsv", "path\trule_id")
}

#[test]
fn every_rule_has_a_positive_and_a_negative_fixture() {
    let listed = listed_rules();
    // File rules: a positive in expected.tsv and a near miss in negatives.tsv. Log rules: a
    // positive in logs-expected.tsv; their near misses are the benign lines of the same log
    // fixtures, whose exact findings tests/logs.rs asserts.
    let file_rules: BTreeSet<String> = listed
        .iter()
        .filter(|(_, s)| *s == "file")
        .map(|(id, _)| id.clone())
        .collect();
    let log_rules: BTreeSet<String> = listed
        .iter()
        .filter(|(_, s)| *s == "log")
        .map(|(id, _)| id.clone())
        .collect();
    let positives: BTreeSet<String> = expected_rows().into_iter().map(|r| r[1].clone()).collect();
    let negatives: BTreeSet<String> = negative_rows().into_iter().map(|r| r[1].clone()).collect();
    let log_positives: BTreeSet<String> = tsv("logs-expected.tsv", "path\trule_id\tline\tseverity")
        .into_iter()
        .map(|r| r[1].clone())
        .collect();
    let no_positive: Vec<&String> = file_rules.difference(&positives).collect();
    let no_negative: Vec<&String> = file_rules.difference(&negatives).collect();
    let no_log_positive: Vec<&String> = log_rules.difference(&log_positives).collect();
    assert!(
        no_positive.is_empty(),
        "rules without a row in expected.tsv: {no_positive:?}"
    );
    assert!(
        no_negative.is_empty(),
        "rules without a row in negatives.tsv: {no_negative:?}"
    );
    assert!(
        no_log_positive.is_empty(),
        "log rules without a row in logs-expected.tsv: {no_log_positive:?}"
    );
    let unknown: Vec<&String> = positives
        .union(&negatives)
        .filter(|r| !file_rules.contains(*r))
        .collect();
    assert!(
        unknown.is_empty(),
        "fixture rows name unknown rules: {unknown:?}"
    );
}

#[test]
fn fixture_files_exist_where_they_belong() {
    for row in expected_rows() {
        assert!(row[0].starts_with("fixtures/webroot/"), "{row:?}");
        assert!(
            repo().join(&row[0]).is_file(),
            "missing positive {}",
            row[0]
        );
    }
    for row in negative_rows() {
        assert!(row[0].starts_with("fixtures/benign/"), "{row:?}");
        let p = repo().join(&row[0]);
        assert!(p.is_file(), "missing negative {}", row[0]);
        assert!(
            std::fs::metadata(&p).unwrap().len() < 2048,
            "{} is not tiny",
            row[0]
        );
    }
}

#[test]
fn negatives_do_not_fire_their_rule() {
    let rows = negative_rows();
    let paths: BTreeSet<String> = rows.iter().map(|r| r[0].clone()).collect();
    let mut args = vec![
        "scan".to_owned(),
        "--format".to_owned(),
        "jsonl".to_owned(),
        "--min-severity".to_owned(),
        "low".to_owned(),
    ];
    args.extend(paths.iter().cloned());
    let out = run(&args);
    let (findings, summary) = findings_and_summary(&out);
    assert_eq!(summary["shellsweep"]["summary"]["errors"], 0);
    assert_eq!(
        summary["shellsweep"]["summary"]["files_scanned"]
            .as_u64()
            .unwrap() as usize,
        paths.len(),
        "every negative is scanned"
    );
    let mut fired: BTreeMap<(String, String), String> = BTreeMap::new();
    for f in &findings {
        fired.insert(
            (
                rel(&f["file"]["path"]),
                f["rule"]["id"].as_str().unwrap().to_owned(),
            ),
            f["shellsweep"]["matches"][0]["excerpt"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let bad: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            fired
                .get(&(r[0].clone(), r[1].clone()))
                .map(|ex| format!("{} fired on its near miss {}: {ex}", r[1], r[0]))
        })
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn nothing_at_medium_or_above_fires_on_the_benign_fixtures() {
    let out = run([
        "scan",
        "--format",
        "jsonl",
        "--min-severity",
        "medium",
        "fixtures/benign",
    ]);
    let (findings, summary) = findings_and_summary(&out);
    let shown: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {}:{}",
                f["shellsweep"]["severity_name"],
                f["rule"]["id"],
                f["file"]["path"],
                f["shellsweep"]["line"]
            )
        })
        .collect();
    assert!(findings.is_empty(), "{}", shown.join("\n"));
    assert_eq!(code(&out), 0);
    let scanned = summary["shellsweep"]["summary"]["files_scanned"]
        .as_u64()
        .unwrap();
    assert!(
        scanned as usize >= negative_rows().len() / 2,
        "{scanned} files scanned"
    );
}

/// The inert variants under tests/corpus/malicious (written to mimic how real shells are
/// obfuscated and spaced) are a regression guard for detection: every one must be found at
/// medium or above.
#[test]
fn every_sample_of_the_variant_corpus_is_found_at_medium_or_above() {
    let out = run([
        "scan",
        "--format",
        "jsonl",
        "--min-severity",
        "medium",
        "tests/corpus/malicious",
    ]);
    let (findings, summary) = findings_and_summary(&out);
    let found: BTreeSet<String> = findings.iter().map(|f| rel(&f["file"]["path"])).collect();
    let mut samples = Vec::new();
    let mut stack = vec![repo().join("tests/corpus/malicious")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "README.md") {
                samples.push(p.strip_prefix(repo()).unwrap().display().to_string());
            }
        }
    }
    assert!(samples.len() >= 80, "{} samples", samples.len());
    let missed: Vec<&String> = samples.iter().filter(|s| !found.contains(*s)).collect();
    assert!(missed.is_empty(), "not found at medium+: {missed:?}");
    assert_eq!(summary["shellsweep"]["summary"]["errors"], 0);
}
