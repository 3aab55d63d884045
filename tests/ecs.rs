//! The JSON lines against ECS's own field reference (tests/data/ecs/ecs_flat.yml, ECS
//! 9.4.0): every field of every kind of line (file, log and IOC findings, carried-over
//! findings, error and skip events, the summary) must be an ECS field of a fitting JSON type,
//! an array only where ECS allows one, and within ECS's allowed and expected values; only
//! `shellsweep.*` is ours. Then the ECS changes one by one: capped and redacted log strings,
//! numeric status codes, typed indicators, absolute paths, ids, time zones, run ids.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::path::Path;

use common::*;
use serde_json::Value;

/// What ecs_flat.yml says of one field.
#[derive(Debug, Default)]
struct EcsField {
    kind: String,
    array: bool,
    allowed: Vec<String>,
    expected: Vec<String>,
    /// For `event.category`: the `event.type` values each category expects.
    expected_types: BTreeMap<String, Vec<String>>,
}

/// Reads the generated ecs_flat.yml: a map of flat field names to attributes, two spaces
/// in; lists (`normalize`, `expected_values`) as `  - item`; `allowed_values` as a list of
/// maps whose `name` (and `expected_event_types` items) are four spaces in.
fn ecs_fields() -> BTreeMap<String, EcsField> {
    let text = std::fs::read_to_string(repo().join("tests/data/ecs/ecs_flat.yml")).unwrap();
    let mut fields = BTreeMap::new();
    let mut name: Option<String> = None;
    let mut field = EcsField::default();
    let mut section = String::new();
    let mut types: Vec<String> = Vec::new();
    for line in text.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            if let Some(n) = name.take() {
                fields.insert(n, std::mem::take(&mut field));
            }
            name = Some(line.trim_end_matches(':').trim_matches('\'').to_owned());
            section.clear();
            continue;
        }
        if let Some(rest) = line.strip_prefix("  ")
            && !rest.starts_with(' ')
        {
            if let Some(item) = rest.strip_prefix("- ") {
                match section.as_str() {
                    "normalize" if item == "array" => field.array = true,
                    "expected_values" => field.expected.push(item.to_owned()),
                    _ => {}
                }
            } else if let Some((k, v)) = rest.split_once(':') {
                section = k.to_owned();
                if k == "type" {
                    field.kind = v.trim().to_owned();
                }
            }
        } else if section == "allowed_values" {
            if let Some(v) = line.strip_prefix("    name: ") {
                field.allowed.push(v.trim().to_owned());
                field
                    .expected_types
                    .insert(v.trim().to_owned(), std::mem::take(&mut types));
            } else if let Some(t) = line.strip_prefix("    - ") {
                types.push(t.trim().to_owned());
            }
        }
    }
    if let Some(n) = name {
        fields.insert(n, field);
    }
    fields
}

/// Whether a JSON value fits an ECS type.
fn fits(kind: &str, v: &Value) -> bool {
    match kind {
        "keyword" | "constant_keyword" | "wildcard" | "text" | "match_only_text" => v.is_string(),
        "ip" => v
            .as_str()
            .is_some_and(|s| s.parse::<std::net::IpAddr>().is_ok()),
        "long" | "integer" | "short" | "byte" | "unsigned_long" => v.is_i64() || v.is_u64(),
        "float" | "half_float" | "scaled_float" | "double" => v.is_number(),
        "date" => v
            .as_str()
            .is_some_and(|s| s.parse::<jiff::Timestamp>().is_ok()),
        "boolean" => v.is_boolean(),
        "object" | "flattened" | "nested" => v.is_object(),
        _ => false,
    }
}

