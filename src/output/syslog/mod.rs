//! `--syslog URL`: every finding (and pivot event, and carried-over finding) also goes to a
//! syslog receiver as one RFC 5424 message whose MSG is the finding's JSON line, over UDP,
//! TCP or TLS. A thread of its own sends, so a slow or absent receiver delays the writer
//! only through a bounded queue; what could not be delivered is counted and makes the run
//! exit 2 (the findings are in the regular output all the same). docs/SYSLOG.md says what
//! a receiver gets and how delivery works.

mod conn;
mod message;
mod sender;
mod tls;
mod url;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub(crate) use message::parse_facility;
pub(crate) use sender::Syslog;
pub(crate) use url::Target;

use crate::finding::Finding;
use message::{Entry, severity_code};

use super::carried::Carried;
use super::ecs::Observer;
use super::{Format, LineError, line_for};

/// What a message's MSG holds (`--syslog-format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SyslogFormat {
    /// The ECS JSON line, byte for byte as `--format jsonl` writes it.
    Jsonl,
    /// The OCSF line, byte for byte as `--format ocsf` writes it.
    Ocsf,
}

impl SyslogFormat {
    /// The output format whose line a message carries.
    pub(crate) fn line_format(self) -> Format {
        match self {
            SyslogFormat::Jsonl => Format::Jsonl,
            SyslogFormat::Ocsf => Format::Ocsf,
        }
    }
}

/// Problems with the `--syslog` options, found before the scan starts.
#[derive(Debug, thiserror::Error)]
pub enum SyslogError {
    #[error("--syslog `{0}`: {1}")]
    Url(String, String),
    #[error(
        "--syslog {0}: tls:// needs --syslog-ca FILE (the CA that signed the receiver's certificate)"
    )]
    NoCa(String),
    #[error("--syslog-ca, --syslog-cert and --syslog-key are for tls:// only")]
    TlsOptionsWithoutTls,
    #[error("cannot read the {what} {path}: {message}")]
    Pem {
        what: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("TLS: {0}")]
    Tls(rustls::Error),
    #[error("--syslog: `{0}` cannot be checked against a certificate")]
    ServerName(String),
}

/// A checked `--syslog` setup.
#[derive(Clone)]
pub struct SyslogConfig {
    target: Target,
    tls: Option<conn::TlsSetup>,
    facility: u8,
    /// How long one outage is retried before its messages count as undelivered.
    retry: Duration,
    /// The line format of the MSG part.
    format: Format,
}

/// The options as given.
pub struct SyslogOptions<'a> {
    pub url: &'a str,
    pub facility: u8,
    pub ca: Option<&'a Path>,
    pub client: Option<(&'a Path, &'a Path)>,
    pub retry: Duration,
    pub format: SyslogFormat,
}

impl SyslogConfig {
    /// Checks the URL and loads the TLS files.
    pub fn new(o: SyslogOptions<'_>) -> Result<SyslogConfig, SyslogError> {
        let target: Target = o.url.parse()?;
        let tls = match (target.transport, o.ca) {
            (url::Transport::Tls, None) => return Err(SyslogError::NoCa(o.url.to_owned())),
            (url::Transport::Tls, Some(ca)) => Some(conn::TlsSetup {
                config: tls::client_config(ca, o.client)?,
                name: tls::server_name(&target.host)?,
            }),
            (_, Some(_)) => return Err(SyslogError::TlsOptionsWithoutTls),
            (_, None) if o.client.is_some() => return Err(SyslogError::TlsOptionsWithoutTls),
            (_, None) => None,
        };
        Ok(SyslogConfig {
            target,
            tls,
            facility: o.facility,
            retry: o.retry,
            format: o.format.line_format(),
        })
    }

    /// The URL, for messages.
    pub fn target(&self) -> String {
        self.target.to_string()
    }

    /// Whether the receiver tells that it read what was sent (a stream closed in order);
    /// over UDP, sent is all that is known.
    pub fn acknowledged(&self) -> bool {
        self.target.transport.is_stream()
    }
}

/// A finding's message: its line in `format` (the JSONL or OCSF output's bytes), its time,
/// severity and rule id. A pivot event is informational and goes by `pivot`.
pub(crate) fn finding_entry(
    f: &Finding,
    format: Format,
    observer: &Observer,
) -> Result<Entry, LineError> {
    let event = f.is_event();
    Ok(Entry {
        severity: severity_code((!event).then_some(f.rule.severity)),
        time: f.timestamp,
        msgid: if event {
            "pivot".into()
        } else {
            f.rule.id.clone()
        },
        line: line_for(format, f, observer)?,
    })
}

/// A carried-over finding's message: the line written for it, timed when it was first
/// reported.
pub(crate) fn carried_entry(c: &Carried, line: String) -> Entry {
    Entry {
        severity: severity_code(Some(c.severity())),
        time: c
            .first_seen
            .parse()
            .unwrap_or_else(|_| jiff::Timestamp::now()),
        msgid: c.rule_id().to_owned(),
        line,
    }
}

impl std::fmt::Debug for SyslogConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyslogConfig")
            .field("target", &self.target)
            .field("tls", &self.tls.is_some())
            .field("facility", &self.facility)
            .field("retry", &self.retry)
            .field("format", &self.format)
            .finish()
    }
}
