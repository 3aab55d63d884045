//! The intruder's activity as one list of dated marks per client address, joined from log
//! findings, pivot events and `dropped after exploit` findings. One request can arrive
//! through several of them (an exploit is a log finding, the exploit of a drop and a pivot
//! event at once), so marks are merged by their log record and keep the strongest kind.

use std::collections::{BTreeSet, HashMap};

use jiff::Timestamp;

use super::{Record, Report};

/// What a mark stands for, strongest first (the order decides which kind a merged mark keeps).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    /// An exploit or other rule match in a log.
    Alert,
    /// A script written after an exploit request from this address.
    Dropped,
    /// A request for a file the scan found to be a webshell.
    Webshell,
    /// Anything else the address did.
    Other,
}

impl Kind {
    pub(crate) const ALL: [Kind; 4] = [Kind::Alert, Kind::Dropped, Kind::Webshell, Kind::Other];

    pub(crate) fn label(self) -> &'static str {
        match self {
            Kind::Alert => "exploit / alert",
            Kind::Dropped => "file dropped",
            Kind::Webshell => "webshell request",
            Kind::Other => "other activity",
        }
    }

    /// The CSS class; also what tests look for in the page.
    pub(crate) fn class(self) -> &'static str {
        match self {
            Kind::Alert => "k-alert",
            Kind::Dropped => "k-dropped",
            Kind::Webshell => "k-webshell",
            Kind::Other => "k-other",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Mark {
    pub(crate) address: String,
    pub(crate) time: Timestamp,
    pub(crate) kind: Kind,
    /// The request or action, e.g. `POST /x.aspx (200)`.
    pub(crate) what: String,
    /// Why it is on the timeline: a rule, a pivot reason.
    pub(crate) why: String,
    /// Where it was seen, `log:line`, when known.
    pub(crate) place: Option<String>,
}

/// Marks in time order (then address), and how many events had no usable time or address.
#[derive(Debug, Default)]
pub(crate) struct Timeline {
    pub(crate) marks: Vec<Mark>,
    pub(crate) undated: u64,
}

pub(crate) fn build(report: &Report) -> Timeline {
    let mut t = Builder::default();
    let webshell_ids: BTreeSet<&str> = report
        .requested
        .iter()
        .flat_map(|r| r.event_ids.iter().map(String::as_str))
        .collect();
    let webshell_paths: BTreeSet<String> = report
        .requested
        .iter()
        .flat_map(|r| r.url_paths.iter().map(|p| p.to_ascii_lowercase()))
        .collect();
    for f in &report.logs {
        t.host = host_of(report, f.meta.run);
        let why = join2(f.meta.rule_id.as_deref(), f.meta.rule_name.as_deref());
        t.record(&f.record, f.record.client.as_deref(), Kind::Alert, why);
    }
    for p in &report.pivots {
        let is_webshell = p
            .event_id
            .as_deref()
            .is_some_and(|id| webshell_ids.contains(id))
            || p.record
                .url_path
                .as_deref()
                .is_some_and(|u| webshell_paths.contains(&u.to_ascii_lowercase()));
        let kind = if is_webshell {
            Kind::Webshell
        } else {
            Kind::Other
        };
        let mut why = p.reason.clone().unwrap_or_else(|| "pivot".to_owned());
        if let Some(hop) = p.hop.filter(|&h| h > 1) {
            why = format!("hop {hop}: {why}");
        }
        if let Some(via) = &p.via {
            why = format!("{why} [{via}]");
        }
        let address = p.address.as_deref().or(p.record.client.as_deref());
        t.host = host_of(report, p.run);
        t.record(&p.record, address, kind, why);
    }
    for d in &report.dropped {
        t.host = host_of(report, d.meta.run);
        let exploit = Record {
            time: d.exploit_time.clone(),
            log_path: d.log_path.clone(),
            log_line: d.log_line,
            client: d.client.clone(),
            method: d.method.clone(),
            url_path: d.url_path.clone(),
            ..Record::default()
        };
        let why = d
            .exploit_rule_id
            .clone()
            .unwrap_or_else(|| "exploit".to_owned());
        t.record(&exploit, d.client.as_deref(), Kind::Alert, why);
        let delay = d
            .delay_seconds
            .map(|s| format!(", {s} s after the exploit"))
            .unwrap_or_default();
        let what = format!(
            "{} {}{delay}",
            d.file_time_kind.as_deref().unwrap_or("written"),
            d.file_path.as_deref().unwrap_or("(no path)")
        );
        t.push(
            d.client.as_deref(),
            d.file_time.as_deref(),
            None,
            Kind::Dropped,
            what,
            "dropped after exploit".to_owned(),
        );
    }
    t.finish()
}

fn host_of(report: &Report, run: usize) -> String {
    report
        .runs
        .get(run)
        .map(|r| r.host.clone())
        .unwrap_or_default()
}

fn join2(a: Option<&str>, b: Option<&str>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => format!("{a} {b}"),
        (Some(x), None) | (None, Some(x)) => x.to_owned(),
        (None, None) => "(no rule)".to_owned(),
    }
}

