//! Scanning one buffer: automaton pass, regex verification near hits, conditions.

use std::path::{Path, PathBuf};
use std::time::Instant;

use regex_automata::{Anchored, Input};

use super::atoms::Landmark;
use super::automaton::AtomSet;
use super::caches::RegexCaches;
use super::excerpt::{self, LineCounter};
use super::ids::{IdVec, PatternId, RuleId};
use super::lanes::Hits;
use super::stats::StatCache;
use super::{CompiledPattern, Engine, KEPT_MATCHES_PER_PATTERN, Suffix};
use crate::rules::{Cmp, Expr, Facts, Rule, Stat};

/// At most this many matches are reported per rule and file (all are counted).
pub(crate) const REPORTED_MATCHES_PER_RULE: usize = 8;

/// One reported match of a pattern.
#[derive(Clone, Debug)]
pub struct Match {
    /// The pattern's name in its rule.
    pub pattern: String,
    /// Byte offset in the scanned buffer.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
    /// 1-based.
    pub line: u64,
    /// Raw bytes around the match, bounded; escaping is the writer's job.
    pub excerpt: Vec<u8>,
    /// For a match in a script's canonical view: the view's text around it (the raw
    /// `excerpt` shows where it came from, this what the rule saw).
    pub view_excerpt: Option<Vec<u8>>,
}

/// A rule whose condition held on a buffer.
#[derive(Debug)]
pub struct RuleHit<'e> {
    /// The rule that held.
    pub rule: &'e Rule,
    /// The first matches in file order, at most [`REPORTED_MATCHES_PER_RULE`].
    pub matches: Vec<Match>,
    /// All matches of the rule's patterns (regex matches are counted near atom hits).
    pub match_count: u64,
    /// For log rules: the selections that held.
    pub selections: Vec<&'e str>,
    /// The file statistics the condition compared, as measured: a statistics-only rule
    /// has no match to show, so these are its evidence.
    pub measures: Vec<(Stat, f64)>,
}

#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    end: usize,
    wide: bool,
}

/// Per-thread working memory, reused from file to file.
pub struct Scratch {
    pub(crate) applicable: IdVec<RuleId, bool>,
    any_applicable: bool,
    /// Some rule that applies names the file's extension: a rule written for its type (see
    /// [`Engine::views_apply`]).
    typed: bool,
    /// The file-atom group of the file's extension (see `partition`).
    pub(super) group: usize,
    /// The atom hits of the buffer being scanned.
    hits: Hits,
    pub(crate) counts: IdVec<PatternId, u64>,
    kept: IdVec<PatternId, Vec<Span>>,
    touched: Vec<PatternId>,
    /// Per triggered regex: its atom hits, those close enough to share a search window
    /// merged as they come (see `add_window`), and how many hits there were.
    windows: IdVec<PatternId, Vec<(usize, usize)>>,
    window_hits: IdVec<PatternId, usize>,
    /// The windows one regex is searched in, merged (one vector for all of them).
    search: Vec<(usize, usize)>,
    /// Per triggered regex with a suffix: how many of its first `windows` entries are hits
    /// kept as they came, not yet checked (see `find_atoms`).
    unchecked: IdVec<PatternId, usize>,
    /// What suffix checks may still read in the buffer being scanned (see `find_atoms`).
    check_budget: usize,
    triggered: Vec<PatternId>,
    /// Regex patterns triggered in this buffer and not verified yet.
    pending: IdVec<PatternId, bool>,
    /// Rules found unable to hold while this buffer's regexes are verified (cleared after),
    /// and which they are.
    ruled_out: IdVec<RuleId, bool>,
    ruled_out_list: Vec<RuleId>,
    /// The regexes to verify, keyed by cost (see `verify_regexes`). Kept, as the other
    /// vectors here are: a fresh key vector for the sort and a fresh list of the rules
    /// ruled out were two allocations of nearly every file (195k of a sweep's 2.5 M on
    /// the Debian packages).
    by_cost: Vec<(usize, u32, PatternId)>,
    /// Per regex pattern: which of its other required clauses were seen (bit per clause),
    /// and the patterns with any.
    gates_seen: IdVec<PatternId, u64>,
    gated: Vec<PatternId>,
    candidate: IdVec<RuleId, bool>,
    glob_hits: Vec<usize>,
    glob_ok: IdVec<RuleId, bool>,
    /// The last path whose rules were selected, and what was selected for it: a file's
    /// rules are asked for three or four times (whether to read it, its scan, its view's,
    /// its memo key), and the path's text and globs cost more than a copy.
    selected_for: Option<PathBuf>,
    selected: IdVec<RuleId, bool>,
    selected_any: bool,
    selected_typed: bool,
    selected_group: usize,
    /// `applicable` holds the log rules (set by record scans, cleared by file scans).
    pub(crate) log_mode: bool,
    /// Per-record memo of selection results, sized for the rule with the most selections.
    pub(crate) selection_memo: Vec<std::cell::Cell<Option<bool>>>,
    /// Per regex pattern: this thread's lazy-DFA cache (see [`RegexCaches`]).
    caches: RegexCaches,
    /// When the file being scanned must be given up (`--file-timeout`).
    deadline: Option<Instant>,
    /// The deadline passed during a scan: its hits are incomplete and were dropped.
    timed_out: bool,
    /// Work done since the clock was last read (see [`Scratch::past_deadline`]).
    since_clock: usize,
}

impl Scratch {
    /// Gives back the regex caches before a file of `size` bytes is read, when both are
    /// large (see [`RegexCaches::make_room`]).
    pub(crate) fn make_room_for(&mut self, size: u64) {
        if self.caches.make_room(size) {
            // The caches are many blocks under glibc's mapping threshold: freed, they stay
            // resident in the arenas, where the file's buffer (mapped on its own) cannot use
            // them. Trimming hands their whole free pages back.
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            // SAFETY: malloc_trim only gives glibc's free pages back; no memory is passed.
            unsafe {
                libc::malloc_trim(0);
            }
        }
    }

