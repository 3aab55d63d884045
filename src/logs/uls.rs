//! SharePoint ULS trace logs: tab-separated, space-padded columns, and messages longer than
//! a segment continued on later lines marked with `*` after the timestamp.
//!
//! Continuation segments are not guaranteed to follow each other, so they are stitched by
//! Process + TID. A record whose message ends in `...` waits for its continuation; any
//! other is complete at once.

use std::borrow::Cow;
use std::collections::HashMap;

use jiff::tz::TimeZone;

use super::fields::Field;
use super::record::Record;
use super::time::uls_time;

/// The position of each known column; merged exports add columns such as `Server`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UlsColumns {
    /// (field, column index); the timestamp is handled apart.
    fields: Vec<(Field, usize)>,
    timestamp: usize,
}

const DEFAULT_HEADER: &[u8] =
    b"Timestamp\tProcess\tTID\tArea\tCategory\tEventID\tLevel\tMessage\tCorrelation";

impl Default for UlsColumns {
    fn default() -> Self {
        UlsColumns::from_header(DEFAULT_HEADER).expect("default header")
    }
}

impl UlsColumns {
    /// The columns named by a header row, or `None` if the line is not one.
    pub fn from_header(line: &[u8]) -> Option<UlsColumns> {
        let names: Vec<String> = line
            .split(|&b| b == b'\t')
            .map(|c| String::from_utf8_lossy(c).trim().to_ascii_lowercase())
            .collect();
        let timestamp = names.iter().position(|n| n == "timestamp")?;
        if !names.iter().any(|n| n == "message") {
            return None;
        }
        let fields = names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                let f = match n.as_str() {
                    "server" => Field::ComputerName,
                    other => Field::from_name(other)?,
                };
                Some((f, i))
            })
            .collect();
        Some(UlsColumns { fields, timestamp })
    }

    fn cell<'a>(&self, cells: &[&'a [u8]], field: Field) -> Option<&'a [u8]> {
        let i = self.fields.iter().find(|(f, _)| *f == field)?.1;
        cells.get(i).map(|c| c.trim_ascii())
    }

    /// Where a cell's trimmed value ends in the line the cells were split from (cells are
    /// separated by one tab each).
    fn cell_end(&self, cells: &[&[u8]], field: Field) -> Option<usize> {
        let i = self.fields.iter().find(|(f, _)| *f == field)?.1;
        let cell = cells.get(i)?;
        let start: usize = cells[..i].iter().map(|c| c.len() + 1).sum();
        Some(start + cell.trim_ascii_end().len())
    }
}

/// A record being assembled from its segments.
#[derive(Debug)]
pub struct UlsRecord {
    /// 1-based line and byte offset of the first segment.
    pub line: u64,
    pub offset: u64,
    /// The record as one line: the first segment's line with the stitched message.
    pub raw: Vec<u8>,
    pub record: Record<'static>,
    /// Where the message stands in `raw`, so continuations extend it in place.
    message_end: usize,
}

/// Stitches segments into records.
pub struct Stitcher {
    columns: UlsColumns,
    zone: TimeZone,
    pending: HashMap<Vec<u8>, UlsRecord>,
}

/// Pending records beyond this many are completed as they are, so memory stays bounded.
const MAX_PENDING: usize = 4096;

impl Stitcher {
    pub fn new(zone: TimeZone) -> Stitcher {
        Stitcher {
            columns: UlsColumns::default(),
            zone,
            pending: HashMap::new(),
        }
    }

