//! Getting a file's bytes: read-only, without following a swapped-in symlink, without
//! blocking on a FIFO, without touching access times where the OS allows, into a buffer the
//! thread reuses.
//!
//! Files are read, not memory-mapped: a mapped file that an attacker (or logrotate) truncates
//! under the scanner raises SIGBUS and kills the process, and for the small files of a web
//! root a read into a warm buffer is as fast.

mod encoding;
mod stream;

pub(crate) use encoding::{Encoding, TextBefore, decode_head, decoded_from_start, utf8_bom_len};

pub use stream::{Bounded, Line, LineReader, LineVisitor, decoded, lines_end_in_cr};

use std::collections::HashSet;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::Path;
use std::time::SystemTime;

/// How findings name standard input read without `--stdin-name`: a name no file has, so
/// that the writers can tell it from a path.
pub const STDIN: &str = "<stdin>";

/// What is known of a file that was read.
#[derive(Clone, Debug)]
pub struct FileMeta {
    pub size: u64,
    pub modified: Option<SystemTime>,
    /// What says "this file has not changed" between sweeps.
    pub stamp: Stamp,
    /// The owner's uid (for YARA's `owner` external); `None` where there is none.
    pub owner: Option<u32>,
}

/// Device, inode, size, modification and change times (nanoseconds since the epoch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
}

/// Why a file was not read.
#[derive(Debug)]
pub enum NotRead {
    /// Larger than the limit (at open, or it grew past it while being read).
    TooLarge(u64),
    /// Not a regular file once opened (a FIFO, socket or device swapped in after the walk).
    NotRegular,
    /// One of the files listed as the scanner's own (its output, rules, binary).
    Own,
    Io(io::Error),
}

impl From<io::Error> for NotRead {
    fn from(e: io::Error) -> NotRead {
        NotRead::Io(e)
    }
}

/// How to read.
#[derive(Clone, Debug, Default)]
pub struct ReadPolicy {
    pub follow_symlinks: bool,
    pub max_size: u64,
    /// (device, inode) of files never to read: the scanner's own.
    pub own_files: HashSet<(u64, u64)>,
}

/// Reads the whole file into `buf` (cleared first), up to `policy.max_size` bytes. The
/// scanner reads a file's head first to route it, then the rest; tests read it at once.
#[cfg(test)]
fn read_file(path: &Path, policy: &ReadPolicy, buf: &mut Vec<u8>) -> Result<FileMeta, NotRead> {
    let (file, meta) = open_file(path, policy)?;
    buf.clear();
    read_rest(&file, meta.size, policy.max_size, buf)?;
    Ok(FileMeta {
        size: buf.len() as u64,
        ..meta
    })
}

/// Opens a regular file that is not one of the scanner's own. The size is not checked here:
/// logs are streamed whatever their size.
pub fn open_file(path: &Path, policy: &ReadPolicy) -> Result<(File, FileMeta), NotRead> {
    let file = open_readonly(path, policy.follow_symlinks)?;
    let md = file.metadata()?;
    if !md.is_file() {
        return Err(NotRead::NotRegular);
    }
    if id_of(&md).is_some_and(|id| policy.own_files.contains(&id)) {
        return Err(NotRead::Own);
    }
    Ok((file, meta(&md, md.len())))
}

/// Reads up to `limit` bytes of what remains of `file` onto the end of `buf` (which may hold
/// its head already). `expected` is the size at open, a hint for the allocation.
pub fn read_rest(
    mut file: &File,
    expected: u64,
    max_size: u64,
    buf: &mut Vec<u8>,
) -> Result<(), NotRead> {
    if expected > max_size {
        return Err(NotRead::TooLarge(expected));
    }
    // The size may change while reading: read what the file held when it was opened (a
    // file that grows meanwhile is read again by the next sweep, as its stamp changed), and
    // never more than the limit allows.
    buf.reserve((expected as usize).saturating_sub(buf.len()));
    // `saturating_add`: "no limit" is `u64::MAX`, which must not wrap to a room of 0.
    let room = max_size
        .saturating_add(1)
        .min(expected)
        .saturating_sub(buf.len() as u64);
    (&mut file).take(room).read_to_end(buf)?;
    if buf.len() as u64 > max_size {
        let got = buf.len() as u64;
        buf.clear();
        return Err(NotRead::TooLarge(got));
    }
    Ok(())
}

/// The capacity a thread's read buffer keeps between files. Most files of a web root are far
/// smaller; one that was larger is not held for the rest of the scan (a thread that met a
/// 12 MB word list kept 12 MB until the end, and every thread could).
pub(crate) const RETAINED_CAPACITY: usize = 1 << 20;

/// Empties a read buffer for the next file, giving back what is over [`RETAINED_CAPACITY`].
pub(crate) fn recycle(buf: &mut Vec<u8>) {
    buf.clear();
    if buf.capacity() > RETAINED_CAPACITY {
        buf.shrink_to(RETAINED_CAPACITY);
    }
}

/// Reads up to `n` bytes from the start of `file` into `buf` (cleared first).
pub fn read_head(mut file: &File, n: usize, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.clear();
    (&mut file).take(n as u64).read_to_end(buf)?;
    Ok(())
}

