//! TCP sockets: accept, echo, close and error conditions, options, and the
//! rules of registration. Loopback only; every wait is bounded.

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::thread;
use std::time::{Duration, Instant};

use evio::net::{TcpListener, TcpStream};
use evio::{Events, Poll, PollOpt, Ready, Token};

mod common;
use common::{
    accept, localhost, tcp_pair as pair, tcp_pair_on as pair_on, wait_for, would_block, DEADLINE,
    TICK,
};

/// Reads until `buf` is full, waiting on `poll` for readiness (bounded).
fn read_exact(poll: &Poll, events: &mut Events, mut s: &TcpStream, buf: &mut [u8]) {
    let start = Instant::now();
    let mut got = 0;
    while got < buf.len() {
        assert!(start.elapsed() < DEADLINE, "timed out reading");
        match s.read(&mut buf[got..]) {
            Ok(0) => panic!("unexpected end of stream after {got} bytes"),
            Ok(n) => got += n,
            Err(ref e) if would_block(e) => {
                poll.poll(events, Some(TICK)).unwrap();
            }
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// Echo through an evio server: the client sends `total` bytes, the server
/// (driven by `poll` with `opts`) sends each back, the client checks them.
fn echo(addr: &SocketAddr, opts: PollOpt) {
    const LISTENER: Token = Token(0);
    const SERVER: Token = Token(1);
    const CLIENT: Token = Token(2);

    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let listener = TcpListener::bind(addr).unwrap();
    poll.register(&listener, LISTENER, Ready::readable(), opts)
        .unwrap();
    let mut client = TcpStream::connect(&listener.local_addr().unwrap()).unwrap();
    poll.register(&client, CLIENT, Ready::readable() | Ready::writable(), opts)
        .unwrap();

    let total = 256 * 1024;
    let sent_data: Vec<u8> = (0..total).map(|i| (i * 7 % 251) as u8).collect();
    let mut sent = 0;
    let mut received = Vec::with_capacity(total);
    let mut server: Option<TcpStream> = None;
    let mut pending = Vec::new(); // read by the server, not yet echoed
    let mut buf = vec![0u8; 16 * 1024];

    let start = Instant::now();
    while received.len() < total {
        assert!(start.elapsed() < DEADLINE, "echo timed out");
        poll.poll(&mut events, Some(TICK)).unwrap();
        for event in &events {
            match event.token() {
                LISTENER => {
                    let (s, _) = listener.accept().unwrap();
                    poll.register(&s, SERVER, Ready::readable() | Ready::writable(), opts)
                        .unwrap();
                    server = Some(s);
                    // Edge: drain the accept queue (nothing more is expected).
                    assert!(would_block(&listener.accept().unwrap_err()));
                }
                SERVER | CLIENT => {}
                t => panic!("unexpected token {t:?}"),
            }
        }
        // Both sides drain until WouldBlock, as edge triggering requires.
        if sent < total {
            loop {
                match client.write(&sent_data[sent..(sent + 8192).min(total)]) {
                    Ok(n) => {
                        sent += n;
                        if sent == total {
                            break;
                        }
                    }
                    Err(ref e) if would_block(e) => break,
                    Err(e) => panic!("client write: {e}"),
                }
            }
        }
        if let Some(s) = server.as_mut() {
            loop {
                match s.read(&mut buf) {
                    Ok(0) => panic!("server saw end of stream"),
                    Ok(n) => pending.extend_from_slice(&buf[..n]),
                    Err(ref e) if would_block(e) => break,
                    Err(e) => panic!("server read: {e}"),
                }
            }
            while !pending.is_empty() {
                match s.write(&pending) {
                    Ok(n) => {
                        pending.drain(..n);
                    }
                    Err(ref e) if would_block(e) => break,
                    Err(e) => panic!("server write: {e}"),
                }
            }
        }
        loop {
            match client.read(&mut buf) {
                Ok(0) => panic!("client saw end of stream"),
                Ok(n) => received.extend_from_slice(&buf[..n]),
                Err(ref e) if would_block(e) => break,
                Err(e) => panic!("client read: {e}"),
            }
        }
    }
    assert_eq!(received, sent_data);
}

#[test]
fn echo_edge() {
    echo(&localhost(), PollOpt::edge());
}

#[test]
fn echo_level() {
    echo(&localhost(), PollOpt::level());
}

#[test]
fn echo_ipv6() {
    let addr: SocketAddr = "[::1]:0".parse().unwrap();
    if std::net::TcpListener::bind(addr).is_err() {
        eprintln!("skipped: ::1 is not available on this machine");
        return;
    }
    echo(&addr, PollOpt::edge());
    let (client, server) = pair_on(&addr);
    assert!(client.peer_addr().unwrap().is_ipv6());
    assert!(server.local_addr().unwrap().is_ipv6());
    // A connected socket reports the option (it can no longer change it).
    let _ = client.only_v6().unwrap();
    let listener = TcpListener::bind(&addr).unwrap();
    let _ = listener.only_v6().unwrap();
    assert!(listener.local_addr().unwrap().is_ipv6());
}

/// `IPV6_V6ONLY` can be changed only before binding, so this uses a raw,
/// unbound IPv6 socket.
#[cfg(unix)]
#[test]
fn only_v6_round_trip() {
    use std::os::fd::{FromRawFd, OwnedFd};
    // SAFETY: socket(2) returns a new descriptor that we own, or -1.
    let fd = unsafe { libc::socket(libc::AF_INET6, libc::SOCK_STREAM, 0) };
    if fd < 0 {
        eprintln!("skipped: no IPv6 sockets on this machine");
        return;
    }
    // SAFETY: `fd` is a fresh socket owned by nothing else.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let stream = TcpStream::from(owned);
    stream.set_only_v6(true).unwrap();
    assert!(stream.only_v6().unwrap());
    stream.set_only_v6(false).unwrap();
    assert!(!stream.only_v6().unwrap());
    let listener = TcpListener::from(OwnedFd::from(stream));
    listener.set_only_v6(true).unwrap();
    assert!(listener.only_v6().unwrap());
}

#[test]
fn accept_gives_peer_and_nonblocking_stream() {
    let listener = TcpListener::bind(&localhost()).unwrap();
    let addr = listener.local_addr().unwrap();
    assert!(addr.port() != 0);
    // Nothing pending: accept must not wait.
    assert!(would_block(&listener.accept().unwrap_err()));
    let client = std::net::TcpStream::connect(addr).unwrap();
    let (mut server, peer) = accept(&listener);
    assert_eq!(peer, client.local_addr().unwrap());
    assert_eq!(server.peer_addr().unwrap(), peer);
    assert_eq!(server.local_addr().unwrap(), addr);
    let mut buf = [0u8; 8];
    assert!(would_block(&server.read(&mut buf).unwrap_err()));

    let _c2 = std::net::TcpStream::connect(addr).unwrap();
    let start = Instant::now();
    let (std_stream, _) = loop {
        match listener.accept_std() {
            Ok(p) => break p,
            Err(ref e) if would_block(e) && start.elapsed() < DEADLINE => {
                thread::sleep(Duration::from_millis(5))
            }
            Err(e) => panic!("accept_std: {e}"),
        }
    };
    // `accept_std` gives the stream in blocking mode, as the classic API
    // documents; adopting it makes it non-blocking again.
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: fcntl(F_GETFL) on an open descriptor only reads its flags.
        let fl = unsafe { libc::fcntl(std_stream.as_raw_fd(), libc::F_GETFL) };
        assert!(
            fl >= 0 && fl & libc::O_NONBLOCK == 0,
            "accept_std gave a non-blocking stream"
        );
    }
    let mut b = [0u8; 1];
    let adopted = TcpStream::from_stream(std_stream).unwrap();
    assert!(would_block(&(&adopted).read(&mut b).unwrap_err()));
}

#[cfg(unix)]
#[test]
fn sockets_are_cloexec() {
    use std::os::fd::AsRawFd;
    let (client, server) = pair();
    let listener = TcpListener::bind(&localhost()).unwrap();
    for fd in [client.as_raw_fd(), server.as_raw_fd(), listener.as_raw_fd()] {
        // SAFETY: fcntl(F_GETFD) on an open descriptor only reads its flags.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        assert!(flags >= 0);
        assert!(
            flags & libc::FD_CLOEXEC != 0,
            "descriptor {fd} lacks FD_CLOEXEC"
        );
        // SAFETY: fcntl(F_GETFL) on an open descriptor only reads its flags.
        let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        assert!(fl & libc::O_NONBLOCK != 0, "descriptor {fd} is blocking");
    }
}

#[test]
fn peer_close_is_readable_and_read_returns_zero() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (client, mut server) = pair();
    poll.register(&server, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    let mut c = &client;
    c.write_all(b"last words").unwrap();
    drop(client);
    wait_for(&poll, &mut events, "readable after close", |e| {
        e.token() == Token(1) && e.readiness().is_readable()
    });
    let mut buf = [0u8; 64];
    let mut got = Vec::new();
    let start = Instant::now();
    loop {
        assert!(start.elapsed() < DEADLINE);
        match server.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(ref e) if would_block(e) => {
                poll.poll(&mut events, Some(TICK)).unwrap();
            }
            Err(e) => panic!("read: {e}"),
        }
    }
    assert_eq!(got, b"last words");
}

#[test]
fn shutdown_write_gives_peer_end_of_stream() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (client, mut server) = pair();
    poll.register(&server, Token(1), Ready::readable(), PollOpt::level())
        .unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    wait_for(&poll, &mut events, "readable after shutdown", |e| {
        e.token() == Token(1)
    });
    assert_eq!(server.read(&mut [0u8; 8]).unwrap(), 0);
    // The other direction still works.
    let mut s = &server;
    s.write_all(b"still open").unwrap();
    let mut buf = [0u8; 10];
    poll.register(&client, Token(2), Ready::readable(), PollOpt::edge())
        .unwrap();
    read_exact(&poll, &mut events, &client, &mut buf);
    assert_eq!(&buf, b"still open");
}

