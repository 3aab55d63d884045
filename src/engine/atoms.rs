//! Atoms: the literal byte strings that stand for patterns in the one shared automaton.
//!
//! A text or hex pattern is its own atom. A regex gets the sets of literals it requires
//! (every match contains one literal of each set): the rarest set's hits say where to run
//! the regex, the others only whether to run it at all. A regex without such a set (or with
//! atoms too short to be selective) is reported as slow and runs over every file its rule
//! applies to. A single rare byte every match holds (a backtick) gates a regex too.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Atoms shorter than this hit too often to be worth prefiltering on.
pub(crate) const MIN_ATOM_LEN: usize = 3;
/// More alternatives than this make a poor prefilter; the regex is treated as atom-less.
const MAX_ATOMS_PER_REGEX: usize = 64;

/// One literal; `nocase` asks for ASCII case-insensitive comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Atom {
    pub(crate) bytes: Vec<u8>,
    pub(crate) nocase: bool,
}

/// The UTF-16LE form of ASCII-oriented bytes: each byte followed by a zero.
pub(crate) fn widen(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().flat_map(|&b| [b, 0]).collect()
}

/// Every set of atoms a match must hold one of (at least [`MIN_ATOM_LEN`] bytes each),
/// least selective first: the last is the one to search for, the others gate it. Sets are
/// ranked by how rare their atoms are likely to be in web content, so that `eval` wins over
/// `$_POST`, which nearly every PHP file holds. Empty when the regex has no usable atom.
pub(crate) fn regex_clauses(hir: &Hir) -> Vec<Vec<Atom>> {
    let mut clauses = required_clauses(hir, MIN_ATOM_LEN, &content_score);
    if clauses.is_empty() {
        clauses.extend(
            required(hir, &content_score)
                .filter(|set| set.iter().all(|a| a.bytes.len() >= MIN_ATOM_LEN)),
        );
    }
    clauses.sort_by_key(|c| content_score(c));
    clauses
}

/// A byte every match of the regex holds that source files seldom do (a backtick, say),
/// when there is one: a file without it needs no verification. This catches what atoms
/// cannot, a single distinctive byte.
pub(crate) fn rare_required_byte(hir: &Hir) -> Option<u8> {
    let mut required = [false; 256];
    required_bytes(hir, &mut required);
    (0..=255u8)
        .filter(|&b| required[usize::from(b)] && !COMMON_BYTES.contains(&b))
        .max_by_key(|b| RARE_BYTES.iter().position(|r| r == b).unwrap_or(usize::MAX))
}

/// Bytes too common in source code and markup to be worth a look for.
const COMMON_BYTES: &[u8] = b" \t\r\n\
    abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\
    !\"#$%&'()*+,-./:;<=>?@[\\]_{|}";

/// The remaining printable bytes, rarest last; bytes not listed (control and high bytes)
/// rank rarest of all.
const RARE_BYTES: &[u8] = b"^~`";

/// Something every match of a regex without atoms holds, so that only the bytes around
/// its occurrences need searching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Landmark {
    /// At least `min` bytes in a row of a class: `[A-Za-z0-9+/]{200}` in a blob pattern.
    /// A probe every `min` bytes finds every such run.
    Run { class: Box<[bool; 256]>, min: usize },
    /// A literal too short to be an atom (`<?`), found with `memmem`.
    Short(Vec<u8>),
}

/// Runs shorter than this are everywhere in text and mark nothing.
const MIN_LANDMARK_RUN: usize = 16;

/// The landmark of a regex that has no atoms, when it has one: the longest required run
/// of one class, else a required literal of at least two bytes.
pub(crate) fn landmark(hir: &Hir) -> Option<Landmark> {
    let top = match hir.kind() {
        HirKind::Capture(c) => &*c.sub,
        _ => hir,
    };
    let children = match top.kind() {
        HirKind::Concat(children) => children.as_slice(),
        _ => std::slice::from_ref(top),
    };
    let run = children
        .iter()
        .filter_map(|c| match c.kind() {
            HirKind::Repetition(r) if r.min as usize >= MIN_LANDMARK_RUN => {
                byte_class(&r.sub).map(|class| (class, r.min as usize))
            }
            _ => None,
        })
        .max_by_key(|(_, min)| *min);
    if let Some((class, min)) = run {
        return Some(Landmark::Run { class, min });
    }
    required_clauses(hir, 2, &content_score)
        .into_iter()
        .filter_map(|clause| match clause.as_slice() {
            [a] if !a.nocase => Some(a.bytes.clone()),
            _ => None,
        })
        .max_by_key(Vec::len)
        .map(Landmark::Short)
}

