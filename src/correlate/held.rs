//! The pivot events held until they are written, in bounded memory.
//!
//! Events are written in time order (the intruder's timeline as it happened), so they are
//! held until the last pass is done. A noisy exploit rule can make every scanner on the
//! Internet a pivot address: hundreds of thousands of records. So what is held is bounded
//! in count and bytes, and shared between addresses: each keeps its first events (by time),
//! as many as the bound allows for all (the largest share `k` such that the addresses'
//! `min(found, k)` add up to no more than the bound). An intruder's few hundred requests
//! are then kept whole beside a thousand scanners' floods, and every address shows how it
//! began. What is not held is counted, and the count is said.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::record::Record;

/// What is held at most.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limits {
    /// Events in all.
    pub events: usize,
    /// Events of one address.
    pub per_address: usize,
    /// Bytes of records in all (see [`Record::cost`]): a log of 1 MiB lines makes events
    /// of a megabyte each.
    pub bytes: usize,
}

/// A pivot event waiting to be written.
#[derive(Debug)]
pub(super) struct Held {
    pub record: Record,
    /// The record's client, the address it is counted for.
    pub client: Option<IpAddr>,
    /// The webshell URL the request reached, when it was joined with one.
    pub joined: Option<Box<str>>,
    pub status: Option<u16>,
}

impl Held {
    /// Time order, records without a time last; ties by log and line (and offset, so that
    /// the order is total).
    fn order(&self) -> (bool, Option<jiff::Timestamp>, &Path, u64, u64) {
        let r = &self.record;
        (r.time.is_none(), r.time, &r.path, r.line, r.offset)
    }
}

impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        self.order() == other.order()
    }
}

impl Eq for Held {}

impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Held {
    fn cmp(&self, other: &Self) -> Ordering {
        self.order().cmp(&other.order())
    }
}

/// One address's events: how many were found, and the first ones (a max-heap, so the
/// latest is the one let go).
#[derive(Default)]
struct Lane {
    found: u64,
    held: BinaryHeap<Held>,
}

/// The events held, by address.
pub(super) struct Events {
    limits: Limits,
    /// Records taken, by log and offset: a record two passes found counts once.
    seen: HashSet<(u32, u64)>,
    logs: HashMap<PathBuf, u32>,
    lanes: HashMap<Option<IpAddr>, Lane>,
    /// Each address keeps its first `share` events. It only shrinks: what was let go is
    /// never needed again.
    share: usize,
    held: usize,
    bytes: usize,
}

impl Events {
    pub(super) fn new(limits: Limits) -> Events {
        Events {
            limits,
            seen: HashSet::new(),
            logs: HashMap::new(),
            lanes: HashMap::new(),
            share: limits.per_address,
            held: 0,
            bytes: 0,
        }
    }

    /// Takes one pass's events. The new ones are counted first, so that the share is known
    /// before any is held: what is held never exceeds the limits.
    pub(super) fn take(&mut self, batch: Vec<Held>) {
        let mut fresh = Vec::with_capacity(batch.len());
        for h in batch {
            let next = self.logs.len() as u32;
            let log = match self.logs.get(h.record.path.as_path()) {
                Some(i) => *i,
                None => *self.logs.entry(h.record.path.clone()).or_insert(next),
            };
            if self.seen.insert((log, h.record.offset)) {
                self.lanes.entry(h.client).or_default().found += 1;
                fresh.push(h);
            }
        }
        let fair = fair_share(self.lanes.values().map(|l| l.found), self.limits.events);
        self.share = self.share.min(fair);
        self.trim();
        for h in fresh {
            let Some(lane) = self.lanes.get_mut(&h.client) else {
                continue;
            };
            if lane.held.len() >= self.share {
                match lane.held.peek() {
                    Some(latest) if h < *latest => {}
                    _ => continue,
                }
                if let Some(out) = lane.held.pop() {
                    self.held -= 1;
                    self.bytes -= out.record.cost();
                }
            }
            self.held += 1;
            self.bytes += h.record.cost();
            lane.held.push(h);
        }
        while self.bytes > self.limits.bytes && self.share > 0 {
            self.share -= (self.share / 8).max(1);
            self.trim();
        }
    }

    /// Lets each address's latest events go, down to the share.
    fn trim(&mut self) {
        for lane in self.lanes.values_mut() {
            while lane.held.len() > self.share {
                if let Some(out) = lane.held.pop() {
                    self.held -= 1;
                    self.bytes -= out.record.cost();
                }
            }
        }
    }

    /// Events found (each record once), held or not.
    pub(super) fn found(&self) -> u64 {
        self.lanes.values().map(|l| l.found).sum()
    }

    /// Events held now.
    #[cfg(test)]
    pub(super) fn held(&self) -> usize {
        self.held
    }

    /// How many events each address keeps now.
    pub(super) fn share(&self) -> usize {
        self.share
    }

    /// The events held, in time order.
    pub(super) fn into_sorted(self) -> Vec<Held> {
        let mut out: Vec<Held> = Vec::with_capacity(self.held);
        for lane in self.lanes.into_values() {
            out.extend(lane.held);
        }
        out.sort_unstable();
        out
    }
}

