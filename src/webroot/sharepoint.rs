//! SharePoint's hive: the folders every SharePoint install serves under fixed URLs, whatever
//! its IIS config says, and where ToolShell-style attacks drop their pages.
//!
//! `…\Web Server Extensions\16\TEMPLATE\LAYOUTS` (SharePoint 2016, 2019, Subscription
//! Edition) and `…\15\TEMPLATE\LAYOUTS` (2013) are served as `/_layouts/15/`; the 2010 hive
//! `…\14\TEMPLATE\LAYOUTS` as `/_layouts/`; each hive's `ISAPI` folder as `/_vti_bin/`.
//! The hive is found by these names in a scanned path, compared without case as Windows
//! does, so a copy anywhere (`/mnt/evidence/Program Files/…`) is recognised.

use super::path::components;

const EXTENSIONS: &[u8] = b"Web Server Extensions";

/// For a file inside a hive folder, the number of path components of that folder and the
/// URL prefix it serves. Allocation-free: runs on every walked file.
pub(crate) fn infer(path: &[u8]) -> Option<(usize, &'static str)> {
    let mut comps = components(path).enumerate();
    // The last occurrence would be as good; the first is found without collecting.
    let (at, _) = comps.find(|(_, c)| c.eq_ignore_ascii_case(EXTENSIONS))?;
    let (_, version) = comps.next()?;
    let layouts = match version {
        b"16" | b"15" => "/_layouts/15/",
        b"14" => "/_layouts/",
        _ => return None,
    };
    let (_, next) = comps.next()?;
    let (n, prefix) = if next.eq_ignore_ascii_case(b"ISAPI") {
        (at + 3, "/_vti_bin/")
    } else if next.eq_ignore_ascii_case(b"TEMPLATE") {
        let (_, folder) = comps.next()?;
        if !folder.eq_ignore_ascii_case(b"LAYOUTS") {
            return None;
        }
        (at + 4, layouts)
    } else {
        return None;
    };
    // Only a file inside the folder tells that the folder is there.
    comps.next()?;
    Some((n, prefix))
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
