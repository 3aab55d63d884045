//! `shellsweep ioc check`.

use std::io::Write;
use std::path::PathBuf;

use super::Status;
use crate::ioc::IocSet;
use crate::output::for_terminal;

pub(crate) fn check(paths: &[PathBuf]) -> anyhow::Result<Status> {
    let mut out = std::io::stdout().lock();
    let mut malformed = 0;
    for p in paths {
        let mut set = IocSet::default();
        let report = set.load_file(p)?;
        let mut problems = report.problems;
        problems.extend(set.prepare());
        let name = for_terminal(p.display().to_string().as_bytes());
        let kinds: Vec<String> = set
            .counts()
            .iter()
            .map(|(k, n)| format!("{} {n}", k.as_str()))
            .collect();
        let unsupported = problems.iter().filter(|p| p.unsupported).count();
        let bad = problems.len() - unsupported;
        writeln!(
            out,
            "{name}: {} list, {} indicators{}{}, {bad} malformed, {unsupported} unsupported",
            report.format.as_str(),
            set.len(),
            if kinds.is_empty() { "" } else { ": " },
            kinds.join(", "),
        )?;
        let wildcards = set.wildcard_domains();
        if wildcards > 0 {
            writeln!(
                out,
                "{name}: {wildcards} wildcard {} (`*.evil.example`, `.evil.example`): \
                 each matches the domain and every subdomain",
                if wildcards == 1 { "domain" } else { "domains" }
            )?;
        }
        if set.is_empty() {
            writeln!(
                out,
                "{name}: no usable indicator: `scan --ioc` refuses this list"
            )?;
            malformed += 1;
        }
        for pr in &problems {
            let what = if pr.unsupported {
                "unsupported"
            } else {
                "error"
            };
            writeln!(
                out,
                "{name}:{}: {what}: {}",
                pr.line,
                for_terminal(pr.message.as_bytes())
            )?;
        }
        malformed += bad;
    }
    Ok(if malformed > 0 {
        Status::Trouble
    } else {
        Status::Clean
    })
}
