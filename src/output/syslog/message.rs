//! RFC 5424 messages and their RFC 6587 frames.
//!
//! The header fields are ASCII by the RFC's grammar: what comes from outside (the host
//! name, a rule id) is checked against it, so a hostile value cannot add fields or frames.
//! The MSG itself is a JSON line (ECS or OCSF), which escapes every control character.

use crate::common::severity::Severity;

/// RFC 5424 section 6.4: a UTF-8 MSG starts with the byte order mark.
pub(crate) const BOM: &[u8] = "\u{feff}".as_bytes();

/// RFC 5424 section 6.2: the NILVALUE.
const NIL: &str = "-";

/// The fields that are the same on every message of a run.
#[derive(Clone, Debug)]
pub(crate) struct Header {
    /// The facility code (0 to 23).
    pub(crate) facility: u8,
    pub(crate) hostname: String,
    pub(crate) procid: String,
}

impl Header {
    pub(crate) fn new(facility: u8, hostname: &str) -> Header {
        Header {
            facility,
            hostname: printable(hostname, 255).unwrap_or_else(|| NIL.to_owned()),
            procid: std::process::id().to_string(),
        }
    }
}

/// One message to send, before its header is added.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// RFC 5424 severity (0 emergency to 7 debug).
    pub(crate) severity: u8,
    pub(crate) time: jiff::Timestamp,
    /// The rule id; [`render`] puts `finding` in its place when it does not fit the grammar.
    pub(crate) msgid: String,
    /// The line exactly as the JSONL (or OCSF) output writes it, without its newline.
    pub(crate) line: String,
}

/// The RFC 5424 severity of a finding: critical is "critical", high "error", medium
/// "warning", low "notice". Pivot events (no rule judged them) are "informational".
pub(crate) fn severity_code(severity: Option<Severity>) -> u8 {
    match severity {
        Some(Severity::Critical) => 2,
        Some(Severity::High) => 3,
        Some(Severity::Medium) => 4,
        Some(Severity::Low) => 5,
        None => 6,
    }
}

/// A MSGID: the rule id when it fits the grammar (1 to 32 printable ASCII characters),
/// else `fallback`.
pub(crate) fn msgid(rule_id: &str, fallback: &str) -> String {
    match printable(rule_id, 32) {
        Some(id) if id.len() == rule_id.len() => id,
        _ => fallback.to_owned(),
    }
}

/// `s` when it is printable US-ASCII (`!` to `~`), cut to `max` bytes; None when empty or
/// holding anything else.
fn printable(s: &str, max: usize) -> Option<String> {
    (!s.is_empty() && s.bytes().all(|b| (33..=126).contains(&b)))
        .then(|| s[..s.len().min(max)].to_owned())
}

/// RFC 5424 TIMESTAMP: UTC, microseconds (the grammar allows six fraction digits).
fn timestamp(t: jiff::Timestamp) -> String {
    let s = format!("{t:.6}");
    // Years outside 0000 to 9999 are written with a sign, which the grammar has no room for.
    if s.len() == 27 && s.as_bytes()[4] == b'-' {
        s
    } else {
        NIL.to_owned()
    }
}

/// The whole RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - BOM MSG`.
pub(crate) fn render(h: &Header, e: &Entry) -> Vec<u8> {
    let pri = u16::from(h.facility) * 8 + u16::from(e.severity.min(7));
    let head = format!(
        "<{pri}>1 {} {} shellsweep {} {} {NIL} ",
        timestamp(e.time),
        h.hostname,
        h.procid,
        msgid(&e.msgid, "finding"),
    );
    let mut out = Vec::with_capacity(head.len() + BOM.len() + e.line.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(BOM);
    out.extend_from_slice(e.line.as_bytes());
    out
}

/// RFC 6587 section 3.4.1 octet counting: `LENGTH SP MESSAGE`. Unlike newline framing it
/// holds any byte, so nothing in a message can end it early.
pub(crate) fn frame(message: &[u8]) -> Vec<u8> {
    let mut out = format!("{} ", message.len()).into_bytes();
    out.extend_from_slice(message);
    out
}

/// Facility names (RFC 5424 section 6.2.1, with the names syslog daemons use) and codes.
const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

/// `--syslog-facility`: a name above or a code from 0 to 23.
pub(crate) fn parse_facility(s: &str) -> Result<u8, String> {
    let lower = s.trim().to_ascii_lowercase();
    if let Some(i) = FACILITIES.iter().position(|f| *f == lower) {
        return Ok(i as u8);
    }
    match lower.parse::<u8>() {
        Ok(n) if n < 24 => Ok(n),
        _ => Err(format!(
            "`{s}` is not a syslog facility: use a code from 0 to 23 or one of {}",
            FACILITIES.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(line: &str) -> Entry {
        Entry {
            severity: severity_code(Some(Severity::High)),
            time: "2026-12-03T13:22:32.123456789Z".parse().unwrap(),
            msgid: "SSW-PHP-001".into(),
            line: line.into(),
        }
    }

    #[test]
    fn a_message_follows_the_grammar() {
        let h = Header {
            facility: 16,
            hostname: "web1".into(),
            procid: "42".into(),
        };
        let m = render(&h, &entry("{\"a\":\"é\"}"));
        let mut expected =
            b"<131>1 2026-12-03T13:22:32.123456Z web1 shellsweep 42 SSW-PHP-001 - ".to_vec();
        expected.extend_from_slice(b"\xef\xbb\xbf{\"a\":\"\xc3\xa9\"}");
        assert_eq!(m, expected);
        assert_eq!(frame(b"abc"), b"3 abc");
        assert_eq!(m.len(), 81);
        assert_eq!(frame(&m)[..4], *b"81 <");
    }

    #[test]
    fn outside_values_cannot_break_the_header() {
        let h = Header::new(1, "evil host\n<0>1");
        assert_eq!(h.hostname, "-");
        assert_eq!(Header::new(1, &"h".repeat(300)).hostname.len(), 255);
        assert_eq!(msgid("id with space", "finding"), "finding");
        assert_eq!(msgid(&"x".repeat(33), "finding"), "finding");
        assert_eq!(msgid("", "pivot"), "pivot");
        assert_eq!(msgid("SSW-X", "finding"), "SSW-X");
        let mut e = entry("{}");
        e.time = "-000100-01-01T00:00:00Z".parse().unwrap();
        e.severity = 200;
        let m = String::from_utf8_lossy(&render(&h, &e)).into_owned();
        assert!(m.starts_with("<15>1 - - shellsweep "), "{m}");
    }

    #[test]
    fn facilities_by_name_or_code() {
        assert_eq!(parse_facility("local0"), Ok(16));
        assert_eq!(parse_facility("AUTH"), Ok(4));
        assert_eq!(parse_facility("23"), Ok(23));
        assert!(parse_facility("24").is_err());
        assert!(parse_facility("security").is_err());
    }

    #[test]
    fn severities_map_down_the_scale() {
        let codes: Vec<u8> = Severity::ALL
            .iter()
            .map(|s| severity_code(Some(*s)))
            .collect();
        assert_eq!(codes, [5, 4, 3, 2]);
        assert_eq!(severity_code(None), 6);
    }
}
