//! The same workloads on `mio` 1.x: edge-triggered only, so the dispatch
//! workload re-arms each delivered source with `reregister`.

use std::hint::black_box;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use mio1::net::TcpStream;
use mio1::unix::SourceFd;
use mio1::{Events, Interest, Poll, Token, Waker};

use crate::common::{one_eventfd, ready_eventfds, tcp_pair, Clients, MSG};
use crate::harness::{measured, Body};

const CAP: usize = 1024;

/// Workload 1: `n` ready sources; each delivered source is re-armed after
/// the poll (outside the counted instructions: see BENCHMARKS.md).
pub fn dispatch(n: usize) -> Body {
    let fds = ready_eventfds(n);
    let mut poll = Poll::new().unwrap();
    for (i, fd) in fds.iter().enumerate() {
        poll.registry()
            .register(&mut SourceFd(&fd.as_raw_fd()), Token(i), Interest::READABLE)
            .unwrap();
    }
    let mut events = Events::with_capacity(CAP);
    Box::new(move |iters| {
        let mut total = 0u64;
        for _ in 0..iters {
            let k = measured(|| {
                poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
                let (mut k, mut acc) = (0u64, 0usize);
                for ev in events.iter() {
                    if ev.is_readable() {
                        acc = acc.wrapping_add(ev.token().0);
                    }
                    k += 1;
                }
                black_box(acc);
                k
            });
            total += k;
            for ev in events.iter() {
                let i = ev.token().0;
                poll.registry()
                    .reregister(
                        &mut SourceFd(&fds[i].as_raw_fd()),
                        Token(i),
                        Interest::READABLE,
                    )
                    .unwrap();
            }
        }
        if n == 0 {
            iters
        } else {
            total
        }
    })
}

