//! Tokens of php code. Comments are dropped here and white space becomes a mark on the next
//! token, so the folding passes see only the tokens that matter and adjacent literals touch.

/// What a token is, as far as folding cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Copied as is: text outside php blocks, open and close tags, backtick commands and
    /// heredocs with variables in them.
    Raw,
    /// A string literal without variables; `val` holds its decoded bytes.
    Str,
    /// A double-quoted string with variables: `val` holds it with escapes decoded except
    /// `\\`, `\"` and `\$`, which stay so that what looks interpolated is interpolated.
    IStr,
    Var,
    Ident,
    Num,
    Punct,
}

/// The white space before a token, collapsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Gap {
    None,
    Space,
    Line,
}

#[derive(Clone, Debug)]
pub(super) struct Tok {
    pub(super) kind: Kind,
    pub(super) gap: Gap,
    /// `val`'s byte `i` came from `raw[base + i]` (see [`Val`]), so a decoded string keeps
    /// per-byte origins.
    pub(super) exact: bool,
    /// For a literal without `val` (see [`Tok::text`]): the bytes of its closing quote, 1,
    /// or 0 when the file ends inside it.
    pub(super) close: u8,
    /// The raw offset of the gap (its first newline when it holds one).
    pub(super) gap_at: u32,
    pub(super) start: u32,
    pub(super) end: u32,
    /// The token's text when it is not `raw[start..end]`, nor for a string literal the raw
    /// bytes between its quotes (see [`Tok::text`]). Boxed,
    /// with the offset only exact tokens need, so that a token is 24 bytes: most tokens
    /// have none, and a file of a million numbers and commas (a font table) is one stream
    /// of them while it is folded (issue 18: 22 MB at 32 bytes a token).
    pub(super) val: Option<Box<Val>>,
}

/// A token's own text.
#[derive(Clone, Debug, Default)]
pub(super) struct Val {
    pub(super) bytes: Vec<u8>,
    /// Where `bytes` starts in the raw text, when the token is `exact`.
    pub(super) base: u32,
}

// A big file's tokens are the largest thing a scan holds (see `val`).
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Tok>() <= 24);

impl Tok {
    /// The token's text; a string literal's is its value. A literal whose value is the raw
    /// bytes between its quotes, as nearly every literal of real code is, has no `val`:
    /// its value is read from the raw text (a `Box` and a `Vec` each were a third of a
    /// sweep's allocations).
    pub(super) fn text<'a>(&'a self, raw: &'a [u8]) -> &'a [u8] {
        let (from, to) = match (&self.val, self.kind) {
            (Some(v), _) => return v.bytes.as_slice(),
            (None, Kind::Str | Kind::IStr) => (
                self.start as usize + 1,
                (self.end as usize).saturating_sub(usize::from(self.close)),
            ),
            (None, _) => (self.start as usize, self.end as usize),
        };
        raw.get(from..to).unwrap_or(&[])
    }

    /// The token's own text, made its own first if it was read from the raw text.
    pub(super) fn val_mut(&mut self, raw: &[u8]) -> &mut Val {
        if self.val.is_none() {
            let lit = matches!(self.kind, Kind::Str | Kind::IStr);
            let base = if lit { self.start + 1 } else { self.start };
            let bytes = if lit {
                self.text(raw).to_vec()
            } else {
                Vec::new()
            };
            self.val = Some(Box::new(Val { bytes, base }));
        }
        self.val.as_mut().expect("set above")
    }

    /// Gives the token its own text (the offset it keeps is for exact tokens only).
    pub(super) fn set_val(&mut self, bytes: Vec<u8>) {
        self.val = Some(Box::new(Val {
            bytes,
            base: self.start,
        }));
    }

    /// The token's own text, moved out (empty when it had none); a string literal's value.
    pub(super) fn take_val(&mut self, raw: &[u8]) -> Vec<u8> {
        match self.val.take() {
            Some(v) => v.bytes,
            None if matches!(self.kind, Kind::Str | Kind::IStr) => self.text(raw).to_vec(),
            None => Vec::new(),
        }
    }

    pub(super) fn is(&self, raw: &[u8], kind: Kind, text: &[u8]) -> bool {
        self.kind == kind && self.text(raw).eq_ignore_ascii_case(text)
    }

    pub(super) fn punct(&self, raw: &[u8], text: &[u8]) -> bool {
        self.kind == Kind::Punct && self.text(raw) == text
    }
}

pub(super) fn is_id_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_id(b: u8) -> bool {
    is_id_start(b) || b.is_ascii_digit()
}

