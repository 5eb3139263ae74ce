// The workloads written once against the classic API. This file is
// included twice, with `mio` naming evio and then the classic
// implementation (mio 0.6.23): the same source compiles against both.

use std::hint::black_box;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::unix::EventedFd;
use mio::{Events, Poll, PollOpt, Ready, Registration, Token};

use crate::common::{one_eventfd, ready_eventfds};
use crate::harness::{measured, Body};

const CAP: usize = 1024;

/// Workload 1: `n` level-triggered sources, all ready (`n == 0`: an empty poll).
pub fn dispatch(n: usize) -> Body {
    let fds = ready_eventfds(n);
    let poll = Poll::new().unwrap();
    for (i, fd) in fds.iter().enumerate() {
        poll.register(
            &EventedFd(&fd.as_raw_fd()),
            Token(i),
            Ready::readable(),
            PollOpt::level(),
        )
        .unwrap();
    }
    let mut events = Events::with_capacity(CAP);
    Box::new(move |iters| {
        let _keep = &fds;
        measured(|| {
            let (mut total, mut acc) = (0u64, 0usize);
            for _ in 0..iters {
                let k = poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
                for ev in events.iter() {
                    if ev.readiness().is_readable() {
                        acc = acc.wrapping_add(ev.token().0);
                    }
                }
                total += k as u64;
            }
            black_box(acc);
            if n == 0 {
                iters
            } else {
                total
            }
        })
    })
}

/// Workload 5: register and deregister one descriptor.
pub fn churn() -> Body {
    let fd = one_eventfd();
    let poll = Poll::new().unwrap();
    Box::new(move |iters| {
        let raw = fd.as_raw_fd();
        measured(|| {
            for i in 0..iters {
                let h = EventedFd(&raw);
                poll.register(&h, Token(i as usize), Ready::readable(), PollOpt::level())
                    .unwrap();
                poll.deregister(&h).unwrap();
            }
            iters
        })
    })
}

/// Workload 6: how far past `d` an empty poll returns.
pub fn timeout(d: Duration, samples: usize) -> Vec<f64> {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(CAP);
    (0..samples)
        .map(|_| {
            let t = Instant::now();
            poll.poll(&mut events, Some(d)).unwrap();
            t.elapsed().as_nanos() as f64 - d.as_nanos() as f64
        })
        .collect()
}

/// Workload 4: user-space readiness. One thread: `set_readiness`, then the
/// poll that delivers it. Several: each thread sets the readiness of its
/// own `Registration` in a loop, and this thread counts the events.
pub fn set_readiness(threads: usize) -> Body {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(CAP);
    if threads <= 1 {
        let (reg, set) = Registration::new2();
        poll.register(&reg, Token(0), Ready::readable(), PollOpt::edge())
            .unwrap();
        return Box::new(move |iters| {
            let _keep = &reg;
            measured(|| {
                let mut total = 0;
                for _ in 0..iters {
                    set.set_readiness(Ready::readable()).unwrap();
                    total += poll.poll(&mut events, Some(Duration::ZERO)).unwrap() as u64;
                }
                total
            })
        });
    }
    let stop = Arc::new(AtomicBool::new(false));
    let mut regs = Vec::new();
    let mut handles = Vec::new();
    for i in 0..threads {
        let (reg, set) = Registration::new2();
        poll.register(&reg, Token(i), Ready::readable(), PollOpt::edge())
            .unwrap();
        regs.push(reg);
        let stop = stop.clone();
        handles.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                set.set_readiness(Ready::readable()).unwrap();
            }
        }));
    }
    let guard = crate::common::StopOnDrop::new(stop, handles);
    Box::new(move |iters| {
        let _keep = (&regs, &guard);
        measured(|| {
            let mut total = 0;
            while total < iters {
                total += poll
                    .poll(&mut events, Some(Duration::from_millis(100)))
                    .unwrap() as u64;
            }
            total
        })
    })
}

/// The second call shape: an event loop's `turn`, a function of its own
/// that the measuring loop calls (never inlined into it, as most event
/// loops call `poll`), which polls and hands every event, read through
/// `Event::readiness()`, to `handler`. Returns the number of events and
/// the sum of what the handler returned.
#[inline(never)]
pub fn turn<F: FnMut(usize, bool) -> usize>(
    poll: &Poll,
    events: &mut Events,
    timeout: Option<Duration>,
    mut handler: F,
) -> (usize, usize) {
    let n = poll.poll(events, timeout).unwrap();
    let mut acc = 0usize;
    for ev in events.iter() {
        acc = acc.wrapping_add(handler(ev.token().0, ev.readiness().is_readable()));
    }
    (n, acc)
}

