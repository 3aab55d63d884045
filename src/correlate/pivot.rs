//! The pivot: from the addresses the scan points at to every record they left.
//!
//! Hop 1 starts from the addresses that requested a webshell (and got an answer other
//! than 404), that are on an IOC list, or that sent an exploit request the server answered
//! (`mod.rs`); every record from them in every scanned log becomes a pivot event, held
//! compact and bounded until the last pass (`held.rs`). Each further hop (`--pivot-hops`)
//! follows what those addresses used: the script URLs they POSTed to with success lead to
//! the other addresses that used the same URL the same way (a second operator of the same
//! webshell), unless so many did that the URL is a site's ordinary form.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::mpsc::SyncSender;

use crate::common::severity::Severity;
use crate::finding::{Finding, Pivot, RuleInfo, Subject};
use crate::output::Message;
use crate::output::ecs::{Observer, event_id};
use crate::pipeline::{FileHit, ScanConfig, Seed};
use crate::summary::Stats;
use crate::webroot::WebrootMap;

use super::held::{Events, Held, Limits};
use super::pass::{self, Needles, Request};
use super::record::Record;
use super::requests::{COMMON_CLIENTS, Webshells};

/// The most hops `--pivot-hops` takes: each is two passes over the logs.
pub const MAX_HOPS: u8 = 5;
/// At most this many pivot addresses in all; past it, addresses are not followed (and
/// that is said).
const MAX_ADDRESSES: usize = 4096;
/// A URL that more new addresses than this used the same way is ordinary, not a lead.
const COMMON_URL: usize = 20;
/// The pivot events of one address, in time order, past which they are counted only (a
/// scanner's or a crawler's flood would drown the timeline and the memory).
pub(super) const MAX_EVENTS_PER_ADDRESS: usize = 10_000;
/// The pivot events held (and written) at most, in all; past it each address keeps its
/// first ones (see `held.rs`). About 1 KB each once compact (an IIS record and its fields):
/// some 50 MB. An intrusion's timeline is hundreds or a few thousand requests; past this
/// many, the events are scanners' floods, which a person does not read one by one.
pub(super) const MAX_EVENTS: usize = 50_000;
/// The bytes of records held at most: the bound when records are long (a 1 MiB line
/// makes a 1 MiB event).
const MAX_EVENT_BYTES: usize = 64 << 20;

/// The pivot's result.
pub(super) struct Pivoted {
    /// One "webshell requested" finding per file with joined requests.
    pub requested: Vec<Finding>,
    /// The pivot events, in time order; made into findings as they are written.
    pub events: Vec<Held>,
    /// Why each address is followed.
    pub pivots: HashMap<IpAddr, Pivot>,
    /// Pivot events found, held or not.
    pub events_found: u64,
    /// The events each address kept, when not all were.
    pub share: usize,
    pub addresses: u64,
    pub passes: u64,
}

impl Pivoted {
    /// A held record as the pivot event it is: from a followed address, or a request
    /// joined with a webshell (a 404 from an address that is not followed too: its id is
    /// named in the finding).
    pub(super) fn event(&self, h: &Held) -> Finding {
        // By the record's client only: an address an attacker wrote into X-Forwarded-For
        // is not theirs to pull into the timeline.
        let pivot = h
            .client
            .and_then(|c| self.pivots.get(&c))
            .cloned()
            .unwrap_or_else(|| Pivot {
                address: h.client.map(|c| c.to_string()).unwrap_or_default(),
                hop: 1,
                reason: format!(
                    "requested webshell {} (answered {})",
                    h.joined.as_deref().unwrap_or_default(),
                    status(h.status)
                ),
                via: "webshell_requested",
            });
        event(&h.record, Some(pivot))
    }
}

pub(super) struct Pivoting<'a> {
    config: &'a Arc<ScanConfig>,
    map: &'a WebrootMap,
    observer: &'a Observer,
    hops: u8,
    sink: &'a SyncSender<Message>,
    stats: &'a Stats,
    stop: &'a Arc<AtomicBool>,
    /// The pivot events, bounded.
    events: Events,
    /// What the followed addresses POSTed to with success: (their hop, the URL as the
    /// server compares it) to the first such record (log, offset) and its client. The next
    /// hop starts from these.
    posts: HashMap<(u8, String), (PathBuf, u64, IpAddr)>,
    pivots: HashMap<IpAddr, Pivot>,
    passes: u64,
}

