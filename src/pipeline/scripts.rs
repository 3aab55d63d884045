//! The scripts and binaries the walk saw, kept for correlation in little memory.
//!
//! Every in-scope file of a web root is noted while the walk runs, and the notes live until
//! it ends, so they add to the sweep's peak. As a `PathBuf` and four numbers each, the
//! web root of issue 18's scripts took 4.5 MB at that peak, most of it allocator overhead
//! and the directories every path repeats. Here each path is kept as the bytes it does not
//! share with the path noted before it (the walk notes a folder's files together), in one
//! buffer; correlation decodes them once, after the walk.

use std::path::{Path, PathBuf};

use super::ScriptFile;

/// Paths front-coded against the one before, with their stamps.
#[derive(Debug, Default)]
pub(crate) struct Scripts {
    /// The bytes of each path after what it shares with the one before, one after another.
    tails: Vec<u8>,
    notes: Vec<Note>,
    /// The last path noted, whole.
    last: Vec<u8>,
}

#[derive(Debug)]
struct Note {
    /// How many leading bytes the path shares with the one noted before it.
    shared: u32,
    /// Where its tail ends in `tails`.
    end: usize,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl Scripts {
    pub(crate) fn push(&mut self, path: &Path, size: u64, mtime_ns: i128, ctime_ns: i128) {
        let bytes = path.as_os_str().as_encoded_bytes();
        let shared = self
            .last
            .iter()
            .zip(bytes)
            .take_while(|(a, b)| a == b)
            .count();
        // A path longer than 4 GiB does not exist; should one, it is kept whole.
        let (shared, kept) = match u32::try_from(shared) {
            Ok(n) => (n, shared),
            Err(_) => (0, 0),
        };
        self.tails.extend_from_slice(&bytes[kept..]);
        self.last.truncate(kept);
        self.last.extend_from_slice(&bytes[kept..]);
        self.notes.push(Note {
            shared,
            end: self.tails.len(),
            size,
            mtime_ns,
            ctime_ns,
        });
    }

    /// Every script noted, in the order noted.
    pub(crate) fn decode(&self) -> Vec<ScriptFile> {
        let mut out = Vec::with_capacity(self.notes.len());
        let mut path: Vec<u8> = Vec::new();
        let mut start = 0;
        for n in &self.notes {
            path.truncate(n.shared as usize);
            path.extend_from_slice(&self.tails[start..n.end]);
            start = n.end;
            out.push(ScriptFile {
                path: path_of(&path),
                size: n.size,
                mtime_ns: n.mtime_ns,
                ctime_ns: n.ctime_ns,
            });
        }
        out
    }
}

/// The path whose encoded bytes are `bytes`, which are a copy of a path's own.
fn path_of(bytes: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        // SAFETY: `bytes` are, byte for byte, what `as_encoded_bytes` gave for a path of
        // this process: the shared head of one such path followed by the rest of another
        // with that same head.
        PathBuf::from(unsafe { std::ffi::OsStr::from_encoded_bytes_unchecked(bytes) })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn paths() -> impl Strategy<Value = Vec<(String, u64)>> {
        let part = prop::sample::select(vec!["a", "ab", "b", "/", "x.php", "é", "", "."]);
        let path = prop::collection::vec(part, 0..8).prop_map(|v| v.concat());
        prop::collection::vec((path, any::<u64>()), 0..20)
    }

    proptest! {
        /// What goes in comes out, in order, whatever the paths share.
        #[test]
        fn decodes_what_was_noted(notes in paths()) {
            let mut s = Scripts::default();
            for (i, (p, size)) in notes.iter().enumerate() {
                s.push(Path::new(p), *size, i as i128, -(i as i128));
            }
            let got = s.decode();
            prop_assert_eq!(got.len(), notes.len());
            for (i, ((p, size), f)) in notes.iter().zip(&got).enumerate() {
                prop_assert_eq!(f.path.as_path(), Path::new(p));
                prop_assert_eq!((f.size, f.mtime_ns, f.ctime_ns), (*size, i as i128, -(i as i128)));
            }
        }
    }

    #[test]
    fn a_folder_is_kept_once_for_its_files() {
        let mut s = Scripts::default();
        for name in ["index.php", "about.php", "shell.php"] {
            s.push(
                &Path::new("/var/www/html/wp-content/uploads").join(name),
                1,
                0,
                0,
            );
        }
        // The folder once, then each name (`a` and `s` share nothing more with the last).
        let expect = "/var/www/html/wp-content/uploads/".len() + 9 + 9 + 9;
        assert_eq!(s.tails.len(), expect);
    }

    #[cfg(unix)]
    #[test]
    fn a_path_that_is_not_utf8_comes_back_byte_for_byte() {
        use std::os::unix::ffi::OsStrExt;
        let mut s = Scripts::default();
        let odd = std::ffi::OsStr::from_bytes(b"/srv/\xff\xfe.php");
        s.push(Path::new(odd), 3, 0, 0);
        s.push(Path::new("/srv/\u{e9}.php"), 4, 0, 0);
        let got = s.decode();
        assert_eq!(got[0].path.as_os_str().as_bytes(), odd.as_bytes());
        assert_eq!(got[1].path, Path::new("/srv/\u{e9}.php"));
    }
}
