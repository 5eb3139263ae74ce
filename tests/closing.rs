//! Closing conditions: a peer's half close, a full close, a reset and
//! out-of-band data, told apart through `UnixReady` and the `Event`
//! readers, over Unix sockets, pipes and TCP.
#![cfg(unix)]

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

use evio::event::Event;
use evio::net::TcpStream;
use evio::unix::{pipe, UnixReady, UnixStream};
use evio::{Events, Poll, PollOpt, Ready, Token};

mod common;
use common::tcp_pair;

const T: Token = Token(7);

/// Polls (level-triggered registrations) until an event for `T` satisfies
/// `pred`; fails after a deadline.
fn wait_for(poll: &Poll, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
    let mut events = Events::with_capacity(16);
    common::wait_for(poll, &mut events, what, |e| e.token() == T && pred(e))
}

fn all_interest() -> Ready {
    Ready::readable() | Ready::writable() | UnixReady::hup()
}

/// What an event says, as a short record that assertions can compare.
#[derive(Debug, PartialEq, Eq)]
struct Says {
    hup: bool,
    error: bool,
    priority: bool,
    read_closed: bool,
    write_closed: bool,
}

fn says(e: &Event) -> Says {
    let unix = UnixReady::from(e.readiness());
    // The two ways of asking agree.
    assert_eq!(unix.is_error(), e.is_error(), "{e:?}");
    assert_eq!(unix.is_priority(), e.is_priority(), "{e:?}");
    Says {
        hup: unix.is_hup(),
        error: e.is_error(),
        priority: e.is_priority(),
        read_closed: e.is_read_closed(),
        write_closed: e.is_write_closed(),
    }
}

/// A peer's half close is readable and end-of-stream, not a hang-up (as in
/// the classic API, whose users close a connection on hang-up).
const HALF_CLOSE: Says = Says {
    hup: false,
    error: false,
    priority: false,
    read_closed: true,
    write_closed: false,
};

const FULL_CLOSE: Says = Says {
    hup: true,
    error: false,
    priority: false,
    read_closed: true,
    write_closed: true,
};

const RESET: Says = Says {
    hup: true,
    error: true,
    priority: false,
    read_closed: true,
    write_closed: true,
};

/// Only Linux and Android report out-of-band data.
#[cfg(any(target_os = "linux", target_os = "android"))]
const OOB: Says = Says {
    hup: false,
    error: false,
    priority: true,
    read_closed: false,
    write_closed: false,
};

// ---- Unix stream sockets -------------------------------------------------

#[test]
fn unix_half_close() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let poll = Poll::new().unwrap();
    poll.register(&b, T, all_interest(), PollOpt::level())
        .unwrap();
    (&a).write_all(b"last words").unwrap();
    a.shutdown(Shutdown::Write).unwrap();

    let e = wait_for(&poll, "half close", Event::is_read_closed);
    assert_eq!(says(&e), HALF_CLOSE, "{e:?}");
    assert!(e.is_readable() && e.is_writable(), "{e:?}");

    // What was sent before the close is read, then the end of the stream.
    let mut got = Vec::new();
    b.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"last words");
    // The other direction still works.
    b.write_all(b"reply").unwrap();
    let mut buf = [0; 5];
    (&a).read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"reply");
}

#[test]
fn unix_full_close() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let poll = Poll::new().unwrap();
    poll.register(&b, T, all_interest(), PollOpt::level())
        .unwrap();
    drop(a);

    let e = wait_for(&poll, "full close", Event::is_write_closed);
    assert_eq!(says(&e), FULL_CLOSE, "{e:?}");
    assert_eq!(b.read(&mut [0; 8]).unwrap(), 0);
    assert_eq!(b.write(b"x").unwrap_err().kind(), io::ErrorKind::BrokenPipe);
    assert!(b.take_error().unwrap().is_none());
}

/// Linux resets a Unix stream closed with unread data; the BSDs and
/// Apple's systems close it quietly.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn unix_reset() {
    let (a, b) = UnixStream::pair().unwrap();
    let poll = Poll::new().unwrap();
    poll.register(&b, T, all_interest(), PollOpt::level())
        .unwrap();
    // `a` closes with data it never read: the OS resets the connection.
    (&b).write_all(b"never read").unwrap();
    drop(a);

    let e = wait_for(&poll, "reset", Event::is_error);
    assert_eq!(says(&e), RESET, "{e:?}");
    let err = b.take_error().unwrap().expect("a pending error");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
}

/// Linux and Android can send out-of-band data over Unix streams (when the
/// kernel is built with it); elsewhere this test has nothing to check.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn unix_out_of_band() {
    use rustix::net::{send, SendFlags};

    let (a, b) = UnixStream::pair().unwrap();
    let poll = Poll::new().unwrap();
    poll.register(
        &b,
        T,
        Ready::readable() | UnixReady::priority() | UnixReady::hup(),
        PollOpt::level(),
    )
    .unwrap();
    match send(&a, b"!", SendFlags::OOB) {
        Ok(1) => {}
        Err(rustix::io::Errno::OPNOTSUPP) => {
            eprintln!("this kernel has no out-of-band data on Unix sockets; skipped");
            return;
        }
        other => panic!("send(MSG_OOB): {other:?}"),
    }
    let e = wait_for(&poll, "out-of-band data", Event::is_priority);
    assert_eq!(says(&e), OOB, "{e:?}");
    assert!(e.is_readable(), "{e:?}");
}

// ---- Pipes ---------------------------------------------------------------

