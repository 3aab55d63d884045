#!/usr/bin/env python3
"""Checks shellsweep's Sigma matching against pySigma's SQLite backend, rule by rule.

    scripts/sigma-agreement.py [--sigma-repo DIR] [--bin PATH] [--out DIR] [--records N]
                               [--seed S] [--no-probes] [--list N]

A measurement, not a test (it needs the network once, for pySigma, and a SigmaHQ checkout):

1. Creates target/sigma-venv with `pip install pySigma pySigma-backend-sqlite` (once) and
   runs the rest of itself in it.
2. Takes SigmaHQ's rules/web/webserver_generic, rules/web/product/* and the rules of
   rules-emerging-threats whose logsource is a web server's, from a git snapshot of
   SigmaHQ/sigma (`git archive`, nothing is committed), plus probe rules written here (one
   per construct of the detection language; see PROBES).
3. Writes a log set: ordinary traffic (scripts/ordinary-traffic.py) plus, for every rule,
   records built from its detection values as pySigma reads them (after modifiers): each
   alternative of each search identifier on its own and all identifiers together, every
   value of a list in turn, and per field the value as is, in other case, inside other text,
   cut short by a character, percent-encoded and with a wildcard filled in differently;
   each record as an IIS W3C line and as a combined (Apache/nginx) line.
4. Parses the same lines into SQLite, one column per field of Sigma's webserver taxonomy,
   as shellsweep maps them (c-uri is stem?query; c-uri-extension the last segment's
   extension; a combined log's path is percent-decoded, its query not; `-` is NULL), plus
   the raw line for keywords.
5. Converts each rule with pySigma's SQLite backend (case-insensitive equality:
   `collate_nocase`; keywords against the raw line: `fulltext_field`) and runs the query.
6. Runs `shellsweep scan --no-bundled-rules --sigma RULES --format jsonl` over the logs.
7. Compares the matched (file, line) per rule: both, only pySigma, only shellsweep, and
   names the known cause of each difference it recognises (see explain()).

Defaults: the debug build (target/debug/shellsweep; `cargo build --locked
--no-default-features`), output under target/sigma-agreement (rules, logs), 20,000
ordinary records. About two minutes on two cores.

IIS writes spaces as `+`; shellsweep compares user agents, referers and cookies both as
written and with `+` read as a space. The SQLite side does the same for IIS lines: each test
on those fields is also tried on a column with `+` decoded (PlusBackend).
"""

import argparse
import copy
import collections
import importlib.util
import io
import ipaddress
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VENV = os.path.join(ROOT, "target", "sigma-venv")


def bootstrap():
    """Re-runs this script in the venv that has pySigma, creating it when missing."""
    py = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([py, "-m", "pip", "install", "-q", "pySigma", "pySigma-backend-sqlite"],
                       check=True)
    os.execv(py, [py, os.path.abspath(__file__), *sys.argv[1:]])


# --- the field vocabulary, as shellsweep reads it (src/logs/fields.rs, src/rules/model.rs) ---

# column -> the spellings rules may use (lowercase).
COLUMNS = {
    "date": ["date"], "time": ["time"],
    "c_ip": ["c-ip", "src_ip"], "cs_username": ["cs-username"],
    "s_sitename": ["s-sitename"], "s_computername": ["s-computername"],
    "s_ip": ["s-ip", "dst_ip"], "s_port": ["s-port"], "cs_method": ["cs-method"],
    "cs_uri_stem": ["cs-uri-stem", "c-uri-stem"], "cs_uri_query": ["cs-uri-query", "c-uri-query"],
    "sc_status": ["sc-status"], "sc_substatus": ["sc-substatus"],
    "sc_win32_status": ["sc-win32-status", "c-win32-status"], "sc_bytes": ["sc-bytes"],
    "cs_bytes": ["cs-bytes"], "time_taken": ["time-taken"], "cs_version": ["cs-version"],
    "cs_host": ["cs-host", "cs(host)"],
    "cs_user_agent": ["cs-user-agent", "cs(user-agent)", "c-useragent"],
    "cs_cookie": ["cs-cookie", "cs(cookie)"],
    "cs_referer": ["cs-referer", "cs(referer)", "cs-referrer"],
    "x_forwarded_for": ["x-forwarded-for", "cs(x-forwarded-for)"],
    "c_uri": ["c-uri", "cs-uri"], "c_uri_extension": ["c-uri-extension", "cs-uri-extension"],
}
COLUMN_OF = {name: col for col, names in COLUMNS.items() for name in names}
PLUS_FIELDS = ("cs_user_agent", "cs_referer", "cs_cookie")
IIS_ORDER = ["date", "time", "s_ip", "cs_method", "cs_uri_stem", "cs_uri_query", "s_port",
             "cs_username", "c_ip", "cs_version", "cs_user_agent", "cs_cookie", "cs_referer",
             "cs_host", "sc_status", "sc_substatus", "sc_win32_status", "sc_bytes", "cs_bytes",
             "time_taken", "x_forwarded_for", "s_sitename", "s_computername"]
IIS_NAME = {"cs_user_agent": "cs(User-Agent)", "cs_cookie": "cs(Cookie)",
            "cs_referer": "cs(Referer)", "x_forwarded_for": "X-Forwarded-For"}
