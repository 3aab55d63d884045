//! A canonical view of a script: the same code with the obfuscation that defeats raw-text
//! rules undone (comments removed, white space collapsed, literal strings joined, escapes and
//! `chr(N)` chains decoded, trivially constant expressions evaluated). Rules run on the raw
//! bytes and on the view; a match in the view is reported at the raw line it came from.
//!
//! One small lexer per language family, no parser: each pass is linear in the input and the
//! view is bounded in size, so a hostile file costs at most a few passes over its bytes.

mod dotnet;
mod java;
mod php;

use std::path::Path;

/// Files larger than this get no view: real webshells are small, and the view's offset map
/// costs four bytes per byte.
pub(crate) const MAX_INPUT: usize = 2 << 20;

/// A view may grow (decoded escapes never do, but joined strings and resolved names can be
/// repeated); past this it is cut off.
pub(crate) const MAX_OUTPUT: usize = 2 * MAX_INPUT;

/// The language family of a script, by its file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    /// PHP (`.php`, `.phtml`, `.inc`, ...).
    Php,
    /// JSP and Java (`.jsp`, `.jspx`, `.jspf`, `.java`).
    Java,
    /// Classic ASP (VBScript or JScript) and ASP.NET (C# or VB.NET): `.asp`, `.aspx`,
    /// `.ashx`, `.asmx`, `.ascx`, `.asax`, `.cs`, `.vb`, `.cshtml`.
    DotNet,
}

impl Lang {
    pub(crate) fn of(path: &Path) -> Option<Lang> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "php" | "php3" | "php4" | "php5" | "php7" | "php8" | "phtml" | "pht" | "phps"
            | "phar" | "inc" => Lang::Php,
            "jsp" | "jspx" | "jspf" | "java" => Lang::Java,
            "asp" | "asa" | "cer" | "cdx" | "aspx" | "ashx" | "asmx" | "ascx" | "asax" | "cs"
            | "vb" | "cshtml" | "vbhtml" => Lang::DotNet,
            _ => return None,
        })
    }
}

/// The canonical text of a script and, for each of its bytes, where it came from.
#[derive(Debug, Default)]
pub(crate) struct View {
    text: Vec<u8>,
    /// `origin[i]` is the raw offset of the token that produced `text[i]`.
    origin: Vec<u32>,
}

impl View {
    pub(crate) fn text(&self) -> &[u8] {
        &self.text
    }

    /// The raw offset behind view offset `i` (the raw length past the end).
    pub(crate) fn origin(&self, i: usize, raw_len: usize) -> usize {
        self.origin.get(i).map_or(raw_len, |&o| o as usize)
    }
}

/// Builds a view; languages push bytes with the raw offset they stand for.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    view: View,
    full: bool,
}

impl Builder {
    pub(crate) fn with_capacity(n: usize) -> Builder {
        Builder {
            view: View {
                text: Vec::with_capacity(n),
                origin: Vec::with_capacity(n),
            },
            full: false,
        }
    }

    pub(crate) fn push(&mut self, byte: u8, origin: usize) {
        if self.view.text.len() >= MAX_OUTPUT {
            self.full = true;
            return;
        }
        self.view.text.push(byte);
        self.view.origin.push(origin as u32);
    }

    /// Pushes bytes that all stand for the token at `origin`.
    pub(crate) fn push_all(&mut self, bytes: &[u8], origin: usize) {
        for &b in bytes {
            self.push(b, origin);
        }
    }

    /// Pushes raw bytes `raw[start..end]`, each with its own offset.
    pub(crate) fn copy(&mut self, raw: &[u8], start: usize, end: usize) {
        for (i, &b) in raw[start..end].iter().enumerate() {
            self.push(b, start + i);
        }
    }

    pub(crate) fn is_full(&self) -> bool {
        self.full
    }

    pub(crate) fn finish(self) -> View {
        self.view
    }
}

/// The canonical view of `raw`, or `None` when there is none worth scanning: the file is too
/// large, or the view is the raw text itself.
pub(crate) fn view(lang: Lang, raw: &[u8]) -> Option<View> {
    if raw.len() > MAX_INPUT || raw.is_empty() {
        return None;
    }
    let view = match lang {
        Lang::Php => php::view(raw),
        Lang::Java => java::view(raw),
        Lang::DotNet => dotnet::view(raw),
    };
    (view.text != raw).then_some(view)
}
