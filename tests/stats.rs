//! The per-`Poll` counters of the `stats` feature:
//! `cargo test --features stats --test stats`.
//!
//! This binary installs a process-wide `SIGUSR1` handler (to interrupt a
//! blocked poll), so it lives in its own test file.

#![cfg(feature = "stats")]

use std::net::UdpSocket as StdUdp;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use evio::net::{TcpListener, UdpSocket};
use evio::{Events, Poll, PollOpt, PollStats, Ready, Registration, Token};

fn stats(poll: &Poll) -> PollStats {
    poll.stats()
}

#[test]
fn a_new_poll_has_done_nothing() {
    let poll = Poll::new().unwrap();
    assert_eq!(stats(&poll), PollStats::default());
}

#[test]
fn polls_events_empty_polls_and_system_calls() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    // Two empty polls on the fast path (a zero timeout), one with a length.
    poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
    poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
    poll.poll(&mut events, Some(Duration::from_millis(1)))
        .unwrap();
    let s = stats(&poll);
    assert_eq!((s.polls, s.empty_polls, s.events, s.syscalls), (3, 3, 0, 3));

    // A UDP socket with a datagram waiting: one registration (a system
    // call), then a poll with one event.
    let sock = UdpSocket::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    let peer = StdUdp::bind("127.0.0.1:0").unwrap();
    peer.send_to(b"x", sock.local_addr().unwrap()).unwrap();
    poll.register(&sock, Token(1), Ready::readable(), PollOpt::level())
        .unwrap();
    let mut got = 0;
    for _ in 0..100 {
        got = poll
            .poll(&mut events, Some(Duration::from_secs(5)))
            .unwrap();
        if got > 0 {
            break;
        }
    }
    assert_eq!(got, 1);
    let t = stats(&poll);
    assert_eq!(t.io_registrations, 1);
    assert_eq!(t.events, 1);
    assert_eq!(t.polls - s.polls, t.syscalls - s.syscalls - 1);
    assert_eq!(t.empty_polls, s.empty_polls + (t.polls - s.polls - 1));

    // Reregister and deregister: one system call each.
    poll.reregister(&sock, Token(2), Ready::readable(), PollOpt::edge())
        .unwrap();
    poll.deregister(&sock).unwrap();
    let u = stats(&poll);
    assert_eq!((u.reregistrations, u.deregistrations), (1, 1));
    assert_eq!(u.syscalls, t.syscalls + 2);
    // A failed deregister (not registered any more) is a system call, not a
    // deregistration.
    assert!(poll.deregister(&sock).is_err());
    let v = stats(&poll);
    assert_eq!((v.deregistrations, v.syscalls), (1, u.syscalls + 1));
}

