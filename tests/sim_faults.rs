//! The simulator's fault plan: each fault is injected (it shows in the
//! trace), a correct program still finishes, and the network's latency,
//! bandwidth and partitions act in virtual time.

#![cfg(evio_sim)]

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use evio::net::{TcpListener, TcpStream, UdpSocket};
use evio::sim::{self, FaultPlan, Report, Sim};
use evio::{Events, Poll, PollOpt, Ready, Token};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn would_block(e: &io::Error) -> bool {
    e.kind() == ErrorKind::WouldBlock
}

/// A correct edge-triggered echo server for `conns` connections, each
/// served until its client closes (or resets) it.
fn echo_server(conns: usize) -> io::Result<()> {
    let l = TcpListener::bind(&addr("127.0.0.1:7"))?;
    let poll = Poll::new()?;
    poll.register(
        &l,
        Token(usize::MAX - 1),
        Ready::readable(),
        PollOpt::edge(),
    )?;
    let mut events = Events::with_capacity(16);
    let mut open: Vec<Option<(TcpStream, Vec<u8>)>> = Vec::new();
    let mut done = 0;
    let mut buf = [0u8; 2048];
    for _ in 0..1_000_000 {
        if done == conns {
            return Ok(());
        }
        poll.poll(&mut events, Some(Duration::from_secs(5)))?;
        loop {
            match l.accept() {
                Ok((s, _)) => {
                    poll.register(
                        &s,
                        Token(open.len()),
                        Ready::readable() | Ready::writable(),
                        PollOpt::edge(),
                    )?;
                    open.push(Some((s, Vec::new())));
                }
                Err(ref e) if would_block(e) => break,
                // EMFILE, ENFILE: a new edge comes later.
                Err(ref e) if e.raw_os_error().is_some() => break,
                Err(e) => return Err(e),
            }
        }
        for slot in open.iter_mut() {
            let Some((s, pending)) = slot else { continue };
            let mut close = false;
            'io: loop {
                while !pending.is_empty() {
                    match s.write(pending) {
                        Ok(n) => {
                            pending.drain(..n);
                        }
                        Err(ref e) if would_block(e) => break 'io,
                        Err(_) => {
                            close = true;
                            break 'io;
                        }
                    }
                }
                match s.read(&mut buf) {
                    Ok(0) => {
                        close = true;
                        break;
                    }
                    Ok(n) => pending.extend_from_slice(&buf[..n]),
                    Err(ref e) if would_block(e) => break,
                    Err(_) => {
                        close = true;
                        break;
                    }
                }
            }
            if close {
                *slot = None;
                done += 1;
            }
        }
    }
    Err(io::Error::other("server: loop bound reached"))
}