    /// Sets when the next scans must give up (`None`: never), and clears [`Scratch::timed_out`].
    /// The deadline is looked at between regex verifications and every [`VERIFY_CHUNK`] bytes
    /// of one, and the clock read once [`CLOCK_EVERY`] of such work has passed, so it is
    /// overrun by at most that much work and one step.
    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
        self.timed_out = false;
        self.since_clock = CLOCK_EVERY;
    }

    /// Whether a scan since [`Scratch::set_deadline`] gave up at the deadline; its hits
    /// were dropped (a partly verified file could satisfy a `not` it should not).
    pub fn timed_out(&self) -> bool {
        self.timed_out
    }

    /// Whether the deadline has passed, before a step that searches `work` bytes. A step
    /// counts as at least [`MIN_STEP_WORK`]: reading the clock at every one of a web root's
    /// millions of small window searches was 1% of a sweep.
    fn past_deadline(&mut self, work: usize) -> bool {
        if self.timed_out {
            return true;
        }
        let Some(deadline) = self.deadline else {
            return false;
        };
        self.since_clock = self.since_clock.saturating_add(work.max(MIN_STEP_WORK));
        if self.since_clock >= CLOCK_EVERY {
            self.since_clock = 0;
            self.timed_out = Instant::now() >= deadline;
        }
        self.timed_out
    }
}

/// Bytes of a window one regex search covers before the deadline is checked again: a
/// window is searched in steps of this, or of 32 times the longest match if that is more,
/// each overlapping the next by the longest match. Small windows, the usual case, take one
/// step. Steps much shorter cost dearly: each search warms the lazy DFA up again, and for
/// a regex with a long counted repetition that is most of the work (16 KiB steps made
/// `eval[\x00-\xff]{0,3000}q` 90 times slower).
pub(crate) const VERIFY_CHUNK: usize = 256 * 1024;

/// Search work between two reads of the clock for the deadline: 64 small steps, or one of
/// 64 KiB (a regex's lazy DFA searches that in well under a millisecond).
const CLOCK_EVERY: usize = 64 * 1024;
const MIN_STEP_WORK: usize = 1024;

impl Engine {
    /// Per-thread working memory for [`Engine::scan`]: sized for this engine, reused for
    /// every buffer so that a scan allocates little.
    pub fn scratch(&self) -> Scratch {
        let (r, p) = (self.rules.len(), self.patterns.len());
        Scratch {
            applicable: IdVec::from(vec![false; r]),
            any_applicable: false,
            typed: false,
            group: 0,
            hits: Hits::default(),
            counts: IdVec::from(vec![0; p]),
            kept: IdVec::from(vec![Vec::new(); p]),
            touched: Vec::new(),
            windows: IdVec::from(vec![Vec::new(); p]),
            window_hits: IdVec::from(vec![0; p]),
            search: Vec::new(),
            unchecked: IdVec::from(vec![0; p]),
            check_budget: 0,
            triggered: Vec::new(),
            pending: IdVec::from(vec![false; p]),
            ruled_out: IdVec::from(vec![false; r]),
            ruled_out_list: Vec::new(),
            by_cost: Vec::new(),
            gates_seen: IdVec::from(vec![0; p]),
            gated: Vec::new(),
            candidate: IdVec::from(vec![false; r]),
            glob_hits: Vec::new(),
            glob_ok: IdVec::from(vec![false; r]),
            selected_for: None,
            selected: IdVec::from(vec![false; r]),
            selected_any: false,
            selected_typed: false,
            selected_group: 0,
            log_mode: false,
            selection_memo: vec![
                std::cell::Cell::new(None);
                self.rules
                    .iter()
                    .map(|r| r.selections.len())
                    .max()
                    .unwrap_or(0)
            ],
            caches: RegexCaches::new(p),
            deadline: None,
            timed_out: false,
            since_clock: 0,
        }
    }

    /// True when at least one rule applies to a file at `path`; when none does, the file
    /// need not be read at all.
    pub fn applies_to(&self, path: &Path, scratch: &mut Scratch) -> bool {
        self.select_rules(path, scratch);
        scratch.any_applicable
    }

    /// Whether a rule that reads the canonical view of a script at `path` applies to it,
    /// so that the view is worth building (see [`Engine::scan_file`]). A rule whose
    /// `extensions` name the file's type reads its view. A rule for every file (no
    /// `extensions`: family banners, an image holding a script) reads the view of a page a
    /// server runs, not of a source file (`.java`, `.cs`, `.vb`; see `canon::is_source`):
    /// with the bundled rules, which name no source type, the views of the Java and C#
    /// sources of a web root of real code were 6% of its sweep's CPU, and found nothing.
    pub(crate) fn views_apply(&self, path: &Path, scratch: &mut Scratch) -> bool {
        self.select_rules(path, scratch);
        scratch.typed || (scratch.any_applicable && !crate::canon::is_source(path))
    }

