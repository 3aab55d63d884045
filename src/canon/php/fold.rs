//! Constant folding on the token stream: joined literals, evaluated calls of string functions
//! on literals, and variables that hold one literal. Each round is one left-to-right pass with
//! a stack of open brackets (reductions happen at the tail, as in a shift-reduce parser), so a
//! round is linear and deep nesting costs no recursion.
use super::lex::{self, Gap, Kind, Tok};
use super::stream::Stream;
use super::{eval, vars};
use crate::canon::trigger::name_byte;

/// Each round resolves one more level (a variable built from variables, code `eval`ed from
/// decoded code); chains deeper than this are not worth more passes over a hostile file.
const ROUNDS: usize = 6;

/// Code given to `eval` longer than this stays a literal: inlining is for the short stages
/// of a decoder chain, and a long one still shows as the decoded text.
const MAX_INLINE: usize = 256 << 10;

/// Keywords after which `(` opens a plain expression, not a call.
const EXPR_KEYWORDS: [&[u8]; 15] = [
    b"echo",
    b"print",
    b"return",
    b"and",
    b"or",
    b"xor",
    b"case",
    b"include",
    b"include_once",
    b"require",
    b"require_once",
    b"yield",
    b"throw",
    b"else",
    b"clone",
];

pub(super) const ASSIGN: [&[u8]; 16] = [
    b"=", b".=", b"+=", b"-=", b"*=", b"/=", b"%=", b"&=", b"|=", b"^=", b"<<=", b">>=", b"??=",
    b"**=", b"++", b"--",
];

/// Folds and resolves until nothing changes (bounded); says whether anything changed that a
/// rule could newly see (see [`Done::told`]).
pub(super) fn fold(raw: &[u8], toks: Vec<Tok>, budget: usize) -> (Vec<Tok>, bool) {
    rounds(raw, toks, budget, true)
}

/// [`fold`], which stops `early` when a round leaves nothing for the next one; the tests
/// hold it to running rounds until one changes nothing.
fn rounds(raw: &[u8], mut toks: Vec<Tok>, mut budget: usize, early: bool) -> (Vec<Tok>, bool) {
    let mut told = false;
    for _ in 0..ROUNDS {
        let (next, done) = pass(raw, toks, &mut budget);
        toks = next;
        let resolved = vars::resolve(raw, &mut toks, &mut budget);
        if !done.changed && !resolved {
            break;
        }
        told |= done.told || resolved;
        // A pass reduces all it can as it goes, and what it removes are balanced brackets
        // around what it reduced, so a second pass over its output finds nothing new unless
        // new tokens came in: inlined code, or literals put in by the resolution. Most
        // files that fold at all fold in one round; the round that only confirmed it was a
        // third of their folding.
        if early && !done.inlined && !resolved {
            break;
        }
    }
    (toks, told)
}

pub(super) fn expr_keyword(raw: &[u8], t: &Tok) -> bool {
    t.kind == Kind::Ident
        && EXPR_KEYWORDS
            .iter()
            .any(|k| t.text(raw).eq_ignore_ascii_case(k))
}

/// Whether `(` after `t` calls `t` (so the parentheses are not just grouping).
fn is_callee(raw: &[u8], t: Option<&Tok>) -> bool {
    t.is_some_and(|t| match t.kind {
        Kind::Var | Kind::Str | Kind::IStr => true,
        Kind::Ident => !expr_keyword(raw, t),
        Kind::Punct => matches!(t.text(raw), b")" | b"]" | b"}"),
        Kind::Raw | Kind::Num => false,
    })
}

/// `[A-Za-z_\\][A-Za-z0-9_\\]*`: a literal that can stand as a called name.
pub(super) fn fn_name(s: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && (s[0].is_ascii_alphabetic() || s[0] == b'_' || s[0] == b'\\')
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'\\')
}

pub(super) fn var_name(s: &[u8]) -> bool {
    fn_name(s) && !s.contains(&b'\\')
}

pub(super) fn str_tok(like: &Tok, end: u32, val: Vec<u8>) -> Tok {
    let mut t = Tok {
        kind: Kind::Str,
        gap: like.gap,
        exact: false,
        close: 0,
        gap_at: like.gap_at,
        start: like.start,
        end,
        val: None,
    };
    t.set_val(val);
    t
}

