//! Which URL path serves which file: the map that lets a log request be joined with a file
//! found in a web root.
//!
//! A request line says `/_layouts/15/spinstall0.aspx`; the file finding says
//! `/mnt/evidence/Program Files/…/16/TEMPLATE/LAYOUTS/spinstall0.aspx`. Only the server's
//! own configuration knows that one serves the other, so the map is filled from it:
//!
//! - [`WebrootMap::add_option`]: `--webroot URL_PREFIX=PATH`, which wins over any config
//!   entry for the same prefix (the responder knows better than a stale config);
//! - [`WebrootMap::add_config`]: IIS `applicationHost.config` (`iis.rs`), Apache
//!   (`apache.rs`), nginx (`nginx.rs`), Tomcat `conf/server.xml` (`tomcat.rs`), recognised
//!   by [`WebrootMap::config_kind`] or by content. What a parser does not follow
//!   (`Include`, `AliasMatch`, regex locations, paths with variables) is kept in
//!   [`WebrootMap::not_followed`] so the run can say its map may be incomplete;
//! - [`WebrootMap::infer_from_path`]: layouts that are the same on every install
//!   (SharePoint's hive, `sharepoint.rs`; Tomcat's `webapps/`, `tomcat.rs`), seen in the
//!   paths of the scanned files themselves.
//!
//! Configs name the server's paths, while the scan often reads a copy mounted elsewhere, so
//! a folder is matched by its components after the drive (`path.rs`): it matches a file
//! when those components occur as a contiguous run in the file's path. Servers pick one
//! mapping per request, the longest prefix; the map does so too, but per site (an IIS
//! site, an Apache virtual host, an nginx `server`), because a log line does not always
//! say which site answered it.
//!
//! [`WebrootMap::join`] answers "did this request serve this file?" and says how it knows
//! ([`JoinMethod`]): by a mapping, or, when no mapping ties the request to the file, by
//! the request path's tail alone (a weaker join the caller ranks below a mapped one). [`WebrootMap::under_url`] answers "is this file in the folder this
//! request wrote into?" for exploit requests followed by a dropped file.

mod apache;
mod config;
mod iis;
mod nginx;
mod path;
mod sharepoint;
#[cfg(test)]
mod tests;
mod tomcat;

use std::fmt;
use std::path::{Path, PathBuf};

pub(crate) use config::ConfigKind;
use path::{Folder, components, run_at, run_positions, same, url_segments};

/// Where a mapping came from; its `Display` is what a finding shows as `join_source`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// `--webroot URL_PREFIX=PATH`.
    Option,
    /// An IIS `applicationHost.config`, by the path it was read from.
    Iis(PathBuf),
    /// An Apache config file.
    Apache(PathBuf),
    /// An nginx config file.
    Nginx(PathBuf),
    /// A Tomcat `server.xml`.
    Tomcat(PathBuf),
    /// SharePoint's hive folders, seen in scanned paths.
    SharePointHive,
    /// A Tomcat `webapps/NAME/` folder, seen in scanned paths.
    TomcatWebapps,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Option => f.write_str("--webroot"),
            Source::Iis(p) => write!(f, "IIS applicationHost.config ({})", p.display()),
            Source::Apache(p) => write!(f, "Apache config ({})", p.display()),
            Source::Nginx(p) => write!(f, "nginx config ({})", p.display()),
            Source::Tomcat(p) => write!(f, "Tomcat server.xml ({})", p.display()),
            Source::SharePointHive => f.write_str("SharePoint hive"),
            Source::TomcatWebapps => f.write_str("Tomcat webapps"),
        }
    }
}

/// How a request was joined with a file, strongest first. A finding carries it so the
/// reader can weigh the join: a file-name match alone can be a namesake in another folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JoinMethod {
    /// A mapping from a config, an option or a known layout.
    Webroot,
    /// No mapping ties the request to the file; every segment of the request path equals
    /// the last components of the file path.
    PathTail,
    /// No mapping ties the request to the file; only the request's last segment equals the
    /// file name.
    FileName,
}

impl JoinMethod {
    /// The wire form (`join_method`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JoinMethod::Webroot => "webroot",
            JoinMethod::PathTail => "path_tail",
            JoinMethod::FileName => "file_name",
        }
    }
}

/// A request joined with a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Join {
    pub(crate) method: JoinMethod,
    /// The mapping's [`Source`] as shown, for [`JoinMethod::Webroot`].
    pub(crate) source: Option<String>,
}