/// The bytes a class matches, when it matches single bytes only.
fn byte_class(hir: &Hir) -> Option<Box<[bool; 256]>> {
    let mut set = Box::new([false; 256]);
    match hir.kind() {
        HirKind::Class(Class::Bytes(c)) => {
            for r in c.ranges() {
                for b in r.start()..=r.end() {
                    set[usize::from(b)] = true;
                }
            }
        }
        HirKind::Class(Class::Unicode(c)) => {
            for r in c.ranges() {
                // Past ASCII a code point is several bytes.
                let (a, b) = (u32::from(r.start()), u32::from(r.end()));
                if b >= 0x80 {
                    return None;
                }
                for x in a..=b {
                    set[x as usize] = true;
                }
            }
        }
        _ => return None,
    }
    Some(set)
}

/// A set of bytes, one bit each: small enough to keep inline in each regex that has one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ByteBits([u64; 4]);

impl ByteBits {
    pub(crate) fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] >> (b & 63) & 1 == 1
    }

    fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    #[cfg(test)]
    pub(crate) fn bytes(&self) -> Vec<u8> {
        (0..=255u8).filter(|&b| self.contains(b)).collect()
    }
}

/// The bytes a match of `hir` can begin with; `None` when that says nothing: a match can
/// be empty, can begin with a character of several bytes, or with any byte. Look-arounds
/// consume nothing and are passed over, so the set may be larger than the exact one, never
/// smaller.
pub(crate) fn starting_bytes(hir: &Hir) -> Option<ByteBits> {
    let mut set = ByteBits::default();
    match starting_into(hir, &mut set)? {
        false if set.0 != [u64::MAX; 4] => Some(set),
        _ => None,
    }
}

/// Adds to `set` the bytes a match of `hir` can begin with; whether it can be empty.
fn starting_into(hir: &Hir, set: &mut ByteBits) -> Option<bool> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(true),
        HirKind::Literal(lit) => match lit.0.first() {
            Some(&b) => {
                set.insert(b);
                Some(false)
            }
            None => Some(true),
        },
        HirKind::Class(_) => {
            let class = byte_class(hir)?;
            (0..=255u8)
                .filter(|&b| class[usize::from(b)])
                .for_each(|b| set.insert(b));
            Some(false)
        }
        HirKind::Repetition(r) => Some(starting_into(&r.sub, set)? || r.min == 0),
        HirKind::Capture(c) => starting_into(&c.sub, set),
        HirKind::Concat(children) => {
            for child in children {
                if !starting_into(child, set)? {
                    return Some(false);
                }
            }
            Some(true)
        }
        HirKind::Alternation(branches) => {
            let mut empty = false;
            for branch in branches {
                empty |= starting_into(branch, set)?;
            }
            Some(empty)
        }
    }
}

/// Sets `out[b]` for each byte `b` that every match of `hir` holds.
fn required_bytes(hir: &Hir, out: &mut [bool; 256]) {
    match hir.kind() {
        HirKind::Literal(lit) => {
            for &b in lit.0.iter() {
                out[usize::from(b)] = true;
            }
        }
        HirKind::Class(Class::Bytes(c)) => {
            if let [r] = c.ranges()
                && r.start() == r.end()
            {
                out[usize::from(r.start())] = true;
            }
        }
        HirKind::Class(Class::Unicode(c)) => {
            if let [r] = c.ranges()
                && r.start() == r.end()
                && let Ok(b) = u8::try_from(u32::from(r.start()))
                && b.is_ascii()
            {
                out[usize::from(b)] = true;
            }
        }
        HirKind::Repetition(r) if r.min >= 1 => required_bytes(&r.sub, out),
        HirKind::Capture(c) => required_bytes(&c.sub, out),
        HirKind::Concat(parts) => {
            for p in parts {
                required_bytes(p, out);
            }
        }
        HirKind::Alternation(alts) if !alts.is_empty() => {
            let mut common = [true; 256];
            for alt in alts {
                let mut one = [false; 256];
                required_bytes(alt, &mut one);
                for (c, o) in common.iter_mut().zip(one) {
                    *c &= o;
                }
            }
            for (o, c) in out.iter_mut().zip(common) {
                *o |= c;
            }
        }
        _ => {}
    }
}

/// Pieces nearly every web application file holds: a literal made of them would verify
/// its regex on nearly every file.
const COMMON_IN_FILES: &[&str] = &[
    "$_get",
    "$_post",
    "$_request",
    "$_cookie",
    "$_server",
    "$_files",
    "$_session",
    "<?php",
    "function",
    "return",
    "array",
    "echo",
    "$this",
    "public",
    "private",
    "protected",
    "static",
    "class",
    "string",
    "isset",
    "include",
    "require",
    "request",
    "response",
    "<script",
    "document",
    "window",
    "http",
    "<div",
    "value",
    "name",
    "type",
    "this.",
];

