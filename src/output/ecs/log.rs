//! What a log record adds to a finding: its fields in their ECS homes, capped and redacted.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::common::bytes::escape_bytes;
use crate::finding::LogSubject;
use crate::logs::Field;

use super::{FIELD_MAX, Related};

#[derive(Serialize)]
pub(crate) struct LogWire {
    pub(crate) file: LogFileWire,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) level: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct LogFileWire {
    pub(crate) path: String,
}

#[derive(Serialize, Default)]
pub(crate) struct Endpoint {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) port: Option<u64>,
}

#[derive(Serialize, Default)]
pub(crate) struct Url {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) query: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) domain: Option<String>,
}

#[derive(Serialize, Default)]
pub(crate) struct Http {
    #[serde(skip_serializing_if = "HttpRequest::is_empty")]
    pub(crate) request: HttpRequest,
    #[serde(skip_serializing_if = "HttpResponse::is_empty")]
    pub(crate) response: HttpResponse,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) version: Option<String>,
}

#[derive(Serialize, Default)]
pub(crate) struct HttpRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) referrer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) bytes: Option<u64>,
}

impl HttpRequest {
    pub(crate) fn is_empty(&self) -> bool {
        self.method.is_none() && self.referrer.is_none() && self.bytes.is_none()
    }
}

#[derive(Serialize, Default)]
pub(crate) struct HttpResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status_code: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) bytes: Option<u64>,
}

impl HttpResponse {
    pub(crate) fn is_empty(&self) -> bool {
        self.status_code.is_none() && self.bytes.is_none()
    }
}

#[derive(Serialize)]
pub(crate) struct UserAgent {
    pub(crate) original: String,
}

#[derive(Serialize)]
pub(crate) struct User {
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) domain: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct Network {
    pub(crate) forwarded_ip: String,
}

/// Copies strings from a log under [`FIELD_MAX`], naming each one that was cut.
#[derive(Default)]
pub(crate) struct Capped {
    pub(crate) truncated: Vec<String>,
}

impl Capped {
    pub(crate) fn text(&mut self, field: &str, bytes: &[u8]) -> String {
        self.text_max(field, bytes, FIELD_MAX)
    }

    pub(crate) fn text_max(&mut self, field: &str, bytes: &[u8], max: usize) -> String {
        if bytes.len() <= max {
            return escape_bytes(bytes);
        }
        self.cut(field);
        // Not inside a UTF-8 sequence: its head would show as escaped bytes.
        let mut end = max;
        while end > max.saturating_sub(3) && bytes.get(end).is_some_and(|b| b & 0xc0 == 0x80) {
            end -= 1;
        }
        let mut s = escape_bytes(&bytes[..end]);
        // Escaping grows invalid bytes fourfold; the cap is on what is written.
        if s.len() > max {
            let mut end = max;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
        }
        s
    }

    pub(crate) fn cut(&mut self, field: &str) {
        if !self.truncated.iter().any(|f| f == field) {
            self.truncated.push(field.to_owned());
        }
    }
}

/// The ECS fields of a log record.
pub(crate) struct LogParts {
    pub(crate) log: LogWire,
    pub(crate) original: String,
    pub(crate) source: Option<Endpoint>,
    pub(crate) destination: Option<Endpoint>,
    pub(crate) url: Option<Url>,
    pub(crate) http: Option<Http>,
    pub(crate) user_agent: Option<UserAgent>,
    pub(crate) user: Option<User>,
    pub(crate) network: Option<Network>,
    /// `time-taken` (milliseconds) in nanoseconds.
    pub(crate) duration: Option<u64>,
    pub(crate) fields_ext: BTreeMap<&'static str, String>,
}

/// Parses a logged number; a field that is not one (`2OO`, `-`) is left out.
pub(crate) fn number(v: &[u8]) -> Option<u64> {
    std::str::from_utf8(v).ok()?.trim().parse().ok()
}

