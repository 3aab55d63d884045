//! Deterministic inputs shared by the micro-benchmarks: the same bytes on every run and
//! machine, shaped like the corpora of `gen_webroot.py` and `gen_iis.py`.

#![allow(dead_code)]

use shellsweep::Engine;
use shellsweep::Loader;

/// xorshift64*: small, fast, and the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "user", "post", "page", "id", "name", "value", "config", "cache", "session", "request",
    "response", "data", "item", "list", "render", "template", "query", "result", "error",
    "message", "admin", "login", "upload", "image", "file", "path", "title", "content", "status",
];

const PHP: &[&str] = &[
    "$@ = isset($_GET['@']) ? intval($_GET['@']) : 0;",
    "echo htmlspecialchars($@, ENT_QUOTES, 'UTF-8');",
    "function @_@($@) { return array_map('trim', (array) $@); }",
    "$@ = $wpdb->get_results($wpdb->prepare(\"SELECT * FROM @ WHERE id = %d\", $@));",
    "if (!empty($_POST['@'])) { update_option('@', sanitize_text_field($_POST['@'])); }",
    "// @ @ @ @ exec system eval",
    "include_once __DIR__ . '/@/@.php';",
];

const ASPX: &[&str] = &[
    "protected void @_@(object sender, EventArgs e) { var @ = Request.QueryString[\"@\"]; }",
    "<asp:Label ID=\"@\" runat=\"server\" Text=\"@ @\" /> <!-- @ -->",
    "var @ = new List<string> { \"@\", \"@\", \"@\" };",
    "Response.Write(Server.HtmlEncode(@.@(@, @)));",
    "// Process.Start is not called here; @ @",
];

/// Lines from `templates` (`@` stands for a word) until `size` bytes.
pub fn text(seed: u64, templates: &[&str], size: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(size + 256);
    while out.len() < size {
        for part in rng.pick(templates).split_inclusive('@') {
            match part.strip_suffix('@') {
                Some(head) => {
                    out.extend_from_slice(head.as_bytes());
                    out.extend_from_slice(rng.pick(WORDS).as_bytes());
                }
                None => out.extend_from_slice(part.as_bytes()),
            }
        }
        out.push(b'\n');
    }
    out.truncate(size);
    out
}

pub fn php(size: usize) -> Vec<u8> {
    let mut b = b"<?php\n".to_vec();
    b.extend(text(1, PHP, size.saturating_sub(6)));
    b
}

pub fn aspx(size: usize) -> Vec<u8> {
    let mut b = b"<%@ Page Language=\"C#\" %>\n".to_vec();
    b.extend(text(2, ASPX, size.saturating_sub(27)));
    b
}

/// `buf` with `line` inserted in the middle, on a line of its own.
pub fn with_line(mut buf: Vec<u8>, line: &[u8]) -> Vec<u8> {
    let mid = buf.len() / 2;
    let at = buf[mid..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(buf.len(), |p| mid + p + 1);
    let mut ins = line.to_vec();
    ins.push(b'\n');
    buf.splice(at..at, ins);
    buf
}

pub fn binary(size: usize) -> Vec<u8> {
    let mut rng = Rng::new(3);
    (0..size).map(|_| rng.next() as u8).collect()
}

pub fn bundled_engine() -> Engine {
    let mut loader = Loader::new();
    loader.add_bundled();
    let (rules, _warnings) = loader.finish().expect("bundled rules load");
    Engine::new(rules).expect("bundled rules compile")
}

pub fn ipv4(rng: &mut Rng, first: &[u8]) -> String {
    format!(
        "{}.{}.{}.{}",
        rng.pick(first),
        rng.below(256),
        rng.below(256),
        1 + rng.below(254)
    )
}

/// Client addresses as in gen_iis.py: never in the 45.0.0.0/8 IOC range.
pub const CLIENT_NETS: &[u8] = &[10, 172, 192, 198, 203, 81, 94, 185];

pub const IIS_FIELDS: &str = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus sc-win32-status time-taken X-Forwarded-For";

const STEMS: &[&str] = &[
    "/_layouts/15/start.aspx",
    "/SitePages/Home.aspx",
    "/_layouts/15/images/spcommon.png",
    "/_vti_bin/client.svc/ProcessQuery",
    "/_api/web/lists",
    "/Shared%20Documents/Forms/AllItems.aspx",
    "/_layouts/15/init.js",
    "/owa/auth/logon.aspx",
    "/api/v1/orders",
    "/robots.txt",
];
const QUERIES: &[&str] = &[
    "-",
    "-",
    "-",
    "ver=16.0.5000",
    "id=4&mode=view",
    "$select=Title,Id&$top=100",
    "ReturnUrl=%2f_layouts%2f15%2fstart.aspx",
    "q=quarterly+report&page=2",
];
const UAS: &[&str] = &[
    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/126.0.0.0+Safari/537.36",
    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:128.0)+Gecko/20100101+Firefox/128.0",
    "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.17328;+Pro)",
    "-",
    "Googlebot/2.1+(+http://www.google.com/bot.html)",
];
const REFS: &[&str] = &[
    "-",
    "-",
    "https://portal.contoso.test/",
    "https://portal.contoso.test/SitePages/Home.aspx",
];
const STATUS: &[&str] = &[
    "200", "200", "200", "200", "200", "304", "302", "404", "500",
];