/// Workload 1 in the second call shape (see `turn`).
pub fn dispatch_turn(n: usize) -> Body {
    let fds = ready_eventfds(n);
    let poll = Poll::new().unwrap();
    for (i, fd) in fds.iter().enumerate() {
        poll.register(
            &EventedFd(&fd.as_raw_fd()),
            Token(i),
            Ready::readable(),
            PollOpt::level(),
        )
        .unwrap();
    }
    let mut events = Events::with_capacity(CAP);
    Box::new(move |iters| {
        let _keep = &fds;
        measured(|| {
            let (mut total, mut acc) = (0u64, 0usize);
            for _ in 0..iters {
                let (k, a) = turn(
                    &poll,
                    &mut events,
                    black_box(Some(Duration::ZERO)),
                    |token, readable| if readable { token } else { 0 },
                );
                acc = acc.wrapping_add(a);
                total += k as u64;
            }
            black_box(acc);
            if n == 0 {
                iters
            } else {
                total
            }
        })
    })
}

/// Workload 7: `n` oneshot sources, all ready; every delivered one is
/// re-armed with `reregister` (one operation: an event and its re-arm).
/// `in_turn`: the second call shape, the re-arm in the handler.
pub fn oneshot(n: usize, in_turn: bool) -> Body {
    let fds = ready_eventfds(n);
    let raws: Vec<_> = fds.iter().map(|fd| fd.as_raw_fd()).collect();
    let poll = Poll::new().unwrap();
    for (i, fd) in raws.iter().enumerate() {
        poll.register(
            &EventedFd(fd),
            Token(i),
            Ready::readable(),
            PollOpt::edge() | PollOpt::oneshot(),
        )
        .unwrap();
    }
    let mut events = Events::with_capacity(CAP);
    // The re-arm, with its options written where it is made, as the raw
    // loop writes its flags.
    let rearm = |poll: &Poll, fd: &std::os::fd::RawFd, t: usize| {
        poll.reregister(
            &EventedFd(fd),
            Token(t),
            Ready::readable(),
            PollOpt::edge() | PollOpt::oneshot(),
        )
        .unwrap()
    };
    Box::new(move |iters| {
        let _keep = &fds;
        measured(|| {
            let mut total = 0u64;
            for _ in 0..iters {
                if in_turn {
                    let (k, _) = turn(
                        &poll,
                        &mut events,
                        black_box(Some(Duration::ZERO)),
                        |t, _| {
                            rearm(&poll, &raws[t], t);
                            0
                        },
                    );
                    total += k as u64;
                } else {
                    let k = poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
                    for ev in events.iter() {
                        let t = ev.token().0;
                        if ev.readiness().is_readable() {
                            rearm(&poll, &raws[t], t);
                        }
                    }
                    total += k as u64;
                }
            }
            total
        })
    })
}

/// Workload 5 on a socket: register and deregister a UDP socket.
pub fn churn_udp() -> Body {
    let sock = mio::net::UdpSocket::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    let poll = Poll::new().unwrap();
    Box::new(move |iters| {
        measured(|| {
            for i in 0..iters {
                poll.register(&sock, Token(i as usize), Ready::readable(), PollOpt::edge())
                    .unwrap();
                poll.deregister(&sock).unwrap();
            }
            iters
        })
    })
}

/// Workload 8: a `Registration` created, registered and dropped (with its
/// `SetReadiness`).
pub fn registration() -> Body {
    let poll = Poll::new().unwrap();
    // The first registration creates the Poll's user-space queue: made here,
    // outside the measured operations.
    let (first, _set) = Registration::new2();
    poll.register(&first, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    Box::new(move |iters| {
        let _keep = &first;
        measured(|| {
            for i in 0..iters {
                let (reg, set) = Registration::new2();
                poll.register(&reg, Token(i as usize + 1), Ready::readable(), PollOpt::edge())
                    .unwrap();
                drop(black_box(reg));
                drop(black_box(set));
            }
            iters
        })
    })
}
