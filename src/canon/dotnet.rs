//! The canonical view of classic ASP (VBScript, JScript) and ASP.NET (C#, VB.NET) code. The
//! language comes from the page's `Language=` directive or a server script tag's `language=`,
//! else from what the code looks like (VBScript when in doubt, as classic ASP defaults to it).
//! C# and JScript share the C-family lexer and folding with Java; VB has its own lexer.

pub(crate) mod vb;

use super::View;
use super::java::tok::Dialect;
use super::java::{lang_attr, render};

pub(super) fn view(raw: &[u8]) -> View {
    render(raw, language(raw), false)
}

/// How much of a file the language guess reads.
const SNIFF: usize = 256 << 10;

/// The page's language: a `<%@ ... Language="..." %>` directive, else a guess from keywords.
pub(crate) fn language(raw: &[u8]) -> Dialect {
    let mut i = 0;
    while let Some(p) = super::java::tok::find(raw, b"<%@", i) {
        let end = super::java::tok::find(raw, b"%>", p).unwrap_or(raw.len());
        if let Some(d) = lang_attr(&raw[p..end]).filter(|&d| d != Dialect::Java) {
            return d;
        }
        i = end;
    }
    let head = raw[..raw.len().min(SNIFF)].to_ascii_lowercase();
    // No pattern overlaps itself, so counting matches one after another counts them all.
    let count = |pats: &[&[u8]]| -> usize {
        pats.iter()
            .map(|p| memchr::memmem::find_iter(&head, p).count())
            .sum()
    };
    let c = count(&[b";\n", b";\r\n", b"{", b"using system", b"namespace "]);
    let vb = count(&[
        b"dim ",
        b"end if",
        b"end sub",
        b"end function",
        b"set ",
        b"wend",
        b" then",
    ]);
    if c >= 3 && c > 2 * vb {
        Dialect::CSharp
    } else {
        Dialect::Vb
    }
}

#[cfg(test)]
mod tests;
