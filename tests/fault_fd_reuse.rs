//! A descriptor deregistered and closed, then its number reused by a new
//! socket registered under a new token: no event for the old token is ever
//! delivered after `deregister` returns, even when the kernel already held
//! events for it.

#![cfg(unix)]

use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use evio::unix::EventedFd;
use evio::{Events, Poll, PollOpt, Ready, Registration, Token};

mod common;
use common::unix_pair as pair;

/// The tests move descriptors to numbers they just freed; run them one at a
/// time so that no other test of this binary takes such a number meanwhile.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Moves `sock`'s descriptor to the number `fd` (which must be free), so
/// the test does not depend on which number the kernel hands out next.
fn move_to(sock: UnixStream, fd: RawFd) -> UnixStream {
    let old = sock.into_raw_fd();
    if old == fd {
        // SAFETY: `old` came from `into_raw_fd`, so this is its only owner.
        return unsafe { UnixStream::from_raw_fd(old) };
    }
    // SAFETY: `old` is an open descriptor we own; `fd` is free (closed by
    // the caller), so `dup2` takes it without closing anything of another
    // owner; the new descriptor is owned by the returned stream.
    unsafe {
        let rc = libc::dup2(old, fd);
        assert_eq!(rc, fd, "dup2: {}", std::io::Error::last_os_error());
        drop(OwnedFd::from_raw_fd(old));
        UnixStream::from_raw_fd(fd)
    }
}

fn opts(i: usize) -> PollOpt {
    match i % 4 {
        0 => PollOpt::edge(),
        1 => PollOpt::level(),
        2 => PollOpt::edge() | PollOpt::oneshot(),
        _ => PollOpt::level() | PollOpt::oneshot(),
    }
}

/// Polls (zero timeout, a few times) and returns every token seen.
fn drain_tokens(poll: &Poll, events: &mut Events) -> Vec<Token> {
    let mut tokens = Vec::new();
    for _ in 0..3 {
        poll.poll(events, Some(Duration::ZERO)).unwrap();
        tokens.extend(events.iter().map(|e| e.token()));
    }
    tokens
}

#[test]
fn deregister_close_reuse_never_delivers_the_old_token() {
    let _serial = serial();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    for i in 0..400 {
        let old_token = Token(2 * i);
        let new_token = Token(2 * i + 1);
        let (a, mut b) = pair();
        let fd = a.as_raw_fd();
        poll.register(
            &EventedFd(&fd),
            old_token,
            Ready::readable() | Ready::writable(),
            opts(i),
        )
        .unwrap();
        // Events pending in the kernel for the old registration: readable
        // and writable, not yet polled.
        b.write_all(b"pending").unwrap();
        poll.deregister(&EventedFd(&fd)).unwrap();
        drop(a);
        drop(b);

        let (c, mut d) = pair();
        let c = move_to(c, fd);
        assert_eq!(c.as_raw_fd(), fd);
        poll.register(&EventedFd(&fd), new_token, Ready::readable(), opts(i + 1))
            .unwrap();
        // The new socket has nothing to read yet: no event at all.
        let tokens = drain_tokens(&poll, &mut events);
        assert!(tokens.is_empty(), "round {i}: {tokens:?}");

        d.write_all(b"x").unwrap();
        let tokens = drain_tokens(&poll, &mut events);
        assert!(
            !tokens.contains(&old_token),
            "round {i}: old token in {tokens:?}"
        );
        assert!(tokens.contains(&new_token), "round {i}: {tokens:?}");
        poll.deregister(&EventedFd(&fd)).unwrap();
    }
}

#[test]
fn close_without_deregister_then_reuse() {
    let _serial = serial();
    // Closing the only descriptor of a socket removes it from epoll; the
    // number can be registered again at once, and the old token is gone.
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    for i in 0..200 {
        let (a, mut b) = pair();
        let fd = a.as_raw_fd();
        poll.register(&EventedFd(&fd), Token(1000 + i), Ready::readable(), opts(i))
            .unwrap();
        b.write_all(b"pending").unwrap();
        drop(a);

        let (c, mut d) = pair();
        let c = move_to(c, fd);
        poll.register(
            &EventedFd(&fd),
            Token(5000 + i),
            Ready::readable(),
            PollOpt::level(),
        )
        .unwrap();
        d.write_all(b"y").unwrap();
        let tokens = drain_tokens(&poll, &mut events);
        assert!(!tokens.contains(&Token(1000 + i)), "round {i}: {tokens:?}");
        assert!(tokens.contains(&Token(5000 + i)), "round {i}: {tokens:?}");
        poll.deregister(&EventedFd(&c.as_raw_fd())).unwrap();
        drop(b);
    }
}

#[test]
fn registration_deregistered_with_pending_readiness_is_silent() {
    let _serial = serial();
    // The same property for user-space readiness: a Registration queued for
    // delivery, deregistered, then registered under a new token.
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    for i in 0..400 {
        let (reg, set) = Registration::new2();
        poll.register(&reg, Token(1), Ready::readable(), opts(i))
            .unwrap();
        set.set_readiness(Ready::readable()).unwrap();
        poll.deregister(&reg).unwrap();
        let tokens = drain_tokens(&poll, &mut events);
        assert!(tokens.is_empty(), "round {i}: {tokens:?}");

        set.set_readiness(Ready::readable()).unwrap();
        poll.register(&reg, Token(2), Ready::readable(), opts(i))
            .unwrap();
        let tokens = drain_tokens(&poll, &mut events);
        assert!(!tokens.contains(&Token(1)), "round {i}: {tokens:?}");
        assert!(tokens.contains(&Token(2)), "round {i}: {tokens:?}");

        // Dropped while queued: nothing more, and set_readiness is harmless.
        set.set_readiness(Ready::readable()).unwrap();
        drop(reg);
        set.set_readiness(Ready::readable()).unwrap();
        let tokens = drain_tokens(&poll, &mut events);
        assert!(tokens.is_empty(), "round {i}: {tokens:?}");
    }
}

