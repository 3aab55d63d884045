//! `--format ocsf`: every line a real scan writes (files, logs, IOC matches, carried-over
//! findings, the incident's pivot events, the summary) validates against the OCSF 1.8.0
//! schema, compiled from the schema repository into JSON Schema by scripts/ocsf-vendor.py
//! (tests/data/ocsf/README.md). The schema requires each class's required attributes,
//! checks types and enum ids, and allows no attribute OCSF does not define (but under
//! `unmapped`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::path::Path;

use common::{PHP_SHELL, code, repo, run, stderr, write};
use serde_json::{Value, json};

const SCHEMA: &str = "tests/data/ocsf/ocsf-1.8.0.schema.json";

/// One validator per class, by `class_uid`.
struct Ocsf(BTreeMap<u64, jsonschema::Validator>);

impl Ocsf {
    fn load() -> Ocsf {
        let text = std::fs::read_to_string(repo().join(SCHEMA)).unwrap();
        let schema: Value = serde_json::from_str(&text).unwrap();
        let mut v = BTreeMap::new();
        for (uid, class) in [
            (2004, "detection_finding"),
            (4002, "http_activity"),
            (6007, "scan_activity"),
        ] {
            let root = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$defs": schema["$defs"],
                "$ref": format!("#/$defs/class.{class}"),
            });
            v.insert(uid, jsonschema::validator_for(&root).unwrap());
        }
        Ocsf(v)
    }

    /// What is wrong with `line` (nothing when it validates).
    fn problems(&self, line: &Value) -> Vec<String> {
        let Some(validator) = line["class_uid"].as_u64().and_then(|c| self.0.get(&c)) else {
            return vec![format!("unknown class_uid {}", line["class_uid"])];
        };
        validator
            .iter_errors(line)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }
}

