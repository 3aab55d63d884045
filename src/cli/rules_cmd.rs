//! `shellsweep rules list`, `rules show` and `rules check`.

use std::io::Write;
use std::path::PathBuf;

use super::args::RuleSource;
use super::{LoadedRules, Status, load_engine, print_diagnostics};
use crate::engine::Engine;
use crate::output::for_terminal;
use crate::rules::{
    Cmp, Code, Expr, FieldOp, FieldTest, Loader, Pattern, PatternKind, Quantity, Rule, Scope,
    regex_size_warning,
};

pub(crate) fn list(source: &RuleSource) -> anyhow::Result<Status> {
    let Some(LoadedRules { engine, .. }) = load_engine(source, false)? else {
        return Ok(Status::Trouble);
    };
    let Ok(yara) = super::load_yara(source, false, false) else {
        return Ok(Status::Trouble);
    };
    let yara = yara.map(|(rules, _)| rules.views()).unwrap_or_default();
    let rules = engine.rules();
    let id_width = rules
        .iter()
        .map(|r| r.id.len())
        .chain(yara.iter().map(|v| v.info.id.len()))
        .max()
        .unwrap_or(2);
    let mut out = std::io::stdout().lock();
    let mut lines = String::new();
    for r in rules {
        lines.push_str(&format!(
            "{:<id_width$}  {:<8}  {:<4}  {}\n",
            for_terminal(r.id.as_bytes()),
            r.severity.as_str(),
            r.scope.as_str(),
            for_terminal(r.name.as_bytes())
        ));
    }
    // YARA rules have no name beside their identifier: the description says what they
    // find, the ruleset (file) where they come from.
    for v in &yara {
        let what = if v.info.description.is_empty() {
            &v.info.name
        } else {
            &v.info.description
        };
        lines.push_str(&format!(
            "{:<id_width$}  {:<8}  yara  {} [{}]\n",
            for_terminal(v.info.id.as_bytes()),
            v.info.severity.as_str(),
            for_terminal(what.as_bytes()),
            for_terminal(v.info.ruleset.as_bytes()),
        ));
    }
    match out.write_all(lines.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(Status::Clean),
    }
}

