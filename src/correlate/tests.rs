//! The joins on hand-made records: the drop window's edges, the strongest join winning, and
//! the severity a request gives.

use std::path::{Path, PathBuf};

use crate::common::severity::Severity;
use crate::finding::{Correlation, ExploitRef, FindingRef, LogSubject};
use crate::logs::{Field, LogFormat};
use crate::pipeline::{FileHit, ScriptFile};
use crate::read::ReadPolicy;
use crate::webroot::WebrootMap;

use super::dropped::{self, Exploit};
use super::pass::Request;
use super::pass::client_of;
use super::requests::Webshells;

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn request(path: &str, status: &str, time: &str) -> Request {
    Request::of(LogSubject {
        path: PathBuf::from("/logs/u_ex250719.log"),
        format: LogFormat::Iis,
        line: 9,
        offset: 900,
        time: Some(ts(time)),
        time_zone: None,
        time_zone_assumed: false,
        fields: vec![
            (Field::Method, b"POST".to_vec()),
            (Field::UriStem, path.as_bytes().to_vec()),
            (Field::Status, status.as_bytes().to_vec()),
            (Field::ClientIp, b"10.20.0.2".to_vec()),
            (Field::ForwardedFor, b"203.0.113.45, 10.1.1.1".to_vec()),
        ],
        original: Vec::new(),
        original_cut: false,
    })
}

fn exploit(at: &str) -> Exploit {
    let request = request("/_layouts/15/ToolPane.aspx", "200", at);
    Exploit {
        reference: ExploitRef {
            event_id: "e".into(),
            rule_id: "SSW-LOG-TOOLSHELL-001".into(),
            time: ts(at),
            client: request.client.map(|c| c.to_string()),
            method: request.method.clone(),
            url_path: request.url_path.clone(),
            log_path: "/logs/u_ex250719.log".into(),
            log_line: 9,
        },
        request,
    }
}

fn script(path: &str, mtime: &str) -> ScriptFile {
    let ns = ts(mtime).as_nanosecond();
    ScriptFile {
        path: PathBuf::from(path),
        size: 10,
        mtime_ns: ns,
        // A change time long before: only the mtime can fall in the window.
        ctime_ns: ns - 86_400_000_000_000,
    }
}

fn drops(at: &str, mtime: &str) -> Vec<i64> {
    let layouts = "/copy/16/TEMPLATE/LAYOUTS";
    let mut map = WebrootMap::default();
    map.infer_from_path(Path::new(&format!("{layouts}/start.aspx")));
    let found = dropped::find(
        &[exploit(at)],
        &[script(&format!("{layouts}/spinstall0.aspx"), mtime)],
        &map,
        &ReadPolicy::default(),
    );
    found
        .iter()
        .map(|f| match &f.correlation {
            Some(Correlation::Dropped(d)) => d.delay_seconds,
            _ => panic!("a drop"),
        })
        .collect()
}

#[test]
fn a_drop_is_a_script_written_within_the_window_after_the_exploit() {
    let at = "2025-07-19T10:02:13Z";
    assert_eq!(drops(at, "2025-07-19T10:03:43Z"), [90]);
    assert_eq!(
        drops(at, "2025-07-19T10:17:13Z"),
        [900],
        "the window's last second"
    );
    assert!(
        drops(at, "2025-07-19T10:17:14Z").is_empty(),
        "past 15 minutes"
    );
    // IIS logs a request when it ends: the file may be a little older than the record.
    assert_eq!(drops(at, "2025-07-19T10:01:43Z"), [-30]);
    assert!(
        drops(at, "2025-07-19T10:00:13Z").is_empty(),
        "two minutes before"
    );
}

#[test]
fn a_drop_must_be_in_the_folder_the_exploited_url_is_served_from() {
    let mut map = WebrootMap::default();
    map.infer_from_path(Path::new("/copy/16/TEMPLATE/LAYOUTS/start.aspx"));
    map.add_option("/=/copy/wwwroot").unwrap();
    let found = dropped::find(
        &[exploit("2025-07-19T10:02:13Z")],
        &[script("/copy/wwwroot/other.aspx", "2025-07-19T10:02:20Z")],
        &map,
        &ReadPolicy::default(),
    );
    assert!(found.is_empty(), "{found:?}");
}

