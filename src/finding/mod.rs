//! The finding: what a rule match becomes.
//!
//! One model feeds every writer (the ECS wire form is `crate::output::ecs`), so the JSON and
//! the text output can never disagree about what was found.

mod correlation;

pub use correlation::{
    Correlation, Dropped, ExploitRef, FindingRef, MAX_EVENT_IDS, Pivot, Requested,
};

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::common::severity::Severity;
use crate::engine::{Match, RuleHit};
use crate::ioc::{Indicator, Kind};
use crate::logs::{Field, LogFormat};
use crate::rules::Rule;

/// The rule (or IOC list) behind a finding.
#[derive(Clone, Debug)]
pub struct RuleInfo {
    pub id: String,
    pub name: String,
    pub description: String,
    pub references: Vec<String>,
    pub author: String,
    pub ruleset: String,
    pub tags: Vec<String>,
    pub severity: Severity,
    /// What a finding of this rule adds to its file's score.
    pub score: u8,
    /// A Sigma rule's `status` (`stable`, `test`, ...).
    pub status: Option<String>,
    /// A Sigma rule's `falsepositives`.
    pub falsepositives: Vec<String>,
}

impl RuleInfo {
    pub fn from_rule(r: &Rule) -> RuleInfo {
        RuleInfo {
            id: r.id.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            references: r.references.clone(),
            author: r.author.clone(),
            ruleset: r.ruleset.to_string(),
            tags: r.tags.clone(),
            severity: r.severity,
            score: r.score,
            status: r.status.clone(),
            falsepositives: r.falsepositives.clone(),
        }
    }

    /// The pseudo-rule of an IOC match: one per indicator kind.
    pub fn ioc(kind: Kind, severity: Severity) -> RuleInfo {
        let (id, name, what) = match kind {
            Kind::Ipv4 | Kind::Ipv6 | Kind::Cidr => (
                "SSW-IOC-IP",
                "Address on an IOC list",
                "A client address (or an address in X-Forwarded-For or the line) is on an IOC list.",
            ),
            Kind::Domain => (
                "SSW-IOC-DOMAIN",
                "Domain on an IOC list",
                "A host, URL or referer names a domain (or a subdomain of one) on an IOC list.",
            ),
            Kind::Url => (
                "SSW-IOC-URL",
                "URL on an IOC list",
                "A requested or referring URL is on an IOC list.",
            ),
            Kind::Md5 | Kind::Sha1 | Kind::Sha256 => (
                "SSW-IOC-HASH",
                "File hash on an IOC list",
                "The file's hash is on an IOC list.",
            ),
            Kind::FileName => (
                "SSW-IOC-FILENAME",
                "File name on an IOC list",
                "A file, or a requested path, has a name on an IOC list.",
            ),
            Kind::PathRegex | Kind::PathGlob => (
                "SSW-IOC-PATH",
                "File path on an IOC list",
                "A file's path matches a path pattern on an IOC list.",
            ),
        };
        RuleInfo {
            id: id.into(),
            name: name.into(),
            description: what.into(),
            references: Vec::new(),
            author: "shellsweep project".into(),
            ruleset: "ioc".into(),
            tags: Vec::new(),
            severity,
            score: severity.default_score(),
            status: None,
            falsepositives: Vec::new(),
        }
    }
}