    /// Matches every rule that applies to `path` against `buf`.
    pub fn scan<'e>(&'e self, path: &Path, buf: &[u8], scratch: &mut Scratch) -> Vec<RuleHit<'e>> {
        self.scan_except(path, buf, scratch, &[])
    }

    /// As [`Engine::scan`], leaving out the rules of `held`: those that already held on
    /// the raw bytes of a file whose canonical view `buf` is. Their view hits would be
    /// dropped, and no condition reads another rule's result, so searching and verifying
    /// their patterns again is work thrown away (on a web shell, the rules that held are
    /// the ones whose regexes matched, the costliest to run).
    pub(crate) fn scan_except<'e>(
        &'e self,
        path: &Path,
        buf: &[u8],
        scratch: &mut Scratch,
        held: &[RuleHit<'_>],
    ) -> Vec<RuleHit<'e>> {
        self.select_rules(path, scratch);
        if !held.is_empty() {
            for h in held {
                if let Some(ri) = self.rule_id(h.rule) {
                    scratch.applicable[ri] = false;
                }
            }
            scratch.any_applicable = scratch.applicable.iter().any(|&a| a);
        }
        if !scratch.any_applicable {
            return Vec::new();
        }
        let set = self
            .file_atoms()
            .set(scratch.group, |pi| self.patterns[pi].rule);
        self.find_atoms(set, buf, scratch);
        self.verify_regexes(set, buf, scratch);
        let hits = if scratch.timed_out {
            Vec::new()
        } else {
            self.evaluate(buf, scratch)
        };
        reset(scratch);
        hits
    }

    pub(super) fn select_rules(&self, path: &Path, s: &mut Scratch) {
        let f = &self.filters;
        s.log_mode = false;
        // The same bytes are the same path; `Path`'s own equality compares components.
        if s.selected_for.as_deref().map(Path::as_os_str) == Some(path.as_os_str()) {
            s.applicable
                .as_mut_slice()
                .copy_from_slice(s.selected.as_slice());
            s.group = s.selected_group;
            s.any_applicable = s.selected_any;
            s.typed = s.selected_typed;
            return;
        }
        s.applicable.as_mut_slice().fill(false);
        // Lowercased on the stack: this runs for every file of a sweep.
        let mut lower = [0u8; 16];
        let owned;
        let ext = match crate::common::bytes::extension(path) {
            None => "",
            Some(e) => match std::str::from_utf8(e) {
                Ok(e) if e.len() <= lower.len() => {
                    let lower = &mut lower[..e.len()];
                    lower.copy_from_slice(e.as_bytes());
                    lower.make_ascii_lowercase();
                    std::str::from_utf8(lower).expect("ASCII lowercasing keeps UTF-8 valid")
                }
                _ => {
                    owned = String::from_utf8_lossy(e).to_ascii_lowercase();
                    &owned
                }
            },
        };
        s.group = self.files.group(ext);
        for &ri in f
            .any_extension
            .iter()
            .chain(f.by_extension.get(ext).into_iter().flatten())
        {
            s.applicable[ri] = true;
        }
        if !f.glob_rule.is_empty() {
            let text = path.to_string_lossy();
            let text = if text.contains('\\') {
                std::borrow::Cow::Owned(text.replace('\\', "/"))
            } else {
                text
            };
            f.globs
                .matches_into(text.as_ref() as &str, &mut s.glob_hits);
            for &ri in &f.glob_rules {
                s.glob_ok[ri] = false;
            }
            for &g in &s.glob_hits {
                s.glob_ok[f.glob_rule[g]] = true;
            }
            for &ri in &f.glob_rules {
                if !s.glob_ok[ri] {
                    s.applicable[ri] = false;
                }
            }
        }
        s.any_applicable = s.applicable.iter().any(|&a| a);
        s.typed = f
            .by_extension
            .get(ext)
            .is_some_and(|rules| rules.iter().any(|&ri| s.applicable[ri]));
        s.selected
            .as_mut_slice()
            .copy_from_slice(s.applicable.as_slice());
        s.selected_any = s.any_applicable;
        s.selected_typed = s.typed;
        s.selected_group = s.group;
        let last = s
            .selected_for
            .get_or_insert_with(PathBuf::new)
            .as_mut_os_string();
        last.clear();
        last.push(path.as_os_str());
    }

    pub(crate) fn find_atoms(&self, set: &AtomSet, buf: &[u8], s: &mut Scratch) {
        let mut hits = std::mem::take(&mut s.hits);
        set.find(buf, &mut hits);
        // What the suffix checks below may read in all. Past it, hits open their windows
        // unchecked: the merged windows are searched once, however many hits they hold,
        // while a check runs at each hit, and a file crafted dense with one atom must not
        // make them read the file thousands of times over.
        s.check_budget = buf.len().saturating_mul(4).max(1 << 20);
        for h in hits.iter() {
            let (start, end) = (h.start, h.end());
            for l in &set.listeners[h.atom()] {
                let p = &self.patterns[l.pattern];
                if !s.applicable[p.rule] {
                    continue;
                }
                if let Some(exact) = &l.exact
                    && buf[start..end] != exact[..]
                {
                    continue;
                }
                if let Some(clause) = l.gate {
                    if s.gates_seen[l.pattern] == 0 {
                        s.gated.push(l.pattern);
                    }
                    s.gates_seen[l.pattern] |= 1 << clause;
                    continue;
                }
                if l.trigger {
                    let re = p.regex.as_ref().map(|r| r.get());
                    let pi = l.pattern;
                    let suffix = re.and_then(|r| r.suffix());
                    let w = &mut s.windows[pi];
                    let unchecked = s.unchecked[pi];
                    if suffix.is_some() && unchecked == w.len() && unchecked < UNCHECKED_HITS {
                        // Kept as it came: whether the rest of the regex follows it is
                        // asked only if the regex must be run at all (`verify_regexes`),
                        // which most are not.
                        if w.is_empty() {
                            s.triggered.push(pi);
                        }
                        w.push((start, end));
                        s.unchecked[pi] += 1;
                        s.window_hits[pi] += 1;
                        continue;
                    }
                    // Past those, a hit the rest of the regex cannot follow is dropped here
                    // (it would hold no match), since merged windows no longer say where
                    // hits were.
                    if suffix.is_some_and(|x| {
                        !may_follow(
                            (x, pi),
                            (&mut s.check_budget, &mut s.caches),
                            buf,
                            (start, end),
                        )
                    }) {
                        continue;
                    }
                    if w.is_empty() {
                        s.triggered.push(pi);
                    }
                    s.window_hits[pi] += 1;
                    if w.len() > unchecked {
                        add_window(w, start, end, re.and_then(|r| r.reach()));
                    } else {
                        // Not merged into an unchecked hit, which the check may drop.
                        w.push((start, end));
                    }
                    continue;
                }
                if p.fullword && !is_whole_word(buf, start, end, l.wide) {
                    continue;
                }
                record(
                    s,
                    l.pattern,
                    Span {
                        start,
                        end,
                        wide: l.wide,
                    },
                );
            }
        }
        s.hits = hits;
        s.caches.settle();
    }

    pub(crate) fn verify_regexes(&self, set: &AtomSet, buf: &[u8], s: &mut Scratch) {
        let mut todo = std::mem::take(&mut s.triggered);
        todo.extend(
            set.unfiltered
                .iter()
                .copied()
                .filter(|&pi| s.applicable[self.patterns[pi].rule]),
        );
        for &pi in &todo {
            s.pending[pi] = true;
        }
        // Cheapest first: once they are known, a rule's condition often rules out its
        // costly patterns (`(rare_a or rare_b) and $_POST`, `filesize < 4KB and ...`), and
        // those are then never run. The cost is the bytes a pattern's search would cover.
        // Patterns of equal cost keep their order: the key holds the position.
        if todo.len() > 1 {
            let mut by_cost = std::mem::take(&mut s.by_cost);
            by_cost.clear();
            by_cost.extend(todo.iter().zip(0u32..).map(|(&pi, k)| {
                let hits = s.window_hits[pi];
                let re = self.patterns[pi].regex.as_ref().map(|r| r.get());
                let cost = match (re.and_then(|r| r.at_start), re.and_then(|r| r.span())) {
                    (Some(m), _) => m.min(buf.len()),
                    (None, Some(w)) if hits > 0 => hits.saturating_mul(w).min(buf.len()),
                    _ => buf.len(),
                };
                (cost, k, pi)
            }));
            by_cost.sort_unstable_by_key(|&(cost, k, _)| (cost, k));
            todo.clear();
            todo.extend(by_cost.iter().map(|&(_, _, pi)| pi));
            s.by_cost = by_cost;
        }
        // Whether the input holds a byte, looked up once per byte some regex requires.
        let mut rare_present = [None::<bool>; 256];
        let mut ruled_out = std::mem::take(&mut s.ruled_out_list);
        for &pi in &todo {
            let p = &self.patterns[pi];
            let re = p
                .regex
                .as_ref()
                .expect("only regex patterns are triggered")
                .get();
            let mut hits = std::mem::take(&mut s.windows[pi]);
            s.window_hits[pi] = 0;
            let unchecked = std::mem::take(&mut s.unchecked[pi]);
            if s.past_deadline(0) {
                // Given up: clear what is left for the next scan.
                s.pending[pi] = false;
                s.windows[pi] = emptied(hits);
                continue;
            }
            // A regex whose rule can no longer hold, whatever it finds, is not run: the
            // literals and `filesize` often rule out a rule before its costly parts.
            let range = self.rule_patterns[p.rule];
            let known = |item: usize| match range.nth(item) {
                Some(pj) if !s.pending[pj] => Some(s.counts[pj]),
                _ => None,
            };
            // A match holds an atom of every required clause: without all of them in the
            // input there is none.
            let clauses_seen = re.gates & !s.gates_seen[pi] == 0;
            // What is known only grows as the regexes run, so a rule that can no longer hold
            // stays so: it is not asked again for each of its other regexes.
            let needed = clauses_seen
                && !s.ruled_out[p.rule]
                && re.may_start(buf)
                && re.rare_byte.is_none_or(|b| {
                    *rare_present[usize::from(b)]
                        .get_or_insert_with(|| memchr::memchr(b, buf).is_some())
                })
                && {
                    let may = self.rules[p.rule]
                        .condition
                        .may_hold(&known, buf.len() as u64);
                    if !may {
                        s.ruled_out[p.rule] = true;
                        ruled_out.push(p.rule);
                    }
                    may
                };
            s.pending[pi] = false;
            // The hits kept unchecked: those the rest of the regex cannot follow hold no
            // match and open no window; when none is left, the regex has no match.
            let needed = needed
                && match re.suffix() {
                    Some(suffix) if unchecked > 0 => {
                        let mut k = 0;
                        hits.retain(|&hit| {
                            k += 1;
                            k > unchecked
                                || may_follow(
                                    (suffix, pi),
                                    (&mut s.check_budget, &mut s.caches),
                                    buf,
                                    hit,
                                )
                        });
                        s.caches.settle();
                        !hits.is_empty()
                    }
                    _ => true,
                };
            if !needed {
                s.windows[pi] = emptied(hits);
                continue;
            }
            // One vector for every regex's windows, kept in the scratch.
            let mut windows = std::mem::take(&mut s.search);
            windows.clear();
            match (hits.is_empty(), re.rare_byte, re.max_len) {
                // Anchored at the start: only there can a match begin.
                _ if let Some(m) = re.at_start => windows.push((0, buf.len().min(m))),
                // A regex without atoms that needs a rare byte: every match holds one of
                // its occurrences, so only the bytes around them are searched.
                (true, Some(b), Some(m)) if m <= 1 << 16 => {
                    rare_byte_windows(buf, b, m, &mut windows);
                }
                // One without atoms or a rare byte, but with a landmark: around that.
                (true, None, Some(m)) if m <= 1 << 16 && re.landmark.is_some() => {
                    let mark = re.landmark.as_ref().expect("checked");
                    landmark_windows(buf, mark, m, &mut windows);
                }
                _ => search_windows(&hits, re.reach(), buf.len(), &mut windows),
            }
            // A window the relaxed regex finds nothing in holds no match (see `filter`).
            if !windows.is_empty()
                && let Some(filter) = re.filter()
            {
                let mut past = false;
                windows.retain(|&(from, to)| {
                    past = past || s.past_deadline(to - from);
                    !past && filter.may_match(pi, &mut s.caches, buf, (from, to))
                });
            }
            'windows: for &(from, to) in &windows {
                let mut at = from;
                while at < to {
                    // With a bounded match length, a step finds every match that starts
                    // before `step_end`, exactly as a search of the whole window would.
                    let (step_end, search_end) = match re.max_len {
                        Some(m) => {
                            let step_end =
                                to.min(at.saturating_add(VERIFY_CHUNK.max(m.saturating_mul(32))));
                            (step_end, to.min(step_end.saturating_add(m)))
                        }
                        None => (to, to),
                    };
                    if s.past_deadline(search_end - at) {
                        break 'windows;
                    }
                    match re.find(pi, &mut s.caches, buf, at..search_end) {
                        Some((start, end)) if start < step_end => {
                            if !p.fullword || is_whole_word(buf, start, end, false) {
                                record(
                                    s,
                                    pi,
                                    Span {
                                        start,
                                        end,
                                        wide: false,
                                    },
                                );
                            }
                            // Regexes that match the empty string are rejected when rules
                            // load, so every match moves the search forward.
                            at = end.max(start + 1);
                        }
                        // A match starting past this step is found again by the next one.
                        _ => at = step_end,
                    }
                }
            }
            s.caches.settle();
            s.windows[pi] = emptied(hits);
            s.search = emptied(windows);
        }
        todo.clear();
        s.triggered = todo;
        for pi in s.gated.drain(..) {
            s.gates_seen[pi] = 0;
        }
        for &ri in &ruled_out {
            s.ruled_out[ri] = false;
        }
        ruled_out.clear();
        s.ruled_out_list = ruled_out;
    }

    fn evaluate<'e>(&'e self, buf: &[u8], s: &mut Scratch) -> Vec<RuleHit<'e>> {
        let mut order = Vec::new();
        for &pi in &s.touched {
            let ri = self.patterns[pi].rule;
            if !s.candidate[ri] {
                s.candidate[ri] = true;
                order.push(ri);
            }
        }
        for &ri in &self.hitless {
            if s.applicable[ri] && !s.candidate[ri] {
                s.candidate[ri] = true;
                order.push(ri);
            }
        }
        order.sort_unstable();
        let mut lines = LineCounter::new();
        let stats = StatCache::new(buf);
        let mut out = Vec::new();
        for ri in order {
            s.candidate[ri] = false;
            let range = self.rule_patterns[ri];
            let facts = RuleFacts {
                counts: s.counts.slice(range),
                patterns: self.patterns.slice(range),
                buf,
                stats: &stats,
            };
            let rule = &self.rules[ri];
            if !rule.condition.eval(&facts) {
                continue;
            }
            out.push(RuleHit {
                rule,
                matches: self.collect_matches(ri, buf, s, &mut lines),
                match_count: facts.counts.iter().sum(),
                selections: Vec::new(),
                measures: measured(&rule.condition, &stats),
            });
        }
        out
    }

    /// The first kept matches of a rule's patterns, in offset order, with lines and excerpts.
    pub(crate) fn collect_matches(
        &self,
        ri: RuleId,
        buf: &[u8],
        s: &Scratch,
        lines: &mut LineCounter,
    ) -> Vec<Match> {
        let range = self.rule_patterns[ri];
        let rule = &self.rules[ri];
        let mut spans: Vec<(usize, Span)> = range
            .iter()
            .flat_map(|pi| s.kept[pi].iter().map(move |sp| (range.local(pi), *sp)))
            .collect();
        spans.sort_by_key(|(_, sp)| (sp.start, sp.end));
        spans.truncate(REPORTED_MATCHES_PER_RULE);
        spans
            .into_iter()
            .map(|(local, sp)| Match {
                pattern: rule.patterns[local].name.clone(),
                offset: sp.start as u64,
                length: (sp.end - sp.start) as u64,
                line: lines.line_at(buf, sp.start),
                excerpt: excerpt::excerpt(buf, sp.start, sp.end, sp.wide),
                view_excerpt: None,
            })
            .collect()
    }
}

