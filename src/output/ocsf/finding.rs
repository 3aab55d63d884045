//! A finding as a Detection Finding (2004), a pivot event as an HTTP Activity (4002).

use serde_json::{Map, Value, json};

use crate::finding::{Correlation, FileSubject, Finding, IndicatorHit, Subject};
use crate::ioc::Kind;
use crate::output::ecs::log::{Capped, LogParts, log_wire};
use crate::output::ecs::{self, Observer, Related};

use crate::common::severity::Severity;

use super::{device, line, metadata, ms, severity};

/// OCSF `malware.classification_ids`: 20 is "Webshell" (objects/malware.json).
const MALWARE_WEBSHELL: u8 = 20;

/// The ATT&CK technique "Server Software Component: Web Shell": a file finding of a rule
/// tagged with it is a webshell, and gets a `malware` entry.
const WEB_SHELL_TECHNIQUE: &str = "T1505.003";

/// One finding's OCSF line.
pub(crate) fn finding(f: &Finding, observer: &Observer) -> serde_json::Result<String> {
    line(&finding_value(f, observer)?)
}

fn finding_value(f: &Finding, observer: &Observer) -> serde_json::Result<Value> {
    let path = observer.absolute(f.subject.path());
    let uid = ecs::event_id(f, &path);
    // `unmapped.shellsweep` is what ECS too has no field for: the same object.
    let ext = ecs::finding_value(f, observer)?
        .get_mut("shellsweep")
        .map(Value::take)
        .unwrap_or_default();
    let mut capped = Capped::default();
    let log = match &f.subject {
        Subject::Log(l) => Some((log_wire(l, &path, &mut capped, &mut Related::default()), l)),
        Subject::File(_) => None,
    };
    if f.is_event() {
        return Ok(http_activity(f, observer, &uid, log, ext));
    }
    let attacks = attacks(&f.rule.tags);
    let mut info = json!({
        "uid": uid,
        "title": f.rule.name,
        "desc": f.rule.description,
        "analytic": {
            "uid": f.rule.id,
            "name": f.rule.name,
            "type": "Rule",
            "type_id": 1,
        },
        "created_time": ms(f.timestamp),
        "types": [f.rule.ruleset],
    });
    if let Some(r) = f.rule.references.first() {
        info["src_url"] = json!(r);
    }
    if !attacks.is_empty() {
        info["attacks"] = json!(attacks);
    }
    let mut evidence = Map::new();
    let mut malware = Vec::new();
    match &f.subject {
        Subject::File(file) => {
            evidence.insert("file".into(), file_object(file, &path));
            if f.rule.tags.iter().any(|t| is_web_shell_tag(t)) {
                malware.push(json!({
                    "name": f.rule.name,
                    "uid": f.rule.id,
                    "classification_ids": [MALWARE_WEBSHELL],
                    "classifications": ["Webshell"],
                    "path": path.to_string_lossy(),
                }));
            }
        }
        Subject::Log(_) => {}
    }
    let mut raw_data = None;
    let mut start_time = None;
    if let Some((parts, l)) = &log {
        http_parts(parts, &mut evidence);
        raw_data = Some(parts.original.clone());
        start_time = l.time.map(ms);
    }
    match &f.correlation {
        Some(Correlation::Dropped(d)) => {
            if let Some(c) = &d.exploit.client {
                evidence.insert("src_endpoint".into(), json!({ "ip": c }));
            }
            if let Some(p) = &d.exploit.url_path {
                let p = capped.text("url.path", p.as_bytes());
                let mut req = json!({ "url": { "path": p } });
                if let Some(m) = &d.exploit.method {
                    req["http_method"] = json!(m);
                }
                evidence.insert("http_request".into(), req);
            }
        }
        Some(Correlation::Requested(r)) => {
            if let Some(t) = r.first {
                info["first_seen_time"] = json!(ms(t));
            }
            if let Some(t) = r.last {
                info["last_seen_time"] = json!(ms(t));
            }
        }
        None => {}
    }
    let osint: Vec<Value> = f.indicator.iter().map(osint).collect();
    let mut profiles = vec!["host", "security_control"];
    if !osint.is_empty() {
        profiles.push("osint");
    }
    let mut doc = detection_finding(
        f.timestamp,
        f.rule.severity,
        json!({
            "risk_score": ecs::risk_score(f.rule.severity, f.file_score),
            "message": ecs::message_of(f),
            "finding_info": info,
            "metadata": metadata(observer, Some(&uid), &profiles),
            "device": device(observer),
            "unmapped": { "shellsweep": ext },
        }),
    );
    if !attacks.is_empty() {
        // The security_control profile's place; the Detection Finding asks for a copy in
        // `finding_info` too.
        doc["attacks"] = json!(attacks);
    }
    if !evidence.is_empty() {
        doc["evidences"] = json!([evidence]);
    }
    if !malware.is_empty() {
        doc["malware"] = json!(malware);
    }
    if !osint.is_empty() {
        doc["osint"] = json!(osint);
    }
    if let Some(r) = raw_data {
        doc["raw_data"] = json!(r);
    }
    if let Some(t) = start_time {
        doc["start_time"] = json!(t);
    }
    Ok(doc)
}