/// A directive or entry a parser saw and did not turn into a mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NotFollowed {
    pub(crate) config: PathBuf,
    pub(crate) line: usize,
    /// What it was, e.g. `Include conf.d/*.conf` or `location ~ \.php$`.
    pub(crate) what: String,
}

/// At most this many [`NotFollowed`] entries are kept; the rest are only counted.
const NOT_FOLLOWED_KEPT: usize = 256;

/// Why the map could not take an option or a config.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WebrootError {
    /// A `--webroot` value that is not `URL_PREFIX=PATH`.
    #[error("--webroot {spec:?}: {reason} (expected URL_PREFIX=PATH, e.g. /=/var/www/html)")]
    Spec { spec: String, reason: &'static str },
    /// The config could not be opened or read, or is not a regular file (a FIFO would
    /// block the run).
    #[error("cannot read web server config {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Over [`config::MAX_CONFIG_BYTES`]: refused whole, since half a config maps wrongly.
    #[error("web server config {} is over {limit} bytes; not read", path.display())]
    TooLarge { path: PathBuf, limit: u64 },
    /// Neither its name nor its first 64 KiB say which server it configures.
    #[error(
        "{}: not a web server config shellsweep reads (IIS applicationHost.config, Apache, nginx, Tomcat server.xml)",
        path.display()
    )]
    UnknownKind { path: PathBuf },
    /// A config its parser cannot read, at the line where it gave up.
    #[error("{}:{line}: {message}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

#[derive(Debug)]
struct Mapping {
    /// The URL prefix's segments.
    prefix: Vec<String>,
    /// The prefix as shown: `/`, `/app/`.
    shown: String,
    folder: Folder,
    source: Source,
    /// Mappings of one site compete for a request; different sites do not.
    site: usize,
    case_insensitive: bool,
}

/// URL prefixes and the folders that serve them. `Default` is the empty map, under which
/// every join falls back to the request path's tail.
#[derive(Debug, Default)]
pub(crate) struct WebrootMap {
    mappings: Vec<Mapping>,
    sites: usize,
    option_site: Option<usize>,
    hive_site: Option<usize>,
    webapps_site: Option<usize>,
    /// Tomcat application bases named by a `server.xml` (not `webapps`), with that file.
    app_bases: Vec<(Folder, PathBuf)>,
    not_followed: Vec<NotFollowed>,
    not_followed_total: usize,
    /// Configs already read: the walk may meet one that an option also named.
    read: Vec<PathBuf>,
}

impl WebrootMap {
    /// Adds `--webroot URL_PREFIX=PATH`. It replaces config mappings of the same prefix,
    /// already read or read later; several options may name the same prefix (several
    /// sites' roots), and all of them are kept.
    pub(crate) fn add_option(&mut self, spec: &str) -> Result<(), WebrootError> {
        let bad = |reason| WebrootError::Spec {
            spec: spec.to_owned(),
            reason,
        };
        let (prefix, folder) = spec.split_once('=').ok_or_else(|| bad("no '='"))?;
        let prefix = prefix.trim();
        if !prefix.starts_with('/') {
            return Err(bad("the URL prefix must start with '/'"));
        }
        if spec.contains('\0') {
            return Err(bad("contains a NUL byte"));
        }
        let folder = Folder::parse(folder);
        if folder.comps.is_empty() {
            return Err(bad("the path names no folder below the root"));
        }
        let segs = owned_segments(prefix);
        let ci = folder.windows;
        self.mappings
            .retain(|m| m.source == Source::Option || !same_prefix(&m.prefix, &segs));
        let site = *self.option_site.get_or_insert_with(|| {
            self.sites += 1;
            self.sites - 1
        });
        self.push(segs, folder, Source::Option, site, ci);
        Ok(())
    }

    /// Whether `path` is a server config by its name and place: `applicationHost.config`;
    /// `httpd.conf`, `apache2.conf`, `*.conf` in `sites-enabled`, `sites-available`,
    /// `conf.d`, `conf-enabled` of `apache2`/`httpd`; `nginx.conf`, `*.conf` in those
    /// folders of `nginx` and Debian's extension-less `nginx/sites-enabled/NAME`;
    /// `conf/server.xml`. Allocation-free, for calling on every walked file.
    pub(crate) fn config_kind(path: &Path) -> Option<ConfigKind> {
        config::kind_by_name(path)
    }