/// The identity of a path's file, for recognising the scanner's own files in a tree.
pub fn file_id(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().and_then(|md| id_of(&md))
}

fn meta(md: &Metadata, size: u64) -> FileMeta {
    FileMeta {
        size,
        modified: md.modified().ok(),
        stamp: stamp_of(md),
        owner: owner_of(md),
    }
}

#[cfg(unix)]
fn owner_of(md: &Metadata) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    Some(md.uid())
}

#[cfg(not(unix))]
fn owner_of(_: &Metadata) -> Option<u32> {
    None
}

#[cfg(unix)]
fn stamp_of(md: &Metadata) -> Stamp {
    use std::os::unix::fs::MetadataExt;
    Stamp {
        dev: md.dev(),
        ino: md.ino(),
        size: md.size(),
        mtime_ns: i128::from(md.mtime()) * 1_000_000_000 + i128::from(md.mtime_nsec()),
        ctime_ns: i128::from(md.ctime()) * 1_000_000_000 + i128::from(md.ctime_nsec()),
    }
}

#[cfg(not(unix))]
fn stamp_of(md: &Metadata) -> Stamp {
    let ns = |t: std::io::Result<SystemTime>| {
        t.ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128)
    };
    Stamp {
        dev: 0,
        ino: 0,
        size: md.len(),
        mtime_ns: ns(md.modified()),
        ctime_ns: ns(md.created()),
    }
}

#[cfg(unix)]
fn id_of(md: &Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((md.dev(), md.ino()))
}

#[cfg(not(unix))]
fn id_of(_md: &Metadata) -> Option<(u64, u64)> {
    None
}

#[cfg(unix)]
fn open_readonly(path: &Path, follow_symlinks: bool) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: a FIFO swapped in after the walk opens at once instead of hanging; it has
    // no effect on regular files. O_NOFOLLOW: a file swapped for a symlink is not followed
    // out of the tree when symlinks are not to be followed.
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    if !follow_symlinks {
        flags |= libc::O_NOFOLLOW;
    }
    let open = |extra: libc::c_int| {
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(flags | extra)
            .open(path)
    };
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // O_NOATIME keeps access times untouched for forensics; the kernel allows it only to
        // the file's owner or a privileged process, so fall back without it.
        match open(libc::O_NOATIME) {
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => open(0),
            other => other,
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    open(0)
}

#[cfg(not(unix))]
fn open_readonly(path: &Path, _follow_symlinks: bool) -> io::Result<File> {
    File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(follow_symlinks: bool, max_size: u64) -> ReadPolicy {
        ReadPolicy {
            follow_symlinks,
            max_size,
            own_files: HashSet::new(),
        }
    }

    #[test]
    fn reads_whole_files_and_enforces_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, b"hello world").unwrap();
        let mut buf = vec![1, 2, 3];
        let meta = read_file(&p, &policy(false, 100), &mut buf).unwrap();
        assert_eq!(buf, b"hello world");
        assert_eq!(meta.size, 11);
        assert!(matches!(
            read_file(&p, &policy(false, 10), &mut buf),
            Err(NotRead::TooLarge(11))
        ));
        assert!(read_file(&p, &policy(false, 11), &mut buf).is_ok());
        let mut own = policy(false, 100);
        own.own_files.insert((meta.stamp.dev, meta.stamp.ino));
        assert!(matches!(read_file(&p, &own, &mut buf), Err(NotRead::Own)));
        // No limit at all still reads the file (the room once wrapped to nothing).
        buf.clear();
        read_file(&p, &policy(false, u64::MAX), &mut buf).unwrap();
        assert_eq!(buf, b"hello world");
    }

    /// The memory fix of issue 18: a big file's buffer is not kept for the next files, a small
    /// one is (it is reused without allocating).
    #[test]
    fn a_big_files_buffer_is_given_back_and_a_small_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.txt");
        std::fs::write(&big, vec![b'x'; 3 * RETAINED_CAPACITY]).unwrap();
        let mut buf = Vec::new();
        read_file(&big, &policy(false, 1 << 30), &mut buf).unwrap();
        assert_eq!(buf.len(), 3 * RETAINED_CAPACITY);
        recycle(&mut buf);
        assert!(buf.is_empty());
        assert!(buf.capacity() <= RETAINED_CAPACITY, "{}", buf.capacity());

        let small = dir.path().join("small.txt");
        std::fs::write(&small, vec![b'y'; 1000]).unwrap();
        read_file(&small, &policy(false, 1 << 30), &mut buf).unwrap();
        let cap = buf.capacity();
        recycle(&mut buf);
        assert_eq!((buf.len(), buf.capacity()), (0, cap));
    }

    #[cfg(unix)]
    #[test]
    fn does_not_follow_symlinks_unless_asked_and_never_blocks_on_fifos() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        std::fs::write(&target, b"x").unwrap();
        let link = dir.path().join("l");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let mut buf = Vec::new();
        assert!(matches!(
            read_file(&link, &policy(false, 10), &mut buf),
            Err(NotRead::Io(_))
        ));
        assert!(read_file(&link, &policy(true, 10), &mut buf).is_ok());

        let fifo = dir.path().join("f");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_file(&fifo, &policy(false, 10), &mut buf),
            Err(NotRead::NotRegular)
        ));
    }
}
