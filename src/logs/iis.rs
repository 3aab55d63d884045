//! IIS W3C extended logs: space-separated columns named by the latest `#Fields` directive.
//!
//! IIS writes a new directive block whenever logging restarts or the field set changes, so
//! the column map is replaced on every `#Fields` line, wherever it stands in the file.

use std::sync::Arc;

use super::fields::Field;
use super::record::Record;
use super::spaces::{Spaces, spaces_up_to};
use super::time::iis_time;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Column {
    Known(Field),
    /// A field outside the taxonomy, by lowercase name.
    Custom(Arc<str>),
}

/// The column map in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IisColumns {
    columns: Vec<Column>,
    /// Per known field: its column, when exactly one column holds it.
    single: [Option<u16>; Field::COUNT],
}

/// The IIS 8+ default field set, for files whose header is missing.
const DEFAULT_FIELDS: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip \
                              cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

impl Default for IisColumns {
    fn default() -> Self {
        IisColumns::from_names(DEFAULT_FIELDS.as_bytes())
    }
}

impl IisColumns {
    /// The columns of a `#Fields:` directive line, or `None` for any other line.
    pub fn from_directive(line: &[u8]) -> Option<IisColumns> {
        let rest = line.strip_prefix(b"#Fields:")?;
        Some(IisColumns::from_names(rest))
    }

    fn from_names(names: &[u8]) -> IisColumns {
        let columns = names
            .split(|&b| b == b' ' || b == b'\t')
            .filter(|n| !n.is_empty())
            .map(|n| {
                let name = String::from_utf8_lossy(n).trim().to_ascii_lowercase();
                match Field::from_name(&name) {
                    Some(f) => Column::Known(f),
                    None => Column::Custom(Arc::from(name)),
                }
            })
            .collect::<Vec<_>>();
        let mut single = [None; Field::COUNT];
        let mut seen = [0u8; Field::COUNT];
        for (i, c) in columns.iter().enumerate() {
            if let Column::Known(f) = c {
                seen[*f as usize] = seen[*f as usize].saturating_add(1);
                single[*f as usize] = u16::try_from(i).ok();
            }
        }
        for (s, n) in single.iter_mut().zip(seen) {
            if n > 1 {
                *s = None;
            }
        }
        IisColumns { columns, single }
    }

