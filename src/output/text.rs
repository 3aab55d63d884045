//! The text format, for a responder deciding what to do: one block per file (or log
//! record) with everything that was found on it and why, and a summary that says what was
//! and was not looked at.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use super::escape::{for_terminal, path_for_terminal};
use crate::common::bytes::path_bytes;
use crate::common::severity::Severity;
use crate::engine::Match;
use crate::finding::{Finding, Subject};
use crate::rules::Stat;
use crate::summary::{Summary, human_bytes};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const GREEN: &str = "\x1b[32m";
const MAGENTA: &str = "\x1b[35m";

/// Descriptions are wrapped to this many columns.
const WIDTH: usize = 100;

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

    fn severity(&self, s: Severity) -> String {
        self.wrap(
            severity_style(s),
            &format!("[{}]", s.as_str().to_ascii_uppercase()),
        )
    }
}

/// A rendered block and where it sorts: by path bytes, then line (0 for a file block).
pub(crate) struct Block {
    pub(crate) path: Vec<u8>,
    pub(crate) line: u64,
    /// Order among the blocks of one message with the same path and line (a file's JSON
    /// findings, in rule order).
    pub(crate) rank: usize,
    pub(crate) text: String,
}

/// Renders one writer message: the findings of one file form one block; log findings form
/// one block per record.
pub(crate) fn blocks(findings: &[Finding], color: bool) -> Vec<Block> {
    let mut groups: Vec<(Vec<u8>, u64, Vec<&Finding>)> = Vec::new();
    for f in findings {
        let path = path_bytes(f.subject.path()).into_owned();
        let line = match &f.subject {
            Subject::File(_) => 0,
            Subject::Log(l) => l.line,
        };
        match groups.iter_mut().find(|(p, l, _)| *p == path && *l == line) {
            Some((_, _, g)) => g.push(f),
            None => groups.push((path, line, vec![f])),
        }
    }
    groups
        .into_iter()
        .map(|(path, line, mut group)| {
            // The strongest reasons first; ties in a fixed order, whatever the arrival.
            group.sort_by(|a, b| {
                b.severity()
                    .cmp(&a.severity())
                    .then(b.rule_severity.cmp(&a.rule_severity))
                    .then(a.rule.id.cmp(&b.rule.id))
            });
            let text = render_block(&group, color);
            Block {
                path,
                line,
                rank: 0,
                text,
            }
        })
        .collect()
}

