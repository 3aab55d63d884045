//! IOC lists: parsing them, and typed sets that match parsed log fields and files.

mod domain;
mod formats;
mod ip;
mod matcher;
mod paths;
mod plain;
mod tokens;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

pub use domain::DomainSet;
pub use formats::ListFormat;
pub use ip::IpSet;
pub use matcher::IocMatch;
pub use paths::PathIocs;
pub use plain::is_wildcard_domain;
use tokens::TokenIndex;

use crate::common::severity::Severity;

/// The maximal runs of bytes for which `inside` holds, as ranges: how host names and
/// addresses are cut out of free text.
pub fn runs(
    text: &[u8],
    inside: impl Fn(u8) -> bool,
) -> impl Iterator<Item = std::ops::Range<usize>> {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < text.len() && !inside(text[i]) {
            i += 1;
        }
        if i >= text.len() {
            return None;
        }
        let start = i;
        while i < text.len() && inside(text[i]) {
            i += 1;
        }
        Some(start..i)
    })
}

/// The text of a list file. Windows PowerShell 5.1 writes UTF-16 (`>`, `Out-File`), with a
/// byte-order mark; Notepad and Excel add a UTF-8 one. Without a mark, text whose second and
/// fourth bytes are NUL is read as UTF-16LE too (ASCII written as UTF-16). Anything else is
/// UTF-8, invalid bytes replaced.
pub fn decode_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let utf16 = |body: &[u8], le: bool| {
        let units = body.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect::<String>()
            .into()
    };
    if !is_utf16(bytes) {
        String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
    } else if let Some(body) = bytes.strip_prefix(b"\xFF\xFE") {
        utf16(body, true)
    } else if let Some(body) = bytes.strip_prefix(b"\xFE\xFF") {
        utf16(body, false)
    } else {
        utf16(bytes, true)
    }
}

/// UTF-16 by its byte-order mark, or ASCII written as UTF-16LE without one.
fn is_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xFF\xFE")
        || bytes.starts_with(b"\xFE\xFF")
        || (bytes.len() >= 4 && bytes[0] != 0 && bytes[1] == 0 && bytes[2] != 0 && bytes[3] == 0)
}

/// What an indicator is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Ipv4,
    Ipv6,
    Cidr,
    Domain,
    Url,
    Md5,
    Sha1,
    Sha256,
    FileName,
    /// A regex over the whole path (Loki/THOR filename IOCs).
    PathRegex,
    /// A glob over the whole path.
    PathGlob,
}

impl Kind {
    /// Every kind, in declaration (and so sort) order: `ALL[k as usize] == k`.
    pub const ALL: [Kind; 11] = [
        Kind::Ipv4,
        Kind::Ipv6,
        Kind::Cidr,
        Kind::Domain,
        Kind::Url,
        Kind::Md5,
        Kind::Sha1,
        Kind::Sha256,
        Kind::FileName,
        Kind::PathRegex,
        Kind::PathGlob,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ipv4 => "ipv4",
            Kind::Ipv6 => "ipv6",
            Kind::Cidr => "cidr",
            Kind::Domain => "domain",
            Kind::Url => "url",
            Kind::Md5 => "md5",
            Kind::Sha1 => "sha1",
            Kind::Sha256 => "sha256",
            Kind::FileName => "file_name",
            Kind::PathRegex => "path_regex",
            Kind::PathGlob => "path_glob",
        }
    }

    /// The ECS `threat.indicator.type` value.
    pub fn ecs_type(self) -> &'static str {
        match self {
            Kind::Ipv4 | Kind::Cidr => "ipv4-addr",
            Kind::Ipv6 => "ipv6-addr",
            Kind::Domain => "domain-name",
            Kind::Url => "url",
            Kind::Md5
            | Kind::Sha1
            | Kind::Sha256
            | Kind::FileName
            | Kind::PathRegex
            | Kind::PathGlob => "file",
        }
    }
}

/// One indicator, with where it came from.
#[derive(Clone, Debug)]
pub struct Indicator {
    pub kind: Kind,
    /// Normalised (re-fanged, lowercase where case does not matter).
    pub value: String,
    pub description: Option<String>,
    /// Severity the list gives (a Loki score, a CSV column); `None` uses `--ioc-severity`.
    pub severity: Option<Severity>,
    /// For path regexes: paths that also match this regex are not hits (Loki's FP regex).
    pub false_positive: Option<String>,
    pub list: Arc<str>,
    /// 1-based line in the list file.
    pub line: usize,
}

impl Indicator {
    /// An indicator of `kind` with nothing but its value and place.
    pub fn new(kind: Kind, value: String, list: &Arc<str>, line: usize) -> Indicator {
        Indicator {
            kind,
            value,
            description: None,
            severity: None,
            false_positive: None,
            list: list.clone(),
            line,
        }
    }
}