/// Checks one line; returns its problems.
fn check(line: &Value, ecs: &BTreeMap<String, EcsField>) -> Vec<String> {
    let mut problems = Vec::new();
    let Value::Object(top) = line else {
        return vec![format!("not an object: {line}")];
    };
    // Each event.type is one every event.category of the line expects.
    let expected = &ecs["event.category"].expected_types;
    for c in line["event"]["category"].as_array().into_iter().flatten() {
        let c = c.as_str().unwrap_or_default();
        for t in line["event"]["type"].as_array().into_iter().flatten() {
            if !expected
                .get(c)
                .is_some_and(|ts| ts.iter().any(|x| Some(x.as_str()) == t.as_str()))
            {
                problems.push(format!("event.type: {t} is not expected for category {c}"));
            }
        }
    }
    for (k, v) in top {
        walk(k, v, ecs, &mut problems);
    }
    problems
}

fn walk(path: &str, v: &Value, ecs: &BTreeMap<String, EcsField>, problems: &mut Vec<String>) {
    if path == "shellsweep" || path.starts_with("shellsweep.") || path.starts_with("labels.") {
        return;
    }
    let field = ecs.get(path);
    if let Value::Array(items) = v {
        match field {
            Some(f) if f.array || f.kind == "nested" => {}
            Some(_) => problems.push(format!("{path}: an array where ECS wants one value")),
            None => problems.push(format!("{path}: not an ECS field")),
        }
        for x in items {
            walk_one(path, x, field, ecs, problems);
        }
        return;
    }
    walk_one(path, v, field, ecs, problems);
}

fn walk_one(
    path: &str,
    v: &Value,
    field: Option<&EcsField>,
    ecs: &BTreeMap<String, EcsField>,
    problems: &mut Vec<String>,
) {
    if let Value::Object(map) = v {
        if let Some(f) = field
            && f.kind != "object"
            && f.kind != "nested"
        {
            if f.kind != "flattened" {
                problems.push(format!("{path}: an object where ECS has {}", f.kind));
            }
            return;
        }
        for (k, x) in map {
            walk(&format!("{path}.{k}"), x, ecs, problems);
        }
        return;
    }
    let Some(f) = field else {
        problems.push(format!("{path}: not an ECS field ({v})"));
        return;
    };
    if !fits(&f.kind, v) {
        problems.push(format!("{path}: {v} does not fit ECS type {}", f.kind));
    }
    for (list, what) in [(&f.allowed, "allowed"), (&f.expected, "expected")] {
        if !list.is_empty() && !v.as_str().is_some_and(|s| list.iter().any(|a| a == s)) {
            problems.push(format!(
                "{path}: {v} is not among the {what} values {list:?}"
            ));
        }
    }
}

fn jsonl(args: &[&OsStr]) -> std::process::Output {
    let mut all: Vec<&OsStr> = vec!["scan".as_ref(), "--format".as_ref(), "jsonl".as_ref()];
    all.extend_from_slice(args);
    run(all)
}

/// An IIS log with the columns that have ECS homes, and hostile values in them.
fn hostile_iis(dir: &Path) -> std::path::PathBuf {
    let long_query = format!("q={}", "A".repeat(300 * 1024));
    let fields = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Cookie) cs(Referer) sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken X-Forwarded-For";
    let same =
        "2025-07-19 07:13:02 10.20.0.15 GET /a.aspx - 443 - 198.51.100.7 UA - - 200 0 0 10 20 5 -";
    let text = format!(
        "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n{fields}\r\n\
         2025-07-19 07:13:01 10.20.0.15 POST /x.aspx {long_query} 443 CONTOSO\\jdoe 198.51.100.7 Mozilla/5.0 ASP.NET_SessionId=s3cr3tsess;+auth=t0ps3cr3t - 2OO 0 0 1234 567 89 203.0.113.5,+10.0.0.1\r\n\
         {same}\r\n{same}\r\n\
         2025-07-19 07:13:03 10.20.0.15 GET /b.aspx - 443 - 2001:db8:bad::17 UA - - 404 0 0 10 20 5 -\r\n"
    );
    write(dir, "iis/u_ex250719.log", text.as_bytes())
}

