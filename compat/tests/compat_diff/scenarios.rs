// Scenario bodies shared by the differential test (tests/compat_diff.rs).
//
// This file is included twice, once in a module that starts with
// `use evio as m;` and once in one that starts with `use mio06 as m;`, so
// every scenario runs the very same code against both crates. Each returns a
// `Trace`: the labelled observations (events of each poll, return values,
// error kinds) that the test then compares.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::unix::io::AsRawFd;
use std::time::Duration;

use m::event::Event;
use m::net::{TcpListener, TcpStream, UdpSocket};
use m::unix::{EventedFd, UnixReady};
use m::{Events, Poll, PollOpt, Ready, Registration, Token};

use super::Trace;

/// Letters for one event: token, then r(eadable) w(ritable) h(up) e(rror)
/// p(riority), or '-' for each kind absent.
fn ev(e: &Event) -> String {
    let r = e.readiness();
    let u = UnixReady::from(r);
    let f = |b: bool, c: char| if b { c } else { '-' };
    format!(
        "{}:{}{}{}{}{}",
        e.token().0,
        f(r.is_readable(), 'r'),
        f(r.is_writable(), 'w'),
        f(u.is_hup(), 'h'),
        f(u.is_error(), 'e'),
        f(u.is_priority(), 'p'),
    )
}

/// The events of the last poll, sorted (the order within one poll is not
/// part of the contract).
fn snap(events: &Events) -> String {
    let mut v: Vec<String> = events.iter().map(|e| ev(&e)).collect();
    v.sort();
    v.join(" ")
}

/// Lets loopback traffic settle (25 ms), then polls once (returning at the
/// first event, or after 150 ms with none) and describes what came.
fn step(poll: &Poll, events: &mut Events) -> String {
    std::thread::sleep(Duration::from_millis(25));
    let n = poll
        .poll(events, Some(Duration::from_millis(150)))
        .expect("poll");
    assert_eq!(n, events.len(), "poll's return value is the event count");
    snap(events)
}

fn kind<T>(r: io::Result<T>) -> String {
    match r {
        Ok(_) => "ok".to_string(),
        Err(e) => format!("{:?}", e.kind()),
    }
}

fn nonblocking(fd: std::os::unix::io::RawFd) -> bool {
    // SAFETY: fcntl(F_GETFL) on an open descriptor only reads its flags.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    assert!(fl >= 0);
    fl & libc::O_NONBLOCK != 0
}

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Accepts one connection, waiting for it (bounded).
fn accept(l: &TcpListener) -> TcpStream {
    for _ in 0..200 {
        match l.accept() {
            Ok((s, _)) => return s,
            Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
    panic!("no connection to accept within 1 s");
}

/// A connected pair (client, server) over loopback.
fn pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind(&local()).unwrap();
    let c = TcpStream::connect(&l.local_addr().unwrap()).unwrap();
    let s = accept(&l);
    (c, s)
}

/// Reads until `WouldBlock`, 0 or an error (bounded); returns what happened.
fn drain(s: &mut TcpStream) -> String {
    let mut buf = [0u8; 4096];
    let mut got = Vec::new();
    for _ in 0..64 {
        match s.read(&mut buf) {
            Ok(0) => {
                got.push("eof".to_string());
                break;
            }
            Ok(n) => got.push(format!("{}", String::from_utf8_lossy(&buf[..n]))),
            Err(e) => {
                got.push(format!("{:?}", e.kind()));
                break;
            }
        }
    }
    got.join(",")
}

pub fn tcp_accept() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let l = TcpListener::bind(&local()).unwrap();
    let addr = l.local_addr().unwrap();
    poll.register(&l, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    t.rec("accept with none pending", kind(l.accept()));
    t.rec("idle poll", step(&poll, &mut events));
    let c1 = TcpStream::connect(&addr).unwrap();
    let c2 = std::net::TcpStream::connect(addr).unwrap();
    t.rec("two connects", step(&poll, &mut events));
    let (s1, a1) = l.accept().unwrap();
    t.rec("first peer address", a1 == c1.local_addr().unwrap());
    t.rec("first peer_addr", s1.peer_addr().unwrap() == a1);
    let (s2, a2) = l.accept_std().unwrap();
    t.rec("second peer address", a2 == c2.local_addr().unwrap());
    t.rec("accept_std is non-blocking", nonblocking(s2.as_raw_fd()));
    t.rec("accept is non-blocking", nonblocking(s1.as_raw_fd()));
    t.rec("accept drained", kind(l.accept()));
    t.rec("after drain", step(&poll, &mut events));
    let _c3 = TcpStream::connect(&addr).unwrap();
    t.rec("third connect", step(&poll, &mut events));
    t.rec("take_error", format!("{:?}", l.take_error().unwrap().map(|e| e.kind())));
    t.rec("listener ttl", l.ttl().unwrap());
    t.rec("listener only_v6 on v4", kind(l.only_v6()));

    // Binding: a port in use, then one left in TIME_WAIT by a closed
    // connection (which `SO_REUSEADDR` allows again).
    t.rec("bind a port in use", kind(TcpListener::bind(&addr)));
    t.rec("SO_REUSEADDR", {
        let mut v: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: an open socket, and `v`/`len` are a valid int buffer.
        let r = unsafe {
            libc::getsockopt(
                l.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_REUSEADDR,
                (&mut v as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        (r, v != 0)
    });
    drop((s1, s2, c1, c2));
    drop(l);
    std::thread::sleep(Duration::from_millis(20));
    t.rec("bind again after close", kind(TcpListener::bind(&addr)));
    if let Ok(l6) = TcpListener::bind(&"[::1]:0".parse().unwrap()) {
        t.rec("v6 listener only_v6", format!("{:?}", l6.only_v6().map_err(|e| e.kind())));
    }

    // Adopting a blocking std listener makes it non-blocking.
    let std_l = std::net::TcpListener::bind(local()).unwrap();
    let l2 = TcpListener::from_std(std_l).unwrap();
    t.rec("from_std accept", kind(l2.accept()));
    let l3 = l2.try_clone().unwrap();
    t.rec("try_clone same address", l3.local_addr().unwrap() == l2.local_addr().unwrap());
    t
}

pub fn tcp_connect_echo() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let l = TcpListener::bind(&local()).unwrap();
    poll.register(&l, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    let mut c = TcpStream::connect(&l.local_addr().unwrap()).unwrap();
    poll.register(
        &c,
        Token(1),
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )
    .unwrap();
    t.rec("connected", step(&poll, &mut events));
    let mut s = l.accept().unwrap().0;
    poll.register(
        &s,
        Token(2),
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )
    .unwrap();
    t.rec("accepted registered", step(&poll, &mut events));
    t.rec("client write", format!("{:?}", c.write(b"hello").map_err(|e| e.kind())));
    t.rec("server readable", step(&poll, &mut events));
    let mut peeked = [0u8; 8];
    t.rec("peek", format!("{:?}", s.peek(&mut peeked).map_err(|e| e.kind())));
    t.rec("server read", drain(&mut s));
    t.rec("server echo", format!("{:?}", (&s).write(b"hello").map_err(|e| e.kind())));
    t.rec("client readable", step(&poll, &mut events));
    t.rec("client read", drain(&mut c));
    t.rec("quiet", step(&poll, &mut events));
    // Vectored IO.
    let bufs = [io::IoSlice::new(b"ab"), io::IoSlice::new(b"cd")];
    t.rec("write_vectored", format!("{:?}", c.write_vectored(&bufs).map_err(|e| e.kind())));
    t.rec("after vectored write", step(&poll, &mut events));
    let mut a = [0u8; 3];
    let mut b = [0u8; 3];
    let n = s
        .read_vectored(&mut [io::IoSliceMut::new(&mut a), io::IoSliceMut::new(&mut b)])
        .unwrap();
    t.rec("read_vectored", format!("{n} {:?} {:?}", &a, &b));
    t.rec("addresses", c.peer_addr().unwrap() == s.local_addr().unwrap());
    t
}

pub fn tcp_peer_close() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut c, s) = pair();
    poll.register(
        &c,
        Token(1),
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )
    .unwrap();
    t.rec("registered", step(&poll, &mut events));
    drop(s);
    t.rec("peer closed", step(&poll, &mut events));
    t.rec("read after close", drain(&mut c));
    t.rec("write to closed peer", kind(c.write(b"x")));
    t.rec("peer answers with a reset", step(&poll, &mut events));
    t.rec("take_error", format!("{:?}", c.take_error().unwrap().map(|e| e.kind())));
    t.rec("write after reset", kind(c.write(b"x")));
    t
}

pub fn tcp_half_close() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut c, mut s) = pair();
    poll.register(
        &c,
        Token(1),
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )
    .unwrap();
    poll.register(&s, Token(2), Ready::readable(), PollOpt::edge())
        .unwrap();
    t.rec("registered", step(&poll, &mut events));
    t.rec("client shutdown(Write)", kind(c.shutdown(Shutdown::Write)));
    t.rec("server sees the half close", step(&poll, &mut events));
    t.rec("server read", drain(&mut s));
    t.rec("client write after shutdown", kind(c.write(b"x")));
    t.rec("server still writes", kind(s.write(b"bye")));
    t.rec("client readable", step(&poll, &mut events));
    t.rec("client read", drain(&mut c));
    t.rec("server shutdown(Write)", kind(s.shutdown(Shutdown::Write)));
    t.rec("both halves closed", step(&poll, &mut events));
    t.rec("client read at the end", drain(&mut c));
    t.rec("shutdown(Both) again", kind(c.shutdown(Shutdown::Both)));
    t
}

