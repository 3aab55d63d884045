//! IOC list formats, `ioc check`, and file-side IOCs (hashes, names, paths).

mod common;

use common::*;
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
                f["event"]["severity_name"].as_str().unwrap().to_owned(),
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
    assert_eq!(
        hash_hit["threat"]["indicator"]["file"]["hash"]["sha256"],
        sha256
    );
    assert_eq!(
        hash_hit["threat"]["indicator"]["description"],
        "sha256 of the sample"
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
