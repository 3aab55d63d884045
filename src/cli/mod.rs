//! The command line: arguments, wiring and exit codes; nothing else.

mod args;
mod baseline_cmd;
mod generate_cmd;
mod ioc_cmd;
mod report_cmd;
mod rules_cmd;
mod scan_cmd;
mod signals;

use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;
use args::{BaselineCommand, Command, IocCommand, RuleSource, RulesCommand};

use crate::engine::Engine;
use crate::rules::{Diagnostic, Loader};

/// Exit status, as ClamAV and grep-like tools use them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Everything was scanned and nothing was found.
    Clean = 0,
    /// At least one finding.
    Found = 1,
    /// Nothing found but something could not be scanned, or a usage or rule error.
    Trouble = 2,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        ExitCode::from(s as u8)
    }
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Status::Trouble.into()
            } else {
                Status::Clean.into()
            };
        }
    };
    let status = match cli.command {
        Command::Scan(args) => scan_cmd::run(*args),
        Command::Rules(RulesCommand::List(source)) => rules_cmd::list(&source),
        Command::Rules(RulesCommand::Show { id, source }) => rules_cmd::show(&id, &source),
        Command::Rules(RulesCommand::Check {
            paths,
            sigma,
            no_bundled_rules,
            yara,
            yara_compiled,
        }) => rules_cmd::check(
            &paths,
            &sigma,
            no_bundled_rules,
            &yara,
            yara_compiled.as_deref(),
        ),
        Command::Rules(RulesCommand::Compile { yara, output }) => {
            rules_cmd::compile(&yara, &output)
        }
        Command::Ioc(IocCommand::Check { paths }) => ioc_cmd::check(&paths),
        Command::Baseline(BaselineCommand::Create {
            paths,
            output,
            exclude,
            follow_symlinks,
        }) => baseline_cmd::create(&paths, &output, &exclude, follow_symlinks),
        Command::Report(args) => report_cmd::run(&args),
        Command::Generate { what } => generate_cmd::run(what),
    };
    match status {
        Ok(s) => s.into(),
        Err(e) => {
            eprintln!(
                "shellsweep: {}",
                crate::output::for_terminal(error_text(&e).as_bytes())
            );
            Status::Trouble.into()
        }
    }
}

