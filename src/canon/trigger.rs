//! Whether a script gets a canonical view at all. Lexing and folding cost far more than
//! scanning (issue 18: on the PHP of Debian's web applications, the views were half of the
//! scan), and nearly all of that went to benign files whose folds only join strings around
//! mark-up or spaces; so a file is viewed only when its raw text holds a form that a fold
//! can turn into something the rules could newly see.

use std::ops::Range;
use std::sync::LazyLock;

use regex_automata::meta::Regex;

use super::Lang;

mod values;

use values::Values;

impl Lang {
    /// True when `raw` holds a form some fold or resolution of the language starts from,
    /// other than a join that cannot rebuild a name (see [`live`]).
    pub(super) fn may_fold(self, raw: &[u8]) -> bool {
        match self {
            Lang::Php => php_may_fold(raw),
            Lang::Java | Lang::DotNet => self.regex_may_fold(raw),
        }
    }

    fn regex_may_fold(self, raw: &[u8]) -> bool {
        folds_by(self.trigger(), raw)
    }

    /// Java's and .NET's trigger regex.
    fn trigger(self) -> &'static Regex {
        static FOLDS: LazyLock<[Regex; 2]> =
            LazyLock::new(|| [JAVA_FOLDS, DOTNET_FOLDS].map(trigger_regex));
        &FOLDS[usize::from(self == Lang::DotNet)]
    }
}

/// Whether `re`, a trigger regex, finds a form in `raw` that counts (see [`live`]).
fn folds_by(re: &Regex, raw: &[u8]) -> bool {
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

/// Not UTF-8 mode, so that the word boundaries can be ASCII ones (see `PHP_FOLDS`).
fn trigger_regex(pattern: &str) -> Regex {
    Regex::builder()
        .syntax(regex_automata::util::syntax::Config::new().utf8(false))
        .build(pattern)
        .expect("fold triggers are valid regexes")
}

/// [`Lang::may_fold`] for PHP: the forms of [`PHP_FOLDS`], found from the bytes every one of
/// them holds rather than by the regex. The case-insensitive names keep a DFA from skipping
/// ahead, and it read PHP at about 600 MB/s, 6% of a web root's sweep (issue 18); a match
/// holds `(`, `$`, `.` or `^`, which SIMD finds several times faster. Each form is then
/// checked around its byte: a join from its operator, a call from its `(` backwards.
///
/// A call, or a variable joined to a literal, counts only when what it is handed may be a
/// literal by the time the fold gets to it: see [`Values`].
fn php_may_fold(raw: &[u8]) -> bool {
    php_forms(raw, &mut Values::new(raw))
}

/// The forms of [`PHP_FOLDS`] in `raw`, the calls and the variables joined to literals
/// among them as far as `values` lets them count.
fn php_forms<'a>(raw: &'a [u8], values: &mut Values<'a>) -> bool {
    memchr::memchr3_iter(b'(', b'$', b'.', raw).any(|i| match raw[i] {
        b'(' => php_call(raw, i, values),
        b'$' => matches!(raw.get(i + 1), Some(b'$' | b'{')),
        _ => php_join(raw, i, values),
    }) || memchr::memchr_iter(b'^', raw).any(|i| php_join(raw, i, values))
}

/// White space as the regexes' ASCII `\s` reads it. PHP's own is narrower (no vertical tab
/// or form feed) and never takes a non-ASCII space: `eval\u{a0}(` calls a function whose
/// name ends in those bytes, not `eval`.
pub(super) fn space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)
}

