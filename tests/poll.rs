//! Core semantics of `Poll`: triggering modes, interest, tokens, capacity,
//! timeouts and argument errors. Sources are Unix socket pairs registered
//! through `EventedFd`, so these tests depend on nothing but the selector.
#![cfg(unix)]

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use evio::unix::{EventedFd, UnixReady};
use evio::{Events, Poll, PollOpt, Ready, Token};

mod common;
use common::{unix_pair as pair, wait_for_any as wait_for};

const SHORT: Duration = Duration::from_millis(50);

/// Polls once with a short timeout and returns (token, readiness) pairs.
fn poll_once(poll: &Poll, events: &mut Events) -> Vec<(Token, Ready)> {
    poll.poll(events, Some(SHORT)).unwrap();
    events.iter().map(|e| (e.token(), e.readiness())).collect()
}

fn drain(s: &mut UnixStream) -> usize {
    let mut buf = [0u8; 4096];
    let mut total = 0;
    for _ in 0..1000 {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("read: {e}"),
        }
    }
    total
}

#[test]
fn edge_fires_once_per_change() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut a, mut b) = pair();
    poll.register(
        &EventedFd(&a.as_raw_fd()),
        Token(1),
        Ready::readable(),
        PollOpt::edge(),
    )
    .unwrap();

    b.write_all(b"hello").unwrap();
    let r = wait_for(&poll, &mut events, Token(1));
    assert!(r.is_readable());
    // No new data: no new event, even though data is still unread.
    assert!(poll_once(&poll, &mut events).is_empty());

    // New data is a new edge.
    b.write_all(b"again").unwrap();
    assert!(wait_for(&poll, &mut events, Token(1)).is_readable());
    assert_eq!(drain(&mut a), 10);
    assert!(poll_once(&poll, &mut events).is_empty());
}

/// Neither edge nor level: level-triggered, as in the classic API (which
/// asks the kernel for edge triggering only when told to).
#[test]
fn level_is_the_default_without_options() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut a, mut b) = pair();
    poll.register(
        &EventedFd(&a.as_raw_fd()),
        Token(1),
        Ready::readable(),
        PollOpt::empty(),
    )
    .unwrap();
    b.write_all(b"x").unwrap();
    wait_for(&poll, &mut events, Token(1));
    // Not read yet: reported again, at every poll.
    for _ in 0..3 {
        assert_eq!(
            poll_once(&poll, &mut events),
            vec![(Token(1), Ready::readable())]
        );
    }
    assert_eq!(drain(&mut a), 1);
    assert!(poll_once(&poll, &mut events).is_empty());
}

/// `oneshot()` alone is level and oneshot: one event, nothing more (even
/// with the data unread) until `reregister`, which reports the data still
/// there at once.
#[test]
fn oneshot_alone_is_level_until_disarmed() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut a, mut b) = pair();
    let fd = EventedFd(&a.as_raw_fd());
    poll.register(&fd, Token(1), Ready::readable(), PollOpt::oneshot())
        .unwrap();
    b.write_all(b"x").unwrap();
    wait_for(&poll, &mut events, Token(1));
    assert!(poll_once(&poll, &mut events).is_empty());
    poll.reregister(&fd, Token(2), Ready::readable(), PollOpt::oneshot())
        .unwrap();
    // The unread byte is a level condition: reported by the next poll,
    // with no new data.
    assert_eq!(
        poll_once(&poll, &mut events),
        vec![(Token(2), Ready::readable())]
    );
    assert!(poll_once(&poll, &mut events).is_empty());
    assert_eq!(drain(&mut a), 1);
}

#[test]
fn level_fires_at_every_poll_while_ready() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut a, mut b) = pair();
    poll.register(
        &EventedFd(&a.as_raw_fd()),
        Token(2),
        Ready::readable(),
        PollOpt::level(),
    )
    .unwrap();
    b.write_all(b"data").unwrap();
    wait_for(&poll, &mut events, Token(2));
    for _ in 0..5 {
        let got = poll_once(&poll, &mut events);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, Token(2));
        assert!(got[0].1.is_readable());
    }
    drain(&mut a);
    assert!(poll_once(&poll, &mut events).is_empty());
}

#[test]
fn level_wins_over_edge() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (a, mut b) = pair();
    let opts = PollOpt::edge() | PollOpt::level();
    poll.register(
        &EventedFd(&a.as_raw_fd()),
        Token(2),
        Ready::readable(),
        opts,
    )
    .unwrap();
    b.write_all(b"data").unwrap();
    wait_for(&poll, &mut events, Token(2));
    assert_eq!(poll_once(&poll, &mut events).len(), 1);
}

