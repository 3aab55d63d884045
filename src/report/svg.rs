//! The attacker timeline as an inline SVG: one row per client address, time across. Drawn
//! on the server side so the page needs no script, and bounded so a noisy address or a
//! thousand scanners cannot make a page the browser chokes on.

use std::collections::HashMap;
use std::fmt::Write as _;

use jiff::{SignedDuration, Timestamp};

use super::escape::html as e;
use super::timeline::{Kind, Mark};

/// Rows drawn at most (the addresses seen first); the rest are named as left out.
pub(crate) const MAX_ROWS: usize = 150;
/// Marks drawn per row at most; the table below the chart says what each address did.
pub(crate) const MAX_MARKS_PER_ROW: usize = 2_000;
/// About how many marks the whole chart may hold: with many rows, marks of one kind that
/// fall within a few pixels of each other share one mark (marks are wider than that).
const MARK_BUDGET: f64 = 20_000.0;

const WIDTH: f64 = 1200.0;
const LEFT: f64 = 190.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 34.0;
const ROW: f64 = 22.0;
const BOTTOM: f64 = 46.0;
/// Room inside the plot at both ends, so a mark at the first or last instant is not drawn
/// over the address label or cut by the edge.
const PAD: f64 = 14.0;

/// Maps times onto the plot's x range. A single instant gets a minute either side, so it
/// sits in the middle instead of dividing by zero.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    start: Timestamp,
    span_s: f64,
}

impl Scale {
    pub(crate) fn new(first: Timestamp, last: Timestamp) -> Scale {
        if last <= first {
            return Scale {
                // Checked: a hostile line can carry the earliest time there is.
                start: first
                    .checked_sub(SignedDuration::from_secs(60))
                    .unwrap_or(first),
                span_s: 120.0,
            };
        }
        Scale {
            start: first,
            span_s: seconds(last.duration_since(first)),
        }
    }

    pub(crate) fn x(&self, t: Timestamp) -> f64 {
        let s = seconds(t.duration_since(self.start));
        LEFT + PAD + (s / self.span_s).clamp(0.0, 1.0) * (WIDTH - LEFT - RIGHT - 2.0 * PAD)
    }

    /// Tick times at a round step giving at most eight labels.
    fn ticks(&self) -> (Vec<Timestamp>, i64) {
        const STEPS: [i64; 16] = [
            1,
            5,
            15,
            30,
            60,
            300,
            900,
            1800,
            3600,
            3 * 3600,
            6 * 3600,
            12 * 3600,
            86_400,
            2 * 86_400,
            7 * 86_400,
            30 * 86_400,
        ];
        let step = STEPS
            .iter()
            .copied()
            .find(|&s| self.span_s / s as f64 <= 8.0)
            .unwrap_or_else(|| (self.span_s / 8.0).ceil() as i64);
        let start = self.start.as_second();
        let end = start + self.span_s.ceil() as i64;
        let mut t = start.div_euclid(step) * step;
        if t < start {
            t += step;
        }
        let mut out = Vec::new();
        while t <= end && out.len() < 20 {
            if let Ok(ts) = Timestamp::from_second(t) {
                out.push(ts);
            }
            t += step;
        }
        (out, step)
    }
}

fn seconds(d: SignedDuration) -> f64 {
    d.as_secs_f64()
}

/// A tick label: as short as the step allows, with the date once the chart spans days.
fn tick_label(t: Timestamp, step: i64, span_s: f64) -> String {
    let fmt = if step >= 86_400 {
        "%Y-%m-%d"
    } else if span_s >= 86_400.0 {
        "%m-%d %H:%M"
    } else if step < 60 {
        "%H:%M:%S"
    } else {
        "%H:%M"
    };
    t.strftime(fmt).to_string()
}

