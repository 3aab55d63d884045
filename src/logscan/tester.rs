//! The log tester (ripgrep's `SearcherTester` is the model): one log text goes through
//! every way the scanner can read it, and each must find exactly what one thread reading
//! the plain text with every line parsed finds.
//!
//! The ways: one thread, split across threads (forced with a tiny split threshold), gzip,
//! UTF-16LE with a BOM, resumed from a start in the middle (the two halves together), each
//! with the line prefilter and without.

use std::io::{Cursor, Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use crate::engine::Engine;
use crate::finding::{Finding, Subject};
use crate::ioc::IocSet;
use crate::logs::LogFormat;
use crate::read::{Encoding, decode_head};
use crate::rules::Loader;

use super::{LogInput, LogOutcome, LogScanner, Prefilter, Sink, SplitInput, Start};

/// How findings are compared: where, which rule, which indicator in which field.
type Seen = Vec<String>;

pub(super) fn describe(f: &Finding) -> String {
    let (line, offset) = match &f.subject {
        Subject::Log(l) => (l.line, l.offset),
        Subject::File(_) => (0, 0),
    };
    let ioc = f
        .indicator
        .as_ref()
        .map(|i| {
            format!(
                "{}@{}={}",
                i.indicator.value,
                i.field,
                String::from_utf8_lossy(&i.matched)
            )
        })
        .unwrap_or_default();
    format!("{line}:{offset} {} {:?} {ioc}", f.rule.id, f.severity())
}

/// A sink that keeps what it is given, shared by the threads of a split scan.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Seen>>);

impl Sink for Collect {
    fn findings(&mut self, batch: Vec<Finding>) {
        let mut seen = self.0.lock().expect("no thread panics holding it");
        seen.extend(batch.iter().map(describe));
    }
}

impl Collect {
    fn sorted(&self) -> Seen {
        let mut v = self.0.lock().expect("no thread panics holding it").clone();
        v.sort();
        v
    }
}

/// Bytes that are read as `head` first, then as a stream.
const HEAD: usize = 64 * 1024;

struct LogTester {
    name: &'static str,
    format: LogFormat,
    /// The plain (UTF-8) text of the log.
    text: Vec<u8>,
    /// The line a resumed scan starts at (1-based): a record boundary.
    resume_line: usize,
}

impl LogTester {
    fn scanner(&self, prefilter: Prefilter, threads: usize) -> LogScanner {
        let (engine, iocs) = setup();
        LogScanner::builder()
            .prefilter(prefilter)
            .threads(threads)
            .split_min(64)
            .build(Arc::clone(engine), Arc::clone(iocs))
    }

    fn scan(
        &self,
        scanner: &LogScanner,
        head: &[u8],
        src: impl Read,
        start: Start,
    ) -> (Seen, LogOutcome) {
        let mut scratch = scanner.engine.scratch();
        let sink = Collect::default();
        let input = LogInput {
            path: Path::new(self.name),
            format: self.format,
            head,
            src,
        };
        let outcome = scanner
            .scan(&mut scratch, input, &start, &mut sink.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", self.name));
        (sink.sorted(), outcome)
    }

    /// The text as stored in `raw`, read as the pipeline reads a file of that encoding.
    fn decoded(&self, scanner: &LogScanner, raw: Vec<u8>) -> (Seen, LogOutcome) {
        let encoding = Encoding::of(&raw);
        assert!(!encoding.is_plain(), "{}", self.name);
        let split = raw.len().min(HEAD);
        let rest = raw[split..].to_vec();
        let mut raw_head = raw;
        raw_head.truncate(split);
        let d = decode_head(encoding, raw_head, Cursor::new(rest), u64::MAX, HEAD);
        assert!(d.error.is_none(), "{}", self.name);
        self.scan(scanner, &d.head.clone(), d.stream, Start::default())
    }

    fn split(&self, scanner: &LogScanner) -> (Seen, LogOutcome) {
        let mut file = tempfile::tempfile().expect("temporary file");
        file.write_all(&self.text).expect("temporary file");
        let start = Start::default();
        let end = self.text.len() as u64;
        assert!(scanner.splits(self.format, end), "{}", self.name);
        let plan = scanner.plan_split(&file, 0, &start, end).expect("plan");
        assert!(plan.parts() > 2, "{}: {} parts", self.name, plan.parts());
        let input = SplitInput {
            file: &file,
            path: Path::new(self.name),
            format: self.format,
        };
        let sink = Collect::default();
        let outcome = scanner
            .scan_split(input, &plan, &start, &sink)
            .unwrap_or_else(|e| panic!("{}: {e}", self.name));
        (sink.sorted(), outcome)
    }

    /// The first half from the start, then the rest from the resume line as a later sweep
    /// starts there (with the `#Fields` directive in force).
    fn resumed(&self, scanner: &LogScanner) -> Seen {
        let mut offset = 0;
        let mut fields = None;
        for line in self
            .text
            .split_inclusive(|&b| b == b'\n')
            .take(self.resume_line - 1)
        {
            if line.starts_with(b"#Fields:") {
                fields = Some(line.trim_ascii_end().to_vec());
            }
            offset += line.len();
        }
        let (mut seen, first) = self.scan(
            scanner,
            &self.text[..offset],
            std::io::empty(),
            Start::default(),
        );
        assert_eq!(
            first.next,
            (self.resume_line as u64, offset as u64),
            "{}",
            self.name
        );
        let start = Start {
            line: self.resume_line as u64,
            offset: offset as u64,
            iis_fields: fields,
            ..Start::default()
        };
        let (rest, _) = self.scan(scanner, &[], &self.text[offset..], start);
        seen.extend(rest);
        seen.sort();
        seen
    }

    /// Runs every path and asserts each finds what the reference finds.
    fn test(&self) {
        let reference_scanner = self.scanner(Prefilter::Off, 1);
        let (reference, whole) =
            self.scan(&reference_scanner, &[], &self.text[..], Start::default());
        assert!(
            reference.iter().any(|f| f.contains("SSW-LOG-")),
            "{}: the input must hold attacks: {reference:#?}",
            self.name
        );
        assert!(
            reference.iter().any(|f| f.contains("SSW-IOC-")),
            "{}: the input must hold IOC hits: {reference:#?}",
            self.name
        );
        let gzip = {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(&self.text).expect("in memory");
            enc.finish().expect("in memory")
        };
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                String::from_utf8_lossy(&self.text)
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        for prefilter in [Prefilter::Off, Prefilter::Lines] {
            let at = |path: &str| format!("{}, {path}, prefilter {prefilter:?}", self.name);
            let one = self.scanner(prefilter, 1);
            let split_head = HEAD.min(self.text.len());
            let (seen, outcome) = self.scan(
                &one,
                &self.text[..split_head],
                &self.text[split_head..],
                Start::default(),
            );
            assert_eq!(seen, reference, "{}", at("one thread"));
            assert_eq!(outcome.records, whole.records, "{}", at("one thread"));
            if self.format != LogFormat::Uls {
                let (seen, outcome) = self.split(&self.scanner(prefilter, 3));
                assert_eq!(seen, reference, "{}", at("split"));
                assert_eq!(outcome.records, whole.records, "{}", at("split"));
            }
            let (seen, _) = self.decoded(&one, gzip.clone());
            assert_eq!(seen, reference, "{}", at("gzip"));
            let (seen, _) = self.decoded(&one, utf16.clone());
            assert_eq!(seen, reference, "{}", at("UTF-16LE with BOM"));
            assert_eq!(self.resumed(&one), reference, "{}", at("resumed"));
        }
    }
}

pub(super) fn setup() -> &'static (Arc<Engine>, Arc<IocSet>) {
    static SETUP: OnceLock<(Arc<Engine>, Arc<IocSet>)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let mut l = Loader::new();
        l.add_bundled();
        let engine = Engine::new(l.finish().expect("bundled rules").0).expect("engine");
        let mut iocs = IocSet::default();
        for list in ["c2-iocs.txt", "filename-iocs.txt", "toolshell.txt"] {
            // Some lines of these lists are wrong on purpose; the rest loads.
            iocs.load_file(&fixture(&format!("iocs/{list}")))
                .expect("IOC fixture");
        }
        iocs.prepare();
        (Arc::new(engine), Arc::new(iocs))
    })
}

