//! Record times and the `--since`/`--until` window.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

/// Why a `--since`/`--until` value was refused; the text names the value and what would do.
#[derive(Debug, thiserror::Error)]
pub enum TimeArgError {
    #[error("`{arg}` is not a valid date or time: {why}")]
    BadDate { arg: String, why: Box<TimeArgError> },
    #[error(
        "`{0}` is neither RFC 3339, a date like 2025-07-19 (with a time like 09:00 after it), nor an age like 7d or 12h"
    )]
    Neither(String),
    #[error("unknown unit in `{0}` (use s, m, h, d or w)")]
    UnknownUnit(String),
    #[error("expected `T` or a space and a time of day after the date")]
    NoTimeOfDay,
    #[error(
        "`{0}` is not a time of day like 09:00 or 09:00:30 (a zone goes right after it: 09:00Z, 09:00+02:00)"
    )]
    BadTimeOfDay(String),
    /// jiff refused the date or time, or the result is out of its range.
    #[error("{0}")]
    Jiff(#[from] jiff::Error),
}

/// Parses `--since`/`--until`: RFC 3339 (`2025-07-18T00:00:00Z`, `2025-07-18 10:00+02:00`),
/// a date and time without a zone (`2025-07-18T10:00`, `2025-07-18 10:00:30`), read as UTC
/// as log times are reported, a date (`2025-07-18`, midnight UTC at its start), or an age
/// relative to `now` (`7d`, `12h`, `30m`, `2w`). Anything not taken whole is an error: a
/// window silently cut at the wrong place hides records.
pub fn parse_time_arg(s: &str, now: Timestamp) -> Result<Timestamp, TimeArgError> {
    let t = s.trim();
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts);
    }
    if looks_like_date(t) {
        return parse_civil_utc(t).map_err(|why| TimeArgError::BadDate {
            arg: s.to_owned(),
            why: Box::new(why),
        });
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let neither = || TimeArgError::Neither(s.to_owned());
    if unit.is_empty() {
        return Err(neither());
    }
    let n: i64 = digits.parse().map_err(|_| neither())?;
    let span = match unit {
        // The `try_` forms: an age past jiff's range (`999999999999d`) is an error, not a
        // panic.
        "s" => Span::new().try_seconds(n)?,
        "m" => Span::new().try_minutes(n)?,
        "h" => Span::new().try_hours(n)?,
        "d" => Span::new().try_hours(n.saturating_mul(24))?,
        "w" => Span::new().try_hours(n.saturating_mul(24 * 7))?,
        _ => return Err(TimeArgError::UnknownUnit(s.to_owned())),
    };
    Ok(now.checked_sub(span)?)
}

/// `--until`: as [`parse_time_arg`], except that a date alone means the end of that day, so
/// `--since 2025-07-19 --until 2025-07-19` is the whole of the 19th, as a person means it.
pub fn parse_until_arg(s: &str, now: Timestamp) -> Result<Timestamp, TimeArgError> {
    let start = parse_time_arg(s, now)?;
    let t = s.trim();
    if t.len() == 10 && looks_like_date(t) {
        let last = start
            .checked_add(Span::new().hours(24))
            .and_then(|next| next.checked_sub(Span::new().nanoseconds(1)))?;
        return Ok(last);
    }
    Ok(start)
}

