//! User-space readiness: `Registration` and `SetReadiness`.
//!
//! Every loop is bounded in count, and every wait by a poll timeout.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use evio::{Events, Poll, PollOpt, Ready, Registration, SetReadiness, Token};

const SHORT: Duration = Duration::from_millis(20);
const LONG: Duration = Duration::from_secs(10);

/// Polls once with `timeout`, returning (token, readiness) pairs.
fn poll_with(poll: &Poll, events: &mut Events, timeout: Duration) -> Vec<(Token, Ready)> {
    poll.poll(events, Some(timeout)).unwrap();
    events.iter().map(|e| (e.token(), e.readiness())).collect()
}

/// Polls without waiting: what is ready now.
fn now(poll: &Poll, events: &mut Events) -> Vec<(Token, Ready)> {
    poll_with(poll, events, Duration::ZERO)
}

fn registered(
    poll: &Poll,
    token: Token,
    interest: Ready,
    opts: PollOpt,
) -> (Registration, SetReadiness) {
    let (r, s) = Registration::new2();
    poll.register(&r, token, interest, opts).unwrap();
    (r, s)
}

#[test]
fn new2_starts_empty_and_unregistered() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (r, s) = Registration::new2();
    assert!(s.readiness().is_empty());
    s.set_readiness(Ready::readable()).unwrap();
    assert_eq!(s.readiness(), Ready::readable());
    // Not registered: nothing to report, even though readiness is set.
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
    // Registering looks at the readiness set before.
    poll.register(&r, Token(3), Ready::readable(), PollOpt::edge())
        .unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(3), Ready::readable())]);
}

#[test]
fn edge_fires_once_per_set() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (_r, s) = registered(&poll, Token(1), Ready::readable(), PollOpt::edge());

    s.set_readiness(Ready::readable()).unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(1), Ready::readable())]);
    // The readiness still holds, but nothing changed: no new event.
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
    // Another set that meets the interest is another event.
    s.set_readiness(Ready::readable()).unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(1), Ready::readable())]);
    // Several sets before one poll: one event, with the last readiness.
    s.set_readiness(Ready::readable()).unwrap();
    s.set_readiness(Ready::readable() | Ready::writable())
        .unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(1), Ready::readable())]);
    // An empty readiness is no event.
    s.set_readiness(Ready::empty()).unwrap();
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
}

#[test]
fn level_fires_at_every_poll_while_set() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (_r, s) = registered(&poll, Token(2), Ready::writable(), PollOpt::level());

    s.set_readiness(Ready::writable()).unwrap();
    for _ in 0..5 {
        assert_eq!(now(&poll, &mut events), vec![(Token(2), Ready::writable())]);
    }
    s.set_readiness(Ready::empty()).unwrap();
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
    s.set_readiness(Ready::writable()).unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(2), Ready::writable())]);
    assert_eq!(now(&poll, &mut events), vec![(Token(2), Ready::writable())]);
}

/// Neither edge nor level: level, as in the classic API; `oneshot()` alone
/// is level and oneshot.
#[test]
fn empty_options_are_level_and_oneshot_alone_fires_once() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (_r, s) = registered(&poll, Token(2), Ready::readable(), PollOpt::empty());
    s.set_readiness(Ready::readable()).unwrap();
    for _ in 0..3 {
        assert_eq!(now(&poll, &mut events), vec![(Token(2), Ready::readable())]);
    }
    s.set_readiness(Ready::empty()).unwrap();
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());

    let (r, s) = registered(&poll, Token(3), Ready::readable(), PollOpt::oneshot());
    s.set_readiness(Ready::readable()).unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(3), Ready::readable())]);
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
    // Re-armed, the readiness still set is reported at once (level).
    poll.reregister(&r, Token(3), Ready::readable(), PollOpt::oneshot())
        .unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(3), Ready::readable())]);
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
}

#[test]
fn oneshot_fires_once_until_reregistered() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (r, s) = registered(
        &poll,
        Token(4),
        Ready::readable(),
        PollOpt::edge() | PollOpt::oneshot(),
    );

    s.set_readiness(Ready::readable()).unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(4), Ready::readable())]);
    s.set_readiness(Ready::readable()).unwrap();
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());

    // Re-arming looks at the current readiness again.
    poll.reregister(
        &r,
        Token(5),
        Ready::readable(),
        PollOpt::edge() | PollOpt::oneshot(),
    )
    .unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(5), Ready::readable())]);
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());

    // Level and oneshot: still one event only.
    poll.reregister(
        &r,
        Token(6),
        Ready::readable(),
        PollOpt::level() | PollOpt::oneshot(),
    )
    .unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(6), Ready::readable())]);
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
}