/// The statistics `condition` names that were measured while it was evaluated (a
/// short-circuited comparison was not, and is left out rather than computed for show).
pub(crate) fn measured(condition: &Expr, stats: &StatCache<'_>) -> Vec<(Stat, f64)> {
    fn walk(e: &Expr, out: &mut Vec<Stat>) {
        match e {
            Expr::Stat(stat, ..) if !out.contains(stat) => out.push(*stat),
            Expr::Not(e) => walk(e, out),
            Expr::And(es) | Expr::Or(es) => es.iter().for_each(|e| walk(e, out)),
            _ => {}
        }
    }
    let mut named = Vec::new();
    walk(condition, &mut named);
    named.sort_by_key(|s| *s as usize);
    named
        .into_iter()
        .filter_map(|s| stats.known(s).map(|v| (s, v)))
        .collect()
}

/// Clears what a scan left in the scratch, touching only what it used.
pub(crate) fn reset(s: &mut Scratch) {
    for &pi in &s.touched {
        s.counts[pi] = 0;
        s.kept[pi].clear();
    }
    s.touched.clear();
    s.hits.trim(KEPT_CAPACITY);
}

/// Entries of a per-file vector kept allocated from one file to the next. One file dense
/// with atoms (a font table, a minified bundle) leaves a million hits, tens of MB that the
/// next thousand files do not need; past this the memory goes back and a file that needs
/// as much again allocates it again, which costs little next to scanning it.
pub(crate) const KEPT_CAPACITY: usize = 1 << 14;

