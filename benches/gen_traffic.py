#!/usr/bin/env python3
"""Generates a realistic web-server log set for the log benchmarks (issue 18), deterministically.

usage: gen_traffic.py OUT [--size-mb N] [--files K] [--combined-mb M] [--seed S]
                          [--iocs FILE --ioc-count N] [--iocs-1k FILE] [--iocs-100k FILE]
       gen_traffic.py --derive-iocs LIST [--iocs-1k FILE] [--iocs-100k FILE]

Writes under OUT:

- W3SVC1/u_exYYMMDD.log: K IIS W3C files (one day each from 2025-07-19, CRLF line ends),
  N MB in all (default 1000). Each starts with its own #Software/#Version/#Date/#Fields block;
  the fields are the IIS 10 defaults plus cs-host and X-Forwarded-For. The requests come
  from scripts/ordinary-traffic.py's SharePoint generator (imported, not copied), the mix
  used to measure false positives: page navigation, sign-ins and sign-outs, static assets,
  search, CSOM and REST calls, uploads, the search crawler, monitoring scripts, 401
  challenges and 404 scanners. About 70% of the lines come straight from internal clients;
  the rest through a reverse proxy (c-ip is the proxy, X-Forwarded-For the internet client).
- combined/apache/access.log-YYYYMMDD and combined/nginx/access.log-YYYYMMDD: M MB (default
  0: none) of combined-format lines from the same script's WordPress (2/3) and PHP shop (1/3)
  generators.

In both, about one line in 50,000 is an attack (ToolShell POSTs to ToolPane.aspx with a
SignOut.aspx referer, requests for dropped ASPX/PHP web shells, web shell commands) and about
one in 20,000 comes from an address of the IOC list (in c-ip or, behind the proxy, in
X-Forwarded-For). --iocs writes that list (N addresses, default 10,000) with a '#' comment
line, and next to it the same addresses alone with the suffix .pat for grep -f and rg -f.
--iocs-1k writes its first tenth (so a tenth of the hits); --iocs-100k the list plus
addresses in 46.0.0.0/8, which never occur, up to 100,000 (the scaling lists of
benches/compare.sh). --derive-iocs makes those two from an existing list, without logs.

The same arguments give the same bytes. Speed: about 1 GB in 1-2 minutes of one core.
"""
import argparse
import importlib.util
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load_ordinary_traffic():
    """The request generators of scripts/ordinary-traffic.py, so both measure the same mix."""
    path = os.path.join(HERE, "..", "scripts", "ordinary-traffic.py")
    spec = importlib.util.spec_from_file_location("ordinary_traffic", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


OT = load_ordinary_traffic()

IIS_FIELDS = ("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
              "cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus sc-win32-status time-taken X-Forwarded-For")
SERVER_IP = "10.20.0.15"
PROXIES = ["10.20.0.4", "10.20.0.5"]
HOST = "portal.contoso.test"
FF120 = "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:120.0)+Gecko/20100101+Firefox/120.0"
# Attack requests, after the shape of the July 2025 SharePoint exploitation (CVE-2025-53770)
# and of web shell use in general: (method, stem, query, user agent, referer, status).
IIS_ATTACKS = [
    ("POST", "/_layouts/15/ToolPane.aspx", "DisplayMode=Edit&a=/ToolPane.aspx", FF120,
     "/_layouts/SignOut.aspx", "200"),
    ("POST", "/_layouts/16/ToolPane.aspx", "DisplayMode=Edit&a=/ToolPane.aspx", FF120,
     "https://portal.contoso.test/_layouts/SignOut.aspx", "200"),
    ("GET", "/_layouts/15/spinstall0.aspx", "-", "curl/8.5.0", "-", "200"),
    ("GET", "/_layouts/15/info3.aspx", "cmd=whoami", "curl/8.5.0", "-", "200"),
    ("POST", "/_layouts/15/error3.aspx", "c=cmd.exe+/c+ipconfig+/all", "python-requests/2.32.3", "-", "200"),
    ("GET", "/aspnet_client/system_web/shell.aspx", "cmd=powershell+-enc+SQBFAFgA", "-", "-", "200"),
]
COMBINED_ATTACKS = [
    ("POST", "/wp-content/uploads/2025/07/wp-conflg.php?cmd=id", "curl/8.5.0", "-", "200"),
    ("GET", "/wp-content/plugins/hello/shell.php?cmd=cat%20/etc/passwd", "python-requests/2.32.3", "-", "200"),
    ("GET", "/upload/x.php?c=uname%20-a", "Wget/1.21.4", "-", "200"),
    ("POST", "/images/alfa.php", FF120.replace("+", " "), "-", "200"),
]
# First octets of the IOC addresses: hosting ranges that ordinary clients here also use, so
# substring searches meet near-misses, as with real feeds.
IOC_OCTETS = [5, 23, 31, 37, 45, 66, 89, 91, 94, 103, 104, 151, 176, 185, 193, 203]
ATTACK_EVERY = 50000
IOC_EVERY = 20000
BATCH = 20000


def ioc_addresses(rng, count, avoid):
    out, seen = [], set(avoid)
    while len(out) < count:
        a = "%d.%d.%d.%d" % (rng.choice(IOC_OCTETS), rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))
        if a not in seen:
            seen.add(a)
            out.append(a)
    return out


