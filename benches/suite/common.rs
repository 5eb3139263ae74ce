//! Pieces the peers share: event sources, connected sockets, and the client
//! side of the many-connections workload (the same for every peer).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::harness::check;

/// Size of one message in the ping-pong and many-connections workloads.
pub const MSG: usize = 64;

/// `n` eventfds whose counter is 1: each stays readable for ever.
pub fn ready_eventfds(n: usize) -> Vec<OwnedFd> {
    (0..n)
        .map(|_| {
            // SAFETY: plain system call; the result is checked.
            let fd = check(
                unsafe { libc::eventfd(1, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) },
                "eventfd",
            );
            // SAFETY: `fd` is a new descriptor that nothing else owns.
            unsafe { OwnedFd::from_raw_fd(fd) }
        })
        .collect()
}

/// One descriptor for the registration-churn workload.
pub fn one_eventfd() -> OwnedFd {
    ready_eventfds(1).pop().unwrap()
}

/// A connected loopback TCP pair (client, server), non-blocking, no Nagle.
pub fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    for s in [&client, &server] {
        s.set_nodelay(true).unwrap();
        s.set_nonblocking(true).unwrap();
    }
    (client, server)
}

/// The client side of the many-connections workload: one thread with a raw
/// epoll loop keeps one 64-byte message in flight on every connection, and
/// sends the next as soon as the echo of the last is back.
pub struct Clients {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Clients {
    /// Opens `conns` connections and returns the server side of each
    /// (non-blocking, no Nagle) for the peer under test to serve.
    pub fn start(conns: usize) -> (Clients, Vec<TcpStream>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut clients = Vec::with_capacity(conns);
        let mut servers = Vec::with_capacity(conns);
        for _ in 0..conns {
            // One at a time, so the listen backlog never overflows.
            let c = TcpStream::connect(addr).unwrap();
            let (s, _) = listener.accept().unwrap();
            for x in [&c, &s] {
                x.set_nodelay(true).unwrap();
                x.set_nonblocking(true).unwrap();
            }
            clients.push(c);
            servers.push(s);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::spawn(move || client_loop(clients, &stop2));
        (
            Clients {
                stop,
                thread: Some(thread),
            },
            servers,
        )
    }
}

impl Drop for Clients {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn client_loop(mut conns: Vec<TcpStream>, stop: &AtomicBool) {
    // SAFETY: plain system call; the result is checked.
    let ep = check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) }, "epoll");
    // SAFETY: `ep` is a new descriptor that nothing else owns.
    let _ep_owner = unsafe { OwnedFd::from_raw_fd(ep) };
    let mut received = vec![0usize; conns.len()];
    let msg = [7u8; MSG];
    for (i, c) in conns.iter_mut().enumerate() {
        add(ep, c.as_raw_fd(), i as u64);
        c.write_all(&msg).unwrap();
    }
    let mut evs = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        // SAFETY: `evs` holds 1024 writable records.
        let n = unsafe { libc::epoll_wait(ep, evs.as_mut_ptr(), 1024, 10) };
        if n < 0 {
            continue; // EINTR
        }
        for e in &evs[..n as usize] {
            let i = e.u64 as usize;
            match conns[i].read(&mut buf) {
                Ok(0) => return, // the server went away
                Ok(k) => {
                    received[i] += k;
                    while received[i] >= MSG {
                        received[i] -= MSG;
                        if conns[i].write_all(&msg).is_err() {
                            return;
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
        }
    }
}

/// Adds `fd` to the raw epoll `ep`, level-triggered readable.
pub fn add(ep: RawFd, fd: RawFd, token: u64) {
    add_flags(ep, fd, token, libc::EPOLLIN as u32);
}

/// Adds `fd` to the raw epoll `ep`, edge-triggered readable.
pub fn add_edge(ep: RawFd, fd: RawFd, token: u64) {
    add_flags(ep, fd, token, (libc::EPOLLIN | libc::EPOLLET) as u32);
}

fn add_flags(ep: RawFd, fd: RawFd, token: u64, events: u32) {
    let mut ev = libc::epoll_event { events, u64: token };
    // SAFETY: `ev` is a valid record for the call.
    check(
        unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, fd, &mut ev) },
        "epoll_ctl",
    );
}

/// Stops helper threads (sets the flag, joins them) when dropped.
pub struct StopOnDrop {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl StopOnDrop {
    pub fn new(stop: Arc<AtomicBool>, threads: Vec<JoinHandle<()>>) -> StopOnDrop {
        StopOnDrop { stop, threads }
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