/// Higher is better: first whether every atom is long enough to search for, then the
/// weakest atom's length once common pieces are taken out (nothing is left of an atom
/// inside a common piece), then fewer atoms, then the shortest atom.
fn content_score(set: &[Atom]) -> (bool, usize, usize, usize) {
    let residual = |a: &Atom| {
        let lower = a.bytes.to_ascii_lowercase();
        if COMMON_IN_FILES
            .iter()
            .any(|c| memchr::memmem::find(c.as_bytes(), &lower).is_some())
        {
            return 0;
        }
        let mut rest = lower;
        for common in COMMON_IN_FILES {
            while let Some(i) = memchr::memmem::find(&rest, common.as_bytes()) {
                rest.drain(i..i + common.len());
            }
        }
        rest.len()
    };
    let weakest = set.iter().map(residual).min().unwrap_or(0);
    let shortest = set.iter().map(|a| a.bytes.len()).min().unwrap_or(0);
    (
        shortest >= MIN_ATOM_LEN,
        weakest,
        usize::MAX - set.len(),
        shortest,
    )
}

/// Whether a set is worth searching for only to gate a regex: each of its atoms keeps
/// at least [`GATE_RESIDUAL`] bytes once the pieces every web file holds are taken out.
/// `get`, `res` or `String` are in most files and would only add automaton hits.
pub(crate) fn selective(set: &[Atom]) -> bool {
    content_score(set).1 >= GATE_RESIDUAL
}

const GATE_RESIDUAL: usize = 4;

/// Ranks candidate atom sets; the highest is kept.
pub(crate) type Score<'a> = &'a dyn Fn(&[Atom]) -> (bool, usize, usize, usize);

/// The best required set for a node, or `None`.
fn required(hir: &Hir, score: Score<'_>) -> Option<Vec<Atom>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Literal(lit) => Some(vec![Atom {
            bytes: lit.0.to_vec(),
            nocase: false,
        }]),
        HirKind::Class(c) => unit(c).map(|(b, nocase)| {
            vec![Atom {
                bytes: vec![b],
                nocase,
            }]
        }),
        HirKind::Capture(c) => required(&c.sub, score),
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub, score),
        HirKind::Repetition(_) => None,
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for b in branches {
                all.extend(required(b, score)?);
                if all.len() > MAX_ATOMS_PER_REGEX {
                    return None;
                }
            }
            all.dedup();
            Some(all)
        }
        // The first of the most selective sets.
        HirKind::Concat(children) => concat_candidates(children, score).into_iter().fold(
            None,
            |best: Option<Vec<Atom>>, set| match best {
                Some(b) if score(&b) >= score(&set) => Some(b),
                _ => Some(set),
            },
        ),
    }
}

/// Every set of literals a concatenation requires: adjacent fixed pieces (single-byte
/// units, and small alternations of literals such as `(cmd|exec)`) multiply out into a
/// set of literals (`(cmd|exec)=` gives `cmd=` and `exec=`), and other children may offer
/// their own sets.
fn concat_candidates(children: &[Hir], score: Score<'_>) -> Vec<Vec<Atom>> {
    concat_spans(children, score)
        .into_iter()
        .map(|c| c.atoms)
        .collect()
}

/// A required set of a concatenation and where in it the set's literals lie.
struct Candidate {
    atoms: Vec<Atom>,
    /// The children the literals come from.
    children: std::ops::Range<usize>,
    /// True when each literal is exactly what those children match (a run of fixed
    /// pieces); false when it lies somewhere inside one child.
    exact: bool,
}

fn concat_spans(children: &[Hir], score: Score<'_>) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut run = empty_run();
    let mut run_start = 0;
    let flush = |run: &mut Vec<Atom>, from: usize, to: usize, out: &mut Vec<Candidate>| {
        let taken = std::mem::replace(run, empty_run());
        if taken.iter().all(|a| !a.bytes.is_empty()) {
            out.push(Candidate {
                atoms: taken,
                children: from..to,
                exact: true,
            });
        }
    };
    for (i, child) in children.iter().enumerate() {
        if let Some(next) = literal_choices(child).and_then(|c| extend(&run, &c)) {
            if run.iter().all(|a| a.bytes.is_empty()) {
                run_start = i;
            }
            run = next;
            continue;
        }
        flush(&mut run, run_start, i, &mut out);
        if let Some(set) = required(child, score) {
            // A literal alternation too large to multiply still starts a new run.
            if literal_choices(child).is_some() {
                run = set.clone();
                run_start = i;
            }
            out.push(Candidate {
                atoms: set,
                children: i..i + 1,
                exact: false,
            });
        }
    }
    flush(&mut run, run_start, children.len(), &mut out);
    out
}

