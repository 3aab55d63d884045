//! YARA rules (`--yara`) through yara-x, so that the rule sets responders already keep
//! (signature-base for Loki and THOR, a CERT's own `.yar` files) run beside the bundled
//! rules in the same pass, on the same buffer.
//!
//! Rules are compiled once per run. Each scanning thread keeps its own [`YaraScanner`]
//! because a yara-x scanner is not `Sync` and is costly to create. The externals that Loki
//! and THOR define are declared as empty strings when compiling and set for every file, so
//! their rules work unchanged.

#[cfg(feature = "yara")]
mod compiled;
mod scan;

pub(crate) use scan::{Externals, TimedOut, YaraHit, with_scanner};

use std::path::{Path, PathBuf};

use crate::common::diag::{Diagnostic, Pos, Sink};
use crate::common::severity::Severity;
use crate::finding::RuleInfo;
use crate::rules::{Code, Report};

/// The Loki/THOR externals, declared as empty strings; [`Externals`] gives their value
/// for each file.
#[cfg_attr(not(feature = "yara"), allow(dead_code))]
pub(crate) const EXTERNALS: [&str; 5] = ["filename", "filepath", "extension", "filetype", "owner"];

/// Rules compiled from the `--yara` files of a run.
#[cfg_attr(not(feature = "yara"), allow(dead_code))]
pub struct YaraRules {
    #[cfg(feature = "yara")]
    rules: yara_x::Rules,
    /// For each namespace (one per file, in load order): where its rules came from.
    rulesets: Vec<Ruleset>,
    /// Identifiers that more than one file defines: their findings' ids carry the file.
    shared: std::collections::HashSet<String>,
    /// `--yara-severity`: for rules whose meta gives neither `score` nor `severity`.
    default_severity: Severity,
    rule_count: usize,
}

impl std::fmt::Debug for YaraRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YaraRules")
            .field("rules", &self.rule_count)
            .field("files", &self.rulesets.len())
            .finish()
    }
}

/// What a file written by `shellsweep rules compile` starts with; the NUL keeps a YARA
/// source from starting the same way.
pub(crate) const COMPILED_MAGIC: &[u8; 8] = b"SSWYARA\0";

/// The file a yara-x namespace was compiled from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Ruleset {
    pub(crate) namespace: String,
    /// The file's name: findings' `rule.ruleset`.
    pub(crate) file: String,
    /// The path as it was given when compiling: `rules show` points there.
    pub(crate) path: String,
}

/// What loading `--yara` paths gave: the rules (none when any error was found), the files
/// read, and every diagnostic.
pub(crate) struct Loaded {
    pub(crate) rules: Option<YaraRules>,
    pub(crate) files: Vec<PathBuf>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) rule_count: usize,
}

impl YaraRules {
    pub(crate) fn rule_count(&self) -> usize {
        self.rule_count
    }
}

/// Whether a name is one of the YARA rule files a folder given to `--yara` holds.
fn is_yara_file(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yar") || e.eq_ignore_ascii_case("yara"))
}

/// The YARA files under `path` (itself if it is a file), sorted so that namespaces, and
/// so ids, do not depend on the order a directory lists.
fn yara_files(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut found = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let p = entry.path();
            // Links are followed only as far as `metadata` does; a loop ends in an error.
            match std::fs::metadata(&p) {
                Ok(m) if m.is_dir() => stack.push(p),
                Ok(_) if is_yara_file(&p) => found.push(p),
                _ => {}
            }
        }
    }
    found.sort();
    out.extend(found);
    Ok(())
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn pos_at(text: &str, offset: usize) -> Pos {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Pos::new(line, before[line_start..].chars().count() + 1)
}

