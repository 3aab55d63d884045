//! Apache and nginx access logs: common and combined formats, with an optional leading
//! virtual host (`%v:%p`, Debian's `vhost_combined`) and extra trailing fields.

use std::borrow::Cow;

use super::fields::Field;
use super::record::Record;
use super::time::clf_time;

/// Whether `line` is a combined-format record with a time, as [`parse`] reads it: the time
/// first, which rejects the lines of a file that is not a log at little cost (every file
/// of a web root is sniffed, and a `[` after a space is common in code).
pub(crate) fn is_timed_record(line: &[u8]) -> bool {
    let Some(open) = open_bracket(line) else {
        return false;
    };
    let Some(close) = line[open + 2..].iter().position(|&b| b == b']') else {
        return false;
    };
    clf_time(&line[open + 2..open + 2 + close]).is_some() && parse(line).is_some()
}

/// Parses one line, or `None` when it is not in the common/combined shape.
pub fn parse(line: &[u8]) -> Option<Record<'_>> {
    let open = open_bracket(line)?;
    let close = open + 2 + line[open + 2..].iter().position(|&b| b == b']')?;
    let prefix: Vec<&[u8]> = line[..open]
        .split(|&b| b == b' ')
        .filter(|t| !t.is_empty())
        .collect();
    if prefix.len() < 3 {
        return None;
    }
    let (hosts, id_user) = prefix.split_at(prefix.len() - 2);
    let mut r = Record::default();
    let hosts = match hosts {
        [vhost, rest @ ..] if !rest.is_empty() && is_vhost(vhost) => {
            let (name, port) = split_port(vhost);
            r.set(Field::Host, name);
            if let Some(p) = port {
                r.set(Field::ServerPort, p);
            }
            rest
        }
        all => all,
    };
    // A comma list of addresses (a proxy's X-Forwarded-For in the first field) stays whole.
    let client: Cow<'_, [u8]> = if hosts.len() == 1 {
        Cow::Borrowed(hosts[0])
    } else {
        Cow::Owned(hosts.join(&b' '))
    };
    r.set(Field::ClientIp, client);
    r.set(Field::Username, id_user[1]);
    r.time = clf_time(&line[open + 2..close]);

    let mut rest = line[close + 1..].trim_ascii_start();
    let (request, after) = quoted(rest)?;
    rest = after.trim_ascii_start();
    split_request(&mut r, request);

    let mut tokens = rest.splitn(3, |&b| b == b' ');
    if let Some(status) = tokens.next() {
        r.set(Field::Status, status);
    }
    if let Some(bytes) = tokens.next() {
        r.set(Field::BytesSent, bytes);
    }
    let mut rest = tokens.next().unwrap_or_default().trim_ascii_start();
    if let Some((referer, after)) = quoted(rest) {
        r.set(Field::Referer, referer);
        rest = after.trim_ascii_start();
        if let Some((agent, _)) = quoted(rest) {
            r.set(Field::UserAgent, agent);
        }
    }
    Some(r)
}

/// The client address field of a line (several tokens when a proxy wrote a list), found
/// without parsing the rest, and its time when `with_time`; `None` exactly when [`parse`]
/// gives `None`.
pub fn client_and_time(line: &[u8], with_time: bool) -> Option<(&[u8], Option<jiff::Timestamp>)> {
    let open = open_bracket(line)?;
    let close = open + 2 + line[open + 2..].iter().position(|&b| b == b']')?;
    let prefix = &line[..open];
    let tokens = || prefix.split(|&b| b == b' ').filter(|t| !t.is_empty());
    let n = tokens().count();
    if n < 3 {
        return None;
    }
    let mut hosts = tokens().take(n - 2).peekable();
    let first = *hosts.peek()?;
    if n - 2 > 1 && is_vhost(first) {
        hosts.next();
    }
    let offset = |t: &[u8]| t.as_ptr() as usize - prefix.as_ptr() as usize;
    let (start, end) = hosts.fold((None, 0), |(start, _), t| {
        (start.or(Some(offset(t))), offset(t) + t.len())
    });
    let clients = &prefix[start?..end];
    quoted(line[close + 1..].trim_ascii_start())?;
    let time = if with_time {
        clf_time(&line[open + 2..close])
    } else {
        None
    };
    Some((clients, time))
}

