//! Sigma conditions: `and`, `or`, `not`, parentheses, and `1 of` / `all of` / `N of` a
//! search identifier, a wildcard of them (`selection_*`) or `them`. Precedence as in the
//! Sigma specification: `not` binds tightest, then `and`, then `or`.

use crate::rules::condition::{Expr, MAX_NESTING, Quantity};

/// Why a condition was not turned into an expression.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Problem {
    /// Sigma allows it, shellsweep does not evaluate it (aggregations, `near`).
    Unsupported(String),
    /// Not a Sigma condition.
    Invalid(String),
}

/// Parses `text`; `ident` gives the expression of a search identifier (by name), and
/// `names` lists them all, in order.
pub(super) fn parse(
    text: &str,
    names: &[String],
    ident: &dyn Fn(&str) -> Expr,
) -> Result<Expr, Problem> {
    if text.contains('|') {
        return Err(Problem::Unsupported(
            "an aggregation (`| count() ...`) in the condition".into(),
        ));
    }
    let tokens = lex(text)?;
    let mut p = Parser {
        tokens,
        at: 0,
        depth: 0,
        names,
        ident,
    };
    let e = p.or()?;
    match p.tokens.get(p.at) {
        Some(t) => Err(Problem::Invalid(format!(
            "unexpected `{t}` in the condition"
        ))),
        None => Ok(e),
    }
}

