//! Rule files: the model, loading with file:line:col diagnostics, and the bundled set.

mod codes;
mod condition;
mod load;
mod model;
mod ordered;
mod regex_size;
mod selection;
mod sigma;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::common::diag;
pub use crate::common::diag::{Diagnostic, Pos};
pub use codes::Code;
pub(crate) use codes::Report;
pub use condition::{Cmp, Expr, Facts, Quantity, Stat};
pub use model::{FieldName, FieldOp, FieldTest, Pattern, PatternKind, Rule, Scope, Selection};
pub(crate) use ordered::{map_ordered, threads as startup_threads};

include!(concat!(env!("OUT_DIR"), "/bundled_rules.rs"));

/// Why a regex that loads is still large enough to be slow (see docs/RULES.md, "Regex
/// size"); `rules check` shows it as a warning.
pub fn regex_size_warning(src: &str) -> Option<String> {
    match regex_size::judge(src) {
        regex_size::Verdict::Slow(message, _) => Some(message),
        _ => None,
    }
}

/// The rule files failed to load; each diagnostic says where and why.
#[derive(Debug, thiserror::Error)]
#[error("{} error(s) in rule files", .0.iter().filter(|d| d.is_error()).count())]
pub struct RuleError(pub Vec<Diagnostic>);

/// Gathers rules from several files, checking ids are unique across all of them.
#[derive(Default)]
pub struct Loader {
    rules: Vec<Rule>,
    /// Each rule id loaded so far and its rule's index: kept, not rebuilt per file, since
    /// a Sigma folder is hundreds of one-rule files.
    ids: HashMap<String, usize>,
    diagnostics: Vec<Diagnostic>,
    /// Source texts by file label, so later stages can point into them.
    sources: HashMap<Arc<str>, Arc<str>>,
    /// Files read from disk, so the scanner can leave them out of a scan.
    files: Vec<PathBuf>,
    sigma: SigmaCounts,
}

/// What became of the Sigma rule files given with `--sigma`: every file is counted once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SigmaCounts {
    pub loaded: usize,
    /// Rules for other log sources, by logsource (`category: proxy`, ...).
    pub not_applicable: Vec<(String, usize)>,
    /// Rules refused with an `SSW-W006` warning.
    pub refused: usize,
    /// Files with errors (not Sigma rules, or broken ones).
    pub invalid: usize,
}

impl SigmaCounts {
    pub fn not_applicable_total(&self) -> usize {
        self.not_applicable.iter().map(|(_, n)| n).sum()
    }
}

impl Loader {
    /// A loader with no rules yet.
    pub fn new() -> Loader {
        Loader::default()
    }

