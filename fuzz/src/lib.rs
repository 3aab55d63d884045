//! The fuzz harnesses, one function per target. The libFuzzer targets in fuzz_targets/
//! call these, and the main crate's tests/fuzz_regressions.rs includes this file to replay
//! saved inputs through exactly the same code.
#![allow(clippy::all)]

/// IIS W3C: `#Fields:` directives replace the column map, data lines are parsed with it.
pub mod iis {
    use shellsweep::internals::parse_logged_addr;
    use shellsweep::internals::{Field, IisColumns, percent_decode};

    pub fn run(data: &[u8]) {
        let mut columns = IisColumns::default();
        for line in data.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.starts_with(b"#") {
                if let Some(c) = IisColumns::from_directive(line) {
                    columns = c;
                }
                continue;
            }
            let rec = columns.parse(line);
            // Touch everything the scanner reads off a record.
            let mut n = 0usize;
            for (_f, v) in rec.iter() {
                n = n.wrapping_add(v.len());
            }
            for (_name, v) in &rec.custom {
                n = n.wrapping_add(v.len());
            }
            if let Some(t) = rec.time {
                n = n.wrapping_add(t.as_second() as usize);
            }
            for f in [Field::ClientIp, Field::ForwardedFor] {
                if let Some(v) = rec.get(f) {
                    for a in v.split(|&b| b == b',' || b == b' ') {
                        let _ = parse_logged_addr(a);
                    }
                }
            }
            if let Some(stem) = rec.get(Field::UriStem) {
                assert!(percent_decode(stem).len() <= stem.len());
            }
            std::hint::black_box(n);
        }
    }
}

/// Apache/nginx combined: one record per line, percent-decoding of request parts.
pub mod combined {
    use shellsweep::internals::parse_logged_addr;
    use shellsweep::internals::{Field, parse_combined, percent_decode};

    pub fn run(data: &[u8]) {
        // The whole input as one line (lines never hold '\n' in the scanner, but the parser
        // must not care), then line by line as the scanner feeds it.
        let _ = parse_combined(data);
        assert!(percent_decode(data).len() <= data.len());
        for line in data.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Some(rec) = parse_combined(line) else {
                continue;
            };
            let mut n = 0usize;
            for (_f, v) in rec.iter() {
                n = n.wrapping_add(v.len());
            }
            if let Some(t) = rec.time {
                n = n.wrapping_add(t.as_second() as usize);
            }
            if let Some(ip) = rec.get(Field::ClientIp) {
                let _ = parse_logged_addr(ip);
            }
            std::hint::black_box(n);
        }
    }
}

/// SharePoint ULS: the stitcher joins `...`-continued segments across lines.
pub mod uls {
    use shellsweep::internals::Stitcher;

    pub fn run(data: &[u8]) {
        let mut st = Stitcher::new(jiff::tz::TimeZone::UTC);
        let mut out = Vec::new();
        let mut offset = 0u64;
        let mut pushed = 0u64;
        for (i, line) in data.split(|&b| b == b'\n').enumerate() {
            let bare = line.strip_suffix(b"\r").unwrap_or(line);
            st.push(bare, i as u64 + 1, offset, &mut out);
            offset += line.len() as u64 + 1;
            pushed += 1;
        }
        st.finish(&mut out);
        assert!(out.len() as u64 <= pushed);
        let mut n = 0usize;
        for r in &out {
            assert!(r.line >= 1 && r.line <= pushed);
            n = n.wrapping_add(r.raw.len());
            for (_f, v) in r.record.iter() {
                n = n.wrapping_add(v.len());
            }
        }
        std::hint::black_box(n);
    }
}

/// SharePoint ULS with every line padded with tabs to the most cells any line of the input
/// has, so that no line is shorter than the Message column: steps around the open overflow
/// on short lines (docs/FUZZING.md) to fuzz the rest of the stitcher with overflow checks.
pub mod uls_padded {
    pub fn run(data: &[u8]) {
        let cells = |l: &[u8]| l.iter().filter(|&&b| b == b'\t').count() + 1;
        let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
        let most = lines.iter().map(|l| cells(l)).max().unwrap_or(1).max(9);
        let mut padded = Vec::with_capacity(data.len() + lines.len() * most);
        for (i, l) in lines.iter().enumerate() {
            if i > 0 {
                padded.push(b'\n');
            }
            padded.extend_from_slice(l);
            padded.extend(std::iter::repeat_n(b'\t', most - cells(l)));
        }
        super::uls::run(&padded);
    }
}