IIS_HEADER = ["#Software: Microsoft Internet Information Services 10.0", "#Version: 1.0",
              "#Date: 2025-07-20 00:00:00",
              "#Fields: " + " ".join(IIS_NAME.get(c, c.replace("_", "-")) for c in IIS_ORDER)]
# Fields set on every other record, so `null` and `exists` tests meet both cases.
EXTRAS = {"cs_uri_query": "id=1", "cs_username": "alice", "cs_referer": "https://www.example.test/",
          "cs_cookie": "session=abc", "x_forwarded_for": "192.0.2.10"}
DEFAULTS = {"cs_method": "GET", "cs_uri_stem": "/index.html", "sc_status": "200",
            "c_ip": "198.51.100.7", "cs_version": "HTTP/1.1",
            "cs_user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "cs_host": "www.example.test", "s_ip": "10.0.0.5", "s_port": "443"}


# --- log parsing (mirrors src/logs/iis.rs and src/logs/combined.rs) -----------------------

def null(v):
    return None if v in (None, "", "-") else v


def pct_decode(s):
    """%hh decoded, anything malformed kept (src/logs/combined.rs percent_decode)."""
    return re.sub(rb"%([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]),
                  s.encode("latin-1")).decode("latin-1")


def derive(rec):
    stem, query = rec.get("cs_uri_stem"), rec.get("cs_uri_query")
    if query is not None:
        rec["c_uri"] = (stem or "") + "?" + query
    elif stem is not None:
        rec["c_uri"] = stem
    if stem is not None:
        last = stem.rsplit("/", 1)[-1]
        if "." in last and last.rsplit(".", 1)[1]:
            rec["c_uri_extension"] = last.rsplit(".", 1)[1]
    return rec


def parse_iis(line, columns):
    rec = {}
    for col, value in zip(columns, line.split(" ")):
        if col in COLUMNS and null(value) is not None:
            rec[col] = value
    return derive(rec)


def quoted(s):
    """A double-quoted field with nginx's escapes; (value, rest) or None."""
    if not s.startswith('"'):
        return None
    out, i, body = [], 0, s[1:]
    while i < len(body):
        c = body[i]
        if c == '"':
            return "".join(out), body[i + 1:]
        if c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            if n == "x" and i + 3 < len(body) and all(ch in "0123456789abcdefABCDEF" for ch in body[i + 2:i + 4]):
                out.append(chr(int(body[i + 2:i + 4], 16)))
                i += 4
                continue
            out.append(n if n in '"\\' else "\\" + n)
            i += 2
            continue
        out.append(c)
        i += 1
    return None


def is_vhost(token):
    m = re.fullmatch(r"(.+):([0-9]+)", token)
    if not m:
        return False
    try:
        ipaddress.ip_address(token)
        return False
    except ValueError:
        return True


def parse_combined(line):
    open_ = line.find(" [")
    if open_ < 0:
        return None
    close = line.find("]", open_ + 2)
    if close < 0:
        return None
    prefix = [t for t in line[:open_].split(" ") if t]
    if len(prefix) < 3:
        return None
    hosts, user = prefix[:-2], prefix[-1]
    rec = {}
    if len(hosts) > 1 and is_vhost(hosts[0]):
        name, port = hosts[0].rsplit(":", 1)
        rec["cs_host"], rec["s_port"] = name, port
        hosts = hosts[1:]
    rec["c_ip"] = " ".join(hosts)
    rec["cs_username"] = user
    q = quoted(line[close + 1:].lstrip())
    if q is None:
        return None
    request, rest = q
    if " " in request:
        method, target = request.split(" ", 1)
        last = target.rfind(" ")
        if last >= 0 and target[last + 1:].startswith("HTTP/"):
            rec["cs_version"] = target[last + 1:]
            target = target[:last]
        path, sep, query = target.partition("?")
        rec["cs_method"] = method
        rec["cs_uri_stem"] = pct_decode(path)
        if sep:
            rec["cs_uri_query"] = query
    tokens = rest.lstrip().split(" ", 2)
    if tokens:
        rec["sc_status"] = tokens[0]
    if len(tokens) > 1:
        rec["sc_bytes"] = tokens[1]
    after = tokens[2].lstrip() if len(tokens) > 2 else ""
    q = quoted(after)
    if q:
        rec["cs_referer"], after = q
        q = quoted(after.lstrip())
        if q:
            rec["cs_user_agent"] = q[0]
    rec = {k: v for k, v in rec.items() if null(v) is not None}
    return derive(rec)


def parse_file(path):
    """(line number, raw line, record) of every data line of a log."""
    out = []
    columns = None
    with open(path, encoding="utf-8", errors="replace", newline="\n") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n").rstrip("\r")
            if line.startswith("#Fields:"):
                columns = []
                for name in line[len("#Fields:"):].split():
                    columns.append(COLUMN_OF.get(name.lower(), "?" + name))
                continue
            if line.startswith("#") or not line:
                continue
            rec = parse_iis(line, columns) if columns is not None else parse_combined(line)
            if rec is not None:
                out.append((n, line, rec, "iis" if columns is not None else "combined"))
    return out


# --- values that hit a rule, from pySigma's reading of it ---------------------------------

def regex_sample(pattern, flags=""):
    """A string the regex matches (first branch, fewest repeats, at least one)."""
    import re._parser as sre  # noqa: E402 (stdlib, Python >= 3.11)
    import re._constants as c

    def gen(items):
        out = []
        for op, av in items:
            if op is c.LITERAL:
                out.append(chr(av))
            elif op is c.NOT_LITERAL:
                out.append("a" if chr(av) != "a" else "b")
            elif op is c.ANY:
                out.append("a")
            elif op is c.IN:
                out.append(gen_in(av))
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
                lo, hi, sub = av
                out.append(gen(sub) * max(lo, min(1, hi)))
            elif op is c.SUBPATTERN:
                out.append(gen(av[-1]))
            elif op is c.BRANCH:
                out.append(gen(av[1][0]))
            elif op is c.ATOMIC_GROUP:
                out.append(gen(av))
            elif op is c.GROUPREF:
                out.append("")
            # AT (anchors), ASSERT, ASSERT_NOT: nothing
        return "".join(out)

    def gen_in(items):
        negate = any(op is c.NEGATE for op, _ in items)
        if negate:
            banned = set()
            for op, av in items:
                if op is c.LITERAL:
                    banned.add(chr(av))
            for ch in "aZ0_":
                if ch not in banned:
                    return ch
            return "~"
        for op, av in items:
            if op is c.LITERAL:
                return chr(av)
            if op is c.RANGE:
                return chr(av[0])
            if op is c.CATEGORY:
                return {c.CATEGORY_DIGIT: "1", c.CATEGORY_WORD: "a", c.CATEGORY_SPACE: " ",
                        c.CATEGORY_NOT_DIGIT: "a", c.CATEGORY_NOT_WORD: "-",
                        c.CATEGORY_NOT_SPACE: "a"}.get(av, "a")
        return "a"

    try:
        return gen(sre.parse(pattern))
    except Exception:
        return None


def sample(value, fill, pick):
    """One string for a pySigma value; None for `null` (absent), or a marker tuple."""
    from sigma import types as t
    if isinstance(value, t.SigmaExpansion):
        return sample(value.values[pick % len(value.values)], fill, pick // len(value.values))
    if isinstance(value, t.SigmaString):
        out = []
        for part in value.s:
            if isinstance(part, str):
                out.append(part)
            elif part == t.SpecialChars.WILDCARD_MULTI:
                out.append(fill)
            else:
                out.append(fill[:1] or "q")
        return "".join(out)
    if isinstance(value, t.SigmaNumber):
        return str(value.number)
    if isinstance(value, t.SigmaRegularExpression):
        return regex_sample(str(value.regexp))
    if isinstance(value, t.SigmaCIDRExpression):
        net = value.network
        return str(net.network_address + (1 if net.num_addresses > 1 else 0))
    if isinstance(value, t.SigmaNull):
        return None
    if isinstance(value, t.SigmaExists):
        return "present" if value.exists else None
    if isinstance(value, t.SigmaFieldReference):
        return ("ref", value.field)
    return str(value)


def alternatives(detection):
    """The AND-lists of detection items whose union is a search identifier."""
    from sigma.rule import SigmaDetectionItem
    from sigma.conditions import ConditionOR
    if isinstance(detection, SigmaDetectionItem):
        return [[detection]]
    parts = [alternatives(d) for d in detection.detection_items]
    if detection.item_linking is ConditionOR:
        return [alt for p in parts for alt in p]
    out = [[]]
    for p in parts:
        out = [a + b for a in out for b in p][:64]
    return out


def item_values(item, fill, pick):
    """The field's value for one detection item: all values joined for `|all`."""
    from sigma.conditions import ConditionAND
    vals = item.value
    if not vals:
        return None
    if item.value_linking is ConditionAND and len(vals) > 1:
        parts = [sample(v, fill, pick) for v in vals]
        if any(p is None or isinstance(p, tuple) for p in parts):
            return parts[0]
        return "/".join(parts)
    return sample(vals[pick % len(vals)], fill, pick // len(vals))


def build(items, fill, pick):
    """A record (column -> value) that fills every item of an alternative, or None."""
    rec, refs, keywords = {}, [], []
    for item in items:
        v = item_values(item, fill, pick)
        if item.field is None:
            if isinstance(v, str):
                keywords.append(v)
            continue
        # After conversion the rule's fields carry the column names.
        col = item.field if item.field in COLUMNS else COLUMN_OF.get(item.field.lower())
        if col is None:
            continue
        if isinstance(v, tuple):
            refs.append((col, v[1] if v[1] in COLUMNS else COLUMN_OF.get(v[1].lower())))
        elif v is None:
            rec[col] = None
        elif rec.get(col) and col not in ("c_uri_extension",):
            rec[col] = rec[col] + v
        else:
            rec[col] = v
    for col, other in refs:
        if other:
            rec[col] = rec.get(other) or DEFAULTS.get(other) or "same"
            rec[other] = rec[col]
    return rec, keywords


VARIANTS = ["as-is", "upper", "lower", "wrapped", "cut-head", "cut-tail", "pct", "swap", "plus"]


def vary(v, how):
    if how == "upper":
        return v.upper()
    if how == "lower":
        return v.lower()
    if how == "wrapped":
        return "Zq" + v + "qZ"
    if how == "cut-head":
        return v[1:]
    if how == "cut-tail":
        return v[:-1]
    if how == "pct":
        return urllib.parse.quote(v, safe="/?=&")
    if how == "swap":
        return v.swapcase()
    if how == "plus":
        return v.replace(" ", "+")
    return v


def merge(recs):
    """One record from several: values of the same field are put one after the other."""
    merged, kws = {}, []
    for rec, kw in recs:
        for k, v in rec.items():
            if v is None:
                merged.setdefault(k, None)
            elif merged.get(k) and k != "c_uri_extension":
                merged[k] = merged[k] + "&" + v
            else:
                merged[k] = v
        kws += kw
    return merged, kws


def mutations(rec, kws):
    """The record, and per field (and keyword) the value changed in each way of VARIANTS."""
    out = [(rec, kws)]
    for col in list(rec):
        if rec[col] is None:
            continue
        for how in VARIANTS[1:]:
            r = dict(rec)
            r[col] = vary(rec[col], how)
            out.append((r, kws))
        r = dict(rec)
        del r[col]
        out.append((r, kws))
    for i, k in enumerate(kws):
        for how in VARIANTS[1:]:
            k2 = list(kws)
            k2[i] = vary(k, how)
            out.append((rec, k2))
    return out


def records_for(rule):
    """Records meant to hit the rule, and near misses: each alternative of each search
    identifier alone, every subset of the identifiers together, and mutations of those."""
    per_ident = {name: alternatives(d) for name, d in rule.detection.detections.items()}
    names = list(per_ident)[:6]
    out = []
    for fill in ["", "Mid"]:
        for name, alts in per_ident.items():
            width = max((len(i.value) for a in alts for i in a if i.value), default=1)
            for alt in alts[:24]:
                for pick in range(min(width, 40)):
                    out.extend(mutations(*build(alt, fill, pick)))
        for mask in range(1, 1 << len(names)):
            chosen = [n for i, n in enumerate(names) if mask >> i & 1]
            for pick in range(3):
                rec = merge([build(per_ident[n][pick % len(per_ident[n])], fill, pick)
                             for n in chosen])
                if mask == (1 << len(names)) - 1 or len(chosen) == len(names) - 1:
                    out.extend(mutations(*rec))
                else:
                    out.append(rec)
    return out


def clean(v):
    return re.sub(r"[\x00-\x1f\x7f]", "", v)


def complete(rec, kws, extras):
    """Fills defaults and splits c-uri / c-uri-extension into the logged fields."""
    r = {k: clean(v) for k, v in rec.items() if v is not None}
    absent = {k for k, v in rec.items() if v is None}
    if "c_uri" in r:
        uri = r.pop("c_uri")
        stem, sep, query = uri.partition("?")
        r.setdefault("cs_uri_stem", stem if stem else "/")
        if sep:
            r.setdefault("cs_uri_query", query)
    if "c_uri_extension" in r:
        ext = r.pop("c_uri_extension")
        stem = r.get("cs_uri_stem", "/app/page")
        r["cs_uri_stem"] = stem + "." + ext
    if kws:
        extra = "k=" + "&k=".join(clean(k) for k in kws)
        r["cs_uri_query"] = (r["cs_uri_query"] + "&" + extra) if r.get("cs_uri_query") else extra
        # A combined log keeps a user agent's spaces, so keywords with spaces land there.
        r["cs_user_agent"] = r.get("cs_user_agent", "") + " " + " ".join(clean(k) for k in kws)
    for k, v in DEFAULTS.items():
        if k not in r and k not in absent:
            r[k] = v
    if extras:
        for k, v in EXTRAS.items():
            if k not in r and k not in absent:
                r[k] = v
    return r


def iis_line(r, secs):
    vals = dict(r)
    vals["date"] = "2025-07-20"
    vals["time"] = "%02d:%02d:%02d" % (secs // 3600 % 24, secs // 60 % 60, secs % 60)
    return " ".join((vals.get(c) or "-").replace(" ", "+") for c in IIS_ORDER)


def esc(v):
    return v.replace("\\", "\\\\").replace('"', '\\"')


def combined_line(r, secs):
    target = r.get("cs_uri_stem", "/")
    if "cs_uri_query" in r:
        target += "?" + r["cs_uri_query"]
    target = target.replace(" ", "%20")
    ts = "20/Jul/2025:%02d:%02d:%02d +0000" % (secs // 3600 % 24, secs // 60 % 60, secs % 60)
    head = r.get("c_ip", "-").replace(" ", "")
    if r.get("cs_host"):
        head = "%s:%s %s" % (r["cs_host"].replace(" ", ""), r.get("s_port", "80"), head)
    return '%s - %s [%s] "%s %s %s" %s %s "%s" "%s"' % (
        head, (r.get("cs_username") or "-").replace(" ", "_"), ts,
        esc(r.get("cs_method", "GET")).replace(" ", "_") or "GET", esc(target),
        r.get("cs_version", "HTTP/1.1").replace(" ", "_"),
        (r.get("sc_status") or "200").replace(" ", "_"), (r.get("sc_bytes") or "512").replace(" ", "_"),
        esc(r.get("cs_referer", "-")), esc(r.get("cs_user_agent", "-")))


# --- probe rules, written here: every construct of the detection language once ------------

PROBES = {
    "wildcards": r"""
detection:
    sel_stem:
        cs-uri-stem: '/a*b?c.php'
    sel_escaped:
        cs-uri-query|contains:
            - 'x\*y'
            - 'q\?r'
            - 'share\\\\*'
            - 'c:\windows\'
    sel_ua:
        cs-user-agent|startswith: 'Probe?Agent*/'
    condition: 1 of sel_*
""",
    "anchors": r"""
detection:
    sel_uri:
        c-uri|startswith: '/api/v1/'
        c-uri|endswith: '.json'
    sel_ext:
        c-uri-extension:
            - 'jsp'
            - 'ASPX'
    sel_ref:
        cs-referer|endswith: '/login'
    condition: sel_uri or (sel_ext and sel_ref)
""",
    "all_and_numbers": r"""
detection:
    selection:
        cs-uri-query|contains|all:
            - 'union'
            - 'select'
            - 'from'
        sc-status:
            - 200
            - 500
    filter:
        sc-status|startswith: '5'
        cs-method: 'HEAD'
    condition: selection and not filter
""",
    "regex_flags": r"""
detection:
    sel_plain:
        cs-uri-query|re: 'cmd=(whoami|id)\b'
    sel_i:
        cs-user-agent|re|i: '^curl/[0-9]+\.'
    sel_m:
        cs-uri-query|re|m: '^exec=.+$'
    sel_s:
        cs-uri-stem|re|s: '/shell.*\.php$'
    condition: 1 of sel_*
""",
    "cidr_exists_null": r"""
detection:
    sel_net:
        c-ip|cidr:
            - '10.0.0.0/8'
            - '2001:db8::/32'
    sel_noref:
        cs-referer|exists: false
        cs-uri-stem|contains: '/admin'
    sel_cookie:
        cs-cookie|exists: true
        cs-username: null
    sel_empty:
        cs-uri-query: ''
        cs-method: 'PUT'
    condition: 1 of sel_*
""",
    "encodings": r"""
detection:
    sel_b64:
        cs-uri-query|base64|contains: 'whoami'
    sel_offset:
        cs-uri-query|base64offset|contains:
            - '/bin/sh'
            - 'powershell'
    sel_dash:
        cs-uri-query|windash|contains:
            - ' -enc '
            - ' /c dir'
    condition: 1 of sel_*
""",
    "fieldref_cased": r"""
detection:
    sel_ref:
        cs-referer|fieldref: cs-host
    sel_cased:
        cs-uri-stem|cased|contains: '/Admin/'
    sel_method:
        cs-method|cased: 'get'
    condition: sel_ref or sel_cased or sel_method
""",
    "keywords": r"""
detection:
    keywords:
        - 'cmd.exe'
        - '*etc/pass?d*'
        - 'Ü-probe'
    all_keywords:
        '|all':
            - 'wget'
            - 'chmod'
    condition: keywords or all_keywords
""",
    "quantifiers": r"""
detection:
    sel_a:
        cs-uri-query|contains: 'alpha'
    sel_b:
        cs-uri-query|contains: 'bravo'
    sel_c:
        cs-user-agent|contains: 'charlie'
    _hidden:
        cs-method: 'POST'
    condition: 1 of sel_* and not _hidden or all of them
""",
    "edges": r"""
detection:
    sel_star:
        cs-cookie: '*'
    sel_one:
        cs-username: '?'
    sel_bs_wild:
        cs-uri-query|contains: 'dir\\*.ini'
    sel_like_chars:
        cs-uri-query|contains:
            - '100%'
            - 'a_b'
            - "it's"
    sel_null_list:
        cs-referer:
            - null
            - 'about:blank'
        cs-method: 'OPTIONS'
    sel_uri_exists:
        c-uri|exists: true
        cs-uri-query|startswith: 'probe-exists'
    sel_uri_ref:
        cs-uri-stem|fieldref: c-uri
        cs-method: 'TRACE'
    condition: 1 of sel_*
""",
    "encodings_exact": r"""
detection:
    sel_b64_eq:
        cs-uri-query|base64: 'abc'
    sel_offset_eq:
        cs-uri-query|base64offset: 'id;ls'
    sel_dash_eq:
        cs-user-agent|windash: '-probe /x'
    sel_dash_end:
        cs-uri-query|windash|endswith: '=-w'
    condition: 1 of sel_*
""",
    "conditions": r"""
detection:
    keywords:
        - 'kw-one'
        - 'kw-two'
    sel_a:
        cs-method: 'DELETE'
    sel_b:
        cs-uri-stem|startswith: '/del/'
    _skip:
        cs-uri-query|contains: 'dry-run'
    condition:
        - not not (sel_a and (sel_b or keywords)) and not _skip
        - all of them
""",
    "count_of": r"""
detection:
    sel_a:
        cs-uri-query|contains: 'alpha'
    sel_b:
        cs-uri-query|contains: 'bravo'
    sel_c:
        cs-user-agent|contains: 'charlie'
    condition: 2 of sel_*
""",
    "maps_list": r"""
detection:
    selection:
        - cs-method: 'POST'
          cs-uri-stem|endswith: '/upload.php'
        - cs-uri-stem|contains: '/shell'
          sc-status: 200
        - cs-host|endswith:
            - '.onion'
            - '.i2p'
    filter:
        c-ip|startswith: '192.0.2.'
    condition: selection and not filter
""",
}


def write_probes(dest):
    paths = []
    for i, (name, detection) in enumerate(sorted(PROBES.items())):
        path = os.path.join(dest, "probe_%s.yml" % name)
        with open(path, "w", encoding="utf-8") as f:
            f.write("title: shellsweep agreement probe %s\nid: 00000000-0000-4000-8000-%012d\n"
                    "status: test\nlogsource:\n    category: webserver\n%slevel: low\n"
                    % (name, i + 1, detection.lstrip("\n")))
        paths.append(path)
    return paths


# --- the two sides --------------------------------------------------------------------------

def pysigma_queries(paths):
    """{rule id: (title, {mode: [sql]}, file)}, {file: why pySigma refused} and
    {rule id: the rule as pySigma reads it}. Mode `strict` is the backend as shipped; `plus`
    also tries IIS's `+`-for-space reading, as shellsweep does."""
    from sigma.collection import SigmaCollection
    from sigma.backends.sqlite import sqliteBackend
    from sigma.processing.pipeline import ProcessingPipeline, ProcessingItem
    from sigma.processing.transformations import FieldMappingTransformation
    # Field names are case-insensitive in shellsweep's taxonomy: map each spelling used.
    mapping = dict(COLUMN_OF)
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                rule = SigmaCollection.from_yaml(f.read()).rules[0]
            for name in detection_fields(rule):
                if name.lower() in COLUMN_OF:
                    mapping[name] = COLUMN_OF[name.lower()]
        except Exception:  # refused; said by the conversion below
            continue
    pipeline = ProcessingPipeline(name="shellsweep columns", priority=10, items=[
        ProcessingItem(identifier="columns",
                       transformation=FieldMappingTransformation(mapping))])

    class PlusBackend(sqliteBackend):
        """Each test on a user agent, referer or cookie also tried on the `+`-decoded copy."""

        def convert_condition_field_eq_val(self, cond, state):
            plain = super().convert_condition_field_eq_val(cond, state)
            if cond.field not in PLUS_FIELDS:
                return plain
            other = copy.copy(cond)
            other.field = cond.field + "_plus"
            return "(%s OR %s)" % (plain, super().convert_condition_field_eq_val(other, state))

    backends = {
        "strict": sqliteBackend(processing_pipeline=pipeline, collate_nocase=True,
                                fulltext_field="raw_line"),
        "plus": PlusBackend(processing_pipeline=pipeline, collate_nocase=True,
                            fulltext_field="raw_line"),
    }
    queries, refused, parsed = {}, {}, {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            coll = SigmaCollection.from_yaml(text)
            rule = coll.rules[0]
            qs = {mode: b.convert_rule(SigmaCollection.from_yaml(text).rules[0])
                  for mode, b in backends.items()}
            queries[str(rule.id)] = (rule.title, qs, path)
            parsed[str(rule.id)] = rule
        except Exception as e:  # pySigma raises many kinds; all mean "not converted"
            refused[path] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:160])
    return queries, refused, parsed


def detection_fields(rule):
    from sigma.rule import SigmaDetectionItem
    out = set()

    def walk(d):
        if isinstance(d, SigmaDetectionItem):
            if d.field:
                out.add(d.field)
        else:
            for i in d.detection_items:
                walk(i)
    for d in rule.detection.detections.values():
        walk(d)
    return out


def regexp(pattern, value):
    if value is None:
        return None
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return None


RECORDS = {}


def load_db(logs):
    db = sqlite3.connect(":memory:")
    db.create_function("REGEXP", 2, regexp, deterministic=True)
    cols = list(COLUMNS)
    plus = [c + "_plus" for c in PLUS_FIELDS]
    db.execute("CREATE TABLE logs (file TEXT, line INTEGER, raw_line TEXT, %s)"
               % ", ".join("%s TEXT" % c for c in cols + plus))
    n = 0
    for path in logs:
        rows = []
        for line_no, raw, rec, fmt in parse_file(path):
            RECORDS[(path, line_no)] = (rec, fmt)
            # IIS writes a space as `+` in these fields; a combined log writes what was sent.
            decoded = [(rec[c].replace("+", " ") if fmt == "iis" else rec[c]) if rec.get(c)
                       else None for c in PLUS_FIELDS]
            rows.append([path, line_no, raw] + [rec.get(c) for c in cols] + decoded)
        db.executemany("INSERT INTO logs VALUES (%s)" % ", ".join("?" * (3 + len(cols) + len(plus))),
                       rows)
        n += len(rows)
    return db, n


def run_queries(db, queries, mode):
    """{rule id: set of (file, line)} and {rule id: SQL error}."""
    hits, errors = {}, {}
    for rid, (_, qs, _) in queries.items():
        found = set()
        for q in qs[mode]:
            sql = q.replace("SELECT * FROM", "SELECT file, line FROM", 1)
            try:
                found.update(db.execute(sql).fetchall())
            except sqlite3.Error as e:
                errors[rid] = str(e)
        hits[rid] = found
    return hits, errors


def shellsweep_hits(binary, rules_dir, logs):
    proc = subprocess.run([binary, "scan", "--no-bundled-rules", "--sigma", rules_dir,
                           "--format", "jsonl", *logs],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode not in (0, 1):
        sys.exit("shellsweep failed (%d): %s" % (proc.returncode, proc.stderr[-2000:]))
    hits = collections.defaultdict(set)
    for line in proc.stdout.splitlines():
        d = json.loads(line)
        if d.get("rule", {}).get("ruleset") not in (None, "sigma"):
            continue
        lg = d.get("shellsweep", {}).get("log")
        if not lg:
            continue
        hits[d["rule"]["id"]].add((os.path.abspath(d["log"]["file"]["path"]), lg["line"]))
    summary = [l for l in proc.stderr.splitlines() if "Sigma:" in l]
    warnings = [os.path.basename(l) for l in proc.stderr.splitlines()
                if "warning:" in l or "error:" in l]
    return hits, summary, warnings


def loaded_ids(binary, rules_dir):
    proc = subprocess.run([binary, "rules", "list", "--no-bundled-rules", "--sigma", rules_dir],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return {l.split()[0] for l in proc.stdout.splitlines() if l.strip()}


# --- differences with a known cause ---------------------------------------------------------

def value_tests(rule):
    """(column, pySigma value) of every field test of a rule."""
    from sigma.rule import SigmaDetectionItem
    out = []

    def walk(d):
        if isinstance(d, SigmaDetectionItem):
            if d.field:
                col = d.field if d.field in COLUMNS else COLUMN_OF.get(d.field.lower())
                out.extend((col, v) for v in d.value)
        else:
            for i in d.detection_items:
                walk(i)
    for d in rule.detection.detections.values():
        walk(d)
    return out


def explain(rule, key, only_pysigma):
    """Why the two sides differ on a line, when the cause is a known difference; else None."""
    from sigma import types as t
    rec, fmt = RECORDS.get(key, ({}, ""))
    for col, v in value_tests(rule):
        if fmt == "combined" and col in PLUS_FIELDS and "+" in (rec.get(col) or ""):
            return ("shellsweep reads `+` as a space in user agents, referers and cookies of "
                    "combined logs too, where only IIS writes spaces so")
        if only_pysigma and isinstance(v, t.SigmaCIDRExpression) and rec.get(col):
            try:
                ipaddress.ip_address(rec[col])
            except ValueError:
                return ("pySigma's SQLite backend tests `cidr` as string prefixes (LIKE '10.%'), "
                        "so it matches text that is no address; shellsweep parses the address")
        if (not only_pysigma and isinstance(v, t.SigmaString) and not v.s
                and rec.get(col) is None):
            return ("shellsweep reads an empty value ('') as null: logs write `-` for an empty "
                    "and an absent field alike; pySigma's `= ''` never matches a NULL column")
    return None


# --- driver ---------------------------------------------------------------------------------

def select_rules(repo, dest):
    """Copies the rule set into dest; returns the copied paths."""
    import yaml
    data = subprocess.run(["git", "-C", repo, "archive", "HEAD", "rules/web",
                           "rules-emerging-threats"], check=True, stdout=subprocess.PIPE).stdout
    picked = []
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for m in tar.getmembers():
            if not m.isfile() or not m.name.endswith(".yml"):
                continue
            text = tar.extractfile(m).read().decode("utf-8")
            try:
                doc = yaml.safe_load(text)
                ls = doc.get("logsource") or {}
            except Exception:
                continue
            web = (ls.get("category") == "webserver"
                   or ls.get("product") in ("iis", "apache", "nginx"))
            wanted = (m.name.startswith("rules/web/webserver_generic/")
                      or m.name.startswith("rules/web/product/")
                      or (m.name.startswith("rules-emerging-threats/") and web))
            if not wanted:
                continue
            path = os.path.join(dest, m.name.replace("/", "__"))
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            picked.append(path)
    return sorted(picked)


def main():
    bootstrap()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sigma-repo", default="/work/.mirror/SigmaHQ+sigma/repo",
                    help="a git checkout or bare snapshot of SigmaHQ/sigma")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "debug", "shellsweep"))
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "sigma-agreement"))
    ap.add_argument("--records", type=int, default=20000, help="ordinary records (default 20000)")
    ap.add_argument("--no-probes", action="store_true",
                    help="leave out the probe rules (one per construct of the detection language)")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--list", type=int, default=5, help="lines shown per disagreeing rule")
    args = ap.parse_args()

    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    rules_dir, logs_dir = os.path.join(out, "rules"), os.path.join(out, "logs")
    os.makedirs(rules_dir)
    os.makedirs(logs_dir)
    paths = select_rules(args.sigma_repo, rules_dir)
    if not args.no_probes:
        paths += write_probes(rules_dir)

    queries, py_refused, parsed = pysigma_queries(paths)
    ours = loaded_ids(args.bin, rules_dir)

    # The generated attack set: one IIS and one combined log.
    iis, comb, secs = list(IIS_HEADER), [], 0
    for rid in sorted(parsed):
        if rid not in ours:
            continue
        for i, (rec, kws) in enumerate(records_for(parsed[rid])):
            r = complete(rec, kws, i % 2 == 1)
            secs += 1
            iis.append(iis_line(r, secs))
            comb.append(combined_line(r, secs))
    for name, lines in (("iis/u_ex250720.log", iis), ("combined/access.log", comb)):
        p = os.path.join(logs_dir, "generated", name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", newline="\n") as f:
            f.write("\n".join(lines) + "\n")

    # Ordinary traffic (its ULS log is left out: no Sigma field lives there).
    sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
    spec = importlib.util.spec_from_file_location("ordinary", os.path.join(HERE, "ordinary-traffic.py"))
    ordinary = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ordinary)
    ordinary.generate(os.path.join(logs_dir, "ordinary"), args.records, args.seed)
    shutil.rmtree(os.path.join(logs_dir, "ordinary", "sharepoint", "ULS"))

    logs = sorted(os.path.join(d, f) for d, _, fs in os.walk(logs_dir) for f in fs)
    db, n_records = load_db(logs)
    py_hits, sql_errors = run_queries(db, queries, "plus")
    strict_hits, _ = run_queries(db, queries, "strict")
    ss_hits, summary, warnings = shellsweep_hits(args.bin, rules_dir, logs)

    # The table.
    print("%-36s %-44s %7s %7s %7s" % ("rule id", "title", "both", "pySigma", "ours"))
    agree, compared, diffs = 0, 0, []
    agree_explained, reasons = 0, collections.Counter()
    for rid in sorted(queries, key=lambda r: queries[r][0]):
        if rid not in ours:
            continue
        title = queries[rid][0][:44]
        if rid in sql_errors:
            print("%-36s %-44s  SQL error: %s" % (rid, title, sql_errors[rid]))
            continue
        a, b = py_hits.get(rid, set()), ss_hits.get(rid, set())
        compared += 1
        same = a == b
        agree += same
        unexplained = 0
        for side, keys in ((True, a - b), (False, b - a)):
            for k in keys:
                why = explain(parsed[rid], k, side)
                if why is None:
                    unexplained += 1
                else:
                    reasons[why] += 1
        agree_explained += unexplained == 0
        mark = "" if same else "  <-- differs" + (" (known causes)" if unexplained == 0 else "")
        print("%-36s %-44s %7d %7d %7d%s" % (rid, title, len(a & b), len(a - b), len(b - a), mark))
        if not same:
            diffs.append((rid, a - b, b - a))
    print()
    print("log set: %d lines parsed (%d generated IIS + %d combined, %d ordinary records)"
          % (n_records, len(iis) - len(IIS_HEADER), len(comb), args.records))
    print("rule files: %d" % len(paths))
    for s in summary:
        print(s)
    for w in warnings:
        print("  " + w)
    print("pySigma refused %d:" % len(py_refused))
    for p, why in sorted(py_refused.items()):
        print("  %s: %s" % (os.path.basename(p), why))
    not_ours = sorted(r for r in queries if r not in ours)
    print("converted by pySigma, not loaded by shellsweep: %d" % len(not_ours))
    for r in not_ours:
        print("  %s %s" % (r, queries[r][0]))
    for rid, err in sorted(sql_errors.items()):
        print("SQL error in %s (%s): %s" % (rid, queries[rid][0], err))
    print("rules compared: %d; same lines: %d (%.1f%%); SQL errors: %d"
          % (compared, agree, 100.0 * agree / max(compared, 1), len(sql_errors)))
    for label, probe in (("SigmaHQ", False), ("probes", True)):
        ids = [r for r in queries if r in ours and r not in sql_errors
               and os.path.basename(queries[r][2]).startswith("probe_") == probe]
        same = sum(py_hits.get(r, set()) == ss_hits.get(r, set()) for r in ids)
        lines = sum(len(py_hits.get(r, set()) | ss_hits.get(r, set())) for r in ids)
        print("  %s: %d of %d rules match the same lines (%d matched lines in all)"
              % (label, same, len(ids), lines))
    print("rules that differ only by known causes: %d; agreement counting them: %.1f%%"
          % (agree_explained - agree, 100.0 * agree_explained / max(compared, 1)))
    for why, n in reasons.most_common():
        print("  %d lines: %s" % (n, why))
    strict = [rid for rid in queries if rid in ours and rid not in sql_errors
              and strict_hits.get(rid, set()) != ss_hits.get(rid, set())]
    print("without the `+` reading on the SQLite side: %d rules differ%s"
          % (len(strict), "".join("\n  %s %s: %d lines only pySigma, %d only shellsweep"
                                   % (r, queries[r][0],
                                      len(strict_hits.get(r, set()) - ss_hits.get(r, set())),
                                      len(ss_hits.get(r, set()) - strict_hits.get(r, set())))
                                   for r in sorted(strict))))
    for rid, only_py, only_ss in diffs:
        print("\n%s %s" % (rid, queries[rid][0]))
        for tag, s in (("only pySigma", only_py), ("only shellsweep", only_ss)):
            for f, n in sorted(s)[:args.list]:
                with open(f, encoding="utf-8", errors="replace") as fh:
                    text = fh.read().split("\n")[n - 1]
                print("  %s %s:%d %s" % (tag, os.path.relpath(f, out), n, text[:300]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
