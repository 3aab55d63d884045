//! Known-good baselines: `shellsweep baseline create` records the script and binary files of
//! web roots; `scan --baseline` reports what is new, changed or gone since.
//!
//! A baseline is JSON lines: a header, then one line per file sorted by root and path, so two
//! baselines diff cleanly. Paths are relative to the root as given, with `/` separators, so a
//! baseline built from a clean install folder on another machine compares against the
//! equivalent folder here. Paths are compared exactly (case-sensitively, also for Windows
//! roots): a renamed case is reported as one file gone and one new.
//!
//! A path that is not UTF-8 is written with `path` holding its lossy form and `path_hex` its
//! raw bytes in hex; the bytes are what is compared, so such a name round-trips.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::common::bytes::hex;
use crate::common::severity::Severity;
use crate::finding::{FileSubject, Finding, RuleInfo, Subject};
use crate::read::{NotRead, ReadPolicy, open_file};
use crate::walk::{self, Entry, Flow, WalkConfig};

/// The extensions (lowercase, compared case-insensitively) of the files a baseline records:
/// what a web server runs or loads (scripts, pages, handlers, config that can turn on
/// execution, assemblies, Java archives and classes, CGI scripts). Everything else (images,
/// styles, documents) changes too often to be worth a finding.
pub(crate) const SCOPE: &[&str] = &[
    "aspx", "ashx", "asmx", "ascx", "asax", "asp", "cshtml", "config", "dll", "exe", "php",
    "phtml", "php3", "php4", "php5", "php6", "php7", "php8", "phar", "inc", "jsp", "jspx", "jspf",
    "war", "jar", "class", "py", "pl", "cgi", "sh", "ps1",
];

/// Of [`SCOPE`], the compiled binaries that are not served as pages: a new one is less
/// telling than a new script (updates drop them), so it is reported lower.
const BINARIES: &[&str] = &["dll", "exe"];

/// The format of the file; a file with another version is refused.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// Whether `path` is a file a baseline records. Asked for every file a sweep opens, so
/// without a lowercased copy.
pub(crate) fn in_scope(path: &Path) -> bool {
    crate::common::bytes::extension(path)
        .is_some_and(|e| SCOPE.iter().any(|s| e.eq_ignore_ascii_case(s.as_bytes())))
}

fn extension(path: &Path) -> Option<String> {
    crate::common::bytes::extension(path)
        .and_then(|e| std::str::from_utf8(e).ok())
        .map(|e| e.to_ascii_lowercase())
}

/// The first line of a baseline.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    shellsweep_baseline: u32,
    created: String,
    host: String,
    shellsweep_version: String,
    roots: Vec<String>,
}

/// One recorded file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Record {
    root: String,
    path: String,
    /// The raw bytes of the relative path in hex, when they are not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path_hex: Option<String>,
    size: u64,
    /// RFC 3339, absent when the file system gives no time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mtime: Option<String>,
    sha256: String,
}

impl Record {
    /// The relative path's bytes: what records are matched by.
    fn key(&self) -> Vec<u8> {
        match &self.path_hex {
            Some(h) => unhex(h).unwrap_or_else(|| self.path.as_bytes().to_vec()),
            None => self.path.as_bytes().to_vec(),
        }
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The bytes of a relative path, `/`-separated on every system.
fn rel_key(rel: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, c) in rel.components().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(c.as_os_str().as_encoded_bytes());
    }
    out
}

/// A relative key back to a path under `root`.
fn join_key(root: &Path, key: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        root.join(std::ffi::OsStr::from_bytes(key))
    }
    #[cfg(not(unix))]
    {
        root.join(String::from_utf8_lossy(key).as_ref())
    }
}

/// What a file looks like now.
#[derive(Clone, Debug)]
struct Seen {
    path: PathBuf,
    size: u64,
    modified: Option<SystemTime>,
    sha256: String,
}

fn rfc3339(t: Option<SystemTime>) -> Option<String> {
    t.and_then(|t| jiff::Timestamp::try_from(t).ok())
        .map(|t| t.to_string())
}

/// Reads and hashes one file, opened as the scan opens files (read-only, not through a link
/// swapped in after the walk unless links are followed, never a FIFO or device).
fn look(path: &Path, follow_symlinks: bool) -> io::Result<Seen> {
    let policy = ReadPolicy {
        follow_symlinks,
        max_size: u64::MAX,
        own_files: Default::default(),
    };
    let (mut f, meta) = open_file(path, &policy).map_err(|e| match e {
        NotRead::Io(e) => e,
        NotRead::NotRegular => io::Error::other("not a regular file"),
        NotRead::TooLarge(_) | NotRead::Own => io::Error::other("not read"),
    })?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok(Seen {
        path: path.to_path_buf(),
        size,
        modified: meta.modified,
        sha256: hex(&hasher.finalize()),
    })
}

