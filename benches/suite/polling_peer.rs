//! The same workloads on `polling` 3.x: level-triggered dispatch, and
//! edge-triggered sockets as for every peer.

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::num::NonZeroUsize;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::{Duration, Instant};

use polling::{Event, Events, PollMode, Poller};

use crate::common::{one_eventfd, ready_eventfds, tcp_pair, Clients, MSG};
use crate::harness::{measured, Body};

fn events() -> Events {
    Events::with_capacity(NonZeroUsize::new(1024).unwrap())
}

fn add_level(poller: &Poller, fd: &impl AsRawFd, key: usize) {
    add_mode(poller, fd, key, PollMode::Level);
}

fn add_edge(poller: &Poller, fd: &impl AsRawFd, key: usize) {
    add_mode(poller, fd, key, PollMode::Edge);
}

fn add_mode(poller: &Poller, fd: &impl AsRawFd, key: usize, mode: PollMode) {
    // SAFETY: the source stays open while the poller uses it: both live in
    // one benchmark body and are closed together when it is dropped (the
    // kernel forgets a closed descriptor's registration by itself).
    unsafe { poller.add_with_mode(fd.as_raw_fd(), Event::readable(key), mode) }.unwrap();
}

/// Workload 1: `n` level-triggered sources, all ready (`n == 0`: an empty poll).
pub fn dispatch(n: usize) -> Body {
    let fds = ready_eventfds(n);
    let poller = Poller::new().unwrap();
    for (i, fd) in fds.iter().enumerate() {
        add_level(&poller, fd, i);
    }
    let mut events = events();
    Box::new(move |iters| {
        let _keep = &fds;
        measured(|| {
            let (mut total, mut acc) = (0u64, 0usize);
            for _ in 0..iters {
                events.clear();
                let k = poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
                for ev in events.iter() {
                    if ev.readable {
                        acc = acc.wrapping_add(ev.key);
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

/// Workload 2: one 64-byte round trip over loopback TCP per operation.
pub fn pingpong() -> Body {
    let (c, s) = tcp_pair();
    let poller = Poller::new().unwrap();
    add_edge(&poller, &s, 0);
    add_edge(&poller, &c, 1);
    let mut events = events();
    let (mut c, mut s): (TcpStream, TcpStream) = (c, s);
    Box::new(move |iters| {
        let msg = [1u8; MSG];
        let mut buf = [0u8; MSG];
        measured(|| {
            for _ in 0..iters {
                let _ = c.write(&msg);
                let mut got = 0;
                while got < MSG {
                    events.clear();
                    poller.wait(&mut events, None).unwrap();
                    for ev in events.iter() {
                        if ev.key == 0 {
                            if let Ok(r) = s.read(&mut buf) {
                                let _ = s.write(&buf[..r]);
                            }
                        } else if let Ok(r) = c.read(&mut buf[..MSG - got]) {
                            got += r;
                        }
                    }
                }
            }
            iters
        })
    })
}

/// Workload 3: an echo server for `conns` connections.
pub fn many(conns: usize) -> Body {
    let (clients, mut socks) = Clients::start(conns);
    let poller = Poller::new().unwrap();
    for (i, s) in socks.iter().enumerate() {
        add_edge(&poller, s, i);
    }
    let mut events = events();
    let mut buf = vec![0u8; 4096];
    Box::new(move |iters| {
        let _keep = &clients;
        measured(|| {
            let target = iters * MSG as u64;
            let mut bytes = 0;
            while bytes < target {
                events.clear();
                poller.wait(&mut events, None).unwrap();
                for ev in events.iter() {
                    let s = &mut socks[ev.key];
                    if let Ok(r) = s.read(&mut buf) {
                        let _ = s.write(&buf[..r]);
                        bytes += r as u64;
                    }
                }
            }
            bytes / MSG as u64
        })
    })
}

/// Workload 4: `notify`, then the wait that it wakes (which reports no
/// event: one operation per wake).
pub fn wake() -> Body {
    let poller = Poller::new().unwrap();
    let mut events = events();
    Box::new(move |iters| {
        measured(|| {
            for _ in 0..iters {
                poller.notify().unwrap();
                events.clear();
                poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
            }
            iters
        })
    })
}

/// Workload 5: register and deregister one descriptor.
pub fn churn() -> Body {
    let fd = one_eventfd();
    let poller = Poller::new().unwrap();
    Box::new(move |iters| {
        measured(|| {
            for i in 0..iters {
                // SAFETY: the descriptor is deleted right after, while open.
                unsafe { poller.add(fd.as_raw_fd(), Event::readable(i as usize)) }.unwrap();
                // SAFETY: `fd` is open for the length of the call.
                let b = unsafe { BorrowedFd::borrow_raw(fd.as_raw_fd()) };
                poller.delete(b).unwrap();
            }
            iters
        })
    })
}

/// Workload 6: how far past `d` an empty wait returns (a timerfd gives it
/// sub-millisecond timeouts).
pub fn timeout(d: Duration, samples: usize) -> Vec<f64> {
    let poller = Poller::new().unwrap();
    let mut events = events();
    (0..samples)
        .map(|_| {
            events.clear();
            let t = Instant::now();
            poller.wait(&mut events, Some(d)).unwrap();
            t.elapsed().as_nanos() as f64 - d.as_nanos() as f64
        })
        .collect()
}

/// The second call shape (see `turn` in classic_core.rs).
#[inline(never)]
fn turn<F: FnMut(usize, bool) -> usize>(
    poller: &Poller,
    events: &mut Events,
    timeout: Option<Duration>,
    mut handler: F,
) -> (usize, usize) {
    events.clear();
    let n = poller.wait(events, timeout).unwrap();
    let mut acc = 0usize;
    for ev in events.iter() {
        acc = acc.wrapping_add(handler(ev.key, ev.readable));
    }
    (n, acc)
}

/// Workload 1 in the second call shape.
pub fn dispatch_turn(n: usize) -> Body {
    let fds = ready_eventfds(n);
    let poller = Poller::new().unwrap();
    for (i, fd) in fds.iter().enumerate() {
        add_level(&poller, fd, i);
    }
    let mut events = events();
    Box::new(move |iters| {
        let _keep = &fds;
        measured(|| {
            let (mut total, mut acc) = (0u64, 0usize);
            for _ in 0..iters {
                let (k, a) = turn(
                    &poller,
                    &mut events,
                    black_box(Some(Duration::ZERO)),
                    |key, readable| if readable { key } else { 0 },
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

/// Workload 2 in the second call shape.
pub fn pingpong_turn() -> Body {
    let (c, s) = tcp_pair();
    let poller = Poller::new().unwrap();
    add_edge(&poller, &s, 0);
    add_edge(&poller, &c, 1);
    let mut events = events();
    let (mut c, mut s): (TcpStream, TcpStream) = (c, s);
    Box::new(move |iters| {
        let msg = [1u8; MSG];
        let mut buf = [0u8; MSG];
        measured(|| {
            for _ in 0..iters {
                let _ = c.write(&msg);
                let mut got = 0;
                while got < MSG {
                    turn(&poller, &mut events, black_box(None), |key, _| {
                        if key == 0 {
                            if let Ok(r) = s.read(&mut buf) {
                                let _ = s.write(&buf[..r]);
                            }
                        } else if let Ok(r) = c.read(&mut buf[..MSG - got]) {
                            got += r;
                        }
                        0
                    });
                }
            }
            iters
        })
    })
}

/// Workload 3 in the second call shape.
pub fn many_turn(conns: usize) -> Body {
    let (clients, mut socks) = Clients::start(conns);
    let poller = Poller::new().unwrap();
    for (i, s) in socks.iter().enumerate() {
        add_edge(&poller, s, i);
    }
    let mut events = events();
    let mut buf = vec![0u8; 4096];
    Box::new(move |iters| {
        let _keep = &clients;
        measured(|| {
            let target = iters * MSG as u64;
            let mut bytes = 0;
            while bytes < target {
                let (_, b) = turn(&poller, &mut events, black_box(None), |key, _| {
                    let s = &mut socks[key];
                    match s.read(&mut buf) {
                        Ok(r) => {
                            let _ = s.write(&buf[..r]);
                            r
                        }
                        Err(_) => 0,
                    }
                });
                bytes += b as u64;
            }
            bytes / MSG as u64
        })
    })
}

/// Workload 7: `n` oneshot sources (polling's own mode), each delivered
/// one re-armed with `modify`.
pub fn oneshot(n: usize, in_turn: bool) -> Body {
    let fds = ready_eventfds(n);
    let poller = Poller::new().unwrap();
    for (i, fd) in fds.iter().enumerate() {
        add_mode(&poller, fd, i, PollMode::Oneshot);
    }
    let mut events = events();
    Box::new(move |iters| {
        measured(|| {
            let mut total = 0u64;
            for _ in 0..iters {
                if in_turn {
                    let (k, _) = turn(
                        &poller,
                        &mut events,
                        black_box(Some(Duration::ZERO)),
                        |key, _| {
                            poller.modify(&fds[key], Event::readable(key)).unwrap();
                            0
                        },
                    );
                    total += k as u64;
                } else {
                    events.clear();
                    let k = poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
                    for ev in events.iter() {
                        if ev.readable {
                            poller
                                .modify(&fds[ev.key], Event::readable(ev.key))
                                .unwrap();
                        }
                    }
                    total += k as u64;
                }
            }
            total
        })
    })
}

/// Workload 5 on a socket: add and delete a UDP socket.
pub fn churn_udp() -> Body {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_nonblocking(true).unwrap();
    let poller = Poller::new().unwrap();
    Box::new(move |iters| {
        measured(|| {
            for i in 0..iters {
                // SAFETY: the socket is deleted right after, while open.
                unsafe { poller.add(&sock, Event::readable(i as usize)) }.unwrap();
                poller.delete(&sock).unwrap();
            }
            iters
        })
    })
}
