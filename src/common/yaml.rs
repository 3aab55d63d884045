//! A small YAML tree with a position on every node.
//!
//! Rule files are read from saphyr-parser's event stream rather than through serde so that
//! every node keeps its line and column (semantic errors such as an unknown pattern name in a
//! condition point at the exact spot), duplicate keys are errors instead of silent overwrites,
//! and scalars keep their source text (`text: 0x41` stays the string `0x41`).

use saphyr_parser::{Event, Marker, Parser, ScalarStyle};

use super::diag::Pos;

#[derive(Clone, Debug)]
pub(crate) enum Value {
    /// A scalar with its text as written; `plain` is false for quoted and block scalars.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    /// Keys are always scalars here; anything else is rejected while building the tree.
    Map(Vec<(Node, Node)>),
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) pos: Pos,
    pub(crate) value: Value,
}

impl Node {
    /// The scalar's text, or `None` for sequences and mappings.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A plain `null`, `~` or empty scalar.
    pub(crate) fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true }
            if text.is_empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    }

    pub(crate) fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Scalar { .. } => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// A syntax error with its position.
#[derive(Debug)]
pub(crate) struct SyntaxError {
    pub(crate) pos: Pos,
    pub(crate) message: String,
}

fn pos_of(m: &Marker) -> Pos {
    Pos::new(m.line(), m.col() + 1)
}

/// Parses exactly one YAML document. An empty text gives `Ok(None)`.
pub(crate) fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| SyntaxError {
            pos: pos_of(e.marker()),
            message: e.info().to_owned(),
        })?;
        let pos = pos_of(&span.start);
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => continue,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(SyntaxError {
                        pos,
                        message: "a rule file holds one YAML document; remove the second `---`"
                            .into(),
                    });
                }
                continue;
            }
            Event::Alias(_) => {
                return Err(SyntaxError {
                    pos,
                    message: "YAML aliases (`*name`) are not supported in rule files".into(),
                });
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) if anchor != 0 => {
                return Err(SyntaxError {
                    pos,
                    message: "YAML anchors (`&name`) are not supported in rule files".into(),
                });
            }
            Event::SequenceStart(..) => {
                stack.push(Frame::Seq(pos, Vec::new()));
                continue;
            }
            Event::MappingStart(..) => {
                stack.push(Frame::Map(pos, Vec::new(), None));
                continue;
            }
            Event::Scalar(text, style, anchor, _) => {
                if anchor != 0 {
                    return Err(SyntaxError {
                        pos,
                        message: "YAML anchors (`&name`) are not supported in rule files".into(),
                    });
                }
                Node {
                    pos,
                    value: Value::Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                }
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(pos, items)) => Node {
                    pos,
                    value: Value::Seq(items),
                },
                _ => unreachable!("the parser balances sequence events"),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(pos, entries, _)) => Node {
                    pos,
                    value: Value::Map(entries),
                },
                _ => unreachable!("the parser balances mapping events"),
            },
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq(_, items)) => items.push(node),
            Some(Frame::Map(_, entries, key)) => match key.take() {
                None => {
                    let Some(name) = node.as_str() else {
                        return Err(SyntaxError {
                            pos: node.pos,
                            message: "mapping keys must be plain strings".into(),
                        });
                    };
                    if let Some((first, _)) = entries.iter().find(|(k, _)| k.as_str() == Some(name))
                    {
                        return Err(SyntaxError {
                            pos: node.pos,
                            message: format!(
                                "duplicate key `{name}` (first given on line {})",
                                first.pos.line
                            ),
                        });
                    }
                    *key = Some(node);
                }
                Some(k) => entries.push((k, node)),
            },
        }
    }
    Ok(root)
}

enum Frame {
    Seq(Pos, Vec<Node>),
    Map(Pos, Vec<(Node, Node)>, Option<Node>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_and_source_text() {
        let root = parse("a: 0x41\nb:\n  - 'x'\n").unwrap().unwrap();
        let Value::Map(entries) = &root.value else {
            panic!("not a map")
        };
        assert_eq!(entries[0].1.as_str(), Some("0x41"));
        assert_eq!(entries[0].1.pos, Pos::new(1, 4));
        let Value::Seq(items) = &entries[1].1.value else {
            panic!("not a seq")
        };
        assert_eq!(items[0].pos, Pos::new(3, 5));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.pos, Pos::new(3, 1));
        assert!(err.message.contains("line 1"), "{}", err.message);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.pos.line >= 1);
    }

    #[test]
    fn empty_text_is_no_document() {
        assert!(parse("").unwrap().is_none());
        assert!(parse("# only a comment\n").unwrap().is_none());
    }
}
