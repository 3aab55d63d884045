use super::*;
use crate::logs::Field;
use crate::rules::Loader;

const HEAD: &str = "title: t\nid: 11111111-2222-3333-4444-555555555555\nstatus: test\nlevel: high\nlogsource:\n  category: webserver\n";

fn load(body: &str) -> (Option<Rule>, Vec<String>) {
    let mut l = Loader::new();
    l.add_sigma_text("r.yml", &format!("{HEAD}{body}"));
    let diags = l.diagnostics().iter().map(|d| d.to_string()).collect();
    (l.rules().first().cloned(), diags)
}

fn rule(body: &str) -> Rule {
    match load(body) {
        (Some(r), d) if d.is_empty() => r,
        (_, d) => panic!("{}", d.join("\n")),
    }
}

fn refused(body: &str) -> String {
    let (r, d) = load(body);
    assert!(r.is_none(), "loaded");
    d.join("\n")
}

fn tests_of(r: &Rule, sel: usize) -> &[FieldTest] {
    &r.selections[sel].alternatives[0]
}

#[test]
fn metadata_fills_the_rule() {
    let r = rule(
        "description: d\nauthor: a\nreferences: [https://x]\ntags: [attack.t1190]\nfalsepositives: [scanners]\ndetection:\n  selection:\n    cs-method: POST\n  condition: selection\n",
    );
    assert_eq!(r.id, "11111111-2222-3333-4444-555555555555");
    assert_eq!(
        (r.name.as_str(), r.severity, r.scope),
        ("t", Severity::High, Scope::Log)
    );
    assert_eq!(r.status.as_deref(), Some("test"));
    assert_eq!(r.falsepositives, ["scanners"]);
    assert_eq!(r.tags, ["attack.t1190"]);
    assert_eq!(r.references, ["https://x"]);
    assert_eq!(&*r.ruleset, "sigma");
}

#[test]
fn levels_map_to_severities() {
    for (level, want) in [
        ("informational", Severity::Low),
        ("low", Severity::Low),
        ("medium", Severity::Medium),
        ("critical", Severity::Critical),
    ] {
        let mut l = Loader::new();
        l.add_sigma_text(
            "r.yml",
            &format!("title: t\nlevel: {level}\nlogsource: {{product: iis}}\ndetection: {{s: {{cs-method: GET}}, condition: s}}\n"),
        );
        assert_eq!(l.rules()[0].severity, want, "{level}");
        assert_eq!(l.rules()[0].id, "r", "the file stem without an id");
    }
}

#[test]
fn other_logsources_are_counted_not_loaded() {
    let mut l = Loader::new();
    let proxy =
        "title: t\nlogsource: {category: proxy}\ndetection: {s: {c-uri: x}, condition: s}\n";
    l.add_sigma_text("a.yml", proxy);
    l.add_sigma_text("b.yml", proxy);
    l.add_sigma_text(
        "c.yml",
        "title: t\nlogsource: {product: apache, service: error}\ndetection: {k: [x], condition: k}\n",
    );
    l.add_sigma_text(
        "d.yml",
        "title: t\nlogsource: {service: nginx}\ndetection: {k: [x], condition: k}\n",
    );
    let c = l.sigma_counts();
    assert_eq!(c.loaded, 1);
    assert_eq!(
        c.not_applicable,
        [
            ("category: proxy".to_owned(), 2),
            ("service: nginx".to_owned(), 1)
        ]
    );
    assert!(l.diagnostics().is_empty());
}

