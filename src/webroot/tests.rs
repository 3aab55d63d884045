//! The map as the correlator uses it: configs and options in, joins of requests with files
//! in copied trees out.

use std::path::Path;

use proptest::prelude::*;

use super::*;

const DATA: &str = "tests/testdata/webroot";
const HIVE: &str =
    "/mnt/evidence/Program Files/Common Files/Microsoft Shared/Web Server Extensions";

fn iis_map() -> WebrootMap {
    let mut map = WebrootMap::default();
    let added = map
        .add_config(Path::new(&format!("{DATA}/iis/applicationHost.config")))
        .unwrap();
    assert_eq!(added, 5);
    map
}

fn method(join: Option<Join>) -> Option<JoinMethod> {
    join.map(|j| j.method)
}

#[test]
fn iis_config_joins_requests_with_a_copy_of_the_site() {
    let map = iis_map();
    let source = format!("IIS applicationHost.config ({DATA}/iis/applicationHost.config)");
    let want = Some(Join {
        method: JoinMethod::Webroot,
        source: Some(source),
    });
    // The repository's own fixture tree is a copy of a server's C: drive.
    let ps = Path::new("fixtures/webroot/inetpub/wwwroot/admin/ps.aspx");
    assert_eq!(map.join("/admin/ps.aspx", ps, false), want);
    // IIS mappings ignore case even when the log is not an IIS log.
    assert_eq!(map.join("/ADMIN/PS.aspx", ps, false), want);
    let crm = Path::new("/mnt/evidence/d/apps/crm/web/login.aspx");
    assert_eq!(map.join("/crm/login.aspx", crm, true), want);
    // The site root maps elsewhere: the same URL tail in another folder is not this file.
    assert!(not_mapped(map.join("/login.aspx", crm, true)));
}

