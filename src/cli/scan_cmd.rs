//! `shellsweep scan`.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::args::{ScanArgs, SeverityArg, parse_utc_offset};
use super::{LoadedRules, Status, load_engine_with, signals};
use crate::allow::{AllowError, Allowlist};
use crate::correlate;
use crate::ioc::IocSet;
use crate::logs::{Window, parse_time_arg, parse_until_arg};
use crate::logscan::LogOptions;
use crate::output::ecs::Observer;
use crate::output::for_terminal;
use crate::output::syslog::{SyslogConfig, SyslogOptions};
use crate::output::{Output, OutputConfig};
use crate::pipeline::{self, ScanConfig, Sweep};
use crate::policy::Policy;
use crate::read::{ReadPolicy, file_id};
use crate::state::{Lock, Previous, ruleset_hash};
use crate::summary::{RuleSets, RunInfo, SigmaSet, Stats};
use crate::walk::{Excludes, WalkConfig};

/// What the main thread waits for while the scan runs.
enum Wake {
    Done,
    Signal(&'static str),
}

/// Sends [`Wake::Done`] when the scanning thread ends, returning or panicking.
struct DoneOnDrop(mpsc::Sender<Wake>);

impl Drop for DoneOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(Wake::Done);
    }
}

/// After a signal, how long scanning threads get to finish the file in hand, so that what
/// they found is written; one blocked on a pipe is left behind.
const SIGNAL_GRACE: Duration = Duration::from_secs(1);

