use proptest::prelude::*;

use super::view;
use crate::canon::MAX_OUTPUT;

fn v(src: &str) -> String {
    String::from_utf8_lossy(view(src.as_bytes()).text()).into_owned()
}

/// The raw offset behind the first occurrence of `needle` in the view of `src`.
fn origin_of(src: &str, needle: &str) -> usize {
    let out = view(src.as_bytes());
    let at = memchr::memmem::find(out.text(), needle.as_bytes()).unwrap_or_else(|| {
        panic!(
            "{needle:?} not in {:?}",
            String::from_utf8_lossy(out.text())
        )
    });
    out.origin(at, src.len())
}

#[test]
fn comments_are_dropped_without_gluing_tokens() {
    assert_eq!(v("<?php $_/*-*/($x);"), "<?php $_($x);");
    assert_eq!(v("<?php eval/**/($x);"), "<?php eval($x);");
    assert_eq!(v("<?php echo/**/1;"), "<?php echo 1;");
    assert_eq!(v("<?php a(); // x ?>\nhtml"), "<?php a(); ?>\nhtml");
    assert_eq!(v("<?php a(); # x\nb();"), "<?php a();\nb();");
    assert_eq!(
        v("<?php #[Attr]\nfunction f() {}"),
        "<?php #[Attr]\nfunction f() {}"
    );
    assert_eq!(v("<?php a(); /* x\n y */ b();"), "<?php a(); b();");
}

#[test]
fn text_after_a_comment_keeps_its_raw_offsets() {
    let src = "<?php /* long comment */ system($x);";
    assert_eq!(origin_of(src, "system"), src.find("system").unwrap());
    assert_eq!(origin_of(src, "$x"), src.find("$x").unwrap());
}

#[test]
fn white_space_collapses_and_newlines_survive() {
    assert_eq!(
        v("<?php\n\n  $a  =\t 1 ;\r\n\r\n$b=2;"),
        "<?php\n$a = 1 ;\n$b=2;"
    );
    let src = "<?php\n\n\nsystem($x);";
    let out = view(src.as_bytes());
    assert_eq!(
        out.origin(5, src.len()),
        5,
        "the newline maps to the first newline"
    );
}

#[test]
fn data_after_halt_compiler_is_copied() {
    let src = "<?php  x(); __HALT_COMPILER(); 'a'.'b' /* \0\x7f";
    assert_eq!(v(src), "<?php x(); __HALT_COMPILER(); 'a'.'b' /* \0\x7f");
}

#[test]
fn text_outside_php_is_copied() {
    let src = "<html>  # not a comment 'x'.'y'\n<?= $a ?>\n  tail // too";
    assert_eq!(v(src), src);
    assert_eq!(v("<?xml version='1.0'?><a/>"), "<?xml version='1.0'?><a/>");
}

#[test]
fn a_file_without_an_open_tag_is_code() {
    assert_eq!(v("echo( 'as'.'sert' ); // x"), "echo 'assert';");
}