#[test]
fn connect_refused_reports_event_and_error() {
    // A port that was just free: bind, note it, close.
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let stream = match TcpStream::connect(&addr) {
        Ok(s) => s,
        // Some systems refuse a loopback connection at once.
        Err(e) => {
            assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
            return;
        }
    };
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    poll.register(&stream, Token(7), Ready::writable(), PollOpt::edge())
        .unwrap();
    let mut readiness = Ready::empty();
    wait_for(&poll, &mut events, "connect failure event", |e| {
        readiness = e.readiness();
        e.token() == Token(7)
    });
    #[cfg(unix)]
    {
        let r = evio::unix::UnixReady::from(readiness);
        assert!(
            r.is_error() || r.is_hup() || readiness.is_writable(),
            "no failure readiness in {readiness:?}"
        );
    }
    let err = stream.take_error().unwrap().expect("no pending error");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    // Reading SO_ERROR clears it on Unix. Windows (and Wine) keep the error
    // after it is read, so there is nothing to check there.
    #[cfg(unix)]
    assert!(stream.take_error().unwrap().is_none());
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Wine 8: recv on a connection reset by the peer returns 0, not WSAECONNRESET"
)]
fn peer_reset_gives_read_error() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut client, server) = pair();
    poll.register(&client, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    server.set_linger(Some(Duration::ZERO)).unwrap();
    assert_eq!(server.linger().unwrap(), Some(Duration::ZERO));
    drop(server); // close with linger 0 sends a reset
    wait_for(&poll, &mut events, "readable after reset", |e| {
        e.token() == Token(1)
    });
    let start = Instant::now();
    let err = loop {
        assert!(start.elapsed() < DEADLINE);
        match client.read(&mut [0u8; 16]) {
            Ok(n) => panic!("read {n} bytes from a reset connection"),
            Err(ref e) if would_block(e) => {
                poll.poll(&mut events, Some(TICK)).unwrap();
            }
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
}

#[cfg(unix)]
#[test]
fn write_to_closed_peer_is_an_error_not_sigpipe() {
    // The test harness ignores SIGPIPE; restore the default (terminate) so a
    // raised signal would kill this process and fail the run.
    // SAFETY: setting a signal's disposition to SIG_DFL installs no handler code.
    let old = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(old, libc::SIG_ERR);

    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    for vectored in [false, true] {
        let (mut client, server) = pair();
        poll.register(&client, Token(1), Ready::readable(), PollOpt::edge())
            .unwrap();
        drop(server);
        wait_for(&poll, &mut events, "close seen", |e| e.token() == Token(1));
        let start = Instant::now();
        let err = loop {
            assert!(
                start.elapsed() < DEADLINE,
                "writes to a closed peer kept succeeding"
            );
            let res = if vectored {
                client.write_vectored(&[IoSlice::new(b"abc"), IoSlice::new(b"def")])
            } else {
                client.write(b"abcdef")
            };
            match res {
                // The first write may be taken before the peer's reset comes back.
                Ok(_) => thread::sleep(Duration::from_millis(5)),
                Err(ref e) if would_block(e) => thread::sleep(Duration::from_millis(5)),
                Err(e) => break e,
            }
        };
        assert!(
            matches!(
                err.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ),
            "unexpected error {err:?}"
        );
        poll.deregister(&client).unwrap();
    }

    // SAFETY: puts back the disposition saved above.
    unsafe { libc::signal(libc::SIGPIPE, old) };
}

#[test]
fn vectored_io() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut client, mut server) = pair();
    poll.register(&server, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    let n = client
        .write_vectored(&[
            IoSlice::new(b"one "),
            IoSlice::new(b""),
            IoSlice::new(b"two "),
            IoSlice::new(b"three"),
        ])
        .unwrap();
    assert_eq!(n, 13);
    wait_for(&poll, &mut events, "readable", |e| e.token() == Token(1));
    let (mut a, mut b, mut c) = ([0u8; 4], [0u8; 4], [0u8; 16]);
    let mut got = 0;
    let start = Instant::now();
    while got < 13 {
        assert!(start.elapsed() < DEADLINE);
        // Read everything in one vectored call when it has all arrived.
        let avail = server.peek(&mut [0u8; 32]).unwrap_or(0);
        if avail < 13 {
            poll.poll(&mut events, Some(TICK)).unwrap();
            continue;
        }
        let mut bufs = [
            IoSliceMut::new(&mut a),
            IoSliceMut::new(&mut b),
            IoSliceMut::new(&mut c),
        ];
        got = server.read_vectored(&mut bufs).unwrap();
    }
    assert_eq!(got, 13);
    assert_eq!(&a, b"one ");
    assert_eq!(&b, b"two ");
    assert_eq!(&c[..5], b"three");
    // Nothing left.
    assert!(would_block(&server.read(&mut a).unwrap_err()));
    // `&TcpStream` does IO too.
    let mut r = &server;
    assert!(would_block(
        &r.read_vectored(&mut [IoSliceMut::new(&mut a)]).unwrap_err()
    ));
    let mut w = &server;
    assert_eq!(w.write_vectored(&[IoSlice::new(b"x")]).unwrap(), 1);
    w.flush().unwrap();
}

#[test]
fn peek_leaves_data() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut client, mut server) = pair();
    poll.register(&server, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    client.write_all(b"peekaboo").unwrap();
    wait_for(&poll, &mut events, "readable", |e| e.token() == Token(1));
    let mut buf = [0u8; 8];
    let start = Instant::now();
    while server.peek(&mut buf).unwrap() < 8 {
        assert!(start.elapsed() < DEADLINE);
        thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(&buf, b"peekaboo");
    let mut again = [0u8; 8];
    assert_eq!(server.read(&mut again).unwrap(), 8);
    assert_eq!(&again, b"peekaboo");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Wine 8 has no getsockopt(TCP_KEEPIDLE): the idle time cannot be read back"
)]
fn keepalive_round_trip() {
    let (client, _server) = pair();
    assert_eq!(client.keepalive().unwrap(), None);
    client.set_keepalive(Some(Duration::from_secs(33))).unwrap();
    assert_eq!(client.keepalive().unwrap(), Some(Duration::from_secs(33)));
    // Sub-second parts round up to whole seconds.
    client
        .set_keepalive(Some(Duration::from_millis(1500)))
        .unwrap();
    assert_eq!(client.keepalive().unwrap(), Some(Duration::from_secs(2)));
    client.set_keepalive(None).unwrap();
    assert_eq!(client.keepalive().unwrap(), None);
    #[allow(deprecated)]
    {
        client.set_keepalive_ms(Some(7000)).unwrap();
        assert_eq!(client.keepalive_ms().unwrap(), Some(7000));
    }
}

