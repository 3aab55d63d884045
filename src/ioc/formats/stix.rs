//! STIX 2.1 bundles, read as a stream, and the subset of STIX patterns that names plain
//! indicators.

use std::sync::Arc;

use serde_json::Value;

use crate::ioc::plain::{ClassifyError, classify, refang};
use crate::ioc::{Indicator, IocProblem, Kind};

/// STIX 2.1 bundles: `indicator` objects whose pattern is a disjunction of equality
/// comparisons on addresses, domains, URLs, file names and file hashes. Anything else in a
/// pattern is reported as unsupported, never dropped silently.
pub(super) fn stix(list: &Arc<str>, text: &str) -> (Vec<Indicator>, Vec<IocProblem>) {
    stix_reader(list, text.trim_start_matches('\u{feff}').as_bytes())
}

/// Reads a STIX bundle as a stream: each object of `objects` is read, used and dropped
/// before the next, so a feed export of hundreds of megabytes takes memory for its
/// indicators, not for its JSON tree. A bundle that is not valid JSON to its end gives
/// nothing but the error (a truncated download must not pass for a shorter list).
pub(crate) fn stix_reader(
    list: &Arc<str>,
    reader: impl std::io::Read,
) -> (Vec<Indicator>, Vec<IocProblem>) {
    use serde::de::DeserializeSeed;
    let ctx = stix_stream::Ctx::new(list);
    let counting = stix_stream::Counting {
        inner: reader,
        newlines: &ctx.newlines,
    };
    let mut de = serde_json::Deserializer::from_reader(counting);
    let top = stix_stream::Top(&ctx)
        .deserialize(&mut de)
        .and_then(|top| de.end().map(|()| top));
    let mut out = ctx.out.into_inner();
    let mut problems = ctx.problems.into_inner();
    match top {
        Err(e) => (
            Vec::new(),
            vec![IocProblem::invalid(list, e.line(), format!("JSON: {e}"))],
        ),
        Ok(top) => match top.fields.ty.as_deref() {
            Some("bundle") if top.saw_objects => (out, problems),
            Some("indicator") => {
                stix_object(list, &top.fields, &mut out, &mut problems);
                (out, problems)
            }
            _ => (
                Vec::new(),
                vec![IocProblem::invalid(
                    list,
                    1,
                    "not a STIX 2.1 bundle or indicator".into(),
                )],
            ),
        },
    }
}

/// The members of a STIX object that matter here, and the line of its `id`.
#[derive(Default)]
struct StixFields {
    ty: Option<String>,
    id: Option<String>,
    line: usize,
    pattern_type: Option<Value>,
    pattern: Option<Value>,
    name: Option<Value>,
    description: Option<Value>,
}

fn stix_object(
    list: &Arc<str>,
    obj: &StixFields,
    out: &mut Vec<Indicator>,
    problems: &mut Vec<IocProblem>,
) {
    if obj.ty.as_deref() != Some("indicator") {
        return;
    }
    let id = obj.id.as_deref().unwrap_or("?");
    let line = obj.line;
    if let Some(t) = obj.pattern_type.as_ref().and_then(Value::as_str)
        && t != "stix"
    {
        problems.push(IocProblem::unsupported(
            list,
            line,
            format!("{id}: pattern_type `{t}` is not stix"),
        ));
        return;
    }
    let Some(pattern) = obj.pattern.as_ref().and_then(Value::as_str) else {
        problems.push(IocProblem::invalid(list, line, format!("{id}: no pattern")));
        return;
    };
    let description = obj
        .name
        .as_ref()
        .and_then(Value::as_str)
        .or(obj.description.as_ref().and_then(Value::as_str))
        .map(str::to_owned);
    match stix_pattern(pattern) {
        Ok(comparisons) => {
            for (path, value) in comparisons {
                match stix_indicator(&path, &value) {
                    Ok((kind, v)) => {
                        let mut ind = Indicator::new(kind, v, list, line);
                        ind.description = description.clone();
                        out.push(ind);
                    }
                    Err(e) => {
                        problems.push(IocProblem::unsupported(list, line, format!("{id}: {e}")))
                    }
                }
            }
        }
        Err(e) => problems.push(IocProblem::unsupported(
            list,
            line,
            format!("{id}: {e}: `{pattern}`"),
        )),
    }
}

