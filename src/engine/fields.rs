//! Field tests of log rules, compiled: the comparisons a selection makes on a record.
//!
//! Strings compare ASCII case-insensitively unless the test says `cased` (as in Sigma;
//! IIS paths and all methods are case-insensitive on the server too); regexes match as
//! written. IIS writes spaces in user agents, referers and cookies as `+`, so those fields
//! are tried both as written and with `+` read as a space.

use std::borrow::Cow;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use memchr::memmem;
use regex_automata::meta::Regex;
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;

use super::PatternError;
use crate::common::net::{logged_addrs, parse_cidr, parse_logged_addr};
use crate::ioc::IpSet;
use crate::logs::{Record, percent_decode};
use crate::rules::{FieldName, FieldOp, FieldTest, Selection};

pub(crate) struct CompiledSelection {
    alternatives: Vec<Vec<CompiledTest>>,
}

struct CompiledTest {
    field: FieldName,
    op: Op,
    null: bool,
    all: bool,
    cased: bool,
    decoded: bool,
}

enum Op {
    Equals(Vec<Vec<u8>>),
    /// A finder per value (compiled once: building one per record was a tenth of a scan
    /// with Sigma's long `contains` lists), and for `any` of several values one automaton
    /// that looks for them all in a single pass over the field.
    Contains(Vec<memmem::Finder<'static>>, Option<LazyAny>),
    StartsWith(Vec<Vec<u8>>),
    EndsWith(Vec<Vec<u8>>),
    Regex(Vec<LazyRegex>),
    Cidr(IpSet),
    Exists(bool),
    FieldRef(Vec<FieldName>),
}

impl CompiledSelection {
    pub(crate) fn new(sel: &Selection) -> Result<CompiledSelection, PatternError> {
        let alternatives = sel
            .alternatives
            .iter()
            .map(|alt| {
                alt.iter()
                    .map(CompiledTest::new)
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CompiledSelection { alternatives })
    }

    pub(crate) fn eval(&self, record: &Record<'_>) -> bool {
        self.alternatives
            .iter()
            .any(|tests| tests.iter().all(|t| t.eval(record)))
    }
}

impl CompiledTest {
    fn new(t: &FieldTest) -> Result<CompiledTest, PatternError> {
        let fold = |v: &String| {
            if t.cased {
                v.as_bytes().to_vec()
            } else {
                v.as_bytes().to_ascii_lowercase()
            }
        };
        let values = || t.values.iter().map(fold).collect::<Vec<_>>();
        let op = match t.op {
            FieldOp::Equals => Op::Equals(values()),
            FieldOp::Contains => {
                let vals = values();
                let finders = vals
                    .iter()
                    .map(|v| memmem::Finder::new(v).into_owned())
                    .collect();
                let any = (!t.all && vals.len() > 1).then(|| LazyAny {
                    values: vals,
                    built: OnceLock::new(),
                });
                Op::Contains(finders, any)
            }
            FieldOp::StartsWith => Op::StartsWith(values()),
            FieldOp::EndsWith => Op::EndsWith(values()),
            FieldOp::Exists(b) => Op::Exists(b),
            FieldOp::FieldRef => Op::FieldRef(
                t.values
                    .iter()
                    .map(|v| FieldName::known(v).unwrap_or_else(|| FieldName::Custom(v.clone())))
                    .collect(),
            ),
            FieldOp::Regex => Op::Regex(
                t.values
                    .iter()
                    .map(|v| LazyRegex::new(v))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            FieldOp::Cidr => {
                let mut set = IpSet::default();
                for (i, v) in t.values.iter().enumerate() {
                    let (addr, len) =
                        parse_cidr(v).ok_or_else(|| PatternError::NotCidr(v.clone()))?;
                    set.insert_net(addr, len, i);
                }
                Op::Cidr(set)
            }
        };
        Ok(CompiledTest {
            field: t.field.clone(),
            op,
            null: t.null,
            all: t.all,
            cased: t.cased,
            decoded: t.decoded,
        })
    }

    fn eval(&self, record: &Record<'_>) -> bool {
        let Some(value) = field_value(record, &self.field) else {
            return self.null || matches!(self.op, Op::Exists(false));
        };
        let plus =
            record.plus_is_space && matches!(&self.field, FieldName::Known(f) if f.plus_is_space());
        let forms = self.forms(&value, plus);
        let count = match &self.op {
            Op::Exists(b) => return *b,
            Op::Contains(finders, Some(any)) => {
                return match any.get() {
                    Some(ac) => forms.iter().any(|f| ac.is_match(&f[..])),
                    None => forms
                        .iter()
                        .any(|f| finders.iter().any(|x| x.find(f).is_some())),
                };
            }
            Op::Contains(f, None) => f.len(),
            Op::Equals(v) | Op::StartsWith(v) | Op::EndsWith(v) => v.len(),
            Op::Regex(r) => r.len(),
            Op::Cidr(_) => 1,
            Op::FieldRef(names) => {
                let one = |name: &FieldName| {
                    field_value(record, name).is_some_and(|other| {
                        if self.cased {
                            *other == *value
                        } else {
                            other.eq_ignore_ascii_case(&value)
                        }
                    })
                };
                return if self.all {
                    names.iter().all(one)
                } else {
                    names.iter().any(one)
                };
            }
        };
        let one = |i: usize| forms.iter().any(|f| self.holds(i, f));
        if self.all {
            (0..count).all(one)
        } else {
            (0..count).any(one)
        }
    }

    /// The forms of a value that are compared: as written, with `+` as space where IIS
    /// encodes spaces so, percent-decoded when asked, lowercased unless `cased`.
    fn forms<'v>(&self, value: &'v [u8], plus: bool) -> Vec<Cow<'v, [u8]>> {
        let mut forms: Vec<Cow<'v, [u8]>> = vec![Cow::Borrowed(value)];
        if plus && value.contains(&b'+') {
            forms.push(Cow::Owned(plus_to_space(value)));
        }
        if self.decoded {
            forms = forms
                .into_iter()
                .map(|f| Cow::Owned(url_decode(&f)))
                .collect();
        }
        if !self.cased && !matches!(self.op, Op::Regex(_) | Op::Cidr(_)) {
            forms = forms
                .into_iter()
                .map(|f| {
                    if f.iter().any(u8::is_ascii_uppercase) {
                        Cow::Owned(f.to_ascii_lowercase())
                    } else {
                        f
                    }
                })
                .collect();
        }
        forms
    }