/// A Detection Finding: the class, activity Create, status New, an alert at `time`, with
/// `rest` (the finding's own attributes) added.
pub(super) fn detection_finding(time: jiff::Timestamp, sev: Severity, rest: Value) -> Value {
    let (severity_id, severity_name) = severity(sev);
    let mut doc = json!({
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "time": ms(time),
        "severity_id": severity_id,
        "severity": severity_name,
        "status_id": 1,
        "status": "New",
        "is_alert": true,
    });
    if let (Some(d), Value::Object(rest)) = (doc.as_object_mut(), rest) {
        d.extend(rest);
    }
    doc
}

fn is_web_shell_tag(tag: &str) -> bool {
    ecs::attack_technique(tag).as_deref() == Some(WEB_SHELL_TECHNIQUE)
}

/// A pivot event: the HTTP request an intruder's address made (no rule, no alert).
fn http_activity(
    f: &Finding,
    observer: &Observer,
    uid: &str,
    log: Option<(LogParts, &crate::finding::LogSubject)>,
    ext: Value,
) -> Value {
    let mut parts = Map::new();
    let mut time = f.timestamp;
    let mut raw = None;
    if let Some((p, l)) = &log {
        http_parts(p, &mut parts);
        time = l.time.unwrap_or(f.timestamp);
        raw = Some(p.original.clone());
    }
    let method = parts
        .get("http_request")
        .and_then(|r| r["http_method"].as_str())
        .unwrap_or_default();
    let (activity_id, activity_name) = http_activity_id(method);
    // HTTP Activity needs a request (or response) and an endpoint: the pivot address is
    // the client when the record names none.
    parts.entry("http_request").or_insert_with(|| json!({}));
    if let Some(p) = &f.pivot {
        parts
            .entry("src_endpoint")
            .or_insert_with(|| json!({ "ip": p.address }));
    }
    let mut doc = json!({
        "class_uid": 4002,
        "class_name": "HTTP Activity",
        "category_uid": 4,
        "category_name": "Network Activity",
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": 400200 + u32::from(activity_id),
        "type_name": format!("HTTP Activity: {activity_name}"),
        "time": ms(time),
        "severity_id": 1,
        "severity": "Informational",
        "message": ecs::message_of(f),
        "metadata": metadata(observer, Some(uid), &["host"]),
        "device": device(observer),
        "unmapped": { "shellsweep": ext },
    });
    if let Some(o) = doc.as_object_mut() {
        o.extend(parts);
    }
    if let Some(r) = raw {
        doc["raw_data"] = json!(r);
    }
    doc
}

/// HTTP Activity's `activity_id` for a logged method (99 Other for one it does not list).
fn http_activity_id(method: &str) -> (u8, &'static str) {
    match method.to_ascii_uppercase().as_str() {
        "" => (0, "Unknown"),
        "CONNECT" => (1, "Connect"),
        "DELETE" => (2, "Delete"),
        "GET" => (3, "Get"),
        "HEAD" => (4, "Head"),
        "OPTIONS" => (5, "Options"),
        "POST" => (6, "Post"),
        "PUT" => (7, "Put"),
        "TRACE" => (8, "Trace"),
        "PATCH" => (9, "Patch"),
        _ => (99, "Other"),
    }
}