/// `GET /path?query (200)`, from whatever parts the record has.
pub(crate) fn request_text(r: &Record) -> String {
    let mut s = r.method.clone().unwrap_or_else(|| "?".to_owned());
    s.push(' ');
    s.push_str(r.url_path.as_deref().unwrap_or("(no path)"));
    if let Some(q) = &r.url_query {
        s.push('?');
        s.push_str(q);
    }
    if let Some(st) = &r.status {
        s.push_str(&format!(" ({st})"));
    }
    if let Some(u) = &r.user {
        s.push_str(&format!(" as {u}"));
    }
    s
}

#[derive(Default)]
struct Builder {
    marks: Vec<Mark>,
    /// (address, log, line) -> index in `marks`.
    by_record: HashMap<(String, String, u64), usize>,
    undated: u64,
    /// The host of the run the next marks come from, for their place.
    host: String,
}

impl Builder {
    fn record(&mut self, r: &Record, address: Option<&str>, kind: Kind, why: String) {
        let place = r.log_path.as_ref().zip(r.log_line);
        self.push(
            address,
            r.time.as_deref(),
            place.map(|(p, l)| (p.as_str(), l)),
            kind,
            request_text(r),
            why,
        );
    }

    fn push(
        &mut self,
        address: Option<&str>,
        time: Option<&str>,
        place: Option<(&str, u64)>,
        kind: Kind,
        what: String,
        why: String,
    ) {
        let (Some(address), Some(time)) = (address, time.and_then(|t| t.parse().ok())) else {
            self.undated += 1;
            return;
        };
        if let Some((log, line)) = place {
            let key = (address.to_owned(), log.to_owned(), line);
            if let Some(&i) = self.by_record.get(&key) {
                let m = &mut self.marks[i];
                if kind < m.kind {
                    m.kind = kind;
                    m.why = why;
                }
                return;
            }
            self.by_record.insert(key, self.marks.len());
        }
        self.marks.push(Mark {
            address: address.to_owned(),
            time,
            kind,
            what,
            why,
            place: match (place, self.host.is_empty()) {
                (Some((p, l)), true) => Some(format!("{p}:{l}")),
                (Some((p, l)), false) => Some(format!("{}: {p}:{l}", self.host)),
                (None, true) => None,
                (None, false) => Some(self.host.clone()),
            },
        });
    }

    fn finish(mut self) -> Timeline {
        self.marks
            .sort_by(|a, b| (a.time, &a.address, a.kind).cmp(&(b.time, &b.address, b.kind)));
        Timeline {
            marks: self.marks,
            undated: self.undated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::read::Reader;

    #[test]
    fn one_request_seen_three_ways_is_one_mark_of_the_strongest_kind() {
        let text = r#"{"event":{"kind":"alert","dataset":"shellsweep.log","id":"l1","start":"2025-07-19T08:10:00Z"},"rule":{"id":"SSW-LOG-TOOLSHELL-001"},"source":{"ip":"203.0.113.7"},"log":{"file":{"path":"u.log"}},"shellsweep":{"log":{"line":12}}}
{"event":{"kind":"event","dataset":"shellsweep.pivot","id":"p0","start":"2025-07-19T08:10:00Z"},"source":{"ip":"203.0.113.7"},"log":{"file":{"path":"u.log"}},"shellsweep":{"log":{"line":12},"pivot":{"address":"203.0.113.7","via":"exploit"}}}
{"event":{"kind":"alert","dataset":"shellsweep.correlation","id":"c2"},"file":{"path":"/w/s.aspx"},"shellsweep":{"correlation":{"type":"dropped_after_exploit","exploit":{"client":"203.0.113.7","time":"2025-07-19T08:10:00Z","log_path":"u.log","log_line":12},"file_time":"2025-07-19T08:11:30Z","delay_seconds":90}}}
{"event":{"kind":"alert","dataset":"shellsweep.correlation","id":"c1"},"shellsweep":{"correlation":{"type":"webshell_requested","url_paths":["/_layouts/15/S.aspx"],"requests":{"event_ids":[]}}}}
{"event":{"kind":"event","dataset":"shellsweep.pivot","id":"p1","start":"2025-07-19T08:12:00Z"},"url":{"path":"/_layouts/15/s.aspx"},"shellsweep":{"pivot":{"address":"198.51.100.20"}}}
{"event":{"kind":"event","dataset":"shellsweep.pivot","id":"p2","start":"not a time"},"shellsweep":{"pivot":{"address":"198.51.100.20"}}}"#;
        let mut r = Reader::default();
        r.add("x", text.as_bytes());
        let t = build(&r.finish());
        let kinds: Vec<(Kind, &str)> = t
            .marks
            .iter()
            .map(|m| (m.kind, m.address.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (Kind::Alert, "203.0.113.7"),
                (Kind::Dropped, "203.0.113.7"),
                (Kind::Webshell, "198.51.100.20"),
            ]
        );
        assert_eq!(t.marks[0].why, "SSW-LOG-TOOLSHELL-001");
        assert_eq!(t.undated, 1);
    }
}
