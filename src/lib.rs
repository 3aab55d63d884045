//! shellsweep: finds webshells and indicators of compromise on web servers.
//!
//! The library follows the data flow: [`rules`] loads rule files, [`engine`] compiles and
//! matches them, [`walk`] and [`read`] get bytes off the disk, [`finding`] is what a match
//! becomes, and [`output`] writes findings for people and SIEMs.

pub mod allow;
pub(crate) mod canon;
pub mod cli;
pub mod common;
pub mod engine;
pub mod finding;
pub mod ioc;
pub mod logs;
pub mod logscan;
pub mod output;
pub(crate) mod pipeline;
pub mod policy;
pub mod read;
pub mod rules;
pub mod state;
pub mod summary;
pub mod walk;
