//! One sweep at a time per state file: an exclusive lock on `STATE.lock`.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another shellsweep run holds {0} (use --wait to wait for it)")]
    Busy(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Held until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: File,
    pub path: PathBuf,
}

impl Lock {
    /// Takes the lock beside `state`; with `wait`, blocks until it is free.
    pub fn acquire(state: &Path, wait: bool) -> Result<Lock, LockError> {
        let mut name = state
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(".lock");
        let path = state.with_file_name(name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| LockError::Io {
                // A missing folder is the state file's: the user named it, not its lock.
                path: if source.kind() == std::io::ErrorKind::NotFound {
                    state.to_path_buf()
                } else {
                    path.clone()
                },
                source,
            })?;
        lock(&file, wait).map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock => LockError::Busy(path.clone()),
            _ => LockError::Io {
                path: path.clone(),
                source: e,
            },
        })?;
        Ok(Lock { _file: file, path })
    }
}

/// The standard library's advisory lock: `flock` on Unix, `LockFileEx` on Windows.
fn lock(file: &File, wait: bool) -> std::io::Result<()> {
    if wait {
        return file.lock();
    }
    file.try_lock().map_err(|e| match e {
        std::fs::TryLockError::WouldBlock => std::io::ErrorKind::WouldBlock.into(),
        std::fs::TryLockError::Error(e) => e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        let first = Lock::acquire(&state, false).unwrap();
        assert!(matches!(
            Lock::acquire(&state, false),
            Err(LockError::Busy(_))
        ));
        drop(first);
        assert!(Lock::acquire(&state, false).is_ok());
    }
}