pub(super) const PUNCT3: [&[u8]; 9] = [
    b"===", b"!==", b"<=>", b"**=", b"...", b"<<=", b">>=", b"??=", b"?->",
];
pub(super) const PUNCT2: [&[u8]; 25] = [
    b"==", b"!=", b"<>", b"<=", b">=", b"&&", b"||", b"??", b".=", b"+=", b"-=", b"*=", b"/=",
    b"%=", b"&=", b"|=", b"^=", b"<<", b">>", b"**", b"++", b"--", b"->", b"=>", b"::",
];

struct Lexer<'a> {
    raw: &'a [u8],
    pos: usize,
    toks: Vec<Tok>,
    gap: Gap,
    gap_at: usize,
}

/// Lexes a whole file. A file with no `<?` at all is lexed as code: php would print it, but
/// such files are mostly fragments (payloads that another file `eval`s or includes after
/// adding the tag, samples cut out of a page), and lexing prose as code only drops its
/// comments-looking parts from the view, never from the raw text that rules also see.
#[cfg(test)]
pub(super) fn lex(raw: &[u8]) -> Vec<Tok> {
    lex_into(raw, Vec::new())
}

/// A thread's token vector is kept between files when it is at most this many tokens
/// (1.5 MiB, the tokens of some 150 KB of php): most lexed files fit, and their tokens
/// then go to pages already in use. Grown afresh for each file, the vector's doublings
/// were a third of a web-root sweep's page faults and most of its copying (issue 18).
pub(super) const SPARE_TOKENS: usize = 1 << 16;

/// [`lex`] into `toks` (cleared first), whose capacity is reused: see [`SPARE_TOKENS`].
pub(super) fn lex_into(raw: &[u8], mut toks: Vec<Tok>) -> Vec<Tok> {
    toks.clear();
    let mut lx = Lexer {
        raw,
        pos: 0,
        toks,
        gap: Gap::None,
        gap_at: 0,
    };
    if memchr::memmem::find(raw, b"<?").is_none() {
        lx.php();
    }
    while lx.pos < raw.len() {
        lx.html();
        lx.php();
    }
    // The doubling growth leaves up to half the vector unused, and folding works in this
    // vector to the end of the view: a big file's slack would sit there all along. A
    // vector that will be kept keeps its slack for the next file.
    if lx.toks.capacity() > SPARE_TOKENS {
        lx.toks.shrink_to_fit();
    }
    lx.toks
}

/// Lexes code given to `eval`, which starts inside a php block; every token stands for
/// `origin` (the literal that held the code) and carries its own text.
pub(super) fn lex_code(code: &[u8], origin: u32) -> Vec<Tok> {
    let mut lx = Lexer {
        raw: code,
        pos: 0,
        toks: Vec::new(),
        gap: Gap::None,
        gap_at: 0,
    };
    lx.php();
    while lx.pos < code.len() {
        lx.html();
        lx.php();
    }
    for t in &mut lx.toks {
        if t.val.is_none() {
            t.set_val(t.text(code).to_vec());
        }
        t.exact = false;
        (t.start, t.end, t.gap_at) = (origin, origin + 1, origin);
    }
    lx.toks
}

