//! The JSON lines' wire form: Elastic Common Schema (ECS) documents as typed structs.
//!
//! The model (`crate::finding`, `crate::summary`) says what was found; this module alone
//! says how a SIEM receives it, so a field's name and type are decided in one place and the
//! conformance test (tests/ecs.rs, against ECS's own field reference) covers every writer.
//! What ECS has no field for lives under `shellsweep.*`. docs/FIELDS.md lists every field.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use base64::Engine as _;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::engine::Match;
use crate::finding::{
    FileSubject, Finding, IndicatorHit, LogSubject, Subject, escape_bytes, hex, path_bytes, rfc3339,
};
use crate::ioc::Kind;
use crate::logs::Field;
use crate::rules::Severity;
use crate::summary::{EventKind, ScanEvent, Summary};

/// The ECS release whose field reference the output follows (tests/data/ecs/ecs_flat.yml).
pub const ECS_VERSION: &str = "9.4.0";

/// Each string copied from a log is cut here (at a character boundary), so that one hostile
/// request (a 300 KB query string) cannot make a line of megabytes; the cut fields are named
/// in `shellsweep.truncated_fields`.
pub const FIELD_MAX: usize = 8 * 1024;

/// Who scanned where, in which run: the same on every line of a run.
#[derive(Clone, Debug)]
pub struct Observer {
    pub host: Host,
    pub version: &'static str,
    /// Random per run: ties a run's findings, events and summary together.
    pub run_id: String,
    /// Relative paths are written against this (the working directory at start).
    pub cwd: Option<PathBuf>,
    /// `--stdin-name`: standard input goes by it and is no path to make absolute.
    pub stdin_name: Option<PathBuf>,
}

impl Observer {
    pub fn here() -> Observer {
        let name = gethostname::gethostname().to_string_lossy().into_owned();
        Observer {
            host: Host {
                hostname: name.clone(),
                name,
                ip: host_ips(),
                os: Os::here(),
            },
            version: env!("CARGO_PKG_VERSION"),
            run_id: run_id(),
            cwd: std::env::current_dir().ok(),
            stdin_name: None,
        }
    }

    /// For documents whose run fields are set later (the state keeps findings without them).
    pub fn placeholder() -> Observer {
        Observer {
            host: Host::default(),
            version: "",
            run_id: String::new(),
            cwd: std::env::current_dir().ok(),
            stdin_name: None,
        }
    }

    /// `path` as written in `file.path` and `log.file.path`: absolute, so that a finding
    /// reads (and its `event.id` is) the same however the path was typed. Made absolute
    /// against the working directory without touching the file system: `.` is dropped, `..`
    /// kept (resolving it, or a symbolic link, could name another file than the one read).
    /// Standard input keeps its name.
    pub fn absolute<'p>(&self, path: &'p Path) -> Cow<'p, Path> {
        if path.is_absolute()
            || path.as_os_str() == crate::scan::STDIN
            || self.stdin_name.as_deref() == Some(path)
        {
            return Cow::Borrowed(path);
        }
        let Some(cwd) = &self.cwd else {
            return Cow::Borrowed(path);
        };
        let mut out = cwd.clone();
        for c in path.components() {
            match c {
                Component::CurDir => {}
                other => out.push(other.as_os_str()),
            }
        }
        Cow::Owned(out)
    }
}

/// ECS `host.*`: the scanning host.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Host {
    pub name: String,
    pub hostname: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ip: Vec<String>,
    pub os: Os,
}

/// ECS `host.os.*`, from what the system says cheaply (no process is started).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Os {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    pub platform: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
}

impl Os {
    fn here() -> Os {
        let platform = std::env::consts::OS;
        let kind = match platform {
            "linux" => Some("linux"),
            "macos" => Some("macos"),
            "windows" => Some("windows"),
            "ios" => Some("ios"),
            "android" => Some("android"),
            "freebsd" | "openbsd" | "netbsd" | "dragonfly" | "solaris" | "illumos" => Some("unix"),
            _ => None,
        };
        let mut os = Os {
            kind,
            platform,
            ..Os::default()
        };
        if platform == "linux" {
            os.kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .ok()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty());
            if let Ok(text) = std::fs::read_to_string("/etc/os-release") {
                let get = |key: &str| {
                    text.lines()
                        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
                        .map(|v| v.trim().trim_matches('"').to_owned())
                        .filter(|v| !v.is_empty())
                };
                os.name = get("NAME");
                os.version = get("VERSION_ID");
                // The family is the distribution a derivative follows (Ubuntu: debian).
                os.family = get("ID_LIKE")
                    .and_then(|l| l.split_whitespace().next().map(str::to_owned))
                    .or_else(|| get("ID"));
            }
        }
        os
    }
}

/// The host's addresses as routing would pick them to reach the Internet (one IPv4, one
/// IPv6, when configured). Connecting a UDP socket sends nothing; enumerating interfaces
/// would need unsafe code or a dependency for a field that is only context.
fn host_ips() -> Vec<String> {
    let mut out = Vec::new();
    for (bind, to) in [("0.0.0.0:0", "192.0.2.1:9"), ("[::]:0", "[2001:db8::1]:9")] {
        let addr = std::net::UdpSocket::bind(bind)
            .and_then(|s| s.connect(to).and_then(|()| s.local_addr()))
            .map(|a| a.ip());
        if let Ok(ip) = addr
            && !ip.is_unspecified()
            && !ip.is_loopback()
        {
            out.push(ip.to_string());
        }
    }
    out
}

