//! Golden files for rule diagnostics: for every code in the table of docs/RULES.md,
//! tests/testdata/diagnostics/ holds a small input (`CODE.yml`, a folder `CODE/`, or a Sigma
//! rule `CODE.sigma.yml`, checked with `--sigma`) and the exact output of
//! `shellsweep rules check --no-bundled-rules` on it (`CODE.out`).
//! `SHELLSWEEP_BLESS=1 cargo test --test diagnostics` rewrites the `.out` files from what the
//! binary prints now; review the diff before committing it.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn testdata() -> PathBuf {
    common::repo().join("tests/testdata/diagnostics")
}

/// The codes of the table in docs/RULES.md, in order.
fn documented_codes() -> Vec<String> {
    let doc = std::fs::read_to_string(common::repo().join("docs/RULES.md")).unwrap();
    doc.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`'))
        .map(|(code, _)| code.to_owned())
        .filter(|c| c.starts_with("SSW-"))
        .collect()
}

/// The input for a code: a rule file or a folder; YARA inputs (`CODE.yar`, a folder
/// `CODE.yara`) are given to `--yara`.
fn input(dir: &Path, code: &str) -> Option<String> {
    [
        format!("{code}.yml"),
        code.to_owned(),
        format!("{code}.sigma.yml"),
        format!("{code}.yar"),
        format!("{code}.yara"),
    ]
    .into_iter()
    .find(|name| dir.join(name).symlink_metadata().is_ok())
}

/// The codes that appear in brackets at the end of diagnostic lines.
fn codes_in(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.strip_suffix(']'))
        .filter_map(|l| l.rsplit_once(" [SSW-"))
        .map(|(_, code)| format!("SSW-{code}"))
        .collect()
}

#[test]
fn every_code_has_a_golden_file_and_the_output_matches() {
    let dir = testdata();
    let bless = std::env::var_os("SHELLSWEEP_BLESS").is_some_and(|v| v == "1");
    let codes = documented_codes();
    assert!(
        codes.len() > 30,
        "the code table was not found in docs/RULES.md"
    );
    let mut failures = Vec::new();
    for code in &codes {
        let Some(name) = input(&dir, code) else {
            failures.push(format!("{code}: no input {code}.yml or folder {code}/"));
            continue;
        };
        let mut cmd = common::bin();
        cmd.current_dir(&dir)
            .args(["rules", "check", "--no-bundled-rules"]);
        if name.ends_with(".yar") || name.ends_with(".yara") {
            if cfg!(not(feature = "yara")) {
                continue;
            }
            cmd.arg("--yara");
        } else if name.ends_with(".sigma.yml") {
            cmd.arg("--sigma");
        }
        let out = cmd.arg(&name).output().expect("run shellsweep");
        let mut shown = String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8");
        shown.push_str(&common::stderr(&out));
        let want_status = if code.starts_with("SSW-E") { 2 } else { 0 };
        if common::code(&out) != want_status {
            failures.push(format!(
                "{code}: exit status {} instead of {want_status}",
                common::code(&out)
            ));
        }
        let shown_codes = codes_in(&shown);
        if shown_codes != BTreeSet::from([code.clone()]) {
            failures.push(format!(
                "{code}: the input shows {shown_codes:?}, not just its own code"
            ));
        }
        let golden = dir.join(format!("{code}.out"));
        if bless {
            std::fs::write(&golden, &shown).unwrap();
            continue;
        }
        match std::fs::read_to_string(&golden) {
            Ok(want) if want == shown => {}
            Ok(want) => failures.push(format!(
                "{code}: output differs from {code}.out\n--- want\n{want}--- got\n{shown}"
            )),
            Err(e) => failures.push(format!("{code}: {code}.out: {e}")),
        }
    }
    // Nothing stale: every file here belongs to a documented code.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let stem = [".sigma.yml", ".yml", ".out", ".yar", ".yara"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(&name);
        if !codes.iter().any(|c| c == stem) {
            failures.push(format!("{name}: no such code in docs/RULES.md"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
