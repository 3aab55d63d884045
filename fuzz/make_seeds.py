#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ from the repository's fixtures and
rules, plus hostile cases. Deterministic; run from anywhere: python3 fuzz/make_seeds.py"""
import gzip
import hashlib
import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "corpus"
FIX = ROOT / "fixtures"

def put(target, data, name=None):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    name = name or hashlib.sha1(data).hexdigest()[:16]
    (d / name).write_bytes(data)

def text_of(p):
    raw = p.read_bytes()
    if raw.startswith(b"\x1f\x8b"):
        raw = gzip.decompress(raw)
    if raw.startswith(b"\xff\xfe"):
        return raw[2:].decode("utf-16-le").encode()
    return raw

iis = text_of(FIX / "logs/iis/W3SVC1/u_ex250719.log")
uls = text_of(FIX / "logs/sharepoint/LOGS/SRV01-20250719-0900.log")
combined = (FIX / "logs/apache2/access.log").read_bytes()
iocs = (FIX / "iocs/toolshell.txt").read_bytes()
rules = sorted((ROOT / "rules").glob("*.yml"))

HOSTILE = [
    b"", b"\n", b"\r", b"\r\r\r", b"a\rb\rc", b"\r\n\r\n", b"\x00", b"\x00" * 64,
    b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\xff\xfea\x00\n\x00", b"\xfe\xff\x00a\x00\n",
    b"\xff\xfe\x00\xd8\n\x00",  # lone surrogate
    b"\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc\xf8\xa1\xa1\xa1\xa1",  # invalid UTF-8
    b"A" * 70000, b"%" * 100, b"%zz%4%41%%41",
    b"\x1f\x8b", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",  # truncated gzip
]

def lines(b):
    return [l for l in b.split(b"\n") if l.strip()]

# iis: whole file, directive + each data line, hostile.
put("iis", iis, "fixture")
hdr = [l for l in lines(iis) if l.startswith(b"#Fields")][0]
for l in lines(iis):
    if not l.startswith(b"#"):
        put("iis", hdr + b"\n" + l)
put("iis", b"#Fields: date time c-ip cs(X-Forwarded-For) cs-host cs(Cookie) x-custom\n2025-07-19 07:00:00 1.2.3.4 ::ffff:5.6.7.8,[2001:db8::1]:443 host:80 a=b zz")
put("iis", b"#Fields:\n \n#Fields: date\n2025-13-45 99:99:99")
put("iis", b"#Fields: date time\n2025-07-19 24:00:60\n9999-99-99 00:00:00\n-0001-01-01 00:00:00")
for h in HOSTILE[:16]:
    put("iis", hdr + b"\n" + h)

# combined
put("combined", combined, "fixture")
for l in lines(combined):
    put("combined", l)
put("combined", b'1.2.3.4 - - [31/Feb/2025:25:61:61 +9999] "GET /%ZZ%2 HTTP/1.1" 200 1 "-" "-"')
put("combined", b'1.2.3.4 - - [19/Jul/2025:09:14:03 +0200] "GET /\\"x\\" HTTP/1.1" 200')
put("combined", b'1.2.3.4 - - [19/Jul/2025:09:14:03 +0200] "')
put("combined", b'[::1]:80 - - [] "" - - "" ""')
for h in HOSTILE:
    put("combined", h)

# uls: the fixture (decoded, as the scanner sees it) and stitched pieces.
put("uls", uls, "fixture")
ul = lines(uls)
put("uls", b"\n".join(ul[:3]))
put("uls", ul[0] + b"\n" + b"07/19/2025 09:13:02.27\tw3wp.exe (0x2A1C)\t0x3B40\tA\tB\tx\tMedium\tfirst part...\tc\n07/19/2025 09:13:02.27*\tw3wp.exe (0x2A1C)\t0x3B40\tA\tB\tx\tMedium\t...second part\tc")
put("uls", ul[0] + b"\n07/19/2025 09:13:02.27*\tp\tt\n07/19/2025\n...\t...\t...")
put("uls", b"Timestamp\tProcess\tTID\tMessage\n" + b"x\tp\tt\tm...\n" * 5 + b"x*\tp\tt\t...end\n")
for h in HOSTILE[:16]:
    put("uls", ul[0] + b"\n" + h)

# sniff: selector byte + head.
for i, head in enumerate([iis, uls, combined, b"hello world\n", b"<?php eval($_POST[1]); ?>"]):
    for sel in range(0, 10, 3):
        put("sniff", bytes([sel + i]) + head[:4096])
for h in HOSTILE[:16]:
    put("sniff", b"\x00" + h)

# ioc_plain
put("ioc_plain", iocs, "fixture")
for l in lines(iocs):
    put("ioc_plain", l)
put("ioc_plain", b"hxxps://evil[.]example[.]com/path?q=1\nhXXp://1.2.3[.]4:8080/\n1.2.3.4/33\n::/0\n0.0.0.0/0\nfe80::1%eth0\n[2001:db8::1]\n*.example.com\n.\n..\nd41d8cd98f00b204e9800998ecf8427e\nda39a3ee5e6b4b0d3255bfef95601890afd80709\nspinstall0.aspx\n1.2.3.4 # comment\n1.2.3.4,desc,more\n\t")
for h in HOSTILE:
    put("ioc_plain", h)

# rules_loader: each bundled rule file, pieces of them, broken YAML.
for p in rules:
    put("rules_loader", p.read_bytes(), p.stem)
    t = p.read_bytes()
    put("rules_loader", t[: len(t) // 2])
put("rules_loader", b"- id: x\n  name: [unclosed\n")
put("rules_loader", b"&a [*a]\n")
put("rules_loader", b"a: &x\n  b: *x\n" * 3)
put("rules_loader", b"- " * 200 + b"x")
put("rules_loader", b"[" * 200)
put("rules_loader", b"{" * 200)
put("rules_loader", b"%YAML 1.2\n---\n!!binary aGk=\n...\n")
for h in HOSTILE[:16]:
    put("rules_loader", h)

# line_reader: flags byte, prefix byte, stream.
def lr(flags, prefix, stream):
    put("line_reader", bytes([flags, prefix]) + stream)
gz_combined = gzip.compress(combined, mtime=0)
lr(0x00, 0, combined)
lr(0x01, 0, gz_combined)
lr(0x01, 0, gz_combined + gz_combined)  # multi-member
lr(0x01, 0, gz_combined[: len(gz_combined) // 2])  # truncated gzip
lr(0x01, 0, gz_combined[:-4] + b"\0\0\0\0")  # bad trailer
lr(0x00, 3, b"\xff\xfe" + "a\r\nb\nc\r".encode("utf-16-le"))
lr(0x00, 3, b"\xfe\xff" + "a\r\nb\nc".encode("utf-16-be"))
lr(0x00, 0, b"\xef\xbb\xbf" + iis)
lr(0x01, 0, gzip.compress(b"\xff\xfe" + "x\ny".encode("utf-16-le"), mtime=0))
lr(0x02, 1, b"abc\ndefghij\r\nk")
lr(0x04, 5, b"a\r\rb\r\n\rc\n\n\n")
lr(0xF6, 0, b"x" * 1000 + b"\n" + b"y" * 10)
lr(0x16, 200, bytes(range(256)))
long_gz = gzip.compress(b"A" * 300000 + b"\r\nB\n" + b"C" * 70000, mtime=0)  # lines past the 256 KiB chunk, small on disk
for flags in (0x01, 0x0D, 0x0F, 0x31):
    lr(flags, 9, long_gz)
for h in HOSTILE:
    lr(0x00, 1, h)
    lr(0x21, 0, h)

# engine_scan: selector byte + content (webroot fixtures, log lines).
web = sorted(p for p in (FIX / "webroot").rglob("*") if p.is_file())
ben = sorted(p for p in (FIX / "benign").rglob("*") if p.is_file())
for i, p in enumerate(web + ben):
    b = p.read_bytes()
    if len(b) <= 64 * 1024:
        put("engine_scan", bytes([i % 9]) + b)
for i, l in enumerate(lines(iis) + lines(combined) + ul[:4]):
    put("engine_scan", bytes([i % 9]) + l)
for h in HOSTILE[:16]:
    put("engine_scan", b"\x00" + h)

# ioc_formats: byte 0 = name index (0..5) + 6 * prefix index (0..5); see fuzz/src/lib.rs.
for p in sorted((FIX / "iocs").iterdir()):
    b = p.read_bytes()
    name = {"hash-iocs.txt": 1, "filename-iocs.txt": 2, "c2-iocs.txt": 3,
            "misp-export.csv": 4, "toolshell-stix.json": 5}.get(p.name, 0)
    put("ioc_formats", bytes([name]) + b)
stix = (FIX / "iocs/toolshell-stix.json").read_bytes()
put("ioc_formats", bytes([5]) + stix[: len(stix) // 2])  # truncated bundle
put("ioc_formats", bytes([5]) + stix.replace(b"\n", b"\n\n"))
put("ioc_formats", bytes([6 * 1]) + b'{"type":"indicator","pattern":"[ipv4-addr:value = \'203.0.113.7\']"}]}')
put("ioc_formats", bytes([6 * 2]) + b"[domain-name:value = 'evil.example'] OR [url:value = 'http://x/y']\"}]}")
put("ioc_formats", bytes([6 * 3]) + b"1,2,Network activity,ip-dst,203.0.113.7,c,1,2025\n3,4,Payload delivery,filename|sha256,a.aspx|" + b"a" * 64 + b",,1,\n")
put("ioc_formats", bytes([6 * 4]) + b"ip,1.2.3.4\nsha256,zz\n,\n\"a,b\",c\n")
for h in HOSTILE[:16]:
    put("ioc_formats", bytes([6]) + h)

# allowlist: the documented example and edge cases.
put("allowlist", b"allow:\n  - sha256: " + b"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" + b"\n    reason: r\n  - path: /var/www/html/vendor/**\n    reason: r\n  - rule: SSW-WEBSHELL-003\n    path: /var/www/html/admin/tools/*.php\n    reason: r\n")
put("allowlist", b"allow:\n  - path: '**/up/cache.php'\n    reason: test fixture\n")
put("allowlist", b"allow:\n  - path: '[a-'\n  - sha256: XYZ\n  - {}\n  - rule: 7\n")
put("allowlist", b"allow: &a\n  - *a\n")
for h in HOSTILE[:16]:
    put("allowlist", h)

# state_file: a state of the shape `--state` writes, with the harness's rule-set hash.
import json
state = {"version": 3, "ruleset": "fuzz", "files": [{"path": "eC5waHA=", "stamp": {"dev": 1, "ino": 2, "size": 3, "mtime_ns": 4, "ctime_ns": 5}, "findings": [{"first_seen": "2026-01-01T00:00:00Z", "doc": {"rule": {"id": "SSW-X"}, "event": {"severity_name": "high"}, "file": {"hash": {"sha256": "ab"}}}}]}],
         "logs": [{"path": "L3Zhci9sb2cvYQ==", "stamp": {"dev": 1, "ino": 2, "size": 3, "mtime_ns": 4, "ctime_ns": 5}, "fingerprint": "00", "fingerprint_len": 1, "next_line": 2, "offset": 10, "tail": "00", "tail_len": 1, "read_to": 12, "pending": [11]}]}
put("state_file", json.dumps(state))
put("state_file", json.dumps(dict(state, version=2)))
put("state_file", json.dumps(dict(state, version=1)))
put("state_file", json.dumps(dict(state, version=99)))
put("state_file", json.dumps(dict(state, ruleset="other")))
put("state_file", json.dumps(state)[:100])
for h in HOSTILE[:16]:
    put("state_file", h)

# canon: byte 0 picks the script name (php, phtml, jsp, jspx, aspx, ashx, asmx, ascx). C#
# sources go in as user controls: the bundled rules name no `.cs`, so a `.cs` gets no view,
# and a page without server tags is lexed whole as code, as a source is.
script = {".php": 0, ".phtml": 1, ".jsp": 2, ".jspx": 3, ".aspx": 4, ".ashx": 5, ".asmx": 6, ".ascx": 7, ".cs": 7}
for p in web + ben:
    if p.suffix.lower() in script and p.stat().st_size <= 64 * 1024:
        put("canon", bytes([script[p.suffix.lower()]]) + p.read_bytes())
for i, h in enumerate(HOSTILE[:16]):
    put("canon", bytes([i % 8]) + b"<?php " + h)
put("canon", b"\x00<?php $a='as'.'sert'; $b=\"\\x65\\x76\\x61\\x6c\"; $a(base64_decode('ZXZhbCgkX1BPU1RbMV0pOw=='));")
put("canon", b"\x02<% String c = \"Run\" + \"time\"; Class.forName(\"java.lang.\" + c); %>\"\\u0065\\u0076")
put("canon", b"\x04<%@ Page Language=\"C#\" %><% var t = \"Sys\" + \"tem.Diagnostics.Process\"; /* */ @\"x\"\"y\" %>")

for t in sorted(os.listdir(OUT)):
    print(t, len(os.listdir(OUT / t)))
