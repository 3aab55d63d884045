//! Which log lines need parsing at all.
//!
//! Nearly every line of a web server's log is ordinary traffic that no log rule and no IOC
//! can match. Parsing each into fields and running every rule on it is what made log scans
//! slow, so IIS and Apache/nginx lines first go through this filter:
//!
//! - each chunk of text is searched once, lowercased, for the primary literal of every
//!   rule alternative (its most selective clause; see `engine::gate`) and of the few IOC
//!   domains, URLs and file names that are not made of host bytes (`gate.rs`,
//!   `primary.rs`); the others are looked up token by token in hash sets (`ioc::tokens`),
//!   which stays linear in the size of the lists. A line holding a primary literal is
//!   checked for the alternative's other clauses, most selective first, and parsed when
//!   some alternative has them all;
//! - a line with percent escapes is also read decoded once, twice and three times, the
//!   forms `decoded` tests and Apache paths compare. A literal that only decoding brings
//!   in holds a decoded byte, so only the literals holding such a byte are compared there,
//!   and a line whose escapes decode to nothing any literal holds is not decoded at all;
//! - otherwise, when IOC addresses are loaded, only the client address fields are cut out
//!   (in IIS logs from the chunk's space mask, marked in the same pass over the chunk) and
//!   looked up.
//!
//! The filter only ever lets too many lines through, never too few: a rule whose condition
//! can hold without a literal, or an IOC without one, turns it off, and then every line is
//! parsed as before.

mod gate;
mod primary;
mod rarity;

use crate::engine::Engine;
use crate::ioc::IocSet;
use crate::logs::{
    Field, IisColumns, LogFormat, SpaceMask, Spaces, Window, combined_client_and_time,
};

use gate::Gate;

/// Built once per scan and shared by every thread.
pub struct LineFilter {
    /// `None` when some rule or indicator needs every line parsed.
    gate: Option<Gate>,
    /// IOC addresses are loaded, so lines the gate passes over still get their client
    /// address looked up.
    check_ips: bool,
    /// IOC domains, URLs or file names are loaded: lines the gate passes over still get
    /// their tokens looked up (see `ioc::tokens`).
    check_tokens: bool,
}

/// A thread's working space for one log.
#[derive(Default)]
pub struct Marks {
    /// Primary literals found in the current chunk, in order: decoded offset, searcher and
    /// literal.
    hits: Vec<(u64, u8, u32)>,
    /// Rules whose primary clause the current line holds.
    candidates: Vec<u32>,
    /// The current chunk, lowercased, and its decoded offset.
    lower: Vec<u8>,
    base: u64,
    next_hit: usize,
    views: [Vec<u8>; 2],
    /// Offsets of the bytes the last decoding round decoded.
    decoded_at: Vec<u32>,
    /// The spaces of the current chunk of an IIS log, and its decoded offset: the columns
    /// of the lines the gate passes over are cut out by reading these.
    spaces: SpaceMask,
    spaces_base: Option<u64>,
    /// The gate decided on the current line: `passed` holds every rule (index among the
    /// engine's log rules; one past them stands for the IOC literals) whose clauses the line
    /// satisfies, and no other rule can match its record.
    gated: bool,
    passed: Vec<u32>,
}

impl LineFilter {
    /// A filter that lets every line through: what scanning was before it, and the
    /// reference the filter is tested against.
    pub fn every_line() -> LineFilter {
        LineFilter {
            gate: None,
            check_ips: false,
            check_tokens: false,
        }
    }

    pub fn new(engine: &Engine, iocs: &IocSet) -> LineFilter {
        let check_ips = !iocs.ips.is_empty();
        let check_tokens = iocs.has_line_tokens();
        let Some(rule_gates) = engine.record_gate() else {
            return LineFilter {
                gate: None,
                check_ips,
                check_tokens,
            };
        };
        // Each alternative of each rule, with the rule (its index among the log rules).
        let mut gates: Vec<(u32, Vec<Vec<Vec<u8>>>)> = rule_gates
            .iter()
            .enumerate()
            .flat_map(|(r, alts)| alts.iter().map(move |clauses| (r as u32, clauses.clone())))
            .collect();
        match ioc_literals(iocs) {
            Some(lits) if lits.is_empty() => {}
            Some(lits) => gates.push((rule_gates.len() as u32, vec![lits])),
            None => {
                return LineFilter {
                    gate: None,
                    check_ips,
                    check_tokens,
                };
            }
        }
        LineFilter {
            gate: Gate::new(&gates),
            check_ips,
            check_tokens,
        }
    }