/// `shellsweep rules compile --yara PATH... -o FILE`.
pub(crate) fn compile(yara: &[PathBuf], output: &std::path::Path) -> anyhow::Result<Status> {
    // The severity is chosen when scanning, not stored.
    let loaded = crate::yara::load(yara, crate::common::severity::Severity::High);
    super::report_yara(&loaded.diagnostics, false, false);
    let Some(rules) = loaded.rules else {
        let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
        eprintln!(
            "shellsweep: {errors} error(s) in the YARA rules; nothing written to {}",
            output.display()
        );
        return Ok(Status::Trouble);
    };
    let bytes = match rules.to_compiled() {
        Ok(b) => b,
        Err(e) => anyhow::bail!("cannot serialise the YARA rules: {e}"),
    };
    crate::yara::write_compiled(output, &bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", output.display()))?;
    eprintln!(
        "shellsweep: {} YARA rules from {} file(s) compiled into {} ({:.1} MB); scan with --yara-compiled {}",
        rules.rule_count(),
        loaded.files.len(),
        output.display(),
        bytes.len() as f64 / 1e6,
        output.display()
    );
    Ok(Status::Clean)
}

/// Checks rule files as a scan would load them, plus the engine's slow-pattern warnings.
/// Files are loaded after the bundled rules, as `scan --rules` loads them, so an id that
/// repeats a bundled one fails here and not first in a scan; only the files' own
/// diagnostics are shown.
pub(crate) fn check(
    paths: &[PathBuf],
    sigma: &[PathBuf],
    no_bundled_rules: bool,
    yara: &[PathBuf],
    yara_compiled: Option<&std::path::Path>,
) -> anyhow::Result<Status> {
    let mut loader = Loader::new();
    let only_bundled =
        paths.is_empty() && sigma.is_empty() && yara.is_empty() && yara_compiled.is_none();
    if only_bundled || !no_bundled_rules {
        loader.add_bundled();
    }
    let bundled = if only_bundled {
        0
    } else {
        loader.rules().len()
    };
    for p in paths {
        loader.add_path(p);
    }
    for p in sigma {
        loader.add_sigma_path(p);
    }
    let mut diagnostics = loader.diagnostics().to_vec();
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let mut rule_count = loader.rules().len() - bundled;
    if !yara.is_empty() {
        // The default severity does not change what compiles.
        let loaded = crate::yara::load(yara, crate::common::severity::Severity::High);
        rule_count += loaded.rule_count;
        diagnostics.extend(loaded.diagnostics);
    }
    if let Some(path) = yara_compiled {
        match crate::yara::load_compiled(path, crate::common::severity::Severity::High) {
            Ok(rules) => rule_count += rules.rule_count(),
            Err(d) => diagnostics.push(d),
        }
    }
    if errors == 0 {
        // A check compiles every regex, the bundled ones too (a scan leaves those until a
        // file needs them).
        match Engine::new(loader.rules().to_vec()).and_then(|e| e.compile_all().map(|()| e)) {
            Ok(engine) => {
                for rule in engine.ungated_log_rules() {
                    // Rules carry no position of their own: point at their first selection.
                    let pos = rule
                        .selections
                        .first()
                        .map(|s| s.pos)
                        .or(rule.patterns.first().map(|p| p.pos))
                        .unwrap_or_default();
                    diagnostics.push(loader.diagnostic(
                        &rule.source,
                        pos,
                        Code::UngatedLogRule,
                        format!(
                            "rule {}: the condition can hold for a log line that holds none of the rule's literals (a `not`, a `null`, `exists` or `cidr` test, or a regex without a literal), so every line of every log is parsed while it is loaded (slow; see docs/RULES.md)",
                            rule.id
                        ),
                    ));
                }
                for rule in loader.rules() {
                    for p in &rule.patterns {
                        if let PatternKind::Regex(src) = &p.kind
                            && let Some(message) = regex_size_warning(src)
                        {
                            diagnostics.push(loader.diagnostic(
                                &rule.source,
                                p.pos,
                                Code::RegexLarge,
                                format!("rule {}, pattern `{}`: {message}", rule.id, p.name),
                            ));
                        }
                    }
                }
                for slow in engine.slow_patterns() {
                    diagnostics.push(loader.diagnostic(
                        &slow.source,
                        slow.pos,
                        Code::NoRegexLiteral,
                        format!(
                            "rule {}, pattern `{}`: the regex has no literal of 3 or more bytes that every match contains, so it runs over every file the rule applies to (slow)",
                            slow.rule, slow.pattern
                        ),
                    ));
                }
            }
            Err(e) => {
                eprintln!("shellsweep: {e}");
                return Ok(Status::Trouble);
            }
        }
    }
    if bundled > 0 {
        // The bundled set's own warnings belong to its check, not to the user's files.
        diagnostics.retain(|d| !d.file.starts_with("bundled:"));
    }
    print_diagnostics(&diagnostics);
    if diagnostics
        .iter()
        .any(|d| d.is_error() && d.message.contains("first defined in bundled:"))
    {
        eprintln!(
            "shellsweep: rules meant to replace the bundled set are checked (and scanned) with --no-bundled-rules"
        );
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    eprintln!("shellsweep: {rule_count} rules checked, {errors} errors, {warnings} warnings");
    if !sigma.is_empty() {
        eprintln!("{}", super::sigma_summary(loader.sigma_counts()));
    }
    Ok(if errors > 0 {
        Status::Trouble
    } else {
        Status::Clean
    })
}

/// `shellsweep rules show ID`: one rule in full, as loaded (hunting rules too).
pub(crate) fn show(id: &str, source: &RuleSource) -> anyhow::Result<Status> {
    let mut loader = Loader::new();
    if !source.no_bundled_rules {
        loader.add_bundled();
    }
    for p in &source.rules {
        loader.add_path(p);
    }
    for p in &source.sigma {
        loader.add_sigma_path(p);
    }
    let Ok(yara) = super::load_yara(source, false, false) else {
        return Ok(Status::Trouble);
    };
    let yara = yara.map(|(rules, _)| rules.views()).unwrap_or_default();
    let rules = match loader.finish() {
        Ok((rules, _)) => rules,
        Err(e) => {
            print_diagnostics(&e.0);
            eprintln!("shellsweep: {e}");
            return Ok(Status::Trouble);
        }
    };
    let yara_rule = yara.iter().find(|v| v.info.id == id);
    let rule = rules.iter().find(|r| r.id == id);
    if rule.is_none()
        && let Some(v) = yara_rule
    {
        let text = render_yara_rule(v);
        let mut out = std::io::stdout().lock();
        return match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
            _ => Ok(Status::Clean),
        };
    }
    let Some(rule) = rule else {
        let wanted = id.to_ascii_uppercase();
        let near: Vec<String> = rules
            .iter()
            .map(|r| &r.id)
            .chain(yara.iter().map(|v| &v.info.id))
            .filter(|have| {
                let have = have.to_ascii_uppercase();
                have == wanted || (wanted.len() >= 3 && have.contains(&wanted))
            })
            .take(5)
            .map(|have| for_terminal(have.as_bytes()))
            .collect();
        let hint = if near.is_empty() {
            String::new()
        } else {
            format!(" (did you mean {}?)", near.join(", "))
        };
        eprintln!(
            "shellsweep: no loaded rule has the id `{}`{hint}; `shellsweep rules list` prints the ids",
            for_terminal(id.as_bytes())
        );
        return Ok(Status::Trouble);
    };
    let text = render_rule(rule);
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(Status::Clean),
    }
}