impl<'a> Pivoting<'a> {
    pub(super) fn new(
        config: &'a Arc<ScanConfig>,
        map: &'a WebrootMap,
        observer: &'a Observer,
        hops: u8,
        sink: &'a SyncSender<Message>,
        stats: &'a Stats,
        stop: &'a Arc<AtomicBool>,
    ) -> Pivoting<'a> {
        Pivoting {
            config,
            map,
            observer,
            hops: hops.clamp(1, MAX_HOPS),
            sink,
            stats,
            stop,
            events: Events::new(Limits {
                events: MAX_EVENTS,
                per_address: MAX_EVENTS_PER_ADDRESS,
                bytes: MAX_EVENT_BYTES,
            }),
            posts: HashMap::new(),
            pivots: HashMap::new(),
            passes: 0,
        }
    }

    fn pass(&mut self, logs: &[PathBuf], needles: &Needles) -> Vec<Request> {
        if needles.is_empty() || logs.is_empty() || self.stop.load(Relaxed) {
            return Vec::new();
        }
        self.passes += 1;
        let out = pass::run(self.config, logs, needles, self.sink, self.stats, self.stop);
        let mut found = out.requests;
        // In the order things happened, so that lists of clients read as a story and the
        // output is the same whatever order the threads delivered it in.
        found.sort_by(|a, b| {
            (a.time, &a.record.path, a.record.offset).cmp(&(
                b.time,
                &b.record.path,
                b.record.offset,
            ))
        });
        // A record that holds two needles (a webshell's name and a pivot address) comes
        // once per needle, its copies now side by side: each record is kept, and named,
        // once (without a set of every key a pass found).
        found.dedup_by(|a, b| a.record.offset == b.record.offset && a.record.path == b.record.path);
        found
    }

    /// Keeps what a pass found that is a pivot event: a record of a followed address, or
    /// a request joined with a webshell (`joined`, by log and offset). A record of an
    /// address followed later comes again in that address's pass.
    fn keep(&mut self, found: Vec<Request>, joined: &HashMap<(PathBuf, u64), String>) {
        let script = |u: &str| crate::baseline::in_scope(std::path::Path::new(u));
        let mut batch = Vec::new();
        for r in found {
            let pivot = r.client.and_then(|c| self.pivots.get(&c));
            let url = joined.get(&(r.record.path.clone(), r.record.offset));
            if pivot.is_none() && url.is_none() {
                continue;
            }
            if let (Some(p), Some(u), Some(c)) = (pivot, &r.url_path, r.client)
                && posted_ok(&r)
                && script(u)
            {
                let first = (r.record.path.clone(), r.record.offset, c);
                self.posts
                    .entry((p.hop, key_of(u, r.case_insensitive())))
                    .and_modify(|k| {
                        if (&first.0, first.1) < (&k.0, k.1) {
                            *k = first.clone();
                        }
                    })
                    .or_insert(first);
            }
            batch.push(Held {
                client: r.client,
                joined: url.map(|u| u.as_str().into()),
                status: r.status,
                record: r.record,
            });
        }
        self.events.take(batch);
    }

    fn add_pivot(&mut self, address: IpAddr, pivot: Pivot) -> bool {
        if self.pivots.contains_key(&address) || self.pivots.len() >= MAX_ADDRESSES {
            return false;
        }
        self.pivots.insert(address, pivot);
        true
    }

    pub(super) fn run(mut self, files: Vec<FileHit>, seeds: &[Seed], logs: &[PathBuf]) -> Pivoted {
        let mut webshells = Webshells::new(files);
        for s in seeds {
            if let Ok(ip) = s.address.parse() {
                self.add_pivot(
                    ip,
                    Pivot {
                        address: s.address.clone(),
                        hop: 1,
                        reason: s.reason.clone(),
                        via: s.via,
                    },
                );
            }
        }
        // Pass one: the webshells' names and the addresses known so far.
        let names = webshells.names();
        // An address on an IOC list needs no pass of its own: every record of it is an IOC
        // finding already (the list is matched on `c-ip` and X-Forwarded-For, as a pass
        // would), so a pivot event would only repeat an alert. A further hop needs its
        // records, and a minimum severity may have left some of its findings out: then it is
        // searched like the others.
        let alerts_cover_ioc = self.hops == 1
            && self
                .config
                .policy
                .reports(crate::common::severity::Severity::Low);
        let mut searched: HashSet<IpAddr> = self.pivots.keys().copied().collect();
        let first = Needles {
            names,
            addresses: self
                .pivots
                .iter()
                .filter(|(_, p)| !(alerts_cover_ioc && p.via == "ioc"))
                .map(|(a, _)| *a)
                .collect(),
        };
        let found = self.pass(logs, &first);
        // The requests of each webshell; their clients join the pivot.
        let mut joined: HashMap<(PathBuf, u64), String> = HashMap::new();
        for r in &found {
            let id = self.event_id(r);
            if let Some(url) = webshells.join(r, self.map, &id) {
                joined.insert(r.key(), url);
            }
        }
        self.keep(found, &joined);
        let (requesters, common) = webshells.requesters();
        for (c, url) in requesters {
            let pivot = Pivot {
                address: c.to_string(),
                hop: 1,
                reason: format!("requested webshell {url}"),
                via: "webshell_requested",
            };
            self.add_pivot(c, pivot);
        }
        if common > 0 {
            self.notice(format!(
                "correlation: {common} file(s) with findings were requested by more than \
                 {COMMON_CLIENTS} clients: an ordinary page, its clients not followed"
            ));
        }
        // Hop by hop: the records of the addresses not searched yet, then the next hop's
        // addresses from what they used.
        let mut hop = 1;
        loop {
            let pending: Vec<IpAddr> = self
                .pivots
                .keys()
                .filter(|a| !searched.contains(a))
                .copied()
                .collect();
            searched.extend(pending.iter().copied());
            let found = self.pass(
                logs,
                &Needles {
                    names: Vec::new(),
                    addresses: pending,
                },
            );
            self.keep(found, &HashMap::new());
            if hop >= self.hops || !self.next_hop(hop, logs) {
                break;
            }
            hop += 1;
        }
        if self.pivots.len() >= MAX_ADDRESSES {
            self.notice(format!(
                "correlation: the pivot stopped at {MAX_ADDRESSES} addresses"
            ));
        }
        let events_found = self.events.found();
        let share = self.events.share();
        Pivoted {
            requested: webshells.findings(),
            addresses: self.pivots.len() as u64,
            events: self.events.into_sorted(),
            pivots: self.pivots,
            events_found,
            share,
            passes: self.passes,
        }
    }

    /// Adds the addresses of hop `hop + 1`; false when there are none.
    fn next_hop(&mut self, hop: u8, logs: &[PathBuf]) -> bool {
        // What hop `hop` POSTed to with success, each URL with the address of its first
        // record.
        let used: BTreeMap<String, IpAddr> = self
            .posts
            .iter()
            .filter(|((h, _), _)| *h == hop)
            .map(|((_, u), (_, _, c))| (u.clone(), *c))
            .collect();
        if used.is_empty() {
            return false;
        }
        let mut names: Vec<String> = used
            .keys()
            .filter_map(|u| u.rsplit('/').next().map(str::to_ascii_lowercase))
            .collect();
        names.sort();
        names.dedup();
        let found = self.pass(
            logs,
            &Needles {
                names,
                addresses: Vec::new(),
            },
        );
        let mut others: BTreeMap<&str, Vec<IpAddr>> = BTreeMap::new();
        for r in &found {
            let (Some(u), Some(c)) = (&r.url_path, r.client) else {
                continue;
            };
            let Some((url, _)) = used.get_key_value(&key_of(u, r.case_insensitive())) else {
                continue;
            };
            if posted_ok(r) && !self.pivots.contains_key(&c) {
                let list = others.entry(url.as_str()).or_default();
                if !list.contains(&c) {
                    list.push(c);
                }
            }
        }
        let lists: Vec<(String, Vec<IpAddr>)> =
            others.into_iter().map(|(u, a)| (u.to_owned(), a)).collect();
        self.keep(found, &HashMap::new());
        let mut added = false;
        let mut common = 0;
        for (url, addresses) in lists {
            if addresses.len() > COMMON_URL {
                common += 1;
                continue;
            }
            let by = used[&url];
            for a in addresses {
                added |= self.add_pivot(
                    a,
                    Pivot {
                        address: a.to_string(),
                        hop: hop + 1,
                        reason: format!("hop {}: used {url} like {by}", hop + 1),
                        via: "hop",
                    },
                );
            }
        }
        if common > 0 {
            self.notice(format!(
                "correlation: hop {}: {common} URL(s) used by more than {COMMON_URL} other \
                 addresses were not followed (ordinary pages)",
                hop + 1
            ));
        }
        added
    }

    fn notice(&self, text: String) {
        let _ = self.sink.send(Message::Notice(None, text));
    }

    fn event_id(&self, r: &Request) -> String {
        let f = event(&r.record, None);
        event_id(&f, &self.observer.absolute(&r.record.path))
    }
}

/// A POST that the server answered with success (2xx or a redirect after a form).
fn posted_ok(r: &Request) -> bool {
    r.method
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case("POST"))
        && r.status.is_some_and(|s| (200..400).contains(&s))
}

fn status(status: Option<u16>) -> String {
    status.map_or("without a status".into(), |s| s.to_string())
}

fn key_of(url: &str, case_insensitive: bool) -> String {
    if case_insensitive {
        url.to_ascii_lowercase()
    } else {
        url.to_owned()
    }
}

/// A record as a pivot event (its id does not depend on why it is one).
fn event(r: &Record, pivot: Option<Pivot>) -> Finding {
    let mut f = Finding::bare(rule(), Subject::Log(r.subject()));
    f.pivot = pivot.map(Box::new);
    f
}

fn rule() -> RuleInfo {
    RuleInfo {
        id: "SSW-PIVOT".into(),
        name: "Pivot".into(),
        description: "A record of an address the scan points at.".into(),
        references: Vec::new(),
        author: "shellsweep project".into(),
        ruleset: "correlation".into(),
        tags: Vec::new(),
        severity: Severity::Low,
        score: 0,
        status: None,
        falsepositives: Vec::new(),
    }
}
