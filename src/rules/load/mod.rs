//! From a YAML tree to validated rules. Every problem becomes a diagnostic with a position;
//! one bad rule does not hide the problems of the next.

use std::sync::Arc;

use super::codes::{Code, Report};
use super::condition::{self, ConditionError};
use super::model::{FileFilter, Rule, Scope};
use super::selection;
use crate::common::diag::{Pos, Sink};
use crate::common::severity::Severity;
use crate::common::yaml::{self, Node, Value};

mod pattern;

use pattern::patterns;

const RULE_KEYS: &[&str] = &[
    "id",
    "name",
    "severity",
    "scope",
    "description",
    "author",
    "references",
    "tags",
    "files",
    "patterns",
    "selections",
    "score",
    "raises",
    "hunt",
    "condition",
];

/// Parses and validates one rule file. Problems go to `sink`; the rules returned are the
/// ones without errors.
pub(crate) fn load_text(
    sink: &mut Sink<'_>,
    source: &Arc<str>,
    default_ruleset: &str,
    text: &str,
) -> Vec<Rule> {
    let root = match yaml::parse(text) {
        Ok(Some(root)) => root,
        Ok(None) => {
            sink.report_code(Code::EmptyFile, Pos::new(1, 1), "the rule file is empty");
            return Vec::new();
        }
        Err(e) => {
            sink.report_code(
                Code::YamlSyntax,
                e.pos,
                format!("YAML syntax: {}", e.message),
            );
            return Vec::new();
        }
    };
    let Value::Map(top) = &root.value else {
        sink.report_code(
            Code::NoRulesList,
            root.pos,
            format!(
                "expected a mapping with `rules:`, found {}",
                root.kind_name()
            ),
        );
        return Vec::new();
    };
    let mut ruleset: Arc<str> = Arc::from(default_ruleset);
    let mut rules_node = None;
    for (key, value) in top {
        match key.as_str().unwrap_or_default() {
            "ruleset" => {
                if let Some(s) = scalar(sink, value, "ruleset") {
                    ruleset = Arc::from(s);
                }
            }
            "rules" => rules_node = Some(value),
            other => sink.report_code(
                Code::UnknownTopKey,
                key.pos,
                format!("unknown key `{other}` (expected `ruleset` or `rules`)"),
            ),
        }
    }
    let Some(rules_node) = rules_node else {
        sink.report_code(Code::NoRulesList, root.pos, "missing `rules:` list");
        return Vec::new();
    };
    let Value::Seq(items) = &rules_node.value else {
        sink.report_code(
            Code::NoRulesList,
            rules_node.pos,
            format!("`rules` must be a list, found {}", rules_node.kind_name()),
        );
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let before = sink.diagnostics.len();
            let rule = load_rule(sink, item, &ruleset, source);
            let failed = sink.diagnostics[before..].iter().any(|d| d.is_error());
            rule.filter(|_| !failed)
        })
        .collect()
}

