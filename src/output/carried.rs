//! A finding kept in the `--state` file: its ECS document as it was written, so that a
//! sweep that does not read an unchanged file again can still report what the file holds.
//! It lives with the output because it is the wire form; the state only stores it.

use serde::{Deserialize, Serialize};

use crate::common::bytes::rfc3339;
use crate::common::severity::Severity;
use crate::finding::{Finding, Subject};
use crate::output::ecs::Observer;

/// At most this many findings of one file are kept for carrying over...
const MAX_CARRIED: usize = 100;
/// ...and at most this many bytes of their JSON, so a hostile file cannot bloat the state.
const MAX_CARRIED_BYTES: usize = 256 * 1024;

/// A finding kept in the state, to be reported again while its file is unchanged.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Carried {
    /// When the finding was first reported (RFC 3339).
    pub first_seen: String,
    /// Its ECS document, without `@timestamp`, `ecs`, `host`, `agent` and `observer` (set when
    /// written).
    pub doc: serde_json::Value,
}

impl Carried {
    pub fn rule_id(&self) -> &str {
        self.doc["rule"]["id"].as_str().unwrap_or_default()
    }

    pub fn event_id(&self) -> &str {
        self.doc["event"]["id"].as_str().unwrap_or_default()
    }

    pub fn sha256(&self) -> Option<&str> {
        self.doc["file"]["hash"]["sha256"].as_str()
    }

    /// Its severity; a document this version cannot read counts as high, so that it is not
    /// lost or played down. (States written before the ECS rework keep the name under
    /// `event.`.)
    pub fn severity(&self) -> Severity {
        let name = self.doc["shellsweep"]["severity_name"]
            .as_str()
            .or_else(|| self.doc["event"]["severity_name"].as_str());
        Severity::ALL
            .iter()
            .copied()
            .find(|s| Some(s.as_str()) == name)
            .unwrap_or(Severity::High)
    }
}

/// The findings of one file in the form the state keeps, most severe first, within the
/// bounds. Only file findings: log findings are reported once.
pub fn to_carry(findings: &[Finding]) -> Vec<Carried> {
    let placeholder = Observer::placeholder();
    let mut sorted: Vec<&Finding> = findings
        .iter()
        .filter(|f| matches!(f.subject, Subject::File(_)))
        .collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.severity()));
    let mut out = Vec::new();
    let mut bytes = 0;
    for f in sorted.into_iter().take(MAX_CARRIED) {
        let Ok(mut doc) = crate::output::ecs::finding_value(f, &placeholder) else {
            continue;
        };
        if let Some(o) = doc.as_object_mut() {
            for k in ["@timestamp", "ecs", "host", "agent", "observer"] {
                o.remove(k);
            }
        }
        bytes += doc.to_string().len();
        if bytes > MAX_CARRIED_BYTES && !out.is_empty() {
            break;
        }
        out.push(Carried {
            first_seen: rfc3339(f.timestamp),
            doc,
        });
    }
    out
}