#[test]
fn interest_filters_readiness() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (_r, s) = registered(&poll, Token(1), Ready::readable(), PollOpt::edge());

    s.set_readiness(Ready::writable()).unwrap();
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
    s.set_readiness(Ready::writable() | Ready::readable())
        .unwrap();
    // Only the part of the readiness the interest asks for is reported.
    assert_eq!(now(&poll, &mut events), vec![(Token(1), Ready::readable())]);
    assert_eq!(s.readiness(), Ready::writable() | Ready::readable());
}

#[test]
fn reregister_changes_token_interest_and_option() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (r, s) = registered(&poll, Token(1), Ready::readable(), PollOpt::edge());

    poll.reregister(&r, Token(2), Ready::writable(), PollOpt::edge())
        .unwrap();
    s.set_readiness(Ready::readable()).unwrap();
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
    s.set_readiness(Ready::writable()).unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(2), Ready::writable())]);

    // From edge to level: the readiness that holds is reported at every poll.
    poll.reregister(&r, Token(3), Ready::writable(), PollOpt::level())
        .unwrap();
    for _ in 0..3 {
        assert_eq!(now(&poll, &mut events), vec![(Token(3), Ready::writable())]);
    }
    // And back to edge: one more event (the reregister), then silence.
    poll.reregister(&r, Token(3), Ready::writable(), PollOpt::edge())
        .unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(3), Ready::writable())]);
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
}

#[test]
#[allow(deprecated)]
fn deprecated_forms_still_work() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (r, s) = Registration::new(&poll, Token(7), Ready::readable(), PollOpt::edge());
    s.set_readiness(Ready::readable()).unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(7), Ready::readable())]);
    r.update(&poll, Token(8), Ready::readable(), PollOpt::level())
        .unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(8), Ready::readable())]);
    r.deregister(&poll).unwrap();
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
    // As in the classic API, deregistering a Registration that is not
    // registered is no error, in either form.
    assert!(r.deregister(&poll).is_ok());
    assert!(poll.deregister(&r).is_ok());
    // And the deprecated `update` registers it again.
    r.update(&poll, Token(9), Ready::readable(), PollOpt::edge())
        .unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(9), Ready::readable())]);
}

#[test]
fn deregister_stops_events() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (r, s) = registered(&poll, Token(1), Ready::readable(), PollOpt::level());

    // Queued, then deregistered before the poll: not reported.
    s.set_readiness(Ready::readable()).unwrap();
    poll.deregister(&r).unwrap();
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
    s.set_readiness(Ready::empty()).unwrap();
    s.set_readiness(Ready::readable()).unwrap();
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());

    // As in the classic API, a second deregister is no error, and a
    // reregister registers it again.
    poll.deregister(&r).unwrap();
    poll.reregister(&r, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(1), Ready::readable())]);

    // So does a register, with the same Poll.
    poll.deregister(&r).unwrap();
    poll.register(&r, Token(9), Ready::readable(), PollOpt::edge())
        .unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(9), Ready::readable())]);
}

#[test]
fn registration_errors() {
    let poll = Poll::new().unwrap();
    let other = Poll::new().unwrap();
    let (r, _s) = Registration::new2();

    // Not registered anywhere yet: as in the classic API, deregistering is
    // no error (and binds the Registration to `poll`), and a reregister
    // registers it.
    poll.deregister(&r).unwrap();
    poll.reregister(&r, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    // The reserved token is refused.
    assert_eq!(
        poll.register(&r, Token(usize::MAX), Ready::readable(), PollOpt::edge())
            .unwrap_err()
            .kind(),
        io::ErrorKind::InvalidInput
    );

    // Registering it again is a reregister.
    poll.register(&r, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    poll.register(&r, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    // A second Poll is refused, for every operation, even after a deregister.
    assert!(other
        .register(&r, Token(1), Ready::readable(), PollOpt::edge())
        .is_err());
    assert!(other
        .reregister(&r, Token(1), Ready::readable(), PollOpt::edge())
        .is_err());
    assert!(other.deregister(&r).is_err());
    poll.deregister(&r).unwrap();
    assert!(other
        .register(&r, Token(1), Ready::readable(), PollOpt::edge())
        .is_err());

    // A deregister alone binds it too, as the classic `update` does.
    let (r3, _s3) = Registration::new2();
    other.deregister(&r3).unwrap();
    assert_eq!(
        poll.register(&r3, Token(3), Ready::readable(), PollOpt::edge())
            .unwrap_err()
            .kind(),
        io::ErrorKind::Other
    );

    // A Poll that already has user-space registrations is refused the same way.
    let (r2, _s2) = registered(&other, Token(2), Ready::readable(), PollOpt::edge());
    assert!(poll
        .register(&r2, Token(2), Ready::readable(), PollOpt::edge())
        .is_err());
}

#[test]
fn dropping_the_registration_silences_the_setter() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);

    // Registered and queued, then dropped: the queued update is not reported.
    let (r, s) = registered(&poll, Token(1), Ready::readable(), PollOpt::level());
    s.set_readiness(Ready::readable()).unwrap();
    drop(r);
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
    for ready in [Ready::readable(), Ready::empty(), Ready::all()] {
        s.set_readiness(ready).unwrap();
    }
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());

    // Never registered, then dropped.
    let (r, s) = Registration::new2();
    drop(r);
    s.set_readiness(Ready::readable()).unwrap();
    let s2 = s.clone();
    s2.set_readiness(Ready::writable()).unwrap();
}

