// The socket workloads written once against the classic API (see
// classic_core.rs): included with `mio` naming evio and mio 0.6.23.

use std::io::{Read, Write};

use mio::net::TcpStream;

use crate::common::{tcp_pair, Clients, MSG};

/// Workload 2: one 64-byte round trip over loopback TCP per operation
/// (edge-triggered, as for every peer).
pub fn pingpong() -> Body {
    let (c, s) = tcp_pair();
    let mut c = TcpStream::from_stream(c).unwrap();
    let mut s = TcpStream::from_stream(s).unwrap();
    let poll = Poll::new().unwrap();
    poll.register(&s, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    poll.register(&c, Token(1), Ready::readable(), PollOpt::edge())
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

/// Workload 3: an echo server for `conns` connections; one operation is one
/// 64-byte message echoed.
pub fn many(conns: usize) -> Body {
    let (clients, servers) = Clients::start(conns);
    let poll = Poll::new().unwrap();
    let mut socks: Vec<TcpStream> = servers
        .into_iter()
        .map(|s| TcpStream::from_stream(s).unwrap())
        .collect();
    for (i, s) in socks.iter().enumerate() {
        poll.register(s, Token(i), Ready::readable(), PollOpt::edge())
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

/// Workload 7: dispatch with a re-arm after every event. `n` connections
/// stay readable (each holds a byte nobody reads) and are registered
/// oneshot; every event is followed by the `reregister` that re-arms its
/// connection, as an event loop that hands each ready socket to a worker
/// does. One operation is one event and its re-arm.
pub fn rearm(n: usize) -> Body {
    let mut clients = Vec::new();
    let mut socks = Vec::new();
    for _ in 0..n {
        let (c, s) = tcp_pair();
        let mut c = TcpStream::from_stream(c).unwrap();
        c.write_all(&[1]).unwrap();
        clients.push(c);
        socks.push(TcpStream::from_stream(s).unwrap());
    }
    let poll = Poll::new().unwrap();
    for (i, s) in socks.iter().enumerate() {
        poll.register(s, Token(i), Ready::readable(), PollOpt::oneshot())
            .unwrap();
    }
    let mut events = Events::with_capacity(CAP);
    Box::new(move |iters| {
        let _keep = &clients;
        measured(|| {
            let mut total = 0u64;
            for _ in 0..iters {
                poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
                for ev in events.iter() {
                    let t = ev.token();
                    poll.reregister(&socks[t.0], t, Ready::readable(), PollOpt::oneshot())
                        .unwrap();
                    total += 1;
                }
            }
            total
        })
    })
}

/// Workload 2 in the second call shape (see `turn`): the reads and writes
/// are the handler's.
pub fn pingpong_turn() -> Body {
    let (c, s) = tcp_pair();
    let mut c = TcpStream::from_stream(c).unwrap();
    let mut s = TcpStream::from_stream(s).unwrap();
    let poll = Poll::new().unwrap();
    poll.register(&s, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    poll.register(&c, Token(1), Ready::readable(), PollOpt::edge())
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
                    turn(&poll, &mut events, black_box(None), |token, _| {
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

/// Workload 3 in the second call shape (see `turn`).
pub fn many_turn(conns: usize) -> Body {
    let (clients, servers) = Clients::start(conns);
    let poll = Poll::new().unwrap();
    let mut socks: Vec<TcpStream> = servers
        .into_iter()
        .map(|s| TcpStream::from_stream(s).unwrap())
        .collect();
    for (i, s) in socks.iter().enumerate() {
        poll.register(s, Token(i), Ready::readable(), PollOpt::edge())
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
                let (_, b) = turn(&poll, &mut events, black_box(None), |token, _| {
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
