//! The classic API's vectored IO: `TcpStream::read_bufs`/`write_bufs` and
//! `UdpSocket::recv_bufs`/`send_bufs` with `iovec::IoVec` buffers.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use evio::net::{TcpListener, TcpStream, UdpSocket};
use evio::{Events, IoVec, Poll, PollOpt, Ready, Token};

const DEADLINE: Duration = Duration::from_secs(20);

fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Runs `op` until it stops answering `WouldBlock`, polling in between.
fn retry<T>(poll: &Poll, mut op: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    let mut events = Events::with_capacity(8);
    let start = Instant::now();
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                assert!(
                    start.elapsed() < DEADLINE,
                    "still WouldBlock after {DEADLINE:?}"
                );
                poll.poll(&mut events, Some(Duration::from_millis(50)))?;
            }
            res => return res,
        }
    }
}

/// A connected pair: an evio client and the evio stream the listener accepted.
fn pair(poll: &Poll) -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind(&localhost()).unwrap();
    let client = TcpStream::connect(&listener.local_addr().unwrap()).unwrap();
    poll.register(&listener, Token(100), Ready::readable(), PollOpt::edge())
        .unwrap();
    let (server, _) = retry(poll, || listener.accept()).unwrap();
    poll.register(&client, Token(1), Ready::all(), PollOpt::edge())
        .unwrap();
    poll.register(&server, Token(2), Ready::all(), PollOpt::edge())
        .unwrap();
    (client, server)
}

#[test]
fn write_bufs_then_read_bufs_keep_order_and_bytes() {
    let poll = Poll::new().unwrap();
    let (client, server) = pair(&poll);

    let a: Vec<u8> = (0..100u32).map(|i| i as u8).collect();
    let b: Vec<u8> = (0..3000u32).map(|i| (i * 7) as u8).collect();
    let c = b"tail".to_vec();
    let expect: Vec<u8> = [&a[..], &b[..], &c[..]].concat();

    let mut sent = 0;
    while sent < expect.len() {
        // Resend what is left, split into three buffers again.
        let rest = &expect[sent..];
        let (x, y) = rest.split_at(rest.len() / 3);
        let (y, z) = y.split_at(y.len() / 2);
        let bufs: Vec<&IoVec> = [x, y, z]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| (*s).into())
            .collect();
        sent += retry(&poll, || client.write_bufs(&bufs)).unwrap();
    }

    let mut got = Vec::new();
    let (mut h, mut m, mut t) = ([0u8; 7], [0u8; 1000], [0u8; 4096]);
    while got.len() < expect.len() {
        let mut bufs: [&mut IoVec; 3] = [
            (&mut h[..]).into(),
            (&mut m[..]).into(),
            (&mut t[..]).into(),
        ];
        let n = retry(&poll, || server.read_bufs(&mut bufs)).unwrap();
        assert!(n > 0, "end of stream after {} bytes", got.len());
        // The buffers fill in order.
        let all: Vec<u8> = [&h[..], &m[..], &t[..]].concat();
        got.extend_from_slice(&all[..n]);
    }
    assert_eq!(got, expect);
}

#[test]
fn more_buffers_than_iov_max_write_a_prefix() {
    let poll = Poll::new().unwrap();
    let (client, server) = pair(&poll);
    // 3000 one-byte buffers: more than one call passes (IOV_MAX is 1024 on
    // the supported Unix systems; 64 on Windows). A short count, never an
    // error; the bytes written are the first ones, in order.
    let data: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let bufs: Vec<&IoVec> = data.chunks(1).map(|c| c.into()).collect();
    let n = retry(&poll, || client.write_bufs(&bufs)).unwrap();
    assert!(n > 0 && n < data.len(), "wrote {n} of {}", data.len());
    let mut got = vec![0u8; n];
    let mut off = 0;
    while off < n {
        off += retry(&poll, || (&server).read(&mut got[off..])).unwrap();
    }
    assert_eq!(&got[..], &data[..n]);
}

