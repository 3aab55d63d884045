//! Stable codes for rule diagnostics. The wording of a message may improve; its code does
//! not change, so docs/RULES.md can explain each one and scripts can match them. Errors are
//! `SSW-E…`, warnings `SSW-W…`; a retired code is never given to another kind of problem.

use crate::common::diag::{Level, Pos, Sink};

macro_rules! codes {
    ($($name:ident = $code:literal: $summary:literal;)*) => {
        /// The kinds of problem a rule file can have.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Code {
            $(#[doc = $summary] $name,)*
        }

        impl Code {
            /// Every code, in the order of the table in docs/RULES.md.
            pub const ALL: &[Code] = &[$(Code::$name,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$name => $code,)*
                }
            }

            /// What the code means, as the table in docs/RULES.md says it.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$name => $summary,)*
                }
            }
        }
    };
}

codes! {
    Unreadable = "SSW-E001": "the rule file or folder cannot be read";
    NotUtf8 = "SSW-E002": "the rule file is not UTF-8";
    NoRuleFiles = "SSW-E003": "the folder holds no `*.yml` or `*.yaml` file";
    EmptyFile = "SSW-E004": "the rule file is empty";
    YamlSyntax = "SSW-E005": "YAML syntax error, or a YAML feature rule files do not use (anchors, aliases, several documents, duplicate or non-string keys)";
    NoRulesList = "SSW-E006": "the file is not a mapping with a `rules:` list";
    UnknownTopKey = "SSW-E007": "unknown top-level key (only `ruleset` and `rules`)";
    WrongType = "SSW-E008": "a value of the wrong type (a list where a string belongs, a rule that is not a mapping, ...)";
    EmptyValue = "SSW-E009": "a key with an empty value or none";
    UnknownRuleKey = "SSW-E010": "unknown rule key";
    MissingKey = "SSW-E011": "a rule lacks `id`, `name` or `severity`";
    BadRuleId = "SSW-E012": "a rule id with characters other than letters, digits, `-`, `_` and `.`";
    DuplicateRuleId = "SSW-E013": "two rules have the same id";
    UnknownSeverity = "SSW-E014": "unknown severity";
    UnknownScope = "SSW-E015": "unknown scope";
    BadScore = "SSW-E016": "`score` is not a whole number from 1 to 100";
    WrongScope = "SSW-E017": "a key that does not apply to the rule's scope (`selections` in a file rule, `files: extensions` in a log rule)";
    NoPatterns = "SSW-E018": "a rule without `patterns` (or, for log rules, `selections`)";
    BadName = "SSW-E019": "a pattern or selection name that is not an identifier, or is a condition keyword";
    NameClash = "SSW-E020": "a pattern and a selection with the same name";
    UnknownFilesKey = "SSW-E021": "unknown key under `files`";
    BadGlob = "SSW-E022": "a path glob that does not parse";
    EmptyPattern = "SSW-E023": "an empty pattern";
    PatternKind = "SSW-E024": "a pattern that is not one of `text`, `hex` or `regex`";
    UnknownPatternKey = "SSW-E025": "unknown pattern key";
    BadHex = "SSW-E026": "a hex pattern with a non-hex character or an odd number of digits";
    RegexSyntax = "SSW-E027": "a regex that does not parse";
    RegexMatchesEmpty = "SSW-E028": "a regex that matches the empty string";
    RegexTooLarge = "SSW-E029": "a regex over the size limits";
    ModifierConflict = "SSW-E030": "pattern modifiers that do not combine (`ascii: false` without `wide`, `wide` on a regex, `nocase` on hex)";
    ConditionSyntax = "SSW-E031": "a condition that does not parse";
    UnknownPatternName = "SSW-E032": "a condition names a pattern or selection the rule does not have";
    NeverTrue = "SSW-E033": "a condition that can never hold (`3 of` a set of two)";
    BadFieldName = "SSW-E034": "a selection tests something that is not a field name";
    UnknownModifier = "SSW-E035": "unknown field-test modifier";
    TwoOperators = "SSW-E036": "a field test with more than one of `contains`, `startswith`, `endswith`, `re`, `cidr`, `exists`";
    BadFieldValue = "SSW-E037": "a field test without usable values (none, empty, not strings, `exists` not true or false), or an empty selection alternative";
    BadCidr = "SSW-E038": "a `cidr` value that is not a network";
    YaraCompile = "SSW-E039": "a YARA rule that yara-x does not compile (the message gives yara-x's own code)";
    NoYaraFiles = "SSW-E040": "a folder given to `--yara` holds no `*.yar` or `*.yara` file";
    SigmaInvalid = "SSW-E041": "a Sigma rule that is not well-formed (no `logsource`, `detection` or `condition`, a condition naming an undefined identifier, an unknown modifier or level)";
    YaraCompiledUnusable = "SSW-E042": "a `--yara-compiled` file that cannot be used (unreadable, not written by `shellsweep rules compile`, damaged, or compiled by another yara-x)";
    RaisesUnused = "SSW-W001": "`raises` is no longer used";
    RegexLarge = "SSW-W002": "a regex that loads but is large enough to be slow";
    NoRegexLiteral = "SSW-W003": "a regex without a literal of 3 or more bytes, so it runs over every file its rule applies to";
    UngatedLogRule = "SSW-W004": "a log rule that can match a line holding none of its literals, so every log line is parsed";
    YaraWarning = "SSW-W005": "a YARA rule that yara-x compiles with a warning (slow pattern or loop, a condition that is always true, ...)";
    SigmaUnsupported = "SSW-W006": "a Sigma rule uses something shellsweep does not evaluate (an aggregation, a field outside the webserver taxonomy, a modifier such as `expand` or `gt`, a regex with lookaround); it is not loaded";
}

impl Code {
    pub fn level(self) -> Level {
        if self.as_str().starts_with("SSW-W") {
            Level::Warning
        } else {
            Level::Error
        }
    }
}

/// Reporting a coded diagnostic; the code says whether it is an error or a warning.
pub(crate) trait Report {
    fn report_code(&mut self, code: Code, pos: Pos, message: impl Into<String>);
}

impl Report for Sink<'_> {
    fn report_code(&mut self, code: Code, pos: Pos, message: impl Into<String>) {
        self.report(code.level(), code.as_str(), pos, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table in docs/RULES.md lists every code with its summary, in order; the golden
    /// test (tests/diagnostics.rs) checks that each listed code has an input that shows it.
    #[test]
    fn docs_table_lists_every_code() {
        let doc = include_str!("../../docs/RULES.md");
        let rows: Vec<(String, String)> = doc
            .lines()
            .filter_map(|l| l.strip_prefix("| `SSW-"))
            .map(|l| {
                let (code, rest) = l.split_once('`').unwrap();
                let summary = rest
                    .trim_start_matches(" |")
                    .trim()
                    .trim_end_matches('|')
                    .trim();
                (format!("SSW-{code}"), summary.to_owned())
            })
            .collect();
        let want: Vec<(String, String)> = Code::ALL
            .iter()
            .map(|c| (c.as_str().to_owned(), c.summary().to_owned()))
            .collect();
        assert_eq!(rows, want);
    }

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "{s} twice");
            let (kind, number) = s.strip_prefix("SSW-").unwrap().split_at(1);
            assert!(matches!(kind, "E" | "W"), "{s}");
            assert!(
                number.len() == 3 && number.chars().all(|d| d.is_ascii_digit()),
                "{s}"
            );
        }
    }
}
