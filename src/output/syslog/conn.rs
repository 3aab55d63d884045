//! One connection to the receiver, whatever the transport.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;

use super::message::frame;
use super::url::{Target, Transport};

/// A blocked write (a receiver that stopped reading) fails after this and the connection
/// is made again, so the run cannot hang on it.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest UDP payload over IPv4 (65,535 less the IP and UDP headers); the kernel
/// refuses more, and the datagram is never cut.
pub(crate) const UDP_MAX: usize = 65_507;

/// What [`Conn::connect`] needs for TLS.
#[derive(Clone)]
pub(crate) struct TlsSetup {
    pub(crate) config: Arc<rustls::ClientConfig>,
    pub(crate) name: ServerName<'static>,
}

pub(crate) enum Conn {
    Udp(UdpSocket),
    Tcp(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Conn {
    /// Resolves the host again (an address may have moved) and connects to the first
    /// address that answers within `timeout`; for TLS, completes the handshake too, so a
    /// certificate the CA does not vouch for shows here.
    pub(crate) fn connect(
        target: &Target,
        tls: Option<&TlsSetup>,
        timeout: Duration,
    ) -> io::Result<Conn> {
        let timeout = timeout.max(Duration::from_millis(50));
        let addrs: Vec<SocketAddr> = target.authority().to_socket_addrs()?.collect();
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the host has no address");
        for addr in addrs {
            let conn = match target.transport {
                Transport::Udp => udp(addr),
                Transport::Tcp => tcp(addr, timeout).map(Conn::Tcp),
                Transport::Tls => tcp(addr, timeout).and_then(|sock| {
                    let setup = tls.ok_or_else(|| io::Error::other("no TLS configuration"))?;
                    tls_handshake(sock, setup, timeout)
                }),
            };
            match conn {
                Ok(c) => return Ok(c),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Sends one message: a datagram, or an octet-counted frame.
    pub(crate) fn send(&mut self, message: &[u8]) -> io::Result<()> {
        match self {
            Conn::Udp(s) => {
                // A refusal reported now is about an earlier datagram (an ICMP
                // port-unreachable); this one was not sent: try it once more.
                let sent = match s.send(message) {
                    Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => s.send(message),
                    r => r,
                }?;
                if sent != message.len() {
                    return Err(io::Error::other("the datagram was cut"));
                }
                Ok(())
            }
            Conn::Tcp(s) => s.write_all(&frame(message)),
            Conn::Tls(s) => {
                s.write_all(&frame(message))?;
                s.flush()
            }
        }
    }

    /// Ends a stream and waits (up to `timeout`) for the receiver to close its side: it
    /// closes only after reading everything before our end, so an orderly close says that
    /// all was read. A reset (the receiver died with data unread) or silence is an error.
    pub(crate) fn close(self, timeout: Duration) -> io::Result<()> {
        let sock = match self {
            Conn::Udp(_) => return Ok(()),
            Conn::Tcp(s) => s,
            Conn::Tls(mut s) => {
                s.conn.send_close_notify();
                while s.conn.wants_write() {
                    s.conn.write_tls(&mut s.sock)?;
                }
                s.sock
            }
        };
        sock.shutdown(Shutdown::Write)?;
        let deadline = Instant::now() + timeout;
        let mut sink = [0u8; 4096];
        let mut sock = sock;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the receiver did not close the connection",
                ));
            }
            sock.set_read_timeout(Some(left))?;
            match sock.read(&mut sink) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

fn udp(addr: SocketAddr) -> io::Result<Conn> {
    let local: SocketAddr = if addr.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let s = UdpSocket::bind(local)?;
    s.connect(addr)?;
    Ok(Conn::Udp(s))
}

fn tcp(addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_nodelay(true)?;
    s.set_write_timeout(Some(WRITE_TIMEOUT))?;
    Ok(s)
}

fn tls_handshake(mut sock: TcpStream, setup: &TlsSetup, timeout: Duration) -> io::Result<Conn> {
    let mut conn = rustls::ClientConnection::new(Arc::clone(&setup.config), setup.name.clone())
        .map_err(io::Error::other)?;
    sock.set_read_timeout(Some(timeout))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut sock)?;
    }
    sock.set_read_timeout(None)?;
    Ok(Conn::Tls(Box::new(rustls::StreamOwned::new(conn, sock))))
}
