//! The one IOC matcher: what a file's path and contents, a parsed log record, or a raw log
//! line (for the line prefilter) holds of the loaded lists. The file job, the log scanner
//! and the prefilter all ask here, so a rule of matching (which fields of a record count,
//! how X-Forwarded-For is split, how addresses are cut out of free text) is written once.

use std::net::IpAddr;
use std::path::Path;

use super::{IocSet, Kind, runs};
use crate::common::net::{logged_addrs, parse_logged_addr};
use crate::logs::{Field, LogFormat, Record};

/// One indicator found: which (an index into [`IocSet::indicators`]), the field (or `line`,
/// `file.name`, `file.hash.sha256`, ...) that held it, and the value seen there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IocMatch {
    pub indicator: usize,
    pub field: String,
    pub matched: Vec<u8>,
}

impl IocMatch {
    fn new(indicator: usize, field: &str, matched: &[u8]) -> IocMatch {
        IocMatch {
            indicator,
            field: field.to_owned(),
            matched: matched.to_vec(),
        }
    }
}

impl IocSet {
    /// File-name IOCs for the path's last component, and path regexes and globs for the
    /// path.
    #[must_use]
    pub fn path_matches(&self, path: &Path) -> Vec<IocMatch> {
        let mut out = Vec::new();
        if !self.file_names.is_empty()
            && let Some(name) = path
                .file_name()
                .map(|n| n.to_string_lossy().to_ascii_lowercase())
            && let Some(&i) = self.file_names.get(&name)
        {
            out.push(IocMatch::new(i, "file.name", name.as_bytes()));
        }
        if !self.paths.is_empty() {
            let text = path.to_string_lossy();
            for i in self.paths.matches(&text) {
                out.push(IocMatch::new(i, "file.path", text.as_bytes()));
            }
        }
        out
    }

    /// The hash kinds some loaded indicator uses: only those digests need computing.
    #[must_use]
    pub fn hash_kinds(&self) -> Vec<Kind> {
        [Kind::Md5, Kind::Sha1, Kind::Sha256]
            .into_iter()
            .filter(|k| self.hashes.values().any(|&i| self.kind(i) == *k))
            .collect()
    }

    /// Hash IOCs of a file's contents, given `digest` (lowercase hex of the contents for a
    /// hash kind).
    pub fn content_matches(&self, digest: impl Fn(Kind) -> String) -> Vec<IocMatch> {
        if !self.has_hashes() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for kind in self.hash_kinds() {
            let digest = digest(kind);
            if let Some(&i) = self.hashes.get(&digest) {
                out.push(IocMatch {
                    indicator: i,
                    field: format!("file.hash.{}", kind.as_str()),
                    matched: digest.into_bytes(),
                });
            }
        }
        out
    }

    /// Whether an address in a record's client field or X-Forwarded-For is listed: what the
    /// line prefilter asks of a line it would otherwise pass over.
    #[must_use]
    pub fn lists_client(&self, client: &[u8], forwarded: Option<&[u8]>) -> bool {
        let listed = |v: &[u8]| {
            logged_addrs(v)
                .any(|a| parse_logged_addr(a).is_some_and(|ip| self.ips.lookup(ip).is_some()))
        };
        listed(client) || forwarded.is_some_and(listed)
    }

