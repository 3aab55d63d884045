//! Which variables of a PHP file may hold a literal, and which calls may be handed one:
//! what lets a call count as a fold trigger (see [`Values`]).

use super::{name_byte, space};

/// What a variable's occurrence does to it, as far as [`Values`] tells.
enum Assignment {
    /// `=`, the value starting at this offset.
    Value(usize),
    /// Followed by a comment or a division, which is not read.
    Unsure,
    /// Read, appended to (`.=`: only ever after the one `=` that counts), or written
    /// some other way.
    Other,
}

/// Which variables of a file may hold a literal when the fold resolves them, and which
/// calls may be handed one, told from the raw bytes (issue 18).
///
/// The fold evaluates a decoder or string builder only on literals, and resolves a
/// variable only where its one assignment gives it one (`$f = 'assert'`, see
/// `php::vars`), directly or after a fold of what it was given (`$f = 'as'.'sert'`,
/// `$f = $g;`, `$f = strtolower('ASSERT')`). So `$f(` (or `$f . 'x'`) counts only when
/// `$f` is assigned once, a literal or a variable that may hold one, and a call of
/// [`PHP_CALLS`](super::PHP_CALLS) only when the fold evaluates it and its arguments hold a
/// literal, a number or such a variable. Real code calls variables holding closures and
/// objects, and decodes what it read, far more often than it does that. The test is an
/// over-approximation, as the whole trigger is: a comment, a heredoc or anything else it
/// does not follow counts, and so does every name once a file was searched
/// [`Values::MAX_SEARCHES`] times for assignments.
pub(super) struct Values<'a> {
    raw: &'a [u8],
    /// Names looked up, and whether they may hold a literal. While a name is looked up it
    /// is here as not held, so that a chain back to it (`$a = $b; $b = $a;`) ends; a name
    /// found not held then is not kept, as it may be held through the first.
    known: Vec<(&'a [u8], bool)>,
    searches: usize,
    /// False for the tests that hold the forms alone to `PHP_FOLDS`: every call counts.
    follow: bool,
}

impl<'a> Values<'a> {
    /// Searches of the file for a name's assignments, at most.
    pub(super) const MAX_SEARCHES: usize = 32;
    /// How far an assignment's value or a call's arguments are followed; further counts.
    const MAX_SPAN: usize = 4096;
    /// How many assignments `$f = $g` are followed from one name; a longer chain counts.
    const MAX_DEPTH: u8 = 3;

