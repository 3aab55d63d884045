//! The matcher: one Aho-Corasick automaton over the atoms of every pattern of every rule,
//! searched once over a whole buffer; regexes verified only around atom hits; then each
//! rule's condition.

mod atoms;
mod automaton;
mod caches;
pub(crate) mod excerpt;
mod fields;
mod filter;
mod forward;
mod gate;
mod hir_text;
mod ids;
mod lanes;
mod memo;
mod partition;
mod records;
mod scan;
mod stats;
mod view;

use std::collections::HashMap;
use std::sync::OnceLock;

use globset::GlobSet;
use regex_automata::hybrid;
use regex_automata::meta::Regex;
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_syntax::hir::Hir;

use crate::rules::{Pattern, PatternKind, Pos, Rule, Scope};

use automaton::{AtomSet, AtomSetBuilder};
use fields::CompiledSelection;
use hir_text::HirText;
use ids::{Id, IdVec, PatternId, PatternRange, RuleId};
use partition::FileAtoms;

pub use gate::{Clause, selectivity};
pub(crate) use memo::Memo;
#[cfg(feature = "yara")]
pub(crate) use scan::REPORTED_MATCHES_PER_RULE;
pub use scan::{Match, RuleHit, Scratch};

/// The engine could not be built (a regex over the size limits, too many atoms, ...).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// One pattern does not compile.
    #[error("rule {rule}, pattern `{pattern}`: {error}")]
    Pattern {
        /// The rule's id.
        rule: String,
        /// The pattern's (or selection test's) name.
        pattern: String,
        /// Why.
        error: PatternError,
    },
    /// The literals of all rules together are too many for one automaton.
    #[error("building the literal automaton: {0}")]
    Automaton(#[from] aho_corasick::BuildError),
    /// A rule's path glob does not compile.
    #[error("compiling path filters: {0}")]
    Glob(#[from] globset::Error),
}

/// Why one pattern, or one test of a selection, does not compile. The messages are the
/// regex crates' own, since rule authors search for them.
#[derive(Clone, Debug, thiserror::Error)]
pub enum PatternError {
    /// The regex does not parse.
    #[error("{0}")]
    Syntax(Box<regex_syntax::Error>),
    /// The regex parses but does not build (over the size limits, ...).
    #[error("{0}")]
    Build(Box<regex_automata::meta::BuildError>),
    /// A selection's `re` value does not build.
    #[error("regex `{regex}`: {error}")]
    FieldRegex {
        regex: String,
        error: Box<regex_automata::meta::BuildError>,
    },
    /// A selection's `cidr` value is not a network.
    #[error("`{0}` is not a CIDR network")]
    NotCidr(String),
    /// A compiling thread panicked.
    #[error("compiling panicked")]
    Panicked,
}

/// A pattern that cannot be prefiltered and so runs over every file its rule applies to.
#[derive(Clone, Debug)]
pub struct SlowPattern {
    pub rule: String,
    pub source: String,
    pub pattern: String,
    pub pos: Pos,
}

/// Matches beyond this many per pattern and file are counted but not kept.
pub(crate) const KEPT_MATCHES_PER_PATTERN: usize = 16;

/// A compiled rule set, shared read-only by all scanning threads.
pub struct Engine {
    rules: IdVec<RuleId, Rule>,
    /// Per rule: its patterns in `patterns`.
    rule_patterns: IdVec<RuleId, PatternRange>,
    /// The rules whose condition can hold with no pattern matched: evaluated on every
    /// input they apply to. A list, not a flag per rule, so that a scan's cost does not
    /// grow with the rules loaded (Sigma's hundreds of log rules among them).
    hitless: Vec<RuleId>,
    patterns: IdVec<PatternId, CompiledPattern>,
    /// The atoms of file rules, searched over whole files, one automaton per extension.
    files: FileAtoms,
    /// The atoms of log rules' raw-line patterns, searched over each record.
    records: AtomSet,
    filters: Filters,
    /// Per rule: compiled selections (log rules only). Their regexes are most of what
    /// log rules cost to build: when every rule came with shellsweep (the test suite
    /// compiles them all), they are compiled when the first record is matched, so a sweep
    /// without logs never builds them; a user's rules are compiled as they load, so that
    /// their errors show then.
    selections: OnceLock<IdVec<RuleId, Vec<CompiledSelection>>>,
    /// The log rules.
    log_rules: Vec<RuleId>,
    /// Literals one of which every log line a log rule can match holds (see `gate`);
    /// `None` when some log rule can match without one. Worked out when the first log is
    /// read.
    record_gate: OnceLock<Option<Vec<Vec<Vec<gate::Clause>>>>>,
}

pub(crate) struct CompiledPattern {
    rule: RuleId,
    fullword: bool,
    nocase: bool,
    /// For literal patterns: each form searched for, and whether it is the wide one.
    forms: Vec<(Vec<u8>, bool)>,
    regex: Option<LazyRegex>,
}

pub(crate) struct CompiledRegex {
    /// Compiled when first needed (see [`compile_regexes`]).
    regex: OnceLock<Regex>,
    /// The forward DFA [`CompiledRegex::find`] searches with, built when first needed,
    /// and the reverse one (relaxed or not, see [`forward::build_reverse`]), built at the
    /// first match; `None` inside when they do not build.
    /// (Boxed, as the other automata here: a DFA is 720 bytes unbuilt, and most regexes
    /// never need some of them.)
    forward: LazyDfa,
    reverse: OnceLock<Option<Box<(hybrid::dfa::DFA, bool)>>>,
    /// What the automata are built from (see [`hir_text`]).
    text: HirText,
    nocase: bool,
    /// Searched with a literal prefilter of its own ([`wants_prefilter`]).
    prefilter: bool,
    /// The longest possible match, when bounded; lets verification look only near hits.
    max_len: Option<usize>,
    /// How far a match reaches before and after a hit of the atoms that place the
    /// windows, when both are bounded (see [`atoms::clause_reach`]).
    reach: Option<(usize, usize)>,
    /// One bit per required clause besides the one whose hits place the windows: the regex
    /// is verified only when the input holds all of them.
    gates: u64,
    /// A byte every match holds and files seldom do: without it in the input, no match.
    rare_byte: Option<u8>,
    /// For a regex without atoms: what every match holds, to search only around.
    landmark: Option<atoms::Landmark>,
    /// What must follow a window-placing hit (see [`atoms::clause_suffix`]), checked
    /// anchored at the hit (`scan::may_follow`); compiled when first needed.
    suffix: Option<Suffix>,
    /// A relaxed copy searched in each window first ([`filter::Filter`]); made when first
    /// needed, `None` inside when the regex has no repetition worth relaxing.
    filter: OnceLock<Option<Box<filter::Filter>>>,
    /// Every match starts at the input's start (`\A`) and is at most this long: the
    /// regex is searched in that many first bytes only, with no atoms (see
    /// [`start_anchored`]).
    at_start: Option<usize>,
    /// For such a regex: the bytes a match can start with, when they say something
    /// ([`atoms::starting_bytes`]). Most files start with none of them (an image rule's
    /// `\AGIF8[79]a` is asked of every file), and a lookup is cheaper than starting a
    /// search.
    first_bytes: Option<atoms::ByteBits>,
}

impl CompiledRegex {
    /// Whether a regex anchored at the input's start may match `buf`, as far as its first
    /// byte tells.
    pub(crate) fn may_start(&self, buf: &[u8]) -> bool {
        self.first_bytes
            .is_none_or(|set| buf.first().is_some_and(|&b| set.contains(b)))
    }
}

/// The parts of a regex after its window-placing literal.
pub(crate) struct Suffix {
    text: HirText,
    /// A check asks only whether a match starts at one place: a [`forward_dfa`]. `None`
    /// when it does not build: then every hit may hold.
    dfa: LazyDfa,
    /// Checked from a hit's start rather than its end (see [`atoms::clause_suffix`]).
    from_start: bool,
    /// The most bytes one check reads ([`atoms::read_bound`]).
    pub(crate) reads: usize,
    /// The bytes a match can begin with ([`atoms::starting_bytes`]), as bits: most hits
    /// that fail a check fail at their first byte, and a lookup is far cheaper than
    /// starting a search.
    starts: Option<atoms::ByteBits>,
}

impl Suffix {
    /// Built from the relaxed suffix (see [`filter`]) when it has a long counted
    /// repetition: a check then holds wherever the exact one would (and sometimes where it
    /// would not, leaving the window to decide), for a DFA of a few states in place of one
    /// that builds states at nearly every hit.
    fn build(hir: &Hir) -> Option<Box<hybrid::dfa::DFA>> {
        let relaxed = filter::relaxed(hir);
        forward_dfa(relaxed.as_ref().unwrap_or(hir)).map(Box::new)
    }

    fn dfa(&self) -> Option<&hybrid::dfa::DFA> {
        self.dfa
            .get_or_init(|| self.text.with_hir(Suffix::build).ok()?)
            .as_deref()
    }

    /// Whether a match of the suffix starts where it must for the atom hit `start..end`.
    /// `pattern` names the regex in this thread's `caches`.
    pub(crate) fn holds_at(
        &self,
        pattern: PatternId,
        caches: &mut caches::RegexCaches,
        buf: &[u8],
        (start, end): (usize, usize),
    ) -> bool {
        let at = if self.from_start { start } else { end };
        if let Some(starts) = &self.starts
            && !buf.get(at).is_some_and(|&b| starts.contains(b))
        {
            return false;
        }
        let Some(dfa) = self.dfa() else {
            return true;
        };
        // A match reads at most `reads` bytes, so the search ends there: the relaxed form
        // the DFA may be built from (see `Suffix::build`) could read on much further.
        let input = regex_automata::Input::new(buf)
            .range(at..at.saturating_add(self.reads).min(buf.len()))
            .anchored(regex_automata::Anchored::Yes)
            .earliest(true);
        // A search that gives up or quits says nothing: the hit's window is searched.
        dfa.try_search_fwd(caches.suffix(pattern, dfa), &input)
            .map_or(true, |m| m.is_some())
    }
}

/// A forward lazy DFA of `hir`, for checks that ask only whether a match starts or lies
/// somewhere: the reverse automata and other engines a meta regex keeps would be memory
/// spent for nothing (issue 18). One whose states outgrow the cache gives up at a search
/// (taken as a possible match by its callers) rather than failing to build.
fn forward_dfa(hir: &Hir) -> Option<hybrid::dfa::DFA> {
    let nfa = nfa(hir, false)?;
    hybrid::dfa::DFA::builder()
        .configure(hybrid::dfa::DFA::config().skip_cache_capacity_check(true))
        .build_from_nfa(nfa)
        .ok()
}

/// A lazy DFA built when first needed, `None` inside when it does not build; boxed, as a DFA
/// is 720 bytes before it is built.
type LazyDfa = OnceLock<Option<Box<hybrid::dfa::DFA>>>;

/// The NFA of `hir` (reversed when `reverse`), without captures, within the meta regex's
/// size limit.
fn nfa(hir: &Hir, reverse: bool) -> Option<thompson::NFA> {
    thompson::Compiler::new()
        .configure(
            thompson::Config::new()
                .which_captures(WhichCaptures::None)
                .reverse(reverse)
                .nfa_size_limit(Regex::config().get_nfa_size_limit()),
        )
        .build_from_hir(hir)
        .ok()
}

impl CompiledRegex {
    /// The meta regex: verification's search for the regexes [`CompiledRegex::find`] does
    /// not search with a forward DFA alone, and checks at an offset.
    pub(crate) fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            // A regex parsed and built once does so again.
            self.text
                .with_hir(|hir| build_regex(hir, self.nocase))
                .expect("it parsed when it loaded")
                .expect("bundled regexes are compiled by the test suite; others when they load")
        })
    }

    /// The leftmost-first match in `range` of `buf`, as [`CompiledRegex::regex`] finds it,
    /// with a forward DFA and a small reverse one (see [`forward`]). A regex
    /// searched with a literal prefilter (see [`build_regex`]) is left to the meta regex,
    /// whose strategies for those start from the literals. `pattern` names the regex in
    /// `caches`.
    pub(crate) fn find(
        &self,
        pattern: PatternId,
        caches: &mut caches::RegexCaches,
        buf: &[u8],
        range: std::ops::Range<usize>,
    ) -> Option<(usize, usize)> {
        if !self.prefilter
            && let Some(fwd) = self
                .forward
                .get_or_init(|| self.text.with_hir(forward_dfa).ok()?.map(Box::new))
        {
            let cache = caches.forward(pattern, fwd);
            match forward::end(fwd, cache, buf, range.clone()) {
                forward::Found::None => return None,
                forward::Found::Match(end) => {
                    if let Some((rev, relaxed)) = self
                        .reverse
                        .get_or_init(|| {
                            let built = self.text.with_hir(forward::build_reverse).ok()?;
                            built.map(Box::new)
                        })
                        .as_deref()
                    {
                        let (fwd_cache, rev_cache) = caches.forward_and_reverse(pattern, fwd, rev);
                        if let forward::Found::Match(start) = forward::start(
                            (fwd, fwd_cache),
                            (rev, rev_cache, *relaxed),
                            buf,
                            range.start..end,
                        ) {
                            return Some((start, end));
                        }
                    }
                }
                forward::Found::Unknown => {}
            }
        }
        let re = self.regex();
        re.search_with(
            caches.whole(pattern, re),
            &regex_automata::Input::new(buf).range(range),
        )
        .map(|m| (m.start(), m.end()))
    }

    /// How far before and after an atom hit verification must look, when bounded.
    fn reach(&self) -> Option<(usize, usize)> {
        self.reach.or(self.max_len.map(|m| (m, m)))
    }

    pub(crate) fn suffix(&self) -> Option<&Suffix> {
        self.suffix.as_ref()
    }

    pub(crate) fn filter(&self) -> Option<&filter::Filter> {
        self.filter
            .get_or_init(|| self.text.with_hir(filter::Filter::of).ok()?.map(Box::new))
            .as_deref()
    }

    /// The width of the window one hit opens, when bounded.
    fn span(&self) -> Option<usize> {
        self.reach().map(|(b, a)| b.saturating_add(a))
    }
}

