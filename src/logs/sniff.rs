//! Telling a log from other files by its content, with the path as a tie-breaker.

use std::path::Path;

use super::combined;
use super::uls::UlsColumns;

/// The formats shellsweep parses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogFormat {
    Iis,
    Uls,
    Combined,
    /// A text log of no known format: matched line by line, unparsed.
    Raw,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Iis => "iis_w3c",
            LogFormat::Uls => "sharepoint_uls",
            LogFormat::Combined => "combined",
            LogFormat::Raw => "raw",
        }
    }
}

/// How many lines of the head are looked at.
const SNIFF_LINES: usize = 20;

/// Puts the first [`SNIFF_LINES`] lines of `head` that are not blank (of its first
/// `SNIFF_LINES` lines) in `out`, without their `\r`; returns how many. Line ends are found
/// with memchr: a byte-at-a-time split was two thirds of sniffing, over the long lines of
/// minified scripts and data files.
fn head_lines<'a>(head: &'a [u8], term: u8, out: &mut [&'a [u8]; SNIFF_LINES]) -> usize {
    let mut n = 0;
    let mut rest = Some(head);
    for _ in 0..SNIFF_LINES {
        let Some(text) = rest else { break };
        let (l, after) = match memchr::memchr(term, text) {
            Some(i) => (&text[..i], Some(&text[i + 1..])),
            None => (text, None),
        };
        rest = after;
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        if !l.trim_ascii().is_empty() {
            out[n] = l;
            n += 1;
        }
    }
    n
}

/// The format of a log whose decoded (decompressed, UTF-8) text starts with `head`, or
/// `None` when it is not a log. Unknown text counts as a log only where the path says so.
pub fn sniff(head: &[u8], path: &Path) -> Option<LogFormat> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    // Lines end in `\r` alone in a log with no `\n` (as the line reader reads it).
    let term = if crate::read::lines_end_in_cr(head) {
        b'\r'
    } else {
        b'\n'
    };
    // On the stack, each line asked of each parser once: every file of a web root is
    // sniffed, and nearly none is a log.
    let mut lines: [&[u8]; SNIFF_LINES] = [&[]; SNIFF_LINES];
    let n = head_lines(head, term, &mut lines);
    let lines = &lines[..n];
    let directive = |l: &&[u8]| {
        [&b"#Software:"[..], b"#Version:", b"#Fields:", b"#Date:"]
            .iter()
            .any(|d| l.starts_with(d))
    };
    if lines.iter().any(directive) {
        return Some(LogFormat::Iis);
    }
    let first = lines.first()?;
    if names_uls_columns(first) {
        return Some(LogFormat::Uls);
    }
    let mut data = [Takes::default(); SNIFF_LINES];
    let mut n = 0;
    for l in lines.iter().filter(|l| !l.starts_with(b"#")) {
        data[n] = Takes::of(l);
        n += 1;
    }
    let data = &data[..n];
    let majority = |f: fn(&Takes) -> bool| {
        !data.is_empty() && data.iter().filter(|t| f(t)).count() * 2 > data.len()
    };
    if majority(|t| t.uls) {
        return Some(LogFormat::Uls);
    }
    if majority(|t| t.combined) {
        return Some(LogFormat::Combined);
    }
    if majority(|t| t.iis) {
        return Some(LogFormat::Iis);
    }
    // A few junk lines before the log (or between its parts): a run of lines that one
    // format's parser takes says what it is.
    let mut run: Option<(LogFormat, usize)> = None;
    for t in data {
        run = match (t.format(), run) {
            (Some(f), Some((g, n))) if f == g => Some((f, n + 1)),
            (Some(f), _) => Some((f, 1)),
            (None, _) => None,
        };
        if let Some((f, n)) = run
            && n >= DETECT_RUN
        {
            return Some(f);
        }
    }
    // The path first: it turns away nearly every file without a look at the head's bytes.
    (looks_like_log_path(path) && !head.contains(&0)).then_some(LogFormat::Raw)
}

