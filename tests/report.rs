//! `shellsweep report`: the page made from scans' JSON lines. Inputs are a real scan of the
//! fixtures (the lines the scanner writes today) and hand-written lines in the agreed wire
//! form of issue 16's correlation and pivot lines (`tests/data/report/`).
//!
//! The headless-Chromium test keeps its screenshot at `target/report-artifacts/report.png`
//! (beside it the page, `report.html`). Without a `chromium` on PATH it prints a skip line,
//! unless `SHELLSWEEP_REQUIRE_CHROMIUM` is set (as `.ci/run` does), when it fails.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{code, repo, run, stderr, write};
use serde_json::Value;

fn incident() -> PathBuf {
    repo().join("tests/data/report/incident.jsonl")
}

fn cut_short() -> PathBuf {
    repo().join("tests/data/report/web02-cut-short.jsonl")
}

fn report(inputs: &[&Path], out: &Path) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec!["report".as_ref()];
    args.extend(inputs.iter().map(|p| p.as_os_str()));
    args.extend(["-o".as_ref(), out.as_os_str()]);
    run(args)
}

/// The fixtures scanned for real, as JSON lines in `dir/scan.jsonl`.
fn fixture_scan(dir: &Path) -> PathBuf {
    // Without joins: the incident's correlation and pivot lines are the hand-written ones
    // (tests/incident.rs reports a real one).
    let out = run(["scan", "--format", "jsonl", "--no-correlation", "fixtures/"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let p = dir.join("scan.jsonl");
    std::fs::write(&p, &out.stdout).unwrap();
    p
}

fn lines(p: &Path) -> Vec<Value> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// What a browser's serialisation (and our escaping) makes of text in an element.
fn as_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

const TAGS: &[&str] = &[
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "div", "span",
    "table", "tbody", "tr", "th", "td", "code", "pre", "details", "summary", "ul", "li", "b", "br",
    "a", "svg", "g", "line", "text", "polygon", "rect", "circle",
];
const ATTRS: &[&str] = &[
    "class",
    "id",
    "lang",
    "charset",
    "http-equiv",
    "content",
    "name",
    "title",
    "href",
    "open",
    "xmlns",
    "viewbox",
    "width",
    "height",
    "role",
    "aria-label",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "points",
    "text-anchor",
    "data-address",
];

/// Every tag of `html` and its attribute names, read the way a browser's tokenizer reads
/// them (quoted and unquoted values, `<!...>`). Panics on a `<` that opens no tag: text
/// never holds a raw `<`.
fn tags(html: &str) -> Vec<(String, Vec<String>)> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        i += off + 1;
        if b.get(i) == Some(&b'!') {
            i += html[i..].find('>').expect("a closed <!...>");
            continue;
        }
        let closing = b.get(i) == Some(&b'/');
        if closing {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        assert!(!name.is_empty(), "a raw '<' in the page at byte {start}");
        let mut attrs = Vec::new();
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                i += 1;
                break;
            }
            let a = i;
            while i < b.len() && !b"\t\n\r =>/".contains(&b[i]) {
                i += 1;
            }
            attrs.push(html[a..i].to_ascii_lowercase());
            if b.get(i) == Some(&b'=') {
                i += 1;
                match b.get(i) {
                    Some(&q @ (b'"' | b'\'')) => {
                        i += 1 + html[i + 1..].find(q as char).expect("a closed value");
                        i += 1;
                    }
                    _ => {
                        while i < b.len() && !b"\t\n\r >".contains(&b[i]) {
                            i += 1;
                        }
                    }
                }
            }
        }
        if !closing {
            out.push((name, attrs));
        }
    }
    out
}

/// No tag or attribute the page does not write itself, hence nothing injected, and no
/// script or load of any kind.
fn assert_only_own_markup(html: &str) {
    for (tag, attrs) in tags(html) {
        assert!(TAGS.contains(&tag.as_str()), "unexpected tag <{tag}>");
        for a in attrs {
            assert!(
                ATTRS.contains(&a.as_str()),
                "unexpected attribute {a} on <{tag}>"
            );
        }
    }
}

#[test]
fn the_tag_reader_sees_injected_markup() {
    // The check below would be worthless if it missed these.
    let page = "<p class=\"a>b\">x</p><img src=x onerror=alert(1)>";
    let t = tags(page);
    assert_eq!(t[1].0, "img");
    assert_eq!(t[1].1, ["src", "onerror"]);
    assert!(std::panic::catch_unwind(|| assert_only_own_markup(page)).is_err());
    assert!(std::panic::catch_unwind(|| assert_only_own_markup("<p title='x' onload=y>")).is_err());
    assert!(std::panic::catch_unwind(|| tags("<p>a < b</p>")).is_err());
}

