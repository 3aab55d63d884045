//! "Webshell requested": the requests whose path serves a file with findings.
//!
//! A pass finds the records whose requested name is a webshell's name; the web-root map
//! (or, without one, the path's tail) decides whether the request really reached that file,
//! so `/other/site/upload.aspx` does not join `/_layouts/15/upload.aspx`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::finding::{
    Correlation, FileSubject, Finding, MAX_EVENT_IDS, Requested, RuleInfo, Subject,
};
use crate::pipeline::{FileHit, one_above};
use crate::webroot::{Join, WebrootMap};

use super::pass::Request;

/// A file with findings, and its requests as they are joined.
pub(super) struct Webshell {
    pub path: PathBuf,
    pub hits: Vec<FileHit>,
    pub requested: Requested,
}

impl Webshell {
    /// The file's findings, one webshell per path.
    pub(super) fn group(hits: Vec<FileHit>) -> Vec<Webshell> {
        let mut by_path: BTreeMap<PathBuf, Vec<FileHit>> = BTreeMap::new();
        for h in hits {
            by_path.entry(h.path.clone()).or_default().push(h);
        }
        by_path
            .into_iter()
            .map(|(path, hits)| Webshell {
                requested: Requested {
                    file_findings: hits.iter().map(|h| h.finding.clone()).collect(),
                    ..Requested::default()
                },
                path,
                hits,
            })
            .collect()
    }

    /// The lowercase file name the log records name it by.
    pub(super) fn name(&self) -> Option<String> {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
    }

    /// How `req` reaches this file, if it does.
    pub(super) fn joins(&self, req: &Request, map: &WebrootMap) -> Option<Join> {
        let url = req.url_path.as_ref()?;
        let name = self.name()?;
        let last = url.rsplit(['/', '\\']).find(|s| !s.is_empty())?;
        if !last.eq_ignore_ascii_case(&name) {
            return None;
        }
        map.join(url, &self.path, req.case_insensitive())
    }

    /// Counts `req` as a request for this file, joined by `join`.
    pub(super) fn add(&mut self, req: &Request, join: Join, event_id: &str) {
        let r = &mut self.requested;
        // The strongest join seen names the finding's method.
        if r.join.is_empty() || rank(join.method.as_str()) < rank(r.join) {
            r.join = join.method.as_str();
            r.join_source = join.source;
        }
        if let Some(url) = &req.url_path {
            Requested::add_distinct(&mut r.url_paths, url.clone());
        }
        if req.status == Some(404) {
            r.not_found += 1;
        } else {
            r.count += 1;
        }
        if let Some(t) = req.time {
            r.first = Some(r.first.map_or(t, |f| f.min(t)));
            r.last = Some(r.last.map_or(t, |l| l.max(t)));
        }
        if let Some(c) = req.client {
            Requested::add_distinct(&mut r.clients, c.to_string());
        }
        if let Some(m) = &req.method {
            Requested::add_distinct(&mut r.methods, m.clone());
        }
        if let Some(s) = req.status {
            Requested::add_distinct(&mut r.statuses, s);
        }
        if let Some(ua) = &req.user_agent {
            Requested::add_distinct(&mut r.user_agents, ua.clone());
        }
        if r.event_ids.len() < MAX_EVENT_IDS {
            r.event_ids.push(event_id.to_owned());
        } else {
            r.event_ids_truncated = true;
        }
    }

    /// The finding, when any request joined.
    pub(super) fn finding(self) -> Option<Finding> {
        let r = self.requested;
        if r.count == 0 && r.not_found == 0 {
            return None;
        }
        let top = self.hits.iter().map(|h| h.finding.severity).max()?;
        let first = self.hits.first()?;
        let severity = if r.count == 0 {
            // Only 404s: the file was not served to anyone (yet); worth knowing, not more.
            top
        } else {
            one_above(top)
        };
        let mut f = Finding::bare(rule(severity), subject(&self.path, first));
        f.match_count = r.count + r.not_found;
        f.correlation = Some(Correlation::Requested(Box::new(r)));
        Some(f)
    }
}

/// Joins `req` with the files it reaches by the strongest join there is: a request that a
/// web-root mapping or the whole path ties to one file is not also counted for another file
/// of the same name. Returns whether any file joined.
pub(super) fn join_all(
    webshells: &mut [Webshell],
    req: &Request,
    map: &WebrootMap,
    event_id: &str,
) -> bool {
    let joins: Vec<(usize, Join)> = webshells
        .iter()
        .enumerate()
        .filter_map(|(i, w)| Some((i, w.joins(req, map)?)))
        .collect();
    let Some(best) = joins.iter().map(|(_, j)| rank(j.method.as_str())).min() else {
        return false;
    };
    for (i, j) in joins {
        if rank(j.method.as_str()) == best {
            webshells[i].add(req, j, event_id);
        }
    }
    true
}

/// Webroot joins beat tail joins, which beat a bare file name.
fn rank(method: &str) -> u8 {
    match method {
        "webroot" => 0,
        "path_tail" => 1,
        _ => 2,
    }
}

fn subject(path: &Path, hit: &FileHit) -> Subject {
    Subject::File(FileSubject {
        path: path.to_path_buf(),
        size: hit.size,
        modified: hit.modified,
        sha256: hit.sha256.clone(),
        more_hashes: Vec::new(),
    })
}

fn rule(severity: crate::common::severity::Severity) -> RuleInfo {
    RuleInfo {
        id: "SSW-CORR-REQUESTED".into(),
        name: "Webshell requested".into(),
        description: "A file with findings was requested over the web: the log records \
                      whose path serves it, joined through the web-root map or the path's \
                      tail. The requests are pivot events, named by their event.id."
            .into(),
        references: Vec::new(),
        author: "shellsweep project".into(),
        ruleset: "correlation".into(),
        tags: vec!["attack.persistence".into(), "attack.t1505.003".into()],
        severity,
        score: severity.default_score(),
        status: None,
        falsepositives: Vec::new(),
    }
}
