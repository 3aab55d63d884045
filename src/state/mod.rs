//! Incremental sweeps: what earlier runs scanned, so a cron or timer run reads only what is
//! new.
//!
//! Files are remembered by their stamp (device, inode, size, modification and change time);
//! an unchanged file is skipped. Logs are remembered by their identity (device and inode)
//! and by the offset and number of the next line to read, with two fingerprints that tell
//! whether the text is still the one read: a hash of its first KiB and of the KiB before the
//! resume point. A grown log resumes there; a log that shrank or was rewritten
//! (copytruncate) fails a fingerprint and starts again; a log renamed by logrotate keeps its
//! inode; a copy or compressed copy (a new inode) is recognised by both fingerprints, so two
//! logs that merely start alike (the same health-check lines) never share a place. Any change to the rules,
//! IOC lists, severity floor or options that change what a finding says (the ruleset hash)
//! starts afresh; allowlists are not part of it, as they are applied to carried-over
//! findings too.
//!
//! An unchanged file is not read again, but what was found in it is still there: the state
//! keeps each file's findings (their ECS documents, bounded in number and size), and a sweep
//! reports them again, marked as carried over, until the file changes (it is rescanned and
//! its old findings dropped), goes away, or an allowlist silences them. So a second sweep
//! over a web root with a webshell still exits 1. Log findings are reported once: they are
//! past requests. A log's resume point never passes what could not be matched yet (an
//! unterminated last line, a ULS record waiting for its continuation, a record after
//! `--until`); what is read again to get back to it is not reported again (see
//! docs/SCHEDULING.md).
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

pub use lock::Lock;

use crate::common::bytes::{hex, path_bytes};
pub use crate::output::carried::{Carried, to_carry};
use crate::read::Stamp;

/// 2: files carry their findings. A version-1 state has none, so its files are scanned
/// again (its logs resume: log findings are not carried).
/// 3: logs are keyed by device and inode, with the fingerprint of the text before the resume
/// point, what is held for a later sweep and the time window. The logs of an older state
/// resume only where the same inode still starts with the same text (nothing else is known
/// to tell two logs apart).
const VERSION: u32 = 3;
/// How much of a log's decoded text makes its fingerprint.
pub const FINGERPRINT_LEN: usize = 1024;
/// How much of the text before the resume point makes its fingerprint.
pub const TAIL_LEN: usize = 1024;

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
    /// SHA-256 of the `tail_len` bytes of decoded text before `offset`; absent in states of
    /// version 2 and earlier, and when it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<String>,
    #[serde(default)]
    pub tail_len: usize,
    /// Where reading stopped. Records between `offset` and here were looked at and, inside
    /// the window below, reported, except those that start at an offset in `pending`
    /// (a SharePoint ULS record waiting for its continuation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_to: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<u64>,
    /// The `--since`/`--until` of the sweep that read it (RFC 3339), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

impl LogEntry {
    /// Where reading stopped (see `read_to`).
    pub fn read_to(&self) -> u64 {
        self.read_to.unwrap_or(self.offset).max(self.offset)
    }

    /// Whether `text` (the decoded text before `offset`, or its end) is what was read.
    pub fn tail_matches(&self, before: &[u8]) -> bool {
        match &self.tail {
            Some(t) => {
                before.len() >= self.tail_len
                    && *t == fingerprint(&before[before.len() - self.tail_len..])
            }
            None => false,
        }
    }

    /// Whether the entry was made for a file at `path`.
    pub fn is_at(&self, path: &Path) -> bool {
        self.path == path_key(path)
    }

    /// The `--since`/`--until` in force when it was read.
    pub fn window(&self) -> crate::logs::Window {
        let parse = |t: &Option<String>| t.as_deref().and_then(|t| t.parse().ok());
        crate::logs::Window {
            since: parse(&self.since),
            until: parse(&self.until),
        }
    }

    /// Whether the log starts with the text it started with when read.
    pub fn head_matches(&self, head: &[u8]) -> bool {
        head.len() >= self.fingerprint_len
            && fingerprint(&head[..self.fingerprint_len]) == self.fingerprint
    }
}

