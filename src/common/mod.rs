//! Pieces several stages share: severity, positioned YAML and its diagnostics, byte helpers,
//! network-address parsing and whole-file writes. They live here so that `rules`, `ioc`, `allow` and `state`
//! need not reach into one another; nothing here imports another shellsweep module.

pub(crate) mod atomic;
pub(crate) mod bytes;
pub mod diag;
pub mod net;
pub mod severity;
pub(crate) mod yaml;