#[test]
fn strings_are_decoded_into_one_form() {
    assert_eq!(
        v(r#"<?php $a = "\x61\163\u{73}ert";"#),
        "<?php $a = 'assert';"
    );
    assert_eq!(
        v(r#"<?php $a = "it's \\ \"q\"\n";"#),
        "<?php $a = 'it\\'s \\\\ \"q\"\n';"
    );
    assert_eq!(v(r"<?php $a = 'a\x61\'\\';"), r"<?php $a = 'a\\x61\'\\';");
    assert_eq!(v(r#"<?php $a = "\400\q";"#), "<?php $a = '\0\\\\q';");
}

#[test]
fn strings_with_variables_stay_double_quoted() {
    assert_eq!(
        v(r#"<?php `x`; echo "ping $_GET[h]";"#),
        r#"<?php `x`; echo "ping $_GET[h]";"#
    );
    assert_eq!(
        v(r#"<?php "\x73ys {$a} \$b \"";"#),
        r#"<?php "sys {$a} \$b \"";"#
    );
}

#[test]
fn heredocs_and_nowdocs() {
    assert_eq!(
        v("<?php $a = f(<<<EOT\nsys\\x74em(1);\nEOT\n);"),
        "<?php $a = f('system(1);'\n);"
    );
    assert_eq!(v("<?php $a = <<<'E'\n\\x41\n  E;"), "<?php $a = '\\\\x41';");
    assert_eq!(v("<?php $a = <<<E\n$x\nE;"), "<?php $a = <<<E\n$x\nE;");
}

#[test]
fn literal_concatenation_folds() {
    assert_eq!(v("<?php $f = 'as'.'sert';"), "<?php $f = 'assert';");
    assert_eq!(v(r#"<?php $f = "e" . "val";"#), "<?php $f = 'eval';");
    assert_eq!(
        v("<?php $f = ('as').('se'.('rt'));"),
        "<?php $f = 'assert';"
    );
    assert_eq!(v("<?php $f = $x.'a'.'b';"), "<?php $f = $x.'ab';");
    // `[` binds the second literal first.
    assert_eq!(v("<?php $f = 'a'.'bc'[0];"), "<?php $f = 'ab';");
    assert_eq!(
        v("<?php $f = 'a'.'bc'[$i].'d'{-1};"),
        "<?php $f = 'a'.'bc'[$i].'d';"
    );
    // A call keeps its parentheses.
    assert_eq!(v("<?php f('a').g('b');"), "<?php f('a').g('b');");
}

#[test]
fn the_folded_literal_maps_to_its_first_piece() {
    let src = "<?php\n$f =\n'as' .\n'sert';";
    assert_eq!(origin_of(src, "'assert'"), src.find("'as'").unwrap());
    let src = "<?php $f = 'assert';";
    assert_eq!(
        origin_of(src, "sert"),
        src.find("sert").unwrap(),
        "an exact literal maps per byte"
    );
}

#[test]
fn chr_chains_and_xor() {
    assert_eq!(
        v("<?php $f = chr(97).chr(0x73).CHR(0163) . \\chr(-155);"),
        "<?php $f = 'asse';"
    );
    assert_eq!(v("<?php $f = '!'^'@';"), "<?php $f = 'a';");
    assert_eq!(
        v("<?php $f = chr(ord('b')-1).chr(strlen('ab') + 0x71);"),
        "<?php $f = 'as';"
    );
    assert_eq!(
        v("<?php $f = chr(ord($x)-1);"),
        "<?php $f = chr(ord($x)-1);"
    );
    assert_eq!(v("<?php $f = chr('116').chr(' 97');"), "<?php $f = 'ta';");
    assert_eq!(
        v("<?php $f = chr((163-126)).chr((-1+98));"),
        "<?php $f = '%a';"
    );
    assert_eq!(
        v("<?php $f = f(1-2) + (1-$x);"),
        "<?php $f = f(1-2) + (1-$x);"
    );
    assert_eq!(v("<?php $f = ('ab'^'  ').'c';"), "<?php $f = 'ABc';");
    assert_eq!(v("<?php $f = 'abc'^'   x';"), "<?php $f = 'ABC';");
    // `.` binds tighter than `^`.
    assert_eq!(v("<?php $f = $x.'a'^'b';"), "<?php $f = $x.'a'^'b';");
    assert_eq!(v("<?php $f = 'a'^'b'.$x;"), "<?php $f = 'a'^'b'.$x;");
}

#[test]
fn string_functions_on_literals() {
    assert_eq!(v("<?php strrev('tressa');"), "<?php 'assert';");
    assert_eq!(v("<?php str_rot13('nffreg');"), "<?php 'assert';");
    assert_eq!(
        v("<?php strtolower('ASSERT').strtoupper('x');"),
        "<?php 'assertX';"
    );
    assert_eq!(v("<?php hex2bin('6576616c');"), "<?php 'eval';");
    assert_eq!(v("<?php urldecode('%73ystem+x');"), "<?php 'system x';");
    assert_eq!(v("<?php substr('xassertx', 1, -1);"), "<?php 'assert';");
    assert_eq!(
        v("<?php str_replace('x','', 'axsxsxexrxt');"),
        "<?php 'assert';"
    );
    assert_eq!(
        v("<?php str_replace(['x','y'],'', 'axsysert');"),
        "<?php 'assert';"
    );
    assert_eq!(v("<?php implode('', ['as','sert']);"), "<?php 'assert';");
    assert_eq!(v("<?php join(array('as','sert'));"), "<?php 'assert';");
    assert_eq!(v("<?php implode(array('a','b'), '-');"), "<?php 'a-b';");
    // Not literals, or a method of the same name: left alone.
    assert_eq!(
        v("<?php strrev($x); $o->strrev('a');"),
        "<?php strrev($x); $o->strrev('a');"
    );
}

#[test]
fn base64_of_text_is_decoded_and_binary_is_not() {
    assert_eq!(
        v("<?php $a = base64_decode('c3lzdGVtKCRfR0VUWydjJ10pOw==');"),
        "<?php $a = 'system($_GET[\\'c\\']);';"
    );
    assert_eq!(
        v("<?php base64_decode('/w==');"),
        "<?php base64_decode('/w==');"
    );
}

#[test]
fn code_given_to_eval_is_viewed_as_code() {
    // base64 of `$f = 'sys'.'tem'; $f($_GET['c']);`
    let src = "<?php eval(base64_decode('JGYgPSAnc3lzJy4ndGVtJzsgJGYoJF9HRVRbJ2MnXSk7'));";
    assert_eq!(v(src), "<?php eval($f = 'system'; system($_GET['c']););");
    assert_eq!(origin_of(src, "system("), src.find("base64").unwrap());
    assert_eq!(
        v("<?php assert('ev'.'al(\\'1\\');');"),
        "<?php assert(eval(1););"
    );
    assert_eq!(
        v("<?php $g = create_function('$a', 'return \"x\";');"),
        "<?php $g = create_function('$a', return 'x';);"
    );
    assert_eq!(
        v("<?php eval('?>html<?php x();');"),
        "<?php eval(?>html<?php x(););"
    );
}

#[test]
fn folding_repeats_until_stable() {
    assert_eq!(
        v("<?php strrev(str_rot13('gerffn')).'';"),
        "<?php 'assert';"
    );
    assert_eq!(
        v("<?php eval(gzinflate(base64_decode('/w==')));"),
        "<?php eval(gzinflate(base64_decode('/w==')));"
    );
}

#[test]
fn a_variable_holding_one_literal_is_resolved_where_called() {
    assert_eq!(
        v("<?php $f = 'as'.'sert'; $f($_POST['x']);"),
        "<?php $f = 'assert'; assert($_POST['x']);"
    );
    let src = "<?php $a='ev';$b='al';$c=$a.$b;$c($_POST[1]);";
    assert!(v(src).ends_with("eval($_POST[1]);"), "{}", v(src));
    assert!(v("<?php $b='f';$$b($x);").ends_with("$f($x);"));
    assert!(v("<?php $b='g';$g='system';$$b($x);").ends_with("system($x);"));
    assert!(v("<?php ${'f'}($x);").ends_with("$f($x);"));
    assert!(v("<?php $f='as'; $f .= 'se'; $f.='rt'; $f($x);").ends_with("assert($x);"));
    let src = "<?php $s = urldecode('%61%73%73%65%72%74'); $f = $s{0}.$s[1].$s[2].'ert'; $f($x);";
    assert!(v(src).ends_with("assert($x);"), "{}", v(src));
    assert!(
        v("<?php $c='cmd'; $a='assert'; $b=$a; system($_GET[$c]); $b($x);")
            .ends_with("system($_GET['cmd']); assert($x);")
    );
    assert_eq!(
        v("<?php $c='eval($_POST[1]);'; $f=create_function('', $c);"),
        "<?php $c='eval($_POST[1]);'; $f=create_function('', eval($_POST[1]););"
    );
    let src = "<?php $f = 'assert';\n$f($x);";
    assert_eq!(origin_of(src, "assert($x)"), src.rfind("$f").unwrap());
}

#[test]
fn a_variable_written_otherwise_is_not_resolved() {
    for src in [
        "<?php $f = 'a'; $f = 'b'; $f($x);",
        "<?php $f = 'a'; $f($y); $f .= 'b'; $f($x);",
        "<?php $f .= 'b'; $f($x);",
        "<?php $f = 'a'; $f[0] = 'b'; $f($x);",
        "<?php $f = 'a'; $f[] = 'b'; $f($x);",
        "<?php $f = 'a'; foreach ($l as $f) {} $f($x);",
        "<?php $f = 'a'; function g($f) { $f($x); }",
        "<?php $f = 'a'; function g(string $f = 'a') {} $f($x);",
        "<?php $f = 'a' . $y; $f($x);",
    ] {
        assert!(v(src).contains("$f($x)"), "{src} -> {}", v(src));
    }
    // A literal that is not a name is not called by name.
    assert!(v("<?php $f = 'a b'; $f($x);").contains("$f($x)"));
}

#[test]
fn a_literal_that_is_called_is_a_name() {
    assert_eq!(v("<?php 'assert'($x);"), "<?php assert($x);");
    assert_eq!(v("<?php ('as'.'sert')($x);"), "<?php assert($x);");
    assert_eq!(v("<?php 'strrev'('metsys')($x);"), "<?php system($x);");
}

#[test]
fn hostile_inputs_are_bounded() {
    for src in [
        "<?php '",
        "<?php \"",
        "<?php /*",
        "<?php `",
        "<?php <<<A\n",
        "<?php <<<",
        "<?php \"\\",
        "<?php '\\",
        "<?php $",
        "<?php ${'",
        "<?php chr(",
        "<?php ))]]}}",
        "<?php ([)]",
        "<?php \"\\u{",
        "<?php \"\\u{110000}\"",
        "<?php \"\\x\"",
        "<?php 0x",
        "<?",
        "<?php\0\0",
    ] {
        let out = view(src.as_bytes());
        for i in 0..out.text().len() {
            assert!(out.origin(i, src.len()) < src.len(), "{src:?}");
        }
    }
    let chain = format!("<?php $a = {}'a';", "'a'.".repeat(250_000));
    let out = view(chain.as_bytes());
    assert_eq!(out.text().len(), "<?php $a = '';".len() + 250_001);
    let deep = format!("<?php {}'x'{};", "(".repeat(200_000), ")".repeat(200_000));
    assert!(view(deep.as_bytes()).text().ends_with(b"'x';"));
    let blowup = format!(
        "<?php str_replace('a', '{}', '{}');",
        "b".repeat(4096),
        "a".repeat(4096)
    );
    assert!(view(blowup.as_bytes()).text().len() < 10_000);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..1 << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    assert!(view(&noise).text().len() <= MAX_OUTPUT);
}

proptest! {
    #[test]
    fn any_bytes_give_a_view_mapped_into_the_input(
        raw in proptest::collection::vec(
            prop_oneof![
                Just(b'\''), Just(b'"'), Just(b'.'), Just(b'('), Just(b')'), Just(b'$'),
                Just(b'\\'), Just(b'<'), Just(b'?'), Just(b'a'), Just(b'\n'), Just(b'^'),
                any::<u8>(),
            ],
            1..200,
        ),
    ) {
        let out = view(&raw);
        for i in 0..out.text().len() {
            prop_assert!(out.origin(i, raw.len()) < raw.len());
        }
    }

    #[test]
    fn php_like_text_never_panics(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("'as'"), Just("\"s\\x65\""), Just("."), Just("("), Just(")"), Just("$f"),
                Just("="), Just(";"), Just("chr(97)"), Just("strrev"), Just("^"), Just("$$"),
                Just("/*"), Just("#"), Just("\n"), Just("<?php "), Just("?>"), Just("[")
            ],
            1..60,
        ),
    ) {
        let raw = parts.concat();
        let out = view(raw.as_bytes());
        for i in 0..out.text().len() {
            prop_assert!(out.origin(i, raw.len()) < raw.len());
        }
    }
}

/// Code that folds is rendered whether or not its layout is asked for; code that does not is
/// rendered only when asked (its escapes or glued comments are what the caller scans for),
/// and when it is, it is the same view either way.
#[test]
fn unfolded_code_is_rendered_only_when_asked() {
    let folds = b"<?php $f = 'sys'.'tem'; $f($_GET['c']);";
    let plain = b"<?php /* c */ echo   strlen($x);";
    let asked = super::folded_view(folds, true).unwrap();
    let unasked = super::folded_view(folds, false).unwrap();
    assert!(asked.deobfuscated && unasked.deobfuscated);
    assert_eq!(asked.text(), unasked.text());
    assert!(memchr::memmem::find(asked.text(), b"system(").is_some());
    assert!(super::folded_view(plain, false).is_none());
    let layout = super::folded_view(plain, true).unwrap();
    assert!(!layout.deobfuscated);
    assert_eq!(layout.text(), b"<?php echo strlen($x);");
}

/// Joins that glue no name together and parentheses dropped around a literal fold, but the
/// view they make says nothing new: it is not rendered unless asked, and when it is, it is
/// not marked deobfuscated. One join that glues a name, or any other fold, is enough.
#[test]
fn folds_of_layout_and_markup_do_not_make_a_view_worth_scanning() {
    let quiet = b"<?php $f($x); echo '<td>' . '</td>' . \"\\n\"; echo('x'); $s = 'a ' . 'b';";
    assert!(super::folded_view(quiet, false).is_none());
    let layout = super::folded_view(quiet, true).unwrap();
    assert!(!layout.deobfuscated);
    assert!(memchr::memmem::find(layout.text(), b"'<td></td>\n'").is_some());
    for telling in [
        &b"<?php $f($x); echo '<td>' . '</td>'; $g = 'as' . 'sert';"[..],
        b"<?php $f($x); $g = 'ev' . '' . 'al';",
        b"<?php $f($x); $g = 'a' ^ 'b';",
        b"<?php $f($x); $g = strrev('tressa');",
        b"<?php $g = '.'; $h = $g . 'x'; $g($x);",
    ] {
        let view = super::folded_view(telling, false);
        assert!(
            view.is_some_and(|v| v.deobfuscated),
            "{:?}",
            String::from_utf8_lossy(telling)
        );
    }
}

/// A single-quoted literal as php reads it, one byte at a time: `\\` and `\'` are escapes,
/// any other backslash is itself, and the literal ends at the first unescaped quote.
fn single_quoted_bytewise(body: &[u8]) -> (Vec<u8>, usize) {
    let at = |i: usize| body.get(i).copied().unwrap_or(0);
    let (mut val, mut i) = (Vec::new(), 0);
    while i < body.len() && body[i] != b'\'' {
        if body[i] == b'\\' && matches!(at(i + 1), b'\\' | b'\'') {
            i += 1;
        }
        val.push(body[i]);
        i += 1;
    }
    (val, i)
}

proptest! {
    /// The lexer's single-quoted literals, copied in runs between backslashes, are what a
    /// byte-by-byte reading gives: the same value, ending at the same quote.
    #[test]
    fn single_quoted_literals_read_as_php_reads_them(
        body in prop::collection::vec(prop::sample::select(b"ab\\'?>\n/#=(.-:".to_vec()), 0..40),
    ) {
        let mut src = b"<?php $x = '".to_vec();
        src.extend_from_slice(&body);
        let (want, end) = single_quoted_bytewise(&body);
        let toks = super::lex::lex(&src);
        let lit = toks.iter().find(|t| t.kind == super::Kind::Str).unwrap();
        prop_assert_eq!(lit.text(&src), &want[..]);
        prop_assert_eq!(lit.end as usize, (12 + end + 1).min(src.len()));
    }
}

proptest! {
    /// Every punctuation token is the longest operator its bytes start with, also where the
    /// lexer looks only at the byte after the first.
    #[test]
    fn punctuation_is_the_longest_operator_and_comments_end_where_they_should(
        code in prop::collection::vec(prop::sample::select(b"=!<>&|?.*+-:^%/(;, a\n#".to_vec()), 0..60),
    ) {
        use super::lex::{PUNCT2, PUNCT3};
        let mut src = b"<?php ".to_vec();
        src.extend_from_slice(&code);
        for t in super::lex::lex(&src).iter().filter(|t| t.kind == super::Kind::Punct) {
            let rest = &src[t.start as usize..];
            let longest = if PUNCT3.iter().any(|p| rest.starts_with(p)) {
                3
            } else if PUNCT2.iter().any(|p| rest.starts_with(p)) {
                2
            } else {
                1
            };
            prop_assert_eq!((t.end - t.start) as usize, longest);
        }
    }
}

/// A line comment ends at the newline or at a close tag, and nothing in it is lexed.
#[test]
fn line_comments_end_at_a_newline_or_close_tag() {
    let src = b"<?php # x?y/z $c\n$a; // p $d ?> q <?php $b; // $e?";
    let toks = super::lex::lex(src);
    let vars: Vec<&[u8]> = toks
        .iter()
        .filter(|t| t.kind == super::Kind::Var)
        .map(|t| t.text(src))
        .collect();
    assert_eq!(vars, vec![&b"$a"[..], &b"$b"[..]]);
}

#[test]
fn a_literal_without_escapes_is_read_from_the_raw_text() {
    let src = b"<?php $a = 'plain'; $b = \"it's $x\"; $c = 'o\\'k'; $d = \"t\\x41b\"; $e = 'open";
    let toks = super::lex::lex(src);
    let lits: Vec<_> = toks
        .iter()
        .filter(|t| matches!(t.kind, super::Kind::Str | super::Kind::IStr))
        .map(|t| (t.text(src).to_vec(), t.val.is_some()))
        .collect();
    let want: [(&[u8], bool); 5] = [
        (b"plain", false),
        (b"it's $x", false),
        (b"o'k", true),
        (b"tAb", true),
        (b"open", false),
    ];
    assert_eq!(lits.len(), want.len());
    for ((got, own), (text, owned)) in lits.iter().zip(want) {
        assert_eq!((&got[..], *own), (text, owned));
    }
    // Rendered with its quotes escaped as a single-quoted literal, each byte at its offset.
    assert_eq!(v("<?php $b = \"it's\";"), "<?php $b = 'it\\'s';");
}
