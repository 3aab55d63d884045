//! `shellsweep report`.

use anyhow::Context;

use super::Status;
use super::args::ReportArgs;
use crate::output::for_terminal;
use crate::report::{Options, read_files, render};

pub(crate) fn run(args: &ReportArgs) -> anyhow::Result<Status> {
    let report = read_files(&args.inputs).context("cannot read the report's input")?;
    for m in &report.malformed {
        eprintln!(
            "shellsweep: {}:{}: line skipped: {}",
            for_terminal(m.input.as_bytes()),
            m.line,
            for_terminal(m.why.as_bytes())
        );
    }
    let left = report.malformed_total - report.malformed.len() as u64;
    if left > 0 {
        eprintln!("shellsweep: ... and {left} more malformed line(s)");
    }
    let page = render(
        &report,
        &Options {
            events_per_address: args.events_per_address,
            generated: jiff::Timestamp::now()
                .strftime("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
        },
    );
    crate::common::atomic::write_atomically(&args.output, page.as_bytes())
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    eprintln!(
        "shellsweep: report {}: {} run(s), {} file finding(s), {} log finding(s), {} correlation(s), {} pivot event(s), {} baseline change(s){}",
        for_terminal(args.output.as_os_str().as_encoded_bytes()),
        report.runs.len(),
        report.files.len(),
        report.logs.len(),
        report.requested.len() + report.dropped.len(),
        report.pivots.len(),
        report.baseline.len(),
        if report.malformed_total > 0 {
            format!(", {} malformed line(s) skipped", report.malformed_total)
        } else {
            String::new()
        }
    );
    Ok(Status::Clean)
}
