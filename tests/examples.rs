//! Runs the example programs as a user would, and checks what they print
//! and how they exit: a port already in use is an error in words with the
//! address and exit status 1, a bad argument gives the usage and status 2,
//! `--max-seconds` stops a server cleanly, the chat server enforces its line
//! limit, and the TCP servers keep serving when `accept` runs out of
//! descriptors.
//!
//! The binaries are the ones `cargo test` builds next to this test
//! (`target/<profile>/examples/`). The demo is not among them (`cargo test`
//! builds it as its own unit tests, which check its verdict, instead). A run that did not build them, such as
//! `cargo test --test examples`, finds them missing or older than their
//! sources; each test then says so and passes without running anything.
//! Everything runs on 127.0.0.1, and every wait is bounded. Under
//! qemu-user (`--cfg evio_qemu_user`) the tests are ignored: the emulated
//! test cannot `execve` an emulated program unless the host has a
//! binfmt_misc handler for it.

#![cfg(unix)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

/// The longest any one wait of these tests lasts.
const PATIENCE: Duration = Duration::from_secs(20);

/// The path of example `name`, if it is built and newer than its source
/// and than the evio library this test was built with.
fn example(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().expect("the test's own path");
    // target/<profile>/deps/examples-<hash> -> target/<profile>/examples/<name>
    let profile_dir = exe.parent()?.parent()?;
    let bin = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let skip = |why: String| {
        eprintln!("skipped: example {name} {why}; `cargo test` (without --test) builds it");
        None
    };
    let Some(built) = modified(&bin) else {
        return skip(format!("is not built at {}", bin.display()));
    };
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!("{name}.rs"));
    let mut newest_input = modified(&source);
    // The library the examples link: the newest libevio in deps/.
    if let Ok(dir) = std::fs::read_dir(profile_dir.join("deps")) {
        for entry in dir.flatten() {
            let file = entry.file_name();
            let file = file.to_string_lossy();
            if file.starts_with("libevio-") && file.ends_with(".rlib") {
                newest_input = newest_input.max(modified(&entry.path()));
            }
        }
    }
    if newest_input.is_some_and(|input| input > built) {
        return skip(format!(
            "at {} is older than its sources or the library",
            bin.display()
        ));
    }
    Some(bin)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// A running example: its stdout lines come through a channel, and it is
/// killed when dropped if it is still running.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: thread::JoinHandle<String>,
}

impl Running {
    fn start(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the example");
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        Running {
            child,
            lines,
            stderr,
        }
    }

    /// The next line of stdout.
    fn line(&self) -> String {
        self.lines
            .recv_timeout(PATIENCE)
            .expect("the example printed a line")
    }

    /// The address in the first line of stdout, after `marker`.
    fn address(&self, marker: &str) -> SocketAddr {
        let line = self.line();
        let rest = line
            .split_once(marker)
            .unwrap_or_else(|| panic!("no {marker:?} in {line:?}"))
            .1;
        let addr: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
            .collect();
        addr.trim_end_matches(':')
            .parse()
            .unwrap_or_else(|_| panic!("no address in {line:?}"))
    }

    /// Waits for the exit, at most `PATIENCE`; the status and all of stderr.
    fn wait(mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the example did not exit");
            thread::sleep(Duration::from_millis(20));
        };
        let stderr = std::mem::replace(&mut self.stderr, thread::spawn(String::new));
        (status, stderr.join().unwrap())
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn command(bin: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    cmd
}

/// Runs `name` with `args` to its end: its exit status and stderr.
fn run_to_end(bin: &Path, args: &[&str]) -> (ExitStatus, String) {
    Running::start(command(bin, args)).wait()
}

/// An error in words that names `addr`, no `Debug` dump, status 1.
fn assert_reported(name: &str, status: ExitStatus, stderr: &str, addr: SocketAddr) {
    assert_eq!(status.code(), Some(1), "{name}: {status}, stderr: {stderr}");
    assert!(
        stderr.starts_with(&format!("{name}: ")),
        "{name}: stderr {stderr:?}"
    );
    assert!(
        stderr.contains(&addr.to_string()),
        "{name}: the address {addr} is not in {stderr:?}"
    );
    assert!(
        stderr.to_lowercase().contains("in use"),
        "{name}: {stderr:?}"
    );
    assert!(
        !stderr.contains("Os {") && !stderr.contains("kind:"),
        "{name}: a Debug dump: {stderr:?}"
    );
}

#[test]
#[cfg_attr(
    evio_qemu_user,
    ignore = "qemu-user cannot start the aarch64 example as a child process (execve: ENOEXEC without binfmt_misc)"
)]
fn port_in_use_is_an_error_in_words() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let port = addr.port().to_string();
    if let Some(bin) = example("tcp_echo") {
        let (status, stderr) = run_to_end(&bin, &[&port]);
        assert_reported("tcp_echo", status, &stderr, addr);
    }
    if let Some(bin) = example("http_hello") {
        let (status, stderr) = run_to_end(&bin, &[&addr.to_string()]);
        assert_reported("http_hello", status, &stderr, addr);
    }
    if let Some(bin) = example("chat") {
        let (status, stderr) = run_to_end(&bin, &["tcp", &addr.to_string()]);
        assert_reported("chat", status, &stderr, addr);
    }
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    if let Some(bin) = example("udp_echo") {
        let (status, stderr) = run_to_end(&bin, &[&addr.port().to_string()]);
        assert_reported("udp_echo", status, &stderr, addr);
    }
}