    /// Whether lines of `format` go through the filter: the parsed single-line formats.
    /// (ULS records span lines and unparsed text has no client field.)
    pub(crate) fn applies(&self, format: LogFormat) -> bool {
        self.gate.is_some() && matches!(format, LogFormat::Iis | LogFormat::Combined)
    }

    /// The only log rules (by index among the engine's log rules) that can match the record
    /// of the line [`LineFilter::needs_parse`] last let through, when the gate knows them;
    /// `None` when every rule must be evaluated. The rule literals that let a line through
    /// say which rules can match it: evaluating the others is wasted work.
    pub(crate) fn passed<'m>(&self, marks: &'m Marks) -> Option<&'m [u32]> {
        marks.gated.then_some(&marks.passed[..])
    }

    /// Finds the gate literals in a chunk of text of a `format` log that starts at decoded
    /// offset `base`, and in IIS logs the spaces between columns.
    pub(crate) fn mark_chunk(&self, chunk: &[u8], base: u64, format: LogFormat, marks: &mut Marks) {
        marks.hits.clear();
        marks.next_hit = 0;
        marks.spaces_base = None;
        if let Some(gate) = &self.gate {
            gate.mark(chunk, base, marks);
        }
        // Only IOC addresses need the client columns of every line; a `--since`/`--until`
        // window reads the time columns from the line's own bytes.
        if format == LogFormat::Iis && self.check_ips {
            marks.spaces.fill(chunk);
            marks.spaces_base = Some(base);
        }
    }

    /// Whether a line (at decoded offset `offset`, inside the last marked chunk) may match
    /// some rule or indicator and so must be parsed. Lines that need not be are still
    /// counted, and kept to the time window: `outside` is set when the line falls outside.
    pub(crate) fn needs_parse(
        &self,
        line: &[u8],
        offset: u64,
        lookup: Lookup<'_>,
        marks: &mut Marks,
    ) -> Verdict {
        marks.gated = false;
        let Some(gate) = &self.gate else {
            return Verdict::Parse;
        };
        if gate.passes(line, offset, lookup.format, marks)
            || (self.check_tokens
                && ((lookup.format == LogFormat::Combined
                    && memchr::memchr(b'\\', line).is_some())
                    || lookup.iocs.line_may_match(line)))
        {
            return Verdict::Parse;
        }
        // Nothing left to look up in a line the gate passed over.
        if !self.check_ips && lookup.window.is_open() {
            return Verdict::Skip;
        }
        let (clients, time) = match lookup.format {
            LogFormat::Iis => {
                let from = marks
                    .spaces_base
                    .and_then(|base| usize::try_from(offset.checked_sub(base)?).ok())
                    .filter(|&at| marks.spaces.covers(at, line.len()))
                    .map_or(Spaces::Line, |at| Spaces::Masked(&marks.spaces, at));
                let time = if lookup.window.is_open() {
                    None
                } else {
                    lookup.columns.time(line, from)
                };
                let [ip, xff] =
                    lookup
                        .columns
                        .pick_in(line, from, [Field::ClientIp, Field::ForwardedFor]);
                (ip.map(|ip| (ip, xff)), time)
            }
            _ => match combined_client_and_time(line, !lookup.window.is_open()) {
                Some((clients, time)) => (Some((clients, None)), time),
                None => (None, None),
            },
        };
        if !lookup.window.contains(time) {
            return Verdict::OutsideWindow;
        }
        if !self.check_ips {
            return Verdict::Skip;
        }
        // No client field: the record scan looks for addresses anywhere in the line.
        let Some((client, forwarded)) = clients.filter(|(c, _)| *c != b"-") else {
            return Verdict::Parse;
        };
        let listed = lookup.iocs.lists_client(client, forwarded);
        if listed {
            Verdict::Parse
        } else {
            Verdict::Skip
        }
    }
}

/// What the filter needs to know about the log a line comes from.
#[derive(Clone, Copy)]
pub(crate) struct Lookup<'a> {
    pub(crate) format: LogFormat,
    pub(crate) columns: &'a IisColumns,
    pub(crate) window: &'a Window,
    pub(crate) iocs: &'a IocSet,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Parse,
    /// Nothing can match: count the record and move on.
    Skip,
    /// Outside `--since`/`--until`: count it as such.
    OutsideWindow,
}

