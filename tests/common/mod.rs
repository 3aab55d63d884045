//! Helpers for the integration tests: run the built binary and parse its JSON lines.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The binary under test: this build's, or `SHELLSWEEP_TEST_BIN` (to watch a test fail on a
/// build without the fix it guards).
pub fn exe() -> PathBuf {
    std::env::var_os("SHELLSWEEP_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_shellsweep")))
}

pub fn bin() -> Command {
    let mut c = Command::new(exe());
    c.current_dir(repo());
    c
}

/// Appends `text` to the file at `path`, creating it: how a web server writes its log.
pub fn append(path: &Path, text: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

/// How often each planted attack line was reported: the lines the sweep tests write carry
/// `cmd=whoami&m=MARKER` in their query, which SSW-LOG-WEBSHELL-001 finds.
pub fn planted_markers(findings: &[Value]) -> std::collections::BTreeMap<String, usize> {
    let mut seen = std::collections::BTreeMap::new();
    for f in findings
        .iter()
        .filter(|f| f["rule"]["id"] == "SSW-LOG-WEBSHELL-001")
    {
        let q = f["url"]["query"].as_str().expect("a query string");
        let marker = q.rsplit("m=").next().unwrap_or_default().to_owned();
        *seen.entry(marker).or_insert(0) += 1;
    }
    seen
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary with `args` from the repository root.
pub fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    bin().args(args).output().expect("run shellsweep")
}

/// An incremental sweep of `root` with the state file `state`, in JSON lines.
pub fn sweep_jsonl(state: &Path, root: &Path) -> Output {
    run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--state".as_ref(),
        state.as_os_str(),
        root.as_os_str(),
    ])
}

pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally, not by a signal")
}

/// Every stdout line as JSON; panics on a line that is not one valid object.
pub fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .expect("stdout is UTF-8")
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}"))
        })
        .collect()
}

/// The findings, after checking that the last line (and only it) is the summary. Error and
/// skip event lines (`event.dataset: shellsweep.scan`, see tests/events.rs) and the pivot's
/// events (`shellsweep.pivot`, see tests/incident.rs) are left out.
pub fn findings_and_summary(out: &Output) -> (Vec<Value>, Value) {
    let mut lines = json_lines(out);
    lines.retain(|l| {
        l["event"]["dataset"] != "shellsweep.scan" && l["event"]["dataset"] != "shellsweep.pivot"
    });
    let summary = lines.pop().expect("at least the summary line");
    assert_eq!(
        summary["event"]["action"], "scan_completed",
        "last line is the summary"
    );
    assert_eq!(summary["event"]["kind"], "event");
    for f in &lines {
        assert_eq!(f["event"]["kind"], "alert", "{f}");
    }
    (lines, summary)
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes `contents` at `dir/rel`, creating folders.
pub fn write(dir: &Path, rel: &str, contents: &[u8]) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, contents).unwrap();
    p
}

/// A PHP sample the bundled rules find (a China Chopper one-liner).
pub const PHP_SHELL: &[u8] =
    b"<?php\n// shellsweep test sample, inert\n<?php @eval($_POST['pw']);?>\n";

/// A path field (`file.path`, `log.file.path`) as the run typed it, relative to the
/// repository: the output writes paths absolute (against the working directory, the
/// repository for [`run`]), and fails here if one is not.
pub fn rel(v: &Value) -> String {
    let s = v.as_str().unwrap_or_else(|| panic!("a path: {v}"));
    let root = format!("{}/", repo().display());
    s.strip_prefix(&root)
        .unwrap_or_else(|| panic!("{s} is absolute, under {root}"))
        .to_owned()
}

/// Runs a Python script on `path` (its `sys.argv[1]`) and parses what it prints as JSON:
/// the tests read CSV output with Python's csv module, as Timesketch and spreadsheets'
/// importers do. `what` names the reader in the failure message.
pub fn python_json(script: &str, path: &Path, what: &str) -> Value {
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{what} refused {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