/// A Loki/THOR score as a severity: 80 and above alert, 60 warning, 40 notice; lower
/// scores are informational and not loaded.
pub fn severity_from_score(score: i64) -> Option<Severity> {
    match score {
        s if s >= 100 => Some(Severity::Critical),
        s if s >= 80 => Some(Severity::High),
        s if s >= 60 => Some(Severity::Medium),
        s if s >= 40 => Some(Severity::Low),
        _ => None,
    }
}

/// A line (or entry) of an IOC list that could not be used.
#[derive(Clone, Debug)]
pub struct IocProblem {
    pub list: Arc<str>,
    pub line: usize,
    pub message: String,
    /// Well-formed but of a kind shellsweep does not match (a STIX pattern with AND, a MISP
    /// attribute not meant for detection), as opposed to malformed.
    pub unsupported: bool,
}

impl IocProblem {
    pub(crate) fn invalid(list: &Arc<str>, line: usize, message: String) -> IocProblem {
        IocProblem {
            list: list.clone(),
            line,
            message,
            unsupported: false,
        }
    }

    pub(crate) fn unsupported(list: &Arc<str>, line: usize, message: String) -> IocProblem {
        IocProblem {
            list: list.clone(),
            line,
            message,
            unsupported: true,
        }
    }
}

/// What loading one list did.
#[derive(Clone, Debug)]
pub struct LoadReport {
    pub format: ListFormat,
    pub loaded: usize,
    pub problems: Vec<IocProblem>,
}

/// An IOC list could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum IocError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// All loaded indicators, in typed sets.
#[derive(Debug, Default, Clone)]
pub struct IocSet {
    pub indicators: Vec<Indicator>,
    pub ips: IpSet,
    pub domains: DomainSet,
    /// Lowercase URL without a trailing slash -> indicator.
    pub urls: HashMap<String, usize>,
    /// Lowercase hex digest -> indicator.
    pub hashes: HashMap<String, usize>,
    /// Lowercase file name -> indicator.
    pub file_names: HashMap<String, usize>,
    /// Path regexes and globs, compiled by [`IocSet::prepare`].
    pub paths: PathIocs,
    /// What a log line must hold for a domain, URL or file name to match in it.
    tokens: TokenIndex,
}

