//! Network addresses as rules, IOC lists and logs write them.

use std::net::IpAddr;

/// Parses `10.0.0.0/8` or `2001:db8::/32` (a bare address is a full-length network).
pub fn parse_cidr(s: &str) -> Option<(std::net::IpAddr, u8)> {
    let (a, l) = match s.trim().split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s.trim(), None),
    };
    let addr: std::net::IpAddr = a.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match l {
        Some(l) => l.parse::<u8>().ok().filter(|&l| l <= max)?,
        None => max,
    };
    Some((addr, len))
}

/// The addresses a client field holds as logs write it: one, or for X-Forwarded-For (and
/// a client field some proxies fill the same way) several, separated by commas, spaces or
/// both.
pub fn logged_addrs(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    v.split(|&b| b == b',' || b == b' ')
        .filter(|a| !a.is_empty())
}

/// Parses an address as logs write it: plain, in brackets, with an IPv6 zone id
/// (`fe80::1%3`), or with a port (`1.2.3.4:5678`, `[::1]:443`).
pub fn parse_logged_addr(text: &[u8]) -> Option<IpAddr> {
    if let Some(a) = dotted_quad(text) {
        return Some(IpAddr::V4(a));
    }
    let s = std::str::from_utf8(text).ok()?.trim();
    if let Ok(a) = s.parse() {
        return Some(a);
    }
    let s = if let Some(rest) = s.strip_prefix('[') {
        rest.split(']').next()?
    } else if s.matches(':').count() == 1 {
        s.split(':').next()?
    } else {
        s
    };
    let s = s.split('%').next()?;
    s.parse().ok()
}

/// The plain `a.b.c.d` form nearly every log writes, read without going through `str`:
/// exactly what `Ipv4Addr::from_str` accepts (no leading zeros, no sign), else `None`.
fn dotted_quad(text: &[u8]) -> Option<std::net::Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (k, octet) in octets.iter_mut().enumerate() {
        let start = i;
        let mut v: u16 = 0;
        while i - start < 3
            && let Some(d) = text.get(i).filter(|b| b.is_ascii_digit())
        {
            v = v * 10 + u16::from(d - b'0');
            i += 1;
        }
        if i == start || (i - start > 1 && text[start] == b'0') {
            return None;
        }
        *octet = u8::try_from(v).ok()?;
        if k < 3 {
            if text.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    (i == text.len()).then(|| std::net::Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    proptest! {
        #[test]
        fn dotted_quads_read_as_std_reads_them(s in "[0-9.]{0,16}") {
            prop_assert_eq!(dotted_quad(s.as_bytes()), s.parse().ok());
        }
    }

    #[test]
    fn logged_address_forms() {
        assert_eq!(parse_logged_addr(b"1.2.3.4"), Some(ip("1.2.3.4")));
        assert_eq!(parse_logged_addr(b"1.2.3.4:5678"), Some(ip("1.2.3.4")));
        assert_eq!(
            parse_logged_addr(b"[2001:db8::1]:443"),
            Some(ip("2001:db8::1"))
        );
        assert_eq!(parse_logged_addr(b"fe80::1%3"), Some(ip("fe80::1")));
        assert_eq!(parse_logged_addr(b"-"), None);
        assert_eq!(parse_logged_addr(b"1.2.3.4.5"), None);
    }
}
