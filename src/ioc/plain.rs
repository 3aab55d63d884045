//! The plain-text IOC list: one indicator per line, `#` comments, type detected per line.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use super::{Indicator, IocProblem, Kind};

/// File extensions that make `name.ext` a file name rather than a domain.
const FILE_EXTENSIONS: &[&str] = &[
    "aspx", "asp", "ashx", "asmx", "ascx", "asax", "axd", "cshtml", "config", "php", "php3",
    "php4", "php5", "php7", "phtml", "phar", "inc", "jsp", "jspx", "jspf", "cfm", "cfc", "pl",
    "cgi", "py", "sh", "bat", "cmd", "ps1", "psm1", "vbs", "hta", "js", "dll", "exe", "sys", "war",
    "jar", "class", "txt", "log", "css", "html", "htm", "xml", "json", "png", "jpg", "gif", "ico",
    "zip", "rar", "7z", "gz", "tar", "msi", "lnk", "so", "elf", "ini", "htaccess",
];

/// Parses a plain list. Lines that cannot be used come back as problems with their line.
pub fn parse_plain(list: &Arc<str>, text: &str) -> (Vec<Indicator>, Vec<IocProblem>) {
    let parsed = parse_plain_split(list, text);
    let mut out = parsed.indicators;
    if !parsed.bare.is_empty() {
        out.extend(parsed.bare.iter().map(|b| b.indicator(list)));
        out.sort_by_key(|i| i.line);
    }
    (out, parsed.problems)
}

/// A bare IPv4 line of a plain list, as numbers: all a 100k-address list holds, and 8 bytes
/// a line where an [`Indicator`] takes over a hundred and an allocation. The indicator is
/// made again when something matches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BareIpv4 {
    pub(crate) addr: u32,
    pub(crate) line: u32,
}

impl BareIpv4 {
    /// The indicator the general path makes of the same line: the value is the line, which
    /// [`canonical_ipv4`] only takes in the form `Ipv4Addr` prints.
    pub(crate) fn indicator(self, list: &Arc<str>) -> Indicator {
        Indicator::new(Kind::Ipv4, self.value(), list, self.line as usize)
    }

    /// The line's text, as [`Indicator::value`] holds it.
    pub(crate) fn value(self) -> String {
        Ipv4Addr::from(self.addr).to_string()
    }
}

/// A plain list with its bare IPv4 lines apart from the other indicators; each part in
/// line order.
pub(crate) struct PlainList {
    pub(crate) indicators: Vec<Indicator>,
    pub(crate) bare: Vec<BareIpv4>,
    pub(crate) problems: Vec<IocProblem>,
}

/// [`parse_plain`], with the bare IPv4 lines (nearly all of a big list) left as numbers.
pub(crate) fn parse_plain_split(list: &Arc<str>, text: &str) -> PlainList {
    let mut out = Vec::new();
    let mut bare = Vec::new();
    let mut problems = Vec::new();
    for (n, raw) in lines(text).enumerate() {
        let line = n + 1;
        // Big lists are mostly bare addresses: taken as they are, without the general path
        // (which would give the same indicator).
        if let Some(addr) = canonical_ipv4(raw.as_bytes()) {
            match u32::try_from(line) {
                Ok(line) => bare.push(BareIpv4 {
                    addr: u32::from(addr),
                    line,
                }),
                Err(_) => out.push(Indicator::new(Kind::Ipv4, raw.to_owned(), list, line)),
            }
            continue;
        }
        let body = raw.trim_start_matches('\u{feff}');
        let body =
            match comment_start(body).or_else(|| body.trim_start().starts_with('#').then_some(0)) {
                Some(i) => &body[..i],
                None => body,
            };
        let value = body.trim();
        if value.is_empty() {
            continue;
        }
        match classify(value) {
            Ok((kind, value)) => out.push(Indicator::new(kind, value, list, line)),
            Err(message) => problems.push(IocProblem::invalid(
                list,
                line,
                format!(
                    "{message}: `{}`",
                    value.chars().take(80).collect::<String>()
                ),
            )),
        }
    }
    PlainList {
        indicators: out,
        bare,
        problems,
    }
}

/// The lines of `text` as [`str::lines`] cuts them (`\n` or `\r\n`, no empty last line),
/// found with `memchr`'s vector search: `str::lines` looks for each newline afresh, which
/// was a tenth of loading a list of short lines.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    // (end of the line, whether a `\n` ends it)
    let ends = memchr::memchr_iter(b'\n', bytes)
        .map(|i| (i, true))
        .chain((!text.is_empty() && !text.ends_with('\n')).then_some((bytes.len(), false)));
    let mut start = 0;
    ends.map(move |(end, newline)| {
        let line = &text[start..end];
        start = end + 1;
        match newline {
            true => line.strip_suffix('\r').unwrap_or(line),
            false => line,
        }
    })
}