/// `v` cleared for the next file; given back when it grew past [`KEPT_CAPACITY`].
fn emptied<T>(mut v: Vec<T>) -> Vec<T> {
    if v.capacity() > KEPT_CAPACITY {
        return Vec::new();
    }
    v.clear();
    v
}

fn record(s: &mut Scratch, pattern: PatternId, span: Span) {
    if s.counts[pattern] == 0 {
        s.touched.push(pattern);
    }
    s.counts[pattern] += 1;
    if s.kept[pattern].len() < KEPT_MATCHES_PER_PATTERN {
        s.kept[pattern].push(span);
    }
}

/// Notes an atom hit at `start..end` for a regex that reaches `reach` around its hits. A
/// hit whose window would overlap or touch the last one's only widens it, as
/// [`search_windows`] would merge them, so a file dense with one atom leaves a few windows
/// instead of a million hits; when the reach is unbounded the whole file is searched and
/// only the first hit is kept.
fn add_window(
    w: &mut Vec<(usize, usize)>,
    start: usize,
    end: usize,
    reach: Option<(usize, usize)>,
) {
    match (
        w.last_mut(),
        reach.filter(|&(b, a)| b <= WINDOW_REACH && a <= WINDOW_REACH),
    ) {
        (Some(_), None) => {}
        (Some(last), Some((before, after)))
            if start >= last.0 && start.saturating_sub(before) <= last.1.saturating_add(after) =>
        {
            last.1 = last.1.max(end);
        }
        _ => w.push((start, end)),
    }
}