/// A YARA rule as yara-x keeps it: its fields, meta and patterns (the condition is compiled
/// code; `source` points at its text).
fn render_yara_rule(v: &crate::yara::RuleView) -> String {
    let t = |s: &str| for_terminal(s.as_bytes());
    let r = &v.info;
    let mut out = String::new();
    let mut field = |name: &str, value: String| {
        out.push_str(&format!("{:<13}{value}\n", format!("{name}:")));
    };
    field("id", t(&r.id));
    field("name", t(&r.name));
    field("severity", r.severity.as_str().to_owned());
    field(
        "score",
        format!(
            "{} (from the meta `score`, else `severity`, else --yara-severity)",
            r.score
        ),
    );
    field("scope", "yara (every file that is not a log)".to_owned());
    field("ruleset", t(&r.ruleset));
    field("namespace", t(&v.namespace));
    field("author", t(&r.author));
    let line = std::fs::read_to_string(&v.path)
        .ok()
        .and_then(|text| yara_rule_line(&text, &r.name))
        .map(|l| format!(":{l}"))
        .unwrap_or_default();
    field("source", format!("{}{line}", t(&v.path)));
    if !r.tags.is_empty() {
        let tags: Vec<String> = r.tags.iter().map(|s| t(s)).collect();
        field("tags", tags.join(", "));
    }
    out.push_str("description:\n");
    for l in crate::output::wrap_text(&t(&r.description), 92) {
        out.push_str(&format!("  {l}\n"));
    }
    if !r.references.is_empty() {
        out.push_str("references:\n");
        for reference in &r.references {
            out.push_str(&format!("  {}\n", t(reference)));
        }
    }
    if !v.meta.is_empty() {
        out.push_str("meta:\n");
        for (k, value) in &v.meta {
            out.push_str(&format!("  {} = {}\n", t(k), t(value)));
        }
    }
    if !v.patterns.is_empty() {
        out.push_str("patterns:\n");
        for (name, kind) in &v.patterns {
            out.push_str(&format!("  {}: {kind}\n", t(name)));
        }
    }
    out
}

/// The line where `rule NAME` is declared in a YARA source.
fn yara_rule_line(text: &str, name: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let mut words = l
                .split_whitespace()
                .skip_while(|w| *w == "private" || *w == "global");
            words.next() == Some("rule")
                && words
                    .next()
                    .is_some_and(|w| w.split([':', '{']).next() == Some(name))
        })
        .map(|i| i + 1)
}