/// The URL each file of the repository's fixture tree is served under by the IIS and
/// Apache test configs and the layouts inferred from paths; `None` for files no mapping
/// serves.
fn fixture_url(rel: &str) -> Option<String> {
    let served = [
        ("inetpub/wwwroot/", "/"),
        ("opt/tomcat/webapps/ROOT/", "/"),
        ("opt/tomcat/webapps/", "/"),
        ("sharepoint/16/TEMPLATE/LAYOUTS/", "/_layouts/15/"),
        ("var/www/html/", "/"),
    ];
    served
        .iter()
        .find_map(|(folder, url)| rel.strip_prefix(folder).map(|rest| format!("{url}{rest}")))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_fixture_file_joins_with_its_own_url_and_no_other() {
    let mut files = Vec::new();
    walk(Path::new("fixtures/webroot"), &mut files);
    let mut map = iis_map();
    map.add_config(Path::new(&format!("{DATA}/apache/shop.conf")))
        .unwrap();
    for file in &files {
        map.infer_from_path(file);
    }
    let urls: Vec<Option<String>> = files
        .iter()
        .map(|f| {
            fixture_url(
                f.strip_prefix("fixtures/webroot")
                    .unwrap()
                    .to_str()
                    .unwrap(),
            )
        })
        .collect();
    let mut joined = 0;
    for (file, url) in files.iter().zip(&urls) {
        let Some(url) = url else { continue };
        let join = map.join(url, file, false);
        assert_eq!(
            method(join),
            Some(JoinMethod::Webroot),
            "{url} -> {}",
            file.display()
        );
        joined += 1;
        for (other, other_url) in files.iter().zip(&urls) {
            let same_url = other_url
                .as_deref()
                .is_some_and(|o| o.eq_ignore_ascii_case(url));
            if !same_url {
                let join = map.join(url, other, false);
                assert_ne!(
                    method(join),
                    Some(JoinMethod::Webroot),
                    "{url} -> {}",
                    other.display()
                );
            }
        }
    }
    assert!(joined > 100, "{joined}");
}

#[test]
fn a_covered_file_with_another_url_is_joined_only_weakly() {
    let map = iis_map();
    let ps = Path::new("/mnt/e/inetpub/wwwroot/admin/ps.aspx");
    assert!(not_mapped(map.join("/other/ps.aspx", ps, true)));
    assert!(not_mapped(map.join("/ps.aspx", ps, true)));
}

#[test]
fn a_folder_that_only_starts_like_the_mapped_one_is_not_covered() {
    let map = iis_map();
    let twin = Path::new("/mnt/e/inetpub/wwwroot2/admin/ps.aspx");
    assert_eq!(
        method(map.join("/admin/ps.aspx", twin, true)),
        Some(JoinMethod::PathTail)
    );
    let prefix = Path::new("/mnt/e/inetpub/www/admin/ps.aspx");
    assert_eq!(
        method(map.join("/admin/ps.aspx", prefix, true)),
        Some(JoinMethod::PathTail)
    );
}

#[test]
fn the_longest_prefix_of_a_site_shadows_the_root() {
    let map = iis_map();
    // `/crm/` is its own application: wwwroot/crm/x.aspx is not what /crm/x.aspx serves.
    let shadowed = Path::new("/mnt/e/inetpub/wwwroot/crm/x.aspx");
    assert!(not_mapped(map.join("/crm/x.aspx", shadowed, true)));
}

#[test]
fn sharepoint_layouts_from_the_config_or_the_hive() {
    let dropped = format!("{HIVE}/16/TEMPLATE/LAYOUTS/spinstall0.aspx");
    let dropped = Path::new(&dropped);
    let map = iis_map();
    let joined = map
        .join("/_layouts/15/spinstall0.aspx", dropped, true)
        .unwrap();
    assert_eq!(joined.method, JoinMethod::Webroot);
    assert!(
        joined
            .source
            .unwrap()
            .starts_with("IIS applicationHost.config")
    );

    let mut map = WebrootMap::default();
    map.infer_from_path(dropped);
    map.infer_from_path(&Path::new(HIVE).join("16/TEMPLATE/LAYOUTS/start.aspx"));
    map.infer_from_path(&Path::new(HIVE).join("16/ISAPI/lists.asmx"));
    let got: Vec<(&str, String)> = map
        .mappings()
        .map(|(prefix, folder, source)| (prefix, format!("{} ({source})", folder.display())))
        .collect();
    assert_eq!(
        got,
        [
            (
                "/_layouts/15/",
                format!("{HIVE}/16/TEMPLATE/LAYOUTS (SharePoint hive)")
            ),
            ("/_vti_bin/", format!("{HIVE}/16/ISAPI (SharePoint hive)")),
        ]
    );
    let joined = map
        .join("/_LAYOUTS/15/SPINSTALL0.ASPX", dropped, false)
        .unwrap();
    assert_eq!(joined.source.as_deref(), Some("SharePoint hive"));
    assert!(not_mapped(map.join(
        "/_layouts/spinstall0.aspx",
        dropped,
        true
    )));
}

#[test]
fn under_url_finds_files_in_the_folder_an_exploit_wrote_to() {
    let map = iis_map();
    let dropped = format!("{HIVE}/16/TEMPLATE/LAYOUTS/spinstall0.aspx");
    let deeper = format!("{HIVE}/16/TEMPLATE/LAYOUTS/sub/x.aspx");
    let exploit = "/_layouts/15/ToolPane.aspx";
    assert_eq!(
        method(map.under_url(exploit, Path::new(&dropped), true)),
        Some(JoinMethod::Webroot)
    );
    assert_eq!(
        method(map.under_url(exploit, Path::new(&deeper), true)),
        Some(JoinMethod::Webroot)
    );
    let elsewhere = Path::new("/mnt/e/inetpub/wwwroot/x.aspx");
    assert_eq!(map.under_url(exploit, elsewhere, true), None);
    // A POST to a script at the site root: anything under the root.
    assert!(map.under_url("/upload.aspx", elsewhere, true).is_some());
    assert!(
        map.under_url("/", Path::new("/mnt/e/inetpub/wwwroot/a/b.aspx"), true)
            .is_some()
    );
    // No mapping, no answer: a folder cannot be told from a namesake.
    let empty = WebrootMap::default();
    assert_eq!(empty.under_url(exploit, Path::new(&dropped), true), None);
}

#[test]
fn options_override_config_entries_of_the_same_prefix() {
    let copy = Path::new("/cases/42/site/x.aspx");
    let stock = Path::new("/mnt/e/inetpub/wwwroot/x.aspx");
    for option_first in [false, true] {
        let mut map = WebrootMap::default();
        if option_first {
            map.add_option("/=/cases/42/site").unwrap();
        }
        map.add_config(Path::new(&format!("{DATA}/iis/applicationHost.config")))
            .unwrap();
        if !option_first {
            map.add_option("/=/cases/42/site").unwrap();
        }
        let joined = map.join("/x.aspx", copy, false).unwrap();
        assert_eq!(
            joined.source.as_deref(),
            Some("--webroot"),
            "option first: {option_first}"
        );
        assert_eq!(
            method(map.join("/x.aspx", stock, true)),
            Some(JoinMethod::PathTail)
        );
        // Other prefixes of the config stay.
        assert!(map.mappings().any(|(p, _, _)| p == "/crm/"));
    }
}

#[test]
fn bad_options_are_typed_errors() {
    let mut map = WebrootMap::default();
    for spec in ["/var/www", "www=/var/www", "/=", "/=C:\\", "/=/", "/=\0/x"] {
        assert!(
            matches!(map.add_option(spec), Err(WebrootError::Spec { .. })),
            "{spec:?}"
        );
    }
    assert!(map.is_empty());
    map.add_option("/app = D:\\Sites\\App").unwrap();
    let joined = map.join("/APP/a.aspx", Path::new("/x/sites/app/A.ASPX"), false);
    assert_eq!(
        method(joined),
        Some(JoinMethod::Webroot),
        "a Windows folder ignores case"
    );
}

#[test]
fn without_mappings_the_tail_decides() {
    let map = WebrootMap::default();
    let file = Path::new("/srv/copy/html/uploads/shell.php");
    assert_eq!(
        method(map.join("/uploads/shell.php", file, false)),
        Some(JoinMethod::PathTail)
    );
    assert_eq!(
        method(map.join("/shell.php", file, false)),
        Some(JoinMethod::PathTail)
    );
    assert_eq!(
        method(map.join("/img/shell.php", file, false)),
        Some(JoinMethod::FileName)
    );
    assert_eq!(map.join("/UPLOADS/SHELL.PHP", file, false), None);
    assert_eq!(
        method(map.join("/UPLOADS/SHELL.PHP", file, true)),
        Some(JoinMethod::PathTail)
    );
    assert_eq!(map.join("/other.php", file, true), None);
    assert_eq!(map.join("/", file, true), None);
    assert_eq!(map.join("/shell.php", Path::new(""), true), None);
    assert_eq!(
        method(map.join(r"/uploads\shell.php", file, true)),
        Some(JoinMethod::PathTail)
    );
}

#[test]
fn apache_and_nginx_configs_join_their_sites() {
    let mut map = WebrootMap::default();
    assert_eq!(
        map.add_config(Path::new(&format!("{DATA}/apache/shop.conf")))
            .unwrap(),
        7
    );
    assert_eq!(
        map.add_config(Path::new(&format!("{DATA}/nginx/nginx.conf")))
            .unwrap(),
        6
    );
    let media = Path::new("/mnt/web/srv/shop/media files/x.php");
    let joined = map.join("/media/x.php", media, false).unwrap();
    assert_eq!(
        joined.source,
        Some(format!("Apache config ({DATA}/apache/shop.conf)"))
    );
    let asset = Path::new("/mnt/web/srv/blog/assets/css/up.php");
    let joined = map.join("/static/css/up.php", asset, false).unwrap();
    assert_eq!(
        joined.source,
        Some(format!("nginx config ({DATA}/nginx/nginx.conf)"))
    );
    // nginx `root` in a location: the location's path is part of the file's path.
    let file = Path::new("/data/uploads/files/a.php");
    assert_eq!(
        method(map.join("/files/a.php", file, false)),
        Some(JoinMethod::Webroot)
    );
    // Apache on Windows: case-insensitive by its path's form.
    let win = Path::new("/mnt/c/Apache24/HTDOCS/Index.php");
    assert_eq!(
        method(map.join("/index.php", win, false)),
        Some(JoinMethod::Webroot)
    );
    let skipped: Vec<&str> = map.not_followed().iter().map(|n| n.what.as_str()).collect();
    assert!(skipped.contains(&r"location ~ \.php$"), "{skipped:?}");
    assert!(
        skipped.contains(&"IncludeOptional conf-enabled/*.conf"),
        "{skipped:?}"
    );
    assert_eq!(map.not_followed_total(), map.not_followed().len());
}

#[test]
fn tomcat_webapps_and_server_xml() {
    let mut map = WebrootMap::default();
    let config = format!("{DATA}/tomcat/conf/server.xml");
    assert_eq!(map.add_config(Path::new(&config)).unwrap(), 1);
    let jsp = Path::new("/mnt/e/opt/tomcat/webapps/shop/cart/view.jsp");
    for _ in 0..3 {
        map.infer_from_path(jsp);
    }
    map.infer_from_path(Path::new("/mnt/e/opt/tomcat/webapps/ROOT/index.jsp"));
    map.infer_from_path(Path::new("/srv/intranet-apps/hr##4/WEB-INF/x.jsp"));
    let got: Vec<(&str, String)> = map
        .mappings()
        .map(|(p, f, s)| (p, format!("{} ({s})", f.display())))
        .collect();
    assert_eq!(
        got,
        [
            (
                "/reports/",
                format!("/srv/reports/current (Tomcat server.xml ({config}))")
            ),
            (
                "/shop/",
                "/mnt/e/opt/tomcat/webapps/shop (Tomcat webapps)".to_owned()
            ),
            (
                "/",
                "/mnt/e/opt/tomcat/webapps/ROOT (Tomcat webapps)".to_owned()
            ),
            (
                "/hr/",
                format!("/srv/intranet-apps/hr##4 (Tomcat server.xml ({config}))")
            ),
        ]
    );
    assert_eq!(
        method(map.join("/shop/cart/view.jsp", jsp, false)),
        Some(JoinMethod::Webroot)
    );
    let root = Path::new("/mnt/e/opt/tomcat/webapps/ROOT/cmd.jsp");
    assert_eq!(
        method(map.join("/cmd.jsp", root, false)),
        Some(JoinMethod::Webroot)
    );
    let hr = Path::new("/srv/intranet-apps/hr##4/upload/a.jsp");
    assert_eq!(
        method(map.join("/hr/upload/a.jsp", hr, false)),
        Some(JoinMethod::Webroot)
    );
}

#[test]
fn configs_that_cannot_be_read_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut map = WebrootMap::default();
    let odd = dir.path().join("notes.txt");
    std::fs::write(&odd, "nothing to see\n").unwrap();
    assert!(matches!(
        map.add_config(&odd),
        Err(WebrootError::UnknownKind { .. })
    ));
    let nginx = dir.path().join("nginx.conf");
    std::fs::write(&nginx, "http {\n server {\n root /a;\n").unwrap();
    let err = map.add_config(&nginx).unwrap_err();
    assert!(
        matches!(err, WebrootError::Malformed { line: 2, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .ends_with("nginx.conf:2: server block opened here is not closed"),
        "{err}"
    );
    let iis = dir.path().join("applicationHost.config");
    std::fs::write(&iis, b"<configuration>\xff\xfe<sites>").unwrap();
    assert!(matches!(
        map.add_config(&iis),
        Err(WebrootError::Malformed { .. })
    ));
    let named = dir.path().join("site.cfg");
    std::fs::write(&named, "server {\n root /srv/named;\n}\n").unwrap();
    assert_eq!(map.add_config(&named).unwrap(), 1);
    assert_eq!(map.add_config(&named).unwrap(), 0, "read once");
    assert_eq!(map.mappings().count(), 1);
    let apache = dir.path().join("site.txt");
    std::fs::write(&apache, "server {\n root /srv/named;\n}\n").unwrap();
    assert_eq!(map.add_config_as(&apache, ConfigKind::Apache).unwrap(), 0);
}

#[cfg(unix)]
#[test]
fn a_folder_with_a_non_utf8_name_is_learned_once() {
    use std::os::unix::ffi::OsStrExt;
    let mut map = WebrootMap::default();
    let file = Path::new(std::ffi::OsStr::from_bytes(
        b"/opt/tomcat/webapps/sh\xffp/x.jsp",
    ));
    for _ in 0..3 {
        map.infer_from_path(file);
    }
    assert_eq!(map.mappings().count(), 1);
}

#[test]
fn a_mapping_to_the_drive_root_is_reported_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let nginx = dir.path().join("nginx.conf");
    std::fs::write(&nginx, "# all of it\nserver {\n  root /;\n}\n").unwrap();
    let mut map = WebrootMap::default();
    assert_eq!(map.add_config(&nginx).unwrap(), 0);
    let skipped = &map.not_followed()[0];
    assert_eq!(
        (skipped.line, skipped.what.as_str()),
        (2, "/ -> /: no folder below the root")
    );
    assert!(map.is_empty());
}

#[test]
fn sources_read_as_findings_show_them() {
    let p = PathBuf::from("/x/c");
    assert_eq!(Source::Option.to_string(), "--webroot");
    assert_eq!(
        Source::Iis(p.clone()).to_string(),
        "IIS applicationHost.config (/x/c)"
    );
    assert_eq!(
        Source::Apache(p.clone()).to_string(),
        "Apache config (/x/c)"
    );
    assert_eq!(Source::Nginx(p.clone()).to_string(), "nginx config (/x/c)");
    assert_eq!(Source::Tomcat(p).to_string(), "Tomcat server.xml (/x/c)");
    assert_eq!(Source::SharePointHive.to_string(), "SharePoint hive");
    assert_eq!(Source::TomcatWebapps.to_string(), "Tomcat webapps");
    assert_eq!(JoinMethod::Webroot.as_str(), "webroot");
    assert_eq!(JoinMethod::PathTail.as_str(), "path_tail");
    assert_eq!(JoinMethod::FileName.as_str(), "file_name");
}

fn segment() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.-]{1,8}".prop_filter("not a dot segment", |s| s != "." && s != "..")
}