    /// Parses one data line (no line terminator).
    pub fn parse<'a>(&self, line: &'a [u8]) -> Record<'a> {
        let mut r = Record::default();
        r.plus_is_space = true;
        for (col, value) in self.columns.iter().zip(line.split(|&b| b == b' ')) {
            match col {
                Column::Known(f) => r.set(*f, value),
                Column::Custom(name) => {
                    if !value.is_empty() && value != b"-" {
                        r.custom.push((name.clone(), value.into()));
                    }
                }
            }
        }
        if let (Some(d), Some(t)) = (r.get(Field::Date), r.get(Field::Time)) {
            r.time = iis_time(d, t);
        }
        r
    }

    /// The values of a few known fields of a data line, as [`IisColumns::parse`] would set
    /// them, without building a record: for lines that need only an address or the time.
    pub fn pick<'a, const N: usize>(
        &self,
        line: &'a [u8],
        fields: [Field; N],
    ) -> [Option<&'a [u8]>; N] {
        self.pick_in(line, Spaces::Line, fields)
    }

    /// [`IisColumns::pick`], with the line's spaces read from where `from` says.
    pub fn pick_in<'a, const N: usize>(
        &self,
        line: &'a [u8],
        from: Spaces<'_>,
        fields: [Field; N],
    ) -> [Option<&'a [u8]>; N] {
        let mut out = [None; N];
        let present = |v: &'a [u8]| (!v.is_empty() && v != b"-").then_some(v);
        // Each field in one column (the usual case): find the spaces up to the last of
        // them, then cut the values out.
        let cols = fields.map(|f| self.single[f as usize].map(usize::from));
        let duplicated = fields
            .iter()
            .zip(&cols)
            .any(|(f, c)| c.is_none() && self.columns.contains(&Column::Known(*f)));
        if !duplicated {
            let Some(last) = cols.iter().flatten().max().copied() else {
                return out;
            };
            // The spaces around each wanted column: the one before it and the one after.
            let need = cols
                .iter()
                .flatten()
                .fold(0u64, |m, &c| m | (1 << c) | (1 << c >> 1));
            let mut spaces = [0u32; 64];
            if let Some(found) = spaces_up_to(line, from, last, need, &mut spaces) {
                for (k, col) in cols.iter().enumerate() {
                    let Some(col) = *col else { continue };
                    let start = if col == 0 {
                        0
                    } else if col <= found {
                        spaces[col - 1] as usize + 1
                    } else {
                        continue;
                    };
                    let end = if col < found {
                        spaces[col] as usize
                    } else {
                        line.len()
                    };
                    out[k] = present(&line[start..end]);
                }
                return out;
            }
        }
        // A field in several columns: the last that is set wins, as in `parse`.
        let wanted = |i: usize| match self.columns.get(i) {
            Some(Column::Known(f)) => fields.iter().position(|w| w == f),
            _ => None,
        };
        let Some(last) = (0..self.columns.len()).rev().find(|&i| wanted(i).is_some()) else {
            return out;
        };
        for (col, v) in line.split(|&b| b == b' ').enumerate().take(last + 1) {
            if let Some(k) = wanted(col)
                && let Some(v) = present(v)
            {
                out[k] = Some(v);
            }
        }
        out
    }

    /// The time of a data line, as [`IisColumns::parse`] would read it.
    pub fn time(&self, line: &[u8], from: Spaces<'_>) -> Option<jiff::Timestamp> {
        match self.pick_in(line, from, [Field::Date, Field::Time]) {
            [Some(d), Some(t)] => iis_time(d, t),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_follow_the_directive() {
        let a = IisColumns::from_directive(b"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken").unwrap();
        assert_eq!(a, IisColumns::default());
        let line = b"2025-07-19 07:13:02 10.20.0.15 POST /_layouts/15/ToolPane.aspx DisplayMode=Edit&a=/ToolPane.aspx 443 - 107.191.58.76 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:120.0)+Gecko/20100101+Firefox/120.0 /_layouts/SignOut.aspx 200 0 0 611";
        let r = a.parse(line);
        assert_eq!(r.get(Field::Method), Some(&b"POST"[..]));
        assert_eq!(
            r.get(Field::UriStem),
            Some(&b"/_layouts/15/ToolPane.aspx"[..])
        );
        assert_eq!(r.get(Field::ClientIp), Some(&b"107.191.58.76"[..]));
        assert_eq!(r.get(Field::Referer), Some(&b"/_layouts/SignOut.aspx"[..]));
        assert_eq!(r.get(Field::Username), None);
        assert_eq!(r.get(Field::Status), Some(&b"200"[..]));
        assert_eq!(r.time, Some("2025-07-19T07:13:02Z".parse().unwrap()));

        let b = IisColumns::from_directive(b"#Fields: date time s-sitename s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes time-taken X-Forwarded-For X-Custom").unwrap();
        let r = b.parse(b"2025-07-19 08:01:17 W3SVC1 10.20.0.15 POST /_layouts/16/ToolPane.aspx/ DisplayMode=Edit&foo=/ToolPane.aspx 443 - 10.20.0.2 python-requests/2.32.3 - portal.contoso.test 401 0 0 1290 15 203.0.113.77 abc");
        assert_eq!(r.get(Field::Host), Some(&b"portal.contoso.test"[..]));
        assert_eq!(r.get(Field::ForwardedFor), Some(&b"203.0.113.77"[..]));
        assert_eq!(r.custom("x-custom"), Some(&b"abc"[..]));
        assert_eq!(r.get(Field::Referer), None);
    }

    proptest::proptest! {
        /// Whatever the layout and however many spaces a line has, `pick` cuts out what
        /// `parse` would: the client columns anywhere (also twice), values across blocks.
        #[test]
        fn pick_agrees_with_parse_everywhere(
            layout in proptest::collection::vec(0usize..5, 1..70),
            tokens in proptest::collection::vec(("[a-z0-9.,-]{0,40}", 1usize..3), 0..80),
        ) {
            let names = ["c-ip", "X-Forwarded-For", "date", "time", "cs-uri-stem"];
            let directive: Vec<&str> = layout.iter().map(|&k| names[k]).collect();
            let cols = IisColumns::from_directive(format!("#Fields: {}", directive.join(" ")).as_bytes())
                .unwrap();
            let line: String = tokens
                .iter()
                .map(|(t, gap)| format!("{t}{}", " ".repeat(*gap)))
                .collect();
            let r = cols.parse(line.as_bytes());
            let [ip, xff] = cols.pick(line.as_bytes(), [Field::ClientIp, Field::ForwardedFor]);
            proptest::prop_assert_eq!(ip, r.get(Field::ClientIp));
            proptest::prop_assert_eq!(xff, r.get(Field::ForwardedFor));
            let [stem] = cols.pick(line.as_bytes(), [Field::UriStem]);
            proptest::prop_assert_eq!(stem, r.get(Field::UriStem));
        }
    }

    #[test]
    fn pick_agrees_with_parse() {
        let cols =
            IisColumns::from_directive(b"#Fields: date time c-ip cs-method c-ip X-Forwarded-For")
                .unwrap();
        for line in [
            &b"2025-07-19 07:13:02 10.0.0.1 GET 10.0.0.2 1.2.3.4,5.6.7.8"[..],
            b"2025-07-19 07:13:02 10.0.0.1 GET - -",
            b"2025-07-19 07:13:02 - GET",
            b"2025-07-19",
            b"",
            b"a  b c d e f g h",
        ] {
            let r = cols.parse(line);
            let [ip, xff] = cols.pick(line, [Field::ClientIp, Field::ForwardedFor]);
            assert_eq!(ip, r.get(Field::ClientIp), "{line:?}");
            assert_eq!(xff, r.get(Field::ForwardedFor), "{line:?}");
            assert_eq!(cols.time(line, Spaces::Line), r.time, "{line:?}");
        }
        assert_eq!(IisColumns::default().pick(b"x", [Field::Host]), [None]);
        // Lines past the short-line limit take the field walk, with the same result.
        let long = format!(
            "2025-07-19 07:13:02 10.0.0.1 GET 10.0.0.2 {}",
            "x".repeat(2000)
        );
        let r = cols.parse(long.as_bytes());
        let [ip, xff] = cols.pick(long.as_bytes(), [Field::ClientIp, Field::ForwardedFor]);
        assert_eq!(
            (ip, xff),
            (r.get(Field::ClientIp), r.get(Field::ForwardedFor))
        );
    }

    #[test]
    fn other_lines_are_not_directives() {
        assert!(
            IisColumns::from_directive(b"#Software: Microsoft Internet Information Services 10.0")
                .is_none()
        );
        assert!(IisColumns::from_directive(b"2025-07-19 07:13:02").is_none());
    }
}
