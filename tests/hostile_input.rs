//! Attacker-controlled names and special files must neither break the output nor the scan.
#![cfg(unix)]

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::*;

fn hostile_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let names: [&[u8]; 4] = [
        b"new\nline.php",
        b"esc\x1b]0;owned\x07\x1b[31m.php",
        b"bad-\xff\xfe-utf8.php",
        b"cr\rback.php",
    ];
    for name in names {
        std::fs::write(dir.path().join(OsStr::from_bytes(name)), PHP_SHELL).unwrap();
    }
    dir
}

#[test]
fn hostile_names_keep_json_lines_intact_and_lossless() {
    let dir = hostile_tree();
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        dir.path().as_os_str(),
    ]);
    assert_eq!(code(&out), 1);
    let (findings, summary) = findings_and_summary(&out);
    // Every line parsed; each file gave the same findings as any other file would.
    let per_file = findings.len() / 4;
    assert!(per_file >= 1);
    assert_eq!(findings.len(), per_file * 4);
    assert_eq!(summary["shellsweep"]["summary"]["files_scanned"], 4);
    let mut raw_names: Vec<Vec<u8>> = findings
        .iter()
        .map(|f| match f["shellsweep"]["path_bytes"].as_str() {
            Some(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
            None => f["file"]["path"].as_str().unwrap().as_bytes().to_vec(),
        })
        .collect();
    raw_names.sort();
    raw_names.dedup();
    let expected: Vec<Vec<u8>> = {
        let mut v: Vec<Vec<u8>> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path().as_os_str().as_bytes().to_vec())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        raw_names, expected,
        "exact path bytes recoverable for every file"
    );
    let invalid = findings
        .iter()
        .find(|f| f["shellsweep"]["path_bytes"].is_string())
        .expect("the non-UTF-8 name has path_bytes");
    assert!(
        invalid["file"]["path"]
            .as_str()
            .unwrap()
            .contains('\u{FFFD}')
    );
}

#[test]
fn hostile_names_never_reach_the_terminal_raw() {
    let dir = hostile_tree();
    let out = run(["scan".as_ref(), dir.path().as_os_str()]);
    assert_eq!(code(&out), 1);
    assert!(!out.stdout.contains(&0x1b), "no ESC byte in text output");
    assert!(!out.stdout.contains(&b'\r'), "no CR in text output");
    assert!(!out.stdout.contains(&0x07), "no BEL in text output");
    let text = String::from_utf8(out.stdout).expect("text output is valid UTF-8");
    assert!(text.contains("new\\nline.php"), "{text}");
    assert!(
        text.contains("esc\\x1b]0;owned\\x07\\x1b[31m.php"),
        "{text}"
    );
    assert!(text.contains("bad-\\xff\\xfe-utf8.php"), "{text}");
}

#[test]
fn hostile_contents_are_escaped_in_excerpts() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "x.php",
        b"<?php @eval($_POST['\x1b[2J\x1b]0;x\x07']);?>\n",
    );
    let out = run(["scan".as_ref(), dir.path().as_os_str()]);
    assert_eq!(code(&out), 1);
    assert!(!out.stdout.contains(&0x1b) && !out.stdout.contains(&0x07));
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        dir.path().as_os_str(),
    ]);
    let (findings, _) = findings_and_summary(&out);
    let excerpt = findings[0]["shellsweep"]["matches"][0]["excerpt"]
        .as_str()
        .unwrap();
    assert!(
        excerpt.contains("\u{1b}[2J"),
        "JSON keeps the bytes, escaped by the encoder: {excerpt:?}"
    );
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// Runs a scan with a deadline, so that a hang fails the test instead of blocking CI.
fn run_with_deadline(args: &[&OsStr]) -> std::process::Output {
    let mut child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("scan hung on special files");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn fifos_dangling_links_and_loops_neither_hang_nor_abort() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "site/x.php", PHP_SHELL);
    mkfifo(&root.join("site/pipe.php"));
    symlink(
        root.join("site/nowhere.php"),
        root.join("site/dangling.php"),
    )
    .unwrap();
    symlink(root.join("site"), root.join("site/loop")).unwrap();
    let unix_socket = std::os::unix::net::UnixListener::bind(root.join("site/sock.php")).unwrap();

    for follow in [false, true] {
        let mut args: Vec<&OsStr> = vec!["scan".as_ref(), "--format".as_ref(), "jsonl".as_ref()];
        if follow {
            args.push("--follow-symlinks".as_ref());
        }
        args.push(root.as_os_str());
        let out = run_with_deadline(&args);
        assert_eq!(code(&out), 1, "follow={follow}: {}", stderr(&out));
        let (findings, summary) = findings_and_summary(&out);
        assert!(
            findings
                .iter()
                .any(|f| f["file"]["path"].as_str().unwrap().ends_with("site/x.php"))
        );
        let skipped = &summary["shellsweep"]["summary"]["files_skipped"];
        assert_eq!(skipped["special_file"], 2, "follow={follow}: {skipped}");
        assert_eq!(
            summary["shellsweep"]["summary"]["errors"],
            0,
            "follow={follow}: {}",
            stderr(&out)
        );
        if follow {
            assert_eq!(skipped["symlink_loop"], 1, "{skipped}");
            assert_eq!(skipped["dangling_symlink"], 1, "{skipped}");
            assert!(stderr(&out).contains("symlink loop"), "{}", stderr(&out));
        } else {
            assert_eq!(skipped["symlink"], 2, "{skipped}");
        }
    }
    drop(unix_socket);
}

#[test]
fn binary_files_are_scanned_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut gif = b"GIF89a\x01\x00\x01\x00\x00\xff\x00,".to_vec();
    gif.extend_from_slice(PHP_SHELL);
    gif.extend_from_slice(&[0, 0, 0xff, 0xfe]);
    write(dir.path(), "avatar.php", &gif);
    let out = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        dir.path().as_os_str(),
    ]);
    let (findings, _) = findings_and_summary(&out);
    assert!(!findings.is_empty());
}

#[test]
fn the_scan_writes_nothing_inside_the_scanned_tree() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.php", PHP_SHELL);
    let list = |p: &Path| -> Vec<(std::path::PathBuf, u64)> {
        let mut v: Vec<_> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (e.path(), e.metadata().unwrap().len())
            })
            .collect();
        v.sort();
        v
    };
    let before = list(dir.path());
    let out = run(["scan".as_ref(), dir.path().as_os_str()]);
    assert_eq!(code(&out), 1);
    assert_eq!(list(dir.path()), before);
}