    /// Reads a server config, of the kind its name says or else its content says, and
    /// adds its mappings. Returns how many were added (a Tomcat `server.xml`'s `appBase`
    /// folders are not counted: they become mappings as their applications are scanned;
    /// a config given again by the same path adds nothing).
    pub(crate) fn add_config(&mut self, path: &Path) -> Result<usize, WebrootError> {
        let text = config::read(path)?;
        let kind = config::kind_by_name(path)
            .or_else(|| config::kind_by_content(&text))
            .ok_or_else(|| WebrootError::UnknownKind {
                path: path.to_path_buf(),
            })?;
        self.add_text(path, kind, &text)
    }

    /// [`add_config`](Self::add_config) for a file whose kind the caller knows.
    #[cfg(test)]
    pub(crate) fn add_config_as(
        &mut self,
        path: &Path,
        kind: ConfigKind,
    ) -> Result<usize, WebrootError> {
        let text = config::read(path)?;
        self.add_text(path, kind, &text)
    }

    fn add_text(
        &mut self,
        path: &Path,
        kind: ConfigKind,
        text: &str,
    ) -> Result<usize, WebrootError> {
        if self.read.iter().any(|p| p == path) {
            return Ok(0);
        }
        let parsed = match kind {
            ConfigKind::Iis => iis::parse(text),
            ConfigKind::Apache => apache::parse(text),
            ConfigKind::Nginx => nginx::parse(text),
            ConfigKind::Tomcat => tomcat::parse(text, path),
        }
        .map_err(|e| WebrootError::Malformed {
            path: path.to_path_buf(),
            line: e.line,
            message: e.message,
        })?;
        let source = match kind {
            ConfigKind::Iis => Source::Iis(path.to_path_buf()),
            ConfigKind::Apache => Source::Apache(path.to_path_buf()),
            ConfigKind::Nginx => Source::Nginx(path.to_path_buf()),
            ConfigKind::Tomcat => Source::Tomcat(path.to_path_buf()),
        };
        self.read.push(path.to_path_buf());
        for (line, what) in parsed.not_followed {
            self.note(path, line, what);
        }
        for base in parsed.app_bases {
            let folder = Folder::parse(&base);
            if !folder.comps.is_empty() {
                self.app_bases.push((folder, path.to_path_buf()));
            }
        }
        let first_site = self.sites;
        let mut added = 0;
        for raw in parsed.mappings {
            let folder = Folder::parse(&raw.folder);
            if folder.comps.is_empty() {
                self.note(
                    path,
                    raw.line,
                    format!("{} -> {}: no folder below the root", raw.prefix, raw.folder),
                );
                continue;
            }
            let segs = owned_segments(&raw.prefix);
            if self.overridden(&segs) {
                continue;
            }
            let ci = kind == ConfigKind::Iis || folder.windows;
            let site = first_site + raw.site;
            self.sites = self.sites.max(site + 1);
            self.push(segs, folder, source.clone(), site, ci);
            added += 1;
        }
        Ok(added)
    }

    /// Learns mappings from a scanned file's path where the layout is fixed by the product:
    /// SharePoint's hive (`…/16|15/TEMPLATE/LAYOUTS` serves `/_layouts/15/`,
    /// `…/14/TEMPLATE/LAYOUTS` serves `/_layouts/`, `…/1x/ISAPI` serves `/_vti_bin/`,
    /// case-insensitively, below `Web Server Extensions` or in a copy of the hive alone) and Tomcat's `webapps/NAME/` (`/NAME/`; `ROOT` is
    /// `/`). Runs on every walked file, so the common path (no such folder) allocates
    /// nothing; a mapping already known is not added again.
    pub(crate) fn infer_from_path(&mut self, file: &Path) {
        let bytes = file.as_os_str().as_encoded_bytes();
        if let Some((n, prefix)) = sharepoint::infer(bytes) {
            self.add_inferred(
                file,
                n,
                Prefix::Static(prefix),
                Source::SharePointHive,
                true,
            );
        }
        if let Some((n, name)) = tomcat::infer_webapps(bytes) {
            self.add_inferred(file, n, Prefix::App(name), Source::TomcatWebapps, false);
        }
        if !self.app_bases.is_empty() {
            let comps: Vec<&[u8]> = components(bytes).collect();
            let found = self.app_bases.iter().find_map(|(base, config)| {
                run_positions(&comps, &base.comps, base.windows)
                    .map(|at| at + base.comps.len())
                    .find(|&n| n + 1 < comps.len())
                    .map(|n| (n + 1, comps[n], config.clone(), base.windows))
            });
            if let Some((n, name, config, windows)) = found {
                self.add_inferred(file, n, Prefix::App(name), Source::Tomcat(config), windows);
            }
        }
    }

