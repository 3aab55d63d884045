//! Findings against the checked-in findings of the release before the ECS rework (7373a08):
//! the same findings, with the same rules, places, severities, matches and log fields, on
//! the fixtures and the test corpus. Only the changes docs/FIELDS.md lists as the ECS rework
//! are mapped away (where a field moved, what form it took); anything else that differs
//! fails here.
//!
//! The golden file holds a projection of each finding, not the whole line, to stay small.
//! To write it again from a reference binary (only when a change of findings is intended):
//! `SHELLSWEEP_GOLDEN_BIN=/path/to/old/shellsweep cargo test --test findings_golden`.

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::{Map, Value, json};

const GOLDEN: &str = "tests/data/golden/findings.jsonl";

/// The runs the golden file covers: every file fixture, the test corpus and the log fixtures,
/// with every IOC list and the hunting rules.
fn runs() -> Vec<Vec<&'static str>> {
    let iocs = [
        "--ioc",
        "fixtures/iocs/c2-iocs.txt",
        "--ioc",
        "fixtures/iocs/filename-iocs.txt",
        "--ioc",
        "fixtures/iocs/hash-iocs.txt",
        "--ioc",
        "fixtures/iocs/misp-export.csv",
        "--ioc",
        "fixtures/iocs/toolshell-stix.json",
        "--ioc",
        "fixtures/iocs/toolshell.txt",
    ];
    // ULS times carry no zone: a fixed one, so the golden file does not depend on the host's.
    let base = [
        "scan",
        "--format",
        "jsonl",
        "--sort",
        "-q",
        "--uls-utc-offset",
        "+02:00",
    ];
    let mut all: Vec<&str> = base.to_vec();
    all.extend(["--hunt", "--hash"]);
    all.extend(iocs);
    all.extend(["fixtures", "tests/corpus"]);
    vec![all]
}

/// Which form a line is in: before the ECS rework (the golden file's source) or after.
#[derive(Clone, Copy, PartialEq)]
enum Form {
    Before,
    After,
}

/// A path field as the golden file keeps it: relative to the repository, as the runs typed it.
fn rel_path(v: &Value, form: Form) -> Value {
    let Some(s) = v.as_str() else {
        return Value::Null;
    };
    if form == Form::After {
        let root = format!("{}/", repo().display());
        let stripped = s
            .strip_prefix(&root)
            .unwrap_or_else(|| panic!("file paths are absolute now: {s}"));
        return stripped.into();
    }
    s.into()
}

/// `user.name` as logged: `DOMAIN\user` is split into `user.domain` and `user.name` now.
fn logged_user(f: &Value, form: Form) -> Value {
    match (form, &f["user"]["domain"]) {
        (Form::After, Value::String(d)) => {
            format!("{d}\\{}", f["user"]["name"].as_str().unwrap()).into()
        }
        _ => f["user"]["name"].clone(),
    }
}

/// The indicator of an IOC finding: before, `threat.indicator.*` with the value in the field
/// of its type (for a CIDR or a path pattern: what it matched); now one
/// `threat.enrichments[]` entry whose typed field holds only an atomic listed value, the
/// pattern itself in `indicator.name`, and what matched in `matched.atomic`.
fn indicator(f: &Value, form: Form) -> Value {
    let (ind, typed) = match form {
        Form::Before => {
            let ind = &f["threat"]["indicator"];
            if ind.is_null() {
                return Value::Null;
            }
            let typed = [
                &ind["ip"],
                &ind["url"]["domain"],
                &ind["url"]["original"],
                &ind["file"]["hash"]["md5"],
                &ind["file"]["hash"]["sha1"],
                &ind["file"]["hash"]["sha256"],
                &ind["file"]["name"],
                &ind["file"]["path"],
            ]
            .into_iter()
            .find(|v| !v.is_null())
            .cloned()
            .unwrap();
            (ind.clone(), typed)
        }
        Form::After => {
            let Some(e) = f["threat"]["enrichments"].as_array() else {
                assert!(f["threat"]["indicator"].is_null(), "{f}");
                return Value::Null;
            };
            assert_eq!(e.len(), 1, "one enrichment per IOC finding: {f}");
            let e = &e[0];
            assert_eq!(e["matched"]["type"], "indicator_match_rule");
            let ind = &e["indicator"];
            assert!(ind["name"].is_string(), "the indicator as listed: {e}");
            let typed = [
                &ind["ip"],
                &ind["url"]["domain"],
                &ind["url"]["original"],
                &ind["file"]["hash"]["md5"],
                &ind["file"]["hash"]["sha1"],
                &ind["file"]["hash"]["sha256"],
                &ind["file"]["name"],
            ]
            .into_iter()
            .find(|v| !v.is_null())
            .cloned()
            .unwrap_or_else(|| e["matched"]["atomic"].clone());
            (ind.clone(), typed)
        }
    };
    json!({
        "type": ind["type"],
        "provider": ind["provider"],
        "description": ind["description"],
        "value": typed,
    })
}