/// Format sniffing on a file's head, with the path hints the scanner uses.
pub mod sniff {
    use std::path::Path;

    use shellsweep::internals::{looks_like_log_path, sniff};

    const PATHS: &[&str] = &[
        "u_ex260101.log",
        "/inetpub/logs/LogFiles/W3SVC1/u_ex260101.log",
        "/var/log/apache2/access.log",
        "/var/log/nginx/access.log.1",
        "access.log.2.gz",
        "SP-20260101-1200.log",
        "/LOGS/SERVER-20260101-1200.log",
        "notes.txt",
        "index.php",
        "",
    ];

    pub fn run(data: &[u8]) {
        let Some((&sel, head)) = data.split_first() else {
            return;
        };
        let path = Path::new(PATHS[sel as usize % PATHS.len()]);
        let _ = sniff(head, path);
        // The head as a path, too.
        let text = String::from_utf8_lossy(head);
        let _ = looks_like_log_path(Path::new(&*text));
    }
}

/// IOC plain lists: classification, refanging, typed sets and their look-ups.
pub mod ioc_plain {
    use shellsweep::internals::IocSet;
    use shellsweep::internals::{parse_cidr, parse_logged_addr};

    pub fn run(data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        let mut set = IocSet::default();
        let report = set.load_text("fuzz.txt", &text);
        for p in report.problems.iter().chain(&set.prepare()) {
            assert!(p.line <= text.lines().count().max(1));
        }
        let _ = set.counts();
        // Look every token of the list up again, as addresses, hosts and URLs.
        for tok in text.split(|c: char| c.is_whitespace() || c == ',') {
            if tok.is_empty() {
                continue;
            }
            let _ = parse_cidr(tok);
            if let Some(ip) = parse_logged_addr(tok.as_bytes()) {
                let _ = set.ips.lookup(ip);
            }
            let _ = set.domains.lookup_host(tok.as_bytes());
            let _ = set.lookup_url(tok);
            let _ = set.paths.matches(tok);
        }
        let _ = set.domains.lookup_in_text(data);
    }
}

/// Rule loader on any text; what loads is compiled and run over fixed buffers.
pub mod rules_loader {
    use std::path::Path;
    use std::sync::LazyLock;

    use shellsweep::Engine;
    use shellsweep::Loader;
    use shellsweep::internals::{IisColumns, parse_combined};

    static FILE: &[u8] = b"<%@ Page Language=\"C#\" %>\n<% eval(Request[\"cmd\"]); System.Diagnostics.Process.Start(\"cmd.exe\"); %>\n<?php @eval($_POST['x']); system(base64_decode('aWQ=')); ?>\nR\0u\0n\0t\0i\0m\0e\0\0\0\n";
    static IIS: &[u8] = b"2026-01-01 12:00:00 10.0.0.5 POST /_layouts/15/ToolPane.aspx DisplayMode=Edit&a=/ToolPane.aspx 443 - 203.0.113.7 Mozilla/5.0 /_layouts/SignOut.aspx 200 0 0 31";
    static COMBINED: &[u8] = b"203.0.113.7 - - [01/Jan/2026:12:00:00 +0000] \"GET /shell.php?cmd=id HTTP/1.1\" 200 12 \"-\" \"curl/8.0\"";
    static PATHS: LazyLock<Vec<&Path>> = LazyLock::new(|| {
        [
            "shell.aspx",
            "x.php",
            "a.jsp",
            "web.config",
            "bin/x.dll",
            "x.ashx",
            "README",
        ]
        .iter()
        .map(Path::new)
        .collect()
    });

    pub fn run(data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        let mut loader = Loader::new();
        loader.add_text("fuzz.yml", &text);
        let _ = loader.diagnostics().len();
        let Ok((rules, _diags)) = loader.finish() else {
            return;
        };
        let Ok(engine) = Engine::new(rules) else {
            return;
        };
        let _ = engine.slow_patterns();
        let mut scratch = engine.scratch();
        for p in PATHS.iter() {
            let _ = engine.scan(p, FILE, &mut scratch);
        }
        let iis = IisColumns::default().parse(IIS);
        let _ = engine.scan_record(IIS, &iis, true, &mut scratch);
        let comb = parse_combined(COMBINED).unwrap_or_default();
        let _ = engine.scan_record(COMBINED, &comb, true, &mut scratch);
        let _ = engine.scan(PATHS[0], FILE, &mut scratch);
    }
}

/// Decoding (gzip, BOMs, UTF-16) and line splitting over arbitrary bytes.
///
/// Layout: byte 0 = flags (bit 0: treat as gzip; bits 1-3: max_line choice; bits 4-7:
/// read-size choice), byte 1 = prefix length, rest = the raw stream.
pub mod line_reader {
    use std::io::{Cursor, Read};

