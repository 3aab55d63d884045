//! The page and its frame: banners, runs, input problems and the cell helpers every section
//! uses; the sections themselves are in `findings.rs` and `incident.rs`. Written with
//! `write!` into one string: no template engine, no script, and one escape function for
//! every string that came from the inputs. The page's Content-Security-Policy allows no
//! script and no load of any kind, so even a mistake in escaping could not make it run code
//! or reach the network.

use std::fmt::Write as _;

use super::escape::html as e;
use super::{Meta, Report, Verdict, severity_rank};
use super::{findings, incident};

/// What the caller decides: the table bound is a user option, the time is passed in so a
/// test can render the same page twice.
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
.note{color:#555} td.addr,td.addr code{white-space:nowrap;word-break:normal}
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
    let _ = writeln!(
        s,
        "<p class=\"toc\"><a href=\"#runs\">Runs ({})</a> · <a href=\"#files\">File findings ({})</a> · \
         <a href=\"#logs\">Log findings ({})</a> · <a href=\"#correlation\">Correlated requests ({})</a> · \
         <a href=\"#timeline\">Attacker timeline</a> · <a href=\"#baseline\">Baseline changes ({})</a> · \
         <a href=\"#input-problems\">Input problems ({})</a></p>",
        r.runs.len(),
        r.files.len(),
        r.logs.len(),
        r.requested.len() + r.dropped.len(),
        r.baseline.len(),
        r.malformed_total,
    );
    runs(&mut s, r);
    findings::file_findings(&mut s, r);
    findings::log_findings(&mut s, r);
    incident::correlations(&mut s, r);
    incident::attacker_timeline(&mut s, r, o);
    findings::baseline(&mut s, r);
    input_problems(&mut s, r);
    s.push_str("</body></html>\n");
    s
}

/// Absent fields are said to be absent rather than left blank, so a reader can tell "no
/// value" from "empty value".
pub(super) fn opt(v: Option<&str>) -> String {
    match v {
        Some(v) => e(v),
        None => "<span class=\"absent\">absent</span>".to_owned(),
    }
}

pub(super) fn num(v: Option<u64>) -> String {
    v.map_or_else(|| opt(None), |n| n.to_string())
}

pub(super) fn code(v: Option<&str>) -> String {
    match v {
        Some(v) => format!("<code>{}</code>", e(v)),
        None => opt(None),
    }
}

