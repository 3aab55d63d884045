#!/usr/bin/env python3
"""Translates shellsweep's `scope: file` rules for the benchmark comparison tools.

usage:
  yara_from_rules.py yara OUT.yar [--rules DIR] [--notes FILE]
      Every translatable file rule as one YARA rule file. Untranslated rules and
      approximations go to stderr (and to --notes as Markdown).
  yara_from_rules.py route WEBROOT OUTDIR [--rules DIR]
      The fair YARA variant: for every file under WEBROOT, the rules that shellsweep would
      apply to it (by `files.extensions` and `files.paths`). Files are grouped by that rule
      set; each group gets OUTDIR/gNN.yar (only those rules, without filters) and
      OUTDIR/gNN.list (its files, for `yara --scan-list`). Files no rule applies to are left
      out, as shellsweep leaves them unread.
  yara_from_rules.py agree LABEL SHELLSWEEP.jsonl YARA.out... [--rules DIR]
      Compares the (rule, file) pairs of a shellsweep JSON-lines run with YARA's output
      (`RULE PATH` lines); exits 1 when they differ.
  yara_from_rules.py literals OUT.txt [--rules DIR]
      The literal set of the file rules, one per line, for `rg -F -f` / `grep -F -f`:
      text patterns (the ASCII and/or UTF-16LE form), hex patterns as bytes, and for each
      regex the longest literal run of each top-level alternative (a heuristic; shellsweep
      computes its own atoms from the parsed regex). Prints `-i` on stdout when any
      pattern is case-insensitive (shellsweep then builds its whole automaton
      case-insensitive, so `rg -i` is the like-for-like setting).

Rules are read from rules/*.yml next to this script's parent directory by default.
Standard library plus PyYAML (pip install pyyaml).
"""
import argparse
import glob
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_RULES = os.path.join(os.path.dirname(HERE), "rules")


class Untranslatable(Exception):
    pass


# ---------------------------------------------------------------------------------------
# Loading


def load_rules(rules_dir):
    out = []
    for path in sorted(glob.glob(os.path.join(rules_dir, "*.yml")) +
                       glob.glob(os.path.join(rules_dir, "*.yaml"))):
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f) or {}
        ruleset = doc.get("ruleset") or os.path.splitext(os.path.basename(path))[0]
        for r in doc.get("rules") or []:
            r = dict(r)
            r["_ruleset"] = ruleset
            r["_source"] = os.path.relpath(path, os.path.dirname(rules_dir))
            out.append(r)
    return out


def pattern_spec(name, value):
    """Normalises a pattern to a dict with kind, value and the modifiers."""
    if isinstance(value, str):
        value = {"text": value}
    p = {"name": name, "nocase": bool(value.get("nocase", False)),
         "fullword": bool(value.get("fullword", False)),
         "wide": bool(value.get("wide", False))}
    # As in shellsweep (and YARA): `wide` alone is only the wide form.
    p["ascii"] = bool(value["ascii"]) if "ascii" in value else not p["wide"]
    for kind in ("text", "hex", "regex"):
        if kind in value:
            p["kind"] = kind
            p["value"] = str(value[kind])
    if "kind" not in p:
        raise Untranslatable("pattern `%s` has no text, hex or regex" % name)
    return p


def file_rules(rules):
    return [r for r in rules if r.get("scope", "file") == "file"]


def rule_ident(rule_id):
    ident = re.sub(r"[^A-Za-z0-9_]", "_", rule_id)
    return ident if re.match(r"[A-Za-z_]", ident) else "r_" + ident


def hex_bytes(s):
    digits = re.sub(r"\s+", "", s)
    return bytes.fromhex(digits)


# ---------------------------------------------------------------------------------------
# Regexes: Rust `regex` syntax (bytes, Unicode off) -> YARA 4 regex syntax


CLASS_ESCAPES = set("dDwWsS")
SIMPLE_ESCAPES = {"n": r"\n", "t": r"\t", "r": r"\r", "f": r"\x0C", "v": r"\x0B", "a": r"\x07"}
YARA_META = set(".^$|?*+()[]{}\\/")


