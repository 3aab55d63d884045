//! "Webshell requested": the requests whose path serves a file with findings.
//!
//! A pass finds the records that name a webshell's file name as a path segment (the last
//! one, or one followed by PATH_INFO: `/shell.aspx/x` runs `shell.aspx` on IIS and Apache);
//! the web-root map (or, without one, the path's tail) decides whether the request really
//! reached that file, so `/other/site/upload.aspx` does not join `/_layouts/15/upload.aspx`.
//! A request counts for a file only at the strongest join that file has: a file reached by
//! its mapped URL does not also collect every request for a file of the same name.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::finding::{
    Correlation, FileSubject, Finding, MAX_EVENT_IDS, Requested, RuleInfo, Subject,
};
use crate::pipeline::{FileHit, one_above};
use crate::webroot::{Join, WebrootMap};

use super::pass::Request;

/// A webshell whose requests come from more distinct clients than this is an ordinary
/// page (a finding on `index.php`): its requests are reported, its clients not followed.
pub(super) const COMMON_CLIENTS: usize = 20;

/// One request that reached a file.
struct Joined {
    rank: u8,
    join: Join,
    url: String,
    time: Option<jiff::Timestamp>,
    client: Option<IpAddr>,
    method: Option<String>,
    status: Option<u16>,
    user_agent: Option<String>,
    event_id: String,
}

/// A file with findings, and the requests that reached it.
struct Webshell {
    path: PathBuf,
    hits: Vec<FileHit>,
    joined: Vec<Joined>,
}

impl Webshell {
    /// The best join rank of its requests.
    fn best(&self) -> Option<u8> {
        self.joined.iter().map(|j| j.rank).min()
    }

    /// The requests at the best join rank.
    fn counted(&self) -> impl Iterator<Item = &Joined> {
        let best = self.best();
        self.joined.iter().filter(move |j| Some(j.rank) == best)
    }
}

/// The files with findings, by the lowercase name requests reach them by.
pub(super) struct Webshells {
    list: Vec<Webshell>,
    by_name: HashMap<String, Vec<usize>>,
}