#[test]
fn hostile_names_excerpts_and_user_agents_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let name = "<script>alert(1)<!-- \"><img src=x onerror=alert(2)>.php";
    write(
        &dir.path().join("web"),
        name,
        b"<?php eval($_POST[\"c\"]); // \"><img src=x onerror=alert(3)><script>alert(4)</script>\n",
    );
    // A right-to-left override makes `x<RLO>gpj.php` read as `xphp.jpg`.
    write(
        &dir.path().join("web"),
        "x\u{202e}gpj.php",
        common::PHP_SHELL,
    );
    let ua = "antSword/v2.1 <script>alert(5)</script><img src=x onerror=alert(6)>";
    write(
        &dir.path().join("logs"),
        "access.log",
        format!("203.0.113.9 - - [19/Jul/2025:09:14:03 +0200] \"POST /x.php HTTP/1.1\" 200 43 \"-\" \"{ua}\"\n").as_bytes(),
    );
    let scan = run([
        "scan".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        dir.path().join("web").as_os_str(),
        dir.path().join("logs").as_os_str(),
    ]);
    let jsonl = dir.path().join("h.jsonl");
    std::fs::write(&jsonl, &scan.stdout).unwrap();
    // The hostile strings really are in the lines the report reads.
    let got = lines(&jsonl);
    assert!(got.iter().any(|v| v["file"]["name"] == name));
    assert!(got.iter().any(|v| v["user_agent"]["original"] == ua));
    assert!(got.iter().any(|v| {
        v["shellsweep"]["matches"][0]["excerpt"]
            .as_str()
            .is_some_and(|e| e.contains("onerror=alert(3)"))
    }));

    let page_path = dir.path().join("r.html");
    let out = report(&[&jsonl], &page_path);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let page = std::fs::read_to_string(&page_path).unwrap();
    assert_only_own_markup(&page);
    for bad in ["<script", "<img", "<!--"] {
        assert!(
            !page.to_ascii_lowercase().contains(bad),
            "{bad} reached the page"
        );
    }
    assert!(page.contains(
        "&lt;script&gt;alert(1)&lt;!-- &quot;&gt;&lt;img src=x onerror=alert(2)&gt;.php"
    ));
    assert!(page.contains(
        "// &quot;&gt;&lt;img src=x onerror=alert(3)&gt;&lt;script&gt;alert(4)&lt;/script&gt;"
    ));
    assert!(page.contains("x[U+202E]gpj.php"));
    assert!(!page.contains('\u{202e}'));
    assert!(page.contains(
        "antSword/v2.1 &lt;script&gt;alert(5)&lt;/script&gt;&lt;img src=x onerror=alert(6)&gt;"
    ));
}

#[test]
fn the_page_holds_every_run_finding_and_correlation_and_says_incomplete_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let scan = fixture_scan(dir.path());
    let page_path = dir.path().join("r.html");
    let out = report(&[&incident(), &cut_short(), &scan], &page_path);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let page = std::fs::read_to_string(&page_path).unwrap();
    assert_only_own_markup(&page);
    assert_holds_inputs(&page, &[incident(), cut_short(), scan.clone()], false);
    // web02's run has no summary line: the page must not look clean.
    assert!(page.contains("id=\"incomplete\""));
    assert!(page.contains("INCOMPLETE: 1 of 3 run(s)"));
    assert!(page.contains("NO SUMMARY"));
    // The broken last line of web02's input is named on stderr and in the page.
    let err = stderr(&out);
    assert!(
        err.contains("web02-cut-short.jsonl:3: line skipped"),
        "{err}"
    );
    assert!(page.contains("id=\"malformed\""));
    assert!(page.contains("web02-cut-short.jsonl</code></td><td class=\"n\">3</td>"));
    // The timeline: one row per client address, one mark per distinct request (the exploit
    // is a log finding, a pivot event and the drop's exploit at once).
    let (addresses, alerts) = log_activity(&[incident(), cut_short(), scan]);
    assert!(addresses.contains("203.0.113.7") && addresses.contains("198.51.100.20"));
    assert_eq!(page.matches("<g class=\"row\"").count(), addresses.len());
    let events = page.split("<table id=\"events\">").nth(1).unwrap();
    let events = events.split("</table>").next().unwrap();
    assert_eq!(events.matches("<tr class=\"k-alert\">").count(), alerts);
    assert_eq!(events.matches("<tr class=\"k-webshell\">").count(), 3);
    assert_eq!(events.matches("<tr class=\"k-dropped\">").count(), 1);
    assert_eq!(events.matches("<tr class=\"k-other\">").count(), 3);
    assert!(page.contains("90 s"));
}

