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
//! where other files cost about as much to scan as to hash. The rules that run on a file
//! depend on its name (extension, path globs), so the key holds which ones applied too;
//! nothing else a scan reads comes from the path.
//!
//! A copy is found by a cheap digest of its bytes (foldhash, seeded per process) and proven
//! one by their SHA-256, cut to 128 bits: finding two scripts that collide, one of them
//! planted, takes some 2^64 hashes, and the cheap digest only decides which entry to compare
//! with. So SHA-256 is taken of the scripts that need it anyway (a finding reports it) and of
//! those whose cheap digest was met before, not of every script: in that web root 4,697
//! scripts (100 MB) have findings, and SHA-256 of the other 262 MB was 3% of the sweep. The
//! price is one more scan per content without findings that has copies: its first scan
//! left no SHA-256 to compare with, so its first copy is scanned and leaves one.
//!
//! A scan given up at `--file-timeout` is not remembered, and a result is remembered only
//! while the memo's bytes stay under its budget: past it, new scripts are scanned and not
//! kept, which costs time, never a finding.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher as _;
use std::path::Path;
use std::sync::Mutex;

use crate::canon::Lang;
use crate::common::bytes::sha256;
use crate::rules::Stat;

use super::ids::{Id, RuleId};
use super::{Engine, Match, RuleHit, Scratch};

/// What a memo may hold, in bytes (as counted by [`Memo::cost`]). The web root of issue 18
/// fills 5.5 MB of it: 4,203 contents with hits (or seen twice), and 30,798 without, kept by
/// their keys alone, under 12 selections of rules.
pub(crate) const BUDGET: usize = 24 << 20;

/// Scan results by content, shared by the scanning threads of one sweep and belonging to
/// one [`Engine`] (the hits name its rules by id).
pub(crate) struct Memo {
    inner: Mutex<Inner>,
    budget: usize,
    /// The cheap digest's seed, this process's own, so that a planted file cannot be made
    /// to share a digest with another (a shared one would cost a scan, not a finding).
    digest: foldhash::fast::RandomState,
}

#[derive(Default)]
struct Inner {
    /// Each set of applicable rules met, with the id the keys use for it. There are few:
    /// one per file-atom group, language and matching combination of path globs.
    selections: HashMap<Selection, u32, foldhash::fast::RandomState>,
    results: HashMap<Key, Entry, foldhash::fast::RandomState>,
    /// Contents scanned without hits, whose SHA-256 was not taken: only the key, so that a
    /// copy is known for one (see the module). Most scripts are these: in the web root of
    /// issue 18, as entries of `results` they held 3.7 MB of the sweep's peak; as keys
    /// alone, a quarter of that.
    unproven: HashSet<Key, foldhash::fast::RandomState>,
    /// What `selections`, `results` and `unproven` hold, as [`Memo::cost`] counts it.
    bytes: usize,
    /// How many scans a recall stood in for, for the tests to tell one from a scan.
    #[cfg(test)]
    recalls: usize,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Selection {
    group: usize,
    lang: Lang,
    /// One bit per rule: whether it applies.
    rules: Box<[u64]>,
}

/// A script's contents, by their cheap digest, and the rules that ran on it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    content: u64,
    selection: u32,
}