/// The serde visitors of the streaming STIX reader.
mod stix_stream {
    use std::cell::{Cell, RefCell};
    use std::fmt;
    use std::sync::Arc;

    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde_json::Value;

    use super::{Indicator, IocProblem, StixFields, stix_object};

    pub(super) struct Ctx {
        list: Arc<str>,
        /// Newlines the parser has read so far: serde_json reads a reader byte by byte, so
        /// this is the line it is on, less one.
        pub(super) newlines: Cell<usize>,
        pub(super) out: RefCell<Vec<Indicator>>,
        pub(super) problems: RefCell<Vec<IocProblem>>,
    }

    impl Ctx {
        pub(super) fn new(list: &Arc<str>) -> Ctx {
            Ctx {
                list: list.clone(),
                newlines: Cell::new(0),
                out: RefCell::default(),
                problems: RefCell::default(),
            }
        }

        fn line(&self) -> usize {
            self.newlines.get() + 1
        }
    }

    pub(super) struct Counting<'a, R> {
        pub(super) inner: R,
        pub(super) newlines: &'a Cell<usize>,
    }

    impl<R: std::io::Read> std::io::Read for Counting<'_, R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            let lines = memchr::memchr_iter(b'\n', &buf[..n]).count();
            self.newlines.set(self.newlines.get() + lines);
            Ok(n)
        }
    }

    /// The top-level value: a bundle (whose objects are used as they are read) or a lone
    /// indicator.
    pub(super) struct Top<'a>(pub(super) &'a Ctx);

    pub(super) struct TopValue {
        pub(super) fields: StixFields,
        pub(super) saw_objects: bool,
    }

    impl<'de> DeserializeSeed<'de> for Top<'_> {
        type Value = TopValue;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<TopValue, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Top<'_> {
        type Value = TopValue;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a STIX 2.1 bundle or indicator")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopValue, A::Error> {
            let mut top = TopValue {
                fields: StixFields {
                    line: 1,
                    ..StixFields::default()
                },
                saw_objects: false,
            };
            while let Some(key) = map.next_key::<String>()? {
                if key == "objects" {
                    map.next_value_seed(Objects(self.0))?;
                    top.saw_objects = true;
                } else {
                    field(self.0, &key, &mut map, &mut top.fields)?;
                }
            }
            Ok(top)
        }
    }

    /// One member of an object: kept when it matters, skipped without building it if not.
    fn field<'de, A: MapAccess<'de>>(
        ctx: &Ctx,
        key: &str,
        map: &mut A,
        f: &mut StixFields,
    ) -> Result<(), A::Error> {
        let string = |v: Value| v.as_str().map(str::to_owned);
        match key {
            "type" => f.ty = string(map.next_value()?),
            "id" => {
                f.line = ctx.line();
                f.id = string(map.next_value()?);
            }
            "pattern_type" => f.pattern_type = Some(map.next_value()?),
            "pattern" => f.pattern = Some(map.next_value()?),
            "name" => f.name = Some(map.next_value()?),
            "description" => f.description = Some(map.next_value()?),
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    struct Objects<'a>(&'a Ctx);

    impl<'de> DeserializeSeed<'de> for Objects<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for Objects<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an array of STIX objects")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(Object(self.0))?.is_some() {}
            Ok(())
        }
    }

    struct Object<'a>(&'a Ctx);

    impl<'de> DeserializeSeed<'de> for Object<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Object<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a STIX object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut fields = StixFields {
                line: self.0.line(),
                ..StixFields::default()
            };
            while let Some(key) = map.next_key::<String>()? {
                field(self.0, &key, &mut map, &mut fields)?;
            }
            stix_object(
                &self.0.list,
                &fields,
                &mut self.0.out.borrow_mut(),
                &mut self.0.problems.borrow_mut(),
            );
            Ok(())
        }
        // Anything but an object in `objects` is no indicator; it is skipped as before.
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
    }
}