/// The chart for `marks` (in time order). Empty input gives a short note, not an empty box.
pub(crate) fn chart(marks: &[Mark]) -> String {
    let (Some(first), Some(last)) = (
        marks.iter().map(|m| m.time).min(),
        marks.iter().map(|m| m.time).max(),
    ) else {
        return "<p class=\"absent\">No dated client activity in the inputs: nothing to draw.</p>\n"
            .to_owned();
    };
    let scale = Scale::new(first, last);
    // Rows in order of each address's first appearance.
    let mut rows: Vec<&str> = Vec::new();
    let mut row_of: HashMap<&str, usize> = HashMap::new();
    for m in marks {
        row_of.entry(&m.address).or_insert_with(|| {
            rows.push(&m.address);
            rows.len() - 1
        });
    }
    let drawn = rows.len().min(MAX_ROWS);
    let height = TOP + ROW * drawn as f64 + BOTTOM;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"Attacker timeline, one row per client address\">"
    );
    legend(&mut s);
    let plot_bottom = TOP + ROW * drawn as f64;
    let (ticks, step) = scale.ticks();
    for t in ticks {
        let x = scale.x(t);
        let _ = writeln!(
            s,
            "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{plot_bottom}\"/><text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            plot_bottom + 16.0,
            e(&tick_label(t, step, scale.span_s))
        );
    }
    let _ = writeln!(
        s,
        "<text class=\"axis\" x=\"{LEFT}\" y=\"{:.1}\">time (UTC), {} to {}</text>",
        plot_bottom + 36.0,
        e(&first.strftime("%Y-%m-%d %H:%M:%S").to_string()),
        e(&last.strftime("%Y-%m-%d %H:%M:%S").to_string()),
    );
    // Marks of one kind on the same pixel of a row (or within a few pixels, when there are
    // many rows) are drawn once, with their count in the tooltip: the eye could not tell them
    // apart, and the page stays small however busy the addresses were.
    let bucket = ((WIDTH - LEFT - RIGHT) * drawn as f64 / MARK_BUDGET).max(1.0);
    let mut per_row: Vec<Vec<(&Mark, f64, usize)>> = vec![Vec::new(); drawn];
    let mut at_pixel: HashMap<(usize, Kind, i64), usize> = HashMap::new();
    let mut cut = 0usize;
    for m in marks {
        let r = row_of[m.address.as_str()];
        if r >= drawn {
            continue;
        }
        let x = scale.x(m.time);
        let key = (r, m.kind, (x / bucket).floor() as i64);
        if let Some(&j) = at_pixel.get(&key) {
            per_row[r][j].2 += 1;
        } else if per_row[r].len() < MAX_MARKS_PER_ROW {
            at_pixel.insert(key, per_row[r].len());
            per_row[r].push((m, x, 0));
        } else {
            cut += 1;
        }
    }
    for (i, address) in rows.iter().take(drawn).enumerate() {
        let y = TOP + ROW * i as f64 + ROW / 2.0;
        let _ = writeln!(
            s,
            "<g class=\"row\" data-address=\"{a}\"><text class=\"addr\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{a}</text><line class=\"lane\" x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>",
            LEFT - 8.0,
            y + 4.0,
            WIDTH - RIGHT,
            a = e(address),
        );
        // The strongest kind last, so that it is drawn on top where marks overlap.
        per_row[i].sort_by_key(|m| std::cmp::Reverse(m.0.kind));
        for &(m, x, more) in &per_row[i] {
            let mut tip = tooltip(m);
            if more > 0 {
                tip.push_str(&format!(" (+{more} more here)"));
            }
            mark(&mut s, m.kind, x, y, &tip);
        }
        s.push_str("</g>\n");
    }
    s.push_str("</svg>\n");
    let mut notes = Vec::new();
    if rows.len() > drawn {
        notes.push(format!(
            "{} more address(es) not drawn (the first {MAX_ROWS} seen are); the table below lists them.",
            rows.len() - drawn
        ));
    }
    if cut > 0 {
        notes.push(format!(
            "{cut} event(s) not drawn (at most {MAX_MARKS_PER_ROW} per address)."
        ));
    }
    for n in notes {
        let _ = writeln!(s, "<p class=\"note\">{}</p>", e(&n));
    }
    s
}

