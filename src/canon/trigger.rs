//! Whether a script gets a canonical view at all. Lexing and folding cost far more than
//! scanning (issue 18: on the PHP of Debian's web applications, the views were half of the
//! scan), and nearly all of that went to benign files whose folds only join strings around
//! mark-up or spaces; so a file is viewed only when its raw text holds a form that a fold
//! can turn into something the rules could newly see.

use std::ops::Range;
use std::sync::LazyLock;

use regex_automata::meta::Regex;

use super::Lang;

impl Lang {
    /// True when `raw` holds a form some fold or resolution of the language starts from,
    /// other than a join that cannot rebuild a name (see [`live`]).
    pub(super) fn may_fold(self, raw: &[u8]) -> bool {
        let re = self.trigger();
        let mut at = 0;
        while let Some(m) = re.search(&regex_automata::Input::new(raw).range(at..)) {
            if live(raw, m.range()) {
                return true;
            }
            // From the next byte, not the match's end: a trigger may begin at the last byte
            // of a join that does not count (`(char)` in `"x: " + (char) 65`).
            at = m.start() + 1;
        }
        false
    }

    fn trigger(self) -> &'static Regex {
        // Not UTF-8 mode, so that the word boundaries can be ASCII ones (see `PHP_FOLDS`).
        static FOLDS: LazyLock<[Regex; 3]> = LazyLock::new(|| {
            [PHP_FOLDS, JAVA_FOLDS, DOTNET_FOLDS].map(|p| {
                Regex::builder()
                    .syntax(regex_automata::util::syntax::Config::new().utf8(false))
                    .build(p)
                    .expect("fold triggers are valid regexes")
            })
        });
        &FOLDS[match self {
            Lang::Php => 0,
            Lang::Java => 1,
            Lang::DotNet => 2,
        }]
    }
}

/// Whether the trigger match `m` can start a fold that changes what the code says.
///
/// Every trigger can, except a join (`'a' . 'b'`, `f() + "b"`, `"a" & (b)`), which only
/// glues strings: the view then shows new text only at the junction, and what obfuscation
/// splits there is a name (`'ba'.'se64_decode'`, `"Run" + "time"`, `'e'.'v'.'a'.'l'`). So
/// a join counts when the bytes it glues are both part of a word, or may be: a call's or
/// a bracket's value is unknown here, and an empty literal (`'ev'.''.'al'`) passes its
/// neighbour on. Real code joins strings mostly around mark-up, spaces and punctuation
/// (`'</td>' . '<td>'`, `$a . '.' . $b`, where `'.'` itself matches): measured on Debian's
/// PHP applications, this halved the files lexed, and it kept every view finding on the
/// public web shell collections. A junction of punctuation (`'php:/'.'/input'`) is not
/// joined in a view unless some other trigger is in the file; rules match such text by its
/// pieces.
fn live(raw: &[u8], m: Range<usize>) -> bool {
    let last = m.end.checked_sub(1).and_then(|i| raw.get(i));
    let (Some(&first), Some(&last), Some(op)) = (
        raw.get(m.start),
        last,
        raw.get(m.start + 1..m.end.saturating_sub(1)),
    ) else {
        // Shorter than two bytes: no trigger matches so little, and a match counts.
        return true;
    };
    let quote = |b: u8| b == b'\'' || b == b'"';
    let join = matches!(op.trim_ascii(), b"." | b"+" | b"&")
        && (quote(first) || first == b')')
        && (quote(last) || last == b'(');
    if !join {
        return true;
    }
    // The byte a literal's content ends or starts with next to the junction; a literal's
    // own closing quote there means it is empty.
    let word = |b: Option<&u8>, own: u8| b.is_some_and(|&b| name_byte(b) || b == own);
    let left = first == b')' || word(m.start.checked_sub(1).and_then(|i| raw.get(i)), first);
    let right = last == b'(' || word(raw.get(m.end), last);
    left && right
}