#[test]
fn options_round_trip() {
    let (client, _server) = pair();

    client.set_nodelay(true).unwrap();
    assert!(client.nodelay().unwrap());
    client.set_nodelay(false).unwrap();
    assert!(!client.nodelay().unwrap());

    client.set_recv_buffer_size(64 * 1024).unwrap();
    assert!(client.recv_buffer_size().unwrap() >= 64 * 1024);
    client.set_send_buffer_size(64 * 1024).unwrap();
    assert!(client.send_buffer_size().unwrap() >= 64 * 1024);

    client.set_ttl(17).unwrap();
    assert_eq!(client.ttl().unwrap(), 17);

    assert_eq!(client.linger().unwrap(), None);
    client.set_linger(Some(Duration::from_secs(3))).unwrap();
    assert_eq!(client.linger().unwrap(), Some(Duration::from_secs(3)));
    client.set_linger(None).unwrap();
    assert_eq!(client.linger().unwrap(), None);

    assert!(client.take_error().unwrap().is_none());

    // An IPv4 socket has no IPv6 options: an error, not a panic.
    assert!(client.only_v6().is_err());

    let listener = TcpListener::bind(&localhost()).unwrap();
    listener.set_ttl(42).unwrap();
    assert_eq!(listener.ttl().unwrap(), 42);
    assert!(listener.take_error().unwrap().is_none());
    assert!(listener.only_v6().is_err());

    // Clones share the socket.
    let clone = client.try_clone().unwrap();
    assert_eq!(clone.local_addr().unwrap(), client.local_addr().unwrap());
    assert_eq!(clone.ttl().unwrap(), 17);
    let lclone = listener.try_clone().unwrap();
    assert_eq!(lclone.local_addr().unwrap(), listener.local_addr().unwrap());
    assert_eq!(lclone.ttl().unwrap(), 42);
}

