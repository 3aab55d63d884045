//! Record times and the `--since`/`--until` window.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

/// Parses `--since`/`--until`: RFC 3339 (`2025-07-18T00:00:00Z`), a date (`2025-07-18`,
/// midnight UTC), or an age relative to `now` (`7d`, `12h`, `30m`, `2w`).
pub fn parse_time_arg(s: &str, now: Timestamp) -> Result<Timestamp, String> {
    let t = s.trim();
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts);
    }
    if let Ok(d) = t.parse::<jiff::civil::Date>() {
        return TimeZone::UTC
            .to_timestamp(d.at(0, 0, 0, 0))
            .map_err(|e| e.to_string());
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is neither RFC 3339, a date, nor an age like 7d or 12h"))?;
    let span = match unit {
        "s" => Span::new().seconds(n),
        "m" => Span::new().minutes(n),
        "h" => Span::new().hours(n),
        "d" => Span::new().hours(n.saturating_mul(24)),
        "w" => Span::new().hours(n.saturating_mul(24 * 7)),
        _ => return Err(format!("unknown unit in `{s}` (use s, m, h, d or w)")),
    };
    now.checked_sub(span).map_err(|e| e.to_string())
}

/// A time window; either end may be open.
#[derive(Clone, Copy, Debug, Default)]
pub struct Window {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

impl Window {
    /// Records without a time are kept: dropping them could hide an attack.
    pub fn contains(&self, t: Option<Timestamp>) -> bool {
        let Some(t) = t else { return true };
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u)
    }

    pub fn is_open(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }
}

/// IIS: `2025-07-19` and `07:13:02`, always UTC.
pub fn iis_time(date: &[u8], time: &[u8]) -> Option<Timestamp> {
    let d = std::str::from_utf8(date).ok()?;
    let t = std::str::from_utf8(time).ok()?;
    let dt: DateTime = format!("{d}T{t}").parse().ok()?;
    TimeZone::UTC.to_timestamp(dt).ok()
}

/// Apache/nginx `%t`: `19/Jul/2025:09:14:03 +0200` (without the brackets).
pub fn clf_time(text: &[u8]) -> Option<Timestamp> {
    let s = std::str::from_utf8(text).ok()?;
    jiff::fmt::strtime::parse("%d/%b/%Y:%H:%M:%S %z", s)
        .ok()?
        .to_timestamp()
        .ok()
}

/// ULS: `07/19/2025 09:13:02.27`, server local time without an offset, read in `zone`.
pub fn uls_time(text: &[u8], zone: &TimeZone) -> Option<Timestamp> {
    let s = std::str::from_utf8(text)
        .ok()?
        .trim()
        .trim_end_matches('*')
        .trim();
    let (date, time) = s.split_once(' ')?;
    let mut dp = date.split('/');
    let (m, d, y) = (dp.next()?, dp.next()?, dp.next()?);
    let dt: DateTime = format!("{y}-{m:0>2}-{d:0>2}T{}", time.trim())
        .parse()
        .ok()?;
    zone.to_timestamp(dt).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn formats() {
        assert_eq!(
            iis_time(b"2025-07-19", b"07:13:02"),
            Some(ts("2025-07-19T07:13:02Z"))
        );
        assert_eq!(
            clf_time(b"19/Jul/2025:09:14:03 +0200"),
            Some(ts("2025-07-19T07:14:03Z"))
        );
        let plus2 = TimeZone::fixed(jiff::tz::offset(2));
        assert_eq!(
            uls_time(b"07/19/2025 09:13:02.27 ", &plus2),
            Some(ts("2025-07-19T07:13:02.27Z"))
        );
        assert_eq!(
            uls_time(b"07/19/2025 09:13:05.11*", &TimeZone::UTC),
            Some(ts("2025-07-19T09:13:05.11Z"))
        );
        assert_eq!(iis_time(b"2025-13-19", b"07:13:02"), None);
        assert_eq!(clf_time(b"garbage"), None);
    }

    #[test]
    fn arguments_and_window() {
        let now = ts("2025-07-20T00:00:00Z");
        assert_eq!(parse_time_arg("7d", now), Ok(ts("2025-07-13T00:00:00Z")));
        assert_eq!(parse_time_arg("12h", now), Ok(ts("2025-07-19T12:00:00Z")));
        assert_eq!(
            parse_time_arg("2025-07-18", now),
            Ok(ts("2025-07-18T00:00:00Z"))
        );
        assert_eq!(
            parse_time_arg("2025-07-18T10:00:00+02:00", now),
            Ok(ts("2025-07-18T08:00:00Z"))
        );
        assert!(parse_time_arg("yesterday", now).is_err());
        let w = Window {
            since: Some(ts("2025-07-19T00:00:00Z")),
            until: Some(ts("2025-07-19T23:59:59Z")),
        };
        assert!(w.contains(Some(ts("2025-07-19T07:00:00Z"))));
        assert!(!w.contains(Some(ts("2025-07-18T07:00:00Z"))));
        assert!(!w.contains(Some(ts("2025-07-20T07:00:00Z"))));
        assert!(w.contains(None));
    }
}
