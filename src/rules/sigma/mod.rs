//! Sigma rules for web-server logs, compiled into log rules.
//!
//! A Sigma rule becomes an ordinary `scope: log` rule: its search identifiers become
//! selections (field tests) or, for keyword lists, patterns on the raw line, and its
//! condition an [`Expr`] over them. So Sigma rules go through the same record gate, line
//! prefilter and engine as ours, with no second matcher to keep in step.
//!
//! Only rules for web-server logs apply (`category: webserver`, or product `iis`, `apache`
//! or `nginx`); the others are counted, not loaded. A rule that uses something shellsweep
//! does not evaluate is refused with a warning that says what, so a folder of Sigma rules
//! loads what it can and names the rest.

mod condition;
mod value;

use std::sync::Arc;

use super::codes::{Code, Report};
use super::condition::Expr;
use super::model::{FieldName, FieldOp, FieldTest, Pattern, PatternKind, Rule, Scope, Selection};
use crate::common::diag::{Pos, Sink};
use crate::common::severity::Severity;
use crate::common::yaml::{self, Node, Value};
use value::Shape;

/// The most strings one value may expand to (`windash` over several dashes).
const MAX_EXPANSION: usize = 256;

/// What became of one Sigma file.
#[derive(Debug)]
pub(crate) enum Outcome {
    Loaded(Box<Rule>),
    /// Its logsource is not a web server's (the logsource, for the count).
    NotApplicable(String),
    /// It uses something not supported; a warning says what.
    Refused,
    /// It is not a Sigma rule; an error says why.
    Invalid,
}

/// Something about a rule that stops it loading: unsupported (a warning) or wrong (an
/// error), with where.
struct Stop {
    code: Code,
    pos: Pos,
    message: String,
}

fn unsupported(pos: Pos, message: impl Into<String>) -> Stop {
    Stop {
        code: Code::SigmaUnsupported,
        pos,
        message: message.into(),
    }
}

fn invalid(pos: Pos, message: impl Into<String>) -> Stop {
    Stop {
        code: Code::SigmaInvalid,
        pos,
        message: message.into(),
    }
}

/// Reads one Sigma rule file.
pub(crate) fn load_text(sink: &mut Sink<'_>, source: &Arc<str>, stem: &str, text: &str) -> Outcome {
    let root = match yaml::parse(text) {
        Ok(Some(root)) => root,
        Ok(None) => {
            sink.report_code(Code::EmptyFile, Pos::new(1, 1), "the rule file is empty");
            return Outcome::Invalid;
        }
        Err(e) => {
            sink.report_code(
                Code::YamlSyntax,
                e.pos,
                format!("YAML syntax: {}", e.message),
            );
            return Outcome::Invalid;
        }
    };
    match rule(&root, source, stem) {
        Ok(Ok(rule)) => Outcome::Loaded(Box::new(rule)),
        Ok(Err(logsource)) => Outcome::NotApplicable(logsource),
        Err(stop) => {
            let refused = stop.code == Code::SigmaUnsupported;
            let message = if refused {
                format!("Sigma rule not loaded: {}", stop.message)
            } else {
                stop.message
            };
            sink.report_code(stop.code, stop.pos, message);
            if refused {
                Outcome::Refused
            } else {
                Outcome::Invalid
            }
        }
    }
}

fn get<'n>(entries: &'n [(Node, Node)], key: &str) -> Option<&'n Node> {
    entries
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

