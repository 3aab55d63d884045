//! Command-line arguments. Scripts outside the project rely on these names and meanings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::common::severity::Severity;
use crate::output::syslog::SyslogFormat;
use crate::output::{Format, Target};

#[derive(Debug, Parser)]
#[command(
    name = "shellsweep",
    version,
    about = "Finds webshells and indicators of compromise on web servers.",
    after_help = "Exit codes: 0 nothing found and everything scanned; 1 findings; \
                  2 nothing found but something could not be scanned, or a usage or rule error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and folders.
    Scan(Box<ScanArgs>),
    /// List or check rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Check IOC lists.
    #[command(subcommand)]
    Ioc(IocCommand),
    /// Record known-good web roots, for `scan --baseline`.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Write one self-contained HTML page from the JSON lines of `scan --format jsonl`.
    Report(ReportArgs),
    /// Write the man page or a shell's completion script, made from these definitions, to
    /// standard output. Hidden from `--help`: packagers use it (`make man completions`),
    /// users read what it makes.
    #[command(hide = true)]
    Generate {
        #[arg(value_enum, value_name = "WHAT")]
        what: Generated,
    },
}

/// What `shellsweep generate` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generated {
    /// The man page, shellsweep(1), in roff.
    Man,
    /// Completion script for bash.
    CompleteBash,
    /// Completion script for zsh.
    CompleteZsh,
    /// Completion script for fish.
    CompleteFish,
    /// Completion script for PowerShell.
    CompletePowershell,
}

