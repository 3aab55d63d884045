//! The file job: a file read whole (up to `--max-filesize`) is matched by the file rules and
//! the IOC lists (its name, path and digests); an unchanged file of an incremental sweep has
//! its earlier findings carried over. A file that is a log by its contents but not by its
//! name is matched as both.

use std::io::Seek as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use crate::common::bytes::{hex, sha256_hex};
use crate::engine::{Memo, RuleHit};
use crate::finding::{FileSubject, Finding, IndicatorHit, Subject};
use crate::ioc::{IocSet, Kind};
use crate::logs::looks_like_log_path;
use crate::logscan::Sink;
use crate::output::Message;
use crate::policy::indicator_hit;
use crate::read::{FileMeta, NotRead, ReadPolicy, open_file, read_head, read_rest};
use crate::state::{Carried, to_carry};
use crate::summary::{ScanEvent, Skip};
use crate::walk::SkipReason;
use crate::yara::{Externals, TimedOut, YaraHit, with_scanner};

use super::{HEAD, Worker};

impl Worker {
    pub(super) fn file(&mut self, path: &Path) {
        let cfg = Arc::clone(&self.config);
        let iocs = &cfg.iocs;
        let rules_apply = self.engine.applies_to(path, &mut self.scratch);
        // YARA rules have no extension filter: with them, every file that is not a log is
        // read (logs are left to the log rules).
        let contents_wanted = rules_apply || cfg.yara.is_some();
        let name_hits = path_indicators(iocs, path);
        let want_hash = iocs.has_hashes();
        let logs_enabled = self.engine.has_log_rules() || !iocs.is_empty();
        let log_candidate = logs_enabled && (rules_apply || want_hash || looks_like_log_path(path));
        if !contents_wanted && !log_candidate && !want_hash && name_hits.is_empty() {
            self.stats.files_without_rules.fetch_add(1, Relaxed);
            return;
        }
        // A path named on the command line is followed even when it is a link: the user
        // asked for it by name (links inside the trees are another matter). The walk hands
        // a root over as it was given, so its bytes are compared (`Path`'s equality parses
        // both into components, for every file).
        let is_root = |r: &std::path::PathBuf| r.as_os_str() == path.as_os_str();
        let opened = if !cfg.read.follow_symlinks && cfg.roots.iter().any(is_root) {
            let policy = ReadPolicy {
                follow_symlinks: true,
                ..cfg.read.clone()
            };
            open_file(path, &policy)
        } else {
            open_file(path, &cfg.read)
        };
        let (mut file, meta) = match opened {
            Ok(x) => x,
            Err(e) => return self.not_read(path, e),
        };
        if let Some(ev) = &cfg.evidence {
            ev.file(path, &meta.stamp);
        }
        if let Some(state) = &cfg.state
            && let Some(previous) = state.previous.unchanged_file(path, &meta.stamp)
        {
            self.stats.files_unchanged.fetch_add(1, Relaxed);
            self.carry(path, &previous.findings, &meta);
            state
                .collector
                .file(path, meta.stamp, previous.findings.clone());
            return;
        }
        if let Err(e) = read_head(&file, HEAD, &mut self.buf) {
            return self.error(path, e);
        }
        // Set when the file rules read a log too (see `read_as_file_too`). One too large
        // for the file reader was read whole as a log.
        let mut also_log = false;
        if log_candidate {
            match self.try_log(path, &mut file, &meta) {
                Ok(true) => {
                    if let Some(ev) = &cfg.evidence {
                        ev.log(path);
                    }
                    if !read_as_file_too(path, contents_wanted) || meta.size > cfg.read.max_size {
                        return;
                    }
                    also_log = true;
                    if let Err(e) = (&file)
                        .rewind()
                        .and_then(|()| read_head(&file, HEAD, &mut self.buf))
                    {
                        return self.error(path, e);
                    }
                }
                Ok(false) => {}
                Err(e) => return self.error(path, e),
            }
        }
        if !contents_wanted && !want_hash && name_hits.is_empty() {
            self.stats.files_without_rules.fetch_add(1, Relaxed);
            return;
        }
        if meta.size <= cfg.read.max_size {
            self.scratch.make_room_for(meta.size);
        }
        if let Err(e) = read_rest(&file, meta.size, cfg.read.max_size, &mut self.buf) {
            // A name on an IOC list is reported even when the contents are too large to read.
            if let NotRead::TooLarge(_) = e {
                for hit in name_hits {
                    self.emit_file_indicator(hit, path, &meta, String::new());
                }
            }
            return self.not_read(path, e);
        }
        self.stats.files_scanned.fetch_add(1, Relaxed);
        self.stats
            .bytes_scanned
            .fetch_add(self.buf.len() as u64, Relaxed);
        // A file given up at --file-timeout is not recorded: the next sweep looks again. Nor
        // is one also read as a log, which the log's own entry resumes (an unchanged file's
        // entry would stand in for both and drop the log's).
        if let Some(found) = self.match_file(path, &meta, name_hits)
            && !also_log
            && let Some(state) = &cfg.state
        {
            state.collector.file(path, meta.stamp, found);
        }
    }

