//! IOC list formats, detected from content: plain lists, the Loki/THOR `;` lists of
//! signature-base, CSV with a header (MISP's export among them) and STIX 2.1 bundles.

use std::sync::Arc;

use serde_json::Value;

use super::plain::{ClassifyError, classify, is_domain, parse_plain, refang};
use super::{Indicator, IocProblem, Kind, severity_from_score};
use crate::common::severity::Severity;

/// The formats an IOC list can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    Plain,
    /// `HASH;DESCRIPTION` or `HASH;SCORE;DESCRIPTION`.
    LokiHash,
    /// `REGEX;SCORE[;FALSE_POSITIVE_REGEX]`, described by the `#` line above.
    LokiFilename,
    /// `DOMAIN_OR_IP[;SCORE]`.
    LokiC2,
    Csv,
    Stix,
}

impl ListFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ListFormat::Plain => "plain",
            ListFormat::LokiHash => "loki-hash",
            ListFormat::LokiFilename => "loki-filename",
            ListFormat::LokiC2 => "loki-c2",
            ListFormat::Csv => "csv",
            ListFormat::Stix => "stix-2.1",
        }
    }
}

fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_start_matches('\u{feff}').trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

/// Detects a list's format from its content; Loki lists are told apart by the file name
/// (signature-base names them `*hash*`, `*filename*`, `*c2*`) or else by their fields.
pub fn detect(name: &str, text: &str) -> ListFormat {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with('{') {
        return ListFormat::Stix;
    }
    let Some((_, first)) = data_lines(text).next() else {
        return ListFormat::Plain;
    };
    let lower_first = first.to_ascii_lowercase();
    if first.contains(',')
        && lower_first
            .split(',')
            .any(|c| c.trim().trim_matches('"') == "value")
    {
        return ListFormat::Csv;
    }
    if !first.contains(';') {
        return ListFormat::Plain;
    }
    let file = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .to_ascii_lowercase();
    if file.contains("hash") {
        return ListFormat::LokiHash;
    }
    if file.contains("filename") {
        return ListFormat::LokiFilename;
    }
    if file.contains("c2") {
        return ListFormat::LokiC2;
    }
    let fields: Vec<&str> = first.split(';').collect();
    let hexlen = fields[0].len();
    if fields[0].chars().all(|c| c.is_ascii_hexdigit()) && [32, 40, 64].contains(&hexlen) {
        ListFormat::LokiHash
    } else if fields.len() >= 2
        && fields[1].trim().parse::<i64>().is_ok()
        && classify(fields[0]).is_err()
    {
        ListFormat::LokiFilename
    } else {
        ListFormat::LokiC2
    }
}

pub fn parse(format: ListFormat, list: &Arc<str>, text: &str) -> (Vec<Indicator>, Vec<IocProblem>) {
    match format {
        ListFormat::Plain => parse_plain(list, text),
        ListFormat::LokiHash => loki_hash(list, text),
        ListFormat::LokiFilename => loki_filename(list, text),
        ListFormat::LokiC2 => loki_c2(list, text),
        ListFormat::Csv => csv_list(list, text),
        ListFormat::Stix => stix(list, text),
    }
}

fn loki_hash(list: &Arc<str>, text: &str) -> (Vec<Indicator>, Vec<IocProblem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (line, l) in data_lines(text) {
        let fields: Vec<&str> = l.splitn(3, ';').collect();
        let hash = fields[0].trim();
        let (score, desc) = match fields.as_slice() {
            [_, s, d] if s.trim().parse::<i64>().is_ok() => {
                (s.trim().parse::<i64>().ok(), Some(d.to_string()))
            }
            [_, rest @ ..] if !rest.is_empty() => (None, Some(rest.join(";"))),
            _ => (None, None),
        };
        match classify(hash) {
            Ok((kind @ (Kind::Md5 | Kind::Sha1 | Kind::Sha256), value)) => {
                let Some(sev) = scored(score, &mut problems, list, line) else {
                    continue;
                };
                let mut ind = Indicator::new(kind, value, list, line);
                ind.severity = sev;
                ind.description = desc.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
                out.push(ind);
            }
            _ => problems.push(IocProblem::invalid(
                list,
                line,
                format!("`{hash}` is not an MD5, SHA-1 or SHA-256"),
            )),
        }
    }
    (out, problems)
}