#[test]
fn deregister_from_another_thread_between_polls() {
    let _serial = serial();
    // Sockets made ready continuously by a writer thread; the main thread
    // deregisters, closes and reuses numbers while the kernel keeps
    // producing events for the old registrations.
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::thread;

    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let stop = Arc::new(AtomicBool::new(false));
    for round in 0..50usize {
        let (a, b) = pair();
        let fd = a.as_raw_fd();
        let old = Token(round * 2);
        poll.register(&EventedFd(&fd), old, Ready::readable(), PollOpt::level())
            .unwrap();
        let stop_w = stop.clone();
        let writer = thread::spawn(move || {
            let mut b = b;
            for _ in 0..10_000 {
                if stop_w.load(Ordering::SeqCst) {
                    break;
                }
                let _ = b.write(b"z");
                thread::yield_now();
            }
            b
        });
        // Let some events arrive, then deregister while writes continue.
        poll.poll(&mut events, Some(Duration::from_millis(20)))
            .unwrap();
        poll.deregister(&EventedFd(&fd)).unwrap();
        let tokens = drain_tokens(&poll, &mut events);
        assert!(!tokens.contains(&old), "round {round}: {tokens:?}");
        stop.store(true, Ordering::SeqCst);
        let b = writer.join().unwrap();
        stop.store(false, Ordering::SeqCst);
        drop(a);
        drop(b);

        let (c, mut d) = pair();
        let c = move_to(c, fd);
        let new = Token(round * 2 + 1);
        poll.register(
            &EventedFd(&c.as_raw_fd()),
            new,
            Ready::readable(),
            PollOpt::edge(),
        )
        .unwrap();
        d.write_all(b"n").unwrap();
        let tokens = drain_tokens(&poll, &mut events);
        assert!(!tokens.contains(&old), "round {round}: {tokens:?}");
        assert!(tokens.contains(&new), "round {round}: {tokens:?}");
        poll.deregister(&EventedFd(&c.as_raw_fd())).unwrap();
    }
}

#[test]
fn tcp_stream_deregistered_closed_and_number_reused() {
    // The same with evio's own TCP sockets: a stream with events pending
    // (data and a peer close) is deregistered and dropped, a new stream
    // takes its descriptor number under a new token.
    use evio::net::{TcpListener, TcpStream};
    let _serial = serial();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    // Waits by sleeping, not polling: every poll of the test is checked.
    let accept = || -> TcpStream {
        for _ in 0..500 {
            match listener.accept() {
                Ok((s, _)) => return s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
        panic!("no connection to accept");
    };
    for round in 0..100usize {
        let old = Token(10_000 + round);
        let new = Token(20_000 + round);
        let client = TcpStream::connect(&addr).unwrap();
        let mut server = accept();
        let fd = server.as_raw_fd();
        poll.register(
            &server,
            old,
            Ready::readable() | Ready::writable(),
            opts(round),
        )
        .unwrap();
        // Pending in the kernel for `old`: readable data, then hang-up.
        let mut c = client;
        c.write_all(b"pending").unwrap();
        drop(c);
        // Wait until the kernel has it all (the read sees the close), then
        // deregister without polling.
        let mut buf = [0u8; 16];
        let mut seen_eof = false;
        for _ in 0..500 {
            match std::io::Read::read(&mut server, &mut buf) {
                Ok(0) => {
                    seen_eof = true;
                    break;
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) => panic!("read: {e}"),
            }
        }
        assert!(seen_eof, "round {round}");
        poll.deregister(&server).unwrap();
        drop(server);

        // A new connection; its accepted end is moved to the old number.
        let mut client2 = TcpStream::connect(&addr).unwrap();
        let server2 = accept();
        let server2 = {
            let raw = server2.into_raw_fd();
            let raw = if raw == fd {
                raw
            } else {
                // SAFETY: as in `move_to`: `raw` is ours, `fd` is free.
                unsafe {
                    assert_eq!(libc::dup2(raw, fd), fd);
                    drop(OwnedFd::from_raw_fd(raw));
                }
                fd
            };
            // SAFETY: `raw` is an open socket descriptor this test owns.
            unsafe { TcpStream::from_raw_fd(raw) }
        };
        poll.register(&server2, new, Ready::readable(), PollOpt::edge())
            .unwrap();
        client2.write_all(b"n").unwrap();
        let mut tokens = Vec::new();
        for _ in 0..100 {
            poll.poll(&mut events, Some(Duration::from_millis(10)))
                .unwrap();
            tokens.extend(events.iter().map(|e| e.token()));
            if tokens.contains(&new) {
                break;
            }
        }
        assert!(
            !tokens.contains(&old),
            "round {round}: old token in {tokens:?}"
        );
        assert!(tokens.contains(&new), "round {round}: {tokens:?}");
        poll.deregister(&server2).unwrap();
    }
}
