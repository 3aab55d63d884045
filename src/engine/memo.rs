//! What the rules found in a script, remembered by its contents, so that a copy elsewhere in
//! the tree is not scanned again.
//!
//! Web roots are full of copies: the same web shell dropped into a dozen folders, a CMS
//! installed once per site, a library vendored by several applications, backups next to
//! the live tree. In the web root of issue 18 (112,474 files) 3,208 scripts are copies of
//! another with the same extension, 85 MB of the 362 MB of scripts; most are web shells,
//! whose scans cost the most, and they took 2.6 of the sweep's 7.6 s of matching.
//!
//! Only scripts are remembered (the languages that have a canonical view, [`Lang::of`]):
//! their scan costs three (plain code) to fifty (web shells) times what hashing them does,
//! where other files cost about as much to scan as to hash. The key is the SHA-256 of the
//! bytes (a finding reports it, so for a file with findings it is not extra work), cut to
//! 128 bits: finding two scripts that collide, one of them planted, takes some 2^64
//! hashes. The rules that run on a file depend on its name (extension, path globs), so the
//! key holds which ones applied too; nothing else a scan reads comes from the path.
//!
//! A scan given up at `--file-timeout` is not remembered, and a result is remembered only
//! while the memo's bytes stay under its budget: past it, new scripts are scanned and not
//! kept, which costs time, never a finding.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use crate::canon::Lang;
use crate::rules::Stat;

use super::ids::{Id, RuleId};
use super::{Engine, Match, RuleHit, Scratch};

/// What a memo may hold, in bytes (as counted by [`Memo::cost`]). The web root of issue 18
/// fills 6.2 MB of it: 34,944 distinct scripts (of 38,155) under 13 selections of rules.
pub(crate) const BUDGET: usize = 24 << 20;

/// Scan results by content, shared by the scanning threads of one sweep and belonging to
/// one [`Engine`] (the hits name its rules by id).
pub(crate) struct Memo {
    inner: Mutex<Inner>,
    budget: usize,
}

#[derive(Default)]
struct Inner {
    /// Each set of applicable rules met, with the id the keys use for it. There are few:
    /// one per file-atom group, language and matching combination of path globs.
    selections: HashMap<Selection, u32, foldhash::fast::RandomState>,
    results: HashMap<Key, Box<[Kept]>, foldhash::fast::RandomState>,
    /// What `selections` and `results` hold, as [`Memo::cost`] counts it.
    bytes: usize,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Selection {
    group: usize,
    lang: Lang,
    /// One bit per rule: whether it applies.
    rules: Box<[u64]>,
}

/// A script's contents and the rules that ran on it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    content: [u8; 16],
    selection: u32,
}

/// A [`RuleHit`] as kept: the rule by id, so that the memo need not borrow the engine.
struct Kept {
    rule: RuleId,
    matches: Vec<Match>,
    match_count: u64,
    measures: Vec<(Stat, f64)>,
}

impl Memo {
    pub(crate) fn new() -> Memo {
        Memo::with_budget(BUDGET)
    }

    fn with_budget(budget: usize) -> Memo {
        Memo {
            inner: Mutex::new(Inner::default()),
            budget,
        }
    }

    /// Whether a file by this name is worth remembering: only scripts are (see the module).
    pub(crate) fn wants(path: &Path) -> bool {
        Lang::of(path).is_some()
    }