/// `Some(None)`: no score; `Some(Some(sev))`: scored; `None`: a score too low to load
/// (reported).
fn scored(
    score: Option<i64>,
    problems: &mut Vec<IocProblem>,
    list: &Arc<str>,
    line: usize,
) -> Option<Option<Severity>> {
    match score {
        None => Some(None),
        Some(s) => match severity_from_score(s) {
            Some(sev) => Some(Some(sev)),
            None => {
                problems.push(IocProblem::unsupported(
                    list,
                    line,
                    format!("score {s} is below 40 (informational); not loaded"),
                ));
                None
            }
        },
    }
}

fn loki_filename(list: &Arc<str>, text: &str) -> (Vec<Indicator>, Vec<IocProblem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut description: Option<String> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let l = raw.trim_start_matches('\u{feff}').trim();
        if l.is_empty() {
            continue;
        }
        if let Some(c) = l.strip_prefix('#') {
            description = Some(c.trim().to_owned()).filter(|c| !c.is_empty());
            continue;
        }
        let fields: Vec<&str> = l.splitn(3, ';').collect();
        let score = fields.get(1).and_then(|s| s.trim().parse::<i64>().ok());
        if fields.len() < 2 || score.is_none() {
            problems.push(IocProblem::invalid(
                list,
                line,
                "expected REGEX;SCORE[;FALSE_POSITIVE_REGEX]".into(),
            ));
            continue;
        }
        let Some(sev) = scored(score, &mut problems, list, line) else {
            continue;
        };
        let mut ind = Indicator::new(Kind::PathRegex, expand_env(fields[0]), list, line);
        ind.severity = sev;
        ind.description = description.clone();
        ind.false_positive = fields
            .get(2)
            .map(|f| expand_env(f))
            .filter(|f| !f.is_empty());
        out.push(ind);
    }
    (out, problems)
}

