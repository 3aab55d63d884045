//! Tomcat: applications are folders of the host's `appBase` (`webapps/` unless
//! `server.xml` says otherwise), each served under its own name, plus any `<Context>` that
//! `server.xml` declares.
//!
//! Folder names follow Tomcat's naming: `ROOT` is `/`, `#` stands for `/` (`shop#admin` is
//! `/shop/admin/`) and `##` starts a version that is not part of the URL (`shop##2.1`).
//! `<Context>` files under `conf/Catalina/HOST/` are not read; `server.xml`'s own
//! `<Context>` elements are.

use std::path::Path;

use super::config::{ParseError, Parsed, Raw};
use super::path::components;

/// For a file under `…/webapps/NAME/`, the number of components up to `NAME` and the name.
/// The last `webapps` wins (`/srv/webapps/tomcat/webapps/ROOT/x.jsp`). Allocation-free.
pub(crate) fn infer_webapps(path: &[u8]) -> Option<(usize, &[u8])> {
    let mut found = None;
    let mut prev: Option<(usize, &[u8])> = None;
    let mut prev2: Option<(usize, &[u8])> = None;
    for (i, c) in components(path).enumerate() {
        // `c` is a component below `prev` (NAME) below `prev2` (webapps).
        if let (Some((_, base)), Some((n, name))) = (prev2, prev)
            && base.eq_ignore_ascii_case(b"webapps")
            && !name.starts_with(b".")
        {
            found = Some((n + 1, name));
        }
        prev2 = prev;
        prev = Some((i, c));
    }
    found
}

/// The URL prefix of an application folder named `name`, as segments.
pub(crate) fn app_prefix(name: &str) -> Vec<String> {
    let name = name.split_once("##").map_or(name, |(n, _)| n);
    if name.eq_ignore_ascii_case("ROOT") || name.is_empty() {
        return Vec::new();
    }
    name.split('#')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reads `server.xml`. `CATALINA_BASE` is the parent of the folder holding it, as Tomcat
/// lays itself out, so relative `appBase`s resolve inside the scanned copy.
pub(crate) fn parse(text: &str, config: &Path) -> Result<Parsed, ParseError> {
    let doc = super::iis::xml(text)?;
    let base = config
        .parent()
        .and_then(Path::parent)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = Parsed::default();
    let hosts = doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "Host");
    for (site, host) in hosts.enumerate() {
        let line = doc.text_pos_at(host.range().start).row as usize;
        let app_base = host.attribute("appBase").unwrap_or("webapps");
        let Some(app_base) = resolve(app_base, &base, &base) else {
            out.not_followed
                .push((line, format!("Host appBase=\"{app_base}\" (a variable)")));
            continue;
        };
        let last = app_base.rsplit(['/', '\\']).find(|s| !s.is_empty());
        if !last.is_some_and(|l| l.eq_ignore_ascii_case("webapps")) {
            out.app_bases.push(app_base.clone());
        }
        let contexts = host
            .children()
            .filter(|n| n.is_element() && n.tag_name().name() == "Context");
        for context in contexts {
            let line = doc.text_pos_at(context.range().start).row as usize;
            let path = context.attribute("path").unwrap_or("");
            let Some(doc_base) = context.attribute("docBase") else {
                out.not_followed
                    .push((line, format!("Context path=\"{path}\" without docBase")));
                continue;
            };
            match resolve(doc_base, &app_base, &base) {
                Some(folder) => out.mappings.push(Raw {
                    prefix: if path.is_empty() {
                        "/".to_owned()
                    } else {
                        path.to_owned()
                    },
                    folder,
                    site,
                    line,
                }),
                None => out
                    .not_followed
                    .push((line, format!("Context docBase=\"{doc_base}\" (a variable)"))),
            }
        }
    }
    Ok(out)
}

/// A path of `server.xml`, relative ones against `against`. `${catalina.base}` and
/// `${catalina.home}` are the base (one install holds both in the usual layout); other
/// variables leave the path unknown.
fn resolve(path: &str, against: &str, base: &str) -> Option<String> {
    let path = path
        .replace("${catalina.base}", base)
        .replace("${catalina.home}", base);
    if path.contains("${") {
        return None;
    }
    let b = path.as_bytes();
    let absolute = b.first().is_some_and(|&c| c == b'/' || c == b'\\')
        || (b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic());
    if absolute || against.is_empty() {
        Some(path)
    } else {
        Some(format!(
            "{}/{}",
            against.trim_end_matches(['/', '\\']),
            path
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webapps_folders_and_their_names() {
        let got = infer_webapps(b"/mnt/ev/opt/tomcat/webapps/shop/WEB-INF/x.jsp");
        assert_eq!(got, Some((6, &b"shop"[..])));
        let got = infer_webapps(b"/srv/webapps/tomcat/webapps/ROOT/x.jsp");
        assert_eq!(got, Some((5, &b"ROOT"[..])));
        assert_eq!(infer_webapps(b"/opt/tomcat/webapps/shop.war"), None);
        assert_eq!(infer_webapps(b"/opt/tomcat/webapps/.hidden/x.jsp"), None);
        assert_eq!(infer_webapps(b"/opt/tomcat/work/Catalina/x.jsp"), None);
    }

    #[test]
    fn folder_names_follow_tomcat_naming() {
        assert_eq!(app_prefix("ROOT"), Vec::<String>::new());
        assert_eq!(app_prefix("ROOT##3"), Vec::<String>::new());
        assert_eq!(app_prefix("shop"), ["shop"]);
        assert_eq!(app_prefix("shop##2.1"), ["shop"]);
        assert_eq!(app_prefix("shop#admin"), ["shop", "admin"]);
    }

    const SERVER_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- An intranet Tomcat: two hosts, one with a context outside its appBase. -->
<Server port="8005" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="8080" protocol="HTTP/1.1"/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" unpackWARs="true">
        <Context path="/reports" docBase="/srv/reports/current"/>
        <Context path="" docBase="portal"/>
        <Context path="/broken"/>
      </Host>
      <Host name="intranet" appBase="/srv/intranet-apps">
        <Context path="/wiki" docBase="${catalina.base}/wikis/main"/>
        <Context path="/odd" docBase="${env.ODD}/x"/>
      </Host>
    </Engine>
  </Service>
</Server>
"#;

    #[test]
    fn server_xml_hosts_and_contexts() {
        let parsed = parse(SERVER_XML, Path::new("/mnt/ev/opt/tomcat/conf/server.xml")).unwrap();
        let got = parsed.rows();
        assert_eq!(
            got,
            [
                ("/reports", "/srv/reports/current", 0),
                ("/", "/mnt/ev/opt/tomcat/webapps/portal", 0),
                ("/wiki", "/mnt/ev/opt/tomcat/wikis/main", 1),
            ]
        );
        assert_eq!(parsed.app_bases, ["/srv/intranet-apps"]);
        let skipped: Vec<usize> = parsed.not_followed.iter().map(|(l, _)| *l).collect();
        assert_eq!(skipped, [10, 14]);
    }

    #[test]
    fn malformed_xml_is_an_error_at_its_line() {
        let err = parse("<Server>\n<Host>\n</Server>", Path::new("conf/server.xml")).unwrap_err();
        assert_eq!(err.line, 3);
    }
}