/// How far a match may reach before and after a hit of `clause`, one of the sets
/// [`regex_clauses`] gave: the longest the regex's parts before the literal and after it
/// can match. A regex built as `sink ... source` with its atom in the source needs looking
/// at only the bytes before a hit, not a window of its whole length on both sides, which
/// halves what verification reads. `None` when the regex is not a concatenation or a side
/// is unbounded (the window is then the whole length both ways).
pub(crate) fn clause_reach(hir: &Hir, clause: &[Atom]) -> Option<(usize, usize)> {
    let children = match hir.kind() {
        HirKind::Concat(children) => children,
        HirKind::Capture(c) => return clause_reach(&c.sub, clause),
        _ => return None,
    };
    let shortest = clause.iter().map(|a| a.bytes.len()).min()?;
    let sum = |parts: &[Hir]| -> Option<usize> {
        parts
            .iter()
            .try_fold(0usize, |n, p| n.checked_add(p.properties().maximum_len()?))
    };
    let mut reach: Option<(usize, usize)> = None;
    // The same set can come from several places; every one must be covered.
    for c in concat_spans(children, &content_score) {
        if c.atoms != clause {
            continue;
        }
        let (mut before, mut after) = (
            sum(&children[..c.children.start])?,
            sum(&children[c.children.end..])?,
        );
        if !c.exact {
            let slack = sum(&children[c.children.clone()])?.saturating_sub(shortest);
            before = before.checked_add(slack)?;
            after = after.checked_add(slack)?;
        }
        reach = Some(match reach {
            Some((b, a)) => (b.max(before), a.max(after)),
            None => (before, after),
        });
    }
    reach
}

/// What must follow a hit of `clause`, one of the sets [`regex_clauses`] gave, for a match
/// to hold it, and whether it starts at the hit's start (else at its end). When the
/// literal is exactly what some parts of the regex matched (a run of fixed pieces), it is
/// the parts after them, from the hit's end; when every match of the one part holding the
/// literal begins with one of its atoms (`(?:call_user_func(?:_array)?|array_map)`), it is
/// that part and those after it, from the hit's start. An anchored check of this at each
/// hit drops the hits no match can hold (`exec` in `execute`, `pack` in `unpack()` of
/// `pack\s*\(\s*'H\*'`) before the whole regex is run around them; common atoms are
/// mostly such hits. `None` when the literal is found in more than one place, when
/// nothing follows it, or when the check could read more than [`SUFFIX_READ`] bytes past
/// the hit: a part of unbounded length that something must still follow makes an anchored
/// search read on to the end.
pub(crate) fn clause_suffix(hir: &Hir, clause: &[Atom]) -> Option<(Hir, bool)> {
    let children = match hir.kind() {
        HirKind::Concat(children) => children,
        HirKind::Capture(c) => return clause_suffix(&c.sub, clause),
        _ => return None,
    };
    let mut places = concat_spans(children, &content_score)
        .into_iter()
        .filter(|c| c.atoms == clause);
    let place = places.next()?;
    if places.next().is_some() {
        return None;
    }
    let (rest, from_start) = if place.exact {
        (&children[place.children.end..], false)
    } else if place.children.len() == 1 && begins_with_atom(&children[place.children.start], clause)
    {
        (&children[place.children.start..], true)
    } else {
        return None;
    };
    if rest.is_empty() {
        return None;
    }
    let rest = Hir::concat(rest.to_vec());
    read_bound(&rest)
        .is_some_and(|n| n <= SUFFIX_READ)
        .then_some((rest, from_start))
}

/// The most bytes an anchored check of a suffix may read at one hit. The check runs at
/// hits, before windows are merged, so its cost is this times the hits: a crafted file of
/// two million `eval`s against `eval[\x00-\xff]{0,3000}q` would read 6 GB, where the
/// merged window search reads the file once (and is held to `--file-timeout`). The scan
/// also caps what all checks of a buffer read (see `find_atoms`).
const SUFFIX_READ: usize = 1024;

