use proptest::prelude::*;

use super::view;
use crate::canon::{MAX_OUTPUT, View};

fn v(raw: &str) -> String {
    String::from_utf8_lossy(view(raw.as_bytes()).text()).into_owned()
}

/// The raw offset behind the first occurrence of `needle` in the view of `raw`.
fn origin_of(raw: &str, needle: &str) -> usize {
    let view = view(raw.as_bytes());
    let at = view
        .text()
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .unwrap_or_else(|| {
            panic!(
                "{needle:?} not in {:?}",
                String::from_utf8_lossy(view.text())
            )
        });
    view.origin(at, raw.len())
}

#[test]
fn unicode_escapes_are_decoded_everywhere_in_code() {
    assert_eq!(
        v(r"Runtime.getRuntime().\u0065xec(cmd);"),
        "Runtime.getRuntime().exec(cmd);"
    );
    assert_eq!(v(r"\uuuu0052untime r;"), "Runtime r;");
    assert_eq!(v(r#"String s = "\u00e9";"#), "String s=\"\u{e9}\";");
    // An escaped backslash is no escape.
    assert_eq!(v(r#"s = "\\u0041";"#), r#"s="\\u0041";"#);
    // Surrogate pairs and junk.
    assert_eq!(v(r#"s = "\ud83d\ude00";"#), "s=\"\u{1f600}\";");
    assert_eq!(v(r"\u00zz x;"), r"\u00zz x;");
}

#[test]
fn comments_go_and_white_space_collapses() {
    assert_eq!(v("a /* x\ny */ b // c\n\n  d"), "a\nb\nd");
    assert_eq!(
        v("Runtime . getRuntime ( ) . exec ( c ) ;"),
        "Runtime.getRuntime().exec(c);"
    );
    assert_eq!(v("int/**/x = 1;"), "int x=1;");
    assert_eq!(v("<p>a <%-- <% x %> --%> b</p>"), "<p>a b</p>");
}

#[test]
fn string_escapes_take_one_form() {
    assert_eq!(v(r#"s = "a\tb\"c\101\s\\";"#), r#"s="a\tb\"cA \\";"#);
    assert_eq!(v("c = '\\'';"), "c='\\'';");
    assert_eq!(v("s = \"\"\"\n  te\\nxt\"\"\";"), "s=\"\\n  te\\nxt\";");
}

#[test]
fn literal_concatenation_folds() {
    assert_eq!(
        v(r#"Runtime.getRuntime().exec("c"+"m" + "d");"#),
        r#"Runtime.getRuntime().exec("cmd");"#
    );
    assert_eq!(v(r#"x = y + "a" + "b";"#), r#"x=y+"ab";"#);
    assert_eq!(v(r#"x = "a" + 'b';"#), r#"x="ab";"#);
    // A member of the right-hand literal binds tighter; int arithmetic is no concatenation.
    assert_eq!(v(r#"x = "a" + "bc".length();"#), r#"x="a"+"bc".length();"#);
    assert_eq!(v("x = 1 + 'a' + \"b\";"), "x=1+'a'+\"b\";");
    assert_eq!(v(r#"x = ("ex") + ("ec");"#), r#"x="exec";"#);
}

#[test]
fn constructors_of_literals_fold() {
    assert_eq!(v(r#"exec(new String("cmd"));"#), r#"exec("cmd");"#);
    assert_eq!(v(r#"exec(String.valueOf("cm" + "d"));"#), r#"exec("cmd");"#);
    assert_eq!(
        v("m = new String(new char[]{'e','x','e','c'});"),
        r#"m="exec";"#
    );
    assert_eq!(
        v("m = new String(new byte[]{101, 120, 0x65, (byte)99});"),
        r#"m="exec";"#
    );
    assert_eq!(
        v(r#"m = new java.lang.String("ex".toCharArray());"#),
        r#"m="ex";"#
    );
    assert_eq!(v("m = \"\" + (char)101 + (char)(119 + 1);"), r#"m="ex";"#);
}

#[test]
fn builders_reverse_and_methods_fold() {
    assert_eq!(
        v(r#"m = new StringBuilder("cexe").reverse().toString();"#),
        r#"m="exec";"#
    );
    assert_eq!(
        v(r#"m = new StringBuffer().append("ex").append('e').append("c").toString();"#),
        r#"m="exec";"#
    );
    assert_eq!(
        v(r#"m = "exxexc".replace("x", "").concat("c");"#),
        r#"m="eecc";"#
    );
    assert_eq!(v(r#"m = "EXEC".toLowerCase();"#), r#"m="exec";"#);
    assert_eq!(v(r#"m = "xxexecxx".substring(2, 6);"#), r#"m="exec";"#);
    assert_eq!(
        v(r#"m = "xxexec".substring(2) + "ute";"#),
        r#"m="execute";"#
    );
    assert_eq!(
        v(r#"m = "ab".substring(1, 9);"#),
        r#"m="ab".substring(1,9);"#
    );
    assert_eq!(v(r#"m = String.join("", "ex", "ec");"#), r#"m="exec";"#);
    assert_eq!(
        v(r#"m = "e.xec".replaceAll(".", "");"#),
        r#"m="e.xec".replaceAll(".","");"#
    );
}

#[test]
fn literal_base64_decodes_when_printable() {
    assert_eq!(
        v(r#"c = new String(Base64.getDecoder().decode("Y21kLmV4ZQ=="));"#),
        r#"c="cmd.exe";"#
    );
    assert_eq!(
        v(r#"c = new String(new sun.misc.BASE64Decoder().decodeBuffer("Y21k"), "UTF-8");"#),
        r#"c="cmd";"#
    );
    // Class bytes stay as written.
    let raw = r#"b = new String(java.util.Base64.getDecoder().decode("yv66vg=="));"#;
    assert!(v(raw).contains("getDecoder().decode(\"yv66vg==\")"));
}

#[test]
fn jsp_template_text_is_copied_and_scriptlets_are_code() {
    let raw = "<html>\n  <body>\n<% String c = \"a\"+\"b\"; // x\n%>\n<%= \"p\" + \"q\" %></body>";
    assert_eq!(
        v(raw),
        "<html>\n<body>\n<% String c=\"ab\";\n%>\n<%= \"pq\" %></body>"
    );
    let raw = "<jsp:scriptlet>x = \"a\" + \"b\";</jsp:scriptlet>";
    assert_eq!(v(raw), "<jsp:scriptlet>x=\"ab\";</jsp:scriptlet>");
    let raw = "<jsp:scriptlet><![CDATA[x = \"a\" +\n &quot;b&#x22;; if (a &lt; b &amp;&amp; c) f();]]></jsp:scriptlet>";
    assert_eq!(
        v(raw),
        "<jsp:scriptlet>x=\"ab\";if(a<b&&c)f();</jsp:scriptlet>"
    );
    assert_eq!(origin_of(raw, "if("), raw.find("if (").unwrap());
}

#[test]
fn origins_map_back_to_raw() {
    let raw = "x();\n/* long\ncomment */ exec(\"c\" + \"md\");";
    assert_eq!(origin_of(raw, "\"cmd\""), raw.find("\"c\"").unwrap());
    assert_eq!(origin_of(raw, "exec"), raw.find("exec").unwrap());
    assert_eq!(origin_of(raw, "xec"), raw.find("exec").unwrap() + 1);
    let raw = "a; \\u0052untime.x();";
    assert_eq!(origin_of(raw, "Runtime"), 3);
    assert_eq!(origin_of(raw, ".x"), raw.find(".x").unwrap());
}

fn bounded(raw: &[u8]) -> View {
    let view = view(raw);
    assert!(view.text().len() <= MAX_OUTPUT);
    for i in 0..view.text().len() {
        assert!(view.origin(i, raw.len()) < raw.len());
    }
    view
}

#[test]
fn hostile_input_is_bounded() {
    for raw in [
        "\"abc",
        "'",
        "'\\",
        "/* x",
        "\"\"\"abc",
        "<%-- x",
        "<% x",
        "<script runat=server>x",
        "\\u",
        "\\uuuu12",
        "\"\\",
        "\"\\u12\"",
        "new String(new char[]{",
        "(char)(((((1",
        "new StringBuilder(\"a\").append(",
        "String.valueOf(",
        "\u{0}\u{0}\"\u{0}",
    ] {
        bounded(raw.as_bytes());
    }
    let chain = "\"a\"+".repeat(250_000);
    let view = bounded(chain.as_bytes());
    assert!(view.text().len() < 260_000);
    let nested = "new String(".repeat(100_000);
    bounded(nested.as_bytes());
    let parens = "(char)(".repeat(100_000);
    bounded(parens.as_bytes());
    for open in ["<script", "<jsp:scriptlet", "<%", "<%--", "<"] {
        bounded(open.repeat(100_000).as_bytes());
    }
    bounded("<script runat=server>".repeat(50_000).as_bytes());
    let mut x = 0x2545_f491_u32;
    let random: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect();
    bounded(&random);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn views_never_panic_and_origins_are_in_range(
        raw in proptest::collection::vec(prop_oneof![
            any::<u8>(),
            proptest::sample::select(b"\"'\\/*+&()<%>-_\nu0{}[].,;".to_vec()),
        ], 0..300)
    ) {
        for view in [view(&raw), crate::canon::dotnet::view(&raw)] {
            prop_assert!(view.text().len() <= MAX_OUTPUT);
            for i in 0..view.text().len() {
                prop_assert!(view.origin(i, raw.len()) < raw.len());
            }
        }
    }

    #[test]
    fn folding_fragments_never_panic(
        parts in proptest::collection::vec(proptest::sample::select(vec![
            "\"a\"", "'b'", "+", "&", "(", ")", "[", "]", "{", "}", ",", ".", " ", "\n",
            "new ", "String", "char", "byte", "StringBuilder", "append", "reverse", "toString",
            "Chr", "ChrW", "&H41", "99", "-", "*", "0", "String.fromCharCode", "Base64",
            "getDecoder()", "decode", "Encoding.UTF8.GetString", "Convert.FromBase64String",
            "\"Y21k\"", "replace", "Replace", "StrReverse", "split(\"\")", "join", "<%",
            "%>", "<%@ Language=VB %>", "<%@ Language=C# %>", "<%@ Language=JScript %>",
            "\\u0041", "/*", "*/", "//", "'", "_\n", "Rem ", "\"\"",
        ]), 0..60)
    ) {
        let raw = parts.concat();
        for view in [view(raw.as_bytes()), crate::canon::dotnet::view(raw.as_bytes())] {
            prop_assert!(view.text().len() <= 4 * raw.len() + 4);
            for i in 0..view.text().len() {
                prop_assert!(view.origin(i, raw.len()) < raw.len());
            }
        }
    }
}