/// Which rules apply to which files, by extension and path glob.
struct Filters {
    /// File rules without an extension filter.
    any_extension: Vec<RuleId>,
    by_extension: HashMap<String, Vec<RuleId>>,
    /// Rules with path globs, and the globs (rule per glob).
    globs: GlobSet,
    glob_rule: Vec<RuleId>,
    /// The rules with path globs, each once.
    glob_rules: Vec<RuleId>,
}

impl Engine {
    /// Compiles rules. Slow patterns are not errors; see [`Engine::slow_patterns`].
    ///
    /// When every file rule came with shellsweep, their regexes are parsed, their atoms
    /// derived and the file automata's atoms gathered when the first file is scanned
    /// ([`Engine::file_atoms`]): that is most of start-up, and a scan of logs alone, or of
    /// nothing, never needs it. A user's file rules are prepared now, so that their errors
    /// show when they load.
    pub fn new(mut rules: Vec<Rule>) -> Result<Engine, BuildError> {
        let lazy_files = rules
            .iter()
            .filter(|r| r.scope == Scope::File)
            .all(|r| r.source.starts_with("bundled:"));
        let now = |r: &Rule| !(lazy_files && r.scope == Scope::File);
        let compiled = compile_regexes(&mut rules, now);
        let rules: IdVec<RuleId, Rule> = IdVec::from(rules);
        let mut patterns: IdVec<PatternId, CompiledPattern> = IdVec::new();
        let mut rule_patterns = IdVec::new();
        let mut hitless = Vec::new();
        let mut log_rules = Vec::new();
        // The scope of each prepared regex, in the order `add_patterns` takes them.
        let regex_scopes: Vec<Scope> = rules
            .iter()
            .filter(|r| now(r))
            .flat_map(|r| {
                r.patterns
                    .iter()
                    .filter(|p| matches!(p.kind, PatternKind::Regex(_)))
                    .map(|_| r.scope)
            })
            .collect();
        let nocase = |scope: Scope| {
            scope_nocase(&rules, scope)
                || regex_scopes
                    .iter()
                    .zip(&compiled)
                    .any(|(&s, p)| s == scope && atoms_nocase(p))
        };
        let mut files = AtomSetBuilder::new(nocase(Scope::File));
        let mut records = AtomSetBuilder::new(nocase(Scope::Log));
        let mut compiled = compiled.into_iter();

        for (ri, rule) in rules.iter_enumerated() {
            let set = match rule.scope {
                Scope::File => &mut files,
                Scope::Log => {
                    log_rules.push(ri);
                    &mut records
                }
            };
            let start = patterns.next_id();
            let prepared = if now(rule) {
                add_patterns(set, rule, start, &mut compiled)?
            } else {
                rule.patterns
                    .iter()
                    .map(|p| (literal_forms(p), LazyRegex::default()))
                    .collect()
            };
            for (p, (forms, regex)) in rule.patterns.iter().zip(prepared) {
                patterns.push(CompiledPattern {
                    rule: ri,
                    fullword: p.fullword,
                    nocase: p.nocase,
                    forms,
                    regex: matches!(p.kind, PatternKind::Regex(_)).then_some(regex),
                });
            }
            rule_patterns.push(PatternRange::new(start, patterns.next_id()));
            // A log rule's selections are evaluated on every record, so it never waits
            // for a pattern hit.
            if !rule.selections.is_empty() || rule.condition.may_hold_without_matches() {
                hitless.push(ri);
            }
        }

        let filters = Filters::new(&rules)?;
        let file_atoms = FileAtoms::new(rules.len(), &filters.any_extension, &filters.by_extension);
        if !lazy_files {
            file_atoms.give(files)?;
        }
        let selections = OnceLock::new();
        if !rules.iter().all(|r| r.source.starts_with("bundled:")) {
            let _ = selections.set(compile_selections(&rules)?);
        }
        Ok(Engine {
            rules,
            rule_patterns,
            hitless,
            patterns,
            files: file_atoms,
            records: records.build()?,
            filters,
            selections,
            log_rules,
            record_gate: OnceLock::new(),
        })
    }

