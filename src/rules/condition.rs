//! The condition language: boolean expressions over named patterns.
//!
//! ```text
//! or      := and ("or" and)*
//! and     := unary ("and" unary)*
//! unary   := "not" unary | primary
//! primary := "(" or ")" | "true" | "false" | name ["at" number] | "#"name cmp number
//!          | "count" "(" name ")" cmp number
//!          | "filesize" cmp number | ("any" | "all" | number) "of" set | "any" | "all"
//! set     := "them" | item | "(" item ("," item)* ")"      item := name | prefix"*"
//! ```
//!
//! Names resolve to indices at parse time, so evaluation is a walk over integers and every
//! unknown name is reported with its column.

use std::cmp::Ordering;

use super::codes::Code;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    pub(crate) fn holds(self, left: u64, right: u64) -> bool {
        let ord = left.cmp(&right);
        match self {
            Cmp::Eq => ord == Ordering::Equal,
            Cmp::Ne => ord != Ordering::Equal,
            Cmp::Lt => ord == Ordering::Less,
            Cmp::Le => ord != Ordering::Greater,
            Cmp::Gt => ord == Ordering::Greater,
            Cmp::Ge => ord != Ordering::Less,
        }
    }
}

/// How many members of a set must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    Any,
    All,
    AtLeast(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Const(bool),
    /// The named item (by index) matched at least once.
    Matched(usize),
    /// The item has a match that starts at this byte offset.
    At(usize, u64),
    Count(usize, Cmp, u64),
    Filesize(Cmp, u64),
    /// A statistic of the whole file compares as given.
    Stat(Stat, Cmp, f64),
    Of(Quantity, Vec<usize>),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

/// File statistics for spotting obfuscation, as NeoPI measured them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stat {
    /// Shannon entropy of the bytes, 0 to 8 bits per byte.
    Entropy,
    /// The longest run of bytes without white space.
    LongestWord,
    /// The longest line, in bytes.
    LongestLine,
    /// Size over deflate-compressed size (1.0 for incompressible data).
    CompressionRatio,
}

impl Stat {
    pub const ALL: [Stat; 4] = [
        Stat::Entropy,
        Stat::LongestWord,
        Stat::LongestLine,
        Stat::CompressionRatio,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stat::Entropy => "entropy",
            Stat::LongestWord => "longest_word",
            Stat::LongestLine => "longest_line",
            Stat::CompressionRatio => "compression_ratio",
        }
    }
}

/// What a condition is evaluated against.
pub trait Facts {
    /// How often the item with this index matched.
    fn count(&self, item: usize) -> u64;
    fn filesize(&self) -> u64;
    /// Whether the item has a match starting exactly at `offset`.
    fn matches_at(&self, item: usize, offset: u64) -> bool;
    /// A statistic of the scanned bytes (computed when first asked for).
    fn stat(&self, stat: Stat) -> f64;
}

/// Three-valued truth, for reasoning about a condition before a file is seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tri {
    False,
    True,
    Unknown,
}

impl Expr {
    pub fn eval(&self, facts: &impl Facts) -> bool {
        match self {
            Expr::Const(b) => *b,
            Expr::Matched(i) => facts.count(*i) > 0,
            Expr::At(i, offset) => facts.count(*i) > 0 && facts.matches_at(*i, *offset),
            Expr::Count(i, cmp, n) => cmp.holds(facts.count(*i), *n),
            Expr::Filesize(cmp, n) => cmp.holds(facts.filesize(), *n),
            Expr::Stat(stat, cmp, v) => {
                let x = facts.stat(*stat);
                match cmp {
                    Cmp::Eq => x == *v,
                    Cmp::Ne => x != *v,
                    Cmp::Lt => x < *v,
                    Cmp::Le => x <= *v,
                    Cmp::Gt => x > *v,
                    Cmp::Ge => x >= *v,
                }
            }
            Expr::Of(q, items) => {
                let hits = items.iter().filter(|&&i| facts.count(i) > 0).count();
                match q {
                    Quantity::Any => hits > 0,
                    Quantity::All => hits == items.len(),
                    Quantity::AtLeast(n) => hits >= *n,
                }
            }
            Expr::Not(e) => !e.eval(facts),
            Expr::And(es) => es.iter().all(|e| e.eval(facts)),
            Expr::Or(es) => es.iter().any(|e| e.eval(facts)),
        }
    }