/// A file a finding is about.
#[derive(Clone, Debug)]
pub struct FileSubject {
    /// The path as found: absolute when the scanned argument was.
    pub path: PathBuf,
    pub size: u64,
    pub modified: Option<SystemTime>,
    pub sha256: String,
    /// MD5 and SHA-1 too, with `--hash`: (algorithm, lowercase hex).
    pub more_hashes: Vec<(&'static str, String)>,
}

/// A log record a finding is about.
#[derive(Clone, Debug)]
pub struct LogSubject {
    pub path: PathBuf,
    pub format: LogFormat,
    /// 1-based physical line in the decoded file (directive lines counted).
    pub line: u64,
    /// Byte offset of the record in the decoded file.
    pub offset: u64,
    pub time: Option<jiff::Timestamp>,
    /// The zone the record's time was read in when the log does not say (SharePoint ULS):
    /// an IANA name or an offset such as `+02:00`.
    pub time_zone: Option<String>,
    /// True when that zone is the scanning host's, not one the user gave.
    pub time_zone_assumed: bool,
    /// The parsed fields, as logged.
    pub fields: Vec<(Field, Vec<u8>)>,
    /// The record as logged, cut at [`ORIGINAL_MAX`] bytes.
    pub original: Vec<u8>,
    /// The record was longer than [`ORIGINAL_MAX`].
    pub original_cut: bool,
}

/// `event.original` is cut here, so one hostile line cannot bloat the output.
pub const ORIGINAL_MAX: usize = 2048;

#[derive(Clone, Debug)]
pub enum Subject {
    File(FileSubject),
    Log(LogSubject),
}

impl Subject {
    pub fn path(&self) -> &Path {
        match self {
            Subject::File(f) => &f.path,
            Subject::Log(l) => &l.path,
        }
    }
}

/// The indicator an IOC finding matched, and where.
#[derive(Clone, Debug)]
pub struct IndicatorHit {
    pub indicator: Indicator,
    /// The field (or `line`, `file.name`, `file.hash.sha256`, ...) that held it.
    pub field: String,
    /// The value seen there.
    pub matched: Vec<u8>,
}

impl IndicatorHit {
    /// The list's severity for this indicator, or `default`.
    pub fn severity(&self, default: Severity) -> Severity {
        self.indicator.severity.unwrap_or(default)
    }
}

/// Something found.
#[derive(Clone, Debug)]
pub struct Finding {
    pub timestamp: jiff::Timestamp,
    pub rule: RuleInfo,
    pub subject: Subject,
    pub matches: Vec<Match>,
    pub match_count: u64,
    /// For log rules: the selections that held.
    pub selections: Vec<String>,
    pub indicator: Option<IndicatorHit>,
    /// The other rules whose scores, summed with this one's, raised its severity.
    pub raised_by: Vec<String>,
    /// The summed score of the file's findings (file findings only; 0 otherwise).
    pub file_score: u32,
    /// The severity the rule itself gives, before any raise.
    pub rule_severity: Severity,
    /// File statistics the rule's condition compared (entropy, longest word, ...).
    pub measures: Vec<(crate::rules::Stat, f64)>,
    /// A finding made by joining others (a webshell's requests, a file dropped after an
    /// exploit).
    pub correlation: Option<Correlation>,
    /// Not an alert but a record of the intruder's activity (`event.kind: event`).
    pub pivot: Option<Box<Pivot>>,
}

impl Finding {
    /// A rule hit on a file whose contents are `buf`.
    pub fn from_hit(
        hit: RuleHit<'_>,
        path: &Path,
        buf: &[u8],
        modified: Option<SystemTime>,
        sha256: &str,
    ) -> Finding {
        Finding::new(
            RuleInfo::from_rule(hit.rule),
            Subject::File(FileSubject {
                path: path.to_path_buf(),
                size: buf.len() as u64,
                modified,
                sha256: sha256.to_owned(),
                more_hashes: Vec::new(),
            }),
            hit,
        )
    }

    /// A rule hit on a log record.
    pub fn from_record_hit(hit: RuleHit<'_>, subject: LogSubject) -> Finding {
        Finding::new(RuleInfo::from_rule(hit.rule), Subject::Log(subject), hit)
    }

    fn new(rule: RuleInfo, subject: Subject, hit: RuleHit<'_>) -> Finding {
        let mut f = Finding::bare(rule, subject);
        f.matches = hit.matches;
        f.match_count = hit.match_count;
        f.selections = hit.selections.into_iter().map(str::to_owned).collect();
        f.measures = hit.measures;
        f
    }

    /// A YARA rule that held on a file; the YARA module fills the rule from its meta.
    pub(crate) fn from_yara(
        rule: RuleInfo,
        subject: FileSubject,
        matches: Vec<Match>,
        match_count: u64,
    ) -> Finding {
        let mut f = Finding::bare(rule, Subject::File(subject));
        f.matches = matches;
        f.match_count = match_count;
        f
    }

    /// An IOC match, at the severity its list gives or else at `default`.
    pub fn from_indicator(hit: IndicatorHit, default: Severity, subject: Subject) -> Finding {
        let mut f = Finding::bare(
            RuleInfo::ioc(hit.indicator.kind, hit.severity(default)),
            subject,
        );
        f.match_count = 1;
        f.indicator = Some(hit);
        f
    }

    /// A finding with no matches yet; also the whole finding of a pseudo-rule that is not
    /// matched against contents (a baseline change).
    pub(crate) fn bare(rule: RuleInfo, subject: Subject) -> Finding {
        Finding {
            timestamp: jiff::Timestamp::now(),
            rule_severity: rule.severity,
            raised_by: Vec::new(),
            file_score: 0,
            rule,
            subject,
            matches: Vec::new(),
            match_count: 0,
            selections: Vec::new(),
            indicator: None,
            measures: Vec::new(),
            correlation: None,
            pivot: None,
        }
    }

    /// True for a line of the intruder's activity, which is not an alert: it is not counted
    /// as a finding and has no rule on the wire.
    pub fn is_event(&self) -> bool {
        self.pivot.is_some()
    }

    pub fn severity(&self) -> Severity {
        self.rule.severity
    }

    /// The line to show: a log record's line, or the earliest reported match in a file.
    pub fn line(&self) -> Option<u64> {
        match &self.subject {
            Subject::Log(l) => Some(l.line),
            Subject::File(_) => self.matches.first().map(|m| m.line),
        }
    }
}