    fn holds(&self, i: usize, v: &[u8]) -> bool {
        match &self.op {
            Op::Equals(vals) => v == &vals[i][..],
            Op::Contains(finders, _) => finders[i].find(v).is_some(),
            Op::StartsWith(vals) => v.starts_with(&vals[i]),
            Op::EndsWith(vals) => v.ends_with(&vals[i]),
            Op::Regex(res) => res[i].get().is_match(v),
            Op::Cidr(set) => logged_addrs(v)
                .any(|a| parse_logged_addr(a).is_some_and(|ip| set.lookup(ip).is_some())),
            Op::Exists(b) => *b,
            Op::FieldRef(_) => false,
        }
    }
}

/// A `re` value, checked when the rule loads and built when a record first reaches it.
///
/// Building the meta regex (its DFAs and prefilters) was a third of the start-up of a scan
/// with SigmaHQ's web rules loaded, and most of those tests never see a record: the gate in
/// front of them turns nearly every line away.
struct LazyRegex {
    pattern: String,
    built: OnceLock<Regex>,
}

impl LazyRegex {
    /// Fails as the meta regex would: the parse and the forward NFA under the meta
    /// builder's size limit are the checks that can refuse a pattern.
    fn new(pattern: &str) -> Result<LazyRegex, PatternError> {
        let lazy = LazyRegex {
            pattern: pattern.to_owned(),
            built: OnceLock::new(),
        };
        let checked = thompson::Compiler::new()
            .syntax(Self::syntax())
            .configure(thompson::Config::new().nfa_size_limit(Self::limit()))
            .build(pattern);
        if checked.is_err() {
            // The meta builder's own error, which rule authors search for.
            let built =
                Self::build(pattern, Self::limit()).map_err(|e| PatternError::FieldRegex {
                    regex: pattern.to_owned(),
                    error: e,
                })?;
            let _ = lazy.built.set(built);
        }
        Ok(lazy)
    }

    fn limit() -> Option<usize> {
        Regex::config().get_nfa_size_limit()
    }

    fn syntax() -> syntax::Config {
        syntax::Config::new().unicode(false).utf8(false)
    }