impl IocSet {
    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty()
    }

    /// Loads a list file, detecting its format; unusable entries are reported, the rest is
    /// kept. Call [`IocSet::prepare`] after the last list.
    pub fn load_file(&mut self, path: &Path) -> Result<LoadReport, IocError> {
        use std::io::Read;
        let name = path.display().to_string();
        let err = |source| IocError::Read {
            path: name.clone(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(err)?;
        // The format is told from the head; a STIX bundle (threat-intel exports run to
        // hundreds of megabytes) is then read as a stream, anything else as a whole.
        let mut bytes = Vec::new();
        (&mut file)
            .take(64 << 10)
            .read_to_end(&mut bytes)
            .map_err(err)?;
        if !is_utf16(&bytes) && formats::detect(&name, &decode_text(&bytes)) == ListFormat::Stix {
            let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
                3
            } else {
                0
            };
            let head = std::io::Cursor::new(&bytes[bom..]);
            let reader = std::io::BufReader::new(head.chain(file));
            let list: Arc<str> = Arc::from(name.as_str());
            let (indicators, problems) = formats::stix_reader(&list, reader);
            return Ok(self.add_all(ListFormat::Stix, indicators, problems));
        }
        file.read_to_end(&mut bytes).map_err(err)?;
        let text = decode_text(&bytes);
        Ok(self.load_text(&name, &text))
    }

    fn add_all(
        &mut self,
        format: ListFormat,
        indicators: Vec<Indicator>,
        problems: Vec<IocProblem>,
    ) -> LoadReport {
        let loaded = indicators.len();
        self.indicators.reserve(loaded);
        for ind in indicators {
            self.add(ind);
        }
        LoadReport {
            format,
            loaded,
            problems,
        }
    }

    /// Loads a list from text; `list` names it in findings and problems (and, for Loki
    /// lists, its name says whether it holds hashes, file names or C2 addresses).
    pub fn load_text(&mut self, list: &str, text: &str) -> LoadReport {
        let name: Arc<str> = Arc::from(list);
        let format = formats::detect(list, text);
        let (indicators, problems) = formats::parse(format, &name, text);
        self.add_all(format, indicators, problems)
    }

    /// Compiles the path regexes and globs of all loaded lists.
    pub fn prepare(&mut self) -> Vec<IocProblem> {
        let (paths, problems) = PathIocs::build(&self.indicators);
        self.paths = paths;
        problems
    }

    /// Adds one indicator to its typed set. Duplicates keep the first occurrence.
    pub fn add(&mut self, ind: Indicator) {
        let i = self.indicators.len();
        let v = &ind.value;
        match ind.kind {
            Kind::Ipv4 | Kind::Ipv6 => {
                match plain::canonical_ipv4(v.as_bytes()).map(std::net::IpAddr::V4) {
                    Some(a) => self.ips.insert_addr(a, i),
                    None => match v.parse() {
                        Ok(a) => self.ips.insert_addr(a, i),
                        Err(_) => return,
                    },
                }
            }
            Kind::Cidr => {
                let Some((a, l)) = v.split_once('/') else {
                    return;
                };
                match (a.parse(), l.parse()) {
                    (Ok(a), Ok(l)) => self.ips.insert_net(a, l, i),
                    _ => return,
                }
            }
            Kind::Domain => {
                self.domains.insert(v, i);
                self.tokens.add_domain(v);
            }
            Kind::Url => {
                self.tokens.add_url(v);
                self.urls
                    .entry(v.trim_end_matches('/').to_owned())
                    .or_insert(i);
            }
            Kind::Md5 | Kind::Sha1 | Kind::Sha256 => {
                self.hashes.entry(v.clone()).or_insert(i);
            }
            Kind::FileName => {
                self.tokens.add_file_name(v);
                self.file_names.entry(v.clone()).or_insert(i);
            }
            Kind::PathRegex | Kind::PathGlob => {}
        }
        self.indicators.push(ind);
    }

    /// Counts by kind, for reports.
    pub fn counts(&self) -> Vec<(Kind, usize)> {
        // A map keyed by kind would hash every indicator of a 100k list.
        let mut n = [0usize; Kind::ALL.len()];
        for ind in &self.indicators {
            n[ind.kind as usize] += 1;
        }
        Kind::ALL
            .into_iter()
            .zip(n)
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// Wildcard domains (`*.evil.example`) among the indicators.
    pub fn wildcard_domains(&self) -> usize {
        self.indicators
            .iter()
            .filter(|i| i.kind == Kind::Domain && is_wildcard_domain(&i.value))
            .count()
    }

    /// Literals a log line must hold for the domains, URLs and file names that
    /// [`IocSet::line_may_match`] cannot check by their tokens (a URL on an IPv6 host, a file
    /// name with a space); `None` when one has no literal to search for.
    pub fn gate_literals(&self) -> Option<Vec<Vec<u8>>> {
        self.tokens.literals()
    }

    /// Whether a log line may hold one of the domains, URLs or file names (other than those
    /// [`IocSet::gate_literals`] stand for). Never false when the line, or the line
    /// percent-decoded once, has a host-like token that the matcher would find: a few hash
    /// probes per dotted token, whatever the size of the lists.
    pub fn line_may_match(&self, line: &[u8]) -> bool {
        self.tokens.line_may_match(line, &self.domains)
    }

    /// Whether [`IocSet::line_may_match`] has anything to look for.
    pub fn has_line_tokens(&self) -> bool {
        self.tokens.has_tokens()
    }

    pub fn has_hashes(&self) -> bool {
        !self.hashes.is_empty()
    }

    /// The URL indicator that `url` (scheme and host lowercased by the caller) starts with.
    pub fn lookup_url(&self, url: &str) -> Option<usize> {
        if self.urls.is_empty() {
            return None;
        }
        let lower = url.to_ascii_lowercase();
        let trimmed = lower.trim_end_matches('/');
        // Exact, then each shorter prefix at a path or query boundary.
        let mut end = trimmed.len();
        loop {
            if let Some(&i) = self.urls.get(&trimmed[..end]) {
                return Some(i);
            }
            match trimmed[..end].rfind(['/', '?', '&']) {
                Some(p) if p > trimmed.find("://").map_or(0, |s| s + 3) => end = p,
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_all_is_indexed_by_the_kind_and_sorted() {
        for (i, k) in Kind::ALL.into_iter().enumerate() {
            assert_eq!(k as usize, i);
        }
        assert!(Kind::ALL.is_sorted());
    }

    #[test]
    fn counts_are_by_kind_in_kind_order() {
        let mut set = IocSet::default();
        set.load_text(
            "l.txt",
            "evil.example\n10.0.0.1\n10.0.0.0/8\n10.0.0.2\nbad.example\n",
        );
        assert_eq!(
            set.counts(),
            vec![(Kind::Ipv4, 2), (Kind::Cidr, 1), (Kind::Domain, 2)]
        );
    }
}