/// What a scan of the contents found, and their SHA-256 (cut to 128 bits): only a script
/// whose own SHA-256 equals it gets these hits.
struct Entry {
    sha256: [u8; 16],
    kept: Box<[Kept]>,
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
            digest: foldhash::fast::RandomState::default(),
        }
    }

    /// Whether a file by this name is worth remembering: only scripts are (see the module).
    pub(crate) fn wants(path: &Path) -> bool {
        Lang::of(path).is_some()
    }

    /// The key of a script named `path` with these bytes; `None` for a file the memo does
    /// not keep.
    pub(crate) fn key(
        &self,
        engine: &Engine,
        path: &Path,
        raw: &[u8],
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
        drop(inner);
        Some(Key {
            content: self.digest.hash_one(raw),
            selection,
        })
    }

    /// Whether contents with this key were scanned before (perhaps other contents that
    /// share the cheap digest).
    fn met(&self, key: &Key) -> bool {
        let inner = self.lock();
        inner.results.contains_key(key) || inner.unproven.contains(key)
    }

    /// The hits remembered for `key`, as the engine's own, if they were found in contents
    /// whose SHA-256 begins with `sha256`.
    fn recall<'e>(
        &self,
        engine: &'e Engine,
        key: &Key,
        sha256: &[u8; 16],
    ) -> Option<Vec<RuleHit<'e>>> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let kept = inner.results.get(key).filter(|e| &e.sha256 == sha256)?;
        #[cfg(test)]
        {
            inner.recalls += 1;
        }
        Some(
            kept.kept
                .iter()
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

    /// Keeps what a whole scan (not one given up at its deadline) of contents whose SHA-256
    /// begins with `sha256` (when it was taken) found under `key`, while the budget allows.
    /// Without a SHA-256 (a scan without hits), only the key is kept; with one, it takes
    /// the key's place, so that the next copy of those contents is recalled.
    fn remember(&self, engine: &Engine, key: Key, sha256: Option<[u8; 16]>, hits: &[RuleHit<'_>]) {
        let Some(sha256) = sha256 else {
            // Hits always come with their SHA-256 (see `scan_keyed`).
            if hits.is_empty() {
                let mut inner = self.lock();
                let cost = size_of::<Key>() + 1;
                if inner.bytes + cost <= self.budget && inner.unproven.insert(key) {
                    inner.bytes += cost;
                }
            }
            return;
        };
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
        if inner.results.contains_key(&key) {
            return;
        }
        let freed = if inner.unproven.contains(&key) {
            size_of::<Key>() + 1
        } else {
            0
        };
        if (inner.bytes - freed) + cost > self.budget {
            return;
        }
        inner.unproven.remove(&key);
        inner.bytes = inner.bytes - freed + cost;
        inner.results.insert(key, Entry { sha256, kept });
    }

    /// About what an entry holds on the heap: the map's slot and everything the hits own.
    fn cost(kept: &[Kept]) -> usize {
        let matches = |m: &Match| {
            size_of::<Match>()
                + m.pattern.capacity()
                + m.excerpt.capacity()
                + m.view_excerpt.as_ref().map_or(0, Vec::capacity)
        };
        size_of::<(Key, Entry)>()
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
    /// As [`Engine::scan_file`], for a script whose copy may have been scanned before under
    /// the same rules: it then gets the hits found then. Also gives the bytes' SHA-256 when
    /// it was taken (see the module).
    pub(crate) fn scan_file_memo<'e>(
        &'e self,
        path: &Path,
        raw: &[u8],
        scratch: &mut Scratch,
        memo: &Memo,
    ) -> (Vec<RuleHit<'e>>, Option<[u8; 32]>) {
        match memo.key(self, path, raw, scratch) {
            Some(key) => self.scan_keyed(path, raw, scratch, memo, key),
            None => (self.scan_file(path, raw, scratch), None),
        }
    }

    fn scan_keyed<'e>(
        &'e self,
        path: &Path,
        raw: &[u8],
        scratch: &mut Scratch,
        memo: &Memo,
        key: Key,
    ) -> (Vec<RuleHit<'e>>, Option<[u8; 32]>) {
        let cut = |d: &[u8; 32]| -> [u8; 16] { d[..16].try_into().expect("16 of 32 bytes") };
        let mut digest = None;
        if memo.met(&key) {
            let d = sha256(raw);
            if let Some(hits) = memo.recall(self, &key, &cut(&d)) {
                return (hits, Some(d));
            }
            digest = Some(d);
        }
        let hits = self.scan_file(path, raw, scratch);
        if !scratch.timed_out() {
            // A finding reports the SHA-256 anyway: taken now, it proves the next copy.
            if digest.is_none() && !hits.is_empty() {
                digest = Some(sha256(raw));
            }
            memo.remember(self, key, digest.as_ref().map(cut), &hits);
        }
        (hits, digest)
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
    const CLEAN: &[u8] = b"<?php echo 1;";

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

    /// Contents remembered, with their hits or by their key alone.
    fn entries(memo: &Memo) -> usize {
        let inner = memo.lock();
        inner.results.len() + inner.unproven.len()
    }

    fn recalls(memo: &Memo) -> usize {
        memo.lock().recalls
    }

    #[test]
    fn a_copy_gets_the_hits_of_the_first_scan_and_only_under_the_same_rules() {
        let e = engine();
        let memo = Memo::new();
        let mut s = e.scratch();
        let first = Path::new("a/LAYOUTS/x.php");
        let fresh = shown(&e.scan_file(first, SHELL, &mut s));
        assert_eq!(fresh.len(), 2, "{fresh:?}");
        assert!(
            fresh.iter().any(|h| h.contains("view_excerpt: Some")),
            "{fresh:?}"
        );
        // Hits make the SHA-256 worth taking: it comes back for the finding.
        let (hits, digest) = e.scan_file_memo(first, SHELL, &mut s, &memo);
        assert_eq!(shown(&hits), fresh);
        assert_eq!(digest, Some(sha256(SHELL)));
        assert_eq!((entries(&memo), recalls(&memo)), (1, 0));
        // A copy in another LAYOUTS folder is recalled, not scanned, with the hits of the
        // scan (view matches and their excerpts included).
        let copy = Path::new("b/LAYOUTS/y.php");
        let (hits, digest) = e.scan_file_memo(copy, SHELL, &mut s, &memo);
        assert_eq!(shown(&hits), fresh);
        assert_eq!(digest, Some(sha256(SHELL)));
        assert_eq!((entries(&memo), recalls(&memo)), (1, 1));
        // The same bytes outside LAYOUTS run other rules: a result of their own.
        let elsewhere = Path::new("c/y.php");
        let (found, _) = e.scan_file_memo(elsewhere, SHELL, &mut s, &memo);
        let found = shown(&found);
        assert_eq!(found, shown(&e.scan_file(elsewhere, SHELL, &mut s)));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((entries(&memo), recalls(&memo)), (2, 1));
        // So does a script whose extension leaves `Q` out.
        let other = Path::new("a/LAYOUTS/x.inc");
        let (found, _) = e.scan_file_memo(other, SHELL, &mut s, &memo);
        assert_eq!(shown(&found), shown(&e.scan_file(other, SHELL, &mut s)));
        assert_eq!(entries(&memo), 3);
        // A file that is not a script is not remembered.
        assert!(!Memo::wants(Path::new("a/LAYOUTS/x.txt")));
        assert!(memo.key(&e, Path::new("x.txt"), SHELL, &mut s).is_none());
    }

    /// Contents without hits leave no SHA-256 (none is reported), so their first copy is
    /// scanned and leaves one, and the copies after it are recalled.
    #[test]
    fn a_clean_script_is_hashed_only_once_a_copy_of_it_turns_up() {
        let e = engine();
        let memo = Memo::new();
        let mut s = e.scratch();
        let path = |i: usize| format!("site{i}/LAYOUTS/x.php");
        let (hits, digest) = e.scan_file_memo(Path::new(&path(0)), CLEAN, &mut s, &memo);
        assert!(hits.is_empty());
        assert_eq!(digest, None);
        assert_eq!((entries(&memo), recalls(&memo)), (1, 0));
        let (hits, digest) = e.scan_file_memo(Path::new(&path(1)), CLEAN, &mut s, &memo);
        assert!(hits.is_empty());
        assert_eq!(digest, Some(sha256(CLEAN)));
        assert_eq!((entries(&memo), recalls(&memo)), (1, 0));
        for i in 2..5 {
            let (hits, digest) = e.scan_file_memo(Path::new(&path(i)), CLEAN, &mut s, &memo);
            assert!(hits.is_empty());
            assert_eq!(digest, Some(sha256(CLEAN)));
        }
        assert_eq!((entries(&memo), recalls(&memo)), (1, 3));
    }

    /// The cheap digest only says which entry to compare with: contents that share it with
    /// a web shell's (a planted collision, or chance) are scanned for what they are, and a
    /// web shell that shares one with clean contents is not taken for them.
    #[test]
    fn a_shared_cheap_digest_costs_a_scan_never_a_finding() {
        let e = engine();
        let mut s = e.scratch();
        let path = Path::new("LAYOUTS/x.php");
        for (first, second) in [(SHELL, CLEAN), (CLEAN, SHELL)] {
            let memo = Memo::new();
            let key = memo.key(&e, path, first, &mut s).unwrap();
            for _ in 0..2 {
                let (hits, _) = e.scan_keyed(path, first, &mut s, &memo, key);
                assert_eq!(shown(&hits), shown(&e.scan_file(path, first, &mut s)));
            }
            for _ in 0..2 {
                let (hits, digest) = e.scan_keyed(path, second, &mut s, &memo, key);
                assert_eq!(shown(&hits), shown(&e.scan_file(path, second, &mut s)));
                assert_eq!(digest, Some(sha256(second)));
            }
            // The entry stays the first contents': their copy is still recalled.
            let before = recalls(&memo);
            let (hits, _) = e.scan_keyed(path, first, &mut s, &memo, key);
            assert_eq!(shown(&hits), shown(&e.scan_file(path, first, &mut s)));
            assert_eq!(recalls(&memo), before + 1);
        }
    }

    #[test]
    fn a_scan_given_up_at_its_deadline_is_not_remembered() {
        let e = engine();
        let memo = Memo::new();
        let mut s = e.scratch();
        let path = Path::new("LAYOUTS/x.php");
        s.set_deadline(Some(Instant::now() - Duration::from_millis(1)));
        assert!(e.scan_file_memo(path, SHELL, &mut s, &memo).0.is_empty());
        assert!(s.timed_out());
        assert_eq!(entries(&memo), 0);
        // The next copy is scanned whole and finds what there is.
        s.set_deadline(None);
        assert_eq!(e.scan_file_memo(path, SHELL, &mut s, &memo).0.len(), 2);
        assert_eq!(entries(&memo), 1);
    }

    #[test]
    fn past_its_budget_the_memo_scans_and_keeps_nothing_more() {
        let e = engine();
        let mut s = e.scratch();
        let path = Path::new("LAYOUTS/x.php");
        // Room for the selection, not for the result.
        let memo = Memo::with_budget(200);
        for _ in 0..2 {
            assert_eq!(e.scan_file_memo(path, SHELL, &mut s, &memo).0.len(), 2);
        }
        assert_eq!(entries(&memo), 0);
        assert!(memo.lock().bytes <= 200);
        // No room for the selection either: no key at all.
        let memo = Memo::with_budget(0);
        assert!(memo.key(&e, path, SHELL, &mut s).is_none());
        assert_eq!(e.scan_file_memo(path, SHELL, &mut s, &memo).0.len(), 2);
    }
}