#[test]
fn from_std_types() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let listener = TcpListener::from_std(std_listener).unwrap();
    // Made non-blocking.
    assert!(would_block(&listener.accept().unwrap_err()));

    let std_client = std::net::TcpStream::connect(addr).unwrap();
    let client = TcpStream::from_stream(std_client).unwrap();
    let (server, _) = accept(&listener);
    let mut c = &client;
    assert!(would_block(&c.read(&mut [0u8; 4]).unwrap_err()));
    drop(server);

    // connect_stream: a socket made elsewhere, connected by evio. std has no
    // way to make an unconnected socket, so reuse a connected one's type via
    // a raw descriptor on Unix; elsewhere just check the error path.
    #[cfg(unix)]
    {
        use std::os::fd::FromRawFd;
        // SAFETY: socket(2) returns a new descriptor that we own, or -1.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0) };
        assert!(fd >= 0);
        // SAFETY: `fd` is a fresh socket owned by nothing else.
        let raw = unsafe { std::net::TcpStream::from_raw_fd(fd) };
        let stream = TcpStream::connect_stream(raw, &addr).unwrap();
        let poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(4);
        poll.register(&stream, Token(3), Ready::writable(), PollOpt::edge())
            .unwrap();
        wait_for(&poll, &mut events, "connected", |e| {
            e.token() == Token(3) && e.readiness().is_writable()
        });
        assert_eq!(stream.peer_addr().unwrap(), addr);
        let _ = accept(&listener);
    }
}