/// 32 hex digits, unpredictable enough that two runs never share one: the clock, the
/// process id and the address of a fresh allocation, hashed.
fn run_id() -> String {
    let mut h = Sha256::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    h.update(now.as_nanos().to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    let probe = Box::new(0u8);
    h.update((std::ptr::from_ref::<u8>(&probe) as usize).to_le_bytes());
    h.update(gethostname::gethostname().as_encoded_bytes());
    hex(&h.finalize()[..16])
}

/// The fields every line carries: when, which schema, which host, which scanner and run.
#[derive(Serialize)]
pub struct Header<'a> {
    #[serde(rename = "@timestamp")]
    pub timestamp: String,
    pub ecs: Ecs,
    pub host: &'a Host,
    pub agent: Agent<'a>,
    pub observer: ObserverWire<'a>,
}

impl<'a> Header<'a> {
    pub fn new(observer: &'a Observer, timestamp: jiff::Timestamp) -> Header<'a> {
        Header {
            timestamp: rfc3339(timestamp),
            ecs: Ecs {
                version: ECS_VERSION,
            },
            host: &observer.host,
            agent: Agent {
                kind: "shellsweep",
                name: "shellsweep",
                version: observer.version,
                ephemeral_id: &observer.run_id,
            },
            observer: ObserverWire {
                kind: "scanner",
                product: "shellsweep",
                vendor: "shellsweep",
                version: observer.version,
            },
        }
    }
}

#[derive(Serialize)]
pub struct Ecs {
    pub version: &'static str,
}

/// ECS `agent.*`: the scanner that wrote the line; `ephemeral_id` is the run id.
#[derive(Serialize)]
pub struct Agent<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: &'static str,
    pub version: &'a str,
    pub ephemeral_id: &'a str,
}

#[derive(Serialize)]
pub struct ObserverWire<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub product: &'static str,
    pub vendor: &'static str,
    pub version: &'a str,
}

/// ECS `event.*`, for every kind of line (what a kind has not is left out).
#[derive(Serialize, Default)]
pub struct Event {
    pub kind: &'static str,
    pub category: &'static [&'static str],
    #[serde(rename = "type")]
    pub kind_type: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    pub module: &'static str,
    pub dataset: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_score: Option<u8>,
    pub created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Nanoseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
}

/// `event.risk_score` (0-100), for Elastic's rules that take the risk from the event: a file
/// finding's combined score (see docs/RULES.md, "Scores"), and never below the floor of
/// its severity band (20 low, 40 medium, 60 high, 80 critical; the bands agree with
/// Elastic's: 0-21 low, 22-47 medium, 48-73 high, 74-100 critical, but for a combined score
/// of 74 to 79, which stays high).
pub fn risk_score(severity: Severity, file_score: u32) -> u8 {
    u8::try_from(file_score.clamp(u32::from(severity.default_score()), 100)).unwrap_or(100)
}

#[derive(Serialize)]
struct RuleWire<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    /// ECS takes one URL here: the first; all of them are in `shellsweep.references`.
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
    author: [&'a str; 1],
    ruleset: &'a str,
}

#[derive(Serialize)]
struct FileWire<'a> {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    directory: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extension: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mtime: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    hash: BTreeMap<&'static str, &'a str>,
}

impl<'a> FileWire<'a> {
    fn of(path: &Path) -> FileWire<'a> {
        FileWire {
            path: path.to_string_lossy().into_owned(),
            name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
            directory: path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map(|d| d.to_string_lossy().into_owned()),
            extension: path.extension().map(|e| e.to_string_lossy().into_owned()),
            size: None,
            mtime: None,
            hash: BTreeMap::new(),
        }
    }
}

#[derive(Serialize)]
struct LogWire {
    file: LogFileWire,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<String>,
}

#[derive(Serialize)]
struct LogFileWire {
    path: String,
}

#[derive(Serialize, Default)]
struct Endpoint {
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u64>,
}

#[derive(Serialize, Default)]
struct Url {
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<String>,
}

#[derive(Serialize, Default)]
struct Http {
    #[serde(skip_serializing_if = "HttpRequest::is_empty")]
    request: HttpRequest,
    #[serde(skip_serializing_if = "HttpResponse::is_empty")]
    response: HttpResponse,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
}

#[derive(Serialize, Default)]
struct HttpRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    referrer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
}

impl HttpRequest {
    fn is_empty(&self) -> bool {
        self.method.is_none() && self.referrer.is_none() && self.bytes.is_none()
    }
}

#[derive(Serialize, Default)]
struct HttpResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    status_code: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
}

impl HttpResponse {
    fn is_empty(&self) -> bool {
        self.status_code.is_none() && self.bytes.is_none()
    }
}

#[derive(Serialize)]
struct UserAgent {
    original: String,
}

#[derive(Serialize)]
struct User {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<String>,
}

#[derive(Serialize)]
struct Network {
    forwarded_ip: String,
}

#[derive(Serialize, Default)]
struct Related {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ip: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hosts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hash: Vec<String>,
}

impl Related {
    fn add(list: &mut Vec<String>, v: &str) {
        if !v.is_empty() && !list.iter().any(|x| x == v) {
            list.push(v.to_owned());
        }
    }

    fn is_empty(&self) -> bool {
        self.ip.is_empty() && self.hosts.is_empty() && self.hash.is_empty()
    }
}

#[derive(Serialize, Default)]
struct Threat<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    framework: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    technique: Option<Technique>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    enrichments: Vec<Enrichment<'a>>,
}

#[derive(Serialize, Debug, PartialEq)]
struct Technique {
    id: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subtechnique: Option<Subtechnique>,
}