#[test]
fn pipe_sender_closed() {
    let (mut sender, mut receiver) = pipe().unwrap();
    let poll = Poll::new().unwrap();
    poll.register(&receiver, T, all_interest(), PollOpt::level())
        .unwrap();
    sender.write_all(b"tail").unwrap();
    drop(sender);

    // A pipe has no half close: the last sender gone is a hang-up.
    let e = wait_for(&poll, "sender closed", Event::is_read_closed);
    let s = says(&e);
    assert!(s.hup && s.read_closed && !s.error && !s.priority, "{e:?}");
    assert!(e.is_readable(), "{e:?}");
    let mut got = Vec::new();
    receiver.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"tail");
}

#[test]
fn pipe_receiver_closed() {
    let (mut sender, receiver) = pipe().unwrap();
    let poll = Poll::new().unwrap();
    poll.register(&sender, T, all_interest(), PollOpt::level())
        .unwrap();
    drop(receiver);

    // No reader left: the sender's write half is closed (epoll reports
    // it as an error, kqueue as an end of file).
    let e = wait_for(&poll, "receiver closed", Event::is_write_closed);
    let s = says(&e);
    assert!(s.write_closed && !s.read_closed && !s.priority, "{e:?}");
    #[cfg(any(target_os = "linux", target_os = "android"))]
    assert!(s.error && !s.hup, "{e:?}");
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    assert!(s.hup, "{e:?}");
    // Rust programs ignore SIGPIPE: the write fails instead.
    assert_eq!(
        sender.write(b"x").unwrap_err().kind(),
        io::ErrorKind::BrokenPipe
    );
}

#[test]
fn pipe_open_reports_no_closing() {
    let (mut sender, receiver) = pipe().unwrap();
    let poll = Poll::new().unwrap();
    poll.register(&receiver, T, all_interest(), PollOpt::level())
        .unwrap();
    sender.write_all(b"data").unwrap();
    let e = wait_for(&poll, "readable", Event::is_readable);
    let s = says(&e);
    assert!(
        !s.hup && !s.error && !s.read_closed && !s.write_closed,
        "{e:?}"
    );
}

// ---- TCP -------------------------------------------------------------------

/// Waits until `client` has finished connecting (writable).
fn connected(client: &TcpStream) {
    let poll = Poll::new().unwrap();
    poll.register(client, Token(99), Ready::writable(), PollOpt::level())
        .unwrap();
    let mut events = Events::with_capacity(4);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        if events.iter().any(|e| e.is_writable()) {
            poll.deregister(client).unwrap();
            return;
        }
    }
    panic!("connect did not finish");
}

#[test]
fn tcp_half_close() {
    let (client, mut server) = tcp_pair();
    connected(&client);
    let poll = Poll::new().unwrap();
    poll.register(&server, T, all_interest(), PollOpt::level())
        .unwrap();
    (&client).write_all(b"last words").unwrap();
    client.shutdown(Shutdown::Write).unwrap();

    let e = wait_for(&poll, "half close", Event::is_read_closed);
    assert_eq!(says(&e), HALF_CLOSE, "{e:?}");
    let mut got = Vec::new();
    server.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"last words");
    // The server can still answer.
    server.write_all(b"reply").unwrap();
}

/// TCP cannot tell a peer's close from its half close (both are one FIN):
/// the connection is fully closed once this side shuts down its writing
/// half too.
#[test]
fn tcp_full_close() {
    let (client, server) = tcp_pair();
    connected(&client);
    let poll = Poll::new().unwrap();
    poll.register(&server, T, all_interest(), PollOpt::level())
        .unwrap();
    drop(client);
    let e = wait_for(&poll, "peer's FIN", Event::is_read_closed);
    assert_eq!(says(&e), HALF_CLOSE, "{e:?}");

    server.shutdown(Shutdown::Write).unwrap();
    let e = wait_for(&poll, "full close", Event::is_write_closed);
    assert_eq!(says(&e), FULL_CLOSE, "{e:?}");
    assert!(server.take_error().unwrap().is_none());
}

/// A peer that closes with `SO_LINGER` of zero resets the connection.
#[test]
fn tcp_reset() {
    let (client, server) = tcp_pair();
    connected(&client);
    let poll = Poll::new().unwrap();
    poll.register(&server, T, all_interest(), PollOpt::level())
        .unwrap();
    client.set_linger(Some(Duration::ZERO)).unwrap();
    drop(client);

    let e = wait_for(&poll, "reset", Event::is_error);
    assert_eq!(says(&e), RESET, "{e:?}");
    let err = server.take_error().unwrap().expect("a pending error");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
}

/// Writing to a peer that has closed draws a reset from it.
#[test]
fn tcp_write_after_peer_close_resets() {
    let (client, mut server) = tcp_pair();
    connected(&client);
    let poll = Poll::new().unwrap();
    poll.register(&server, T, all_interest(), PollOpt::level())
        .unwrap();
    drop(client);
    wait_for(&poll, "peer's FIN", Event::is_read_closed);
    // The peer's socket is gone: what arrives there is answered with RST.
    server.write_all(b"anyone there?").unwrap();
    let e = wait_for(&poll, "reset", Event::is_error);
    assert_eq!(says(&e), RESET, "{e:?}");
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn tcp_out_of_band() {
    use rustix::net::{send, SendFlags};

    let (client, server) = tcp_pair();
    connected(&client);
    let poll = Poll::new().unwrap();
    poll.register(
        &server,
        T,
        Ready::readable() | UnixReady::priority() | UnixReady::hup(),
        PollOpt::level(),
    )
    .unwrap();
    assert_eq!(send(&client, b"!", SendFlags::OOB).unwrap(), 1);
    let e = wait_for(&poll, "out-of-band data", Event::is_priority);
    assert_eq!(says(&e), OOB, "{e:?}");
}
