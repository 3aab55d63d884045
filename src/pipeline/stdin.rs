//! Standard input, scanned as one file.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use crate::logs::sniff;
use crate::logscan::{LogInput, Start};
use crate::read::{Encoding, FileMeta, NotRead, decode_head, utf8_bom_len};

use super::file::{path_indicators, read_as_file_too};
use super::{HEAD, RouteError, STDIN, Worker};

impl Worker {
    /// Standard input, scanned as one file: a log when its content says so (streamed, gzip
    /// and UTF-16 decoded), otherwise read whole (up to `--max-filesize`) and matched by the
    /// file rules for `--stdin-name`, or by every file rule without it. A log by its content
    /// under a `--stdin-name` the file rules read, not a log's, is both. It is not part of an
    /// incremental sweep's state: it has no identity to compare with next time.
    pub(super) fn stdin(&mut self) {
        let cfg = Arc::clone(&self.config);
        let named = cfg.stdin_name.is_some();
        let path = cfg
            .stdin_name
            .clone()
            .unwrap_or_else(|| PathBuf::from(STDIN));
        let mut head = Vec::new();
        if let Err(e) = io::stdin().take(HEAD as u64).read_to_end(&mut head) {
            return self.error(&path, RouteError::Stdin(e));
        }
        let encoding = Encoding::of(&head);
        let mut src: Box<dyn Read + Send> = if encoding.is_plain() {
            Box::new(io::stdin())
        } else {
            let decoded = decode_head(encoding, head, io::stdin(), cfg.max_decompressed, HEAD);
            head = decoded.head;
            if let Some(e) = decoded.error
                && sniff(&head, &path).is_none()
            {
                return self.error(&path, RouteError::Stdin(e));
            }
            Box::new(decoded.stream)
        };
        let logs_enabled = self.engine.has_log_rules() || !cfg.iocs.is_empty();
        if logs_enabled && let Some(format) = sniff(&head, &path) {
            // Under a `--stdin-name` the file rules read, as for a file in a tree (see
            // `read_as_file_too`), if it fits `--max-filesize`: held whole for them while it
            // is read as a log. One that does not fit is streamed on as a log only.
            let mut whole = None;
            let contents_wanted =
                self.engine.applies_to(&path, &mut self.scratch) || cfg.yara.is_some();
            if named && read_as_file_too(&path, contents_wanted) {
                let mut rest = Vec::new();
                let max = cfg.read.max_size;
                if let Err(e) = (&mut src)
                    .take(max.saturating_add(1).saturating_sub(head.len() as u64))
                    .read_to_end(&mut rest)
                {
                    return self.error(&path, RouteError::Stdin(e));
                }
                if (head.len() + rest.len()) as u64 <= max {
                    let mut all = head.clone();
                    all.extend_from_slice(&rest);
                    whole = Some(all);
                    src = Box::new(io::Cursor::new(rest));
                } else {
                    src = Box::new(io::Cursor::new(rest).chain(src));
                }
            }
            let bom = usize::from(utf8_bom_len(&head));
            let mut sink = self.findings_sink();
            self.stats.logs_scanned.fetch_add(1, Relaxed);
            let input = LogInput {
                path: &path,
                format,
                head: &head[bom..],
                src,
            };
            match self
                .logs
                .scan(&mut self.scratch, input, &Start::default(), &mut sink)
            {
                Ok(outcome) => self.count_log(&path, &outcome),
                Err(e) => self.error(&path, RouteError::from(e)),
            }
            if let Some(all) = whole {
                self.buf = all;
                self.stdin_file(&path, named);
            }
            return;
        }
        self.buf = head;
        let max = cfg.read.max_size;
        if let Err(e) = (&mut src)
            .take(max.saturating_add(1).saturating_sub(self.buf.len() as u64))
            .read_to_end(&mut self.buf)
        {
            return self.error(&path, RouteError::Stdin(e));
        }
        if self.buf.len() as u64 > max {
            let size = self.buf.len() as u64;
            self.buf.clear();
            return self.not_read(&path, NotRead::TooLarge(size));
        }
        self.stdin_file(&path, named);
    }

    /// Standard input, read whole into the buffer, matched by the file rules.
    fn stdin_file(&mut self, path: &Path, named: bool) {
        let cfg = Arc::clone(&self.config);
        let meta = FileMeta {
            size: self.buf.len() as u64,
            modified: None,
            stamp: Default::default(),
            owner: None,
        };
        self.stats.files_scanned.fetch_add(1, Relaxed);
        self.stats
            .bytes_scanned
            .fetch_add(self.buf.len() as u64, Relaxed);
        let names = if named {
            vec![path.to_path_buf()]
        } else {
            self.engine.nameless_input_names()
        };
        let name_hits = path_indicators(&cfg.iocs, path);
        let names: Vec<&Path> = names.iter().map(PathBuf::as_path).collect();
        self.match_as(path, &names, &meta, name_hits);
    }
}