/// Where ` [` (the space before the time) first is. A byte search and a look back: a
/// substring search sets up a searcher at every call, and the sniffer asks this of every
/// line in the head of every file.
fn open_bracket(line: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'[', line)
        .find(|&i| i > 0 && line[i - 1] == b' ')
        .map(|i| i - 1)
}

/// `www.example.test:443`: a name with a numeric port, not an IP address.
fn is_vhost(token: &[u8]) -> bool {
    let (name, port) = split_port(token);
    port.is_some()
        && !name.is_empty()
        && std::str::from_utf8(token).is_ok_and(|t| t.parse::<std::net::IpAddr>().is_err())
}

fn split_port(token: &[u8]) -> (&[u8], Option<&[u8]>) {
    match token.iter().rposition(|&b| b == b':') {
        Some(i) if i + 1 < token.len() && token[i + 1..].iter().all(u8::is_ascii_digit) => {
            (&token[..i], Some(&token[i + 1..]))
        }
        _ => (token, None),
    }
}

/// A double-quoted field with Apache/nginx escapes (`\"`, `\\`, `\xhh`) decoded. Returns the
/// value and what follows the closing quote. A field that is not quoted is not a match.
fn quoted(s: &[u8]) -> Option<(Cow<'_, [u8]>, &[u8])> {
    let body = s.strip_prefix(b"\"")?;
    let mut i = 0;
    let mut owned: Option<Vec<u8>> = None;
    while i < body.len() {
        match body[i] {
            b'"' => {
                let value = match owned {
                    Some(v) => Cow::Owned(v),
                    None => Cow::Borrowed(&body[..i]),
                };
                return Some((value, &body[i + 1..]));
            }
            b'\\' if i + 1 < body.len() => {
                let out = owned.get_or_insert_with(|| body[..i].to_vec());
                match body[i + 1] {
                    b'x' if i + 3 < body.len()
                        && body[i + 2].is_ascii_hexdigit()
                        && body[i + 3].is_ascii_hexdigit() =>
                    {
                        out.push(hex(body[i + 2]) << 4 | hex(body[i + 3]));
                        i += 4;
                        continue;
                    }
                    b'"' | b'\\' => out.push(body[i + 1]),
                    other => out.extend_from_slice(&[b'\\', other]),
                }
                i += 2;
                continue;
            }
            b => {
                if let Some(out) = owned.as_mut() {
                    out.push(b);
                }
            }
        }
        i += 1;
    }
    None
}

fn hex(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

/// `METHOD target PROTOCOL`; the target may hold raw spaces, so the method is the first
/// token and the protocol the last. The path is percent-decoded (IIS logs it decoded, so
/// rules see one form); the query stays as sent.
fn split_request<'a>(r: &mut Record<'a>, request: Cow<'a, [u8]>) {
    let req: &[u8] = &request;
    let Some(first) = req.iter().position(|&b| b == b' ') else {
        return;
    };
    let method = req[..first].to_vec();
    let mut target = &req[first + 1..];
    let mut version = None;
    if let Some(last) = target.iter().rposition(|&b| b == b' ')
        && target[last + 1..].starts_with(b"HTTP/")
    {
        version = Some(target[last + 1..].to_vec());
        target = &target[..last];
    }
    let (path, query) = match target.iter().position(|&b| b == b'?') {
        Some(q) => (&target[..q], Some(&target[q + 1..])),
        None => (target, None),
    };
    let path = percent_decode(path);
    let query = query.map(<[u8]>::to_vec);
    r.set(Field::Method, method);
    r.set(Field::UriStem, path);
    if let Some(q) = query {
        r.set(Field::UriQuery, q);
    }
    if let Some(v) = version {
        r.set(Field::Version, v);
    }
}

