//! `unix::pipe()`: non-blocking, close-on-exec, `Evented`, `Read`/`Write`.
#![cfg(unix)]

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::time::{Duration, Instant};

use evio::unix::pipe::{self, Receiver, Sender};
use evio::{Events, Poll, PollOpt, Ready, Token};

const SEND: Token = Token(1);
const RECV: Token = Token(2);

fn fd_flags(fd: impl AsFd) -> (bool, bool) {
    let cloexec = rustix::io::fcntl_getfd(&fd)
        .unwrap()
        .contains(rustix::io::FdFlags::CLOEXEC);
    let nonblock = rustix::fs::fcntl_getfl(&fd)
        .unwrap()
        .contains(rustix::fs::OFlags::NONBLOCK);
    (cloexec, nonblock)
}

#[test]
fn nonblocking_and_cloexec() {
    let (s, r) = pipe::pipe().unwrap();
    assert_eq!(fd_flags(&s), (true, true));
    assert_eq!(fd_flags(&r), (true, true));
}

#[test]
fn empty_pipe_would_block() {
    let (_s, mut r) = pipe::pipe().unwrap();
    assert_eq!(
        r.read(&mut [0; 4]).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
}

/// Fills the pipe until the sender would block, then drains it through
/// edge-triggered events on both ends, checking every byte arrives in
/// order.
#[test]
fn fill_and_drain_through_poll() {
    let (mut s, mut r) = pipe::pipe().unwrap();
    let poll = Poll::new().unwrap();
    poll.register(&s, SEND, Ready::writable(), PollOpt::edge())
        .unwrap();
    poll.register(&r, RECV, Ready::readable(), PollOpt::edge())
        .unwrap();

    const TOTAL: usize = 1 << 20;
    let byte = |i: usize| (i % 253) as u8;
    let (mut written, mut read) = (0usize, 0usize);
    let mut blocked = false;
    let mut events = Events::with_capacity(8);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut chunk = vec![0u8; 16 * 1024];
    let mut buf = vec![0u8; 16 * 1024];
    while read < TOTAL {
        assert!(Instant::now() < deadline, "read {read} of {TOTAL}");
        while written < TOTAL {
            let n = chunk.len().min(TOTAL - written);
            for (k, c) in chunk[..n].iter_mut().enumerate() {
                *c = byte(written + k);
            }
            match s.write(&chunk[..n]) {
                Ok(m) => written += m,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    blocked = true;
                    break;
                }
                Err(e) => panic!("write: {e}"),
            }
        }
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        loop {
            match r.read(&mut buf) {
                Ok(0) => panic!("unexpected end"),
                Ok(n) => {
                    for (k, &b) in buf[..n].iter().enumerate() {
                        assert_eq!(b, byte(read + k), "at {}", read + k);
                    }
                    read += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("read: {e}"),
            }
        }
    }
    // A megabyte is more than a pipe holds: the sender had to wait.
    assert!(blocked);
}

#[test]
fn vectored_and_ref_impls() {
    let (s, r) = pipe::pipe().unwrap();
    let n = (&s)
        .write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cde")])
        .unwrap();
    assert_eq!(n, 5);
    let (mut x, mut y) = ([0u8; 3], [0u8; 2]);
    let got = (&r)
        .read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])
        .unwrap();
    assert_eq!(got, 5);
    assert_eq!((&x, &y), (b"abc", b"de"));
    (&s).flush().unwrap();
}

#[test]
fn end_of_stream_after_sender_drops() {
    let (mut s, mut r) = pipe::pipe().unwrap();
    s.write_all(b"bye").unwrap();
    drop(s);
    let mut got = Vec::new();
    r.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"bye");
}

#[test]
fn descriptor_conversions() {
    let (s, r) = pipe::pipe().unwrap();
    let raw = s.into_raw_fd();
    // SAFETY: `raw` came from `into_raw_fd` just above and is owned here.
    let s = unsafe { Sender::from_raw_fd(raw) };
    assert_eq!(s.as_raw_fd(), raw);
    let fd: OwnedFd = r.into();
    let mut r = Receiver::from(fd);
    (&s).write_all(b"z").unwrap();
    let mut b = [0u8; 1];
    r.read_exact(&mut b).unwrap();
    assert_eq!(&b, b"z");
    assert_eq!(format!("{s:?}"), format!("Sender {{ fd: {raw} }}"));
    assert!(format!("{r:?}").starts_with("Receiver { fd: "));
}

#[test]
fn deregister_and_reregister() {
    let (mut s, r) = pipe::pipe().unwrap();
    let poll = Poll::new().unwrap();
    poll.register(&r, RECV, Ready::readable(), PollOpt::level())
        .unwrap();
    poll.deregister(&r).unwrap();
    s.write_all(b"x").unwrap();
    let mut events = Events::with_capacity(4);
    poll.poll(&mut events, Some(Duration::from_millis(50)))
        .unwrap();
    assert!(events.is_empty());
    poll.register(&r, Token(9), Ready::readable(), PollOpt::level())
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        if events.iter().any(|e| e.token() == Token(9)) {
            break;
        }
        assert!(Instant::now() < deadline);
    }
}