    /// False only when the condition cannot hold whatever the items not yet searched give:
    /// `count` is `None` for those. Lets the scanner skip verifying a rule's remaining
    /// regexes once its cheap parts (literals, `filesize`) have ruled it out.
    pub fn may_hold(&self, count: &impl Fn(usize) -> Option<u64>, filesize: u64) -> bool {
        self.partial(count, filesize) != Tri::False
    }

    fn partial(&self, count: &impl Fn(usize) -> Option<u64>, filesize: u64) -> Tri {
        let from = |b: bool| if b { Tri::True } else { Tri::False };
        match self {
            Expr::Const(b) => from(*b),
            Expr::Matched(i) => count(*i).map_or(Tri::Unknown, |c| from(c > 0)),
            Expr::At(i, _) => match count(*i) {
                Some(0) => Tri::False,
                _ => Tri::Unknown,
            },
            Expr::Count(i, cmp, n) => count(*i).map_or(Tri::Unknown, |c| from(cmp.holds(c, *n))),
            Expr::Filesize(cmp, n) => from(cmp.holds(filesize, *n)),
            Expr::Stat(..) => Tri::Unknown,
            Expr::Of(q, items) => {
                let known = items.iter().filter(|&&i| count(i).is_some_and(|c| c > 0));
                let hits = known.count();
                let open = items.iter().filter(|&&i| count(i).is_none()).count();
                let need = match q {
                    Quantity::Any => 1,
                    Quantity::All => items.len(),
                    Quantity::AtLeast(n) => *n,
                };
                if hits >= need {
                    Tri::True
                } else if hits + open < need {
                    Tri::False
                } else {
                    Tri::Unknown
                }
            }
            Expr::Not(e) => match e.partial(count, filesize) {
                Tri::True => Tri::False,
                Tri::False => Tri::True,
                Tri::Unknown => Tri::Unknown,
            },
            Expr::And(es) => es.iter().fold(Tri::True, |acc, e| {
                match (acc, e.partial(count, filesize)) {
                    (Tri::False, _) | (_, Tri::False) => Tri::False,
                    (Tri::True, Tri::True) => Tri::True,
                    _ => Tri::Unknown,
                }
            }),
            Expr::Or(es) => es.iter().fold(Tri::False, |acc, e| {
                match (acc, e.partial(count, filesize)) {
                    (Tri::True, _) | (_, Tri::True) => Tri::True,
                    (Tri::False, Tri::False) => Tri::False,
                    _ => Tri::Unknown,
                }
            }),
        }
    }

    /// True when the condition can hold for a file in which nothing matched (for example
    /// `not a` or `filesize < 10`). Such rules are evaluated on every file; all others only
    /// when one of their items matched.
    pub fn may_hold_without_matches(&self) -> bool {
        self.without_matches() != Tri::False
    }

    fn without_matches(&self) -> Tri {
        let from = |b: bool| if b { Tri::True } else { Tri::False };
        match self {
            Expr::Const(b) => from(*b),
            Expr::Matched(_) | Expr::At(..) => Tri::False,
            Expr::Count(_, cmp, n) => from(cmp.holds(0, *n)),
            Expr::Filesize(..) | Expr::Stat(..) => Tri::Unknown,
            Expr::Of(q, items) => from(match q {
                Quantity::Any => false,
                Quantity::All => items.is_empty(),
                Quantity::AtLeast(n) => *n == 0,
            }),
            Expr::Not(e) => match e.without_matches() {
                Tri::True => Tri::False,
                Tri::False => Tri::True,
                Tri::Unknown => Tri::Unknown,
            },
            Expr::And(es) => es
                .iter()
                .fold(Tri::True, |acc, e| match (acc, e.without_matches()) {
                    (Tri::False, _) | (_, Tri::False) => Tri::False,
                    (Tri::True, Tri::True) => Tri::True,
                    _ => Tri::Unknown,
                }),
            Expr::Or(es) => es
                .iter()
                .fold(Tri::False, |acc, e| match (acc, e.without_matches()) {
                    (Tri::True, _) | (_, Tri::True) => Tri::True,
                    (Tri::False, Tri::False) => Tri::False,
                    _ => Tri::Unknown,
                }),
        }
    }
}

/// A condition error: the character offset into the condition text, and what is wrong.
#[derive(Debug, PartialEq, Eq)]
pub struct ConditionError {
    pub offset: usize,
    pub message: String,
    pub code: Code,
}

const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "any",
    "all",
    "of",
    "them",
    "filesize",
    "true",
    "false",
    "count",
    "at",
    "entropy",
    "longest_word",
    "longest_line",
    "compression_ratio",
];