fn hit(path: &str, severity: Severity) -> FileHit {
    FileHit {
        path: PathBuf::from(path),
        size: 1,
        modified: None,
        sha256: String::new(),
        findings: vec![FindingRef {
            event_id: format!("id-{path}"),
            rule_id: "SSW-X".into(),
            severity,
        }],
    }
}

#[test]
fn a_request_joins_only_the_files_its_strongest_join_reaches() {
    let mut shells = Webshells::new(vec![
        hit("/srv/a/x.aspx", Severity::High),
        hit("/srv/b/x.aspx", Severity::High),
    ]);
    let map = WebrootMap::default();
    let r = request("/a/x.aspx", "200", "2025-07-19T10:00:00Z");
    assert_eq!(shells.join(&r, &map, "ev1").as_deref(), Some("/a/x.aspx"));
    let found = shells.findings();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].subject.path(), Path::new("/srv/a/x.aspx"));
    assert_eq!(
        found[0].severity(),
        Severity::Critical,
        "one step above high"
    );
    let Some(Correlation::Requested(req)) = &found[0].correlation else {
        panic!("a request finding")
    };
    assert_eq!(req.join, "path_tail");
    assert_eq!(req.clients, ["203.0.113.45"], "the client the balancer saw");
    assert_eq!(req.event_ids, ["ev1"]);
}

#[test]
fn a_file_counts_only_the_requests_of_its_best_join() {
    // /srv/a/x.aspx is reached by its whole path once and by its bare name once: only the
    // first is its request, and only that client is followed.
    let mut shells = Webshells::new(vec![hit("/srv/a/x.aspx", Severity::High)]);
    let map = WebrootMap::default();
    shells.join(
        &request("/a/x.aspx", "200", "2025-07-19T10:00:00Z"),
        &map,
        "ev1",
    );
    let mut other = request("/elsewhere/x.aspx", "200", "2025-07-19T10:05:00Z");
    other.client = Some("198.51.100.9".parse().unwrap());
    shells.join(&other, &map, "ev2");
    let (requesters, _) = shells.requesters();
    assert_eq!(requesters.len(), 1);
    assert_eq!(requesters[0].0.to_string(), "203.0.113.45");
    let found = shells.findings();
    let Some(Correlation::Requested(req)) = &found[0].correlation else {
        panic!("a request finding")
    };
    assert_eq!((req.count, req.event_ids.len()), (1, 1));
}

#[test]
fn path_info_after_the_webshell_still_reaches_it() {
    let mut shells = Webshells::new(vec![hit("/srv/a/x.aspx", Severity::High)]);
    let map = WebrootMap::default();
    let r = request("/a/x.aspx/extra/path", "200", "2025-07-19T10:00:00Z");
    assert_eq!(shells.join(&r, &map, "ev1").as_deref(), Some("/a/x.aspx"));
}

#[test]
fn requests_answered_404_are_counted_apart_and_raise_nothing() {
    let mut shells = Webshells::new(vec![hit("/srv/a/x.aspx", Severity::Medium)]);
    let map = WebrootMap::default();
    let r = request("/a/X.ASPX", "404", "2025-07-19T10:00:00Z");
    assert!(
        shells.join(&r, &map, "ev1").is_some(),
        "IIS paths ignore case"
    );
    assert!(shells.requesters().0.is_empty(), "a 404 is not followed");
    let f = shells.findings().pop().unwrap();
    assert_eq!(f.severity(), Severity::Medium);
    let Some(Correlation::Requested(req)) = &f.correlation else {
        panic!("a request finding")
    };
    assert_eq!((req.count, req.not_found), (0, 1));
    let other = request("/a/y.aspx", "200", "2025-07-19T10:00:00Z");
    let mut shells = Webshells::new(vec![hit("/srv/a/x.aspx", Severity::Medium)]);
    assert!(shells.join(&other, &map, "ev2").is_none());
}