/// What a walk of one root saw.
#[derive(Debug, Default)]
struct Survey {
    /// In-scope files by relative path.
    found: BTreeMap<Vec<u8>, Seen>,
    /// In-scope files that are there but could not be read: neither gone nor judged.
    unreadable: std::collections::BTreeSet<Vec<u8>>,
    /// What could not be read or walked, as messages.
    errors: Vec<String>,
}

/// Walks `root` and looks at every in-scope file, keyed by relative path. Walk and read
/// errors are returned beside what could be seen. `None` when `stop` was raised: a partial
/// survey would make every file not reached yet look gone.
fn survey(root: &Path, config: &WalkConfig, stop: &Arc<AtomicBool>) -> Option<Survey> {
    let seen: Arc<Mutex<Survey>> = Arc::default();
    let root_owned = root.to_path_buf();
    walk::walk(&[root.to_path_buf()], config, || {
        let (seen, root) = (Arc::clone(&seen), root_owned.clone());
        let stop = Arc::clone(stop);
        let follow = config.follow_symlinks;
        move |entry: Entry<'_>| {
            if stop.load(Ordering::Relaxed) {
                return Flow::Quit;
            }
            match entry {
                Entry::File(path) if in_scope(path) => {
                    let rel = path.strip_prefix(&root).unwrap_or(path);
                    let looked = look(path, follow);
                    let mut s = lock(&seen);
                    match looked {
                        Ok(file) => {
                            s.found.insert(rel_key(rel), file);
                        }
                        Err(e) => {
                            s.unreadable.insert(rel_key(rel));
                            s.errors.push(format!("{}: {e}", path.display()));
                        }
                    }
                }
                Entry::Error(path, message) => lock(&seen).errors.push(match path {
                    Some(p) => format!("{}: {message}", p.display()),
                    None => message,
                }),
                _ => {}
            }
            Flow::Continue
        }
    });
    if stop.load(Ordering::Relaxed) {
        return None;
    }
    let survey = std::mem::take(&mut *lock(&seen));
    Some(survey)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What `baseline create` did.
#[derive(Debug, Default)]
pub(crate) struct Created {
    pub files: usize,
    /// Files or folders that could not be read: the baseline lacks them.
    pub errors: Vec<String>,
}

/// Records the in-scope files under `roots` in `output`, written whole or not at all.
pub(crate) fn create(roots: &[PathBuf], config: &WalkConfig, output: &Path) -> io::Result<Created> {
    let mut created = Created::default();
    let mut lines = Vec::new();
    let never = Arc::new(AtomicBool::new(false));
    for root in roots {
        let Some(Survey { found, errors, .. }) = survey(root, config, &never) else {
            continue;
        };
        created.errors.extend(errors);
        let root_text = root.to_string_lossy().into_owned();
        for (key, seen) in found {
            let (path, path_hex) = match std::str::from_utf8(&key) {
                Ok(s) => (s.to_owned(), None),
                Err(_) => (String::from_utf8_lossy(&key).into_owned(), Some(hex(&key))),
            };
            lines.push(Record {
                root: root_text.clone(),
                path,
                path_hex,
                size: seen.size,
                mtime: rfc3339(seen.modified),
                sha256: seen.sha256,
            });
        }
    }
    lines.sort_by(|a, b| (&a.root, a.key()).cmp(&(&b.root, b.key())));
    created.files = lines.len();
    let header = Header {
        shellsweep_baseline: FORMAT_VERSION,
        created: jiff::Timestamp::now().to_string(),
        host: gethostname::gethostname().to_string_lossy().into_owned(),
        shellsweep_version: env!("CARGO_PKG_VERSION").into(),
        roots: roots
            .iter()
            .map(|r| r.to_string_lossy().into_owned())
            .collect(),
    };
    let mut text = serde_json::to_string(&header).map_err(io::Error::other)?;
    text.push('\n');
    for l in &lines {
        text.push_str(&serde_json::to_string(l).map_err(io::Error::other)?);
        text.push('\n');
    }
    crate::common::atomic::write_atomically(output, text.as_bytes())?;
    Ok(created)
}