/// `b` as an IPv4 address when it is one in the one form the standard parser takes: four
/// decimal numbers up to 255 without leading zeros, joined by dots. (The standard parser
/// was a sixth of loading a 100k-address list, counted twice: classifying, then adding.)
pub(crate) fn canonical_ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    if !(7..=15).contains(&b.len()) {
        return None;
    }
    let mut octets = [0u8; 4];
    let mut k = 0;
    let (mut n, mut digits) = (0u32, 0);
    for &c in b {
        match c {
            b'0'..=b'9' => {
                // A second digit after a leading zero, a fourth digit, or past 255.
                if digits == 1 && n == 0 {
                    return None;
                }
                n = n * 10 + u32::from(c - b'0');
                digits += 1;
                if n > 255 {
                    return None;
                }
            }
            b'.' if digits > 0 && k < 3 => {
                octets[k] = n as u8;
                k += 1;
                (n, digits) = (0, 0);
            }
            _ => return None,
        }
    }
    if digits == 0 || k != 3 {
        return None;
    }
    octets[3] = n as u8;
    Some(Ipv4Addr::from(octets))
}

/// Where ` #` (a trailing comment) first starts. Most lines hold no `#`: one `memchr` pass.
fn comment_start(body: &str) -> Option<usize> {
    let b = body.as_bytes();
    memchr::memchr_iter(b'#', b)
        .find(|&i| i > 0 && b[i - 1] == b' ')
        .map(|i| i - 1)
}

/// Undoes the usual defanging: `hxxp`, `[.]`, `(.)`, `[:]`, `[at]`-free forms. A value with
/// none of the brackets and no `hxx` scheme (nearly every line of a big list) is returned
/// as it is, without a copy.
pub fn refang(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| matches!(b, b'[' | b'(' | b'{'))
        && !s.starts_with("hxx")
        && !s.starts_with("hXX")
    {
        return Cow::Borrowed(s);
    }
    let mut t = s
        .replace("[.]", ".")
        .replace("(.)", ".")
        .replace("{.}", ".")
        .replace("[:]", ":")
        .replace("[://]", "://");
    for (from, to) in [
        ("hxxps://", "https://"),
        ("hxxp://", "http://"),
        ("hXXps://", "https://"),
        ("hXXp://", "http://"),
    ] {
        if let Some(rest) = t.strip_prefix(from) {
            t = format!("{to}{rest}");
        }
    }
    Cow::Owned(t)
}

/// Why a value is not an indicator.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    #[error("not a single indicator (contains spaces)")]
    Spaces,
    #[error("bad CIDR prefix length (0 to {max})")]
    PrefixLength { max: u8 },
    #[error("bad URL scheme")]
    UrlScheme,
    #[error("hex of length {0} is not an MD5, SHA-1 or SHA-256")]
    HexLength(usize),
    /// Hex digits that are neither a hash nor anything else.
    #[error("not a recognised indicator")]
    Hex,
    #[error("bad path glob: {0}")]
    Glob(globset::ErrorKind),
    #[error("not a recognised indicator (IP, CIDR, domain, URL, MD5/SHA-1/SHA-256 or file name)")]
    Unrecognised,
}