/// ```text
/// [CRITICAL] var/www/html/x.php
///   score 100: SSW-PHP-003 80 + SSW-HEUR-001 10 + ...; sha256 5c1f...
///   [CRITICAL] SSW-PHP-003  PHP variable function called with request input
///     A variable holding a function name called with request input.
///     ref: https://...
///        4 | @$f($_REQUEST['z']);  (var_call @61)
///   [CRITICAL] SSW-HEUR-001  Server-side script with a long high-entropy blob
///     raised from low by SSW-PHP-003
///     measured: entropy 5.91, longest word 4,812 bytes
/// ```
fn render_block(group: &[&Finding], color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    let first = group[0];
    let top = group
        .iter()
        .map(|f| f.severity())
        .max()
        .unwrap_or(Severity::Low);
    let path = path_for_terminal(first.subject.path());
    match &first.subject {
        Subject::File(file) => {
            let _ = writeln!(out, "{} {}", p.severity(top), p.wrap(MAGENTA, &path));
            let mut facts = Vec::new();
            if let Some(score) = score_line(group) {
                facts.push(score);
            }
            if !file.sha256.is_empty() {
                facts.push(format!("sha256 {}", file.sha256));
            }
            if !facts.is_empty() {
                let _ = writeln!(out, "  {}", p.wrap(DIM, &facts.join("; ")));
            }
        }
        Subject::Log(l) => {
            let label = if first.is_event() {
                p.wrap(DIM, "[EVENT]")
            } else {
                p.severity(top)
            };
            let _ = writeln!(
                out,
                "{} {}",
                label,
                p.wrap(MAGENTA, &format!("{path}:{}", l.line))
            );
            let time = l
                .time
                .map(|t| format!("{} ", crate::common::bytes::rfc3339(t)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "    {}{}",
                p.wrap(DIM, &time),
                for_terminal(&l.original)
            );
        }
    }
    for f in group {
        render_rule(&mut out, &p, f);
    }
    out.push('\n');
    out
}

/// How the file's score adds up: the distinct rules that count (IOC findings do not).
fn score_line(group: &[&Finding]) -> Option<String> {
    let total = group.iter().map(|f| f.file_score).max().unwrap_or(0);
    if total == 0 {
        return None;
    }
    let mut parts: Vec<(String, u8)> = Vec::new();
    for f in group.iter().filter(|f| f.indicator.is_none()) {
        if !parts.iter().any(|(id, _)| *id == f.rule.id) {
            parts.push((f.rule.id.clone(), f.rule.score));
        }
    }
    let sum: u32 = parts.iter().map(|(_, s)| u32::from(*s)).sum();
    let terms: Vec<String> = parts
        .iter()
        .map(|(id, s)| format!("{} {s}", for_terminal(id.as_bytes())))
        .collect();
    let capped = if sum > total { ", capped" } else { "" };
    Some(format!("score {total} ({}{capped})", terms.join(" + ")))
}

fn render_rule(out: &mut String, p: &Paint, f: &Finding) {
    if let Some(pivot) = &f.pivot {
        return super::text_joins::pivot(out, pivot);
    }
    let _ = writeln!(
        out,
        "  {} {}  {}",
        p.severity(f.severity()),
        p.wrap(BOLD, &for_terminal(f.rule.id.as_bytes())),
        for_terminal(f.rule.name.as_bytes())
    );
    if !f.raised_by.is_empty() && f.severity() > f.rule_severity {
        let by: Vec<String> = f
            .raised_by
            .iter()
            .map(|id| for_terminal(id.as_bytes()))
            .collect();
        let _ = writeln!(
            out,
            "    {}",
            p.wrap(
                DIM,
                &format!(
                    "raised from {} by {} (the file's score is {})",
                    f.rule_severity,
                    by.join(", "),
                    f.file_score
                )
            )
        );
    }
    let description = first_sentence(&f.rule.description);
    if !description.is_empty() {
        for line in wrap(&for_terminal(description.as_bytes()), WIDTH - 4) {
            let _ = writeln!(out, "    {line}");
        }
    }
    if let Some(r) = f.rule.references.first() {
        let _ = writeln!(
            out,
            "    {} {}",
            p.wrap(DIM, "ref:"),
            for_terminal(r.as_bytes())
        );
    }
    if !f.measures.is_empty() {
        let m: Vec<String> = f.measures.iter().map(|&(s, v)| measure(s, v)).collect();
        let _ = writeln!(out, "    {} {}", p.wrap(DIM, "measured:"), m.join(", "));
    }
    if !f.selections.is_empty() {
        let s: Vec<String> = f
            .selections
            .iter()
            .map(|s| for_terminal(s.as_bytes()))
            .collect();
        let _ = writeln!(out, "    {} {}", p.wrap(DIM, "selections:"), s.join(", "));
    }
    if let Some(hit) = &f.indicator {
        let ind = &hit.indicator;
        let _ = writeln!(
            out,
            "    {} {} = {} ({}:{})",
            p.wrap(DIM, "indicator"),
            for_terminal(hit.field.as_bytes()),
            for_terminal(&hit.matched),
            for_terminal(ind.list.as_bytes()),
            ind.line
        );
        if let Some(d) = &ind.description {
            let _ = writeln!(out, "    {}", for_terminal(d.as_bytes()));
        }
    }
    super::text_joins::correlation(out, f);
    render_matches(out, p, f);
}

/// Every distinct reported match: one row per line and excerpt, naming each pattern that
/// matched there with its byte offset in the file.
fn render_matches(out: &mut String, p: &Paint, f: &Finding) {
    // In a log, match lines and offsets count from the record; shown from the file's start.
    let (line_base, offset_base) = match &f.subject {
        Subject::Log(l) => (l.line.saturating_sub(1), l.offset),
        Subject::File(_) => (0, 0),
    };
    // One row per line: the excerpt around its first match, then every pattern that
    // matched on the line at its offset (a long line's later excerpts are in the JSON).
    struct Row<'a> {
        line: u64,
        excerpt: &'a [u8],
        views: Vec<&'a [u8]>,
        names: Vec<String>,
    }
    let mut rows: Vec<Row<'_>> = Vec::new();
    let mut seen: Vec<(&str, u64, u64)> = Vec::new();
    for m in &f.matches {
        let Match {
            pattern,
            offset,
            length,
            ..
        } = m;
        if seen.contains(&(pattern.as_str(), *offset, *length)) {
            continue;
        }
        seen.push((pattern, *offset, *length));
        let line = line_base + m.line;
        let name = format!(
            "{} @{}",
            for_terminal(pattern.as_bytes()),
            offset_base + offset
        );
        let view = m.view_excerpt.as_deref();
        match rows.iter_mut().find(|r| r.line == line) {
            Some(r) => {
                r.names.push(name);
                if let Some(v) = view
                    && !r.views.contains(&v)
                {
                    r.views.push(v);
                }
            }
            None => rows.push(Row {
                line,
                excerpt: &m.excerpt,
                views: view.into_iter().collect(),
                names: vec![name],
            }),
        }
    }
    let width = rows
        .iter()
        .map(|r| r.line.to_string().len())
        .max()
        .unwrap_or(1);
    for r in &rows {
        let _ = writeln!(
            out,
            "    {} {} {}  {}",
            p.wrap(GREEN, &format!("{:>width$}", r.line)),
            p.wrap(DIM, "|"),
            for_terminal(r.excerpt),
            p.wrap(DIM, &format!("({})", r.names.join(", ")))
        );
        // What the rule saw once the obfuscation was undone, under the raw line.
        for view in &r.views {
            let _ = writeln!(
                out,
                "    {:>width$} {} {}",
                "",
                p.wrap(DIM, "= deobfuscated:"),
                for_terminal(view)
            );
        }
    }
    // An IOC finding has its indicator, not pattern matches: nothing is left unshown.
    let reported = f.matches.len() as u64;
    if reported > 0 && f.match_count > reported {
        let more = f.match_count - reported;
        let _ = writeln!(
            out,
            "    {}",
            p.wrap(
                DIM,
                &format!(
                    "… {more} more {} not shown ({} in all)",
                    plural(more, "match", "matches"),
                    f.match_count
                )
            )
        );
    }
}

