#!/usr/bin/env python3
"""Findings per 100,000 records on ordinary web traffic (no attacks), per log format and rule.

    scripts/ordinary-traffic.py [--records N] [--seed S] [--out DIR] [--bin PATH]
                                [--real LOG]... [-- EXTRA SCAN ARGS]

Writes a deterministic mix of ordinary requests under DIR (default: a temporary folder,
removed afterwards) and scans it with `shellsweep scan --format jsonl`:

- sharepoint/u_ex*.log: SharePoint IIS W3C. Page views, sign-outs (SignOut.aspx), editors
  opening and saving web parts (ToolPane.aspx?DisplayMode=Edit), CSOM and REST calls
  (_vti_bin, _api), document uploads, the search crawler, monitoring scripts, 401
  challenges, and internet scanners that probe for the ToolShell web shell names (404).
- sharepoint/ULS/*.log: the ULS request records of the same kind of traffic.
- aspnet/u_ex*.log: a plain IIS / ASP.NET site: WebForms postbacks, .axd resources, upload
  handlers, API calls.
- apache/access.log: WordPress in the combined format: wp-login, admin-ajax heartbeats,
  uploads, xmlrpc, wp-cron, the REST API, searches, feeds, bots and 404 scanners (.env,
  .git, wp-config.php.bak, shell names under uploads).
- nginx/access.log: a PHP shop and file manager in the combined format: search and
  category pages, an upload handler under /upload/, elFinder connector calls, 404 scanners.

The share of each kind follows what busy sites of that type show; the point is the kinds of
routine requests, so every rule meets the ones it could mistake for an attack. Real logs
given with --real are scanned too and reported on their own (keep them outside the
repository). Arguments after `--` go to `shellsweep scan` (e.g. `--no-bundled-rules --rules
rules` to measure edited rules with an existing binary, or `--hunt`).

A measurement, not a test: it prints the table and exits 0 unless the scanner fails.
"""

import argparse
import collections
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

FF120 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0"
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    FF120,
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36",
]
OFFICE = [
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
    "Microsoft Office Word 2014",
    "Microsoft-WebDAV-MiniRedir/10.0.19045",
    "OneDrive/23.111 (Windows NT 10.0; SP 2019)",
]
CRAWLER = "Mozilla/4.0 (compatible; MSIE 4.01; Windows NT; MS Search 6.0 Robot)"
SCRIPTS = ["curl/8.5.0", "python-requests/2.32.3",
           "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.4648",
           "Go-http-client/1.1", "Wget/1.21.4"]
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
]
SCANNER_UAS = ["Mozilla/5.0 zgrab/0.x", "Mozilla/5.0 (compatible; Nuclei)", "-",
               "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36",
               "python-requests/2.31.0", FF120]
WORDS = ["quarterly", "report", "budget", "holiday", "policy", "onboarding", "travel", "expenses",
         "project", "plan", "minutes", "contract", "invoice", "roadmap", "hr", "it", "id", "card",
         "linux", "command", "network", "user", "guide", "dir", "net", "shell", "server"]
# What people on a technical site sometimes type into a search box: command names that
# web shells run, as the first words of a search.
TECH_SEARCHES = ["whoami", "whoami+command", "net+user+add", "uname+-a+output", "cat+/etc/passwd+format",
                 "ipconfig+/all", "systeminfo+windows", "id", "dir", "ls+-la", "tasklist+filter", "wmic+product+get"]
SITES = ["", "/sites/hr", "/sites/finance", "/sites/it", "/teams/projects"]
LISTS = ["Shared Documents", "Documents", "Site Pages", "Lists/Tasks", "Lists/Announcements"]
DOCS = ["report.docx", "Budget 2025.xlsx", "minutes.pdf", "slides.pptx", "photo.jpg", "plan.vsdx"]


def guid(rng):
    return "%08X-%04X-%04X-%04X-%012X" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16),
                                          rng.getrandbits(16), rng.getrandbits(48))


def pct(s):
    out = []
    for ch in s:
        if ch.isalnum() or ch in "-_.~/":
            out.append(ch)
        else:
            out.extend("%%%02X" % b for b in ch.encode())
    return "".join(out)


