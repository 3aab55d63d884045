//! A regex's parsed form, kept as text between the automata built from it.
//!
//! A regex's automata are built when a scan first needs each one (the forward and reverse
//! DFAs, the relaxed filter, the check after its atom, the meta regex), and each is built
//! from its HIR. Kept parsed for that, the HIRs of the bundled rules held some 7 MB for a
//! sweep's whole length (heaptrack at the peak of the web root of issue 18: 3.6 MB of
//! whole regexes, 1.5 MB of relaxed ones, 2 MB of the parts after atoms): a
//! case-insensitive literal is a class per letter, each an allocation of its own. As text
//! they take 0.8 MB, and a regex is parsed again once per automaton built from it.
//!
//! A whole regex is kept as its source and the flags it was parsed with; a part of one (the
//! suffix after its atom) as regex-syntax's printed form, which spells out every flag and
//! so parses back to the same HIR with the default syntax over bytes.

use std::cell::RefCell;
use std::collections::VecDeque;

use regex_syntax::ParserBuilder;
use regex_syntax::hir::Hir;

#[derive(Clone, PartialEq, Eq)]
pub(crate) struct HirText {
    text: Box<str>,
    /// For a source: the rule's `nocase`. A printed form spells its classes out.
    nocase: bool,
    printed: bool,
}

/// A rule's regex as the engine reads it: over bytes, without Unicode classes.
pub(crate) fn parse(src: &str, nocase: bool) -> Result<Hir, Box<regex_syntax::Error>> {
    ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .case_insensitive(nocase)
        .build()
        .parse(src)
        .map_err(Box::new)
}

impl HirText {
    /// A rule's regex `src`, which [`parse`] took with `nocase`.
    pub(crate) fn source(src: &str, nocase: bool) -> HirText {
        HirText {
            text: src.into(),
            nocase,
            printed: false,
        }
    }

    /// Any HIR, in its printed form.
    pub(crate) fn printed(hir: &Hir) -> HirText {
        HirText {
            text: hir.to_string().into_boxed_str(),
            nocase: false,
            printed: true,
        }
    }

    /// `f` of the HIR again. An error only if the text no longer parses, which neither a
    /// source that parsed before nor a printed form does; callers take it as an automaton
    /// that does not build.
    pub(crate) fn with_hir<R>(
        &self,
        f: impl FnOnce(&Hir) -> R,
    ) -> Result<R, Box<regex_syntax::Error>> {
        let found = RECENT.with_borrow_mut(|recent| {
            let i = recent.iter().position(|(text, _)| text == self)?;
            recent.remove(i)
        });
        let (text, hir) = match found {
            Some(entry) => entry,
            None => (self.clone(), self.parse()?),
        };
        let out = f(&hir);
        RECENT.with_borrow_mut(|recent| {
            recent.push_front((text, hir));
            recent.truncate(RECENT_HIRS);
        });
        Ok(out)
    }

    fn parse(&self) -> Result<Hir, Box<regex_syntax::Error>> {
        if self.printed {
            // The printed form marks what is not Unicode (`(?-u:\b)`, byte classes) and
            // leaves the rest to the default flags.
            ParserBuilder::new()
                .utf8(false)
                .build()
                .parse(&self.text)
                .map_err(Box::new)
        } else {
            parse(&self.text, self.nocase)
        }
    }
}

/// HIRs a thread keeps from its last parses (see [`RECENT`]).
const RECENT_HIRS: usize = 4;

thread_local! {
    /// The HIRs this thread parsed last, by what they were parsed from. A regex's automata
    /// are built close together (the filter and the forward DFA at its first window, often
    /// the reverse one at its first match), and each would parse it again: without these,
    /// a sweep of the web root of issue 18 parsed whole regexes 1,282 times and ran 0.4%
    /// more instructions (valgrind, `-j1`).
    static RECENT: RefCell<VecDeque<(HirText, Hir)>> = const { RefCell::new(VecDeque::new()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_and_a_printed_form_parse_back_to_the_same_hir() {
        for (src, nocase) in [
            (r"(?m)(?:^|[^\w$>:\n])eval\s{0,10}\(", true),
            (r"\x00\xff[\x80-\xfe]{2,4}(?-u:\b)x", false),
            (r"(?s)<%.{0,300}?Request\.Form", false),
            (r"(?u:\b)word(?u:\w+)", false),
        ] {
            let hir = parse(src, nocase).unwrap();
            let again = |text: HirText| text.with_hir(Hir::clone).unwrap();
            assert_eq!(again(HirText::source(src, nocase)), hir, "{src}");
            assert_eq!(again(HirText::printed(&hir)), hir, "{src}");
        }
    }
}
