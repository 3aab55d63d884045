//! Which server config a file is, reading it within bounds, and what its parser hands back.
//!
//! Configs come from the machine under investigation, so they are treated as hostile input:
//! a size cap (a config is kilobytes; a multi-megabyte one is an accident or an attack on
//! the scanner), no following of `Include`s, text decoded leniently so one bad byte does not
//! lose a whole site's mappings.

use std::io::Read;
use std::path::Path;

use super::WebrootError;

/// The largest config read. Real ones are far below it; a bigger file is refused whole
/// rather than read in part, because half a config gives wrong mappings, not fewer.
pub(crate) const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

/// The server configs shellsweep reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConfigKind {
    /// IIS `applicationHost.config`.
    Iis,
    /// Apache httpd: `httpd.conf`, `apache2.conf` and their included site files.
    Apache,
    /// nginx: `nginx.conf` and its included site files.
    Nginx,
    /// Tomcat `conf/server.xml`.
    Tomcat,
}

/// Folders that hold included site files in Debian's and Red Hat's layouts.
const SITE_FOLDERS: &[&str] = &[
    "sites-enabled",
    "sites-available",
    "conf.d",
    "conf-enabled",
    "conf-available",
];

/// Tells a config by its name and the folders around it. The walk calls this on every
/// file, so it only looks at the last three components and allocates nothing.
pub(crate) fn kind_by_name(path: &Path) -> Option<ConfigKind> {
    let bytes = path.as_os_str().as_encoded_bytes();
    let mut comps = super::path::components(bytes).rev();
    let name = comps.next()?;
    let parent = comps.next().unwrap_or_default();
    let eq = |a: &[u8], b: &str| a.eq_ignore_ascii_case(b.as_bytes());
    if eq(name, "applicationHost.config") {
        return Some(ConfigKind::Iis);
    }
    if eq(name, "httpd.conf") || eq(name, "apache2.conf") {
        return Some(ConfigKind::Apache);
    }
    if eq(name, "nginx.conf") {
        return Some(ConfigKind::Nginx);
    }
    if eq(name, "server.xml") && eq(parent, "conf") {
        return Some(ConfigKind::Tomcat);
    }
    if !SITE_FOLDERS.iter().any(|f| eq(parent, f)) {
        return None;
    }
    let server = comps.next().unwrap_or_default();
    let dot_conf = name.len() > 5 && eq(&name[name.len() - 5..], ".conf");
    if (eq(server, "apache2") || eq(server, "httpd")) && dot_conf {
        return Some(ConfigKind::Apache);
    }
    // Debian's nginx site files have no extension (`sites-enabled/default`).
    let bare = !name.contains(&b'.') && eq(parent, "sites-enabled");
    if eq(server, "nginx") && (dot_conf || bare) {
        return Some(ConfigKind::Nginx);
    }
    None
}

