//! The findings sections of the page: file findings grouped by file, log findings by log and
//! client, baseline changes. Sorted most severe first, so the page reads like a triage list.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::escape::html as e;
use super::html::{code, num, opt, rule_head, run_label, sev};
use super::timeline::request_text;
use super::{FileFinding, LogFinding, Report, severity_rank};

/// Groups by (host, path), most severe group first, then by path.
fn by_file<'a>(r: &Report, v: &'a [FileFinding]) -> Vec<((String, String), Vec<&'a FileFinding>)> {
    let mut groups: BTreeMap<(String, String), Vec<&FileFinding>> = BTreeMap::new();
    for f in v {
        let host = r
            .runs
            .get(f.meta.run)
            .map(|x| x.host.clone())
            .unwrap_or_default();
        let path = f.path.clone().unwrap_or_default();
        groups.entry((host, path)).or_default().push(f);
    }
    let mut out: Vec<_> = groups.into_iter().collect();
    for (_, fs) in &mut out {
        fs.sort_by_key(|f| {
            (
                severity_rank(f.meta.severity.as_deref()),
                f.meta.rule_id.clone(),
            )
        });
    }
    out.sort_by_key(|((host, path), fs)| {
        (
            fs.first()
                .map_or(4, |f| severity_rank(f.meta.severity.as_deref())),
            path.clone(),
            host.clone(),
        )
    });
    out
}

pub(super) fn file_findings(s: &mut String, r: &Report) {
    let groups = by_file(r, &r.files);
    let _ = writeln!(
        s,
        "<h2 id=\"files\">2. File findings</h2>\n<p>{} finding(s) in {} file(s).</p>",
        r.files.len(),
        groups.len()
    );
    for ((host, path), fs) in groups {
        let _ = writeln!(
            s,
            "<details class=\"file\" open><summary>{} <code class=\"path\">{}</code> on <code>{}</code> — {} finding(s)</summary>",
            sev(fs[0].meta.severity.as_deref()),
            if path.is_empty() { opt(None) } else { e(&path) },
            e(&host),
            fs.len()
        );
        for f in fs {
            let _ = writeln!(
                s,
                "<div class=\"finding\"><div>{}</div><div class=\"desc\">{}</div>\
                 <div class=\"note\">run {} · size {} · modified {} · SHA-256 {}</div>",
                rule_head(&f.meta),
                opt(f.meta.rule_description.as_deref()),
                run_label(r, f.meta.run),
                num(f.size),
                opt(f.mtime.as_deref()),
                code(f.sha256.as_deref()),
            );
            if f.matches.is_empty() {
                s.push_str("<div class=\"absent\">no matches listed</div>");
            } else {
                s.push_str("<table><tr><th>line</th><th>offset</th><th>length</th><th>pattern</th><th>excerpt</th></tr>\n");
                for m in &f.matches {
                    let view = m
                        .view_excerpt
                        .as_deref()
                        .map(|v| {
                            format!(
                                "<div class=\"note\">canonical view: <code>{}</code></div>",
                                e(v)
                            )
                        })
                        .unwrap_or_default();
                    let _ = writeln!(
                        s,
                        "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td><pre class=\"excerpt\">{}</pre>{view}</td></tr>",
                        num(m.line),
                        num(m.offset),
                        num(m.length),
                        code(m.pattern.as_deref()),
                        opt(m.excerpt.as_deref()),
                    );
                }
                s.push_str("</table>");
            }
            s.push_str("</div>\n");
        }
        s.push_str("</details>\n");
    }
}

pub(super) fn log_findings(s: &mut String, r: &Report) {
    let mut groups: BTreeMap<String, Vec<&LogFinding>> = BTreeMap::new();
    for f in &r.logs {
        groups
            .entry(f.record.log_path.clone().unwrap_or_default())
            .or_default()
            .push(f);
    }
    let _ = writeln!(
        s,
        "<h2 id=\"logs\">2b. Log findings</h2>\n<p>{} finding(s) in {} log(s), by client address, then time.</p>",
        r.logs.len(),
        groups.len()
    );
    for (log, mut fs) in groups {
        fs.sort_by(|a, b| {
            (&a.record.client, &a.record.time, a.record.log_line).cmp(&(
                &b.record.client,
                &b.record.time,
                b.record.log_line,
            ))
        });
        let _ = writeln!(
            s,
            "<details class=\"file\" open><summary><code class=\"path\">{}</code> — {} finding(s)</summary>\
             <table><tr><th>client</th><th>time</th><th>request</th><th>user agent</th><th>rule</th><th>line</th></tr>",
            if log.is_empty() { opt(None) } else { e(&log) },
            fs.len()
        );
        for f in fs {
            let fwd = f
                .record
                .forwarded
                .as_deref()
                .map(|x| format!(" <span class=\"note\">for {}</span>", e(x)))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "<tr><td class=\"addr\"><code>{}</code>{fwd}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}<div class=\"desc\">{}</div></td><td class=\"n\">{}</td></tr>",
                opt(f.record.client.as_deref()),
                opt(f.record.time.as_deref()),
                e(&request_text(&f.record)),
                code(f.record.user_agent.as_deref()),
                rule_head(&f.meta),
                opt(f.meta.rule_description.as_deref()),
                num(f.record.log_line),
            );
        }
        s.push_str("</table></details>\n");
    }
}

pub(super) fn baseline(s: &mut String, r: &Report) {
    let _ = writeln!(
        s,
        "<h2 id=\"baseline\">5. Baseline changes ({})</h2>",
        r.baseline.len()
    );
    if r.baseline.is_empty() {
        s.push_str("<p class=\"absent\">No baseline findings in the inputs (was the scan run with <code>--baseline</code>?).</p>\n");
        return;
    }
    s.push_str("<table><tr><th>change</th><th>severity</th><th>file</th><th>host</th><th>size</th><th>modified</th><th>SHA-256</th><th>details</th></tr>\n");
    let mut v: Vec<&FileFinding> = r.baseline.iter().collect();
    v.sort_by_key(|f| (severity_rank(f.meta.severity.as_deref()), f.path.clone()));
    for f in v {
        let change = f
            .meta
            .rule_id
            .as_deref()
            .and_then(|id| id.strip_prefix("SSW-BASELINE-"))
            .unwrap_or("?");
        let _ = writeln!(
            s,
            "<tr><td><b>{}</b><br><code>{}</code></td><td>{}</td><td><code class=\"path\">{}</code></td><td><code>{}</code></td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(change),
            opt(f.meta.rule_id.as_deref()),
            sev(f.meta.severity.as_deref()),
            opt(f.path.as_deref()),
            e(&r.runs
                .get(f.meta.run)
                .map(|x| x.host.clone())
                .unwrap_or_default()),
            num(f.size),
            opt(f.mtime.as_deref()),
            code(f.sha256.as_deref()),
            opt(f.meta.rule_description.as_deref()),
        );
    }
    s.push_str("</table>\n");
}
