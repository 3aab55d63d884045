//! shellsweep finds webshells and indicators of compromise on web servers: in the files of
//! web roots (PHP, JSP, classic ASP, ASP.NET) and in web-server logs (IIS W3C, SharePoint
//! ULS, Apache/nginx combined).
//!
//! Most users run the `shellsweep` program; see the README. The library is what the program
//! is built on, and its public part is the matching core, for those who want shellsweep's
//! rules inside another tool: rules are loaded and checked first (a [`Loader`] collects
//! [`Diagnostic`]s), then compiled once into an [`Engine`], which scans any number of
//! buffers, each with a [`Scratch`] of its own thread.
//!
//! ```
//! use std::path::Path;
//!
//! let mut loader = shellsweep::Loader::new();
//! loader.add_bundled();
//! let (rules, _warnings) = loader.finish().expect("the bundled rules load");
//! let engine = shellsweep::Engine::new(rules).expect("and compile");
//!
//! let mut scratch = engine.scratch();
//! let page = b"<?php system($_GET['c']); ?>";
//! let hits = engine.scan(Path::new("uploads/x.php"), page, &mut scratch);
//! assert!(hits.iter().any(|h| h.rule.severity >= shellsweep::Severity::High));
//! ```
//!
//! How the modules divide the work, and why, is in `docs/ARCHITECTURE.md`.

#![deny(missing_docs)]

// Reached from outside only through `internals`, which is not a stable API.
#[allow(missing_docs)]
mod allow;
mod baseline;
mod canon;
// Reached from outside only through `internals`, which is not a stable API.
#[allow(missing_docs)]
mod cli;
mod common;
mod engine;
// Reached from outside only through `internals`, which is not a stable API.
#[allow(missing_docs)]
mod finding;
// Reached from outside only through `internals`, which is not a stable API.
#[allow(missing_docs)]
mod ioc;
// Reached from outside only through `internals`, which is not a stable API.
#[allow(missing_docs)]
mod logs;
// Reached from outside only through `internals`, which is not a stable API.
#[allow(missing_docs)]
mod logscan;
// Reached from outside only through `internals`, which is not a stable API.
mod correlate;
#[allow(missing_docs)]
mod output;
mod pipeline;
mod policy;
// Reached from outside only through `internals`, which is not a stable API.
#[allow(missing_docs)]
mod read;
mod report;
mod rules;
// Reached from outside only through `internals`, which is not a stable API.
#[allow(missing_docs)]
mod state;
mod summary;
mod walk;
mod webroot;
mod yara;

pub use common::diag::{Diagnostic, Level, Pos};
pub use common::severity::Severity;
pub use engine::{BuildError, Engine, Match, RuleHit, Scratch};
pub use rules::{Loader, Rule, RuleError};

/// What the `shellsweep` program, its fuzz targets, benchmarks and integration tests drive
/// directly. Not a stable API: it follows the program's needs from one release to the next.
#[doc(hidden)]
pub mod internals {
    pub use crate::allow::Allowlist;
    pub use crate::cli::main as cli_main;
    pub use crate::common::net::{parse_cidr, parse_logged_addr};
    pub use crate::finding::{Finding, LogSubject};
    pub use crate::ioc::IocSet;
    pub use crate::logs::{
        Field, IisColumns, LogFormat, Record, Stitcher, looks_like_log_path, parse_combined,
        percent_decode, sniff,
    };
    pub use crate::logscan::{LogInput, LogScanner, Start};
    pub use crate::output::ecs::{self, Observer};
    pub use crate::output::stdout_closed_at_start;
    pub use crate::read::{Bounded, LineReader, Stamp, decoded};
    pub use crate::state::Previous;
}
