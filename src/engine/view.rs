//! Rules over the canonical view of a script (see `canon`), reported at the raw bytes.

use std::path::Path;

use super::excerpt::{self, LineCounter};
use super::{Engine, RuleHit, Scratch};
use crate::canon::{self, Lang, View};

impl Engine {
    /// Scans a file's bytes and, for scripts that rules of their type apply to, their
    /// canonical view too (see [`Engine::views_apply`]). A rule that holds on the raw bytes
    /// is reported from them; one that holds only on the view (the obfuscation hid it) is
    /// reported from the view.
    pub fn scan_file<'e>(
        &'e self,
        path: &Path,
        raw: &[u8],
        scratch: &mut Scratch,
    ) -> Vec<RuleHit<'e>> {
        let mut hits = self.scan(path, raw, scratch);
        if scratch.timed_out() {
            return hits;
        }
        let Some(lang) = Lang::of(path) else {
            return hits;
        };
        if !self.views_apply(path, scratch) {
            return hits;
        }
        let Some(view) = canon::view(lang, raw) else {
            return hits;
        };
        let found = self.scan_view(path, raw, &view, scratch, &hits);
        hits.extend(found);
        hits
    }

    /// Scans `view`, the canonical text of `raw`, for the rules that are not in `held`
    /// (those that held on the raw bytes), and moves every reported match back to the
    /// raw token it came from: a person reads the file, not the view, so offset, line and
    /// excerpt are the raw file's; the view's excerpt goes along as `view_excerpt`, which is
    /// what the rule actually saw once the obfuscation was undone.
    pub(crate) fn scan_view<'e>(
        &'e self,
        path: &Path,
        raw: &[u8],
        view: &View,
        scratch: &mut Scratch,
        held: &[RuleHit<'_>],
    ) -> Vec<RuleHit<'e>> {
        let mut hits = self.scan_except(path, view.text(), scratch, held);
        let mut lines = LineCounter::new();
        for hit in &mut hits {
            for m in &mut hit.matches {
                let first = m.offset as usize;
                let last = first + (m.length as usize).max(1) - 1;
                // Folding may reorder origins inside a match: span from the least to the
                // greatest raw offset it stands for.
                let (a, b) = (view.origin(first, raw.len()), view.origin(last, raw.len()));
                let start = a.min(b).min(raw.len().saturating_sub(1));
                let end = (a.max(b) + 1).clamp(start, raw.len());
                m.view_excerpt = Some(std::mem::take(&mut m.excerpt));
                m.offset = start as u64;
                m.length = (end - start) as u64;
                m.line = lines.line_at(raw, start);
                m.excerpt = excerpt::excerpt(raw, start, end, false);
            }
            hit.matches.sort_by_key(|m| m.offset);
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::canon::Builder;
    use crate::engine::Engine;
    use crate::rules::Loader;

    fn engine() -> Engine {
        engine_of(
            "rules:\n  - id: T\n    name: t\n    severity: high\n    patterns:\n      a: { regex: 'assert\\(\\$_POST' }\n",
        )
    }

    fn engine_of(rules: &str) -> Engine {
        let mut l = Loader::new();
        l.add_text("t.yml", rules);
        Engine::new(l.finish().unwrap().0).unwrap()
    }

    #[test]
    fn a_view_scan_leaves_out_the_rules_that_held_on_the_raw_bytes() {
        let e = engine_of(
            "rules:\n  - id: T\n    name: t\n    severity: high\n    patterns:\n      a: { regex: 'assert\\(\\$_POST' }\n  - id: U\n    name: u\n    severity: high\n    patterns:\n      e: { text: 'eval(' }\n",
        );
        let mut s = e.scratch();
        let path = Path::new("x.php");
        let buf = b"<?php eval($x); assert($_POST[1]);";
        let all = e.scan(path, buf, &mut s);
        let ids = |hits: &[crate::engine::RuleHit<'_>]| {
            let mut v: Vec<String> = hits.iter().map(|h| h.rule.id.to_string()).collect();
            v.sort();
            v
        };
        assert_eq!(ids(&all), ["T", "U"]);
        let t: Vec<_> = all
            .into_iter()
            .filter(|h| h.rule.id.as_str() == "T")
            .collect();
        assert_eq!(ids(&e.scan_except(path, buf, &mut s, &t)), ["U"]);
        // The scratch is whole again for the next file: nothing stays left out.
        assert_eq!(ids(&e.scan(path, buf, &mut s)), ["T", "U"]);
    }

    #[test]
    fn view_matches_are_reported_at_the_raw_line_they_came_from() {
        // Raw: the name is split over line 2 and the call is on line 3. The view below is
        // what a folding pass makes of it: `assert` stands for the first piece at offset 9.
        let raw = b"<?php\n$f='as'\n.'sert';\n$f($_POST[1]);\n";
        let mut b = Builder::with_capacity(64);
        b.copy(raw, 0, 6);
        b.push_all(b"assert", 9);
        b.copy(raw, 25, raw.len());
        let view = b.finish();
        let e = engine();
        let mut s = e.scratch();
        assert!(e.scan(Path::new("x.php"), raw, &mut s).is_empty());
        let hits = e.scan_view(Path::new("x.php"), raw, &view, &mut s, &[]);
        assert_eq!(hits.len(), 1);
        let m = &hits[0].matches[0];
        assert_eq!(m.line, 2, "the line of the first piece of the name");
        assert_eq!(m.offset, 9);
        assert!(m.length as usize <= raw.len() - 9);
        assert_eq!(m.excerpt, b"$f='as'");
        assert_eq!(m.view_excerpt.as_deref(), Some(&b"assert($_POST[1]);"[..]));
    }

    /// A page gets a view whenever a rule applies; a source file (`.java` here) only when a
    /// rule whose `extensions` name it applies (and its path globs take the file). A rule
    /// for every file then reads the view too, and otherwise only the raw bytes.
    #[test]
    fn a_source_file_is_viewed_only_where_a_rule_for_its_type_applies() {
        let any = "  - id: ANY\n    name: any\n    severity: high\n    patterns:\n      a: { text: '\"Runtime\"' }\n";
        let typed = |ext: &str, glob: &str| {
            format!(
                "  - id: TYPED\n    name: typed\n    severity: high\n    files:\n      extensions: [{ext}]\n      paths: ['{glob}']\n    patterns:\n      b: {{ text: 'never in these files' }}\n"
            )
        };
        let raw = b"<% String c = \"Run\" + \"time\"; %>";
        let found = |rules: &str, path: &str| {
            let e = engine_of(&format!("rules:\n{rules}"));
            let mut s = e.scratch();
            let hits = e.scan_file(Path::new(path), raw, &mut s);
            hits.iter()
                .map(|h| h.rule.id.to_string())
                .collect::<Vec<_>>()
        };
        let jsp = typed("jsp", "**");
        let java = typed("java", "**");
        let elsewhere = typed("java", "**/WEB-INF/**");
        let none = Vec::<String>::new();
        // The raw bytes hold the name only in two pieces.
        let e = engine_of(&format!("rules:\n{any}"));
        assert!(e.scan(Path::new("x.jsp"), raw, &mut e.scratch()).is_empty());
        // A page: viewed for the rule for every file, with or without a rule of its type.
        assert_eq!(found(any, "x.jsp"), ["ANY"]);
        assert_eq!(found(&format!("{any}{jsp}"), "x.jsp"), ["ANY"]);
        // A source: viewed only for a rule of its type that takes it.
        assert_eq!(found(any, "x.java"), none);
        assert_eq!(found(&format!("{any}{jsp}"), "x.java"), none);
        assert_eq!(found(&format!("{any}{java}"), "x.java"), ["ANY"]);
        assert_eq!(found(&format!("{any}{java}"), "X.JAVA"), ["ANY"]);
        assert_eq!(found(&format!("{any}{elsewhere}"), "src/x.java"), none);
        assert_eq!(
            found(&format!("{any}{elsewhere}"), "WEB-INF/x.java"),
            ["ANY"]
        );
    }

    /// A name split by a join is found through the view when the join is all the file has
    /// (no variable call, no decoder: only `canon::trigger`'s word rule lets it be viewed);
    /// a join of punctuation alone is not viewed, as that rule says.
    #[test]
    fn a_file_whose_only_fold_is_a_split_name_is_viewed() {
        let e = engine_of(
            "rules:\n  - id: T\n    name: t\n    severity: high\n    patterns:\n      a: { regex: \"call_user_func\\\\('assert'\" }\n      b: { text: \"'php://input'\" }\n    condition: any of them\n",
        );
        let mut s = e.scratch();
        let path = Path::new("x.php");
        let split = b"<?php call_user_func('as' . 'sert', $_POST['x']);";
        assert!(e.scan(path, split, &mut s).is_empty());
        let hits = e.scan_file(path, split, &mut s);
        assert_eq!(hits.len(), 1);
        let seen = hits[0].matches[0]
            .view_excerpt
            .as_deref()
            .unwrap_or_default();
        assert!(seen.ends_with(b"call_user_func('assert', $_POST['x']);"));
        let punct = b"<?php $s = file_get_contents('php:/' . '/input');";
        assert!(e.scan_file(path, punct, &mut s).is_empty());
    }
}
