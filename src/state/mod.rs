//! Incremental sweeps: what earlier runs scanned, so a cron or timer run reads only what is
//! new.
//!
//! Files are remembered by their stamp (device, inode, size, modification and change time);
//! an unchanged file is skipped. Logs are remembered by a fingerprint of their first KiB of
//! decoded text and by the offset and number of the next line to read: a grown log resumes
//! there, a log that shrank (copytruncate) starts again, and a log renamed or compressed by
//! logrotate is recognised by its fingerprint and not read twice. Any change to the rules,
//! IOC lists, severity floor or options that change what a finding says (the ruleset hash)
//! starts afresh; allowlists are not part of it, as they are applied to carried-over
//! findings too.
//!
//! An unchanged file is not read again, but what was found in it is still there: the state
//! keeps each file's findings (their ECS documents, bounded in number and size), and a sweep
//! reports them again, marked as carried over, until the file changes (it is rescanned and
//! its old findings dropped), goes away, or an allowlist silences them. So a second sweep
//! over a web root with a webshell still exits 1. Log findings are reported once: they are
//! past requests, and a log is never read twice.
//!
//! The state is written only after the findings it covers were written, to a temporary file
//! renamed over the old one; a run killed before that leaves the old state, so the next run
//! repeats work, and the repeated findings carry the same `event.id`.

mod lock;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use lock::{Lock, LockError};

use crate::finding::{Finding, Observer, Subject, hex, path_bytes, rfc3339};
use crate::read::Stamp;
use crate::rules::Severity;

/// 2: files carry their findings. A version-1 state has none, so its files are scanned
/// again (its logs resume: log findings are not carried).
const VERSION: u32 = 2;
/// At most this many findings of one file are kept for carrying over...
const MAX_CARRIED: usize = 100;
/// ...and at most this many bytes of their JSON, so a hostile file cannot bloat the state.
const MAX_CARRIED_BYTES: usize = 256 * 1024;
/// How much of a log's decoded text makes its fingerprint.
pub const FINGERPRINT_LEN: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a shellsweep state file ({source}); remove it to start afresh")]
    Corrupt {
        path: String,
        #[source]
        source: serde_json::Error,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileEntry {
    /// The path's exact bytes, base64.
    pub path: String,
    pub stamp: Stamp,
    /// What was found in the file when it was scanned (before any allowlist).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Carried>,
}

/// A finding kept in the state, to be reported again while its file is unchanged.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Carried {
    /// When the finding was first reported (RFC 3339).
    pub first_seen: String,
    /// Its ECS document, without `@timestamp`, `host` and `observer` (set when written).
    pub doc: serde_json::Value,
}

impl Carried {
    pub fn rule_id(&self) -> &str {
        self.doc["rule"]["id"].as_str().unwrap_or_default()
    }

    pub fn sha256(&self) -> Option<&str> {
        self.doc["file"]["hash"]["sha256"].as_str()
    }

    /// Its severity; a document this version cannot read counts as high, so that it is not
    /// lost or played down.
    pub fn severity(&self) -> Severity {
        let name = self.doc["event"]["severity_name"].as_str();
        Severity::ALL
            .iter()
            .copied()
            .find(|s| Some(s.as_str()) == name)
            .unwrap_or(Severity::High)
    }
}

/// The findings of one file in the form the state keeps, most severe first, within the
/// bounds. Only file findings: log findings are reported once.
pub fn to_carry(findings: &[Finding]) -> Vec<Carried> {
    let placeholder = Observer {
        host_name: String::new(),
        version: "",
    };
    let mut sorted: Vec<&Finding> = findings
        .iter()
        .filter(|f| matches!(f.subject, Subject::File(_)))
        .collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.severity()));
    let mut out = Vec::new();
    let mut bytes = 0;
    for f in sorted.into_iter().take(MAX_CARRIED) {
        let mut doc = f.to_ecs(&placeholder);
        if let Some(o) = doc.as_object_mut() {
            for k in ["@timestamp", "host", "observer"] {
                o.remove(k);
            }
        }
        bytes += doc.to_string().len();
        if bytes > MAX_CARRIED_BYTES && !out.is_empty() {
            break;
        }
        out.push(Carried {
            first_seen: rfc3339(f.timestamp),
            doc,
        });
    }
    out
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LogEntry {
    pub path: String,
    pub stamp: Stamp,
    /// SHA-256 of the first `fingerprint_len` bytes of decoded text.
    pub fingerprint: String,
    pub fingerprint_len: usize,
    /// Where the next sweep resumes: the next line's number and decoded byte offset.
    pub next_line: u64,
    pub offset: u64,
    /// For IIS logs: the `#Fields` directive in force at `offset`.
    #[serde(default)]
    pub iis_fields: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    version: u32,
    ruleset: String,
    files: Vec<FileEntry>,
    logs: Vec<LogEntry>,
}