    fn add_inferred(
        &mut self,
        file: &Path,
        n: usize,
        prefix: Prefix<'_>,
        source: Source,
        ci: bool,
    ) {
        let bytes = file.as_os_str().as_encoded_bytes();
        let known = self.mappings.iter().any(|m| {
            m.source == source
                && m.folder.comps.len() == n
                && m.folder
                    .comps
                    .iter()
                    .zip(components(bytes))
                    // `from_scanned` stored non-UTF-8 names lossily; compare them so.
                    .all(|(a, b)| String::from_utf8_lossy(b) == a.as_str())
        });
        if known {
            return;
        }
        let segs = match prefix {
            Prefix::Static(p) => owned_segments(p),
            Prefix::App(name) => tomcat::app_prefix(&String::from_utf8_lossy(name)),
        };
        if self.overridden(&segs) {
            return;
        }
        let slot = match source {
            Source::SharePointHive => &mut self.hive_site,
            _ => &mut self.webapps_site,
        };
        let site = match *slot {
            Some(s) => s,
            None => {
                *slot = Some(self.sites);
                self.sites += 1;
                self.sites - 1
            }
        };
        self.push(segs, Folder::from_scanned(file, n), source, site, ci);
    }

    fn push(&mut self, prefix: Vec<String>, folder: Folder, source: Source, site: usize, ci: bool) {
        let shown = if prefix.is_empty() {
            "/".to_owned()
        } else {
            format!("/{}/", prefix.join("/"))
        };
        self.mappings.push(Mapping {
            prefix,
            shown,
            folder,
            source,
            site,
            case_insensitive: ci,
        });
    }

    fn overridden(&self, segs: &[String]) -> bool {
        self.mappings
            .iter()
            .any(|m| m.source == Source::Option && same_prefix(&m.prefix, segs))
    }

    fn note(&mut self, config: &Path, line: usize, what: String) {
        self.not_followed_total += 1;
        if self.not_followed.len() < NOT_FOLLOWED_KEPT {
            self.not_followed.push(NotFollowed {
                config: config.to_path_buf(),
                line,
                what,
            });
        }
    }

    /// Whether no mapping is known (every join then falls back to the path's tail).
    pub(crate) fn is_empty(&self) -> bool {
        self.mappings.is_empty()
    }

    /// Every mapping as (URL prefix, folder as written, source), for a notice or summary.
    pub(crate) fn mappings(&self) -> impl Iterator<Item = (&str, &Path, &Source)> {
        self.mappings
            .iter()
            .map(|m| (m.shown.as_str(), m.folder.shown.as_path(), &m.source))
    }

    /// What configs named but the map did not follow (the first 256), so the run can say
    /// that requests under those may not be joined by mapping.
    pub(crate) fn not_followed(&self) -> &[NotFollowed] {
        &self.not_followed
    }

    /// How many things were not followed, including those past the kept list.
    pub(crate) fn not_followed_total(&self) -> usize {
        self.not_followed_total
    }

    /// Does a request for `url_path` (percent-decoded, query removed) serve `file`?
    ///
    /// Each site's longest prefix that matches the request is the one its server would
    /// use; the request serves `file` when the file path ends with that mapping's folder
    /// followed by the rest of the request path ([`JoinMethod::Webroot`], most specific
    /// mapping's source). Otherwise the request path's tail decides
    /// ([`JoinMethod::PathTail`], [`JoinMethod::FileName`]), even when a mapping covers the
    /// file under another URL: a "no" would let a config planted in a web root hide a
    /// webshell's requests, and the caller counts a file's requests at the strongest join
    /// it has, so a mapped URL still outranks a tail.
    /// `case_insensitive` is for IIS logs; IIS and SharePoint mappings always compare
    /// without case.
    pub(crate) fn join(&self, url_path: &str, file: &Path, case_insensitive: bool) -> Option<Join> {
        let url = url_segments(url_path, case_insensitive);
        let comps: Vec<&[u8]> = components(file.as_os_str().as_encoded_bytes()).collect();
        if url.is_empty() || comps.is_empty() {
            return None;
        }
        let mut best: Option<&Mapping> = None;
        for m in self.routes(&url, case_insensitive) {
            let ci = case_insensitive || m.case_insensitive;
            let rest = &url[m.prefix.len()..];
            let Some(at) = comps.len().checked_sub(rest.len() + m.folder.comps.len()) else {
                continue;
            };
            // An empty rest is a prefix naming a file (`Alias /robots.txt /srv/r.txt`).
            if run_at(&comps, at, &m.folder.comps, ci)
                && run_at(&comps, at + m.folder.comps.len(), rest, ci)
            {
                best = Some(more_specific(best, m));
            }
        }
        if let Some(m) = best {
            return Some(Join {
                method: JoinMethod::Webroot,
                source: Some(m.source.to_string()),
            });
        }
        // A mapping that covers the file but is not how this request reached it does not
        // veto the weaker joins: a config can be planted in a web root (any file named
        // like one is read), and a false "no" would hide a webshell's requests. The caller
        // counts a request at the strongest join any file has.
        let last = comps.len() - 1;
        if let Some(at) = comps.len().checked_sub(url.len())
            && run_at(&comps, at, &url, case_insensitive)
        {
            return Some(Join {
                method: JoinMethod::PathTail,
                source: None,
            });
        }
        let name = url[url.len() - 1].as_bytes();
        same(name, comps[last], case_insensitive).then_some(Join {
            method: JoinMethod::FileName,
            source: None,
        })
    }

