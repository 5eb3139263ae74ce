//! Running out of descriptors (`EMFILE`) while connections wait on a
//! listener: `accept` returns the error, the listener stays registered, and
//! once descriptors are freed the pending connections are accepted. The
//! `Poll` does not spin meanwhile: with edge-triggered registration, polls
//! made while the error lasts return no event until something changes.
//!
//! This binary lowers `RLIMIT_NOFILE` for its process, so it has one test
//! only and its own file.

// Counts descriptors through /proc: Linux and Android.
#![cfg(any(target_os = "linux", target_os = "android"))]

use std::fs::File;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use evio::net::{TcpListener, TcpStream};
use evio::{Events, Poll, PollOpt, Ready, Token};
use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

const LISTENER: Token = Token(0);
const N: usize = 5;

/// The number of descriptors open in this process.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count().saturating_sub(1)) // the directory's own descriptor
        .unwrap_or(0)
}

#[test]
fn accept_under_emfile_recovers() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    poll.register(&listener, LISTENER, Ready::readable(), PollOpt::edge())
        .unwrap();
    let mut clients: Vec<TcpStream> = (0..N).map(|_| TcpStream::connect(&addr).unwrap()).collect();

    // Lower the soft limit to a little above what is open, then use up the
    // rest with placeholder descriptors until the kernel refuses.
    let original = getrlimit(Resource::Nofile);
    let limit = (open_fds() + 16) as u64;
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(limit),
            maximum: original.maximum,
        },
    )
    .unwrap();
    let mut fillers = Vec::new();
    let exhausted = loop {
        match File::open("/dev/null") {
            Ok(f) => fillers.push(f),
            Err(e) => break e,
        }
        assert!(fillers.len() < 10_000, "the lowered limit did not hold");
    };
    assert_eq!(exhausted.raw_os_error(), Some(libc::EMFILE));

    // The connections are pending: the listener reports readable.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut readable = false;
    while !readable && Instant::now() < deadline {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        readable = events
            .iter()
            .any(|e| e.token() == LISTENER && e.is_readable());
    }
    assert!(readable);

    // accept fails with EMFILE, again and again, and nothing is lost.
    for _ in 0..3 {
        let err = listener.accept().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
    }

    // No busy loop: the edge-triggered listener gives no new event while
    // nothing changes, so these polls each wait their full timeout.
    let mut wakeups = 0;
    for _ in 0..3 {
        if poll
            .poll(&mut events, Some(Duration::from_millis(50)))
            .unwrap()
            > 0
        {
            wakeups += 1;
        }
    }
    assert_eq!(wakeups, 0, "poll kept waking while accept failed");
    // The listener is still registered (reregister works; a second
    // register would be AlreadyExists).
    assert_eq!(
        poll.register(&listener, LISTENER, Ready::readable(), PollOpt::edge())
            .unwrap_err()
            .kind(),
        io::ErrorKind::AlreadyExists
    );

    // Free the descriptors; a reregister re-arms the edge, which fires at
    // once because connections are waiting.
    drop(fillers);
    poll.reregister(&listener, LISTENER, Ready::readable(), PollOpt::edge())
        .unwrap();
    let mut accepted = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while accepted.len() < N && Instant::now() < deadline {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        if !events.iter().any(|e| e.token() == LISTENER) {
            continue;
        }
        loop {
            match listener.accept() {
                Ok((s, _)) => accepted.push(s),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("accept after recovery: {e}"),
            }
        }
    }
    assert_eq!(accepted.len(), N, "pending connections lost");

    // Each accepted connection works.
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(&[i as u8]).unwrap();
    }
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut pending: Vec<usize> = (0..N).collect();
    while !pending.is_empty() && Instant::now() < deadline {
        pending.retain(|&i| {
            let mut b = [0u8; 2];
            match accepted[i].read(&mut b) {
                Ok(1) => {
                    got.push(b[0]);
                    false
                }
                _ => true,
            }
        });
        poll.poll(&mut events, Some(Duration::from_millis(20)))
            .unwrap();
    }
    got.sort();
    assert_eq!(got, (0..N as u8).collect::<Vec<_>>());

    setrlimit(Resource::Nofile, original).unwrap();
}
