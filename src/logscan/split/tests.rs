//! The split scan against one thread reading the whole, on generated IIS logs.

use std::io::Write;
use std::sync::{Arc, Mutex};

use super::*;
use crate::finding::Finding;
use crate::logs::Window;
use crate::logscan::LogOptions;
use crate::logscan::tester::{describe, setup};

/// Findings in the order they were delivered.
#[derive(Clone, Default)]
struct InOrder(Arc<Mutex<Vec<String>>>);

impl Sink for InOrder {
    fn findings(&mut self, batch: Vec<Finding>) {
        lock(&self.0).extend(batch.iter().map(describe));
    }
}

const A: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query c-ip sc-status";
const B: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query sc-status c-ip";

/// An IIS log of `lines` requests, a new `#Fields` block every `every` lines, the
/// layouts taking turns: attacks and listed clients at intervals, one second apart.
fn generated(lines: usize, every: usize, eol: &str) -> Vec<u8> {
    let mut text = String::new();
    for n in 0..lines {
        let layout = if (n / every).is_multiple_of(2) { A } else { B };
        if n % every == 0 {
            text.push_str(&format!(
                "#Software: Microsoft Internet Information Services 10.0{eol}#Fields: {layout}{eol}"
            ));
        }
        let t = jiff::Timestamp::from_second(1_752_912_000 + n as i64).unwrap();
        let when = t.strftime("%Y-%m-%d %H:%M:%S");
        let query = if n % 37 == 5 { "cmd=whoami" } else { "id=4" };
        let client = if n % 23 == 7 {
            "96.9.125.147".to_owned()
        } else {
            format!("198.51.100.{}", n % 250)
        };
        let (a, b) = if layout == A {
            (client.as_str(), "200")
        } else {
            ("200", client.as_str())
        };
        text.push_str(&format!(
            "{when} 10.0.0.1 GET /p{n}.aspx {query} {a} {b}{eol}"
        ));
    }
    text.into_bytes()
}

fn scanner(threads: usize, window: Window) -> LogScanner {
    let (engine, iocs) = setup();
    let options = LogOptions {
        window,
        ..LogOptions::default()
    };
    LogScanner::builder()
        .threads(threads)
        .split_min(64)
        .options(options)
        .build(Arc::clone(engine), Arc::clone(iocs))
}

fn file_of(bytes: &[u8]) -> File {
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(bytes).unwrap();
    f
}

/// One thread reading the text after `bom` bytes, as the reference.
fn whole(scanner: &LogScanner, text: &[u8], bom: usize) -> (Vec<String>, LogOutcome) {
    let sink = InOrder::default();
    let mut scratch = scanner.engine.scratch();
    let input = LogInput {
        path: Path::new("u_ex.log"),
        format: LogFormat::Iis,
        head: &[],
        src: &text[bom..],
    };
    let o = scanner
        .scan(&mut scratch, input, &Start::default(), &mut sink.clone())
        .unwrap();
    let seen = lock(&sink.0).clone();
    (seen, o)
}

/// The same text split at `cuts` (or as planned), each later part assuming `guess`.
fn split(
    scanner: &LogScanner,
    text: &[u8],
    bom: usize,
    cuts: Option<Vec<u64>>,
    guess: (Guess, usize),
) -> (Vec<String>, LogOutcome, usize) {
    let file = file_of(text);
    let start = Start::default();
    let mut plan = scanner
        .plan_split(&file, bom as u64, &start, text.len() as u64)
        .unwrap();
    if let Some(cuts) = cuts {
        plan.cuts = cuts;
    }
    let input = SplitInput {
        file: &file,
        path: Path::new("u_ex.log"),
        format: LogFormat::Iis,
    };
    let sink = InOrder::default();
    let (o, rescans) = scanner
        .scan_parts(input, &plan, &start, &sink, guess)
        .unwrap();
    let seen = lock(&sink.0).clone();
    (seen, o, rescans)
}

