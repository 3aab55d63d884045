//! `shellsweep generate`: the man page and the shell completion scripts, made from the clap
//! definitions in `args.rs` at run time, so that they cannot drift from the options the binary
//! takes. Packaging (`make man completions`, the .deb) writes them out; none is kept in git.

use std::io::Write;

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;
use clap_mangen::Man;
use roff::{Roff, roman};

use super::Status;
use super::args::{Cli, Generated};

pub(crate) fn run(what: Generated) -> anyhow::Result<Status> {
    let text = match what {
        Generated::Man => man_page().context("cannot render the man page")?,
        Generated::CompleteBash => completion(Shell::Bash),
        Generated::CompleteZsh => completion(Shell::Zsh),
        Generated::CompleteFish => completion(Shell::Fish),
        Generated::CompletePowershell => completion(Shell::PowerShell),
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&text)
        .and_then(|()| stdout.flush())
        .context("cannot write to standard output")?;
    Ok(Status::Clean)
}

fn completion(shell: Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "shellsweep", &mut out);
    out
}

/// One page, shellsweep(1), for every command: clap_mangen's own layout is one page per
/// subcommand with a list pointing at them, which would install nine pages for one tool.
/// Here the top-level sections come first, then one section per command (`SHELLSWEEP SCAN`)
/// holding that command's synopsis, description and options.
pub(crate) fn man_page() -> std::io::Result<Vec<u8>> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let top = Man::new(cmd.clone()).title("SHELLSWEEP");
    let mut out = Vec::new();
    top.render_title(&mut out)?;
    top.render_name_section(&mut out)?;
    top.render_synopsis_section(&mut out)?;
    top.render_options_section(&mut out)?;

    let mut commands = Vec::new();
    leaves(&cmd, &mut commands);
    for sub in commands {
        let name = sub.get_bin_name().unwrap_or_else(|| sub.get_name());
        Roff::new()
            .control("SH", [name.to_uppercase().as_str()])
            .to_writer(&mut out)?;
        let page = Man::new(sub.clone());
        let mut part = Vec::new();
        page.render_synopsis_section(&mut part)?;
        out.extend(retitled(&part, None));
        // Without its own heading the description would run on from the synopsis.
        Roff::new().control("PP", []).to_writer(&mut out)?;
        part.clear();
        page.render_description_section(&mut part)?;
        out.extend(retitled(&part, None));
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            part.clear();
            page.render_options_section(&mut part)?;
            out.extend(retitled(&part, Some("SS")));
        }
    }

    if let Some(exit) = cmd.get_after_help() {
        Roff::new()
            .control("SH", ["EXIT STATUS"])
            .text([roman(exit.to_string())])
            .to_writer(&mut out)?;
    }
    top.render_version_section(&mut out)?;
    Ok(once_defined(&out))
}

/// clap_mangen starts every rendered part with the same two lines defining the `Aq` string;
/// the page needs them once, at the top.
fn once_defined(roff: &[u8]) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut out = Vec::with_capacity(roff.len());
    for line in roff.split_inclusive(|&b| b == b'\n') {
        let definition = line.starts_with(b".ie \\n(.g .ds Aq") || line.starts_with(b".el .ds Aq");
        if definition {
            if seen.contains(&line) {
                continue;
            }
            seen.push(line);
        }
        out.extend_from_slice(line);
    }
    out
}

/// The commands that run something (`scan`, `rules check`, ...), in the order `--help` lists
/// them; hidden ones (this one) left out.
fn leaves<'a>(cmd: &'a clap::Command, out: &mut Vec<&'a clap::Command>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.has_subcommands() {
            leaves(sub, out);
        } else {
            out.push(sub);
        }
    }
}

/// A section rendered by clap_mangen with its `.SH` heading dropped (`None`) or turned into
/// another macro (`.SS`, a subsection of the command's section). Text lines that start with a
/// dot are escaped by roff (`\&.`), so only real headings match.
fn retitled(roff: &[u8], heading: Option<&str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(roff.len());
    for line in roff.split_inclusive(|&b| b == b'\n') {
        match (line.strip_prefix(b".SH "), heading) {
            (Some(_), None) => {}
            (Some(rest), Some(mac)) => {
                out.push(b'.');
                out.extend_from_slice(mac.as_bytes());
                out.push(b' ');
                out.extend_from_slice(rest);
            }
            (None, _) => out.extend_from_slice(line),
        }
    }
    out
}