#[derive(Serialize, Debug, PartialEq)]
struct Subtechnique {
    id: Vec<String>,
}

/// ECS `threat.enrichments[]`: an IOC match is an enrichment of the event it was found in.
#[derive(Serialize)]
struct Enrichment<'a> {
    indicator: IndicatorWire<'a>,
    matched: Matched<'a>,
}

#[derive(Serialize)]
struct IndicatorWire<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    /// The indicator as listed: an address, a CIDR, a domain, a hash, a glob or a regex.
    name: &'a str,
    provider: &'a str,
    description: Cow<'a, str>,
    /// Typed fields only hold a value of their type: a CIDR or a path pattern is only in
    /// `name` (and what it matched in `matched.atomic`).
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<IndicatorUrl<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<IndicatorFile<'a>>,
}

#[derive(Serialize)]
struct IndicatorUrl<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    original: Option<&'a str>,
}

#[derive(Serialize)]
struct IndicatorFile<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    hash: BTreeMap<&'static str, &'a str>,
}

#[derive(Serialize)]
struct Matched<'a> {
    atomic: String,
    field: Cow<'a, str>,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// `shellsweep.*` of a finding: what ECS has no field for.
#[derive(Serialize)]
struct FindingExt<'a> {
    severity_name: &'static str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    references: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    matches: Vec<MatchWire<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    match_count: Option<u64>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    selections: &'a [String],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    measures: BTreeMap<&'static str, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<u32>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    raised_by: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_severity: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_bytes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log: Option<LogExt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ioc: Option<IocExt<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    truncated_fields: Vec<String>,
    run_id: &'a str,
}

#[derive(Serialize)]
struct MatchWire<'a> {
    pattern: &'a str,
    offset: u64,
    length: u64,
    line: u64,
    excerpt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    view_excerpt: Option<String>,
}

impl<'a> MatchWire<'a> {
    fn of(m: &'a Match) -> MatchWire<'a> {
        MatchWire {
            pattern: &m.pattern,
            offset: m.offset,
            length: m.length,
            line: m.line,
            excerpt: escape_bytes(&m.excerpt),
            view_excerpt: m.view_excerpt.as_deref().map(escape_bytes),
        }
    }
}

#[derive(Serialize)]
struct LogExt {
    format: &'static str,
    line: u64,
    offset: u64,
    /// For SharePoint ULS, whose times carry no zone: true when the zone in
    /// `event.timezone` is the scanning host's, not one given with `--uls-utc-offset`.
    #[serde(skip_serializing_if = "Option::is_none")]
    timezone_assumed: Option<bool>,
    fields: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
struct IocExt<'a> {
    list: &'a str,
    line: usize,
    field: &'a str,
    matched: String,
}

/// A finding's document.
#[derive(Serialize)]
struct FindingDoc<'a> {
    #[serde(flatten)]
    header: Header<'a>,
    message: String,
    event: Event,
    rule: RuleWire<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<FileWire<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log: Option<LogWire>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Endpoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination: Option<Endpoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    http: Option<Http>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<UserAgent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<User>,
    #[serde(skip_serializing_if = "Option::is_none")]
    network: Option<Network>,
    #[serde(skip_serializing_if = "Related::is_empty")]
    related: Related,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    threat: Option<Threat<'a>>,
    shellsweep: FindingExt<'a>,
}

/// Copies strings from a log under [`FIELD_MAX`], naming each one that was cut.
#[derive(Default)]
struct Capped {
    truncated: Vec<String>,
}

impl Capped {
    fn text(&mut self, field: &str, bytes: &[u8]) -> String {
        self.text_max(field, bytes, FIELD_MAX)
    }

    fn text_max(&mut self, field: &str, bytes: &[u8], max: usize) -> String {
        if bytes.len() <= max {
            return escape_bytes(bytes);
        }
        self.cut(field);
        // Not inside a UTF-8 sequence: its head would show as escaped bytes.
        let mut end = max;
        while end > max.saturating_sub(3) && bytes.get(end).is_some_and(|b| b & 0xc0 == 0x80) {
            end -= 1;
        }
        let mut s = escape_bytes(&bytes[..end]);
        // Escaping grows invalid bytes fourfold; the cap is on what is written.
        if s.len() > max {
            let mut end = max;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
        }
        s
    }

    fn cut(&mut self, field: &str) {
        if !self.truncated.iter().any(|f| f == field) {
            self.truncated.push(field.to_owned());
        }
    }
}

/// A finding's ECS document.
pub fn finding(f: &Finding, observer: &Observer) -> serde_json::Result<String> {
    serde_json::to_string(&finding_doc(f, observer))
}

/// The same, as a value (the state keeps it).
pub fn finding_value(f: &Finding, observer: &Observer) -> serde_json::Result<serde_json::Value> {
    serde_json::to_value(finding_doc(f, observer))
}

