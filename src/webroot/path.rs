//! Paths as component lists, so a folder named by a server's config can be found in a copy
//! of that server's disk mounted anywhere else.
//!
//! A config names the server's own paths (`%SystemDrive%\inetpub\wwwroot`, `/var/www/html`),
//! while the responder scans `/mnt/evidence/inetpub/wwwroot` or a folder unpacked from a zip.
//! What survives the copy is the run of folder names after the drive, so that is what is
//! kept and compared; drives, UNC servers and variables that stand for a drive are dropped.

/// A folder of a mapping, kept both as written (for messages) and as components (for
/// matching).
#[derive(Clone, Debug)]
pub(crate) struct Folder {
    /// As the config or option wrote it.
    pub(crate) shown: std::path::PathBuf,
    /// Components after the drive, `.` and `..` resolved, variables expanded or dropped.
    pub(crate) comps: Vec<String>,
    /// Written in Windows form (drive, backslashes or `%VAR%`): such a folder is compared
    /// case-insensitively whatever its source.
    pub(crate) windows: bool,
}

/// Windows variables that name folders below the drive; expanding them keeps a mapping
/// like `%windir%\Microsoft.NET` specific. Anything else in `%…%` is dropped, as a drive is.
const WINDOWS_VARS: &[(&str, &[&str])] = &[
    ("windir", &["Windows"]),
    ("systemroot", &["Windows"]),
    ("programfiles", &["Program Files"]),
    ("programfiles(x86)", &["Program Files (x86)"]),
    ("programw6432", &["Program Files"]),
    ("commonprogramfiles", &["Program Files", "Common Files"]),
    (
        "commonprogramfiles(x86)",
        &["Program Files (x86)", "Common Files"],
    ),
    ("programdata", &["ProgramData"]),
];

impl Folder {
    /// Reads a folder as a config writes it, in Windows or POSIX form.
    pub(crate) fn parse(text: &str) -> Folder {
        let trimmed = text.trim();
        let windows = trimmed.contains('\\')
            || trimmed.contains('%')
            || trimmed.as_bytes().get(1) == Some(&b':');
        let unc = trimmed.starts_with("\\\\") || trimmed.starts_with("//");
        let mut comps: Vec<String> = Vec::new();
        for (i, part) in trimmed
            .split(['/', '\\'])
            .filter(|p| !p.is_empty())
            .enumerate()
        {
            // `\\?\C:\x` and `\\.\C:\x`: device prefixes; `\\server\share`: the server.
            if unc && i == 0 {
                continue;
            }
            match part {
                "." => continue,
                ".." => {
                    comps.pop();
                    continue;
                }
                _ if comps.is_empty() && is_drive(part) => continue,
                _ => {}
            }
            if let Some(name) = part.strip_prefix('%').and_then(|p| p.strip_suffix('%')) {
                let lower = name.to_ascii_lowercase();
                if let Some((_, expansion)) = WINDOWS_VARS.iter().find(|(v, _)| *v == lower) {
                    comps.extend(expansion.iter().map(|c| (*c).to_owned()));
                }
                continue;
            }
            if part.contains('%') {
                // A variable glued to text (`%HOMEDRIVE%%HOMEPATH%`): its value is unknown.
                continue;
            }
            comps.push(part.to_owned());
        }
        Folder {
            shown: std::path::PathBuf::from(trimmed),
            comps,
            windows,
        }
    }

    /// Builds a folder from the first `n` components of a scanned file's path, which is
    /// where the files are on this machine, so it needs no translation.
    pub(crate) fn from_scanned(file: &std::path::Path, n: usize) -> Folder {
        let bytes = file.as_os_str().as_encoded_bytes();
        let mut comps: Vec<String> = Vec::with_capacity(n);
        let mut end = 0;
        for (start, comp) in positioned(bytes).take(n) {
            comps.push(String::from_utf8_lossy(comp).into_owned());
            end = start + comp.len();
        }
        Folder {
            shown: std::path::PathBuf::from(String::from_utf8_lossy(&bytes[..end]).into_owned()),
            comps,
            windows: false,
        }
    }
}

/// [`components`] with the byte offset where each starts.
fn positioned(path: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut start = 0;
    path.split(|&b| b == b'/' || b == b'\\')
        .filter_map(move |c| {
            let at = start;
            start += c.len() + 1;
            (!c.is_empty() && c != b".").then_some((at, c))
        })
}

fn is_drive(part: &str) -> bool {
    let b = part.as_bytes();
    (b.len() == 2 && b[0].is_ascii_alphabetic() && b[1] == b':') || part == "?" || part == "."
}

/// The components of a path as bytes, split on both separators: a tree unpacked from a
/// Windows zip on Linux can carry backslashes in its names. Empty and `.` parts are skipped.
pub(crate) fn components(path: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    path.split(|&b| b == b'/' || b == b'\\')
        .filter(|c| !c.is_empty() && *c != b".")
}