#[test]
fn modifiers_become_field_tests() {
    let r = rule(
        "detection:\n  selection:\n    cs-uri-query|contains|all: [a, b]\n    cs-uri-stem|endswith: .php\n    c-uri|startswith: /x\n    sc-status: 200\n    cs-referer: null\n    cs-host|re|i: '^evil\\.'\n    c-ip|cidr: 10.0.0.0/8\n    cs-cookie|exists: false\n    cs-username|fieldref: c-ip\n    cs-user-agent|cased: Curl\n  condition: selection\n",
    );
    let t = tests_of(&r, 0);
    assert_eq!(
        (t[0].op, t[0].all, t[0].values.clone()),
        (
            FieldOp::Contains,
            true,
            vec!["a".to_owned(), "b".to_owned()]
        )
    );
    assert_eq!(
        (t[1].op, &t[1].field),
        (FieldOp::EndsWith, &FieldName::Known(Field::UriStem))
    );
    assert_eq!(
        (t[2].op, &t[2].field),
        (FieldOp::StartsWith, &FieldName::Uri)
    );
    assert_eq!((t[3].op, t[3].values[0].as_str()), (FieldOp::Equals, "200"));
    assert!(t[4].null && t[4].values.is_empty());
    assert_eq!(
        (t[5].op, t[5].values[0].as_str()),
        (FieldOp::Regex, "(?i)^evil\\.")
    );
    assert_eq!(t[6].op, FieldOp::Cidr);
    assert_eq!(t[7].op, FieldOp::Exists(false));
    assert_eq!(
        (t[8].op, t[8].values[0].as_str()),
        (FieldOp::FieldRef, "c-ip")
    );
    assert!(t[9].cased);
}

#[test]
fn wildcards_pick_the_cheapest_comparison() {
    let r = rule(
        "detection:\n  a:\n    cs-uri-stem: '*/shell.php'\n  b:\n    cs-uri-stem: ['/a*', '/b*']\n  c:\n    cs-uri-stem: ['/a*', '*x*', 'a?c']\n  d:\n    cs-uri-query|contains: 'cmd\\*'\n  condition: 1 of them\n",
    );
    assert_eq!(tests_of(&r, 0)[0].op, FieldOp::EndsWith);
    assert_eq!(tests_of(&r, 1)[0].op, FieldOp::StartsWith);
    let c = &tests_of(&r, 2)[0];
    assert_eq!(c.op, FieldOp::Regex);
    assert_eq!(c.values, ["(?is)^/a", "(?is)x", "(?is)^a.c$"]);
    assert_eq!(tests_of(&r, 3)[0].values, ["cmd*"]);
}

#[test]
fn base64_and_windash_expand_values() {
    let r = rule(
        "detection:\n  a:\n    cs-uri-query|base64offset|contains: /bin/sh\n  b:\n    cs-uri-query|base64: whoami\n  c:\n    cs-uri-query|windash|contains: ' -enc '\n  condition: 1 of them\n",
    );
    let a = &tests_of(&r, 0)[0];
    assert_eq!((a.op, a.values.len()), (FieldOp::Contains, 3));
    let b = &tests_of(&r, 1)[0];
    assert_eq!(
        (b.op, b.values.clone()),
        (FieldOp::Equals, vec!["d2hvYW1p".to_owned()])
    );
    assert_eq!(tests_of(&r, 2)[0].values.len(), 5);
}

#[test]
fn keywords_become_patterns_on_the_line() {
    let r = rule(
        "detection:\n  keywords: [whoami, 'cmd*exe']\n  selection: {cs-method: POST}\n  condition: selection and keywords\n",
    );
    assert_eq!(r.patterns.len(), 2);
    assert_eq!(r.patterns[0].kind, PatternKind::Literal(b"whoami".to_vec()));
    assert_eq!(
        r.patterns[1].kind,
        PatternKind::Regex("(?is)cmd.*exe".into())
    );
    assert_eq!(
        r.condition,
        Expr::And(vec![
            Expr::Matched(2),
            Expr::Or(vec![Expr::Matched(0), Expr::Matched(1)])
        ])
    );
}

#[test]
fn keyword_maps_with_all() {
    let r = rule("detection:\n  k:\n    '|all': [POST, 200]\n  condition: k\n");
    assert_eq!(
        r.condition,
        Expr::And(vec![Expr::Matched(0), Expr::Matched(1)])
    );
    assert!(refused("detection:\n  k:\n    '|re': [x]\n  condition: k\n").contains("`|re`"));
}