#[test]
fn dropping_every_setter_leaves_the_registration_silent() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (r, s) = registered(&poll, Token(1), Ready::readable(), PollOpt::edge());
    let s2 = s.clone();
    drop(s);
    drop(s2);
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
    poll.reregister(&r, Token(2), Ready::readable(), PollOpt::level())
        .unwrap();
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
    poll.deregister(&r).unwrap();
}

#[test]
fn dropping_the_poll_first_is_harmless() {
    let poll = Poll::new().unwrap();
    let (r, s) = registered(&poll, Token(1), Ready::readable(), PollOpt::level());
    s.set_readiness(Ready::readable()).unwrap();
    drop(poll);
    // The queue is closed: setting and dropping do nothing harmful.
    s.set_readiness(Ready::empty()).unwrap();
    s.set_readiness(Ready::readable()).unwrap();
    drop(r);
    s.set_readiness(Ready::readable()).unwrap();
}

#[test]
fn set_readiness_wakes_a_blocked_poll() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (_r, s) = registered(&poll, Token(1), Ready::readable(), PollOpt::edge());
    let started = Arc::new(Barrier::new(2));
    let b = started.clone();
    let t = thread::spawn(move || {
        b.wait();
        thread::sleep(Duration::from_millis(50));
        s.set_readiness(Ready::readable()).unwrap();
    });
    started.wait();
    // Blocks for the set (the timeout only bounds the test): a single poll
    // must return the event, and the internal wake-up is never reported.
    let got = poll_with(&poll, &mut events, LONG);
    assert_eq!(got, vec![(Token(1), Ready::readable())]);
    t.join().unwrap();
}

#[test]
fn set_readiness_wakes_a_poll_blocked_without_timeout() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (_r, s) = registered(&poll, Token(1), Ready::readable(), PollOpt::edge());
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    // Keeps setting until the poller has seen it, so a bug fails (by the
    // watchdog below) rather than hanging the test run.
    let t = thread::spawn(move || {
        let deadline = Instant::now() + LONG;
        while !d.load(Ordering::Acquire) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
            s.set_readiness(Ready::readable()).unwrap();
        }
        d.load(Ordering::Acquire)
    });
    poll.poll(&mut events, None).unwrap();
    assert!(events.iter().any(|e| e.token() == Token(1)));
    done.store(true, Ordering::Release);
    assert!(t.join().unwrap());
}

/// Many setters and a poller on one registration: whatever interleaving,
/// the state after everyone stops is what `poll` reports.
#[test]
fn concurrent_setters_final_state_is_reported() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let (_r, s) = registered(&poll, Token(1), Ready::readable(), PollOpt::level());
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let s = s.clone();
            thread::spawn(move || {
                for n in 0..20_000 {
                    let ready = if (n + i) % 2 == 0 {
                        Ready::readable()
                    } else {
                        Ready::writable()
                    };
                    s.set_readiness(ready).unwrap();
                }
            })
        })
        .collect();
    let poller = {
        let stop = stop.clone();
        thread::spawn(move || {
            let mut n = 0;
            let deadline = Instant::now() + LONG;
            while !stop.load(Ordering::Acquire) && Instant::now() < deadline {
                poll.poll(&mut events, Some(Duration::from_millis(5)))
                    .unwrap();
                for e in events.iter() {
                    assert_eq!(e.token(), Token(1));
                    // The interest always filters.
                    assert_eq!(e.readiness(), Ready::readable());
                }
                n += 1;
            }
            (poll, events, n)
        })
    };
    for t in threads {
        t.join().unwrap();
    }
    stop.store(true, Ordering::Release);
    let (poll, mut events, _) = poller.join().unwrap();

    s.set_readiness(Ready::writable()).unwrap();
    // Level: whatever was queued before is looked at again, and reports
    // nothing now that the readiness misses the interest.
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
    s.set_readiness(Ready::readable()).unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(1), Ready::readable())]);
    assert_eq!(now(&poll, &mut events), vec![(Token(1), Ready::readable())]);
}