/// Why a STIX pattern, or one comparison in it, is not loaded.
#[derive(Debug, thiserror::Error)]
enum StixError {
    #[error("object path `{0}` is not supported")]
    Path(String),
    #[error("`{value}` does not fit `{path}`")]
    DoesNotFit { value: String, path: String },
    #[error(transparent)]
    Value(#[from] ClassifyError),
    #[error("expected `[`")]
    ExpectedBracket,
    #[error("`{0}` between observations is not supported (only OR)")]
    Between(String),
    #[error("incomplete comparison")]
    Incomplete,
    #[error("operator `{0}` is not supported (only =)")]
    Operator(String),
    #[error("expected a quoted value")]
    ExpectedQuote,
    #[error("unterminated string")]
    Unterminated,
    #[error("`{0}` inside an observation is not supported (only OR)")]
    Inside(String),
}

fn stix_indicator(path: &str, value: &str) -> Result<(Kind, String), StixError> {
    let norm = path.replace(['\'', '"'], "").to_ascii_lowercase();
    let want = match norm.as_str() {
        "ipv4-addr:value" | "ipv6-addr:value" => None,
        "domain-name:value" => Some(Kind::Domain),
        "url:value" => Some(Kind::Url),
        "file:name" => Some(Kind::FileName),
        "file:hashes.md5" => Some(Kind::Md5),
        "file:hashes.sha-1" | "file:hashes.sha1" => Some(Kind::Sha1),
        "file:hashes.sha-256" | "file:hashes.sha256" => Some(Kind::Sha256),
        _ => return Err(StixError::Path(path.to_owned())),
    };
    let (kind, v) = match want {
        Some(Kind::FileName) => (Kind::FileName, refang(value).to_ascii_lowercase()),
        _ => classify(value)?,
    };
    match (want, kind) {
        (None, Kind::Ipv4 | Kind::Ipv6 | Kind::Cidr) => Ok((kind, v)),
        (Some(w), k) if w == k => Ok((kind, v)),
        _ => Err(StixError::DoesNotFit {
            value: value.to_owned(),
            path: path.to_owned(),
        }),
    }
}

/// `[a:b = 'x'] OR [c:d = 'y' OR c:d = 'z']` into (path, value) pairs, or why not.
fn stix_pattern(p: &str) -> Result<Comparisons, StixError> {
    let mut out = Vec::new();
    let mut rest = p.trim();
    loop {
        let body = rest.strip_prefix('[').ok_or(StixError::ExpectedBracket)?;
        let (comparisons, after) = bracket_body(body)?;
        for c in comparisons {
            out.push(c);
        }
        rest = after.trim_start();
        if rest.is_empty() {
            return Ok(out);
        }
        let upper = rest.to_ascii_uppercase();
        if let Some(r) = upper
            .strip_prefix("OR ")
            .map(|r| &rest[rest.len() - r.len()..])
        {
            rest = r.trim_start();
            continue;
        }
        let word: String = upper
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        return Err(StixError::Between(word));
    }
}

/// Comparisons inside one `[...]`, joined by OR; returns what follows the `]`.
/// (object path, value) comparisons.
type Comparisons = Vec<(String, String)>;

fn bracket_body(s: &str) -> Result<(Comparisons, &str), StixError> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    loop {
        let path_end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '!')
            .ok_or(StixError::Incomplete)?;
        let path = &rest[..path_end];
        rest = rest[path_end..].trim_start();
        let Some(after_eq) = rest.strip_prefix('=') else {
            let op: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '\'')
                .collect();
            return Err(StixError::Operator(op));
        };
        let v = after_eq
            .trim_start()
            .strip_prefix('\'')
            .ok_or(StixError::ExpectedQuote)?;
        let mut value = String::new();
        let mut chars = v.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => {
                    if let Some((_, c)) = chars.next() {
                        value.push(c);
                    }
                }
                Some((i, '\'')) => break i,
                Some((_, c)) => value.push(c),
                None => return Err(StixError::Unterminated),
            }
        };
        out.push((path.to_owned(), value));
        rest = v[end + 1..].trim_start();
        if let Some(r) = rest.strip_prefix(']') {
            return Ok((out, r));
        }
        let upper = rest.to_ascii_uppercase();
        if upper.starts_with("OR ") {
            rest = rest[3..].trim_start();
            continue;
        }
        let word: String = upper
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        return Err(StixError::Inside(word));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ioc::formats::ListFormat;
    use crate::ioc::formats::tests::load;

    #[test]
    fn stix_bundles_and_unsupported_patterns() {
        let text = r#"{"type":"bundle","id":"bundle--1","objects":[
 {"type":"indicator","spec_version":"2.1","id":"indicator--a","pattern_type":"stix",
  "pattern":"[file:hashes.'SHA-256' = '92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514'] OR [ipv4-addr:value = '107.191.58.76']"},
 {"type":"indicator","id":"indicator--b","pattern_type":"stix","pattern":"[domain-name:value = 'evil.example' OR url:value = 'http://evil.example/x']"},
 {"type":"indicator","id":"indicator--c","pattern_type":"stix","pattern":"[file:name = 'a.exe' AND file:size = 3]"},
 {"type":"indicator","id":"indicator--d","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '5.6.7.8']"},
 {"type":"indicator","id":"indicator--e","pattern_type":"stix","pattern":"[file:name MATCHES '^x']"},
 {"type":"indicator","id":"indicator--f","pattern_type":"sigma","pattern":"title: x"},
 {"type":"malware","id":"malware--1"}]}"#;
        let (f, ind, probs) = load("advisory.json", text);
        assert_eq!(f, ListFormat::Stix);
        let got: Vec<(Kind, &str)> = ind.iter().map(|i| (i.0, i.1.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (
                    Kind::Sha256,
                    "92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514"
                ),
                (Kind::Ipv4, "107.191.58.76"),
                (Kind::Domain, "evil.example"),
                (Kind::Url, "http://evil.example/x"),
            ]
        );
        assert_eq!(probs.len(), 4);
        assert!(probs.iter().all(|p| p.1));
        assert!(probs[0].2.contains("AND"), "{}", probs[0].2);
        assert!(probs[1].2.contains("FOLLOWEDBY"), "{}", probs[1].2);
        assert!(probs[2].2.contains("MATCHES"), "{}", probs[2].2);
        assert_eq!(probs[0].0, 5, "line of the indicator's id");
    }

    #[test]
    fn stix_streams_lone_indicators_and_refuses_truncated_bundles() {
        let one = r#"{"type":"indicator","id":"indicator--z","pattern":"[ipv4-addr:value = '192.0.2.1']"}"#;
        let (f, ind, probs) = load("one.json", one);
        assert_eq!((f, ind.len(), probs.len()), (ListFormat::Stix, 1, 0));
        let odd = "{\"objects\":[1,\"x\",[2],null,\n{\"id\":\"indicator--y\",\"type\":\"indicator\",\"pattern\":\"[domain-name:value = 'evil.example']\"}],\"type\":\"bundle\"}";
        let (_, ind, probs) = load("odd.json", odd);
        assert_eq!(ind.len(), 1, "{probs:?}");
        assert_eq!(ind[0].2, 2, "line of the id, read as a stream");
        let cut = &odd[..odd.len() - 3];
        let (_, ind, probs) = load("cut.json", cut);
        assert!(ind.is_empty());
        assert!(probs[0].2.starts_with("JSON:"), "{probs:?}");
        let (_, ind, probs) = load("x.json", r#"{"type":"malware","objects":[]}"#);
        assert!(
            ind.is_empty() && probs[0].2.contains("not a STIX"),
            "{probs:?}"
        );
    }
}