/// Sends `len` bytes and checks the echo; `Ok(false)` if the connection
/// was reset on the way.
fn echo_client(len: usize) -> io::Result<bool> {
    let data: Vec<u8> = (0..len).map(|i| (i * 13 % 256) as u8).collect();
    let poll = Poll::new()?;
    let mut events = Events::with_capacity(8);
    let mut s = TcpStream::connect(&addr("127.0.0.1:7"))?;
    poll.register(
        &s,
        Token(0),
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )?;
    let (mut sent, mut got) = (0, Vec::new());
    let mut buf = [0u8; 1500];
    for _ in 0..1_000_000 {
        poll.poll(&mut events, Some(Duration::from_secs(5)))?;
        if events.is_empty() {
            return Err(io::Error::other("client: no progress"));
        }
        while sent < len {
            match s.write(&data[sent..]) {
                Ok(n) => sent += n,
                Err(ref e) if would_block(e) => break,
                Err(ref e)
                    if e.kind() == ErrorKind::ConnectionReset
                        || e.kind() == ErrorKind::BrokenPipe =>
                {
                    return Ok(false)
                }
                Err(e) => return Err(e),
            }
        }
        loop {
            match s.read(&mut buf) {
                Ok(0) => return Err(io::Error::other("client: early end")),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(ref e) if would_block(e) => break,
                Err(ref e) if e.kind() == ErrorKind::ConnectionReset => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        if got.len() >= len {
            if got != data {
                return Err(io::Error::other("client: the echo differs"));
            }
            return Ok(true);
        }
    }
    Err(io::Error::other("client: loop bound reached"))
}

fn run_echo(seed: u64, plan: FaultPlan, clients: usize) -> Report {
    let mut s = Sim::new(seed);
    s.faults(plan).keep_trace();
    s.host("server", "127.0.0.1", move || echo_server(clients));
    for i in 0..clients {
        s.host(&format!("c{i}"), &format!("127.0.0.{}", 2 + i), move || {
            echo_client(3000 + 1000 * i).map(|_| ())
        });
    }
    s.run()
}

#[test]
fn every_fault_of_the_plan_is_injected_and_the_echo_stays_intact() {
    let plan = FaultPlan {
        short_read: 0.3,
        short_write: 0.3,
        would_block: 0.2,
        spurious: 0.2,
        split: 0.5,
        accept_emfile: 0.3,
        accept_enfile: 0.3,
        jitter: Duration::from_micros(300),
        ..FaultPlan::none()
    };
    let mut seen = [false; 7];
    let names = [
        "fault short read",
        "fault short write",
        "WouldBlock",
        "fault spurious",
        "fault split",
        "EMFILE",
        "ENFILE",
    ];
    for seed in 0..10 {
        let r = run_echo(seed, plan.clone(), 4);
        assert!(r.all_ok(), "seed {seed}: {:?} {:?}", r.hosts, r.ended);
        let trace = r.trace.unwrap();
        for (k, n) in names.iter().enumerate() {
            seen[k] |= trace.contains(n);
        }
    }
    for (k, n) in names.iter().enumerate() {
        assert!(seen[k], "{n} never injected");
    }
}

#[test]
fn resets_hit_some_connections_and_the_server_goes_on() {
    let plan = FaultPlan {
        reset: 0.02,
        ..FaultPlan::chaos()
    };
    let mut resets = 0;
    for seed in 0..10 {
        let mut s = Sim::new(seed);
        s.faults(plan.clone()).keep_trace();
        s.host("server", "127.0.0.1", || echo_server(6));
        let (tx, rx) = std::sync::mpsc::channel();
        for i in 0..6 {
            let tx = tx.clone();
            s.host(&format!("c{i}"), &format!("127.0.0.{}", 2 + i), move || {
                let whole = echo_client(4000)?;
                tx.send(whole).unwrap();
                Ok(())
            });
        }
        drop(tx);
        let r = s.run();
        assert!(r.all_ok(), "seed {seed}: {:?} {:?}", r.hosts, r.ended);
        let here = rx.iter().filter(|whole| !whole).count();
        assert!(here == 0 || r.trace.unwrap().contains("fault reset"));
        resets += here;
    }
    assert!(resets > 0, "no connection was reset");
}

#[test]
fn refused_connects_and_emfile_on_connect() {
    let mut s = Sim::new(1);
    s.faults(FaultPlan {
        refuse: 1.0,
        ..FaultPlan::none()
    });
    s.host("server", "127.0.0.1", || {
        let _l = TcpListener::bind(&addr("127.0.0.1:7"))?;
        let poll = Poll::new()?;
        let mut events = Events::with_capacity(4);
        poll.poll(&mut events, Some(Duration::from_secs(1)))?;
        Ok(())
    });
    s.host("client", "127.0.0.2", || {
        let c = TcpStream::connect(&addr("127.0.0.1:7"))?;
        let poll = Poll::new()?;
        poll.register(&c, Token(0), Ready::writable(), PollOpt::edge())?;
        let mut events = Events::with_capacity(4);
        poll.poll(&mut events, Some(Duration::from_millis(100)))?;
        match c.take_error()? {
            Some(e) if e.kind() == ErrorKind::ConnectionRefused => Ok(()),
            other => Err(io::Error::other(format!(
                "expected a refusal, got {other:?}"
            ))),
        }
    });
    let r = s.run();
    assert!(r.all_ok(), "{:?}", r.hosts);

    let mut s = Sim::new(1);
    s.faults(FaultPlan {
        connect_emfile: 1.0,
        ..FaultPlan::none()
    });
    s.host("client", "127.0.0.2", || {
        match TcpStream::connect(&addr("127.0.0.1:7")) {
            Err(e) if e.raw_os_error() == Some(24) => Ok(()),
            other => Err(io::Error::other(format!("expected EMFILE, got {other:?}"))),
        }
    });
    assert!(s.run().all_ok());
}

/// One write of `len` bytes from 127.0.0.2 to 127.0.0.1; the virtual time
/// at which the last byte arrived.
fn transfer(s: &mut Sim, len: usize) -> std::sync::mpsc::Receiver<Duration> {
    let (tx, rx) = std::sync::mpsc::channel();
    s.host("sink", "127.0.0.1", move || {
        let l = TcpListener::bind(&addr("127.0.0.1:7"))?;
        let poll = Poll::new()?;
        poll.register(&l, Token(0), Ready::readable(), PollOpt::edge())?;
        let mut events = Events::with_capacity(4);
        let mut conn = None;
        let mut got = 0;
        let mut buf = vec![0u8; 65536];
        for _ in 0..100_000 {
            poll.poll(&mut events, None)?;
            if conn.is_none() {
                if let Ok((c, _)) = l.accept() {
                    poll.register(&c, Token(1), Ready::readable(), PollOpt::edge())?;
                    conn = Some(c);
                }
            }
            if let Some(c) = conn.as_mut() {
                loop {
                    match c.read(&mut buf) {
                        Ok(0) => return Err(io::Error::other("early end")),
                        Ok(n) => got += n,
                        Err(ref e) if would_block(e) => break,
                        Err(e) => return Err(e),
                    }
                }
                if got == len {
                    tx.send(sim::now()).unwrap();
                    return Ok(());
                }
            }
        }
        Err(io::Error::other("loop bound"))
    });
    s.host("source", "127.0.0.2", move || {
        let data = vec![7u8; len];
        let mut c = TcpStream::connect(&addr("127.0.0.1:7"))?;
        let poll = Poll::new()?;
        poll.register(&c, Token(0), Ready::writable(), PollOpt::edge())?;
        let mut events = Events::with_capacity(4);
        let mut sent = 0;
        for _ in 0..100_000 {
            poll.poll(&mut events, None)?;
            while sent < len {
                match c.write(&data[sent..]) {
                    Ok(n) => sent += n,
                    Err(ref e) if would_block(e) => break,
                    Err(e) => return Err(e),
                }
            }
            if sent == len {
                // Stay until the sink has it all (it returns first).
                let mut b = [0u8; 1];
                poll.reregister(&c, Token(0), Ready::readable(), PollOpt::edge())?;
                loop {
                    match poll.poll(&mut events, None) {
                        Ok(_) => {
                            if let Ok(0) = c.read(&mut b) {
                                return Ok(());
                            }
                        }
                        Err(_) => return Ok(()),
                    }
                }
            }
        }
        Err(io::Error::other("loop bound"))
    });
    rx
}

#[test]
fn latency_and_bandwidth_take_virtual_time() {
    let mut s = Sim::new(3);
    s.link(
        "127.0.0.1",
        "127.0.0.2",
        Duration::from_millis(20),
        Some(1_000_000),
    );
    let rx = transfer(&mut s, 500_000);
    let r = s.run();
    assert!(r.host("sink").unwrap().is_ok(), "{:?}", r.hosts);
    let at = rx.recv().unwrap();
    // Handshake (1.5 round trips of 20 ms), then 0.5 s of bandwidth.
    assert!(at >= Duration::from_millis(530), "{at:?}");
}

#[test]
fn a_partition_delays_tcp_until_it_heals() {
    let mut s = Sim::new(4);
    let mut plan = FaultPlan::none();
    plan.partition(
        "127.0.0.1",
        "127.0.0.2",
        Duration::ZERO,
        Duration::from_secs(30),
    );
    s.faults(plan);
    let rx = transfer(&mut s, 1000);
    let r = s.run();
    assert!(r.host("sink").unwrap().is_ok(), "{:?}", r.hosts);
    assert!(rx.recv().unwrap() >= Duration::from_secs(30));
}

#[test]
fn udp_loss_duplication_and_reordering() {
    let mut s = Sim::new(5);
    s.faults(FaultPlan {
        udp_loss: 0.2,
        udp_dup: 0.2,
        udp_reorder: 0.3,
        ..FaultPlan::none()
    });
    let (tx, rx) = std::sync::mpsc::channel();
    s.host("rx", "127.0.0.1", move || {
        let u = UdpSocket::bind(&addr("127.0.0.1:53"))?;
        let poll = Poll::new()?;
        poll.register(&u, Token(0), Ready::readable(), PollOpt::edge())?;
        let mut events = Events::with_capacity(4);
        let mut got = Vec::new();
        let mut buf = [0u8; 8];
        loop {
            match poll.poll(&mut events, Some(Duration::from_secs(1))) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(e),
            }
            loop {
                match u.recv_from(&mut buf) {
                    Ok((n, _)) => got.push(u32::from_le_bytes(buf[..n].try_into().unwrap())),
                    Err(ref e) if would_block(e) => break,
                    Err(e) => return Err(e),
                }
            }
        }
        tx.send(got).unwrap();
        Ok(())
    });
    s.host("tx", "127.0.0.2", || {
        let u = UdpSocket::bind(&addr("127.0.0.2:0"))?;
        let poll = Poll::new()?;
        let mut events = Events::with_capacity(4);
        for i in 0u32..200 {
            u.send_to(&i.to_le_bytes(), &addr("127.0.0.1:53"))?;
            poll.poll(&mut events, Some(Duration::from_micros(100)))?;
        }
        Ok(())
    });
    let r = s.run();
    assert!(r.all_ok(), "{:?}", r.hosts);
    let got = rx.recv().unwrap();
    let mut unique = got.clone();
    unique.sort_unstable();
    unique.dedup();
    assert!(unique.len() < 200, "nothing lost");
    assert!(got.len() > unique.len(), "nothing duplicated");
    assert!(got.windows(2).any(|w| w[1] < w[0]), "nothing reordered");
}