    use shellsweep::internals::{Bounded, LineReader, decoded};

    /// Decoded bytes beyond this are an error, as `--max-decompressed-size` makes them.
    const LIMIT: u64 = 1 << 20;
    const MAX_LINES: [usize; 8] = [1, 2, 7, 64, 100, 4096, 300_000, 1 << 20];
    const READS: [usize; 16] = [
        1,
        2,
        3,
        5,
        8,
        13,
        64,
        255,
        256,
        1000,
        4096,
        65_535,
        65_536,
        262_143,
        262_144,
        usize::MAX,
    ];

    /// Hands out at most `n` bytes per read, to put buffer refills everywhere.
    struct Dribble<R> {
        inner: R,
        n: usize,
    }

    impl<R: Read> Read for Dribble<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.n);
            self.inner.read(&mut buf[..n])
        }
    }

    fn decode_all(raw: Vec<u8>, gzip: bool) -> Result<Vec<u8>, std::io::Error> {
        let mut out = Vec::new();
        Bounded::new(decoded(Cursor::new(raw), gzip), LIMIT).read_to_end(&mut out)?;
        Ok(out)
    }

    /// Runs the line reader over `text` and checks each line against it.
    fn check_lines(text: &[u8], prefix_len: usize, max_line: usize, read: usize) {
        let prefix_len = prefix_len.min(text.len());
        let (prefix, rest) = text.split_at(prefix_len);
        let src = Dribble {
            inner: Cursor::new(rest.to_vec()),
            n: read,
        };
        let mut reader = LineReader::new(src, prefix, max_line);
        let mut expect_number = 1u64;
        let mut last_offset = 0u64;
        let mut last_at = 0u64;
        reader
            .for_each(|line| {
                if line.continuation {
                    // A later stretch of the over-long line just handed out.
                    assert_eq!(line.number + 1, expect_number);
                    assert_eq!(line.offset, last_offset);
                    assert!(line.at > last_at, "stretches do not move on");
                    assert!(line.bytes.len() <= max_line.max(1));
                } else {
                    assert_eq!(line.number, expect_number);
                    expect_number += 1;
                    assert!(line.offset >= last_offset, "offsets go back");
                    assert_eq!(line.at, line.offset);
                }
                last_offset = line.offset;
                last_at = line.at;
                let at = line.at as usize;
                let end = at + line.bytes.len();
                assert!(end <= text.len(), "line past the end");
                assert_eq!(
                    &text[at..end],
                    line.bytes,
                    "line is not the text at its offset"
                );
                let after = &text[end..];
                // A log with no `\n` at its start has its lines ended by `\r` alone.
                let cr_ended = after.starts_with(b"\r") && !after.starts_with(b"\r\n");
                assert!(!line.bytes.contains(&b'\n') || cr_ended);
                if line.truncated {
                    assert_eq!(line.bytes.len(), max_line.max(1));
                } else if !line.continuation || line.bytes.len() < max_line.max(1) {
                    // A whole line (or an over-long line's last stretch) is followed by its
                    // terminator or the end of the text (a last line's trailing CR is dropped
                    // too).
                    assert!(
                        after.is_empty()
                            || after == b"\r"
                            || after.starts_with(b"\n")
                            || after.starts_with(b"\r"),
                        "whole line not ended by a terminator"
                    );
                }
                true
            })
            .expect("reading from memory cannot fail");
    }

    pub fn run(data: &[u8]) {
        let [flags, prefix_len, raw @ ..] = data else {
            return;
        };
        let gzip = flags & 1 == 1;
        let max_line = MAX_LINES[(flags >> 1 & 7) as usize];
        let mut read = READS[(flags >> 4) as usize];
        let raw = raw.to_vec();

        // Decoded text (an error, such as a corrupt gzip or the size cap, is fine).
        let text = decode_all(raw.clone(), gzip);
        // The line reader rescans its whole pending buffer after every read, so tiny reads on
        // long texts are quadratic (see docs/FUZZING.md); keep them to short texts here so the
        // fuzzer stays fast.
        if read < 4096 && text.as_ref().map_or(true, |t| t.len() > 16 * 1024) {
            read = 4096;
        }

        // The production path: the decoded stream, lines straight off it (errors are fine).
        let stream = Bounded::new(decoded(Cursor::new(raw.clone()), gzip), LIMIT);
        let mut lines = 0u64;
        let _ = LineReader::new(
            Dribble {
                inner: stream,
                n: read,
            },
            b"",
            max_line,
        )
        .for_each(|_| {
            lines += 1;
            true
        });

        let Ok(text) = text else {
            return;
        };
        // The line reader must hand out exactly the lines of the decoded text.
        check_lines(&text, *prefix_len as usize, max_line, read);

        // The same bytes gzipped decode to the same text.
        if !gzip {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut enc, &raw).unwrap();
            let gz = enc.finish().unwrap();
            let via_gzip = decode_all(gz, true).expect("our own gzip decodes");
            assert_eq!(via_gzip, text, "gzip and plain decode differ");
        }
    }
}