fn finding_doc<'a>(f: &'a Finding, observer: &'a Observer) -> FindingDoc<'a> {
    let path = observer.absolute(f.subject.path());
    let mut capped = Capped::default();
    let mut related = Related::default();
    let (category, dataset): (&'static [&'static str], _) = match &f.subject {
        Subject::File(_) => (&["malware", "file"], "shellsweep.file"),
        Subject::Log(_) => (&["intrusion_detection", "web"], "shellsweep.log"),
    };
    let mut event = Event {
        kind: "alert",
        category,
        kind_type: ["info"],
        module: "shellsweep",
        dataset,
        id: Some(event_id(f, &path)),
        severity: Some(f.rule.severity.ecs_score()),
        risk_score: Some(risk_score(f.rule.severity, f.file_score)),
        created: rfc3339(f.timestamp),
        ..Event::default()
    };
    let mut ext = FindingExt {
        severity_name: f.rule.severity.as_str(),
        references: &f.rule.references,
        line: None,
        matches: f.matches.iter().map(MatchWire::of).collect(),
        match_count: (!f.matches.is_empty()).then_some(f.match_count),
        selections: &f.selections,
        measures: f.measures.iter().map(|(s, v)| (s.name(), *v)).collect(),
        score: (f.file_score > 0).then_some(f.file_score),
        raised_by: &f.raised_by,
        rule_severity: (!f.raised_by.is_empty()).then(|| f.rule_severity.as_str()),
        path_bytes: f
            .subject
            .path()
            .to_str()
            .is_none()
            .then(|| base64::engine::general_purpose::STANDARD.encode(path_bytes(&path))),
        log: None,
        ioc: None,
        truncated_fields: Vec::new(),
        run_id: &observer.run_id,
    };
    let mut doc_file = None;
    let mut log_parts = None;
    match &f.subject {
        Subject::File(file) => {
            doc_file = Some(file_wire(file, &path, &mut related));
            ext.line = f.line();
        }
        Subject::Log(l) => {
            let parts = log_wire(l, &path, &mut capped, &mut related);
            event.start = l.time.map(rfc3339);
            event.original = Some(parts.original.clone());
            event.duration = parts.duration;
            if let Some(zone) = &l.time_zone {
                event.timezone = Some(zone.clone());
            }
            ext.log = Some(LogExt {
                format: l.format.as_str(),
                line: l.line,
                offset: l.offset,
                timezone_assumed: l.time_zone.as_ref().map(|_| l.time_zone_assumed),
                fields: parts.fields_ext.clone(),
            });
            log_parts = Some(parts);
        }
    }
    let mut threat = attack_threat(&f.rule.tags);
    if let Some(hit) = &f.indicator {
        let from_log = matches!(f.subject, Subject::Log(_));
        let matched = if from_log {
            capped.text("shellsweep.ioc.matched", &hit.matched)
        } else {
            escape_bytes(&hit.matched)
        };
        let enrichment = enrichment(hit, matched.clone(), &mut related);
        threat
            .get_or_insert_with(Threat::default)
            .enrichments
            .push(enrichment);
        ext.ioc = Some(IocExt {
            list: &hit.indicator.list,
            line: hit.indicator.line,
            field: &hit.field,
            matched,
        });
    }
    ext.truncated_fields = capped.truncated;
    let mut doc = FindingDoc {
        header: Header::new(observer, f.timestamp),
        message: message(f),
        event,
        rule: RuleWire {
            id: &f.rule.id,
            name: &f.rule.name,
            description: &f.rule.description,
            reference: f.rule.references.first().map(String::as_str),
            author: [&f.rule.author],
            ruleset: &f.rule.ruleset,
        },
        file: doc_file,
        log: None,
        source: None,
        destination: None,
        url: None,
        http: None,
        user_agent: None,
        user: None,
        network: None,
        related,
        tags: &f.rule.tags,
        threat,
        shellsweep: ext,
    };
    if let Some(p) = log_parts {
        doc.log = Some(p.log);
        doc.source = p.source;
        doc.destination = p.destination;
        doc.url = p.url;
        doc.http = p.http;
        doc.user_agent = p.user_agent;
        doc.user = p.user;
        doc.network = p.network;
    }
    doc
}

/// Deterministic across runs, so a SIEM can drop the duplicates of a re-run: the same rule
/// (or indicator) on the same file (by absolute path) and contents, or on the same log
/// record at the same place in its log (line and offset, so that two identical lines differ).
/// Log ids leave out the log's name, so a rotated or compressed copy gives the same ids.
pub fn event_id(f: &Finding, absolute: &Path) -> String {
    let mut h = Sha256::new();
    h.update(f.rule.id.as_bytes());
    h.update([0]);
    if let Some(ind) = &f.indicator {
        h.update(ind.indicator.value.as_bytes());
        h.update([0]);
    }
    match &f.subject {
        Subject::File(file) => {
            h.update(path_bytes(absolute).as_ref());
            h.update([0]);
            h.update(file.sha256.as_bytes());
        }
        Subject::Log(l) => {
            h.update(l.format.as_str().as_bytes());
            h.update([0]);
            h.update(&l.original);
            h.update([0]);
            h.update(l.line.to_le_bytes());
            h.update(l.offset.to_le_bytes());
        }
    }
    hex(&h.finalize()[..16])
}

fn file_wire<'a>(f: &'a FileSubject, path: &Path, related: &mut Related) -> FileWire<'a> {
    let mut w = FileWire::of(path);
    w.size = Some(f.size);
    w.mtime = f
        .modified
        .and_then(|m| jiff::Timestamp::try_from(m).ok())
        .map(rfc3339);
    // Empty when the file was too large to read (a name IOC still reports it).
    if !f.sha256.is_empty() {
        w.hash.insert("sha256", &f.sha256);
        Related::add(&mut related.hash, &f.sha256);
    }
    for (algo, digest) in &f.more_hashes {
        w.hash.insert(algo, digest);
        Related::add(&mut related.hash, digest);
    }
    w
}

/// The ECS fields of a log record.
struct LogParts {
    log: LogWire,
    original: String,
    source: Option<Endpoint>,
    destination: Option<Endpoint>,
    url: Option<Url>,
    http: Option<Http>,
    user_agent: Option<UserAgent>,
    user: Option<User>,
    network: Option<Network>,
    /// `time-taken` (milliseconds) in nanoseconds.
    duration: Option<u64>,
    fields_ext: BTreeMap<&'static str, String>,
}