/// `http_request`, `http_response`, `src_endpoint`, `dst_endpoint` of a log record, from
/// the ECS writer's capped and redacted fields.
fn http_parts(p: &LogParts, out: &mut Map<String, Value>) {
    let mut req = Map::new();
    if let Some(u) = &p.url {
        let mut url = Map::new();
        if let Some(path) = &u.path {
            url.insert("path".into(), json!(path));
        }
        if let Some(q) = &u.query {
            url.insert("query_string".into(), json!(q));
        }
        if let Some(d) = &u.domain {
            url.insert("hostname".into(), json!(d));
        }
        // `url` needs a path or a whole URL.
        if url.contains_key("path") {
            req.insert("url".into(), Value::Object(url));
        }
    }
    if let Some(h) = &p.http {
        if let Some(m) = &h.request.method {
            req.insert("http_method".into(), json!(m));
        }
        if let Some(r) = &h.request.referrer {
            req.insert("referrer".into(), json!(r));
        }
        if let Some(v) = &h.version {
            req.insert("version".into(), json!(v));
        }
        if let Some(code) = h.response.status_code {
            out.insert("http_response".into(), json!({ "code": code }));
        }
    }
    if let Some(ua) = &p.user_agent {
        req.insert("user_agent".into(), json!(ua.original));
    }
    if !req.is_empty() {
        out.insert("http_request".into(), Value::Object(req));
    }
    if let Some(ip) = p.source.as_ref().and_then(|s| s.ip.as_ref()) {
        out.insert("src_endpoint".into(), json!({ "ip": ip }));
    }
    if let Some(d) = &p.destination
        && let Some(ip) = &d.ip
    {
        let mut e = json!({ "ip": ip });
        if let Some(port) = d.port.filter(|p| *p <= 65535) {
            e["port"] = json!(port);
        }
        out.insert("dst_endpoint".into(), e);
    }
}

/// OCSF `file`: a regular file with its hashes as fingerprints.
fn file_object(file: &FileSubject, path: &std::path::Path) -> Value {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string_lossy().into_owned());
    let mut o = json!({
        "name": name,
        "path": path.to_string_lossy(),
        "type_id": 1,
        "type": "Regular File",
        "size": file.size,
    });
    let mut hashes = Vec::new();
    if !file.sha256.is_empty() {
        hashes.push(fingerprint("sha256", &file.sha256));
    }
    for (algo, digest) in &file.more_hashes {
        hashes.push(fingerprint(algo, digest));
    }
    if !hashes.is_empty() {
        o["hashes"] = json!(hashes);
    }
    if let Some(t) = file
        .modified
        .and_then(|m| jiff::Timestamp::try_from(m).ok())
    {
        o["modified_time"] = json!(ms(t));
    }
    o
}

/// OCSF `fingerprint`: `algorithm_id` 1 MD5, 2 SHA-1, 3 SHA-256 (objects/fingerprint.json).
pub(super) fn fingerprint(algo: &str, value: &str) -> Value {
    let (id, name) = match algo {
        "md5" => (1, "MD5"),
        "sha1" => (2, "SHA-1"),
        "sha256" => (3, "SHA-256"),
        _ => (99, "Other"),
    };
    json!({ "algorithm_id": id, "algorithm": name, "value": value })
}

/// OCSF `osint`: the indicator an IOC finding matched.
fn osint(hit: &IndicatorHit) -> Value {
    let ind = &hit.indicator;
    let (type_id, type_name) = match ind.kind {
        Kind::Ipv4 | Kind::Ipv6 | Kind::Cidr => (1, "IP Address"),
        Kind::Domain => (2, "Domain"),
        Kind::Url => (5, "URL"),
        Kind::Md5 | Kind::Sha1 | Kind::Sha256 => (4, "Hash"),
        Kind::FileName | Kind::PathRegex | Kind::PathGlob => (11, "File"),
    };
    let mut o = json!({
        "type_id": type_id,
        "type": type_name,
        "value": ind.value,
        "name": format!("{} line {}", ind.list, ind.line),
        "vendor_name": &*ind.list,
    });
    if let Some(d) = &ind.description {
        o["desc"] = json!(d);
    }
    // What was seen is `unmapped.shellsweep.ioc.matched`: OSINT has no place for it.
    o
}

