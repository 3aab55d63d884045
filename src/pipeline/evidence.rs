//! What the walk keeps for correlation: the logs it read, the scripts it saw (with their
//! times), the server configs it met, and the findings the joins start from.
//!
//! Correlation runs after the walk (it needs every file finding before it can look for
//! their requests), so the walk leaves it these notes instead of a second walk. They are
//! small: paths and times of in-scope files, and only the findings a join can use.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::common::severity::Severity;
use crate::finding::{Finding, FindingRef, Subject};
use crate::ioc::Kind;
use crate::output::ecs::{Observer, event_id};
use crate::read::Stamp;
use crate::state::Carried;

use super::scripts::Scripts;

/// Most exploit findings and IOC addresses kept: past this, correlation says it was cut.
pub const MAX_SEEDS: usize = 10_000;

/// A script or binary of a web root, as the walk saw it.
#[derive(Clone, Debug)]
pub struct ScriptFile {
    pub path: PathBuf,
    pub size: u64,
    /// Nanoseconds since the epoch (the inode's change time is what a timestomped mtime
    /// leaves behind).
    pub mtime_ns: i128,
    pub ctime_ns: i128,
}

/// A file with findings: what a "webshell requested" finding is about.
#[derive(Clone, Debug)]
pub struct FileHit {
    pub path: PathBuf,
    pub size: u64,
    pub modified: Option<std::time::SystemTime>,
    pub sha256: String,
    /// One per finding, in the order they came. A file's findings share its path and
    /// hash: kept once per file, not per finding (the web root of issue 18 has 14,762
    /// file findings in 5,358 files).
    pub findings: Vec<FindingRef>,
}

impl FileHit {
    /// Adds `finding` to the last of `hits` when that is about the same file (path and
    /// contents), else a new hit that `make` builds around it.
    fn add(
        hits: &mut Vec<FileHit>,
        (path, sha256): (&Path, &str),
        finding: FindingRef,
        make: impl FnOnce(Vec<FindingRef>) -> FileHit,
    ) {
        match hits.last_mut() {
            Some(last) if last.path.as_os_str() == path.as_os_str() && last.sha256 == sha256 => {
                last.findings.push(finding);
            }
            _ => hits.push(make(vec![finding])),
        }
    }
}

/// An address a log finding names: on an IOC list, or the client of an exploit request.
#[derive(Clone, Debug)]
pub struct Seed {
    pub address: String,
    pub reason: String,
    pub via: &'static str,
}

#[derive(Debug, Default)]
pub struct Seen {
    pub logs: Vec<PathBuf>,
    /// Decoded with [`Scripts::decode`] when correlation needs them.
    pub scripts: Scripts,
    pub configs: Vec<PathBuf>,
    pub files: Vec<FileHit>,
    /// Log findings of exploit rules (ATT&CK T1190), whole: the dropped-file join names
    /// them.
    pub exploits: Vec<Finding>,
    pub seeds: Vec<Seed>,
    /// Exploits or seeds left out at [`MAX_SEEDS`].
    pub cut: u64,
    seed_addresses: HashSet<String>,
}

/// The notes, filled by every scanning thread.
#[derive(Debug)]
pub struct Evidence {
    seen: Mutex<Seen>,
    observer: Observer,
}

/// A rule that says "exploit of a public-facing application" (ATT&CK T1190) finds the
/// requests a dropped file can follow.
fn is_exploit(f: &Finding) -> bool {
    f.rule
        .tags
        .iter()
        .any(|t| t.eq_ignore_ascii_case("attack.t1190"))
}

impl Evidence {
    pub fn new(observer: Observer) -> Evidence {
        Evidence {
            seen: Mutex::new(Seen::default()),
            observer,
        }
    }