#[test]
fn register_twice_is_already_exists() {
    let poll = Poll::new().unwrap();
    let (client, _server) = pair();
    poll.register(&client, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    let err = poll
        .register(&client, Token(2), Ready::readable(), PollOpt::edge())
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
}

#[test]
fn second_poll_is_an_error() {
    let poll1 = Poll::new().unwrap();
    let poll2 = Poll::new().unwrap();
    let (client, _server) = pair();
    poll1
        .register(&client, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    assert!(poll2
        .register(&client, Token(1), Ready::readable(), PollOpt::edge())
        .is_err());
    assert!(poll2
        .reregister(&client, Token(1), Ready::readable(), PollOpt::edge())
        .is_err());
    assert!(poll2.deregister(&client).is_err());
    // Still bound to the first after deregistering.
    poll1.deregister(&client).unwrap();
    assert!(poll2
        .register(&client, Token(1), Ready::readable(), PollOpt::edge())
        .is_err());
    // A clone shares its original's binding, as in the classic API: it
    // cannot join another Poll either, but may be registered with the first.
    let clone = client.try_clone().unwrap();
    assert!(poll2
        .register(&clone, Token(1), Ready::readable(), PollOpt::edge())
        .is_err());
    // (The original is deregistered, so its descriptor's clone may go in.)
    poll1
        .register(&clone, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    // A clone of a socket not yet bound to any Poll is free to go anywhere.
    let (free, _peer) = pair();
    let free_clone = free.try_clone().unwrap();
    poll2
        .register(&free_clone, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    assert!(poll1
        .register(&free, Token(1), Ready::readable(), PollOpt::edge())
        .is_ok());
    let listener = TcpListener::bind(&localhost()).unwrap();
    poll1
        .register(&listener, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    assert!(poll2
        .register(&listener, Token(0), Ready::readable(), PollOpt::edge())
        .is_err());
}

#[test]
fn unregistered_reregister_and_deregister_are_errors() {
    let poll = Poll::new().unwrap();
    let (client, _server) = pair();
    assert!(poll
        .reregister(&client, Token(1), Ready::readable(), PollOpt::edge())
        .is_err());
    assert!(poll.deregister(&client).is_err());
}

#[test]
fn deregister_then_register_again() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut client, server) = pair();
    poll.register(&server, Token(1), Ready::readable(), PollOpt::level())
        .unwrap();
    poll.deregister(&server).unwrap();
    client.write_all(b"hi").unwrap();
    // Let the bytes arrive, then check that no event comes.
    let mut b = [0u8; 2];
    let start = Instant::now();
    while server.peek(&mut b).unwrap_or(0) < 2 {
        assert!(start.elapsed() < DEADLINE);
        thread::sleep(Duration::from_millis(2));
    }
    poll.poll(&mut events, Some(Duration::from_millis(50)))
        .unwrap();
    assert!(
        events.iter().all(|e| e.token() != Token(1)),
        "event after deregister"
    );
    // reregister after deregister: no registration to change.
    assert!(poll
        .reregister(&server, Token(1), Ready::readable(), PollOpt::level())
        .is_err());
    poll.register(&server, Token(9), Ready::readable(), PollOpt::level())
        .unwrap();
    wait_for(&poll, &mut events, "event after register again", |e| {
        e.token() == Token(9) && e.readiness().is_readable()
    });
    // And reregister changes the token.
    poll.reregister(&server, Token(10), Ready::readable(), PollOpt::level())
        .unwrap();
    wait_for(&poll, &mut events, "event after reregister", |e| {
        e.token() == Token(10)
    });
}

#[test]
fn level_repeats_edge_does_not() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut client, server) = pair();
    let s2 = server.try_clone().unwrap();
    let poll2 = Poll::new().unwrap();
    poll.register(&server, Token(1), Ready::readable(), PollOpt::level())
        .unwrap();
    poll2
        .register(&s2, Token(2), Ready::readable(), PollOpt::edge())
        .unwrap();
    client.write_all(b"x").unwrap();
    wait_for(&poll, &mut events, "level event", |e| e.token() == Token(1));
    // Level: unread data keeps reporting.
    for _ in 0..3 {
        poll.poll(&mut events, Some(DEADLINE)).unwrap();
        assert!(events.iter().any(|e| e.token() == Token(1)));
    }
    // Edge: once, then quiet while nothing changes.
    let mut events2 = Events::with_capacity(8);
    wait_for(&poll2, &mut events2, "edge event", |e| {
        e.token() == Token(2)
    });
    poll2
        .poll(&mut events2, Some(Duration::from_millis(50)))
        .unwrap();
    assert!(events2.is_empty(), "edge repeated: {events2:?}");
}

#[test]
fn oneshot_needs_reregister() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut client, mut server) = pair();
    poll.register(
        &server,
        Token(1),
        Ready::readable(),
        PollOpt::level() | PollOpt::oneshot(),
    )
    .unwrap();
    client.write_all(b"a").unwrap();
    wait_for(&poll, &mut events, "first oneshot event", |e| {
        e.token() == Token(1)
    });
    // More data, level, unread: still nothing until reregister.
    client.write_all(b"b").unwrap();
    poll.poll(&mut events, Some(Duration::from_millis(100)))
        .unwrap();
    assert!(
        events.iter().all(|e| e.token() != Token(1)),
        "oneshot fired twice"
    );
    poll.reregister(
        &server,
        Token(1),
        Ready::readable(),
        PollOpt::level() | PollOpt::oneshot(),
    )
    .unwrap();
    wait_for(&poll, &mut events, "event after reregister", |e| {
        e.token() == Token(1)
    });
    let mut buf = [0u8; 2];
    read_exact(&poll, &mut events, &server, &mut buf);
    assert_eq!(&buf, b"ab");
    assert!(would_block(&server.read(&mut buf).unwrap_err()));
}