proptest! {
    /// A file at folder + rest, in a copy under any prefix, is what prefix + rest serves.
    #[test]
    fn a_mapped_folder_joins_wherever_it_is_copied(
        prefix in prop::collection::vec(segment(), 0..3),
        folder in prop::collection::vec(segment(), 1..4),
        copy in prop::collection::vec(segment(), 0..3),
        rest in prop::collection::vec(segment(), 1..4),
        windows in any::<bool>(),
    ) {
        let mut map = WebrootMap::default();
        let spec = if windows {
            format!("/{}=C:\\{}", prefix.join("/"), folder.join("\\"))
        } else {
            format!("/{}=/{}", prefix.join("/"), folder.join("/"))
        };
        map.add_option(&spec).unwrap();
        let url = format!("/{}", prefix.iter().chain(&rest).cloned().collect::<Vec<_>>().join("/"));
        let file = format!("/{}", copy.iter().chain(&folder).chain(&rest).cloned().collect::<Vec<_>>().join("/"));
        let joined = map.join(&url, Path::new(&file), false);
        prop_assert_eq!(method(joined), Some(JoinMethod::Webroot));
        prop_assert!(map.under_url(&url, Path::new(&file), false).is_some());
    }

    /// Nothing a log or a walk can hand the map makes it panic.
    #[test]
    fn arbitrary_input_never_panics(url in ".{0,40}", file in ".{0,60}", spec in ".{0,40}", ci in any::<bool>()) {
        let mut map = WebrootMap::default();
        let _ = map.add_option(&spec);
        map.infer_from_path(Path::new(&file));
        let _ = map.join(&url, Path::new(&file), ci);
        let _ = map.under_url(&url, Path::new(&file), ci);
        let _ = WebrootMap::config_kind(Path::new(&file));
        for parse in [apache::parse, nginx::parse, iis::parse] {
            let _ = parse(&url);
            let _ = parse(&spec);
        }
    }
}

/// A request the map does not tie to the file: no join, or only the weaker tail or name
/// join, which the correlator counts only when nothing stronger reaches the file (a mapped
/// file is never hidden by a mapping, which a config planted in a web root could make).
fn not_mapped(j: Option<Join>) -> bool {
    j.is_none_or(|j| j.method != JoinMethod::Webroot && j.source.is_none())
}