/// An inert YARA rule of ours that fires on [`PHP_SHELL`].
const YARA_PROBE: &[u8] = b"rule Inert_Ecs_Probe : webshell probe {
  meta:
    description = \"shellsweep test rule\"
    author = \"shellsweep tests\"
    reference = \"https://example.invalid/yara\"
    score = 85
  strings:
    $eval = \"@eval($_POST\"
  condition:
    $eval
}
";

/// Everything the output can hold, from runs over the fixtures and the hostile log.
struct Runs {
    lines: Vec<Value>,
    hostile: Vec<Value>,
}

fn runs(dir: &Path) -> Runs {
    let www = dir.join("www");
    write(&www, "shell.php", PHP_SHELL);
    write(&www, "big.php", &vec![b'a'; 4096]);
    let missing = dir.join("gone");
    let state = dir.join("s.json");
    let iocs = write(dir, "iocs.txt", b"198.51.100.7\n2001:db8:bad::/48\n");
    let hostile = hostile_iis(dir);
    let fixtures = repo().join("fixtures");
    let mut lines = Vec::new();
    let mut add = |out: std::process::Output| {
        assert!(code(&out) <= 2, "{}", stderr(&out));
        let l = json_lines(&out);
        lines.extend(l.clone());
        l
    };
    // Files, logs (IIS, ULS with and without a given offset, combined) and IOC lists.
    for list in std::fs::read_dir(fixtures.join("iocs")).unwrap() {
        let list = list.unwrap().path();
        add(jsonl(&[
            "--hash".as_ref(),
            "--hunt".as_ref(),
            "--ioc".as_ref(),
            list.as_os_str(),
            fixtures.as_os_str(),
        ]));
    }
    add(jsonl(&[
        "--uls-utc-offset".as_ref(),
        "+02:00".as_ref(),
        fixtures.join("logs").as_os_str(),
        repo().join("tests/corpus").as_os_str(),
    ]));
    // Errors and skips; carried-over findings.
    add(jsonl(&[
        "--max-filesize".as_ref(),
        "1K".as_ref(),
        "--skip-missing".as_ref(),
        www.as_os_str(),
        missing.as_os_str(),
    ]));
    add(jsonl(&["-j".as_ref(), "1".as_ref(), missing.as_os_str()]));
    for _ in 0..2 {
        add(jsonl(&[
            "--state".as_ref(),
            state.as_os_str(),
            www.as_os_str(),
        ]));
    }
    // A YARA finding: its rule, meta and tags come from the YARA file.
    if cfg!(feature = "yara") {
        let rule = write(dir, "inert.yar", YARA_PROBE);
        add(jsonl(&[
            "--yara".as_ref(),
            rule.as_os_str(),
            www.as_os_str(),
        ]));
    }
    let hostile = add(jsonl(&[
        "--ioc".as_ref(),
        iocs.as_os_str(),
        hostile.as_os_str(),
    ]));
    Runs { lines, hostile }
}

