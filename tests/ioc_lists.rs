//! IOC list formats, `ioc check`, and file-side IOCs (hashes, names, paths).

mod common;

use common::*;
use serde_json::Value;
use sha2::Digest;

#[test]
fn ioc_check_reports_kinds_and_unusable_lines_with_numbers() {
    let check = |f: &str| {
        let out = run(["ioc", "check", f]);
        (code(&out), String::from_utf8(out.stdout).unwrap())
    };
    let (c, text) = check("fixtures/iocs/toolshell-stix.json");
    assert_eq!(c, 0, "unsupported patterns warn only");
    assert!(text.contains("stix-2.1 list, 4 indicators: ipv4 1, domain 1, url 1, sha256 1, 0 malformed, 2 unsupported"), "{text}");
    assert!(
        text.contains(":8: unsupported:") && text.contains("`AND`"),
        "{text}"
    );
    assert!(
        text.contains(":11: unsupported:") && text.contains("FOLLOWEDBY"),
        "{text}"
    );

    let (c, text) = check("fixtures/iocs/misp-export.csv");
    assert_eq!(c, 2);
    assert!(
        text.contains("csv list, 4 indicators: ipv4 2, sha256 1, file_name 1"),
        "{text}"
    );
    assert!(
        text.contains("misp-export.csv:5: unsupported: not for detection (to_ids is 0)"),
        "{text}"
    );
    assert!(text.contains("misp-export.csv:7: error:"), "{text}");

    let (c, text) = check("fixtures/iocs/hash-iocs.txt");
    assert_eq!(c, 2);
    assert!(
        text.contains("loki-hash list, 2 indicators: sha256 2"),
        "{text}"
    );
    assert!(
        text.contains("hash-iocs.txt:5: unsupported: score 20"),
        "{text}"
    );
    assert!(text.contains("hash-iocs.txt:6: error:"), "{text}");

    let (c, text) = check("fixtures/iocs/filename-iocs.txt");
    assert_eq!(c, 2);
    assert!(
        text.contains("loki-filename list, 2 indicators: path_regex 2"),
        "{text}"
    );
    assert!(text.contains("filename-iocs.txt:7: error:"), "{text}");

    let (c, text) = check("fixtures/iocs/c2-iocs.txt");
    assert_eq!(c, 0);
    assert!(
        text.contains("loki-c2 list, 2 indicators: ipv4 1, domain 1"),
        "{text}"
    );
}

#[test]
fn stix_and_misp_indicators_match_log_records() {
    for list in [
        "fixtures/iocs/toolshell-stix.json",
        "fixtures/iocs/misp-export.csv",
    ] {
        let out = run([
            "scan",
            "--format",
            "jsonl",
            "--ioc",
            list,
            "fixtures/logs/iis",
        ]);
        let (findings, _) = findings_and_summary(&out);
        let ioc_lines: Vec<u64> = findings
            .iter()
            .filter(|f| f["rule"]["id"] == "SSW-IOC-IP")
            .map(|f| f["shellsweep"]["log"]["line"].as_u64().unwrap())
            .collect();
        assert_eq!(ioc_lines, [6, 7], "{list}");
    }
}