#[test]
fn read_bufs_reports_end_of_stream_and_write_bufs_a_closed_peer() {
    let poll = Poll::new().unwrap();
    let (client, server) = pair(&poll);
    drop(server);
    let mut buf = [0u8; 16];
    let mut bufs: [&mut IoVec; 1] = [(&mut buf[..]).into()];
    assert_eq!(retry(&poll, || client.read_bufs(&mut bufs)).unwrap(), 0);

    // Writing to the closed peer ends in an error (reset or broken pipe),
    // never a signal: the test process would die of SIGPIPE otherwise.
    let chunk = [7u8; 4096];
    let mut res = Ok(0);
    for _ in 0..1000 {
        res = client.write_bufs(&[(&chunk[..]).into()]);
        if res.is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let err = res.expect_err("writes to a closed peer kept succeeding");
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::BrokenPipe
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
        ),
        "unexpected error: {err}"
    );
}

#[test]
fn udp_send_bufs_is_one_datagram_and_recv_bufs_fills_in_order() {
    let poll = Poll::new().unwrap();
    let a = UdpSocket::bind(&localhost()).unwrap();
    let b = UdpSocket::bind(&localhost()).unwrap();
    a.connect(b.local_addr().unwrap()).unwrap();
    b.connect(a.local_addr().unwrap()).unwrap();
    poll.register(&b, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();

    let parts: [&[u8]; 3] = [b"one,", b"two,", b"three"];
    let bufs: Vec<&IoVec> = parts.iter().map(|p| (*p).into()).collect();
    assert_eq!(a.send_bufs(&bufs).unwrap(), 13);
    assert_eq!(a.send(b"second").unwrap(), 6);

    let (mut x, mut y) = ([0u8; 5], [0u8; 32]);
    let mut out: [&mut IoVec; 2] = [(&mut x[..]).into(), (&mut y[..]).into()];
    let n = retry(&poll, || b.recv_bufs(&mut out)).unwrap();
    assert_eq!(n, 13, "one datagram, not merged with the next");
    assert_eq!(&x, b"one,t");
    assert_eq!(&y[..8], b"wo,three");

    // A datagram longer than the buffers is cut to fit; the rest is lost.
    let mut small = [0u8; 3];
    let mut out: [&mut IoVec; 1] = [(&mut small[..]).into()];
    assert_eq!(retry(&poll, || b.recv_bufs(&mut out)).unwrap(), 3);
    assert_eq!(&small, b"sec");
    let mut rest = [0u8; 8];
    assert_eq!(
        b.recv(&mut rest).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
}

#[test]
fn bufs_through_std_write_interoperate() {
    // The classic API's buffers and std's writes share one stream.
    let poll = Poll::new().unwrap();
    let (mut client, server) = pair(&poll);
    client.write_all(b"std|").unwrap();
    let n = retry(&poll, || client.write_bufs(&[(&b"bufs"[..]).into()])).unwrap();
    assert_eq!(n, 4);
    let mut got = [0u8; 8];
    let mut off = 0;
    while off < 8 {
        let mut bufs: [&mut IoVec; 1] = [(&mut got[off..]).into()];
        off += retry(&poll, || server.read_bufs(&mut bufs)).unwrap();
    }
    assert_eq!(&got, b"std|bufs");
}

#[test]
fn udp_with_more_buffers_than_one_call_takes_is_an_error() {
    let a = UdpSocket::bind(&localhost()).unwrap();
    let b = UdpSocket::bind(&localhost()).unwrap();
    a.connect(b.local_addr().unwrap()).unwrap();
    // More than IOV_MAX (1024 on Unix; Windows takes 64): a datagram cannot
    // be cut short silently.
    let data = [1u8; 2000];
    let bufs: Vec<&IoVec> = data.chunks(1).map(|c| c.into()).collect();
    let err = a.send_bufs(&bufs).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    let mut space = vec![0u8; 2000];
    let mut out: Vec<&mut IoVec> = space.chunks_mut(1).map(|c| c.into()).collect();
    let err = b.recv_bufs(&mut out).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}