    /// The file automata's groups, with their atoms gathered (see [`Engine::new`]).
    pub(crate) fn file_atoms(&self) -> &FileAtoms {
        self.files.atoms(|| {
            let file_rules = || {
                self.rules
                    .iter_enumerated()
                    .filter(|(_, r)| r.scope == Scope::File)
            };
            let jobs = regex_jobs(file_rules().map(|(_, r)| (r, None)));
            let compiled = run_jobs(&jobs);
            let nocase =
                scope_nocase(&self.rules, Scope::File) || compiled.iter().any(atoms_nocase);
            let mut compiled = compiled.into_iter();
            let mut set = AtomSetBuilder::new(nocase);
            for (ri, rule) in file_rules() {
                let range = self.rule_patterns[ri];
                let start = range.nth(0).unwrap_or(PatternId::from_index(0));
                let prepared = add_patterns(&mut set, rule, start, &mut compiled)
                    .expect("the bundled rules' regexes are prepared by the test suite");
                for (pi, (_, regex)) in range.iter().zip(prepared) {
                    if let (Some(slot), Some(re)) = (&self.patterns[pi].regex, regex.0.into_inner())
                    {
                        let _ = slot.0.set(re);
                    }
                }
            }
            set
        })
    }

    /// The compiled selections of every rule (see [`Engine::selections`]).
    pub(crate) fn selections(&self) -> &IdVec<RuleId, Vec<CompiledSelection>> {
        self.selections.get_or_init(|| {
            compile_selections(&self.rules)
                .expect("bundled selections are compiled by the test suite; others when they load")
        })
    }

