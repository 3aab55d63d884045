//! The address gate: for a scan that looks for nothing but a few IPv4 addresses (what the
//! correlation pass looks for once the webshells' names are joined: the pivot addresses),
//! each chunk is searched once for the addresses' text, and an IIS line holding none of it
//! is counted without its client columns being cut out and looked up.
//!
//! The line filter finds a listed client by cutting `c-ip` and X-Forwarded-For out of every
//! line and parsing them: about 170 ns a line on SharePoint traffic, most of a pass over a
//! log. A record can only match an IPv4 address if its line holds it as logged text: the
//! matcher reads addresses as written (`ioc::matcher`, `common::net`), and the only form of
//! an IPv4 address that is not its dotted quad is an IPv4-mapped IPv6 address in hex
//! (`::ffff:cb00:714d`), whose sixth group is `ffff` between colons in every spelling. So a
//! line holding neither a listed dotted quad nor `:ffff:` (in any case) cannot match, and a
//! SIMD search for those few strings dismisses it at close to the speed of reading.
//!
//! Digits are everywhere in a log, so a multi-literal search over dotted quads slows down
//! quickly as the list grows (measured: about 2.6 GB/s up to 16 addresses, 1.3 GB/s at 30):
//! past [`GATE_MAX`] addresses the line filter's own lookup is the faster.

use std::net::Ipv4Addr;

use aho_corasick::packed;

use crate::engine::Engine;
use crate::ioc::{IocSet, Kind};
use crate::logs::Window;

/// Most addresses the gate searches for; past them it is not used.
const GATE_MAX: usize = 16;

/// The searcher for one scanner's addresses.
pub(super) struct AddressGate {
    searcher: packed::Searcher,
}

impl AddressGate {
    /// The gate for a scanner whose only matchers are the IPv4 addresses of `iocs`: no log
    /// rule (whose literals or patterns could match any line), no other kind of indicator,
    /// at most [`GATE_MAX`] addresses, and no time window (whose bounds count lines the
    /// gate would pass over unread). `None` otherwise.
    pub(super) fn new(engine: &Engine, iocs: &IocSet, window: &Window) -> Option<AddressGate> {
        if engine.has_log_rules() || !window.is_open() || iocs.is_empty() || iocs.len() > GATE_MAX {
            return None;
        }
        let mut texts: Vec<String> = Vec::new();
        for i in iocs.iter() {
            if i.kind != Kind::Ipv4 {
                return None;
            }
            // A network (`203.0.113.0/24`) has no one text.
            let a: Ipv4Addr = i.value.parse().ok()?;
            texts.push(a.to_string());
        }
        // `:ffff:` in every mix of cases.
        for m in 0..16u8 {
            let group: String = (0..4)
                .map(|k| if m & (1 << k) == 0 { 'f' } else { 'F' })
                .collect();
            texts.push(format!(":{group}:"));
        }
        let searcher = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(&texts)
            .build()?;
        Some(AddressGate { searcher })
    }

    /// The decoded offsets (a chunk starting at `base`) where the text of an address, or
    /// `:ffff:`, starts, in order.
    pub(super) fn mark(&self, chunk: &[u8], base: u64, hits: &mut Vec<u64>) {
        hits.clear();
        hits.extend(
            self.searcher
                .find_iter(chunk)
                .map(|m| base + m.start() as u64),
        );
    }
}

