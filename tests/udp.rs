//! UDP sockets: datagrams, connected sockets, peek, options and events.
//! Loopback only; every wait is bounded.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use evio::net::UdpSocket;
use evio::{Events, Poll, PollOpt, Ready, Token};

mod common;
use common::{localhost, would_block, DEADLINE, TICK};

/// Runs `op` until it stops returning `WouldBlock`, polling in between.
fn retry<T>(poll: &Poll, events: &mut Events, mut op: impl FnMut() -> io::Result<T>) -> T {
    let start = Instant::now();
    loop {
        match op() {
            Ok(v) => return v,
            Err(ref e) if would_block(e) && start.elapsed() < DEADLINE => {
                poll.poll(events, Some(TICK)).unwrap();
            }
            Err(e) => panic!("{e}"),
        }
    }
}

fn send_recv_echo(addr: &SocketAddr) {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let a = UdpSocket::bind(addr).unwrap();
    let b = UdpSocket::bind(addr).unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    poll.register(&a, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    poll.register(&b, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();

    let mut buf = [0u8; 1500];
    for i in 0..50u8 {
        let msg = [i; 100];
        assert_eq!(a.send_to(&msg, &b_addr).unwrap(), 100);
        let (n, from) = retry(&poll, &mut events, || b.recv_from(&mut buf));
        assert_eq!(from, a_addr);
        assert_eq!(&buf[..n], &msg[..]);
        // Echo back.
        assert_eq!(b.send_to(&buf[..n], &from).unwrap(), n);
        let (n, from) = retry(&poll, &mut events, || a.recv_from(&mut buf));
        assert_eq!(from, b_addr);
        assert_eq!(&buf[..n], &msg[..]);
    }
    // Nothing left.
    assert!(would_block(&a.recv_from(&mut buf).unwrap_err()));
    assert!(would_block(&b.recv_from(&mut buf).unwrap_err()));
}

#[test]
fn send_to_recv_from_echo() {
    send_recv_echo(&localhost());
}

#[test]
fn send_to_recv_from_ipv6() {
    let addr: SocketAddr = "[::1]:0".parse().unwrap();
    if std::net::UdpSocket::bind(addr).is_err() {
        eprintln!("skipped: ::1 is not available on this machine");
        return;
    }
    send_recv_echo(&addr);
    let s = UdpSocket::bind(&addr).unwrap();
    let _ = s.only_v6().unwrap();
    s.set_multicast_loop_v6(false).unwrap();
    assert!(!s.multicast_loop_v6().unwrap());
    s.set_multicast_loop_v6(true).unwrap();
    assert!(s.multicast_loop_v6().unwrap());
}

#[test]
fn readable_events_edge_and_level() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let a = UdpSocket::bind(&localhost()).unwrap();
    let b = UdpSocket::bind(&localhost()).unwrap();
    let c = b.try_clone().unwrap();
    poll.register(&b, Token(1), Ready::readable(), PollOpt::level())
        .unwrap();
    // A fresh socket is writable at once.
    poll.register(&a, Token(0), Ready::writable(), PollOpt::edge())
        .unwrap();
    let start = Instant::now();
    let mut writable = false;
    while !writable && start.elapsed() < DEADLINE {
        poll.poll(&mut events, Some(TICK)).unwrap();
        writable = events
            .iter()
            .any(|e| e.token() == Token(0) && e.readiness().is_writable());
    }
    assert!(writable);

    // No datagram yet: no readable event for b.
    poll.poll(&mut events, Some(Duration::from_millis(50)))
        .unwrap();
    assert!(events.iter().all(|e| e.token() != Token(1)));

    a.send_to(b"dgram", &b.local_addr().unwrap()).unwrap();
    // Level: reported at every poll while unread.
    for _ in 0..3 {
        let start = Instant::now();
        let mut seen = false;
        while !seen && start.elapsed() < DEADLINE {
            poll.poll(&mut events, Some(TICK)).unwrap();
            seen = events
                .iter()
                .any(|e| e.token() == Token(1) && e.readiness().is_readable());
        }
        assert!(seen);
    }
    let mut buf = [0u8; 16];
    // Read through the clone: same socket.
    let (n, _) = c.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"dgram");
    poll.poll(&mut events, Some(Duration::from_millis(50)))
        .unwrap();
    assert!(
        events.iter().all(|e| e.token() != Token(1)),
        "level event after drain"
    );
}

