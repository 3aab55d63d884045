//! Parallel traversal of the paths to scan.
//!
//! Every filter a source-code searcher would apply (hidden files, .gitignore, .ignore) is off:
//! attackers hide webshells exactly there. Symlinks are not followed unless asked; what is
//! passed over is reported to the visitor with a reason, never dropped.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
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
    /// Several sets when the globs are too many for one (see [`glob_sets`]).
    names: Vec<GlobSet>,
    paths: Vec<GlobSet>,
    patterns: Vec<String>,
}

/// Globs compiled in one set at most; more are split over several sets.
const GLOBS_PER_SET: usize = 1024;

/// Compiles `globs` into as few sets as the regex size limit allows. One set of thousands of
/// globs with `{a,b}` alternatives or classes fails to build ("error building NFA"; 20,000
/// `*.{php,bak,old}N*` globs did), so they go in chunks, and a chunk that still fails is
/// halved until it builds. Matching then asks each set in turn: literal names and
/// extensions are hash look-ups within a set, so a long list of plain names stays cheap.
fn glob_sets(globs: &[Glob]) -> Result<Vec<GlobSet>, globset::Error> {
    fn build(globs: &[Glob], out: &mut Vec<GlobSet>) -> Result<(), globset::Error> {
        let mut b = GlobSetBuilder::new();
        for g in globs {
            b.add(g.clone());
        }
        match b.build() {
            Ok(set) => {
                out.push(set);
                Ok(())
            }
            Err(_) if globs.len() > 1 => {
                let (a, b) = globs.split_at(globs.len() / 2);
                build(a, out)?;
                build(b, out)
            }
            Err(e) => Err(e),
        }
    }
    let mut out = Vec::new();
    for chunk in globs.chunks(GLOBS_PER_SET) {
        build(chunk, &mut out)?;
    }
    Ok(out)
}

impl Excludes {
    pub fn new(patterns: &[String]) -> Result<Excludes, globset::Error> {
        let mut names = Vec::new();
        let mut paths = Vec::new();
        for p in patterns {
            let glob = GlobBuilder::new(p)
                .literal_separator(true)
                .backslash_escape(false)
                .case_insensitive(cfg!(windows))
                .build()?;
            if p.contains('/') || p.contains('\\') {
                paths.push(glob);
            } else {
                names.push(glob);
            }
        }
        Ok(Excludes {
            names: glob_sets(&names)?,
            paths: glob_sets(&paths)?,
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
            .is_some_and(|n| self.names.iter().any(|s| s.is_match(Path::new(n))));
        if name_hit || self.paths.is_empty() {
            return name_hit;
        }
        let whole = path.to_string_lossy().replace('\\', "/");
        self.paths.iter().any(|s| s.is_match(&whole))
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

    /// 20,000 globs with alternatives are too many for one set's NFA; they are split.
    #[test]
    fn twenty_thousand_globs_with_alternatives_build_and_match() {
        let mut globs: Vec<String> = (0..20_000)
            .map(|i| format!("*.{{php,bak,old}}{i}*"))
            .collect();
        globs.extend((0..20_000).map(|i| format!("/srv/{{a,b}}/c{i}/**")));
        globs.push("keep-out.php".into());
        let ex = Excludes::new(&globs).expect("builds");
        assert!(ex.names.len() > 1, "split over several sets");
        assert!(ex.matches(Path::new("/w/x.bak19999.txt")));
        assert!(ex.matches(Path::new("/w/y.old0")));
        assert!(ex.matches(Path::new("/w/keep-out.php")));
        assert!(ex.matches(Path::new("/srv/b/c12345/d/e.php")));
        assert!(!ex.matches(Path::new("/w/x.php")));
        assert!(!ex.matches(Path::new("/w/x.txt20000")));
        assert!(!ex.matches(Path::new("/srv/c/c1/e.php")));
        // A bad glob is still an error.
        assert!(Excludes::new(&["a[".into()]).is_err());
    }
}
