//! One correlation pass over the logs the scan read: the pipeline again, with only what the
//! joins look for: webshells' file names as one generated log rule (or, past
//! [`RULE_NAMES`], as IOC file names) and pivot addresses as an IOC set.
//!
//! Reusing the log scanner, not a second reader, means every format, compressed and
//! transcoded logs, the time window and the line prefilter behave exactly as in the scan:
//! a pass costs what a few literals or IOC entries cost, and most lines are never parsed.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::mpsc::{SyncSender, sync_channel};

use crate::common::diag::Pos;
use crate::common::severity::Severity;
use crate::engine::Engine;
use crate::finding::{Finding, LogSubject, Subject};
use crate::ioc::{Indicator, IocSet, Kind};
use crate::logs::{Field, LogFormat, percent_decode};
use crate::output::Message;
use crate::pipeline::{self, ScanConfig};
use crate::rules::{Expr, FieldName, FieldOp, FieldTest, Rule, Scope, Selection};
use crate::summary::Stats;

use super::record::Record;

/// What a pass looks for.
#[derive(Default)]
pub(super) struct Needles {
    /// Lowercase file names of webshells.
    pub names: Vec<String>,
    pub addresses: Vec<IpAddr>,
}

impl Needles {
    pub(super) fn is_empty(&self) -> bool {
        self.names.is_empty() && self.addresses.is_empty()
    }

    /// The addresses, as an IOC set: the log scanner's line filter checks them straight
    /// from the client columns. Past [`RULE_NAMES`] names, the names too (see there).
    fn iocs(&self) -> IocSet {
        let list: Arc<str> = Arc::from("correlation");
        let mut set = IocSet::default();
        if self.names.len() > RULE_NAMES {
            for (i, n) in self.names.iter().enumerate() {
                set.add(Indicator::new(Kind::FileName, n.clone(), &list, i + 1));
            }
        }
        for (i, a) in self.addresses.iter().enumerate() {
            let kind = if a.is_ipv4() { Kind::Ipv4 } else { Kind::Ipv6 };
            set.add(Indicator::new(kind, a.to_string(), &list, i + 1));
        }
        set
    }

    /// The names, as one log rule (`cs-uri-stem` ends with `/NAME`, any case, decoded):
    /// its literals go to the line filter's literal search, which dismisses a line far
    /// faster than the IOC file-name check, which tokenises every line.
    fn rules(&self) -> Vec<Rule> {
        if self.names.is_empty() || self.names.len() > RULE_NAMES {
            return Vec::new();
        }
        // The name as the last segment, or followed by PATH_INFO (`/shell.aspx/x`).
        let test = |op: FieldOp, suffix: &str| FieldTest {
            field: FieldName::Known(Field::UriStem),
            op,
            values: self.names.iter().map(|n| format!("/{n}{suffix}")).collect(),
            null: false,
            all: false,
            cased: false,
            decoded: true,
            pos: Pos::default(),
        };
        vec![Rule {
            id: "SSW-CORR-NAMES".into(),
            name: "A request for a webshell's name".into(),
            severity: Severity::Low,
            scope: Scope::Log,
            description: String::new(),
            author: String::new(),
            references: Vec::new(),
            tags: Vec::new(),
            ruleset: Arc::from("correlation"),
            source: Arc::from("correlation"),
            files: Default::default(),
            patterns: Vec::new(),
            selections: vec![Selection {
                name: "requested".into(),
                alternatives: vec![
                    vec![test(FieldOp::EndsWith, "")],
                    vec![test(FieldOp::Contains, "/")],
                ],
                pos: Pos::default(),
            }],
            score: 0,
            hunt: false,
            condition: Expr::Matched(0),
            status: None,
            falsepositives: Vec::new(),
        }]
    }
}

/// Up to this many webshell names are looked for by a log rule, whose literals the line
/// filter searches in a few SIMD passes (a pass costs little more than reading the log);
/// past it the rule's values would be compared one by one on every parsed record (a web
/// root of public webshell collections has thousands), so the names go to the IOC set,
/// whose file-name check is one hash lookup per record whatever their number.
const RULE_NAMES: usize = 32;

/// A request record a pass found, with what the joins read from it. The record itself is
/// held compact (see `record.rs`): a pass over a scanner's addresses returns hundreds of
/// thousands of them.
#[derive(Clone, Debug)]
pub(super) struct Request {
    pub record: Record,
    pub time: Option<jiff::Timestamp>,
    /// The client, as [`client_of`] reads it.
    pub client: Option<IpAddr>,
    pub method: Option<String>,
    /// Percent-decoded, without the query.
    pub url_path: Option<String>,
    pub status: Option<u16>,
}