/// The first address of a logged list (`a, b` in X-Forwarded-For), as an address.
pub(crate) fn first_addr(v: &[u8]) -> Option<String> {
    let first = crate::common::net::logged_addrs(v).next()?;
    crate::common::net::parse_logged_addr(first).map(|a| a.to_string())
}

pub(crate) fn endpoint(
    v: &[u8],
    field: &str,
    capped: &mut Capped,
    related: &mut Related,
) -> Endpoint {
    match first_addr(v) {
        Some(ip) => {
            Related::add(&mut related.ip, &ip);
            Endpoint {
                ip: Some(ip),
                ..Endpoint::default()
            }
        }
        None => Endpoint {
            address: Some(capped.text(field, v)),
            ..Endpoint::default()
        },
    }
}

/// `name=value; ...` with the values dropped: a session cookie in a SIEM is a session anyone
/// there can take over; the names still show what kind of client it was.
pub(crate) fn redact_cookie(v: &[u8]) -> Vec<u8> {
    if v == b"-" {
        return v.to_vec();
    }
    let mut out = Vec::new();
    // IIS writes spaces as `+`; both separate cookies.
    for part in v.split(|&b| b == b';').filter(|p| !p.is_empty()) {
        let name = part.split(|&b| b == b'=').next().unwrap_or(part);
        let name = name.strip_prefix(b"+").unwrap_or(name);
        let name = name.strip_prefix(b" ").unwrap_or(name);
        if !out.is_empty() {
            out.extend_from_slice(b";");
        }
        out.extend_from_slice(name);
        out.extend_from_slice(b"=[redacted]");
    }
    out
}

/// `original` with the logged cookie `raw` replaced by `red`, also when the record was cut
/// inside the cookie (its head is then replaced: no part of a value is left).
fn redact_in(original: &[u8], raw: &[u8], red: &[u8]) -> Vec<u8> {
    let mut out = original.to_vec();
    let head = &raw[..raw.len().min(16)];
    if let Some(at) = memchr::memmem::find(original, head) {
        let end = (at + raw.len()).min(original.len());
        if original[at..end] == raw[..end - at] {
            out.splice(at..end, red.iter().copied());
        }
    }
    out
}

