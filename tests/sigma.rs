//! Sigma webserver rules (`--sigma`) through the built binary: which lines of IIS, ULS and
//! combined logs each rule finds, what a finding carries, and how rules that cannot load
//! are reported. The rules are small ones written for these tests.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

const UPLOAD_SHELL: &str = r#"title: Script posted to an upload folder
id: 0d7c1a52-7c0e-4b57-a7a5-3f3f0a000001
status: experimental
description: A POST to a PHP or ASPX file under an uploads folder.
references:
    - https://example.org/upload-shells
author: shellsweep tests
tags:
    - attack.persistence
    - attack.t1505.003
logsource:
    category: webserver
detection:
    selection_method:
        cs-method: POST
    selection_path:
        c-uri|contains: '/uploads/'
        c-uri-extension:
            - php
            - aspx
    condition: all of selection_*
falsepositives:
    - Upload handlers written as scripts in the upload folder
level: high
"#;

const TOOLPANE: &str = r#"title: ToolPane edit request with a SignOut referer
id: 0d7c1a52-7c0e-4b57-a7a5-3f3f0a000002
status: test
logsource:
    product: iis
detection:
    selection:
        c-uri: '*/_layouts/1?/ToolPane.aspx*DisplayMode=Edit*'
        cs-referer|re|i: '/_layouts/(\d+/)?signout\.aspx$'
    condition: selection
level: critical
"#;

const KEYWORD: &str = r#"title: whoami anywhere in a line, monitors aside
id: 0d7c1a52-7c0e-4b57-a7a5-3f3f0a000003
status: test
logsource:
    category: webserver
detection:
    keywords:
        - 'whoami'
        - 'net+user'
    filter:
        cs-user-agent|contains: HealthMonitor
    condition: keywords and not filter
level: medium
"#;

const TOOLS: &str = r#"title: Scanner user agents and encoded shell commands
id: 0d7c1a52-7c0e-4b57-a7a5-3f3f0a000004
status: test
logsource:
    product: apache
detection:
    selection_ua:
        cs-user-agent|startswith:
            - 'sqlmap/'
            - 'Nikto'
    selection_b64:
        cs-uri-query|base64offset|contains: '/bin/sh'
    selection_status:
        sc-status:
            - 200
            - 500
    condition: 1 of selection_u* or (selection_b64 and selection_status)
level: low
"#;

const PROXY: &str = r#"title: A proxy rule
id: 0d7c1a52-7c0e-4b57-a7a5-3f3f0a000005
logsource:
    category: proxy
detection:
    selection:
        c-uri|contains: '/x'
    condition: selection
level: high
"#;

const AGGREGATION: &str = r#"title: Many 404s from one client
id: 0d7c1a52-7c0e-4b57-a7a5-3f3f0a000006
logsource:
    category: webserver
detection:
    selection:
        sc-status: 404
    condition: selection | count() by c-ip > 50
level: medium
"#;

const IIS: &str = "#Software: Microsoft Internet Information Services 10.0\r\n\
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status\r\n\
2025-07-19 10:00:01 10.0.0.5 POST /site/uploads/a.php - 443 - 203.0.113.7 Mozilla/5.0 - 200\r\n\
2025-07-19 10:00:02 10.0.0.5 GET /site/uploads/a.php - 443 - 203.0.113.7 Mozilla/5.0 - 200\r\n\
2025-07-19 10:00:03 10.0.0.5 POST /site/uploads/logo.png - 443 - 203.0.113.7 Mozilla/5.0 - 200\r\n\
2025-07-19 10:00:04 10.0.0.5 POST /_layouts/15/ToolPane.aspx DisplayMode=Edit&a=/ToolPane.aspx 443 - 203.0.113.8 Mozilla/5.0 /_layouts/SignOut.aspx 200\r\n\
2025-07-19 10:00:05 10.0.0.5 POST /_layouts/15/ToolPane.aspx DisplayMode=Edit 443 - 203.0.113.8 Mozilla/5.0 /_layouts/Other.aspx 200\r\n\
2025-07-19 10:00:06 10.0.0.5 GET /cmd.aspx c=whoami 443 - 203.0.113.9 Mozilla/5.0 - 200\r\n\
2025-07-19 10:00:07 10.0.0.5 GET /health c=whoami 443 - 10.0.0.2 HealthMonitor/1.0 - 200\r\n\
2025-07-19 10:00:08 10.0.0.5 GET /cmd.aspx c=net+user 443 - 203.0.113.9 Mozilla/5.0 - 200\r\n";

const COMBINED: &str = "\
203.0.113.20 - - [19/Jul/2025:10:00:01 +0000] \"POST /wp-content/uploads/2025/x.PHP HTTP/1.1\" 200 12 \"-\" \"curl/8.0\"\n\
203.0.113.21 - - [19/Jul/2025:10:00:02 +0000] \"GET /index.php?id=1 HTTP/1.1\" 200 12 \"-\" \"sqlmap/1.7#stable\"\n\
203.0.113.22 - - [19/Jul/2025:10:00:03 +0000] \"GET /x.php?c=ZWNobyAvYmluL3No HTTP/1.1\" 500 12 \"-\" \"Mozilla/5.0\"\n\
203.0.113.22 - - [19/Jul/2025:10:00:04 +0000] \"GET /x.php?c=ZWNobyAvYmluL3No HTTP/1.1\" 404 12 \"-\" \"Mozilla/5.0\"\n\
203.0.113.23 - - [19/Jul/2025:10:00:05 +0000] \"GET /about HTTP/1.1\" 200 12 \"-\" \"Mozilla/5.0\"\n";