    /// Feeds one physical line; complete records are pushed to `out`.
    pub fn push(&mut self, line: &[u8], line_no: u64, offset: u64, out: &mut Vec<UlsRecord>) {
        if let Some(cols) = UlsColumns::from_header(line) {
            self.columns = cols;
            return;
        }
        let cells: Vec<&[u8]> = line.split(|&b| b == b'\t').collect();
        let Some(ts) = cells.get(self.columns.timestamp) else {
            return;
        };
        let continuation = ts.trim_ascii_end().ends_with(b"*");
        let key = [
            self.columns
                .cell(&cells, Field::Process)
                .unwrap_or_default(),
            b"\t",
            self.columns.cell(&cells, Field::Tid).unwrap_or_default(),
        ]
        .concat();
        let message = self
            .columns
            .cell(&cells, Field::Message)
            .unwrap_or_default();
        if continuation && let Some(mut rec) = self.pending.remove(&key) {
            let tail = message.strip_prefix(b"...").unwrap_or(message);
            let mut joined = rec.record.get(Field::Message).unwrap_or_default().to_vec();
            // The parsed message and the raw line's message end need not agree after earlier
            // joins: strip each one's own `...` (the raw end was once under 3 while the
            // parsed message ended in `...`; found by the `uls_padded` fuzz target).
            let mut cut = rec.message_end.min(rec.raw.len());
            if joined.ends_with(b"...") {
                joined.truncate(joined.len() - 3);
            }
            if rec.raw[..cut].ends_with(b"...") {
                cut -= 3;
            }
            joined.extend_from_slice(tail);
            rec.raw.splice(
                cut..rec.message_end.min(rec.raw.len()),
                tail.iter().copied(),
            );
            rec.message_end = cut + tail.len();
            rec.record.set(Field::Message, joined);
            self.settle(key, rec, out);
            return;
        }
        if let Some(prev) = self.pending.remove(&key) {
            out.push(prev);
        }
        let mut record = Record::default();
        for &(f, i) in &self.columns.fields {
            if let Some(v) = cells.get(i) {
                record.set(f, Cow::Owned(v.trim_ascii().to_vec()));
            }
        }
        record.time = uls_time(ts, &self.zone);
        // The end of the (trimmed) message within the line; a line without a message cell
        // has its end there.
        let message_end = self
            .columns
            .cell_end(&cells, Field::Message)
            .unwrap_or(line.len());
        let rec = UlsRecord {
            line: line_no,
            offset,
            raw: line.to_vec(),
            record,
            message_end,
        };
        self.settle(key, rec, out);
    }

    fn settle(&mut self, key: Vec<u8>, rec: UlsRecord, out: &mut Vec<UlsRecord>) {
        let open = rec
            .record
            .get(Field::Message)
            .is_some_and(|m| m.ends_with(b"..."));
        if !open {
            out.push(rec);
            return;
        }
        if self.pending.len() >= MAX_PENDING {
            out.extend(self.pending.drain().map(|(_, r)| r));
        }
        self.pending.insert(key, rec);
    }

    /// Completes every pending record (at the end of the file), in line order.
    pub fn finish(&mut self, out: &mut Vec<UlsRecord>) {
        self.finish_where(|_| true, out);
    }

    /// Completes the pending records `done` picks, in line order; the others stay open
    /// (a sweep of a log still being written leaves them to the next one).
    pub fn finish_where(&mut self, done: impl Fn(&UlsRecord) -> bool, out: &mut Vec<UlsRecord>) {
        let keys: Vec<Vec<u8>> = self
            .pending
            .iter()
            .filter(|(_, r)| done(r))
            .map(|(k, _)| k.clone())
            .collect();
        let mut rest: Vec<UlsRecord> = keys.iter().filter_map(|k| self.pending.remove(k)).collect();
        rest.sort_by_key(|r| r.line);
        out.extend(rest);
    }

    /// The line number and offset of each record still open, in line order.
    pub fn pending_starts(&self) -> Vec<(u64, u64)> {
        let mut v: Vec<(u64, u64)> = self.pending.values().map(|r| (r.line, r.offset)).collect();
        v.sort_unstable();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(lines: &[&str]) -> Vec<UlsRecord> {
        let mut s = Stitcher::new(TimeZone::UTC);
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            s.push(l.as_bytes(), i as u64 + 1, 0, &mut out);
        }
        s.finish(&mut out);
        out
    }