#[test]
fn connect_send_recv() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let a = UdpSocket::bind(&localhost()).unwrap();
    let b = UdpSocket::bind(&localhost()).unwrap();
    let other = UdpSocket::bind(&localhost()).unwrap();
    a.connect(b.local_addr().unwrap()).unwrap();
    b.connect(a.local_addr().unwrap()).unwrap();
    poll.register(&a, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    poll.register(&b, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();

    // A datagram from a third socket is filtered out by the connected b.
    other
        .send_to(b"stranger", &b.local_addr().unwrap())
        .unwrap();
    assert_eq!(a.send(b"hello").unwrap(), 5);
    let mut buf = [0u8; 32];
    let n = retry(&poll, &mut events, || b.recv(&mut buf));
    assert_eq!(&buf[..n], b"hello");
    assert_eq!(b.send(b"world").unwrap(), 5);
    let n = retry(&poll, &mut events, || a.recv(&mut buf));
    assert_eq!(&buf[..n], b"world");
    assert!(would_block(&b.recv(&mut buf).unwrap_err()));
}

#[test]
fn peek_leaves_datagram() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let a = UdpSocket::bind(&localhost()).unwrap();
    let b = UdpSocket::bind(&localhost()).unwrap();
    poll.register(&b, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    a.send_to(b"first", &b.local_addr().unwrap()).unwrap();
    a.send_to(b"second", &b.local_addr().unwrap()).unwrap();
    let mut buf = [0u8; 16];
    let n = retry(&poll, &mut events, || b.peek(&mut buf));
    assert_eq!(&buf[..n], b"first");
    let n = b.peek(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"first");
    let (n, _) = b.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"first");
    let n = retry(&poll, &mut events, || b.recv(&mut buf));
    assert_eq!(&buf[..n], b"second");
}

#[test]
fn short_buffer_truncates() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let a = UdpSocket::bind(&localhost()).unwrap();
    let b = UdpSocket::bind(&localhost()).unwrap();
    poll.register(&b, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    a.send_to(b"0123456789", &b.local_addr().unwrap()).unwrap();
    let mut buf = [0u8; 4];
    let (n, _) = retry(&poll, &mut events, || b.recv_from(&mut buf));
    assert_eq!(n, 4);
    assert_eq!(&buf, b"0123");
    // The rest of the datagram is gone.
    assert!(would_block(&b.recv_from(&mut buf).unwrap_err()));
}

#[test]
fn options_round_trip() {
    let s = UdpSocket::bind(&localhost()).unwrap();

    assert!(!s.broadcast().unwrap());
    s.set_broadcast(true).unwrap();
    assert!(s.broadcast().unwrap());
    s.set_broadcast(false).unwrap();
    assert!(!s.broadcast().unwrap());

    s.set_multicast_loop_v4(false).unwrap();
    assert!(!s.multicast_loop_v4().unwrap());
    s.set_multicast_loop_v4(true).unwrap();
    assert!(s.multicast_loop_v4().unwrap());

    s.set_multicast_ttl_v4(7).unwrap();
    assert_eq!(s.multicast_ttl_v4().unwrap(), 7);

    s.set_ttl(33).unwrap();
    assert_eq!(s.ttl().unwrap(), 33);

    assert!(s.take_error().unwrap().is_none());
    // An IPv4 socket has no IPv6 options: an error, not a panic.
    assert!(s.only_v6().is_err());

    let clone = s.try_clone().unwrap();
    assert_eq!(clone.ttl().unwrap(), 33);
    assert_eq!(clone.local_addr().unwrap(), s.local_addr().unwrap());
}

#[test]
fn multicast_v4_join_leave() {
    let s = UdpSocket::bind(&"0.0.0.0:0".parse().unwrap()).unwrap();
    let group = Ipv4Addr::new(239, 255, 43, 21);
    // The loopback interface may lack multicast; joining then fails with an
    // OS error, which is also acceptable, but the pair must match.
    match s.join_multicast_v4(&group, &Ipv4Addr::LOCALHOST) {
        Ok(()) => {
            s.leave_multicast_v4(&group, &Ipv4Addr::LOCALHOST).unwrap();
            // Leaving twice: the membership is gone.
            assert!(s.leave_multicast_v4(&group, &Ipv4Addr::LOCALHOST).is_err());
        }
        Err(e) => eprintln!("skipped: cannot join a group on loopback: {e}"),
    }
    // Not a multicast address: invalid.
    assert!(s
        .join_multicast_v4(&Ipv4Addr::new(10, 0, 0, 1), &Ipv4Addr::UNSPECIFIED)
        .is_err());
}

#[test]
fn multicast_v6_join_leave() {
    let s = match UdpSocket::bind(&"[::]:0".parse().unwrap()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("skipped: no IPv6: {e}");
            return;
        }
    };
    let group = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x4321);
    match s.join_multicast_v6(&group, 0) {
        Ok(()) => s.leave_multicast_v6(&group, 0).unwrap(),
        Err(e) => eprintln!("skipped: cannot join an IPv6 group: {e}"),
    }
    assert!(s.join_multicast_v6(&Ipv6Addr::LOCALHOST, 0).is_err());
}

