//! The rule model: plain data, validated and ready to compile.

use std::sync::Arc;

use super::condition::Expr;
use crate::common::diag::Pos;
use crate::common::severity::Severity;

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
    /// Sigma's `c-uri`: the path with its query (`stem?query`). No log writes it as one
    /// field (IIS logs stem and query apart), so it is put together from the two.
    Uri,
    /// Sigma's `c-uri-extension`: the extension of the path's last segment, without the dot.
    UriExtension,
    /// Lowercase name of a field outside the taxonomy (IIS custom fields).
    Custom(String),
}

impl FieldName {
    /// A field of the taxonomy by any accepted spelling, the two derived URI fields, or
    /// `None` for a name outside them.
    pub fn known(name: &str) -> Option<FieldName> {
        match name.to_ascii_lowercase().as_str() {
            "c-uri" | "cs-uri" => Some(FieldName::Uri),
            "c-uri-extension" | "cs-uri-extension" => Some(FieldName::UriExtension),
            _ => crate::logs::Field::from_name(name).map(FieldName::Known),
        }
    }

    /// The name rules use for it.
    pub fn name(&self) -> &str {
        match self {
            FieldName::Known(f) => f.name(),
            FieldName::Uri => "c-uri",
            FieldName::UriExtension => "c-uri-extension",
            FieldName::Custom(c) => c,
        }
    }
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
    /// The value equals the value of another field (Sigma's `fieldref`); `values` hold the
    /// other fields' canonical names, any of which may match.
    FieldRef,
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
    /// A regex as the loader's check parsed it, with the flags the engine compiles with:
    /// the engine takes it instead of parsing the regex again. `None` for literals, and
    /// for regexes the loader did not parse (bundled files, Sigma rules).
    pub(crate) parsed: Option<regex_syntax::hir::Hir>,
}

/// Which files a rule applies to. Empty lists mean "any".
#[derive(Clone, Debug, Default)]
pub struct FileFilter {
    /// Lowercase, without the dot.
    pub extensions: Vec<String>,
    pub paths: Vec<globset::Glob>,
}

/// One rule, as loaded and checked: what it looks for and what a finding of it says.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Stable id (`SSW-PHP-012`); findings, allowlists and state refer to rules by it.
    pub id: String,
    /// A short title for people.
    pub name: String,
    /// The severity a finding starts at (a file's combined score may raise it).
    pub severity: Severity,
    /// Whether it matches files or log records.
    pub scope: Scope,
    /// What the rule finds and why that matters.
    pub description: String,
    /// Who wrote it.
    pub author: String,
    /// Public sources for the facts it relies on.
    pub references: Vec<String>,
    /// Free tags; `attack.tNNNN` ones become ATT&CK fields in the output.
    pub tags: Vec<String>,
    /// The `ruleset` of the file the rule came from.
    pub ruleset: Arc<str>,
    /// The file the rule came from (`bundled:rules/x.yml` for bundled rules).
    pub source: Arc<str>,
    /// Which files (by extension or path) a file rule is tried on.
    pub files: FileFilter,
    /// The strings, hex strings and regexes its condition names.
    pub patterns: Vec<Pattern>,
    /// Log rules only. The condition names patterns first, then selections.
    pub selections: Vec<Selection>,
    /// What a finding of this rule adds to its file's score (`score:`, else by severity).
    pub score: u8,
    /// A hunting-grade signal that also fires on routine requests: loaded only with
    /// `--hunt`, so a default scan reports what needs a look (`hunt: true`).
    pub hunt: bool,
    /// When the rule holds, in terms of its patterns, selections and file statistics.
    pub condition: Expr,
    /// A Sigma rule's `status` (`stable`, `test`, `experimental`, ...); `None` for ours.
    pub status: Option<String>,
    /// A Sigma rule's `falsepositives`: what else makes it fire.
    pub falsepositives: Vec<String>,
}
