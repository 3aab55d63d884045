//! Who scans: the host, the scanner and the run, the same on every line of a run.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::common::bytes::hex;

/// Who scanned where, in which run: the same on every line of a run.
#[derive(Clone, Debug)]
pub struct Observer {
    pub host: Host,
    pub version: &'static str,
    /// Random per run: ties a run's findings, events and summary together.
    pub run_id: String,
    /// Relative paths are written against this (the working directory at start).
    pub cwd: Option<PathBuf>,
    /// `--stdin-name`: standard input goes by it and is no path to make absolute.
    pub stdin_name: Option<PathBuf>,
}

impl Observer {
    pub fn here() -> Observer {
        let name = gethostname::gethostname().to_string_lossy().into_owned();
        Observer {
            host: Host {
                hostname: name.clone(),
                name,
                ip: host_ips(),
                os: Os::here(),
            },
            version: env!("CARGO_PKG_VERSION"),
            run_id: run_id(),
            cwd: std::env::current_dir().ok(),
            stdin_name: None,
        }
    }

    /// For documents whose run fields are set later (the state keeps findings without them).
    pub fn placeholder() -> Observer {
        Observer {
            host: Host::default(),
            version: "",
            run_id: String::new(),
            cwd: std::env::current_dir().ok(),
            stdin_name: None,
        }
    }

    /// `path` as written in `file.path` and `log.file.path`: absolute, so that a finding
    /// reads (and its `event.id` is) the same however the path was typed. Made absolute
    /// against the working directory without touching the file system: `.` is dropped, `..`
    /// kept (resolving it, or a symbolic link, could name another file than the one read).
    /// Standard input keeps its name.
    pub fn absolute<'p>(&self, path: &'p Path) -> Cow<'p, Path> {
        if path.is_absolute()
            || path.as_os_str() == crate::read::STDIN
            || self.stdin_name.as_deref() == Some(path)
        {
            return Cow::Borrowed(path);
        }
        let Some(cwd) = &self.cwd else {
            return Cow::Borrowed(path);
        };
        let mut out = cwd.clone();
        for c in path.components() {
            match c {
                Component::CurDir => {}
                other => out.push(other.as_os_str()),
            }
        }
        Cow::Owned(out)
    }
}

/// ECS `host.*`: the scanning host.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Host {
    pub name: String,
    pub hostname: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ip: Vec<String>,
    pub os: Os,
}

/// ECS `host.os.*`, from what the system says cheaply (no process is started).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Os {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    pub platform: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
}

impl Os {
    fn here() -> Os {
        let platform = std::env::consts::OS;
        let kind = match platform {
            "linux" => Some("linux"),
            "macos" => Some("macos"),
            "windows" => Some("windows"),
            "ios" => Some("ios"),
            "android" => Some("android"),
            "freebsd" | "openbsd" | "netbsd" | "dragonfly" | "solaris" | "illumos" => Some("unix"),
            _ => None,
        };
        let mut os = Os {
            kind,
            platform,
            ..Os::default()
        };
        if platform == "linux" {
            os.kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .ok()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty());
            if let Ok(text) = std::fs::read_to_string("/etc/os-release") {
                let get = |key: &str| {
                    text.lines()
                        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
                        .map(|v| v.trim().trim_matches('"').to_owned())
                        .filter(|v| !v.is_empty())
                };
                os.name = get("NAME");
                os.version = get("VERSION_ID");
                // The family is the distribution a derivative follows (Ubuntu: debian).
                os.family = get("ID_LIKE")
                    .and_then(|l| l.split_whitespace().next().map(str::to_owned))
                    .or_else(|| get("ID"));
            }
        }
        os
    }
}

/// The host's addresses as routing would pick them to reach the Internet (one IPv4, one
/// IPv6, when configured). Connecting a UDP socket sends nothing; enumerating interfaces
/// would need unsafe code or a dependency for a field that is only context.
fn host_ips() -> Vec<String> {
    let mut out = Vec::new();
    for (bind, to) in [("0.0.0.0:0", "192.0.2.1:9"), ("[::]:0", "[2001:db8::1]:9")] {
        let addr = std::net::UdpSocket::bind(bind)
            .and_then(|s| s.connect(to).and_then(|()| s.local_addr()))
            .map(|a| a.ip());
        if let Ok(ip) = addr
            && !ip.is_unspecified()
            && !ip.is_loopback()
        {
            out.push(ip.to_string());
        }
    }
    out
}

/// 32 hex digits, unpredictable enough that two runs never share one: the clock, the
/// process id and the address of a fresh allocation, hashed.
fn run_id() -> String {
    let mut h = Sha256::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    h.update(now.as_nanos().to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    let probe = Box::new(0u8);
    h.update((std::ptr::from_ref::<u8>(&probe) as usize).to_le_bytes());
    h.update(gethostname::gethostname().as_encoded_bytes());
    hex(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_become_absolute_without_resolving() {
        let o = Observer {
            cwd: Some("/srv/www".into()),
            ..Observer::placeholder()
        };
        assert_eq!(
            o.absolute(Path::new("./a/b.php")),
            Path::new("/srv/www/a/b.php")
        );
        assert_eq!(
            o.absolute(Path::new("a/../b.php")),
            Path::new("/srv/www/a/../b.php")
        );
        assert_eq!(o.absolute(Path::new("/x/y.php")), Path::new("/x/y.php"));
        assert_eq!(o.absolute(Path::new("<stdin>")), Path::new("<stdin>"));
    }
}