/// The error and its causes, each said once: an error that already quotes its cause (`PATH:
/// CAUSE`) does not get the cause appended again.
fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Loads and compiles the rules a command asked for. Diagnostics (warnings, or the errors
/// that stopped loading) are printed to stderr.
fn load_engine(source: &RuleSource, quiet: bool) -> anyhow::Result<Option<LoadedRules>> {
    load_engine_with(source, quiet, yara_given(source))
}

fn yara_given(source: &RuleSource) -> bool {
    !source.yara.is_empty() || source.yara_compiled.is_some()
}

/// Loads the YARA rules a command asked for (`--yara` sources or a `--yara-compiled` file).
/// Errors are printed in full; warnings in full only with `list_warnings` (`rules check`),
/// else counted by kind, the slow ones named (signature-base alone gives hundreds).
/// `Ok(None)`: no YARA rules were asked for; `Err(())`: errors were printed, exit 2.
/// With the rules come the files they were read from (they decide findings: the state's
/// ruleset hash reads them).
fn load_yara(
    source: &RuleSource,
    quiet: bool,
    list_warnings: bool,
) -> Result<Option<(crate::yara::YaraRules, Vec<std::path::PathBuf>)>, ()> {
    let severity = source.yara_severity.into();
    if let Some(path) = &source.yara_compiled {
        return match crate::yara::load_compiled(path, severity) {
            Ok(rules) => Ok(Some((rules, vec![path.clone()]))),
            Err(d) => {
                eprintln!("{d}");
                Err(())
            }
        };
    }
    if source.yara.is_empty() {
        return Ok(None);
    }
    let loaded = crate::yara::load(&source.yara, severity);
    report_yara(&loaded.diagnostics, quiet, list_warnings);
    match loaded.rules {
        Some(rules) => Ok(Some((rules, loaded.files))),
        None => {
            let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
            eprintln!(
                "shellsweep: {errors} error(s) in the YARA rules; `shellsweep rules check --yara PATH` shows them"
            );
            Err(())
        }
    }
}

/// Prints YARA diagnostics: errors in full; warnings in full or as one line of counts per
/// yara-x code, where the slow rules are still named each (they cost every scan).
fn report_yara(diagnostics: &[Diagnostic], quiet: bool, list_warnings: bool) {
    let (errors, warnings): (Vec<&Diagnostic>, Vec<&Diagnostic>) =
        diagnostics.iter().partition(|d| d.is_error());
    for d in &errors {
        eprintln!("{d}");
    }
    if quiet || warnings.is_empty() {
        return;
    }
    if list_warnings {
        for d in &warnings {
            eprintln!("{d}");
        }
        return;
    }
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    for d in &warnings {
        let code = crate::yara::yara_code(&d.message).unwrap_or("other");
        *kinds.entry(code).or_default() += 1;
        if crate::yara::is_slow(code) {
            eprintln!("{d}");
        }
    }
    let mut kinds: Vec<(&str, usize)> = kinds.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let counts: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let slow = if kinds.iter().any(|(k, _)| crate::yara::is_slow(k)) {
        "; each slow rule is named above"
    } else {
        ""
    };
    eprintln!(
        "shellsweep: YARA: {} warning(s) ({}){slow}; `shellsweep rules check --yara PATH` lists them all",
        warnings.len(),
        counts.join(", "),
    );
}

/// The compiled rules of a command, the files they came from (part of what decides the
/// findings, for `--state`), and what became of the `--sigma` files.
struct LoadedRules {
    engine: Engine,
    files: Vec<std::path::PathBuf>,
    sigma: Option<crate::rules::SigmaCounts>,
}

/// [`load_engine`], where `iocs_given` allows no rules at all: an IOC list (or YARA rules)
/// is enough to sweep with (Fenrir-style, `--no-bundled-rules --ioc LIST`).
fn load_engine_with(
    source: &RuleSource,
    quiet: bool,
    iocs_given: bool,
) -> anyhow::Result<Option<LoadedRules>> {
    let mut loader = Loader::new();
    if !source.no_bundled_rules {
        loader.add_bundled();
    }
    for p in &source.rules {
        loader.add_path(p);
    }
    for p in &source.sigma {
        loader.add_sigma_path(p);
    }
    let sigma = (!source.sigma.is_empty()).then(|| loader.sigma_counts().clone());
    let files = loader.rule_files().to_vec();
    match loader.finish() {
        Ok((mut rules, warnings)) => {
            rules.retain(|r| source.hunt || !r.hunt);
            if !quiet {
                print_diagnostics(&warnings);
                if let Some(counts) = &sigma {
                    eprintln!("{}", sigma_summary(counts));
                }
            }
            if rules.is_empty() && !iocs_given {
                anyhow::bail!("no rules loaded (--no-bundled-rules without --rules?)");
            }
            if rules.is_empty() && !quiet {
                eprintln!(
                    "shellsweep: no shellsweep rules loaded; matching the YARA rules and IOC lists given"
                );
            }
            Ok(Some(LoadedRules {
                engine: Engine::new(rules)?,
                files,
                sigma,
            }))
        }
        Err(e) => {
            print_diagnostics(&e.0);
            eprintln!("shellsweep: {e}");
            Ok(None)
        }
    }
}

/// One line on what became of the `--sigma` files, so that no rule is dropped unsaid.
fn sigma_summary(c: &crate::rules::SigmaCounts) -> String {
    let mut line = format!(
        "shellsweep: Sigma: {} loaded, {} not applicable",
        c.loaded,
        c.not_applicable_total()
    );
    if !c.not_applicable.is_empty() {
        let mut by: Vec<&(String, usize)> = c.not_applicable.iter().collect();
        by.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let shown: Vec<String> = by
            .iter()
            .take(5)
            .map(|(l, n)| {
                let l = if l.is_empty() {
                    "without logsource".to_owned()
                } else {
                    crate::output::for_terminal(l.as_bytes())
                };
                format!("{n} {l}")
            })
            .collect();
        let more = if by.len() > 5 { ", ..." } else { "" };
        line.push_str(&format!(" ({}{more})", shown.join("; ")));
    }
    line.push_str(&format!(", {} refused", c.refused));
    if c.refused > 0 {
        line.push_str(&format!(
            " (each named above, {})",
            crate::rules::Code::SigmaUnsupported.as_str()
        ));
    }
    if c.invalid > 0 {
        line.push_str(&format!(", {} with errors", c.invalid));
    }
    line
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        eprintln!("{d}");
    }
}
