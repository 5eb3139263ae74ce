//! What the integration tests share: loopback addresses, bounded waits for
//! an event, connected pairs of sockets.
//!
//! Each test file that uses it says `mod common;` and takes what it needs;
//! every wait here is bounded in time and panics with what it waited for.

// Each test binary uses a part of this module only.
#![allow(dead_code)]

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use evio::event::Event;
use evio::net::{TcpListener, TcpStream};
use evio::{Events, Poll, Ready, Token};

/// The longest any wait of a test lasts before it fails.
pub const DEADLINE: Duration = Duration::from_secs(10);
/// The timeout of one poll inside a bounded wait.
pub const TICK: Duration = Duration::from_millis(100);

/// An IPv4 loopback address with a port the system chooses.
pub fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// The IPv6 loopback address with a port the system chooses, if this
/// machine has IPv6 on loopback.
pub fn localhost_v6() -> Option<SocketAddr> {
    let addr: SocketAddr = "[::1]:0".parse().unwrap();
    std::net::UdpSocket::bind(addr).ok().map(|_| addr)
}

/// Whether `e` is `WouldBlock`.
pub fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

/// Polls (at most [`DEADLINE`], [`TICK`] at a time) until an event meets
/// `pred`, and returns it; panics naming `what` and the last event seen.
pub fn wait_for(
    poll: &Poll,
    events: &mut Events,
    what: &str,
    pred: impl FnMut(&Event) -> bool,
) -> Event {
    wait_until(poll, events, pred, || what.to_string())
}

/// [`wait_for`] an event of `token` that meets `pred`. It allocates
/// nothing unless it fails (some tests count allocations around it).
pub fn wait_for_token(
    poll: &Poll,
    events: &mut Events,
    token: Token,
    mut pred: impl FnMut(&Event) -> bool,
) -> Event {
    wait_until(
        poll,
        events,
        |e| e.token() == token && pred(e),
        || format!("an event for {token:?}"),
    )
}

fn wait_until(
    poll: &Poll,
    events: &mut Events,
    mut pred: impl FnMut(&Event) -> bool,
    what: impl FnOnce() -> String,
) -> Event {
    let start = Instant::now();
    let mut last = None;
    while start.elapsed() < DEADLINE {
        poll.poll(events, Some(TICK)).unwrap();
        for e in events.iter() {
            if pred(&e) {
                return e;
            }
            last = Some(e);
        }
    }
    panic!("timed out waiting for {}; last event: {last:?}", what());
}

/// Waits for any event of `token` and returns its readiness.
pub fn wait_for_any(poll: &Poll, events: &mut Events, token: Token) -> Ready {
    wait_for_token(poll, events, token, |_| true).readiness()
}

/// [`wait_for_token`] with a buffer of its own: a readable event of `token`.
pub fn wait_readable(poll: &Poll, token: Token) {
    let mut events = Events::with_capacity(8);
    wait_for_token(poll, &mut events, token, |e| e.is_readable());
}

/// Accepts one connection, retrying `WouldBlock` for at most [`DEADLINE`].
pub fn accept(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    let start = Instant::now();
    loop {
        match listener.accept() {
            Ok(pair) => return pair,
            Err(ref e) if would_block(e) && start.elapsed() < DEADLINE => {
                std::thread::sleep(Duration::from_millis(2))
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// A TCP connection over loopback at `addr`'s family: (client, server side).
pub fn tcp_pair_on(addr: &SocketAddr) -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind(addr).unwrap();
    let client = TcpStream::connect(&listener.local_addr().unwrap()).unwrap();
    let (server, peer) = accept(&listener);
    assert_eq!(peer, client.local_addr().unwrap());
    (client, server)
}

/// A TCP connection over IPv4 loopback: (client, server side).
pub fn tcp_pair() -> (TcpStream, TcpStream) {
    tcp_pair_on(&localhost())
}

/// A connected pair of non-blocking std Unix stream sockets.
#[cfg(unix)]
pub fn unix_pair() -> (
    std::os::unix::net::UnixStream,
    std::os::unix::net::UnixStream,
) {
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}
