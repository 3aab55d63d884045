//! The page. Written with `write!` into one string: no template engine, no script, and one
//! escape function for every string that came from the inputs. The page's
//! Content-Security-Policy allows no script and no load of any kind, so even a mistake in
//! escaping could not make it run code or reach the network.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::escape::html as e;
use super::timeline::{self, request_text};
use super::{FileFinding, Meta, Report, Verdict, severity_rank, svg};

/// Choices of the caller.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// Rows of the event table per client address; the rest are counted.
    pub(crate) events_per_address: usize,
    /// When the page was made (shown; a parameter so tests can fix it).
    pub(crate) generated: String,
}

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'";

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;max-width:1280px}
h1{font-size:1.6em;margin:.2em 0} h2{border-bottom:2px solid #444;margin-top:1.6em}
table{border-collapse:collapse;margin:.4em 0 1em;width:100%}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0} td.n{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap;word-break:break-all;margin:0}
.absent{color:#888;font-style:italic}
.banner{padding:.8em 1em;margin:1em 0;border:3px solid;font-weight:bold;font-size:1.1em}
.banner.bad{background:#ffe1e1;border-color:#c00;color:#800}
.banner.warn{background:#fff4d6;border-color:#c80;color:#640}
.banner.ok{background:#e5f6e5;border-color:#393;color:#141}
.verdict-bad{background:#c00;color:#fff;font-weight:bold;padding:2px 6px}
.verdict-ok{background:#393;color:#fff;padding:2px 6px}
.sev{display:inline-block;min-width:5em;text-align:center;font-weight:bold;padding:1px 4px;border-radius:3px}
.sev-critical{background:#7a0000;color:#fff}.sev-high{background:#d33;color:#fff}
.sev-medium{background:#f0a030}.sev-low{background:#cde}.sev-unknown{background:#ddd}
details.file{border:1px solid #bbb;margin:.5em 0;padding:.3em .6em}
details.file>summary{cursor:pointer;font-weight:bold}
.finding{margin:.6em 0 .6em 1em}
.desc{color:#333;margin:.2em 0}
.note{color:#555}
svg.timeline{max-width:100%;height:auto;border:1px solid #ccc;background:#fff}
svg .grid{stroke:#e2e2e2} svg .lane{stroke:#f0f0f0} svg text{font:11px sans-serif;fill:#222}
svg .axis{font-weight:bold}
.k-alert{fill:#c00}.k-dropped{fill:#7b2fbf}.k-webshell{fill:#e07b00}.k-other{fill:#777}
"#;

pub(crate) fn render(r: &Report, o: &Options) -> String {
    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>shellsweep report</title><style>{STYLE}</style></head><body>\n\
         <h1>shellsweep report</h1>\n<p class=\"note\">Made {} from {} input(s): {}</p>\n",
        e(&o.generated),
        r.inputs.len(),
        r.inputs
            .iter()
            .map(|i| format!("<code>{}</code>", e(i)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    banners(&mut s, r);
    runs(&mut s, r);
    file_findings(&mut s, r);
    log_findings(&mut s, r);
    correlations(&mut s, r);
    attacker_timeline(&mut s, r, o);
    baseline(&mut s, r);
    input_problems(&mut s, r);
    s.push_str("</body></html>\n");
    s
}

/// Absent fields are said to be absent rather than left blank, so a reader can tell "no
/// value" from "empty value".
fn opt(v: Option<&str>) -> String {
    match v {
        Some(v) => e(v),
        None => "<span class=\"absent\">absent</span>".to_owned(),
    }
}

fn num(v: Option<u64>) -> String {
    v.map_or_else(|| opt(None), |n| n.to_string())
}

fn code(v: Option<&str>) -> String {
    match v {
        Some(v) => format!("<code>{}</code>", e(v)),
        None => opt(None),
    }
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        return "<span class=\"absent\">none</span>".to_owned();
    }
    v.iter()
        .map(|x| format!("<code>{}</code>", e(x)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn sev(name: Option<&str>) -> String {
    let known = matches!(name, Some("critical" | "high" | "medium" | "low"));
    let class = if known {
        name.unwrap_or("unknown")
    } else {
        "unknown"
    };
    format!(
        "<span class=\"sev sev-{class}\">{}</span>",
        e(name.unwrap_or("unknown"))
    )
}

fn run_label(r: &Report, run: usize) -> String {
    r.runs.get(run).map_or_else(
        || opt(None),
        |x| {
            format!(
                "<code>{}</code> on <code>{}</code>",
                e(short(&x.id)),
                e(&x.host)
            )
        },
    )
}

fn short(id: &str) -> &str {
    if id.is_empty() {
        "(no run id)"
    } else {
        id.get(..12).unwrap_or(id)
    }
}

fn banners(s: &mut String, r: &Report) {
    let bad: Vec<String> = r
        .runs
        .iter()
        .filter_map(|run| {
            let why = match run.verdict() {
                Verdict::Complete => return None,
                Verdict::Incomplete(why) => why.join("; "),
                Verdict::NoSummary => {
                    "no summary line: the run was killed or its output cut short".to_owned()
                }
            };
            Some(format!(
                "<li>run <code>{}</code> on <code>{}</code>: {}</li>",
                e(short(&run.id)),
                e(&run.host),
                e(&why)
            ))
        })
        .collect();
    if !bad.is_empty() {
        let _ = writeln!(
            s,
            "<div class=\"banner bad\" id=\"incomplete\">INCOMPLETE: {} of {} run(s) did not scan everything. \
             Missing findings are possible; this page is not a clean bill of health.<ul>{}</ul></div>",
            bad.len(),
            r.runs.len(),
            bad.concat()
        );
    }
    if r.malformed_total > 0 {
        let _ = writeln!(
            s,
            "<div class=\"banner warn\" id=\"malformed\">{} input line(s) could not be read and are not in this page (see \
             <a href=\"#input-problems\">input problems</a>).</div>",
            r.malformed_total
        );
    }
    if r.runs.is_empty() {
        s.push_str("<div class=\"banner warn\">The inputs hold no shellsweep lines.</div>\n");
    }
    let alerts =
        r.files.len() + r.logs.len() + r.requested.len() + r.dropped.len() + r.baseline.len();
    if bad.is_empty() && r.malformed_total == 0 && !r.runs.is_empty() {
        let _ = writeln!(
            s,
            "<div class=\"banner {}\">All {} run(s) were complete. {} finding(s).</div>",
            if alerts == 0 { "ok" } else { "warn" },
            r.runs.len(),
            alerts
        );
    }
}

fn runs(s: &mut String, r: &Report) {
    s.push_str("<h2 id=\"runs\">1. Runs</h2>\n<table><tr><th>host</th><th>run id</th><th>time</th><th>paths</th>\
                <th>files scanned</th><th>findings</th><th>skipped</th><th>errors</th><th>logs (records)</th><th>state</th></tr>\n");
    for run in &r.runs {
        let sm = run.summary.as_ref();
        let time = sm
            .and_then(|x| x.start.as_deref())
            .or(run.first_seen.as_deref());
        let findings = sm.map_or_else(
            || opt(None),
            |x| {
                let mut v: Vec<&(String, u64)> = x.findings.iter().collect();
                v.sort_by_key(|(k, _)| (severity_rank(Some(k)), k.clone()));
                let parts: Vec<String> = v.iter().map(|(k, n)| format!("{n} {}", e(k))).collect();
                format!(
                    "{} total{}{}",
                    num(x.findings_total),
                    if parts.is_empty() { "" } else { ": " },
                    parts.join(", ")
                )
            },
        );
        let skipped = sm.map_or_else(
            || opt(None),
            |x| {
                if x.skipped.is_empty() {
                    "0".to_owned()
                } else {
                    x.skipped
                        .iter()
                        .map(|(k, n)| format!("{n} {}", e(&k.replace('_', " "))))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            },
        );
        let state = match run.verdict() {
            Verdict::Complete => "<span class=\"verdict-ok\">complete</span>".to_owned(),
            Verdict::Incomplete(why) => format!(
                "<span class=\"verdict-bad\">INCOMPLETE</span> {}",
                e(&why.join("; "))
            ),
            Verdict::NoSummary => {
                "<span class=\"verdict-bad\">NO SUMMARY — CUT SHORT</span>".to_owned()
            }
        };
        let _ = writeln!(
            s,
            "<tr title=\"{}\"><td><code>{}</code></td><td><code>{id}</code></td><td>{}</td><td>{}</td>\
             <td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{} ({})</td><td>{}</td></tr>",
            e(sm.and_then(|x| x.message.as_deref()).unwrap_or("")),
            e(if run.host.is_empty() {
                "(no host name)"
            } else {
                &run.host
            }),
            match sm.and_then(|x| x.duration_ms) {
                Some(ms) => format!("{}<div class=\"note\">{ms} ms</div>", opt(time)),
                None => opt(time),
            },
            sm.map_or_else(|| opt(None), |x| list(&x.paths)),
            num(sm.and_then(|x| x.files_scanned)),
            findings,
            skipped,
            num(sm.and_then(|x| x.errors)),
            num(sm.and_then(|x| x.logs_scanned)),
            num(sm.and_then(|x| x.records)),
            state,
            id = e(if run.id.is_empty() {
                "(no run id)"
            } else {
                &run.id
            }),
        );
    }
    s.push_str("</table>\n");
    for run in r.runs.iter().filter(|run| !run.gaps.is_empty()) {
        let _ = writeln!(
            s,
            "<details><summary>{} error/skip line(s) of run <code>{}</code> on <code>{}</code></summary><ul>",
            run.gaps.len(),
            e(short(&run.id)),
            e(&run.host)
        );
        for g in run.gaps.iter().take(200) {
            let _ = writeln!(
                s,
                "<li>{}<code>{}</code></li>",
                if g.gap { "<b>gap:</b> " } else { "" },
                e(&g.message)
            );
        }
        if run.gaps.len() > 200 {
            let _ = writeln!(s, "<li>… and {} more</li>", run.gaps.len() - 200);
        }
        s.push_str("</ul></details>\n");
    }
}

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

/// Severity, rule id and name; the event id and message as a tooltip, so a finding can be
/// looked up in the JSON lines or a SIEM.
fn rule_head(m: &Meta) -> String {
    format!(
        "<span title=\"event.id {} — {}\">{} <code>{}</code> {}</span>",
        e(m.event_id.as_deref().unwrap_or("absent")),
        e(m.message.as_deref().unwrap_or("")),
        sev(m.severity.as_deref()),
        opt(m.rule_id.as_deref()),
        m.rule_name.as_deref().map(e).unwrap_or_default()
    )
}

fn file_findings(s: &mut String, r: &Report) {
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

fn log_findings(s: &mut String, r: &Report) {
    let mut groups: BTreeMap<String, Vec<&super::LogFinding>> = BTreeMap::new();
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
                "<tr><td><code>{}</code>{fwd}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}<div class=\"desc\">{}</div></td><td class=\"n\">{}</td></tr>",
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

fn correlations(s: &mut String, r: &Report) {
    let _ = writeln!(
        s,
        "<h2 id=\"correlation\">3. Correlated requests</h2>\n<h3>Webshells requested ({})</h3>",
        r.requested.len()
    );
    let mut req: Vec<_> = r.requested.iter().collect();
    req.sort_by_key(|q| {
        (
            severity_rank(q.meta.severity.as_deref()),
            q.file_path.clone(),
        )
    });
    if req.is_empty() {
        s.push_str("<p class=\"absent\">No request for a found file in the inputs.</p>\n");
    }
    for q in req {
        let _ = writeln!(
            s,
            "<details class=\"file\" open><summary>{} <code class=\"path\">{}</code> — {} request(s), {} not found (404)</summary><table>\
             <tr><th>URL paths</th><td>{}</td></tr><tr><th>joined by</th><td>{} {}</td></tr>\
             <tr><th>first / last</th><td>{} / {}</td></tr><tr><th>clients</th><td>{}</td></tr>\
             <tr><th>methods</th><td>{}</td></tr><tr><th>statuses</th><td>{}</td></tr>\
             <tr><th>user agents</th><td>{}</td></tr><tr><th>request events</th><td>{}{}</td></tr>\
             <tr><th>rule</th><td>{} · run {}</td></tr></table></details>",
            sev(q.meta.severity.as_deref()),
            opt(q.file_path.as_deref()),
            num(q.count),
            num(q.not_found),
            list(&q.url_paths),
            opt(q.join.as_deref()),
            q.join_source
                .as_deref()
                .map(|j| format!("({})", e(j)))
                .unwrap_or_default(),
            opt(q.first.as_deref()),
            opt(q.last.as_deref()),
            list(&q.clients),
            list(&q.methods),
            list(&q.statuses),
            list(&q.user_agents),
            q.event_ids.len(),
            if q.event_ids_truncated {
                " (list truncated by the scanner)"
            } else {
                ""
            },
            rule_head(&q.meta),
            run_label(r, q.meta.run),
        );
    }
    let _ = writeln!(
        s,
        "<h3>Scripts dropped after an exploit request ({})</h3>",
        r.dropped.len()
    );
    if r.dropped.is_empty() {
        s.push_str("<p class=\"absent\">None in the inputs.</p>\n");
        return;
    }
    s.push_str("<table><tr><th>finding</th><th>exploit request</th><th>client</th><th>exploit rule</th><th>seen in</th><th>dropped file</th><th>file time</th><th>delay</th></tr>\n");
    let mut dropped: Vec<_> = r.dropped.iter().collect();
    dropped.sort_by(|a, b| a.exploit_time.cmp(&b.exploit_time));
    for d in dropped {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td title=\"event.id {}\">{}<br><code>{} {}</code></td><td><code>{}</code></td><td>{}</td><td>{}:{}</td><td><code class=\"path\">{}</code></td><td>{} ({})</td><td class=\"n\">{}</td></tr>",
            rule_head(&d.meta),
            e(d.exploit_event_id.as_deref().unwrap_or("absent")),
            opt(d.exploit_time.as_deref()),
            opt(d.method.as_deref()),
            opt(d.url_path.as_deref()),
            opt(d.client.as_deref()),
            code(d.exploit_rule_id.as_deref()),
            code(d.log_path.as_deref()),
            num(d.log_line),
            opt(d.file_path.as_deref()),
            opt(d.file_time.as_deref()),
            opt(d.file_time_kind.as_deref()),
            d.delay_seconds
                .map_or_else(|| opt(None), |x| format!("{x} s")),
        );
    }
    s.push_str("</table>\n");
}

fn attacker_timeline(s: &mut String, r: &Report, o: &Options) {
    let t = timeline::build(r);
    let _ = writeln!(
        s,
        "<h2 id=\"timeline\">4. Attacker timeline</h2>\n<p>{} event(s) from {} client address(es): log findings, \
         pivot events and drops.{}</p>",
        t.marks.len(),
        {
            let mut a: Vec<&str> = t.marks.iter().map(|m| m.address.as_str()).collect();
            a.sort_unstable();
            a.dedup();
            a.len()
        },
        if t.undated > 0 {
            format!(
                " {} event(s) without a time or client address are not on it.",
                t.undated
            )
        } else {
            String::new()
        }
    );
    s.push_str(&svg::chart(&t.marks));
    if t.marks.is_empty() {
        return;
    }
    let mut shown: BTreeMap<&str, usize> = BTreeMap::new();
    s.push_str("<table id=\"events\"><tr><th>time (UTC)</th><th>client</th><th>kind</th><th>what</th><th>why</th><th>where</th></tr>\n");
    for m in &t.marks {
        let n = shown.entry(&m.address).or_default();
        *n += 1;
        if *n > o.events_per_address {
            continue;
        }
        let _ = writeln!(
            s,
            "<tr class=\"{}\"><td>{}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            m.kind.class(),
            e(&m.time.strftime("%Y-%m-%d %H:%M:%S").to_string()),
            e(&m.address),
            e(m.kind.label()),
            e(&m.what),
            e(&m.why),
            code(m.place.as_deref()),
        );
    }
    s.push_str("</table>\n");
    for (address, n) in shown.iter().filter(|(_, n)| **n > o.events_per_address) {
        let _ = writeln!(
            s,
            "<p class=\"note\">{} more event(s) from <code>{}</code> not listed (the first {} are).</p>",
            n - o.events_per_address,
            e(address),
            o.events_per_address
        );
    }
}

fn baseline(s: &mut String, r: &Report) {
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

fn input_problems(s: &mut String, r: &Report) {
    let _ = writeln!(
        s,
        "<h2 id=\"input-problems\">Input problems</h2>\n<p>{} malformed line(s); {} line(s) of kinds this report does not show; \
         {} duplicate line(s) shown once.</p>",
        r.malformed_total, r.ignored, r.duplicates
    );
    if r.malformed.is_empty() {
        return;
    }
    s.push_str("<table><tr><th>input</th><th>line</th><th>problem</th></tr>\n");
    for m in &r.malformed {
        let _ = writeln!(
            s,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td>{}</td></tr>",
            e(&m.input),
            m.line,
            e(&m.why)
        );
    }
    s.push_str("</table>\n");
    if r.malformed_total > r.malformed.len() as u64 {
        let _ = writeln!(
            s,
            "<p class=\"note\">… and {} more.</p>",
            r.malformed_total - r.malformed.len() as u64
        );
    }
}