fn lex(text: &str) -> Result<Vec<String>, Problem> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_whitespace() || c == '(' || c == ')' {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            if c != ' ' && !c.is_whitespace() {
                out.push(c.to_string());
            }
        } else if c.is_alphanumeric() || "_-*.?".contains(c) {
            word.push(c);
        } else {
            return Err(Problem::Invalid(format!(
                "unexpected character `{c}` in the condition"
            )));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<String>,
    at: usize,
    /// Current nesting of `(` and `not`.
    depth: usize,
    names: &'a [String],
    ident: &'a dyn Fn(&str) -> Expr,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn keyword(&self, k: &str) -> bool {
        self.peek().is_some_and(|t| t.eq_ignore_ascii_case(k))
    }

    fn next(&mut self) -> Option<String> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn or(&mut self) -> Result<Expr, Problem> {
        let mut parts = vec![self.and()?];
        while self.keyword("or") {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, Problem> {
        let mut parts = vec![self.unary()?];
        while self.keyword("and") {
            self.at += 1;
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Expr, Problem> {
        if self.depth >= MAX_NESTING {
            return Err(Problem::Invalid(format!(
                "the condition nests `(` or `not` deeper than {MAX_NESTING} levels"
            )));
        }
        self.depth += 1;
        let e = self.unary_inner();
        self.depth -= 1;
        e
    }

    fn unary_inner(&mut self) -> Result<Expr, Problem> {
        if self.keyword("not") {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        let Some(t) = self.next() else {
            return Err(Problem::Invalid("the condition ends too early".into()));
        };
        if t == "(" {
            let e = self.or()?;
            return match self.next().as_deref() {
                Some(")") => Ok(e),
                _ => Err(Problem::Invalid("a `(` without its `)`".into())),
            };
        }
        if self.keyword("of") {
            self.at += 1;
            let quantity = match t.to_ascii_lowercase().as_str() {
                "all" => Quantity::All,
                "any" => Quantity::Any,
                n => match n.parse::<usize>() {
                    Ok(0) | Err(_) => {
                        return Err(Problem::Invalid(format!(
                            "`{t} of`: expected `1 of`, `all of` or a count"
                        )));
                    }
                    Ok(1) => Quantity::Any,
                    Ok(n) => Quantity::AtLeast(n),
                },
            };
            let Some(set) = self.next() else {
                return Err(Problem::Invalid(format!("`{t} of` names nothing")));
            };
            return self.of(quantity, &set);
        }
        if ["and", "or", ")", "near"]
            .iter()
            .any(|k| t.eq_ignore_ascii_case(k))
        {
            if t.eq_ignore_ascii_case("near") {
                return Err(Problem::Unsupported("`near` in the condition".into()));
            }
            return Err(Problem::Invalid(format!(
                "unexpected `{t}` in the condition"
            )));
        }
        if !self.names.contains(&t) {
            return Err(Problem::Invalid(format!(
                "the condition names `{t}`, which the detection does not define"
            )));
        }
        Ok((self.ident)(&t))
    }

    fn of(&mut self, quantity: Quantity, set: &str) -> Result<Expr, Problem> {
        let members: Vec<&String> = if set.eq_ignore_ascii_case("them") {
            self.names.iter().filter(|n| !n.starts_with('_')).collect()
        } else {
            self.names.iter().filter(|n| glob(set, n)).collect()
        };
        if members.is_empty() {
            return Err(Problem::Invalid(format!(
                "`of {set}` matches no search identifier"
            )));
        }
        let exprs: Vec<Expr> = members.iter().map(|n| (self.ident)(n)).collect();
        Ok(match quantity {
            Quantity::Any => Expr::Or(exprs),
            Quantity::All => Expr::And(exprs),
            Quantity::AtLeast(n) => {
                let items: Option<Vec<usize>> = exprs
                    .iter()
                    .map(|e| match e {
                        Expr::Matched(i) => Some(*i),
                        _ => None,
                    })
                    .collect();
                match items {
                    Some(items) if n <= items.len() => Expr::Of(Quantity::AtLeast(n), items),
                    Some(_) => Expr::Const(false),
                    None => {
                        return Err(Problem::Unsupported(format!("`{n} of` over keyword lists")));
                    }
                }
            }
        })
    }
}

/// Sigma's identifier wildcards: `*` any run, `?` one character. Row by row over the
/// name, so a hostile pattern of many `*` stays linear in each.
fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    // ok[j]: the first j pattern characters match the name read so far.
    let mut ok = vec![false; p.len() + 1];
    ok[0] = true;
    for j in 0..p.len() {
        ok[j + 1] = ok[j] && p[j] == '*';
    }
    for c in name.chars() {
        let mut next = vec![false; p.len() + 1];
        for j in 0..p.len() {
            next[j + 1] = match p[j] {
                '*' => next[j] || ok[j + 1],
                '?' => ok[j],
                pc => ok[j] && pc == c,
            };
        }
        ok = next;
    }
    ok[p.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, names: &[&str]) -> Result<Expr, Problem> {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let lookup = names.clone();
        parse(text, &names, &move |n: &str| {
            Expr::Matched(lookup.iter().position(|x| x == n).unwrap())
        })
    }

    #[test]
    fn precedence_and_parentheses() {
        let m = Expr::Matched;
        assert_eq!(
            run("a or b and not c", &["a", "b", "c"]),
            Ok(Expr::Or(vec![
                m(0),
                Expr::And(vec![m(1), Expr::Not(Box::new(m(2)))])
            ]))
        );
        assert_eq!(
            run("(a or b) and c", &["a", "b", "c"]),
            Ok(Expr::And(vec![Expr::Or(vec![m(0), m(1)]), m(2)]))
        );
    }

    #[test]
    fn quantifiers_and_them() {
        let m = Expr::Matched;
        let names = ["selection_a", "selection_b", "filter", "_hidden"];
        assert_eq!(
            run("1 of selection_*", &names),
            Ok(Expr::Or(vec![m(0), m(1)]))
        );
        assert_eq!(
            run("all of selection* and not filter", &names),
            Ok(Expr::And(vec![
                Expr::And(vec![m(0), m(1)]),
                Expr::Not(Box::new(m(2)))
            ]))
        );
        assert_eq!(
            run("all of them", &names),
            Ok(Expr::And(vec![m(0), m(1), m(2)]))
        );
        assert_eq!(
            run("2 of them", &names),
            Ok(Expr::Of(Quantity::AtLeast(2), vec![0, 1, 2]))
        );
        assert_eq!(run("4 of them", &names), Ok(Expr::Const(false)));
        assert_eq!(run("1 of ?ilter", &names), Ok(Expr::Or(vec![m(2)])));
        assert!(glob("s*_*b", "selection_ab") && !glob("s*_*b", "selection_a"));
        assert!(glob("*", "") && !glob("?", ""));
    }

    #[test]
    fn refusals() {
        assert!(matches!(
            run("selection | count() > 5", &["selection"]),
            Err(Problem::Unsupported(_))
        ));
        assert!(matches!(run("nope", &["a"]), Err(Problem::Invalid(_))));
        assert!(matches!(run("(a", &["a"]), Err(Problem::Invalid(_))));
        assert!(matches!(run("a and", &["a"]), Err(Problem::Invalid(_))));
        assert!(matches!(run("1 of x*", &["a"]), Err(Problem::Invalid(_))));
    }
}