#[test]
fn more_ready_sockets_than_capacity() {
    const N: usize = 40;
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    assert_eq!(events.capacity(), 4);
    let mut pairs = Vec::new();
    for i in 0..N {
        let (mut client, server) = pair();
        poll.register(&server, Token(i), Ready::readable(), PollOpt::edge())
            .unwrap();
        client.write_all(b"z").unwrap();
        pairs.push((client, server));
    }
    let mut seen = [false; N];
    let start = Instant::now();
    while seen.iter().any(|s| !s) {
        assert!(
            start.elapsed() < DEADLINE,
            "missing: {:?}",
            (0..N).filter(|&i| !seen[i]).collect::<Vec<_>>()
        );
        poll.poll(&mut events, Some(TICK)).unwrap();
        assert!(events.len() <= 4);
        for e in &events {
            seen[e.token().0] = true;
        }
    }
}

#[test]
fn evented_through_box_and_arc() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut client, server) = pair();
    let boxed: Box<dyn evio::event::Evented> = Box::new(server);
    poll.register(&boxed, Token(5), Ready::readable(), PollOpt::edge())
        .unwrap();
    client.write_all(b"q").unwrap();
    wait_for(&poll, &mut events, "boxed event", |e| e.token() == Token(5));
    let listener = std::sync::Arc::new(TcpListener::bind(&localhost()).unwrap());
    poll.register(&listener, Token(6), Ready::readable(), PollOpt::edge())
        .unwrap();
    let _c = TcpStream::connect(&listener.local_addr().unwrap()).unwrap();
    wait_for(&poll, &mut events, "arc event", |e| e.token() == Token(6));
}