/// What the previous run left, for lookups.
#[derive(Debug, Default)]
pub struct Previous {
    files: HashMap<String, FileEntry>,
    logs: HashMap<(usize, String), LogEntry>,
    /// Distinct fingerprint lengths, for logs that were shorter than a KiB last time.
    lengths: Vec<usize>,
    /// Why less than the whole state could be used, for a notice.
    pub notice: Option<String>,
}

impl Previous {
    /// Loads a state file; a missing one, or one made with other rules, is an empty state.
    pub fn load(path: &Path, ruleset: &str) -> Result<Previous, StateError> {
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Previous::default()),
            Err(source) => {
                return Err(StateError::Io {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        let mut state: StateFile =
            serde_json::from_slice(&text).map_err(|source| StateError::Corrupt {
                path: path.display().to_string(),
                source,
            })?;
        let shown = path.display();
        let mut notice = None;
        match state.version {
            VERSION => {}
            1 => {
                notice = Some(format!(
                    "{shown}: state of an earlier version (no findings kept): files are scanned \
                     again, logs resume"
                ));
                state.files.clear();
            }
            v => {
                return Ok(Previous {
                    notice: Some(format!(
                        "{shown}: state version {v} is not known to this shellsweep: starting afresh"
                    )),
                    ..Previous::default()
                });
            }
        }
        if state.ruleset != ruleset {
            return Ok(Previous {
                notice,
                ..Previous::default()
            });
        }
        let mut lengths: Vec<usize> = state.logs.iter().map(|l| l.fingerprint_len).collect();
        lengths.sort_unstable();
        lengths.dedup();
        Ok(Previous {
            files: state
                .files
                .into_iter()
                .map(|f| (f.path.clone(), f))
                .collect(),
            logs: state
                .logs
                .into_iter()
                .map(|l| ((l.fingerprint_len, l.fingerprint.clone()), l))
                .collect(),
            lengths,
            notice,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.logs.is_empty()
    }

    /// The entry of an unchanged file.
    pub fn unchanged_file(&self, path: &Path, stamp: &Stamp) -> Option<&FileEntry> {
        self.files
            .get(&path_key(path))
            .filter(|f| f.stamp == *stamp)
    }

    /// The entry of a log whose text begins like `head` (decoded text from its start).
    pub fn log(&self, head: &[u8]) -> Option<&LogEntry> {
        self.lengths.iter().rev().find_map(|&len| {
            if head.len() < len {
                return None;
            }
            self.logs.get(&(len, fingerprint(&head[..len])))
        })
    }
}

/// What this run learned, collected from all threads.
#[derive(Debug, Default)]
pub struct Collector {
    files: Mutex<Vec<FileEntry>>,
    logs: Mutex<Vec<LogEntry>>,
}

impl Collector {
    pub fn file(&self, path: &Path, stamp: Stamp, findings: Vec<Carried>) {
        self.files.lock().expect("state lock").push(FileEntry {
            path: path_key(path),
            stamp,
            findings,
        });
    }

    pub fn log(
        &self,
        path: &Path,
        stamp: Stamp,
        head: &[u8],
        next: (u64, u64),
        iis_fields: Option<&[u8]>,
    ) {
        let (next_line, offset) = next;
        let len = head.len().min(FINGERPRINT_LEN);
        self.logs.lock().expect("state lock").push(LogEntry {
            path: path_key(path),
            stamp,
            fingerprint: fingerprint(&head[..len]),
            fingerprint_len: len,
            next_line,
            offset,
            iis_fields: iis_fields.map(|f| String::from_utf8_lossy(f).into_owned()),
        });
    }

    /// Writes the state atomically: a temporary file beside it, synced, renamed over it.
    pub fn save(&self, path: &Path, ruleset: &str) -> Result<(), StateError> {
        let mut logs = self.logs.lock().expect("state lock").clone();
        // A log and its rotated copy share a fingerprint: keep the one read furthest.
        logs.sort_by(|a, b| {
            (a.fingerprint_len, &a.fingerprint, b.offset).cmp(&(
                b.fingerprint_len,
                &b.fingerprint,
                a.offset,
            ))
        });
        logs.dedup_by(|a, b| {
            a.fingerprint_len == b.fingerprint_len && a.fingerprint == b.fingerprint
        });
        let state = StateFile {
            version: VERSION,
            ruleset: ruleset.to_owned(),
            files: self.files.lock().expect("state lock").clone(),
            logs,
        };
        let io = |source| StateError::Io {
            path: path.display().to_string(),
            source,
        };
        let tmp = tmp_path(path);
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            serde_json::to_writer(&mut f, &state).map_err(std::io::Error::other)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(io)?;
        // The rename is durable only once the folder is synced: a crash could otherwise
        // bring back the old state after the output of this run was written.
        sync_dir(path);
        Ok(())
    }
}

/// Best effort: not every system or file system can sync a folder.
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".tmp.{}", std::process::id()));
    path.with_file_name(name)
}

fn path_key(path: &Path) -> String {
    base64::engine::general_purpose::STANDARD.encode(path_bytes(path))
}

fn fingerprint(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A hash of everything that decides what a sweep finds: a change rescans everything.
pub fn ruleset_hash(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_lookups() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let c = Collector::default();
        let stamp = Stamp {
            dev: 1,
            ino: 2,
            size: 3,
            mtime_ns: 4,
            ctime_ns: 5,
        };
        let carried = Carried {
            first_seen: "2025-07-19T10:00:00.000Z".into(),
            doc: serde_json::json!({
                "rule": { "id": "R-1" },
                "event": { "severity_name": "critical" },
                "file": { "hash": { "sha256": "ab" } },
            }),
        };
        c.file(Path::new("/w/a.php"), stamp, vec![carried]);
        c.log(
            Path::new("/l/access.log"),
            stamp,
            b"line one\nline two\n",
            (3, 18),
            Some(b"#Fields: date time"),
        );
        c.log(
            Path::new("/l/access.log.1"),
            stamp,
            b"line one\nline two\n",
            (2, 9),
            None,
        );
        c.save(&state, "R").unwrap();
        let p = Previous::load(&state, "R").unwrap();
        let kept = &p
            .unchanged_file(Path::new("/w/a.php"), &stamp)
            .unwrap()
            .findings;
        assert_eq!(kept.len(), 1);
        assert_eq!(
            (kept[0].rule_id(), kept[0].sha256(), kept[0].severity()),
            ("R-1", Some("ab"), Severity::Critical)
        );
        assert!(p.notice.is_none());
        assert!(
            p.unchanged_file(Path::new("/w/a.php"), &Stamp { size: 9, ..stamp })
                .is_none()
        );
        let l = p.log(b"line one\nline two\nline three\n").unwrap();
        assert_eq!(
            (l.next_line, l.offset),
            (3, 18),
            "the furthest-read copy is kept"
        );
        assert!(p.log(b"other\n").is_none());
        assert!(Previous::load(&state, "other rules").unwrap().is_empty());

        // Version 1 kept no findings: its files are dropped (scanned again), its logs kept.
        let mut v1: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
        v1["version"] = 1.into();
        std::fs::write(&state, v1.to_string()).unwrap();
        let old = Previous::load(&state, "R").unwrap();
        assert!(old.notice.is_some());
        assert!(old.unchanged_file(Path::new("/w/a.php"), &stamp).is_none());
        assert!(old.log(b"line one\nline two\n").is_some());
        v1["version"] = 99.into();
        std::fs::write(&state, v1.to_string()).unwrap();
        let future = Previous::load(&state, "R").unwrap();
        assert!(future.is_empty() && future.notice.is_some());
        std::fs::write(&state, b"{not json").unwrap();
        assert!(matches!(
            Previous::load(&state, "R"),
            Err(StateError::Corrupt { .. })
        ));
        assert!(
            Previous::load(&dir.path().join("missing.json"), "R")
                .unwrap()
                .is_empty()
        );
    }
}