/// Split scans find what one thread finds, in the same order, and end where it ends.
fn agree(
    scanner: &LogScanner,
    text: &[u8],
    bom: usize,
    cuts: Option<Vec<u64>>,
    guess: Guess,
) -> usize {
    let (want, w) = whole(&scanner_like(scanner), text, bom);
    assert!(want.iter().any(|f| f.contains("SSW-IOC-")), "{want:?}");
    // A part that holds one finding already waits for its turn.
    let (seen, _, _) = split(scanner, text, bom, cuts.clone(), (guess, 1));
    assert_eq!(seen, want, "waiting parts");
    let (seen, o, rescans) = split(scanner, text, bom, cuts, (guess, HOLD_MAX));
    assert_eq!(seen, want);
    assert_eq!(
        (o.records, o.next, o.bytes, o.iis_fields.clone()),
        (w.records, w.next, w.bytes, w.iis_fields.clone())
    );
    assert_eq!(
        (
            o.outside_window,
            o.before_since,
            o.unparsed_lines,
            o.lines_pending
        ),
        (
            w.outside_window,
            w.before_since,
            w.unparsed_lines,
            w.lines_pending
        )
    );
    assert_eq!(o.resume, w.resume);
    rescans
}

/// A one-thread scanner with the same options.
fn scanner_like(s: &LogScanner) -> LogScanner {
    scanner(1, s.options.window)
}

/// Every line start after the first.
fn line_starts(text: &[u8], from: usize) -> Vec<u64> {
    (from + 1..text.len())
        .filter(|&i| text[i - 1] == b'\n')
        .map(|i| i as u64)
        .collect()
}

#[test]
fn parts_are_line_aligned_and_cover_the_text() {
    let text = generated(1000, 300, "\n");
    let f = file_of(&text);
    let end = text.len() as u64;
    let plan = SplitPlan::new(&f, 0, &Start::default(), end, 1, 1).unwrap();
    assert!(plan.parts() > 4, "{}", plan.parts());
    assert_eq!(plan.range(0).0, 0);
    assert_eq!(plan.range(plan.parts() - 1).1, end);
    for k in 1..plan.parts() {
        let (begin, _) = plan.range(k);
        assert_eq!(text[begin as usize - 1], b'\n');
        assert_eq!(begin, plan.range(k - 1).1);
    }
}

#[test]
fn a_cut_exactly_at_a_line_start_stays_there() {
    let text = b"aaa\nbbb\nccc\n";
    let f = file_of(text);
    // The share ends right after a newline: the line starting there is not skipped.
    assert_eq!(cuts(&f, 0, 12, &[4, 8]).unwrap(), vec![4, 8]);
    // Targets inside a line move to the next line start; two in one line make one cut.
    assert_eq!(cuts(&f, 0, 12, &[2, 5, 6, 11]).unwrap(), vec![4, 8]);
    assert_eq!(next_line_start(&f, 4, 12).unwrap(), Some(4));
    assert_eq!(next_line_start(&f, 5, 12).unwrap(), Some(8));
    assert_eq!(next_line_start(&f, 9, 12).unwrap(), Some(12));
    // Parts starting exactly where the lines do, every line its own part.
    let text = generated(300, 40, "\n");
    let cuts = line_starts(&text, 0);
    agree(
        &scanner(2, Window::default()),
        &text,
        0,
        Some(cuts),
        Guess::Latest,
    );
}

#[test]
fn findings_do_not_depend_on_where_parts_start() {
    let text = generated(400, 90, "\n");
    let s = scanner(3, Window::default());
    let starts = line_starts(&text, 0);
    for step in [1, 2, 7, 50] {
        let cuts: Vec<u64> = starts.iter().copied().step_by(step).collect();
        agree(&s, &text, 0, Some(cuts.clone()), Guess::Latest);
        agree(&s, &text, 0, Some(cuts), Guess::FirstOnly);
    }
    agree(&s, &text, 0, None, Guess::Latest);
}

#[test]
fn a_layout_changed_in_an_earlier_part_makes_a_later_part_scan_again() {
    // Layout B comes in the second part and rules the parts after it.
    let text = generated(2000, 600, "\n");
    let s = scanner(2, Window::default());
    // Even parts, so the second thread starts parts while the first still reads.
    let starts = line_starts(&text, 0);
    let even: Vec<u64> = (1..8).map(|k| starts[starts.len() * k / 8]).collect();
    let rescans = agree(&s, &text, 0, Some(even), Guess::FirstOnly);
    assert!(
        rescans > 0,
        "the parts after the change assumed the first layout"
    );
    // A log whose every directive is the same never scans a part twice.
    let same = String::from_utf8(generated(2000, 2001, "\n"))
        .unwrap()
        .repeat(2)
        .into_bytes();
    assert_eq!(agree(&s, &same, 0, None, Guess::FirstOnly), 0);
}