#[test]
fn hashes_names_and_paths_on_files() {
    let dir = tempfile::tempdir().unwrap();
    let body = b"<% inert sample for hash matching %>\n";
    write(dir.path(), "site/a.aspx", body);
    write(dir.path(), "site/b.aspx", body);
    write(
        dir.path(),
        "TEMPLATE/LAYOUTS/spinstall0.aspx",
        b"<% another inert sample %>\n",
    );
    write(dir.path(), "site/ghostfile12.aspx", b"x");
    let md5 = hex(&md5::Md5::digest(body));
    let sha1 = hex(&sha1::Sha1::digest(body));
    let sha256 = hex(&sha2::Sha256::digest(body));
    let lists = tempfile::tempdir().unwrap();
    let hashes = write(lists.path(), "hash-iocs.txt", format!("{md5};90;md5 of the sample\n{sha1};sha1 of the sample\n{sha256};70;sha256 of the sample\n").as_bytes());
    let names = write(
        lists.path(),
        "filename-iocs.txt",
        b"# ToolShell drops\n\\\\TEMPLATE\\\\LAYOUTS\\\\spinstall[0-9]?\\.aspx;85\n",
    );
    let plain = write(
        lists.path(),
        "names.txt",
        b"*/site/ghostfile*.aspx\nb.aspx\n",
    );
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--ioc".as_ref(),
        hashes.as_os_str(),
        "--ioc".as_ref(),
        names.as_os_str(),
        "--ioc".as_ref(),
        plain.as_os_str(),
        dir.path().as_os_str(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let (findings, _) = findings_and_summary(&out);
    let mut got: Vec<(String, String, String, String)> = findings
        .iter()
        .map(|f| {
            let p = f["file"]["path"].as_str().unwrap();
            (
                p.rsplit('/').next().unwrap().to_owned(),
                f["rule"]["id"].as_str().unwrap().to_owned(),
                f["shellsweep"]["ioc"]["field"].as_str().unwrap().to_owned(),
                f["shellsweep"]["severity_name"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    got.sort();
    let want: Vec<(String, String, String, String)> = [
        ("a.aspx", "SSW-IOC-HASH", "file.hash.md5", "high"),
        ("a.aspx", "SSW-IOC-HASH", "file.hash.sha1", "high"),
        ("a.aspx", "SSW-IOC-HASH", "file.hash.sha256", "medium"),
        ("b.aspx", "SSW-IOC-FILENAME", "file.name", "high"),
        ("b.aspx", "SSW-IOC-HASH", "file.hash.md5", "high"),
        ("b.aspx", "SSW-IOC-HASH", "file.hash.sha1", "high"),
        ("b.aspx", "SSW-IOC-HASH", "file.hash.sha256", "medium"),
        ("ghostfile12.aspx", "SSW-IOC-PATH", "file.path", "high"),
        ("spinstall0.aspx", "SSW-IOC-PATH", "file.path", "high"),
    ]
    .iter()
    .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
    .collect();
    assert_eq!(got, want);
    let hash_hit = findings
        .iter()
        .find(|f| f["shellsweep"]["ioc"]["field"] == "file.hash.sha256")
        .unwrap();
    let enrichment = &hash_hit["threat"]["enrichments"][0];
    assert_eq!(enrichment["indicator"]["file"]["hash"]["sha256"], sha256);
    assert_eq!(enrichment["indicator"]["name"], sha256);
    assert_eq!(enrichment["indicator"]["type"], "file");
    assert_eq!(
        enrichment["indicator"]["description"],
        "sha256 of the sample"
    );
    assert_eq!(enrichment["matched"]["atomic"], sha256);
    assert_eq!(enrichment["matched"]["field"], "file.hash.sha256");
    assert_eq!(enrichment["matched"]["type"], "indicator_match_rule");
    assert!(
        hash_hit["threat"]["indicator"].is_null(),
        "only enrichments"
    );
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn hash_adds_md5_and_sha1_to_file_findings() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.php", PHP_SHELL);
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--hash".as_ref(),
        dir.path().as_os_str(),
    ]);
    let (findings, _) = findings_and_summary(&out);
    assert!(!findings.is_empty());
    for f in &findings {
        assert_eq!(f["file"]["hash"]["md5"], hex(&md5::Md5::digest(PHP_SHELL)));
        assert_eq!(
            f["file"]["hash"]["sha1"],
            hex(&sha1::Sha1::digest(PHP_SHELL))
        );
        assert_eq!(
            f["file"]["hash"]["sha256"],
            hex(&sha2::Sha256::digest(PHP_SHELL))
        );
    }
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        dir.path().as_os_str(),
    ]);
    let (findings, _) = findings_and_summary(&out);
    assert!(
        findings[0]["file"]["hash"]["md5"].is_null(),
        "only SHA-256 without --hash"
    );
}

/// Runs the binary under test, or the one `SHELLSWEEP_BIN` names (to check that a test
/// fails on an older build).
fn sweep<I, S>(args: I) -> std::process::Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    match std::env::var_os("SHELLSWEEP_BIN") {
        Some(b) => std::process::Command::new(b)
            .current_dir(repo())
            .args(args)
            .output()
            .expect("run shellsweep"),
        None => run(args),
    }
}

/// An nginx log whose one record has `cdn.evil.example` as its referer.
fn referer_log(dir: &std::path::Path) -> std::path::PathBuf {
    write(
        dir,
        "logs/access.log",
        b"192.0.2.7 - - [21/Jul/2025:06:00:01 +0000] \"GET /index.html HTTP/1.1\" 200 88 \"https://cdn.evil.example/x\" \"Mozilla/5.0\"\n",
    );
    dir.join("logs")
}

