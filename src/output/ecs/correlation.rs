//! `shellsweep.correlation` and `shellsweep.pivot`: what a joined finding stands on, and why
//! a record is in the intruder's timeline. ECS has no place for either, so they are
//! extensions; each side of a join is named by its `event.id`.

use serde::Serialize;

use crate::common::bytes::rfc3339;
use crate::finding::{Correlation, FindingRef, Pivot};

use super::log::Capped;

#[derive(Serialize)]
pub(super) struct CorrelationWire<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    join: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    join_source: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    url_paths: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    file_findings: Vec<FindingRefWire<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    requests: Option<RequestsWire<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exploit: Option<ExploitWire<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_time_kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delay_seconds: Option<i64>,
}

#[derive(Serialize)]
struct FindingRefWire<'a> {
    event_id: &'a str,
    rule_id: &'a str,
    severity: &'static str,
}

impl<'a> FindingRefWire<'a> {
    fn of(r: &'a FindingRef) -> FindingRefWire<'a> {
        FindingRefWire {
            event_id: &r.event_id,
            rule_id: &r.rule_id,
            severity: r.severity.as_str(),
        }
    }
}

#[derive(Serialize)]
struct RequestsWire<'a> {
    count: u64,
    not_found: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last: Option<String>,
    clients: &'a [String],
    methods: Vec<String>,
    statuses: &'a [u16],
    user_agents: Vec<String>,
    event_ids: &'a [String],
    event_ids_truncated: bool,
}

#[derive(Serialize)]
struct ExploitWire<'a> {
    event_id: &'a str,
    rule_id: &'a str,
    time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    client: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url_path: Option<String>,
    log_path: &'a str,
    log_line: u64,
}

/// Values copied from log records (methods, paths, user agents) are capped and escaped as
/// the log fields they came from are.
fn logged(v: &str) -> String {
    Capped::default().text("", v.as_bytes())
}

impl<'a> CorrelationWire<'a> {
    pub(super) fn of(c: &'a Correlation) -> CorrelationWire<'a> {
        let mut w = CorrelationWire {
            kind: c.kind(),
            join: "",
            join_source: None,
            url_paths: Vec::new(),
            file_findings: Vec::new(),
            requests: None,
            exploit: None,
            file_time: None,
            file_time_kind: None,
            delay_seconds: None,
        };
        match c {
            Correlation::Requested(r) => {
                w.join = r.join;
                w.join_source = r.join_source.as_deref();
                w.url_paths = r.url_paths.iter().map(|p| logged(p)).collect();
                w.file_findings = r.file_findings.iter().map(FindingRefWire::of).collect();
                w.requests = Some(RequestsWire {
                    count: r.count,
                    not_found: r.not_found,
                    first: r.first.map(rfc3339),
                    last: r.last.map(rfc3339),
                    clients: &r.clients,
                    methods: r.methods.iter().map(|m| logged(m)).collect(),
                    statuses: &r.statuses,
                    user_agents: r.user_agents.iter().map(|u| logged(u)).collect(),
                    event_ids: &r.event_ids,
                    event_ids_truncated: r.event_ids_truncated,
                });
            }
            Correlation::Dropped(d) => {
                w.join = d.join;
                w.join_source = d.join_source.as_deref();
                let e = &d.exploit;
                w.exploit = Some(ExploitWire {
                    event_id: &e.event_id,
                    rule_id: &e.rule_id,
                    time: rfc3339(e.time),
                    client: e.client.as_deref(),
                    method: e.method.as_deref().map(logged),
                    url_path: e.url_path.as_deref().map(logged),
                    log_path: &e.log_path,
                    log_line: e.log_line,
                });
                w.file_time = Some(rfc3339(d.file_time));
                w.file_time_kind = Some(d.file_time_kind);
                w.delay_seconds = Some(d.delay_seconds);
            }
        }
        w
    }
}

#[derive(Serialize)]
pub(super) struct PivotWire<'a> {
    address: &'a str,
    hop: u8,
    reason: String,
    via: &'static str,
}

impl<'a> PivotWire<'a> {
    pub(super) fn of(p: &'a Pivot) -> PivotWire<'a> {
        PivotWire {
            address: &p.address,
            hop: p.hop,
            reason: logged(&p.reason),
            via: p.via,
        }
    }
}
