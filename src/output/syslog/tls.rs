//! The rustls client for `tls://` (RFC 5425): the server is checked against the CA bundle
//! given with `--syslog-ca`, and by the URL's host (a name, or an address as an IP SAN).

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use super::SyslogError;

/// The client configuration, built once before the scan so that a bad file is a usage
/// error and not a failure found after the scan.
pub(crate) fn client_config(
    ca: &Path,
    client: Option<(&Path, &Path)>,
) -> Result<Arc<rustls::ClientConfig>, SyslogError> {
    let file = |path: &Path, what: &'static str| {
        let p = path.to_owned();
        move |e: rustls::pki_types::pem::Error| SyslogError::Pem {
            what,
            path: p,
            message: e.to_string(),
        }
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(file(ca, "CA bundle"))? {
        let cert = cert.map_err(file(ca, "CA bundle"))?;
        roots.add(cert).map_err(|e| SyslogError::Pem {
            what: "CA bundle",
            path: ca.to_owned(),
            message: e.to_string(),
        })?;
    }
    if roots.is_empty() {
        return Err(SyslogError::Pem {
            what: "CA bundle",
            path: ca.to_owned(),
            message: "no certificate in it".into(),
        });
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(SyslogError::Tls)?
        .with_root_certificates(roots);
    let config = match client {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .map_err(file(cert, "client certificate"))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(file(cert, "client certificate"))?;
            if chain.is_empty() {
                return Err(SyslogError::Pem {
                    what: "client certificate",
                    path: cert.to_owned(),
                    message: "no certificate in it".into(),
                });
            }
            let key = PrivateKeyDer::from_pem_file(key).map_err(file(key, "client key"))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(SyslogError::Tls)?
        }
    };
    Ok(Arc::new(config))
}

/// The name the server's certificate must hold: the URL's host, a DNS name or an address.
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, SyslogError> {
    ServerName::try_from(host.to_owned()).map_err(|_| SyslogError::ServerName(host.to_owned()))
}
