//! `Waker`: the cheap cross-thread wake-up of a `Poll`.
//!
//! Every wait is bounded by a poll timeout, every loop by a count.

use std::io;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use evio::{Events, Poll, PollOpt, Ready, Registration, Token, Waker};

const SHORT: Duration = Duration::from_millis(20);
const LONG: Duration = Duration::from_secs(10);

fn tokens(poll: &Poll, events: &mut Events, timeout: Duration) -> Vec<Token> {
    poll.poll(events, Some(timeout)).unwrap();
    let mut t: Vec<Token> = events.iter().map(|e| e.token()).collect();
    t.sort_unstable();
    t
}

#[test]
fn wake_from_another_thread_wakes_a_blocked_poll() {
    let poll = Poll::new().unwrap();
    let waker = Arc::new(Waker::new(&poll, Token(10)).unwrap());
    let mut events = Events::with_capacity(8);
    let barrier = Arc::new(Barrier::new(2));
    let (w, b) = (waker.clone(), barrier.clone());
    let t = thread::spawn(move || {
        b.wait();
        thread::sleep(Duration::from_millis(50));
        w.wake().unwrap();
    });
    barrier.wait();
    poll.poll(&mut events, Some(LONG)).unwrap();
    let got: Vec<_> = events.iter().collect();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].token(), Token(10));
    assert!(got[0].readiness().is_readable());
    t.join().unwrap();
}

#[test]
fn wake_before_poll_is_seen_once() {
    let poll = Poll::new().unwrap();
    let waker = Waker::new(&poll, Token(1)).unwrap();
    let mut events = Events::with_capacity(8);
    waker.wake().unwrap();
    waker.wake().unwrap();
    waker.wake().unwrap();
    // Wakes before one poll make one event.
    assert_eq!(tokens(&poll, &mut events, Duration::ZERO), vec![Token(1)]);
    assert!(tokens(&poll, &mut events, SHORT).is_empty());
    // And it keeps working.
    for _ in 0..100 {
        waker.wake().unwrap();
        assert_eq!(tokens(&poll, &mut events, Duration::ZERO), vec![Token(1)]);
    }
}

#[test]
fn several_wakers_on_one_poll() {
    let poll = Poll::new().unwrap();
    let wakers: Vec<_> = (0..4)
        .map(|i| Arc::new(Waker::new(&poll, Token(i)).unwrap()))
        .collect();
    let mut events = Events::with_capacity(8);

    wakers[2].wake().unwrap();
    assert_eq!(tokens(&poll, &mut events, Duration::ZERO), vec![Token(2)]);
    wakers[0].wake().unwrap();
    wakers[3].wake().unwrap();
    assert_eq!(
        tokens(&poll, &mut events, Duration::ZERO),
        vec![Token(0), Token(3)]
    );

    // All of them from their own threads.
    let threads: Vec<_> = wakers
        .iter()
        .map(|w| {
            let w = w.clone();
            thread::spawn(move || w.wake().unwrap())
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(
        tokens(&poll, &mut events, LONG),
        vec![Token(0), Token(1), Token(2), Token(3)]
    );
}

#[test]
fn wakers_and_registrations_share_a_poll() {
    let poll = Poll::new().unwrap();
    let waker = Waker::new(&poll, Token(1)).unwrap();
    let (r, s) = Registration::new2();
    poll.register(&r, Token(2), Ready::readable(), PollOpt::edge())
        .unwrap();
    let mut events = Events::with_capacity(8);

    waker.wake().unwrap();
    s.set_readiness(Ready::readable()).unwrap();
    assert_eq!(
        tokens(&poll, &mut events, Duration::ZERO),
        vec![Token(1), Token(2)]
    );
    // The queue's own wake-up never shows up as an event.
    for _ in 0..10 {
        s.set_readiness(Ready::readable()).unwrap();
        let got = tokens(&poll, &mut events, Duration::ZERO);
        assert_eq!(got, vec![Token(2)]);
    }
    assert!(tokens(&poll, &mut events, SHORT).is_empty());
}

#[test]
fn many_wakes_from_many_threads() {
    let poll = Poll::new().unwrap();
    let waker = Arc::new(Waker::new(&poll, Token(5)).unwrap());
    let mut events = Events::with_capacity(8);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let w = waker.clone();
            thread::spawn(move || {
                for _ in 0..10_000 {
                    w.wake().unwrap();
                }
            })
        })
        .collect();
    let deadline = Instant::now() + LONG;
    let mut seen = 0;
    for _ in 0..100_000 {
        if threads.iter().all(|t| t.is_finished()) || Instant::now() > deadline {
            break;
        }
        poll.poll(&mut events, Some(Duration::from_millis(10)))
            .unwrap();
        for e in events.iter() {
            assert_eq!(e.token(), Token(5));
            seen += 1;
        }
    }
    for t in threads {
        t.join().unwrap();
    }
    // At least the last wake is still to be seen, or was seen.
    seen += tokens(&poll, &mut events, Duration::ZERO).len();
    assert!(seen >= 1);
    assert!(tokens(&poll, &mut events, SHORT).is_empty());
}

#[test]
fn reserved_token_is_refused() {
    let poll = Poll::new().unwrap();
    let err = Waker::new(&poll, Token(usize::MAX)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

// Closing an eventfd takes it out of the epoll set, pending event and all;
// a completion already posted to a Windows port cannot be taken back.
#[cfg(unix)]
#[test]
fn dropped_waker_makes_no_events() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(&poll, Token(1)).unwrap();
    let keep = Waker::new(&poll, Token(2)).unwrap();
    waker.wake().unwrap();
    drop(waker);
    keep.wake().unwrap();
    assert_eq!(tokens(&poll, &mut events, Duration::ZERO), vec![Token(2)]);
    assert!(tokens(&poll, &mut events, SHORT).is_empty());
}

#[test]
fn waker_outlives_nothing_it_needs() {
    // A Waker is Send + Sync and may outlive its Poll: waking then is harmless.
    fn check<T: Send + Sync>() {}
    check::<Waker>();
    let poll = Poll::new().unwrap();
    let waker = Waker::new(&poll, Token(1)).unwrap();
    drop(poll);
    waker.wake().unwrap();
}