/// True when `name` cannot name a pattern because the condition language uses it.
pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// Parses `text`, resolving names against `names` (the rule's pattern names, in order).
pub fn parse(text: &str, names: &[String]) -> Result<Expr, ConditionError> {
    let tokens = lex(text)?;
    let mut p = ConditionParser {
        tokens,
        at: 0,
        names,
        end: text.chars().count(),
    };
    let expr = p.or()?;
    if let Some(t) = p.tokens.get(p.at) {
        return Err(p.err_at(t.offset, format!("unexpected `{}`", t.kind.describe())));
    }
    Ok(expr)
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Count(String),
    Number(u64),
    Decimal(f64),
    Open,
    Close,
    Comma,
    Cmp(Cmp),
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Word(w) => w.clone(),
            Tok::Count(w) => format!("#{w}"),
            Tok::Number(n) => n.to_string(),
            Tok::Decimal(d) => d.to_string(),
            Tok::Open => "(".into(),
            Tok::Close => ")".into(),
            Tok::Comma => ",".into(),
            Tok::Cmp(c) => format!("{c:?}"),
        }
    }
}

#[derive(Debug)]
struct Token {
    kind: Tok,
    offset: usize,
}

fn lex(text: &str) -> Result<Vec<Token>, ConditionError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let word_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let kind = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => {
                i += 1;
                Tok::Open
            }
            ')' => {
                i += 1;
                Tok::Close
            }
            ',' => {
                i += 1;
                Tok::Comma
            }
            '=' | '!' | '<' | '>' => {
                let two = chars.get(i + 1) == Some(&'=');
                i += if two { 2 } else { 1 };
                match (c, two) {
                    ('=', true) => Tok::Cmp(Cmp::Eq),
                    ('!', true) => Tok::Cmp(Cmp::Ne),
                    ('<', false) => Tok::Cmp(Cmp::Lt),
                    ('<', true) => Tok::Cmp(Cmp::Le),
                    ('>', false) => Tok::Cmp(Cmp::Gt),
                    ('>', true) => Tok::Cmp(Cmp::Ge),
                    _ => {
                        return Err(ConditionError {
                            code: Code::ConditionSyntax,
                            offset: start,
                            message: format!(
                                "`{c}` is not an operator; comparisons are == != < <= > >="
                            ),
                        });
                    }
                }
            }
            '0'..='9' => {
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(char::is_ascii_digit)
                {
                    i += 1;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                    let text: String = chars[start..i].iter().collect();
                    out.push(Token {
                        kind: Tok::Decimal(text.parse().unwrap_or(0.0)),
                        offset: start,
                    });
                    continue;
                }
                let digits: String = chars[start..i].iter().collect();
                let unit_start = i;
                while i < chars.len() && chars[i].is_ascii_alphabetic() {
                    i += 1;
                }
                let unit: String = chars[unit_start..i].iter().collect();
                let scale: u64 = match unit.to_ascii_uppercase().as_str() {
                    "" | "B" => 1,
                    "KB" => 1 << 10,
                    "MB" => 1 << 20,
                    "GB" => 1 << 30,
                    _ => {
                        return Err(ConditionError {
                            code: Code::ConditionSyntax,
                            offset: unit_start,
                            message: format!("unknown size unit `{unit}` (use B, KB, MB or GB)"),
                        });
                    }
                };
                let n = digits
                    .parse::<u64>()
                    .ok()
                    .and_then(|n| n.checked_mul(scale))
                    .ok_or_else(|| ConditionError {
                        code: Code::ConditionSyntax,
                        offset: start,
                        message: "number too large".into(),
                    })?;
                Tok::Number(n)
            }
            '#' | '$' | 'a'..='z' | 'A'..='Z' | '_' => {
                i += 1;
                while i < chars.len() && (word_char(chars[i]) || chars[i] == '*') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                match word.strip_prefix('#') {
                    Some(name) => Tok::Count(name.trim_start_matches('$').to_owned()),
                    None => Tok::Word(word.trim_start_matches('$').to_owned()),
                }
            }
            _ => {
                return Err(ConditionError {
                    code: Code::ConditionSyntax,
                    offset: start,
                    message: format!("unexpected character `{}`", c.escape_default()),
                });
            }
        };
        out.push(Token {
            kind,
            offset: start,
        });
    }
    Ok(out)
}

struct ConditionParser<'a> {
    tokens: Vec<Token>,
    at: usize,
    names: &'a [String],
    end: usize,
}