/// A byte a name can hold, in any of the languages (PHP names take any byte from 0x80 up).
pub(super) fn name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// What any fold or resolution of a language starts from: two literals joined (or XORed),
/// a call of a variable or of a value, a variable variable, or a call of a decoder or string
/// builder. Code with none of these has a view that differs only in layout, so it is not
/// lexed at all: most files of a web root, at the cost of one search over their bytes.
///
/// The word boundaries are ASCII ones (`(?-u:\b)`): a Unicode `\b` makes the regex crate's
/// lazy DFA give up at the first non-ASCII byte and fall back to a far slower engine, which
/// real code (translations, names, symbols) meets in most files. Next to an ASCII letter of
/// these words an ASCII boundary holds wherever a Unicode one does (it also holds next to a
/// non-ASCII letter), so these boundaries skip no file the Unicode ones would have let
/// through (which joins count is [`live`]'s business).
const PHP_FOLDS: &str = r#"(?i)['")]\s*[.^]\s*['"(]|\$\w+\s*\(|\$\$|\$\{|\)\s*\(|(?-u:\b)(?:chr|strrev|str_rot13|base64_decode|hex2bin|gzinflate|gzuncompress|gzdecode|create_function|eval|assert|urldecode|rawurldecode|convert_uudecode)\s*\("#;
const JAVA_FOLDS: &str = r#"["')]\s*\+\s*["'(]|\(\s*char\s*\)|new\s+String\s*\(|StringBu(?:ilder|ffer)|[Bb]ase64|BASE64|fromCharCode|\.reverse\s*\(|\.concat\s*\(|valueOf\s*\(\s*["']"#;
const DOTNET_FOLDS: &str = r#"(?i)["')]\s*[&+]\s*["'(c]|(?-u:\b)chr[wb]?\$?\s*\(|strreverse|frombase64string|\(\s*char\s*\)|fromcharcode|string\.concat|new\s+string\s*\(|unescape\s*\(|(?-u:\b)eval\s*\(|(?-u:\b)execute(?:global)?(?-u:\b)"#;