#[test]
fn unsupported_features_are_refused_with_a_warning() {
    for (body, why) in [
        (
            "detection:\n  s: {cs-method: GET}\n  condition: s | count() > 5\n",
            "aggregation",
        ),
        (
            "detection:\n  s: {cs-method: GET}\n  timeframe: 5m\n  condition: s\n",
            "timeframe",
        ),
        (
            "detection:\n  s: {src-host: x}\n  condition: s\n",
            "field `src-host`",
        ),
        (
            "detection:\n  s: {sc-bytes|gt: 5}\n  condition: s\n",
            "modifier `gt`",
        ),
        (
            "detection:\n  s: {cs-uri-query|re: '(?=x)'}\n  condition: s\n",
            "lookaround",
        ),
        (
            "detection:\n  s: {cs-uri-query|base64: 'a*'}\n  condition: s\n",
            "wildcards",
        ),
    ] {
        let d = refused(body);
        assert!(d.contains("[SSW-W006]") && d.contains(why), "{why}: {d}");
    }
    let mut l = Loader::new();
    l.add_sigma_text(
        "r.yml",
        &format!("{HEAD}detection:\n  s: {{sc-bytes|gt: 5}}\n  condition: s\n"),
    );
    assert_eq!(l.sigma_counts().refused, 1);
    assert!(l.finish().is_ok(), "a refusal is a warning, not an error");
}

#[test]
fn broken_rules_are_errors() {
    for (body, why) in [
        (
            "detection:\n  s: {cs-method: GET}\n  condition: nothing\n",
            "does not define",
        ),
        ("detection:\n  s: {cs-method: GET}\n", "needs a `condition`"),
        (
            "detection:\n  s: {cs-method|contans: GET}\n  condition: s\n",
            "unknown Sigma modifier",
        ),
        (
            "detection:\n  s: {cs-method: GET}\n  condition: s and (s\n",
            "without its",
        ),
    ] {
        let d = refused(body);
        assert!(d.contains("[SSW-E041]") && d.contains(why), "{why}: {d}");
    }
}

#[test]
fn base64offset_without_contains_is_an_equality() {
    // Modifiers apply as written (and as pySigma reads them): without `contains` the value
    // must be one of the three fragments, not hold one.
    let r = rule("detection:\n  s:\n    cs-uri-query|base64offset: /bin/sh\n  condition: s\n");
    let t = &tests_of(&r, 0)[0];
    assert_eq!(t.op, FieldOp::Equals);
    assert_eq!(t.values, value::base64offset("/bin/sh"));
    let r =
        rule("detection:\n  s:\n    cs-uri-query|base64offset|contains: /bin/sh\n  condition: s\n");
    assert_eq!(tests_of(&r, 0)[0].op, FieldOp::Contains);
}

#[test]
fn a_hostile_condition_is_an_error_not_a_stack_overflow() {
    for condition in [
        format!("{}s{}", "(".repeat(5000), ")".repeat(5000)),
        format!("{}s", "not ".repeat(50_000)),
    ] {
        let d = refused(&format!(
            "detection:\n  s: {{cs-method: GET}}\n  condition: '{condition}'\n"
        ));
        assert!(d.contains("[SSW-E041]") && d.contains("deeper than"), "{d}");
    }
    // Real nesting still loads.
    rule("detection:\n  s: {cs-method: GET}\n  condition: ((((not (not s)))))\n");
}

#[test]
fn rule_text_cannot_reach_the_terminal_raw() {
    // YAML's double-quoted `\e` and `\a`: ESC and BEL in the modifier's name.
    let d = refused("detection:\n  s: {\"cs-method|x\\e]0;pwned\\a\": GET}\n  condition: s\n");
    assert!(d.contains("unknown Sigma modifier"), "{d}");
    assert!(!d.contains('\u{1b}') && !d.contains('\u{7}'), "{d:?}");
}
