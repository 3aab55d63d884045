//! A canonical view of a script: the same code with the obfuscation that defeats raw-text
//! rules undone (comments removed, white space collapsed, literal strings joined, escapes and
//! `chr(N)` chains decoded, trivially constant expressions evaluated). Rules run on the raw
//! bytes and on the view; a match in the view is reported at the raw line it came from.
//!
//! One small lexer per language family, no parser: each pass is linear in the input and the
//! view is bounded in size, so a hostile file costs at most a few passes over its bytes.

mod dotnet;
mod java;
mod php;
mod trigger;

use std::path::Path;

/// Files larger than this get no view: real webshells are small, and the view's offset map
/// costs four bytes per byte.
pub(crate) const MAX_INPUT: usize = 2 << 20;

/// A view may grow (decoded escapes never do, but joined strings and resolved names can be
/// repeated); past this it is cut off.
pub(crate) const MAX_OUTPUT: usize = 2 * MAX_INPUT;

/// The language family of a script, by its file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Lang {
    /// PHP (`.php`, `.phtml`, `.inc`, ...).
    Php,
    /// JSP and Java (`.jsp`, `.jspx`, `.jspf`, `.java`).
    Java,
    /// Classic ASP (VBScript or JScript) and ASP.NET (C# or VB.NET): `.asp`, `.aspx`,
    /// `.ashx`, `.asmx`, `.ascx`, `.asax`, `.cs`, `.vb`, `.cshtml`.
    DotNet,
}

/// A file's extension in lower case, in `buf`: asked several times for every file, so on the
/// stack (no script extension is longer).
fn lower_extension<'b>(path: &Path, buf: &'b mut [u8; 6]) -> Option<&'b str> {
    let ext = crate::common::bytes::extension(path)?;
    let lower = buf.get_mut(..ext.len())?;
    lower.copy_from_slice(ext);
    lower.make_ascii_lowercase();
    std::str::from_utf8(lower).ok()
}

/// Whether a script is a source file (`.java`, `.cs`, `.vb`) rather than a page a web
/// server runs as it is asked for. A rule for every file reads the canonical view of pages
/// only (see `Engine::views_apply`); a rule whose `extensions` name a source type reads its
/// view too.
pub(crate) fn is_source(path: &Path) -> bool {
    matches!(
        lower_extension(path, &mut [0; 6]),
        Some("java" | "cs" | "vb")
    )
}

impl Lang {
    pub(crate) fn of(path: &Path) -> Option<Lang> {
        Some(match lower_extension(path, &mut [0; 6])? {
            "php" | "php3" | "php4" | "php5" | "php7" | "php8" | "phtml" | "pht" | "phps"
            | "phar" | "inc" => Lang::Php,
            "jsp" | "jspx" | "jspf" | "java" => Lang::Java,
            "asp" | "asa" | "cer" | "cdx" | "aspx" | "ashx" | "asmx" | "ascx" | "asax" | "cs"
            | "vb" | "cshtml" | "vbhtml" => Lang::DotNet,
            _ => return None,
        })
    }
}

