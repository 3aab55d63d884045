//! Sigma values: wildcards with escapes, and the value modifiers (`base64`, `base64offset`,
//! `windash`) that turn one value into the strings actually searched for.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// One piece of a Sigma string value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Piece {
    Lit(char),
    /// `*`: any run of characters.
    Any,
    /// `?`: exactly one character.
    One,
}

/// Reads Sigma's wildcards: `*` and `?` are wildcards, `\*`, `\?` and `\\` stand for the
/// character itself, and any other backslash is a plain backslash.
pub(super) fn parse(value: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push(Piece::Any),
            '?' => out.push(Piece::One),
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    chars.next();
                    out.push(Piece::Lit(n));
                }
                _ => out.push(Piece::Lit('\\')),
            },
            c => out.push(Piece::Lit(c)),
        }
    }
    out
}

pub(super) fn has_wildcards(pieces: &[Piece]) -> bool {
    pieces.iter().any(|p| !matches!(p, Piece::Lit(_)))
}

pub(super) fn literal(pieces: &[Piece]) -> Option<String> {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Lit(c) => Some(*c),
            _ => None,
        })
        .collect()
}

/// How a value compares once its wildcards are read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    Equals(String),
    Contains(String),
    StartsWith(String),
    EndsWith(String),
    /// Inner wildcards: an anchored regex (without case flags).
    Regex(String),
}

/// The cheapest comparison that means the same as `pieces` matched against a whole value.
pub(super) fn shape(pieces: &[Piece]) -> Shape {
    if !pieces.is_empty() && pieces.iter().all(|p| *p == Piece::Any) {
        // Any value at all: present and not empty.
        return Shape::Contains(String::new());
    }
    let lead = pieces.first() == Some(&Piece::Any);
    let trail = pieces.len() > usize::from(lead) && pieces.last() == Some(&Piece::Any);
    let inner = &pieces[usize::from(lead)..pieces.len() - usize::from(trail)];
    if let Some(lit) = literal(inner) {
        return match (lead, trail) {
            (false, false) => Shape::Equals(lit),
            (true, true) => Shape::Contains(lit),
            (false, true) => Shape::StartsWith(lit),
            (true, false) => Shape::EndsWith(lit),
        };
    }
    Shape::Regex(format!("^{}$", regex_body(pieces)))
}

/// The pieces as regex syntax, unanchored.
pub(super) fn regex_body(pieces: &[Piece]) -> String {
    let mut re = String::new();
    for p in pieces {
        match p {
            Piece::Lit(c) => re.push_str(&regex_syntax::escape(&c.to_string())),
            Piece::Any => re.push_str(".*"),
            Piece::One => re.push('.'),
        }
    }
    re
}

/// `base64`: the value's standard Base64 encoding, padding kept.
pub(super) fn base64(value: &str) -> String {
    STANDARD.encode(value.as_bytes())
}

/// `base64offset`: the three encodings of the value at byte offsets 0, 1 and 2 of a longer
/// Base64 text, without the leading and trailing characters that depend on the bytes around
/// it (the method the Sigma specification gives).
pub(super) fn base64offset(value: &str) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END: [usize; 3] = [0, 3, 2];
    let bytes = value.as_bytes();
    (0..3)
        .map(|i| {
            let mut shifted = vec![b' '; i];
            shifted.extend_from_slice(bytes);
            let enc = STANDARD.encode(&shifted);
            let cut_end = END[(bytes.len() + i) % 3];
            let start = START[i].min(enc.len());
            let end = enc.len().saturating_sub(cut_end).max(start);
            enc[start..end].to_owned()
        })
        .collect()
}

/// The dashes `windash` swaps for one another.
const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// `windash`: every spelling of the value with each option dash (`-` or `/` starting a
/// word) written as any of the dashes Windows command lines accept. `None` when that would
/// be more than `limit` strings.
pub(super) fn windash(value: &str, limit: usize) -> Option<Vec<String>> {
    let chars: Vec<char> = value.chars().collect();
    let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
    let spots: Vec<usize> = (0..chars.len())
        .filter(|&i| {
            matches!(chars[i], '-' | '/')
                && !word(i.checked_sub(1).and_then(|j| chars.get(j)))
                && word(chars.get(i + 1))
        })
        .collect();
    let total = DASHES
        .len()
        .checked_pow(u32::try_from(spots.len()).ok()?)
        .filter(|&n| n <= limit)?;
    Some(
        (0..total)
            .map(|mut n| {
                let mut out = chars.clone();
                for &s in &spots {
                    out[s] = DASHES[n % DASHES.len()];
                    n /= DASHES.len();
                }
                out.into_iter().collect()
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_escapes() {
        assert_eq!(shape(&parse("abc")), Shape::Equals("abc".into()));
        assert_eq!(shape(&parse("*abc*")), Shape::Contains("abc".into()));
        assert_eq!(shape(&parse("abc*")), Shape::StartsWith("abc".into()));
        assert_eq!(shape(&parse("*abc")), Shape::EndsWith("abc".into()));
        assert_eq!(shape(&parse(r"a\*b")), Shape::Equals("a*b".into()));
        assert_eq!(shape(&parse(r"a\?b\\")), Shape::Equals(r"a?b\".into()));
        assert_eq!(
            shape(&parse(r"c:\windows")),
            Shape::Equals(r"c:\windows".into())
        );
        assert_eq!(shape(&parse("a*b")), Shape::Regex("^a.*b$".into()));
        assert_eq!(shape(&parse("a?.b")), Shape::Regex(r"^a.\.b$".into()));
        assert_eq!(shape(&parse("*")), Shape::Contains(String::new()));
        assert!(!has_wildcards(&parse(r"a\*")));
        assert!(has_wildcards(&parse("a?")));
    }

    #[test]
    fn base64_offsets_are_found_in_longer_encodings() {
        assert_eq!(base64("/bin/sh"), "L2Jpbi9zaA==");
        let needles = base64offset("/bin/sh");
        assert_eq!(needles.len(), 3);
        for prefix in ["", "x", "xy", "xyz", "wxyz"] {
            for suffix in ["", "q", "qr", "qrs"] {
                let enc = STANDARD.encode(format!("{prefix}/bin/sh{suffix}"));
                assert!(
                    needles.iter().any(|n| enc.contains(n.as_str())),
                    "{prefix}|{suffix}: {enc} {needles:?}"
                );
            }
        }
        assert!(needles.iter().all(|n| !n.contains('=')));
    }

    #[test]
    fn windash_spells_every_dash() {
        let v = windash("cmd -c /x", 1000).unwrap();
        assert_eq!(v.len(), 25);
        assert!(v.contains(&"cmd /c -x".to_owned()));
        assert!(v.contains(&"cmd \u{2013}c \u{2015}x".to_owned()));
        assert_eq!(windash("a-b", 10).unwrap(), vec!["a-b".to_owned()]);
        assert!(windash("-a -b -c -d -e", 1000).is_none());
    }
}