fn load_rule(
    sink: &mut Sink<'_>,
    node: &Node,
    ruleset: &Arc<str>,
    source: &Arc<str>,
) -> Option<Rule> {
    let Value::Map(entries) = &node.value else {
        sink.report_code(
            Code::WrongType,
            node.pos,
            format!("a rule must be a mapping, found {}", node.kind_name()),
        );
        return None;
    };
    let get = |k: &str| {
        entries
            .iter()
            .find(|(key, _)| key.as_str() == Some(k))
            .map(|(_, v)| v)
    };
    for (key, _) in entries {
        let k = key.as_str().unwrap_or_default();
        if !RULE_KEYS.contains(&k) {
            sink.report_code(
                Code::UnknownRuleKey,
                key.pos,
                format!("unknown rule key `{k}` (known: {})", RULE_KEYS.join(", ")),
            );
        }
    }
    let required = |sink: &mut Sink<'_>, k: &str| -> Option<String> {
        match get(k) {
            Some(v) => scalar(sink, v, k).filter(|s| {
                let ok = !s.trim().is_empty();
                if !ok {
                    sink.report_code(Code::EmptyValue, v.pos, format!("`{k}` must not be empty"));
                }
                ok
            }),
            None => {
                sink.report_code(Code::MissingKey, node.pos, format!("rule is missing `{k}`"));
                None
            }
        }
    };
    let id = required(sink, "id");
    if let (Some(id), Some(v)) = (&id, get("id"))
        && !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        sink.report_code(
            Code::BadRuleId,
            v.pos,
            format!("rule id `{id}` may use only letters, digits, `-`, `_` and `.`"),
        );
    }
    let name = required(sink, "name");
    let severity = required(sink, "severity").and_then(|s| {
        let sev = Severity::parse(&s);
        if sev.is_none() {
            sink.report_code(
                Code::UnknownSeverity,
                get("severity").map_or(node.pos, |v| v.pos),
                format!("unknown severity `{s}` (use low, medium, high or critical)"),
            );
        }
        sev
    });
    let scope = match get("scope") {
        None => Some(Scope::File),
        Some(v) => match scalar(sink, v, "scope").as_deref() {
            Some("file") => Some(Scope::File),
            Some("log") => Some(Scope::Log),
            Some(other) => {
                sink.report_code(
                    Code::UnknownScope,
                    v.pos,
                    format!("unknown scope `{other}` (use `file` or `log`)"),
                );
                None
            }
            None => None,
        },
    };
    // Rule files written for the one-step raise still load; the score model replaces it.
    if let Some(v) = get("raises") {
        sink.report_code(
            Code::RaisesUnused,
            v.pos,
            "`raises` is no longer used: findings on a file add up by `score:` (see docs/RULES.md)",
        );
    }
    let score = get("score").and_then(|v| score(sink, v));
    let hunt = get("hunt").is_some_and(|v| flag(sink, v, "hunt"));
    let optional_text =
        |sink: &mut Sink<'_>, k: &str| get(k).and_then(|v| scalar(sink, v, k)).unwrap_or_default();
    let description = optional_text(sink, "description");
    let author = optional_text(sink, "author");
    let references = get("references")
        .map(|v| string_list(sink, v, "references"))
        .unwrap_or_default();
    let tags = get("tags")
        .map(|v| string_list(sink, v, "tags"))
        .unwrap_or_default();
    let files = get("files")
        .map(|v| file_filter(sink, v))
        .unwrap_or_default();
    let patterns = match get("patterns") {
        Some(v) => patterns(sink, v),
        None => Vec::new(),
    };
    let selections = match get("selections") {
        Some(v) if scope == Some(Scope::Log) => selection::selections(sink, v),
        Some(v) => {
            sink.report_code(
                Code::WrongScope,
                v.pos,
                "`selections` are for `scope: log` rules",
            );
            Vec::new()
        }
        None => Vec::new(),
    };
    if scope == Some(Scope::Log) && !files.extensions.is_empty() {
        sink.report_code(
            Code::WrongScope,
            get("files").map_or(node.pos, |v| v.pos),
            "`files: extensions` do not apply to log rules",
        );
    }
    let mut names: Vec<String> = patterns.iter().map(|p| p.name.clone()).collect();
    for s in &selections {
        if names.contains(&s.name) {
            sink.report_code(
                Code::NameClash,
                s.pos,
                format!("`{}` names both a pattern and a selection", s.name),
            );
        } else if condition::is_keyword(&s.name) {
            sink.report_code(
                Code::BadName,
                s.pos,
                format!(
                    "`{}` is a condition keyword and cannot name a selection",
                    s.name
                ),
            );
        }
        names.push(s.name.clone());
    }
    let condition = match get("condition") {
        None if names.is_empty() => {
            sink.report_code(
                Code::NoPatterns,
                node.pos,
                "a rule needs `patterns` (or, for log rules, `selections`)",
            );
            None
        }
        None => Some(condition::Expr::Of(
            condition::Quantity::Any,
            (0..names.len()).collect(),
        )),
        Some(v) => {
            scalar(sink, v, "condition").and_then(|text| match condition::parse(&text, &names) {
                Ok(expr) => Some(expr),
                Err(ConditionError {
                    offset,
                    message,
                    code,
                }) => {
                    sink.report_code(
                        code,
                        offset_pos(v, &text, offset),
                        format!("condition: {message}"),
                    );
                    None
                }
            })
        }
    };
    Some(Rule {
        id: id?,
        name: name?,
        severity: severity?,
        scope: scope?,
        description,
        author,
        references,
        tags,
        ruleset: ruleset.clone(),
        source: source.clone(),
        files,
        patterns,
        selections,
        score: score.unwrap_or_else(|| severity.map_or(0, Severity::default_score)),
        hunt,
        condition: condition?,
        status: None,
        falsepositives: Vec::new(),
    })
}