#[cfg(unix)]
#[test]
fn raw_fd_round_trips() {
    use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
    let (client, server) = pair();
    let addr = client.local_addr().unwrap();
    let fd = client.into_raw_fd();
    // SAFETY: `fd` came from `into_raw_fd` just above; we are its only owner.
    let client = unsafe { TcpStream::from_raw_fd(fd) };
    assert_eq!(client.local_addr().unwrap(), addr);
    assert_eq!(client.as_fd().as_raw_fd(), fd);
    let owned: OwnedFd = client.into();
    let client = TcpStream::from(owned);
    assert_eq!(client.as_raw_fd(), fd);
    assert_eq!(client.local_addr().unwrap(), addr);
    assert!(format!("{client:?}").contains("TcpStream"));
    assert!(format!("{server:?}").contains("TcpStream"));

    let listener = TcpListener::bind(&localhost()).unwrap();
    let laddr = listener.local_addr().unwrap();
    let owned: OwnedFd = listener.into();
    let listener = TcpListener::from(owned);
    assert_eq!(listener.local_addr().unwrap(), laddr);
    let lfd = listener.into_raw_fd();
    // SAFETY: `lfd` came from `into_raw_fd` just above; we are its only owner.
    let listener = unsafe { TcpListener::from_raw_fd(lfd) };
    assert_eq!(listener.local_addr().unwrap(), laddr);
    assert!(format!("{listener:?}").contains("TcpListener"));
}

