//! What gets reported: the one place for the minimum severity, the severity an IOC list
//! gives when an indicator names none, the raise of weak signals that agree, and the
//! allowlists. The file job and the log scanner ask here instead of each comparing
//! severities itself.

use std::path::Path;
use std::sync::Arc;

use crate::allow::Allowlist;
use crate::common::severity::Severity;
use crate::finding::{Finding, IndicatorHit, Subject};
use crate::ioc::{IocMatch, IocSet};

/// The reporting policy of a run.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Findings below this are counted but not reported.
    min_severity: Severity,
    /// The severity of an indicator whose list gives none.
    ioc_severity: Severity,
    allow: Arc<Allowlist>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy::new(Severity::Low, Severity::High, Arc::default())
    }
}

impl Policy {
    #[must_use]
    pub fn new(min_severity: Severity, ioc_severity: Severity, allow: Arc<Allowlist>) -> Policy {
        Policy {
            min_severity,
            ioc_severity,
            allow,
        }
    }

    /// Whether a finding of this severity is reported (otherwise only counted).
    #[must_use]
    pub fn reports(&self, severity: Severity) -> bool {
        severity >= self.min_severity
    }

    /// The severity of an IOC match: its list's, or the run's default for IOCs.
    #[must_use]
    pub fn indicator_severity(&self, hit: &IndicatorHit) -> Severity {
        hit.severity(self.ioc_severity)
    }

    /// The finding an IOC match on `subject` makes, or `None` when it is below the minimum
    /// severity (then only counted).
    pub fn indicator_finding(
        &self,
        hit: IndicatorHit,
        subject: impl FnOnce() -> Subject,
    ) -> Option<Finding> {
        self.reports(self.indicator_severity(&hit))
            .then(|| Finding::from_indicator(hit, self.ioc_severity, subject()))
    }

    /// The run's default severity for IOC matches.
    #[must_use]
    pub fn ioc_severity(&self) -> Severity {
        self.ioc_severity
    }

    /// Raises a file's findings by their combined score (see [`raise_combined`]), then
    /// drops those below the minimum severity: weak signals together may lift a finding
    /// over it. Returns how many were dropped.
    pub fn settle_file(&self, findings: &mut Vec<Finding>) -> u64 {
        raise_combined(findings);
        let before = findings.len();
        findings.retain(|f| self.reports(f.severity()));
        (before - findings.len()) as u64
    }

    /// Drops the findings an allowlist entry silences. Returns how many were dropped.
    pub fn drop_allowed(&self, findings: &mut Vec<Finding>) -> u64 {
        if self.allow.is_empty() {
            return 0;
        }
        let before = findings.len();
        findings.retain(|f| !self.allow.allows(f));
        (before - findings.len()) as u64
    }

    /// Whether an allowlist entry silences a finding an earlier sweep made (carried over
    /// for an unchanged file).
    #[must_use]
    pub fn allows_carried(&self, path: &Path, sha256: Option<&str>, rule_id: &str) -> bool {
        !self.allow.is_empty() && self.allow.allows_parts(path, sha256, rule_id)
    }
}

/// The finding model's form of an IOC match.
pub fn indicator_hit(iocs: &IocSet, m: IocMatch) -> IndicatorHit {
    IndicatorHit {
        indicator: iocs.indicator(m.indicator).into_owned(),
        field: m.field,
        matched: m.matched,
    }
}