pub fn tcp_connect_refused() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let addr = {
        let l = TcpListener::bind(&local()).unwrap();
        l.local_addr().unwrap()
    };
    let mut c = match TcpStream::connect(&addr) {
        Ok(c) => c,
        Err(e) => {
            t.rec("connect", format!("{:?}", e.kind()));
            return t;
        }
    };
    poll.register(
        &c,
        Token(1),
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )
    .unwrap();
    t.rec("refused", step(&poll, &mut events));
    t.rec("take_error", format!("{:?}", c.take_error().unwrap().map(|e| e.kind())));
    t.rec("take_error again", format!("{:?}", c.take_error().unwrap().map(|e| e.kind())));
    t.rec("peer_addr", kind(c.peer_addr()));
    t.rec("read", drain(&mut c));
    t
}

pub fn tcp_reset() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut c, s) = pair();
    poll.register(&c, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    t.rec("registered", step(&poll, &mut events));
    t.rec("linger default", format!("{:?}", s.linger().unwrap()));
    s.set_linger(Some(Duration::from_secs(0))).unwrap();
    t.rec("linger set", format!("{:?}", s.linger().unwrap()));
    drop(s);
    t.rec("reset", step(&poll, &mut events));
    t.rec("read after reset", drain(&mut c));
    t.rec("read again", drain(&mut c));
    t
}