/// `shellsweep report`: the page a responder reads, made from one or more scans' JSON lines
/// (several runs and hosts together). Exits 2 when an input cannot be read or the page
/// cannot be written; broken lines are named and counted, not fatal.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// JSON lines written by `shellsweep scan --format jsonl`.
    #[arg(value_name = "FINDINGS.jsonl", required = true)]
    pub inputs: Vec<PathBuf>,
    /// Where to write the page (replaced atomically).
    #[arg(short = 'o', long = "output", value_name = "FILE", required = true)]
    pub output: PathBuf,
    /// Rows of the timeline's event table per client address; the rest are counted.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub events_per_address: usize,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Record every script and binary file (by extension, see the README) under PATH: path
    /// relative to PATH, size, modification time and SHA-256, as sorted JSON lines. Exits 2
    /// when something could not be read (the file is written, without it).
    Create {
        /// Web roots to record, walked as `scan` walks them.
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<PathBuf>,
        /// Where to write the baseline (replaced atomically).
        #[arg(short = 'o', long = "output", value_name = "FILE", required = true)]
        output: PathBuf,
        /// Skip paths matching GLOB (repeatable), as for `scan`.
        #[arg(long, value_name = "GLOB")]
        exclude: Vec<String>,
        /// Follow symbolic links inside the trees, as for `scan`.
        #[arg(long)]
        follow_symlinks: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum IocCommand {
    /// Report what IOC lists contain by type, and every line that cannot be used, with its
    /// line number. Exits 2 when a line is malformed (unsupported entries only warn).
    Check {
        #[arg(value_name = "FILE", required = true)]
        paths: Vec<PathBuf>,
    },
}

/// Which rules to load.
#[derive(Debug, Args, Clone)]
pub struct RuleSource {
    /// Add rules from a YAML file or a folder of them (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Add Sigma rules from a file or a folder of them (repeatable). Rules for web-server
    /// logs (`category: webserver`, product iis, apache or nginx) run as log rules; the
    /// others are counted as not applicable.
    #[arg(long = "sigma", value_name = "PATH")]
    pub sigma: Vec<PathBuf>,
    /// Also match YARA rules from a `.yar`/`.yara` file or a folder of them (repeatable),
    /// compiled once with yara-x. They see the files the bundled rules see (same walk, size
    /// limit and excludes), not logs; Loki/THOR's externals `filename`, `filepath`,
    /// `extension`, `filetype` and `owner` are set for each file.
    #[arg(long = "yara", value_name = "PATH")]
    pub yara: Vec<PathBuf>,
    /// Match the YARA rules of a file written by `shellsweep rules compile` instead of
    /// compiling sources (once; not with --yara). The file must come from a shellsweep with
    /// the same yara-x version.
    #[arg(long, value_name = "FILE", conflicts_with = "yara")]
    pub yara_compiled: Option<PathBuf>,
    /// Severity of YARA findings whose rule's meta gives neither `score` nor `severity`.
    #[arg(long, value_enum, default_value_t = SeverityArg::High)]
    pub yara_severity: SeverityArg,
    /// Do not load the rules built into the binary.
    #[arg(long)]
    pub no_bundled_rules: bool,
    /// Also load hunting rules (`hunt: true`): weak signals that fire on routine traffic
    /// too, for a threat hunt rather than an alert queue.
    #[arg(long)]
    pub hunt: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and folders to scan; `-` reads standard input as one file (`./-` is a file
    /// named `-`).
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// The name standard input goes by: the rules for that name apply (by extension and
    /// path glob) and findings show it. Without it, every file rule applies and findings
    /// show `<stdin>`.
    #[arg(long, value_name = "NAME")]
    pub stdin_name: Option<PathBuf>,
    #[command(flatten)]
    pub rules: RuleSource,
    /// Output format (default text). Given more than once, each goes to the -o in the same
    /// position (`--format jsonl -o a.jsonl --format csv -o b.csv`); a format past the last
    /// -o goes to stdout (at most one).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Vec<Format>,
    /// Append output to FILE instead of writing to stdout (the text summary still goes to
    /// stderr, unless --quiet). Repeatable, one per --format.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Vec<PathBuf>,
    /// Sort JSON lines by path, then line, as text output always is (findings are held
    /// until the scan ends instead of streamed).
    #[arg(long)]
    pub sort: bool,
    /// Print only the path of each file (or log) with findings, one per line, sorted; the
    /// summary goes to stderr. The exit code is unchanged.
    #[arg(short = 'l', long, conflicts_with_all = ["format", "sort"])]
    pub files_with_findings: bool,
    /// Skip paths matching GLOB (repeatable). Without `/` it matches a name anywhere; with
    /// `/` it matches the whole path. A matching folder is not entered.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Skip (and count) files larger than SIZE, e.g. 512K, 20M, 1G.
    #[arg(long, value_name = "SIZE", default_value = "100M", value_parser = parse_size)]
    pub max_filesize: u64,
    /// Give up on a file whose rules take longer than SECS seconds (fractions allowed; 0: no
    /// limit). The file is named, counted as `timed_out` and leaves the run incomplete, so
    /// one file crafted to be slow cannot stall a sweep. Logs, read line by line, have no
    /// such limit.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_timeout)]
    pub file_timeout: std::time::Duration,
    /// Give up on the YARA rules for a file after SECS seconds (fractions allowed; 0: no
    /// limit). The file is named and counted as `yara_timed_out`; its other findings stand.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_timeout)]
    pub yara_timeout: std::time::Duration,
    /// Scanning threads (default: one per CPU; at most 4 per CPU, more are capped with a
    /// notice).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Follow symbolic links inside the trees (loops and dangling links are reported and
    /// passed). Paths named here are followed anyway; without this option, links inside the
    /// trees are named in the summary and leave the run incomplete.
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Report only findings of this severity or above (others are counted).
    #[arg(long, value_enum, default_value_t = SeverityArg::Low)]
    pub min_severity: SeverityArg,
    /// No progress line, notices or text summary; errors are still printed.
    #[arg(short, long)]
    pub quiet: bool,
    /// Silence known false positives with an allowlist (repeatable; see docs/RULES.md).
    /// Silenced findings are counted in the summary, not printed.
    #[arg(long = "allow", value_name = "FILE")]
    pub allow: Vec<PathBuf>,
    /// Add MD5 and SHA-1 (beside the SHA-256) to every file finding.
    #[arg(long)]
    pub hash: bool,
    /// Match an IOC list (repeatable): one indicator per line (IPs, CIDRs, domains, URLs,
    /// MD5/SHA-1/SHA-256, file names), `#` comments.
    #[arg(long = "ioc", value_name = "FILE")]
    pub iocs: Vec<PathBuf>,
    /// Severity of IOC findings.
    #[arg(long, value_enum, default_value_t = SeverityArg::High)]
    pub ioc_severity: SeverityArg,
    /// Only log records at or after this time: RFC 3339 (2025-07-19T09:00:00+02:00), a date
    /// and time without a zone, read as UTC ("2025-07-19 09:00", 2025-07-19T09:00:30), a date
    /// (midnight UTC at its start), or an age like 7d, 12h. Anything else is an error.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only log records at or before this time (same forms as --since; a date alone means
    /// the end of that day, so `--until 2025-07-19` includes the 19th).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// UTC offset of SharePoint ULS timestamps, which carry none (e.g. +02:00, -5, 0).
    /// Default: this machine's time zone.
    #[arg(long, value_name = "OFFSET", allow_hyphen_values = true)]
    pub uls_utc_offset: Option<String>,
    /// Incremental sweep: remember what was scanned in FILE and next time read only new log
    /// lines and changed files. A second run on the same state exits 2 unless --wait.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Compare each scanned folder with a baseline from `shellsweep baseline create`:
    /// script and binary files that are new, changed (SHA-256) or gone are findings
    /// (SSW-BASELINE-*). Computed afresh on every run, also with --state.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Also write the findings and the attacker's activity (pivot events) as a timeline:
    /// a CSV sorted by time that Timesketch imports (columns: docs/TIMELINE.md). Replaced
    /// whole when the run ends, whatever --format; never scanned.
    #[arg(long, value_name = "FILE")]
    pub timeline: Option<PathBuf>,
    /// Which folder a URL prefix serves, for joining log requests with files
    /// (`/_layouts/15/=/srv/sp/16/TEMPLATE/LAYOUTS`; repeatable). Adds to and overrides
    /// what server configs (IIS applicationHost.config, Apache, nginx, Tomcat) met in the
    /// scanned trees or given with --server-config say.
    #[arg(long, value_name = "URL_PREFIX=PATH")]
    pub webroot: Vec<String>,
    /// Read a web server's config for the web-root map (repeatable): IIS
    /// applicationHost.config, Apache httpd.conf/site files, nginx.conf, Tomcat server.xml.
    #[arg(long, value_name = "FILE")]
    pub server_config: Vec<PathBuf>,
    /// How far the pivot follows the intruder: 1 (default) emits every record of the
    /// addresses that requested a webshell or sent an exploit (an IOC list's addresses are
    /// IOC findings already); each
    /// more hop adds the addresses that POSTed to the same scripts (at most 5).
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u8).range(1..=5))]
    pub pivot_hops: u8,
    /// Do not join findings after the scan (no webshell-requested, dropped-after-exploit
    /// or pivot lines).
    #[arg(long)]
    pub no_correlation: bool,
    /// With --state: wait for a sweep that holds the state to finish instead of exiting 2.
    #[arg(long, requires = "state")]
    pub wait: bool,
    /// A PATH that does not exist is skipped with a notice (and counted), not an error: for
    /// schedules that list the folders of several web servers. When none exists, exit 2.
    #[arg(long)]
    pub skip_missing: bool,
    /// Stop reading a compressed log past this many decompressed bytes (and report it).
    #[arg(long, value_name = "SIZE", default_value = "16G", value_parser = parse_size)]
    pub max_decompressed_size: u64,
    /// Also send each finding (and pivot event) to a syslog receiver: udp://HOST:PORT,
    /// tcp://HOST:PORT or tls://HOST:PORT (default ports 514, 514, 6514). One RFC 5424
    /// message each, whose MSG is the finding's line (--syslog-format); findings not delivered make the run exit 2
    /// (docs/SYSLOG.md).
    #[arg(long, value_name = "URL")]
    pub syslog: Option<String>,
    /// What the syslog MSG holds: the ECS JSON line or the OCSF line (as --format jsonl or
    /// --format ocsf writes it).
    #[arg(long, value_enum, default_value_t = SyslogFormat::Jsonl, requires = "syslog")]
    pub syslog_format: SyslogFormat,
    /// Syslog facility: a name (kern, user, daemon, auth, authpriv, local0 to local7, ...)
    /// or a code from 0 to 23.
    #[arg(long, value_name = "FACILITY", default_value = "local0",
          value_parser = crate::output::syslog::parse_facility, requires = "syslog")]
    pub syslog_facility: u8,
    /// For tls://: the PEM CA bundle the receiver's certificate must chain to (required).
    #[arg(long, value_name = "FILE", requires = "syslog")]
    pub syslog_ca: Option<PathBuf>,
    /// For tls://: a PEM client certificate (chain) to present; needs --syslog-key.
    #[arg(long, value_name = "FILE", requires_all = ["syslog", "syslog_key"])]
    pub syslog_cert: Option<PathBuf>,
    /// For tls://: the PEM private key of --syslog-cert.
    #[arg(long, value_name = "FILE", requires_all = ["syslog", "syslog_cert"])]
    pub syslog_key: Option<PathBuf>,
    /// How long the syslog sender tries to reach the receiver again after losing it
    /// (fractions allowed), waiting longer between attempts; past that, the messages held
    /// count as not delivered and later ones go only if the receiver answers again.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_timeout,
          requires = "syslog")]
    pub syslog_retry: std::time::Duration,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Print the loaded rules: id, severity, scope, name.
    List(RuleSource),
    /// Print one rule in full: every field, its patterns and condition, and where it is
    /// defined. Exits 2 when no loaded rule has this id.
    Show {
        #[arg(value_name = "ID")]
        id: String,
        #[command(flatten)]
        source: RuleSource,
    },
    /// Validate rule files as `scan` would load them, beside the bundled rules (a repeated
    /// rule id is an error); exits 2 on any error. Without PATH, checks the bundled rules.
    Check {
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Sigma rule files or folders to check, as `scan --sigma` loads them (repeatable).
        #[arg(long = "sigma", value_name = "PATH")]
        sigma: Vec<PathBuf>,
        /// Check the files on their own, as `scan --no-bundled-rules` would load them.
        #[arg(long)]
        no_bundled_rules: bool,
        /// Also compile YARA rules from a file or folder, as `scan --yara` would (repeatable).
        /// Every yara-x warning is listed (a scan only counts them, naming slow rules).
        #[arg(long = "yara", value_name = "PATH")]
        yara: Vec<PathBuf>,
        /// Check that a file from `rules compile` loads, as `scan --yara-compiled` would.
        #[arg(long, value_name = "FILE", conflicts_with = "yara")]
        yara_compiled: Option<PathBuf>,
    },
    /// Compile YARA rules once into FILE for `scan --yara-compiled FILE`, so that a fleet
    /// ships one file and no host compiles. Errors and warnings are reported as
    /// `rules check --yara` reports them (warnings counted); exits 2, writing nothing, on any
    /// error.
    Compile {
        /// A `.yar`/`.yara` file or a folder of them (repeatable).
        #[arg(long = "yara", value_name = "PATH", required = true)]
        yara: Vec<PathBuf>,
        /// Where to write the compiled rules (replaced atomically).
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
    },
}

