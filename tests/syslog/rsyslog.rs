//! The receiver for tests/syslog: rsyslogd in the foreground on free loopback ports, with a
//! configuration and a test CA written into the test's temporary folder.

use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BOM: &str = "\u{feff}";

pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// `rsyslogd` and `openssl`, or None after a skip line (a failure when rsyslog is required).
pub fn tools() -> Option<(PathBuf, PathBuf)> {
    match (on_path("rsyslogd"), on_path("openssl")) {
        (Some(r), Some(o)) => Some((r, o)),
        _ => {
            if std::env::var_os("SHELLSWEEP_REQUIRE_RSYSLOG").is_some() {
                panic!("SHELLSWEEP_REQUIRE_RSYSLOG is set but rsyslogd or openssl is missing");
            }
            // Straight to the process's stderr: the harness swallows `println!`, and a skip
            // must be seen.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                b"SKIPPED: tests/syslog needs rsyslogd (apt-get install rsyslog rsyslog-gnutls) and openssl\n",
            );
            None
        }
    }
}

/// A loopback port free for TCP and UDP now.
pub fn free_port() -> u16 {
    loop {
        let t = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = t.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

pub fn openssl(bin: &Path, dir: &Path, args: &[&str]) {
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and, signed by it, a server certificate for 127.0.0.1 and a client certificate;
/// also a second CA that signed nothing here.
pub fn certificates(openssl_bin: &Path, dir: &Path) {
    let o = |args: &[&str]| openssl(openssl_bin, dir, args);
    for ca in ["ca", "other-ca"] {
        o(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &format!("{ca}.key"),
            "-out",
            &format!("{ca}.pem"),
            "-days",
            "2",
            "-subj",
            &format!("/CN=shellsweep test {ca}"),
        ]);
    }
    for (name, ext) in [
        (
            "server",
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        ),
        (
            "client",
            "subjectAltName=DNS:scanner.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
        ),
    ] {
        std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
        o(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            &format!("/CN={name}"),
        ]);
        o(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &format!("{name}.pem"),
            "-days",
            "2",
            "-extfile",
            &format!("{name}.ext"),
        ]);
    }
}

/// One input of the receiver, and the files its messages go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    Udp,
    Tcp,
    Tls,
    /// TLS that wants a client certificate signed by the CA.
    MutualTls,
}

pub const INPUTS: [Input; 4] = [Input::Udp, Input::Tcp, Input::Tls, Input::MutualTls];

impl Input {
    pub fn name(self) -> &'static str {
        match self {
            Input::Udp => "udp",
            Input::Tcp => "tcp",
            Input::Tls => "tls",
            Input::MutualTls => "mtls",
        }
    }
}

/// A running rsyslogd.
pub struct Rsyslog {
    bin: PathBuf,
    dir: PathBuf,
    ports: BTreeMap<Input, u16>,
    child: Option<Child>,
}

impl Rsyslog {
    pub fn start(bin: &Path, openssl_bin: &Path, dir: &Path) -> Rsyslog {
        certificates(openssl_bin, dir);
        std::fs::create_dir_all(dir.join("work")).unwrap();
        let ports: BTreeMap<Input, u16> = INPUTS.iter().map(|i| (*i, free_port())).collect();
        let d = dir.display();
        let mut conf = format!(
            r#"global(workDirectory="{d}/work" maxMessageSize="1m"
       parser.escapeControlCharactersOnReceive="off"
       defaultNetstreamDriverCAFile="{d}/ca.pem"
       defaultNetstreamDriverCertFile="{d}/server.pem"
       defaultNetstreamDriverKeyFile="{d}/server.key")
module(load="imudp")
module(load="imtcp")
template(name="msg" type="string" string="%msg%\n")
template(name="head" type="string"
         string="%syslogfacility%|%syslogseverity%|%app-name%|%procid%|%msgid%|%timereported:::date-rfc3339%|%hostname%|%structured-data%|%msg:4:$%\n")
input(type="imudp" address="127.0.0.1" port="{udp}" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="{tcp}" ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port="{tls}" ruleset="tls"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" address="127.0.0.1" port="{mtls}" ruleset="mtls"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="x509/certvalid")
"#,
            udp = ports[&Input::Udp],
            tcp = ports[&Input::Tcp],
            tls = ports[&Input::Tls],
            mtls = ports[&Input::MutualTls],
        );
        for i in INPUTS {
            let n = i.name();
            conf.push_str(&format!(
                "ruleset(name=\"{n}\") {{\n  action(type=\"omfile\" file=\"{d}/{n}.msg\" template=\"msg\")\n  action(type=\"omfile\" file=\"{d}/{n}.head\" template=\"head\")\n}}\n"
            ));
        }
        std::fs::write(dir.join("rsyslog.conf"), conf).unwrap();
        let mut r = Rsyslog {
            bin: bin.to_owned(),
            dir: dir.to_owned(),
            ports,
            child: None,
        };
        r.spawn();
        r
    }

