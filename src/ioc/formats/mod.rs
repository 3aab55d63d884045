//! IOC list formats, detected from content: plain lists, the Loki/THOR `;` lists of
//! signature-base, CSV with a header (MISP's export among them) and STIX 2.1 bundles.

use std::sync::Arc;

use super::plain::{classify, parse_plain};
use super::{Indicator, IocProblem};

mod csv;
mod loki;
mod stix;

pub(crate) use stix::stix_reader;

/// The formats an IOC list can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    Plain,
    /// `HASH;DESCRIPTION` or `HASH;SCORE;DESCRIPTION`.
    LokiHash,
    /// `REGEX;SCORE[;FALSE_POSITIVE_REGEX]`, described by the `#` line above.
    LokiFilename,
    /// `DOMAIN_OR_IP[;SCORE]`.
    LokiC2,
    Csv,
    Stix,
}

impl ListFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ListFormat::Plain => "plain",
            ListFormat::LokiHash => "loki-hash",
            ListFormat::LokiFilename => "loki-filename",
            ListFormat::LokiC2 => "loki-c2",
            ListFormat::Csv => "csv",
            ListFormat::Stix => "stix-2.1",
        }
    }
}

fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_start_matches('\u{feff}').trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

/// Detects a list's format from its content; Loki lists are told apart by the file name
/// (signature-base names them `*hash*`, `*filename*`, `*c2*`) or else by their fields.
pub fn detect(name: &str, text: &str) -> ListFormat {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with('{') {
        return ListFormat::Stix;
    }
    let Some((_, first)) = data_lines(text).next() else {
        return ListFormat::Plain;
    };
    let lower_first = first.to_ascii_lowercase();
    if first.contains(',')
        && lower_first
            .split(',')
            .any(|c| c.trim().trim_matches('"') == "value")
    {
        return ListFormat::Csv;
    }
    if !first.contains(';') {
        return ListFormat::Plain;
    }
    let file = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .to_ascii_lowercase();
    if file.contains("hash") {
        return ListFormat::LokiHash;
    }
    if file.contains("filename") {
        return ListFormat::LokiFilename;
    }
    if file.contains("c2") {
        return ListFormat::LokiC2;
    }
    let fields: Vec<&str> = first.split(';').collect();
    let hexlen = fields[0].len();
    if fields[0].chars().all(|c| c.is_ascii_hexdigit()) && [32, 40, 64].contains(&hexlen) {
        ListFormat::LokiHash
    } else if fields.len() >= 2
        && fields[1].trim().parse::<i64>().is_ok()
        && classify(fields[0]).is_err()
    {
        ListFormat::LokiFilename
    } else {
        ListFormat::LokiC2
    }
}

pub fn parse(format: ListFormat, list: &Arc<str>, text: &str) -> (Vec<Indicator>, Vec<IocProblem>) {
    match format {
        ListFormat::Plain => parse_plain(list, text),
        ListFormat::LokiHash => loki::loki_hash(list, text),
        ListFormat::LokiFilename => loki::loki_filename(list, text),
        ListFormat::LokiC2 => loki::loki_c2(list, text),
        ListFormat::Csv => csv::csv_list(list, text),
        ListFormat::Stix => stix::stix(list, text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::severity::Severity;
    use crate::ioc::Kind;

    pub(super) type Loaded = (
        ListFormat,
        Vec<(Kind, String, usize, Option<Severity>)>,
        Vec<(usize, bool, String)>,
    );

    pub(super) fn load(name: &str, text: &str) -> Loaded {
        let format = detect(name, text);
        let (ind, probs) = parse(format, &Arc::from(name), text);
        (
            format,
            ind.into_iter()
                .map(|i| (i.kind, i.value, i.line, i.severity))
                .collect(),
            probs
                .into_iter()
                .map(|p| (p.line, p.unsupported, p.message))
                .collect(),
        )
    }

    #[test]
    fn plain_lists_stay_plain() {
        assert_eq!(
            detect("toolshell.txt", "# x\n1.2.3.4\nevil.example\n"),
            ListFormat::Plain
        );
    }
}