/// Decodes standard or URL-safe Base64 (padding optional). `lenient` skips bytes outside the
/// alphabet, as PHP's `base64_decode` does; otherwise only white space and `=` are skipped
/// and any other byte means the text is not Base64, as Java's and .NET's decoders say.
pub(crate) fn base64(s: &[u8], lenient: bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in s {
        let v = BASE64[usize::from(c)];
        if v >= SKIP {
            if v == SKIP || lenient {
                continue;
            }
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// [`base64`]'s reading of a byte: its 6-bit value, [`SKIP`] for padding and white space,
/// [`OTHER`] for a byte outside the alphabet. A table, as payloads decoded this way run to
/// megabytes in the web shells of a web root.
const BASE64: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut i = 0;
    while i < 26 {
        t[b'A' as usize + i] = i as u8;
        t[b'a' as usize + i] = 26 + i as u8;
        if i < 10 {
            t[b'0' as usize + i] = 52 + i as u8;
        }
        i += 1;
    }
    t[b'+' as usize] = 62;
    t[b'-' as usize] = 62;
    t[b'/' as usize] = 63;
    t[b'_' as usize] = 63;
    t[b'=' as usize] = SKIP;
    t[b' ' as usize] = SKIP;
    t[b'\n' as usize] = SKIP;
    t[b'\r' as usize] = SKIP;
    t[b'\t' as usize] = SKIP;
    t
};
const SKIP: u8 = 64;
const OTHER: u8 = 65;

/// The canonical text of a script and, for each of its bytes, where it came from.
#[derive(Debug, Default)]
pub(crate) struct View {
    text: Vec<u8>,
    /// Where the text came from, a stretch at a time (see [`Run`]), in text order. A view
    /// is mostly raw code copied in stretches and tokens written whole, so this is a few
    /// runs where an offset per byte was four bytes per byte of view (and a quarter of a
    /// web root sweep's page faults, issue 18).
    runs: Vec<Run>,
    /// Something was folded, decoded or resolved: the view says more than the raw text.
    deobfuscated: bool,
}

/// The raw offsets of the view's bytes from `at` up to the next run's `at` (or the end):
/// `from`, `from + 1`, ... when `copied`, else all `from` (the token that produced them).
#[derive(Clone, Copy, Debug)]
struct Run {
    at: u32,
    from: u32,
    copied: bool,
}

impl View {
    pub(crate) fn text(&self) -> &[u8] {
        &self.text
    }

    /// The raw offset behind view offset `i` (the raw length past the end).
    pub(crate) fn origin(&self, i: usize, raw_len: usize) -> usize {
        if i >= self.text.len() {
            return raw_len;
        }
        let k = self.runs.partition_point(|r| r.at as usize <= i);
        match k.checked_sub(1).map(|k| self.runs[k]) {
            Some(r) if r.copied => r.from as usize + (i - r.at as usize),
            Some(r) => r.from as usize,
            None => raw_len,
        }
    }
}

/// Builds a view; languages push bytes with the raw offset they stand for.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    view: View,
    full: bool,
}

impl Builder {
    pub(crate) fn with_capacity(n: usize) -> Builder {
        Builder {
            view: View {
                text: Vec::with_capacity(n),
                runs: Vec::new(),
                deobfuscated: false,
            },
            full: false,
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, byte: u8, origin: usize) {
        if self.view.text.len() >= MAX_OUTPUT {
            self.full = true;
            return;
        }
        self.mark(origin, 1, false);
        self.view.text.push(byte);
    }

    /// Notes that the next `n` bytes of the text (not pushed yet) come from `from` on
    /// (`copied`) or all from `from`, extending the last run where it goes on so. A run of
    /// one byte is either kind, and becomes the kind the next bytes go on with.
    #[inline]
    fn mark(&mut self, from: usize, n: usize, copied: bool) {
        if n == 0 {
            return;
        }
        // Views are at most `MAX_OUTPUT` bytes of inputs of at most `MAX_INPUT`.
        let (at, from) = (self.view.text.len() as u32, from as u32);
        let consecutive = copied || n == 1;
        let same = !copied || n == 1;
        if let Some(last) = self.view.runs.last_mut() {
            let len = at - last.at;
            if consecutive && (last.copied || len == 1) && last.from.wrapping_add(len) == from {
                last.copied = true;
                return;
            }
            if same && (!last.copied || len == 1) && last.from == from {
                last.copied = false;
                return;
            }
        }
        self.view.runs.push(Run {
            at,
            from,
            copied: copied && n > 1,
        });
    }

    /// How many of `n` bytes still fit; the view is full when some do not.
    fn room(&mut self, n: usize) -> usize {
        let room = MAX_OUTPUT.saturating_sub(self.view.text.len());
        if n > room {
            self.full = true;
        }
        n.min(room)
    }

    /// Pushes bytes that all stand for the token at `origin`: as [`Builder::push`] of each,
    /// in one copy (rendering is a push per byte of every viewed file).
    pub(crate) fn push_all(&mut self, bytes: &[u8], origin: usize) {
        let n = self.room(bytes.len());
        self.mark(origin, n, false);
        self.view.text.extend_from_slice(&bytes[..n]);
    }

    /// Pushes raw bytes `raw[start..end]`, each with its own offset: as [`Builder::push`] of
    /// each, in one copy.
    pub(crate) fn copy(&mut self, raw: &[u8], start: usize, end: usize) {
        self.copy_from(&raw[start..end], start);
    }

    /// Pushes `bytes`, byte `i` standing for raw offset `from + i` (a decoded literal whose
    /// bytes each keep their own offset): as [`Builder::push`] of each, in one copy.
    pub(crate) fn copy_from(&mut self, bytes: &[u8], from: usize) {
        let n = self.room(bytes.len());
        self.mark(from, n, true);
        self.view.text.extend_from_slice(&bytes[..n]);
    }

    /// Notes that a fold, decode or resolution changed what the code says (not only its
    /// layout): only then is the view worth a second scan.
    pub(crate) fn mark_deobfuscated(&mut self) {
        self.view.deobfuscated = true;
    }

    pub(crate) fn is_full(&self) -> bool {
        self.full
    }

    pub(crate) fn finish(self) -> View {
        self.view
    }
}

/// The canonical view of `raw`, or `None` when there is none worth scanning: the file is too
/// large, or the view differs from the raw text only in layout (comments, white space, quote
/// style), which the rules already allow for. Most real code is like that, and skipping its
/// second scan keeps the view's cost to the lexing pass.
pub(crate) fn view(lang: Lang, raw: &[u8]) -> Option<View> {
    if raw.len() > MAX_INPUT || raw.is_empty() {
        return None;
    }
    let hidden = trigger::hides_tokens(raw);
    if !hidden && !lang.may_fold(raw) {
        return None;
    }
    let turn = (raw.len() >= SERIAL_INPUT).then(|| {
        SERIAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    });
    let view = match lang {
        Lang::Php => php::folded_view(raw, hidden),
        Lang::Java => Some(java::view(raw)),
        Lang::DotNet => Some(dotnet::view(raw)),
    };
    drop(turn);
    view.filter(|v| v.deobfuscated || hidden)
}

/// Inputs from this size up are viewed one at a time across the scanning threads. Building
/// a view holds the file's tokens, up to about 20 bytes per input byte (a php font table of
/// numbers: 1.5 MB took 30 MB), so two threads on two such files at once doubled the scan's
/// peak memory (issue 18). One at a time, the peak is one big file's whatever `-j`; smaller
/// inputs, nearly every file of a web root, never wait.
const SERIAL_INPUT: usize = 512 << 10;

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Builder, MAX_OUTPUT};

    /// `copy` and `push_all` write what a `push` of each byte writes, also where the view
    /// fills up mid-copy.
    #[test]
    fn bulk_pushes_write_what_byte_pushes_write() {
        let raw: Vec<u8> = (0..MAX_OUTPUT + 100).map(|i| (i % 251) as u8).collect();
        let (mut bulk, mut bytes) = (Builder::default(), Builder::default());
        let ops: [(usize, usize, bool); 5] = [
            (0, 10, false),
            (5, 9, true),
            (7, 7, false),
            (3, MAX_OUTPUT - 20, false),
            (40, 50, true),
        ];
        for (start, end, all) in ops {
            if all {
                bulk.push_all(&raw[start..end], 77);
                raw[start..end].iter().for_each(|&b| bytes.push(b, 77));
            } else {
                bulk.copy(&raw, start, end);
                (start..end).for_each(|i| bytes.push(raw[i], i));
            }
            assert_eq!(bulk.is_full(), bytes.is_full(), "{start}..{end}");
        }
        assert!(bulk.is_full());
        let (a, b) = (bulk.finish(), bytes.finish());
        assert_eq!(a.text.len(), MAX_OUTPUT);
        assert!(a.text == b.text && origins(&a) == origins(&b));
    }

    /// Every view offset's raw offset, and the raw length's stand-in past the end.
    fn origins(v: &super::View) -> Vec<usize> {
        (0..=v.text.len())
            .map(|i| v.origin(i, usize::MAX))
            .collect()
    }

    proptest! {
        /// The runs say of every byte the offset it was pushed with, whatever mix of single
        /// bytes, tokens and copies (of one byte or none too) pushed it, next to each other
        /// or not.
        #[test]
        fn runs_give_every_byte_the_offset_it_was_pushed_with(
            ops in prop::collection::vec((0u8..3, 0usize..40, 0usize..5), 0..60),
        ) {
            let raw: Vec<u8> = (0..64).map(|i| i as u8).collect();
            let (mut b, mut want) = (Builder::default(), Vec::new());
            for (kind, at, len) in ops {
                match kind {
                    0 => {
                        b.push(b'x', at);
                        want.push(at);
                    }
                    1 => {
                        b.push_all(&raw[..len], at);
                        want.extend(std::iter::repeat_n(at, len));
                    }
                    _ => {
                        b.copy(&raw, at, at + len);
                        want.extend(at..at + len);
                    }
                }
            }
            let v = b.finish();
            want.push(usize::MAX);
            prop_assert_eq!(origins(&v), want);
        }
    }

    /// [`super::base64`] as it read each byte before the table.
    fn base64_by_match(s: &[u8], lenient: bool) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let (mut acc, mut bits) = (0u32, 0u32);
        for &c in s {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' | b'-' => 62,
                b'/' | b'_' => 63,
                b'=' | b' ' | b'\n' | b'\r' | b'\t' => continue,
                _ if lenient => continue,
                _ => return None,
            };
            acc = (acc << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        Some(out)
    }

    proptest! {
        /// The table reads every byte as the alphabet says, strict and lenient.
        #[test]
        fn base64_table_reads_bytes_as_the_alphabet_says(
            s in prop::collection::vec(prop_oneof![any::<u8>(), prop::sample::select(b"QWxhZGRpbjpvcGVuIHNlc2FtZQ==-_+/ \n".to_vec())], 0..64),
        ) {
            for lenient in [false, true] {
                prop_assert_eq!(super::base64(&s, lenient), base64_by_match(&s, lenient));
            }
        }
    }

    #[test]
    fn every_byte_value_reads_as_before() {
        for b in 0..=255u8 {
            for lenient in [false, true] {
                let s = [b'Q', b'U', b, b'J'];
                assert_eq!(
                    super::base64(&s, lenient),
                    base64_by_match(&s, lenient),
                    "{b}"
                );
            }
        }
    }
}
