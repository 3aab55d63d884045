//! The live progress line on stderr, shown only when stderr is a terminal.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use crate::summary::{Stats, human_bytes};

pub(crate) struct Progress {
    stats: Arc<Stats>,
    shown: bool,
}

impl Progress {
    pub(crate) fn new(stats: Arc<Stats>) -> Progress {
        Progress {
            stats,
            shown: false,
        }
    }

    pub(crate) fn draw(&mut self) {
        let s = &self.stats;
        let line = format!(
            "\r\x1b[2Kshellsweep: {} files, {}, {} findings, {} errors",
            s.files_scanned.load(Relaxed),
            human_bytes(s.bytes_scanned.load(Relaxed)),
            s.findings_total(),
            s.errors.load(Relaxed),
        );
        let _ = std::io::stderr().write_all(line.as_bytes());
        self.shown = true;
    }

    /// Erases the line so that other output starts on a clean line.
    pub(crate) fn clear(&mut self) {
        if self.shown {
            let _ = std::io::stderr().write_all(b"\r\x1b[2K");
            self.shown = false;
        }
    }
}
