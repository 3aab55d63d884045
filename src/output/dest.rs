//! One destination of the writer: a format, where its lines go, and what it holds for
//! sorting. A run writes to one or more (`--format jsonl -o a.jsonl --format text`), each
//! with its own order and held lines, so a slow or sorted one does not change another.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use crate::common::bytes::path_bytes;
use crate::finding::Finding;

use super::sink::{Dest, LineSink, open_append};
use super::{Format, STDOUT_CLOSED_AT_START, csv_out, ecs, line_for, text};

/// A format and where it goes (`None`: standard output).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub format: Format,
    pub file: Option<PathBuf>,
}

/// Held output beyond this is written out as it stands and the rest streamed unsorted, so a
/// run with millions of findings cannot exhaust memory (said on stderr when it happens).
const PENDING_MAX: usize = 256 << 20;

pub(super) struct Destination {
    pub(super) sink: LineSink<Dest>,
    pub(super) format: Format,
    /// Text to a terminal, unless `NO_COLOR`.
    pub(super) color: bool,
    /// Findings are held and written sorted at the end (text, `--sort`, `-l`), so that the
    /// order does not depend on which thread finished first.
    buffered: bool,
    pending: Vec<text::Block>,
    pending_bytes: usize,
}

impl Destination {
    /// Opens the target; a CSV one gets its header now (unless its file already has lines).
    pub(super) fn open(t: &Target, sort: bool, files_only: bool) -> io::Result<Destination> {
        let (dest, is_tty, empty) = match &t.file {
            Some(path) => {
                let f = open_append(path)?;
                let empty = f.metadata()?.len() == 0;
                (Dest::File(f), false, empty)
            }
            None => {
                if STDOUT_CLOSED_AT_START.load(std::sync::atomic::Ordering::Relaxed) {
                    return Err(io::Error::other(
                        "standard output is closed: the findings would be lost (use -o FILE)",
                    ));
                }
                (Dest::Stdout(io::stdout()), io::stdout().is_terminal(), true)
            }
        };
        let mut d = Destination {
            sink: LineSink::new(dest),
            format: t.format,
            color: is_tty && t.format == Format::Text && std::env::var_os("NO_COLOR").is_none(),
            buffered: files_only || t.format == Format::Text || sort,
            pending: Vec::new(),
            pending_bytes: 0,
        };
        if t.format == Format::Csv && empty && !files_only {
            d.sink.write_all(csv_out::header().as_bytes())?;
            d.sink.flush()?;
        }
        Ok(d)
    }

    /// The blocks of one file's findings in this destination's format.
    pub(super) fn blocks(
        &self,
        findings: &[Finding],
        observer: &ecs::Observer,
    ) -> io::Result<Vec<text::Block>> {
        if self.format == Format::Text {
            return Ok(text::blocks(findings, self.color));
        }
        findings
            .iter()
            .enumerate()
            .map(|(rank, f)| {
                let mut line = line_for(self.format, f, observer).map_err(io::Error::other)?;
                line.push_str(if self.format == Format::Csv {
                    "\r\n"
                } else {
                    "\n"
                });
                Ok(text::Block {
                    path: path_bytes(f.subject.path()).into_owned(),
                    line: f.line().unwrap_or(0),
                    rank,
                    text: line,
                })
            })
            .collect()
    }

    /// Holds the blocks (returns true when the held ones grew past [`PENDING_MAX`] and
    /// were written: the destination streams from then on) or writes them now.
    pub(super) fn add(&mut self, blocks: Vec<text::Block>) -> io::Result<bool> {
        if self.buffered {
            self.pending_bytes += blocks.iter().map(|b| b.text.len()).sum::<usize>();
            self.pending.extend(blocks);
            if self.pending_bytes > PENDING_MAX {
                self.flush_pending()?;
                self.buffered = false;
                return Ok(true);
            }
            return Ok(false);
        }
        for b in &blocks {
            self.sink.write_all(b.text.as_bytes())?;
        }
        // Findings are rare and someone may be tailing: hand them over at once.
        self.sink.flush()?;
        Ok(false)
    }

    /// Writes what was held, sorted by path, then line (then the order within the file's
    /// message, then text, so that blocks of one path and line come in the same order
    /// every run).
    pub(super) fn flush_pending(&mut self) -> io::Result<()> {
        let mut pending = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        if pending.is_empty() {
            return Ok(());
        }
        pending.sort_by(|a, b| {
            (&a.path, a.line, a.rank, &a.text).cmp(&(&b.path, b.line, b.rank, &b.text))
        });
        for b in &pending {
            self.sink.write_all(b.text.as_bytes())?;
        }
        self.sink.flush()
    }

    pub(super) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }
}