/// The bundled rules over arbitrary bytes: as a file under several names, and as log
/// records (IIS, combined, raw); hits become findings and ECS JSON, as in output.
pub mod engine_scan {
    use std::path::Path;
    use std::sync::LazyLock;

    use shellsweep::Engine;
    use shellsweep::Loader;
    use shellsweep::internals::{Finding, LogSubject};
    use shellsweep::internals::{IisColumns, LogFormat, Record, parse_combined};
    use shellsweep::internals::{Observer, ecs};

    static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
        let mut loader = Loader::new();
        loader.add_bundled();
        let (rules, _) = loader.finish().expect("bundled rules load");
        Engine::new(rules).expect("bundled rules compile")
    });
    static OBSERVER: LazyLock<Observer> = LazyLock::new(Observer::placeholder);
    const PATHS: &[&str] = &[
        "/inetpub/wwwroot/shell.aspx",
        "/var/www/html/x.php",
        "/opt/tomcat/webapps/ROOT/a.jsp",
        "web.config",
        "/inetpub/wwwroot/bin/App_Web_x.dll",
        "/Program Files/Common Files/microsoft shared/Web Server Extensions/16/TEMPLATE/LAYOUTS/spinstall0.aspx",
        "x.ashx",
        "x.phtml",
        "README",
    ];

    fn subject(format: LogFormat, rec: &Record<'_>, raw: &[u8]) -> LogSubject {
        LogSubject {
            path: "fuzz.log".into(),
            format,
            line: 1,
            offset: 0,
            time: rec.time,
            time_zone: None,
            time_zone_assumed: false,
            fields: rec.iter().map(|(f, v)| (f, v.to_vec())).collect(),
            original: raw[..raw.len().min(2048)].to_vec(),
            original_cut: raw.len() > 2048,
        }
    }

    pub fn run(data: &[u8]) {
        let Some((&sel, buf)) = data.split_first() else {
            return;
        };
        let engine = &*ENGINE;
        let mut scratch = engine.scratch();
        let path = Path::new(PATHS[sel as usize % PATHS.len()]);
        for hit in engine.scan(path, buf, &mut scratch) {
            for m in &hit.matches {
                assert!(
                    m.offset + m.length <= buf.len() as u64,
                    "match past the end"
                );
                assert!(m.line >= 1);
            }
            let f = Finding::from_hit(hit, path, buf, None, "0");
            let _ = ecs::finding(&f, &OBSERVER).unwrap();
        }
        // As log records: IIS (default columns), combined, raw.
        let line = buf.split(|&b| b == b'\n').next().unwrap_or_default();
        let iis = IisColumns::default().parse(line);
        let comb = parse_combined(line);
        let raw = Record::default();
        let records = [
            (LogFormat::Iis, Some(iis)),
            (LogFormat::Combined, comb),
            (LogFormat::Raw, Some(raw)),
        ];
        for (format, rec) in records {
            let Some(rec) = rec else { continue };
            for hit in engine.scan_record(line, &rec, true, &mut scratch) {
                let f = Finding::from_record_hit(hit, subject(format, &rec, line));
                let _ = ecs::finding(&f, &OBSERVER).unwrap();
            }
        }
        // A file scan after record scans reuses the scratch.
        let _ = engine.scan(path, buf, &mut scratch);
    }
}

/// IOC list files in every format, through `IocSet::load_file` (a STIX bundle is read as a
/// stream there) and `load_text`. Byte 0 picks a file name (Loki lists are told apart by
/// it) and a prefix that steers detection: none, a STIX bundle opening, a CSV header.
pub mod ioc_formats {
    use shellsweep::internals::IocSet;