def byte_escape(ch):
    """One literal character as YARA regex text."""
    out = []
    for b in ch.encode("utf-8"):
        c = chr(b)
        if b < 0x20 or b >= 0x7F:
            out.append("\\x%02X" % b)
        elif c in YARA_META:
            out.append("\\" + c)
        elif c.isalnum() or c in " _'\"<>@!%&,:;=~`#-":
            out.append(c)
        else:
            out.append("\\x%02X" % b)
    return "".join(out)


def class_byte_escape(ch):
    out = []
    for b in ch.encode("utf-8"):
        c = chr(b)
        if b < 0x20 or b >= 0x7F or c in "]\\^-/[":
            out.append("\\x%02X" % b)
        else:
            out.append(c)
    return "".join(out)


def parse_escape(src, i):
    """src[i] is a backslash. Returns (kind, text, next_index) where kind is
    'lit' (text is the literal character), 'class' (\\d etc.), 'assert' (\\b, ^, $)."""
    if i + 1 >= len(src):
        raise Untranslatable("trailing backslash")
    c = src[i + 1]
    if c in CLASS_ESCAPES:
        return "class", "\\" + c, i + 2
    if c in "bB":
        if src.startswith("{", i + 2):
            raise Untranslatable("\\b{...} word-boundary forms")
        return "assert", "\\" + c, i + 2
    if c in SIMPLE_ESCAPES:
        return "lit", {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}[c], i + 2
    if c == "x":
        if src.startswith("{", i + 2):
            end = src.index("}", i + 2)
            v = int(src[i + 3:end], 16)
            if v > 0xFF:
                raise Untranslatable("\\x{%X} beyond one byte" % v)
            return "lit", chr(v), end + 1
        v = int(src[i + 2:i + 4], 16)
        return "lit", chr(v), i + 4
    if c == "A":
        return "assert", "^", i + 2
    if c == "z":
        return "assert", "$", i + 2
    if c in "pPuUQEkKZ<>" or c.isdigit():
        raise Untranslatable("escape \\%s" % c)
    if c.isalnum():
        raise Untranslatable("escape \\%s" % c)
    return "lit", c, i + 2


def parse_class(src, i):
    """src[i] == '['. Returns (yara_text, next_index)."""
    j = i + 1
    out = "["
    if j < len(src) and src[j] == "^":
        out += "^"
        j += 1
    first = True
    while True:
        if j >= len(src):
            raise Untranslatable("unterminated class")
        c = src[j]
        if c == "]" and not first:
            return out + "]", j + 1
        first = False
        if c == "[":
            raise Untranslatable("nested or POSIX character class")
        if src.startswith(("&&", "--", "~~"), j):
            raise Untranslatable("character class set operation")
        if c == "\\":
            kind, text, j = parse_escape(src, j)
            if kind == "class":
                out += text
            elif kind == "lit":
                out += class_byte_escape(text)
            else:
                raise Untranslatable("assertion inside a class")
            continue
        if c == "-" and out[-1] not in "[^" and j + 1 < len(src) and src[j + 1] != "]":
            out += "-"
            j += 1
            continue
        out += class_byte_escape(c)
        j += 1


FLAG_RE = re.compile(r"\(\?([a-zA-Z]*)\)")