/// Detects the kind of one value and normalises it.
pub fn classify(raw: &str) -> Result<(Kind, String), ClassifyError> {
    let v = refang(raw.trim());
    if v.contains(char::is_whitespace) {
        return Err(ClassifyError::Spaces);
    }
    // The standard parser takes only the canonical dotted quad (no leading zeros, no
    // shortened forms), so the text is already what `to_string` would write.
    if v.parse::<Ipv4Addr>().is_ok() {
        return Ok((Kind::Ipv4, v.into_owned()));
    }
    if let Ok(a) = v.parse::<IpAddr>() {
        return Ok((
            if a.is_ipv4() { Kind::Ipv4 } else { Kind::Ipv6 },
            a.to_string(),
        ));
    }
    if let Some((addr, len)) = v.split_once('/')
        && let Ok(a) = addr.parse::<IpAddr>()
    {
        let max = if a.is_ipv4() { 32 } else { 128 };
        return match len.parse::<u8>() {
            Ok(l) if l <= max => Ok((Kind::Cidr, format!("{a}/{l}"))),
            _ => Err(ClassifyError::PrefixLength { max }),
        };
    }
    if let Some(scheme_end) = v.find("://") {
        let scheme = &v[..scheme_end];
        if scheme.is_empty()
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-')
        {
            return Err(ClassifyError::UrlScheme);
        }
        let rest = &v[scheme_end + 3..];
        let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let lowered = format!(
            "{}://{}{}",
            scheme.to_ascii_lowercase(),
            rest[..host_end].to_ascii_lowercase(),
            &rest[host_end..]
        );
        return Ok((Kind::Url, lowered));
    }
    if v.chars().all(|c| c.is_ascii_hexdigit()) {
        return match v.len() {
            32 => Ok((Kind::Md5, v.to_ascii_lowercase())),
            40 => Ok((Kind::Sha1, v.to_ascii_lowercase())),
            64 => Ok((Kind::Sha256, v.to_ascii_lowercase())),
            _ if v.chars().any(|c| c.is_ascii_digit()) && !v.contains('.') => {
                Err(ClassifyError::HexLength(v.len()))
            }
            _ => Err(ClassifyError::Hex),
        };
    }
    let lower = v.to_ascii_lowercase();
    // `*.evil.example`: a domain and everything under it (DNS wildcard notation), unless
    // what follows the `*.` ends in a file extension (`*.shell.php` is a path glob).
    if let Some(base) = lower.strip_prefix("*.")
        && is_domain(base)
        && !has_file_extension(base)
    {
        return Ok((Kind::Domain, wildcard(base)));
    }
    // A glob over paths: `*/LAYOUTS/spinstall?.aspx`, `C:\\inetpub\\**\\*.ashx`.
    if v.contains(['*', '?']) && (v.contains(['/', '\\']) || v.contains('.')) {
        return match globset::Glob::new(&v.replace('\\', "/")) {
            Ok(_) => Ok((Kind::PathGlob, v.into_owned())),
            Err(e) => Err(ClassifyError::Glob(e.kind().clone())),
        };
    }
    if has_file_extension(&lower) && !lower.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|'])
    {
        return Ok((Kind::FileName, lower));
    }
    // `.evil.example`: the same wildcard as `*.evil.example`, as some DNS block lists write it.
    if let Some(base) = lower.strip_prefix('.')
        && is_domain(base)
    {
        return Ok((Kind::Domain, wildcard(base)));
    }
    if is_domain(&lower) {
        return Ok((Kind::Domain, lower.trim_end_matches('.').to_owned()));
    }
    Err(ClassifyError::Unrecognised)
}

fn has_file_extension(lower: &str) -> bool {
    lower
        .rsplit_once('.')
        .is_some_and(|(_, ext)| FILE_EXTENSIONS.contains(&ext))
}

/// The value a wildcard domain keeps: written as `*.base`, so that findings show the
/// indicator as the list meant it. It matches `base` and every name under it, as every
/// domain indicator does.
fn wildcard(base: &str) -> String {
    format!("*.{}", base.trim_end_matches('.'))
}

/// Whether a domain indicator was written as a wildcard (`*.evil.example`, `.evil.example`).
pub fn is_wildcard_domain(value: &str) -> bool {
    value.starts_with("*.")
}