    pub(super) fn new(raw: &'a [u8]) -> Values<'a> {
        Values {
            raw,
            known: Vec::new(),
            searches: 0,
            follow: true,
        }
    }

    #[cfg(test)]
    pub(super) fn unfollowed(raw: &'a [u8]) -> Values<'a> {
        Values {
            follow: false,
            ..Values::new(raw)
        }
    }

    /// Whether the forms are refined at all: by what calls are handed, and called literals
    /// on comment lines (see `php_call`).
    pub(super) fn refines(&self) -> bool {
        self.follow
    }

    /// Whether `$name` may hold a literal when the fold resolves it.
    pub(super) fn may_hold(&mut self, name: &'a [u8]) -> bool {
        !self.follow || self.held(name, 0)
    }

    fn held(&mut self, name: &'a [u8], depth: u8) -> bool {
        if let Some(&(_, v)) = self.known.iter().find(|(n, _)| *n == name) {
            return v;
        }
        if depth >= Self::MAX_DEPTH || self.searches >= Self::MAX_SEARCHES {
            return true;
        }
        self.searches += 1;
        let mark = self.known.len();
        self.known.push((name, false));
        let raw = self.raw;
        // The fold resolves a variable given one literal by one `=` (then perhaps appended
        // to), and nothing else: a second `=` anywhere and it is left alone.
        let (mut given, mut may_fold, mut unsure) = (0, false, false);
        for at in memchr::memmem::find_iter(raw, name) {
            let end = at + name.len();
            if at == 0 || raw[at - 1] != b'$' || raw.get(end).is_some_and(|&b| name_byte(b)) {
                continue;
            }
            match self.assignment(end) {
                Assignment::Value(from) => {
                    given += 1;
                    if given == 1 {
                        may_fold = self.value_may_fold(from, depth);
                    }
                }
                Assignment::Unsure => unsure = true,
                Assignment::Other => {}
            }
            if given > 1 && unsure {
                break;
            }
        }
        let held = unsure || (given == 1 && may_fold);
        // What was found not held during this lookup may be held through this name.
        let keep = held || depth == 0;
        self.known.truncate(mark + usize::from(keep));
        if keep {
            self.known[mark].1 = held;
        }
        held
    }

    /// What happens to the variable ending at `end`.
    fn assignment(&self, end: usize) -> Assignment {
        let raw = self.raw;
        let at = end + raw[end..].iter().take_while(|&&b| space(b)).count();
        match (raw.get(at), raw.get(at + 1)) {
            // A comment, or a division: what follows is not read here.
            (Some(b'/' | b'#'), _) => Assignment::Unsure,
            (Some(b'='), next) if !matches!(next, Some(b'=' | b'>')) => Assignment::Value(at + 1),
            _ => Assignment::Other,
        }
    }

    /// Whether the value assigned from `from` may be a literal by the time the fold
    /// resolves the variable.
    fn value_may_fold(&mut self, from: usize, depth: u8) -> bool {
        let raw = self.raw;
        // A closure or an object is never a literal (closures are what real code calls
        // through variables most).
        let value = &raw[from + raw[from..].iter().take_while(|&&b| space(b)).count()..];
        let word = &value[..value.iter().take_while(|&&b| name_byte(b)).count()];
        if [&b"function"[..], b"fn", b"new"]
            .iter()
            .any(|w| w.eq_ignore_ascii_case(word))
        {
            return false;
        }
        self.span_may_fold(from, false, depth)
    }

    /// Whether the call of `name` whose `(` is at `open` may be folded: the fold evaluates
    /// calls of that name, or puts the code given to it in its place (`eval`, `assert`,
    /// `create_function`), and its arguments may be literals by then. `gzinflate` and the
    /// other decompressors are never evaluated: a call of one counts only through the calls
    /// in it.
    pub(super) fn args_may_fold(&mut self, name: &[u8], open: usize) -> bool {
        let inlined = [&b"eval"[..], b"assert", b"create_function"]
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name));
        !self.follow
            || ((inlined || crate::canon::php::evaluated(name))
                && !(name.eq_ignore_ascii_case(b"base64_decode") && binary_payload(self.raw, open))
                && self.span_may_fold(open + 1, true, 0))
    }

    /// Whether the value in the parentheses that close at `close` and are called
    /// (`('as'.'sert')(`) may be folded into a literal, the name of what is called. A cast
    /// (`(int)(`) or a call's result (`$f->get()(`) may not; parentheses [`open_of`] cannot
    /// read back may.
    pub(super) fn called_value_may_fold(&mut self, close: usize) -> bool {
        if !self.follow {
            return true;
        }
        match open_of(self.raw, close, Self::MAX_SPAN) {
            Some(open) => self.span_may_fold(open + 1, true, 0),
            None => true,
        }
    }