/// Whether the rest of a regex may follow its atom hit `hit`: checked while `budget` (what
/// the checks of a buffer may still read) lasts, taken as yes past it.
fn may_follow(
    (suffix, pattern): (&Suffix, PatternId),
    (budget, caches): (&mut usize, &mut RegexCaches),
    buf: &[u8],
    hit: (usize, usize),
) -> bool {
    match budget.checked_sub(suffix.reads) {
        Some(left) => {
            *budget = left;
            suffix.holds_at(pattern, caches, buf, hit)
        }
        None => true,
    }
}

/// Hits of a regex with a suffix kept unchecked in a buffer, before the rest are checked
/// as they come and merged (the check of a few thousand is cheap; a million kept would
/// not be).
const UNCHECKED_HITS: usize = 1 << 12;

/// Past this reach on either side, a regex is searched over the whole file.
const WINDOW_REACH: usize = 1 << 16;

/// Where a regex can match given its atom hits: every match contains a hit, so with a
/// bounded match length `m` a match lies within `[hit.end - m, hit.start + m]`. Overlapping
/// windows are merged so that no match is counted twice.
fn search_windows(
    hits: &[(usize, usize)],
    reach: Option<(usize, usize)>,
    len: usize,
    windows: &mut Vec<(usize, usize)>,
) {
    windows.clear();
    // No hits: a regex without atoms, searched everywhere.
    let Some((before, after)) =
        reach.filter(|&(b, a)| b <= WINDOW_REACH && a <= WINDOW_REACH && !hits.is_empty())
    else {
        windows.push((0, len));
        return;
    };
    windows.extend(
        hits.iter()
            .map(|&(s, e)| (s.saturating_sub(before), e.saturating_add(after).min(len))),
    );
    windows.sort_unstable();
    // Merged in place: this runs for most regexes a file triggers.
    let mut kept: usize = 0;
    for i in 0..windows.len() {
        let w = windows[i];
        match kept.checked_sub(1).map(|k| &mut windows[k]) {
            Some(last) if w.0 <= last.1 => last.1 = last.1.max(w.1),
            _ => {
                windows[kept] = w;
                kept += 1;
            }
        }
    }
    windows.truncate(kept);
}

/// Where a regex whose matches are at most `max_len` bytes long and all hold `byte` can
/// match: around each occurrence of the byte, as far as a match reaches either side.
/// Overlapping windows are merged as they come, so there are at most `len / max_len` of
/// them however often the byte occurs.
fn rare_byte_windows(buf: &[u8], byte: u8, max_len: usize, merged: &mut Vec<(usize, usize)>) {
    merged.clear();
    for at in memchr::memchr_iter(byte, buf) {
        let w = (
            at.saturating_sub(max_len),
            at.saturating_add(1).saturating_add(max_len).min(buf.len()),
        );
        match merged.last_mut() {
            Some(last) if w.0 <= last.1 => last.1 = last.1.max(w.1),
            _ => merged.push(w),
        }
    }
}

/// Where a regex whose matches are at most `max_len` bytes long and all hold `mark` can
/// match: around each occurrence of it, as far as a match reaches either side, merged.
fn landmark_windows(buf: &[u8], mark: &Landmark, max_len: usize, merged: &mut Vec<(usize, usize)>) {
    merged.clear();
    let mut add = |from: usize, to: usize| {
        let w = (
            from.saturating_sub(max_len),
            to.saturating_add(max_len).min(buf.len()),
        );
        match merged.last_mut() {
            Some(last) if w.0 <= last.1 => last.1 = last.1.max(w.1),
            _ => merged.push(w),
        }
    };
    match mark {
        Landmark::Short(lit) => {
            for at in memchr::memmem::find_iter(buf, lit) {
                add(at, at + lit.len());
            }
        }
        Landmark::Run { class, min } => {
            // Every run of `min` or more class bytes covers one of the probes, which sit
            // `min` bytes apart; from a probe inside the class, the run is measured.
            let inside = |b: u8| class[usize::from(b)];
            let mut probe = min.saturating_sub(1);
            while probe < buf.len() {
                if !inside(buf[probe]) {
                    probe += min;
                    continue;
                }
                let mut start = probe;
                while start > 0 && inside(buf[start - 1]) {
                    start -= 1;
                }
                let mut end = probe + 1;
                while end < buf.len() && inside(buf[end]) {
                    end += 1;
                }
                if end - start >= *min {
                    add(start, end);
                }
                // The next run starts past `end`: the first probe there.
                while probe < end {
                    probe += min;
                }
            }
        }
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `fullword`: no letter, digit or `_` touches the match on either side. For wide matches
/// the neighbours are UTF-16LE code units.
fn is_whole_word(buf: &[u8], start: usize, end: usize, wide: bool) -> bool {
    if wide {
        let before = start >= 2 && buf[start - 1] == 0 && is_word_byte(buf[start - 2]);
        let after = end + 1 < buf.len() && buf[end + 1] == 0 && is_word_byte(buf[end]);
        !before && !after
    } else {
        let before = start > 0 && is_word_byte(buf[start - 1]);
        let after = end < buf.len() && is_word_byte(buf[end]);
        !before && !after
    }
}

struct RuleFacts<'a> {
    counts: &'a [u64],
    patterns: &'a [CompiledPattern],
    buf: &'a [u8],
    stats: &'a StatCache<'a>,
}

impl Facts for RuleFacts<'_> {
    fn count(&self, item: usize) -> u64 {
        self.counts[item]
    }

    fn filesize(&self) -> u64 {
        self.buf.len() as u64
    }

    fn matches_at(&self, item: usize, offset: u64) -> bool {
        pattern_matches_at(&self.patterns[item], self.buf, offset)
    }

    fn stat(&self, stat: Stat) -> f64 {
        self.stats.get(stat)
    }

    fn stat_holds(&self, stat: Stat, cmp: Cmp, value: f64) -> bool {
        self.stats.holds(stat, cmp, value)
    }
}

