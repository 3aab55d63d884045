//! "Dropped after exploit": a script written in a served folder minutes after an exploit
//! request (the ToolShell POST to `ToolPane.aspx`, then `spinstall0.aspx` in LAYOUTS).
//!
//! The file's mtime can be set back by the intruder; its inode change time cannot (without
//! changing the clock), so both are tried. IIS writes a record when the response is sent,
//! after the file the request wrote, so a file may be up to [`SKEW`] older than its
//! exploit's record.

use std::collections::HashMap;
use std::path::Path;

use jiff::{SignedDuration, Timestamp};

use crate::common::severity::Severity;
use crate::finding::{Correlation, Dropped, ExploitRef, FileSubject, Finding, RuleInfo, Subject};
use crate::output::ecs::{Observer, event_id};
use crate::pipeline::ScriptFile;
use crate::read::ReadPolicy;
use crate::webroot::WebrootMap;

use super::pass::Request;

/// How long after an exploit request a new script is taken to be its drop.
pub(super) const WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// How much older than the exploit's record the file may be (see the module doc).
pub(super) const SKEW: SignedDuration = SignedDuration::from_secs(60);

/// How a script is in the folder an exploited URL is served from: the join's method and
/// source.
type Reached = (&'static str, Option<String>);

/// An exploit request, read once.
pub(super) struct Exploit {
    pub reference: ExploitRef,
    pub request: Request,
}

impl Exploit {
    pub(super) fn of(f: &Finding, observer: &Observer) -> Option<Exploit> {
        let Subject::Log(l) = &f.subject else {
            return None;
        };
        let time = l.time?;
        let request = Request::of(l.clone());
        Some(Exploit {
            reference: ExploitRef {
                event_id: event_id(f, &observer.absolute(&l.path)),
                rule_id: f.rule.id.clone(),
                time,
                client: request.client.map(|c| c.to_string()),
                method: request.method.clone(),
                url_path: request.url_path.clone(),
                log_path: observer.absolute(&l.path).to_string_lossy().into_owned(),
                log_line: l.line,
            },
            request,
        })
    }
}

/// Whether the server answered an exploit request (below 400, or no status logged). A
/// request it refused (401, 404, 500) exploited nothing: mass scanners send the ToolShell
/// POST all day. Both the drops and the pivot's exploit seeds start only from these.
pub(super) fn answered(r: &Request) -> bool {
    r.status.is_none_or(|s| s < 400)
}

/// The drops: for each script, the nearest exploit before it whose folder serves it.
pub(super) fn find(
    exploits: &[Exploit],
    scripts: &[ScriptFile],
    map: &WebrootMap,
    read: &ReadPolicy,
) -> Vec<Finding> {
    let mut by_time: Vec<&Exploit> = exploits.iter().filter(|e| answered(&e.request)).collect();
    if by_time.is_empty() {
        return Vec::new();
    }
    by_time.sort_by_key(|e| e.reference.time);
    let times: Vec<Timestamp> = by_time.iter().map(|e| e.reference.time).collect();
    // The best drop per file: the shortest delay.
    let mut best: HashMap<&Path, (Dropped, &ScriptFile)> = HashMap::new();
    for s in scripts {
        // Whether the script is under the folder of each exploited URL, asked once per URL
        // (thousands of exploit requests go to a handful of URLs).
        let mut under: HashMap<(&str, bool), Option<Reached>> = HashMap::new();
        for (kind, ns) in [("modified", s.mtime_ns), ("changed", s.ctime_ns)] {
            let Ok(file_time) = Timestamp::from_nanosecond(ns) else {
                continue;
            };
            // Exploits with file_time - WINDOW <= time <= file_time + SKEW.
            let lo = times.partition_point(|t| *t < file_time - WINDOW);
            let hi = times.partition_point(|t| *t <= file_time + SKEW);
            for e in by_time[lo..hi].iter().rev() {
                let join = match e.request.url_path.as_deref() {
                    _ if map.is_empty() => Some(("unmapped", None)),
                    Some(url) => {
                        let ci = e.request.case_insensitive();
                        under
                            .entry((url, ci))
                            .or_insert_with(|| {
                                map.under_url(url, &s.path, ci)
                                    .map(|j| (j.method.as_str(), j.source))
                            })
                            .clone()
                    }
                    None => None,
                };
                let Some((join, join_source)) = join else {
                    continue;
                };
                let delay = (file_time - e.reference.time).as_secs();
                let better = best
                    .get(s.path.as_path())
                    .is_none_or(|(d, _)| delay.abs() < d.delay_seconds.abs());
                if better {
                    best.insert(
                        &s.path,
                        (
                            Dropped {
                                exploit: e.reference.clone(),
                                file_time,
                                file_time_kind: kind,
                                delay_seconds: delay,
                                join,
                                join_source,
                            },
                            s,
                        ),
                    );
                }
                break;
            }
        }
    }
    let mut out: Vec<Finding> = best
        .into_values()
        .map(|(d, s)| {
            let subject = Subject::File(FileSubject {
                path: s.path.clone(),
                size: s.size,
                modified: u64::try_from(s.mtime_ns)
                    .ok()
                    .map(|ns| std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns)),
                sha256: sha256_of(&s.path, read),
                more_hashes: Vec::new(),
            });
            let mut f = Finding::bare(rule(d.join == "unmapped"), subject);
            f.match_count = 1;
            f.correlation = Some(Correlation::Dropped(Box::new(d)));
            f
        })
        .collect();
    out.sort_by(|a, b| a.subject.path().cmp(b.subject.path()));
    out
}

/// The file's SHA-256, read as the scan reads files (no links swapped in, no FIFOs, the
/// size limit); empty when it cannot be read, as for a file too large to hash.
fn sha256_of(path: &Path, read: &ReadPolicy) -> String {
    let Ok((file, meta)) = crate::read::open_file(path, read) else {
        return String::new();
    };
    let mut buf = Vec::new();
    if crate::read::read_rest(&file, meta.size, read.max_size, &mut buf).is_err() {
        return String::new();
    }
    crate::common::bytes::sha256_hex(&buf)
}

/// With no web-root map the folder an exploit reached is unknown and any scanned script
/// written in the window counts: high, not critical, and the description says so.
fn rule(unmapped: bool) -> RuleInfo {
    let (severity, description) = if unmapped {
        (
            Severity::High,
            "A script or binary was written (modified, or its inode changed) within minutes \
             of an exploit request the server answered. No web-root map was known, so it \
             may be in another folder than the one the request reached: give --webroot or \
             --server-config to tell.",
        )
    } else {
        (
            Severity::Critical,
            "A script or binary in the folder an exploit request reached was written \
             (modified, or its inode changed) within minutes of that request, which the \
             server answered: the exploit most likely dropped it.",
        )
    };
    RuleInfo {
        id: "SSW-CORR-DROPPED".into(),
        name: "Script dropped after an exploit request".into(),
        description: description.into(),
        references: Vec::new(),
        author: "shellsweep project".into(),
        ruleset: "correlation".into(),
        tags: vec!["attack.initial-access".into(), "attack.t1505.003".into()],
        severity,
        score: severity.default_score(),
        status: None,
        falsepositives: vec!["A deployment right after a scanner's probe".into()],
    }
}
