//! The JSON lines' wire form: Elastic Common Schema (ECS) documents as typed structs.
//!
//! The model (`crate::finding`, `crate::summary`) says what was found; this module alone
//! says how a SIEM receives it, so a field's name and type are decided in one place and the
//! conformance test (tests/ecs.rs, against ECS's own field reference) covers every writer.
//! What ECS has no field for lives under `shellsweep.*`. docs/FIELDS.md lists every field.
//!
//! `host` is who scans (the same on every line of a run), `finding` the alert lines with
//! `log` for what a log record contributes, `run` the error, skip, carried-over and
//! summary lines.

mod correlation;
mod finding;
mod host;
pub(crate) mod log;
mod run;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::common::bytes::rfc3339;
use crate::common::severity::Severity;

pub(crate) use finding::{attack_technique, message_of};
pub use finding::{event_id, finding, finding_value};
pub use host::{Host, Observer, Os};
pub use run::{carried, scan_event, summary, summary_value};

/// The ECS release whose field reference the output follows (tests/data/ecs/ecs_flat.yml).
pub const ECS_VERSION: &str = "9.4.0";

/// Each string copied from a log is cut here (at a character boundary), so that one hostile
/// request (a 300 KB query string) cannot make a line of megabytes; the cut fields are named
/// in `shellsweep.truncated_fields`.
pub const FIELD_MAX: usize = 8 * 1024;

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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
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

#[derive(Serialize, Default)]
pub(crate) struct Related {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_follows_the_combined_score_within_the_severity() {
        assert_eq!(risk_score(Severity::Low, 0), 20);
        assert_eq!(risk_score(Severity::Medium, 45), 45);
        assert_eq!(risk_score(Severity::Critical, 30), 80);
        assert_eq!(risk_score(Severity::Critical, 100), 100);
    }
}
