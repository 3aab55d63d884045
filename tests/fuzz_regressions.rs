//! Replays inputs that the fuzz targets (fuzz/, see docs/FUZZING.md) found, through the same
//! harness code the targets run (fuzz/src/lib.rs), so that a fixed bug stays fixed. Each
//! target's saved inputs live in fuzz/regressions/<target>/.

#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::path::Path;

/// Runs `run` on every file saved for `target`, naming the file if it panics.
fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    for f in files {
        let data = std::fs::read(&f).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{} panicked", f.display());
    }
}

/// Found by the `uls` target: Stitcher::push computed the message's end by pointer
/// arithmetic, which overflowed on a line with fewer tab-separated cells than the Message
/// column (an empty line, say). Fixed by computing it from the cells.
#[test]
fn uls() {
    replay("uls", harness::uls::run);
}

/// The same bug through the public API alone.
#[test]
fn uls_line_without_message_column() {
    let mut st = shellsweep::internals::Stitcher::new(jiff::tz::TimeZone::UTC);
    let mut out = Vec::new();
    st.push(b"", 1, 0, &mut out);
    st.push(
        b"07/19/2025 09:13:02.27\tw3wp.exe (0x2A1C)\t0x3B40",
        2,
        1,
        &mut out,
    );
    st.finish(&mut out);
}

#[test]
fn uls_padded() {
    replay("uls_padded", harness::uls_padded::run);
}

#[test]
fn iis() {
    replay("iis", harness::iis::run);
}

#[test]
fn combined() {
    replay("combined", harness::combined::run);
}

#[test]
fn sniff() {
    replay("sniff", harness::sniff::run);
}

#[test]
fn ioc_plain() {
    replay("ioc_plain", harness::ioc_plain::run);
}

#[test]
fn rules_loader() {
    replay("rules_loader", harness::rules_loader::run);
}

#[test]
fn line_reader() {
    replay("line_reader", harness::line_reader::run);
}

#[test]
fn engine_scan() {
    replay("engine_scan", harness::engine_scan::run);
}

#[test]
fn ioc_formats() {
    replay("ioc_formats", harness::ioc_formats::run);
}

#[test]
fn allowlist() {
    replay("allowlist", harness::allowlist::run);
}

#[test]
fn state_file() {
    replay("state_file", harness::state_file::run);
}

#[test]
fn canon() {
    replay("canon", harness::canon::run);
}

/// The targets added last are also run over their committed seeds, so that a harness that
/// cannot run (or a seed that already fails) shows in `cargo test`, not first in a fuzz run.
#[test]
fn seeds_of_the_loader_targets() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    type Harness = fn(&[u8]);
    let targets: [(&str, Harness); 4] = [
        ("ioc_formats", harness::ioc_formats::run),
        ("allowlist", harness::allowlist::run),
        ("state_file", harness::state_file::run),
        ("canon", harness::canon::run),
    ];
    for (target, run) in targets {
        let mut n = 0;
        for e in std::fs::read_dir(dir.join(target)).unwrap().flatten() {
            let data = std::fs::read(e.path()).unwrap();
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{} panicked", e.path().display());
            n += 1;
        }
        assert!(n >= 10, "{target}: {n} seeds");
    }
}
