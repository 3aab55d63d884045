//! How bad a finding is: shared by rules, IOC lists, findings, output and saved state.

use std::fmt;

/// Severity, ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth a look when hunting; noise on its own.
    Low,
    /// Suspicious: a person should check it.
    Medium,
    /// Most likely malicious.
    High,
    /// Known malicious, or several strong signals together.
    Critical,
}

impl Severity {
    /// Every level, least severe first.
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name rule files and the output use.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The number Elastic's detection engine maps to this level (`event.severity`).
    pub fn ecs_score(self) -> u8 {
        match self {
            Severity::Low => 21,
            Severity::Medium => 47,
            Severity::High => 73,
            Severity::Critical => 99,
        }
    }

    /// The score a rule of this severity adds to its file when it gives none (`score:`):
    /// the lowest score of the level, so that one rule alone keeps its own severity.
    pub fn default_score(self) -> u8 {
        match self {
            Severity::Low => 20,
            Severity::Medium => 40,
            Severity::High => 60,
            Severity::Critical => 80,
        }
    }

    /// The level of a file's summed score: the THOR/Loki bands (40 medium, 60 high, 80
    /// critical), so that weak signals only count when several agree.
    pub fn from_score(score: u32) -> Severity {
        match score {
            80.. => Severity::Critical,
            60..=79 => Severity::High,
            40..=59 => Severity::Medium,
            _ => Severity::Low,
        }
    }

    /// The level of a lowercase name, as [`Severity::as_str`] writes it.
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