/// Whether an operator after a literal binds it tighter than `.` does (or makes it not a
/// plain operand), so the literal must not be joined with the one before it yet.
fn binds_tighter_than_concat(raw: &[u8], next: Option<&Tok>) -> bool {
    next.is_some_and(|t| {
        t.kind == Kind::Punct
            && matches!(
                t.text(raw),
                b"[" | b"("
                    | b"{"
                    | b"->"
                    | b"?->"
                    | b"::"
                    | b"+"
                    | b"-"
                    | b"*"
                    | b"/"
                    | b"%"
                    | b"**"
                    | b"<<"
                    | b">>"
            )
    })
}

/// Whether a literal with `t` on its left side is a whole operand of `^` (nothing on that side
/// binds tighter than `^`).
fn xor_left(raw: &[u8], t: Option<&Tok>) -> bool {
    t.is_none_or(|t| match t.kind {
        Kind::Raw => true,
        Kind::Ident => expr_keyword(raw, t),
        Kind::Punct => {
            matches!(
                t.text(raw),
                b"(" | b","
                    | b"["
                    | b";"
                    | b"{"
                    | b"}"
                    | b"?"
                    | b":"
                    | b"=>"
                    | b"|"
                    | b"||"
                    | b"&&"
                    | b"??"
                    | b"@"
            ) || ASSIGN[..14].iter().any(|a| t.text(raw) == *a)
        }
        _ => false,
    })
}

fn xor_right(raw: &[u8], t: Option<&Tok>) -> bool {
    t.is_none_or(|t| match t.kind {
        Kind::Raw => true,
        Kind::Ident => matches!(
            t.text(raw).to_ascii_lowercase().as_slice(),
            b"and" | b"or" | b"xor" | b"as"
        ),
        Kind::Punct => matches!(
            t.text(raw),
            b")" | b","
                | b"]"
                | b";"
                | b"}"
                | b"?"
                | b":"
                | b"=>"
                | b"|"
                | b"||"
                | b"&&"
                | b"??"
                | b"^"
        ),
        _ => false,
    })
}

struct Pass<'a> {
    raw: &'a [u8],
    /// The output so far, and the input left (see [`Stream`]).
    out: Stream,
    /// Offsets in `out` of the `(` and `[` not closed yet.
    opens: Vec<usize>,
    budget: &'a mut usize,
    done: Done,
}

/// What a pass did.
#[derive(Clone, Copy, Debug, Default)]
struct Done {
    changed: bool,
    /// Changed what a rule could newly see: anything but a join that glues no name together
    /// (`'<td>' . '</td>'`, see `canon::trigger`) or parentheses dropped around a literal.
    /// A file whose folds are all of those is not scanned again as a view.
    told: bool,
    /// Put the code of an `eval` in place: tokens the pass did not fold.
    inlined: bool,
}

fn pass(raw: &[u8], toks: Vec<Tok>, budget: &mut usize) -> (Vec<Tok>, Done) {
    let mut p = Pass {
        raw,
        out: Stream::new(toks),
        opens: Vec::new(),
        budget,
        done: Done::default(),
    };
    while let Some(t) = p.out.next() {
        p.push(t);
    }
    (p.out.finish(), p.done)
}