/// `%SystemRoot%`-style variables in Loki regexes stand for any one path stretch.
fn expand_env(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find('%') {
        let Some(len) = rest[start + 1..].find('%') else {
            break;
        };
        let name = &rest[start + 1..start + 1 + len];
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '(' || c == ')')
        {
            out.push_str(&rest[..=start]);
            rest = &rest[start + 1..];
            continue;
        }
        out.push_str(&rest[..start]);
        out.push_str(".{0,200}");
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

fn loki_c2(list: &Arc<str>, text: &str) -> (Vec<Indicator>, Vec<IocProblem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (line, l) in data_lines(text) {
        let mut fields = l.splitn(2, ';');
        let value = fields.next().unwrap_or_default().trim();
        let score = fields.next().and_then(|s| s.trim().parse::<i64>().ok());
        match classify(value) {
            Ok((kind @ (Kind::Ipv4 | Kind::Ipv6 | Kind::Cidr | Kind::Domain | Kind::Url), v)) => {
                let Some(sev) = scored(score, &mut problems, list, line) else {
                    continue;
                };
                let mut ind = Indicator::new(kind, v, list, line);
                ind.severity = sev;
                out.push(ind);
            }
            Ok((kind, _)) => problems.push(IocProblem::invalid(
                list,
                line,
                format!("a {} in a C2 list", kind.as_str()),
            )),
            Err(e) => problems.push(IocProblem::invalid(list, line, e.to_string())),
        }
    }
    (out, problems)
}

/// MISP attribute types (and plain kind names) to how their value is read.
fn misp_kinds(t: &str) -> Option<Vec<Option<Kind>>> {
    let one = |k: Option<Kind>| Some(vec![k]);
    match t.trim().to_ascii_lowercase().as_str() {
        "" => one(None),
        "ip-src" | "ip-dst" | "ip" | "ipv4" | "ipv6" | "cidr" | "ip-src|port" | "ip-dst|port" => {
            one(Some(Kind::Ipv4))
        }
        "domain" | "hostname" | "domain|ip" | "hostname|port" => {
            Some(vec![Some(Kind::Domain), Some(Kind::Ipv4)])
        }
        "url" | "uri" | "link" => one(Some(Kind::Url)),
        "md5" => one(Some(Kind::Md5)),
        "sha1" => one(Some(Kind::Sha1)),
        "sha256" => one(Some(Kind::Sha256)),
        "filename" | "file_name" => one(Some(Kind::FileName)),
        "filename|md5" | "filename|sha1" | "filename|sha256" => {
            Some(vec![Some(Kind::FileName), None])
        }
        _ => None,
    }
}

fn csv_list(list: &Arc<str>, text: &str) -> (Vec<Indicator>, Vec<IocProblem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|c| c.to_ascii_lowercase()).collect(),
        Err(e) => {
            return (
                out,
                vec![IocProblem::invalid(list, 1, format!("CSV header: {e}"))],
            );
        }
    };
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let (Some(value_col), type_col) = (col(&["value"]), col(&["type"])) else {
        return (
            out,
            vec![IocProblem::invalid(
                list,
                1,
                "CSV without a `value` column".into(),
            )],
        );
    };
    let desc_col = col(&["comment", "description"]);
    let ids_col = col(&["to_ids"]);
    let sev_col = col(&["severity"]);
    let score_col = col(&["score"]);
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                problems.push(IocProblem::invalid(list, line, format!("CSV: {e}")));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let field = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or_default();
        if matches!(field(ids_col).to_ascii_lowercase().as_str(), "0" | "false") {
            problems.push(IocProblem::unsupported(
                list,
                line,
                "not for detection (to_ids is 0)".into(),
            ));
            continue;
        }
        let t = field(type_col);
        let Some(kinds) = misp_kinds(t) else {
            problems.push(IocProblem::unsupported(
                list,
                line,
                format!("attribute type `{t}` is not matched by shellsweep"),
            ));
            continue;
        };
        let severity = match (
            Severity::parse(&field(sev_col).to_ascii_lowercase()),
            field(score_col).parse::<i64>().ok(),
        ) {
            (Some(s), _) => Some(s),
            (None, Some(score)) => severity_from_score(score),
            _ => None,
        };
        let description = Some(field(desc_col).to_owned()).filter(|d| !d.is_empty());
        let value = field(Some(value_col));
        let parts: Vec<&str> = if kinds.len() > 1 || t.contains('|') {
            value.split('|').collect()
        } else {
            vec![value]
        };
        for (i, part) in parts.iter().enumerate() {
            let want = kinds.get(i).copied().flatten();
            // `ip-dst|port` and `hostname|port`: the port is not an indicator.
            if t.ends_with("|port") && i == 1 {
                continue;
            }
            // The type column settles what a plain list must guess: `evil.pl` typed
            // `domain` is a Polish domain, not a Perl file name.
            let classified = match classify(part) {
                Ok((Kind::FileName, v)) if want == Some(Kind::Domain) && is_domain(&v) => {
                    Ok((Kind::Domain, v))
                }
                other => other,
            };
            match classified {
                Ok((kind, v)) if want.is_none() || compatible(want, kind) => {
                    let mut ind = Indicator::new(kind, v, list, line);
                    ind.severity = severity;
                    ind.description = description.clone();
                    out.push(ind);
                }
                Ok((kind, _)) => problems.push(IocProblem::invalid(
                    list,
                    line,
                    format!("type `{t}` but the value looks like a {}", kind.as_str()),
                )),
                Err(e) => problems.push(IocProblem::invalid(list, line, e.to_string())),
            }
        }
    }
    (out, problems)
}

fn compatible(want: Option<Kind>, got: Kind) -> bool {
    match want {
        None => true,
        Some(Kind::Ipv4 | Kind::Ipv6 | Kind::Cidr) => {
            matches!(got, Kind::Ipv4 | Kind::Ipv6 | Kind::Cidr)
        }
        Some(Kind::Domain) => matches!(got, Kind::Domain | Kind::Ipv4 | Kind::Ipv6),
        Some(k) => k == got,
    }
}

