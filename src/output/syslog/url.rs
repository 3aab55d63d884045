//! `--syslog URL`: which transport, host and port.

use std::fmt;
use std::str::FromStr;

use super::SyslogError;

/// How messages travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    /// One datagram per message (RFC 5426): no delivery confirmation exists.
    Udp,
    /// Octet-counted frames (RFC 6587 section 3.4.1).
    Tcp,
    /// Octet-counted frames inside TLS (RFC 5425).
    Tls,
}

impl Transport {
    fn scheme(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        }
    }

    /// The IANA port of each (RFC 5426, RFC 6587 practice, RFC 5425), used when the URL
    /// names none.
    fn default_port(self) -> u16 {
        match self {
            Transport::Udp | Transport::Tcp => 514,
            Transport::Tls => 6514,
        }
    }

    pub(crate) fn is_stream(self) -> bool {
        self != Transport::Udp
    }
}

/// A parsed `--syslog` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) transport: Transport,
    /// A name or an address; an IPv6 address without its brackets (as TLS checks it).
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl Target {
    /// `host:port` for the resolver (brackets around an IPv6 address).
    pub(crate) fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.transport.scheme(), self.authority())
    }
}

impl FromStr for Target {
    type Err = SyslogError;

    fn from_str(s: &str) -> Result<Target, SyslogError> {
        let bad = |why: &str| SyslogError::Url(s.to_owned(), why.to_owned());
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| bad("expected udp://, tcp:// or tls:// before the host"))?;
        let transport = match scheme.to_ascii_lowercase().as_str() {
            "udp" => Transport::Udp,
            "tcp" => Transport::Tcp,
            "tls" => Transport::Tls,
            _ => return Err(bad("the scheme must be udp, tcp or tls")),
        };
        // A trailing slash is harmless; a path, query or user part is not a syslog thing.
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#', '@']) || rest.chars().any(char::is_whitespace) {
            return Err(bad("only HOST or HOST:PORT may follow the scheme"));
        }
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| bad("an IPv6 address needs its closing `]`"))?;
            if host.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(bad("not an IPv6 address between the brackets"));
            }
            match after {
                "" => (host, None),
                p => (
                    host,
                    Some(
                        p.strip_prefix(':')
                            .ok_or_else(|| bad("expected `:PORT` after `]`"))?,
                    ),
                ),
            }
        } else {
            match rest.rsplit_once(':') {
                Some((h, _)) if h.contains(':') => {
                    return Err(bad("put an IPv6 address in brackets: [::1]:514"));
                }
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            }
        };
        if host.is_empty() {
            return Err(bad("the host is missing"));
        }
        let port = match port {
            None => transport.default_port(),
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => n,
                _ => return Err(bad("the port must be a number from 1 to 65535")),
            },
        };
        Ok(Target {
            transport,
            host: host.to_owned(),
            port,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Target {
        s.parse().unwrap()
    }

    #[test]
    fn urls_name_transport_host_and_port() {
        assert_eq!(
            t("udp://logs.example:5140"),
            Target {
                transport: Transport::Udp,
                host: "logs.example".into(),
                port: 5140
            }
        );
        assert_eq!(t("tcp://10.0.0.1").port, 514);
        assert_eq!(t("TLS://siem/").port, 6514);
        let v6 = t("tls://[::1]:6515");
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 6515));
        assert_eq!(v6.to_string(), "tls://[::1]:6515");
        assert_eq!(t("tcp://[fe80::1]").authority(), "[fe80::1]:514");
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "logs.example:514",
            "http://logs.example",
            "tcp://",
            "tcp://:514",
            "tcp://h:0",
            "tcp://h:70000",
            "tcp://h:x",
            "tcp://::1:514",
            "tcp://[::1",
            "tcp://[nothex]:1",
            "tcp://[::1]514",
            "tcp://h/path",
            "tcp://user@h",
            "tcp://h h",
        ] {
            assert!(bad.parse::<Target>().is_err(), "{bad}");
        }
    }
}