impl Pass<'_> {
    fn push(&mut self, t: Tok) {
        let raw = self.raw;
        if t.kind != Kind::Punct {
            self.out.push(t);
            self.reduce_tail();
            return;
        }
        match t.text(raw) {
            open @ (b"(" | b"[") => {
                if open == b"(" {
                    // A literal that is called is the function it names: `'assert'($x)`.
                    if let Some(last) = self.out.last_mut()
                        && last.kind == Kind::Str
                        && fn_name(last.text(raw))
                    {
                        // Its text is its value, not the quoted raw bytes.
                        last.val_mut(raw);
                        last.kind = Kind::Ident;
                        self.done.changed = true;
                        self.done.told = true;
                    }
                }
                self.opens.push(self.out.len());
                self.out.push(t);
            }
            close @ (b")" | b"]") => {
                let want: &[u8] = if close == b")" { b"(" } else { b"[" };
                let open = self.opens.pop();
                self.out.push(t);
                match open {
                    Some(o) if self.out[o].punct(raw, want) => {
                        if want == b"(" {
                            self.group(o);
                        } else if o > 0 {
                            self.index(o - 1);
                        }
                    }
                    _ => self.opens.clear(),
                }
            }
            b"}" => {
                // `${'name'}` is the variable `$name`.
                let n = self.out.len();
                if n >= 3
                    && self.out[n - 3].punct(raw, b"$")
                    && self.out[n - 2].punct(raw, b"{")
                    && self.out[n - 1].kind == Kind::Str
                    && var_name(self.out[n - 1].text(raw))
                {
                    let name = self
                        .out
                        .pop()
                        .map(|mut s| s.take_val(raw))
                        .unwrap_or_default();
                    self.out.pop();
                    let dollar = self.out.last_mut().expect("three tokens");
                    let mut v = vec![b'$'];
                    v.extend_from_slice(&name);
                    dollar.kind = Kind::Var;
                    dollar.set_val(v);
                    dollar.end = t.end;
                    self.done.changed = true;
                    self.done.told = true;
                } else {
                    self.out.push(t);
                    if n >= 3 && self.out[n - 2].punct(raw, b"{") {
                        self.index(n - 3);
                    } else if n >= 4 && self.out[n - 3].punct(raw, b"{") {
                        self.index(n - 4);
                    }
                }
            }
            _ => self.out.push(t),
        }
    }

    /// `out[o]` is a `(` just closed: a call on literals evaluated, or grouping parentheses
    /// around one literal dropped.
    fn group(&mut self, o: usize) {
        let raw = self.raw;
        let n = self.out.len();
        let method = o.checked_sub(2).map(|i| &self.out[i]).is_some_and(|p| {
            matches!(p.text(raw), b"->" | b"?->" | b"::")
                || p.is(raw, Kind::Ident, b"function")
                || p.is(raw, Kind::Ident, b"fn")
        });
        let named = o > 0 && self.out[o - 1].kind == Kind::Ident && !method;
        if named && self.inline(o) {
            return;
        }
        let callee = o.checked_sub(1).map(|i| &self.out[i]);
        if let Some(c) = callee.filter(|c| c.kind == Kind::Ident && !method) {
            if let Some(v) = eval::call(raw, c.text(raw), &self.out[o + 1..n - 1])
                && v.len() <= *self.budget
            {
                *self.budget -= v.len();
                let s = str_tok(c, self.out[n - 1].end, v);
                self.out.truncate(o - 1);
                self.out.push(s);
                self.done.changed = true;
                self.done.told = true;
                self.reduce_tail();
                return;
            }
            if let Some(v) = eval::call_num(raw, c.text(raw), &self.out[o + 1..n - 1]) {
                let mut num = str_tok(c, self.out[n - 1].end, v.to_string().into_bytes());
                num.kind = Kind::Num;
                self.out.truncate(o - 1);
                self.out.push(num);
                self.done.changed = true;
                self.done.told = true;
                return;
            }
        }
        let after_word = callee.is_some_and(|c| c.kind == Kind::Ident);
        // `(163-126)`: integer arithmetic that `chr` chains hide their codes in.
        if n > o + 3 && !is_callee(raw, callee) {
            let inner = &self.out[o + 1..n - 1];
            if let Some((v, used)) = eval::sum(raw, inner)
                && used == inner.len()
            {
                let mut num = str_tok(
                    &self.out[o],
                    self.out[n - 1].end,
                    v.to_string().into_bytes(),
                );
                num.kind = Kind::Num;
                self.out.truncate(o);
                self.out.push(num);
                self.done.changed = true;
                self.done.told = true;
                return;
            }
        }
        if n == o + 3
            && matches!(self.out[o + 1].kind, Kind::Str | Kind::Num)
            && !is_callee(raw, callee)
        {
            let mut inner = self.out.swap_remove(o + 1);
            let paren = &self.out[o];
            (inner.gap, inner.gap_at) = match (paren.gap, after_word) {
                // `echo('x')` reads `echo 'x'`.
                (Gap::None, true) => (Gap::Space, paren.start),
                (gap, _) => (gap, paren.gap_at),
            };
            self.out.truncate(o);
            self.out.push(inner);
            // Layout: `echo('x')` says what `echo 'x'` does.
            self.done.changed = true;
            self.reduce_tail();
        }
    }

    /// `out[o]` is the just closed `(` of `eval('code')`, `assert('code')` or
    /// `create_function('args', 'code')`: the code is put in place of the literal, so that
    /// the next rounds fold it like the file's own and rules see it unquoted.
    fn inline(&mut self, o: usize) -> bool {
        let raw = self.raw;
        let n = self.out.len();
        let Some(name) = eval::Name::of(self.out[o - 1].text(raw)) else {
            return false;
        };
        let arity = match name.as_slice() {
            b"eval" | b"assert" => 1,
            b"create_function" => 2,
            _ => return false,
        };
        let args = &self.out[o + 1..n - 1];
        let shape = match arity {
            1 => args.len() == 1,
            _ => args.len() == 3 && args[0].kind == Kind::Str && args[1].punct(raw, b","),
        };
        let code = &self.out[n - 2];
        if !shape || code.kind != Kind::Str {
            return false;
        }
        let text = code.text(raw);
        if text.len() > MAX_INLINE || text.len() > *self.budget {
            return false;
        }
        *self.budget -= text.len();
        let mut inner = lex::lex_code(text, code.start);
        if let Some(first) = inner.first_mut() {
            (first.gap, first.gap_at) = (code.gap, code.gap_at);
        }
        let close = self.out.pop().expect("a group");
        self.out.pop();
        for t in inner {
            self.out.push(t);
        }
        self.out.push(close);
        self.done.changed = true;
        self.done.told = true;
        self.done.inlined = true;
        true
    }

    /// `out[s..]` is `'abc'[N]` or `'abc'{N}`: the one character, as php 7.1+ reads it.
    fn index(&mut self, s: usize) {
        let raw = self.raw;
        let n = self.out.len();
        let neg = n == s + 5 && self.out[s + 2].punct(raw, b"-");
        if (n != s + 4 && !neg)
            || self.out[s].kind != Kind::Str
            || self.out[n - 2].kind != Kind::Num
        {
            return;
        }
        let text = self.out[s].text(raw);
        let Some(k) = eval::number(self.out[n - 2].text(raw)) else {
            return;
        };
        let k = if neg { -k } else { k };
        let k = if k < 0 { k + text.len() as i64 } else { k };
        let Some(&c) = usize::try_from(k).ok().and_then(|k| text.get(k)) else {
            return;
        };
        let t = str_tok(&self.out[s], self.out[n - 1].end, vec![c]);
        self.out.truncate(s);
        self.out.push(t);
        self.done.changed = true;
        self.done.told = true;
        self.reduce_tail();
    }

    /// Joins `'a' . 'b'` and evaluates `'a' ^ 'b'` at the end of the output, as long as the
    /// token after them does not bind the last literal tighter.
    fn reduce_tail(&mut self) {
        let raw = self.raw;
        loop {
            let n = self.out.len();
            if n < 3 || self.out[n - 1].kind != Kind::Str || self.out[n - 3].kind != Kind::Str {
                return;
            }
            let op = &self.out[n - 2];
            if op.punct(raw, b".") && !binds_tighter_than_concat(raw, self.out.upcoming()) {
                let mut right = self.out.pop().expect("three tokens");
                let (end, right) = (right.end, right.take_val(raw));
                self.out.pop();
                let left = self.out.last_mut().expect("three tokens");
                let glued = |b: Option<&u8>| b.is_none_or(|&b| name_byte(b));
                self.done.told |= glued(left.text(raw).last()) && glued(right.first());
                left.val_mut(raw).bytes.extend_from_slice(&right);
                left.exact = false;
                left.end = end;
            } else if op.punct(raw, b"^")
                && xor_left(raw, n.checked_sub(4).map(|i| &self.out[i]))
                && xor_right(raw, self.out.upcoming())
            {
                let right = self
                    .out
                    .pop()
                    .map(|mut t| t.take_val(raw))
                    .unwrap_or_default();
                self.out.pop();
                let left = self.out.last_mut().expect("three tokens");
                let l = left.take_val(raw);
                left.set_val(l.iter().zip(right.iter()).map(|(a, b)| a ^ b).collect());
                left.exact = false;
                self.done.told = true;
            } else {
                return;
            }
            self.done.changed = true;
        }
    }
}

