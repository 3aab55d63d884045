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
    /// The same as bits, by a cheap hash: most tokens of ordinary traffic (address octets,
    /// version numbers, `aspx`) are ruled out by one bit, before any hashing of `tails`.
    tail_bits: Vec<u64>,
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

const TAIL_BITS: usize = 1 << 16;

/// FNV-1a of the lowercased bytes, folded to a bit index.
fn tail_bit(tail: &[u8]) -> usize {
    let mut h: u32 = 0x811c_9dc5;
    for &b in tail {
        h = (h ^ u32::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0193);
    }
    ((h >> 16) ^ h) as usize % TAIL_BITS
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
            if self.tail_bits.is_empty() {
                self.tail_bits = vec![0; TAIL_BITS / 64];
            }
            let bit = tail_bit(tail(token));
            self.tail_bits[bit / 64] |= 1 << (bit % 64);
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
        // Apache and nginx paths are matched percent-decoded once. An escape that decodes
        // to a byte that is not a token byte (`%2F`, `%20`) only splits runs, which the
        // raw pass allows for; one that decodes to a token byte needs the decoded line.
        memchr::memchr(b'%', line).is_some()
            && escapes_to_token_byte(line)
            && self.text_may_match(&crate::logs::percent_decode(line), domains)
    }

    /// Every run of token bytes that holds a dot, found from its dots (`memchr`), so that
    /// the bytes of a line are looked at about twice, whatever the lists hold.
    fn text_may_match(&self, text: &[u8], domains: &DomainSet) -> bool {
        let mut done = 0;
        for dot in memchr::memchr_iter(b'.', text) {
            if dot < done {
                continue;
            }
            let mut start = dot;
            while start > 0 && is_token_byte(text[start - 1]) {
                start -= 1;
            }
            let mut end = dot + 1;
            while end < text.len() && is_token_byte(text[end]) {
                end += 1;
            }
            done = end;
            let wide = &text[start..end];
            if self.run_may_match(wide, domains) {
                return true;
            }
            // After `%`, the run's first two hex digits are an escape's (`%2Fevil.example`
            // is `/evil.example` decoded).
            if start > 0
                && text[start - 1] == b'%'
                && wide.len() > 2
                && wide[..2].iter().all(u8::is_ascii_hexdigit)
                && self.run_may_match(&wide[2..], domains)
            {
                return true;
            }
        }
        false
    }

    fn run_may_match(&self, wide: &[u8], domains: &DomainSet) -> bool {
        self.token_may_match(wide, domains)
            || (memchr::memchr(b'_', wide).is_some()
                && wide
                    .split(|&b| b == b'_')
                    .any(|t| t.contains(&b'.') && self.token_may_match(t, domains)))
    }

    fn token_may_match(&self, token: &[u8], domains: &DomainSet) -> bool {
        let bit = tail_bit(tail(token));
        if self.tail_bits[bit / 64] & (1 << (bit % 64)) == 0 {
            return false;
        }
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

/// Whether some `%hh` escape of `line` decodes to a token byte.
fn escapes_to_token_byte(line: &[u8]) -> bool {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut next = 0;
    memchr::memchr_iter(b'%', line).any(|i| {
        if i < next {
            return false;
        }
        match (
            line.get(i + 1).and_then(|&b| hex(b)),
            line.get(i + 2).and_then(|&b| hex(b)),
        ) {
            (Some(h), Some(l)) => {
                next = i + 3;
                is_token_byte((h << 4 | l) as u8)
            }
            _ => false,
        }
    })
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
        assert!(
            may("GET /_layouts/15%2Fspinstall0.aspx 200"),
            "after an escape"
        );
        assert!(may("GET /x%2F%2541.%2Fspinstall0.aspx 200"));
        assert!(may("GET /x/spin%73tall0.aspx 200"));
        assert!(!may("GET /x/spin%2573tall0.aspx 200"), "decoded once only");
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
