//! How large a regex is once its counted repetitions are written out, checked when rules
//! load. `x{n,m}` compiles to `m` copies of `x`; past a few thousand positions the lazy DFA
//! cannot hold its states and the search falls back to simulating the NFA, which costs
//! positions × bytes: `eval[\x00-\xff]{65000,65536}q` took minutes per megabyte. Measured
//! over a file of repeated `eval`s (release build): `eval[\x00-\xff]{3000,6000}q` ran at
//! full speed, `{4000,8000}` at 27 s per MB, `eval(?:[\x00-\xff]{0,100}){0,80}q` (8,000
//! positions) at 120 s per MB. Structure matters too: the bundled callback rules write out
//! to over 6,000 positions and stay fast, because literals pin where they can start. So a
//! single repetition above [`MAX_REPEAT`] or a regex above [`MAX_POSITIONS`] is refused (as
//! yara-x refuses large repetitions), and one above [`WARN_POSITIONS`] loads with a warning;
//! the per-file time budget (`--file-timeout`) covers what gets through.

use regex_syntax::ast::{self, Ast, RepetitionKind, RepetitionRange};

/// A counted repetition above this is refused.
pub(crate) const MAX_REPEAT: u64 = 5000;
/// Above this many positions a regex is refused.
pub(crate) const MAX_POSITIONS: u64 = 10_000;
/// Above this many a regex loads with a warning.
pub(crate) const WARN_POSITIONS: u64 = 4000;

/// What a regex's size means for loading it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Fine,
    /// Loads, with a warning. The message; the byte offset of the largest repetition.
    Slow(String, usize),
    /// Refused. The message; the byte offset of the largest repetition.
    TooLarge(String, usize),
}

/// Judges a regex that already parsed (an AST parse error here is left to the caller's
/// parser, which reports it).
pub(crate) fn judge(src: &str) -> Verdict {
    let Ok(ast) = ast::parse::Parser::new().parse(src) else {
        return Verdict::Fine;
    };
    judge_ast(src, &ast)
}

/// [`judge`] for a regex whose syntax tree the caller has: `src` is its text.
pub(crate) fn judge_ast(src: &str, ast: &Ast) -> Verdict {
    let mut largest = None;
    let n = positions(ast, &mut largest);
    let (count, offset, text) =
        largest.map_or((0, 0, String::new()), |(c, span): (u64, ast::Span)| {
            (
                c,
                span.start.offset,
                src.get(span.start.offset..span.end.offset)
                    .unwrap_or_default()
                    .to_owned(),
            )
        });
    let what = if count > 1 {
        format!(" (the largest repetition is `{text}`)")
    } else {
        String::new()
    };
    if count > MAX_REPEAT {
        Verdict::TooLarge(
            format!(
                "regex: repetition `{text}` is over the limit of {MAX_REPEAT}; such a regex takes minutes per megabyte (see docs/RULES.md, \"Regex size\")"
            ),
            offset,
        )
    } else if n > MAX_POSITIONS {
        Verdict::TooLarge(
            format!(
                "regex: too large: its counted repetitions write out to {} positions{what}, over the limit of {MAX_POSITIONS}; such a regex takes minutes per megabyte (see docs/RULES.md, \"Regex size\")",
                show(n)
            ),
            offset,
        )
    } else if n > WARN_POSITIONS {
        Verdict::Slow(
            format!(
                "regex: large: its counted repetitions write out to {n} positions{what}; above {MAX_POSITIONS} it would be refused, and it is slow to search (see docs/RULES.md, \"Regex size\")"
            ),
            offset,
        )
    } else {
        Verdict::Fine
    }
}

fn show(n: u64) -> String {
    if n == u64::MAX {
        "more than 18 quintillion".into()
    } else {
        n.to_string()
    }
}

