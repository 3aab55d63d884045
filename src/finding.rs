//! The finding: what a rule match becomes, and its ECS-shaped JSON form.
//!
//! One model feeds every writer, so the JSON and the text output can never disagree about
//! what was found.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use base64::Engine as _;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::engine::{Match, RuleHit};
use crate::ioc::{Indicator, Kind};
use crate::logs::{Field, LogFormat};
use crate::rules::{Rule, Severity};

/// Who scanned where: the same for every finding of a run.
#[derive(Clone, Debug)]
pub struct Observer {
    pub host_name: String,
    pub version: &'static str,
}

impl Observer {
    pub fn here() -> Observer {
        Observer {
            host_name: gethostname::gethostname().to_string_lossy().into_owned(),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

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
    /// How the record's time was read when the log does not say (SharePoint ULS).
    pub time_zone: Option<String>,
    /// The parsed fields, as logged.
    pub fields: Vec<(Field, Vec<u8>)>,
    /// The record as logged, cut at [`ORIGINAL_MAX`] bytes.
    pub original: Vec<u8>,
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

    fn bare(rule: RuleInfo, subject: Subject) -> Finding {
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
        }
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

    /// Deterministic across runs, so a SIEM can drop the duplicates of a re-run: the same
    /// rule (or indicator) on the same file contents, or on the same log record. Log ids
    /// leave out the file's name and the record's offset so that a rotated or compressed
    /// copy of a log gives the same ids as the original.
    pub fn event_id(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.rule.id.as_bytes());
        h.update([0]);
        if let Some(ind) = &self.indicator {
            h.update(ind.indicator.value.as_bytes());
            h.update([0]);
        }
        match &self.subject {
            Subject::File(f) => {
                h.update(path_bytes(&f.path).as_ref());
                h.update([0]);
                h.update(f.sha256.as_bytes());
            }
            Subject::Log(l) => {
                h.update(l.format.as_str().as_bytes());
                h.update([0]);
                h.update(&l.original);
            }
        }
        hex(&h.finalize()[..16])
    }

    /// The ECS document for this finding.
    pub fn to_ecs(&self, observer: &Observer) -> Value {
        let mut ext = Map::new();
        let matches: Vec<Value> = self
            .matches
            .iter()
            .map(|m| {
                let mut doc = json!({
                    "pattern": m.pattern,
                    "offset": m.offset,
                    "length": m.length,
                    "line": m.line,
                    "excerpt": escape_bytes(&m.excerpt),
                });
                if let Some(view) = &m.view_excerpt {
                    doc["view_excerpt"] = escape_bytes(view).into();
                }
                doc
            })
            .collect();
        if !matches.is_empty() {
            ext.insert("matches".into(), Value::Array(matches));
            ext.insert("match_count".into(), self.match_count.into());
        }
        if !self.selections.is_empty() {
            ext.insert("selections".into(), self.selections.clone().into());
        }
        if !self.measures.is_empty() {
            let m: Map<String, Value> = self
                .measures
                .iter()
                .map(|(s, v)| (s.name().to_owned(), json!(v)))
                .collect();
            ext.insert("measures".into(), Value::Object(m));
        }
        if self.file_score > 0 {
            ext.insert("score".into(), self.file_score.into());
        }
        if !self.raised_by.is_empty() {
            ext.insert("raised_by".into(), self.raised_by.clone().into());
            ext.insert("rule_severity".into(), self.rule_severity.as_str().into());
        }
        let (category, dataset) = match &self.subject {
            Subject::File(_) => (json!(["malware", "file"]), "shellsweep.file"),
            Subject::Log(_) => (json!(["intrusion_detection", "web"]), "shellsweep.log"),
        };
        if self.subject.path().to_str().is_none() {
            let raw =
                base64::engine::general_purpose::STANDARD.encode(path_bytes(self.subject.path()));
            ext.insert("path_bytes".into(), raw.into());
        }
        let mut doc = json!({
            "@timestamp": rfc3339(self.timestamp),
            "message": self.message(),
            "event": {
                "kind": "alert",
                "category": category,
                "type": ["info"],
                "module": "shellsweep",
                "dataset": dataset,
                "id": self.event_id(),
                "severity": self.rule.severity.ecs_score(),
                "severity_name": self.rule.severity.as_str(),
            },
            "rule": {
                "id": self.rule.id,
                "name": self.rule.name,
                "description": self.rule.description,
                "reference": self.rule.references,
                "author": [self.rule.author],
                "ruleset": self.rule.ruleset,
            },
            "host": { "name": observer.host_name },
            "observer": { "product": "shellsweep", "vendor": "shellsweep", "version": observer.version },
        });
        let obj = doc.as_object_mut().expect("object");
        match &self.subject {
            Subject::File(f) => {
                obj.insert("file".into(), file_ecs(f));
                if let Some(line) = self.line() {
                    ext.insert("line".into(), line.into());
                }
            }
            Subject::Log(l) => log_ecs(obj, &mut ext, l),
        }
        if !self.rule.tags.is_empty() {
            obj.insert("tags".into(), self.rule.tags.clone().into());
        }
        let mut threat = attack_threat(&self.rule.tags);
        if let Some(hit) = &self.indicator {
            let t = threat.get_or_insert_with(|| json!({}));
            t["indicator"] = indicator_ecs(hit);
            ext.insert(
                "ioc".into(),
                json!({ "list": &*hit.indicator.list, "line": hit.indicator.line, "field": hit.field, "matched": escape_bytes(&hit.matched) }),
            );
        }
        if let Some(t) = threat {
            obj.insert("threat".into(), t);
        }
        obj.insert("shellsweep".into(), Value::Object(ext));
        doc
    }

    fn message(&self) -> String {
        let name = &self.rule.name;
        match &self.subject {
            Subject::File(f) => format!("{name} in {}", f.path.to_string_lossy()),
            Subject::Log(l) => {
                let get = |want: Field| {
                    l.fields
                        .iter()
                        .find(|(f, _)| *f == want)
                        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
                };
                let request = match (get(Field::Method), get(Field::UriStem)) {
                    (Some(m), Some(s)) => format!(": {m} {s}"),
                    (None, Some(s)) => format!(": {s}"),
                    _ => String::new(),
                };
                let from = get(Field::ClientIp)
                    .map(|ip| format!(" from {ip}"))
                    .unwrap_or_default();
                format!(
                    "{name}{request}{from} ({}:{})",
                    l.path.to_string_lossy(),
                    l.line
                )
            }
        }
    }
}

fn file_ecs(f: &FileSubject) -> Value {
    let mut file = json!({
        "path": f.path.to_string_lossy(),
        "size": f.size,
    });
    let o = file.as_object_mut().expect("object");
    // Empty when the file was too large to read (a name IOC still reports it).
    if !f.sha256.is_empty() {
        let mut hash = json!({ "sha256": f.sha256 });
        for (algo, digest) in &f.more_hashes {
            hash[*algo] = digest.clone().into();
        }
        o.insert("hash".into(), hash);
    }
    if let Some(name) = f.path.file_name() {
        o.insert("name".into(), name.to_string_lossy().into());
    }
    if let Some(dir) = f.path.parent().filter(|d| !d.as_os_str().is_empty()) {
        o.insert("directory".into(), dir.to_string_lossy().into());
    }
    if let Some(ext) = f.path.extension() {
        o.insert("extension".into(), ext.to_string_lossy().into());
    }
    if let Some(m) = f.modified.and_then(|m| jiff::Timestamp::try_from(m).ok()) {
        o.insert("mtime".into(), rfc3339(m).into());
    }
    file
}

/// The ECS fields of a log record: `log.file.path`, `source.ip`, `url.*`, `http.*`,
/// `user_agent.original`, `user.name`, `event.start`, `event.original`.
fn log_ecs(obj: &mut Map<String, Value>, ext: &mut Map<String, Value>, l: &LogSubject) {
    let text = |v: &[u8]| Value::String(escape_bytes(v));
    let get = |want: Field| {
        l.fields
            .iter()
            .find(|(f, _)| *f == want)
            .map(|(_, v)| v.as_slice())
    };
    obj.insert(
        "log".into(),
        json!({ "file": { "path": l.path.to_string_lossy() } }),
    );
    let event = obj
        .get_mut("event")
        .and_then(Value::as_object_mut)
        .expect("event");
    if let Some(t) = l.time {
        event.insert("start".into(), rfc3339(t).into());
    }
    event.insert("original".into(), text(&l.original));
    if let Some(ip) = get(Field::ClientIp) {
        let first = ip
            .split(|&b| b == b',' || b == b' ')
            .find(|a| !a.is_empty())
            .unwrap_or(ip);
        match crate::ioc::parse_logged_addr(first) {
            Some(addr) => obj.insert("source".into(), json!({ "ip": addr.to_string() })),
            None => obj.insert("source".into(), json!({ "address": text(ip) })),
        };
    }
    let mut url = Map::new();
    if let Some(v) = get(Field::UriStem) {
        url.insert("path".into(), text(v));
    }
    if let Some(v) = get(Field::UriQuery) {
        url.insert("query".into(), text(v));
    }
    if let Some(v) = get(Field::Host) {
        url.insert("domain".into(), text(v));
    }
    if !url.is_empty() {
        obj.insert("url".into(), Value::Object(url));
    }
    let mut http = json!({});
    if let Some(v) = get(Field::Method) {
        http["request"]["method"] = text(v);
    }
    if let Some(v) = get(Field::Referer) {
        http["request"]["referrer"] = text(v);
    }
    if let Some(v) = get(Field::Status) {
        http["response"]["status_code"] = match std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
        {
            Some(n) => n.into(),
            None => text(v),
        };
    }
    if let Some(v) = get(Field::Version) {
        http["version"] = text(v.strip_prefix(b"HTTP/").unwrap_or(v));
    }
    if http.as_object().is_some_and(|o| !o.is_empty()) {
        obj.insert("http".into(), http);
    }
    if let Some(v) = get(Field::UserAgent) {
        obj.insert("user_agent".into(), json!({ "original": text(v) }));
    }
    if let Some(v) = get(Field::Username) {
        obj.insert("user".into(), json!({ "name": text(v) }));
    }
    let mut log = json!({ "format": l.format.as_str(), "line": l.line, "offset": l.offset });
    if let Some(z) = &l.time_zone {
        log["time_zone"] = z.clone().into();
    }
    let fields: Map<String, Value> = l
        .fields
        .iter()
        .map(|(f, v)| (f.name().to_owned(), text(v)))
        .collect();
    log["fields"] = Value::Object(fields);
    ext.insert("log".into(), log);
}

fn indicator_ecs(hit: &IndicatorHit) -> Value {
    let ind = &hit.indicator;
    let mut v = json!({
        "type": ind.kind.ecs_type(),
        "provider": &*ind.list,
        "description": ind.description.clone().unwrap_or_else(|| format!("{} from {} line {}", ind.kind.as_str(), ind.list, ind.line)),
    });
    match ind.kind {
        Kind::Ipv4 | Kind::Ipv6 => v["ip"] = ind.value.clone().into(),
        Kind::Cidr => v["ip"] = escape_bytes(&hit.matched).into(),
        Kind::Domain => v["url"] = json!({ "domain": ind.value }),
        Kind::Url => v["url"] = json!({ "original": ind.value }),
        Kind::Md5 => v["file"] = json!({ "hash": { "md5": ind.value } }),
        Kind::Sha1 => v["file"] = json!({ "hash": { "sha1": ind.value } }),
        Kind::Sha256 => v["file"] = json!({ "hash": { "sha256": ind.value } }),
        Kind::FileName => v["file"] = json!({ "name": ind.value }),
        Kind::PathRegex | Kind::PathGlob => {
            v["file"] = json!({ "path": escape_bytes(&hit.matched) })
        }
    }
    v
}

/// ECS `threat.*` from ATT&CK tags such as `attack.t1505.003`.
fn attack_threat(tags: &[String]) -> Option<Value> {
    let mut techniques = Vec::new();
    let mut subtechniques = Vec::new();
    for t in tags {
        let Some(id) = t
            .to_ascii_lowercase()
            .strip_prefix("attack.t")
            .map(str::to_owned)
        else {
            continue;
        };
        if !id.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        let id = format!("T{}", id.to_ascii_uppercase());
        let technique = id.split('.').next().unwrap_or(&id).to_owned();
        if !techniques.contains(&technique) {
            techniques.push(technique);
        }
        if id.contains('.') && !subtechniques.contains(&id) {
            subtechniques.push(id);
        }
    }
    if techniques.is_empty() {
        return None;
    }
    let mut technique = json!({ "id": techniques });
    if !subtechniques.is_empty() {
        technique["subtechnique"] = json!({ "id": subtechniques });
    }
    Some(json!({ "framework": "MITRE ATT&CK", "technique": technique }))
}

/// RFC 3339 in UTC with millisecond precision.
pub fn rfc3339(t: jiff::Timestamp) -> String {
    format!("{t:.3}")
}

/// The exact bytes of a path (lossy only where the platform has no byte form).
pub fn path_bytes(path: &Path) -> std::borrow::Cow<'_, [u8]> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::borrow::Cow::Borrowed(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        std::borrow::Cow::Owned(path.to_string_lossy().into_owned().into_bytes())
    }
}

/// Bytes as a JSON-safe string without loss: valid UTF-8 is kept as is (the JSON encoder
/// escapes control characters), each invalid byte becomes `\xNN`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a buffer, in lowercase hex.
pub fn sha256_hex(buf: &[u8]) -> String {
    hex(&Sha256::digest(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_tags_become_threat_fields() {
        let t = attack_threat(&[
            "attack.persistence".into(),
            "attack.t1505.003".into(),
            "attack.T1190".into(),
        ])
        .unwrap();
        assert_eq!(t["technique"]["id"], json!(["T1505", "T1190"]));
        assert_eq!(t["technique"]["subtechnique"]["id"], json!(["T1505.003"]));
        assert!(attack_threat(&["attack.persistence".into()]).is_none());
    }

    #[test]
    fn escape_keeps_utf8_and_marks_invalid_bytes() {
        assert_eq!(escape_bytes(b"ok \xff\xfe \xc3\xa9"), "ok \\xff\\xfe é");
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_millis() {
        let t: jiff::Timestamp = "2025-07-19T07:13:02.123456Z".parse().unwrap();
        assert_eq!(rfc3339(t), "2025-07-19T07:13:02.123Z");
    }
}