    pub fn spawn(&mut self) {
        let _ = std::fs::remove_file(self.dir.join("rsyslog.pid"));
        let child = Command::new(&self.bin)
            .arg("-n")
            .arg("-f")
            .arg(self.dir.join("rsyslog.conf"))
            .arg("-i")
            .arg(self.dir.join("rsyslog.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(self.dir.join("rsyslogd.stderr"))
                    .unwrap(),
            ))
            .spawn()
            .unwrap();
        self.child = Some(child);
        self.wait_ready();
    }

    /// Until every TCP port accepts and a UDP probe came through.
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let tcp = [Input::Tcp, Input::Tls, Input::MutualTls];
        while !tcp
            .iter()
            .all(|i| TcpStream::connect(("127.0.0.1", self.ports[i])).is_ok())
        {
            self.check_alive();
            assert!(
                Instant::now() < deadline,
                "rsyslogd did not listen: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        loop {
            let _ = probe.send_to(
                b"<14>1 - - probe - - - probe",
                ("127.0.0.1", self.ports[&Input::Udp]),
            );
            std::thread::sleep(Duration::from_millis(100));
            let got = std::fs::read_to_string(self.dir.join("udp.msg")).unwrap_or_default();
            if got.lines().any(|l| l == "probe") {
                return;
            }
            self.check_alive();
            assert!(
                Instant::now() < deadline,
                "rsyslogd's UDP input did not answer: {}",
                self.log()
            );
        }
    }

    fn check_alive(&mut self) {
        if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
            panic!("rsyslogd exited ({status}): {}", self.log());
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("rsyslogd.stderr")).unwrap_or_default()
    }

    pub fn url(&self, i: Input) -> String {
        let scheme = match i {
            Input::Udp => "udp",
            Input::Tcp => "tcp",
            Input::Tls | Input::MutualTls => "tls",
        };
        format!("{scheme}://127.0.0.1:{}", self.ports[&i])
    }

    /// SIGKILL: no orderly end, what it held is lost.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// The MSG of every message received on `i`, each checked to start with the BOM and
    /// given without it (the UDP probe left out).
    pub fn messages(&self, i: Input) -> Vec<String> {
        let text =
            std::fs::read_to_string(self.dir.join(format!("{}.msg", i.name()))).unwrap_or_default();
        text.lines()
            .filter(|l| *l != "probe")
            .map(|l| {
                l.strip_prefix(BOM)
                    .unwrap_or_else(|| panic!("MSG without the BOM: {l:.200}"))
                    .to_owned()
            })
            .collect()
    }

    /// The header fields rsyslog parsed, per message.
    pub fn heads(&self, i: Input) -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(self.dir.join(format!("{}.head", i.name())))
            .unwrap_or_default();
        text.lines()
            .filter(|l| !l.contains("|probe|"))
            .map(|l| l.splitn(9, '|').map(str::to_owned).collect())
            .collect()
    }

    /// Waits until `i` got at least `n` messages (rsyslog writes in batches).
    pub fn wait_for(&self, i: Input, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let got = self.messages(i);
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        self.kill();
    }
}