/// The forms that end in the `(` at `open`: `)(`, `$name(`, `'name'(` and a call of one of
/// [`PHP_CALLS`] (a whole ASCII word: `my_eval(` is not one, `éeval(` is, as the regex's
/// ASCII word boundary has it).
fn php_call<'a>(raw: &'a [u8], open: usize, values: &mut Values<'a>) -> bool {
    let end = run_back(raw, open, space);
    if end == 0 {
        return false;
    }
    if raw[end - 1] == b')' {
        return values.called_value_may_fold(end - 1);
    }
    // A literal that names what it calls: `'assert'(`, which a fold turns into the call.
    // Not on a line that starts as a comment does: documentation writes `'ASC' (default)`.
    if let quote @ (b'\'' | b'"') = raw[end - 1] {
        let start = run_back(raw, end - 1, |b| name_byte(b) || b == b'\\');
        return start < end - 1
            && start > 0
            && raw[start - 1] == quote
            && !(values.refines() && comment_line(raw, start - 1));
    }
    let start = run_back(raw, end, name_byte);
    if start < end && start > 0 && raw[start - 1] == b'$' {
        return values.may_hold(&raw[start..end]);
    }
    // The whole ASCII word before it.
    let start = run_back(raw, end, |b| b.is_ascii_alphanumeric() || b == b'_');
    let word = &raw[start..end];
    PHP_CALLS.iter().any(|c| c.eq_ignore_ascii_case(word)) && values.args_may_fold(word, open)
}

/// Whether the line holding `at` starts, after white space, as a comment or a line of a
/// doc block does (`//`, `#` but not `#[`, `*` but not `*/`). Code can start a line with
/// `*` only to go on multiplying the line before, which no web shell was seen to do.
fn comment_line(raw: &[u8], at: usize) -> bool {
    let line = raw[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let first = line
        + raw[line..at]
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
    let rest = &raw[first..];
    (rest.starts_with(b"*") && !rest.starts_with(b"*/"))
        || (rest.starts_with(b"#") && !rest.starts_with(b"#["))
        || rest.starts_with(b"//")
}

/// The join around the operator (`.` or `^`) at `op`: a literal's quote or a `)` before it,
/// a quote or a `(` after it, with white space between; then [`live`] says whether it counts,
/// and for a `)` whether what it closes may be a literal by then
/// ([`Values::result_may_fold`]: `__('Save') . 'x'` joins what the fold never makes one).
///
/// A variable joined to a literal (`$x . 'l('`) counts too when the variable may hold a
/// literal (see [`Values`]) and the literal's end at the junction is part of a word, or
/// always for `^`: the fold puts the literal in and joins, which rebuilds a name split
/// between the two (`$x = "eva"; ... $x."l($c)"`, in the public collections).
fn php_join<'a>(raw: &'a [u8], op: usize, values: &mut Values<'a>) -> bool {
    let before = run_back(raw, op, space);
    let after = op + 1 + raw[op + 1..].iter().take_while(|&&b| space(b)).count();
    let xor = raw[op] == b'^';
    // The byte a literal's content starts or ends with at the junction, or its own quote
    // when it is empty.
    let wordy = |b: Option<&u8>, own: u8| b.is_some_and(|&b| name_byte(b) || b == own);
    match (before.checked_sub(1).map(|i| raw[i]), raw.get(after)) {
        (Some(b')'), Some(b'\'' | b'"' | b'(')) => {
            live(raw, before - 1..after + 1) && values.result_may_fold(before - 1)
        }
        (Some(b'\'' | b'"'), Some(b'\'' | b'"' | b'(')) => live(raw, before - 1..after + 1),
        (Some(b), Some(&quote @ (b'\'' | b'"'))) if name_byte(b) => {
            let start = run_back(raw, before, name_byte);
            start > 0
                && raw[start - 1] == b'$'
                && (!values.refines() || xor || wordy(raw.get(after + 1), quote))
                && values.may_hold(&raw[start..before])
        }
        (Some(quote @ (b'\'' | b'"')), Some(b'$')) => {
            let name = &raw[after + 1..];
            let name = &name[..name.iter().take_while(|&&b| name_byte(b)).count()];
            let last = before.checked_sub(2).and_then(|i| raw.get(i));
            !name.is_empty()
                && (!values.refines() || xor || wordy(last, quote))
                && values.may_hold(name)
        }
        _ => false,
    }
}

/// Where the run of bytes that `take` takes, ending at `end`, starts.
fn run_back(raw: &[u8], end: usize, take: impl Fn(u8) -> bool) -> usize {
    end - raw[..end].iter().rev().take_while(|&&b| take(b)).count()
}