impl ConditionParser<'_> {
    fn err_at(&self, offset: usize, message: String) -> ConditionError {
        self.err_code(Code::ConditionSyntax, offset, message)
    }

    fn err_code(&self, code: Code, offset: usize, message: String) -> ConditionError {
        ConditionError {
            offset,
            message,
            code,
        }
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at).map(|t| &t.kind)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.at).map_or(self.end, |t| t.offset)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.at).map(|t| t.kind.clone());
        self.at += 1;
        t
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(w)) if w == word) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, ConditionError> {
        let mut terms = vec![self.and()?];
        while self.eat_word("or") {
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 {
            terms.pop().unwrap()
        } else {
            Expr::Or(terms)
        })
    }

    fn and(&mut self) -> Result<Expr, ConditionError> {
        let mut terms = vec![self.unary()?];
        while self.eat_word("and") {
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 {
            terms.pop().unwrap()
        } else {
            Expr::And(terms)
        })
    }

    fn unary(&mut self) -> Result<Expr, ConditionError> {
        if self.eat_word("not") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ConditionError> {
        let offset = self.offset();
        let Some(tok) = self.next() else {
            return Err(self.err_at(offset, "the condition ends too early".into()));
        };
        match tok {
            Tok::Open => {
                let e = self.or()?;
                let close = self.offset();
                if self.next() != Some(Tok::Close) {
                    return Err(self.err_at(close, "expected `)`".into()));
                }
                Ok(e)
            }
            Tok::Word(w) if w == "true" => Ok(Expr::Const(true)),
            Tok::Word(w) if w == "false" => Ok(Expr::Const(false)),
            // `count(a)` is the spelling that survives YAML: a plain scalar's ` #` starts a
            // comment, so `#a` works only in a quoted condition.
            Tok::Word(w) if w == "count" => {
                let open = self.offset();
                if self.next() != Some(Tok::Open) {
                    return Err(self.err_at(open, "expected `(` after `count`".into()));
                }
                let name_at = self.offset();
                let i = match self.next() {
                    Some(Tok::Word(name)) if !is_keyword(&name) => self.resolve(&name, name_at)?,
                    _ => return Err(self.err_at(name_at, "expected a pattern name".into())),
                };
                let close = self.offset();
                if self.next() != Some(Tok::Close) {
                    return Err(self.err_at(close, "expected `)`".into()));
                }
                let (cmp, n) = self.comparison()?;
                Ok(Expr::Count(i, cmp, n))
            }
            Tok::Word(w) if Stat::ALL.iter().any(|s| s.name() == w) => {
                let stat = Stat::ALL
                    .into_iter()
                    .find(|s| s.name() == w)
                    .expect("listed");
                let at = self.offset();
                let Some(Tok::Cmp(cmp)) = self.next() else {
                    return Err(self.err_at(at, "expected a comparison (== != < <= > >=)".into()));
                };
                let at = self.offset();
                let v = match self.next() {
                    Some(Tok::Number(n)) => n as f64,
                    Some(Tok::Decimal(d)) => d,
                    _ => return Err(self.err_at(at, "expected a number".into())),
                };
                Ok(Expr::Stat(stat, cmp, v))
            }
            Tok::Word(w) if w == "filesize" => {
                let (cmp, n) = self.comparison()?;
                Ok(Expr::Filesize(cmp, n))
            }
            Tok::Word(w) if w == "any" || w == "all" => {
                let q = if w == "any" {
                    Quantity::Any
                } else {
                    Quantity::All
                };
                if self.eat_word("of") {
                    Ok(Expr::Of(q, self.set()?))
                } else {
                    Ok(Expr::Of(q, (0..self.names.len()).collect()))
                }
            }
            Tok::Number(n) => {
                if !self.eat_word("of") {
                    return Err(self.err_at(
                        self.offset(),
                        "expected `of` after a number (as in `2 of them`)".into(),
                    ));
                }
                let set_at = self.offset();
                let set = self.set()?;
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                if n > set.len() {
                    return Err(self.err_code(
                        Code::NeverTrue,
                        set_at,
                        format!("`{n} of` a set of {} can never be true", set.len()),
                    ));
                }
                Ok(Expr::Of(Quantity::AtLeast(n), set))
            }
            Tok::Count(name) => {
                let i = self.resolve(&name, offset + 1)?;
                let (cmp, n) = self.comparison()?;
                Ok(Expr::Count(i, cmp, n))
            }
            Tok::Word(w) if is_keyword(&w) => {
                Err(self.err_at(offset, format!("unexpected keyword `{w}`")))
            }
            Tok::Word(w) => {
                let i = self.resolve(&w, offset)?;
                if !self.eat_word("at") {
                    return Ok(Expr::Matched(i));
                }
                let at = self.offset();
                match self.next() {
                    Some(Tok::Number(n)) => Ok(Expr::At(i, n)),
                    _ => Err(self.err_at(at, "expected a byte offset after `at`".into())),
                }
            }
            other => Err(self.err_at(offset, format!("unexpected `{}`", other.describe()))),
        }
    }

    fn comparison(&mut self) -> Result<(Cmp, u64), ConditionError> {
        let offset = self.offset();
        let Some(Tok::Cmp(cmp)) = self.next() else {
            return Err(self.err_at(offset, "expected a comparison (== != < <= > >=)".into()));
        };
        let offset = self.offset();
        let Some(Tok::Number(n)) = self.next() else {
            return Err(self.err_at(offset, "expected a number".into()));
        };
        Ok((cmp, n))
    }

    fn set(&mut self) -> Result<Vec<usize>, ConditionError> {
        if self.eat_word("them") {
            return Ok((0..self.names.len()).collect());
        }
        let mut out = Vec::new();
        if self.peek() == Some(&Tok::Open) {
            self.at += 1;
            loop {
                self.set_item(&mut out)?;
                let offset = self.offset();
                match self.next() {
                    Some(Tok::Comma) => continue,
                    Some(Tok::Close) => break,
                    _ => return Err(self.err_at(offset, "expected `,` or `)`".into())),
                }
            }
        } else {
            self.set_item(&mut out)?;
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    fn set_item(&mut self, out: &mut Vec<usize>) -> Result<(), ConditionError> {
        let offset = self.offset();
        match self.next() {
            Some(Tok::Word(w)) if !is_keyword(&w) => {
                if let Some(prefix) = w.strip_suffix('*') {
                    let before = out.len();
                    out.extend(
                        self.names
                            .iter()
                            .enumerate()
                            .filter(|(_, n)| n.starts_with(prefix))
                            .map(|(i, _)| i),
                    );
                    if out.len() == before {
                        return Err(self.err_code(
                            Code::UnknownPatternName,
                            offset,
                            format!("no pattern name starts with `{prefix}`"),
                        ));
                    }
                } else {
                    out.push(self.resolve(&w, offset)?);
                }
                Ok(())
            }
            _ => Err(self.err_at(offset, "expected a pattern name, `name*` or `them`".into())),
        }
    }

    fn resolve(&self, name: &str, offset: usize) -> Result<usize, ConditionError> {
        if name.contains('*') {
            return Err(self.err_at(
                offset,
                format!("`{name}`: a wildcard is allowed only in a set, as in `any of ({name})`"),
            ));
        }
        self.names.iter().position(|n| n == name).ok_or_else(|| {
            let known = if self.names.is_empty() {
                "this rule has no patterns".to_owned()
            } else {
                format!("known: {}", self.names.join(", "))
            };
            self.err_code(
                Code::UnknownPatternName,
                offset,
                format!("unknown pattern `{name}` ({known})"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct F(Vec<u64>, u64);
    impl Facts for F {
        fn count(&self, i: usize) -> u64 {
            self.0[i]
        }
        fn filesize(&self) -> u64 {
            self.1
        }
        fn matches_at(&self, i: usize, offset: u64) -> bool {
            offset == 0 && self.0[i] > 1
        }
        fn stat(&self, s: Stat) -> f64 {
            match s {
                Stat::Entropy => 5.5,
                _ => self.1 as f64,
            }
        }
    }

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    fn eval(cond: &str, counts: &[u64], size: u64) -> bool {
        let ns = names(&["a", "b", "cmd1", "cmd2"]);
        parse(cond, &ns).unwrap().eval(&F(counts.to_vec(), size))
    }

    #[test]
    fn boolean_logic_and_precedence() {
        assert!(eval("a and b or cmd1", &[0, 0, 1, 0], 0));
        assert!(!eval("a and (b or cmd1)", &[0, 0, 1, 0], 0));
        assert!(eval("not a and b", &[0, 1, 0, 0], 0));
        assert!(!eval("not (a or b)", &[0, 1, 0, 0], 0));
        assert!(eval("$a", &[1, 0, 0, 0], 0));
    }

    #[test]
    fn quantifiers_over_sets() {
        assert!(eval("any of them", &[0, 0, 0, 1], 0));
        assert!(!eval("all of them", &[1, 1, 1, 0], 0));
        assert!(eval("2 of (a, b, cmd1)", &[1, 0, 1, 0], 0));
        assert!(!eval("2 of (a, b, cmd1)", &[1, 0, 0, 1], 0));
        assert!(eval("all of cmd*", &[0, 0, 1, 1], 0));
        assert!(!eval("all of (cmd*)", &[0, 0, 1, 0], 0));
        assert!(eval("any", &[0, 1, 0, 0], 0));
    }

    #[test]
    fn counts_and_filesize() {
        assert!(eval("#a > 2", &[3, 0, 0, 0], 0));
        assert!(eval("count(a) > 2", &[3, 0, 0, 0], 0));
        assert!(!eval("count($a) > 3", &[3, 0, 0, 0], 0));
        assert!(!eval("#a > 2", &[2, 0, 0, 0], 0));
        assert!(eval("#b == 0", &[0, 0, 0, 0], 0));
        assert!(eval("a and filesize < 4KB", &[1, 0, 0, 0], 4095));
        assert!(!eval("a and filesize < 4KB", &[1, 0, 0, 0], 4096));
        assert!(eval("filesize >= 1MB", &[0, 0, 0, 0], 1 << 20));
        assert!(eval("entropy > 5.25 and entropy < 5.75", &[0, 0, 0, 0], 0));
        assert!(!eval("entropy >= 6", &[0, 0, 0, 0], 0));
        assert!(eval("longest_word > 1999", &[0, 0, 0, 0], 2000));
        // The test facts say "at 0" holds when the count is above one.
        assert!(eval("a at 0 and b", &[2, 1, 0, 0], 0));
        assert!(!eval("a at 0", &[1, 0, 0, 0], 0));
        assert!(!eval("a at 3", &[2, 0, 0, 0], 0));
    }

    #[test]
    fn errors_point_at_the_offending_token() {
        let ns = names(&["a", "b"]);
        let e = parse("a and bogus", &ns).unwrap_err();
        assert_eq!(e.offset, 6);
        assert!(e.message.contains("unknown pattern `bogus`"));
        assert_eq!(parse("a and (b", &ns).unwrap_err().offset, 8);
        assert_eq!(parse("3 of them", &ns).unwrap_err().offset, 5);
        assert_eq!(parse("#a >", &ns).unwrap_err().offset, 4);
        assert_eq!(parse("count(zz) > 1", &ns).unwrap_err().offset, 6);
        assert_eq!(parse("a b", &ns).unwrap_err().offset, 2);
        assert!(parse("filesize < 3XB", &ns).is_err());
        assert!(parse("any of (z*)", &ns).is_err());
        assert!(parse("", &ns).is_err());
    }

    #[test]
    fn partial_evaluation_rules_out_only_what_cannot_hold() {
        let ns = names(&["a", "b", "c"]);
        // a = 0 found, b not searched yet, c = 2 found; files of 100 bytes.
        let count = |i: usize| [Some(0), None, Some(2)][i];
        let may = |c: &str| parse(c, &ns).unwrap().may_hold(&count, 100);
        assert!(!may("a and b"));
        assert!(may("b and c"));
        assert!(may("a or b"));
        assert!(!may("b and filesize < 50"));
        assert!(!may("2 of (a, b)"));
        assert!(!may("3 of them"));
        assert!(may("2 of them"));
        assert!(!may("all of them"));
        assert!(may("not b"));
        assert!(!may("not c"));
        assert!(may("#b > 4"));
        assert!(!may("#c > 4 and b"));
        // Whatever b turns out to be, partial evaluation agrees with full evaluation.
        for cond in [
            "a and b",
            "b or not c",
            "any of (a, b)",
            "#b >= 2 and c",
            "not (a or b)",
        ] {
            let e = parse(cond, &ns).unwrap();
            for b in 0..4 {
                let full = e.eval(&F(vec![0, b, 2], 100));
                assert!(!full || e.may_hold(&count, 100), "{cond} with b = {b}");
            }
        }
    }

    #[test]
    fn which_conditions_need_a_match() {
        let ns = names(&["a", "b"]);
        let needs = |c: &str| !parse(c, &ns).unwrap().may_hold_without_matches();
        assert!(needs("a or b"));
        assert!(needs("a and filesize < 10"));
        assert!(needs("any of them"));
        assert!(!needs("not a"));
        assert!(!needs("filesize < 10"));
        assert!(!needs("#a == 0"));
        assert!(!needs("a or filesize > 5"));
    }
}