fn text_of(node: Option<&Node>) -> String {
    node.and_then(Node::as_str)
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn list_of(node: Option<&Node>) -> Vec<String> {
    match node.map(|n| &n.value) {
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(Node::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::Scalar { text, .. }) if !text.is_empty() => vec![text.clone()],
        _ => Vec::new(),
    }
}

/// The rule, or (in `Ok(Err)`) the logsource that makes it not applicable.
fn rule(root: &Node, source: &Arc<str>, stem: &str) -> Result<Result<Rule, String>, Stop> {
    let Value::Map(top) = &root.value else {
        return Err(invalid(root.pos, "a Sigma rule is a mapping"));
    };
    if let Some(v) = get(top, "correlation") {
        return Err(unsupported(v.pos, "correlation rules are not supported"));
    }
    let Some(logsource) = get(top, "logsource") else {
        return Err(invalid(root.pos, "a Sigma rule needs `logsource`"));
    };
    let Value::Map(ls) = &logsource.value else {
        return Err(invalid(logsource.pos, "`logsource` must be a mapping"));
    };
    let category = text_of(get(ls, "category")).to_ascii_lowercase();
    let product = text_of(get(ls, "product")).to_ascii_lowercase();
    if category != "webserver" && !matches!(product.as_str(), "iis" | "apache" | "nginx") {
        let shown: Vec<String> = ["category", "product", "service"]
            .iter()
            .filter_map(|k| {
                let v = text_of(get(ls, k));
                (!v.is_empty()).then(|| format!("{k}: {v}"))
            })
            .collect();
        return Ok(Err(shown.join(", ")));
    }
    let Some(detection) = get(top, "detection") else {
        return Err(invalid(root.pos, "a Sigma rule needs `detection`"));
    };
    let title = text_of(get(top, "title"));
    if title.is_empty() {
        return Err(invalid(root.pos, "a Sigma rule needs a `title`"));
    }
    let id = match text_of(get(top, "id")) {
        id if id.is_empty() => stem.to_owned(),
        id => id,
    };
    let severity = match text_of(get(top, "level")).to_ascii_lowercase().as_str() {
        "informational" | "low" => Severity::Low,
        "" | "medium" => Severity::Medium,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        other => {
            let pos = get(top, "level").map_or(root.pos, |n| n.pos);
            return Err(invalid(pos, format!("unknown Sigma level `{other}`")));
        }
    };
    let (patterns, selections, condition) = compile_detection(detection)?;
    let status = Some(text_of(get(top, "status"))).filter(|s| !s.is_empty());
    Ok(Ok(Rule {
        id,
        name: title,
        severity,
        scope: Scope::Log,
        description: text_of(get(top, "description")),
        author: text_of(get(top, "author")),
        references: list_of(get(top, "references")),
        tags: list_of(get(top, "tags")),
        ruleset: Arc::from("sigma"),
        source: source.clone(),
        files: Default::default(),
        patterns,
        selections,
        score: severity.default_score(),
        hunt: false,
        condition,
        status,
        falsepositives: list_of(get(top, "falsepositives")),
    }))
}

/// A search identifier, compiled.
enum Search {
    Selection(Selection),
    /// Keyword values anywhere in the line: any of them, or all of them (`'|all'`).
    Keywords(Vec<Pattern>, bool),
}

fn compile_detection(detection: &Node) -> Result<(Vec<Pattern>, Vec<Selection>, Expr), Stop> {
    let Value::Map(entries) = &detection.value else {
        return Err(invalid(detection.pos, "`detection` must be a mapping"));
    };
    let mut searches: Vec<(String, Search)> = Vec::new();
    let mut condition_node = None;
    for (key, value) in entries {
        let name = key.as_str().unwrap_or_default();
        match name {
            "condition" => condition_node = Some(value),
            "timeframe" => {
                return Err(unsupported(key.pos, "`timeframe` (aggregations over time)"));
            }
            _ => searches.push((name.to_owned(), search(name, key, value)?)),
        }
    }
    let Some(cond) = condition_node else {
        return Err(invalid(detection.pos, "`detection` needs a `condition`"));
    };
    // Patterns first, then selections, as the rule model numbers its items.
    let mut patterns = Vec::new();
    let mut selections = Vec::new();
    let mut keyword_items: Vec<(String, Vec<usize>, bool)> = Vec::new();
    let mut selection_at: Vec<(String, usize)> = Vec::new();
    for (name, s) in searches {
        match s {
            Search::Keywords(ps, all) => {
                let start = patterns.len();
                patterns.extend(ps);
                keyword_items.push((name, (start..patterns.len()).collect(), all));
            }
            Search::Selection(sel) => {
                selection_at.push((name, selections.len()));
                selections.push(sel);
            }
        }
    }
    let names: Vec<String> = entries
        .iter()
        .filter_map(|(k, _)| k.as_str())
        .filter(|k| *k != "condition")
        .map(str::to_owned)
        .collect();
    let n_patterns = patterns.len();
    let ident = |name: &str| -> Expr {
        if let Some((_, i)) = selection_at.iter().find(|(n, _)| n == name) {
            return Expr::Matched(n_patterns + i);
        }
        match keyword_items.iter().find(|(n, ..)| n == name) {
            Some((_, items, _)) if items.len() == 1 => Expr::Matched(items[0]),
            Some((_, items, true)) => Expr::And(items.iter().map(|&i| Expr::Matched(i)).collect()),
            Some((_, items, false)) => Expr::Or(items.iter().map(|&i| Expr::Matched(i)).collect()),
            None => Expr::Const(false),
        }
    };
    let texts: Vec<(String, Pos)> = match &cond.value {
        Value::Scalar { text, .. } => vec![(text.clone(), cond.pos)],
        Value::Seq(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(|t| (t.to_owned(), i.pos))
                    .ok_or_else(|| invalid(i.pos, "a condition must be a string"))
            })
            .collect::<Result<_, _>>()?,
        Value::Map(_) => return Err(invalid(cond.pos, "a condition must be a string")),
    };
    let mut exprs = Vec::new();
    for (text, pos) in texts {
        exprs.push(
            condition::parse(&text, &names, &ident).map_err(|p| match p {
                condition::Problem::Unsupported(m) => unsupported(pos, m),
                condition::Problem::Invalid(m) => invalid(pos, m),
            })?,
        );
    }
    let expr = if exprs.len() == 1 {
        exprs.remove(0)
    } else {
        Expr::Or(exprs)
    };
    Ok((patterns, selections, expr))
}

