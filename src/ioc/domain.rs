//! Domains matched on label boundaries: the IOC `evil.example` matches `a.evil.example` and
//! `evil.example`, never `notevil.example`.

use std::collections::HashMap;

#[derive(Debug, Default, Clone)]
pub struct DomainSet {
    /// Lowercase domain without a trailing dot -> indicator.
    names: HashMap<String, usize>,
}

impl DomainSet {
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// The domains, lowercase.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.keys().map(String::as_str)
    }

    /// Adds a domain; a wildcard (`*.evil.example`) is its base domain, which already
    /// matches every name under it.
    pub fn insert(&mut self, domain: &str, indicator: usize) {
        let d = domain.trim_start_matches("*.");
        let d = d.trim_end_matches('.').to_ascii_lowercase();
        self.names.entry(d).or_insert(indicator);
    }

    /// The indicator for `host` or one of its parent domains.
    pub fn lookup_host(&self, host: &[u8]) -> Option<usize> {
        let host = std::str::from_utf8(host).ok()?.trim_end_matches('.');
        if self.names.is_empty() || host.is_empty() {
            return None;
        }
        let lower = host.to_ascii_lowercase();
        let mut rest = lower.as_str();
        loop {
            if let Some(&i) = self.names.get(rest) {
                return Some(i);
            }
            match rest.find('.') {
                Some(dot) => rest = &rest[dot + 1..],
                None => return None,
            }
        }
    }

    /// The first indicator found among the host-like tokens of free text (a URL, a query
    /// string, a raw log line): maximal runs of letters, digits, `-` and `.`.
    pub fn lookup_in_text(&self, text: &[u8]) -> Option<(usize, std::ops::Range<usize>)> {
        if self.names.is_empty() {
            return None;
        }
        let is_host_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.';
        super::runs(text, is_host_byte).find_map(|r| {
            let token = &text[r.clone()];
            if !token.contains(&b'.') {
                return None;
            }
            self.lookup_host(token).map(|ind| (ind, r))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_boundaries() {
        let mut d = DomainSet::default();
        d.insert("Evil.Example.", 7);
        assert_eq!(d.lookup_host(b"evil.example"), Some(7));
        assert_eq!(d.lookup_host(b"a.b.EVIL.example"), Some(7));
        assert_eq!(d.lookup_host(b"notevil.example"), None);
        assert_eq!(d.lookup_host(b"evil.example.com"), None);
        assert_eq!(d.lookup_host(b"example"), None);
    }

    #[test]
    fn hosts_inside_text() {
        let mut d = DomainSet::default();
        d.insert("evil.example", 1);
        assert_eq!(
            d.lookup_in_text(b"GET /r?u=https://x.evil.example/p HTTP/1.1")
                .map(|r| r.0),
            Some(1)
        );
        assert_eq!(d.lookup_in_text(b"https://notevil.example/"), None);
        assert_eq!(d.lookup_in_text(b"mail: a@evil.example."), Some((1, 8..21)));
    }
}
