//! `shellsweep rules list` and `shellsweep rules check`.

use std::io::Write;
use std::path::PathBuf;

use super::args::RuleSource;
use super::{Status, load_engine, print_diagnostics};
use crate::engine::Engine;
use crate::output::for_terminal;
use crate::rules::{Level, Loader};

pub(crate) fn list(source: &RuleSource) -> anyhow::Result<Status> {
    let Some((engine, _)) = load_engine(source, false)? else {
        return Ok(Status::Trouble);
    };
    let rules = engine.rules();
    let id_width = rules.iter().map(|r| r.id.len()).max().unwrap_or(2);
    let mut out = std::io::stdout().lock();
    let mut lines = String::new();
    for r in rules {
        lines.push_str(&format!(
            "{:<id_width$}  {:<8}  {:<4}  {}\n",
            for_terminal(r.id.as_bytes()),
            r.severity.as_str(),
            r.scope.as_str(),
            for_terminal(r.name.as_bytes())
        ));
    }
    match out.write_all(lines.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(Status::Clean),
    }
}

/// Checks rule files as a scan would load them, plus the engine's slow-pattern warnings.
/// Files are loaded after the bundled rules, as `scan --rules` loads them, so an id that
/// repeats a bundled one fails here and not first in a scan; only the files' own
/// diagnostics are shown.
pub(crate) fn check(paths: &[PathBuf], no_bundled_rules: bool) -> anyhow::Result<Status> {
    let mut loader = Loader::new();
    if paths.is_empty() || !no_bundled_rules {
        loader.add_bundled();
    }
    let bundled = if paths.is_empty() {
        0
    } else {
        loader.rules().len()
    };
    for p in paths {
        loader.add_path(p);
    }
    let mut diagnostics = loader.diagnostics().to_vec();
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let rule_count = loader.rules().len() - bundled;
    if errors == 0 {
        match Engine::new(loader.rules().to_vec()) {
            Ok(engine) => {
                for rule in engine.ungated_log_rules() {
                    // Rules carry no position of their own: point at their first selection.
                    let pos = rule
                        .selections
                        .first()
                        .map(|s| s.pos)
                        .or(rule.patterns.first().map(|p| p.pos))
                        .unwrap_or_default();
                    diagnostics.push(loader.diagnostic(
                        &rule.source,
                        pos,
                        Level::Warning,
                        format!(
                            "rule {}: the condition can hold for a log line that holds none of the rule's literals (a `not`, a `null`, `exists` or `cidr` test, or a regex without a literal), so every line of every log is parsed while it is loaded (slow; see docs/RULES.md)",
                            rule.id
                        ),
                    ));
                }
                for slow in engine.slow_patterns() {
                    diagnostics.push(loader.diagnostic(
                        &slow.source,
                        slow.pos,
                        Level::Warning,
                        format!(
                            "rule {}, pattern `{}`: the regex has no literal of 3 or more bytes that every match contains, so it runs over every file the rule applies to (slow)",
                            slow.rule, slow.pattern
                        ),
                    ));
                }
            }
            Err(e) => {
                eprintln!("shellsweep: {e}");
                return Ok(Status::Trouble);
            }
        }
    }
    if bundled > 0 {
        // The bundled set's own warnings belong to its check, not to the user's files.
        diagnostics.retain(|d| !d.file.starts_with("bundled:"));
    }
    print_diagnostics(&diagnostics);
    if diagnostics
        .iter()
        .any(|d| d.is_error() && d.message.contains("first defined in bundled:"))
    {
        eprintln!(
            "shellsweep: rules meant to replace the bundled set are checked (and scanned) with --no-bundled-rules"
        );
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    eprintln!("shellsweep: {rule_count} rules checked, {errors} errors, {warnings} warnings");
    Ok(if errors > 0 {
        Status::Trouble
    } else {
        Status::Clean
    })
}
