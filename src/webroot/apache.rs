//! Apache httpd: `DocumentRoot` serves `/`, `Alias` and `ScriptAlias` serve their URL
//! prefix, each in the main server or a `<VirtualHost>` (one site each).
//!
//! Not followed, and reported as such: `Include`/`IncludeOptional` (the files they name are
//! on the server, maybe not in the scan; give them to the map one by one), the regex forms
//! `AliasMatch`/`ScriptAliasMatch`, and paths with `${VAR}`. Relative paths resolve against
//! `ServerRoot` when it was set before them, as httpd does.

use super::config::{ParseError, Parsed, Raw};

/// How deeply sections may nest; httpd configs use a handful of levels.
const MAX_DEPTH: usize = 64;

pub(crate) fn parse(text: &str) -> Result<Parsed, ParseError> {
    let mut out = Parsed::default();
    let mut server_root: Option<String> = None;
    // Open sections: name, line, and for a virtual host its site number.
    let mut open: Vec<(String, usize, Option<usize>)> = Vec::new();
    let mut sites = 1; // site 0 is the main server
    for (line, logical) in logical_lines(text) {
        let trimmed = logical.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(close) = trimmed.strip_prefix("</") {
            let name = close.trim_end_matches('>').trim();
            match open.pop() {
                Some((opened, _, _)) if opened.eq_ignore_ascii_case(name) => {}
                Some((opened, at, _)) => {
                    return Err(ParseError {
                        line,
                        message: format!("</{name}> closes <{opened}> opened at line {at}"),
                    });
                }
                None => {
                    return Err(ParseError {
                        line,
                        message: format!("</{name}> without an opening <{name}>"),
                    });
                }
            }
            continue;
        }
        if let Some(section) = trimmed.strip_prefix('<') {
            let name: String = section
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '>')
                .collect();
            if open.len() >= MAX_DEPTH {
                return Err(ParseError {
                    line,
                    message: format!("sections nested deeper than {MAX_DEPTH}"),
                });
            }
            let site = name.eq_ignore_ascii_case("VirtualHost").then(|| {
                sites += 1;
                sites - 1
            });
            open.push((name, line, site));
            continue;
        }
        let words = words(trimmed);
        let Some((directive, args)) = words.split_first() else {
            continue;
        };
        let site = open.iter().rev().find_map(|(_, _, s)| *s).unwrap_or(0);
        let d = directive.to_ascii_lowercase();
        let (prefix, path) = match (d.as_str(), args) {
            ("serverroot", [root, ..]) => {
                server_root = Some(root.clone());
                continue;
            }
            ("documentroot", [root, ..]) => ("/", root),
            ("alias" | "scriptalias", [url, path, ..]) => (url.as_str(), path),
            (
                "include" | "includeoptional" | "aliasmatch" | "scriptaliasmatch" | "alias"
                | "scriptalias",
                _,
            ) => {
                out.not_followed.push((line, shorten(trimmed)));
                continue;
            }
            _ => continue,
        };
        if path.contains("${") || !prefix.starts_with('/') {
            out.not_followed.push((line, shorten(trimmed)));
            continue;
        }
        out.mappings.push(Raw {
            prefix: prefix.to_owned(),
            folder: resolve(path, server_root.as_deref()),
            site,
            line,
        });
    }
    if let Some((name, at, _)) = open.pop() {
        return Err(ParseError {
            line: at,
            message: format!("<{name}> is not closed"),
        });
    }
    Ok(out)
}

/// Lines joined where one ends in `\`, each with the number of its first physical line.
fn logical_lines(text: &str) -> impl Iterator<Item = (usize, String)> + '_ {
    let mut lines = text.lines().enumerate().peekable();
    std::iter::from_fn(move || {
        let (first, line) = lines.next()?;
        let mut joined = String::from(line);
        while joined.ends_with('\\') {
            joined.pop();
            match lines.next() {
                Some((_, more)) => joined.push_str(more),
                None => break,
            }
        }
        Some((first + 1, joined))
    })
}

/// A directive's words: runs of non-space, or quoted with `"` or `'` (a backslash escapes
/// the next character inside quotes).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(first) = chars.next() else {
            return out;
        };
        let mut word = String::new();
        if first == '"' || first == '\'' {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => word.extend(chars.next()),
                    c if c == first => break,
                    c => word.push(c),
                }
            }
        } else {
            word.push(first);
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                word.push(c);
            }
        }
        out.push(word);
    }
}

fn resolve(path: &str, server_root: Option<&str>) -> String {
    let b = path.as_bytes();
    let absolute = b.first().is_some_and(|&c| c == b'/' || c == b'\\')
        || (b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic());
    match server_root {
        Some(root) if !absolute => format!("{}/{}", root.trim_end_matches('/'), path),
        _ => path.to_owned(),
    }
}

/// A directive as shown in the not-followed list: one line, bounded.
fn shorten(text: &str) -> String {
    const MAX: usize = 200;
    let mut end = text.len().min(MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = text[..end].to_owned();
    if end < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_roots_and_aliases_per_virtual_host() {
        let text = std::fs::read_to_string("tests/testdata/webroot/apache/shop.conf").unwrap();
        let parsed = parse(&text).unwrap();
        assert_eq!(
            parsed.rows(),
            [
                ("/", "/var/www/html", 0),
                ("/icons/", "/usr/share/apache2/icons/", 0),
                ("/", "/srv/shop/public", 1),
                ("/media", "/srv/shop/media files", 1),
                ("/cgi-bin/", "/srv/shop/cgi-bin/", 1),
                ("/legacy", "/etc/apache2/legacy/site", 1),
                ("/", "C:/Apache24/htdocs", 2),
            ]
        );
        let skipped: Vec<&str> = parsed
            .not_followed
            .iter()
            .map(|(_, w)| w.as_str())
            .collect();
        assert_eq!(
            skipped,
            [
                "IncludeOptional conf-enabled/*.conf",
                r#"AliasMatch "^/docs/(.*)\.pdf$" "/srv/shop/pdf/$1.pdf""#,
                "Alias /logs ${APACHE_LOG_DIR}",
            ]
        );
    }

    #[test]
    fn words_handle_quotes_and_escapes() {
        assert_eq!(
            words(r#"Alias "/a b" '/x y' "q\"uote" bare"#),
            ["Alias", "/a b", "/x y", "q\"uote", "bare"]
        );
        assert_eq!(
            words(r#"DocumentRoot "/unterminated"#),
            ["DocumentRoot", "/unterminated"]
        );
    }

    #[test]
    fn broken_sections_are_errors_at_their_line() {
        let unclosed = "DocumentRoot /a\n<VirtualHost *:80>\nDocumentRoot /b\n";
        let err = parse(unclosed).unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (2, "<VirtualHost> is not closed")
        );
        let stray = "</VirtualHost>\n";
        assert_eq!(parse(stray).unwrap_err().line, 1);
        let crossed = "<VirtualHost *:80>\n<Directory />\n</VirtualHost>\n";
        assert_eq!(parse(crossed).unwrap_err().line, 3);
        let deep = "<IfModule x>\n".repeat(10_000);
        assert!(parse(&deep).unwrap_err().message.contains("deeper"));
    }

    #[test]
    fn hostile_text_never_panics() {
        let long = format!("DocumentRoot /{}\n", "a".repeat(1 << 20));
        assert_eq!(parse(&long).unwrap().mappings.len(), 1);
        for text in [
            "\\",
            "<",
            "</",
            "<>",
            "\"",
            "Alias",
            "DocumentRoot \"",
            "é\\\n\\",
        ] {
            let _ = parse(text);
        }
    }
}