/// OCSF `attacks[]` from ATT&CK tags: one entry per technique (or sub-technique), each
/// with the tactics the rule names (the tags do not say which tactic goes with which
/// technique); only tactics when the rule names no technique.
pub(super) fn attacks(tags: &[String]) -> Vec<Value> {
    let mut tactics = Vec::new();
    let mut techniques: Vec<String> = Vec::new();
    for t in tags {
        let lower = t.to_ascii_lowercase();
        if let Some(id) = ecs::attack_technique(t) {
            if !techniques.contains(&id) {
                techniques.push(id);
            }
        } else if let Some(rest) = lower.strip_prefix("attack.")
            && let Some(uid) = tactic_uid(rest)
        {
            let tactic = json!({ "uid": uid, "name": rest });
            if !tactics.contains(&tactic) {
                tactics.push(tactic);
            }
        }
    }
    // A technique also named by one of its sub-techniques is said once, with the latter.
    let subs: Vec<String> = techniques
        .iter()
        .filter(|t| t.contains('.'))
        .cloned()
        .collect();
    techniques.retain(|t| t.contains('.') || !subs.iter().any(|s| s.starts_with(&format!("{t}."))));
    let mut out = Vec::new();
    for t in &techniques {
        let mut a = Map::new();
        match t.split_once('.') {
            Some((technique, _)) => {
                a.insert("technique".into(), json!({ "uid": technique }));
                a.insert("sub_technique".into(), json!({ "uid": t }));
            }
            None => {
                a.insert("technique".into(), json!({ "uid": t }));
            }
        }
        if !tactics.is_empty() {
            a.insert("tactics".into(), json!(tactics));
        }
        out.push(Value::Object(a));
    }
    if out.is_empty() && !tactics.is_empty() {
        out.push(json!({ "tactics": tactics }));
    }
    out
}

/// The ATT&CK (Enterprise) tactic id of a Sigma tactic tag.
fn tactic_uid(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "reconnaissance" => "TA0043",
        "resource_development" => "TA0042",
        "initial_access" => "TA0001",
        "execution" => "TA0002",
        "persistence" => "TA0003",
        "privilege_escalation" => "TA0004",
        "defense_evasion" => "TA0005",
        "credential_access" => "TA0006",
        "discovery" => "TA0007",
        "lateral_movement" => "TA0008",
        "collection" => "TA0009",
        "command_and_control" => "TA0011",
        "exfiltration" => "TA0010",
        "impact" => "TA0040",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_tags_become_attacks() {
        let a = attacks(&[
            "attack.persistence".into(),
            "attack.t1505.003".into(),
            "attack.t1505".into(),
            "attack.T1190".into(),
            "attack.initial_access".into(),
        ]);
        assert_eq!(a.len(), 2, "{a:?}");
        assert_eq!(a[0]["technique"]["uid"], "T1505");
        assert_eq!(a[0]["sub_technique"]["uid"], "T1505.003");
        assert_eq!(a[1]["technique"]["uid"], "T1190");
        assert_eq!(a[1]["tactics"][1]["uid"], "TA0001");
        let only = attacks(&["attack.persistence".into()]);
        assert_eq!(only[0]["tactics"][0]["uid"], "TA0003");
        assert!(attacks(&["web".into()]).is_empty());
    }

    #[test]
    fn web_shell_tag_is_found_in_any_case() {
        assert!(is_web_shell_tag("attack.t1505.003"));
        assert!(is_web_shell_tag("ATTACK.T1505.003"));
        assert!(!is_web_shell_tag("attack.t1505"));
        assert!(!is_web_shell_tag("é"));
    }
}
