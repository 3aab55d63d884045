//! The documentation a user reads stays true: links point at files inside the project, and
//! every JSON field the scanner writes is described in docs/FIELDS.md.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

/// Markdown files a user reads.
fn documents() -> Vec<PathBuf> {
    let root = repo();
    let mut docs = vec![root.join("README.md"), root.join("contrib/README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "md") {
            docs.push(p);
        }
    }
    docs
}

/// The targets of inline links `[text](target)`, outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    out
}

/// `path` with `.` and `..` resolved by name, as a browser on the repository would.
fn lexical(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}

#[test]
fn links_point_inside_the_project() {
    let root = repo();
    let mut bad = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for target in links(&text) {
            if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
                continue;
            }
            let file = target.split('#').next().unwrap();
            let inside = !file.starts_with('/')
                && lexical(&doc.parent().unwrap().join(file)).is_some_and(|p| p.starts_with(&root));
            if !inside {
                bad.push(format!("{}: {target}", doc.display()));
            }
        }
    }
    assert!(bad.is_empty(), "links that leave the project: {bad:#?}");
}

#[test]
fn the_field_reference_is_linked_from_the_readme() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(links(&readme).iter().any(|l| l == "docs/FIELDS.md"));
    assert!(repo().join("docs/FIELDS.md").is_file());
}

/// Every field path (`a.b.c`) in `v`; arrays stand for their elements.
fn field_paths(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                field_paths(x, &p, out);
            }
        }
        Value::Array(items) if items.iter().any(Value::is_object) => {
            for x in items {
                field_paths(x, prefix, out);
            }
        }
        _ => {
            out.insert(prefix.to_owned());
        }
    }
}

/// The field names FIELDS.md describes: backticked names, where `.x` continues the parent
/// of the name before it on the line and `a.b.*` stands for everything under `a.b`.
fn described(text: &str) -> (BTreeSet<String>, Vec<String>) {
    let mut names = BTreeSet::new();
    let mut wildcards = Vec::new();
    for line in text.lines() {
        let mut base = String::new();
        for (i, token) in line.split('`').enumerate() {
            if i % 2 == 0 || token.contains(' ') {
                continue;
            }
            let full = match token.strip_prefix('.') {
                Some(rest) if !base.is_empty() => format!("{base}.{rest}"),
                _ => token.to_owned(),
            };
            if let Some((parent, _)) = full.rsplit_once('.') {
                base = parent.to_owned();
            }
            match full.strip_suffix(".*") {
                Some(prefix) => wildcards.push(format!("{prefix}.")),
                None => {
                    names.insert(full);
                }
            }
        }
    }
    (names, wildcards)
}

fn jsonl(args: &[&std::ffi::OsStr]) -> Vec<Value> {
    let mut all: Vec<&std::ffi::OsStr> =
        vec!["scan".as_ref(), "--format".as_ref(), "jsonl".as_ref()];
    all.extend_from_slice(args);
    json_lines(&run(all))
}

#[cfg(unix)]
#[test]
fn every_field_written_is_described_in_fields_md() {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    write(&www, "shell.php", PHP_SHELL);
    write(&www, "big.php", &vec![b'a'; 4096]);
    let missing = dir.path().join("gone");
    let state = dir.path().join("s.json");
    let fixtures = repo().join("fixtures");
    let mut lines = Vec::new();
    // File and log findings with every IOC list, extra hashes, errors and skips, and a
    // --state sweep twice (carried-over findings).
    for list in std::fs::read_dir(fixtures.join("iocs")).unwrap() {
        let list = list.unwrap().path();
        lines.extend(jsonl(&[
            "--hash".as_ref(),
            "--ioc".as_ref(),
            list.as_os_str(),
            fixtures.as_os_str(),
        ]));
    }
    lines.extend(jsonl(&[
        "--max-filesize".as_ref(),
        "1K".as_ref(),
        "--exclude".as_ref(),
        "nothing-matches".as_ref(),
        www.as_os_str(),
        missing.as_os_str(),
    ]));
    for _ in 0..2 {
        lines.extend(jsonl(&[
            "--state".as_ref(),
            state.as_os_str(),
            www.as_os_str(),
        ]));
    }
    let mut written = BTreeSet::new();
    for l in &lines {
        field_paths(l, "", &mut written);
    }
    assert!(written.contains("shellsweep.carried_over"), "{written:?}");
    let (names, wildcards) =
        described(&std::fs::read_to_string(Path::new(&repo()).join("docs/FIELDS.md")).unwrap());
    let missing: Vec<&String> = written
        .iter()
        .filter(|f| !names.contains(*f) && !wildcards.iter().any(|w| f.starts_with(w)))
        .collect();
    assert!(
        missing.is_empty(),
        "fields written but not described in docs/FIELDS.md: {missing:#?}"
    );
}
