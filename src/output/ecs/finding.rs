//! The alert lines: a finding on a file or a log record.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::common::bytes::{escape_bytes, hex, path_bytes, rfc3339};
use crate::engine::Match;
use crate::finding::{Correlation, FileSubject, Finding, IndicatorHit, Subject};
use crate::ioc::Kind;
use crate::logs::Field;

use super::correlation::{CorrelationWire, PivotWire};
use super::host::Observer;
use super::log::{Capped, Endpoint, Http, LogWire, Network, Url, User, UserAgent, log_wire};
use super::{Event, FileWire, Header, Related, risk_score};

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
    /// Absent on a pivot event, which is not an alert.
    #[serde(skip_serializing_if = "Option::is_none")]
    severity_name: Option<&'static str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    references: &'a [String],
    /// A Sigma rule's status and false positives.
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_status: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    falsepositives: &'a [String],
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
    #[serde(skip_serializing_if = "Option::is_none")]
    correlation: Option<CorrelationWire<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pivot: Option<PivotWire<'a>>,
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
    /// Absent on a pivot event: no rule matched it, an address did.
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<RuleWire<'a>>,
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
        _ if f.pivot.is_some() => (&["web"], "shellsweep.pivot"),
        _ if f.correlation.is_some() => (&["intrusion_detection", "web"], "shellsweep.correlation"),
        Subject::File(_) => (&["malware", "file"], "shellsweep.file"),
        Subject::Log(_) => (&["intrusion_detection", "web"], "shellsweep.log"),
    };
    let alert = !f.is_event();
    let mut event = Event {
        kind: if alert { "alert" } else { "event" },
        category,
        kind_type: ["info"],
        module: "shellsweep",
        dataset,
        id: Some(event_id(f, &path)),
        severity: alert.then(|| f.rule.severity.ecs_score()),
        risk_score: alert.then(|| risk_score(f.rule.severity, f.file_score)),
        created: rfc3339(f.timestamp),
        ..Event::default()
    };
    if let Some(Correlation::Requested(r)) = &f.correlation {
        event.start = r.first.map(rfc3339);
        event.end = r.last.map(rfc3339);
        for c in &r.clients {
            Related::add(&mut related.ip, c);
        }
    }
    let mut ext = FindingExt {
        severity_name: alert.then(|| f.rule.severity.as_str()),
        references: &f.rule.references,
        rule_status: f.rule.status.as_deref(),
        falsepositives: &f.rule.falsepositives,
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
        correlation: f.correlation.as_ref().map(CorrelationWire::of),
        pivot: f.pivot.as_deref().map(PivotWire::of),
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
            let mut parts = log_wire(l, &path, &mut capped, &mut related);
            event.start = l.time.map(rfc3339);
            event.original = Some(std::mem::take(&mut parts.original));
            event.duration = parts.duration;
            if let Some(zone) = &l.time_zone {
                event.timezone = Some(zone.clone());
            }
            ext.log = Some(LogExt {
                format: l.format.as_str(),
                line: l.line,
                offset: l.offset,
                timezone_assumed: l.time_zone.as_ref().map(|_| l.time_zone_assumed),
                fields: std::mem::take(&mut parts.fields_ext),
            });
            log_parts = Some(parts);
        }
    }
    let mut threat = if alert {
        attack_threat(&f.rule.tags)
    } else {
        None
    };
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
    let message = message(f, &mut capped);
    ext.truncated_fields = capped.truncated;
    let mut doc = FindingDoc {
        header: Header::new(observer, f.timestamp),
        message,
        event,
        rule: alert.then(|| RuleWire {
            id: &f.rule.id,
            name: &f.rule.name,
            description: &f.rule.description,
            reference: f.rule.references.first().map(String::as_str),
            author: [&f.rule.author],
            ruleset: &f.rule.ruleset,
        }),
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
        tags: if alert { &f.rule.tags } else { &[] },
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
    if let Some(Correlation::Dropped(d)) = &f.correlation {
        if let Some(c) = &d.exploit.client {
            doc.source = Some(Endpoint {
                ip: Some(c.clone()),
                ..Endpoint::default()
            });
            Related::add(&mut doc.related.ip, c);
        }
        doc.url = d.exploit.url_path.as_ref().map(|p| Url {
            path: Some(capped_path(p)),
            ..Url::default()
        });
    }
    doc
}

fn capped_path(p: &str) -> String {
    Capped::default().text("url.path", p.as_bytes())
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
            if let Some(ip) = crate::common::net::parse_logged_addr(&hit.matched) {
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

/// The ATT&CK technique (or sub-technique) id a tag names, `T1505.003` for
/// `attack.t1505.003` in any case; the ECS and OCSF lines read tags through this one.
pub(crate) fn attack_technique(tag: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let id = lower.strip_prefix("attack.t")?;
    id.starts_with(|c: char| c.is_ascii_digit())
        .then(|| format!("T{}", id.to_ascii_uppercase()))
}

/// ECS `threat.*` from ATT&CK tags such as `attack.t1505.003`.
fn attack_threat<'a>(tags: &[String]) -> Option<Threat<'a>> {
    let mut techniques = Vec::new();
    let mut subtechniques = Vec::new();
    for id in tags.iter().filter_map(|t| attack_technique(t)) {
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

/// The sentence of a finding's `message`, for the other line formats.
pub(crate) fn message_of(f: &Finding) -> String {
    message(f, &mut Capped::default())
}

/// One sentence for people (paths as found, not made absolute: people typed them).
fn message(f: &Finding, capped: &mut Capped) -> String {
    let name = &f.rule.name;
    if let (Some(c), Subject::File(file)) = (&f.correlation, &f.subject) {
        let path = file.path.to_string_lossy();
        let text = match c {
            Correlation::Requested(r) => format!(
                "{name}: {path} was requested {} time(s) by {} client(s) ({} more answered 404)",
                r.count,
                r.clients.len(),
                r.not_found
            ),
            Correlation::Dropped(d) => format!(
                "{name}: {path} {} {}s after {} from {}",
                d.file_time_kind,
                d.delay_seconds,
                d.exploit.rule_id,
                d.exploit.client.as_deref().unwrap_or("an unknown client")
            ),
        };
        return capped.text("message", text.as_bytes());
    }
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
            let text = match &f.pivot {
                Some(p) => {
                    let status = get(Field::Status)
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default();
                    format!("Pivot {}{request}{status}", p.address)
                }
                None => format!(
                    "{name}{request}{from} ({}:{})",
                    l.path.to_string_lossy(),
                    l.line
                ),
            };
            // The sentence repeats logged text: capped like the fields it came from.
            capped.text("message", text.as_bytes())
        }
    }
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
}