/// Workload 2: one 64-byte round trip over loopback TCP per operation.
pub fn pingpong() -> Body {
    let (c, s) = tcp_pair();
    let mut c = TcpStream::from_std(c);
    let mut s = TcpStream::from_std(s);
    let mut poll = Poll::new().unwrap();
    poll.registry()
        .register(&mut s, Token(0), Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut c, Token(1), Interest::READABLE)
        .unwrap();
    let mut events = Events::with_capacity(CAP);
    Box::new(move |iters| {
        let msg = [1u8; MSG];
        let mut buf = [0u8; MSG];
        measured(|| {
            for _ in 0..iters {
                let _ = c.write(&msg);
                let mut got = 0;
                while got < MSG {
                    poll.poll(&mut events, None).unwrap();
                    for ev in events.iter() {
                        if ev.token() == Token(0) {
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
    let (clients, servers) = Clients::start(conns);
    let mut poll = Poll::new().unwrap();
    let mut socks: Vec<TcpStream> = servers.into_iter().map(TcpStream::from_std).collect();
    for (i, s) in socks.iter_mut().enumerate() {
        poll.registry()
            .register(s, Token(i), Interest::READABLE)
            .unwrap();
    }
    let mut events = Events::with_capacity(CAP);
    let mut buf = vec![0u8; 4096];
    Box::new(move |iters| {
        let _keep = &clients;
        measured(|| {
            let target = iters * MSG as u64;
            let mut bytes = 0;
            while bytes < target {
                poll.poll(&mut events, None).unwrap();
                for ev in events.iter() {
                    let s = &mut socks[ev.token().0];
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

/// Workload 4: `Waker::wake`, then the poll that delivers its event.
pub fn wake() -> Body {
    let mut poll = Poll::new().unwrap();
    let waker = Waker::new(poll.registry(), Token(7)).unwrap();
    let mut events = Events::with_capacity(CAP);
    Box::new(move |iters| {
        measured(|| {
            let mut total = 0;
            for _ in 0..iters {
                waker.wake().unwrap();
                poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
                total += events.iter().count() as u64;
            }
            total
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
                let mut h = SourceFd(&raw);
                poll.registry()
                    .register(&mut h, Token(i as usize), Interest::READABLE)
                    .unwrap();
                poll.registry().deregister(&mut h).unwrap();
            }
            iters
        })
    })
}

/// Workload 6: how far past `d` an empty poll returns.
pub fn timeout(d: Duration, samples: usize) -> Vec<f64> {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(CAP);
    (0..samples)
        .map(|_| {
            let t = Instant::now();
            poll.poll(&mut events, Some(d)).unwrap();
            t.elapsed().as_nanos() as f64 - d.as_nanos() as f64
        })
        .collect()
}

/// The second call shape (see `turn` in classic_core.rs).
#[inline(never)]
fn turn<F: FnMut(usize, bool) -> usize>(
    poll: &mut Poll,
    events: &mut Events,
    timeout: Option<Duration>,
    mut handler: F,
) -> (usize, usize) {
    poll.poll(events, timeout).unwrap();
    let (mut n, mut acc) = (0usize, 0usize);
    for ev in events.iter() {
        acc = acc.wrapping_add(handler(ev.token().0, ev.is_readable()));
        n += 1;
    }
    (n, acc)
}

/// Workload 1 in the second call shape; each delivered source is re-armed
/// after the poll, outside the counted instructions (as in `dispatch`).
pub fn dispatch_turn(n: usize) -> Body {
    let fds = ready_eventfds(n);
    let mut poll = Poll::new().unwrap();
    for (i, fd) in fds.iter().enumerate() {
        poll.registry()
            .register(&mut SourceFd(&fd.as_raw_fd()), Token(i), Interest::READABLE)
            .unwrap();
    }
    let mut events = Events::with_capacity(CAP);
    Box::new(move |iters| {
        let mut total = 0u64;
        for _ in 0..iters {
            let k = measured(|| {
                let (k, a) = turn(
                    &mut poll,
                    &mut events,
                    black_box(Some(Duration::ZERO)),
                    |token, readable| if readable { token } else { 0 },
                );
                black_box(a);
                k as u64
            });
            total += k;
            for ev in events.iter() {
                let i = ev.token().0;
                poll.registry()
                    .reregister(
                        &mut SourceFd(&fds[i].as_raw_fd()),
                        Token(i),
                        Interest::READABLE,
                    )
                    .unwrap();
            }
        }
        if n == 0 {
            iters
        } else {
            total
        }
    })
}

/// Workload 2 in the second call shape.
pub fn pingpong_turn() -> Body {
    let (c, s) = tcp_pair();
    let mut c = TcpStream::from_std(c);
    let mut s = TcpStream::from_std(s);
    let mut poll = Poll::new().unwrap();
    poll.registry()
        .register(&mut s, Token(0), Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut c, Token(1), Interest::READABLE)
        .unwrap();
    let mut events = Events::with_capacity(CAP);
    Box::new(move |iters| {
        let msg = [1u8; MSG];
        let mut buf = [0u8; MSG];
        measured(|| {
            for _ in 0..iters {
                let _ = c.write(&msg);
                let mut got = 0;
                while got < MSG {
                    turn(&mut poll, &mut events, black_box(None), |token, _| {
                        if token == 0 {
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
    let (clients, servers) = Clients::start(conns);
    let mut poll = Poll::new().unwrap();
    let mut socks: Vec<TcpStream> = servers.into_iter().map(TcpStream::from_std).collect();
    for (i, s) in socks.iter_mut().enumerate() {
        poll.registry()
            .register(s, Token(i), Interest::READABLE)
            .unwrap();
    }
    let mut events = Events::with_capacity(CAP);
    let mut buf = vec![0u8; 4096];
    Box::new(move |iters| {
        let _keep = &clients;
        measured(|| {
            let target = iters * MSG as u64;
            let mut bytes = 0;
            while bytes < target {
                let (_, b) = turn(&mut poll, &mut events, black_box(None), |token, _| {
                    let s = &mut socks[token];
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

/// Workload 7: `n` ready sources, each delivered one re-armed with
/// `reregister` (mio 1.x is edge-triggered: a reregister re-arms).
pub fn oneshot(n: usize, in_turn: bool) -> Body {
    let fds = ready_eventfds(n);
    let raws: Vec<_> = fds.iter().map(|fd| fd.as_raw_fd()).collect();
    let mut poll = Poll::new().unwrap();
    for (i, fd) in raws.iter().enumerate() {
        poll.registry()
            .register(&mut SourceFd(fd), Token(i), Interest::READABLE)
            .unwrap();
    }
    let registry = poll.registry().try_clone().unwrap();
    let mut events = Events::with_capacity(CAP);
    Box::new(move |iters| {
        let _keep = &fds;
        measured(|| {
            let mut total = 0u64;
            for _ in 0..iters {
                if in_turn {
                    let (k, _) = turn(
                        &mut poll,
                        &mut events,
                        black_box(Some(Duration::ZERO)),
                        |t, _| {
                            registry
                                .reregister(&mut SourceFd(&raws[t]), Token(t), Interest::READABLE)
                                .unwrap();
                            0
                        },
                    );
                    total += k as u64;
                } else {
                    poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
                    for ev in events.iter() {
                        let t = ev.token().0;
                        if ev.is_readable() {
                            registry
                                .reregister(&mut SourceFd(&raws[t]), Token(t), Interest::READABLE)
                                .unwrap();
                        }
                        total += 1;
                    }
                }
            }
            total
        })
    })
}

/// Workload 5 on a socket: register and deregister a UDP socket.
pub fn churn_udp() -> Body {
    let mut sock = mio1::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let poll = Poll::new().unwrap();
    Box::new(move |iters| {
        measured(|| {
            for i in 0..iters {
                poll.registry()
                    .register(&mut sock, Token(i as usize), Interest::READABLE)
                    .unwrap();
                poll.registry().deregister(&mut sock).unwrap();
            }
            iters
        })
    })
}
