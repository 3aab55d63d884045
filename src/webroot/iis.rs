//! IIS `applicationHost.config`: each `<site>` has applications, each application virtual
//! directories, and a virtual directory's URL is its application's path followed by its
//! own (`<application path="/app">` + `<virtualDirectory path="/img">` = `/app/img/`).
//!
//! SharePoint web applications are IIS sites whose root is
//! `…\wss\VirtualDirectories\PORT` and whose `/_layouts/15` virtual directory points into
//! the hive, so they need nothing special here. `<location>` sections, defaults and
//! bindings say nothing about folders and are not read.

use super::config::{ParseError, Parsed, Raw};

/// Nodes allowed in one document: an IIS config with a thousand sites has tens of
/// thousands; this bounds memory on a hostile one.
const NODES_LIMIT: u32 = 500_000;

/// Parses XML without DTDs (no entity expansion from the file), bounded in nodes.
pub(crate) fn xml(text: &str) -> Result<roxmltree::Document<'_>, ParseError> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: NODES_LIMIT,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(text, options).map_err(|e| ParseError {
        // The parser places an early end at 1:1; the end of the text is where it is.
        line: match e {
            roxmltree::Error::UnexpectedEndOfStream | roxmltree::Error::UnclosedRootNode => {
                text.lines().count().max(1)
            }
            _ => e.pos().row as usize,
        },
        message: format!("not well-formed XML: {e}"),
    })
}

pub(crate) fn parse(text: &str) -> Result<Parsed, ParseError> {
    let doc = xml(text)?;
    let mut out = Parsed::default();
    // `<sites configSource="sites.config"/>` keeps the sites in another file, maybe not
    // in the scan; it can be given to the map by itself.
    for node in doc
        .descendants()
        .filter(|n| n.attribute("configSource").is_some())
    {
        let line = doc.text_pos_at(node.range().start).row as usize;
        let source = node.attribute("configSource").unwrap_or_default();
        out.not_followed.push((
            line,
            format!("<{} configSource=\"{source}\">", node.tag_name().name()),
        ));
    }
    let element =
        |n: &roxmltree::Node<'_, '_>, name: &str| n.is_element() && n.tag_name().name() == name;
    let sites = doc
        .descendants()
        .filter(|n| element(n, "site") && n.parent().is_some_and(|p| element(&p, "sites")));
    for (site, node) in sites.enumerate() {
        for app in node.children().filter(|n| element(n, "application")) {
            let app_path = app.attribute("path").unwrap_or("/");
            for vdir in app.children().filter(|n| element(n, "virtualDirectory")) {
                let line = doc.text_pos_at(vdir.range().start).row as usize;
                let vdir_path = vdir.attribute("path").unwrap_or("/");
                let prefix = format!(
                    "{}/{}",
                    app_path.trim_end_matches('/'),
                    vdir_path.trim_start_matches('/')
                );
                match vdir.attribute("physicalPath") {
                    Some(folder) if !folder.trim().is_empty() => out.mappings.push(Raw {
                        prefix,
                        folder: folder.to_owned(),
                        site,
                        line,
                    }),
                    _ => out.not_followed.push((
                        line,
                        format!("virtualDirectory {prefix} without physicalPath"),
                    )),
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <applicationPools>
      <add name="DefaultAppPool" />
    </applicationPools>
    <sites>
      <site name="Default Web Site" id="1">
        <application path="/" applicationPool="DefaultAppPool">
          <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
          <virtualDirectory path="/downloads" physicalPath="D:\shares\downloads" />
        </application>
        <application path="/crm">
          <virtualDirectory path="/" physicalPath="D:\apps\crm\web" />
        </application>
        <bindings>
          <binding protocol="http" bindingInformation="*:80:" />
        </bindings>
      </site>
      <site name="SharePoint - 80" id="4">
        <application path="/">
          <virtualDirectory path="/" physicalPath="C:\inetpub\wwwroot\wss\VirtualDirectories\80" />
          <virtualDirectory path="/_layouts/15" physicalPath="C:\Program Files\Common Files\microsoft shared\Web Server Extensions\16\template\layouts" />
          <virtualDirectory path="/_vti_bin" physicalPath="C:\Program Files\Common Files\microsoft shared\Web Server Extensions\16\isapi" />
          <virtualDirectory path="/empty" />
        </application>
      </site>
      <siteDefaults>
        <logFile directory="%SystemDrive%\inetpub\logs\LogFiles" />
      </siteDefaults>
    </sites>
  </system.applicationHost>
</configuration>
"#;

    #[test]
    fn sites_applications_and_virtual_directories() {
        let parsed = parse(CONFIG).unwrap();
        let got = parsed.rows();
        assert_eq!(
            got,
            [
                ("/", r"%SystemDrive%\inetpub\wwwroot", 0),
                ("/downloads", r"D:\shares\downloads", 0),
                ("/crm/", r"D:\apps\crm\web", 0),
                ("/", r"C:\inetpub\wwwroot\wss\VirtualDirectories\80", 1),
                (
                    "/_layouts/15",
                    r"C:\Program Files\Common Files\microsoft shared\Web Server Extensions\16\template\layouts",
                    1
                ),
                (
                    "/_vti_bin",
                    r"C:\Program Files\Common Files\microsoft shared\Web Server Extensions\16\isapi",
                    1
                ),
            ]
        );
        assert_eq!(
            parsed.not_followed,
            [(
                25,
                "virtualDirectory /empty without physicalPath".to_owned()
            )]
        );
    }

    #[test]
    fn sections_kept_in_other_files_are_reported() {
        let text = "<configuration>\n<system.applicationHost>\n<sites configSource=\"sites.config\" />\n</system.applicationHost>\n</configuration>";
        let parsed = parse(text).unwrap();
        assert_eq!(
            parsed.not_followed,
            [(3, "<sites configSource=\"sites.config\">".to_owned())]
        );
        // The file it names is itself a `<sites>` document.
        let sites = r#"<sites><site name="a"><application path="/"><virtualDirectory path="/" physicalPath="E:\a" /></application></site></sites>"#;
        assert_eq!(parse(sites).unwrap().mappings.len(), 1);
    }

    #[test]
    fn hostile_xml_is_an_error_not_a_panic() {
        let dtd = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><configuration>&lol;</configuration>"#;
        assert!(parse(dtd).is_err());
        let unterminated = "<configuration>\n<system.applicationHost>\n<sites>\n<site";
        let err = parse(unterminated).unwrap_err();
        assert_eq!(err.line, 4, "{}", err.message);
        let deep = "<a>".repeat(100_000) + &"</a>".repeat(100_000);
        assert!(parse(&deep).map(|p| p.mappings.is_empty()).unwrap_or(true));
        assert!(parse("").is_err());
        let wide = format!(
            "<configuration>{}</configuration>",
            "<a/>".repeat(NODES_LIMIT as usize)
        );
        assert!(parse(&wide).unwrap_err().message.contains("nodes limit"));
        assert!(parse("\u{FFFD}\u{FFFD}<<<").is_err());
    }
}