fn search(name: &str, key: &Node, value: &Node) -> Result<Search, Stop> {
    match &value.value {
        // `'|all': [a, b]`: keywords with modifiers, the key naming no field.
        Value::Map(entries)
            if entries
                .iter()
                .any(|(k, _)| k.as_str().is_some_and(|k| k.starts_with('|'))) =>
        {
            let [(k, v)] = entries.as_slice() else {
                return Err(unsupported(
                    value.pos,
                    format!("`{name}` mixes keyword modifiers with other keys"),
                ));
            };
            let mods = k.as_str().unwrap_or_default();
            let all = match mods {
                "|all" | "|contains|all" | "|all|contains" => true,
                "|contains" => false,
                _ => return Err(unsupported(k.pos, format!("keyword modifiers `{mods}`"))),
            };
            let items = match &v.value {
                Value::Seq(items) if !items.is_empty() => items.as_slice(),
                Value::Scalar { .. } => std::slice::from_ref(v),
                _ => {
                    return Err(invalid(
                        v.pos,
                        format!("`{name}`: keywords must be a list of strings"),
                    ));
                }
            };
            keywords(name, items).map(|ps| Search::Keywords(ps, all))
        }
        Value::Map(_) => Ok(Search::Selection(Selection {
            name: name.to_owned(),
            alternatives: vec![alternative(name, value)?],
            pos: key.pos,
        })),
        Value::Seq(items)
            if !items.is_empty() && items.iter().all(|i| matches!(i.value, Value::Map(_))) =>
        {
            Ok(Search::Selection(Selection {
                name: name.to_owned(),
                alternatives: items
                    .iter()
                    .map(|i| alternative(name, i))
                    .collect::<Result<_, _>>()?,
                pos: key.pos,
            }))
        }
        Value::Seq(items)
            if !items.is_empty()
                && items
                    .iter()
                    .all(|i| matches!(i.value, Value::Scalar { .. })) =>
        {
            keywords(name, items).map(|ps| Search::Keywords(ps, false))
        }
        Value::Scalar { .. } if !value.is_null() => {
            keywords(name, std::slice::from_ref(value)).map(|ps| Search::Keywords(ps, false))
        }
        Value::Seq(items) if items.is_empty() => Err(invalid(
            value.pos,
            format!("search identifier `{name}` is an empty list"),
        )),
        Value::Seq(_) => Err(unsupported(
            value.pos,
            format!("search identifier `{name}` mixes keywords and field maps"),
        )),
        Value::Scalar { .. } => Err(invalid(
            value.pos,
            format!("search identifier `{name}` is empty"),
        )),
    }
}

