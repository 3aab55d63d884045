//! JSON lines into the report's view. Inputs come from many hosts and versions and may be
//! cut short by a killed run, so nothing here trusts a line's shape: each field is looked up
//! on its own, and a line that is not a JSON object is recorded, never fatal.

use std::collections::{BTreeSet, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{
    Dropped, FileFinding, Gap, LogFinding, Malformed, MatchView, Meta, Pivot, Record, Report,
    Requested, Run, RunSummary,
};

/// Broken lines kept for the page; more are only counted, so a binary file given by mistake
/// does not make a page of error rows.
pub(crate) const MALFORMED_KEPT: usize = 100;

/// Why an input could not be used at all (a broken line is not such a reason).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Reads every input into one report. Inputs are streamed line by line: pivot output of a
/// busy server can be far larger than the view kept of it.
pub(crate) fn read_files(paths: &[PathBuf]) -> Result<Report, ReadError> {
    let mut reader = Reader::default();
    for path in paths {
        let io = |source| ReadError::Io {
            path: path.clone(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        reader
            .add_from(&name_of(path), std::io::BufReader::new(file))
            .map_err(io)?;
    }
    Ok(reader.finish())
}

fn name_of(path: &Path) -> String {
    crate::common::bytes::escape_bytes(path.as_os_str().as_encoded_bytes())
}

/// Gathers lines from several inputs; runs and duplicates are recognised across inputs.
#[derive(Default)]
pub(crate) struct Reader {
    report: Report,
    runs: HashMap<(String, String), usize>,
    seen: BTreeSet<(usize, String)>,
}

impl Reader {
    /// Adds one input's bytes under the name the page shows for it.
    #[cfg(test)]
    pub(crate) fn add(&mut self, input: &str, bytes: &[u8]) {
        self.add_from(input, bytes).expect("reading a slice");
    }

    /// Adds one input, read to its end, under the name the page shows for it.
    pub(crate) fn add_from(&mut self, input: &str, mut from: impl BufRead) -> std::io::Result<()> {
        self.report.inputs.push(input.to_owned());
        let mut buf = Vec::new();
        let mut line = 0u64;
        loop {
            buf.clear();
            if from.read_until(b'\n', &mut buf)? == 0 {
                return Ok(());
            }
            line += 1;
            let raw = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            // A byte-order mark, as editors on Windows leave at the start.
            let raw = raw.strip_prefix(b"\xef\xbb\xbf").unwrap_or(raw);
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Value>(raw) {
                Ok(v) if v.is_object() => self.line(input, &v),
                Ok(_) => self.malformed(input, line, "not a JSON object".to_owned()),
                Err(e) => self.malformed(input, line, format!("not JSON: {e}")),
            }
        }
    }

    pub(crate) fn finish(self) -> Report {
        self.report
    }

    fn malformed(&mut self, input: &str, line: u64, why: String) {
        self.report.malformed_total += 1;
        if self.report.malformed.len() < MALFORMED_KEPT {
            self.report.malformed.push(Malformed {
                input: input.to_owned(),
                line,
                why,
            });
        }
    }

    fn line(&mut self, input: &str, v: &Value) {
        let dataset = text(v, &["event", "dataset"]);
        let kind = text(v, &["event", "kind"]);
        let known = matches!(
            dataset.as_deref(),
            Some(
                "shellsweep.summary"
                    | "shellsweep.scan"
                    | "shellsweep.file"
                    | "shellsweep.log"
                    | "shellsweep.correlation"
                    | "shellsweep.pivot"
            )
        );
        if !known {
            self.report.ignored += 1;
            return;
        }
        let run = self.run_of(input, v);
        if let Some(id) = text(v, &["event", "id"])
            && !self.seen.insert((run, id))
        {
            self.report.duplicates += 1;
            return;
        }
        let alert = kind.as_deref() == Some("alert");
        match dataset.as_deref() {
            Some("shellsweep.summary") => self.report.runs[run].summary = Some(summary(v)),
            Some("shellsweep.scan") => self.report.runs[run].gaps.push(Gap {
                message: text(v, &["message"]).unwrap_or_else(|| "(no message)".to_owned()),
                gap: v["shellsweep"]["gap"].as_bool().unwrap_or(true),
            }),
            Some("shellsweep.file") if alert => {
                let f = file_finding(v, run);
                let baseline = f
                    .meta
                    .rule_id
                    .as_deref()
                    .is_some_and(|r| r.starts_with("SSW-BASELINE-"));
                if baseline {
                    self.report.baseline.push(f);
                } else {
                    self.report.files.push(f);
                }
            }
            Some("shellsweep.log") if alert => self.report.logs.push(LogFinding {
                meta: meta(v, run),
                record: record(v),
            }),
            Some("shellsweep.correlation") => {
                let c = &v["shellsweep"]["correlation"];
                match c["type"].as_str() {
                    Some("webshell_requested") => self.report.requested.push(requested(v, run)),
                    Some("dropped_after_exploit") => self.report.dropped.push(dropped(v, run)),
                    _ => self.report.ignored += 1,
                }
            }
            Some("shellsweep.pivot") => {
                let p = &v["shellsweep"]["pivot"];
                self.report.pivots.push(Pivot {
                    run,
                    event_id: text(v, &["event", "id"]),
                    record: record(v),
                    address: text(p, &["address"]).or_else(|| text(v, &["source", "ip"])),
                    hop: p["hop"].as_u64(),
                    reason: text(p, &["reason"]),
                    via: text(p, &["via"]),
                });
            }
            _ => self.report.ignored += 1,
        }
    }

    /// The run a line belongs to, created on first sight. Older lines have no `agent` and
    /// carry the run id as `shellsweep.run_id`.
    fn run_of(&mut self, input: &str, v: &Value) -> usize {
        let id = text(v, &["agent", "ephemeral_id"])
            .or_else(|| text(v, &["shellsweep", "run_id"]))
            .unwrap_or_default();
        let host = text(v, &["host", "name"]).unwrap_or_default();
        let runs = &mut self.report.runs;
        let i = *self
            .runs
            .entry((id.clone(), host.clone()))
            .or_insert_with(|| {
                runs.push(Run {
                    id,
                    host,
                    ..Run::default()
                });
                runs.len() - 1
            });
        let run = &mut self.report.runs[i];
        run.lines += 1;
        run.inputs.insert(input.to_owned());
        if let Some(t) = text(v, &["@timestamp"])
            && run.first_seen.as_ref().is_none_or(|f| t < *f)
        {
            run.first_seen = Some(t);
        }
        i
    }
}

/// The value at `path` as text: strings as they are, numbers and booleans printed, anything
/// else (objects, arrays, null, absent) as absent.
fn text(v: &Value, path: &[&str]) -> Option<String> {
    let mut at = v;
    for key in path {
        at = at.get(key)?;
    }
    match at {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| text(x, &[]))
                .collect::<Vec<String>>()
        })
        .unwrap_or_default()
}

fn counts(v: &Value) -> Vec<(String, u64)> {
    v.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, n)| Some((k.clone(), n.as_u64()?)))
                .collect()
        })
        .unwrap_or_default()
}