/// How many lines in a row one format's parser must take before a log read as another (or
/// as unknown text) is read as that format: one line of a kind is chance, three are a log.
pub(crate) const DETECT_RUN: usize = 3;

/// The format one line says its log has, and whether the line alone tells (an IIS
/// directive, a ULS header) or only a run of such lines does.
pub(crate) fn line_format(l: &[u8]) -> Option<(LogFormat, bool)> {
    if [&b"#Software:"[..], b"#Version:", b"#Fields:", b"#Date:"]
        .iter()
        .any(|d| l.starts_with(d))
    {
        return Some((LogFormat::Iis, true));
    }
    if is_uls_header(l) {
        return Some((LogFormat::Uls, true));
    }
    if is_uls_line(l) {
        return Some((LogFormat::Uls, false));
    }
    if combined::is_timed_record(l) {
        return Some((LogFormat::Combined, false));
    }
    is_headerless_iis_line(l).then_some((LogFormat::Iis, false))
}

/// What each parser says of one line that is not a directive, as [`line_format`] would ask
/// them.
#[derive(Clone, Copy, Default)]
struct Takes {
    uls_header: bool,
    uls: bool,
    combined: bool,
    iis: bool,
}

impl Takes {
    fn of(l: &[u8]) -> Takes {
        Takes {
            uls_header: is_uls_header(l),
            uls: is_uls_line(l),
            combined: combined::is_timed_record(l),
            iis: is_headerless_iis_line(l),
        }
    }

    /// [`line_format`]'s format for the line.
    fn format(&self) -> Option<LogFormat> {
        if self.uls_header || self.uls {
            Some(LogFormat::Uls)
        } else if self.combined {
            Some(LogFormat::Combined)
        } else if self.iis {
            Some(LogFormat::Iis)
        } else {
            None
        }
    }
}

fn is_uls_header(l: &[u8]) -> bool {
    l.starts_with(b"Timestamp") && names_uls_columns(l)
}

/// Whether a line names the columns of a ULS log. They are read (a `String` each) only
/// when the line holds `Process` and `timestamp`: the first line of every file of a sweep
/// is asked.
fn names_uls_columns(l: &[u8]) -> bool {
    memchr::memmem::find(l, b"Process").is_some()
        && l.windows(9).any(|w| w.eq_ignore_ascii_case(b"timestamp"))
        && UlsColumns::from_header(l).is_some()
}

/// `07/19/2025 09:13:02.27 <tab>` or with `*`.
fn is_uls_line(l: &[u8]) -> bool {
    l.len() > 24
        && l[2] == b'/'
        && l[5] == b'/'
        && l[10] == b' '
        && l[13] == b':'
        && l.iter().filter(|&&b| b == b'\t').count() >= 7
}

/// `2025-07-19 07:12:44 ...` with at least ten columns: IIS data without its header.
fn is_headerless_iis_line(l: &[u8]) -> bool {
    l.len() > 20
        && l[4] == b'-'
        && l[7] == b'-'
        && l[10] == b' '
        && l[13] == b':'
        && l.split(|&b| b == b' ').count() >= 10
}

/// What every path [`looks_like_log_path`] takes holds, lowercase.
const LOG_WORDS: &[&[u8]] = &[b"log", b"httperr", b"w3svc"];

/// Whether `bytes` holds one of `words` (lowercase, none empty), ASCII case ignored. The
/// check runs on the path of every file a sweep reads (a pass per word of
/// `eq_ignore_ascii_case` windows was half a percent of a web root's sweep): a path of
/// usual length is lowercased on the stack and searched with `memmem`, a longer one
/// compared where a word's first byte is.
fn holds_any(bytes: &[u8], words: &[&[u8]]) -> bool {
    let mut lower = [0u8; 512];
    if let Some(lower) = lower.get_mut(..bytes.len()) {
        lower.copy_from_slice(bytes);
        lower.make_ascii_lowercase();
        return words
            .iter()
            .any(|w| memchr::memmem::find(lower, w).is_some());
    }
    (0..bytes.len()).any(|i| {
        let first = bytes[i].to_ascii_lowercase();
        words.iter().any(|w| {
            w.first() == Some(&first)
                && bytes
                    .get(i..i + w.len())
                    .is_some_and(|s| s.eq_ignore_ascii_case(w))
        })
    })
}