/// Reads and compiles the `--yara` paths. Every problem is a diagnostic with its file,
/// line and column; the rules are given only when there is no error.
pub(crate) fn load(paths: &[PathBuf], default_severity: Severity) -> Loaded {
    let mut diagnostics = Vec::new();
    let mut sources: Vec<(PathBuf, String)> = Vec::new();
    for p in paths {
        let shown = p.display().to_string();
        let mut files = Vec::new();
        if let Err(e) = yara_files(p, &mut files) {
            let mut sink = Sink::new(&shown, "");
            sink.report_code(Code::Unreadable, Pos::new(1, 1), e.to_string());
            diagnostics.extend(sink.diagnostics);
            continue;
        }
        if files.is_empty() {
            let mut sink = Sink::new(&shown, "");
            sink.report_code(
                Code::NoYaraFiles,
                Pos::new(1, 1),
                "the folder holds no `*.yar` or `*.yara` file",
            );
            diagnostics.extend(sink.diagnostics);
        }
        for f in files {
            let shown = f.display().to_string();
            match std::fs::read(&f) {
                Err(e) => {
                    let mut sink = Sink::new(&shown, "");
                    sink.report_code(Code::Unreadable, Pos::new(1, 1), e.to_string());
                    diagnostics.extend(sink.diagnostics);
                }
                Ok(bytes) if bytes.starts_with(COMPILED_MAGIC) => {
                    let mut sink = Sink::new(&shown, "");
                    sink.report_code(
                        Code::YaraCompiledUnusable,
                        Pos::new(1, 1),
                        "this is a compiled rules file (from `shellsweep rules compile`): give it to --yara-compiled, not --yara",
                    );
                    diagnostics.extend(sink.diagnostics);
                }
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => sources.push((f, text)),
                    Err(e) => {
                        let valid = e.utf8_error().valid_up_to();
                        let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                        let mut sink = Sink::new(&shown, &text);
                        sink.report_code(
                            Code::NotUtf8,
                            pos_at(&text, valid),
                            "the YARA file is not UTF-8",
                        );
                        diagnostics.extend(sink.diagnostics);
                    }
                },
            }
        }
    }
    let files = sources.iter().map(|(p, _)| p.clone()).collect();
    let (rules, compile_diagnostics) = compile_on_a_large_stack(&sources, default_severity);
    diagnostics.extend(compile_diagnostics);
    let failed = diagnostics.iter().any(Diagnostic::is_error);
    let rule_count = rules.as_ref().map_or(0, |r| r.rule_count);
    Loaded {
        rules: rules.filter(|_| !failed),
        files,
        diagnostics,
        rule_count,
    }
}

/// yara-x's parser recurses once per nesting level of a condition, so a hostile rule file
/// (a few thousand `(`) overflows a normal thread's stack and aborts the process; on a
/// stack this large it takes tens of thousands, far past any real rule.
const COMPILE_STACK: usize = 256 << 20;

/// [`compile`] on a thread of its own with a [`COMPILE_STACK`] stack (only reserved, not
/// used, unless a rule nests that deep).
fn compile_on_a_large_stack(
    sources: &[(PathBuf, String)],
    default_severity: Severity,
) -> (Option<YaraRules>, Vec<Diagnostic>) {
    std::thread::scope(|s| {
        match std::thread::Builder::new()
            .name("yara-compile".into())
            .stack_size(COMPILE_STACK)
            .spawn_scoped(s, || compile(sources, default_severity))
        {
            Ok(worker) => worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: compile here, as before.
            Err(_) => compile(sources, default_severity),
        }
    })
}

/// A namespace for each file, from its stem, unique within the run.
fn namespaces(sources: &[(PathBuf, String)]) -> Vec<Ruleset> {
    let mut taken = std::collections::HashSet::new();
    sources
        .iter()
        .map(|(p, _)| {
            let file = p
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let stem: String = p
                .file_stem()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let mut ns = stem.clone();
            let mut n = 1;
            while !taken.insert(ns.clone()) {
                n += 1;
                ns = format!("{stem}_{n}");
            }
            Ruleset {
                namespace: ns,
                file,
                path: p.display().to_string(),
            }
        })
        .collect()
}

