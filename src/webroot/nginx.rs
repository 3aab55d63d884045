//! nginx: a `server` block (one site) serves `/` from its `root`; a `location` with its own
//! `root` serves its prefix from `root` + the full URI, one with `alias` from the alias
//! with the prefix cut off. `root` is inherited from `http` to `server` to `location`,
//! wherever in the block it is written, so the config is read into a tree first.
//!
//! Not followed, and reported: regex locations (`~`, `~*`: which URLs they take cannot be
//! listed), `include`, and `root`/`alias` values with variables. Named locations (`@x`)
//! are internal and skipped silently. A prefix location `/img` also matches `/imgx` in
//! nginx; here prefixes are whole segments, which is what sites mean by them.

use super::config::{ParseError, Parsed, Raw};

/// How deeply blocks may nest; real configs use three or four levels.
const MAX_DEPTH: usize = 64;

/// How many words and punctuation marks a config may have. A large real config has tens of
/// thousands; the cap keeps a hostile 16 MB file of one-letter directives from costing
/// gigabytes as a tree.
const MAX_TOKENS: usize = 1_000_000;

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Open,
    Close,
    End,
}

/// Splits the text into words, `{`, `}` and `;`, each with its line. `#` starts a comment
/// outside quotes; quotes (`"`, `'`) hold spaces and braces, `\` escapes inside them; `${`
/// inside a word is a variable, not a block.
fn tokens(text: &str) -> Result<Vec<(usize, Token)>, ParseError> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if out.len() >= MAX_TOKENS {
            return Err(ParseError {
                line,
                message: format!("more than {MAX_TOKENS} words; not read as an nginx config"),
            });
        }
        match c {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            '#' => while chars.next_if(|&c| c != '\n').is_some() {},
            '{' => out.push((line, Token::Open)),
            '}' => out.push((line, Token::Close)),
            ';' => out.push((line, Token::End)),
            '"' | '\'' => {
                let start = line;
                let mut word = String::new();
                loop {
                    match chars.next() {
                        None => {
                            return Err(ParseError {
                                line: start,
                                message: "quoted string is not closed".to_owned(),
                            });
                        }
                        Some('\\') => word.extend(chars.next()),
                        Some(q) if q == c => break,
                        Some(other) => {
                            line += usize::from(other == '\n');
                            word.push(other);
                        }
                    }
                }
                out.push((start, Token::Word(word)));
            }
            first => {
                let mut word = String::from(first);
                while let Some(c) =
                    chars.next_if(|c| !c.is_whitespace() && !matches!(c, ';' | '{' | '}'))
                {
                    word.push(c);
                    if c == '$' && chars.peek() == Some(&'{') {
                        while let Some(v) = chars.next_if(|&v| v != '}' && v != '\n') {
                            word.push(v);
                        }
                        word.extend(chars.next_if_eq(&'}'));
                    }
                }
                out.push((line, Token::Word(word)));
            }
        }
    }
    Ok(out)
}

/// A block or a directive: its words, its line, and for a block its contents.
#[derive(Debug, Default)]
struct Node {
    words: Vec<String>,
    line: usize,
    /// A `{ … }` block, even an empty one, rather than a directive.
    block: bool,
    children: Vec<Node>,
}

fn tree(tokens: Vec<(usize, Token)>) -> Result<Node, ParseError> {
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut words: Vec<String> = Vec::new();
    let mut start = 0;
    for (line, token) in tokens {
        match token {
            Token::Word(w) => {
                if words.is_empty() {
                    start = line;
                }
                words.push(w);
            }
            Token::End => {
                let node = Node {
                    words: std::mem::take(&mut words),
                    line: start,
                    block: false,
                    children: Vec::new(),
                };
                if let Some(top) = stack.last_mut() {
                    top.children.push(node);
                }
            }
            Token::Open => {
                if stack.len() > MAX_DEPTH {
                    return Err(ParseError {
                        line,
                        message: format!("blocks nested deeper than {MAX_DEPTH}"),
                    });
                }
                let at = if words.is_empty() { line } else { start };
                stack.push(Node {
                    words: std::mem::take(&mut words),
                    line: at,
                    block: true,
                    children: Vec::new(),
                });
            }
            Token::Close => {
                if !words.is_empty() {
                    return Err(ParseError {
                        line: start,
                        message: format!("\"{}\" is not ended with ';'", words[0]),
                    });
                }
                if stack.len() == 1 {
                    return Err(ParseError {
                        line,
                        message: "'}' without an opening '{'".to_owned(),
                    });
                }
                if let Some(block) = stack.pop()
                    && let Some(parent) = stack.last_mut()
                {
                    parent.children.push(block);
                }
            }
        }
    }
    if let Some(first) = words.first() {
        return Err(ParseError {
            line: start,
            message: format!("\"{first}\" is not ended with ';'"),
        });
    }
    if stack.len() > 1
        && let Some(open) = stack.last()
    {
        let name = open.words.first().map_or("block", String::as_str);
        return Err(ParseError {
            line: open.line,
            message: format!("{name} block opened here is not closed"),
        });
    }
    Ok(stack.pop().unwrap_or_default())
}

pub(crate) fn parse(text: &str) -> Result<Parsed, ParseError> {
    let main = tree(tokens(text)?)?;
    let mut out = Parsed::default();
    let mut sites = 0;
    walk(&main, None, &mut out, &mut sites);
    Ok(out)
}

/// The value of a directive among a block's children.
fn directive<'a>(block: &'a Node, name: &str) -> Option<&'a Node> {
    block
        .children
        .iter()
        .find(|n| !n.block && n.words.first().is_some_and(|w| w == name) && n.words.len() >= 2)
}

