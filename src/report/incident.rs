//! The incident sections of the page: correlated requests and drops, and the attacker
//! timeline (chart and table).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::escape::html as e;
use super::html::{Options, code, list, num, opt, rule_head, run_label, sev};
use super::{Report, severity_rank, svg, timeline};

pub(super) fn correlations(s: &mut String, r: &Report) {
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

pub(super) fn attacker_timeline(s: &mut String, r: &Report, o: &Options) {
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
            "<tr class=\"{}\"><td>{}</td><td class=\"addr\"><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
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