#[cfg(feature = "yara")]
fn compile(
    sources: &[(PathBuf, String)],
    default_severity: Severity,
) -> (Option<YaraRules>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut compiler = yara_x::Compiler::new();
    // Slow patterns and loops are said (warnings), not refused: the user chose the rules.
    compiler.max_warnings(100_000);
    for name in EXTERNALS {
        // Names fixed here, each defined once: this cannot fail.
        let _ = compiler.define_global(name, "");
    }
    let rulesets = namespaces(sources);
    for ((path, text), set) in sources.iter().zip(&rulesets) {
        let shown = path.display().to_string();
        compiler.new_namespace(&set.namespace);
        let (errors_before, warnings_before) = (compiler.errors().len(), compiler.warnings().len());
        let refused = compiler
            .add_source(yara_x::SourceCode::from(text.as_str()).with_origin(&shown))
            .err();
        let mut sink = Sink::new(&shown, text);
        // Some refusals (a condition nested past yara-x's limit) come back from
        // `add_source` without being kept among the compiler's errors.
        let unkept = refused.filter(|_| compiler.errors().len() == errors_before);
        for e in unkept.iter().chain(&compiler.errors()[errors_before..]) {
            let first = e
                .labels()
                .next()
                .map(|l| (l.span().start(), l.text().to_owned()));
            let (pos, label) = label_pos(text, first);
            sink.report_code(
                Code::YaraCompile,
                pos,
                describe(e.title(), e.code(), label.as_deref()),
            );
        }
        for w in &compiler.warnings()[warnings_before..] {
            let first = w
                .labels()
                .next()
                .map(|l| (l.span().start(), l.text().to_owned()));
            let offset = first.as_ref().map(|(o, _)| *o);
            let (pos, label) = label_pos(text, first);
            let mut message = describe(w.title(), w.code(), label.as_deref());
            // A slow rule is said by name, even where warnings are only counted.
            if is_slow(w.code())
                && let Some(rule) = offset.and_then(|o| rule_at(text, o))
            {
                message = format!("rule {rule}: {message}");
            }
            sink.report_code(Code::YaraWarning, pos, message);
        }
        diagnostics.extend(sink.diagnostics);
    }
    let rules = compiler.build();
    // yara-x drops a rule whose condition nests past what its parser takes, without an
    // error: a file that declares rules but gave none is said, never silently empty.
    for ((path, text), set) in sources.iter().zip(&rulesets) {
        let shown = path.display().to_string();
        let refused = diagnostics.iter().any(|d| d.is_error() && d.file == shown);
        let given = rules.iter().any(|r| r.namespace() == set.namespace);
        if !given && !refused && declares_rules(text) {
            let mut sink = Sink::new(&shown, text);
            sink.report_code(
                Code::YaraCompile,
                Pos::new(1, 1),
                "yara-x compiled no rule from this file, though it declares some (a condition nested deeper than yara-x parses?)",
            );
            diagnostics.extend(sink.diagnostics);
        }
    }
    (
        Some(YaraRules::new(rules, rulesets, default_severity)),
        diagnostics,
    )
}

/// Whether a line of `text`, comments left out, starts a rule declaration (`rule`,
/// `private rule`, `global rule`, in any order of the two modifiers). A file whose rules
/// are all commented out (signature-base's `apt_flame2_orchestrator.yar`) declares none.
#[cfg(feature = "yara")]
fn declares_rules(text: &str) -> bool {
    without_comments(text).lines().any(|line| {
        line.split_whitespace()
            .find(|w| *w != "private" && *w != "global")
            == Some("rule")
    })
}

/// `text` with its `/* */` and `//` comments blanked (line breaks kept), outside double
/// quoted strings and after no backslash (`\/*` in a regex is no comment).
#[cfg(any(feature = "yara", test))]
fn without_comments(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut i, mut start) = (0, 0);
    let mut in_string = false;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'"' => in_string = !in_string,
            b'\n' => in_string = false,
            b'/' if !in_string && matches!(b.get(i + 1), Some(b'*' | b'/')) => {
                out.push_str(&text[start..i]);
                let end = if b[i + 1] == b'*' {
                    text[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2)
                } else {
                    text[i..].find('\n').map_or(b.len(), |e| i + e)
                };
                out.extend(text[i..end].chars().filter(|&c| c == '\n'));
                i = end;
                start = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(text.get(start..).unwrap_or(""));
    out
}

#[cfg(feature = "yara")]
impl YaraRules {
    fn new(rules: yara_x::Rules, rulesets: Vec<Ruleset>, default_severity: Severity) -> Self {
        let mut seen = std::collections::HashMap::<String, usize>::new();
        for r in rules.iter() {
            *seen.entry(r.identifier().to_owned()).or_default() += 1;
        }
        let rule_count = seen.values().sum();
        let shared = seen
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(id, _)| id)
            .collect();
        YaraRules {
            rules,
            rulesets,
            shared,
            default_severity,
            rule_count,
        }
    }

    /// The bytes of a `--yara-compiled` file holding these rules.
    pub(crate) fn to_compiled(&self) -> Result<Vec<u8>, String> {
        compiled::encode(&self.rules, &self.rulesets).map_err(|e| e.to_string())
    }
}

