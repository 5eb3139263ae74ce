//! The simulated backend (`--cfg evio_sim`): readiness semantics as
//! epoll's, virtual time, and determinism by seed. Compiles to nothing in
//! a normal build.
//!
//! ```sh
//! RUSTFLAGS="--cfg evio_sim" cargo test --target-dir target/sim --test sim
//! ```

#![cfg(evio_sim)]

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use evio::net::{TcpListener, TcpStream, UdpSocket};
use evio::sim::{self, FaultPlan, Sim};
use evio::unix::UnixReady;
use evio::{Events, Poll, PollOpt, Ready, Registration, Token, Waker};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Polls until an event for `token` comes (at most 100 polls).
fn wait_for(poll: &Poll, events: &mut Events, token: Token) -> Ready {
    for _ in 0..100 {
        poll.poll(events, Some(Duration::from_secs(1))).unwrap();
        if let Some(e) = events.iter().find(|e| e.token() == token) {
            return e.readiness();
        }
    }
    panic!("no event for {token:?}");
}

fn count(poll: &Poll, events: &mut Events, token: Token) -> usize {
    poll.poll(events, Some(Duration::ZERO)).unwrap();
    events.iter().filter(|e| e.token() == token).count()
}

/// A connected pair in this thread's world: (client, server side).
fn pair(poll: &Poll, events: &mut Events) -> (TcpStream, TcpStream) {
    let l = TcpListener::bind(&addr("127.0.0.1:0")).unwrap();
    poll.register(&l, Token(100), Ready::readable(), PollOpt::edge())
        .unwrap();
    let c = TcpStream::connect(&l.local_addr().unwrap()).unwrap();
    wait_for(poll, events, Token(100));
    let (s, peer) = l.accept().unwrap();
    assert_eq!(peer, c.local_addr().unwrap());
    poll.deregister(&l).unwrap();
    (c, s)
}

#[test]
fn connect_accept_and_echo() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut c, mut s) = pair(&poll, &mut events);
    poll.register(
        &c,
        Token(1),
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )
    .unwrap();
    assert!(wait_for(&poll, &mut events, Token(1)).is_writable());
    assert_eq!(c.write(b"hello").unwrap(), 5);
    poll.register(&s, Token(2), Ready::readable(), PollOpt::edge())
        .unwrap();
    assert!(wait_for(&poll, &mut events, Token(2)).is_readable());
    let mut buf = [0u8; 16];
    assert_eq!(s.read(&mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"hello");
    assert_eq!(s.read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    assert_eq!(s.peer_addr().unwrap(), c.local_addr().unwrap());
}

#[test]
fn edge_reports_each_arrival_once() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (c, mut s) = pair(&poll, &mut events);
    poll.register(&s, Token(2), Ready::readable(), PollOpt::edge())
        .unwrap();
    (&c).write_all(b"a").unwrap();
    wait_for(&poll, &mut events, Token(2));
    // No new data: no new event, though data is still unread.
    assert_eq!(count(&poll, &mut events, Token(2)), 0);
    (&c).write_all(b"b").unwrap();
    wait_for(&poll, &mut events, Token(2));
    let mut buf = [0u8; 4];
    assert_eq!(s.read(&mut buf).unwrap(), 2);
}

#[test]
fn level_reports_every_poll_while_ready() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (c, mut s) = pair(&poll, &mut events);
    poll.register(&s, Token(2), Ready::readable(), PollOpt::level())
        .unwrap();
    (&c).write_all(b"abc").unwrap();
    wait_for(&poll, &mut events, Token(2));
    assert_eq!(count(&poll, &mut events, Token(2)), 1);
    assert_eq!(count(&poll, &mut events, Token(2)), 1);
    let mut buf = [0u8; 8];
    assert_eq!(s.read(&mut buf).unwrap(), 3);
    assert_eq!(count(&poll, &mut events, Token(2)), 0);
}

#[test]
fn oneshot_disarms_until_reregistered() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (c, s) = pair(&poll, &mut events);
    poll.register(
        &s,
        Token(2),
        Ready::readable(),
        PollOpt::edge() | PollOpt::oneshot(),
    )
    .unwrap();
    (&c).write_all(b"a").unwrap();
    wait_for(&poll, &mut events, Token(2));
    (&c).write_all(b"b").unwrap();
    poll.poll(&mut events, Some(Duration::from_millis(10)))
        .unwrap();
    assert!(events.iter().all(|e| e.token() != Token(2)));
    poll.reregister(
        &s,
        Token(3),
        Ready::readable(),
        PollOpt::edge() | PollOpt::oneshot(),
    )
    .unwrap();
    wait_for(&poll, &mut events, Token(3));
}

#[test]
fn interest_masks_what_is_reported() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (c, s) = pair(&poll, &mut events);
    (&c).write_all(b"x").unwrap();
    poll.register(&s, Token(2), Ready::writable(), PollOpt::level())
        .unwrap();
    let r = wait_for(&poll, &mut events, Token(2));
    assert!(r.is_writable() && !r.is_readable());
}