fn keywords(name: &str, items: &[Node]) -> Result<Vec<Pattern>, Stop> {
    let mut out = Vec::new();
    for item in items {
        let text = item.as_str().unwrap_or_default();
        if matches!(item.value, Value::Seq(_) | Value::Map(_)) {
            return Err(invalid(item.pos, "keywords must be strings"));
        }
        if item.is_null() || text.is_empty() {
            return Err(unsupported(item.pos, "an empty or null keyword"));
        }
        let pieces = value::parse(text);
        let kind = match value::literal(&pieces) {
            Some(lit) => PatternKind::Literal(lit.into_bytes()),
            None => PatternKind::Regex(format!("(?is){}", value::regex_body(&pieces))),
        };
        out.push(Pattern {
            name: if items.len() == 1 {
                name.to_owned()
            } else {
                format!("{name}.{}", out.len() + 1)
            },
            kind,
            nocase: true,
            fullword: false,
            ascii: true,
            wide: false,
            pos: item.pos,
            parsed: None,
        });
    }
    Ok(out)
}

fn alternative(name: &str, node: &Node) -> Result<Vec<FieldTest>, Stop> {
    let Value::Map(tests) = &node.value else {
        return Err(invalid(
            node.pos,
            format!("`{name}`: expected a mapping of field tests"),
        ));
    };
    if tests.is_empty() {
        return Err(invalid(node.pos, format!("`{name}` is an empty mapping")));
    }
    tests.iter().map(|(k, v)| field_test(k, v)).collect()
}

/// Sigma's `webserver` taxonomy onto the parsed records; `None` for names outside it.
fn taxonomy(name: &str) -> Option<FieldName> {
    match name {
        // The taxonomy's own spellings that the log vocabulary has under another name.
        "c-useragent" | "cs-user-agent" => FieldName::known("cs-user-agent"),
        "r-dns" | "c-dns" => None,
        _ => FieldName::known(name).filter(|f| !matches!(f, FieldName::Custom(_))),
    }
}

/// Modifiers that change the values before they are compared.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Transform {
    Base64,
    Base64Offset,
    Windash,
}