pub fn tcp_options() -> Trace {
    let mut t = Trace::default();
    let (c, _s) = pair();
    t.rec("nodelay", c.nodelay().unwrap());
    c.set_nodelay(true).unwrap();
    t.rec("nodelay set", c.nodelay().unwrap());
    t.rec("keepalive", format!("{:?}", c.keepalive().unwrap()));
    c.set_keepalive(Some(Duration::from_secs(7))).unwrap();
    t.rec("keepalive set", format!("{:?}", c.keepalive().unwrap()));
    c.set_keepalive(None).unwrap();
    t.rec("keepalive unset", format!("{:?}", c.keepalive().unwrap()));
    c.set_ttl(33).unwrap();
    t.rec("ttl", c.ttl().unwrap());
    c.set_recv_buffer_size(65536).unwrap();
    t.rec("recv buffer", c.recv_buffer_size().unwrap());
    c.set_send_buffer_size(65536).unwrap();
    t.rec("send buffer", c.send_buffer_size().unwrap());
    t.rec("only_v6 on v4", kind(c.only_v6()));
    t.rec("set_only_v6 on v4", kind(c.set_only_v6(true)));
    c.set_linger(Some(Duration::from_secs(3))).unwrap();
    t.rec("linger", format!("{:?}", c.linger().unwrap()));
    let c2 = c.try_clone().unwrap();
    t.rec("clone shares the socket", c2.nodelay().unwrap());
    t.rec("take_error", format!("{:?}", c.take_error().unwrap().map(|e| e.kind())));

    // Adopting std streams.
    let l = std::net::TcpListener::bind(local()).unwrap();
    let std_c = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let from = TcpStream::from_stream(std_c).unwrap();
    let mut b = [0u8; 1];
    t.rec("from_stream is non-blocking", kind((&from).read(&mut b)));
    // connect_stream: a socket made elsewhere, not yet connected.
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    // SAFETY: plain socket creation; the descriptor is owned by the std
    // stream right after.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    assert!(fd >= 0);
    // SAFETY: `fd` is a fresh, open socket owned by nothing else.
    let raw = unsafe { <std::net::TcpStream as std::os::unix::io::FromRawFd>::from_raw_fd(fd) };
    let cs = TcpStream::connect_stream(raw, &l.local_addr().unwrap()).unwrap();
    t.rec("connect_stream is non-blocking", nonblocking(cs.as_raw_fd()));
    poll.register(&cs, Token(1), Ready::writable(), PollOpt::edge())
        .unwrap();
    t.rec("connect_stream connects", step(&poll, &mut events));
    t.rec("connect_stream peer", cs.peer_addr().unwrap() == l.local_addr().unwrap());
    let again = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    t.rec(
        "connect_stream on a connected stream",
        kind(TcpStream::connect_stream(again, &l.local_addr().unwrap())),
    );
    let l6 = std::net::TcpListener::bind("[::1]:0");
    if let Ok(l6) = l6 {
        let s6 = TcpStream::connect(&l6.local_addr().unwrap()).unwrap();
        t.rec("v6 only_v6", format!("{:?}", s6.only_v6().map_err(|e| e.kind())));
    }
    t
}

pub fn udp() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let a = UdpSocket::bind(&local()).unwrap();
    let b = UdpSocket::bind(&local()).unwrap();
    let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    poll.register(
        &a,
        Token(1),
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )
    .unwrap();
    poll.register(&b, Token(2), Ready::readable(), PollOpt::edge())
        .unwrap();
    t.rec("registered", step(&poll, &mut events));
    let mut buf = [0u8; 64];
    t.rec("recv_from empty", kind(b.recv_from(&mut buf)));
    t.rec("send_to", format!("{:?}", a.send_to(b"ping", &ba).map_err(|e| e.kind())));
    t.rec("b readable", step(&poll, &mut events));
    let (n, from) = b.recv_from(&mut buf).unwrap();
    t.rec("recv_from", format!("{n} {}", from == aa));
    t.rec("recv_from drained", kind(b.recv_from(&mut buf)));
    t.rec("send_to back", format!("{:?}", b.send_to(b"pong!", &aa).map_err(|e| e.kind())));
    t.rec("a readable", step(&poll, &mut events));
    t.rec("recv", format!("{:?}", a.recv(&mut buf).map_err(|e| e.kind())));
    t.rec("send unconnected", kind(a.send(b"x")));
    t.rec("connect", kind(a.connect(ba)));
    t.rec("send connected", format!("{:?}", a.send(b"xyz").map_err(|e| e.kind())));
    t.rec("b readable again", step(&poll, &mut events));
    t.rec("recv on b", format!("{:?}", b.recv(&mut buf).map_err(|e| e.kind())));
    // A datagram longer than the buffer is cut, the rest is lost.
    a.send_to(b"0123456789", &ba).unwrap();
    t.rec("long datagram", step(&poll, &mut events));
    let mut small = [0u8; 4];
    t.rec("recv_from short buffer", format!("{:?}", b.recv_from(&mut small).map(|(n, _)| n).map_err(|e| e.kind())));
    t.rec("rest is dropped", kind(b.recv_from(&mut small)));
    t.rec("send_to too long", kind(a.send_to(&vec![0u8; 70_000], &ba)));
    t.rec("send_to empty", format!("{:?}", a.send_to(b"", &ba).map_err(|e| e.kind())));
    t.rec("empty datagram", step(&poll, &mut events));
    t.rec("recv_from empty datagram", format!("{:?}", b.recv_from(&mut small).map(|(n, _)| n).map_err(|e| e.kind())));
    let v6: SocketAddr = "[::1]:9".parse().unwrap();
    t.rec("send_to v6 from v4", kind(a.send_to(b"x", &v6)));

    // A datagram to a closed port: the ICMP answer is a pending error.
    let closed = {
        let s = UdpSocket::bind(&local()).unwrap();
        s.local_addr().unwrap()
    };
    let c = UdpSocket::bind(&local()).unwrap();
    c.connect(closed).unwrap();
    poll.register(
        &c,
        Token(3),
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )
    .unwrap();
    t.rec("c registered", step(&poll, &mut events));
    c.send(b"anyone?").unwrap();
    t.rec("port unreachable", step(&poll, &mut events));
    t.rec("c recv", kind(c.recv(&mut buf)));
    t.rec("c take_error", format!("{:?}", c.take_error().unwrap().map(|e| e.kind())));

    // Options.
    t.rec("broadcast", a.broadcast().unwrap());
    a.set_broadcast(true).unwrap();
    t.rec("broadcast set", a.broadcast().unwrap());
    t.rec("multicast_loop_v4", a.multicast_loop_v4().unwrap());
    a.set_multicast_ttl_v4(5).unwrap();
    t.rec("multicast_ttl_v4", a.multicast_ttl_v4().unwrap());
    a.set_ttl(17).unwrap();
    t.rec("ttl", a.ttl().unwrap());
    t.rec("only_v6 on v4", kind(a.only_v6()));
    t.rec("multicast_loop_v6 on v4", kind(a.multicast_loop_v6()));
    let group = "224.0.0.251".parse().unwrap();
    let any = "0.0.0.0".parse().unwrap();
    t.rec("join v4", kind(a.join_multicast_v4(&group, &any)));
    t.rec("leave v4", kind(a.leave_multicast_v4(&group, &any)));
    t.rec("leave v4 again", kind(a.leave_multicast_v4(&group, &any)));
    let from = UdpSocket::from_socket(std::net::UdpSocket::bind(local()).unwrap()).unwrap();
    t.rec("from_socket non-blocking", kind(from.recv(&mut buf)));
    let cl = from.try_clone().unwrap();
    t.rec("try_clone", cl.local_addr().unwrap() == from.local_addr().unwrap());
    t
}