/// Positions of `ast` written out: each literal, `.` or class is one, repetitions multiply.
/// Records the repetition with the largest count (ties: the first) in `largest`. Recursion
/// depth is bounded by the parser's nesting limit.
fn positions(ast: &Ast, largest: &mut Option<(u64, ast::Span)>) -> u64 {
    match ast {
        Ast::Empty(_) | Ast::Flags(_) | Ast::Assertion(_) => 0,
        Ast::Literal(_)
        | Ast::Dot(_)
        | Ast::ClassUnicode(_)
        | Ast::ClassPerl(_)
        | Ast::ClassBracketed(_) => 1,
        Ast::Group(g) => positions(&g.ast, largest),
        Ast::Concat(c) => c
            .asts
            .iter()
            .fold(0u64, |n, a| n.saturating_add(positions(a, largest))),
        Ast::Alternation(a) => a
            .asts
            .iter()
            .fold(0u64, |n, a| n.saturating_add(positions(a, largest))),
        Ast::Repetition(r) => {
            let count = u64::from(match &r.op.kind {
                RepetitionKind::ZeroOrOne
                | RepetitionKind::ZeroOrMore
                | RepetitionKind::OneOrMore => 1,
                RepetitionKind::Range(RepetitionRange::Exactly(n))
                | RepetitionKind::Range(RepetitionRange::AtLeast(n))
                | RepetitionKind::Range(RepetitionRange::Bounded(_, n)) => (*n).max(1),
            });
            if largest.as_ref().is_none_or(|(c, _)| count > *c) {
                *largest = Some((count, r.op.span));
            }
            positions(&r.ast, largest).saturating_mul(count)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_repetitions_written_out() {
        let mut none = None;
        let mut n = |s: &str| positions(&ast::parse::Parser::new().parse(s).unwrap(), &mut none);
        assert_eq!(n("abc"), 3);
        assert_eq!(n("a{10}"), 10);
        assert_eq!(n("a{2,}"), 2);
        assert_eq!(n("(?:ab|c){0,5}"), 15);
        assert_eq!(n("[a-z]+x*"), 2);
        assert_eq!(n(r"(?i)\bx\s{0,5}$"), 6);
        assert_eq!(n("(?:(?:a{1000}){1000}){1000}"), 1_000_000_000);
    }

    #[test]
    fn refuses_the_slow_regex_of_the_issue_and_points_at_its_repetition() {
        let src = r"eval[\x00-\xff]{65000,65536}q";
        let Verdict::TooLarge(msg, at) = judge(src) else {
            panic!("not refused");
        };
        assert_eq!(&src[at..], "{65000,65536}q");
        assert!(
            msg.contains("`{65000,65536}` is over the limit of 5000"),
            "{msg}"
        );
    }

    #[test]
    fn nested_repetitions_multiply() {
        assert!(matches!(
            judge(r"(?:[^;]{0,400},\s{0,10}){0,30}"),
            Verdict::TooLarge(..)
        ));
        let Verdict::TooLarge(msg, _) = judge(r"(?:a{200}){200}") else {
            panic!("not refused");
        };
        assert!(msg.contains("40000 positions"), "{msg}");
        assert!(matches!(judge(r"(?:a{100}){80}"), Verdict::Slow(..)));
        // Saturates instead of overflowing.
        let huge = "(?:(?:(?:(?:a{1000}){1000}){1000}){1000}){1000}".repeat(2);
        assert!(matches!(judge(&huge), Verdict::TooLarge(..)));
    }

    #[test]
    fn ordinary_bounded_regexes_are_fine() {
        assert_eq!(
            judge(r"toByteArray\s{0,5}\(\s{0,5}\)[\s\S]{0,2000}(?:defineClass|loadClass)"),
            Verdict::Fine
        );
        assert_eq!(judge(r"[A-Za-z0-9+/]{200,}"), Verdict::Fine);
        assert_eq!(judge("a{4000}"), Verdict::Fine);
        assert!(matches!(judge("a{4001}"), Verdict::Slow(..)));
        assert!(matches!(judge("a{5000}"), Verdict::Slow(..)));
        assert!(matches!(judge("a{5001}"), Verdict::TooLarge(..)));
        assert!(matches!(judge("a{1,5001}"), Verdict::TooLarge(..)));
        assert!(matches!(judge("a{5001,}"), Verdict::TooLarge(..)));
    }
}
