//! Releasing the parts of a split log in order: what each part assumed, the board the
//! threads share, and the sink that holds a part's findings until its turn.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::finding::{Finding, Subject};

use super::super::{LogError, LogOutcome, Sink};

/// What a part is scanned with: the number given its first line, the directive assumed in
/// force at its start, and whether both are known (then its findings need not wait).
pub(super) struct Assumed {
    pub(super) line: u64,
    pub(super) fields: Option<Vec<u8>>,
    pub(super) known: bool,
}

/// Which directive a part whose start is not known yet assumes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Guess {
    /// The last one known: from the latest part done before it, or the first part's head.
    Latest,
    /// Always the first part's (tests: makes every part after a change scan again).
    #[cfg(test)]
    FirstOnly,
}

/// A part scanned, waiting for the parts before it.
pub(super) struct Done {
    pub(super) assumed: Option<Vec<u8>>,
    pub(super) line: u64,
    /// The part's length, unless it is the last: a part counts the bytes read up to the
    /// end of its last line, and its line end belongs to the text read too.
    pub(super) span: Option<u64>,
    pub(super) result: Result<LogOutcome, LogError>,
    pub(super) held: Vec<Finding>,
}

/// What to do next to release parts in order.
pub(super) enum Next {
    /// Deliver these findings (line numbers final).
    Deliver(Vec<Finding>),
    /// Scan part `k` again from line `line` with directive `fields`, delivering as found.
    Rescan {
        k: usize,
        line: u64,
        fields: Option<Vec<u8>>,
    },
}

/// The parts' progress, shared by the threads.
pub(super) struct Board {
    pub(super) parts: usize,
    /// Parts before this one are released...
    pub(super) released: usize,
    /// ...the number of the first line of the next, and the directive in force there.
    pub(super) line: u64,
    pub(super) fields: Option<Vec<u8>>,
    /// Parts done, not released yet.
    pub(super) done: Vec<Option<Done>>,
    /// The directive in the first part's head, for parts that start before anything is
    /// known.
    pub(super) head_fields: Option<Vec<u8>>,
    pub(super) guess: Guess,
    /// See [`super::HOLD_MAX`].
    pub(super) hold_max: usize,
    pub(super) total: LogOutcome,
    /// Parts scanned twice because their assumed directive was not the one in force.
    pub(super) rescans: usize,
    pub(super) failed: Option<LogError>,
}

impl Board {
    /// What part `k` is scanned with when it starts now.
    pub(super) fn assume(&self, k: usize) -> Assumed {
        #[cfg(test)]
        let blind = self.guess == Guess::FirstOnly && k > 0;
        #[cfg(not(test))]
        let blind = false;
        if k == self.released && !blind {
            return Assumed {
                line: self.line,
                fields: self.fields.clone(),
                known: true,
            };
        }
        let latest = match self.guess {
            Guess::Latest => (self.released..k).rev().find_map(|j| {
                let done = self.done[j].as_ref()?;
                done.result.as_ref().ok().map(|o| o.iis_fields.clone())
            }),
            #[cfg(test)]
            Guess::FirstOnly => None,
        };
        let fields = latest.unwrap_or_else(|| {
            // Blind, a part assumes the first directive however far the others got: which
            // parts scan again does not depend on how fast the threads ran.
            if self.released == 0 || blind {
                self.head_fields.clone().or_else(|| self.fields.clone())
            } else {
                self.fields.clone()
            }
        });
        Assumed {
            line: 1,
            fields,
            known: false,
        }
    }

    /// The next step in releasing parts in order, if the oldest unreleased part is done.
    pub(super) fn next(&mut self) -> Option<Next> {
        if self.failed.is_some() || self.released >= self.parts {
            return None;
        }
        let done = self.done[self.released].take()?;
        if done.assumed != self.fields {
            self.rescans += 1;
            return Some(Next::Rescan {
                k: self.released,
                line: self.line,
                fields: self.fields.clone(),
            });
        }
        Some(Next::Deliver(self.release(done)))
    }

