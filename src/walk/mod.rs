//! Parallel traversal of the paths to scan.
//!
//! Every filter a source-code searcher would apply (hidden files, .gitignore, .ignore) is off:
//! attackers hide webshells exactly there. Symlinks are not followed unless asked; what is
//! passed over is reported to the visitor with a reason, never dropped.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ignore::{WalkBuilder, WalkState};

/// Why an entry was passed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    /// Matched an `--exclude` glob (a folder counts once, its contents are not visited).
    Excluded,
    /// A symlink, not followed (`--follow-symlinks` is off).
    Symlink,
    /// A followed symlink that leads back into one of its ancestors.
    SymlinkLoop,
    /// A followed symlink whose target does not exist.
    DanglingSymlink,
    /// A FIFO, socket or device: reading it could block or have side effects.
    Special,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Excluded => "excluded",
            SkipReason::Symlink => "symlink",
            SkipReason::SymlinkLoop => "symlink_loop",
            SkipReason::DanglingSymlink => "dangling_symlink",
            SkipReason::Special => "special_file",
        }
    }
}

/// What the walk hands to a visitor.
#[derive(Debug)]
pub enum Entry<'a> {
    File(&'a Path),
    Skipped(&'a Path, SkipReason),
    /// Something could not be walked (a folder that cannot be listed, a missing root, ...).
    Error(Option<&'a Path>, String),
}

/// Whether the walk should go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// `--exclude` globs. A glob without `/` matches a file or folder name anywhere; a glob with
/// `/` matches the whole path (`/` and `\` both count as separators).
#[derive(Clone, Debug)]
pub struct Excludes {
    names: GlobSet,
    paths: GlobSet,
    patterns: Vec<String>,
}

impl Excludes {
    pub fn new(patterns: &[String]) -> Result<Excludes, globset::Error> {
        let mut names = GlobSetBuilder::new();
        let mut paths = GlobSetBuilder::new();
        for p in patterns {
            let glob = GlobBuilder::new(p)
                .literal_separator(true)
                .backslash_escape(false)
                .case_insensitive(cfg!(windows))
                .build()?;
            if p.contains('/') || p.contains('\\') {
                paths.add(glob);
            } else {
                names.add(glob);
            }
        }
        Ok(Excludes {
            names: names.build()?,
            paths: paths.build()?,
            patterns: patterns.to_vec(),
        })
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    pub fn matches(&self, path: &Path) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        let name_hit = path
            .file_name()
            .is_some_and(|n| self.names.is_match(Path::new(n)));
        name_hit
            || (!self.paths.is_empty()
                && self
                    .paths
                    .is_match(path.to_string_lossy().replace('\\', "/")))
    }
}

/// How to walk.
#[derive(Clone, Debug)]
pub struct WalkConfig {
    pub follow_symlinks: bool,
    /// 0 picks the number of CPUs.
    pub threads: usize,
    pub excludes: Excludes,
}

/// Walks `roots` on `config.threads` threads. `make_visitor` is called once per thread, so
/// each visitor owns its thread's scratch state.
pub fn walk<F, V>(roots: &[PathBuf], config: &WalkConfig, make_visitor: F)
where
    F: Fn() -> V + Sync,
    V: FnMut(Entry<'_>) -> Flow + Send + 'static,
{
    let Some((first, rest)) = roots.split_first() else {
        return;
    };
    let mut builder = WalkBuilder::new(first);
    for r in rest {
        builder.add(r);
    }
    builder
        .standard_filters(false)
        .hidden(false)
        .parents(false)
        .ignore(false)
        .git_ignore(false)
        .git_global(false)
        .git_exclude(false)
        .require_git(false)
        .follow_links(config.follow_symlinks)
        .skip_stdout(false)
        .threads(config.threads);
    let excludes = &config.excludes;
    let follow = config.follow_symlinks;
    builder.build_parallel().run(|| {
        let mut visit = make_visitor();
        Box::new(move |result| {
            let flow = match result {
                Ok(entry) => {
                    let path = entry.path();
                    // Roots are scanned even when they match an exclude: they were named.
                    if entry.depth() > 0 && excludes.matches(path) {
                        let flow = visit(Entry::Skipped(path, SkipReason::Excluded));
                        return match flow {
                            Flow::Quit => WalkState::Quit,
                            Flow::Continue => WalkState::Skip,
                        };
                    }
                    match entry.file_type() {
                        Some(t) if t.is_dir() => Flow::Continue,
                        Some(t) if t.is_file() => visit(Entry::File(path)),
                        Some(t) if t.is_symlink() => {
                            visit(Entry::Skipped(path, SkipReason::Symlink))
                        }
                        _ => visit(Entry::Skipped(path, SkipReason::Special)),
                    }
                }
                Err(err) => match classify(&err, follow) {
                    Problem::Skip(path, reason) => visit(Entry::Skipped(&path, reason)),
                    Problem::Error(path, message) => visit(Entry::Error(path.as_deref(), message)),
                },
            };
            match flow {
                Flow::Continue => WalkState::Continue,
                Flow::Quit => WalkState::Quit,
            }
        })
    });
}

enum Problem {
    Skip(PathBuf, SkipReason),
    Error(Option<PathBuf>, String),
}

/// Sorts a walk error into a reported skip (loops, dangling links) or a real error.
fn classify(err: &ignore::Error, follow: bool) -> Problem {
    let mut path: Option<PathBuf> = None;
    let mut e = err;
    loop {
        match e {
            ignore::Error::WithPath { path: p, err } => {
                path.get_or_insert_with(|| p.clone());
                e = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                e = err
            }
            ignore::Error::Loop { child, .. } => {
                return Problem::Skip(child.clone(), SkipReason::SymlinkLoop);
            }
            ignore::Error::Io(io) => {
                if let Some(p) = &path {
                    let is_link =
                        std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
                    if follow && is_link && io.kind() == std::io::ErrorKind::NotFound {
                        return Problem::Skip(p.clone(), SkipReason::DanglingSymlink);
                    }
                }
                return Problem::Error(path, io.to_string());
            }
            other => return Problem::Error(path, other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excludes_match_names_anywhere_and_paths_whole() {
        let ex = Excludes::new(&[
            "*.log".into(),
            "node_modules".into(),
            "/srv/www/cache/**".into(),
        ])
        .unwrap();
        assert!(ex.matches(Path::new("/var/log/a.log")));
        assert!(ex.matches(Path::new("site/node_modules")));
        assert!(ex.matches(Path::new("/srv/www/cache/x/y.php")));
        assert!(!ex.matches(Path::new("/srv/www/html/cache.php")));
        assert!(!ex.matches(Path::new("/var/log/a.log.php")));
    }
}