impl Lexer<'_> {
    fn at(&self, i: usize) -> u8 {
        self.raw.get(i).copied().unwrap_or(0)
    }

    fn push(&mut self, kind: Kind, start: usize, val: Option<Vec<u8>>, base: usize) {
        let exact = match &val {
            Some(v) => self.raw.get(base..base + v.len()) == Some(v.as_slice()),
            None => false,
        };
        self.toks.push(Tok {
            kind,
            gap: self.gap,
            exact,
            close: 0,
            gap_at: self.gap_at as u32,
            start: start as u32,
            end: self.pos as u32,
            val: val.map(|bytes| {
                Box::new(Val {
                    bytes,
                    base: base as u32,
                })
            }),
        });
        self.gap = Gap::None;
    }

    /// A string literal from `start` to the lexer's position whose value is the raw bytes
    /// between its quotes: no `val` (see [`Tok::text`]).
    fn push_raw_literal(&mut self, kind: Kind, start: usize, closed: bool) {
        self.toks.push(Tok {
            kind,
            gap: self.gap,
            exact: true,
            close: u8::from(closed),
            gap_at: self.gap_at as u32,
            start: start as u32,
            end: self.pos as u32,
            val: None,
        });
        self.gap = Gap::None;
    }

    /// Text up to the next open tag, then the tag.
    fn html(&mut self) {
        let raw = self.raw;
        let start = self.pos;
        let mut i = start;
        let tag = loop {
            match memchr::memmem::find(&raw[i..], b"<?") {
                None => {
                    i = raw.len();
                    break 0;
                }
                Some(k) => {
                    i += k;
                    let rest = &raw[i + 2..];
                    if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"xml") {
                        i += 2;
                        continue;
                    }
                    let long = rest.len() >= 3
                        && rest[..3].eq_ignore_ascii_case(b"php")
                        && rest.get(3).is_none_or(|b| b.is_ascii_whitespace());
                    break if long {
                        5
                    } else if rest.first() == Some(&b'=') {
                        3
                    } else {
                        2
                    };
                }
            }
        };
        self.gap = Gap::None;
        if i > start {
            self.pos = i;
            self.push(Kind::Raw, start, None, 0);
        }
        if tag > 0 {
            self.pos = i + tag;
            self.push(Kind::Raw, i, None, 0);
        }
    }

    /// Code up to a close tag (included) or the end.
    fn php(&mut self) {
        let raw = self.raw;
        while self.pos < raw.len() {
            let start = self.pos;
            let c = raw[start];
            let n = self.at(start + 1);
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => {
                    while matches!(self.at(self.pos), b' ' | b'\t' | b'\r' | b'\n') {
                        if raw[self.pos] == b'\n' && self.gap != Gap::Line {
                            self.gap = Gap::Line;
                            self.gap_at = self.pos;
                        } else if self.gap == Gap::None {
                            self.gap = Gap::Space;
                            self.gap_at = self.pos;
                        }
                        self.pos += 1;
                    }
                }
                b'?' if n == b'>' => {
                    self.pos += 2;
                    self.push(Kind::Raw, start, None, 0);
                    return;
                }
                b'#' if n != b'[' => self.line_comment(),
                b'/' if n == b'/' => self.line_comment(),
                b'/' if n == b'*' => {
                    self.pos = match memchr::memmem::find(&raw[start + 2..], b"*/") {
                        Some(k) => start + 2 + k + 2,
                        None => raw.len(),
                    };
                }
                b'\'' => self.single(),
                b'"' => {
                    let end = self.find_end(start + 1, b'"');
                    let body = &raw[start + 1..end.min(raw.len())];
                    if memchr::memchr(b'\\', body).is_none() {
                        // Nothing to decode: the value is the raw bytes.
                        let kind = if interpolates(body) {
                            Kind::IStr
                        } else {
                            Kind::Str
                        };
                        self.pos = (end + 1).min(raw.len());
                        self.push_raw_literal(kind, start, end < raw.len());
                        continue;
                    }
                    self.double(start, start + 1, end.min(raw.len()), false);
                    self.pos = (end + 1).min(raw.len());
                    let val = self.toks.last_mut();
                    if let Some(t) = val {
                        t.end = self.pos as u32;
                    }
                }
                b'`' => {
                    self.pos = (self.find_end(start + 1, b'`') + 1).min(raw.len());
                    self.push(Kind::Raw, start, None, 0);
                }
                b'<' if raw[start..].starts_with(b"<<<") && self.heredoc() => {}
                b'$' if is_id_start(n) => {
                    self.pos += 1;
                    while is_id(self.at(self.pos)) {
                        self.pos += 1;
                    }
                    self.push(Kind::Var, start, None, 0);
                }
                b'0'..=b'9' => self.number(),
                b'.' if n.is_ascii_digit() => self.number(),
                _ if is_id_start(c) || c == b'\\' => {
                    while is_id(self.at(self.pos)) || self.at(self.pos) == b'\\' {
                        self.pos += 1;
                    }
                    self.push(Kind::Ident, start, None, 0);
                    if raw[start..self.pos].eq_ignore_ascii_case(b"__halt_compiler") {
                        // What follows is data (a phar's archive, a packed payload), not
                        // code: it is copied as is.
                        let end = memchr::memchr(b';', &raw[self.pos..])
                            .map_or(raw.len(), |k| self.pos + k + 1);
                        for to in [end, raw.len()] {
                            if to > self.pos {
                                let from = self.pos;
                                self.pos = to;
                                self.push(Kind::Raw, from, None, 0);
                            }
                        }
                        return;
                    }
                }
                _ => {
                    let rest = &raw[start..];
                    // Most punctuation (`(`, `;`, `,`) is one byte: no longer one has a
                    // second byte outside this set.
                    let len = if !matches!(
                        n,
                        b'=' | b'>' | b'<' | b'&' | b'|' | b'?' | b'.' | b'*' | b'+' | b'-' | b':'
                    ) {
                        1
                    } else if PUNCT3.iter().any(|p| rest.starts_with(p)) {
                        3
                    } else if PUNCT2.iter().any(|p| rest.starts_with(p)) {
                        2
                    } else {
                        1
                    };
                    self.pos += len;
                    self.push(Kind::Punct, start, None, 0);
                }
            }
        }
    }

    /// A `//` or `#` comment ends at a newline or a close tag, both left for the caller.
    fn line_comment(&mut self) {
        let raw = self.raw;
        while let Some(k) = memchr::memchr2(b'\n', b'?', &raw[self.pos..]) {
            self.pos += k;
            if raw[self.pos] == b'\n' || self.at(self.pos + 1) == b'>' {
                return;
            }
            self.pos += 1;
        }
        self.pos = raw.len();
    }

    /// The offset of the closing `quote` (past a backslash escape), or the end of the file.
    fn find_end(&self, mut i: usize, quote: u8) -> usize {
        while i < self.raw.len() {
            match self.raw[i] {
                b'\\' => i += 2,
                c if c == quote => return i,
                _ => i += 1,
            }
        }
        self.raw.len()
    }

    fn single(&mut self) {
        let raw = self.raw;
        let start = self.pos;
        // Sized once and copied in runs between backslashes: every literal of a file is
        // one of these.
        let end = self.find_end(start + 1, b'\'').min(raw.len());
        if memchr::memchr(b'\\', &raw[start + 1..end]).is_none() {
            // Nothing to decode: the value is the raw bytes.
            self.pos = (end + 1).min(raw.len());
            self.push_raw_literal(Kind::Str, start, end < raw.len());
            return;
        }
        let mut val = Vec::with_capacity(end - start - 1);
        let mut i = start + 1;
        while let Some(k) = memchr::memchr(b'\\', &raw[i..end]) {
            val.extend_from_slice(&raw[i..i + k]);
            i += k;
            if matches!(self.at(i + 1), b'\\' | b'\'') {
                i += 1;
            }
            val.push(raw[i]);
            i += 1;
        }
        if i < end {
            val.extend_from_slice(&raw[i..end]);
        }
        let i = end;
        self.pos = (i + 1).min(raw.len());
        self.push(Kind::Str, start, Some(val), start + 1);
    }

    /// A double-quoted string or heredoc body `raw[from..to]`.
    fn double(&mut self, start: usize, from: usize, to: usize, heredoc: bool) {
        let body = &self.raw[from..to];
        let interp = interpolates(body);
        let val = decode(body, interp, heredoc);
        self.pos = to;
        let kind = if interp { Kind::IStr } else { Kind::Str };
        self.push(kind, start, Some(val), from);
    }

    /// `<<<ID` / `<<<"ID"` / `<<<'ID'` up to a line holding `ID`; false when it is not one.
    fn heredoc(&mut self) -> bool {
        let raw = self.raw;
        let start = self.pos;
        let mut i = start + 3;
        while matches!(self.at(i), b' ' | b'\t') {
            i += 1;
        }
        let quote = self.at(i);
        let quoted = quote == b'\'' || quote == b'"';
        if quoted {
            i += 1;
        }
        let id_start = i;
        if !is_id_start(self.at(i)) {
            return false;
        }
        while is_id(self.at(i)) {
            i += 1;
        }
        let id = &raw[id_start..i];
        if quoted {
            if self.at(i) != quote {
                return false;
            }
            i += 1;
        }
        if self.at(i) == b'\r' {
            i += 1;
        }
        if self.at(i) != b'\n' {
            return false;
        }
        let body = i + 1;
        let (body_end, end) = closing(raw, body, id);
        if quote == b'\'' {
            self.pos = end;
            self.push(Kind::Str, start, Some(raw[body..body_end].to_vec()), body);
        } else if interpolates(&raw[body..body_end]) {
            self.pos = end;
            self.push(Kind::Raw, start, None, 0);
        } else {
            self.double(start, body, body_end, true);
            self.pos = end;
            if let Some(t) = self.toks.last_mut() {
                t.end = end as u32;
            }
        }
        true
    }

    fn number(&mut self) {
        let raw = self.raw;
        let start = self.pos;
        let digits = |lx: &mut Self, hex: bool| {
            while lx.at(lx.pos) == b'_'
                || (if hex {
                    lx.at(lx.pos).is_ascii_hexdigit()
                } else {
                    lx.at(lx.pos).is_ascii_digit()
                })
            {
                lx.pos += 1;
            }
        };
        if raw[start] == b'0'
            && matches!(self.at(start + 1), b'x' | b'X' | b'b' | b'B' | b'o' | b'O')
        {
            self.pos += 2;
            digits(self, true);
        } else {
            digits(self, false);
            if self.at(self.pos) == b'.' && self.at(self.pos + 1).is_ascii_digit() {
                self.pos += 1;
                digits(self, false);
            }
            let e = self.at(self.pos);
            let s = self.at(self.pos + 1);
            if (e == b'e' || e == b'E')
                && (s.is_ascii_digit()
                    || ((s == b'+' || s == b'-') && self.at(self.pos + 2).is_ascii_digit()))
            {
                self.pos += 2;
                digits(self, false);
            }
        }
        self.push(Kind::Num, start, None, 0);
    }
}

