//! The hot path allocates nothing: once the `Poll`, the `Events` buffer and
//! the connections exist, writing (plain, vectored, and with the classic
//! API's `write_bufs`), polling and reading
//! (including the `WouldBlock` error path) over real TCP connections makes no
//! heap allocation at all.
//!
//! A counting global allocator counts the allocations made by the test's
//! own thread while measuring (the test harness's other threads are not
//! counted).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{self, IoSlice, Read, Write};
use std::time::{Duration, Instant};

use evio::net::{TcpListener, TcpStream};
use evio::{Events, Poll, PollOpt, Ready, Token};

struct Counting;

// Clippy reports these already-`const` initializers on targets without
// native thread-locals (windows-gnu, Android): rust-clippy issue 17566.
thread_local! {
    #[allow(clippy::missing_const_for_thread_local)]
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    #[allow(clippy::missing_const_for_thread_local)]
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: thread-locals may be gone while a thread exits.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

// SAFETY: every method forwards to the system allocator with the same
// arguments; the counting touches only const-initialized thread-locals,
// which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note();
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const CONNS: usize = 8;
const MSG: usize = 64;
const DEADLINE: Duration = Duration::from_secs(60);

struct Conn {
    client: TcpStream,
    server: TcpStream,
}

/// Reads `buf.len()` bytes from `s`, polling while it would block.
fn read_full(poll: &Poll, events: &mut Events, mut s: &TcpStream, buf: &mut [u8]) {
    let mut got = 0;
    let mut spins = 0u32;
    while got < buf.len() {
        match s.read(&mut buf[got..]) {
            Ok(0) => panic!("end of stream"),
            Ok(n) => got += n,
            Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => {
                spins += 1;
                assert!(spins < 10_000, "data never arrived");
                poll.poll(events, Some(Duration::from_secs(1))).unwrap();
            }
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// One round: every client sends a message, every server reads it and sends
/// it back, every client reads the echo and checks it.
fn round(poll: &Poll, events: &mut Events, conns: &[Conn], i: usize, buf: &mut [u8; MSG]) {
    let msg = [(i % 251) as u8; MSG];
    for c in conns {
        let (a, b) = msg.split_at(MSG / 2);
        let n = match i % 3 {
            0 => (&c.client).write(&msg).unwrap(),
            1 => (&c.client)
                .write_vectored(&[IoSlice::new(a), IoSlice::new(b)])
                .unwrap(),
            // The classic API's vectored write.
            _ => c.client.write_bufs(&[a.into(), b.into()]).unwrap(),
        };
        assert_eq!(n, MSG);
    }
    for c in conns {
        read_full(poll, events, &c.server, buf);
        let n = if i % 3 == 2 {
            let (a, b) = buf.split_at(MSG / 2);
            c.server.write_bufs(&[a.into(), b.into()]).unwrap()
        } else {
            (&c.server).write(&buf[..]).unwrap()
        };
        assert_eq!(n, MSG);
    }
    for c in conns {
        read_full(poll, events, &c.client, buf);
        assert!(buf.iter().all(|&b| b == msg[0]), "wrong echo");
        // Drained: the `WouldBlock` error path must not allocate either.
        let err = (&c.client).read(&mut buf[..]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }
    // Also a poll with nothing ready and a zero timeout.
    poll.poll(events, Some(Duration::ZERO)).unwrap();
}

#[test]
fn hot_path_allocates_nothing() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    poll.register(
        &listener,
        Token(usize::MAX - 1),
        Ready::readable(),
        PollOpt::edge(),
    )
    .unwrap();
    let addr = listener.local_addr().unwrap();

    let mut conns = Vec::with_capacity(CONNS);
    let start = Instant::now();
    for i in 0..CONNS {
        let client = TcpStream::connect(&addr).unwrap();
        client.set_nodelay(true).unwrap();
        let server = loop {
            match listener.accept() {
                Ok((s, _)) => break s,
                Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => {
                    assert!(start.elapsed() < DEADLINE);
                    poll.poll(&mut events, Some(Duration::from_millis(100)))
                        .unwrap();
                }
                Err(e) => panic!("accept: {e}"),
            }
        };
        server.set_nodelay(true).unwrap();
        poll.register(
            &client,
            Token(2 * i),
            Ready::readable() | Ready::writable(),
            PollOpt::edge(),
        )
        .unwrap();
        poll.register(
            &server,
            Token(2 * i + 1),
            Ready::readable(),
            PollOpt::level(),
        )
        .unwrap();
        conns.push(Conn { client, server });
    }

    let mut buf = [0u8; MSG];
    // Warm up: the first calls may set up lazily created state.
    for i in 0..100 {
        round(&poll, &mut events, &conns, i, &mut buf);
    }

    // Under Wine every socket call is a round trip to its server, about ten
    // times slower: fewer rounds keep the Windows run inside the deadline.
    const ROUNDS: usize = if cfg!(windows) { 1_000 } else { 10_000 };
    COUNT.with(|c| c.set(0));
    COUNTING.with(|on| on.set(true));
    for i in 0..ROUNDS {
        round(&poll, &mut events, &conns, i, &mut buf);
    }
    COUNTING.with(|on| on.set(false));
    let allocations = COUNT.with(|c| c.get());
    assert!(start.elapsed() < DEADLINE, "took too long to be meaningful");

    println!(
        "{ROUNDS} rounds x {CONNS} connections ({} messages of {MSG} bytes each way): {allocations} allocations",
        ROUNDS * CONNS
    );
    assert_eq!(allocations, 0, "the hot path allocated");
}

/// The counter itself works: a `Vec` made while counting is seen.
#[test]
fn counter_sees_allocations() {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|on| on.set(true));
    let v: Vec<u8> = Vec::with_capacity(std::hint::black_box(100));
    drop(std::hint::black_box(v));
    COUNTING.with(|on| on.set(false));
    assert_eq!(COUNT.with(|c| c.get()), 2);
}

/// Registering, re-registering and deregistering sockets that exist already
/// allocates nothing once warmed up (on Windows the per-socket state comes
/// from a slab of reused slots).
#[test]
fn registration_churn_allocates_nothing() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let start = Instant::now();
    let mut socks = Vec::with_capacity(2 * CONNS);
    for _ in 0..CONNS {
        let client = TcpStream::connect(&addr).unwrap();
        let server = loop {
            match listener.accept() {
                Ok((s, _)) => break s,
                Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => {
                    assert!(start.elapsed() < DEADLINE);
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(e) => panic!("accept: {e}"),
            }
        };
        socks.push(client);
        socks.push(server);
    }
    let churn = |events: &mut Events, round: usize| {
        for (i, s) in socks.iter().enumerate() {
            let opts = if round % 2 == 0 {
                PollOpt::level()
            } else {
                PollOpt::edge()
            };
            poll.register(s, Token(i), Ready::readable() | Ready::writable(), opts)
                .unwrap();
        }
        poll.poll(events, Some(Duration::from_millis(1))).unwrap();
        for (i, s) in socks.iter().enumerate() {
            poll.reregister(s, Token(i + 100), Ready::readable(), PollOpt::oneshot())
                .unwrap();
        }
        poll.poll(events, Some(Duration::ZERO)).unwrap();
        for s in &socks {
            poll.deregister(s).unwrap();
        }
        poll.poll(events, Some(Duration::ZERO)).unwrap();
    };
    for round in 0..20 {
        churn(&mut events, round);
    }
    COUNT.with(|c| c.set(0));
    COUNTING.with(|on| on.set(true));
    for round in 0..200 {
        churn(&mut events, round);
    }
    COUNTING.with(|on| on.set(false));
    let allocations = COUNT.with(|c| c.get());
    assert!(start.elapsed() < DEADLINE, "took too long to be meaningful");
    assert_eq!(allocations, 0, "registration allocated");
}
