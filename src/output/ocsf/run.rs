//! The run's lines: the summary as a Scan Activity (6007), and carried-over findings.

use serde_json::{Map, Value, json};

use crate::common::severity::Severity;
use crate::output::carried::Carried;
use crate::output::ecs::{self, Observer};
use crate::summary::Summary;

use super::finding::{attacks, detection_finding};
use super::{device, line, metadata, ms};

/// The summary line: Scan Activity "Completed" (or "Cancelled" when interrupted), status
/// Success when the scan was complete.
pub(crate) fn summary(s: &Summary, observer: &Observer) -> serde_json::Result<String> {
    let now = jiff::Timestamp::now();
    let ext = ecs::summary_value(s, observer)?
        .get_mut("shellsweep")
        .map(Value::take)
        .unwrap_or_default();
    let (activity_id, activity_name) = if s.run.interrupted {
        (3, "Cancelled")
    } else {
        (2, "Completed")
    };
    let skipped: u64 = s.files_skipped.values().sum();
    let doc = json!({
        "class_uid": 6007,
        "class_name": "Scan Activity",
        "category_uid": 6,
        "category_name": "Application Activity",
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": 600700 + activity_id,
        "type_name": format!("Scan Activity: {activity_name}"),
        "time": ms(now),
        "start_time": ms(s.run.started),
        "end_time": ms(now),
        "duration": s.run.duration_ms,
        "severity_id": 1,
        "severity": "Informational",
        "status_id": if s.complete { 1 } else { 2 },
        "status": if s.complete { "Success" } else { "Failure" },
        "message": s.sentence(),
        "scan": {
            "uid": observer.run_id,
            "name": "shellsweep scan",
            // On demand or from a scheduler: shellsweep cannot tell.
            "type_id": 0,
            "type": "Unknown",
        },
        "num_files": s.files_scanned,
        "num_detections": s.findings_total,
        "num_skipped_items": skipped,
        "metadata": metadata(observer, None, &["host"]),
        "device": device(observer),
        "unmapped": { "shellsweep": ext },
    });
    line(&doc)
}

/// A finding carried over from an earlier sweep's state. The state keeps the finding's
/// ECS document, not the finding, so this maps what the document holds (rule, severity,
/// file, ids); the whole document is under `unmapped.shellsweep.carried_document`.
pub(crate) fn carried(c: &Carried, observer: &Observer) -> serde_json::Result<String> {
    let doc = &c.doc;
    let str_at = |ptr: &str| doc.pointer(ptr).and_then(Value::as_str).unwrap_or_default();
    let uid = str_at("/event/id");
    let sev: Severity = c.severity();
    let tags: Vec<String> = doc["tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let attacks = attacks(&tags);
    let rule_id = c.rule_id();
    let mut info = json!({
        "uid": if uid.is_empty() { rule_id } else { uid },
        "title": str_at("/rule/name"),
        "desc": str_at("/rule/description"),
        "analytic": { "uid": rule_id, "name": str_at("/rule/name"), "type": "Rule", "type_id": 1 },
    });
    if !attacks.is_empty() {
        info["attacks"] = json!(attacks);
    }
    let mut evidence = Map::new();
    let path = str_at("/file/path");
    if !path.is_empty() {
        let name = str_at("/file/name");
        let mut file = json!({
            "name": if name.is_empty() { path } else { name },
            "path": path,
            "type_id": 1,
            "type": "Regular File",
        });
        if let Some(size) = doc.pointer("/file/size").and_then(Value::as_u64) {
            file["size"] = json!(size);
        }
        let hashes: Vec<Value> = ["md5", "sha1", "sha256"]
            .iter()
            .filter_map(|a| {
                let v = doc.pointer(&format!("/file/hash/{a}"))?.as_str()?;
                Some(super::finding::fingerprint(a, v))
            })
            .collect();
        if !hashes.is_empty() {
            file["hashes"] = json!(hashes);
        }
        evidence.insert("file".into(), file);
    }
    if let Ok(t) = c.first_seen.parse::<jiff::Timestamp>() {
        info["first_seen_time"] = json!(ms(t));
    }
    let mut out = detection_finding(
        jiff::Timestamp::now(),
        sev,
        json!({
            "message": doc["message"].as_str().unwrap_or_default(),
            "finding_info": info,
            "metadata": metadata(
                observer,
                (!uid.is_empty()).then_some(uid),
                &["host", "security_control"],
            ),
            "device": device(observer),
            "unmapped": { "shellsweep": {
                "carried_over": true,
                "first_seen": c.first_seen,
                "run_id": observer.run_id,
                "carried_document": doc,
            } },
        }),
    );
    if !attacks.is_empty() {
        out["attacks"] = json!(attacks);
    }
    if !evidence.is_empty() {
        out["evidences"] = json!([evidence]);
    }
    line(&out)
}