    /// IOC matches on one log record, each indicator value once. Parsed formats are matched
    /// field by field (the server's own address in the line is not a client); unparsed text
    /// by whole tokens.
    pub fn record_matches(&self, rec: &Record<'_>, raw: &[u8], format: LogFormat) -> Vec<IocMatch> {
        let mut out: Vec<IocMatch> = Vec::new();
        let mut add = |i: usize, field: &str, matched: &[u8]| {
            let value = self.value(i);
            if !out
                .iter()
                .any(|m| m.indicator == i || self.value(m.indicator) == value)
            {
                out.push(IocMatch::new(i, field, matched));
            }
        };
        // A client field logged as `-` (IIS behind some proxies) still leaves
        // X-Forwarded-For to read field by field: the whole line would hold the server's
        // own address, and the header's `addr:port` form is not one token.
        let parsed = matches!(format, LogFormat::Iis | LogFormat::Combined)
            && (rec.get(Field::ClientIp).is_some() || rec.get(Field::ForwardedFor).is_some());
        if !parsed {
            for (i, token) in self.ip_tokens(raw) {
                add(i, "line", token);
            }
            if let Some((i, range)) = self.domains.lookup_in_text(raw) {
                add(i, "line", &raw[range]);
            }
            for url in url_tokens(raw) {
                if let Some(i) = std::str::from_utf8(url)
                    .ok()
                    .and_then(|u| self.lookup_url(u))
                {
                    add(i, "line", url);
                }
            }
            return out;
        }
        for (field, name) in [
            (Field::ClientIp, "c-ip"),
            (Field::ForwardedFor, "x-forwarded-for"),
        ] {
            let Some(v) = rec.get(field) else { continue };
            for a in logged_addrs(v) {
                if let Some(i) = parse_logged_addr(a).and_then(|ip| self.ips.lookup(ip)) {
                    add(i, name, a);
                }
            }
        }
        let host = rec.get(Field::Host).map(host_without_port);
        if let Some(h) = host
            && let Some(i) = self.domains.lookup_host(h)
        {
            add(i, "cs-host", h);
        }
        for (field, name) in [
            (Field::Referer, "cs-referer"),
            (Field::UriStem, "cs-uri-stem"),
            (Field::UriQuery, "cs-uri-query"),
        ] {
            if let Some(v) = rec.get(field)
                && let Some((i, r)) = self.domains.lookup_in_text(v)
            {
                add(i, name, &v[r]);
            }
        }
        if !self.urls.is_empty() {
            if let Some(r) = rec
                .get(Field::Referer)
                .and_then(|r| std::str::from_utf8(r).ok())
                && let Some(i) = self.lookup_url(r)
            {
                add(i, "cs-referer", r.as_bytes());
            }
            if let (Some(h), Some(stem)) = (host, rec.get(Field::UriStem)) {
                let mut url = format!(
                    "{}{}",
                    String::from_utf8_lossy(h),
                    String::from_utf8_lossy(stem)
                );
                if let Some(q) = rec.get(Field::UriQuery) {
                    url.push('?');
                    url.push_str(&String::from_utf8_lossy(q));
                }
                for scheme in ["http://", "https://"] {
                    let full = format!("{scheme}{url}");
                    if let Some(i) = self.lookup_url(&full) {
                        add(i, "url", full.as_bytes());
                    }
                }
            }
        }
        if !self.file_names.is_empty()
            && let Some(stem) = rec.get(Field::UriStem)
        {
            let name = stem
                .rsplit(|&b| b == b'/' || b == b'\\')
                .find(|s| !s.is_empty())
                .unwrap_or(stem);
            if let Some(&i) = self
                .file_names
                .get(&String::from_utf8_lossy(name).to_ascii_lowercase())
            {
                add(i, "cs-uri-stem", stem);
            }
        }
        out
    }

    /// Whole IP-address tokens of free text that are on the list: maximal runs of hex
    /// digits, `.` and `:` that parse as an address (`10.1.2.3` never matches inside
    /// `110.1.2.34`).
    fn ip_tokens<'t>(&self, text: &'t [u8]) -> Vec<(usize, &'t [u8])> {
        if self.ips.is_empty() {
            return Vec::new();
        }
        let is_ip_byte = |b: u8| b.is_ascii_hexdigit() || b == b'.' || b == b':';
        let mut out = Vec::new();
        for r in runs(text, is_ip_byte) {
            // A token glued to letters or digits beyond the hex range is not an address.
            let glued = r.start > 0 && text[r.start - 1].is_ascii_alphanumeric()
                || r.end < text.len() && text[r.end].is_ascii_alphanumeric();
            // Sentence punctuation after an address (`... from 10.1.2.3.`) is not part of it.
            let mut token = &text[r];
            while let [rest @ .., b'.' | b':'] = token {
                token = rest;
            }
            if glued || token.len() < 2 {
                continue;
            }
            // `a.b.c.d:port` is one run of these bytes; an IPv6 address with a port is
            // bracketed, so its run ends before the `]` and needs nothing more.
            let parsed = std::str::from_utf8(token)
                .ok()
                .and_then(|t| t.parse::<IpAddr>().ok())
                .or_else(|| with_port(token));
            if let Some(i) = parsed.and_then(|ip| self.ips.lookup(ip)) {
                out.push((i, token));
            }
        }
        out
    }
}

/// An IPv4 address followed by `:port` (`203.0.113.77:5555`), as free text writes a
/// connection's peer.
fn with_port(token: &[u8]) -> Option<IpAddr> {
    let (addr, port) = token.split_at(token.iter().rposition(|&b| b == b':')?);
    let port = &port[1..];
    if port.is_empty() || port.len() > 5 || !port.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(addr)
        .ok()?
        .parse::<std::net::Ipv4Addr>()
        .ok()
        .map(IpAddr::V4)
}

/// A `Host` header value without its port (`portal.contoso.test:443`).
fn host_without_port(h: &[u8]) -> &[u8] {
    match h.iter().rposition(|&c| c == b':') {
        Some(i) if h[i + 1..].iter().all(u8::is_ascii_digit) => &h[..i],
        _ => h,
    }
}