/// Registers a connected socket's server end for reading with `opts`, and
/// watches what each step brings as data arrives, is read and re-armed.
fn trigger(opts: PollOpt) -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut c, mut s) = pair();
    poll.register(&s, Token(4), Ready::readable(), opts).unwrap();
    t.rec("registered", step(&poll, &mut events));
    c.write_all(b"0123456789").unwrap();
    t.rec("data", step(&poll, &mut events));
    t.rec("data, not read", step(&poll, &mut events));
    let mut buf = [0u8; 4];
    s.read_exact(&mut buf).unwrap();
    t.rec("part read", step(&poll, &mut events));
    c.write_all(b"more").unwrap();
    t.rec("more data", step(&poll, &mut events));
    t.rec("drained", drain(&mut s));
    t.rec("after drain", step(&poll, &mut events));
    c.write_all(b"again").unwrap();
    t.rec("new data", step(&poll, &mut events));
    poll.reregister(&s, Token(5), Ready::readable(), opts).unwrap();
    t.rec("reregistered", step(&poll, &mut events));
    t.rec("reregistered, next step", step(&poll, &mut events));
    t
}

pub fn trigger_edge() -> Trace {
    trigger(PollOpt::edge())
}

pub fn trigger_level() -> Trace {
    trigger(PollOpt::level())
}

pub fn trigger_edge_oneshot() -> Trace {
    trigger(PollOpt::edge() | PollOpt::oneshot())
}

pub fn trigger_level_oneshot() -> Trace {
    trigger(PollOpt::level() | PollOpt::oneshot())
}

pub fn trigger_edge_and_level() -> Trace {
    trigger(PollOpt::edge() | PollOpt::level())
}

pub fn trigger_empty() -> Trace {
    trigger(PollOpt::empty())
}

pub fn trigger_oneshot_alone() -> Trace {
    trigger(PollOpt::oneshot())
}

pub fn reregister_interest() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (c, mut s) = pair();
    poll.register(&c, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    t.rec("readable only", step(&poll, &mut events));
    poll.reregister(&c, Token(2), Ready::writable(), PollOpt::edge())
        .unwrap();
    t.rec("writable, token 2", step(&poll, &mut events));
    poll.reregister(&c, Token(3), Ready::readable(), PollOpt::level())
        .unwrap();
    t.rec("readable level, token 3", step(&poll, &mut events));
    s.write_all(b"x").unwrap();
    t.rec("data", step(&poll, &mut events));
    t.rec("data, level", step(&poll, &mut events));
    poll.reregister(
        &c,
        Token(4),
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )
    .unwrap();
    t.rec("both, token 4", step(&poll, &mut events));
    poll.reregister(&c, Token(5), Ready::empty(), PollOpt::edge())
        .unwrap();
    s.write_all(b"y").unwrap();
    t.rec("no interest", step(&poll, &mut events));
    t.rec(
        "reserved token (register)",
        kind(poll.register(&s, Token(usize::MAX), Ready::readable(), PollOpt::edge())),
    );
    t.rec(
        "reserved token (reregister)",
        kind(poll.reregister(&c, Token(usize::MAX), Ready::readable(), PollOpt::edge())),
    );
    t.rec(
        "token usize::MAX - 1",
        kind(poll.register(&s, Token(usize::MAX - 1), Ready::readable(), PollOpt::edge())),
    );
    t.rec("token usize::MAX - 1 events", step(&poll, &mut events));
    t
}

pub fn deregister() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let l = TcpListener::bind(&local()).unwrap();
    let addr = l.local_addr().unwrap();
    t.rec("deregister unregistered", kind(poll.deregister(&l)));
    t.rec(
        "reregister unregistered",
        kind(poll.reregister(&l, Token(0), Ready::readable(), PollOpt::edge())),
    );
    t.rec("register", kind(poll.register(&l, Token(0), Ready::readable(), PollOpt::edge())));
    t.rec(
        "register twice",
        kind(poll.register(&l, Token(0), Ready::readable(), PollOpt::edge())),
    );
    t.rec("deregister", kind(poll.deregister(&l)));
    let _c = TcpStream::connect(&addr).unwrap();
    t.rec("after deregister", step(&poll, &mut events));
    t.rec("deregister twice", kind(poll.deregister(&l)));
    t.rec(
        "reregister after deregister",
        kind(poll.reregister(&l, Token(0), Ready::readable(), PollOpt::edge())),
    );
    t.rec("register again", kind(poll.register(&l, Token(1), Ready::readable(), PollOpt::edge())));
    t.rec("pending connection reported", step(&poll, &mut events));
    let other = Poll::new().unwrap();
    t.rec(
        "register with a second Poll",
        kind(other.register(&l, Token(1), Ready::readable(), PollOpt::edge())),
    );
    poll.deregister(&l).unwrap();
    t.rec(
        "second Poll after deregister",
        kind(other.register(&l, Token(1), Ready::readable(), PollOpt::edge())),
    );
    t.rec("deregister from a Poll never used", kind(other.deregister(&l)));
    t.rec(
        "reregister with a Poll never used",
        kind(other.reregister(&l, Token(1), Ready::readable(), PollOpt::edge())),
    );

    // EventedFd has no binding to a Poll.
    let std_l = std::net::TcpListener::bind(local()).unwrap();
    std_l.set_nonblocking(true).unwrap();
    let fd = std_l.as_raw_fd();
    let efd = EventedFd(&fd);
    t.rec("EventedFd register", kind(poll.register(&efd, Token(9), Ready::readable(), PollOpt::level())));
    t.rec("EventedFd register twice", kind(poll.register(&efd, Token(9), Ready::readable(), PollOpt::level())));
    t.rec("EventedFd second Poll", kind(other.register(&efd, Token(9), Ready::readable(), PollOpt::level())));
    let _c = std::net::TcpStream::connect(std_l.local_addr().unwrap()).unwrap();
    t.rec("EventedFd level", step(&poll, &mut events));
    t.rec("EventedFd level again", step(&poll, &mut events));
    t.rec("EventedFd deregister", kind(poll.deregister(&efd)));
    t.rec("EventedFd after deregister", step(&poll, &mut events));
    let bad: std::os::unix::io::RawFd = -1;
    t.rec(
        "EventedFd -1",
        format!(
            "{:?}",
            poll.register(&EventedFd(&bad), Token(9), Ready::readable(), PollOpt::edge())
                .map_err(|e| e.raw_os_error())
        ),
    );
    let closed = {
        let s = std::net::UdpSocket::bind(local()).unwrap();
        s.as_raw_fd()
    };
    t.rec(
        "EventedFd closed",
        format!(
            "{:?}",
            poll.register(&EventedFd(&closed), Token(9), Ready::readable(), PollOpt::edge())
                .map_err(|e| e.raw_os_error())
        ),
    );
    t
}