    /// Whether the value that ends in the `)` at `close` may be a literal by the time the
    /// fold joins it to another (`__('Save') . '<br>'`): not when it is what a method or a
    /// function the fold does not evaluate returns, which [`Values::span_may_fold`] passes
    /// over too. It may wherever the backward reading is not sure (see [`open_of`]), and
    /// where a keyword (`return ('ev') . 'al'`) or nothing stands before the parentheses.
    pub(super) fn result_may_fold(&mut self, close: usize) -> bool {
        if !self.follow {
            return true;
        }
        let raw = self.raw;
        let Some(open) = open_of(raw, close, Self::MAX_SPAN) else {
            return true;
        };
        let end = open - raw[..open].iter().rev().take_while(|&&b| space(b)).count();
        let start = end
            - raw[..end]
                .iter()
                .rev()
                .take_while(|&&b| name_byte(b))
                .count();
        let word = &raw[start..end];
        let before = &raw[..start];
        if before.ends_with(b"->") || before.ends_with(b"::") {
            return false;
        }
        if word.is_empty()
            || word[0].is_ascii_digit()
            || before.ends_with(b"$")
            || EXPRESSION_KEYWORDS
                .iter()
                .any(|k| k.eq_ignore_ascii_case(word))
        {
            return true;
        }
        self.args_may_fold(word, open)
    }

    /// Whether the expression from `from` (to its `;`, or to the `)` that closes a call's
    /// arguments when `args`) holds what a fold may turn into a literal: a literal, a
    /// variable that may hold one or, in arguments, a number (`chr(101)`). What a fold
    /// never makes a literal is passed over whole, literals in it or not: a call of a
    /// function it does not evaluate (`__('Save')`, `stripslashes(...)`, `gzinflate(...)`),
    /// a method's (`$this->get('x')`), and an element of a variable that holds no literal
    /// (`$_POST['p']`).
    fn span_may_fold(&mut self, from: usize, args: bool, depth: u8) -> bool {
        let raw = self.raw;
        let end = raw.len().min(from.saturating_add(Self::MAX_SPAN));
        let mut nested = 0usize;
        let mut i = from;
        while i < end {
            match raw[i] {
                b'\'' | b'"' | b'`' | b'<' | b'/' | b'#' => return true,
                b'0'..=b'9' if args && (i == 0 || !name_byte(raw[i - 1])) => return true,
                b'$' => {
                    let len = raw[i + 1..].iter().take_while(|&&b| name_byte(b)).count();
                    let name = &raw[i + 1..i + 1 + len];
                    if name.is_empty() || (name != b"this" && self.held(name, depth + 1)) {
                        return true;
                    }
                    i += 1 + len;
                    if let Some(b'[' | b'{') = raw.get(i) {
                        match skip_group(raw, i, end) {
                            Some(next) => i = next,
                            None => return true,
                        }
                    }
                    continue;
                }
                b if (name_byte(b) || b == b'\\')
                    && (i == 0 || !(name_byte(raw[i - 1]) || raw[i - 1] == b'$')) =>
                {
                    let len = raw[i..]
                        .iter()
                        .take_while(|&&b| name_byte(b) || b == b'\\')
                        .count();
                    let word = &raw[i..i + len];
                    let method = raw[..i].ends_with(b"->") || raw[..i].ends_with(b"::");
                    let open = i + len + raw[i + len..].iter().take_while(|&&b| space(b)).count();
                    i += len;
                    if raw.get(open) == Some(&b'(')
                        && (method
                            || !(crate::canon::php::evaluated(word)
                                || word.eq_ignore_ascii_case(b"array")))
                    {
                        match skip_group(raw, open, end) {
                            Some(next) => i = next,
                            None => return true,
                        }
                    }
                    continue;
                }
                b'(' | b'[' | b'{' => nested += 1,
                b')' | b']' | b'}' if nested > 0 => nested -= 1,
                // The call's own `)`, or the end of what holds the assignment.
                b')' | b']' | b'}' => return false,
                b';' if nested == 0 => return false,
                // A statement inside brackets: a closure's body, past what is followed.
                b';' => return true,
                _ => {}
            }
            i += 1;
        }
        end < raw.len()
    }
}

/// How much of a literal [`binary_payload`] decodes.
const PAYLOAD_PREFIX: usize = 256;