    /// Compiles every regex and field selection not compiled yet (bundled rules leave
    /// theirs until a file or record needs them), so that a check reports what a scan could
    /// meet.
    pub fn compile_all(&self) -> Result<(), BuildError> {
        self.file_atoms();
        for (pi, p) in self.patterns.iter_enumerated() {
            let Some(re) = &p.regex else { continue };
            let re = re.get();
            let error = |e| {
                let rule = &self.rules[p.rule];
                let local = self.rule_patterns[p.rule].local(pi);
                pattern_error(rule, &rule.patterns[local].name, e)
            };
            if let Some(suffix) = &re.suffix {
                suffix.dfa();
            }
            if re.regex.get().is_some() {
                continue;
            }
            let built = re
                .text
                .with_hir(|hir| build_regex(hir, re.nocase))
                .map_err(|e| error(PatternError::Syntax(e)))?
                .map_err(error)?;
            let _ = re.regex.set(built);
        }
        if self.selections.get().is_none() {
            let _ = self.selections.set(compile_selections(&self.rules)?);
        }
        Ok(())
    }

    /// The rules it was built from, in load order.
    pub fn rules(&self) -> &[Rule] {
        self.rules.as_slice()
    }

    /// True when some rule looks at log records.
    pub fn has_log_rules(&self) -> bool {
        !self.log_rules.is_empty()
    }

    /// Per log rule, alternatives of clauses of lowercase literals: the line of every record
    /// the rule can match holds, for one of the alternatives, a literal of each of its
    /// clauses, searched ASCII case-insensitively in the line and in its percent-decoded
    /// forms. `None` when some log rule can match a line without any literal.
    pub fn record_gate(&self) -> Option<&[Vec<Vec<Clause>>]> {
        self.record_gate
            .get_or_init(|| {
                self.log_rules
                    .iter()
                    .map(|&ri| gate::rule_gate_alternatives(&self.rules[ri]))
                    .collect()
            })
            .as_deref()
    }

    /// Regex patterns with no literal to prefilter on.
    pub fn slow_patterns(&self) -> Vec<SlowPattern> {
        self.file_atoms()
            .unfiltered()
            .iter()
            .chain(&self.records.unfiltered)
            .filter(|&&pi| {
                self.patterns[pi]
                    .regex
                    .as_ref()
                    .is_none_or(|r| r.get().at_start.is_none())
            })
            .map(|&pi| {
                let rule = &self.rules[self.patterns[pi].rule];
                let local = self.rule_patterns[self.patterns[pi].rule].local(pi);
                let p = &rule.patterns[local];
                SlowPattern {
                    rule: rule.id.clone(),
                    source: rule.source.to_string(),
                    pattern: p.name.clone(),
                    pos: p.pos,
                }
            })
            .collect()
    }

    /// Log rules that can match a line holding none of their literals (see `gate`): while
    /// one is loaded, every line of every log is parsed.
    pub fn ungated_log_rules(&self) -> Vec<&Rule> {
        self.log_rules
            .iter()
            .map(|&ri| &self.rules[ri])
            .filter(|r| gate::rule_gate_alternatives(r).is_none())
            .collect()
    }

    /// The number of distinct atoms in the automata.
    pub fn atom_count(&self) -> usize {
        self.file_atoms().len() + self.records.len()
    }

    /// File names under which every file rule sees an input that has no name (stdin): one
    /// per distinct set of rules an extension selects and canonical view it gets, plus one
    /// without an extension. Rules limited to path globs match none of them.
    pub fn nameless_input_names(&self) -> Vec<std::path::PathBuf> {
        let mut exts: Vec<&String> = self.filters.by_extension.keys().collect();
        exts.sort();
        let mut seen: Vec<(&Vec<RuleId>, Option<crate::canon::Lang>)> = Vec::new();
        let mut names = vec![std::path::PathBuf::from("stdin")];
        for ext in exts {
            let name = std::path::PathBuf::from(format!("stdin.{ext}"));
            let key = (
                &self.filters.by_extension[ext],
                crate::canon::Lang::of(&name),
            );
            if !seen.contains(&key) {
                seen.push(key);
                names.push(name);
            }
        }
        names
    }
}

/// Compiles the field selections of every rule (log rules have them).
fn compile_selections(
    rules: &IdVec<RuleId, Rule>,
) -> Result<IdVec<RuleId, Vec<CompiledSelection>>, BuildError> {
    let mut out = IdVec::new();
    for rule in rules.iter() {
        let compiled = rule
            .selections
            .iter()
            .map(|s| CompiledSelection::new(s).map_err(|m| pattern_error(rule, &s.name, m)))
            .collect::<Result<Vec<_>, _>>()?;
        out.push(compiled);
    }
    Ok(out)
}

/// Regexes whose matches may be longer than this get a literal prefilter.
const PREFILTER_LEN: usize = 128;

/// A regex pattern parsed, its atoms worked out, and compiled when it must be now.
struct Prepared {
    hir: Hir,
    regex: Option<Regex>,
    /// [`atoms::regex_clauses`], the rarest last.
    clauses: Vec<Vec<atoms::Atom>>,
    /// [`atoms::clause_reach`] of the rarest clause.
    reach: Option<(usize, usize)>,
    rare_byte: Option<u8>,
    /// [`atoms::landmark`], for a regex without atoms.
    landmark: Option<atoms::Landmark>,
    /// [`atoms::clause_suffix`] of the rarest clause: printed, its [`atoms::read_bound`],
    /// whether it is checked from the hit's start, and for a user's regex its compiled form.
    suffix: Option<(HirText, usize, bool, LazyDfa, Option<atoms::ByteBits>)>,
}

/// Below this many regexes a second thread costs more than it saves.
const PARALLEL_REGEXES: usize = 16;

/// Whether some pattern of a rule of `scope` ignores case: its automaton must then too.
fn scope_nocase(rules: &IdVec<RuleId, Rule>, scope: Scope) -> bool {
    rules
        .iter()
        .filter(|r| r.scope == scope)
        .flat_map(|r| &r.patterns)
        .any(|p| p.nocase)
}

/// Whether a regex has an atom that ignores case (`(?i)`, or classes such as `[Ee]`,
/// without `nocase:`): its scope's automaton must then ignore case too, or the atom would
/// be searched only as written and every other case of it missed.
fn atoms_nocase(prepared: &Result<Prepared, PatternError>) -> bool {
    prepared
        .as_ref()
        .is_ok_and(|p| p.clauses.iter().flatten().any(|a| a.nocase))
}

/// Each form a literal pattern is searched in, and whether it is the wide one.
type Forms = Vec<(Vec<u8>, bool)>;

/// The [`Forms`] of a literal pattern (none for a regex).
fn literal_forms(p: &Pattern) -> Forms {
    let mut forms = Vec::new();
    if let PatternKind::Literal(bytes) = &p.kind {
        if p.ascii {
            forms.push((bytes.clone(), false));
        }
        if p.wide {
            forms.push((atoms::widen(bytes), true));
        }
    }
    forms
}