#[test]
fn crlf_lines_a_bom_and_no_newline_at_the_end() {
    let s = scanner(2, Window::default());
    let crlf = generated(1500, 400, "\r\n");
    agree(&s, &crlf, 0, None, Guess::Latest);
    agree(&s, &crlf, 0, None, Guess::FirstOnly);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(&crlf);
    agree(&s, &bom, 3, None, Guess::Latest);
    let cuts: Vec<u64> = line_starts(&bom, 3).into_iter().step_by(97).collect();
    agree(&s, &bom, 3, Some(cuts), Guess::FirstOnly);
    let mut open = generated(1500, 400, "\n");
    // The last line, a listed client, has no newline.
    open.extend_from_slice(b"2025-07-19 12:00:00 10.0.0.1 GET /x.aspx id=1 200 96.9.125.147");
    agree(&s, &open, 0, None, Guess::Latest);
    let last = line_starts(&open, 0).last().copied().unwrap();
    agree(&s, &open, 0, Some(vec![last]), Guess::FirstOnly);
}

#[test]
fn since_and_until_windows_agree() {
    let at = |s: i64| jiff::Timestamp::from_second(1_752_912_000 + s).ok();
    for window in [
        Window {
            since: at(500),
            until: None,
        },
        Window {
            since: None,
            until: at(1200),
        },
        Window {
            since: at(333),
            until: at(1444),
        },
    ] {
        let s = scanner(2, window);
        let text = generated(1800, 500, "\n");
        agree(&s, &text, 0, None, Guess::Latest);
        agree(&s, &text, 0, None, Guess::FirstOnly);
    }
}

#[test]
fn two_threads_agree_with_one_on_a_generated_log() {
    let text = generated(20_000, 7_000, "\n");
    let s = scanner(2, Window::default());
    let plan = s
        .plan_split(&file_of(&text), 0, &Start::default(), text.len() as u64)
        .unwrap();
    assert!(plan.parts() >= 2 * 4, "{}", plan.parts());
    agree(&s, &text, 0, None, Guess::Latest);
}

/// The sizes of the parts `part_ends` plans for a text of `len` bytes.
fn sizes(len: u64, threads: usize, part_min: u64) -> Vec<u64> {
    let mut ends = part_ends(len, threads, part_min);
    ends.push(len);
    let mut at = 0;
    ends.iter()
        .map(|&e| {
            let size = e - at;
            at = e;
            size
        })
        .collect()
}

#[test]
fn parts_shrink_towards_the_end_but_none_is_tiny_or_huge() {
    let min = super::super::SPLIT_MIN;
    let part_min = min / PART_SHARE;
    assert_eq!(part_min, 4 << 20);
    for (len, threads) in [
        (min, 2),
        (500_000_000, 2),
        (1 << 30, 2),
        (1 << 30, 8),
        (10 << 30, 2),
        (333_333_333, 3),
    ] {
        let sizes = sizes(len, threads, part_min);
        assert_eq!(sizes.iter().sum::<u64>(), len);
        assert!(sizes.len() >= 2 * threads, "{len} {threads}: {sizes:?}");
        assert!(
            sizes.iter().all(|&s| (part_min..=PART_MAX).contains(&s)),
            "{len} {threads}: {sizes:?}"
        );
        // Never longer than the one before, but the last, which takes what is left.
        let body = &sizes[..sizes.len() - 1];
        assert!(body.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
        // The parts a thread may be left alone with at the end are short: the last two are
        // under twice the minimum each, however long the log.
        assert!(
            sizes[sizes.len() - 2..].iter().all(|&s| s < 2 * part_min),
            "{len} {threads}: {sizes:?}"
        );
    }
    // A 10 GiB log starts with parts of PART_MAX: held findings stay bounded.
    assert_eq!(sizes(10 << 30, 2, part_min)[0], PART_MAX);
    assert_eq!(sizes(100, 2, part_min), vec![100]);
    assert_eq!(sizes(2 * part_min - 1, 2, part_min), vec![2 * part_min - 1]);
}

#[test]
fn small_or_single_line_inputs_stay_whole() {
    let f = file_of(&[b'x'; 1000]);
    let plan = SplitPlan::new(&f, 0, &Start::default(), 1000, 4, 1).unwrap();
    assert_eq!(plan.parts(), 1);
    assert_eq!(plan.range(0), (0, 1000));
}
