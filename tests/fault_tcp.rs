//! TCP faults: peer reset, half-close in each direction, writing to a
//! closed peer (`EPIPE`, never `SIGPIPE`), connection refused, a listener
//! whose backlog is full.
//!
//! This binary puts `SIGPIPE` back to its default action (the Rust runtime
//! ignores it), so a send without `MSG_NOSIGNAL` would kill the process and
//! fail the run. Every wait is a bounded poll loop.

#![cfg(unix)]

use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::sync::Once;
use std::time::{Duration, Instant};

use evio::net::{TcpListener, TcpStream};
use evio::unix::UnixReady;
use evio::{Events, Poll, PollOpt, Ready, Token};

mod common;
use common::{localhost, wait_for_token as wait_for};

const LISTENER: Token = Token(0);
const SERVER: Token = Token(1);
const CLIENT: Token = Token(2);

fn sigpipe_default() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: resetting a signal's disposition to its default has no
        // memory-safety preconditions.
        let old = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
        assert_ne!(old, libc::SIG_ERR);
    });
}

/// A connected pair: (accepted server side, client side), both registered.
/// The client is registered once the connection is established, so its
/// first (writable) event is not lost to the listener's wait.
fn connected(poll: &Poll, events: &mut Events, opts: PollOpt) -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind(&localhost()).unwrap();
    poll.register(&listener, LISTENER, Ready::readable(), PollOpt::edge())
        .unwrap();
    let client = TcpStream::connect(&listener.local_addr().unwrap()).unwrap();
    wait_for(poll, events, LISTENER, |e| e.is_readable());
    let (server, _) = listener.accept().unwrap();
    poll.register(&server, SERVER, Ready::readable() | Ready::writable(), opts)
        .unwrap();
    poll.register(&client, CLIENT, Ready::readable() | Ready::writable(), opts)
        .unwrap();
    wait_for(poll, events, CLIENT, |e| e.is_writable());
    poll.deregister(&listener).unwrap();
    (server, client)
}

/// Reads until `WouldBlock` or the end; returns (bytes, saw end of stream).
fn read_available(s: &mut TcpStream) -> io::Result<(Vec<u8>, bool)> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    for _ in 0..10_000 {
        match s.read(&mut buf) {
            Ok(0) => return Ok((out, true)),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok((out, false)),
            Err(e) => return Err(e),
        }
    }
    panic!("read never stopped");
}

#[test]
fn peer_reset_with_linger_zero() {
    sigpipe_default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut server, client) = connected(&poll, &mut events, PollOpt::edge());
    client.set_linger(Some(Duration::ZERO)).unwrap();
    assert_eq!(client.linger().unwrap(), Some(Duration::ZERO));
    drop(client); // sends RST

    let ev = wait_for(&poll, &mut events, SERVER, |e| {
        e.is_read_closed() || UnixReady::from(e.readiness()).is_hup()
    });
    assert!(ev.is_readable(), "{ev:?}");
    let r = UnixReady::from(ev.readiness());
    assert!(r.is_hup() || r.is_error(), "{ev:?}");
    assert!(ev.is_write_closed(), "reset closes both halves: {ev:?}");

    let mut buf = [0u8; 16];
    let err = server.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    // The error was consumed by the read; writing now fails with EPIPE.
    let err = server.write(b"after reset").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
}

#[test]
fn reset_error_reported_by_take_error() {
    sigpipe_default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (server, client) = connected(&poll, &mut events, PollOpt::level());
    client.set_linger(Some(Duration::ZERO)).unwrap();
    drop(client);
    wait_for(&poll, &mut events, SERVER, |e| e.is_read_closed());
    let err = server
        .take_error()
        .unwrap()
        .expect("a pending socket error");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    assert!(server.take_error().unwrap().is_none());
}

#[test]
fn half_close_client_to_server() {
    sigpipe_default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut server, mut client) = connected(&poll, &mut events, PollOpt::edge());

    client.write_all(b"last words").unwrap();
    client.shutdown(Shutdown::Write).unwrap();

    let ev = wait_for(&poll, &mut events, SERVER, |e| e.is_read_closed());
    assert!(ev.is_readable() && !ev.is_write_closed(), "{ev:?}");
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (data, eof) = read_available(&mut server).unwrap();
        got.extend(data);
        if eof || Instant::now() > deadline {
            assert!(eof, "no end of stream");
            break;
        }
        poll.poll(&mut events, Some(Duration::from_millis(50)))
            .unwrap();
    }
    assert_eq!(got, b"last words");

    // The other direction still carries data.
    server.write_all(b"reply").unwrap();
    wait_for(&poll, &mut events, CLIENT, |e| e.is_readable());
    let (data, eof) = read_available(&mut client).unwrap();
    assert_eq!(data, b"reply");
    assert!(!eof);
    // Writing on the shut-down half fails, without a signal.
    assert_eq!(
        client.write(b"x").unwrap_err().kind(),
        io::ErrorKind::BrokenPipe
    );
}

#[test]
fn half_close_server_to_client() {
    sigpipe_default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut server, mut client) = connected(&poll, &mut events, PollOpt::level());

    server.write_all(b"bye").unwrap();
    server.shutdown(Shutdown::Write).unwrap();
    let ev = wait_for(&poll, &mut events, CLIENT, |e| e.is_read_closed());
    assert!(ev.is_readable() && !ev.is_write_closed(), "{ev:?}");
    let (data, eof) = read_available(&mut client).unwrap();
    assert_eq!(data, b"bye");
    assert!(eof);

    client.write_all(b"still open").unwrap();
    wait_for(&poll, &mut events, SERVER, |e| e.is_readable());
    let (data, eof) = read_available(&mut server).unwrap();
    assert_eq!(data, b"still open");
    assert!(!eof);

    // Both halves closed: hang-up on both sides.
    client.shutdown(Shutdown::Write).unwrap();
    let ev = wait_for(&poll, &mut events, SERVER, |e| e.is_read_closed());
    assert!(ev.is_readable());
    let ev = wait_for(&poll, &mut events, CLIENT, |e| {
        UnixReady::from(e.readiness()).is_hup()
    });
    assert!(ev.is_read_closed() && ev.is_write_closed(), "{ev:?}");
}