/// The decoders and string builders whose call starts a PHP fold.
const PHP_CALLS: [&[u8]; 14] = [
    b"chr",
    b"strrev",
    b"str_rot13",
    b"base64_decode",
    b"hex2bin",
    b"gzinflate",
    b"gzuncompress",
    b"gzdecode",
    b"create_function",
    b"eval",
    b"assert",
    b"urldecode",
    b"rawurldecode",
    b"convert_uudecode",
];

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
/// a call of a variable, of a value or of a literal, a variable variable, or a call of a decoder or string
/// builder. Code with none of these has a view that differs only in layout, so it is not
/// lexed at all: most files of a web root, at the cost of one search over their bytes.
///
/// The word boundaries are ASCII ones (`(?-u:\b)`): a Unicode `\b` makes the regex crate's
/// lazy DFA give up at the first non-ASCII byte and fall back to a far slower engine, which
/// real code (translations, names, symbols) meets in most files. Next to an ASCII letter of
/// these words an ASCII boundary holds wherever a Unicode one does (it also holds next to a
/// non-ASCII letter), so these boundaries skip no file the Unicode ones would have let
/// through (which joins count is [`live`]'s business).
///
/// PHP's forms are found by [`php_may_fold`]; this regex, with PHP's white space and name
/// bytes in place of Unicode's, is what its tests hold it to.
#[cfg(test)]
const PHP_FOLDS: &str = r#"(?i)['")]\s*[.^]\s*['"(]|\$\w+\s*[.^]\s*['"]|['"]\s*[.^]\s*\$\w|\$\w+\s*\(|\$\$|\$\{|\)\s*\(|'[\w\\]+'\s*\(|"[\w\\]+"\s*\(|(?-u:\b)(?:chr|strrev|str_rot13|base64_decode|hex2bin|gzinflate|gzuncompress|gzdecode|create_function|eval|assert|urldecode|rawurldecode|convert_uudecode)\s*\("#;
/// Java's forms, as the PHP ones above.
const JAVA_FOLDS: &str = r#"["')]\s*\+\s*["'(]|\(\s*char\s*\)|new\s+String\s*\(|StringBu(?:ilder|ffer)|[Bb]ase64|BASE64|fromCharCode|\.reverse\s*\(|\.concat\s*\(|valueOf\s*\(\s*["']"#;
/// ASP's and ASP.NET's forms, as the PHP ones above.
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

    use super::{DOTNET_FOLDS, Lang, PHP_FOLDS, Values, folds_by, php_forms, php_may_fold};

    /// The PHP forms, every call counting whatever it is handed.
    fn php_forms_alone(raw: &[u8]) -> bool {
        php_forms(raw, &mut Values::unfollowed(raw))
    }

    /// The triggers as they were with Unicode word boundaries, in UTF-8 mode.
    fn unicode_boundaries(pattern: &str) -> Regex {
        Regex::new(&pattern.replace("(?-u:\\b)", "\\b")).unwrap()
    }

    /// `PHP_FOLDS` with PHP's white space and name bytes (any from 0x80 up) in place of
    /// Unicode's, searched as the Java and .NET regexes are: what `php_may_fold` must say.
    fn php_reference(raw: &[u8]) -> bool {
        static RE: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
            let pattern = PHP_FOLDS
                .replace("\\s", "[\\t\\n\\x0B\\x0C\\r ]")
                .replace("\\w", "[0-9A-Za-z_\\x80-\\xFF]");
            Regex::builder()
                .syntax(
                    regex_automata::util::syntax::Config::new()
                        .utf8(false)
                        .unicode(false),
                )
                .build(&pattern)
                .unwrap()
        });
        folds_by(&RE, raw)
    }

    /// PHP text made of the bytes its forms are built from, and their near misses.
    fn php_pieces() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop::sample::select(vec![
            &b"eval"[..],
            b"EvAl",
            b"base64_decode",
            b"chr",
            b"my_",
            b"x",
            b"9",
            b"_",
            b"(",
            b")",
            b"$",
            b"{",
            b"'",
            b"\"",
            b".",
            b"^",
            b"+",
            b" ",
            b"\t",
            b"\n",
            b"\x0B",
            b"\x0C",
            b"\xC3\xA9",
            b"\xC2\xA0",
            b"\xFF",
            b";",
            b"'.'",
        ]);
        prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    /// PHP statements of calls, assignments and joins, without the escapes and comments
    /// that other triggers are about.
    fn php_calls() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop::sample::select(vec![
            &b"<?php "[..],
            b"$f",
            b"$g",
            b"$this",
            b"->get",
            b" = ",
            b" .= ",
            b"==",
            b"=>",
            b"'assert'",
            b"'x'",
            b"\"ZXZhbA==\"",
            b"65",
            b"(",
            b")",
            b"(int)",
            b"[",
            b"]",
            b"{",
            b"}",
            b";",
            b",",
            b" ",
            b"\n",
            b"base64_decode",
            b"chr",
            b"eval",
            b"assert",
            b"create_function",
            b"strtolower",
            b"function",
            b"trim",
            b" . ",
            b".",
            b" ^ ",
            b"'ev'",
            b"\"al\"",
            b"'/'",
            b"$_POST['x']",
            b"stripslashes",
            b"->",
            b"::",
        ]);
        prop::collection::vec(piece, 0..16).prop_map(|v| v.concat())
    }

    proptest! {
        // A variable given a literal and then called is a few statements of the grammar
        // apart: at the default 256 cases a trigger that never followed values passed.
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Where the fold resolves a variable that is called, or evaluates or inlines a
        /// call the triggers know, the file is let in: the calls that [`Values`] turns away
        /// are ones no fold changes. (Other folds, of calls the triggers do not know, happen
        /// in files let in for another reason; that is the trigger's design, not this test's.)
        #[test]
        fn a_call_the_fold_changes_is_let_in(text in php_statements()) {
            let view = crate::canon::php::folded_view(&text, true).expect("rendered");
            let count = |hay: &[u8], needle: &str| {
                memchr::memmem::find_iter(hay, needle.as_bytes()).count()
            };
            let calls = ["$f(", "$g(", "$x(", "base64_decode(", "chr(", "eval(", "assert(", "strrev(", "urldecode("];
            for call in calls {
                if count(view.text(), call) < count(&text, call) {
                    prop_assert!(
                        php_may_fold(&text),
                        "{} changed in {:?}: {:?}",
                        call,
                        String::from_utf8_lossy(&text),
                        String::from_utf8_lossy(view.text())
                    );
                }
            }
        }
    }

    /// PHP statements built from a small grammar of assignments, calls and joins, so that
    /// variables are given values and then used, as in web shells and in real code.
    fn php_statements() -> impl Strategy<Value = Vec<u8>> {
        let var = prop::sample::select(vec!["$f", "$g", "$x"]);
        let lit = prop::sample::select(vec![
            "'assert'",
            "'ev'",
            "\"al\"",
            "'ZXZhbA=='",
            "'x'",
            "'/'",
            "''",
            "65",
        ]);
        // Functions the triggers know (`PHP_CALLS`) and ones the fold never evaluates. Those
        // it evaluates without being triggers (`strtolower`, `trim`...) fold only in files
        // some other form lets in, as before values were followed.
        let func = prop::sample::select(vec![
            "base64_decode",
            "chr",
            "eval",
            "assert",
            "stripslashes",
            "gzinflate",
            "strrev",
            "urldecode",
            "md5",
        ]);
        let leaf = prop_oneof![
            lit.prop_map(str::to_owned),
            var.clone().prop_map(str::to_owned),
            Just("$_POST['p']".to_owned()),
            Just("$this->k".to_owned()),
        ];
        let expr = leaf.prop_recursive(3, 12, 2, move |inner| {
            prop_oneof![
                (func.clone(), inner.clone()).prop_map(|(f, e)| format!("{f}({e})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} . {b}")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}^{b}")),
                inner.clone().prop_map(|e| format!("$this->m({e})")),
                inner.clone().prop_map(|e| format!("({e})")),
                (inner.clone(), inner).prop_map(|(a, b)| format!("array({a}, {b})")),
            ]
        });
        let stmt = prop_oneof![
            (var.clone(), expr.clone()).prop_map(|(v, e)| format!("{v} = {e};")),
            (var.clone(), expr.clone()).prop_map(|(v, e)| format!("{v} .= {e};")),
            (var, expr.clone()).prop_map(|(v, e)| format!("{v}({e});")),
            expr.clone().prop_map(|e| format!("echo {e};")),
            expr.prop_map(|e| format!("({e})($y);")),
        ];
        prop::collection::vec(stmt, 1..5)
            .prop_map(|v| format!("<?php\n{}\n", v.join("\n")).into_bytes())
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
            if unicode_boundaries(DOTNET_FOLDS).is_match(text.as_bytes()) {
                prop_assert!(Lang::DotNet.trigger().is_match(text.as_bytes()), "{:?}", text);
            }
        }

        /// The PHP scan says what its regex says, joins that do not count included.
        #[test]
        fn php_scan_is_its_regex(text in php_pieces()) {
            prop_assert_eq!(php_forms_alone(&text), php_reference(&text), "{:?}", text.escape_ascii().to_string());
        }

        /// A file whose calls are turned away for what they are handed (see [`Values`])
        /// would have had no view: its fold tells nothing.
        #[test]
        fn calls_turned_away_fold_nothing(text in php_calls()) {
            if php_forms_alone(&text) && !php_may_fold(&text) {
                prop_assert!(
                    crate::canon::php::folded_view(&text, false).is_none(),
                    "{:?}", text.escape_ascii().to_string()
                );
            }
        }

        /// It lexes every file the Unicode regex of before did, but for a non-ASCII space
        /// before a `(` or around a join: PHP's white space is ASCII, so `eval\u{a0}(`
        /// calls another function and `'a'\u{a0}.'b'` does not parse.
        #[test]
        fn php_scan_skips_nothing_the_unicode_regex_lexed(text in pieces()) {
            let bytes = text.as_bytes();
            let unicode_space = text.chars().any(|c| !c.is_ascii() && c.is_whitespace());
            if !unicode_space && folds_by(&unicode_boundaries(PHP_FOLDS), bytes) {
                prop_assert!(php_forms_alone(bytes), "{:?}", text);
            }
        }
    }

    /// Asserts that each of `yes` starts a PHP fold and none of `no` does.
    fn php_folds(yes: &[&str], no: &[&str]) {
        for s in yes {
            assert!(Lang::Php.may_fold(s.as_bytes()), "{s}");
        }
        for s in no {
            assert!(!Lang::Php.may_fold(s.as_bytes()), "{s}");
        }
    }

    /// Non-ASCII white space does not join a name to its `(` (see above).
    #[test]
    fn php_white_space_is_ascii() {
        assert!(Lang::Php.may_fold(b"eval\x0B('1')"));
        assert!(!Lang::Php.may_fold("eval\u{a0}('1')".as_bytes()));
        assert!(!Lang::Php.may_fold("eval\u{2003}('1')".as_bytes()));
    }

    #[test]
    fn boundaries_next_to_non_ascii_letters() {
        assert!(Lang::Php.may_fold("é eval ('1')".as_bytes()));
        assert!(!Lang::Php.may_fold("xé_eval('1')".as_bytes()));
        assert!(Lang::DotNet.may_fold("Executeé".as_bytes()));
        assert!(!Lang::DotNet.may_fold(b"executes"));
    }

    /// A variable joined to a literal counts where the variable may hold a literal and
    /// the junction is inside a word (or it is a XOR).
    #[test]
    fn variables_joined_to_literals_count_where_they_may_rebuild_a_name() {
        php_folds(
            &[
                "<?php $x = \"eva\"; return $x.\"l($c);\";",
                "<?php $x = 'sert'; $f = 'as' . $x;",
                "<?php $k = 'key'; echo $k ^ '<>';",
                "<?php $x = 'a'; echo $x . '';",
            ],
            &[
                "<?php $x = 'eva'; echo $x . ' l';",
                "<?php $dir = '/srv'; echo $dir . '/index.php';",
                "<?php echo $this->path . 'x' . $row['name'];",
                "<?php $y = f(); echo $y . 'abc';",
            ],
        );
        // The view rebuilds the name.
        let raw = "<?php\nfunction f() {\n\t$x = \"eva\";\n\treturn $x.\"l(\\$c);\";\n}\n";
        let view = crate::canon::view(Lang::Php, raw.as_bytes()).expect("a view");
        assert!(String::from_utf8_lossy(view.text()).contains("eval($c)"));
    }

    /// A join after a call's `)` counts only where the fold may make the call a literal:
    /// a function it evaluates, a variable's call, parentheses after a keyword or alone,
    /// and wherever the backward reading of the call is unsure.
    #[test]
    fn a_call_joined_to_a_literal_counts_where_the_fold_may_evaluate_it() {
        php_folds(
            &[
                "<?php $f = strtolower('AS') . 'sert';",
                "<?php return ('ev') . 'al';",
                "<?php $f = $g('x') . 'y';",
                "<?php $f = foo('a/b') . 'c';",
                "<?php $f = foo('a',\n  'b') . 'c';",
                "<?php $f = foo($a ? 'b' : 'c') . 'd';",
                "<?php\n$f = foo(a] 'x') . 'c';",
            ],
            &[
                "<?php echo __('Save') . 'x';",
                "<?php echo $this->t('Save') . 'x';",
                "<?php echo Html::a('x') . 'y';",
                "<?php echo htmlspecialchars($v['k']) . 'x';",
                "<?php echo foo('it\\'s (x') . 'y';",
                "<?php echo foo(\"a\\\\\", '(') . 'y';",
            ],
        );
    }

    /// `base64_decode` of a literal counts only where the fold may show what it decodes
    /// to: not a payload whose first bytes decode to binary (a compressed web shell's).
    #[test]
    fn a_base64_payload_that_decodes_to_binary_starts_no_fold() {
        php_folds(
            &[
                "<?php eval(base64_decode('ZXZhbCgkX1BPU1RbJ3gnXSk7'));",
                "<?php $x = base64_decode('ZXZh' . 'bA==');",
                "<?php $x = base64_decode('H4sIAAAA' ^ $k);",
                "<?php $x = base64_decode(\"H4sI\\x41AAA\");",
                "<?php $x = base64_decode('H4s\\'IAAAA');",
                "<?php $x = base64_decode('H4sIAAAA",
            ],
            &[
                "<?php $x = gzinflate(base64_decode('H4sIAAAAAAAA/8tIzcnJBwCGphA2BQAAAA=='));",
                "<?php eval(gzinflate(base64_decode('7b0HYBxJliUmL23Ke3tK9tK9tK9'), 0));",
                "<?php $x = base64_decode( '7b0HYBxJliUmL' , true);",
            ],
        );
    }

    /// Joins that can rebuild a name make a view; joins of mark-up, spaces and punctuation,
    /// and a literal `'.'`, do not.
    #[test]
    fn joins_count_where_they_glue_words() {
        php_folds(
            &[
                "<?php $f = 'as' . 'sert';",
                "<?php $f = 'e'.'v'.'a'.'l';",
                "<?php $f = 'ev' . '' . 'al';",
                "<?php $f = strtolower('AS') . 'sert';",
                "<?php $f = 'as' . ('sert');",
                "<?php $f = ('a') . ('b');",
                "<?php $f = '<' ^ '>';",
                "<?php $f = 'é' . 'x';",
                "<?php echo $a . '.' . $b; $f = 'ba'.'se64_decode';",
            ],
            &[
                "<?php echo $a . '.' . $b;",
                "<?php echo '<td>' . '</td>';",
                "<?php echo 'a ' . 'b';",
                "<?php echo __('Save') . '</a>';",
                "<?php echo '<b>' . (int) $n;",
                "<?php $p = 'php:/' . '/input';",
                "<?php $q = \"SELECT *\" . \" FROM t\";",
                "'.'",
            ],
        );
        assert!(Lang::Java.may_fold(br#"String c = "Run" + "time";"#));
        assert!(Lang::Java.may_fold(br#"String c = "x: " + (char) 65;"#));
        assert!(!Lang::Java.may_fold(br#"String c = "a: " + "b";"#));
        assert!(Lang::DotNet.may_fold(br#"x = "cm" & "d.exe""#));
        assert!(Lang::DotNet.may_fold(br#"x = "a " & chr(65)"#));
        assert!(!Lang::DotNet.may_fold(br#"x = "a " & "b""#));
    }

    /// A call counts when what it is handed may be a literal when the fold gets to it.
    #[test]
    fn calls_count_by_what_they_are_handed() {
        php_folds(
            &[
                "<?php $f = 'assert'; $f($_POST['x']);",
                "<?php $f = strtolower('ASSERT'); $f($x);",
                "<?php $g = 'system'; $f = $g; $f($x);",
                "<?php $f = ''; $f .= 'ev'; $f .= 'al'; $f($x);",
                "<?php $f /* x */ = $y; $f = $z; $f();",
                "<?php $f = /* 'assert' */ $x; $f($y);",
                "<?php $f = <<<E\nassert\nE;\n$f($y);",
                "<?php $c = 'ZXZhbA=='; eval(base64_decode($c));",
                "<?php echo base64_decode('ZXZhbA==');",
                "<?php echo chr(101);",
                "<?php echo chr( $n = 101 );",
                "<?php (strtolower('ASSERT'))($y);",
                "<?php ($f)($y); $f = 'assert';",
                "<?php $a = $b; $b = $c; $c = 'x'; $a();",
                "<?php $f = implode('', array('as', 'sert')); $f($x);",
                "<?php $f = \\StrToLower('ASSERT'); $f($x);",
                "<?php eval(str_rot13(gzinflate('x')) . 'y');",
                "<?php $s = 'c'; eval($s[0]);",
            ],
            &[
                "<?php $f = function () { return 1; }; $f();",
                "<?php $cb = $this->cb; $cb($x);",
                "<?php function run($f) { return $f(); }",
                "<?php $data = fread($h, 10); echo base64_decode($data);",
                "<?php for ($i = 0; $i < 9; $i++) { echo chr($i); }",
                "<?php $n = (int)($x);",
                "<?php $v = $obj->get()($x);",
                "<?php $a = $b; $b = $a; $a();",
                "<?php if ($f == 'x') { $f(); }",
                "<?php eval(",
                "<?php eval($_POST['p1']);",
                "<?php eval(stripslashes(trim($_REQUEST['ev'])));",
                "<?php echo base64_decode($this->get('k'), true);",
                "<?php echo base64_decode(Config::get('k'));",
                "<?php $f = __('Save'); $f();",
                "<?php assert(is_int($n) && $m->ok(')'));",
                "<?php eval(gzinflate(')'));",
                "<?php $f .= 'ev'; $f .= 'al'; $f($x);",
                "<?php $f = 'assert'; $f = 'x' . $y; $f($x);",
                "<?php $f = 'a'; if ($x) { $f = 'b'; } $f();",
            ],
        );
        // Past as many searches for assignments as it makes, every name counts.
        let mut many = String::from("<?php ");
        for i in 0..Values::MAX_SEARCHES {
            many.push_str(&format!("$f{i}(); "));
        }
        php_folds(&[], &[&many]);
        many.push_str("$last();");
        php_folds(&[&many], &[]);
    }

    /// A literal that names what it calls gets a view, where the call is plain: `'assert'(`
    /// started no fold before, and a file with no other form had none.
    #[test]
    fn a_called_literal_gets_a_view() {
        for (raw, call) in [
            ("<?php 'assert'($_POST['x']);", "assert($_POST"),
            ("<?php \"system\" ($_GET['c']);", "system ($_GET"),
            ("<?php '\\Ns\\run'($x);", "\\Ns\\run($x"),
        ] {
            let view = crate::canon::view(Lang::Php, raw.as_bytes()).expect(raw);
            let text = String::from_utf8_lossy(view.text());
            assert!(text.contains(call), "{raw}: {text}");
        }
        let doc_block =
            "<?php\n/**\n * Sorted 'ASC' (the default) or 'DESC'.\n */\nfunction f() {}";
        let commented = "<?php\n// 'assert' (see below)\n# \"system\"(x)\n";
        assert!(Lang::Php.may_fold(b"<?php\n/*\n*/'assert'($_POST['x']);"));
        assert!(Lang::Php.may_fold(b"<?php\n#['attr'] 'assert'($_POST['x']);"));
        for no in [
            "<?php echo '(';",
            "<?php echo 'a'.'(' . $x;",
            "<?php f('x')",
            doc_block,
            commented,
        ] {
            assert!(!Lang::Php.may_fold(no.as_bytes()), "{no}");
        }
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
