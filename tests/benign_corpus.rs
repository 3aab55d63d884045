//! The bundled rules against real web applications: no finding at medium or above.
//!
//! The corpus is fetched by `scripts/benign-corpus.sh` (Debian packages of WordPress,
//! phpMyAdmin, Roundcube, Adminer, MediaWiki, DokuWiki, Icinga Web, Zabbix, Cacti, Tomcat's
//! examples and more) into `target/benign-corpus`, or the folder named by
//! `SHELLSWEEP_BENIGN_CORPUS`. Without it the test says that it skipped and passes.

mod common;

use std::path::PathBuf;

use common::*;

fn corpus() -> PathBuf {
    std::env::var_os("SHELLSWEEP_BENIGN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/benign-corpus"))
}

#[test]
fn real_web_applications_give_no_finding_at_medium_or_above() {
    let dir = corpus();
    if !dir.is_dir() {
        println!(
            "skipped: no benign corpus at {} (run scripts/benign-corpus.sh to fetch it)",
            dir.display()
        );
        return;
    }
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--quiet".as_ref(),
        "--min-severity".as_ref(),
        "medium".as_ref(),
        "--exclude".as_ref(),
        "*.deb".as_ref(),
        dir.as_os_str(),
    ]);
    let (findings, summary) = findings_and_summary(&out);
    let shown: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {}:{}  {}",
                f["shellsweep"]["severity_name"],
                f["rule"]["id"],
                f["file"]["path"],
                f["shellsweep"]["line"],
                f["shellsweep"]["matches"][0]["excerpt"]
            )
        })
        .collect();
    assert!(
        findings.is_empty(),
        "{} findings at medium or above on real web applications:\n{}",
        findings.len(),
        shown.join("\n")
    );
    let s = &summary["shellsweep"]["summary"];
    assert_eq!(s["errors"], 0, "{summary}");
    println!(
        "benign corpus: {} files scanned, no finding at medium or above",
        s["files_scanned"]
    );
}