/// A `try_clone`d socket and the Poll its original is bound to.
pub fn clone_binding() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let other = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (c, mut s) = pair();
    poll.register(&c, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    let c2 = c.try_clone().unwrap();
    t.rec(
        "clone with the same Poll",
        kind(poll.register(&c2, Token(2), Ready::readable(), PollOpt::edge())),
    );
    s.write_all(b"x").unwrap();
    t.rec("both descriptors report", step(&poll, &mut events));
    poll.deregister(&c2).unwrap();
    let c3 = c.try_clone().unwrap();
    t.rec(
        "clone with another Poll",
        kind(other.register(&c3, Token(3), Ready::readable(), PollOpt::edge())),
    );
    drop(s.write_all(b"y"));
    t
}

pub fn interest_kinds() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);

    // Empty interest: error and hang-up still come.
    let (c, s) = pair();
    poll.register(&c, Token(1), Ready::empty(), PollOpt::edge())
        .unwrap();
    t.rec("empty interest", step(&poll, &mut events));
    s.set_linger(Some(Duration::from_secs(0))).unwrap();
    drop(s);
    t.rec("empty interest, reset", step(&poll, &mut events));

    // Hang-up interest only, then the peer's half close.
    let (c, s) = pair();
    poll.register(&c, Token(2), Ready::from(UnixReady::hup()), PollOpt::edge())
        .unwrap();
    t.rec("hup interest", step(&poll, &mut events));
    s.shutdown(Shutdown::Write).unwrap();
    t.rec("hup interest, peer half close", step(&poll, &mut events));
    drop(s);
    t.rec("hup interest, peer close", step(&poll, &mut events));

    // Priority interest and out-of-band data.
    let (c, s) = pair();
    poll.register(&c, Token(3), Ready::from(UnixReady::priority()), PollOpt::edge())
        .unwrap();
    t.rec("priority interest", step(&poll, &mut events));
    // SAFETY: a valid connected socket and a one-byte buffer.
    let n = unsafe { libc::send(s.as_raw_fd(), b"!".as_ptr().cast(), 1, libc::MSG_OOB) };
    t.rec("send MSG_OOB", n);
    t.rec("out-of-band data", step(&poll, &mut events));

    // Readable interest and out-of-band data.
    let (c2, s2) = pair();
    poll.register(&c2, Token(4), Ready::readable(), PollOpt::edge())
        .unwrap();
    // SAFETY: as above.
    let n = unsafe { libc::send(s2.as_raw_fd(), b"!".as_ptr().cast(), 1, libc::MSG_OOB) };
    t.rec("send MSG_OOB 2", n);
    t.rec("out-of-band data, readable interest", step(&poll, &mut events));
    drop((c, c2));
    t
}

pub fn registration() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (r, set) = Registration::new2();
    t.rec("readiness at first", format!("{:?}", set.readiness()));
    set.set_readiness(Ready::readable()).unwrap();
    t.rec("readiness before register", format!("{:?}", set.readiness()));
    t.rec("idle", step(&poll, &mut events));
    poll.register(&r, Token(5), Ready::readable(), PollOpt::edge())
        .unwrap();
    t.rec("register while ready", step(&poll, &mut events));
    t.rec("edge: once", step(&poll, &mut events));
    set.set_readiness(Ready::readable()).unwrap();
    t.rec("edge: set again", step(&poll, &mut events));
    set.set_readiness(Ready::writable()).unwrap();
    t.rec("edge: outside interest", step(&poll, &mut events));
    set.set_readiness(Ready::readable() | Ready::writable()).unwrap();
    t.rec("edge: both set", step(&poll, &mut events));
    set.set_readiness(Ready::empty()).unwrap();
    t.rec("edge: cleared", step(&poll, &mut events));
    t.rec("readiness cleared", format!("{:?}", set.readiness()));

    poll.reregister(&r, Token(6), Ready::readable() | Ready::writable(), PollOpt::level())
        .unwrap();
    set.set_readiness(Ready::writable()).unwrap();
    t.rec("level", step(&poll, &mut events));
    t.rec("level again", step(&poll, &mut events));
    set.set_readiness(Ready::readable()).unwrap();
    t.rec("level changed", step(&poll, &mut events));
    set.set_readiness(Ready::empty()).unwrap();
    t.rec("level cleared", step(&poll, &mut events));

    poll.reregister(&r, Token(7), Ready::readable(), PollOpt::edge() | PollOpt::oneshot())
        .unwrap();
    set.set_readiness(Ready::readable()).unwrap();
    t.rec("oneshot", step(&poll, &mut events));
    set.set_readiness(Ready::readable()).unwrap();
    t.rec("oneshot disarmed", step(&poll, &mut events));
    poll.reregister(&r, Token(8), Ready::readable(), PollOpt::edge() | PollOpt::oneshot())
        .unwrap();
    t.rec("oneshot re-armed", step(&poll, &mut events));

    poll.reregister(
        &r,
        Token(9),
        Ready::readable() | UnixReady::hup() | UnixReady::error(),
        PollOpt::edge(),
    )
    .unwrap();
    t.rec("reregister while ready", step(&poll, &mut events));
    set.set_readiness(UnixReady::hup().into()).unwrap();
    t.rec("hup", step(&poll, &mut events));
    set.set_readiness(Ready::readable() | UnixReady::error() | UnixReady::priority())
        .unwrap();
    t.rec("error and priority", step(&poll, &mut events));
    t.rec("readiness", format!("{:?}", UnixReady::from(set.readiness())));
    set.set_readiness(Ready::all()).unwrap();
    t.rec("all", step(&poll, &mut events));

    poll.deregister(&r).unwrap();
    set.set_readiness(Ready::readable()).unwrap();
    t.rec("deregistered", step(&poll, &mut events));
    poll.register(&r, Token(10), Ready::readable(), PollOpt::edge())
        .unwrap();
    t.rec("registered again", step(&poll, &mut events));

    let other = Poll::new().unwrap();
    t.rec(
        "second Poll",
        kind(other.register(&r, Token(1), Ready::readable(), PollOpt::edge())),
    );
    t.rec(
        "reregister with a second Poll",
        kind(other.reregister(&r, Token(1), Ready::readable(), PollOpt::edge())),
    );
    t.rec("deregister from a second Poll", kind(other.deregister(&r)));
    let set2 = set.clone();
    drop(r);
    t.rec("set after drop", kind(set2.set_readiness(Ready::readable())));
    t.rec("after drop", step(&poll, &mut events));
    t.rec("readiness after drop", format!("{:?}", set.readiness()));
    t
}

