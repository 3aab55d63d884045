//! `shellsweep generate`: the man page and completion scripts the packages install are made
//! from the same definitions as `--help`, so every option a command takes is in them.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

/// Every command that runs something, as `--help` names them.
const COMMANDS: &[&[&str]] = &[
    &["scan"],
    &["rules", "list"],
    &["rules", "show"],
    &["rules", "check"],
    &["rules", "compile"],
    &["ioc", "check"],
    &["baseline", "create"],
    &["report"],
];

fn generate(what: &str) -> String {
    let out = run(["generate", what]);
    assert_eq!(code(&out), 0, "generate {what}: {}", stderr(&out));
    assert!(out.stderr.is_empty(), "generate {what}: {}", stderr(&out));
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The long and short options that `--help` lists for a command.
fn options_in_help(args: &[&str]) -> BTreeSet<String> {
    let mut all: Vec<&str> = args.to_vec();
    all.push("--help");
    let out = run(&all);
    assert_eq!(code(&out), 0, "{all:?}");
    let help = String::from_utf8(out.stdout).unwrap();
    let mut names = BTreeSet::new();
    for line in help.lines() {
        // clap indents option lines by two spaces, wrapped descriptions by more.
        let Some(line) = line.strip_prefix("  ").filter(|l| l.starts_with('-')) else {
            continue;
        };
        let head = line.split("  ").next().unwrap();
        for word in head.split([',', ' ', '=', '[', '<']) {
            if word.starts_with('-') && word.len() > 1 {
                names.insert(word.to_owned());
            }
        }
    }
    names
}

/// The top-level commands `--help` lists.
fn commands_in_help() -> BTreeSet<String> {
    let help = String::from_utf8(run(["--help"]).stdout).unwrap();
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

/// The part of the page for one command: from its `.SH "SHELLSWEEP X"` heading to the next
/// `.SH`.
fn section<'a>(page: &'a str, command: &[&str]) -> &'a str {
    let heading = format!(".SH \"SHELLSWEEP {}\"", command.join(" ").to_uppercase());
    let heading = if command.len() == 1 && !page.contains(&heading) {
        format!(".SH SHELLSWEEP {}", command[0].to_uppercase())
    } else {
        heading
    };
    let start = page
        .find(&heading)
        .unwrap_or_else(|| panic!("no section {heading} in the man page"));
    let rest = &page[start + heading.len()..];
    let end = rest.find("\n.SH ").unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn the_man_page_names_every_option_of_every_command() {
    let page = generate("man");
    assert!(page.contains(".TH SHELLSWEEP 1"), "{page}");
    let mut listed: BTreeSet<String> = BTreeSet::new();
    for command in COMMANDS {
        listed.insert(command[0].to_owned());
        let text = section(&page, command);
        let options = options_in_help(command);
        assert!(options.len() > 1, "{command:?}: {options:?}");
        for option in &options {
            // roff writes a minus as `\-`.
            let roff = format!("\\fB{}\\fR", option.replace('-', "\\-"));
            assert!(
                text.contains(&roff),
                "the man page's section for {command:?} does not name {option}"
            );
        }
    }
    assert_eq!(listed, commands_in_help(), "commands in --help vs the page");
    assert!(page.contains(".SH \"EXIT STATUS\""));
    assert!(page.contains(&format!("v{}", env!("CARGO_PKG_VERSION"))));
}

#[test]
fn the_scan_section_has_every_scan_option() {
    // The check above, on the command a sweep runs, with options that wrap in --help.
    let page = generate("man");
    let scan = section(&page, &["scan"]);
    for option in [
        "--max-filesize",
        "--yara-compiled",
        "--uls-utc-offset",
        "--max-decompressed-size",
        "--skip-missing",
    ] {
        assert!(scan.contains(&option.replace('-', "\\-")), "{option}");
    }
}

#[test]
fn generate_is_hidden_from_help_and_not_in_the_page() {
    assert!(!commands_in_help().contains("generate"));
    let page = generate("man");
    assert!(!page.contains("GENERATE"), "the page documents generate");
    assert!(!page.contains("complete\\-bash"));
}

/// groff (man-db's formatter) reads the page without a warning. CI installs man-db for the
/// .deb test, so there it must run (`SHELLSWEEP_REQUIRE_GROFF=1`).
#[test]
fn groff_renders_the_page_without_warnings() {
    if Command::new("groff").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("SHELLSWEEP_REQUIRE_GROFF").is_none(),
            "groff is required here but not installed"
        );
        eprintln!("skipped: groff is not installed");
        return;
    }
    let page = generate("man");
    let mut child = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-P-cbou"])
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && warnings.is_empty(), "{warnings}");
    let text = String::from_utf8_lossy(&out.stdout);
    for heading in ["SHELLSWEEP SCAN", "SHELLSWEEP RULES CHECK", "EXIT STATUS"] {
        assert!(text.contains(heading), "{heading} not rendered:\n{text}");
    }
    assert!(text.contains("--max-filesize"), "{text}");
}

#[test]
fn completions_offer_the_commands_and_options() {
    let bash = generate("complete-bash");
    let zsh = generate("complete-zsh");
    let fish = generate("complete-fish");
    let ps = generate("complete-powershell");
    assert!(zsh.starts_with("#compdef shellsweep"), "{zsh}");
    assert!(fish.contains("complete -c shellsweep"), "{fish}");
    assert!(ps.contains("Register-ArgumentCompleter"), "{ps}");
    for script in [&bash, &zsh, &fish, &ps] {
        for word in ["scan", "rules", "ioc", "baseline", "report", "compile"] {
            assert!(script.contains(word), "{word} missing");
        }
        assert!(script.contains("max-filesize"));
    }
}

/// The bash script, sourced into bash, completes what a user types.
#[test]
fn bash_completes_subcommands_and_options() {
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("skipped: no bash");
        return;
    }
    let script = generate("complete-bash");
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "shellsweep.bash", script.as_bytes());
    // bash calls the function with the command, the word being completed and the one before.
    let complete = |words: &str| -> BTreeSet<String> {
        let cword = words.split(' ').count() - 1;
        let probe = format!(
            "source '{}'; COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{words}'; \
             COMP_POINT=${{#COMP_LINE}}; \
             _shellsweep shellsweep \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display()
        );
        let out = Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &probe])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        complete("shellsweep sc"),
        BTreeSet::from(["scan".to_owned()])
    );
    let rules = complete("shellsweep rules ''");
    for sub in ["list", "show", "check", "compile"] {
        assert!(rules.contains(sub), "{rules:?}");
    }
    let scan = complete("shellsweep scan --max-f");
    assert_eq!(scan, BTreeSet::from(["--max-filesize".to_owned()]));
}

#[test]
fn generate_refuses_what_it_cannot_make() {
    let out = run(["generate", "complete-tcsh"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(code(&run(["generate"])), 2);
}