/// `set_readiness` racing `reregister`: the final state is reported.
#[test]
fn set_readiness_racing_reregister_loses_nothing() {
    let poll = Arc::new(Poll::new().unwrap());
    let mut events = Events::with_capacity(8);
    for round in 0..300 {
        let (r, s) = registered(&poll, Token(1), Ready::writable(), PollOpt::edge());
        let barrier = Arc::new(Barrier::new(2));
        let b = barrier.clone();
        let setter = thread::spawn(move || {
            b.wait();
            s.set_readiness(Ready::readable()).unwrap();
            s
        });
        barrier.wait();
        poll.reregister(&r, Token(2), Ready::readable(), PollOpt::edge())
            .unwrap();
        let _s = setter.join().unwrap();
        let got = now(&poll, &mut events);
        assert_eq!(got, vec![(Token(2), Ready::readable())], "round {round}");
        assert!(now(&poll, &mut events).is_empty(), "round {round}");
    }
}

/// `set_readiness` racing a `poll` on another thread: every set that meets
/// the interest is followed by an event, either in the racing poll or in
/// the one after.
#[test]
fn set_readiness_racing_poll_loses_nothing() {
    let poll = Arc::new(Poll::new().unwrap());
    let (_r, s) = registered(&poll, Token(1), Ready::readable(), PollOpt::edge());
    for round in 0..300 {
        let barrier = Arc::new(Barrier::new(2));
        let (b, p) = (barrier.clone(), poll.clone());
        let poller = thread::spawn(move || {
            let mut events = Events::with_capacity(8);
            b.wait();
            p.poll(&mut events, Some(Duration::ZERO)).unwrap();
            events.iter().count()
        });
        barrier.wait();
        s.set_readiness(Ready::readable()).unwrap();
        let raced = poller.join().unwrap();
        let mut events = Events::with_capacity(8);
        let after = now(&poll, &mut events).len();
        assert_eq!(raced + after, 1, "round {round}");
    }
}

/// A small `Events` buffer: every queued registration is reported, none
/// twice, and level registrations that keep firing starve nobody.
#[test]
fn small_buffer_delivers_everything_fairly() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(3);
    let pairs: Vec<_> = (0..10)
        .map(|i| registered(&poll, Token(i), Ready::readable(), PollOpt::edge()))
        .collect();
    for (_, s) in &pairs {
        s.set_readiness(Ready::readable()).unwrap();
    }
    let mut seen = Vec::new();
    for _ in 0..4 {
        let got = now(&poll, &mut events);
        assert!(got.len() <= 3);
        seen.extend(got.into_iter().map(|(t, _)| t.0));
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..10).collect::<Vec<_>>());
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());

    // Three level registrations, room for one event per poll: each one is
    // reported in every three polls.
    let mut events = Events::with_capacity(1);
    let level: Vec<_> = (20..23)
        .map(|i| registered(&poll, Token(i), Ready::readable(), PollOpt::level()))
        .collect();
    for (_, s) in &level {
        s.set_readiness(Ready::readable()).unwrap();
    }
    let mut counts = [0usize; 3];
    for _ in 0..30 {
        let got = now(&poll, &mut events);
        assert_eq!(got.len(), 1);
        counts[got[0].0 .0 - 20] += 1;
    }
    assert_eq!(counts, [10, 10, 10]);
}

#[test]
fn many_registrations_many_threads() {
    const N: usize = 64;
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut regs = Vec::new();
    let mut setters = Vec::new();
    for i in 0..N {
        let (r, s) = registered(&poll, Token(i), Ready::readable(), PollOpt::edge());
        regs.push(r);
        setters.push(s);
    }
    let threads: Vec<_> = setters
        .chunks(N / 4)
        .map(|chunk| {
            let chunk = chunk.to_vec();
            thread::spawn(move || {
                for s in &chunk {
                    s.set_readiness(Ready::readable()).unwrap();
                }
            })
        })
        .collect();
    let mut seen = [false; N];
    let deadline = Instant::now() + LONG;
    while seen.iter().any(|s| !s) && Instant::now() < deadline {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        for e in events.iter() {
            assert!(!seen[e.token().0], "{:?} reported twice", e.token());
            seen[e.token().0] = true;
        }
    }
    for t in threads {
        t.join().unwrap();
    }
    assert!(seen.iter().all(|s| *s));
    assert!(poll_with(&poll, &mut events, SHORT).is_empty());
}