/// `set_readiness` from another thread wakes a blocked poll.
pub fn registration_wakes_poll() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let (r, set) = Registration::new2();
    poll.register(&r, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    let th = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        set.set_readiness(Ready::readable()).unwrap();
        set
    });
    let n = poll.poll(&mut events, Some(Duration::from_secs(10))).unwrap();
    t.rec("woken", format!("{n} {}", snap(&events)));
    let set = th.join().unwrap();
    t.rec("nothing more", step(&poll, &mut events));
    // Level: woken again and again while it holds.
    poll.reregister(&r, Token(2), Ready::readable(), PollOpt::level())
        .unwrap();
    t.rec("level 1", step(&poll, &mut events));
    t.rec("level 2", step(&poll, &mut events));
    set.set_readiness(Ready::empty()).unwrap();
    t.rec("level cleared", step(&poll, &mut events));
    t
}

/// A blocking poll woken by a `set_readiness` whose registration is gone
/// before the poll looks at it.
pub fn poll_woken_for_nothing() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let (r1, set1) = Registration::new2();
    let (r2, set2) = Registration::new2();
    poll.register(&r1, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    poll.register(&r2, Token(2), Ready::readable(), PollOpt::edge())
        .unwrap();
    set1.set_readiness(Ready::readable()).unwrap();
    drop(r1);
    // A real event, later, in case the poll waits on.
    let th = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        set2.set_readiness(Ready::readable()).unwrap();
        set2
    });
    let n = poll.poll(&mut events, Some(Duration::from_secs(10))).unwrap();
    t.rec("first poll", format!("{n} {}", snap(&events)));
    let _set2 = th.join().unwrap();
    t.rec("next step", step(&poll, &mut events));
    drop(r2);
    t
}

/// A Registration outliving its Poll, and a Poll dropped while one is set.
pub fn registration_outlives_poll() -> Trace {
    let mut t = Trace::default();
    let (r, set) = Registration::new2();
    {
        let poll = Poll::new().unwrap();
        poll.register(&r, Token(1), Ready::readable(), PollOpt::edge())
            .unwrap();
        set.set_readiness(Ready::readable()).unwrap();
    }
    t.rec("set after the Poll is gone", kind(set.set_readiness(Ready::writable())));
    t.rec("readiness", format!("{:?}", set.readiness()));
    let other = Poll::new().unwrap();
    t.rec(
        "register with a new Poll",
        kind(other.register(&r, Token(1), Ready::readable(), PollOpt::edge())),
    );
    drop(r);
    t.rec("set after both are gone", kind(set.set_readiness(Ready::readable())));
    t
}

/// The deprecated `Registration::update` and `deregister`, as old code (and
/// helpers built on the classic API) call them.
#[allow(deprecated)]
pub fn registration_deprecated_forms() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let (r, set) = Registration::new2();
    set.set_readiness(Ready::readable()).unwrap();
    t.rec(
        "update unregistered",
        kind(r.update(&poll, Token(1), Ready::readable(), PollOpt::edge())),
    );
    t.rec("registered by update", step(&poll, &mut events));
    t.rec(
        "update registered",
        kind(r.update(&poll, Token(2), Ready::readable(), PollOpt::level())),
    );
    t.rec("updated", step(&poll, &mut events));
    t.rec("deregister", kind(r.deregister(&poll)));
    t.rec("deregistered", step(&poll, &mut events));
    t.rec("deregister twice", kind(r.deregister(&poll)));
    t.rec(
        "update after deregister",
        kind(r.update(&poll, Token(3), Ready::readable(), PollOpt::edge())),
    );
    t.rec("back", step(&poll, &mut events));
    let other = Poll::new().unwrap();
    t.rec(
        "update with another Poll",
        kind(r.update(&other, Token(3), Ready::readable(), PollOpt::edge())),
    );
    t.rec("deregister from another Poll", kind(r.deregister(&other)));
    let (r2, set2) = Registration::new(&poll, Token(4), Ready::readable(), PollOpt::edge());
    set2.set_readiness(Ready::readable()).unwrap();
    t.rec("Registration::new", step(&poll, &mut events));
    drop(r2);
    t
}

/// Calls the classic API documents as errors, or leaves open.
pub fn registration_misuse() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let (r, _set) = Registration::new2();
    t.rec(
        "reregister unregistered",
        kind(poll.reregister(&r, Token(1), Ready::readable(), PollOpt::edge())),
    );
    let (r, _set) = Registration::new2();
    t.rec("deregister unregistered", kind(poll.deregister(&r)));
    t.rec(
        "register",
        kind(poll.register(&r, Token(1), Ready::readable(), PollOpt::edge())),
    );
    t.rec(
        "register twice",
        kind(poll.register(&r, Token(1), Ready::readable(), PollOpt::edge())),
    );
    t.rec("deregister", kind(poll.deregister(&r)));
    t.rec("deregister twice", kind(poll.deregister(&r)));
    t
}