/// A command-line value that does not parse; clap shows the message after the option.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("`{0}` is not a UTC offset like +02:00, -5 or 0")]
    UtcOffset(String),
    #[error("`{0}` is not a size like 512K, 20M or 1G")]
    Size(String),
    #[error("unknown size unit in `{0}` (use K, M, G or T)")]
    SizeUnit(String),
    #[error("`{0}` is not a number of seconds like 60 or 0.5")]
    Seconds(String),
    #[error("`{0}` is too large")]
    TooLarge(String),
}

/// `+02:00`, `-5`, `0`, `+0530`: a fixed offset in hours (and minutes) east of UTC.
pub fn parse_utc_offset(s: &str) -> Result<jiff::tz::Offset, ValueError> {
    let t = s.trim();
    let bad = || ValueError::UtcOffset(s.to_owned());
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'-') => (-1, &t[1..]),
        Some(b'+') => (1, &t[1..]),
        _ => (1, t),
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    let h: i32 = h.parse().map_err(|_| bad())?;
    let m: i32 = m.parse().map_err(|_| bad())?;
    if h > 14 || m > 59 {
        return Err(bad());
    }
    jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)).map_err(|_| bad())
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

impl ScanArgs {
    /// Pairs the Nth `--format` with the Nth `-o`; formats past the last `-o` go to
    /// stdout. One `-o` (or none) with at most one `--format` is the single output it always
    /// was.
    pub fn targets(&self) -> anyhow::Result<Vec<Target>> {
        let outputs = &self.output;
        let formats = if self.format.is_empty() {
            &[Format::Text][..]
        } else {
            &self.format[..]
        };
        if outputs.len() > 1 && self.format.is_empty() {
            anyhow::bail!(
                "{} -o given without --format: give one --format for each -o (the Nth --format goes to the Nth -o)",
                outputs.len()
            );
        }
        if outputs.len() > formats.len() {
            anyhow::bail!(
                "{} -o given for {} --format: give one --format for each -o (the Nth --format goes to the Nth -o)",
                outputs.len(),
                formats.len()
            );
        }
        if formats.len() - outputs.len() > 1 {
            anyhow::bail!(
                "{} --format without an -o: at most one format goes to standard output (give each other one an -o FILE)",
                formats.len() - outputs.len()
            );
        }
        for (i, o) in outputs.iter().enumerate() {
            if outputs[..i].contains(o) {
                anyhow::bail!(
                    "-o {} given twice: each format needs its own file",
                    o.display()
                );
            }
        }
        Ok(formats
            .iter()
            .enumerate()
            .map(|(i, f)| Target {
                format: *f,
                file: outputs.get(i).cloned(),
            })
            .collect())
    }
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

/// `123`, `512K`, `20M`, `1G` (also `KB`, `MiB`, ...), powers of 1024.
pub fn parse_size(s: &str) -> Result<u64, ValueError> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().map_err(|_| ValueError::Size(s.to_owned()))?;
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => return Err(ValueError::SizeUnit(s.to_owned())),
    };
    n.checked_mul(1 << shift)
        .ok_or_else(|| ValueError::TooLarge(s.to_owned()))
}