/// A `root` or `alias` usable as a folder: not a variable's value.
fn folder<'a>(node: &'a Node, out: &mut Parsed) -> Option<&'a str> {
    let value = node.words[1].as_str();
    if value.contains('$') {
        out.not_followed.push((node.line, node.words.join(" ")));
        return None;
    }
    Some(value)
}

/// Walks `main` and `http` (and `server` blocks at the top of an included site file)
/// down to each `server`.
fn walk(block: &Node, inherited: Option<&str>, out: &mut Parsed, sites: &mut usize) {
    for child in &block.children {
        let Some(name) = child.words.first() else {
            continue;
        };
        match name.as_str() {
            "include" => out.not_followed.push((child.line, child.words.join(" "))),
            "http" if child.block => {
                let root = directive(child, "root")
                    .and_then(|d| folder(d, out))
                    .or(inherited);
                walk(child, root, out, sites);
            }
            "server" if child.block => {
                let site = *sites;
                *sites += 1;
                let root = directive(child, "root")
                    .and_then(|d| folder(d, out))
                    .or(inherited);
                if let Some(root) = root {
                    out.mappings.push(Raw {
                        prefix: "/".to_owned(),
                        folder: root.to_owned(),
                        site,
                        line: child.line,
                    });
                }
                locations(child, root, site, out);
            }
            _ => {}
        }
    }
}

/// The `location` blocks of a `server` or of an enclosing `location`.
fn locations(block: &Node, inherited: Option<&str>, site: usize, out: &mut Parsed) {
    for child in &block.children {
        match child.words.first().map(String::as_str) {
            Some("include") => out.not_followed.push((child.line, child.words.join(" "))),
            Some("location") if child.block => location(child, inherited, site, out),
            _ => {}
        }
    }
}

fn location(node: &Node, inherited: Option<&str>, site: usize, out: &mut Parsed) {
    let prefix = match &node.words[1..] {
        [m, p] if m == "=" || m == "^~" => p.as_str(),
        [p] if p.starts_with('/') => p.as_str(),
        [p] if p.starts_with('@') => return,
        _ => {
            // `~`, `~*`, or something this reader does not know.
            out.not_followed.push((node.line, node.words.join(" ")));
            return;
        }
    };
    let own_root = directive(node, "root").and_then(|d| folder(d, out));
    if let Some(alias) = directive(node, "alias").and_then(|d| folder(d, out)) {
        out.mappings.push(Raw {
            prefix: prefix.to_owned(),
            folder: alias.to_owned(),
            site,
            line: node.line,
        });
        // What a nested location inherits under an alias is rarely meant; not followed.
        return;
    }
    if let Some(root) = own_root {
        out.mappings.push(Raw {
            prefix: prefix.to_owned(),
            folder: format!(
                "{}/{}",
                root.trim_end_matches('/'),
                prefix.trim_start_matches('/')
            ),
            site,
            line: node.line,
        });
    }
    locations(node, own_root.or(inherited), site, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_locations_roots_and_aliases() {
        let text = std::fs::read_to_string("tests/testdata/webroot/nginx/nginx.conf").unwrap();
        let parsed = parse(&text).unwrap();
        assert_eq!(
            parsed.rows(),
            [
                ("/", "/srv/blog/htdocs", 0),
                ("/static/", "/srv/blog/assets/", 0),
                ("/files", "/data/uploads/files", 0),
                ("/admin/", "/srv/admin-panel/admin/", 0),
                ("/", "/usr/share/nginx/html", 1),
                ("/wiki", "/srv/wiki {brace}/wiki", 1),
            ]
        );
        let skipped: Vec<(usize, &str)> = parsed
            .not_followed
            .iter()
            .map(|(l, w)| (*l, w.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                (7, "include /etc/nginx/mime.types"),
                (22, r"location ~ \.php$"),
                (26, r"location ~* ^/(cache|tmp)/.*\.(php|phtml)$"),
                (37, "root /srv/tenants/$host"),
            ]
        );
    }

    #[test]
    fn a_site_file_of_bare_server_blocks_is_read() {
        let parsed = parse("server {\n listen 80;\n root /var/www/site; # the site\n}\n").unwrap();
        assert_eq!(parsed.rows(), [("/", "/var/www/site", 0)]);
    }

    #[test]
    fn broken_configs_are_errors_at_their_line() {
        let cases = [
            (
                "server {\n root /a;\n",
                1,
                "server block opened here is not closed",
            ),
            (
                "server {\n root /a\n}\n",
                2,
                "\"root\" is not ended with ';'",
            ),
            ("root /a;\n}\n", 2, "'}' without an opening '{'"),
            (
                "server {\n root \"/a;\n}\n",
                2,
                "quoted string is not closed",
            ),
            ("root /a", 1, "\"root\" is not ended with ';'"),
        ];
        for (text, line, message) in cases {
            let err = parse(text).unwrap_err();
            assert_eq!(
                (err.line, err.message.as_str()),
                (line, message),
                "{text:?}"
            );
        }
        let deep = "a {".repeat(100_000);
        assert!(parse(&deep).unwrap_err().message.contains("deeper"));
        let many = "a;\n".repeat(MAX_TOKENS);
        let err = parse(&many).unwrap_err();
        assert_eq!(err.line, MAX_TOKENS / 2);
        assert!(err.message.starts_with("more than"), "{}", err.message);
    }

    #[test]
    fn hostile_text_never_panics() {
        let long = format!("server {{ root /{}; }}", "x".repeat(1 << 20));
        assert_eq!(parse(&long).unwrap().mappings.len(), 1);
        for text in [
            "{",
            "}",
            ";",
            "location;",
            "server;",
            "location { }",
            "server { location { } }",
            "${",
            "'",
            "#",
            "\u{FFFD}{",
        ] {
            let _ = parse(text);
        }
    }
}