/// What a sweep learned about one log, for the next one.
#[derive(Clone, Debug, Default)]
pub struct LogProgress {
    /// Where the next sweep resumes: the next line's number and decoded byte offset.
    pub next: (u64, u64),
    /// Where reading stopped (at or after `next.1`).
    pub read_to: u64,
    /// Start offsets of records held for a later sweep.
    pub pending: Vec<u64>,
    pub iis_fields: Option<Vec<u8>>,
    /// The decoded text before `next.1` (its last [`TAIL_LEN`] bytes, or all of it when
    /// shorter), when it could be read.
    pub tail: Option<Vec<u8>>,
    pub since: Option<jiff::Timestamp>,
    pub until: Option<jiff::Timestamp>,
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
    logs: Vec<LogEntry>,
    /// Indexes into `logs` by identity (see [`identity`])...
    by_id: HashMap<(u64, u64, String), usize>,
    /// ...and by head fingerprint (length, hash), for copies under a new inode.
    by_head: HashMap<(usize, String), Vec<usize>>,
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
            2 => {
                notice = Some(format!(
                    "{shown}: state of an earlier version: logs resume only where their inode \
                     still starts with the same text, other logs are read from the start"
                ));
            }
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
        if state.version < VERSION {
            for l in &mut state.logs {
                l.tail = None;
            }
        }
        let mut lengths: Vec<usize> = state.logs.iter().map(|l| l.fingerprint_len).collect();
        lengths.sort_unstable();
        lengths.dedup();
        let mut by_id = HashMap::new();
        let mut by_head: HashMap<(usize, String), Vec<usize>> = HashMap::new();
        for (i, l) in state.logs.iter().enumerate() {
            by_id.insert(identity(&l.stamp, &l.path), i);
            by_head
                .entry((l.fingerprint_len, l.fingerprint.clone()))
                .or_default()
                .push(i);
        }
        Ok(Previous {
            files: state
                .files
                .into_iter()
                .map(|f| (f.path.clone(), f))
                .collect(),
            logs: state.logs,
            by_id,
            by_head,
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

    /// The entries a log with this stamp whose decoded text begins like `head` may resume
    /// from, best first: its own inode's (if it still starts the same), then those of logs
    /// it may be a copy of (same start, another inode, with a tail fingerprint to check),
    /// furthest first. Each is only a candidate until the text before its offset matches.
    pub fn log_candidates(
        &self,
        stamp: &Stamp,
        path: &Path,
        head: &[u8],
    ) -> Vec<(&LogEntry, bool)> {
        let mut out = Vec::new();
        let id = identity(stamp, &path_key(path));
        let own = self.by_id.get(&id).map(|&i| &self.logs[i]);
        if let Some(e) = own.filter(|e| e.head_matches(head)) {
            out.push((e, true));
        }
        let mut copies: Vec<&LogEntry> = self
            .lengths
            .iter()
            .filter(|&&len| head.len() >= len)
            .filter_map(|&len| self.by_head.get(&(len, fingerprint(&head[..len]))))
            .flatten()
            .map(|&i| &self.logs[i])
            .filter(|e| identity(&e.stamp, &e.path) != id && e.tail.is_some())
            .collect();
        copies.sort_by_key(|e| std::cmp::Reverse(e.offset));
        out.extend(copies.into_iter().map(|e| (e, false)));
        out
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

    pub fn log(&self, path: &Path, stamp: Stamp, head: &[u8], p: LogProgress) {
        let (next_line, offset) = p.next;
        let len = head.len().min(FINGERPRINT_LEN);
        let tail = p
            .tail
            .as_deref()
            .map(|t| &t[t.len().saturating_sub(TAIL_LEN)..]);
        self.logs.lock().expect("state lock").push(LogEntry {
            path: path_key(path),
            stamp,
            fingerprint: fingerprint(&head[..len]),
            fingerprint_len: len,
            next_line,
            offset,
            iis_fields: p
                .iis_fields
                .map(|f| String::from_utf8_lossy(&f).into_owned()),
            tail: tail.map(fingerprint),
            tail_len: tail.map_or(0, <[u8]>::len),
            read_to: (p.read_to > offset).then_some(p.read_to),
            pending: p.pending,
            since: p.since.map(|t| t.to_string()),
            until: p.until.map(|t| t.to_string()),
        });
    }

    /// Writes the state atomically: a temporary file beside it, synced, renamed over it.
    pub fn save(&self, path: &Path, ruleset: &str) -> Result<(), StateError> {
        let mut logs = self.logs.lock().expect("state lock").clone();
        // One entry per file (a log named twice, or by a hard link): the one read furthest.
        logs.sort_by_key(|l| (identity(&l.stamp, &l.path), std::cmp::Reverse(l.offset)));
        logs.dedup_by_key(|l| identity(&l.stamp, &l.path));
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

/// What tells one log file from another: its device and inode, or its path (as keyed) where
/// the platform gives no inode (both are 0).
fn identity(stamp: &Stamp, path_key: &str) -> (u64, u64, String) {
    if stamp.dev == 0 && stamp.ino == 0 {
        (0, 0, path_key.to_owned())
    } else {
        (stamp.dev, stamp.ino, String::new())
    }
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
    use crate::common::severity::Severity;

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
        let progress = |next, text: &[u8]| LogProgress {
            next,
            read_to: next.1,
            iis_fields: Some(b"#Fields: date time".to_vec()),
            tail: Some(text.to_vec()),
            ..LogProgress::default()
        };
        let head = b"line one\nline two\n";
        c.log(
            Path::new("/l/access.log"),
            stamp,
            head,
            progress((3, 18), &head[..]),
        );
        // The same inode named twice: the entry read furthest is kept.
        c.log(
            Path::new("/l/access.log.1"),
            stamp,
            head,
            progress((2, 9), &head[..9]),
        );
        // Another log that starts alike.
        let other = Stamp { ino: 7, ..stamp };
        c.log(
            Path::new("/l/other.log"),
            other,
            head,
            progress((2, 9), &head[..9]),
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
        let grown = b"line one\nline two\nline three\n";
        let found = p.log_candidates(&stamp, Path::new("/l/access.log"), grown);
        assert_eq!(
            found.len(),
            2,
            "its own inode, then a log it may be a copy of"
        );
        let (own, is_own) = found[0];
        assert!(is_own);
        assert_eq!(
            (own.next_line, own.offset, own.iis_fields.as_deref()),
            (3, 18, Some("#Fields: date time")),
            "the furthest-read entry of an inode is kept"
        );
        assert!(own.tail_matches(&grown[..18]) && !own.tail_matches(&grown[..17]));
        let (copy, is_own) = found[1];
        assert!(!is_own && copy.is_at(Path::new("/l/other.log")));
        assert!(copy.tail_matches(&grown[..9]));
        // A new inode that starts alike may be a copy of either.
        let elsewhere = Path::new("/l/x.log");
        assert_eq!(
            p.log_candidates(&Stamp { ino: 9, ..stamp }, elsewhere, grown)
                .len(),
            2
        );
        // Where the platform gives no inode, the path tells logs apart.
        let c0 = Collector::default();
        let none = Stamp {
            dev: 0,
            ino: 0,
            ..stamp
        };
        for (name, next) in [("/l/a.log", (3, 18)), ("/l/b.log", (2, 9))] {
            c0.log(
                Path::new(name),
                none,
                head,
                progress(next, &head[..next.1 as usize]),
            );
        }
        let s0 = dir.path().join("s0.json");
        c0.save(&s0, "R").unwrap();
        let p0 = Previous::load(&s0, "R").unwrap();
        let b = p0.log_candidates(&none, Path::new("/l/b.log"), grown);
        assert_eq!((b.len(), b[0].1, b[0].0.offset), (2, true, 9));
        // An inode that starts otherwise now was rewritten: nothing to resume.
        assert!(p.log_candidates(&other, elsewhere, b"other\n").is_empty());
        assert!(Previous::load(&state, "other rules").unwrap().is_empty());

        // Version 1 kept no findings: its files are dropped (scanned again), its logs kept.
        let mut v1: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
        v1["version"] = 1.into();
        std::fs::write(&state, v1.to_string()).unwrap();
        let old = Previous::load(&state, "R").unwrap();
        assert!(old.notice.is_some());
        assert!(old.unchanged_file(Path::new("/w/a.php"), &stamp).is_none());
        // (and a log of an older state, without a tail fingerprint, only by its inode)
        let found = old.log_candidates(&stamp, Path::new("/l/access.log"), b"line one\nline two\n");
        assert!(found.len() == 1 && found[0].1 && found[0].0.tail.is_none());
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