    #[test]
    fn parses_columns_and_time() {
        let out = feed(&[
            "Timestamp              \tProcess                                 \tTID   \tArea                          \tCategory                      \tEventID\tLevel     \tMessage \tCorrelation",
            "07/19/2025 09:13:02.27 \tw3wp.exe (0x2A1C)                       \t0x3B40\tSharePoint Foundation         \tClaims Authentication         \t????\tHigh      \t[SPRequestModule.PostAuthenticateRequestHandler]Risky bypass limited (Access Denied) - signout with ToolPane.aspx detected. request path: '/_layouts/15/ToolPane.aspx'.\t5b1e2f9a-0c11-4e7e-9d1a-3f0c2a7d9e10",
        ]);
        assert_eq!(out.len(), 1);
        let r = &out[0].record;
        assert_eq!(out[0].line, 2);
        assert_eq!(r.get(Field::Process), Some(&b"w3wp.exe (0x2A1C)"[..]));
        assert_eq!(r.get(Field::Category), Some(&b"Claims Authentication"[..]));
        assert_eq!(r.get(Field::Level), Some(&b"High"[..]));
        assert!(
            r.get(Field::Message)
                .unwrap()
                .starts_with(b"[SPRequestModule")
        );
        assert_eq!(r.time, Some("2025-07-19T09:13:02.27Z".parse().unwrap()));
    }

    #[test]
    fn continuations_are_stitched_by_process_and_thread() {
        let out = feed(&[
            "07/19/2025 09:13:05.11 \tw3wp.exe (0x2A1C)\t0x3B40\tSPF\tGeneral\tabcd\tMedium\tfirst part...\tc1",
            "07/19/2025 09:13:05.11 \tw3wp.exe (0x1111)\t0x0001\tSPF\tGeneral\tabcd\tMedium\tother thread\tc2",
            "07/19/2025 09:13:05.11*\tw3wp.exe (0x2A1C)\t0x3B40\tSPF\tGeneral\tabcd\tMedium\t...second part\tc1",
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0].record.get(Field::Message),
            Some(&b"other thread"[..])
        );
        assert_eq!(out[1].line, 1);
        assert_eq!(
            out[1].record.get(Field::Message),
            Some(&b"first partsecond part"[..])
        );
        let raw = String::from_utf8(out[1].raw.clone()).unwrap();
        assert!(raw.ends_with("\tfirst partsecond part\tc1"), "{raw}");
    }

    #[test]
    fn lines_without_a_message_cell_are_records_too() {
        let out = feed(&[
            "",
            "07/19/2025 09:13:02.27\tw3wp.exe (0x2A1C)\t0x3B40",
            "\t\t\t\t\t\t\t\t",
        ]);
        assert!(out.len() <= 3);
    }

    #[test]
    fn open_records_can_be_left_open_or_finished_by_where_they_start() {
        let mut s = Stitcher::new(TimeZone::UTC);
        let mut out = Vec::new();
        let lines = [
            "07/19/2025 09:13:05.11 \tp\t1\ta\tc\te\tl\tfirst...\tx",
            "07/19/2025 09:13:05.11 \tp\t2\ta\tc\te\tl\twhole\tx",
            "07/19/2025 09:13:05.12 \tp\t3\ta\tc\te\tl\tsecond...\tx",
        ];
        for (i, l) in lines.iter().enumerate() {
            s.push(l.as_bytes(), i as u64 + 1, i as u64 * 100, &mut out);
        }
        assert_eq!(out.len(), 1);
        assert_eq!(s.pending_starts(), vec![(1, 0), (3, 200)]);
        s.finish_where(|r| r.offset < 100, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].record.get(Field::Message), Some(&b"first..."[..]));
        assert_eq!(s.pending_starts(), vec![(3, 200)]);
    }

    #[test]
    fn an_unfinished_record_is_completed_at_the_end() {
        let out = feed(&["07/19/2025 09:13:05.11 \tp\tt\ta\tc\te\tl\tcut off...\tx"]);
        assert_eq!(out.len(), 1);
    }
}
