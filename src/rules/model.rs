//! The rule model: plain data, validated and ready to compile.

use std::fmt;
use std::sync::Arc;

use super::condition::Expr;
use super::diag::Pos;

/// Severity, ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The number Elastic's detection engine maps to this level (`event.severity`).
    pub fn ecs_score(self) -> u8 {
        match self {
            Severity::Low => 21,
            Severity::Medium => 47,
            Severity::High => 73,
            Severity::Critical => 99,
        }
    }

    /// The score a rule of this severity adds to its file when it gives none (`score:`):
    /// the lowest score of the level, so that one rule alone keeps its own severity.
    pub fn default_score(self) -> u8 {
        match self {
            Severity::Low => 20,
            Severity::Medium => 40,
            Severity::High => 60,
            Severity::Critical => 80,
        }
    }

    /// The level of a file's summed score: the THOR/Loki bands (40 medium, 60 high, 80
    /// critical), so that weak signals only count when several agree.
    pub fn from_score(score: u32) -> Severity {
        match score {
            80.. => Severity::Critical,
            60..=79 => Severity::High,
            40..=59 => Severity::Medium,
            _ => Severity::Low,
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The whole contents of files.
    File,
    /// Web-server log records: parsed fields and the raw line.
    Log,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::File => "file",
            Scope::Log => "log",
        }
    }
}

/// A field a log rule tests, by its taxonomy name or as a custom field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldName {
    Known(crate::logs::Field),
    /// Lowercase name of a field outside the taxonomy (IIS custom fields).
    Custom(String),
}

/// How a field's value is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldOp {
    Equals,
    Contains,
    StartsWith,
    EndsWith,
    Regex,
    /// The value (or each address in a list such as X-Forwarded-For) is in a network.
    Cidr,
    /// The field is present (`true`) or absent (`false`).
    Exists(bool),
}

/// One `field|modifiers: values` entry of a selection.
#[derive(Clone, Debug)]
pub struct FieldTest {
    pub field: FieldName,
    pub op: FieldOp,
    /// Any of them must match (all of them with `all`). Empty for `exists`; a `null` value
    /// makes this test "absent or empty".
    pub values: Vec<String>,
    pub null: bool,
    pub all: bool,
    /// Case-sensitive (`cased`); the default ignores ASCII case.
    pub cased: bool,
    /// Percent-decode (and `+` to space) before comparing (`decoded`).
    pub decoded: bool,
    pub pos: Pos,
}

/// A named group of field tests: a record matches when every test of one alternative holds
/// (a mapping is one alternative; a list of mappings gives several).
#[derive(Clone, Debug)]
pub struct Selection {
    pub name: String,
    pub alternatives: Vec<Vec<FieldTest>>,
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternKind {
    /// Literal bytes: a `text` pattern's UTF-8, or a `hex` pattern's bytes.
    Literal(Vec<u8>),
    Regex(String),
}

#[derive(Clone, Debug)]
pub struct Pattern {
    pub name: String,
    pub kind: PatternKind,
    pub nocase: bool,
    pub fullword: bool,
    /// Match the plain bytes.
    pub ascii: bool,
    /// Match the UTF-16LE form of the bytes.
    pub wide: bool,
    /// Where the pattern's value stands in its rule file.
    pub pos: Pos,
}

/// Which files a rule applies to. Empty lists mean "any".
#[derive(Clone, Debug, Default)]
pub struct FileFilter {
    /// Lowercase, without the dot.
    pub extensions: Vec<String>,
    pub paths: Vec<globset::Glob>,
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub severity: Severity,
    pub scope: Scope,
    pub description: String,
    pub author: String,
    pub references: Vec<String>,
    pub tags: Vec<String>,
    /// The `ruleset` of the file the rule came from.
    pub ruleset: Arc<str>,
    /// The file the rule came from (`bundled:rules/x.yml` for bundled rules).
    pub source: Arc<str>,
    pub files: FileFilter,
    pub patterns: Vec<Pattern>,
    /// Log rules only. The condition names patterns first, then selections.
    pub selections: Vec<Selection>,
    /// What a finding of this rule adds to its file's score (`score:`, else by severity).
    pub score: u8,
    /// A hunting-grade signal that also fires on routine requests: loaded only with
    /// `--hunt`, so a default scan reports what needs a look (`hunt: true`).
    pub hunt: bool,
    pub condition: Expr,
}