    /// Releases the oldest unreleased part, scanned with the directive in force at its
    /// start: adds up what it did, and returns its findings, numbered from where it starts.
    pub(super) fn release(&mut self, done: Done) -> Vec<Finding> {
        let Done {
            line,
            span,
            result,
            mut held,
            ..
        } = done;
        let shift = self.line - line;
        shift_lines(&mut held, shift);
        match result {
            Ok(mut o) => {
                if let Some(span) = span {
                    o.bytes = span;
                }
                o.next.0 += shift;
                if let Some(((l, _), _)) = &mut o.resume {
                    *l += shift;
                }
                self.line = o.next.0;
                self.fields.clone_from(&o.iis_fields);
                self.released += 1;
                add(&mut self.total, o);
            }
            // The lines after the break are not known: later parts cannot be numbered.
            Err(e) => self.failed = Some(e),
        }
        held
    }
}

/// What a part does with its findings.
#[derive(Clone, Copy)]
pub(super) enum Mode {
    /// Keeps them until the parts before it are done.
    Hold,
    /// Delivers them at once, line numbers shifted by this much.
    Deliver(u64),
    /// Drops them: it will be scanned again.
    Drop,
}

/// The sink of a part: holds its findings, and when they are too many waits for its turn
/// (see [`super::HOLD_MAX`]).
pub(super) struct Hold<'a> {
    pub(super) k: usize,
    pub(super) line: u64,
    pub(super) fields: &'a Option<Vec<u8>>,
    pub(super) board: &'a Mutex<Board>,
    pub(super) turn: &'a Condvar,
    pub(super) sink: &'a mut dyn Sink,
    pub(super) held: Vec<Finding>,
    pub(super) mode: Mode,
    pub(super) hold_max: usize,
}

impl Sink for Hold<'_> {
    fn findings(&mut self, mut batch: Vec<Finding>) {
        match self.mode {
            Mode::Drop => {}
            Mode::Deliver(shift) => {
                shift_lines(&mut batch, shift);
                self.sink.findings(batch);
            }
            Mode::Hold => {
                self.held.append(&mut batch);
                if self.held.len() >= self.hold_max {
                    self.wait_turn();
                }
            }
        }
    }
}

impl Hold<'_> {
    /// Waits until every part before this one is released. Then no other part delivers
    /// until this one is done, so what it holds and finds next can go out at once, if the
    /// directive it assumed is the one in force; else it is to be scanned again.
    fn wait_turn(&mut self) {
        let mut b = lock(self.board);
        while b.failed.is_none() && b.released < self.k {
            b = self.turn.wait(b).unwrap_or_else(PoisonError::into_inner);
        }
        let ours = b.failed.is_none() && b.released == self.k && b.fields == *self.fields;
        let line = b.line;
        drop(b);
        let mut held = std::mem::take(&mut self.held);
        if ours {
            let shift = line - self.line;
            shift_lines(&mut held, shift);
            self.sink.findings(held);
            self.mode = Mode::Deliver(shift);
        } else {
            self.mode = Mode::Drop;
        }
    }
}

pub(super) fn shift_lines(findings: &mut [Finding], by: u64) {
    for f in findings {
        if let Subject::Log(s) = &mut f.subject {
            s.line += by;
        }
    }
}

/// Adds what one part did to what the parts before it did.
pub(super) fn add(total: &mut LogOutcome, o: LogOutcome) {
    total.records += o.records;
    total.outside_window += o.outside_window;
    total.truncated_lines += o.truncated_lines;
    total.unparsed_lines += o.unparsed_lines;
    total.bytes += o.bytes;
    total.findings_below_min_severity += o.findings_below_min_severity;
    total.next = o.next;
    total.iis_fields = o.iis_fields;
    total.lines_pending += o.lines_pending;
    total.before_since += o.before_since;
    total.reported_since = o.reported_since;
    // The first part that must be read again decides where the next sweep resumes (and
    // so which text before that point makes the fingerprint).
    if total.resume.is_none() {
        total.resume = o.resume;
        total.tail = o.tail;
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
