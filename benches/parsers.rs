//! Micro-benchmarks of the log record parsers: IIS W3C (columns from `#Fields`), Apache/
//! nginx combined, and SharePoint ULS (with continuation stitching). Inputs are generated
//! in `common/` (deterministic). See BENCHMARKS.md. Run with `cargo bench --bench parsers`.

mod common;

use divan::counter::{BytesCount, ItemsCount};
use divan::{Bencher, black_box};
use jiff::tz::TimeZone;
use shellsweep::internals::{IisColumns, Stitcher, parse_combined, percent_decode};

fn main() {
    divan::main();
}

const LINES: usize = 1000;

fn counters(lines: &[Vec<u8>]) -> (BytesCount, ItemsCount) {
    (
        BytesCount::new(lines.iter().map(Vec::len).sum::<usize>()),
        ItemsCount::new(lines.len()),
    )
}

/// `#Fields:` directive to column map (IIS repeats it at every restart).
#[divan::bench(max_time = 1)]
fn iis_directive() -> Option<IisColumns> {
    IisColumns::from_directive(black_box(common::IIS_FIELDS.as_bytes()))
}

/// 1,000 IIS data lines with 17 columns, including the timestamp.
#[divan::bench(max_time = 1)]
fn iis_parse(bencher: Bencher) {
    let lines = common::iis_lines(LINES);
    let cols = IisColumns::from_directive(common::IIS_FIELDS.as_bytes()).expect("fields");
    let (bytes, items) = counters(&lines);
    bencher.counter(bytes).counter(items).bench_local(|| {
        let mut set = 0;
        for l in &lines {
            set += cols.parse(black_box(l)).iter().count();
        }
        set
    });
}

/// 1,000 combined-format lines (quoted fields, request split, path percent-decoded).
#[divan::bench(max_time = 1)]
fn combined_parse(bencher: Bencher) {
    let lines = common::combined_lines(LINES);
    let (bytes, items) = counters(&lines);
    bencher.counter(bytes).counter(items).bench_local(|| {
        let mut set = 0;
        for l in &lines {
            set += parse_combined(black_box(l)).map_or(0, |r| r.iter().count());
        }
        set
    });
}

/// 1,000 ULS lines through the stitcher (one record in ten split over two segments).
#[divan::bench(max_time = 1)]
fn uls_stitch(bencher: Bencher) {
    let lines = common::uls_lines(LINES);
    let (bytes, items) = counters(&lines);
    bencher.counter(bytes).counter(items).bench_local(|| {
        let mut s = Stitcher::new(TimeZone::UTC);
        let mut out = Vec::new();
        s.push(common::ULS_HEADER.as_bytes(), 1, 0, &mut out);
        let mut records = 0;
        for (i, l) in lines.iter().enumerate() {
            s.push(black_box(l), i as u64 + 2, 0, &mut out);
            records += out.len();
            out.clear();
        }
        s.finish(&mut out);
        records + out.len()
    });
}

/// Percent-decoding a typical encoded query string.
#[divan::bench(max_time = 1)]
fn percent_decode_query() -> Vec<u8> {
    percent_decode(black_box(
        b"RootFolder=%2Fsites%2Fhr%2FShared%20Documents&View=%7B1B2C3D4E-0000-4000-8000-000000000000%7D&cmd=whoami%20%2Fall",
    ))
}