#[test]
#[cfg_attr(
    evio_qemu_user,
    ignore = "qemu-user cannot start the aarch64 example as a child process (execve: ENOEXEC without binfmt_misc)"
)]
fn bad_arguments_give_the_usage_and_status_2() {
    for (name, args) in [
        ("tcp_echo", &["seventy"][..]),
        ("tcp_echo", &["--max-seconds"][..]),
        ("udp_echo", &["0", "--max-seconds", "soon"][..]),
        ("http_hello", &["localhost"][..]),
        ("chat", &["tcp", "nowhere"][..]),
        ("soak", &["--waves", "many"][..]),
    ] {
        let Some(bin) = example(name) else { continue };
        let (status, stderr) = run_to_end(&bin, args);
        assert_eq!(
            status.code(),
            Some(2),
            "{name} {args:?}: {status}, {stderr:?}"
        );
        assert!(stderr.contains("usage: "), "{name} {args:?}: {stderr:?}");
        assert!(!stderr.contains("panicked"), "{name} {args:?}: {stderr:?}");
    }
}

#[test]
#[cfg_attr(
    evio_qemu_user,
    ignore = "qemu-user cannot start the aarch64 example as a child process (execve: ENOEXEC without binfmt_misc)"
)]
fn tcp_echo_echoes_and_stops_after_max_seconds() {
    let Some(bin) = example("tcp_echo") else {
        return;
    };
    let server = Running::start(command(&bin, &["0", "--max-seconds", "2"]));
    let addr = server.address("echoing on ");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s.write_all(b"hello, echo\n").unwrap();
    let mut back = [0u8; 12];
    s.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"hello, echo\n");
    drop(s);
    let (status, stderr) = server.wait();
    assert!(status.success(), "{status}: {stderr}");
}

#[test]
#[cfg_attr(
    evio_qemu_user,
    ignore = "qemu-user cannot start the aarch64 example as a child process (execve: ENOEXEC without binfmt_misc)"
)]
fn udp_echo_echoes_and_stops_after_max_seconds() {
    let Some(bin) = example("udp_echo") else {
        return;
    };
    let server = Running::start(command(&bin, &["0", "--max-seconds", "2"]));
    let addr = server.address("echoing datagrams on ");
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s.send_to(b"one datagram", addr).unwrap();
    let mut back = [0u8; 64];
    let (n, from) = s.recv_from(&mut back).unwrap();
    assert_eq!((&back[..n], from), (&b"one datagram"[..], addr));
    let (status, stderr) = server.wait();
    assert!(status.success(), "{status}: {stderr}");
}

