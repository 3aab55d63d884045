//! The sending thread: a bounded queue in, reconnection with back-off, and a replay window
//! so that what a dead receiver may have swallowed is sent again (at least once).

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::SyslogConfig;
use super::conn::{Conn, UDP_MAX};
use super::message::{Entry, Header, render};
use crate::output::{Format, for_terminal};
use crate::summary::SyslogCounts;

/// Messages waiting for the sender. When it is full the writer waits (back-pressure): the
/// sender drains it unless it is reconnecting, which lasts at most `--syslog-retry`.
pub(crate) const QUEUE: usize = 4096;

/// Messages kept after they were written to a stream, to send again after a reconnection:
/// a receiver that dies loses what sat in its socket and its own queues without the sender
/// hearing of it. Up to this many messages, and this many bytes.
const REPLAY_MESSAGES: usize = 4096;
const REPLAY_BYTES: usize = 32 << 20;

/// The first wait between attempts to connect, doubled each time up to [`BACKOFF_MAX`].
const BACKOFF_START: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Once an outage outlasted `--syslog-retry`, one attempt at most this often; the messages
/// in between count as undelivered at once, so the scan is not held up.
const PROBE_EVERY: Duration = Duration::from_secs(5);

/// How long a receiver gets to close its side when the run ends.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// The running sender.
pub(crate) struct Syslog {
    tx: Option<SyncSender<Entry>>,
    handle: Option<JoinHandle<SyslogCounts>>,
    /// Messages the thread could not take (it is gone).
    lost: u64,
    /// Messages handed to the thread: all undelivered if it fails.
    queued: u64,
    /// What each message's MSG holds (`--syslog-format`).
    format: Format,
}

impl Syslog {
    pub(crate) fn start(config: super::SyslogConfig, hostname: &str) -> io::Result<Syslog> {
        let format = config.format;
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let worker = Worker {
            header: Header::new(config.facility, hostname),
            label: for_terminal(config.target().as_bytes()),
            config,
            conn: None,
            window: VecDeque::new(),
            window_bytes: 0,
            down: None,
            counts: SyslogCounts::default(),
        };
        let handle = std::thread::Builder::new()
            .name("shellsweep-syslog".into())
            .spawn(move || worker.run(rx))?;
        Ok(Syslog {
            tx: Some(tx),
            handle: Some(handle),
            lost: 0,
            queued: 0,
            format,
        })
    }

    /// The line format of each message's MSG.
    pub(crate) fn format(&self) -> Format {
        self.format
    }

    /// Queues a message; waits while the queue is full.
    pub(crate) fn send(&mut self, entry: Entry) {
        let gone = match &self.tx {
            Some(tx) => tx.send(entry).is_err(),
            None => true,
        };
        if gone {
            self.lost += 1;
        } else {
            self.queued += 1;
        }
    }

    /// Waits for the queue to be sent (or given up on) and says what became of it.
    pub(crate) fn finish(mut self) -> SyslogCounts {
        self.tx = None;
        let mut counts = match self.handle.take().map(JoinHandle::join) {
            Some(Ok(c)) => c,
            _ => {
                let _ = writeln!(io::stderr(), "shellsweep: the syslog sender failed");
                // Nothing it was handed is known to have arrived.
                SyslogCounts {
                    undelivered: self.queued,
                    ..SyslogCounts::default()
                }
            }
        };
        counts.undelivered += self.lost;
        counts
    }
}

struct Worker {
    config: SyslogConfig,
    header: Header,
    /// The URL as shown on stderr.
    label: String,
    conn: Option<Conn>,
    /// Not known to be read: sent again after a reconnection. Each message says whether it
    /// was written (or tried) before, for the count of messages sent twice.
    window: VecDeque<(Vec<u8>, bool)>,
    window_bytes: usize,
    /// Since when the receiver is given up on, and when it was last tried.
    down: Option<Instant>,
    counts: SyslogCounts,
}

impl Worker {
    fn run(mut self, rx: Receiver<Entry>) -> SyslogCounts {
        self.conn = Conn::connect(
            &self.config.target,
            self.config.tls.as_ref(),
            self.config.retry.min(BACKOFF_MAX),
        )
        .ok();
        for entry in rx {
            let message = render(&self.header, &entry);
            self.deliver(message);
        }
        self.close();
        self.counts
    }