#[cfg(unix)]
#[test]
fn registrations_by_kind() {
    use evio::unix::EventedFd;
    use std::os::fd::AsRawFd;

    let poll = Poll::new().unwrap();
    let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    poll.register(&listener, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    let raw = StdUdp::bind("127.0.0.1:0").unwrap();
    poll.register(
        &EventedFd(&raw.as_raw_fd()),
        Token(1),
        Ready::readable(),
        PollOpt::edge(),
    )
    .unwrap();
    let (r1, _s1) = Registration::new2();
    let (r2, _s2) = Registration::new2();
    poll.register(&r1, Token(2), Ready::readable(), PollOpt::edge())
        .unwrap();
    poll.register(&r2, Token(3), Ready::readable(), PollOpt::edge())
        .unwrap();
    // A Registration registered again is reregistered, as in the classic
    // API: the call succeeds, and counts as the register call it is.
    poll.register(&r2, Token(3), Ready::readable(), PollOpt::edge())
        .unwrap();
    // Refused: a socket registered already. Not counted.
    assert!(poll
        .register(&listener, Token(0), Ready::readable(), PollOpt::edge())
        .is_err());
    let s = stats(&poll);
    assert_eq!(
        (s.io_registrations, s.fd_registrations, s.user_registrations),
        (1, 1, 3)
    );
    // A user-space registration makes no system call of its own: the
    // listener's (twice) and the descriptor's do.
    assert_eq!(s.syscalls, 3);
}

#[test]
fn user_space_events_are_counted_apart() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (reg, set) = Registration::new2();
    poll.register(&reg, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    let (reg2, set2) = Registration::new2();
    poll.register(&reg2, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    set.set_readiness(Ready::readable()).unwrap();
    set2.set_readiness(Ready::readable()).unwrap();
    let before = stats(&poll);
    let n = poll
        .poll(&mut events, Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(n, 2);
    let after = stats(&poll);
    assert_eq!(after.user_events - before.user_events, 2);
    assert_eq!(after.events - before.events, 2);
    assert_eq!(after.polls - before.polls, 1);
}

#[cfg(unix)]
mod signals {
    use super::*;

    extern "C" fn on_signal(_: libc::c_int) {}

    /// Installs a `SIGUSR1` handler that does nothing, without `SA_RESTART`.
    fn install() {
        // SAFETY: a zeroed `sigaction` is a valid empty value; the handler
        // does nothing; the pointers passed live across the call.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            assert_eq!(libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()), 0);
        }
    }

    /// A blocked poll interrupted by signals: each interruption is one
    /// retry (and one more wait); the poll still returns its event.
    #[test]
    fn eintr_retries_are_counted() {
        install();
        let poll = Arc::new(Poll::new().unwrap());
        let (reg, set) = Registration::new2();
        poll.register(&reg, Token(0), Ready::readable(), PollOpt::edge())
            .unwrap();
        // SAFETY: `pthread_self` has no preconditions.
        let me = unsafe { libc::pthread_self() } as usize;
        let p = poll.clone();
        // Signals every 10 ms until the poll has counted two retries (it is
        // blocked by then), at most 500; then the event that ends the poll.
        let signaller = thread::spawn(move || {
            let mut sent = 0u64;
            while sent < 500 && p.stats().eintr_retries < 2 {
                thread::sleep(Duration::from_millis(10));
                // SAFETY: the polling thread outlives this one (it joins it).
                let rc = unsafe { libc::pthread_kill(me as libc::pthread_t, libc::SIGUSR1) };
                assert_eq!(rc, 0);
                sent += 1;
            }
            set.set_readiness(Ready::readable()).unwrap();
            sent
        });
        let mut events = Events::with_capacity(8);
        let mut got = 0;
        for _ in 0..100 {
            got = poll
                .poll(&mut events, Some(Duration::from_secs(10)))
                .unwrap();
            if got > 0 {
                break;
            }
        }
        let sent = signaller.join().unwrap();
        assert_eq!(got, 1);
        let s = stats(&poll);
        assert!(s.eintr_retries >= 2, "{s:?}");
        assert!(s.eintr_retries <= sent, "{s:?}, {sent} signals");
        // Every retry is one more wait.
        assert!(s.syscalls > s.eintr_retries, "{s:?}");
    }

    /// The same on the fast path (no user-space queue, no timeout): the
    /// interrupted wait is made again by the general path, and counted.
    #[test]
    fn eintr_retries_on_the_fast_path_are_counted() {
        install();
        let poll = Arc::new(Poll::new().unwrap());
        let sock = UdpSocket::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = sock.local_addr().unwrap();
        poll.register(&sock, Token(0), Ready::readable(), PollOpt::edge())
            .unwrap();
        // SAFETY: `pthread_self` has no preconditions.
        let me = unsafe { libc::pthread_self() } as usize;
        let p = poll.clone();
        let signaller = thread::spawn(move || {
            let mut sent = 0u64;
            while sent < 500 && p.stats().eintr_retries < 2 {
                thread::sleep(Duration::from_millis(10));
                // SAFETY: the polling thread outlives this one (it joins it).
                let rc = unsafe { libc::pthread_kill(me as libc::pthread_t, libc::SIGUSR1) };
                assert_eq!(rc, 0);
                sent += 1;
            }
            StdUdp::bind("127.0.0.1:0")
                .unwrap()
                .send_to(b"x", addr)
                .unwrap();
            sent
        });
        let mut events = Events::with_capacity(8);
        let mut got = 0;
        for _ in 0..100 {
            got = poll.poll(&mut events, None).unwrap();
            if got > 0 {
                break;
            }
        }
        let sent = signaller.join().unwrap();
        assert_eq!(got, 1);
        let s = stats(&poll);
        assert!(s.eintr_retries >= 2, "{s:?}");
        assert!(s.eintr_retries <= sent, "{s:?}, {sent} signals");
        assert_eq!(s.polls, 1, "{s:?}");
    }
}