fn render_rule(r: &Rule) -> String {
    let t = |s: &str| for_terminal(s.as_bytes());
    let mut out = String::new();
    let mut field = |name: &str, value: String| {
        out.push_str(&format!("{:<13}{value}\n", format!("{name}:")));
    };
    field("id", t(&r.id));
    field("name", t(&r.name));
    field("severity", r.severity.as_str().to_owned());
    field(
        "score",
        format!(
            "{} (added to the file's score; 40 medium, 60 high, 80 critical)",
            r.score
        ),
    );
    field("scope", r.scope.as_str().to_owned());
    field("ruleset", t(&r.ruleset));
    field(
        "hunt",
        if r.hunt {
            "yes (loaded only with --hunt)".into()
        } else {
            "no".into()
        },
    );
    field("author", t(&r.author));
    let line = rule_line(r).map(|l| format!(":{l}")).unwrap_or_default();
    field("source", format!("{}{line}", t(&r.source)));
    if !r.tags.is_empty() {
        let tags: Vec<String> = r.tags.iter().map(|s| t(s)).collect();
        field("tags", tags.join(", "));
    }
    if r.scope == Scope::File {
        let exts = if r.files.extensions.is_empty() {
            "any".to_owned()
        } else {
            r.files
                .extensions
                .iter()
                .map(|s| t(s))
                .collect::<Vec<_>>()
                .join(", ")
        };
        field("extensions", exts);
        if !r.files.paths.is_empty() {
            let globs: Vec<String> = r.files.paths.iter().map(|g| t(g.glob())).collect();
            field("paths", globs.join(", "));
        }
    }
    out.push_str("description:\n");
    let description = r
        .description
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for l in crate::output::wrap_text(&t(&description), 92) {
        out.push_str(&format!("  {l}\n"));
    }
    if !r.references.is_empty() {
        out.push_str("references:\n");
        for reference in &r.references {
            out.push_str(&format!("  {}\n", t(reference)));
        }
    }
    if !r.patterns.is_empty() {
        out.push_str("patterns:\n");
        for p in &r.patterns {
            out.push_str(&format!("  {}: {}\n", t(&p.name), pattern_text(p)));
        }
    }
    if !r.selections.is_empty() {
        out.push_str("selections:\n");
        for s in &r.selections {
            out.push_str(&format!("  {}:", t(&s.name)));
            if s.alternatives.len() > 1 {
                out.push_str(" (any one of these)");
            }
            out.push('\n');
            for alt in &s.alternatives {
                for (j, test) in alt.iter().enumerate() {
                    let lead = match (s.alternatives.len() > 1, j) {
                        (true, 0) => "  - ",
                        (true, _) => "    ",
                        (false, _) => "  ",
                    };
                    out.push_str(&format!("  {lead}{}\n", field_test_text(test)));
                }
            }
        }
    }
    let names: Vec<&str> = r
        .patterns
        .iter()
        .map(|p| p.name.as_str())
        .chain(r.selections.iter().map(|s| s.name.as_str()))
        .collect();
    out.push_str(&format!(
        "{:<13}{}\n",
        "condition:",
        t(&condition_text(&r.condition, &names, false))
    ));
    out
}

/// The line of `id: ID` in the rule's file (bundled rules are searched in the bundled
/// texts: ids are unique across them).
fn rule_line(r: &Rule) -> Option<usize> {
    let find = |text: &str| {
        text.lines().position(|l| {
            let l = l.trim_start();
            let l = l.strip_prefix("- ").unwrap_or(l).trim_start();
            l.strip_prefix("id:").is_some_and(|v| {
                let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
                v == r.id
            })
        })
    };
    if r.source.starts_with("bundled:") {
        Loader::bundled_texts().find_map(find).map(|i| i + 1)
    } else {
        let text = std::fs::read_to_string(&*r.source).ok()?;
        find(&text).map(|i| i + 1)
    }
}

