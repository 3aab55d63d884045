use super::{language, view};
use crate::canon::java::tok::Dialect;

fn v(raw: &str) -> String {
    String::from_utf8_lossy(view(raw.as_bytes()).text()).into_owned()
}

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
fn language_comes_from_the_directive_or_the_code() {
    assert_eq!(language(b"<%@ Page Language=\"C#\" %>"), Dialect::CSharp);
    assert_eq!(language(b"<%@ Language=VBScript %>"), Dialect::Vb);
    assert_eq!(language(b"<%@ LANGUAGE = \"JScript\" %>"), Dialect::JScript);
    assert_eq!(
        language(b"<%@ WebHandler Language=\"VB\" Class=\"H\" %>"),
        Dialect::Vb
    );
    assert_eq!(
        language(b"using System;\nclass A {\n void F() { x(); }\n}"),
        Dialect::CSharp
    );
    assert_eq!(
        language(b"<% Dim x\nSet x = y\nIf a Then b\nEnd If %>"),
        Dialect::Vb
    );
    assert_eq!(language(b"<% x %>"), Dialect::Vb);
}

#[test]
fn vb_comments_and_continuations() {
    assert_eq!(v("<% x = 1 ' it's a comment\ny = 2 %>"), "<% x=1\ny=2 %>");
    assert_eq!(v("<%\nRem all gone\nEval(x) %>"), "<%\nEval(x) %>");
    assert_eq!(
        v("<% Set o = CreateObject( _\n  \"WScript.Shell\") %>"),
        "<% Set o=CreateObject(\"WScript.Shell\") %>"
    );
    assert_eq!(v("<% x = \"it\"\"s\" %>"), "<% x=\"it\\\"s\" %>");
    assert_eq!(v("<% x = [Execute](y) %>"), "<% x=Execute(y) %>");
    assert_eq!(
        v("<% x = \"a\"&Hex(1) & \"b\"c %>"),
        "<% x=\"a\"&Hex(1)&\"b\" %>"
    );
}

#[test]
fn vb_chr_chains_and_functions_fold() {
    let raw = "<% Set o = CreateObject(Chr(87) & ChrW(&H53) & \"cript.\" + Chr(83) & \"hell\") %>";
    assert_eq!(v(raw), "<% Set o=CreateObject(\"WScript.Shell\") %>");
    assert_eq!(
        v("<% x = Chr(100-1) & chr$(109) & Chr(50*2) %>"),
        "<% x=\"cmd\" %>"
    );
    assert_eq!(
        v("<% Execute(StrReverse(\")x(lave\")) %>"),
        "<% Execute(\"eval(x)\") %>"
    );
    assert_eq!(
        v("<% x = Replace(\"WSxxcript\", \"xx\", \"\") %>"),
        "<% x=\"WScript\" %>"
    );
    assert_eq!(
        v("<% x = LCase(\"EXEC\") & \"ute\" %>"),
        "<% x=\"execute\" %>"
    );
    assert_eq!(
        v("<% x = Mid(\"xxExecute\", 3, 7) & Left(\"abc\", 2) & Right(\"abc\", 1) %>"),
        "<% x=\"Executeabc\" %>"
    );
    assert_eq!(
        v("<%@ Language=\"VB\" %><% x = \"xxcmdxx\".Substring(2, 3) %>"),
        "<%@ Language=\"VB\" %><% x=\"cmd\" %>"
    );
    // A user method that happens to be called Replace is left alone.
    assert_eq!(
        v("<% x = o.Replace(\"a\", \"b\", \"c\") %>"),
        "<% x=o.Replace(\"a\",\"b\",\"c\") %>"
    );
    // `+` binds tighter than `&`.
    assert_eq!(v("<% x = 1 + \"2\" & \"3\" %>"), "<% x=1+\"2\"&\"3\" %>");
}