#[test]
fn every_line_conforms_to_ecs() {
    let ecs = ecs_fields();
    assert!(ecs.len() > 1500, "{} fields read", ecs.len());
    assert_eq!(ecs["event.kind"].allowed.len(), 8, "allowed values read");
    assert!(ecs["threat.enrichments"].array);
    assert!(ecs["host.os.type"].expected.contains(&"linux".to_owned()));
    assert_eq!(
        ecs["event.category"].expected_types["web"],
        ["access", "error", "info"]
    );
    let dir = tempfile::tempdir().unwrap();
    let runs = runs(dir.path());
    let mut kinds = BTreeSet::new();
    let mut problems = BTreeSet::new();
    for l in &runs.lines {
        assert_eq!(l["ecs"]["version"], "9.4.0", "{l}");
        let run_id = l["shellsweep"]["run_id"].as_str().unwrap();
        assert_eq!(run_id.len(), 32);
        assert_eq!(l["agent"]["ephemeral_id"], run_id);
        assert!(l["host"]["hostname"].is_string() && l["host"]["os"]["platform"].is_string());
        assert!(l["event"]["created"].is_string());
        let kind = match (
            l["event"]["dataset"].as_str().unwrap(),
            l["shellsweep"]["carried_over"] == true,
            l["threat"]["enrichments"].is_array(),
        ) {
            (_, true, _) => "carried".to_owned(),
            (d, _, true) => format!("{d} ioc"),
            (d, _, _) => d.to_owned(),
        };
        kinds.insert(kind);
        problems.extend(check(l, &ecs));
    }
    assert_eq!(
        kinds,
        [
            "carried",
            "shellsweep.correlation",
            "shellsweep.file",
            "shellsweep.file ioc",
            "shellsweep.log",
            "shellsweep.log ioc",
            "shellsweep.pivot",
            "shellsweep.scan",
            "shellsweep.summary"
        ]
        .map(str::to_owned)
        .into_iter()
        .collect()
    );
    for action in ["file_error", "file_skipped"] {
        assert!(
            runs.lines.iter().any(|l| l["event"]["action"] == action),
            "{action} lines checked"
        );
    }
    assert!(problems.is_empty(), "not ECS: {problems:#?}");
    if cfg!(feature = "yara") {
        assert!(
            runs.lines.iter().any(
                |l| l["rule"]["ruleset"] == "inert.yar" && l["rule"]["id"] == "Inert_Ecs_Probe"
            ),
            "a YARA finding was checked"
        );
    }

    // The checker finds what is wrong.
    let bad = serde_json::json!({
        "event": {"kind": "finding", "severity_name": "high", "risk_score": "high"},
        "http": {"response": {"status_code": "2OO"}},
        "source": {"ip": "not-an-ip"},
        "host": {"name": ["a", "b"]},
        "shellsweep": {"anything": 1},
    });
    let found = check(&bad, &ecs);
    for p in [
        "event.kind",
        "event.severity_name",
        "event.risk_score",
        "http.response.status_code",
        "source.ip",
        "host.name",
    ] {
        assert!(found.iter().any(|f| f.starts_with(p)), "{p} in {found:#?}");
    }
    assert_eq!(found.len(), 6, "{found:#?}");

    hostile_log_fields(&runs.hostile, dir.path());
}

fn hostile_log_fields(lines: &[Value], dir: &Path) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    // Cookie values are nowhere; their names are.
    assert!(!text.contains("s3cr3tsess") && !text.contains("t0ps3cr3t"));
    let run_ids: BTreeSet<&str> = lines
        .iter()
        .map(|l| l["shellsweep"]["run_id"].as_str().unwrap())
        .collect();
    assert_eq!(run_ids.len(), 1, "one run id per run, summary included");
    let (findings, _summary): (Vec<&Value>, Vec<&Value>) =
        lines.iter().partition(|l| l["event"]["kind"] == "alert");
    let at = |line: u64| -> &Value {
        findings
            .iter()
            .find(|f| f["shellsweep"]["log"]["line"] == line && f["rule"]["id"] == "SSW-IOC-IP")
            .unwrap_or_else(|| panic!("a finding on line {line}: {text}"))
    };
    let big = at(4);
    let log_path = dir.join("iis/u_ex250719.log");
    assert_eq!(big["log"]["file"]["path"], log_path.to_str().unwrap());
    assert!(
        text.lines().all(|l| l.len() < 64 * 1024),
        "a 300 KB query makes no line of that size"
    );
    assert_eq!(big["url"]["query"].as_str().unwrap().len(), 8 * 1024);
    let cut: Vec<&str> = big["shellsweep"]["truncated_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        cut,
        [
            "event.original",
            "shellsweep.log.fields.cs-uri-query",
            "url.query"
        ]
    );
    assert_eq!(
        big["shellsweep"]["log"]["fields"]["cs-cookie"],
        "ASP.NET_SessionId=[redacted];auth=[redacted]"
    );
    // A status that is no number is left out of ECS, and kept as logged.
    assert!(big["http"]["response"]["status_code"].is_null(), "{big}");
    assert_eq!(big["shellsweep"]["log"]["fields"]["sc-status"], "2OO");
    assert_eq!(big["http"]["response"]["bytes"], 1234);
    assert_eq!(big["http"]["request"]["bytes"], 567);
    assert_eq!(big["event"]["duration"], 89_000_000);
    assert_eq!(big["destination"]["ip"], "10.20.0.15");
    assert_eq!(big["destination"]["port"], 443);
    assert_eq!(big["network"]["forwarded_ip"], "203.0.113.5");
    assert_eq!(big["user"]["name"], "jdoe");
    assert_eq!(big["user"]["domain"], "CONTOSO");
    assert_eq!(
        big["related"]["ip"],
        serde_json::json!(["198.51.100.7", "10.20.0.15", "203.0.113.5"])
    );
    assert_eq!(
        big["threat"]["enrichments"][0]["matched"]["field"],
        "source.ip"
    );
    assert_eq!(big["event"]["risk_score"], 60, "an IOC at high");

    // Two identical lines, two ids.
    let (a, b) = (at(5), at(6));
    assert_eq!(a["event"]["original"], b["event"]["original"]);
    assert_ne!(a["event"]["id"], b["event"]["id"]);

    // An IPv6 CIDR is an IPv6 indicator.
    let v6 = at(7);
    let e = &v6["threat"]["enrichments"][0];
    assert_eq!(e["indicator"]["type"], "ipv6-addr");
    assert_eq!(e["indicator"]["name"], "2001:db8:bad::/48");
    assert_eq!(e["matched"]["atomic"], "2001:db8:bad::17");
    assert_eq!(v6["http"]["response"]["status_code"], 404);
}