    fn build(
        pattern: &str,
        limit: Option<usize>,
    ) -> Result<Regex, Box<regex_automata::meta::BuildError>> {
        Regex::builder()
            .syntax(Self::syntax())
            .configure(Regex::config().nfa_size_limit(limit))
            .build(pattern)
            .map_err(Box::new)
    }

    fn get(&self) -> &Regex {
        self.built.get_or_init(|| {
            // The pattern passed `new`'s checks; should a part the meta builder adds still
            // refuse it, the regex is built without a size limit rather than never match.
            Self::build(&self.pattern, Self::limit())
                .or_else(|_| Self::build(&self.pattern, None))
                .expect("the pattern parsed and compiled when the rule loaded")
        })
    }
}

/// The automaton for `contains` of any of several values, built at first use; `None` when it
/// cannot be built, and the values' own finders answer.
struct LazyAny {
    values: Vec<Vec<u8>>,
    built: OnceLock<Option<AhoCorasick>>,
}

impl LazyAny {
    fn get(&self) -> Option<&AhoCorasick> {
        self.built
            .get_or_init(|| {
                AhoCorasick::builder()
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&self.values)
                    .ok()
            })
            .as_ref()
    }
}

/// A field's value in a record; the derived URI fields are put together here.
fn field_value<'r>(record: &'r Record<'_>, field: &FieldName) -> Option<Cow<'r, [u8]>> {
    match field {
        FieldName::Known(f) => record.get(*f).map(Cow::Borrowed),
        FieldName::Custom(name) => record.custom(name).map(Cow::Borrowed),
        FieldName::Uri => {
            let stem = record.get(crate::logs::Field::UriStem);
            match (stem, record.get(crate::logs::Field::UriQuery)) {
                (Some(stem), None) => Some(Cow::Borrowed(stem)),
                (stem, Some(query)) => {
                    let stem = stem.unwrap_or_default();
                    let mut uri = Vec::with_capacity(stem.len() + 1 + query.len());
                    uri.extend_from_slice(stem);
                    uri.push(b'?');
                    uri.extend_from_slice(query);
                    Some(Cow::Owned(uri))
                }
                (None, None) => None,
            }
        }
        FieldName::UriExtension => {
            let stem = record.get(crate::logs::Field::UriStem)?;
            let last = stem.rsplit(|&b| b == b'/').next().unwrap_or(stem);
            let dot = memchr::memrchr(b'.', last)?;
            let ext = &last[dot + 1..];
            (!ext.is_empty()).then_some(Cow::Borrowed(ext))
        }
    }
}

fn plus_to_space(v: &[u8]) -> Vec<u8> {
    v.iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect()
}