pub(crate) fn run(args: ScanArgs) -> anyhow::Result<Status> {
    let started = jiff::Timestamp::now();
    let clock = Instant::now();
    // Before any thread starts, so that all leave the signals to the signal thread. From
    // here on a signal stops the run with an interrupted summary, except while it waits
    // without end (for the lock with --wait, for a FIFO given to -o): then it ends the
    // process as it would have without this, as nothing is in flight.
    let stop = Arc::new(AtomicBool::new(false));
    let exit_at_once = Arc::new(AtomicBool::new(false));
    let (wake_tx, wake) = mpsc::channel::<Wake>();
    {
        let (stop, exit_at_once, wake_tx) = (
            Arc::clone(&stop),
            Arc::clone(&exit_at_once),
            wake_tx.clone(),
        );
        signals::watch(move |name| {
            if exit_at_once.load(Ordering::SeqCst) {
                eprintln!("shellsweep: {name}: stopped before scanning");
                std::process::exit(Status::Trouble as i32);
            }
            stop.store(true, Ordering::SeqCst);
            let _ = wake_tx.send(Wake::Signal(name));
        });
    }
    // Usage errors first, before any work or output.
    let targets = args.targets()?;
    let now = jiff::Timestamp::now();
    let window = Window {
        since: args
            .since
            .as_deref()
            .map(|s| parse_time_arg(s, now))
            .transpose()
            .context("--since")?,
        until: args
            .until
            .as_deref()
            .map(|s| parse_until_arg(s, now))
            .transpose()
            .context("--until")?,
    };
    if let (Some(since), Some(until)) = (window.since, window.until)
        && since > until
    {
        anyhow::bail!(
            "--since ({since}) is after --until ({until}): no record could be in the window"
        );
    }
    // The syslog options are checked (and the TLS files read) before any work too.
    let syslog = args
        .syslog
        .as_deref()
        .map(|url| {
            SyslogConfig::new(SyslogOptions {
                url,
                facility: args.syslog_facility,
                ca: args.syslog_ca.as_deref(),
                client: args.syslog_cert.as_deref().zip(args.syslog_key.as_deref()),
                retry: args.syslog_retry,
                format: args.syslog_format,
            })
        })
        .transpose()?;
    let syslog_target = syslog.as_ref().map(|s| (s.target(), s.acknowledged()));
    // A 100k-entry list takes about as long to read as the rules take to compile: the two
    // run side by side. What the list says is printed after the rules' diagnostics, as
    // when they ran one after the other.
    let ioc_paths = args.iocs.clone();
    let ioc_loading = (!ioc_paths.is_empty())
        .then(|| {
            std::thread::Builder::new()
                .name("iocs".into())
                .spawn(move || load_iocs(&ioc_paths))
        })
        .transpose()
        .context("starting the IOC loading thread")?;
    let Some(LoadedRules {
        engine,
        files: mut rule_files,
        sigma,
    }) = load_engine_with(
        &args.rules,
        args.quiet,
        !args.iocs.is_empty() || super::yara_given(&args.rules),
    )?
    else {
        return Ok(Status::Trouble);
    };
    // Compiled (or loaded) once, before any output; a rule that does not compile stops the
    // run as a bundled-format rule error does.
    let Ok(yara) = super::load_yara(&args.rules, args.quiet, false) else {
        return Ok(Status::Trouble);
    };
    let yara = yara.map(|(rules, files)| {
        // The YARA files are the scanner's own too, and decide findings (the state's hash).
        rule_files.extend(files);
        // Kept until the process ends: each scanning thread's yara-x scanner borrows them
        // from a thread-local (see `ScanConfig::yara`); a program runs one scan.
        let rules: &'static crate::yara::YaraRules = Box::leak(Box::new(rules));
        rules
    });
    // Before any output: a list that gives nothing to match stops the run.
    let (iocs, ioc_rejected) = match ioc_loading {
        Some(handle) => match handle.join() {
            Ok(loaded) => loaded?.report(),
            Err(panic) => std::panic::resume_unwind(panic),
        }?,
        None => (IocSet::default(), 0),
    };
    let mut map = crate::webroot::WebrootMap::default();
    for w in &args.webroot {
        map.add_option(w)
            .with_context(|| format!("--webroot {w}"))?;
    }
    let correlation = correlate::Options {
        map,
        server_configs: args.server_config.clone(),
        hops: args.pivot_hops,
    };
    let baseline = match &args.baseline {
        Some(p) => Some(Arc::new(crate::baseline::Baseline::load(p)?)),
        None => None,
    };
    let engine = Arc::new(engine);
    let excludes = Excludes::new(&args.exclude).context("bad --exclude glob")?;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = threads_for(args.threads, cpus);
    if let Some(asked) = args.threads
        && asked > threads
        && !args.quiet
    {
        eprintln!(
            "shellsweep: -j {asked} is more than this machine can use: using {threads} threads \
             ({THREADS_PER_CPU} per CPU, {cpus} CPUs)"
        );
    }

    let stats = Arc::new(Stats::default());

    // The scanner's own files are never findings, even inside the scanned tree: its output
    // (which quotes what it found), its rule files (which hold the signatures) and itself.
    let mut own_files: HashSet<(u64, u64)> = rule_files.iter().filter_map(|p| file_id(p)).collect();
    own_files.extend(std::env::current_exe().ok().as_deref().and_then(file_id));

    let mut allow = Allowlist::default();
    for p in &args.allow {
        match allow.load_file(p) {
            Ok(()) => {}
            Err(AllowError::Invalid(diagnostics)) => {
                for d in &diagnostics {
                    eprintln!("{d}");
                }
                anyhow::bail!(
                    "{} error(s) in allowlist {}",
                    diagnostics.len(),
                    p.display()
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    own_files.extend(args.allow.iter().filter_map(|p| file_id(p)));
    // Incremental sweeps: one at a time per state file, and only with the same rules.
    let mut _lock = None;
    let mut sweep: Option<Arc<Sweep>> = None;
    let mut ruleset = String::new();
    if let Some(state_path) = &args.state {
        exit_at_once.store(true, Ordering::SeqCst);
        let lock = Lock::acquire(state_path, args.wait);
        exit_at_once.store(false, Ordering::SeqCst);
        let lock = lock?;
        check_state_writable(state_path)?;
        own_files.extend(file_id(&lock.path));
        own_files.extend(file_id(state_path));
        _lock = Some(lock);
        ruleset = ruleset_of(&args, &rule_files)?;
        let previous = match Previous::load(state_path, &ruleset) {
            Ok(p) => {
                if let Some(n) = &p.notice {
                    eprintln!("shellsweep: {}", for_terminal(n.as_bytes()));
                }
                p
            }
            Err(e) => {
                eprintln!(
                    "shellsweep: {e}; starting afresh (repeated findings keep their event.id)"
                );
                Previous::default()
            }
        };
        sweep = Some(Arc::new(Sweep {
            previous,
            collector: Default::default(),
        }));
    }
    let (uls_zone, uls_zone_label, uls_zone_assumed) = match &args.uls_utc_offset {
        Some(o) => {
            let offset = parse_utc_offset(o)
                .map_err(anyhow::Error::msg)
                .context("--uls-utc-offset")?;
            (
                jiff::tz::TimeZone::fixed(offset),
                offset_text(offset),
                false,
            )
        }
        None => {
            let tz = jiff::tz::TimeZone::system();
            let name = match tz.iana_name() {
                Some(n) => n.to_owned(),
                None => offset_text(tz.to_offset(jiff::Timestamp::now())),
            };
            (tz, name, true)
        }
    };
    own_files.extend(args.iocs.iter().filter_map(|p| file_id(p)));
    own_files.extend(args.baseline.as_deref().and_then(file_id));
    // Like the output: checked before scanning, and never a finding (a timeline of an
    // earlier run, left in the tree, quotes what it found).
    if let Some(t) = &args.timeline {
        if args.output.is_empty() {
            crate::output::timeline::check_writable(t, None)?;
        }
        for o in &args.output {
            crate::output::timeline::check_writable(t, Some(o))?;
        }
        own_files.extend(file_id(t));
    }
    // Opened last of what is checked before scanning (state, lock, output), so that a run
    // refused for its state leaves the output file as it was.
    let output_config = OutputConfig {
        targets,
        quiet: args.quiet,
        sort: args.sort,
        files_only: args.files_with_findings,
        min_severity: args.min_severity.into(),
        sync: args.state.is_some(),
        timeline: args.timeline.clone(),
        syslog,
    };
    exit_at_once.store(true, Ordering::SeqCst);
    let observer = Observer {
        stdin_name: args.stdin_name.clone(),
        ..Observer::here()
    };
    let evidence =
        (!args.no_correlation).then(|| Arc::new(crate::pipeline::Evidence::new(observer.clone())));
    let output = Output::start(
        output_config,
        observer,
        Arc::clone(&stats),
        Arc::clone(&stop),
    );
    exit_at_once.store(false, Ordering::SeqCst);
    let output = output.with_context(|| match args.output.as_slice() {
        [p] => format!("cannot open output file {}", p.display()),
        [] => "cannot write to standard output".into(),
        _ => "cannot open the outputs".into(),
    })?;
    own_files.extend(args.output.iter().filter_map(|p| file_id(p)));
    let config = ScanConfig {
        roots: args.paths.clone(),
        walk: WalkConfig {
            follow_symlinks: args.follow_symlinks,
            threads,
            excludes: excludes.clone(),
        },
        read: ReadPolicy {
            follow_symlinks: args.follow_symlinks,
            max_size: args.max_filesize,
            own_files,
        },
        policy: Policy::new(
            args.min_severity.into(),
            args.ioc_severity.into(),
            Arc::new(allow),
        ),
        iocs: Arc::new(iocs),
        logs: LogOptions {
            window,
            uls_zone,
            uls_zone_label,
            uls_zone_assumed,
            max_line: 1 << 20,
        },
        max_decompressed: args.max_decompressed_size,
        hash_all: args.hash,
        state: sweep.clone(),
        stdin_name: args.stdin_name.clone(),
        skip_missing: args.skip_missing,
        file_timeout: Some(args.file_timeout).filter(|t| !t.is_zero()),
        yara,
        yara_timeout: Some(args.yara_timeout).filter(|t| !t.is_zero()),
        baseline,
        evidence,
    };
    let config = Arc::new(config);
    let scanner = {
        let (engine, config, stats, stop) = (
            Arc::clone(&engine),
            Arc::clone(&config),
            Arc::clone(&stats),
            Arc::clone(&stop),
        );
        let sink = output.sender();
        let done = DoneOnDrop(wake_tx);
        let quiet = args.quiet;
        std::thread::Builder::new()
            .name("shellsweep-scan".into())
            // As much as the main thread it replaces (standard input is scanned on it).
            .stack_size(8 << 20)
            .spawn(move || {
                let _done = done;
                pipeline::run(&engine, &config, &sink, &stats, &stop);
                let outcome = correlate::run(&config, correlation, &sink, &stats, &stop);
                if !quiet && outcome.passes + outcome.dropped > 0 {
                    let _ = sink.send(crate::output::Message::Notice(None, outcome.sentence()));
                }
            })
            .context("cannot start the scan")?
    };
    let signalled = match wake.recv() {
        Ok(Wake::Signal(name)) => Some(name),
        Ok(Wake::Done) | Err(_) => None,
    };
    let finished = match signalled {
        None => true,
        Some(_) => {
            let deadline = Instant::now() + SIGNAL_GRACE;
            loop {
                match wake.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(Wake::Done) | Err(mpsc::RecvTimeoutError::Disconnected) => break true,
                    Ok(Wake::Signal(_)) => {}
                    Err(mpsc::RecvTimeoutError::Timeout) => break false,
                }
            }
        }
    };
    if finished && let Err(panic) = scanner.join() {
        std::panic::resume_unwind(panic);
    }

    let stopped = stop.load(Ordering::Relaxed);
    let summary = stats.snapshot(RunInfo {
        started,
        duration_ms: clock.elapsed().as_millis() as u64,
        rules_loaded: engine.rules().len() + yara.map_or(0, |y| y.rule_count()),
        rule_sets: RuleSets {
            shellsweep: engine.rules().len() - sigma.as_ref().map_or(0, |s| s.loaded),
            sigma: sigma.map(|s| SigmaSet {
                loaded: s.loaded,
                not_applicable: s.not_applicable_total(),
                refused: s.refused,
                with_errors: s.invalid,
            }),
            yara: yara.map(|y| y.rule_count()),
        },
        threads,
        paths: args
            .paths
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect(),
        excludes: excludes.patterns().to_vec(),
        interrupted: stopped,
        indicators_loaded: config.iocs.len(),
        indicators: config
            .iocs
            .counts()
            .into_iter()
            .map(|(k, n)| (k.as_str(), n))
            .collect(),
        ioc_lines_rejected: ioc_rejected,
    });
    // The process ends soon: freeing the compiled rules and the lists piece by piece (4%
    // of the instructions of a scan of an empty folder) is left to the operating system.
    std::mem::forget(engine);
    std::mem::forget(config);
    // A write that failed (a full disk, a closed or failing output) ends the run here, with
    // the state not saved: the next sweep reports again what may not have been written.
    let outcome = output.finish(summary).context(if args.state.is_some() {
        "writing output (the state was not saved)"
    } else {
        "writing output"
    })?;
    let not_saved = if args.state.is_some() {
        "; the state was not saved (the next sweep looks at the same again)"
    } else {
        ""
    };
    if let Some(name) = signalled {
        eprintln!("shellsweep: interrupted by {name}: the scan stopped early{not_saved}");
    }
    // The state moves forward only once the findings it covers are written and synced.
    if let (Some(path), Some(sweep)) = (&args.state, &sweep)
        && !stopped
    {
        let _no_forced_exit = signals::critical();
        sweep.collector.save(path, &ruleset)?;
    }
    // Not delivered to syslog: the findings are in the output all the same, but whoever
    // reads the receiver misses them, which is trouble whatever was found.
    if let (Some(counts), Some((target, _))) = (&outcome.syslog, &syslog_target)
        && counts.undelivered > 0
    {
        eprintln!(
            "shellsweep: syslog {}: {} of {} messages (findings and pivot events) were not \
             delivered (or not confirmed); they are in the output{}",
            for_terminal(target.as_bytes()),
            counts.undelivered,
            counts.undelivered + counts.sent,
            where_written(&args.output, args.format.len())
        );
        return Ok(Status::Trouble);
    }
    // Delivered: the person at the terminal hears so too (the summary line holds the counts).
    if let (Some(counts), Some((target, acknowledged))) = (&outcome.syslog, &syslog_target)
        && !args.quiet
    {
        let again = match counts.resent {
            0 => String::new(),
            n => format!(" ({n} sent again after reconnecting: event.id tells the copies apart)"),
        };
        // UDP has no acknowledgement: handed to the network is all that is known.
        let done = if *acknowledged {
            "delivered"
        } else {
            "sent (UDP: not acknowledged)"
        };
        eprintln!(
            "shellsweep: syslog {}: {} messages {done}{again}",
            for_terminal(target.as_bytes()),
            counts.sent,
        );
    }
    if outcome.broken_pipe && args.state.is_some() {
        eprintln!(
            "shellsweep: the reader of standard output went away before all was written{not_saved}"
        );
        return Ok(Status::Trouble);
    }
    let found = stats.findings_total() > 0;
    Ok(if found {
        Status::Found
    } else if stats.incomplete() || (stopped && !outcome.broken_pipe) {
        Status::Trouble
    } else {
        Status::Clean
    })
}

/// Checked before scanning, with the lock held, so that a state that could not be saved
/// stops the run now and not after the whole scan: the state must be a file (or not exist
/// yet) in a folder where the state can be written. Temporary files left by a run killed
/// while saving (`STATE.tmp.PID`; only the lock holder writes them) are removed.
fn check_state_writable(path: &Path) -> anyhow::Result<()> {
    let shown = for_terminal(path.display().to_string().as_bytes());
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        anyhow::bail!("{shown}: the state is not a regular file, so it could not be saved");
    }
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp_prefix = format!("{name}.tmp.");
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let file_name = e.file_name();
            let left = file_name
                .to_str()
                .and_then(|n| n.strip_prefix(&tmp_prefix))
                .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
            if left {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    // The same name the save uses, so this tries just what it will do.
    let probe = dir.join(format!("{tmp_prefix}{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .with_context(|| {
            format!(
                "{}: the state could not be saved there (checked before scanning)",
                for_terminal(dir.display().to_string().as_bytes())
            )
        })?;
    std::fs::remove_file(&probe).with_context(|| format!("removing {}", probe.display()))?;
    Ok(())
}

/// Threads beyond this many per CPU only add memory (each holds its stack, scratch space
/// and buffers) and contention; waits on slow disks are covered well below it.
const THREADS_PER_CPU: usize = 4;

/// The thread count to use: as asked, at least one, at most [`THREADS_PER_CPU`] per CPU.
fn threads_for(asked: Option<usize>, cpus: usize) -> usize {
    asked
        .unwrap_or(cpus)
        .clamp(1, cpus.max(1).saturating_mul(THREADS_PER_CPU))
}

/// Loads every `--ioc` list. Lines that cannot be used are reported on stderr with their
/// line number (and counted in the summary); the rest of the list is used. A list that
/// gives no indicator at all (empty, or every line rejected: a wrong file, an encoding
/// not recognised) stops the run: a sweep without it would report "clean" for what the
/// list was meant to find.
fn load_iocs(paths: &[std::path::PathBuf]) -> anyhow::Result<LoadedIocs> {
    let mut set = IocSet::default();
    let mut problems = Vec::new();
    let mut useless = Vec::new();
    for p in paths {
        let report = set.load_file(p)?;
        if report.loaded == 0 {
            let name = for_terminal(p.display().to_string().as_bytes());
            useless.push(if report.problems.is_empty() {
                format!("{name}: the IOC list holds no indicator (empty, or only comments)")
            } else {
                format!(
                    "{name}: no usable indicator in the IOC list ({} {} rejected, see above; \
                     `shellsweep ioc check` shows what each line is read as)",
                    report.problems.len(),
                    if report.problems.len() == 1 {
                        "entry"
                    } else {
                        "entries"
                    }
                )
            });
        }
        problems.extend(report.problems);
    }
    problems.extend(set.prepare());
    Ok(LoadedIocs {
        set,
        problems,
        useless,
    })
}

/// IOC lists read off the main thread, with what is to be said of them held until the
/// rules' diagnostics are out.
struct LoadedIocs {
    set: IocSet,
    problems: Vec<crate::ioc::IocProblem>,
    /// Lists that gave nothing to match: each stops the run.
    useless: Vec<String>,
}

impl LoadedIocs {
    /// Prints the rejected entries; the set and how many were rejected, or the error of a
    /// list that holds nothing usable.
    fn report(self) -> anyhow::Result<(IocSet, usize)> {
        for pr in &self.problems {
            let what = if pr.unsupported {
                "unsupported"
            } else {
                "error"
            };
            eprintln!(
                "shellsweep: {}:{}: {what}: {}",
                for_terminal(pr.list.as_bytes()),
                pr.line,
                for_terminal(pr.message.as_bytes())
            );
        }
        if !self.useless.is_empty() {
            anyhow::bail!("{}", self.useless.join("\nshellsweep: "));
        }
        Ok((self.set, self.problems.len()))
    }
}

/// The hash of everything that decides findings: rule files (bundled and added), IOC lists,
/// the severity floor and options that change what a finding says. A change makes the next sweep rescan everything.
fn ruleset_of(args: &ScanArgs, rule_files: &[std::path::PathBuf]) -> anyhow::Result<String> {
    let mut parts: Vec<Vec<u8>> = Vec::new();
    if !args.rules.no_bundled_rules {
        parts.extend(crate::rules::Loader::bundled_texts().map(|t| t.as_bytes().to_vec()));
    }
    // Allowlists are left out: the state keeps findings before any allowlist and applies the
    // current one to what it carries over, so editing an allowlist needs no rescan.
    for p in rule_files.iter().chain(&args.iocs) {
        parts.push(std::fs::read(p).with_context(|| format!("reading {}", p.display()))?);
    }
    parts.push(format!("{:?}", args.min_severity).into_bytes());
    if args.rules.hunt {
        parts.push(b"hunt".to_vec());
    }
    // Carried-over findings keep what they said when found: the IOC severity and the extra
    // hashes. Options at their defaults add nothing, so states from before they counted
    // stay valid.
    if !matches!(args.ioc_severity, SeverityArg::High) {
        parts.push(format!("ioc-severity {:?}", args.ioc_severity).into_bytes());
    }
    if args.hash {
        parts.push(b"hash".to_vec());
    }
    if super::yara_given(&args.rules) && !matches!(args.rules.yara_severity, SeverityArg::High) {
        parts.push(format!("yara-severity {:?}", args.rules.yara_severity).into_bytes());
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    Ok(ruleset_hash(&refs))
}

/// An offset as ECS `event.timezone` takes it: `+02:00`, `-05:30`.
fn offset_text(offset: jiff::tz::Offset) -> String {
    let s = offset.seconds();
    let a = s.unsigned_abs();
    let sign = if s < 0 { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
}

/// Where the findings were written, for the sentence on what syslog missed: the `-o` files,
/// and standard output when a format went there.
fn where_written(outputs: &[std::path::PathBuf], formats: usize) -> String {
    let mut places: Vec<String> = outputs
        .iter()
        .map(|p| for_terminal(p.display().to_string().as_bytes()))
        .collect();
    if formats.max(1) > outputs.len() {
        places.push("standard output".into());
    }
    format!(" ({})", places.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_counts_are_capped_per_cpu() {
        assert_eq!(threads_for(None, 8), 8);
        assert_eq!(threads_for(Some(0), 8), 1);
        assert_eq!(threads_for(Some(20), 8), 20);
        assert_eq!(threads_for(Some(100_000), 2), 8);
        assert_eq!(threads_for(Some(3), 0), 3.min(THREADS_PER_CPU));
    }
}