pub(crate) fn is_domain(s: &str) -> bool {
    let s = s.trim_end_matches('.');
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && s.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        && labels.last().is_some_and(|tld| {
            tld.starts_with("xn--") || tld.chars().all(|c| c.is_ascii_alphabetic())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parsed = (Vec<(Kind, String, usize)>, Vec<(usize, String)>);

    fn kinds(text: &str) -> Parsed {
        let (ind, probs) = parse_plain(&Arc::from("l.txt"), text);
        (
            ind.into_iter().map(|i| (i.kind, i.value, i.line)).collect(),
            probs.into_iter().map(|p| (p.line, p.message)).collect(),
        )
    }

    #[test]
    fn lines_are_cut_as_str_lines_cuts_them() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\r\nb",
            "a\r\n\r\nb\n",
            "\r\n",
            "a\rb\n",
            "\n\nx",
            "x\r",
        ] {
            assert_eq!(
                lines(text).collect::<Vec<_>>(),
                text.lines().collect::<Vec<_>>(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn detects_each_kind() {
        let text = "# toolshell.txt\n107.191.58.76\n104.238.159.149 \n\n203.0.113.0/24\n2001:db8::/32\nupdate.updatemicfosoft[.]com\n\
                    92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514\nhxxp://evil.example/x.php\nspinstall0.aspx\n\
                    63a9f0ea7bb98050796b649e85481845\n2001:db8::1 # inline comment\n*/LAYOUTS/ghostfile*.aspx\n";
        let (ind, probs) = kinds(text);
        assert!(probs.is_empty(), "{probs:?}");
        let got: Vec<(Kind, &str, usize)> =
            ind.iter().map(|(k, v, l)| (*k, v.as_str(), *l)).collect();
        assert_eq!(
            got,
            vec![
                (Kind::Ipv4, "107.191.58.76", 2),
                (Kind::Ipv4, "104.238.159.149", 3),
                (Kind::Cidr, "203.0.113.0/24", 5),
                (Kind::Cidr, "2001:db8::/32", 6),
                (Kind::Domain, "update.updatemicfosoft.com", 7),
                (
                    Kind::Sha256,
                    "92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514",
                    8
                ),
                (Kind::Url, "http://evil.example/x.php", 9),
                (Kind::FileName, "spinstall0.aspx", 10),
                (Kind::Md5, "63a9f0ea7bb98050796b649e85481845", 11),
                (Kind::Ipv6, "2001:db8::1", 12),
                (Kind::PathGlob, "*/LAYOUTS/ghostfile*.aspx", 13),
            ]
        );
    }

    #[test]
    fn wildcard_domains_and_file_globs() {
        let (ind, probs) =
            kinds("*.Evil.example\n.evil.example\n*.shell.aspx\n*.aspx\n.user.ini\n*.*.example\n");
        assert!(probs.is_empty(), "{probs:?}");
        let got: Vec<(Kind, &str)> = ind.iter().map(|(k, v, _)| (*k, v.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (Kind::Domain, "*.evil.example"),
                (Kind::Domain, "*.evil.example"),
                (Kind::PathGlob, "*.shell.aspx"),
                (Kind::PathGlob, "*.aspx"),
                (Kind::FileName, ".user.ini"),
                (Kind::PathGlob, "*.*.example"),
            ]
        );
    }

    #[test]
    fn bad_lines_are_reported_with_their_line_and_the_rest_loads() {
        let (ind, probs) = kinds("1.2.3.4\n10.0.0.0/40\nnot an ioc\n1.2.3.4.5\n5.6.7.8\nabc123\n");
        assert_eq!(ind.len(), 2);
        let lines: Vec<usize> = probs.iter().map(|p| p.0).collect();
        assert_eq!(lines, vec![2, 3, 4, 6]);
        assert!(probs[0].1.contains("CIDR"));
    }

    #[test]
    fn ipv4_values_are_kept_as_the_standard_formatter_writes_them() {
        // The fast path keeps the text: it must equal what parsing and formatting give.
        for a in [
            0u32,
            1,
            255,
            256,
            0x0a00_0001,
            0xc0a8_0101,
            0x7f00_0001,
            u32::MAX,
        ] {
            let text = Ipv4Addr::from(a).to_string();
            assert_eq!(classify(&text), Ok((Kind::Ipv4, text.clone())));
            let defanged = text.replace('.', "[.]");
            assert_eq!(classify(&defanged), Ok((Kind::Ipv4, text)));
        }
        // Forms the standard parser refuses do not become IPv4 indicators.
        for odd in ["01.2.3.4", "1.2.3", "1.02.3.4", "0x1.2.3.4"] {
            assert!(!matches!(classify(odd), Ok((Kind::Ipv4, _))), "{odd}");
        }
        assert!(matches!(refang("10.0.0.1"), Cow::Borrowed("10.0.0.1")));
        assert_eq!(refang("hxxp://a(.)b"), "http://a.b");
    }

    #[test]
    fn the_address_fast_path_agrees_with_the_standard_parser() {
        for v in [
            "1.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "10.20.30.40",
            "256.1.1.1",
            "1.2.3.04",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..3.4",
            "1.2.3.4.",
            "199.249.230.1",
            "100.200.250.255",
            "1.2.3.260",
            "1.2.3.a",
            "+1.2.3.4",
            "1.2.3.4 ",
            "1000.2.3.4",
        ] {
            assert_eq!(canonical_ipv4(v.as_bytes()), v.parse().ok(), "{v}");
        }
        // Strings of digits and dots, from a fixed-seed generator.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut valid = 0;
        for _ in 0..200_000 {
            let len = 7 + (next() % 9) as usize;
            let v: String = (0..len)
                .map(|_| b"0123456789...25"[(next() % 15) as usize] as char)
                .collect();
            let want = v.parse::<Ipv4Addr>().ok();
            valid += usize::from(want.is_some());
            assert_eq!(canonical_ipv4(v.as_bytes()), want, "{v}");
        }
        assert!(valid > 100, "{valid}");
    }

    #[test]
    fn trailing_comments_start_at_the_first_space_hash() {
        for (line, want) in [
            ("1.2.3.4 # c2", Some(7)),
            ("a#b #c #d", Some(3)),
            ("#x", None),
            ("a#b", None),
            (" #", Some(0)),
            ("", None),
        ] {
            assert_eq!(comment_start(line), want, "{line:?}");
            assert_eq!(comment_start(line), line.find(" #"), "{line:?}");
        }
    }
}