/// Whether a pattern matches starting exactly at `offset`: checked directly rather than
/// looked up among the kept matches, which are capped.
pub(crate) fn pattern_matches_at(p: &CompiledPattern, buf: &[u8], offset: u64) -> bool {
    let Ok(at) = usize::try_from(offset) else {
        return false;
    };
    if at > buf.len() {
        return false;
    }
    if let Some(re) = &p.regex {
        let re = re.get();
        let input = Input::new(buf).range(at..).anchored(Anchored::Yes);
        return re
            .regex()
            .search(&input)
            .is_some_and(|m| !p.fullword || is_whole_word(buf, m.start(), m.end(), false));
    }
    p.forms.iter().any(|(form, wide)| {
        let Some(window) = buf.get(at..at + form.len()) else {
            return false;
        };
        let equal = if p.nocase {
            window.eq_ignore_ascii_case(form)
        } else {
            window == &form[..]
        };
        equal && (!p.fullword || is_whole_word(buf, at, at + form.len(), *wide))
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::rules::Loader;

    #[test]
    fn windows_merged_as_hits_come_are_the_windows_of_all_hits() {
        // A small generator, so the case is the same on every run.
        let mut seed = 0x2545_f491_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for case in 0..500 {
            let len = 1 + next(5000);
            let reach = match next(4) {
                0 => None,
                1 => Some((next(40), next(40))),
                2 => Some((next(3), 0)),
                _ => Some((WINDOW_REACH + 1, 3)),
            };
            // Hits in end order, of atoms of different lengths.
            let mut hits = Vec::new();
            let mut end = 0;
            for _ in 0..next(60) {
                end += next(30);
                let start = end.saturating_sub(1 + next(8));
                if end < len {
                    hits.push((start, end));
                }
            }
            let mut merged = Vec::new();
            for &(a, b) in &hits {
                add_window(&mut merged, a, b, reach);
            }
            assert!(merged.len() <= hits.len());
            let mut windows = Vec::new();
            search_windows(&hits, reach, len, &mut windows);
            // Whatever the vector held before is not in the windows.
            let mut from_merged = vec![(7, 9); 3];
            search_windows(&merged, reach, len, &mut from_merged);
            assert_eq!(
                from_merged, windows,
                "case {case}: {hits:?} reach {reach:?}"
            );
            // Sorted, apart, and covering every hit's reach.
            assert!(windows.windows(2).all(|w| w[0].1 < w[1].0), "{windows:?}");
            if let Some((before, after)) =
                reach.filter(|&(b, a)| b <= WINDOW_REACH && a <= WINDOW_REACH)
            {
                for &(a, b) in &hits {
                    let want = (a.saturating_sub(before), b.saturating_add(after).min(len));
                    assert!(
                        windows.iter().any(|w| w.0 <= want.0 && want.1 <= w.1),
                        "{want:?} in {windows:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_dense_file_verifies_as_before_and_leaves_little_behind() {
        let e = engine("x[0-9]{1,3}y");
        let mut s = e.scratch();
        let buf = "ax12yx5y;".repeat(100_000);
        let expect = buf.matches("x12y").count() + buf.matches("x5y").count();
        let hits = e.scan(Path::new("x.php"), buf.as_bytes(), &mut s);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].match_count, expect as u64);
        assert!(s.windows.iter().all(|w| w.capacity() <= KEPT_CAPACITY));
        assert!(s.hits.capacity() <= KEPT_CAPACITY);
    }

    #[test]
    fn a_regex_that_ignores_case_by_itself_finds_every_case() {
        // No pattern of the scope has `nocase:`, so only the regexes say the automaton
        // must ignore case.
        for (re, text, want) in [
            (r"(?i)eval\s{0,3}\(", "x EVAL ( y eVal( z eval(", 3),
            (r"(?i:E)val\(", "eval( Eval( EVAL(", 2),
            (r"[Ss][Yy][Ss][Tt][Ee][Mm]\(", "SYSTEM( system( SyStem(", 3),
        ] {
            let e = engine(re);
            let mut s = e.scratch();
            let hits = e.scan(Path::new("x.php"), text.as_bytes(), &mut s);
            assert_eq!(hits.first().map_or(0, |h| h.match_count), want, "{re}");
        }
    }

    #[test]
    fn a_hit_checked_as_it_came_is_not_merged_into_one_kept_unchecked() {
        // Checked from a hit's start (`evalx?` is no fixed run). The last hit kept
        // unchecked fails its check; the next, close enough to share its window, passes
        // and holds the one match.
        let e = engine(r"(?:evalx?|evql)[\x00-\xff]{0,100}q");
        let mut s = e.scratch();
        let buf = format!(
            "{}{}eval{}q",
            "eval".repeat(UNCHECKED_HITS),
            "z".repeat(60),
            "z".repeat(90)
        );
        let hits = e.scan(Path::new("x.php"), buf.as_bytes(), &mut s);
        assert_eq!(hits.first().map_or(0, |h| h.match_count), 1);
    }

    #[test]
    fn hits_past_the_check_budget_are_searched_unchecked() {
        // Each check of this suffix reads up to 101 bytes, so the 1 MiB budget runs out
        // after about 10,000 of the 20,000 hits.
        let e = engine(r"eval[\x00-\xff]{0,100}q");
        let mut s = e.scratch();
        // A `q` after the first hit (kept unchecked until verification), after the
        // 5,000th (checked as it came, merged), and after the last (past the budget).
        for at in [1, 5_000, 20_000] {
            let mut buf = "eval".repeat(20_000);
            buf.insert(at * 4, 'q');
            let hits = e.scan(Path::new("x.php"), buf.as_bytes(), &mut s);
            assert_eq!(hits.len(), 1, "q after hit {at}");
            assert_eq!(hits[0].match_count, 1, "q after hit {at}");
        }
        // And where the checks alone decide, the same count.
        let buf = format!("q{}", "eval".repeat(2_000));
        assert!(
            e.scan(Path::new("x.php"), buf.as_bytes(), &mut s)
                .is_empty()
        );
    }

    fn engine(regex: &str) -> Engine {
        let text = format!(
            "rules:\n  - id: T\n    name: t\n    severity: high\n    patterns:\n      a: {{ regex: '{regex}' }}\n    condition: a\n"
        );
        let mut l = Loader::new();
        l.add_text("t.yml", &text);
        let (rules, _) = l.finish().unwrap_or_else(|e| panic!("{:?}", e.0));
        Engine::new(rules).unwrap()
    }

    /// A path's rules are remembered for the next ask about the same path only: each path
    /// gets what a fresh scratch would select for it, in any order, and what a scan left
    /// out of its selection (a view scan's `held`) is not carried over.
    #[test]
    fn rules_are_selected_per_path_whatever_came_before() {
        let mut l = Loader::new();
        l.add_text(
            "t.yml",
            "rules:\n  - id: L\n    name: l\n    severity: high\n    files:\n      paths: ['**/LAYOUTS/**']\n    patterns:\n      a: eval\n  - id: P\n    name: p\n    severity: high\n    files:\n      extensions: [php]\n    patterns:\n      a: eval\n",
        );
        let e = Engine::new(l.finish().unwrap().0).unwrap();
        let selected = |s: &mut Scratch, path: &str| {
            e.select_rules(Path::new(path), s);
            (s.applicable.as_slice().to_vec(), s.group, s.any_applicable)
        };
        let paths = ["a/LAYOUTS/x.php", "a/x.php", "a/LAYOUTS/x.txt", "a/x.txt"];
        let fresh: Vec<_> = paths
            .iter()
            .map(|p| selected(&mut e.scratch(), p))
            .collect();
        assert_eq!(fresh[0].0, [true, true]);
        assert!(!fresh[3].2);
        let mut s = e.scratch();
        for (i, j) in [
            (0, 0),
            (0, 1),
            (1, 1),
            (1, 2),
            (2, 0),
            (0, 3),
            (3, 3),
            (3, 0),
        ] {
            assert_eq!(selected(&mut s, paths[i]), fresh[i], "{}", paths[i]);
            assert_eq!(
                selected(&mut s, paths[j]),
                fresh[j],
                "{} after {}",
                paths[j],
                paths[i]
            );
        }
        let path = Path::new(paths[0]);
        let held = e.scan(path, b"eval", &mut s);
        assert_eq!(held.len(), 2);
        assert!(e.scan_except(path, b"eval", &mut s, &held).is_empty());
        assert_eq!(e.scan(path, b"eval", &mut s).len(), 2);
    }

    /// A rule ruled out in one file (its first regex found nothing) is asked again in the
    /// next: what one file ruled out is cleared after it.
    #[test]
    fn a_rule_ruled_out_in_one_file_is_open_again_in_the_next() {
        let mut l = Loader::new();
        l.add_text(
            "t.yml",
            "rules:\n  - id: T\n    name: t\n    severity: high\n    patterns:\n      a: { regex: 'alpha[0-9]' }\n      b: { regex: 'beta[0-9]' }\n    condition: a and b\n",
        );
        let e = Engine::new(l.finish().unwrap().0).unwrap();
        let mut s = e.scratch();
        let path = Path::new("x.php");
        assert!(e.scan(path, b"alpha beta7", &mut s).is_empty());
        assert!(e.scan(path, b"alphax beta beta", &mut s).is_empty());
        let hits = e.scan(path, b"alpha1 beta2", &mut s);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].match_count, 2);
    }

    /// A window longer than a step is searched in steps; every match is found once, also
    /// those that straddle a step's end, as a search of the whole buffer finds them.
    #[test]
    fn stepped_verification_finds_what_one_search_finds() {
        let e = engine(r"eval[\x00-\xff]{0,40}q");
        let mut buf = Vec::new();
        let mut expect = 0u64;
        // Atoms every 30 bytes keep one merged window over the whole buffer; a `q` now and
        // then, also right at and around every step boundary.
        while buf.len() < 3 * VERIFY_CHUNK + 1000 {
            buf.extend_from_slice(b"eval..........................");
        }
        for k in 1..=3 {
            for d in [-45i64, -20, -1, 0, 1, 7, 39] {
                let at = (k * VERIFY_CHUNK) as i64 + d;
                buf[at as usize] = b'q';
            }
        }
        buf[5000] = b'q';
        // Leftmost-first with a greedy gap: count the matches the way the engine does.
        let greedy = regex::bytes::Regex::new(r"(?s-u)eval[\x00-\xff]{0,40}q").unwrap();
        let mut at = 0;
        while let Some(m) = greedy.find_at(&buf, at) {
            expect += 1;
            at = m.end().max(m.start() + 1);
        }
        assert!(expect >= 6, "{expect}");
        let mut s = e.scratch();
        let hits = e.scan(Path::new("x.php"), &buf, &mut s);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].match_count, expect);
        assert!(!s.timed_out());
    }

    #[test]
    fn a_passed_deadline_drops_the_hits_and_says_so() {
        let e = engine(r"eval[\x00-\xff]{0,40}q");
        let mut s = e.scratch();
        s.set_deadline(Some(Instant::now() - Duration::from_millis(1)));
        assert!(e.scan(Path::new("x.php"), b"evalq", &mut s).is_empty());
        assert!(s.timed_out());
        // Cleared for the next file, and nothing stale is left behind in the scratch.
        s.set_deadline(None);
        assert!(!s.timed_out());
        assert_eq!(e.scan(Path::new("x.php"), b"evalq", &mut s).len(), 1);
        s.set_deadline(Some(Instant::now() + Duration::from_secs(3600)));
        assert_eq!(e.scan(Path::new("x.php"), b"evalq", &mut s).len(), 1);
        assert!(!s.timed_out());
    }
}