fn tooltip(m: &Mark) -> String {
    format!(
        "{} {} — {}: {} ({})",
        m.time.strftime("%Y-%m-%d %H:%M:%S"),
        m.address,
        m.kind.label(),
        m.what,
        m.why
    )
}

/// One mark; shape as well as colour tells the kinds apart, for readers who do not see
/// colour and for black-and-white prints.
fn mark(s: &mut String, kind: Kind, x: f64, y: f64, title: &str) {
    let title = e(title);
    let class = kind.class();
    let _ = match kind {
        Kind::Alert => writeln!(
            s,
            "<polygon class=\"{class}\" points=\"{x:.1},{:.1} {:.1},{y:.1} {x:.1},{:.1} {:.1},{y:.1}\"><title>{title}</title></polygon>",
            y - 7.0,
            x + 7.0,
            y + 7.0,
            x - 7.0
        ),
        Kind::Dropped => writeln!(
            s,
            "<polygon class=\"{class}\" points=\"{x:.1},{:.1} {:.1},{:.1} {:.1},{:.1}\"><title>{title}</title></polygon>",
            y - 7.0,
            x + 7.0,
            y + 6.0,
            x - 7.0,
            y + 6.0
        ),
        Kind::Webshell => writeln!(
            s,
            "<rect class=\"{class}\" x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\"><title>{title}</title></rect>",
            x - 5.0,
            y - 5.0
        ),
        Kind::Other => writeln!(
            s,
            "<circle class=\"{class}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\"><title>{title}</title></circle>"
        ),
    };
}