fn summary(v: &Value) -> RunSummary {
    let s = &v["shellsweep"]["summary"];
    RunSummary {
        message: text(v, &["message"]),
        start: text(v, &["event", "start"]),
        duration_ms: s["duration_ms"].as_u64(),
        paths: texts(&s["paths"]),
        files_scanned: s["files_scanned"].as_u64(),
        findings: counts(&s["findings"]),
        findings_total: s["findings_total"].as_u64(),
        skipped: counts(&s["files_skipped"]),
        errors: s["errors"].as_u64(),
        logs_scanned: s["logs"]["logs_scanned"].as_u64(),
        records: s["logs"]["records"].as_u64(),
        pivot_events_not_shown: s["pivot_events_not_shown"].as_u64(),
        complete: s["complete"].as_bool(),
        interrupted: s["interrupted"].as_bool(),
    }
}

fn meta(v: &Value, run: usize) -> Meta {
    Meta {
        run,
        event_id: text(v, &["event", "id"]),
        // Older lines put the name under `event`.
        severity: text(v, &["shellsweep", "severity_name"])
            .or_else(|| text(v, &["event", "severity_name"]))
            .map(|s| s.to_ascii_lowercase()),
        rule_id: text(v, &["rule", "id"]),
        rule_name: text(v, &["rule", "name"]),
        rule_description: text(v, &["rule", "description"]),
        message: text(v, &["message"]),
    }
}

fn file_finding(v: &Value, run: usize) -> FileFinding {
    let matches = v["shellsweep"]["matches"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| MatchView {
                    pattern: text(m, &["pattern"]),
                    line: m["line"].as_u64(),
                    offset: m["offset"].as_u64(),
                    length: m["length"].as_u64(),
                    excerpt: text(m, &["excerpt"]),
                    view_excerpt: text(m, &["view_excerpt"]),
                })
                .collect()
        })
        .unwrap_or_default();
    FileFinding {
        meta: meta(v, run),
        path: text(v, &["file", "path"]),
        size: v["file"]["size"].as_u64(),
        mtime: text(v, &["file", "mtime"]),
        sha256: text(v, &["file", "hash", "sha256"]),
        matches,
    }
}