fn fixture(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

/// A fixture log's text, decoded as the scanner reads it.
fn text_of(path: &str) -> Vec<u8> {
    let raw = std::fs::read(fixture(path)).expect("log fixture");
    let mut text = Vec::new();
    Encoding::of(&raw)
        .decode(Cursor::new(raw), u64::MAX)
        .read_to_end(&mut text)
        .expect("log fixture decodes");
    if !text.ends_with(b"\n") {
        text.push(b'\n');
    }
    text
}

/// `parts` one after the other, `times` times over.
fn repeated(parts: &[&str], times: usize) -> Vec<u8> {
    let one: Vec<u8> = parts.iter().flat_map(|p| text_of(p)).collect();
    one.repeat(times)
}

fn line_count(text: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', text).count()
}

#[test]
fn iis_logs_read_every_way_find_the_same() {
    let text = repeated(
        &[
            "logs/iis/W3SVC1/u_ex250719.log",
            "logs/aspnet/W3SVC2/u_ex250720.log",
        ],
        3,
    );
    // In the middle of the second copy: the directive in force comes from before it.
    let resume_line = line_count(&text) / 2 + 1;
    LogTester {
        name: "u_ex250719.log",
        format: LogFormat::Iis,
        text,
        resume_line,
    }
    .test();
}

#[test]
fn combined_logs_read_every_way_find_the_same() {
    let text = repeated(&["logs/apache2/access.log", "logs/nginx/access.log"], 3);
    let resume_line = line_count(&text) / 2 + 1;
    LogTester {
        name: "access.log",
        format: LogFormat::Combined,
        text,
        resume_line,
    }
    .test();
}

#[test]
fn uls_logs_read_every_way_find_the_same() {
    let sharepoint = "logs/sharepoint/LOGS/SRV01-20250719-0900.log";
    let one = text_of(sharepoint);
    // ULS records span lines: the resumed scan starts where the second copy does.
    let resume_line = line_count(&one) + 1;
    let mut text = one.repeat(2);
    // An address of the IOC list in a message: ULS records are matched as text.
    text.extend_from_slice(
        b"07/19/2025 09:21:00.00 \tw3wp.exe (0x2A1C)                       \t0x3B42\tSharePoint Foundation         \tGeneral                       \t8nca\tMedium    \tOutbound call to 65.38.121.198 failed\t00000000-0000-0000-0000-000000000002\r\n",
    );
    LogTester {
        name: "SRV01-20250719-0900.log",
        format: LogFormat::Uls,
        text,
        resume_line,
    }
    .test();
}