/// Parses a logged number; a field that is not one (`2OO`, `-`) is left out.
fn number(v: &[u8]) -> Option<u64> {
    std::str::from_utf8(v).ok()?.trim().parse().ok()
}

/// The first address of a logged list (`a, b` in X-Forwarded-For), as an address.
fn first_addr(v: &[u8]) -> Option<String> {
    let first = v
        .split(|&b| b == b',' || b == b' ')
        .find(|a| !a.is_empty())?;
    crate::ioc::parse_logged_addr(first).map(|a| a.to_string())
}

fn endpoint(v: &[u8], field: &str, capped: &mut Capped, related: &mut Related) -> Endpoint {
    match first_addr(v) {
        Some(ip) => {
            Related::add(&mut related.ip, &ip);
            Endpoint {
                ip: Some(ip),
                ..Endpoint::default()
            }
        }
        None => Endpoint {
            address: Some(capped.text(field, v)),
            ..Endpoint::default()
        },
    }
}

/// `name=value; ...` with the values dropped: a session cookie in a SIEM is a session anyone
/// there can take over; the names still show what kind of client it was.
fn redact_cookie(v: &[u8]) -> Vec<u8> {
    if v == b"-" {
        return v.to_vec();
    }
    let mut out = Vec::new();
    // IIS writes spaces as `+`; both separate cookies.
    for part in v.split(|&b| b == b';').filter(|p| !p.is_empty()) {
        let name = part.split(|&b| b == b'=').next().unwrap_or(part);
        let name = name.strip_prefix(b"+").unwrap_or(name);
        let name = name.strip_prefix(b" ").unwrap_or(name);
        if !out.is_empty() {
            out.extend_from_slice(b";");
        }
        out.extend_from_slice(name);
        out.extend_from_slice(b"=[redacted]");
    }
    out
}

fn log_wire(l: &LogSubject, path: &Path, capped: &mut Capped, related: &mut Related) -> LogParts {
    let get = |want: Field| {
        l.fields
            .iter()
            .find(|(f, _)| *f == want)
            .map(|(_, v)| v.as_slice())
    };
    let cookie = get(Field::Cookie).map(redact_cookie);
    let mut original = l.original.clone();
    if let (Some(raw), Some(red)) = (get(Field::Cookie), &cookie)
        && raw.len() > 1
        && let Some(at) = memchr::memmem::find(&original, raw)
    {
        original.splice(at..at + raw.len(), red.iter().copied());
    }
    let original_text = capped.text_max("event.original", &original, FIELD_MAX);
    // The record itself was cut before it got here (at ORIGINAL_MAX).
    if l.original_cut {
        capped.cut("event.original");
    }
    let fields_ext = l
        .fields
        .iter()
        .map(|(f, v)| {
            let v = if *f == Field::Cookie {
                cookie.as_deref().unwrap_or(v)
            } else {
                v
            };
            (
                f.name(),
                capped.text(&format!("shellsweep.log.fields.{}", f.name()), v),
            )
        })
        .collect();
    let source = get(Field::ClientIp).map(|v| {
        let field = if first_addr(v).is_some() {
            "source.ip"
        } else {
            "source.address"
        };
        endpoint(v, field, capped, related)
    });
    let destination = get(Field::ServerIp).map(|v| {
        let mut e = endpoint(v, "destination.address", capped, related);
        e.port = get(Field::ServerPort).and_then(number);
        e
    });
    let network = get(Field::ForwardedFor)
        .and_then(first_addr)
        .map(|forwarded_ip| {
            Related::add(&mut related.ip, &forwarded_ip);
            Network { forwarded_ip }
        });
    let url = Url {
        path: get(Field::UriStem).map(|v| capped.text("url.path", v)),
        query: get(Field::UriQuery).map(|v| capped.text("url.query", v)),
        domain: get(Field::Host).map(|v| capped.text("url.domain", v)),
    };
    if let Some(d) = &url.domain {
        let host = d.rsplit_once(':').map_or(d.as_str(), |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                d
            }
        });
        Related::add(&mut related.hosts, host);
    }
    let http = Http {
        request: HttpRequest {
            method: get(Field::Method).map(|v| capped.text("http.request.method", v)),
            referrer: get(Field::Referer).map(|v| capped.text("http.request.referrer", v)),
            bytes: get(Field::BytesReceived).and_then(number),
        },
        response: HttpResponse {
            status_code: get(Field::Status).and_then(number),
            bytes: get(Field::BytesSent).and_then(number),
        },
        version: get(Field::Version)
            .map(|v| capped.text("http.version", v.strip_prefix(b"HTTP/").unwrap_or(v))),
    };
    let http = (!http.request.is_empty() || !http.response.is_empty() || http.version.is_some())
        .then_some(http);
    let user = get(Field::Username).map(|v| match v.iter().position(|&b| b == b'\\') {
        Some(at) if at > 0 && at + 1 < v.len() => User {
            domain: Some(capped.text("user.domain", &v[..at])),
            name: capped.text("user.name", &v[at + 1..]),
        },
        _ => User {
            name: capped.text("user.name", v),
            domain: None,
        },
    });
    LogParts {
        log: LogWire {
            file: LogFileWire {
                path: path.to_string_lossy().into_owned(),
            },
            level: get(Field::Level).map(|v| capped.text("log.level", v.trim_ascii())),
        },
        original: original_text,
        source,
        destination,
        url: (url.path.is_some() || url.query.is_some() || url.domain.is_some()).then_some(url),
        http,
        user_agent: get(Field::UserAgent).map(|v| UserAgent {
            original: capped.text("user_agent.original", v),
        }),
        user,
        network,
        duration: get(Field::TimeTaken)
            .and_then(number)
            .and_then(|ms| ms.checked_mul(1_000_000)),
        fields_ext,
    }
}

