//! Which log lines may hold an IOC domain, URL host or file name, decided by hash probes.
//!
//! The log filter used to search every IOC domain, URL host and file name as a literal in
//! every line. Building that search is quadratic in the number of literals (10,000 domains
//! took seconds, a million never finished) and its automaton grows with them. But the
//! matcher only ever finds these indicators as whole tokens: a domain as a dot-suffix of a
//! run of host bytes, a URL's host right after `//` or as the `Host` field, a file name as
//! the last segment of a path. So a line is looked at token by token: every maximal run of
//! host bytes that holds a dot, cut both with and without `_` (host names may hold one, the
//! matcher's own runs stop at it), is probed in hash sets, first by its last label, which
//! rules out nearly every token of ordinary traffic with one probe.
//!
//! Indicators that are not made of host bytes cannot be checked so and are left to the
//! literal search, which stays small because such indicators are rare.

use std::collections::HashSet;

use super::DomainSet;

#[derive(Debug, Default, Clone)]
pub(crate) struct TokenIndex {
    /// Last labels of every domain, URL host and file name checked here.
    tails: HashSet<Box<[u8]>>,
    /// URL hosts (lowercase, port removed) and file names (lowercase), matched whole.
    whole: HashSet<Box<[u8]>>,
    /// Lowercase literals for the filter's literal search.
    literals: Vec<Vec<u8>>,
    /// Some indicator has no literal at all (an empty host): every line must be parsed.
    unsearchable: bool,
    any: bool,
}

/// Bytes of host names, IP addresses and file names as the matcher cuts them from text,
/// plus `_`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_'
}

fn tail(token: &[u8]) -> &[u8] {
    let mut t = token;
    while let [rest @ .., b'.'] = t {
        t = rest;
    }
    match t.iter().rposition(|&b| b == b'.') {
        Some(dot) => &t[dot + 1..],
        None => t,
    }
}

impl TokenIndex {
    pub(crate) fn has_tokens(&self) -> bool {
        self.any
    }

    pub(crate) fn add_domain(&mut self, domain: &str) {
        let d = domain.trim_start_matches("*.").to_ascii_lowercase();
        self.add_token(d.as_bytes(), false);
    }

    pub(crate) fn add_url(&mut self, url: &str) {
        // The host, without scheme, credentials or port: the part `Host` or the referer holds.
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = authority.rsplit('@').next().unwrap_or("");
        let host = match host.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host,
        };
        if host.len() < 2 {
            self.unsearchable = true;
            return;
        }
        self.add_token(host.to_ascii_lowercase().as_bytes(), true);
    }

    pub(crate) fn add_file_name(&mut self, name: &str) {
        if name.is_empty() {
            self.unsearchable = true;
            return;
        }
        self.add_token(name.to_ascii_lowercase().as_bytes(), true);
    }

    fn add_token(&mut self, token: &[u8], whole: bool) {
        if token.contains(&b'.')
            && token.iter().all(|&b| is_token_byte(b))
            && !tail(token).is_empty()
        {
            self.tails.insert(tail(token).into());
            if whole {
                self.whole.insert(token.into());
            }
            self.any = true;
        } else {
            self.literals.push(token.to_vec());
        }
    }

    pub(crate) fn literals(&self) -> Option<Vec<Vec<u8>>> {
        (!self.unsearchable).then(|| self.literals.clone())
    }

    pub(crate) fn line_may_match(&self, line: &[u8], domains: &DomainSet) -> bool {
        if !self.any {
            return false;
        }
        if self.text_may_match(line, domains) {
            return true;
        }
        // Apache and nginx paths are matched percent-decoded.
        memchr::memchr(b'%', line).is_some()
            && self.text_may_match(&crate::logs::percent_decode(line), domains)
    }

    fn text_may_match(&self, text: &[u8], domains: &DomainSet) -> bool {
        super::runs(text, is_token_byte).any(|r| {
            let wide = &text[r];
            memchr::memchr(b'.', wide).is_some()
                && (self.token_may_match(wide, domains)
                    || (memchr::memchr(b'_', wide).is_some()
                        && wide
                            .split(|&b| b == b'_')
                            .any(|t| t.contains(&b'.') && self.token_may_match(t, domains))))
        })
    }

    fn token_may_match(&self, token: &[u8], domains: &DomainSet) -> bool {
        // Most tokens stop here, so their last label is lowercased without allocating.
        let mut buf = [0u8; 64];
        let t = tail(token);
        let long;
        let lower: &[u8] = if t.len() <= buf.len() {
            let b = &mut buf[..t.len()];
            b.copy_from_slice(t);
            b.make_ascii_lowercase();
            b
        } else {
            long = t.to_ascii_lowercase();
            &long
        };
        if !self.tails.contains(lower) {
            return false;
        }
        let token = token.to_ascii_lowercase();
        let trimmed = {
            let mut t = token.as_slice();
            while let [rest @ .., b'.'] = t {
                t = rest;
            }
            t
        };
        domains.lookup_host(&token).is_some()
            || self.whole.contains(token.as_slice())
            || self.whole.contains(trimmed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(domains: &[&str], urls: &[&str], names: &[&str]) -> (TokenIndex, DomainSet) {
        let mut t = TokenIndex::default();
        let mut d = DomainSet::default();
        for (i, x) in domains.iter().enumerate() {
            t.add_domain(x);
            d.insert(x, i);
        }
        for x in urls {
            t.add_url(x);
        }
        for x in names {
            t.add_file_name(x);
        }
        (t, d)
    }

    #[test]
    fn tokens_on_label_and_field_boundaries() {
        let (t, d) = index(
            &["*.evil.example", "my_host.bad.test"],
            &["http://c2.example.org:8080/x", "http://[2001:db8::1]/x"],
            &["spinstall0.aspx", "a b.aspx"],
        );
        let may = |l: &str| t.line_may_match(l.as_bytes(), &d);
        assert!(may("GET / 443 - https://CDN.Evil.Example/x 200"));
        assert!(may("ref=x_evil.example_y"), "cut at `_` too");
        assert!(may("host my_host.bad.test:443"));
        assert!(may("GET /_layouts/15/spinstall0.aspx 200"));
        assert!(
            may("GET /_layouts/15/spinstall0%2Easpx 200"),
            "decoded once"
        );
        assert!(may("Referer: http://c2.example.org:8080/x"));
        assert!(!may("GET /notevil.example/ 200 evil.example.com"));
        assert!(!may("GET /x/my_spinstall0.aspx.bak Mozilla/5.0 10.0.0.1"));
        assert!(!may("c3.example.org"));
        assert_eq!(
            t.literals(),
            Some(vec![b"[2001:db8::1]".to_vec(), b"a b.aspx".to_vec()])
        );
    }
}