/// IIS W3C data lines for [`IIS_FIELDS`], no terminators; one in 500 is an attack.
pub fn iis_lines(n: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(7);
    (0..n)
        .map(|i| {
            let ts = format!("2025-07-19 {:02}:{:02}:{:02}", i / 3600 % 24, i / 60 % 60, i % 60);
            let client = ipv4(&mut rng, CLIENT_NETS);
            let line = if i % 500 == 499 {
                format!(
                    "{ts} 10.20.0.15 POST /_layouts/15/ToolPane.aspx DisplayMode=Edit&a=/ToolPane.aspx 443 - {client} Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:120.0)+Gecko/20100101+Firefox/120.0 /_layouts/SignOut.aspx portal.contoso.test 200 0 0 611 -"
                )
            } else {
                format!(
                    "{ts} 10.20.0.15 {} {} {} 443 - {client} {} {} portal.contoso.test {} 0 0 {} -",
                    if rng.below(100) < 85 { "GET" } else { "POST" },
                    rng.pick(STEMS),
                    rng.pick(QUERIES),
                    rng.pick(UAS),
                    rng.pick(REFS),
                    rng.pick(STATUS),
                    1 + rng.below(3000)
                )
            };
            line.into_bytes()
        })
        .collect()
}

/// Apache/nginx combined lines; one in 500 is a web shell request.
pub fn combined_lines(n: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(8);
    (0..n)
        .map(|i| {
            let client = ipv4(&mut rng, CLIENT_NETS);
            let (req, ua) = if i % 500 == 499 {
                ("POST /wp-content/uploads/2025/07/x.php?cmd=whoami HTTP/1.1".to_owned(), "antSword/v2.1")
            } else {
                let stem = rng.pick(&["/", "/index.php", "/wp-login.php", "/wp-content/themes/x/style.css", "/api/v1/orders"]);
                let q = rng.pick(&["", "?p=42", "?s=quarterly+report", "?ver=6.5.2"]);
                (format!("GET {stem}{q} HTTP/1.1"), "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
            };
            format!(
                "{client} - - [19/Jul/2025:{:02}:{:02}:{:02} +0200] \"{req}\" {} {} \"{}\" \"{ua}\"",
                i / 3600 % 24,
                i / 60 % 60,
                i % 60,
                rng.pick(STATUS),
                rng.below(50_000),
                rng.pick(REFS),
            )
            .into_bytes()
        })
        .collect()
}

pub const ULS_HEADER: &str = "Timestamp              \tProcess                                 \tTID   \tArea                          \tCategory                      \tEventID\tLevel     \tMessage \tCorrelation";

/// SharePoint ULS lines after the header; one record in 10 is split over two segments.
pub fn uls_lines(n: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(9);
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    while out.len() < n {
        let ts = format!(
            "07/19/2025 {:02}:{:02}:{:02}.{:02}",
            i / 3600 % 24,
            i / 60 % 60,
            i % 60,
            i % 100
        );
        let pid = 0x2A1C + rng.below(4);
        let tid = 0x3B40 + rng.below(16);
        let corr = format!(
            "5b1e2f9a-0c11-4e7e-9d1a-{:012x}",
            rng.next() & 0xFFFF_FFFF_FFFF
        );
        let head = format!(
            "w3wp.exe (0x{pid:04X})\t0x{tid:04X}\tSharePoint Foundation\tMonitoring\tnasq\tMedium"
        );
        if i % 10 == 9 {
            out.push(format!("{ts} \t{head}\tEntering monitored scope (Request (POST:https://portal.contoso.test:443/_layouts/15/ToolPane.aspx?DisplayMode=Edit&a=/ToolPane.aspx)). Parent No...\t{corr}").into_bytes());
            out.push(format!("{ts}*\t{head}\t...Name=Request (POST:https://portal.contoso.test:443/_layouts/15/ToolPane.aspx?DisplayMode=Edit)\t{corr}").into_bytes());
        } else {
            out.push(
                format!(
                    "{ts} \t{head}\tLeaving Monitored Scope ({}). Execution Time={}.{}\t{corr}",
                    rng.pick(WORDS),
                    rng.below(100),
                    rng.below(10_000)
                )
                .into_bytes(),
            );
        }
        i += 1;
    }
    out.truncate(n);
    out
}

/// `lines` joined with CRLF, as IIS writes them, after `header`.
pub fn joined(header: &str, lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = header.as_bytes().to_vec();
    out.extend_from_slice(b"\r\n");
    for l in lines {
        out.extend_from_slice(l);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// An IOC list of `n` IPv4 addresses in 45.0.0.0/8 (gen_iis.py's range), one per line.
pub fn ioc_list(n: usize) -> (String, Vec<String>) {
    let mut rng = Rng::new(45);
    let ips: Vec<String> = (0..n).map(|_| ipv4(&mut rng, &[45])).collect();
    let mut text = format!("# {n} IPv4 addresses\n");
    for ip in &ips {
        text.push_str(ip);
        text.push('\n');
    }
    (text, ips)
}