/// Why a baseline file cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BaselineError {
    #[error("cannot read baseline {0}: {1}")]
    Io(PathBuf, #[source] io::Error),
    #[error(
        "{0} is not a shellsweep baseline (its first line is not a baseline header; `shellsweep baseline create` writes one)"
    )]
    NotBaseline(PathBuf),
    #[error("baseline {0} has format version {1}; this shellsweep reads version {FORMAT_VERSION}")]
    Version(PathBuf, u32),
    #[error("baseline {0}, line {1}: not a file record: {2}")]
    Line(PathBuf, usize, String),
}

/// One folder compared with the baseline.
#[derive(Debug)]
pub(crate) struct Compared {
    pub findings: Vec<Finding>,
    /// Files or folders that could not be read (a gone finding may stand for one).
    pub errors: Vec<String>,
}

/// A loaded baseline.
#[derive(Debug, Default)]
pub(crate) struct Baseline {
    roots: Vec<String>,
    /// By root as recorded, then by relative path bytes.
    files: BTreeMap<String, BTreeMap<Vec<u8>, Record>>,
}

impl Baseline {
    pub(crate) fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let io_err = |e| BaselineError::Io(path.to_path_buf(), e);
        let f = std::fs::File::open(path).map_err(io_err)?;
        let mut lines = BufReader::new(f).split(b'\n');
        let first = match lines.next() {
            Some(l) => l.map_err(io_err)?,
            None => return Err(BaselineError::NotBaseline(path.to_path_buf())),
        };
        let header: Header = serde_json::from_slice(&first)
            .map_err(|_| BaselineError::NotBaseline(path.to_path_buf()))?;
        if header.shellsweep_baseline != FORMAT_VERSION {
            return Err(BaselineError::Version(
                path.to_path_buf(),
                header.shellsweep_baseline,
            ));
        }
        let mut b = Baseline {
            roots: header.roots,
            files: BTreeMap::new(),
        };
        for (i, line) in lines.enumerate() {
            let line = line.map_err(io_err)?;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let r: Record = serde_json::from_slice(&line)
                .map_err(|e| BaselineError::Line(path.to_path_buf(), i + 2, e.to_string()))?;
            if r.path_hex.as_deref().is_some_and(|h| unhex(h).is_none()) {
                return Err(BaselineError::Line(
                    path.to_path_buf(),
                    i + 2,
                    "path_hex is not hex".into(),
                ));
            }
            if !b.roots.contains(&r.root) {
                b.roots.push(r.root.clone());
            }
            b.files
                .entry(r.root.clone())
                .or_default()
                .insert(r.key(), r);
        }
        Ok(b)
    }

    /// The recorded root a scanned root is compared with: the only one; else the one
    /// written the same; else the one with the same last name; else none.
    /// The baseline root a scanned folder is compared with: the only one when both sides
    /// have one folder (a baseline built elsewhere fits the folder served here); else the
    /// root written the same, else the one with the same last name. A scan of a web root
    /// and a log folder compares only the web root.
    fn root_for(&self, scanned: &Path, only_folder: bool) -> Option<&str> {
        if let [only] = self.roots.as_slice()
            && only_folder
        {
            return Some(only);
        }
        let text = scanned.to_string_lossy();
        if let Some(r) = self.roots.iter().find(|r| **r == text) {
            return Some(r);
        }
        let last = |s: &str| {
            s.trim_end_matches(['/', '\\'])
                .rsplit(['/', '\\'])
                .next()
                .map(str::to_owned)
        };
        let name = last(&text);
        let mut same = self.roots.iter().filter(|r| last(r) == name);
        match (same.next(), same.next()) {
            (Some(r), None) => Some(r),
            _ => None,
        }
    }

    /// The findings for one scanned root (a folder); `Err` names a root with no baseline;
    /// `Ok(None)` when `stop` was raised before the folder was seen whole.
    /// Every in-scope file is hashed, also when its size and time match the record: a file
    /// changed with its size kept and its time set back must still be caught.
    pub(crate) fn compare(
        &self,
        root: &Path,
        only_folder: bool,
        config: &WalkConfig,
        stop: &Arc<AtomicBool>,
    ) -> Result<Option<Compared>, String> {
        let Some(base_root) = self.root_for(root, only_folder) else {
            return Err(format!(
                "{}: no root of the baseline matches it (the baseline has {})",
                root.display(),
                self.roots.join(", ")
            ));
        };
        let empty = BTreeMap::new();
        let recorded = self.files.get(base_root).unwrap_or(&empty);
        let Some(Survey {
            found,
            unreadable,
            errors,
        }) = survey(root, config, stop)
        else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for (key, seen) in &found {
            match recorded.get(key) {
                Some(r) if r.sha256 == seen.sha256 => {}
                Some(r) => out.push(changed(r, seen)),
                None => out.push(new(key, seen)),
            }
        }
        for (key, r) in recorded {
            if !found.contains_key(key) && !unreadable.contains(key) {
                out.push(gone(root, key, r));
            }
        }
        Ok(Some(Compared {
            findings: out,
            errors,
        }))
    }
}

