//! The engine against a naive reference matcher on random patterns and inputs.

use std::path::Path;

use proptest::prelude::*;

use super::Engine;
use super::lanes::{self, Hit, Hits};
use crate::rules::Loader;

/// Occurrences of `needle` in `hay` at every offset (overlapping), as the rule semantics say.
fn naive_count(hay: &[u8], needle: &[u8], nocase: bool, fullword: bool) -> u64 {
    if needle.is_empty() || needle.len() > hay.len() {
        return 0;
    }
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    (0..=hay.len() - needle.len())
        .filter(|&i| {
            let w = &hay[i..i + needle.len()];
            let eq = if nocase {
                w.eq_ignore_ascii_case(needle)
            } else {
                w == needle
            };
            let end = i + needle.len();
            eq && (!fullword
                || ((i == 0 || !word(hay[i - 1])) && (end == hay.len() || !word(hay[end]))))
        })
        .count() as u64
}

fn yaml_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
/// For a one-pattern rule of regex `re` without atoms: how many of its patterns the engine
/// calls slow, the match count it reports on `hay`, and the count of a whole-buffer search.
fn slow_regex_counts(re: &str, hay: &[u8]) -> (usize, u64, u64) {
    let text = format!(
        "rules:\n  - id: R\n    name: r\n    severity: low\n    patterns:\n      a: {{ regex: {} }}\n",
        yaml_quote(re)
    );
    let mut l = Loader::new();
    l.add_text("p.yml", &text);
    let engine = Engine::new(l.finish().expect("valid").0).expect("engine");
    let mut scratch = engine.scratch();
    let hits = engine.scan(Path::new("f"), hay, &mut scratch);
    let got = hits.first().map_or(0, |h| h.match_count);
    let reference = regex::bytes::Regex::new(&format!("(?-u){re}"))
        .unwrap()
        .find_iter(hay)
        .count() as u64;
    (engine.slow_patterns().len(), got, reference)
}

