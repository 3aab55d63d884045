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
            no_bundled_rules,
            yara,
        }) => rules_cmd::check(&paths, no_bundled_rules, &yara),
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
fn load_engine(
    source: &RuleSource,
    quiet: bool,
) -> anyhow::Result<Option<(Engine, Vec<std::path::PathBuf>)>> {
    load_engine_with(source, quiet, false)
}

/// [`load_engine`], where `iocs_given` allows no rules at all: an IOC list (or YARA rules)
/// is enough to sweep with (Fenrir-style, `--no-bundled-rules --ioc LIST`).
fn load_engine_with(
    source: &RuleSource,
    quiet: bool,
    iocs_given: bool,
) -> anyhow::Result<Option<(Engine, Vec<std::path::PathBuf>)>> {
    let mut loader = Loader::new();
    if !source.no_bundled_rules {
        loader.add_bundled();
    }
    for p in &source.rules {
        loader.add_path(p);
    }
    let files = loader.rule_files().to_vec();
    match loader.finish() {
        Ok((mut rules, warnings)) => {
            rules.retain(|r| source.hunt || !r.hunt);
            if !quiet {
                print_diagnostics(&warnings);
            }
            if rules.is_empty() && !iocs_given {
                anyhow::bail!("no rules loaded (--no-bundled-rules without --rules?)");
            }
            if rules.is_empty() && !quiet {
                eprintln!(
                    "shellsweep: no shellsweep rules loaded; matching the YARA rules and IOC lists given"
                );
            }
            Ok(Some((Engine::new(rules)?, files)))
        }
        Err(e) => {
            print_diagnostics(&e.0);
            eprintln!("shellsweep: {e}");
            Ok(None)
        }
    }
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        eprintln!("{d}");
    }
}