/// What the lexers undo without a fold: escapes (`\x65`, `\145`, `\u0065`, `\u{65}`) and
/// block comments glued between the pieces of one token (`eval/**/(`, `$_/*x*/(`). Found on
/// the raw bytes, over-approximated: a match here only costs a second scan. An escape of a
/// character no name holds counts too: web shells hide a name behind one that `trim`
/// removes (`trim("\x0Bassert")`, in the public collections).
pub(super) fn hides_tokens(raw: &[u8]) -> bool {
    let escapes = memchr::memchr_iter(b'\\', raw).any(|i| {
        let next = |k: usize| raw.get(i + k).copied().unwrap_or(0);
        match next(1) {
            b'x' => next(2).is_ascii_hexdigit() && next(3).is_ascii_hexdigit(),
            b'0'..=b'7' => matches!(next(2), b'0'..=b'7') && matches!(next(3), b'0'..=b'7'),
            b'u' => next(2) == b'{' || next(2).is_ascii_hexdigit() || next(2) == b'u',
            _ => false,
        }
    });
    let glued = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    escapes
        || memchr::memmem::find_iter(raw, b"/*").any(|i| i > 0 && glued(raw[i - 1]))
        || memchr::memmem::find_iter(raw, b"*/").any(|i| raw.get(i + 2).is_some_and(|&b| glued(b)))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use regex_automata::meta::Regex;

    use super::{DOTNET_FOLDS, Lang, PHP_FOLDS};

    /// The triggers as they were with Unicode word boundaries, in UTF-8 mode.
    fn unicode_boundaries(pattern: &str) -> Regex {
        Regex::new(&pattern.replace("(?-u:\\b)", "\\b")).unwrap()
    }

    fn pieces() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "eval",
            "Eval",
            "execute",
            "executeglobal",
            "chr",
            "chrw$",
            "assert",
            "strrev",
            "(",
            " (",
            "\u{a0}(",
            "é",
            "ſ",
            "K",
            "_",
            "a",
            "1",
            " ",
            "\n",
            "\u{2003}",
            "\u{00ff}",
            "$",
            "\"",
            "'",
            ".",
            "&",
        ]);
        prop::collection::vec(piece, 0..10).prop_map(|v| v.concat())
    }

    proptest! {
        /// A text the Unicode-boundary triggers matched the ASCII ones match too: the
        /// boundaries skip no file that was lexed before (which joins count is [`super::live`]'s
        /// business, tested below).
        #[test]
        fn ascii_boundaries_skip_nothing_unicode_ones_lexed(text in pieces()) {
            for (lang, pattern) in [(Lang::Php, PHP_FOLDS), (Lang::DotNet, DOTNET_FOLDS)] {
                if unicode_boundaries(pattern).is_match(text.as_bytes()) {
                    prop_assert!(lang.trigger().is_match(text.as_bytes()), "{:?}", text);
                }
            }
        }
    }

    #[test]
    fn boundaries_next_to_non_ascii_letters() {
        assert!(Lang::Php.may_fold("é eval (".as_bytes()));
        assert!(!Lang::Php.may_fold("xé_eval(".as_bytes()));
        assert!(Lang::DotNet.may_fold("Executeé".as_bytes()));
        assert!(!Lang::DotNet.may_fold(b"executes"));
    }

    /// Joins that can rebuild a name make a view; joins of mark-up, spaces and punctuation,
    /// and a literal `'.'`, do not.
    #[test]
    fn joins_count_where_they_glue_words() {
        let php = |s: &str| Lang::Php.may_fold(s.as_bytes());
        for yes in [
            "<?php $f = 'as' . 'sert';",
            "<?php $f = 'e'.'v'.'a'.'l';",
            "<?php $f = 'ev' . '' . 'al';",
            "<?php $f = strtolower('AS') . 'sert';",
            "<?php $f = 'as' . ('sert');",
            "<?php $f = ('a') . ('b');",
            "<?php $f = '<' ^ '>';",
            "<?php $f = 'é' . 'x';",
            "<?php echo $a . '.' . $b; $f = 'ba'.'se64_decode';",
        ] {
            assert!(php(yes), "{yes}");
        }
        for no in [
            "<?php echo $a . '.' . $b;",
            "<?php echo '<td>' . '</td>';",
            "<?php echo 'a ' . 'b';",
            "<?php echo __('Save') . '</a>';",
            "<?php echo '<b>' . (int) $n;",
            "<?php $p = 'php:/' . '/input';",
            "<?php $q = \"SELECT *\" . \" FROM t\";",
            "'.'",
        ] {
            assert!(!php(no), "{no}");
        }
        assert!(Lang::Java.may_fold(br#"String c = "Run" + "time";"#));
        assert!(Lang::Java.may_fold(br#"String c = "x: " + (char) 65;"#));
        assert!(!Lang::Java.may_fold(br#"String c = "a: " + "b";"#));
        assert!(Lang::DotNet.may_fold(br#"x = "cm" & "d.exe""#));
        assert!(Lang::DotNet.may_fold(br#"x = "a " & chr(65)"#));
        assert!(!Lang::DotNet.may_fold(br#"x = "a " & "b""#));
    }

    /// Each join that does not count is passed over and the search goes on from the byte
    /// after its start, to the last byte of a file made of nothing else.
    #[test]
    fn the_search_goes_past_joins_that_do_not_count() {
        let mut text = b"<?php echo ".to_vec();
        for _ in 0..50_000 {
            text.extend_from_slice(b"$a . '.' . ");
        }
        assert!(!Lang::Php.may_fold(&text));
        text.extend_from_slice(b"'ev' . 'al';");
        assert!(Lang::Php.may_fold(&text));
        assert!(Lang::Php.may_fold(b"$$"));
    }
}