#[test]
fn write_to_closed_peer_is_epipe_not_sigpipe() {
    sigpipe_default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (server, mut client) = connected(&poll, &mut events, PollOpt::edge());
    drop(server);
    wait_for(&poll, &mut events, CLIENT, |e| e.is_read_closed());

    // The first write may still be accepted (the peer answers it with a
    // reset); a later one fails. Both plain and vectored writes.
    let mut errors = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    for i in 0..1000 {
        let res = if i % 2 == 0 {
            client.write(b"into the void")
        } else {
            client.write_vectored(&[IoSlice::new(b"into"), IoSlice::new(b" the void")])
        };
        match res {
            Ok(_) => {}
            Err(e) => errors.push(e.kind()),
        }
        if errors.len() >= 4 || Instant::now() > deadline {
            break;
        }
        poll.poll(&mut events, Some(Duration::from_millis(10)))
            .unwrap();
    }
    assert!(errors.len() >= 4, "writes kept succeeding: {errors:?}");
    for k in &errors {
        assert!(
            matches!(
                k,
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ),
            "{errors:?}"
        );
    }
    // Still alive: no SIGPIPE was raised.
    assert!(errors.contains(&io::ErrorKind::BrokenPipe), "{errors:?}");
}

#[test]
fn connect_refused() {
    sigpipe_default();
    // A port with nothing listening: bind one, note it, close it.
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    match TcpStream::connect(&addr) {
        Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused),
        Ok(stream) => {
            poll.register(
                &stream,
                CLIENT,
                Ready::readable() | Ready::writable(),
                PollOpt::edge(),
            )
            .unwrap();
            let ev = wait_for(&poll, &mut events, CLIENT, |_| true);
            let r = UnixReady::from(ev.readiness());
            assert!(r.is_error() || r.is_hup(), "{ev:?}");
            assert!(ev.is_write_closed(), "{ev:?}");
            let err = stream.take_error().unwrap().expect("the connect error");
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
            assert!(stream.peer_addr().is_err());
        }
    }
}

#[test]
fn listener_with_full_backlog() {
    sigpipe_default();
    // A listener with a backlog of 1: connections beyond the queue wait in
    // the kernel (their SYNs are retried) and are accepted later; none is
    // lost and none fails.
    use rustix::net::{bind, listen, socket, AddressFamily, SocketType};
    let fd = socket(AddressFamily::INET, SocketType::STREAM, None).unwrap();
    bind(&fd, &localhost()).unwrap();
    listen(&fd, 1).unwrap();
    // `from_std` makes the socket non-blocking.
    let listener = TcpListener::from_std(std::net::TcpListener::from(fd)).unwrap();
    let addr = listener.local_addr().unwrap();

    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    poll.register(&listener, LISTENER, Ready::readable(), PollOpt::edge())
        .unwrap();

    const N: usize = 6;
    let mut clients: Vec<TcpStream> = (0..N)
        .map(|_| TcpStream::connect(&addr).expect("connect must not fail on a full backlog"))
        .collect();
    for (i, c) in clients.iter().enumerate() {
        poll.register(
            c,
            Token(100 + i),
            Ready::readable() | Ready::writable(),
            PollOpt::level(),
        )
        .unwrap();
    }

    // Accept only after a moment, so the queue overflows first. Each
    // client sends its number once connected (as a client sends its
    // request); the server echoes it. A connection whose handshake the
    // full queue held back completes when the client's data arrives.
    std::thread::sleep(Duration::from_millis(50));
    let mut accepted: Vec<TcpStream> = Vec::new();
    let mut sent = [false; N];
    let mut echoed = [false; N];
    let mut served = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while echoed.iter().any(|e| !e) && Instant::now() < deadline {
        for _ in 0..N + 1 {
            match listener.accept() {
                Ok((s, _)) => accepted.push(s),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("accept: {e}"),
            }
        }
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        for ev in events.iter() {
            let Some(i) = ev.token().0.checked_sub(100) else {
                continue;
            };
            let c = &mut clients[i];
            if ev.is_writable() && !sent[i] {
                assert!(c.take_error().unwrap().is_none(), "client {i}");
                c.write_all(&[i as u8]).unwrap();
                sent[i] = true;
            }
            if ev.is_readable() {
                let mut b = [0u8; 4];
                match c.read(&mut b) {
                    Ok(1) => {
                        assert_eq!(b[0], i as u8);
                        echoed[i] = true;
                        poll.deregister(c).unwrap();
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    other => panic!("client {i}: {other:?}"),
                }
            }
        }
        for s in accepted.iter_mut() {
            let mut b = [0u8; 4];
            if let Ok(1) = s.read(&mut b) {
                s.write_all(&b[..1]).unwrap();
                served.push(b[0]);
            }
        }
    }
    assert_eq!(accepted.len(), N, "connections lost behind a full backlog");
    assert!(echoed.iter().all(|&e| e), "echoed: {echoed:?}");
    served.sort();
    assert_eq!(served, (0..N as u8).collect::<Vec<_>>());
}
