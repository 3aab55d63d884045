//! Parsing a condition: the lexer and the recursive-descent parser of the grammar in the
//! module doc of `condition`.

use super::{Cmp, Expr, Quantity, Stat};
use crate::rules::codes::Code;

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
        depth: 0,
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

/// Deeper than any real condition; a limit so that a hostile rule file (thousands of `(`
/// or `not`) is an error instead of a stack overflow in a parser (ours or Sigma's) or in
/// the code that walks the expression afterwards.
pub(crate) const MAX_NESTING: usize = 100;

struct ConditionParser<'a> {
    tokens: Vec<Token>,
    at: usize,
    /// Current nesting of `(` and `not`.
    depth: usize,
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
        if self.depth >= MAX_NESTING {
            return Err(self.err_at(
                self.offset(),
                format!("the condition nests `(` or `not` deeper than {MAX_NESTING} levels"),
            ));
        }
        self.depth += 1;
        let e = if self.eat_word("not") {
            self.unary().map(|e| Expr::Not(Box::new(e)))
        } else {
            self.primary()
        };
        self.depth -= 1;
        e
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
    use crate::rules::condition::tests::names;

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
    fn nesting_past_the_limit_is_an_error_not_a_stack_overflow() {
        let ns = names(&["a"]);
        let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(
            parse(&deep, &ns)
                .unwrap_err()
                .message
                .contains("deeper than")
        );
        let nots = format!("{}a", "not ".repeat(10_000));
        assert!(
            parse(&nots, &ns)
                .unwrap_err()
                .message
                .contains("deeper than")
        );
        assert!(parse("((not (a)))", &ns).is_ok());
    }
}