/// A file's findings combine into one score, as THOR and Loki do: the sum of the scores of
/// the distinct rules that fired, capped at 100. Its band (40 medium, 60 high, 80 critical)
/// lifts every finding below it, so weak signals that agree become an alert while each alone
/// stays low. IOC findings keep the severity their list gives and take no part: an
/// indicator is a verdict, not a signal to weigh. See docs/RULES.md ("Scores").
pub fn raise_combined(findings: &mut [Finding]) {
    let mut seen: Vec<(&str, u8)> = Vec::new();
    for f in findings.iter().filter(|f| f.indicator.is_none()) {
        if !seen.iter().any(|(id, _)| *id == f.rule.id) {
            seen.push((&f.rule.id, f.rule.score));
        }
    }
    let total = seen
        .iter()
        .map(|&(_, s)| u32::from(s))
        .sum::<u32>()
        .min(100);
    let band = Severity::from_score(total);
    let contributors: Vec<String> = seen.iter().map(|(id, _)| (*id).to_owned()).collect();
    for f in findings.iter_mut().filter(|f| f.indicator.is_none()) {
        f.file_score = total;
        if band > f.rule_severity {
            f.rule.severity = band;
            f.raised_by = contributors
                .iter()
                .filter(|id| **id != f.rule.id)
                .cloned()
                .collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::engine::RuleHit;
    use crate::rules::{Loader, Rule};

    /// Rules `id`, each of the severity and score given.
    fn rules(specs: &[(&str, &str, u8)]) -> Vec<Rule> {
        let mut text = String::from("rules:\n");
        for (id, severity, score) in specs {
            text.push_str(&format!(
                "  - id: {id}\n    name: {id}\n    severity: {severity}\n    score: {score}\n    patterns: {{a: b}}\n"
            ));
        }
        let mut l = Loader::new();
        l.add_text("t.yml", &text);
        l.finish().expect("test rules").0
    }

    fn findings(rules: &[Rule]) -> Vec<Finding> {
        rules
            .iter()
            .map(|rule| {
                let hit = RuleHit {
                    rule,
                    matches: Vec::new(),
                    match_count: 0,
                    selections: Vec::new(),
                    measures: Vec::new(),
                };
                Finding::from_hit(hit, Path::new("x.php"), b"x", None, "")
            })
            .collect()
    }

    fn severities(fs: &[Finding]) -> Vec<Severity> {
        fs.iter().map(Finding::severity).collect()
    }

    #[test]
    fn weak_signals_add_up_to_the_files_severity() {
        // 10 + 15 + 20 = 45: medium, which lifts the two weaker findings.
        let r = rules(&[
            ("ENTROPY", "low", 10),
            ("UPLOADS", "low", 15),
            ("GENERIC", "low", 20),
        ]);
        let mut fs = findings(&r);
        raise_combined(&mut fs);
        assert_eq!(severities(&fs), [Severity::Medium; 3]);
        assert_eq!(fs[0].raised_by, ["UPLOADS", "GENERIC"]);
        assert_eq!(fs[0].rule_severity, Severity::Low);
        assert!(fs.iter().all(|f| f.file_score == 45));

        // Two weak signals stay weak; one rule alone keeps its own level.
        let mut weak = findings(&r[..2]);
        raise_combined(&mut weak);
        assert_eq!(severities(&weak), [Severity::Low; 2]);
        assert!(weak[0].raised_by.is_empty());
        let mut alone = findings(&rules(&[("HIGH", "high", 60)]));
        raise_combined(&mut alone);
        assert_eq!(severities(&alone), [Severity::High]);
    }

    #[test]
    fn a_rule_counts_once_and_the_score_is_capped() {
        // The same rule twice (two findings) adds its score once.
        let a = rules(&[("A", "low", 30)]);
        let mut twice = findings(&[a[0].clone(), a[0].clone()]);
        raise_combined(&mut twice);
        assert_eq!(twice[0].file_score, 30);
        assert_eq!(severities(&twice), [Severity::Low; 2]);

        // A severity above the band is kept; the sum never passes 100.
        let mut fs = findings(&rules(&[
            ("CRIT", "critical", 80),
            ("HIGH", "high", 60),
            ("MED", "medium", 40),
        ]));
        raise_combined(&mut fs);
        assert_eq!(fs[0].file_score, 100);
        assert_eq!(severities(&fs), [Severity::Critical; 3]);
        assert!(fs[0].raised_by.is_empty(), "critical was not raised");
        assert_eq!(fs[2].raised_by, ["CRIT", "HIGH"]);
    }

    #[test]
    fn the_minimum_applies_after_the_raise() {
        let policy = Policy::new(Severity::Medium, Severity::High, Arc::default());
        let r = rules(&[
            ("ENTROPY", "low", 10),
            ("UPLOADS", "low", 15),
            ("GENERIC", "low", 20),
        ]);
        let mut together = findings(&r);
        assert_eq!(policy.settle_file(&mut together), 0);
        assert_eq!(together.len(), 3);
        let mut apart = findings(&r[..2]);
        assert_eq!(policy.settle_file(&mut apart), 2);
        assert!(apart.is_empty());
    }
}
