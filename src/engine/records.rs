//! Matching log records: raw-line patterns through the record automaton, field selections
//! evaluated lazily, then each log rule's condition.

use std::cell::Cell;

use super::excerpt::LineCounter;
use super::scan::{RuleHit, Scratch, pattern_matches_at, reset};
use super::stats::StatCache;
use super::{CompiledPattern, Engine};
use crate::logs::Record;
use crate::rules::{Cmp, Facts, Stat};

impl Engine {
    /// Whether any atom of the log rules' patterns occurs in `text` (a chunk of lines): when
    /// not, no record in it needs the per-record search.
    pub fn record_atoms_may_match(&self, text: &[u8]) -> bool {
        self.records.is_match(text)
    }

    /// Matches every log rule against one record; `raw` is the record's text as logged.
    /// `atoms_possible: false` says the caller knows no atom occurs in `raw`.
    pub fn scan_record<'e>(
        &'e self,
        raw: &[u8],
        record: &Record<'_>,
        atoms_possible: bool,
        s: &mut Scratch,
    ) -> Vec<RuleHit<'e>> {
        self.scan_record_only(raw, record, atoms_possible, None, s)
    }

    /// [`Engine::scan_record`] for only the log rules in `only`, indices among the log rules
    /// as [`Engine::record_gate`] lists them (others are ignored), when given: the line
    /// filter knows which rules a line's literals let through, and only those can match.
    pub(crate) fn scan_record_only<'e>(
        &'e self,
        raw: &[u8],
        record: &Record<'_>,
        atoms_possible: bool,
        only: Option<&[u32]>,
        s: &mut Scratch,
    ) -> Vec<RuleHit<'e>> {
        if self.log_rules.is_empty() {
            return Vec::new();
        }
        if !s.log_mode {
            s.applicable.iter_mut().for_each(|a| *a = false);
            for &ri in &self.log_rules {
                s.applicable[ri] = true;
            }
            s.log_mode = true;
        }
        // Most lines hold no atom: a non-overlapping check (which uses the automaton's
        // prefilter) rules them out before the overlapping search that counts every hit.
        // Pattern counts are read only by the rules evaluated: when the line filter let the
        // line through for rules that have no raw-line patterns (most Sigma rules are field
        // selections only), the line is not searched at all.
        let patterns_read = only.is_none_or(|only| {
            only.iter().any(|&i| {
                self.log_rules
                    .get(i as usize)
                    .is_some_and(|&ri| !self.rule_patterns[ri].is_empty())
            })
        });
        if patterns_read {
            if atoms_possible && self.records.is_match(raw) {
                self.find_atoms(&self.records, raw, s);
            }
            self.verify_regexes(&self.records, raw, s);
        }
        let mut out = Vec::new();
        let stats = StatCache::new(raw);
        let (some, all) = match only {
            Some(only) => (Some(only), None),
            None => (None, Some(&self.log_rules)),
        };
        let some = some
            .into_iter()
            .flatten()
            .filter_map(|&i| self.log_rules.get(i as usize));
        for &ri in some.chain(all.into_iter().flatten()) {
            let rule = &self.rules[ri];
            let range = self.rule_patterns[ri];
            let facts = RecordFacts {
                counts: s.counts.slice(range),
                patterns: self.patterns.slice(range),
                raw,
                record,
                selections: &self.selections()[ri],
                memo: &s.selection_memo[..self.selections()[ri].len()],
                stats: &stats,
            };
            facts.memo.iter().for_each(|m| m.set(None));
            if !rule.condition.eval(&facts) {
                continue;
            }
            let held: Vec<&str> = rule
                .selections
                .iter()
                .enumerate()
                .filter(|(i, _)| facts.selection(*i))
                .map(|(_, sel)| sel.name.as_str())
                .collect();
            let match_count = facts.counts.iter().sum();
            out.push(RuleHit {
                rule,
                matches: self.collect_matches(ri, raw, s, &mut LineCounter::new()),
                match_count,
                selections: held,
                measures: super::scan::measured(&rule.condition, &stats),
            });
        }
        reset(s);
        out
    }
}

struct RecordFacts<'a, 'r> {
    counts: &'a [u64],
    patterns: &'a [CompiledPattern],
    raw: &'a [u8],
    record: &'a Record<'r>,
    selections: &'a [super::fields::CompiledSelection],
    /// Per-record memo of selection results (reused scratch space).
    memo: &'a [Cell<Option<bool>>],
    stats: &'a StatCache<'a>,
}