/// The position of the `offset`-th character of a scalar's value. Exact for plain and
/// quoted one-line scalars (escapes aside); block scalars point at the node.
fn offset_pos(node: &Node, value: &str, offset: usize) -> Pos {
    match &node.value {
        Value::Scalar { plain, .. } if !value.contains('\n') => {
            node.pos.shifted(offset + usize::from(!plain))
        }
        _ => node.pos,
    }
}

fn scalar(sink: &mut Sink<'_>, node: &Node, key: &str) -> Option<String> {
    match node.as_str() {
        Some(s) if node.is_null() => {
            let _ = s;
            sink.report_code(Code::EmptyValue, node.pos, format!("`{key}` has no value"));
            None
        }
        Some(s) => Some(s.to_owned()),
        None => {
            sink.report_code(
                Code::WrongType,
                node.pos,
                format!("`{key}` must be a string, found {}", node.kind_name()),
            );
            None
        }
    }
}

/// A rule's `score:`, a whole number from 1 to 100.
fn score(sink: &mut Sink<'_>, node: &Node) -> Option<u8> {
    let text = scalar(sink, node, "score")?;
    match text.parse::<u8>() {
        Ok(n @ 1..=100) => Some(n),
        _ => {
            sink.report_code(
                Code::BadScore,
                node.pos,
                format!("`score` must be a whole number from 1 to 100, found `{text}`"),
            );
            None
        }
    }
}

fn flag(sink: &mut Sink<'_>, node: &Node, key: &str) -> bool {
    match node.as_str() {
        Some("true") => true,
        Some("false") => false,
        _ => {
            sink.report_code(
                Code::WrongType,
                node.pos,
                format!("`{key}` must be true or false"),
            );
            false
        }
    }
}

fn string_list(sink: &mut Sink<'_>, node: &Node, key: &str) -> Vec<String> {
    match &node.value {
        Value::Seq(items) => items.iter().filter_map(|i| scalar(sink, i, key)).collect(),
        Value::Scalar { .. } => scalar(sink, node, key).into_iter().collect(),
        Value::Map(_) => {
            sink.report_code(
                Code::WrongType,
                node.pos,
                format!("`{key}` must be a list of strings"),
            );
            Vec::new()
        }
    }
}