/// `YYYY-MM-DD` at the start: the user meant a calendar date, so a failure is about the
/// date, not an age unit.
fn looks_like_date(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

/// `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM`, `HH:MM:SS` or
/// `HH:MM:SS.fraction`, as UTC. The grammar is checked here because jiff's civil parsers
/// accept more than they keep (a date parser drops a time of day, a date-time parser an
/// offset or a zone annotation).
fn parse_civil_utc(t: &str) -> Result<Timestamp, TimeArgError> {
    let (date, time) = (&t[..10], &t[10..]);
    let d: jiff::civil::Date = date.parse()?;
    if time.is_empty() {
        return Ok(TimeZone::UTC.to_timestamp(d.at(0, 0, 0, 0))?);
    }
    let clock = time
        .strip_prefix('T')
        .or_else(|| time.strip_prefix('t'))
        .or_else(|| time.strip_prefix(' '))
        .ok_or(TimeArgError::NoTimeOfDay)?;
    let well_formed = {
        let b = clock.as_bytes();
        let digits =
            |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
        let hm = b.len() >= 5 && digits(0..2) && b[2] == b':' && digits(3..5);
        let rest = &b[b.len().min(5)..];
        hm && (rest.is_empty()
            || (rest.len() >= 3
                && rest[0] == b':'
                && rest[1..3].iter().all(u8::is_ascii_digit)
                && (rest.len() == 3
                    || ((rest[3] == b'.' || rest[3] == b',')
                        && rest.len() > 4
                        && rest[4..].iter().all(u8::is_ascii_digit)))))
    };
    if !well_formed {
        return Err(TimeArgError::BadTimeOfDay(clock.to_owned()));
    }
    let time: jiff::civil::Time = clock.parse()?;
    Ok(TimeZone::UTC.to_timestamp(d.to_datetime(time))?)
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

const CLF_TIME: &str = "%d/%b/%Y:%H:%M:%S %z";

/// Whether `text` holds the `/` and `:` of [`CLF_TIME`]: sniffing asks [`clf_time`] about
/// every ` [` in the head of every file (code is full of them: `$a = [`, `$x [0]`), and
/// most are told apart here rather than by the parser, which allocates as it fails.
fn may_be_clf_time(text: &[u8]) -> bool {
    let count = |c: u8| text.iter().filter(|&&b| b == c).count();
    count(b'/') >= 2 && count(b':') >= 3
}

/// Apache/nginx `%t`: `19/Jul/2025:09:14:03 +0200` (without the brackets).
pub fn clf_time(text: &[u8]) -> Option<Timestamp> {
    if !may_be_clf_time(text) {
        return None;
    }
    let s = std::str::from_utf8(text).ok()?;
    jiff::fmt::strtime::parse(CLF_TIME, s)
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

    proptest::proptest! {
        /// Whatever the parser takes passes the quick check first, however the text is
        /// cut or changed.
        #[test]
        fn the_quick_check_passes_every_time_the_parser_takes(
            edits in proptest::collection::vec(
                (0..30usize, proptest::sample::select(b"0123456789/: +-JulZT".to_vec()), 0..3u8),
                0..4,
            ),
        ) {
            let mut text = b"19/Jul/2025:09:14:03 +0200".to_vec();
            for (at, byte, how) in edits {
                let at = at.min(text.len());
                match how {
                    0 => text.insert(at, byte),
                    1 if at < text.len() => { text.remove(at); }
                    _ if at < text.len() => text[at] = byte,
                    _ => {}
                }
            }
            let parsed = std::str::from_utf8(&text)
                .ok()
                .and_then(|s| jiff::fmt::strtime::parse(CLF_TIME, s).ok())
                .and_then(|t| t.to_timestamp().ok());
            if parsed.is_some() {
                proptest::prop_assert!(may_be_clf_time(&text));
            }
            proptest::prop_assert_eq!(clf_time(&text), parsed);
        }
    }

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
        assert_eq!(
            parse_time_arg("7d", now).ok(),
            Some(ts("2025-07-13T00:00:00Z"))
        );
        assert_eq!(
            parse_time_arg("12h", now).ok(),
            Some(ts("2025-07-19T12:00:00Z"))
        );
        assert_eq!(
            parse_time_arg("2025-07-18", now).ok(),
            Some(ts("2025-07-18T00:00:00Z"))
        );
        assert_eq!(
            parse_time_arg("2025-07-18T10:00:00+02:00", now).ok(),
            Some(ts("2025-07-18T08:00:00Z"))
        );
        assert!(parse_time_arg("yesterday", now).is_err());
        assert!(parse_time_arg("999999999999d", now).is_err());
        for no_unit in ["20250719", "7"] {
            let e = parse_time_arg(no_unit, now).unwrap_err().to_string();
            assert!(e.contains("neither"), "{no_unit}: {e}");
        }
        // A time without a zone is UTC and keeps its time of day.
        assert_eq!(
            parse_time_arg("2025-07-19 23:59", now).ok(),
            Some(ts("2025-07-19T23:59:00Z"))
        );
        assert_eq!(
            parse_time_arg("2025-07-19T09:00", now).ok(),
            Some(ts("2025-07-19T09:00:00Z"))
        );
        assert_eq!(
            parse_time_arg("2025-07-19 09:00:30.5", now).ok(),
            Some(ts("2025-07-19T09:00:30.5Z"))
        );
        assert_eq!(
            parse_time_arg("2025-07-19 10:00+02:00", now).ok(),
            Some(ts("2025-07-19T08:00:00Z"))
        );
        assert_eq!(
            parse_until_arg("2025-07-19", now).ok(),
            Some(ts("2025-07-19T23:59:59.999999999Z"))
        );
        assert_eq!(
            parse_until_arg("2025-07-19 12:00", now).ok(),
            Some(ts("2025-07-19T12:00:00Z"))
        );
        for bad in [
            "2025-13-45",
            "2025-07-19 25:00",
            "2025-07-19 9",
            "2025-07-19T09:00[Europe/Paris]",
            "2025-07-19 09:00 tomorrow",
            "2025-07-19x",
        ] {
            let e = parse_time_arg(bad, now).unwrap_err().to_string();
            assert!(e.contains("not a valid date or time"), "{bad}: {e}");
        }
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