/// `(exit code, indicator values matched, summary)` of a JSONL scan of `target` with `list`.
fn ioc_scan(list: &std::path::Path, target: &std::path::Path) -> (i32, Vec<String>, Value) {
    let out = sweep([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--ioc".as_ref(),
        list.as_os_str(),
        target.as_os_str(),
    ]);
    let (findings, summary) = findings_and_summary(&out);
    let matched = findings
        .iter()
        .filter_map(|f| {
            f["shellsweep"]["ioc"]["matched"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    (code(&out), matched, summary)
}

#[test]
fn wildcard_domains_match_subdomains_and_ioc_check_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let logs = referer_log(dir.path());
    for line in ["*.evil.example", ".evil.example", "*.EVIL.example."] {
        let list = write(dir.path(), "wild.txt", format!("{line}\n").as_bytes());
        let (c, matched, summary) = ioc_scan(&list, &logs);
        assert_eq!(c, 1, "{line}");
        assert_eq!(matched, ["cdn.evil.example"], "{line}");
        assert_eq!(summary["shellsweep"]["summary"]["indicators"]["domain"], 1);
        let out = sweep(["ioc".as_ref(), "check".as_ref(), list.as_os_str()]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(code(&out), 0, "{text}");
        assert!(
            text.contains("1 indicators: domain 1, 0 malformed"),
            "{text}"
        );
        assert!(
            text.contains("1 wildcard domain") && text.contains("every subdomain"),
            "{text}"
        );
    }
    // A wildcard over a file extension stays a path glob; a sibling domain is no match.
    let list = write(dir.path(), "wild.txt", b"*.shell.aspx\n*.notevil.example\n");
    let out = sweep(["ioc".as_ref(), "check".as_ref(), list.as_os_str()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("domain 1, path_glob 1"), "{text}");
    let (c, matched, _) = ioc_scan(&list, &logs);
    assert_eq!((c, matched.len()), (0, 0));
}

#[test]
fn a_list_that_gives_no_indicator_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let logs = referer_log(dir.path());
    for (name, body, says) in [
        (
            "bad.txt",
            &b"nothing here\nneither\n"[..],
            "no usable indicator in the IOC list (2 entries rejected",
        ),
        ("empty.txt", b"", "holds no indicator"),
        (
            "comments.txt",
            b"# only a comment\n\n",
            "holds no indicator",
        ),
    ] {
        let list = write(dir.path(), name, body);
        let out = sweep([
            "scan".as_ref(),
            "--format".as_ref(),
            "jsonl".as_ref(),
            "--ioc".as_ref(),
            list.as_os_str(),
            logs.as_os_str(),
        ]);
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{name}: {err}");
        assert!(err.contains(name) && err.contains(says), "{name}: {err}");
        assert!(out.stdout.is_empty(), "refused before scanning: {name}");
        let out = sweep(["ioc".as_ref(), "check".as_ref(), list.as_os_str()]);
        assert_eq!(code(&out), 2, "{name}");
    }
    // One usable line is enough: the rest is reported and counted.
    let list = write(dir.path(), "mixed.txt", b"nothing here\nevil.example\n");
    let (c, matched, summary) = ioc_scan(&list, &logs);
    assert_eq!((c, matched.len()), (1, 1));
    assert_eq!(summary["shellsweep"]["summary"]["ioc_lines_rejected"], 1);
}

#[test]
fn utf16_and_bom_lists_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let logs = referer_log(dir.path());
    let text = "# from PowerShell\r\n192.0.2.7\r\nevil.example\r\n";
    let utf16 = |le: bool, bom: bool| {
        let mut b: Vec<u8> = Vec::new();
        let units = (if bom { Some(0xFEFFu16) } else { None })
            .into_iter()
            .chain(text.encode_utf16());
        for u in units {
            b.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        b
    };
    let mut utf8_bom = b"\xEF\xBB\xBF".to_vec();
    utf8_bom.extend(text.as_bytes());
    for (name, body) in [
        ("utf16le.txt", utf16(true, true)),
        ("utf16be.txt", utf16(false, true)),
        ("utf16le-nobom.txt", utf16(true, false)),
        ("utf8bom.txt", utf8_bom),
    ] {
        let list = write(dir.path(), name, &body);
        let out = sweep(["ioc".as_ref(), "check".as_ref(), list.as_os_str()]);
        let checked = String::from_utf8_lossy(&out.stdout);
        assert_eq!(code(&out), 0, "{name}: {checked}");
        assert!(
            checked.contains("2 indicators: ipv4 1, domain 1, 0 malformed"),
            "{name}: {checked}"
        );
        let (c, mut matched, summary) = ioc_scan(&list, &logs);
        matched.sort();
        assert_eq!(c, 1, "{name}");
        assert_eq!(matched, ["192.0.2.7", "cdn.evil.example"], "{name}");
        assert_eq!(
            summary["shellsweep"]["summary"]["indicators"],
            serde_json::json!({"ipv4": 1, "domain": 1}),
            "{name}"
        );
    }
}

#[test]
fn the_summary_counts_indicators_by_kind() {
    let out = sweep([
        "scan",
        "--format",
        "jsonl",
        "--ioc",
        "fixtures/iocs/toolshell.txt",
        "--ioc",
        "fixtures/iocs/hash-iocs.txt",
        "fixtures/logs/nginx",
    ]);
    let (_, summary) = findings_and_summary(&out);
    assert_eq!(
        summary["shellsweep"]["summary"]["indicators"],
        serde_json::json!({"ipv4": 3, "cidr": 2, "domain": 2, "sha256": 3})
    );
    assert_eq!(summary["shellsweep"]["summary"]["indicators_loaded"], 10);
    let out = sweep([
        "scan",
        "--ioc",
        "fixtures/iocs/toolshell.txt",
        "fixtures/logs/nginx",
    ]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &stderr(&out);
    assert!(
        text.contains("8 indicators (cidr 2, domain 2, ipv4 3, sha256 1)"),
        "{text}"
    );
}

#[test]
fn an_ioc_list_alone_is_enough_to_sweep_with() {
    let dir = tempfile::tempdir().unwrap();
    let logs = referer_log(dir.path());
    let body = b"<% inert sample for hash matching %>\n";
    write(dir.path(), "site/a.aspx", body);
    write(dir.path(), "site/spinstall0.aspx", b"x");
    let list = write(
        dir.path(),
        "iocs.txt",
        format!(
            "{}\nspinstall0.aspx\n*.evil.example\n",
            hex(&sha2::Sha256::digest(body))
        )
        .as_bytes(),
    );
    let out = sweep([
        "scan".as_ref(),
        "--no-bundled-rules".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--ioc".as_ref(),
        list.as_os_str(),
        logs.as_os_str(),
        dir.path().join("site").as_os_str(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let (findings, summary) = findings_and_summary(&out);
    let mut rules: Vec<&str> = findings
        .iter()
        .map(|f| f["rule"]["id"].as_str().unwrap())
        .collect();
    rules.sort();
    assert_eq!(
        rules,
        ["SSW-IOC-DOMAIN", "SSW-IOC-FILENAME", "SSW-IOC-HASH"]
    );
    assert_eq!(summary["shellsweep"]["summary"]["rules_loaded"], 0);
    assert!(
        stderr(&out)
            .contains("no shellsweep rules loaded; matching the YARA rules and IOC lists given")
    );
    // Without a list there is still nothing to sweep with.
    let out = sweep([
        "scan".as_ref(),
        "--no-bundled-rules".as_ref(),
        logs.as_os_str(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no rules loaded"));
}

/// Behind a proxy that logs no client (`c-ip` is `-`), the address in X-Forwarded-For is
/// still matched, with or without its port; the server's own `s-ip` never is.
#[test]
fn forwarded_for_with_a_port_matches_when_the_client_field_is_a_dash() {
    let dir = tempfile::tempdir().unwrap();
    let fields = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port c-ip cs(User-Agent) sc-status time-taken X-Forwarded-For\n";
    let log = format!(
        "#Software: Microsoft Internet Information Services 10.0\n{fields}\
         2025-07-19 10:00:00 10.0.0.5 GET /a.aspx - 443 - Mozilla/5.0 200 15 203.0.113.77:5555\n\
         2025-07-19 10:00:01 10.0.0.5 GET /b.aspx - 443 - Mozilla/5.0 200 15 198.51.100.9\n"
    );
    write(dir.path(), "W3SVC1/u_ex250719.log", log.as_bytes());
    let list = dir.path().join("iocs.txt");
    std::fs::write(&list, "203.0.113.77\n10.0.0.5\n").unwrap();
    let (c, matched, summary) = ioc_scan(&list, &dir.path().join("W3SVC1"));
    assert_eq!(c, 1, "{summary}");
    assert_eq!(matched, ["203.0.113.77:5555"], "{summary}");
}
