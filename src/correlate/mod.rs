//! Correlation, after the walk: the responder's questions that join findings.
//!
//! Which clients requested each webshell (`webshell requested`), which script appeared in a
//! served folder minutes after an exploit request (`dropped after exploit`), and what else
//! the addresses involved did (pivot events, `event.kind: event`, one hop by default).
//!
//! It runs once the walk is done, because a log record can only be joined with a file
//! finding that exists: the walk leaves notes (`pipeline::Evidence`), and each question is
//! a pass over the logs the scan read, through the same pipeline with only what is looked
//! for (see `pass.rs`). With no finding to join, no pass runs and correlation
//! costs nothing.

mod dropped;
mod held;
mod pass;
mod pivot;
mod record;
mod requests;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashSet};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::mpsc::SyncSender;

use crate::output::Message;
use crate::pipeline::{ScanConfig, Seed};
use crate::summary::Stats;
use crate::webroot::WebrootMap;

/// What the user asked of correlation.
#[derive(Debug, Default)]
pub struct Options {
    /// `--webroot` mappings (checked when the arguments were read).
    pub map: WebrootMap,
    /// `--server-config` files, read beside the configs the walk met.
    pub server_configs: Vec<PathBuf>,
    /// `--pivot-hops`: 1 follows the addresses the scan found; each more hop follows what
    /// they used to the addresses that used it too.
    pub hops: u8,
}

/// What correlation found, for the summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub webshells_requested: u64,
    pub dropped: u64,
    pub pivot_addresses: u64,
    /// Pivot events written.
    pub pivot_events: u64,
    /// Pivot events found but not written, past the bound on what is held (see `held.rs`).
    pub pivot_events_not_shown: u64,
    /// Addresses whose exploit requests the server all refused (400 or above): not
    /// followed for them.
    pub refused_addresses: u64,
    pub passes: u64,
    /// How long the joins took, after the walk (milliseconds).
    pub duration_ms: u64,
}

impl Outcome {
    /// One line for people (stderr).
    pub fn sentence(&self) -> String {
        let mut not_shown = String::new();
        if self.pivot_events_not_shown > 0 {
            not_shown = format!(
                " and {} not shown (past the first of each address)",
                self.pivot_events_not_shown
            );
        }
        let mut refused = String::new();
        if self.refused_addresses > 0 {
            refused = format!(
                ", {} address(es) whose exploit requests were all refused not followed",
                self.refused_addresses
            );
        }
        format!(
            "correlation: {} webshell(s) requested, {} file(s) dropped after an exploit, \
             {} pivot event(s){not_shown} from {} address(es){refused} ({} pass(es) over \
             the logs, {} ms)",
            self.webshells_requested,
            self.dropped,
            self.pivot_events,
            self.pivot_addresses,
            self.passes,
            self.duration_ms
        )
    }
}

/// What the web-root map holds, and what the configs said that it could not follow (an
/// `Include`, a regex location): requests under those are joined by their path's tail.
fn map_sentence(map: &WebrootMap) -> String {
    let mut sources: Vec<String> = map.mappings().map(|(_, _, s)| s.to_string()).collect();
    sources.sort();
    sources.dedup();
    let mut text = format!(
        "web-root map: {} mapping(s) from {}",
        map.mappings().count(),
        sources.join(", ")
    );
    if let Some(first) = map.not_followed().first() {
        text.push_str(&format!(
            "; {} directive(s) not followed, first {}:{}: {}",
            map.not_followed_total(),
            first.config.display(),
            first.line,
            first.what
        ));
    }
    crate::output::for_terminal(text.as_bytes())
}

/// The pivot's exploit seeds: the clients of the exploit requests the server answered
/// (each for its first, `exploits` being in time order); and the clients whose exploit
/// requests were all refused, which are not followed: a scanner's probe that got a 404
/// exploited nothing, and a noisy exploit rule (a recon tool's user agent tagged T1190)
/// would otherwise make every scanner's traffic the timeline. The rule is the one "dropped
/// after exploit" uses (`dropped::answered`).
fn exploit_seeds(exploits: &[dropped::Exploit]) -> (Vec<Seed>, BTreeSet<IpAddr>) {
    let mut seeds = Vec::new();
    let mut refused = BTreeSet::new();
    let mut answered = HashSet::new();
    for e in exploits {
        let Some(c) = e.request.client else {
            continue;
        };
        if !dropped::answered(&e.request) {
            refused.insert(c);
        } else if answered.insert(c) {
            seeds.push(Seed {
                address: c.to_string(),
                reason: format!("exploit rule {}", e.reference.rule_id),
                via: "exploit",
            });
        }
    }
    refused.retain(|c| !answered.contains(c));
    (seeds, refused)
}

