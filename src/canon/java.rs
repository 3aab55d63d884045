//! The canonical view of JSP and Java code, and the machinery it shares with the ASP view.
//! Java decodes `\uXXXX` escapes before it lexes, so they are decoded first, everywhere in
//! code; then comments go, white space collapses and literal expressions fold (see `fold`).
//! In a server page only the code is lexed (`<% %>`, `<jsp:scriptlet>`, `<script
//! runat="server">`); template text is copied with its white space collapsed.
//!
//! The form rules can rely on in code: every string literal, whatever its quotes or escapes
//! in the source, is written `"..."` with `\"`, `\\`, `\n`, `\r`, `\t` and `\xHH` for other
//! control bytes (a char literal likewise in single quotes); a space only between two words
//! (`exec (` is `exec(`, `a = b` is `a=b`, `return x` keeps its space); a line break where
//! there was one, except next to `.`, brackets and separators; no comments.

mod consts;
pub(crate) mod fold;
mod methods;
pub(crate) mod tok;

use super::{Builder, View};
use tok::{Dialect, Src, Ws};

pub(super) fn view(raw: &[u8]) -> View {
    render(raw, Dialect::Java, true)
}

/// The view of a server page or source file whose code is in `file`'s language unless a
/// script tag names another.
pub(crate) fn render(raw: &[u8], file: Dialect, jsp: bool) -> View {
    let mut b = Builder::with_capacity(raw.len());
    // White space not yet written, and where it was: runs of it across a removed server
    // comment collapse into one.
    let mut pending = (Ws::None, 0);
    for seg in segments(raw, jsp) {
        match seg.kind {
            SegKind::Text => text(raw, seg.start, seg.end, &mut b, &mut pending),
            SegKind::Drop => pending = (pending.0.max(Ws::Space), seg.start),
            SegKind::Code(lang) => {
                flush(&mut b, &mut pending);
                let d = lang.filter(|_| !jsp).unwrap_or(file);
                if d == Dialect::Java {
                    let seg_bytes = &raw[seg.start..seg.end];
                    // `<jsp:scriptlet>` bodies are XML: entities and CDATA first.
                    let (xml, xml_map) = if lang == Some(Dialect::Java) {
                        let (v, m) = xml_decode(seg_bytes, seg.start);
                        (Some(v), Some(m))
                    } else {
                        (None, None)
                    };
                    let at = |k: usize| xml_map.as_ref().map_or((seg.start + k) as u32, |m| m[k]);
                    let (bytes, map) = unicode(xml.as_deref().unwrap_or(seg_bytes), at);
                    let src = Src {
                        bytes: &bytes,
                        map: map.as_deref().or(xml_map.as_deref()),
                        base: seg.start,
                    };
                    code(&src, d, seg.end, &mut b);
                } else {
                    let src = Src {
                        bytes: &raw[seg.start..seg.end],
                        map: None,
                        base: seg.start,
                    };
                    code(&src, d, seg.end, &mut b);
                }
            }
        }
        if b.is_full() {
            break;
        }
    }
    flush(&mut b, &mut pending);
    b.finish()
}

fn flush(b: &mut Builder, pending: &mut (Ws, usize)) {
    match pending.0 {
        Ws::None => {}
        Ws::Space => b.push(b' ', pending.1),
        Ws::Line => b.push(b'\n', pending.1),
    }
    pending.0 = Ws::None;
}

/// Lexes, folds and writes one code region.
fn code(src: &Src, d: Dialect, end: usize, b: &mut Builder) {
    let (toks, tail) = match d {
        Dialect::Vb => super::dotnet::vb::lex(src),
        _ => tok::lex_c(src, d),
    };
    let toks = fold::fold(toks, d);
    tok::emit(&toks, tail, end.saturating_sub(1), b);
}