pub(super) fn list(v: &[String]) -> String {
    if v.is_empty() {
        return "<span class=\"absent\">none</span>".to_owned();
    }
    v.iter()
        .map(|x| format!("<code>{}</code>", e(x)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn sev(name: Option<&str>) -> String {
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

pub(super) fn run_label(r: &Report, run: usize) -> String {
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
                    "no summary line in the inputs: the run was killed, its output cut short, \
                     or the summary line left out"
                        .to_owned()
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
                let mut cell = format!(
                    "{} total{}{}",
                    num(x.findings_total),
                    if parts.is_empty() { "" } else { ": " },
                    parts.join(", ")
                );
                // The timeline below lacks them: say so beside what it does show.
                if let Some(n) = x.pivot_events_not_shown.filter(|n| *n > 0) {
                    cell.push_str(&format!("; {n} pivot event(s) not shown"));
                }
                cell
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

/// Severity, rule id and name; the event id and message as a tooltip, so a finding can be
/// looked up in the JSON lines or a SIEM.
pub(super) fn rule_head(m: &Meta) -> String {
    format!(
        "<span title=\"event.id {} — {}\">{} <code>{}</code> {}</span>",
        e(m.event_id.as_deref().unwrap_or("absent")),
        e(m.message.as_deref().unwrap_or("")),
        sev(m.severity.as_deref()),
        opt(m.rule_id.as_deref()),
        m.rule_name.as_deref().map(e).unwrap_or_default()
    )
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Options, render};
    use crate::report::read::Reader;

    /// Lines of every kind the page shows, with `v(i)` in each place text from a scanned
    /// file or log lands.
    fn page(v: impl Fn(usize) -> String) -> String {
        let s = |i: usize| serde_json::Value::String(v(i));
        let lines = [
            serde_json::json!({"agent":{"ephemeral_id":s(0)},"host":{"name":s(1)},"message":s(2),
                "event":{"kind":"alert","dataset":"shellsweep.file","id":s(3)},
                "rule":{"id":s(4),"name":s(5),"description":s(6)},
                "file":{"path":s(7),"mtime":s(8),"hash":{"sha256":s(9)}},
                "shellsweep":{"severity_name":s(10),"matches":[{"pattern":s(11),"line":1,"excerpt":s(12),"view_excerpt":s(13)}]}}),
            serde_json::json!({"agent":{"ephemeral_id":s(0)},"host":{"name":s(1)},
                "event":{"kind":"alert","dataset":"shellsweep.log","id":s(14),"start":"2025-07-19T08:10:00Z"},
                "rule":{"id":s(15)},"source":{"ip":s(16)},"network":{"forwarded_ip":s(17)},
                "http":{"request":{"method":s(18)},"response":{"status_code":s(19)}},
                "url":{"path":s(20),"query":s(21)},"user_agent":{"original":s(22)},"user":{"name":s(23)},
                "log":{"file":{"path":s(24)}},"shellsweep":{"log":{"line":3}}}),
            serde_json::json!({"agent":{"ephemeral_id":s(0)},"host":{"name":s(1)},
                "event":{"kind":"event","dataset":"shellsweep.pivot","id":s(25),"start":"2025-07-19T09:00:00Z"},
                "url":{"path":s(26)},"shellsweep":{"pivot":{"address":s(27),"reason":s(28),"via":s(29)}}}),
            serde_json::json!({"agent":{"ephemeral_id":s(0)},"host":{"name":s(1)},
                "event":{"kind":"alert","dataset":"shellsweep.correlation","id":s(30)},"file":{"path":s(31)},
                "shellsweep":{"correlation":{"type":"webshell_requested","join":s(32),"join_source":s(33),
                "url_paths":[s(34)],"requests":{"count":2,"first":s(35),"clients":[s(36)],"methods":[s(37)],
                "statuses":[s(38)],"user_agents":[s(39)],"event_ids":[s(25)]}}}}),
            serde_json::json!({"agent":{"ephemeral_id":s(0)},"host":{"name":s(1)},
                "event":{"kind":"alert","dataset":"shellsweep.correlation","id":s(40)},"file":{"path":s(41)},
                "shellsweep":{"correlation":{"type":"dropped_after_exploit","file_time":"2025-07-19T08:11:00Z",
                "file_time_kind":s(42),"exploit":{"client":s(16),"time":"2025-07-19T08:10:00Z","rule_id":s(43),
                "method":s(44),"url_path":s(45),"log_path":s(46),"log_line":9}}}}),
            serde_json::json!({"agent":{"ephemeral_id":s(0)},"host":{"name":s(1)},
                "event":{"kind":"alert","dataset":"shellsweep.file","id":s(47)},
                "rule":{"id":"SSW-BASELINE-NEW","description":s(48)},"file":{"path":s(49)}}),
            serde_json::json!({"agent":{"ephemeral_id":s(0)},"host":{"name":s(1)},"message":s(50),
                "event":{"kind":"event","dataset":"shellsweep.scan"}}),
            serde_json::json!({"agent":{"ephemeral_id":s(0)},"host":{"name":s(1)},"message":s(51),
                "event":{"kind":"event","dataset":"shellsweep.summary","start":s(52)},
                "shellsweep":{"summary":{"paths":[s(53)],"files_skipped":{"x":1},"complete":false}}}),
        ];
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let mut r = Reader::default();
        r.add(&v(54), text.as_bytes());
        r.add(&v(55), b"{not json\n");
        render(
            &r.finish(),
            &Options {
                events_per_address: 5,
                generated: "now".to_owned(),
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever the inputs' text, the page has the same markup as with plain text in
        /// its place: no `<` of the inputs reaches the page.
        #[test]
        fn text_from_the_inputs_never_becomes_markup(text in "[<>\"'&/= a-z\u{202e}\u{1b}\u{0}-\u{1f}]{1,24}") {
            let hostile = page(|i| format!("{i}{text}"));
            let plain = page(|i| format!("{i}x"));
            prop_assert_eq!(hostile.matches('<').count(), plain.matches('<').count());
            // The text is there, escaped: an excerpt, a user agent, a pivot address.
            for i in [12, 22, 27] {
                let shown = crate::report::escape::html(&format!("{i}{text}"));
                prop_assert!(hostile.contains(&shown), "{} missing", shown);
            }
            let invisible = hostile.contains('\u{202e}') || hostile.contains('\u{1b}');
            prop_assert!(!invisible, "a bidi override or escape reached the page");
        }
    }
}