fn ocsf(args: &[&OsStr]) -> Vec<Value> {
    let mut all: Vec<&OsStr> = vec!["scan".as_ref(), "--format".as_ref(), "ocsf".as_ref()];
    all.extend_from_slice(args);
    let out = run(all);
    assert!(code(&out) <= 1, "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let last = lines.last().expect("at least the summary");
    assert_eq!(
        last["class_uid"], 6007,
        "the last line is the Scan Activity"
    );
    assert_eq!(
        lines.iter().filter(|l| l["class_uid"] == 6007).count(),
        1,
        "one summary"
    );
    lines
}

/// The lines of runs over every kind of input.
fn lines(dir: &Path) -> Vec<Value> {
    let fixtures = repo().join("fixtures");
    let mut lines = Vec::new();
    for list in std::fs::read_dir(fixtures.join("iocs")).unwrap() {
        let list = list.unwrap().path();
        lines.extend(ocsf(&[
            "--hash".as_ref(),
            "--hunt".as_ref(),
            "--ioc".as_ref(),
            list.as_os_str(),
            fixtures.join("webroot").as_os_str(),
            fixtures.join("logs").as_os_str(),
        ]));
    }
    lines.extend(ocsf(&[
        fixtures.join("incident").as_os_str(),
        repo().join("tests/corpus").as_os_str(),
    ]));
    // Carried-over findings: the second sweep reports the unchanged file from its state.
    let www = dir.join("www");
    write(&www, "shell.php", PHP_SHELL);
    write(&www, "big.php", &vec![b'a'; 4096]);
    let state = dir.join("s.json");
    for _ in 0..2 {
        lines.extend(ocsf(&[
            "--max-filesize".as_ref(),
            "1K".as_ref(),
            "--state".as_ref(),
            state.as_os_str(),
            www.as_os_str(),
        ]));
    }
    lines
}

#[test]
fn every_line_validates_against_the_ocsf_schema() {
    let schema = Ocsf::load();
    let dir = tempfile::tempdir().unwrap();
    let lines = lines(dir.path());
    let mut problems = Vec::new();
    for l in &lines {
        for p in schema.problems(l) {
            problems.push(format!(
                "{p}\n  in {}",
                &l.to_string()[..300.min(l.to_string().len())]
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s), first ones:\n{}",
        problems.len(),
        problems[..problems.len().min(10)].join("\n")
    );
    // Every kind of line was among them.
    let has = |what: &str, f: &dyn Fn(&Value) -> bool| {
        assert!(lines.iter().any(f), "no {what} line");
    };
    has("file finding with a webshell", &|l| {
        l["malware"][0]["classification_ids"] == json!([20])
            && l["evidences"][0]["file"]["hashes"][0]["algorithm_id"] == 3
    });
    has("log finding", &|l| {
        l["class_uid"] == 2004 && l["evidences"][0]["http_request"]["url"]["path"].is_string()
    });
    has("IOC match", &|l| {
        l["osint"][0]["value"].is_string()
            && l["metadata"]["profiles"]
                .as_array()
                .is_some_and(|p| p.contains(&json!("osint")))
    });
    has("ATT&CK technique", &|l| {
        l["attacks"][0]["technique"]["uid"].is_string()
            && l["finding_info"]["attacks"] == l["attacks"]
    });
    has("pivot event", &|l| l["class_uid"] == 4002);
    has("carried-over finding", &|l| {
        l["unmapped"]["shellsweep"]["carried_over"] == true
    });
    has("webshell requested", &|l| {
        l["unmapped"]["shellsweep"]["correlation"]["type"] == "webshell_requested"
    });
    has("incomplete scan", &|l| {
        l["class_uid"] == 6007 && l["status_id"] == 2
    });
}

/// The schema has teeth: a line with a required attribute dropped, an attribute OCSF does
/// not define, a wrong type or an enum id it does not list is refused.
#[test]
fn the_schema_refuses_what_ocsf_does_not_allow() {
    let schema = Ocsf::load();
    let line = ocsf(&[repo()
        .join("fixtures/webroot/var/www/html/wp-content/plugins")
        .as_os_str()])
    .into_iter()
    .find(|l| l["class_uid"] == 2004)
    .expect("a finding");
    assert_eq!(schema.problems(&line), Vec::<String>::new());
    let broken = |f: &dyn Fn(&mut Value)| {
        let mut l = line.clone();
        f(&mut l);
        schema.problems(&l)
    };
    for required in [
        "finding_info",
        "metadata",
        "time",
        "severity_id",
        "type_uid",
    ] {
        let p = broken(&|l| {
            l.as_object_mut().unwrap().remove(required);
        });
        assert!(!p.is_empty(), "{required} dropped");
    }
    assert!(!broken(&|l| l["finding_info"].as_object_mut().unwrap().clear()).is_empty());
    assert!(!broken(&|l| l["metadata"]["product"] = json!("shellsweep")).is_empty());
    assert!(!broken(&|l| l["rule"] = json!({"id": "x"})).is_empty());
    assert!(!broken(&|l| l["device"]["os_name"] = json!("x")).is_empty());
    assert!(!broken(&|l| l["severity_id"] = json!(7)).is_empty());
    assert!(!broken(&|l| l["type_uid"] = json!(200405)).is_empty());
    assert!(!broken(&|l| l["class_uid"] = json!(2005)).is_empty());
    assert!(!broken(&|l| l["time"] = json!("2025-07-19")).is_empty());
    // Anything goes under `unmapped`.
    assert!(broken(&|l| l["unmapped"]["anything"] = json!([1, {"x": null}])).is_empty());
}

/// One run writing JSONL and OCSF at once: the same findings, under the same ids.
#[test]
fn ocsf_and_jsonl_of_one_run_name_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.ocsf"));
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "-o".as_ref(),
        a.as_os_str(),
        "--format".as_ref(),
        "ocsf".as_ref(),
        "-o".as_ref(),
        b.as_os_str(),
        repo().join("fixtures/incident").as_os_str(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let read = |p: &Path| -> Vec<Value> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let (ecs, ocsf) = (read(&a), read(&b));
    let ecs_ids: BTreeSet<String> = ecs
        .iter()
        .filter(|l| l["event"]["id"].is_string())
        .map(|l| l["event"]["id"].as_str().unwrap().to_owned())
        .collect();
    let ocsf_ids: BTreeSet<String> = ocsf
        .iter()
        .filter(|l| l["class_uid"] != 6007)
        .map(|l| l["metadata"]["uid"].as_str().unwrap().to_owned())
        .collect();
    assert!(ecs_ids.len() > 10);
    assert_eq!(ecs_ids, ocsf_ids);
    let alerts = ecs.iter().filter(|l| l["event"]["kind"] == "alert").count();
    assert_eq!(
        alerts,
        ocsf.iter().filter(|l| l["class_uid"] == 2004).count()
    );
    let pivots = ecs
        .iter()
        .filter(|l| l["event"]["dataset"] == "shellsweep.pivot")
        .count();
    assert_eq!(
        pivots,
        ocsf.iter().filter(|l| l["class_uid"] == 4002).count()
    );
    // The finding's ECS `shellsweep.*` is its OCSF `unmapped.shellsweep`.
    let first = ocsf.iter().find(|l| l["class_uid"] == 2004).unwrap();
    let id = &first["finding_info"]["uid"];
    let twin = ecs.iter().find(|l| &l["event"]["id"] == id).unwrap();
    assert_eq!(twin["rule"]["id"], first["finding_info"]["analytic"]["uid"]);
    assert_eq!(twin["shellsweep"], first["unmapped"]["shellsweep"]);
    assert_eq!(
        ecs.last().unwrap()["shellsweep"]["summary"],
        ocsf.last().unwrap()["unmapped"]["shellsweep"]["summary"]
    );
}