fn field_test(key: &Node, value: &Node) -> Result<FieldTest, Stop> {
    let spec = key.as_str().unwrap_or_default();
    let mut parts = spec.split('|');
    let field_name = parts.next().unwrap_or_default();
    if field_name.is_empty() {
        return Err(unsupported(
            key.pos,
            "keyword lists with modifiers (`'|all'`)",
        ));
    }
    let Some(field) = taxonomy(field_name) else {
        return Err(unsupported(
            key.pos,
            format!("field `{field_name}` is not in the webserver taxonomy shellsweep maps"),
        ));
    };
    let mut op: Option<&str> = None;
    let mut transforms = Vec::new();
    let mut all = false;
    let mut cased = false;
    let mut re_flags = String::new();
    for m in parts {
        match m {
            "contains" | "startswith" | "endswith" | "re" | "cidr" | "exists" | "fieldref" => {
                if let Some(prev) = op {
                    return Err(unsupported(
                        key.pos,
                        format!("modifiers `{prev}` and `{m}` together"),
                    ));
                }
                op = Some(m);
            }
            "all" => all = true,
            "cased" => cased = true,
            "base64" => transforms.push(Transform::Base64),
            "base64offset" => transforms.push(Transform::Base64Offset),
            "windash" => transforms.push(Transform::Windash),
            "i" | "m" | "s" if op == Some("re") => re_flags.push_str(m),
            "i" | "m" | "s" => {
                return Err(invalid(
                    key.pos,
                    format!("`{m}` is a flag of `re` and must follow it"),
                ));
            }
            "gt" | "gte" | "lt" | "lte" | "expand" | "wide" | "utf16le" | "utf16be" | "utf16"
            | "minute" | "hour" | "day" | "week" | "month" | "year" => {
                return Err(unsupported(key.pos, format!("modifier `{m}`")));
            }
            other => {
                return Err(invalid(
                    key.pos,
                    format!("unknown Sigma modifier `{other}`"),
                ));
            }
        }
    }
    let mut test = FieldTest {
        field,
        op: FieldOp::Equals,
        values: Vec::new(),
        null: false,
        all,
        cased,
        decoded: false,
        pos: key.pos,
    };
    let items: Vec<&Node> = match &value.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Scalar { .. } => vec![value],
        Value::Map(_) => {
            return Err(invalid(
                value.pos,
                "a field test takes a value or a list of values",
            ));
        }
    };
    if items.is_empty() {
        return Err(invalid(value.pos, "a field test with an empty list"));
    }
    if let Some(bad) = items
        .iter()
        .find(|i| !matches!(i.value, Value::Scalar { .. }))
    {
        return Err(invalid(bad.pos, "values must be strings or numbers"));
    }
    match op {
        Some("exists") => {
            test.op = match value.as_str() {
                Some("true") => FieldOp::Exists(true),
                Some("false") => FieldOp::Exists(false),
                _ => return Err(invalid(value.pos, "`exists` takes true or false")),
            };
            return Ok(test);
        }
        Some("fieldref") => {
            test.op = FieldOp::FieldRef;
            for i in &items {
                let name = i.as_str().unwrap_or_default();
                let f = taxonomy(name).ok_or_else(|| {
                    unsupported(
                        i.pos,
                        format!("field `{name}` is not in the webserver taxonomy shellsweep maps"),
                    )
                })?;
                test.values.push(f.name().to_owned());
            }
            return Ok(test);
        }
        Some("re") | Some("cidr") => {
            if !transforms.is_empty() {
                return Err(unsupported(key.pos, "value modifiers with `re` or `cidr`"));
            }
            test.op = if op == Some("re") {
                FieldOp::Regex
            } else {
                FieldOp::Cidr
            };
            for i in &items {
                let v = i.as_str().unwrap_or_default().to_owned();
                if test.op == FieldOp::Cidr {
                    if crate::common::net::parse_cidr(&v).is_none() {
                        return Err(invalid(i.pos, format!("`{v}` is not a CIDR network")));
                    }
                    test.values.push(v);
                } else {
                    check_regex(&v, i.pos)?;
                    let flags = if re_flags.is_empty() {
                        String::new()
                    } else {
                        format!("(?{re_flags})")
                    };
                    test.values.push(format!("{flags}{v}"));
                }
            }
            return Ok(test);
        }
        _ => {}
    }
    // Strings: transforms, then the comparison with its wildcards.
    let mut shapes = Vec::new();
    for i in &items {
        if i.is_null() {
            if op.is_some() || !transforms.is_empty() {
                return Err(unsupported(i.pos, "`null` with a modifier"));
            }
            test.null = true;
            continue;
        }
        let raw = i.as_str().unwrap_or_default();
        if raw.is_empty() {
            if op.is_some() || !transforms.is_empty() {
                return Err(unsupported(i.pos, "an empty value with a modifier"));
            }
            // An empty field is logged as `-`, which the parsers read as absent.
            test.null = true;
            continue;
        }
        let base64ed = transforms.iter().any(|t| *t != Transform::Windash);
        if base64ed && value::has_wildcards(&value::parse(raw)) {
            return Err(unsupported(i.pos, "wildcards in a `base64` value"));
        }
        let mut variants = vec![raw.to_owned()];
        for t in &transforms {
            variants = match t {
                Transform::Base64 => variants
                    .iter()
                    .map(|v| value::base64(&unescape(v)))
                    .collect(),
                Transform::Base64Offset => variants
                    .iter()
                    .flat_map(|v| value::base64offset(&unescape(v)))
                    .collect(),
                Transform::Windash => {
                    let mut out = Vec::new();
                    for v in &variants {
                        out.extend(value::windash(v, MAX_EXPANSION).ok_or_else(|| {
                            unsupported(i.pos, "`windash` over a value with too many dashes")
                        })?);
                    }
                    out
                }
            };
        }
        for v in variants {
            // Base64 output holds no wildcards; escape it so `+`/`/` stay literal.
            let mut pieces = if base64ed {
                v.chars().map(value::Piece::Lit).collect()
            } else {
                value::parse(&v)
            };
            match op {
                Some("contains") => {
                    pieces.insert(0, value::Piece::Any);
                    pieces.push(value::Piece::Any);
                }
                Some("startswith") => pieces.push(value::Piece::Any),
                Some("endswith") => pieces.insert(0, value::Piece::Any),
                _ => {}
            }
            shapes.push(value::shape(&pieces));
        }
    }
    if shapes.len() > MAX_EXPANSION * 4 {
        return Err(unsupported(
            value.pos,
            "a field test that expands to too many values",
        ));
    }
    let kind = |s: &Shape| std::mem::discriminant(s);
    let same = shapes.windows(2).all(|w| kind(&w[0]) == kind(&w[1]));
    if same && !matches!(shapes.first(), Some(Shape::Regex(_))) {
        for s in shapes {
            let (op, v) = match s {
                Shape::Equals(v) => (FieldOp::Equals, v),
                Shape::Contains(v) => (FieldOp::Contains, v),
                Shape::StartsWith(v) => (FieldOp::StartsWith, v),
                Shape::EndsWith(v) => (FieldOp::EndsWith, v),
                Shape::Regex(_) => unreachable!("checked above"),
            };
            test.op = op;
            test.values.push(v);
        }
    } else {
        test.op = FieldOp::Regex;
        let flags = if cased { "(?s)" } else { "(?is)" };
        for s in shapes {
            let body = match s {
                Shape::Equals(v) => format!("^{}$", regex_syntax::escape(&v)),
                Shape::Contains(v) => regex_syntax::escape(&v),
                Shape::StartsWith(v) => format!("^{}", regex_syntax::escape(&v)),
                Shape::EndsWith(v) => format!("{}$", regex_syntax::escape(&v)),
                Shape::Regex(r) => r,
            };
            test.values.push(format!("{flags}{body}"));
        }
    }
    if test.values.is_empty() && !test.null {
        return Err(invalid(value.pos, "a field test needs at least one value"));
    }
    if test.null && !test.values.is_empty() && test.all {
        return Err(unsupported(value.pos, "`null` in an `all` list"));
    }
    Ok(test)
}

/// A value's wildcard escapes read, for the modifiers that encode the plain string.
fn unescape(v: &str) -> String {
    value::literal(&value::parse(v)).unwrap_or_else(|| v.to_owned())
}

fn check_regex(v: &str, pos: Pos) -> Result<(), Stop> {
    match regex_syntax::ParserBuilder::new()
        .utf8(false)
        .unicode(false)
        .build()
        .parse(v)
    {
        Ok(_) => match super::regex_size::judge(v) {
            super::regex_size::Verdict::TooLarge(message, _) => Err(unsupported(pos, message)),
            _ => Ok(()),
        },
        Err(e) => Err(unsupported(
            pos,
            format!(
                "a regex shellsweep's engine does not take (lookaround, backreferences, ...): {e}"
            ),
        )),
    }
}

#[cfg(test)]
mod tests;
