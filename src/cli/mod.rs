//! The command line: arguments, wiring and exit codes; nothing else.

mod args;
mod ioc_cmd;
mod rules_cmd;
mod scan_cmd;
mod signals;

use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;
use args::{Command, IocCommand, RuleSource, RulesCommand};

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
        }) => rules_cmd::check(&paths, &sigma, no_bundled_rules, &yara),
        Command::Ioc(IocCommand::Check { paths }) => ioc_cmd::check(&paths),
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
    load_engine_with(source, quiet, false)
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
            .map(|(l, n)| format!("{n} {}", if l.is_empty() { "without logsource" } else { l }))
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