#[cfg(test)]
mod in_place_tests {
    use super::*;

    /// Token vectors this big are what issue 18 measured: a pass must not hold a second one.
    const BIG: usize = 1 << 16;

    /// The memory fix of issue 18: a pass writes its output over its spent input, so a big
    /// stream is folded in the buffer the lexer made.
    #[test]
    fn a_pass_over_a_big_stream_folds_in_its_own_buffer() {
        let raw = format!("<?php $t=array({}); echo 'a' . 'b';", "7,".repeat(3 * BIG));
        let toks = lex::lex(raw.as_bytes());
        let n = toks.len();
        let at = toks.as_ptr();
        let mut budget = usize::MAX;
        let (out, done) = pass(raw.as_bytes(), toks, &mut budget);
        assert!(done.changed, "'a' . 'b' is joined");
        assert_eq!(out.as_ptr(), at, "the output is where the input was");
        assert_eq!(out.len(), n - 2);
        assert!(out.windows(2).all(|w| w[0].start < w[1].start));
    }

    /// Inlined code is longer than what it replaces: the output overtakes the spent input
    /// and the rest of the input must move, not be overwritten.
    #[test]
    fn inlined_code_longer_than_the_spent_input_keeps_what_follows() {
        let code = "$x = 1; ".repeat(500);
        let raw = format!("<?php eval('{code}'); {} echo 'end';", "f(2);".repeat(BIG));
        let (out, folded) = fold(raw.as_bytes(), lex::lex(raw.as_bytes()), usize::MAX);
        assert!(folded);
        let b = raw.as_bytes();
        let count = |kind, text: &[u8]| out.iter().filter(|t| t.is(b, kind, text)).count();
        assert_eq!(count(Kind::Var, b"$x"), 500);
        assert_eq!(count(Kind::Ident, b"f"), BIG);
        assert_eq!(out.last().map(|t| t.text(b)), Some(&b";"[..]));
        assert!(
            out.iter()
                .any(|t| t.kind == Kind::Str && t.text(b) == b"end")
        );
    }