#[test]
fn half_close_is_no_hang_up() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (c, mut s) = pair(&poll, &mut events);
    poll.register(&s, Token(2), Ready::readable(), PollOpt::edge())
        .unwrap();
    c.shutdown(std::net::Shutdown::Write).unwrap();
    wait_for(&poll, &mut events, Token(2));
    let e = events.iter().find(|e| e.token() == Token(2)).unwrap();
    assert!(e.is_read_closed());
    assert!(!UnixReady::from(e.readiness()).is_hup());
    let mut buf = [0u8; 4];
    assert_eq!(s.read(&mut buf).unwrap(), 0);
    // The other direction still works.
    assert_eq!(s.write(b"late").unwrap(), 4);
    // A full close after it is a hang-up.
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let r = wait_for(&poll, &mut events, Token(2));
    assert!(UnixReady::from(r).is_hup());
}

#[test]
fn refused_connect_reports_error() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let c = TcpStream::connect(&addr("127.0.0.1:9")).unwrap();
    poll.register(&c, Token(1), Ready::writable(), PollOpt::edge())
        .unwrap();
    let r = wait_for(&poll, &mut events, Token(1));
    assert!(UnixReady::from(r).is_error() || UnixReady::from(r).is_hup());
    let err = c.take_error().unwrap().expect("a pending error");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

#[test]
fn close_with_unread_data_resets_the_peer() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut c, s) = pair(&poll, &mut events);
    poll.register(&c, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    (&c).write_all(b"unread").unwrap();
    // Let the data arrive, then close without reading it.
    poll.poll(&mut events, Some(Duration::from_millis(5)))
        .unwrap();
    drop(s);
    let r = wait_for(&poll, &mut events, Token(1));
    assert!(UnixReady::from(r).is_hup());
    let mut buf = [0u8; 4];
    assert_eq!(
        c.read(&mut buf).unwrap_err().kind(),
        ErrorKind::ConnectionReset
    );
}

#[test]
fn errors_for_bad_registrations() {
    let poll = Poll::new().unwrap();
    let l = TcpListener::bind(&addr("127.0.0.1:0")).unwrap();
    poll.register(&l, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    assert_eq!(
        poll.register(&l, Token(0), Ready::readable(), PollOpt::edge())
            .unwrap_err()
            .kind(),
        ErrorKind::AlreadyExists
    );
    let l2 = TcpListener::bind(&addr("127.0.0.1:0")).unwrap();
    assert_eq!(
        poll.reregister(&l2, Token(0), Ready::readable(), PollOpt::edge())
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    // A number that is no simulated descriptor: EBADF.
    let fd = 12345;
    let err = poll
        .register(
            &evio::unix::EventedFd(&fd),
            Token(1),
            Ready::readable(),
            PollOpt::edge(),
        )
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc_ebadf()));
    // The address is taken.
    let taken = TcpListener::bind(&l.local_addr().unwrap()).unwrap_err();
    assert_eq!(taken.kind(), ErrorKind::AddrInUse);
    // Not an address of this host.
    assert_eq!(
        TcpListener::bind(&addr("10.1.2.3:80")).unwrap_err().kind(),
        ErrorKind::AddrNotAvailable
    );
    // A std socket cannot join the simulated network.
    let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    assert_eq!(
        TcpListener::from_std(std_l).unwrap_err().kind(),
        ErrorKind::Unsupported
    );
}

fn libc_ebadf() -> i32 {
    9
}

#[test]
fn evented_fd_registers_a_simulated_socket_by_number() {
    use std::os::fd::AsRawFd;
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let l = TcpListener::bind(&addr("127.0.0.1:0")).unwrap();
    let fd = l.as_raw_fd();
    poll.register(
        &evio::unix::EventedFd(&fd),
        Token(7),
        Ready::readable(),
        PollOpt::edge(),
    )
    .unwrap();
    let _c = TcpStream::connect(&l.local_addr().unwrap()).unwrap();
    assert!(wait_for(&poll, &mut events, Token(7)).is_readable());
}

#[test]
fn user_space_readiness_and_waker() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (reg, set) = Registration::new2();
    poll.register(&reg, Token(5), Ready::readable(), PollOpt::edge())
        .unwrap();
    set.set_readiness(Ready::readable()).unwrap();
    assert!(wait_for(&poll, &mut events, Token(5)).is_readable());
    let waker = Waker::new(&poll, Token(6)).unwrap();
    waker.wake().unwrap();
    waker.wake().unwrap();
    poll.poll(&mut events, Some(Duration::from_secs(1)))
        .unwrap();
    assert_eq!(events.iter().filter(|e| e.token() == Token(6)).count(), 1);
    // From another thread: a poll without a timeout waits for it (in
    // real time).
    poll.reregister(
        &reg,
        Token(5),
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )
    .unwrap();
    poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        set.set_readiness(Ready::writable()).unwrap();
        waker.wake().unwrap();
    });
    let mut seen = Ready::empty();
    for _ in 0..10 {
        poll.poll(&mut events, None).unwrap();
        for e in &events {
            if e.token() == Token(5) {
                seen |= e.readiness();
            }
        }
        if seen.is_writable() {
            break;
        }
    }
    assert!(seen.is_writable());
    t.join().unwrap();
}

