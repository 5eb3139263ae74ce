//! Accepting on several `Poll`s (Linux and Android additions):
//! `EPOLLEXCLUSIVE` registrations (`UnixPollOpt::exclusive`) and
//! `SO_REUSEPORT` listeners (`TcpListener::bind_reuseport`).

#![cfg(any(target_os = "linux", target_os = "android"))]

use std::io;
use std::net::{SocketAddr, TcpStream as StdStream};
use std::time::Duration;

use evio::net::TcpListener;
use evio::unix::UnixPollOpt;
use evio::{Events, Poll, PollOpt, Ready, Token};

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Events for `token` in one poll of at most `wait`.
fn events_for(poll: &Poll, token: Token, wait: Duration) -> usize {
    let mut events = Events::with_capacity(8);
    poll.poll(&mut events, Some(wait)).unwrap();
    events.iter().filter(|e| e.token() == token).count()
}

/// The system call a thread of this process is blocked in, if any (from
/// `/proc/self/task/TID/syscall`, whose first field is its number).
fn blocked_in(tid: libc::pid_t) -> Option<libc::c_long> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Whether a thread is blocked in one of the system calls a `Poll::poll`
/// waits in (which one depends on the timeout and the architecture).
fn blocked_in_a_wait(tid: libc::pid_t) -> bool {
    #[cfg(target_arch = "x86_64")]
    let waits = [
        libc::SYS_epoll_wait,
        libc::SYS_epoll_pwait,
        libc::SYS_epoll_pwait2,
    ];
    #[cfg(not(target_arch = "x86_64"))]
    let waits = [libc::SYS_epoll_pwait, libc::SYS_epoll_pwait2];
    blocked_in(tid).is_some_and(|nr| waits.contains(&nr))
}

/// Two `Poll`s on two threads, both blocked in a poll on one listening
/// socket: one connection wakes both without `EPOLLEXCLUSIVE`, and exactly
/// one with it (epoll stops at the first exclusive waiter it wakes; the
/// other one's poll sees nothing and times out).
#[test]
#[cfg_attr(
    evio_qemu_user,
    ignore = "qemu-user shows the host's system calls in /proc/self/task/TID/syscall"
)]
fn exclusive_registrations_wake_one_blocked_poll() {
    use std::sync::mpsc;
    use std::thread;

    for exclusive in [false, true] {
        let listener = TcpListener::bind(&local()).unwrap();
        let addr = listener.local_addr().unwrap();
        let opts = if exclusive {
            UnixPollOpt::exclusive() | PollOpt::edge()
        } else {
            PollOpt::edge()
        };
        let (tids, tid_rx) = mpsc::channel();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                // A socket stays with the first Poll it is registered with:
                // each Poll gets a handle of its own.
                let handle = listener.try_clone().unwrap();
                let tids = tids.clone();
                thread::spawn(move || {
                    let poll = Poll::new().unwrap();
                    poll.register(&handle, Token(0), Ready::readable(), opts)
                        .unwrap();
                    // SAFETY: `gettid` has no preconditions.
                    tids.send(unsafe { libc::gettid() }).unwrap();
                    events_for(&poll, Token(0), Duration::from_secs(2))
                })
            })
            .collect();
        let tids: Vec<libc::pid_t> = (0..2).map(|_| tid_rx.recv().unwrap()).collect();
        // Both polls blocked in the wait before the connection comes.
        let mut blocked = false;
        for _ in 0..500 {
            if tids.iter().all(|&t| blocked_in_a_wait(t)) {
                blocked = true;
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        assert!(blocked, "the polls never blocked");
        let _client = StdStream::connect(addr).unwrap();
        let woken: usize = waiters.into_iter().map(|w| w.join().unwrap()).sum();
        assert_eq!(
            woken,
            if exclusive { 1 } else { 2 },
            "exclusive: {exclusive}"
        );
        assert!(listener.accept().is_ok());
    }
}

#[test]
fn exclusive_registrations_take_only_what_epoll_allows() {
    let listener = TcpListener::bind(&local()).unwrap();
    let poll = Poll::new().unwrap();
    for opts in [
        UnixPollOpt::exclusive() | PollOpt::oneshot(),
        UnixPollOpt::exclusive() | PollOpt::urgent(),
    ] {
        let err = poll
            .register(&listener, Token(0), Ready::readable(), opts)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{opts:?}");
    }
    poll.register(
        &listener,
        Token(0),
        Ready::readable(),
        UnixPollOpt::exclusive() | PollOpt::level(),
    )
    .unwrap();
    // epoll cannot change an exclusive registration.
    let err = poll
        .reregister(
            &listener,
            Token(1),
            Ready::readable(),
            UnixPollOpt::exclusive() | PollOpt::level(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(poll
        .reregister(&listener, Token(1), Ready::readable(), PollOpt::level())
        .is_err());
    // Deregister, then register anew: fine.
    poll.deregister(&listener).unwrap();
    poll.register(&listener, Token(2), Ready::readable(), PollOpt::level())
        .unwrap();
    let _client = StdStream::connect(listener.local_addr().unwrap()).unwrap();
    assert_eq!(events_for(&poll, Token(2), Duration::from_secs(5)), 1);
}

/// Listeners made with `bind_reuseport` share the address, and the kernel
/// spreads connections over them (by a hash of the client's port: with 64
/// connections, all on one listener would be a 1 in 2^63 chance).
#[test]
fn reuseport_listeners_share_an_address_and_its_connections() {
    let first = TcpListener::bind_reuseport(&local()).unwrap();
    let addr = first.local_addr().unwrap();
    let second = TcpListener::bind_reuseport(&addr).unwrap();
    assert_eq!(second.local_addr().unwrap(), addr);
    // A listener without SO_REUSEPORT cannot join them.
    let err = TcpListener::bind(&addr).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);

    let clients: Vec<StdStream> = (0..64).map(|_| StdStream::connect(addr).unwrap()).collect();
    let mut counts = [0usize; 2];
    for _ in 0..200 {
        for (i, l) in [&first, &second].iter().enumerate() {
            while l.accept().is_ok() {
                counts[i] += 1;
            }
        }
        if counts[0] + counts[1] == clients.len() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(counts[0] + counts[1], clients.len(), "{counts:?}");
    assert!(counts[0] > 0 && counts[1] > 0, "{counts:?}");
}
