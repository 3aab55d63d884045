//! The text lines of joined findings and pivot events: what a correlation stands on, in a
//! few lines a responder can act on (the JSON lines hold every id).

use std::fmt::Write as _;

use super::escape::for_terminal;
use crate::common::bytes::rfc3339;
use crate::finding::{Correlation, Finding, Pivot};

/// At most this many clients or user agents are listed in text (all are in the JSON).
const LISTED: usize = 8;

fn list(items: &[String]) -> String {
    let mut shown: Vec<String> = items
        .iter()
        .take(LISTED)
        .map(|s| for_terminal(s.as_bytes()))
        .collect();
    if items.len() > LISTED {
        shown.push(format!("and {} more", items.len() - LISTED));
    }
    shown.join(", ")
}

/// The lines under a correlation finding's rule line.
pub(super) fn correlation(out: &mut String, f: &Finding) {
    let Some(c) = &f.correlation else { return };
    match c {
        Correlation::Requested(r) => {
            let when = match (r.first, r.last) {
                (Some(a), Some(b)) => format!(", {} to {}", rfc3339(a), rfc3339(b)),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "    {} request(s), {} more answered 404{when}",
                r.count, r.not_found
            );
            let _ = writeln!(out, "    url: {}", list(&r.url_paths));
            let _ = writeln!(out, "    clients: {}", list(&r.clients));
            let statuses: Vec<String> = r.statuses.iter().map(u16::to_string).collect();
            let _ = writeln!(
                out,
                "    methods: {}; statuses: {}",
                list(&r.methods),
                statuses.join(", ")
            );
            if !r.user_agents.is_empty() {
                let _ = writeln!(out, "    user agents: {}", list(&r.user_agents));
            }
            let source = r
                .join_source
                .as_deref()
                .map(|s| format!(" ({})", for_terminal(s.as_bytes())))
                .unwrap_or_default();
            let _ = writeln!(out, "    joined by {}{source}", r.join);
        }
        Correlation::Dropped(d) => {
            let e = &d.exploit;
            let _ = writeln!(
                out,
                "    {} {} {}s after {} {} {} from {} at {}",
                d.file_time_kind,
                rfc3339(d.file_time),
                d.delay_seconds,
                for_terminal(e.method.as_deref().unwrap_or("a request").as_bytes()),
                for_terminal(e.url_path.as_deref().unwrap_or("").as_bytes()),
                for_terminal(e.rule_id.as_bytes()),
                for_terminal(
                    e.client
                        .as_deref()
                        .unwrap_or("an unknown client")
                        .as_bytes()
                ),
                rfc3339(e.time)
            );
            let _ = writeln!(
                out,
                "    exploit: {}:{}",
                for_terminal(e.log_path.as_bytes()),
                e.log_line
            );
        }
    }
}

/// A pivot event's line: whose record it is and why that address is followed.
pub(super) fn pivot(out: &mut String, p: &Pivot) {
    let _ = writeln!(
        out,
        "  pivot {} (hop {}): {}",
        for_terminal(p.address.as_bytes()),
        p.hop,
        for_terminal(p.reason.as_bytes())
    );
}