impl RecordFacts<'_, '_> {
    fn selection(&self, i: usize) -> bool {
        if let Some(v) = self.memo[i].get() {
            return v;
        }
        let v = self.selections[i].eval(self.record);
        self.memo[i].set(Some(v));
        v
    }
}

impl Facts for RecordFacts<'_, '_> {
    /// Items are the rule's patterns, then its selections (1 when it holds).
    fn count(&self, item: usize) -> u64 {
        match item.checked_sub(self.counts.len()) {
            None => self.counts[item],
            Some(sel) => u64::from(self.selection(sel)),
        }
    }

    fn filesize(&self) -> u64 {
        self.raw.len() as u64
    }

    fn matches_at(&self, item: usize, offset: u64) -> bool {
        item < self.patterns.len() && pattern_matches_at(&self.patterns[item], self.raw, offset)
    }

    fn stat(&self, stat: Stat) -> f64 {
        self.stats.get(stat)
    }

    fn stat_holds(&self, stat: Stat, cmp: Cmp, value: f64) -> bool {
        self.stats.holds(stat, cmp, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::{Field, IisColumns};
    use crate::rules::Loader;

    const RULES: &str = r#"
rules:
  - id: TOOLPANE
    name: ToolShell exploit
    severity: critical
    scope: log
    selections:
      exploit:
        cs-method: POST
        cs-uri-stem|endswith: [/ToolPane.aspx, /ToolPane.aspx/]
        cs-uri-query|contains: DisplayMode=Edit
    condition: exploit
  - id: RAW
    name: raw marker
    severity: low
    scope: log
    patterns:
      marker: { text: "/_layouts/SignOut.aspx 200", nocase: true }
  - id: FILE
    name: a file rule
    severity: high
    patterns:
      a: ToolPane
"#;

    #[test]
    fn records_match_selections_and_raw_patterns_only_of_log_rules() {
        let mut l = Loader::new();
        l.add_text("t.yml", RULES);
        let engine = Engine::new(l.finish().unwrap().0).unwrap();
        let mut s = engine.scratch();
        let cols = IisColumns::default();
        let line = b"2025-07-19 07:13:02 10.20.0.15 POST /_layouts/15/ToolPane.aspx DisplayMode=Edit&a=/ToolPane.aspx 443 - 107.191.58.76 Mozilla/5.0 /_layouts/SignOut.aspx 200 0 0 611";
        let rec = cols.parse(line);
        assert_eq!(rec.get(Field::Method), Some(&b"POST"[..]));
        let ids: Vec<&str> = engine
            .scan_record(line, &rec, true, &mut s)
            .iter()
            .map(|h| h.rule.id.as_str())
            .collect();
        assert_eq!(ids, ["TOOLPANE", "RAW"]);
        let hits = engine.scan_record(line, &rec, true, &mut s);
        assert_eq!(hits[0].selections, ["exploit"]);
        assert_eq!(hits[1].matches[0].offset, 129);

        let get = b"2025-07-19 07:13:02 10.20.0.15 GET /_layouts/15/ToolPane.aspx DisplayMode=Edit 443 - 1.2.3.4 x - 200 0 0 1";
        assert!(
            engine
                .scan_record(get, &cols.parse(get), true, &mut s)
                .is_empty()
        );
        // Told which rules the line filter let through, only those are evaluated: a rule of
        // selections alone without the line search, a raw-line rule with it, and the
        // skipped search leaves nothing behind for the next record.
        let mut only = |only: &[u32]| -> Vec<(String, usize)> {
            engine
                .scan_record_only(line, &rec, true, Some(only), &mut s)
                .iter()
                .map(|h| (h.rule.id.clone(), h.matches.len()))
                .collect()
        };
        assert_eq!(only(&[0]), [("TOOLPANE".to_owned(), 0)]);
        assert_eq!(only(&[1]), [("RAW".to_owned(), 1)]);
        assert_eq!(only(&[0]), [("TOOLPANE".to_owned(), 0)]);
        assert_eq!(only(&[0, 1]).len(), 2);

        // A file scan after record scans sees only file rules again.
        let file_hits = engine.scan(std::path::Path::new("x.txt"), b"ToolPane", &mut s);
        assert_eq!(file_hits.len(), 1);
        assert_eq!(file_hits[0].rule.id, "FILE");
    }
}