    /// Is `file` anywhere below the folder that serves the "directory" of `url_path` (the
    /// request path without its last segment, or all of it when it ends in `/`)? An
    /// exploit request to `/_layouts/15/ToolPane.aspx` points at the `LAYOUTS` folder, a
    /// `POST /upload.php` at the site root. `None` when no mapping covers that directory:
    /// without one, a folder cannot be told from a namesake.
    pub(crate) fn under_url(
        &self,
        url_path: &str,
        file: &Path,
        case_insensitive: bool,
    ) -> Option<Join> {
        let mut dir = url_segments(url_path, case_insensitive);
        let trailing = url_path.ends_with('/') || (case_insensitive && url_path.ends_with('\\'));
        if !trailing {
            dir.pop();
        }
        let comps: Vec<&[u8]> = components(file.as_os_str().as_encoded_bytes()).collect();
        let mut best: Option<&Mapping> = None;
        for m in self.routes(&dir, case_insensitive) {
            let ci = case_insensitive || m.case_insensitive;
            let rest = &dir[m.prefix.len()..];
            let inside = run_positions(&comps, &m.folder.comps, ci).any(|at| {
                let end = at + m.folder.comps.len();
                run_at(&comps, end, rest, ci) && end + rest.len() < comps.len()
            });
            if inside {
                best = Some(more_specific(best, m));
            }
        }
        best.map(|m| Join {
            method: JoinMethod::Webroot,
            source: Some(m.source.to_string()),
        })
    }

    /// The mappings a server would pick for `url`: in each site, those with the longest
    /// prefix that the URL starts with.
    fn routes<'a>(
        &'a self,
        url: &'a [&str],
        case_insensitive: bool,
    ) -> impl Iterator<Item = &'a Mapping> + 'a {
        let matches = move |m: &Mapping| {
            m.prefix.len() <= url.len()
                && m.prefix.iter().zip(url).all(|(p, u)| {
                    same(
                        p.as_bytes(),
                        u.as_bytes(),
                        case_insensitive || m.case_insensitive,
                    )
                })
        };
        let mut longest: Vec<Option<usize>> = vec![None; self.sites];
        for m in self.mappings.iter().filter(|m| matches(m)) {
            let slot = &mut longest[m.site];
            *slot = Some(slot.map_or(m.prefix.len(), |l| l.max(m.prefix.len())));
        }
        self.mappings
            .iter()
            .filter(move |m| longest[m.site] == Some(m.prefix.len()) && matches(m))
    }
}

/// A prefix known at compile time, or a Tomcat application's folder name.
enum Prefix<'a> {
    Static(&'static str),
    App(&'a [u8]),
}

fn owned_segments(prefix: &str) -> Vec<String> {
    url_segments(prefix, false)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn same_prefix(a: &[String], b: &[String]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| same(x.as_bytes(), y.as_bytes(), true))
}

/// The longer prefix, then the longer folder: the mapping that says more.
fn more_specific<'a>(best: Option<&'a Mapping>, m: &'a Mapping) -> &'a Mapping {
    // What a server's config or the user says beats what is inferred from a path (the
    // hive, webapps/), which names the scanned copy's folder and so looks more specific.
    let weight = |x: &Mapping| {
        let inferred = matches!(x.source, Source::SharePointHive | Source::TomcatWebapps);
        (x.prefix.len(), !inferred, x.folder.comps.len())
    };
    match best {
        Some(b) if weight(b) >= weight(m) => b,
        _ => m,
    }
}