#[test]
fn uls_times_name_their_zone_and_whether_it_was_assumed() {
    let out = jsonl(&["fixtures/logs/sharepoint".as_ref()]);
    let (findings, _) = findings_and_summary(&out);
    assert!(!findings.is_empty());
    for f in &findings {
        assert_eq!(f["shellsweep"]["log"]["timezone_assumed"], true, "{f}");
        assert!(
            f["event"]["timezone"]
                .as_str()
                .is_some_and(|z| !z.is_empty() && !z.contains(' '))
        );
        assert!(f["log"]["level"].is_string(), "{f}");
    }
    let out = jsonl(&[
        "--uls-utc-offset".as_ref(),
        "-05:30".as_ref(),
        "fixtures/logs/sharepoint".as_ref(),
    ]);
    let (findings, _) = findings_and_summary(&out);
    for f in &findings {
        assert_eq!(f["event"]["timezone"], "-05:30");
        assert_eq!(f["shellsweep"]["log"]["timezone_assumed"], false);
    }
}

#[test]
fn paths_are_absolute_and_ids_do_not_depend_on_how_they_were_typed() {
    let typed = [
        "fixtures/webroot/var/www/html/wp-content/plugins".to_owned(),
        "./fixtures/webroot/var/www/html/wp-content/plugins/".to_owned(),
        repo()
            .join("fixtures/webroot/var/www/html/wp-content/plugins")
            .display()
            .to_string(),
    ];
    let mut seen: Vec<BTreeMap<String, String>> = Vec::new();
    for t in &typed {
        let (findings, _) = findings_and_summary(&jsonl(&[t.as_ref()]));
        assert!(!findings.is_empty());
        seen.push(
            findings
                .iter()
                .map(|f| {
                    let path = f["file"]["path"].as_str().unwrap().to_owned();
                    assert!(Path::new(&path).is_absolute(), "{path}");
                    assert!(Path::new(&path).is_file(), "{path} names the file");
                    (f["event"]["id"].as_str().unwrap().to_owned(), path)
                })
                .collect(),
        );
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0], seen[2]);
}

#[test]
fn each_run_has_its_own_id() {
    let ids: BTreeSet<String> = (0..2)
        .map(|_| {
            let (_, summary) = findings_and_summary(&jsonl(&["fixtures/benign".as_ref()]));
            summary["shellsweep"]["run_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 2);
}
