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

mod eval;
mod parse;

pub(crate) use parse::MAX_NESTING;
pub use parse::{ConditionError, is_keyword, parse};

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

    /// `left` compared with `right` as a condition's statistic comparison reads.
    pub(crate) fn holds_f64(self, left: f64, right: f64) -> bool {
        match self {
            Cmp::Eq => left == right,
            Cmp::Ne => left != right,
            Cmp::Lt => left < right,
            Cmp::Le => left <= right,
            Cmp::Gt => left > right,
            Cmp::Ge => left >= right,
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
    /// Whether `stat cmp value` holds. A statistic can often be compared without being
    /// measured in full (is there a word of 1,000 bytes is answered from a few bytes in a
    /// thousand), which an implementation may use; the answer is the comparison's.
    fn stat_holds(&self, stat: Stat, cmp: Cmp, value: f64) -> bool {
        cmp.holds_f64(self.stat(stat), value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) struct F(pub(super) Vec<u64>, pub(super) u64);
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

    pub(super) fn names(n: &[&str]) -> Vec<String> {
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
}