    const NAMES: &[&str] = &[
        "list.txt",
        "hash-iocs.txt",
        "filename-iocs.txt",
        "c2-iocs.txt",
        "misp-export.csv",
        "bundle.json",
    ];
    const PREFIXES: &[&[u8]] = &[
        b"",
        b"{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[",
        b"{\"type\":\"bundle\",\"objects\":[{\"type\":\"indicator\",\"pattern_type\":\"stix\",\"pattern\":\"",
        b"uuid,event_id,category,type,value,comment,to_ids,date\n",
        b"type,value\n",
        b"\xef\xbb\xbf",
    ];

    pub fn run(data: &[u8]) {
        let Some((&sel, body)) = data.split_first() else {
            return;
        };
        let name = NAMES[sel as usize % NAMES.len()];
        let prefix = PREFIXES[(sel as usize / NAMES.len()) % PREFIXES.len()];
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(body);

        let dir = std::env::temp_dir().join(format!("shellsweep-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(name);
        if std::fs::write(&path, &bytes).is_ok() {
            let mut set = IocSet::default();
            if let Ok(report) = set.load_file(&path) {
                assert!(report.loaded <= bytes.len());
                let _ = set.prepare();
                let _ = set.counts();
                let _ = set.gate_literals();
                let _ = set.line_may_match(body);
                let _ = set.domains.lookup_in_text(body);
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        let mut set = IocSet::default();
        let report = set.load_text(name, &text);
        for p in &report.problems {
            assert!(
                p.line <= text.lines().count().max(1) + 1,
                "problem past the end"
            );
        }
        let _ = set.prepare();
    }
}

/// Allowlist files: parsed, then asked about a few findings.
pub mod allowlist {
    use std::path::Path;

    use shellsweep::internals::Allowlist;

    pub fn run(data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        let mut allow = Allowlist::default();
        if allow.load_text("fuzz-allow.yml", &text).is_err() {
            return;
        }
        for (path, sha, rule) in [
            ("/var/www/html/x.php", Some("0".repeat(64)), "SSW-PHP-001"),
            ("C:\\inetpub\\wwwroot\\a.aspx", None, "SSW-ASPX-001"),
            ("", Some(String::new()), ""),
        ] {
            let _ = allow.allows_parts(Path::new(path), sha.as_deref(), rule);
        }
        let _ = allow.len();
    }
}

/// State files (`--state`): any bytes as the previous sweep's state, for a fixed rule-set
/// hash (the seeds use it, so that fuzzing reaches past the rule-set check).
pub mod state_file {
    use std::path::Path;

    use shellsweep::internals::Previous;
    use shellsweep::internals::Stamp;

    pub const RULESET: &str = "fuzz";

    pub fn run(data: &[u8]) {
        let path =
            std::env::temp_dir().join(format!("shellsweep-fuzz-state-{}.json", std::process::id()));
        if std::fs::write(&path, data).is_err() {
            return;
        }
        let Ok(prev) = Previous::load(&path, RULESET) else {
            return;
        };
        let _ = prev.is_empty();
        // The stamp the seeds use, and one no state holds.
        let stamps = [
            Stamp {
                dev: 1,
                ino: 2,
                size: 3,
                mtime_ns: 4,
                ctime_ns: 5,
            },
            Stamp::default(),
        ];
        for stamp in &stamps {
            let _ = prev.unchanged_file(Path::new("x.php"), stamp);
            for head in [data, &data[..data.len().min(1024)]] {
                let _ = prev.log_candidates(stamp, Path::new("/var/log/a"), head);
            }
        }
    }
}

/// The canonical views (PHP, Java/JSP, .NET lexers and folds) under the bundled rules:
/// byte 0 picks a script file name, the rest is the file.
pub mod canon {
    use std::path::Path;
    use std::sync::LazyLock;

    use shellsweep::Engine;
    use shellsweep::Loader;

    static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
        let mut loader = Loader::new();
        loader.add_bundled();
        let (rules, _) = loader.finish().expect("bundled rules load");
        Engine::new(rules).expect("bundled rules compile")
    });
    const PATHS: &[&str] = &[
        "x.php", "x.phtml", "x.jsp", "x.jspx", "x.aspx", "x.ashx", "x.asmx", "x.ascx",
    ];

    pub fn run(data: &[u8]) {
        let Some((&sel, buf)) = data.split_first() else {
            return;
        };
        let engine = &*ENGINE;
        let mut scratch = engine.scratch();
        let path = Path::new(PATHS[sel as usize % PATHS.len()]);
        for hit in engine.scan_file(path, buf, &mut scratch) {
            for m in &hit.matches {
                // View matches are moved back onto the raw file.
                assert!(
                    m.offset + m.length <= buf.len() as u64,
                    "match past the end"
                );
                assert!(m.line >= 1);
            }
        }
    }
}
