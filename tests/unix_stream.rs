//! `UnixStream`: echo through a poll loop, pairs, addresses, shutdown,
//! vectored IO, descriptor traits, and no `SIGPIPE`.
#![cfg(unix)]

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use evio::unix::{UnixListener, UnixStream};
use evio::{Events, Poll, PollOpt, Ready, Token};

/// A unique socket path under the temp dir, removed on drop.
struct TempPath(PathBuf);

impl TempPath {
    fn new(tag: &str) -> TempPath {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p =
            std::env::temp_dir().join(format!("evio-stream-{tag}-{}-{n}.sock", std::process::id()));
        let _ = std::fs::remove_file(&p);
        TempPath(p)
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn fd_flags(fd: impl AsFd) -> (bool, bool) {
    let cloexec = rustix::io::fcntl_getfd(&fd)
        .unwrap()
        .contains(rustix::io::FdFlags::CLOEXEC);
    let nonblock = rustix::fs::fcntl_getfl(&fd)
        .unwrap()
        .contains(rustix::fs::OFlags::NONBLOCK);
    (cloexec, nonblock)
}

const LISTENER: Token = Token(0);
const CLIENT: Token = Token(1);
const SERVER: Token = Token(2);

/// A client sends a message in pieces; the server echoes every byte back
/// through an edge-triggered poll loop; the client reads it all back.
#[test]
fn echo_through_poll_loop() {
    let path = TempPath::new("echo");
    let listener = UnixListener::bind(&path.0).unwrap();
    let poll = Poll::new().unwrap();
    poll.register(&listener, LISTENER, Ready::readable(), PollOpt::edge())
        .unwrap();
    let mut client = UnixStream::connect(&path.0).unwrap();
    poll.register(
        &client,
        CLIENT,
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )
    .unwrap();

    let message: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let mut sent = 0;
    let mut echoed = Vec::new();
    let mut server: Option<UnixStream> = None;
    let mut pending: Vec<u8> = Vec::new(); // read by the server, not yet echoed
    let mut events = Events::with_capacity(16);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 4096];

    while echoed.len() < message.len() {
        assert!(Instant::now() < deadline, "echo did not finish");
        poll.poll(&mut events, Some(Duration::from_millis(200)))
            .unwrap();
        for event in events.iter() {
            match event.token() {
                LISTENER => loop {
                    match listener.accept() {
                        Ok((s, addr)) => {
                            assert!(addr.is_unnamed());
                            poll.register(
                                &s,
                                SERVER,
                                Ready::readable() | Ready::writable(),
                                PollOpt::edge(),
                            )
                            .unwrap();
                            server = Some(s);
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => panic!("accept: {e}"),
                    }
                },
                CLIENT | SERVER => {}
                t => panic!("unexpected token {t:?}"),
            }
        }
        // Edge-triggered: every side drains until WouldBlock on each turn.
        while sent < message.len() {
            let end = (sent + 7_000).min(message.len());
            match client.write(&message[sent..end]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("client write: {e}"),
            }
        }
        if let Some(s) = server.as_mut() {
            loop {
                match s.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => pending.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("server read: {e}"),
                }
            }
            while !pending.is_empty() {
                match s.write(&pending) {
                    Ok(n) => {
                        pending.drain(..n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("server write: {e}"),
                }
            }
        }
        loop {
            match client.read(&mut buf) {
                Ok(0) => panic!("server closed early"),
                Ok(n) => echoed.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("client read: {e}"),
            }
        }
    }
    assert_eq!(echoed, message);
}

#[test]
fn pair_vectored_io_and_ref_impls() {
    let (a, b) = UnixStream::pair().unwrap();
    let n = (&a)
        .write_vectored(&[IoSlice::new(b"hello, "), IoSlice::new(b"world")])
        .unwrap();
    assert_eq!(n, 12);
    let (mut x, mut y) = ([0u8; 5], [0u8; 7]);
    let got = (&b)
        .read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])
        .unwrap();
    assert_eq!(got, 12);
    assert_eq!(&x, b"hello");
    assert_eq!(&y, b", world");
    // Nothing more: non-blocking.
    assert_eq!(
        (&b).read(&mut x).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
}

#[test]
fn addresses() {
    let path = TempPath::new("addr");
    let listener = UnixListener::bind(&path.0).unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_pathname(),
        Some(path.0.as_path())
    );
    let client = UnixStream::connect(&path.0).unwrap();
    assert_eq!(
        client.peer_addr().unwrap().as_pathname(),
        Some(path.0.as_path())
    );
    assert!(client.local_addr().unwrap().is_unnamed());
    let (server, _) = accept_within(&listener);
    assert_eq!(
        server.local_addr().unwrap().as_pathname(),
        Some(path.0.as_path())
    );
    assert!(server.peer_addr().unwrap().is_unnamed());
    assert!(client.take_error().unwrap().is_none());
}

fn accept_within(listener: &UnixListener) -> (UnixStream, std::os::unix::net::SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match listener.accept() {
            Ok(x) => return x,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "no connection to accept");
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn abstract_namespace() {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::SocketAddr;

    let name = format!("evio-test-abstract-{}", std::process::id());
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let listener = UnixListener::bind_addr(&addr).unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_abstract_name(),
        Some(name.as_bytes())
    );
    let client = UnixStream::connect_addr(&addr).unwrap();
    let (mut server, _) = accept_within(&listener);
    (&client).write_all(b"abstract").unwrap();
    let mut buf = [0; 8];
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match server.read_exact(&mut buf) {
            Ok(()) => break,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(&buf, b"abstract");
    // The same name cannot be bound twice.
    let err = UnixListener::bind_addr(&addr).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
}

#[test]
fn shutdown_both_ends_reads_and_writes() {
    let (a, b) = UnixStream::pair().unwrap();
    a.shutdown(Shutdown::Both).unwrap();
    assert_eq!((&b).read(&mut [0; 4]).unwrap(), 0);
    assert_eq!(
        (&a).write(b"x").unwrap_err().kind(),
        io::ErrorKind::BrokenPipe
    );
}

#[test]
fn nonblocking_and_cloexec_from_birth() {
    let (a, b) = UnixStream::pair().unwrap();
    assert_eq!(fd_flags(&a), (true, true));
    assert_eq!(fd_flags(&b), (true, true));
    let path = TempPath::new("flags");
    let listener = UnixListener::bind(&path.0).unwrap();
    assert_eq!(fd_flags(&listener), (true, true));
    let client = UnixStream::connect(&path.0).unwrap();
    assert_eq!(fd_flags(&client), (true, true));
    let (server, _) = accept_within(&listener);
    assert_eq!(fd_flags(&server), (true, true));
}

#[test]
fn descriptor_conversions() {
    let (a, b) = UnixStream::pair().unwrap();
    let raw = a.as_raw_fd();
    assert_eq!(a.as_fd().as_raw_fd(), raw);
    let raw = a.into_raw_fd();
    // SAFETY: `raw` came from `into_raw_fd` just above and is owned here.
    let a = unsafe { UnixStream::from_raw_fd(raw) };
    let owned: OwnedFd = a.into();
    let a = UnixStream::from(owned);
    (&a).write_all(b"k").unwrap();
    let mut buf = [0; 1];
    let deadline = Instant::now() + Duration::from_secs(5);
    while (&b).read(&mut buf).is_err() {
        assert!(Instant::now() < deadline);
    }
    assert_eq!(&buf, b"k");
    assert!(format!("{a:?}").contains("UnixStream"));

    let (s1, _s2) = std::os::unix::net::UnixStream::pair().unwrap();
    let s1 = UnixStream::from_std(s1).unwrap();
    assert!(fd_flags(&s1).1);
}

#[test]
fn registered_once_per_poll() {
    let (a, _b) = UnixStream::pair().unwrap();
    let p1 = Poll::new().unwrap();
    let p2 = Poll::new().unwrap();
    p1.register(&a, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    assert!(p2
        .register(&a, Token(1), Ready::readable(), PollOpt::edge())
        .is_err());
    p1.deregister(&a).unwrap();
}

/// With `SIGPIPE` at its default action (which kills the process), writing
/// to a stream whose peer is gone still only fails with `BrokenPipe`.
/// (Every write in this file goes through evio, so the default action
/// can stay for the whole run.)
#[test]
fn no_sigpipe_on_closed_peer() {
    // SAFETY: setting a signal's disposition to its default is sound; no
    // handler runs.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let (a, b) = UnixStream::pair().unwrap();
    drop(b);
    let err = (&a).write(b"into the void").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    let err = (&a)
        .write_vectored(&[IoSlice::new(b"still"), IoSlice::new(b"void")])
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    let err = a.send_with_fds(b"fd", &[a.as_fd()]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    // Back to what Rust programs start with.
    // SAFETY: as above; ignoring a signal installs no handler.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}