/// The ECS field an IOC list's value was seen in (`shellsweep.ioc.field` keeps the log's own
/// name).
fn matched_field(field: &str) -> Cow<'_, str> {
    let ecs = match field {
        "line" => "event.original",
        "c-ip" => "source.ip",
        "x-forwarded-for" => "network.forwarded_ip",
        "cs-host" => "url.domain",
        "cs-referer" => "http.request.referrer",
        "cs-uri-stem" => "url.path",
        "cs-uri-query" => "url.query",
        "url" => "url.full",
        f if f.starts_with("file.") => f,
        f => return Cow::Owned(format!("shellsweep.log.fields.{f}")),
    };
    Cow::Borrowed(ecs)
}

fn enrichment<'a>(hit: &'a IndicatorHit, atomic: String, related: &mut Related) -> Enrichment<'a> {
    let ind = &hit.indicator;
    let kind = match ind.kind {
        // A CIDR's type follows its address family.
        Kind::Cidr if ind.value.contains(':') => "ipv6-addr",
        k => k.ecs_type(),
    };
    let mut w = IndicatorWire {
        kind,
        name: &ind.value,
        provider: &ind.list,
        description: match &ind.description {
            Some(d) => Cow::Borrowed(d),
            None => Cow::Owned(format!(
                "{} from {} line {}",
                ind.kind.as_str(),
                ind.list,
                ind.line
            )),
        },
        ip: None,
        url: None,
        file: None,
    };
    let file = |name: Option<&'a str>, hash: Option<(&'static str, &'a str)>| IndicatorFile {
        name,
        hash: hash.into_iter().collect(),
    };
    match ind.kind {
        Kind::Ipv4 | Kind::Ipv6 => {
            w.ip = Some(&ind.value);
            Related::add(&mut related.ip, &ind.value);
        }
        Kind::Cidr => {
            if let Some(ip) = crate::ioc::parse_logged_addr(&hit.matched) {
                Related::add(&mut related.ip, &ip.to_string());
            }
        }
        Kind::Domain => {
            w.url = Some(IndicatorUrl {
                domain: Some(&ind.value),
                original: None,
            });
        }
        Kind::Url => {
            w.url = Some(IndicatorUrl {
                domain: None,
                original: Some(&ind.value),
            });
        }
        Kind::Md5 => w.file = Some(file(None, Some(("md5", &ind.value)))),
        Kind::Sha1 => w.file = Some(file(None, Some(("sha1", &ind.value)))),
        Kind::Sha256 => w.file = Some(file(None, Some(("sha256", &ind.value)))),
        Kind::FileName => w.file = Some(file(Some(&ind.value), None)),
        Kind::PathRegex | Kind::PathGlob => {}
    }
    Enrichment {
        indicator: w,
        matched: Matched {
            atomic,
            field: matched_field(&hit.field),
            kind: "indicator_match_rule",
        },
    }
}

/// ECS `threat.*` from ATT&CK tags such as `attack.t1505.003`.
fn attack_threat<'a>(tags: &[String]) -> Option<Threat<'a>> {
    let mut techniques = Vec::new();
    let mut subtechniques = Vec::new();
    for t in tags {
        let Some(id) = t
            .to_ascii_lowercase()
            .strip_prefix("attack.t")
            .map(str::to_owned)
        else {
            continue;
        };
        if !id.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        let id = format!("T{}", id.to_ascii_uppercase());
        let technique = id.split('.').next().unwrap_or(&id).to_owned();
        if !techniques.contains(&technique) {
            techniques.push(technique);
        }
        if id.contains('.') && !subtechniques.contains(&id) {
            subtechniques.push(id);
        }
    }
    if techniques.is_empty() {
        return None;
    }
    Some(Threat {
        framework: Some("MITRE ATT&CK"),
        technique: Some(Technique {
            id: techniques,
            subtechnique: (!subtechniques.is_empty()).then_some(Subtechnique { id: subtechniques }),
        }),
        enrichments: Vec::new(),
    })
}

/// One sentence for people (paths as found, not made absolute: people typed them).
fn message(f: &Finding) -> String {
    let name = &f.rule.name;
    match &f.subject {
        Subject::File(file) => format!("{name} in {}", file.path.to_string_lossy()),
        Subject::Log(l) => {
            let get = |want: Field| {
                l.fields
                    .iter()
                    .find(|(f, _)| *f == want)
                    .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            };
            let request = match (get(Field::Method), get(Field::UriStem)) {
                (Some(m), Some(s)) => format!(": {m} {s}"),
                (None, Some(s)) => format!(": {s}"),
                _ => String::new(),
            };
            let from = get(Field::ClientIp)
                .map(|ip| format!(" from {ip}"))
                .unwrap_or_default();
            let text = format!(
                "{name}{request}{from} ({}:{})",
                l.path.to_string_lossy(),
                l.line
            );
            // The sentence repeats logged text: capped like the fields it came from.
            if text.len() > FIELD_MAX {
                let mut end = FIELD_MAX;
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                format!("{}…", &text[..end])
            } else {
                text
            }
        }
    }
}

/// An error or skip line.
#[derive(Serialize)]
struct ScanEventDoc<'a> {
    #[serde(flatten)]
    header: Header<'a>,
    message: String,
    event: Event,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorWire<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<FileWire<'a>>,
    shellsweep: ScanEventExt<'a>,
}