fn legend(s: &mut String) {
    let mut x = LEFT;
    for kind in Kind::ALL {
        mark(s, kind, x, 14.0, kind.label());
        let _ = writeln!(
            s,
            "<text class=\"legend\" x=\"{:.1}\" y=\"18\">{}</text>",
            x + 12.0,
            e(kind.label())
        );
        x += 170.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn mark_at(address: &str, time: &str, kind: Kind) -> Mark {
        Mark {
            address: address.to_owned(),
            time: at(time),
            kind,
            what: "GET /x".to_owned(),
            why: "test".to_owned(),
            place: None,
        }
    }

    #[test]
    fn the_scale_puts_first_and_last_at_the_ends_and_keeps_order() {
        let s = Scale::new(at("2025-07-19T08:00:00Z"), at("2025-07-19T10:00:00Z"));
        assert_eq!(s.x(at("2025-07-19T08:00:00Z")), LEFT + PAD);
        assert_eq!(s.x(at("2025-07-19T10:00:00Z")), WIDTH - RIGHT - PAD);
        let mid = s.x(at("2025-07-19T09:00:00Z"));
        assert!((mid - (LEFT + (WIDTH - LEFT - RIGHT) / 2.0)).abs() < 1e-9);
        // Outside the range is held at the ends, never drawn off the chart.
        assert_eq!(s.x(at("2025-07-18T08:00:00Z")), LEFT + PAD);
        // One instant sits in the middle.
        let one = Scale::new(at("2025-07-19T08:00:00Z"), at("2025-07-19T08:00:00Z"));
        assert!((one.x(at("2025-07-19T08:00:00Z")) - mid).abs() < 1e-9);
    }

    #[test]
    fn ticks_are_round_few_and_labelled_by_span() {
        let s = Scale::new(at("2025-07-19T08:07:00Z"), at("2025-07-19T10:00:00Z"));
        let (ticks, step) = s.ticks();
        assert_eq!(step, 900);
        assert!(ticks.len() <= 9 && ticks.len() >= 2, "{ticks:?}");
        assert_eq!(ticks[0], at("2025-07-19T08:15:00Z"));
        assert_eq!(tick_label(ticks[0], step, s.span_s), "08:15");
        let days = Scale::new(at("2025-07-19T08:00:00Z"), at("2025-07-21T10:00:00Z"));
        let (t, step) = days.ticks();
        assert_eq!(tick_label(t[0], step, days.span_s), "07-19 12:00");
    }

    #[test]
    fn one_row_per_address_in_order_of_first_sight() {
        let marks = [
            mark_at("203.0.113.7", "2025-07-19T08:10:00Z", Kind::Alert),
            mark_at("198.51.100.20", "2025-07-19T08:12:00Z", Kind::Webshell),
            mark_at("203.0.113.7", "2025-07-19T08:13:00Z", Kind::Other),
            mark_at("203.0.113.7", "2025-07-19T08:14:00Z", Kind::Dropped),
        ];
        let svg = chart(&marks);
        let rows: Vec<&str> = svg
            .split("<g class=\"row\" data-address=\"")
            .skip(1)
            .map(|r| r.split('"').next().unwrap())
            .collect();
        assert_eq!(rows, ["203.0.113.7", "198.51.100.20"]);
        for kind in Kind::ALL {
            // One in the legend, one per mark.
            assert_eq!(
                svg.matches(&format!("class=\"{}\"", kind.class())).count(),
                2
            );
        }
        assert!(svg.contains("time (UTC), 2025-07-19 08:10:00 to 2025-07-19 08:14:00"));
    }

    #[test]
    fn marks_on_one_pixel_are_drawn_once_with_their_count() {
        let mut marks: Vec<Mark> = (0..1000)
            .map(|_| mark_at("203.0.113.7", "2025-07-19T08:00:00Z", Kind::Other))
            .collect();
        marks.push(mark_at("203.0.113.7", "2025-07-19T08:00:00Z", Kind::Alert));
        marks.push(mark_at("203.0.113.7", "2025-07-19T12:00:00Z", Kind::Other));
        let svg = chart(&marks);
        // Besides the legend's one of each kind.
        assert_eq!(svg.matches("<circle").count(), 1 + 2);
        assert_eq!(svg.matches("class=\"k-alert\"").count(), 1 + 1);
        assert!(svg.contains("(+999 more here)"));
    }

    #[test]
    fn the_ends_of_time_do_not_break_the_chart() {
        let marks = [
            mark_at("a", "-009999-01-02T01:59:59Z", Kind::Other),
            mark_at("b", "9999-12-30T22:00:00Z", Kind::Alert),
        ];
        let svg = chart(&marks);
        assert_eq!(svg.matches("<g class=\"row\"").count(), 2);
        let one = chart(&marks[..1]);
        assert!(one.contains("<g class=\"row\" data-address=\"a\">"));
    }

    #[test]
    fn empty_input_draws_nothing_and_says_so() {
        let svg = chart(&[]);
        assert!(!svg.contains("<svg"));
        assert!(svg.contains("nothing to draw"));
    }

    #[test]
    fn rows_beyond_the_bound_are_counted_not_drawn_and_addresses_escaped() {
        let mut marks: Vec<Mark> = (0..MAX_ROWS + 5)
            .map(|i| {
                mark_at(
                    &format!("10.0.{}.{}", i / 256, i % 256),
                    "2025-07-19T08:00:00Z",
                    Kind::Other,
                )
            })
            .collect();
        marks.push(mark_at("<b>x</b>", "2025-07-19T08:00:00Z", Kind::Other));
        let svg = chart(&marks);
        assert_eq!(svg.matches("<g class=\"row\"").count(), MAX_ROWS);
        assert!(svg.contains("6 more address(es) not drawn"));
        let one = chart(&[mark_at("<b>\"x", "2025-07-19T08:00:00Z", Kind::Other)]);
        assert!(one.contains("data-address=\"&lt;b&gt;&quot;x\""));
        assert!(!one.contains("<b>"));
    }
}