fn record(v: &Value) -> Record {
    Record {
        time: text(v, &["event", "start"]),
        log_path: text(v, &["log", "file", "path"]),
        log_line: v["shellsweep"]["log"]["line"].as_u64(),
        client: text(v, &["source", "ip"]),
        forwarded: text(v, &["network", "forwarded_ip"]),
        method: text(v, &["http", "request", "method"]),
        url_path: text(v, &["url", "path"]),
        url_query: text(v, &["url", "query"]),
        status: text(v, &["http", "response", "status_code"]),
        user_agent: text(v, &["user_agent", "original"]),
        user: text(v, &["user", "name"]),
    }
}

fn requested(v: &Value, run: usize) -> Requested {
    let c = &v["shellsweep"]["correlation"];
    let r = &c["requests"];
    Requested {
        meta: meta(v, run),
        file_path: text(v, &["file", "path"]),
        url_paths: texts(&c["url_paths"]),
        join: text(c, &["join"]),
        join_source: text(c, &["join_source"]),
        count: r["count"].as_u64(),
        not_found: r["not_found"].as_u64(),
        first: text(r, &["first"]).or_else(|| text(v, &["event", "start"])),
        last: text(r, &["last"]).or_else(|| text(v, &["event", "end"])),
        clients: texts(&r["clients"]),
        methods: texts(&r["methods"]),
        statuses: texts(&r["statuses"]),
        user_agents: texts(&r["user_agents"]),
        event_ids: texts(&r["event_ids"]),
        event_ids_truncated: r["event_ids_truncated"].as_bool().unwrap_or(false),
    }
}