/// How far an anchored search that stops at its first match (as `is_match` does) can read
/// into `hir`: its maximum length, or when a part of unbounded length can only come last,
/// the bounded parts before it and the repetition's minimum. `None` when it could read on
/// to the end of the input.
pub(crate) fn read_bound(hir: &Hir) -> Option<usize> {
    if let Some(n) = hir.properties().maximum_len() {
        return Some(n);
    }
    match hir.kind() {
        HirKind::Capture(c) => read_bound(&c.sub),
        HirKind::Alternation(branches) => branches
            .iter()
            .map(read_bound)
            .try_fold(0, |most, n| Some(most.max(n?))),
        HirKind::Concat(parts) => {
            let (last, before) = parts.split_last()?;
            before.iter().try_fold(read_bound(last)?, |sum, p| {
                sum.checked_add(p.properties().maximum_len()?)
            })
        }
        HirKind::Repetition(r) => {
            let each = r.sub.properties().maximum_len()?;
            each.checked_mul(usize::try_from(r.min).ok()?)
        }
        _ => None,
    }
}

/// Whether every match of `hir` begins with one of the atoms (in the case they are
/// searched in), so that an atom hit marks where such a match would start.
fn begins_with_atom(hir: &Hir, clause: &[Atom]) -> bool {
    let starts = |choice: &Atom| {
        clause.iter().any(|a| {
            choice.bytes.len() >= a.bytes.len()
                && if a.nocase {
                    choice.bytes[..a.bytes.len()].eq_ignore_ascii_case(&a.bytes)
                } else {
                    !choice.nocase && choice.bytes.starts_with(&a.bytes)
                }
        })
    };
    if let Some(choices) = literal_choices(hir) {
        return !choices.is_empty() && choices.iter().all(starts);
    }
    match hir.kind() {
        HirKind::Capture(c) => begins_with_atom(&c.sub, clause),
        HirKind::Alternation(branches) => branches.iter().all(|b| begins_with_atom(b, clause)),
        HirKind::Repetition(r) if r.min >= 1 => begins_with_atom(&r.sub, clause),
        HirKind::Concat(parts) => {
            // Zero-width assertions (`\b`) before the literal do not move its start.
            let parts: Vec<&Hir> = parts
                .iter()
                .skip_while(|p| matches!(p.kind(), HirKind::Look(_)))
                .collect();
            let mut run = empty_run();
            for p in &parts {
                match literal_choices(p).and_then(|c| extend(&run, &c)) {
                    Some(next) if next.iter().all(starts) => return true,
                    Some(next) => run = next,
                    None => break,
                }
            }
            parts.first().is_some_and(|p| begins_with_atom(p, clause))
        }
        _ => false,
    }
}

/// Every set of atoms the expression requires (all of which a match contains), not only
/// the most selective one.
/// `score` ranks the sets offered by alternatives and nested parts.
pub(crate) fn required_clauses(hir: &Hir, min_len: usize, score: Score<'_>) -> Vec<Vec<Atom>> {
    let ok = |set: &Vec<Atom>| set.iter().all(|a| a.bytes.len() >= min_len.max(1));
    match hir.kind() {
        HirKind::Capture(c) => required_clauses(&c.sub, min_len, score),
        HirKind::Concat(children) => concat_candidates(children, score)
            .into_iter()
            .filter(ok)
            .collect(),
        _ => required(hir, score).into_iter().filter(ok).collect(),
    }
}

fn empty_run() -> Vec<Atom> {
    vec![Atom {
        bytes: Vec::new(),
        nocase: false,
    }]
}

/// The fixed strings a node can match, when it is a literal run or a small alternation of
/// them (as atoms); `None` for anything with variable parts.
fn literal_choices(hir: &Hir) -> Option<Vec<Atom>> {
    if let Some((bytes, nocase)) = unit_run(hir) {
        return Some(vec![Atom { bytes, nocase }]);
    }
    match hir.kind() {
        HirKind::Capture(c) => literal_choices(&c.sub),
        HirKind::Concat(children) => children
            .iter()
            .try_fold(empty_run(), |run, c| extend(&run, &literal_choices(c)?)),
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for b in branches {
                all.extend(literal_choices(b)?);
                if all.len() > MAX_ATOMS_PER_REGEX {
                    return None;
                }
            }
            Some(all)
        }
        _ => None,
    }
}

/// Every string of `run` followed by every string of `next`, unless that makes too many.
fn extend(run: &[Atom], next: &[Atom]) -> Option<Vec<Atom>> {
    if run.len() * next.len() > MAX_ATOMS_PER_REGEX {
        return None;
    }
    let mut out = Vec::with_capacity(run.len() * next.len());
    for a in run {
        for b in next {
            let mut bytes = a.bytes.clone();
            bytes.extend_from_slice(&b.bytes);
            out.push(Atom {
                bytes,
                nocase: a.nocase || b.nocase,
            });
        }
    }
    out.dedup();
    Some(out)
}

