//! The text format, for people reading a terminal or a report.

use std::io::{self, Write};

use super::escape::{for_terminal, path_for_terminal};
use crate::finding::{Finding, Subject};
use crate::rules::Severity;
use crate::summary::Summary;

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const GREEN: &str = "\x1b[32m";
const MAGENTA: &str = "\x1b[35m";

fn severity_style(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "\x1b[1;41;97m",
        Severity::High => "\x1b[1;31m",
        Severity::Medium => "\x1b[1;33m",
        Severity::Low => "\x1b[36m",
    }
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, style: &str, text: &str) -> String {
        if self.on {
            format!("{style}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}

/// ```text
/// [HIGH] SSW-WEBSHELL-003  PHP command execution of request input
///   var/www/html/x.php:3
///      3 | system($_GET['c']);                      (sink_system)
/// ```
pub(crate) fn write_finding(w: &mut dyn Write, f: &Finding, color: bool) -> io::Result<()> {
    let p = Paint { on: color };
    let sev = format!("[{}]", f.severity().as_str().to_ascii_uppercase());
    writeln!(
        w,
        "{} {}  {}",
        p.wrap(severity_style(f.severity()), &sev),
        p.wrap(BOLD, &for_terminal(f.rule.id.as_bytes())),
        for_terminal(f.rule.name.as_bytes())
    )?;
    let path = path_for_terminal(f.subject.path());
    let location = match f.line() {
        Some(line) => format!("{path}:{line}"),
        None => path,
    };
    writeln!(w, "  {}", p.wrap(MAGENTA, &location))?;
    if let Subject::Log(l) = &f.subject {
        let time = l
            .time
            .map(|t| format!("{} ", crate::finding::rfc3339(t)))
            .unwrap_or_default();
        writeln!(w, "    {}{}", p.wrap(DIM, &time), for_terminal(&l.original))?;
    }
    if let Some(hit) = &f.indicator {
        let ind = &hit.indicator;
        writeln!(
            w,
            "    {} {} = {} ({}:{})",
            p.wrap(DIM, "indicator"),
            for_terminal(hit.field.as_bytes()),
            for_terminal(&hit.matched),
            for_terminal(ind.list.as_bytes()),
            ind.line
        )?;
    }
    let width = f
        .matches
        .iter()
        .map(|m| m.line.to_string().len())
        .max()
        .unwrap_or(1);
    // Several matches on one line show the line once, with every pattern that matched there.
    let mut i = 0;
    while i < f.matches.len() {
        let m = &f.matches[i];
        let mut names: Vec<String> = Vec::new();
        while i < f.matches.len() && f.matches[i].line == m.line {
            let name = for_terminal(f.matches[i].pattern.as_bytes());
            if !names.contains(&name) {
                names.push(name);
            }
            i += 1;
        }
        writeln!(
            w,
            "    {} {} {}  {}",
            p.wrap(GREEN, &format!("{:>width$}", m.line)),
            p.wrap(DIM, "|"),
            for_terminal(&m.excerpt),
            p.wrap(DIM, &format!("({})", names.join(", ")))
        )?;
        // What the rule saw once the obfuscation was undone, under the raw line.
        if let Some(view) = &m.view_excerpt {
            writeln!(
                w,
                "    {:>width$} {} {}",
                "",
                p.wrap(DIM, "= deobfuscated:"),
                for_terminal(view)
            )?;
        }
    }
    let shown = f.matches.len() as u64;
    if f.match_count > shown {
        writeln!(
            w,
            "    {}",
            p.wrap(DIM, &format!("… {} more matches", f.match_count - shown))
        )?;
    }
    writeln!(w)
}

pub(crate) fn write_summary(w: &mut dyn Write, s: &Summary, color: bool) -> io::Result<()> {
    let p = Paint { on: color };
    let style = if !s.complete {
        "\x1b[1;33m"
    } else if s.findings_total > 0 {
        "\x1b[1;31m"
    } else {
        "\x1b[1;32m"
    };
    writeln!(
        w,
        "{}",
        p.wrap(style, &format!("shellsweep: {}", s.sentence()))
    )
}
