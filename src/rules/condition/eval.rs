//! Evaluating a condition: in full against a file's facts, or partly, before every item
//! has been searched, to rule a condition out early.

use super::{Expr, Facts, Quantity};

/// Three-valued truth, for reasoning about a condition before a file is seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tri {
    False,
    True,
    Unknown,
}

impl Tri {
    /// An `and` (`decides` False) or an `or` (`decides` True) of `es`: `decides` at the first
    /// operand that is it, else unknown if one is, else the other value.
    fn junction(es: &[Expr], decides: Tri, value: impl Fn(&Expr) -> Tri) -> Tri {
        let mut acc = if decides == Tri::False {
            Tri::True
        } else {
            Tri::False
        };
        for e in es {
            match value(e) {
                t if t == decides => return decides,
                Tri::Unknown => acc = Tri::Unknown,
                _ => {}
            }
        }
        acc
    }
}

impl Expr {
    pub fn eval(&self, facts: &impl Facts) -> bool {
        match self {
            Expr::Const(b) => *b,
            Expr::Matched(i) => facts.count(*i) > 0,
            Expr::At(i, offset) => facts.count(*i) > 0 && facts.matches_at(*i, *offset),
            Expr::Count(i, cmp, n) => cmp.holds(facts.count(*i), *n),
            Expr::Filesize(cmp, n) => cmp.holds(facts.filesize(), *n),
            Expr::Stat(stat, cmp, v) => facts.stat_holds(*stat, *cmp, *v),
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
                let need = match q {
                    Quantity::Any => 1,
                    Quantity::All => items.len(),
                    Quantity::AtLeast(n) => *n,
                };
                // One pass, done as soon as enough items hold: this is asked before each
                // of a rule's regexes runs, and `any of them` rules have dozens of items.
                let (mut hits, mut open) = (0, 0);
                for &i in items {
                    match count(i) {
                        Some(c) if c > 0 => {
                            hits += 1;
                            if hits >= need {
                                return Tri::True;
                            }
                        }
                        Some(_) => {}
                        None => open += 1,
                    }
                }
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
            // Done at the first operand that decides.
            Expr::And(es) => Tri::junction(es, Tri::False, |e| e.partial(count, filesize)),
            Expr::Or(es) => Tri::junction(es, Tri::True, |e| e.partial(count, filesize)),
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

#[cfg(test)]
mod tests {
    use crate::rules::condition::parse;
    use crate::rules::condition::tests::{F, names};

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