const ULS_HEADER: &str = "Timestamp              \tProcess                                 \tTID   \tArea                          \tCategory                      \tEventID\tLevel     \tMessage \tCorrelation\r\n";

fn uls_line(message: &str) -> String {
    format!(
        "07/19/2025 10:00:01.00 \tw3wp.exe (0x2A1C)                       \t0x3B40\tSharePoint Foundation         \tGeneral                       \txmnv\tMedium    \t{message}\t5b1e2f9a-0c11-4e7e-9d1a-000000000001\r\n"
    )
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (name, text) in [
        ("upload_shell.yml", UPLOAD_SHELL),
        ("toolpane.yml", TOOLPANE),
        ("keyword.yml", KEYWORD),
        ("tools.yml", TOOLS),
        ("other/proxy.yml", PROXY),
        ("other/aggregation.yml", AGGREGATION),
    ] {
        write(root, &format!("sigma/{name}"), text);
    }
    write(root, "logs/W3SVC1/u_ex250719.log", IIS);
    write(root, "logs/apache2/access.log", COMBINED);
    let uls = format!(
        "{ULS_HEADER}{}{}",
        uls_line("Name=Request (GET:https://portal:443/_layouts/15/start.aspx)"),
        uls_line("Process started: cmd.exe /c whoami")
    );
    write(root, "logs/ULS/SRV01-20250719-0000.log", &uls);
    dir
}