/// A regex pattern's compiled form, there once its side of the engine is built (see
/// [`Engine::new`]).
#[derive(Default)]
/// Boxed: most patterns are literals, and a pattern's slot would hold a whole compiled
/// regex's room (3 KB before its automata were boxed, a third of the heap at start-up).
pub(crate) struct LazyRegex(OnceLock<Box<CompiledRegex>>);

impl LazyRegex {
    pub(crate) fn get(&self) -> &CompiledRegex {
        self.0
            .get()
            .expect("a side's regexes are prepared before it scans")
    }
}

/// Adds a rule's patterns to `set`, numbered from `start`, taking each regex's
/// [`Prepared`] from `compiled`: per pattern, its literal forms and its compiled regex.
fn add_patterns(
    set: &mut AtomSetBuilder,
    rule: &Rule,
    start: PatternId,
    compiled: &mut impl Iterator<Item = Result<Prepared, PatternError>>,
) -> Result<Vec<(Forms, LazyRegex)>, BuildError> {
    let mut out = Vec::with_capacity(rule.patterns.len());
    for (k, p) in rule.patterns.iter().enumerate() {
        let pi = PatternId::from_index(start.index() + k);
        let forms = literal_forms(p);
        for (form, wide) in &forms {
            set.add(form.clone(), pi, p.nocase, *wide, false);
        }
        let regex = LazyRegex::default();
        if let PatternKind::Regex(src) = &p.kind {
            let Prepared {
                hir,
                regex: built,
                mut clauses,
                reach,
                rare_byte,
                landmark,
                suffix,
            } = compiled
                .next()
                .expect("one compiled regex per regex pattern")
                .map_err(|e| pattern_error(rule, &p.name, e))?;
            let max_len = hir.properties().maximum_len();
            let at_start = start_anchored(&hir);
            let first_bytes = at_start.and_then(|_| atoms::starting_bytes(&hir));
            if at_start.is_some() {
                clauses.clear();
            }
            // Every match holds an atom of each required clause. The rarest clause places
            // the verification windows; the others only gate.
            let mut gates = 0u64;
            match clauses.pop() {
                Some(primary) => {
                    for atom in primary {
                        set.add(atom.bytes, pi, atom.nocase, false, true);
                    }
                    // A clause of words most files hold gates nothing and costs an
                    // automaton hit at each of them.
                    let clauses = clauses.into_iter().filter(|c| atoms::selective(c));
                    for (bit, clause) in clauses.take(64).enumerate() {
                        gates |= 1 << bit;
                        for atom in clause {
                            set.add_gate(atom.bytes, pi, atom.nocase, bit as u8);
                        }
                    }
                }
                None => set.unfiltered.push(pi),
            }
            let _ = regex.0.set(Box::new(CompiledRegex {
                regex: built.map(OnceLock::from).unwrap_or_default(),
                forward: OnceLock::new(),
                reverse: OnceLock::new(),
                text: HirText::source(src, p.nocase),
                nocase: p.nocase,
                prefilter: wants_prefilter(&hir, p.nocase),
                max_len,
                reach,
                gates,
                rare_byte: rare_byte.filter(|_| at_start.is_none()),
                landmark,
                first_bytes,
                at_start,
                filter: OnceLock::new(),
                suffix: suffix.filter(|_| at_start.is_none()).map(
                    |(text, reads, from_start, built, starts)| Suffix {
                        text,
                        reads,
                        dfa: built,
                        from_start,
                        starts,
                    },
                ),
            }));
        }
        out.push((forms, regex));
    }
    Ok(out)
}

/// Regexes anchored at the input's start with matches of at most this many bytes are
/// searched there only (a magic number: `\ABM[\x00-\xff]{4}\x00{4}`), rather than at
/// hits of their atoms. Such an atom can be everywhere in a file (four zero bytes in an
/// image: 5.4 million hits on a web root of real code, each one a window that can hold no
/// match), while a search of a few bytes at the start costs next to nothing.
const AT_START_LEN: usize = 4096;

/// The longest match of a regex every match of which starts at the input's start, when
/// that is at most [`AT_START_LEN`].
fn start_anchored(hir: &Hir) -> Option<usize> {
    let props = hir.properties();
    props
        .look_set_prefix()
        .contains(regex_syntax::hir::Look::Start)
        .then(|| props.maximum_len())
        .flatten()
        .filter(|&m| m <= AT_START_LEN)
}

/// Parses the regex patterns of the rules `now` accepts and works out their atoms, in rule
/// and pattern order, and compiles those of rules that did not come with shellsweep, on a
/// few threads. Parsing and deriving atoms are most of the start-up work with the bundled
/// rules, and each regex's share depends on it alone (costs differ a hundredfold: see
/// [`crate::rules::map_ordered`]). Compiling a regex costs more still: a bundled regex is
/// compiled the first time a file needs it (the test suite compiles all of them, so none
/// can fail then), while a user's rule file is compiled in full now, so that its errors
/// show when it loads.
fn compile_regexes(
    rules: &mut [Rule],
    now: impl Fn(&Rule) -> bool,
) -> Vec<Result<Prepared, PatternError>> {
    // What the loader parsed is taken, not parsed again (see `Pattern::parsed`).
    let parsed: Vec<Vec<Option<Hir>>> = rules
        .iter_mut()
        .map(|r| {
            r.patterns
                .iter_mut()
                .filter(|p| matches!(p.kind, PatternKind::Regex(_)))
                .map(|p| p.parsed.take())
                .collect()
        })
        .collect();
    let jobs = regex_jobs(
        rules
            .iter()
            .zip(parsed)
            .filter(|(r, _)| now(r))
            .map(|(r, parsed)| (r, Some(parsed))),
    );
    run_jobs(&jobs)
}