def client(rng, internal):
    if internal:
        return "10.%d.%d.%d" % (rng.randrange(1, 40), rng.randrange(256), rng.randrange(1, 255))
    return "%d.%d.%d.%d" % (rng.choice([23, 31, 45, 66, 81, 94, 104, 151, 185, 203]),
                            rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))


def search_terms(rng):
    if rng.random() < 0.01:
        return rng.choice(TECH_SEARCHES)
    return "+".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 4)))


# --- SharePoint -------------------------------------------------------------------------

def sharepoint_request(rng):
    """(method, stem, query, user, ua, referer, status) of one ordinary SharePoint request."""
    site = rng.choice(SITES)
    host = "https://portal.contoso.test"
    user = rng.choice(["CONTOSO\\jdoe", "CONTOSO\\asmith", "0#.w|contoso\\mlee", "0#.w|contoso\\bwong"])
    ua = rng.choice(BROWSERS)
    ref = rng.choice(["-", host + "/", host + site + "/SitePages/Home.aspx"])
    r = rng.random()
    if r < 0.16:
        return ("GET", site + "/_layouts/15/start.aspx", "-", user, ua, ref, "200")
    if r < 0.22:
        # Sign-out: the request the July 2025 exploit spoofed as Referer, but here the users'
        # own, with browsers that include the Firefox 120 of the exploitation waves.
        q = rng.choice(["-", "-", "Source=%2F" + pct(site.lstrip("/")) + "%2FSitePages%2FHome.aspx"])
        return ("GET", "/_layouts/15/SignOut.aspx", q, rng.choice([user, "-"]), ua, ref,
                rng.choice(["200", "302"]))
    if r < 0.24:
        return ("GET", "/_layouts/15/signout.aspx", "-", "-", ua, host + "/_layouts/15/SignOut.aspx", "200")
    if r < 0.27:
        # Editors opening and saving web part properties: GET, then postback POSTs to the
        # same ToolPane.aspx?DisplayMode=Edit URL with the page itself as Referer.
        q = "DisplayMode=Edit&ID=%d&Source=%s" % (rng.randrange(1, 40), pct(site + "/SitePages/Home.aspx"))
        method = rng.choice(["GET", "POST", "POST"])
        tp_ref = host + "/_layouts/15/ToolPane.aspx?" + q if method == "POST" else host + site + "/SitePages/Home.aspx"
        return (method, site + "/_layouts/15/ToolPane.aspx", q, user, ua, tp_ref, "200")
    if r < 0.30:
        return ("GET", "/_layouts/15/ToolPane.aspx", "DisplayMode=Edit&ID=%d" % rng.randrange(1, 40),
                "-", ua, ref, "401")
    if r < 0.42:
        return ("POST", site + "/_vti_bin/client.svc/ProcessQuery", "-", user, rng.choice(BROWSERS + OFFICE),
                host + site + "/SitePages/Home.aspx", "200")
    if r < 0.52:
        q = rng.choice(["$select=Title,Id&$top=100", "$filter=Author/Id+eq+12&$orderby=Modified+desc",
                        "$expand=Fields&$select=Id,FileRef", "-"])
        stem = rng.choice(["/_api/web/lists", "/_api/web/currentuser", "/_api/contextinfo",
                           "/_api/web/lists/getbytitle('Tasks')/items", "/_api/search/query",
                           "/_api/SP.UserProfiles.PeopleManager/GetMyProperties"])
        if stem == "/_api/search/query":
            q = "querytext='%s'&rowlimit=10" % search_terms(rng)
        method = "POST" if stem == "/_api/contextinfo" else "GET"
        return (method, site + stem, q, user, ua, ref, rng.choice(["200", "200", "200", "304"]))
    if r < 0.56:
        # Document uploads: the classic page, REST, and WebDAV/Office PUTs.
        k = rng.random()
        doc = rng.choice(DOCS)
        if k < 0.4:
            return ("POST", site + "/_layouts/15/Upload.aspx", "List=%%7B%s%%7D&RootFolder=&IsDlg=1" % guid(rng),
                    user, ua, host + site + "/Shared%20Documents/Forms/AllItems.aspx", "200")
        if k < 0.7:
            return ("POST", site + "/_api/web/GetFolderByServerRelativeUrl('%s')/Files/add(url='%s',overwrite=true)"
                    % (site + "/Shared Documents", doc), "-", user, ua, ref, "200")
        return ("PUT", site + "/Shared Documents/" + doc, "-", user, rng.choice(OFFICE), "-", "201")
    if r < 0.62:
        return ("POST", site + "/_vti_bin/" + rng.choice(["lists.asmx", "webs.asmx", "sites.asmx", "UserProfileService.asmx"]),
                "-", user, rng.choice(OFFICE + BROWSERS), "-", "200")
    if r < 0.72:
        stem = rng.choice(["/_layouts/15/init.js", "/_layouts/15/1033/styles/corev15.css", "/_layouts/15/images/spcommon.png",
                           "/_layouts/15/blank.js", "/_layouts/15/userphoto.aspx", "/_layouts/15/images/favicon.ico",
                           "/_layouts/15/sp.runtime.js", "/_layouts/15/sp.js"])
        q = "size=S&accountname=CONTOSO%5Cjdoe" if "userphoto" in stem else rng.choice(["-", "rev=vesDJ2oT9vQ1dTlQhwZQJQ%3D%3D"])
        return ("GET", stem, q, user, ua, ref, rng.choice(["200", "304", "304"]))
    if r < 0.80:
        stem = site + rng.choice(["/SitePages/Home.aspx", "/default.aspx", "/Shared%20Documents/Forms/AllItems.aspx",
                                  "/Lists/Tasks/AllItems.aspx", "/_layouts/15/viewlsts.aspx", "/_layouts/15/osssearchresults.aspx",
                                  "/_layouts/15/user.aspx", "/_layouts/15/settings.aspx", "/_layouts/15/success.aspx"])
        q = "k=%s" % search_terms(rng) if "search" in stem else "-"
        return ("GET", stem, q, user, ua, ref, "200")
    if r < 0.84:
        return ("GET", "/_layouts/15/Authenticate.aspx", "Source=%2F" + pct(site.lstrip("/")), "-", ua, ref, "302")
    if r < 0.91:
        return ("GET", site + "/SitePages/Home.aspx", "-", "-", ua, "-", "401")
    if r < 0.95:
        return ("GET", site + rng.choice(["/_vti_bin/sitedata.asmx", "/Shared Documents/" + rng.choice(DOCS), "/default.aspx"]),
                "-", "0#.w|contoso\\svc_crawl", CRAWLER, "-", "200")
    if r < 0.985:
        # Monitoring scripts and health checks.
        return ("GET", rng.choice(["/_layouts/15/start.aspx", "/", "/_api/web/title", "/_vti_bin/spsdisco.aspx"]), "-",
                "CONTOSO\\svc_monitor", rng.choice(SCRIPTS), "-", "200")
    if r < 0.997:
        return ("GET", "/_layouts/15/error.aspx", "ErrorText=Access%20denied", user, ua, ref, "200")
    # Internet-wide scanners checking whether someone else's web shell is there.
    return ("GET", "/_layouts/15/" + rng.choice(["spinstall0.aspx", "spinstall.aspx", "ghostfile346.aspx", "info3.aspx"]),
            "-", "-", rng.choice(SCANNER_UAS), "-", "404")


