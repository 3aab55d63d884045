//! `shellsweep baseline create`.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::Status;
use crate::output::for_terminal;
use crate::walk::{Excludes, WalkConfig};

pub(crate) fn create(
    paths: &[PathBuf],
    output: &Path,
    exclude: &[String],
    follow_symlinks: bool,
) -> anyhow::Result<Status> {
    let excludes = Excludes::new(exclude).context("bad --exclude glob")?;
    for p in paths {
        if !p.is_dir() {
            anyhow::bail!(
                "{}: not a folder (a baseline records web roots)",
                p.display()
            );
        }
    }
    let config = WalkConfig {
        follow_symlinks,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        excludes,
    };
    let created = crate::baseline::create(paths, &config, output)
        .with_context(|| format!("cannot write baseline {}", output.display()))?;
    for e in &created.errors {
        eprintln!("shellsweep: {}", for_terminal(e.as_bytes()));
    }
    eprintln!(
        "shellsweep: baseline {}: {} file(s) recorded{}",
        output.display(),
        created.files,
        if created.errors.is_empty() {
            String::new()
        } else {
            format!(
                ", {} could not be read (not recorded)",
                created.errors.len()
            )
        }
    );
    Ok(if created.errors.is_empty() {
        Status::Clean
    } else {
        Status::Trouble
    })
}