    /// Reports again what an earlier sweep found in a file that has not changed since: the
    /// webshell is still there. An allowlist applies as to new findings.
    fn carry(&self, path: &Path, found: &[Carried], meta: &FileMeta) {
        let policy = &self.config.policy;
        let mut report = Vec::new();
        for c in found {
            if policy.allows_carried(path, c.sha256(), c.rule_id()) {
                self.stats.findings_allowed.fetch_add(1, Relaxed);
                continue;
            }
            self.stats.finding(c.severity());
            self.stats.findings_carried_over.fetch_add(1, Relaxed);
            report.push(c.clone());
        }
        if !report.is_empty() {
            if let Some(ev) = &self.config.evidence {
                ev.carried(path, &report, &meta.stamp);
            }
            self.send(Message::Carried(path.to_path_buf(), report));
        }
    }

    pub(super) fn not_read(&self, path: &Path, e: NotRead) {
        match e {
            NotRead::TooLarge(size) => {
                self.stats.skip(Skip::TooLarge);
                let detail = format!(
                    "{size} bytes is over --max-filesize ({} bytes)",
                    self.config.read.max_size
                );
                let mut event = ScanEvent::skipped(path.to_path_buf(), Skip::TooLarge, &detail);
                event.size = Some(size);
                self.event(event);
                self.send(Message::Notice(
                    Some(path.to_path_buf()),
                    format!(
                        "skipped: {size} bytes is over --max-filesize ({} bytes); raise \
                         --max-filesize to scan it, or leave it out with --exclude",
                        self.config.read.max_size
                    ),
                ));
            }
            NotRead::NotRegular => {
                let why = Skip::Walk(SkipReason::Special);
                self.stats.skip(why);
                self.event(ScanEvent::skipped(path.to_path_buf(), why, ""));
            }
            NotRead::Own => {
                self.stats.skip(Skip::OwnFile);
                self.event(ScanEvent::skipped(path.to_path_buf(), Skip::OwnFile, ""));
            }
            NotRead::Io(e) => self.error(path, e),
        }
    }

    /// File rules, hash and name IOCs over a file read whole into `self.buf`. Returns what an
    /// incremental sweep keeps of the findings (before any allowlist), to carry them over;
    /// `None` when the rules were given up at `--file-timeout`.
    fn match_file(
        &mut self,
        path: &Path,
        meta: &FileMeta,
        name_hits: Vec<IndicatorHit>,
    ) -> Option<Vec<Carried>> {
        self.match_as(path, &[path], meta, name_hits)
    }

