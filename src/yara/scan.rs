//! Scanning one file with the compiled YARA rules: the Loki/THOR externals it is given,
//! the per-thread yara-x scanner, its timeout, and the matches as engine matches.

use std::path::Path;

use super::YaraRules;
use crate::engine::Match;
use crate::finding::RuleInfo;

/// The values of the Loki/THOR externals for one file.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Externals {
    /// The file's name.
    pub(crate) filename: String,
    /// The folder the file is in, without the name (THOR's `filepath == "/var/log"`).
    pub(crate) filepath: String,
    /// The extension with its dot, as Loki gives it (`.jpg`), or empty.
    pub(crate) extension: String,
    /// A type told from the first bytes, in Loki's words (`EXE`, `ELF`, ...), or empty.
    pub(crate) filetype: String,
    /// The owner's user name, or empty when it cannot be told.
    pub(crate) owner: String,
}

impl Externals {
    pub(crate) fn of(path: &Path, head: &[u8], owner: String) -> Externals {
        let name = |s: Option<&std::ffi::OsStr>| {
            s.map_or_else(String::new, |s| s.to_string_lossy().into_owned())
        };
        Externals {
            filename: name(path.file_name()),
            filepath: name(path.parent().map(Path::as_os_str)),
            extension: path
                .extension()
                .map_or_else(String::new, |e| format!(".{}", e.to_string_lossy())),
            filetype: filetype(head).to_owned(),
            owner,
        }
    }
}

/// The file type Loki's rules test, from magic numbers (a few common ones).
pub(crate) fn filetype(head: &[u8]) -> &'static str {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"MZ", "EXE"),
        (b"\x7fELF", "ELF"),
        (b"\xfe\xed\xfa\xce", "MACH-O"),
        (b"\xfe\xed\xfa\xcf", "MACH-O"),
        (b"\xce\xfa\xed\xfe", "MACH-O"),
        (b"\xcf\xfa\xed\xfe", "MACH-O"),
        (b"PK\x03\x04", "ZIP"),
        (b"{\\rtf", "RTF"),
        (b"%PDF", "PDF"),
        (b"MDMP", "MDMP"),
        (b"<?php", "PHP"),
        (b"#!/usr/bin/python", "Python"),
        (b"#!/usr/bin/env python", "Python"),
    ];
    MAGIC
        .iter()
        .find(|(m, _)| head.starts_with(m))
        .map_or("", |(_, t)| t)
}