fn build(patterns: &[(String, bool, bool)]) -> Engine {
    let mut text = String::from("rules:\n");
    for (i, (p, nocase, fullword)) in patterns.iter().enumerate() {
        text.push_str(&format!(
            "  - id: R{i}\n    name: r\n    severity: low\n    patterns:\n      a: {{ text: {}, nocase: {nocase}, fullword: {fullword} }}\n    condition: count(a) >= 1\n",
            yaml_quote(p)
        ));
    }
    let mut l = Loader::new();
    l.add_text("p.yml", &text);
    Engine::new(l.finish().expect("valid rules").0).expect("engine")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn literal_counts_match_the_naive_reference(
        pats in proptest::collection::vec(("[abAB_ ]{1,4}", any::<bool>(), any::<bool>()), 1..6),
        hay in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'A'), Just(b'B'), Just(b' '), Just(b'_'), Just(0u8)], 0..200),
    ) {
        let engine = build(&pats);
        let mut scratch = engine.scratch();
        let hits = engine.scan(Path::new("f"), &hay, &mut scratch);
        for (i, (p, nocase, fullword)) in pats.iter().enumerate() {
            let want = naive_count(&hay, p.as_bytes(), *nocase, *fullword);
            let got = hits.iter().find(|h| h.rule.id == format!("R{i}")).map_or(0, |h| h.match_count);
            prop_assert_eq!(got, want, "pattern {:?} nocase={} fullword={}", p, nocase, fullword);
        }
    }

    /// A regex that needs a rare byte (`~`) no atom can stand for is still found exactly
    /// where a whole-buffer search finds it.
    #[test]
    fn rare_byte_gated_regexes_match_a_whole_buffer_search(
        lit in "[a-c]{3,5}",
        gap in 0usize..40,
        rare_first in any::<bool>(),
        hay in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(b'\n'), Just(b'~')], 0..300),
    ) {
        let re = if rare_first {
            format!("~[^\\n]{{0,{gap}}}{lit}")
        } else {
            format!("{lit}[^\\n]{{0,{gap}}}~")
        };
        let text = format!("rules:\n  - id: R\n    name: r\n    severity: low\n    patterns:\n      a: {{ regex: {} }}\n", yaml_quote(&re));
        let mut l = Loader::new();
        l.add_text("p.yml", &text);
        let engine = Engine::new(l.finish().expect("valid").0).expect("engine");
        let mut scratch = engine.scratch();
        let fired = !engine.scan(Path::new("f"), &hay, &mut scratch).is_empty();
        let reference = regex::bytes::Regex::new(&re).unwrap().is_match(&hay);
        prop_assert_eq!(fired, reference, "regex {}", re);
    }

    /// A regex with no atom at all, searched only around the rare byte every match holds,
    /// counts the same matches as a search of the whole buffer.
    #[test]
    fn atomless_rare_byte_regexes_count_what_a_whole_buffer_search_finds(
        before in 0usize..30,
        after in 1usize..30,
        hay in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'\n'), Just(b'^')], 0..400),
    ) {
        let re = format!("[ab]{{0,{before}}}\\^[^\\n]{{1,{after}}}");
        let (slow, got, reference) = slow_regex_counts(&re, &hay);
        prop_assert_eq!(slow, 1);
        prop_assert_eq!(got, reference, "regex {}", re);
    }

    #[test]
    fn regex_verdicts_match_a_whole_buffer_search(
        lit in "[a-c]{3,5}",
        gap in 0usize..40,
        tail in "[a-c]{1,3}",
        hay in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(b'\n'), Just(b'x')], 0..300),
    ) {
        let re = format!("{lit}[^\\n]{{0,{gap}}}{tail}");
        let text = format!("rules:\n  - id: R\n    name: r\n    severity: low\n    patterns:\n      a: {{ regex: {} }}\n", yaml_quote(&re));
        let mut l = Loader::new();
        l.add_text("p.yml", &text);
        let engine = Engine::new(l.finish().expect("valid").0).expect("engine");
        prop_assert!(engine.slow_patterns().is_empty());
        let mut scratch = engine.scratch();
        let fired = !engine.scan(Path::new("f"), &hay, &mut scratch).is_empty();
        let reference = regex::bytes::Regex::new(&re).unwrap().is_match(&hay);
        prop_assert_eq!(fired, reference, "regex {}", re);
    }

    /// A regex whose hits are first checked for what must follow them (most are dropped
    /// there) counts what a whole-buffer search finds, with bounded matches and without,
    /// and with a gap long enough to be checked and filtered in its relaxed form.
    #[test]
    fn suffix_checked_regexes_count_what_a_whole_buffer_search_finds(
        pre in 0usize..4,
        // Long gaps are relaxed in the suffix check and the window filter (see `filter`).
        gap in prop_oneof![0usize..20, 64usize..90],
        tail in "[a-c]{1,3}",
        open_end in any::<bool>(),
        optional in any::<bool>(),
        hay in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(b'\n'), Just(b'x')], 0..400),
    ) {
        let end = if open_end { "[ab]*" } else { "" };
        // `cabx?` is no fixed run: the check then starts at the hit's start.
        let lit = if optional { "(?:cabx?|cba)" } else { "(?:cab|cba)" };
        let re = format!("[ab]{{0,{pre}}}{lit}[^\\n]{{0,{gap}}}{tail}{end}");
        let text = format!("rules:\n  - id: R\n    name: r\n    severity: low\n    patterns:\n      a: {{ regex: {} }}\n", yaml_quote(&re));
        let mut l = Loader::new();
        l.add_text("p.yml", &text);
        let engine = Engine::new(l.finish().expect("valid").0).expect("engine");
        prop_assert!(engine.slow_patterns().is_empty());
        let mut scratch = engine.scratch();
        let hits = engine.scan(Path::new("f"), &hay, &mut scratch);
        let got = hits.first().map_or(0, |h| h.match_count);
        let reference = regex::bytes::Regex::new(&format!("(?-u){re}"))
            .unwrap()
            .find_iter(&hay)
            .count() as u64;
        prop_assert_eq!(got, reference, "regex {}", re);
    }

    /// A regex without atoms that needs a long run of one class (a base64 blob) or a short
    /// literal (`<?`), searched only around those, counts what a whole-buffer search does.
    #[test]
    fn landmark_windows_count_what_a_whole_buffer_search_finds(
        run in 16usize..40,
        pre in 1usize..8,
        short in any::<bool>(),
        planted in proptest::collection::vec((0usize..2000, 0usize..60), 0..6),
        noise in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), Just(b'\n'), Just(b'<'), Just(b'?')], 0..2000),
    ) {
        let re = if short {
            format!("<\\?[ab]{{0,{pre}}}c")
        } else {
            format!("c{{0,{pre}}}[ab]{{{run}}}")
        };
        let mut hay = noise;
        for (at, len) in planted {
            let at = at.min(hay.len());
            let piece: Vec<u8> = (0..len).map(|i| if i % 3 == 0 { b'b' } else { b'a' }).collect();
            hay.splice(at..at, piece);
        }
        let (slow, got, reference) = slow_regex_counts(&re, &hay);
        prop_assert_eq!(slow, 1);
        prop_assert_eq!(got, reference, "regex {}", re);
    }

    /// The DFA stepped through several stretches of a buffer at once reports the hits of
    /// aho-corasick's own overlapping search, in its order, on buffers long enough to be cut.
    #[test]
    fn stretched_dfa_search_reports_the_overlapping_search(
        atoms in proptest::collection::vec("[abcAB]{1,12}", 1..20),
        planted in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..40),
        len in 0usize..40_000,
        seed in any::<u64>(),
        nocase in any::<bool>(),
    ) {
        // A cheap random haystack over the atoms' letters, with atoms planted in it (also
        // across the stretches' borders, which lie anywhere).
        let mut x = seed | 1;
        let mut hay: Vec<u8> = (0..len).map(|_| {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            b"abcABx "[(x % 7) as usize]
        }).collect();
        for (at, which) in &planted {
            let atom = atoms[which.index(atoms.len())].as_bytes();
            if hay.len() > atom.len() {
                let at = at.index(hay.len() - atom.len());
                hay[at..at + atom.len()].copy_from_slice(atom);
            }
        }
        let dfa = aho_corasick::dfa::DFA::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .ascii_case_insensitive(nocase)
            .prefilter(false)
            .build(&atoms)
            .unwrap();
        let ac = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .ascii_case_insensitive(nocase)
            .build(&atoms)
            .unwrap();
        let want: Vec<Hit> = ac
            .find_overlapping_iter(&hay)
            .map(|m| Hit::new(m.start(), m.end(), m.pattern().as_usize()))
            .collect();
        let atoms: Vec<&[u8]> = atoms.iter().map(|a| a.as_bytes()).collect();
        let table = lanes::Table::new(&dfa, &atoms, nocase).unwrap();
        let mut got = Hits::default();
        lanes::search(&table, &hay, &mut got);
        prop_assert_eq!(table.is_match_in(&hay), !want.is_empty());
        let got: Vec<Hit> = got.iter().copied().collect();
        prop_assert_eq!(got, want);
    }
}