def iis_line(ts, fields, rng, internal, host):
    method, stem, query, user, ua, ref, status = fields
    sub = "2" if status == "401" else "0"
    return "%s 10.20.0.15 %s %s %s 443 %s %s %s %s %s %s %s 0 %d %d -" % (
        ts, method, stem.replace(" ", "+"), query, user,
        client(rng, internal), ua.replace(" ", "+"), ref.replace(" ", "+"), host, status, sub,
        rng.randrange(200, 90000), rng.randrange(1, 900))


IIS_FIELDS = ("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
              "cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes time-taken X-Forwarded-For")


def iis_header(day):
    return ["#Software: Microsoft Internet Information Services 10.0", "#Version: 1.0",
            "#Date: 2025-07-%02d 00:00:00" % day, IIS_FIELDS]


def uls_line(ts, fields, rng):
    method, stem, query, _, _, _, _ = fields
    url = "https://portal.contoso.test:443" + stem + ("?" + query if query != "-" else "")
    return "\t".join([ts, "w3wp.exe (0x2A1C)", "0x%04X" % rng.randrange(65536), "SharePoint Foundation",
                      "Logging Correlation Data", "xmnv", "Medium", "Name=Request (%s:%s)" % (method, url), guid(rng).lower()])


# --- plain IIS / ASP.NET ----------------------------------------------------------------

