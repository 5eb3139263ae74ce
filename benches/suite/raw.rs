//! The floor: the same workloads on a raw `libc` epoll loop, with no
//! library between the program and the kernel.

use std::hint::black_box;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::common::{add, add_edge, ready_eventfds, tcp_pair, Clients, MSG};
use crate::harness::{check, measured, Body};

const CAP: usize = 1024;

fn epoll() -> OwnedFd {
    // SAFETY: plain system call; the result is checked.
    let ep = check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) }, "epoll");
    // SAFETY: `ep` is a new descriptor that nothing else owns.
    unsafe { OwnedFd::from_raw_fd(ep) }
}

fn records() -> Vec<libc::epoll_event> {
    vec![libc::epoll_event { events: 0, u64: 0 }; CAP]
}

#[inline(always)]
fn wait(ep: RawFd, evs: &mut [libc::epoll_event], timeout_ms: i32) -> usize {
    // SAFETY: `evs` holds `evs.len()` writable records.
    let n = unsafe { libc::epoll_wait(ep, evs.as_mut_ptr(), evs.len() as i32, timeout_ms) };
    n.max(0) as usize
}

/// Workload 1: `n` level-triggered sources, all ready (`n == 0`: an empty poll).
pub fn dispatch(n: usize) -> Body {
    let fds = ready_eventfds(n);
    let ep = epoll();
    for (i, fd) in fds.iter().enumerate() {
        add(ep.as_raw_fd(), fd.as_raw_fd(), i as u64);
    }
    let mut evs = records();
    Box::new(move |iters| {
        let _keep = &fds;
        let ep = ep.as_raw_fd();
        measured(|| {
            let (mut total, mut acc) = (0u64, 0u64);
            for _ in 0..iters {
                let k = wait(ep, &mut evs, 0);
                for e in &evs[..k] {
                    if e.events & libc::EPOLLIN as u32 != 0 {
                        acc = acc.wrapping_add(e.u64);
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
/// Sockets are edge-triggered, as in every peer (mio 1.x has nothing else):
/// one read takes the whole message, so no read has to end in `EAGAIN`.
pub fn pingpong() -> Body {
    let (c, s) = tcp_pair();
    let ep = epoll();
    add_edge(ep.as_raw_fd(), s.as_raw_fd(), 0);
    add_edge(ep.as_raw_fd(), c.as_raw_fd(), 1);
    let mut evs = records();
    Box::new(move |iters| {
        let (ep, c, s) = (ep.as_raw_fd(), c.as_raw_fd(), s.as_raw_fd());
        let msg = [1u8; MSG];
        let mut buf = [0u8; MSG];
        measured(|| {
            for _ in 0..iters {
                // SAFETY: `msg` is MSG readable bytes.
                unsafe { libc::write(c, msg.as_ptr().cast(), MSG) };
                let mut got = 0;
                while got < MSG {
                    let k = wait(ep, &mut evs, -1);
                    for e in &evs[..k] {
                        if e.u64 == 0 {
                            // SAFETY: `buf` is MSG writable bytes.
                            let r = unsafe { libc::read(s, buf.as_mut_ptr().cast(), MSG) };
                            if r > 0 {
                                // SAFETY: the first `r` bytes of `buf` were just read.
                                unsafe { libc::write(s, buf.as_ptr().cast(), r as usize) };
                            }
                        } else {
                            // SAFETY: `buf` has MSG - got writable bytes.
                            let r = unsafe { libc::read(c, buf.as_mut_ptr().cast(), MSG - got) };
                            if r > 0 {
                                got += r as usize;
                            }
                        }
                    }
                }
            }
            iters
        })
    })
}

/// Workload 3: an echo server for `conns` connections; one operation is one
/// 64-byte message echoed.
pub fn many(conns: usize) -> Body {
    let (clients, servers) = Clients::start(conns);
    let ep = epoll();
    for (i, s) in servers.iter().enumerate() {
        add_edge(ep.as_raw_fd(), s.as_raw_fd(), i as u64);
    }
    let fds: Vec<RawFd> = servers.iter().map(|s| s.as_raw_fd()).collect();
    let mut evs = records();
    let mut buf = vec![0u8; 4096];
    Box::new(move |iters| {
        let _keep = (&clients, &servers);
        let ep = ep.as_raw_fd();
        measured(|| {
            let target = iters * MSG as u64;
            let mut bytes = 0;
            while bytes < target {
                let k = wait(ep, &mut evs, -1);
                for e in &evs[..k] {
                    let fd = fds[e.u64 as usize];
                    // SAFETY: `buf` is 4096 writable bytes.
                    let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
                    if r > 0 {
                        // SAFETY: the first `r` bytes of `buf` were just read.
                        unsafe { libc::write(fd, buf.as_ptr().cast(), r as usize) };
                        bytes += r as u64;
                    }
                }
            }
            bytes / MSG as u64
        })
    })
}

/// Workload 4: an eventfd write, then the poll that delivers its event.
pub fn wake() -> Body {
    let efd = ready_eventfds(1).pop().unwrap();
    // Start from 0: the eventfd above starts at 1, which is harmless.
    let ep = epoll();
    let mut ev = libc::epoll_event {
        events: (libc::EPOLLIN | libc::EPOLLET) as u32,
        u64: 7,
    };
    // SAFETY: `ev` is a valid record.
    check(
        unsafe {
            libc::epoll_ctl(
                ep.as_raw_fd(),
                libc::EPOLL_CTL_ADD,
                efd.as_raw_fd(),
                &mut ev,
            )
        },
        "epoll_ctl",
    );
    let mut evs = records();
    wait(ep.as_raw_fd(), &mut evs, 0); // the initial edge
    Box::new(move |iters| {
        let (ep, efd) = (ep.as_raw_fd(), efd.as_raw_fd());
        measured(|| {
            let mut total = 0;
            for _ in 0..iters {
                let one = 1u64;
                // SAFETY: `one` is 8 readable bytes.
                unsafe { libc::write(efd, (&one as *const u64).cast(), 8) };
                total += wait(ep, &mut evs, 0) as u64;
            }
            total
        })
    })
}

/// Workload 5: register and deregister one descriptor.
pub fn churn() -> Body {
    let fd = ready_eventfds(1).pop().unwrap();
    let ep = epoll();
    Box::new(move |iters| {
        let (ep, fd) = (ep.as_raw_fd(), fd.as_raw_fd());
        measured(|| {
            for i in 0..iters {
                let mut ev = libc::epoll_event {
                    events: libc::EPOLLIN as u32,
                    u64: i,
                };
                // SAFETY: `ev` is a valid record; the descriptors are open.
                unsafe {
                    libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, fd, &mut ev);
                    libc::epoll_ctl(ep, libc::EPOLL_CTL_DEL, fd, std::ptr::null_mut());
                }
            }
            iters
        })
    })
}

/// Workload 6: how far past `d` an empty poll returns (`epoll_wait` counts
/// whole milliseconds: `d` is rounded up).
pub fn timeout(d: Duration, samples: usize) -> Vec<f64> {
    let ep = epoll();
    let mut evs = records();
    let ms = d.as_nanos().div_ceil(1_000_000) as i32;
    (0..samples)
        .map(|_| {
            let t = Instant::now();
            wait(ep.as_raw_fd(), &mut evs, ms);
            t.elapsed().as_nanos() as f64 - d.as_nanos() as f64
        })
        .collect()
}

/// Milliseconds for `epoll_wait`, rounded up, for a timeout with a length.
#[inline(never)]
fn millis(d: Duration) -> i32 {
    d.as_secs()
        .saturating_mul(1000)
        .saturating_add(u64::from(d.subsec_nanos().div_ceil(1_000_000)))
        .min(i32::MAX as u64) as i32
}

/// The second call shape (see `turn` in classic_core.rs): the timeout is
/// converted as tightly as a hand-written loop would (no timeout and a zero
/// one inline, the others out of line), then one `epoll_wait`.
#[inline(never)]
fn turn<F: FnMut(usize, bool) -> usize>(
    ep: RawFd,
    evs: &mut [libc::epoll_event],
    timeout: Option<Duration>,
    mut handler: F,
) -> (usize, usize) {
    let ms = match timeout {
        None => -1,
        Some(d) if d.as_secs() | u64::from(d.subsec_nanos()) == 0 => 0,
        Some(d) => millis(d),
    };
    let n = wait(ep, evs, ms);
    let mut acc = 0usize;
    for e in &evs[..n] {
        acc = acc.wrapping_add(handler(
            e.u64 as usize,
            e.events & libc::EPOLLIN as u32 != 0,
        ));
    }
    (n, acc)
}

/// Workload 1 in the second call shape.
pub fn dispatch_turn(n: usize) -> Body {
    let fds = ready_eventfds(n);
    let ep = epoll();
    for (i, fd) in fds.iter().enumerate() {
        add(ep.as_raw_fd(), fd.as_raw_fd(), i as u64);
    }
    let mut evs = records();
    Box::new(move |iters| {
        let _keep = &fds;
        let ep = ep.as_raw_fd();
        measured(|| {
            let (mut total, mut acc) = (0u64, 0usize);
            for _ in 0..iters {
                let (k, a) = turn(
                    ep,
                    &mut evs,
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

/// Workload 2 in the second call shape.
pub fn pingpong_turn() -> Body {
    let (c, s) = tcp_pair();
    let ep = epoll();
    add_edge(ep.as_raw_fd(), s.as_raw_fd(), 0);
    add_edge(ep.as_raw_fd(), c.as_raw_fd(), 1);
    let mut evs = records();
    Box::new(move |iters| {
        let (ep, c, s) = (ep.as_raw_fd(), c.as_raw_fd(), s.as_raw_fd());
        let msg = [1u8; MSG];
        let mut buf = [0u8; MSG];
        measured(|| {
            for _ in 0..iters {
                // SAFETY: `msg` is MSG readable bytes.
                unsafe { libc::write(c, msg.as_ptr().cast(), MSG) };
                let mut got = 0;
                while got < MSG {
                    turn(ep, &mut evs, black_box(None), |token, _| {
                        if token == 0 {
                            // SAFETY: `buf` is MSG writable bytes.
                            let r = unsafe { libc::read(s, buf.as_mut_ptr().cast(), MSG) };
                            if r > 0 {
                                // SAFETY: the first `r` bytes of `buf` were just read.
                                unsafe { libc::write(s, buf.as_ptr().cast(), r as usize) };
                            }
                        } else {
                            // SAFETY: `buf` has MSG - got writable bytes.
                            let r = unsafe { libc::read(c, buf.as_mut_ptr().cast(), MSG - got) };
                            if r > 0 {
                                got += r as usize;
                            }
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
    let ep = epoll();
    for (i, s) in servers.iter().enumerate() {
        add_edge(ep.as_raw_fd(), s.as_raw_fd(), i as u64);
    }
    let fds: Vec<RawFd> = servers.iter().map(|s| s.as_raw_fd()).collect();
    let mut evs = records();
    let mut buf = vec![0u8; 4096];
    Box::new(move |iters| {
        let _keep = (&clients, &servers);
        let ep = ep.as_raw_fd();
        measured(|| {
            let target = iters * MSG as u64;
            let mut bytes = 0;
            while bytes < target {
                let (_, b) = turn(ep, &mut evs, black_box(None), |token, _| {
                    let fd = fds[token];
                    // SAFETY: `buf` is 4096 writable bytes.
                    let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
                    if r > 0 {
                        // SAFETY: the first `r` bytes of `buf` were just read.
                        unsafe { libc::write(fd, buf.as_ptr().cast(), r as usize) };
                        r as usize
                    } else {
                        0
                    }
                });
                bytes += b as u64;
            }
            bytes / MSG as u64
        })
    })
}

/// `EPOLL_CTL_MOD` of `fd` to readable, edge-triggered, oneshot.
#[inline]
fn rearm(ep: RawFd, fd: RawFd, token: u64) {
    let mut ev = libc::epoll_event {
        events: (libc::EPOLLIN | libc::EPOLLET | libc::EPOLLONESHOT) as u32,
        u64: token,
    };
    // SAFETY: `ev` is a valid record; both descriptors are open.
    unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_MOD, fd, &mut ev) };
}

/// Workload 7: `n` oneshot sources, each delivered one re-armed.
pub fn oneshot(n: usize, in_turn: bool) -> Body {
    let fds = ready_eventfds(n);
    let ep = epoll();
    for (i, fd) in fds.iter().enumerate() {
        let mut ev = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLET | libc::EPOLLONESHOT) as u32,
            u64: i as u64,
        };
        // SAFETY: `ev` is a valid record.
        check(
            unsafe {
                libc::epoll_ctl(ep.as_raw_fd(), libc::EPOLL_CTL_ADD, fd.as_raw_fd(), &mut ev)
            },
            "epoll_ctl",
        );
    }
    let raws: Vec<RawFd> = fds.iter().map(|fd| fd.as_raw_fd()).collect();
    let mut evs = records();
    Box::new(move |iters| {
        let _keep = &fds;
        let ep = ep.as_raw_fd();
        measured(|| {
            let mut total = 0u64;
            for _ in 0..iters {
                if in_turn {
                    let (k, _) = turn(ep, &mut evs, black_box(Some(Duration::ZERO)), |t, _| {
                        rearm(ep, raws[t], t as u64);
                        0
                    });
                    total += k as u64;
                } else {
                    let k = wait(ep, &mut evs, 0);
                    for e in &evs[..k] {
                        if e.events & libc::EPOLLIN as u32 != 0 {
                            rearm(ep, raws[e.u64 as usize], e.u64);
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
    let ep = epoll();
    Box::new(move |iters| {
        let (ep, fd) = (ep.as_raw_fd(), sock.as_raw_fd());
        measured(|| {
            for i in 0..iters {
                let mut ev = libc::epoll_event {
                    events: (libc::EPOLLIN | libc::EPOLLET) as u32,
                    u64: i,
                };
                // SAFETY: `ev` is a valid record; the descriptors are open.
                unsafe {
                    libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, fd, &mut ev);
                    libc::epoll_ctl(ep, libc::EPOLL_CTL_DEL, fd, std::ptr::null_mut());
                }
            }
            iters
        })
    })
}