/// Where a heredoc body that starts at `body` ends: (end of the body, end of the closing
/// identifier); an unterminated one runs to the end of the file.
fn closing(raw: &[u8], body: usize, id: &[u8]) -> (usize, usize) {
    let mut line = body;
    while line <= raw.len() {
        let mut i = line;
        while matches!(raw.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if raw[i..].starts_with(id) && !raw.get(i + id.len()).is_some_and(|&b| is_id(b)) {
            let mut body_end = line.saturating_sub(1).max(body);
            if body_end > body && raw[body_end - 1] == b'\r' {
                body_end -= 1;
            }
            return (body_end, i + id.len());
        }
        match memchr::memchr(b'\n', &raw[line..]) {
            Some(k) => line += k + 1,
            None => break,
        }
    }
    (raw.len(), raw.len())
}

/// Whether a double-quoted body substitutes a variable (`$name`, `{$`, `${`).
fn interpolates(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'\\' => i += 1,
            b'$' if body
                .get(i + 1)
                .is_some_and(|&b| is_id_start(b) || b == b'{') =>
            {
                return true;
            }
            b'{' if body.get(i + 1) == Some(&b'$') => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

/// Decodes the escapes of a double-quoted body; `keep` leaves `\\`, `\"` and `\$` as written
/// (for strings that stay double-quoted), and a heredoc has no `\"` escape.
fn decode(body: &[u8], keep: bool, heredoc: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        let n = body.get(i + 1).copied().unwrap_or(0);
        if c != b'\\' || i + 1 >= body.len() {
            out.push(c);
            i += 1;
            continue;
        }
        i += 2;
        let simple = match n {
            b'n' => Some(b'\n'),
            b't' => Some(b'\t'),
            b'r' => Some(b'\r'),
            b'v' => Some(0x0b),
            b'e' => Some(0x1b),
            b'f' => Some(0x0c),
            b'"' if heredoc => None,
            b'\\' | b'"' | b'$' if !keep => Some(n),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
        } else if (b'0'..=b'7').contains(&n) {
            let mut v: u32 = 0;
            let mut k = i - 1;
            while k < body.len() && k < i + 2 && (b'0'..=b'7').contains(&body[k]) {
                v = v * 8 + u32::from(body[k] - b'0');
                k += 1;
            }
            out.push(v as u8);
            i = k;
        } else if n == b'x' && body.get(i).is_some_and(u8::is_ascii_hexdigit) {
            let mut v = 0;
            let mut k = i;
            while k < body.len() && k < i + 2 && body[k].is_ascii_hexdigit() {
                v = v * 16 + hex(body[k]);
                k += 1;
            }
            out.push(v);
            i = k;
        } else if let Some((ch, k)) = unicode(body, i) {
            let mut buf = [0; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            i = k;
        } else {
            out.push(b'\\');
            out.push(n);
        }
    }
    out
}

/// `u{HEX}` after a backslash at `body[i - 1]`: the character and the offset past the `}`.
fn unicode(body: &[u8], i: usize) -> Option<(char, usize)> {
    if body.get(i - 1) != Some(&b'u') || body.get(i) != Some(&b'{') {
        return None;
    }
    let close = i + 1 + body.get(i + 1..)?.iter().take(8).position(|&b| b == b'}')?;
    let hexs = &body[i + 1..close];
    if hexs.is_empty() || !hexs.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let v = hexs.iter().fold(0u32, |v, &b| v * 16 + u32::from(hex(b)));
    Some((char::from_u32(v)?, close + 1))
}

pub(super) fn hex(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}
