//! The pivot stays bounded whatever the rules: a noisy exploit-tagged rule firing from many
//! addresses. Only the addresses whose exploit requests the server answered are followed;
//! past the bound on events held, each address keeps its first events, and what is not
//! written is counted in the summary (written + not shown = found).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;

/// What `correlate/pivot.rs` holds at most (`MAX_EVENTS`), as docs/FIELDS.md says.
const MAX_EVENTS: u64 = 50_000;

/// An exploit-tagged rule that fires on a recon tool's user agent, as SigmaHQ's
/// "Suspicious User-Agents Related To Recon Tools" does (tagged T1190).
const RECON: &str = "title: Recon tool user agent\n\
id: 0d7c1a52-7c0e-4b57-a7a5-3f3f0a0000b1\n\
tags:\n    - attack.initial-access\n    - attack.t1190\n\
logsource:\n    category: webserver\n\
detection:\n    selection:\n        cs-user-agent|contains: 'ReconBot'\n    condition: selection\n\
level: medium\n";

fn at(second: u64) -> String {
    format!(
        "2025-07-19 {:02}:{:02}:{:02}",
        second / 3600,
        second / 60 % 60,
        second % 60
    )
}

#[test]
fn a_noisy_exploit_rule_keeps_the_pivot_bounded_and_counted() {
    // 120 scanners the server answered, each with 450 ordinary requests after its probe
    // (54,120 records: past the bound), one intruder with a handful, and 30 scanners that
    // were refused every time.
    let answered: Vec<String> = (0..120)
        .map(|i| format!("198.18.{}.{}", i / 100, i % 100 + 1))
        .collect();
    let refused: Vec<String> = (0..30).map(|i| format!("203.0.113.{}", i + 1)).collect();
    let intruder = "192.0.2.66";
    let mut lines: Vec<(u64, String)> = Vec::new();
    let mut second = 0u64;
    let mut line = |lines: &mut Vec<(u64, String)>, ip: &str, path: &str, ua: &str, status| {
        second += 1;
        lines.push((
            second,
            format!("{} GET {path} - {ip} {ua} {status}\n", at(second % 86_400)),
        ));
    };
    for ip in &answered {
        line(&mut lines, ip, "/", "ReconBot/1.0", 200);
    }
    for ip in &refused {
        line(&mut lines, ip, "/admin", "ReconBot/1.0", 404);
    }
    line(
        &mut lines,
        intruder,
        "/_layouts/15/ToolPane.aspx",
        "ReconBot/2.0",
        200,
    );
    for n in 0..450 {
        for ip in &answered {
            line(&mut lines, ip, &format!("/page{n}"), "Mozilla/5.0", 200);
        }
        if n < 10 {
            for ip in &refused {
                line(&mut lines, ip, &format!("/page{n}"), "Mozilla/5.0", 200);
            }
        }
        if n < 5 {
            line(
                &mut lines,
                intruder,
                &format!("/shell{n}"),
                "curl/8.5.0",
                200,
            );
        }
    }
    assert!(second < 86_400, "one day's log");
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("W3SVC1");
    std::fs::create_dir(&logs).unwrap();
    let mut text = String::from(
        "#Software: Microsoft Internet Information Services 10.0\n\
         #Fields: date time cs-method cs-uri-stem cs-uri-query c-ip cs(User-Agent) sc-status\n",
    );
    for (_, l) in &lines {
        text.push_str(l);
    }
    std::fs::write(logs.join("u_ex250719.log"), text).unwrap();
    let rule = dir.path().join("recon.yml");
    std::fs::write(&rule, RECON).unwrap();
    // What the followed addresses did: every one of their records.
    let followed: BTreeSet<&str> = answered
        .iter()
        .map(String::as_str)
        .chain([intruder])
        .collect();
    let expected_found = 120 * 451 + 6;

    let out = run([
        "scan".as_ref(),
        "-j2".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--sigma".as_ref(),
        rule.as_os_str(),
        logs.as_os_str(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 1, "{err}");
    let all = json_lines(&out);
    let summary = &all.last().unwrap()["shellsweep"]["summary"];
    let alerts = all.iter().filter(|v| v["event"]["kind"] == "alert").count();
    assert_eq!(alerts, 151, "every probe is a finding, refused or not");

    let events: Vec<&serde_json::Value> = all
        .iter()
        .filter(|v| v["event"]["dataset"] == "shellsweep.pivot")
        .collect();
    let shown = summary["pivot_events"].as_u64().expect("pivot_events");
    let not_shown = summary["pivot_events_not_shown"]
        .as_u64()
        .expect("pivot_events_not_shown");
    assert_eq!(
        events.len() as u64,
        shown,
        "the summary counts what was written"
    );
    assert!(shown <= MAX_EVENTS, "{shown} held past the bound");
    assert!(not_shown > 0, "the bound was reached: {shown} shown");
    assert_eq!(
        shown + not_shown,
        expected_found,
        "shown + not shown = found"
    );
    assert_eq!(summary["pivot_addresses_refused"], 30);
    assert!(err.contains("pivot event(s) not shown"), "{err}");
    assert!(
        err.contains("30 address(es) whose exploit requests the server all refused"),
        "{err}"
    );

    // By address: only the answered ones, the intruder whole, each scanner its first.
    let mut by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in &events {
        let a = e["shellsweep"]["pivot"]["address"].as_str().unwrap();
        assert_eq!(e["shellsweep"]["pivot"]["via"], "exploit");
        by.entry(a)
            .or_default()
            .push(e["url"]["path"].as_str().unwrap());
    }
    let seen: BTreeSet<&str> = by.keys().copied().collect();
    assert_eq!(seen, followed, "refused-only addresses are not followed");
    assert_eq!(
        by[intruder].len(),
        6,
        "a small address keeps all its events"
    );
    for ip in &answered {
        let paths = &by[ip.as_str()];
        assert!(paths.len() < 451, "{ip}: {}", paths.len());
        assert_eq!(paths[0], "/", "{ip} begins with its probe");
        assert_eq!(
            paths[1..],
            (0..paths.len() - 1)
                .map(|n| format!("/page{n}"))
                .collect::<Vec<_>>()[..]
        );
    }
    // The timeline in time order.
    let times: Vec<&str> = events
        .iter()
        .map(|e| e["event"]["start"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "time order");
}