fn file_filter(sink: &mut Sink<'_>, node: &Node) -> FileFilter {
    let mut filter = FileFilter::default();
    let Value::Map(entries) = &node.value else {
        sink.report_code(
            Code::WrongType,
            node.pos,
            "`files` must be a mapping with `extensions` and/or `paths`",
        );
        return filter;
    };
    for (key, value) in entries {
        match key.as_str().unwrap_or_default() {
            "extensions" => {
                filter.extensions = string_list(sink, value, "extensions")
                    .into_iter()
                    .map(|e| e.trim_start_matches('.').to_ascii_lowercase())
                    .collect();
            }
            "paths" => {
                let items: Vec<&Node> = match &value.value {
                    Value::Seq(items) => items.iter().collect(),
                    _ => vec![value],
                };
                for item in items {
                    let Some(glob) = scalar(sink, item, "paths") else {
                        continue;
                    };
                    match globset::GlobBuilder::new(&glob)
                        .case_insensitive(true)
                        .literal_separator(true)
                        .build()
                    {
                        Ok(g) => filter.paths.push(g),
                        Err(e) => sink.report_code(
                            Code::BadGlob,
                            item.pos,
                            format!("bad path glob: {}", e.kind()),
                        ),
                    }
                }
            }
            other => sink.report_code(
                Code::UnknownFilesKey,
                key.pos,
                format!("unknown `files` key `{other}` (use `extensions` or `paths`)"),
            ),
        }
    }
    filter
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::diag::Diagnostic;
    use crate::rules::model::PatternKind;

    fn load(text: &str) -> (Vec<Rule>, Vec<Diagnostic>) {
        let mut sink = Sink::new("t.yml", text);
        let rules = load_text(&mut sink, &Arc::from("t.yml"), "t", text);
        (rules, sink.diagnostics)
    }

    const GOOD: &str = r#"
ruleset: demo
rules:
  - id: T-1
    name: demo rule
    severity: high
    description: d
    author: me
    references: [https://example.test/]
    tags: [attack.t1505.003]
    files:
      extensions: [.PHP, phtml]
      paths: ["**/uploads/**"]
    patterns:
      a: eval(
      b: { text: System, nocase: true, fullword: true }
      c: { hex: "4D 5a" }
      d: { text: x, wide: true }
      e: { regex: 'eval\s*\(' }
    condition: a and (b or count(c) > 1)
"#;

    #[test]
    fn loads_a_full_rule() {
        let (rules, diags) = load(GOOD);
        assert!(diags.is_empty(), "{diags:?}");
        let r = &rules[0];
        assert_eq!(r.id, "T-1");
        assert_eq!(&*r.ruleset, "demo");
        assert_eq!(r.severity, Severity::High);
        assert_eq!(r.files.extensions, ["php", "phtml"]);
        assert_eq!(r.patterns.len(), 5);
        assert_eq!(r.patterns[2].kind, PatternKind::Literal(vec![0x4d, 0x5a]));
        assert!(r.patterns[1].nocase && r.patterns[1].fullword && r.patterns[1].ascii);
        assert!(r.patterns[3].wide && !r.patterns[3].ascii);
        assert_eq!(r.patterns[4].pos, Pos::new(19, 19));
    }

    fn first_error(text: &str) -> (Pos, String) {
        let (_, diags) = load(text);
        let d = diags.into_iter().find(|d| d.is_error()).expect("an error");
        (d.pos, d.message)
    }

    #[test]
    fn score_defaults_to_the_severity_and_is_checked() {
        let (rules, _) = load(GOOD);
        assert_eq!(rules[0].score, 60, "high without a score: 60");
        let (rules, diags) = load(&GOOD.replace("severity: high", "severity: low\n    score: 15"));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!((rules[0].severity, rules[0].score), (Severity::Low, 15));
        for bad in ["0", "101", "high", "1.5"] {
            let text = GOOD.replace(
                "severity: high",
                &format!("severity: high\n    score: {bad}"),
            );
            let (pos, msg) = first_error(&text);
            assert_eq!(pos, Pos::new(7, 12), "{bad}");
            assert!(msg.contains("from 1 to 100"), "{msg}");
        }
        // The former one-step raise still loads, with a warning that says what replaced it.
        let (rules, diags) =
            load(&GOOD.replace("severity: high", "severity: high\n    raises: true"));
        assert_eq!(rules.len(), 1);
        assert!(diags.iter().all(|d| !d.is_error()));
        assert!(
            diags.iter().any(|d| d.message.contains("`score:`")),
            "{diags:?}"
        );
    }

    #[test]
    fn errors_carry_line_and_column() {
        let bad_sev = GOOD.replace("severity: high", "severity: fatal");
        assert_eq!(first_error(&bad_sev).0, Pos::new(6, 15));

        let bad_cond = GOOD.replace("a and (b or count(c) > 1)", "a and (b or zz)");
        let (pos, msg) = first_error(&bad_cond);
        assert_eq!(pos, Pos::new(20, 28));
        assert!(msg.contains("unknown pattern `zz`"), "{msg}");

        let bad_regex = GOOD.replace(r"'eval\s*\('", r"'eval\s*(('");
        let (pos, msg) = first_error(&bad_regex);
        assert_eq!(pos.line, 19);
        assert!(msg.starts_with("regex:"), "{msg}");

        let bad_hex = GOOD.replace("4D 5a", "4D 5g");
        assert_eq!(first_error(&bad_hex).0, Pos::new(17, 22));

        let unknown_key = GOOD.replace("author: me", "autor: me");
        assert_eq!(first_error(&unknown_key).0, Pos::new(8, 5));

        let yaml = GOOD.replace("tags: [attack.t1505.003]", "tags: [attack");
        assert!(first_error(&yaml).1.starts_with("YAML syntax"));
    }

    #[test]
    fn semantic_mistakes_are_errors() {
        let (_, m) = first_error(
            "rules:\n  - id: a\n    name: n\n    severity: low\n    patterns:\n      x: { regex: 'a+', wide: true }\n",
        );
        assert!(m.contains("wide"), "{m}");
        let (_, m) = first_error(
            "rules:\n  - id: a\n    name: n\n    severity: low\n    patterns:\n      any: abc\n",
        );
        assert!(m.contains("keyword"), "{m}");
        let (_, m) = first_error("rules:\n  - id: a\n    name: n\n    severity: low\n");
        assert!(m.contains("patterns"), "{m}");
        let (pos, m) = first_error(
            "rules:\n  - id: a\n    name: n\n    severity: low\n    selections:\n      s: {cs-method: POST}\n",
        );
        assert!(m.contains("scope: log"), "{m}");
        assert_eq!(pos.line, 6);
        let (_, m) = first_error("rules:\n  - name: n\n    severity: low\n    patterns: {a: b}\n");
        assert!(m.contains("missing `id`"), "{m}");
        let (_, m) = first_error(
            "rules:\n  - id: a b\n    name: n\n    severity: low\n    patterns: {a: b}\n",
        );
        assert!(m.contains("only letters"), "{m}");
    }

    const LOG_RULE: &str = r#"
rules:
  - id: L-1
    name: log rule
    severity: critical
    scope: log
    patterns:
      raw: SignOut.aspx
    selections:
      exploit:
        cs-method: POST
        cs-uri-stem|endswith: [/ToolPane.aspx, /ToolPane.aspx/]
        cs-uri-query|decoded|contains|all: [DisplayMode=Edit, ToolPane]
      referer:
        - cs-referer|re: '(?i)SignOut\.aspx$'
        - cs-referer: null
      net:
        c-ip|cidr: [10.0.0.0/8, "2001:db8::/32"]
        x-custom-field|exists: true
    condition: exploit and (referer or raw) and not net
"#;

    #[test]
    fn loads_log_rules_with_selections() {
        use crate::logs::Field;
        use crate::rules::model::{FieldName, FieldOp};
        let (rules, diags) = load(LOG_RULE);
        assert!(diags.is_empty(), "{diags:?}");
        let r = &rules[0];
        assert_eq!(r.scope, Scope::Log);
        assert_eq!(r.selections.len(), 3);
        let exploit = &r.selections[0].alternatives[0];
        assert_eq!(exploit[0].field, FieldName::Known(Field::Method));
        assert_eq!(exploit[1].op, FieldOp::EndsWith);
        assert_eq!(exploit[1].values.len(), 2);
        assert!(exploit[2].decoded && exploit[2].all);
        assert_eq!(r.selections[1].alternatives.len(), 2);
        assert!(r.selections[1].alternatives[1][0].null);
        assert_eq!(
            r.selections[2].alternatives[0][1].field,
            FieldName::Custom("x-custom-field".into())
        );
    }

    #[test]
    fn log_rule_mistakes_point_at_the_spot() {
        let bad_mod = LOG_RULE.replace("cs-uri-stem|endswith", "cs-uri-stem|endwith");
        let (pos, msg) = first_error(&bad_mod);
        assert_eq!(pos, Pos::new(12, 21));
        assert!(msg.contains("unknown modifier `endwith`"), "{msg}");
        let bad_cidr = LOG_RULE.replace("10.0.0.0/8", "10.0.0.0/33");
        assert_eq!(first_error(&bad_cidr).0.line, 18);
        let bad_cond = LOG_RULE.replace("not net", "not nett");
        assert!(first_error(&bad_cond).1.contains("unknown pattern `nett`"));
    }

    #[test]
    fn a_bad_rule_does_not_drop_the_good_ones() {
        let text = "rules:\n  - id: a\n    name: n\n    severity: nope\n    patterns: {a: b}\n  - id: b\n    name: n\n    severity: low\n    patterns: {a: b}\n";
        let (rules, diags) = load(text);
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].id, "b");
        assert_eq!(diags.len(), 1);
    }
}
