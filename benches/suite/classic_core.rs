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