/// `%hh` sequences decoded; anything malformed kept as it is.
pub fn percent_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut copied = 0;
    for (i, b) in percent_escapes(s) {
        out.extend_from_slice(&s[copied..i]);
        out.push(b);
        copied = i + 3;
    }
    out.extend_from_slice(&s[copied..]);
    out
}

/// The `%hh` escapes of `text`, as (offset, decoded byte), left to right as one decoding
/// pass takes them: in `%%41` the first `%` is no escape, and an escape's digits never start
/// the next one. The one percent-decoder: [`percent_decode`] and the line prefilter's
/// decoded views are built on it.
pub fn percent_escapes(text: &[u8]) -> impl Iterator<Item = (usize, u8)> + '_ {
    let mut next = 0;
    memchr::memchr_iter(b'%', text).filter_map(move |i| {
        if i < next {
            return None;
        }
        let hi = text.get(i + 1).filter(|b| b.is_ascii_hexdigit())?;
        let lo = text.get(i + 2).filter(|b| b.is_ascii_hexdigit())?;
        next = i + 3;
        Some((i, hex(*hi) << 4 | hex(*lo)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn the_open_bracket_is_the_first_space_bracket(l in "[ \\[a-z]{0,40}") {
            proptest::prop_assert_eq!(
                open_bracket(l.as_bytes()),
                memchr::memmem::find(l.as_bytes(), b" [")
            );
        }

        /// The sniffer's quick test says what a full parse says.
        #[test]
        fn a_timed_record_is_what_parse_reads_with_a_time(
            l in proptest::prop_oneof![
                "[ -~]{0,80}",
                "[0-9. -]{0,20} \\[[0-9A-Za-z/: +]{0,30}\\] \"[A-Z]{0,5} /[a-z]{0,5} HTTP/1.1\" [0-9]{3} [0-9]{1,4}",
                proptest::strategy::Just("203.0.113.9 - - [19/Jul/2025:09:14:03 +0200] \"GET / HTTP/1.1\" 200 43 \"-\" \"x\"".to_string()),
            ]
        ) {
            let l = l.as_bytes();
            proptest::prop_assert_eq!(is_timed_record(l), parse(l).is_some_and(|r| r.time.is_some()));
        }
    }

    #[test]
    fn client_and_time_agree_with_parse() {
        for line in [
            &br#"203.0.113.9 - - [19/Jul/2025:09:14:03 +0200] "GET / HTTP/1.1" 200 43 "-" "x""#[..],
            br#"www.example.test:443 203.0.113.9 - - [19/Jul/2025:09:14:03 +0200] "GET / HTTP/1.1" 200"#,
            br#"10.0.0.1, 10.0.0.2 - - [19/Jul/2025:09:14:03 +0200] "GET / HTTP/1.1" 200"#,
            br#"10.0.0.1 - - [19/Jul/2025:09:14:03 +0200] GET / HTTP/1.1 200"#,
            br#"10.0.0.1 - [19/Jul/2025:09:14:03 +0200] "GET /""#,
            br#"10.0.0.1 - - [19/Jul/2025:09:14:03 +0200] "GET /"#,
            b"",
        ] {
            let fast = client_and_time(line, true);
            let full = parse(line);
            assert_eq!(fast.is_some(), full.is_some(), "{line:?}");
            if let (Some((clients, time)), Some(r)) = (fast, full) {
                let joined: Vec<u8> = clients
                    .split(|&b| b == b' ')
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join(&b' ');
                assert_eq!(Some(&joined[..]), r.get(Field::ClientIp), "{line:?}");
                assert_eq!(time, r.time);
            }
        }
    }

    #[test]
    fn combined_line() {
        let r = parse(br#"203.0.113.9 - - [19/Jul/2025:09:14:03 +0200] "POST /wp-content/uploads/2025/07/x.php HTTP/1.1" 200 43 "-" "antSword/v2.1""#).unwrap();
        assert_eq!(r.get(Field::ClientIp), Some(&b"203.0.113.9"[..]));
        assert_eq!(r.get(Field::Method), Some(&b"POST"[..]));
        assert_eq!(
            r.get(Field::UriStem),
            Some(&b"/wp-content/uploads/2025/07/x.php"[..])
        );
        assert_eq!(r.get(Field::UriQuery), None);
        assert_eq!(r.get(Field::Version), Some(&b"HTTP/1.1"[..]));
        assert_eq!(r.get(Field::Status), Some(&b"200"[..]));
        assert_eq!(r.get(Field::Referer), None);
        assert_eq!(r.get(Field::UserAgent), Some(&b"antSword/v2.1"[..]));
        assert_eq!(r.time, Some("2025-07-19T07:14:03Z".parse().unwrap()));
    }

    #[test]
    fn vhost_user_query_and_extras() {
        let r = parse(br#"www.example.test:443 192.0.2.44 - alice [19/Jul/2025:09:14:09 +0200] "POST /tunnel.jsp?cmd=connect&target=10.0.0.5&port=445 HTTP/1.1" 200 0 "https://r.example/" "curl/8" "extra" 0.003"#).unwrap();
        assert_eq!(r.get(Field::Host), Some(&b"www.example.test"[..]));
        assert_eq!(r.get(Field::ServerPort), Some(&b"443"[..]));
        assert_eq!(r.get(Field::ClientIp), Some(&b"192.0.2.44"[..]));
        assert_eq!(r.get(Field::Username), Some(&b"alice"[..]));
        assert_eq!(
            r.get(Field::UriQuery),
            Some(&b"cmd=connect&target=10.0.0.5&port=445"[..])
        );
        assert_eq!(r.get(Field::Referer), Some(&b"https://r.example/"[..]));
        assert_eq!(r.get(Field::UserAgent), Some(&b"curl/8"[..]));
    }

    #[test]
    fn escapes_odd_requests_and_common_format() {
        let r = parse(br#"192.0.2.10 - - [19/Jul/2025:09:14:11 +0200] "\x16\x03\x01\x02\x00" 400 226 "-" "-""#).unwrap();
        assert_eq!(r.get(Field::Method), None);
        assert_eq!(r.get(Field::Status), Some(&b"400"[..]));
        let r = parse(
            br#"::1 - - [19/Jul/2025:09:14:11 +0000] "GET /a%20b/c.php?x=%2F HTTP/1.0" 404 -"#,
        )
        .unwrap();
        assert_eq!(r.get(Field::ClientIp), Some(&b"::1"[..]));
        assert_eq!(r.get(Field::UriStem), Some(&b"/a b/c.php"[..]));
        assert_eq!(r.get(Field::UriQuery), Some(&b"x=%2F"[..]));
        assert_eq!(r.get(Field::BytesSent), None);
        let r = parse(br#"10.0.0.1, 10.0.0.2 - - [19/Jul/2025:09:14:11 +0000] "GET /q?\"x\" HTTP/1.1" 200 1 "-" "a \"b\"""#).unwrap();
        assert_eq!(r.get(Field::ClientIp), Some(&b"10.0.0.1, 10.0.0.2"[..]));
        assert_eq!(r.get(Field::UriQuery), Some(&b"\"x\""[..]));
        assert_eq!(r.get(Field::UserAgent), Some(&b"a \"b\""[..]));
        assert!(parse(b"not a log line").is_none());
        assert!(parse(b"a b [unterminated").is_none());
    }

    #[test]
    fn percent_decoding_keeps_malformed_sequences() {
        assert_eq!(percent_decode(b"/a%2Fb%zz%4"), b"/a/b%zz%4");
    }
}
