//! Path IOCs: regexes (Loki/THOR filename lists) and globs over the whole path.
//!
//! All regexes are compiled into one multi-pattern regex, so a path costs one search
//! whatever the size of the list. Windows-style lists write `\\` separators; a path is
//! tried as it is and with `/` turned into `\`, so the same list works on both systems.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex_automata::meta::Regex;
use regex_automata::{Input, PatternSet};

use super::{Indicator, IocProblem, Kind};

#[derive(Debug, Default, Clone)]
pub struct PathIocs {
    regex: Option<Regex>,
    /// Indicator per regex pattern.
    regex_ind: Vec<usize>,
    /// Per regex pattern: its false-positive regex.
    fps: Vec<Option<Regex>>,
    globs: GlobSet,
    glob_ind: Vec<usize>,
}

impl PathIocs {
    pub(crate) fn build(indicators: &[Indicator]) -> (PathIocs, Vec<IocProblem>) {
        let mut problems = Vec::new();
        let mut sources = Vec::new();
        let mut regex_ind = Vec::new();
        let mut fps = Vec::new();
        let mut globs = GlobSetBuilder::new();
        let mut glob_ind = Vec::new();
        for (i, ind) in indicators.iter().enumerate() {
            match ind.kind {
                Kind::PathRegex => {
                    // Each regex is checked alone first, so one bad line does not sink the list.
                    if let Err(e) = Regex::new(&ind.value) {
                        problems.push(IocProblem::invalid(
                            &ind.list,
                            ind.line,
                            format!("bad regex: {e}"),
                        ));
                        continue;
                    }
                    let fp = match ind.false_positive.as_deref().map(Regex::new).transpose() {
                        Ok(fp) => fp,
                        Err(e) => {
                            problems.push(IocProblem::invalid(
                                &ind.list,
                                ind.line,
                                format!("bad false-positive regex: {e}"),
                            ));
                            continue;
                        }
                    };
                    sources.push(ind.value.clone());
                    regex_ind.push(i);
                    fps.push(fp);
                }
                Kind::PathGlob => match GlobBuilder::new(&ind.value.replace('\\', "/"))
                    .case_insensitive(true)
                    .build()
                {
                    Ok(g) => {
                        globs.add(g);
                        glob_ind.push(i);
                    }
                    Err(e) => problems.push(IocProblem::invalid(
                        &ind.list,
                        ind.line,
                        format!("bad glob: {}", e.kind()),
                    )),
                },
                _ => {}
            }
        }
        let regex = if sources.is_empty() {
            None
        } else {
            match Regex::new_many(&sources) {
                Ok(r) => Some(r),
                Err(e) => {
                    let first = &indicators[regex_ind[0]];
                    problems.push(IocProblem::invalid(
                        &first.list,
                        first.line,
                        format!("path regexes could not be compiled together: {e}"),
                    ));
                    None
                }
            }
        };
        let globs = globs.build().unwrap_or_default();
        (
            PathIocs {
                regex,
                regex_ind,
                fps,
                globs,
                glob_ind,
            },
            problems,
        )
    }

    pub fn is_empty(&self) -> bool {
        self.regex.is_none() && self.glob_ind.is_empty()
    }

    /// The indicators whose regex or glob matches `path`.
    pub fn matches(&self, path: &str) -> Vec<usize> {
        let mut out = Vec::new();
        let backslashed = path.replace('/', "\\");
        if let Some(re) = &self.regex {
            let mut set = PatternSet::new(re.pattern_len());
            for p in [path, backslashed.as_str()] {
                re.which_overlapping_matches(&Input::new(p), &mut set);
            }
            for pid in set.iter() {
                let k = pid.as_usize();
                let fp = self.fps[k]
                    .as_ref()
                    .is_some_and(|fp| fp.is_match(path) || fp.is_match(backslashed.as_str()));
                if !fp {
                    out.push(self.regex_ind[k]);
                }
            }
        }
        if !self.glob_ind.is_empty() {
            let slashed = path.replace('\\', "/");
            for g in self.globs.matches(slashed.as_str()) {
                out.push(self.glob_ind[g]);
            }
        }
        out
    }
}