/// The segments of a URL path: empty and `.` segments skipped, `..` applied (a request that
/// climbs above the root stays at the root, as servers do). IIS also takes `\` as `/`.
pub(crate) fn url_segments(url: &str, backslash: bool) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let parts = url.split(|c| c == '/' || (backslash && c == '\\'));
    for part in parts {
        match part {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            _ => out.push(part),
        }
    }
    out
}

/// Compares one component or segment. Case-insensitive comparison folds ASCII cheaply and
/// falls back to Unicode lowercase for other letters, as NTFS names do.
pub(crate) fn same(a: &[u8], b: &[u8], case_insensitive: bool) -> bool {
    if a == b {
        return true;
    }
    if !case_insensitive {
        return false;
    }
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    if a.is_ascii() && b.is_ascii() {
        return false;
    }
    match (std::str::from_utf8(a), std::str::from_utf8(b)) {
        (Ok(a), Ok(b)) => a
            .chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase)),
        _ => false,
    }
}

/// Whether `run` equals `comps` starting at `at`.
pub(crate) fn run_at<A: AsRef<[u8]>>(comps: &[&[u8]], at: usize, run: &[A], ci: bool) -> bool {
    at + run.len() <= comps.len()
        && run
            .iter()
            .zip(&comps[at..])
            .all(|(r, c)| same(r.as_ref(), c, ci))
}

/// Every place where `run` occurs as a contiguous run of `comps`.
pub(crate) fn run_positions<'a, A: AsRef<[u8]>>(
    comps: &'a [&'a [u8]],
    run: &'a [A],
    ci: bool,
) -> impl Iterator<Item = usize> + 'a {
    let last = comps.len().checked_sub(run.len());
    (0..last.map_or(0, |l| l + 1)).filter(move |&at| run_at(comps, at, run, ci))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comps(text: &str) -> Vec<String> {
        Folder::parse(text).comps
    }

    #[test]
    fn windows_forms_lose_the_drive_and_keep_the_folders() {
        let want = vec!["inetpub".to_owned(), "wwwroot".to_owned()];
        assert_eq!(comps(r"%SystemDrive%\inetpub\wwwroot"), want);
        assert_eq!(comps(r"C:\inetpub\wwwroot\"), want);
        assert_eq!(comps(r"c:/inetpub/wwwroot"), want);
        assert_eq!(comps(r"\\?\C:\inetpub\wwwroot"), want);
        assert_eq!(comps(r"C:\inetpub\other\..\.\wwwroot"), want);
        assert_eq!(comps(r"\\fileserver\inetpub\wwwroot"), want);
        assert!(Folder::parse(r"C:\inetpub").windows);
        assert!(!Folder::parse("/var/www").windows);
    }

    #[test]
    fn known_variables_expand_and_unknown_ones_drop() {
        assert_eq!(
            comps(r"%windir%\Microsoft.NET\Framework64"),
            ["Windows", "Microsoft.NET", "Framework64"]
        );
        assert_eq!(
            comps(r"%CommonProgramFiles%\Microsoft Shared\Web Server Extensions\16"),
            [
                "Program Files",
                "Common Files",
                "Microsoft Shared",
                "Web Server Extensions",
                "16"
            ]
        );
        assert_eq!(comps(r"%SITES%\a"), ["a"]);
        assert_eq!(comps(r"%HOMEDRIVE%%HOMEPATH%\b"), ["b"]);
    }

    #[test]
    fn posix_forms_resolve_dots() {
        assert_eq!(comps("/var/www/html/"), ["var", "www", "html"]);
        assert_eq!(comps("/var/www/../www/./html"), ["var", "www", "html"]);
        assert_eq!(comps("/../.."), Vec::<String>::new());
        assert_eq!(comps("html"), ["html"]);
    }

    #[test]
    fn url_segments_apply_dot_dot_and_stop_at_the_root() {
        assert_eq!(url_segments("/a/./b//c/", false), ["a", "b", "c"]);
        assert_eq!(url_segments("/a/../../x.php", false), ["x.php"]);
        assert_eq!(url_segments(r"/a\b.aspx", false), [r"a\b.aspx"]);
        assert_eq!(url_segments(r"/a\b.aspx", true), ["a", "b.aspx"]);
    }

    #[test]
    fn comparison_folds_case_only_when_asked() {
        assert!(same(b"LAYOUTS", b"layouts", true));
        assert!(!same(b"LAYOUTS", b"layouts", false));
        assert!(same("ÄRZTE".as_bytes(), "ärzte".as_bytes(), true));
        assert!(!same(b"wwwroot2", b"wwwroot", true));
        assert!(!same(b"\xff", b"\xfe", true));
    }

    #[test]
    fn runs_are_found_anywhere_but_whole() {
        let file: Vec<&[u8]> = vec![b"mnt", b"ev", b"inetpub", b"wwwroot", b"x.aspx"];
        let run = ["inetpub", "wwwroot"];
        assert_eq!(run_positions(&file, &run, false).collect::<Vec<_>>(), [2]);
        let short = ["inetpub", "wwwroot2"];
        assert_eq!(run_positions(&file, &short, false).count(), 0);
        let long = ["a", "b", "c", "d", "e", "f"];
        assert_eq!(run_positions(&file, &long, false).count(), 0);
    }
}