fn measure(stat: Stat, v: f64) -> String {
    match stat {
        Stat::Entropy => format!("entropy {v:.2} bits per byte"),
        Stat::LongestWord => format!("longest word {} bytes", thousands(v as u64)),
        Stat::LongestLine => format!("longest line {} bytes", thousands(v as u64)),
        Stat::CompressionRatio => format!("compression ratio {v:.2}"),
    }
}

/// The description's first sentence, white space collapsed: the rest is in `rules show`.
fn first_sentence(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
        let next_starts_sentence = words
            .get(i + 1)
            .and_then(|n| n.chars().next())
            .is_some_and(|c| c.is_uppercase());
        if w.ends_with('.') && next_starts_sentence && !w.ends_with("e.g.") && !w.ends_with("i.e.")
        {
            break;
        }
    }
    out
}

/// Greedy word wrap; a word longer than the width gets a line of its own.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for w in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + w.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// `4812` as `4,812`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// `3 files`, `1 file`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), plural(n, one, many))
}

/// What the writer saw, for the summary: files and logs with findings.
#[derive(Default)]
pub(crate) struct Seen {
    pub(crate) files: u64,
    pub(crate) logs: u64,
}

/// ```text
/// shellsweep: scanned 12 files (1.2 MiB) and 2 logs (43 records, 8.6 KiB) with 101 rules in 461 ms
///   48 findings shown (2 critical, 10 high, 36 medium) in 7 files and 1 log; 93 below critical not shown
///   21 of 43 log records outside the --since/--until window, not examined
///   skipped: 1 symlink, 2 too large
///   0 errors; complete
/// ```
pub(crate) fn write_summary(
    w: &mut dyn Write,
    s: &Summary,
    min_severity: Severity,
    seen: &Seen,
    color: bool,
) -> io::Result<()> {
    let p = Paint { on: color };
    let mut lines: Vec<String> = Vec::new();
    let files = format!(
        "{} ({})",
        count(s.files_scanned, "file", "files"),
        human_bytes(s.bytes_scanned)
    );
    let logs = format!(
        "{} ({}, {})",
        count(s.logs.logs_scanned, "log", "logs"),
        count(s.logs.records, "record", "records"),
        human_bytes(s.logs.bytes)
    );
    let what = match (s.files_scanned, s.logs.logs_scanned) {
        (_, 0) => files,
        (0, _) => logs,
        _ => format!("{files} and {logs}"),
    };
    lines.push(format!(
        "shellsweep: scanned {what} with {} in {} ms",
        count(s.run.rules_loaded as u64, "rule", "rules"),
        thousands(s.run.duration_ms)
    ));
    if s.run.indicators_loaded > 0 {
        let kinds: Vec<String> = s
            .run
            .indicators
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        lines.push(format!(
            "  {} ({}) loaded from IOC lists",
            count(s.run.indicators_loaded as u64, "indicator", "indicators"),
            kinds.join(", ")
        ));
    }
    let mut findings = if s.findings_total == 0 {
        "no findings".to_owned()
    } else {
        // Most severe first.
        let by_sev: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .filter_map(|sev| {
                let n = s.findings.get(sev.as_str()).copied().unwrap_or(0);
                (n > 0).then(|| format!("{} {sev}", thousands(n)))
            })
            .collect();
        let mut where_ = Vec::new();
        if seen.files > 0 {
            where_.push(count(seen.files, "file", "files"));
        }
        if seen.logs > 0 {
            where_.push(count(seen.logs, "log", "logs"));
        }
        let mut t = format!(
            "{} shown ({})",
            count(s.findings_total, "finding", "findings"),
            by_sev.join(", ")
        );
        if !where_.is_empty() {
            t.push_str(&format!(" in {}", where_.join(" and ")));
        }
        t
    };
    if s.findings_below_min_severity > 0 {
        findings.push_str(&format!(
            "; {} below {min_severity} not shown (--min-severity)",
            thousands(s.findings_below_min_severity)
        ));
    }
    if s.findings_allowed > 0 {
        findings.push_str(&format!(
            "; {} silenced by the allowlist",
            thousands(s.findings_allowed)
        ));
    }
    lines.push(format!("  {findings}"));
    if s.pivot.events_not_shown > 0 || s.pivot.addresses_refused > 0 {
        let mut parts = Vec::new();
        if s.pivot.events_not_shown > 0 {
            parts.push(format!(
                "{} shown, {} not shown (past the first of each address)",
                count(s.pivot.events, "pivot event", "pivot events"),
                thousands(s.pivot.events_not_shown)
            ));
        }
        if s.pivot.addresses_refused > 0 {
            parts.push(format!(
                "{} whose exploit requests were all refused not followed",
                count(s.pivot.addresses_refused, "address", "addresses")
            ));
        }
        lines.push(format!("  {}", parts.join("; ")));
    }
    if s.logs.records_outside_window > 0 {
        lines.push(format!(
            "  {} of {} outside the --since/--until window, not examined",
            thousands(s.logs.records_outside_window),
            count(s.logs.records, "log record", "log records"),
        ));
    }
    if s.logs.lines_truncated > 0 {
        lines.push(format!(
            "  {} over the line limit, matched on their start only",
            count(s.logs.lines_truncated, "log line", "log lines")
        ));
    }
    if s.files_unchanged > 0 || s.logs.resumed > 0 {
        let mut parts = Vec::new();
        if s.files_unchanged > 0 {
            parts.push(format!(
                "{} unchanged since the last sweep, not rescanned",
                count(s.files_unchanged, "file", "files")
            ));
        }
        if s.logs.resumed > 0 {
            parts.push(format!(
                "{} resumed where the last sweep stopped",
                count(s.logs.resumed, "log", "logs")
            ));
        }
        lines.push(format!("  {}", parts.join("; ")));
    }
    if s.files_without_rules > 0 {
        lines.push(format!(
            "  {} no rule applies to (by extension or path), not read",
            count(s.files_without_rules, "file", "files")
        ));
    }
    if !s.files_skipped.is_empty() {
        let parts: Vec<String> = s
            .files_skipped
            .iter()
            .map(|(k, n)| format!("{} {}", thousands(*n), k.replace('_', " ")))
            .collect();
        lines.push(format!("  skipped: {}", parts.join(", ")));
    }
    let verdict = if s.complete {
        "complete".to_owned()
    } else {
        p.wrap("\x1b[1;33m", "INCOMPLETE: not everything could be scanned")
    };
    lines.push(format!(
        "  {}; {verdict}",
        count(s.errors, "error", "errors")
    ));
    let style = if !s.complete {
        "\x1b[1;33m"
    } else if s.findings_total > 0 {
        "\x1b[1;31m"
    } else {
        "\x1b[1;32m"
    };
    lines[0] = p.wrap(style, &lines[0]);
    for l in lines {
        writeln!(w, "{l}")?;
    }
    Ok(())
}

/// A path for `--files-with-findings`.
pub(crate) fn path_line(path: &Path) -> String {
    path_for_terminal(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_sentences_and_wrapping() {
        assert_eq!(
            first_sentence("A PHP file.  It runs\n  code. More."),
            "A PHP file."
        );
        assert_eq!(
            first_sentence("Uses e.g. Foo. Then"),
            "Uses e.g. Foo.",
            "e.g. does not end a sentence"
        );
        assert_eq!(first_sentence("no stop at all"), "no stop at all");
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("abcdefgh x", 3), ["abcdefgh", "x"]);
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(4812), "4,812");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(count(1, "file", "files"), "1 file");
        assert_eq!(count(0, "file", "files"), "0 files");
        assert_eq!(
            measure(Stat::LongestWord, 4812.0),
            "longest word 4,812 bytes"
        );
        assert_eq!(measure(Stat::Entropy, 5.912), "entropy 5.91 bits per byte");
    }
}