def aspnet_request(rng):
    ua = rng.choice(BROWSERS + BOTS)
    ref = rng.choice(["-", "https://www.example.test/", "https://www.example.test/products.aspx"])
    r = rng.random()
    if r < 0.25:
        return ("GET", rng.choice(["/", "/default.aspx", "/products.aspx", "/about.aspx", "/contact.aspx"]),
                rng.choice(["-", "-", "id=%d" % rng.randrange(1, 500), "cat=%d&page=%d" % (rng.randrange(1, 20), rng.randrange(1, 9))]),
                "-", ua, ref, "200")
    if r < 0.40:
        return ("GET", rng.choice(["/WebResource.axd", "/ScriptResource.axd"]),
                "d=%s&t=638%012d" % ("".join(rng.choice("abcdefABCDEF0123456789-_") for _ in range(40)), rng.randrange(10**12)),
                "-", ua, ref, rng.choice(["200", "304"]))
    if r < 0.55:
        return ("GET", rng.choice(["/bundles/jquery", "/Content/site.css", "/Scripts/app.js", "/Images/logo.png",
                                   "/Uploads/images/banner.jpg", "/favicon.ico"]), rng.choice(["-", "v=1.4.2"]), "-", ua, ref,
                rng.choice(["200", "304"]))
    if r < 0.65:
        # WebForms postbacks.
        return ("POST", rng.choice(["/Account/Login.aspx", "/contact.aspx", "/checkout.aspx"]), "-", "-",
                rng.choice(BROWSERS), "https://www.example.test/", rng.choice(["200", "302"]))
    if r < 0.72:
        # Upload handlers that live in upload-named folders, answering 200.
        return ("POST", rng.choice(["/Upload/FileUpload.ashx", "/upload/upload.aspx", "/Media/Upload.ashx",
                                    "/files/handler.ashx", "/images/crop.ashx", "/Handlers/ImageUpload.ashx"]),
                rng.choice(["-", "folder=avatars", "type=image"]), "-", rng.choice(BROWSERS),
                "https://www.example.test/profile.aspx", "200")
    if r < 0.88:
        return (rng.choice(["GET", "GET", "POST"]), "/api/v1/" + rng.choice(["orders", "products", "cart", "users/me"]),
                rng.choice(["-", "page=2&size=50", "sort=id&dir=desc", "q=" + search_terms(rng)]), "-",
                rng.choice(BROWSERS + SCRIPTS), "-", rng.choice(["200", "200", "201", "204", "400"]))
    if r < 0.94:
        return ("GET", "/search.aspx", "q=" + search_terms(rng), "-", ua, ref, "200")
    # 404 scanners.
    return (rng.choice(["GET", "GET", "POST"]), rng.choice(["/.env", "/.git/config", "/wp-login.php", "/phpinfo.php",
                                                            "/admin.php", "/shell.aspx", "/upload/cmd.aspx", "/aspnet_client/x.aspx",
                                                            "/web.config.bak", "/owa/auth/x.js", "/autodiscover/autodiscover.json"]),
            "-", "-", rng.choice(SCANNER_UAS), "-", "404")


# --- Apache / nginx combined ------------------------------------------------------------