/// The user name of a uid, from the password database.
#[cfg(unix)]
pub(crate) fn user_name(uid: u32) -> String {
    let mut buf = vec![0u8; 4096];
    let mut pwd = std::mem::MaybeUninit::<libc::passwd>::uninit();
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: the buffers outlive the call; `result` is null or points into `pwd`.
    let rc = unsafe {
        libc::getpwuid_r(
            uid,
            pwd.as_mut_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() {
        return String::new();
    }
    // SAFETY: getpwuid_r succeeded, so `pw_name` is a NUL-terminated string in `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr((*result).pw_name) };
    name.to_string_lossy().into_owned()
}

/// A YARA rule that held on a file.
#[derive(Debug)]
pub(crate) struct YaraHit {
    pub(crate) rule: RuleInfo,
    /// The first matches in file order, bounded as the engine's.
    pub(crate) matches: Vec<Match>,
    pub(crate) match_count: u64,
}

/// The scan gave up at `--yara-timeout`.
#[derive(Debug)]
pub(crate) struct TimedOut;

/// One thread's yara-x scanner over the run's rules.
pub(crate) struct YaraScanner<'r> {
    #[cfg(feature = "yara")]
    scanner: yara_x::Scanner<'r>,
    set: &'r YaraRules,
    timeout: Option<std::time::Duration>,
    /// Owner names by uid (only Unix has uids to look up).
    #[cfg(unix)]
    owners: std::collections::HashMap<u32, String>,
}

impl<'r> YaraScanner<'r> {
    pub(crate) fn new(set: &'r YaraRules, timeout: Option<std::time::Duration>) -> Self {
        #[cfg(feature = "yara")]
        let scanner = {
            let mut s = yara_x::Scanner::new(&set.rules);
            if let Some(t) = timeout {
                s.set_timeout(t);
            }
            s
        };
        YaraScanner {
            #[cfg(feature = "yara")]
            scanner,
            set,
            timeout,
            #[cfg(unix)]
            owners: std::collections::HashMap::new(),
        }
    }

    /// The owner's name for a uid, looked up once per thread.
    pub(crate) fn owner(&mut self, uid: Option<u32>) -> String {
        let Some(uid) = uid else {
            return String::new();
        };
        #[cfg(unix)]
        {
            self.owners
                .entry(uid)
                .or_insert_with(|| user_name(uid))
                .clone()
        }
        #[cfg(not(unix))]
        {
            let _ = uid;
            String::new()
        }
    }

    /// The rules that hold on `buf`, the contents of the file at `path`.
    #[cfg(feature = "yara")]
    pub(crate) fn scan(
        &mut self,
        externals: &Externals,
        buf: &[u8],
    ) -> Result<Vec<YaraHit>, TimedOut> {
        use crate::engine::excerpt::{LineCounter, excerpt};
        let set = self.set;
        for (name, value) in [
            ("filename", &externals.filename),
            ("filepath", &externals.filepath),
            ("extension", &externals.extension),
            ("filetype", &externals.filetype),
            ("owner", &externals.owner),
        ] {
            // Declared when compiling, with the same type: this cannot fail.
            let _ = self.scanner.set_global(name, value.as_str());
        }
        let results = match self.scanner.scan(buf) {
            Ok(r) => r,
            Err(yara_x::errors::ScanError::Timeout) => return Err(TimedOut),
            // Module errors concern one module's view of the file: the rules that do not
            // need it still ran, but yara-x gives no results then; nothing is reported.
            Err(_) => return Ok(Vec::new()),
        };
        let mut hits = Vec::new();
        for rule in results.matching_rules() {
            // yara-x keeps up to a million matches per pattern: only the first few of each
            // (they come in file order) can be among the rule's first few, so only those are
            // kept; the others are counted.
            let mut spots: Vec<(&str, std::ops::Range<usize>)> = Vec::new();
            let mut match_count = 0u64;
            for p in rule.patterns() {
                for (n, m) in p.matches().enumerate() {
                    match_count += 1;
                    if n < crate::engine::REPORTED_MATCHES_PER_RULE {
                        spots.push((p.identifier(), m.range()));
                    }
                }
            }
            spots.sort_by_key(|(_, r)| r.start);
            spots.truncate(crate::engine::REPORTED_MATCHES_PER_RULE);
            let mut lines = LineCounter::new();
            let matches = spots
                .into_iter()
                .map(|(pattern, r)| Match {
                    pattern: pattern.to_owned(),
                    offset: r.start as u64,
                    length: r.len() as u64,
                    line: lines.line_at(buf, r.start),
                    excerpt: excerpt(buf, r.start.min(buf.len()), r.end.min(buf.len()), false),
                    view_excerpt: None,
                })
                .collect();
            hits.push(YaraHit {
                rule: set.rule_info(&rule),
                matches,
                match_count,
            });
        }
        Ok(hits)
    }

    #[cfg(not(feature = "yara"))]
    pub(crate) fn scan(
        &mut self,
        _externals: &Externals,
        _buf: &[u8],
    ) -> Result<Vec<YaraHit>, TimedOut> {
        let _ = self.set;
        Ok(Vec::new())
    }
}

thread_local! {
    /// This thread's scanner: yara-x scanners are neither `Send` nor cheap to create, and
    /// the walker's threads are handed their visitors from another thread.
    static SCANNER: std::cell::RefCell<Option<YaraScanner<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` with this thread's scanner for `rules`, creating it on first use (or when a
/// scan with other rules comes).
pub(crate) fn with_scanner<R>(
    rules: &'static YaraRules,
    timeout: Option<std::time::Duration>,
    f: impl FnOnce(&mut YaraScanner<'static>) -> R,
) -> R {
    SCANNER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let current = slot
            .as_ref()
            .is_some_and(|s| std::ptr::eq(s.set, rules) && s.timeout == timeout);
        if !current {
            *slot = None;
        }
        f(slot.get_or_insert_with(|| YaraScanner::new(rules, timeout)))
    })
}