/// `http://` and `https://` URLs in free text, up to whitespace or a quote.
fn url_tokens(text: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    for start in memchr::memmem::find_iter(text, b"http") {
        let rest = &text[start..];
        if !(rest.starts_with(b"http://") || rest.starts_with(b"https://")) {
            continue;
        }
        let end = rest
            .iter()
            .position(|&b| b.is_ascii_whitespace() || b == b'"' || b == b'\'' || b == b')')
            .unwrap_or(rest.len());
        out.push(&rest[..end]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::IisColumns;

    fn iocs(text: &str) -> IocSet {
        let mut s = IocSet::default();
        assert!(s.load_text("list.txt", text).problems.is_empty());
        s
    }

    #[test]
    fn raw_ip_tokens_match_whole_addresses_only() {
        let s = iocs("10.1.2.3\n2001:db8::/32\n");
        let hits = |t: &str| s.ip_tokens(t.as_bytes()).len();
        assert_eq!(hits("client 10.1.2.3 said"), 1);
        assert_eq!(hits("client 10.1.2.34 said"), 0);
        assert_eq!(hits("client 110.1.2.3 said"), 0);
        assert_eq!(hits("x=10.1.2.3."), 1);
        assert_eq!(hits("host10.1.2.3"), 0);
        assert_eq!(hits("from [2001:db8::7]:443"), 1);
        assert_eq!(hits("peer 10.1.2.3:5555 closed"), 1);
        assert_eq!(hits("peer 10.1.2.34:5555 closed"), 0);
        assert_eq!(hits("peer 10.1.2.3:123456 closed"), 0);
        assert_eq!(hits("peer 10.1.2.3: closed"), 1);
    }

    /// (indicator, field) of each hit of an IIS line, in the matcher's order.
    fn field_hits(s: &IocSet, cols: &IisColumns, line: &[u8]) -> Vec<(String, String)> {
        s.record_matches(&cols.parse(line), line, LogFormat::Iis)
            .iter()
            .map(|h| (s.value(h.indicator).into_owned(), h.field.clone()))
            .collect()
    }

    #[test]
    fn forwarded_for_is_read_when_the_client_field_is_a_dash() {
        let s = iocs("203.0.113.77\n10.0.0.5\n");
        let cols = IisColumns::from_directive(
            b"#Fields: date time s-ip cs-method cs-uri-stem c-ip X-Forwarded-For",
        )
        .unwrap();
        let line = b"2025-07-19 10:00:00 10.0.0.5 GET /default.aspx - 203.0.113.77:5555";
        let got = field_hits(&s, &cols, line);
        let got: Vec<(&str, String)> = got.iter().map(|(v, f)| (v.as_str(), f.clone())).collect();
        assert_eq!(
            got,
            vec![("203.0.113.77", "x-forwarded-for".to_string())],
            "the server's own address s-ip is not a client"
        );
    }

    #[test]
    fn parsed_records_match_by_field() {
        let s = iocs(
            "203.0.113.77\nevil.example\nspinstall0.aspx\nhttp://portal.contoso.test/_layouts/15/x.aspx\n",
        );
        let cols = IisColumns::from_directive(b"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query c-ip cs(Referer) cs-host X-Forwarded-For").unwrap();
        let line = b"2025-07-19 08:01:17 203.0.113.77 GET /_layouts/15/spinstall0.aspx - 10.20.0.2 https://a.evil.example/ portal.contoso.test:443 198.51.100.1,203.0.113.77";
        let got = field_hits(&s, &cols, line);
        let got: Vec<(&str, String)> = got.iter().map(|(v, f)| (v.as_str(), f.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("203.0.113.77", "x-forwarded-for".to_string()),
                ("evil.example", "cs-referer".to_string()),
                ("spinstall0.aspx", "cs-uri-stem".to_string())
            ],
            "the server address s-ip is not a client"
        );
        let line2 = b"2025-07-19 08:01:17 10.0.0.1 GET /_layouts/15/x.aspx - 10.20.0.2 - portal.contoso.test - ";
        let hits = s.record_matches(&cols.parse(line2), line2, LogFormat::Iis);
        assert_eq!(hits.len(), 1);
        assert_eq!(
            s.value(hits[0].indicator),
            "http://portal.contoso.test/_layouts/15/x.aspx"
        );
    }

    #[test]
    fn clients_are_looked_up_through_forwarded_for() {
        let s = iocs("203.0.113.77\n");
        assert!(s.lists_client(b"203.0.113.77", None));
        assert!(s.lists_client(b"10.0.0.1", Some(b"198.51.100.1, 203.0.113.77:443")));
        assert!(!s.lists_client(b"10.0.0.1", Some(b"198.51.100.1")));
    }

    #[test]
    fn files_match_by_name_path_and_digest() {
        let s = iocs("spinstall0.aspx\n0cc175b9c0f1b6a831c399e269772661\n");
        let m = s.path_matches(Path::new("/w/_layouts/SPINSTALL0.aspx"));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].field, "file.name");
        assert_eq!(s.hash_kinds(), [Kind::Md5]);
        let m = s.content_matches(|k| {
            assert_eq!(k, Kind::Md5);
            "0cc175b9c0f1b6a831c399e269772661".into()
        });
        assert_eq!(m[0].field, "file.hash.md5");
    }
}