fn dropped(v: &Value, run: usize) -> Dropped {
    let c = &v["shellsweep"]["correlation"];
    let x = &c["exploit"];
    Dropped {
        meta: meta(v, run),
        file_path: text(v, &["file", "path"]),
        exploit_event_id: text(x, &["event_id"]),
        exploit_rule_id: text(x, &["rule_id"]),
        exploit_time: text(x, &["time"]),
        client: text(x, &["client"]).or_else(|| text(v, &["source", "ip"])),
        method: text(x, &["method"]),
        url_path: text(x, &["url_path"]).or_else(|| text(v, &["url", "path"])),
        log_path: text(x, &["log_path"]),
        log_line: x["log_line"].as_u64(),
        file_time: text(c, &["file_time"]).or_else(|| text(v, &["file", "mtime"])),
        file_time_kind: text(c, &["file_time_kind"]),
        delay_seconds: c["delay_seconds"].as_i64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Verdict;

    fn read(inputs: &[(&str, &str)]) -> Report {
        let mut r = Reader::default();
        for (name, text) in inputs {
            r.add(name, text.as_bytes());
        }
        r.finish()
    }

    const FILE_A: &str = r#"{"agent":{"ephemeral_id":"r1"},"host":{"name":"web1"},"event":{"kind":"alert","dataset":"shellsweep.file","id":"e1"},"rule":{"id":"SSW-X"},"shellsweep":{"severity_name":"high","matches":[{"line":3,"offset":10,"excerpt":"eval("}]},"file":{"path":"/w/a.php"}}"#;
    const SUMMARY_A: &str = r#"{"agent":{"ephemeral_id":"r1"},"host":{"name":"web1"},"event":{"kind":"event","dataset":"shellsweep.summary","start":"2025-07-19T08:00:00Z"},"shellsweep":{"summary":{"files_scanned":4,"complete":true,"interrupted":false,"findings":{"high":1},"paths":["/w"]}}}"#;

    #[test]
    fn broken_lines_are_counted_and_named_and_the_rest_is_read() {
        let text = format!("{FILE_A}\nnot json\n[1,2]\n\n{{\"event\": \n{SUMMARY_A}\n");
        let r = read(&[("a.jsonl", &text)]);
        assert_eq!(r.files.len(), 1);
        assert_eq!(r.malformed_total, 3);
        let lines: Vec<u64> = r.malformed.iter().map(|m| m.line).collect();
        assert_eq!(lines, [2, 3, 5]);
        assert!(r.malformed.iter().all(|m| m.input == "a.jsonl"));
        assert_eq!(r.runs.len(), 1);
        assert_eq!(r.runs[0].verdict(), Verdict::Complete);
        let m = &r.files[0].matches[0];
        assert_eq!(
            (m.line, m.offset, m.excerpt.as_deref()),
            (Some(3), Some(10), Some("eval("))
        );
    }

    #[test]
    fn runs_are_told_apart_by_run_id_and_host_across_inputs() {
        let other_host = FILE_A.replace("web1", "web2");
        let other_run = SUMMARY_A
            .replace("r1", "r2")
            .replace("\"complete\":true", "\"complete\":false");
        let r = read(&[
            ("one.jsonl", &format!("{FILE_A}\n{other_host}")),
            ("two.jsonl", &format!("{SUMMARY_A}\n{other_run}\n{FILE_A}")),
        ]);
        let keys: Vec<(&str, &str)> = r
            .runs
            .iter()
            .map(|r| (r.id.as_str(), r.host.as_str()))
            .collect();
        assert_eq!(keys, [("r1", "web1"), ("r1", "web2"), ("r2", "web1")]);
        // The same event of the same run in two inputs is shown once.
        assert_eq!(r.files.len(), 2);
        assert_eq!(r.duplicates, 1);
        assert_eq!(r.runs[0].inputs.len(), 2);
        assert_eq!(r.runs[0].verdict(), Verdict::Complete);
        assert_eq!(r.runs[1].verdict(), Verdict::NoSummary);
        assert!(matches!(r.runs[2].verdict(), Verdict::Incomplete(_)));
    }

    #[test]
    fn unknown_lines_and_fields_are_passed_over_and_missing_ones_absent() {
        let text = r#"{"event":{"kind":"alert","dataset":"other.tool"}}
{"event":{"kind":"alert","dataset":"shellsweep.correlation"},"shellsweep":{"correlation":{"type":"future_kind"}}}
{"event":{"kind":"alert","dataset":"shellsweep.log","novel":{"x":1}},"source":{"ip":7}}
{"event":{"kind":"alert","dataset":"shellsweep.file"},"shellsweep":{"matches":"not a list"}}"#;
        let r = read(&[("x", text)]);
        assert_eq!(r.ignored, 2);
        assert_eq!(r.malformed_total, 0);
        assert_eq!(r.logs[0].record.client.as_deref(), Some("7"));
        assert_eq!(r.logs[0].meta.rule_id, None);
        assert!(r.files[0].matches.is_empty());
        assert_eq!(r.runs[0].id, "");
    }

    #[test]
    fn correlation_pivot_and_baseline_lines_are_read_by_their_wire_form() {
        let text = r#"{"agent":{"ephemeral_id":"r1"},"event":{"kind":"alert","dataset":"shellsweep.correlation","id":"c1"},"rule":{"id":"SSW-CORR-REQUESTED"},"file":{"path":"/w/s.aspx"},"shellsweep":{"correlation":{"type":"webshell_requested","join":"webroot","url_paths":["/_layouts/15/s.aspx"],"requests":{"count":5,"not_found":1,"first":"2025-07-19T08:12:01Z","last":"2025-07-21T10:00:00Z","clients":["203.0.113.7","198.51.100.20"],"methods":["GET","POST"],"statuses":[200,404],"user_agents":["UA"],"event_ids":["p1"],"event_ids_truncated":false}}}}
{"agent":{"ephemeral_id":"r1"},"event":{"kind":"alert","dataset":"shellsweep.correlation","id":"c2"},"file":{"path":"/w/s.aspx","mtime":"2025-07-19T08:11:30Z"},"shellsweep":{"correlation":{"type":"dropped_after_exploit","exploit":{"event_id":"l1","client":"203.0.113.7","time":"2025-07-19T08:10:00Z","log_line":12},"file_time_kind":"modified","delay_seconds":90}}}
{"agent":{"ephemeral_id":"r1"},"event":{"kind":"event","dataset":"shellsweep.pivot","id":"p1","start":"2025-07-19T08:12:01Z"},"source":{"ip":"203.0.113.7"},"http":{"response":{"status_code":200}},"shellsweep":{"pivot":{"address":"203.0.113.7","hop":1,"via":"webshell_requested"}}}
{"agent":{"ephemeral_id":"r1"},"event":{"kind":"alert","dataset":"shellsweep.file","id":"b1"},"rule":{"id":"SSW-BASELINE-NEW"},"file":{"path":"/w/s.aspx"}}"#;
        let r = read(&[("x", text)]);
        let q = &r.requested[0];
        assert_eq!((q.count, q.not_found), (Some(5), Some(1)));
        assert_eq!(q.statuses, ["200", "404"]);
        assert_eq!(q.clients.len(), 2);
        let d = &r.dropped[0];
        assert_eq!(d.client.as_deref(), Some("203.0.113.7"));
        assert_eq!(d.file_time.as_deref(), Some("2025-07-19T08:11:30Z"));
        assert_eq!(d.delay_seconds, Some(90));
        assert_eq!(r.pivots[0].record.status.as_deref(), Some("200"));
        assert_eq!(r.pivots[0].hop, Some(1));
        assert_eq!(r.baseline.len(), 1);
        assert!(r.files.is_empty());
    }

    #[test]
    fn hostile_bytes_never_panic() {
        let r = read(&[("x", "\u{0}\u{feff}{\"a\":\n\u{ff}\n{}\n")]);
        let mut bad = Reader::default();
        bad.add("y", b"\xff\xfe{\"x\":1}\n\x00\x00");
        let b = bad.finish();
        assert_eq!(b.malformed_total, 2);
        // `{}` is valid JSON of no known kind.
        assert_eq!((r.malformed_total, r.ignored), (2, 1));
    }
}
