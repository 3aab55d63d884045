//! Where lines go: standard output or a file opened for appending, written whole lines at a
//! time so that runs appending to one file never interleave parts of their lines.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// `--output` appends, so a SIEM shipper that tails the file never sees it shrink. A file
/// left ending in a torn line (a writer killed or out of space mid-line) first gets the
/// newline it lacks, so the torn line stays alone and the next ones parse.
pub(super) fn open_append(path: &Path) -> io::Result<File> {
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    // Another run's write in progress can show as a torn line (the size grows page by page
    // while it copies), and two runs starting on a torn file would each add a newline: the
    // lock waits out writes (each takes it shared) and makes the second see the first's.
    let locked = lock(&file, Lock::Exclusive);
    if ends_in_torn_line(path) {
        file.write_all(b"\n")?;
    }
    if locked {
        unlock(&file);
    }
    Ok(file)
}

/// True when the file is not empty and its last byte is not a newline. A file this process
/// may append to but not read is taken as whole.
fn ends_in_torn_line(path: &Path) -> bool {
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    let mut last = [0u8; 1];
    f.seek(SeekFrom::End(-1)).is_ok() && f.read_exact(&mut last).is_ok() && last[0] != b'\n'
}

#[derive(Clone, Copy)]
enum Lock {
    /// While appending (runs append at once; the kernel keeps each write whole).
    Shared,
    /// While looking for a torn line and mending it.
    Exclusive,
}

/// Best effort: on a file system without locks, output is written unlocked.
#[cfg(unix)]
fn lock(file: &File, how: Lock) -> bool {
    use std::os::fd::AsRawFd;
    let op = match how {
        Lock::Shared => libc::LOCK_SH,
        Lock::Exclusive => libc::LOCK_EX,
    };
    // SAFETY: flock on a descriptor this process owns; no memory is passed.
    unsafe { libc::flock(file.as_raw_fd(), op) == 0 }
}

#[cfg(unix)]
fn unlock(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: as above.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
}

#[cfg(not(unix))]
fn lock(file: &File, how: Lock) -> bool {
    match how {
        Lock::Shared => file.lock_shared().is_ok(),
        Lock::Exclusive => file.lock().is_ok(),
    }
}

#[cfg(not(unix))]
fn unlock(file: &File) {
    let _ = file.unlock();
}

/// Where the output goes.
pub(super) enum Dest {
    Stdout(io::Stdout),
    File(File),
}

impl Dest {
    /// Puts what was written on disk, when it is a file (a pipe or terminal has nothing to
    /// sync).
    pub(super) fn sync(&mut self) -> io::Result<()> {
        match self {
            Dest::File(f) => f.sync_data(),
            Dest::Stdout(s) => {
                s.flush()?;
                match stdout_file(s) {
                    Some(f) if f.metadata().is_ok_and(|m| m.is_file()) => f.sync_data(),
                    _ => Ok(()),
                }
            }
        }
    }
}

/// A second handle on standard output, to sync it when it was redirected to a file.
#[cfg(unix)]
fn stdout_file(s: &io::Stdout) -> Option<File> {
    use std::os::fd::AsFd;
    s.as_fd().try_clone_to_owned().ok().map(File::from)
}

#[cfg(windows)]
fn stdout_file(s: &io::Stdout) -> Option<File> {
    use std::os::windows::io::AsHandle;
    s.as_handle().try_clone_to_owned().ok().map(File::from)
}

#[cfg(not(any(unix, windows)))]
fn stdout_file(_: &io::Stdout) -> Option<File> {
    None
}

impl Write for Dest {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Dest::Stdout(s) => s.write(buf),
            Dest::File(f) => f.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Dest::Stdout(s) => s.write_all(buf),
            Dest::File(f) => {
                let locked = lock(f, Lock::Shared);
                let result = f.write_all(buf);
                if locked {
                    unlock(f);
                }
                result
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Dest::Stdout(s) => s.flush(),
            Dest::File(f) => f.flush(),
        }
    }
}

/// Hands whole lines to the destination, each batch in one `write`: with `O_APPEND`, runs
/// appending to one file at once then never interleave parts of their lines, and a writer
/// killed between writes leaves no half line. (Serializers write a line in many small
/// pieces; a plain buffer would pass a line's head and tail in two writes when it fills.)
pub(super) struct LineSink<W: Write> {
    pub(super) inner: W,
    buf: Vec<u8>,
}

/// Whole lines held beyond this go out without waiting for a flush.
const LINE_BATCH: usize = 64 * 1024;

impl<W: Write> LineSink<W> {
    pub(super) fn new(inner: W) -> LineSink<W> {
        LineSink {
            inner,
            buf: Vec::with_capacity(LINE_BATCH),
        }
    }

    /// Writes the held whole lines; a line not finished yet stays.
    fn write_lines(&mut self) -> io::Result<()> {
        let Some(end) = memchr::memrchr(b'\n', &self.buf).map(|i| i + 1) else {
            return Ok(());
        };
        let result = self.inner.write_all(&self.buf[..end]);
        // After a failure nothing is written again: the run is stopping on the error.
        self.buf.drain(..end);
        result
    }
}

impl<W: Write> Write for LineSink<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= LINE_BATCH {
            self.write_lines()?;
        }
        Ok(data.len())
    }

    /// Writes everything held; callers flush at the end of a line.
    fn flush(&mut self) -> io::Result<()> {
        self.write_lines()?;
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            self.inner.write_all(&rest)?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keeps each `write` call apart.
    struct Calls(Vec<Vec<u8>>);

    impl Write for Calls {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn each_write_holds_only_whole_lines() {
        let mut sink = LineSink::new(Calls(Vec::new()));
        let mut expected = Vec::new();
        for i in 0..5000 {
            let line = format!("{{\"n\":{i},\"pad\":\"{}\"}}\n", "x".repeat(i % 300));
            // In small pieces, as a serializer writes them, and flushed now and then.
            for piece in line.as_bytes().chunks(7) {
                sink.write_all(piece).unwrap();
            }
            if i % 700 == 0 {
                sink.flush().unwrap();
            }
            expected.extend_from_slice(line.as_bytes());
        }
        sink.flush().unwrap();
        let calls = &sink.inner.0;
        assert!(calls.len() > 10, "{} writes", calls.len());
        for c in calls {
            assert!(c.ends_with(b"\n") && c.len() <= LINE_BATCH + 400);
        }
        assert_eq!(calls.concat(), expected);
    }

    #[test]
    fn only_a_file_ending_mid_line_is_torn() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("o.jsonl");
        assert!(!ends_in_torn_line(&p), "missing");
        std::fs::write(&p, b"").unwrap();
        assert!(!ends_in_torn_line(&p), "empty");
        std::fs::write(&p, b"{}\n").unwrap();
        assert!(!ends_in_torn_line(&p));
        std::fs::write(&p, b"{}\n{\"a\":").unwrap();
        assert!(ends_in_torn_line(&p));
        open_append(&p).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"{}\n{\"a\":\n");
        open_append(&p).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"{}\n{\"a\":\n", "mended once");
    }
}