#[test]
fn bind_errors_are_errors() {
    let listener = TcpListener::bind(&localhost()).unwrap();
    let addr = listener.local_addr().unwrap();
    // Same address, still listening: address in use.
    let err = TcpListener::bind(&addr).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    // An address that is not ours.
    let foreign: SocketAddr = "192.0.2.1:0".parse().unwrap();
    assert!(TcpListener::bind(&foreign).is_err());
}

/// `bind` sets `SO_REUSEADDR` on Unix: a server can listen again on its port
/// while an old connection on it is still in `TIME_WAIT`. (Windows has other
/// rules for reuse, and evio does not set the option there.)
#[cfg(unix)]
#[test]
fn rebind_while_time_wait() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let listener = TcpListener::bind(&localhost()).unwrap();
    let addr = listener.local_addr().unwrap();
    let client = TcpStream::connect(&addr).unwrap();
    let (server, _) = accept(&listener);
    poll.register(&client, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    // The server side closes first, so its end goes to TIME_WAIT.
    drop(server);
    drop(listener);
    wait_for(&poll, &mut events, "close seen", |e| e.token() == Token(1));
    let mut c = &client;
    assert_eq!(c.read(&mut [0u8; 4]).unwrap(), 0);
    drop(client);
    let again = TcpListener::bind(&addr).unwrap();
    assert_eq!(again.local_addr().unwrap(), addr);
}

/// A burst of connections: one edge event, then `accept` until `WouldBlock`,
/// repeated until every connection is in (the listen queue holds them).
#[test]
fn accept_burst_edge() {
    const N: usize = 200;
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let listener = TcpListener::bind(&localhost()).unwrap();
    poll.register(&listener, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let clients: Vec<TcpStream> = (0..N).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    let mut accepted = Vec::with_capacity(N);
    let start = Instant::now();
    while accepted.len() < N {
        assert!(
            start.elapsed() < DEADLINE,
            "accepted only {} of {N}",
            accepted.len()
        );
        poll.poll(&mut events, Some(TICK)).unwrap();
        if events.is_empty() {
            continue;
        }
        loop {
            match listener.accept() {
                Ok((s, peer)) => accepted.push((s, peer)),
                Err(ref e) if would_block(e) => break,
                Err(e) => panic!("accept: {e}"),
            }
        }
    }
    let mut peers: Vec<SocketAddr> = accepted.iter().map(|(_, p)| *p).collect();
    let mut locals: Vec<SocketAddr> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
    peers.sort();
    locals.sort();
    assert_eq!(peers, locals);
}
