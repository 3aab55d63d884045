//! The lines about the run: errors and skips, carried-over findings, the summary.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Serialize;

use crate::common::bytes::{escape_bytes, path_bytes, rfc3339};
use crate::summary::{EventKind, ScanEvent, Summary};

use super::host::Observer;
use super::{Event, FileWire, Header};

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
            // A failed read is a failed access: ECS's `file` category expects no `error`
            // type (the outcome says it failed, `error.message` why).
            kind_type: [if is_error { "access" } else { "info" }],
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
    pivot_events: u64,
    pivot_events_not_shown: u64,
    pivot_addresses_refused: u64,
    logs: &'a crate::summary::LogCounts,
    rules_loaded: usize,
    rule_sets: &'a crate::summary::RuleSets,
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
    /// Only with `--syslog`.
    #[serde(skip_serializing_if = "Option::is_none")]
    syslog: Option<&'a crate::summary::SyslogCounts>,
}

#[derive(Serialize)]
struct Symlinks<'a> {
    count: u64,
    paths: &'a [String],
}

/// The summary line.
pub fn summary(s: &Summary, observer: &Observer) -> serde_json::Result<String> {
    serde_json::to_string(&summary_doc(s, observer))
}

/// The same, as a value (OCSF keeps its `shellsweep` part).
pub fn summary_value(s: &Summary, observer: &Observer) -> serde_json::Result<serde_json::Value> {
    serde_json::to_value(summary_doc(s, observer))
}

fn summary_doc<'a>(s: &'a Summary, observer: &'a Observer) -> SummaryDoc<'a> {
    let now = jiff::Timestamp::now();
    SummaryDoc {
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
                pivot_events: s.pivot.events,
                pivot_events_not_shown: s.pivot.events_not_shown,
                pivot_addresses_refused: s.pivot.addresses_refused,
                logs: &s.logs,
                rules_loaded: s.run.rules_loaded,
                rule_sets: &s.run.rule_sets,
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
                syslog: s.syslog.as_ref(),
            },
            run_id: &observer.run_id,
        },
    }
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

    #[cfg(unix)]
    #[test]
    fn event_lines_keep_a_non_utf8_path_exactly() {
        use crate::summary::Skip;
        use std::os::unix::ffi::OsStrExt;
        let path = std::path::Path::new(std::ffi::OsStr::from_bytes(b"/w/a\xff\x1b.php"));
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
    fn findings_from_an_older_state_are_written_in_this_form() {
        let old = serde_json::json!({
            "event": {"kind": "alert", "severity_name": "high", "id": "x"},
            "rule": {"id": "R", "reference": ["https://a.example/", "https://b.example/"]},
            "host": {"name": "stale"},
        });
        let mut observer = Observer::placeholder();
        observer.run_id = "r1".into();
        let line = carried(&old, "2025-07-19T10:00:00.000Z", &observer).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert!(doc["event"]["severity_name"].is_null());
        assert_eq!(doc["shellsweep"]["severity_name"], "high");
        assert_eq!(doc["rule"]["reference"], "https://a.example/");
        assert_eq!(doc["shellsweep"]["references"][1], "https://b.example/");
        assert_eq!(doc["event"]["created"], "2025-07-19T10:00:00.000Z");
        assert_eq!(doc["shellsweep"]["first_seen"], "2025-07-19T10:00:00.000Z");
        assert_eq!(doc["shellsweep"]["carried_over"], true);
        assert_eq!(doc["shellsweep"]["run_id"], "r1");
        assert_eq!(doc["ecs"]["version"], super::super::ECS_VERSION);
        assert_eq!(
            doc["host"]["name"], "",
            "this run's host, not the stored one"
        );
    }
}