    /// The key of a script named `path` whose bytes hash to `sha256`; `None` for a file
    /// the memo does not keep.
    pub(crate) fn key(
        &self,
        engine: &Engine,
        path: &Path,
        sha256: &[u8; 32],
        scratch: &mut Scratch,
    ) -> Option<Key> {
        let lang = Lang::of(path)?;
        engine.select_rules(path, scratch);
        let mut rules = vec![0u64; scratch.applicable.len().div_ceil(64)].into_boxed_slice();
        for (ri, &a) in scratch.applicable.iter_enumerated() {
            if a {
                rules[ri.index() / 64] |= 1 << (ri.index() % 64);
            }
        }
        let selection = Selection {
            group: scratch.group,
            lang,
            rules,
        };
        let mut inner = self.lock();
        let selection = match inner.selections.get(&selection) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(inner.selections.len()).ok()?;
                let cost = size_of::<(Selection, u32)>() + selection.rules.len() * 8;
                if inner.bytes + cost > self.budget {
                    return None;
                }
                inner.bytes += cost;
                inner.selections.insert(selection, id);
                id
            }
        };
        let mut content = [0; 16];
        content.copy_from_slice(&sha256[..16]);
        Some(Key { content, selection })
    }

    /// The hits remembered for `key`, as the engine's own.
    pub(crate) fn recall<'e>(&self, engine: &'e Engine, key: &Key) -> Option<Vec<RuleHit<'e>>> {
        let inner = self.lock();
        let kept = inner.results.get(key)?;
        Some(
            kept.iter()
                .map(|k| RuleHit {
                    rule: &engine.rules[k.rule],
                    matches: k.matches.clone(),
                    match_count: k.match_count,
                    selections: Vec::new(),
                    measures: k.measures.clone(),
                })
                .collect(),
        )
    }

    /// Keeps what a whole scan (not one given up at its deadline) found under `key`, while
    /// the budget allows.
    pub(crate) fn remember(&self, engine: &Engine, key: Key, hits: &[RuleHit<'_>]) {
        let kept: Option<Box<[Kept]>> = hits
            .iter()
            .map(|h| {
                Some(Kept {
                    rule: engine.rule_id(h.rule)?,
                    matches: h.matches.clone(),
                    match_count: h.match_count,
                    measures: h.measures.clone(),
                })
            })
            .collect();
        // A hit of a rule not of this engine would be a bug; it is not kept either way.
        let Some(kept) = kept else { return };
        let cost = Memo::cost(&kept);
        let mut inner = self.lock();
        if inner.bytes + cost > self.budget || inner.results.contains_key(&key) {
            return;
        }
        inner.bytes += cost;
        inner.results.insert(key, kept);
    }

    /// About what an entry holds on the heap: the map's slot and everything the hits own.
    fn cost(kept: &[Kept]) -> usize {
        let matches = |m: &Match| {
            size_of::<Match>()
                + m.pattern.capacity()
                + m.excerpt.capacity()
                + m.view_excerpt.as_ref().map_or(0, Vec::capacity)
        };
        size_of::<(Key, Box<[Kept]>)>()
            + 1
            + kept
                .iter()
                .map(|k| {
                    size_of::<Kept>()
                        + k.matches.iter().map(matches).sum::<usize>()
                        + k.measures.capacity() * size_of::<(Stat, f64)>()
                })
                .sum::<usize>()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A thread that panicked while holding the lock left the maps as they were
        // between two whole operations: each insert is one step.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Engine {
    /// As [`Engine::scan_file`], for a file whose bytes hash to `sha256`: a script whose
    /// contents were scanned before under the same rules gets the hits found then.
    pub(crate) fn scan_file_memo<'e>(
        &'e self,
        path: &Path,
        raw: &[u8],
        sha256: &[u8; 32],
        scratch: &mut Scratch,
        memo: &Memo,
    ) -> Vec<RuleHit<'e>> {
        let Some(key) = memo.key(self, path, sha256, scratch) else {
            return self.scan_file(path, raw, scratch);
        };
        if let Some(hits) = memo.recall(self, &key) {
            return hits;
        }
        let hits = self.scan_file(path, raw, scratch);
        if !scratch.timed_out() {
            memo.remember(self, key, &hits);
        }
        hits
    }

    /// The id of one of this engine's rules.
    pub(crate) fn rule_id(&self, rule: &crate::rules::Rule) -> Option<RuleId> {
        self.rules
            .iter_enumerated()
            .find(|(_, r)| std::ptr::eq(*r, rule))
            .map(|(ri, _)| ri)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use super::{Memo, RuleHit};
    use crate::common::bytes::sha256;
    use crate::engine::Engine;
    use crate::rules::Loader;

    /// `P` runs on scripts under a `LAYOUTS` folder only; `Q` on every PHP file, and holds
    /// in the canonical view only (the literal is split).
    fn engine() -> Engine {
        let mut l = Loader::new();
        l.add_text(
            "t.yml",
            "rules:\n  - id: P\n    name: p\n    severity: high\n    files:\n      paths: ['**/LAYOUTS/**']\n    patterns:\n      a: { regex: 'assert\\(\\$_POST' }\n  - id: Q\n    name: q\n    severity: high\n    files:\n      extensions: [php]\n    patterns:\n      e: { text: 'system($_GET' }\n",
        );
        Engine::new(l.finish().unwrap().0).unwrap()
    }

    const SHELL: &[u8] = b"<?php\n$f = 'sys' . 'tem';\n$f($_GET['c']);\nassert($_POST['x']);\n";

    /// What a writer shows of a hit: rule, matches (place, line, excerpts), count, measures.
    fn shown(hits: &[RuleHit<'_>]) -> Vec<String> {
        let mut v: Vec<String> = hits
            .iter()
            .map(|h| {
                format!(
                    "{} {:?} {} {:?}",
                    h.rule.id, h.matches, h.match_count, h.measures
                )
            })
            .collect();
        v.sort();
        v
    }

    fn entries(memo: &Memo) -> usize {
        memo.lock().results.len()
    }

    #[test]
    fn a_copy_gets_the_hits_of_the_first_scan_and_only_under_the_same_rules() {
        let e = engine();
        let memo = Memo::new();
        let mut s = e.scratch();
        let digest = sha256(SHELL);
        let first = Path::new("a/LAYOUTS/x.php");
        let fresh = shown(&e.scan_file(first, SHELL, &mut s));
        assert_eq!(fresh.len(), 2, "{fresh:?}");
        assert!(
            fresh.iter().any(|h| h.contains("view_excerpt: Some")),
            "{fresh:?}"
        );
        assert_eq!(
            shown(&e.scan_file_memo(first, SHELL, &digest, &mut s, &memo)),
            fresh
        );
        assert_eq!(entries(&memo), 1);
        // A copy in another LAYOUTS folder is recalled, not scanned: the memo is unchanged,
        // and the hits are those of the scan (view matches and their excerpts included).
        let copy = Path::new("b/LAYOUTS/y.php");
        assert_eq!(
            shown(&e.scan_file_memo(copy, SHELL, &digest, &mut s, &memo)),
            fresh
        );
        assert_eq!(entries(&memo), 1);
        // The digest is the file's identity: bytes that claim it are not looked at.
        let clean = b"<?php echo 1;";
        assert_eq!(
            shown(&e.scan_file_memo(copy, clean, &digest, &mut s, &memo)),
            fresh
        );
        // The same bytes outside LAYOUTS run other rules: a result of their own.
        let elsewhere = Path::new("c/y.php");
        let found = shown(&e.scan_file_memo(elsewhere, SHELL, &digest, &mut s, &memo));
        assert_eq!(found, shown(&e.scan_file(elsewhere, SHELL, &mut s)));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(entries(&memo), 2);
        // So does a script whose extension leaves `Q` out.
        let other = Path::new("a/LAYOUTS/x.inc");
        let found = shown(&e.scan_file_memo(other, SHELL, &digest, &mut s, &memo));
        assert_eq!(found, shown(&e.scan_file(other, SHELL, &mut s)));
        assert_eq!(entries(&memo), 3);
        // A file that is not a script is not remembered.
        assert!(!Memo::wants(Path::new("a/LAYOUTS/x.txt")));
        assert!(memo.key(&e, Path::new("x.txt"), &digest, &mut s).is_none());
    }

    #[test]
    fn other_bytes_are_scanned_even_under_the_same_rules() {
        let e = engine();
        let memo = Memo::new();
        let mut s = e.scratch();
        let path = Path::new("LAYOUTS/x.php");
        assert_eq!(
            e.scan_file_memo(path, SHELL, &sha256(SHELL), &mut s, &memo)
                .len(),
            2
        );
        let clean = b"<?php echo 1;";
        assert!(
            e.scan_file_memo(path, clean, &sha256(clean), &mut s, &memo)
                .is_empty()
        );
        assert_eq!(entries(&memo), 2);
    }

    #[test]
    fn a_scan_given_up_at_its_deadline_is_not_remembered() {
        let e = engine();
        let memo = Memo::new();
        let mut s = e.scratch();
        let path = Path::new("LAYOUTS/x.php");
        let digest = sha256(SHELL);
        s.set_deadline(Some(Instant::now() - Duration::from_millis(1)));
        assert!(
            e.scan_file_memo(path, SHELL, &digest, &mut s, &memo)
                .is_empty()
        );
        assert!(s.timed_out());
        assert_eq!(entries(&memo), 0);
        // The next copy is scanned whole and finds what there is.
        s.set_deadline(None);
        assert_eq!(
            e.scan_file_memo(path, SHELL, &digest, &mut s, &memo).len(),
            2
        );
        assert_eq!(entries(&memo), 1);
    }

    #[test]
    fn past_its_budget_the_memo_scans_and_keeps_nothing_more() {
        let e = engine();
        let mut s = e.scratch();
        let path = Path::new("LAYOUTS/x.php");
        let digest = sha256(SHELL);
        // Room for the selection, not for the result.
        let memo = Memo::with_budget(200);
        for _ in 0..2 {
            assert_eq!(
                e.scan_file_memo(path, SHELL, &digest, &mut s, &memo).len(),
                2
            );
        }
        assert_eq!(entries(&memo), 0);
        assert!(memo.lock().bytes <= 200);
        // No room for the selection either: no key at all.
        let memo = Memo::with_budget(0);
        assert!(memo.key(&e, path, &digest, &mut s).is_none());
        assert_eq!(
            e.scan_file_memo(path, SHELL, &digest, &mut s, &memo).len(),
            2
        );
    }
}
