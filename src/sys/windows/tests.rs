//! Tests of the completion-port selector on its own (the sockets of
//! `crate::net` have their own tests).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use std::os::windows::io::AsRawSocket;

use crate::io_source::IoSource;
use crate::{Events, Poll, PollOpt, Ready, Token};

use super::{IoSourceState, Selector};

fn pair() -> (IoSource<TcpStream>, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    s.set_nonblocking(true).unwrap();
    (IoSource::new(s), c)
}

/// Polls up to `n` times (100 ms each) and counts events for `t`.
fn count(poll: &Poll, events: &mut Events, t: Token, n: usize) -> (usize, Ready) {
    let mut seen = 0;
    let mut ready = Ready::empty();
    for _ in 0..n {
        poll.poll(events, Some(Duration::from_millis(100))).unwrap();
        for e in events.iter() {
            if e.token() == t {
                seen += 1;
                ready |= e.readiness();
            }
        }
    }
    (seen, ready)
}

#[test]
fn waker_posts_a_readable_event() {
    let poll = Poll::new().unwrap();
    let waker = crate::Waker::new(&poll, Token(7)).unwrap();
    waker.wake().unwrap();
    let mut events = Events::with_capacity(4);
    poll.poll(&mut events, Some(Duration::from_secs(5)))
        .unwrap();
    let e = events.iter().next().expect("an event");
    assert_eq!(e.token(), Token(7));
    assert!(e.readiness().is_readable());
}

#[test]
fn listener_readable_on_connect() {
    let poll = Poll::new().unwrap();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let addr = l.local_addr().unwrap();
    let l = IoSource::new(l);
    poll.register(&l, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    let _c = TcpStream::connect(addr).unwrap();
    let mut events = Events::with_capacity(4);
    let (n, r) = count(&poll, &mut events, Token(1), 5);
    assert!(n >= 1 && r.is_readable(), "{n} {r:?}");
    assert!(l.do_io(|l| l.accept()).is_ok());
}

#[test]
fn level_edge_oneshot() {
    let mut events = Events::with_capacity(8);
    for (opts, expect) in [
        (PollOpt::level(), 3usize),
        (PollOpt::edge(), 1),
        (PollOpt::edge() | PollOpt::oneshot(), 1),
    ] {
        let poll = Poll::new().unwrap();
        let (s, mut c) = pair();
        poll.register(&s, Token(2), Ready::readable(), opts)
            .unwrap();
        c.write_all(b"hello").unwrap();
        let (n, r) = count(&poll, &mut events, Token(2), 3);
        assert!(r.is_readable());
        assert_eq!(n, expect, "{opts:?}");
        // Drain until WouldBlock: edge re-arms, oneshot does not.
        let mut buf = [0u8; 64];
        assert_eq!(s.do_io(|mut s| s.read(&mut buf)).unwrap(), 5);
        assert!(s.do_io(|mut s| s.read(&mut buf)).is_err());
        c.write_all(b"again").unwrap();
        let (n, _) = count(&poll, &mut events, Token(2), 2);
        if opts.is_oneshot() {
            assert_eq!(n, 0);
            poll.reregister(&s, Token(3), Ready::readable(), opts)
                .unwrap();
            let (n, _) = count(&poll, &mut events, Token(3), 2);
            assert_eq!(n, 1);
        } else {
            assert!(n >= 1);
        }
        poll.deregister(&s).unwrap();
        let (n, _) = count(&poll, &mut events, Token(2), 1);
        assert_eq!(n, 0);
    }
}

#[test]
fn registration_errors() {
    let poll = Poll::new().unwrap();
    let (s, _c) = pair();
    assert_eq!(
        poll.reregister(&s, Token(1), Ready::readable(), PollOpt::edge())
            .unwrap_err()
            .kind(),
        std::io::ErrorKind::NotFound
    );
    poll.register(&s, Token(1), Ready::writable(), PollOpt::edge())
        .unwrap();
    assert_eq!(
        poll.register(&s, Token(1), Ready::readable(), PollOpt::edge())
            .unwrap_err()
            .kind(),
        std::io::ErrorKind::AlreadyExists
    );
    let mut events = Events::with_capacity(4);
    let (n, r) = count(&poll, &mut events, Token(1), 2);
    assert_eq!(n, 1);
    assert!(r.is_writable());
    poll.deregister(&s).unwrap();
    assert!(poll.deregister(&s).is_err());
    let other = Poll::new().unwrap();
    assert!(other
        .register(&s, Token(1), Ready::readable(), PollOpt::edge())
        .is_err());
}

#[test]
fn slots_are_reused() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    for i in 0..200 {
        let (s, _c) = pair();
        poll.register(
            &s,
            Token(i),
            Ready::readable() | Ready::writable(),
            PollOpt::level(),
        )
        .unwrap();
        poll.poll(&mut events, Some(Duration::from_millis(10)))
            .unwrap();
        drop(s);
    }
    // Let the cancelled polls complete, then count the slab's chunks.
    for _ in 0..3 {
        poll.poll(&mut events, Some(Duration::from_millis(20)))
            .unwrap();
    }
    assert_eq!(poll.selector().chunks(), 1);
}

/// A registration's reference to its slot is refused once the registration
/// has ended, also after the slot was given to another socket.
#[test]
fn stale_slot_references_are_refused() {
    let selector = Selector::new().unwrap();
    let slab = || selector.as_ref().slab();
    let mut events = crate::sys::Events::with_capacity(8);
    let (a, _ca) = pair();
    let (b, _cb) = pair();
    let first = IoSourceState::new();
    let second = IoSourceState::new();
    let socket = |s: &IoSource<TcpStream>| s.as_raw_socket() as usize;
    selector
        .register(
            &first,
            socket(&a),
            Token(1),
            Ready::readable(),
            PollOpt::edge(),
        )
        .unwrap();
    let old = first.slot_ref().expect("a slot");
    assert!(old.lock(slab()).is_some());
    selector.deregister(&first).unwrap();
    assert!(first.slot_ref().is_none());
    assert!(old.lock(slab()).is_none());
    // The cancelled poll completes; the slot goes back to the free list.
    for _ in 0..3 {
        selector
            .select(&mut events, Some(Duration::from_millis(20)))
            .unwrap();
    }
    selector
        .register(
            &second,
            socket(&b),
            Token(2),
            Ready::readable(),
            PollOpt::edge(),
        )
        .unwrap();
    let new = second.slot_ref().expect("a slot");
    assert!(new.same_slot(&old), "the freed slot is taken again");
    assert!(old.lock(slab()).is_none());
    assert!(new.lock(slab()).is_some());
    // The old registration's state no longer reaches the slot either.
    assert!(selector
        .reregister(&first, Token(3), Ready::writable(), PollOpt::edge())
        .is_err());
    assert!(selector.deregister(&first).is_err());
    assert!(new.lock(slab()).is_some());
}