    #[test]
    fn folding_a_big_file_gives_the_same_tokens_as_before() {
        let raw = format!("<?php $a = 'x' . 'y'; {} echo $a;", "f(1,2);".repeat(BIG));
        let lexed = lex::lex(raw.as_bytes());
        let n = lexed.len();
        let (toks, folded) = fold(raw.as_bytes(), lexed, usize::MAX);
        assert!(folded);
        // `'x' . 'y'` became one literal; every call is still there, in order.
        let text = |t: &Tok| t.text(raw.as_bytes()).to_vec();
        assert!(toks.iter().any(|t| t.kind == Kind::Str && text(t) == b"xy"));
        assert!(!toks.iter().any(|t| text(t) == b"x"));
        let calls = toks
            .iter()
            .filter(|t| t.is(raw.as_bytes(), Kind::Ident, b"f"));
        assert_eq!(calls.count(), BIG);
        assert!(toks.len() >= n - 2);
        assert!(toks.windows(2).all(|w| w[0].start <= w[1].start));
    }
}

#[cfg(test)]
mod round_tests {
    use proptest::prelude::*;

    use super::*;

    fn shown(raw: &[u8], toks: &[Tok]) -> Vec<String> {
        toks.iter()
            .map(|t| {
                format!(
                    "{:?} {:?}@{} {}..{} {:?}",
                    t.kind,
                    t.gap,
                    t.gap_at,
                    t.start,
                    t.end,
                    String::from_utf8_lossy(t.text(raw))
                )
            })
            .collect()
    }

    #[test]
    fn a_pass_leaves_nothing_for_a_second_unless_it_inlined_code() {
        // Joined in the first round; nothing for a second one.
        let raw = b"<?php echo 'a' . ('b' . chr(99)) . 'd'[0];";
        let mut budget = usize::MAX;
        let (once, done) = pass(raw, lex::lex(raw), &mut budget);
        assert!(done.changed && !done.inlined);
        let (twice, again) = pass(raw, once, &mut budget);
        assert!(!again.changed, "{:?}", shown(raw, &twice));
        // Code put in by `eval` is folded by the next round.
        let raw = b"<?php eval('echo \"x\" . \"y\";');";
        let (toks, folded) = fold(raw, lex::lex(raw), usize::MAX);
        assert!(folded);
        assert!(
            toks.iter()
                .any(|t| t.kind == Kind::Str && t.text(raw) == b"xy"),
            "{:?}",
            shown(raw, &toks)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Stopping after a round that neither inlined nor resolved gives the tokens that
        /// running rounds until nothing changes gives.
        #[test]
        fn stopping_early_folds_what_every_round_folds(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "'as'", "'se'", "\"rt\"", "'ev'", "'al'", "'(1);'", " . ", ".", "^", "(",
                    ")", "[", "]", "{", "}", "0", "1", "-1", "163-126", "+", "$f", "$g", "$$f",
                    "${", "$", "=", ".=", ";", ",", "chr(101)", "chr", "strrev", "base64_decode",
                    "'ZXZhbA=='", "str_rot13", "implode", "array", "eval", "assert",
                    "create_function", "'echo 1 . 2;'", "\"\\x61\"", "echo", "function",
                    "->", "::", "@", "?", ":", "\n", " ", "<?php ", "?>", "/*c*/", "#c\n",
                ]),
                1..50,
            ),
        ) {
            let mut raw = String::from("<?php ");
            raw.push_str(&parts.concat());
            let raw = raw.as_bytes();
            let (early, a) = fold(raw, lex::lex(raw), 1 << 20);
            let (every, b) = rounds(raw, lex::lex(raw), 1 << 20, false);
            prop_assert_eq!(a, b);
            prop_assert_eq!(shown(raw, &early), shown(raw, &every));
        }
    }
}