/// Literals one of which a line holds when an IOC domain, URL or file name that
/// [`IocSet::line_may_match`] does not check can match it; `None` when some such indicator
/// has no usable literal.
fn ioc_literals(iocs: &IocSet) -> Option<Vec<Vec<u8>>> {
    iocs.gate_literals()
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::path::Path;
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;
    use crate::logs::Window;
    use crate::logscan::{LogInput, LogOptions, LogScanner, Prefilter, Start};
    use crate::rules::Loader;

    const IOCS: &str = "203.0.113.77\n198.51.100.0/24\nevil.example\nspinstall9.aspx\nhttp://portal.contoso.test/_layouts/15/bad.aspx\n*.wild.test\nx_y.bad.test\n";

    /// Pieces that make up log lines: ordinary traffic and what the bundled rules and the
    /// IOCs above look for, so that random lines hit, nearly hit and miss.
    const METHODS: &[&str] = &["GET", "POST", "post", "HEAD"];
    const STEMS: &[&str] = &[
        "/default.aspx",
        "/",
        "/_layouts/15/ToolPane.aspx",
        "/_layouts/16/toolpane.aspx/",
        "/_layouts/15/start.aspx",
        "/_layouts/15/spinstall0.aspx",
        "/_layouts/SPINSTALL.aspx",
        "/_layouts/15/ghostfile12.aspx",
        "/uploads/2025/x.php",
        "/wp-content/uploads/shell.phtml",
        "/images/a.png",
        "/files/a.ashx",
        "/sites/hr/Lists/Tasks/AllItems.aspx",
        "/spinstall9.aspx",
        "/_layouts/15/bad.aspx",
    ];
    const QUERIES: &[&str] = &[
        "-",
        "DisplayMode=Edit&a=/ToolPane.aspx",
        "displaymode=edit",
        "cmd=whoami",
        "c=id",
        "cmd=connect",
        "cmd=read&target=1",
        "x=cmd /c dir",
        "q=what does whoami print",
        "__VIEWSTATE=abc",
        "exec=ls -la /tmp",
        "a=powershell -enc AAAA",
        "u=curl x | sh",
        "f=cat /etc/passwd",
        "List=%7B1B2C%7D&ID=17",
        "next=http://evil.example/x",
    ];
    const AGENTS: &[&str] = &[
        "-",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
        "curl/8.1",
        "python-requests/2.32",
        "antSword/v2.1",
        "Mozilla/5.0 (X11; Linux) Firefox/128.0",
    ];
    const REFERERS: &[&str] = &[
        "-",
        "/_layouts/SignOut.aspx",
        "https://portal.contoso.test/_layouts/15/SignOut.aspx",
        "https://a.evil.example/",
        "https://portal.contoso.test/",
        "https://cdn.WILD.test/p",
        "http://x_y.bad.test/",
    ];
    const CLIENTS: &[&str] = &[
        "10.1.2.3",
        "203.0.113.77",
        "198.51.100.9",
        "-",
        "2001:db8::1",
    ];
    const STATUS: &[&str] = &["200", "404", "302", "500"];

    /// Writes `text` the way a client might have sent it: some characters percent-encoded
    /// (some twice), spaces as `+` or `%20`, letters in either case.
    fn disguise(text: &str, seed: u64, plus: bool) -> String {
        let mut out = String::new();
        let mut x = seed | 1;
        for c in text.chars() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let c = if x & 8 == 0 {
                c.to_ascii_uppercase()
            } else {
                c
            };
            match (x >> 4) % 16 {
                0 | 1 if c.is_ascii_graphic() => out.push_str(&format!("%{:02X}", c as u8)),
                2 if c.is_ascii_graphic() => out.push_str(&format!("%25{:02X}", c as u8)),
                _ if c == ' ' && plus => out.push('+'),
                _ if c == ' ' => out.push_str("%20"),
                _ => out.push(c),
            }
        }
        out
    }

    /// The first entry of each pool is ordinary traffic, picked three times in four, so
    /// that many lines are ones the filter skips.
    fn pick<'a>(pool: &[&'a str], n: usize) -> &'a str {
        if !n.is_multiple_of(4) {
            pool[0]
        } else {
            pool[(n / 4) % pool.len()]
        }
    }

    fn findings(
        prefilter: Prefilter,
        engine: &Arc<Engine>,
        iocs: &Arc<IocSet>,
        format: LogFormat,
        log: &[u8],
    ) -> Vec<String> {
        let scanner = LogScanner::builder()
            .options(LogOptions {
                max_line: 4096,
                ..LogOptions::default()
            })
            .prefilter(prefilter)
            .build(Arc::clone(engine), Arc::clone(iocs));
        let mut out = Vec::new();
        let mut scratch = engine.scratch();
        let input = LogInput {
            path: Path::new("x.log"),
            format,
            head: &[],
            src: Cursor::new(log),
        };
        let mut sink = |batch: Vec<crate::finding::Finding>| {
            for f in batch {
                let at = match &f.subject {
                    crate::finding::Subject::Log(l) => l.line,
                    crate::finding::Subject::File(_) => 0,
                };
                let ioc = f.indicator.map(|i| i.indicator.value).unwrap_or_default();
                out.push(format!("{at} {} {ioc}", f.rule.id));
            }
        };
        scanner
            .scan(&mut scratch, input, &Start::default(), &mut sink)
            .expect("in-memory log");
        out.sort();
        out
    }

    fn setup() -> &'static (Arc<Engine>, Arc<IocSet>) {
        static SETUP: std::sync::OnceLock<(Arc<Engine>, Arc<IocSet>)> = std::sync::OnceLock::new();
        SETUP.get_or_init(|| {
            let mut l = Loader::new();
            l.add_bundled();
            let engine = Engine::new(l.finish().expect("bundled rules").0).expect("engine");
            let mut iocs = IocSet::default();
            assert!(iocs.load_text("iocs.txt", IOCS).problems.is_empty());
            (Arc::new(engine), Arc::new(iocs))
        })
    }

    #[test]
    fn disguised_attacks_are_still_found() {
        let (engine, iocs) = setup();
        let log = b"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port c-ip cs(User-Agent) cs(Referer) sc-status X-Forwarded-For\n\
2025-07-19 07:13:02 10.0.0.1 GET /a.aspx x=%2577hoami 443 10.1.2.3 - - 200\n\
2025-07-19 07:13:02 10.0.0.1 POST /_layouts/15/ToolPane.aspx %44isplay%4Dode=%45dit&a=/ToolPane.aspx 443 10.1.2.3 - %2F_layouts%2FSignOut.aspx 200\n\
2025-07-19 07:13:02 10.0.0.1 GET /ok.aspx - 443 10.1.2.3 - - 200\n\
2025-07-19 07:13:02 10.0.0.1 GET /ok.aspx - 443 10.9.9.9,203.0.113.77 - - 200\n\
2025-07-19 07:13:02 10.0.0.1 GET /ok.aspx - 443 10.9.9.9 - - 200 10.0.0.1,198.51.100.20\n\
2025-07-19 07:13:02 10.0.0.1 GET /a.aspx x=%%377hoami 443 10.1.2.3 - - 200\n";
        // The last: `%77` (w) appears only once a `7` is decoded.
        let want = [
            "2 SSW-LOG-WEBSHELL-001 ",
            "3 SSW-LOG-TOOLSHELL-002 ",
            "5 SSW-IOC-IP 203.0.113.77",
            "6 SSW-IOC-IP 198.51.100.0/24",
            "7 SSW-LOG-WEBSHELL-001 ",
        ];
        assert_eq!(
            findings(Prefilter::Off, engine, iocs, LogFormat::Iis, log),
            want
        );
        assert_eq!(
            findings(Prefilter::Lines, engine, iocs, LogFormat::Iis, log),
            want
        );
    }

    #[test]
    fn only_the_rules_whose_literals_a_line_holds_are_evaluated() {
        let mut l = Loader::new();
        l.add_text(
            "t.yml",
            "rules:\n  - id: A\n    name: a\n    severity: low\n    scope: log\n    selections:\n      s:\n        cs-uri-query|contains: whoami\n    condition: s\n  - id: B\n    name: b\n    severity: low\n    scope: log\n    selections:\n      p:\n        cs-method: POST\n        cs-uri-stem|endswith: /ToolPane.aspx\n      q:\n        cs-uri-query|contains: spinstall\n    condition: p or q\n",
        );
        let engine = Engine::new(l.finish().expect("rules").0).expect("engine");
        let iocs = IocSet::default();
        let filter = LineFilter::new(&engine, &iocs);
        let columns = IisColumns::default();
        let window = Window::default();
        let lookup = Lookup {
            format: LogFormat::Iis,
            columns: &columns,
            window: &window,
            iocs: &iocs,
        };
        let mut marks = Marks::default();
        let mut passed = |line: &str| {
            filter.mark_chunk(line.as_bytes(), 0, LogFormat::Iis, &mut marks);
            let verdict = filter.needs_parse(line.as_bytes(), 0, lookup, &mut marks);
            (verdict, filter.passed(&marks).map(<[u32]>::to_vec))
        };
        let line = |method: &str, stem: &str, query: &str| {
            format!("2025-07-19 07:13:02 10.0.0.1 {method} {stem} {query} 443 - 10.1.2.3 - - 200")
        };
        assert_eq!(
            passed(&line("GET", "/a.aspx", "x=whoami")),
            (Verdict::Parse, Some(vec![0]))
        );
        // Either branch of B lets the line through for B alone; both rules when both hold.
        assert_eq!(
            passed(&line("POST", "/_layouts/15/ToolPane.aspx", "-")),
            (Verdict::Parse, Some(vec![1]))
        );
        assert_eq!(
            passed(&line("GET", "/x.aspx", "f=spinstall0.aspx&c=whoami")),
            (Verdict::Parse, Some(vec![0, 1]))
        );
        // One branch's literal without the rest of it is not enough.
        assert_eq!(
            passed(&line("GET", "/_layouts/15/ToolPane.aspx", "-")),
            (Verdict::Skip, Some(vec![]))
        );
        // Decoded only: `%77` is `w`.
        assert_eq!(
            passed(&line("GET", "/a.aspx", "x=%77hoami")),
            (Verdict::Parse, Some(vec![0]))
        );
    }

    #[test]
    fn every_bundled_rule_and_ioc_kind_keeps_the_filter_on() {
        let (engine, iocs) = setup();
        let f = LineFilter::new(engine, iocs);
        assert!(f.applies(LogFormat::Iis) && f.applies(LogFormat::Combined));
        assert!(!f.applies(LogFormat::Uls) && !f.applies(LogFormat::Raw));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// The filter only saves work: IIS and combined logs built from attack pieces,
        /// disguised in every way the rules allow for, give the same findings with it as
        /// with every line parsed.
        #[test]
        fn filtering_never_changes_findings(
            lines in prop::collection::vec(
                (any::<[u8; 8]>(), any::<u64>(), any::<u64>()), 1..40),
        ) {
            let (engine, iocs) = setup();
            let mut iis = String::from("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port c-ip cs(User-Agent) cs(Referer) cs-host sc-status X-Forwarded-For\n");
            let mut combined = String::new();
            for (n, seed_q, seed_s) in &lines {
                let n: Vec<usize> = n.iter().map(|&b| b as usize).collect();
                let method = pick(METHODS, n[0]);
                let stem = pick(STEMS, n[1]);
                let query = pick(QUERIES, n[2]);
                let agent = pick(AGENTS, n[3]);
                let referer = pick(REFERERS, n[4]);
                let client = pick(CLIENTS, n[5]);
                let status = pick(STATUS, n[6]);
                let xff = if n[7].is_multiple_of(3) { "198.51.100.20,10.0.0.1" } else { "-" };
                let q = if n[7].is_multiple_of(2) { disguise(query, *seed_q, n[7].is_multiple_of(4)) } else { query.replace(' ', "+") };
                let stem_iis = stem.to_owned();
                let host = if n[5] % 4 == 1 { "portal.contoso.test" } else { "www.example.test" };
                iis.push_str(&format!(
                    "2025-07-19 07:13:02 10.20.0.15 {method} {stem_iis} {q} 443 {client} {} {} {host} {status} {xff}\n",
                    agent.replace(' ', "+"),
                    referer.replace(' ', "+"),
                ));
                let path = if n[6].is_multiple_of(2) { disguise(stem, *seed_s, false) } else { stem.to_owned() };
                let target = if query == "-" { path } else { format!("{path}?{q}") };
                combined.push_str(&format!(
                    "{client} - - [19/Jul/2025:09:14:03 +0200] \"{method} {target} HTTP/1.1\" {status} 43 \"{referer}\" \"{agent}\"\n",
                ));
            }
            for (format, log) in [(LogFormat::Iis, &iis), (LogFormat::Combined, &combined)] {
                let got = findings(Prefilter::Lines, engine, iocs, format, log.as_bytes());
                let want = findings(Prefilter::Off, engine, iocs, format, log.as_bytes());
                prop_assert_eq!(got, want, "{:?}\n{}", format, log);
            }
        }
    }
}