/// Runs the joins over what the scan of `config` left in its evidence, sending findings
/// and pivot events to `sink`.
pub fn run(
    config: &Arc<ScanConfig>,
    options: Options,
    sink: &SyncSender<Message>,
    stats: &Arc<Stats>,
    stop: &Arc<AtomicBool>,
) -> Outcome {
    let started = std::time::Instant::now();
    let mut outcome = Outcome::default();
    let Some(evidence) = &config.evidence else {
        return outcome;
    };
    if stop.load(Relaxed) {
        return outcome;
    }
    let mut seen = evidence.take();
    let observer = evidence.observer();
    let mut map = options.map;
    let notice = |m: String| {
        let _ = sink.send(Message::Notice(None, m));
    };
    for c in seen.configs.iter().chain(&options.server_configs) {
        if let Err(e) = map.add_config(c) {
            notice(format!("web-root map: {e}"));
        }
    }
    let scripts = seen.scripts.decode();
    for s in &scripts {
        map.infer_from_path(&s.path);
    }
    if !map.is_empty() {
        notice(map_sentence(&map));
    }
    let mut exploits: Vec<dropped::Exploit> = seen
        .exploits
        .iter()
        .filter_map(|f| dropped::Exploit::of(f, observer))
        .collect();
    // Threads delivered them in any order; the reason an address is followed for (its
    // first exploit) must not depend on that.
    exploits.sort_by(|a, b| {
        let key = |e: &dropped::Exploit| {
            (
                e.reference.time,
                e.reference.log_path.clone(),
                e.reference.log_line,
            )
        };
        key(a).cmp(&key(b))
    });
    let (seeds, refused) = exploit_seeds(&exploits);
    for seed in seeds {
        seen.seed(seed);
    }
    // An address followed for another reason (an IOC list) is not one left out.
    let followed: HashSet<&str> = seen.seeds.iter().map(|s| s.address.as_str()).collect();
    outcome.refused_addresses = refused
        .iter()
        .filter(|c| !followed.contains(c.to_string().as_str()))
        .count() as u64;
    if seen.cut > 0 {
        notice(format!(
            "correlation: {} exploit finding(s) or addresses past the first {} were not \
             followed",
            seen.cut,
            crate::pipeline::MAX_SEEDS
        ));
    }
    let mut found = Vec::new();
    let dropped = dropped::find(&exploits, &scripts, &map, &config.read);
    found.extend(dropped);
    let mut pivots = pivot::Pivoting::new(config, &map, observer, options.hops, sink, stats, stop)
        .run(std::mem::take(&mut seen.files), &seen.seeds, &seen.logs);
    outcome.pivot_addresses = pivots.addresses;
    outcome.pivot_events = pivots.events.len() as u64;
    outcome.pivot_events_not_shown = pivots.events_found - outcome.pivot_events;
    outcome.passes = pivots.passes;
    stats.pivot_events.fetch_add(outcome.pivot_events, Relaxed);
    stats
        .pivot_events_not_shown
        .fetch_add(outcome.pivot_events_not_shown, Relaxed);
    stats
        .pivot_addresses_refused
        .fetch_add(outcome.refused_addresses, Relaxed);
    if outcome.refused_addresses > 0 {
        notice(format!(
            "correlation: {} address(es) whose exploit requests the server all refused \
             (status 400 or above) were not followed",
            outcome.refused_addresses
        ));
    }
    if outcome.pivot_events_not_shown > 0 {
        notice(format!(
            "correlation: {} of {} pivot event(s) not shown: each address keeps its first {} \
             (at most {} per address, {} in all); counted in the summary \
             (pivot_events_not_shown)",
            outcome.pivot_events_not_shown,
            pivots.events_found,
            pivots.share.min(pivot::MAX_EVENTS_PER_ADDRESS),
            pivot::MAX_EVENTS_PER_ADDRESS,
            pivot::MAX_EVENTS
        ));
    }
    found.extend(std::mem::take(&mut pivots.requested));
    let allowed = config.policy.drop_allowed(&mut found);
    stats.findings_allowed.fetch_add(allowed, Relaxed);
    found.retain(|f| {
        let shown = config.policy.reports(f.severity());
        if shown {
            stats.finding(f.severity());
        } else {
            stats.findings_below_min_severity.fetch_add(1, Relaxed);
        }
        shown
    });
    outcome.webshells_requested = found
        .iter()
        .filter(|f| {
            matches!(
                f.correlation,
                Some(crate::finding::Correlation::Requested(_))
            )
        })
        .count() as u64;
    outcome.dropped = found.len() as u64 - outcome.webshells_requested;
    for f in found {
        let _ = sink.send(Message::Findings(vec![f]));
    }
    // Events in time order: the intruder's timeline as it happened. Each is made whole
    // only now, a batch at a time.
    for chunk in pivots.events.chunks(256) {
        let batch = chunk.iter().map(|h| pivots.event(h)).collect();
        let _ = sink.send(Message::Findings(batch));
    }
    outcome.duration_ms = started.elapsed().as_millis() as u64;
    outcome
}
