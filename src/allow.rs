//! Allowlists: how an admin silences a known false positive without editing rules.
//!
//! ```yaml
//! allow:
//!   - sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//!     reason: vendor build of our admin console, checked 2025-07-20
//!   - path: /var/www/html/vendor/**
//!     reason: composer dependencies, audited
//!   - rule: SSW-WEBSHELL-003
//!     path: /var/www/html/admin/tools/*.php
//!     reason: our own console runs shell commands by design
//! ```
//!
//! An entry silences a finding when every key it gives matches: the file's SHA-256, a glob
//! over the file's (or log's) path, the rule id. Every entry needs a reason. Silenced
//! findings are counted in the summary, never printed.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use globset::{GlobBuilder, GlobMatcher};

use crate::common::diag::{Diagnostic, Sink};
use crate::common::yaml::{self, Node, Value};
use crate::finding::{Finding, Subject};

#[derive(Debug)]
struct Entry {
    sha256: Option<String>,
    path: Option<GlobMatcher>,
    rule: Option<String>,
    hits: AtomicU64,
}

/// The loaded allowlists.
#[derive(Debug, Default)]
pub struct Allowlist {
    entries: Vec<Entry>,
}

/// An allowlist file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AllowError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{} error(s) in allowlist", .0.len())]
    Invalid(Vec<Diagnostic>),
}

impl Allowlist {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn load_file(&mut self, path: &Path) -> Result<(), AllowError> {
        let text = std::fs::read_to_string(path).map_err(|source| AllowError::Read {
            path: path.display().to_string(),
            source,
        })?;
        self.load_text(&path.display().to_string(), &text)
    }

    pub fn load_text(&mut self, label: &str, text: &str) -> Result<(), AllowError> {
        let mut sink = Sink::new(label, text);
        let entries = parse(&mut sink, text);
        if sink.has_errors() {
            return Err(AllowError::Invalid(sink.diagnostics));
        }
        self.entries.extend(entries);
        Ok(())
    }

    /// Whether an entry silences this finding (and counts it for that entry).
    pub fn allows(&self, f: &Finding) -> bool {
        let sha = match &f.subject {
            Subject::File(file) => Some(file.sha256.as_str()),
            Subject::Log(_) => None,
        };
        self.allows_parts(f.subject.path(), sha, &f.rule.id)
    }

    /// The same test on a finding's parts: for findings carried over from an earlier sweep,
    /// which the state keeps as JSON, so that an allowlist added later silences them too.
    pub fn allows_parts(&self, path: &Path, sha: Option<&str>, rule: &str) -> bool {
        let path = path.to_string_lossy().replace('\\', "/");
        let hit = self.entries.iter().find(|e| {
            e.rule.as_ref().is_none_or(|r| *r == rule)
                && e.sha256.as_ref().is_none_or(|h| sha == Some(h.as_str()))
                && e.path.as_ref().is_none_or(|g| g.is_match(&path))
        });
        if let Some(e) = hit {
            e.hits.fetch_add(1, Relaxed);
        }
        hit.is_some()
    }
}

fn parse(sink: &mut Sink<'_>, text: &str) -> Vec<Entry> {
    let root = match yaml::parse(text) {
        Ok(Some(root)) => root,
        Ok(None) => return Vec::new(),
        Err(e) => {
            sink.error(e.pos, format!("YAML syntax: {}", e.message));
            return Vec::new();
        }
    };
    let list = match &root.value {
        Value::Map(entries) => match entries.iter().find(|(k, _)| k.as_str() == Some("allow")) {
            Some((_, v)) => v,
            None => {
                sink.error(root.pos, "expected `allow:` with a list of entries");
                return Vec::new();
            }
        },
        _ => {
            sink.error(root.pos, "expected a mapping with `allow:`");
            return Vec::new();
        }
    };
    let Value::Seq(items) = &list.value else {
        sink.error(list.pos, "`allow` must be a list of entries");
        return Vec::new();
    };
    items.iter().filter_map(|item| entry(sink, item)).collect()
}

fn entry(sink: &mut Sink<'_>, node: &Node) -> Option<Entry> {
    let Value::Map(kv) = &node.value else {
        sink.error(node.pos, "an allowlist entry is a mapping with `reason` and one or more of `sha256`, `path`, `rule`");
        return None;
    };
    let mut e = Entry {
        sha256: None,
        path: None,
        rule: None,
        hits: AtomicU64::new(0),
    };
    let mut reason = false;
    for (k, v) in kv {
        let key = k.as_str().unwrap_or_default();
        let Some(val) = v.as_str().filter(|s| !s.trim().is_empty()) else {
            sink.error(v.pos, format!("`{key}` needs a value"));
            continue;
        };
        match key {
            "sha256" => {
                let h = val.trim().to_ascii_lowercase();
                if h.len() != 64 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
                    sink.error(v.pos, "not a SHA-256 (64 hex digits)");
                }
                e.sha256 = Some(h);
            }
            "path" => match GlobBuilder::new(&val.replace('\\', "/"))
                .literal_separator(true)
                .case_insensitive(cfg!(windows))
                .build()
            {
                Ok(g) => e.path = Some(g.compile_matcher()),
                Err(err) => sink.error(v.pos, format!("bad glob: {}", err.kind())),
            },
            "rule" => e.rule = Some(val.trim().to_owned()),
            "reason" => reason = true,
            other => sink.error(
                k.pos,
                format!("unknown key `{other}` (sha256, path, rule, reason)"),
            ),
        }
    }
    if !reason {
        sink.error(node.pos, "every allowlist entry needs a `reason`");
    }
    if e.sha256.is_none() && e.path.is_none() && e.rule.is_none() {
        sink.error(
            node.pos,
            "an entry needs at least one of `sha256`, `path`, `rule`",
        );
        return None;
    }
    Some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_need_a_reason_and_a_key_and_errors_have_positions() {
        let mut a = Allowlist::default();
        let err = a
            .load_text(
                "a.yml",
                "allow:\n  - path: /x/**\n  - reason: r\n  - sha256: abc\n    reason: r\n",
            )
            .unwrap_err();
        let AllowError::Invalid(d) = err else {
            panic!()
        };
        let lines: Vec<usize> = d.iter().map(|d| d.pos.line).collect();
        assert_eq!(lines, vec![2, 3, 4]);
    }
}
