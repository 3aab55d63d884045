//! The pivot: from the addresses the scan points at to every record they left.
//!
//! Hop 1 starts from the addresses that requested a webshell (and got an answer other
//! than 404), that are on an IOC list, or that sent an exploit request; every record from
//! them in every scanned log becomes a pivot event. Each further hop (`--pivot-hops`)
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

use super::pass::{self, Needles, Request};
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
const MAX_EVENTS_PER_ADDRESS: usize = 10_000;

/// The pivot's result.
pub(super) struct Pivoted {
    /// One "webshell requested" finding per file with joined requests.
    pub requested: Vec<Finding>,
    /// The pivot events, in time order.
    pub events: Vec<Finding>,
    pub addresses: u64,
    pub passes: u64,
}

pub(super) struct Pivoting<'a> {
    config: &'a Arc<ScanConfig>,
    map: &'a WebrootMap,
    observer: &'a Observer,
    hops: u8,
    sink: &'a SyncSender<Message>,
    stats: &'a Stats,
    stop: &'a Arc<AtomicBool>,
    /// Every record found, once (by log and offset).
    records: BTreeMap<(PathBuf, u64), Request>,
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
            records: BTreeMap::new(),
            pivots: HashMap::new(),
            passes: 0,
        }
    }

    fn pass(&mut self, logs: &[PathBuf], needles: &Needles) -> Vec<(PathBuf, u64)> {
        if needles.is_empty() || logs.is_empty() || self.stop.load(Relaxed) {
            return Vec::new();
        }
        self.passes += 1;
        let out = pass::run(self.config, logs, needles, self.sink, self.stats, self.stop);
        // A record that holds two needles (a webshell's name and a pivot address) comes
        // once per needle: each record is kept, and named, once.
        let mut keys = Vec::new();
        let mut once = HashSet::new();
        for r in out.requests {
            let key = r.key();
            if once.insert(key.clone()) {
                keys.push(key.clone());
            }
            self.records.entry(key).or_insert(r);
        }
        // In the order things happened, so that lists of clients read as a story and the
        // output is the same whatever order the threads delivered it in.
        keys.sort_by_key(|k| (self.records.get(k).and_then(|r| r.time), k.clone()));
        keys
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
        let keys = self.pass(logs, &first);
        // The requests of each webshell; their clients join the pivot.
        let mut joined: HashMap<(PathBuf, u64), String> = HashMap::new();
        for key in keys {
            let Some(r) = self.records.get(&key) else {
                continue;
            };
            let id = self.event_id(r);
            if let Some(url) = webshells.join(r, self.map, &id) {
                joined.insert(key, url);
            }
        }
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
            self.pass(
                logs,
                &Needles {
                    names: Vec::new(),
                    addresses: pending,
                },
            );
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
        let events = self.events(&joined);
        Pivoted {
            requested: webshells.findings(),
            addresses: self.pivots.len() as u64,
            events,
            passes: self.passes,
        }
    }

    /// Adds the addresses of hop `hop + 1`; false when there are none.
    fn next_hop(&mut self, hop: u8, logs: &[PathBuf]) -> bool {
        let script = |u: &str| crate::baseline::in_scope(std::path::Path::new(u));
        // What hop `hop` POSTed to with success.
        let mut used: BTreeMap<String, IpAddr> = BTreeMap::new();
        for r in self.records.values() {
            let Some(p) = r.client.and_then(|c| self.pivots.get(&c)) else {
                continue;
            };
            if p.hop != hop || !posted_ok(r) {
                continue;
            }
            if let (Some(u), Some(c)) = (&r.url_path, r.client)
                && script(u)
            {
                used.entry(key_of(u, r.case_insensitive())).or_insert(c);
            }
        }
        if used.is_empty() {
            return false;
        }
        let mut names: Vec<String> = used
            .keys()
            .filter_map(|u| u.rsplit('/').next().map(str::to_ascii_lowercase))
            .collect();
        names.sort();
        names.dedup();
        let keys = self.pass(
            logs,
            &Needles {
                names,
                addresses: Vec::new(),
            },
        );
        let mut others: BTreeMap<&str, Vec<IpAddr>> = BTreeMap::new();
        for key in &keys {
            let Some(r) = self.records.get(key) else {
                continue;
            };
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
        let mut added = false;
        let mut common = 0;
        let found: Vec<(String, Vec<IpAddr>)> =
            others.into_iter().map(|(u, a)| (u.to_owned(), a)).collect();
        for (url, addresses) in found {
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
        let f = event(r, None);
        event_id(&f, &self.observer.absolute(&r.log.path))
    }

    /// The pivot events: every record of a pivot address, and every request joined with a
    /// webshell (a 404 from an address that is not followed too: its id is named in the
    /// finding).
    fn events(&self, joined: &HashMap<(PathBuf, u64), String>) -> Vec<Finding> {
        let mut out: Vec<Finding> = Vec::new();
        for (key, r) in &self.records {
            // By the record's client only: an address an attacker wrote into
            // X-Forwarded-For is not theirs to pull into the timeline.
            let pivot = r
                .client
                .and_then(|c| self.pivots.get(&c))
                .cloned()
                .or_else(|| {
                    let url = joined.get(key)?;
                    Some(Pivot {
                        address: r.client.map(|c| c.to_string()).unwrap_or_default(),
                        hop: 1,
                        reason: format!("requested webshell {url} (answered {})", status(r)),
                        via: "webshell_requested",
                    })
                });
            if let Some(p) = pivot {
                out.push(event(r, Some(p)));
            }
        }
        // Time order, records without a time last; ties by log and line.
        let order = |f: &Finding| match &f.subject {
            Subject::Log(l) => (l.time.is_none(), l.time, l.path.clone(), l.line),
            Subject::File(_) => (true, None, PathBuf::new(), 0),
        };
        out.sort_by_key(order);
        // The first records of each address; a flood is counted, not kept.
        let mut per: HashMap<String, usize> = HashMap::new();
        let mut cut = 0u64;
        out.retain(|f| {
            let a = f
                .pivot
                .as_ref()
                .map(|p| p.address.clone())
                .unwrap_or_default();
            let n = per.entry(a).or_default();
            *n += 1;
            let keep = *n <= MAX_EVENTS_PER_ADDRESS;
            cut += u64::from(!keep);
            keep
        });
        if cut > 0 {
            self.notice(format!(
                "correlation: {cut} pivot event(s) past the first {MAX_EVENTS_PER_ADDRESS} \
                 of an address were left out"
            ));
        }
        out
    }
}

/// A POST that the server answered with success (2xx or a redirect after a form).
fn posted_ok(r: &Request) -> bool {
    r.method
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case("POST"))
        && r.status.is_some_and(|s| (200..400).contains(&s))
}

fn status(r: &Request) -> String {
    r.status
        .map_or("without a status".into(), |s| s.to_string())
}

fn key_of(url: &str, case_insensitive: bool) -> String {
    if case_insensitive {
        url.to_ascii_lowercase()
    } else {
        url.to_owned()
    }
}

/// A record as a pivot event (its id does not depend on why it is one).
fn event(r: &Request, pivot: Option<Pivot>) -> Finding {
    let mut f = Finding::bare(rule(), Subject::Log(r.log.clone()));
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