def wordpress_request(rng):
    ua = rng.choice(BROWSERS)
    host = "https://blog.example.test"
    ref = rng.choice(["-", host + "/", host + "/2025/06/hello-world/", "https://www.google.com/"])
    r = rng.random()
    if r < 0.22:
        return ("GET", rng.choice(["/", "/2025/06/hello-world/", "/about/", "/category/news/", "/page/2/", "/contact/"]),
                ua, ref, "200")
    if r < 0.40:
        y, m = rng.choice([2023, 2024, 2025]), rng.randrange(1, 13)
        name = rng.choice(["photo", "IMG_%04d" % rng.randrange(10000), "header", "logo", "screenshot"])
        return ("GET", "/wp-content/uploads/%d/%02d/%s-%dx%d.%s" % (y, m, name, rng.choice([150, 300, 768, 1024]),
                                                                     rng.choice([150, 200, 576, 768]), rng.choice(["jpg", "png", "webp"])),
                ua, ref, rng.choice(["200", "304"]))
    if r < 0.52:
        return ("GET", rng.choice(["/wp-content/themes/twentytwentyfour/style.css?ver=1.2",
                                   "/wp-includes/js/jquery/jquery.min.js?ver=3.7.1",
                                   "/wp-content/plugins/contact-form-7/includes/js/index.js?ver=5.9.8",
                                   "/wp-includes/css/dist/block-library/style.min.css?ver=6.6.1"]), ua, ref, rng.choice(["200", "304"]))
    if r < 0.60:
        return ("POST", "/wp-admin/admin-ajax.php", ua, host + "/wp-admin/post.php?post=%d&action=edit" % rng.randrange(1, 900), "200")
    if r < 0.63:
        return (rng.choice(["GET", "POST", "POST"]), "/wp-login.php" + rng.choice(["", "", "?action=lostpassword", "?loggedout=true"]),
                rng.choice(BROWSERS + SCRIPTS), ref, rng.choice(["200", "302"]))
    if r < 0.66:
        return ("POST", "/xmlrpc.php", rng.choice(["WordPress/6.6.1; https://other.example.test", "Jetpack by WordPress.com"] + SCRIPTS),
                "-", rng.choice(["200", "405"]))
    if r < 0.69:
        return ("POST", "/wp-cron.php?doing_wp_cron=17512%05d.%04d" % (rng.randrange(100000), rng.randrange(10000)),
                "WordPress/6.6.1; https://blog.example.test", "-", "200")
    if r < 0.72:
        return ("GET", rng.choice(["/wp-json/wp/v2/posts?per_page=10&page=2", "/wp-json/wp/v2/users/1",
                                   "/wp-json/oembed/1.0/embed?url=https%3A%2F%2Fblog.example.test%2F2025%2F06%2Fhello-world%2F",
                                   "/wp-json/wp/v2/search?search=" + search_terms(rng)]), ua, ref, "200")
    if r < 0.76:
        return ("GET", "/?s=" + search_terms(rng), ua, ref, "200")
    if r < 0.78:
        # Media uploads from the editor: async-upload.php, not a script in uploads.
        return ("POST", rng.choice(["/wp-admin/async-upload.php", "/wp-admin/media-new.php"]), ua,
                host + "/wp-admin/upload.php", "200")
    if r < 0.81:
        return ("GET", rng.choice(["/wp-admin/", "/wp-admin/edit.php", "/wp-admin/upload.php?mode=grid",
                                   "/wp-admin/post.php?post=%d&action=edit" % rng.randrange(1, 900)]), ua, ref, "200")
    if r < 0.90:
        return ("GET", rng.choice(["/robots.txt", "/sitemap.xml", "/wp-sitemap-posts-post-1.xml", "/feed/", "/2025/06/hello-world/"]),
                rng.choice(BOTS), "-", "200")
    # 404 scanners and exploit-kit probes for other people's shells and leaked files.
    path = rng.choice(["/.env", "/.git/config", "/wp-config.php.bak", "/wp-config.php~", "/.aws/credentials",
                       "/wp-content/uploads/x.php", "/wp-content/uploads/2025/07/wp-conflg.php", "/alfa.php", "/wso.php",
                       "/wp-content/plugins/wp-file-manager/lib/php/connector.minimal.php", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
                       "/phpmyadmin/", "/admin/config.php", "/cgi-bin/luci", "/wp-includes/wlwmanifest.xml", "/xmlrpc.php?rsd"])
    return (rng.choice(["GET", "GET", "POST"]), path, rng.choice(SCANNER_UAS), "-", "404")