def translate_regex(src, nocase):
    """Returns (yara_regex_literal_with_modifiers, notes)."""
    notes = []
    flags = set()
    i = 0
    # Leading inline flag groups apply to the whole regex and become YARA modifiers.
    while True:
        m = FLAG_RE.match(src, i)
        if not m:
            break
        for f in m.group(1):
            if f not in "ims":
                raise Untranslatable("inline flag (?%s)" % f)
            flags.add(f)
        i = m.end()
    if nocase:
        flags.add("i")
    out = []
    depth = 0
    lazy_done = False
    while i < len(src):
        c = src[i]
        if c != "?":
            lazy_done = False
        if c == "\\":
            kind, text, i = parse_escape(src, i)
            out.append(byte_escape(text) if kind == "lit" else text)
        elif c == "[":
            text, i = parse_class(src, i)
            out.append(text)
        elif c == "(":
            if src.startswith("(?:", i):
                out.append("(")
                i += 3
            elif src.startswith("(?P<", i) or (src.startswith("(?<", i) and src[i + 3] not in "=!"):
                end = src.index(">", i)
                out.append("(")
                i = end + 1
            elif src.startswith("(?", i):
                raise Untranslatable("inline flags or look-around inside the regex (%s)" %
                                     src[i:i + 6])
            else:
                out.append("(")
                i += 1
            depth += 1
        elif c == ")":
            depth -= 1
            out.append(")")
            i += 1
        elif c == "^":
            if "m" in flags:
                out.append("(^|\\n)")
                notes.append("(?m)^ became (^|\\n): same files match, match offsets may "
                             "include the newline")
            else:
                out.append("^")
            i += 1
        elif c == "$":
            if "m" in flags:
                out.append("(\\n|$)")
                notes.append("(?m)$ became (\\n|$)")
            else:
                out.append("$")
            i += 1
        elif c == "{":
            m = re.match(r"\{(\d*)(,?)(\d*)\}(\??)", src[i:])
            if not m or (not m.group(1) and not m.group(2)):
                # Rust treats an unparseable { as an error; keep it literal as a fallback.
                raise Untranslatable("repetition %s" % src[i:i + 8])
            lo = m.group(1) or "0"
            if int(lo or 0) > 32767 or int(m.group(3) or 0) > 32767:
                raise Untranslatable("repetition beyond YARA's limit")
            out.append("{%s%s%s}" % (lo, m.group(2), m.group(3)))
            if m.group(4):
                notes.append("a lazy quantifier became greedy: the same files match")
            i += m.end()
        elif c == "?" and out and out[-1] in ("*", "+", "?") and not lazy_done:
            # YARA cannot mix lazy and greedy quantifiers; laziness changes where a match
            # ends, never whether there is one.
            notes.append("a lazy quantifier became greedy: the same files match")
            lazy_done = True
            i += 1
            continue
        elif c in ".|*+?":
            out.append(c)
            i += 1
        elif c == "/":
            out.append("\\/")
            i += 1
        else:
            out.append(byte_escape(c))
            i += 1
    if depth != 0:
        raise Untranslatable("unbalanced parentheses")
    mods = ("i" if "i" in flags else "") + ("s" if "s" in flags else "")
    return "/%s/%s" % ("".join(out), mods), sorted(set(notes))


# ---------------------------------------------------------------------------------------
# Conditions: shellsweep's language -> YARA


TOKEN_RE = re.compile(r"""\s*(?:
    (?P<num>\d+)\s*(?P<unit>KB|MB|GB|B)?\b |
    (?P<cmp>==|!=|<=|>=|<|>) |
    (?P<punct>[(),*]) |
    (?P<hash>\#[A-Za-z_][A-Za-z0-9_]*) |
    (?P<name>\$?[A-Za-z_][A-Za-z0-9_]*)
)""", re.X)

