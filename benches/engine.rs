//! Micro-benchmarks of the matcher with the bundled rules: compiling them, scanning PHP,
//! ASP.NET and binary buffers, matching IIS records, and the whole log pipeline over an
//! in-memory IIS log. Inputs are generated in `common/` (deterministic). See BENCHMARKS.md.
//! Run with `cargo bench --bench engine`.

mod common;

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use divan::counter::{BytesCount, ItemsCount};
use divan::{Bencher, black_box};
use shellsweep::Engine;
use shellsweep::Loader;
use shellsweep::internals::IocSet;
use shellsweep::internals::{IisColumns, LogFormat, Record};
use shellsweep::internals::{LogInput, LogScanner, Start};

fn main() {
    divan::main();
}

/// Buffer sizes: a typical page, a large one, a bundled library.
const SIZES: &[usize] = &[4 << 10, 64 << 10, 1 << 20];

/// YAML parsing and validation of the bundled rule files.
#[divan::bench(max_time = 1)]
fn load_bundled() -> usize {
    let mut l = Loader::new();
    l.add_bundled();
    l.finish().expect("bundled rules").0.len()
}

/// Loading plus compiling the automata, regexes and filters (the target: well under 0.1 s).
#[divan::bench(max_time = 1)]
fn compile_bundled() -> Engine {
    common::bundled_engine()
}

fn scan(bencher: Bencher, path: &str, buf: Vec<u8>) {
    let engine = common::bundled_engine();
    let mut scratch = engine.scratch();
    let path = Path::new(path);
    bencher
        .counter(BytesCount::of_slice(&buf))
        .bench_local(|| engine.scan(path, black_box(&buf), &mut scratch).len());
}

/// A benign PHP file (plenty of `$_GET`, `eval`, `exec` words, no shell).
#[divan::bench(args = SIZES, max_time = 1)]
fn scan_php(bencher: Bencher, size: usize) {
    scan(
        bencher,
        "site/wp-content/plugins/x/index.php",
        common::php(size),
    );
}

/// The same with a China Chopper line in the middle: verification, excerpts, line numbers.
#[divan::bench(args = SIZES, max_time = 1)]
fn scan_php_shell(bencher: Bencher, size: usize) {
    let buf = common::with_line(common::php(size), b"<?php @eval($_POST['x']);?>");
    scan(bencher, "site/wp-content/uploads/x.php", buf);
}

/// A benign ASP.NET page (Request.QueryString, Process.Start mentioned in comments).
#[divan::bench(args = SIZES, max_time = 1)]
fn scan_aspx(bencher: Bencher, size: usize) {
    scan(bencher, "inetpub/wwwroot/default.aspx", common::aspx(size));
}

/// The same with a China Chopper ASP.NET one-liner in the middle.
#[divan::bench(args = SIZES, max_time = 1)]
fn scan_aspx_shell(bencher: Bencher, size: usize) {
    let buf = common::with_line(
        common::aspx(size),
        b"<%@ Page Language=\"Jscript\"%><%eval(Request.Item[\"p\"],\"unsafe\");%>",
    );
    scan(bencher, "inetpub/wwwroot/aspnet_client/x.aspx", buf);
}

/// Random bytes named .png: only the rules without an extension filter apply.
#[divan::bench(args = SIZES, max_time = 1)]
fn scan_binary(bencher: Bencher, size: usize) {
    scan(bencher, "site/images/logo.png", common::binary(size));
}

/// Rule selection alone (extension and path filters) for a file no rule reads.
#[divan::bench(max_time = 1)]
fn applies_to(bencher: Bencher) {
    let engine = common::bundled_engine();
    let mut scratch = engine.scratch();
    bencher.bench_local(|| {
        engine.applies_to(
            black_box(Path::new("/var/www/html/wp-content/themes/x/style.css")),
            &mut scratch,
        )
    });
}

/// Log rules on 1,000 pre-parsed IIS records (one in 500 a ToolShell request).
#[divan::bench(max_time = 1)]
fn scan_record_iis(bencher: Bencher) {
    let engine = common::bundled_engine();
    let mut scratch = engine.scratch();
    let lines = common::iis_lines(1000);
    let cols = IisColumns::from_directive(common::IIS_FIELDS.as_bytes()).expect("fields");
    let records: Vec<Record<'_>> = lines.iter().map(|l| cols.parse(l)).collect();
    let bytes: usize = lines.iter().map(Vec::len).sum();
    bencher
        .counter(BytesCount::new(bytes))
        .counter(ItemsCount::new(lines.len()))
        .bench_local(|| {
            let mut hits = 0;
            for (raw, rec) in lines.iter().zip(&records) {
                hits += engine.scan_record(raw, rec, true, &mut scratch).len();
            }
            hits
        });
}

/// The whole log path of `shellsweep scan` for one IIS log held in memory (~1 MiB): line
/// splitting, parsing, log rules, IOC lookups and findings, with 0 or 10,000 IOC addresses.
#[divan::bench(args = [0, 10_000], max_time = 2)]
fn log_pipeline_iis(bencher: Bencher, iocs: usize) {
    let engine = Arc::new(common::bundled_engine());
    let mut scratch = engine.scratch();
    let mut set = IocSet::default();
    if iocs > 0 {
        set.load_text("iocs.txt", &common::ioc_list(iocs).0);
    }
    let scanner = LogScanner::builder().build(Arc::clone(&engine), Arc::new(set));
    let log = common::joined(common::IIS_FIELDS, &common::iis_lines(4500));
    let path = Path::new("W3SVC1/u_ex250719.log");
    bencher.counter(BytesCount::of_slice(&log)).bench_local(|| {
        let mut findings = 0;
        let input = LogInput {
            path,
            format: LogFormat::Iis,
            head: &[],
            src: Cursor::new(black_box(&log[..])),
        };
        let mut sink = |f: Vec<shellsweep::internals::Finding>| findings += f.len();
        scanner
            .scan(&mut scratch, input, &Start::default(), &mut sink)
            .expect("in-memory log");
        findings
    });
}