pub(crate) fn log_wire(
    l: &LogSubject,
    path: &Path,
    capped: &mut Capped,
    related: &mut Related,
) -> LogParts {
    let get = |want: Field| {
        l.fields
            .iter()
            .find(|(f, _)| *f == want)
            .map(|(_, v)| v.as_slice())
    };
    let cookie = get(Field::Cookie).map(redact_cookie);
    let original = match (get(Field::Cookie), &cookie) {
        (Some(raw), Some(red)) if raw.len() > 1 => {
            std::borrow::Cow::Owned(redact_in(&l.original, raw, red))
        }
        _ => std::borrow::Cow::Borrowed(&l.original[..]),
    };
    let original_text = capped.text_max("event.original", &original, FIELD_MAX);
    // The record itself was cut before it got here (at ORIGINAL_MAX).
    if l.original_cut {
        capped.cut("event.original");
    }
    let fields_ext = l
        .fields
        .iter()
        .map(|(f, v)| {
            let v = if *f == Field::Cookie {
                cookie.as_deref().unwrap_or(v)
            } else {
                v
            };
            (
                f.name(),
                capped.text(&format!("shellsweep.log.fields.{}", f.name()), v),
            )
        })
        .collect();
    let source = get(Field::ClientIp).map(|v| {
        let field = if first_addr(v).is_some() {
            "source.ip"
        } else {
            "source.address"
        };
        endpoint(v, field, capped, related)
    });
    let destination = get(Field::ServerIp).map(|v| {
        let mut e = endpoint(v, "destination.address", capped, related);
        e.port = get(Field::ServerPort).and_then(number);
        e
    });
    let network = get(Field::ForwardedFor)
        .and_then(first_addr)
        .map(|forwarded_ip| {
            Related::add(&mut related.ip, &forwarded_ip);
            Network { forwarded_ip }
        });
    let url = Url {
        path: get(Field::UriStem).map(|v| capped.text("url.path", v)),
        query: get(Field::UriQuery).map(|v| capped.text("url.query", v)),
        domain: get(Field::Host).map(|v| capped.text("url.domain", v)),
    };
    if let Some(d) = &url.domain {
        let host = d.rsplit_once(':').map_or(d.as_str(), |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                d
            }
        });
        Related::add(&mut related.hosts, host);
    }
    let http = Http {
        request: HttpRequest {
            method: get(Field::Method).map(|v| capped.text("http.request.method", v)),
            referrer: get(Field::Referer).map(|v| capped.text("http.request.referrer", v)),
            bytes: get(Field::BytesReceived).and_then(number),
        },
        response: HttpResponse {
            status_code: get(Field::Status).and_then(number),
            bytes: get(Field::BytesSent).and_then(number),
        },
        version: get(Field::Version)
            .map(|v| capped.text("http.version", v.strip_prefix(b"HTTP/").unwrap_or(v))),
    };
    let http = (!http.request.is_empty() || !http.response.is_empty() || http.version.is_some())
        .then_some(http);
    let user = get(Field::Username).map(|v| match v.iter().position(|&b| b == b'\\') {
        Some(at) if at > 0 && at + 1 < v.len() => User {
            domain: Some(capped.text("user.domain", &v[..at])),
            name: capped.text("user.name", &v[at + 1..]),
        },
        _ => User {
            name: capped.text("user.name", v),
            domain: None,
        },
    });
    LogParts {
        log: LogWire {
            file: LogFileWire {
                path: path.to_string_lossy().into_owned(),
            },
            level: get(Field::Level).map(|v| capped.text("log.level", v.trim_ascii())),
        },
        original: original_text,
        source,
        destination,
        url: (url.path.is_some() || url.query.is_some() || url.domain.is_some()).then_some(url),
        http,
        user_agent: get(Field::UserAgent).map(|v| UserAgent {
            original: capped.text("user_agent.original", v),
        }),
        user,
        network,
        duration: get(Field::TimeTaken)
            .and_then(number)
            .and_then(|ms| ms.checked_mul(1_000_000)),
        fields_ext,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_keep_their_names_only() {
        assert_eq!(
            redact_cookie(b"ASP.NET_SessionId=abc123;+auth=s3cr3t=="),
            b"ASP.NET_SessionId=[redacted];auth=[redacted]"
        );
        assert_eq!(redact_cookie(b"-"), b"-");
        let red = redact_cookie(b"sid=abcdef0123456789xyz");
        assert_eq!(
            redact_in(
                b"GET /x sid=abcdef0123456789xyz 200",
                b"sid=abcdef0123456789xyz",
                &red
            ),
            b"GET /x sid=[redacted] 200"
        );
        // A record cut inside the cookie loses the rest of the value too.
        assert_eq!(
            redact_in(
                b"GET /x sid=abcdef0123456789",
                b"sid=abcdef0123456789xyz",
                &red
            ),
            b"GET /x sid=[redacted]"
        );
    }

    #[test]
    fn long_fields_are_cut_and_named() {
        let mut c = Capped::default();
        assert_eq!(c.text("url.path", b"/a"), "/a");
        let long = vec![b'q'; FIELD_MAX + 10];
        assert_eq!(c.text("url.query", &long).len(), FIELD_MAX);
        // Invalid bytes escape to four characters each: still under the cap.
        let bad = vec![0xffu8; FIELD_MAX + 1];
        let s = c.text("user_agent.original", &bad);
        assert!(
            s.len() <= FIELD_MAX && s.starts_with("\\xff"),
            "{}",
            s.len()
        );
        assert_eq!(c.truncated, ["url.query", "user_agent.original"]);
    }
}