#[derive(Serialize)]
struct ErrorWire<'a> {
    message: &'a str,
}

#[derive(Serialize)]
struct ScanEventExt<'a> {
    gap: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_bytes: Option<String>,
    run_id: &'a str,
}

/// The line of an error or skip.
pub fn scan_event(e: &ScanEvent, observer: &Observer) -> serde_json::Result<String> {
    serde_json::to_string(&scan_event_doc(e, observer))
}

fn scan_event_doc<'a>(e: &'a ScanEvent, observer: &'a Observer) -> ScanEventDoc<'a> {
    let now = jiff::Timestamp::now();
    let shown = e
        .path
        .as_deref()
        .map(|p| escape_bytes(&path_bytes(p)))
        .unwrap_or_default();
    let (action, reason, message) = match &e.what {
        EventKind::Error(m) => ("file_error", "error", format!("scan error: {m}")),
        EventKind::Skipped { why, detail } => {
            let what = why.as_str().replace('_', " ");
            let text = if detail.is_empty() {
                format!("skipped: {what}")
            } else {
                format!("skipped: {what}: {detail}")
            };
            ("file_skipped", why.as_str(), text)
        }
    };
    let gap = e.is_gap();
    let is_error = matches!(e.what, EventKind::Error(_));
    let file = e.path.as_deref().map(|p| {
        let abs = observer.absolute(p);
        let mut w = FileWire::of(&abs);
        w.directory = None;
        w.extension = None;
        w.size = e.size;
        w
    });
    ScanEventDoc {
        header: Header::new(observer, now),
        message: if shown.is_empty() {
            message
        } else {
            format!("{shown}: {message}")
        },
        event: Event {
            kind: "event",
            category: &["file"],
            kind_type: [if is_error { "error" } else { "info" }],
            action: Some(action),
            reason: Some(reason),
            module: "shellsweep",
            dataset: "shellsweep.scan",
            outcome: Some(if gap { "failure" } else { "unknown" }),
            created: rfc3339(now),
            ..Event::default()
        },
        error: match &e.what {
            EventKind::Error(m) => Some(ErrorWire { message: m }),
            EventKind::Skipped { .. } => None,
        },
        file,
        shellsweep: ScanEventExt {
            gap,
            path_bytes: e
                .path
                .as_deref()
                .filter(|p| p.to_str().is_none())
                .map(|p| base64::engine::general_purpose::STANDARD.encode(path_bytes(p))),
            run_id: &observer.run_id,
        },
    }
}

/// The summary line.
#[derive(Serialize)]
struct SummaryDoc<'a> {
    #[serde(flatten)]
    header: Header<'a>,
    message: String,
    event: Event,
    shellsweep: SummaryExt<'a>,
}

#[derive(Serialize)]
struct SummaryExt<'a> {
    summary: SummaryWire<'a>,
    run_id: &'a str,
}

#[derive(Serialize)]
struct SummaryWire<'a> {
    files_scanned: u64,
    bytes_scanned: u64,
    files_without_rules: u64,
    files_skipped: &'a BTreeMap<&'static str, u64>,
    errors: u64,
    findings: &'a BTreeMap<&'static str, u64>,
    findings_total: u64,
    findings_below_min_severity: u64,
    findings_allowed: u64,
    findings_carried_over: u64,
    files_unchanged: u64,
    events_left_out: u64,
    logs: &'a crate::summary::LogCounts,
    rules_loaded: usize,
    indicators_loaded: usize,
    indicators: &'a BTreeMap<&'static str, usize>,
    ioc_lines_rejected: usize,
    duration_ms: u64,
    threads: usize,
    paths: &'a [String],
    excludes: &'a [String],
    complete: bool,
    symlinks_not_followed: Symlinks<'a>,
    interrupted: bool,
}

#[derive(Serialize)]
struct Symlinks<'a> {
    count: u64,
    paths: &'a [String],
}

/// The summary line.
pub fn summary(s: &Summary, observer: &Observer) -> serde_json::Result<String> {
    let now = jiff::Timestamp::now();
    serde_json::to_string(&SummaryDoc {
        header: Header::new(observer, now),
        message: s.sentence(),
        event: Event {
            kind: "event",
            category: &["file"],
            kind_type: ["info"],
            action: Some("scan_completed"),
            module: "shellsweep",
            dataset: "shellsweep.summary",
            outcome: Some(if s.complete { "success" } else { "failure" }),
            created: rfc3339(now),
            start: Some(rfc3339(s.run.started)),
            duration: Some(s.run.duration_ms.saturating_mul(1_000_000)),
            ..Event::default()
        },
        shellsweep: SummaryExt {
            summary: SummaryWire {
                files_scanned: s.files_scanned,
                bytes_scanned: s.bytes_scanned,
                files_without_rules: s.files_without_rules,
                files_skipped: &s.files_skipped,
                errors: s.errors,
                findings: &s.findings,
                findings_total: s.findings_total,
                findings_below_min_severity: s.findings_below_min_severity,
                findings_allowed: s.findings_allowed,
                findings_carried_over: s.findings_carried_over,
                files_unchanged: s.files_unchanged,
                events_left_out: s.events_left_out,
                logs: &s.logs,
                rules_loaded: s.run.rules_loaded,
                indicators_loaded: s.run.indicators_loaded,
                indicators: &s.run.indicators,
                ioc_lines_rejected: s.run.ioc_lines_rejected,
                duration_ms: s.run.duration_ms,
                threads: s.run.threads,
                paths: &s.run.paths,
                excludes: &s.run.excludes,
                complete: s.complete,
                symlinks_not_followed: Symlinks {
                    count: s.files_skipped.get("symlink").copied().unwrap_or(0),
                    paths: &s.symlinks_not_followed,
                },
                interrupted: s.run.interrupted,
            },
            run_id: &observer.run_id,
        },
    })
}