/// What the golden file keeps of one finding.
fn project(f: &Value, form: Form) -> Value {
    let ext = &f["shellsweep"];
    let severity_name = match form {
        Form::Before => &f["event"]["severity_name"],
        Form::After => {
            assert!(f["event"]["severity_name"].is_null(), "not ECS: {f}");
            &ext["severity_name"]
        }
    };
    let mut file = Map::new();
    if f["file"].is_object() {
        file.insert("size".into(), f["file"]["size"].clone());
        file.insert(
            "digest".into(),
            digest(&json!([
                f["file"]["name"],
                f["file"]["extension"],
                f["file"]["hash"]
            ]))
            .into(),
        );
        for k in ["path", "directory"] {
            file.insert(k.into(), rel_path(&f["file"][k], form));
        }
    }
    let mut log = Map::new();
    if f["log"].is_object() {
        log.insert("path".into(), rel_path(&f["log"]["file"]["path"], form));
        let mut fields = ext["log"]["fields"].clone();
        if form == Form::After
            && let Some(cookie) = fields.get("cs-cookie")
        {
            // Values are redacted now; the fixtures' cookies are checked in tests/ecs.rs.
            assert!(cookie.as_str().unwrap().contains("=[redacted]"), "{cookie}");
            fields.as_object_mut().unwrap().remove("cs-cookie");
        }
        if form == Form::Before {
            fields.as_object_mut().map(|o| o.remove("cs-cookie"));
        }
        log.insert("fields".into(), digest(&fields).into());
        for k in ["format", "line", "offset"] {
            log.insert(k.into(), ext["log"][k].clone());
        }
        log.insert("original".into(), digest(&f["event"]["original"]).into());
        log.insert("start".into(), f["event"]["start"].clone());
        log.insert("source".into(), f["source"].clone());
        log.insert("url".into(), f["url"].clone());
        log.insert("method".into(), f["http"]["request"]["method"].clone());
        log.insert("referrer".into(), f["http"]["request"]["referrer"].clone());
        log.insert("version".into(), f["http"]["version"].clone());
        // A status that is not a number was written as a string before; it is left out now.
        let status = &f["http"]["response"]["status_code"];
        log.insert(
            "status".into(),
            if status.is_u64() {
                status.clone()
            } else {
                Value::Null
            },
        );
        log.insert("user_agent".into(), f["user_agent"]["original"].clone());
        log.insert("user".into(), logged_user(f, form));
    }
    // `rule.reference` holds the first reference now (ECS takes one); all are under
    // `shellsweep.references`.
    let mut rule = f["rule"].clone();
    if form == Form::After {
        assert_eq!(rule["reference"], ext["references"][0], "{f}");
        rule["reference"] = match &ext["references"] {
            Value::Null => json!([]),
            all => all.clone(),
        };
    }
    let matches: Option<Vec<Value>> = ext["matches"].as_array().map(|ms| {
        ms.iter()
            .map(|m| {
                json!([
                    m["pattern"],
                    m["offset"],
                    m["length"],
                    m["line"],
                    digest(&json!([m["excerpt"], m["view_excerpt"]])),
                ])
            })
            .collect()
    });
    let mut doc = json!({
        "dataset": f["event"]["dataset"],
        "category": f["event"]["category"],
        "severity": f["event"]["severity"],
        "severity_name": severity_name,
        "rule": f["rule"]["id"],
        "rule_digest": digest(&json!([rule, f["tags"], f["threat"]["technique"], f["threat"]["framework"]])),
        "file": file,
        "log": log,
        "line": ext["line"],
        "matches": matches,
        "match_count": ext["match_count"],
        "selections": ext["selections"],
        "measures": ext["measures"],
        "score": ext["score"],
        "raised_by": ext["raised_by"],
        "rule_severity": ext["rule_severity"],
        "ioc": ext["ioc"],
        "indicator": indicator(f, form),
        "path_bytes": ext["path_bytes"],
    });
    let o = doc.as_object_mut().unwrap();
    o.retain(|_, v| !v.is_null() && *v != json!({}));
    doc
}

/// A short digest of what is too long to keep whole (excerpts, rule texts, log lines).
fn digest(v: &Value) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(sorted(v).to_string().as_bytes());
    d[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// `v` with every object's keys sorted: the digests must not depend on whether serde_json
/// keeps insertion order (its `preserve_order` feature, which yara-x turns on).
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&m[k])))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// One run's findings, projected, in a stable order.
fn projected(bin: &std::path::Path, args: &[&str], form: Form) -> Vec<String> {
    let out = std::process::Command::new(bin)
        .current_dir(repo())
        .args(args)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{args:?}: {}", stderr(&out));
    let (findings, _) = findings_and_summary(&out);
    let mut lines: Vec<String> = findings
        .iter()
        // Joined findings are newer than the golden file's release (tests/incident.rs).
        .filter(|f| f["event"]["dataset"] != "shellsweep.correlation")
        .map(|f| sorted(&project(f, form)).to_string())
        .collect();
    lines.sort();
    lines
}

fn golden_text(bin: &std::path::Path, form: Form) -> String {
    let mut text = String::new();
    for args in runs() {
        text.push_str(&format!("# {}\n", args.join(" ")));
        for l in projected(bin, &args, form) {
            text.push_str(&l);
            text.push('\n');
        }
    }
    text
}

#[test]
fn findings_are_those_of_the_release_before_the_ecs_rework() {
    let golden = repo().join(GOLDEN);
    if let Some(reference) = std::env::var_os("SHELLSWEEP_GOLDEN_BIN") {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(
            &golden,
            golden_text(&PathBuf::from(reference), Form::Before),
        )
        .unwrap();
    }
    let want = std::fs::read_to_string(&golden).unwrap();
    let got = golden_text(
        &PathBuf::from(env!("CARGO_BIN_EXE_shellsweep")),
        Form::After,
    );
    if got != want {
        let want: Vec<&str> = want.lines().collect();
        let got: Vec<&str> = got.lines().collect();
        let gone: Vec<&&str> = want.iter().filter(|l| !got.contains(l)).take(5).collect();
        let new: Vec<&&str> = got.iter().filter(|l| !want.contains(l)).take(5).collect();
        panic!(
            "findings differ from {GOLDEN} ({} lines now, {} before)\nbefore, not now:\n{}\nnow, not before:\n{}",
            got.len(),
            want.len(),
            gone.iter()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n"),
            new.iter()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
}
