//! Web-server logs through the built binary: formats, line numbers, IOC lists, time windows.

mod common;

use std::collections::BTreeSet;
use std::io::Write;

use common::*;
use serde_json::Value;

const IOC: &str = "fixtures/iocs/toolshell.txt";

/// Log rules marked `hunt: true`: loaded only with `--hunt`. Their rows in
/// logs-expected.tsv are expected only then.
const HUNT_RULES: &[&str] = &[
    "SSW-LOG-TOOLSHELL-004",
    "SSW-LOG-TOOLSHELL-007",
    "SSW-LOG-WEBSHELL-007",
];

/// The rows of fixtures/logs-expected.tsv, all of them (`hunt`) or those of the default rules.
fn expected_rows(hunt: bool) -> BTreeSet<(String, String, u64, String)> {
    let text = std::fs::read_to_string(repo().join("fixtures/logs-expected.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (
                c[0].to_owned(),
                c[1].to_owned(),
                c[2].parse().unwrap(),
                c[3].to_owned(),
            )
        })
        .filter(|(_, id, _, _)| hunt || !HUNT_RULES.contains(&id.as_str()))
        .collect()
}

fn expected() -> BTreeSet<(String, String, u64, String)> {
    expected_rows(false)
}

fn rows(findings: &[Value]) -> BTreeSet<(String, String, u64, String)> {
    findings
        .iter()
        .map(|f| {
            (
                rel(&f["log"]["file"]["path"]),
                f["rule"]["id"].as_str().unwrap().to_owned(),
                f["shellsweep"]["log"]["line"].as_u64().unwrap(),
                f["shellsweep"]["severity_name"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect()
}

fn scan_logs(extra: &[&str]) -> (Vec<Value>, Value, std::process::Output) {
    let mut args = vec!["scan", "--format", "jsonl", "--ioc", IOC];
    args.extend_from_slice(extra);
    let out = run(&args);
    let (f, s) = findings_and_summary(&out);
    (f, s, out)
}

#[test]
fn every_planted_line_is_found_at_its_line_and_nothing_else() {
    // IIS: BOM, CRLF, a #Fields change mid-file; combined: vhost, escapes; gzip with two
    // members; ULS in UTF-16 with a continuation line.
    let (findings, summary, out) = scan_logs(&["fixtures/logs"]);
    assert_eq!(code(&out), 1);
    assert_eq!(rows(&findings), expected());
    assert_eq!(findings.len(), expected().len(), "no duplicates");
    let s = &summary["shellsweep"]["summary"];
    assert_eq!(s["logs"]["logs_scanned"], 6);
    assert_eq!(s["indicators_loaded"], 8);
    assert_eq!(s["ioc_lines_rejected"], 1);
    assert!(
        stderr(&out).contains("toolshell.txt:13: error: not a single indicator"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn hunting_rules_load_only_with_hunt() {
    let listed = |extra: &[&str]| {
        let mut args = vec!["rules", "list"];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let (default, hunt) = (listed(&[]), listed(&["--hunt"]));
    for id in HUNT_RULES {
        assert!(!default.contains(id), "{id} listed without --hunt");
        assert!(hunt.contains(id), "{id} not listed with --hunt");
    }
    // Every planted line of a hunting rule is found with --hunt, and only then; the
    // default rules find the same as without it.
    let (findings, _, out) = scan_logs(&["--hunt", "fixtures/logs"]);
    assert_eq!(code(&out), 1);
    let all = expected_rows(true);
    assert!(all.len() > expected().len());
    assert_eq!(rows(&findings), all);
    assert_eq!(findings.len(), all.len(), "no duplicates");
}

#[test]
fn log_findings_carry_the_request() {
    let (findings, _, _) = scan_logs(&["fixtures/logs/iis"]);
    let f = findings
        .iter()
        .find(|f| f["rule"]["id"] == "SSW-LOG-TOOLSHELL-001")
        .unwrap();
    assert_eq!(
        f["event"]["category"],
        serde_json::json!(["intrusion_detection", "web"])
    );
    assert_eq!(f["event"]["start"], "2025-07-19T07:13:02.000Z");
    assert_eq!(f["source"]["ip"], "107.191.58.76");
    assert_eq!(f["url"]["path"], "/_layouts/15/ToolPane.aspx");
    assert_eq!(f["url"]["query"], "DisplayMode=Edit&a=/ToolPane.aspx");
    assert_eq!(f["http"]["request"]["method"], "POST");
    assert_eq!(f["http"]["request"]["referrer"], "/_layouts/SignOut.aspx");
    assert_eq!(f["http"]["response"]["status_code"], 200);
    assert!(
        f["user_agent"]["original"]
            .as_str()
            .unwrap()
            .contains("Firefox/120.0")
    );
    assert!(
        f["event"]["original"]
            .as_str()
            .unwrap()
            .starts_with("2025-07-19 07:13:02 10.20.0.15 POST")
    );
    assert_eq!(f["shellsweep"]["log"]["format"], "iis_w3c");
    assert_eq!(f["shellsweep"]["log"]["line"], 6);
    assert_eq!(
        f["shellsweep"]["selections"],
        serde_json::json!(["toolpane", "signout_referer"])
    );
    // Offset of line 6 in the decoded file: the BOM is gone, lines end in CRLF.
    let text = std::fs::read(repo().join("fixtures/logs/iis/W3SVC1/u_ex250719.log")).unwrap();
    let body = &text[3..];
    let offset: usize = body
        .split(|&b| b == b'\n')
        .take(5)
        .map(|l| l.len() + 1)
        .sum();
    assert_eq!(f["shellsweep"]["log"]["offset"], offset as u64);

    let user = findings
        .iter()
        .find(|f| f["rule"]["id"] == "SSW-LOG-WEBSHELL-001")
        .unwrap();
    assert_eq!(user["url"]["domain"], "portal.contoso.test");

    let ioc = findings
        .iter()
        .find(|f| f["rule"]["id"] == "SSW-IOC-IP" && f["shellsweep"]["log"]["line"] == 14)
        .unwrap();
    let enrichment = &ioc["threat"]["enrichments"][0];
    assert_eq!(enrichment["indicator"]["type"], "ipv4-addr");
    // The indicator as listed; a CIDR is no single address, so `indicator.ip` stays empty.
    assert_eq!(enrichment["indicator"]["name"], "203.0.113.0/24");
    assert!(enrichment["indicator"]["ip"].is_null());
    assert_eq!(enrichment["indicator"]["provider"], IOC);
    assert_eq!(enrichment["matched"]["atomic"], "203.0.113.77");
    assert_eq!(enrichment["matched"]["field"], "network.forwarded_ip");
    assert_eq!(ioc["network"]["forwarded_ip"], "203.0.113.77");
    assert!(
        ioc["related"]["ip"]
            .as_array()
            .unwrap()
            .contains(&"203.0.113.77".into())
    );
    assert_eq!(ioc["shellsweep"]["ioc"]["line"], 8);
    assert_eq!(ioc["shellsweep"]["ioc"]["field"], "x-forwarded-for");
}

#[test]
fn uls_times_are_read_in_the_given_offset_and_say_so() {
    let (findings, _, _) = scan_logs(&["--uls-utc-offset", "+02:00", "fixtures/logs/sharepoint"]);
    let f = findings
        .iter()
        .find(|f| f["shellsweep"]["log"]["line"] == 2)
        .unwrap();
    assert_eq!(f["event"]["start"], "2025-07-19T07:13:02.270Z");
    assert_eq!(f["event"]["timezone"], "+02:00", "{f}");
    assert_eq!(f["shellsweep"]["log"]["timezone_assumed"], false, "{f}");
    assert_eq!(f["shellsweep"]["log"]["format"], "sharepoint_uls");
}

fn lines_in_window(args: &[&str], path: &str) -> Vec<u64> {
    let mut all = args.to_vec();
    all.push(path);
    let (findings, _, _) = scan_logs(&all);
    let mut v: Vec<u64> = findings
        .iter()
        .map(|f| f["shellsweep"]["log"]["line"].as_u64().unwrap())
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn since_and_until_on_each_format() {
    // IIS times are UTC.
    assert_eq!(
        lines_in_window(&["--since", "2025-07-19T08:00:00Z"], "fixtures/logs/iis"),
        [14, 16, 17]
    );
    assert_eq!(
        lines_in_window(&["--until", "2025-07-19T07:13:03Z"], "fixtures/logs/iis"),
        [6]
    );
    // Combined times carry their offset: 20/Jul/2025:10:00:00 +0200 is 08:00Z.
    assert_eq!(
        lines_in_window(
            &["--since", "2025-07-20T07:59:59Z"],
            "fixtures/logs/apache2/access.log"
        ),
        [8]
    );
    assert_eq!(
        lines_in_window(
            &["--until", "2025-07-20T07:59:59Z"],
            "fixtures/logs/apache2/access.log"
        ),
        [1, 3, 4, 7, 9]
    );
    // ULS times are local; read at +02:00 the request record is 07:13:02.27Z.
    let uls = "fixtures/logs/sharepoint";
    assert_eq!(
        lines_in_window(
            &[
                "--uls-utc-offset",
                "+02:00",
                "--until",
                "2025-07-19T07:13:02.28Z"
            ],
            uls
        ),
        [2]
    );
    assert_eq!(
        lines_in_window(
            &[
                "--uls-utc-offset",
                "+02:00",
                "--since",
                "2025-07-19T07:13:02.28Z"
            ],
            uls
        ),
        [3]
    );
    let (_, summary, _) = scan_logs(&["--since", "2025-07-19T08:00:00Z", "fixtures/logs/iis"]);
    assert_eq!(
        summary["shellsweep"]["summary"]["logs"]["records_outside_window"],
        5
    );
    assert_eq!(
        code(&run(["scan", "--since", "last tuesday", "fixtures/logs"])),
        2
    );
}

#[test]
fn web_root_and_logs_in_one_run() {
    let out = run(["scan", "--format", "jsonl", "--ioc", IOC, "fixtures"]);
    let (findings, _) = findings_and_summary(&out);
    let file_hit = findings.iter().any(|f| {
        f["file"]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("LAYOUTS/spinstall0.aspx"))
            && f["rule"]["id"] == "SSW-TOOLSHELL-001"
    });
    let log_hit = findings.iter().any(|f| {
        f["url"]["path"] == "/_layouts/15/spinstall0.aspx"
            && f["rule"]["id"] == "SSW-LOG-TOOLSHELL-003"
    });
    assert!(file_hit && log_hit);
    // The IOC list sits inside the scanned tree and names a hash: it is never a finding.
    assert!(!findings.iter().any(|f| {
        f["file"]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("toolshell.txt"))
    }));
}

#[test]
fn logs_are_streamed_whatever_their_size_and_raw_logs_matched_by_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let mut big = Vec::new();
    for i in 0..40_000 {
        writeln!(big, "198.51.100.{} - - [19/Jul/2025:09:14:03 +0200] \"GET /p/{i}.html HTTP/1.1\" 200 43 \"-\" \"Mozilla/5.0\"", i % 200).unwrap();
    }
    writeln!(
        big,
        "96.9.125.147 - - [19/Jul/2025:09:14:04 +0200] \"GET /x HTTP/1.1\" 200 1 \"-\" \"-\""
    )
    .unwrap();
    write(dir.path(), "var/log/nginx/access.log", &big);
    write(dir.path(), "var/log/app/events.log", b"login ok from 10.0.0.1\nlogin failed from 104.238.159.149.\nlogin from 104.238.159.1499\n");
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--ioc".as_ref(),
        repo().join(IOC).as_os_str(),
        "--max-filesize".as_ref(),
        "64K".as_ref(),
        dir.path().as_os_str(),
    ]);
    let (findings, summary) = findings_and_summary(&out);
    let got: BTreeSet<(String, u64)> = findings
        .iter()
        .map(|f| {
            (
                f["shellsweep"]["log"]["format"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                f["shellsweep"]["log"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        BTreeSet::from([("combined".to_owned(), 40_001), ("raw".to_owned(), 2)])
    );
    assert_eq!(
        summary["shellsweep"]["summary"]["files_skipped"].get("too_large"),
        None
    );
    assert_eq!(summary["shellsweep"]["summary"]["logs"]["records"], 40_004);
}

#[test]
fn a_decompression_bomb_is_bounded_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(
        b"198.51.100.1 - - [19/Jul/2025:09:14:03 +0200] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n",
    )
    .unwrap();
    e.write_all(&vec![b'A'; 4 << 20]).unwrap();
    write(dir.path(), "access.log.1.gz", &e.finish().unwrap());
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--max-decompressed-size".as_ref(),
        "1M".as_ref(),
        dir.path().as_os_str(),
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("max-decompressed-size"),
        "{}",
        stderr(&out)
    );
    let (_, summary) = findings_and_summary(&out);
    assert_eq!(summary["shellsweep"]["summary"]["errors"], 1);
}

#[test]
fn a_missing_ioc_list_is_a_usage_error() {
    let out = run(["scan", "--ioc", "no/such/list.txt", "fixtures/logs"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no/such/list.txt"));
}

/// A log over the split size is scanned by several threads in line-aligned parts: the
/// findings, their line numbers and field layouts are the same as with one thread.
#[test]
fn a_large_log_split_across_threads_gives_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Vec::new();
    let header = |fields: &str| {
        format!("#Software: Microsoft Internet Information Services 10.0\r\n#Fields: {fields}\r\n")
    };
    log.extend(
        header("date time s-ip cs-method cs-uri-stem cs-uri-query c-ip sc-status").as_bytes(),
    );
    let mut n = 0u32;
    while log.len() < 33 << 20 {
        n += 1;
        if n == 200_000 {
            // Mid-file layout change: the client moves to the last column.
            log.extend(
                header("date time s-ip cs-method cs-uri-stem cs-uri-query sc-status c-ip")
                    .as_bytes(),
            );
        }
        let attack = n.is_multiple_of(25_000);
        let query = if attack { "cmd=whoami" } else { "id=4" };
        let line = if n >= 200_000 {
            let client = if n.is_multiple_of(1000) {
                "96.9.125.147".to_owned()
            } else {
                format!("198.51.100.{}", n % 250)
            };
            format!("2025-07-19 08:00:00 10.0.0.1 GET /p{n}.aspx {query} 200 {client}\r\n")
        } else {
            format!(
                "2025-07-19 08:00:00 10.0.0.1 GET /p{n}.aspx {query} 198.51.100.{} 200\r\n",
                n % 250
            )
        };
        log.extend(line.as_bytes());
    }
    write(dir.path(), "W3SVC1/u_ex250719.log", &log);
    let list = write(dir.path(), "iocs.txt", b"96.9.125.147\n");
    let findings = |threads: &str| {
        let out = run([
            "scan".as_ref(),
            "--format".as_ref(),
            "jsonl".as_ref(),
            "-j".as_ref(),
            threads.as_ref(),
            "--ioc".as_ref(),
            list.as_os_str(),
            dir.path().join("W3SVC1").as_os_str(),
        ]);
        let (f, s) = findings_and_summary(&out);
        let mut rows: Vec<(String, u64, String)> = f
            .iter()
            .map(|f| {
                (
                    f["rule"]["id"].as_str().unwrap().to_owned(),
                    f["shellsweep"]["log"]["line"].as_u64().unwrap(),
                    f["url"]["path"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        rows.sort();
        (
            rows,
            s["shellsweep"]["summary"]["logs"]["records"]
                .as_u64()
                .unwrap(),
        )
    };
    let (one, records_one) = findings("1");
    let (two, records_two) = findings("2");
    assert_eq!(records_one, records_two);
    assert_eq!(one, two);
    assert!(one.iter().any(|r| r.0 == "SSW-LOG-WEBSHELL-001"));
    let iocs = one.iter().filter(|r| r.0 == "SSW-IOC-IP").count() as u64;
    assert!(
        iocs > 50,
        "the second layout maps the client column: {iocs}"
    );
    // Line numbers count both directive blocks: p1 is on line 3.
    let first_attack = one.iter().find(|r| r.0 == "SSW-LOG-WEBSHELL-001").unwrap();
    assert_eq!(first_attack.2, "/p25000.aspx");
    assert_eq!(first_attack.1, 25_000 + 2);
}

type ByLine = std::collections::BTreeMap<(String, u64), BTreeSet<String>>;

/// Scans `files` (relative path, contents) written to a temporary folder with the bundled
/// rules; returns (file name, line) -> rule ids, and the number of log records read.
fn findings_by_line(files: &[(&str, Vec<u8>)], extra: &[&str]) -> (ByLine, u64) {
    let dir = tempfile::tempdir().unwrap();
    for (rel, body) in files {
        write(dir.path(), rel, body);
    }
    let mut args: Vec<std::ffi::OsString> = vec!["scan".into(), "--format".into(), "jsonl".into()];
    args.extend(extra.iter().map(Into::into));
    args.push(dir.path().into());
    let out = run(&args);
    let (findings, summary) = findings_and_summary(&out);
    assert_eq!(summary["shellsweep"]["summary"]["errors"], 0, "{summary}");
    let mut by_line = std::collections::BTreeMap::<_, BTreeSet<String>>::new();
    for f in &findings {
        let path = f["log"]["file"]["path"].as_str().unwrap();
        let name = std::path::Path::new(path).file_name().unwrap();
        by_line
            .entry((
                name.to_string_lossy().into_owned(),
                f["shellsweep"]["log"]["line"].as_u64().unwrap(),
            ))
            .or_default()
            .insert(f["rule"]["id"].as_str().unwrap().to_owned());
    }
    let records = summary["shellsweep"]["summary"]["logs"]["records"]
        .as_u64()
        .unwrap();
    (by_line, records)
}

#[test]
fn command_chains_are_found_in_combined_and_iis_logs() {
    const ONE: &str = "SSW-LOG-WEBSHELL-001";
    const TWO: &str = "SSW-LOG-WEBSHELL-002";
    // (request target, rules expected on that line).
    let combined: &[(&str, &[&str])] = &[
        (
            "/wp-content/uploads/2025/07/x.php?cmd=id;uname+-a",
            &[ONE, TWO],
        ),
        (
            "/wp-content/uploads/2025/07/x.php?cmd=id%3Buname%20-a",
            &[ONE, TWO],
        ),
        ("/x.php?cmd=id|base64", &[TWO]),
        ("/x.php?cmd=id%26%26pwd", &[TWO]),
        ("/x.php?cmd=ls%0aid", &[TWO]),
        ("/x.php?c=cd+/tmp;id", &[TWO]),
        ("/x.php?x=%24%28id%29", &[TWO]),
        ("/x.php?file=a.jpg%60whoami%60", &[ONE]),
        ("/x.php?f=$(cat+/etc/passwd)", &[ONE]),
        ("/ping.php?host=127.0.0.1;whoami", &[ONE]),
        ("/ping.php?ip=1.1.1.1|cat%20/etc/passwd", &[ONE]),
        ("/ping.php?ip=1.1.1.1%0d%0anet+user", &[ONE]),
        ("/x.php?cmd=uname${IFS}-a", &[ONE]),
        ("/x.php?s=foo;whoami", &[ONE]),
        ("/x.php?cmd=whoami", &[ONE]),
        // Ordinary requests that look a little like the above.
        ("/?s=whoami", &[]),
        ("/?s=uname+-a+output", &[]),
        ("/search?q=cat+/etc/passwd+format", &[]),
        ("/shop/list.php?orderby=id&page=2", &[]),
        ("/api/items?fields=title;id&sort=id|desc", &[]),
        ("/elfinder/connector.php?cmd=ls&target=l1_VXBsb2Fkcw", &[]),
        ("/index.php?s=what+does+whoami+print", &[]),
    ];
    let mut log = Vec::new();
    for (target, _) in combined {
        writeln!(log, "192.0.2.50 - - [21/Jul/2025:06:00:00 +0000] \"GET {target} HTTP/1.1\" 200 88 \"-\" \"curl/8.5.0\"").unwrap();
    }
    let iis: &[(&str, &[&str])] = &[
        (
            "/wp-content/uploads/2025/07/x.php cmd=id;uname+-a",
            &[ONE, TWO],
        ),
        ("/up/x.aspx cmd=whoami%26%26ipconfig+/all", &[ONE, TWO]),
        ("/up/x.aspx a=b%7Cnet+user", &[ONE]),
        ("/search.aspx q=whoami+command", &[]),
    ];
    let mut w3c = b"#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n".to_vec();
    for (stem_query, _) in iis {
        write!(w3c, "2025-07-21 06:00:00 10.0.0.5 GET {stem_query} 443 - 192.0.2.50 curl/8.5.0 - 200 0 0 15\r\n").unwrap();
    }
    let (got, records) = findings_by_line(
        &[("nginx/access.log", log), ("W3SVC1/u_ex250721.log", w3c)],
        &[],
    );
    assert_eq!(records, (combined.len() + iis.len()) as u64);
    let want = |file: &str, first: u64, rows: &[(&str, &[&str])]| {
        rows.iter()
            .zip(first..)
            .filter(|((_, ids), _)| !ids.is_empty())
            .map(|((_, ids), line)| {
                let ids = ids.iter().map(|s| (*s).to_owned()).collect();
                ((file.to_owned(), line), ids)
            })
            .collect::<Vec<_>>()
    };
    let mut expected = std::collections::BTreeMap::new();
    expected.extend(want("access.log", 1, combined));
    expected.extend(want("u_ex250721.log", 3, iis));
    assert_eq!(got, expected);
}

/// A deterministic generator (64-bit LCG) for the ordinary-traffic sample.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const FF120: &str =
    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:120.0)+Gecko/20100101+Firefox/120.0";
const CHROME: &str = "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/126.0.0.0+Safari/537.36";

/// Ordinary SharePoint requests as IIS logs them (method stem query user agent referer
/// status), among them those that hunting-grade rules fire on: sign-outs and page views
/// with the Firefox 120 of the ToolShell waves, editors saving web parts through
/// ToolPane.aspx?DisplayMode=Edit, uploads, and internet scanners probing for shell names.
const SHAREPOINT: &[&str] = &[
    "GET /_layouts/15/start.aspx - CONTOSO\\jdoe {ua} https://portal.contoso.test/ 200",
    "GET /_layouts/15/SignOut.aspx - CONTOSO\\jdoe {ua} https://portal.contoso.test/ 200",
    "GET /_layouts/15/SignOut.aspx Source=%2Fsites%2Fhr%2FSitePages%2FHome.aspx - {ua} - 302",
    "GET /sites/hr/_layouts/15/ToolPane.aspx DisplayMode=Edit&ID=4 CONTOSO\\jdoe {ua} https://portal.contoso.test/sites/hr/SitePages/Home.aspx 200",
    "POST /sites/hr/_layouts/15/ToolPane.aspx DisplayMode=Edit&ID=4 CONTOSO\\jdoe {ua} https://portal.contoso.test/sites/hr/_layouts/15/ToolPane.aspx?DisplayMode=Edit&ID=4 200",
    "POST /_vti_bin/client.svc/ProcessQuery - CONTOSO\\asmith {ua} https://portal.contoso.test/SitePages/Home.aspx 200",
    "POST /_vti_bin/lists.asmx - CONTOSO\\asmith Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.17328;+Pro) - 200",
    "GET /_api/web/lists $select=Title,Id&$top=100 CONTOSO\\jdoe {ua} - 200",
    "POST /sites/hr/_layouts/15/Upload.aspx List=%7B1B2C3D4E-0000-4000-8000-123456789ABC%7D&IsDlg=1 CONTOSO\\jdoe {ua} https://portal.contoso.test/sites/hr/Shared%20Documents/Forms/AllItems.aspx 200",
    "PUT /sites/hr/Shared+Documents/Budget+2025.xlsx - CONTOSO\\jdoe Microsoft+Office+Word+2014 - 201",
    "GET /_layouts/15/userphoto.aspx size=S&accountname=CONTOSO%5Cjdoe CONTOSO\\jdoe {ua} - 304",
    "GET /_layouts/15/osssearchresults.aspx k=whoami+command CONTOSO\\jdoe {ua} - 200",
    "GET /_layouts/15/start.aspx - CONTOSO\\svc_monitor curl/8.5.0 - 200",
    "GET /_layouts/15/success.aspx - CONTOSO\\jdoe {ua} - 200",
    "GET /_layouts/15/spinstall0.aspx - - python-requests/2.31.0 - 404",
    "GET /_layouts/15/ghostfile346.aspx - - {ua} - 404",
];

/// Ordinary Apache/nginx requests (method target status user agent): WordPress, a shop with
/// its own upload handler and an elFinder file manager, searches, bots and 404 scanners.
const COMBINED: &[&str] = &[
    "GET /2025/06/hello-world/ 200 {ua}",
    "GET /wp-content/uploads/2025/06/photo-1024x768.jpg 200 {ua}",
    "POST /wp-admin/admin-ajax.php 200 {ua}",
    "POST /wp-login.php 302 {ua}",
    "POST /xmlrpc.php 200 WordPress/6.6.1",
    "POST /wp-cron.php?doing_wp_cron=1751234567.1234 200 WordPress/6.6.1",
    "GET /wp-json/wp/v2/posts?per_page=10&page=2 200 {ua}",
    "POST /wp-admin/async-upload.php 200 {ua}",
    "GET /?s=whoami 200 {ua}",
    "GET /?s=net+user+add 200 {ua}",
    "GET /shop/list.php?orderby=id&page=2 200 {ua}",
    "POST /upload/upload.php 200 {ua}",
    "POST /images/captcha.php 200 {ua}",
    "POST /Upload/FileUpload.ashx 200 {ua}",
    "GET /admin/elfinder/php/connector.minimal.php?cmd=ls&target=l1_VXBsb2Fkcw&intersect%5B%5D=a.jpg 200 {ua}",
    "POST /mail/api.php?cmd=read&id=5 200 {ua}",
    "GET /.env 404 Mozilla/5.0+zgrab/0.x",
    "GET /.git/config 404 -",
    "GET /wp-config.php.bak 404 -",
    "POST /wp-content/uploads/2025/07/x.php 404 Mozilla/5.0+zgrab/0.x",
    "GET /wp-content/uploads/x.php?cmd=id 404 Mozilla/5.0+zgrab/0.x",
];

#[test]
fn ordinary_traffic_raises_nothing() {
    // ~20,000 routine records of SharePoint (IIS and ULS) and WordPress/PHP (combined).
    // The last combined template is a scanner sending `cmd=id` to a shell that is not there:
    // an attack attempt, found; it stays out of the ordinary sample (see below).
    let mut rng = Lcg(20_250_719);
    let uas = [
        CHROME,
        FF120,
        "Mozilla/5.0+(Macintosh;+Intel+Mac+OS+X+10_15_7)",
    ];
    let mut iis = b"#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query cs-username c-ip cs(User-Agent) cs(Referer) sc-status\r\n".to_vec();
    let mut uls = b"Timestamp              \tProcess                                 \tTID   \tArea                          \tCategory                      \tEventID\tLevel     \tMessage \tCorrelation\r\n".to_vec();
    let mut combined = Vec::new();
    let mut records = 0;
    for i in 0..10_000 {
        let (h, m, s) = (i / 3600 % 24, i / 60 % 60, i % 60);
        let t = rng.pick(SHAREPOINT).replace("{ua}", rng.pick(&uas));
        let f: Vec<&str> = t.split(' ').collect();
        let ip = format!("10.1.{}.{}", rng.below(256), 1 + rng.below(254));
        write!(
            iis,
            "2025-07-19 {h:02}:{m:02}:{s:02} 10.20.0.15 {} {} {} {} {ip} {} {} {}\r\n",
            f[0], f[1], f[2], f[3], f[4], f[5], f[6]
        )
        .unwrap();
        if i % 10 == 0 {
            let query = if f[2] == "-" {
                String::new()
            } else {
                format!("?{}", f[2])
            };
            write!(uls, "07/19/2025 {h:02}:{m:02}:{s:02}.00 \tw3wp.exe (0x2A1C)\t0x3B40\tSharePoint Foundation\tLogging Correlation Data\txmnv\tMedium\tName=Request ({}:https://portal.contoso.test:443{}{query})\t5b1e2f9a-0c11-4e7e-9d1a-{i:012}\r\n", f[0], f[1]).unwrap();
            records += 1;
        }
        let t = COMBINED[rng.below(COMBINED.len() - 1)].replace("{ua}", rng.pick(&uas));
        let f: Vec<&str> = t.splitn(4, ' ').collect();
        let ua = f[3].replace('+', " ");
        writeln!(combined, "198.51.100.{} - - [19/Jul/2025:{h:02}:{m:02}:{s:02} +0000] \"{} {} HTTP/1.1\" {} 512 \"-\" \"{ua}\"", rng.below(256), f[0], f[1], f[2]).unwrap();
        records += 2;
    }
    let files = [
        ("W3SVC1/u_ex250719.log", iis),
        ("ULS/SRV01-20250719-0000.log", uls),
        ("apache2/access.log", combined),
    ];
    let (got, read) = findings_by_line(&files, &[]);
    assert_eq!(read, records, "every generated line is a record");
    assert!(
        got.is_empty(),
        "{} lines with findings in {records} ordinary records: {got:?}",
        got.len()
    );
    // The same sample with --hunt: the hunting rules do fire on it (that is why they are
    // behind the flag), so the sample does exercise them.
    let hunted: BTreeSet<String> = findings_by_line(&files, &["--hunt"])
        .0
        .into_values()
        .flatten()
        .collect();
    let hunt_rules: BTreeSet<String> = HUNT_RULES.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(hunted, hunt_rules);
}
