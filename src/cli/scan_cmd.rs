//! `shellsweep scan`.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::Context;

use super::args::ScanArgs;
use super::{Status, load_engine};
use crate::finding::Observer;
use crate::output::{Output, OutputConfig};
use crate::read::{ReadPolicy, file_id};
use crate::scan::{self, ScanConfig};
use crate::summary::{RunInfo, Stats};
use crate::walk::{Excludes, WalkConfig};

pub(crate) fn run(args: ScanArgs) -> anyhow::Result<Status> {
    let started = jiff::Timestamp::now();
    let clock = Instant::now();
    let Some((engine, rule_files)) = load_engine(&args.rules, args.quiet)? else {
        return Ok(Status::Trouble);
    };
    let engine = Arc::new(engine);
    let excludes = Excludes::new(&args.exclude).context("bad --exclude glob")?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);

    let stats = Arc::new(Stats::default());
    let stop = Arc::new(AtomicBool::new(false));
    let output_config = OutputConfig {
        format: args.format,
        file: args.output.clone(),
        quiet: args.quiet,
    };
    let output = Output::start(
        output_config,
        Observer::here(),
        Arc::clone(&stats),
        Arc::clone(&stop),
    )
    .with_context(|| match &args.output {
        Some(p) => format!("cannot open output file {}", p.display()),
        None => "cannot start the output writer".into(),
    })?;

    // The scanner's own files are never findings, even inside the scanned tree: its output
    // (which quotes what it found), its rule files (which hold the signatures) and itself.
    let mut own_files: HashSet<(u64, u64)> = rule_files.iter().filter_map(|p| file_id(p)).collect();
    own_files.extend(args.output.as_deref().and_then(file_id));
    own_files.extend(std::env::current_exe().ok().as_deref().and_then(file_id));

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
        min_severity: args.min_severity.into(),
    };
    let sink = output.sender();
    scan::run(&engine, &config, &sink, &stats, &stop);
    drop(sink);

    let stopped = stop.load(std::sync::atomic::Ordering::Relaxed);
    let summary = stats.snapshot(RunInfo {
        started,
        duration_ms: clock.elapsed().as_millis() as u64,
        rules_loaded: engine.rules().len(),
        threads,
        paths: args
            .paths
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect(),
        excludes: excludes.patterns().to_vec(),
        interrupted: stopped,
    });
    let outcome = output.finish(summary).context("writing output")?;
    let found = stats.findings_total() > 0;
    Ok(if found {
        Status::Found
    } else if stats.incomplete() || (stopped && !outcome.broken_pipe) {
        Status::Trouble
    } else {
        Status::Clean
    })
}