/// `--file-timeout`, `--yara-timeout`: seconds, fractions allowed; `0` (zero) turns the limit off.
pub fn parse_timeout(s: &str) -> Result<std::time::Duration, ValueError> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| ValueError::Seconds(s.to_owned()))?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(ValueError::Seconds(s.to_owned()));
    }
    std::time::Duration::try_from_secs_f64(secs).map_err(|_| ValueError::TooLarge(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        use std::time::Duration;
        assert_eq!(parse_timeout("60"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_timeout("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_timeout("0"), Ok(Duration::ZERO));
        assert!(parse_timeout("-1").is_err());
        assert!(parse_timeout("NaN").is_err());
        assert!(parse_timeout("1e300").is_err());
        assert!(parse_timeout("soon").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("20M"), Ok(20 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("512KiB"), Ok(512 << 10));
        assert!(parse_size("M").is_err());
        assert!(parse_size("5X").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn utc_offsets() {
        assert_eq!(parse_utc_offset("+02:00").unwrap().seconds(), 7200);
        assert_eq!(parse_utc_offset("-5").unwrap().seconds(), -18000);
        assert_eq!(parse_utc_offset("0530").unwrap().seconds(), 19800);
        assert_eq!(parse_utc_offset("0").unwrap().seconds(), 0);
        assert!(parse_utc_offset("+25").is_err());
        assert!(parse_utc_offset("CET").is_err());
    }

    #[test]
    fn clap_definition_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
