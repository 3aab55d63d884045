//! A rule's `patterns:`: each pattern's kind, value and modifiers, checked as the engine
//! will compile them.

use super::{flag, offset_pos, scalar};
use crate::common::diag::{Pos, Sink};
use crate::common::yaml::{Node, Value};
use crate::rules::codes::{Code, Report};
use crate::rules::condition;
use crate::rules::model::{Pattern, PatternKind};
use crate::rules::regex_size;

const PATTERN_KEYS: &[&str] = &[
    "text", "hex", "regex", "nocase", "fullword", "wide", "ascii",
];

pub(super) fn patterns(sink: &mut Sink<'_>, node: &Node) -> Vec<Pattern> {
    let Value::Map(entries) = &node.value else {
        sink.report_code(
            Code::WrongType,
            node.pos,
            format!(
                "`patterns` must be a mapping of name to pattern, found {}",
                node.kind_name()
            ),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in entries {
        let name = key.as_str().unwrap_or_default().trim_start_matches('$');
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            sink.report_code(Code::BadName, key.pos, format!("pattern name `{name}` must start with a letter or `_` and hold only letters, digits and `_`"));
            continue;
        }
        if condition::is_keyword(name) {
            sink.report_code(
                Code::BadName,
                key.pos,
                format!("`{name}` is a condition keyword and cannot name a pattern"),
            );
            continue;
        }
        if let Some(p) = pattern(sink, name, value) {
            out.push(p);
        }
    }
    out
}

fn pattern(sink: &mut Sink<'_>, name: &str, node: &Node) -> Option<Pattern> {
    let mut p = Pattern {
        name: name.to_owned(),
        kind: PatternKind::Literal(Vec::new()),
        nocase: false,
        fullword: false,
        ascii: true,
        wide: false,
        pos: node.pos,
        parsed: None,
    };
    let entries = match &node.value {
        Value::Scalar { text, .. } => {
            if text.is_empty() {
                sink.report_code(
                    Code::EmptyPattern,
                    node.pos,
                    format!("pattern `{name}` is empty"),
                );
                return None;
            }
            p.kind = PatternKind::Literal(text.as_bytes().to_vec());
            return Some(p);
        }
        Value::Map(entries) => entries,
        Value::Seq(_) => {
            sink.report_code(
                Code::PatternKind,
                node.pos,
                format!(
                    "pattern `{name}` must be a string or a mapping with `text`, `hex` or `regex`"
                ),
            );
            return None;
        }
    };
    let mut kind: Option<(PatternKind, Pos)> = None;
    let mut parsed = None;
    // `nocase` as it will end up (the last one given, and only a true `true`), so that the
    // regex is parsed once, with the flags the engine compiles with, wherever it stands.
    let nocase = entries
        .iter()
        .rfind(|(k, _)| k.as_str() == Some("nocase"))
        .is_some_and(|(_, v)| v.as_str() == Some("true"));
    let mut ascii_given = None;
    let ok_before = !sink.has_errors();
    for (key, value) in entries {
        let k = key.as_str().unwrap_or_default();
        match k {
            "text" | "hex" | "regex" => {
                if kind.is_some() {
                    sink.report_code(
                        Code::PatternKind,
                        key.pos,
                        format!("pattern `{name}` has more than one of `text`, `hex`, `regex`"),
                    );
                    continue;
                }
                let Some(s) = scalar(sink, value, k) else {
                    continue;
                };
                if s.is_empty() {
                    sink.report_code(
                        Code::EmptyPattern,
                        value.pos,
                        format!("pattern `{name}` is empty"),
                    );
                    continue;
                }
                let parsed = match k {
                    "text" => Some(PatternKind::Literal(s.into_bytes())),
                    "hex" => parse_hex(sink, value, &s).map(PatternKind::Literal),
                    _ => check_regex(sink, value, &s, nocase).map(|hir| {
                        parsed = hir;
                        PatternKind::Regex(s)
                    }),
                };
                if let Some(parsed) = parsed {
                    kind = Some((parsed, value.pos));
                }
            }
            "nocase" => p.nocase = flag(sink, value, k),
            "fullword" => p.fullword = flag(sink, value, k),
            "wide" => p.wide = flag(sink, value, k),
            "ascii" => ascii_given = Some((flag(sink, value, k), key.pos)),
            _ => sink.report_code(
                Code::UnknownPatternKey,
                key.pos,
                format!(
                    "unknown pattern key `{k}` (known: {})",
                    PATTERN_KEYS.join(", ")
                ),
            ),
        }
    }
    let Some((kind, pos)) = kind else {
        if ok_before && !sink.has_errors() {
            sink.report_code(
                Code::PatternKind,
                node.pos,
                format!("pattern `{name}` needs one of `text`, `hex` or `regex`"),
            );
        }
        return None;
    };
    p.pos = pos;
    // As in YARA: `wide` alone means only the wide form; `ascii: true` adds the plain one.
    p.ascii = ascii_given.map_or(!p.wide, |(a, _)| a);
    if !p.ascii && !p.wide {
        sink.report_code(
            Code::ModifierConflict,
            ascii_given.map_or(node.pos, |(_, pos)| pos),
            format!("pattern `{name}` with `ascii: false` and no `wide` can never match"),
        );
    }
    match &kind {
        PatternKind::Regex(_) if p.wide => {
            sink.report_code(
                Code::ModifierConflict,
                pos,
                format!("pattern `{name}`: `wide` is not supported for regex patterns"),
            );
        }
        PatternKind::Literal(_)
            if p.nocase && entries.iter().any(|(k, _)| k.as_str() == Some("hex")) =>
        {
            sink.report_code(
                Code::ModifierConflict,
                pos,
                format!("pattern `{name}`: `nocase` does not apply to hex bytes"),
            );
        }
        _ => {}
    }
    p.kind = kind;
    p.parsed = parsed;
    Some(p)
}

fn parse_hex(sink: &mut Sink<'_>, node: &Node, s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut high: Option<u8> = None;
    for (i, c) in s.chars().enumerate() {
        if c.is_whitespace() {
            continue;
        }
        let Some(d) = c.to_digit(16) else {
            sink.report_code(
                Code::BadHex,
                offset_pos(node, s, i),
                format!("`{}` is not a hex digit", c.escape_default()),
            );
            return None;
        };
        match high.take() {
            None => high = Some(d as u8),
            Some(h) => out.push(h << 4 | d as u8),
        }
    }
    if high.is_some() {
        sink.report_code(
            Code::BadHex,
            node.pos,
            "hex pattern has an odd number of digits",
        );
        return None;
    }
    Some(out)
}

/// Checks the syntax with the same flags the engine compiles with. Bundled regexes are
/// checked by the test suite (`bundled_rules_load_without_errors`), not at every start.
/// `None`: refused (reported); `Some(None)`: not checked (bundled); otherwise the parsed
/// regex, which the engine takes instead of parsing it again.
fn check_regex(
    sink: &mut Sink<'_>,
    node: &Node,
    s: &str,
    nocase: bool,
) -> Option<Option<regex_syntax::hir::Hir>> {
    if sink.is_trusted() {
        return Some(None);
    }
    // regex_syntax::Parser's two steps, so that the size check reads the same syntax tree.
    let ast = match regex_syntax::ast::parse::Parser::new().parse(s) {
        Ok(ast) => ast,
        Err(e) => {
            report_syntax(sink, node, s, &e.into());
            return None;
        }
    };
    let hir = match regex_syntax::hir::translate::TranslatorBuilder::new()
        .unicode(false)
        .utf8(false)
        .case_insensitive(nocase)
        .build()
        .translate(s, &ast)
    {
        Ok(hir) => hir,
        Err(e) => {
            report_syntax(sink, node, s, &e.into());
            return None;
        }
    };
    // ASCII case folding turns a byte into a class of one byte: the minimum length does not
    // depend on `nocase`.
    if hir.properties().minimum_len() == Some(0) {
        sink.report_code(
            Code::RegexMatchesEmpty,
            node.pos,
            "regex can match the empty string, so it would match everywhere",
        );
        return None;
    }
    match regex_size::judge_ast(s, &ast) {
        // Large ones are warned about by `rules check` (see `rules::regex_size_warning`),
        // not in every scan.
        regex_size::Verdict::Fine | regex_size::Verdict::Slow(..) => Some(Some(hir)),
        regex_size::Verdict::TooLarge(message, offset) => {
            let at = s.get(..offset).map_or(0, |p| p.chars().count());
            sink.report_code(Code::RegexTooLarge, offset_pos(node, s, at), message);
            None
        }
    }
}

/// A regex that does not parse, reported at the character the parser points at.
fn report_syntax(sink: &mut Sink<'_>, node: &Node, s: &str, e: &regex_syntax::Error) {
    let (offset, message) = match e {
        regex_syntax::Error::Parse(p) => (p.span().start.offset, p.kind().to_string()),
        regex_syntax::Error::Translate(t) => (t.span().start.offset, t.kind().to_string()),
        other => (0, other.to_string()),
    };
    let char_offset = s.get(..offset).map_or(0, |p| p.chars().count());
    sink.report_code(
        Code::RegexSyntax,
        offset_pos(node, s, char_offset),
        format!("regex: {message}"),
    );
}