    fn note(&self, what: &str) {
        let _ = writeln!(
            io::stderr(),
            "shellsweep: syslog {}: {}",
            self.label,
            for_terminal(what.as_bytes())
        );
    }

    fn deliver(&mut self, message: Vec<u8>) {
        if !self.config.target.transport.is_stream() {
            return self.datagram(&message);
        }
        self.window_bytes += message.len();
        self.window.push_back((message, false));
        self.trim_window();
        if self.down.is_some() && !self.probe() {
            self.drop_window();
            return;
        }
        if let Some(conn) = &mut self.conn {
            let last = self.window.back_mut().expect("just pushed");
            // Tried is as good as written: part of it may have gone.
            last.1 = true;
            match conn.send(&last.0) {
                Ok(()) => return,
                Err(e) => {
                    self.note(&format!("connection lost ({e}); reconnecting"));
                    self.conn = None;
                }
            }
        }
        // The replay sends the window, this message included.
        let deadline = Instant::now() + self.config.retry;
        if !self.reconnect(deadline) {
            self.give_up();
        }
    }

    fn datagram(&mut self, message: &[u8]) {
        if message.len() > UDP_MAX {
            self.counts.oversized += 1;
            self.counts.undelivered += 1;
            return;
        }
        if self.conn.is_none() {
            self.conn = Conn::connect(&self.config.target, None, BACKOFF_MAX).ok();
        }
        match self.conn.as_mut().map(|c| c.send(message)) {
            Some(Ok(())) => self.counts.sent += 1,
            _ => self.counts.undelivered += 1,
        }
    }

    /// Messages that fell out of the window were written long enough ago to count as read.
    fn trim_window(&mut self) {
        while self.window.len() > REPLAY_MESSAGES
            || (self.window_bytes > REPLAY_BYTES && self.window.len() > 1)
        {
            if let Some((m, _)) = self.window.pop_front() {
                self.window_bytes -= m.len();
                self.counts.sent += 1;
            }
        }
    }

    /// Everything in the window counts as undelivered.
    fn drop_window(&mut self) {
        self.counts.undelivered += self.window.len() as u64;
        self.window.clear();
        self.window_bytes = 0;
    }

