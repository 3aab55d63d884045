//! `--format ocsf`: the Open Cybersecurity Schema Framework form of the lines, one OCSF
//! event per line.
//!
//! Built from the finding model (`crate::finding`) and the summary, as the ECS writer is,
//! with the same capping and redaction of logged text (`ecs::log::log_wire`): the two forms
//! cannot disagree about a value. What OCSF has no attribute for goes under
//! `unmapped.shellsweep`, which is the `shellsweep.*` object of the ECS line, so the
//! extension fields are named and documented once (docs/FIELDS.md).
//!
//! A finding is a Detection Finding (2004), a pivot event (a log record of an intruder's
//! address, not an alert) an HTTP Activity (4002), the summary a Scan Activity (6007).
//! Error and skip events are not written: OCSF has no class for a scanner's own trouble
//! with one file, and the Scan Activity counts them (`num_skipped_items`, and the summary
//! under `unmapped`). docs/OCSF.md has the mapping; tests/ocsf.rs validates every line
//! against the schema of [`OCSF_VERSION`] (tests/data/ocsf/).

mod finding;
mod run;

use serde_json::{Map, Value, json};

use crate::common::severity::Severity;

use super::ecs::Observer;

pub(crate) use finding::finding;
pub(crate) use run::{carried, summary};

/// The OCSF release the lines follow (`metadata.version`).
pub const OCSF_VERSION: &str = "1.8.0";

/// Milliseconds since the epoch: OCSF's `timestamp_t`.
fn ms(t: jiff::Timestamp) -> i64 {
    t.as_millisecond()
}

/// OCSF `severity_id` and its caption.
fn severity(s: Severity) -> (u8, &'static str) {
    match s {
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// `metadata`: the product, the OCSF version, the profiles applied and the run.
fn metadata(observer: &Observer, uid: Option<&str>, profiles: &[&str]) -> Value {
    let mut m = json!({
        "product": {
            "name": "shellsweep",
            "vendor_name": "shellsweep",
            "version": observer.version,
        },
        "version": OCSF_VERSION,
        // Ties a run's lines together, as `shellsweep.run_id` in ECS.
        "correlation_uid": observer.run_id,
    });
    if !profiles.is_empty() {
        m["profiles"] = json!(profiles);
    }
    if let Some(uid) = uid {
        m["uid"] = json!(uid);
    }
    m
}

/// `device`: the scanning host (ECS `host`), a server.
fn device(observer: &Observer) -> Value {
    let h = &observer.host;
    let mut d = Map::new();
    d.insert("type_id".into(), json!(1));
    d.insert("type".into(), json!("Server"));
    if !h.hostname.is_empty() {
        d.insert("hostname".into(), json!(h.hostname));
    }
    if !h.name.is_empty() {
        d.insert("name".into(), json!(h.name));
    }
    if let Some(ip) = h.ip.first() {
        d.insert("ip".into(), json!(ip));
    }
    // `device` needs one of its names: a host whose name could not be read says so.
    if d.len() == 2 {
        d.insert("name".into(), json!("unknown"));
    }
    Value::Object(d)
}

/// A finished line (compact JSON, no newline).
fn line(v: &Value) -> serde_json::Result<String> {
    serde_json::to_string(v)
}