pub fn capacity() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(2);
    t.rec("capacity", events.capacity());
    let sender = UdpSocket::bind(&local()).unwrap();
    let mut socks = Vec::new();
    for i in 0..5 {
        let s = UdpSocket::bind(&local()).unwrap();
        poll.register(&s, Token(i), Ready::readable(), PollOpt::edge())
            .unwrap();
        sender.send_to(b"x", &s.local_addr().unwrap()).unwrap();
        socks.push(s);
    }
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    for _ in 0..4 {
        step(&poll, &mut events);
        sizes.push(events.len());
        seen.extend(events.iter().map(|e| e.token().0));
    }
    seen.sort();
    t.rec("edge: sizes", format!("{sizes:?}"));
    t.rec("edge: tokens", format!("{seen:?}"));

    for (i, s) in socks.iter().enumerate() {
        poll.reregister(s, Token(i), Ready::readable(), PollOpt::level())
            .unwrap();
    }
    let mut seen = Vec::new();
    for _ in 0..3 {
        step(&poll, &mut events);
        seen.extend(events.iter().map(|e| e.token().0));
    }
    seen.sort();
    seen.dedup();
    t.rec("level: tokens over 3 polls", format!("{seen:?}"));
    for s in &socks {
        poll.deregister(s).unwrap();
    }

    let mut regs = Vec::new();
    for i in 10..15 {
        let (r, set) = Registration::new2();
        poll.register(&r, Token(i), Ready::readable(), PollOpt::edge())
            .unwrap();
        set.set_readiness(Ready::readable()).unwrap();
        regs.push((r, set));
    }
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    for _ in 0..4 {
        step(&poll, &mut events);
        sizes.push(events.len());
        seen.extend(events.iter().map(|e| e.token().0));
    }
    seen.sort();
    t.rec("registrations: sizes", format!("{sizes:?}"));
    t.rec("registrations: tokens", format!("{seen:?}"));

    // Level: every poll full, and every registration seen in turn.
    for (i, (r, set)) in regs.iter().enumerate() {
        poll.reregister(r, Token(10 + i), Ready::readable(), PollOpt::level())
            .unwrap();
        set.set_readiness(Ready::readable()).unwrap();
    }
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    for _ in 0..3 {
        step(&poll, &mut events);
        sizes.push(events.len());
        seen.extend(events.iter().map(|e| e.token().0));
    }
    seen.sort();
    seen.dedup();
    t.rec("level registrations: sizes", format!("{sizes:?}"));
    t.rec("level registrations: tokens over 3 polls", format!("{seen:?}"));
    for (i, (r, set)) in regs.iter().enumerate() {
        set.set_readiness(Ready::empty()).unwrap();
        poll.reregister(r, Token(10 + i), Ready::readable(), PollOpt::edge())
            .unwrap();
    }
    t.rec("level registrations cleared", step(&poll, &mut events));

    // Sockets and registrations together.
    for (i, s) in socks.iter().enumerate() {
        poll.register(s, Token(i), Ready::readable(), PollOpt::edge())
            .unwrap();
    }
    for (_, set) in &regs {
        set.set_readiness(Ready::readable()).unwrap();
    }
    let mut big = Events::with_capacity(4);
    let mut seen = Vec::new();
    let mut total = 0;
    for _ in 0..6 {
        step(&poll, &mut big);
        total += big.len();
        seen.extend(big.iter().map(|e| e.token().0));
    }
    seen.sort();
    t.rec("mixed: total", total);
    t.rec("mixed: tokens", format!("{seen:?}"));
    t
}

pub fn events_api() -> Trace {
    let mut t = Trace::default();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    t.rec("capacity", events.capacity());
    t.rec("len before poll", events.len());
    t.rec("is_empty before poll", events.is_empty());
    t.rec("get(0) before poll", events.get(0).is_none());
    t.rec(
        "zero timeout, nothing ready",
        poll.poll(&mut events, Some(Duration::from_millis(0))).unwrap(),
    );
    let (r, set) = Registration::new2();
    poll.register(&r, Token(3), Ready::readable(), PollOpt::edge())
        .unwrap();
    let a = UdpSocket::bind(&local()).unwrap();
    poll.register(&a, Token(4), Ready::writable(), PollOpt::edge())
        .unwrap();
    set.set_readiness(Ready::readable()).unwrap();
    std::thread::sleep(Duration::from_millis(15));
    let n = poll.poll(&mut events, None).unwrap();
    t.rec("poll(None) count", n);
    t.rec("len", events.len());
    t.rec("is_empty", events.is_empty());
    let mut got: Vec<String> = (0..n).map(|i| ev(&events.get(i).unwrap())).collect();
    got.sort();
    t.rec("get", got.join(" "));
    t.rec("get(len)", events.get(n).is_none());
    t.rec("iter count", events.iter().count());
    t.rec("into_iter count", (&events).into_iter().count());
    let owned: Vec<Event> = {
        let mut e2 = Events::with_capacity(8);
        set.set_readiness(Ready::readable()).unwrap();
        poll.poll(&mut e2, Some(Duration::from_secs(5))).unwrap();
        e2.into_iter().collect()
    };
    t.rec("owned into_iter", owned.iter().map(ev).collect::<Vec<_>>().join(" "));
    events.clear();
    t.rec("len after clear", events.len());
    t.rec("is_empty after clear", events.is_empty());
    t.rec("get after clear", events.get(0).is_none());
    let mut zero = Events::with_capacity(0);
    t.rec("zero capacity", zero.capacity());
    t.rec(
        "poll into zero capacity",
        kind(poll.poll(&mut zero, Some(Duration::from_millis(0)))),
    );
    t
}

