//! `UnixDatagram`: echo, pairs, bound and unbound sockets, connect,
//! abstract names, message boundaries.
#![cfg(unix)]

use std::io;
use std::net::Shutdown;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use evio::unix::UnixDatagram;
use evio::{Poll, PollOpt, Ready, Token};

mod common;
use common::wait_readable;

/// A unique socket path under the temp dir, removed on drop.
struct TempPath(PathBuf);

impl TempPath {
    fn new(tag: &str) -> TempPath {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p =
            std::env::temp_dir().join(format!("evio-dgram-{tag}-{}-{n}.sock", std::process::id()));
        let _ = std::fs::remove_file(&p);
        TempPath(p)
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn echo_between_bound_sockets() {
    let (sp, cp) = (TempPath::new("server"), TempPath::new("client"));
    let server = UnixDatagram::bind(&sp.0).unwrap();
    let client = UnixDatagram::bind(&cp.0).unwrap();
    let poll = Poll::new().unwrap();
    poll.register(&server, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    poll.register(&client, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();

    for round in 0..50u32 {
        let msg = format!("message {round}");
        assert_eq!(client.send_to(msg.as_bytes(), &sp.0).unwrap(), msg.len());
        wait_readable(&poll, Token(0));
        let mut buf = [0u8; 64];
        let (n, from) = server.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], msg.as_bytes());
        assert_eq!(from.as_pathname(), Some(cp.0.as_path()));
        // Echo back to the sender's address.
        server.send_to_addr(&buf[..n], &from).unwrap();
        wait_readable(&poll, Token(1));
        let mut back = [0u8; 64];
        let n2 = client.recv(&mut back).unwrap();
        assert_eq!(&back[..n2], msg.as_bytes());
    }
    // Drained: non-blocking.
    assert_eq!(
        server.recv(&mut [0; 8]).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
}

#[test]
fn pair_keeps_message_boundaries() {
    let (a, b) = UnixDatagram::pair().unwrap();
    a.send(b"one").unwrap();
    a.send(b"").unwrap();
    a.send(b"three").unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(b.recv(&mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"one");
    assert_eq!(b.recv(&mut buf).unwrap(), 0);
    assert_eq!(b.recv(&mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"three");
    // A datagram larger than the buffer is cut, the rest discarded.
    a.send(b"0123456789").unwrap();
    let mut small = [0u8; 4];
    assert_eq!(b.recv(&mut small).unwrap(), 4);
    assert_eq!(&small, b"0123");
    assert_eq!(
        b.recv(&mut buf).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    assert!(a.peer_addr().unwrap().is_unnamed());
}

#[test]
fn unbound_connects_and_sends() {
    let sp = TempPath::new("target");
    let server = UnixDatagram::bind(&sp.0).unwrap();
    let client = UnixDatagram::unbound().unwrap();
    assert!(client.local_addr().unwrap().is_unnamed());
    client.connect(&sp.0).unwrap();
    assert_eq!(
        client.peer_addr().unwrap().as_pathname(),
        Some(sp.0.as_path())
    );
    client.send(b"via connect").unwrap();
    let poll = Poll::new().unwrap();
    poll.register(&server, Token(3), Ready::readable(), PollOpt::level())
        .unwrap();
    wait_readable(&poll, Token(3));
    let mut buf = [0u8; 32];
    let (n, from) = server.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"via connect");
    assert!(from.is_unnamed());
    assert!(client.take_error().unwrap().is_none());
}

#[test]
fn address_errors() {
    let sp = TempPath::new("inuse");
    let _s = UnixDatagram::bind(&sp.0).unwrap();
    let err = UnixDatagram::bind(&sp.0).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
    let long = std::env::temp_dir().join("d".repeat(200));
    let err = UnixDatagram::bind(&long).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    let c = UnixDatagram::unbound().unwrap();
    let err = c.send_to(b"x", &long).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    let err = c.connect(&long).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    // Nobody there.
    let gone = TempPath::new("gone");
    let err = c.send_to(b"x", &gone.0).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
}

#[test]
fn shutdown_write_then_send_fails_without_sigpipe() {
    let (a, _b) = UnixDatagram::pair().unwrap();
    a.shutdown(Shutdown::Write).unwrap();
    let err = a.send(b"x").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn abstract_names() {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::SocketAddr;

    let name = format!("evio-test-dgram-{}", std::process::id());
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let server = UnixDatagram::bind_addr(&addr).unwrap();
    let client = UnixDatagram::unbound().unwrap();
    client.send_to_addr(b"abstract", &addr).unwrap();
    let poll = Poll::new().unwrap();
    poll.register(&server, Token(0), Ready::readable(), PollOpt::level())
        .unwrap();
    wait_readable(&poll, Token(0));
    let mut buf = [0; 16];
    assert_eq!(server.recv(&mut buf).unwrap(), 8);
    assert_eq!(&buf[..8], b"abstract");
    client.connect_addr(&addr).unwrap();
    assert_eq!(
        client.peer_addr().unwrap().as_abstract_name(),
        Some(name.as_bytes())
    );
}

#[test]
fn descriptor_conversions() {
    let (a, b) = UnixDatagram::pair().unwrap();
    let fd: OwnedFd = a.into();
    let a = UnixDatagram::from(fd);
    a.send(b"ok").unwrap();
    let mut buf = [0; 2];
    assert_eq!(b.recv(&mut buf).unwrap(), 2);
    let (s, _t) = std::os::unix::net::UnixDatagram::pair().unwrap();
    let s = UnixDatagram::from_std(s).unwrap();
    assert_eq!(
        s.recv(&mut buf).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    assert!(format!("{s:?}").contains("UnixDatagram"));
}

#[test]
fn nonblocking_and_cloexec_from_birth() {
    use std::os::fd::AsFd;
    fn flags(fd: impl AsFd) -> (bool, bool) {
        let cloexec = rustix::io::fcntl_getfd(&fd)
            .unwrap()
            .contains(rustix::io::FdFlags::CLOEXEC);
        let nonblock = rustix::fs::fcntl_getfl(&fd)
            .unwrap()
            .contains(rustix::fs::OFlags::NONBLOCK);
        (cloexec, nonblock)
    }
    let sp = TempPath::new("flags");
    let bound = UnixDatagram::bind(&sp.0).unwrap();
    let unbound = UnixDatagram::unbound().unwrap();
    let (a, b) = UnixDatagram::pair().unwrap();
    for s in [&bound, &unbound, &a, &b] {
        assert_eq!(flags(s), (true, true));
    }
}