#[test]
fn the_client_is_what_the_proxies_in_front_saw() {
    let ip = |s: &str| -> std::net::IpAddr { s.parse().unwrap() };
    let lb = Some(ip("10.20.0.2"));
    // Behind a balancer: the rightmost public address; what the client wrote before it is
    // not trusted.
    assert_eq!(
        client_of(lb, &[ip("10.1.4.21"), ip("198.18.0.66")]),
        Some(ip("198.18.0.66"))
    );
    assert_eq!(
        client_of(lb, &[ip("203.0.113.45"), ip("10.9.9.9")]),
        Some(ip("203.0.113.45"))
    );
    // An internal client behind internal proxies.
    assert_eq!(client_of(lb, &[ip("10.1.4.21")]), Some(ip("10.1.4.21")));
    // No proxy of ours: the header is the client's word.
    assert_eq!(
        client_of(Some(ip("192.0.2.7")), &[ip("10.1.4.21")]),
        Some(ip("192.0.2.7"))
    );
    assert_eq!(client_of(lb, &[]), lb);
}

#[test]
fn a_refused_exploit_drops_nothing_and_no_map_is_said() {
    let mut refused = exploit("2025-07-19T10:02:13Z");
    refused.request.status = Some(401);
    let shell = script(
        "/copy/16/TEMPLATE/LAYOUTS/spinstall0.aspx",
        "2025-07-19T10:02:20Z",
    );
    let map = WebrootMap::default();
    let read = ReadPolicy::default();
    assert!(dropped::find(&[refused], std::slice::from_ref(&shell), &map, &read).is_empty());
    // No map at all: any script in the window, at high and labelled unmapped.
    let found = dropped::find(&[exploit("2025-07-19T10:02:13Z")], &[shell], &map, &read);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].severity(), Severity::High);
    let Some(Correlation::Dropped(d)) = &found[0].correlation else {
        panic!("a drop")
    };
    assert_eq!(d.join, "unmapped");
}

#[test]
fn only_exploits_the_server_answered_seed_the_pivot() {
    let from = |client: &str, status: Option<&str>, at: &str| {
        let mut e = exploit(at);
        e.request.client = Some(client.parse().unwrap());
        e.request.status = status.and_then(|s| s.parse().ok());
        e.reference.rule_id = format!("rule-{at}");
        e
    };
    let exploits = [
        // Refused, then answered: followed, for the answered one.
        from("198.51.100.1", Some("404"), "2025-07-19T10:00:00Z"),
        from("198.51.100.1", Some("200"), "2025-07-19T10:01:00Z"),
        // Every one refused: not followed.
        from("198.51.100.2", Some("404"), "2025-07-19T10:02:00Z"),
        from("198.51.100.2", Some("500"), "2025-07-19T10:03:00Z"),
        from("198.51.100.3", Some("401"), "2025-07-19T10:04:00Z"),
        // No status logged: it may have worked.
        from("198.51.100.4", None, "2025-07-19T10:05:00Z"),
        // A redirect is an answer.
        from("198.51.100.5", Some("302"), "2025-07-19T10:06:00Z"),
        from("198.51.100.5", Some("200"), "2025-07-19T10:07:00Z"),
    ];
    let (seeds, refused) = super::exploit_seeds(&exploits);
    let followed: Vec<(&str, &str)> = seeds
        .iter()
        .map(|s| (s.address.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        followed,
        [
            ("198.51.100.1", "exploit rule rule-2025-07-19T10:01:00Z"),
            ("198.51.100.4", "exploit rule rule-2025-07-19T10:05:00Z"),
            ("198.51.100.5", "exploit rule rule-2025-07-19T10:06:00Z"),
        ]
    );
    let refused: Vec<String> = refused.iter().map(|a| a.to_string()).collect();
    assert_eq!(refused, ["198.51.100.2", "198.51.100.3"]);
}