/// One [`Job`] per regex pattern of `rules`, with what the loader parsed when given.
fn regex_jobs<'a>(
    rules: impl Iterator<Item = (&'a Rule, Option<Vec<Option<Hir>>>)>,
) -> Vec<Job<'a>> {
    rules
        .flat_map(|(r, parsed)| {
            let bundled = r.source.starts_with("bundled:");
            let mut parsed = parsed.unwrap_or_default().into_iter();
            r.patterns
                .iter()
                .filter_map(|p| match &p.kind {
                    PatternKind::Regex(src) => Some((src.as_str(), p.nocase)),
                    PatternKind::Literal(_) => None,
                })
                .map(move |(src, nocase)| Job {
                    src,
                    nocase,
                    bundled,
                    parsed: std::sync::Mutex::new(parsed.next().flatten()),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// [`prepare`]s the jobs, on a few threads when they are many.
fn run_jobs(jobs: &[Job<'_>]) -> Vec<Result<Prepared, PatternError>> {
    let threads = if jobs.len() < PARALLEL_REGEXES {
        1
    } else {
        crate::rules::startup_threads()
    };
    crate::rules::map_ordered(jobs, threads, prepare)
        .into_iter()
        .map(|r| r.unwrap_or(Err(PatternError::Panicked)))
        .collect()
}

/// One regex for [`compile_regexes`].
struct Job<'a> {
    src: &'a str,
    nocase: bool,
    bundled: bool,
    /// What the loader parsed, taken by the thread that prepares the job.
    parsed: std::sync::Mutex<Option<Hir>>,
}

fn prepare(job: &Job<'_>) -> Result<Prepared, PatternError> {
    let (src, nocase, bundled) = (job.src, job.nocase, job.bundled);
    let parsed = job.parsed.lock().map_or(None, |mut p| p.take());
    let hir = match parsed {
        Some(hir) => hir,
        None => hir_text::parse(src, nocase).map_err(PatternError::Syntax)?,
    };
    let regex = if bundled {
        None
    } else {
        Some(build_regex(&hir, nocase)?)
    };
    let clauses = atoms::regex_clauses(&hir);
    let reach = clauses
        .last()
        .and_then(|primary| atoms::clause_reach(&hir, primary));
    let suffix = match clauses
        .last()
        .and_then(|primary| atoms::clause_suffix(&hir, primary))
    {
        Some((s, from_start)) => {
            let built = if bundled {
                OnceLock::new()
            } else {
                OnceLock::from(Suffix::build(&s))
            };
            let reads = atoms::read_bound(&s).unwrap_or(usize::MAX);
            let starts = atoms::starting_bytes(&s);
            Some((HirText::printed(&s), reads, from_start, built, starts))
        }
        None => None,
    };
    let rare_byte = atoms::rare_required_byte(&hir);
    let landmark = if clauses.is_empty() {
        atoms::landmark(&hir)
    } else {
        None
    };
    Ok(Prepared {
        hir,
        regex,
        clauses,
        reach,
        rare_byte,
        landmark,
        suffix,
    })
}

/// Whether a regex is searched with a literal prefilter of its own (see [`build_regex`]).
fn wants_prefilter(hir: &Hir, nocase: bool) -> bool {
    !nocase
        && hir
            .properties()
            .maximum_len()
            .is_none_or(|n| n > PREFILTER_LEN)
}

fn build_regex(hir: &Hir, nocase: bool) -> Result<Regex, PatternError> {
    // Only match bounds are used, so no capture groups. Verification runs near atom hits
    // already, so most regexes go without a literal prefilter of their own, which makes the
    // build several times faster. A case-sensitive regex whose matches may be long gets
    // one: its windows around atom hits are wide, often the whole file, and its literals
    // are few (case-insensitive ones multiply and cost build time).
    let long = wants_prefilter(hir, nocase);
    // A regex over bytes (no Unicode classes, matches need not be UTF-8), as the rules'
    // syntax is read.
    Regex::builder()
        .configure(
            Regex::config()
                .which_captures(WhichCaptures::Implicit)
                .auto_prefilter(long),
        )
        .syntax(
            regex_automata::util::syntax::Config::new()
                .unicode(false)
                .utf8(false),
        )
        .build_from_hir(hir)
        .map_err(|e| PatternError::Build(Box::new(e)))
}

fn pattern_error(rule: &Rule, pattern: &str, error: PatternError) -> BuildError {
    BuildError::Pattern {
        rule: rule.id.clone(),
        pattern: pattern.to_owned(),
        error,
    }
}

impl Filters {
    fn new(rules: &IdVec<RuleId, Rule>) -> Result<Filters, globset::Error> {
        let mut any_extension = Vec::new();
        let mut by_extension: HashMap<String, Vec<RuleId>> = HashMap::new();
        let mut globs = globset::GlobSetBuilder::new();
        let mut glob_rule = Vec::new();
        let mut glob_rules = Vec::new();
        for (ri, rule) in rules.iter_enumerated() {
            if rule.scope != Scope::File {
                continue;
            }
            if rule.files.extensions.is_empty() {
                any_extension.push(ri);
            }
            for ext in &rule.files.extensions {
                by_extension.entry(ext.clone()).or_default().push(ri);
            }
            for g in &rule.files.paths {
                globs.add(g.clone());
                glob_rule.push(ri);
            }
            if !rule.files.paths.is_empty() {
                glob_rules.push(ri);
            }
        }
        Ok(Filters {
            any_extension,
            by_extension,
            globs: globs.build()?,
            glob_rule,
            glob_rules,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::rules::Loader;

    fn engine(patterns: &str, condition: &str) -> Engine {
        let text = format!(
            "rules:\n  - id: T\n    name: t\n    severity: high\n    patterns:\n{patterns}    condition: {condition}\n"
        );
        let mut l = Loader::new();
        l.add_text("t.yml", &text);
        let (rules, _) = l.finish().unwrap_or_else(|e| panic!("{:?}", e.0));
        Engine::new(rules).unwrap()
    }

    /// (pattern name, offset) of every reported match, or None when the rule did not fire.
    fn run(e: &Engine, buf: &[u8]) -> Option<Vec<(String, u64)>> {
        let mut s = e.scratch();
        let hits = e.scan(Path::new("x.php"), buf, &mut s);
        hits.first().map(|h| {
            h.matches
                .iter()
                .map(|m| (m.pattern.clone(), m.offset))
                .collect()
        })
    }

    /// The automata of the bundled regexes are built from their text (see [`hir_text`]):
    /// each whole regex, and each part the engine prints (the suffix after the atom that
    /// places its windows), parses back to the HIR it came from.
    #[test]
    fn every_bundled_regex_and_suffix_parses_back_from_its_text() {
        let mut l = Loader::new();
        l.add_bundled();
        let (rules, _) = l.finish().unwrap_or_else(|e| panic!("{:?}", e.0));
        let mut suffixes = 0;
        for p in rules.iter().flat_map(|r| &r.patterns) {
            let PatternKind::Regex(src) = &p.kind else {
                continue;
            };
            let hir = hir_text::parse(src, p.nocase).unwrap();
            let again = |text: HirText| text.with_hir(Hir::clone).unwrap();
            assert_eq!(again(HirText::source(src, p.nocase)), hir, "{src}");
            let clauses = atoms::regex_clauses(&hir);
            if let Some((suffix, _)) = clauses.last().and_then(|c| atoms::clause_suffix(&hir, c)) {
                assert_eq!(again(HirText::printed(&suffix)), suffix, "{src}");
                suffixes += 1;
            }
        }
        assert!(suffixes > 300, "{suffixes} suffixes");
    }

    #[test]
    fn bundled_file_rules_are_prepared_at_the_first_file_and_match_as_if_prepared_at_once() {
        let mut l = Loader::new();
        l.add_bundled();
        let (rules, _) = l.finish().unwrap_or_else(|e| panic!("{:?}", e.0));
        // The same rules under another name are a user's: prepared in `Engine::new`.
        let mut as_users = rules.clone();
        for r in &mut as_users {
            r.source = std::sync::Arc::from(format!("user:{}", r.source));
        }
        let late = Engine::new(rules).unwrap();
        let early = Engine::new(as_users).unwrap();
        assert!(!late.files.has_atoms(), "nothing scanned yet");
        assert!(early.files.has_atoms());
        let hits = |e: &Engine, name: &str, buf: &[u8]| {
            let mut s = e.scratch();
            e.scan(Path::new(name), buf, &mut s)
                .iter()
                .map(|h| {
                    let m: Vec<_> = h
                        .matches
                        .iter()
                        .map(|m| (m.pattern.clone(), m.offset))
                        .collect();
                    (h.rule.id.clone(), m, h.match_count)
                })
                .collect::<Vec<_>>()
        };
        let mut fired = 0;
        for dir in ["php", "asp", "aspx", "jsp"] {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/corpus/malicious")
                .join(dir);
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let buf = std::fs::read(&path).unwrap();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let want = hits(&early, &name, &buf);
                fired += want.len();
                assert_eq!(hits(&late, &name, &buf), want, "{name}");
            }
        }
        assert!(late.files.has_atoms());
        assert!(fired > 10, "the samples fire rules ({fired})");
        assert_eq!(late.atom_count(), early.atom_count());
        assert_eq!(late.slow_patterns().len(), early.slow_patterns().len());
    }

    #[test]
    fn every_bundled_regex_compiles() {
        // Bundled regexes are compiled when a file first needs one, trusting this test.
        let mut l = Loader::new();
        l.add_bundled();
        let (rules, _) = l.finish().unwrap_or_else(|e| panic!("{:?}", e.0));
        let e = Engine::new(rules).unwrap();
        assert!(!e.files.has_atoms(), "bundled file rules wait for a file");
        assert!(
            e.selections.get().is_none(),
            "bundled selections wait for a log"
        );
        e.compile_all().unwrap();
        assert!(e.selections.get().is_some());
        assert!(e.patterns.iter().all(|p| {
            p.regex
                .as_ref()
                .is_none_or(|r| r.get().regex.get().is_some())
        }));
    }

    #[test]
    fn literal_and_case() {
        let e = engine(
            "      a: Eval(\n      b: { text: system, nocase: true }\n",
            "any of them",
        );
        assert_eq!(run(&e, b"x eval( y"), None, "a is case-sensitive");
        assert_eq!(run(&e, b"x Eval( y"), Some(vec![("a".into(), 2)]));
        assert_eq!(run(&e, b"SYSTEM"), Some(vec![("b".into(), 0)]));
    }

    #[test]
    fn fullword_needs_non_word_neighbours() {
        let e = engine("      a: { text: exec, fullword: true }\n", "a");
        assert_eq!(run(&e, b"shell_exec("), None);
        assert_eq!(run(&e, b"execute"), None);
        assert_eq!(run(&e, b"x=exec(1)"), Some(vec![("a".into(), 2)]));
        assert_eq!(run(&e, b"exec"), Some(vec![("a".into(), 0)]));
    }

    #[test]
    fn wide_matches_utf16le_only_unless_ascii_too() {
        let wide: Vec<u8> = "..MachineKey.."
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let only_wide = engine("      a: { text: MachineKey, wide: true }\n", "a");
        assert_eq!(run(&only_wide, &wide), Some(vec![("a".into(), 4)]));
        assert_eq!(run(&only_wide, b"MachineKey"), None);
        let both = engine(
            "      a: { text: MachineKey, wide: true, ascii: true, nocase: true }\n",
            "a",
        );
        assert!(run(&both, b"machinekey").is_some());
        assert!(run(&both, &wide).is_some());
        let word = engine("      a: { text: Key, wide: true, fullword: true }\n", "a");
        assert_eq!(run(&word, &wide), None);
    }

    /// A suffix checks whether what follows an atom hit can start a match; where its DFA
    /// cannot say (here a Unicode word boundary, which a lazy DFA does not build), every
    /// hit holds, so no window, and no finding, is lost. Only the byte lookup before it
    /// drops a hit then, and only one that no match can follow.
    #[test]
    fn suffix_checks_answer_and_a_suffix_without_a_dfa_lets_every_hit_through() {
        let parse = |re: &str| {
            regex_syntax::ParserBuilder::new()
                .build()
                .parse(re)
                .unwrap()
        };
        let suffix = |re: &str| Suffix {
            text: HirText::printed(&parse(re)),
            dfa: OnceLock::new(),
            from_start: false,
            reads: 16,
            starts: None,
        };
        let buf = b"eval(\"x\") eval  (1)";
        let mut caches = caches::RegexCaches::new(1);
        let p = PatternId::from_index(0);
        let ascii = suffix(r"(?-u)\s{0,2}\(\d");
        assert!(ascii.dfa().is_some());
        assert!(
            !ascii.holds_at(p, &mut caches, buf, (0, 4)),
            "`(\"` is not `(digit`"
        );
        assert!(ascii.holds_at(p, &mut caches, buf, (10, 14)));
        let unicode = suffix(r"\b\s{0,2}\(\d");
        assert!(
            unicode.dfa().is_none(),
            "a lazy DFA takes no Unicode word boundary"
        );
        assert!(unicode.holds_at(p, &mut caches, buf, (0, 4)));
        // A hit followed by a byte no match can begin with fails at the lookup, before any
        // search: also where no DFA can say.
        let looked_up = Suffix {
            starts: atoms::starting_bytes(&atoms::tests::parse(r"\b\s{0,2}\(\d")),
            ..suffix(r"\b\s{0,2}\(\d")
        };
        assert!(looked_up.holds_at(p, &mut caches, buf, (0, 4)));
        assert!(
            !looked_up.holds_at(p, &mut caches, buf, (0, 3)),
            "`l` begins no match"
        );
        assert!(
            !looked_up.holds_at(p, &mut caches, buf, (15, 19)),
            "nothing follows the end"
        );
    }

    #[test]
    fn regex_verified_near_atoms() {
        let e = engine("      a: { regex: 'eval\\s*\\(\\s*\\$_(GET|POST)' }\n", "a");
        assert!(e.slow_patterns().is_empty());
        assert_eq!(
            run(&e, b"<?php eval ( $_POST['x']);"),
            Some(vec![("a".into(), 6)])
        );
        assert_eq!(run(&e, b"<?php eval('1+1'); $_POST;"), None);
        let nocase = engine("      a: { regex: 'eval\\(\\$_post', nocase: true }\n", "a");
        assert!(run(&nocase, b"EVAL($_POST").is_some());
    }

    #[test]
    fn regex_with_unbounded_gap_searches_the_whole_buffer() {
        let e = engine("      a: { regex: 'Runtime[\\s\\S]*getParameter' }\n", "a");
        let mut buf = b"Runtime".to_vec();
        buf.extend(vec![b' '; 200_000]);
        buf.extend(b"getParameter");
        assert_eq!(run(&e, &buf), Some(vec![("a".into(), 0)]));
    }

    #[test]
    fn slow_regex_runs_without_atoms() {
        let e = engine("      a: { regex: '[A-Za-z0-9+/]{40,}' }\n", "a");
        assert_eq!(e.slow_patterns().len(), 1);
        assert!(run(&e, &[b'A'; 50]).is_some());
        assert!(run(&e, &[b'A'; 30]).is_none());
        // A bounded regex without atoms is searched everywhere too, not only near hits.
        let bounded = engine("      a: { regex: '\\d{3}-\\d{4}' }\n", "a");
        assert_eq!(bounded.slow_patterns().len(), 1);
        assert!(run(&bounded, b"call 555-0199 now").is_some());
        assert!(run(&bounded, b"call 55-0199 now").is_none());
    }

    #[test]
    fn start_anchored_regexes_are_searched_at_the_start_only() {
        let e = engine(
            "      bmp: { regex: '\\ABM[\\x00-\\xff]{4}\\x00\\x00\\x00\\x00' }\n",
            "bmp",
        );
        // Searched in its first bytes whatever the file holds, so not slow, and no atom.
        assert!(e.slow_patterns().is_empty());
        assert_eq!(e.atom_count(), 0);
        let mut image = b"BM\x10\x20\x30\x40\0\0\0\0".to_vec();
        image.extend([0u8; 4000]);
        let mut s = e.scratch();
        let hits = e.scan(Path::new("x.bmp"), &image, &mut s);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].match_count, 1);
        // The same bytes anywhere but at the start are no match.
        let mut late = b"xx".to_vec();
        late.extend(&image);
        assert_eq!(run(&e, &late), None);
        assert_eq!(run(&e, b"BM"), None);
    }

    /// A start-anchored regex is asked only of buffers whose first byte can start a match:
    /// in either case when it ignores case, and always when its first bytes are not known.
    #[test]
    fn start_anchored_regexes_look_at_the_first_byte_first() {
        let first = |e: &Engine| {
            let re = e.patterns.iter().next().unwrap().regex.as_ref().unwrap();
            re.get().first_bytes
        };
        let e = engine("      g: { regex: '\\AGIF8[79]a', nocase: true }\n", "g");
        assert_eq!(first(&e).unwrap().bytes(), b"Gg");
        assert!(run(&e, b"GIF89a....").is_some());
        assert!(run(&e, b"gif87a....").is_some());
        assert!(run(&e, b"xGIF89a...").is_none());
        assert!(run(&e, b"").is_none());
        let any = engine("      a: { regex: '\\A[\\x00-\\xff]{2}PK' }\n", "a");
        assert!(first(&any).is_none());
        assert!(run(&any, b"..PK").is_some());
    }

    #[test]
    fn regexes_wait_for_every_required_literal() {
        // `eval` places the windows; `$_POST` must also be somewhere in the file.
        let e = engine("      a: { regex: 'eval\\(\\$_POST' }\n", "a");
        assert!(run(&e, b"<?php eval($_POST['x']);").is_some());
        assert!(run(&e, b"<?php eval($_GET['x']);").is_none());
        // Regexes of a rule that its literals already ruled out are not needed.
        let e = engine(
            "      lit: needle\n      re: { regex: 'eval\\(\\$_POST' }\n",
            "lit and re",
        );
        assert!(run(&e, b"needle eval($_POST)").is_some());
        assert!(run(&e, b"eval($_POST)").is_none());
    }

    #[test]
    fn conditions_see_counts_and_size() {
        let e = engine("      a: abc\n      b: xyz\n", "count(a) >= 2 and not b");
        assert!(run(&e, b"abc abc").is_some());
        assert!(run(&e, b"abc").is_none());
        assert!(run(&e, b"abc abc xyz").is_none());
        let always = engine("      a: abc\n", "not a and filesize < 5");
        assert_eq!(run(&always, b"1234"), Some(vec![]));
        assert!(run(&always, b"12345").is_none());
    }

    #[test]
    fn at_checks_a_match_at_an_offset() {
        let e = engine(
            "      mz: { hex: '4D 5A' }\n      s: { regex: 'ab+c' }\n",
            "mz at 0 and s at 3",
        );
        assert!(run(&e, b"MZ.abbc").is_some());
        assert!(run(&e, b"xMZabbc").is_none());
        assert!(run(&e, b"MZ..abc").is_none());
        let w = engine(
            "      k: { text: Key, wide: true, nocase: true }\n",
            "k at 2",
        );
        assert!(run(&w, b"..k\0E\0y\0").is_some());
    }

    #[test]
    fn extension_and_path_filters() {
        let text = "rules:\n  - id: T\n    name: t\n    severity: high\n    files:\n      extensions: [aspx]\n      paths: ['**/layouts/**']\n    patterns:\n      a: abc\n";
        let mut l = Loader::new();
        l.add_text("t.yml", text);
        let e = Engine::new(l.finish().unwrap().0).unwrap();
        let mut s = e.scratch();
        assert_eq!(
            e.scan(Path::new("/x/LAYOUTS/a.ASPX"), b"abc", &mut s).len(),
            1
        );
        assert_eq!(
            e.scan(Path::new("C:\\x\\Layouts\\a.aspx"), b"abc", &mut s)
                .len(),
            1
        );
        assert!(
            e.scan(Path::new("/x/other/a.aspx"), b"abc", &mut s)
                .is_empty()
        );
        assert!(
            e.scan(Path::new("/x/LAYOUTS/a.php"), b"abc", &mut s)
                .is_empty()
        );
        assert!(!e.applies_to(Path::new("/x/LAYOUTS/a.png"), &mut s));
    }

    #[test]
    fn matches_report_lines_and_are_capped() {
        let e = engine("      a: hit\n", "a");
        let mut buf = Vec::new();
        for i in 0..100 {
            buf.extend(format!("line {i} hit\n").as_bytes());
        }
        let mut s = e.scratch();
        let hits = e.scan(Path::new("x"), &buf, &mut s);
        assert_eq!(hits[0].match_count, 100);
        assert_eq!(hits[0].matches.len(), scan::REPORTED_MATCHES_PER_RULE);
        let lines: Vec<u64> = hits[0].matches.iter().map(|m| m.line).collect();
        assert_eq!(lines, (1..=8).collect::<Vec<u64>>());
        assert_eq!(hits[0].matches[2].excerpt, b"line 2 hit");
        // The scratch is clean for the next file.
        assert!(e.scan(Path::new("x"), b"nothing", &mut s).is_empty());
    }
}

#[cfg(test)]
mod proptests;