/// Form decoding as servers do it: `+` is a space, `%hh` a byte; twice, so that a
/// double-encoded `%2520` reads as a space too.
pub(crate) fn url_decode(v: &[u8]) -> Vec<u8> {
    let once = percent_decode(&plus_to_space(v));
    if memchr::memchr(b'%', &once).is_some() {
        percent_decode(&once)
    } else {
        once
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::Field;
    use crate::rules::Loader;

    fn selection(yaml: &str) -> CompiledSelection {
        let text = format!(
            "rules:\n  - id: L\n    name: n\n    severity: low\n    scope: log\n    selections:\n      s:\n{yaml}"
        );
        let mut l = Loader::new();
        l.add_text("t.yml", &text);
        let (rules, _) = l.finish().unwrap_or_else(|e| panic!("{:?}", e.0));
        CompiledSelection::new(&rules[0].selections[0]).unwrap()
    }

    fn rec(pairs: &[(Field, &'static str)]) -> Record<'static> {
        let mut r = Record::default();
        for (f, v) in pairs {
            r.set(*f, v.as_bytes());
        }
        r
    }

    #[test]
    fn operators_and_case() {
        let s = selection(
            "        cs-method: post\n        cs-uri-stem|endswith: [/toolpane.aspx, /toolpane.aspx/]\n",
        );
        assert!(s.eval(&rec(&[
            (Field::Method, "POST"),
            (Field::UriStem, "/_layouts/15/ToolPane.aspx/")
        ])));
        assert!(!s.eval(&rec(&[
            (Field::Method, "GET"),
            (Field::UriStem, "/_layouts/15/ToolPane.aspx")
        ])));
        assert!(!s.eval(&rec(&[(Field::Method, "POST")])));
        let cased = selection("        cs-uri-stem|cased|contains: ToolPane\n");
        assert!(!cased.eval(&rec(&[(Field::UriStem, "/toolpane.aspx")])));
        assert!(cased.eval(&rec(&[(Field::UriStem, "/ToolPane.aspx")])));
    }

    #[test]
    fn contains_lists_match_any_value_or_all_values_case_folded() {
        // Several values: `any` goes through one automaton, `all` through a finder each.
        let any = selection("        cs-uri-query|contains: [whoami, 'cmd /c', ipconfig]\n");
        let all = selection("        cs-uri-query|contains|all: [whoami, 'cmd /c', ipconfig]\n");
        let q = |v: &'static str| rec(&[(Field::UriQuery, v)]);
        assert!(any.eval(&q("x=1&c=IPCONFIG")));
        assert!(any.eval(&q("a=CMD /C+dir")));
        assert!(!any.eval(&q("x=who&y=ami")));
        assert!(!all.eval(&q("x=whoami&c=ipconfig")));
        assert!(all.eval(&q("c=ipconfig;Cmd /C whoami")));
        let cased = selection("        cs-uri-query|cased|contains: [WhoAmI, ipconfig]\n");
        assert!(!cased.eval(&q("x=whoami")));
        assert!(cased.eval(&q("x=WhoAmI")));
        // Decoded forms are searched too.
        let decoded = selection("        cs-uri-query|decoded|contains: [whoami, 'cmd /c']\n");
        assert!(decoded.eval(&q("a=%63md+%2Fc")));
    }

    #[test]
    fn all_null_exists_and_lists_of_mappings() {
        let s = selection("        cs-uri-query|contains|all: [displaymode=edit, toolpane]\n");
        assert!(s.eval(&rec(&[(
            Field::UriQuery,
            "DisplayMode=Edit&a=/ToolPane.aspx"
        )])));
        assert!(!s.eval(&rec(&[(Field::UriQuery, "DisplayMode=Edit")])));
        let null =
            selection("        - cs-referer: null\n        - cs-referer|endswith: signout.aspx\n");
        assert!(null.eval(&rec(&[])));
        assert!(null.eval(&rec(&[(Field::Referer, "https://x/_layouts/SignOut.aspx")])));
        assert!(!null.eval(&rec(&[(Field::Referer, "https://x/")])));
        let exists = selection("        x-forwarded-for|exists: true\n");
        assert!(exists.eval(&rec(&[(Field::ForwardedFor, "1.2.3.4")])));
        assert!(!exists.eval(&rec(&[])));
    }

    #[test]
    fn iis_plus_and_decoding() {
        let ua = selection("        cs-user-agent|contains: 'rv:120.0) Gecko'\n");
        let agent =
            "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:120.0)+Gecko/20100101+Firefox/120.0";
        let mut iis = rec(&[(Field::UserAgent, agent)]);
        iis.plus_is_space = true;
        assert!(ua.eval(&iis));
        // A combined log writes the agent as sent: its `+` is a plus.
        assert!(!ua.eval(&rec(&[(Field::UserAgent, agent)])));
        let q = selection("        cs-uri-query|decoded|contains: 'cmd /c'\n");
        assert!(q.eval(&rec(&[(Field::UriQuery, "x=cmd%20%2Fc+dir")])));
        assert!(q.eval(&rec(&[(Field::UriQuery, "x=cmd+/c+dir")])));
        assert!(q.eval(&rec(&[(Field::UriQuery, "x=cmd%2520/c")])));
        assert!(!q.eval(&rec(&[(Field::UriQuery, "x=cmd")])));
    }

    #[test]
    fn regex_and_cidr() {
        let re = selection(
            "        cs-referer|re: '(?i)^(https?://[^/]+)?/_layouts/(\\d+/)?signout\\.aspx$'\n",
        );
        assert!(re.eval(&rec(&[(Field::Referer, "/_layouts/SignOut.aspx")])));
        assert!(re.eval(&rec(&[(
            Field::Referer,
            "https://portal/_layouts/15/SignOut.aspx"
        )])));
        assert!(!re.eval(&rec(&[(Field::Referer, "/_layouts/SignOut.aspx.bak")])));
        let net = selection("        c-ip|cidr: [10.0.0.0/8, '2001:db8::/32']\n");
        assert!(net.eval(&rec(&[(Field::ClientIp, "10.1.2.3")])));
        assert!(net.eval(&rec(&[(Field::ClientIp, "192.0.2.1, 10.9.9.9")])));
        assert!(net.eval(&rec(&[(Field::ClientIp, "[2001:db8::5]:443")])));
        assert!(!net.eval(&rec(&[(Field::ClientIp, "110.1.2.3")])));
    }

    fn sigma(detection: &str) -> CompiledSelection {
        let mut l = Loader::new();
        l.add_sigma_text(
            "s.yml",
            &format!("title: t\nlogsource: {{category: webserver}}\ndetection:\n{detection}"),
        );
        let (rules, d) = l.finish().unwrap_or_else(|e| panic!("{:?}", e.0));
        assert!(d.is_empty(), "{d:?}");
        CompiledSelection::new(&rules[0].selections[0]).unwrap()
    }

    #[test]
    fn derived_uri_fields_and_fieldref() {
        let s = sigma(
            "  s:\n    c-uri|contains: '.php?cmd='\n    c-uri-extension: php\n  condition: s\n",
        );
        assert!(s.eval(&rec(&[
            (Field::UriStem, "/up/x.PHP"),
            (Field::UriQuery, "cmd=id")
        ])));
        assert!(!s.eval(&rec(&[(Field::UriStem, "/up/x.php")])));
        assert!(!s.eval(&rec(&[
            (Field::UriStem, "/up.php/x"),
            (Field::UriQuery, "cmd=id")
        ])));
        let s = sigma("  s:\n    c-uri: /a/b\n  condition: s\n");
        assert!(s.eval(&rec(&[(Field::UriStem, "/a/b")])));
        assert!(!s.eval(&rec(&[(Field::UriStem, "/a/b"), (Field::UriQuery, "x=1")])));
        let s = sigma("  s:\n    cs-username|fieldref: cs-host\n  condition: s\n");
        assert!(s.eval(&rec(&[
            (Field::Username, "Portal"),
            (Field::Host, "portal")
        ])));
        assert!(!s.eval(&rec(&[(Field::Username, "bob"), (Field::Host, "portal")])));
        assert!(!s.eval(&rec(&[(Field::Host, "portal")])));
    }

    #[test]
    fn sigma_wildcards_and_encodings_match() {
        let s = sigma("  s:\n    cs-uri-query|contains: ['a*c', 'x?z']\n  condition: s\n");
        assert!(s.eval(&rec(&[(Field::UriQuery, "q=ABBC")])));
        assert!(s.eval(&rec(&[(Field::UriQuery, "xyz")])));
        assert!(!s.eval(&rec(&[(Field::UriQuery, "xz")])));
        let s = sigma("  s:\n    cs-uri-query|base64offset|contains: /bin/sh\n  condition: s\n");
        for q in ["L2Jpbi9zaA", "eC9iaW4vc2g", "eHkvYmluL3No"] {
            assert!(s.eval(&rec(&[(Field::UriQuery, q)])), "{q}");
        }
        assert!(!s.eval(&rec(&[(Field::UriQuery, "L2Jpbi9iYXNo")])));
        let s = sigma("  s:\n    cs-uri-query|re: 'CMD=[a-z]+'\n  condition: s\n");
        assert!(s.eval(&rec(&[(Field::UriQuery, "CMD=dir")])));
        assert!(
            !s.eval(&rec(&[(Field::UriQuery, "cmd=dir")])),
            "re is case-sensitive"
        );
    }

    #[test]
    fn regexes_are_refused_at_load_and_built_at_first_use() {
        let big = "(?:[a-z]{100}){100}{100}";
        let err = LazyRegex::new(big).err().expect("over the NFA size limit");
        let meta = LazyRegex::build(big, LazyRegex::limit()).unwrap_err();
        assert_eq!(err.to_string(), format!("regex `{big}`: {meta}"));
        let ok = LazyRegex::new(r"^/_layouts/(\d+/)?spinstall\d?\.aspx$").unwrap();
        assert!(
            ok.built.get().is_none(),
            "built before any record needed it"
        );
        assert!(ok.get().is_match(b"/_layouts/15/spinstall0.aspx"));
        assert!(!ok.get().is_match(b"/_layouts/15/start.aspx"));
    }
}