    /// The texts of the bundled rule files.
    pub fn bundled_texts() -> impl Iterator<Item = &'static str> {
        BUNDLED.iter().map(|(_, text)| *text)
    }

    /// Adds the rules compiled into the binary.
    pub fn add_bundled(&mut self) {
        // Parsing the YAML is most of it: the files are parsed on a few threads, then
        // accepted in order, so ids and diagnostics come out as if one by one.
        let jobs: Vec<(String, &str)> = BUNDLED
            .iter()
            .map(|(path, text)| (format!("bundled:{path}"), *text))
            .collect();
        let parsed = map_ordered(&jobs, startup_threads(), |(label, text)| {
            parse_text(label, text, true)
        });
        for (job, parsed) in jobs.iter().zip(parsed) {
            // A thread that panicked: parsing again here shows the panic as it is.
            let (sink, source, rules) = parsed.unwrap_or_else(|| parse_text(&job.0, job.1, true));
            self.accept(sink, source, job.1, rules);
        }
    }

    /// Adds a rule file, or every `*.yml`/`*.yaml` file below a folder.
    pub fn add_path(&mut self, path: &Path) {
        self.add_path_as(path, false);
    }

    /// Adds a Sigma rule file, or every `*.yml`/`*.yaml` file below a folder. Rules for
    /// web-server logs are loaded as log rules; the others are counted (see
    /// [`Loader::sigma_counts`]).
    pub fn add_sigma_path(&mut self, path: &Path) {
        self.add_path_as(path, true);
    }

    fn add_path_as(&mut self, path: &Path, sigma: bool) {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = walk_rule_files(path, &mut self.diagnostics);
            found.sort();
            if found.is_empty() {
                self.diagnostics.push(file_diagnostic(
                    path,
                    Code::NoRuleFiles,
                    "no *.yml or *.yaml rule files in this folder".into(),
                ));
            }
            for file in found {
                self.add_file_as(&file, sigma);
            }
        } else {
            self.add_file_as(path, sigma);
        }
    }

    /// What the Sigma files added so far became.
    pub fn sigma_counts(&self) -> &SigmaCounts {
        &self.sigma
    }

    /// Adds one Sigma rule from a text; `label` names it in diagnostics.
    pub fn add_sigma_text(&mut self, label: &str, text: &str) {
        let source: Arc<str> = Arc::from(label);
        let stem = Path::new(label)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut sink = diag::Sink::new(label, text);
        let rules = match sigma::load_text(&mut sink, &source, &stem, text) {
            sigma::Outcome::Loaded(rule) => {
                self.sigma.loaded += 1;
                vec![*rule]
            }
            sigma::Outcome::NotApplicable(logsource) => {
                match self
                    .sigma
                    .not_applicable
                    .iter_mut()
                    .find(|(l, _)| *l == logsource)
                {
                    Some((_, n)) => *n += 1,
                    None => self.sigma.not_applicable.push((logsource, 1)),
                }
                Vec::new()
            }
            sigma::Outcome::Refused => {
                self.sigma.refused += 1;
                Vec::new()
            }
            sigma::Outcome::Invalid => {
                self.sigma.invalid += 1;
                Vec::new()
            }
        };
        self.accept(sink, source, text, rules);
    }

    /// Adds one file, as a Sigma rule or as ours; a file that cannot be read is a
    /// diagnostic, so the rest still load.
    fn add_file_as(&mut self, path: &Path, sigma: bool) {
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => {
                    self.files.push(path.to_path_buf());
                    let label = file_label(path);
                    if sigma {
                        self.add_sigma_text(&label, &text);
                    } else {
                        self.add_text(&label, &text);
                    }
                }
                Err(e) => self.diagnostics.push(file_diagnostic(
                    path,
                    Code::NotUtf8,
                    format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
                )),
            },
            Err(e) => {
                self.diagnostics
                    .push(file_diagnostic(path, Code::Unreadable, e.to_string()));
            }
        }
    }

    /// Adds rules from a text; `label` names it in diagnostics.
    pub fn add_text(&mut self, label: &str, text: &str) {
        self.add_text_as(label, text, false);
    }

    /// `trusted`: a bundled file (see `diag::Sink::is_trusted`).
    fn add_text_as(&mut self, label: &str, text: &str, trusted: bool) {
        let (sink, source, rules) = parse_text(label, text, trusted);
        self.accept(sink, source, text, rules);
    }

    /// Takes the rules of one text, refusing ids that are already loaded.
    fn accept(&mut self, mut sink: diag::Sink<'_>, source: Arc<str>, text: &str, rules: Vec<Rule>) {
        // How many rules of this text had each id so far: a duplicate within the text is
        // pointed at where it stands, not at its first definition.
        let mut in_text: HashMap<String, usize> = HashMap::new();
        for rule in rules {
            let nth = in_text.entry(rule.id.clone()).or_default();
            let at = *nth;
            *nth += 1;
            if let Some(&first) = self.ids.get(&rule.id) {
                let pos = id_position(text, &rule.id, at);
                sink.report_code(
                    Code::DuplicateRuleId,
                    pos,
                    format!(
                        "duplicate rule id `{}` (first defined in {})",
                        rule.id, self.rules[first].source
                    ),
                );
                continue;
            }
            self.ids.insert(rule.id.clone(), self.rules.len());
            self.rules.push(rule);
        }
        self.diagnostics.extend(sink.diagnostics);
        self.sources.insert(source, Arc::from(text));
    }

    /// The problems found so far, in the order found.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The rules loaded so far.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule files read from disk, so that a scan can leave them out.
    pub fn rule_files(&self) -> &[PathBuf] {
        &self.files
    }

    /// A diagnostic pointing into a loaded source, for problems found after loading (for
    /// example by the engine compiler).
    pub fn diagnostic(&self, source: &str, pos: Pos, code: Code, message: String) -> Diagnostic {
        let text = self.sources.get(source).map(|t| &**t).unwrap_or("");
        let mut sink = diag::Sink::new(source, text);
        sink.report_code(code, pos, message);
        sink.diagnostics.pop().expect("one diagnostic")
    }

    /// The rules, or every diagnostic when any of them is an error.
    pub fn finish(self) -> Result<(Vec<Rule>, Vec<Diagnostic>), RuleError> {
        if self.diagnostics.iter().any(Diagnostic::is_error) {
            Err(RuleError(self.diagnostics))
        } else {
            Ok((self.rules, self.diagnostics))
        }
    }
}

fn file_diagnostic(path: &Path, code: Code, message: String) -> Diagnostic {
    Diagnostic {
        level: code.level(),
        code: Some(code.as_str()),
        file: path.display().to_string(),
        pos: Pos::new(1, 1),
        message,
        source_line: None,
    }
}

