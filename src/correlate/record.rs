//! A log record held for a pivot event, in one buffer.
//!
//! A `LogSubject` of an IIS line is some twenty allocations (one per field, the line, the
//! path): about 4.8 KB with the allocator's overhead once it sits in a `Finding`. A pivot
//! of scanners holds hundreds of thousands of records before it can sort them by time, so
//! what is held is this form, and the `LogSubject` is made again when the event is written.

use std::path::PathBuf;

use crate::finding::LogSubject;
use crate::logs::{Field, LogFormat};

/// A log record, compact: the record as logged (cut as `LogSubject::original` is), then the
/// value of each field, in one buffer.
#[derive(Clone, Debug)]
pub(super) struct Record {
    pub path: PathBuf,
    pub format: LogFormat,
    pub line: u64,
    pub offset: u64,
    pub time: Option<jiff::Timestamp>,
    time_zone: Option<Box<str>>,
    time_zone_assumed: bool,
    original_cut: bool,
    /// Where the record as logged ends in `bytes`.
    original_end: usize,
    bytes: Box<[u8]>,
    /// Each field and where its value ends in `bytes` (it starts where the one before ends).
    fields: Box<[(Field, usize)]>,
}

impl Record {
    pub(super) fn of(log: LogSubject) -> Record {
        let total = log.original.len() + log.fields.iter().map(|(_, v)| v.len()).sum::<usize>();
        let mut bytes = Vec::with_capacity(total);
        bytes.extend_from_slice(&log.original);
        let original_end = bytes.len();
        let fields = log
            .fields
            .iter()
            .map(|(f, v)| {
                bytes.extend_from_slice(v);
                (*f, bytes.len())
            })
            .collect();
        Record {
            path: log.path,
            format: log.format,
            line: log.line,
            offset: log.offset,
            time: log.time,
            time_zone: log.time_zone.map(String::into_boxed_str),
            time_zone_assumed: log.time_zone_assumed,
            original_cut: log.original_cut,
            original_end,
            bytes: bytes.into_boxed_slice(),
            fields,
        }
    }

    /// The record as the writers take it.
    pub(super) fn subject(&self) -> LogSubject {
        LogSubject {
            path: self.path.clone(),
            format: self.format,
            line: self.line,
            offset: self.offset,
            time: self.time,
            time_zone: self.time_zone.as_deref().map(str::to_owned),
            time_zone_assumed: self.time_zone_assumed,
            fields: self.values().map(|(f, v)| (f, v.to_vec())).collect(),
            original: self.bytes[..self.original_end].to_vec(),
            original_cut: self.original_cut,
        }
    }

    fn values(&self) -> impl Iterator<Item = (Field, &[u8])> {
        let mut start = self.original_end;
        self.fields.iter().map(move |&(f, end)| {
            let v = &self.bytes[start..end];
            start = end;
            (f, v)
        })
    }

    /// The first value of `field`, as `LogSubject::fields` would give it.
    pub(super) fn field(&self, field: Field) -> Option<&[u8]> {
        self.values().find(|(f, _)| *f == field).map(|(_, v)| v)
    }

    /// What holding it costs, roughly: its buffers and the struct, for the pivot's byte
    /// budget.
    pub(super) fn cost(&self) -> usize {
        std::mem::size_of::<Record>()
            + self.bytes.len()
            + self.fields.len() * std::mem::size_of::<(Field, usize)>()
            + self.path.as_os_str().len()
            + self.time_zone.as_deref().map_or(0, str::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_gives_back_the_subject_it_was_made_from() {
        let subject = LogSubject {
            path: PathBuf::from("/logs/u_ex250719.log"),
            format: LogFormat::Iis,
            line: 12,
            offset: 3400,
            time: Some("2025-07-19T10:00:00Z".parse().unwrap()),
            time_zone: Some("+02:00".into()),
            time_zone_assumed: true,
            fields: vec![
                (Field::Method, b"POST".to_vec()),
                (Field::UriStem, Vec::new()),
                (Field::UriStem, b"/second".to_vec()),
                (Field::Status, b"200".to_vec()),
            ],
            original: b"2025-07-19 10:00:00 POST /x - 200".to_vec(),
            original_cut: true,
        };
        let r = Record::of(subject.clone());
        assert_eq!(format!("{:?}", r.subject()), format!("{subject:?}"));
        assert_eq!(r.field(Field::UriStem), Some(&b""[..]), "the first, empty");
        assert_eq!(r.field(Field::Status), Some(&b"200"[..]));
        assert_eq!(r.field(Field::UserAgent), None);
    }
}