#[test]
fn oneshot_is_silent_until_reregistered() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (a, mut b) = pair();
    let fd = a.as_raw_fd();
    let opts = PollOpt::edge() | PollOpt::oneshot();
    poll.register(&EventedFd(&fd), Token(3), Ready::readable(), opts)
        .unwrap();
    b.write_all(b"1").unwrap();
    wait_for(&poll, &mut events, Token(3));
    b.write_all(b"2").unwrap();
    assert!(poll_once(&poll, &mut events).is_empty());

    // Re-arming reports the data still there, under the new token.
    poll.reregister(&EventedFd(&fd), Token(4), Ready::readable(), opts)
        .unwrap();
    assert!(wait_for(&poll, &mut events, Token(4)).is_readable());
    assert!(poll_once(&poll, &mut events).is_empty());
}

#[test]
fn interest_filters_readiness() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (a, mut b) = pair();
    let fd = a.as_raw_fd();
    // Writable only: the socket is writable at once; incoming data is not reported.
    poll.register(
        &EventedFd(&fd),
        Token(5),
        Ready::writable(),
        PollOpt::edge(),
    )
    .unwrap();
    let r = wait_for(&poll, &mut events, Token(5));
    assert!(r.is_writable() && !r.is_readable());
    b.write_all(b"x").unwrap();
    assert!(poll_once(&poll, &mut events).is_empty());

    // Switch to readable: the pending byte shows.
    poll.reregister(
        &EventedFd(&fd),
        Token(5),
        Ready::readable(),
        PollOpt::edge(),
    )
    .unwrap();
    let r = wait_for(&poll, &mut events, Token(5));
    assert!(r.is_readable() && !r.is_writable());
}

#[test]
fn empty_interest_reports_nothing_for_data() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (a, mut b) = pair();
    poll.register(
        &EventedFd(&a.as_raw_fd()),
        Token(6),
        Ready::empty(),
        PollOpt::level(),
    )
    .unwrap();
    b.write_all(b"x").unwrap();
    assert!(poll_once(&poll, &mut events).is_empty());
}

#[test]
fn deregister_stops_events() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (a, mut b) = pair();
    let fd = a.as_raw_fd();
    poll.register(
        &EventedFd(&fd),
        Token(7),
        Ready::readable(),
        PollOpt::level(),
    )
    .unwrap();
    b.write_all(b"x").unwrap();
    wait_for(&poll, &mut events, Token(7));
    poll.deregister(&EventedFd(&fd)).unwrap();
    assert!(poll_once(&poll, &mut events).is_empty());
    // And it can be registered again.
    poll.register(
        &EventedFd(&fd),
        Token(8),
        Ready::readable(),
        PollOpt::level(),
    )
    .unwrap();
    wait_for(&poll, &mut events, Token(8));
}

#[test]
fn peer_close_is_readable_and_hup_then_read_returns_zero() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut a, b) = pair();
    poll.register(
        &EventedFd(&a.as_raw_fd()),
        Token(9),
        Ready::readable(),
        PollOpt::edge(),
    )
    .unwrap();
    drop(b);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = None;
    while seen.is_none() && Instant::now() < deadline {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        seen = events.iter().find(|e| e.token() == Token(9));
    }
    let event = seen.expect("no event after the peer closed");
    assert!(event.readiness().is_readable());
    assert!(UnixReady::from(event.readiness()).is_hup());
    assert!(event.is_read_closed());
    let mut buf = [0u8; 8];
    assert_eq!(a.read(&mut buf).unwrap(), 0);
}

#[test]
fn more_ready_sources_than_capacity_are_all_delivered() {
    const N: usize = 40;
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(7);
    let mut pairs = Vec::new();
    for i in 0..N {
        let (a, mut b) = pair();
        poll.register(
            &EventedFd(&a.as_raw_fd()),
            Token(i),
            Ready::readable(),
            PollOpt::edge(),
        )
        .unwrap();
        b.write_all(b"x").unwrap();
        pairs.push((a, b));
    }
    let mut seen = vec![0u32; N];
    for _ in 0..100 {
        poll.poll(&mut events, Some(SHORT)).unwrap();
        assert!(events.len() <= 7);
        for e in &events {
            seen[e.token().0] += 1;
        }
        if seen.iter().all(|&n| n > 0) {
            break;
        }
    }
    assert!(
        seen.iter().all(|&n| n == 1),
        "each source exactly once: {seen:?}"
    );
}