#[test]
fn csharp_folds() {
    let cs = "<%@ Page Language=\"C#\" %><% ";
    let run = |code: &str| v(&format!("{cs}{code} %>"))[cs.len() - 1..].to_string();
    assert_eq!(
        run("Process.Start(\"cm\" + \"d\"); // x"),
        " Process.Start(\"cmd\"); %>"
    );
    assert_eq!(run("var c = 'a'; // it's"), " var c='a'; %>");
    assert_eq!(
        run(r#"\u0050rocess.Start(@"c:\x""y");"#),
        " Process.Start(\"c:\\\\x\\\"y\"); %>"
    );
    assert_eq!(
        run(r#"Proc\u0065ss.St\U00000061rt("x");"#),
        " Process.Start(\"x\"); %>"
    );
    assert_eq!(run(r#"s = "\x41\u0042\U00000043";"#), " s=\"ABC\"; %>");
    assert_eq!(run("s = \"\" + (char)99 + (char)0x6d;"), " s=\"cm\"; %>");
    assert_eq!(
        run(r#"s = string.Concat("c", "m", 'd');"#),
        " s=\"cmd\"; %>"
    );
    assert_eq!(
        run("s = new string(new char[] {'c', 'm', 'd'});"),
        " s=\"cmd\"; %>"
    );
    assert_eq!(
        run(r#"s = new string("dmc".Reverse().ToArray());"#),
        " s=\"cmd\"; %>"
    );
    assert_eq!(
        run(r#"s = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String("Y21k"));"#),
        " s=\"cmd\"; %>"
    );
    assert_eq!(
        run(r#"s = "CMD".ToLower().Replace("m", "M");"#),
        " s=\"cMd\"; %>"
    );
}

#[test]
fn jscript_folds() {
    let js = "<%@ Language=\"JScript\" %><% ";
    let run = |code: &str| v(&format!("{js}{code} %>"))[js.len() - 1..].to_string();
    assert_eq!(
        run("eval(String.fromCharCode(114, 101, 0x71)+'uest');"),
        " eval(\"request\"); %>"
    );
    assert_eq!(
        run("x = 'it\\'s' + \"a\";"),
        " x=\"it's\"+\"a\"; %>".replace("\"+\"", "")
    );
    assert_eq!(run("x = unescape('%65val');"), " x=\"eval\"; %>");
    assert_eq!(
        run("x = 'lave'.split('').reverse().join('');"),
        " x=\"eval\"; %>"
    );
    assert_eq!(run("x = 'aXa'.replace('a', '');"), " x=\"Xa\"; %>");
    assert_eq!(run("x = ['ev', 'al'].join('');"), " x=\"eval\"; %>");
    assert_eq!(
        run("x = ['al', 'ev'].reverse().join('');"),
        " x=\"eval\"; %>"
    );
    assert_eq!(
        run("x = a['b'].join('');"),
        " x=a['b'].join(''); %>".replace('\'', "\"")
    );
}

#[test]
fn server_script_tags_and_comments() {
    let raw = "<script runat=\"server\" language=\"C#\">\nvoid F() { var c = 'x'; }\n</script>\n<%-- gone --%><p>kept</p>";
    assert_eq!(
        v(raw),
        "<script runat=\"server\" language=\"C#\">\nvoid F(){var c='x';}\n</script>\n<p>kept</p>"
    );
    // Without runat=server a script is template text.
    let raw = "<script>a = 'b' + 'c'</script><% x = \"a\" & \"b\" %>";
    assert_eq!(v(raw), "<script>a = 'b' + 'c'</script><% x=\"ab\" %>");
}

#[test]
fn origins_map_back_to_raw() {
    let raw = "<%\n' comment\nx = Chr(99) & \"md\"\n%>";
    assert_eq!(origin_of(raw, "\"cmd\""), raw.find("Chr").unwrap());
    assert_eq!(origin_of(raw, "x="), raw.find("x =").unwrap());
    let raw = "<p>\n</p><%  /* c */ Process.Start(x); %>";
    assert_eq!(language(raw.as_bytes()), Dialect::Vb);
    let raw = format!("<%@ Page Language=\"C#\" %>{raw}");
    assert_eq!(origin_of(&raw, "Start"), raw.find("Start").unwrap());
}

#[test]
fn hostile_input_is_bounded() {
    for raw in [
        "<%",
        "<% \"abc",
        "<% x _",
        "<% x _\r",
        "<% Chr(",
        "<% Chr(&H",
        "<% [abc",
        "<%@ Language=\"C#\" %><% @\"abc",
        "<%@ Language=\"C#\" %><% \\u12",
        "<%@ Language=\"JScript\" %><% 'abc\\",
        "<script runat=server language=",
    ] {
        let view = view(raw.as_bytes());
        for i in 0..view.text().len() {
            assert!(view.origin(i, raw.len()) < raw.len());
        }
    }
    let chain = format!("<% x = {} %>", "Chr(65) & ".repeat(100_000));
    let view = view(chain.as_bytes());
    assert!(view.text().len() < chain.len() / 4);
    let cs = format!("<%@ Language=\"C#\" %><% {}", "\"a\"+".repeat(200_000));
    assert!(view_len(&cs) < cs.len() / 3);
}

fn view_len(raw: &str) -> usize {
    view(raw.as_bytes()).text().len()
}

proptest::proptest! {
    /// The guess counts keywords with a substring search; it must read code as counting
    /// every window did.
    #[test]
    fn the_language_guess_counts_as_every_window_would(
        parts in proptest::collection::vec(proptest::sample::select(vec![
            ";\n", ";\r\n", "{", "}", "Using System", "namespace ", "dim ", "End If", "end sub",
            "end function", "set ", "wend", " then", "x", " ", "\n", ";", "e", "<%@ x %>",
        ]), 0..60)
    ) {
        let raw = parts.concat();
        let head = raw.to_ascii_lowercase().into_bytes();
        let count = |pats: &[&[u8]]| -> usize {
            pats.iter().map(|p| head.windows(p.len()).filter(|w| w == p).count()).sum()
        };
        let c = count(&[b";\n", b";\r\n", b"{", b"using system", b"namespace "]);
        let vb = count(&[b"dim ", b"end if", b"end sub", b"end function", b"set ", b"wend", b" then"]);
        let want = if c >= 3 && c > 2 * vb { Dialect::CSharp } else { Dialect::Vb };
        proptest::prop_assert_eq!(language(raw.as_bytes()), want);
    }
}