fn rule(id: &str, name: &str, severity: Severity, description: String) -> RuleInfo {
    RuleInfo {
        id: id.into(),
        name: name.into(),
        description,
        references: Vec::new(),
        author: "shellsweep project".into(),
        ruleset: "baseline".into(),
        tags: Vec::new(),
        severity,
        score: severity.default_score(),
        status: None,
        falsepositives: Vec::new(),
    }
}

fn finding(rule: RuleInfo, subject: FileSubject) -> Finding {
    let mut f = Finding::bare(rule, Subject::File(subject));
    f.match_count = 1;
    f
}

fn subject(seen: &Seen) -> FileSubject {
    FileSubject {
        path: seen.path.clone(),
        size: seen.size,
        modified: seen.modified,
        sha256: seen.sha256.clone(),
        more_hashes: Vec::new(),
    }
}

/// Whether a relative path lies in SharePoint's `TEMPLATE/LAYOUTS` (served as `/_layouts/`).
fn in_layouts(key: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(key).to_ascii_lowercase();
    lower.starts_with("template/layouts/") || lower.contains("/template/layouts/")
}

fn new(key: &[u8], seen: &Seen) -> Finding {
    let ext = extension(&seen.path).unwrap_or_default();
    let (severity, what) = if in_layouts(key) {
        (
            Severity::Critical,
            "in SharePoint's TEMPLATE/LAYOUTS folder (served under /_layouts/)",
        )
    } else if BINARIES.contains(&ext.as_str()) {
        (Severity::Medium, "a binary")
    } else {
        (Severity::High, "a script or page the server can run")
    };
    let description = format!(
        "New file since the baseline, {what}: {} bytes, modified {}, SHA-256 {}.",
        seen.size,
        rfc3339(seen.modified).unwrap_or_else(|| "-".into()),
        seen.sha256
    );
    finding(
        rule(
            "SSW-BASELINE-NEW",
            "File not in the known-good baseline",
            severity,
            description,
        ),
        subject(seen),
    )
}

fn changed(r: &Record, seen: &Seen) -> Finding {
    let description = format!(
        "File changed since the baseline: size {} -> {} bytes, modified {} -> {}, SHA-256 {} -> {}.",
        r.size,
        seen.size,
        r.mtime.as_deref().unwrap_or("-"),
        rfc3339(seen.modified).unwrap_or_else(|| "-".into()),
        r.sha256,
        seen.sha256
    );
    finding(
        rule(
            "SSW-BASELINE-CHANGED",
            "File differs from the known-good baseline",
            Severity::High,
            description,
        ),
        subject(seen),
    )
}

fn gone(root: &Path, key: &[u8], r: &Record) -> Finding {
    let description = format!(
        "File in the baseline is gone: it had {} bytes, modified {}, SHA-256 {}.",
        r.size,
        r.mtime.as_deref().unwrap_or("-"),
        r.sha256
    );
    let modified = r
        .mtime
        .as_deref()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .and_then(|t: jiff::Timestamp| SystemTime::try_from(t).ok());
    finding(
        rule(
            "SSW-BASELINE-GONE",
            "File of the known-good baseline is missing",
            Severity::Low,
            description,
        ),
        FileSubject {
            path: join_key(root, key),
            size: r.size,
            modified,
            sha256: r.sha256.clone(),
            more_hashes: Vec::new(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_is_case_insensitive_and_excludes_other_files() {
        assert!(in_scope(Path::new("a/B.ASPX")));
        assert!(in_scope(Path::new("web.config")));
        assert!(!in_scope(Path::new("logo.png")));
        assert!(!in_scope(Path::new("noext")));
    }

    #[test]
    fn layouts_is_found_at_any_depth_in_any_case() {
        assert!(in_layouts(b"16/TEMPLATE/LAYOUTS/x.aspx"));
        assert!(in_layouts(b"template/layouts/x.aspx"));
        assert!(!in_layouts(b"16/TEMPLATE/x.aspx"));
    }

    #[test]
    fn hex_round_trips_and_refuses_junk() {
        let raw = b"a\xffb/c".to_vec();
        assert_eq!(unhex(&hex(&raw)), Some(raw));
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("abc"), None);
    }
}
