//! SharePoint's hive: the folders every SharePoint install serves under fixed URLs, whatever
//! its IIS config says, and where ToolShell-style attacks drop their pages.
//!
//! `…\Web Server Extensions\16\TEMPLATE\LAYOUTS` (SharePoint 2016, 2019, Subscription
//! Edition) and `…\15\TEMPLATE\LAYOUTS` (2013) are served as `/_layouts/15/`; the 2010 hive
//! `…\14\TEMPLATE\LAYOUTS` as `/_layouts/`; each hive's `ISAPI` folder as `/_vti_bin/`.
//! The hive is found by the version folder and the names below it, compared without case
//! as Windows does; `Web Server Extensions` above it is not required, because evidence is
//! often a copy of the hive alone (`/cases/sp01/16/TEMPLATE/LAYOUTS`).

use super::path::components;

/// For a file inside a hive folder, the number of path components of that folder and the
/// URL prefix it serves. Allocation-free: runs on every walked file.
pub(crate) fn infer(path: &[u8]) -> Option<(usize, &'static str)> {
    let is =
        |c: Option<&[u8]>, name: &str| c.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes()));
    let mut two_up: Option<&[u8]> = None;
    let mut one_up: Option<&[u8]> = None;
    // A hive folder found at the previous component: a file must be inside it.
    let mut found: Option<(usize, &'static str)> = None;
    for (i, comp) in components(path).enumerate() {
        if found.is_some() {
            return found;
        }
        let here = Some(comp);
        found = if is(one_up, "TEMPLATE") && is(here, "LAYOUTS") {
            match two_up {
                Some(b"16" | b"15") => Some((i + 1, "/_layouts/15/")),
                Some(b"14") => Some((i + 1, "/_layouts/")),
                _ => None,
            }
        } else if matches!(one_up, Some(b"16" | b"15" | b"14")) && is(here, "ISAPI") {
            Some((i + 1, "/_vti_bin/"))
        } else {
            None
        };
        two_up = one_up;
        one_up = here;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const HIVE: &str = "/mnt/ev/Program Files/Common Files/microsoft shared/Web Server Extensions";

    fn infer_str(p: &str) -> Option<(usize, &'static str)> {
        infer(p.as_bytes())
    }

    #[test]
    fn hive_versions_map_to_their_urls() {
        let n = 6; // mnt ev "Program Files" "Common Files" "microsoft shared" "Web Server Extensions"
        assert_eq!(
            infer_str(&format!("{HIVE}/16/TEMPLATE/LAYOUTS/spinstall0.aspx")),
            Some((n + 3, "/_layouts/15/"))
        );
        assert_eq!(
            infer_str(&format!("{HIVE}/15/template/layouts/sub/x.aspx")),
            Some((n + 3, "/_layouts/15/"))
        );
        assert_eq!(
            infer_str(&format!("{HIVE}/14/TEMPLATE/LAYOUTS/x.aspx")),
            Some((n + 3, "/_layouts/"))
        );
        assert_eq!(
            infer_str(&format!("{HIVE}/16/isapi/x.asmx")),
            Some((n + 2, "/_vti_bin/"))
        );
        assert_eq!(
            infer_str(
                r"C:\Program Files\Common Files\Microsoft Shared\WEB SERVER EXTENSIONS\16\TEMPLATE\LAYOUTS\a.aspx"
            ),
            Some((8, "/_layouts/15/"))
        );
    }

    #[test]
    fn a_copy_of_the_hive_alone_is_recognised() {
        assert_eq!(
            infer_str("fixtures/webroot/sharepoint/16/TEMPLATE/LAYOUTS/a/b.aspx"),
            Some((6, "/_layouts/15/"))
        );
        assert_eq!(infer_str("16/ISAPI/x.asmx"), Some((2, "/_vti_bin/")));
    }

    #[test]
    fn other_hive_folders_and_the_folder_itself_are_not_mapped() {
        assert_eq!(infer_str(&format!("{HIVE}/16/TEMPLATE/LAYOUTS")), None);
        assert_eq!(
            infer_str(&format!("{HIVE}/16/TEMPLATE/CONTROLTEMPLATES/x.ascx")),
            None
        );
        assert_eq!(infer_str(&format!("{HIVE}/16/BIN/x.exe")), None);
        assert_eq!(
            infer_str(&format!("{HIVE}/12/TEMPLATE/LAYOUTS/x.aspx")),
            None
        );
        assert_eq!(infer_str("/var/www/html/index.php"), None);
        assert_eq!(infer_str(""), None);
    }
}