/// A finding kept by the state from an earlier sweep, written now: this run's header and run
/// id on the stored document, `event.created` when it was first reported. Documents stored by
/// an older version are brought to this form (`event.severity_name` and the list of
/// `rule.reference` moved under `shellsweep.`).
pub fn carried(
    doc: &serde_json::Value,
    first_seen: &str,
    observer: &Observer,
) -> serde_json::Result<String> {
    let mut doc = doc.clone();
    let header = serde_json::to_value(Header::new(observer, jiff::Timestamp::now()))?;
    if let (Some(o), serde_json::Value::Object(h)) = (doc.as_object_mut(), header) {
        o.extend(h);
    }
    if !doc["shellsweep"].is_object() {
        doc["shellsweep"] = serde_json::json!({});
    }
    if let Some(event) = doc["event"].as_object_mut() {
        if let Some(old) = event.remove("severity_name") {
            doc["shellsweep"]["severity_name"] = old;
        }
        doc["event"]["created"] = first_seen.into();
    }
    if let Some(all) = doc["rule"]["reference"].as_array().cloned() {
        doc["rule"]["reference"] = all.first().cloned().unwrap_or_default();
        if let Some(rule) = doc["rule"].as_object_mut()
            && all.is_empty()
        {
            rule.remove("reference");
        }
        if !all.is_empty() {
            doc["shellsweep"]["references"] = all.into();
        }
    }
    doc["shellsweep"]["run_id"] = observer.run_id.clone().into();
    doc["shellsweep"]["carried_over"] = true.into();
    doc["shellsweep"]["first_seen"] = first_seen.into();
    serde_json::to_string(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_tags_become_threat_fields() {
        let t = attack_threat(&[
            "attack.persistence".into(),
            "attack.t1505.003".into(),
            "attack.T1190".into(),
        ])
        .unwrap();
        let technique = t.technique.unwrap();
        assert_eq!(technique.id, ["T1505", "T1190"]);
        assert_eq!(technique.subtechnique.unwrap().id, ["T1505.003"]);
        assert!(attack_threat(&["attack.persistence".into()]).is_none());
    }

    #[test]
    fn cookies_keep_their_names_only() {
        assert_eq!(
            redact_cookie(b"ASP.NET_SessionId=abc123;+auth=s3cr3t=="),
            b"ASP.NET_SessionId=[redacted];auth=[redacted]"
        );
        assert_eq!(redact_cookie(b"-"), b"-");
    }

    #[test]
    fn long_fields_are_cut_and_named() {
        let mut c = Capped::default();
        assert_eq!(c.text("url.path", b"/a"), "/a");
        let long = vec![b'q'; FIELD_MAX + 10];
        assert_eq!(c.text("url.query", &long).len(), FIELD_MAX);
        // Invalid bytes escape to four characters each: still under the cap.
        let bad = vec![0xffu8; FIELD_MAX + 1];
        let s = c.text("user_agent.original", &bad);
        assert!(
            s.len() <= FIELD_MAX && s.starts_with("\\xff"),
            "{}",
            s.len()
        );
        assert_eq!(c.truncated, ["url.query", "user_agent.original"]);
    }

    #[test]
    fn risk_follows_the_combined_score_within_the_severity() {
        assert_eq!(risk_score(Severity::Low, 0), 20);
        assert_eq!(risk_score(Severity::Medium, 45), 45);
        assert_eq!(risk_score(Severity::Critical, 30), 80);
        assert_eq!(risk_score(Severity::Critical, 100), 100);
    }

    #[cfg(unix)]
    #[test]
    fn event_lines_keep_a_non_utf8_path_exactly() {
        use crate::summary::Skip;
        use std::os::unix::ffi::OsStrExt;
        let path = Path::new(std::ffi::OsStr::from_bytes(b"/w/a\xff\x1b.php"));
        let mut e = ScanEvent::skipped(path.to_path_buf(), Skip::TooLarge, "big");
        e.size = Some(7);
        let observer = Observer::placeholder();
        let doc: serde_json::Value =
            serde_json::from_str(&scan_event(&e, &observer).unwrap()).unwrap();
        assert_eq!(doc["event"]["outcome"], "failure");
        assert_eq!(doc["event"]["reason"], "too_large");
        assert_eq!(doc["file"]["size"], 7);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(doc["shellsweep"]["path_bytes"].as_str().unwrap())
            .unwrap();
        assert_eq!(raw, b"/w/a\xff\x1b.php");
        assert!(
            doc["message"]
                .as_str()
                .unwrap()
                .contains("a\\xff\u{1b}.php")
        );
    }

    #[test]
    fn relative_paths_become_absolute_without_resolving() {
        let o = Observer {
            cwd: Some("/srv/www".into()),
            ..Observer::placeholder()
        };
        assert_eq!(
            o.absolute(Path::new("./a/b.php")),
            Path::new("/srv/www/a/b.php")
        );
        assert_eq!(
            o.absolute(Path::new("a/../b.php")),
            Path::new("/srv/www/a/../b.php")
        );
        assert_eq!(o.absolute(Path::new("/x/y.php")), Path::new("/x/y.php"));
        assert_eq!(o.absolute(Path::new("<stdin>")), Path::new("<stdin>"));
    }
}