/// A child of a concatenation that is a fixed run of bytes (a literal, or a class of one byte
/// or of one ASCII letter in both cases).
fn unit_run(hir: &Hir) -> Option<(Vec<u8>, bool)> {
    match hir.kind() {
        HirKind::Literal(lit) => Some((lit.0.to_vec(), false)),
        HirKind::Class(c) => unit(c).map(|(b, nocase)| (vec![b], nocase)),
        _ => None,
    }
}

/// A class that stands for one byte, or one ASCII letter in either case.
fn unit(class: &Class) -> Option<(u8, bool)> {
    let ranges: Vec<(u32, u32)> = match class {
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
    };
    match ranges.as_slice() {
        [(a, b)] if a == b && *a < 0x80 => Some((*a as u8, false)),
        [(a, b), (c, d)] if a == b && c == d && *c < 0x80 => {
            let (lo, hi) = (*a as u8, *c as u8);
            (lo.is_ascii_uppercase() && hi == lo.to_ascii_lowercase()).then_some((hi, true))
        }
        _ => None,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A regex as the rules' syntax reads it (bytes, no Unicode classes).
    pub(in crate::engine) fn parse(re: &str) -> Hir {
        regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(re)
            .unwrap()
    }

    #[test]
    fn rare_bytes_every_match_holds() {
        let rare = |re: &str| rare_required_byte(&parse(re));
        assert_eq!(rare("a`b"), Some(b'`'));
        assert_eq!(rare("(?:x`)+y"), Some(b'`'));
        assert_eq!(rare("(`a|b`)c"), Some(b'`'));
        assert_eq!(rare(r"\^x`"), Some(b'`'));
        assert_eq!(rare(r"a\x01~"), Some(1));
        // Not in every match, or too common to be worth a look.
        assert_eq!(rare("(?:x`)*y"), None);
        assert_eq!(rare("a(`|~)b"), None);
        assert_eq!(rare("a[`~]b"), None);
        assert_eq!(rare(r"\$_GET\[x\]\("), None);
    }

    fn starts(re: &str) -> Option<Vec<u8>> {
        starting_bytes(&parse(re)).map(|set| set.bytes())
    }

    #[test]
    fn starting_bytes_are_those_a_match_can_begin_with() {
        assert_eq!(starts(r"\s{0,2}\("), Some(b"\t\n\x0b\x0c\r (".to_vec()));
        assert_eq!(starts(r"(?i)ab|c+"), Some(b"ACac".to_vec()));
        // Look-arounds consume nothing; an optional part adds what may follow it.
        assert_eq!(starts(r"\b(?m:^)x?y"), Some(b"xy".to_vec()));
        assert_eq!(starts(r"(?:a|)[b-d]"), Some(b"abcd".to_vec()));
        // A match that can be empty begins with no byte at all.
        assert_eq!(starts(r"x*"), None);
        assert_eq!(starts(r"\b"), None);
        assert_eq!(starts(r"a|(?:)"), None);
        // Nor does one that can begin with any byte.
        assert_eq!(starts(r"\A[\x00-\xff]{2}PK"), None);
    }

    /// Pieces of the regexes the property below builds: literals, classes, optional and
    /// repeated parts, case folding and look-arounds.
    const PIECES: [&str; 12] = [
        "a", "b?", "[ab]", "c*", r"\b", "(?:a|bc)", "(?i:d)", "[^a]", "(?m:^)", "(?m:$)", "x{0,2}",
        r"\s+",
    ];

    proptest::proptest! {
        /// Wherever a match begins, its first byte is in the set.
        #[test]
        fn every_match_begins_with_a_starting_byte(
            first in proptest::collection::vec(0..PIECES.len(), 1..4),
            second in proptest::option::of(proptest::collection::vec(0..PIECES.len(), 1..3)),
            hay in proptest::collection::vec(proptest::sample::select(b"abcdDxy \n".to_vec()), 0..24),
        ) {
            let join = |v: &[usize]| v.iter().map(|&i| PIECES[i]).collect::<String>();
            let re = match &second {
                Some(s) => format!("{}|{}", join(&first), join(s)),
                None => join(&first),
            };
            let Some(set) = starting_bytes(&parse(&re)) else {
                return Ok(());
            };
            let meta = regex_automata::meta::Regex::builder()
                .syntax(regex_automata::util::syntax::Config::new().unicode(false).utf8(false))
                .build(&re)
                .unwrap();
            for at in 0..=hay.len() {
                let input = regex_automata::Input::new(&hay)
                    .range(at..)
                    .anchored(regex_automata::Anchored::Yes);
                if let Some(m) = meta.search(&input) {
                    proptest::prop_assert!(!m.is_empty(), "{} matched empty at {}", re, at);
                    proptest::prop_assert!(set.contains(hay[at]), "{} at {}", re, at);
                }
            }
        }
    }

    fn atoms(re: &str) -> Option<Vec<(String, bool)>> {
        // The set searched for: the rarest.
        regex_clauses(&parse(re)).pop().map(|v| {
            v.into_iter()
                .map(|a| (String::from_utf8(a.bytes).unwrap(), a.nocase))
                .collect()
        })
    }

    fn reach(re: &str) -> Option<(usize, usize)> {
        let hir = parse(re);
        let primary = regex_clauses(&hir).pop()?;
        clause_reach(&hir, &primary)
    }

    #[test]
    fn reach_is_what_lies_before_and_after_the_atom() {
        // `eval` starts the match; `\s{0,5}\(\s{0,5}\$_POST` may follow it.
        assert_eq!(reach(r"eval\s{0,5}\(\s{0,5}\$_POST"), Some((0, 17)));
        // The atom is a run of fixed pieces in the middle.
        assert_eq!(reach(r"\w{1,4}(?:cmd|exec)=\d{1,2}"), Some((4, 2)));
        // An atom inside a child may lie anywhere in it.
        assert_eq!(reach(r"x{0,2}(a{0,3}system)y"), Some((2 + 3, 3 + 1)));
        // Unbounded on one side, or not a concatenation: the caller falls back.
        assert_eq!(reach(r"\w+eval\("), None);
        assert_eq!(reach(r"evalx|systemy"), None);
    }

    #[test]
    fn every_match_lies_in_the_window_reach_gives() {
        use regex_automata::meta::Regex;
        let cases = [
            (r"eval\s{0,5}\(\s{0,5}\$_POST", "xx eval  (  $_POST yy"),
            (r"\w{1,4}(?:cmd|exec)=\d{1,2}", "abcdexec=12"),
            (r"x{0,2}(a{0,3}system)y", "xxaaasystemy"),
        ];
        for (re, text) in cases {
            let hir = parse(re);
            let primary = regex_clauses(&hir).pop().unwrap();
            let (before, after) = clause_reach(&hir, &primary).unwrap();
            let m = Regex::new(re).unwrap().find(text).unwrap();
            for atom in &primary {
                let Some(at) = memchr::memmem::find(text.as_bytes(), &atom.bytes) else {
                    continue;
                };
                let end = at + atom.bytes.len();
                assert!(m.start() >= at.saturating_sub(before), "{re}");
                assert!(m.end() <= end + after, "{re}");
            }
        }
    }

    fn one(s: &str, nocase: bool) -> Option<Vec<(String, bool)>> {
        Some(vec![(s.to_owned(), nocase)])
    }

    #[test]
    fn prefix_inner_and_suffix_literals() {
        // `$_POST` is in nearly every PHP file, `eval` is not: the rarer one is searched for,
        // the other only gates.
        assert_eq!(atoms(r"eval\s*\(\s*\$_POST"), one("eval", false));
        let clauses: Vec<Vec<Vec<u8>>> = regex_clauses(&parse(r"eval\s*\(\s*\$_POST"))
            .into_iter()
            .map(|c| c.into_iter().map(|a| a.bytes).collect())
            .collect();
        assert_eq!(clauses, [vec![b"$_POST".to_vec()], vec![b"eval".to_vec()]]);
        assert_eq!(atoms(r"\w+\.ValidationKey"), one(".ValidationKey", false));
        assert_eq!(atoms(r"[a-z]{3}Runtime\d"), one("Runtime", false));
    }

    #[test]
    fn alternations_give_a_set() {
        let set = atoms(r"(system|passthru|shell_exec)\s*\(").unwrap();
        assert_eq!(set.len(), 3);
        assert!(set.contains(&("passthru".into(), false)));
        assert_eq!(atoms(r"(abc|x)"), None);
    }

    #[test]
    fn literal_alternations_multiply_with_their_neighbours() {
        let set = atoms(r"(?:cmd|exec|shell)=\s*x").unwrap();
        let mut got: Vec<String> = set.into_iter().map(|(s, _)| s).collect();
        got.sort();
        assert_eq!(got, ["cmd=", "exec=", "shell="]);
        let set = atoms(r"/(?:up|down)load(?:s|ed)/").unwrap();
        assert_eq!(set.len(), 4);
        assert!(set.contains(&("/downloaded/".into(), false)));
        // Too many combinations: the longest single piece is kept instead.
        let many = (0..40)
            .map(|i| format!("a{i:02}"))
            .collect::<Vec<_>>()
            .join("|");
        let set = atoms(&format!("(?:{many})(?:x|y|z)_suffix")).unwrap();
        assert!(set.iter().all(|(s, _)| s.len() >= 3));
    }

    #[test]
    fn case_insensitive_regexes_give_nocase_atoms() {
        assert_eq!(atoms(r"(?i)eval\("), one("eval(", true));
        assert_eq!(atoms(r"Re(?i:quest)"), one("Request", true));
    }

    #[test]
    fn regexes_without_a_usable_literal() {
        assert_eq!(atoms(r"\w+\s+\d+"), None);
        assert_eq!(atoms(r"ab\d"), None);
        assert_eq!(atoms(r"(eval)?\("), None);
        assert_eq!(atoms(r"[A-Za-z0-9+/]{100,}"), None);
    }

    #[test]
    fn required_repetitions_keep_their_literal() {
        assert_eq!(atoms(r"(?:chr\(\d+\)\.){5}"), one("chr(", false));
    }

    #[test]
    fn landmarks_of_atomless_regexes() {
        let run = landmark(&parse(r"\$\w{1,40}\(['\x22][A-Za-z0-9+/]{200}"));
        let Some(Landmark::Run { class, min }) = run else {
            panic!("{run:?}")
        };
        assert_eq!(min, 200);
        assert!(class[usize::from(b'+')] && class[usize::from(b'z')] && !class[usize::from(b'-')]);
        assert_eq!(
            landmark(&parse(r"<\?(?:php\b|=|\s)[\s\S]{0,40}x")),
            Some(Landmark::Short(b"<?".to_vec()))
        );
        // Too short a run, and nothing else.
        assert_eq!(landmark(&parse(r"[ab]{4}\d")), None);
    }

    fn suffix(re: &str) -> Option<Hir> {
        let hir = parse(re);
        let primary = regex_clauses(&hir).pop()?;
        clause_suffix(&hir, &primary).map(|(s, _)| s)
    }

    fn suffix_from_start(re: &str) -> Option<bool> {
        let hir = parse(re);
        let primary = regex_clauses(&hir).pop()?;
        clause_suffix(&hir, &primary).map(|(_, from_start)| from_start)
    }

    #[test]
    fn suffix_is_what_follows_an_exact_atom() {
        let anchored = |hir: Hir, text: &str| {
            use regex_automata::{Anchored, Input, meta::Regex};
            let re = Regex::builder().build_from_hir(&hir).unwrap();
            re.is_match(Input::new(text).anchored(Anchored::Yes))
        };
        // `pack` is the atom; what follows it must hold at the hit's end.
        let s = suffix(r"\bpack\s{0,5}\(\s{0,5}['\x22]H").unwrap();
        assert!(anchored(s.clone(), " ( 'H*'"));
        assert!(!anchored(s, "age.json"));
        // A part of unbounded length is fine last, not before something required.
        assert!(suffix(r"pack\('[0-9a-f]{8,}").is_some());
        assert!(suffix(r"(?:system|exec)\((?:a|[\s\S]*b)").is_none());
        assert!(suffix(r"Runtime[\s\S]*getParameter").is_none());
        // A check that could read far at every hit is not made.
        assert!(suffix(r"eval[\x00-\xff]{0,3000}q").is_none());
        assert!(suffix(r"eval[\x00-\xff]{0,1000}q").is_some());
        assert!(suffix(r"pack\('(?:[0-9a-f]{400}){3,}").is_none());
        // Nothing after the atom, or the atom somewhere inside a part: no check.
        assert!(suffix(r"\w{0,4}(?:cmd|exec)").is_none());
        assert!(suffix(r"x{0,2}(a{0,3}system)y").is_none());
        assert!(suffix(r"evalx|systemy").is_none());
        // A part every match of which begins with an atom: checked from the hit's start.
        assert_eq!(suffix_from_start(r"\bpack\s\("), Some(false));
        assert_eq!(
            suffix_from_start(r"[;\n](?:array_walk(?:_recursive)?|usort|\buasort)\s{0,5}\("),
            Some(true)
        );
        // `usort` may follow `x` here: the hit is not where the part begins.
        assert_eq!(suffix_from_start(r";(?:x?usort|array_walk)\("), None);
    }

    #[test]
    fn widen_interleaves_zero_bytes() {
        assert_eq!(widen(b"MZ"), b"M\0Z\0");
    }
}
