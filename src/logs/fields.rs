//! Field names: the Sigma `webserver` taxonomy, so a rule is written once for IIS, Apache,
//! nginx and SharePoint ULS, plus the ULS columns.

use std::fmt;

/// A field a rule can name. Formats fill the ones they have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Date,
    Time,
    ClientIp,
    Username,
    SiteName,
    ComputerName,
    ServerIp,
    ServerPort,
    Method,
    UriStem,
    UriQuery,
    Status,
    SubStatus,
    Win32Status,
    BytesSent,
    BytesReceived,
    TimeTaken,
    Version,
    Host,
    UserAgent,
    Cookie,
    Referer,
    ForwardedFor,
    // SharePoint ULS columns.
    Process,
    Tid,
    Area,
    Category,
    EventId,
    Level,
    Message,
    Correlation,
}

/// (canonical name, field, other spellings accepted in rules and in IIS `#Fields`).
const NAMES: &[(&str, Field, &[&str])] = &[
    ("date", Field::Date, &[]),
    ("time", Field::Time, &[]),
    ("c-ip", Field::ClientIp, &["src_ip"]),
    ("cs-username", Field::Username, &[]),
    ("s-sitename", Field::SiteName, &[]),
    ("s-computername", Field::ComputerName, &[]),
    ("s-ip", Field::ServerIp, &["dst_ip"]),
    ("s-port", Field::ServerPort, &[]),
    ("cs-method", Field::Method, &[]),
    ("cs-uri-stem", Field::UriStem, &["c-uri-stem"]),
    ("cs-uri-query", Field::UriQuery, &["c-uri-query"]),
    ("sc-status", Field::Status, &[]),
    ("sc-substatus", Field::SubStatus, &[]),
    ("sc-win32-status", Field::Win32Status, &["c-win32-status"]),
    ("sc-bytes", Field::BytesSent, &[]),
    ("cs-bytes", Field::BytesReceived, &[]),
    ("time-taken", Field::TimeTaken, &[]),
    ("cs-version", Field::Version, &[]),
    ("cs-host", Field::Host, &["cs(host)"]),
    (
        "cs-user-agent",
        Field::UserAgent,
        &["cs(user-agent)", "c-useragent"],
    ),
    ("cs-cookie", Field::Cookie, &["cs(cookie)"]),
    (
        "cs-referer",
        Field::Referer,
        &["cs(referer)", "cs-referrer"],
    ),
    (
        "x-forwarded-for",
        Field::ForwardedFor,
        &["cs(x-forwarded-for)", "x-forwarded-for"],
    ),
    ("process", Field::Process, &[]),
    ("tid", Field::Tid, &[]),
    ("area", Field::Area, &[]),
    ("category", Field::Category, &[]),
    ("eventid", Field::EventId, &["event-id"]),
    ("level", Field::Level, &[]),
    ("message", Field::Message, &[]),
    ("correlation", Field::Correlation, &[]),
];

impl Field {
    pub const COUNT: usize = NAMES.len();

    /// Every field, in enum order.
    pub const ALL: [Field; Field::COUNT] = {
        let mut all = [Field::Date; Field::COUNT];
        let mut i = 0;
        while i < Field::COUNT {
            all[i] = NAMES[i].1;
            i += 1;
        }
        all
    };

    /// Looks a field up by any accepted spelling, case-insensitively.
    pub fn from_name(name: &str) -> Option<Field> {
        let lower = name.to_ascii_lowercase();
        NAMES
            .iter()
            .find(|(canon, _, alts)| *canon == lower || alts.contains(&lower.as_str()))
            .map(|(_, f, _)| *f)
    }

    pub fn name(self) -> &'static str {
        NAMES[self as usize].0
    }

    /// Values of these fields are written with `+` for space by IIS, so they are matched
    /// both as written and with `+` decoded.
    pub fn plus_is_space(self) -> bool {
        matches!(self, Field::UserAgent | Field::Referer | Field::Cookie)
    }

    /// Servers treat these case-insensitively, so equality and substring tests on them
    /// ignore case unless a rule asks otherwise. (Rule matching is case-insensitive for
    /// every field by default, as in Sigma; this marks where that is also the server's view.)
    pub fn server_case_insensitive(self) -> bool {
        matches!(self, Field::Method | Field::UriStem | Field::Host)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_order_matches_the_enum() {
        for (i, (name, field, _)) in NAMES.iter().enumerate() {
            assert_eq!(*field as usize, i, "{name}");
            assert_eq!(Field::from_name(name), Some(*field));
        }
    }

    #[test]
    fn iis_header_spellings_resolve() {
        assert_eq!(Field::from_name("cs(User-Agent)"), Some(Field::UserAgent));
        assert_eq!(Field::from_name("cs(Referer)"), Some(Field::Referer));
        assert_eq!(
            Field::from_name("X-Forwarded-For"),
            Some(Field::ForwardedFor)
        );
        assert_eq!(
            Field::from_name("cs(X-Forwarded-For)"),
            Some(Field::ForwardedFor)
        );
        assert_eq!(Field::from_name("s-unknown"), None);
    }
}