/// (log file name, line, rule id) of every finding.
fn rows(findings: &[serde_json::Value]) -> BTreeSet<(String, u64, String)> {
    findings
        .iter()
        .map(|f| {
            let path = f["log"]["file"]["path"].as_str().unwrap_or_default();
            let name = Path::new(path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let line = f["shellsweep"]["log"]["line"].as_u64().unwrap_or_default();
            (name, line, f["rule"]["id"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// `scan --no-bundled-rules --format jsonl --sigma RULES LOGS`: the Sigma rules alone.
fn scan_with_sigma(rules: &Path, logs: &Path) -> std::process::Output {
    common::run([
        "scan".as_ref(),
        "--no-bundled-rules".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--sigma".as_ref(),
        rules.as_os_str(),
        logs.as_os_str(),
    ])
}

fn id(n: u8) -> String {
    format!("0d7c1a52-7c0e-4b57-a7a5-3f3f0a00000{n}")
}

#[test]
fn sigma_rules_find_the_lines_they_describe() {
    let dir = setup();
    let root = dir.path();
    let out = scan_with_sigma(&root.join("sigma"), &root.join("logs"));
    let (findings, summary) = common::findings_and_summary(&out);
    // The summary counts each language apart, and what became of the Sigma files.
    let sets = &summary["shellsweep"]["summary"]["rule_sets"];
    assert_eq!(sets["shellsweep"], 0, "{sets}");
    assert_eq!(
        sets["sigma"],
        serde_json::json!({"loaded": 4, "not_applicable": 1, "refused": 1, "with_errors": 0})
    );
    assert!(sets.get("yara").is_none(), "{sets}");
    assert_eq!(summary["shellsweep"]["summary"]["rules_loaded"], 4);
    let got = rows(&findings);
    let iis = "u_ex250719.log";
    let apache = "access.log";
    let uls = "SRV01-20250719-0000.log";
    let want: BTreeSet<(String, u64, String)> = [
        // POST to a script under /uploads/ (not a GET, not a .png).
        (iis, 3, id(1)),
        (apache, 1, id(1)),
        // ToolPane with DisplayMode=Edit and the SignOut referer; not with another referer.
        (iis, 6, id(2)),
        // Keywords anywhere in the line, monitors aside; in ULS lines too.
        (iis, 8, id(3)),
        (iis, 10, id(3)),
        (uls, 3, id(3)),
        // A scanner user agent; base64 of /bin/sh in the query with status 500, not 404.
        (apache, 2, id(4)),
        (apache, 3, id(4)),
    ]
    .into_iter()
    .map(|(f, l, r)| (f.to_owned(), l, r))
    .collect();
    assert_eq!(got, want, "{}", common::stderr(&out));
    let stderr = common::stderr(&out);
    assert!(
        stderr.contains(
            "Sigma: 4 loaded, 1 not applicable (1 category: proxy), 1 refused (each named above, SSW-W006)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("aggregation.yml:8:16: warning: Sigma rule not loaded: an aggregation"),
        "{stderr}"
    );
    assert_eq!(common::code(&out), 1, "findings: exit 1");
}

#[test]
fn a_sigma_finding_carries_the_rule() {
    let dir = setup();
    let root = dir.path();
    let out = scan_with_sigma(
        &root.join("sigma/upload_shell.yml"),
        &root.join("logs/apache2"),
    );
    let (findings, _) = common::findings_and_summary(&out);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(f["rule"]["id"], id(1));
    assert_eq!(f["rule"]["name"], "Script posted to an upload folder");
    assert_eq!(f["rule"]["ruleset"], "sigma");
    assert_eq!(f["rule"]["author"], serde_json::json!(["shellsweep tests"]));
    assert_eq!(f["rule"]["reference"], "https://example.org/upload-shells");
    assert_eq!(f["shellsweep"]["severity_name"], "high");
    assert_eq!(f["shellsweep"]["rule_status"], "experimental");
    assert_eq!(
        f["shellsweep"]["falsepositives"][0],
        "Upload handlers written as scripts in the upload folder"
    );
    assert_eq!(
        f["tags"],
        serde_json::json!(["attack.persistence", "attack.t1505.003"])
    );
}

#[test]
fn rules_check_reports_refusals_and_errors_per_rule() {
    let dir = setup();
    let root = dir.path();
    write(
        root,
        "bad/undefined.yml",
        "title: t\nlogsource: {category: webserver}\ndetection:\n  selection: {cs-method: POST}\n  condition: selection and exploit\n",
    );
    let ok = common::run([
        "rules".as_ref(),
        "check".as_ref(),
        "--no-bundled-rules".as_ref(),
        "--sigma".as_ref(),
        root.join("sigma").as_os_str(),
    ]);
    assert_eq!(common::code(&ok), 0, "a refusal is a warning");
    let stderr = common::stderr(&ok);
    assert!(stderr.contains("[SSW-W006]"), "{stderr}");
    assert!(
        stderr.contains("4 rules checked, 0 errors, 1 warnings"),
        "{stderr}"
    );
    let bad = common::run([
        "rules".as_ref(),
        "check".as_ref(),
        "--no-bundled-rules".as_ref(),
        "--sigma".as_ref(),
        root.join("bad").as_os_str(),
    ]);
    assert_eq!(common::code(&bad), 2, "a broken rule is an error");
    assert!(
        common::stderr(&bad).contains(
            "undefined.yml:5:14: error: the condition names `exploit`, which the detection does not define [SSW-E041]"
        ),
        "{}",
        common::stderr(&bad)
    );
}

#[test]
fn rules_list_and_show_take_sigma_rules() {
    let dir = setup();
    let root = dir.path();
    let sigma = root.join("sigma");
    let list = common::run([
        "rules".as_ref(),
        "list".as_ref(),
        "--no-bundled-rules".as_ref(),
        "--sigma".as_ref(),
        sigma.as_os_str(),
    ]);
    assert_eq!(common::code(&list), 0, "{}", common::stderr(&list));
    let listed = String::from_utf8(list.stdout).unwrap();
    assert_eq!(listed.matches("0d7c1a52-").count(), 4, "{listed}");
    let show = common::run([
        "rules".as_ref(),
        "show".as_ref(),
        id(2).as_ref(),
        "--no-bundled-rules".as_ref(),
        "--sigma".as_ref(),
        sigma.as_os_str(),
    ]);
    assert_eq!(common::code(&show), 0, "{}", common::stderr(&show));
    let shown = String::from_utf8(show.stdout).unwrap();
    assert!(shown.contains("c-uri|re"), "{shown}");
}

/// IIS writes a space in a user agent as `+`; a combined log writes the agent as the client
/// sent it, so there a `+` is a plus (as pySigma reads the same records).
#[test]
fn plus_reads_as_a_space_in_iis_logs_only() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "sigma/ffuf.yml",
        "title: ffuf\nid: 0d7c1a52-7c0e-4b57-a7a5-3f3f0a000009\nlogsource: {category: webserver}\n\
         detection:\n  s:\n    cs-user-agent|contains: 'Fuzz Faster U Fool'\n  condition: s\nlevel: low\n",
    );
    write(
        root,
        "logs/W3SVC1/u_ex250719.log",
        "#Fields: date time cs-method cs-uri-stem c-ip cs(User-Agent) sc-status\n\
         2025-07-19 10:00:01 GET /a 203.0.113.7 Fuzz+Faster+U+Fool/2.1 404\n",
    );
    write(
        root,
        "logs/apache2/access.log",
        "203.0.113.7 - - [19/Jul/2025:10:00:01 +0000] \"GET /a HTTP/1.1\" 404 1 \"-\" \"Fuzz+Faster+U+Fool/2.1\"\n\
         203.0.113.7 - - [19/Jul/2025:10:00:02 +0000] \"GET /a HTTP/1.1\" 404 1 \"-\" \"Fuzz Faster U Fool/2.1\"\n",
    );
    let out = scan_with_sigma(&root.join("sigma"), &root.join("logs"));
    let (findings, _) = common::findings_and_summary(&out);
    let want: BTreeSet<(String, u64, String)> = [("u_ex250719.log", 2), ("access.log", 2)]
        .into_iter()
        .map(|(f, l)| (f.to_owned(), l, id(9)))
        .collect();
    assert_eq!(rows(&findings), want, "{}", common::stderr(&out));
}