/// Names and folders that web servers give their logs, rotated and compressed included.
pub fn looks_like_log_path(path: &Path) -> bool {
    // Every name or folder it takes holds one of these: most paths of a web root are
    // dismissed before the lowercased `String` below is made.
    if !holds_any(path.as_os_str().as_encoded_bytes(), LOG_WORDS) {
        return false;
    }
    let lower = path
        .to_string_lossy()
        .to_ascii_lowercase()
        .replace('\\', "/");
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let name = name.strip_suffix(".gz").unwrap_or(name);
    let rotated = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '-');
    let log_name = rotated.ends_with(".log")
        || rotated.ends_with("_log")
        || rotated.contains(".log.")
        || name.ends_with(".log");
    let in_log_dir =
        lower.split('/').rev().skip(1).any(|d| {
            matches!(d, "log" | "logs" | "logfiles" | "httperr") || d.starts_with("w3svc")
        });
    // In a log folder only log-like names count: a `.php` there is code (or a web shell
    // hiding among logs) and goes to the file rules.
    let ext = rotated.rsplit_once('.').map_or("", |(_, e)| e);
    let log_dir = in_log_dir && matches!(ext, "" | "txt" | "log" | "out" | "err" | "csv");
    log_name || log_dir
}

#[cfg(test)]
mod tests {
    use proptest::strategy::Strategy as _;

    use super::*;

    fn p(s: &str) -> &Path {
        Path::new(s)
    }

    proptest::proptest! {
        /// The sniffer asks each parser once per line and decides from the answers; what
        /// it decides for a line is what `line_format` says of it.
        #[test]
        fn a_line_is_taken_as_line_format_takes_it(
            l in proptest::prop_oneof![
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
                proptest::sample::select(vec![
                    &b"2025-07-19 07:12:44 10.0.0.1 GET /a - 443 - 1.2.3.4 UA - 200 0 0 15"[..],
                    b"07/19/2025 09:13:02.27 \tw3wp.exe (0x2A1C)\t0x3B40\tSPF\tGeneral\txmnv\tMedium\tName\tc",
                    b"203.0.113.9 - - [19/Jul/2025:09:14:03 +0200] \"GET / HTTP/1.1\" 200 43 \"-\" \"x\"",
                    b"Timestamp              \tProcess   \tTID   \tArea   \tCategory   \tEventID\tLevel     \tMessage \tCorrelation",
                ]).prop_map(<[u8]>::to_vec),
            ]
        ) {
            proptest::prop_assume!(!l.starts_with(b"#"));
            proptest::prop_assert_eq!(Takes::of(&l).format(), line_format(&l).map(|(f, _)| f));
        }

        /// One pass finds a word wherever a window per word, case ignored, does.
        #[test]
        fn holds_any_is_a_window_search_per_word(
            path in proptest::collection::vec(
                proptest::sample::select(b"lLoOgGhHtTpPeErRwW3sSvVcC/.x".to_vec()),
                0..600,
            ),
        ) {
            let windows = LOG_WORDS
                .iter()
                .any(|w| path.windows(w.len()).any(|s| s.eq_ignore_ascii_case(w)));
            proptest::prop_assert_eq!(holds_any(&path, LOG_WORDS), windows);
        }

        /// The head's lines are those of splitting it at each `term`, as sniffing did.
        #[test]
        fn head_lines_are_the_split_lines(
            head in proptest::collection::vec(
                proptest::sample::select(b"ab \t\r\n#".to_vec()),
                0..400,
            ),
            cr in proptest::prelude::any::<bool>(),
        ) {
            let term = if cr { b'\r' } else { b'\n' };
            let want: Vec<&[u8]> = head
                .split(|&b| b == term)
                .take(SNIFF_LINES)
                .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
                .filter(|l| !l.trim_ascii().is_empty())
                .collect();
            let mut got = [&[][..]; SNIFF_LINES];
            let n = head_lines(&head, term, &mut got);
            proptest::prop_assert_eq!(&got[..n], &want[..]);
        }
    }