/// Every `*.yml`/`*.yaml` file below `dir`, hidden ones included; symlinked folders are not
/// entered (a link loop cannot hang the loader), symlinked files are read.
fn walk_rule_files(dir: &Path, diagnostics: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let walk = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .follow_links(false)
        .build();
    for result in walk {
        match result {
            Ok(entry) => {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                let p = entry.into_path();
                if !is_dir && matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"))
                {
                    out.push(p);
                }
            }
            Err(err) => {
                let (path, message) = walk_error(&err);
                diagnostics.push(file_diagnostic(
                    path.unwrap_or(dir),
                    Code::Unreadable,
                    message,
                ));
            }
        }
    }
    out
}

/// The folder and the plain I/O message of a walk error, worded as `read_dir` words it.
fn walk_error(err: &ignore::Error) -> (Option<&Path>, String) {
    let mut path = None;
    let mut e = err;
    loop {
        match e {
            ignore::Error::WithPath { path: p, err } => {
                path.get_or_insert(p.as_path());
                e = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                e = err;
            }
            ignore::Error::Io(io) => return (path, io.to_string()),
            other => return (path, other.to_string()),
        }
    }
}

/// Where the `nth` (from 0) `id: <id>` stands in a text, for duplicate-id errors (found
/// after parsing).
fn id_position(text: &str, id: &str, nth: usize) -> Pos {
    let mut seen = 0;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start().trim_start_matches("- ");
        if let Some(rest) = trimmed.strip_prefix("id:")
            && rest.trim().trim_matches(['"', '\'']) == id
        {
            if seen < nth {
                seen += 1;
                continue;
            }
            let col = line.find(id).unwrap_or(0) + 1;
            return Pos::new(i + 1, col);
        }
    }
    Pos::new(1, 1)
}

/// One rule file's text loaded on its own, before [`Loader::accept`] checks its ids against
/// the others. `trusted`: a bundled file (see `diag::Sink::is_trusted`).
fn parse_text<'a>(
    label: &'a str,
    text: &'a str,
    trusted: bool,
) -> (diag::Sink<'a>, Arc<str>, Vec<Rule>) {
    let source: Arc<str> = Arc::from(label);
    let stem = Path::new(label.trim_start_matches("bundled:"))
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut sink = diag::Sink::new(label, text);
    if trusted {
        sink = sink.trusted();
    }
    let rules = load::load_text(&mut sink, &source, &stem, text);
    (sink, source, rules)
}

/// How a rule file read from disk is named as a rule's source: its path, never in the
/// `bundled:` form that marks the rules built into the binary (a file a user named
/// `bundled:x.yml` is `./bundled:x.yml`).
fn file_label(path: &Path) -> String {
    let label = path.display().to_string();
    if label.starts_with("bundled:") {
        format!("./{label}")
    } else {
        label
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_rules_load_without_errors() {
        // As a user's files, every check runs (regexes included); bundled, they are trusted.
        let mut as_user = Loader::new();
        for (path, text) in BUNDLED {
            as_user.add_text(path, text);
        }
        let mut bundled = Loader::new();
        bundled.add_bundled();
        for l in [as_user, bundled] {
            let errors: Vec<String> = l
                .diagnostics()
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.to_string())
                .collect();
            assert!(errors.is_empty(), "{}", errors.join("\n"));
            assert!(!l.rules().is_empty());
        }
    }

    #[test]
    fn only_the_built_in_files_are_bundled() {
        assert_eq!(file_label(Path::new("bundled:x.yml")), "./bundled:x.yml");
        assert_eq!(
            file_label(Path::new("/r/bundled:x.yml")),
            "/r/bundled:x.yml"
        );
        let mut l = Loader::new();
        l.add_bundled();
        assert!(l.rules().iter().all(|r| r.source.starts_with("bundled:")));
    }

    #[test]
    fn duplicate_ids_across_files_are_errors() {
        let text = "rules:\n  - id: dup\n    name: n\n    severity: low\n    patterns: {a: b}\n";
        let mut l = Loader::new();
        l.add_text("one.yml", text);
        l.add_text("two.yml", text);
        let d = &l.diagnostics()[0];
        assert_eq!(d.file, "two.yml");
        assert_eq!(d.pos, Pos::new(2, 9));
        assert!(d.message.contains("one.yml"));
        assert_eq!(l.rules().len(), 1);
    }

    #[test]
    fn folders_give_every_rule_file_below_them_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "b/x.yml",
            ".hidden/h.yaml",
            "a.yml",
            "b/c/y.yaml",
            "b/notes.txt",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "x").unwrap();
        }
        let mut diagnostics = Vec::new();
        let mut found = walk_rule_files(root, &mut diagnostics);
        found.sort();
        let rel: Vec<_> = found
            .iter()
            .map(|p| p.strip_prefix(root).unwrap())
            .collect();
        let want: Vec<&Path> = [".hidden/h.yaml", "a.yml", "b/c/y.yaml", "b/x.yml"]
            .into_iter()
            .map(Path::new)
            .collect();
        assert_eq!(rel, want);
        assert!(diagnostics.is_empty());
    }
}