fn pattern_text(p: &Pattern) -> String {
    let mut s = match &p.kind {
        PatternKind::Regex(re) => format!("regex '{}'", for_terminal(re.as_bytes())),
        PatternKind::Literal(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) if !text.chars().any(char::is_control) => format!("text '{text}'"),
            _ => format!(
                "hex '{}'",
                bytes
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        },
    };
    for (on, name) in [
        (p.nocase, "nocase"),
        (p.fullword, "fullword"),
        (p.wide, "wide"),
        (p.wide && p.ascii, "ascii"),
    ] {
        if on {
            s.push_str(", ");
            s.push_str(name);
        }
    }
    s.push_str(&format!("  (line {})", p.pos.line));
    s
}

fn field_test_text(test: &FieldTest) -> String {
    let name = test.field.name().to_owned();
    let mut mods = Vec::new();
    match test.op {
        FieldOp::Equals => {}
        FieldOp::Contains => mods.push("contains"),
        FieldOp::StartsWith => mods.push("startswith"),
        FieldOp::EndsWith => mods.push("endswith"),
        FieldOp::Regex => mods.push("re"),
        FieldOp::FieldRef => mods.push("fieldref"),
        FieldOp::Cidr => mods.push("cidr"),
        FieldOp::Exists(_) => mods.push("exists"),
    }
    if test.all {
        mods.push("all");
    }
    if test.cased {
        mods.push("cased");
    }
    if test.decoded {
        mods.push("decoded");
    }
    let mut values: Vec<String> = test
        .values
        .iter()
        .map(|v| format!("'{}'", for_terminal(v.as_bytes())))
        .collect();
    if test.null {
        values.push("null".into());
    }
    if let FieldOp::Exists(b) = test.op {
        values = vec![b.to_string()];
    }
    let key = std::iter::once(for_terminal(name.as_bytes()))
        .chain(mods.iter().map(|m| (*m).to_owned()))
        .collect::<Vec<_>>()
        .join("|");
    let values = if values.len() == 1 {
        values.remove(0)
    } else {
        format!("[{}]", values.join(", "))
    };
    format!("{key}: {values}  (line {})", test.pos.line)
}

/// The condition as the engine holds it, with names for the items.
fn condition_text(e: &Expr, names: &[&str], nested: bool) -> String {
    let name = |i: usize| names.get(i).copied().unwrap_or("?").to_owned();
    let cmp = |c: Cmp| match c {
        Cmp::Eq => "==",
        Cmp::Ne => "!=",
        Cmp::Lt => "<",
        Cmp::Le => "<=",
        Cmp::Gt => ">",
        Cmp::Ge => ">=",
    };
    let group = |es: &[Expr], op: &str| {
        let s = es
            .iter()
            .map(|e| condition_text(e, names, true))
            .collect::<Vec<_>>()
            .join(op);
        if nested && es.len() > 1 {
            format!("({s})")
        } else {
            s
        }
    };
    match e {
        Expr::Const(b) => b.to_string(),
        Expr::Matched(i) => name(*i),
        Expr::At(i, off) => format!("{} at {off}", name(*i)),
        Expr::Count(i, c, n) => format!("#{} {} {n}", name(*i), cmp(*c)),
        Expr::Filesize(c, n) => format!("filesize {} {n}", cmp(*c)),
        Expr::Stat(s, c, v) => format!("{} {} {v}", s.name(), cmp(*c)),
        Expr::Of(q, items) => {
            let q = match q {
                Quantity::Any => "any".to_owned(),
                Quantity::All => "all".to_owned(),
                Quantity::AtLeast(n) => n.to_string(),
            };
            let set: Vec<String> = items.iter().map(|&i| name(i)).collect();
            format!("{q} of ({})", set.join(", "))
        }
        Expr::Not(inner) => format!("not {}", condition_text(inner, names, true)),
        Expr::And(es) => group(es, " and "),
        Expr::Or(es) => group(es, " or "),
    }
}