impl Request {
    pub(super) fn of(log: LogSubject) -> Request {
        let record = Record::of(log);
        let get = |want: Field| record.field(want);
        let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        let addrs = |v: &[u8]| -> Vec<IpAddr> {
            crate::common::net::logged_addrs(v)
                .filter_map(crate::common::net::parse_logged_addr)
                .collect()
        };
        let forwarded = get(Field::ForwardedFor).map(addrs).unwrap_or_default();
        let direct = get(Field::ClientIp).and_then(|v| addrs(v).into_iter().next());
        let client = client_of(direct, &forwarded);
        Request {
            time: record.time,
            client,
            method: get(Field::Method).map(text),
            url_path: get(Field::UriStem).map(|s| text(&percent_decode(s))),
            status: get(Field::Status).and_then(|s| std::str::from_utf8(s).ok()?.parse().ok()),
            record,
        }
    }

    /// Read when a request joins a webshell, not held by every request a pass returns.
    pub(super) fn user_agent(&self) -> Option<String> {
        let ua = String::from_utf8_lossy(self.record.field(Field::UserAgent)?).into_owned();
        // IIS logs a space in a user agent as `+`.
        Some(if self.record.format == LogFormat::Iis {
            ua.replace('+', " ")
        } else {
            ua
        })
    }

    /// IIS serves paths case-insensitively; Apache and nginx do not.
    pub(super) fn case_insensitive(&self) -> bool {
        self.record.format == LogFormat::Iis
    }

    /// Where the record is, to tell two passes' copies of it apart.
    pub(super) fn key(&self) -> (PathBuf, u64) {
        (self.record.path.clone(), self.record.offset)
    }
}

/// Who sent a request. X-Forwarded-For is written by the client first and appended to by
/// each proxy, so only what the proxies in front of the server appended can be trusted:
/// when `c-ip` is a public address, no proxy of ours stood between, and the header is the
/// client's word (ignored); when `c-ip` is private (a load balancer), the client is the
/// rightmost public address of the header (the one the nearest proxy saw), else its
/// rightmost address (an internal client behind internal proxies).
pub(super) fn client_of(direct: Option<IpAddr>, forwarded: &[IpAddr]) -> Option<IpAddr> {
    match direct {
        Some(d) if !is_internal(d) => Some(d),
        _ => forwarded
            .iter()
            .rev()
            .find(|a| !is_internal(**a))
            .or(forwarded.last())
            .copied()
            .or(direct),
    }
}

/// Loopback, private, link-local, carrier-grade NAT and unique-local addresses: where a
/// proxy in front of a web server sits.
fn is_internal(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v) => {
            let [o1, o2, ..] = v.octets();
            v.is_private()
                || v.is_loopback()
                || v.is_link_local()
                || (o1 == 100 && (64..128).contains(&o2))
        }
        IpAddr::V6(v) => {
            let first = v.segments()[0];
            v.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

/// What a pass could not read: told to the user, and the run is incomplete, since a
/// request may be missing from the joins.
pub(super) struct PassOutcome {
    pub requests: Vec<Request>,
}

/// Reads the logs once for `needles`.
pub(super) fn run(
    base: &Arc<ScanConfig>,
    logs: &[PathBuf],
    needles: &Needles,
    sink: &SyncSender<Message>,
    stats: &Stats,
    stop: &Arc<AtomicBool>,
) -> PassOutcome {
    let mut config = (**base).clone();
    config.roots = logs.to_vec();
    config.iocs = Arc::new(needles.iocs());
    config.state = None;
    config.baseline = None;
    config.yara = None;
    config.evidence = None;
    config.stdin_name = None;
    config.skip_missing = true;
    config.policy = crate::policy::Policy::new(
        crate::common::severity::Severity::Low,
        crate::common::severity::Severity::Low,
        Arc::default(),
    );
    let config = Arc::new(config);
    let engine = match Engine::new(needles.rules()) {
        Ok(e) => Arc::new(e),
        Err(e) => {
            stats.errors.fetch_add(1, Relaxed);
            let _ = sink.send(Message::FileError(
                None,
                format!("correlation: {e} (requests for the webshells were not looked for)"),
            ));
            return PassOutcome {
                requests: Vec::new(),
            };
        }
    };
    let pass_stats = Arc::new(Stats::default());
    let (tx, rx) = sync_channel::<Message>(64);
    let mut requests = Vec::new();
    std::thread::scope(|s| {
        let (engine, config, pass_stats, stop) = (&engine, &config, &pass_stats, stop);
        s.spawn(move || pipeline::run(engine, config, &tx, pass_stats, stop));
        for m in rx {
            match m {
                Message::Findings(found) => {
                    requests.extend(found.into_iter().filter_map(|f: Finding| match f.subject {
                        Subject::Log(l) => Some(Request::of(l)),
                        Subject::File(_) => None,
                    }))
                }
                Message::FileError(path, message) => {
                    stats.errors.fetch_add(1, Relaxed);
                    let _ = sink.send(Message::FileError(
                        path,
                        format!(
                            "correlation: {message} (its requests may be missing from the joins)"
                        ),
                    ));
                }
                // Skips and notices were told by the scan already.
                Message::Notice(..) | Message::Event(_) | Message::Carried(..) | Message::End => {}
            }
        }
    });
    PassOutcome { requests }
}