#[test]
fn send_sync_and_clone() {
    fn check<T: Send + Sync>() {}
    check::<Registration>();
    check::<SetReadiness>();
    let (_r, s) = Registration::new2();
    let s2 = s.clone();
    s2.set_readiness(Ready::readable()).unwrap();
    assert_eq!(s.readiness(), Ready::readable());
    assert!(format!("{s:?}").contains("SetReadiness"));
}

/// Runs `poll(None)` on another thread and returns what it delivered, or
/// fails if it has not returned within `LONG` (it would block forever).
fn blocking_poll_returns(poll: &Arc<Poll>, before_wake: impl FnOnce()) -> Vec<(Token, Ready)> {
    let (tx, rx) = std::sync::mpsc::channel();
    let p = poll.clone();
    thread::spawn(move || {
        let mut events = Events::with_capacity(8);
        let res = p.poll(&mut events, None).map(|_| {
            events
                .iter()
                .map(|e| (e.token(), e.readiness()))
                .collect::<Vec<_>>()
        });
        let _ = tx.send(res);
    });
    before_wake();
    rx.recv_timeout(LONG)
        .expect("poll(None) never returned")
        .unwrap()
}

/// A `set_readiness` followed by dropping the `Registration` (and its
/// setter) still wakes a `poll(None)` that is about to block, or blocked;
/// that poll may return with no event, as the classic one does.
#[test]
fn set_then_drop_wakes_a_blocking_poll() {
    let poll = Arc::new(Poll::new().unwrap());
    let mut events = Events::with_capacity(8);

    // About to block: the set and the drop come before the poll.
    let (r, set) = registered(&poll, Token(1), Ready::readable(), PollOpt::edge());
    set.set_readiness(Ready::readable()).unwrap();
    drop(r);
    drop(set);
    assert_eq!(poll.poll(&mut events, None).unwrap(), 0);

    // Blocked: the set and the drop come while the poll waits.
    let (r, set) = registered(&poll, Token(2), Ready::readable(), PollOpt::edge());
    let got = blocking_poll_returns(&poll, move || {
        thread::sleep(Duration::from_millis(100));
        set.set_readiness(Ready::readable()).unwrap();
        drop(r);
        drop(set);
    });
    // Either the poll saw the event before the drop, or nothing.
    assert!(
        got.is_empty() || got == vec![(Token(2), Ready::readable())],
        "{got:?}"
    );

    // A level registration whose readiness was cleared after it fired: the
    // next poll looks, finds nothing, and returns with no event.
    let (_r, level) = registered(&poll, Token(3), Ready::readable(), PollOpt::level());
    level.set_readiness(Ready::readable()).unwrap();
    assert_eq!(now(&poll, &mut events), vec![(Token(3), Ready::readable())]);
    level.set_readiness(Ready::empty()).unwrap();
    assert_eq!(poll.poll(&mut events, None).unwrap(), 0);

    // Then, nothing queued: a poll blocks until a real event.
    let got = blocking_poll_returns(&poll, move || {
        thread::sleep(Duration::from_millis(50));
        level.set_readiness(Ready::readable()).unwrap();
    });
    assert_eq!(got, vec![(Token(3), Ready::readable())]);
}

/// A poll blocked on a `Poll` that had no `Registration` yet (so it took
/// the path that knows nothing of user-space readiness) is woken when
/// another thread registers the first one and sets it ready, and never sees
/// the queue's internal wake-up record.
#[test]
fn first_registration_wakes_a_poll_already_blocked() {
    let poll = Arc::new(Poll::new().unwrap());
    let p = poll.clone();
    let poller = thread::spawn(move || {
        // One call: it must come back with the event, not at its timeout.
        let mut events = Events::with_capacity(8);
        p.poll(&mut events, Some(LONG)).unwrap();
        events
            .iter()
            .map(|e| (e.token(), e.readiness()))
            .collect::<Vec<_>>()
    });
    // Give the poller time to block first (not required for correctness).
    thread::sleep(Duration::from_millis(100));
    let (registration, set) = Registration::new2();
    poll.register(&registration, Token(5), Ready::readable(), PollOpt::edge())
        .unwrap();
    set.set_readiness(Ready::readable()).unwrap();
    let seen = poller.join().unwrap();
    assert_eq!(seen, vec![(Token(5), Ready::readable())]);
}