impl Webshells {
    /// One webshell per path, with all its findings.
    pub(super) fn new(hits: Vec<FileHit>) -> Webshells {
        // Grouped by hashing, then sorted once: a tree ordered by `Path` compares paths
        // component by component, a dozen times per hit.
        let mut by_path: HashMap<PathBuf, Vec<FileHit>> = HashMap::new();
        for h in hits {
            by_path.entry(h.path.clone()).or_default().push(h);
        }
        let mut by_path: Vec<(PathBuf, Vec<FileHit>)> = by_path.into_iter().collect();
        by_path.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let list: Vec<Webshell> = by_path
            .into_iter()
            .map(|(path, hits)| Webshell {
                path,
                hits,
                joined: Vec::new(),
            })
            .collect();
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, w) in list.iter().enumerate() {
            if let Some(n) = w.path.file_name() {
                by_name
                    .entry(n.to_string_lossy().to_ascii_lowercase())
                    .or_default()
                    .push(i);
            }
        }
        Webshells { list, by_name }
    }

    /// The names the logs are searched for, sorted.
    pub(super) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.by_name.keys().cloned().collect();
        names.sort();
        names
    }

    /// Joins `req` with the files it reaches by the strongest join there is. Returns the
    /// request path it reached them by (through the webshell's segment, PATH_INFO cut off).
    pub(super) fn join(
        &mut self,
        req: &Request,
        map: &WebrootMap,
        event_id: &str,
    ) -> Option<String> {
        let url = req.url_path.as_deref()?;
        let mut found: Vec<(usize, Join, &str)> = Vec::new();
        // Every segment that is a webshell's name: the path up to it is what was served.
        let mut end = 0;
        for seg in url.split_inclusive(['/', '\\']) {
            end += seg.len();
            let name = seg.trim_end_matches(['/', '\\']);
            if name.is_empty() {
                continue;
            }
            let Some(files) = self.by_name.get(&name.to_ascii_lowercase()) else {
                continue;
            };
            let served = url[..end].trim_end_matches(['/', '\\']);
            for &i in files {
                if let Some(j) = map.join(served, &self.list[i].path, req.case_insensitive()) {
                    found.push((i, j, served));
                }
            }
        }
        let best = found.iter().map(|(_, j, _)| rank(j)).min()?;
        let mut reached = None;
        for (i, join, served) in found {
            if rank(&join) != best {
                continue;
            }
            reached = Some(served.to_owned());
            self.list[i].joined.push(Joined {
                rank: best,
                join,
                url: served.to_owned(),
                time: req.time,
                client: req.client,
                method: req.method.clone(),
                status: req.status,
                user_agent: req.user_agent(),
                event_id: event_id.to_owned(),
            });
        }
        reached
    }

    /// The clients to follow: those the server answered (not 404) at a webshell's best join,
    /// with the path they used; and how many webshells were too common to follow (more than
    /// [`COMMON_CLIENTS`] clients).
    pub(super) fn requesters(&self) -> (Vec<(IpAddr, String)>, usize) {
        let mut out = Vec::new();
        let mut common = 0;
        for w in &self.list {
            let mut clients: Vec<(IpAddr, &str)> = Vec::new();
            for j in w.counted().filter(|j| j.status != Some(404)) {
                if let Some(c) = j.client
                    && !clients.iter().any(|(a, _)| *a == c)
                {
                    clients.push((c, &j.url));
                }
            }
            if clients.len() > COMMON_CLIENTS {
                common += 1;
                continue;
            }
            out.extend(clients.into_iter().map(|(c, u)| (c, u.to_owned())));
        }
        (out, common)
    }

    /// One finding per file that requests reached.
    pub(super) fn findings(self) -> Vec<Finding> {
        self.list.into_iter().filter_map(finding).collect()
    }
}

fn finding(w: Webshell) -> Option<Finding> {
    let mut r = Requested::default();
    for j in w.counted() {
        if r.join.is_empty() {
            r.join = j.join.method.as_str();
            r.join_source = j.join.source.clone();
        }
        Requested::add_distinct(&mut r.url_paths, j.url.clone());
        if j.status == Some(404) {
            r.not_found += 1;
        } else {
            r.count += 1;
        }
        if let Some(t) = j.time {
            r.first = Some(r.first.map_or(t, |f| f.min(t)));
            r.last = Some(r.last.map_or(t, |l| l.max(t)));
        }
        if let Some(c) = j.client {
            Requested::add_distinct(&mut r.clients, c.to_string());
        }
        if let Some(m) = &j.method {
            Requested::add_distinct(&mut r.methods, m.clone());
        }
        if let Some(s) = j.status {
            Requested::add_distinct(&mut r.statuses, s);
        }
        if let Some(ua) = &j.user_agent {
            Requested::add_distinct(&mut r.user_agents, ua.clone());
        }
        if r.event_ids.len() < MAX_EVENT_IDS {
            r.event_ids.push(j.event_id.clone());
        } else {
            r.event_ids_truncated = true;
        }
    }
    if r.count == 0 && r.not_found == 0 {
        return None;
    }
    let findings = || w.hits.iter().flat_map(|h| &h.findings);
    r.file_findings = findings().cloned().collect();
    let top = findings().map(|f| f.severity).max()?;
    let severity = if r.count == 0 {
        // Only 404s: the file was not served to anyone (yet); worth knowing, not more.
        top
    } else {
        one_above(top)
    };
    let first = w.hits.first()?;
    let mut f = Finding::bare(rule(severity), subject(&w.path, first));
    f.match_count = r.count + r.not_found;
    f.correlation = Some(Correlation::Requested(Box::new(r)));
    Some(f)
}

/// Webroot joins beat tail joins, which beat a bare file name.
fn rank(j: &Join) -> u8 {
    match j.method.as_str() {
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