    /// As [`Worker::match_file`], with the rules that apply to any of `names` (a rule that
    /// fires under several names is reported once).
    pub(super) fn match_as(
        &mut self,
        path: &Path,
        names: &[&Path],
        meta: &FileMeta,
        name_hits: Vec<IndicatorHit>,
    ) -> Option<Vec<Carried>> {
        let cfg = Arc::clone(&self.config);
        let engine = Arc::clone(&self.engine);
        let mut hits: Vec<RuleHit<'_>> = Vec::new();
        self.scratch.set_deadline(
            // A limit too far off to add to the clock is no limit.
            cfg.file_timeout
                .and_then(|t| std::time::Instant::now().checked_add(t)),
        );
        // A script may be a copy of one scanned earlier (the memo says, and may take its
        // SHA-256 to tell); other files are hashed only for a finding.
        let remembered = matches!(names, [name] if Memo::wants(name));
        let mut sha256: Option<[u8; 32]> = None;
        for name in names {
            let found = if remembered {
                let (found, digest) =
                    engine.scan_file_memo(name, &self.buf, &mut self.scratch, &self.memo);
                sha256 = digest;
                found
            } else {
                engine.scan_file(name, &self.buf, &mut self.scratch)
            };
            for hit in found {
                if !hits.iter().any(|h| std::ptr::eq(h.rule, hit.rule)) {
                    hits.push(hit);
                }
            }
            if self.scratch.timed_out() {
                break;
            }
        }
        let timed_out = self.scratch.timed_out();
        self.scratch.set_deadline(None);
        if timed_out {
            // Rules that held before the deadline may rest on patterns never verified (a
            // `not`), so none is reported; hash and name indicators do not depend on them.
            hits.clear();
            self.timed_out(path, cfg.file_timeout.unwrap_or_default());
        }
        let (yara_hits, yara_timed_out) = self.match_yara(path, names, meta);
        let timed_out = timed_out || yara_timed_out;
        let hash_hits = hash_indicators(&cfg.iocs, &self.buf);
        if hits.is_empty() && yara_hits.is_empty() && hash_hits.is_empty() && name_hits.is_empty() {
            return (!timed_out).then(Vec::new);
        }
        let sha256 = match sha256 {
            Some(digest) => hex(&digest),
            None => sha256_hex(&self.buf),
        };
        let mut findings: Vec<Finding> = hits
            .into_iter()
            .map(|hit| Finding::from_hit(hit, path, &self.buf, meta.modified, &sha256))
            .collect();
        let size = self.buf.len() as u64;
        findings.extend(yara_hits.into_iter().map(|hit| {
            let subject = file_subject(path, meta, size, sha256.clone());
            Finding::from_yara(hit.rule, subject, hit.matches, hit.match_count)
        }));
        findings.extend(hash_hits.into_iter().chain(name_hits).map(|ind| {
            let subject = Subject::File(file_subject(path, meta, size, sha256.clone()));
            Finding::from_indicator(ind, cfg.policy.ioc_severity(), subject)
        }));
        if cfg.hash_all && !findings.is_empty() {
            let more = vec![
                ("md5", digest(Kind::Md5, &self.buf)),
                ("sha1", digest(Kind::Sha1, &self.buf)),
            ];
            for f in &mut findings {
                if let Subject::File(subject) = &mut f.subject {
                    subject.more_hashes = more.clone();
                }
            }
        }
        let below = cfg.policy.settle_file(&mut findings);
        self.stats
            .findings_below_min_severity
            .fetch_add(below, Relaxed);
        let kept = if cfg.state.is_some() {
            to_carry(&findings)
        } else {
            Vec::new()
        };
        self.findings_sink().findings(findings);
        (!timed_out).then_some(kept)
    }