/// Copies template text, collapsing each run of white space to one space or line break.
fn text(raw: &[u8], start: usize, end: usize, b: &mut Builder, pending: &mut (Ws, usize)) {
    for (i, &c) in raw[start..end].iter().enumerate() {
        match c {
            b'\n' => *pending = (Ws::Line, start + i),
            b' ' | b'\t' | b'\r' | 0x0b | 0x0c => *pending = (pending.0.max(Ws::Space), start + i),
            _ => {
                flush(b, pending);
                b.push(c, start + i);
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SegKind {
    /// Template text (HTML), copied.
    Text,
    /// Server code; with the language a `<script runat="server" language=...>` names.
    Code(Option<Dialect>),
    /// A server-side comment.
    Drop,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Seg {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) kind: SegKind,
}

fn find_ci(b: &[u8], pat: &[u8], from: usize) -> Option<usize> {
    let hay = b.get(from..)?;
    hay.windows(pat.len())
        .position(|w| w.eq_ignore_ascii_case(pat))
        .map(|p| p + from)
}

/// The language an attribute `language=...` names, if any.
pub(crate) fn lang_attr(tag: &[u8]) -> Option<Dialect> {
    let p = find_ci(tag, b"language", 0)?;
    let rest = &tag[p + 8..];
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    let rest = rest.strip_prefix(b"=")?;
    let v: Vec<u8> = rest
        .iter()
        .skip_while(|c| matches!(c, b' ' | b'"' | b'\''))
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'#')
        .map(u8::to_ascii_lowercase)
        .collect();
    Some(match v.as_slice() {
        b"c#" | b"cs" | b"csharp" => Dialect::CSharp,
        b"vb" | b"vbs" | b"vbscript" | b"visualbasic" => Dialect::Vb,
        b"jscript" | b"javascript" | b"js" => Dialect::JScript,
        b"java" => Dialect::Java,
        _ => return None,
    })
}

/// Splits a server page into template text, code and server comments: `<% %>` blocks (after
/// their `@ ! = # : $` marker), `<%-- --%>` comments, `<script runat="server">` bodies and, for
/// JSP, `<jsp:scriptlet>`-style elements. A file with none of these is all code.
pub(crate) fn segments(raw: &[u8], jsp: bool) -> Vec<Seg> {
    let mut segs = Vec::new();
    let mut text_from = 0;
    let mut i = 0;
    let mut any = false;
    let cut =
        |segs: &mut Vec<Seg>, from: usize, to: usize, kind: SegKind, start: usize, end: usize| {
            if to > from {
                segs.push(Seg {
                    start: from,
                    end: to,
                    kind: SegKind::Text,
                });
            }
            if end > start {
                segs.push(Seg { start, end, kind });
            }
        };
    while let Some(lt) = tok::memchr(b'<', raw, i) {
        let rest = &raw[lt..];
        if rest.starts_with(b"<%--") {
            let end = tok::find(raw, b"--%>", lt + 4).map_or(raw.len(), |e| e + 4);
            cut(&mut segs, text_from, lt, SegKind::Drop, lt, end);
            (text_from, i, any) = (end, end, true);
        } else if rest.starts_with(b"<%") {
            let close = tok::find(raw, b"%>", lt + 2);
            let end = close.unwrap_or(raw.len());
            let marker = raw.get(lt + 2).copied().unwrap_or(0);
            let after = end.min(close.map_or(end, |c| c + 2));
            if marker == b'@' {
                // A directive: template text for the view (its language is read elsewhere).
                (i, any) = (after.max(lt + 2), true);
                continue;
            }
            let body = if b"!=#:$".contains(&marker) {
                lt + 3
            } else {
                lt + 2
            };
            let body = body.min(end);
            cut(&mut segs, text_from, body, SegKind::Code(None), body, end);
            (text_from, i, any) = (end, after.max(lt + 2), true);
        } else if let Some(tag_end) = server_tag(raw, lt, jsp) {
            let (open_end, close) = tag_end;
            let tag = &raw[lt..open_end];
            let lang = if tag.starts_with(b"<jsp:") {
                Some(Dialect::Java)
            } else {
                lang_attr(tag)
            };
            cut(
                &mut segs,
                text_from,
                open_end,
                SegKind::Code(lang),
                open_end,
                close,
            );
            (text_from, i, any) = (close, close, true);
        } else {
            i = lt + 1;
        }
    }
    if !any {
        return vec![Seg {
            start: 0,
            end: raw.len(),
            kind: SegKind::Code(None),
        }];
    }
    if raw.len() > text_from {
        segs.push(Seg {
            start: text_from,
            end: raw.len(),
            kind: SegKind::Text,
        });
    }
    segs
}

const MAX_TAG: usize = 1024;

/// A `<script runat="server">` (or JSP `<jsp:scriptlet>`) element at `lt`: the end of its
/// opening tag and the start of its closing tag.
fn server_tag(raw: &[u8], lt: usize, jsp: bool) -> Option<(usize, usize)> {
    let rest = &raw[lt..];
    let head = &rest[..rest.len().min(12)];
    let (close_pat, ok): (&[u8], bool) =
        if head.len() >= 7 && head[..7].eq_ignore_ascii_case(b"<script") {
            (b"</script", true)
        } else if jsp && head.len() >= 5 && head[..5].eq_ignore_ascii_case(b"<jsp:") {
            let name = &rest[5..];
            let ok = [&b"scriptlet"[..], b"declaration", b"expression"]
                .iter()
                .any(|n| name.starts_with(n));
            (b"</jsp:", ok)
        } else {
            return None;
        };
    if !ok {
        return None;
    }
    // An opening tag is short; not looking further keeps `<script<script...` linear.
    let window = &raw[..raw.len().min(lt + MAX_TAG)];
    let open_end = tok::memchr(b'>', window, lt)? + 1;
    let tag = &raw[lt..open_end];
    if close_pat == b"</script" && find_ci(tag, b"runat", 0).is_none() {
        return None;
    }
    let close = find_ci(raw, close_pat, open_end).unwrap_or(raw.len());
    Some((open_end, close))
}

/// Decodes Java's `\uXXXX` (and `\uuuuXXXX`) escapes where the backslash is not itself
/// escaped. Returns the decoded bytes and the raw offset of each, or no map if nothing changed.
fn unicode(seg: &[u8], at: impl Fn(usize) -> u32) -> (Vec<u8>, Option<Vec<u32>>) {
    let Some(mut first) = tok::find(seg, b"\\u", 0) else {
        return (seg.to_vec(), None);
    };
    while first > 0 && seg[first - 1] == b'\\' {
        first -= 1;
    }
    let mut out = seg[..first].to_vec();
    let mut map: Vec<u32> = (0..first).map(&at).collect();
    let mut slashes = 0usize;
    let mut i = first;
    let escape_at = |i: usize| -> Option<(u32, usize)> {
        if seg.get(i) != Some(&b'\\') {
            return None;
        }
        let mut j = i + 1;
        while seg.get(j) == Some(&b'u') {
            j += 1;
        }
        if j == i + 1 {
            return None;
        }
        Some((tok::hex_val(seg.get(j..j + 4)?)?, j + 4))
    };
    while i < seg.len() {
        let c = seg[i];
        let escape = (c == b'\\' && slashes.is_multiple_of(2))
            .then(|| escape_at(i))
            .flatten();
        if let Some((mut cp, mut j)) = escape {
            // A surrogate pair is two escapes.
            if (0xd800..0xdc00).contains(&cp)
                && let Some((lo, k)) = escape_at(j).filter(|(lo, _)| (0xdc00..0xe000).contains(lo))
            {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                j = k;
            }
            tok::push_cp(&mut out, cp);
            map.resize(out.len(), at(i));
            slashes = 0;
            i = j;
            continue;
        }
        slashes = if c == b'\\' { slashes + 1 } else { 0 };
        out.push(c);
        map.push(at(i));
        i += 1;
    }
    (out, Some(map))
}

/// Decodes XML entities and drops CDATA markers in a JSPX code element.
fn xml_decode(seg: &[u8], base: usize) -> (Vec<u8>, Vec<u32>) {
    let mut out = Vec::with_capacity(seg.len());
    let mut map = Vec::with_capacity(seg.len());
    let mut i = 0;
    while i < seg.len() {
        let rest = &seg[i..];
        if rest.starts_with(b"<![CDATA[") || rest.starts_with(b"]]>") {
            i += if rest[0] == b'<' { 9 } else { 3 };
            continue;
        }
        let entity = (rest[0] == b'&')
            .then(|| tok::memchr(b';', &rest[..rest.len().min(12)], 1))
            .flatten()
            .and_then(|e| {
                let cp = match &rest[1..e] {
                    b"lt" => u32::from(b'<'),
                    b"gt" => u32::from(b'>'),
                    b"amp" => u32::from(b'&'),
                    b"quot" => u32::from(b'"'),
                    b"apos" => u32::from(b'\''),
                    [b'#', b'x' | b'X', h @ ..] => tok::hex_val(h)?,
                    [b'#', d @ ..] => std::str::from_utf8(d).ok()?.parse().ok()?,
                    _ => return None,
                };
                Some((cp, e + 1))
            });
        if let Some((cp, len)) = entity {
            tok::push_cp(&mut out, cp);
            map.resize(out.len(), (base + i) as u32);
            i += len;
        } else {
            out.push(seg[i]);
            map.push((base + i) as u32);
            i += 1;
        }
    }
    (out, map)
}

#[cfg(test)]
mod tests;
