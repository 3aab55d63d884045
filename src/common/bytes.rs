//! Byte and text helpers shared by findings, output and saved state.

use std::path::Path;

use sha2::{Digest, Sha256};

/// `path.extension()` as bytes. A sweep asks for the extension of every file several
/// times (which rules apply, which language, whether a baseline records it), and the
/// standard library's parses the whole path into components each time (issue 18: 1% of
/// a web root's sweep). Here the name after the last `/` is read directly when it is a
/// plain one; any other path (a trailing `/`, `.` or `..`, or another platform's
/// separators and prefixes) goes to the standard library.
pub(crate) fn extension(path: &Path) -> Option<&[u8]> {
    #[cfg(unix)]
    {
        let bytes = path.as_os_str().as_encoded_bytes();
        let name = &bytes[memchr::memrchr(b'/', bytes).map_or(0, |i| i + 1)..];
        if !matches!(name, b"" | b"." | b"..") {
            // A leading dot starts a hidden name, not an extension.
            return match memchr::memrchr(b'.', name) {
                None | Some(0) => None,
                Some(dot) => Some(&name[dot + 1..]),
            };
        }
    }
    path.extension().map(|e| e.as_encoded_bytes())
}

/// RFC 3339 in UTC with millisecond precision.
pub fn rfc3339(t: jiff::Timestamp) -> String {
    format!("{t:.3}")
}

/// The exact bytes of a path (lossy only where the platform has no byte form).
pub fn path_bytes(path: &Path) -> std::borrow::Cow<'_, [u8]> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::borrow::Cow::Borrowed(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        std::borrow::Cow::Owned(path.to_string_lossy().into_owned().into_bytes())
    }
}

/// Bytes as a JSON-safe string without loss: valid UTF-8 is kept as is (the JSON encoder
/// escapes control characters), each invalid byte becomes `\xNN`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// SHA-256 of a buffer, in lowercase hex.
pub fn sha256_hex(buf: &[u8]) -> String {
    hex(&sha256(buf))
}

pub fn sha256(buf: &[u8]) -> [u8; 32] {
    Sha256::digest(buf).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The standard library's extension, whatever the path.
        #[test]
        fn extension_is_the_standard_one(
            path in proptest::collection::vec(
                proptest::sample::select(b"a./\\\xff".to_vec()),
                0..12,
            ),
        ) {
            let text = String::from_utf8_lossy(&path).into_owned();
            let path = Path::new(&text);
            proptest::prop_assert_eq!(
                extension(path),
                path.extension().map(|e| e.as_encoded_bytes())
            );
        }
    }

    #[test]
    fn escape_keeps_utf8_and_marks_invalid_bytes() {
        assert_eq!(escape_bytes(b"ok \xff\xfe \xc3\xa9"), "ok \\xff\\xfe é");
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_millis() {
        let t: jiff::Timestamp = "2025-07-19T07:13:02.123456Z".parse().unwrap();
        assert_eq!(rfc3339(t), "2025-07-19T07:13:02.123Z");
    }
}