#[cfg(not(feature = "yara"))]
impl YaraRules {
    pub(crate) fn to_compiled(&self) -> Result<Vec<u8>, String> {
        Err("this shellsweep was built without YARA support (cargo feature `yara`)".into())
    }
}

/// Writes a compiled file whole or not at all (a fleet reads it).
pub(crate) fn write_compiled(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::common::atomic::write_atomically(path, bytes)
}

/// Loads a file written by `shellsweep rules compile` (`--yara-compiled`). Anything that
/// keeps it from being used (unreadable, not such a file, damaged, written by another
/// yara-x) is one `SSW-E042` diagnostic.
pub(crate) fn load_compiled(
    path: &Path,
    default_severity: Severity,
) -> Result<YaraRules, Diagnostic> {
    let shown = path.display().to_string();
    let fail = |message: String| {
        let mut sink = Sink::new(&shown, "");
        sink.report_code(Code::YaraCompiledUnusable, Pos::new(1, 1), message);
        sink.diagnostics.remove(0)
    };
    #[cfg(feature = "yara")]
    {
        let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
        let (rules, rulesets) = compiled::decode(&bytes).map_err(|e| fail(e.to_string()))?;
        Ok(YaraRules::new(rules, rulesets, default_severity))
    }
    #[cfg(not(feature = "yara"))]
    {
        let _ = default_severity;
        Err(fail(
            "this shellsweep was built without YARA support (cargo feature `yara`)".into(),
        ))
    }
}

/// The yara-x warning codes that say a rule is slow.
#[cfg_attr(not(feature = "yara"), allow(dead_code))]
pub(crate) fn is_slow(yara_code: &str) -> bool {
    matches!(
        yara_code,
        "slow_pattern" | "potentially_slow_loop" | "too_many_iterations"
    )
}

/// The yara-x code a YARA diagnostic's message ends with (`... (yara-x slow_pattern)`).
pub(crate) fn yara_code(message: &str) -> Option<&str> {
    message
        .strip_suffix(')')?
        .rsplit_once("(yara-x ")
        .map(|(_, code)| code)
}

/// The rule whose text holds byte `offset` of a YARA source: the last `rule NAME` that
/// starts a line before it (with `private`/`global` in front).
#[cfg_attr(not(feature = "yara"), allow(dead_code))]
fn rule_at(text: &str, offset: usize) -> Option<&str> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    text[..offset].lines().rev().find_map(|line| {
        let mut rest = line.trim_start();
        while let Some(r) = rest
            .strip_prefix("private ")
            .or(rest.strip_prefix("global "))
        {
            rest = r.trim_start();
        }
        let name = rest.strip_prefix("rule")?;
        if !name.starts_with(char::is_whitespace) {
            return None;
        }
        let name = name.trim_start();
        let end = name
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(name.len());
        (end > 0).then(|| &name[..end])
    })
}

#[cfg(not(feature = "yara"))]
fn compile(
    sources: &[(PathBuf, String)],
    _default_severity: Severity,
) -> (Option<YaraRules>, Vec<Diagnostic>) {
    let diagnostics = sources
        .iter()
        .map(|(path, text)| {
            let shown = path.display().to_string();
            let mut sink = Sink::new(&shown, text);
            sink.report_code(
                Code::YaraCompile,
                Pos::new(1, 1),
                "this shellsweep was built without YARA support (cargo feature `yara`)",
            );
            sink.diagnostics.remove(0)
        })
        .collect();
    let _ = namespaces;
    (None, diagnostics)
}

/// Where a yara-x report points (its first label: byte offset and words).
#[cfg(feature = "yara")]
fn label_pos(text: &str, label: Option<(usize, String)>) -> (Pos, Option<String>) {
    match label {
        Some((start, words)) => (pos_at(text, start), Some(words).filter(|t| !t.is_empty())),
        None => (Pos::new(1, 1), None),
    }
}