/// Whether the call whose `(` is at `open` is handed a single-quoted literal, alone or
/// joined on (`.`), whose first bytes decode from Base64 to what is not text: the fold
/// shows a decoded value only when all of it is text, so it never evaluates
/// `base64_decode` of it, as in `eval(gzinflate(base64_decode('7b0HYBxJliUmL...')))`.
/// Decoding is a stream, so what a prefix decodes to begins what the whole does. A literal
/// with an escape in it (or a double-quoted one) is not read here.
fn binary_payload(raw: &[u8], open: usize) -> bool {
    let at = open + 1 + raw[open + 1..].iter().take_while(|&&b| space(b)).count();
    if raw.get(at) != Some(&b'\'') {
        return false;
    }
    let body = &raw[at + 1..];
    let Some(len) = memchr::memchr2(b'\'', b'\\', body) else {
        return false;
    };
    if body[len] != b'\'' {
        return false;
    }
    let after = &body[len + 1..];
    let next = after.iter().find(|&&b| !space(b));
    if !matches!(next, Some(b')' | b',' | b'.')) {
        return false;
    }
    crate::canon::base64(&body[..len.min(PAYLOAD_PREFIX)], true)
        .is_some_and(|decoded| !crate::canon::php::shown(&decoded))
}

/// The words after which parentheses hold an expression, not a call's arguments.
const EXPRESSION_KEYWORDS: [&[u8]; 18] = [
    b"and",
    b"case",
    b"clone",
    b"echo",
    b"else",
    b"include",
    b"include_once",
    b"instanceof",
    b"new",
    b"or",
    b"print",
    b"require",
    b"require_once",
    b"return",
    b"throw",
    b"xor",
    b"yield",
    b"match",
];

/// Where the `(` is that the `)` at `close` closes, read backwards with literals skipped;
/// `None` when the reading may be wrong: brackets that do not pair up, more than `max`
/// bytes, another line (a literal may have started on one before), or anything that may
/// open a comment, a heredoc or a tag, or be a ternary's `?` (`/`, `#`, `<`, `?`, a
/// backtick), inside literals or not. Without those, a line holds no comment, so every
/// quote read is a literal's.
fn open_of(raw: &[u8], close: usize, max: usize) -> Option<usize> {
    let stop = close.saturating_sub(max);
    let mut nested = 0usize;
    let mut i = close;
    while i > stop {
        i -= 1;
        match raw[i] {
            b')' | b']' | b'}' => nested += 1,
            b'(' if nested == 0 => {
                return (!raw[i..close].iter().any(|&b| unsure(b))).then_some(i);
            }
            b'(' | b'[' | b'{' => nested = nested.checked_sub(1)?,
            quote @ (b'\'' | b'"') => loop {
                // Back to the literal's opening quote: the first before it not escaped.
                i = stop + raw[stop..i].iter().rposition(|&b| b == quote)?;
                let slashes = raw[..i].iter().rev().take_while(|&&b| b == b'\\').count();
                if slashes % 2 == 0 {
                    break;
                }
            },
            b if unsure(b) => return None,
            _ => {}
        }
    }
    None
}

/// What [`open_of`] does not read past.
fn unsure(b: u8) -> bool {
    matches!(b, b'\n' | b'/' | b'#' | b'<' | b'?' | b'`')
}

/// Where the bracketed group opening at `open` ends (just past its closing bracket), its
/// literals read as php reads them so that a bracket inside one does not count; `None`
/// when it does not end before `end`, or holds what is not followed here (a comment, a
/// heredoc).
fn skip_group(raw: &[u8], open: usize, end: usize) -> Option<usize> {
    let mut nested = 0usize;
    let mut i = open;
    while i < end {
        match raw[i] {
            b'(' | b'[' | b'{' => nested += 1,
            b')' | b']' | b'}' => {
                nested = nested.checked_sub(1)?;
                if nested == 0 {
                    return Some(i + 1);
                }
            }
            quote @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < end && raw[i] != quote {
                    i += if raw[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' | b'#' | b'<' => return None,
            _ => {}
        }
        i += 1;
    }
    None
}