#[test]
fn timeouts_run_in_virtual_time() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let start = sim::now();
    let wall = std::time::Instant::now();
    for _ in 0..60 {
        assert_eq!(
            poll.poll(&mut events, Some(Duration::from_secs(1)))
                .unwrap(),
            0
        );
    }
    assert!(sim::now() - start >= Duration::from_secs(60));
    // Not a timing assertion: a minute of virtual time did not take a
    // minute (the bound is very loose).
    assert!(wall.elapsed() < Duration::from_secs(50));
}

#[test]
fn udp_datagrams() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let a = UdpSocket::bind(&addr("127.0.0.1:0")).unwrap();
    let b = UdpSocket::bind(&addr("127.0.0.1:0")).unwrap();
    poll.register(&b, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    a.send_to(b"one", &b.local_addr().unwrap()).unwrap();
    a.send_to(b"two", &b.local_addr().unwrap()).unwrap();
    wait_for(&poll, &mut events, Token(1));
    let mut buf = [0u8; 2];
    let (n, from) = b.recv_from(&mut buf).unwrap();
    assert_eq!((n, from), (2, a.local_addr().unwrap()));
    assert_eq!(&buf, b"on");
    let mut buf = [0u8; 8];
    assert_eq!(b.recv(&mut buf).unwrap(), 3);
    assert_eq!(b.recv(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
}

/// An echo exchange between two hosts, with faults: returns the report.
fn echo_run(seed: u64, plan: FaultPlan) -> sim::Report {
    let mut s = Sim::new(seed);
    s.faults(plan).keep_trace();
    s.host("server", "127.0.0.1", || {
        let l = TcpListener::bind(&addr("127.0.0.1:7"))?;
        let poll = Poll::new()?;
        poll.register(&l, Token(0), Ready::readable(), PollOpt::edge())?;
        let mut events = Events::with_capacity(8);
        let mut conn: Option<TcpStream> = None;
        let mut pending = Vec::new();
        let mut buf = [0u8; 1024];
        for _ in 0..100_000 {
            poll.poll(&mut events, None)?;
            if conn.is_none() {
                match l.accept() {
                    Ok((c, _)) => {
                        poll.register(
                            &c,
                            Token(1),
                            Ready::readable() | Ready::writable(),
                            PollOpt::edge(),
                        )?;
                        conn = Some(c);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) if e.raw_os_error().is_some() => {}
                    Err(e) => return Err(e),
                }
            }
            let Some(c) = conn.as_mut() else { continue };
            loop {
                while !pending.is_empty() {
                    match c.write(&pending) {
                        Ok(n) => {
                            pending.drain(..n);
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e),
                    }
                }
                if !pending.is_empty() {
                    break;
                }
                match c.read(&mut buf) {
                    Ok(0) => return Ok(()),
                    Ok(n) => pending.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
        }
        Err(io::Error::other("server loop bound reached"))
    });
    s.host("client", "127.0.0.2", || {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let poll = Poll::new()?;
        let mut events = Events::with_capacity(8);
        let mut c = TcpStream::connect(&addr("127.0.0.1:7"))?;
        poll.register(
            &c,
            Token(0),
            Ready::readable() | Ready::writable(),
            PollOpt::edge(),
        )?;
        let (mut sent, mut got) = (0, Vec::new());
        let mut buf = [0u8; 1500];
        for _ in 0..100_000 {
            poll.poll(&mut events, None)?;
            while sent < data.len() {
                match c.write(&data[sent..]) {
                    Ok(n) => sent += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
            loop {
                match c.read(&mut buf) {
                    Ok(0) => return Err(io::Error::other("early end")),
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
            if got.len() == data.len() {
                if got != data {
                    return Err(io::Error::other("echo differs"));
                }
                return Ok(());
            }
        }
        Err(io::Error::other("client loop bound reached"))
    });
    s.run()
}

#[test]
fn echo_between_hosts_with_faults() {
    for seed in 0..20 {
        let r = echo_run(seed, FaultPlan::chaos());
        assert!(r.all_ok(), "seed {seed}: {:?} {:?}", r.hosts, r.ended);
        assert!(r.events > 0);
    }
}

#[test]
fn same_seed_same_trace_different_seed_different_trace() {
    let a = echo_run(7, FaultPlan::chaos());
    let b = echo_run(7, FaultPlan::chaos());
    let c = echo_run(8, FaultPlan::chaos());
    assert!(a.all_ok() && b.all_ok() && c.all_ok());
    assert_eq!(a.trace.as_deref().unwrap(), b.trace.as_deref().unwrap());
    assert_eq!(a.trace_hash, b.trace_hash);
    assert_ne!(a.trace_hash, c.trace_hash);
    assert_ne!(a.trace, c.trace);
}