def shop_request(rng):
    ua = rng.choice(BROWSERS)
    host = "https://shop.example.test"
    ref = rng.choice(["-", host + "/", host + "/index.php?route=product/category&path=20"])
    r = rng.random()
    if r < 0.30:
        return ("GET", rng.choice(["/", "/index.php?route=product/category&path=%d" % rng.randrange(18, 60),
                                   "/index.php?route=product/product&product_id=%d" % rng.randrange(28, 50),
                                   "/index.php?route=product/search&search=%s" % search_terms(rng),
                                   "/shop/list.php?orderby=id&page=%d" % rng.randrange(1, 9),
                                   "/index.php?route=checkout/cart"]), ua, ref, "200")
    if r < 0.50:
        return ("GET", rng.choice(["/image/cache/catalog/demo/iphone_1-228x228.jpg", "/catalog/view/javascript/common.js",
                                   "/images/banner.png", "/media/logo.svg", "/files/catalogue.pdf"]), ua, ref, rng.choice(["200", "304"]))
    if r < 0.58:
        # The site's own upload and image handlers, in folders named after what they handle.
        return ("POST", rng.choice(["/upload/upload.php", "/upload/index.php", "/images/captcha.php", "/media/ajax.php",
                                    "/files/download.php", "/uploads/handler.php"]), ua, host + "/account/", "200")
    if r < 0.66:
        # elFinder file manager connector.
        q = rng.choice(["cmd=open&target=l1_Lw&init=1&tree=1", "cmd=ls&target=l1_%s&intersect%%5B%%5D=photo.jpg" % "VXBsb2Fkcw",
                        "cmd=file&target=l1_cGhvdG8uanBn", "cmd=tree&target=l1_VXBsb2Fkcw", "cmd=parents&target=l1_Lw",
                        "cmd=size&targets%5B%5D=l1_Lw"])
        return (rng.choice(["GET", "POST"]), "/admin/elfinder/php/connector.minimal.php?" + q, ua, host + "/admin/", "200")
    if r < 0.72:
        return ("POST", "/index.php?route=account/login", ua, host + "/index.php?route=account/login", rng.choice(["200", "302"]))
    if r < 0.80:
        return (rng.choice(["GET", "POST"]), "/api/" + rng.choice(["cart", "stock?id=%d" % rng.randrange(99), "orders?sort=id",
                                                                   "search?q=%s" % search_terms(rng), "status"]),
                rng.choice(BROWSERS + SCRIPTS), "-", "200")
    if r < 0.90:
        return ("GET", rng.choice(["/robots.txt", "/sitemap.xml", "/index.php?route=product/product&product_id=40"]),
                rng.choice(BOTS), "-", "200")
    path = rng.choice(["/.env", "/.git/HEAD", "/config.php.bak", "/shell.php", "/upload/shell.php", "/images/x.php",
                       "/phpinfo.php", "/server-status", "/.DS_Store", "/backup.zip", "/admin/", "/boaform/admin/formLogin",
                       "/actuator/health", "/solr/admin/info/system"])
    return (rng.choice(["GET", "GET", "POST"]), path, rng.choice(SCANNER_UAS), "-", "404")


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def combined_line(secs, fields, rng):
    method, target, ua, ref, status = fields
    day, rest = 19 + secs // 86400 % 10, secs % 86400
    ts = "%02d/Jul/2025:%02d:%02d:%02d +0000" % (day, rest // 3600, rest // 60 % 60, rest % 60)
    return '%s - - [%s] "%s %s HTTP/1.1" %s %d "%s" "%s"' % (
        client(rng, False), ts, method, target.replace(" ", "%20"), status, rng.randrange(0, 60000), ref, ua)


# --- driver -----------------------------------------------------------------------------

def iis_ts(secs):
    day, rest = 19 + secs // 86400 % 10, secs % 86400
    return "2025-07-%02d %02d:%02d:%02d" % (day, rest // 3600, rest // 60 % 60, rest % 60)


def write(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")


def generate(out, records, seed):
    """Writes the mix; returns {dataset: records}."""
    rng = random.Random(seed)
    shares = {"sharepoint": 0.40, "aspnet": 0.15, "apache": 0.30, "nginx": 0.15}
    counts = {k: int(records * v) for k, v in shares.items()}
    uls_count = counts["sharepoint"] // 20

    sp = []
    for i in range(counts["sharepoint"]):
        if i % 200000 == 0:
            sp.extend(iis_header(19 + i // 200000 % 10))
        sp.append(iis_line(iis_ts(i // 6), sharepoint_request(rng), rng, True, "portal.contoso.test"))
    write(os.path.join(out, "sharepoint", "W3SVC1", "u_ex2507.log"), sp)
    del sp
    header = "\t".join(["Timestamp              ", "Process                                 ", "TID   ", "Area                          ",
                        "Category                      ", "EventID", "Level     ", "Message ", "Correlation"])
    uls = [header]
    for i in range(uls_count):
        secs = i * 4
        day, rest = 19 + secs // 86400 % 10, secs % 86400
        ts = "07/%02d/2025 %02d:%02d:%02d.%02d " % (day, rest // 3600, rest // 60 % 60, rest % 60, rng.randrange(100))
        uls.append(uls_line(ts, sharepoint_request(rng), rng))
    write(os.path.join(out, "sharepoint", "ULS", "SRV01-20250719-0900.log"), uls)

    asp = iis_header(19)
    for i in range(counts["aspnet"]):
        asp.append(iis_line(iis_ts(i // 3), aspnet_request(rng), rng, False, "www.example.test"))
    write(os.path.join(out, "aspnet", "W3SVC2", "u_ex2507.log"), asp)

    write(os.path.join(out, "apache", "access.log"),
          (combined_line(i // 4, wordpress_request(rng), rng) for i in range(counts["apache"])))
    write(os.path.join(out, "nginx", "access.log"),
          (combined_line(i // 2, shop_request(rng), rng) for i in range(counts["nginx"])))
    counts["uls"] = uls_count
    return counts


DATASET_OF = [("sharepoint/ULS", "uls"), ("sharepoint", "sharepoint"), ("aspnet", "aspnet"),
              ("apache", "apache"), ("nginx", "nginx")]


def scan(binary, paths, extra):
    proc = subprocess.run([binary, "scan", "--format", "jsonl", "--quiet", *extra, *paths],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode not in (0, 1):
        sys.exit("shellsweep failed (%d): %s" % (proc.returncode, proc.stderr))
    findings, summary = [], None
    for line in proc.stdout.splitlines():
        obj = json.loads(line)
        if "rule" in obj:
            findings.append(obj)
        else:
            summary = obj
    return findings, summary


def per_100k(n, records):
    return 100000.0 * n / records if records else 0.0


def report(title, findings, records_by_set, set_of):
    total = sum(records_by_set.values())
    print("== %s: %d records, %d findings, %.2f per 100,000 records" % (title, total, len(findings), per_100k(len(findings), total)))
    by_set = collections.Counter()
    by_rule = collections.Counter()
    examples = {}
    for f in findings:
        s = set_of(f["log"]["file"]["path"])
        key = (s, f["rule"]["id"], f["event"]["severity_name"])
        by_set[s] += 1
        by_rule[key] += 1
        examples.setdefault(key, f["event"].get("original", ""))
    for s, n in sorted(records_by_set.items()):
        print("   %-12s %9d records %7d findings %9.2f per 100k" % (s, n, by_set[s], per_100k(by_set[s], n)))
    for (s, rule, sev), n in by_rule.most_common():
        print("   %-12s %-24s %-8s %7d   e.g. %s" % (s, rule, sev, n, examples[(s, rule, sev)][:160]))


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=1000000, help="generated records (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=20250719)
    ap.add_argument("--out", help="keep the generated logs in DIR")
    ap.add_argument("--bin", default="target/release/shellsweep")
    ap.add_argument("--real", action="append", default=[], help="a real access log to scan as well (repeatable)")
    args = ap.parse_args(argv)

    out = args.out or tempfile.mkdtemp(prefix="ordinary-traffic.")
    try:
        counts = generate(out, args.records, args.seed)
        findings, _ = scan(args.bin, [out], extra)

        def set_of(path):
            rel = os.path.relpath(path, out)
            return next(name for prefix, name in DATASET_OF if rel.startswith(prefix))

        report("generated (seed %d)" % args.seed, findings, counts, set_of)
    finally:
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)
    for real in args.real:
        findings, summary = scan(args.bin, [real], extra)
        records = summary["shellsweep"]["summary"]["logs"]["records"]
        report("real: %s" % real, findings, {os.path.basename(real): records}, lambda _p: os.path.basename(real))


if __name__ == "__main__":
    main()