/// The client addresses of the inputs, and how many distinct log records (address, log,
/// line) their dated log findings are.
fn log_activity(inputs: &[PathBuf]) -> (BTreeSet<String>, usize) {
    let mut addresses = BTreeSet::new();
    let mut records = BTreeSet::new();
    for v in inputs.iter().flat_map(|p| lines(p)) {
        if let Some(a) = v["shellsweep"]["pivot"]["address"].as_str() {
            addresses.insert(a.to_owned());
        }
        // A log finding without a client (a ULS line) or a time is not on the timeline.
        if let Some(ip) = v["source"]["ip"].as_str()
            && v["event"]["dataset"] == "shellsweep.log"
            && v["event"]["start"].is_string()
        {
            addresses.insert(ip.to_owned());
            records.insert((
                ip.to_owned(),
                v["log"]["file"]["path"].to_string(),
                v["shellsweep"]["log"]["line"].to_string(),
            ));
        }
    }
    (addresses, records.len())
}

/// Every file path, rule id, client address and request count of the inputs is on the page.
/// `dom`: the page as Chromium serialises it (quotes in text are not escaped there).
fn assert_holds_inputs(page: &str, inputs: &[PathBuf], dom: bool) {
    let escape = |s: &str| {
        let t = as_text(s);
        if dom {
            t
        } else {
            t.replace('"', "&quot;").replace('\'', "&#39;")
        }
    };
    let mut want: BTreeSet<String> = BTreeSet::new();
    for v in inputs.iter().flat_map(|p| lines(p)) {
        for s in [
            &v["file"]["path"],
            &v["rule"]["id"],
            &v["source"]["ip"],
            &v["shellsweep"]["pivot"]["address"],
            &v["log"]["file"]["path"],
            &v["host"]["name"],
            &v["agent"]["ephemeral_id"],
        ] {
            if let Some(s) = s.as_str() {
                want.insert(s.to_owned());
            }
        }
        let r = &v["shellsweep"]["correlation"]["requests"];
        if let Some(n) = r["count"].as_u64() {
            want.insert(format!("{n} request(s), {} not found", r["not_found"]));
        }
        for c in r["clients"].as_array().into_iter().flatten() {
            want.insert(c.as_str().unwrap().to_owned());
        }
        if let Some(n) = v["shellsweep"]["summary"]["files_scanned"].as_u64() {
            want.insert(format!("<td class=\"n\">{n}</td>"));
        }
    }
    assert!(want.len() > 50, "the inputs hold what this test expects");
    let missing: Vec<&String> = want
        .iter()
        .filter(|w| {
            if w.starts_with('<') {
                !page.contains(*w)
            } else {
                !page.contains(&escape(w))
            }
        })
        .collect();
    assert!(missing.is_empty(), "not on the page: {missing:?}");
}

#[test]
fn an_incomplete_or_interrupted_summary_is_never_shown_as_complete() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(incident()).unwrap();
    for (from, to, why) in [
        (
            "\"complete\":true",
            "\"complete\":false",
            "not everything could be scanned",
        ),
        (
            "\"interrupted\":false",
            "\"interrupted\":true",
            "interrupted",
        ),
        (
            "\"complete\":true,",
            "",
            "the summary does not say it was complete",
        ),
    ] {
        let p = dir.path().join("in.jsonl");
        std::fs::write(&p, base.replace(from, to)).unwrap();
        let page_path = dir.path().join("r.html");
        let out = report(&[&p], &page_path);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let page = std::fs::read_to_string(&page_path).unwrap();
        assert!(page.contains("INCOMPLETE: 1 of 1 run(s)"), "{why}");
        assert!(page.contains(why), "{why}");
        assert!(!page.contains("were complete"), "{why}");
    }
    let page_path = dir.path().join("r.html");
    assert_eq!(code(&report(&[&incident()], &page_path)), 0);
    let page = std::fs::read_to_string(&page_path).unwrap();
    assert!(page.contains("All 1 run(s) were complete"));
    assert!(!page.contains("INCOMPLETE"));
}

