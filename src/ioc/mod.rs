//! IOC lists: parsing them, and typed sets that match parsed log fields and files.

mod domain;
mod formats;
mod ip;
mod matcher;
mod paths;
mod plain;
mod tokens;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

pub use domain::DomainSet;
pub use formats::ListFormat;
pub use ip::IpSet;
pub use matcher::IocMatch;
pub use paths::PathIocs;
use plain::BareIpv4;
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
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        // Checked whole first: valid UTF-8 (nearly every list) is then read at the
        // validator's word-at-a-time speed, not chunk by chunk as the lossy path reads it.
        match std::str::from_utf8(body) {
            Ok(text) => text.into(),
            Err(_) => String::from_utf8_lossy(body),
        }
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
    /// Every indicator but the bare IPv4 lines of plain lists; an id below [`BARE`].
    general: Vec<Indicator>,
    /// The bare IPv4 lines of plain lists, with the list each came from (an index into
    /// `bare_lists`); id `BARE | k` is entry k.
    bare: Vec<(BareIpv4, usize)>,
    bare_lists: Vec<Arc<str>>,
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

/// The bit that marks an indicator id as an entry of [`IocSet::bare`].
const BARE: usize = 1 << (usize::BITS - 1);

impl IocSet {
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many indicators are loaded.
    pub fn len(&self) -> usize {
        self.general.len() + self.bare.len()
    }