#[test]
fn from_socket_is_nonblocking() {
    let std_sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let s = UdpSocket::from_socket(std_sock).unwrap();
    let mut buf = [0u8; 8];
    assert!(would_block(&s.recv_from(&mut buf).unwrap_err()));
}

#[test]
fn registration_rules() {
    let poll = Poll::new().unwrap();
    let poll2 = Poll::new().unwrap();
    let s = UdpSocket::bind(&localhost()).unwrap();
    poll.register(&s, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    assert_eq!(
        poll.register(&s, Token(0), Ready::readable(), PollOpt::edge())
            .unwrap_err()
            .kind(),
        io::ErrorKind::AlreadyExists
    );
    assert!(poll2
        .register(&s, Token(0), Ready::readable(), PollOpt::edge())
        .is_err());
    poll.deregister(&s).unwrap();
}

#[cfg(unix)]
#[test]
fn raw_fd_round_trips() {
    use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
    let s = UdpSocket::bind(&localhost()).unwrap();
    let addr = s.local_addr().unwrap();
    let fd = s.into_raw_fd();
    // SAFETY: `fd` came from `into_raw_fd` just above; we are its only owner.
    let s = unsafe { UdpSocket::from_raw_fd(fd) };
    assert_eq!(s.as_fd().as_raw_fd(), fd);
    let owned: OwnedFd = s.into();
    let s = UdpSocket::from(owned);
    assert_eq!(s.as_raw_fd(), fd);
    assert_eq!(s.local_addr().unwrap(), addr);
    assert!(format!("{s:?}").contains("UdpSocket"));
}

#[test]
fn address_family_mismatch_is_an_error() {
    let s = UdpSocket::bind(&localhost()).unwrap();
    let v6: SocketAddr = "[::1]:9".parse().unwrap();
    assert!(s.send_to(b"x", &v6).is_err());
    assert!(s.connect(v6).is_err());
    // Sending on an unconnected socket without an address: an error.
    assert!(s.send(b"x").is_err());
}

/// Many datagrams queued behind one edge: all are read by draining until
/// `WouldBlock`, in order, none lost.
#[test]
fn edge_drain_many_datagrams() {
    // Few enough to fit the default receive buffer (each costs far more than
    // its two bytes there), so none is dropped.
    const N: u16 = 64;
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let a = UdpSocket::bind(&localhost()).unwrap();
    let b = UdpSocket::bind(&localhost()).unwrap();
    poll.register(&b, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    let to = b.local_addr().unwrap();
    for i in 0..N {
        a.send_to(&i.to_be_bytes(), &to).unwrap();
    }
    let mut next = 0u16;
    let mut buf = [0u8; 8];
    let start = Instant::now();
    while next < N {
        assert!(start.elapsed() < DEADLINE, "got {next} of {N}");
        poll.poll(&mut events, Some(TICK)).unwrap();
        loop {
            match b.recv_from(&mut buf) {
                Ok((2, _)) => {
                    assert_eq!(u16::from_be_bytes([buf[0], buf[1]]), next);
                    next += 1;
                }
                Ok((n, _)) => panic!("datagram of {n} bytes"),
                Err(ref e) if would_block(e) => break,
                Err(e) => panic!("{e}"),
            }
        }
    }
}

/// The classic API's older `udp::UdpSocket`: `Ok(None)` where the newer
/// socket answers `WouldBlock`.
#[test]
fn classic_udp_path_answers_none_when_it_would_block() {
    use evio::udp::UdpSocket as Classic;
    let a = Classic::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    let b = Classic::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    let mut buf = [0u8; 32];
    assert!(a.recv_from(&mut buf).unwrap().is_none());
    let poll = Poll::new().unwrap();
    poll.register(&a, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    let to = a.local_addr().unwrap();
    assert_eq!(b.send_to(b"ping", &to).unwrap(), Some(4));
    let mut events = Events::with_capacity(4);
    let mut got = None;
    for _ in 0..100 {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        if let Some(r) = a.recv_from(&mut buf).unwrap() {
            got = Some(r);
            break;
        }
    }
    let (n, from) = got.expect("datagram never arrived");
    assert_eq!((&buf[..n], from), (&b"ping"[..], b.local_addr().unwrap()));
    // Connected forms.
    a.connect(b.local_addr().unwrap()).unwrap();
    assert!(a.recv(&mut buf).unwrap().is_none());
    assert_eq!(a.send(b"pong").unwrap(), Some(4));
    // A clone shares the binding: it cannot join another Poll.
    let clone = a.try_clone().unwrap();
    let other = Poll::new().unwrap();
    assert!(other
        .register(&clone, Token(1), Ready::readable(), PollOpt::edge())
        .is_err());
}