/// STIX 2.1 bundles: `indicator` objects whose pattern is a disjunction of equality
/// comparisons on addresses, domains, URLs, file names and file hashes. Anything else in a
/// pattern is reported as unsupported, never dropped silently.
fn stix(list: &Arc<str>, text: &str) -> (Vec<Indicator>, Vec<IocProblem>) {
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

    type Loaded = (
        ListFormat,
        Vec<(Kind, String, usize, Option<Severity>)>,
        Vec<(usize, bool, String)>,
    );

    fn load(name: &str, text: &str) -> Loaded {
        let format = detect(name, text);
        let (ind, probs) = parse(format, &Arc::from(name), text);
        (
            format,
            ind.into_iter()
                .map(|i| (i.kind, i.value, i.line, i.severity))
                .collect(),
            probs
                .into_iter()
                .map(|p| (p.line, p.unsupported, p.message))
                .collect(),
        )
    }

    #[test]
    fn loki_hash_and_c2_lists() {
        let text = "# my-hash-iocs.txt\n92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514;ToolShell spinstall0.aspx\nd6da885c90a5d1fb88d0a3f0b5d9817a82d5772d5510a0773c80ca581ce2486d;80;SharpHostInfo Storm-2603\nzz;bad\n";
        let (f, ind, probs) = load("iocs/my-hash-iocs.txt", text);
        assert_eq!(f, ListFormat::LokiHash);
        assert_eq!(ind.len(), 2);
        assert_eq!(ind[1].3, Some(Severity::High));
        assert_eq!(probs.len(), 1);
        assert_eq!(probs[0].0, 4);
        let (f, ind, _) = load(
            "c2-iocs.txt",
            "msupdate.updatemicfosoft.com;100\n65.38.121.198\n",
        );
        assert_eq!(f, ListFormat::LokiC2);
        assert_eq!(
            ind[0],
            (
                Kind::Domain,
                "msupdate.updatemicfosoft.com".into(),
                1,
                Some(Severity::Critical)
            )
        );
        assert_eq!(ind[1].0, Kind::Ipv4);
    }

    #[test]
    fn loki_filename_regexes_with_descriptions_and_fp() {
        let text = "# ToolShell drops in LAYOUTS\n\\\\TEMPLATE\\\\LAYOUTS\\\\spinstall[0-9]?\\.aspx;85\n(?i)\\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\[^\\\\]{1,20}\\.aspx;80;\\\\aspnet_client\\\\system_web\\\\\nnoscore\n";
        let format = detect("my-filename-iocs.txt", text);
        assert_eq!(format, ListFormat::LokiFilename);
        let (ind, probs) = parse(format, &Arc::from("f"), text);
        assert_eq!(ind.len(), 2);
        assert_eq!(
            ind[0].description.as_deref(),
            Some("ToolShell drops in LAYOUTS")
        );
        assert!(ind[1].false_positive.is_some());
        assert_eq!(probs[0].line, 4);
        let mut set = super::super::IocSet::default();
        for i in ind {
            set.add(i);
        }
        assert!(set.prepare().is_empty());
        assert_eq!(set.paths.matches("/mnt/c/Program Files/Common Files/microsoft shared/Web Server Extensions/16/TEMPLATE/LAYOUTS/spinstall0.aspx"), [0]);
        assert_eq!(
            set.paths
                .matches("C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx"),
            [1]
        );
        assert!(
            set.paths
                .matches("C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\x.aspx")
                .is_empty()
        );
        assert_eq!(expand_env("%SystemRoot%\\\\x"), ".{0,200}\\\\x");
    }

    #[test]
    fn csv_and_misp_exports() {
        let text = "uuid,event_id,category,type,value,comment,to_ids,date\n\
                    a,1201,Network activity,ip-src,107.191.58.76,ToolShell wave 1,1,1752796800\n\
                    b,1201,Payload delivery,filename|sha256,spinstall0.aspx|92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514,,1,1752796800\n\
                    c,1201,Network activity,ip-dst|port,65.38.121.198|443,,1,1\n\
                    d,1201,Other,text,hello,,1,1\n\
                    e,1201,Network activity,domain,example.com,benign,0,1\n";
        let (f, ind, probs) = load("misp.csv", text);
        assert_eq!(f, ListFormat::Csv);
        let kinds: Vec<Kind> = ind.iter().map(|i| i.0).collect();
        assert_eq!(
            kinds,
            [Kind::Ipv4, Kind::FileName, Kind::Sha256, Kind::Ipv4]
        );
        assert_eq!(probs.len(), 2);
        assert!(
            probs.iter().all(|p| p.1),
            "text and to_ids=0 are unsupported, not malformed"
        );
        assert_eq!(probs[0].0, 5);
        let (_, ind, _) = load(
            "x.csv",
            "type,value,description,severity\nip,203.0.113.5,scanner,low\n,evil.example,,critical\n",
        );
        assert_eq!(ind[0].3, Some(Severity::Low));
        assert_eq!(
            (ind[1].0, ind[1].3),
            (Kind::Domain, Some(Severity::Critical))
        );
    }

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
    fn a_csv_type_settles_domain_or_file_name() {
        let (_, ind, probs) = load("x.csv", "type,value\ndomain,evil.pl\n,evil.pl\n");
        assert!(probs.is_empty(), "{probs:?}");
        let got: Vec<Kind> = ind.iter().map(|i| i.0).collect();
        assert_eq!(got, [Kind::Domain, Kind::FileName]);
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

    #[test]
    fn plain_lists_stay_plain() {
        assert_eq!(
            detect("toolshell.txt", "# x\n1.2.3.4\nevil.example\n"),
            ListFormat::Plain
        );
    }
}