/// Whether a hit of [`AddressGate::mark`] starts in `[from, to)`. Hits are few; a held line
/// can come back after later ones, so no cursor.
pub(super) fn any_in(hits: &[u64], from: u64, to: u64) -> bool {
    let i = hits.partition_point(|&h| h < from);
    hits.get(i).is_some_and(|&h| h < to)
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::finding::Finding;
    use crate::logs::LogFormat;
    use crate::logscan::tester::describe;
    use crate::logscan::{LogInput, LogOutcome, LogScanner, Prefilter, Sink, SplitInput, Start};
    use crate::rules::Loader;

    const LISTED: [&str; 2] = ["23.37.185.44", "151.162.240.183"];

    fn iocs(text: &str) -> IocSet {
        let mut s = IocSet::default();
        assert!(s.load_text("list.txt", text).problems.is_empty(), "{text}");
        s.prepare();
        s
    }

    fn no_rules() -> Engine {
        Engine::new(Vec::new()).expect("engine")
    }

    #[test]
    fn only_for_a_few_ipv4_addresses_and_nothing_else() {
        let open = Window::default();
        let two = iocs(&LISTED.join("\n"));
        assert!(AddressGate::new(&no_rules(), &two, &open).is_some());
        let many: Vec<String> = (1..=GATE_MAX + 1)
            .map(|i| format!("203.0.113.{i}"))
            .collect();
        assert!(
            AddressGate::new(&no_rules(), &iocs(&many[..GATE_MAX].join("\n")), &open).is_some()
        );
        assert!(AddressGate::new(&no_rules(), &iocs(&many.join("\n")), &open).is_none());
        for other in [
            "198.51.100.0/24",
            "2001:db8::1",
            "evil.example",
            "shell.aspx",
        ] {
            let set = iocs(&format!("{}\n{other}\n", LISTED[0]));
            assert!(
                AddressGate::new(&no_rules(), &set, &open).is_none(),
                "{other}"
            );
        }
        let window = Window {
            since: jiff::Timestamp::from_second(1_752_912_000).ok(),
            until: None,
        };
        assert!(AddressGate::new(&no_rules(), &two, &window).is_none());
        let mut l = Loader::new();
        l.add_bundled();
        let rules = Engine::new(l.finish().expect("bundled rules").0).expect("engine");
        assert!(AddressGate::new(&rules, &two, &open).is_none());
        assert!(AddressGate::new(&no_rules(), &IocSet::default(), &open).is_none());
    }

    #[test]
    fn hits_are_where_an_address_or_a_mapped_group_starts() {
        let gate = AddressGate::new(&no_rules(), &iocs(&LISTED.join("\n")), &Window::default())
            .expect("gate");
        let text = b"a 23.37.185.44 b ::FfFf:1725:b92c c 123.37.185.4 d";
        let mut hits = Vec::new();
        gate.mark(text, 100, &mut hits);
        assert_eq!(hits, vec![102, 118]);
        assert!(any_in(&hits, 100, 103) && any_in(&hits, 118, 119));
        assert!(!any_in(&hits, 103, 118) && !any_in(&hits, 119, 200));
    }

    /// Findings in order, each with its line, offset and indicator.
    #[derive(Clone, Default)]
    struct Kept(Arc<Mutex<Vec<String>>>);

    impl Sink for Kept {
        fn findings(&mut self, batch: Vec<Finding>) {
            let mut kept = self.0.lock().expect("no panic while held");
            kept.extend(batch.iter().map(describe));
        }
    }

    /// An IIS log with the listed addresses written every way logs write them, among
    /// addresses that only look like them, over several of the reader's chunks.
    fn log() -> Vec<u8> {
        let forms = [
            ("23.37.185.44", "-"),
            ("10.0.0.9", "23.37.185.44"),
            ("10.0.0.9", "198.51.100.7,+151.162.240.183"),
            ("23.37.185.44:5555", "-"),
            ("[::ffff:23.37.185.44]:443", "-"),
            ("::ffff:1725:b92c", "-"),
            ("::FFFF:97A2:F0B7", "-"),
            ("0:0:0:0:0:fFfF:1725:B92C", "-"),
            ("123.37.185.44", "-"),
            ("23.37.185.4", "23.37.185.440"),
            ("-", "-"),
            ("::ffff:1725:b92d", "-"),
        ];
        let mut text = String::from(
            "#Software: Microsoft Internet Information Services 10.0\n\
             #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query c-ip sc-status X-Forwarded-For\n",
        );
        for n in 0..9000usize {
            let (client, forwarded) = if n % 7 == 3 {
                forms[(n / 7) % forms.len()]
            } else {
                ("203.0.113.9", "-")
            };
            // Without a client column, addresses are looked for anywhere in the line.
            if n == 4000 {
                text.push_str(
                    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query sc-status\n",
                );
            }
            if (4000..4500).contains(&n) {
                let query = [
                    "from=23.37.185.44",
                    "to=::FFFF:1725:B92C",
                    "id=123.37.185.44",
                ][n % 3];
                text.push_str(&format!(
                    "2025-07-19 07:14:00 10.20.0.15 GET /sites/p{n}.aspx {query} 200\n"
                ));
                continue;
            }
            if n == 4500 {
                text.push_str("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query c-ip sc-status X-Forwarded-For\n");
            }
            text.push_str(&format!(
                "2025-07-19 07:13:{:02} 10.20.0.15 GET /sites/p{n}.aspx id=4 {client} 200 {forwarded}\n",
                n % 60
            ));
        }
        text.into_bytes()
    }

    fn scan(scanner: &LogScanner, text: &[u8]) -> (Vec<String>, LogOutcome) {
        let mut scratch = scanner.engine.scratch();
        let sink = Kept::default();
        let input = LogInput {
            path: Path::new("u_ex.log"),
            format: LogFormat::Iis,
            head: &[],
            src: Cursor::new(text),
        };
        let outcome = scanner
            .scan(&mut scratch, input, &Start::default(), &mut sink.clone())
            .expect("in memory");
        let kept = sink.0.lock().expect("no panic while held").clone();
        (kept, outcome)
    }

    #[test]
    fn lines_the_gate_passes_over_match_nothing_and_are_counted() {
        let engine = Arc::new(no_rules());
        let set = Arc::new(iocs(&LISTED.join("\n")));
        let build = |prefilter, threads| {
            LogScanner::builder()
                .prefilter(prefilter)
                .threads(threads)
                .split_min(64 << 10)
                .build(Arc::clone(&engine), Arc::clone(&set))
        };
        let text = log();
        assert!(text.len() > 2 * (256 << 10), "several chunks");
        let gated = build(Prefilter::Lines, 1);
        assert!(gated.addresses().is_some());
        let (want, w) = scan(&build(Prefilter::Off, 1), &text);
        // Every form of a listed address is found, none of the look-alikes.
        assert!(want.len() > 500, "{}", want.len());
        for form in [
            "c-ip=23.37.185.44:5555",
            "c-ip=::FFFF:97A2:F0B7",
            "x-forwarded-for=23.37.185.44",
            "line=23.37.185.44",
            "line=::FFFF:1725:B92C",
        ] {
            assert!(want.iter().any(|f| f.contains(form)), "{form}");
        }
        assert!(!want.iter().any(|f| f.contains("123.37.185.44")));
        let (seen, o) = scan(&gated, &text);
        assert!(
            seen == want,
            "{} findings, {} wanted",
            seen.len(),
            want.len()
        );
        assert_eq!(
            (o.records, o.unparsed_lines, o.next, o.bytes),
            (w.records, w.unparsed_lines, w.next, w.bytes)
        );
        // Split across threads, each part through the gate.
        let two = build(Prefilter::Lines, 2);
        let mut file = tempfile::tempfile().expect("temporary file");
        file.write_all(&text).expect("temporary file");
        let start = Start::default();
        let plan = two
            .plan_split(&file, 0, &start, text.len() as u64)
            .expect("plan");
        assert!(plan.parts() > 2);
        let sink = Kept::default();
        let input = SplitInput {
            file: &file,
            path: Path::new("u_ex.log"),
            format: LogFormat::Iis,
        };
        let o = two.scan_split(input, &plan, &start, &sink).expect("split");
        assert!(*sink.0.lock().expect("no panic while held") == want);
        assert_eq!(o.records, w.records);
    }
}