#[test]
fn reserved_token_is_invalid_input() {
    let poll = Poll::new().unwrap();
    let (a, _b) = pair();
    let err = poll
        .register(
            &EventedFd(&a.as_raw_fd()),
            Token(usize::MAX),
            Ready::readable(),
            PollOpt::edge(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    poll.register(
        &EventedFd(&a.as_raw_fd()),
        Token(0),
        Ready::readable(),
        PollOpt::edge(),
    )
    .unwrap();
    let err = poll
        .reregister(
            &EventedFd(&a.as_raw_fd()),
            Token(usize::MAX),
            Ready::readable(),
            PollOpt::edge(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn double_register_is_already_exists() {
    let poll = Poll::new().unwrap();
    let (a, _b) = pair();
    let fd = a.as_raw_fd();
    poll.register(
        &EventedFd(&fd),
        Token(0),
        Ready::readable(),
        PollOpt::edge(),
    )
    .unwrap();
    let err = poll
        .register(
            &EventedFd(&fd),
            Token(1),
            Ready::readable(),
            PollOpt::edge(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
}

#[test]
fn reregister_or_deregister_unregistered_is_an_error() {
    let poll = Poll::new().unwrap();
    let (a, _b) = pair();
    let fd = a.as_raw_fd();
    let err = poll
        .reregister(
            &EventedFd(&fd),
            Token(0),
            Ready::readable(),
            PollOpt::edge(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    let err = poll.deregister(&EventedFd(&fd)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[test]
fn closed_or_invalid_descriptor_is_an_error() {
    let poll = Poll::new().unwrap();
    let fd = {
        let (a, _b) = pair();
        a.as_raw_fd()
    };
    // `fd` is closed now (unless reused by a parallel test; then it is some
    // other open descriptor, and registering a negative one still must fail).
    let _ = poll.register(
        &EventedFd(&fd),
        Token(0),
        Ready::readable(),
        PollOpt::edge(),
    );
    for bad in [-1, -5] {
        let err = poll
            .register(
                &EventedFd(&bad),
                Token(0),
                Ready::readable(),
                PollOpt::edge(),
            )
            .unwrap_err();
        // What the kernel (and the classic API) answers for a bad descriptor.
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
    }
    // A descriptor number far above any open one.
    let unused = 1_000_000;
    let err = poll
        .register(
            &EventedFd(&unused),
            Token(0),
            Ready::readable(),
            PollOpt::edge(),
        )
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EBADF));
}

#[test]
fn zero_capacity_events_is_a_clear_error() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(0);
    assert_eq!(events.capacity(), 0);
    let err = poll.poll(&mut events, None).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn events_capacity_is_exact_and_buffer_api_works() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(3);
    assert_eq!(events.capacity(), 3);
    assert!(events.is_empty());
    let (a, mut b) = pair();
    poll.register(
        &EventedFd(&a.as_raw_fd()),
        Token(11),
        Ready::readable(),
        PollOpt::level(),
    )
    .unwrap();
    b.write_all(b"x").unwrap();
    wait_for(&poll, &mut events, Token(11));
    assert_eq!(events.len(), 1);
    assert_eq!(events.get(0).unwrap().token(), Token(11));
    assert!(events.get(1).is_none());
    assert_eq!(events.iter().len(), 1);
    assert_eq!((&events).into_iter().count(), 1);
    assert!(format!("{:?}", events).contains("Token(11)"));
    events.clear();
    assert!(events.is_empty());
    assert_eq!(events.capacity(), 3);
    poll.poll(&mut events, Some(SHORT)).unwrap();
    let owned: Vec<_> = events.into_iter().collect();
    assert_eq!(owned.len(), 1);
}

#[test]
fn zero_timeout_returns_at_once_with_nothing() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    assert_eq!(poll.poll(&mut events, Some(Duration::ZERO)).unwrap(), 0);
}

#[test]
fn timeouts_are_never_cut_short() {
    // Only a lower bound is checked: the wait may be longer on a busy machine,
    // but never shorter than asked, whatever the sub-millisecond part.
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    for micros in [1u64, 50, 999, 1_500, 2_000, 10_250] {
        let to = Duration::from_micros(micros);
        let start = Instant::now();
        assert_eq!(poll.poll(&mut events, Some(to)).unwrap(), 0);
        let took = start.elapsed();
        assert!(took >= to, "asked {to:?}, returned after {took:?}");
    }
}

#[test]
fn registering_from_another_thread_while_polling() {
    use std::sync::Arc;
    let poll = Arc::new(Poll::new().unwrap());
    let (a, mut b) = pair();
    let fd = a.as_raw_fd();
    let p = poll.clone();
    let t = std::thread::spawn(move || {
        let mut events = Events::with_capacity(8);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            p.poll(&mut events, Some(Duration::from_millis(100)))
                .unwrap();
            if events.iter().any(|e| e.token() == Token(12)) {
                return true;
            }
        }
        false
    });
    std::thread::sleep(Duration::from_millis(20));
    poll.register(
        &EventedFd(&fd),
        Token(12),
        Ready::readable(),
        PollOpt::edge(),
    )
    .unwrap();
    b.write_all(b"x").unwrap();
    assert!(t.join().unwrap());
}

#[test]
fn concurrent_polls_on_one_poll_each_get_distinct_edge_events() {
    use std::sync::Arc;
    const N: usize = 16;
    let poll = Arc::new(Poll::new().unwrap());
    let mut pairs = Vec::new();
    for i in 0..N {
        let (a, b) = pair();
        poll.register(
            &EventedFd(&a.as_raw_fd()),
            Token(i),
            Ready::readable(),
            PollOpt::edge(),
        )
        .unwrap();
        pairs.push((a, b));
    }
    let total = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let p = poll.clone();
            let total = total.clone();
            std::thread::spawn(move || {
                use std::sync::atomic::Ordering::SeqCst;
                let mut events = Events::with_capacity(4);
                let mut got = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(5);
                while Instant::now() < deadline && total.load(SeqCst) < N {
                    p.poll(&mut events, Some(Duration::from_millis(20)))
                        .unwrap();
                    total.fetch_add(events.len(), SeqCst);
                    got.extend(events.iter().map(|e| e.token().0));
                }
                got
            })
        })
        .collect();
    for (_, b) in pairs.iter_mut() {
        b.write_all(b"x").unwrap();
    }
    let mut all: Vec<usize> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (0..N).collect::<Vec<_>>(),
        "every edge delivered exactly once"
    );
}

#[test]
fn poll_as_raw_fd_is_an_epoll_or_kqueue_descriptor() {
    let poll = Poll::new().unwrap();
    assert!(poll.as_raw_fd() >= 0);
    assert!(format!("{poll:?}").starts_with("Poll"));
}

#[test]
fn os_events_and_user_space_readiness_share_a_small_buffer() {
    // A level socket that is always ready and a level registration that is
    // always ready, one slot per poll: both must keep being reported.
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(1);
    let (a, mut b) = pair();
    poll.register(
        &EventedFd(&a.as_raw_fd()),
        Token(1),
        Ready::readable(),
        PollOpt::level(),
    )
    .unwrap();
    b.write_all(b"x").unwrap();
    let (registration, set) = evio::Registration::new2();
    poll.register(&registration, Token(2), Ready::readable(), PollOpt::level())
        .unwrap();
    set.set_readiness(Ready::readable()).unwrap();
    let mut seen = [0u32; 3];
    for _ in 0..20 {
        poll.poll(&mut events, Some(SHORT)).unwrap();
        for e in &events {
            seen[e.token().0] += 1;
        }
    }
    assert!(
        seen[1] >= 5 && seen[2] >= 5,
        "both sources reported: {seen:?}"
    );
}

/// A handle deregistered already is not registered: the second deregister
/// (and a reregister after it) says so in words, as the first mistake on a
/// handle never registered does, rather than as the kernel's bare ENOENT.
#[test]
fn second_deregister_says_not_registered() {
    let poll = Poll::new().unwrap();
    let listener = evio::net::TcpListener::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    let never = poll.deregister(&listener).unwrap_err();
    assert_eq!(never.kind(), io::ErrorKind::NotFound);
    let want = never.to_string();
    assert!(want.contains("not registered"), "{want}");

    poll.register(&listener, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    poll.deregister(&listener).unwrap();
    let again = poll.deregister(&listener).unwrap_err();
    assert_eq!(again.kind(), io::ErrorKind::NotFound);
    assert_eq!(again.to_string(), want);
    let rereg = poll
        .reregister(&listener, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap_err();
    assert_eq!(rereg.kind(), io::ErrorKind::NotFound);
    assert_eq!(rereg.to_string(), want);

    // EventedFd: never registered, and deregistered twice.
    let (a, _b) = pair();
    let fd = a.as_raw_fd();
    let err = poll.deregister(&EventedFd(&fd)).unwrap_err();
    assert_eq!(
        (err.kind(), err.to_string()),
        (io::ErrorKind::NotFound, want.clone())
    );
    poll.register(
        &EventedFd(&fd),
        Token(2),
        Ready::readable(),
        PollOpt::level(),
    )
    .unwrap();
    poll.deregister(&EventedFd(&fd)).unwrap();
    let err = poll.deregister(&EventedFd(&fd)).unwrap_err();
    assert_eq!(
        (err.kind(), err.to_string()),
        (io::ErrorKind::NotFound, want)
    );
}