#[test]
fn an_unreadable_input_or_unwritable_output_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let page_path = dir.path().join("r.html");
    let out = report(
        &[&incident(), &dir.path().join("missing.jsonl")],
        &page_path,
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("missing.jsonl"), "{}", stderr(&out));
    assert!(!page_path.exists());
    // A folder as input cannot be read either.
    assert_eq!(code(&report(&[dir.path()], &page_path)), 2);
    let out = report(&[&incident()], &dir.path().join("no/such/dir/r.html"));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("cannot write"), "{}", stderr(&out));
    // An existing page is replaced whole, or kept.
    std::fs::write(&page_path, "old").unwrap();
    assert_eq!(code(&report(&[&incident()], &page_path)), 0);
    assert!(
        std::fs::read_to_string(&page_path)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn garbage_input_gives_a_page_that_says_so_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("junk.jsonl");
    let mut junk: Vec<u8> = (0..=255u8).collect();
    junk.extend_from_slice(b"\n{\"event\":{\"dataset\":\"shellsweep.file\",\"kind\":\"alert\"},\"file\":{\"path\":[1]},\"shellsweep\":{\"matches\":[{\"line\":\"x\"}]}}\n[]\n\"str\"\n");
    for i in 0..300 {
        junk.extend_from_slice(format!("bad {i}\n").as_bytes());
    }
    std::fs::write(&p, junk).unwrap();
    let page_path = dir.path().join("r.html");
    let out = report(&[&p], &page_path);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let page = std::fs::read_to_string(&page_path).unwrap();
    assert_only_own_markup(&page);
    // The bytes 0..=255 are two lines (split at \n), then two non-objects and 300 words.
    assert!(page.contains("304 malformed line(s)"));
    assert!(stderr(&out).contains("more malformed line(s)"));
    assert!(page.contains("1 finding(s) in 1 file(s)"));
}

// ---- headless Chromium ----

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SHELLSWEEP_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// Runs Chromium headless on `page` with `args`, with its own profile and a time limit;
/// returns stdout and stderr.
fn headless(chromium: &Path, page: &Path, args: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let (mut so, mut se) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut so, &mut s).unwrap();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        std::io::Read::read_to_end(&mut se, &mut s).unwrap();
        String::from_utf8_lossy(&s).into_owned()
    });
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 180 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    (out.join().unwrap(), err.join().unwrap())
}

/// The page's console messages as Chromium logs them (`INFO:CONSOLE...] "text"`): a page
/// without script has none, unless something was blocked or broken.
fn console(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

#[test]
fn headless_chromium_shows_what_the_jsonl_holds_without_console_errors() {
    let Some(chromium) = chromium() else {
        if std::env::var_os("SHELLSWEEP_REQUIRE_CHROMIUM").is_some() {
            panic!("SHELLSWEEP_REQUIRE_CHROMIUM is set but no chromium is on PATH");
        }
        // Straight to the process's stderr: the test harness would swallow `println!`, and
        // a skip must be seen.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"SKIPPED: headless Chromium test: no chromium on PATH \
              (set SHELLSWEEP_REQUIRE_CHROMIUM=1 to make this an error)\n",
        );
        return;
    };
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("report-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scan = fixture_scan(dir.path());
    let page = artifacts.join("report.html");
    let out = report(&[&incident(), &cut_short(), &scan], &page);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let (dom, err) = headless(&chromium, &page, &["--dump-dom"]);
    assert!(
        dom.contains("<h1>shellsweep report</h1>"),
        "no DOM dumped: {err}"
    );
    assert_eq!(console(&err), Vec::<&str>::new(), "console messages");
    let inputs = [incident(), cut_short(), scan];
    assert_holds_inputs(&dom, &inputs, true);
    assert!(dom.contains("INCOMPLETE: 1 of 3 run(s)"));
    assert_eq!(
        dom.matches("<g class=\"row\"").count(),
        log_activity(&inputs).0.len()
    );

    // The console check can fail: the same page with a load the policy blocks and a broken
    // script must show console messages.
    let broken = dir.path().join("broken.html");
    let html = std::fs::read_to_string(&page).unwrap().replacen(
        "<h1>",
        "<img src=\"http://127.0.0.1:9/x.png\"><script>no_such_function()</script><h1>",
        1,
    );
    std::fs::write(&broken, html).unwrap();
    let (_, err) = headless(&chromium, &broken, &["--dump-dom"]);
    assert!(
        console(&err).len() >= 2,
        "a blocked load and a blocked script: {err}"
    );

    let shot = artifacts.join("report.png");
    let _ = std::fs::remove_file(&shot);
    let (_, err) = headless(
        &chromium,
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000",
        ],
    );
    let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot ({e}): {err}"));
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
    println!("screenshot: {}", shot.display());
}
