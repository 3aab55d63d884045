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
    /// `origin[i]` is the raw offset of the token that produced `text[i]`.
    origin: Vec<u32>,
    /// Something was folded, decoded or resolved: the view says more than the raw text.
    deobfuscated: bool,
}

impl View {
    pub(crate) fn text(&self) -> &[u8] {
        &self.text
    }

    /// The raw offset behind view offset `i` (the raw length past the end).
    pub(crate) fn origin(&self, i: usize, raw_len: usize) -> usize {
        self.origin.get(i).map_or(raw_len, |&o| o as usize)
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
                origin: Vec::with_capacity(n),
                deobfuscated: false,
            },
            full: false,
        }
    }

    pub(crate) fn push(&mut self, byte: u8, origin: usize) {
        if self.view.text.len() >= MAX_OUTPUT {
            self.full = true;
            return;
        }
        self.view.text.push(byte);
        self.view.origin.push(origin as u32);
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
        self.view.text.extend_from_slice(&bytes[..n]);
        let o = origin as u32;
        self.view.origin.extend(std::iter::repeat_n(o, n));
    }

    /// Pushes raw bytes `raw[start..end]`, each with its own offset: as [`Builder::push`] of
    /// each, in one copy.
    pub(crate) fn copy(&mut self, raw: &[u8], start: usize, end: usize) {
        let n = self.room(end - start);
        self.view.text.extend_from_slice(&raw[start..start + n]);
        self.view
            .origin
            .extend((start..start + n).map(|o| o as u32));
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
        assert!(a.text == b.text && a.origin == b.origin);
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