/// The largest `k` such that `min(n, k)` over `counts` adds up to at most `cap`; unbounded
/// when they all fit.
pub(super) fn fair_share(counts: impl Iterator<Item = u64>, cap: usize) -> usize {
    let mut counts: Vec<u64> = counts.collect();
    counts.sort_unstable();
    let cap = cap as u64;
    let mut below = 0u64;
    for (i, &n) in counts.iter().enumerate() {
        let rest = (counts.len() - i) as u64;
        if below + n.saturating_mul(rest) > cap {
            return ((cap - below) / rest) as usize;
        }
        below += n;
    }
    usize::MAX
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::LogSubject;
    use crate::logs::{Field, LogFormat};

    fn held(client: &str, second: i64, offset: u64) -> Held {
        let record = Record::of(LogSubject {
            path: PathBuf::from("/logs/u_ex250719.log"),
            format: LogFormat::Iis,
            line: offset,
            offset,
            time: Some(jiff::Timestamp::from_second(1_752_900_000 + second).unwrap()),
            time_zone: None,
            time_zone_assumed: false,
            fields: vec![(Field::ClientIp, client.as_bytes().to_vec())],
            original: vec![b'x'; 100],
            original_cut: false,
        });
        Held {
            record,
            client: client.parse().ok(),
            joined: None,
            status: Some(200),
        }
    }

    fn limits(events: usize, per_address: usize) -> Limits {
        Limits {
            events,
            per_address,
            bytes: usize::MAX,
        }
    }

    /// (client, offset) of what is held, in the order it would be written.
    fn written(e: Events) -> Vec<(String, u64)> {
        e.into_sorted()
            .iter()
            .map(|h| (h.client.unwrap().to_string(), h.record.offset))
            .collect()
    }

    #[test]
    fn the_share_is_the_largest_that_fits_the_cap() {
        assert_eq!(fair_share([100, 1, 5].into_iter(), 20), 14, "1 + 5 + 14");
        assert_eq!(fair_share([3, 3].into_iter(), 6), usize::MAX, "all fit");
        assert_eq!(fair_share([3, 3].into_iter(), 5), 2);
        assert_eq!(fair_share([7].into_iter(), 0), 0);
    }

    #[test]
    fn a_flood_keeps_its_first_events_and_a_small_address_keeps_all() {
        let mut e = Events::new(limits(10, 1000));
        // The scanner's records come late-first, in two passes; the intruder's in between.
        let scanner = |seconds: std::ops::Range<i64>| -> Vec<Held> {
            seconds
                .rev()
                .map(|i| held("198.51.100.7", i, 100 + i as u64))
                .collect()
        };
        let mut late = scanner(25..50);
        late.push(held("203.0.113.45", 30, 1));
        late.push(held("203.0.113.45", 5, 2));
        e.take(late);
        assert!(e.held() <= 10, "{}", e.held());
        let mut early = scanner(0..25);
        early.push(held("203.0.113.45", 31, 3));
        // A record a second pass found again is counted once.
        early.push(held("203.0.113.45", 30, 1));
        e.take(early);
        assert_eq!(e.found(), 53);
        assert_eq!(e.held(), 10);
        assert_eq!(e.share(), 7, "3 + 7 = 10");
        let out = written(e);
        let scanner: Vec<u64> = out
            .iter()
            .filter(|(c, _)| c == "198.51.100.7")
            .map(|(_, o)| *o)
            .collect();
        assert_eq!(
            scanner,
            (100..107).collect::<Vec<u64>>(),
            "its first seven, by time"
        );
        let intruder: Vec<u64> = out
            .iter()
            .filter(|(c, _)| c == "203.0.113.45")
            .map(|(_, o)| *o)
            .collect();
        assert_eq!(intruder, [2, 1, 3], "whole, in time order");
        assert_eq!(
            out[0],
            ("198.51.100.7".into(), 100),
            "the timeline starts with the first"
        );
    }

    #[test]
    fn an_address_keeps_at_most_its_own_bound_and_bytes_are_bounded_too() {
        let mut e = Events::new(limits(1000, 4));
        e.take((0..9).map(|i| held("198.51.100.7", i, i as u64)).collect());
        assert_eq!((e.found(), e.held()), (9, 4));
        let cost = held("198.51.100.7", 0, 0).record.cost();
        let mut e = Events::new(Limits {
            events: 1000,
            per_address: 1000,
            bytes: cost * 6,
        });
        e.take((0..20).map(|i| held("198.51.100.7", i, i as u64)).collect());
        e.take(
            (0..20)
                .map(|i| held("192.0.2.9", i, 100 + i as u64))
                .collect(),
        );
        assert!(e.bytes <= cost * 6, "{} > {}", e.bytes, cost * 6);
        assert_eq!(e.found(), 40);
        let out = written(e);
        assert!(!out.is_empty());
        for c in ["198.51.100.7", "192.0.2.9"] {
            let mine: Vec<u64> = out
                .iter()
                .filter(|(a, _)| a == c)
                .map(|(_, o)| *o % 100)
                .collect();
            let first: Vec<u64> = (0..mine.len() as u64).collect();
            assert_eq!(mine, first, "{c}: its first ones");
        }
    }
}