def write_list(path, ips, what):
    with open(path, "w") as f:
        f.write("# benchmark IOC list (%s): %d IPv4 addresses\n" % (what, len(ips)))
        f.write("\n".join(ips) + "\n")
    with open(os.path.splitext(path)[0] + ".pat", "w") as f:  # no comment line, for grep/rg -f
        f.write("\n".join(ips) + "\n")


def write_scaled_lists(ips, one_k, hundred_k):
    """1k: the first tenth; 100k: all of them plus addresses in 46/8, which never occur."""
    if one_k:
        write_list(one_k, ips[: max(1, len(ips) // 10)], "first tenth")
    if hundred_k:
        rng = random.Random(100)
        have = set(ips)
        extra = set()
        while len(extra) < 100000 - len(ips):
            a = "46.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))
            if a not in have:
                extra.add(a)
        write_list(hundred_k, ips + sorted(extra), "list plus never-seen 46/8")


def client_pools(rng):
    internal = sorted({OT.client(rng, True) for _ in range(6000)})
    external = sorted({OT.client(rng, False) for _ in range(60000)})
    return internal, external


def day_of(k):
    return 19 + k  # 2025-07-19 onwards; K stays below 13 in July


def write_day(path, budget, header, line_len, counter, make_line):
    """Writes `header`, then lines from make_line(n, secs) (n counts lines across files, secs
    spreads them over the day) until `budget` bytes, in batches. Returns the line count."""
    est_lines = max(1, budget // line_len)
    written = 0
    i = 0
    with open(path, "w", newline="") as f:
        f.write(header)
        written += len(header)
        while written < budget:
            out = []
            blen = 0
            for _ in range(BATCH):
                n = counter[0] = counter[0] + 1
                secs = min(86399, i * 86400 // est_lines)
                i += 1
                line = make_line(n, secs)
                out.append(line)
                blen += len(line)
                if written + blen >= budget:
                    break
            block = "".join(out)
            f.write(block)
            written += len(block)
    return i


def iis_file(path, budget, k, rng, pools, iocs, counter):
    internal, external = pools
    day = day_of(k)
    header = ("#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n"
              "#Date: 2025-07-%02d 00:00:00\r\n%s\r\n" % (day, IIS_FIELDS))

    def line(n, secs):
        ts = "2025-07-%02d %02d:%02d:%02d" % (day, secs // 3600, secs // 60 % 60, secs % 60)
        proxied = rng.random() < 0.3
        if n % ATTACK_EVERY == 0:
            method, stem, query, ua, ref, status = IIS_ATTACKS[(n // ATTACK_EVERY) % len(IIS_ATTACKS)]
            user, sub = "-", "0"
            addr = rng.choice(external)
        else:
            method, stem, query, user, ua, ref, status = OT.sharepoint_request(rng)
            sub = "2" if status == "401" else "0"
            addr = rng.choice(external) if proxied else rng.choice(internal)
            ua = ua.replace(" ", "+")
            ref = ref.replace(" ", "+")
        if n % IOC_EVERY == 0:
            addr = iocs[(n // IOC_EVERY * 7919) % len(iocs)]
        if proxied:
            cip, xff = PROXIES[n & 1], addr
        else:
            cip, xff = addr, "-"
        return "%s %s %s %s %s 443 %s %s %s %s %s %s %s 0 %d %s\r\n" % (
            ts, SERVER_IP, method, stem.replace(" ", "+"), query, user, cip, ua, ref, HOST,
            status, sub, rng.randrange(1, 900), xff)

    return write_day(path, budget, header, 280, counter, line)  # about 280 bytes a line


def combined_file(path, budget, k, rng, pools, iocs, counter, request):
    _, external = pools
    day = day_of(k)

    def line(n, secs):
        ts = "%02d/Jul/2025:%02d:%02d:%02d +0000" % (day, secs // 3600, secs // 60 % 60, secs % 60)
        if n % ATTACK_EVERY == 0:
            method, target, ua, ref, status = COMBINED_ATTACKS[(n // ATTACK_EVERY) % len(COMBINED_ATTACKS)]
        else:
            method, target, ua, ref, status = request(rng)
        addr = iocs[(n // IOC_EVERY * 7919) % len(iocs)] if n % IOC_EVERY == 0 else rng.choice(external)
        return '%s - - [%s] "%s %s HTTP/1.1" %s %d "%s" "%s"\n' % (
            addr, ts, method, target.replace(" ", "%20"), status, rng.randrange(0, 60000), ref, ua)

    return write_day(path, budget, "", 225, counter, line)  # about 225 bytes a line


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", nargs="?")
    ap.add_argument("--size-mb", type=int, default=1000, help="IIS log set size (default 1000)")
    ap.add_argument("--files", type=int, default=8, help="IIS files, one day each (default 8, at most 12)")
    ap.add_argument("--combined-mb", type=int, default=0, help="combined-format set size (default 0: none)")
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--iocs", help="write the IOC list here (and FILE.pat)")
    ap.add_argument("--ioc-count", type=int, default=10000)
    ap.add_argument("--iocs-1k", help="write the first tenth of the IOC list here")
    ap.add_argument("--iocs-100k", help="write the IOC list padded to 100,000 with never-seen addresses here")
    ap.add_argument("--derive-iocs", metavar="LIST", help="make --iocs-1k/--iocs-100k from LIST; no logs")
    args = ap.parse_args()

    if args.derive_iocs:
        with open(args.derive_iocs) as f:
            ips = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        write_scaled_lists(ips, args.iocs_1k, args.iocs_100k)
        return
    if not args.out:
        ap.error("OUT is required")
    if not 1 <= args.files <= 12:
        ap.error("--files must be 1 to 12")
    rng = random.Random(args.seed)
    pools = client_pools(rng)
    iocs = ioc_addresses(rng, args.ioc_count, pools[0] + pools[1])
    if args.iocs:
        write_list(args.iocs, iocs, "gen_traffic.py seed %d" % args.seed)
    write_scaled_lists(iocs, args.iocs_1k, args.iocs_100k)

    counter = [0]
    iis_dir = os.path.join(args.out, "W3SVC1")
    os.makedirs(iis_dir, exist_ok=True)
    total = args.size_mb * 1000000
    lines = 0
    for k in range(args.files):
        budget = total // args.files + (total % args.files if k == args.files - 1 else 0)
        lines += iis_file(os.path.join(iis_dir, "u_ex2507%02d.log" % day_of(k)), budget, k, rng, pools, iocs, counter)
    print("gen_traffic: %s: %d IIS files, %d lines" % (iis_dir, args.files, lines), file=sys.stderr)
    if args.combined_mb > 0:
        total = args.combined_mb * 1000000
        for name, request, share in (("apache", OT.wordpress_request, 2), ("nginx", OT.shop_request, 1)):
            d = os.path.join(args.out, "combined", name)
            os.makedirs(d, exist_ok=True)
            files = max(1, args.files // 2)
            part = total * share // 3 // files
            lines = sum(combined_file(os.path.join(d, "access.log-202507%02d" % day_of(k)), part, k, rng, pools, iocs,
                                      counter, request) for k in range(files))
            print("gen_traffic: %s: %d files, %d lines" % (d, files, lines), file=sys.stderr)


if __name__ == "__main__":
    main()