/// Tells a config by what it says, for a file given by name outside the usual places.
pub(crate) fn kind_by_content(text: &str) -> Option<ConfigKind> {
    let head = &text[..floor_char_boundary(text, 64 * 1024)];
    // A `<sites>` section kept apart through `configSource` has no such wrapper.
    if head.contains("<system.applicationHost")
        || (head.contains("<sites") && head.contains("physicalPath="))
    {
        return Some(ConfigKind::Iis);
    }
    if head.contains("<Server") && (head.contains("<Host") || head.contains("<Service")) {
        return Some(ConfigKind::Tomcat);
    }
    let has_word = |w: &str| {
        head.lines().map(str::trim_start).any(|l| {
            l.len() > w.len() && l.is_char_boundary(w.len()) && l[..w.len()].eq_ignore_ascii_case(w)
        })
    };
    if has_word("DocumentRoot ") || has_word("<VirtualHost ") || has_word("Alias ") {
        return Some(ConfigKind::Apache);
    }
    if has_word("server {") || has_word("http {") || has_word("server{") || has_word("root ") {
        return Some(ConfigKind::Nginx);
    }
    None
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Reads a config whole, refusing what is not a regular file (a FIFO would block the run)
/// or is over [`MAX_CONFIG_BYTES`]. UTF-16 with a byte-order mark is decoded (Windows tools
/// write it); anything else is taken as UTF-8, invalid bytes replaced.
pub(crate) fn read(path: &Path) -> Result<String, WebrootError> {
    let io_err = |source| WebrootError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if !meta.is_file() {
        return Err(io_err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    let too_large = || WebrootError::TooLarge {
        path: path.to_path_buf(),
        limit: MAX_CONFIG_BYTES,
    };
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io_err)?
        .take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    // The file may have grown since `metadata`.
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(too_large());
    }
    Ok(decode(&bytes))
}

/// Bytes to text: BOMs honoured, invalid UTF-8 replaced rather than refused.
pub(crate) fn decode(bytes: &[u8]) -> String {
    let utf16 = |rest: &[u8], from: fn([u8; 2]) -> u16| {
        let units: Vec<u16> = rest.chunks_exact(2).map(|c| from([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// What a parser found in one config, before it is placed in the map.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub(crate) mappings: Vec<Raw>,
    /// Line and description of what was skipped.
    pub(crate) not_followed: Vec<(usize, String)>,
    /// Tomcat `appBase` folders other than `webapps`, whose subfolders are applications.
    pub(crate) app_bases: Vec<String>,
}

#[cfg(test)]
impl Parsed {
    /// Each mapping as (prefix, folder, site), for the parsers' tests.
    pub(crate) fn rows(&self) -> Vec<(&str, &str, usize)> {
        self.mappings
            .iter()
            .map(|r| (r.prefix.as_str(), r.folder.as_str(), r.site))
            .collect()
    }
}

/// One mapping as a parser reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Raw {
    pub(crate) prefix: String,
    pub(crate) folder: String,
    /// The site within the config (virtual host, `server`, IIS site, Tomcat host).
    pub(crate) site: usize,
    /// Where the config says it, for the not-followed list.
    pub(crate) line: usize,
}

/// A parser's complaint, placed at a line of its config.
#[derive(Debug)]
pub(crate) struct ParseError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_name(p: &str) -> Option<ConfigKind> {
        kind_by_name(Path::new(p))
    }

    #[test]
    fn names_and_places_tell_the_kind() {
        use ConfigKind::*;
        assert_eq!(
            by_name("/mnt/e/Windows/System32/inetsrv/config/applicationHost.config"),
            Some(Iis)
        );
        assert_eq!(by_name("/x/APPLICATIONHOST.CONFIG"), Some(Iis));
        assert_eq!(by_name("/etc/httpd/conf/httpd.conf"), Some(Apache));
        assert_eq!(by_name("/etc/apache2/apache2.conf"), Some(Apache));
        assert_eq!(
            by_name("/etc/apache2/sites-enabled/000-default.conf"),
            Some(Apache)
        );
        assert_eq!(by_name("/etc/httpd/conf.d/ssl.conf"), Some(Apache));
        assert_eq!(by_name("/etc/nginx/nginx.conf"), Some(Nginx));
        assert_eq!(by_name("/etc/nginx/conf.d/shop.conf"), Some(Nginx));
        assert_eq!(by_name("/etc/nginx/sites-enabled/default"), Some(Nginx));
        assert_eq!(by_name("/opt/tomcat/conf/server.xml"), Some(Tomcat));
    }

    #[test]
    fn look_alikes_are_not_configs() {
        assert_eq!(by_name("/opt/app/server.xml"), None);
        assert_eq!(by_name("/etc/apache2/sites-enabled/readme.txt"), None);
        assert_eq!(by_name("/etc/foo/conf.d/x.conf"), None);
        assert_eq!(by_name("/etc/nginx/conf.d/.conf"), None);
        assert_eq!(by_name("/var/www/html/index.php"), None);
        assert_eq!(by_name(""), None);
    }

    #[test]
    fn content_tells_the_kind_of_an_oddly_named_file() {
        use ConfigKind::*;
        let iis = "<configuration><system.applicationHost><sites/></system.applicationHost>";
        assert_eq!(kind_by_content(iis), Some(Iis));
        let sites = r#"<sites><site name="a"><application path="/"><virtualDirectory physicalPath="E:\a"/>"#;
        assert_eq!(kind_by_content(sites), Some(Iis));
        let tomcat = "<?xml version='1.0'?>\n<Server port=\"8005\"><Service name=\"Catalina\">";
        assert_eq!(kind_by_content(tomcat), Some(Tomcat));
        assert_eq!(kind_by_content("  documentroot /srv/www\n"), Some(Apache));
        assert_eq!(kind_by_content("server {\n  root /srv;\n}\n"), Some(Nginx));
        assert_eq!(kind_by_content("hello\n"), None);
    }

    #[test]
    fn decoding_honours_boms_and_survives_bad_bytes() {
        assert_eq!(decode(b"\xEF\xBB\xBFroot"), "root");
        assert_eq!(decode(b"\xFF\xFEr\0o\0"), "ro");
        assert_eq!(decode(b"\xFE\xFF\0r\0o"), "ro");
        assert_eq!(decode(b"a\xFFb"), "a\u{FFFD}b");
    }

    #[test]
    fn reading_refuses_what_is_not_a_small_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(read(dir.path()), Err(WebrootError::Read { .. })));
        assert!(matches!(
            read(&dir.path().join("missing.conf")),
            Err(WebrootError::Read { .. })
        ));
        let big = dir.path().join("big.conf");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_CONFIG_BYTES + 1).unwrap();
        assert!(matches!(read(&big), Err(WebrootError::TooLarge { .. })));
    }
}