/// yara-x's title and code (so its documentation can be looked up) and the label's words.
#[cfg_attr(not(feature = "yara"), allow(dead_code))]
fn describe(title: &str, code: &str, label: Option<&str>) -> String {
    match label {
        Some(l) if l != title => format!("{title}: {l} (yara-x {code})"),
        _ => format!("{title} (yara-x {code})"),
    }
}

/// A YARA rule as `rules list` and `rules show` print it.
#[derive(Debug)]
pub(crate) struct RuleView {
    pub(crate) info: RuleInfo,
    /// The file the rule was compiled from, as it was given.
    pub(crate) path: String,
    pub(crate) namespace: String,
    /// Every pattern (private ones too) and its kind.
    pub(crate) patterns: Vec<(String, &'static str)>,
    /// Every meta entry, in the rule's order.
    pub(crate) meta: Vec<(String, String)>,
}

impl YaraRules {
    /// Every rule, in compiling order (private and global ones too: they run).
    pub(crate) fn views(&self) -> Vec<RuleView> {
        #[cfg(feature = "yara")]
        {
            self.rules
                .iter()
                .map(|r| {
                    let ns = r.namespace();
                    RuleView {
                        info: self.rule_info(&r),
                        path: self
                            .rulesets
                            .iter()
                            .find(|s| s.namespace == ns)
                            .map_or_else(String::new, |s| s.path.clone()),
                        namespace: ns.to_owned(),
                        patterns: r
                            .patterns()
                            .include_private(true)
                            .map(|p| {
                                let kind = match p.kind() {
                                    yara_x::PatternKind::Text => "text",
                                    yara_x::PatternKind::Hex => "hex",
                                    yara_x::PatternKind::Regexp => "regex",
                                };
                                (p.identifier().to_owned(), kind)
                            })
                            .collect(),
                        meta: r
                            .metadata()
                            .map(|(k, v)| (k.to_owned(), meta_text(&v)))
                            .collect(),
                    }
                })
                .collect()
        }
        #[cfg(not(feature = "yara"))]
        Vec::new()
    }
}

/// A YARA meta value as text (numbers and booleans too), for the finding's fields.
#[cfg(feature = "yara")]
fn meta_text(v: &yara_x::MetaValue<'_>) -> String {
    match v {
        yara_x::MetaValue::Integer(i) => i.to_string(),
        yara_x::MetaValue::Float(f) => f.to_string(),
        yara_x::MetaValue::Bool(b) => b.to_string(),
        yara_x::MetaValue::String(s) => (*s).to_owned(),
        yara_x::MetaValue::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
    }
}

/// Severity and score from the meta: THOR/Loki's `score` (below 40 low, 40 medium, 60
/// high, 80 critical), else a `severity` word, else `default`.
#[cfg_attr(not(feature = "yara"), allow(dead_code))]
pub(crate) fn severity_of(
    score: Option<&str>,
    severity: Option<&str>,
    default: Severity,
) -> (Severity, u8) {
    if let Some(n) = score.and_then(|s| s.trim().parse::<i64>().ok()) {
        let n = n.clamp(1, 100) as u8;
        return (Severity::from_score(n.into()), n);
    }
    let word = severity.map(|s| s.trim().to_ascii_lowercase());
    let sev = match word.as_deref() {
        Some("info" | "informational") => Some(Severity::Low),
        Some(w) => Severity::parse(w),
        None => None,
    }
    .unwrap_or(default);
    (sev, sev.default_score())
}

#[cfg(feature = "yara")]
impl YaraRules {
    fn rule_info(&self, rule: &yara_x::Rule<'_, '_>) -> RuleInfo {
        let ident = rule.identifier();
        let ns = rule.namespace();
        let ruleset = self
            .rulesets
            .iter()
            .find(|r| r.namespace == ns)
            .map_or_else(|| ns.to_owned(), |r| r.file.clone());
        let id = if self.shared.contains(ident) {
            format!("{ns}.{ident}")
        } else {
            ident.to_owned()
        };
        let (mut description, mut author, mut references) =
            (String::new(), String::new(), Vec::new());
        let (mut score, mut severity) = (None, None);
        for (key, value) in rule.metadata() {
            let text = meta_text(&value);
            match key.to_ascii_lowercase().as_str() {
                "description" if description.is_empty() => description = text,
                "author" if author.is_empty() => author = text,
                "reference" | "references" | "url" => references.push(text),
                "score" => score = Some(text),
                "severity" => severity = Some(text),
                _ => {}
            }
        }
        let (severity, score) =
            severity_of(score.as_deref(), severity.as_deref(), self.default_severity);
        RuleInfo {
            id,
            name: ident.to_owned(),
            description,
            references,
            author,
            ruleset,
            tags: rule.tags().map(|t| t.identifier().to_owned()).collect(),
            severity,
            score,
            status: None,
            falsepositives: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commented_rules_are_not_declared() {
        let text = "/* Limited support\n/*\nrule A { condition: true }\n*/\n// rule B\nx = \"/* rule C\"\n";
        assert_eq!(without_comments(text), "\n\n\n\n\nx = \"/* rule C\"\n");
        // A regex's escaped slash opens no comment.
        assert_eq!(without_comments("a \\/* b */ c"), "a \\/* b */ c");
        #[cfg(feature = "yara")]
        {
            assert!(!declares_rules(text));
            assert!(declares_rules(
                "/* x */\nprivate rule A { condition: true }"
            ));
        }
    }

    #[test]
    fn severity_from_score_and_words() {
        let d = Severity::High;
        assert_eq!(severity_of(Some("39"), None, d), (Severity::Low, 39));
        assert_eq!(severity_of(Some("40"), None, d), (Severity::Medium, 40));
        assert_eq!(
            severity_of(Some("75"), Some("low"), d),
            (Severity::High, 75)
        );
        assert_eq!(severity_of(Some("80"), None, d), (Severity::Critical, 80));
        assert_eq!(severity_of(Some("250"), None, d), (Severity::Critical, 100));
        assert_eq!(severity_of(None, Some("Medium"), d), (Severity::Medium, 40));
        assert_eq!(
            severity_of(Some("x"), Some("nonsense"), d),
            (Severity::High, 60)
        );
        assert_eq!(severity_of(None, None, Severity::Low), (Severity::Low, 20));
    }

    #[test]
    fn externals_as_loki_gives_them() {
        let e = Externals::of(
            Path::new("/var/www/up/a.b.JPG"),
            b"MZ\x90\x00",
            "www".into(),
        );
        assert_eq!(e.filename, "a.b.JPG");
        assert_eq!(e.filepath, "/var/www/up");
        assert_eq!(e.extension, ".JPG");
        assert_eq!(e.filetype, "EXE");
        assert_eq!(e.owner, "www");
        assert_eq!(
            Externals::of(Path::new("x"), b"", String::new()).extension,
            ""
        );
    }

    #[test]
    fn positions_count_characters() {
        let t = "ab\ncé d\n";
        assert_eq!(pos_at(t, 0), Pos::new(1, 1));
        assert_eq!(pos_at(t, 3), Pos::new(2, 1));
        // `d` is after a two-byte character.
        assert_eq!(pos_at(t, 7), Pos::new(2, 4));
        assert_eq!(pos_at(t, 999), Pos::new(3, 1));
    }

    #[test]
    fn namespaces_are_unique() {
        let s = |p: &str| (PathBuf::from(p), String::new());
        let ns = namespaces(&[s("a/web-shells.yar"), s("b/web-shells.yar")]);
        assert_eq!(ns[0].namespace, "web_shells");
        assert_eq!(ns[0].file, "web-shells.yar");
        assert_eq!(ns[1].namespace, "web_shells_2");
        assert_eq!(ns[1].path, "b/web-shells.yar");
    }

    #[test]
    fn slow_warnings_name_their_rule() {
        let t = "rule a {\n condition: true\n}\nprivate global rule b_2 : tag\n{\n strings:\n  $x = /a.*b/\n";
        assert_eq!(rule_at(t, t.find("$x").unwrap()), Some("b_2"));
        assert_eq!(rule_at(t, t.find("true").unwrap()), Some("a"));
        assert_eq!(rule_at(t, 0), None);
        assert_eq!(
            yara_code("slow pattern (yara-x slow_pattern)"),
            Some("slow_pattern")
        );
        assert_eq!(yara_code("no code"), None);
    }
}
