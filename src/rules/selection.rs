//! `selections:` of log rules: named groups of field tests, in the spirit of Sigma.
//!
//! ```yaml
//! selections:
//!   exploit:
//!     cs-method: POST
//!     cs-uri-stem|endswith: [/ToolPane.aspx, /ToolPane.aspx/]
//!     cs-uri-query|contains: DisplayMode=Edit
//!   odd_referer:
//!     - cs-referer|re: '(?i)/_layouts/(\d+/)?SignOut\.aspx$'
//!     - cs-referer: null
//! ```
//!
//! Keys of a mapping must all hold; a list of values means any of them (`all` for every
//! one); a list of mappings means any of the mappings.

use super::codes::{Code, Report};
use super::model::{FieldName, FieldOp, FieldTest, Selection};
use crate::common::diag::{Pos, Sink};
use crate::common::yaml::{Node, Value};

pub(crate) fn selections(sink: &mut Sink<'_>, node: &Node) -> Vec<Selection> {
    let Value::Map(entries) = &node.value else {
        sink.report_code(
            Code::WrongType,
            node.pos,
            format!(
                "`selections` must be a mapping of name to field tests, found {}",
                node.kind_name()
            ),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in entries {
        let name = key.as_str().unwrap_or_default();
        let alternatives: Vec<&Node> = match &value.value {
            Value::Map(_) => vec![value],
            Value::Seq(items) if !items.is_empty() => items.iter().collect(),
            _ => {
                sink.report_code(Code::WrongType, value.pos, format!("selection `{name}` must be a mapping of field tests, or a list of such mappings"));
                continue;
            }
        };
        let mut alts = Vec::new();
        for alt in alternatives {
            let Value::Map(tests) = &alt.value else {
                sink.report_code(
                    Code::WrongType,
                    alt.pos,
                    format!(
                        "selection `{name}`: each alternative must be a mapping of field tests"
                    ),
                );
                continue;
            };
            if tests.is_empty() {
                sink.report_code(
                    Code::BadFieldValue,
                    alt.pos,
                    format!("selection `{name}` has an empty alternative"),
                );
                continue;
            }
            alts.push(
                tests
                    .iter()
                    .filter_map(|(k, v)| field_test(sink, k, v))
                    .collect::<Vec<_>>(),
            );
        }
        out.push(Selection {
            name: name.to_owned(),
            alternatives: alts,
            pos: key.pos,
        });
    }
    out
}

fn field_test(sink: &mut Sink<'_>, key: &Node, value: &Node) -> Option<FieldTest> {
    let spec = key.as_str().unwrap_or_default();
    let mut parts = spec.split('|');
    let field_name = parts.next().unwrap_or_default().trim();
    let field = match FieldName::known(field_name) {
        Some(f) => f,
        None if field_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_()".contains(c))
            && !field_name.is_empty() =>
        {
            FieldName::Custom(field_name.to_ascii_lowercase())
        }
        None => {
            sink.report_code(
                Code::BadFieldName,
                key.pos,
                format!("`{field_name}` is not a field name"),
            );
            return None;
        }
    };
    let mut test = FieldTest {
        field,
        op: FieldOp::Equals,
        values: Vec::new(),
        null: false,
        all: false,
        cased: false,
        decoded: false,
        pos: key.pos,
    };
    let mut op_set = false;
    let mut col = field_name.chars().count() + 1;
    for m in parts {
        let pos = key.pos.shifted(col);
        col += m.chars().count() + 1;
        let op = match m {
            "contains" => Some(FieldOp::Contains),
            "startswith" => Some(FieldOp::StartsWith),
            "endswith" => Some(FieldOp::EndsWith),
            "re" => Some(FieldOp::Regex),
            "cidr" => Some(FieldOp::Cidr),
            "exists" => Some(FieldOp::Exists(true)),
            "all" => {
                test.all = true;
                None
            }
            "cased" => {
                test.cased = true;
                None
            }
            "decoded" => {
                test.decoded = true;
                None
            }
            other => {
                sink.report_code(Code::UnknownModifier, pos, format!("unknown modifier `{other}` (contains, startswith, endswith, re, cidr, exists, all, cased, decoded)"));
                return None;
            }
        };
        if let Some(op) = op {
            if op_set {
                sink.report_code(
                    Code::TwoOperators,
                    pos,
                    "only one of contains, startswith, endswith, re, cidr, exists per test",
                );
                return None;
            }
            test.op = op;
            op_set = true;
        }
    }
    let items: Vec<&Node> = match &value.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Scalar { .. } => vec![value],
        Value::Map(_) => {
            sink.report_code(
                Code::BadFieldValue,
                value.pos,
                "a field test takes a value or a list of values",
            );
            return None;
        }
    };
    if let FieldOp::Exists(_) = test.op {
        return match value.as_str() {
            Some("true") => Some(test),
            Some("false") => {
                test.op = FieldOp::Exists(false);
                Some(test)
            }
            _ => {
                sink.report_code(
                    Code::BadFieldValue,
                    value.pos,
                    "`exists` takes true or false",
                );
                None
            }
        };
    }
    for item in items {
        if item.is_null() {
            test.null = true;
            continue;
        }
        let Some(v) = item.as_str() else {
            sink.report_code(Code::BadFieldValue, item.pos, "values must be strings");
            return None;
        };
        if !check_value(sink, &test, item.pos, v) {
            return None;
        }
        test.values.push(v.to_owned());
    }
    if test.values.is_empty() && !test.null {
        sink.report_code(
            Code::BadFieldValue,
            value.pos,
            "a field test needs at least one value",
        );
        return None;
    }
    Some(test)
}

fn check_value(sink: &mut Sink<'_>, test: &FieldTest, pos: Pos, v: &str) -> bool {
    match test.op {
        FieldOp::Regex => match regex_syntax::ParserBuilder::new()
            .utf8(false)
            .unicode(false)
            .build()
            .parse(v)
        {
            Ok(_) => match super::regex_size::judge(v) {
                super::regex_size::Verdict::Fine | super::regex_size::Verdict::Slow(..) => true,
                super::regex_size::Verdict::TooLarge(message, _) => {
                    sink.report_code(Code::RegexTooLarge, pos, message);
                    false
                }
            },
            Err(e) => {
                sink.report_code(Code::RegexSyntax, pos, format!("regex: {e}"));
                false
            }
        },
        FieldOp::Cidr => match crate::common::net::parse_cidr(v) {
            Some(_) => true,
            None => {
                sink.report_code(
                    Code::BadCidr,
                    pos,
                    format!("`{v}` is not a CIDR network (like 10.0.0.0/8 or 2001:db8::/32)"),
                );
                false
            }
        },
        _ if v.is_empty() => {
            sink.report_code(
                Code::BadFieldValue,
                pos,
                "empty value; use `null` to test that a field is absent",
            );
            false
        }
        _ => true,
    }
}
