#!/usr/bin/env python3
"""Generates a deterministic IIS W3C log and an IOC list for log benchmarks.

usage: gen_iis.py OUT.log --size-mb N [--seed S] [--iocs FILE --ioc-count K]

Lines follow the IIS 10 default field set plus cs-host and X-Forwarded-For, with a realistic
mix: SharePoint and ASP.NET pages, static assets, API calls, query strings, browser and bot
user agents, mostly 200/304 with some 302/401/404/500, a new #Fields block every 100 MB.
About one line in 50,000 carries an attack (ToolShell request, shell command, tunnel) and
about one in 20,000 comes from an address on the IOC list.
"""
import argparse
import random

STEMS = ["/_layouts/15/start.aspx", "/SitePages/Home.aspx", "/_layouts/15/images/spcommon.png",
         "/_vti_bin/client.svc/ProcessQuery", "/_api/web/lists", "/default.aspx", "/Shared%20Documents/Forms/AllItems.aspx",
         "/_layouts/15/init.js", "/_layouts/15/1033/styles/corev15.css", "/favicon.ico", "/api/v1/orders",
         "/owa/auth/logon.aspx", "/ecp/default.aspx", "/_layouts/15/userphoto.aspx", "/_layouts/15/blank.js",
         "/sites/hr/Lists/Tasks/AllItems.aspx", "/_layouts/15/viewlsts.aspx", "/robots.txt"]
QUERIES = ["-", "-", "-", "-", "ver=16.0.5000", "id=4&mode=view", "RootFolder=%2Fsites%2Fhr%2FShared%20Documents",
           "$select=Title,Id&$top=100", "size=S&accountname=CONTOSO%5Cjdoe", "ReturnUrl=%2f_layouts%2f15%2fstart.aspx",
           "q=quarterly+report&page=2", "List=%7B1B2C%7D&ID=17"]
UAS = ["Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/126.0.0.0+Safari/537.36",
       "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:128.0)+Gecko/20100101+Firefox/128.0",
       "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.17328;+Pro)",
       "Mozilla/5.0+(compatible;+MSIE+9.0;+Windows+NT+6.1;+Trident/5.0)", "-",
       "Mozilla/5.0+(iPhone;+CPU+iPhone+OS+17_5+like+Mac+OS+X)+AppleWebKit/605.1.15+(KHTML,+like+Gecko)+Version/17.5+Mobile/15E148+Safari/604.1",
       "Googlebot/2.1+(+http://www.google.com/bot.html)"]
REFS = ["-", "-", "https://portal.contoso.test/", "https://portal.contoso.test/SitePages/Home.aspx",
        "https://portal.contoso.test/sites/hr/Lists/Tasks/AllItems.aspx"]
STATUS = ["200"] * 14 + ["304"] * 3 + ["302", "401", "404", "500"]
USERS = ["-", "-", "CONTOSO\\jdoe", "CONTOSO\\asmith", "0#.w|contoso\\svc_crawl"]
ATTACKS = [
    "POST /_layouts/15/ToolPane.aspx DisplayMode=Edit&a=/ToolPane.aspx 443 - {ip} Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:120.0)+Gecko/20100101+Firefox/120.0 /_layouts/SignOut.aspx portal.contoso.test 200 0 0 611 -",
    "GET /_layouts/15/spinstall0.aspx - 443 - {ip} curl/8.5.0 - portal.contoso.test 200 0 0 47 -",
    "GET /_layouts/15/info3.aspx cmd=whoami 443 - {ip} curl/8.5.0 - portal.contoso.test 200 0 0 12 -",
]
FIELDS = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus sc-win32-status time-taken X-Forwarded-For"


def ip(rng):
    return "%d.%d.%d.%d" % (rng.choice([10, 172, 192, 198, 203, 81, 94, 185]), rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--iocs")
    ap.add_argument("--ioc-count", type=int, default=10000)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    ioc_ips = ["45.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)) for _ in range(args.ioc_count)]
    if args.iocs:
        with open(args.iocs, "w") as f:
            f.write("# generated IOC list: %d IPv4 addresses\n" % len(ioc_ips))
            f.write("\n".join(ioc_ips) + "\n")
    limit = args.size_mb << 20
    # A pool of pre-built request tails keeps generation fast and the mix realistic.
    pool = []
    for _ in range(20000):
        stem = rng.choice(STEMS)
        pool.append("%s %s %s 443 %s @CLIENT@ %s %s portal.contoso.test %s 0 0 %d -" % (
            "GET" if rng.random() < 0.85 else "POST", stem, rng.choice(QUERIES), rng.choice(USERS),
            rng.choice(UAS), rng.choice(REFS), rng.choice(STATUS), rng.randrange(1, 3000)))
    written = 0
    n = 0
    next_header = 0
    with open(args.out, "w", newline="\r\n") as f:
        while written < limit:
            if written >= next_header:
                block = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2025-07-19 00:00:00\n" + FIELDS + "\n"
                f.write(block)
                written += len(block)
                next_header += 100 << 20
            n += 1
            secs = n // 40
            ts = "2025-07-%02d %02d:%02d:%02d" % (19 + secs // 86400 % 10, secs // 3600 % 24, secs // 60 % 60, secs % 60)
            if n % 50000 == 0:
                line = "%s 10.20.0.15 %s\n" % (ts, ATTACKS[(n // 50000) % len(ATTACKS)].format(ip=ip(rng)))
            else:
                client = rng.choice(ioc_ips) if n % 20000 == 0 else ip(rng)
                line = "%s 10.20.0.15 %s\n" % (ts, rng.choice(pool).replace("@CLIENT@", client))
            f.write(line)
            written += len(line) + 1
    print("wrote %s: %d lines, %d bytes" % (args.out, n, written))


if __name__ == "__main__":
    main()