    fn with(&self, f: impl FnOnce(&mut Seen)) {
        // A thread that panicked while holding the lock left the notes whole (each push is
        // one step), so they are still used.
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut seen);
    }

    pub fn take(&self) -> Seen {
        std::mem::take(&mut *self.seen.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn observer(&self) -> &Observer {
        &self.observer
    }

    pub fn log(&self, path: &Path) {
        self.with(|s| s.logs.push(path.to_path_buf()));
    }

    pub fn config(&self, path: &Path) {
        self.with(|s| s.configs.push(path.to_path_buf()));
    }

    /// A file the walk opened: kept when a baseline would record it (scripts, binaries).
    pub fn file(&self, path: &Path, stamp: &Stamp) {
        if !crate::baseline::in_scope(path) {
            return;
        }
        self.with(|s| {
            s.scripts
                .push(path, stamp.size, stamp.mtime_ns, stamp.ctime_ns)
        });
    }

    /// Findings on their way to the writer.
    pub fn findings(&self, findings: &[Finding]) {
        let mut files = Vec::new();
        let mut exploits = Vec::new();
        let mut seeds = Vec::new();
        for f in findings {
            if f.correlation.is_some() || f.is_event() {
                continue;
            }
            match &f.subject {
                Subject::File(file) => {
                    // A baseline change is about a file's presence, not its contents.
                    if f.rule.id.starts_with("SSW-BASELINE-") {
                        continue;
                    }
                    let absolute = self.observer.absolute(&file.path);
                    let finding = FindingRef {
                        event_id: event_id(f, &absolute),
                        rule_id: f.rule.id.clone(),
                        severity: f.severity(),
                    };
                    FileHit::add(
                        &mut files,
                        (&file.path, &file.sha256),
                        finding,
                        |findings| FileHit {
                            path: file.path.clone(),
                            size: file.size,
                            modified: file.modified,
                            sha256: file.sha256.clone(),
                            findings,
                        },
                    );
                }
                Subject::Log(_) => {
                    if is_exploit(f) {
                        exploits.push(f.clone());
                    }
                    if let Some(hit) = &f.indicator
                        && matches!(hit.indicator.kind, Kind::Ipv4 | Kind::Ipv6 | Kind::Cidr)
                        && let Some(ip) = crate::common::net::parse_logged_addr(&hit.matched)
                    {
                        seeds.push(Seed {
                            address: ip.to_string(),
                            reason: format!("IOC list {}", hit.indicator.list),
                            via: "ioc",
                        });
                    }
                }
            }
        }
        if files.is_empty() && exploits.is_empty() && seeds.is_empty() {
            return;
        }
        self.with(|s| {
            s.files.extend(files);
            for e in exploits {
                if s.exploits.len() < MAX_SEEDS {
                    s.exploits.push(e);
                } else {
                    s.cut += 1;
                }
            }
            for seed in seeds {
                s.seed(seed);
            }
        });
    }

    /// Findings of an unchanged file, carried over from an earlier sweep: the webshell is
    /// still there and its requests are still worth joining.
    pub fn carried(&self, path: &Path, found: &[Carried], stamp: &Stamp) {
        let mut hits = Vec::new();
        for c in found {
            if c.rule_id().starts_with("SSW-BASELINE-") {
                continue;
            }
            let sha256 = c.sha256().unwrap_or_default();
            let finding = FindingRef {
                event_id: c.event_id().to_owned(),
                rule_id: c.rule_id().to_owned(),
                severity: c.severity(),
            };
            FileHit::add(&mut hits, (path, sha256), finding, |findings| FileHit {
                path: path.to_path_buf(),
                size: stamp.size,
                modified: system_time(stamp.mtime_ns),
                sha256: sha256.to_owned(),
                findings,
            });
        }
        if !hits.is_empty() {
            self.with(|s| s.files.extend(hits));
        }
    }
}

impl Seen {
    /// Adds an address to start the pivot from, once, up to [`MAX_SEEDS`].
    pub fn seed(&mut self, seed: Seed) {
        if self.seed_addresses.contains(&seed.address) {
            return;
        }
        if self.seed_addresses.len() >= MAX_SEEDS {
            self.cut += 1;
            return;
        }
        self.seed_addresses.insert(seed.address.clone());
        self.seeds.push(seed);
    }
}

fn system_time(ns: i128) -> Option<std::time::SystemTime> {
    let ns = u64::try_from(ns).ok()?;
    Some(std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns))
}

/// The severity a "webshell requested" finding takes: one step above the file's.
pub fn one_above(s: Severity) -> Severity {
    match s {
        Severity::Low => Severity::Medium,
        Severity::Medium => Severity::High,
        Severity::High | Severity::Critical => Severity::Critical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{FileSubject, RuleInfo};

    fn finding(path: &str, sha256: &str, rule: &str, severity: Severity) -> Finding {
        let rule = RuleInfo {
            id: rule.into(),
            name: rule.into(),
            description: String::new(),
            references: Vec::new(),
            author: String::new(),
            ruleset: "test".into(),
            tags: Vec::new(),
            severity,
            score: 0,
            status: None,
            falsepositives: Vec::new(),
        };
        Finding::bare(
            rule,
            Subject::File(FileSubject {
                path: PathBuf::from(path),
                size: 3,
                modified: None,
                sha256: sha256.into(),
                more_hashes: Vec::new(),
            }),
        )
    }

    /// A file's findings make one hit that lists them all in order; another file, or the
    /// same path with other contents, makes a hit of its own; baseline changes make none.
    #[test]
    fn findings_of_one_file_share_one_hit() {
        let e = Evidence::new(Observer::placeholder());
        e.findings(&[
            finding("/w/a.php", "aa", "SSW-1", Severity::High),
            finding("/w/a.php", "aa", "SSW-2", Severity::Low),
            finding("/w/a.php", "aa", "SSW-BASELINE-NEW", Severity::Low),
            finding("/w/b.php", "bb", "SSW-3", Severity::Medium),
        ]);
        e.findings(&[
            finding("/w/b.php", "cc", "SSW-4", Severity::Critical),
            finding("/w/b.php", "cc", "SSW-5", Severity::Low),
        ]);
        let files = e.take().files;
        let got: Vec<(&str, &str, Vec<&str>)> = files
            .iter()
            .map(|h| {
                (
                    h.path.to_str().unwrap(),
                    h.sha256.as_str(),
                    h.findings.iter().map(|f| f.rule_id.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("/w/a.php", "aa", vec!["SSW-1", "SSW-2"]),
                ("/w/b.php", "bb", vec!["SSW-3"]),
                ("/w/b.php", "cc", vec!["SSW-4", "SSW-5"]),
            ]
        );
        assert_eq!(files[0].findings[1].severity, Severity::Low);
    }
}
