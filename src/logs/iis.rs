//! IIS W3C extended logs: space-separated columns named by the latest `#Fields` directive.
//!
//! IIS writes a new directive block whenever logging restarts or the field set changes, so
//! the column map is replaced on every `#Fields` line, wherever it stands in the file.

use std::sync::Arc;

use super::fields::Field;
use super::record::Record;
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
            .collect();
        IisColumns { columns }
    }

    /// Parses one data line (no line terminator).
    pub fn parse<'a>(&self, line: &'a [u8]) -> Record<'a> {
        let mut r = Record::default();
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

    #[test]
    fn other_lines_are_not_directives() {
        assert!(
            IisColumns::from_directive(b"#Software: Microsoft Internet Information Services 10.0")
                .is_none()
        );
        assert!(IisColumns::from_directive(b"2025-07-19 07:13:02").is_none());
    }
}