/// Reads from `s` until `want` has arrived; everything read.
fn read_until(s: &mut TcpStream, want: &str) -> String {
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains(want) {
        match s.read(&mut buf) {
            Ok(0) => panic!(
                "closed before {want:?}; got {:?}",
                String::from_utf8_lossy(&got)
            ),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!(
                "{e} before {want:?}; got {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
#[cfg_attr(
    evio_qemu_user,
    ignore = "qemu-user cannot start the aarch64 example as a child process (execve: ENOEXEC without binfmt_misc)"
)]
fn chat_refuses_lines_over_its_limit() {
    let Some(bin) = example("chat") else {
        return;
    };
    let server = Running::start(command(
        &bin,
        &["tcp", "127.0.0.1:0", "--max-seconds", "30"],
    ));
    let addr = server.address("chat on tcp ");
    let mut a = TcpStream::connect(addr).unwrap();
    read_until(&mut a, "* welcome, guest1;");
    let mut b = TcpStream::connect(addr).unwrap();
    read_until(&mut b, "* welcome, guest2;");
    read_until(&mut a, "* guest2 joined");

    // One line of 6,000 bytes, in one write, then a short one.
    let long = "x".repeat(6000);
    a.write_all(format!("{long}\nfirst\n").as_bytes()).unwrap();
    read_until(&mut a, "* line too long (more than 4096 bytes): not sent");
    let seen = read_until(&mut b, "guest1: first\n");
    assert!(!seen.contains("xxxx"), "the long line went out: {seen:?}");

    // A line just over the limit that arrives with its end in one read,
    // and one that comes in two writes: refused too.
    a.write_all(format!("{}\r\n", "y".repeat(4097)).as_bytes())
        .unwrap();
    read_until(&mut a, "not sent");
    a.write_all("z".repeat(3000).as_bytes()).unwrap();
    a.flush().unwrap();
    thread::sleep(Duration::from_millis(50));
    a.write_all(format!("{}\nsecond\n", "z".repeat(3000)).as_bytes())
        .unwrap();
    read_until(&mut a, "not sent");
    let seen = read_until(&mut b, "guest1: second\n");
    assert!(
        !seen.contains("yyyy") && !seen.contains("zzzz"),
        "a long line went out: {seen:?}"
    );

    // A line of exactly the limit is sent on.
    let max = "w".repeat(4096);
    a.write_all(format!("{max}\n").as_bytes()).unwrap();
    read_until(&mut b, &format!("guest1: {max}\n"));
}

/// Sets the child's soft limit of open descriptors to `n`.
fn with_fd_limit(cmd: &mut Command, n: u64) {
    use std::os::unix::process::CommandExt;
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit for getrlimit to fill in.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    let soft = (n as libc::rlim_t).min(lim.rlim_max);
    let hard = lim.rlim_max;
    // SAFETY: the closure runs in the child between fork and exec; it only
    // calls setrlimit, which is async-signal-safe, on a value on its stack,
    // and allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: soft,
                rlim_max: hard,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Opens `conns` connections to a server allowed few descriptors, each
/// sending `request`; every one must get `answer` back, the server freeing
/// descriptors as the answered ones are closed. The server must have said
/// that `accept` ran out of descriptors, and must still be running.
fn serves_on_after_emfile(mut server: Running, addr: SocketAddr, request: &[u8], answer: &[u8]) {
    let conns = 24;
    let mut pending: Vec<(usize, TcpStream, Vec<u8>)> = (0..conns)
        .map(|i| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(request).unwrap();
            s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
            (i, s, Vec::new())
        })
        .collect();
    let deadline = Instant::now() + PATIENCE;
    let mut buf = [0u8; 1024];
    while !pending.is_empty() {
        assert!(
            Instant::now() < deadline,
            "{} of {conns} connections never answered",
            pending.len()
        );
        assert!(server.is_running(), "the server exited");
        pending.retain_mut(|(i, s, got)| {
            match s.read(&mut buf) {
                Ok(0) => panic!("connection {i} closed before its answer"),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(ref e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut => {}
                Err(e) => panic!("connection {i}: {e}"),
            }
            if got.len() >= answer.len() {
                assert_eq!(&got[..], answer, "connection {i}");
                // Closing it frees the server's descriptor for the next one.
                let _ = s.shutdown(Shutdown::Both);
                return false;
            }
            true
        });
    }
    assert!(server.is_running(), "the server exited");
    server.child.kill().unwrap();
    let (_, stderr) = server.wait();
    assert!(
        stderr.contains("cannot accept") && stderr.contains("(os error 24)"),
        "accept never ran out of descriptors (the test proves nothing): {stderr:?}"
    );
}

#[test]
#[cfg_attr(
    evio_qemu_user,
    ignore = "qemu-user cannot start the aarch64 example as a child process (execve: ENOEXEC without binfmt_misc)"
)]
fn http_hello_serves_on_when_out_of_descriptors() {
    let Some(bin) = example("http_hello") else {
        return;
    };
    let mut cmd = command(&bin, &["127.0.0.1:0", "60"]);
    with_fd_limit(&mut cmd, 12);
    let server = Running::start(cmd);
    let addr = server.address("listening on http://");
    let answer: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";
    serves_on_after_emfile(
        server,
        addr,
        b"GET / HTTP/1.1\r\nHost: test\r\n\r\n",
        answer,
    );
}

#[test]
#[cfg_attr(
    evio_qemu_user,
    ignore = "qemu-user cannot start the aarch64 example as a child process (execve: ENOEXEC without binfmt_misc)"
)]
fn tcp_echo_serves_on_when_out_of_descriptors() {
    let Some(bin) = example("tcp_echo") else {
        return;
    };
    let mut cmd = command(&bin, &["0", "--max-seconds", "60"]);
    with_fd_limit(&mut cmd, 12);
    let server = Running::start(cmd);
    let addr = server.address("echoing on ");
    serves_on_after_emfile(server, addr, b"ping\n", b"ping\n");
}
