//! How a file's bytes become text: gzip, UTF-16 with or without a BOM, a UTF-8 BOM, decided
//! once from the head, and the decoded text before an offset, which an incremental sweep
//! compares with what it read last time.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};

use super::stream::{Bounded, decoded_as, is_bare_utf16le, is_gzip};

/// A decoded stream, capped at the decoded size a run allows.
pub type DecodedStream = Bounded<Box<dyn Read + Send>>;

/// How the bytes of a file (or of standard input) are text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (or ASCII) as stored, read in place: positioned reads and splitting work on
    /// it. `bom` is the length of a UTF-8 byte-order mark to leave out (0 or 3).
    Plain { bom: u8 },
    /// Gzip, decompressed on the fly (its text is then decoded as the others).
    Gzip,
    /// UTF-16 with a byte-order mark, either byte order.
    Utf16,
    /// UTF-16LE without a byte-order mark, as Windows tools write "Unicode" text.
    BareUtf16le,
}

impl Encoding {
    /// What the head of a file says.
    pub fn of(head: &[u8]) -> Encoding {
        if is_gzip(head) {
            Encoding::Gzip
        } else if is_bare_utf16le(head) {
            Encoding::BareUtf16le
        } else if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            Encoding::Utf16
        } else {
            Encoding::Plain {
                bom: utf8_bom_len(head),
            }
        }
    }

    /// Whether the text is the stored bytes (after the BOM), so offsets in one are offsets
    /// in the other.
    pub fn is_plain(self) -> bool {
        matches!(self, Encoding::Plain { .. })
    }

    /// Whether the file may still be appended to in place: a gzip member is written whole.
    pub fn may_grow(self) -> bool {
        self != Encoding::Gzip
    }

    /// The decoded text of `raw`, which starts at the start of the file, capped at `max`.
    pub fn decode<R: Read + Send + 'static>(self, raw: R, max: u64) -> DecodedStream {
        Bounded::new(
            decoded_as(raw, self == Encoding::Gzip, self == Encoding::BareUtf16le),
            max,
        )
    }
}

/// The length of a UTF-8 byte-order mark at the start of `text` (IIS writes one); it is not
/// part of the first line.
pub fn utf8_bom_len(text: &[u8]) -> u8 {
    if text.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    }
}

/// A decoded stream and the first bytes read from it.
pub struct DecodedHead {
    pub stream: DecodedStream,
    pub head: Vec<u8>,
    /// Why the head is short, when the stream failed while reading it.
    pub error: Option<io::Error>,
}

/// Decodes `raw_head` followed by `rest` (the raw bytes after it), and reads up to
/// `head_len` bytes of the text.
pub fn decode_head<R: Read + Send + 'static>(
    encoding: Encoding,
    raw_head: Vec<u8>,
    rest: R,
    max: u64,
    head_len: usize,
) -> DecodedHead {
    let mut stream = encoding.decode(Cursor::new(raw_head).chain(rest), max);
    let mut head = Vec::new();
    let error = (&mut stream)
        .take(head_len as u64)
        .read_to_end(&mut head)
        .err();
    DecodedHead {
        stream,
        head,
        error,
    }
}

/// A transcoded file's decoded text from its start (moves the file's position).
pub fn decoded_from_start(file: &File, encoding: Encoding, max: u64) -> Option<DecodedStream> {
    let mut f = file.try_clone().ok()?;
    f.seek(SeekFrom::Start(0)).ok()?;
    Some(encoding.decode(f, max))
}

/// `len` bytes of `file` at `at`, leaving its position as it was.
fn read_at(mut file: &File, at: u64, len: usize) -> Option<Vec<u8>> {
    let was = file.stream_position().ok()?;
    let got = (|| {
        file.seek(SeekFrom::Start(at)).ok()?;
        let mut v = Vec::with_capacity(len);
        file.take(len as u64).read_to_end(&mut v).ok()?;
        (v.len() == len).then_some(v)
    })();
    file.seek(SeekFrom::Start(was)).ok()?;
    got
}

/// Where the decoded text before an offset comes from: an incremental sweep resumes only
/// when that text is still what it read last time.
pub enum TextBefore<'a> {
    /// A plain file: from the head already read (`text`, the file's bytes after the BOM)
    /// or with a positioned read.
    Plain {
        file: &'a File,
        text: &'a [u8],
        bom: u64,
    },
    /// A transcoded file: decoded again from its start.
    Decoded {
        file: &'a File,
        encoding: Encoding,
        max: u64,
    },
}

impl TextBefore<'_> {
    /// The `len` bytes of text before `offset` (fewer when `offset` is smaller), or `None`
    /// when they cannot be read.
    pub fn get(&self, offset: u64, len: usize) -> Option<Vec<u8>> {
        let len = len.min(usize::try_from(offset).unwrap_or(usize::MAX));
        match *self {
            TextBefore::Plain { file, text, bom } => {
                match usize::try_from(offset).ok().filter(|&o| o <= text.len()) {
                    Some(o) => Some(text[o - len..o].to_vec()),
                    None => read_at(file, bom + offset - len as u64, len),
                }
            }
            TextBefore::Decoded {
                file,
                encoding,
                max,
            } => {
                let mut s = decoded_from_start(file, encoding, max)?;
                io::copy(&mut (&mut s).take(offset - len as u64), &mut io::sink()).ok()?;
                let mut v = Vec::with_capacity(len);
                (&mut s).take(len as u64).read_to_end(&mut v).ok()?;
                (v.len() == len).then_some(v)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn the_head_decides_the_encoding() {
        assert_eq!(Encoding::of(b"\x1f\x8b\x08rest"), Encoding::Gzip);
        assert_eq!(Encoding::of(b"\xFF\xFEa\0b\0"), Encoding::Utf16);
        assert_eq!(Encoding::of(b"\xFE\xFF\0a\0b"), Encoding::Utf16);
        let bare: Vec<u8> = "#Fields: date time\n"
            .bytes()
            .flat_map(|b| [b, 0])
            .collect();
        assert_eq!(Encoding::of(&bare), Encoding::BareUtf16le);
        assert_eq!(
            Encoding::of(b"\xEF\xBB\xBF#Fields"),
            Encoding::Plain { bom: 3 }
        );
        assert_eq!(Encoding::of(b"#Fields"), Encoding::Plain { bom: 0 });
        assert!(Encoding::Utf16.may_grow() && !Encoding::Gzip.may_grow());
    }

    #[test]
    fn text_before_an_offset_reads_the_same_from_the_head_or_the_file() {
        let mut f = tempfile::tempfile().unwrap();
        let text = b"\xEF\xBB\xBFline one\nline two\nline three\n";
        f.write_all(text).unwrap();
        let body = &text[3..];
        let from_head = TextBefore::Plain {
            file: &f,
            text: body,
            bom: 3,
        };
        let from_file = TextBefore::Plain {
            file: &f,
            text: &body[..4],
            bom: 3,
        };
        assert_eq!(from_head.get(18, 9).as_deref(), Some(&b"line two\n"[..]));
        assert_eq!(from_file.get(18, 9), from_head.get(18, 9));
        assert_eq!(from_head.get(4, 9).as_deref(), Some(&b"line"[..]));
        let decoded = TextBefore::Decoded {
            file: &f,
            encoding: Encoding::Utf16,
            max: 1 << 20,
        };
        // The BOM is stripped by the decoder as by the plain reading.
        assert_eq!(decoded.get(18, 9), from_head.get(18, 9));
    }
}