    /// Indicator `id`, as a match names it. A bare address is made into one here, when
    /// it matched, rather than for every line of its list at load.
    pub fn indicator(&self, id: usize) -> Cow<'_, Indicator> {
        match id & BARE {
            0 => Cow::Borrowed(&self.general[id]),
            _ => {
                let (b, list) = self.bare[id & !BARE];
                Cow::Owned(b.indicator(&self.bare_lists[list]))
            }
        }
    }

    /// The value of indicator `id`.
    pub fn value(&self, id: usize) -> Cow<'_, str> {
        match id & BARE {
            0 => Cow::Borrowed(&self.general[id].value),
            _ => Cow::Owned(self.bare[id & !BARE].0.value()),
        }
    }

    /// The kind of indicator `id`.
    pub fn kind(&self, id: usize) -> Kind {
        match id & BARE {
            0 => self.general[id].kind,
            _ => Kind::Ipv4,
        }
    }

    /// All indicators, the bare addresses made into indicators one at a time.
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, Indicator>> {
        (0..self.general.len())
            .chain((0..self.bare.len()).map(|k| k | BARE))
            .map(|id| self.indicator(id))
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
        self.add_list(format, indicators, None, problems)
    }

    /// Adds a list's indicators, and the bare addresses of a plain list with the list's
    /// name, in line order: of two entries with one value, the earlier line is the one a
    /// match names.
    fn add_list(
        &mut self,
        format: ListFormat,
        indicators: Vec<Indicator>,
        bare: Option<(&Arc<str>, Vec<BareIpv4>)>,
        problems: Vec<IocProblem>,
    ) -> LoadReport {
        let (bare, list) = match bare {
            Some((list, bare)) if !bare.is_empty() => {
                self.bare_lists.push(list.clone());
                (bare, self.bare_lists.len() - 1)
            }
            _ => (Vec::new(), 0),
        };
        let loaded = indicators.len() + bare.len();
        let addresses = bare.len()
            + indicators
                .iter()
                .filter(|i| matches!(i.kind, Kind::Ipv4 | Kind::Ipv6))
                .count();
        self.ips.reserve(addresses);
        self.bare.reserve(bare.len());
        let mut general = indicators;
        let mut keep = Vec::with_capacity(general.len());
        let mut kept = 0;
        let mut bare = bare.into_iter().peekable();
        for ind in &general {
            while let Some(b) = bare.next_if(|b| b.line as usize <= ind.line) {
                self.add_bare(b, list);
            }
            let indexed = self.index(ind, self.general.len() + kept);
            kept += usize::from(indexed);
            keep.push(indexed);
        }
        for b in bare {
            self.add_bare(b, list);
        }
        // The list's own vector becomes the set's when it is the first: it is then never
        // copied, and never held twice.
        let mut keep = keep.into_iter();
        general.retain(|_| keep.next().unwrap_or(false));
        if self.general.is_empty() {
            self.general = general;
        } else {
            self.general.append(&mut general);
        }
        LoadReport {
            format,
            loaded,
            problems,
        }
    }

    fn add_bare(&mut self, b: BareIpv4, list: usize) {
        let id = BARE | self.bare.len();
        self.ips
            .insert_addr(std::net::IpAddr::V4(b.addr.into()), id);
        self.bare.push((b, list));
    }

    /// Loads a list from text; `list` names it in findings and problems (and, for Loki
    /// lists, its name says whether it holds hashes, file names or C2 addresses).
    pub fn load_text(&mut self, list: &str, text: &str) -> LoadReport {
        let name: Arc<str> = Arc::from(list);
        let format = formats::detect(list, text);
        if format == ListFormat::Plain {
            let parsed = plain::parse_plain_split(&name, text);
            return self.add_list(
                format,
                parsed.indicators,
                Some((&name, parsed.bare)),
                parsed.problems,
            );
        }
        let (indicators, problems) = formats::parse(format, &name, text);
        self.add_all(format, indicators, problems)
    }

    /// Compiles the path regexes and globs of all loaded lists.
    pub fn prepare(&mut self) -> Vec<IocProblem> {
        let (paths, problems) = PathIocs::build(&self.general);
        self.paths = paths;
        problems
    }

    /// Adds one indicator to its typed set. Duplicates keep the first occurrence.
    pub fn add(&mut self, ind: Indicator) {
        if self.index(&ind, self.general.len()) {
            self.general.push(ind);
        }
    }

    /// Enters `ind`, to be indicator `i`, in its typed set; false when its value cannot be
    /// used (then it is not to be kept).
    fn index(&mut self, ind: &Indicator, i: usize) -> bool {
        let v = &ind.value;
        match ind.kind {
            Kind::Ipv4 | Kind::Ipv6 => {
                match plain::canonical_ipv4(v.as_bytes()).map(std::net::IpAddr::V4) {
                    Some(a) => self.ips.insert_addr(a, i),
                    None => match v.parse() {
                        Ok(a) => self.ips.insert_addr(a, i),
                        Err(_) => return false,
                    },
                }
            }
            Kind::Cidr => {
                let Some((a, l)) = v.split_once('/') else {
                    return false;
                };
                match (a.parse(), l.parse()) {
                    (Ok(a), Ok(l)) => self.ips.insert_net(a, l, i),
                    _ => return false,
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
        true
    }

    /// Counts by kind, for reports.
    pub fn counts(&self) -> Vec<(Kind, usize)> {
        // A map keyed by kind would hash every indicator of a 100k list.
        let mut n = [0usize; Kind::ALL.len()];
        for ind in &self.general {
            n[ind.kind as usize] += 1;
        }
        n[Kind::Ipv4 as usize] += self.bare.len();
        Kind::ALL
            .into_iter()
            .zip(n)
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// Wildcard domains (`*.evil.example`) among the indicators.
    pub fn wildcard_domains(&self) -> usize {
        self.general
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

    /// (kind, value, list, line) of the indicator `addr` matches.
    fn matched(set: &IocSet, addr: &str) -> Option<(Kind, String, String, usize)> {
        let id = set.ips.lookup(addr.parse().unwrap())?;
        let ind = set.indicator(id);
        assert_eq!(set.value(id), ind.value);
        assert_eq!(set.kind(id), ind.kind);
        Some((ind.kind, ind.value.clone(), ind.list.to_string(), ind.line))
    }

    #[test]
    fn bare_addresses_are_the_indicators_the_general_path_makes() {
        let text = "# list\n192.0.2.1\n10.0.0.1 # noted\n10.0.0.1\n192.0.2.1\nevil.example\n\
                    198.51.100.7\r\n203.0.113.0/24\n203.0.113.9\n010.0.0.2\n";
        let mut set = IocSet::default();
        let report = set.load_text("a.txt", text);
        assert_eq!(report.loaded, 8, "{:?}", report.problems);
        assert_eq!(report.problems.len(), 1, "010.0.0.2 has a leading zero");
        // The earlier line names the match, whichever path each line took.
        let a = |v: &str, line| Some((Kind::Ipv4, v.to_string(), "a.txt".to_string(), line));
        assert_eq!(matched(&set, "192.0.2.1"), a("192.0.2.1", 2));
        assert_eq!(matched(&set, "10.0.0.1"), a("10.0.0.1", 3));
        assert_eq!(matched(&set, "198.51.100.7"), a("198.51.100.7", 7));
        assert_eq!(matched(&set, "::ffff:198.51.100.7"), a("198.51.100.7", 7));
        assert_eq!(matched(&set, "203.0.113.9"), a("203.0.113.9", 9));
        assert_eq!(
            matched(&set, "203.0.113.10").map(|m| (m.0, m.3)),
            Some((Kind::Cidr, 8))
        );
        assert_eq!(matched(&set, "10.0.0.2"), None);
        // A second list adds to the first; its own duplicate does not replace it.
        set.load_text("b.txt", "192.0.2.1\n172.16.0.1\n");
        assert_eq!(matched(&set, "192.0.2.1"), a("192.0.2.1", 2));
        assert_eq!(
            matched(&set, "172.16.0.1"),
            Some((Kind::Ipv4, "172.16.0.1".into(), "b.txt".into(), 2))
        );
        assert_eq!(set.len(), 10);
        assert_eq!(
            set.counts(),
            vec![(Kind::Ipv4, 8), (Kind::Cidr, 1), (Kind::Domain, 1)]
        );
        // Iterating makes the same indicators as the general parser, line for line.
        let (parsed, _) = formats::parse(ListFormat::Plain, &Arc::from("a.txt"), text);
        let mut made: Vec<(Kind, String, usize)> = set
            .iter()
            .filter(|i| &*i.list == "a.txt")
            .map(|i| (i.kind, i.value.clone(), i.line))
            .collect();
        made.sort_by_key(|m| m.2);
        let parsed: Vec<(Kind, String, usize)> = parsed
            .into_iter()
            .map(|i| (i.kind, i.value, i.line))
            .collect();
        assert_eq!(made, parsed);
    }

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