    /// Connects (with exponential back-off, until `deadline`) and sends the window again.
    fn reconnect(&mut self, deadline: Instant) -> bool {
        let mut wait = BACKOFF_START;
        let mut last_error = String::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match Conn::connect(
                &self.config.target,
                self.config.tls.as_ref(),
                left.min(BACKOFF_MAX),
            ) {
                Ok(conn) => {
                    self.conn = Some(conn);
                    if self.replay() {
                        return true;
                    }
                    self.conn = None;
                }
                Err(e) => last_error = e.to_string(),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                if !last_error.is_empty() {
                    self.note(&format!("cannot connect: {last_error}"));
                }
                return false;
            }
            std::thread::sleep(wait.min(left));
            wait = (wait * 2).min(BACKOFF_MAX);
        }
    }

    /// Sends the whole window on a new connection.
    fn replay(&mut self) -> bool {
        let Some(conn) = &mut self.conn else {
            return false;
        };
        let mut again = 0;
        for (m, written) in &mut self.window {
            again += u64::from(*written);
            *written = true;
            if conn.send(m).is_err() {
                return false;
            }
        }
        self.counts.resent += again;
        true
    }

    fn give_up(&mut self) {
        let n = self.window.len();
        self.drop_window();
        self.down = Some(Instant::now());
        self.note(&format!(
            "no delivery for {} s: {n} messages not delivered; trying again every {} s, the \
             messages in between are not delivered",
            self.config.retry.as_secs_f64(),
            PROBE_EVERY.as_secs()
        ));
    }

    /// After giving up: one quick attempt when the last is long enough ago.
    fn probe(&mut self) -> bool {
        let Some(since) = self.down else {
            return true;
        };
        if since.elapsed() < PROBE_EVERY {
            return false;
        }
        self.down = Some(Instant::now());
        if let Ok(conn) = Conn::connect(
            &self.config.target,
            self.config.tls.as_ref(),
            BACKOFF_START * 10,
        ) {
            self.conn = Some(conn);
            self.down = None;
            self.note("connected again");
            return true;
        }
        false
    }

    /// The end of the run: close the stream in order, so that the receiver confirms it read
    /// everything; otherwise reconnect and send the window again, until `--syslog-retry`.
    fn close(&mut self) {
        if !self.config.target.transport.is_stream() {
            return;
        }
        let deadline = Instant::now() + self.config.retry;
        loop {
            if self.window.is_empty() {
                if let Some(c) = self.conn.take() {
                    let _ = c.close(CLOSE_WAIT);
                }
                return;
            }
            if self.conn.is_none() && (self.down.is_some() || !self.reconnect(deadline)) {
                self.give_up_at_end();
                return;
            }
            let Some(conn) = self.conn.take() else {
                continue;
            };
            match conn.close(CLOSE_WAIT.min(self.config.retry.max(Duration::from_secs(1)))) {
                Ok(()) => {
                    self.counts.sent += self.window.len() as u64;
                    self.window.clear();
                    self.window_bytes = 0;
                    return;
                }
                Err(e) => {
                    self.note(&format!(
                        "the receiver did not confirm the end of the stream ({e}); sending the last {} messages again",
                        self.window.len()
                    ));
                    if Instant::now() >= deadline {
                        self.give_up_at_end();
                        return;
                    }
                }
            }
        }
    }

    fn give_up_at_end(&mut self) {
        let n = self.window.len();
        self.drop_window();
        self.note(&format!(
            "gave up: the last {n} messages may not have been delivered"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::{SyslogConfig, SyslogOptions};
    use super::*;

    fn entry(len: usize) -> Entry {
        Entry {
            severity: 3,
            time: jiff::Timestamp::UNIX_EPOCH,
            msgid: "SSW-T".into(),
            line: "x".repeat(len),
        }
    }

    #[test]
    fn a_datagram_too_large_is_counted_not_cut() {
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let url = format!("udp://{}", rx.local_addr().unwrap());
        let config = SyslogConfig::new(SyslogOptions {
            url: &url,
            facility: 16,
            ca: None,
            client: None,
            retry: Duration::from_secs(1),
            format: crate::output::syslog::SyslogFormat::Jsonl,
        })
        .unwrap();
        let mut s = Syslog::start(config, "host").unwrap();
        s.send(entry(UDP_MAX));
        s.send(entry(100));
        let counts = s.finish();
        assert_eq!(
            counts,
            SyslogCounts {
                sent: 1,
                undelivered: 1,
                resent: 0,
                oversized: 1
            }
        );
        let mut buf = vec![0u8; 70_000];
        let n = rx.recv(&mut buf).unwrap();
        let got = &buf[..n];
        assert!(got.starts_with(b"<131>1 1970-01-01T00:00:00.000000Z host shellsweep "));
        assert!(got.ends_with(&[b"\xef\xbb\xbf".as_slice(), &[b'x'; 100]].concat()));
    }

    #[test]
    fn a_stream_is_closed_in_order_and_everything_counts_as_sent() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("tcp://{}", listener.local_addr().unwrap());
        let reader = std::thread::spawn(move || {
            let (mut sock, _) = listener.accept().unwrap();
            let mut all = Vec::new();
            std::io::Read::read_to_end(&mut sock, &mut all).unwrap();
            all
        });
        let config = SyslogConfig::new(SyslogOptions {
            url: &url,
            facility: 16,
            ca: None,
            client: None,
            retry: Duration::from_secs(5),
            format: crate::output::syslog::SyslogFormat::Jsonl,
        })
        .unwrap();
        let mut s = Syslog::start(config, "host").unwrap();
        for n in 0..50 {
            s.send(entry(n * 10));
        }
        let counts = s.finish();
        assert_eq!((counts.sent, counts.undelivered, counts.resent), (50, 0, 0));
        // 50 octet-counted frames, back to back.
        let all = reader.join().unwrap();
        let mut rest = all.as_slice();
        let mut frames = 0;
        while !rest.is_empty() {
            let sp = rest.iter().position(|b| *b == b' ').unwrap();
            let len: usize = std::str::from_utf8(&rest[..sp]).unwrap().parse().unwrap();
            let msg = &rest[sp + 1..sp + 1 + len];
            assert!(msg.starts_with(b"<131>1 "));
            assert!(msg.ends_with(&vec![b'x'; frames * 10]));
            rest = &rest[sp + 1 + len..];
            frames += 1;
        }
        assert_eq!(frames, 50);
    }
}