UNITS = {None: 1, "B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}


def tokenize(cond):
    toks = []
    i = 0
    cond = cond.strip()
    while i < len(cond):
        m = TOKEN_RE.match(cond, i)
        if not m or m.end() == i:
            raise Untranslatable("condition: cannot read `%s`" % cond[i:])
        if m.group("num") is not None:
            toks.append(("num", int(m.group("num")) * UNITS[m.group("unit")]))
        elif m.group("cmp"):
            toks.append(("cmp", m.group("cmp")))
        elif m.group("punct"):
            toks.append((m.group("punct"), m.group("punct")))
        elif m.group("hash"):
            toks.append(("hash", m.group("hash")[1:]))
        else:
            toks.append(("name", m.group("name")))
        i = m.end()
        while i < len(cond) and cond[i].isspace():
            i += 1
    return toks


class CondParser:
    def __init__(self, cond, names):
        self.toks = tokenize(cond)
        self.i = 0
        self.names = names
        self.used = set()

    def peek(self, k=0):
        return self.toks[self.i + k] if self.i + k < len(self.toks) else (None, None)

    def take(self, kind=None, value=None):
        t = self.peek()
        if (kind and t[0] != kind) or (value and t[1] != value):
            raise Untranslatable("condition: expected %s, got %r" % (value or kind, t[1]))
        self.i += 1
        return t

    def word(self, w):
        t = self.peek()
        return t[0] == "name" and t[1] == w

    def parse(self):
        e = self.or_()
        if self.i != len(self.toks):
            raise Untranslatable("condition: trailing `%s`" % (self.peek()[1],))
        return e

    def or_(self):
        parts = [self.and_()]
        while self.word("or"):
            self.i += 1
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"

    def and_(self):
        parts = [self.unary()]
        while self.word("and"):
            self.i += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"

    def unary(self):
        if self.word("not"):
            self.i += 1
            return "not " + self.unary()
        return self.primary()

    def ident(self, name):
        name = name.lstrip("$")
        if name not in self.names:
            raise Untranslatable("condition: unknown pattern `%s`" % name)
        self.used.add(name)
        return name

    def set_(self):
        if self.word("them"):
            self.i += 1
            self.used.update(self.names)
            return "them"
        items = []
        if self.peek()[0] == "(":
            self.i += 1
            while True:
                items.append(self.item())
                if self.peek()[0] == ",":
                    self.i += 1
                    continue
                self.take(")")
                break
        else:
            items.append(self.item())
        return "(" + ", ".join(items) + ")"

    def item(self):
        name = self.take("name")[1].lstrip("$")
        if self.peek()[0] == "*":
            self.i += 1
            matched = [n for n in self.names if n.startswith(name)]
            if not matched:
                raise Untranslatable("condition: no pattern starts with `%s`" % name)
            self.used.update(matched)
            return "$%s*" % name
        return "$" + self.ident(name)

    def primary(self):
        t = self.peek()
        if t[0] == "(":
            self.i += 1
            e = self.or_()
            self.take(")")
            return "(" + e + ")"
        if t[0] == "hash":
            self.i += 1
            name = self.ident(t[1])
            cmp = self.take("cmp")[1]
            return "#%s %s %d" % (name, cmp, self.take("num")[1])
        if t[0] == "num":
            self.i += 1
            if not self.word("of"):
                raise Untranslatable("condition: a number must be followed by `of`")
            self.i += 1
            return "%d of %s" % (t[1], self.set_())
        if t[0] != "name":
            raise Untranslatable("condition: unexpected `%s`" % (t[1],))
        w = t[1]
        self.i += 1
        if w in ("true", "false"):
            return w
        if w == "count":
            self.take("(")
            name = self.ident(self.take("name")[1])
            self.take(")")
            cmp = self.take("cmp")[1]
            return "#%s %s %d" % (name, cmp, self.take("num")[1])
        if w == "filesize":
            cmp = self.take("cmp")[1]
            return "filesize %s %d" % (cmp, self.take("num")[1])
        if w in ("any", "all"):
            if self.word("of"):
                self.i += 1
                return "%s of %s" % (w, self.set_())
            self.used.update(self.names)
            return "%s of them" % w
        name = self.ident(w)
        if self.word("at"):
            self.i += 1
            return "$%s at %d" % (name, self.take("num")[1])
        return "$" + name


# ---------------------------------------------------------------------------------------
# Rules -> YARA


def yara_text_string(data):
    out = []
    for b in data:
        c = chr(b)
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif 0x20 <= b < 0x7F:
            out.append(c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        else:
            out.append("\\x%02X" % b)
    return '"' + "".join(out) + '"'


def translate_rule(rule):
    """Returns (yara_text, notes) or raises Untranslatable."""
    notes = []
    pats = [pattern_spec(n, v) for n, v in (rule.get("patterns") or {}).items()]
    names = [p["name"] for p in pats]
    lines = []
    for p in pats:
        mods = []
        if p["kind"] == "regex":
            if p["wide"]:
                raise Untranslatable("wide regex")
            lit, rnotes = translate_regex(p["value"], p["nocase"])
            notes += ["pattern `%s`: %s" % (p["name"], n) for n in rnotes]
            if p["fullword"]:
                mods.append("fullword")
            lines.append("        $%s = %s%s" % (p["name"], lit, "".join(" " + m for m in mods)))
            continue
        if p["kind"] == "hex" and not p["fullword"] and not p["wide"]:
            data = hex_bytes(p["value"])
            lines.append("        $%s = { %s }" % (p["name"], " ".join("%02X" % b for b in data)))
            continue
        data = hex_bytes(p["value"]) if p["kind"] == "hex" else p["value"].encode("utf-8")
        if p["wide"] and any(b >= 0x80 for b in data):
            notes.append("pattern `%s`: YARA widens each byte, shellsweep each ASCII byte; "
                         "non-ASCII text differs" % p["name"])
        if p["ascii"] and p["wide"]:
            mods += ["wide", "ascii"]
        elif p["wide"]:
            mods.append("wide")
        if p["nocase"]:
            mods.append("nocase")
        if p["fullword"]:
            mods.append("fullword")
            notes.append("pattern `%s`: YARA's fullword treats `_` as a delimiter, "
                         "shellsweep as a word character" % p["name"])
        lines.append("        $%s = %s%s" % (p["name"], yara_text_string(data),
                                             "".join(" " + m for m in mods)))
    cond_src = str(rule.get("condition", "any of them"))
    parser = CondParser(cond_src, names)
    cond = parser.parse()
    unused = [n for n in names if n not in parser.used]
    if unused:
        # YARA rejects unreferenced strings; shellsweep still searches for them.
        cond = "(%s) and (true or any of them)" % cond
        notes.append("patterns %s are not in the condition: referenced with "
                     "`true or any of them`" % ", ".join(unused))
    files = rule.get("files") or {}
    meta = ['        id = "%s"' % rule["id"], '        severity = "%s"' % rule.get("severity", "")]
    if files.get("extensions"):
        meta.append('        extensions = "%s"' % ",".join(files["extensions"]))
    if files.get("paths"):
        meta.append('        paths = "%s"' % ",".join(files["paths"]).replace("\\", "/"))
    text = "rule %s\n{\n    meta:\n%s\n" % (rule_ident(rule["id"]), "\n".join(meta))
    if lines:
        text += "    strings:\n%s\n" % "\n".join(lines)
    text += "    condition:\n        %s\n}\n" % cond
    return text, notes


def translate_all(rules):
    """Returns ({rule id: yara text}, [(rule id, reason)] untranslated, [(rule id, note)])."""
    done, skipped, notes = {}, [], []
    for r in rules:
        if r.get("scope", "file") != "file":
            skipped.append((r["id"], "scope: log (records and fields of web-server logs; "
                                     "YARA has no log parser)"))
            continue
        try:
            text, n = translate_rule(r)
        except (Untranslatable, ValueError) as e:
            skipped.append((r["id"], str(e)))
            continue
        done[r["id"]] = text
        notes += [(r["id"], x) for x in n]
        files = r.get("files") or {}
        if files.get("extensions") or files.get("paths"):
            notes.append((r["id"], "files filter (%s) not in the YARA rule: `yara -r` applies "
                          "it to every file; the routed variant applies it" %
                          "; ".join("%s: %s" % (k, ", ".join(v)) for k, v in files.items() if v)))
    return done, skipped, notes


HEADER = "// Generated by benches/yara_from_rules.py from %s: do not edit.\n\n"


def cmd_yara(args):
    rules = load_rules(args.rules)
    done, skipped, notes = translate_all(rules)
    with open(args.out, "w") as f:
        f.write(HEADER % os.path.relpath(args.rules))
        for text in done.values():
            f.write(text + "\n")
    report = ["%d of %d file rules translated to YARA (%d log rules not applicable)." % (
        len(done), len(file_rules(rules)), len(rules) - len(file_rules(rules)))]
    for rid, why in skipped:
        report.append("- not translated: %s: %s" % (rid, why))
    for rid, n in notes:
        report.append("- %s: %s" % (rid, n))
    sys.stderr.write("\n".join(report) + "\n")
    if args.notes:
        with open(args.notes, "w") as f:
            f.write("\n".join(report) + "\n")


# ---------------------------------------------------------------------------------------
# Routing files to rules, as shellsweep's filters do


def glob_regex(g):
    """A shellsweep/globset path glob as a Python regex (case-insensitive, `/` separators)."""
    g = g.replace("\\", "/")
    out, i = "", 0
    while i < len(g):
        if g.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif g.startswith("/**", i) and i + 3 == len(g):
            out += "/.*"
            i += 3
        elif g.startswith("**", i):
            out += ".*"
            i += 2
        elif g[i] == "*":
            out += "[^/]*"
            i += 1
        elif g[i] == "?":
            out += "[^/]"
            i += 1
        elif g[i] == "[":
            j = g.index("]", i)
            out += "[" + g[i + 1:j].replace("!", "^", 1) + "]"
            i = j + 1
        elif g[i] == "{":
            j = g.index("}", i)
            out += "(?:" + "|".join(re.escape(x) for x in g[i + 1:j].split(",")) + ")"
            i = j + 1
        else:
            out += re.escape(g[i])
            i += 1
    return re.compile(out + r"\Z", re.I | re.S)


def cmd_route(args):
    rules = load_rules(args.rules)
    done, _, _ = translate_all(rules)
    active = [r for r in file_rules(rules) if r["id"] in done]
    filt = []
    for r in active:
        files = r.get("files") or {}
        exts = {e.lstrip(".").lower() for e in files.get("extensions") or []}
        globs = [glob_regex(g) for g in files.get("paths") or []]
        filt.append((r["id"], exts, globs))
    groups = {}
    root = os.path.abspath(args.webroot)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            path = os.path.join(dirpath, fn)
            ext = os.path.splitext(fn)[1][1:].lower() if "." in fn[1:] else ""
            key = tuple(rid for rid, exts, globs in filt
                        if (not exts or ext in exts) and
                        (not globs or any(g.match(path) for g in globs)))
            if key:
                groups.setdefault(key, []).append(path)
    os.makedirs(args.outdir, exist_ok=True)
    for old in glob.glob(os.path.join(args.outdir, "g*.yar")) + \
            glob.glob(os.path.join(args.outdir, "g*.list")):
        os.remove(old)
    for n, (key, paths) in enumerate(sorted(groups.items())):
        with open(os.path.join(args.outdir, "g%02d.yar" % n), "w") as f:
            f.write(HEADER % os.path.relpath(args.rules))
            f.write("".join(done[rid] + "\n" for rid in key))
        with open(os.path.join(args.outdir, "g%02d.list" % n), "w") as f:
            f.write("".join(p + "\n" for p in paths))
        print("g%02d\t%d files\t%s" % (n, len(paths), ",".join(key)))


# ---------------------------------------------------------------------------------------
# Literals for rg -F / grep -F


def regex_literals(src):
    """The longest literal run of each top-level alternative, or None when some
    alternative has none. Groups, classes and escapes such as \\s end a run; a character
    made optional by ?, * or {0,...} is dropped."""
    i = 0
    while True:
        m = FLAG_RE.match(src, i)
        if not m:
            break
        i = m.end()
    branches, runs, cur = [], [], ""
    depth = 0

    def quantifier(j):
        if j < len(src) and src[j] in "?*+":
            return src[j], j + 1 + (1 if j + 1 < len(src) and src[j + 1] == "?" else 0)
        m = re.match(r"\{(\d*),?(\d*)\}\??", src[j:])
        if m:
            return ("opt" if (m.group(1) or "0") == "0" else "+"), j + m.end()
        return None, j

    while i < len(src):
        c = src[i]
        if depth == 0 and c == "|":
            runs.append(cur)
            branches.append(runs)
            runs, cur = [], ""
            i += 1
            continue
        if c == "(":
            depth += 1
            i += 1
            continue
        if c == ")":
            depth -= 1
            i += 1
            runs.append(cur)
            cur = ""
            q, i = quantifier(i)
            continue
        if c == "[":
            j = i + 1
            if j < len(src) and src[j] == "^":
                j += 1
            j += 1
            while src[j] != "]":
                j += 2 if src[j] == "\\" else 1
            i = j + 1
            lit = None
        elif c == "\\":
            kind, text, i = parse_escape(src, i)
            lit = text if kind == "lit" else None
        elif c in ".^$":
            lit = None
            i += 1
        else:
            lit = c
            i += 1
        if depth > 0:
            continue
        q, i = quantifier(i)
        if lit is None:
            runs.append(cur)
            cur = ""
        elif q in ("?", "*", "opt"):
            runs.append(cur)
            cur = ""
        elif q == "+":
            runs.append(cur + lit)
            cur = ""
        else:
            cur += lit
    runs.append(cur)
    branches.append(runs)
    out = []
    for runs in branches:
        best = max(runs, key=len)
        if not best:
            return None
        out.append(best)
    return out


def cmd_literals(args):
    rules = load_rules(args.rules)
    lits, nocase, notes = [], False, []
    for r in file_rules(rules):
        for n, v in (r.get("patterns") or {}).items():
            p = pattern_spec(n, v)
            nocase |= p["nocase"]
            if p["kind"] == "regex":
                got = regex_literals(p["value"])
                if not got:
                    notes.append("%s/%s: regex without a literal run, left out" % (r["id"], n))
                    continue
                forms = [x.encode("utf-8") for x in got]
            else:
                data = hex_bytes(p["value"]) if p["kind"] == "hex" else p["value"].encode("utf-8")
                forms = []
                if p["ascii"]:
                    forms.append(data)
                if p["wide"]:
                    forms.append(b"".join(bytes([b, 0]) for b in data))
            for f in forms:
                if b"\n" in f:
                    notes.append("%s/%s: literal with a newline, left out" % (r["id"], n))
                elif f not in lits:
                    lits.append(f)
    with open(args.out, "wb") as f:
        f.write(b"".join(x + b"\n" for x in lits))
    sys.stderr.write("%d literals written to %s%s\n" % (len(lits), args.out, "".join(
        "\n- " + n for n in notes)))
    if nocase:
        print("-i")


# ---------------------------------------------------------------------------------------
# Agreement between shellsweep's findings and YARA's


def cmd_agree(args):
    rules = load_rules(args.rules)
    ident_to_id = {rule_ident(r["id"]): r["id"] for r in file_rules(rules)}
    import json
    ss = set()
    with open(args.shellsweep, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d.get("event", {}).get("kind") == "alert" and "rule" in d and "file" in d:
                if d["rule"]["id"] in ident_to_id.values():
                    ss.add((d["rule"]["id"], os.path.abspath(d["file"]["path"])))
    ya = set()
    for out in args.yara:
        with open(out, encoding="utf-8", errors="replace") as f:
            for line in f:
                name, _, path = line.rstrip("\n").partition(" ")
                if name in ident_to_id:
                    ya.add((ident_to_id[name], os.path.abspath(path)))
    both = ss & ya
    print("%s: %d (rule, file) findings in both, %d only shellsweep, %d only yara" % (
        args.label, len(both), len(ss - ya), len(ya - ss)))
    for rid, path in sorted(ss - ya)[:10]:
        print("  only shellsweep: %s %s" % (rid, path))
    for rid, path in sorted(ya - ss)[:10]:
        print("  only yara: %s %s" % (rid, path))
    return 0 if ss == ya else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    y = sub.add_parser("yara")
    y.add_argument("out")
    y.add_argument("--notes")
    ro = sub.add_parser("route")
    ro.add_argument("webroot")
    ro.add_argument("outdir")
    li = sub.add_parser("literals")
    li.add_argument("out")
    ag = sub.add_parser("agree")
    ag.add_argument("label")
    ag.add_argument("shellsweep", help="shellsweep --format jsonl output")
    ag.add_argument("yara", nargs="+", help="yara outputs (RULE PATH lines)")
    for p in (y, ro, li, ag):
        p.add_argument("--rules", default=DEFAULT_RULES)
    args = ap.parse_args()
    cmds = {"yara": cmd_yara, "route": cmd_route, "literals": cmd_literals, "agree": cmd_agree}
    sys.exit(cmds[args.cmd](args) or 0)


if __name__ == "__main__":
    main()
