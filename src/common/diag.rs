//! Diagnostics for rule files: every problem names the file, line and column, and shows the
//! line with a caret, because a rule author should never have to guess where a mistake is.

use std::fmt;

/// A place in a source text: 1-based line and 1-based column, counted in characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub col: usize,
}

impl Pos {
    pub(crate) fn new(line: usize, col: usize) -> Pos {
        Pos { line, col }
    }

    /// The position `chars` characters to the right on the same line.
    pub(crate) fn shifted(self, chars: usize) -> Pos {
        Pos::new(self.line, self.col + chars)
    }
}

/// Whether a problem stops the rules from loading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// The file (and the run) is refused.
    Error,
    /// The rule loads, but works worse than its author likely meant (slow, never useful).
    Warning,
}

/// One problem found in a rule file.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Error or warning.
    pub level: Level,
    /// A stable code for the kind of problem (`SSW-E017`; see docs/RULES.md), so that a
    /// reader can look it up and a script can match it whatever the wording.
    pub code: Option<&'static str>,
    /// The rule file, as it was named (or `bundled:...` for the built-in rules).
    pub file: String,
    /// Where in the file.
    pub pos: Pos,
    /// What is wrong, in words.
    pub message: String,
    /// The source line the position points into, kept so the diagnostic renders on its own.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// Whether this stops the rules from loading.
    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        // The file name and the message can quote rule text (a Sigma logsource, a modifier,
        // a YARA identifier) from files someone else wrote: no control character of theirs
        // reaches the terminal.
        write!(
            f,
            "{}:{}:{}: {}: {}",
            printable_line(&self.file),
            self.pos.line,
            self.pos.col,
            level,
            printable_line(&self.message)
        )?;
        // At the end of the first line, as compilers print a warning's flag: the
        // `FILE:LINE:COL: error: MESSAGE` form that editors parse stays intact.
        if let Some(code) = self.code {
            write!(f, " [{code}]")?;
        }
        if let Some(line) = &self.source_line {
            let shown = printable_line(line);
            // Pad with the line's own tabs so the caret lines up in any tab width.
            let pad: String = line
                .chars()
                .take(self.pos.col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n    {shown}\n    {pad}^")?;
        }
        Ok(())
    }
}

/// Control characters in rule text would garble a terminal; they are replaced by `?`.
fn printable_line(line: &str) -> String {
    line.chars()
        .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
        .collect()
}

/// Collects diagnostics for one source text.
pub(crate) struct Sink<'a> {
    file: &'a str,
    text: &'a str,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// The text is one of the bundled rule files, whose regexes the test suite checks and
    /// compiles: loading them need not check them again at every start.
    trusted: bool,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(file: &'a str, text: &'a str) -> Sink<'a> {
        Sink {
            file,
            text,
            diagnostics: Vec::new(),
            trusted: false,
        }
    }

    /// A sink for a bundled rule file (see [`Sink::is_trusted`]).
    pub(crate) fn trusted(mut self) -> Sink<'a> {
        self.trusted = true;
        self
    }

    pub(crate) fn is_trusted(&self) -> bool {
        self.trusted
    }

    pub(crate) fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.push(Level::Error, None, pos, message.into());
    }

    /// A diagnostic with a code; the code decides whether it is an error or a warning.
    pub(crate) fn report(
        &mut self,
        level: Level,
        code: &'static str,
        pos: Pos,
        message: impl Into<String>,
    ) {
        self.push(level, Some(code), pos, message.into());
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    fn push(&mut self, level: Level, code: Option<&'static str>, pos: Pos, message: String) {
        let source_line = pos
            .line
            .checked_sub(1)
            .and_then(|i| self.text.lines().nth(i))
            .map(str::to_owned);
        self.diagnostics.push(Diagnostic {
            level,
            code,
            file: self.file.to_owned(),
            pos,
            message,
            source_line,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_line_and_caret_under_the_column() {
        let text = "rules:\n  - id: x\n    severity: fatal\n";
        let mut sink = Sink::new("r.yml", text);
        sink.error(Pos::new(3, 15), "unknown severity");
        let shown = sink.diagnostics[0].to_string();
        assert_eq!(
            shown,
            "r.yml:3:15: error: unknown severity\n        severity: fatal\n                  ^"
        );
    }

    #[test]
    fn the_code_ends_the_first_line() {
        let text = "rules:\n  - id: x\n";
        let mut sink = Sink::new("r.yml", text);
        sink.report(Level::Warning, "SSW-W001", Pos::new(2, 5), "odd");
        let shown = sink.diagnostics[0].to_string();
        assert_eq!(
            shown,
            "r.yml:2:5: warning: odd [SSW-W001]\n      - id: x\n        ^"
        );
    }

    #[test]
    fn control_characters_in_the_line_are_not_printed() {
        let text = "id: \u{1b}[31mred\n";
        let mut sink = Sink::new("r.yml", text);
        sink.report(Level::Warning, "SSW-W999", Pos::new(1, 5), "odd");
        assert!(!sink.diagnostics[0].to_string().contains('\u{1b}'));
    }
}