#[allow(deprecated)]
pub fn values() -> Trace {
    let mut t = Trace::default();
    let r = Ready::readable();
    let w = Ready::writable();
    let named = [
        ("empty", Ready::empty()),
        ("readable", r),
        ("writable", w),
        ("error", Ready::error()),
        ("hup", Ready::hup()),
        ("all", Ready::all()),
        ("none", Ready::none()),
        ("unix error", UnixReady::error().into()),
        ("unix hup", UnixReady::hup().into()),
        ("unix priority", UnixReady::priority().into()),
        ("unix aio", UnixReady::aio().into()),
        ("r|w", r | w),
        ("(r|w)-r", (r | w) - r),
        ("(r|w)&w", (r | w) & w),
        ("(r|w)^r", (r | w) ^ r),
        ("r|unix hup", r | UnixReady::hup()),
    ];
    for (name, v) in named {
        t.rec(&format!("Ready {name} as_usize"), v.as_usize());
        t.rec(&format!("Ready {name} bits"), v.bits());
        t.rec(&format!("Ready {name} Debug"), format!("{v:?}"));
        t.rec(
            &format!("Ready {name} predicates"),
            format!(
                "{} {} {} {} {} {}",
                v.is_empty(),
                v.is_none(),
                v.is_readable(),
                v.is_writable(),
                v.is_error(),
                v.is_hup()
            ),
        );
        t.rec(&format!("Ready {name} from_usize"), Ready::from_usize(v.as_usize()) == v);
        let u = UnixReady::from(v);
        t.rec(
            &format!("UnixReady {name} predicates"),
            format!("{} {} {}", u.is_error(), u.is_hup(), u.is_priority()),
        );
    }
    // Complements: compared by their effect, see the test for `as_usize`.
    let not_r = !r;
    t.rec(
        "!readable",
        format!(
            "{} {} {} {}",
            not_r.is_readable(),
            not_r.is_writable(),
            not_r.contains(w),
            (not_r & Ready::all()) == Ready::all() - r
        ),
    );
    t.rec("!readable as_usize", (!r).as_usize());
    let mut m = Ready::empty();
    m.insert(r);
    m.insert(UnixReady::hup());
    t.rec("insert", format!("{m:?}"));
    m.remove(r);
    t.rec("remove", format!("{m:?}"));
    m |= w;
    m &= w | r;
    t.rec("|= &=", format!("{m:?}"));
    m ^= r;
    m -= w;
    t.rec("^= -=", format!("{m:?}"));
    t.rec("contains", format!("{} {} {}", (r | w).contains(r), r.contains(r | w), r.contains(Ready::empty())));
    t.rec("ord", format!("{:?}", [r.cmp(&w), w.cmp(&Ready::error()), Ready::empty().cmp(&r)]));

    let mut u = UnixReady::from(r) | UnixReady::hup();
    u.insert(UnixReady::error());
    t.rec("UnixReady ops", Ready::from(u).as_usize());
    t.rec("UnixReady deref", format!("{} {}", u.is_readable(), u.is_writable()));
    t.rec("UnixReady -", Ready::from(u - UnixReady::hup()).as_usize());
    t.rec("UnixReady &", Ready::from(u & UnixReady::hup()).as_usize());
    t.rec("UnixReady ^", Ready::from(u ^ UnixReady::hup()).as_usize());
    t.rec("UnixReady eq", UnixReady::from(Ready::from(u)) == u);
    t.rec("UnixReady is_aio", UnixReady::aio().is_aio());

    let opts = [
        ("empty", PollOpt::empty()),
        ("edge", PollOpt::edge()),
        ("level", PollOpt::level()),
        ("oneshot", PollOpt::oneshot()),
        ("urgent", PollOpt::urgent()),
        ("all", PollOpt::all()),
        ("edge|oneshot", PollOpt::edge() | PollOpt::oneshot()),
        ("edge|level", PollOpt::edge() | PollOpt::level()),
        ("all-edge", PollOpt::all() - PollOpt::edge()),
        ("(edge|level)&level", (PollOpt::edge() | PollOpt::level()) & PollOpt::level()),
        ("(edge|level)^edge", (PollOpt::edge() | PollOpt::level()) ^ PollOpt::edge()),
    ];
    for (name, o) in opts {
        t.rec(&format!("PollOpt {name} bits"), o.bits());
        t.rec(&format!("PollOpt {name} Debug"), format!("{o:?}"));
        t.rec(
            &format!("PollOpt {name} predicates"),
            format!("{} {} {} {}", o.is_edge(), o.is_level(), o.is_oneshot(), o.is_urgent()),
        );
    }
    let mut o = PollOpt::empty();
    o.insert(PollOpt::edge());
    o.insert(PollOpt::oneshot());
    t.rec("PollOpt insert", o.bits());
    o.remove(PollOpt::edge());
    t.rec("PollOpt remove", o.bits());
    t.rec("PollOpt contains", format!("{} {}", o.contains(PollOpt::oneshot()), o.contains(PollOpt::edge())));
    t.rec("!edge", format!("{} {}", (!PollOpt::edge()).is_edge(), (!PollOpt::edge()).is_level()));
    t.rec("PollOpt ord", format!("{:?}", PollOpt::edge().cmp(&PollOpt::level())));

    t.rec("Token Debug", format!("{:?}", Token(42)));
    t.rec("Token from", Token::from(7) == Token(7));
    t.rec("usize from Token", usize::from(Token(8)));
    t.rec("Token ord", format!("{:?}", Token(1).cmp(&Token(2))));

    let e = Event::new(r | UnixReady::hup(), Token(3));
    t.rec("Event Debug", format!("{e:?}"));
    t.rec("Event readiness", e.readiness().as_usize());
    t.rec("Event kind", e.kind().as_usize());
    t.rec("Event token", e.token().0);
    t.rec("Event eq", e == Event::new(r | UnixReady::hup(), Token(3)));
    t.rec("Event ne", e == Event::new(r, Token(3)));
    t.rec("Event empty Debug", format!("{:?}", Event::new(Ready::empty(), Token(0))));
    t
}

pub fn unix_ready_debug() -> Trace {
    let mut t = Trace::default();
    let cases = [
        ("empty", UnixReady::from(Ready::empty())),
        ("readable", UnixReady::from(Ready::readable())),
        ("hup", UnixReady::hup()),
        ("error", UnixReady::error()),
        ("priority", UnixReady::priority()),
        ("all", UnixReady::from(Ready::all())),
    ];
    for (name, u) in cases {
        t.rec(&format!("UnixReady {name} Debug"), format!("{u:?}"));
    }
    t
}
