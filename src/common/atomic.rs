//! Writing a whole file or nothing: rules compiled for a fleet and baselines are read by
//! other runs, which must never find half a file.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to a new temporary file beside `path`, syncs it and renames it over
/// `path`; on any error the temporary file is removed and `path` is as it was.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".tmp{}", std::process::id()));
    let tmp = std::path::PathBuf::from(name);
    let result = (|| {
        // A new file only: a link planted at the temporary name is not followed.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