    #[test]
    fn formats_by_content() {
        let iis = b"#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n";
        assert_eq!(sniff(iis, p("x.txt")), Some(LogFormat::Iis));
        let bare_iis = b"2025-07-19 07:12:44 10.20.0.15 GET /_layouts/15/start.aspx - 443 - 198.51.100.23 Mozilla/5.0 - 200 0 0 156\n";
        assert_eq!(sniff(bare_iis, p("whatever")), Some(LogFormat::Iis));
        let combined = br#"203.0.113.9 - - [19/Jul/2025:09:14:03 +0200] "POST /x.php HTTP/1.1" 200 43 "-" "antSword/v2.1"
"#;
        assert_eq!(sniff(combined, p("data.bin")), Some(LogFormat::Combined));
        let uls = b"Timestamp              \tProcess   \tTID   \tArea   \tCategory   \tEventID\tLevel     \tMessage \tCorrelation\n";
        assert_eq!(sniff(uls, p("SRV-20250719-0900.log")), Some(LogFormat::Uls));
        let uls_data = b"07/19/2025 09:13:02.27 \tw3wp.exe (0x2A1C)\t0x3B40\tSPF\tGeneral\txmnv\tMedium\tName=Request\tc\n";
        assert_eq!(sniff(uls_data, p("x")), Some(LogFormat::Uls));
    }

    #[test]
    fn unknown_text_is_a_log_only_in_log_places() {
        let text = b"something happened\nand then more\n";
        assert_eq!(
            sniff(text, p("/var/log/app/error.log")),
            Some(LogFormat::Raw)
        );
        assert_eq!(sniff(text, p("/srv/app/logs/x.txt")), Some(LogFormat::Raw));
        assert_eq!(sniff(text, p("/var/www/html/index.php")), None);
        assert_eq!(sniff(b"\0\x01binary", p("/var/log/wtmp")), None);
    }

    #[test]
    fn lines_ended_by_cr_alone_are_lines() {
        let line =
            "203.0.113.9 - - [19/Jul/2025:09:14:03 +0200] \"GET / HTTP/1.1\" 200 43 \"-\" \"-\"\r";
        // Read as one line, this would be junk.
        let text = format!("export [v2] by tool\r{}", line.repeat(5));
        assert_eq!(
            sniff(text.as_bytes(), p("data.txt")),
            Some(LogFormat::Combined)
        );
    }

    #[test]
    fn a_run_of_log_lines_after_junk_says_the_format() {
        let line =
            "203.0.113.9 - - [19/Jul/2025:09:14:03 +0200] \"GET / HTTP/1.1\" 200 43 \"-\" \"-\"\n";
        let junk = "junk before the log\n".repeat(14);
        let text = format!("{junk}{}", line.repeat(3));
        assert_eq!(
            sniff(text.as_bytes(), p("data.txt")),
            Some(LogFormat::Combined)
        );
        // Two such lines among junk are chance.
        let text = format!("{junk}{}{junk}", line.repeat(2));
        assert_eq!(sniff(text.as_bytes(), p("data.txt")), None);
    }

    #[test]
    fn log_paths() {
        for yes in [
            "/var/log/nginx/access.log",
            "access.log.2.gz",
            "/var/log/httpd/access_log",
            "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex250719.log",
            "error_log.1",
        ] {
            assert!(looks_like_log_path(p(yes)), "{yes}");
        }
        for no in [
            "/var/www/html/index.php",
            "/srv/catalog.php",
            "x.gz",
            "/var/www/app/logs/shell.php",
            "/srv/log/View.aspx",
        ] {
            assert!(!looks_like_log_path(p(no)), "{no}");
        }
    }
}
