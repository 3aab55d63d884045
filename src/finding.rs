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
use crate::rules::Severity;

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

/// A rule that fired on a file.
#[derive(Clone, Debug)]
pub struct Finding {
    pub timestamp: jiff::Timestamp,
    pub rule_id: String,
    pub rule_name: String,
    pub rule_description: String,
    pub rule_references: Vec<String>,
    pub rule_author: String,
    pub ruleset: String,
    pub tags: Vec<String>,
    pub severity: Severity,
    /// The path as found: absolute when the scanned argument was.
    pub path: PathBuf,
    pub size: u64,
    pub modified: Option<SystemTime>,
    pub sha256: String,
    pub matches: Vec<Match>,
    pub match_count: u64,
}

impl Finding {
    /// Builds a finding for a rule hit on a file whose contents are `buf`.
    pub fn from_hit(
        hit: RuleHit<'_>,
        path: &Path,
        buf: &[u8],
        modified: Option<SystemTime>,
        sha256: &str,
    ) -> Finding {
        let r = hit.rule;
        Finding {
            timestamp: jiff::Timestamp::now(),
            rule_id: r.id.clone(),
            rule_name: r.name.clone(),
            rule_description: r.description.clone(),
            rule_references: r.references.clone(),
            rule_author: r.author.clone(),
            ruleset: r.ruleset.to_string(),
            tags: r.tags.clone(),
            severity: r.severity,
            path: path.to_path_buf(),
            size: buf.len() as u64,
            modified,
            sha256: sha256.to_owned(),
            matches: hit.matches,
            match_count: hit.match_count,
        }
    }

    /// The line of the earliest reported match.
    pub fn line(&self) -> Option<u64> {
        self.matches.first().map(|m| m.line)
    }

    /// Deterministic across runs: the same rule on the same path with the same contents gives
    /// the same id, so a SIEM can drop duplicates of a re-run.
    pub fn event_id(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.rule_id.as_bytes());
        h.update([0]);
        h.update(path_bytes(&self.path).as_ref());
        h.update([0]);
        h.update(self.sha256.as_bytes());
        hex(&h.finalize()[..16])
    }

    /// The ECS document for this finding.
    pub fn to_ecs(&self, observer: &Observer) -> Value {
        let path_text = self.path.to_string_lossy();
        let mut file = json!({
            "path": path_text,
            "size": self.size,
            "hash": { "sha256": self.sha256 },
        });
        let f = file.as_object_mut().expect("object");
        if let Some(name) = self.path.file_name() {
            f.insert("name".into(), name.to_string_lossy().into());
        }
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            f.insert("directory".into(), dir.to_string_lossy().into());
        }
        if let Some(ext) = self.path.extension() {
            f.insert("extension".into(), ext.to_string_lossy().into());
        }
        if let Some(m) = self
            .modified
            .and_then(|m| jiff::Timestamp::try_from(m).ok())
        {
            f.insert("mtime".into(), rfc3339(m).into());
        }
        let matches: Vec<Value> = self
            .matches
            .iter()
            .map(|m| {
                json!({
                    "pattern": m.pattern,
                    "offset": m.offset,
                    "length": m.length,
                    "line": m.line,
                    "excerpt": escape_bytes(&m.excerpt),
                })
            })
            .collect();
        let mut ext = Map::new();
        ext.insert("matches".into(), Value::Array(matches));
        ext.insert("match_count".into(), self.match_count.into());
        if let Some(line) = self.line() {
            ext.insert("line".into(), line.into());
        }
        if path_text.contains('\u{FFFD}') && self.path.to_str().is_none() {
            let raw = base64::engine::general_purpose::STANDARD.encode(path_bytes(&self.path));
            ext.insert("path_bytes".into(), raw.into());
        }
        let mut doc = json!({
            "@timestamp": rfc3339(self.timestamp),
            "message": format!("{} in {}", self.rule_name, path_text),
            "event": {
                "kind": "alert",
                "category": ["malware", "file"],
                "type": ["info"],
                "module": "shellsweep",
                "dataset": "shellsweep.file",
                "id": self.event_id(),
                "severity": self.severity.ecs_score(),
            },
            "rule": {
                "id": self.rule_id,
                "name": self.rule_name,
                "description": self.rule_description,
                "reference": self.rule_references,
                "author": [self.rule_author],
                "ruleset": self.ruleset,
            },
            "file": file,
            "host": { "name": observer.host_name },
            "observer": { "product": "shellsweep", "vendor": "shellsweep", "version": observer.version },
            "shellsweep": ext,
        });
        let obj = doc.as_object_mut().expect("object");
        obj.get_mut("event")
            .and_then(Value::as_object_mut)
            .expect("event")
            .insert("severity_name".into(), self.severity.as_str().into());
        if !self.tags.is_empty() {
            obj.insert("tags".into(), self.tags.clone().into());
        }
        if let Some(threat) = attack_threat(&self.tags) {
            obj.insert("threat".into(), threat);
        }
        doc
    }
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