    /// The YARA rules over `self.buf`, with the externals of the file's (first) name.
    /// Returns the hits, and whether the scan gave up at `--yara-timeout` (then there are
    /// none: yara-x keeps no partial results).
    fn match_yara(
        &mut self,
        path: &Path,
        names: &[&Path],
        meta: &FileMeta,
    ) -> (Vec<YaraHit>, bool) {
        let Some(rules) = self.config.yara else {
            return (Vec::new(), false);
        };
        let name = names.first().copied().unwrap_or(path);
        let buf = &self.buf;
        let scanned = with_scanner(rules, self.config.yara_timeout, |scanner| {
            let owner = scanner.owner(meta.owner);
            let externals = Externals::of(name, &buf[..buf.len().min(64)], owner);
            scanner.scan(&externals, buf)
        });
        match scanned {
            Ok(hits) => (hits, false),
            Err(TimedOut) => {
                let limit = self.config.yara_timeout.unwrap_or_default();
                self.stats.skip(Skip::YaraTimedOut);
                let detail = format!(
                    "the YARA rules took longer than --yara-timeout ({}s); no YARA findings are reported for it",
                    limit.as_secs_f64()
                );
                self.event(ScanEvent::skipped(
                    path.to_path_buf(),
                    Skip::YaraTimedOut,
                    &detail,
                ));
                self.send(Message::Notice(
                    Some(path.to_path_buf()),
                    format!("skipped: {detail}; scan it alone with a larger --yara-timeout"),
                ));
                (Vec::new(), true)
            }
        }
    }

    fn timed_out(&self, path: &Path, limit: std::time::Duration) {
        self.stats.skip(Skip::TimedOut);
        let detail = format!(
            "the rules took longer than --file-timeout ({}s); no rule findings are reported for it",
            limit.as_secs_f64()
        );
        self.event(ScanEvent::skipped(
            path.to_path_buf(),
            Skip::TimedOut,
            &detail,
        ));
        self.send(Message::Notice(
            Some(path.to_path_buf()),
            format!(
                "skipped: {detail}; scan it alone with a larger --file-timeout, or find the slow \
                 rule with `shellsweep rules check`"
            ),
        ));
    }

    fn emit_file_indicator(&self, hit: IndicatorHit, path: &Path, meta: &FileMeta, sha256: String) {
        let subject = || Subject::File(file_subject(path, meta, meta.size, sha256));
        match self.config.policy.indicator_finding(hit, subject) {
            Some(f) => self.findings_sink().findings(vec![f]),
            None => {
                self.stats.findings_below_min_severity.fetch_add(1, Relaxed);
            }
        }
    }
}

/// Whether a log named `path` is matched by the file rules too: when its contents alone, not
/// its name, made it a log, and the file rules (`contents_wanted`) read that name. Contents
/// are their writer's choice: an `.aspx` that opens with three IIS directives is still a page
/// IIS runs.
pub(super) fn read_as_file_too(path: &Path, contents_wanted: bool) -> bool {
    contents_wanted && !looks_like_log_path(path)
}

fn file_subject(path: &Path, meta: &FileMeta, size: u64, sha256: String) -> FileSubject {
    FileSubject {
        path: path.to_path_buf(),
        size,
        modified: meta.modified,
        sha256,
        more_hashes: Vec::new(),
    }
}

/// IOCs of a file's name and path.
pub(super) fn path_indicators(iocs: &IocSet, path: &Path) -> Vec<IndicatorHit> {
    let matches = iocs.path_matches(path);
    matches
        .into_iter()
        .map(|m| indicator_hit(iocs, m))
        .collect()
}

/// Hash IOCs of a file's contents: only the digests some loaded indicator uses are computed.
fn hash_indicators(iocs: &IocSet, buf: &[u8]) -> Vec<IndicatorHit> {
    let matches = iocs.content_matches(|kind| digest(kind, buf));
    matches
        .into_iter()
        .map(|m| indicator_hit(iocs, m))
        .collect()
}

/// A digest of `buf` in lowercase hex (MD5, SHA-1 or SHA-256).
fn digest(kind: Kind, buf: &[u8]) -> String {
    match kind {
        Kind::Md5 => {
            use md5::Digest;
            hex(&md5::Md5::digest(buf))
        }
        Kind::Sha1 => {
            use sha1::Digest;
            hex(&sha1::Sha1::digest(buf))
        }
        _ => sha256_hex(buf),
    }
}
